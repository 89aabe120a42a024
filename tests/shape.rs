//! Link shaping through the real `tc`: rates measured live (iperf3 and the in-process pump),
//! asymmetry, clearing, live changes read back, netem where the kernel has it and nslab's
//! exact refusal where it does not, and bad values refused with one line.

mod common;

use common::{kernel_tests_allowed, nslab_run, unique, write_lab, LabGuard};
use serde_json::Value;

fn lab_text(name: &str, link_shape: &str, b_shape: &str) -> String {
    format!(
        r#"name = "{name}"
[[hosts]]
name = "h1"
[[hosts]]
name = "h2"
[[links]]
a = {{ host = "h1", name = "eth0", addrs = ["10.0.0.1/24"] }}
b = {{ host = "h2", name = "eth0", addrs = ["10.0.0.2/24"]{b_shape} }}
{link_shape}
"#
    )
}

fn ok(args: &[&str]) -> String {
    let out = nslab_run(args);
    assert!(
        out.status.success(),
        "nslab {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).expect("json")
}

/// Measured rates (bit/s) per (from, to) host, from `nslab measure --json`.
fn measure(lab: &str, tool: &str) -> Vec<(String, String, f64)> {
    let v = json(&["measure", lab, "--json", "--seconds", "3", "--tool", tool]);
    v["directions"]
        .as_array()
        .expect("directions")
        .iter()
        .map(|d| {
            (
                d["from"].as_str().unwrap().to_string(),
                d["to"].as_str().unwrap().to_string(),
                d["throughput_bit_per_s"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// The rate from `from` to `to`; measured again once when outside `lo..=hi` (the machine
/// is shared with other builds), and the second value must hold.
fn rate_within(lab: &str, tool: &str, from: &str, to: &str, lo: f64, hi: f64) -> f64 {
    let pick = |m: &[(String, String, f64)]| {
        m.iter()
            .find(|(f, t, _)| f == from && t == to)
            .map(|x| x.2)
            .unwrap_or_else(|| panic!("no direction {from} → {to} in {m:?}"))
    };
    let first = pick(&measure(lab, tool));
    if (lo..=hi).contains(&first) {
        return first;
    }
    let second = pick(&measure(lab, tool));
    assert!(
        (lo..=hi).contains(&second),
        "{tool} {from} → {to}: {first} then {second} bit/s, outside {lo}..={hi}"
    );
    second
}

#[test]
fn rates_are_measured_asymmetric_and_clearing_restores_full_speed() {
    if !kernel_tests_allowed() {
        return;
    }
    common::real_tool("iperf3");
    let p = format!("{}-", unique("sh"));
    let lab = format!("{p}shp");
    let file = write_lab(&lab_text(
        "shp",
        "shape = { rate = \"10mbit\" }",
        ", shape = { rate = \"2mbit\" }",
    ));
    let _guard = LabGuard::new(&[lab.as_str()]);
    ok(&["up", file.path(), "--prefix", &p]);
    let (h1, h2) = (format!("{p}h1"), format!("{p}h2"));

    // Read back from the kernel: each end's own rate.
    let listed = json(&["shape", &lab, "--json"]);
    let rate_of = |v: &Value, host: &str| {
        v["interfaces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["host"] == host)
            .map(|i| i["rate_bit_per_s"].as_u64().unwrap())
    };
    assert_eq!(rate_of(&listed, &h1), Some(10_000_000), "{listed}");
    assert_eq!(rate_of(&listed, &h2), Some(2_000_000), "{listed}");
    let shown = json(&["show", &lab, "--json"]);
    let eth0 = shown["namespaces"][0]["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "eth0")
        .unwrap()
        .clone();
    assert_eq!(eth0["shaping"]["qdiscs"], serde_json::json!(["tbf"]));

    // 10 Mbit/s ± 10% one way (TCP goodput: headers cost ~4.5%). The other way at most
    // 2 Mbit/s + 10% and at least 75% of it: at 2 Mbit/s tbf's default bucket is two
    // packets, and TCP's sawtooth over so small a bucket has measured 1.66–1.92 Mbit/s here.
    let fwd = rate_within(&lab, "iperf3", &h1, &h2, 9e6, 11e6);
    let back = rate_within(&lab, "iperf3", &h2, &h1, 1.5e6, 2.2e6);
    eprintln!("iperf3: {fwd} bit/s h1→h2, {back} bit/s h2→h1");
    let pumped = rate_within(&lab, "pump", &h1, &h2, 9e6, 11e6);
    eprintln!("pump: {pumped} bit/s h1→h2");

    // Clearing h1's end: h1 → h2 runs at veth speed again (far above 10 Mbit/s).
    ok(&["shape", &lab, &h1, "eth0", "--clear"]);
    assert_eq!(rate_of(&json(&["shape", &lab, "--json"]), &h1), None);
    let free = rate_within(&lab, "iperf3", &h1, &h2, 2e8, f64::MAX);
    eprintln!("cleared: {free} bit/s h1→h2");

    // A live change is read back.
    let out = ok(&[
        "shape", &lab, &h1, "eth0", "--rate", "20mbit", "--queue", "50",
    ]);
    assert_eq!(
        out,
        format!("{h1} eth0: tbf+pfifo: rate 20mbit burst 10000b queue 50p\n")
    );
    assert_eq!(
        rate_of(&json(&["shape", &lab, "--json"]), &h1),
        Some(20_000_000)
    );
}

/// Whether this kernel accepts netem (a probe of the test's own, in a throwaway namespace).
fn kernel_has_netem() -> bool {
    std::process::Command::new("unshare")
        .args([
            "-n", "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms",
        ])
        .output()
        .expect("unshare")
        .status
        .success()
}

#[test]
fn netem_delays_and_loses_or_is_refused_exactly() {
    if !kernel_tests_allowed() {
        return;
    }
    let p = format!("{}-", unique("sn"));
    let lab = format!("{p}net");
    let file = write_lab(&lab_text(
        "net",
        "shape = { delay = \"20ms\" }",
        ", shape = { loss = 50 }",
    ));
    let _guard = LabGuard::new(&[lab.as_str()]);
    if !kernel_has_netem() {
        let out = nslab_run(&["up", file.path(), "--prefix", &p]);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "nslab: this kernel has no sch_netem (CONFIG_NET_SCH_NETEM): delay, loss need it; rate works\n"
        );
        let names = common::netns_list();
        assert!(
            !names.iter().any(|n| n.starts_with(&p)),
            "nothing is created: {names:?}"
        );
        assert!(!ok(&["status"]).contains(&lab));
        // A live change that needs netem is refused the same way, and changes nothing.
        let rate = write_lab(&lab_text("net", "shape = { rate = \"10mbit\" }", ""));
        ok(&["up", rate.path(), "--prefix", &p]);
        let before = ok(&["shape", &lab, "--json"]);
        let out = nslab_run(&["shape", &lab, &format!("{p}h1"), "eth0", "--delay", "20ms"]);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "nslab: this kernel has no sch_netem (CONFIG_NET_SCH_NETEM): delay needs it; rate works\n"
        );
        assert_eq!(ok(&["shape", &lab, "--json"]), before);
        return;
    }
    // A kernel with netem: 20 ms each way is a 40 ms RTT; 50% loss on h2's egress loses
    // about half of the replies.
    ok(&["up", file.path(), "--prefix", &p]);
    let ping = |count: &str, interval: &str| {
        common::real_tool("ping");
        let out = nslab_run(&[
            "exec",
            &format!("{p}h1"),
            "ping",
            "-c",
            count,
            "-i",
            interval,
            "-q",
            "10.0.0.2",
        ]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let text = ping("200", "0.01");
    let received: f64 = text
        .split(", ")
        .find_map(|w| w.strip_suffix(" received"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("ping summary: {text}"));
    let lost = 100.0 - received / 2.0;
    assert!((40.0..=60.0).contains(&lost), "lost {lost}% of 200: {text}");
    let avg: f64 = text
        .lines()
        .find(|l| l.starts_with("rtt"))
        .and_then(|l| l.split(" = ").nth(1))
        .and_then(|v| v.split('/').nth(1))
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("ping rtt: {text}"));
    assert!((36.0..=44.0).contains(&avg), "RTT {avg} ms: {text}");
}

#[test]
fn bad_values_get_one_line_and_change_nothing() {
    if !kernel_tests_allowed() {
        return;
    }
    for (shape, key, msg) in [
        (
            "rate = \"fast\"",
            "links[0].shape.rate",
            "\"fast\" is not a rate",
        ),
        (
            "loss = 120",
            "links[0].shape.loss",
            "120 is not a percentage (0–100)",
        ),
        (
            "delay = \"-1ms\"",
            "links[0].shape.delay",
            "\"-1ms\" is negative",
        ),
    ] {
        let p = format!("{}-", unique("sb"));
        let file = write_lab(&lab_text("bad", &format!("shape = {{ {shape} }}"), ""));
        let _guard = LabGuard::new(&[&format!("{p}bad")]);
        let out = nslab_run(&["up", file.path(), "--prefix", &p]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{shape}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("{}: {key}: {msg}", file.path())),
            "{err}"
        );
        assert!(!common::netns_list().iter().any(|n| n.starts_with(&p)));
    }
}
