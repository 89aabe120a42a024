//! Live differential test of `nslab ifconfig IFACE option|address …` against the real
//! net-tools 2.10 `ifconfig`: random sequences of configuration commands run through the real
//! tool in one namespace and through nslab in another with the same starting state; after
//! every command the exit code, stdout, stderr and the normalised kernel state must match.
//!
//! The seed is printed on failure; rerun with `IS_SEED=<seed>` (and `IS_ONLY=<sequence>` for
//! one sequence). `IS_SEQUENCES` sets how many sequences run (default 200).

mod common;

use common::Rng;

use common::{kernel_tests_allowed, Netns};
use serde_json::Value;
use std::process::Command;

const ADDRS: &[&str] = &[
    "10.0.0.1",
    "10.0.0.2",
    "10.0.0.3",
    "10.1.258",
    "0x0a000009",
    "012.0.0.1",
    "192.168.1.5",
    "172.16.0.1",
    "10.0.0.3/24",
    "10.0.0.4/32",
    "10.1.2.3/33",
    "10.0.0.5/16",
    "10.0.0.6/0x18",
    "default",
    "0.0.0.0",
    "0",
    "240.0.0.1",
    "224.0.0.1",
    "127.0.0.2",
    "loopback",
    "localhost",
    "10.0.0.1/30",
    "192.168.1.9/31",
    "10.0.0.77",
];
const BAD_ADDRS: &[&str] = &[
    "foo",
    "-x",
    "10.0.0.256",
    "1.2.3.4/abc",
    "a..b",
    "10.0.0.",
    "",
];
const MASKS: &[&str] = &[
    "255.255.255.0",
    "255.255.0.0",
    "255.0.0.0",
    "255.255.255.252",
    "255.0.255.0",
    "0xffffff00",
    "255.255.255.255",
    "0.0.0.0",
    "foo",
];
const PEERS: &[&str] = &[
    "5:00aabbccddee",
    "10.0.0.9",
    "10.9.9.9",
    "192.168.1.255",
    "0.0.0.0",
    "224.0.0.5",
    "default",
];
const MTUS: &[&str] = &[
    "1400", "1500", "9000", "70000", "abc", "-1", "68", "67", "1279", "1280",
];
const QLENS: &[&str] = &["100", "0x10", "abc", "-1", "0", "1000", "010"];
const MACS: &[&str] = &[
    // Short forms ("02:11:22:33:44") leave bytes that come from uninitialised memory in the
    // real tool; they are covered by the grammar's unit tests instead.
    "02:11:22:33:44:55",
    "02:11:22:33:44:55:66",
    "2:1:2:3:4:5",
    "021122334455",
    "zz:11",
    "01:00:00:00:00:01",
    "00:00:00:00:00:00",
    "02:00:00:00:00:01",
    "2:a:b:c:d:e:",
];
const ADDRS6: &[&str] = &[
    "2001:db8::1/64",
    "2001:db8::2",
    "2001:db8::zz",
    "fe80::5/64",
    "2001:db8::3/129",
    "2001:db8::1",
    "::1",
    "2001:db8::1/abc",
    "fd00::1/48",
];
const IFACES: &[&str] = &[
    "v0",
    "v0",
    "v0",
    "v0",
    "v0:0",
    "v0:1",
    "v0:2",
    "b0",
    "b0:1",
    "v1",
    "lo",
    "lo:1",
    "v0:1-",
    "nosuch",
    "v0:abc",
    "v0:256",
    "v0_is_a_long_name",
];

/// One random command line (the arguments after `ifconfig`).
fn gen_line(r: &mut Rng) -> Vec<String> {
    let mut w: Vec<String> = Vec::new();
    if r.chance(10) {
        // -v: the closing WARNING on errors, and the SIOCDIFADDR trace for IPv6 `del`.
        w.push("-v".into());
    }
    w.push(r.pick_str(IFACES).to_string());
    // An address family word now and then (ipx: a family without a socket here).
    let family = r
        .chance(10)
        .then(|| r.pick_str(&["inet", "inet6", "unix", "ddp", "ipx"]));
    if let Some(f) = family {
        w.push(f.to_string());
    }
    let n = 1 + r.below(3);
    for _ in 0..n {
        let k = r.below(16);
        match k {
            0 => w.push(
                r.pick_str(&[
                    "up",
                    "down",
                    "arp",
                    "-arp",
                    "promisc",
                    "-promisc",
                    "allmulti",
                    "-allmulti",
                    "multicast",
                    "-multicast",
                    "trailers",
                    "-trailers",
                    "dynamic",
                    "-dynamic",
                    "-broadcast",
                    "-pointopoint",
                ])
                .to_string(),
            ),
            1 => {
                w.push("mtu".into());
                w.push(r.pick_str(MTUS).into());
            }
            2 => {
                w.push("txqueuelen".into());
                w.push(r.pick_str(QLENS).into());
            }
            3 | 4 => w.push(r.pick_str(ADDRS).into()),
            5 => {
                w.push("netmask".into());
                w.push(r.pick_str(MASKS).into());
            }
            6 => {
                w.push(r.pick_str(&["broadcast", "pointopoint", "dstaddr"]).into());
                w.push(r.pick_str(PEERS).into());
            }
            7 => {
                w.push("hw".into());
                match r.below(10) {
                    0 => w.extend(["loop".to_string(), "1".to_string()]),
                    1 => w.extend(["foo".to_string(), "1".to_string()]),
                    2 => w.extend(["fddi".to_string(), "00:11:22:33:44:55".to_string()]),
                    _ => w.extend(["ether".to_string(), r.pick_str(MACS).to_string()]),
                }
            }
            8 | 9 => {
                w.push(r.pick_str(&["add", "del"]).into());
                if r.chance(40) {
                    w.push(r.pick_str(ADDRS6).into());
                } else {
                    w.push(
                        r.pick_str(&[
                            "10.0.0.1",
                            "10.0.0.7",
                            "10.0.0.8",
                            "192.168.1.5",
                            "foo",
                            "224.0.0.1",
                        ])
                        .into(),
                    );
                }
            }
            10 => {
                w.push("name".into());
                w.push(r.pick_str(&["v9", "v1", "a:b", "x%d", "v0"]).into());
            }
            11 => match r.below(7) {
                0 => w.extend(["irq".to_string(), "5".to_string()]),
                1 => w.extend(["media".to_string(), "10baseT".to_string()]),
                2 => w.extend(["media".to_string(), "auto".to_string()]),
                3 => w.extend(["keepalive".to_string(), "3".to_string()]),
                4 => w.extend(["tunnel".to_string(), "::1".to_string()]),
                5 => w.extend(["io_addr".to_string(), "0x300".to_string()]),
                _ => w.extend(["media".to_string(), "foo".to_string()]),
            },
            12 => {
                if r.chance(50) {
                    w.push(r.pick_str(BAD_ADDRS).into());
                } else {
                    w.push("broadcast".into());
                }
            }
            13 => {
                // A keyword missing its argument at the end of the line; `hw loop` then
                // makes ifconfig read the environment as further words.
                let k = r.pick_str(&["mtu", "netmask", "hw", "add", "name", "dstaddr", "hw loop"]);
                w.extend(k.split(' ').map(str::to_string));
            }
            _ => w.push(r.pick_str(&["up", "down"]).into()),
        }
    }
    w
}

/// One side of the comparison: a namespace with v0/v1 (veth), b0 (ifb), lo.
struct Side {
    ns: Netns,
}

impl Side {
    fn reset(&self) {
        // Renames may have happened: delete every device but lo, whatever its name.
        let links = common::run_ok("ip", &["-n", &self.ns.name, "-j", "link", "show"]);
        let links: Value = serde_json::from_str(&links).expect("ip -j link");
        let batch: String = links
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|l| Some((l["ifname"].as_str()?, l["link_type"].as_str()?)))
            .map(|(n, t)| match t {
                // lo cannot be deleted: give it back its name and defaults.
                "loopback" => format!(
                    "link set dev {n} down\nlink set dev {n} name lo\n\
                     link set dev lo mtu 65536 txqueuelen 1000 promisc off allmulticast off \
                     multicast off arp on dynamic off trailers on\n"
                ),
                _ => format!("link del dev {n}\n"),
            })
            .collect();
        let _ = Command::new("ip")
            .args(["-n", &self.ns.name, "-force", "-batch", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().expect("stdin").write_all(batch.as_bytes())?;
                c.wait()
            });
        let setup = "link add v0 address 02:00:00:00:00:01 type veth peer name v1 address 02:00:00:00:00:02\n\
                     link add b0 address 02:00:00:00:00:03 type ifb\n\
                     addr flush dev lo\n\
                     link set v1 up\n";
        let mut c = Command::new("ip")
            .args(["-n", &self.ns.name, "-batch", "-"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("spawn ip");
        {
            use std::io::Write;
            c.stdin
                .take()
                .expect("stdin")
                .write_all(setup.as_bytes())
                .expect("write");
        }
        assert!(
            c.wait().expect("wait").success(),
            "setting up {}",
            self.ns.name
        );
    }

    fn run(&self, program: &[&str], args: &[String]) -> (i32, String, String) {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.ns.name])
            .args(program)
            .args(args)
            // A fixed, small environment: a short `hw ether` address takes its missing bytes
            // from uninitialised stack memory in ifconfig, which the environment shifts.
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .output()
            .expect("spawn");
        let code = out.status.code().unwrap_or_else(|| {
            use std::os::unix::process::ExitStatusExt;
            128 + out.status.signal().unwrap_or(0)
        });
        (
            code,
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `ip -j -d addr`, normalised: no ifindex, counters, timers, operstate, lifetimes or
    /// DAD state; AUTOMEDIA dropped (`ip` cannot set it, see the report).
    fn state(&self) -> String {
        let out = common::run_ok("ip", &["-n", &self.ns.name, "-j", "-d", "addr", "show"]);
        let mut v: Value = serde_json::from_str(&out).expect("ip -j");
        let mut lines = Vec::new();
        for l in v.as_array_mut().expect("array") {
            let o = l.as_object_mut().expect("object");
            for k in [
                "ifindex",
                "link_index",
                "operstate",
                "stats64",
                "stats",
                "inet6_addr_gen_mode",
                "num_tx_queues",
                "num_rx_queues",
                "gso_max_size",
                "gso_max_segs",
                "tso_max_size",
                "tso_max_segs",
                "gro_max_size",
                "gso_ipv4_max_size",
                "gro_ipv4_max_size",
                "parentbus",
                "parentdev",
                "link_netnsid",
            ] {
                o.remove(k);
            }
            if let Some(li) = o.get_mut("linkinfo") {
                let kind = li.get("info_kind").cloned();
                *li = kind.unwrap_or(Value::Null);
            }
            if let Some(Value::Array(f)) = o.get_mut("flags") {
                // AUTOMEDIA: `ip` cannot set it. NO-CARRIER: follows operstate, which lags.
                f.retain(|x| x != "AUTOMEDIA" && x != "NO-CARRIER");
            }
            if let Some(Value::Array(addrs)) = o.get_mut("addr_info") {
                // Link-local addresses made from the MAC appear when the carrier comes up,
                // which lags by a variable time: not compared.
                addrs.retain(|a| {
                    !(a["family"] == "inet6"
                        && a["local"].as_str().is_some_and(|l| l.contains("ff:fe")))
                });
                for a in addrs.iter_mut() {
                    let a = a.as_object_mut().expect("addr");
                    for k in [
                        "valid_life_time",
                        "preferred_life_time",
                        "tentative",
                        "dadfailed",
                    ] {
                        a.remove(k);
                    }
                }
            }
            lines.push(l.to_string());
        }
        lines.join("\n")
    }
}

/// Run the given sequences on one pair of namespaces; returns the failures and how many
/// command lines ran.
fn run_sequences(
    a: &Side,
    b: &Side,
    real: &str,
    nslab: &str,
    seed: u64,
    which: impl Iterator<Item = usize>,
) -> (Vec<String>, usize) {
    let mut failures = Vec::new();
    let mut lines_run = 0;
    for s in which {
        let seq_seed = seed
            .wrapping_add(s as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            | 1;
        let mut r = Rng(seq_seed);
        std::thread::scope(|t| {
            t.spawn(|| a.reset());
            t.spawn(|| b.reset());
        });
        let n = 3 + r.below(5);
        let mut history: Vec<String> = Vec::new();
        for _ in 0..n {
            let line = gen_line(&mut r);
            history.push(line.join(" "));
            lines_run += 1;
            let ((want, sa), (got, sb)) = std::thread::scope(|t| {
                let ha = t.spawn(|| (a.run(&[real], &line), a.state()));
                let hb = t.spawn(|| (b.run(&[nslab, "ifconfig"], &line), b.state()));
                (
                    ha.join().expect("real side"),
                    hb.join().expect("nslab side"),
                )
            });
            if want != got || sa != sb {
                let mut msg = format!(
                    "sequence {s}:\n  ifconfig {}\n",
                    history.join("\n  ifconfig ")
                );
                if want != got {
                    msg.push_str(&format!("  real:  {want:?}\n  nslab: {got:?}\n"));
                }
                if sa != sb {
                    msg.push_str(&format!("  real state:\n{sa}\n  nslab state:\n{sb}\n"));
                }
                failures.push(msg);
                break;
            }
        }
        if failures.len() >= 3 {
            break;
        }
    }
    (failures, lines_run)
}

#[test]
fn random_change_sequences_match_the_real_ifconfig() {
    if !kernel_tests_allowed() {
        return;
    }
    let real = &common::real_tool("ifconfig");
    let seed = common::seed_from_env("IS_SEED");
    let sequences: usize = std::env::var("IS_SEQUENCES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let only: Option<usize> = std::env::var("IS_ONLY").ok().and_then(|s| s.parse().ok());
    // Several namespace pairs work at once: most of the time goes to waiting for the
    // kernel (device deletion, RCU), not to the CPU.
    let workers = 4;
    let pairs: Vec<(Side, Side)> = (0..workers)
        .map(|_| {
            (
                Side {
                    ns: Netns::new("is"),
                },
                Side {
                    ns: Netns::new("is"),
                },
            )
        })
        .collect();
    let nslab = env!("CARGO_BIN_EXE_nslab");
    let results: Vec<(Vec<String>, usize)> = std::thread::scope(|t| {
        let handles: Vec<_> = pairs
            .iter()
            .enumerate()
            .map(|(w, (a, b))| {
                t.spawn(move || {
                    let mine = (0..sequences)
                        .filter(|s| s % workers == w)
                        .filter(|s| only.is_none_or(|o| o == *s));
                    run_sequences(a, b, real, nslab, seed, mine)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker"))
            .collect()
    });
    let lines_run: usize = results.iter().map(|r| r.1).sum();
    let failures: Vec<String> = results.into_iter().flat_map(|r| r.0).collect();
    assert!(
        failures.is_empty(),
        "{} of {sequences} sequences differ; rerun one with IS_SEED={seed} IS_ONLY=<sequence>:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{sequences} sequences, {lines_run} commands matched (base seed {seed})");
}

#[test]
fn without_net_admin_changes_fail_like_the_real_ifconfig() {
    if !kernel_tests_allowed() {
        return;
    }
    let real = &common::real_tool("ifconfig");
    let a = Side {
        ns: Netns::new("is"),
    };
    let b = Side {
        ns: Netns::new("is"),
    };
    a.reset();
    b.reset();
    let nslab = env!("CARGO_BIN_EXE_nslab");
    // setpriv (util-linux) drops CAP_NET_ADMIN from the bounding set before `ip netns exec`.
    let drop = [
        "setpriv",
        "--bounding-set=-net_admin",
        "ip",
        "netns",
        "exec",
    ];
    let lines = [
        "v0 mtu 1400",
        "v0 10.0.0.5",
        "nosuch irq 3 mtu 5 netmask 255.0.255.0 up",
        "v0 irq 3 keepalive 1 add ::1 tunnel ::1 hw ether 02:00:00:00:00:05 name x",
        "v0 add 10.9.9.9 del 2001::1 -promisc down",
        "v0:1 up",
        "v0 txqueuelen 5 hw fddi 00:11:22:33:44:55 media bnc broadcast 1.2.3.4",
        "v0 ipx up",
    ];
    let before = a.state();
    for line in lines {
        let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        let run = |side: &Side, prog: &[&str]| {
            let out = Command::new(drop[0])
                .args(&drop[1..])
                .arg(&side.ns.name)
                .args(prog)
                .args(&words)
                .env_clear()
                .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
                .output()
                .expect("spawn setpriv");
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        let want = run(&a, &[real]);
        assert!(
            want.2.contains("Operation not permitted") || want.2.contains("Bad file descriptor"),
            "the real tool did run unprivileged: {want:?}"
        );
        assert_eq!(run(&b, &[nslab, "ifconfig"]), want, "ifconfig {line}");
    }
    assert_eq!(a.state(), before, "the real tool changed nothing");
    assert_eq!(b.state(), before, "nslab changed nothing");
}
