//! The only module with FFI (through `nix`). It owns three things:
//!
//! 1. **Entering a named network namespace with the semantics of `ip netns exec`**
//!    (ip-netns(8); iproute2 `lib/namespace.c`, `netns_switch`). The steps, in this order:
//!    1. open `/run/netns/NAME`;
//!    2. `setns(fd, CLONE_NEWNET)`;
//!    3. `unshare(CLONE_NEWNS)`: a private mount namespace for what follows;
//!    4. mount `/` recursively `MS_SLAVE`, so nothing we mount propagates back to the host;
//!    5. detach `/sys` (`umount2(MNT_DETACH)`) and mount a fresh sysfs, which then describes
//!       the new network namespace (read-only if the old one could not be detached and was
//!       read-only);
//!    6. bind-mount each entry of `/etc/netns/NAME/` over `/etc/ENTRY`.
//!
//!    Steps 3–6 are skipped with `--no-mount` (then it is `nsenter --net`).
//!    [`exec`] does this in the current process and replaces it; [`prepare_child`] does it in
//!    a forked child just before exec (the spawn path of `run.rs`).
//! 2. **Threads inside a namespace** ([`in_netns`]): a fresh thread that only does step 2, for
//!    sysctls and probe sockets. Network namespace membership is per thread, and a socket
//!    keeps the namespace it was created in.
//! 3. **ICMP echo probes** from raw sockets opened inside a namespace ([`probe`]).
//!
//! Every `unsafe` block is here, each with a `SAFETY:` comment.

use crate::error::{Error, Result};
use nix::fcntl::{open, OFlag};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};
use nix::sys::stat::Mode;
use std::ffi::CString;
use std::net::IpAddr;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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

/// Open a named namespace (step 1).
pub fn open_netns(name: &str) -> Result<OwnedFd> {
    let path = netns_path(name)?;
    let fd = open(&path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).map_err(|e| {
        if e == nix::errno::Errno::ENOENT {
            let known = list();
            Error::netns(
                format!("namespace `{name}`"),
                format!(
                    "does not exist (named namespaces: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            )
        } else {
            Error::netns(format!("open {}", path.display()), e.desc())
        }
    })?;
    // SAFETY: `open` returned a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn errno_msg(e: nix::errno::Errno) -> String {
    match e {
        nix::errno::Errno::EPERM => format!("{} (needs CAP_SYS_ADMIN)", e.desc()),
        _ => e.desc().to_string(),
    }
}

/// Everything the mount steps need, prepared before any fork so the child only does syscalls.
struct MountPlan {
    sys_flags: MsFlags,
    /// (source, target) pairs for /etc/netns/NAME/ENTRY → /etc/ENTRY.
    binds: Vec<(CString, CString)>,
    name: CString,
}

impl MountPlan {
    fn new(name: &str) -> Result<Self> {
        let mut binds = Vec::new();
        let dir = Path::new(NETNS_ETC_DIR).join(name);
        if let Ok(rd) = std::fs::read_dir(&dir) {
            let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
            entries.sort();
            for entry in entries {
                let src = dir.join(&entry);
                let dst = Path::new("/etc").join(&entry);
                binds.push((cstring(src.as_os_str())?, cstring(dst.as_os_str())?));
            }
        }
        Ok(MountPlan {
            sys_flags: MsFlags::empty(),
            binds,
            name: CString::new(name).map_err(|_| Error::Usage("bad name".into()))?,
        })
    }

    /// Steps 3–6. Runs in the process (or child) that is about to exec.
    fn apply(&self) -> std::result::Result<(), (String, nix::errno::Errno)> {
        unshare(CloneFlags::CLONE_NEWNS).map_err(|e| ("unshare(CLONE_NEWNS)".to_string(), e))?;
        mount(
            Some(""),
            "/",
            Some("none"),
            MsFlags::MS_SLAVE | MsFlags::MS_REC,
            None::<&str>,
        )
        .map_err(|e| ("mount --make-rslave /".to_string(), e))?;
        let mut flags = self.sys_flags;
        if umount2("/sys", MntFlags::MNT_DETACH).is_err() {
            if let Ok(st) = nix::sys::statvfs::statvfs("/sys") {
                if st.flags().contains(nix::sys::statvfs::FsFlags::ST_RDONLY) {
                    flags |= MsFlags::MS_RDONLY;
                }
            }
        }
        mount(
            Some(self.name.as_c_str()),
            "/sys",
            Some("sysfs"),
            flags,
            None::<&str>,
        )
        .map_err(|e| ("mount sysfs on /sys".to_string(), e))?;
        for (src, dst) in &self.binds {
            // Like ip, a failed bind of one file is reported but does not stop the others.
            if let Err(e) = mount(
                Some(src.as_c_str()),
                dst.as_c_str(),
                Some("none"),
                MsFlags::MS_BIND,
                None::<&str>,
            ) {
                eprintln!(
                    "Bind {} -> {} failed: {}",
                    src.to_string_lossy(),
                    dst.to_string_lossy(),
                    e.desc()
                );
            }
        }
        Ok(())
    }
}

fn cstring(s: &std::ffi::OsStr) -> Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(s.as_bytes()).map_err(|_| Error::Usage(format!("{s:?} contains a NUL byte")))
}

/// Make a child process die with nslab (so a SIGKILLed `nslab up` leaves no `ip` running on
/// behind `nslab down`'s back) and, with `ns`, enter that namespace before exec.
pub fn prepare_child(command: &mut std::process::Command, ns: Option<&str>) {
    use std::os::unix::process::CommandExt;
    let entry = ns.map(|name| (open_netns(name), MountPlan::new(name)));
    let entry = match entry {
        None => None,
        Some((Ok(fd), Ok(plan))) => Some((fd, plan)),
        Some((Err(e), _)) | Some((_, Err(e))) => {
            // Fail in the child with the message, so the caller sees a normal command error.
            let msg = e.to_string();
            // SAFETY: the closure only writes to stderr and exits; both are async-signal-safe.
            unsafe {
                command.pre_exec(move || {
                    eprintln!("nslab: {msg}");
                    nix::libc::_exit(255);
                });
            }
            return;
        }
    };
    // SAFETY: between fork and exec the closure calls only prctl, setns, unshare, mount and
    // umount2 (plain syscalls) on data prepared before the fork; it allocates only for the
    // error path, which exits at once.
    unsafe {
        command.pre_exec(move || {
            let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL);
            if let Some((fd, plan)) = &entry {
                setns(fd.as_fd(), CloneFlags::CLONE_NEWNET)
                    .map_err(|e| std::io::Error::from_raw_os_error(e as i32))?;
                if let Err((what, e)) = plan.apply() {
                    eprintln!("nslab: {what}: {}", errno_msg(e));
                    nix::libc::_exit(255);
                }
            }
            Ok(())
        });
    }
}

/// How [`exec`] enters the namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// All steps: `ip netns exec`.
    Full,
    /// Only setns: `nsenter --net`.
    NetOnly,
}

/// Enter `name` in this process and replace it with `argv` (PATH search). Returns only on error.
pub fn exec(name: &str, argv: &[String], entry: Entry) -> Error {
    match exec_inner(name, argv, entry) {
        Ok(never) => match never {},
        Err(e) => e,
    }
}

fn exec_inner(name: &str, argv: &[String], entry: Entry) -> Result<std::convert::Infallible> {
    let fd = open_netns(name)?;
    let plan = MountPlan::new(name)?;
    let args: Vec<CString> = argv
        .iter()
        .map(|a| cstring(std::ffi::OsStr::new(a)))
        .collect::<Result<_>>()?;
    let Some(prog) = args.first() else {
        return Err(Error::Usage("no command given".into()));
    };
    setns(fd.as_fd(), CloneFlags::CLONE_NEWNET)
        .map_err(|e| Error::netns(format!("setns into `{name}`"), errno_msg(e)))?;
    drop(fd);
    if entry == Entry::Full {
        plan.apply()
            .map_err(|(what, e)| Error::netns(what, errno_msg(e)))?;
    }
    let e = nix::unistd::execvp(prog, &args).unwrap_err();
    Err(match e {
        nix::errno::Errno::ENOENT => Error::Usage(format!("{}: command not found", argv[0])),
        e => Error::netns(format!("exec {}", argv[0]), e.desc()),
    })
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

/// Let a closed pipe end nslab quietly (`nslab show | head -1`), as C tools do: Rust
/// ignores SIGPIPE by default, which turns it into a write error.
pub fn restore_sigpipe() {
    use nix::sys::signal::{signal, SigHandler, Signal};
    // SAFETY: SIG_DFL installs no handler code; this runs first thing in main, before any
    // thread exists.
    unsafe {
        let _ = signal(Signal::SIGPIPE, SigHandler::SigDfl);
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
