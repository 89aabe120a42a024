//! `ifconfig` lines. Where the namespace's state is known, the drop-in's own executor
//! ([`crate::legacy::ifconfig::set::perform_privileged`]) runs against the picture held by the
//! memory backend, and its Ops are the translation. Elsewhere the address keywords become
//! run-time guards made of `ip` commands.
//!
//! Known limits of the run-time guards (translated, but not always exact):
//! * every device but `lo` is taken to be broadcast-capable (ifconfig gives no broadcast on
//!   point-to-point and other non-broadcast devices);
//! * setting a label's address again to the same address with a netmask gets the default
//!   broadcast, while ifconfig keeps a non-default one (the guard cannot see the old
//!   broadcast).

//!
//! A little over 800 lines: the picture of a namespace's addresses (what the executor runs
//! against) and the run-time guards for what the picture does not know are two halves of one
//! decision per keyword, kept side by side.
use super::translate::{Res, Tx};
use crate::backend::{Backend, Memory, Script};
use crate::legacy::ifconfig::set::grammar::{self as ifg, Action, Family, Host, IfFlag, Inet};
use crate::legacy::ifconfig::set::kernel::{
    abc_len, bad_mask, base, broadcast_after_netmask, implied_broadcast, mask_of,
};
use crate::legacy::ifconfig::{self, Ctx, Invocation as IfInv};
use crate::model::Snapshot;
use crate::op::{AddrSpec, LinkFlag, Op};
use crate::run::shell_quote;
use std::net::Ipv4Addr;

/// An IPv4 address as the guard computes it (what ifconfig would give a label whose
/// state is only known at run time).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Guess {
    dev: String,
    label: String,
    local: Ipv4Addr,
    prefixlen: u8,
    brd: Option<Ipv4Addr>,
    peer: Option<Ipv4Addr>,
}

impl Guess {
    fn spec(&self) -> AddrSpec {
        let len = self.prefixlen;
        AddrSpec {
            local: match self.peer {
                Some(_) => self.local.to_string(),
                None => format!("{}/{len}", self.local),
            },
            peer: self.peer.map(|p| format!("{p}/{len}")),
            broadcast: self.brd.map(|b| b.to_string()),
            label: (self.label != self.dev).then(|| self.label.clone()),
            scope: None,
            nodad: false,
        }
    }
}

/// The pattern `ip addr show` prints for an address, up to the scope.
fn show_pattern(a: &Guess) -> String {
    let mut s = format!("inet {}", a.local);
    match a.peer {
        Some(p) => s.push_str(&format!(" peer {p}/{}", a.prefixlen)),
        None => s.push_str(&format!("/{}", a.prefixlen)),
    }
    if let Some(b) = a.brd {
        s.push_str(&format!(" brd {b}"));
    }
    s.push_str(" scope");
    s
}

impl Tx {
    pub(super) fn ifconfig(&mut self, args: &[String], dyn_at: &[bool]) -> Res {
        const BSD: &[&str] = &[
            "create", "destroy", "addm", "deletem", "plumb", "unplumb", "-alias",
        ];
        if let Some(w) = args.iter().skip(1).find(|a| BSD.contains(&a.as_str())) {
            return Err(format!(
                "`{w}` is BSD ifconfig syntax: Linux net-tools has no such keyword (it would look `{w}` up as a host name and fail)"
            ));
        }
        let inv = ifconfig::parse(args);
        let (iface, words) = match inv {
            IfInv::Show(req) => {
                let mut line = format!("{} addr show", self.ip());
                match &req.iface {
                    Some(i) => line.push_str(&format!(" dev {}", shell_quote(base(i)))),
                    None if !req.all => line.push_str(" up"),
                    None => {}
                }
                self.lines.push(line);
                return Ok(None);
            }
            IfInv::Version | IfInv::Help => {
                return Err(
                    "a probe of net-tools itself (`-V`/`--help`): it prints net-tools' own text, which iproute2 has no equivalent of"
                        .into(),
                )
            }
            IfInv::BadOption(o) => return Err(format!("ifconfig refuses the option `{o}`")),
            IfInv::Configure { iface, words, .. } => (iface, words),
        };
        // Which argument is the interface (after leading options).
        let lead = args.iter().take_while(|a| a.starts_with('-')).count();
        for (k, d) in dyn_at.iter().enumerate() {
            let after_name = k > 0 && args[k - 1] == "name" && k > lead;
            if *d && k != lead && !after_name {
                return self.ifconfig_runtime(args, lead);
            }
        }
        let cmd = ifg::parse(&iface, &words, &ifg::NumericOnly);
        let dyn_iface = dyn_at.get(lead).copied().unwrap_or(false);
        if dyn_iface {
            // Any device of the namespace may change: the picture is lost.
            self.known = None;
            self.changed_unknown = true;
        }
        match cmd.family {
            Family::Inet | Family::Inet6 => {}
            _ => return Err("an address family other than inet/inet6".into()),
        }
        let iface = cmd.iface.clone();
        let dev = base(&iface).to_string();
        let alias = iface.contains(':');
        if self.known.as_ref().is_some_and(|k| k.link(&dev).is_none()) {
            // A device the picture does not have: let the kernel answer at run time.
            self.known = None;
            self.changed_unknown = true;
        }
        if let Some(reason) = run_time_only(&cmd) {
            return Err(reason);
        }
        if let Some(snap) = self.known.take() {
            return Ok(self.ifconfig_known(snap, &cmd));
        }
        // An address with `netmask` after a kept ifconfig line: what the netmask does to the
        // broadcast depends on the label's address before (SIOCSIFNETMASK recomputes it only
        // when it was the default for the old mask), which a guard cannot see; the run-time
        // helper replays the ioctls on what is there.
        let has = |f: fn(&Action) -> bool| cmd.actions.iter().any(f);
        if self.after_kept_ifconfig
            && has(|a| matches!(a, Action::Address(_)))
            && has(|a| matches!(a, Action::Netmask(_)))
            && !has(|a| {
                !matches!(
                    a,
                    Action::Address(_) | Action::Netmask(_) | Action::Broadcast(_)
                )
            })
        {
            return self.ifconfig_runtime(args, lead);
        }
        let acts = &cmd.actions;
        let mut used = vec![false; acts.len()];
        let mut notes: Vec<String> = Vec::new();
        // A keyword that fails does not stop ifconfig: the later ones still apply, and the
        // exit status is 1 at the end.
        let mut failure: Option<String> = None;
        macro_rules! fail {
            ($e:expr $(,)?) => {{
                let e: String = $e.into();
                failure.get_or_insert(e);
                continue;
            }};
        }
        for idx in 0..acts.len() {
            if used[idx] {
                continue;
            }
            match &acts[idx] {
                Action::Note(_) => {}
                Action::Flag { flag, on, .. } => {
                    self.if_flag(&iface, &dev, alias, cmd.family, *flag, *on)?
                }
                Action::Mtu(n) => {
                    if *n < 0 {
                        fail!("a negative MTU: `SIOCSIFMTU: Invalid argument`");
                    }
                    self.op(Op::SetMtu {
                        ns: self.ns.clone(),
                        dev: dev.clone(),
                        mtu: *n as u32,
                    });
                }
                Action::TxQueueLen(q) => {
                    if *q < 0 {
                        fail!("a negative txqueuelen: `SIOCSIFTXQLEN: Invalid argument`");
                    }
                    self.op(Op::SetTxqlen {
                        ns: self.ns.clone(),
                        dev: dev.clone(),
                        txqlen: *q as u32,
                    });
                }
                Action::HwEther(Ok(mac)) => {
                    let mac = mac.map(|b| format!("{b:02x}")).join(":");
                    self.op(Op::SetMac {
                        ns: self.ns.clone(),
                        dev: dev.clone(),
                        mac,
                    });
                }
                Action::HwEther(Err(w)) => {
                    fail!(format!("`{w}` is not an Ethernet address: ifconfig fails"))
                }
                Action::HwInvalid { class, addr } => {
                    fail!(format!(
                        "`{addr}` is not a valid `{class}` address: ifconfig fails"
                    ))
                }
                Action::HwOther { class, .. } => {
                    fail!(format!("`hw {class}` fails on an Ethernet device"))
                }
                Action::HwNoHandler(class) => {
                    fail!(format!(
                        "`hw {class}` has no address parser: ifconfig fails"
                    ))
                }
                Action::Slip { .. } => {
                    fail!("`keepalive`/`outfill` work on SLIP devices only: ifconfig fails",)
                }
                Action::Map { field, .. } => {
                    fail!(format!(
                        "`{}` needs SIOCSIFMAP, which virtual devices refuse: ifconfig fails",
                        field.prefix()
                    ))
                }
                Action::UnknownMedia(m) => {
                    fail!(format!("unknown media type `{m}`: ifconfig fails"))
                }
                Action::Tunnel(_) => fail!("`tunnel` works on SIT devices only: ifconfig fails"),
                Action::Add6(a) | Action::Del6(a) => {
                    let Some(addr) = a.addr else {
                        fail!(format!(
                            "`{}` is not an IPv6 address: ifconfig fails",
                            a.word
                        ));
                    };
                    let local = format!("{addr}/{}", a.prefix);
                    let ns = self.ns.clone();
                    if matches!(acts[idx], Action::Add6(_)) {
                        self.op(Op::AddAddr {
                            ns,
                            dev: dev.clone(),
                            addr: AddrSpec {
                                local,
                                ..Default::default()
                            },
                        });
                    } else {
                        self.op(Op::DelAddr {
                            ns,
                            dev: dev.clone(),
                            local,
                        });
                    }
                }
                Action::FamilyKeyword { keyword, .. } => {
                    fail!(format!(
                        "`{keyword}` under a non-inet family fails on that family's socket"
                    ))
                }
                Action::Crash => return Err(
                    "ifconfig dies of SIGSEGV here (a family without an address parser): it fails"
                        .into(),
                ),
                Action::Add4(_) | Action::Del4(_) => {
                    self.alias_add_del(&iface, matches!(acts[idx], Action::Add4(_)))?;
                }
                Action::Name(new) => {
                    if new.contains(':') || new.is_empty() {
                        return Err(format!(
                            "`{new}` is not a valid device name: ifconfig fails"
                        ));
                    }
                    self.op(Op::Rename {
                        ns: self.ns.clone(),
                        dev: dev.clone(),
                        to: new.clone(),
                    });
                    if idx + 1 < acts.len() {
                        return Err(
                            "keywords after `name` act on the old name, which is gone".into()
                        );
                    }
                }
                Action::Address(ip) => {
                    // Fold the keywords that refine this address into one change.
                    let mut mods = Vec::new();
                    for j in idx + 1..acts.len() {
                        match &acts[j] {
                            Action::Address(_) => break,
                            Action::Netmask(_)
                            | Action::PrefixNetmask(_)
                            | Action::Broadcast(Some(_))
                            | Action::Dstaddr(_)
                            | Action::PointToPoint(Some(_)) => {
                                used[j] = true;
                                mods.push(acts[j].clone());
                            }
                            Action::Add4(_) | Action::Del4(_) => {
                                return Err(
                                    "`add`/`del` together with an address in one line".into()
                                )
                            }
                            Action::Flag {
                                flag: IfFlag::Up,
                                on: false,
                                ..
                            } if alias => {
                                return Err("an alias address and `down` in one line".into())
                            }
                            _ => {}
                        }
                    }
                    if let Some(n) = self.set_address(&iface, &dev, alias, *ip, &mods)? {
                        notes.push(n);
                    }
                }
                Action::Netmask(_)
                | Action::PrefixNetmask(_)
                | Action::Broadcast(Some(_))
                | Action::Dstaddr(_)
                | Action::PointToPoint(Some(_)) => {
                    self.modify_existing(&iface)?;
                }
                Action::Broadcast(None) | Action::PointToPoint(None) => {}
                Action::OtherFamilyAddress { .. } | Action::Unsupported(_) => {
                    return Err("setting an address of this family is refused by ifconfig".into())
                }
                Action::Usage => return Err("ifconfig prints its usage and exits 3 here".into()),
                Action::Fail(lines) => {
                    return Err(format!(
                        "ifconfig fails here ({}); a name lookup happens only at run time",
                        lines.first().cloned().unwrap_or_default()
                    ))
                }
            }
        }
        if let Some(f) = failure {
            self.lines.push("false".into());
            let f = f.trim_end_matches(": ifconfig fails");
            notes.push(format!(
                "ifconfig fails here ({f}); the other keywords still apply"
            ));
        }
        Ok(if notes.is_empty() {
            None
        } else {
            Some(notes.join("; "))
        })
    }

    fn if_flag(
        &mut self,
        iface: &str,
        dev: &str,
        alias: bool,
        family: Family,
        flag: IfFlag,
        on: bool,
    ) -> Result<(), String> {
        let ns = self.ns.clone();
        // On an alias, SIOCSIFFLAGS through the inet socket only ever deletes the alias
        // address (when the flags asked for lack UP); `clr_flag` always uses that socket.
        let inet_sock = family == Family::Inet || !on;
        if alias && inet_sock {
            let deletes = match (flag, on) {
                (IfFlag::Up, true) => Some(false),
                (IfFlag::Up, false) => Some(true),
                _ => None,
            };
            match deletes {
                Some(false) => {}
                Some(true) => self.delete_label(iface, dev),
                None => {
                    let ip = self.ip();
                    self.lines.push(format!(
                        "{ip} link show dev {d} up | grep -q . || {ip} -4 addr flush dev {d} label {l}",
                        d = shell_quote(dev),
                        l = shell_quote(iface)
                    ));
                    self.changed_unknown = true;
                }
            }
            return Ok(());
        }
        let f = |flag: LinkFlag, on: bool| Op::SetFlag {
            ns: ns.clone(),
            dev: dev.to_string(),
            flag,
            on,
        };
        let op = match flag {
            IfFlag::Up => Op::SetUp {
                ns: ns.clone(),
                dev: dev.to_string(),
                up: on,
            },
            IfFlag::NoArp => f(LinkFlag::Arp, !on),
            IfFlag::NoTrailers => f(LinkFlag::Trailers, !on),
            IfFlag::Promisc => f(LinkFlag::Promisc, on),
            IfFlag::AllMulti => f(LinkFlag::Allmulticast, on),
            IfFlag::Multicast => f(LinkFlag::Multicast, on),
            IfFlag::Dynamic => f(LinkFlag::Dynamic, on),
            // Volatile flags: the kernel never changes them through SIOCSIFFLAGS.
            IfFlag::Broadcast | IfFlag::PointToPoint => return Ok(()),
            IfFlag::AutoMedia => {
                return Err("`media auto` sets IFF_AUTOMEDIA, which `ip` cannot set".into())
            }
        };
        self.op(op);
        Ok(())
    }

    /// Delete the address carrying `label`: the first one, as the ioctls address it (the
    /// kernel then takes the secondaries of its subnet with it).
    fn delete_label(&mut self, label: &str, dev: &str) {
        self.lines.push(del_first_label(&self.ip(), dev, label));
    }

    /// Apply a netmask/broadcast/peer keyword to an address, as the ioctl would.
    fn refine(ifa: &mut Guess, brd_capable: bool, m: &Action) -> Result<(), String> {
        match m {
            Action::Netmask(_) | Action::PrefixNetmask(_) => {
                let mask = match m {
                    Action::Netmask(h) => match h.inet {
                        Inet::Addr(a) | Inet::Network(a) => a,
                        Inet::Failed(_) => {
                            return Err(format!("netmask `{}` does not resolve", h.word))
                        }
                    },
                    Action::PrefixNetmask(a) => *a,
                    _ => unreachable!(),
                };
                let mk = u32::from(mask);
                if bad_mask(mk) {
                    return Err(
                        "a non-contiguous netmask: `SIOCSIFNETMASK: Invalid argument`".into(),
                    );
                }
                let old_mask = mask_of(ifa.prefixlen);
                if old_mask == mk {
                    return Ok(());
                }
                let old_brd = ifa.brd.unwrap_or(Ipv4Addr::UNSPECIFIED);
                if let Some(b) =
                    broadcast_after_netmask(ifa.local, old_mask, old_brd, mk, brd_capable)
                {
                    ifa.brd = Some(b);
                }
                ifa.prefixlen = mk.count_ones() as u8;
            }
            Action::Broadcast(Some(h)) => match resolved(h) {
                Some(b) => ifa.brd = (!b.is_unspecified()).then_some(b),
                None => return Err(format!("broadcast `{}` does not resolve", h.word)),
            },
            Action::Dstaddr(h) | Action::PointToPoint(Some(h)) => {
                let strict = matches!(m, Action::PointToPoint(_));
                let d = match (h.inet, strict) {
                    (Inet::Addr(a), _) | (Inet::Network(a), false) => a,
                    _ => return Err(format!("peer `{}` does not resolve", h.word)),
                };
                if abc_len(d).is_none() {
                    return Err("a multicast peer: `SIOCSIFDSTADDR: Invalid argument`".into());
                }
                ifa.peer = (d != ifa.local).then_some(d);
            }
            _ => {}
        }
        Ok(())
    }

    fn set_address(
        &mut self,
        iface: &str,
        dev: &str,
        alias: bool,
        ip: Ipv4Addr,
        mods: &[Action],
    ) -> Result<Option<String>, String> {
        let ns = self.ns.clone();
        let brd_capable = dev != "lo";
        let mut note = None;
        match abc_len(ip) {
            None => {
                // SIOCSIFADDR refuses a class D address; ifconfig still sets the flags.
                if !mods.is_empty() {
                    return Err("a class D address with a netmask or broadcast".into());
                }
                note = Some(format!(
                    "{ip} is class D: `SIOCSIFADDR: Invalid argument`, only the link comes up"
                ));
            }
            Some(_) if ip.is_unspecified() => {
                // The address goes; a netmask or broadcast after it then finds no address
                // and fails (`Cannot assign requested address`), changing nothing.
                self.delete_label(iface, dev);
                if !mods.is_empty() {
                    note = Some("the keywords after 0.0.0.0 fail: the address is gone".into());
                }
            }
            Some(len) => {
                let label = if alias {
                    iface.to_string()
                } else {
                    dev.to_string()
                };
                let fresh = Guess {
                    dev: dev.to_string(),
                    label,
                    local: ip,
                    prefixlen: len,
                    brd: implied_broadcast(ip, len, brd_capable),
                    peer: None,
                };
                // ifconfig's steps: SIOCSIFADDR (classful), then one delete + insert per
                // keyword that changes the address (each re-insert of a device's only address
                // flushes its routes and neighbours, so the steps are kept).
                let mut cur = fresh.clone();
                let mut reinserted = false;
                {
                    {
                        for m in mods {
                            let before = cur.clone();
                            Self::refine(&mut cur, brd_capable, m)?;
                            reinserted |= cur != before;
                        }
                        let new = cur;
                        let pattern = if mods.is_empty() {
                            format!("inet {ip}/")
                        } else {
                            show_pattern(&new)
                        };
                        let ipc = self.ip();
                        let render = |op: Op| Script::render(&[op]).trim_end().to_string();
                        let mut steps = vec![del_first_label(&ipc, dev, iface)];
                        if reinserted {
                            // Each step only if the previous one worked, as with the ioctls.
                            steps.push(format!(
                                "{} && {} && {}",
                                render(Op::AddAddr {
                                    ns: ns.clone(),
                                    dev: dev.to_string(),
                                    addr: fresh.spec()
                                }),
                                render(Op::DelAddrSpec {
                                    ns: ns.clone(),
                                    dev: dev.to_string(),
                                    addr: fresh.spec()
                                }),
                                render(Op::AddAddr {
                                    ns: ns.clone(),
                                    dev: dev.to_string(),
                                    addr: new.spec()
                                })
                            ));
                        } else {
                            steps.push(render(Op::AddAddr {
                                ns: ns.clone(),
                                dev: dev.to_string(),
                                addr: new.spec(),
                            }));
                        }
                        // When the label already holds the final address, ifconfig still
                        // re-inserts it for each keyword that changes it on the way (a mask,
                        // then another), and each re-insert of a device's only address flushes
                        // its routes and neighbours: do one re-insert then too.
                        let mut probe = new.clone();
                        let mut detour = false;
                        for m in mods {
                            let before = probe.clone();
                            Self::refine(&mut probe, brd_capable, m)?;
                            detour |= probe != before;
                        }
                        let show = format!(
                            "{ipc} -4 addr show dev {} label {}",
                            shell_quote(dev),
                            shell_quote(iface)
                        );
                        if detour {
                            self.lines.push(format!(
                                "if {show} | grep -q '{pattern}'; then {} && {}; else {}; fi",
                                render(Op::DelAddrSpec {
                                    ns: ns.clone(),
                                    dev: dev.to_string(),
                                    addr: new.spec(),
                                }),
                                render(Op::AddAddr {
                                    ns: ns.clone(),
                                    dev: dev.to_string(),
                                    addr: new.spec(),
                                }),
                                steps.join("; "),
                            ));
                        } else {
                            self.lines.push(format!(
                                "{show} | grep -q '{pattern}' || {{ {}; }}",
                                steps.join("; "),
                            ));
                        }
                    }
                }
            }
        }
        if !alias {
            self.op(Op::SetUp {
                ns,
                dev: dev.to_string(),
                up: true,
            });
        }
        Ok(note)
    }

    /// `ifconfig IF ADDR [netmask M] [broadcast B] [up|down]` where a value is held in a
    /// variable: the helper `nslab_ifconfig_inet` decides at run time what the address, the
    /// mask and the broadcast become, as the ioctls would ([`super::runtime`]).
    fn ifconfig_runtime(&mut self, args: &[String], lead: usize) -> Res {
        let dynamic = |w: &str| w.contains('@');
        let decides = |w: &str| {
            format!(
                "the value of `{w}` decides what ifconfig does; migrate decides at run time only an address (with `netmask`/`broadcast`), `inet6 add|del`, `mtu`, `txqueuelen` and `hw ether` values"
            )
        };
        let iface = &args[lead];
        let dev = base(iface).to_string();
        let alias = iface.contains(':');
        let ip = self.ip();
        let ns = match &self.ns {
            Some(n) => shell_quote(n),
            None => "''".into(),
        };
        let d = shell_quote(&dev);
        let mut lines: Vec<String> = Vec::new();
        // The helper's line (index in `lines`), once the address is seen.
        let mut helper: Option<usize> = None;
        let rest = &args[lead + 1..];
        let mut i = 0;
        while i < rest.len() {
            let w = &rest[i];
            let v = rest.get(i + 1);
            let hw = w == "hw" && v.map(String::as_str) == Some("ether");
            match (w.as_str(), v) {
                ("netmask" | "broadcast", Some(v)) if helper.is_some() => {
                    if !dynamic(v) && ifg::inet_aton(v).is_none() {
                        return Err(decides(v));
                    }
                    let h = helper.expect("helper line");
                    lines[h] = format!("{} {w} {}", lines[h], shell_quote(v));
                    i += 2;
                    continue;
                }
                ("mtu" | "txqueuelen", Some(v)) => {
                    lines.push(format!("{ip} link set dev {d} {w} {}", shell_quote(v)));
                    i += 2;
                    continue;
                }
                ("hw", Some(_)) if hw && i + 2 < rest.len() => {
                    lines.push(format!(
                        "{ip} link set dev {d} address {}",
                        shell_quote(&rest[i + 2])
                    ));
                    i += 3;
                    continue;
                }
                // A family word counts only right after the interface.
                ("inet6", Some(op))
                    if i == 0 && matches!(op.as_str(), "add" | "del") && i + 2 < rest.len() =>
                {
                    lines.push(format!(
                        "nslab_ifconfig_inet6 {ns} {d} {op} {}",
                        shell_quote(&rest[i + 2])
                    ));
                    i += 3;
                    continue;
                }
                // The family word before an IPv4 address.
                ("inet", _) if helper.is_none() => {}
                // The helper brings a device (not an alias) up after its address.
                ("up", _) if helper.is_some() => {}
                ("up" | "down", _) if !alias => {
                    lines.push(format!("{ip} link set dev {d} {w}"));
                }
                _ if helper.is_none()
                    && (dynamic(w)
                        || ifg::inet_aton(w.split('/').next().unwrap_or(w)).is_some()) =>
                {
                    helper = Some(lines.len());
                    lines.push(format!(
                        "nslab_ifconfig_inet {ns} {d} {} {}",
                        shell_quote(iface),
                        shell_quote(w)
                    ));
                }
                _ => return Err(decides(w)),
            }
            i += 1;
        }
        if lines.is_empty() {
            return Err(decides(iface));
        }
        self.lines.extend(lines);
        self.known = None;
        self.changed_unknown = true;
        Ok(None)
    }

    fn modify_existing(&mut self, iface: &str) -> Result<(), String> {
        Err(format!(
            "it changes the address of `{iface}`, which is only known at run time"
        ))
    }

    /// `ifconfig IF add|del A` where the state is only known at run time.
    fn alias_add_del(&mut self, parent: &str, add: bool) -> Result<(), String> {
        Err(format!(
            "`{}` picks the alias number and copies the netmask of `{parent}` at run time",
            if add { "add" } else { "del" }
        ))
    }

    /// Run the drop-in's executor on the picture: its Ops are the translation, its exit
    /// status is kept (`false` or `(exit N)` after the changes it made).
    fn ifconfig_known(&mut self, snap: Snapshot, cmd: &ifg::Command) -> Option<String> {
        let start = snap.clone();
        let mut mem = Memory::new(snap);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = {
            let mut ctx = Ctx {
                backend: &mut mem,
                out: &mut out,
                err: &mut err,
                verbose: false,
                dialect: Default::default(),
            };
            ifconfig::set::perform_privileged(&mut ctx, cmd)
        };
        let mut ops = std::mem::take(&mut mem.applied);
        if !self.routed {
            ops = fold(&start, ops, &mem.snap);
        }
        for op in ops {
            self.op(op.in_ns(&self.ns));
        }
        self.known = Some(mem.snap);
        if code == 0 {
            return None;
        }
        self.lines.push(exit_with(code));
        let said = String::from_utf8_lossy(&err);
        let said: Vec<&str> = said.lines().collect();
        Some(format!("ifconfig fails here: {}", said.join("; ")))
    }
}

/// The same changes in fewer steps: drop an address added then deleted (or deleted then
/// added back) within one command whenever the namespace ends up exactly as with every
/// step. Only where no route or neighbour may use the device: deleting a device's last
/// IPv4 address flushes those, so there the steps are the translation. An address whose
/// label is its device's name is added without `label` (the kernel's default).
fn fold(start: &Snapshot, mut ops: Vec<Op>, end: &Snapshot) -> Vec<Op> {
    let key = |op: &Op| -> Option<(bool, String, String)> {
        let ip = |l: &str| l.split('/').next().unwrap_or(l).to_string();
        match op {
            Op::AddAddr { dev, addr, .. } => Some((true, dev.clone(), ip(&addr.local))),
            Op::DelAddrSpec { dev, addr, .. } => Some((false, dev.clone(), ip(&addr.local))),
            _ => None,
        }
    };
    'again: loop {
        for i in 0..ops.len() {
            let Some((add, dev, ip)) = key(&ops[i]) else {
                continue;
            };
            let pair =
                (i + 1..ops.len()).find(|&j| key(&ops[j]) == Some((!add, dev.clone(), ip.clone())));
            let Some(j) = pair else { continue };
            let mut fewer = ops.clone();
            fewer.remove(j);
            fewer.remove(i);
            let mut m = Memory::new(start.clone());
            if m.apply(&fewer).is_ok() && m.snap == *end {
                ops = fewer;
                continue 'again;
            }
        }
        break;
    }
    // The address first, then the link up, as one writes it by hand.
    for i in 1..ops.len() {
        if matches!(ops[i - 1], Op::SetUp { up: true, .. }) && matches!(ops[i], Op::AddAddr { .. })
        {
            let mut swapped = ops.clone();
            swapped.swap(i - 1, i);
            let mut m = Memory::new(start.clone());
            if m.apply(&swapped).is_ok() && m.snap == *end {
                ops = swapped;
            }
        }
    }
    for op in &mut ops {
        if let Op::AddAddr { dev, addr, .. } = op {
            if addr.label.as_deref() == Some(dev.as_str()) {
                addr.label = None;
            }
        }
    }
    ops
}

/// A command that exits with `code`, as the legacy command did.
pub(super) fn exit_with(code: i32) -> String {
    if code == 1 {
        "false".into()
    } else {
        format!("(exit {code})")
    }
}

/// Delete the first IPv4 address carrying `label` (what the ioctls address), at run time.
fn del_first_label(ip: &str, dev: &str, label: &str) -> String {
    let (d, l) = (shell_quote(dev), shell_quote(label));
    format!(
        "{ip} -o -4 addr show dev {d} label {l} | awk '{{sub(\"/.*\", \"\", $4); print $4; exit}}' | while read -r a; do {ip} addr del \"$a\" dev {d} label {l}; done"
    )
}

/// Why a parsed command can only be decided at run time (or not by `ip` at all), if so.
fn run_time_only(cmd: &ifg::Command) -> Option<String> {
    for a in &cmd.actions {
        let host = match a {
            Action::Fail(lines) => {
                return Some(format!(
                    "ifconfig fails here ({}); a name lookup happens only at run time",
                    lines.first().cloned().unwrap_or_default()
                ))
            }
            Action::OtherFamilyAddress { .. } | Action::Unsupported(_) => {
                return Some("setting an address of this family is refused by ifconfig".into())
            }
            Action::Flag {
                flag: IfFlag::AutoMedia,
                on: true,
                ..
            } => return Some("`media auto` sets IFF_AUTOMEDIA, which `ip` cannot set".into()),
            Action::Netmask(h)
            | Action::Broadcast(Some(h))
            | Action::Dstaddr(h)
            | Action::PointToPoint(Some(h))
            | Action::Add4(h)
            | Action::Del4(h) => h,
            _ => continue,
        };
        if matches!(host.inet, Inet::Failed(_)) {
            return Some(format!(
                "`{}` is a name, looked up only at run time",
                host.word
            ));
        }
    }
    None
}

fn resolved(h: &Host) -> Option<Ipv4Addr> {
    match h.inet {
        Inet::Addr(a) | Inet::Network(a) => Some(a),
        Inet::Failed(_) => None,
    }
}
