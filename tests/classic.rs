//! The classic net-tools 1.60 dialect as an installation uses it: `nslab compat install
//! --dialect classic` (kept, shown by `compat status`, overridden by `NSLAB_NETTOOLS`), and a
//! legacy script that parses the classic output, run unmodified in a namespace where only
//! nslab's links answer to the net-tools names. The byte-exact offline checks against the
//! classic build's recordings are in `tests/ifconfig.rs` and `tests/route_arp.rs`.

mod common;

use common::{kernel_tests_allowed, Netns, TempDir};
use std::process::{Command, Output};

const NSLAB: &str = env!("CARGO_BIN_EXE_nslab");
const CLASSIC_VERSION: &str = "net-tools 1.60\nifconfig 1.42 (2001-04-13)\n";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Run `program ARGS` with PATH=`path` and NSLAB_NETTOOLS set to `env` (or removed).
fn run(program: &str, args: &[&str], path: &str, env: Option<&str>) -> Output {
    let mut c = Command::new(program);
    c.args(args).env("PATH", path);
    match env {
        Some(v) => c.env("NSLAB_NETTOOLS", v),
        None => c.env_remove("NSLAB_NETTOOLS"),
    };
    c.output().expect("spawn")
}

fn assert_classic_version(out: &Output, how: &str) {
    assert_eq!(
        (text(&out.stdout), text(&out.stderr), out.status.code()),
        (String::new(), CLASSIC_VERSION.to_string(), Some(0)),
        "{how}"
    );
}

fn assert_modern_version(out: &Output, how: &str) {
    assert_eq!(text(&out.stdout), "net-tools 2.10\n", "{how}");
    assert_eq!(out.status.code(), Some(0), "{how}");
}

#[test]
fn install_with_the_classic_dialect_is_kept_shown_and_overridden() {
    let dir = TempDir::new("clin");
    let d = dir.0.to_string_lossy().to_string();
    let link = dir.0.join("ifconfig").to_string_lossy().to_string();
    let out = run(
        NSLAB,
        &["compat", "install", "--dialect", "classic", &d],
        &d,
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("dialect classic (net-tools 1.60)"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        std::fs::read_to_string(dir.0.join(".nslab-nettools")).unwrap(),
        "1.60\n"
    );
    let status = text(&run(NSLAB, &["compat", "status"], &d, None).stdout);
    assert!(
        status.contains(&format!("ifconfig: {link} -> nslab"))
            && status.contains("dialect classic (net-tools 1.60)"),
        "{status}"
    );
    // Through the link, by path and by PATH lookup (argv[0] is then the bare name).
    assert_classic_version(&run(&link, &["-V"], &d, None), "link by path");
    assert_classic_version(&run("ifconfig", &["-V"], &d, None), "link found on PATH");
    // The variable wins over the installation, both ways.
    assert_modern_version(
        &run(&link, &["-V"], &d, Some("2.10")),
        "NSLAB_NETTOOLS=2.10",
    );
    assert_modern_version(&run(NSLAB, &["ifconfig", "-V"], &d, None), "nslab ifconfig");
    assert_classic_version(
        &run(NSLAB, &["ifconfig", "-V"], &d, Some("1.60")),
        "nslab ifconfig with NSLAB_NETTOOLS=1.60",
    );
    let status = text(&run(NSLAB, &["compat", "status"], &d, Some("2.10")).stdout);
    assert!(status.contains("NSLAB_NETTOOLS=2.10 is set"), "{status}");
    // A bad value is refused with one line naming it.
    let bad = run(&link, &["-V"], &d, Some("1.6"));
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stdout.is_empty());
    let err = text(&bad.stderr);
    assert!(
        err.contains("NSLAB_NETTOOLS=1.6") && err.lines().count() == 1,
        "{err}"
    );
    let bad = run(
        NSLAB,
        &["compat", "install", "--dialect", "old", &d],
        &d,
        None,
    );
    assert_eq!(bad.status.code(), Some(2));
    // Installing again without --dialect goes back to 2.10.
    assert!(run(NSLAB, &["compat", "install", &d], &d, None)
        .status
        .success());
    assert!(!dir.0.join(".nslab-nettools").exists());
    assert_modern_version(&run(&link, &["-V"], &d, None), "reinstalled as modern");
    // Uninstall removes the dialect file with the links.
    assert!(run(
        NSLAB,
        &["compat", "install", "--dialect", "1.60", &d],
        &d,
        None
    )
    .status
    .success());
    assert!(run(NSLAB, &["compat", "uninstall", &d], &d, None)
        .status
        .success());
    assert!(std::fs::read_dir(&dir.0).unwrap().next().is_none());
}

/// The kernel's view of one IPv4 address: (address, netmask, broadcast) of `label` on `dev`.
fn kernel_inet(ns: &Netns, dev: &str, label: &str) -> (String, String, String) {
    let v: serde_json::Value =
        serde_json::from_str(&ns.ip(&["-j", "-4", "addr", "show", "dev", dev])).unwrap();
    let a = v[0]["addr_info"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["label"] == label)
        .unwrap_or_else(|| panic!("no address labelled {label}: {v}"));
    let plen = a["prefixlen"].as_u64().unwrap() as u32;
    let mask = std::net::Ipv4Addr::from(u32::MAX.checked_shl(32 - plen).unwrap_or(0));
    (
        a["local"].as_str().unwrap().to_string(),
        mask.to_string(),
        a["broadcast"].as_str().unwrap_or("").to_string(),
    )
}

/// What the classic build printed and returned for one recorded case (stderr then `rc=N`,
/// as the script below prints a failing command).
fn recorded_failure(tool: &str, case: &str) -> String {
    let dir = format!(
        "{}/compat/classic/{tool}/{case}",
        env!("CARGO_MANIFEST_DIR")
    );
    let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}")).unwrap();
    format!("{}rc={}", read("stderr"), read("status").trim())
}

/// A CentOS 6 era script, unmodified: it configures with `ifconfig`, `route` and `arp` and
/// reads the values back by parsing the classic output (`grep 'inet addr:' | cut -d: -f2 |
/// awk '{print $1}'`, `route -n | awk '$1=="0.0.0.0"{print $2}'`, `arp -an | grep` and
/// friends). Only nslab's links (installed with `--dialect classic`) answer to `ifconfig`,
/// `route` and `arp`; the values it prints must be the kernel's, what it sets must be what it
/// asked for, and its failing commands print what the classic build printed (its recordings).
#[test]
fn a_classic_script_parses_what_the_kernel_has() {
    if !kernel_tests_allowed() {
        return;
    }
    let bin = TempDir::new("clbn");
    let tools = TempDir::new("cltl");
    let b = bin.0.to_string_lossy().to_string();
    let out = Command::new(NSLAB)
        .args(["compat", "install", "--dialect", "classic", &b])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    for tool in ["ip", "grep", "cut", "awk", "sed"] {
        std::os::unix::fs::symlink(common::real_tool(tool), tools.0.join(tool)).unwrap();
    }
    let path = format!("{b}:{}", tools.0.display());
    // Only nslab's links answer to the net-tools names.
    let found = Command::new("/bin/sh")
        .args([
            "-c",
            "command -v ifconfig; command -v route; command -v arp; true",
        ])
        .env_clear()
        .env("PATH", &path)
        .output()
        .unwrap();
    assert_eq!(
        text(&found.stdout),
        format!("{b}/ifconfig\n{b}/route\n{b}/arp\n")
    );

    let ns = Netns::new("cl");
    ns.ip(&[
        "link", "add", "veth0", "type", "veth", "peer", "name", "veth1",
    ]);
    let script = r#"
ifconfig lo up
ifconfig veth1 up
ifconfig veth0 10.0.0.1 netmask 255.255.255.0 up
ifconfig veth0:1 192.168.7.9 netmask 255.255.0.0 up
ifconfig veth0 mtu 1400
IP=$(ifconfig veth0 | grep 'inet addr:' | cut -d: -f2 | awk '{print $1}')
echo "ip=$IP"
echo "alias=$(ifconfig veth0:1 | grep 'inet addr:' | cut -d: -f2 | awk '{ print $1 }')"
echo "mask=$(ifconfig veth0 | grep 'Mask:' | sed 's/.*Mask://')"
echo "bcast=$(ifconfig veth0 | sed -n 's/.*Bcast:\([0-9.]*\) .*/\1/p')"
echo "mac=$(ifconfig veth0 | grep HWaddr | awk '{print $5}')"
echo "mtu=$(ifconfig veth0 | grep MTU | sed 's/.*MTU:\([0-9]*\) .*/\1/')"
echo "lo=$(ifconfig lo | awk '/inet addr/ {split($2, a, ":"); print a[2]}')"
echo "up=$(ifconfig | grep -c 'Link encap:')"
route add default gw 10.0.0.2
route add -net 10.1.0.0 netmask 255.255.0.0 gw 10.0.0.254 dev veth0
echo "gw=$(route -n | awk '$1=="0.0.0.0"{print $2}')"
echo "net=$(route -n | awk '$1=="10.1.0.0"{print $2, $3, $4, $8}')"
echo "dflt=$(route | awk '$1=="default"{print $2}')"
echo "del=$(route del -net 10.99.0.0 netmask 255.255.0.0 2>&1 || echo "rc=$?")"
arp -s 10.0.0.7 aa:bb:cc:dd:ee:07
echo "arp=$(arp -n | grep '^10.0.0.7 ' | awk '{print $2, $3, $4}')"
echo "arpa=$(arp -an | grep '(10.0.0.7)' | awk '{print $4, $6, $8}')"
echo "arpd=$(arp -d 10.0.0.99 2>&1 || echo "rc=$?")"
"#;
    let out = Command::new("ip")
        .args(["netns", "exec", &ns.name, "/bin/sh", "-ec", script])
        .env_clear()
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "script failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let (ip, mask, bcast) = kernel_inet(&ns, "veth0", "veth0");
    let (alias, _, _) = kernel_inet(&ns, "veth0", "veth0:1");
    let (lo, _, _) = kernel_inet(&ns, "lo", "lo");
    let link: serde_json::Value =
        serde_json::from_str(&ns.ip(&["-j", "link", "show", "dev", "veth0"])).unwrap();
    let mac = link[0]["address"].as_str().unwrap().to_uppercase();
    let mtu = link[0]["mtu"].as_u64().unwrap();
    // The kernel's routes and neighbour, read with `ip -j`.
    let routes: serde_json::Value =
        serde_json::from_str(&ns.ip(&["-j", "-4", "route", "show"])).unwrap();
    let route = |dst: &str| {
        routes
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["dst"] == dst)
            .unwrap_or_else(|| panic!("no route {dst}: {routes}"))
            .clone()
    };
    let (dflt, net) = (route("default"), route("10.1.0.0/16"));
    let gw = dflt["gateway"].as_str().unwrap().to_string();
    let net_gw = net["gateway"].as_str().unwrap();
    let net_dev = net["dev"].as_str().unwrap();
    let neigh: serde_json::Value =
        serde_json::from_str(&ns.ip(&["-j", "neigh", "show", "10.0.0.7"])).unwrap();
    let lladdr = neigh[0]["lladdr"].as_str().unwrap().to_string();
    // lo, veth0, veth0:1, veth1 are up.
    let want = format!(
        "ip={ip}\nalias={alias}\nmask={mask}\nbcast={bcast}\nmac={mac}\nmtu={mtu}\nlo={lo}\nup=4\n\
         gw={gw}\nnet={net_gw} 255.255.0.0 UG {net_dev}\ndflt={gw}\ndel={}\n\
         arp=ether {lladdr} CM\narpa={lladdr} PERM {}\narpd={}\n",
        recorded_failure("route", "del-missing"),
        neigh[0]["dev"].as_str().unwrap(),
        recorded_failure("arp", "d-missing"),
    );
    assert_eq!(text(&out.stdout), want, "stderr: {}", text(&out.stderr));
    // What the script set is what it asked for.
    assert_eq!(
        (gw.as_str(), net_gw, net_dev, lladdr.as_str()),
        ("10.0.0.2", "10.0.0.254", "veth0", "aa:bb:cc:dd:ee:07")
    );
    assert_eq!(neigh[0]["state"][0], "PERMANENT", "{neigh}");
    assert_eq!(
        (
            ip.as_str(),
            mask.as_str(),
            bcast.as_str(),
            alias.as_str(),
            mtu
        ),
        (
            "10.0.0.1",
            "255.255.255.0",
            "10.0.0.255",
            "192.168.7.9",
            1400
        )
    );
}
