//! The lab commands: `up`, `down`, `status`, `show`, `check`, `demo`.

use super::print_json;
use crate::backend::{Backend, Script};
use crate::error::{Error, Result};
use crate::lab::apply::{self, Down, State};
use crate::lab::check::{self, Prober};
use crate::lab::plan::{plan_post, plan_up};
use crate::lab::Lab;
use crate::netns;
use crate::show;
use std::time::Duration;

/// Load the lab an `up` should build: a file, or the built-in one.
pub(super) fn lab_for_up(file: Option<&str>, prefix: &str) -> Result<(Lab, String)> {
    let (lab, place) = match file {
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
    let name = match arg {
        Some(a) => apply::lab_name_of(a, prefix)?,
        None => format!("{prefix}{}", Lab::default_lab().name),
    };
    match State::load(&name)? {
        Some(s) => Ok(s.lab),
        None => Err(Error::Usage(format!(
            "lab `{name}` is not up (see `nslab status`)"
        ))),
    }
}

/// `nslab up [FILE] [--dry-run]`.
pub(super) fn up(
    file: Option<String>,
    dry_run: bool,
    prefix: String,
    backend: &mut dyn Backend,
) -> Result<()> {
    let (lab, _) = lab_for_up(file.as_deref(), &prefix)?;
    if dry_run {
        apply::check_free(&lab, backend)?;
        // The script is printed either way (it may be meant for another machine), with a
        // word on what this kernel would refuse.
        if let Err(e) = apply::check_qdiscs(&lab, backend) {
            eprintln!("nslab: note: `up` would refuse this lab here: {e}");
        }
        let mut script = Script::new(std::io::stdout(), None);
        script.apply(&plan_up(&lab))?;
        return script.apply(&plan_post(&lab));
    }
    apply::up(&lab, file.as_deref(), backend)?;
    eprintln!("lab `{}` is up: {} hosts", lab.name, lab.hosts.len());
    Ok(())
}

/// `nslab down [LAB] [--grace S] [--json]`.
pub(super) fn down(
    lab: Option<String>,
    prefix: String,
    grace: Duration,
    json: bool,
    backend: &mut dyn Backend,
) -> Result<()> {
    let name = match lab.as_deref() {
        Some(a) => apply::lab_name_of(a, &prefix)?,
        None => format!("{prefix}{}", Lab::default_lab().name),
    };
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
    let views = show::views(&names, backend)?;
    if json {
        print_json(&serde_json::json!({ "namespaces": views }));
    } else {
        print!("{}", show::render(&views));
    }
    Ok(())
}

/// `nslab check [LAB]`.
pub(super) fn check(
    lab: Option<String>,
    json: bool,
    ping: bool,
    timeout: u64,
    prefix: String,
) -> Result<()> {
    let lab = lab_for(lab.as_deref(), &prefix)?;
    let prober = if ping { Prober::Ping } else { Prober::Socket };
    let hosts = lab.hosts.len();
    // Steps: each source host's probes done.
    let bar = crate::progress::start(&format!("check {}", lab.name), hosts as u64, hosts, json);
    let report = check::check(&lab, prober, Duration::from_millis(timeout))?;
    drop(bar);
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
    if json {
        print_json(&serde_json::json!({ "labs": labs }));
        return Ok(());
    }
    if labs.is_empty() {
        println!("no labs are up");
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
