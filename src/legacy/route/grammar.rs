//! The argument grammar of `route` (net-tools 2.10, or the classic 1.60 where its [`Dialect`]
//! says so), as pure functions: argv → [`Cmd`] (what
//! `route.c` decides: options, address families, verb), the words after `add`/`del` →
//! [`Change`] or the refusal route prints (`lib/inet_sr.c`, `lib/inet6_sr.c`), and the kernel
//! change a parsed command means, as [`Op`]s. [`parse`] is the older, flatter view `migrate`
//! uses.
//!
//! What `route` decides before it calls the kernel is decided here:
//! * `-net` and `-host` are rewritten to `#net`/`#host` before option parsing, so they may
//!   stand anywhere; options are parsed by glibc `getopt_long` (permuted: `route add … -n`);
//! * `add`/`del` (`delete`) then `[-net|-host] TARGET[/LEN]`, then the keywords `netmask`,
//!   `gw`/`gateway`, `metric`, `mss`/`mtu`, `window`, `irtt`, `reject`, `mod`, `dyn`,
//!   `reinstate`, `dev`/`device`, and a bare last word as the device;
//! * a numeric target without `-net` is a **host** route, `default` (or a name from
//!   /etc/networks) a network; a network route without `netmask` or `/LEN` has mask 0, which
//!   the kernel refuses for any target but 0.0.0.0 (`SIOCADDRT: Invalid argument`);
//! * `metric N` is sent as N+1 (a C `short`) and the kernel takes 1 off again; IPv6 routes
//!   get metric 1 when none is given (0 means the kernel default, 1024);
//! * `mss M` becomes the route's advmss M-40, `irtt I` its rtt I×8 (raw), `window W` as is;
//! * `reject` without a device uses `lo`; the kernel makes it `unreachable … scope host`;
//! * routes made through the ioctl are `proto boot`; the ioctl delete matches any protocol
//!   but only unicast routes (unless `reject`), so the `ip` form says `unicast`.
//!
//! The classic 1.60 differs in what it prints around that: no `-4`/`-6`; `-V` on stderr
//! (exit 5); every usage text on stderr with exit 4 (`E_USAGE`), and a refusal that 2.10
//! answers with the `inet_route` usage and exit 3 (`E_OPTERR`: a bogus netmask, an invalid
//! MSS …) gets the general usage instead ([`finish`]); a target that does not resolve exits
//! 1; an IPv6 prefix length out of range prints the usage and goes on to the kernel.

//!
//! Longer than 800 lines on purpose: it is one reading of route's argv, in the order
//! `route.c`, `inet_sr.c` and `inet6_sr.c` read it (options, then the target, then each
//! keyword, then the checks before the ioctl), for both dialects; split, each part would need
//! the whole picture of the others.
use super::super::ifconfig::Outcome;
use super::super::names::Names;
use super::text;
use crate::legacy::dialect::Dialect;
use crate::legacy::ifconfig::set::grammar::inet_aton;
use crate::legacy::linux::getopt::{getopt_long, Item, LongOpt};
use crate::op::{Ns, Op, RouteSpec};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Which address family a command is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Inet,
    Inet6,
}

/// A route change, fully parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub add: bool,
    pub family: Family,
    /// Destination prefix as `ip` takes it (`10.0.0.0/8`, `default`, `2001:db8::/64`).
    pub dst: String,
    pub gw: Option<String>,
    /// The device word as given (at most 15 bytes reach the kernel; `eth0:1` names an alias).
    pub dev: Option<String>,
    /// The kernel metric (priority) the route gets; `None`: 0 for IPv4.
    pub metric: Option<u32>,
    pub reject: bool,
    /// `mss`, `window`, `irtt` as given (`mss 1400`), in order; the values are below.
    pub extras: Vec<String>,
    /// The route metrics the kernel stores: advmss (mss - 40), window, rtt (irtt × 8).
    pub advmss: Option<u32>,
    pub window: Option<u32>,
    pub rtt: Option<u32>,
    /// RTF_HOST: a /32 (/128) route.
    pub host: bool,
    /// The kernel refuses the change before anything else (`bad_mask`: EINVAL): a network
    /// whose mask is not contiguous or does not cover the address (IPv6: a prefix length
    /// over 128, which the classic 1.60 sends).
    pub bad_mask: bool,
    /// Printed on stderr before the change is tried (the classic 1.60's IPv6 usage for a
    /// prefix length out of range).
    pub warn: String,
}

/// What one `route` command line asks for (the flat view `migrate` uses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// Print a routing table (`route`, `route -n`, `route -A inet6`, `route -C` …).
    Show {
        family: Family,
        cache: bool,
    },
    Change(Change),
    /// `route` refuses the line before touching the kernel (usage, bad value) or prints only
    /// its own text (`-h`, `-V`: the message ends in `requested`): this message, nothing
    /// changes.
    Refused(String),
}

/// The display and edit options (`route.c`'s `options`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opts {
    /// `-n` or `-N`: no names.
    pub numeric: bool,
    /// `opt_e & 3`: 1 the default table, 2 `-e`, 3 `-ee`, 0 after `-eee` (title only).
    pub ext: u8,
    pub verbose: bool,
    pub fib: bool,
    pub cache: bool,
    /// The address families asked for, in order (`-A inet -6` is both).
    pub families: Vec<String>,
    /// `--json` (nslab extension): jc's `route` schema.
    pub json: bool,
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    /// Output that needs no kernel state: version, usage, option errors.
    Fixed(Outcome),
    Show(Opts),
    /// `add`, `del`, `flush` with the words after the verb (`-net`/`-host` as `#net`/`#host`).
    Edit {
        opts: Opts,
        verb: Verb,
        words: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Add,
    Del,
    Flush,
}

/// The address family aliases `-A` and `--FAMILY` take, and the family each names
/// (net-tools' `aftrans`, which netstat reads too).
pub const AFTRANS: &[(&str, &str)] = &[
    ("ax25", "ax25"),
    ("ip", "inet"),
    ("ip6", "inet6"),
    ("ipx", "ipx"),
    ("rose", "rose"),
    ("appletalk", "ddp"),
    ("netrom", "netrom"),
    ("inet", "inet"),
    ("inet6", "inet6"),
    ("ddp", "ddp"),
    ("unix", "unix"),
    ("tcpip", "inet"),
    ("econet", "ec"),
    ("x25", "x25"),
    ("ash", "ash"),
    ("bluetooth", "bluetooth"),
];

/// The families this net-tools build knows (`get_aftype`); `bluetooth` is not built in.
pub const KNOWN_FAMILIES: &[&str] = &[
    "unix", "inet", "inet6", "ax25", "netrom", "rose", "ipx", "ddp", "ec", "x25", "ash",
];

const AF: char = '\u{1}';

fn lo(name: &'static str, has_arg: bool, val: char) -> LongOpt {
    LongOpt { name, has_arg, val }
}

fn long_opts() -> Vec<LongOpt> {
    let mut v: Vec<LongOpt> = [
        "ax25",
        "x25",
        "ip",
        "ipx",
        "appletalk",
        "netrom",
        "inet",
        "inet6",
        "ddp",
        "rose",
        "unix",
        "bluetooth",
        "tcpip",
    ]
    .iter()
    .map(|n| lo(n, false, AF))
    .collect();
    v.extend([
        lo("extend", false, 'e'),
        lo("verbose", false, 'v'),
        lo("version", false, 'V'),
        lo("numeric", false, 'n'),
        lo("symbolic", false, 'N'),
        lo("protocol", true, 'A'),
        lo("cache", false, 'C'),
        lo("fib", false, 'F'),
        lo("help", false, 'h'),
        lo("json", false, 'J'),
    ]);
    v
}

/// `aftrans_opt`: append each comma-separated alias's family; an unknown one stops with
/// its message (exit 1).
fn aftrans(families: &mut Vec<String>, arg: &str) -> Result<(), String> {
    for part in arg.split(',') {
        match AFTRANS.iter().find(|(a, _)| *a == part) {
            Some((_, f)) => families.push(f.to_string()),
            None => return Err(format!("Unknown address family `{part}'.\n")),
        }
    }
    Ok(())
}

/// The general usage with its family list, as the dialect prints it (stdout or stderr is the
/// caller's choice).
fn usage_text(d: Dialect) -> String {
    match d {
        Dialect::Modern => format!("{}{}", text::USAGE, text::AF_LIST),
        Dialect::Classic => format!("{}{}", text::CLASSIC_USAGE, text::CLASSIC_AF_LIST),
    }
}

/// The classic `main`'s last step: a display or an edit that ends in `E_OPTERR` prints the
/// general usage and exits `E_USAGE`. 2.10 keeps the outcome as it is.
pub fn finish(d: Dialect, mut o: Outcome) -> Outcome {
    if d == Dialect::Classic && o.code == text::E_OPTERR {
        o.stderr.push_str(&usage_text(d));
        o.code = text::E_USAGE;
    }
    o
}

/// Parse argv (without argv[0]) as `route.c`'s `main` does. `prog` is argv[0] as called
/// (glibc's option messages start with it).
pub fn parse_cmd(d: Dialect, prog: &str, args: &[String]) -> Cmd {
    let classic = d == Dialect::Classic;
    let args: Vec<String> = args
        .iter()
        .map(|a| match a.as_str() {
            "-net" => "#net".to_string(),
            "-host" => "#host".to_string(),
            _ => a.clone(),
        })
        .collect();
    let optstring = if classic {
        "A:eCFhnNVv?"
    } else {
        "A:eCFhnN64Vv?"
    };
    let longs = long_opts();
    let p = getopt_long(prog, &args, optstring, &longs, AF);
    let mut o = Opts::default();
    let mut opt_e = 1u32;
    let mut help = 0;
    let mut err = String::new();
    let fixed = |stdout: String, stderr: String, code: i32| {
        Cmd::Fixed(Outcome {
            stdout,
            stderr,
            code,
        })
    };
    for item in &p.items {
        let r = match item {
            Item::Error(m) => {
                err.push_str(m);
                err.push('\n');
                help += 1;
                Ok(())
            }
            Item::Opt(c, arg) => match c {
                'n' | 'N' => {
                    o.numeric = true;
                    Ok(())
                }
                'v' => {
                    o.verbose = true;
                    Ok(())
                }
                'e' => {
                    opt_e += 1;
                    Ok(())
                }
                'C' => {
                    o.cache = true;
                    Ok(())
                }
                'F' => {
                    o.fib = true;
                    Ok(())
                }
                'J' => {
                    o.json = true;
                    Ok(())
                }
                'A' => aftrans(&mut o.families, arg.as_deref().unwrap_or("")),
                '6' => aftrans(&mut o.families, "inet6"),
                '4' => aftrans(&mut o.families, "inet"),
                'V' if classic => {
                    return fixed(String::new(), err + text::CLASSIC_VERSION, text::E_VERSION)
                }
                'V' => return fixed(text::VERSION.into(), err, 0),
                _ => {
                    help += 1;
                    Ok(())
                }
            },
            Item::Long(k, _) => aftrans(&mut o.families, longs[*k].name),
        };
        if let Err(m) = r {
            err.push_str(&m);
            return fixed(String::new(), err, 1);
        }
    }
    o.ext = (opt_e & 3) as u8;
    if !o.fib && !o.cache {
        o.fib = true;
    }
    if help > 0 {
        if classic && o.families.is_empty() {
            return fixed(String::new(), err + &usage_text(d), text::E_USAGE);
        }
        if o.families.is_empty() {
            return fixed(text::USAGE.into(), err + text::AF_LIST, 0);
        }
        let (out, e, code) = af_help(d, &o);
        return Cmd::Fixed(finish(
            d,
            Outcome {
                stdout: out,
                stderr: err + &e,
                code,
            },
        ));
    }
    if o.families.is_empty() {
        o.families.push("inet".into());
    }
    let Some((verb, words)) = p.operands.split_first() else {
        return Cmd::Show(o);
    };
    let verb = match verb.as_str() {
        "add" => Verb::Add,
        "del" | "delete" => Verb::Del,
        "flush" => Verb::Flush,
        _ => {
            let code = if classic {
                text::E_USAGE
            } else {
                text::E_OPTERR
            };
            return fixed(String::new(), err + &usage_text(d), code);
        }
    };
    if !err.is_empty() {
        // getopt messages come with a help request, handled above.
        unreachable!("an option error always asks for help");
    }
    Cmd::Edit {
        opts: o,
        verb,
        words: words.to_vec(),
    }
}

/// `get_aftype(afname)` as `route_edit` calls it with the whole (comma-joined) list.
fn edit_family(o: &Opts) -> Result<&str, (String, i32)> {
    if o.families.len() > 1 {
        return Err((
            format!(
                "Please don't supply more than one address family.\nAddress family `{}' not supported.\n",
                o.families.join(",")
            ),
            text::E_OPTERR,
        ));
    }
    let f = o.families[0].as_str();
    match f {
        "inet" | "inet6" => Ok(f),
        _ if KNOWN_FAMILIES.contains(&f) => Err((
            format!("No routing for address family `{f}'.\n"),
            text::E_OPTERR,
        )),
        _ => Err((
            format!("Address family `{f}' not supported.\n"),
            text::E_OPTERR,
        )),
    }
}

/// The exit code of a family's usage after a refusal: 2.10's `E_OPTERR`, the classic's
/// `E_USAGE` (its `usage()` returns that).
fn usage_code(d: Dialect) -> i32 {
    match d {
        Dialect::Modern => text::E_OPTERR,
        Dialect::Classic => text::E_USAGE,
    }
}

/// `route -h -A FAMILY`: that family's usage (the classic prints it on stderr, exit 4).
fn af_help(d: Dialect, o: &Opts) -> (String, String, i32) {
    let asked = |usage: &str| match d {
        Dialect::Modern => (usage.to_string(), String::new(), 0),
        Dialect::Classic => (String::new(), usage.to_string(), text::E_USAGE),
    };
    match edit_family(o) {
        Err((m, code)) => (String::new(), m, code),
        Ok("inet") if o.cache => (
            String::new(),
            format!(
                "Modifying `inet' routing cache not supported\n{}",
                text::INET_USAGE
            ),
            usage_code(d),
        ),
        Ok("inet") => asked(text::INET_USAGE),
        Ok(_) => asked(text::INET6_USAGE),
    }
}

/// What `route add|del|flush WORDS` does before the kernel: the change, or the output of
/// the refusal.
pub fn edit(
    d: Dialect,
    o: &Opts,
    verb: Verb,
    words: &[String],
    names: &Names,
) -> Result<Change, Outcome> {
    let refuse = |stderr: String, code: i32| Outcome {
        stdout: String::new(),
        stderr,
        code,
    };
    let fam = edit_family(o).map_err(|(m, c)| refuse(m, c))?;
    let add = verb == Verb::Add;
    if fam == "inet" {
        if verb == Verb::Flush {
            return Err(refuse(
                format!(
                    "Flushing `inet' routing table not supported\n{}",
                    text::INET_USAGE
                ),
                usage_code(d),
            ));
        }
        if o.cache {
            return Err(refuse(
                format!(
                    "Modifying `inet' routing cache not supported\n{}",
                    text::INET_USAGE
                ),
                usage_code(d),
            ));
        }
        if words.is_empty() && d == Dialect::Classic {
            return Err(usage4(d));
        }
        if words.is_empty() {
            return Err(Outcome {
                stdout: text::INET_USAGE.into(),
                ..Outcome::default()
            });
        }
        inet(d, add, words, names)
    } else {
        if verb == Verb::Flush {
            return Err(refuse(
                format!(
                    "Flushing `inet6' routing table not supported\n{}",
                    text::INET6_USAGE
                ),
                usage_code(d),
            ));
        }
        inet6(d, add, words, names)
    }
}

/// C `atoi` (through `strtol`): leading blanks, a sign, digits; the long wraps to int.
pub fn atoi(s: &str) -> i32 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (neg, d) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut v: i64 = 0;
    for c in d.bytes().take_while(u8::is_ascii_digit) {
        v = v.saturating_mul(10).saturating_add((c - b'0') as i64);
    }
    (if neg { v.wrapping_neg() } else { v }) as i32
}

/// C `strtoul(s, &end, 0)`: the value and whether the whole string was used.
fn strtoul0(s: &str) -> (u64, bool) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let neg = i < b.len() && b[i] == b'-';
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let hex = b.get(i) == Some(&b'0')
        && matches!(b.get(i + 1), Some(b'x' | b'X'))
        && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
    let (radix, start) = if hex {
        (16, i + 2)
    } else if b.get(i) == Some(&b'0') {
        (8, i)
    } else {
        (10, i)
    };
    let n = s[start..].chars().take_while(|c| c.is_digit(radix)).count();
    if n == 0 {
        // Nothing converted: end is the start of the string.
        return (0, s.is_empty());
    }
    let v = u64::from_str_radix(&s[start..start + n], radix).unwrap_or(u64::MAX);
    (if neg { v.wrapping_neg() } else { v }, start + n == s.len())
}

/// `INET_resolve` (`input(0|256, …)`): the address and whether it names a network.
fn resolve4(name: &str, hostfirst: bool, names: &Names) -> Option<(Ipv4Addr, bool)> {
    if name == "default" {
        return Some((Ipv4Addr::UNSPECIFIED, true));
    }
    if let Some(a) = inet_aton(name) {
        return Some((a, false));
    }
    if hostfirst {
        if let Some(a) = names.host_by_name(name) {
            return Some((a, false));
        }
    }
    if let Some(n) = names.net_by_name(name) {
        return Some((Ipv4Addr::from(n), true));
    }
    if hostfirst {
        return None;
    }
    names.host_by_name(name).map(|a| (a, false))
}

fn usage4(d: Dialect) -> Outcome {
    Outcome {
        stdout: String::new(),
        stderr: text::INET_USAGE.into(),
        code: usage_code(d),
    }
}

/// A refusal with its own message: 2.10 adds the `inet_route` usage, the classic returns
/// `E_OPTERR` alone (its `main` then prints the general usage: [`finish`]).
fn usage4_after(d: Dialect, msg: String) -> Outcome {
    Outcome {
        stdout: String::new(),
        stderr: match d {
            Dialect::Modern => msg + text::INET_USAGE,
            Dialect::Classic => msg,
        },
        code: text::E_OPTERR,
    }
}

/// `herror` after `INET_resolve` failed: glibc's text is that of the last lookup made, the
/// DNS one (which cannot be made in a lab: "lookup failure") unless the host database was
/// asked first (`hostfirst`: then /etc/networks was last, "Unknown host").
fn unknown_host(name: &str, hostfirst: bool, code: i32) -> Outcome {
    let why = if hostfirst {
        "Unknown host"
    } else {
        "Host name lookup failure"
    };
    Outcome {
        stdout: String::new(),
        stderr: format!("{name}: {why}\n"),
        code,
    }
}

/// `INET_setroute` up to the ioctl.
fn inet(d: Dialect, add: bool, args: &[String], names: &Names) -> Result<Change, Outcome> {
    let usage4 = || usage4(d);
    let usage4_after = |m: String| usage4_after(d, m);
    let mut args = args.iter().map(String::as_str).peekable();
    let xflag = match args.peek() {
        Some(&"#net") => {
            args.next();
            1
        }
        Some(&"#host") => {
            args.next();
            2
        }
        _ => 0,
    };
    let Some(target) = args.next() else {
        return Err(usage4());
    };
    let mut netmask_word = "default".to_string();
    let mut genmask: u32 = 0;
    let mut target = target.to_string();
    if let Some((t, len)) = target.clone().split_once('/') {
        let (v, all) = strtoul0(len);
        if !all {
            return Err(usage4());
        }
        let prefix = v as i32;
        netmask_word = format!("/{prefix}");
        // `~(0xffffffffU >> prefix)`: x86 takes the shift count modulo 32.
        genmask = !(u32::MAX >> ((prefix as u32) & 31));
        target = t.to_string();
    }
    let Some((dst, isnet)) = resolve4(&target, xflag == 2, names) else {
        let code = match d {
            Dialect::Modern => text::E_LOOKUP,
            Dialect::Classic => 1,
        };
        return Err(unknown_host(&target, xflag == 2, code));
    };
    let isnet = match xflag {
        1 => true,
        2 => false,
        _ => isnet,
    };
    let mut c = Change {
        add,
        family: Family::Inet,
        dst: String::new(),
        gw: None,
        dev: None,
        metric: None,
        reject: false,
        extras: vec![],
        advmss: None,
        window: None,
        rtt: None,
        host: !isnet,
        bad_mask: false,
        warn: String::new(),
    };
    let mut rt_metric: i16 = 0;
    while let Some(w) = args.next() {
        match w {
            "metric" => match args.next() {
                Some(m) if m.starts_with(|ch: char| ch.is_ascii_digit()) => {
                    rt_metric = atoi(m).wrapping_add(1) as i16;
                }
                _ => return Err(usage4()),
            },
            "netmask" => {
                let Some(m) = args.next() else {
                    return Err(usage4());
                };
                if genmask != 0 {
                    return Err(usage4());
                }
                netmask_word = m.to_string();
                let Some((a, _)) = resolve4(m, false, names) else {
                    return Err(unknown_host(m, false, text::E_LOOKUP));
                };
                genmask = u32::from(a);
            }
            "gw" | "gateway" => {
                let Some(g) = args.next() else {
                    return Err(usage4());
                };
                if c.gw.is_some() {
                    return Err(usage4());
                }
                let Some((a, net)) = resolve4(g, true, names) else {
                    return Err(unknown_host(g, true, text::E_LOOKUP));
                };
                if net {
                    return Err(usage4_after(format!(
                        "route: {g}: cannot use a NETWORK as gateway!\n"
                    )));
                }
                c.gw = Some(a.to_string());
            }
            "mss" | "mtu" => {
                let Some(v) = args.next() else {
                    return Err(usage4());
                };
                // rt_mtu is an unsigned long: a negative value is huge.
                let mss = atoi(v) as i64 as u64;
                if !(64..=65536).contains(&mss) {
                    return Err(usage4_after("route: Invalid MSS/MTU.\n".into()));
                }
                c.extras.push(format!("{w} {v}"));
                c.advmss = Some(mss as u32 - 40);
            }
            "window" => {
                let Some(v) = args.next() else {
                    return Err(usage4());
                };
                let win = atoi(v) as i64 as u64;
                if win < 128 {
                    return Err(usage4_after("route: Invalid window.\n".into()));
                }
                c.extras.push(format!("window {v}"));
                c.window = Some(win as u32);
            }
            "irtt" => {
                let Some(v) = args.next() else {
                    return Err(usage4());
                };
                // rt_irtt is an unsigned short, in ticks (100 per second here: ×1).
                let irtt = atoi(v) as u16;
                c.extras.push(format!("irtt {v}"));
                c.rtt = Some((irtt as u32) << 3);
            }
            "reject" => c.reject = true,
            "mod" | "dyn" | "reinstate" => {}
            "device" | "dev" => match args.next() {
                Some(d) if c.dev.is_none() => c.dev = Some(d.to_string()),
                _ => return Err(usage4()),
            },
            _ => {
                if c.dev.is_some() {
                    return Err(usage4());
                }
                c.dev = Some(w.to_string());
                if args.peek().is_some() {
                    return Err(usage4());
                }
            }
        }
    }
    if c.reject && c.dev.is_none() {
        c.dev = Some("lo".into());
    }
    if genmask != 0 {
        let mask = !genmask;
        if c.host && mask != u32::MAX {
            return Err(usage4_after(format!(
                "route: netmask {mask:08x} doesn't make sense with host route\n"
            )));
        }
        if mask & mask.wrapping_add(1) != 0 {
            return Err(usage4_after(format!(
                "route: bogus netmask {netmask_word}\n"
            )));
        }
        if u32::from(dst) & !genmask != 0 {
            return Err(usage4_after(
                "route: netmask doesn't match route address\n".into(),
            ));
        }
    }
    if rt_metric != 0 {
        c.metric = Some((rt_metric as i32 - 1) as u32);
    }
    // The kernel: a host route is a /32; a network's mask must be contiguous and cover the
    // address (`bad_mask`), else EINVAL.
    let len = if c.host {
        32
    } else {
        let host_bits = !genmask;
        c.bad_mask = u32::from(dst) & host_bits != 0 || host_bits & host_bits.wrapping_add(1) != 0;
        genmask.count_ones()
    };
    c.dst = if len == 0 {
        "default".into()
    } else {
        format!("{dst}/{len}")
    };
    Ok(c)
}

fn usage6(d: Dialect) -> Outcome {
    Outcome {
        stdout: String::new(),
        stderr: text::INET6_USAGE.into(),
        code: usage_code(d),
    }
}

/// The classic `INET6_resolve` failing (`getaddrinfo` with no DNS to ask): one line per
/// attempt, then `herror`'s. A name with a `:` is not looked up at all (EAI_NONAME).
fn classic_lookup6(name: &str, attempts: usize, code: i32) -> Outcome {
    let (e, why) = if name.contains(':') {
        (-2, "Unknown host")
    } else {
        (-3, "Host name lookup failure")
    };
    Outcome {
        stdout: String::new(),
        stderr: format!("getaddrinfo: {name}: {e}\n").repeat(attempts)
            + &format!("{name}: {why}\n"),
        code,
    }
}

/// An IPv6 address, or the one /etc/hosts gives the name.
fn resolve6(name: &str, names: &Names) -> Option<Ipv6Addr> {
    name.parse::<Ipv6Addr>().ok().or_else(|| {
        names.hosts.iter().find_map(|(ip, n)| match ip {
            std::net::IpAddr::V6(v6) if n.iter().any(|x| x == name) => Some(*v6),
            _ => None,
        })
    })
}

/// `INET6_setroute` up to the ioctl.
fn inet6(d: Dialect, add: bool, args: &[String], names: &Names) -> Result<Change, Outcome> {
    let classic = d == Dialect::Classic;
    let usage6 = || usage6(d);
    let mut warn = String::new();
    let mut bad_len = false;
    let mut args = args.iter().map(String::as_str);
    let Some(target) = args.next() else {
        return Err(usage6());
    };
    let (addr, len) = if target == "default" {
        (Ipv6Addr::UNSPECIFIED, 0)
    } else {
        let (a, len) = match target.split_once('/') {
            Some((a, l)) => {
                let n = atoi(l) as i64;
                if !(0..=128).contains(&n) {
                    if !classic {
                        return Err(usage6());
                    }
                    // The classic prints its usage and sends the length anyway (EINVAL).
                    warn = text::INET6_USAGE.into();
                    bad_len = true;
                }
                (a, n.clamp(0, 128) as u8)
            }
            None => (target, 128),
        };
        let addr = match resolve6(a, names) {
            Some(x) => x,
            None if classic => return Err(classic_lookup6(a, 2, 1)),
            None => {
                return Err(Outcome {
                    stdout: String::new(),
                    stderr: format!("getaddrinfo: {a}: -3\n{a}: Host name lookup failure\n"),
                    code: 1,
                })
            }
        };
        (addr, len)
    };
    let mut c = Change {
        add,
        family: Family::Inet6,
        dst: format!("{addr}/{len}"),
        gw: None,
        dev: None,
        metric: Some(1),
        reject: false,
        extras: vec![],
        advmss: None,
        window: None,
        rtt: None,
        host: len == 128,
        bad_mask: bad_len,
        warn,
    };
    let words: Vec<&str> = args.collect();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        i += 1;
        match w {
            "metric" => match words.get(i) {
                Some(m) if m.starts_with(|ch: char| ch.is_ascii_digit()) => {
                    i += 1;
                    // 0 asks for the kernel's default.
                    c.metric = Some(match atoi(m) as u32 {
                        0 => 1024,
                        n => n,
                    });
                }
                _ => return Err(usage6()),
            },
            "gw" | "gateway" => {
                let Some(g) = words.get(i) else {
                    return Err(usage6());
                };
                i += 1;
                if c.gw.is_some() {
                    return Err(usage6());
                }
                match (classic, g.parse::<Ipv6Addr>()) {
                    (false, Ok(a)) => c.gw = Some(a.to_string()),
                    (true, _) => match resolve6(g, names) {
                        Some(a) => c.gw = Some(a.to_string()),
                        None => return Err(classic_lookup6(g, 1, text::E_LOOKUP)),
                    },
                    (false, Err(_)) => {
                        return Err(Outcome {
                            stdout: String::new(),
                            stderr: format!("{g}: Resolver Error 0 (no error)\n"),
                            code: text::E_LOOKUP,
                        })
                    }
                }
            }
            "mod" | "dyn" => {}
            "device" | "dev" => match words.get(i) {
                Some(d) => {
                    i += 1;
                    c.dev = Some(d.to_string());
                }
                None => return Err(usage6()),
            },
            _ => {
                if i < words.len() {
                    return Err(usage6());
                }
                c.dev = Some(w.to_string());
            }
        }
    }
    let _ = names;
    Ok(c)
}

/// Parse argv (without argv[0]) into the flat view: numeric names only, as a script
/// translation must not depend on this machine's files.
pub fn parse(args: &[String]) -> Invocation {
    let refused_with = |o: &Outcome| {
        let first = o.stderr.lines().next().unwrap_or("usage").to_string();
        Invocation::Refused(if o.code == 0 && o.stderr.is_empty() {
            "route: help requested".into()
        } else {
            format!("route: {first}")
        })
    };
    match parse_cmd(Dialect::Modern, "route", args) {
        Cmd::Fixed(o) if o.stdout.starts_with("net-tools") => {
            Invocation::Refused("route: version requested".into())
        }
        Cmd::Fixed(o) if o.code == 0 => Invocation::Refused("route: help requested".into()),
        Cmd::Fixed(o) => refused_with(&o),
        Cmd::Show(o) => Invocation::Show {
            family: if o.families.first().map(String::as_str) == Some("inet6") {
                Family::Inet6
            } else {
                Family::Inet
            },
            cache: o.cache,
        },
        Cmd::Edit { opts, verb, words } => {
            match edit(Dialect::Modern, &opts, verb, &words, &Names::default()) {
                Ok(c) if c.bad_mask => Invocation::Refused(format!(
                    "{}: Invalid argument",
                    if c.add { "SIOCADDRT" } else { "SIOCDELRT" }
                )),
                Ok(c) => Invocation::Change(c),
                Err(o) if o.code == 0 => Invocation::Refused("route: help requested".into()),
                Err(o) => refused_with(&o),
            }
        }
    }
}

impl Change {
    /// The route change as an Op in namespace `ns`, as far as the command alone decides it
    /// (the drop-in adds what the kernel state decides: the scope of a gateway route and the
    /// source address of a route through an alias). Always `Some` today.
    pub fn op(&self, ns: &Ns) -> Option<Op> {
        let mut r = RouteSpec {
            dst: self.dst.clone(),
            via: self.gw.clone(),
            dev: self.dev.clone(),
            metric: self.metric.filter(|m| *m != 0),
            // Routes made through the ioctl are `proto boot`; its delete matches any protocol.
            proto: self.add.then(|| "boot".into()),
            ..Default::default()
        };
        if self.add {
            r.advmss = self.advmss;
            r.window = self.window;
            r.rtt = self.rtt;
        }
        if self.family == Family::Inet {
            if self.reject {
                // The kernel's ioctl path makes an unreachable route of host scope, no device.
                r.kind = Some("unreachable".into());
                r.dev = None;
                r.via = None;
                r.scope = Some("host".into());
            } else if !self.add {
                r.kind = Some("unicast".into());
            }
            if let Some(d) = &mut r.dev {
                // The kernel reads 15 bytes of the name and the part before `:`.
                *d = super::kernel_dev_name(d).0;
            }
        }
        Some(if self.add {
            // The ioctls ask for NLM_F_CREATE only: a route of another type or nexthop for the
            // same prefix does not stop it (IPv6 adds it as another nexthop).
            Op::PrependRoute {
                ns: ns.clone(),
                route: r,
            }
        } else {
            Op::DelRoute {
                ns: ns.clone(),
                route: r,
            }
        })
    }
}

#[cfg(test)]
mod tests;
