//! The only module with FFI (through `nix`). It owns three things:
//!
//! 1. **Entering a named network namespace with the semantics of `ip netns exec`**
//!    (ip-netns(8); iproute2 `lib/namespace.c` `netns_switch`, `lib/exec.c` `cmd_exec`).
//!    This is the one place the order is written down. The steps, in this order:
//!    1. open `/run/netns/NAME` (`O_CLOEXEC`: it does not reach the command);
//!    2. `setns(fd, CLONE_NEWNET)`;
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
//!    [`Entry::NetOnly`] (`--no-mount`) stops after step 2: that is `nsenter --net`.
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
//! Every `unsafe` block is here, each with a `SAFETY:` comment.

use crate::error::{Error, Result};
use nix::errno::Errno;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};
use nix::sys::statvfs::{statvfs, FsFlags};
use std::ffi::{CStr, CString, OsString};
use std::net::IpAddr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

pub mod procs;

/// Where `ip netns` keeps its namespace files.
pub const NETNS_RUN_DIR: &str = "/run/netns";
/// Where per-namespace /etc files live.
pub const NETNS_ETC_DIR: &str = "/etc/netns";

/// Names nslab accepts for namespaces and devices: 1–15 bytes, printable, no `/`, no
/// whitespace, not `.`/`..`, no leading `-`. Returns why not.
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("empty name".into());
    }
    if name.len() > 15 {
        return Err(format!("`{name}` is longer than 15 bytes"));
    }
    if name == "." || name == ".." {
        return Err(format!("`{name}` is not a name"));
    }
    if name.starts_with('-') {
        return Err(format!("`{name}` starts with `-`"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| *c == '/' || c.is_whitespace() || c.is_control() || !c.is_ascii())
    {
        return Err(format!("`{name}` contains {c:?}"));
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

/// How much of `ip netns exec` to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// Steps 1–6: `ip netns exec`.
    Full,
    /// Steps 1–2 only: `nsenter --net`. Faster; /sys and /etc stay the host's.
    NetOnly,
}

/// A step of entering that can fail (for messages that name it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Setns,
    UnshareMount,
    MakeRslave,
    MountSys,
}

impl Step {
    fn what(self) -> &'static str {
        match self {
            Step::Setns => "setns(CLONE_NEWNET)",
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

/// Steps 2–6 (see the module docs), on a namespace opened in step 1. The only code that
/// performs them; [`exec`] and [`setup_child`] both come here.
fn enter(
    netns: BorrowedFd<'_>,
    sysfs_source: &CStr,
    entry: Entry,
    etc: Etc<'_>,
) -> std::result::Result<(), (Step, Errno)> {
    setns(netns, CloneFlags::CLONE_NEWNET).map_err(|e| (Step::Setns, e))?;
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
}

/// The spawn path of `run.rs`: the child dies with nslab and, with `ns`, enters it fully.
pub fn prepare_child(command: &mut std::process::Command, ns: Option<&str>) {
    setup_child(
        command,
        ChildSetup {
            netns: ns,
            entry: Entry::Full,
            die_with_parent: true,
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
    let entry = setup.entry;
    let target = match setup.netns.map(|ns| {
        let fd = open_netns(ns)?;
        let source = CString::new(ns).map_err(|_| Error::Usage("bad name".into()))?;
        Ok::<_, Error>((fd, source, EtcBinds::list(ns)))
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
    // setns, unshare, mount, umount2, statvfs, write, _exit) on data prepared before the
    // fork; it neither allocates nor takes a lock.
    unsafe {
        command.pre_exec(move || {
            if die_with_parent {
                let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL);
            } else {
                // A command of `nslab exec`: SIGPIPE as nslab's caller left it.
                ignore_sigpipe_as_found();
            }
            if let Some((fd, source, binds)) = &target {
                if let Err((step, e)) = enter(fd.as_fd(), source, entry, Etc::Listed(binds)) {
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
    if let Err((step, e)) = enter(fd.as_fd(), &source, entry, Etc::ReadNow(name)) {
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

fn os_cstring(s: &std::ffi::OsStr) -> Result<CString> {
    CString::new(s.as_encoded_bytes())
        .map_err(|_| Error::Usage(format!("{s:?} contains a NUL byte")))
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

/// Send ICMP echo requests from inside `ns` to every target and wait until each has
/// answered or `timeout` has passed since it was first probed; requests are repeated every
/// 200 ms. Returns, per target, whether it answered. One raw socket per address family.
pub fn probe(ns: &str, targets: &[IpAddr], timeout: Duration) -> Result<Vec<bool>> {
    let targets = targets.to_vec();
    in_netns(ns, move || icmp::probe_here(&targets, timeout))?
}

mod icmp {
    use super::*;
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use nix::sys::socket::{
        recvfrom, sendto, socket, AddressFamily, MsgFlags, SockFlag, SockProtocol, SockType,
        SockaddrIn, SockaddrIn6, SockaddrStorage,
    };
    use std::net::{SocketAddrV4, SocketAddrV6};

    fn checksum(data: &[u8]) -> u16 {
        let mut sum: u32 = 0;
        for chunk in data.chunks(2) {
            let word = u16::from_be_bytes([chunk[0], *chunk.get(1).unwrap_or(&0)]);
            sum += word as u32;
        }
        while sum >> 16 != 0 {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        !(sum as u16)
    }

    fn echo(v6: bool, id: u16, seq: u16) -> Vec<u8> {
        let mut p = vec![if v6 { 128 } else { 8 }, 0, 0, 0];
        p.extend(id.to_be_bytes());
        p.extend(seq.to_be_bytes());
        p.extend(b"nslab-probe");
        if !v6 {
            // The kernel fills in the ICMPv6 checksum (RFC 3542); IPv4 is ours to compute.
            let c = checksum(&p);
            p[2..4].copy_from_slice(&c.to_be_bytes());
        }
        p
    }

    /// Where one target stands.
    #[derive(Clone, Copy, PartialEq)]
    enum Target {
        Waiting,
        Sent { first: Instant, last: Instant },
        Done(bool),
    }

    /// At most this many targets are in their first moments (unanswered, sent less than
    /// `FRESH` ago) per prober: sends are clocked by answers, so a lab of a hundred hosts
    /// probing all pairs at once does not flood its bridge with ARP broadcasts and overflow
    /// the kernel's backlog queue (drops there cost a one-second ARP retransmit).
    const WINDOW: usize = 8;
    const FRESH: Duration = Duration::from_millis(50);
    const RESEND: Duration = Duration::from_millis(200);

    pub(super) fn probe_here(targets: &[IpAddr], timeout: Duration) -> Result<Vec<bool>> {
        let id = (std::process::id() as u16) ^ (nix::unistd::gettid().as_raw() as u16);
        let mk = |v6: bool| -> Result<Option<OwnedFd>> {
            if !targets.iter().any(|t| t.is_ipv6() == v6) {
                return Ok(None);
            }
            let (fam, proto) = if v6 {
                (AddressFamily::Inet6, SockProtocol::IcmpV6)
            } else {
                (AddressFamily::Inet, SockProtocol::Icmp)
            };
            socket(
                fam,
                SockType::Raw,
                SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
                proto,
            )
            .map(Some)
            .map_err(|e| Error::netns("raw ICMP socket", errno_msg(e)))
        };
        let sock4 = mk(false)?;
        let sock6 = mk(true)?;
        let send = |i: usize| -> bool {
            let seq = i as u16;
            let sent = match targets[i] {
                IpAddr::V4(a) => sock4.as_ref().map(|s| {
                    sendto(
                        std::os::fd::AsRawFd::as_raw_fd(s),
                        &echo(false, id, seq),
                        &SockaddrIn::from(SocketAddrV4::new(a, 0)),
                        MsgFlags::empty(),
                    )
                }),
                IpAddr::V6(a) => sock6.as_ref().map(|s| {
                    sendto(
                        std::os::fd::AsRawFd::as_raw_fd(s),
                        &echo(true, id, seq),
                        &SockaddrIn6::from(SocketAddrV6::new(a, 0, 0, 0)),
                        MsgFlags::empty(),
                    )
                }),
            };
            // An error (no route, unreachable network) means this target cannot answer.
            matches!(sent, Some(Ok(_)))
        };
        let mut state = vec![Target::Waiting; targets.len()];
        let mut buf = [0u8; 2048];
        loop {
            let now = Instant::now();
            // Expire, resend, and count the fresh ones.
            let mut fresh = 0;
            for (i, st) in state.iter_mut().enumerate() {
                if let Target::Sent { first, last } = *st {
                    if now.duration_since(first) >= timeout {
                        *st = Target::Done(false);
                    } else {
                        if now.duration_since(last) >= RESEND {
                            send(i);
                            *st = Target::Sent { first, last: now };
                        }
                        if now.duration_since(first) < FRESH {
                            fresh += 1;
                        }
                    }
                }
            }
            // Start new targets while the window has room.
            for (i, st) in state.iter_mut().enumerate() {
                if fresh >= WINDOW {
                    break;
                }
                if *st == Target::Waiting {
                    *st = if send(i) {
                        fresh += 1;
                        Target::Sent {
                            first: now,
                            last: now,
                        }
                    } else {
                        Target::Done(false)
                    };
                }
            }
            if state.iter().all(|s| matches!(s, Target::Done(_))) {
                break;
            }
            let mut fds: Vec<PollFd> = [&sock4, &sock6]
                .iter()
                .filter_map(|s| {
                    s.as_ref()
                        .map(|s| PollFd::new(s.as_fd(), PollFlags::POLLIN))
                })
                .collect();
            if poll(&mut fds, PollTimeout::from(5u8)).is_err() {
                continue;
            }
            for (v6, sock) in [(false, &sock4), (true, &sock6)] {
                let Some(sock) = sock else { continue };
                let raw = std::os::fd::AsRawFd::as_raw_fd(sock);
                while let Ok((n, from)) = recvfrom::<SockaddrStorage>(raw, &mut buf) {
                    let pkt = &buf[..n];
                    // IPv4 raw sockets deliver the IP header too; ICMPv6 ones do not.
                    let icmp = if v6 {
                        pkt
                    } else {
                        let ihl = (pkt.first().copied().unwrap_or(0) & 0x0f) as usize * 4;
                        pkt.get(ihl..).unwrap_or(&[])
                    };
                    if icmp.len() < 8 || icmp[0] != if v6 { 129 } else { 0 } {
                        continue;
                    }
                    if u16::from_be_bytes([icmp[4], icmp[5]]) != id {
                        continue;
                    }
                    let seq = u16::from_be_bytes([icmp[6], icmp[7]]) as usize;
                    let src: Option<IpAddr> = from.and_then(|f| {
                        f.as_sockaddr_in()
                            .map(|a| IpAddr::V4(a.ip()))
                            .or_else(|| f.as_sockaddr_in6().map(|a| IpAddr::V6(a.ip())))
                    });
                    if seq < targets.len() && src == Some(targets[seq]) {
                        state[seq] = Target::Done(true);
                    }
                }
            }
        }
        Ok(state.iter().map(|s| *s == Target::Done(true)).collect())
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn checksum_of_a_known_echo_request() {
            // type 8, code 0, id 1, seq 1, no payload: checksum 0xf7fd
            let p = [8u8, 0, 0, 0, 0, 1, 0, 1];
            assert_eq!(super::checksum(&p), 0xf7fd);
        }
    }
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

/// How nslab found its process, for [`exec`] to hand on unchanged. Bit 0: SIGPIPE was
/// ignored; bits 1–3: fd 0, 1, 2 was closed.
static AS_FOUND: AtomicU8 = AtomicU8::new(0);

/// Set up the process, first thing in main. The binary is `no_main` (see main.rs), so
/// Rust's runtime set-up has not run; this does the two parts of it nslab needs:
/// - SIGPIPE to its default action, so a closed pipe ends nslab quietly
///   (`nslab show | head -1`), as C tools do;
/// - fds 0–2 open (on /dev/null if they were closed), so that no file nslab opens becomes
///   its stdout.
///
/// What it changed is undone just before [`exec`] execs, so the command gets SIGPIPE and
/// fds 0–2 as nslab's caller left them, as with `ip netns exec`.
pub fn process_setup() {
    use nix::sys::signal::{signal, SigHandler, Signal};
    use std::os::fd::{AsRawFd, IntoRawFd};
    let mut found = 0u8;
    // SAFETY: SIG_DFL installs no handler code; this runs first thing in main, before any
    // thread exists.
    if let Ok(SigHandler::SigIgn) = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) } {
        found |= 1;
    }
    // open(2) takes the lowest free fd: each fd below 3 that /dev/null gets was closed.
    let null = || {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")
    };
    while let Ok(f) = null() {
        let fd = f.as_raw_fd();
        if fd > 2 {
            break;
        }
        found |= 2 << fd;
        // Keep it open as that fd.
        let _ = f.into_raw_fd();
    }
    AS_FOUND.store(found, Ordering::Relaxed);
}

/// Whether SIGPIPE was ignored when nslab started.
fn sigpipe_was_ignored() -> bool {
    AS_FOUND.load(Ordering::Relaxed) & 1 != 0
}

/// Ignore SIGPIPE again if nslab's caller did (after [`process_setup`]; before an exec).
fn ignore_sigpipe_as_found() {
    use nix::sys::signal::{signal, SigHandler, Signal};
    if sigpipe_was_ignored() {
        // SAFETY: SIG_IGN installs no handler code; this runs in a process about to exec
        // (single-threaded, or a forked child), where nothing else uses signals.
        unsafe {
            let _ = signal(Signal::SIGPIPE, SigHandler::SigIgn);
        }
    }
}

/// Undo [`process_setup`] just before exec.
fn restore_as_found() {
    ignore_sigpipe_as_found();
    let found = AS_FOUND.load(Ordering::Relaxed);
    for fd in 0..3 {
        if found & (2 << fd) != 0 {
            let _ = nix::unistd::close(fd);
        }
    }
}

/// Make the kernel process pending link events for these devices now, so operstate (and a
/// bridge port's readiness, which follows it) is current. Link events are otherwise applied
/// by the kernel's linkwatch up to a second later, during which a fresh bridge port drops
/// frames. An ETHTOOL_GLINK ioctl runs `linkwatch_sync_dev` for the device (kernel
/// `ethtool_op_get_link`). Devices without ethtool support are skipped.
pub fn sync_links(ns: Option<&str>, devs: &[String]) -> Result<()> {
    use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType};
    let work = || -> Result<()> {
        let sock = socket(
            AddressFamily::Inet,
            SockType::Datagram,
            SockFlag::SOCK_CLOEXEC,
            None,
        )
        .map_err(|e| Error::netns("socket for ETHTOOL_GLINK", e.desc()))?;
        for dev in devs {
            ethtool_glink(&sock, dev);
        }
        Ok(())
    };
    match ns {
        Some(ns) => in_netns(ns, work)?,
        None => work(),
    }
}

#[repr(C)]
struct EthtoolValue {
    cmd: u32,
    data: u32,
}

const ETHTOOL_GLINK: u32 = 0x0000_000a;

fn ethtool_glink(sock: &OwnedFd, dev: &str) {
    use nix::libc;
    use std::os::fd::AsRawFd;
    if dev.len() >= libc::IFNAMSIZ {
        return;
    }
    let mut value = EthtoolValue {
        cmd: ETHTOOL_GLINK,
        data: 0,
    };
    // SAFETY: ifreq is a plain C struct for which all-zero bytes are a valid value.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in ifr.ifr_name.iter_mut().zip(dev.bytes()) {
        *dst = src as libc::c_char;
    }
    ifr.ifr_ifru.ifru_data = (&mut value as *mut EthtoolValue).cast();
    // SAFETY: SIOCETHTOOL reads the NUL-terminated name in `ifr` and writes one
    // `ethtool_value` through `ifru_data`, which points at `value`, alive for the call.
    // A failure (no such device, no ethtool support) only means nothing to sync.
    unsafe {
        libc::ioctl(sock.as_raw_fd(), libc::SIOCETHTOOL as _, &mut ifr);
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
