//! What the kernel, glibc and iproute2 decide on the legacy tools' behalf, written once for
//! all of them (ifconfig, brctl, route, arp, netstat, and `migrate`, which must predict them).
//! Each rule here was checked against the real tool on this machine's kernel; the unit tests
//! below pin what was measured.
//!
//! * **Names.** An ioctl takes a device name in `IFNAMSIZ` (16) bytes: the kernel sees at most
//!   15 ([`ifname`]); `dev_valid_name` decides which names it accepts ([`dev_valid_name`]).
//! * **Classful IPv4** (`inet_abc_len`, `net/ipv4/devinet.c`): the prefix a bare address gets
//!   ([`abc_len`]), its broadcast ([`implied_broadcast`]), how a new netmask moves it
//!   ([`broadcast_after_netmask`]), which masks are refused ([`bad_mask`]).
//! * **Ordering.** net-tools' `nstrcmp`, the order of its interface lists ([`nstrcmp`]).
//! * **strerror.** The glibc texts the tools print (the `E…` constants), and the errno behind
//!   what `ip` printed for a failed change ([`errno_of`], [`extack_errno`]).
//! * **Capabilities.** Whether the kernel would let this process change anything
//!   ([`has_net_admin`]).
//! * **Options.** glibc's `getopt_long` with its permutation, abbreviations and messages
//!   ([`getopt`]).
//! * **Names.** What the NSS `files` backend answers for services, protocols, hosts,
//!   networks and users ([`nss`]); nslab never asks DNS.

pub mod getopt;
pub mod nss;

use crate::error::Error;
use std::cmp::Ordering;
use std::net::Ipv4Addr;

/// IFNAMSIZ - 1: the longest name the kernel takes; an ioctl sees at most this many bytes.
pub const IFNAMSIZ_MAX: usize = 15;

/// `safe_strncpy(dst, s, max + 1)` as the tools use it: at most `max` bytes, cut on a char
/// boundary (nslab's names are strings; a byte cut inside a character cannot be represented,
/// and the real tool would then look up a name no device of nslab's can have).
pub fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// A name as the tools print it after copying it into an `IFNAMSIZ` buffer
/// (`buf[15] = '\0'`): its first 15 bytes, a character cut in two shown as U+FFFD (what a
/// terminal makes of the stray bytes).
pub fn ifname_shown(name: &str) -> String {
    if name.len() <= IFNAMSIZ_MAX {
        return name.to_string();
    }
    String::from_utf8_lossy(&name.as_bytes()[..IFNAMSIZ_MAX]).into_owned()
}

/// The name the kernel sees for a device name passed by ioctl: at most 15 bytes.
pub fn ifname(name: &str) -> String {
    cut(name, IFNAMSIZ_MAX)
}

/// The kernel's `dev_valid_name`: 1–15 bytes, not `.`/`..`, no `/`, `:` or whitespace.
pub fn dev_valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= IFNAMSIZ_MAX
        && n != "."
        && n != ".."
        && !n.bytes().any(|b| b == b'/' || b == b':' || is_c_space(b))
}

/// C `isspace` in the C locale.
pub fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
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

/// The netmask of a prefix length, host order.
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

/// C `atoi` on a run of digits: strtol saturates at LONG_MAX, then it is cut to int.
fn atoi(d: &[u8]) -> i32 {
    let mut v: i64 = 0;
    for c in d.iter().take_while(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    v as i32
}

/// net-tools' `nstrcmp`: names compare by their non-digit prefix (a shorter prefix first on a
/// tie), then by the number in their trailing digits, then bytewise, then by a numeric
/// `:N` alias suffix (none before `:0`).
pub fn nstrcmp(a: &str, b: &str) -> Ordering {
    fn cut_alias(name: &[u8]) -> (&[u8], Option<&[u8]>) {
        let mut pos = name.len();
        let mut digit = false;
        while pos > 0 {
            if name[pos - 1] == b':' && digit {
                return (&name[..pos - 1], Some(&name[pos..]));
            }
            if !name[pos - 1].is_ascii_digit() {
                break;
            }
            digit = true;
            pos -= 1;
        }
        (name, None)
    }
    fn prefix_len(name: &[u8]) -> usize {
        name.iter()
            .rposition(|c| !c.is_ascii_digit())
            .map_or(0, |p| p + 1)
    }
    let (a, aalias) = cut_alias(a.as_bytes());
    let (b, balias) = cut_alias(b.as_bytes());
    let (ai, bi) = (prefix_len(a), prefix_len(b));
    let n = ai.min(bi);
    let ord = a[..n]
        .cmp(&b[..n])
        .then(ai.cmp(&bi))
        .then(atoi(&a[ai..]).cmp(&atoi(&b[bi..])))
        .then(a.cmp(b))
        .then(aalias.map_or(-1, atoi).cmp(&balias.map_or(-1, atoi)));
    match (ord, aalias, balias) {
        (Ordering::Equal, Some(x), Some(y)) => x.cmp(y),
        _ => ord,
    }
}

/// net-tools 1.60's `nstrcmp` (kept by Fedora's patches): `strcmp`, except that where the
/// first difference is a digit in `a`, a non-digit in `b` makes `a` greater, and two digit
/// runs (taken from where the common digits start) compare by value, never equal (`-1` on a
/// tie). It is neither symmetric nor transitive, so the list order depends on the order
/// names are inserted in, as in the original.
pub fn nstrcmp_classic(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let mut i = 0;
    while at(a, i) == at(b, i) {
        if at(a, i) == 0 {
            return Ordering::Equal;
        }
        i += 1;
    }
    let (ca, cb) = (at(a, i), at(b, i));
    if !ca.is_ascii_digit() {
        // `*a - *b` on (signed) chars.
        return (ca as i8 as i32).cmp(&(cb as i8 as i32));
    }
    if !cb.is_ascii_digit() {
        return Ordering::Greater;
    }
    // Back to the start of the digit run both names share up to here.
    let mut start = i;
    while start > 0 && a[start - 1].is_ascii_digit() {
        start -= 1;
    }
    if atoi(&a[start..]) > atoi(&b[start..]) {
        Ordering::Greater
    } else {
        Ordering::Less
    }
}

// glibc's strerror texts of the errnos the tools report.
pub const EPERM: &str = "Operation not permitted";
pub const ENOENT: &str = "No such file or directory";
pub const ENXIO: &str = "No such device or address";
pub const EBADF: &str = "Bad file descriptor";
pub const EACCES: &str = "Permission denied";
pub const EBUSY: &str = "Device or resource busy";
pub const EEXIST: &str = "File exists";
pub const ENODEV: &str = "No such device";
pub const EINVAL: &str = "Invalid argument";
pub const ERANGE: &str = "Numerical result out of range";
pub const ELOOP: &str = "Too many levels of symbolic links";
pub const ENOBUFS: &str = "No buffer space available";
pub const EOPNOTSUPP: &str = "Operation not supported";
pub const EADDRNOTAVAIL: &str = "Cannot assign requested address";

/// The `strerror` text for a failed `ip` command, from what `ip` printed: the text after
/// `RTNETLINK answers:`, ENODEV for `Cannot find device`, the errno behind an extended-ack
/// message ([`extack_errno`]), else EINVAL. Not a command failure: its own text.
pub fn errno_of(e: &Error) -> String {
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
        ENXIO
    } else if m.contains("unable to find the interface") {
        ENODEV
    } else if m.contains("already") || m.contains("exists") {
        EEXIST
    } else if m.contains("busy") {
        EBUSY
    } else if m.contains("not supported") {
        EOPNOTSUPP
    } else if m.contains("cannot assign") || m.contains("not found") {
        EADDRNOTAVAIL
    } else if m.contains("permission") || m.contains("not permitted") {
        EPERM
    } else {
        EINVAL
    }
}

/// Whether this process has CAP_NET_ADMIN in its effective set (`/proc/self/status`).
/// Without it the kernel refuses every change with EPERM, and the tools check it where the
/// kernel does (before or after looking at the device). Where the set cannot be read, nslab
/// goes on as if it had the capability: the kernel still refuses through `ip`, and the
/// refusal is mapped to the same EPERM text, so only the order of checks can differ.
pub fn has_net_admin() -> bool {
    const CAP_NET_ADMIN: u32 = 12;
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let hex = s.lines().find_map(|l| l.strip_prefix("CapEff:"))?.trim();
            u64::from_str_radix(hex, 16).ok()
        })
        .is_none_or(|caps| caps & (1 << CAP_NET_ADMIN) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn names_are_cut_to_15_bytes_on_a_char_boundary() {
        assert_eq!(ifname("abcdefghijklmnop"), "abcdefghijklmno");
        assert_eq!(ifname("short"), "short");
        // 14 ASCII bytes + a 2-byte char: the char does not fit.
        assert_eq!(ifname("abcdefghijklmné"), "abcdefghijklmn");
        assert!(dev_valid_name("abcdefghijklmno"));
        assert!(!dev_valid_name("abcdefghijklmnop"));
        for bad in ["", ".", "..", "a/b", "a:b", "a b", "a\tb"] {
            assert!(!dev_valid_name(bad), "{bad:?}");
        }
    }

    /// Checked with the real ifconfig 2.10 on Linux 6.1 (`ifconfig v0 0.1.2.3` gives /8).
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

    /// The orders the real ifconfig printed (compat recordings), and net-tools' own cases.
    #[test]
    fn nstrcmp_orders_like_net_tools() {
        let mut v = vec![
            "hobr_x", "hobr1z", "hobr-y", "hobr10", "hobr9", "hobr1", "hobr01",
        ];
        v.sort_by(|a, b| nstrcmp(a, b));
        assert_eq!(
            v,
            ["hobr01", "hobr1", "hobr9", "hobr10", "hobr-y", "hobr1z", "hobr_x"]
        );
        let mut v = vec![
            "lo",
            "hoveth0:abc",
            "hoveth1:5",
            "hoveth1",
            "hoveth0:10",
            "hoveth0:3",
            "hoveth0:02",
            "hoveth0:1",
            "hoveth0",
        ];
        v.sort_by(|a, b| nstrcmp(a, b));
        assert_eq!(
            v,
            [
                "hoveth0",
                "hoveth0:1",
                "hoveth0:02",
                "hoveth0:3",
                "hoveth0:10",
                "hoveth1",
                "hoveth1:5",
                "hoveth0:abc",
                "lo"
            ]
        );
        let mut v = vec!["v0:10", "v1", "v0", "v0:abc", "v0:2", "lo"];
        v.sort_by(|a, b| nstrcmp(a, b));
        assert_eq!(v, vec!["lo", "v0", "v0:2", "v0:10", "v1", "v0:abc"]);
        for (a, b, want) in [
            ("a", "aa", Ordering::Less),
            ("eth1", "eth20", Ordering::Less),
            ("eth", "eth2", Ordering::Less),
            ("a", "a:", Ordering::Less),
            ("a1b12", "a1b2", Ordering::Greater),
            ("eth1", "eth01", Ordering::Greater),
            ("eth1:01", "eth01:1", Ordering::Greater),
            ("eth13:1", "eth1:0", Ordering::Greater),
            ("eth0:1", "eth0:1", Ordering::Equal),
        ] {
            assert_eq!(nstrcmp(a, b), want, "{a} vs {b}");
        }
    }

    #[test]
    fn ip_errors_map_to_strerror_texts() {
        let e = |stderr: &str| {
            errno_of(&Error::Command {
                argv: vec!["ip".into()],
                status: crate::error::Exit::Code(1),
                stderr: stderr.into(),
                line: None,
            })
        };
        assert_eq!(
            e("RTNETLINK answers: File exists\nCommand failed -:1"),
            EEXIST
        );
        assert_eq!(e("Error: mtu greater than device maximum."), EINVAL);
        assert_eq!(e("Cannot find device \"x\""), ENODEV);
        assert_eq!(e("Error: ipv6: IPv6 is disabled on this device."), ENXIO);
    }
}
