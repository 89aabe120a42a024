//! The only module with FFI (through `nix`). It owns three things:
//!
//! 1. **Entering a named network namespace with the semantics of `ip netns exec`**
//!    (ip-netns(8); iproute2 `lib/namespace.c` `netns_switch`, `lib/exec.c` `cmd_exec`).
//!    This is the one place the order is written down. The steps, in this order:
//!    1. open `/run/netns/NAME` (`O_CLOEXEC`: it does not reach the command);
//!    2. `setns(fd, CLONE_NEWNET)`; then, for [`Entry::Full`], `setns` into the host's UTS
//!       namespace if a lab gave it one (`/run/nslab/uts/LAB/NAME`, opened with step 1; see
//!       [`uts`]). `ip netns exec` has no such step: [`Entry::NoUts`] is exactly ip's;
//!    3. `unshare(CLONE_NEWNS)`: a private mount namespace for what follows;
//!    4. mount `/` recursively `MS_SLAVE`, so nothing we mount propagates back to the host;
//!    5. detach `/sys` (`umount2(MNT_DETACH)`) and mount a fresh sysfs (source: NAME), which
//!       then describes the new network namespace; if `/sys` could not be detached and is
//!       read-only, the new one is mounted read-only too (a read-only mount cannot be
//!       shadowed by a read-write one);
//!    6. bind-mount each entry of `/etc/netns/NAME/` over `/etc/ENTRY`, in directory order;
//!       a failed bind is reported (`Bind SRC -> DST failed: ERR`) and the rest still made;
//!    7. `execvp` the command (PATH search).
//!
//!    [`Entry::NetOnly`] (`--no-mount`) stops after step 2 (without the UTS namespace): that
//!    is `nsenter --net`.
//!    [`exec`] does the steps in this process and replaces it; [`setup_child`] /
//!    [`prepare_child`] do them in a forked child just before exec (run.rs's spawn path),
//!    with step 1 and the listing of step 6 done in the parent before the fork.
//!    Not done: ip's `vrf_reset()` before step 2 (leaving an `ip vrf exec` cgroup; nslab
//!    puts no process in a VRF cgroup) and its `drop_cap()` for a setcap'd non-root `ip`.
//! 2. **Threads inside a namespace** ([`in_netns`]): a fresh thread that only does step 2, for
//!    sysctls and probe sockets. Network namespace membership is per thread, and a socket
//!    keeps the namespace it was created in.
//! 3. **ICMP echo probes** from raw sockets opened inside a namespace ([`probe`]).
//!
//! Every `unsafe` block is in this folder, each with a `SAFETY:` comment. The files:
//! - this one: namespace names and their files under /run/netns;
//! - [`enter`]: entering a namespace as `ip netns exec` does (steps 1–7), in this process or
//!   in a forked child;
//! - [`thread`]: threads inside a namespace (sysctls, sockets);
//! - [`probe`]: ICMP echo probes;
//! - [`linkstate`]: making the kernel apply pending link events now;
//! - [`process`]: the process set-up nslab does first thing in main, undone before exec;
//! - [`uts`]: each lab host's UTS namespace (its hostname), kept under /run/nslab/uts;
//! - [`supervise`]: the signal handling of a service's supervisor, and its child's set-up;
//! - [`procs`]: finding and ending the processes in a lab's namespaces.

mod enter;
mod linkstate;
mod probe;
mod process;
pub mod procs;
pub mod supervise;
mod thread;
pub mod uts;

pub use enter::{exec, prepare_child, setup_child, ChildSetup, Entry};
pub use linkstate::sync_links;
pub use probe::{probe, probe_many};
pub use process::{process_args, process_setup, write_to_child};
pub use thread::{in_netns, in_new_netns, read_sysctls, write_sysctl};

use crate::error::{Error, Result};
use nix::errno::Errno;
use nix::mount::{umount2, MntFlags};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

/// Where `ip netns` keeps its namespace files.
pub const NETNS_RUN_DIR: &str = "/run/netns";
/// Where per-namespace /etc files live.
pub const NETNS_ETC_DIR: &str = "/etc/netns";

/// nslab's own directory under /run (lab state, the lock, UTS namespaces, service logs);
/// `NSLAB_STATE_DIR` overrides it.
pub fn run_dir() -> PathBuf {
    std::env::var_os("NSLAB_STATE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/run/nslab"))
}

/// Names nslab accepts for namespaces and devices: 1–15 bytes, printable, no `/`, no
/// whitespace, not `.`/`..`, no leading `-`. Returns why not.
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    let shown = crate::error::escape_controls(name);
    if name.is_empty() {
        return Err("empty name".into());
    }
    if name.len() > 15 {
        return Err(format!("`{shown}` is longer than 15 bytes"));
    }
    if name == "." || name == ".." {
        return Err(format!("`{name}` is not a name"));
    }
    if name.starts_with('-') {
        return Err(format!("`{shown}` starts with `-`"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| *c == '/' || c.is_whitespace() || c.is_control() || !c.is_ascii())
    {
        return Err(format!("`{shown}` contains {c:?}"));
    }
    Ok(())
}

/// The path of a namespace file, after checking the name.
pub fn netns_path(name: &str) -> Result<PathBuf> {
    check_name(name).map_err(|m| Error::Usage(format!("bad namespace name: {m}")))?;
    Ok(Path::new(NETNS_RUN_DIR).join(name))
}

/// Whether the named namespace is ready: its file under /run/netns has the namespace bound
/// onto it. `ip netns add` creates the file a moment before it mounts the namespace there.
pub fn is_mounted(name: &str) -> bool {
    use nix::sys::statfs::{statfs, NSFS_MAGIC};
    netns_path(name)
        .ok()
        .and_then(|p| statfs(&p).ok())
        .is_some_and(|s| s.filesystem_type() == NSFS_MAGIC)
}

/// The named namespaces, as `ip netns list` sees them (the files in /run/netns), sorted.
pub fn list() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(NETNS_RUN_DIR)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Open a named namespace (step 1). An unknown name is an error that lists the known ones.
pub fn open_netns(name: &str) -> Result<OwnedFd> {
    let path = netns_path(name)?;
    // std opens with O_CLOEXEC, like ip: the descriptor must not leak into the command.
    match std::fs::File::open(&path) {
        Ok(f) => Ok(f.into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let known = list();
            Err(Error::netns(
                format!("namespace `{name}`"),
                format!(
                    "does not exist (named namespaces: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            ))
        }
        Err(e) => Err(Error::netns(
            format!("open {}", path.display()),
            match e.raw_os_error() {
                Some(n) => errno_msg(Errno::from_raw(n)).to_string(),
                None => e.to_string(),
            },
        )),
    }
}

/// An errno's text, naming the capability a privilege error calls for.
fn errno_msg(e: Errno) -> &'static str {
    match e {
        Errno::EPERM => "Operation not permitted (needs CAP_SYS_ADMIN)",
        Errno::EACCES => "Permission denied (needs root, or CAP_DAC_OVERRIDE)",
        e => e.desc(),
    }
}

/// The named namespaces that are the network namespace of process `pid` (`None`: this
/// process), like `ip netns identify`: each `/run/netns` file with the same device and
/// inode as `/proc/PID/ns/net`. Sorted; several names can share a namespace (ip prints
/// only the last one it meets).
pub fn identify(pid: Option<u32>) -> Result<Vec<String>> {
    use std::os::unix::fs::MetadataExt;
    let proc = match pid {
        Some(p) => format!("/proc/{p}/ns/net"),
        None => "/proc/self/ns/net".to_string(),
    };
    let me = std::fs::metadata(&proc).map_err(|e| match (pid, e.kind()) {
        (Some(p), std::io::ErrorKind::NotFound) => Error::Usage(format!("no process {p}")),
        _ => Error::io(&proc, e),
    })?;
    Ok(list()
        .into_iter()
        .filter(|n| {
            std::fs::metadata(Path::new(NETNS_RUN_DIR).join(n))
                .is_ok_and(|m| m.dev() == me.dev() && m.ino() == me.ino())
        })
        .collect())
}

/// Remove a namespace file that `ip netns del` left (or that a killed `ip netns add` left
/// half made): detach the bind mount if there is one, then unlink. Missing is fine.
pub fn remove_stale(name: &str) -> Result<()> {
    let path = netns_path(name)?;
    let _ = umount2(&path, MntFlags::MNT_DETACH);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::io(path.display().to_string(), e))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::check_name;

    #[test]
    fn names_are_checked_for_length_and_charset() {
        assert!(check_name("ns1").is_ok());
        assert!(check_name("abcdefghijklmno").is_ok());
        assert!(check_name("abcdefghijklmnop").is_err());
        assert!(check_name("a/b").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name("-a").is_err());
        assert!(check_name("..").is_err());
        assert!(check_name("").is_err());
    }
}
