//! Wire types mirroring the JSON of `ip -j -d -s -s addr show`, `ip -j route show table all`
//! and `ip -j netns list-id`. Unknown fields are ignored and anything that varies between
//! iproute2 versions is optional, so these parse what 4.17 and 6.x print alike. Conversion to
//! the model in `crate::model` happens here and nowhere else.

use crate::error::{Error, Result};
use crate::model::{Addr, BridgeInfo, Link, PortInfo, Route, Snapshot, Stats};
use serde::Deserialize;
use std::net::IpAddr;

#[derive(Debug, Deserialize)]
pub struct WireLink {
    pub ifindex: u32,
    pub ifname: String,
    #[serde(default)]
    pub link_index: Option<u32>,
    #[serde(default)]
    pub link_netnsid: Option<i64>,
    /// The peer/lower device's name, printed instead of `link_index` when it is in the
    /// same namespace.
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub flags: Vec<String>,
    #[serde(default)]
    pub mtu: u32,
    #[serde(default)]
    pub qdisc: Option<String>,
    #[serde(default)]
    pub master: Option<String>,
    #[serde(default)]
    pub operstate: Option<String>,
    /// Left out by iproute2 when the queue length is 0.
    #[serde(default)]
    pub txqlen: Option<u32>,
    #[serde(default)]
    pub link_type: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub broadcast: Option<String>,
    #[serde(default)]
    pub promiscuity: Option<u32>,
    #[serde(default)]
    pub allmulti: Option<u32>,
    #[serde(default)]
    pub linkinfo: Option<WireLinkInfo>,
    #[serde(default)]
    pub addr_info: Vec<WireAddr>,
    #[serde(default)]
    pub stats64: Option<Stats>,
}

#[derive(Debug, Deserialize)]
pub struct WireLinkInfo {
    #[serde(default)]
    pub info_kind: Option<String>,
    #[serde(default)]
    pub info_data: Option<serde_json::Value>,
    #[serde(default)]
    pub info_slave_kind: Option<String>,
    #[serde(default)]
    pub info_slave_data: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct WireAddr {
    pub family: String,
    pub local: String,
    #[serde(default)]
    pub address: Option<String>,
    pub prefixlen: u8,
    #[serde(default)]
    pub broadcast: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub secondary: bool,
    #[serde(default)]
    pub tentative: bool,
    #[serde(default)]
    pub dadfailed: bool,
    #[serde(default)]
    pub nodad: bool,
}

#[derive(Debug, Deserialize)]
pub struct WireRoute {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    pub dst: String,
    #[serde(default)]
    pub gateway: Option<String>,
    #[serde(default)]
    pub dev: Option<String>,
    #[serde(default)]
    pub table: Option<String>,
    #[serde(default)]
    pub protocol: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub prefsrc: Option<String>,
    #[serde(default)]
    pub metric: Option<u32>,
    #[serde(default)]
    pub metrics: Vec<WireRouteMetrics>,
    /// The router preference, which the kernel reports for IPv6 routes only.
    #[serde(default)]
    pub pref: Option<String>,
    /// A multipath route's nexthops.
    #[serde(default)]
    pub nexthops: Vec<WireNexthop>,
}

#[derive(Debug, Default, Deserialize)]
pub struct WireNexthop {
    #[serde(default)]
    pub gateway: Option<String>,
    #[serde(default)]
    pub dev: Option<String>,
}

/// One element of a route's `metrics` list (iproute2 prints one object holding them all).
#[derive(Debug, Default, Deserialize)]
pub struct WireRouteMetrics {
    #[serde(default)]
    pub advmss: Option<u32>,
    #[serde(default)]
    pub window: Option<u32>,
    #[serde(default)]
    pub rtt: Option<u32>,
}

#[derive(Debug, Deserialize)]
pub struct WireNeigh {
    pub dst: String,
    #[serde(default)]
    pub dev: Option<String>,
    #[serde(default)]
    pub lladdr: Option<String>,
    #[serde(default)]
    pub state: Vec<String>,
}

/// The neighbours from the two documents of `ip -4 -j neigh show` and `neigh show proxy`.
pub fn neighbours_from(docs: Vec<serde_json::Value>) -> Result<Vec<crate::model::Neigh>> {
    let mut out = Vec::new();
    for (i, doc) in docs.into_iter().enumerate() {
        let list: Vec<WireNeigh> = parse("ip -j neigh show", doc)?;
        out.extend(list.into_iter().map(|w| crate::model::Neigh {
            dst: w.dst,
            dev: w.dev,
            lladdr: w.lladdr,
            state: w.state,
            proxy: i == 1,
        }));
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
pub struct WireNsid {
    pub nsid: i64,
    #[serde(default)]
    pub name: Option<String>,
}

/// Split the output of `ip -j -batch -` into its JSON documents. Empty output is no
/// documents (`ip -j netns` prints nothing when /run/netns is missing).
pub fn documents(what: &str, text: &str) -> Result<Vec<serde_json::Value>> {
    let text = escape_raw_controls(text);
    let mut out = Vec::new();
    for doc in serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>() {
        out.push(doc.map_err(|e| Error::Parse {
            what: what.to_string(),
            message: format!("{e} (is this iproute2 older than 4.17, without JSON output for it?)"),
        })?);
    }
    Ok(out)
}

/// iproute2 before 7.0 writes control characters inside JSON strings as they are (a device
/// named `zq\x01` comes out with a raw 0x01 byte), which JSON forbids. Escape them (`\u0001`)
/// inside strings, so such a name reads back as itself and the rest of the output still
/// parses. Text outside strings is left alone.
fn escape_raw_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text
        .bytes()
        .any(|b| b < 0x20 && !matches!(b, b'\n' | b'\t' | b'\r' | b' '))
    {
        // Only JSON's own whitespace: nothing raw can be inside a string but those, and
        // iproute2 escapes them (`\n`, `\t`, `\r`).
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            } else if (c as u32) < 0x20 {
                out.push_str(&format!("\\u{:04x}", c as u32));
                continue;
            }
        } else if c == '"' {
            in_string = true;
        }
        out.push(c);
    }
    std::borrow::Cow::Owned(out)
}

fn parse<T: for<'de> Deserialize<'de>>(what: &str, v: serde_json::Value) -> Result<T> {
    serde_json::from_value(v).map_err(|e| Error::Parse {
        what: what.to_string(),
        message: e.to_string(),
    })
}

/// Build a snapshot from the three documents of `addr show`, `route show table all` and
/// `netns list-id` (the later ones may be missing).
pub fn snapshot_from(netns: Option<&str>, docs: Vec<serde_json::Value>) -> Result<Snapshot> {
    let mut docs = docs.into_iter();
    let links: Vec<WireLink> = match docs.next() {
        Some(v) => parse("ip -j addr show", v)?,
        None => Vec::new(),
    };
    let routes: Vec<WireRoute> = match docs.next() {
        Some(v) => parse("ip -j route show table all", v)?,
        None => Vec::new(),
    };
    let nsids: Vec<WireNsid> = match docs.next() {
        Some(v) => parse("ip -j netns list-id", v)?,
        None => Vec::new(),
    };
    Ok(Snapshot {
        netns: netns.map(str::to_string),
        links: links.into_iter().map(Link::from).collect(),
        routes: routes.into_iter().map(Route::from).collect(),
        nsids: nsids
            .into_iter()
            .filter_map(|n| Some((n.nsid, n.name?)))
            .collect(),
    })
}

fn num(v: &serde_json::Value, k: &str) -> Option<f64> {
    match v.get(k)? {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => {
            let s = s.trim();
            match s.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16).ok().map(|x| x as f64),
                None => s.parse().ok(),
            }
        }
        serde_json::Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

fn text(v: &serde_json::Value, k: &str) -> Option<String> {
    v.get(k).and_then(|x| x.as_str()).map(str::to_string)
}

impl From<WireLink> for Link {
    fn from(w: WireLink) -> Self {
        let info = w.linkinfo.as_ref();
        let info_kind = info.and_then(|i| i.info_kind.clone());
        let kind = match (&info_kind, w.link_type.as_deref()) {
            (Some(k), _) => k.clone(),
            (None, Some("loopback")) => "loopback".to_string(),
            (None, Some("none")) => "tun".to_string(),
            _ => "device".to_string(),
        };
        let bridge = match (
            info_kind.as_deref(),
            info.and_then(|i| i.info_data.as_ref()),
        ) {
            (Some("bridge"), Some(d)) => Some(BridgeInfo {
                forward_delay: num(d, "forward_delay").unwrap_or(0.0) as u64,
                hello_time: num(d, "hello_time").unwrap_or(0.0) as u64,
                max_age: num(d, "max_age").unwrap_or(0.0) as u64,
                ageing_time: num(d, "ageing_time").unwrap_or(0.0) as u64,
                stp_state: num(d, "stp_state").unwrap_or(0.0) as u32,
                priority: num(d, "priority").unwrap_or(0.0) as u32,
                bridge_id: text(d, "bridge_id"),
                root_id: text(d, "root_id"),
                root_port: num(d, "root_port").unwrap_or(0.0) as u32,
                root_path_cost: num(d, "root_path_cost").unwrap_or(0.0) as u32,
                topology_change: num(d, "topology_change").unwrap_or(0.0) as u32,
                topology_change_detected: num(d, "topology_change_detected").unwrap_or(0.0) as u32,
                hello_timer: num(d, "hello_timer").unwrap_or(0.0),
                tcn_timer: num(d, "tcn_timer").unwrap_or(0.0),
                topology_change_timer: num(d, "topology_change_timer").unwrap_or(0.0),
                gc_timer: num(d, "gc_timer").unwrap_or(0.0),
            }),
            _ => None,
        };
        let port = match (
            info.and_then(|i| i.info_slave_kind.as_deref()),
            info.and_then(|i| i.info_slave_data.as_ref()),
        ) {
            (Some("bridge"), Some(d)) => Some(PortInfo {
                state: text(d, "state").unwrap_or_default(),
                priority: num(d, "priority").unwrap_or(0.0) as u32,
                cost: num(d, "cost").unwrap_or(0.0) as u32,
                hairpin: num(d, "hairpin").unwrap_or(0.0) != 0.0,
                id: num(d, "id").unwrap_or(0.0) as u32,
                no: num(d, "no").unwrap_or(0.0) as u32,
                designated_port: num(d, "designated_port").unwrap_or(0.0) as u32,
                designated_cost: num(d, "designated_cost").unwrap_or(0.0) as u32,
                designated_bridge: text(d, "bridge_id"),
                designated_root: text(d, "root_id"),
                hold_timer: num(d, "hold_timer").unwrap_or(0.0),
                message_age_timer: num(d, "message_age_timer").unwrap_or(0.0),
                forward_delay_timer: num(d, "forward_delay_timer").unwrap_or(0.0),
                topology_change_ack: num(d, "topology_change_ack").unwrap_or(0.0) != 0.0,
                config_pending: num(d, "config_pending").unwrap_or(0.0) != 0.0,
            }),
            _ => None,
        };
        let stats = w.stats64;
        Link {
            ifindex: w.ifindex,
            name: w.ifname,
            kind,
            flags: w.flags,
            mtu: w.mtu,
            qdisc: w.qdisc,
            operstate: w.operstate.unwrap_or_else(|| "UNKNOWN".to_string()),
            txqlen: w.txqlen.unwrap_or(0),
            link_type: w.link_type.unwrap_or_default(),
            mac: w.address,
            broadcast_mac: w.broadcast,
            master: w.master,
            promiscuity: w.promiscuity.unwrap_or(0),
            allmulti: w.allmulti.unwrap_or(0),
            peer_ifindex: w.link_index,
            peer_name: w.link,
            peer_netnsid: w.link_netnsid,
            addrs: w
                .addr_info
                .into_iter()
                .filter_map(Addr::from_wire)
                .collect(),
            stats,
            bridge,
            port,
        }
    }
}

impl Addr {
    fn from_wire(w: WireAddr) -> Option<Addr> {
        let local: IpAddr = w.local.parse().ok()?;
        Some(Addr {
            local,
            prefixlen: w.prefixlen,
            peer: w.address.and_then(|a| a.parse().ok()),
            broadcast: w.broadcast.and_then(|a| a.parse().ok()),
            scope: w.scope.unwrap_or_else(|| "global".to_string()),
            label: w.label,
            secondary: w.secondary,
            tentative: w.tentative,
            dadfailed: w.dadfailed,
            nodad: w.nodad,
        })
        .filter(|_| w.family == "inet" || w.family == "inet6")
    }
}

impl From<WireRoute> for Route {
    fn from(w: WireRoute) -> Self {
        let v6 = |a: &Option<String>| a.as_deref().is_some_and(|a| a.contains(':'));
        let ipv6 = w.pref.is_some() || w.dst.contains(':') || v6(&w.gateway) || v6(&w.prefsrc);
        Route {
            ipv6,
            kind: w.kind.unwrap_or_else(|| "unicast".to_string()),
            dst: w.dst,
            gateway: w.gateway,
            dev: w.dev,
            table: w.table.unwrap_or_else(|| "main".to_string()),
            protocol: w.protocol,
            scope: w.scope,
            prefsrc: w.prefsrc,
            metric: w.metric,
            advmss: w.metrics.iter().find_map(|m| m.advmss),
            window: w.metrics.iter().find_map(|m| m.window),
            rtt: w.metrics.iter().find_map(|m| m.rtt),
            nexthops: w
                .nexthops
                .into_iter()
                .map(|n| crate::model::Nexthop {
                    gateway: n.gateway,
                    dev: n.dev,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_control_characters_in_names_read_back_as_themselves() {
        let text = "[{\"ifname\":\"zq\u{1}\",\"x\":\"a\\\"\u{1b}\"}]\n";
        let docs = documents("ip -j link show", text).unwrap();
        assert_eq!(docs[0][0]["ifname"], "zq\u{1}");
        assert_eq!(docs[0][0]["x"], "a\"\u{1b}");
    }

    #[test]
    fn empty_output_is_no_documents() {
        assert!(documents("ip -j netns", "").unwrap().is_empty());
    }

    #[test]
    fn non_json_output_is_a_clear_error() {
        let e = documents("ip -j addr show", "1: lo: <LOOPBACK> mtu 65536").unwrap_err();
        assert!(e.to_string().contains("older than 4.17"), "{e}");
    }

    #[test]
    fn missing_txqlen_means_zero_and_unknown_fields_are_ignored() {
        let docs = documents(
            "t",
            r#"[{"ifindex":7,"ifname":"t0","flags":["POINTOPOINT"],"mtu":1500,"link_type":"none","brand_new_field":1}]"#,
        )
        .unwrap();
        let s = snapshot_from(Some("x"), docs).unwrap();
        assert_eq!(s.links[0].txqlen, 0);
        assert_eq!(s.links[0].kind, "tun");
    }
}
