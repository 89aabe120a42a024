//! The typed view of kernel state that the rest of nslab uses: a [`Snapshot`] of one
//! network namespace. Built from `ip -j` output by `backend::ipjson`; rendered by `show`,
//! the legacy personalities and `--json`.

use crate::op::Ns;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Everything nslab reads about one namespace, from one `ip` process.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    /// The namespace this was read in; `None` is the root namespace.
    pub netns: Ns,
    pub links: Vec<Link>,
    pub routes: Vec<Route>,
    /// The peer namespaces this namespace has ids for (`ip netns list-id`), by nsid.
    pub nsids: BTreeMap<i64, String>,
}

impl Snapshot {
    pub fn link(&self, name: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.name == name)
    }

    pub fn link_by_index(&self, ifindex: u32) -> Option<&Link> {
        self.links.iter().find(|l| l.ifindex == ifindex)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    pub ifindex: u32,
    pub name: String,
    /// `loopback`, `veth`, `bridge`, `ifb`, `tun`, `vxlan`, … or `device`.
    pub kind: String,
    /// The flags as `ip` names them (`UP`, `BROADCAST`, `LOWER_UP`, …). No RUNNING.
    pub flags: Vec<String>,
    pub mtu: u32,
    pub qdisc: Option<String>,
    pub operstate: String,
    /// 0 when `ip` leaves the key out.
    pub txqlen: u32,
    pub link_type: String,
    pub mac: Option<String>,
    pub broadcast_mac: Option<String>,
    pub master: Option<String>,
    pub promiscuity: u32,
    pub allmulti: u32,
    /// For a veth (or other stacked device): the ifindex of the peer/lower device…
    pub peer_ifindex: Option<u32>,
    /// …and, when it lives in another namespace, that namespace's id as seen from here.
    pub peer_netnsid: Option<i64>,
    /// The peer's name when `ip` gives it (same namespace).
    pub peer_name: Option<String>,
    pub addrs: Vec<Addr>,
    pub stats: Option<Stats>,
    pub bridge: Option<BridgeInfo>,
    pub port: Option<PortInfo>,
}

impl Link {
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    pub fn is_up(&self) -> bool {
        self.has_flag("UP")
    }

    /// The kernel's IFF_RUNNING, which `ip` does not print: up, and operstate UP or UNKNOWN.
    pub fn is_running(&self) -> bool {
        self.is_up() && matches!(self.operstate.as_str(), "UP" | "UNKNOWN")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Addr {
    pub local: IpAddr,
    pub prefixlen: u8,
    /// The peer (`ip addr add A peer P`), shown by `ip` as `address`.
    pub peer: Option<IpAddr>,
    pub broadcast: Option<IpAddr>,
    pub scope: String,
    pub label: Option<String>,
    pub secondary: bool,
    pub tentative: bool,
    pub dadfailed: bool,
    pub nodad: bool,
}

impl Addr {
    pub fn is_ipv4(&self) -> bool {
        self.local.is_ipv4()
    }

    pub fn cidr(&self) -> String {
        format!("{}/{}", self.local, self.prefixlen)
    }
}

/// `stats64` of `ip -j -s -s`, read as it comes (a missing direction is all zeros).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Stats {
    pub rx: Counters,
    pub tx: Counters,
}

/// One direction's counters, as `ip -j -s -s` names them (`-s -s` adds the detailed error
/// counters; whatever is missing is 0, and fields nslab does not use are ignored).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counters {
    pub bytes: u64,
    pub packets: u64,
    pub errors: u64,
    pub dropped: u64,
    pub over_errors: u64,
    pub multicast: u64,
    pub length_errors: u64,
    pub crc_errors: u64,
    pub frame_errors: u64,
    pub fifo_errors: u64,
    pub missed_errors: u64,
    pub carrier_errors: u64,
    pub collisions: u64,
    pub aborted_errors: u64,
    pub window_errors: u64,
    pub heartbeat_errors: u64,
}

/// Bridge settings and state, in the kernel's units: times in centiseconds, timers in seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BridgeInfo {
    pub forward_delay: u64,
    pub hello_time: u64,
    pub max_age: u64,
    pub ageing_time: u64,
    pub stp_state: u32,
    pub priority: u32,
    /// As `ip` prints it: `8000.2:0:a:0:0:3` (not zero-padded).
    pub bridge_id: Option<String>,
    pub root_id: Option<String>,
    pub root_port: u32,
    pub root_path_cost: u32,
    pub topology_change: u32,
    pub topology_change_detected: u32,
    pub hello_timer: f64,
    pub tcn_timer: f64,
    pub topology_change_timer: f64,
    pub gc_timer: f64,
}

/// A bridge port's settings and STP state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PortInfo {
    pub state: String,
    pub priority: u32,
    pub cost: u32,
    pub hairpin: bool,
    pub id: u32,
    pub no: u32,
    pub designated_port: u32,
    pub designated_cost: u32,
    pub designated_bridge: Option<String>,
    pub designated_root: Option<String>,
    pub hold_timer: f64,
    pub message_age_timer: f64,
    pub forward_delay_timer: f64,
    pub topology_change_ack: bool,
    pub config_pending: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    /// `unicast`, `local`, `broadcast`, `unreachable`, …
    pub kind: String,
    pub dst: String,
    pub gateway: Option<String>,
    pub dev: Option<String>,
    pub table: String,
    pub protocol: Option<String>,
    pub scope: Option<String>,
    pub prefsrc: Option<String>,
    pub metric: Option<u32>,
    /// Route metrics (`ip route … advmss N window W rtt R`), as `ip -j` shows them: `rtt` in
    /// the kernel's unit divided by 8 (what /proc/net/route calls IRTT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advmss: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt: Option<u32>,
    /// An IPv6 route. `ip route show table all` lists both families without saying which is
    /// which; a `default` route's family shows only in its gateway or, for IPv6, in the
    /// `pref` the kernel reports for every IPv6 route.
    #[serde(skip)]
    pub ipv6: bool,
    /// A multipath route's nexthops, in the kernel's order (`ip route` prints them so); empty
    /// for a route with one. IPv6 makes one of routes added with different gateways.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nexthops: Vec<Nexthop>,
}

/// One nexthop of a multipath route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Nexthop {
    pub gateway: Option<String>,
    pub dev: Option<String>,
}

impl Route {
    /// A route of `kind` to `dst` in the main table with nothing else set (what a test builds
    /// on).
    pub fn new(kind: &str, dst: &str) -> Route {
        Route {
            kind: kind.into(),
            dst: dst.into(),
            gateway: None,
            dev: None,
            table: "main".into(),
            protocol: None,
            scope: None,
            prefsrc: None,
            metric: None,
            advmss: None,
            window: None,
            rtt: None,
            ipv6: dst.contains(':'),
            nexthops: Vec::new(),
        }
    }
}

/// An IPv4 neighbour (ARP) entry, or a proxy entry, as `ip -j neigh show [proxy]` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Neigh {
    pub dst: String,
    pub dev: Option<String>,
    pub lladdr: Option<String>,
    /// `PERMANENT`, `REACHABLE`, `STALE`, `INCOMPLETE`, `FAILED`, `NOARP`, … (empty for a
    /// proxy entry).
    pub state: Vec<String>,
    /// A proxy entry (`ip neigh show proxy`).
    pub proxy: bool,
}
