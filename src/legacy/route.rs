//! The argument grammar of net-tools 2.10 `route`, as a pure function: argv → [`Invocation`],
//! and the kernel change a parsed command means, as [`Op`]s.
//!
//! What `route` decides before it calls the kernel is decided here (`lib/inet_sr.c`,
//! `lib/inet6_sr.c`, `route.c`):
//! * options (`-n`, `-e`, `-v`, `-F`, `-C`, `-A FAMILY`, `-4`, `-6`) come first; `-net` and
//!   `-host` are rewritten to `#net`/`#host` before option parsing, so they may stand anywhere;
//! * `add`/`del` (`delete`) then `[-net|-host] TARGET[/LEN]`, then the keywords `netmask`,
//!   `gw`/`gateway`, `metric`, `mss`/`mtu`, `window`, `irtt`, `reject`, `mod`, `dyn`,
//!   `reinstate`, `dev`/`device`, and a bare last word as the device;
//! * a numeric target without `-net` is a **host** route, `default` a network; a network
//!   route without `netmask` or `/LEN` has mask 0, which the kernel refuses for any target but
//!   0.0.0.0 (`SIOCADDRT: Invalid argument`);
//! * `metric N` is sent as N+1 and the kernel takes 1 off again, so it is N; IPv6 routes get
//!   metric 1 when none is given (the kernel default through netlink is 1024);
//! * `reject` without a device uses `lo`; the kernel makes it `unreachable … scope host`;
//! * routes made through the ioctl are `proto boot`; the ioctl delete matches any protocol
//!   but only unicast routes (unless `reject`), so the `ip` form says `unicast`.

use crate::legacy::ifconfig::set::grammar::{atoi, inet_aton};
use crate::op::{Ns, Op, RouteSpec};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Which address family a command is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Inet,
    Inet6,
}

/// A route change, fully parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub add: bool,
    pub family: Family,
    /// Destination prefix as `ip` takes it (`10.0.0.0/8`, `default`, `2001:db8::/64`).
    pub dst: String,
    pub gw: Option<String>,
    pub dev: Option<String>,
    /// The kernel metric (priority) the route gets; `None`: 0 for IPv4.
    pub metric: Option<u32>,
    pub reject: bool,
    /// `mss`, `window`, `irtt` given: route metrics nslab does not carry.
    pub extras: Vec<String>,
}

/// What one `route` command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// Print a routing table (`route`, `route -n`, `route -A inet6`, `route -C` …).
    Show {
        family: Family,
        cache: bool,
    },
    Change(Change),
    /// `route` refuses the line before touching the kernel (usage, bad value): this message,
    /// nothing changes.
    Refused(String),
}

fn refused(m: impl Into<String>) -> Invocation {
    Invocation::Refused(m.into())
}

fn mask_len(m: u32) -> Option<u8> {
    let host = !m;
    (host & host.wrapping_add(1) == 0).then(|| m.count_ones() as u8)
}

/// `dev IF` (or `device IF`), or a bare last word, names the device, once: false when the
/// words do not fit that, a usage error for route(8).
fn take_device<'a>(
    dev: &mut Option<String>,
    word: &'a str,
    args: &mut std::iter::Peekable<impl Iterator<Item = &'a str>>,
) -> bool {
    let name = if matches!(word, "dev" | "device") {
        match args.next() {
            Some(d) => d,
            None => return false,
        }
    } else if args.peek().is_some() {
        return false;
    } else {
        word
    };
    if dev.is_some() {
        return false;
    }
    *dev = Some(name.to_string());
    true
}

/// Parse argv (without argv[0]).
pub fn parse(args: &[String]) -> Invocation {
    let mut family = Family::Inet;
    let mut cache = false;
    let mut words: Vec<String> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "-net" => words.push("#net".into()),
            "-host" => words.push("#host".into()),
            "-A" => {
                i += 1;
                match args.get(i).map(String::as_str) {
                    Some("inet") => family = Family::Inet,
                    Some("inet6") => family = Family::Inet6,
                    Some(f) => return refused(format!("route: unsupported address family `{f}'")),
                    None => return refused("route: option requires an argument -- 'A'"),
                }
            }
            "-4" => family = Family::Inet,
            "-6" => family = Family::Inet6,
            _ if a.starts_with("-A") && a.len() > 2 => match &a[2..] {
                "inet" => family = Family::Inet,
                "inet6" => family = Family::Inet6,
                f => return refused(format!("route: unsupported address family `{f}'")),
            },
            _ if a.starts_with('-') && a.len() > 1 && words.is_empty() => {
                for c in a[1..].chars() {
                    match c {
                        'n' | 'N' | 'e' | 'v' | 'F' | 'D' => {}
                        'C' => cache = true,
                        '4' => family = Family::Inet,
                        '6' => family = Family::Inet6,
                        'h' => return refused("route: help requested"),
                        'V' => return refused("route: version requested"),
                        c => return refused(format!("route: invalid option -- '{c}'")),
                    }
                }
            }
            _ => words.push(a.to_string()),
        }
        i += 1;
    }
    let Some((verb, rest)) = words.split_first() else {
        return Invocation::Show { family, cache };
    };
    let add = match verb.as_str() {
        "add" => true,
        "del" | "delete" => false,
        "flush" => return refused("route: flushing the routing table is not supported"),
        v => return refused(format!("route: unknown command `{v}'")),
    };
    if cache {
        return refused("route: modifying the routing cache is not supported");
    }
    match family {
        Family::Inet => inet(add, rest),
        Family::Inet6 => inet6(add, rest),
    }
}

const USAGE: &str = "route: usage error (the usage text is printed)";

fn inet(add: bool, args: &[String]) -> Invocation {
    let mut args = args.iter().map(String::as_str).peekable();
    let mut xflag = 0;
    match args.peek() {
        Some(&"#net") => {
            xflag = 1;
            args.next();
        }
        Some(&"#host") => {
            xflag = 2;
            args.next();
        }
        _ => {}
    }
    let Some(target) = args.next() else {
        return refused(USAGE);
    };
    let mut mask: Option<u32> = None;
    let mut target = target.to_string();
    if let Some((t, len)) = target.clone().split_once('/') {
        // INET_getmask: `/N` with 0 <= N <= 32.
        let n: i64 = len.parse().unwrap_or(-1);
        if !(0..=32).contains(&n) {
            return refused(USAGE);
        }
        mask = Some(if n == 0 { 0 } else { u32::MAX << (32 - n) });
        target = t.to_string();
    }
    let (dst, mut isnet) = if target == "default" {
        (Ipv4Addr::UNSPECIFIED, true)
    } else {
        match inet_aton(&target) {
            Some(a) => (a, false),
            None => return refused(format!("{target}: Unknown host")),
        }
    };
    match xflag {
        1 => isnet = true,
        2 => isnet = false,
        _ => {}
    }
    let mut c = Change {
        add,
        family: Family::Inet,
        dst: String::new(),
        gw: None,
        dev: None,
        metric: None,
        reject: false,
        extras: vec![],
    };
    let mut netmask_word = String::from("default");
    while let Some(w) = args.next() {
        match w {
            "metric" => match args.next() {
                Some(m) if m.starts_with(|ch: char| ch.is_ascii_digit()) => {
                    c.metric = Some(atoi(m) as u32);
                }
                _ => return refused(USAGE),
            },
            "netmask" => {
                let Some(m) = args.next() else {
                    return refused(USAGE);
                };
                if mask.is_some_and(|m| m != 0) {
                    return refused(USAGE);
                }
                let Some(a) = (if m == "default" {
                    Some(Ipv4Addr::UNSPECIFIED)
                } else {
                    inet_aton(m)
                }) else {
                    return refused(format!("{m}: Unknown host"));
                };
                netmask_word = m.to_string();
                mask = Some(u32::from(a));
            }
            "gw" | "gateway" => {
                let Some(g) = args.next() else {
                    return refused(USAGE);
                };
                if c.gw.is_some() {
                    return refused(USAGE);
                }
                if g == "default" {
                    return refused(format!("route: {g}: cannot use a NETWORK as gateway!"));
                }
                match inet_aton(g) {
                    Some(a) => c.gw = Some(a.to_string()),
                    None => return refused(format!("{g}: Unknown host")),
                }
            }
            "mss" | "mtu" | "window" | "irtt" => {
                let Some(v) = args.next() else {
                    return refused(USAGE);
                };
                c.extras.push(format!("{w} {v}"));
            }
            "reject" => c.reject = true,
            "mod" | "dyn" | "reinstate" => {}
            w => {
                if !take_device(&mut c.dev, w, &mut args) {
                    return refused(USAGE);
                }
            }
        }
    }
    if c.reject && c.dev.is_none() {
        c.dev = Some("lo".into());
    }
    let m = mask.unwrap_or(0);
    if m != 0 {
        if !isnet && m != u32::MAX {
            return refused(format!(
                "route: netmask {:08x} doesn't make sense with host route",
                !m
            ));
        }
        if mask_len(m).is_none() {
            return refused(format!("route: bogus netmask {netmask_word}"));
        }
        if u32::from(dst) & !m != 0 {
            return refused("route: netmask doesn't match route address");
        }
    }
    let len = if isnet {
        match mask_len(m) {
            Some(l) => l,
            None => return refused(format!("route: bogus netmask {netmask_word}")),
        }
    } else {
        32
    };
    // The kernel refuses a network whose address has bits outside the mask (mask 0 when none
    // was given): `SIOCADDRT: Invalid argument`.
    let lm = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    if u32::from(dst) & !lm != 0 {
        return refused("SIOCADDRT: Invalid argument");
    }
    c.dst = if len == 0 {
        "default".into()
    } else {
        format!("{dst}/{len}")
    };
    Invocation::Change(c)
}

fn inet6(add: bool, args: &[String]) -> Invocation {
    let mut args = args
        .iter()
        .map(String::as_str)
        .filter(|w| *w != "#net" && *w != "#host")
        .peekable();
    let Some(target) = args.next() else {
        return refused(USAGE);
    };
    let (addr, len) = match target.split_once('/') {
        Some((a, l)) => match l.parse::<u8>().ok().filter(|n| *n <= 128) {
            Some(n) => (a, n),
            None => return refused(USAGE),
        },
        None if target == "default" => ("::", 0),
        None => (target, 128),
    };
    let Ok(a) = addr.parse::<Ipv6Addr>() else {
        return refused(format!("{addr}: Unknown host"));
    };
    let mut c = Change {
        add,
        family: Family::Inet6,
        dst: format!("{a}/{len}"),
        gw: None,
        dev: None,
        metric: Some(1),
        reject: false,
        extras: vec![],
    };
    while let Some(w) = args.next() {
        match w {
            "metric" => match args.next() {
                Some(m) => c.metric = Some(atoi(m) as u32),
                None => return refused(USAGE),
            },
            "gw" | "gateway" => match args.next().map(str::parse::<Ipv6Addr>) {
                Some(Ok(g)) => c.gw = Some(g.to_string()),
                _ => return refused(USAGE),
            },
            "mod" | "dyn" | "reinstate" => {}
            w => {
                if !take_device(&mut c.dev, w, &mut args) {
                    return refused(USAGE);
                }
            }
        }
    }
    Invocation::Change(c)
}

impl Change {
    /// The route change as an Op in namespace `ns`. `None` when the command carries route
    /// metrics (`mss`, `window`, `irtt`) that the Op vocabulary does not express.
    pub fn op(&self, ns: &Ns) -> Option<Op> {
        if !self.extras.is_empty() {
            return None;
        }
        let mut r = RouteSpec {
            dst: self.dst.clone(),
            via: self.gw.clone(),
            dev: self.dev.clone(),
            metric: self.metric.filter(|m| *m != 0),
            // Routes made through the ioctl are `proto boot`; its delete matches any protocol.
            proto: self.add.then(|| "boot".into()),
            ..Default::default()
        };
        if self.family == Family::Inet {
            if self.reject {
                // The kernel's ioctl path makes an unreachable route of host scope, no device.
                r.kind = Some("unreachable".into());
                r.dev = None;
                r.via = None;
                r.scope = Some("host".into());
            } else if !self.add {
                r.kind = Some("unicast".into());
            }
        }
        if !self.add && self.family == Family::Inet && self.metric.is_none() {
            r.metric = None;
        }
        Some(if self.add && self.family == Family::Inet {
            // SIOCADDRT asks for NLM_F_CREATE only: a route of another type or nexthop for the
            // same prefix does not stop it.
            Op::PrependRoute {
                ns: ns.clone(),
                route: r,
            }
        } else if self.add {
            Op::AddRoute {
                ns: ns.clone(),
                route: r,
            }
        } else {
            Op::DelRoute {
                ns: ns.clone(),
                route: r,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Invocation {
        parse(
            &line
                .split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>(),
        )
    }

    fn op(line: &str) -> String {
        match p(line) {
            Invocation::Change(c) => c.op(&Some("n".into())).unwrap().to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn numeric_target_without_net_is_a_host_route() {
        assert_eq!(
            op("add 10.6.0.0 dev v0"),
            "ip -n n route prepend 10.6.0.0/32 dev v0 proto boot"
        );
    }

    #[test]
    fn net_needs_a_mask_except_for_default() {
        assert!(matches!(
            p("add -net 10.9.0.0 dev v0"),
            Invocation::Refused(_)
        ));
        assert_eq!(
            op("add -net 10.9.0.0 netmask 255.255.0.0 gw 10.0.0.2 metric 5"),
            "ip -n n route prepend 10.9.0.0/16 via 10.0.0.2 metric 5 proto boot"
        );
        assert_eq!(
            op("add default gw 10.0.0.3"),
            "ip -n n route prepend default via 10.0.0.3 proto boot"
        );
        assert_eq!(
            op("add -net 10.8.0.0/16 eth0"),
            "ip -n n route prepend 10.8.0.0/16 dev eth0 proto boot"
        );
    }

    #[test]
    fn reject_is_unreachable_of_host_scope() {
        assert_eq!(
            op("add -net 10.7.0.0 netmask 255.255.0.0 reject"),
            "ip -n n route prepend unreachable 10.7.0.0/16 scope host proto boot"
        );
    }

    #[test]
    fn delete_matches_only_unicast_routes() {
        assert_eq!(
            op("del -net 10.8.0.0/16"),
            "ip -n n route del unicast 10.8.0.0/16"
        );
    }

    #[test]
    fn ipv6_routes_default_to_metric_one() {
        assert_eq!(
            op("-A inet6 add 2001:db8:5::/64 gw 2001:db8::2"),
            "ip -n n route add 2001:db8:5::/64 via 2001:db8::2 metric 1 proto boot"
        );
    }

    #[test]
    fn bad_masks_are_refused() {
        assert!(matches!(
            p("add -host 10.0.0.1 netmask 255.0.0.0"),
            Invocation::Refused(_)
        ));
        assert!(matches!(
            p("add -net 10.0.0.1 netmask 255.0.0.0"),
            Invocation::Refused(_)
        ));
        assert!(matches!(
            p("add -net 10.0.0.0 netmask 255.0.255.0"),
            Invocation::Refused(_)
        ));
    }
}
