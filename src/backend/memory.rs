//! A backend over one namespace held in memory: [`Op`]s change a [`Snapshot`] the way the
//! kernel changes the real one (devices, flags, IPv4 and IPv6 addresses with the kernel's
//! primary/secondary rules), and refusals come back as the errors `ip` would print.
//!
//! `nslab migrate` runs the drop-ins' own executors against it for namespaces whose state a
//! script fully determines, so a migrated line is exactly the Ops the drop-in would apply.
//! Routes, neighbours, sysctls and bridge settings are accepted and not modelled (nothing
//! that reads this backend depends on them).

use super::Backend;
use crate::error::{Error, Exit, Result};
use crate::model::{Addr, Link, Snapshot};
use crate::op::{AddrSpec, LinkFlag, LinkKind, Op};
use std::net::IpAddr;

/// One namespace in memory, and the Ops applied to it successfully.
#[derive(Debug, Clone)]
pub struct Memory {
    pub snap: Snapshot,
    pub applied: Vec<Op>,
}

/// A fresh namespace: `lo`, down, no address.
pub fn fresh_namespace() -> Snapshot {
    let mut lo = new_link("lo", "loopback");
    lo.flags = vec!["LOOPBACK".into()];
    lo.mtu = 65536;
    lo.link_type = "loopback".into();
    lo.ifindex = 1;
    Snapshot {
        netns: None,
        links: vec![lo],
        routes: vec![],
        nsids: Default::default(),
    }
}

/// A new device of `kind` (`veth`, `bridge`…) as `ip link add` makes it: down, Ethernet,
/// broadcast and multicast capable, MTU 1500.
pub fn new_link(name: &str, kind: &str) -> Link {
    Link {
        ifindex: 0,
        name: name.to_string(),
        kind: kind.to_string(),
        flags: vec!["BROADCAST".into(), "MULTICAST".into()],
        mtu: 1500,
        qdisc: None,
        operstate: "DOWN".into(),
        txqlen: 1000,
        link_type: "ether".into(),
        mac: None,
        broadcast_mac: None,
        master: None,
        promiscuity: 0,
        allmulti: 0,
        peer_ifindex: None,
        peer_netnsid: None,
        peer_name: None,
        addrs: vec![],
        stats: None,
        bridge: None,
        port: None,
    }
}

fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len.min(32) as u32)
    }
}

fn v4(a: &IpAddr) -> u32 {
    match a {
        IpAddr::V4(a) => u32::from(*a),
        IpAddr::V6(_) => 0,
    }
}

/// `ifa_address`: the peer, or the local address.
fn address(a: &Addr) -> IpAddr {
    a.peer.unwrap_or(a.local)
}

/// `inet_ifa_match(x, ifa)`: `x` is in `ifa`'s subnet.
fn ifa_match(x: &IpAddr, ifa: &Addr) -> bool {
    let m = mask(ifa.prefixlen);
    v4(x) & m == v4(&address(ifa)) & m
}

fn rtnl(msg: &str) -> String {
    format!("RTNETLINK answers: {msg}")
}

/// `A/LEN` or `A` (with the full length).
fn parse_prefix(s: &str) -> std::result::Result<(IpAddr, Option<u8>), String> {
    let (a, len) = match s.split_once('/') {
        Some((a, l)) => (
            a,
            Some(l.parse::<u8>().map_err(|_| format!("bad length {l}"))?),
        ),
        None => (s, None),
    };
    let ip: IpAddr = a.parse().map_err(|_| format!("bad address {a}"))?;
    Ok((ip, len))
}

impl Memory {
    pub fn new(snap: Snapshot) -> Memory {
        Memory {
            snap,
            applied: vec![],
        }
    }

    fn link_mut(&mut self, dev: &str) -> std::result::Result<&mut Link, String> {
        self.snap
            .links
            .iter_mut()
            .find(|l| l.name == dev)
            .ok_or_else(|| format!("Cannot find device \"{dev}\""))
    }

    fn set_flag(&mut self, dev: &str, name: &str, on: bool) -> std::result::Result<(), String> {
        let l = self.link_mut(dev)?;
        l.flags.retain(|f| f != name);
        if on {
            l.flags.push(name.to_string());
        }
        Ok(())
    }

    fn add_addr(&mut self, dev: &str, spec: &AddrSpec) -> std::result::Result<(), String> {
        let (local, len) = parse_prefix(&spec.local)?;
        let peer = match &spec.peer {
            Some(p) => Some(parse_prefix(p)?),
            None => None,
        };
        let full = if local.is_ipv4() { 32 } else { 128 };
        let prefixlen = peer.and_then(|p| p.1).or(len).unwrap_or(full);
        let scope = spec.scope.clone().unwrap_or_else(|| {
            match local {
                IpAddr::V4(a) if a.octets()[0] == 127 => "host",
                IpAddr::V6(a) if a.is_loopback() => "host",
                IpAddr::V6(a) if (a.segments()[0] & 0xffc0) == 0xfe80 => "link",
                _ => "global",
            }
            .to_string()
        });
        let mut new = Addr {
            local,
            prefixlen,
            peer: peer.map(|p| p.0).filter(|p| *p != local),
            broadcast: match &spec.broadcast {
                Some(b) => Some(b.parse().map_err(|_| format!("bad broadcast {b}"))?),
                None => None,
            },
            scope,
            label: Some(spec.label.clone().unwrap_or_else(|| dev.to_string())),
            secondary: false,
            tentative: false,
            dadfailed: false,
            nodad: spec.nodad,
        };
        let l = self.link_mut(dev)?;
        if !new.is_ipv4() {
            if l.addrs.iter().any(|a| a.local == new.local) {
                return Err(rtnl("File exists"));
            }
            l.addrs.push(new);
            return Ok(());
        }
        // __inet_insert_ifa.
        let mut last_primary = 0;
        for (i, a) in l.addrs.iter().enumerate().filter(|(_, a)| a.is_ipv4()) {
            if !a.secondary {
                last_primary = i + 1;
            }
            if a.prefixlen == new.prefixlen && ifa_match(&address(a), &new) {
                if a.local == new.local {
                    return Err(rtnl("File exists"));
                }
                if a.scope != new.scope {
                    return Err(rtnl("Invalid argument"));
                }
                new.secondary = true;
            }
        }
        if new.secondary {
            l.addrs.push(new);
        } else {
            l.addrs.insert(last_primary, new);
        }
        Ok(())
    }

    /// `ip addr del`: the first address matching what the request carries (`inet_rtm_deladdr`).
    fn del_addr(
        &mut self,
        dev: &str,
        local: &str,
        peer: Option<&str>,
        label: Option<&str>,
    ) -> std::result::Result<(), String> {
        let (ip, len) = parse_prefix(local)?;
        let addr = match peer {
            Some(p) => Some(parse_prefix(p)?),
            None => len.map(|l| (ip, Some(l))),
        };
        let l = self.link_mut(dev)?;
        let Some(i) = l.addrs.iter().position(|a| {
            a.local == ip
                && label.is_none_or(|lb| a.label.as_deref() == Some(lb))
                && addr.is_none_or(|(x, xl)| {
                    xl.is_none_or(|xl| xl == a.prefixlen) && (!a.is_ipv4() || ifa_match(&x, a))
                })
        }) else {
            return Err(rtnl("Cannot assign requested address"));
        };
        let gone = l.addrs.remove(i);
        if gone.is_ipv4() && !gone.secondary {
            // Without promote_secondaries a primary takes its secondaries with it.
            l.addrs.retain(|a| {
                !(a.is_ipv4()
                    && a.secondary
                    && a.prefixlen == gone.prefixlen
                    && ifa_match(&address(a), &gone))
            });
        }
        Ok(())
    }

    /// `dev_change_name` and `inetdev_changename`: the first IPv4 address takes the new
    /// name as its label; the others keep their `:suffix` (or get `:N`).
    fn rename(&mut self, dev: &str, to: &str) -> std::result::Result<(), String> {
        if self.snap.link(to).is_some() {
            return Err(rtnl("File exists"));
        }
        let l = self.link_mut(dev)?;
        if l.is_up() {
            return Err(rtnl("Device or resource busy"));
        }
        l.name = to.to_string();
        let mut named = 0;
        for a in l.addrs.iter_mut().filter(|a| a.is_ipv4()) {
            let old = a.label.clone().unwrap_or_default();
            named += 1;
            if named == 1 {
                a.label = Some(to.to_string());
                continue;
            }
            let dot = match old.find(':') {
                Some(p) => old[p..].to_string(),
                None => format!(":{named}"),
            };
            let mut label = to.to_string();
            if dot.len() + to.len() < 16 {
                label.push_str(&dot);
            } else {
                label.truncate(15 - dot.len());
                label.push_str(&dot);
            }
            a.label = Some(label);
        }
        for l in &mut self.snap.links {
            if l.master.as_deref() == Some(dev) {
                l.master = Some(to.to_string());
            }
        }
        Ok(())
    }

    /// A device leaves the namespace (deleted or moved away).
    fn remove(&mut self, dev: &str) -> std::result::Result<(), String> {
        self.link_mut(dev)?;
        self.snap.links.retain(|l| l.name != dev);
        for l in &mut self.snap.links {
            if l.master.as_deref() == Some(dev) {
                l.master = None;
            }
        }
        Ok(())
    }

    fn apply_one(&mut self, op: &Op) -> std::result::Result<(), String> {
        match op {
            Op::AddLink { name, kind, .. } => {
                if self.snap.link(name).is_some() {
                    return Err(rtnl("File exists"));
                }
                let kind = match kind {
                    LinkKind::Bridge => "bridge",
                    LinkKind::Ifb => "ifb",
                };
                self.snap.links.push(new_link(name, kind));
            }
            Op::DelLink { dev, .. } | Op::MoveToNetns { dev, .. } => self.remove(dev)?,
            Op::SetMaster { dev, master, .. } => {
                if let Some(m) = master {
                    if self.snap.link(m).is_none() {
                        return Err(format!("Cannot find device \"{m}\""));
                    }
                }
                self.link_mut(dev)?.master = master.clone();
            }
            Op::SetUp { dev, up, .. } => {
                let was_up = self.link_mut(dev)?.has_flag("UP");
                self.set_flag(dev, "UP", *up)?;
                let l = self.link_mut(dev)?;
                if was_up && !*up {
                    // NETDEV_DOWN: addrconf_ifdown flushes the device's IPv6 addresses
                    // (`keep_addr_on_down` is 0 in a new namespace).
                    l.addrs.retain(|a| !a.local.is_ipv6());
                }
                l.operstate = if *up { "UNKNOWN" } else { "DOWN" }.into();
                if *up && l.has_flag("LOOPBACK") {
                    // inetdev_event(NETDEV_UP) gives loopback 127.0.0.1/8.
                    let lo = AddrSpec {
                        local: "127.0.0.1/8".into(),
                        scope: Some("host".into()),
                        ..AddrSpec::default()
                    };
                    let _ = self.add_addr(dev, &lo);
                }
            }
            Op::SetFlag { dev, flag, on, .. } => {
                let (name, inverted) = match flag {
                    LinkFlag::Arp => ("NOARP", true),
                    LinkFlag::Trailers => ("NOTRAILERS", true),
                    LinkFlag::Promisc => ("PROMISC", false),
                    LinkFlag::Allmulticast => ("ALLMULTI", false),
                    LinkFlag::Multicast => ("MULTICAST", false),
                    LinkFlag::Dynamic => ("DYNAMIC", false),
                };
                self.set_flag(dev, name, *on != inverted)?;
            }
            Op::SetMtu { dev, mtu, .. } => {
                let l = self.link_mut(dev)?;
                if *mtu < 68 && l.kind != "loopback" {
                    return Err("Error: mtu less than device minimum.".into());
                }
                l.mtu = *mtu;
            }
            Op::SetTxqlen { dev, txqlen, .. } => self.link_mut(dev)?.txqlen = *txqlen,
            Op::SetMac { dev, mac, .. } => self.link_mut(dev)?.mac = Some(mac.clone()),
            Op::Rename { dev, to, .. } => self.rename(dev, to)?,
            Op::AddAddr { dev, addr, .. } => self.add_addr(dev, addr)?,
            Op::DelAddrSpec { dev, addr, .. } => self.del_addr(
                dev,
                &addr.local,
                addr.peer.as_deref(),
                addr.label.as_deref(),
            )?,
            Op::DelAddr { dev, local, .. } => self.del_addr(dev, local, None, None)?,
            // Not modelled: nothing that reads this backend depends on them.
            Op::AddNetns { .. }
            | Op::DelNetns { .. }
            | Op::AddVeth { .. }
            | Op::AddVxlan { .. }
            | Op::AddRoute { .. }
            | Op::PrependRoute { .. }
            | Op::DelRoute { .. }
            | Op::Sysctl { .. }
            | Op::Bridge { .. }
            | Op::SetNeigh { .. }
            | Op::DelNeigh { .. }
            | Op::BridgePort { .. }
            | Op::SetQdisc { .. }
            | Op::ClearQdisc { .. }
            | Op::Run { .. }
            | Op::AddUts { .. }
            | Op::DelUts { .. }
            | Op::Start { .. }
            | Op::WriteEtc { .. }
            | Op::DelEtc { .. } => {}
        }
        Ok(())
    }
}

impl Backend for Memory {
    /// In order; the first refusal stops there (as `ip -batch` does) and is returned as the
    /// failed command, with what `ip` prints.
    fn apply(&mut self, ops: &[Op]) -> Result<()> {
        for op in ops {
            if let Err(stderr) = self.apply_one(op) {
                return Err(Error::Command {
                    argv: vec!["ip".into(), "-batch".into(), "-".into()],
                    status: Exit::Code(1),
                    stderr,
                    line: Some(op.to_string()),
                });
            }
            self.applied.push(op.clone());
        }
        Ok(())
    }

    fn snapshot(&mut self, _netns: Option<&str>) -> Result<Snapshot> {
        Ok(self.snap.clone())
    }

    /// The neighbour entries the applied Ops made (nothing else makes any here).
    fn neighbours(&mut self, _netns: Option<&str>) -> Result<Vec<crate::model::Neigh>> {
        let mut v: Vec<crate::model::Neigh> = Vec::new();
        for op in &self.applied {
            match op {
                Op::SetNeigh {
                    dev,
                    addr,
                    lladdr,
                    nud,
                    ..
                } => {
                    let proxy = lladdr.is_none();
                    v.retain(|n| {
                        !(n.dst == *addr && n.dev.as_ref() == Some(dev) && n.proxy == proxy)
                    });
                    v.push(crate::model::Neigh {
                        dst: addr.clone(),
                        dev: Some(dev.clone()),
                        lladdr: lladdr.clone(),
                        state: if proxy {
                            vec![]
                        } else {
                            vec![nud.to_uppercase()]
                        },
                        proxy,
                    });
                }
                Op::DelNeigh {
                    dev, addr, proxy, ..
                } => v.retain(|n| {
                    !(n.dst == *addr && n.dev.as_ref() == Some(dev) && n.proxy == *proxy)
                }),
                _ => {}
            }
        }
        Ok(v)
    }

    fn namespaces(&mut self) -> Result<Vec<String>> {
        Ok(vec![])
    }

    fn root_links(&mut self) -> Result<Vec<String>> {
        Ok(self.snap.links.iter().map(|l| l.name.clone()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(m: &mut Memory, local: &str, label: &str) -> Result<()> {
        m.apply(&[Op::AddAddr {
            ns: None,
            dev: "v0".into(),
            addr: AddrSpec {
                local: local.into(),
                label: Some(label.into()),
                ..AddrSpec::default()
            },
        }])
    }

    fn v0() -> Memory {
        let mut s = fresh_namespace();
        s.links.push(new_link("v0", "veth"));
        Memory::new(s)
    }

    fn shown(m: &Memory) -> Vec<String> {
        m.snap.links[1]
            .addrs
            .iter()
            .map(|a| {
                format!(
                    "{}/{} {}",
                    a.local,
                    a.prefixlen,
                    if a.secondary { "s" } else { "p" }
                )
            })
            .collect()
    }

    #[test]
    fn addresses_of_one_subnet_are_secondaries_and_go_with_their_primary() {
        let mut m = v0();
        add(&mut m, "10.0.0.1/24", "v0").unwrap();
        add(&mut m, "10.0.0.2/24", "v0:1").unwrap();
        add(&mut m, "192.168.1.1/24", "v0:2").unwrap();
        assert_eq!(
            shown(&m),
            vec!["10.0.0.1/24 p", "192.168.1.1/24 p", "10.0.0.2/24 s"]
        );
        assert!(add(&mut m, "10.0.0.1/24", "v0:3").is_err(), "EEXIST");
        m.apply(&[Op::DelAddrSpec {
            ns: None,
            dev: "v0".into(),
            addr: AddrSpec {
                local: "10.0.0.1".into(),
                label: Some("v0".into()),
                ..AddrSpec::default()
            },
        }])
        .unwrap();
        assert_eq!(shown(&m), vec!["192.168.1.1/24 p"]);
    }

    #[test]
    fn a_rename_relabels_like_inetdev_changename() {
        let mut m = v0();
        add(&mut m, "10.0.0.1/24", "v0").unwrap();
        add(&mut m, "10.0.0.2/24", "v0").unwrap();
        add(&mut m, "10.0.1.2/24", "v0:7").unwrap();
        m.apply(&[Op::Rename {
            ns: None,
            dev: "v0".into(),
            to: "eth9".into(),
        }])
        .unwrap();
        let labels: Vec<_> = m.snap.links[1]
            .addrs
            .iter()
            .map(|a| a.label.clone().unwrap())
            .collect();
        assert_eq!(labels, vec!["eth9", "eth9:7", "eth9:3"]);
    }
}
