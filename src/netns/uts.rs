//! Hostnames: each lab host's own UTS namespace, kept at `/run/nslab/uts/LAB/HOST` by a bind
//! mount of the namespace file, as `ip netns add` keeps a network namespace at
//! `/run/netns/NAME` (and as `unshare --uts=FILE` does). `HOST` is the host's namespace name,
//! which is unique across labs, so [`open_for`] finds a namespace's UTS file by that name
//! alone. Nothing but nslab joins it: `ip netns exec` users keep the root hostname.
//!
//! Made on a fresh thread (namespace membership is per thread): `unshare(CLONE_NEWUTS)`,
//! `sethostname`, then bind-mount `/proc/thread-self/ns/uts` onto the file; the namespace
//! lives on through the mount when the thread ends. Removed by unmounting (detached) and
//! unlinking; a file left unmounted by a killed `up` is only unlinked.

use super::{errno_msg, run_dir};
use crate::error::{Error, IoContext, Result};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

/// `/run/nslab/uts`.
pub fn dir() -> PathBuf {
    run_dir().join("uts")
}

/// `/run/nslab/uts/LAB/HOST`.
pub fn path(lab: &str, host: &str) -> PathBuf {
    dir().join(lab).join(host)
}

/// Whether `f` is a namespace file (nsfs), not an empty file left by a killed `up`.
fn is_nsfs(f: &std::fs::File) -> bool {
    use nix::sys::statfs::{fstatfs, NSFS_MAGIC};
    fstatfs(f).is_ok_and(|s| s.filesystem_type() == NSFS_MAGIC)
}

/// Make host `host`'s UTS namespace with `hostname` and keep it at [`path`].
pub fn create(lab: &str, host: &str, hostname: &str) -> Result<()> {
    let file = path(lab, host);
    let parent = file.parent().expect("a directory");
    std::fs::create_dir_all(parent).ctx_path(parent)?;
    if std::fs::File::open(&file).is_ok_and(|f| is_nsfs(&f)) {
        return Err(Error::Usage(format!(
            "{} already holds a UTS namespace",
            file.display()
        )));
    }
    std::fs::write(&file, b"").ctx_path(&file)?;
    let made = std::thread::scope(|s| {
        s.spawn(|| -> std::result::Result<(), (&str, nix::errno::Errno)> {
            unshare(CloneFlags::CLONE_NEWUTS).map_err(|e| ("unshare(CLONE_NEWUTS)", e))?;
            nix::unistd::sethostname(hostname).map_err(|e| ("sethostname", e))?;
            mount(
                Some("/proc/thread-self/ns/uts"),
                &file,
                Some("none"),
                MsFlags::MS_BIND,
                None::<&str>,
            )
            .map_err(|e| ("mount --bind", e))
        })
        .join()
        .expect("UTS thread panicked")
    });
    made.map_err(|(what, e)| {
        let _ = std::fs::remove_file(&file);
        Error::netns(format!("{what} for {}", file.display()), errno_msg(e))
    })
}

/// Unmount and unlink host `host`'s UTS file, then the lab's directory if empty. Missing
/// is fine (a lab that never got that far, or one already down).
pub fn remove(lab: &str, host: &str) -> Result<()> {
    let file = path(lab, host);
    // Detached: a process that has it open keeps the namespace, not the mount. Unlinking
    // also detaches copies of the mount in other mount namespaces (Linux ≥ 3.18).
    let _ = umount2(&file, MntFlags::MNT_DETACH);
    match std::fs::remove_file(&file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(Error::io(file.display().to_string(), e))
        }
        _ => {}
    }
    let _ = std::fs::remove_dir(file.parent().expect("a directory"));
    Ok(())
}

/// The UTS namespace of the host whose network namespace is `ns`, opened (`O_CLOEXEC`), if
/// a lab gave it one: `/run/nslab/uts/*/NS`, one directory listing and one open per lab.
pub fn open_for(ns: &str) -> Option<OwnedFd> {
    let labs = std::fs::read_dir(dir()).ok()?;
    labs.flatten().find_map(|lab| {
        let f = std::fs::File::open(lab.path().join(ns)).ok()?;
        is_nsfs(&f).then(|| f.into())
    })
}

/// The hostname inside a host's UTS namespace (read on a thread that joined it).
pub fn hostname_of(lab: &str, host: &str) -> Option<String> {
    let f = std::fs::File::open(path(lab, host)).ok()?;
    if !is_nsfs(&f) {
        return None;
    }
    std::thread::scope(|s| {
        s.spawn(|| {
            setns(f.as_fd(), CloneFlags::CLONE_NEWUTS).ok()?;
            nix::unistd::gethostname().ok()?.into_string().ok()
        })
        .join()
        .ok()
        .flatten()
    })
}
