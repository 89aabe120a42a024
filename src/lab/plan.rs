//! Lab → ordered Ops. First the root-level work (namespaces, root bridges, veth pairs with
//! both ends placed), then per namespace: bridges, MAC/MTU, enslaving, addresses, links up
//! (loopback too), shaping (qdiscs), routes, sysctls. The iproute2 backend turns this into one root batch
//! plus one batch per namespace.

use super::file::{Cidr, Lab, Transit, VXLAN_PORT};
use crate::op::{AddrSpec, BridgeSetting, LinkKind, Op, Placed, RouteSpec};
use std::collections::HashMap;

fn addr_op(ns: &Option<String>, dev: &str, a: &str) -> Op {
    let c = Cidr::parse(a).expect("validated address");
    Op::AddAddr {
        ns: ns.clone(),
        dev: dev.to_string(),
        addr: AddrSpec {
            local: c.to_string(),
            // IPv4 gets the conventional broadcast; IPv6 skips DAD so the lab is usable at once.
            broadcast: (c.addr.is_ipv4() && c.len < 31).then(|| "+".to_string()),
            nodad: c.addr.is_ipv6(),
            ..Default::default()
        },
    }
}

/// The Ops that build `lab` (assumed valid).
pub fn plan_up(lab: &Lab) -> Vec<Op> {
    let mut root = Vec::new();
    for h in &lab.hosts {
        root.push(Op::AddNetns {
            name: h.name.clone(),
        });
    }
    for l in &lab.links {
        root.push(Op::AddVeth {
            a: Placed {
                ns: lab.endpoint_ns(&l.a),
                name: l.a.name.clone(),
            },
            b: Placed {
                ns: lab.endpoint_ns(&l.b),
                name: l.b.name.clone(),
            },
        });
    }
    let (transit_root, transit_ns) = plan_transit(lab);
    root.extend(transit_root);
    // Namespaces in a stable order: root first (if used), then hosts as declared.
    let mut spaces: Vec<(Option<String>, Option<&super::file::Host>)> = vec![(None, None)];
    spaces.extend(lab.hosts.iter().map(|h| (Some(h.name.clone()), Some(h))));
    // Each namespace's bridges, link ends and shaped ends, grouped in one pass (declaration
    // order kept), so that a lab of thousands of hosts is planned in linear time.
    let mut bridges: HashMap<Option<String>, Vec<&super::file::Bridge>> = HashMap::new();
    for b in &lab.bridges {
        bridges.entry(b.host.clone()).or_default().push(b);
    }
    let mut ends: HashMap<Option<String>, Vec<&super::file::Endpoint>> = HashMap::new();
    for e in lab.ends() {
        ends.entry(lab.endpoint_ns(e)).or_default().push(e);
    }
    let mut shaped: HashMap<Option<String>, Vec<(String, crate::shape::Shape)>> = HashMap::new();
    for (n, dev, shape) in lab.shaped_ends() {
        shaped.entry(n).or_default().push((dev, shape));
    }
    let mut per_ns = Vec::new();
    for (ns, host) in &spaces {
        let mut create = Vec::new();
        let mut config = Vec::new();
        let mut ups = Vec::new();
        let mut tail = Vec::new();
        for b in bridges.get(ns).into_iter().flatten() {
            create.push(Op::AddLink {
                ns: ns.clone(),
                name: b.name.clone(),
                kind: LinkKind::Bridge,
            });
            if let Some(mac) = &b.mac {
                config.push(Op::SetMac {
                    ns: ns.clone(),
                    dev: b.name.clone(),
                    mac: mac.clone(),
                });
            }
            if let Some(mtu) = b.mtu {
                config.push(Op::SetMtu {
                    ns: ns.clone(),
                    dev: b.name.clone(),
                    mtu,
                });
            }
            if b.stp {
                config.push(Op::Bridge {
                    ns: ns.clone(),
                    dev: b.name.clone(),
                    setting: BridgeSetting::StpState(1),
                });
            }
            config.extend(b.addrs.iter().map(|a| addr_op(ns, &b.name, a)));
            ups.push(Op::SetUp {
                ns: ns.clone(),
                dev: b.name.clone(),
                up: true,
            });
        }
        for e in ends.get(ns).into_iter().flatten() {
            {
                if let Some(mac) = &e.mac {
                    config.push(Op::SetMac {
                        ns: ns.clone(),
                        dev: e.name.clone(),
                        mac: mac.clone(),
                    });
                }
                if let Some(mtu) = e.mtu {
                    config.push(Op::SetMtu {
                        ns: ns.clone(),
                        dev: e.name.clone(),
                        mtu,
                    });
                }
                if let Some(b) = &e.bridge {
                    config.push(Op::SetMaster {
                        ns: ns.clone(),
                        dev: e.name.clone(),
                        master: Some(b.clone()),
                    });
                }
                config.extend(e.addrs.iter().map(|a| addr_op(ns, &e.name, a)));
                if e.up {
                    ups.push(Op::SetUp {
                        ns: ns.clone(),
                        dev: e.name.clone(),
                        up: true,
                    });
                }
            }
        }
        if let Some(host) = host {
            ups.insert(
                0,
                Op::SetUp {
                    ns: ns.clone(),
                    dev: "lo".into(),
                    up: true,
                },
            );
            for r in &host.routes {
                tail.push(Op::AddRoute {
                    ns: ns.clone(),
                    route: RouteSpec {
                        dst: r.to.clone(),
                        via: r.via.clone(),
                        dev: r.dev.clone(),
                        metric: r.metric,
                        ..Default::default()
                    },
                });
            }
            for (k, v) in &host.sysctl {
                tail.push(Op::Sysctl {
                    ns: ns.clone(),
                    key: k.clone(),
                    value: v.render(),
                });
            }
        }
        per_ns.extend(create);
        per_ns.extend(config);
        per_ns.extend(ups);
        per_ns.extend(
            shaped
                .get(ns)
                .into_iter()
                .flatten()
                .map(|(dev, shape)| Op::SetQdisc {
                    ns: ns.clone(),
                    dev: dev.clone(),
                    shape: shape.clone(),
                }),
        );
        per_ns.extend(tail);
    }
    per_ns.extend(transit_ns);
    // Root-namespace bridges must exist before veth ends are enslaved to them, which the
    // per-namespace part does; creating them up front keeps that order.
    let (root_bridges, rest): (Vec<Op>, Vec<Op>) = per_ns
        .into_iter()
        .partition(|op| matches!(op, Op::AddLink { ns: None, .. }));
    root.extend(root_bridges);
    root.extend(rest);
    root
}

/// A machine's transit namespace (see [`Transit`]): the Ops run from the root namespace
/// (the namespace, each tunnel's veth from the lab's end and its VXLAN device, whose socket
/// stays in the root namespace with the underlay address), then those inside it (a bridge
/// per tunnel joining the veth and the VXLAN device, MTUs, everything up).
fn plan_transit(lab: &Lab) -> (Vec<Op>, Vec<Op>) {
    let Some(Transit { name, tunnels, .. }) = &lab.transit else {
        return (Vec::new(), Vec::new());
    };
    let ns = Some(name.clone());
    let mut root = vec![Op::AddNetns { name: name.clone() }];
    let (mut create, mut config, mut ups) = (Vec::new(), Vec::new(), Vec::new());
    ups.push(Op::SetUp {
        ns: ns.clone(),
        dev: "lo".into(),
        up: true,
    });
    for t in tunnels {
        let [veth, vxlan, bridge] = t.devices();
        root.push(Op::AddVeth {
            a: Placed {
                ns: lab.endpoint_ns(&t.end),
                name: t.end.name.clone(),
            },
            b: Placed {
                ns: ns.clone(),
                name: veth.clone(),
            },
        });
        root.push(Op::AddVxlan {
            ns: ns.clone(),
            name: vxlan.clone(),
            vni: t.vni,
            local: t.local.clone(),
            remote: t.remote.clone(),
            port: VXLAN_PORT,
        });
        create.push(Op::AddLink {
            ns: ns.clone(),
            name: bridge.clone(),
            kind: LinkKind::Bridge,
        });
        for dev in [&veth, &vxlan] {
            config.push(Op::SetMtu {
                ns: ns.clone(),
                dev: dev.clone(),
                mtu: t.mtu,
            });
            config.push(Op::SetMaster {
                ns: ns.clone(),
                dev: dev.clone(),
                master: Some(bridge.clone()),
            });
        }
        for dev in [veth, vxlan, bridge] {
            ups.push(Op::SetUp {
                ns: ns.clone(),
                dev,
                up: true,
            });
        }
    }
    create.extend(config);
    create.extend(ups);
    (root, create)
}

/// The lines every host's `/etc/hosts` in the lab shares: each lab host's name with the
/// first address of each of its interfaces (made once per lab: a lab of thousands of hosts
/// has thousands of these lines in every host's file).
pub fn lab_hosts_lines(lab: &Lab) -> String {
    let addrs = lab.addrs_by_host();
    let mut t = String::new();
    for h in &lab.hosts {
        let mut devs: Vec<&str> = Vec::new();
        for (dev, c) in addrs.get(h.name.as_str()).into_iter().flatten() {
            if !devs.contains(&dev.as_str()) {
                t.push_str(&format!("{}\t{}\n", c.addr, h.name));
                devs.push(dev);
            }
        }
    }
    t
}

/// The text of a host's `/etc/hosts` in the lab: nslab's marker, localhost, then
/// [`lab_hosts_lines`] (given), then the host's `extra_hosts`.
pub fn hosts_file(lab: &Lab, host: &super::file::Host, shared: &str) -> String {
    let mut t = format!(
        "{} for lab `{}`; `nslab down {}` removes it\n127.0.0.1\tlocalhost\n\
         ::1\tlocalhost ip6-localhost ip6-loopback\n",
        crate::backend::host::ETC_MARKER,
        lab.name,
        lab.name
    );
    t.push_str(shared);
    for (name, a) in &host.extra_hosts {
        t.push_str(&format!("{a}\t{name}\n"));
    }
    t
}

/// The files of `/etc/netns/HOST/` a host gets: `hosts` always, `resolv.conf` if declared.
pub fn etc_file_names(host: &super::file::Host) -> Vec<&'static str> {
    let mut v = vec!["hosts"];
    if host.resolv_conf.is_some() {
        v.push("resolv.conf");
    }
    v
}

/// The files of [`etc_file_names`] with their text (`shared`: [`lab_hosts_lines`]).
pub fn etc_files(lab: &Lab, host: &super::file::Host, shared: &str) -> Vec<(&'static str, String)> {
    let mut v = vec![("hosts", hosts_file(lab, host, shared))];
    if let Some(r) = &host.resolv_conf {
        let marker = crate::backend::host::ETC_MARKER;
        v.push((
            "resolv.conf",
            format!("{marker} for lab `{}`\n{r}", lab.name),
        ));
    }
    v
}

/// Forget a lab's host files: remove those of `/etc/netns/HOST/` that nslab wrote.
pub fn plan_forget(lab: &Lab) -> Vec<Op> {
    let mut ops = Vec::new();
    for h in &lab.hosts {
        ops.push(Op::DelUts {
            ns: Some(h.name.clone()),
            lab: lab.name.clone(),
        });
        for file in ["hosts", "resolv.conf"] {
            ops.push(Op::DelEtc {
                ns: Some(h.name.clone()),
                file: file.into(),
            });
        }
    }
    ops
}

/// The host work that follows [`plan_up`] once the lab's links are settled: each host's
/// UTS namespace (its hostname) and `/etc/netns` files, then each host's `exec` commands,
/// hosts in declaration order, then the services in dependency order.
pub fn plan_post(lab: &Lab) -> Vec<Op> {
    let mut ops = Vec::new();
    let shared = lab_hosts_lines(lab);
    for h in &lab.hosts {
        ops.push(Op::AddUts {
            ns: Some(h.name.clone()),
            lab: lab.name.clone(),
            hostname: h.name.clone(),
        });
        for (file, text) in etc_files(lab, h, &shared) {
            ops.push(Op::WriteEtc {
                ns: Some(h.name.clone()),
                file: file.into(),
                text,
            });
        }
    }
    for h in &lab.hosts {
        for c in &h.exec {
            ops.push(Op::Run {
                ns: Some(h.name.clone()),
                argv: c.argv(),
                timeout_ms: h.exec_timeout_ms(),
            });
        }
    }
    for (hi, si) in lab.service_order() {
        let h = &lab.hosts[hi];
        ops.push(Op::Start {
            ns: Some(h.name.clone()),
            service: super::service::spec(lab, h, &h.services[si]),
        });
    }
    ops
}

/// The Ops that remove what `plan_up` creates, given what exists now: root-namespace
/// devices first (a veth end in the root namespace takes its peer with it), then namespaces.
pub fn plan_down(lab: &Lab, existing_ns: &[String], existing_root: &[String]) -> Vec<Op> {
    let mut ops = Vec::new();
    for d in lab.root_devices() {
        if existing_root.contains(&d) {
            ops.push(Op::DelLink { ns: None, dev: d });
        }
    }
    for name in lab.namespaces() {
        if existing_ns.contains(&name) {
            ops.push(Op::DelNetns { name });
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::iproute2::compile;
    use crate::backend::{recording::Call, Backend, Recording};

    /// Validating, planning and compiling a lab of a thousand hosts is linear work: a step
    /// that scanned the lab per host (or per pair) took seconds here, and minutes unoptimised.
    #[test]
    fn a_thousand_host_star_is_planned_in_linear_time() {
        let lab = crate::lab::file::tests::flat_star(999);
        let start = std::time::Instant::now();
        lab.validate("flat.toml").unwrap();
        let up = plan_up(&lab);
        let post = plan_post(&lab);
        let stages = compile(&up);
        let elapsed = start.elapsed();
        // 1,000 namespaces, 999 veths; hub: bridge, 999 masters, lo, bridge and 999 ups.
        assert_eq!(stages[0].root_batch().unwrap().len(), 1000 + 999);
        assert_eq!(stages[0].per_ns.len(), 1000);
        assert_eq!(stages[0].per_ns[0].1.len(), 1);
        // Per host: its UTS namespace, then its hosts file.
        assert_eq!(post.len(), 2000);
        assert!(matches!(post[1998], Op::AddUts { .. }));
        match &post[1999] {
            Op::WriteEtc { text, .. } => {
                assert_eq!(text.lines().filter(|l| l.starts_with("10.")).count(), 999)
            }
            other => panic!("{other:?}"),
        }
        assert!(elapsed.as_secs() < 10, "took {elapsed:?}");
    }

    #[test]
    fn the_default_lab_compiles_to_one_root_batch_and_one_batch_per_namespace() {
        let lab = Lab::default_lab();
        let stages = compile(&plan_up(&lab));
        assert_eq!(stages.len(), 1);
        let s = &stages[0];
        let root = s.root_batch().expect("one root batch");
        assert_eq!(root.len(), 8, "4 namespaces + 4 veths: {root:?}");
        assert!(root[4].contains("netns ns1 type veth peer name bveth1 netns ns1"));
        let spaces: Vec<_> = s.per_ns.iter().map(|(n, _)| n.clone().unwrap()).collect();
        assert_eq!(spaces, ["ns1", "ns2", "ns3", "ns4"]);
        assert!(
            s.per_ns.iter().all(|(_, steps)| steps.len() == 1),
            "one batch each"
        );
    }

    #[test]
    fn down_removes_only_what_exists() {
        let lab = Lab::default_lab();
        let ops = plan_down(&lab, &["ns2".to_string(), "other".to_string()], &[]);
        assert_eq!(ops, vec![Op::DelNetns { name: "ns2".into() }]);
    }

    #[test]
    fn the_recording_backend_sees_the_plan_in_order() {
        let lab = Lab::default_lab();
        let mut rec = Recording::default();
        rec.apply(&plan_up(&lab)).unwrap();
        let ops = rec.ops();
        assert_eq!(ops.first(), Some(&Op::AddNetns { name: "ns1".into() }));
        let first_up = ops
            .iter()
            .position(|o| matches!(o, Op::SetUp { .. }))
            .unwrap();
        let last_master = ops
            .iter()
            .rposition(|o| matches!(o, Op::SetMaster { .. }))
            .unwrap();
        assert!(
            last_master < first_up,
            "ports are enslaved before anything goes up"
        );
        assert!(matches!(rec.calls[0], Call::Apply(_)));
    }
}
