//! The configuration grammar of net-tools 2.10 `ifconfig IFACE [AF] option|address …`, as a pure
//! function from words to a list of typed [`Action`]s in command-line order.
//!
//! Everything the real tool decides without asking the kernel is decided here: keyword
//! recognition, numeric parsing (`atoi`, `strtoul(…, 0)`, glibc `inet_aton`), the `/len`
//! netmask with its shift-count quirk, the lenient `hw ether` parser, host-name resolution
//! through a [`Resolver`], and where the run stops (usage error, unresolvable address). What the
//! kernel decides (does the device or label exist, is the MTU in range…) is left to the
//! executor, which reads a snapshot. `nslab migrate` reuses this grammar with a resolver of its
//! choice ([`NumericOnly`] for scripts read offline).
//!
//! Longer than 800 lines on purpose: net-tools parses the words in one left-to-right pass
//! whose keywords share its state (the address family, the pending netmask/broadcast), and
//! each keyword's C parsing quirks sit next to it; the tests are in `grammar/tests.rs`.

use crate::legacy::linux::{self, cut, is_c_space};
use std::net::{Ipv4Addr, Ipv6Addr};

/// glibc `h_errno` values, as `herror` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HErr {
    NoError,
    HostNotFound,
    TryAgain,
    NoRecovery,
    NoData,
}

impl HErr {
    /// The text `herror` prints for this value.
    pub fn text(self) -> &'static str {
        match self {
            HErr::NoError => "Resolver Error 0 (no error)",
            HErr::HostNotFound => "Unknown host",
            HErr::TryAgain => "Host name lookup failure",
            HErr::NoRecovery => "Unknown server error",
            HErr::NoData => "No address associated with name",
        }
    }

    /// The line `herror(name)` prints (without the newline).
    pub fn line(self, name: &str) -> String {
        if name.is_empty() {
            self.text().to_string()
        } else {
            format!("{name}: {}", self.text())
        }
    }
}

/// Name lookups that net-tools does through NSS. Only the lookups are abstracted; the rules
/// (`default`, `inet_aton` first, glibc's digits-and-dots and host-name syntax checks) are in
/// [`resolve_inet`].
pub trait Resolver {
    /// `getnetbyname(name)`: the network number (host order, as `inet_network` returns it).
    fn network(&self, name: &str) -> Option<u32>;
    /// The `files` source of `gethostbyname(name)` (`/etc/hosts`).
    fn host_file(&self, name: &str) -> Option<Ipv4Addr>;
    /// Whether a DNS query would get an answer. `false`: unreachable DNS, the usual case in a
    /// namespace, which gives `TRY_AGAIN` ("Host name lookup failure").
    fn dns_reachable(&self) -> bool {
        false
    }
}

/// A resolver that knows no names at all: only numeric forms and `default` resolve. Names
/// that are syntactically valid host names fail as with unreachable DNS.
#[derive(Debug, Default, Clone, Copy)]
pub struct NumericOnly;

impl Resolver for NumericOnly {
    fn network(&self, _: &str) -> Option<u32> {
        None
    }
    fn host_file(&self, _: &str) -> Option<Ipv4Addr> {
        None
    }
}

/// A resolver over the contents of `/etc/networks` and `/etc/hosts` (the `files` NSS source);
/// it never sends a DNS query.
#[derive(Debug, Default, Clone)]
pub struct Files {
    networks: Vec<(Vec<String>, u32)>,
    hosts: Vec<(Vec<String>, Ipv4Addr)>,
}

impl Files {
    /// Build from the text of `/etc/networks` and `/etc/hosts`.
    pub fn from_text(networks: &str, hosts: &str) -> Files {
        let fields = |line: &str| -> Vec<String> {
            line.split('#')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .map(str::to_string)
                .collect()
        };
        let mut f = Files::default();
        for line in networks.lines() {
            let w = fields(line);
            if w.len() >= 2 {
                if let Some(n) = inet_network(&w[1]) {
                    let mut names = vec![w[0].clone()];
                    names.extend(w[2..].iter().cloned());
                    f.networks.push((names, n));
                }
            }
        }
        for line in hosts.lines() {
            let w = fields(line);
            if w.len() >= 2 {
                // IPv6 lines do not parse and are skipped, as for an AF_INET lookup.
                if let Some(a) = inet_aton(&w[0]) {
                    f.hosts.push((w[1..].to_vec(), a));
                }
            }
        }
        f
    }

    /// Read `/etc/networks` and `/etc/hosts` (missing files are empty).
    pub fn system() -> Files {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        Files::from_text(&read("/etc/networks"), &read("/etc/hosts"))
    }
}

impl Resolver for Files {
    fn network(&self, name: &str) -> Option<u32> {
        self.networks
            .iter()
            .find(|(names, _)| names.iter().any(|n| n == name))
            .map(|(_, n)| *n)
    }
    fn host_file(&self, name: &str) -> Option<Ipv4Addr> {
        self.hosts
            .iter()
            .find(|(names, _)| names.iter().any(|n| n.eq_ignore_ascii_case(name)))
            .map(|(_, a)| *a)
    }
}

/// What `INET_resolve` (net-tools `lib/inet.c`) made of a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inet {
    /// A dotted quad or host name: `input()` returned 0.
    Addr(Ipv4Addr),
    /// `default` or a name from `/etc/networks`: `input()` returned 1, which `pointopoint`
    /// treats as a failure.
    Network(Ipv4Addr),
    /// Not found; `herror` prints this.
    Failed(HErr),
}

/// A host word after a keyword, with what it resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// The word as ifconfig copied it (at most 127 bytes; for an address, cut at `/`).
    pub word: String,
    pub inet: Inet,
    /// `h_errno` after the lookup: what `herror` prints if this word is rejected.
    pub herr: HErr,
}

impl Host {
    /// The address when `input() >= 0` (what most keywords accept).
    pub fn addr(&self) -> Option<Ipv4Addr> {
        match self.inet {
            Inet::Addr(a) | Inet::Network(a) => Some(a),
            Inet::Failed(_) => None,
        }
    }
}

/// An interface flag, with the kernel's bit value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfFlag {
    Up,
    Broadcast,
    PointToPoint,
    NoTrailers,
    NoArp,
    Promisc,
    AllMulti,
    Multicast,
    AutoMedia,
    Dynamic,
}

impl IfFlag {
    pub fn bit(self) -> u16 {
        match self {
            IfFlag::Up => 0x1,
            IfFlag::Broadcast => 0x2,
            IfFlag::PointToPoint => 0x10,
            IfFlag::NoTrailers => 0x20,
            IfFlag::NoArp => 0x80,
            IfFlag::Promisc => 0x100,
            IfFlag::AllMulti => 0x200,
            IfFlag::Multicast => 0x1000,
            IfFlag::AutoMedia => 0x4000,
            IfFlag::Dynamic => 0x8000,
        }
    }

    /// The name `ip -j link` uses for the flag.
    pub fn ip_name(self) -> &'static str {
        match self {
            IfFlag::Up => "UP",
            IfFlag::Broadcast => "BROADCAST",
            IfFlag::PointToPoint => "POINTOPOINT",
            IfFlag::NoTrailers => "NOTRAILERS",
            IfFlag::NoArp => "NOARP",
            IfFlag::Promisc => "PROMISC",
            IfFlag::AllMulti => "ALLMULTI",
            IfFlag::Multicast => "MULTICAST",
            IfFlag::AutoMedia => "AUTOMEDIA",
            IfFlag::Dynamic => "DYNAMIC",
        }
    }

    /// The word ifconfig's warning uses when clearing did not stick
    /// (`Warning: Interface X still in … mode.`).
    fn still_in(self) -> &'static str {
        match self {
            IfFlag::Promisc => "promisc mode... maybe other application is running?",
            IfFlag::AllMulti => "ALLMULTI mode.",
            IfFlag::Multicast => "MULTICAST mode.",
            IfFlag::Dynamic => "DYNAMIC mode.",
            IfFlag::Broadcast => "BROADCAST mode.",
            IfFlag::PointToPoint => "POINTOPOINT mode.",
            _ => "",
        }
    }

    /// The warning printed after clearing, when the flag is still set.
    pub fn still_set_warning(self, iface: &str) -> String {
        format!("Warning: Interface {iface} still in {}", self.still_in())
    }
}

/// `SIOCSIFMAP` fields (`mem_start`, `io_addr`, `irq`, `media`/`port`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapField {
    MemStart,
    IoAddr,
    Irq,
    Port,
}

impl MapField {
    /// The prefix of ifconfig's messages for this field.
    pub fn prefix(self) -> &'static str {
        match self {
            MapField::MemStart => "mem_start",
            MapField::IoAddr => "io_addr",
            MapField::Irq => "irq",
            MapField::Port => "port",
        }
    }
}

/// SLIP-only settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slip {
    Keepalive,
    Outfill,
}

/// An IPv6 address word after `add`, `del` or `tunnel`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inet6 {
    /// The word without `/len`.
    pub word: String,
    /// `None`: `inet_pton` rejected it; `herror` then prints `herr`.
    pub addr: Option<Ipv6Addr>,
    pub herr: HErr,
    /// The prefix length (128 when no `/len` was given).
    pub prefix: u32,
}

/// The address family word after the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Inet,
    Inet6,
    Unix,
    /// ipx, ddp, ax25, netrom, ash, x25, ec, rose: the kernel here has no socket for them,
    /// so every ioctl through the family's socket fails with EBADF.
    NoSocket,
}

/// The families ifconfig knows, in `get_aftype` order.
pub const FAMILIES: &[(&str, Family)] = &[
    ("unix", Family::Unix),
    ("inet", Family::Inet),
    ("inet6", Family::Inet6),
    ("ax25", Family::NoSocket),
    ("netrom", Family::NoSocket),
    ("rose", Family::NoSocket),
    ("ipx", Family::NoSocket),
    ("ddp", Family::NoSocket),
    ("ec", Family::NoSocket),
    ("ash", Family::NoSocket),
    ("x25", Family::NoSocket),
];

/// Hardware classes of `hw CLASS ADDR` on this build, and whether each can parse an address.
pub const HW_CLASSES: &[(&str, bool)] = &[
    ("loop", false),
    ("slip", false),
    ("cslip", false),
    ("slip6", false),
    ("cslip6", false),
    ("adaptive", false),
    ("ash", true),
    ("ether", true),
    ("ax25", true),
    ("netrom", true),
    ("rose", true),
    ("tunnel", true),
    ("ppp", false),
    ("hdlc", false),
    ("lapb", false),
    ("arcnet", true),
    ("dlci", false),
    ("frad", false),
    ("sit", false),
    ("fddi", true),
    ("hippi", true),
    ("irda", false),
    ("ec", false),
    ("x25", true),
    ("eui64", true),
];

/// One step of an ifconfig command line, in the order ifconfig performs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A message ifconfig prints while parsing (stderr), e.g. for `a,b` as the family word.
    Note(String),
    /// `up`, `down`, `[-]arp`, `[-]promisc`, … : set or clear one flag (`set_flag`/`clr_flag`).
    /// `warn`: afterwards test the flag and warn if it is still set (`-promisc`, …).
    Flag { flag: IfFlag, on: bool, warn: bool },
    /// `mtu N` (`atoi`).
    Mtu(i32),
    /// `txqueuelen N` (`strtoul(N, 0, 0)` stored in an `int`).
    TxQueueLen(i32),
    /// `keepalive N` / `outfill N` (`atoi`).
    Slip { which: Slip, value: i32 },
    /// `mem_start`, `io_addr`, `irq`, `media`/`port` with a known type or number.
    Map { field: MapField, value: i64 },
    /// `media T` with a type ifconfig does not know: `Unknown media type.`
    UnknownMedia(String),
    /// `broadcast [A]`: set the broadcast address (if given and resolved), then IFF_BROADCAST.
    /// An unresolved address prints `herror` and skips the flag.
    Broadcast(Option<Host>),
    /// `pointopoint [A]`: like `broadcast`, with the peer address and IFF_POINTOPOINT.
    PointToPoint(Option<Host>),
    /// `dstaddr A`.
    Dstaddr(Host),
    /// `netmask M` (a failed lookup is an error without the netmask being counted).
    Netmask(Host),
    /// `hw ether ADDR`: the six bytes the kernel receives (short input keeps earlier bytes
    /// of ifconfig's sockaddr buffer, 0 where nothing was written: the real tool has
    /// uninitialised memory there), or the word that failed to parse.
    HwEther(Result<[u8; 6], String>),
    /// `hw CLASS ADDR` for another class with a parser: the kernel refuses the family
    /// (`SIOCSIFHWADDR: Invalid argument`) on an Ethernet-type device.
    HwOther { class: String, addr: String },
    /// `hw CLASS ADDR` that CLASS's parser rejects: `ADDR: invalid CLASS address.`
    HwInvalid { class: String, addr: String },
    /// `hw CLASS …` for a class without a parser.
    HwNoHandler(String),
    /// `add A[/len]` with an IPv6 address.
    Add6(Inet6),
    /// `del A[/len]` with an IPv6 address.
    Del6(Inet6),
    /// `tunnel A[/len]` (SIT only).
    Tunnel(Inet6),
    /// `add A` with an IPv4 address: a new alias `IF:N`.
    Add4(Host),
    /// `del A` with an IPv4 address: delete the alias holding A, or add one.
    Del4(Host),
    /// `name NEW` (truncated to 15 bytes).
    Name(String),
    /// The address word: set the interface address, then bring it up (unless it is an alias
    /// ending in `-`, or 0.0.0.0 on an alias).
    Address(Ipv4Addr),
    /// The netmask from `ADDR/len`, applied after all other words.
    PrefixNetmask(Ipv4Addr),
    /// An address family word other than inet with an address: `inet6` prints
    /// `Don't know how to set addresses for family 10.`; others are not reproduced.
    OtherFamilyAddress { family: Family, word: String },
    /// `netmask`, `broadcast`, `dstaddr`, `pointopoint` with an address under the inet6 or
    /// ipx family: `Ok` when the family's parser took the address (the ioctls then fail on
    /// that family's socket), else the lines printed.
    FamilyKeyword {
        keyword: String,
        parsed: Result<(), Vec<String>>,
    },
    /// A keyword that takes an address under a family whose parser nslab does not reproduce.
    Unsupported(String),
    /// Stop: ifconfig calls the family's missing (NULL) address parser and dies of SIGSEGV
    /// (exit status 139 in a shell).
    Crash,
    /// Stop: print the full usage on stderr, exit 3.
    Usage,
    /// Stop: print these lines on stderr, exit 1 (an unresolvable address).
    Fail(Vec<String>),
}

impl Action {
    /// True for the actions after which ifconfig exits.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Action::Usage | Action::Fail(_) | Action::OtherFamilyAddress { .. }
        )
    }
}

/// A parsed configuration command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The interface name as ifconfig uses it (truncated to 15 bytes).
    pub iface: String,
    pub family: Family,
    /// The actions in order; a terminal action ([`Action::is_terminal`]) comes last.
    pub actions: Vec<Action>,
}

pub use super::super::usage::{HELP_HINT, USAGE};

/// glibc `strtoul(s, &end, base)` for base 0 or 10: the value (wrapping for a leading `-`,
/// `u64::MAX` on overflow) and how many bytes were consumed (0 when there were no digits).
pub fn strtoul(s: &str, base0: bool) -> (u64, usize) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_c_space(b[i]) {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let mut base = 10u64;
    if base0 && b.get(i) == Some(&b'0') {
        let x = matches!(b.get(i + 1), Some(b'x' | b'X'));
        if x && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit) {
            base = 16;
            i += 2;
        } else {
            base = 8;
        }
    }
    let start = i;
    let mut val: u64 = 0;
    let mut overflow = false;
    while i < b.len() {
        let d = match b[i] {
            c @ b'0'..=b'9' => (c - b'0') as u64,
            c @ b'a'..=b'f' => (c - b'a' + 10) as u64,
            c @ b'A'..=b'F' => (c - b'A' + 10) as u64,
            _ => break,
        };
        if d >= base {
            break;
        }
        match val.checked_mul(base).and_then(|v| v.checked_add(d)) {
            Some(v) => val = v,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start {
        return (0, 0);
    }
    if overflow {
        return (u64::MAX, i);
    }
    (if neg { val.wrapping_neg() } else { val }, i)
}

/// glibc `strtol(s, NULL, 10)`: a `long`, saturating on overflow.
fn strtol10(s: &str) -> i64 {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_c_space(b[i]) {
        i += 1;
    }
    let neg = b.get(i) == Some(&b'-');
    if matches!(b.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let mut v: i128 = 0;
    while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
        v = (v * 10 + (c - b'0') as i128).min(1 << 70);
        i += 1;
    }
    let v = if neg { -v } else { v };
    v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// glibc `atoi`: `(int) strtol(s, NULL, 10)`.
pub fn atoi(s: &str) -> i32 {
    strtol10(s) as i32
}

/// glibc `inet_aton` (dotted forms with 1 to 4 parts, each decimal, octal or hex; trailing
/// whitespace and anything after it accepted).
pub fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let b = s.as_bytes();
    let mut parts: Vec<u64> = Vec::new();
    let mut i = 0;
    let val;
    loop {
        if i >= b.len() || !b[i].is_ascii_digit() {
            return None;
        }
        let (v, n) = strtoul(&s[i..], true);
        if v == u64::MAX || v > 0xffff_ffff {
            return None;
        }
        i += n;
        if i < b.len() && b[i] == b'.' {
            if parts.len() > 2 || v > 0xff {
                return None;
            }
            parts.push(v);
            i += 1;
        } else {
            val = v;
            break;
        }
    }
    if i < b.len() && !(b[i].is_ascii() && is_c_space(b[i])) {
        return None;
    }
    let max = [0xffff_ffffu64, 0xff_ffff, 0xffff, 0xff][parts.len()];
    if val > max {
        return None;
    }
    let mut word: u32 = 0;
    for (k, p) in parts.iter().enumerate() {
        word |= (*p as u32) << (24 - 8 * k);
    }
    Some(Ipv4Addr::from(word | val as u32))
}

/// glibc `inet_network`: like `inet_aton` but the parts are packed to the right.
fn inet_network(s: &str) -> Option<u32> {
    let mut val: u32 = 0;
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    for p in parts {
        let (v, n) = strtoul(p, true);
        if n != p.len() || p.is_empty() || v > 0xff {
            return None;
        }
        val = (val << 8) | v as u32;
    }
    Some(val)
}

/// glibc's `res_hnok` (underscores allowed): the syntax a name needs before nss_dns asks a
/// server. Names failing it are `HOST_NOT_FOUND` at once.
pub fn res_hnok(name: &str) -> bool {
    let b = name.as_bytes();
    if !b.iter().all(|&c| (0x21..=0x7e).contains(&c)) {
        return false;
    }
    // ns_name_pton: split into labels, unescaping `\c` and `\DDD`.
    let mut labels: Vec<Vec<u8>> = vec![Vec::new()];
    let mut i = 0;
    let mut total = 1usize;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' {
            i += 1;
            if i >= b.len() {
                return false;
            }
            if b[i].is_ascii_digit() {
                let d = &b[i..(i + 3).min(b.len())];
                if d.len() < 3 || !d.iter().all(u8::is_ascii_digit) {
                    return false;
                }
                let v =
                    (d[0] - b'0') as u32 * 100 + (d[1] - b'0') as u32 * 10 + (d[2] - b'0') as u32;
                if v > 255 {
                    return false;
                }
                labels.last_mut().expect("label").push(v as u8);
                i += 3;
            } else {
                labels.last_mut().expect("label").push(b[i]);
                i += 1;
            }
            continue;
        }
        if c == b'.' {
            let last = labels.last().expect("label");
            if last.is_empty() {
                // An empty label is only allowed as the whole name ".".
                return b.len() == 1;
            }
            if i + 1 == b.len() {
                break;
            }
            labels.push(Vec::new());
            i += 1;
            continue;
        }
        labels.last_mut().expect("label").push(c);
        i += 1;
    }
    for l in &labels {
        if l.len() > 63 {
            return false;
        }
        total += l.len() + 1;
    }
    if total > 255 {
        return false;
    }
    let labels: Vec<&Vec<u8>> = labels.iter().filter(|l| !l.is_empty()).collect();
    if labels.first().is_some_and(|l| l[0] == b'-') {
        return false;
    }
    labels.iter().all(|l| {
        l.iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    })
}

/// `gethostbyname(name)` as glibc answers it with `hosts: files dns`.
fn gethostbyname(name: &str, r: &dyn Resolver) -> Result<Ipv4Addr, HErr> {
    if name.is_empty() {
        return Err(HErr::NoRecovery);
    }
    let b = name.as_bytes();
    // nss/digits_dots.c: all digits and dots, not ending in a dot, and not an exact
    // dotted address: not found without any lookup.
    if b[0].is_ascii_digit()
        && b.iter().all(|&c| c.is_ascii_digit() || c == b'.')
        && !name.ends_with('.')
    {
        return inet_aton(name).ok_or(HErr::HostNotFound);
    }
    if let Some(a) = r.host_file(name) {
        return Ok(a);
    }
    if !res_hnok(name) {
        return Err(HErr::HostNotFound);
    }
    if r.dns_reachable() {
        Err(HErr::HostNotFound)
    } else {
        Err(HErr::TryAgain)
    }
}

/// `INET_resolve(name, sa, 0)` from net-tools `lib/inet.c`.
pub fn resolve_inet(name: &str, r: &dyn Resolver) -> Inet {
    resolve_inet_herr(name, r).0
}

/// [`resolve_inet`], plus the `h_errno` the lookups leave behind (`None`: unchanged). A
/// name that `getnetbyname` does not know sets HOST_NOT_FOUND, which stays even when
/// `gethostbyname` then succeeds.
pub fn resolve_inet_herr(name: &str, r: &dyn Resolver) -> (Inet, Option<HErr>) {
    if name == "default" {
        return (Inet::Network(Ipv4Addr::UNSPECIFIED), None);
    }
    if let Some(a) = inet_aton(name) {
        return (Inet::Addr(a), None);
    }
    if let Some(n) = r.network(name) {
        return (Inet::Network(Ipv4Addr::from(n)), None);
    }
    match gethostbyname(name, r) {
        Ok(a) => (Inet::Addr(a), Some(HErr::HostNotFound)),
        Err(e) => (Inet::Failed(e), Some(e)),
    }
}

/// The netmask `INET_getnetmask` makes of the text after `/`: `None` when it is not a
/// number (a usage error). The shift count is taken modulo 32 as x86 does, so `/32` is /0
/// and `/33` is /1.
pub fn slash_mask(len: &str) -> Option<Ipv4Addr> {
    let (v, n) = strtoul(len, true);
    if n != len.len() {
        return None;
    }
    let shift = (v as u32) & 31;
    Some(Ipv4Addr::from(!(0xffff_ffffu32 >> shift)))
}

/// The state `ifconfig` carries from word to word while parsing.
struct Parser<'a> {
    words: &'a [String],
    /// The environment strings, which follow argv in memory (see `hw`).
    env: &'a [String],
    pos: usize,
    resolver: &'a dyn Resolver,
    /// The first six bytes of ifconfig's `sa_data` buffer (`_sa`), which a short `hw ether`
    /// address leaves in place.
    sa: [u8; 6],
    /// glibc's `h_errno`, which `herror` prints even for non-DNS failures.
    h_errno: HErr,
    did_netmask: bool,
    need_netmask: Option<Ipv4Addr>,
    actions: Vec<Action>,
}

impl Parser<'_> {
    /// `broadcast` and `pointopoint` take an address if a word follows, and none at the end.
    fn optional_inet(&mut self) -> Option<Host> {
        let w = self.words.get(self.pos + 1).cloned()?;
        self.pos += 1;
        Some(self.inet(&w))
    }

    fn next_word(&mut self) -> Option<String> {
        self.pos = self.pos.wrapping_add(1);
        self.words.get(self.pos).cloned()
    }

    /// `ap->input(0, host, &_sa)` for inet, with its effects on `_sa` and `h_errno`.
    fn inet(&mut self, word: &str) -> Host {
        let word = cut(word, 127);
        let (inet, herr) = resolve_inet_herr(&word, self.resolver);
        self.sa[0] = 0;
        self.sa[1] = 0;
        if let Inet::Addr(a) | Inet::Network(a) = inet {
            self.sa[2..6].copy_from_slice(&a.octets());
        }
        if let Some(e) = herr {
            self.h_errno = e;
        }
        Host {
            word,
            inet,
            herr: self.h_errno,
        }
    }

    /// `inet6_aftype.input(1, …)` on `A[/len]`; `None` when `/len` is above 128 (usage).
    fn inet6(&mut self, word: &str) -> Option<Inet6> {
        let (addr_part, prefix) = match word.find('/') {
            Some(i) => {
                let p = strtol10(&word[i + 1..]) as u64;
                if p > 128 {
                    return None;
                }
                (&word[..i], p as u32)
            }
            None => (word, 128),
        };
        let w = cut(addr_part, 127);
        self.sa = [0; 6];
        let addr = w.parse::<Ipv6Addr>().ok().filter(|_| !w.contains('%'));
        Some(Inet6 {
            word: w,
            addr,
            herr: self.h_errno,
            prefix,
        })
    }

    /// `INET6_resolve`: `getaddrinfo(word, AF_INET6)`, or the lines printed when it fails
    /// (`getaddrinfo: WORD: CODE`, then `herror`). A dotted IPv4 address is EAI_ADDRFAMILY
    /// (h_errno untouched); names are EAI_NONAME when glibc rejects them unasked, EAI_AGAIN
    /// when DNS would be asked.
    fn getaddrinfo6(&mut self, w: &str) -> Result<Ipv6Addr, Vec<String>> {
        if let Ok(a) = w.parse::<Ipv6Addr>() {
            return Ok(a);
        }
        let code = if inet_aton(w).is_some() && !w.contains(char::is_whitespace) {
            -9
        } else if w.is_empty() {
            self.h_errno = HErr::NoRecovery;
            -2
        } else if !res_hnok(w) {
            self.h_errno = HErr::HostNotFound;
            -2
        } else {
            self.h_errno = HErr::TryAgain;
            -3
        };
        Err(vec![
            format!("getaddrinfo: {w}: {code}"),
            self.h_errno.line(w),
        ])
    }

    /// net-tools `in_ether`: up to six octets of one or two hex digits, colons optional.
    fn ether(&mut self, word: &str) -> Result<[u8; 6], String> {
        let w = cut(word, 127);
        self.hex_bytes(&w, 6, true).map_err(|_| w.clone())?;
        Ok(self.sa)
    }

    /// The hex parsers of `lib/ether.c`, `eui64.c` (`lenient`: a single digit before `:` or
    /// the end is one byte) and `fddi.c`, `hippi.c`, `arcnet.c` (strict pairs). Each byte
    /// lands in `_sa` as it is parsed, even when a later one fails.
    fn hex_bytes(&mut self, w: &str, max: usize, lenient: bool) -> Result<(), ()> {
        let b = w.as_bytes();
        let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        let (mut i, mut n) = (0, 0);
        while i < b.len() && n < max {
            let hi = hex(b[i]).ok_or(())?;
            i += 1;
            let c = b.get(i).copied().unwrap_or(0);
            let val = match hex(c) {
                Some(lo) => {
                    i += 1;
                    (hi << 4) | lo
                }
                None if lenient && (c == b':' || c == 0) => {
                    if c != 0 {
                        i += 1;
                    }
                    hi
                }
                None => return Err(()),
            };
            if n < 6 {
                self.sa[n] = val;
            }
            n += 1;
            if b.get(i) == Some(&b':') {
                i += 1;
            }
        }
        Ok(())
    }

    /// Whether another class's parser accepts the address. `tunnel` never does; the
    /// callsign-style classes (ax25, netrom, rose, x25, ash) are taken as accepted.
    fn other_hw(&mut self, class: &str, addr: &str) -> bool {
        let w = cut(addr, 127);
        match class {
            "tunnel" => false,
            "eui64" => self.hex_bytes(&w, 8, true).is_ok(),
            "fddi" | "hippi" => self.hex_bytes(&w, 6, false).is_ok(),
            "arcnet" => self.hex_bytes(&w, 1, false).is_ok(),
            _ => true,
        }
    }

    fn push(&mut self, a: Action) {
        self.actions.push(a);
    }

    fn run(&mut self) {
        while let Some(word) = self.words.get(self.pos).cloned() {
            if !self.word(&word) {
                return;
            }
            self.pos = self.pos.wrapping_add(1);
        }
        if let Some(mask) = self.need_netmask {
            self.push(Action::PrefixNetmask(mask));
        }
    }

    /// Handle one keyword (and its arguments); `false` once a terminal action was pushed.
    /// On return `self.pos` is at the last word consumed.
    fn word(&mut self, word: &str) -> bool {
        let flag = |flag, on, warn| Action::Flag { flag, on, warn };
        let simple = match word {
            "arp" => Some(flag(IfFlag::NoArp, false, false)),
            "-arp" => Some(flag(IfFlag::NoArp, true, false)),
            "trailers" => Some(flag(IfFlag::NoTrailers, false, false)),
            "-trailers" => Some(flag(IfFlag::NoTrailers, true, false)),
            "promisc" => Some(flag(IfFlag::Promisc, true, false)),
            "-promisc" => Some(flag(IfFlag::Promisc, false, true)),
            "multicast" => Some(flag(IfFlag::Multicast, true, false)),
            "-multicast" => Some(flag(IfFlag::Multicast, false, true)),
            "allmulti" => Some(flag(IfFlag::AllMulti, true, false)),
            "-allmulti" => Some(flag(IfFlag::AllMulti, false, true)),
            "up" => Some(flag(IfFlag::Up, true, false)),
            "down" => Some(flag(IfFlag::Up, false, false)),
            "dynamic" => Some(flag(IfFlag::Dynamic, true, false)),
            "-dynamic" => Some(flag(IfFlag::Dynamic, false, true)),
            "-broadcast" => Some(flag(IfFlag::Broadcast, false, true)),
            "-pointopoint" | "-pointtopoint" => Some(flag(IfFlag::PointToPoint, false, true)),
            _ => None,
        };
        if let Some(a) = simple {
            self.push(a);
            return true;
        }
        // Keywords that require an argument: a missing one is a usage error.
        let needs_arg = [
            "media",
            "port",
            "mtu",
            "keepalive",
            "outfill",
            "dstaddr",
            "netmask",
            "txqueuelen",
            "name",
            "mem_start",
            "io_addr",
            "irq",
            "hw",
            "add",
            "del",
            "tunnel",
        ];
        if needs_arg.contains(&word) && self.words.get(self.pos + 1).is_none() {
            self.push(Action::Usage);
            return false;
        }
        match word {
            "media" | "port" => {
                let arg = self.next_word().expect("checked");
                if arg.eq_ignore_ascii_case("auto") {
                    // ifconfig does not step over `auto`: it is read again as the next word.
                    self.push(flag(IfFlag::AutoMedia, true, false));
                    self.pos -= 1;
                    return true;
                }
                let (v, n) = strtoul(&arg, false);
                let port = if n == arg.len() && !arg.is_empty() {
                    Some(strtol10(&arg))
                } else {
                    const PORTS: &[&[&str]] = &[
                        &["unknown"],
                        &["10base2", "bnc", "coax"],
                        &["10baseT", "utp", "tpe"],
                        &["AUI", "thick", "db15"],
                        &["100baseT"],
                        &["100baseTX"],
                        &["100baseFX"],
                    ];
                    let _ = v;
                    PORTS
                        .iter()
                        .position(|names| names.iter().any(|n| n.eq_ignore_ascii_case(&arg)))
                        .map(|i| i as i64)
                };
                match port {
                    Some(p) => self.push(Action::Map {
                        field: MapField::Port,
                        value: p,
                    }),
                    None => self.push(Action::UnknownMedia(arg)),
                }
            }
            "mtu" => {
                let a = self.next_word().expect("checked");
                self.push(Action::Mtu(atoi(&a)));
            }
            "keepalive" | "outfill" => {
                let a = self.next_word().expect("checked");
                let which = if word == "keepalive" {
                    Slip::Keepalive
                } else {
                    Slip::Outfill
                };
                self.push(Action::Slip {
                    which,
                    value: atoi(&a),
                });
            }
            "broadcast" => {
                let host = self.optional_inet();
                self.push(Action::Broadcast(host));
            }
            "dstaddr" => {
                let w = self.next_word().expect("checked");
                let h = self.inet(&w);
                self.push(Action::Dstaddr(h));
            }
            "netmask" => {
                if self.did_netmask {
                    self.push(Action::Usage);
                    return false;
                }
                let w = self.next_word().expect("checked");
                let h = self.inet(&w);
                if h.addr().is_some() {
                    self.did_netmask = true;
                }
                self.push(Action::Netmask(h));
            }
            "txqueuelen" => {
                let a = self.next_word().expect("checked");
                let (v, _) = strtoul(&a, true);
                self.push(Action::TxQueueLen(v as i32));
            }
            "name" => {
                let a = self.next_word().expect("checked");
                self.push(Action::Name(linux::ifname(&a)));
            }
            "mem_start" | "io_addr" | "irq" => {
                let a = self.next_word().expect("checked");
                let (field, value) = match word {
                    "mem_start" => (MapField::MemStart, strtoul(&a, true).0 as i64),
                    "io_addr" => (MapField::IoAddr, strtoul(&a, true).0 as i64),
                    _ => (MapField::Irq, atoi(&a) as i64),
                };
                self.push(Action::Map { field, value });
            }
            "pointopoint" | "pointtopoint" => {
                let host = self.optional_inet();
                self.push(Action::PointToPoint(host));
            }
            "hw" => {
                let class = self.next_word().expect("checked");
                let Some(&(_, has_input)) = HW_CLASSES.iter().find(|(n, _)| *n == class) else {
                    self.push(Action::Usage);
                    return false;
                };
                if !has_input {
                    self.push(Action::HwNoHandler(class));
                    // ifconfig steps over the class and the address word. When the class
                    // was the last argument that steps over argv's NULL into the
                    // environment strings, which it then reads as words.
                    if self.pos + 1 == self.words.len() && !self.env.is_empty() {
                        self.words = self.env;
                        self.env = &[];
                        self.pos = usize::MAX;
                        return true;
                    }
                    self.pos += 1;
                    return true;
                }
                let Some(addr) = self.next_word() else {
                    self.push(Action::Usage);
                    return false;
                };
                if class == "ether" {
                    let mac = self.ether(&addr);
                    self.push(Action::HwEther(mac));
                } else if self.other_hw(&class, &addr) {
                    self.push(Action::HwOther { class, addr });
                } else {
                    self.push(Action::HwInvalid {
                        class,
                        addr: cut(&addr, 127),
                    });
                }
            }
            "add" | "del" | "tunnel" => {
                let arg = self.next_word().expect("checked");
                if word == "tunnel" || arg.contains(':') {
                    let Some(a) = self.inet6(&arg) else {
                        self.push(Action::Usage);
                        return false;
                    };
                    self.push(match word {
                        "add" => Action::Add6(a),
                        "del" => Action::Del6(a),
                        _ => Action::Tunnel(a),
                    });
                } else {
                    let h = self.inet(&arg);
                    self.push(if word == "add" {
                        Action::Add4(h)
                    } else {
                        Action::Del4(h)
                    });
                }
            }
            _ => return self.address(word),
        }
        true
    }

    /// The address word (anything that is not a keyword).
    fn address(&mut self, word: &str) -> bool {
        let host = cut(word, 127);
        let (name, mask) = match host.find('/') {
            Some(i) => match slash_mask(&host[i + 1..]) {
                Some(m) => (host[..i].to_string(), Some(m)),
                None => {
                    self.push(Action::Usage);
                    return false;
                }
            },
            None => (host.clone(), None),
        };
        if mask.is_some() && self.did_netmask {
            self.push(Action::Usage);
            return false;
        }
        let h = self.inet(&name);
        match h.inet {
            Inet::Failed(e) => {
                self.push(Action::Fail(vec![e.line(&h.word), HELP_HINT.to_string()]));
                false
            }
            Inet::Addr(a) | Inet::Network(a) => {
                if let Some(m) = mask {
                    self.need_netmask = Some(m);
                }
                self.push(Action::Address(a));
                true
            }
        }
    }
}

/// Parse the words after the interface name (`ifconfig IFACE WORDS…`) into actions.
///
/// `iface` is truncated to 15 bytes as ifconfig does. The first word may be an address
/// family (`inet`, `inet6`, …). Parsing stops at the first terminal action (usage error,
/// unresolvable address); the actions before it are still performed by ifconfig, left to
/// right, without rollback. Names are looked up through `resolver` (use [`NumericOnly`]
/// offline, [`Files`] to match a live system without DNS).
pub fn parse(iface: &str, words: &[String], resolver: &dyn Resolver) -> Command {
    parse_in_env(iface, words, &[], resolver)
}

/// [`parse`] for a live run: `environ` is the process environment (`NAME=value` strings),
/// which the real tool reads as further words after `hw CLASS` ends the command line with a
/// class that has no address parser (it steps two words ahead, past argv's end).
pub fn parse_in_env(
    iface: &str,
    words: &[String],
    environ: &[String],
    resolver: &dyn Resolver,
) -> Command {
    let iface = linux::ifname(iface);
    let mut actions = Vec::new();
    let mut start = 0;
    let mut family = Family::Inet;
    if let Some(first) = words.first() {
        if let Some(&(_, f)) = FAMILIES.iter().find(|(n, _)| n == first) {
            family = f;
            start = 1;
        } else if first.contains(',') {
            actions.push(Action::Note(
                "Please don't supply more than one address family.".to_string(),
            ));
        }
    }
    if family != Family::Inet {
        let name = words[0].as_str();
        let words = &words[start..];
        return parse_other_family(iface, (family, name), words, environ, actions, resolver);
    }
    let mut p = Parser {
        words: &words[start..],
        env: environ,
        pos: 0,
        resolver,
        sa: [0; 6],
        h_errno: HErr::NoError,
        did_netmask: false,
        need_netmask: None,
        actions,
    };
    p.run();
    Command {
        iface,
        family,
        actions: p.actions,
    }
}

/// Families other than inet share the keyword grammar; the address-taking keywords use the
/// family's own parser. nslab reproduces inet6's (`getaddrinfo`), and the families without
/// one (unix, ddp, ash: ifconfig calls a NULL parser and crashes, or refuses an address);
/// the others' parsers (ipx, ax25, netrom, rose, x25, ec) are not reproduced.
fn parse_other_family(
    iface: String,
    (family, name): (Family, &str),
    words: &[String],
    environ: &[String],
    actions: Vec<Action>,
    resolver: &dyn Resolver,
) -> Command {
    let no_parser = matches!(name, "unix" | "ddp" | "ash");
    let mut p = Parser {
        words,
        env: environ,
        pos: 0,
        resolver,
        sa: [0; 6],
        h_errno: HErr::NoError,
        did_netmask: false,
        need_netmask: None,
        actions,
    };
    while let Some(word) = p.words.get(p.pos).cloned() {
        let addr_keyword = matches!(
            word.as_str(),
            "broadcast" | "dstaddr" | "netmask" | "pointopoint" | "pointtopoint"
        );
        let arg = p.words.get(p.pos + 1).cloned();
        if let (true, Some(arg)) = (addr_keyword, arg) {
            if word == "netmask" && p.did_netmask {
                p.push(Action::Usage);
                break;
            }
            if no_parser {
                p.push(Action::Crash);
                break;
            }
            let arg = cut(&arg, 127);
            let parsed = match name {
                "inet6" => p.getaddrinfo6(&arg).map(|_| ()),
                "ipx" => match ipx_input(&arg) {
                    (true, _) => Ok(()),
                    (false, shown) => Err(vec![format!(
                        "ifconfig: Error resolving '{shown}' for {word}"
                    )]),
                },
                _ => {
                    p.push(Action::Unsupported(word.clone()));
                    break;
                }
            };
            if word == "netmask" && parsed.is_ok() {
                p.did_netmask = true;
            }
            p.push(Action::FamilyKeyword {
                keyword: word.clone(),
                parsed,
            });
            p.pos += 2;
            continue;
        }
        // `add`/`del` of an IPv4 address that does not resolve report it through the
        // family's `herror`, which only inet and inet6 have: a NULL call.
        if let (true, Some(a)) = (
            matches!(word.as_str(), "add" | "del"),
            p.words.get(p.pos + 1),
        ) {
            let v4 = !a.contains(':');
            let failed = matches!(resolve_inet(&cut(a, 127), resolver), Inet::Failed(_));
            if v4 && family != Family::Inet6 && failed {
                p.push(Action::Crash);
                break;
            }
        }
        if !addr_keyword && matches!(resolve_word_kind(&word), WordKind::Address) {
            let w = cut(&word, 127);
            let action = match (family, no_parser) {
                (Family::Inet6, _) => match p.getaddrinfo6(&w) {
                    Ok(_) => Action::OtherFamilyAddress { family, word: w },
                    Err(mut lines) => {
                        lines.push(HELP_HINT.to_string());
                        Action::Fail(lines)
                    }
                },
                (_, true) => Action::Fail(vec![
                    "ifconfig: Cannot set address for this protocol family.".to_string(),
                ]),
                _ if name == "ipx" => match ipx_input(&w) {
                    (true, _) => Action::OtherFamilyAddress { family, word: w },
                    (false, shown) => Action::Fail(vec![
                        format!("ifconfig: error resolving '{shown}' to set address for af=ipx"),
                        HELP_HINT.to_string(),
                    ]),
                },
                _ => Action::OtherFamilyAddress { family, word: w },
            };
            p.push(action);
            break;
        }
        if !p.word(&word) {
            break;
        }
        p.pos = p.pos.wrapping_add(1);
    }
    Command {
        iface,
        family,
        actions: p.actions,
    }
}

/// net-tools `IPX_input(0, …)`: `NETWORK:NODE`, the network in hex (not 0 or ffffffff),
/// the node twelve hex digits (not all 0 or all f; anything after them is ignored). Returns
/// whether it parsed, and the word as ifconfig then prints it: the parser upper-cases the
/// node digits in place as it reads them.
fn ipx_input(w: &str) -> (bool, String) {
    let t = w.trim_start_matches(|c: char| c.is_ascii() && is_c_space(c as u8));
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let t = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(d) if d.starts_with(|c: char| c.is_ascii_hexdigit()) => d,
        _ => t,
    };
    let n = t.bytes().take_while(u8::is_ascii_hexdigit).count();
    let v = t[..n].chars().fold(0u64, |v, c| {
        v.saturating_mul(16)
            .saturating_add(c.to_digit(16).unwrap_or(0) as u64)
    });
    let v = if neg { v.wrapping_neg() } else { v };
    let node_at = w.len() - t.len() + n + 1;
    if n == 0 || v == 0 || v == 0xffff_ffff || t.as_bytes().get(n) != Some(&b':') {
        return (false, w.to_string());
    }
    let mut b = w.as_bytes().to_vec();
    let mut ok = true;
    for i in node_at..node_at + 12 {
        match b.get_mut(i) {
            Some(c) => {
                c.make_ascii_uppercase();
                if !c.is_ascii_hexdigit() {
                    ok = false;
                    break;
                }
            }
            None => {
                ok = false;
                break;
            }
        }
    }
    let shown = String::from_utf8_lossy(&b).into_owned();
    if !ok {
        return (false, shown);
    }
    let node = &b[node_at..node_at + 12];
    let ok = !node.iter().all(|&c| c == b'0') && !node.iter().all(|&c| c == b'F');
    (ok, shown)
}

enum WordKind {
    Keyword,
    Address,
}

fn resolve_word_kind(word: &str) -> WordKind {
    const KEYWORDS: &[&str] = &[
        "arp",
        "-arp",
        "trailers",
        "-trailers",
        "promisc",
        "-promisc",
        "multicast",
        "-multicast",
        "allmulti",
        "-allmulti",
        "up",
        "down",
        "dynamic",
        "-dynamic",
        "-broadcast",
        "-pointopoint",
        "-pointtopoint",
        "media",
        "port",
        "mtu",
        "keepalive",
        "outfill",
        "broadcast",
        "dstaddr",
        "netmask",
        "txqueuelen",
        "name",
        "mem_start",
        "io_addr",
        "irq",
        "pointopoint",
        "pointtopoint",
        "hw",
        "add",
        "del",
        "tunnel",
    ];
    if KEYWORDS.contains(&word) {
        WordKind::Keyword
    } else {
        WordKind::Address
    }
}

#[cfg(test)]
mod tests;
