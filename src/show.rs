//! `nslab show`: per namespace, every interface (kind, state, MTU, MAC, master, veth peer
//! resolved across namespaces, addresses) and the main routing table. Aligned tables for
//! people; `--json` for scripts (schema in the README).

use crate::backend::Backend;
use crate::error::Result;
use crate::model::Snapshot;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NsView {
    /// The namespace name; `null` for the root namespace.
    pub name: Option<String>,
    pub interfaces: Vec<IfView>,
    pub routes: Vec<RouteView>,
    /// For a host of a lab that is up: its lab, hostname and services (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<HostView>,
}

/// What a lab host is besides its network: the lab, the hostname its UTS namespace holds
/// (`null` if it has none), its services as `nslab ps` lists them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HostView {
    pub lab: String,
    pub hostname: Option<String>,
    pub services: Vec<crate::backend::service::Row>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IfView {
    pub name: String,
    pub kind: String,
    pub state: String,
    pub up: bool,
    pub mtu: u32,
    pub mac: Option<String>,
    pub master: Option<String>,
    pub peer: Option<PeerView>,
    pub addresses: Vec<String>,
    /// The interface's egress shaping as `tc -j qdisc show` reports it; `null` when its root
    /// qdisc is the default one.
    pub shaping: Option<crate::shape::ShapingJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PeerView {
    pub name: Option<String>,
    /// The peer's namespace name; `null` when it is the root namespace or not named.
    pub netns: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RouteView {
    pub dst: String,
    pub via: Option<String>,
    pub dev: Option<String>,
    pub protocol: Option<String>,
    pub scope: Option<String>,
    pub metric: Option<u32>,
    #[serde(rename = "type")]
    pub kind: String,
}

/// Resolve a veth's peer: in the same namespace, or through this namespace's nsid table.
pub(crate) fn peer_of(s: &Snapshot, l: &crate::model::Link, all: &[Snapshot]) -> Option<PeerView> {
    if l.kind != "veth" {
        return None;
    }
    if let Some(name) = &l.peer_name {
        return Some(PeerView {
            name: Some(name.clone()),
            netns: s.netns.clone(),
        });
    }
    let idx = l.peer_ifindex?;
    let target_ns: Option<String> = match l.peer_netnsid {
        None => s.netns.clone(),
        Some(id) => match s.nsids.get(&id) {
            Some(name) => Some(name.clone()),
            None => {
                // An id without a name: the root namespace if a root snapshot has the peer.
                let root = all.iter().find(|x| x.netns.is_none());
                return Some(PeerView {
                    name: root
                        .and_then(|r| r.link_by_index(idx))
                        .map(|p| p.name.clone()),
                    netns: None,
                });
            }
        },
    };
    let name = all
        .iter()
        .find(|x| x.netns == target_ns)
        .and_then(|x| x.link_by_index(idx))
        .map(|p| p.name.clone());
    Some(PeerView {
        name,
        netns: target_ns,
    })
}

/// Build views for `names`, reading peer namespaces too so veth peers get names.
pub fn views(names: &[Option<String>], backend: &mut dyn Backend) -> Result<Vec<NsView>> {
    let mut snaps = backend.snapshots(names)?;
    let known: Vec<String> = backend.namespaces()?;
    let mut extra: Vec<Option<String>> = Vec::new();
    for s in &snaps {
        for n in s.nsids.values() {
            let n = Some(n.clone());
            if !names.contains(&n) && !extra.contains(&n) && known.contains(n.as_ref().unwrap()) {
                extra.push(n);
            }
        }
    }
    snaps.extend(backend.snapshots(&extra)?);
    let mut out = Vec::new();
    for s in snaps.iter().filter(|s| names.contains(&s.netns)) {
        let shapings = match backend.shapings(s.netns.as_deref()) {
            Ok(v) => v,
            // A namespace removed since it was read has nothing to show.
            Err(_)
                if s.netns
                    .as_deref()
                    .is_some_and(|n| !crate::netns::is_mounted(n)) =>
            {
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        let interfaces = s
            .links
            .iter()
            .map(|l| IfView {
                name: l.name.clone(),
                kind: l.kind.clone(),
                state: l.operstate.clone(),
                up: l.is_up(),
                mtu: l.mtu,
                mac: l.mac.clone(),
                master: l.master.clone(),
                peer: peer_of(s, l, &snaps),
                addresses: l.addrs.iter().map(|a| a.cidr()).collect(),
                shaping: shapings.iter().find(|x| x.dev == l.name).map(|x| x.json()),
            })
            .collect();
        let routes = s
            .routes
            .iter()
            .filter(|r| r.table == "main")
            .map(|r| RouteView {
                dst: r.dst.clone(),
                via: r.gateway.clone(),
                dev: r.dev.clone(),
                protocol: r.protocol.clone(),
                scope: r.scope.clone(),
                metric: r.metric,
                kind: r.kind.clone(),
            })
            .collect();
        out.push(NsView {
            name: s.netns.clone(),
            interfaces,
            routes,
            host: None,
        });
    }
    Ok(out)
}

/// Left-aligned columns separated by two spaces.
pub fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|x| x.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut s = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, x)| format!("{x:w$}", w = widths[i]))
            .collect();
        s.push_str(line.join("  ").trim_end());
        s.push('\n');
    }
    s
}

pub fn render(views: &[NsView]) -> String {
    let dash = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    let mut s = String::new();
    for (i, v) in views.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str(&format!(
            "== {}\n",
            v.name.as_deref().unwrap_or("(root namespace)")
        ));
        let mut rows = vec![[
            "IFACE",
            "KIND",
            "STATE",
            "MTU",
            "MAC",
            "MASTER",
            "PEER",
            "ADDRESSES",
        ]
        .map(String::from)
        .to_vec()];
        for f in &v.interfaces {
            let peer = f.peer.as_ref().map(|p| {
                format!(
                    "{}@{}",
                    p.name.as_deref().unwrap_or("?"),
                    p.netns.as_deref().unwrap_or("root")
                )
            });
            let state = if f.up {
                f.state.clone()
            } else {
                "down".to_string()
            };
            rows.push(vec![
                f.name.clone(),
                f.kind.clone(),
                state,
                f.mtu.to_string(),
                dash(&f.mac),
                dash(&f.master),
                dash(&peer),
                if f.addresses.is_empty() {
                    "-".into()
                } else {
                    f.addresses.join(" ")
                },
            ]);
        }
        s.push_str(&table(&rows));
        let shaped: Vec<&IfView> = v
            .interfaces
            .iter()
            .filter(|f| f.shaping.is_some())
            .collect();
        if !shaped.is_empty() {
            let mut rows = vec![["SHAPED", "QDISCS", "SETTINGS"].map(String::from).to_vec()];
            for f in shaped {
                let sh = f.shaping.as_ref().expect("filtered");
                rows.push(vec![
                    f.name.clone(),
                    sh.qdiscs.join("+"),
                    sh.values.text.clone(),
                ]);
            }
            s.push_str(&table(&rows));
        }
        if !v.routes.is_empty() {
            let mut rows = vec![["ROUTE", "VIA", "DEV", "PROTO", "METRIC"]
                .map(String::from)
                .to_vec()];
            for r in &v.routes {
                let dst = if r.kind == "unicast" {
                    r.dst.clone()
                } else {
                    format!("{} {}", r.kind, r.dst)
                };
                rows.push(vec![
                    dst,
                    dash(&r.via),
                    dash(&r.dev),
                    dash(&r.protocol),
                    r.metric.map_or("-".into(), |m| m.to_string()),
                ]);
            }
            s.push_str(&table(&rows));
        }
    }
    s
}
