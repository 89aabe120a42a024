//! The kernel's side of ifconfig's ioctls, as pure functions of a [`Snapshot`]: what one
//! ioctl does to the namespace, as the `ip` Ops that reproduce it, or the errno it fails
//! with (`net/ipv4/devinet.c`, `net/core/dev_ioctl.c`). The executor applies the Ops one
//! ioctl at a time; `nslab migrate` can call these with a snapshot it keeps itself.
//!
//! * `SIOCSIFADDR`/`NETMASK`/`BRDADDR`/`DSTADDR` act on the first IPv4 address whose label
//!   is the name given. Changing one deletes the address and inserts it again, which is
//!   `ip addr del` + `ip addr add` with the same label, scope and peer; the kernel then
//!   drops (or promotes) secondaries exactly as it does for the ioctl.
//! * `SIOCSIFFLAGS` on an alias name (`eth0:1`) through an AF_INET socket only deletes that
//!   label's address when UP is cleared; on a device it is `ip link set` of what changed.
//! * Other device ioctls ignore everything from the `:` on.

use crate::error::Error;
// The classful rules moved to `legacy::linux`; re-exported for the old paths.
pub use crate::legacy::linux::{
    abc_len, bad_mask, broadcast_after_netmask, implied_broadcast, mask_of,
};
use crate::legacy::linux::{EADDRNOTAVAIL, EINVAL, ENOBUFS, ENODEV};
use crate::model::{Addr, Link, Snapshot};
use crate::op::{AddrSpec, LinkFlag, Op};
use std::net::{IpAddr, Ipv4Addr};

/// A failed kernel call: the `strerror` text ifconfig prints.
pub type Errno = String;

/// What one ioctl does: the Ops reproducing it (empty: nothing changes), or its errno.
pub type Effect = Result<Vec<Op>, Errno>;

// Flag bits as SIOCGIFFLAGS returns them.
pub const IFF_UP: u16 = 0x1;
pub const IFF_RUNNING: u16 = 0x40;
pub const IFF_BROADCAST: u16 = 0x2;
pub const IFF_POINTOPOINT: u16 = 0x10;

/// The device part of a name (`eth0` of `eth0:1`), as the kernel's ioctls use it.
pub fn base(name: &str) -> &str {
    name.split(':').next().unwrap_or(name)
}

/// The flags word SIOCGIFFLAGS returns for a link.
pub fn flags_of(link: &Link) -> u16 {
    const NAMES: &[(&str, u16)] = &[
        ("UP", 0x1),
        ("BROADCAST", 0x2),
        ("DEBUG", 0x4),
        ("LOOPBACK", 0x8),
        ("POINTOPOINT", 0x10),
        ("NOTRAILERS", 0x20),
        ("NOARP", 0x80),
        ("PROMISC", 0x100),
        ("ALLMULTI", 0x200),
        ("MASTER", 0x400),
        ("SLAVE", 0x800),
        ("MULTICAST", 0x1000),
        ("PORTSEL", 0x2000),
        ("AUTOMEDIA", 0x4000),
        ("DYNAMIC", 0x8000),
    ];
    let mut f = NAMES
        .iter()
        .filter(|(n, _)| link.has_flag(n))
        .fold(0, |acc, (_, b)| acc | b);
    if link.is_running() {
        f |= IFF_RUNNING;
    }
    f
}

/// The IPv4 address a name designates: the first in kernel order with exactly that label.
pub fn ifa_of<'l>(link: &'l Link, label: &str) -> Option<&'l Addr> {
    link.addrs
        .iter()
        .find(|a| a.is_ipv4() && a.label.as_deref() == Some(label))
}

pub fn v4(a: IpAddr) -> Ipv4Addr {
    match a {
        IpAddr::V4(a) => a,
        IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
    }
}

/// An IPv4 address as the kernel holds it (`struct in_ifaddr`).
#[derive(Debug, Clone)]
pub struct Ifa {
    pub local: Ipv4Addr,
    /// `ifa_address`: the peer, or the local address again.
    pub address: Ipv4Addr,
    pub prefixlen: u8,
    pub broadcast: Ipv4Addr,
    pub label: String,
    pub scope: String,
}

impl Ifa {
    pub fn from_addr(a: &Addr) -> Ifa {
        let local = v4(a.local);
        Ifa {
            local,
            address: a.peer.map(v4).unwrap_or(local),
            prefixlen: a.prefixlen,
            broadcast: a.broadcast.map(v4).unwrap_or(Ipv4Addr::UNSPECIFIED),
            label: a.label.clone().unwrap_or_default(),
            scope: a.scope.clone(),
        }
    }

    pub fn mask(&self) -> u32 {
        mask_of(self.prefixlen)
    }

    /// What `ip addr del` needs to delete exactly this address: the local address without a
    /// length (iproute2 then leaves out IFA_ADDRESS, and the kernel matches local and label
    /// only, as the ioctl's label lookup does, even for a hidden peer of 0.0.0.0).
    pub fn del_spec(&self) -> AddrSpec {
        AddrSpec {
            local: self.local.to_string(),
            label: Some(self.label.clone()),
            ..AddrSpec::default()
        }
    }

    pub fn spec(&self) -> AddrSpec {
        let len = self.prefixlen;
        AddrSpec {
            local: format!("{}/{len}", self.local),
            peer: (self.address != self.local).then(|| format!("{}/{len}", self.address)),
            broadcast: (!self.broadcast.is_unspecified()).then(|| self.broadcast.to_string()),
            label: Some(self.label.clone()),
            scope: (self.scope != "global").then(|| self.scope.clone()),
            nodad: false,
        }
    }
}

/// SIOCGIFFLAGS: the flags of the device a name is on.
pub fn siocgifflags(snap: &Snapshot, name: &str) -> Result<u16, Errno> {
    snap.link(base(name))
        .map(flags_of)
        .ok_or_else(|| ENODEV.to_string())
}

/// SIOCSIFFLAGS with the flags `want`. `inet_socket`: through an AF_INET socket, where an
/// alias name means its address (other sockets go to the device, `:N` ignored).
pub fn siocsifflags(snap: &Snapshot, inet_socket: bool, name: &str, want: u16) -> Effect {
    let Some(link) = snap.link(base(name)) else {
        return Err(ENODEV.into());
    };
    if inet_socket && name.contains(':') {
        // devinet_ioctl: on an alias, only clearing UP does anything (it deletes it).
        let Some(ifa) = ifa_of(link, name).map(Ifa::from_addr) else {
            return Err(EADDRNOTAVAIL.into());
        };
        if want & IFF_UP != 0 {
            return Ok(vec![]);
        }
        return Ok(vec![Op::DelAddrSpec {
            ns: None,
            dev: link.name.clone(),
            addr: ifa.del_spec(),
        }]);
    }
    // dev_change_flags: only some bits can change; ip can set all of them but
    // DEBUG, PORTSEL and AUTOMEDIA.
    let diff = flags_of(link) ^ want;
    let dev = &link.name;
    let table: &[(u16, LinkFlag, bool)] = &[
        (0x80, LinkFlag::Arp, true),
        (0x20, LinkFlag::Trailers, true),
        (0x1000, LinkFlag::Multicast, false),
        (0x8000, LinkFlag::Dynamic, false),
        (0x100, LinkFlag::Promisc, false),
        (0x200, LinkFlag::Allmulticast, false),
    ];
    let mut ops: Vec<Op> = table
        .iter()
        .filter(|(bit, _, _)| diff & bit != 0)
        .map(|&(bit, flag, inverted)| Op::SetFlag {
            ns: None,
            dev: dev.clone(),
            flag,
            on: (want & bit != 0) != inverted,
        })
        .collect();
    if diff & IFF_UP != 0 {
        ops.push(Op::SetUp {
            ns: None,
            dev: dev.clone(),
            up: want & IFF_UP != 0,
        });
    }
    Ok(ops)
}

/// The Op that sets (`set`) or clears the flag `bits` on a device, whatever its state, when
/// `ip link set` can change that flag; `None` for the others (BROADCAST, POINTOPOINT,
/// AUTOMEDIA… which SIOCSIFFLAGS cannot change or `ip` cannot set).
pub fn flag_op(dev: &str, bits: u16, set: bool) -> Option<Op> {
    let flag = |flag, on| {
        Some(Op::SetFlag {
            ns: None,
            dev: dev.to_string(),
            flag,
            on,
        })
    };
    match bits & !IFF_RUNNING {
        IFF_UP => Some(Op::SetUp {
            ns: None,
            dev: dev.to_string(),
            up: set,
        }),
        0x80 => flag(LinkFlag::Arp, !set),
        0x20 => flag(LinkFlag::Trailers, !set),
        0x1000 => flag(LinkFlag::Multicast, set),
        0x8000 => flag(LinkFlag::Dynamic, set),
        0x100 => flag(LinkFlag::Promisc, set),
        0x200 => flag(LinkFlag::Allmulticast, set),
        _ => None,
    }
}

/// The device and the label's address for a devinet ioctl.
fn devinet<'s>(snap: &'s Snapshot, label: &str) -> Result<(&'s Link, Option<Ifa>), Errno> {
    let link = snap.link(base(label)).ok_or_else(|| ENODEV.to_string())?;
    Ok((link, ifa_of(link, label).map(Ifa::from_addr)))
}

/// Delete `old` and insert `new` as the kernel does. Whether a failed insert is an error
/// depends on the ioctl: SIOCSIFADDR reports it; NETMASK, BRDADDR and DSTADDR ignore it
/// (the address is then simply gone), see [`insert_failure_ignored`].
fn reinsert(dev: &str, old: Option<&Ifa>, new: Option<&Ifa>) -> Vec<Op> {
    let del = old.map(|o| Op::DelAddrSpec {
        ns: None,
        dev: dev.to_string(),
        addr: o.del_spec(),
    });
    let add = new.map(|n| Op::AddAddr {
        ns: None,
        dev: dev.to_string(),
        addr: n.spec(),
    });
    del.into_iter().chain(add).collect()
}

/// Whether an error from applying an Effect is the ignored re-insert of NETMASK, BRDADDR
/// or DSTADDR (the failing line is the `addr add`).
pub fn insert_failure_ignored(e: &Error) -> bool {
    matches!(e, Error::Command { line: Some(l), .. } if l.contains(" addr add "))
}

/// SIOCSIFADDR on an AF_INET socket.
pub fn siocsifaddr(snap: &Snapshot, label: &str, ip: Ipv4Addr) -> Effect {
    let (link, old) = devinet(snap, label)?;
    let len = abc_len(ip).ok_or_else(|| EINVAL.to_string())?;
    // A device whose MTU is below 68 has no IPv4 configuration (inetdev) to add to.
    if old.is_none() && link.mtu < 68 {
        return Err(ENOBUFS.into());
    }
    if old.as_ref().is_some_and(|o| o.local == ip) {
        return Ok(vec![]);
    }
    let flags = flags_of(link);
    let (prefixlen, broadcast) = if flags & IFF_POINTOPOINT != 0 {
        (32, Ipv4Addr::UNSPECIFIED)
    } else {
        let brd = implied_broadcast(ip, len, flags & IFF_BROADCAST != 0);
        (len, brd.unwrap_or(Ipv4Addr::UNSPECIFIED))
    };
    // inet_set_ifa: loopback addresses get host scope; 0.0.0.0 is never inserted.
    let new = (!ip.is_unspecified()).then(|| Ifa {
        local: ip,
        address: ip,
        prefixlen,
        broadcast,
        label: if label.contains(':') {
            label.to_string()
        } else {
            link.name.clone()
        },
        scope: if ip.octets()[0] == 127 {
            "host"
        } else {
            "global"
        }
        .to_string(),
    });
    Ok(reinsert(&link.name, old.as_ref(), new.as_ref()))
}

/// SIOCSIFNETMASK.
pub fn siocsifnetmask(snap: &Snapshot, label: &str, m: Ipv4Addr) -> Effect {
    let (link, old) = devinet(snap, label)?;
    let old = old.ok_or_else(|| EADDRNOTAVAIL.to_string())?;
    let m = u32::from(m);
    if bad_mask(m) {
        return Err(EINVAL.into());
    }
    if old.mask() == m {
        return Ok(vec![]);
    }
    let mut new = old.clone();
    new.prefixlen = m.count_ones() as u8;
    let brd_capable = flags_of(link) & IFF_BROADCAST != 0;
    if let Some(b) = broadcast_after_netmask(old.local, old.mask(), old.broadcast, m, brd_capable) {
        new.broadcast = b;
    }
    Ok(reinsert(&link.name, Some(&old), Some(&new)))
}

/// SIOCSIFBRDADDR.
pub fn siocsifbrdaddr(snap: &Snapshot, label: &str, b: Ipv4Addr) -> Effect {
    let (link, old) = devinet(snap, label)?;
    let old = old.ok_or_else(|| EADDRNOTAVAIL.to_string())?;
    if old.broadcast == b {
        return Ok(vec![]);
    }
    let mut new = old.clone();
    new.broadcast = b;
    Ok(reinsert(&link.name, Some(&old), Some(&new)))
}

/// SIOCSIFDSTADDR on an AF_INET socket.
pub fn siocsifdstaddr(snap: &Snapshot, label: &str, d: Ipv4Addr) -> Effect {
    let (link, old) = devinet(snap, label)?;
    let old = old.ok_or_else(|| EADDRNOTAVAIL.to_string())?;
    if old.address == d {
        return Ok(vec![]);
    }
    if abc_len(d).is_none() {
        return Err(EINVAL.into());
    }
    let mut new = old.clone();
    new.address = d;
    Ok(reinsert(&link.name, Some(&old), Some(&new)))
}
