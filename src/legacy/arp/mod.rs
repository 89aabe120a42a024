//! Drop-in `arp` (net-tools 2.10, or the classic 1.60 in its [`Dialect`]). The grammar ([`grammar`]) turns argv into a display, a
//! set (`-s`), a delete (`-d`) or an ethers file (`-f`). A display reads `ip -4 -j neigh
//! show` and `neigh show proxy` (what /proc/net/arp lists, in the same order) plus the links
//! for their hardware types, and prints through [`render`] (or [`json`] for `--json`). A
//! change is decided the way the kernel's SIOCSARP/SIOCDARP decide it (device by name, by
//! hardware address for `pub`, or by a link-scope route lookup), then applied as one Op;
//! a refusal prints `SIOCSARP: <strerror>`. The offline tests use [`offline`] (displays) and
//! [`run`] on a recorded state (changes) for the classic build's recordings in
//! `compat/classic/arp/`.
//!
//! The classic `arp -d` counts only ENXIO as "no entry": a missing proxy entry (ENOENT) is
//! `SIOCDARP(pub): No such file or directory`, which is what `arp -d` of an address without
//! an entry ends in; its other texts are `SIOCDARP(priv)` and `arp: SIOCDARP(nopub)`.

pub mod grammar;
pub mod json;
pub mod render;
pub mod text;

pub use grammar::{parse, parse_cmd, Cmd, Invocation, Opts};

use super::ifconfig::Outcome;
use super::names::Names;
use super::route::fib;
use super::{stdio, Refusal};
use crate::error::{Error, Result};
use crate::legacy::dialect::Dialect;
use crate::model::{Neigh, Snapshot};
use crate::op::Op;
use grammar::{DelReq, SetReq, ATF_DONTPUB, ATF_NETMASK, ATF_PERM, ATF_PUBL};
use std::ffi::OsString;
use std::io::Write;
use std::net::Ipv4Addr;

const ENXIO: &str = "No such device or address";
const ENOENT: &str = "No such file or directory";

/// Everything a display reads.
#[derive(Debug, Clone)]
pub struct State {
    pub snap: Snapshot,
    pub neigh: Vec<Neigh>,
    pub names: Names,
}

/// The pure display path of the offline tests, in `dialect`; `None` for changes.
pub fn offline(dialect: Dialect, args: &[String], st: &State) -> Option<Outcome> {
    match parse_cmd(dialect, "arp", args) {
        Cmd::Fixed(o) => Some(o),
        Cmd::Show { opts, host, warn } => {
            let mut o = render::show(dialect, &opts, host.as_deref(), st);
            o.stderr.insert_str(0, &warn);
            Some(o)
        }
        _ => None,
    }
}

pub use super::Ctx;

/// The ARPHRD type of a link, from `ip`'s `link_type`.
pub fn hw_type(link_type: &str) -> u16 {
    match link_type {
        "ether" => 1,
        "loopback" => 772,
        "none" => 65534,
        "ipip" => 768,
        "sit" => 776,
        "gre" => 778,
        "ieee802.1" | "ieee802" => 6,
        "infiniband" => 32,
        _ => 0xffff,
    }
}

/// The device the kernel's `ip_route_output(ip, scope link)` picks: the route's device, the
/// loopback device for one of the namespace's own addresses.
fn route_dev(snap: &Snapshot, ip: Ipv4Addr) -> std::result::Result<String, &'static str> {
    let r = fib::lookup(snap, ip, fib::SCOPE_LINK, None)?;
    if r.kind == "local" {
        return snap
            .links
            .iter()
            .find(|l| l.link_type == "loopback")
            .map(|l| l.name.clone())
            .ok_or(fib::EINVAL);
    }
    r.dev.clone().ok_or(fib::EINVAL)
}

fn mac_text(m: &[u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// SIOCSARP: the Ops, or the strerror of the refusal.
pub fn plan_set(r: &SetReq, snap: &Snapshot) -> std::result::Result<Vec<Op>, &'static str> {
    let publ = r.flags & ATF_PUBL != 0;
    if !publ && r.flags & (ATF_NETMASK | ATF_DONTPUB) != 0 {
        return Err(fib::EINVAL);
    }
    let mut dev = match &r.dev {
        Some(d) => {
            let Some(l) = snap.link(d) else {
                return Err(fib::ENODEV);
            };
            if hw_type(&l.link_type) != 1 {
                return Err(fib::EINVAL);
            }
            Some(d.clone())
        }
        None => None,
    };
    if publ {
        let mask = r.netmask.map_or(u32::MAX, u32::from);
        if mask != 0 && mask != u32::MAX {
            return Err(fib::EINVAL);
        }
        if dev.is_none() {
            let mac = mac_text(&r.mac);
            dev = snap
                .links
                .iter()
                .find(|l| {
                    hw_type(&l.link_type) == 1
                        && l.mac
                            .as_deref()
                            .is_some_and(|m| m.eq_ignore_ascii_case(&mac))
                })
                .map(|l| l.name.clone());
            if dev.is_none() {
                return Err(fib::ENODEV);
            }
        }
        let dev = dev.expect("a device");
        if mask == 0 {
            return Ok(vec![Op::Sysctl {
                ns: None,
                key: format!("net.ipv4.conf.{dev}.proxy_arp"),
                value: "1".into(),
            }]);
        }
        return Ok(vec![Op::SetNeigh {
            ns: None,
            dev,
            addr: r.addr.to_string(),
            lladdr: None,
            nud: "permanent".into(),
        }]);
    }
    let dev = match dev {
        Some(d) => d,
        None => route_dev(snap, r.addr)?,
    };
    let ty = snap.link(&dev).map_or(0xffff, |l| hw_type(&l.link_type));
    if ty != 1 {
        return Err(fib::EINVAL);
    }
    Ok(vec![Op::SetNeigh {
        ns: None,
        dev,
        addr: r.addr.to_string(),
        lladdr: Some(mac_text(&r.mac)),
        nud: if r.flags & ATF_PERM != 0 {
            "permanent"
        } else {
            "stale"
        }
        .into(),
    }])
}

/// One SIOCDARP: the Ops, or the strerror of the refusal.
pub fn plan_del(
    r: &DelReq,
    publ: bool,
    snap: &Snapshot,
    neigh: &[Neigh],
) -> std::result::Result<Vec<Op>, &'static str> {
    if !publ && r.flags & (ATF_NETMASK | ATF_DONTPUB) != 0 {
        return Err(fib::EINVAL);
    }
    let dev = match &r.dev {
        Some(d) if snap.link(d).is_none() => return Err(fib::ENODEV),
        d => d.clone(),
    };
    let ip = r.addr.to_string();
    if publ {
        let mask = r.netmask.map_or(u32::MAX, u32::from);
        if mask == u32::MAX {
            // pneigh_delete: the entry's device must be the one named (none: none).
            return match neigh
                .iter()
                .find(|n| n.proxy && n.dst == ip && n.dev == dev)
            {
                Some(n) => Ok(vec![Op::DelNeigh {
                    ns: None,
                    dev: n.dev.clone().unwrap_or_default(),
                    addr: ip,
                    proxy: true,
                }]),
                None => Err(ENOENT),
            };
        }
        if mask != 0 {
            return Err(fib::EINVAL);
        }
        return Ok(vec![Op::Sysctl {
            ns: None,
            key: format!(
                "net.ipv4.conf.{}.proxy_arp",
                dev.as_deref().unwrap_or("all")
            ),
            value: "0".into(),
        }]);
    }
    let dev = match dev {
        Some(d) => d,
        None => route_dev(snap, r.addr)?,
    };
    match neigh
        .iter()
        .find(|n| !n.proxy && n.dst == ip && n.dev.as_deref() == Some(&dev))
    {
        Some(n) if n.state.iter().any(|s| s != "NOARP") => Ok(vec![Op::DelNeigh {
            ns: None,
            dev,
            addr: ip,
            proxy: false,
        }]),
        _ => Err(ENXIO),
    }
}

/// Apply the Ops of a planned request; the strerror text on failure.
fn apply(
    ctx: &mut Ctx<'_>,
    ops: std::result::Result<Vec<Op>, &'static str>,
) -> std::result::Result<(), Refusal> {
    let ops = ops.map_err(|t| Refusal::Errno(t.to_string()))?;
    ctx.backend
        .apply(&ops)
        .map_err(|e| super::route::errno_text(&e, "arp"))
}

fn say(w: &mut dyn Write, s: &str) -> Result<()> {
    w.write_all(s.as_bytes()).map_err(stdio)
}

fn perror(ctx: &mut Ctx<'_>, what: &str, refusal: &Refusal) -> Result<()> {
    say(ctx.err, &refusal.line(what))
}

/// A refusal of an action's words (already printed): -1, or for a usage error (`usage()`
/// exits) the run's end with its code.
fn usage_exit(code: i32) -> Result<i32> {
    match code {
        255 => Ok(-1),
        code => Err(Error::Legacy { code }),
    }
}

/// `arp_set`: 0 or -1; a usage error (printed) ends the whole run with its code.
fn set(ctx: &mut Ctx<'_>, d: Dialect, o: &Opts, words: &[String]) -> Result<i32> {
    let r = match grammar::set_req(d, o, words, &ctx.names) {
        Ok(r) => r,
        Err(out) => {
            say(ctx.err, &out.stderr)?;
            return usage_exit(out.code);
        }
    };
    say(ctx.err, &r.trace)?;
    if o.verbose {
        say(ctx.err, "arp: SIOCSARP()\n")?;
    }
    let snap = ctx.backend.snapshot(None)?;
    match apply(ctx, plan_set(&r, &snap)) {
        Ok(()) => Ok(0),
        Err(m) => {
            perror(ctx, "SIOCSARP", &m)?;
            Ok(-1)
        }
    }
}

/// `arp_del`: 0 or -1.
fn del(ctx: &mut Ctx<'_>, d: Dialect, o: &Opts, words: &[String]) -> Result<i32> {
    let classic = d == Dialect::Classic;
    let (nopub, priv_) = if classic {
        ("nopub", "priv")
    } else {
        ("dontpub", "dontpub")
    };
    let r = match grammar::del_req(d, o, words, &ctx.names) {
        Ok(r) => r,
        Err(out) => {
            say(ctx.err, &out.stderr)?;
            return usage_exit(out.code);
        }
    };
    say(ctx.err, &r.trace)?;
    let snap = ctx.backend.snapshot(None)?;
    let neigh = ctx.backend.neighbours(None)?;
    let missing = |m: &Refusal| m.is_errno(ENXIO) || (m.is_errno(ENOENT) && !classic);
    let mut try_pub = r.which & 1 != 0;
    if r.which & 2 != 0 {
        if o.verbose {
            say(ctx.err, &format!("arp: SIOCDARP({nopub})\n"))?;
        }
        match apply(ctx, plan_del(&r, false, &snap, &neigh)) {
            Ok(()) => try_pub = false,
            Err(m) if missing(&m) && r.which & 1 != 0 => {}
            Err(m) if missing(&m) => {
                say(ctx.out, &format!("No ARP entry for {}\n", r.host))?;
                return Ok(-1);
            }
            Err(m) => {
                perror(ctx, &format!("SIOCDARP({priv_})"), &m)?;
                return Ok(-1);
            }
        }
    }
    if try_pub {
        if o.verbose {
            say(ctx.err, "arp: SIOCDARP(pub)\n")?;
        }
        match apply(ctx, plan_del(&r, true, &snap, &neigh)) {
            Ok(()) => {}
            Err(m) if missing(&m) => {
                say(ctx.out, &format!("No ARP entry for {}\n", r.host))?;
                return Ok(-1);
            }
            Err(m) => {
                perror(ctx, "SIOCDARP(pub)", &m)?;
                return Ok(-1);
            }
        }
    }
    Ok(0)
}

/// `arp_file`: each line of an ethers file as `arp -s`.
fn file(ctx: &mut Ctx<'_>, d: Dialect, o: &Opts, path: &str) -> Result<i32> {
    let Ok(text) = std::fs::read(path) else {
        say(ctx.err, &format!("arp: cannot open etherfile {path} !\n"))?;
        return Ok(-1);
    };
    let text = String::from_utf8_lossy(&text).into_owned();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let n = i + 1;
        if o.verbose {
            say(ctx.err, &format!(">> {line}"))?;
        }
        let line = line.strip_suffix('\n').unwrap_or(line);
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let mut args = grammar::getargs(line);
        if args.len() < 2 {
            say(
                ctx.err,
                &format!("arp: format error on line {n} of etherfile {path} !\n"),
            )?;
            continue;
        }
        if args[0].contains(':') {
            args.swap(0, 1);
        }
        if set(ctx, d, o, &args)? != 0 {
            say(
                ctx.err,
                &format!("arp: cannot set entry on line {n} of etherfile {path} !\n"),
            )?;
        }
    }
    Ok(0)
}

/// Run `arp ARGS` in `dialect`; returns the exit code.
pub fn run(ctx: &mut Ctx<'_>, dialect: Dialect, prog: &str, args: &[String]) -> Result<i32> {
    let (code, warn) = match parse_cmd(dialect, prog, args) {
        Cmd::Fixed(o) => {
            say(ctx.out, &o.stdout)?;
            say(ctx.err, &o.stderr)?;
            return Ok(o.code);
        }
        Cmd::Show { opts, host, warn } => {
            say(ctx.err, &warn)?;
            let st = State {
                snap: ctx.backend.snapshot(None)?,
                neigh: ctx.backend.neighbours(None)?,
                names: ctx.names.clone(),
            };
            let o = render::show(dialect, &opts, host.as_deref(), &st);
            say(ctx.out, &o.stdout)?;
            say(ctx.err, &o.stderr)?;
            return Ok(o.code);
        }
        Cmd::Set { opts, words, warn } => {
            say(ctx.err, &warn)?;
            (set(ctx, dialect, &opts, &words), warn)
        }
        Cmd::Del { opts, words, warn } => {
            say(ctx.err, &warn)?;
            (del(ctx, dialect, &opts, &words), warn)
        }
        Cmd::File { opts, path, warn } => {
            say(ctx.err, &warn)?;
            (file(ctx, dialect, &opts, &path), warn)
        }
    };
    let _ = warn;
    match code {
        Ok(c) => Ok(c & 0xff),
        // A usage error inside an action (its usage is printed): exit 3 (classic 4).
        Err(Error::Legacy { code }) => Ok(code),
        Err(e) => Err(e),
    }
}

/// The `arp` personality (`args[0]`: the name it was called by).
pub fn main(args: Vec<OsString>) -> Result<()> {
    super::main_with(args, "arp", run)
}
