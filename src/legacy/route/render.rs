//! The routing tables as net-tools prints them, as pure functions: the IPv4 table
//! (`Kernel IP routing table`, `lib/inet_gr.c`) from the routes `ip -j route show table all`
//! lists, and the IPv6 table (`Kernel IPv6 routing table`, `lib/inet6_gr.c`) from the text of
//! `/proc/net/ipv6_route`, the only place that has the kernel's reference counts and the
//! per-table null entries net-tools shows.
//!
//! The rows are built first ([`fib4_rows`], [`fib6_rows`]) and printed by [`fib4`] / [`fib6`]
//! in a [`Dialect`]; `netstat -r` prints the same IPv4 table through [`fib4`].
//!
//! The classic 1.60 prints the IPv4 table in the same layouts, but names every all-zero
//! address (`*` for a gateway, `default` for a destination, whatever its mask), where 2.10
//! names only 0.0.0.0/0. Its IPv6 table is another one (`lib/inet6_gr.c` of 1.60): wider
//! columns, flags `U` `G` `H` `D` `A` `C` only, rows without RTF_UP (reject routes, the
//! per-table null entries) left out, the `Ref` column showing the kernel's use count and `Use`
//! its reference count (1.60's `sscanf` reads them in the other order), `*` for `::`, and,
//! without `-n`, names by `getnameinfo`: /etc/hosts or, as no DNS answers in a lab,
//! `[UNKNOWN]` after a `getnameinfo failed` line on stderr.

use super::super::names::Names;
use crate::legacy::dialect::Dialect;
use crate::model::Route;
use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

// The route flags of <linux/route.h> and <linux/ipv6_route.h>.
pub const RTF_UP: u32 = 0x0001;
pub const RTF_GATEWAY: u32 = 0x0002;
pub const RTF_HOST: u32 = 0x0004;
pub const RTF_REINSTATE: u32 = 0x0008;
pub const RTF_DYNAMIC: u32 = 0x0010;
pub const RTF_MODIFIED: u32 = 0x0020;
pub const RTF_REJECT: u32 = 0x0200;
pub const RTF_DEFAULT: u32 = 0x0001_0000;
pub const RTF_ALLONLINK: u32 = 0x0002_0000;
pub const RTF_ADDRCONF: u32 = 0x0004_0000;
pub const RTF_NONEXTHOP: u32 = 0x0020_0000;
pub const RTF_EXPIRES: u32 = 0x0040_0000;
pub const RTF_CACHE: u32 = 0x0100_0000;
pub const RTF_FLOW: u32 = 0x0200_0000;

/// One line of `/proc/net/route`, which is what net-tools reads: the main table's routes
/// except broadcast and multicast ones, in the kernel's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fib4Row {
    pub iface: String,
    pub dst: Ipv4Addr,
    pub gateway: Ipv4Addr,
    pub flags: u32,
    pub metric: u32,
    pub mask: Ipv4Addr,
    /// advmss + 40 (0 when the route has none).
    pub mss: u32,
    pub window: u32,
    pub irtt: u32,
}

/// The kernel's `/proc/net/route` view of the routes (`fib_route_seq_show`): main table,
/// IPv4, no broadcast/multicast; REJECT for unreachable and prohibit; `*` for no device.
pub fn fib4_rows(routes: &[Route]) -> Vec<Fib4Row> {
    routes
        .iter()
        // `ip -j route show table all` lists IPv6 routes too (`default via 2001:db8::1`, or
        // `default dev eth0` with the `pref` only IPv6 routes have): see `Route::ipv6`.
        .filter(|r| r.table == "main" && !r.ipv6)
        .filter(|r| r.kind != "broadcast" && r.kind != "multicast")
        .filter_map(|r| {
            let (dst, len) = match r.dst.as_str() {
                "default" => (Ipv4Addr::UNSPECIFIED, 0),
                d => match d.split_once('/') {
                    Some((a, l)) => (a.parse().ok()?, l.parse::<u32>().ok()?),
                    None => (d.parse().ok()?, 32),
                },
            };
            let mask = if len == 0 {
                0
            } else {
                u32::MAX << (32 - len.min(32))
            };
            let gateway: Ipv4Addr = r
                .gateway
                .as_deref()
                .and_then(|g| g.parse().ok())
                .unwrap_or(Ipv4Addr::UNSPECIFIED);
            let mut flags = RTF_UP;
            if matches!(r.kind.as_str(), "unreachable" | "prohibit") {
                flags |= RTF_REJECT;
            }
            if !gateway.is_unspecified() {
                flags |= RTF_GATEWAY;
            }
            if mask == u32::MAX {
                flags |= RTF_HOST;
            }
            Some(Fib4Row {
                iface: r.dev.clone().unwrap_or_else(|| "*".into()),
                dst,
                gateway,
                flags,
                metric: r.metric.unwrap_or(0),
                mask: Ipv4Addr::from(mask),
                mss: r.advmss.map_or(0, |m| m + 40),
                window: r.window.unwrap_or(0),
                irtt: r.rtt.unwrap_or(0),
            })
        })
        .collect()
}

/// At most 15 bytes (net-tools cuts names with `buf[15] = '\0'`).
fn cut15(s: String) -> String {
    crate::legacy::linux::ifname_shown(&s)
}

/// The flag letters of an IPv4 route (`!` replaces what came before it).
pub fn flags4(f: u32) -> String {
    let mut s = String::new();
    if f & RTF_UP != 0 {
        s.push('U');
    }
    if f & RTF_GATEWAY != 0 {
        s.push('G');
    }
    if f & RTF_REJECT != 0 {
        s = "!".into();
    }
    for (bit, c) in [
        (RTF_HOST, 'H'),
        (RTF_REINSTATE, 'R'),
        (RTF_DYNAMIC, 'D'),
        (RTF_MODIFIED, 'M'),
    ] {
        if f & bit != 0 {
            s.push(c);
        }
    }
    s
}

/// The IPv4 table (`rprint_fib`): title, the header of layout `ext` (1 default, 2 `-e`,
/// 3 `-ee`, 0 none) and the rows.
pub fn fib4(dialect: Dialect, rows: &[Fib4Row], ext: u8, numeric: bool, names: &Names) -> String {
    // 2.10 looks at the mask of an all-zero address, the classic does not (as if it were 0).
    let zero_mask = |a: Ipv4Addr, mask: u32| match dialect {
        Dialect::Classic if a.is_unspecified() => 0,
        _ => mask,
    };
    let mut out = String::from("Kernel IP routing table\n");
    match ext {
        1 => out.push_str(
            "Destination     Gateway         Genmask         Flags Metric Ref    Use Iface\n",
        ),
        2 => out.push_str(
            "Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n",
        ),
        3 => out.push_str("Destination     Gateway         Genmask         Flags Metric Ref    Use Iface    MSS   Window irtt\n"),
        _ => {}
    }
    for r in rows {
        let mask = u32::from(r.mask);
        let host = r.flags & RTF_HOST != 0;
        let dst = cut15(names.inet_rresolve(r.dst, numeric, true, host, zero_mask(r.dst, mask)));
        let gw_mask = zero_mask(r.gateway, 0xffff_ff00);
        let gw = cut15(names.inet_rresolve(r.gateway, numeric, false, true, gw_mask));
        let nm = r.mask.to_string();
        let fl = flags4(r.flags);
        let reject = r.flags & RTF_REJECT != 0;
        let (metric, iface) = (r.metric, &r.iface);
        let _ = match (ext, reject) {
            (1, true) => writeln!(out, "{dst:<15} -               {nm:<15} {fl:<5} {metric:<6} -  {:>7} -", 0),
            (1, false) => writeln!(
                out,
                "{dst:<15} {gw:<15} {nm:<15} {fl:<5} {metric:<6} {:<2} {:>7} {iface}",
                0, 0
            ),
            (2, true) => writeln!(out, "{dst:<15} -               {nm:<15} {fl:<5}     - -          - -"),
            (2, false) => writeln!(
                out,
                "{dst:<15} {gw:<15} {nm:<15} {fl:<5} {:>5} {:<5} {:>6} {iface}",
                r.mss as i32, r.window as i32, r.irtt as i32
            ),
            (3, true) => writeln!(
                out,
                "{dst:<15} -               {nm:<15} {fl:<5} {metric:<6} -  {:>7} -        -     -      -",
                0
            ),
            (3, false) => {
                let short: String = iface.chars().take(6).collect();
                writeln!(
                    out,
                    "{dst:<15} {gw:<15} {nm:<15} {fl:<5} {metric:<6} {:<3} {:>6} {short:<6}   {:<5} {:<6} {}",
                    0, 0, r.mss as i32, r.window as i32, r.irtt as i32
                )
            }
            _ => Ok(()),
        };
    }
    out
}

/// The IPv4 routing cache (`rprint_cache`): the kernel has had none since 3.6, so only the
/// title and the header of the layout (the 2.2 format of `/proc/net/rt_cache`).
pub fn cache4(ext: u8) -> String {
    let mut out = String::from("Kernel IP routing cache\n");
    match ext {
        1 => out.push_str(
            "Source          Destination     Gateway         Flags Metric Ref    Use Iface\n",
        ),
        2 => out.push_str(
            "Source          Destination     Gateway         Flags   MSS Window  irtt Iface\n",
        ),
        3 => out.push_str("Source          Destination     Gateway         Flags Metric Ref    Use Iface    MSS   Window irtt  TOS HHRef HHUptod     SpecDst\n"),
        _ => {}
    }
    out
}

/// One line of `/proc/net/ipv6_route`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fib6Row {
    pub dst: Ipv6Addr,
    pub prefix_len: u32,
    pub next_hop: Ipv6Addr,
    pub metric: i32,
    pub refcnt: i32,
    pub use_: i32,
    pub flags: u32,
    pub iface: String,
}

fn hex6(s: &str) -> Option<Ipv6Addr> {
    (s.len() == 32)
        .then(|| u128::from_str_radix(s, 16).ok().map(Ipv6Addr::from))
        .flatten()
}

/// Parse `/proc/net/ipv6_route` (lines that do not parse are skipped).
pub fn fib6_rows(proc_ipv6_route: &str) -> Vec<Fib6Row> {
    proc_ipv6_route
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_ascii_whitespace().collect();
            if w.len() < 9 {
                return None;
            }
            let num = |s: &str| u32::from_str_radix(s, 16).ok();
            Some(Fib6Row {
                dst: hex6(w[0])?,
                prefix_len: num(w[1])?,
                next_hop: hex6(w[4])?,
                metric: num(w[5])? as i32,
                refcnt: num(w[6])? as i32,
                use_: num(w[7])? as i32,
                flags: num(w[8])?,
                iface: w.get(9).unwrap_or(&"").to_string(),
            })
        })
        .collect()
}

/// `INET6_rresolve` + `fix_v4_address`: numeric, `[::]` for the unspecified address, else
/// the name /etc/hosts gives.
fn name6(a: Ipv6Addr, numeric: bool, names: &Names) -> String {
    if numeric {
        return a.to_string();
    }
    if a.is_unspecified() {
        return "[::]".into();
    }
    names
        .host_by_addr(IpAddr::V6(a))
        .map_or_else(|| a.to_string(), str::to_string)
}

/// The flag letters of an IPv6 route.
pub fn flags6(f: u32) -> String {
    [
        (RTF_UP, 'U'),
        (RTF_REJECT, '!'),
        (RTF_GATEWAY, 'G'),
        (RTF_HOST, 'H'),
        (RTF_DEFAULT, 'D'),
        (RTF_ADDRCONF, 'A'),
        (RTF_CACHE, 'C'),
        (RTF_ALLONLINK, 'a'),
        (RTF_EXPIRES, 'e'),
        (RTF_MODIFIED, 'm'),
        (RTF_NONEXTHOP, 'n'),
        (RTF_FLOW, 'f'),
    ]
    .iter()
    .filter(|(b, _)| f & b != 0)
    .map(|(_, c)| *c)
    .collect()
}

/// The classic `INET6_rresolve`: numeric, `*` for `::`, the /etc/hosts name, or (no DNS)
/// `[UNKNOWN]` with `getnameinfo failed` on `err`.
fn classic_name6(a: Ipv6Addr, numeric: bool, names: &Names, err: &mut String) -> String {
    if numeric {
        return a.to_string();
    }
    if a.is_unspecified() {
        return "*".into();
    }
    match names.host_by_addr(IpAddr::V6(a)) {
        Some(n) => n.to_string(),
        None => {
            err.push_str("getnameinfo failed\n");
            "[UNKNOWN]".into()
        }
    }
}

/// The flag letters of an IPv6 route in the classic table.
fn classic_flags6(f: u32) -> String {
    let mut s = String::from("U");
    for (bit, c) in [
        (RTF_GATEWAY, 'G'),
        (RTF_HOST, 'H'),
        (RTF_DEFAULT, 'D'),
        (RTF_ADDRCONF, 'A'),
        (RTF_CACHE, 'C'),
    ] {
        if f & bit != 0 {
            s.push(c);
        }
    }
    s
}

/// The IPv6 table (`rprint_fib6`): stdout and stderr; `cache`: the 2.10 routing-cache variant
/// (`-C`), which lists only cached routes.
pub fn fib6(
    dialect: Dialect,
    rows: &[Fib6Row],
    cache: bool,
    numeric: bool,
    names: &Names,
) -> (String, String) {
    if dialect == Dialect::Classic {
        let mut out = String::from("Kernel IPv6 routing table\n");
        out.push_str("Destination                                 Next Hop                                Flags Metric Ref    Use Iface\n");
        let mut err = String::new();
        for r in rows.iter().filter(|r| r.flags & RTF_UP != 0) {
            let dst = format!(
                "{}/{}",
                classic_name6(r.dst, numeric, names, &mut err),
                r.prefix_len
            );
            let nh = classic_name6(r.next_hop, numeric, names, &mut err);
            let _ = writeln!(
                out,
                "{dst:<43} {nh:<39} {:<5} {:<6} {:<2} {:>7} {:<8}",
                classic_flags6(r.flags),
                r.metric,
                r.use_,
                r.refcnt,
                r.iface
            );
        }
        return (out, err);
    }
    let mut out = String::from(if cache {
        "Kernel IPv6 routing cache\n"
    } else {
        "Kernel IPv6 routing table\n"
    });
    out.push_str(
        "Destination                    Next Hop                   Flag Met Ref  Use If\n",
    );
    for r in rows {
        if (r.flags & RTF_CACHE != 0) != cache {
            continue;
        }
        let dst = format!("{}/{}", name6(r.dst, numeric, names), r.prefix_len);
        let nh = name6(r.next_hop, numeric, names);
        let _ = writeln!(
            out,
            "{dst:<30} {nh:<26} {:<4} {:<3} {:<1} {:>6} {}",
            flags6(r.flags),
            r.metric,
            r.refcnt,
            r.use_,
            r.iface
        );
    }
    (out, String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(dst: &str, gw: Option<&str>, dev: Option<&str>, kind: &str) -> Route {
        Route {
            gateway: gw.map(Into::into),
            dev: dev.map(Into::into),
            ..Route::new(kind, dst)
        }
    }

    #[test]
    fn ipv6_default_routes_are_not_in_the_ipv4_table() {
        // What `ip -j route show table all` prints for both families' default routes.
        let doc = r#"[{"dst":"default","gateway":"192.0.2.1","dev":"eth0","flags":[]},
            {"dst":"default","gateway":"fd00::1","dev":"eth0","metric":1024,"flags":[],"pref":"medium"},
            {"dst":"default","dev":"eth1","metric":1024,"flags":[],"pref":"medium"}]"#;
        let wire: Vec<crate::backend::ipjson::WireRoute> = serde_json::from_str(doc).unwrap();
        let routes: Vec<Route> = wire.into_iter().map(Route::from).collect();
        assert_eq!(
            routes.iter().map(|r| r.ipv6).collect::<Vec<_>>(),
            [false, true, true]
        );
        let rows = fib4_rows(&routes);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].gateway, Ipv4Addr::new(192, 0, 2, 1));
    }

    #[test]
    fn flags_follow_the_kernel_translation() {
        let rows = fib4_rows(&[
            route("default", Some("10.0.0.2"), Some("v0"), "unicast"),
            route("10.8.0.1", None, None, "unreachable"),
            route("10.50.0.0/16", None, None, "blackhole"),
            route("10.0.0.255", None, Some("v0"), "broadcast"),
        ]);
        let f: Vec<String> = rows.iter().map(|r| flags4(r.flags)).collect();
        assert_eq!(f, ["UG", "!H", "U"]);
        let names = Names::parse("", "loopback 127.0.0.0\n");
        let t = fib4(Dialect::Modern, &rows, 1, false, &names);
        assert_eq!(
            t,
            "Kernel IP routing table\n\
             Destination     Gateway         Genmask         Flags Metric Ref    Use Iface\n\
             default         10.0.0.2        0.0.0.0         UG    0      0        0 v0\n\
             10.8.0.1        -               255.255.255.255 !H    0      -        0 -\n\
             10.50.0.0       0.0.0.0         255.255.0.0     U     0      0        0 *\n"
        );
    }

    #[test]
    fn ipv6_rows_come_from_proc() {
        let rows = fib6_rows("00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n");
        assert_eq!(rows[0].metric, -1);
        assert_eq!(flags6(rows[0].flags), "!n");
        let (t, _) = fib6(Dialect::Modern, &rows, false, false, &Names::default());
        assert!(
            t.ends_with(
                "[::]/0                         [::]                       !n   -1  1      0 lo\n"
            ),
            "{t}"
        );
    }
}
