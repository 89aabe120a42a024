//! The `netstat` drop-in, against the real net-tools 2.10 `netstat`:
//! * offline: every recording in `compat/netstat/<scenario>/<case>/` rendered from the state
//!   recorded with it (`compat/netstat/<scenario>/state/`) must equal what the real tool
//!   printed (stdout, stderr, status), and `--json` must equal `jc --netstat` of that output;
//! * live: a namespace with real listening and connected TCP/UDP/raw/unix sockets (IPv4 and
//!   IPv6, held by a python3 process), random flag combinations, the real `netstat` and
//!   `nslab netstat` run in it, compared byte for byte; `--json` against jc on the same state;
//! * dispatch by argv[0] (`netstat` link).

mod common;

use common::{kernel_tests_allowed, real_tool, Netns, Rng};
use nslab::legacy::ifconfig::Outcome;
use nslab::legacy::netstat::{offline, Recorded};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn compat_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("compat/netstat")
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("{}/{file}: {e}", dir.display()))
}

fn dirs(p: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

fn argv(args: &[String]) -> Vec<String> {
    std::iter::once("netstat".to_string())
        .chain(args.iter().cloned())
        .collect()
}

#[test]
fn recordings_render_exactly_like_the_real_netstat() {
    let mut checked = 0;
    let mut json_checked = 0;
    let mut failures = Vec::new();
    for scenario in dirs(&compat_dir()) {
        let state = scenario.join("state");
        for case in dirs(&scenario).into_iter().filter(|d| *d != state) {
            let args: Vec<String> = read(&case, "args").lines().map(str::to_string).collect();
            let want = Outcome {
                stdout: read(&case, "stdout"),
                stderr: read(&case, "stderr"),
                code: read(&case, "status").trim().parse().expect("status"),
            };
            let mut src = Recorded {
                dir: state.clone(),
                listings: 1,
            };
            let got = offline(&argv(&args), &mut src);
            if got != want {
                failures.push(format!(
                    "{}: netstat {args:?}\n--- want\n{}{}rc {}\n--- got\n{}{}rc {}",
                    case.display(),
                    want.stdout,
                    want.stderr,
                    want.code,
                    got.stdout,
                    got.stderr,
                    got.code
                ));
            }
            checked += 1;
            if let Ok(jc) = std::fs::read_to_string(case.join("jc.json")) {
                let mut a = args.clone();
                a.push("--json".into());
                let got = offline(&argv(&a), &mut src);
                let got: serde_json::Value = serde_json::from_str(&got.stdout)
                    .unwrap_or_else(|e| panic!("{}: --json: {e}: {got:?}", case.display()));
                let want: serde_json::Value = serde_json::from_str(&jc).expect("jc.json");
                if got != want {
                    failures.push(format!(
                        "{}: --json\nwant {want}\ngot  {got}",
                        case.display()
                    ));
                }
                json_checked += 1;
            }
        }
    }
    assert!(checked >= 160, "only {checked} recordings");
    assert!(json_checked >= 120, "only {json_checked} jc recordings");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{checked} recordings equal, {json_checked} --json equal to jc");
}

/// A namespace with sockets in it, names from the files only (no DNS from the real tool), and
/// the holder process ended and files removed on drop.
struct SocketLab {
    ns: Netns,
    holder: Child,
    etc: PathBuf,
    sock: String,
}

impl Drop for SocketLab {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
        let _ = std::fs::remove_dir_all(&self.etc);
        for suffix in ["", "d", ".ready"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.sock));
        }
    }
}

fn socket_lab(extra: usize) -> SocketLab {
    let ns = Netns::new("nst");
    let etc = PathBuf::from("/etc/netns").join(&ns.name);
    std::fs::create_dir_all(&etc).expect("/etc/netns/NS");
    std::fs::write(
        etc.join("nsswitch.conf"),
        "passwd: files\nhosts: files\nnetworks: files\nprotocols: files\nservices: files\n",
    )
    .unwrap();
    std::fs::write(
        etc.join("hosts"),
        "127.0.0.1 localhost\n10.77.0.1 alpha.lab.example alpha\nfd77::1 six-alpha\n\
         2001:db8:aaaa:bbbb:cccc:dddd:eeee:1 a-very-long-host-name-for-the-column.example\n",
    )
    .unwrap();
    let (a, b) = (format!("{}a", ns.name), format!("{}b", ns.name));
    ns.ip(&["link", "set", "lo", "up"]);
    ns.ip(&["link", "add", &a, "type", "veth", "peer", "name", &b]);
    ns.ip(&["addr", "add", "10.77.0.1/24", "dev", &a]);
    ns.ip(&["addr", "add", "10.77.0.2/24", "dev", &b]);
    ns.ip(&["addr", "add", "fd77::1/64", "dev", &a, "nodad"]);
    ns.ip(&["addr", "add", "fd77::2/64", "dev", &b, "nodad"]);
    let long6 = "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1/64";
    ns.ip(&["addr", "add", long6, "dev", &a, "nodad"]);
    ns.ip(&["link", "set", &a, "up"]);
    ns.ip(&["link", "set", &b, "up"]);
    let sock = format!("/tmp/{}.sock", ns.name);
    let holder = Command::new("ip")
        .args(["netns", "exec", &ns.name, "python3"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("compat/netstat-holder.py"))
        .arg(&sock)
        .arg(extra.to_string())
        .stdout(Stdio::null())
        .spawn()
        .expect("python3 (installed with jc)");
    let lab = SocketLab {
        ns,
        holder,
        etc,
        sock,
    };
    let start = Instant::now();
    while !Path::new(&format!("{}.ready", lab.sock)).exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "socket holder did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    lab
}

/// Run a command inside the namespace; stdout, stderr, rc.
fn inside(ns: &str, program: &str, args: &[String]) -> Outcome {
    let out = Command::new("ip")
        .args(["netns", "exec", ns, program])
        .args(args)
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .current_dir("/")
        .output()
        .expect("spawn");
    Outcome {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

fn nslab_netstat(ns: &str, args: &[String]) -> Outcome {
    let mut a = vec!["netstat".to_string()];
    a.extend_from_slice(args);
    inside(ns, env!("CARGO_BIN_EXE_nslab"), &a)
}

/// Compare the real tool and nslab on the same state; counters may move between the two runs
/// (kernel timers), so a difference is retried a few times before it counts.
fn same(ns: &str, args: &[String]) -> Result<(), String> {
    let mut last = String::new();
    for _ in 0..4 {
        let real = inside(ns, "netstat", args);
        let ours = nslab_netstat(ns, args);
        if real == ours {
            return Ok(());
        }
        last = format!(
            "netstat {args:?}\n--- real ({})\n{}{}--- nslab ({})\n{}{}",
            real.code, real.stdout, real.stderr, ours.code, ours.stdout, ours.stderr
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(last)
}

/// `jc --netstat` of a text.
fn jc_netstat(text: &str) -> serde_json::Value {
    use std::io::Write;
    let mut jc = Command::new("jc")
        .arg("--netstat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("jc");
    jc.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = jc.wait_with_output().unwrap();
    serde_json::from_slice(&out.stdout).expect("jc output")
}

#[test]
fn random_flag_combinations_match_the_real_netstat_live() {
    if !kernel_tests_allowed() {
        return;
    }
    real_tool("netstat");
    let lab = socket_lab(20);
    let ns = lab.ns.name.clone();
    let seed = common::seed_from_env("NSLAB_NETSTAT_SEED");
    let mut rng = Rng(seed | 1);
    let flags = [
        "-t",
        "-u",
        "-w",
        "-x",
        "-l",
        "-a",
        "-n",
        "-p",
        "-e",
        "-o",
        "-W",
        "-4",
        "-6",
        "-v",
        "--numeric-hosts",
        "--numeric-ports",
        "--numeric-users",
        "-U",
        "-A",
        "-g",
        // Displays, their conflicts and the odd ones (never -c: it lists forever).
        "-i",
        "-r",
        "-s",
        "-M",
        "-S",
        "-N",
        "-F",
        "-C",
        "-d",
        "--ext",
        "--li",
        "--inet",
        "--in",
        "-q",
    ];
    let mut fixed: Vec<Vec<String>> = [
        "-tulpn", "-tuln", "-an", "-ap", "-aeo", "-x", "-xap", "-i", "-ia", "-ie", "-s", "-s -6",
        "-st", "-g", "-gn", "-anW", "",
    ]
    .iter()
    .map(|s| s.split_whitespace().map(str::to_string).collect())
    .collect();
    for _ in 0..60 {
        let mut args = Vec::new();
        for _ in 0..rng.range(1, 5) {
            let f = rng.pick_str(&flags);
            args.push(f.to_string());
            if f == "-A" {
                args.push(
                    rng.pick_str(&["inet", "inet6", "unix", "inet,unix"])
                        .to_string(),
                );
            }
        }
        fixed.push(args);
    }
    let start = Instant::now();
    let mut failures = Vec::new();
    for args in &fixed {
        if let Err(e) = same(&ns, args) {
            failures.push(e);
        }
    }
    eprintln!(
        "seed {seed}: {} of {} combinations equal in {:?}",
        fixed.len() - failures.len(),
        fixed.len(),
        start.elapsed()
    );
    assert!(failures.is_empty(), "seed {seed}:\n{}", failures.join("\n"));
}

#[test]
fn json_equals_jc_on_the_real_output_live() {
    if !kernel_tests_allowed() {
        return;
    }
    real_tool("netstat");
    real_tool("jc");
    let lab = socket_lab(0);
    let ns = lab.ns.name.clone();
    for args in ["-a", "-ap", "-tulpn", "-aeo", "-x", "-i", "-anW"] {
        let args: Vec<String> = args.split_whitespace().map(str::to_string).collect();
        let mut a = args.clone();
        a.push("--json".into());
        // Interface counters move with the kernel's own ND/MLD packets: retry a moved state.
        let (mut got, mut want) = (serde_json::Value::Null, serde_json::Value::Null);
        for _ in 0..4 {
            want = jc_netstat(&inside(&ns, "netstat", &args).stdout);
            let ours = nslab_netstat(&ns, &a);
            got = serde_json::from_str(&ours.stdout)
                .unwrap_or_else(|e| panic!("{args:?}: {e}: {ours:?}"));
            if got == want {
                break;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        assert_eq!(got, want, "netstat {args:?} --json");
        assert!(
            want.as_array().is_some_and(|a| !a.is_empty()),
            "{args:?}: jc found rows"
        );
    }
}

#[test]
fn a_link_named_netstat_is_the_drop_in() {
    let dir = std::env::temp_dir().join(format!("nslab-netstat-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("netstat");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_nslab"), &link).unwrap();
    let out = Command::new(&link).arg("-V").output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("net-tools 2.10\n"));
    let out = Command::new(env!("CARGO_BIN_EXE_nslab"))
        .args(["netstat", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr)
        .starts_with("netstat: unrecognized option '--bogus'\n"));
}

#[test]
fn programs_of_other_users_show_a_dash_like_the_real_netstat_live() {
    if !kernel_tests_allowed() {
        return;
    }
    real_tool("netstat");
    real_tool("setpriv");
    let lab = socket_lab(0);
    // As nobody: no /proc/PID/fd of root's processes is readable, so every owner is `-` and
    // net-tools says why on stderr.
    let as_nobody = |args: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["--reuid=65534", "--regid=65534", "--clear-groups"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(args.iter().map(|s| s.to_string()));
        v
    };
    for args in [
        &["netstat", "-tap"][..],
        &["netstat", "-xap"],
        &["netstat", "-tulpn"],
    ] {
        let real = inside(&lab.ns.name, "setpriv", &as_nobody(args));
        let mut ours_args = vec![env!("CARGO_BIN_EXE_nslab")];
        ours_args.extend_from_slice(args);
        let ours = inside(&lab.ns.name, "setpriv", &as_nobody(&ours_args));
        assert_eq!(ours, real, "{args:?} as nobody");
        assert!(real.stderr.contains("geteuid()=65534"), "{real:?}");
    }
}

#[test]
fn continuous_listings_repeat_with_one_interface_title() {
    let state = compat_dir().join("sockets/state");
    let mut src = Recorded {
        dir: state.clone(),
        listings: 3,
    };
    let once = offline(
        &argv(&["-i".into()]),
        &mut Recorded {
            dir: state.clone(),
            listings: 1,
        },
    );
    let three = offline(&argv(&["-ic".into()]), &mut src);
    let rows = once
        .stdout
        .strip_prefix("Kernel Interface table\n")
        .unwrap();
    assert_eq!(
        three.stdout,
        format!("Kernel Interface table\n{rows}{rows}{rows}")
    );
    let mut src = Recorded {
        dir: state.clone(),
        listings: 2,
    };
    let once = offline(
        &argv(&["-tn".into()]),
        &mut Recorded {
            dir: state,
            listings: 1,
        },
    );
    let twice = offline(&argv(&["-tnc".into()]), &mut src);
    assert_eq!(twice.stdout, format!("{}{}", once.stdout, once.stdout));
    // `-rc` prints the whole table, title included, each time.
    let state = compat_dir().join("routes/state");
    let once = offline(
        &argv(&["-rn".into()]),
        &mut Recorded {
            dir: state.clone(),
            listings: 1,
        },
    );
    assert!(once.stdout.starts_with("Kernel IP routing table\n"));
    let twice = offline(
        &argv(&["-rnc".into()]),
        &mut Recorded {
            dir: state,
            listings: 2,
        },
    );
    assert_eq!(twice.stdout, format!("{}{}", once.stdout, once.stdout));
}

/// A namespace with a random routing state (`-r`), names from its own /etc/netns files only
/// (an empty resolv.conf: a name the real tool looks up never leaves the namespace).
struct RouteLab {
    ns: Netns,
    etc: PathBuf,
}

impl Drop for RouteLab {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.etc);
    }
}

fn route_lab(rng: &mut Rng) -> RouteLab {
    let ns = Netns::new("nsr");
    let etc = PathBuf::from("/etc/netns").join(&ns.name);
    let lab = RouteLab { ns, etc };
    let ns = &lab.ns;
    std::fs::create_dir_all(&lab.etc).expect("/etc/netns/NS");
    let files = [
        (
            "nsswitch.conf",
            "passwd: files\nhosts: files\nnetworks: files\nprotocols: files\nservices: files\n",
        ),
        ("resolv.conf", ""),
        (
            "hosts",
            "127.0.0.1 localhost\n10.66.0.2 gwtwo.lab.example gwtwo\n10.66.0.9 nine\n\
             10.68.0.7 seven\nfd66::2 six-gw\n",
        ),
        (
            "networks",
            "loopback 127.0.0.0\nlabnet 10.67.0.0\nfar 10.69.0.0\n",
        ),
    ];
    for (f, text) in files {
        // Some states have no name files at all: every column numeric.
        if matches!(f, "hosts" | "networks") && rng.chance(20) {
            continue;
        }
        std::fs::write(lab.etc.join(f), text).unwrap();
    }
    let (a, b) = (format!("{}a", ns.name), format!("{}b", ns.name));
    ns.ip(&["link", "set", "lo", "up"]);
    ns.ip(&["link", "add", &a, "type", "veth", "peer", "name", &b]);
    for d in [&a, &b] {
        ns.ip(&["link", "set", d, "addrgenmode", "none"]);
    }
    ns.ip(&["addr", "add", "10.66.0.1/24", "dev", &a]);
    ns.ip(&["addr", "add", "fd66::1/64", "dev", &a, "nodad"]);
    ns.ip(&["link", "set", &a, "up"]);
    if rng.chance(70) {
        ns.ip(&["link", "set", &b, "up"]);
        ns.ip(&["addr", "add", "10.76.0.1/16", "dev", &b]);
    }
    let metric = |rng: &mut Rng| rng.range(0, 300).to_string();
    let pool: Vec<Vec<String>> = vec![
        vec!["default".into(), "via".into(), "10.66.0.2".into()],
        vec![
            "10.67.0.0/16".into(),
            "via".into(),
            "10.66.0.9".into(),
            "metric".into(),
            metric(rng),
            "advmss".into(),
            rng.range(500, 1460).to_string(),
            "window".into(),
            rng.range(1, 65535).to_string(),
            "rtt".into(),
            rng.range(1, 900).to_string(),
        ],
        vec!["10.68.0.7".into(), "via".into(), "10.66.0.2".into()],
        vec![
            "10.69.0.0/16".into(),
            "dev".into(),
            a.clone(),
            "metric".into(),
            metric(rng),
        ],
        vec!["unreachable".into(), "10.72.0.0/24".into()],
        vec!["blackhole".into(), "10.73.0.0/16".into()],
        vec![
            "prohibit".into(),
            "10.74.0.0/24".into(),
            "metric".into(),
            metric(rng),
        ],
        vec![
            "10.75.0.0/24".into(),
            "via".into(),
            "10.66.0.2".into(),
            "table".into(),
            "100".into(),
        ],
        vec![
            "10.77.128.0/17".into(),
            "via".into(),
            "10.66.0.9".into(),
            "src".into(),
            "10.66.0.1".into(),
        ],
        vec![
            "2001:db8:aaaa:bbbb:cccc:dddd::/96".into(),
            "via".into(),
            "fd66::2".into(),
        ],
        vec!["unreachable".into(), "2001:db8:1::/48".into()],
        vec![
            "fd67::/64".into(),
            "dev".into(),
            a.clone(),
            "metric".into(),
            metric(rng),
        ],
    ];
    for r in &pool {
        if rng.chance(60) {
            let mut args = vec!["route", "add"];
            args.extend(r.iter().map(String::as_str));
            ns.ip(&args);
        }
    }
    lab
}

/// Every `-r` combination: name resolution × layout (`-e` count) × tables (`-C`/`-F`) ×
/// families; then the odd ones (other families, flags `-r` ignores, conflicts).
fn route_combinations() -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for n in ["", "n"] {
        for e in ["", "e", "ee", "eee", "eeee"] {
            for cf in ["", "C", "F", "CF"] {
                for fam in ["", "-6", "-A inet6", "-A inet,inet6", "-4 -6"] {
                    let mut v = vec![format!("-r{n}{e}{cf}")];
                    v.extend(fam.split_whitespace().map(str::to_string));
                    all.push(v);
                }
            }
        }
    }
    for odd in [
        "-rv",
        "-rN",
        "-rNe",
        "-r --numeric-hosts",
        "-r --numeric-ports",
        "-r --numeric-users",
        "--route --numeric",
        "-rx",
        "-r -A unix",
        "-r -A ax25",
        "-r -A ipx",
        "-r -A inet6,unix",
        "-r --bluetooth",
        "-r -A foo",
        "-rt",
        "-ra",
        "-rW",
        "-rp",
        "-rr",
        "-r -i",
        "-r -s",
    ] {
        all.push(odd.split_whitespace().map(str::to_string).collect());
    }
    all
}

/// `netstat -r…` on random routing states: every combination on the first state, a random
/// sample of them on the others; stdout, stderr and exit code byte for byte; `--json` equal
/// to jc's reading of the real output.
#[test]
fn routing_tables_match_the_real_netstat_on_random_states_live() {
    if !kernel_tests_allowed() {
        return;
    }
    real_tool("netstat");
    real_tool("jc");
    let seed = common::seed_from_env("NSLAB_NETSTAT_ROUTE_SEED");
    let mut rng = Rng(seed | 1);
    let combos = route_combinations();
    let start = Instant::now();
    let (mut cases, mut json_cases, mut failures) = (0, 0, Vec::new());
    for state in 0..4 {
        let lab = route_lab(&mut rng);
        let ns = lab.ns.name.clone();
        let picked: Vec<&Vec<String>> = if state == 0 {
            combos.iter().collect()
        } else {
            (0..40).map(|_| rng.pick(&combos)).collect()
        };
        for args in picked {
            cases += 1;
            if let Err(e) = same(&ns, args) {
                failures.push(format!("state {state}: {e}"));
            }
        }
        for args in ["-r", "-rn", "-rne", "-rnee", "-rnCF", "-r -A inet,inet6"] {
            let args: Vec<String> = args.split_whitespace().map(str::to_string).collect();
            let want = jc_netstat(&inside(&ns, "netstat", &args).stdout);
            let mut a = args.clone();
            a.push("--json".into());
            let ours = nslab_netstat(&ns, &a);
            let got: serde_json::Value = serde_json::from_str(&ours.stdout)
                .unwrap_or_else(|e| panic!("{args:?}: {e}: {ours:?}"));
            assert!(
                want.as_array().is_some_and(|a| !a.is_empty()),
                "{args:?}: jc found rows"
            );
            json_cases += 1;
            if got != want {
                failures.push(format!(
                    "state {state}: {args:?} --json\nwant {want}\ngot  {got}"
                ));
            }
        }
    }
    eprintln!(
        "seed {seed}: {} of {} equal ({cases} -r outputs, {json_cases} --json) in {:?}",
        cases + json_cases - failures.len(),
        cases + json_cases,
        start.elapsed()
    );
    assert!(failures.is_empty(), "seed {seed}:\n{}", failures.join("\n"));
}
