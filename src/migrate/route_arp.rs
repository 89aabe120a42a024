//! `route` and `arp` lines: the drop-ins' grammars give the Ops.

use super::translate::{Res, Tx};
use crate::backend::Script;
use crate::legacy::{arp, route};
use crate::op::Op;
use crate::run::shell_quote;

impl Tx {
    pub(super) fn route(&mut self, args: &[String], dyn_at: &[bool]) -> Res {
        // Values from expansions: a device name stays a word; a gateway gets a stand-in
        // address for the grammar and is put back; a destination or netmask is decided at
        // run time by `nslab_route_dst`, as route decides it.
        let verb = args
            .iter()
            .position(|a| matches!(a.as_str(), "add" | "del" | "delete"));
        let mut words = args.to_vec();
        let mut back: Vec<(String, String)> = Vec::new();
        let mut dst: Option<(String, String)> = None;
        if dyn_at.iter().any(|d| *d) {
            let Some(v) = verb else {
                return Err("a value only known at run time decides what route does".into());
            };
            let flag = args
                .iter()
                .find(|a| matches!(a.as_str(), "-net" | "-host"))
                .cloned()
                .unwrap_or_else(|| "''".into());
            let target = (v + 1..args.len()).find(|&k| !args[k].starts_with('-'));
            let mask = (1..args.len()).find(|&k| args[k - 1] == "netmask");
            let inet6 = args.iter().any(|a| a == "inet6" || a == "-6");
            for (k, d) in dyn_at.iter().enumerate() {
                if !*d {
                    continue;
                }
                let after = |w: &[&str]| k > 0 && w.contains(&args[k - 1].as_str());
                if Some(k) == target && k == v + 1 && k + 1 == args.len() {
                    return Err(format!(
                        "options in a variable: the words of `{}` decide what route does, and they are only known at run time",
                        args[k]
                    ));
                }
                const VALUED: &[&str] = &[
                    "gw", "gateway", "netmask", "metric", "mss", "mtu", "window", "irtt", "dev",
                    "device",
                ];
                if after(&["dev", "device"])
                    || (k + 1 == args.len() && Some(k) != target && !after(VALUED))
                {
                    continue;
                }
                if inet6 {
                    return Err(format!(
                        "the value of `{}` is only known at run time (IPv6)",
                        args[k]
                    ));
                }
                if after(&["gw", "gateway"]) {
                    let stand_in = format!("198.51.100.{}", back.len() + 1);
                    back.push((stand_in.clone(), args[k].clone()));
                    words[k] = stand_in;
                } else if Some(k) == target || Some(k) == mask {
                    words[k] = "0.0.0.0".into();
                } else {
                    return Err(format!(
                        "the value of `{}` is only known at run time",
                        args[k]
                    ));
                }
            }
            let t = target.filter(|&k| dyn_at[k]);
            let m = mask.filter(|&k| dyn_at[k]);
            if t.is_some() || m.is_some() {
                let Some(tk) = target else {
                    return Err("a route without a destination".into());
                };
                if !dyn_at[tk] {
                    // The grammar must not refuse the stand-in mask for the literal target.
                    words[tk] = "0.0.0.0".into();
                }
                let mword = mask.map(|k| args[k].clone()).unwrap_or_else(|| "''".into());
                dst = Some((
                    "NSLABDST".into(),
                    format!(
                        "$(nslab_route_dst {flag} {} {})",
                        shell_quote(&args[tk]),
                        if mask.is_some() {
                            shell_quote(&mword)
                        } else {
                            mword
                        }
                    ),
                ));
            }
        }
        if !back.is_empty() {
            // Whether the gateway is local (a `scope link` route) is known at run time only.
            self.known = None;
        }
        let first = self.lines.len();
        let res = self.route_words(&words, dst.is_some());
        for l in &mut self.lines[first..] {
            if let Some((mark, expr)) = &dst {
                *l = l.replace(mark.as_str(), expr);
            }
            for (stand_in, word) in &back {
                *l = l.replace(stand_in.as_str(), word);
            }
        }
        res
    }

    fn route_words(&mut self, args: &[String], run_time_dst: bool) -> Res {
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
            route::Invocation::Change(mut c) => {
                if run_time_dst {
                    c.dst = "NSLABDST".into();
                }
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
        // An address or a MAC from an expansion gets a stand-in for the grammar, put back
        // in the lines after; a device name stays a word.
        let mut words = args.to_vec();
        let mut back: Vec<(String, String)> = Vec::new();
        let mut operand = 0;
        for (k, d) in dyn_at.iter().enumerate() {
            let value_of_i = k > 0 && args[k - 1] == "-i";
            let is_operand = !args[k].starts_with('-') && !value_of_i;
            if *d && !value_of_i {
                let stand_in = match (is_operand, operand) {
                    (true, 0) => format!("198.51.100.{}", 101 + back.len()),
                    (true, 1) => format!("02:00:5e:00:53:{:02x}", 0x61 + back.len()),
                    _ => {
                        return Err(format!(
                            "the value of `{}` is only known at run time",
                            args[k]
                        ))
                    }
                };
                back.push((stand_in.clone(), args[k].clone()));
                words[k] = stand_in;
            }
            if is_operand {
                operand += 1;
            }
        }
        let first = self.lines.len();
        let res = self.arp_words(&words);
        for l in &mut self.lines[first..] {
            for (stand_in, word) in &back {
                *l = l.replace(stand_in.as_str(), word);
            }
        }
        if res.is_ok()
            && back
                .iter()
                .any(|(_, w)| self.lines[first..].iter().all(|l| !l.contains(w.as_str())))
        {
            return Err("a value only known at run time decides what arp does".into());
        }
        res
    }

    fn arp_words(&mut self, args: &[String]) -> Res {
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
