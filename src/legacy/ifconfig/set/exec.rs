//! Performs a parsed [`Command`] the way net-tools 2.10 does: one kernel call per keyword,
//! left to right, no rollback, with its messages and its exit code.
//!
//! ifconfig talks to the kernel with ioctls; nslab reproduces each ioctl's effect with `ip`
//! Ops applied through the [`Backend`](crate::backend::Backend), deciding what the kernel
//! would do from a [`Snapshot`] of the current namespace:
//!
//! * `SIOCSIFADDR`/`NETMASK`/`BRDADDR`/`DSTADDR` act on the first IPv4 address whose label is
//!   the name given (`net/ipv4/devinet.c`). Changing one deletes the address and inserts it
//!   again, which is `ip addr del` + `ip addr add` with the same label, scope and peer. The
//!   kernel then drops (or promotes) secondaries exactly as it does for the ioctl.
//! * `SIOCSIFFLAGS` on an alias name (`eth0:1`) only deletes that label's address when UP
//!   is cleared; on a device it is `ip link set` of the flags that changed.
//! * Other device ioctls ignore everything from the `:` on.
//!
//! Kernel refusals (MTU range, busy MAC, duplicate address…) come back from `ip` and are
//! mapped to the `strerror` text ifconfig would print. The snapshot is read again after each
//! change, before the next step that needs it.

use super::grammar::{
    Action, Command, Family, Host, IfFlag, Inet, Inet6, MapField, Slip, IFNAMSIZ_MAX, USAGE,
};
use crate::error::Error;
use crate::legacy::ifconfig::Ctx;
use crate::model::{Addr, Link, Snapshot};
use crate::op::{AddrSpec, LinkFlag, Op};
use std::cmp::Ordering;
use std::net::{IpAddr, Ipv4Addr};

const ENODEV: &str = "No such device";
const EADDRNOTAVAIL: &str = "Cannot assign requested address";
const EINVAL: &str = "Invalid argument";
const EBADF: &str = "Bad file descriptor";
const EOPNOTSUPP: &str = "Operation not supported";
const EBUSY: &str = "Device or resource busy";
const EPERM: &str = "Operation not permitted";

/// Whether this process has CAP_NET_ADMIN (from `/proc/self/status`): without it the
/// kernel refuses every setting ioctl with EPERM, before looking at the device.
fn has_net_admin() -> bool {
    const CAP_NET_ADMIN: u32 = 12;
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let hex = s
                .lines()
                .find_map(|l| l.strip_prefix("CapEff:"))?
                .trim()
                .to_string();
            u64::from_str_radix(&hex, 16).ok()
        })
        .is_none_or(|caps| caps & (1 << CAP_NET_ADMIN) != 0)
}

/// A failed kernel call: the `strerror` text ifconfig prints.
type Errno = String;

/// Reading state failed: nothing ifconfig would print, so nslab says what happened.
struct Fatal(Error);

type Step<T> = Result<T, Fatal>;

// Flag bits as SIOCGIFFLAGS returns them.
const IFF_UP: u16 = 0x1;
const IFF_RUNNING: u16 = 0x40;
const IFF_BROADCAST: u16 = 0x2;
const IFF_POINTOPOINT: u16 = 0x10;

/// Which socket an ioctl goes through; it decides how alias names are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sock {
    /// AF_INET: `SIOCSIFFLAGS` goes to devinet, which gives alias names their meaning.
    Inet,
    /// AF_INET6 or AF_UNIX: every device ioctl goes to the device, `:N` ignored.
    Plain,
    /// A family the kernel has no socket for: EBADF.
    None,
}

/// The device part of a name (`eth0` of `eth0:1`), as the kernel's ioctls use it.
fn base(name: &str) -> &str {
    name.split(':').next().unwrap_or(name)
}

/// `inet_abc_len`: the classful prefix length, `None` for class D (multicast). Since Linux
/// 5.3 only 0.0.0.0 itself counts as "zeronet": the rest of 0/8 is class A.
fn abc_len(a: Ipv4Addr) -> Option<u8> {
    let h = u32::from(a);
    if h == 0 || h == u32::MAX {
        return Some(0);
    }
    match h >> 28 {
        0..=7 => Some(8),
        8..=11 => Some(16),
        12..=13 => Some(24),
        14 => None,
        _ => Some(32),
    }
}

fn mask_of(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len as u32)
    }
}

/// `bad_mask(mask, 0)`: not a contiguous run of ones.
fn bad_mask(m: u32) -> bool {
    let host = !m;
    host & host.wrapping_add(1) != 0
}

/// `dev_valid_name`.
fn dev_valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= IFNAMSIZ_MAX
        && n != "."
        && n != ".."
        && !n
            .bytes()
            .any(|b| b == b'/' || b == b':' || b.is_ascii_whitespace())
}

/// net-tools `nstrcmp`: the order of its interface list.
fn nstrcmp(a: &str, b: &str) -> Ordering {
    fn split(s: &str) -> (&str, Option<&str>) {
        match s.rsplit_once(':') {
            Some((h, t)) if !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()) => (h, Some(t)),
            _ => (s, None),
        }
    }
    fn tail(s: &str) -> (&str, &str) {
        let i = s.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        (&s[..i], &s[i..])
    }
    let num = |d: &str| d.parse::<u128>().unwrap_or(0);
    let ((ha, aa), (hb, ab)) = (split(a), split(b));
    let ((pa, da), (pb, db)) = (tail(ha), tail(hb));
    let n = pa.len().min(pb.len());
    pa.as_bytes()[..n]
        .cmp(&pb.as_bytes()[..n])
        .then(pa.len().cmp(&pb.len()))
        .then(num(da).cmp(&num(db)))
        .then(ha.cmp(hb))
        .then(aa.map(num).cmp(&ab.map(num)))
        .then(a.cmp(b))
}

/// The flags word SIOCGIFFLAGS returns for a link.
fn flags_of(link: &Link) -> u16 {
    const NAMES: &[(&str, u16)] = &[
        ("UP", 0x1),
        ("BROADCAST", 0x2),
        ("DEBUG", 0x4),
        ("LOOPBACK", 0x8),
        ("POINTOPOINT", 0x10),
        ("NOTRAILERS", 0x20),
        ("NOARP", 0x80),
        ("PROMISC", 0x100),
        ("ALLMULTI", 0x200),
        ("MASTER", 0x400),
        ("SLAVE", 0x800),
        ("MULTICAST", 0x1000),
        ("PORTSEL", 0x2000),
        ("AUTOMEDIA", 0x4000),
        ("DYNAMIC", 0x8000),
    ];
    let mut f = NAMES
        .iter()
        .filter(|(n, _)| link.has_flag(n))
        .fold(0, |acc, (_, b)| acc | b);
    if link.is_running() {
        f |= IFF_RUNNING;
    }
    f
}

/// The IPv4 address a name designates: the first in kernel order with exactly that label.
fn ifa_of<'l>(link: &'l Link, label: &str) -> Option<&'l Addr> {
    link.addrs
        .iter()
        .find(|a| a.is_ipv4() && a.label.as_deref() == Some(label))
}

fn v4(a: IpAddr) -> Ipv4Addr {
    match a {
        IpAddr::V4(a) => a,
        IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
    }
}

/// An IPv4 address as the kernel holds it (`struct in_ifaddr`).
#[derive(Debug, Clone)]
struct Ifa {
    local: Ipv4Addr,
    /// `ifa_address`: the peer, or the local address again.
    address: Ipv4Addr,
    prefixlen: u8,
    broadcast: Ipv4Addr,
    label: String,
    scope: String,
}

impl Ifa {
    fn from_addr(a: &Addr) -> Ifa {
        let local = v4(a.local);
        Ifa {
            local,
            address: a.peer.map(v4).unwrap_or(local),
            prefixlen: a.prefixlen,
            broadcast: a.broadcast.map(v4).unwrap_or(Ipv4Addr::UNSPECIFIED),
            label: a.label.clone().unwrap_or_default(),
            scope: a.scope.clone(),
        }
    }

    fn mask(&self) -> u32 {
        mask_of(self.prefixlen)
    }

    /// What `ip addr del` needs to delete exactly this address: the local address without a
    /// length (iproute2 then leaves out IFA_ADDRESS, and the kernel matches local and label
    /// only, as the ioctl's label lookup does, even for a hidden peer of 0.0.0.0).
    fn del_spec(&self) -> AddrSpec {
        AddrSpec {
            local: self.local.to_string(),
            label: Some(self.label.clone()),
            ..AddrSpec::default()
        }
    }

    fn spec(&self) -> AddrSpec {
        let len = self.prefixlen;
        AddrSpec {
            local: format!("{}/{len}", self.local),
            peer: (self.address != self.local).then(|| format!("{}/{len}", self.address)),
            broadcast: (!self.broadcast.is_unspecified()).then(|| self.broadcast.to_string()),
            label: Some(self.label.clone()),
            scope: (self.scope != "global").then(|| self.scope.clone()),
            nodad: false,
        }
    }
}

/// The `strerror` text for a failed `ip` command, from what `ip` printed.
fn errno_of(e: &Error) -> Errno {
    let Error::Command { stderr, .. } = e else {
        return e.to_string();
    };
    for line in stderr.lines() {
        if let Some(t) = line.strip_prefix("RTNETLINK answers: ") {
            return t.trim().to_string();
        }
        if line.starts_with("Cannot find device") {
            return ENODEV.to_string();
        }
        if let Some(m) = line.strip_prefix("Error: ") {
            return extack_errno(m).to_string();
        }
    }
    EINVAL.to_string()
}

/// The errno behind a netlink extended-ack message (the ioctl path has no message).
fn extack_errno(m: &str) -> &'static str {
    let m = m.to_ascii_lowercase();
    if m.contains("ipv6 is disabled") {
        "No such device or address"
    } else if m.contains("unable to find the interface") {
        ENODEV
    } else if m.contains("already") || m.contains("exists") {
        "File exists"
    } else if m.contains("busy") {
        EBUSY
    } else if m.contains("not supported") {
        EOPNOTSUPP
    } else if m.contains("cannot assign") || m.contains("not found") {
        EADDRNOTAVAIL
    } else if m.contains("permission") || m.contains("not permitted") {
        "Operation not permitted"
    } else {
        EINVAL
    }
}

/// Runs one command.
struct Exec<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    /// The current state; `None` after a change, until something needs it again.
    snap: Option<Snapshot>,
    /// The family's socket (`skfd` in ifconfig.c).
    skfd: Sock,
    /// ifconfig's `goterr`: an OR of 0, 1 and -1.
    goterr: i32,
    /// net-tools' interface cache, once `add`/`del` has read it.
    ifaces: Option<Vec<Ife>>,
    /// CAP_NET_ADMIN: without it, setting ioctls fail with EPERM.
    admin: bool,
}

/// Perform `cmd` and return ifconfig's exit code.
pub fn run(ctx: &mut Ctx<'_>, cmd: &Command) -> i32 {
    let skfd = match cmd.family {
        Family::Inet => Sock::Inet,
        Family::Inet6 | Family::Unix => Sock::Plain,
        Family::NoSocket => Sock::None,
    };
    let mut ex = Exec {
        ctx,
        snap: None,
        skfd,
        goterr: 0,
        ifaces: None,
        admin: has_net_admin(),
    };
    match ex.actions(&cmd.iface, &cmd.actions) {
        Ok(Some(code)) => code,
        Ok(None) => {
            if ex.ctx.verbose && ex.goterr != 0 {
                let g = ex.goterr;
                ex.say(&format!("WARNING: at least one error occured. ({g})"));
            }
            ex.goterr & 0xff
        }
        Err(Fatal(e)) => {
            ex.say(&format!("nslab: {e}"));
            1
        }
    }
}

impl Exec<'_, '_> {
    fn say(&mut self, line: &str) {
        let _ = writeln!(self.ctx.err, "{line}");
    }

    fn snapshot(&mut self) -> Step<&Snapshot> {
        if self.snap.is_none() {
            self.snap = Some(self.ctx.backend.addr_snapshot(None).map_err(Fatal)?);
        }
        Ok(self.snap.as_ref().expect("just read"))
    }

    /// The link kind (`veth`, `ifb`, `sit`…), which only the detailed snapshot has.
    fn kind(&mut self, name: &str) -> Step<Option<String>> {
        let snap = self.ctx.backend.snapshot(None).map_err(Fatal)?;
        Ok(snap.link(base(name)).map(|l| l.kind.clone()))
    }

    /// The device a name refers to (everything from `:` on ignored).
    fn link(&mut self, name: &str) -> Step<Option<Link>> {
        Ok(self.snapshot()?.link(base(name)).cloned())
    }

    /// Apply Ops as one kernel call; the state is read again before it is next needed.
    fn apply(&mut self, ops: Vec<Op>) -> Result<(), Errno> {
        if ops.is_empty() {
            return Ok(());
        }
        self.snap = None;
        let snap = self.ctx.backend.apply_then_addr_snapshot(None, &ops);
        snap.map(|s| self.snap = Some(s)).map_err(|e| errno_of(&e))
    }

    /// Perform the actions; `Some(code)` when ifconfig exits early.
    fn actions(&mut self, iface: &str, actions: &[Action]) -> Step<Option<i32>> {
        for a in actions {
            if let Some(code) = self.action(iface, a)? {
                return Ok(Some(code));
            }
        }
        Ok(None)
    }

    fn action(&mut self, iface: &str, a: &Action) -> Step<Option<i32>> {
        match a {
            Action::Note(s) => self.say(s),
            Action::Flag { flag, on, warn } => {
                let r = if *on {
                    let mut bits = flag.bit();
                    if *flag == IfFlag::Up {
                        bits |= IFF_RUNNING;
                    }
                    self.set_flag(iface, bits)?
                } else {
                    self.clr_flag(iface, flag.bit())?
                };
                self.goterr |= r;
                if *warn && self.test_flag(iface, flag.bit())? > 0 {
                    self.say(&flag.still_set_warning(iface));
                }
            }
            Action::Mtu(n) => {
                let r = self.dev_ioctl(iface, |_, l| {
                    if *n < 0 {
                        return Err(EINVAL.into());
                    }
                    Ok(vec![Op::SetMtu {
                        ns: None,
                        dev: l.name.clone(),
                        mtu: *n as u32,
                    }])
                })?;
                self.report("SIOCSIFMTU", r);
            }
            Action::TxQueueLen(q) => {
                let r = self.dev_ioctl(iface, |_, l| {
                    if *q < 0 {
                        return Err(EINVAL.into());
                    }
                    Ok(vec![Op::SetTxqlen {
                        ns: None,
                        dev: l.name.clone(),
                        txqlen: *q as u32,
                    }])
                })?;
                self.report("SIOCSIFTXQLEN", r);
            }
            Action::Slip { which, .. } => {
                // Private ioctls: only SLIP devices implement them.
                let r = self.dev_lookup(iface)?.and(Err(EOPNOTSUPP.to_string()));
                let name = match which {
                    Slip::Keepalive => "SIOCSKEEPALIVE",
                    Slip::Outfill => "SIOCSOUTFILL",
                };
                self.report(name, r);
            }
            Action::Map { field, .. } => self.map(iface, *field)?,
            Action::UnknownMedia(_) => {
                self.say("Unknown media type.");
                self.goterr = 1;
            }
            Action::Broadcast(host) => {
                if let Some(h) = host {
                    let Some(b) = self.resolved(h, false) else {
                        return Ok(None);
                    };
                    let r = self.set_brd(iface, b)?;
                    self.report("SIOCSIFBRDADDR", r);
                }
                let r = self.set_flag(iface, IFF_BROADCAST)?;
                self.goterr |= r;
            }
            Action::PointToPoint(host) => {
                if let Some(h) = host {
                    let Some(d) = self.resolved(h, true) else {
                        return Ok(None);
                    };
                    let r = self.set_dst(iface, d)?;
                    self.report("SIOCSIFDSTADDR", r);
                }
                let r = self.set_flag(iface, IFF_POINTOPOINT)?;
                self.goterr |= r;
            }
            Action::Dstaddr(h) => {
                if let Some(d) = self.resolved(h, false) {
                    let r = self.set_dst(iface, d)?;
                    self.report("SIOCSIFDSTADDR", r);
                }
            }
            Action::Netmask(h) => {
                if let Some(m) = self.resolved(h, false) {
                    let r = self.set_netmask(iface, m)?;
                    self.report_or("SIOCSIFNETMASK", r);
                }
            }
            Action::PrefixNetmask(m) => {
                let r = self.set_netmask(iface, *m)?;
                self.report_or("SIOCSIFNETMASK", r);
            }
            Action::HwEther(Err(word)) => {
                self.say(&format!("{word}: invalid ether address."));
                self.goterr = 1;
            }
            Action::HwInvalid { class, addr } => {
                self.say(&format!("{addr}: invalid {class} address."));
                self.goterr = 1;
            }
            Action::HwEther(Ok(mac)) => {
                let mac = mac.map(|b| format!("{b:02x}")).join(":");
                let r = self.dev_ioctl(iface, |_, l| {
                    if l.link_type != "ether" {
                        return Err(EINVAL.into());
                    }
                    Ok(vec![Op::SetMac {
                        ns: None,
                        dev: l.name.clone(),
                        mac: mac.clone(),
                    }])
                })?;
                self.hw_report(r);
            }
            Action::HwOther { .. } => {
                // dev_set_mac_address: a device that cannot change its MAC says so first;
                // otherwise the sockaddr's ARPHRD type (that class's) is not the device's.
                let kind = self.kind(iface)?;
                let r = self.dev_ioctl(iface, |_, _| match kind.as_deref() {
                    Some("ifb") => Err(EOPNOTSUPP.into()),
                    _ => Err(EINVAL.into()),
                })?;
                self.hw_report(r);
            }
            Action::HwNoHandler(class) => {
                self.say(&format!(
                    "hw address type `{class}' has no handler to set address. failed."
                ));
                self.goterr = 1;
            }
            Action::Add6(a) => self.inet6(iface, a, Kind6::Add)?,
            Action::Del6(a) => self.inet6(iface, a, Kind6::Del)?,
            Action::Tunnel(a) => self.inet6(iface, a, Kind6::Tunnel)?,
            Action::Add4(h) | Action::Del4(h) => {
                let Some(ip) = self.resolved(h, false) else {
                    return Ok(None);
                };
                let add = matches!(a, Action::Add4(_));
                if let Some(code) = self.set_ifstate(iface, ip, add)? {
                    return Ok(Some(code));
                }
            }
            Action::Name(new) => {
                let r = self.dev_ioctl(iface, |_, l| {
                    if !dev_valid_name(new) {
                        return Err(EINVAL.into());
                    }
                    Ok(vec![Op::Rename {
                        ns: None,
                        dev: l.name.clone(),
                        to: new.clone(),
                    }])
                })?;
                self.report("SIOCSIFNAME", r);
            }
            Action::Address(ip) => {
                let r = self.set_addr(iface, *ip)?;
                if let Err(e) = r {
                    self.say(&format!("SIOCSIFADDR: {e}"));
                    self.goterr = 1;
                }
                // ifconfig.c: no flag change for an alias ending in `-` or set to 0.0.0.0.
                let alias = iface.contains(':');
                let bring_up = !(alias && (iface.ends_with('-') || ip.is_unspecified()));
                if bring_up {
                    let r = self.set_flag(iface, IFF_UP | IFF_RUNNING)?;
                    self.goterr |= r;
                }
            }
            Action::OtherFamilyAddress { family, word } => {
                let line = match family {
                    Family::Inet6 => "Don't know how to set addresses for family 10.".to_string(),
                    _ => format!(
                        "ifconfig: nslab does not reproduce setting the address `{word}' for this address family"
                    ),
                };
                self.say(&line);
                return Ok(Some(1));
            }
            Action::Unsupported(k) => {
                self.say(&format!(
                    "ifconfig: nslab does not reproduce `{k}' with this address family"
                ));
                return Ok(Some(1));
            }
            Action::Usage => {
                let _ = self.ctx.err.write_all(USAGE.as_bytes());
                return Ok(Some(3));
            }
            Action::Fail(lines) => {
                for l in lines {
                    self.say(l);
                }
                return Ok(Some(1));
            }
        }
        Ok(None)
    }

    /// An address argument: the address, or `herror` + an error when it did not resolve.
    /// `strict`: `pointopoint` also rejects `default` and network names (input() == 1).
    fn resolved(&mut self, h: &Host, strict: bool) -> Option<Ipv4Addr> {
        match (h.inet, strict) {
            (Inet::Addr(a), _) | (Inet::Network(a), false) => Some(a),
            _ => {
                self.say(&h.herr.line(&h.word));
                self.goterr = 1;
                None
            }
        }
    }

    /// `fprintf(stderr, "NAME: %s\n", strerror(errno)); goterr = 1;` on failure.
    fn report(&mut self, name: &str, r: Result<(), Errno>) {
        if let Err(e) = r {
            self.say(&format!("{name}: {e}"));
            self.goterr = 1;
        }
    }

    /// `goterr |= set_netmask(…)`: the one failure that is OR-ed in rather than assigned.
    fn report_or(&mut self, name: &str, r: Result<(), Errno>) {
        if let Err(e) = r {
            self.say(&format!("{name}: {e}"));
            self.goterr |= 1;
        }
    }

    fn hw_report(&mut self, r: Result<(), Errno>) {
        if let Err(e) = r {
            let hint = if e == EBUSY {
                " - you may need to down the interface"
            } else {
                ""
            };
            self.say(&format!("SIOCSIFHWADDR: {e}{hint}"));
            self.goterr = 1;
        }
    }

    /// An ioctl that only looks the device up (SIOCGIFMAP; the private SLIP ioctls, which
    /// are refused before any privilege check): EBADF or ENODEV.
    fn dev_lookup(&mut self, name: &str) -> Step<Result<(), Errno>> {
        if self.skfd == Sock::None {
            return Ok(Err(EBADF.into()));
        }
        Ok(match self.link(name)? {
            Some(_) => Ok(()),
            None => Err(ENODEV.into()),
        })
    }

    /// A device setting ioctl through `skfd` (MTU, MAC, name…): EBADF without a socket,
    /// EPERM without privilege, ENODEV without the device, else whatever `plan` decides and
    /// the kernel answers.
    fn dev_ioctl(
        &mut self,
        name: &str,
        plan: impl FnOnce(&mut Self, &Link) -> Result<Vec<Op>, Errno>,
    ) -> Step<Result<(), Errno>> {
        if self.skfd == Sock::None {
            return Ok(Err(EBADF.into()));
        }
        if !self.admin {
            return Ok(Err(EPERM.into()));
        }
        let Some(link) = self.link(name)? else {
            return Ok(Err(ENODEV.into()));
        };
        Ok(match plan(self, &link) {
            Ok(ops) => self.apply(ops),
            Err(e) => Err(e),
        })
    }

    /// `SIOCGIFMAP` then `SIOCSIFMAP`, which no virtual device implements.
    fn map(&mut self, iface: &str, field: MapField) -> Step<()> {
        let p = field.prefix();
        let line = match self.dev_lookup(iface)? {
            Err(e) => format!("{p}: SIOCGIFMAP: {e}"),
            Ok(()) if !self.admin => format!("{p}: SIOCSIFMAP: {EPERM}"),
            Ok(()) => format!("{p}: SIOCSIFMAP: {EOPNOTSUPP}"),
        };
        self.say(&line);
        self.goterr = 1;
        Ok(())
    }

    /// SIOCGIFFLAGS through a socket.
    fn gifflags(&mut self, sock: Sock, name: &str) -> Step<Result<u16, Errno>> {
        if sock == Sock::None {
            return Ok(Err(EBADF.into()));
        }
        Ok(match self.link(name)? {
            Some(l) => Ok(flags_of(&l)),
            None => Err(ENODEV.into()),
        })
    }

    /// SIOCSIFFLAGS through a socket.
    fn sifflags(&mut self, sock: Sock, name: &str, want: u16) -> Step<Result<(), Errno>> {
        if sock == Sock::None {
            return Ok(Err(EBADF.into()));
        }
        if !self.admin {
            return Ok(Err(EPERM.into()));
        }
        let Some(link) = self.link(name)? else {
            return Ok(Err(ENODEV.into()));
        };
        if sock == Sock::Inet && name.contains(':') {
            // devinet_ioctl: on an alias, only clearing UP does anything (it deletes it).
            let Some(ifa) = ifa_of(&link, name).map(Ifa::from_addr) else {
                return Ok(Err(EADDRNOTAVAIL.into()));
            };
            if want & IFF_UP != 0 {
                return Ok(Ok(()));
            }
            let op = Op::DelAddrSpec {
                ns: None,
                dev: link.name.clone(),
                addr: ifa.del_spec(),
            };
            return Ok(self.apply(vec![op]));
        }
        // dev_change_flags: only some bits can change; ip can set all of them but
        // DEBUG, PORTSEL and AUTOMEDIA.
        let diff = flags_of(&link) ^ want;
        let dev = link.name.clone();
        let mut ops = Vec::new();
        let flag = |f: LinkFlag, on: bool| Op::SetFlag {
            ns: None,
            dev: dev.clone(),
            flag: f,
            on,
        };
        let table: &[(u16, LinkFlag, bool)] = &[
            (0x80, LinkFlag::Arp, true),
            (0x20, LinkFlag::Trailers, true),
            (0x1000, LinkFlag::Multicast, false),
            (0x8000, LinkFlag::Dynamic, false),
            (0x100, LinkFlag::Promisc, false),
            (0x200, LinkFlag::Allmulticast, false),
        ];
        for &(bit, f, inverted) in table {
            if diff & bit != 0 {
                let set = want & bit != 0;
                ops.push(flag(f, set != inverted));
            }
        }
        if diff & IFF_UP != 0 {
            ops.push(Op::SetUp {
                ns: None,
                dev: dev.clone(),
                up: want & IFF_UP != 0,
            });
        }
        Ok(self.apply(ops))
    }

    /// ifconfig.c `set_flag`: through `skfd`.
    fn set_flag(&mut self, name: &str, bits: u16) -> Step<i32> {
        self.change_flag(self.skfd, name, bits, true)
    }

    /// ifconfig.c `clr_flag`: alias names go through an AF_INET socket.
    fn clr_flag(&mut self, name: &str, bits: u16) -> Step<i32> {
        let sock = if name.contains(':') {
            Sock::Inet
        } else {
            self.skfd
        };
        self.change_flag(sock, name, bits, false)
    }

    fn change_flag(&mut self, sock: Sock, name: &str, bits: u16, set: bool) -> Step<i32> {
        let cur = match self.gifflags(sock, name)? {
            Ok(f) => f,
            Err(e) => {
                self.say(&format!("{name}: ERROR while getting interface flags: {e}"));
                return Ok(-1);
            }
        };
        let want = if set { cur | bits } else { cur & !bits };
        match self.sifflags(sock, name, want)? {
            Ok(()) => Ok(0),
            Err(e) => {
                self.say(&format!("SIOCSIFFLAGS: {e}"));
                Ok(-1)
            }
        }
    }

    /// ifconfig.c `test_flag`: the flag bits still set, or -1.
    fn test_flag(&mut self, name: &str, bits: u16) -> Step<i32> {
        let sock = if name.contains(':') {
            Sock::Inet
        } else {
            self.skfd
        };
        match self.gifflags(sock, name)? {
            Ok(f) => Ok((f & bits) as i32),
            Err(e) => {
                self.say(&format!("{name}: ERROR while testing interface flags: {e}"));
                Ok(-1)
            }
        }
    }

    /// Look up the device and the label's address for a devinet ioctl.
    fn devinet(&mut self, label: &str) -> Step<Result<(Link, Option<Ifa>), Errno>> {
        if !self.admin {
            return Ok(Err(EPERM.into()));
        }
        let Some(link) = self.link(label)? else {
            return Ok(Err(ENODEV.into()));
        };
        let ifa = ifa_of(&link, label).map(Ifa::from_addr);
        Ok(Ok((link, ifa)))
    }

    /// Replace `old` by `new` as the kernel does: delete, then insert.
    /// `checked`: SIOCSIFADDR reports a failed insert; SIOCSIFNETMASK, BRDADDR and DSTADDR
    /// ignore it (the address is then simply gone).
    fn reinsert(
        &mut self,
        dev: &str,
        old: Option<&Ifa>,
        new: Option<&Ifa>,
        checked: bool,
    ) -> Result<(), Errno> {
        let mut ops = Vec::new();
        if let Some(o) = old {
            ops.push(Op::DelAddrSpec {
                ns: None,
                dev: dev.to_string(),
                addr: o.del_spec(),
            });
        }
        if let Some(n) = new {
            ops.push(Op::AddAddr {
                ns: None,
                dev: dev.to_string(),
                addr: n.spec(),
            });
        }
        if ops.is_empty() {
            return Ok(());
        }
        self.snap = None;
        match self.ctx.backend.apply_then_addr_snapshot(None, &ops) {
            Ok(s) => {
                self.snap = Some(s);
                Ok(())
            }
            Err(Error::Command { line: Some(l), .. }) if !checked && l.contains(" addr add ") => {
                Ok(())
            }
            Err(e) => Err(errno_of(&e)),
        }
    }

    /// SIOCSIFADDR on an AF_INET socket.
    fn set_addr(&mut self, label: &str, ip: Ipv4Addr) -> Step<Result<(), Errno>> {
        let (link, old) = match self.devinet(label)? {
            Ok(x) => x,
            Err(e) => return Ok(Err(e)),
        };
        let Some(len) = abc_len(ip) else {
            return Ok(Err(EINVAL.into()));
        };
        // A device whose MTU is below 68 has no IPv4 configuration (inetdev) to add to.
        if old.is_none() && link.mtu < 68 {
            return Ok(Err("No buffer space available".into()));
        }
        if old.as_ref().is_some_and(|o| o.local == ip) {
            return Ok(Ok(()));
        }
        let flags = flags_of(&link);
        let (prefixlen, broadcast) = if flags & IFF_POINTOPOINT != 0 {
            (32, Ipv4Addr::UNSPECIFIED)
        } else if flags & IFF_BROADCAST != 0 && len < 31 {
            (len, Ipv4Addr::from(u32::from(ip) | !mask_of(len)))
        } else {
            (len, Ipv4Addr::UNSPECIFIED)
        };
        // inet_set_ifa: loopback addresses get host scope; 0.0.0.0 is never inserted.
        let new = (!ip.is_unspecified()).then(|| Ifa {
            local: ip,
            address: ip,
            prefixlen,
            broadcast,
            label: if label.contains(':') {
                label.to_string()
            } else {
                link.name.clone()
            },
            scope: if ip.octets()[0] == 127 {
                "host"
            } else {
                "global"
            }
            .to_string(),
        });
        Ok(self.reinsert(&link.name, old.as_ref(), new.as_ref(), true))
    }

    /// SIOCSIFNETMASK.
    fn set_netmask(&mut self, label: &str, m: Ipv4Addr) -> Step<Result<(), Errno>> {
        let (link, Some(old)) = (match self.devinet(label)? {
            Ok(x) => x,
            Err(e) => return Ok(Err(e)),
        }) else {
            return Ok(Err(EADDRNOTAVAIL.into()));
        };
        let m = u32::from(m);
        if bad_mask(m) {
            return Ok(Err(EINVAL.into()));
        }
        if old.mask() == m {
            return Ok(Ok(()));
        }
        let mut new = old.clone();
        new.prefixlen = m.count_ones() as u8;
        let local = u32::from(old.local);
        if flags_of(&link) & IFF_BROADCAST != 0
            && new.prefixlen < 31
            && u32::from(old.broadcast) == local | !old.mask()
        {
            new.broadcast = Ipv4Addr::from(local | !m);
        }
        Ok(self.reinsert(&link.name, Some(&old), Some(&new), false))
    }

    /// SIOCSIFBRDADDR.
    fn set_brd(&mut self, label: &str, b: Ipv4Addr) -> Step<Result<(), Errno>> {
        let (link, Some(old)) = (match self.devinet(label)? {
            Ok(x) => x,
            Err(e) => return Ok(Err(e)),
        }) else {
            return Ok(Err(EADDRNOTAVAIL.into()));
        };
        if old.broadcast == b {
            return Ok(Ok(()));
        }
        let mut new = old.clone();
        new.broadcast = b;
        Ok(self.reinsert(&link.name, Some(&old), Some(&new), false))
    }

    /// SIOCSIFDSTADDR on an AF_INET socket.
    fn set_dst(&mut self, label: &str, d: Ipv4Addr) -> Step<Result<(), Errno>> {
        let (link, Some(old)) = (match self.devinet(label)? {
            Ok(x) => x,
            Err(e) => return Ok(Err(e)),
        }) else {
            return Ok(Err(EADDRNOTAVAIL.into()));
        };
        if old.address == d {
            return Ok(Ok(()));
        }
        if abc_len(d).is_none() {
            return Ok(Err(EINVAL.into()));
        }
        let mut new = old.clone();
        new.address = d;
        Ok(self.reinsert(&link.name, Some(&old), Some(&new), false))
    }

    /// `add`/`del`/`tunnel` with an IPv6 address (through an AF_INET6 socket).
    fn inet6(&mut self, iface: &str, a: &Inet6, kind: Kind6) -> Step<()> {
        let Some(addr) = a.addr else {
            self.say(&a.herr.line(&a.word));
            self.goterr = 1;
            return Ok(());
        };
        let Some(link) = self.link(iface)? else {
            self.say(&format!("SIOGIFINDEX: {ENODEV}"));
            self.goterr = 1;
            return Ok(());
        };
        if !self.admin && kind != Kind6::Tunnel {
            self.report(
                if kind == Kind6::Add {
                    "SIOCSIFADDR"
                } else {
                    "SIOCDIFADDR"
                },
                Err(EPERM.into()),
            );
            return Ok(());
        }
        let local = format!("{addr}/{}", a.prefix);
        let dev = link.name.clone();
        let (name, r) = match kind {
            Kind6::Add => {
                let op = Op::AddAddr {
                    ns: None,
                    dev,
                    addr: AddrSpec {
                        local,
                        ..Default::default()
                    },
                };
                ("SIOCSIFADDR", self.apply(vec![op]))
            }
            Kind6::Del => {
                if self.ctx.verbose {
                    let line = format!(
                        "now deleting: ioctl(SIOCDIFADDR,{{ifindex={},prefixlen={}}})",
                        link.ifindex, a.prefix
                    );
                    self.say(&line);
                }
                (
                    "SIOCDIFADDR",
                    self.apply(vec![Op::DelAddr {
                        ns: None,
                        dev,
                        local,
                    }]),
                )
            }
            // addrconf_set_dstaddr only acts on SIT devices.
            Kind6::Tunnel if self.kind(iface)?.as_deref() == Some("sit") => {
                self.say("ifconfig: nslab does not reproduce `tunnel' on SIT devices");
                self.goterr = 1;
                return Ok(());
            }
            Kind6::Tunnel => ("SIOCSIFDSTADDR", Err(ENODEV.to_string())),
        };
        self.report(name, r);
        Ok(())
    }

    /// net-tools reads its interface list (/proc/net/dev names and IPv4 labels, in nstrcmp
    /// order) once per process, at the first `for_all_interfaces`; later lookups only add
    /// the name asked for. Aliases created afterwards are not in it.
    fn ife_list(&mut self, snap: &Snapshot, parent: &str) {
        let list = self.ifaces.get_or_insert_with(|| {
            let mut names: Vec<String> = Vec::new();
            for l in &snap.links {
                names.push(l.name.clone());
                let labels = l.addrs.iter().filter(|a| a.is_ipv4());
                names.extend(labels.filter_map(|a| a.label.clone()));
            }
            names
                .into_iter()
                .map(|name| Ife {
                    name,
                    dst: 0,
                    mask: 0,
                    brd: 0,
                })
                .collect()
        });
        if !list.iter().any(|i| i.name == parent) {
            list.push(Ife {
                name: parent.to_string(),
                dst: 0,
                mask: 0,
                brd: 0,
            });
        }
        list.sort_by(|a, b| nstrcmp(&a.name, &b.name));
        list.dedup_by(|a, b| a.name == b.name);
    }

    /// `do_if_fetch`: refresh one cache entry; `false` (and the message) when its device
    /// is gone.
    fn fetch(&mut self, snap: &Snapshot, name: &str) -> bool {
        let Some(link) = snap.link(base(name)) else {
            self.say(&format!(
                "{name}: error fetching interface information: Device not found"
            ));
            return false;
        };
        if let Some(ifa) = ifa_of(link, name).map(Ifa::from_addr) {
            if let Some(e) = self.ifaces.iter_mut().flatten().find(|i| i.name == name) {
                e.dst = u32::from(ifa.address);
                e.mask = ifa.mask();
                e.brd = u32::from(ifa.broadcast);
            }
        }
        true
    }

    /// ifconfig.c `set_ifstate`: `add`/`del` of an IPv4 address as an alias `PARENT:N`.
    /// Its failures are silent (ifconfig ignores the result). `Some(134)`: ifconfig aborts
    /// on an alias number outside 0..=255.
    fn set_ifstate(&mut self, parent: &str, ip: Ipv4Addr, add: bool) -> Step<Option<i32>> {
        // get_nmbc_parent: the netmask and broadcast cached for the parent's name.
        let snap = self.snapshot()?.clone();
        self.ife_list(&snap, parent);
        self.fetch(&snap, parent);
        let (nm, bc) = self
            .ifaces
            .iter()
            .flatten()
            .find(|i| i.name == parent)
            .map_or((0, 0), |i| (i.mask, i.brd));
        let (nm, bc) = (Ipv4Addr::from(nm), Ipv4Addr::from(bc));
        // for_all_interfaces over the list read at the first call, each entry fetched again.
        let names: Vec<String> = self
            .ifaces
            .iter()
            .flatten()
            .map(|i| i.name.clone())
            .collect();
        let mut used = [false; 256];
        for x in &names {
            if !self.fetch(&snap, x) {
                continue;
            }
            if !x.starts_with(parent) {
                continue;
            }
            let Some((_, z)) = x.split_once(':') else {
                continue;
            };
            if z.contains('-') {
                continue;
            }
            let i = super::grammar::atoi(z);
            if !(0..=255).contains(&i) {
                return Ok(Some(134));
            }
            used[i as usize] = true;
            let dst = self
                .ifaces
                .iter()
                .flatten()
                .find(|i| &i.name == x)
                .map_or(0, |i| i.dst);
            if dst != u32::from(ip) {
                continue;
            }
            if add {
                self.set_flag(x, IFF_UP | IFF_RUNNING)?;
            } else {
                self.clr_flag(x, IFF_UP)?;
            }
            return Ok(None);
        }
        let Some(i) = used.iter().position(|u| !u) else {
            return Ok(None);
        };
        let full = format!("{parent}:{i}");
        if full.len() > IFNAMSIZ_MAX + 1 {
            return Ok(None);
        }
        let alias = super::grammar::truncate(&full, IFNAMSIZ_MAX);
        if self.set_addr(&alias, ip)?.is_err()
            || self.set_netmask(&alias, nm)?.is_err()
            || self.set_brd(&alias, bc)?.is_err()
        {
            return Ok(None);
        }
        self.set_flag(&alias, IFF_BROADCAST)?;
        Ok(None)
    }
}

/// An entry of net-tools' interface cache (`struct interface`): the name, and the IPv4
/// fields of the last successful fetch (they keep their old values when the name has no
/// address any more).
#[derive(Debug, Clone)]
struct Ife {
    name: String,
    dst: u32,
    mask: u32,
    brd: u32,
}

/// Which IPv6 keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind6 {
    Add,
    Del,
    Tunnel,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::recording::{Call, Recording};
    use crate::legacy::ifconfig::set::grammar::{parse, NumericOnly};
    use crate::model::{Addr, Link, Snapshot};

    fn addr(cidr: &str, label: &str, secondary: bool) -> Addr {
        let (a, len) = cidr.split_once('/').expect("cidr");
        let local: Ipv4Addr = a.parse().expect("addr");
        let len: u8 = len.parse().expect("len");
        Addr {
            local: IpAddr::V4(local),
            prefixlen: len,
            peer: None,
            broadcast: Some(IpAddr::V4(Ipv4Addr::from(u32::from(local) | !mask_of(len)))),
            scope: "global".into(),
            label: Some(label.into()),
            secondary,
            tentative: false,
            dadfailed: false,
            nodad: false,
        }
    }

    fn link(name: &str, up: bool, addrs: Vec<Addr>) -> Link {
        let mut flags = vec!["BROADCAST".to_string(), "MULTICAST".to_string()];
        if up {
            flags.push("UP".into());
        }
        Link {
            ifindex: 3,
            name: name.into(),
            kind: "veth".into(),
            flags,
            mtu: 1500,
            qdisc: None,
            operstate: if up { "UP" } else { "DOWN" }.into(),
            txqlen: 1000,
            link_type: "ether".into(),
            mac: Some("02:00:00:00:00:01".into()),
            broadcast_mac: None,
            master: None,
            promiscuity: 0,
            allmulti: 0,
            peer_ifindex: None,
            peer_netnsid: None,
            peer_name: None,
            addrs,
            stats: None,
            bridge: None,
            port: None,
        }
    }

    /// Run `ifconfig ARGS` offline against one link; returns (code, stderr, applied batches).
    fn run_on(l: Link, args: &str, verbose: bool) -> (i32, String, Vec<Vec<Op>>) {
        let mut backend = Recording {
            snapshots: vec![Snapshot {
                netns: None,
                links: vec![l],
                routes: vec![],
                nsids: Default::default(),
            }],
            ..Recording::default()
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let words: Vec<String> = args.split_whitespace().map(str::to_string).collect();
        let cmd = parse(&words[0], &words[1..], &NumericOnly);
        let code = {
            let mut ctx = Ctx {
                backend: &mut backend,
                out: &mut out,
                err: &mut err,
                verbose,
            };
            run(&mut ctx, &cmd)
        };
        let applied = backend
            .calls
            .iter()
            .filter_map(|c| match c {
                Call::Apply(ops) => Some(ops.clone()),
                _ => None,
            })
            .collect();
        (code, String::from_utf8(err).expect("utf8"), applied)
    }

    fn primary_and_alias(up: bool) -> Link {
        link(
            "v0",
            up,
            vec![
                addr("10.0.0.1/24", "v0", false),
                addr("10.0.0.2/24", "v0:1", true),
            ],
        )
    }

    #[test]
    fn replacing_the_primary_deletes_it_by_label_and_inserts_the_classful_address() {
        let (code, err, applied) = run_on(primary_and_alias(true), "v0 10.0.0.9", false);
        assert_eq!((code, err.as_str()), (0, ""));
        assert_eq!(applied.len(), 1, "{applied:?}");
        let shown: Vec<String> = applied[0].iter().map(|o| o.to_string()).collect();
        assert_eq!(
            shown,
            vec![
                "ip addr del 10.0.0.1 label v0 dev v0",
                "ip addr add 10.0.0.9/8 broadcast 10.255.255.255 label v0 dev v0",
            ]
        );
    }

    #[test]
    fn an_alias_keeping_its_address_changes_nothing_and_does_not_bring_the_device_up() {
        let (code, err, applied) = run_on(primary_and_alias(false), "v0:1 10.0.0.2", false);
        assert_eq!((code, err.as_str()), (0, ""));
        assert!(applied.is_empty(), "{applied:?}");
    }

    #[test]
    fn a_down_device_is_brought_up_after_its_address() {
        let (code, _, applied) = run_on(primary_and_alias(false), "v0 10.0.0.1", false);
        assert_eq!(code, 0);
        let shown: Vec<String> = applied.concat().iter().map(|o| o.to_string()).collect();
        assert_eq!(shown, vec!["ip link set dev v0 up"]);
    }

    #[test]
    fn kernel_checks_done_before_ip_give_the_ioctl_messages() {
        let l = primary_and_alias(true);
        let (code, err, applied) = run_on(l.clone(), "v0 netmask 255.0.255.0 mtu -5", false);
        assert_eq!(code, 1);
        assert_eq!(
            err,
            "SIOCSIFNETMASK: Invalid argument\nSIOCSIFMTU: Invalid argument\n"
        );
        assert!(applied.is_empty());
        let (code, err, _) = run_on(l.clone(), "v0:7 netmask 255.0.0.0", false);
        assert_eq!(
            (code, err.as_str()),
            (1, "SIOCSIFNETMASK: Cannot assign requested address\n")
        );
        let (code, err, _) = run_on(l, "v0 224.0.0.1", false);
        assert_eq!(code, 1);
        assert_eq!(err, "SIOCSIFADDR: Invalid argument\n");
    }

    #[test]
    fn a_missing_device_fails_every_flag_call_with_255() {
        let (code, err, _) = run_on(primary_and_alias(true), "nosuch 10.0.0.1", false);
        assert_eq!(code, 255);
        assert_eq!(
            err,
            "SIOCSIFADDR: No such device\nnosuch: ERROR while getting interface flags: No such device\n"
        );
    }

    #[test]
    fn verbose_adds_the_warning_with_goterr() {
        let (code, err, _) = run_on(primary_and_alias(true), "v0 mtu -1", true);
        assert_eq!(code, 1);
        assert!(
            err.ends_with("WARNING: at least one error occured. (1)\n"),
            "{err}"
        );
    }

    #[test]
    fn families_without_a_socket_fail_with_ebadf() {
        // goterr: -1 from the flags, then `goterr = 1` from the MTU failure (assigned, as
        // ifconfig.c does), so the exit code is 1.
        let (code, err, _) = run_on(primary_and_alias(true), "v0 ipx up mtu 1400", false);
        assert_eq!(code, 1);
        assert_eq!(
            err,
            "v0: ERROR while getting interface flags: Bad file descriptor\nSIOCSIFMTU: Bad file descriptor\n"
        );
    }

    #[test]
    fn del_of_an_unknown_address_adds_it_as_the_first_free_alias() {
        let (code, err, applied) = run_on(primary_and_alias(true), "v0 del 10.0.0.99", false);
        // The canned state never changes, so the steps after the first stop silently.
        assert_eq!((code, err.as_str()), (0, ""));
        let first: Vec<String> = applied[0].iter().map(|o| o.to_string()).collect();
        assert_eq!(
            first,
            vec!["ip addr add 10.0.0.99/8 broadcast 10.255.255.255 label v0:0 dev v0"]
        );
    }

    #[test]
    fn ip_errors_map_to_strerror_texts() {
        let e = |stderr: &str| {
            errno_of(&Error::Command {
                argv: vec!["ip".into()],
                status: crate::error::Exit::Code(1),
                stderr: stderr.into(),
                line: None,
            })
        };
        assert_eq!(
            e("RTNETLINK answers: File exists\nCommand failed -:1"),
            "File exists"
        );
        assert_eq!(e("Error: mtu greater than device maximum."), EINVAL);
        assert_eq!(e("Cannot find device \"x\""), ENODEV);
        assert_eq!(
            e("Error: ipv6: IPv6 is disabled on this device."),
            "No such device or address"
        );
    }

    #[test]
    fn nstrcmp_orders_like_net_tools() {
        let mut v = vec!["v0:10", "v1", "v0", "v0:abc", "v0:2", "lo"];
        v.sort_by(|a, b| nstrcmp(a, b));
        assert_eq!(v, vec!["lo", "v0", "v0:2", "v0:10", "v1", "v0:abc"]);
    }
}
