//! What the kernel decides about an IPv4 route ioctl before it changes anything, imitated on
//! a [`Snapshot`]: the route lookup (`fib_lookup` over the local and main tables, longest
//! prefix first, local before main on a tie, routes of a lower scope skipped, reject types
//! answering with their errno) and the checks `fib_create_info` makes on a nexthop. `ip`
//! would report the same failures with extended-ack texts that do not tell ENETUNREACH from
//! EHOSTUNREACH; deciding them here gives `route` and `arp` the ioctl's errno.
//!
//! `arp -s`/`arp -d` without `-i` pick their device with the same lookup.

use crate::model::{Route, Snapshot};
use std::net::Ipv4Addr;

pub const ENODEV: &str = "No such device";
pub const EINVAL: &str = "Invalid argument";
pub const ENETUNREACH: &str = "Network is unreachable";
pub const EHOSTUNREACH: &str = "No route to host";
pub const ENETDOWN: &str = "Network is down";
pub const EACCES: &str = "Permission denied";

/// Route scopes (`rtm_scope`).
pub const SCOPE_UNIVERSE: u8 = 0;
pub const SCOPE_LINK: u8 = 253;
pub const SCOPE_HOST: u8 = 254;

pub fn scope_of(r: &Route) -> u8 {
    match r.scope.as_deref() {
        Some("host") => SCOPE_HOST,
        Some("link") => SCOPE_LINK,
        Some("site") => 200,
        Some("nowhere") => 255,
        Some(s) => s.parse().unwrap_or(SCOPE_UNIVERSE),
        None => SCOPE_UNIVERSE,
    }
}

/// An IPv4 route's prefix: (network, length).
pub fn prefix4(r: &Route) -> Option<(u32, u32)> {
    if r.ipv6 {
        return None;
    }
    let (a, len) = match r.dst.as_str() {
        "default" => (Ipv4Addr::UNSPECIFIED, 0),
        d => match d.split_once('/') {
            Some((a, l)) => (a.parse().ok()?, l.parse().ok()?),
            None => (d.parse().ok()?, 32),
        },
    };
    Some((u32::from(a), len))
}

fn covers(net: u32, len: u32, addr: u32) -> bool {
    len == 0 || (addr ^ net) >> (32 - len.min(32)) == 0
}

/// `fib_lookup(daddr, scope ≥ min_scope, oif)`: the route used, or the errno.
pub fn lookup<'a>(
    snap: &'a Snapshot,
    addr: Ipv4Addr,
    min_scope: u8,
    oif: Option<&str>,
) -> Result<&'a Route, &'static str> {
    let a = u32::from(addr);
    let mut cands: Vec<(u32, bool, usize, &Route)> = snap
        .routes
        .iter()
        .enumerate()
        .filter(|(_, r)| r.table == "local" || r.table == "main")
        .filter_map(|(i, r)| {
            let (net, len) = prefix4(r)?;
            covers(net, len, a).then_some((len, r.table == "local", i, r))
        })
        .collect();
    // Longest prefix first; on a tie the local table's alias first; then dump order.
    cands.sort_by(|x, y| y.0.cmp(&x.0).then(y.1.cmp(&x.1)).then(x.2.cmp(&y.2)));
    for (_, _, _, r) in cands {
        if scope_of(r) < min_scope {
            continue;
        }
        match r.kind.as_str() {
            "unreachable" => return Err(EHOSTUNREACH),
            "prohibit" => return Err(EACCES),
            "blackhole" => return Err(EINVAL),
            "throw" => return Err(ENETUNREACH),
            _ => {}
        }
        if oif.is_some() && r.dev.as_deref() != oif {
            continue;
        }
        return Ok(r);
    }
    Err(ENETUNREACH)
}

/// `inet_addr_type_table`: whether an address is an ordinary (unicast) one to this
/// namespace, rather than one of its own, a broadcast or a multicast address.
pub fn is_unicast(snap: &Snapshot, addr: Ipv4Addr) -> bool {
    if addr.is_unspecified() || addr.is_broadcast() || addr.is_multicast() {
        return false;
    }
    match lookup(snap, addr, SCOPE_UNIVERSE, None) {
        Ok(r) => r.kind == "unicast",
        Err(_) => true,
    }
}

/// The checks of `fib_create_info` on the nexthop of a unicast route added with `scope`.
pub fn check_nexthop(
    snap: &Snapshot,
    gw: Option<Ipv4Addr>,
    dev: Option<&str>,
    scope: u8,
) -> Result<(), &'static str> {
    let up = |d: &str| snap.link(d).is_some_and(|l| l.is_up());
    match (gw, dev) {
        (Some(g), oif) => {
            let r = lookup(snap, g, (scope + 1).max(SCOPE_LINK), oif)?;
            if r.kind != "unicast" && r.kind != "local" {
                return Err(EINVAL);
            }
            match r.dev.as_deref() {
                Some(d) if up(d) => Ok(()),
                Some(_) => Err(ENETDOWN),
                None => Err(EINVAL),
            }
        }
        (None, Some(d)) if snap.link(d).is_none() => Err(ENODEV),
        (None, Some(d)) if !up(d) => Err(ENETDOWN),
        (None, Some(_)) => Ok(()),
        (None, None) => Err(ENODEV),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(dst: &str, kind: &str, table: &str, dev: Option<&str>, scope: Option<&str>) -> Route {
        Route {
            dev: dev.map(Into::into),
            table: table.into(),
            scope: scope.map(Into::into),
            ..Route::new(kind, dst)
        }
    }

    fn snap(routes: Vec<Route>) -> Snapshot {
        Snapshot {
            netns: None,
            links: vec![],
            routes,
            nsids: Default::default(),
        }
    }

    #[test]
    fn longest_prefix_of_enough_scope_wins() {
        let s = snap(vec![
            r("default", "unicast", "main", Some("v0"), None),
            r("10.0.0.0/24", "unicast", "main", Some("v0"), Some("link")),
            r("10.0.0.1", "local", "local", Some("v0"), Some("host")),
            r("10.8.0.1", "unreachable", "main", None, Some("host")),
        ]);
        let a = |x: &str| x.parse::<Ipv4Addr>().unwrap();
        assert_eq!(
            lookup(&s, a("10.0.0.9"), SCOPE_LINK, None).unwrap().dst,
            "10.0.0.0/24"
        );
        assert_eq!(
            lookup(&s, a("10.0.0.1"), SCOPE_LINK, None).unwrap().kind,
            "local"
        );
        assert_eq!(
            lookup(&s, a("10.1.0.1"), SCOPE_LINK, None),
            Err(ENETUNREACH)
        );
        assert_eq!(lookup(&s, a("10.1.0.1"), 0, None).unwrap().dst, "default");
        assert_eq!(
            lookup(&s, a("10.8.0.1"), SCOPE_LINK, None),
            Err(EHOSTUNREACH)
        );
        assert!(!is_unicast(&s, a("10.0.0.1")));
        assert!(is_unicast(&s, a("10.0.0.2")));
    }
}
