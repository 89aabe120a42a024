//! Processes that live in a lab, found the way `ip netns pids` finds them: by the nsfs
//! identity (device and inode) of their network namespace, read from `/proc/PID/ns/net` and,
//! for a process whose threads entered a namespace on their own, `/proc/PID/task/TID/ns/net`.
//! [`end`] ends them (SIGTERM, a grace period, SIGKILL) so that deleting the namespace files
//! really ends the namespaces; [`holders`] says what still keeps one alive afterwards
//! (a process, an open descriptor, a mount in some mount namespace).

use crate::error::Error;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde::Serialize;
use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// The kernel identity of a namespace: the nsfs device and inode of its handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NsId {
    pub dev: u64,
    pub ino: u64,
}

impl NsId {
    /// The identity of a namespace handle (a bind-mounted file under /run/netns, a
    /// /proc/PID/ns/net link); `None` if it is not there or not a namespace.
    pub fn of(path: &Path) -> Option<NsId> {
        use nix::sys::statfs::{statfs, NSFS_MAGIC};
        // An unmounted namespace file (a half-made `ip netns add`) is an empty tmpfs file.
        if statfs(path).ok()?.filesystem_type() != NSFS_MAGIC {
            return None;
        }
        let m = std::fs::metadata(path).ok()?;
        Some(NsId {
            dev: m.dev(),
            ino: m.ino(),
        })
    }
}

/// A named network namespace and its identity. It holds the namespace open, so that the
/// identity cannot pass to a new namespace (the kernel reuses nsfs inode numbers) while
/// nslab still asks about it: once every other holder is gone and the `Space` is dropped,
/// the namespace is freed.
#[derive(Debug, Clone)]
pub struct Space {
    pub name: String,
    pub id: NsId,
    _held: std::sync::Arc<std::fs::File>,
}

/// The named namespaces among `names` that exist (are mounted), with their identities.
pub fn spaces(names: &[String]) -> Vec<Space> {
    names
        .iter()
        .filter_map(|n| {
            let path = super::netns_path(n).ok()?;
            let id = NsId::of(&path)?;
            let held = std::fs::File::open(&path).ok()?;
            // The file is the namespace we measured (not one mounted over it meanwhile).
            let m = held.metadata().ok()?;
            (NsId {
                dev: m.dev(),
                ino: m.ino(),
            } == id)
                .then(|| Space {
                    name: n.clone(),
                    id,
                    _held: std::sync::Arc::new(held),
                })
        })
        .collect()
}

/// A process found in a lab namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proc {
    pub pid: i32,
    /// `/proc/PID/comm`.
    pub command: String,
    /// The namespace it was found in.
    pub host: String,
}

fn pids() -> Vec<i32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

fn ns_of(path: &str) -> Option<NsId> {
    let m = std::fs::metadata(path).ok()?;
    Some(NsId {
        dev: m.dev(),
        ino: m.ino(),
    })
}

/// Which of `spaces` process `pid` (or one of its threads) is in.
fn space_of(pid: i32, spaces: &[Space]) -> Option<&Space> {
    let find = |id: NsId| spaces.iter().find(|s| s.id == id);
    if let Some(s) = ns_of(&format!("/proc/{pid}/ns/net")).and_then(find) {
        return Some(s);
    }
    // A thread may have joined a namespace alone (setns in a thread, as nslab itself does).
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    tasks
        .filter_map(|t| t.ok()?.file_name().into_string().ok())
        .filter(|t| *t != pid.to_string())
        .find_map(|t| ns_of(&format!("/proc/{pid}/task/{t}/ns/net")).and_then(find))
}

/// Every process (but this one) that is, or has a thread, in one of `spaces`.
pub fn in_spaces(spaces: &[Space]) -> Vec<Proc> {
    if spaces.is_empty() {
        return Vec::new();
    }
    let me = std::process::id() as i32;
    pids()
        .into_iter()
        .filter(|p| *p != me)
        .filter_map(|pid| {
            let s = space_of(pid, spaces)?;
            let command = std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .map(|c| c.trim_end().to_string())
                .unwrap_or_default();
            Some(Proc {
                pid,
                command,
                host: s.name.clone(),
            })
        })
        .collect()
}

/// What [`end`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Ended {
    /// Processes that were in the lab and are gone.
    pub ended: Vec<Proc>,
    /// Processes still there after SIGKILL (in uninterruptible sleep, or not ours to kill).
    pub survivors: Vec<Proc>,
}

/// How long to keep sending SIGKILL to what is left before calling it a survivor.
const KILL_WAIT: Duration = Duration::from_secs(2);
const POLL: Duration = Duration::from_millis(10);

/// End every process in `spaces`: `first` (the lab's services) get SIGTERM first and up to
/// `grace` to go; then everything left in the namespaces gets SIGTERM, what is still there
/// after `grace` gets SIGKILL. The namespaces are rescanned on every round, so children forked
/// meanwhile (a daemon double-forking on SIGTERM) are found too.
pub fn end(spaces: &[Space], first: &[i32], grace: Duration) -> Ended {
    let mut seen: Vec<Proc> = Vec::new();
    let mut note = |found: &[Proc]| {
        for p in found {
            if !seen.iter().any(|s| s.pid == p.pid) {
                seen.push(p.clone());
            }
        }
    };
    let signal = |procs: &[Proc], sig: Signal| {
        for p in procs {
            let _ = kill(Pid::from_raw(p.pid), sig);
        }
    };
    let mut found = in_spaces(spaces);
    note(&found);
    // Services first, so that they stop before what they talk to.
    let services: Vec<Proc> = found
        .iter()
        .filter(|p| first.contains(&p.pid))
        .cloned()
        .collect();
    if !services.is_empty() {
        signal(&services, Signal::SIGTERM);
        let start = Instant::now();
        while start.elapsed() < grace {
            found = in_spaces(spaces);
            note(&found);
            if !found.iter().any(|p| first.contains(&p.pid)) {
                break;
            }
            std::thread::sleep(POLL);
        }
    }
    let start = Instant::now();
    let mut termed: BTreeSet<i32> = BTreeSet::new();
    while !found.is_empty() && start.elapsed() < grace {
        let fresh: Vec<Proc> = found
            .iter()
            .filter(|p| termed.insert(p.pid))
            .cloned()
            .collect();
        signal(&fresh, Signal::SIGTERM);
        std::thread::sleep(POLL);
        found = in_spaces(spaces);
        note(&found);
    }
    let start = Instant::now();
    while !found.is_empty() && start.elapsed() < KILL_WAIT {
        signal(&found, Signal::SIGKILL);
        std::thread::sleep(POLL);
        found = in_spaces(spaces);
        note(&found);
    }
    let survivors = found;
    let ended = seen
        .into_iter()
        .filter(|p| !survivors.iter().any(|s| s.pid == p.pid))
        .collect();
    Ended { ended, survivors }
}

/// What still holds a namespace of `spaces` alive, one line each (empty: they are gone from
/// the kernel): a process in it, an open descriptor of it, or a mount of it in any mount
/// namespace. Sockets created in it are not visible here.
pub fn holders(spaces: &[Space]) -> Vec<String> {
    let mut out: Vec<String> = in_spaces(spaces)
        .into_iter()
        .map(|p| {
            format!(
                "process {} ({}) is in namespace `{}`",
                p.pid, p.command, p.host
            )
        })
        .collect();
    let me = std::process::id() as i32;
    let label = |s: &Space| format!("net:[{}]", s.id.ino);
    let mut mount_spaces = BTreeSet::new();
    for pid in pids() {
        if pid == me {
            continue;
        }
        if let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
            for fd in fds.flatten() {
                let Ok(target) = std::fs::read_link(fd.path()) else {
                    continue;
                };
                let target = target.to_string_lossy();
                if let Some(s) = spaces.iter().find(|s| target == label(s)) {
                    if ns_of(&fd.path().to_string_lossy()) == Some(s.id) {
                        out.push(format!(
                            "process {pid} holds namespace `{}` open (fd {})",
                            s.name,
                            fd.file_name().to_string_lossy()
                        ));
                    }
                }
            }
        }
        // One mount table per mount namespace.
        let Some(mnt) = ns_of(&format!("/proc/{pid}/ns/mnt")) else {
            continue;
        };
        if !mount_spaces.insert(mnt) {
            continue;
        }
        let Ok(table) = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")) else {
            continue;
        };
        for line in table.lines() {
            let fields: Vec<&str> = line.split(' ').collect();
            let fstype = line.split(" - ").nth(1).and_then(|r| r.split(' ').next());
            if fstype != Some("nsfs") || fields.len() < 5 {
                continue;
            }
            if let Some(s) = spaces.iter().find(|s| fields[3] == label(s)) {
                out.push(format!(
                    "namespace `{}` is still mounted on {} (mount namespace of process {pid})",
                    s.name, fields[4]
                ));
            }
        }
    }
    out
}

/// The error for processes [`end`] could not end: one line naming the first (the others are
/// printed before it by the caller).
pub fn survivor_error(p: &Proc) -> Error {
    Error::Netns {
        what: format!("process {} ({}) in `{}`", p.pid, p.command, p.host),
        message: "could not be ended (still there after SIGKILL)".into(),
    }
}

/// Whether `pid` is alive and in the namespace `space` (for reading PIDs from state files:
/// a recycled PID elsewhere is not ours).
pub fn alive_in(pid: i32, space: &Space) -> bool {
    ns_of(&format!("/proc/{pid}/ns/net")) == Some(space.id)
}

/// Read `/proc/PID/stat`'s start time (clock ticks after boot), to tell a process from a
/// later one with the same PID.
pub fn start_ticks(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command may contain spaces and parentheses: fields count from the last `)`.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(19)?.parse().ok()
}

/// Seconds since boot, from /proc/uptime.
pub fn uptime_secs() -> Option<f64> {
    std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split(' ')
        .next()?
        .parse()
        .ok()
}

/// How long ago process `pid` started, in seconds.
pub fn age_secs(pid: i32) -> Option<f64> {
    let ticks = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok()??;
    let started = start_ticks(pid)? as f64 / ticks as f64;
    Some((uptime_secs()? - started).max(0.0))
}
