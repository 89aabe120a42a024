//! Drop-in `route` (net-tools 2.10, or the classic 1.60 in its [`Dialect`]). The grammar ([`grammar`]) turns argv into a display or
//! a change; a display reads one snapshot (`ip -j route show table all`) and, for IPv6,
//! `/proc/net/ipv6_route`, and prints through [`render`] (or [`json`] for `--json`); a change
//! is checked the way the kernel's ioctl checks it ([`fib`]), then applied as one Op through
//! the backend, its failure printed as `SIOCADDRT: <strerror>`. The offline tests use
//! [`offline`] (displays) and [`run`] on a recorded state (changes) for the recordings of
//! the classic build in `compat/classic/route/`.

pub mod fib;
pub mod grammar;
pub mod json;
pub mod render;
pub mod text;

pub use grammar::{parse, parse_cmd, Change, Cmd, Family, Invocation, Opts, Verb};

use super::ifconfig::Outcome;
use super::names::Names;
use super::{stdio, Refusal};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::legacy::dialect::Dialect;
use crate::model::Snapshot;
use crate::op::Op;
use std::ffi::OsString;
use std::net::Ipv4Addr;

/// The kernel's view of a device word: its first 15 bytes (IFNAMSIZ - 1), the device before
/// any `:`, and the whole (cut) word when it names an alias.
pub fn kernel_dev_name(word: &str) -> (String, Option<String>) {
    let cut = crate::legacy::linux::ifname(word);
    match cut.split_once(':') {
        Some((base, _)) => (base.to_string(), Some(cut.clone())),
        None => (cut, None),
    }
}

/// Everything a display reads.
#[derive(Debug, Clone)]
pub struct State {
    pub snap: Snapshot,
    /// The text of `/proc/net/ipv6_route`.
    pub ipv6_route: String,
    pub names: Names,
}

/// The display families other than inet/inet6: what net-tools prints on a kernel without
/// them (its `/proc` file is missing), stdout, stderr, exit code.
fn other_family(f: &str) -> Option<(&'static str, &'static str, i32)> {
    Some(match f {
        "ax25" => (
            "AX.25 not configured in this system.\n",
            "/proc/net/ax25_route: No such file or directory\n",
            1,
        ),
        "ipx" => (
            "IPX routing not in file /proc/net/ipx/route or /proc/net/ipx_route found.\n",
            "No such file or directory\n",
            1,
        ),
        "ddp" => (
            "",
            "Error opening /proc/net/atalk_route: No such file or directory\nDDP (AppleTalk) not configured on this system.\n",
            1,
        ),
        "netrom" => (
            "NET/ROM not configured in this system.\n",
            "/proc/net/nr_nodes: No such file or directory\n/proc/net/nr_neigh: Invalid argument\n",
            1,
        ),
        "rose" => (
            "",
            "/proc/net/rose_nodes: No such file or directory\nROSE not configured in this system.\n",
            1,
        ),
        "x25" => ("X.25 not configured in this system.\n", "", 1),
        _ => return None,
    })
}

/// `route_info`: each family's tables in turn, stopping at the first that fails. `--json` is
/// read from the 2.10 text whatever the dialect (the JSON is the same in both).
pub fn show(dialect: Dialect, o: &Opts, st: &State) -> Outcome {
    grammar::finish(dialect, show_tables(dialect, o, st))
}

fn show_tables(dialect: Dialect, o: &Opts, st: &State) -> Outcome {
    let dialect = if o.json { Dialect::Modern } else { dialect };
    let mut out = Outcome::default();
    for f in &o.families {
        let mut text = String::new();
        match f.as_str() {
            "inet" => {
                if o.fib {
                    let rows = render::fib4_rows(&st.snap.routes);
                    text.push_str(&render::fib4(dialect, &rows, o.ext, o.numeric, &st.names));
                }
                if o.cache {
                    text.push_str(&render::cache4(o.ext));
                }
            }
            "inet6" => {
                let rows = render::fib6_rows(&st.ipv6_route);
                if o.fib {
                    let (t, e) = render::fib6(dialect, &rows, false, o.numeric, &st.names);
                    text.push_str(&t);
                    out.stderr.push_str(&e);
                }
                if o.cache && dialect == Dialect::Classic {
                    // The classic's cache is the neighbour table of /proc/net/ndisc, which
                    // kernels have not had since 2.4.
                    out.stdout.push_str(&text);
                    out.stderr
                        .push_str("nd_print: no support for `ND Table' on this system.\n");
                    out.code = 1;
                    return out;
                }
                if o.cache {
                    text.push_str(&render::fib6(dialect, &rows, true, o.numeric, &st.names).0);
                }
            }
            other => {
                let (so, se, code) = match other_family(other) {
                    Some(x) => x,
                    None if grammar::KNOWN_FAMILIES.contains(&other) => {
                        out.stderr
                            .push_str(&format!("No routing for address family `{other}'.\n"));
                        out.code = text::E_OPTERR;
                        return out;
                    }
                    None => {
                        out.stderr
                            .push_str(&format!("Address family `{other}' not supported.\n"));
                        out.code = text::E_OPTERR;
                        return out;
                    }
                };
                out.stdout.push_str(so);
                out.stderr.push_str(se);
                out.code = code;
                return out;
            }
        }
        if o.json {
            // One JSON list per table printed.
            for table in split_tables(&text) {
                out.stdout.push_str(&json::from_text(&table));
            }
        } else {
            out.stdout.push_str(&text);
        }
    }
    out
}

/// The tables of one family's output, each from its title line.
fn split_tables(text: &str) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for line in text.split_inclusive('\n') {
        if line.starts_with("Kernel ") || v.is_empty() {
            v.push(String::new());
        }
        v.last_mut().expect("a table").push_str(line);
    }
    v
}

/// The pure display path of the offline tests: arguments and the recorded state in, what
/// `route` prints out in `dialect`; `None` for changes.
pub fn offline(dialect: Dialect, args: &[String], st: &State) -> Option<Outcome> {
    match parse_cmd(dialect, "route", args) {
        Cmd::Fixed(o) => Some(o),
        Cmd::Show(o) => Some(show(dialect, &o, st)),
        Cmd::Edit { .. } => None,
    }
}

pub use super::Ctx;

/// The failure of an `ip` command as the ioctl's strerror text; `tool` names nslab's own
/// message when no errno stands for it.
pub fn errno_text(e: &Error, tool: &str) -> Refusal {
    let own = || Refusal::Line(format!("nslab {tool}: {e}"));
    let errno = |t: &str| Refusal::Errno(t.to_string());
    let Error::Command { stderr, .. } = e else {
        return own();
    };
    for line in stderr.lines() {
        if let Some(t) = line.strip_prefix("RTNETLINK answers: ") {
            return errno(t.trim());
        }
        if line.starts_with("Cannot find device") {
            return errno(fib::ENODEV);
        }
        if let Some(m) = line.strip_prefix("Error: ") {
            let m = m.to_ascii_lowercase();
            return errno(if m.contains("invalid gateway") {
                fib::ENETUNREACH
            } else if m.contains("not up") {
                fib::ENETDOWN
            } else if m.contains("exists") {
                "File exists"
            } else {
                fib::EINVAL
            });
        }
    }
    own()
}

/// The Op for a change, decided on the current state the way the ioctl decides it; `Err`:
/// the refusal as the ioctl reports it (nothing changes).
pub fn plan(c: &Change, snap: &Snapshot) -> std::result::Result<Op, Refusal> {
    let errno = |t: &str| Refusal::Errno(t.to_string());
    let mut op = c.op(&None).expect("a route change has an Op");
    let (Op::PrependRoute { route, .. } | Op::DelRoute { route, .. }) = &mut op else {
        unreachable!("route changes are route Ops")
    };
    if c.family == Family::Inet6 {
        if let Some(d) = &c.dev {
            let (name, _) = kernel_dev_name(d);
            if snap.link(&name).is_none() {
                return Err(Refusal::Line("SIOGIFINDEX: No such device".into()));
            }
            route.dev = Some(name);
        }
        if c.bad_mask {
            return Err(errno(fib::EINVAL));
        }
        if !c.add && c.gw.is_none() {
            // The ioctl deletes one route: of a multipath route (what IPv6 makes of routes
            // added with different gateways) its first nexthop, where `ip route del` without
            // a gateway would delete them all.
            let same = |d: &str| d == route.dst || format!("{d}/128") == route.dst;
            let first = snap
                .routes
                .iter()
                .filter(|r| r.ipv6 && r.table == "main" && r.kind == "unicast" && same(&r.dst))
                .filter(|r| c.metric.is_none_or(|m| r.metric == Some(m)))
                .find_map(|r| {
                    r.nexthops
                        .iter()
                        .find(|n| route.dev.is_none() || n.dev == route.dev)
                });
            if let Some(n) = first {
                route.via = n.gateway.clone();
                route.dev = n.dev.clone();
            }
        }
        return Ok(op);
    }
    if c.bad_mask {
        return Err(errno(fib::EINVAL));
    }
    if c.reject {
        return Ok(op);
    }
    if let Some(d) = &c.dev {
        let (base, label) = kernel_dev_name(d);
        let Some(link) = snap.link(&base) else {
            return Err(errno(fib::ENODEV));
        };
        if let Some(label) = label {
            let Some(a) = link
                .addrs
                .iter()
                .find(|a| a.is_ipv4() && a.label.as_deref() == Some(&label))
            else {
                return Err(errno(fib::ENODEV));
            };
            route.src = Some(a.local.to_string());
        }
    }
    let gw: Option<Ipv4Addr> = c.gw.as_deref().and_then(|g| g.parse().ok());
    let gw = gw.filter(|g| !g.is_unspecified());
    if c.gw.is_some() && gw.is_none() {
        route.via = None;
        if c.add {
            return Err(errno(fib::EINVAL));
        }
    }
    let unicast_gw = gw.is_some_and(|g| fib::is_unicast(snap, g));
    if c.add {
        let scope = if unicast_gw {
            fib::SCOPE_UNIVERSE
        } else {
            route.scope = Some("link".into());
            fib::SCOPE_LINK
        };
        fib::check_nexthop(snap, gw, route.dev.as_deref(), scope).map_err(errno)?;
    } else if unicast_gw {
        route.scope = Some("global".into());
    }
    Ok(op)
}

/// Run one change; returns the exit code.
fn change(ctx: &mut Ctx<'_>, c: &Change) -> Result<i32> {
    let what = if c.add { "SIOCADDRT" } else { "SIOCDELRT" };
    ctx.err.write_all(c.warn.as_bytes()).map_err(stdio)?;
    let snap = ctx.backend.snapshot(None)?;
    let msg = match plan(c, &snap) {
        Ok(op) => match ctx.backend.apply(std::slice::from_ref(&op)) {
            Ok(()) => return Ok(0),
            Err(e) => errno_text(&e, "route"),
        },
        Err(m) => m,
    };
    ctx.err
        .write_all(msg.line(what).as_bytes())
        .map_err(stdio)?;
    Ok(text::E_SOCK)
}

/// Read what a display needs from the running namespace.
pub fn read_state(backend: &mut dyn Backend, names: Names) -> Result<State> {
    let snap = backend.snapshot(None)?;
    let ipv6_route = std::fs::read_to_string("/proc/net/ipv6_route").unwrap_or_default();
    Ok(State {
        snap,
        ipv6_route,
        names,
    })
}

/// The state a display of `o` reads: `read` only when an inet or inet6 table is asked for
/// (the other families print their fixed answers without the kernel's routes).
pub fn state_for(o: &Opts, read: impl FnOnce() -> Result<State>) -> Result<State> {
    if o.families.iter().any(|f| f == "inet" || f == "inet6") {
        return read();
    }
    Ok(State {
        snap: Snapshot {
            netns: None,
            links: vec![],
            routes: vec![],
            nsids: Default::default(),
        },
        ipv6_route: String::new(),
        names: Names::default(),
    })
}

/// Run `route ARGS` in `dialect`; returns the exit code.
pub fn run(ctx: &mut Ctx<'_>, dialect: Dialect, prog: &str, args: &[String]) -> Result<i32> {
    let o = match parse_cmd(dialect, prog, args) {
        Cmd::Fixed(o) => o,
        Cmd::Show(opts) => {
            let names = ctx.names.clone();
            let st = state_for(&opts, || read_state(ctx.backend, names))?;
            show(dialect, &opts, &st)
        }
        Cmd::Edit { opts, verb, words } => {
            match grammar::edit(dialect, &opts, verb, &words, &ctx.names) {
                Ok(c) => return change(ctx, &c),
                Err(o) => grammar::finish(dialect, o),
            }
        }
    };
    ctx.out.write_all(o.stdout.as_bytes()).map_err(stdio)?;
    ctx.out.flush().map_err(stdio)?;
    ctx.err.write_all(o.stderr.as_bytes()).map_err(stdio)?;
    Ok(o.code)
}

/// The `route` personality. `args[0]` is the name it was called by (`route`, a path, or
/// `nslab` for `nslab route …`, which glibc's messages then call `route`).
pub fn main(args: Vec<OsString>) -> Result<()> {
    super::main_with(args, "route", run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Nexthop, Route};

    /// `route -6 del PREFIX` of a multipath route removes its first nexthop, as the ioctl
    /// does (checked against net-tools: the other nexthops stay).
    #[test]
    fn an_ipv6_delete_without_a_gateway_takes_the_first_nexthop_only() {
        let o = Opts {
            families: vec!["inet6".into()],
            ..Default::default()
        };
        let words = crate::legacy::words("2001:db8:7::/64");
        let c = grammar::edit(Dialect::Modern, &o, Verb::Del, &words, &Names::default())
            .expect("a valid delete");
        let nh = |g: &str| Nexthop {
            gateway: Some(g.into()),
            dev: Some("v0".into()),
        };
        let snap = Snapshot {
            netns: None,
            links: vec![],
            routes: vec![Route {
                metric: Some(1),
                nexthops: vec![nh("2001:db8::8"), nh("2001:db8::7")],
                ..Route::new("unicast", "2001:db8:7::/64")
            }],
            nsids: Default::default(),
        };
        let Ok(Op::DelRoute { route, .. }) = plan(&c, &snap) else {
            panic!("a route delete")
        };
        assert_eq!(route.via.as_deref(), Some("2001:db8::8"));
        assert_eq!(route.dev.as_deref(), Some("v0"));
    }
}
