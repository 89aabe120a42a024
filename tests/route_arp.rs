//! The `route` and `arp` drop-ins against the real tools.
//!
//! Offline: every recording of the classic net-tools 1.60 build in `compat/classic/route/`
//! and `compat/classic/arp/` rendered (a display) or run (a change) by nslab in the classic
//! dialect on the state recorded with it must give the recorded stdout, stderr and status
//! byte for byte; `--json` is the same in both dialects.
//!
//! Live differential tests against net-tools 2.10: two
//! namespaces built alike ("twins"); each command of a random sequence runs through the real
//! tool in one and through nslab in the other; stdout, stderr, exit status and the resulting
//! kernel state (routes, neighbours as a set, the IPv6 table without its reference counts)
//! must agree. Seeded (`NSLAB_ROUTE_SEED`, `NSLAB_ARP_SEED` replay a run) and bounded.
//! Each namespace gets an empty /etc/netns/NS/resolv.conf, so that a name the real tool
//! looks up never leaves the namespace (glibc then asks 127.0.0.1 and is refused at once).

mod common;

use common::{
    check_recorded, kernel_tests_allowed, real_tool, recordings, seed_from_env, Netns, Recorded,
    Rng,
};
use nslab::backend::recording::Recording;
use nslab::backend::{ipjson, Backend};
use nslab::legacy::dialect::Dialect;
use nslab::legacy::ifconfig::Outcome;
use nslab::legacy::names::Names;
use nslab::legacy::{arp, route};
use nslab::model::{Neigh, Route, Snapshot};
use nslab::op::{Op, RouteSpec};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Twin {
    real: Netns,
    ours: Netns,
}

impl Drop for Twin {
    fn drop(&mut self) {
        for n in [&self.real.name, &self.ours.name] {
            let _ = std::fs::remove_dir_all(format!("/etc/netns/{n}"));
        }
    }
}

/// /etc/netns/NAME, removed when dropped.
struct EtcNetns(String);

impl Drop for EtcNetns {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(format!("/etc/netns/{}", self.0));
    }
}

/// Build one namespace of a twin: fixed MACs, no IPv6 link-local addresses (their DAD timing
/// would differ), a random set of addresses, routes and neighbours.
fn build(ns: &Netns, rng: &mut Rng) {
    std::fs::create_dir_all(format!("/etc/netns/{}", ns.name)).unwrap();
    std::fs::write(format!("/etc/netns/{}/resolv.conf", ns.name), "").unwrap();
    std::fs::write(
        format!("/etc/netns/{}/hosts", ns.name),
        "127.0.0.1 localhost\n10.0.0.2 gwtwo\n10.0.1.9 nine\n",
    )
    .unwrap();
    std::fs::write(
        format!("/etc/netns/{}/networks", ns.name),
        "loopback 127.0.0.0\nlabnet 10.9.0.0\n",
    )
    .unwrap();
    ns.ip(&["link", "set", "lo", "up"]);
    for (i, d) in ["v0", "v1", "v2"].iter().enumerate() {
        let mac = format!("02:00:00:00:00:0{i}");
        let peer = format!("{d}p");
        ns.ip(&[
            "link", "add", d, "address", &mac, "type", "veth", "peer", "name", &peer,
        ]);
        ns.ip(&["link", "set", d, "addrgenmode", "none"]);
        ns.ip(&["link", "set", &peer, "addrgenmode", "none"]);
    }
    ns.ip(&["link", "set", "v0", "up"]);
    ns.ip(&["link", "set", "v0p", "up"]);
    ns.ip(&["addr", "add", "10.0.0.1/24", "dev", "v0"]);
    ns.ip(&["addr", "add", "2001:db8::1/64", "dev", "v0", "nodad"]);
    if rng.chance(70) {
        ns.ip(&["link", "set", "v1", "up"]);
        ns.ip(&["link", "set", "v1p", "up"]);
        ns.ip(&["addr", "add", "10.0.1.1/24", "dev", "v1"]);
        ns.ip(&["addr", "add", "10.0.2.1/24", "dev", "v1", "label", "v1:1"]);
    }
    if rng.chance(60) {
        ns.ip(&["route", "add", "default", "via", "10.0.0.2"]);
    }
    if rng.chance(50) {
        // An IPv6 default route: `ip route show table all` lists it as `default` too, and the
        // IPv4 table must not show it.
        ns.ip(&["-6", "route", "add", "default", "via", "2001:db8::9"]);
    }
    if rng.chance(50) {
        ns.ip(&["route", "add", "unreachable", "10.8.0.0/16"]);
    }
    if rng.chance(50) {
        ns.ip(&["route", "add", "blackhole", "10.50.0.0/16"]);
    }
    if rng.chance(50) {
        ns.ip(&[
            "route",
            "add",
            "10.9.0.0/16",
            "via",
            "10.0.0.3",
            "metric",
            "5",
            "advmss",
            "1360",
        ]);
    }
    if rng.chance(50) {
        ns.ip(&[
            "neigh",
            "add",
            "10.0.0.20",
            "lladdr",
            "02:00:00:00:00:20",
            "nud",
            "permanent",
            "dev",
            "v0",
        ]);
    }
    if rng.chance(50) {
        ns.ip(&["neigh", "add", "proxy", "10.0.0.22", "dev", "v0"]);
    }
}

fn twin(rng: &mut Rng) -> Twin {
    let seed = rng.next();
    let t = Twin {
        real: Netns::new("rar"),
        ours: Netns::new("rao"),
    };
    build(&t.real, &mut Rng(seed));
    build(&t.ours, &mut Rng(seed));
    t
}

/// The kernel state a command may change, comparable across the twins (the IPv6 table of
/// /proc, with its kernel-internal flags, is not compared: see the README).
fn state(ns: &str) -> String {
    let ip = |args: &[&str]| {
        let mut v = vec!["-n", ns];
        v.extend_from_slice(args);
        common::run_ok("ip", &v)
    };
    let mut neigh: Vec<String> = ip(&["-4", "neigh", "show"])
        .lines()
        .chain(ip(&["-4", "neigh", "show", "proxy"]).lines())
        .map(str::to_string)
        .collect();
    neigh.sort();
    format!(
        "{}\n{}\n{}",
        ip(&["-d", "route", "show", "table", "all"]),
        ip(&["-4", "-d", "route", "show", "table", "all"]),
        neigh.join("\n"),
    )
}

/// Run a tool in a namespace: (stdout, stderr, status).
fn run_in(ns: &str, program: &str, args: &[String]) -> (String, String, i32) {
    let out = Command::new("ip")
        .args(["netns", "exec", ns])
        .arg(program)
        .args(args)
        .output()
        .expect("spawn");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[derive(Default)]
struct Counts {
    states: usize,
    commands: usize,
    skipped: usize,
}

/// Compare one command in the twins; returns a description of the difference.
fn compare(t: &Twin, tool: &str, line: &str, c: &mut Counts) -> Option<String> {
    let args: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    let before = (state(&t.real.name), state(&t.ours.name));
    // The real tool called by its name, found on PATH by `ip netns exec` (glibc's messages
    // start with argv[0]).
    let real = run_in(&t.real.name, tool, &args);
    let mut ours_args = vec![tool.to_string()];
    ours_args.extend(args);
    // A display reads the kernel's own order (of its hash tables), which differs between
    // namespaces: displays run in the same namespace, changes in the twins.
    let display = !line
        .split_whitespace()
        .any(|w| matches!(w, "add" | "del" | "flush" | "-s" | "-d" | "-f"));
    let ns = if display { &t.real.name } else { &t.ours.name };
    let ours = run_in(ns, env!("CARGO_BIN_EXE_nslab"), &ours_args);
    // A full global neighbour table (other tests on this machine) makes the ioctl fail.
    if real.1.contains("No buffer space available") {
        c.skipped += 1;
        return None;
    }
    c.commands += 1;
    if real != ours {
        return Some(format!("{tool} {line}\n real: {real:?}\n ours: {ours:?}"));
    }
    // What the command changed (lines gone, lines new), in each twin: the twins age
    // independently (link states settle), so changes are compared, not whole states.
    let delta = |before: &str, after: &str| {
        let b: std::collections::BTreeSet<&str> = before.lines().collect();
        let a: std::collections::BTreeSet<&str> = after.lines().collect();
        let gone: Vec<String> = b.difference(&a).map(|l| format!("-{l}")).collect();
        let new: Vec<String> = a.difference(&b).map(|l| format!("+{l}")).collect();
        [gone, new].concat().join("\n")
    };
    let (a, b) = (
        delta(&before.0, &state(&t.real.name)),
        delta(&before.1, &state(&t.ours.name)),
    );
    (a != b).then(|| format!("{tool} {line}: kernel change differs\n real:\n{a}\n ours:\n{b}"))
}

const ROUTE_LINES: &[&str] = &[
    "",
    "-n",
    "-e",
    "-ee",
    "-n -ee",
    "-6 -n",
    "-A inet,inet6 -n",
    "-C -n",
    "-x",
    "foo",
    "add default gw 10.0.0.2",
    "add default gw gwtwo",
    "add -net 10.9.0.0 netmask 255.255.0.0 gw 10.0.0.3 metric 5",
    "add -net labnet netmask 255.255.0.0 dev v0",
    "add -net 10.10.0.0/16 gw 10.0.0.3 mss 1400 window 4000 irtt 30",
    "add -host 10.8.0.1 reject",
    "add -net 10.7.0.0/16 reject",
    "add -net 10.5.0.0/16 gw 10.0.0.1",
    "add -net 10.6.0.0/16 dev v1:1",
    "add -net 10.6.0.0/16 dev v1:9",
    "add -net 10.2.0.0/16 gw 10.44.0.1",
    "add -net 10.3.0.0/16 dev nodev",
    "add -net 10.4.0.0/16 dev v2",
    "add 10.0.0.7",
    "add -net 10.4.0.0",
    "add -net 10.72.0.0/16 gw 10.8.0.1",
    "add -net 10.73.0.0/16 gw 10.0.0.3 dev lo",
    "add -host 10.1.1.1 netmask 255.255.255.255 dev v0",
    "add -host 10.1.1.2 dev v0",
    "add -net 10.0.0.0/33",
    "add -net 10.7.0.0/16 metric x",
    "add -net 10.11.0.0/16 gw 10.0.0.2 mss 10",
    "add -net 10.11.0.0/16 gw 10.0.0.2 window 5",
    "add -net 10.12.0.0/16 gw 10.0.0.255",
    "add -net 10.13.0.0/16 gw 0.0.0.0",
    "add -host 10.14.0.1 gw 10.0.0.2 v0",
    "add -host 10.15.0.1 gw 10.0.0.2 v0 extra",
    "add -net 10.16.0.0/16 v0 -n",
    "del -net 10.9.0.0/16",
    "del -net 10.9.0.0 netmask 255.255.0.0 metric 5",
    "del -host 10.8.0.1 reject",
    "del -net 10.99.0.0/16",
    "del default",
    "del default gw 10.0.0.9",
    "del -net 10.4.0.0/16 dev nodev",
    "-6 add 2001:db8:7::/64 gw 2001:db8::7",
    "-6 add 2001:db8:7::/64 gw 2001:db8::8",
    "-6 add 2001:db8:8::/64 gw 2001:db9::8",
    "-6 add 2001:db8:9::/64 gw 2001:db8::1",
    "-6 add 2001:db8:a::/64 dev nodev",
    "-6 add 2001:db8:b::/64 dev v0 metric 0",
    "-6 del 2001:db8:7::/64 gw 2001:db8::8",
    "-6 del 2001:db8:7::/64",
    "-6 add 2001:db8:7::/64 gw zzz",
    "flush",
    "-h -A inet",
];

const ARP_LINES: &[&str] = &[
    "",
    "-n",
    "-a",
    "-a -n",
    "-e",
    "-v",
    "-i v0 -a",
    "-i lo",
    "10.0.0.20",
    "-a 10.0.0.99",
    "10.0.0.99",
    "-s 10.0.0.20 02:00:00:00:00:20",
    "-s 10.0.0.21 02:00:00:00:00:21 temp",
    "-i v0 -s 10.0.0.22 02:00:00:00:00:22 pub",
    "-s 10.0.0.23 02:00:00:00:00:00 pub",
    "-s 10.0.0.24 02:00:00:00:00:24 pub",
    "-s 10.0.0.30 aa:bb",
    "-s 10.0.0.30",
    "-s",
    "-s 10.0.0.31 zz:00:00:00:00:30",
    "-s 10.0.0.31 02:00:00:00:00:31 bogus",
    "-s 10.9.9.9 02:00:00:00:00:31",
    "-s 10.0.0.1 02:00:00:00:00:31",
    "-s 10.0.1.5 02:00:00:00:00:05",
    "-i nodev -s 10.0.0.32 02:00:00:00:00:32",
    "-s 10.0.0.40 02:00:00:00:00:40 netmask 255.255.255.0 pub",
    "-s 10.0.0.42 02:00:00:00:00:42 dontpub",
    "-d 10.0.0.20",
    "-d 10.0.0.22",
    "-i v0 -d 10.0.0.22",
    "-i v0 -d 10.0.0.21 pub",
    "-d 10.0.0.77",
    "-d 10.9.9.9",
    "-d",
    "-d 10.0.0.40 netmask 255.0.0.0",
    "-v -d 10.0.0.21",
    "-x",
    "-H foo",
    "-H loop",
    "-A inet6",
    "-N",
    "-V",
];

fn differential(tool: &str, lines: &[&str], seed_var: &str) {
    if !kernel_tests_allowed() {
        return;
    }
    real_tool(tool);
    let seed = seed_from_env(seed_var);
    eprintln!("{seed_var}={seed}");
    let mut rng = Rng(seed);
    let start = Instant::now();
    let mut c = Counts::default();
    let mut sequences = 0;
    let mut diffs = Vec::new();
    while start.elapsed() < Duration::from_secs(40) && sequences < 12 {
        let t = twin(&mut rng);
        c.states += 1;
        sequences += 1;
        for _ in 0..10 {
            let line = rng.pick_str(lines);
            if let Some(d) = compare(&t, tool, line, &mut c) {
                diffs.push(d);
                break;
            }
        }
        if !diffs.is_empty() {
            break;
        }
    }
    eprintln!(
        "{tool}: {} states, {sequences} sequences, {} commands compared, {} skipped (table full), {} differences",
        c.states,
        c.commands,
        c.skipped,
        diffs.len()
    );
    assert!(c.commands > 0, "nothing was compared");
    assert!(diffs.is_empty(), "seed {seed}: {}", diffs.join("\n"));
}

#[test]
fn route_matches_net_tools_on_random_states_and_sequences() {
    differential("route", ROUTE_LINES, "NSLAB_ROUTE_SEED");
}

#[test]
fn arp_matches_net_tools_on_random_states_and_sequences() {
    differential("arp", ARP_LINES, "NSLAB_ARP_SEED");
}

/// `--json` is what jc reads from the real tool's output on the same state.
#[test]
fn json_equals_jc_on_the_real_output() {
    if !kernel_tests_allowed() {
        return;
    }
    real_tool("route");
    let seed = seed_from_env("NSLAB_ROUTE_SEED");
    let ns = Netns::new("raj");
    let _files = EtcNetns(ns.name.clone());
    build(&ns, &mut Rng(seed));
    let jc = |tool: &str, args: &[&str], parser: &str| -> serde_json::Value {
        let text = run_in(
            &ns.name,
            tool,
            &args.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
        .0;
        let mut child = Command::new("jc")
            .arg(parser)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("jc is required: apt-get install jc");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    for (tool, args, parser) in [
        ("route", vec!["-n"], "--route"),
        ("route", vec!["-ee"], "--route"),
        ("route", vec!["-6", "-n"], "--route"),
        ("arp", vec!["-n"], "--arp"),
        ("arp", vec!["-a"], "--arp"),
    ] {
        let want = jc(tool, &args, parser);
        let mut ours_args = vec![tool.to_string()];
        ours_args.extend(args.iter().map(|s| s.to_string()));
        ours_args.push("--json".into());
        let got = run_in(&ns.name, env!("CARGO_BIN_EXE_nslab"), &ours_args).0;
        let got: serde_json::Value = serde_json::from_str(&got).unwrap();
        assert_eq!(got, want, "{tool} {args:?}");
    }
}

// ------------------------------------------------------------------ offline (classic 1.60)

fn classic_cases(tool: &str) -> Vec<Recorded> {
    recordings(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("compat/classic")
            .join(tool),
    )
}

/// The snapshot nslab would have read: the recorded `ip -j addr show` and the routes of
/// `routes` (`route.json` for the state the tool saw, `after_route.json` for the one it left).
fn recorded_snapshot(case: &Recorded, routes: &str) -> Snapshot {
    let docs = [case.read("addr.json"), case.read(routes)]
        .iter()
        .map(|t| ipjson::documents("recorded dump", t).unwrap().remove(0))
        .collect();
    ipjson::snapshot_from(None, docs).unwrap()
}

fn recorded_neigh(case: &Recorded, prefix: &str) -> Vec<Neigh> {
    let text = case.read(&format!("{prefix}neigh.json"));
    ipjson::neighbours_from(ipjson::documents("neigh.json", &text).unwrap()).unwrap()
}

fn recorded_names(case: &Recorded) -> Names {
    Names::parse(&case.read("hosts"), &case.read("networks"))
}

/// The recorded state as a backend: snapshots and neighbours from the recording; a route Op
/// is refused the way the kernel refuses it on that state (`ip` would print the same): a
/// delete that matches no route (`No such process`), an add of a route that is there with
/// the same type, nexthop and metric (`File exists`). Everything else is accepted and kept.
struct RecordedKernel {
    rec: Recording,
    routes: Vec<Route>,
}

/// A destination as `ip -j route` lists it (`10.3.0.7/32` is `10.3.0.7`, `::/0` `default`).
fn listed_dst(dst: &str) -> String {
    match dst.split_once('/') {
        Some((a, "32")) if !a.contains(':') => a.to_string(),
        Some((a, "128")) if a.contains(':') => a.to_string(),
        Some(("::" | "0.0.0.0", "0")) => "default".to_string(),
        _ => dst.to_string(),
    }
}

/// Whether route `r` is one the kernel matches for `want` (no metric: any metric).
fn same_route(r: &Route, want: &RouteSpec, v6: bool) -> bool {
    let listed = r.metric.unwrap_or(if v6 { 1024 } else { 0 });
    r.table == "main"
        && r.dst == listed_dst(&want.dst)
        && r.kind == want.kind.as_deref().unwrap_or("unicast")
        && want.metric.is_none_or(|m| m == listed)
        && want
            .via
            .as_ref()
            .is_none_or(|v| r.gateway.as_ref() == Some(v))
        && want.dev.as_ref().is_none_or(|d| r.dev.as_ref() == Some(d))
        && want.scope.as_deref().is_none_or(|s| {
            let listed = r.scope.as_deref().unwrap_or("global");
            s == listed || (s == "global" && listed == "universe")
        })
}

impl Backend for RecordedKernel {
    fn apply(&mut self, ops: &[Op]) -> nslab::error::Result<()> {
        for op in ops {
            let refusal = match op {
                Op::DelRoute { route, .. } => {
                    let v6 = route.dst.contains(':');
                    (!self.routes.iter().any(|r| same_route(r, route, v6)))
                        .then_some("No such process")
                }
                Op::PrependRoute { route, .. } => {
                    let v6 = route.dst.contains(':');
                    self.routes
                        .iter()
                        .any(|r| {
                            same_route(r, route, v6) && route.via.is_some() == r.gateway.is_some()
                        })
                        .then_some("File exists")
                }
                _ => None,
            };
            if let Some(m) = refusal {
                return Err(nslab::error::Error::Command {
                    argv: vec!["ip".into()],
                    status: nslab::error::Exit::Code(2),
                    stderr: format!("RTNETLINK answers: {m}\n"),
                    line: None,
                });
            }
        }
        self.rec.apply(ops)
    }
    fn snapshot(&mut self, ns: Option<&str>) -> nslab::error::Result<Snapshot> {
        self.rec.snapshot(ns)
    }
    fn neighbours(&mut self, ns: Option<&str>) -> nslab::error::Result<Vec<Neigh>> {
        self.rec.neighbours(ns)
    }
    fn namespaces(&mut self) -> nslab::error::Result<Vec<String>> {
        self.rec.namespaces()
    }
    fn root_links(&mut self) -> nslab::error::Result<Vec<String>> {
        self.rec.root_links()
    }
}

/// What a run of `tool ARGS` on the recorded state printed and returned, and the Ops it
/// applied.
fn run_recorded(tool: &str, d: Dialect, case: &Recorded) -> (Outcome, Vec<Op>) {
    let snap = recorded_snapshot(case, "route.json");
    let mut backend = RecordedKernel {
        routes: snap.routes.clone(),
        rec: Recording {
            snapshots: vec![snap],
            neighbours: recorded_neigh(case, ""),
            ..Default::default()
        },
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = match tool {
        "route" => route::run(
            &mut route::Ctx {
                backend: &mut backend,
                names: recorded_names(case),
                out: &mut out,
                err: &mut err,
            },
            d,
            "route",
            &case.args,
        ),
        _ => arp::run(
            &mut arp::Ctx {
                backend: &mut backend,
                names: recorded_names(case),
                out: &mut out,
                err: &mut err,
            },
            d,
            "arp",
            &case.args,
        ),
    }
    .unwrap_or_else(|e| panic!("{}: {e}", case.name));
    let o = Outcome {
        stdout: String::from_utf8(out).unwrap(),
        stderr: String::from_utf8(err).unwrap(),
        code,
    };
    (o, backend.rec.ops())
}

/// Render (a display) or run (a change) one recorded case in dialect `d`.
fn replay(tool: &str, d: Dialect, case: &Recorded) -> Outcome {
    let names = recorded_names(case);
    let shown = match tool {
        "route" => route::offline(
            d,
            &case.args,
            &route::State {
                snap: recorded_snapshot(case, "route.json"),
                ipv6_route: case.read("proc_ipv6_route"),
                names,
            },
        ),
        _ => arp::offline(
            d,
            &case.args,
            &arp::State {
                snap: recorded_snapshot(case, "route.json"),
                neigh: recorded_neigh(case, ""),
                names,
            },
        ),
    };
    shown.unwrap_or_else(|| run_recorded(tool, d, case).0)
}

fn check_classic(tool: &str, at_least: usize) {
    let cases = classic_cases(tool);
    assert!(cases.len() >= at_least, "only {} recordings", cases.len());
    check_recorded(&cases, "classic 1.60", |c| {
        replay(tool, Dialect::Classic, c)
    });
}

#[test]
fn classic_route_recordings_replay_exactly() {
    check_classic("route", 80);
}

#[test]
fn classic_arp_recordings_replay_exactly() {
    check_classic("arp", 50);
}

/// A recorded change that succeeded left the kernel with what nslab's Ops make: each added
/// route (neighbour) is in the state after it, each deleted one is gone.
#[test]
fn classic_changes_apply_what_the_classic_build_applied() {
    let mut checked = 0;
    for tool in ["route", "arp"] {
        for case in classic_cases(tool) {
            if case.try_read("after_route.json").is_none() || case.want.code != 0 {
                continue;
            }
            let (got, ops) = run_recorded(tool, Dialect::Classic, &case);
            assert_eq!(got.code, 0, "{}", case.name);
            assert!(!ops.is_empty(), "{}: no Op", case.name);
            // `table all` lists IPv6 routes too; `ip -6` only those.
            let after6 = recorded_snapshot(&case, "after_route6.json").routes;
            let after4: Vec<Route> = recorded_snapshot(&case, "after_route.json")
                .routes
                .into_iter()
                .filter(|r| !after6.contains(r))
                .collect();
            let after = |dst: &str| if dst.contains(':') { &after6 } else { &after4 };
            let neigh = recorded_neigh(&case, "after_");
            for op in &ops {
                let ok = match op {
                    Op::PrependRoute { route, .. } => after(&route.dst)
                        .iter()
                        .any(|r| r.dst == listed_dst(&route.dst)),
                    Op::DelRoute { route, .. } => !after(&route.dst)
                        .iter()
                        .any(|r| same_route(r, route, route.dst.contains(':'))),
                    Op::SetNeigh {
                        addr, dev, lladdr, ..
                    } => neigh.iter().any(|n| {
                        &n.dst == addr
                            && n.dev.as_ref() == Some(dev)
                            && (lladdr.is_none() || n.lladdr == *lladdr)
                    }),
                    Op::DelNeigh { addr, proxy, .. } => {
                        !neigh.iter().any(|n| &n.dst == addr && n.proxy == *proxy)
                    }
                    other => panic!("{}: unexpected {other:?}", case.name),
                };
                assert!(
                    ok,
                    "{}: {op} is not what the recording's state shows",
                    case.name
                );
            }
            checked += 1;
        }
    }
    eprintln!("{checked} successful changes checked");
    assert!(checked >= 30, "only {checked} successful changes checked");
}

/// `--json` is the same in both dialects: every recorded display that the classic accepts,
/// with `--json`, prints what 2.10's does.
#[test]
fn json_is_the_same_in_both_dialects() {
    let mut compared = 0;
    for tool in ["route", "arp"] {
        for case in classic_cases(tool) {
            if case.try_read("after_route.json").is_some() {
                continue;
            }
            let mut args = case.args.clone();
            args.push("--json".into());
            let json = Recorded {
                args,
                ..case.clone()
            };
            let classic = replay(tool, Dialect::Classic, &json);
            let modern = replay(tool, Dialect::Modern, &json);
            // (`-4`, `-6` are no options of the classic: those lines are no display there.)
            if classic.code == 0 && classic.stdout.starts_with('[') {
                compared += 1;
                assert_eq!(classic, modern, "{tool} {}", case.name);
            }
        }
    }
    eprintln!("{compared} JSON outputs compared");
    assert!(compared >= 20, "only {compared} JSON outputs compared");
}
