//! The vocabulary of kernel changes. Every front end (lab planner, legacy parsers, migrate)
//! produces `Op`s; every backend consumes them. Each Op names its namespace explicitly
//! (`None` is the root namespace) and renders as the arguments of one `ip` command, which is
//! both a line of an `ip -batch` file and, prefixed by `ip [-n NS]`, a standalone command.

use crate::shape::Shape;
use serde::{Deserialize, Serialize};

/// A namespace: `None` is the root (initial) network namespace.
pub type Ns = Option<String>;

/// A device placed in a namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placed {
    pub ns: Ns,
    pub name: String,
}

/// Kinds of link nslab can create (besides veth, which has two ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkKind {
    Bridge,
    Ifb,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Bridge => "bridge",
            LinkKind::Ifb => "ifb",
        }
    }
}

/// An address to add: `local` is `ADDR/LEN` (IPv4 or IPv6).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AddrSpec {
    pub local: String,
    pub peer: Option<String>,
    pub broadcast: Option<String>,
    pub label: Option<String>,
    pub scope: Option<String>,
    /// Skip duplicate address detection (IPv6): the address is usable at once.
    pub nodad: bool,
}

/// Link flags that `ip link set` can toggle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkFlag {
    Arp,
    Promisc,
    Allmulticast,
    Multicast,
    Trailers,
    Dynamic,
}

impl LinkFlag {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkFlag::Arp => "arp",
            LinkFlag::Promisc => "promisc",
            LinkFlag::Allmulticast => "allmulticast",
            LinkFlag::Multicast => "multicast",
            LinkFlag::Trailers => "trailers",
            LinkFlag::Dynamic => "dynamic",
        }
    }
}

/// A route. `dst` is a prefix or `default`; `kind` is a route type such as `unreachable`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RouteSpec {
    pub dst: String,
    pub kind: Option<String>,
    pub via: Option<String>,
    pub dev: Option<String>,
    pub metric: Option<u32>,
    pub src: Option<String>,
    /// `scope host|link|global` (iproute2 picks one by itself when `None`).
    #[serde(default)]
    pub scope: Option<String>,
    /// `proto boot|kernel|…`; on a delete it restricts which route may match.
    #[serde(default)]
    pub proto: Option<String>,
    /// Route metrics: `advmss N` (bytes), `window N` (bytes), `rtt N` (the kernel's raw
    /// value, 8 per millisecond).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advmss: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt: Option<u32>,
}

/// Bridge-wide settings, in the kernel's units (times in centiseconds, as `ip link` takes them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BridgeSetting {
    StpState(u32),
    ForwardDelay(u64),
    HelloTime(u64),
    MaxAge(u64),
    AgeingTime(u64),
    Priority(u16),
}

/// Per-port settings of a bridge port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortSetting {
    Cost(u32),
    Priority(u16),
    Hairpin(bool),
}

/// A service as `up` starts it (from a lab file's `[[hosts.services]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSpec {
    pub lab: String,
    pub name: String,
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: Option<String>,
    /// Start it again when it ends with a failure (`restart = "on-failure"`).
    pub restart_on_failure: bool,
    pub ready: Option<Readiness>,
    /// How long to wait for it to be ready (or, without a probe, started).
    pub ready_timeout_ms: u64,
    /// Where its stdout and stderr go (`/run/nslab/LAB/HOST/SERVICE.log`).
    pub log: String,
    /// Where its supervisor records its PID and how it ended (`…/SERVICE.status`).
    pub status: String,
}

/// How `up` knows a service is ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Readiness {
    /// A TCP connection to `ADDR:PORT`, from inside the host, is accepted.
    Tcp(String),
    /// This command, run inside the host, exits 0 (retried until it does).
    Command(Vec<String>),
}

/// One kernel change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    AddNetns {
        name: String,
    },
    DelNetns {
        name: String,
    },
    /// A veth pair created with both ends already in their namespaces.
    AddVeth {
        a: Placed,
        b: Placed,
    },
    AddLink {
        ns: Ns,
        name: String,
        kind: LinkKind,
    },
    /// A VXLAN device (`ip link add NAME [netns NS] type vxlan id VNI remote R local L
    /// dstport PORT`), run from the root namespace: the kernel opens its UDP socket in the
    /// namespace the command runs in (where the underlay address is) and places the device in
    /// `ns`, so a lab's tunnels leave nothing but a socket in the root namespace.
    AddVxlan {
        ns: Ns,
        name: String,
        vni: u32,
        local: String,
        remote: String,
        port: u16,
    },
    DelLink {
        ns: Ns,
        dev: String,
    },
    /// Enslave to a bridge (`Some`) or release (`None`).
    SetMaster {
        ns: Ns,
        dev: String,
        master: Option<String>,
    },
    SetUp {
        ns: Ns,
        dev: String,
        up: bool,
    },
    AddAddr {
        ns: Ns,
        dev: String,
        addr: AddrSpec,
    },
    DelAddr {
        ns: Ns,
        dev: String,
        local: String,
    },
    /// Delete one address by local address, label and (optionally) peer:
    /// `ip addr del LOCAL[/LEN] [peer P/LEN] [label L] dev DEV`; broadcast and scope are
    /// ignored. An IPv4 `local` without `/LEN` matches on local address and label only.
    DelAddrSpec {
        ns: Ns,
        dev: String,
        addr: AddrSpec,
    },
    SetMtu {
        ns: Ns,
        dev: String,
        mtu: u32,
    },
    SetMac {
        ns: Ns,
        dev: String,
        mac: String,
    },
    SetTxqlen {
        ns: Ns,
        dev: String,
        txqlen: u32,
    },
    SetFlag {
        ns: Ns,
        dev: String,
        flag: LinkFlag,
        on: bool,
    },
    Rename {
        ns: Ns,
        dev: String,
        to: String,
    },
    /// Move a device to another named namespace.
    MoveToNetns {
        ns: Ns,
        dev: String,
        to: String,
    },
    AddRoute {
        ns: Ns,
        route: RouteSpec,
    },
    /// Add a route even when one for the same prefix exists with another type, metric or
    /// nexthop (`ip route prepend`: NLM_F_CREATE without NLM_F_EXCL, as the route ioctl does).
    PrependRoute {
        ns: Ns,
        route: RouteSpec,
    },
    DelRoute {
        ns: Ns,
        route: RouteSpec,
    },
    /// Write `/proc/sys/<key with dots as slashes>` inside the namespace.
    Sysctl {
        ns: Ns,
        key: String,
        value: String,
    },
    Bridge {
        ns: Ns,
        dev: String,
        setting: BridgeSetting,
    },
    /// Add or replace a neighbour (ARP/NDP) entry: `ip neigh replace ADDR lladdr MAC nud STATE
    /// dev DEV`, or a proxy entry (`ip neigh replace proxy ADDR dev DEV`) when `lladdr` is `None`.
    SetNeigh {
        ns: Ns,
        dev: String,
        addr: String,
        lladdr: Option<String>,
        /// `permanent`, `stale`, … (ignored for a proxy entry).
        nud: String,
    },
    /// Delete a neighbour entry (`proxy`: a proxy entry).
    DelNeigh {
        ns: Ns,
        dev: String,
        addr: String,
        proxy: bool,
    },
    BridgePort {
        ns: Ns,
        dev: String,
        setting: PortSetting,
    },
    /// Shape a device's egress with `tc` qdiscs (see `crate::shape`). The device must have
    /// its default root qdisc: a [`Op::ClearQdisc`] goes first when it is already shaped.
    SetQdisc {
        ns: Ns,
        dev: String,
        shape: Shape,
    },
    /// Remove a device's root qdisc (and its children): `tc qdisc del dev DEV root`.
    ClearQdisc {
        ns: Ns,
        dev: String,
    },
    /// Run a command inside a host once its network is ready (a lab host's `exec`). The
    /// backend waits for it at most `timeout_ms`; one still running then (a daemon in the
    /// foreground) is reported and left running, for `down` to end. Its output goes to
    /// files, never to a pipe, so a background job it starts cannot hold `up`.
    Run {
        ns: Ns,
        argv: Vec<String>,
        timeout_ms: u64,
    },
    /// Write `/etc/netns/NS/FILE` (`hosts`, `resolv.conf`), which `ip netns exec` and
    /// `nslab exec` show as `/etc/FILE` inside the host. `text` starts with nslab's marker
    /// line; a file without it is never overwritten.
    WriteEtc {
        ns: Ns,
        file: String,
        text: String,
    },
    /// Give host NS a UTS namespace of its own, with `hostname`, kept (bind-mounted) at
    /// `/run/nslab/uts/LAB/NS` like `ip netns add` keeps a network namespace at /run/netns.
    /// `nslab exec`, the host's commands and its services join it.
    AddUts {
        ns: Ns,
        lab: String,
        hostname: String,
    },
    /// Unmount and unlink `/run/nslab/uts/LAB/NS` (missing is fine), then the lab's
    /// directory there if that leaves it empty.
    DelUts {
        ns: Ns,
        lab: String,
    },
    /// Start a service in host NS, detached (its own session), under a small supervisor, and
    /// wait until it is ready.
    Start {
        ns: Ns,
        service: ServiceSpec,
    },
    /// Remove `/etc/netns/NS/FILE` if nslab wrote it (it starts with the marker), then the
    /// directory if that leaves it empty.
    DelEtc {
        ns: Ns,
        file: String,
    },
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// `match` on where an Op acts: `$ns` is bound to the `ns` field of every Op that acts in one
/// namespace, and `$root` is the value for the Ops that run from the root namespace because
/// they name namespaces themselves. The one list of which Op is which, for [`Op::ns`],
/// [`Op::in_ns`] and [`Op::is_root_level`].
macro_rules! match_ns {
    ($op:expr, $ns:ident => $in_ns:expr, root => $root:expr) => {
        match $op {
            Op::AddNetns { .. }
            | Op::DelNetns { .. }
            | Op::AddVeth { .. }
            | Op::AddVxlan { .. } => $root,
            Op::AddLink { ns: $ns, .. }
            | Op::DelLink { ns: $ns, .. }
            | Op::SetMaster { ns: $ns, .. }
            | Op::SetUp { ns: $ns, .. }
            | Op::AddAddr { ns: $ns, .. }
            | Op::DelAddr { ns: $ns, .. }
            | Op::DelAddrSpec { ns: $ns, .. }
            | Op::SetMtu { ns: $ns, .. }
            | Op::SetMac { ns: $ns, .. }
            | Op::SetTxqlen { ns: $ns, .. }
            | Op::SetFlag { ns: $ns, .. }
            | Op::Rename { ns: $ns, .. }
            | Op::MoveToNetns { ns: $ns, .. }
            | Op::AddRoute { ns: $ns, .. }
            | Op::PrependRoute { ns: $ns, .. }
            | Op::DelRoute { ns: $ns, .. }
            | Op::Sysctl { ns: $ns, .. }
            | Op::Bridge { ns: $ns, .. }
            | Op::SetNeigh { ns: $ns, .. }
            | Op::DelNeigh { ns: $ns, .. }
            | Op::BridgePort { ns: $ns, .. }
            | Op::SetQdisc { ns: $ns, .. }
            | Op::ClearQdisc { ns: $ns, .. }
            | Op::Run { ns: $ns, .. }
            | Op::WriteEtc { ns: $ns, .. }
            | Op::AddUts { ns: $ns, .. }
            | Op::DelUts { ns: $ns, .. }
            | Op::Start { ns: $ns, .. }
            | Op::DelEtc { ns: $ns, .. } => $in_ns,
        }
    };
}

impl Op {
    /// The namespace the Op acts in. Root-level Ops (namespaces, veth pairs) return `None`.
    pub fn ns(&self) -> Option<&str> {
        match_ns!(self, ns => ns.as_deref(), root => None)
    }

    /// The same Op acting in `to` (root-level Ops, which name their namespaces inside, are
    /// returned unchanged). The legacy executors act in "the namespace nslab runs in"
    /// (`None`); migrate moves their Ops to the namespace a script line runs in.
    pub fn in_ns(mut self, to: &Ns) -> Op {
        match_ns!(&mut self, ns => *ns = to.clone(), root => {});
        self
    }

    /// Ops that run from the root namespace because they name namespaces themselves.
    pub fn is_root_level(&self) -> bool {
        match_ns!(self, _ns => false, root => true)
    }

    /// Ops that are not kernel changes of `ip` but work done inside a host (commands,
    /// services, its files): backends apply them in order, after the Ops before them.
    pub fn is_host_work(&self) -> bool {
        matches!(
            self,
            Op::Run { .. }
                | Op::WriteEtc { .. }
                | Op::DelEtc { .. }
                | Op::AddUts { .. }
                | Op::DelUts { .. }
                | Op::Start { .. }
        )
    }

    /// The `ip` arguments for this Op (without `-n NS`), or `None` for a sysctl, a qdisc or host work,
    /// which are not `ip` commands.
    pub fn ip_args(&self) -> Option<Vec<String>> {
        use Op::*;
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let dev_set = |dev: &str, rest: &[&str]| {
            let mut v = s(&["link", "set", "dev", dev]);
            v.extend(rest.iter().map(|x| x.to_string()));
            v
        };
        Some(match self {
            AddNetns { name } => s(&["netns", "add", name]),
            DelNetns { name } => s(&["netns", "del", name]),
            AddVeth { a, b } => {
                let mut v = s(&["link", "add", "name", &a.name]);
                if let Some(ns) = &a.ns {
                    v.extend(s(&["netns", ns]));
                }
                v.extend(s(&["type", "veth", "peer", "name", &b.name]));
                if let Some(ns) = &b.ns {
                    v.extend(s(&["netns", ns]));
                }
                v
            }
            AddLink { name, kind, .. } => s(&["link", "add", "name", name, "type", kind.as_str()]),
            AddVxlan {
                ns,
                name,
                vni,
                local,
                remote,
                port,
            } => {
                let mut v = s(&["link", "add", "name", name]);
                if let Some(ns) = ns {
                    v.extend(s(&["netns", ns]));
                }
                v.extend(s(&["type", "vxlan", "id", &vni.to_string()]));
                v.extend(s(&["remote", remote, "local", local]));
                v.extend(s(&["dstport", &port.to_string()]));
                v
            }
            DelLink { dev, .. } => s(&["link", "del", "dev", dev]),
            SetMaster { dev, master, .. } => match master {
                Some(m) => dev_set(dev, &["master", m]),
                None => dev_set(dev, &["nomaster"]),
            },
            SetUp { dev, up, .. } => dev_set(dev, &[if *up { "up" } else { "down" }]),
            AddAddr { dev, addr, .. } => {
                let mut v = s(&["addr", "add", &addr.local]);
                if let Some(p) = &addr.peer {
                    v.extend(s(&["peer", p]));
                }
                if let Some(b) = &addr.broadcast {
                    v.extend(s(&["broadcast", b]));
                }
                if let Some(l) = &addr.label {
                    v.extend(s(&["label", l]));
                }
                if let Some(sc) = &addr.scope {
                    v.extend(s(&["scope", sc]));
                }
                if addr.nodad {
                    v.push("nodad".into());
                }
                v.extend(s(&["dev", dev]));
                v
            }
            DelAddr { dev, local, .. } => s(&["addr", "del", local, "dev", dev]),
            DelAddrSpec { dev, addr, .. } => {
                let mut v = s(&["addr", "del", &addr.local]);
                if let Some(p) = &addr.peer {
                    v.extend(s(&["peer", p]));
                }
                if let Some(l) = &addr.label {
                    v.extend(s(&["label", l]));
                }
                v.extend(s(&["dev", dev]));
                v
            }
            SetMtu { dev, mtu, .. } => dev_set(dev, &["mtu", &mtu.to_string()]),
            SetMac { dev, mac, .. } => dev_set(dev, &["address", mac]),
            SetTxqlen { dev, txqlen, .. } => dev_set(dev, &["txqueuelen", &txqlen.to_string()]),
            SetFlag { dev, flag, on, .. } => dev_set(dev, &[flag.as_str(), on_off(*on)]),
            Rename { dev, to, .. } => dev_set(dev, &["name", to]),
            MoveToNetns { dev, to, .. } => dev_set(dev, &["netns", to]),
            AddRoute { route, .. } => route_args("add", route),
            PrependRoute { route, .. } => route_args("prepend", route),
            DelRoute { route, .. } => route_args("del", route),
            Sysctl { .. }
            | SetQdisc { .. }
            | ClearQdisc { .. }
            | Run { .. }
            | WriteEtc { .. }
            | AddUts { .. }
            | DelUts { .. }
            | Start { .. }
            | DelEtc { .. } => return None,
            SetNeigh {
                dev,
                addr,
                lladdr,
                nud,
                ..
            } => match lladdr {
                Some(mac) => s(&[
                    "neigh", "replace", addr, "lladdr", mac, "nud", nud, "dev", dev,
                ]),
                None => s(&["neigh", "replace", "proxy", addr, "dev", dev]),
            },
            DelNeigh {
                dev, addr, proxy, ..
            } => {
                if *proxy {
                    s(&["neigh", "del", "proxy", addr, "dev", dev])
                } else {
                    s(&["neigh", "del", addr, "dev", dev])
                }
            }
            Bridge { dev, setting, .. } => {
                let (k, v) = match setting {
                    BridgeSetting::StpState(x) => ("stp_state", x.to_string()),
                    BridgeSetting::ForwardDelay(x) => ("forward_delay", x.to_string()),
                    BridgeSetting::HelloTime(x) => ("hello_time", x.to_string()),
                    BridgeSetting::MaxAge(x) => ("max_age", x.to_string()),
                    BridgeSetting::AgeingTime(x) => ("ageing_time", x.to_string()),
                    BridgeSetting::Priority(x) => ("priority", x.to_string()),
                };
                dev_set(dev, &["type", "bridge", k, &v])
            }
            BridgePort { dev, setting, .. } => {
                let (k, v) = match setting {
                    PortSetting::Cost(x) => ("cost", x.to_string()),
                    PortSetting::Priority(x) => ("priority", x.to_string()),
                    PortSetting::Hairpin(x) => ("hairpin", on_off(*x).to_string()),
                };
                dev_set(dev, &["type", "bridge_slave", k, &v])
            }
        })
    }

    /// The `tc` argument lines for a qdisc Op (each without `tc -n NS`), else `None`.
    pub fn tc_lines(&self) -> Option<Vec<Vec<String>>> {
        match self {
            Op::SetQdisc { dev, shape, .. } => Some(shape.tc_lines(dev)),
            Op::ClearQdisc { dev, .. } => Some(vec![["qdisc", "del", "dev", dev, "root"]
                .iter()
                .map(|s| s.to_string())
                .collect()]),
            _ => None,
        }
    }
}

fn route_args(verb: &str, r: &RouteSpec) -> Vec<String> {
    let mut v = vec!["route".to_string(), verb.to_string()];
    if let Some(k) = &r.kind {
        v.push(k.clone());
    }
    v.push(r.dst.clone());
    if let Some(g) = &r.via {
        v.extend(["via".to_string(), g.clone()]);
    }
    if let Some(d) = &r.dev {
        v.extend(["dev".to_string(), d.clone()]);
    }
    if let Some(m) = r.metric {
        v.extend(["metric".to_string(), m.to_string()]);
    }
    if let Some(s) = &r.src {
        v.extend(["src".to_string(), s.clone()]);
    }
    if let Some(s) = &r.scope {
        v.extend(["scope".to_string(), s.clone()]);
    }
    if let Some(p) = &r.proto {
        v.extend(["proto".to_string(), p.clone()]);
    }
    for (k, m) in [("advmss", r.advmss), ("window", r.window), ("rtt", r.rtt)] {
        if let Some(m) = m {
            v.extend([k.to_string(), m.to_string()]);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn veth_is_created_with_both_ends_placed() {
        let op = Op::AddVeth {
            a: Placed {
                ns: Some("ns2".into()),
                name: "veth0".into(),
            },
            b: Placed {
                ns: Some("ns1".into()),
                name: "bveth2".into(),
            },
        };
        assert_eq!(
            op.to_string(),
            "ip link add name veth0 netns ns2 type veth peer name bveth2 netns ns1"
        );
    }

    #[test]
    fn qdisc_ops_render_as_tc_commands() {
        let set = Op::SetQdisc {
            ns: Some("h1".into()),
            dev: "eth0".into(),
            shape: Shape {
                rate: Some(10_000_000),
                delay: Some(20_000),
                ..Default::default()
            },
        };
        assert_eq!(
            set.to_string(),
            "tc -n h1 qdisc add dev eth0 root handle 1: netem delay 20ms\n\
             tc -n h1 qdisc add dev eth0 parent 1:1 handle 2: tbf rate 10mbit burst 5000 latency 50ms"
        );
        assert_eq!(set.ip_args(), None);
        let clear = Op::ClearQdisc {
            ns: Some("h1".into()),
            dev: "eth0".into(),
        };
        assert_eq!(clear.to_string(), "tc -n h1 qdisc del dev eth0 root");
        let root = Op::ClearQdisc {
            ns: None,
            dev: "v0".into(),
        };
        assert_eq!(root.to_string(), "tc qdisc del dev v0 root");
    }
}
