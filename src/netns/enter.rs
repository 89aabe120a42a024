//! Entering a named network namespace with the semantics of `ip netns exec` (the steps are
//! listed in the [module doc](super)): [`exec`] in this process, [`setup_child`] /
//! [`prepare_child`] in a forked child just before exec.

use super::process::{ignore_sigpipe_as_found, restore_as_found};
use super::{errno_msg, open_netns, NETNS_ETC_DIR};
use crate::error::{Error, Result};
use nix::errno::Errno;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};
use nix::sys::statvfs::{statvfs, FsFlags};
use std::ffi::{CStr, CString, OsString};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

/// How much of `ip netns exec` to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// Steps 1–6 (`ip netns exec`), and the host's UTS namespace when a lab gave it one
    /// (see [`super::uts`]): `hostname` prints the host's name.
    Full,
    /// Steps 1–6 only, exactly `ip netns exec` (`nslab exec --no-uts`).
    NoUts,
    /// Steps 1–2 only: `nsenter --net`. Faster; /sys and /etc stay the host's.
    NetOnly,
}

/// A step of entering that can fail (for messages that name it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Setns,
    SetnsUts,
    UnshareMount,
    MakeRslave,
    MountSys,
}

impl Step {
    fn what(self) -> &'static str {
        match self {
            Step::Setns => "setns(CLONE_NEWNET)",
            Step::SetnsUts => "setns(CLONE_NEWUTS)",
            Step::UnshareMount => "unshare(CLONE_NEWNS)",
            Step::MakeRslave => "mount --make-rslave /",
            Step::MountSys => "mount sysfs on /sys",
        }
    }
}

/// Step 6's bind mounts, `(/etc/netns/NAME/ENTRY, /etc/ENTRY)`, in directory order like ip.
struct EtcBinds(Vec<(CString, CString)>);

impl EtcBinds {
    fn list(name: &str) -> EtcBinds {
        use std::os::unix::ffi::OsStrExt;
        let dir = Path::new(NETNS_ETC_DIR).join(name);
        let mut binds = Vec::new();
        // No directory (the usual case) means nothing to bind, as for ip.
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let file = entry.file_name();
            let src = dir.join(&file);
            let dst = Path::new("/etc").join(&file);
            // Paths from a directory listing hold no NUL byte.
            if let (Ok(s), Ok(d)) = (
                CString::new(src.as_os_str().as_bytes()),
                CString::new(dst.as_os_str().as_bytes()),
            ) {
                binds.push((s, d));
            }
        }
        EtcBinds(binds)
    }

    /// Like ip, a failed bind is reported (`Bind SRC -> DST failed: ERR`) and the others are
    /// still made. Writes straight to fd 2: this may run between fork and exec.
    fn mount(&self) {
        for (src, dst) in &self.0 {
            let done = mount(
                Some(src.as_c_str()),
                dst.as_c_str(),
                Some("none"),
                MsFlags::MS_BIND,
                None::<&str>,
            );
            if let Err(e) = done {
                let (s, d) = (src.as_bytes(), dst.as_bytes());
                write_stderr(&[
                    b"Bind ",
                    s,
                    b" -> ",
                    d,
                    b" failed: ",
                    e.desc().as_bytes(),
                    b"\n",
                ]);
            }
        }
    }
}

/// Where step 6 gets its list: read now (in the process that is about to exec, after step
/// 5, as ip does) or read earlier, before a fork, since a forked child should not allocate.
enum Etc<'a> {
    ReadNow(&'a str),
    Listed(&'a EtcBinds),
}

/// Steps 2–6 (see the module docs), on a namespace opened in step 1, and the host's UTS
/// namespace (`uts`, opened with it) right after step 2. The only code that performs them;
/// [`exec`] and [`setup_child`] both come here.
fn enter(
    netns: BorrowedFd<'_>,
    uts: Option<BorrowedFd<'_>>,
    sysfs_source: &CStr,
    entry: Entry,
    etc: Etc<'_>,
) -> std::result::Result<(), (Step, Errno)> {
    setns(netns, CloneFlags::CLONE_NEWNET).map_err(|e| (Step::Setns, e))?;
    if let Some(uts) = uts {
        setns(uts, CloneFlags::CLONE_NEWUTS).map_err(|e| (Step::SetnsUts, e))?;
    }
    if entry == Entry::NetOnly {
        return Ok(());
    }
    unshare(CloneFlags::CLONE_NEWNS).map_err(|e| (Step::UnshareMount, e))?;
    mount(
        Some(""),
        "/",
        Some("none"),
        MsFlags::MS_SLAVE | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| (Step::MakeRslave, e))?;
    let mut sys_flags = MsFlags::empty();
    if umount2("/sys", MntFlags::MNT_DETACH).is_err() {
        // Nothing to detach, or it cannot be: then we mount over it, and a read-only sysfs
        // cannot be shadowed by a read-write one.
        if statvfs("/sys").is_ok_and(|st| st.flags().contains(FsFlags::ST_RDONLY)) {
            sys_flags |= MsFlags::MS_RDONLY;
        }
    }
    // The source is only a label; ip uses the namespace name, so /proc/mounts shows it.
    mount(
        Some(sysfs_source),
        "/sys",
        Some("sysfs"),
        sys_flags,
        None::<&str>,
    )
    .map_err(|e| (Step::MountSys, e))?;
    match etc {
        Etc::ReadNow(name) => EtcBinds::list(name).mount(),
        Etc::Listed(binds) => binds.mount(),
    }
    Ok(())
}

/// Write pieces of a message to stderr with plain write(2) calls: no allocation and no
/// lock, so it is safe between fork and exec.
fn write_stderr(parts: &[&[u8]]) {
    let fd = std::io::stderr();
    for p in parts {
        let _ = nix::unistd::write(fd.as_fd(), p);
    }
}

/// What a forked child does before exec (see [`setup_child`]).
#[derive(Debug, Clone, Copy)]
pub struct ChildSetup<'a> {
    /// Enter this named namespace.
    pub netns: Option<&'a str>,
    pub entry: Entry,
    /// Be killed when nslab dies (so a SIGKILLed `nslab up` leaves no `ip` running behind
    /// `nslab down`'s back). Off for the commands of `nslab exec --lab/--all`: they outlive
    /// nslab like those of `ip -all netns exec`, and get SIGPIPE as nslab's caller left it.
    pub die_with_parent: bool,
    /// Start a session of its own (setsid): a lab service, detached from nslab's terminal
    /// and process group.
    pub new_session: bool,
}

/// The spawn path of `run.rs`: the child dies with nslab and, with `ns`, enters it (fully,
/// or its network namespace only).
pub fn prepare_child(command: &mut std::process::Command, ns: Option<&str>, entry: Entry) {
    setup_child(
        command,
        ChildSetup {
            netns: ns,
            entry,
            die_with_parent: true,
            new_session: false,
        },
    );
}

/// Arrange for `command`'s child to do `setup` between fork and exec. Step 1 and the listing
/// of step 6 happen here, in the parent; the child does steps 2–6 with plain syscalls. If
/// a step fails, the child says which on stderr and exits with 255, as `ip netns exec` does
/// when it cannot enter.
pub fn setup_child(command: &mut std::process::Command, setup: ChildSetup<'_>) {
    use std::os::unix::process::CommandExt;
    let die_with_parent = setup.die_with_parent;
    let new_session = setup.new_session;
    let entry = setup.entry;
    let target = match setup.netns.map(|ns| {
        let fd = open_netns(ns)?;
        let uts = uts_for(ns, entry);
        let source = CString::new(ns).map_err(|_| Error::Usage("bad name".into()))?;
        Ok::<_, Error>((fd, uts, source, EtcBinds::list(ns)))
    }) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            // Fail in the child with the message, so the caller sees a normal command error.
            let msg = format!("nslab: {e}\n");
            // SAFETY: the closure only calls write(2) and _exit(2), both async-signal-safe,
            // on a message formatted before the fork.
            unsafe {
                command.pre_exec(move || {
                    write_stderr(&[msg.as_bytes()]);
                    nix::libc::_exit(255)
                });
            }
            return;
        }
    };
    // SAFETY: between fork and exec the closure makes only plain syscalls (prctl, sigaction,
    // setsid, setns, unshare, mount, umount2, statvfs, write, _exit) on data prepared before
    // the fork; it neither allocates nor takes a lock.
    unsafe {
        command.pre_exec(move || {
            if new_session {
                let _ = nix::unistd::setsid();
            }
            if die_with_parent {
                let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL);
            } else {
                // A command of `nslab exec`: SIGPIPE as nslab's caller left it.
                ignore_sigpipe_as_found();
            }
            if let Some((fd, uts, source, binds)) = &target {
                let uts = uts.as_ref().map(|u| u.as_fd());
                if let Err((step, e)) = enter(fd.as_fd(), uts, source, entry, Etc::Listed(binds)) {
                    let e = errno_msg(e).as_bytes();
                    write_stderr(&[b"nslab: ", step.what().as_bytes(), b": ", e, b"\n"]);
                    nix::libc::_exit(255);
                }
            }
            Ok(())
        });
    }
}

/// Enter `name` in this process and replace it with `argv` (PATH search, like execvp(3)).
/// Just before the exec, what [`process_setup`] changed is put back, so the command
/// inherits exactly what nslab's caller gave nslab (environment, cwd, fds, signal
/// dispositions and mask), as under `ip netns exec`. Returns only on failure, with the
/// exit code `ip netns exec` has in the same case: 255 when entering fails (unknown
/// namespace, missing privilege), 1 when the exec fails.
pub fn exec(name: &str, argv: &[OsString], entry: Entry) -> Error {
    let cannot_enter = |e: Error| Error::Exec {
        message: e.to_string(),
        code: 255,
    };
    // Step 1, and the exec arguments, before anything changes.
    let fd = match open_netns(name) {
        Ok(fd) => fd,
        Err(e) => return cannot_enter(e),
    };
    let Some(program) = argv.first() else {
        return Error::Usage("no command given".into());
    };
    let args: Vec<CString> = match argv.iter().map(|a| os_cstring(a)).collect() {
        Ok(v) => v,
        Err(e) => return e,
    };
    let source = match CString::new(name) {
        Ok(s) => s,
        Err(_) => return Error::Usage("bad namespace name".into()),
    };
    let uts = uts_for(name, entry);
    let uts = uts.as_ref().map(|u| u.as_fd());
    if let Err((step, e)) = enter(fd.as_fd(), uts, &source, entry, Etc::ReadNow(name)) {
        return Error::Exec {
            message: format!("cannot enter `{name}`: {}: {}", step.what(), errno_msg(e)),
            code: 255,
        };
    }
    restore_as_found();
    let e = match nix::unistd::execvp(&args[0], &args) {
        Ok(never) => match never {},
        Err(e) => e,
    };
    let shown = program.to_string_lossy();
    let has_slash = program.as_encoded_bytes().contains(&b'/');
    Error::Exec {
        message: match e {
            Errno::ENOENT if !has_slash => format!("{shown}: command not found"),
            e => format!("cannot run {shown}: {}", e.desc()),
        },
        code: 1,
    }
}

/// The UTS namespace to join with `ns`: the host's, for [`Entry::Full`], if it has one.
fn uts_for(ns: &str, entry: Entry) -> Option<std::os::fd::OwnedFd> {
    match entry {
        Entry::Full => super::uts::open_for(ns),
        Entry::NoUts | Entry::NetOnly => None,
    }
}

fn os_cstring(s: &std::ffi::OsStr) -> Result<CString> {
    CString::new(s.as_encoded_bytes())
        .map_err(|_| Error::Usage(format!("{s:?} contains a NUL byte")))
}
