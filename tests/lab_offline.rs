//! Offline tests: parsed recordings from compat/lab, the dry-run plan of every example lab,
//! and the one-line error for each kind of broken lab file. No kernel needed.

mod common;

use nslab::backend::Script;
use nslab::backend::{ipjson, Backend, Recording};
use nslab::lab::plan::plan_up;
use nslab::lab::Lab;

fn recorded(case: &str) -> nslab::model::Snapshot {
    let dir = format!("{}/compat/lab/{case}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(format!("{dir}/ip-batch.json")).unwrap();
    let meta = std::fs::read_to_string(format!("{dir}/meta")).unwrap();
    let ns = meta
        .lines()
        .find_map(|l| l.strip_prefix("namespace: "))
        .unwrap()
        .to_string();
    let docs = ipjson::documents("recording", &text).unwrap();
    ipjson::snapshot_from(Some(&ns), docs).unwrap()
}

#[test]
fn parse_recorded_snapshots() {
    for case in ["seed-ns1", "seed-ns2", "router-r", "router-h1"] {
        let snap = recorded(case);
        common::insta_settings().bind(|| {
            insta::assert_json_snapshot!(format!("lab_snapshot_{case}"), snap);
        });
    }
}

#[test]
fn show_resolves_veth_peers_across_recorded_namespaces() {
    let mut rec = Recording::default();
    for case in ["seed-ns1", "seed-ns2"] {
        let s = recorded(case);
        rec.namespaces.push(s.netns.clone().unwrap());
        rec.snapshots.push(s);
    }
    let names: Vec<Option<String>> = rec.namespaces.iter().cloned().map(Some).collect();
    let views = nslab::show::views(&names, &mut rec).unwrap();
    let ns2 = &views[1];
    let veth = ns2.interfaces.iter().find(|i| i.name == "veth0").unwrap();
    let peer = veth.peer.as_ref().unwrap();
    assert_eq!(peer.name.as_deref(), Some("bveth2"));
    assert_eq!(peer.netns.as_deref(), views[0].name.as_deref());
    let port = views[0]
        .interfaces
        .iter()
        .find(|i| i.name == "bveth2")
        .unwrap();
    assert_eq!(port.master.as_deref(), Some("br0"));
    common::insta_settings().bind(|| {
        insta::assert_snapshot!("lab_show_seed", nslab::show::render(&views));
    });
}

/// The script of a lab; of a lab over machines, each machine's part under its name.
fn dry_run(lab: &Lab) -> String {
    if lab.machines.is_empty() {
        return Script::batches(&plan_up(lab));
    }
    lab.machines
        .iter()
        .map(|m| {
            format!(
                "# machine {}\n{}",
                m.name,
                Script::batches(&plan_up(&lab.part(&m.name)))
            )
        })
        .collect()
}

#[test]
fn dry_run_of_every_example_lab() {
    let dir = format!("{}/labs", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml" || x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 3);
    for f in files {
        let path = f.to_str().unwrap();
        let lab = Lab::load(path).unwrap();
        lab.validate(path).unwrap();
        let stem = f.file_stem().unwrap().to_str().unwrap().to_string();
        common::insta_settings().bind(|| {
            insta::assert_snapshot!(format!("lab_dry_run_{stem}"), dry_run(&lab));
        });
        // The host work too (hostnames, /etc/netns files, commands, services) for a lab
        // with services.
        if lab.hosts.iter().any(|h| !h.services.is_empty()) {
            common::insta_settings().bind(|| {
                insta::assert_snapshot!(
                    format!("lab_dry_run_{stem}_post"),
                    Script::batches(&nslab::lab::plan::plan_post(&lab))
                );
            });
        }
    }
}

#[test]
fn the_script_backend_prints_what_it_is_given() {
    let lab = Lab::default_lab();
    let mut out = Vec::new();
    Script::new(&mut out, None).apply(&plan_up(&lab)).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        Script::batches(&plan_up(&lab))
    );
}

/// Every line the script backend prints is a shell command that gives `ip` exactly the
/// Op's words back, whatever the names hold (quotes, blanks, `$`, `*`, non-ASCII).
#[test]
fn script_lines_give_ip_the_ops_words_back_through_a_shell() {
    use nslab::op::{LinkFlag, Op};
    let names = [
        "plain0", "it's", "a b", "$HOME", "*", "é1", "x\\y", "-", "a\"b",
    ];
    let mut ops = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let ns = (i % 2 == 0).then(|| format!("ns {n}"));
        ops.push(Op::SetUp {
            ns: ns.clone(),
            dev: n.to_string(),
            up: true,
        });
        ops.push(Op::SetFlag {
            ns,
            dev: n.to_string(),
            flag: LinkFlag::Arp,
            on: false,
        });
    }
    let script = Script::render(&ops);
    let lines: Vec<&str> = script.lines().collect();
    assert_eq!(lines.len(), ops.len());
    for (line, op) in lines.iter().zip(&ops) {
        // Let sh split the line, then print each word NUL-terminated instead of running ip.
        let out = std::process::Command::new("sh")
            .args(["-c", &format!("f() {{ printf '%s\\0' \"$@\"; }}; f {line}")])
            .output()
            .expect("sh runs");
        assert!(out.status.success(), "{line}");
        let words: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .split_terminator('\0')
            .map(str::to_string)
            .collect();
        let mut want = vec!["ip".to_string()];
        if let Some(ns) = op.ns() {
            want.extend(["-n".to_string(), ns.to_string()]);
        }
        want.extend(op.ip_args().unwrap());
        assert_eq!(words, want, "{line}");
    }
}

const BASE: &str = r#"name = "t"
[[hosts]]
name = "a"
[[hosts]]
name = "b"
[[links]]
a = { host = "a", name = "eth0", addrs = ["10.0.0.1/24"] }
b = { host = "b", name = "eth0", addrs = ["10.0.0.2/24"] }
"#;

/// Two machines: A (this one) and B.
const MACHINES: &str = r#"[[machines]]
name = "A"
ssh = "local"
underlay = "10.9.0.1"
[[machines]]
name = "B"
ssh = "root@b"
underlay = "10.9.0.2"
"#;

/// BASE with host `b` on machine B: its link crosses the machines.
fn spread() -> String {
    format!(
        "name = \"t\"\n{MACHINES}{}",
        BASE.trim_start_matches("name = \"t\"\n").replacen(
            "name = \"b\"",
            "name = \"b\"\nmachine = \"B\"",
            1
        )
    )
}

/// (case, file name, text): one broken lab per kind of mistake.
fn broken() -> Vec<(&'static str, &'static str, String)> {
    let r = |from: &str, to: &str| BASE.replacen(from, to, 1);
    let spread = spread();
    vec![
        ("toml_syntax", "x.toml", r("[[hosts]]", "[[hosts]")),
        ("unknown_key", "x.toml", r("name = \"a\"", "name = \"a\"\ncolour = \"red\"")),
        ("wrong_type", "x.toml", r("name = \"a\"", "name = 5")),
        ("json_syntax", "x.json", "{\"name\": \"t\", \"hosts\": [".to_string()),
        ("no_hosts", "x.toml", "name = \"t\"\n".to_string()),
        ("lab_name_too_long", "x.toml", r("name = \"t\"", "name = \"a-very-long-lab-name\"")),
        ("host_name_with_slash", "x.toml", r("name = \"a\"", "name = \"a/b\"")),
        ("host_name_with_space", "x.toml", r("name = \"a\"", "name = \"a b\"")),
        ("host_name_leading_dash", "x.toml", r("name = \"a\"", "name = \"-a\"")),
        ("host_name_empty", "x.toml", r("name = \"a\"", "name = \"\"")),
        ("duplicate_host", "x.toml", r("name = \"b\"", "name = \"a\"")),
        ("endpoint_unknown_host", "x.toml", r("host = \"b\"", "host = \"zz\"")),
        ("endpoint_unknown_bridge", "x.toml", r("host = \"b\",", "bridge = \"br9\",")),
        ("endpoint_host_and_bridge", "x.toml", r("host = \"b\",", "host = \"b\", bridge = \"br9\",")),
        ("endpoint_neither", "x.toml", r("host = \"b\", ", "")),
        ("duplicate_interface", "x.toml", format!("{BASE}[[links]]\na = {{ host = \"a\", name = \"eth0\" }}\nb = {{ host = \"b\", name = \"eth1\" }}\n")),
        ("interface_named_lo", "x.toml", r("host = \"a\", name = \"eth0\"", "host = \"a\", name = \"lo\"")),
        ("interface_name_too_long", "x.toml", r("name = \"eth0\"", "name = \"eth0123456789abcd\"")),
        ("interface_name_with_colon", "x.toml", r("name = \"eth0\"", "name = \"eth0:1\"")),
        ("interface_named_all", "x.toml", r("name = \"eth0\"", "name = \"all\"")),
        ("address_without_prefix", "x.toml", r("10.0.0.1/24", "10.0.0.1")),
        ("address_bad", "x.toml", r("10.0.0.1/24", "10.0.0.300/24")),
        ("prefix_too_long", "x.toml", r("10.0.0.1/24", "10.0.0.1/33")),
        ("ipv6_prefix_too_long", "x.toml", r("10.0.0.1/24", "2001:db8::1/129")),
        ("address_used_twice", "x.toml", r("10.0.0.2/24", "10.0.0.1/24")),
        ("loopback_address", "x.toml", r("10.0.0.1/24", "127.0.0.2/8")),
        ("mtu_too_small", "x.toml", r("addrs = [\"10.0.0.1/24\"]", "mtu = 10")),
        ("mac_bad", "x.toml", r("addrs = [\"10.0.0.1/24\"]", "mac = \"02:00:00:00:00\"")),
        ("mac_multicast", "x.toml", r("addrs = [\"10.0.0.1/24\"]", "mac = \"01:00:5e:00:00:01\"")),
        ("route_bad_prefix", "x.toml", r("name = \"a\"", "name = \"a\"\nroutes = [{ to = \"10.9.0.0/99\", via = \"10.0.0.2\" }]")),
        ("route_host_bits", "x.toml", r("name = \"a\"", "name = \"a\"\nroutes = [{ to = \"10.9.0.1/24\", via = \"10.0.0.2\" }]")),
        ("route_gateway_not_ip", "x.toml", r("name = \"a\"", "name = \"a\"\nroutes = [{ to = \"default\", via = \"gw\" }]")),
        ("route_gateway_off_subnet", "x.toml", r("name = \"a\"", "name = \"a\"\nroutes = [{ to = \"default\", via = \"10.5.0.1\" }]")),
        ("route_gateway_wrong_family", "x.toml", r("name = \"a\"", "name = \"a\"\nroutes = [{ to = \"2001:db8::/64\", via = \"10.0.0.2\" }]")),
        ("route_unknown_dev", "x.toml", r("name = \"a\"", "name = \"a\"\nroutes = [{ to = \"default\", dev = \"eth9\" }]")),
        ("route_no_via_no_dev", "x.toml", r("name = \"a\"", "name = \"a\"\nroutes = [{ to = \"default\" }]")),
        ("sysctl_not_net", "x.toml", r("name = \"a\"", "name = \"a\"\nsysctl = { \"kernel.panic\" = 1 }")),
        ("sysctl_path_escape", "x.toml", r("name = \"a\"", "name = \"a\"\nsysctl = { \"net/../../x\" = 1 }")),
        ("empty_command", "x.toml", r("name = \"a\"", "name = \"a\"\nexec = [\"\"]")),
        ("bridge_unknown_host", "x.toml", format!("{BASE}[[bridges]]\nname = \"br0\"\nhost = \"q\"\n")),
        ("bridge_twice_in_root", "x.toml", format!("{BASE}[[bridges]]\nname = \"br0\"\n[[bridges]]\nname = \"br0\"\n")),
        ("expect_unknown_host", "x.toml", format!("{BASE}[[expect]]\nfrom = \"a\"\nto = \"q\"\nreach = true\n")),
        ("expect_same_host", "x.toml", format!("{BASE}[[expect]]\nfrom = \"a\"\nto = \"a\"\nreach = true\n")),
        ("shape_rate_not_a_rate", "x.toml", format!("{BASE}shape = {{ rate = \"fast\" }}\n")),
        ("shape_loss_over_100", "x.toml", format!("{BASE}shape = {{ loss = 120 }}\n")),
        ("shape_delay_negative", "x.toml", format!("{BASE}shape = {{ delay = \"-1ms\" }}\n")),
        ("shape_end_jitter_without_delay", "x.toml", r("addrs = [\"10.0.0.2/24\"]", "addrs = [\"10.0.0.2/24\"], shape = { jitter = \"1ms\" }")),
        ("shape_unknown_key", "x.toml", format!("{BASE}shape = {{ bandwidth = \"10mbit\" }}\n")),
        ("service_empty_command", "x.toml", r("name = \"a\"", "name = \"a\"\n[[hosts.services]]\nname = \"web\"\ncommand = []")),
        ("service_name_with_dot", "x.toml", r("name = \"a\"", "name = \"a\"\n[[hosts.services]]\nname = \"w.b\"\ncommand = [\"true\"]")),
        ("service_twice", "x.toml", r("name = \"a\"", "name = \"a\"\n[[hosts.services]]\nname = \"w\"\ncommand = [\"true\"]\n[[hosts.services]]\nname = \"w\"\ncommand = [\"true\"]")),
        ("service_restart_bad", "x.toml", r("name = \"a\"", "name = \"a\"\n[[hosts.services]]\nname = \"w\"\ncommand = [\"true\"]\nrestart = \"always\"")),
        ("service_cwd_relative", "x.toml", r("name = \"a\"", "name = \"a\"\n[[hosts.services]]\nname = \"w\"\ncommand = [\"true\"]\ncwd = \"tmp\"")),
        ("service_env_bad_name", "x.toml", r("name = \"a\"", "name = \"a\"\n[[hosts.services]]\nname = \"w\"\ncommand = [\"true\"]\nenv = { \"A=B\" = \"1\" }")),
        ("service_ready_both", "x.toml", r("name = \"a\"", "name = \"a\"\n[[hosts.services]]\nname = \"w\"\ncommand = [\"true\"]\nready = { tcp = 80, command = [\"true\"] }")),
        ("service_ready_port_zero", "x.toml", r("name = \"a\"", "name = \"a\"\n[[hosts.services]]\nname = \"w\"\ncommand = [\"true\"]\nready = { tcp = 0 }")),
        ("service_ready_bad_addr", "x.toml", r("name = \"a\"", "name = \"a\"\n[[hosts.services]]\nname = \"w\"\ncommand = [\"true\"]\nready = { tcp = \"10.0.0.1\" }")),
        ("service_ready_timeout_negative", "x.toml", r("name = \"a\"", "name = \"a\"\n[[hosts.services]]\nname = \"w\"\ncommand = [\"true\"]\nready = { tcp = 80, timeout = -1 }")),
        ("service_after_unknown", "x.toml", r("name = \"a\"", "name = \"a\"\n[[hosts.services]]\nname = \"w\"\ncommand = [\"true\"]\nafter = [\"b.db\"]")),
        ("service_after_itself", "x.toml", r("name = \"a\"", "name = \"a\"\n[[hosts.services]]\nname = \"w\"\ncommand = [\"true\"]\nafter = [\"a.w\"]")),
        ("service_after_cycle", "x.toml", r("name = \"a\"", "name = \"a\"\n[[hosts.services]]\nname = \"w\"\ncommand = [\"true\"]\nafter = [\"b.db\"]").replacen("name = \"b\"", "name = \"b\"\n[[hosts.services]]\nname = \"db\"\ncommand = [\"true\"]\nafter = [\"a.w\"]", 1)),
        ("service_lab_named_uts", "x.toml", r("name = \"t\"", "name = \"uts\"").replacen("name = \"a\"", "name = \"a\"\n[[hosts.services]]\nname = \"w\"\ncommand = [\"true\"]", 1)),
        ("machine_without_machines", "x.toml", r("name = \"b\"", "name = \"b\"\nmachine = \"B\"")),
        ("vni_without_machines", "x.toml", format!("{BASE}vni = 5\n")),
        ("machine_unknown", "x.toml", format!("{}{MACHINES}", r("name = \"b\"", "name = \"b\"\nmachine = \"C\""))),
        ("machine_missing_no_local", "x.toml", format!("{BASE}{}", MACHINES.replace("ssh = \"local\"", "ssh = \"root@a\""))),
        ("machine_twice", "x.toml", format!("{BASE}{MACHINES}[[machines]]\nname = \"A\"\nssh = \"a\"\nunderlay = \"10.9.0.3\"\n")),
        ("machine_two_local", "x.toml", format!("{BASE}{}", MACHINES.replace("root@b", "local"))),
        ("machine_ssh_option", "x.toml", format!("{BASE}{}", MACHINES.replace("root@b", "-oProxyCommand=x"))),
        ("machine_underlay_bad", "x.toml", format!("{BASE}{}", MACHINES.replace("10.9.0.2", "10.9.0"))),
        ("machine_underlay_twice", "x.toml", format!("{BASE}{}", MACHINES.replace("10.9.0.2", "10.9.0.1"))),
        ("machine_mtu_too_small", "x.toml", format!("{BASE}{}", MACHINES.replace("underlay = \"10.9.0.2\"", "underlay = \"10.9.0.2\"\nmtu = 100"))),
        ("machine_missing_underlay", "x.toml", format!("{BASE}{}", MACHINES.replace("underlay = \"10.9.0.2\"\n", ""))),
        ("bridge_machine_not_its_hosts", "x.toml", format!("{spread}[[bridges]]\nname = \"br0\"\nhost = \"a\"\nmachine = \"B\"\n")),
        ("vni_on_a_local_link", "x.toml", format!("{BASE}vni = 7\n{MACHINES}")),
        ("vni_out_of_range", "x.toml", format!("{spread}vni = 16777216\n")),
        ("vni_twice", "x.toml", format!("{spread}vni = 9\n[[links]]\na = {{ host = \"a\", name = \"eth1\" }}\nb = {{ host = \"b\", name = \"eth1\" }}\nvni = 9\n")),
        ("cross_link_mtu_too_big", "x.toml", spread.replace("addrs = [\"10.0.0.2/24\"]", "addrs = [\"10.0.0.2/24\"], mtu = 1500")),
        ("cross_link_mtu_over_small_underlay", "x.toml", spread.replace("underlay = \"10.9.0.2\"", "underlay = \"10.9.0.2\"\nmtu = 1400").replace("addrs = [\"10.0.0.2/24\"]", "addrs = [\"10.0.0.2/24\"], mtu = 1400")),
        ("cross_link_shaped", "x.toml", format!("{spread}shape = {{ delay = \"1ms\" }}\n")),
        ("cross_lab_name_too_long", "x.toml", spread.replacen("name = \"t\"", "name = \"fourteen-bytes\"", 1)),
        ("host_named_like_transit", "x.toml", spread.replacen("name = \"t\"", "name = \"a\"", 1).replace("name = \"b\"\nmachine", "name = \"a-t\"\nmachine").replace("host = \"b\"", "host = \"a-t\"")),
        ("transit_in_a_lab_file", "x.toml", format!("{BASE}[transit]\nname = \"x\"\ntunnels = []\n")),
    ]
}

#[test]
fn every_kind_of_broken_lab_gets_a_one_line_error() {
    let mut report = String::new();
    for (case, file, text) in broken() {
        let err = Lab::parse(file, &text).and_then(|lab| lab.validate(file));
        let err = match err {
            Ok(()) => panic!("{case}: accepted"),
            Err(e) => e,
        };
        let line = err.to_string();
        assert_eq!(line.lines().count(), 1, "{case}: {line}");
        assert_eq!(err.exit_code(), 2, "{case}");
        assert!(line.starts_with(file), "{case}: {line}");
        report.push_str(&format!("{case}: {line}\n"));
    }
    common::insta_settings().bind(|| insta::assert_snapshot!("lab_errors", report));
}

#[test]
fn prefixed_names_that_grow_too_long_are_refused() {
    let lab = Lab::default_lab().with_prefix("abcdefghijkl-");
    let e = lab.validate("seed").unwrap_err().to_string();
    assert!(e.contains("longer than 15 bytes"), "{e}");
}
