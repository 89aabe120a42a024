//! Live tests of what lives in a lab's hosts (issue 15, 14.4): commands that cannot hold
//! `up`, processes that end with the lab, names, hostnames, services. Real namespaces, names
//! unique to the run; every process a test starts is ended by `down` (guarded by `LabGuard`)
//! or by its pid.

mod common;

use common::{kernel_tests_allowed, netns_list, nslab_run, unique, write_lab, LabGuard};
use std::os::unix::fs::MetadataExt;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::succeeded as ok;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Two hosts `a` and `b` joined by one veth, plus whatever `host_a`/`host_b` add to them.
fn pair(name: &str, host_a: &str, host_b: &str) -> String {
    format!(
        r#"
name = "{name}"
[[hosts]]
name = "a"
{host_a}
[[hosts]]
name = "b"
{host_b}
[[links]]
a = {{ host = "a", name = "eth0", addrs = ["10.9.0.1/24"] }}
b = {{ host = "b", name = "eth0", addrs = ["10.9.0.2/24"] }}
"#
    )
}

/// Namespaces whose name starts with `prefix`.
fn ours(prefix: &str) -> Vec<String> {
    netns_list()
        .into_iter()
        .filter(|n| n.starts_with(prefix))
        .collect()
}

/// The (device, inode) of a named namespace.
fn ns_id(name: &str) -> (u64, u64) {
    let m = std::fs::metadata(format!("/run/netns/{name}")).expect("namespace exists");
    (m.dev(), m.ino())
}

/// The processes whose network namespace (or a thread's) is `id`.
fn pids_in(id: (u64, u64)) -> Vec<u32> {
    let same = |p: String| std::fs::metadata(&p).is_ok_and(|m| (m.dev(), m.ino()) == id);
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_dir(format!("/proc/{pid}/task"))
                .into_iter()
                .flatten()
                .filter_map(|t| t.ok()?.file_name().into_string().ok())
                .any(|t| same(format!("/proc/{pid}/task/{t}/ns/net")))
        })
        .collect()
}

/// What could keep the lab's namespaces (`names`, whose processes were `pids`) alive after
/// `down`: one of those processes still in the namespace it was in, or a mount of a
/// namespace file of the lab in any mount namespace. (Namespace inode numbers are reused
/// by the kernel as soon as a namespace is freed, so the test does not search by inode.)
fn left_alive(names: &[&str], pids: &[(u32, (u64, u64))]) -> Vec<String> {
    let mut out = Vec::new();
    for (pid, id) in pids {
        if pids_in(*id).contains(pid) {
            out.push(format!("process {pid}"));
        }
    }
    let all: Vec<u32> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .collect();
    for pid in all {
        let Ok(m) = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")) else {
            continue;
        };
        for n in names {
            let point = format!(" /run/netns/{n} ");
            if m.lines().any(|l| l.contains(&point)) {
                out.push(format!("{n} is mounted for process {pid}"));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn a_background_job_in_a_host_command_does_not_hold_up() {
    if !kernel_tests_allowed() {
        return;
    }
    let text = pair(
        "bg",
        r#"exec = [["sh", "-c", "sleep 4 &"], ["echo", "said"]]"#,
        "",
    );
    let f = write_lab(&text);
    let p = format!("{}-", unique("hb"));
    let _g = LabGuard::new(&["bg", "--prefix", &p]);
    let start = Instant::now();
    let out = nslab_run(&["up", f.path(), "--prefix", &p]);
    let took = start.elapsed();
    assert!(ok(&out).contains("said"));
    assert!(took < Duration::from_secs(2), "up took {took:?}");
    let a = format!("{p}a");
    let id = ns_id(&a);
    let sleepers: Vec<(u32, (u64, u64))> = pids_in(id).into_iter().map(|p| (p, id)).collect();
    assert_eq!(sleepers.len(), 1, "the background sleep runs in {a}");
    let out = nslab_run(&["down", "bg", "--prefix", &p, "--json"]);
    let report: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    let ended = report["ended"].as_array().unwrap();
    assert!(
        ended
            .iter()
            .any(|e| e["command"] == "sleep" && e["host"] == a.as_str()),
        "{report}"
    );
    assert!(ours(&p).is_empty());
    assert_eq!(left_alive(&[&a], &sleepers), Vec::<String>::new());
}

#[test]
fn a_command_still_running_after_its_timeout_is_reported_and_left_to_down() {
    if !kernel_tests_allowed() {
        return;
    }
    let text = pair("slow", "exec_timeout = 0.3\nexec = [\"sleep 60\"]", "");
    let f = write_lab(&text);
    let p = format!("{}-", unique("ht"));
    let _g = LabGuard::new(&["slow", "--prefix", &p]);
    let start = Instant::now();
    let out = nslab_run(&["up", f.path(), "--prefix", &p]);
    let took = start.elapsed();
    ok(&out);
    assert!(took < Duration::from_secs(3), "up took {took:?}");
    let err = stderr(&out);
    assert!(
        err.contains("`sleep 60` is still running after 0.3 s"),
        "{err}"
    );
    let out = nslab_run(&["down", "slow", "--prefix", &p]);
    assert!(
        stderr(&out).contains("(1 process ended)"),
        "{}",
        stderr(&out)
    );
    assert!(ours(&p).is_empty());
}

/// Starts `argv` with its output discarded; the test keeps the child to reap it.
fn spawn(argv: &[&str]) -> std::process::Child {
    std::process::Command::new(argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn")
}

/// How many processes are in the namespace with identity `id`.
fn count_in(id: (u64, u64)) -> usize {
    pids_in(id).len()
}

#[test]
fn down_ends_every_process_of_the_lab_and_the_namespaces_leave_the_kernel() {
    if !kernel_tests_allowed() {
        return;
    }
    let f = write_lab(&pair("procs", "", ""));
    let p = format!("{}-", unique("hp"));
    let _g = LabGuard::new(&["procs", "--prefix", &p]);
    ok(&nslab_run(&["up", f.path(), "--prefix", &p]));
    let (a, b) = (format!("{p}a"), format!("{p}b"));
    let (ida, idb) = (ns_id(&a), ns_id(&b));
    let me = env!("CARGO_BIN_EXE_nslab");
    let netns_a = format!("--net=/run/netns/{a}");
    let mut children = vec![
        // A sleeper started by `nslab exec`, one by `ip netns exec`, one by `nsenter --net`.
        spawn(&[me, "exec", &a, "sleep", "300"]),
        spawn(&["ip", "netns", "exec", &b, "sleep", "300"]),
        spawn(&["nsenter", &netns_a, "sleep", "300"]),
        // One that ignores SIGTERM (ignored signals stay ignored across exec).
        spawn(&[me, "exec", &b, "sh", "-c", "trap '' TERM; sleep 300"]),
        // A daemon that forks and leaves (its child is reparented).
        spawn(&[
            me,
            "exec",
            &a,
            "sh",
            "-c",
            "sleep 300 </dev/null >/dev/null 2>&1 & exit 0",
        ]),
    ];
    // Wait until all have entered their namespaces: three sleepers in a (the daemon's shell
    // gone), in b a sleeper and the SIGTERM-ignoring shell with its sleep.
    let start = Instant::now();
    while (count_in(ida), count_in(idb)) != (3, 3) && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        (count_in(ida), count_in(idb)),
        (3, 3),
        "sleepers did not start"
    );
    let mut inside: Vec<(u32, (u64, u64))> = pids_in(ida).into_iter().map(|p| (p, ida)).collect();
    inside.extend(pids_in(idb).into_iter().map(|p| (p, idb)));
    let start = Instant::now();
    let out = nslab_run(&["down", "procs", "--prefix", &p, "--grace", "0.5", "--json"]);
    let took = start.elapsed();
    let report: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    // Ours, and possibly others' (a concurrent `exec --all` of another test run).
    let ended: Vec<u64> = report["ended"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["pid"].as_u64())
        .collect();
    for (pid, _) in &inside {
        assert!(ended.contains(&(*pid as u64)), "{pid} not in {report}");
    }
    assert!(took < Duration::from_secs(4), "down took {took:?}");
    for c in &mut children {
        // Every one of them is gone (ended by down, reaped here).
        let status = c.wait().unwrap();
        assert!(!status.success() || status.code() == Some(0));
    }
    assert!(ours(&p).is_empty());
    assert_eq!(left_alive(&[&a, &b], &inside), Vec::<String>::new());
}

/// Removes a directory tree in Drop (a file a test put under /etc/netns).
struct RemoveDir(std::path::PathBuf);

impl Drop for RemoveDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn hosts_know_each_other_by_name_and_down_removes_only_its_files() {
    if !kernel_tests_allowed() {
        return;
    }
    let text = pair(
        "names",
        r#"extra_hosts = { "gw" = "10.9.0.254" }"#,
        r#"resolv_conf = "nameserver 10.9.0.1\n""#,
    );
    let f = write_lab(&text);
    let p = format!("{}-", unique("hn"));
    let (a, b) = (format!("{p}a"), format!("{p}b"));
    let _g = LabGuard::new(&["names", "--prefix", &p]);
    let _dirs = (
        RemoveDir(format!("/etc/netns/{a}").into()),
        RemoveDir(format!("/etc/netns/{b}").into()),
    );
    let root_hosts = std::fs::read("/etc/hosts").unwrap();
    ok(&nslab_run(&["up", f.path(), "--prefix", &p]));
    // By name, through /etc/netns/A/hosts seen as /etc/hosts.
    let ping = ok(&nslab_run(&["exec", &a, "ping", "-c1", "-W2", &b]));
    assert!(ping.contains("10.9.0.2"), "{ping}");
    let gw = ok(&nslab_run(&["exec", &a, "getent", "hosts", "gw"]));
    assert!(gw.starts_with("10.9.0.254"), "{gw}");
    let ip_view = common::run_ok("ip", &["netns", "exec", &b, "cat", "/etc/hosts"]);
    assert!(ip_view.contains(&format!("10.9.0.1\t{a}\n")), "{ip_view}");
    let resolv = ok(&nslab_run(&["exec", &b, "cat", "/etc/resolv.conf"]));
    assert!(resolv.contains("nameserver 10.9.0.1"), "{resolv}");
    assert_eq!(std::fs::read("/etc/hosts").unwrap(), root_hosts);
    ok(&nslab_run(&["down", "names", "--prefix", &p]));
    assert!(!std::path::Path::new(&format!("/etc/netns/{a}")).exists());
    assert!(!std::path::Path::new(&format!("/etc/netns/{b}")).exists());

    // A hosts file nslab did not write: `up` refuses before any change and leaves it.
    std::fs::create_dir_all(format!("/etc/netns/{a}")).unwrap();
    let theirs = format!("/etc/netns/{a}/hosts");
    std::fs::write(&theirs, "10.1.1.1 mine\n").unwrap();
    let out = nslab_run(&["up", f.path(), "--prefix", &p]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("was not written by nslab"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&theirs).unwrap(), "10.1.1.1 mine\n");
    assert!(ours(&p).is_empty());
}
