//! `route` and `arp` lines: the drop-ins' grammars give the Ops.

use super::translate::{Res, Tx};
use crate::backend::Script;
use crate::legacy::{arp, route};
use crate::op::Op;

impl Tx {
    pub(super) fn route(&mut self, args: &[String], dyn_at: &[bool]) -> Res {
        // Only device names may come from expansions.
        for (k, d) in dyn_at.iter().enumerate() {
            let dev_pos =
                (k > 0 && matches!(args[k - 1].as_str(), "dev" | "device")) || k + 1 == args.len();
            if *d && !dev_pos {
                return Err(format!(
                    "the value of `{}` is only known at run time",
                    args[k]
                ));
            }
        }
        match route::parse(args) {
            route::Invocation::Show { family, .. } => {
                let v6 = if family == route::Family::Inet6 {
                    " -6"
                } else {
                    ""
                };
                self.lines.push(format!("{}{v6} route show", self.ip()));
                Ok(None)
            }
            route::Invocation::Refused(m) if m.ends_with("requested") => {
                Err("it prints route's own text; nothing to translate".into())
            }
            route::Invocation::Refused(m) => Err(format!("route refuses it: {m}")),
            route::Invocation::Change(c) => {
                if c.dev.as_deref().is_some_and(|d| d.contains(':')) && c.add && !c.reject {
                    return Err(
                        "a route through an alias takes its source address at run time".into(),
                    );
                }
                match c.op(&self.ns) {
                    Some(op) => {
                        // The ioctl gives a gateway route universe scope only when the gateway
                        // is a unicast address; a local or broadcast one makes it `scope link`.
                        let gw_v4 =
                            c.gw.as_ref()
                                .filter(|_| c.add && !c.reject && c.family == route::Family::Inet);
                        let Some(gw) = gw_v4 else {
                            self.op(op);
                            return Ok(None);
                        };
                        let linked = |op: &Op| match op {
                            Op::PrependRoute { ns, route } => Op::PrependRoute {
                                ns: ns.clone(),
                                route: crate::op::RouteSpec {
                                    scope: Some("link".into()),
                                    ..route.clone()
                                },
                            },
                            other => other.clone(),
                        };
                        match &mut self.known {
                            Some(k) => {
                                let local = k.links.iter().flat_map(|l| &l.addrs).any(|a| {
                                    a.local.to_string() == *gw
                                        || a.broadcast.is_some_and(|b| b.to_string() == *gw)
                                });
                                self.op(if local { linked(&op) } else { op });
                            }
                            None => {
                                let plain = Script::render(std::slice::from_ref(&op));
                                let scoped = Script::render(&[linked(&op)]);
                                self.lines.push(format!(
                                    "if {} route get {gw} 2>/dev/null | grep -qE '^(local|broadcast) '; then {}; else {}; fi",
                                    self.ip(),
                                    scoped.trim_end(),
                                    plain.trim_end()
                                ));
                            }
                        }
                        Ok(None)
                    }
                    None => Err(format!(
                        "route metrics ({}) are not carried over",
                        c.extras.join(", ")
                    )),
                }
            }
        }
    }

    // ---------------------------------------------------------------- arp

    pub(super) fn arp(&mut self, args: &[String], dyn_at: &[bool]) -> Res {
        for (k, d) in dyn_at.iter().enumerate() {
            if *d && !(k > 0 && args[k - 1] == "-i") {
                return Err(format!(
                    "the value of `{}` is only known at run time",
                    args[k]
                ));
            }
        }
        let inv = arp::parse(args);
        match &inv {
            arp::Invocation::Show => {
                self.lines.push(format!("{} neigh show", self.ip()));
                Ok(None)
            }
            arp::Invocation::Refused(m) => Err(m.clone()),
            _ => match inv.ops(&self.ns) {
                Some(ops) => {
                    for op in ops {
                        self.op(op);
                    }
                    Ok(None)
                }
                None => {
                    // Without `-i` the kernel picks the device by a route lookup: so does
                    // the translation, at run time (no route: `ip` fails, as arp does).
                    const MARK: &str = "NSLAB-ROUTE-DEV";
                    let (addr, with_dev) = match &inv {
                        arp::Invocation::Set {
                            addr,
                            mac,
                            temp,
                            publ,
                            ..
                        } => (
                            *addr,
                            arp::Invocation::Set {
                                addr: *addr,
                                mac: mac.clone(),
                                temp: *temp,
                                publ: *publ,
                                dev: Some(MARK.into()),
                            },
                        ),
                        arp::Invocation::Del { addr, publ, .. } => (
                            *addr,
                            arp::Invocation::Del {
                                addr: *addr,
                                publ: *publ,
                                dev: Some(MARK.into()),
                            },
                        ),
                        _ => return Err("an arp request migrate does not know".into()),
                    };
                    let lookup = format!(
                        "\"$({} route get {addr} | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p;q')\"",
                        self.ip()
                    );
                    for op in with_dev.ops(&self.ns).unwrap_or_default() {
                        let line = Script::render(&[op]);
                        self.lines.push(line.trim_end().replace(MARK, &lookup));
                    }
                    Ok(None)
                }
            },
        }
    }
}
