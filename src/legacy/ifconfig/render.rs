//! The display half of net-tools `ifconfig`, as a pure function of a [`Snapshot`], the
//! text of `/proc/net/if_inet6`, the request and the [`Dialect`]: 2.10 (`flags=…  mtu`,
//! `inet … netmask …`) or the classic 1.60 of RHEL/CentOS 6 (`Link encap:`, `inet addr:`,
//! `Bcast:`, `Mask:`). Both dialects read the same kernel values the same way; only the
//! layout, the byte unit `b`, uppercase MACs and the classic name order differ. Nothing here
//! reads the system, so the offline tests in `tests/ifconfig.rs` feed it recorded dumps and
//! compare with what the real tools printed on the same kernel state (2.10 in
//! `compat/ifconfig/`, the classic build in `compat/classic/ifconfig/`).
//!
//! How net-tools works, and what we rebuild from `ip -j` data (net-tools `lib/interface.c`,
//! `ifconfig.c`; the kernel's `dev_ioctl`/`devinet_ioctl`):
//! * the interface list is `/proc/net/dev` (every device) plus the IPv4 labels SIOCGIFCONF
//!   returns (labels of down devices too), kept sorted by [`nstrcmp`] (1.60: [`nstrcmp_classic`])
//!   with an insertion sort;
//! * each entry is fetched with ioctls on its name: the kernel cuts the name at the first
//!   `:` for flags, MTU, MAC and queue length (so an alias shows its device's values, and a
//!   nonexistent alias of an existing device still gets a block), while the IPv4 address is
//!   the first one in list order whose label equals the whole name;
//! * statistics exist only for names listed in `/proc/net/dev` (devices, not aliases);
//! * IPv6 lines come from `/proc/net/if_inet6`, in that file's order.

use super::ShowArgs;
use crate::legacy::dialect::Dialect;
use crate::legacy::linux::{nstrcmp, nstrcmp_classic};
use crate::model::{Addr, Link, Snapshot, Stats};
use std::cmp::Ordering;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

// The kernel's IFF_* bits, as SIOCGIFFLAGS reports them (low 16 bits of dev_get_flags).
const IFF_UP: u32 = 0x1;
const IFF_BROADCAST: u32 = 0x2;
const IFF_DEBUG: u32 = 0x4;
const IFF_LOOPBACK: u32 = 0x8;
const IFF_POINTOPOINT: u32 = 0x10;
const IFF_NOTRAILERS: u32 = 0x20;
const IFF_RUNNING: u32 = 0x40;
const IFF_NOARP: u32 = 0x80;
const IFF_PROMISC: u32 = 0x100;
const IFF_ALLMULTI: u32 = 0x200;
const IFF_MASTER: u32 = 0x400;
const IFF_SLAVE: u32 = 0x800;
const IFF_MULTICAST: u32 = 0x1000;
const IFF_PORTSEL: u32 = 0x2000;
const IFF_AUTOMEDIA: u32 = 0x4000;
const IFF_DYNAMIC: u32 = 0x8000;

/// `ip` flag names → bits. RUNNING is not among them (iproute2 drops it); LOWER_UP and
/// friends are above bit 15 and vanish in ifconfig's `short`.
const IP_FLAG_BITS: &[(&str, u32)] = &[
    ("UP", IFF_UP),
    ("BROADCAST", IFF_BROADCAST),
    ("DEBUG", IFF_DEBUG),
    ("LOOPBACK", IFF_LOOPBACK),
    ("POINTOPOINT", IFF_POINTOPOINT),
    ("NOTRAILERS", IFF_NOTRAILERS),
    ("NOARP", IFF_NOARP),
    ("PROMISC", IFF_PROMISC),
    ("ALLMULTI", IFF_ALLMULTI),
    ("MASTER", IFF_MASTER),
    ("SLAVE", IFF_SLAVE),
    ("MULTICAST", IFF_MULTICAST),
    ("PORTSEL", IFF_PORTSEL),
    ("AUTOMEDIA", IFF_AUTOMEDIA),
    ("DYNAMIC", IFF_DYNAMIC),
];

/// The names of the long format, in ifconfig's fixed order. PORTSEL and AUTOMEDIA are
/// counted in the number but never named.
const LONG_NAMES: &[(u32, &str)] = &[
    (IFF_UP, "UP"),
    (IFF_BROADCAST, "BROADCAST"),
    (IFF_DEBUG, "DEBUG"),
    (IFF_LOOPBACK, "LOOPBACK"),
    (IFF_POINTOPOINT, "POINTOPOINT"),
    (IFF_NOTRAILERS, "NOTRAILERS"),
    (IFF_RUNNING, "RUNNING"),
    (IFF_NOARP, "NOARP"),
    (IFF_PROMISC, "PROMISC"),
    (IFF_ALLMULTI, "ALLMULTI"),
    (IFF_SLAVE, "SLAVE"),
    (IFF_MASTER, "MASTER"),
    (IFF_MULTICAST, "MULTICAST"),
    (IFF_DYNAMIC, "DYNAMIC"),
];

/// The letters of the `-s` table, in order (`P` is both PROMISC and POINTOPOINT).
const SHORT_LETTERS: &[(u32, char)] = &[
    (IFF_ALLMULTI, 'A'),
    (IFF_BROADCAST, 'B'),
    (IFF_DEBUG, 'D'),
    (IFF_LOOPBACK, 'L'),
    (IFF_MULTICAST, 'M'),
    (IFF_DYNAMIC, 'd'),
    (IFF_PROMISC, 'P'),
    (IFF_NOTRAILERS, 'N'),
    (IFF_NOARP, 'O'),
    (IFF_POINTOPOINT, 'P'),
    (IFF_SLAVE, 's'),
    (IFF_MASTER, 'm'),
    (IFF_RUNNING, 'R'),
    (IFF_UP, 'U'),
];

/// The `-s` header. It does not line up with the rows; that is how net-tools prints it.
pub fn short_header(d: Dialect) -> &'static str {
    match d {
        Dialect::Modern => {
            "Iface      MTU    RX-OK RX-ERR RX-DRP RX-OVR    TX-OK TX-ERR TX-DRP TX-OVR Flg\n"
        }
        Dialect::Classic => {
            "Iface   MTU Met    RX-OK RX-ERR RX-DRP RX-OVR    TX-OK TX-ERR TX-DRP TX-OVR Flg\n"
        }
    }
}

/// The flags word SIOCGIFFLAGS would return for this device (16 bits, unsigned here).
pub fn flags_of(link: &Link) -> u32 {
    let mut bits = 0;
    for f in &link.flags {
        if let Some((_, b)) = IP_FLAG_BITS.iter().find(|(n, _)| n == f) {
            bits |= b;
        }
    }
    if link.is_running() {
        bits |= IFF_RUNNING;
    }
    bits & 0xffff
}

/// `flags=N<NAMES>` exactly as net-tools builds it, including its odd endings: `flags=0<`
/// when no bit is set, and no `<…>` at all when only unnamed bits are set.
pub fn flags_field(flags: u32) -> String {
    let mut s = format!("flags={}<", flags as u16 as i16);
    if flags == 0 {
        s.push('>');
    }
    for (bit, name) in LONG_NAMES {
        if flags & bit != 0 {
            s.push_str(name);
            s.push(',');
        }
    }
    if s.ends_with(',') {
        s.pop();
        s.push('>');
    } else {
        s.pop();
    }
    s
}

/// The flag names of the long format (what jc calls `state`).
pub fn flag_names(flags: u32) -> Vec<&'static str> {
    LONG_NAMES
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, n)| *n)
        .collect()
}

fn short_flags(flags: u32) -> String {
    let mut s = String::new();
    if flags == 0 {
        s.push_str("[NO FLAGS]");
    }
    for (bit, c) in SHORT_LETTERS {
        if flags & bit != 0 {
            s.push(*c);
        }
    }
    s
}

/// The counters as `/proc/net/dev` sums them (net/core/net-procfs.c), which is what
/// net-tools reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcDev {
    pub rx_bytes: u64,
    pub rx_packets: u64,
    pub rx_errors: u64,
    pub rx_dropped: u64,
    pub rx_fifo: u64,
    pub rx_frame: u64,
    pub tx_bytes: u64,
    pub tx_packets: u64,
    pub tx_errors: u64,
    pub tx_dropped: u64,
    pub tx_fifo: u64,
    pub collisions: u64,
    pub tx_carrier: u64,
}

impl From<&Stats> for ProcDev {
    fn from(s: &Stats) -> Self {
        let (r, t) = (&s.rx, &s.tx);
        ProcDev {
            rx_bytes: r.bytes,
            rx_packets: r.packets,
            rx_errors: r.errors,
            rx_dropped: r.dropped.wrapping_add(r.missed_errors),
            rx_fifo: r.fifo_errors,
            rx_frame: r
                .length_errors
                .wrapping_add(r.over_errors)
                .wrapping_add(r.crc_errors)
                .wrapping_add(r.frame_errors),
            tx_bytes: t.bytes,
            tx_packets: t.packets,
            tx_errors: t.errors,
            tx_dropped: t.dropped,
            tx_fifo: t.fifo_errors,
            // `ip` reports the device's one collisions counter under tx.
            collisions: t.collisions,
            tx_carrier: t
                .carrier_errors
                .wrapping_add(t.aborted_errors)
                .wrapping_add(t.window_errors)
                .wrapping_add(t.heartbeat_errors),
        }
    }
}

/// The byte count in brackets: binary units, switching only above each power of 1024,
/// truncated to one decimal (`1024.0 B`, `1.0 KiB` for 1084). 1.60 writes bytes as `b`.
pub fn human_bytes(b: u64, d: Dialect) -> String {
    const UNITS: &[(u64, &str)] = &[
        (1 << 50, "PiB"),
        (1 << 40, "TiB"),
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1 << 10, "KiB"),
    ];
    let (tenths, unit) = if b > 1 << 60 {
        // net-tools divides by 2^60/10 here instead of multiplying first.
        (b / 115_292_150_460_684_697, "EiB")
    } else {
        UNITS
            .iter()
            .find(|(limit, _)| b > *limit)
            .map_or((b * 10, byte_unit(d)), |(limit, unit)| {
                (b * 10 / limit, *unit)
            })
    };
    format!("{}.{} {}", tenths / 10, tenths % 10, unit)
}

fn byte_unit(d: Dialect) -> &'static str {
    match d {
        Dialect::Modern => "B",
        Dialect::Classic => "b",
    }
}

/// One line of `/proc/net/if_inet6`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inet6Line {
    pub addr: [u8; 16],
    pub prefixlen: u32,
    pub scope: u32,
    pub dev: String,
}

/// Parse `/proc/net/if_inet6`: `ADDR32 IFINDEX PLEN SCOPE FLAGS NAME`, all numbers hex.
pub fn parse_if_inet6(text: &str) -> Vec<Inet6Line> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 6 || f[0].len() != 32 {
                return None;
            }
            let mut addr = [0u8; 16];
            for (i, b) in addr.iter_mut().enumerate() {
                *b = u8::from_str_radix(&f[0][2 * i..2 * i + 2], 16).ok()?;
            }
            Some(Inet6Line {
                addr,
                prefixlen: u32::from_str_radix(f[2], 16).ok()?,
                scope: u32::from_str_radix(f[3], 16).ok()?,
                dev: f[5].to_string(),
            })
        })
        .collect()
}

/// glibc `inet_ntop(AF_INET6)`: the longest run (≥ 2) of zero groups becomes `::`, the first
/// one on a tie; `::a.b.c.d` and `::ffff:a.b.c.d` print the IPv4 part dotted.
pub fn inet_ntop6(a: &[u8; 16]) -> String {
    let w: Vec<u16> = (0..8)
        .map(|i| u16::from_be_bytes([a[2 * i], a[2 * i + 1]]))
        .collect();
    let (mut best, mut best_len) = (None::<usize>, 0usize);
    let mut i = 0;
    while i < 8 {
        if w[i] == 0 {
            let start = i;
            while i < 8 && w[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                best = Some(start);
                best_len = i - start;
            }
        } else {
            i += 1;
        }
    }
    if best_len < 2 {
        best = None;
    }
    let mut s = String::new();
    let mut i = 0;
    while i < 8 {
        if let Some(b) = best {
            if i >= b && i < b + best_len {
                if i == b {
                    s.push(':');
                }
                i += 1;
                continue;
            }
        }
        if i != 0 {
            s.push(':');
        }
        if i == 6 && best == Some(0) && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)) {
            let _ = write!(s, "{}.{}.{}.{}", a[12], a[13], a[14], a[15]);
            break;
        }
        let _ = write!(s, "{:x}", w[i]);
        i += 1;
    }
    if let Some(b) = best {
        if b + best_len == 8 {
            s.push(':');
        }
    }
    s
}

/// How ifconfig prints an IPv6 address: `inet_ntop`, then an IPv4-mapped address loses
/// everything up to the last `:` before its dotted part (`::ffff:1.2.3.4` → `1.2.3.4`).
pub fn ifconfig_inet6(a: &[u8; 16]) -> String {
    let s = inet_ntop6(a);
    let mapped = a[..10].iter().all(|b| *b == 0) && a[10] == 0xff && a[11] == 0xff;
    if mapped {
        if let Some(dot) = s.find('.') {
            if let Some(colon) = s[..dot].rfind(':') {
                return s[colon + 1..].to_string();
            }
        }
    }
    s
}

/// The `<…>` text after `scopeid 0xN`, built the way net-tools does (may be empty).
pub fn scope_names(scope: u32) -> String {
    let mut s = String::from("<");
    let mut scope = scope;
    if scope & 0x80 != 0 {
        s.push_str("compat,");
        scope -= 0x80;
    }
    if scope == 0 {
        s.push_str("global,");
    }
    for (bit, name) in [(0x20, "link,"), (0x40, "site,"), (0x10, "host,")] {
        if scope & bit != 0 {
            s.push_str(name);
        }
    }
    if s.ends_with(',') {
        s.pop();
        s.push('>');
    } else {
        s.pop();
    }
    s
}

/// The classic `Scope:` word for an `/proc/net/if_inet6` scope: only the exact values
/// 1.60 knows have a name.
pub fn classic_scope(scope: u32) -> &'static str {
    match scope {
        0 => "Global",
        0x20 => "Link",
        0x40 => "Site",
        0x80 => "Compat",
        0x10 => "Host",
        _ => "Unknown",
    }
}

/// The hardware line's pieces for an `ip` link type: name, address text, title.
pub fn hardware(link: &Link) -> (&'static str, Option<String>, &'static str) {
    let bytes: Vec<u8> = link
        .mac
        .as_deref()
        .unwrap_or("")
        .split(':')
        .filter_map(|h| u8::from_str_radix(h, 16).ok())
        .collect();
    match link.link_type.as_str() {
        "ether" => {
            let mut b = bytes;
            b.resize(6, 0);
            let mac = b
                .iter()
                .take(6)
                .map(|x| format!("{x:02x}"))
                .collect::<Vec<_>>()
                .join(":");
            ("ether", Some(mac), "Ethernet")
        }
        "loopback" => ("loop", None, "Local Loopback"),
        _ => {
            // ARPHRD_NONE (tun) and anything net-tools has no type for: `unspec`, 16 bytes
            // of which SIOCGIFHWADDR fills the first 8.
            let mut b: Vec<u8> = bytes.into_iter().take(8).collect();
            b.resize(16, 0);
            let text = b
                .iter()
                .map(|x| format!("{x:02X}"))
                .collect::<Vec<_>>()
                .join("-");
            ("unspec", Some(text), "UNSPEC")
        }
    }
}

/// The interface list of `ifconfig`/`ifconfig -a`: devices (the `/proc/net/dev` pass), then
/// IPv4 labels (the SIOCGIFCONF pass), inserted the way `if_cache_add` (1.60:
/// `add_interface`) does, with the dialect's `nstrcmp`.
pub fn interface_list(snap: &Snapshot, d: Dialect) -> Vec<String> {
    let cmp = match d {
        Dialect::Modern => nstrcmp,
        Dialect::Classic => nstrcmp_classic,
    };
    let add = |list: &mut Vec<String>, name: &str| {
        let mut at = 0;
        for i in (0..list.len()).rev() {
            match cmp(&list[i], name) {
                Ordering::Equal => return,
                Ordering::Less => {
                    at = i + 1;
                    break;
                }
                Ordering::Greater => {}
            }
        }
        list.insert(at, name.to_string());
    };
    let mut list = Vec::new();
    for l in &snap.links {
        add(&mut list, &l.name);
    }
    for l in &snap.links {
        for a in l.addrs.iter().filter(|a| a.is_ipv4()) {
            add(&mut list, label_of(l, a));
        }
    }
    list
}

fn label_of<'a>(link: &'a Link, addr: &'a Addr) -> &'a str {
    addr.label.as_deref().unwrap_or(&link.name)
}

/// What `if_fetch` learns about one name.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub name: String,
    /// The device the kernel resolves the name to (the part before the first `:`).
    pub link: &'a Link,
    pub flags: u32,
    /// The first IPv4 address, in list order, whose label is exactly `name`.
    pub inet: Option<&'a Addr>,
    /// Counters, for names listed in `/proc/net/dev` (devices, not aliases).
    pub stats: Option<ProcDev>,
}

/// `if_fetch`: `None` is ENODEV (no device under the name before the first `:`).
pub fn fetch<'a>(snap: &'a Snapshot, name: &str) -> Option<Entry<'a>> {
    let dev = name.split(':').next().unwrap_or("");
    let link = snap.link(dev)?;
    let inet = link
        .addrs
        .iter()
        .find(|a| a.is_ipv4() && label_of(link, a) == name);
    let stats = snap
        .link(name)
        .map(|l| l.stats.as_ref().map(ProcDev::from).unwrap_or_default());
    Some(Entry {
        name: name.to_string(),
        link,
        flags: flags_of(link),
        inet,
        stats,
    })
}

/// The error line for a name that does not resolve.
pub fn not_found(name: &str) -> String {
    format!("{name}: error fetching interface information: Device not found\n")
}

/// The IPv4 line's values: address, netmask, broadcast (if the device is broadcast-capable)
/// and destination (if it is point-to-point), as the SIOCGIF* ioctls return them.
pub struct Inet4 {
    pub addr: Ipv4Addr,
    pub netmask: Ipv4Addr,
    pub broadcast: Option<Ipv4Addr>,
    pub destination: Option<Ipv4Addr>,
}

pub fn inet4(e: &Entry<'_>) -> Option<Inet4> {
    let a = e.inet?;
    let v4 = |ip: Option<IpAddr>| match ip {
        Some(IpAddr::V4(v)) => Some(v),
        _ => None,
    };
    let local = v4(Some(a.local))?;
    let netmask = Ipv4Addr::from(match a.prefixlen {
        0 => 0,
        n => u32::MAX << (32 - u32::from(n.min(32))),
    });
    Some(Inet4 {
        addr: local,
        netmask,
        broadcast: (e.flags & IFF_BROADCAST != 0)
            .then(|| v4(a.broadcast).unwrap_or(Ipv4Addr::UNSPECIFIED)),
        destination: (e.flags & IFF_POINTOPOINT != 0).then(|| v4(a.peer).unwrap_or(local)),
    })
}

/// The inet6 lines of an entry: (address text, prefixlen, scope).
pub fn inet6_of<'l>(name: &str, inet6: &'l [Inet6Line]) -> impl Iterator<Item = &'l Inet6Line> {
    let name = name.to_string();
    inet6.iter().filter(move |l| l.dev == name)
}

/// The long-format block of one entry, blank line included.
pub fn long_block(e: &Entry<'_>, inet6: &[Inet6Line], d: Dialect) -> String {
    let mut s = String::new();
    let (hw, hwaddr, title) = hardware(e.link);
    match d {
        Dialect::Modern => {
            let _ = writeln!(
                s,
                "{}: {}  mtu {}",
                e.name,
                flags_field(e.flags),
                e.link.mtu as i32
            );
        }
        Dialect::Classic => {
            let _ = write!(s, "{:<9} Link encap:{title}  ", e.name);
            if let Some(a) = &hwaddr {
                let _ = write!(s, "HWaddr {}  ", a.to_uppercase());
            }
            s.push('\n');
        }
    }
    if let Some(v4) = inet4(e) {
        match d {
            Dialect::Modern => {
                let _ = write!(s, "        inet {}  netmask {}", v4.addr, v4.netmask);
                if let Some(b) = v4.broadcast {
                    let _ = write!(s, "  broadcast {b}");
                }
                if let Some(dst) = v4.destination {
                    let _ = write!(s, "  destination {dst}");
                }
            }
            Dialect::Classic => {
                let _ = write!(s, "          inet addr:{} ", v4.addr);
                if let Some(dst) = v4.destination {
                    let _ = write!(s, " P-t-P:{dst} ");
                }
                if let Some(b) = v4.broadcast {
                    let _ = write!(s, " Bcast:{b} ");
                }
                let _ = write!(s, " Mask:{}", v4.netmask);
            }
        }
        s.push('\n');
    }
    for l in inet6_of(&e.name, inet6) {
        let _ = match d {
            Dialect::Modern => writeln!(
                s,
                "        inet6 {}  prefixlen {}  scopeid 0x{:x}{}",
                ifconfig_inet6(&l.addr),
                l.prefixlen as i32,
                l.scope,
                scope_names(l.scope)
            ),
            Dialect::Classic => writeln!(
                s,
                "          inet6 addr: {}/{} Scope:{}",
                inet_ntop6(&l.addr),
                l.prefixlen as i32,
                classic_scope(l.scope)
            ),
        };
    }
    match d {
        Dialect::Modern => {
            let _ = match hwaddr {
                Some(a) => write!(s, "        {hw} {a}"),
                None => write!(s, "        {hw}"),
            };
            let _ = writeln!(s, "  txqueuelen {}  ({title})", e.link.txqlen as i32);
        }
        Dialect::Classic => {
            s.push_str("          ");
            if e.flags == 0 {
                s.push_str("[NO FLAGS] ");
            }
            for name in flag_names(e.flags) {
                s.push_str(name);
                s.push(' ');
            }
            // SIOCGIFMETRIC is always 0 on Linux; 1.60 prints 0 as 1.
            let _ = writeln!(s, " MTU:{}  Metric:1", e.link.mtu as i32);
        }
    }
    if let Some(st) = &e.stats {
        let (rx, tx) = (human_bytes(st.rx_bytes, d), human_bytes(st.tx_bytes, d));
        let _ = match d {
            Dialect::Modern => writeln!(
                s,
                "        RX packets {}  bytes {} ({rx})\n\
                 \x20       RX errors {}  dropped {}  overruns {}  frame {}\n\
                 \x20       TX packets {}  bytes {} ({tx})\n\
                 \x20       TX errors {}  dropped {} overruns {}  carrier {}  collisions {}",
                st.rx_packets,
                st.rx_bytes,
                st.rx_errors,
                st.rx_dropped,
                st.rx_fifo,
                st.rx_frame,
                st.tx_packets,
                st.tx_bytes,
                st.tx_errors,
                st.tx_dropped,
                st.tx_fifo,
                st.tx_carrier,
                st.collisions
            ),
            // Virtual links have no SIOCGIFMAP values, so no `Interrupt:` line follows.
            Dialect::Classic => writeln!(
                s,
                "          RX packets:{} errors:{} dropped:{} overruns:{} frame:{}\n\
                 \x20         TX packets:{} errors:{} dropped:{} overruns:{} carrier:{}\n\
                 \x20         collisions:{} txqueuelen:{} \n\
                 \x20         RX bytes:{} ({rx})  TX bytes:{} ({tx})",
                st.rx_packets,
                st.rx_errors,
                st.rx_dropped,
                st.rx_fifo,
                st.rx_frame,
                st.tx_packets,
                st.tx_errors,
                st.tx_dropped,
                st.tx_fifo,
                st.tx_carrier,
                st.collisions,
                e.link.txqlen as i32,
                st.rx_bytes,
                st.tx_bytes
            ),
        };
    }
    s.push('\n');
    s
}

/// One row of the `-s` table.
pub fn short_row(e: &Entry<'_>, d: Dialect) -> String {
    let mtu = e.link.mtu as i32;
    let mut s = match d {
        Dialect::Modern => {
            let name: String = e.name.chars().take(15).collect();
            format!("{name:<15} {mtu:>5} ")
        }
        // The metric column: SIOCGIFMETRIC, always 0.
        Dialect::Classic => format!("{:<9} {mtu:>5} {:>3} ", e.name, 0),
    };
    match &e.stats {
        Some(st) => {
            // 2.10 left-aligns RX-OVR, 1.60 right-aligns it.
            let rx_fifo = match d {
                Dialect::Modern => format!("{:<6}", st.rx_fifo),
                Dialect::Classic => format!("{:>6}", st.rx_fifo),
            };
            let _ = write!(
                s,
                "{:>8} {:>6} {:>6} {rx_fifo} {:>8} {:>6} {:>6} {:>6} ",
                st.rx_packets,
                st.rx_errors,
                st.rx_dropped,
                st.tx_packets,
                st.tx_errors,
                st.tx_dropped,
                st.tx_fifo
            );
        }
        None => {
            let width = match d {
                Dialect::Modern => 56,
                Dialect::Classic => 60,
            };
            let _ = write!(s, "{:<width$}", "     - no statistics available -");
        }
    }
    s.push_str(&short_flags(e.flags));
    s.push('\n');
    s
}

/// The entries a display request shows, in order, or the name that failed to resolve
/// (net-tools stops listing at the first failure).
pub fn selected<'a>(
    req: &ShowArgs,
    snap: &'a Snapshot,
    d: Dialect,
) -> (Vec<Entry<'a>>, Option<String>) {
    match &req.iface {
        Some(name) => match fetch(snap, name) {
            Some(e) => (vec![e], None),
            None => (vec![], Some(name.clone())),
        },
        None => {
            let mut shown = Vec::new();
            for name in interface_list(snap, d) {
                match fetch(snap, &name) {
                    Some(e) => {
                        if req.all || e.flags & IFF_UP != 0 {
                            shown.push(e);
                        }
                    }
                    None => return (shown, Some(name)),
                }
            }
            (shown, None)
        }
    }
}

#[cfg(test)]
mod tests;
