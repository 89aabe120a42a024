//! What migrate knows statically about the namespaces a script builds.
//!
//! A namespace the script creates itself (`ip netns add NS`, unconditionally, at the top level)
//! starts empty: only `lo`, down, and no address. From there on, every line migrate
//! understands updates the picture (links created, moved, brought up or down, enslaved; IPv4
//! addresses with their labels, as the kernel holds them). Anything it does not understand that
//! may touch a namespace makes it forget that namespace, and a compound command or a
//! conditional list makes it forget everything. Where the picture is known, a legacy line whose
//! effect depends on the current state (replace an address, `add` an alias, `delbr` of a bridge
//! that may be up) is translated into plain `ip` lines; elsewhere migrate emits a run-time guard
//! or keeps the line.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;

/// An IPv4 address as the kernel holds it (`struct in_ifaddr`). Two are equal when they are
/// the same address; whether it is a secondary is the kernel's bookkeeping, not part of it.
#[derive(Debug, Clone, Eq)]
pub struct Ifa {
    pub dev: String,
    pub label: String,
    pub local: Ipv4Addr,
    pub prefixlen: u8,
    pub brd: Option<Ipv4Addr>,
    /// `ifa_address` when it differs from the local address.
    pub peer: Option<Ipv4Addr>,
    pub secondary: bool,
}

impl PartialEq for Ifa {
    fn eq(&self, o: &Ifa) -> bool {
        (
            &self.dev,
            &self.label,
            self.local,
            self.prefixlen,
            self.brd,
            self.peer,
        ) == (&o.dev, &o.label, o.local, o.prefixlen, o.brd, o.peer)
    }
}

impl Ifa {
    /// `ifa_address`: the peer, or the local address.
    pub fn address(&self) -> Ipv4Addr {
        self.peer.unwrap_or(self.local)
    }

    fn subnet(&self) -> u32 {
        u32::from(self.address()) & crate::legacy::ifconfig::set::kernel::mask_of(self.prefixlen)
    }

    /// The address in `ip addr` terms (`LOCAL/LEN`, peer, broadcast, label).
    pub fn spec(&self) -> crate::op::AddrSpec {
        let len = self.prefixlen;
        crate::op::AddrSpec {
            local: match self.peer {
                Some(_) => self.local.to_string(),
                None => format!("{}/{len}", self.local),
            },
            peer: self.peer.map(|p| format!("{p}/{len}")),
            broadcast: self.brd.map(|b| b.to_string()),
            label: (self.label != self.dev).then(|| self.label.clone()),
            scope: None,
            nodad: false,
        }
    }
}

/// A device in a known namespace.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkK {
    pub up: bool,
    pub bridge: bool,
    pub master: Option<String>,
    /// Routes or neighbour entries may use the device. Deleting its last IPv4 address then
    /// flushes them (`fib_disable_ip`), so the intermediate steps of ifconfig matter.
    pub refs: bool,
}

/// A namespace whose state migrate knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NsK {
    pub links: BTreeMap<String, LinkK>,
    /// IPv4 addresses in kernel order.
    pub addrs: Vec<Ifa>,
}

impl NsK {
    pub fn fresh() -> NsK {
        let mut links = BTreeMap::new();
        links.insert("lo".to_string(), LinkK::default());
        NsK {
            links,
            addrs: vec![],
        }
    }

    /// The first address carrying exactly this label.
    pub fn by_label(&self, label: &str) -> Option<&Ifa> {
        self.addrs.iter().find(|a| a.label == label)
    }

    /// Whether inserting `ifa` fails with EEXIST: the same local address with the same mask
    /// and subnet is already on the device.
    pub fn conflicts(&self, ifa: &Ifa) -> bool {
        self.addrs.iter().any(|a| {
            a.dev == ifa.dev
                && a.prefixlen == ifa.prefixlen
                && a.local == ifa.local
                && a.subnet() == ifa.subnet()
        })
    }

    /// Insert as the kernel does (`__inet_insert_ifa`): secondary when a primary of the same
    /// device covers the same subnet with the same mask.
    pub fn insert(&mut self, mut ifa: Ifa) {
        ifa.secondary = self.addrs.iter().any(|a| {
            a.dev == ifa.dev
                && !a.secondary
                && a.prefixlen == ifa.prefixlen
                && a.subnet() == ifa.subnet()
        });
        self.addrs.push(ifa);
    }

    /// Delete as the kernel does without `promote_secondaries`: a primary takes the
    /// secondaries of its subnet with it.
    pub fn delete(&mut self, ifa: &Ifa) {
        let Some(i) = self.addrs.iter().position(|a| a == ifa) else {
            return;
        };
        let gone = self.addrs.remove(i);
        if !gone.secondary {
            self.addrs.retain(|a| {
                !(a.dev == gone.dev
                    && a.secondary
                    && a.prefixlen == gone.prefixlen
                    && a.subnet() == gone.subnet())
            });
        }
    }

    /// Routes or neighbours may now use `dev` (all devices when `None`).
    pub fn mark_refs(&mut self, dev: Option<&str>) {
        for (name, l) in self.links.iter_mut() {
            if dev.is_none_or(|d| d == name) {
                l.refs = true;
            }
        }
    }

    pub fn rename(&mut self, from: &str, to: &str) {
        if let Some(l) = self.links.remove(from) {
            self.links.insert(to.to_string(), l);
        }
        for a in &mut self.addrs {
            if a.dev == from {
                a.dev = to.to_string();
                if a.label == from {
                    a.label = to.to_string();
                } else if let Some(rest) = a.label.strip_prefix(&format!("{from}:")) {
                    a.label = format!("{to}:{rest}");
                }
            }
        }
        for l in self.links.values_mut() {
            if l.master.as_deref() == Some(from) {
                l.master = Some(to.to_string());
            }
        }
    }

    /// A device leaves (deleted or moved away): its addresses go, its ports are released.
    pub fn remove_link(&mut self, name: &str) -> Option<LinkK> {
        self.addrs.retain(|a| a.dev != name);
        for l in self.links.values_mut() {
            if l.master.as_deref() == Some(name) {
                l.master = None;
            }
        }
        self.links.remove(name)
    }
}

/// Knowledge about every namespace, keyed by the namespace word's [`key`](super::shell::Word::key).
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub spaces: HashMap<String, NsK>,
}

impl Known {
    pub fn forget_all(&mut self) {
        self.spaces.clear();
    }

    pub fn forget(&mut self, key: &str) {
        self.spaces.remove(key);
    }
}
