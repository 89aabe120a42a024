//! `ifconfig --json` (an nslab extension): the interfaces the long format would show, as a
//! JSON list in the schema of jc's `ifconfig` parser (`ifconfig | jc --ifconfig`): the same
//! field names and types, `null` where jc finds nothing, the legacy single-address fields
//! (`ipv4_addr` … `ipv6_type`, holding the last address of each family) and the `ipv4` and
//! `ipv6` lists (left out when empty, as jc does).
//!
//! Where jc misreads net-tools 2.10 output we give the data, not the misreading: a negative
//! flags number (IFF_DYNAMIC) makes jc skip the interface line, and `<site>` or
//! `<compat,global>` scopes make it fall back to a FreeBSD pattern (the address keeps a
//! trailing space and `type` is missing). Here those are `flags: -28605` and
//! `type: "site"` / `"compat,global"`.

use super::render::{self, Entry, Inet6Line};
use serde::Serialize;

#[derive(Debug, Serialize)]
struct Interface {
    name: String,
    flags: i16,
    state: Option<Vec<&'static str>>,
    mtu: i32,
    #[serde(rename = "type")]
    kind: &'static str,
    mac_addr: Option<String>,
    ipv4_addr: Option<String>,
    ipv4_mask: Option<String>,
    ipv4_bcast: Option<String>,
    ipv6_addr: Option<String>,
    ipv6_mask: Option<u32>,
    ipv6_scope: Option<String>,
    ipv6_type: Option<String>,
    metric: Option<u32>,
    rx_packets: Option<u64>,
    rx_errors: Option<u64>,
    rx_dropped: Option<u64>,
    rx_overruns: Option<u64>,
    rx_frame: Option<u64>,
    tx_packets: Option<u64>,
    tx_errors: Option<u64>,
    tx_dropped: Option<u64>,
    tx_overruns: Option<u64>,
    tx_carrier: Option<u64>,
    tx_collisions: Option<u64>,
    rx_bytes: Option<u64>,
    tx_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ipv4: Vec<Ipv4>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ipv6: Vec<Ipv6>,
}

#[derive(Debug, Serialize)]
struct Ipv4 {
    address: String,
    mask: String,
    broadcast: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
struct Ipv6 {
    address: String,
    mask: u32,
    scope: String,
    #[serde(rename = "type")]
    kind: String,
}

fn interface(e: &Entry<'_>, inet6: &[Inet6Line]) -> Interface {
    let ipv4: Vec<Ipv4> = render::inet4(e)
        .map(|v| Ipv4 {
            address: v.addr.to_string(),
            mask: v.netmask.to_string(),
            broadcast: v.broadcast.map(|b| b.to_string()),
        })
        .into_iter()
        .collect();
    let ipv6: Vec<Ipv6> = render::inet6_of(&e.name, inet6)
        .map(|l| Ipv6 {
            address: render::ifconfig_inet6(&l.addr),
            mask: l.prefixlen,
            scope: format!("0x{:x}", l.scope),
            kind: render::scope_names(l.scope)
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string(),
        })
        .collect();
    let (hw, mac, title) = render::hardware(e.link);
    let names = render::flag_names(e.flags);
    let st = e.stats.as_ref();
    let last6 = ipv6.last().cloned();
    Interface {
        name: e.name.clone(),
        flags: e.flags as u16 as i16,
        state: (!names.is_empty()).then_some(names),
        mtu: e.link.mtu as i32,
        kind: title,
        mac_addr: mac.filter(|_| hw == "ether"),
        ipv4_addr: ipv4.last().map(|a| a.address.clone()),
        ipv4_mask: ipv4.last().map(|a| a.mask.clone()),
        ipv4_bcast: ipv4.last().and_then(|a| a.broadcast.clone()),
        ipv6_addr: last6.as_ref().map(|a| a.address.clone()),
        ipv6_mask: last6.as_ref().map(|a| a.mask),
        ipv6_scope: last6.as_ref().map(|a| a.scope.clone()),
        ipv6_type: last6.map(|a| a.kind),
        metric: None,
        rx_packets: st.map(|s| s.rx_packets),
        rx_errors: st.map(|s| s.rx_errors),
        rx_dropped: st.map(|s| s.rx_dropped),
        rx_overruns: st.map(|s| s.rx_fifo),
        rx_frame: st.map(|s| s.rx_frame),
        tx_packets: st.map(|s| s.tx_packets),
        tx_errors: st.map(|s| s.tx_errors),
        tx_dropped: st.map(|s| s.tx_dropped),
        tx_overruns: st.map(|s| s.tx_fifo),
        tx_carrier: st.map(|s| s.tx_carrier),
        tx_collisions: st.map(|s| s.collisions),
        rx_bytes: st.map(|s| s.rx_bytes),
        tx_bytes: st.map(|s| s.tx_bytes),
        ipv4,
        ipv6,
    }
}

/// The JSON text (one line) for these entries.
pub fn render(entries: &[Entry<'_>], inet6: &[Inet6Line]) -> String {
    let list: Vec<Interface> = entries.iter().map(|e| interface(e, inet6)).collect();
    let mut s = serde_json::to_string(&list).expect("plain data serializes");
    s.push('\n');
    s
}
