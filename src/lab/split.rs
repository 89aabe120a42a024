//! A lab spread over machines, split into one part per machine. A part is an ordinary lab
//! (the machine's hosts, bridges and the links between them) plus a [`Transit`]: for each
//! link to another machine, the lab's end on this machine and the VXLAN tunnel that carries
//! the link to the other machine. Every machine computes its own part from the whole lab,
//! so the driver and the remote nslab agree on names and VNIs without exchanging them.

use super::file::{Lab, Transit, Tunnel};

impl Lab {
    /// The part of a valid lab that runs on `machine`.
    pub fn part(&self, machine: &str) -> Lab {
        let here = |m: Option<String>| m.as_deref() == Some(machine);
        let hosts: Vec<_> = self
            .hosts
            .iter()
            .filter(|h| here(self.host_machine(&h.name)))
            .cloned()
            .collect();
        let bridges = self
            .bridges
            .iter()
            .filter(|b| here(self.bridge_machine(b)))
            .cloned()
            .collect();
        let cross = self.cross_links();
        let underlay = |m: &str| {
            self.machine(m)
                .map(|m| m.underlay.clone())
                .unwrap_or_default()
        };
        let mut links = Vec::new();
        let mut tunnels = Vec::new();
        for (i, l) in self.links.iter().enumerate() {
            let Some(c) = cross.iter().find(|c| c.link == i) else {
                if here(self.endpoint_machine(&l.a)) {
                    links.push(l.clone());
                }
                continue;
            };
            for (end, on, other) in [(&l.a, &c.a, &c.b), (&l.b, &c.b, &c.a)] {
                if on == machine {
                    let mut end = end.clone();
                    end.mtu = Some(end.mtu.unwrap_or(c.mtu));
                    tunnels.push(Tunnel {
                        link: i,
                        vni: c.vni,
                        local: underlay(on),
                        remote: underlay(other),
                        mtu: c.mtu,
                        end,
                    });
                }
            }
        }
        let local: Vec<String> = hosts.iter().map(|h| h.name.clone()).collect();
        let expect = self
            .expect
            .iter()
            .filter(|x| local.contains(&x.from) && local.contains(&x.to))
            .cloned()
            .collect();
        // The other machines' hosts still belong in each host's /etc/hosts.
        let remote: Vec<(String, String)> = self
            .hosts
            .iter()
            .filter(|h| !local.contains(&h.name))
            .filter_map(|h| {
                let (_, c) = self.host_addrs(&h.name).into_iter().next()?;
                Some((h.name.clone(), c.addr.to_string()))
            })
            .collect();
        let peers = self
            .hosts
            .iter()
            .filter(|h| !local.contains(&h.name))
            .flat_map(|h| self.host_addrs(&h.name))
            .map(|(_, c)| c.to_string())
            .collect();
        let hosts = hosts
            .into_iter()
            .map(|mut h| {
                for (name, addr) in &remote {
                    h.extra_hosts
                        .entry(name.clone())
                        .or_insert_with(|| addr.clone());
                }
                h
            })
            .collect();
        Lab {
            name: self.name.clone(),
            hosts,
            bridges,
            links,
            expect,
            machines: Vec::new(),
            transit: (!tunnels.is_empty()).then(|| Transit {
                name: self.transit_name(),
                tunnels,
                peers,
            }),
        }
    }

    /// Whether a part has nothing to build (a machine none of the lab is placed on).
    pub fn is_empty_part(&self) -> bool {
        self.hosts.is_empty() && self.bridges.is_empty() && self.transit.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_machines() -> Lab {
        let path = "labs/two-machines.toml";
        let lab = Lab::parse(path, include_str!("../../labs/two-machines.toml")).unwrap();
        lab.validate(path).unwrap();
        lab
    }

    #[test]
    fn each_machine_gets_its_hosts_and_its_ends_of_the_tunnels() {
        let lab = two_machines();
        let (a, b) = (lab.part("A"), lab.part("B"));
        assert_eq!(a.host_names(), ["ns1", "ns2"]);
        assert_eq!(b.host_names(), ["ns3", "ns4"]);
        assert_eq!(a.links.len(), 2);
        assert!(b.links.is_empty() && b.bridges.is_empty());
        let (ta, tb) = (a.transit.unwrap(), b.transit.unwrap());
        assert_eq!(ta.name, "seed2-t");
        // The same links, the same VNIs, each end toward the other's underlay.
        let key = |t: &Transit| {
            t.tunnels
                .iter()
                .map(|x| (x.link, x.vni))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&ta), key(&tb));
        assert_eq!(ta.tunnels.len(), 2);
        assert_ne!(ta.tunnels[0].vni, ta.tunnels[1].vni);
        let t = &tb.tunnels[0];
        assert_eq!(
            (t.local.as_str(), t.remote.as_str()),
            ("10.251.0.2", "10.251.0.1")
        );
        assert_eq!(
            (t.end.host.as_deref(), t.end.mtu, t.mtu),
            (Some("ns3"), Some(1450), 1450)
        );
        assert_eq!(ta.tunnels[0].end.bridge.as_deref(), Some("br0"));
        assert_eq!(ta.tunnels[0].end.name, "bveth3");
    }

    #[test]
    fn a_part_counts_the_other_machines_hosts_as_neighbours() {
        let lab = two_machines();
        let b = lab.part("B");
        assert_eq!(
            b.transit.as_ref().unwrap().peers,
            ["10.0.0.1/24", "10.0.0.2/24"]
        );
        // ns3 and ns4 each need the three other hosts.
        assert_eq!(super::super::neigh::need(&b), [6, 0]);
        assert_eq!(
            b.hosts[0].extra_hosts.get("ns1").map(String::as_str),
            Some("10.0.0.1")
        );
        assert!(lab.part("C").is_empty_part());
    }
}
