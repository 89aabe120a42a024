//! The `ifconfig` display, against the real net-tools 2.10:
//! * offline: every recording in `compat/ifconfig/` rendered from its `ip -j` dump and
//!   `/proc/net/if_inet6` text must equal what the real tool printed (compared with the recording itself: no second copy);
//! * live: generated namespace states, the real `/usr/sbin/ifconfig` and `nslab ifconfig`
//!   run in the same namespace, compared byte for byte (stdout, stderr, exit code);
//! * `--json` against `ifconfig -a | jc --ifconfig` on the same namespace;
//! * dispatch by argv[0].

mod common;

use common::Rng;

use common::{check_recorded, kernel_tests_allowed, recordings, shown, Netns, Recorded};
use nslab::backend::ipjson;
use nslab::legacy::ifconfig::{offline, parse, Dialect, Invocation, Outcome};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const REAL_IFCONFIG: &str = "/usr/sbin/ifconfig";

fn compat_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("compat/ifconfig")
}

/// The recordings of the classic net-tools 1.60 build (RHEL/CentOS 6).
fn classic_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("compat/classic/ifconfig")
}

fn cases() -> Vec<Recorded> {
    recordings(&compat_dir())
}

/// The snapshot a case was recorded on (its `ip.json`).
fn snapshot(case: &Recorded) -> nslab::model::Snapshot {
    let docs = ipjson::documents("ip.json", &case.read("ip.json")).expect("recorded dump parses");
    ipjson::snapshot_from(None, docs).expect("recorded dump converts")
}

/// Render every case offline in dialect `d` and require the recorded stdout, stderr and
/// status byte for byte (the recording is the expected output; no second copy).
fn check_recordings(cases: &[Recorded], d: Dialect) {
    check_recorded(cases, &format!("{d:?}"), |case| {
        offline(&case.args, &snapshot(case), &case.read("if_inet6"), d)
            .unwrap_or_else(|| panic!("{}: {:?} is not a display command", case.name, case.args))
    });
}

#[test]
fn recordings_render_exactly_like_the_real_ifconfig() {
    let cases = cases();
    assert!(cases.len() >= 50, "only {} recordings", cases.len());
    check_recordings(&cases, Dialect::Modern);
}

/// The classic dialect (`NSLAB_NETTOOLS=1.60`) rendered offline from every recording of the
/// classic net-tools 1.60 build equals what that build printed, byte for byte; compared with
/// the recorded files themselves.
#[test]
fn classic_recordings_render_exactly_like_the_classic_build() {
    let cases = recordings(&classic_dir());
    assert!(cases.len() >= 70, "only {} recordings", cases.len());
    check_recordings(&cases, Dialect::Classic);
}

/// `--json` is the same in both dialects: on the classic recordings' states, the classic
/// `--json` equals the 2.10 one.
#[test]
fn json_is_the_same_in_both_dialects() {
    let mut compared = 0;
    for case in recordings(&classic_dir()) {
        let snap = snapshot(&case);
        let mut args = case.args.clone();
        args.push("--json".into());
        if !matches!(parse(&args), Invocation::Show(_)) {
            continue;
        }
        let classic = offline(&args, &snap, &case.read("if_inet6"), Dialect::Classic);
        let modern = offline(&args, &snap, &case.read("if_inet6"), Dialect::Modern);
        if modern.as_ref().is_some_and(|o| o.stdout.starts_with('[')) {
            compared += 1;
        }
        assert_eq!(classic, modern, "{}", case.name);
    }
    assert!(compared >= 25, "only {compared} JSON outputs compared");
}

/// `--json` rendered offline from the `-a` recordings equals jc's reading of the real output
/// (where jc reads it right: see src/legacy/ifconfig/json.rs).
#[test]
fn recorded_json_matches_jc_on_the_real_output() {
    let mut compared = 0;
    for case in cases() {
        let Ok(jc_text) = std::fs::read_to_string(compat_dir().join(&case.name).join("jc.json"))
        else {
            continue;
        };
        let s = &case.want.stdout;
        if s.contains("flags=-") || s.contains("<site>") || s.contains("<compat") {
            continue;
        }
        let want: serde_json::Value = serde_json::from_str(&jc_text).expect("jc.json parses");
        let snap = snapshot(&case);
        let mut args = case.args.clone();
        args.push("--json".into());
        let out = offline(&args, &snap, &case.read("if_inet6"), Dialect::Modern).unwrap();
        let got: serde_json::Value = serde_json::from_str(&out.stdout).expect("our JSON");
        assert_eq!(got, want, "{}", case.name);
        compared += 1;
    }
    assert!(
        compared >= 5,
        "only {compared} recordings with jc.json compared"
    );
}

#[test]
fn offline_render_needs_no_root_and_reads_nothing() {
    // The ghost alias of the formats file, from a hand-made one-link dump.
    let dump = r#"[{"ifindex":2,"ifname":"hoveth0","flags":["BROADCAST","MULTICAST"],"mtu":1500,
        "operstate":"DOWN","txqlen":1000,"link_type":"ether","address":"02:00:00:00:00:01",
        "addr_info":[],"stats64":{"rx":{},"tx":{}}}]"#;
    let snap = ipjson::snapshot_from(None, ipjson::documents("t", dump).unwrap()).unwrap();
    let got = offline(&["hoveth0:9".to_string()], &snap, "", Dialect::Modern).unwrap();
    assert_eq!(
        got.stdout,
        "hoveth0:9: flags=4098<BROADCAST,MULTICAST>  mtu 1500\n        ether 02:00:00:00:00:01  txqueuelen 1000  (Ethernet)\n\n"
    );
    assert_eq!((got.stderr.as_str(), got.code), ("", 0));
    let got = offline(
        &["-s".to_string(), "nosuch".to_string()],
        &snap,
        "",
        Dialect::Modern,
    )
    .unwrap();
    assert_eq!(
        (got.stdout.as_str(), got.stderr.as_str(), got.code),
        (
            "Iface      MTU    RX-OK RX-ERR RX-DRP RX-OVR    TX-OK TX-ERR TX-DRP TX-OVR Flg\n",
            "nosuch: error fetching interface information: Device not found\n",
            1
        )
    );
}

#[test]
fn dispatch_picks_ifconfig_by_argv0_and_by_first_word() {
    let dir = std::env::temp_dir().join(format!("icdisp{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("ifconfig");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_nslab"), &link).unwrap();
    let by_name = Command::new(&link).arg("-V").output().unwrap();
    let by_word = common::nslab_run(&["ifconfig", "--version"]);
    let bad = common::nslab_run(&["ifconfig", "-x"]);
    std::fs::remove_dir_all(&dir).unwrap();
    for out in [&by_name, &by_word] {
        assert_eq!(String::from_utf8_lossy(&out.stdout), "net-tools 2.10\n");
        assert_eq!(out.status.code(), Some(0));
    }
    assert_eq!(
        String::from_utf8_lossy(&bad.stderr),
        "ifconfig: option `-x' not recognised.\nifconfig: `--help' gives usage information.\n"
    );
    assert_eq!(bad.status.code(), Some(1));
}

// ---------------------------------------------------------------------------------------
// Live differential tests.

/// One run's result.
fn run_in(ns: &str, program: &str, pre: &[&str], args: &[String]) -> Outcome {
    let out = Command::new("ip")
        .args(["netns", "exec", ns, program])
        .args(pre)
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .expect("spawn ip netns exec");
    Outcome {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

fn real(ns: &str, args: &[String]) -> Outcome {
    run_in(ns, REAL_IFCONFIG, &[], args)
}

fn ours(ns: &str, args: &[String]) -> Outcome {
    run_in(ns, env!("CARGO_BIN_EXE_nslab"), &["ifconfig"], args)
}

/// Compare real, nslab, real (counters may move between runs: a match with either real run
/// counts), up to three times. Returns the last (real, nslab) pair on a mismatch.
fn differs(ns: &str, args: &[String]) -> Option<(Outcome, Outcome)> {
    let mut last = None;
    for attempt in 0..3 {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(200));
        }
        let before = real(ns, args);
        let got = ours(ns, args);
        if got == before {
            return None;
        }
        let after = real(ns, args);
        if got == after {
            return None;
        }
        last = Some((after, got));
    }
    last
}

/// `ifconfig -a | jc --ifconfig`.
fn jc(o: &Outcome) -> serde_json::Value {
    use std::io::Write;
    let mut child = Command::new("jc")
        .arg("--ifconfig")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("jc is installed (Debian package jc)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(o.stdout.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    serde_json::from_slice(&out.stdout).expect("jc prints JSON")
}

enum JsonCheck {
    Same(serde_json::Value),
    /// The real output has what jc misreads (negative flags, `<site>`/`<compat,…>` scopes;
    /// see src/legacy/ifconfig/json.rs), so there is nothing to compare with.
    Skipped,
    Differs(serde_json::Value, serde_json::Value),
}

/// `nslab ifconfig -a --json` against jc's reading of the real `ifconfig -a`, with the same
/// real, nslab, real scheme as [`differs`].
fn json_differs(ns: &str) -> JsonCheck {
    let args = vec!["-a".to_string()];
    let json_args = vec!["-a".to_string(), "--json".to_string()];
    let misread = |o: &Outcome| {
        o.stdout.contains("flags=-") || o.stdout.contains("<site>") || o.stdout.contains("<compat")
    };
    let mut last = None;
    for attempt in 0..3 {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(200));
        }
        let before = real(ns, &args);
        if misread(&before) {
            return JsonCheck::Skipped;
        }
        let ours_out = ours(ns, &json_args);
        assert_eq!(ours_out.code, 0, "{}", ours_out.stderr);
        let got: serde_json::Value = serde_json::from_str(&ours_out.stdout).expect("our JSON");
        if got == jc(&before) {
            return JsonCheck::Same(got);
        }
        let after = real(ns, &args);
        let want = jc(&after);
        if got == want {
            return JsonCheck::Same(got);
        }
        last = Some((want, got));
    }
    let (want, got) = last.expect("three attempts");
    JsonCheck::Differs(want, got)
}

/// Wait until the kernel has processed pending link events (linkwatch, up to about 1 s):
/// `ip` does not force it, so poll `ip -d -j link` until every operstate agrees with the
/// flags (down ⇒ DOWN; up with carrier ⇒ UP, or UNKNOWN for devices without operstate
/// handling, never for a veth; up without carrier ⇒ not UP/UNKNOWN).
fn settle(ns: &str) {
    let deadline = Instant::now() + Duration::from_millis(2500);
    while Instant::now() < deadline {
        let out = Command::new("ip")
            .args(["-n", ns, "-d", "-j", "link", "show"])
            .output()
            .expect("ip link");
        let links: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let pending = links.as_array().into_iter().flatten().any(|l| {
            let flags: Vec<&str> = l["flags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str())
                .collect();
            let state = l["operstate"].as_str().unwrap_or("");
            let kind = l["linkinfo"]["info_kind"].as_str().unwrap_or("");
            let up = flags.contains(&"UP");
            let carrier = flags.contains(&"LOWER_UP");
            match (up, carrier) {
                (false, _) => state != "DOWN",
                (true, true) => !(state == "UP" || (state == "UNKNOWN" && kind != "veth")),
                (true, false) => state == "UP" || state == "UNKNOWN",
            }
        });
        if !pending {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Device names that exercise nstrcmp (digits, leading zeros, `-`, `_`, case).
const NAMES: &[&str] = &[
    "ic0", "ic1", "ic01", "ic10", "ic9", "ic-x", "ic_y", "icA", "icB2", "icbr0", "icbr1z", "icv",
    "icveth10", "icz",
];
const ALIAS_SUFFIXES: &[&str] = &["0", "1", "02", "3", "10", "abc", "7", "255"];
const V6: &[&str] = &[
    "2001:db8::1/64",
    "2001:db8:0:1::1/64",
    "2001:0:0:1::5/64",
    "fd00:1::1/48",
    "fec0::1/10",
    "fe80::1234/64",
    "::ffff:1.2.3.4/96",
    "::1.2.3.4/96",
    "2001:db8::2/128",
    "1:0:0:2:0:0:3:4/64",
];

/// One test namespace with a peer namespace for veth ends, mutated step by step.
struct Lab {
    ns: Netns,
    peer: Netns,
    devices: Vec<String>,
    labels: Vec<String>,
    log: Vec<String>,
}

impl Lab {
    fn new() -> Lab {
        Lab {
            ns: Netns::new("ic"),
            peer: Netns::new("icp"),
            devices: vec!["lo".into()],
            labels: vec![],
            log: vec![],
        }
    }

    /// Run `ip -batch` lines with -force: some random steps fail on purpose (duplicates,
    /// IPv6 on a small MTU …), the kernel state is what counts.
    fn batch(&mut self, ns: &str, lines: &[String]) {
        if lines.is_empty() {
            return;
        }
        let mut child = Command::new("ip")
            .args(["-n", ns, "-force", "-batch", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("ip -batch");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all((lines.join("\n") + "\n").as_bytes())
            .unwrap();
        child.wait().unwrap();
        self.log.extend(lines.iter().map(|l| format!("{ns}: {l}")));
    }

    /// Apply 1–4 random steps.
    fn mutate(&mut self, rng: &mut Rng) {
        let mut lines = Vec::new();
        let mut peer_lines = Vec::new();
        let peer_ns = self.peer.name.clone();
        for _ in 0..1 + rng.below(4) {
            let dev = rng.pick(&self.devices).clone();
            match rng.below(16) {
                0 | 1 => {
                    let name = rng.pick(NAMES).to_string();
                    let peer = format!("p{name}");
                    match rng.below(7) {
                        0..=2 => {
                            lines.push(format!(
                                "link add {name} type veth peer name {peer} netns {peer_ns}"
                            ));
                            if rng.chance(60) {
                                peer_lines.push(format!("link set {peer} up"));
                            }
                        }
                        3 => lines.push(format!("link add {name} type ifb")),
                        4 => lines.push(format!("link add {name} type bridge")),
                        5 => lines.push(format!(
                            "link add {name} type vxlan id {} dstport 4789",
                            1 + rng.below(100)
                        )),
                        _ => lines.push(format!(
                            "tuntap add {name} mode {}",
                            if rng.chance(50) { "tun" } else { "tap" }
                        )),
                    }
                    if !self.devices.contains(&name) {
                        self.devices.push(name);
                    }
                }
                2 if dev != "lo" => {
                    lines.push(format!("link del {dev}"));
                    self.devices.retain(|d| *d != dev);
                    self.labels
                        .retain(|l| l.split(':').next() != Some(dev.as_str()));
                }
                3..=5 => lines.push(format!(
                    "link set {dev} {}",
                    if rng.chance(70) { "up" } else { "down" }
                )),
                6 => peer_lines.push(format!(
                    "link set p{dev} {}",
                    if rng.chance(50) { "up" } else { "down" }
                )),
                7..=9 => {
                    let addr = format!(
                        "10.{}.{}.{}/{}",
                        rng.below(4),
                        rng.below(3),
                        1 + rng.below(250),
                        rng.pick(&[8, 16, 24, 24, 30, 31, 32])
                    );
                    let label = match rng.below(3) {
                        0 => dev.clone(),
                        _ => format!("{dev}:{}", rng.pick(ALIAS_SUFFIXES)),
                    };
                    let brd = match rng.below(3) {
                        0 => " brd +".to_string(),
                        1 => String::new(),
                        _ => format!(" brd 10.255.{}.255", rng.below(3)),
                    };
                    let peer = if rng.chance(15) {
                        format!(" peer 10.99.0.{}", 1 + rng.below(9))
                    } else {
                        String::new()
                    };
                    let local = addr.split('/').next().unwrap_or_default();
                    let spec = if peer.is_empty() {
                        addr.clone()
                    } else {
                        local.to_string()
                    };
                    lines.push(format!(
                        "addr add {spec}{peer}{brd} dev {dev} label {label}"
                    ));
                    if label != dev && label.len() <= 15 {
                        self.labels.push(label);
                    }
                }
                10 => lines.push(format!("addr flush dev {dev} label {dev}:*")),
                11 => lines.push(format!("addr add {} dev {dev} nodad", rng.pick(V6))),
                12 => {
                    let (flag, vals) = *rng.pick(&[
                        ("dynamic", ["on", "off"]),
                        ("promisc", ["on", "off"]),
                        ("allmulticast", ["on", "off"]),
                        ("arp", ["off", "on"]),
                        ("trailers", ["off", "on"]),
                        ("multicast", ["off", "on"]),
                    ]);
                    lines.push(format!("link set {dev} {flag} {}", rng.pick(&vals)));
                }
                13 => lines.push(format!(
                    "link set {dev} mtu {}",
                    rng.pick(&[68, 576, 1280, 1500, 1500, 9000])
                )),
                14 => lines.push(format!(
                    "link set {dev} txqueuelen {}",
                    rng.pick(&[0, 5, 32, 500, 1000])
                )),
                _ => lines.push(format!(
                    "link set lo {}",
                    if rng.chance(70) { "up" } else { "down" }
                )),
            }
        }
        let ns = self.ns.name.clone();
        self.batch(&ns, &lines);
        self.batch(&peer_ns, &peer_lines);
    }

    /// The argument lists to compare on the current state.
    fn arg_sets(&self, rng: &mut Rng) -> Vec<Vec<String>> {
        fn s(v: &[&str]) -> Vec<String> {
            v.iter().map(|x| x.to_string()).collect()
        }
        let mut sets = vec![s(&["-a"])];
        let second: &[&[&str]] = &[&[], &["-s"], &["-a", "-s"], &["-s", "-a"], &["-v"]];
        sets.push(s(rng.pick::<&[&str]>(second)));
        let name = rng.pick(&self.devices).clone();
        sets.push(if rng.chance(30) {
            vec!["-s".into(), name]
        } else {
            vec![name]
        });
        if let Some(label) = (!self.labels.is_empty()).then(|| rng.pick(&self.labels).clone()) {
            sets.push(vec![label]);
        }
        if rng.chance(10) {
            let missing: &[&[&str]] = &[&["nosuch0"], &["-s", "nosuch0"], &["icveth10_and_more"]];
            sets.push(s(rng.pick::<&[&str]>(missing)));
        }
        if rng.chance(25) {
            let dev = rng.pick(&self.devices).clone();
            sets.push(vec![format!("{dev}:{}", rng.pick(&["9", "77", "x"]))]);
        }
        sets
    }
}

/// Seeded random mixes of every display feature, several states per namespace, each state
/// compared under several argument lists. At least 200 states per run.
#[test]
fn generated_states_display_exactly_like_the_real_ifconfig() {
    if !kernel_tests_allowed() {
        return;
    }
    assert_eq!(common::real_tool("ifconfig"), REAL_IFCONFIG);
    let seed: u64 = common::seed_from_env("NSLAB_IFCONFIG_SEED");
    eprintln!("generated states: seed {seed} (set NSLAB_IFCONFIG_SEED to replay)");
    const LABS: u64 = 4;
    const STATES_PER_LAB: usize = 52;
    let results: Vec<(usize, usize, usize, usize, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..LABS)
            .map(|i| {
                s.spawn(move || {
                    let mut rng = Rng(seed.wrapping_add(i.wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1);
                    let mut lab = Lab::new();
                    let mut failures = Vec::new();
                    let (mut states, mut compared, mut blocks, mut json_compared) = (0, 0, 0, 0);
                    for _ in 0..STATES_PER_LAB {
                        lab.mutate(&mut rng);
                        settle(&lab.ns.name);
                        states += 1;
                        for args in lab.arg_sets(&mut rng) {
                            compared += 1;
                            if args == ["-a"] {
                                blocks += real(&lab.ns.name, &args).stdout.matches("\n\n").count();
                            }
                            if let Some((want, got)) = differs(&lab.ns.name, &args) {
                                failures.push(format!(
                                    "seed {seed} lab {i} state {states} args {args:?}\nsteps:\n  {}\n=== real\n{}=== nslab\n{}",
                                    lab.log.join("\n  "),
                                    shown(&want),
                                    shown(&got)
                                ));
                            }
                        }
                        if states % 4 == 0 {
                            match json_differs(&lab.ns.name) {
                                JsonCheck::Same(_) => json_compared += 1,
                                JsonCheck::Skipped => {}
                                JsonCheck::Differs(want, got) => failures.push(format!(
                                    "seed {seed} lab {i} state {states} --json\nsteps:\n  {}\n=== jc\n{want}\n=== nslab\n{got}",
                                    lab.log.join("\n  ")
                                )),
                            }
                        }
                        if failures.len() >= 3 {
                            break;
                        }
                    }
                    (states, compared, blocks, json_compared, failures)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("lab thread"))
            .collect()
    });
    let states: usize = results.iter().map(|r| r.0).sum();
    let compared: usize = results.iter().map(|r| r.1).sum();
    let blocks: usize = results.iter().map(|r| r.2).sum();
    let json_compared: usize = results.iter().map(|r| r.3).sum();
    eprintln!(
        "{states} states, {compared} comparisons, {blocks} interface blocks under -a, \
         {json_compared} --json comparisons with jc"
    );
    let failures: Vec<&String> = results.iter().flat_map(|r| r.4.iter()).collect();
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    );
    assert!(states >= 200, "only {states} states compared");
    assert!(
        json_compared >= 10,
        "only {json_compared} --json comparisons"
    );
}

/// `nslab ifconfig -a --json` gives what `ifconfig -a | jc --ifconfig` gives, on the same
/// namespace (jc-parseable states: no IFF_DYNAMIC, no site or compat scopes; see json.rs).
#[test]
fn json_matches_jc_on_the_real_output() {
    if !kernel_tests_allowed() {
        return;
    }
    let lab = Lab::new();
    let (ns, peer) = (&lab.ns, &lab.peer);
    ns.ip(&["link", "set", "lo", "up"]);
    ns.ip(&[
        "link", "add", "icv0", "type", "veth", "peer", "name", "picv0", "netns", &peer.name,
    ]);
    ns.ip(&[
        "link", "add", "icv1", "type", "veth", "peer", "name", "picv1", "netns", &peer.name,
    ]);
    ns.ip(&["link", "add", "icifb", "type", "ifb"]);
    ns.ip(&["tuntap", "add", "ictun", "mode", "tun"]);
    ns.ip(&["addr", "add", "10.0.0.1/24", "brd", "+", "dev", "icv0"]);
    ns.ip(&[
        "addr",
        "add",
        "10.0.0.2/24",
        "dev",
        "icv0",
        "label",
        "icv0:1",
    ]);
    ns.ip(&["addr", "add", "2001:db8::1/64", "dev", "icv0", "nodad"]);
    ns.ip(&["addr", "add", "10.5.0.1/24", "dev", "ictun"]);
    for dev in ["icv0", "icv1", "icifb", "ictun"] {
        ns.ip(&["link", "set", dev, "up"]);
    }
    peer.ip(&["link", "set", "picv0", "up"]);
    settle(&ns.name);
    match json_differs(&ns.name) {
        JsonCheck::Same(got) => assert!(got.as_array().is_some_and(|a| a.len() == 6), "{got}"),
        JsonCheck::Skipped => panic!("this state has nothing jc misreads"),
        JsonCheck::Differs(want, got) => panic!(
            "jc: {}\nnslab: {}",
            serde_json::to_string_pretty(&want).unwrap(),
            serde_json::to_string_pretty(&got).unwrap()
        ),
    }
}

/// The display needs no privileges: as user nobody, nslab prints what the real tool prints.
#[test]
fn display_works_without_root() {
    if !kernel_tests_allowed() {
        return;
    }
    let lab = Lab::new();
    let ns = &lab.ns;
    ns.ip(&["link", "set", "lo", "up"]);
    ns.ip(&[
        "link",
        "add",
        "icv0",
        "type",
        "veth",
        "peer",
        "name",
        "picv0",
        "netns",
        &lab.peer.name,
    ]);
    ns.ip(&[
        "addr",
        "add",
        "10.0.0.1/24",
        "dev",
        "icv0",
        "label",
        "icv0:1",
    ]);
    settle(&ns.name);
    // A copy of nslab that nobody can run even when the build directory is private.
    struct TempDir(PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let tmp = TempDir(std::env::temp_dir().join(format!("icnobody{}", std::process::id())));
    let dir = &tmp.0;
    std::fs::create_dir_all(dir).unwrap();
    let bin = dir.join("nslab");
    std::fs::copy(env!("CARGO_BIN_EXE_nslab"), &bin).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = bin.to_string_lossy().into_owned();
    let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups"];
    for args in [&["-a"][..], &["-a", "-s"], &["icv0:1"], &["nosuch"]] {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let mut pre: Vec<&str> = nobody.to_vec();
        pre.push(REAL_IFCONFIG);
        let want = run_in(&ns.name, "setpriv", &pre, &args);
        let mut pre: Vec<&str> = nobody.to_vec();
        pre.extend([bin.as_str(), "ifconfig"]);
        let got = run_in(&ns.name, "setpriv", &pre, &args);
        assert_eq!(shown(&got), shown(&want), "{args:?}");
        assert!(
            want.stdout.contains("icv0") || want.stderr.contains("nosuch"),
            "{}",
            shown(&want)
        );
    }
}
