//! `nslab graph` and `nslab capture`: snapshots of every format for every example lab, SVG
//! checked as XML by a real parser, and live round trips (up → capture → down → up the
//! capture → capture: the same bytes, the same check matrix) in real namespaces.

mod common;

use common::{kernel_tests_allowed, nslab_run, unique, write_lab, LabGuard};
use std::process::{Command, Stdio};

use common::succeeded as ok;

/// Every lab in labs/ (shaped.toml needs netem, which some kernels lack: it is drawn, not built).
const EXAMPLES: &[&str] = &["seed", "router", "ipv6", "shaped", "shaped-rate"];
/// Those `up` builds on any kernel with tbf.
const BUILT: &[&str] = &["seed", "router", "ipv6", "shaped-rate"];

fn example(name: &str) -> String {
    format!("{}/labs/{name}.toml", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn graph_of_every_example_lab_in_every_text_format() {
    for lab in EXAMPLES {
        for format in ["dot", "mermaid", "json"] {
            let out = ok(&nslab_run(&["graph", &example(lab), "--format", format]));
            // Deterministic: the same lab gives the same bytes.
            let again = ok(&nslab_run(&["graph", &example(lab), "--format", format]));
            assert_eq!(out, again, "{lab} {format}");
            common::insta_settings().bind(|| {
                insta::assert_snapshot!(format!("graph_{lab}_{format}"), out);
            });
        }
    }
}

/// A document's elements, counted by a real XML parser (python3's expat); fails on bad XML.
fn svg_nodes(svg: &str) -> usize {
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as ET\n\
             root = ET.fromstring(sys.stdin.read())\n\
             ns = '{http://www.w3.org/2000/svg}'\n\
             assert root.tag == ns + 'svg', root.tag\n\
             print(sum(1 for g in root.iter(ns + 'g') if g.get('class') == 'node'))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is required to check SVG as XML");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(svg.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "not valid SVG XML: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[test]
fn svg_is_xml_with_one_node_per_host_and_bridge() {
    common::real_tool("dot");
    for (lab, nodes) in [("seed", 4 + 1), ("router", 5 + 2), ("ipv6", 3)] {
        let svg = ok(&nslab_run(&["graph", &example(lab), "--format", "svg"]));
        assert_eq!(svg_nodes(&svg), nodes, "{lab}");
    }
}

#[test]
fn graph_of_a_name_that_is_neither_file_nor_lab_fails_in_one_line() {
    let out = nslab_run(&["graph", "no-such-lab-xyz"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no-such-lab-xyz"), "{err}");
}

/// Host names of a lab file (after the prefix).
fn hosts_of(path: &str, prefix: &str) -> Vec<String> {
    let lab = nslab::lab::Lab::load(path).unwrap().with_prefix(prefix);
    lab.host_names()
}

/// `nslab capture` of these namespaces as lab `name`; returns the file text and stderr.
fn capture(hosts: &[String], name: &str) -> (String, String) {
    let mut args = vec!["capture", "--name", name];
    args.extend(hosts.iter().map(String::as_str));
    let out = nslab_run(&args);
    let text = ok(&out);
    (text, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The reachability matrix of a lab that is up: `check --json`'s pairs as sorted
/// (from, to, expected, reached) rows.
fn matrix(lab: &str) -> Vec<(String, String, bool, bool)> {
    let out = nslab_run(&["check", lab, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("check --json");
    let mut rows: Vec<_> = v["pairs"]
        .as_array()
        .expect("pairs")
        .iter()
        .map(|p| {
            (
                p["from"].as_str().unwrap().to_string(),
                p["to"].as_str().unwrap().to_string(),
                p["expected"].as_bool().unwrap(),
                p["reached"].as_bool().unwrap(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// A lab with its lists in a canonical order (a capture lists hosts by name; a file in its
/// own order), for comparing what two labs mean.
/// Shaping is compared as each end's effective egress (a link's `shape` overlaid by its
/// end's), however the file spreads it over link and ends.
fn canonical(mut lab: nslab::lab::Lab) -> nslab::lab::Lab {
    for i in 0..lab.links.len() {
        let eff = |side| lab.end_shape(i, side).unwrap().map(|s| s.decl());
        let (a, b) = (eff("a"), eff("b"));
        let l = &mut lab.links[i];
        (l.a.shape, l.b.shape, l.shape) = (a, b, None);
    }
    lab.hosts.sort_by(|a, b| a.name.cmp(&b.name));
    lab.bridges
        .sort_by(|a, b| (&a.host, &a.name).cmp(&(&b.host, &b.name)));
    lab.links.sort_by(|a, b| {
        (&a.a.host, &a.a.bridge, &a.a.name).cmp(&(&b.a.host, &b.a.bridge, &b.a.name))
    });
    lab
}

/// up FILE → capture → down → up CAPTURED → capture: the same file, byte for byte, and the
/// same check matrix.
fn round_trip(path: &str, prefix: &str) -> String {
    let lab = nslab::lab::Lab::load(path).unwrap().with_prefix(prefix);
    let name = lab.name.clone();
    let hosts = hosts_of(path, prefix);
    let _guard = LabGuard::new(&[&name]);
    ok(&nslab_run(&["up", path, "--prefix", prefix]));
    let before = matrix(&name);
    let (first, _) = capture(&hosts, &name);
    ok(&nslab_run(&["down", &name]));
    let file = write_lab(&first);
    ok(&nslab_run(&["up", file.path()]));
    let (second, _) = capture(&hosts, &name);
    assert_eq!(first, second, "capture of the captured lab differs");
    assert_eq!(matrix(&name), before, "check matrix differs");
    assert!(!before.is_empty(), "no pairs checked");
    ok(&nslab_run(&["down", &name]));
    first
}

#[test]
fn capture_round_trips_every_example_lab() {
    if !kernel_tests_allowed() {
        return;
    }
    for lab in BUILT {
        let prefix = unique("g");
        let text = round_trip(&example(lab), &prefix);
        // The capture means the same lab as the file it came from.
        let captured = nslab::lab::Lab::parse("captured.toml", &text).unwrap();
        let original = nslab::lab::Lab::load(&example(lab))
            .unwrap()
            .with_prefix(&prefix);
        assert_eq!(canonical(captured), canonical(original), "{lab}");
    }
}

/// Root-namespace bridge, a bridge in a host with its own MTU, MAC and address, a MAC set
/// by hand on a veth end, a link left down.
const DETAILED_LAB: &str = r#"
[[hosts]]
name = "a"

[[hosts]]
name = "b"

[[bridges]]
name = "rb"

[[bridges]]
name = "hb"
host = "a"
addrs = ["10.9.0.1/24"]
mtu = 1400
mac = "02:00:00:00:0a:01"

[[links]]
a = { host = "a", name = "e0", addrs = ["10.8.0.1/24"] }
b = { bridge = "rb", name = "rp1" }

[[links]]
a = { host = "b", name = "e0", addrs = ["10.8.0.2/24"], mac = "02:00:00:00:0b:01", mtu = 1400 }
b = { bridge = "rb", name = "rp2" }

[[links]]
a = { host = "b", name = "e1", up = false }
b = { bridge = "hb", name = "hp1" }
"#;

#[test]
fn capture_round_trips_root_bridges_mtu_mac_and_down_links() {
    if !kernel_tests_allowed() {
        return;
    }
    let prefix = unique("g");
    let file = write_lab(&format!("name = \"d\"\n{DETAILED_LAB}"));
    let text = round_trip(file.path(), &prefix);
    let captured = nslab::lab::Lab::parse("captured.toml", &text).unwrap();
    let mut original = nslab::lab::Lab::load(file.path())
        .unwrap()
        .with_prefix(&prefix);
    // What was declared comes back, nothing more.
    original.name = captured.name.clone();
    assert_eq!(canonical(captured), canonical(original));
}

#[test]
fn graph_of_a_live_lab_equals_the_graph_of_its_file() {
    if !kernel_tests_allowed() {
        return;
    }
    // The router lab (bridges in a host, forwarding) and a shaped one: the live graph reads
    // the shaping back from the kernel (`tc -j qdisc show`).
    for (lab, edges) in [("router", 4), ("shaped-rate", 1)] {
        graph_live_equals_file(lab, edges);
    }
}

fn graph_live_equals_file(lab: &str, edges: usize) {
    let prefix = unique("g");
    let file_lab = nslab::lab::Lab::load(&example(lab)).unwrap();
    let name = format!("{prefix}{}", file_lab.name);
    let _guard = LabGuard::new(&[&name]);
    ok(&nslab_run(&["up", &example(lab), "--prefix", &prefix]));
    for format in ["dot", "mermaid", "json"] {
        let live = ok(&nslab_run(&["graph", &name, "--format", format]));
        let file = ok(&nslab_run(&[
            "graph",
            &example(lab),
            "--prefix",
            &prefix,
            "--format",
            format,
        ]));
        // Hosts come in name order from a live lab, in file order from a file; the router
        // lab lists `r` first, so compare as sets of lines.
        let mut a: Vec<&str> = live.lines().collect();
        let mut b: Vec<&str> = file.lines().collect();
        if format == "json" {
            let (x, y): (serde_json::Value, serde_json::Value) = (
                serde_json::from_str(&live).unwrap(),
                serde_json::from_str(&file).unwrap(),
            );
            assert_eq!(x["edges"].as_array().unwrap().len(), edges, "{lab}");
            assert_eq!(
                x["nodes"].as_array().unwrap().len(),
                y["nodes"].as_array().unwrap().len()
            );
            continue;
        }
        if format == "mermaid" {
            // Node ids follow the order; the node and edge texts must match.
            let strip = |l: &str| {
                l.split_once(['[', '(', '{', '-'])
                    .map(|(_, r)| r.to_string())
            };
            let mut x: Vec<_> = a.iter().filter_map(|l| strip(l)).collect();
            let mut y: Vec<_> = b.iter().filter_map(|l| strip(l)).collect();
            x.sort();
            y.sort();
            assert_eq!(x, y, "{lab}");
            continue;
        }
        a.sort();
        b.sort();
        assert_eq!(a, b, "{lab} {format}");
    }
}

/// The slides' lab typed by hand with the real `ip`, `ifconfig` and `brctl`, captured, is
/// the built-in lab (labs/seed.toml) in meaning: same hosts, bridge, links, addresses.
#[test]
fn capture_of_the_slides_lab_built_by_hand_is_the_seed_lab() {
    if !kernel_tests_allowed() {
        return;
    }
    common::real_tool("ifconfig");
    common::real_tool("brctl");
    let prefix = unique("g");
    let hosts: Vec<String> = (1..=4).map(|i| format!("{prefix}ns{i}")).collect();
    struct Del(Vec<String>);
    impl Drop for Del {
        fn drop(&mut self) {
            for n in &self.0 {
                let _ = Command::new("ip").args(["netns", "del", n]).status();
            }
        }
    }
    let _guard = Del(hosts.clone());
    let script = format!("{}/compat/scripts/slides.sh", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg(&script)
        .env("P", &prefix)
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (text, _) = capture(&hosts, "seed");
    let captured = nslab::lab::Lab::parse("captured.toml", &text).unwrap();
    let mut seed = nslab::lab::Lab::default_lab().with_prefix(&prefix);
    seed.name = "seed".into();
    assert_eq!(canonical(captured), canonical(seed), "{text}");
}

#[test]
fn capture_reports_what_a_lab_file_cannot_express_and_still_writes_a_valid_file() {
    if !kernel_tests_allowed() {
        return;
    }
    let a = common::Netns::new("g");
    let b = common::Netns::new("g");
    let outside = common::Netns::new("g");
    a.ip(&[
        "link", "add", "name", "x0", "type", "veth", "peer", "name", "x1", "netns", &b.name,
    ]);
    a.ip(&["addr", "add", "10.7.0.1/24", "dev", "x0"]);
    a.ip(&["link", "add", "name", "q0", "type", "ifb"]);
    a.ip(&[
        "link",
        "add",
        "name",
        "o0",
        "type",
        "veth",
        "peer",
        "name",
        "o1",
        "netns",
        &outside.name,
    ]);
    b.ip(&["route", "add", "unreachable", "10.99.0.0/16"]);
    let hosts = vec![a.name.clone(), b.name.clone()];
    let (text, stderr) = capture(&hosts, "odd");
    for what in [
        "q0 is a ifb link",
        "o0 has its peer",
        "route 10.99.0.0/16 of type unreachable",
    ] {
        assert!(stderr.contains(what), "stderr lacks `{what}`: {stderr}");
        assert!(text.contains("# - ") && text.contains(what), "{text}");
    }
    let lab = nslab::lab::Lab::parse("captured.toml", &text).unwrap();
    lab.validate("captured.toml").unwrap();
    assert_eq!(lab.links.len(), 1);
    assert_eq!(lab.links[0].a.addrs, vec!["10.7.0.1/24".to_string()]);
}

#[test]
fn capture_of_a_missing_namespace_fails_in_one_line() {
    let out = nslab_run(&["capture", "zz-no-such-ns"]);
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("zz-no-such-ns"), "{err}");
}
