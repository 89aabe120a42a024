//! The `brctl` argument grammar (bridge-utils 1.7.1), as a pure function: argv → [`Invocation`].
//!
//! This is the one grammar for `brctl` in nslab: the drop-in personality runs what it returns,
//! and `nslab migrate` reuses it to translate scripts line by line. Nothing here touches the
//! system; everything brctl decides *before* it talks to the kernel is decided here, with the
//! exact text and exit code brctl would print:
//!
//! 1. Options are read with GNU `getopt_long("Vh", {help, version})` **with permutation**: every
//!    argument that starts with `-` (other than `-` itself) is an option, wherever it stands, until
//!    a `--`. So `brctl setageing br0 -5` is the option `-5` (`invalid option -- '5'`). Options are
//!    handled in argv order; the first `-h`/`-V` (or error) decides.
//! 2. The first non-option names the command; the remaining non-options are its arguments.
//!    Too few arguments print `Incorrect number of arguments for command` and the command's usage
//!    line on **stdout** (rc 1). Extra arguments are ignored, except that `addif`/`delif` take
//!    every further argument as one more interface.
//! 3. Values are parsed the C way: times with `sscanf("%lf")` (seconds, fractional, `1e3`, `3abc`
//!    is 3, hex floats, `inf`/`nan`), then converted to centiseconds through a `struct timeval`
//!    exactly as libbridge does; priorities and costs with `sscanf("%i")` (`0x1000`, octal `010`,
//!    wrapping to a C `int`); `on|yes|1` / `off|no|0` exactly, lowercase.
//!
//! Device names are kept as given (brctl prints them as given); the kernel sees at most
//! 15 bytes of them ([`kernel_name`]).

use crate::op::{BridgeSetting, LinkKind, Ns, Op, PortSetting};

// The 15-byte cut is `legacy::linux::ifname`; re-exported under its old names here.
pub use crate::legacy::linux::{ifname as kernel_name, IFNAMSIZ_MAX};

/// One `brctl` command with its arguments parsed. Names are as typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    AddBr {
        bridge: String,
    },
    DelBr {
        bridge: String,
    },
    /// `addif BR IF [IF…]`: interfaces are added in order; brctl stops at the first failure.
    AddIf {
        bridge: String,
        ifaces: Vec<String>,
    },
    DelIf {
        bridge: String,
        ifaces: Vec<String>,
    },
    Hairpin {
        bridge: String,
        port: String,
        on: bool,
    },
    /// Times are in centiseconds, as libbridge computes them from the `%lf` seconds (a `u64`:
    /// a negative or NaN input wraps, as in C).
    SetAgeing {
        bridge: String,
        centis: u64,
    },
    /// The `%i` value as a C `int`; the kernel keeps `prio & 0xffff`.
    SetBridgePrio {
        bridge: String,
        prio: i32,
    },
    SetFd {
        bridge: String,
        centis: u64,
    },
    SetHello {
        bridge: String,
        centis: u64,
    },
    SetMaxAge {
        bridge: String,
        centis: u64,
    },
    /// `setpathcost` ignores the bridge: it writes the port's own setting.
    SetPathCost {
        bridge: String,
        port: String,
        cost: i32,
    },
    SetPortPrio {
        bridge: String,
        port: String,
        prio: i32,
    },
    /// `show` with no names lists every bridge.
    Show {
        bridges: Vec<String>,
    },
    ShowMacs {
        bridge: String,
    },
    ShowStp {
        bridge: String,
    },
    Stp {
        bridge: String,
        on: bool,
    },
}

/// What brctl does with an argv.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// Run a command.
    Run(Command),
    /// brctl answers without touching the kernel (help, version, usage and value errors):
    /// this exact output and exit code.
    Answer(Answer),
}

/// Output brctl prints by itself, and its exit code.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answer {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub code: i32,
}

/// The command table: name, number of required arguments, usage text (bridge-utils order).
pub const COMMANDS: &[(&str, usize, &str)] = &[
    ("addbr", 1, "<bridge>\t\tadd bridge"),
    ("delbr", 1, "<bridge>\t\tdelete bridge"),
    ("addif", 2, "<bridge> <device>\tadd interface to bridge"),
    (
        "delif",
        2,
        "<bridge> <device>\tdelete interface from bridge",
    ),
    (
        "hairpin",
        3,
        "<bridge> <port> {on|off}\tturn hairpin on/off",
    ),
    ("setageing", 2, "<bridge> <time>\t\tset ageing time"),
    ("setbridgeprio", 2, "<bridge> <prio>\t\tset bridge priority"),
    ("setfd", 2, "<bridge> <time>\t\tset bridge forward delay"),
    ("sethello", 2, "<bridge> <time>\t\tset hello time"),
    ("setmaxage", 2, "<bridge> <time>\t\tset max message age"),
    ("setpathcost", 3, "<bridge> <port> <cost>\tset path cost"),
    (
        "setportprio",
        3,
        "<bridge> <port> <prio>\tset port priority",
    ),
    ("show", 0, "[ <bridge> ]\t\tshow a list of bridges"),
    ("showmacs", 1, "<bridge>\t\tshow a list of mac addrs"),
    ("showstp", 1, "<bridge>\t\tshow bridge stp info"),
    ("stp", 2, "<bridge> {on|off}\tturn stp on/off"),
];

/// `brctl -h` (and every usage error): this text on stdout.
pub fn usage() -> String {
    let mut s = String::from("Usage: brctl [commands]\ncommands:\n");
    for (name, _, help) in COMMANDS {
        s.push_str(&format!("\t{name:<10}\t{help}\n"));
    }
    s
}

/// `brctl -V`.
pub const VERSION: &str = "bridge-utils, 1.7\n";

fn answer(stdout: impl Into<Vec<u8>>, stderr: impl Into<Vec<u8>>, code: i32) -> Invocation {
    Invocation::Answer(Answer {
        stdout: stdout.into(),
        stderr: stderr.into(),
        code,
    })
}

/// An option error: getopt's message (prefixed with argv[0]), brctl's `Unknown option '?'`,
/// the usage on stdout, rc 1.
fn option_error(argv0: &[u8], message: &[u8]) -> Invocation {
    let mut err = argv0.to_vec();
    err.extend_from_slice(b": ");
    err.extend_from_slice(message);
    err.extend_from_slice(b"\nUnknown option '?'\n");
    answer(usage(), err, 1)
}

/// Parse a full argv (`argv[0]` is the name brctl was called by; getopt prefixes its messages
/// with it). Pure: the same argv always gives the same answer.
pub fn parse(argv: &[Vec<u8>]) -> Invocation {
    let argv0: &[u8] = argv.first().map(Vec::as_slice).unwrap_or(b"brctl");
    let mut words: Vec<&[u8]> = Vec::new();
    let mut rest = argv.iter().skip(1);
    while let Some(arg) = rest.next() {
        let a = arg.as_slice();
        if a == b"--" {
            words.extend(rest.by_ref().map(Vec::as_slice));
            break;
        }
        if let Some(long) = a.strip_prefix(b"--") {
            let (name, value) = match long.iter().position(|&b| b == b'=') {
                Some(i) => (&long[..i], Some(&long[i + 1..])),
                None => (long, None),
            };
            let hit = ["help", "version"]
                .into_iter()
                .find(|full| full.as_bytes().starts_with(name));
            match (hit, value) {
                (None, _) => {
                    let mut m = b"unrecognized option '".to_vec();
                    m.extend_from_slice(a);
                    m.push(b'\'');
                    return option_error(argv0, &m);
                }
                (Some(full), Some(_)) => {
                    let m = format!("option '--{full}' doesn't allow an argument");
                    return option_error(argv0, m.as_bytes());
                }
                (Some("help"), None) => return answer(usage(), "", 0),
                (Some(_), None) => return answer(VERSION, "", 0),
            }
        }
        if a.len() > 1 && a[0] == b'-' {
            // Short options are read one letter at a time; with only `h` and `V` known, the
            // first letter always decides (help, version, or an error).
            return match a[1] {
                b'h' => answer(usage(), "", 0),
                b'V' => answer(VERSION, "", 0),
                c => {
                    let mut m = b"invalid option -- '".to_vec();
                    m.push(c);
                    m.push(b'\'');
                    option_error(argv0, &m)
                }
            };
        }
        words.push(a);
    }
    let Some((&cmd, args)) = words.split_first() else {
        return answer(usage(), "", 1);
    };
    let Some(&(name, nargs, help)) = COMMANDS.iter().find(|(n, _, _)| n.as_bytes() == cmd) else {
        let mut err = b"never heard of command [".to_vec();
        err.extend_from_slice(cmd);
        err.extend_from_slice(b"]\n");
        return answer(usage(), err, 1);
    };
    if args.len() < nargs {
        let out =
            format!("Incorrect number of arguments for command\nUsage: brctl {name} {help}\n");
        return answer(out, "", 1);
    }
    let s = |i: usize| String::from_utf8_lossy(args[i]).into_owned();
    let bad = |msg: &str| answer("", format!("{msg}\n"), 1);
    let time = |i: usize, msg: &str| match scan_lf(args[i]) {
        Some(secs) => Ok(secs_to_centis(secs)),
        None => Err(bad(msg)),
    };
    let int = |i: usize, msg: &str| scan_i(args[i]).ok_or_else(|| bad(msg));
    let on_off = |i: usize| match args[i] {
        b"on" | b"yes" | b"1" => Ok(true),
        b"off" | b"no" | b"0" => Ok(false),
        _ => Err(bad("expect on/off for argument")),
    };
    let result = (|| {
        Ok(match name {
            "addbr" => Command::AddBr { bridge: s(0) },
            "delbr" => Command::DelBr { bridge: s(0) },
            "addif" | "delif" => {
                let bridge = s(0);
                let ifaces = (1..args.len()).map(s).collect();
                if name == "addif" {
                    Command::AddIf { bridge, ifaces }
                } else {
                    Command::DelIf { bridge, ifaces }
                }
            }
            "hairpin" => Command::Hairpin {
                on: on_off(2)?,
                bridge: s(0),
                port: s(1),
            },
            "setageing" => Command::SetAgeing {
                centis: time(1, "bad ageing time value")?,
                bridge: s(0),
            },
            "setbridgeprio" => Command::SetBridgePrio {
                prio: int(1, "bad priority")?,
                bridge: s(0),
            },
            "setfd" => Command::SetFd {
                centis: time(1, "bad forward delay value")?,
                bridge: s(0),
            },
            "sethello" => Command::SetHello {
                centis: time(1, "bad hello timer value")?,
                bridge: s(0),
            },
            "setmaxage" => Command::SetMaxAge {
                centis: time(1, "bad max age value")?,
                bridge: s(0),
            },
            "setpathcost" => Command::SetPathCost {
                cost: int(2, "bad path cost value")?,
                bridge: s(0),
                port: s(1),
            },
            "setportprio" => Command::SetPortPrio {
                prio: int(2, "bad path priority value")?,
                bridge: s(0),
                port: s(1),
            },
            "show" => Command::Show {
                bridges: (0..args.len()).map(s).collect(),
            },
            "showmacs" => Command::ShowMacs { bridge: s(0) },
            "showstp" => Command::ShowStp { bridge: s(0) },
            "stp" => Command::Stp {
                on: on_off(1)?,
                bridge: s(0),
            },
            other => unreachable!("command {other} is in the table"),
        })
    })();
    match result {
        Ok(c) => Invocation::Run(c),
        Err(a) => a,
    }
}

/// Convenience for callers holding `OsString`s (the personality) or `&str`s (migrate).
pub fn parse_args<S: AsRef<std::ffi::OsStr>>(argv: &[S]) -> Invocation {
    use std::os::unix::ffi::OsStrExt;
    let v: Vec<Vec<u8>> = argv
        .iter()
        .map(|a| a.as_ref().as_bytes().to_vec())
        .collect();
    parse(&v)
}

impl Command {
    /// The kernel changes this command means when it succeeds, as Ops in namespace `ns`
    /// (empty for the `show*` commands). Names are truncated as the kernel truncates them.
    /// This is the translation `migrate` prints; the drop-in additionally checks the live
    /// state first to fail exactly like brctl. `None` when the value cannot be expressed
    /// through `ip` (a time beyond 2³² centiseconds, which `ip` cannot carry).
    pub fn ops(&self, ns: &Ns) -> Option<Vec<Op>> {
        use Command::*;
        let bridge_op = |bridge: &str, setting| Op::Bridge {
            ns: ns.clone(),
            dev: kernel_name(bridge),
            setting,
        };
        let port_op = |port: &str, setting| Op::BridgePort {
            ns: ns.clone(),
            dev: port.to_string(),
            setting,
        };
        let cs = |c: u64| u32::try_from(c).ok().map(u64::from);
        Some(match self {
            AddBr { bridge } => vec![Op::AddLink {
                ns: ns.clone(),
                name: kernel_name(bridge),
                kind: LinkKind::Bridge,
            }],
            DelBr { bridge } => vec![Op::DelLink {
                ns: ns.clone(),
                dev: kernel_name(bridge),
            }],
            AddIf { bridge, ifaces } => ifaces
                .iter()
                .map(|i| Op::SetMaster {
                    ns: ns.clone(),
                    dev: i.clone(),
                    master: Some(kernel_name(bridge)),
                })
                .collect(),
            DelIf { ifaces, .. } => ifaces
                .iter()
                .map(|i| Op::SetMaster {
                    ns: ns.clone(),
                    dev: i.clone(),
                    master: None,
                })
                .collect(),
            Hairpin { port, on, .. } => vec![port_op(port, PortSetting::Hairpin(*on))],
            SetAgeing { bridge, centis } => {
                vec![bridge_op(bridge, BridgeSetting::AgeingTime(cs(*centis)?))]
            }
            SetFd { bridge, centis } => {
                vec![bridge_op(bridge, BridgeSetting::ForwardDelay(cs(*centis)?))]
            }
            SetHello { bridge, centis } => {
                vec![bridge_op(bridge, BridgeSetting::HelloTime(cs(*centis)?))]
            }
            SetMaxAge { bridge, centis } => {
                vec![bridge_op(bridge, BridgeSetting::MaxAge(cs(*centis)?))]
            }
            SetBridgePrio { bridge, prio } => {
                vec![bridge_op(
                    bridge,
                    BridgeSetting::Priority(bridge_priority(*prio)),
                )]
            }
            SetPathCost { port, cost, .. } => {
                vec![port_op(port, PortSetting::Cost(u32::try_from(*cost).ok()?))]
            }
            SetPortPrio { port, prio, .. } => {
                vec![port_op(
                    port,
                    PortSetting::Priority(u16::try_from(*prio).ok()?),
                )]
            }
            Stp { bridge, on } => vec![bridge_op(bridge, BridgeSetting::StpState(u32::from(*on)))],
            Show { .. } | ShowMacs { .. } | ShowStp { .. } => vec![],
        })
    }

    /// Whether the command only reads.
    pub fn is_display(&self) -> bool {
        matches!(
            self,
            Command::Show { .. } | Command::ShowMacs { .. } | Command::ShowStp { .. }
        )
    }
}

/// The bridge priority the kernel stores for a `%i` value: libbridge writes the `int` as an
/// `unsigned long` and the kernel keeps the low 16 bits (`70000` → 4464, `-1` → 65535).
pub fn bridge_priority(prio: i32) -> u16 {
    (prio as i64 as u64 & 0xffff) as u16
}

/// A C `int` written by libbridge as `unsigned long` (`%lu`): negative values wrap.
pub fn as_c_ulong(v: i32) -> u64 {
    v as i64 as u64
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `sscanf(s, "%i", &int)`: leading white space, a sign, then `0x` hex, `0` octal or decimal.
/// `None` when no number starts the string. `0x` without hex digits reads as 0 (glibc). The
/// value saturates like `strtol` (64-bit `long`) and is then truncated to a 32-bit `int`.
pub fn scan_i(s: &[u8]) -> Option<i32> {
    let mut i = s.iter().take_while(|&&b| is_c_space(b)).count();
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let (radix, start) = match (s.get(i), s.get(i + 1)) {
        (Some(b'0'), Some(b'x' | b'X')) => (16, i + 2),
        (Some(b'0'), _) => (8, i),
        (Some(b'1'..=b'9'), _) => (10, i),
        _ => return None,
    };
    let mut mag: u128 = 0;
    for &b in &s[start..] {
        let Some(d) = (b as char).to_digit(radix) else {
            break;
        };
        mag = (mag * u128::from(radix) + u128::from(d)).min(u128::from(u64::MAX) + 1);
    }
    let long: i64 = if neg {
        if mag > i64::MAX as u128 + 1 {
            i64::MIN
        } else {
            (mag as i128).wrapping_neg() as i64
        }
    } else if mag > i64::MAX as u128 {
        i64::MAX
    } else {
        mag as i64
    };
    Some(long as i32)
}

/// `sscanf(s, "%lf", &double)`: white space, sign, then `inf`/`infinity`/`nan[(…)]`, a hex
/// float (`0x1.8p3`) or a decimal with optional exponent; the longest valid prefix counts.
/// `None` when no number starts the string (`e5`, `0x`, `abc`).
pub fn scan_lf(s: &[u8]) -> Option<f64> {
    let mut i = s.iter().take_while(|&&b| is_c_space(b)).count();
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let rest = &s[i..];
    let lower: Vec<u8> = rest.iter().take(8).map(u8::to_ascii_lowercase).collect();
    let v = if lower.starts_with(b"inf") {
        f64::INFINITY
    } else if lower.starts_with(b"nan") {
        f64::NAN
    } else if lower.starts_with(b"0x") {
        scan_hex_float(&rest[2..])?
    } else {
        scan_decimal(rest)?
    };
    Some(if neg { -v } else { v })
}

fn scan_decimal(s: &[u8]) -> Option<f64> {
    let int = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut end = int;
    let mut frac = 0;
    if s.get(end) == Some(&b'.') {
        frac = s[end + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        end += 1 + frac;
    }
    if int + frac == 0 {
        return None;
    }
    if matches!(s.get(end), Some(b'e' | b'E')) {
        let mut j = end + 1;
        if matches!(s.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let digits = s[j.min(s.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits > 0 {
            end = j + digits;
        }
    }
    std::str::from_utf8(&s[..end]).ok()?.parse().ok()
}

fn scan_hex_float(s: &[u8]) -> Option<f64> {
    let mut mant = 0f64;
    let mut digits = 0;
    let mut exp: i64 = 0;
    let mut seen_dot = false;
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b == b'.' && !seen_dot {
            seen_dot = true;
        } else if let Some(d) = (b as char).to_digit(16) {
            mant = mant * 16.0 + f64::from(d);
            digits += 1;
            if seen_dot {
                exp -= 4;
            }
        } else {
            break;
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if matches!(s.get(i), Some(b'p' | b'P')) {
        let mut j = i + 1;
        let neg = match s.get(j) {
            Some(b'-') => {
                j += 1;
                true
            }
            Some(b'+') => {
                j += 1;
                false
            }
            _ => false,
        };
        let n = s[j.min(s.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if n > 0 {
            let e: i64 = std::str::from_utf8(&s[j..j + n])
                .ok()?
                .parse()
                .unwrap_or(i64::MAX / 2);
            exp += if neg { -e } else { e };
        }
    }
    Some(mant * 2f64.powi(exp.clamp(-4000, 4000) as i32))
}

/// A C `(long)` cast of a double on x86-64: out of range and NaN give `LONG_MIN`.
fn c_long(x: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if x.is_nan() || !(-LIMIT..LIMIT).contains(&x) {
        i64::MIN
    } else {
        x as i64
    }
}

/// libbridge's seconds → `struct timeval` → centiseconds (`__tv_to_jiffies`), with C's
/// truncations and unsigned wrap-around: `1.999999` → 199, `0.001` → 0.
pub fn secs_to_centis(secs: f64) -> u64 {
    let tv_sec = c_long(secs);
    let tv_usec = c_long(1_000_000.0 * (secs - tv_sec as f64));
    1_000_000u64
        .wrapping_mul(tv_sec as u64)
        .wrapping_add(tv_usec as u64)
        / 10_000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Invocation {
        let mut v = vec!["brctl"];
        v.extend_from_slice(args);
        parse_args(&v)
    }

    fn ans(args: &[&str]) -> (String, String, i32) {
        match p(args) {
            Invocation::Answer(a) => (
                String::from_utf8(a.stdout).unwrap(),
                String::from_utf8(a.stderr).unwrap(),
                a.code,
            ),
            Invocation::Run(c) => panic!("expected an answer, got {c:?}"),
        }
    }

    #[test]
    fn usage_lists_commands_with_padded_names() {
        let u = usage();
        assert!(u.starts_with(
            "Usage: brctl [commands]\ncommands:\n\taddbr     \t<bridge>\t\tadd bridge\n"
        ));
        assert!(u.contains("\tsetbridgeprio\t<bridge> <prio>\t\tset bridge priority\n"));
        assert_eq!(u.lines().count(), 18);
    }

    #[test]
    fn negative_number_is_an_option_anywhere() {
        let (out, err, rc) = ans(&["setageing", "br0", "-5"]);
        assert_eq!(out, usage());
        assert_eq!(err, "brctl: invalid option -- '5'\nUnknown option '?'\n");
        assert_eq!(rc, 1);
    }

    #[test]
    fn help_and_version_win_wherever_they_stand() {
        assert_eq!(ans(&["addbr", "x", "-h"]), (usage(), String::new(), 0));
        assert_eq!(
            ans(&["show", "--v"]),
            (VERSION.to_string(), String::new(), 0)
        );
        assert_eq!(ans(&["-Vx"]).0, VERSION);
        let (_, err, rc) = ans(&["--help=x"]);
        assert_eq!(
            err,
            "brctl: option '--help' doesn't allow an argument\nUnknown option '?'\n"
        );
        assert_eq!(rc, 1);
        assert_eq!(
            ans(&["--foo=bar"]).1,
            "brctl: unrecognized option '--foo=bar'\nUnknown option '?'\n"
        );
    }

    #[test]
    fn double_dash_ends_options() {
        assert_eq!(
            p(&["show", "--", "-x"]),
            Invocation::Run(Command::Show {
                bridges: vec!["-x".into()]
            })
        );
        assert_eq!(ans(&["--", "-h"]).1, "never heard of command [-h]\n");
    }

    #[test]
    fn too_few_arguments_print_usage_line_on_stdout() {
        assert_eq!(
            ans(&["addbr"]),
            (
                "Incorrect number of arguments for command\nUsage: brctl addbr <bridge>\t\tadd bridge\n"
                    .to_string(),
                String::new(),
                1
            )
        );
        assert_eq!(ans(&[]), (usage(), String::new(), 1));
    }

    #[test]
    fn extra_arguments_are_ignored_but_addif_takes_them_all() {
        assert_eq!(
            p(&["addbr", "a", "b"]),
            Invocation::Run(Command::AddBr { bridge: "a".into() })
        );
        assert_eq!(
            p(&["addif", "br", "x", "y"]),
            Invocation::Run(Command::AddIf {
                bridge: "br".into(),
                ifaces: vec!["x".into(), "y".into()]
            })
        );
    }

    #[test]
    fn values_parse_like_sscanf() {
        assert_eq!(scan_i(b"0x1000"), Some(4096));
        assert_eq!(scan_i(b"010"), Some(8));
        assert_eq!(scan_i(b"08"), Some(0));
        assert_eq!(scan_i(b"0x"), Some(0));
        assert_eq!(scan_i(b" +5"), Some(5));
        assert_eq!(scan_i(b"4294967297"), Some(1));
        assert_eq!(scan_i(b"99999999999999999999"), Some(-1));
        assert_eq!(scan_i(b"1e3"), Some(1));
        assert_eq!(scan_i(b"abc"), None);
        assert_eq!(bridge_priority(70000), 4464);
        assert_eq!(scan_lf(b"1e3"), Some(1000.0));
        assert_eq!(scan_lf(b"3abc"), Some(3.0));
        assert_eq!(scan_lf(b"1e"), Some(1.0));
        assert_eq!(scan_lf(b".5"), Some(0.5));
        assert_eq!(scan_lf(b"0x1p3"), Some(8.0));
        assert_eq!(scan_lf(b"0x"), None);
        assert_eq!(scan_lf(b"e5"), None);
        assert!(scan_lf(b"nan").unwrap().is_nan());
        assert_eq!(secs_to_centis(1.999999), 199);
        assert_eq!(secs_to_centis(0.001), 0);
        assert_eq!(secs_to_centis(2.0), 200);
    }

    #[test]
    fn bad_values_are_answered_before_any_kernel_call() {
        assert_eq!(ans(&["setfd", "b", "x"]).1, "bad forward delay value\n");
        assert_eq!(ans(&["stp", "b", "On"]).1, "expect on/off for argument\n");
        assert_eq!(
            ans(&["setportprio", "b", "p", "q"]).1,
            "bad path priority value\n"
        );
        assert_eq!(ans(&["frob"]).1, "never heard of command [frob]\n");
    }

    #[test]
    fn ops_truncate_names_and_use_centiseconds() {
        let Invocation::Run(c) = p(&["setfd", "hobridge_long_name", "2.5"]) else {
            panic!()
        };
        let ops = c.ops(&Some("n".into())).unwrap();
        assert_eq!(
            ops[0].to_string(),
            "ip -n n link set dev hobridge_long_n type bridge forward_delay 250"
        );
    }
}
