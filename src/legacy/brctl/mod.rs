//! The `brctl` personality: a drop-in for bridge-utils 1.7.1.
//!
//! - [`grammar`]: argv → [`grammar::Invocation`] (pure; shared with `migrate`);
//! - [`sysfs`]: what brctl reads, read from `/sys/class/net` with no process spawned;
//! - [`render`]: `show`/`showmacs`/`showstp` text, byte for byte;
//! - this module: running a command. Display commands read sysfs; changes become [`Op`]s
//!   applied through the [`Backend`] (`ip`), after checking the live state in the order the C
//!   tool and the kernel check it, so that every failure prints brctl's exact message.
//!
//! brctl talks to the kernel through ioctls on names truncated to 15 bytes, and through sysfs
//! paths built from the full name; when a sysfs path is missing it falls back to the ioctl.
//! That two-step lookup decides many of its messages, and is reproduced here.

pub mod grammar;
pub mod render;
pub mod sysfs;

use crate::backend::{Backend, Iproute2};
use crate::error::{Error, Result};
use crate::legacy::linux::{
    dev_valid_name, has_net_admin, ifname as kernel_name, EACCES, EBUSY, EEXIST, EINVAL, ELOOP,
    ENODEV, ENOENT, EOPNOTSUPP, EPERM, ERANGE, IFNAMSIZ_MAX,
};
use crate::op::{BridgeSetting, Op, PortSetting};
use grammar::{Command, Invocation};
use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use sysfs::SysNet;

/// Everything a brctl run uses: where changes go, what it reads, where it prints.
pub struct Context<'a> {
    pub backend: &'a mut dyn Backend,
    pub sys: SysNet,
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// Whether the caller has CAP_NET_ADMIN; without it every change fails as in brctl.
    pub net_admin: bool,
}

/// Entry point of the personality (`brctl …`, `nslab brctl …`).
pub fn main(args: Vec<OsString>) -> Result<()> {
    let stdout = std::io::stdout();
    let tty = stdout.is_terminal();
    let mut lock = stdout.lock();
    // Like C stdio: line-buffered on a terminal, fully buffered into a pipe or file (so, as
    // with brctl, stderr messages come before stdout output when both go to one pipe).
    let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, &mut lock);
    let out: &mut dyn Write = if tty {
        &mut std::io::stdout()
    } else {
        &mut buffered
    };
    let mut err = std::io::stderr();
    let mut backend = Iproute2;
    let invocation = grammar::parse_args(&args);
    // Only changes need the capability; `show` stays free of the /proc read.
    let changes = matches!(&invocation, Invocation::Run(c) if !c.is_display());
    let code = {
        let mut ctx = Context {
            backend: &mut backend,
            sys: SysNet::live(),
            out,
            err: &mut err,
            net_admin: changes && has_net_admin(),
        };
        run_parsed(&mut ctx, invocation)
    };
    let _ = buffered.flush();
    if code == 0 {
        Ok(())
    } else {
        Err(Error::Legacy { code })
    }
}

/// Run brctl with a full argv (argv[0] first) and return its exit code.
pub fn run(ctx: &mut Context, argv: &[OsString]) -> i32 {
    run_parsed(ctx, grammar::parse_args(argv))
}

/// What [`run_offline`] saw: stdout, stderr, exit code, and the Ops brctl asked for.
pub struct OfflineRun {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
    pub ops: Vec<Op>,
}

/// Run `brctl ARGS…` against a sysfs tree laid out like `/sys/class/net` at `sys` (a recording
/// or a fake), with a recording backend: nothing reaches the kernel. With CAP_NET_ADMIN assumed.
pub fn run_offline<S: AsRef<str>>(sys: &std::path::Path, args: &[S]) -> OfflineRun {
    let mut backend = crate::backend::Recording::default();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = {
        let mut ctx = Context {
            backend: &mut backend,
            sys: SysNet::at(sys),
            out: &mut out,
            err: &mut err,
            net_admin: true,
        };
        let mut argv: Vec<OsString> = vec!["brctl".into()];
        argv.extend(args.iter().map(|a| OsString::from(a.as_ref())));
        run(&mut ctx, &argv)
    };
    OfflineRun {
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
        code,
        ops: backend.ops(),
    }
}

/// Run what [`grammar::parse`] made of an argv; returns the exit code.
pub fn run_parsed(ctx: &mut Context, invocation: Invocation) -> i32 {
    match invocation {
        Invocation::Answer(a) => {
            let _ = ctx.out.write_all(&a.stdout);
            let _ = ctx.err.write_all(&a.stderr);
            a.code
        }
        Invocation::Run(cmd) => execute(ctx, &cmd),
    }
}

macro_rules! fail {
    ($ctx:expr, $($arg:tt)*) => {{
        let _ = writeln!($ctx.err, $($arg)*);
        return 1;
    }};
}

/// How a bridge name reaches the kernel: by its sysfs directory (full name), or through the
/// ioctl fallback on the truncated name (then ports come in port-number order).
struct Found {
    dev: String,
    by_ioctl: bool,
}

/// Run one parsed command.
pub fn execute(ctx: &mut Context, cmd: &Command) -> i32 {
    use Command::*;
    match cmd {
        Show { bridges } => show(ctx, bridges),
        ShowMacs { bridge } => showmacs(ctx, bridge),
        ShowStp { bridge } => showstp(ctx, bridge),
        AddBr { bridge } => addbr(ctx, bridge),
        DelBr { bridge } => delbr(ctx, bridge),
        AddIf { bridge, ifaces } => {
            for i in ifaces {
                if addif(ctx, bridge, i) != 0 {
                    return 1;
                }
            }
            0
        }
        DelIf { bridge, ifaces } => {
            for i in ifaces {
                if delif(ctx, bridge, i) != 0 {
                    return 1;
                }
            }
            0
        }
        Hairpin { bridge, port, on } => hairpin(ctx, bridge, port, *on),
        SetAgeing { bridge, centis } => {
            let s = time_setting(bridge, *centis, BridgeSetting::AgeingTime, None);
            bridge_set(ctx, bridge, "set ageing time", s)
        }
        SetFd { bridge, centis } => {
            // The kernel range-checks the forward delay only while STP is on.
            let stp = find_bridge(&ctx.sys, bridge).is_ok_and(|f| ctx.sys.id_and_stp(&f.dev).1);
            let s = time_setting(
                bridge,
                *centis,
                BridgeSetting::ForwardDelay,
                stp.then_some(()),
            );
            bridge_set(ctx, bridge, "set forward delay", s)
        }
        SetHello { bridge, centis } => {
            let s = time_setting(bridge, *centis, BridgeSetting::HelloTime, Some(()));
            bridge_set(ctx, bridge, "set hello timer", s)
        }
        SetMaxAge { bridge, centis } => {
            let s = time_setting(bridge, *centis, BridgeSetting::MaxAge, Some(()));
            bridge_set(ctx, bridge, "set max age", s)
        }
        SetBridgePrio { bridge, prio } => {
            let s = Ok(BridgeSetting::Priority(grammar::bridge_priority(*prio)));
            bridge_set(ctx, bridge, "set bridge priority", s)
        }
        Stp { bridge, on } => {
            let s = Ok(BridgeSetting::StpState(u32::from(*on)));
            bridge_set(ctx, bridge, "set stp status", s)
        }
        SetPathCost { bridge, port, cost } => {
            let v = grammar::as_c_ulong(*cost);
            let s = u32::try_from(v).map(PortSetting::Cost).map_err(|_| ERANGE);
            port_set(ctx, bridge, port, s, |m| {
                format!("set path cost failed: {m}")
            })
        }
        SetPortPrio { bridge, port, prio } => {
            let v = grammar::as_c_ulong(*prio);
            let s = u16::try_from(v)
                .map(PortSetting::Priority)
                .map_err(|_| ERANGE);
            port_set(ctx, bridge, port, s, |m| {
                format!("set port priority failed: {m}")
            })
        }
    }
}

/// A time for a bridge setting. `ip` carries 32 bits; beyond that the kernel's answer is
/// computed here: `ERANGE` where it range-checks (`range_checked`), otherwise nslab cannot
/// pass the value on and says so.
fn time_setting(
    bridge: &str,
    centis: u64,
    make: fn(u64) -> BridgeSetting,
    range_checked: Option<()>,
) -> std::result::Result<BridgeSetting, Refusal> {
    match (u32::try_from(centis), range_checked) {
        (Ok(c), _) => Ok(make(u64::from(c))),
        (Err(_), Some(())) => Err(ERANGE.into()),
        (Err(_), None) => Err(Refusal::Nslab(format!(
                "nslab brctl: {centis} centiseconds for `{bridge}` is beyond what `ip` can set (at most 4294967295)"
        ))),
    }
}

/// Find a bridge the way libbridge does: its sysfs directory, else the ioctl on the
/// truncated name (ENODEV if no such device, EOPNOTSUPP if it is not a bridge).
fn find_bridge(sys: &SysNet, name: &str) -> std::result::Result<Found, &'static str> {
    if name.len() <= IFNAMSIZ_MAX && sys.is_bridge(name) {
        return Ok(Found {
            dev: name.to_string(),
            by_ioctl: false,
        });
    }
    let k = kernel_name(name);
    if !sys.exists(&k) {
        return Err(ENODEV);
    }
    if !sys.is_bridge(&k) {
        return Err(EOPNOTSUPP);
    }
    Ok(Found {
        dev: k,
        by_ioctl: true,
    })
}

/// Ports of a found bridge: alphasorted from sysfs, or in port-number order through the
/// ioctl (`BRCTL_GET_PORT_LIST`).
fn ports_of(sys: &SysNet, f: &Found) -> Vec<String> {
    let mut ports = sys.ports(&f.dev);
    if f.by_ioctl {
        ports.sort_by_key(|p| sys.port_info(p).map_or(i32::MAX, |i| i.port_no));
    }
    ports
}

fn show(ctx: &mut Context, names: &[String]) -> i32 {
    let listed;
    let names = if names.is_empty() {
        listed = ctx.sys.bridges();
        &listed
    } else {
        names
    };
    let mut header = true;
    let mut errors = 0;
    for name in names {
        let found = match find_bridge(&ctx.sys, name) {
            Ok(f) => f,
            Err(e) => {
                let _ = if e == ENODEV {
                    writeln!(ctx.err, "bridge {name} does not exist!")
                } else {
                    writeln!(ctx.err, "device {name} is not a bridge!")
                };
                errors += 1;
                continue;
            }
        };
        if header {
            let _ = ctx.out.write_all(render::SHOW_HEADER.as_bytes());
            header = false;
        }
        let (id, stp) = ctx.sys.id_and_stp(&found.dev);
        let ports = ports_of(&ctx.sys, &found);
        let _ = ctx
            .out
            .write_all(render::show_row(name, &id, stp, &ports).as_bytes());
    }
    i32::from(errors > 0)
}

fn showmacs(ctx: &mut Context, name: &str) -> i32 {
    let direct = if name.len() <= IFNAMSIZ_MAX {
        ctx.sys.fdb(name)
    } else {
        None
    };
    let entries = match direct {
        Some(e) => e,
        None => match find_bridge(&ctx.sys, name) {
            Ok(f) => ctx.sys.fdb(&f.dev).unwrap_or_default(),
            Err(e) => fail!(ctx, "read of forward table failed: {e}"),
        },
    };
    let _ = ctx.out.write_all(render::showmacs(&entries).as_bytes());
    0
}

fn showstp(ctx: &mut Context, name: &str) -> i32 {
    let found = match find_bridge(&ctx.sys, name) {
        Ok(f) => f,
        Err(ENODEV) => fail!(ctx, "bridge {name} does not exist!"),
        Err(_) => fail!(ctx, "device {name} is not a bridge!"),
    };
    let mut info = ctx.sys.bridge_info(&found.dev);
    if found.by_ioctl {
        info = info.as_ioctl(sysfs::kernel_hz());
    }
    let mut ports = Vec::new();
    for p in ports_of(&ctx.sys, &found) {
        // libbridge stops at a port it cannot read (one released meanwhile).
        match ctx.sys.port_info(&p) {
            Some(i) => ports.push((p, i)),
            None => break,
        }
    }
    let _ = ctx
        .out
        .write_all(render::showstp(name, &info, &ports).as_bytes());
    0
}

/// Why a change failed: an errno, whose strerror text brctl prints inside its own sentence,
/// or a message of nslab's own (a limit of `ip`, a failure that is not the kernel's
/// refusal), printed as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Errno(String),
    Nslab(String),
}

impl From<&str> for Refusal {
    fn from(errno: &str) -> Refusal {
        Refusal::Errno(errno.to_string())
    }
}

impl Refusal {
    /// Whether this is the errno with this strerror text.
    fn is(&self, errno: &str) -> bool {
        matches!(self, Refusal::Errno(e) if e == errno)
    }
}

/// Apply Ops through the backend; a failure becomes the kernel's message as brctl would
/// print it (the strerror text).
fn apply(ctx: &mut Context, ops: &[Op]) -> std::result::Result<(), Refusal> {
    ctx.backend.apply(ops).map_err(|e| kernel_message(&e))
}

/// The strerror text inside an `ip` failure (`RTNETLINK answers: …`), or the errno behind a
/// known extended-ack message.
pub fn kernel_message(e: &Error) -> Refusal {
    let Error::Command { stderr, .. } = e else {
        return Refusal::Nslab(format!("nslab brctl: {e}"));
    };
    for line in stderr.lines() {
        if let Some(m) = line.strip_prefix("RTNETLINK answers: ") {
            return m.trim().into();
        }
    }
    for line in stderr.lines() {
        if let Some(m) = line.strip_prefix("Error: ") {
            return match m.trim().trim_end_matches('.') {
                "Can not enslave a bridge to a bridge" => ELOOP.into(),
                "Device does not allow enslaving to a bridge" => EOPNOTSUPP.into(),
                other => other.into(),
            };
        }
    }
    Refusal::Nslab(format!("nslab brctl: {e}"))
}

/// Print a refusal: an errno inside brctl's sentence, nslab's own message as it is.
fn report(ctx: &mut Context, msg: &Refusal, brctl: impl FnOnce(&str) -> String) -> i32 {
    let _ = match msg {
        Refusal::Nslab(own) => writeln!(ctx.err, "{own}"),
        Refusal::Errno(m) => writeln!(ctx.err, "{}", brctl(m)),
    };
    1
}

fn addbr(ctx: &mut Context, name: &str) -> i32 {
    let k = kernel_name(name);
    let msg: Refusal = if !ctx.net_admin {
        EPERM.into()
    } else if !dev_valid_name(&k) {
        EINVAL.into()
    } else if ctx.sys.exists(&k) {
        EEXIST.into()
    } else {
        let ops = [Op::AddLink {
            ns: None,
            name: k,
            kind: crate::op::LinkKind::Bridge,
        }];
        match apply(ctx, &ops) {
            Ok(()) => return 0,
            Err(m) => m,
        }
    };
    if msg.is(EEXIST) {
        fail!(
            ctx,
            "device {name} already exists; can't create bridge with the same name"
        );
    }
    report(ctx, &msg, |m| format!("add bridge failed: {m}"))
}

fn delbr(ctx: &mut Context, name: &str) -> i32 {
    let k = kernel_name(name);
    if !ctx.net_admin {
        fail!(ctx, "can't delete bridge {name}: {EPERM}");
    }
    let Some(dev) = ctx.sys.device(&k) else {
        fail!(ctx, "bridge {name} doesn't exist; can't delete it");
    };
    if !dev.is_bridge {
        fail!(ctx, "can't delete bridge {name}: {EPERM}");
    }
    if dev.flags & sysfs::IFF_UP != 0 {
        fail!(ctx, "bridge {name} is still up; can't delete it");
    }
    match apply(ctx, &[Op::DelLink { ns: None, dev: k }]) {
        Ok(()) => 0,
        Err(m) => report(ctx, &m, |m| format!("can't delete bridge {name}: {m}")),
    }
}

/// The checks of `br_add_if` before it enslaves, in the kernel's order.
fn add_if_refusal(dev: &sysfs::Device) -> Option<&'static str> {
    let mac_ok = dev.mac.is_some_and(|m| m[0] & 1 == 0 && m != [0u8; 6]);
    if dev.flags & sysfs::IFF_LOOPBACK != 0 || dev.dev_type != 1 || dev.addr_len != 6 || !mac_ok {
        return Some(EINVAL);
    }
    if dev.is_bridge {
        return Some(ELOOP);
    }
    if dev.master.is_some() {
        return Some(EBUSY);
    }
    None
}

fn addif(ctx: &mut Context, bridge: &str, iface: &str) -> i32 {
    if !ctx.sys.exists(iface) {
        fail!(ctx, "interface {iface} does not exist!");
    }
    // SIOCBRADDIF: the bridge is looked up (ENODEV, EOPNOTSUPP), then the capability is
    // checked (EPERM), then `br_add_if` runs its own checks.
    let k = kernel_name(bridge);
    let msg: Refusal = if !ctx.sys.exists(&k) {
        ENODEV.into()
    } else if !ctx.sys.is_bridge(&k) {
        EOPNOTSUPP.into()
    } else if !ctx.net_admin {
        EPERM.into()
    } else if let Some(refusal) = ctx.sys.device(iface).as_ref().and_then(add_if_refusal) {
        refusal.into()
    } else {
        let op = Op::SetMaster {
            ns: None,
            dev: iface.to_string(),
            master: Some(k),
        };
        match apply(ctx, &[op]) {
            Ok(()) => return 0,
            Err(m) => return addif_message(ctx, bridge, iface, &m),
        }
    };
    addif_message(ctx, bridge, iface, &msg)
}

fn addif_message(ctx: &mut Context, bridge: &str, iface: &str, msg: &Refusal) -> i32 {
    match msg {
        m if m.is(ENODEV) => fail!(ctx, "bridge {bridge} does not exist!"),
        m if m.is(EBUSY) => fail!(
            ctx,
            "device {iface} is already a member of a bridge; can't add it to bridge {bridge}."
        ),
        m if m.is(ELOOP) => fail!(
            ctx,
            "device {iface} is a bridge device itself; can't add a bridge device to a bridge device."
        ),
        m => report(ctx, m, |m| format!("can't add {iface} to bridge {bridge}: {m}")),
    }
}

fn delif(ctx: &mut Context, bridge: &str, iface: &str) -> i32 {
    if !ctx.sys.exists(iface) {
        fail!(ctx, "interface {iface} does not exist!");
    }
    let k = kernel_name(bridge);
    let msg: Refusal = if !ctx.sys.exists(&k) {
        fail!(ctx, "bridge {bridge} does not exist!");
    } else if !ctx.sys.is_bridge(&k) {
        EOPNOTSUPP.into()
    } else if !ctx.net_admin {
        EPERM.into()
    } else {
        let dev = ctx.sys.device(iface).unwrap_or_default();
        if !dev.is_port || dev.master.as_deref() != Some(k.as_str()) {
            fail!(ctx, "device {iface} is not a port of {bridge}");
        }
        let op = Op::SetMaster {
            ns: None,
            dev: iface.to_string(),
            master: None,
        };
        match apply(ctx, &[op]) {
            Ok(()) => return 0,
            Err(m) => m,
        }
    };
    report(ctx, &msg, |m| {
        format!("can't delete {iface} from {bridge}: {m}")
    })
}

/// libbridge's `br_set`: write `/sys/class/net/BR/bridge/X` (full name), else the ioctl on
/// the truncated name. The kernel's setter is the same either way.
fn bridge_set(
    ctx: &mut Context,
    bridge: &str,
    what: &str,
    setting: std::result::Result<BridgeSetting, Refusal>,
) -> i32 {
    let msg = match find_bridge(&ctx.sys, bridge) {
        Err(e) => e.into(),
        Ok(_) if !ctx.net_admin => EPERM.into(),
        Ok(found) => match setting {
            Err(m) => m,
            Ok(setting) => {
                let op = Op::Bridge {
                    ns: None,
                    dev: found.dev,
                    setting,
                };
                match apply(ctx, &[op]) {
                    Ok(()) => return 0,
                    Err(m) => m,
                }
            }
        },
    };
    report(ctx, &msg, |m| format!("{what} failed: {m}"))
}

/// libbridge's `port_set`: write `/sys/class/net/PORT/brport/X`; when that fails, look the
/// port up in BRIDGE by ioctl (`get_portno`) and retry there. The bridge argument matters
/// only on that fallback path.
fn port_set(
    ctx: &mut Context,
    bridge: &str,
    port: &str,
    setting: std::result::Result<PortSetting, &'static str>,
    sentence: impl Fn(&str) -> String,
) -> i32 {
    let is_port = port.len() <= IFNAMSIZ_MAX && ctx.sys.port_info(port).is_some();
    // The errno of the failed sysfs write (or open).
    let write_error: Refusal = if !is_port {
        ENOENT.into()
    } else if !ctx.net_admin {
        EACCES.into()
    } else {
        match setting {
            Err(m) => m.into(),
            Ok(setting) => {
                let op = Op::BridgePort {
                    ns: None,
                    dev: port.to_string(),
                    setting,
                };
                match apply(ctx, &[op]) {
                    Ok(()) => return 0,
                    Err(m) => m,
                }
            }
        }
    };
    if let Refusal::Nslab(_) = write_error {
        return report(ctx, &write_error, &sentence);
    }
    // The ioctl fallback: an unknown port or bridge is ENODEV, a device that is not a bridge
    // EOPNOTSUPP; a port found in that bridge gets the same kernel setter again (or EPERM
    // without the capability); otherwise the errno of the failed write stands.
    let k = kernel_name(bridge);
    let master = ctx.sys.device(port).and_then(|d| d.master);
    let msg = if !ctx.sys.exists(port) || !ctx.sys.exists(&k) {
        ENODEV.into()
    } else if !ctx.sys.is_bridge(&k) {
        EOPNOTSUPP.into()
    } else if is_port && master.as_deref() == Some(k.as_str()) && !ctx.net_admin {
        EPERM.into()
    } else {
        write_error
    };
    report(ctx, &msg, &sentence)
}

fn hairpin(ctx: &mut Context, bridge: &str, port: &str, on: bool) -> i32 {
    if !ctx.sys.exists(port) {
        fail!(ctx, "interface {port} does not exist!");
    }
    if !ctx.sys.exists(bridge) {
        fail!(ctx, "bridge {bridge} does not exist!");
    }
    let sentence = |m: &str| format!("can't set {port} to hairpin on bridge {bridge}: {m}");
    if ctx.sys.port_info(port).is_some() && ctx.net_admin {
        let op = Op::BridgePort {
            ns: None,
            dev: port.to_string(),
            setting: PortSetting::Hairpin(on),
        };
        return match apply(ctx, &[op]) {
            Ok(()) => 0,
            Err(m) => report(ctx, &m, sentence),
        };
    }
    // The ioctl fallback (`get_portno` on BRIDGE): not a bridge → EOPNOTSUPP; the port found
    // there (only when the sysfs write was refused) → libbridge's hairpin has no ioctl
    // (code 0), which the kernel refuses with EOPNOTSUPP; otherwise the errno of the failed
    // sysfs open stands.
    let dev = ctx.sys.device(port).unwrap_or_default();
    let msg =
        if !ctx.sys.is_bridge(bridge) || (dev.is_port && dev.master.as_deref() == Some(bridge)) {
            EOPNOTSUPP
        } else if dev.is_port {
            EACCES
        } else {
            ENOENT
        };
    report(ctx, &msg.into(), sentence)
}

#[cfg(test)]
mod tests;
