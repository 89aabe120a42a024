//! The argument grammar of net-tools 2.10 `arp`, as pure functions: argv → [`Cmd`] (what
//! `arp.c`'s `main` decides: options parsed by glibc `getopt_long`, then one action), the
//! words of `-s`/`-d` → the request the ioctl gets ([`SetReq`], [`DelReq`]), and the flat
//! view `migrate` uses ([`parse`], [`Invocation`], [`Invocation::ops`]).
//!
//! `arp -s HOST MAC [temp] [pub] [netmask M]` sends SIOCSARP with `ATF_PERM|ATF_COM` (`temp`
//! drops `ATF_PERM`, `pub` adds `ATF_PUBL`). The kernel (`net/ipv4/arp.c`) makes a
//! `permanent` entry, a `stale` one for `temp`, and a proxy entry for `pub`. `arp -d HOST
//! [pub]` deletes. Without `-i IF` the kernel picks the device by a route lookup at run time
//! (the drop-in does it on the snapshot; a static translation cannot).

use super::super::ifconfig::Outcome;
use super::super::names::Names;
use super::text;
use crate::legacy::dialect::Dialect;
use crate::legacy::linux::getopt::{getopt_long, Item, LongOpt};
use crate::op::{Ns, Op};
use std::net::Ipv4Addr;

/// The options of one command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opts {
    pub numeric: bool,
    pub verbose: bool,
    /// `-e` or the default display: the Linux table.
    pub linux_style: bool,
    /// `-a` given (changes the "no entry" message).
    pub all: bool,
    /// `-i IF`, cut to 15 bytes.
    pub device: Option<String>,
    /// `-H TYPE` given: only entries of that ARP hardware type.
    pub hw_type: Option<u16>,
    /// `-D`: the hardware address is a device's.
    pub use_device: bool,
    /// `--json` (nslab extension): jc's `arp` schema.
    pub json: bool,
}

/// What `arp` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    /// Output that needs no kernel state (version, usage, option errors); `stderr` may carry
    /// a warning printed before (`-N`).
    Fixed(Outcome),
    Show {
        opts: Opts,
        host: Option<String>,
        /// Printed on stderr first (`arp: -N not yet supported.`).
        warn: String,
    },
    Set {
        opts: Opts,
        words: Vec<String>,
        warn: String,
    },
    Del {
        opts: Opts,
        words: Vec<String>,
        warn: String,
    },
    File {
        opts: Opts,
        path: String,
        warn: String,
    },
}

const LONG: &[LongOpt] = &[
    LongOpt {
        name: "verbose",
        has_arg: false,
        val: 'v',
    },
    LongOpt {
        name: "version",
        has_arg: false,
        val: 'V',
    },
    LongOpt {
        name: "all",
        has_arg: false,
        val: 'a',
    },
    LongOpt {
        name: "delete",
        has_arg: false,
        val: 'd',
    },
    LongOpt {
        name: "file",
        has_arg: false,
        val: 'f',
    },
    LongOpt {
        name: "numeric",
        has_arg: false,
        val: 'n',
    },
    LongOpt {
        name: "set",
        has_arg: false,
        val: 's',
    },
    LongOpt {
        name: "protocol",
        has_arg: true,
        val: 'A',
    },
    LongOpt {
        name: "hw-type",
        has_arg: true,
        val: 'H',
    },
    LongOpt {
        name: "device",
        has_arg: true,
        val: 'i',
    },
    LongOpt {
        name: "help",
        has_arg: false,
        val: 'h',
    },
    LongOpt {
        name: "use-device",
        has_arg: false,
        val: 'D',
    },
    LongOpt {
        name: "symbolic",
        has_arg: false,
        val: 'N',
    },
    LongOpt {
        name: "json",
        has_arg: false,
        val: 'J',
    },
];

/// Hardware types net-tools knows: name, ARPHRD type, whether it can do ARP.
const HW_TYPES: &[(&str, u16, bool)] = &[
    ("loop", 772, false),
    ("slip", 256, false),
    ("cslip", 257, false),
    ("slip6", 258, false),
    ("cslip6", 259, false),
    ("adaptive", 264, false),
    ("ash", 781, true),
    ("ether", 1, true),
    ("ax25", 3, true),
    ("netrom", 0, true),
    ("rose", 270, true),
    ("tunnel", 768, false),
    ("ppp", 512, false),
    ("hdlc", 513, false),
    ("lapb", 516, false),
    ("arcnet", 7, true),
    ("dlci", 15, true),
    ("frad", 770, false),
    ("sit", 776, false),
    ("fddi", 774, true),
    ("hippi", 780, true),
    ("irda", 783, true),
    ("ec", 787, false),
    ("x25", 271, true),
    ("eui64", 27, true),
    ("unspec", 65535, false),
];

/// Address families net-tools knows (`-A`): only `inet` works for ARP.
const FAMILIES: &[&str] = &[
    "unix", "inet", "inet6", "ax25", "netrom", "rose", "ipx", "ddp", "ec", "x25",
];

fn die(stderr: String, code: i32) -> Cmd {
    Cmd::Fixed(Outcome {
        stdout: String::new(),
        stderr,
        code,
    })
}

/// The usage with its hardware list, as `d` prints it after a usage error (stderr).
pub fn usage_text(d: Dialect) -> String {
    match d {
        Dialect::Modern => format!("{}{}", text::USAGE, text::HW_LIST),
        Dialect::Classic => format!("{}{}", text::CLASSIC_USAGE, text::CLASSIC_HW_LIST),
    }
}

/// The exit code of a usage error: 2.10's `E_OPTERR`, the classic's `E_USAGE`.
pub fn usage_code(d: Dialect) -> i32 {
    match d {
        Dialect::Modern => 3,
        Dialect::Classic => 4,
    }
}

/// The hardware type `-H NAME` names in `d`: its ARPHRD type and whether it can do ARP (the
/// classic build has InfiniBand and no EUI-64).
fn hw_type_named(d: Dialect, name: &str) -> Option<(u16, bool)> {
    match (d, name) {
        (Dialect::Classic, "infiniband") => Some((32, true)),
        (Dialect::Classic, "eui64") => None,
        _ => HW_TYPES
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, t, a)| (*t, *a)),
    }
}

/// Parse argv (without argv[0]) as `arp.c`'s `main` does. `prog` is argv[0] as called.
/// The classic 1.60 prints its usage (for `-h` too) and `-V` on stderr, exits 4 and 5.
pub fn parse_cmd(d: Dialect, prog: &str, args: &[String]) -> Cmd {
    let classic = d == Dialect::Classic;
    // No long option of arp's stands for a table entry: none is `Item::Long`.
    let p = getopt_long(prog, args, "A:H:adfp:nsei:t:vh?DNV", LONG, '\u{1}');
    let mut o = Opts::default();
    let mut what = 0;
    let mut warn = String::new();
    let mut family = "inet".to_string();
    // `-H TYPE` of a hardware type without ARP: refused once all options are read.
    let mut no_arp_hw: Option<String> = None;
    for item in &p.items {
        match item {
            Item::Error(m) => {
                return die(format!("{warn}{m}\n{}", usage_text(d)), usage_code(d));
            }
            Item::Long(..) => {}
            Item::Opt(c, arg) => match c {
                'a' => {
                    what = 1;
                    o.all = true;
                }
                'f' => what = 2,
                'd' => what = 3,
                's' => what = 4,
                'e' => o.linux_style = true,
                'n' => o.numeric = true,
                'D' => o.use_device = true,
                'N' => warn.push_str("arp: -N not yet supported.\n"),
                'v' => o.verbose = true,
                'J' => o.json = true,
                'A' | 'p' => {
                    let a = arg.clone().unwrap_or_default();
                    if !FAMILIES.contains(&a.as_str()) {
                        return die(format!("{warn}arp: {a}: unknown address family.\n"), 255);
                    }
                    family = a;
                    no_arp_hw = None;
                }
                'H' | 't' => {
                    let a = arg.clone().unwrap_or_default();
                    match hw_type_named(d, &a) {
                        Some((t, arpable)) => {
                            if !arpable {
                                // Checked after all options, but nothing else can fail first.
                                o.hw_type = Some(u16::MAX);
                                no_arp_hw = Some(a);
                            } else {
                                o.hw_type = Some(t);
                            }
                        }
                        None => {
                            return die(format!("{warn}arp: {a}: unknown hardware type.\n"), 255)
                        }
                    }
                }
                'i' => {
                    o.device = Some(cut15(arg.as_deref().unwrap_or_default()));
                }
                'V' if classic => return die(warn + text::CLASSIC_VERSION, 5),
                'h' if classic => return die(warn + &usage_text(d), 4),
                'V' => {
                    return Cmd::Fixed(Outcome {
                        stdout: text::VERSION.into(),
                        stderr: warn,
                        code: 0,
                    })
                }
                'h' => {
                    return Cmd::Fixed(Outcome {
                        stdout: text::USAGE.into(),
                        stderr: warn + text::HW_LIST,
                        code: 0,
                    })
                }
                _ => return die(warn + &usage_text(d), usage_code(d)),
            },
        }
    }
    if let Some(hw) = no_arp_hw {
        return die(
            format!("{warn}arp: {hw}: hardware type without ARP support.\n"),
            255,
        );
    }
    if family != "inet" {
        return die(
            format!("{warn}arp: {family}: kernel only supports 'inet'.\n"),
            255,
        );
    }
    let words = p.operands;
    match what {
        0 => {
            o.linux_style = true;
            Cmd::Show {
                opts: o,
                host: words.first().cloned(),
                warn,
            }
        }
        1 => Cmd::Show {
            opts: o,
            host: words.first().cloned(),
            warn,
        },
        2 => Cmd::File {
            opts: o,
            path: words
                .first()
                .cloned()
                .unwrap_or_else(|| "/etc/ethers".into()),
            warn,
        },
        3 => Cmd::Del {
            opts: o,
            words,
            warn,
        },
        _ => Cmd::Set {
            opts: o,
            words,
            warn,
        },
    }
}

/// `INET_resolve(name, hostfirst = 0)` as `arp` calls it: the address, or the `herror`
/// line. A name that is neither a network nor in /etc/hosts fails the way glibc reports a
/// DNS lookup that could not be made.
pub fn resolve(name: &str, names: &Names) -> Result<Ipv4Addr, String> {
    if name == "default" {
        return Ok(Ipv4Addr::UNSPECIFIED);
    }
    if let Some(a) = crate::legacy::ifconfig::set::grammar::inet_aton(name) {
        return Ok(a);
    }
    if let Some(n) = names.net_by_name(name) {
        return Ok(Ipv4Addr::from(n));
    }
    names
        .host_by_name(name)
        .ok_or_else(|| format!("{name}: Host name lookup failure\n"))
}

/// `in_ether`: up to six octets of one or two hex digits, `:` optional between them; what
/// is not given keeps the bytes already in the buffer (the port and address of the host's
/// sockaddr, as net-tools reuses it); anything after the sixth octet is ignored.
pub fn in_ether(s: &str, host: Ipv4Addr) -> Option<[u8; 6]> {
    let o = host.octets();
    let mut mac = [0, 0, o[0], o[1], o[2], o[3]];
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut i = 0;
    let mut k = 0;
    while k < b.len() && i < 6 {
        let mut val = hex(b[k])?;
        k += 1;
        let c = b.get(k).copied().unwrap_or(0);
        if let Some(d) = hex(c) {
            val = (val << 4) | d;
        } else if c != b':' && c != 0 {
            return None;
        }
        if c != 0 {
            k += 1;
        }
        mac[i] = val;
        i += 1;
        if b.get(k) == Some(&b':') {
            k += 1;
        }
    }
    Some(mac)
}

/// `ATF_*` flags of an ARP request.
pub const ATF_COM: u32 = 0x02;
pub const ATF_PERM: u32 = 0x04;
pub const ATF_PUBL: u32 = 0x08;
pub const ATF_USETRAILERS: u32 = 0x10;
pub const ATF_NETMASK: u32 = 0x20;
pub const ATF_DONTPUB: u32 = 0x40;
pub const ATF_MAGIC: u32 = 0x80;

/// The SIOCSARP request `arp -s` makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetReq {
    pub addr: Ipv4Addr,
    pub mac: [u8; 6],
    pub flags: u32,
    /// `-i IF` or `dev IF`.
    pub dev: Option<String>,
    /// `netmask M` other than 255.255.255.255.
    pub netmask: Option<Ipv4Addr>,
    /// What parsing printed on stderr (the classic's `feature … not supported` lines).
    pub trace: String,
}

/// The SIOCDARP request(s) `arp -d` makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelReq {
    pub addr: Ipv4Addr,
    /// The host word as given (for `No ARP entry for …`).
    pub host: String,
    /// 1: `pub`, 2: `priv`, 3: both (neither given).
    pub which: u8,
    pub flags: u32,
    pub dev: Option<String>,
    pub netmask: Option<Ipv4Addr>,
    /// What parsing printed on stderr (`-v`: `args=WORD` per keyword; the classic's
    /// `feature … not supported` lines).
    pub trace: String,
}

/// A usage error in an action's words: what parsing printed, then the usage.
fn usage_err(d: Dialect, trace: &str) -> Outcome {
    Outcome {
        stdout: String::new(),
        stderr: format!("{trace}{}", usage_text(d)),
        code: usage_code(d),
    }
}

/// `dontpub` and `auto` in the classic build: its configuration has neither ATF_DONTPUB nor
/// ATF_MAGIC, so it says so and goes on without the flag. `None`: the flag (2.10).
fn classic_unsupported(d: Dialect, word: &str) -> Option<String> {
    let feature = match (d, word) {
        (Dialect::Classic, "dontpub") => "ATF_DONTPUB",
        (Dialect::Classic, "auto") => "ATF_MAGIC",
        _ => return None,
    };
    Some(format!(
        "arp: feature `{feature}' not supported.\nPlease recompile `net-tools' with newer kernel source or full configuration.\n"
    ))
}

fn fail(stderr: String) -> Outcome {
    Outcome {
        stdout: String::new(),
        stderr,
        code: 255,
    }
}

fn cut15(d: &str) -> String {
    crate::legacy::linux::ifname_shown(d)
}

/// The words `arp -s` and `arp -d` both take after the host (`temp`, `trail`, `dontpub`,
/// `auto`, `dev IF`, `netmask M`), applied to the request's flags, device and netmask;
/// anything else is a usage error. `trace` is what `d` printed before (the classic's notes
/// on what it does not support), which comes first in any message.
fn entry_word<'a>(
    x: &str,
    w: &mut impl Iterator<Item = &'a String>,
    (flags, dev, netmask): (&mut u32, &mut Option<String>, &mut Option<Ipv4Addr>),
    (d, trace): (Dialect, &str),
    names: &Names,
) -> Result<(), Outcome> {
    match x {
        "temp" => *flags &= !ATF_PERM,
        "trail" => *flags |= ATF_USETRAILERS,
        "dontpub" => *flags |= ATF_DONTPUB,
        "auto" => *flags |= ATF_MAGIC,
        "dev" => match w.next() {
            Some(name) => *dev = Some(cut15(name)),
            None => return Err(usage_err(d, trace)),
        },
        "netmask" => match w.next() {
            Some(m) if m == "255.255.255.255" => {}
            Some(m) => {
                *netmask = Some(resolve(m, names).map_err(|e| fail(trace.to_string() + &e))?);
                *flags |= ATF_NETMASK;
            }
            None => return Err(usage_err(d, trace)),
        },
        _ => return Err(usage_err(d, trace)),
    }
    Ok(())
}

/// `arp_set` up to the ioctl.
pub fn set_req(d: Dialect, o: &Opts, words: &[String], names: &Names) -> Result<SetReq, Outcome> {
    let mut w = words.iter();
    let Some(host) = w.next() else {
        return Err(fail("arp: need host name\n".into()));
    };
    let addr = resolve(host, names).map_err(fail)?;
    let Some(hw) = w.next() else {
        return Err(fail("arp: need hardware address\n".into()));
    };
    if o.use_device {
        return Err(fail(
            "nslab arp: -D (the hardware address of a device) is not supported\n".into(),
        ));
    }
    // 2.10 parses into the buffer that held the host's address, the classic into the zeroed
    // request: what a short address leaves out is that address's bytes, or zeros.
    let under = match d {
        Dialect::Modern => addr,
        Dialect::Classic => Ipv4Addr::UNSPECIFIED,
    };
    let Some(mac) = in_ether(hw, under) else {
        return Err(fail("arp: invalid hardware address\n".into()));
    };
    let mut r = SetReq {
        addr,
        mac,
        flags: ATF_PERM | ATF_COM,
        dev: o.device.clone(),
        netmask: None,
        trace: String::new(),
    };
    while let Some(x) = w.next() {
        if let Some(t) = classic_unsupported(d, x) {
            r.trace.push_str(&t);
            continue;
        }
        match x.as_str() {
            "pub" => r.flags |= ATF_PUBL,
            "priv" => r.flags &= !ATF_PUBL,
            _ => entry_word(
                x,
                &mut w,
                (&mut r.flags, &mut r.dev, &mut r.netmask),
                (d, &r.trace),
                names,
            )?,
        }
    }
    Ok(r)
}

/// `arp_del` up to the ioctl.
pub fn del_req(d: Dialect, o: &Opts, words: &[String], names: &Names) -> Result<DelReq, Outcome> {
    let mut w = words.iter();
    let Some(host) = w.next() else {
        return Err(fail("arp: need host name\n".into()));
    };
    let addr = resolve(host, names).map_err(fail)?;
    let mut r = DelReq {
        addr,
        host: host.chars().take(127).collect(),
        which: 0,
        flags: ATF_PERM,
        dev: o.device.clone(),
        netmask: None,
        trace: String::new(),
    };
    while let Some(x) = w.next() {
        if o.verbose {
            r.trace.push_str(&format!("args={x}\n"));
        }
        if let Some(t) = classic_unsupported(d, x) {
            r.trace.push_str(&t);
            continue;
        }
        match x.as_str() {
            "pub" => r.which |= 1,
            "priv" => r.which |= 2,
            _ => entry_word(
                x,
                &mut w,
                (&mut r.flags, &mut r.dev, &mut r.netmask),
                (d, &r.trace),
                names,
            )?,
        }
    }
    if r.which == 0 {
        r.which = 3;
    }
    Ok(r)
}

/// `getargs`: a line of an ethers file split into words; `"…"` or `'…'` quote one.
pub fn getargs(line: &str) -> Vec<String> {
    let b: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() && out.len() < 31 {
        while i < b.len() && (b[i] == ' ' || b[i] == '\t') {
            i += 1;
        }
        let mut w = String::new();
        if i < b.len() && (b[i] == '"' || b[i] == '\'') {
            let want = b[i];
            i += 1;
            while i < b.len() {
                if b[i] == want && b[i - 1] != '\\' {
                    i += 1;
                    break;
                }
                w.push(b[i]);
                i += 1;
            }
        } else {
            while i < b.len() && b[i] != ' ' && b[i] != '\t' {
                w.push(b[i]);
                i += 1;
            }
        }
        out.push(w);
        while i < b.len() && (b[i] == ' ' || b[i] == '\t') {
            i += 1;
        }
    }
    out
}

/// One parsed `arp` command line (the flat view `migrate` uses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// `arp`, `arp -a`, `arp -n`, `arp -e`: prints the table.
    Show,
    Set {
        addr: Ipv4Addr,
        mac: String,
        temp: bool,
        publ: bool,
        dev: Option<String>,
    },
    Del {
        addr: Ipv4Addr,
        publ: bool,
        dev: Option<String>,
    },
    /// Something `arp` refuses before touching the kernel, or a form not modelled here.
    Refused(String),
}

fn first_line(o: &Outcome) -> String {
    let t = if o.stderr.is_empty() {
        &o.stdout
    } else {
        &o.stderr
    };
    t.lines().next().unwrap_or("arp: usage").to_string()
}

/// Parse argv (without argv[0]) into the flat view, with numeric names only.
pub fn parse(args: &[String]) -> Invocation {
    let names = Names::default();
    match parse_cmd(Dialect::Modern, "arp", args) {
        Cmd::Fixed(o) => Invocation::Refused(first_line(&o)),
        Cmd::Show { .. } => Invocation::Show,
        Cmd::File { .. } => Invocation::Refused("arp: -f reads a file at run time".into()),
        Cmd::Set { opts, words, .. } => match set_req(Dialect::Modern, &opts, &words, &names) {
            Err(o) => Invocation::Refused(first_line(&o)),
            Ok(r) if r.flags & (ATF_NETMASK | ATF_DONTPUB) != 0 => {
                Invocation::Refused("SIOCSARP: Invalid argument".into())
            }
            Ok(r) => Invocation::Set {
                addr: r.addr,
                mac: r
                    .mac
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(":"),
                temp: r.flags & ATF_PERM == 0,
                publ: r.flags & ATF_PUBL != 0,
                dev: r.dev,
            },
        },
        Cmd::Del { opts, words, .. } => match del_req(Dialect::Modern, &opts, &words, &names) {
            Err(o) => Invocation::Refused(first_line(&o)),
            Ok(r) => Invocation::Del {
                addr: r.addr,
                publ: r.which == 1,
                dev: r.dev,
            },
        },
    }
}

impl Invocation {
    /// The kernel change in namespace `ns`; `None` for display, refusals, and commands
    /// without `-i` (the device is then chosen by the kernel at run time).
    pub fn ops(&self, ns: &Ns) -> Option<Vec<Op>> {
        match self {
            Invocation::Set {
                addr,
                mac,
                temp,
                publ,
                dev: Some(dev),
            } => Some(vec![Op::SetNeigh {
                ns: ns.clone(),
                dev: dev.clone(),
                addr: addr.to_string(),
                lladdr: (!publ).then(|| mac.clone()),
                nud: if *temp { "stale" } else { "permanent" }.into(),
            }]),
            Invocation::Del {
                addr,
                publ,
                dev: Some(dev),
            } => Some(vec![Op::DelNeigh {
                ns: ns.clone(),
                dev: dev.clone(),
                addr: addr.to_string(),
                proxy: *publ,
            }]),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Invocation {
        parse(&crate::legacy::words(line))
    }

    #[test]
    fn set_with_device_is_a_permanent_neighbour() {
        let ops = p("-i eth0 -s 10.0.0.9 2:0:0:0:0:9")
            .ops(&Some("n".into()))
            .unwrap();
        assert_eq!(
            ops[0].to_string(),
            "ip -n n neigh replace 10.0.0.9 lladdr 02:00:00:00:00:09 nud permanent dev eth0"
        );
        let ops = p("-s 10.0.0.9 02:00:00:00:00:09 temp -i eth0")
            .ops(&None)
            .unwrap();
        assert!(ops[0].to_string().contains("nud stale"));
    }

    #[test]
    fn without_a_device_there_is_no_static_translation() {
        assert!(p("-s 10.0.0.9 02:00:00:00:00:09").ops(&None).is_none());
        assert_eq!(p("-an"), Invocation::Show);
    }

    #[test]
    fn short_hardware_addresses_keep_the_host_bytes() {
        let a = Ipv4Addr::new(10, 0, 0, 30);
        assert_eq!(in_ether("aa:bb", a), Some([0xaa, 0xbb, 10, 0, 0, 30]));
        assert_eq!(in_ether("020000000020", a), Some([2, 0, 0, 0, 0, 0x20]));
        assert_eq!(in_ether("zz:00", a), None);
    }

    #[test]
    fn ethers_lines_split_like_getargs() {
        assert_eq!(
            getargs("  a 'b c'\t\"d\" "),
            vec!["a".to_string(), "b c".into(), "d".into()]
        );
    }
}
