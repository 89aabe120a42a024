//! What a lab means, read off its file: names after `--prefix`, the namespace each veth end
//! lives in, the root-namespace devices, each end's effective shaping, the machines hosts
//! and bridges are placed on and the links between them, the addresses of each host, and
//! the order services start in. All of it assumes a lab that [`Lab::validate`] accepted.

use super::file::*;
use crate::shape::{Shape, ShapeDecl};
use std::collections::{BTreeSet, HashMap};

impl Lab {
    /// Prefix the lab name, every host (namespace) name and every root-namespace device name,
    /// so several copies of a lab can coexist (tests use this).
    pub fn with_prefix(mut self, prefix: &str) -> Lab {
        if prefix.is_empty() {
            return self;
        }
        let p = |s: &mut String| *s = format!("{prefix}{s}");
        p(&mut self.name);
        let root_bridges: BTreeSet<String> = self
            .bridges
            .iter()
            .filter(|b| b.host.is_none())
            .map(|b| b.name.clone())
            .collect();
        for h in &mut self.hosts {
            p(&mut h.name);
            for s in &mut h.services {
                for r in &mut s.after {
                    p(r);
                }
            }
        }
        for b in &mut self.bridges {
            match &mut b.host {
                Some(h) => p(h),
                None => p(&mut b.name),
            }
        }
        for l in &mut self.links {
            for e in [&mut l.a, &mut l.b] {
                if let Some(h) = &mut e.host {
                    p(h);
                }
                if let Some(b) = &mut e.bridge {
                    if root_bridges.contains(b) {
                        p(b);
                        p(&mut e.name);
                    }
                }
            }
        }
        for x in &mut self.expect {
            p(&mut x.from);
            p(&mut x.to);
        }
        self
    }

    /// The namespace an endpoint lives in (`None`: root), assuming a valid lab.
    pub fn endpoint_ns(&self, e: &Endpoint) -> Option<String> {
        match (&e.host, &e.bridge) {
            (Some(h), _) => Some(h.clone()),
            (None, Some(b)) => self
                .bridges
                .iter()
                .find(|x| &x.name == b)
                .and_then(|x| x.host.clone()),
            (None, None) => None,
        }
    }

    /// Devices this lab puts in the root namespace (bridges and veth ends).
    pub fn root_devices(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .bridges
            .iter()
            .filter(|b| b.host.is_none())
            .map(|b| b.name.clone())
            .collect();
        for e in self.ends() {
            if self.endpoint_ns(e).is_none() {
                v.push(e.name.clone());
            }
        }
        v
    }

    /// The shaping of end `side` (`"a"` or `"b"`) of link `i`: its link's, overridden key by
    /// key by its own, or `None` when neither has any. An error names the key that holds
    /// the bad value (`links[0].a.shape.loss` or `links[0].shape.loss`).
    pub fn end_shape(
        &self,
        i: usize,
        side: &str,
    ) -> std::result::Result<Option<Shape>, (String, String)> {
        let l = &self.links[i];
        let end = if side == "a" { &l.a } else { &l.b };
        let none = ShapeDecl::default();
        let link_decl = l.shape.as_ref().unwrap_or(&none);
        let end_decl = end.shape.as_ref().unwrap_or(&none);
        let merged = link_decl.overlay(end_decl);
        if merged.is_empty() {
            return Ok(None);
        }
        merged.parse().map(Some).map_err(|(key, msg)| {
            let place = if end_decl.has(key) {
                format!("links[{i}].{side}.shape.{key}")
            } else {
                format!("links[{i}].shape.{key}")
            };
            (place, msg)
        })
    }

    /// Every shaped veth end: its namespace, device and shaping (assuming a valid lab).
    pub fn shaped_ends(&self) -> Vec<(Option<String>, String, Shape)> {
        let mut v = Vec::new();
        for (i, l) in self.links.iter().enumerate() {
            for (side, e) in [("a", &l.a), ("b", &l.b)] {
                if let Ok(Some(shape)) = self.end_shape(i, side) {
                    v.push((self.endpoint_ns(e), e.name.clone(), shape));
                }
            }
        }
        v
    }

    /// Every veth end the lab has: both ends of each link, then (in a machine's part) the
    /// lab's end of each tunnel.
    pub fn ends(&self) -> impl Iterator<Item = &Endpoint> {
        let tunnels = self.transit.iter().flat_map(|t| &t.tunnels);
        self.links
            .iter()
            .flat_map(|l| [&l.a, &l.b])
            .chain(tunnels.map(|t| &t.end))
    }

    /// The namespaces the lab creates: its hosts, then (in a machine's part) the transit one.
    pub fn namespaces(&self) -> Vec<String> {
        let mut v = self.host_names();
        v.extend(self.transit.iter().map(|t| t.name.clone()));
        v
    }

    /// The machine hosts and bridges go on when they do not say: the one with `ssh = "local"`.
    pub(super) fn default_machine(&self) -> Option<&str> {
        self.machines
            .iter()
            .find(|m| m.is_local())
            .map(|m| m.name.as_str())
    }

    pub fn machine(&self, name: &str) -> Option<&Machine> {
        self.machines.iter().find(|m| m.name == name)
    }

    /// The machine a host is on (`None` in a lab without machines, or for an unknown host).
    pub fn host_machine(&self, host: &str) -> Option<String> {
        let h = self.hosts.iter().find(|h| h.name == host)?;
        h.machine
            .clone()
            .or_else(|| self.default_machine().map(str::to_string))
    }

    /// The machine a bridge is on: its host's, else its own `machine`, else the default.
    pub fn bridge_machine(&self, b: &Bridge) -> Option<String> {
        match &b.host {
            Some(h) => self.host_machine(h),
            None => b
                .machine
                .clone()
                .or_else(|| self.default_machine().map(str::to_string)),
        }
    }

    /// The machine an endpoint is on (assuming a valid lab).
    pub fn endpoint_machine(&self, e: &Endpoint) -> Option<String> {
        match (&e.host, &e.bridge) {
            (Some(h), _) => self.host_machine(h),
            (None, Some(b)) => self
                .bridges
                .iter()
                .find(|x| &x.name == b)
                .and_then(|x| self.bridge_machine(x)),
            (None, None) => None,
        }
    }

    /// The links whose ends are on two machines, with the VNI each gets: its own `vni`, else
    /// the next free one from a base derived from the lab's name (so that two labs over the
    /// same machines rarely collide; the kernel refuses a VNI used twice on a machine).
    pub fn cross_links(&self) -> Vec<Cross> {
        let taken: BTreeSet<u32> = self.links.iter().filter_map(|l| l.vni).collect();
        // FNV-1a of the name: stable across runs and builds.
        let hash = self.name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
        });
        let mut next = 1000 * (1 + (hash % 16_000) as u32);
        let mut v = Vec::new();
        for (i, l) in self.links.iter().enumerate() {
            let (Some(a), Some(b)) = (self.endpoint_machine(&l.a), self.endpoint_machine(&l.b))
            else {
                continue;
            };
            if a == b {
                continue;
            }
            let vni = match l.vni {
                Some(v) => v,
                None => {
                    while taken.contains(&next) {
                        next += 1;
                    }
                    next += 1;
                    next - 1
                }
            };
            let mtu = [&a, &b]
                .iter()
                .filter_map(|m| self.machine(m))
                .map(Machine::underlay_mtu)
                .min()
                .unwrap_or(DEFAULT_UNDERLAY_MTU)
                - VXLAN_OVERHEAD;
            v.push(Cross {
                link: i,
                vni,
                a,
                b,
                mtu,
            });
        }
        v
    }

    /// The name of a machine's transit namespace for this lab.
    pub fn transit_name(&self) -> String {
        format!("{}-t", self.name)
    }

    pub fn host_names(&self) -> Vec<String> {
        self.hosts.iter().map(|h| h.name.clone()).collect()
    }

    /// [`Lab::host_addrs`] of every host at once, in one pass over the lab (a lab of
    /// thousands of hosts must not scan every link once per host).
    pub fn addrs_by_host(&self) -> HashMap<&str, Vec<(String, Cidr)>> {
        let mut m: HashMap<&str, Vec<(String, Cidr)>> = self
            .hosts
            .iter()
            .map(|h| (h.name.as_str(), Vec::new()))
            .collect();
        let mut add = |host: Option<&String>, dev: &str, addrs: &[String]| {
            if let Some(v) = host.and_then(|h| m.get_mut(h.as_str())) {
                v.extend(
                    addrs
                        .iter()
                        .filter_map(|a| Some((dev.to_string(), Cidr::parse(a).ok()?))),
                );
            }
        };
        for b in &self.bridges {
            add(b.host.as_ref(), &b.name, &b.addrs);
        }
        for e in self.ends() {
            add(e.host.as_ref(), &e.name, &e.addrs);
        }
        m
    }

    /// Addresses of a host: those of its interfaces and of the bridges in its namespace.
    pub fn host_addrs(&self, host: &str) -> Vec<(String, Cidr)> {
        let mut v = Vec::new();
        for b in self
            .bridges
            .iter()
            .filter(|b| b.host.as_deref() == Some(host))
        {
            v.extend(
                b.addrs
                    .iter()
                    .filter_map(|a| Some((b.name.clone(), Cidr::parse(a).ok()?))),
            );
        }
        for e in self.ends() {
            if e.host.as_deref() == Some(host) {
                v.extend(
                    e.addrs
                        .iter()
                        .filter_map(|a| Some((e.name.clone(), Cidr::parse(a).ok()?))),
                );
            }
        }
        v
    }

    /// The (host index, service index) of `HOST.SERVICE`, if declared.
    pub(super) fn service_index(&self, r: &str) -> Option<(usize, usize)> {
        let (host, svc) = r.rsplit_once('.')?;
        let hi = self.hosts.iter().position(|h| h.name == host)?;
        let si = self.hosts[hi].services.iter().position(|s| s.name == svc)?;
        Some((hi, si))
    }

    /// Every service as (host index, service index), in an order that starts each after the
    /// services its `after` names (declaration order otherwise), assuming a valid lab.
    pub fn service_order(&self) -> Vec<(usize, usize)> {
        let all: Vec<(usize, usize)> = self
            .hosts
            .iter()
            .enumerate()
            .flat_map(|(i, h)| (0..h.services.len()).map(move |j| (i, j)))
            .collect();
        let deps = |(i, j): (usize, usize)| -> Vec<(usize, usize)> {
            self.hosts[i].services[j]
                .after
                .iter()
                .filter_map(|r| self.service_index(r))
                .collect()
        };
        let mut done: Vec<(usize, usize)> = Vec::new();
        while done.len() < all.len() {
            let next = all
                .iter()
                .find(|s| !done.contains(s) && deps(**s).iter().all(|d| done.contains(d)));
            match next {
                Some(s) => done.push(*s),
                // A cycle (refused by validation): the rest in declaration order.
                None => done.extend(all.iter().filter(|s| !done.contains(s)).collect::<Vec<_>>()),
            }
        }
        done
    }
}
