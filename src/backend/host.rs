//! Host work: the Ops that are not `ip` commands but things done inside a lab host once its
//! network is ready (its commands, and what comes with them). The iproute2 backend applies
//! them here, in order, each after every Op before it; everything spawned goes through
//! `run.rs`.

use super::script::shell_quote;
use crate::error::{Error, IoContext, Result};
use crate::op::Op;
use crate::run::{Bounded, Cmd};
use std::path::PathBuf;
use std::time::Duration;

/// Apply one Op for which [`Op::is_host_work`] holds.
pub fn apply(op: &Op) -> Result<()> {
    match op {
        Op::Run {
            ns,
            argv,
            timeout_ms,
        } => run(ns.as_deref(), argv, *timeout_ms),
        Op::WriteEtc { ns, file, text } => write_etc(ns.as_deref(), file, text),
        Op::DelEtc { ns, file } => del_etc(ns.as_deref(), file),
        Op::AddUts { ns, lab, hostname } => crate::netns::uts::create(lab, host_of(ns)?, hostname),
        Op::DelUts { ns, lab } => crate::netns::uts::remove(lab, host_of(ns)?),
        Op::Start { ns, service } => super::service::start(host_of(ns)?, service),
        other => unreachable!("not host work: {other:?}"),
    }
}

/// The host an Op that belongs to a host names.
fn host_of(ns: &Option<String>) -> Result<&str> {
    ns.as_deref()
        .ok_or_else(|| Error::Usage("hostnames and services belong to a host".into()))
}

/// A lab command: its output is printed once it has exited; one still running after its
/// timeout is reported and left for `down`.
fn run(ns: Option<&str>, argv: &[String], timeout_ms: u64) -> Result<()> {
    let mut cmd = Cmd::new(&argv[0]).args(&argv[1..]);
    if let Some(ns) = ns {
        cmd = cmd.in_netns(ns);
    }
    match cmd.run_bounded(Duration::from_millis(timeout_ms))? {
        Bounded::Finished(out) => print!("{}", out.stdout),
        Bounded::Running { pid } => {
            let words: Vec<String> = argv.iter().map(|w| shell_quote(w)).collect();
            eprintln!(
                "nslab: {}: `{}` is still running after {:.1} s (pid {pid}); left running, \
                 `nslab down` ends it",
                ns.unwrap_or("root namespace"),
                words.join(" "),
                timeout_ms as f64 / 1000.0
            );
        }
    }
    Ok(())
}

/// The first line of every file nslab writes under /etc/netns: what lets it (and only it)
/// replace or remove the file later.
pub const ETC_MARKER: &str = "# written by nslab";

/// `/etc/netns/NS/FILE`.
pub fn etc_path(ns: Option<&str>, file: &str) -> Result<PathBuf> {
    let ns = ns.ok_or_else(|| Error::Usage("/etc/netns files belong to a host".into()))?;
    crate::netns::check_name(ns).map_err(|m| Error::Usage(format!("bad host name: {m}")))?;
    Ok(std::path::Path::new(crate::netns::NETNS_ETC_DIR)
        .join(ns)
        .join(file))
}

/// Whether the file exists and nslab did not write it. Only the marker's bytes are read (a
/// lab of thousands of hosts has thousands of lines in every host's file).
pub fn etc_is_foreign(path: &std::path::Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; ETC_MARKER.len()];
    match std::fs::File::open(path) {
        Ok(f) => {
            let mut f = f.take(head.len() as u64);
            let mut n = 0;
            while let Ok(k @ 1..) = f.read(&mut head[n..]) {
                n += k;
            }
            head[..n] != *ETC_MARKER.as_bytes()
        }
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    }
}

fn write_etc(ns: Option<&str>, file: &str, text: &str) -> Result<()> {
    let path = etc_path(ns, file)?;
    if etc_is_foreign(&path) {
        return Err(Error::Usage(format!(
            "{} exists and was not written by nslab: not replacing it",
            path.display()
        )));
    }
    let dir = path.parent().expect("a directory");
    std::fs::create_dir_all(dir).ctx_path(dir)?;
    let tmp = path.with_extension("nslab-tmp");
    std::fs::write(&tmp, text).ctx_path(&tmp)?;
    std::fs::rename(&tmp, &path).ctx_path(&path)
}

fn del_etc(ns: Option<&str>, file: &str) -> Result<()> {
    let path = etc_path(ns, file)?;
    let _ = std::fs::remove_file(path.with_extension("nslab-tmp"));
    if path.exists() && !etc_is_foreign(&path) {
        std::fs::remove_file(&path).ctx_path(&path)?;
    }
    // Only if empty: anything the user put there stays.
    let _ = std::fs::remove_dir(path.parent().expect("a directory"));
    Ok(())
}
