//! Live lab tests: real namespaces, the real `ip`, names unique to the run.

mod common;

use common::{kernel_tests_allowed, netns_list, nslab_run, unique};
use serde_json::Value;

use common::succeeded as ok;

/// Root-namespace devices, minus those of the tests that make root devices (prefixes `b` and
/// `a` from `unique`), which may run concurrently.
fn root_links() -> Vec<String> {
    let concurrent = ["b", "a"].map(|t| format!("{t}{}", std::process::id()));
    let mut v: Vec<String> = std::fs::read_dir("/sys/class/net")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| !concurrent.iter().any(|c| n.starts_with(c.as_str())))
        .collect();
    v.sort();
    v
}

/// Namespaces whose name starts with `prefix`.
fn ours(prefix: &str) -> Vec<String> {
    netns_list()
        .into_iter()
        .filter(|n| n.starts_with(prefix))
        .collect()
}

use common::{write_lab, LabGuard};

#[test]
fn default_lab_up_check_show_down_leaves_nothing() {
    if !kernel_tests_allowed() {
        return;
    }
    let before_links = root_links();
    let p = format!("{}-", unique("d"));
    let _g = LabGuard::new(&["--prefix", &p]);
    ok(&nslab_run(&["up", "--prefix", &p]));
    assert_eq!(ours(&p).len(), 4);

    let check: Value =
        serde_json::from_str(&ok(&nslab_run(&["check", "--json", "--prefix", &p]))).unwrap();
    let pairs = check["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 12);
    assert!(
        pairs
            .iter()
            .all(|x| x["reached"] == true && x["expected"] == true),
        "{check}"
    );
    assert_eq!(check["ok"], true);

    let show: Value =
        serde_json::from_str(&ok(&nslab_run(&["show", "--json", &format!("{p}seed")]))).unwrap();
    let spaces = show["namespaces"].as_array().unwrap();
    assert_eq!(spaces.len(), 4);
    let ns1 = spaces
        .iter()
        .find(|s| s["name"] == format!("{p}ns1"))
        .unwrap();
    let port_master = |port: &str| {
        ns1["interfaces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == port)
            .map(|i| i["master"].clone())
    };
    let mut veths = 0;
    for s in spaces {
        for i in s["interfaces"].as_array().unwrap() {
            if i["name"] == "veth0" {
                veths += 1;
                assert_eq!(i["kind"], "veth");
                let peer = &i["peer"];
                assert_eq!(peer["netns"], format!("{p}ns1"), "{i}");
                let port = peer["name"].as_str().unwrap();
                assert!(port.starts_with("bveth"), "{i}");
                assert_eq!(port_master(port), Some(Value::from("br0")), "{port}");
            }
        }
    }
    assert_eq!(veths, 4);

    ok(&nslab_run(&["down", "--prefix", &p]));
    assert!(ours(&p).is_empty());
    assert_eq!(root_links(), before_links);
    // Twice is not an error.
    ok(&nslab_run(&["down", "--prefix", &p]));
}

#[test]
fn router_and_ipv6_labs_reach_across_their_routers() {
    if !kernel_tests_allowed() {
        return;
    }
    for lab in ["router", "ipv6"] {
        let p = format!("{}-", unique("r"));
        let file = format!("{}/labs/{lab}.toml", env!("CARGO_MANIFEST_DIR"));
        let _g = LabGuard::new(&[lab, "--prefix", &p]);
        ok(&nslab_run(&["up", &file, "--prefix", &p]));
        let out = ok(&nslab_run(&["check", lab, "--json", "--prefix", &p]));
        let check: Value = serde_json::from_str(&out).unwrap();
        let pairs = check["pairs"].as_array().unwrap();
        assert!(!pairs.is_empty());
        assert!(pairs.iter().all(|x| x["reached"] == true), "{lab}: {out}");
        // The ping prober agrees.
        let out = ok(&nslab_run(&[
            "check", lab, "--ping", "--json", "--prefix", &p,
        ]));
        let check: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(check["ok"], true, "{lab}: {out}");
        ok(&nslab_run(&["down", lab, "--prefix", &p]));
        assert!(ours(&p).is_empty());
    }
}

const TWO_HOSTS: &str = r#"
name = "pair"
[[hosts]]
name = "a"
[[hosts]]
name = "b"
[[links]]
a = { host = "a", name = "eth0", addrs = ["10.7.0.1/24"] }
b = { host = "b", name = "eth0", addrs = ["10.7.0.2/24"] }
"#;

#[test]
fn check_fails_when_a_must_not_reach_pair_reaches() {
    if !kernel_tests_allowed() {
        return;
    }
    let text = format!("{TWO_HOSTS}\n[[expect]]\nfrom = \"a\"\nto = \"b\"\nreach = false\n");
    let f = write_lab(&text);
    let p = format!("{}-", unique("m"));
    let _g = LabGuard::new(&["pair", "--prefix", &p]);
    ok(&nslab_run(&["up", f.path(), "--prefix", &p]));
    let out = nslab_run(&["check", "pair", "--prefix", &p, "--timeout", "300"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("a -> ") && err.contains("reaches but must not"),
        "{err}"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("REACHED!"), "{text}");
}

#[test]
fn a_late_kernel_failure_undoes_everything() {
    if !kernel_tests_allowed() {
        return;
    }
    // The gateway is on no subnet of eth0, but `dev` hides that from validation.
    let text = TWO_HOSTS.replace(
        "name = \"a\"\n[[hosts]]",
        "name = \"a\"\nroutes = [{ to = \"10.9.0.0/24\", via = \"10.8.0.1\", dev = \"eth0\" }]\n[[hosts]]",
    );
    let f = write_lab(&text);
    let p = format!("{}-", unique("f"));
    let _g = LabGuard::new(&["pair", "--prefix", &p]);
    let out = nslab_run(&["up", f.path(), "--prefix", &p]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("route add 10.9.0.0/24 via 10.8.0.1"), "{err}");
    assert!(err.contains("Nexthop has invalid gateway"), "{err}");
    assert!(ours(&p).is_empty());
    let status = ok(&nslab_run(&["status", "--json"]));
    assert!(!status.contains(&format!("{p}pair")), "{status}");
}

/// Two hosts whose veth peers are ports of a bridge in the root namespace (lab name omitted).
const ROOT_BRIDGE_LAB: &str = r#"
[[hosts]]
name = "a"
[[hosts]]
name = "b"
[[bridges]]
name = "br"
[[links]]
a = { host = "a", name = "eth0", addrs = ["10.6.0.1/24"] }
b = { bridge = "br", name = "pa" }
[[links]]
a = { host = "b", name = "eth0", addrs = ["10.6.0.2/24"] }
b = { bridge = "br", name = "pb" }
"#;

/// Deletes a root-namespace veth pair in Drop (a veth goes with its peer).
struct RootVeth(String);

impl Drop for RootVeth {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["link", "del", &self.0])
            .status();
    }
}

#[test]
fn a_root_batch_failure_after_the_namespaces_exist_undoes_everything() {
    if !kernel_tests_allowed() {
        return;
    }
    // The lab's root bridge `{p}br` collides with another device's altname: /sys/class/net
    // does not show altnames, so validation passes and the root batch fails after it has made
    // the namespaces, while the namespaces' `ip` processes are already started and waiting.
    let p = unique("a");
    let veth = RootVeth(format!("{p}x"));
    common::run_ok(
        "ip",
        &[
            "link",
            "add",
            &veth.0,
            "type",
            "veth",
            "peer",
            "name",
            &format!("{p}y"),
        ],
    );
    common::run_ok(
        "ip",
        &[
            "link",
            "property",
            "add",
            "dev",
            &veth.0,
            "altname",
            &format!("{p}br"),
        ],
    );
    let f = write_lab(&format!("name = \"rf\"\n{ROOT_BRIDGE_LAB}"));
    let _g = LabGuard::new(&["rf", "--prefix", &p]);
    let out = nslab_run(&["-v", "up", f.path(), "--prefix", &p]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("link add name {p}br type bridge")),
        "{err}"
    );
    // Both namespaces were made, and both of their batch processes had been started; they
    // were given no input.
    assert!(err.contains(&format!("netns add {p}a")), "{err}");
    for h in ["a", "b"] {
        assert!(
            err.contains(&format!("+ ip -n {p}{h} -batch - <<EOF\nEOF\n")),
            "{err}"
        );
    }
    assert!(err.contains("nslab: 4 processes spawned"), "{err}");
    assert!(ours(&p).is_empty(), "{:?}", ours(&p));
    for d in ["pa", "pb", "br"] {
        assert!(
            !std::path::Path::new(&format!("/sys/class/net/{p}{d}")).exists(),
            "{p}{d} left behind"
        );
    }
    let status = ok(&nslab_run(&["status", "--json"]));
    assert!(!status.contains(&format!("{p}rf")), "{status}");
}

#[test]
fn a_failing_post_up_command_undoes_everything() {
    if !kernel_tests_allowed() {
        return;
    }
    let text = TWO_HOSTS.replace(
        "name = \"b\"\n",
        "name = \"b\"\nexec = [\"true\", [\"sh\", \"-c\", \"exit 3\"]]\n",
    );
    let f = write_lab(&text);
    let p = format!("{}-", unique("x"));
    let _g = LabGuard::new(&["pair", "--prefix", &p]);
    let out = nslab_run(&["up", f.path(), "--prefix", &p]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exit status 3"));
    assert!(ours(&p).is_empty());
}

#[test]
fn up_refuses_names_that_exist_and_changes_nothing() {
    if !kernel_tests_allowed() {
        return;
    }
    let p = format!("{}-", unique("e"));
    let taken = common::Netns {
        name: format!("{p}ns3"),
    };
    common::run_ok("ip", &["netns", "add", &taken.name]);
    let _g = LabGuard::new(&["--prefix", &p]);
    let out = nslab_run(&["up", "--prefix", &p]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("namespace `{p}ns3` already exists")),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(ours(&p), vec![taken.name.clone()]);
}

#[test]
fn up_twice_is_refused_and_the_lab_stays() {
    if !kernel_tests_allowed() {
        return;
    }
    let p = format!("{}-", unique("t"));
    let _g = LabGuard::new(&["--prefix", &p]);
    ok(&nslab_run(&["up", "--prefix", &p]));
    let out = nslab_run(&["up", "--prefix", &p]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already up"));
    assert_eq!(ours(&p).len(), 4);
}

#[test]
fn root_namespace_bridge_lab_removes_its_root_devices() {
    if !kernel_tests_allowed() {
        return;
    }
    let all_links = || {
        let mut v: Vec<String> = std::fs::read_dir("/sys/class/net")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        v.sort();
        v
    };
    let before: Vec<String> = all_links()
        .into_iter()
        .filter(|n| n.starts_with('b'))
        .collect();
    let f = write_lab(&format!("name = \"rb\"\n{ROOT_BRIDGE_LAB}"));
    let p = unique("b");
    let _g = LabGuard::new(&["rb", "--prefix", &p]);
    ok(&nslab_run(&["up", f.path(), "--prefix", &p]));
    let now = all_links();
    for d in ["br", "pa", "pb"] {
        assert!(now.contains(&format!("{p}{d}")), "{now:?}");
    }
    let check: Value =
        serde_json::from_str(&ok(&nslab_run(&["check", "rb", "--json", "--prefix", &p]))).unwrap();
    assert_eq!(check["ok"], true, "{check}");
    ok(&nslab_run(&["down", "rb", "--prefix", &p]));
    let after: Vec<String> = all_links()
        .into_iter()
        .filter(|n| n.starts_with('b'))
        .collect();
    assert_eq!(after, before);
    assert!(ours(&p).is_empty());
}

#[test]
fn up_killed_at_random_moments_then_down_leaves_nothing() {
    if !kernel_tests_allowed() {
        return;
    }
    let before_links = root_links();
    // A small deterministic generator: delays spread over the whole `up` (about 15 ms).
    let mut seed: u64 = 0x9e3779b97f4a7c15 ^ std::process::id() as u64;
    let mut killed_midway = 0;
    for trial in 0..20 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay_us = seed % 25_000;
        let p = format!("{}-", unique("k"));
        let _g = LabGuard::new(&["--prefix", &p]);
        let mut child = common::nslab()
            .args(["up", "--prefix", &p])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros(delay_us));
        let _ = child.kill(); // SIGKILL, by the pid we started
        let status = child.wait().unwrap();
        if !status.success() {
            killed_midway += 1;
        }
        let out = nslab_run(&["down", "--prefix", &p]);
        assert!(
            out.status.success(),
            "trial {trial} ({delay_us} us): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            ours(&p).is_empty(),
            "trial {trial} ({delay_us} us): left {:?}",
            ours(&p)
        );
        let state = std::path::Path::new("/run/nslab").join(format!("{p}seed.json"));
        assert!(!state.exists(), "trial {trial}: state file left");
        assert!(
            !state.with_extension("json.tmp").exists(),
            "trial {trial}: temp state left"
        );
    }
    assert_eq!(root_links(), before_links);
    assert!(killed_midway > 0, "no trial killed `up` before it finished");
}

#[test]
fn demo_runs_end_to_end_and_leaves_nothing() {
    if !kernel_tests_allowed() {
        return;
    }
    let p = format!("{}-", unique("o"));
    let _g = LabGuard::new(&["--prefix", &p]);
    let out = ok(&nslab_run(&["demo", "--prefix", &p]));
    assert!(out.contains("12/12 pairs reach"), "{out}");
    assert!(ours(&p).is_empty());
}

#[test]
fn status_lists_labs_and_present_hosts() {
    if !kernel_tests_allowed() {
        return;
    }
    let p = format!("{}-", unique("s"));
    let _g = LabGuard::new(&["--prefix", &p]);
    ok(&nslab_run(&["up", "--prefix", &p]));
    common::run_ok("ip", &["netns", "del", &format!("{p}ns4")]);
    let status: Value = serde_json::from_str(&ok(&nslab_run(&["status", "--json"]))).unwrap();
    let lab = status["labs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == format!("{p}seed"))
        .unwrap()
        .clone();
    let present: Vec<bool> = lab["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["present"] == true)
        .collect();
    assert_eq!(present, vec![true, true, true, false]);
    ok(&nslab_run(&["down", "--prefix", &p]));
    assert!(ours(&p).is_empty());
}

#[test]
fn verbose_up_counts_one_process_per_namespace_plus_one() {
    if !kernel_tests_allowed() {
        return;
    }
    let p = format!("{}-", unique("v"));
    let _g = LabGuard::new(&["--prefix", &p]);
    let out = nslab_run(&["-v", "up", "--prefix", &p]);
    ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nslab: 5 processes spawned"), "{err}");
}

/// A flat lab whose all-pairs check needs more neighbour entries than half the kernel's
/// shared table: `up` raises gc_thresh2/3 (saying so), every pair checks as expected, and
/// `down` puts the old values back.
#[test]
fn a_flat_lab_beyond_the_neighbour_table_raises_it_and_down_restores_it() {
    if !kernel_tests_allowed() {
        return;
    }
    let read = |k: &str| {
        std::fs::read_to_string(format!("/proc/sys/net/ipv4/neigh/default/{k}"))
            .unwrap()
            .trim()
            .parse::<u64>()
            .unwrap()
    };
    let before = (read("gc_thresh2"), read("gc_thresh3"));
    // Enough hosts that n*(n-1) exceeds half of the table as it is now.
    let n = (1..)
        .find(|n| n * (n - 1) * 2 > before.1 as usize)
        .unwrap()
        .max(3);
    let mut text = String::from("name = \"fl\"\n[[hosts]]\nname = \"hub\"\n");
    for i in 1..=n {
        text.push_str(&format!("[[hosts]]\nname = \"h{i}\"\n"));
    }
    text.push_str("[[bridges]]\nname = \"br0\"\nhost = \"hub\"\n");
    for i in 1..=n {
        text.push_str(&format!(
            "[[links]]\na = {{ host = \"h{i}\", name = \"eth0\", addrs = [\"10.{}.{}.1/8\"] }}\nb = {{ bridge = \"br0\", name = \"p{i}\" }}\n",
            i / 250,
            i % 250
        ));
    }
    let f = write_lab(&text);
    let p = unique("n");
    let name = format!("{p}fl");
    let _g = LabGuard::new(&[&name]);
    let out = nslab_run(&["up", f.path(), "--prefix", &p]);
    ok(&out);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("raised net.ipv4.neigh.default.gc_thresh3"),
        "{said}"
    );
    assert!(read("gc_thresh3") >= before.1 + (n * (n - 1)) as u64);
    let report: Value = serde_json::from_str(&ok(&nslab_run(&["check", &name, "--json"]))).unwrap();
    assert_eq!(report["ok"], Value::Bool(true));
    let pairs = report["pairs"].as_array().unwrap();
    assert_eq!(
        pairs
            .iter()
            .filter(|p| p["reached"] == Value::Bool(true))
            .count(),
        n * (n - 1)
    );
    ok(&nslab_run(&["down", &name]));
    // Restored unless another lab that needs it is up meanwhile (none in this run).
    assert_eq!((read("gc_thresh2"), read("gc_thresh3")), before);
}

/// A progress bar is for a terminal only: a lab large enough for one (50 hosts), run with
/// stderr a pipe, gets not one byte of it from `up`, `check` or `down` (no carriage return,
/// no escape sequence, no line but nslab's own messages). The hosts have no links, so that
/// the lab needs no raised neighbour limits (which the neighbour-table test checks alone).
#[test]
fn a_large_lab_prints_no_progress_when_stderr_is_not_a_terminal() {
    if !kernel_tests_allowed() {
        return;
    }
    let n = nslab::progress::LARGE;
    let mut text = String::from("name = \"pg\"\n");
    for i in 0..n {
        text.push_str(&format!("[[hosts]]\nname = \"h{i}\"\n"));
    }
    let f = write_lab(&text);
    let p = unique("g");
    let name = format!("{p}pg");
    let _g = LabGuard::new(&[&name]);
    let clean = |out: &std::process::Output, allowed: &[&str]| {
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!err.contains('\r') && !err.contains('\x1b'), "{err:?}");
        for line in err.lines() {
            assert!(
                allowed.iter().any(|a| line.starts_with(a)),
                "unexpected stderr line {line:?}"
            );
        }
    };
    let up = nslab_run(&["up", f.path(), "--prefix", &p]);
    ok(&up);
    clean(&up, &[&format!("lab `{name}` is up: {n} hosts")]);
    // No host has an address: no pair reaches, none is expected to.
    let check = nslab_run(&["check", &name]);
    let said = ok(&check);
    assert!(
        said.contains(&format!("0/{} pairs reach", n * (n - 1))),
        "{said}"
    );
    clean(&check, &[]);
    let down = nslab_run(&["down", &name]);
    ok(&down);
    clean(&down, &[&format!("lab `{name}` is down")]);
}
