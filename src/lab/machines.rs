//! Labs spread over machines ([`Lab::machines`]), driven from the machine nslab runs on.
//!
//! Each machine builds its own part ([`Lab::part`]): the machine with `ssh = "local"` in
//! this process, every other one by running the same nslab there over `ssh` —
//! `ssh -o BatchMode=yes DEST nslab up --part MACHINE -`, the whole lab as JSON on its
//! standard input — all machines at once, one thread each. Each machine keeps its part's
//! state as for any lab (`/run/nslab/LAB.json` there); this machine also keeps a record of
//! the whole lab (`/run/nslab/machines/LAB.json`), from which `down`, `status` and `check`
//! reach every machine. If one part fails, every machine's part is taken down again.
//!
//! The `ssh` program can be replaced with `NSLAB_SSH` (a path; it is called with ssh's argv):
//! the tests and `labs/two-machines.sh` use a stand-in that runs the command inside a
//! simulated machine (a network and a mount namespace of this box).

use super::apply::{self, state_dir, Down};
use super::check::{self, Prober, Report};
use super::file::{Lab, Machine};
use crate::backend::Backend;
use crate::error::{Error, Exit, IoContext, Result};
use crate::run::{shell_quote, Cmd};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The record of a lab spread over machines, kept on the machine that drives it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub source: Option<String>,
    pub lab: Lab,
}

fn record_dir() -> PathBuf {
    state_dir().join("machines")
}

fn record_path(name: &str) -> Result<PathBuf> {
    crate::netns::check_name(name).map_err(|m| Error::Usage(format!("bad lab name: {m}")))?;
    Ok(record_dir().join(format!("{name}.json")))
}

impl Record {
    /// The record of a lab, or `None` if no lab of that name is up over machines.
    pub fn load(name: &str) -> Result<Option<Record>> {
        let path = record_path(name)?;
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
                Error::lab(path.display().to_string(), format!("corrupt record: {e}"))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path.display().to_string(), e)),
        }
    }

    /// Every record, sorted by lab name.
    pub fn all() -> Result<Vec<Record>> {
        let mut out = Vec::new();
        for n in apply::json_names(&record_dir()) {
            out.extend(Record::load(&n)?);
        }
        Ok(out)
    }

    /// Write the record; refuse if the lab is already up (created exclusively, so two
    /// drivers of one lab cannot both proceed).
    fn create(&self) -> Result<()> {
        let path = record_path(&self.lab.name)?;
        std::fs::create_dir_all(record_dir()).ctx_path(record_dir())?;
        let text = serde_json::to_string_pretty(self).expect("record serializes");
        let mut f = match std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::Usage(format!(
                    "lab `{}` is already up (see `nslab status`; `nslab down {}` removes it)",
                    self.lab.name, self.lab.name
                )))
            }
            Err(e) => return Err(Error::io(path.display().to_string(), e)),
        };
        std::io::Write::write_all(&mut f, text.as_bytes()).ctx_path(&path)
    }

    fn remove(name: &str) -> Result<()> {
        let path = record_path(name)?;
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::io(path.display().to_string(), e))
            }
            _ => {}
        }
        // Leave no empty directory behind (another record keeps it).
        let _ = std::fs::remove_dir(record_dir());
        Ok(())
    }
}

/// The ssh program: `NSLAB_SSH` if set, else `ssh` on PATH.
fn ssh_program() -> String {
    std::env::var("NSLAB_SSH").unwrap_or_else(|_| "ssh".to_string())
}

/// `ssh -o BatchMode=yes DEST NSLAB ARGS…`. ssh hands the remote shell one line, the words
/// joined by spaces, so each word is quoted for it.
fn remote_cmd(m: &Machine, args: &[&str]) -> Cmd {
    let nslab = m.nslab.as_deref().unwrap_or("nslab");
    let words: Vec<String> = std::iter::once(nslab)
        .chain(args.iter().copied())
        .map(shell_quote)
        .collect();
    Cmd::new(ssh_program())
        .args(&["-o", "BatchMode=yes", &m.ssh])
        .args(&words)
}

/// Run nslab on a machine and return its stdout; a failure becomes one line naming the
/// machine: ssh missing, the remote nslab missing, or the remote nslab's own error.
fn remote(m: &Machine, args: &[&str], stdin: Option<String>) -> Result<String> {
    let mut cmd = remote_cmd(m, args);
    if let Some(text) = stdin {
        cmd = cmd.stdin(text);
    }
    let fail = |message: String| Error::Machine {
        machine: m.name.clone(),
        message,
    };
    let not_started = |message: String| Error::NotStarted {
        machine: m.name.clone(),
        message,
    };
    match cmd.run() {
        Ok(out) => Ok(out.stdout),
        Err(Error::MissingBinary { binary, package }) => Err(not_started(format!(
            "`{binary}` not found here: install {package} (or point NSLAB_SSH at an ssh program)"
        ))),
        Err(Error::Command { status, stderr, .. }) => {
            let last = stderr
                .lines()
                .rev()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("")
                .to_string();
            let nslab = m.nslab.as_deref().unwrap_or("nslab");
            // nslab's exit 2: bad input, refused before any change (see README).
            if status == Exit::Code(2) {
                let own = last.strip_prefix("nslab: ").unwrap_or(&last);
                return Err(not_started(own.to_string()));
            }
            // The remote shell's "command not found" (or "not executable").
            if matches!(status, Exit::Code(127) | Exit::Code(126)) {
                return Err(not_started(format!(
                    "`{nslab}` not found on the machine ({last}); install nslab there or set \
                     `nslab = \"/path/to/nslab\"` in its [[machines]] entry"
                )));
            }
            Err(fail(match status {
                // ssh's own failure: cannot connect, authentication refused.
                Exit::Code(255) => format!("ssh to `{}` failed: {last}", m.ssh),
                _ if last.is_empty() => format!("`{}` failed: {status}", cmd),
                // The remote nslab's own one-line error, else whatever ended it.
                _ => match last.strip_prefix("nslab: ") {
                    Some(own) => own.to_string(),
                    None => format!("{last} ({status})"),
                },
            }))
        }
        Err(e) => Err(fail(e.to_string())),
    }
}

/// The machines that have something to build, with their parts, in declaration order.
fn parts(lab: &Lab) -> Vec<(&Machine, Lab)> {
    lab.machines
        .iter()
        .map(|m| (m, lab.part(&m.name)))
        .filter(|(_, p)| !p.is_empty_part())
        .collect()
}

/// The machines that hold hosts of the lab, in declaration order.
fn hosting(lab: &Lab) -> Vec<&Machine> {
    lab.machines
        .iter()
        .filter(|m| !lab.part(&m.name).hosts.is_empty())
        .collect()
}

/// What a machine's nslab printed as JSON (`what`: the command, for the error).
fn parsed<T: serde::de::DeserializeOwned>(m: &Machine, what: &str, out: &str) -> Result<T> {
    serde_json::from_str(out).map_err(|e| Error::Parse {
        what: format!("nslab {what} on machine `{}`", m.name),
        message: e.to_string(),
    })
}

/// Run `each` for every machine at once: the remote ones on threads, the local one (which
/// needs the backend) on this thread. Results in the order of `machines`.
fn on_each<T: Send>(
    machines: &[&Machine],
    backend: &mut dyn Backend,
    local: impl FnOnce(&Machine, &mut dyn Backend) -> Result<T>,
    each: impl Fn(&Machine) -> Result<T> + Sync,
) -> Vec<Result<T>> {
    std::thread::scope(|s| {
        let handles: Vec<_> = machines
            .iter()
            .map(|m| (!m.is_local()).then(|| s.spawn(|| each(m))))
            .collect();
        let mut here = machines
            .iter()
            .find(|m| m.is_local())
            .map(|m| local(m, backend));
        handles
            .into_iter()
            .map(|h| match h {
                Some(h) => h.join().unwrap_or_else(|_| {
                    Err(Error::Usage("a machine's thread panicked".to_string()))
                }),
                None => here.take().expect("one local machine"),
            })
            .collect()
    })
}

/// Bring a validated lab spread over machines up, every machine at once. If any machine
/// fails, every machine's part is taken down (a part that failed has undone itself; one cut
/// off midway is removed from its state) and the first failure is returned.
pub fn up(lab: &Lab, source: Option<&str>, backend: &mut dyn Backend) -> Result<()> {
    Record {
        source: source.map(str::to_string),
        lab: lab.clone(),
    }
    .create()?;
    let json = serde_json::to_string(lab).expect("lab serializes");
    let parts = parts(lab);
    let machines: Vec<&Machine> = parts.iter().map(|(m, _)| *m).collect();
    let part_of = |m: &Machine| {
        &parts
            .iter()
            .find(|(x, _)| x.name == m.name)
            .expect("part")
            .1
    };
    let results = on_each(
        &machines,
        backend,
        |m, b| apply::up(part_of(m), source, b),
        |m| remote(m, &["up", "--part", &m.name, "-"], Some(json.clone())).map(|_| ()),
    );
    // Machines where nslab never started, or refused before changing anything (exit 2: the
    // lab, or a name of it, is already there), are left as they are.
    let skip: Vec<String> = machines
        .iter()
        .zip(&results)
        .filter(|(_, r)| {
            r.as_ref()
                .err()
                .is_some_and(|e| matches!(e, Error::NotStarted { .. }) || e.exit_code() == 2)
        })
        .map(|(m, _)| m.name.clone())
        .collect();
    let Some(error) = results.into_iter().find_map(|r| r.err()) else {
        return Ok(());
    };
    match down_all(lab, &skip, backend, apply::DEFAULT_GRACE) {
        Ok(_) => Err(error),
        Err(undo) => Err(Error::Rollback {
            error: Box::new(error),
            undo: Box::new(undo),
        }),
    }
}

/// Take every machine's part down; the record goes when all are down. Returns, per machine
/// that had a part, whether it was up there.
fn down_all(
    lab: &Lab,
    skip: &[String],
    backend: &mut dyn Backend,
    grace: Duration,
) -> Result<Vec<(String, bool)>> {
    let parts = parts(lab);
    let machines: Vec<&Machine> = parts
        .iter()
        .map(|(m, _)| *m)
        .filter(|m| !skip.contains(&m.name))
        .collect();
    let secs = grace.as_secs_f64().to_string();
    let results = on_each(
        &machines,
        backend,
        |_, b| apply::down(&lab.name, b, grace).map(|d| matches!(d, Down::Removed(_))),
        |m| {
            let out = remote(
                m,
                &["down", "--part", "--json", "--grace", &secs, &lab.name],
                None,
            )?;
            let v: serde_json::Value = parsed(m, "down", &out)?;
            Ok(v["was_up"] == true)
        },
    );
    let mut done = Vec::new();
    let mut failed = Vec::new();
    for (m, r) in machines.iter().zip(results) {
        match r {
            Ok(was_up) => done.push((m.name.clone(), was_up)),
            Err(e) => failed.push(e),
        }
    }
    if let Some(last) = failed.pop() {
        for e in failed {
            eprintln!("nslab: {e}");
        }
        return Err(last);
    }
    Record::remove(&lab.name)?;
    Ok(done)
}

/// `nslab down` of a lab spread over machines.
pub fn down(
    record: &Record,
    backend: &mut dyn Backend,
    grace: Duration,
) -> Result<Vec<(String, bool)>> {
    down_all(&record.lab, &[], backend, grace)
}

/// Check a lab spread over machines: each machine probes from its own hosts (`nslab check
/// --part MACHINE --json -` on the others), and the pairs are merged into one report.
pub fn check(
    lab: &Lab,
    prober: Prober,
    timeout: Duration,
    backend: &mut dyn Backend,
) -> Result<Report> {
    let start = Instant::now();
    let machines = hosting(lab);
    let json = serde_json::to_string(lab).expect("lab serializes");
    let timeout_ms = timeout.as_millis().to_string();
    let results = on_each(
        &machines,
        backend,
        |m, _| check_part(lab, &m.name, prober, timeout),
        |m| {
            let mut args = vec![
                "check",
                "--part",
                &m.name,
                "--json",
                "--timeout",
                &timeout_ms,
            ];
            if prober == Prober::Ping {
                args.push("--ping");
            }
            args.push("-");
            let out = remote(m, &args, Some(json.clone()))?;
            parsed::<Report>(m, "check", &out)
        },
    );
    let hosts = lab.host_names();
    let mut report = Report {
        lab: lab.name.clone(),
        prober: String::new(),
        hosts: hosts.clone(),
        pairs: Vec::new(),
        neighbour_table_fulls: 0,
        backlog_drops: 0,
        elapsed_ms: 0.0,
        ok: true,
    };
    for r in results {
        let r = r?;
        report.prober = r.prober;
        report.pairs.extend(r.pairs);
        report.neighbour_table_fulls += r.neighbour_table_fulls;
        report.backlog_drops += r.backlog_drops;
    }
    let at = |h: &str| hosts.iter().position(|x| x == h);
    report.pairs.sort_by_key(|p| (at(&p.from), at(&p.to)));
    report.ok = report
        .pairs
        .iter()
        .all(|p| p.expected == p.reached && !p.unsure);
    report.elapsed_ms = start.elapsed().as_secs_f64() * 1000.0;
    Ok(report)
}

/// One machine's share of [`check`]: the pairs from its hosts to every host of the lab.
pub fn check_part(lab: &Lab, machine: &str, prober: Prober, timeout: Duration) -> Result<Report> {
    if apply::State::load(&lab.name)?.is_none() {
        return Err(Error::Usage(format!(
            "lab `{}` is not up on machine `{machine}`",
            lab.name
        )));
    }
    let own: Vec<String> = lab.part(machine).host_names();
    check::check_from(lab, Some(&own), prober, timeout)
}

/// What `status` says of one machine of a lab spread over machines: whether the lab is up
/// there, and each of its hosts there with whether its namespace is present (from that
/// machine's `nslab status --json`).
pub fn status_of(lab: &Lab, m: &Machine) -> Result<(bool, Vec<(String, bool)>)> {
    let own = lab.part(&m.name).host_names();
    if m.is_local() {
        let existing = crate::netns::list();
        let up = apply::State::load(&lab.name)?.is_some();
        return Ok((
            up,
            own.iter()
                .map(|h| (h.clone(), existing.contains(h)))
                .collect(),
        ));
    }
    let out = remote(m, &["status", "--json"], None)?;
    let v: serde_json::Value = parsed(m, "status", &out)?;
    let entry = v["labs"]
        .as_array()
        .and_then(|labs| labs.iter().find(|l| l["name"] == lab.name.as_str()));
    let present = |h: &str| {
        entry.is_some_and(|e| {
            e["hosts"]
                .as_array()
                .is_some_and(|hs| hs.iter().any(|x| x["name"] == h && x["present"] == true))
        })
    };
    Ok((
        entry.is_some(),
        own.iter().map(|h| (h.clone(), present(h))).collect(),
    ))
}

/// `show` of a lab spread over machines: each machine's hosts as that machine sees them
/// (`nslab show LAB --json` there), machine by machine.
pub fn show(
    lab: &Lab,
    backend: &mut dyn Backend,
) -> Result<Vec<(String, Vec<crate::show::NsView>)>> {
    let machines = hosting(lab);
    let results = on_each(
        &machines,
        backend,
        |m, b| {
            let names: Vec<Option<String>> = lab
                .part(&m.name)
                .host_names()
                .into_iter()
                .map(Some)
                .collect();
            crate::show::views(&names, b)
        },
        |m| {
            let out = remote(m, &["show", &lab.name, "--json"], None)?;
            #[derive(Deserialize)]
            struct Shown {
                namespaces: Vec<crate::show::NsView>,
            }
            parsed::<Shown>(m, "show", &out).map(|s| s.namespaces)
        },
    );
    machines
        .iter()
        .zip(results)
        .map(|(m, r)| r.map(|v| (m.name.clone(), v)))
        .collect()
}
