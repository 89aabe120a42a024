//! Issue 14's fuzz targets for the legacy grammars: `ifconfig`, `brctl`, `route`, `arp` and
//! `netstat` argument vectors, and `migrate`'s shell lexer (whole scripts), each a seeded loop
//! of random and mutated inputs run through the drop-in's whole command path against a state
//! that needs no kernel (the memory backend on a recorded snapshot, brctl's recorded sysfs,
//! netstat's recorded /proc; migrate is pure). Per target: 0 panics; every rejection (non-zero
//! exit) says something on stderr; nslab's own messages (those naming `nslab`) are one line
//! with no Rust type name; migrate's reasons for keeping a line are one non-empty line.
//! The drop-ins' other messages are the real tools' texts (usage texts are several lines
//! there too), which the differential tests compare byte for byte.
//!
//! CI runs 10,000 inputs per target (`NSLAB_FUZZ_INPUTS` raises it for a long local run,
//! `NSLAB_FUZZ_SEED=N` replays a run; the seed is printed).

mod common;

use common::Rng;
use nslab::backend::{ipjson, Backend, Memory};
use nslab::legacy::dialect::Dialect;
use nslab::model::Snapshot;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn inputs() -> usize {
    std::env::var("NSLAB_FUZZ_INPUTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000)
}

/// A recorded state with links, addresses and routes of every kind, for the memory backend.
fn snapshot() -> Snapshot {
    let dir = root().join("compat/netstat");
    let addr = std::fs::read_to_string(dir.join("sockets/state/addr.json")).unwrap();
    let route = std::fs::read_to_string(dir.join("routes/state/route.json")).unwrap();
    let mut docs = ipjson::documents("addr.json", &addr).unwrap();
    docs.extend(ipjson::documents("route.json", &route).unwrap());
    ipjson::snapshot_from(None, docs).unwrap()
}

/// Words the grammars know, values at their edges, and hostile bytes.
const COMMON: &[&str] = &[
    "",
    "-",
    "--",
    "-a",
    "-n",
    "-v",
    "-e",
    "-h",
    "--help",
    "-V",
    "-?",
    "0",
    "-1",
    "1",
    "65535",
    "65536",
    "4294967295",
    "4294967296",
    "99999999999999999999",
    "0x10",
    "010",
    "1e3",
    "1.5",
    "nan",
    "inf",
    "10.0.0.1",
    "10.0.0.0/8",
    "10.0.0.1/33",
    "255.255.255.255",
    "0.0.0.0",
    "1.2.3",
    "::1",
    "fd77::1/64",
    "fe80::1%lo",
    "2001:db8::/129",
    "02:00:00:00:77:01",
    "ff:ff:ff:ff:ff:ff",
    "zz:00",
    "lo",
    "lo:1",
    "lo:x",
    "nsrv0",
    "nsrv0:1",
    "eth0",
    "br0",
    "a-very-long-interface-name",
    "default",
    "localhost",
    "alpha",
    "q\\",
    "'q'",
    "a#b",
    "a b",
    "\u{1}",
    "zq\u{1}",
    "\u{1b}]0;x\u{7}",
    "a\nb",
    "\u{7f}",
    "é",
    "%s%n",
];

const IFCONFIG: &[&str] = &[
    "up",
    "down",
    "-arp",
    "arp",
    "promisc",
    "-promisc",
    "allmulti",
    "-allmulti",
    "multicast",
    "-multicast",
    "mtu",
    "metric",
    "netmask",
    "broadcast",
    "-broadcast",
    "pointopoint",
    "-pointopoint",
    "dstaddr",
    "hw",
    "ether",
    "add",
    "del",
    "txqueuelen",
    "address",
    "irq",
    "io_addr",
    "mem_start",
    "media",
    "tunnel",
    "dynamic",
    "-dynamic",
    "trailers",
    "-trailers",
    "outfill",
    "keepalive",
    "-s",
    "--json",
    "inet",
    "inet6",
    "-version",
];

const BRCTL: &[&str] = &[
    "addbr",
    "delbr",
    "addif",
    "delif",
    "show",
    "showmacs",
    "showstp",
    "stp",
    "setageing",
    "setbridgeprio",
    "setfd",
    "sethello",
    "setmaxage",
    "setpathcost",
    "setportprio",
    "hairpin",
    "on",
    "off",
    "yes",
    "no",
    "lab",
    "p1",
    "p2",
    "--version",
    "-V",
];

const ROUTE: &[&str] = &[
    "add",
    "del",
    "delete",
    "flush",
    "-net",
    "-host",
    "gw",
    "netmask",
    "metric",
    "mss",
    "window",
    "irtt",
    "reject",
    "mod",
    "dyn",
    "reinstate",
    "dev",
    "-A",
    "inet",
    "inet6",
    "ax25",
    "-4",
    "-6",
    "-C",
    "-F",
    "-ee",
    "--json",
    "--inet6",
    "target",
    "10.9.0.0",
    "255.255.0.0",
];

const ARP: &[&str] = &[
    "-s",
    "-d",
    "-i",
    "-H",
    "-t",
    "ether",
    "pub",
    "temp",
    "netmask",
    "-D",
    "-f",
    "-A",
    "-p",
    "inet",
    "--json",
    "--set",
    "--delete",
    "--device",
    "-e",
    "-N",
    "-all",
    "/dev/null",
];

const NETSTAT: &[&str] = &[
    "-t",
    "-u",
    "-w",
    "-x",
    "-l",
    "-p",
    "-o",
    "-W",
    "-4",
    "-6",
    "-r",
    "-i",
    "-g",
    "-s",
    "-M",
    "-S",
    "-U",
    "-N",
    "-F",
    "-C",
    "-Z",
    "-A",
    "inet",
    "inet6",
    "unix",
    "inet,unix",
    "--numeric-hosts",
    "--numeric-ports",
    "--numeric-users",
    "--tcp",
    "--route",
    "--in",
    "--json",
    "-tulpn",
    "-rn",
    "-ree",
    "-an",
    "-ie",
    "--protocol=inet6",
];

/// A random word: mostly from the grammar's words and the common ones, sometimes mutated
/// (a byte cut, doubled or replaced), sometimes random bytes.
fn word(rng: &mut Rng, own: &[&str]) -> String {
    let base = if rng.chance(50) {
        rng.pick_str(own).to_string()
    } else {
        rng.pick_str(COMMON).to_string()
    };
    match rng.below(10) {
        0 => {
            let n = rng.below(12);
            (0..n)
                .map(|_| char::from(rng.range(1, 127) as u8))
                .collect()
        }
        1 if !base.is_empty() => {
            let mut c: Vec<char> = base.chars().collect();
            let i = rng.below(c.len());
            c[i] = char::from(rng.range(1, 127) as u8);
            c.into_iter().collect()
        }
        2 => format!("{base}{}", rng.pick_str(COMMON)),
        3 => base.repeat(rng.range(2, 40) as usize),
        _ => base,
    }
}

fn argv(rng: &mut Rng, own: &[&str]) -> Vec<String> {
    (0..rng.range(0, 7)).map(|_| word(rng, own)).collect()
}

/// What one case printed and its exit code.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The checks every target makes on one run's outcome.
fn check(target: &str, args: &[String], r: &Run) {
    let (code, stderr) = (r.code, r.stderr.as_str());
    // Said somewhere: the real tools put some refusals on stdout (`brctl` alone prints its
    // usage there, `netstat -s -x` its "No statistics support" line).
    if code != 0 {
        assert!(
            !(stderr.trim().is_empty() && r.stdout.trim().is_empty()),
            "{target} {args:?}: exit {code} and nothing said"
        );
    }
    for line in stderr.lines().filter(|l| l.contains("nslab")) {
        assert!(
            ![
                "untagged enum",
                "struct ",
                "Option::",
                "Error {",
                "panicked"
            ]
            .iter()
            .any(|r| line.contains(r)),
            "{target} {args:?}: Rust internals in {line:?}"
        );
    }
    // nslab's own messages come last (after any real-tool line); a line after one of them
    // that is not another of them is a message that went over several lines.
    if let Some(first) = stderr.lines().position(|l| l.starts_with("nslab")) {
        assert!(
            stderr.lines().skip(first).all(|l| l.starts_with("nslab")),
            "{target} {args:?}: nslab's message is not one line: {stderr:?}"
        );
    }
}

/// Run `inputs()` generated cases through `case` (which returns exit code and stderr), each
/// under `catch_unwind`: a panic fails the test with the input and the seed.
fn fuzz(
    target: &str,
    mut gen: impl FnMut(&mut Rng) -> Vec<String>,
    mut case: impl FnMut(&[String]) -> Run,
) {
    let n = inputs();
    let seed = common::seed_from_env("NSLAB_FUZZ_SEED");
    let mut rng = Rng(seed | 1);
    let start = std::time::Instant::now();
    let (mut rejected, mut accepted) = (0usize, 0usize);
    for _ in 0..n {
        let args = gen(&mut rng);
        let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(&args)));
        match got {
            Err(_) => panic!("{target}: panic on {args:?} (NSLAB_FUZZ_SEED={seed})"),
            Ok(r) => {
                check(target, &args, &r);
                if r.code == 0 {
                    accepted += 1;
                } else {
                    rejected += 1;
                }
            }
        }
    }
    eprintln!(
        "fuzz {target}: seed {seed}, {n} inputs, 0 panics, {rejected} rejected (messages checked), {accepted} accepted, {:?}",
        start.elapsed()
    );
    assert!(
        rejected > n / 20,
        "{target}: inputs too mild ({rejected} rejected)"
    );
    assert!(
        accepted > 0,
        "{target}: nothing accepted: the inputs never reach the commands"
    );
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One drop-in run on a fresh memory backend over `snap`: `f` gets the backend and the two
/// output buffers; an `Err` is printed as nslab prints it.
fn on_memory(
    snap: &Snapshot,
    f: impl FnOnce(&mut dyn Backend, &mut Vec<u8>, &mut Vec<u8>) -> nslab::error::Result<i32>,
) -> Run {
    let mut backend = Memory::new(snap.clone());
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = match f(&mut backend, &mut out, &mut err) {
        Ok(c) => c,
        Err(e) => {
            err.extend_from_slice(format!("nslab: {e}\n").as_bytes());
            e.exit_code()
        }
    };
    Run {
        code,
        stdout: text(&out),
        stderr: text(&err),
    }
}

/// Arguments of a drop-in: random words, sometimes after one of `first`.
fn with_first(rng: &mut Rng, own: &[&str], first: &[&str], percent: u64) -> Vec<String> {
    let mut a = argv(rng, own);
    if rng.chance(percent) {
        a.insert(0, rng.pick_str(first).into());
    }
    a
}

#[test]
fn fuzz_ifconfig_arguments() {
    let snap = snapshot();
    let ifaces = ["lo", "nsrv0", "nsrv0:1", "nsrv1", "nope"];
    fuzz(
        "ifconfig",
        |rng| with_first(rng, IFCONFIG, &ifaces, 60),
        |args| {
            on_memory(&snap, |backend, out, err| {
                let inv = nslab::legacy::ifconfig::parse(args);
                let mut ctx = nslab::legacy::ifconfig::Ctx {
                    backend,
                    out,
                    err,
                    verbose: false,
                    dialect: Dialect::Modern,
                };
                nslab::legacy::ifconfig::run(&mut ctx, &inv)
            })
        },
    );
}

#[test]
fn fuzz_brctl_arguments() {
    let sys = root().join("compat/brctl/lab-show/state/sys");
    assert!(sys.is_dir(), "{}", sys.display());
    fuzz(
        "brctl",
        |rng| with_first(rng, BRCTL, BRCTL, 70),
        |args| {
            let r = nslab::legacy::brctl::run_offline(&sys, args);
            Run {
                code: r.code,
                stdout: r.stdout,
                stderr: r.stderr,
            }
        },
    );
}

/// The type of `route::run` and `arp::run`.
type RouteLikeRun = fn(
    &mut nslab::legacy::Ctx<'_>,
    nslab::legacy::dialect::Dialect,
    &str,
    &[String],
) -> nslab::error::Result<i32>;

/// Fuzz `route` or `arp` (the same context and run shape) on the memory backend, in both
/// dialects: the classic one has its own usage and refusal paths.
fn fuzz_route_like(tool: &str, words: &'static [&'static str], first: &[&str], run: RouteLikeRun) {
    let snap = snapshot();
    fuzz(
        tool,
        |rng| with_first(rng, words, first, 50),
        |args| {
            on_memory(&snap, |backend, out, err| {
                let mut ctx = nslab::legacy::Ctx {
                    backend,
                    names: nslab::legacy::names::Names::default(),
                    out,
                    err,
                };
                let dialect = if args.len() % 2 == 0 {
                    nslab::legacy::dialect::Dialect::Classic
                } else {
                    nslab::legacy::dialect::Dialect::Modern
                };
                run(&mut ctx, dialect, tool, args)
            })
        },
    );
}

#[test]
fn fuzz_route_arguments() {
    let first = ["add", "del", "-n", "-6"];
    fuzz_route_like("route", ROUTE, &first, nslab::legacy::route::run);
}

#[test]
fn fuzz_arp_arguments() {
    let first = ["-s", "-d", "-n", "-a", "-i"];
    fuzz_route_like("arp", ARP, &first, nslab::legacy::arp::run);
}

#[test]
fn fuzz_netstat_arguments() {
    let dir = root().join("compat/netstat");
    let states = ["empty", "sockets", "routes"].map(|s| dir.join(s).join("state"));
    let mut which = 0;
    fuzz(
        "netstat",
        |rng| argv(rng, NETSTAT),
        |args| {
            which = (which + 1) % states.len();
            let mut src = nslab::legacy::netstat::Recorded {
                dir: states[which].clone(),
                listings: 2,
            };
            let mut a = vec!["netstat".to_string()];
            a.extend_from_slice(args);
            let o = nslab::legacy::netstat::offline(&a, &mut src);
            Run {
                code: o.code,
                stdout: o.stdout,
                stderr: o.stderr,
            }
        },
    );
}

/// Scripts: pieces of the example scripts, cut, spliced and salted with shell syntax.
#[test]
fn fuzz_migrate_shell_lexer() {
    let mut scripts: Vec<String> = Vec::new();
    for e in std::fs::read_dir(root().join("compat/scripts")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "sh") {
            scripts.push(std::fs::read_to_string(&p).unwrap());
        }
    }
    assert!(scripts.len() >= 5);
    let syntax = [
        "'",
        "\"",
        "\\",
        "$(",
        ")",
        "`",
        "${",
        "}",
        "$((1+",
        "))",
        "<<EOF\n",
        "\nEOF\n",
        "|",
        "&&",
        "||",
        ";",
        "&",
        "\n",
        "#",
        "if true; then ",
        "; fi",
        "for i in 1 2; do ",
        "; done",
        "case x in x) ",
        ";; esac",
        "f() { ",
        "}",
        "( ",
        " )",
        "ifconfig eth0 ",
        "brctl addbr ",
        "route add -net ",
        "arp -s ",
        "ip netns exec ns ",
        "$1",
        "\"$@\"",
        "*",
        "~",
        "\u{1}",
    ];
    fuzz(
        "migrate",
        |rng| {
            // A window of 1 to 12 lines of an example (the whole script costs more time and
            // finds nothing more: the lexer starts afresh at each command).
            let lines: Vec<&str> = rng.pick(&scripts).split_inclusive('\n').collect();
            let from = rng.below(lines.len());
            let to = (from + rng.range(1, 12) as usize).min(lines.len());
            let mut b: Vec<char> = lines[from..to].concat().chars().collect();
            for _ in 0..rng.range(1, 6) {
                let at = rng.below(b.len() + 1);
                match rng.below(3) {
                    0 => {
                        let end = (at + rng.below(20)).min(b.len());
                        b.drain(at..end);
                    }
                    1 => {
                        let p: Vec<char> = rng.pick_str(&syntax).chars().collect();
                        b.splice(at..at, p);
                    }
                    _ => {
                        let w: Vec<char> = word(rng, IFCONFIG).chars().collect();
                        b.splice(at..at, w);
                    }
                }
            }
            vec![b.into_iter().collect()]
        },
        |args| {
            let m = nslab::migrate::migrate(&args[0]);
            // "Rejected": some line was kept untranslated; each reason must be one non-empty
            // line (it ends a `#` comment in the output script).
            let mut stderr = String::new();
            for k in &m.kept {
                assert!(
                    !k.reason.trim().is_empty(),
                    "empty reason for {:?}",
                    k.command
                );
                stderr.push_str(&format!("nslab migrate: {}\n", k.reason));
            }
            Run {
                code: i32::from(!m.kept.is_empty()),
                stdout: String::new(),
                stderr,
            }
        },
    );
}
