//! `nslab capture`: the inverse of the planner. Live namespaces (read as [`Snapshot`]s with
//! `ip -j -d`, plus the forwarding sysctls and which MACs were set by hand) become a lab file
//! that `nslab up` accepts: hosts, bridges (in a host or in the root namespace), veth links
//! with their peers resolved across namespaces, addresses, routes that are not the kernel's
//! own, MTUs, MACs set by hand, forwarding, and the shaping of veth ends (`tc -j qdisc
//! show`, written as the lab file declares it: one `shape` on the link when both ends have the
//! same, else one per end).
//!
//! What the lab format cannot express (another link kind, a veth whose peer is outside the
//! capture, a route type other than unicast, a peer address) is listed as a commented line at
//! the end of the file and returned, so the caller can report it.
//!
//! Output is deterministic: hosts in name order, devices by name, links by their first end,
//! so capturing the same state twice gives the same bytes.

use super::file::{Bridge, Endpoint, Host, Lab, LinkDecl, RouteDecl, SysctlValue};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::model::{Link, Snapshot};
use crate::run::Cmd;
use crate::shape::{Shape, ShapeDecl};
use crate::show::peer_of;
use std::collections::{BTreeMap, BTreeSet};

/// Forwarding sysctls read in each namespace (a host with one on is a router).
const FORWARDING: &[&str] = &["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"];

/// `addr_assign_type` of a device whose address was set by hand (`NET_ADDR_SET`).
const NET_ADDR_SET: &str = "3";

/// A captured lab and what it left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Captured {
    pub lab: Lab,
    /// Namespaces read, in the order of the file.
    pub sources: Vec<String>,
    /// One line per thing the lab format cannot express, naming it.
    pub left_out: Vec<String>,
}

/// What capture needs besides the snapshots: read in each namespace.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extras {
    /// Forwarding sysctls that are on, per namespace.
    pub forwarding: BTreeMap<String, Vec<String>>,
    /// Devices whose MAC was set by hand, per namespace (`None`: root).
    pub macs_set: BTreeSet<(Option<String>, String)>,
    /// The shaping of devices, per namespace (`None`: root), as the kernel reports it.
    pub shapes: BTreeMap<(Option<String>, String), Shape>,
}

/// Read the live namespaces `names` (sorted, without duplicates) and build their lab.
pub fn capture(names: &[String], lab_name: &str, backend: &mut dyn Backend) -> Result<Captured> {
    let names: Vec<String> = names
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let known = backend.namespaces()?;
    if let Some(missing) = names.iter().find(|n| !known.contains(n)) {
        return Err(Error::Usage(format!(
            "no network namespace `{}` (see `ip netns list`)",
            missing.escape_debug()
        )));
    }
    let mut wanted: Vec<Option<String>> = names.iter().cloned().map(Some).collect();
    wanted.push(None);
    let snaps = backend.snapshots(&wanted)?;
    let mut extras = Extras::default();
    for s in &snaps {
        let devs: Vec<String> = s
            .links
            .iter()
            .filter(|l| l.kind != "loopback")
            .map(|l| l.name.clone())
            .collect();
        for dev in macs_set(s.netns.as_deref(), &devs)? {
            extras.macs_set.insert((s.netns.clone(), dev));
        }
        for sh in backend.shapings(s.netns.as_deref())? {
            extras.shapes.insert((s.netns.clone(), sh.dev), sh.shape);
        }
        if let Some(ns) = &s.netns {
            let on = crate::netns::read_sysctls(ns, FORWARDING)?
                .into_iter()
                .zip(FORWARDING)
                .filter(|(v, _)| v.as_deref().map(str::trim) == Some("1"))
                .map(|(_, k)| k.to_string())
                .collect();
            extras.forwarding.insert(ns.clone(), on);
        }
    }
    let captured = from_snapshots(&snaps, &names, lab_name, &extras);
    captured
        .lab
        .validate("the captured lab")
        .map_err(|e| Error::Usage(format!("cannot capture these namespaces as a lab: {e}")))?;
    Ok(captured)
}

/// The devices of `ns` (among `devs`) whose MAC was set by hand, from sysfs as the
/// namespace sees it (one `grep` entering the namespace; sysfs shows the mounter's
/// namespace, so a thread that only joined the network namespace would read the root's).
fn macs_set(ns: Option<&str>, devs: &[String]) -> Result<Vec<String>> {
    if devs.is_empty() {
        return Ok(Vec::new());
    }
    let paths: Vec<String> = devs
        .iter()
        .map(|d| format!("/sys/class/net/{d}/addr_assign_type"))
        .collect();
    let mut cmd = Cmd::new("grep").args(&["-H", "-s", "-e", ""]).args(&paths);
    if let Some(ns) = ns {
        cmd = cmd.in_netns(ns);
    }
    let out = cmd.run_unchecked()?;
    Ok(out
        .stdout
        .lines()
        .filter_map(|l| {
            let (path, value) = l.rsplit_once(':')?;
            let dev = path
                .strip_prefix("/sys/class/net/")?
                .strip_suffix("/addr_assign_type")?;
            (value.trim() == NET_ADDR_SET).then(|| dev.to_string())
        })
        .collect())
}

/// One veth end as the capture sees it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct EndKey {
    ns: Option<String>,
    name: String,
}

fn is_global_addr(a: &crate::model::Addr) -> bool {
    !(a.local.is_loopback() || a.local.is_ipv6() && a.scope == "link")
}

/// Build the lab from snapshots of `names` and of the root namespace (pure).
pub fn from_snapshots(
    snaps: &[Snapshot],
    names: &[String],
    lab_name: &str,
    extras: &Extras,
) -> Captured {
    let mut left_out = Vec::new();
    let snap_of = |ns: &Option<String>| snaps.iter().find(|s| &s.netns == ns);
    let mut hosts = Vec::new();
    let mut bridges = Vec::new();
    let mut root_bridges: BTreeSet<String> = BTreeSet::new();
    let mut ends: Vec<(EndKey, EndKey)> = Vec::new();
    let captured_ns = |ns: &Option<String>| ns.as_ref().is_some_and(|n| names.contains(n));

    let mac_of = |ns: &Option<String>, l: &Link| {
        extras
            .macs_set
            .contains(&(ns.clone(), l.name.clone()))
            .then(|| l.mac.clone())
            .flatten()
    };
    let mtu_of = |l: &Link| (l.mtu != 1500).then_some(l.mtu);
    let addrs_of = |ns: &Option<String>, l: &Link, left_out: &mut Vec<String>| {
        let mut v = Vec::new();
        for a in l.addrs.iter().filter(|a| is_global_addr(a)) {
            if a.peer.is_some() {
                left_out.push(format!(
                    "{}: {} has a peer address ({}): the lab format has none",
                    place(ns),
                    l.name,
                    a.cidr()
                ));
                continue;
            }
            v.push(a.cidr());
        }
        v
    };

    for name in names {
        let ns = Some(name.clone());
        let Some(s) = snap_of(&ns) else { continue };
        let mut links: Vec<&Link> = s.links.iter().collect();
        links.sort_by(|a, b| a.name.cmp(&b.name));
        for l in links {
            match l.kind.as_str() {
                "loopback" => {}
                "bridge" => bridges.push(Bridge {
                    name: l.name.clone(),
                    host: Some(name.clone()),
                    addrs: addrs_of(&ns, l, &mut left_out),
                    stp: l.bridge.as_ref().is_some_and(|b| b.stp_state != 0),
                    mtu: mtu_of(l),
                    mac: mac_of(&ns, l),
                    machine: None,
                }),
                "veth" => {
                    let here = EndKey {
                        ns: ns.clone(),
                        name: l.name.clone(),
                    };
                    let Some(peer) = peer_of(s, l, snaps) else {
                        continue;
                    };
                    let Some(peer_name) = peer.name else {
                        left_out.push(format!(
                            "{}: veth {} has its peer in a namespace that is not captured",
                            place(&ns),
                            l.name
                        ));
                        continue;
                    };
                    let there = EndKey {
                        ns: peer.netns.clone(),
                        name: peer_name,
                    };
                    if there.ns.is_some() && !captured_ns(&there.ns) {
                        left_out.push(format!(
                            "{}: veth {} has its peer {} in namespace {}, which is not captured",
                            place(&ns),
                            l.name,
                            there.name,
                            place(&there.ns)
                        ));
                        continue;
                    }
                    if there.ns.is_none() {
                        // Expressible only as a port of a bridge in the root namespace.
                        let root = snap_of(&None);
                        let master = root
                            .and_then(|r| r.link(&there.name))
                            .and_then(|p| p.master.clone())
                            .filter(|m| {
                                root.and_then(|r| r.link(m))
                                    .is_some_and(|b| b.kind == "bridge")
                            });
                        match master {
                            Some(m) => {
                                root_bridges.insert(m);
                            }
                            None => {
                                left_out.push(format!(
                                    "{}: veth {} has its peer {} in the root namespace, \
                                     not on a bridge there",
                                    place(&ns),
                                    l.name,
                                    there.name
                                ));
                                continue;
                            }
                        }
                    }
                    let pair = if here <= there {
                        (here, there)
                    } else {
                        (there, here)
                    };
                    if !ends.contains(&pair) {
                        ends.push(pair);
                    }
                }
                kind => left_out.push(format!(
                    "{}: {} is a {kind} link, which the lab format cannot express",
                    place(&ns),
                    l.name
                )),
            }
        }
        let mut routes = Vec::new();
        for r in &s.routes {
            if r.table != "main"
                || matches!(r.protocol.as_deref(), Some("kernel" | "ra" | "redirect"))
                || r.dst.starts_with("fe80:")
                || r.dst.starts_with("ff00:")
                || r.kind == "multicast"
            {
                continue;
            }
            if r.kind != "unicast" {
                left_out.push(format!(
                    "{}: route {} of type {}: the lab format has only unicast routes",
                    place(&ns),
                    r.dst,
                    r.kind
                ));
                continue;
            }
            let default_metric = if r.ipv6 { 1024 } else { 0 };
            routes.push(RouteDecl {
                to: r.dst.clone(),
                via: r.gateway.clone(),
                dev: if r.gateway.is_none() {
                    r.dev.clone()
                } else {
                    None
                },
                metric: r.metric.filter(|m| *m != default_metric),
            });
        }
        let sysctl = extras
            .forwarding
            .get(name)
            .into_iter()
            .flatten()
            .map(|k| (k.clone(), SysctlValue::Int(1)))
            .collect();
        hosts.push(Host {
            name: name.clone(),
            routes,
            sysctl,
            exec: Vec::new(),
            ..Default::default()
        });
    }
    if let Some(root) = snap_of(&None) {
        for b in &root_bridges {
            let Some(l) = root.link(b) else { continue };
            bridges.push(Bridge {
                name: l.name.clone(),
                host: None,
                addrs: addrs_of(&None, l, &mut left_out),
                stp: l.bridge.as_ref().is_some_and(|x| x.stp_state != 0),
                mtu: mtu_of(l),
                mac: mac_of(&None, l),
                machine: None,
            });
        }
    }

    // An end is a bridge port when its master is a bridge in its namespace.
    let endpoint = |k: &EndKey, left_out: &mut Vec<String>| -> Option<Endpoint> {
        let s = snap_of(&k.ns)?;
        let l = s.link(&k.name)?;
        let bridge = l
            .master
            .clone()
            .filter(|m| s.link(m).is_some_and(|b| b.kind == "bridge"));
        Some(Endpoint {
            name: l.name.clone(),
            host: if bridge.is_none() { k.ns.clone() } else { None },
            bridge,
            addrs: addrs_of(&k.ns, l, left_out),
            mtu: mtu_of(l),
            mac: mac_of(&k.ns, l),
            up: l.is_up(),
            shape: extras
                .shapes
                .get(&(k.ns.clone(), k.name.clone()))
                .map(Shape::decl)
                .filter(|d| !d.is_empty()),
        })
    };
    let mut links = Vec::new();
    for (x, y) in &ends {
        let (Some(ex), Some(ey)) = (endpoint(x, &mut left_out), endpoint(y, &mut left_out)) else {
            continue;
        };
        // A host's own interface first: `a` is the host side, `b` the bridge side.
        let (mut a, mut b) = if ex.bridge.is_some() && ey.bridge.is_none() {
            (ey, ex)
        } else {
            (ex, ey)
        };
        // The same shaping both ways is the link's; otherwise each end keeps its own.
        let shape = if a.shape.is_some() && a.shape == b.shape {
            b.shape = None;
            a.shape.take()
        } else {
            None
        };
        links.push(LinkDecl {
            a,
            b,
            shape,
            vni: None,
        });
    }
    let key = |e: &Endpoint| (e.host.clone().or(e.bridge.clone()), e.name.clone());
    links.sort_by_key(|l| key(&l.a));
    left_out.sort();
    left_out.dedup();
    Captured {
        lab: Lab {
            name: lab_name.to_string(),
            hosts,
            bridges,
            links,
            expect: Vec::new(),
            machines: Vec::new(),
            transit: None,
        },
        sources: names.to_vec(),
        left_out,
    }
}

fn place(ns: &Option<String>) -> String {
    match ns {
        Some(n) => n.clone(),
        None => "root namespace".into(),
    }
}

/// A TOML value (string, number, array) in the file's inline style.
fn val(v: impl Into<toml::Value>) -> String {
    v.into().to_string()
}

fn strings(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| val(s.as_str())).collect();
    format!("[{}]", items.join(", "))
}

fn inline(pairs: Vec<(&str, String)>) -> String {
    let items: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    format!("{{ {} }}", items.join(", "))
}

fn endpoint_toml(e: &Endpoint) -> String {
    let mut p = Vec::new();
    if let Some(h) = &e.host {
        p.push(("host", val(h.as_str())));
    }
    if let Some(b) = &e.bridge {
        p.push(("bridge", val(b.as_str())));
    }
    p.push(("name", val(e.name.as_str())));
    if !e.addrs.is_empty() {
        p.push(("addrs", strings(&e.addrs)));
    }
    if let Some(m) = e.mtu {
        p.push(("mtu", val(i64::from(m))));
    }
    if let Some(m) = &e.mac {
        p.push(("mac", val(m.as_str())));
    }
    if !e.up {
        p.push(("up", val(false)));
    }
    if let Some(sh) = &e.shape {
        p.push(("shape", shape_toml(sh)));
    }
    inline(p)
}

/// `{ rate = "10mbit", delay = "20ms" }`.
fn shape_toml(sh: &ShapeDecl) -> String {
    use crate::shape::Scalar;
    inline(
        sh.values()
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Scalar::Int(i) => val(*i),
                    Scalar::Float(x) => val(*x),
                    Scalar::Text(t) => val(t.as_str()),
                };
                (k, v)
            })
            .collect(),
    )
}

impl Captured {
    /// The lab file text: the lab in the style of `labs/*.toml`, then what was left out as
    /// comments.
    pub fn to_toml(&self) -> String {
        let lab = &self.lab;
        let mut out = format!(
            "# Captured by `nslab capture` from: {}\n",
            self.sources.join(" ")
        );
        out.push_str(&format!("name = {}\n", val(lab.name.as_str())));
        for h in &lab.hosts {
            out.push_str(&format!("\n[[hosts]]\nname = {}\n", val(h.name.as_str())));
            if !h.sysctl.is_empty() {
                let items: Vec<(String, String)> = h
                    .sysctl
                    .iter()
                    .map(|(k, v)| (val(k.as_str()), v.render()))
                    .collect();
                let items: Vec<String> = items.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                out.push_str(&format!("sysctl = {{ {} }}\n", items.join(", ")));
            }
            if !h.routes.is_empty() {
                let rs: Vec<String> = h
                    .routes
                    .iter()
                    .map(|r| {
                        let mut p = vec![("to", val(r.to.as_str()))];
                        if let Some(v) = &r.via {
                            p.push(("via", val(v.as_str())));
                        }
                        if let Some(d) = &r.dev {
                            p.push(("dev", val(d.as_str())));
                        }
                        if let Some(m) = r.metric {
                            p.push(("metric", val(i64::from(m))));
                        }
                        inline(p)
                    })
                    .collect();
                out.push_str(&format!("routes = [{}]\n", rs.join(", ")));
            }
        }
        for b in &lab.bridges {
            out.push_str(&format!("\n[[bridges]]\nname = {}\n", val(b.name.as_str())));
            if let Some(h) = &b.host {
                out.push_str(&format!("host = {}\n", val(h.as_str())));
            }
            if !b.addrs.is_empty() {
                out.push_str(&format!("addrs = {}\n", strings(&b.addrs)));
            }
            if b.stp {
                out.push_str("stp = true\n");
            }
            if let Some(m) = b.mtu {
                out.push_str(&format!("mtu = {m}\n"));
            }
            if let Some(m) = &b.mac {
                out.push_str(&format!("mac = {}\n", val(m.as_str())));
            }
        }
        for l in &lab.links {
            out.push_str(&format!(
                "\n[[links]]\na = {}\nb = {}\n",
                endpoint_toml(&l.a),
                endpoint_toml(&l.b)
            ));
            if let Some(sh) = &l.shape {
                out.push_str(&format!("shape = {}\n", shape_toml(sh)));
            }
        }
        if !self.left_out.is_empty() {
            out.push_str("\n# Not expressible in a lab file, left out:\n");
            for l in &self.left_out {
                out.push_str(&format!("# - {}\n", l.replace('\n', " ")));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::plan::plan_up;

    #[test]
    fn captured_text_parses_back_to_the_same_lab() {
        for (path, text) in [
            ("seed.toml", include_str!("../../labs/seed.toml")),
            ("router.toml", include_str!("../../labs/router.toml")),
            ("ipv6.toml", include_str!("../../labs/ipv6.toml")),
            ("shaped.toml", include_str!("../../labs/shaped.toml")),
            (
                "shaped-rate.toml",
                include_str!("../../labs/shaped-rate.toml"),
            ),
        ] {
            let lab = Lab::parse(path, text).unwrap();
            let c = Captured {
                lab: lab.clone(),
                sources: lab.host_names(),
                left_out: vec!["x: y is a vxlan link".into()],
            };
            let back = Lab::parse("captured.toml", &c.to_toml()).unwrap();
            assert_eq!(plan_up(&back), plan_up(&lab), "{path}");
        }
    }
}
