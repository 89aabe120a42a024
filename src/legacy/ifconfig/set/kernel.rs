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

use super::grammar::IFNAMSIZ_MAX;
use crate::error::Error;
use crate::model::{Addr, Link, Snapshot};
use crate::op::{AddrSpec, LinkFlag, Op};
use std::cmp::Ordering;
use std::net::{IpAddr, Ipv4Addr};

pub const ENODEV: &str = "No such device";
pub const EADDRNOTAVAIL: &str = "Cannot assign requested address";
pub const EINVAL: &str = "Invalid argument";
pub const EBADF: &str = "Bad file descriptor";
pub const EOPNOTSUPP: &str = "Operation not supported";
pub const EBUSY: &str = "Device or resource busy";
pub const EPERM: &str = "Operation not permitted";

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

/// `inet_abc_len`: the classful prefix length, `None` for class D (multicast). Since Linux
/// 5.3 only 0.0.0.0 itself counts as "zeronet": the rest of 0/8 is class A.
pub fn abc_len(a: Ipv4Addr) -> Option<u8> {
    let h = u32::from(a);
    if h == 0 || h == u32::MAX {
        return Some(0);
    }
    match h >> 28 {
        0..=7 => Some(8),
        8..=11 => Some(16),
        12..=13 => Some(24),
        14 => None,
        _ => Some(32),
    }
}

pub fn mask_of(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len as u32)
    }
}

/// The broadcast address SIOCSIFADDR gives `ip/len`: the subnet's last address, on a
/// broadcast-capable device and for prefixes shorter than /31; otherwise none.
pub fn implied_broadcast(ip: Ipv4Addr, len: u8, brd_capable: bool) -> Option<Ipv4Addr> {
    (brd_capable && len < 31).then(|| Ipv4Addr::from(u32::from(ip) | !mask_of(len)))
}

/// The broadcast address after SIOCSIFNETMASK changes `old_mask` to `new_mask`: it follows
/// the new mask only if it was the one the old mask implied (`None`: it stays as it is).
pub fn broadcast_after_netmask(
    local: Ipv4Addr,
    old_mask: u32,
    old_brd: Ipv4Addr,
    new_mask: u32,
    brd_capable: bool,
) -> Option<Ipv4Addr> {
    let local = u32::from(local);
    (brd_capable && new_mask.count_ones() < 31 && u32::from(old_brd) == local | !old_mask)
        .then(|| Ipv4Addr::from(local | !new_mask))
}

/// `bad_mask(mask, 0)`: not a contiguous run of ones.
pub fn bad_mask(m: u32) -> bool {
    let host = !m;
    host & host.wrapping_add(1) != 0
}

/// `dev_valid_name`.
pub fn dev_valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= IFNAMSIZ_MAX
        && n != "."
        && n != ".."
        && !n
            .bytes()
            .any(|b| b == b'/' || b == b':' || b.is_ascii_whitespace())
}

/// net-tools `nstrcmp`: the order of its interface list.
pub fn nstrcmp(a: &str, b: &str) -> Ordering {
    fn split(s: &str) -> (&str, Option<&str>) {
        match s.rsplit_once(':') {
            Some((h, t)) if !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()) => (h, Some(t)),
            _ => (s, None),
        }
    }
    fn tail(s: &str) -> (&str, &str) {
        let i = s.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        (&s[..i], &s[i..])
    }
    let num = |d: &str| d.parse::<u128>().unwrap_or(0);
    let ((ha, aa), (hb, ab)) = (split(a), split(b));
    let ((pa, da), (pb, db)) = (tail(ha), tail(hb));
    let n = pa.len().min(pb.len());
    pa.as_bytes()[..n]
        .cmp(&pb.as_bytes()[..n])
        .then(pa.len().cmp(&pb.len()))
        .then(num(da).cmp(&num(db)))
        .then(ha.cmp(hb))
        .then(aa.map(num).cmp(&ab.map(num)))
        .then(a.cmp(b))
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

/// The `strerror` text for a failed `ip` command, from what `ip` printed.
pub fn errno_of(e: &Error) -> Errno {
    let Error::Command { stderr, .. } = e else {
        return e.to_string();
    };
    for line in stderr.lines() {
        if let Some(t) = line.strip_prefix("RTNETLINK answers: ") {
            return t.trim().to_string();
        }
        if line.starts_with("Cannot find device") {
            return ENODEV.to_string();
        }
        if let Some(m) = line.strip_prefix("Error: ") {
            return extack_errno(m).to_string();
        }
    }
    EINVAL.to_string()
}

/// The errno behind a netlink extended-ack message (the ioctl path has no message).
pub fn extack_errno(m: &str) -> &'static str {
    let m = m.to_ascii_lowercase();
    if m.contains("ipv6 is disabled") {
        "No such device or address"
    } else if m.contains("unable to find the interface") {
        ENODEV
    } else if m.contains("already") || m.contains("exists") {
        "File exists"
    } else if m.contains("busy") {
        EBUSY
    } else if m.contains("not supported") {
        EOPNOTSUPP
    } else if m.contains("cannot assign") || m.contains("not found") {
        EADDRNOTAVAIL
    } else if m.contains("permission") || m.contains("not permitted") {
        "Operation not permitted"
    } else {
        EINVAL
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
        return Err("No buffer space available".into());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn classful_lengths_follow_the_kernel_since_5_3() {
        assert_eq!(abc_len(ip("0.0.0.0")), Some(0));
        assert_eq!(
            abc_len(ip("0.1.2.3")),
            Some(8),
            "0/8 is class A since Linux 5.3"
        );
        assert_eq!(abc_len(ip("10.1.2.3")), Some(8));
        assert_eq!(abc_len(ip("172.16.0.1")), Some(16));
        assert_eq!(abc_len(ip("192.168.1.1")), Some(24));
        assert_eq!(abc_len(ip("224.0.0.1")), None);
        assert_eq!(abc_len(ip("240.0.0.1")), Some(32));
        assert_eq!(abc_len(ip("255.255.255.255")), Some(0));
    }

    #[test]
    fn the_implied_broadcast_needs_a_broadcast_device_and_a_short_prefix() {
        assert_eq!(
            implied_broadcast(ip("10.1.2.3"), 8, true),
            Some(ip("10.255.255.255"))
        );
        assert_eq!(implied_broadcast(ip("10.1.2.3"), 8, false), None);
        assert_eq!(implied_broadcast(ip("10.1.2.3"), 31, true), None);
        assert_eq!(implied_broadcast(ip("10.1.2.3"), 32, true), None);
    }

    #[test]
    fn a_new_netmask_moves_only_the_broadcast_the_old_one_implied() {
        let local = ip("10.1.2.3");
        let (m8, m24) = (mask_of(8), mask_of(24));
        assert_eq!(
            broadcast_after_netmask(local, m8, ip("10.255.255.255"), m24, true),
            Some(ip("10.1.2.255"))
        );
        // A broadcast set by hand stays.
        assert_eq!(
            broadcast_after_netmask(local, m8, ip("10.9.9.9"), m24, true),
            None
        );
        assert_eq!(
            broadcast_after_netmask(local, m8, ip("10.255.255.255"), m24, false),
            None
        );
        assert_eq!(
            broadcast_after_netmask(local, m8, ip("10.255.255.255"), mask_of(31), true),
            None
        );
        assert!(bad_mask(0xff00ff00));
        assert!(!bad_mask(m24));
    }
}
