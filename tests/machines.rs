//! Labs spread over machines, on simulated machines: `labs/two-machines.sh` makes each
//! machine a network namespace with its own mount namespace (its own /run/netns, /run/nslab
//! and /etc/netns) joined by an underlay, and an ssh stand-in that nslab is pointed at with
//! NSLAB_SSH. The driving nslab keeps its record in a temporary NSLAB_STATE_DIR (never
//! passed to the machines: the stand-in clears the environment, as ssh does). Every test
//! checks that nothing is left on any machine, then ends the machines (a Drop guard).

mod common;

use common::{kernel_tests_allowed, nslab, unique};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/labs/two-machines.sh");
const LAB: &str = include_str!("../labs/two-machines.toml");

/// Simulated machines (and the driver's state directory), ended when dropped.
struct Sim {
    dir: PathBuf,
    state: PathBuf,
    machines: Vec<String>,
}

impl Sim {
    fn up(machines: &[&str]) -> Sim {
        let dir = std::env::temp_dir().join(unique("sim"));
        let state = std::env::temp_dir().join(unique("drv"));
        let sim = Sim {
            dir,
            state,
            machines: machines.iter().map(|m| m.to_string()).collect(),
        };
        let out = sim.script("up");
        assert!(
            out.status.success(),
            "two-machines.sh up: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("export NSLAB_SSH={}", sim.ssh())
        );
        sim
    }

    fn script(&self, verb: &str) -> Output {
        Command::new("sh")
            .arg(SCRIPT)
            .arg(verb)
            .env("NSLAB_SIM_DIR", &self.dir)
            .env("NSLAB_SIM_MACHINES", self.machines.join(" "))
            .output()
            .expect("run two-machines.sh")
    }

    fn ssh(&self) -> String {
        self.dir.join("ssh").display().to_string()
    }

    /// Run a shell command inside a machine (through the stand-in); its stdout.
    fn on(&self, machine: &str, command: &str) -> String {
        let out = Command::new(self.ssh())
            .args(["-o", "BatchMode=yes", machine, command])
            .output()
            .expect("run the ssh stand-in");
        assert!(
            out.status.success(),
            "{machine}: {command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// nslab driving these machines.
    fn nslab(&self, args: &[&str]) -> Output {
        nslab()
            .args(args)
            .env("NSLAB_SSH", self.ssh())
            .env("NSLAB_STATE_DIR", &self.state)
            .output()
            .expect("run nslab")
    }

    /// Nothing of any lab on any machine: no named namespace, no state file or UTS namespace
    /// file, no /etc/netns
    /// file, no device but `lo` and the underlay `u0` in its root namespace, no VXLAN socket
    /// (the kernel closes it just after the last device goes: waited for, at most 2 s). And
    /// no record left with the driver.
    fn assert_clean(&self) {
        for m in &self.machines {
            assert_eq!(self.on(m, "ip netns list"), "", "{m}: namespaces left");
            assert_eq!(
                // The lock and the (empty) directory of UTS namespaces stay, as on any box.
                self.on(
                    m,
                    "find /run/nslab -mindepth 1 ! -path /run/nslab/lock ! -path /run/nslab/uts 2>/dev/null || true"
                ),
                "",
                "{m}: state left"
            );
            assert_eq!(self.on(m, "ls -A /etc/netns"), "", "{m}: /etc/netns left");
            let links = self.on(m, "ip -br link | cut -d' ' -f1 | cut -d@ -f1");
            assert_eq!(
                links.split_whitespace().collect::<Vec<_>>(),
                ["lo", "u0"],
                "{m}: devices left"
            );
            let start = Instant::now();
            let vxlan_port = ":12B5 "; // 4789 in /proc/net/udp's hex
            while self.on(m, "cat /proc/net/udp").contains(vxlan_port) {
                assert!(
                    start.elapsed() < Duration::from_secs(2),
                    "{m}: the VXLAN socket is still open"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let records = self.state.join("machines");
        assert!(!records.exists(), "the driver's record is left");
        let left: Vec<_> = std::fs::read_dir(&self.state)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|f| f.ends_with(".json"))
            .collect();
        assert!(left.is_empty(), "the driver has lab states: {left:?}");
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let out = self.script("down");
        if !out.status.success() {
            eprintln!(
                "two-machines.sh down: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let _ = std::fs::remove_dir_all(&self.state);
    }
}

/// The example lab under a name unique to the run, run with this build of nslab on every
/// machine, written to a file in the driver's state directory.
fn example_lab(sim: &Sim, edit: impl Fn(String) -> String) -> (String, String) {
    let name = unique("tm");
    let bin = env!("CARGO_BIN_EXE_nslab");
    let text = LAB
        .replace("name = \"seed2\"", &format!("name = \"{name}\""))
        .replace(
            "\nunderlay = ",
            &format!("\nnslab = \"{bin}\"\nunderlay = "),
        );
    std::fs::create_dir_all(&sim.state).unwrap();
    let path = sim.state.join(format!("{name}.toml"));
    std::fs::write(&path, edit(text)).unwrap();
    (name, path.display().to_string())
}

/// The example lab with machine B's `nslab` replaced by `path`.
fn nslab_of_b(text: &str, path: &str) -> String {
    let at = text.find("name = \"B\"").unwrap();
    let (head, tail) = text.split_at(at);
    format!(
        "{head}{}",
        tail.replacen(env!("CARGO_BIN_EXE_nslab"), path, 1)
    )
}

fn ok(out: &Output) -> String {
    common::succeeded(out)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn two_machine_default_lab_checks_12_of_12_and_down_leaves_nothing() {
    if !kernel_tests_allowed() {
        return;
    }
    let sim = Sim::up(&["A", "B"]);
    let (name, file) = example_lab(&sim, |t| t);
    let started = Instant::now();
    ok(&sim.nslab(&["up", &file]));
    let up = started.elapsed();
    // The parts are where the file puts them; the cross links got VXLAN's MTU.
    let spaces = |m: &str| {
        let mut v: Vec<String> = sim
            .on(m, "ip netns list")
            .lines()
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .collect();
        v.sort();
        v
    };
    assert_eq!(spaces("A"), ["ns1", "ns2", &format!("{name}-t")]);
    assert_eq!(spaces("B"), ["ns3", "ns4", &format!("{name}-t")]);
    assert!(sim
        .on("B", "ip -n ns3 -br link show veth0")
        .contains("veth0@"));
    assert!(sim
        .on("B", "ip -n ns3 link show veth0")
        .contains("mtu 1450"));
    let vx = sim.on("B", &format!("ip -n {name}-t -d link show type vxlan"));
    assert_eq!(vx.matches("vxlan id").count(), 2, "{vx}");
    assert!(vx.contains("remote 10.251.0.1 local 10.251.0.2"), "{vx}");
    // The hosts of the other machine are in each host's /etc/hosts.
    let hosts = sim.on("B", "cat /etc/netns/ns3/hosts");
    assert!(
        hosts.contains("10.0.0.1\tns1") && hosts.contains("10.0.0.3\tns3"),
        "{hosts}"
    );

    let started = Instant::now();
    let report = ok(&sim.nslab(&["check", &name, "--json"]));
    let check = started.elapsed();
    let v: serde_json::Value = serde_json::from_str(&report).unwrap();
    let pairs = v["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 12, "{report}");
    assert!(
        pairs
            .iter()
            .all(|p| p["reached"] == true && p["expected"] == true),
        "{report}"
    );
    assert_eq!(v["ok"], true);
    let text = ok(&sim.nslab(&["check", &name]));
    assert!(
        text.contains("12/12 pairs reach; 12/12 as expected"),
        "{text}"
    );

    let status = ok(&sim.nslab(&["status"]));
    assert!(
        status.contains(&format!(
            "{name}  over machines: A: 2/2 hosts present, B: 2/2 hosts present"
        )),
        "{status}"
    );
    // `show` gives each machine's hosts as that machine sees them.
    let shown = ok(&sim.nslab(&["show", &name, "--json"]));
    let v: serde_json::Value = serde_json::from_str(&shown).unwrap();
    let per: Vec<(String, Vec<String>)> = v["machines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let names = m["namespaces"].as_array().unwrap().iter();
            (
                m["machine"].as_str().unwrap().to_string(),
                names
                    .map(|n| n["name"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        per,
        [
            ("A".to_string(), vec!["ns1".to_string(), "ns2".to_string()]),
            ("B".to_string(), vec!["ns3".to_string(), "ns4".to_string()])
        ],
        "{shown}"
    );
    let text = ok(&sim.nslab(&["show", &name]));
    assert!(
        text.starts_with("# machine A\n") && text.contains("\n# machine B\n"),
        "{text}"
    );
    // A second `up` of the same lab is refused before anything changes.
    let again = sim.nslab(&["up", &file]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("is already up"),
        "{}",
        stderr(&again)
    );

    let started = Instant::now();
    ok(&sim.nslab(&["down", &name]));
    let down = started.elapsed();
    eprintln!("two machines: up {up:?}, check {check:?}, down {down:?}");
    sim.assert_clean();
    // `down` of a lab that is no longer up is not an error.
    ok(&sim.nslab(&["down", &name]));
}

#[test]
fn a_machine_failing_late_in_up_rolls_back_every_machine() {
    if !kernel_tests_allowed() {
        return;
    }
    let sim = Sim::up(&["A", "B"]);
    // ns3 (on B) runs a command that fails half a second after B's network is up, by
    // which time A has built its part: both must be gone afterwards.
    let (name, file) = example_lab(&sim, |t| {
        t.replace(
            "name = \"ns3\"\nmachine = \"B\"",
            "name = \"ns3\"\nmachine = \"B\"\nexec = [[\"sh\", \"-c\", \"sleep 0.5; exit 3\"]]",
        )
    });
    let out = sim.nslab(&["up", &file]);
    assert!(!out.status.success(), "up succeeded");
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("machine `B`"), "{err}");
    assert!(err.contains("exit status 3"), "{err}");
    sim.assert_clean();
    let status = ok(&sim.nslab(&["status"]));
    assert!(!status.contains(&name), "{status}");
}

#[test]
fn a_machine_refusing_early_rolls_back_the_other() {
    if !kernel_tests_allowed() {
        return;
    }
    let sim = Sim::up(&["A", "B"]);
    let (_, file) = example_lab(&sim, |t| t);
    // B already has a VXLAN device with the lab's first VNI: B's root batch fails there.
    let dry = ok(&sim.nslab(&["up", &file, "--dry-run"]));
    let b = &dry[dry.find("# machine B").unwrap()..];
    let vni = b
        .split("type vxlan id ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap();
    sim.on(
        "B",
        &format!("ip link add vxc type vxlan id {vni} dstport 4789"),
    );
    let out = sim.nslab(&["up", &file]);
    sim.on("B", "ip link del vxc");
    assert!(!out.status.success(), "up succeeded");
    let err = stderr(&out);
    assert!(err.starts_with("nslab: machine `B`: "), "{err}");
    assert!(err.contains("vxlan"), "{err}");
    sim.assert_clean();
}

#[test]
fn a_missing_ssh_or_remote_nslab_is_one_line_naming_the_machine() {
    if !kernel_tests_allowed() {
        return;
    }
    let sim = Sim::up(&["A", "B"]);
    // Only B's nslab is missing; A's part is built, then taken down again.
    let (_, file) = example_lab(&sim, |t| nslab_of_b(&t, "/nonexistent/nslab"));
    let out = sim.nslab(&["up", &file]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("machine `B`: `/nonexistent/nslab` not found on the machine"),
        "{err}"
    );
    sim.assert_clean();

    let (_, file) = example_lab(&sim, |t| t);
    let out = nslab()
        .args(["up", &file])
        .env("NSLAB_SSH", "/nonexistent/ssh")
        .env("NSLAB_STATE_DIR", &sim.state)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("machine `A`: `/nonexistent/ssh` not found here"),
        "{err}"
    );
    sim.assert_clean();
}

/// A routed lab over `machines`: on each machine a router (`rA`…) with a /30 to each of
/// `per` hosts (their default route); the first machine's router is linked to every other
/// router by a cross-machine link (a /30 each) and routes to their /16s; the others route by
/// default to it. Each host needs one neighbour entry (its router), each router one per
/// link: the kernel's neighbour table, which all the simulated machines share and which
/// nslab cannot raise from inside one, is not the limit (a flat /16 of 200 hosts needs
/// 39,800 entries).
fn routed_lab(name: &str, machines: &[&str], per: usize) -> String {
    let bin = env!("CARGO_BIN_EXE_nslab");
    let mut t = format!("name = \"{name}\"\n");
    for (k, m) in machines.iter().enumerate() {
        t += &format!(
            "[[machines]]\nname = \"{m}\"\nssh = \"{m}\"\nunderlay = \"10.251.0.{}\"\nnslab = \"{bin}\"\n",
            k + 1
        );
    }
    let hub = machines[0];
    for (k, m) in machines.iter().enumerate() {
        let net = 10 + k;
        let routes = if k == 0 {
            (1..machines.len())
                .map(|j| {
                    format!(
                        "{{ to = \"10.{}.0.0/16\", via = \"10.255.{j}.2\" }}",
                        10 + j
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            format!("{{ to = \"default\", via = \"10.255.{k}.1\" }}")
        };
        t += &format!(
            "[[hosts]]\nname = \"r{m}\"\nmachine = \"{m}\"\nsysctl = {{ \"net.ipv4.ip_forward\" = 1 }}\nroutes = [{routes}]\n"
        );
        for j in 0..per {
            t += &format!(
                "[[hosts]]\nname = \"h{m}{j}\"\nmachine = \"{m}\"\nroutes = [{{ to = \"default\", via = \"10.{net}.{j}.2\" }}]\n\
                 [[links]]\na = {{ host = \"h{m}{j}\", name = \"eth0\", addrs = [\"10.{net}.{j}.1/30\"] }}\n\
                 b = {{ host = \"r{m}\", name = \"h{j}\", addrs = [\"10.{net}.{j}.2/30\"] }}\n"
            );
        }
        if k > 0 {
            t += &format!(
                "[[links]]\na = {{ host = \"r{hub}\", name = \"to{m}\", addrs = [\"10.255.{k}.1/30\"] }}\n\
                 b = {{ host = \"r{m}\", name = \"to{hub}\", addrs = [\"10.255.{k}.2/30\"] }}\n"
            );
        }
    }
    t
}

#[test]
fn a_200_host_lab_over_4_machines_checks_fully() {
    if !kernel_tests_allowed() {
        return;
    }
    let machines = ["A", "B", "C", "D"];
    let sim = Sim::up(&machines);
    let name = unique("big");
    std::fs::create_dir_all(&sim.state).unwrap();
    let file = sim.state.join(format!("{name}.toml"));
    std::fs::write(&file, routed_lab(&name, &machines, 49)).unwrap();
    let file = file.display().to_string();

    let started = Instant::now();
    ok(&sim.nslab(&["up", &file]));
    let up = started.elapsed();
    let started = Instant::now();
    // Three hops and two tunnels on a loaded box: answers are given 3 s.
    let check = sim.nslab(&["check", &name, "--json", "--timeout", "3000"]);
    let check_time = started.elapsed();
    let started = Instant::now();
    let down = sim.nslab(&["down", &name]);
    let down_time = started.elapsed();
    let report = ok(&check);
    ok(&down);
    let v: serde_json::Value = serde_json::from_str(&report).unwrap();
    let hosts = v["hosts"].as_array().unwrap().len();
    let pairs = v["pairs"].as_array().unwrap();
    assert_eq!(hosts, 200);
    assert_eq!(pairs.len(), 200 * 199);
    let good = pairs
        .iter()
        .filter(|p| p["reached"] == true && p["expected"] == true)
        .count();
    assert_eq!(good, pairs.len(), "pairs not reached as expected");
    eprintln!(
        "200 hosts over 4 machines: up {up:?}, check {check_time:?} ({} pairs), down {down_time:?}",
        pairs.len()
    );
    sim.assert_clean();
}

#[test]
fn a_machine_whose_nslab_is_killed_mid_up_is_cleaned_from_its_state() {
    if !kernel_tests_allowed() {
        return;
    }
    let sim = Sim::up(&["A", "B"]);
    // B's nslab is killed (SIGKILL) 0.3 s into `up`: by then B's network is built and `up`
    // waits for ns3's command, which keeps running (in ns3) after nslab dies.
    std::fs::create_dir_all(&sim.state).unwrap();
    let killer = sim.state.join("killed-nslab");
    let bin = env!("CARGO_BIN_EXE_nslab");
    std::fs::write(
        &killer,
        format!(
            "#!/bin/sh\nif [ \"$1\" = up ]; then exec timeout -s KILL 0.3 {bin} \"$@\"; fi\nexec {bin} \"$@\"\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&killer, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let marker = format!("{}.5", 30 + std::process::id() % 1000);
    let (_, file) = example_lab(&sim, |t| {
        nslab_of_b(&t, &killer.display().to_string()).replace(
            "name = \"ns3\"\nmachine = \"B\"",
            &format!(
                "name = \"ns3\"\nmachine = \"B\"\nexec = [\"sleep {marker}\"]\nexec_timeout = 60"
            ),
        )
    });
    let out = sim.nslab(&["up", &file]);
    assert!(!out.status.success(), "up succeeded");
    let err = stderr(&out);
    assert!(err.contains("machine `B`"), "{err}");
    assert!(err.contains("137"), "{err}");
    sim.assert_clean();
    let ps = String::from_utf8(
        Command::new("ps")
            .args(["-eo", "args"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        !ps.lines().any(|l| l.trim() == format!("sleep {marker}")),
        "ns3's command survived"
    );
}

#[test]
fn a_local_machine_builds_its_part_in_process_beside_the_remote_ones() {
    if !kernel_tests_allowed() {
        return;
    }
    let sim = Sim::up(&["A", "B"]);
    // Machine L is this box: two hosts linked to each other only (a tunnel from here would
    // need an underlay address in the root namespace, which tests never add).
    let (x1, x2) = (unique("x"), unique("x"));
    let (name, file) = example_lab(&sim, |t| {
        let local = format!(
            "[[machines]]\nname = \"L\"\nssh = \"local\"\nunderlay = \"10.251.0.99\"\n\
             [[hosts]]\nname = \"{x1}\"\n[[hosts]]\nname = \"{x2}\"\n\
             [[links]]\na = {{ host = \"{x1}\", name = \"eth0\", addrs = [\"10.9.9.1/24\"] }}\n\
             b = {{ host = \"{x2}\", name = \"eth0\", addrs = [\"10.9.9.2/24\"] }}\n"
        );
        // Hosts without `machine` go to L: the example's all say.
        t.replacen("\n[[machines]]", &format!("\n{local}[[machines]]"), 1)
    });
    let guard = Downed(&sim, name.clone());
    ok(&sim.nslab(&["up", &file]));
    // L's part is an ordinary lab here: its state in the driver's state directory, its
    // namespaces beside this box's others.
    assert!(sim.state.join(format!("{name}.json")).exists());
    let here = common::netns_list();
    assert!(here.contains(&x1) && here.contains(&x2), "{here:?}");
    let report = ok(&sim.nslab(&["check", &name, "--json"]));
    let v: serde_json::Value = serde_json::from_str(&report).unwrap();
    let pairs = v["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 6 * 5);
    // 12 pairs among ns1..ns4 and 2 between x1 and x2 reach; the two subnets do not meet.
    let reached = pairs.iter().filter(|p| p["reached"] == true).count();
    assert_eq!(reached, 14, "{report}");
    assert_eq!(v["ok"], true, "{report}");
    ok(&sim.nslab(&["down", &name]));
    let here = common::netns_list();
    assert!(!here.contains(&x1) && !here.contains(&x2), "{here:?}");
    drop(guard);
    sim.assert_clean();
}

/// Takes a lab down through the simulated machines when dropped (a failed assertion too).
struct Downed<'a>(&'a Sim, String);

impl Drop for Downed<'_> {
    fn drop(&mut self) {
        let _ = self.0.nslab(&["down", &self.1]);
    }
}

#[test]
fn a_machine_that_refuses_the_lab_is_left_as_it_was() {
    if !kernel_tests_allowed() {
        return;
    }
    let sim = Sim::up(&["A", "B"]);
    let (_, file) = example_lab(&sim, |t| t);
    // B already has a namespace `ns3`: B's nslab refuses before any change (exit 2), A's
    // part is taken down again, and B's `ns3` is not touched.
    sim.on("B", "ip netns add ns3");
    let out = sim.nslab(&["up", &file]);
    assert!(!out.status.success(), "up succeeded");
    let err = stderr(&out);
    assert!(
        err.contains("machine `B`: ") && err.contains("namespace `ns3` already exists"),
        "{err}"
    );
    assert_eq!(sim.on("B", "ip netns list"), "ns3\n");
    sim.on("B", "ip netns del ns3");
    sim.assert_clean();
}
