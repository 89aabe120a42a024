//! Threads inside a namespace: a fresh thread that only does `setns` (step 2), for sysctls
//! and sockets. Network namespace membership is per thread, and a socket keeps the
//! namespace it was created in.

use super::{errno_msg, open_netns};
use crate::error::{Error, Result};
use nix::sched::{setns, CloneFlags};
use std::os::fd::AsFd;
use std::path::Path;

/// Run `f` on a fresh thread that has joined the network namespace `name` (step 2 only).
pub fn in_netns<T: Send>(name: &str, f: impl FnOnce() -> T + Send) -> Result<T> {
    let fd = open_netns(name)?;
    std::thread::scope(|s| {
        s.spawn(move || {
            setns(fd.as_fd(), CloneFlags::CLONE_NEWNET)
                .map_err(|e| Error::netns(format!("setns into `{name}`"), errno_msg(e)))?;
            Ok(f())
        })
        .join()
        .expect("namespace thread panicked")
    })
}

/// Write a sysctl (`net.ipv4.ip_forward`) in a namespace (`None`: this one).
pub fn write_sysctl(ns: Option<&str>, key: &str, value: &str) -> Result<()> {
    let path = Path::new("/proc/sys").join(key.replace('.', "/"));
    let write = || {
        std::fs::write(&path, format!("{value}\n"))
            .map_err(|e| Error::io(format!("sysctl {key} ({})", path.display()), e))
    };
    match ns {
        Some(ns) => in_netns(ns, write)?,
        None => write(),
    }
}

/// Read sysctls (`net.ipv4.ip_forward`) in a namespace, from one thread that joined it;
/// `None` for a key the namespace does not have.
pub fn read_sysctls(ns: &str, keys: &[&str]) -> Result<Vec<Option<String>>> {
    in_netns(ns, || {
        keys.iter()
            .map(|k| std::fs::read_to_string(Path::new("/proc/sys").join(k.replace('.', "/"))).ok())
            .collect()
    })
}
