//! Performs a parsed [`Command`] the way net-tools 2.10 does: one kernel call per keyword,
//! left to right, no rollback, with its messages and its exit code.
//!
//! ifconfig talks to the kernel with ioctls; nslab reproduces each ioctl's effect with `ip`
//! Ops applied through the [`Backend`](crate::backend::Backend), deciding what the kernel
//! would do from a [`Snapshot`] of the current namespace ([`super::kernel`]), and checking
//! first what the kernel checks first (socket, privilege).
//!
//! Kernel refusals (MTU range, busy MAC, duplicate address…) come back from `ip` and are
//! mapped to the `strerror` text ifconfig would print. Each change is one `ip -batch`
//! process that also reads the new state (`apply_then_addr_snapshot`); a change that needs no
//! state (a device flag, the MTU, before anything was read) skips the first read.
//!
//! Longer than 800 lines on purpose: one executor (`Exec`: socket, interface cache, the
//! snapshot it keeps current) runs every keyword in net-tools' order, and splitting it would
//! scatter that shared state; the kernel's side is in `kernel.rs`, the tests in `exec/tests.rs`.

use super::grammar::{Action, Command, Family, Host, IfFlag, Inet, Inet6, MapField, Slip, USAGE};
use super::kernel::{
    self, base, flags_of, ifa_of, Errno, Ifa, IFF_BROADCAST, IFF_POINTOPOINT, IFF_RUNNING, IFF_UP,
};
use crate::error::Error;
use crate::legacy::ifconfig::Ctx;
use crate::legacy::linux::{
    self, dev_valid_name, errno_of, has_net_admin, nstrcmp, EBADF, EBUSY, EINVAL, ENODEV,
    EOPNOTSUPP, EPERM, IFNAMSIZ_MAX,
};
use crate::model::{Link, Snapshot};
use crate::op::{AddrSpec, Op};
use std::net::Ipv4Addr;

/// Reading state failed: nothing ifconfig would print, so nslab says what happened.
struct Fatal(Error);

type Step<T> = Result<T, Fatal>;

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
    run_as(ctx, cmd, has_net_admin())
}

/// [`run`] with CAP_NET_ADMIN (`admin`) decided by the caller.
pub fn run_as(ctx: &mut Ctx<'_>, cmd: &Command, admin: bool) -> i32 {
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
        admin,
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
                let r = self.dev_set(iface, *n, |dev, mtu| Op::SetMtu { ns: None, dev, mtu })?;
                self.report("SIOCSIFMTU", r);
            }
            Action::TxQueueLen(q) => {
                let r = self.dev_set(iface, *q, |dev, txqlen| Op::SetTxqlen {
                    ns: None,
                    dev,
                    txqlen,
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
                let line = match (family, word) {
                    (Family::Inet6, _) => "Don't know how to set addresses for family 10.".into(),
                    // Only ipx's parser is reproduced among the socket-less families.
                    (Family::NoSocket, _) => "Don't know how to set addresses for family 4.".into(),
                    _ => format!(
                        "ifconfig: nslab does not reproduce setting the address `{word}' for this address family"
                    ),
                };
                self.say(&line);
                return Ok(Some(1));
            }
            Action::FamilyKeyword { keyword, parsed } => {
                if let Err(lines) = parsed {
                    for l in lines {
                        self.say(l);
                    }
                    self.goterr = 1;
                    return Ok(None);
                }
                // An inet6 socket does not know the IPv4 netmask and broadcast ioctls, and
                // reads the destination request as an interface index of 0; a family
                // without a socket fails them all with EBADF.
                let no_socket = self.skfd == Sock::None;
                let errno = |enotty: bool| match (no_socket, enotty) {
                    (true, _) => EBADF,
                    (false, true) => "Inappropriate ioctl for device",
                    (false, false) => ENODEV,
                };
                match keyword.as_str() {
                    "netmask" => {
                        self.say(&format!("SIOCSIFNETMASK: {}", errno(true)));
                        self.goterr |= 1;
                    }
                    "broadcast" => {
                        self.say(&format!("SIOCSIFBRDADDR: {}", errno(true)));
                        self.goterr = 1;
                        let r = self.set_flag(iface, IFF_BROADCAST)?;
                        self.goterr |= r;
                    }
                    _ => {
                        self.say(&format!("SIOCSIFDSTADDR: {}", errno(false)));
                        self.goterr = 1;
                        if keyword != "dstaddr" {
                            let r = self.set_flag(iface, IFF_POINTOPOINT)?;
                            self.goterr |= r;
                        }
                    }
                }
            }
            Action::Crash => return Ok(Some(139)),
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

    /// SIOCSIFMTU / SIOCSIFTXQLEN. When no state has been read yet, `ip` itself is left to
    /// find the device (one process instead of two; "Cannot find device" is ENODEV).
    fn dev_set(
        &mut self,
        name: &str,
        value: i32,
        op: impl Fn(String, u32) -> Op,
    ) -> Step<Result<(), Errno>> {
        let dev = base(name).to_string();
        // (The kernel looks the device up before it checks the value: a negative one needs
        // the state to tell ENODEV from EINVAL.)
        let direct = self.snap.is_none() && self.skfd != Sock::None && self.admin;
        if direct && value >= 0 && dev_valid_name(&dev) {
            return Ok(self.apply(vec![op(dev, value as u32)]));
        }
        self.dev_ioctl(name, |_, l| {
            if value < 0 {
                return Err(EINVAL.into());
            }
            Ok(vec![op(l.name.clone(), value as u32)])
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
        let effect = kernel::siocsifflags(self.snapshot()?, sock == Sock::Inet, name, want);
        Ok(effect.and_then(|ops| self.apply(ops)))
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
        // With no state read yet, a device flag that `ip` can set is set directly (one
        // process instead of two): `ip` finds the device, and setting a flag that is
        // already in that state changes nothing, as the ioctl would not.
        let direct = self.snap.is_none() && sock != Sock::None && self.admin;
        if direct && !name.contains(':') && dev_valid_name(name) {
            if let Some(op) = kernel::flag_op(name, bits, set) {
                return Ok(match self.apply(vec![op]) {
                    Ok(()) => 0,
                    Err(e) => {
                        if e == ENODEV {
                            self.say(&format!("{name}: ERROR while getting interface flags: {e}"));
                        } else {
                            self.say(&format!("SIOCSIFFLAGS: {e}"));
                        }
                        -1
                    }
                });
            }
        }
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

    /// A devinet setting ioctl (AF_INET socket): EPERM without privilege, else the
    /// kernel's effect, applied. `checked`: whether a failed re-insert is an error.
    fn devinet(
        &mut self,
        plan: impl FnOnce(&Snapshot) -> kernel::Effect,
        checked: bool,
    ) -> Step<Result<(), Errno>> {
        if !self.admin {
            return Ok(Err(EPERM.into()));
        }
        let ops = match plan(self.snapshot()?) {
            Ok(ops) if ops.is_empty() => return Ok(Ok(())),
            Ok(ops) => ops,
            Err(e) => return Ok(Err(e)),
        };
        self.snap = None;
        Ok(
            match self.ctx.backend.apply_then_addr_snapshot(None, &ops) {
                Ok(s) => {
                    self.snap = Some(s);
                    Ok(())
                }
                Err(e) if !checked && kernel::insert_failure_ignored(&e) => Ok(()),
                Err(e) => Err(errno_of(&e)),
            },
        )
    }

    /// SIOCSIFADDR on an AF_INET socket.
    fn set_addr(&mut self, label: &str, ip: Ipv4Addr) -> Step<Result<(), Errno>> {
        self.devinet(|s| kernel::siocsifaddr(s, label, ip), true)
    }

    /// SIOCSIFNETMASK.
    fn set_netmask(&mut self, label: &str, m: Ipv4Addr) -> Step<Result<(), Errno>> {
        self.devinet(|s| kernel::siocsifnetmask(s, label, m), false)
    }

    /// SIOCSIFBRDADDR.
    fn set_brd(&mut self, label: &str, b: Ipv4Addr) -> Step<Result<(), Errno>> {
        self.devinet(|s| kernel::siocsifbrdaddr(s, label, b), false)
    }

    /// SIOCSIFDSTADDR on an AF_INET socket.
    fn set_dst(&mut self, label: &str, d: Ipv4Addr) -> Step<Result<(), Errno>> {
        self.devinet(|s| kernel::siocsifdstaddr(s, label, d), false)
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
        // The flags are fetched through `skfd`.
        if self.skfd == Sock::None {
            self.say(&format!(
                "{name}: error fetching interface information: {EBADF}"
            ));
            return false;
        }
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
        // The new alias is set up through `skfd`, which only an AF_INET socket accepts
        // (AF_INET6/AF_UNIX refuse these ioctls, a missing socket is EBADF): silently.
        let Some(i) = used
            .iter()
            .position(|u| !u)
            .filter(|_| self.skfd == Sock::Inet)
        else {
            return Ok(None);
        };
        let full = format!("{parent}:{i}");
        if full.len() > IFNAMSIZ_MAX + 1 {
            return Ok(None);
        }
        let alias = linux::ifname(&full);
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
mod tests;
