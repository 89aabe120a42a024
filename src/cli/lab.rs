//! The lab commands: `up`, `down`, `status`, `show`, `check`, `demo`.

use super::print_json;
use crate::backend::{Backend, Script};
use crate::error::{Error, Result};
use crate::lab::apply::{self, Down, State};
use crate::lab::check::{self, Prober};
use crate::lab::machines::{self, Record};
use crate::lab::plan::{plan_post, plan_up};
use crate::lab::Lab;
use crate::netns;
use crate::show;
use std::time::Duration;

/// Load the lab an `up` should build: a file, standard input (`-`), or the built-in one.
pub(super) fn lab_for_up(file: Option<&str>, prefix: &str) -> Result<(Lab, String)> {
    let (lab, place) = match file {
        Some("-") => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|e| Error::io("standard input", e))?;
            (Lab::parse("-", &text)?, "-".to_string())
        }
        Some(f) => (Lab::load(f)?, f.to_string()),
        None => (
            Lab::default_lab(),
            crate::lab::file::DEFAULT_LAB_PATH.to_string(),
        ),
    };
    let lab = lab.with_prefix(prefix);
    lab.validate(&place)?;
    Ok((lab, place))
}

/// The lab a `check`/`down` names: its state if up, else the file.
pub(super) fn lab_for(arg: Option<&str>, prefix: &str) -> Result<Lab> {
    let name = lab_name(arg, prefix)?;
    match State::load(&name)? {
        Some(s) => Ok(s.lab),
        None => Err(Error::Usage(format!(
            "lab `{name}` is not up (see `nslab status`)"
        ))),
    }
}

/// The name of the lab a `check`/`down` names (default: the built-in lab's).
fn lab_name(arg: Option<&str>, prefix: &str) -> Result<String> {
    match arg {
        Some(a) => apply::lab_name_of(a, prefix),
        None => Ok(format!("{prefix}{}", Lab::default_lab().name)),
    }
}

/// One machine's part of a lab spread over machines (`--part MACHINE`).
fn part_of(lab: &Lab, machine: &str) -> Result<Lab> {
    if lab.machine(machine).is_none() {
        return Err(Error::Usage(format!(
            "lab `{}` has no machine `{machine}`",
            lab.name
        )));
    }
    Ok(lab.part(machine))
}

/// Print the script of a lab (or of one machine's part).
fn print_script(lab: &Lab) -> Result<()> {
    let mut script = Script::new(std::io::stdout(), None);
    script.apply(&plan_up(lab))?;
    script.apply(&plan_post(lab))
}

/// `nslab up [FILE] [--dry-run] [--part MACHINE]`.
pub(super) fn up(
    file: Option<String>,
    dry_run: bool,
    prefix: String,
    part: Option<String>,
    backend: &mut dyn Backend,
) -> Result<()> {
    let (lab, _) = lab_for_up(file.as_deref(), &prefix)?;
    let lab = match &part {
        Some(m) => part_of(&lab, m)?,
        None if !lab.machines.is_empty() => {
            if dry_run {
                // Each machine's part, under its name; nothing here can say what the other
                // machines would refuse.
                for (i, m) in lab.machines.iter().enumerate() {
                    let p = lab.part(&m.name);
                    if i > 0 {
                        println!();
                    }
                    println!("# machine {} (ssh {})", m.name, m.ssh);
                    if !p.is_empty_part() {
                        print_script(&p)?;
                    }
                }
                return Ok(());
            }
            machines::up(&lab, file.as_deref(), backend)?;
            eprintln!(
                "lab `{}` is up: {} hosts on {} machines",
                lab.name,
                lab.hosts.len(),
                lab.machines.len()
            );
            return Ok(());
        }
        None => lab,
    };
    if dry_run {
        apply::check_free(&lab, backend)?;
        // The script is printed either way (it may be meant for another machine), with a
        // word on what this kernel would refuse.
        if let Err(e) = apply::check_qdiscs(&lab, backend) {
            eprintln!("nslab: note: `up` would refuse this lab here: {e}");
        }
        return print_script(&lab);
    }
    let source = file.as_deref().filter(|f| *f != "-");
    apply::up(&lab, source, backend)?;
    eprintln!("lab `{}` is up: {} hosts", lab.name, lab.hosts.len());
    Ok(())
}

/// `nslab down [LAB] [--grace S] [--json] [--part]`.
pub(super) fn down(
    lab: Option<String>,
    prefix: String,
    grace: Duration,
    json: bool,
    part: bool,
    backend: &mut dyn Backend,
) -> Result<()> {
    let name = lab_name(lab.as_deref(), &prefix)?;
    if let (false, Some(record)) = (part, Record::load(&name)?) {
        let done = machines::down(&record, backend, grace)?;
        if json {
            let per: Vec<serde_json::Value> = done
                .iter()
                .map(|(m, up)| serde_json::json!({ "machine": m, "was_up": up }))
                .collect();
            print_json(&serde_json::json!({ "lab": name, "was_up": true, "machines": per }));
        }
        eprintln!("lab `{name}` is down on {} machines", done.len());
        return Ok(());
    }
    let done = apply::down(&name, backend, grace)?;
    let ended = match &done {
        Down::Removed(e) => e.ended.clone(),
        Down::NotUp => Vec::new(),
    };
    if json {
        print_json(&serde_json::json!({
            "lab": name,
            "was_up": matches!(done, Down::Removed(_)),
            "ended": ended,
        }));
    }
    match done {
        Down::Removed(_) if ended.is_empty() => eprintln!("lab `{name}` is down"),
        Down::Removed(_) => eprintln!(
            "lab `{name}` is down ({} process{} ended)",
            ended.len(),
            if ended.len() == 1 { "" } else { "es" }
        ),
        Down::NotUp => eprintln!("lab `{name}` is not up; nothing to do"),
    }
    Ok(())
}

/// `nslab show [TARGET…]`: labs by name, or namespaces.
pub(super) fn show(targets: Vec<String>, json: bool, backend: &mut dyn Backend) -> Result<()> {
    if let [one] = targets.as_slice() {
        if let Some(record) = Record::load(one).ok().flatten() {
            let shown = machines::show(&record.lab, backend)?;
            if json {
                let per: Vec<serde_json::Value> = shown
                    .iter()
                    .map(|(m, v)| serde_json::json!({ "machine": m, "namespaces": v }))
                    .collect();
                print_json(&serde_json::json!({ "machines": per }));
            }
            if !json {
                for (i, (m, views)) in shown.iter().enumerate() {
                    if i > 0 {
                        println!();
                    }
                    println!("# machine {m}");
                    print!("{}", show::render(views));
                }
            }
            return Ok(());
        }
    }
    let mut names: Vec<Option<String>> = Vec::new();
    if targets.is_empty() {
        names.extend(backend.namespaces()?.into_iter().map(Some));
    }
    for t in &targets {
        match State::load(t).ok().flatten() {
            Some(s) => names.extend(s.lab.host_names().into_iter().map(Some)),
            None => {
                netns::open_netns(t)?;
                names.push(Some(t.clone()));
            }
        }
    }
    let mut views = show::views(&names, backend)?;
    if json {
        let states = State::all()?;
        for v in &mut views {
            let Some(name) = &v.name else { continue };
            let Some(st) = states.iter().find(|s| s.namespaces.contains(name)) else {
                continue;
            };
            v.host = Some(show::HostView {
                lab: st.lab.name.clone(),
                hostname: netns::uts::hostname_of(&st.lab.name, name),
                services: crate::lab::service::rows(st)
                    .into_iter()
                    .filter(|r| &r.host == name)
                    .collect(),
            });
        }
        print_json(&serde_json::json!({ "namespaces": views }));
    } else {
        print!("{}", show::render(&views));
    }
    Ok(())
}

/// `nslab check [LAB] [--part MACHINE]`.
pub(super) fn check(
    lab: Option<String>,
    json: bool,
    ping: bool,
    timeout: u64,
    prefix: String,
    part: Option<String>,
    backend: &mut dyn Backend,
) -> Result<()> {
    let prober = if ping { Prober::Ping } else { Prober::Socket };
    let timeout = Duration::from_millis(timeout);
    if let Some(m) = part {
        // The whole lab comes from the file (or stdin); the pairs from this machine's hosts
        // are printed for the machine that merges them, whatever they say.
        let (lab, _) = lab_for_up(lab.as_deref(), &prefix)?;
        part_of(&lab, &m)?;
        print_json(&machines::check_part(&lab, &m, prober, timeout)?);
        return Ok(());
    }
    let name = lab_name(lab.as_deref(), &prefix)?;
    let report = match Record::load(&name)? {
        Some(record) => machines::check(&record.lab, prober, timeout, backend)?,
        None => {
            let lab = lab_for(lab.as_deref(), &prefix)?;
            let hosts = lab.hosts.len();
            // Steps: each source host's probes done.
            let bar =
                crate::progress::start(&format!("check {}", lab.name), hosts as u64, hosts, json);
            let report = check::check(&lab, prober, timeout)?;
            drop(bar);
            report
        }
    };
    if json {
        print_json(&report);
    } else {
        print!("{}", report.render());
    }
    report.verdict()
}

pub(super) fn status(json: bool, _backend: &mut dyn Backend) -> Result<()> {
    let existing = netns::list();
    let labs: Vec<serde_json::Value> = State::all()?
        .iter()
        .map(|s| {
            let hosts: Vec<serde_json::Value> = s
                .namespaces
                .iter()
                .map(|h| serde_json::json!({ "name": h, "present": existing.contains(h) }))
                .collect();
            serde_json::json!({
                "name": s.lab.name,
                "source": s.source,
                "hosts": hosts,
                "root_devices": s.root_devices,
            })
        })
        .collect();
    let spread = spread_status()?;
    if json {
        print_json(&serde_json::json!({ "labs": labs, "over_machines": spread }));
        return Ok(());
    }
    if labs.is_empty() && spread.is_empty() {
        println!("no labs are up");
    }
    for l in &spread {
        let per: Vec<String> = l["machines"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| {
                let hosts = m["hosts"].as_array().cloned().unwrap_or_default();
                let present = hosts.iter().filter(|h| h["present"] == true).count();
                match m["error"].as_str() {
                    Some(e) => format!(
                        "{}: unreachable ({e})",
                        m["machine"].as_str().unwrap_or("?")
                    ),
                    None => format!(
                        "{}: {present}/{} hosts present",
                        m["machine"].as_str().unwrap_or("?"),
                        hosts.len()
                    ),
                }
            })
            .collect();
        println!(
            "{}  over machines: {}",
            l["name"].as_str().unwrap_or("?"),
            per.join(", ")
        );
    }
    for l in &labs {
        let hosts = l["hosts"].as_array().expect("hosts");
        let present = hosts.iter().filter(|h| h["present"] == true).count();
        let names: Vec<String> = hosts
            .iter()
            .map(|h| {
                let n = h["name"].as_str().unwrap_or("?");
                if h["present"] == true {
                    n.to_string()
                } else {
                    format!("{n} (missing)")
                }
            })
            .collect();
        println!(
            "{}  {}/{} hosts present: {}",
            l["name"].as_str().unwrap_or("?"),
            present,
            hosts.len(),
            names.join(" ")
        );
    }
    Ok(())
}

pub(super) fn demo(prefix: &str, backend: &mut dyn Backend) -> Result<()> {
    let (lab, _) = lab_for_up(None, prefix)?;
    println!("# nslab up");
    apply::up(&lab, None, backend)?;
    let result = (|| -> Result<()> {
        println!("# nslab show {}", lab.name);
        let names: Vec<Option<String>> = lab.host_names().into_iter().map(Some).collect();
        print!("{}", show::render(&show::views(&names, backend)?));
        println!("\n# nslab check {}", lab.name);
        let report = check::check(&lab, Prober::Socket, Duration::from_secs(1))?;
        print!("{}", report.render());
        report.verdict()
    })();
    println!("\n# nslab down {}", lab.name);
    let downed = apply::down(&lab.name, backend, apply::DEFAULT_GRACE);
    result?;
    downed?;
    println!("demo done: everything removed");
    Ok(())
}

/// The labs this machine drives over machines, each machine asked for its part.
fn spread_status() -> Result<Vec<serde_json::Value>> {
    let mut out = Vec::new();
    for r in Record::all()? {
        let per: Vec<serde_json::Value> = r
            .lab
            .machines
            .iter()
            .map(|m| match machines::status_of(&r.lab, m) {
                Ok((up, hosts)) => {
                    let hosts: Vec<serde_json::Value> = hosts
                        .iter()
                        .map(|(h, p)| serde_json::json!({ "name": h, "present": p }))
                        .collect();
                    serde_json::json!({ "machine": m.name, "up": up, "hosts": hosts })
                }
                Err(e) => serde_json::json!({ "machine": m.name, "error": e.to_string() }),
            })
            .collect();
        out.push(serde_json::json!({ "name": r.lab.name, "source": r.source, "machines": per }));
    }
    Ok(out)
}

/// `nslab ps [LAB] [--json]`.
pub(super) fn ps(lab: Option<String>, json: bool, prefix: &str) -> Result<()> {
    let states = match lab.as_deref() {
        Some(a) => {
            let name = apply::lab_name_of(a, prefix)?;
            match State::load(&name)? {
                Some(s) => vec![s],
                None => {
                    return Err(Error::Usage(format!(
                        "lab `{name}` is not up (see `nslab status`)"
                    )))
                }
            }
        }
        None => State::all()?,
    };
    let rows: Vec<_> = states.iter().flat_map(crate::lab::service::rows).collect();
    if json {
        print_json(&serde_json::json!({ "services": rows }));
    } else if rows.is_empty() {
        println!("no services");
    } else {
        print!("{}", crate::lab::service::render(&rows));
    }
    Ok(())
}
