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
    // Under 4 s, the background sleep: `up` did not wait for it (3.5 s leaves room for a
    // loaded machine running the other tests of this file alongside).
    assert!(took < Duration::from_millis(3500), "up took {took:?}");
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

/// How many `sleep` processes are in the namespace with identity `id`.
fn sleeps_in(id: (u64, u64)) -> usize {
    pids_in(id)
        .into_iter()
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == "sleep")
        })
        .count()
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
    // gone), in b a sleeper and the SIGTERM-ignoring shell with its sleep. Counted as
    // (processes, sleeps) so that a moment with the daemon's shell still there and another
    // sleeper not yet in does not pass for the end state.
    let settled = || {
        (
            (count_in(ida), sleeps_in(ida)),
            (count_in(idb), sleeps_in(idb)),
        )
    };
    let want = ((3, 3), (3, 2));
    let start = Instant::now();
    while settled() != want && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(settled(), want, "sleepers did not start");
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

/// A prefix unique to the run that leaves room for host names of up to 6 bytes: `tag`, the
/// pid in base 36 (at most 5 digits), a counter, `-`.
fn short_prefix(tag: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let mut pid = std::process::id();
    let mut digits = Vec::new();
    while pid > 0 {
        digits.push(std::char::from_digit(pid % 36, 36).unwrap());
        pid /= 36;
    }
    let id: String = digits.into_iter().rev().collect();
    let p = format!("{tag}{id}{}-", N.fetch_add(1, Ordering::Relaxed));
    assert!(p.len() <= 9, "{p} is too long");
    p
}

/// Every process whose command line contains `marker` (a prefix unique to the run, which the
/// lab's services and their supervisors carry in their arguments).
fn processes_with(marker: &str) -> Vec<String> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()) && *p != me)
        .filter_map(|p| {
            let cmd = std::fs::read(format!("/proc/{p}/cmdline")).ok()?;
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            cmd.contains(marker).then(|| format!("{p}: {cmd}"))
        })
        .collect()
}

/// What a lab whose names start with `p` (lab `lab`) may leave behind: namespaces, UTS
/// files, the log directory, /etc/netns entries, processes, the state file.
fn leftovers(p: &str, lab: &str) -> Vec<String> {
    let mut out: Vec<String> = ours(p).into_iter().map(|n| format!("netns {n}")).collect();
    for path in [
        format!("/run/nslab/uts/{lab}"),
        format!("/run/nslab/{lab}"),
        format!("/run/nslab/{lab}.json"),
    ] {
        if std::path::Path::new(&path).exists() {
            out.push(path);
        }
    }
    for e in std::fs::read_dir("/etc/netns")
        .into_iter()
        .flatten()
        .flatten()
    {
        let n = e.file_name().to_string_lossy().into_owned();
        if n.starts_with(p) {
            out.push(format!("/etc/netns/{n}"));
        }
    }
    out.extend(processes_with(p));
    out
}

#[test]
fn each_host_has_its_hostname_and_no_uts_keeps_the_roots() {
    if !kernel_tests_allowed() {
        return;
    }
    let f = write_lab(&pair("uts", "", ""));
    let p = short_prefix("hu");
    let lab = format!("{p}uts");
    let _g = LabGuard::new(&["uts", "--prefix", &p]);
    ok(&nslab_run(&["up", f.path(), "--prefix", &p]));
    let root = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    for h in ["a", "b"] {
        let host = format!("{p}{h}");
        assert!(
            std::path::Path::new(&format!("/run/nslab/uts/{lab}/{host}")).exists(),
            "the UTS namespace of {host} is kept under /run/nslab/uts"
        );
        let name = ok(&nslab_run(&["exec", &host, "hostname"]));
        assert_eq!(name.trim(), host);
        // `nslab exec --lab`, `shell` and the slow (clap) path join it too.
        let name = ok(&nslab_run(&["-v", "exec", &host, "hostname"]));
        assert_eq!(name.trim(), host);
        let shell = common::nslab()
            .args(["shell", &host])
            .env("SHELL", "/bin/sh")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(b"hostname\n")?;
                c.wait_with_output()
            })
            .unwrap();
        assert_eq!(ok(&shell).trim(), host, "nslab shell joins it too");
        let no_uts = ok(&nslab_run(&["exec", "--no-uts", &host, "hostname"]));
        assert_eq!(no_uts.trim(), root.trim());
        let ip = common::run_ok("ip", &["netns", "exec", &host, "hostname"]);
        assert_eq!(ip.trim(), root.trim(), "ip netns exec users are unaffected");
    }
    let all = ok(&nslab_run(&["exec", "--lab", &lab, "hostname"]));
    assert!(all.contains(&format!("netns: {p}a\n{p}a\n")), "{all}");
    let out = nslab_run(&["show", &format!("{p}b"), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(
        v["namespaces"][0]["host"]["hostname"],
        format!("{p}b").as_str()
    );
    ok(&nslab_run(&["down", "uts", "--prefix", &p]));
    assert_eq!(leftovers(&p, &lab), Vec::<String>::new());
    // The root hostname never changed.
    assert_eq!(
        std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap(),
        root
    );
}

/// `labs/web.toml` under a prefix, with `p` in the client's host name.
fn web_lab() -> String {
    format!("{}/labs/web.toml", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_web_lab_serves_a_client_by_name_and_logs_the_request() {
    if !kernel_tests_allowed() {
        return;
    }
    let p = short_prefix("hw");
    let lab = format!("{p}web");
    let _g = LabGuard::new(&["web", "--prefix", &p]);
    let start = Instant::now();
    let out = nslab_run(&["up", &web_lab(), "--prefix", &p]);
    let took = start.elapsed();
    ok(&out);
    eprintln!("up of labs/web.toml (python3 http.server ready): {took:?}");
    let ps: serde_json::Value =
        serde_json::from_str(&ok(&nslab_run(&["ps", &lab, "--json"]))).unwrap();
    let row = &ps["services"][0];
    assert_eq!(row["service"], "http", "{ps}");
    assert_eq!(row["host"], format!("{p}server").as_str(), "{ps}");
    assert_eq!(row["state"], "running", "{ps}");
    let pid = row["pid"].as_u64().expect("a pid");
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    // In the server's network namespace, in a session of its own.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let sid: u64 = fields[3].parse().unwrap();
    assert_eq!(
        Some(sid),
        row["supervisor"].as_u64(),
        "the supervisor leads its session"
    );
    let server_id = ns_id(&format!("{p}server"));
    assert!(pids_in(server_id).contains(&(pid as u32)));
    let table = ok(&nslab_run(&["ps"]));
    assert!(table.contains("running"), "{table}");
    // By name, from the client.
    let url = format!("http://{p}server:8000/");
    let fetch =
        format!("import urllib.request; print(urllib.request.urlopen({url:?}, timeout=5).status)");
    let got = ok(&nslab_run(&[
        "exec",
        &format!("{p}client"),
        "python3",
        "-c",
        &fetch,
    ]));
    assert_eq!(got.trim(), "200");
    ok(&nslab_run(&["check", "web", "--prefix", &p]));
    // The log has the request (http.server logs each one on stderr), from the client's address.
    let deadline = Instant::now() + Duration::from_secs(5);
    let log = loop {
        let log = ok(&nslab_run(&["logs", &lab, &format!("{p}server"), "http"]));
        if log.contains("\"GET / HTTP/1.1\" 200") || Instant::now() > deadline {
            break log;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        log.contains("10.0.8.2 - - ") && log.contains("\"GET / HTTP/1.1\" 200"),
        "{log}"
    );
    // `logs -f` follows until the lab goes down (bounded: the test takes it down).
    let mut follow = std::process::Command::new(env!("CARGO_BIN_EXE_nslab"))
        .args(["logs", "-f", &lab, &format!("{p}server"), "http"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let out = nslab_run(&["down", "web", "--prefix", &p, "--json"]);
    let report: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert!(
        report["ended"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["pid"] == pid),
        "{report}"
    );
    let deadline = Instant::now() + Duration::from_secs(3);
    while follow.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if follow.try_wait().unwrap().is_none() {
        let _ = follow.kill();
        let _ = follow.wait();
        panic!("logs -f did not end when the lab went down");
    }
    let mut followed = String::new();
    std::io::Read::read_to_string(follow.stdout.as_mut().unwrap(), &mut followed).unwrap();
    assert!(followed.contains("GET / HTTP/1.1"), "{followed}");
    assert_eq!(leftovers(&p, &lab), Vec::<String>::new());
}

#[test]
fn a_service_whose_readiness_fails_makes_up_fail_and_leaves_nothing() {
    if !kernel_tests_allowed() {
        return;
    }
    let p = short_prefix("hr");
    let lab = format!("{p}ready");
    let services = format!(
        r#"[[hosts.services]]
name = "first"
command = ["sh", "-c", "exec sleep 300", "{p}first"]
[[hosts.services]]
name = "never"
command = ["sh", "-c", "echo listening soon; sleep 300", "{p}never"]
after = ["a.first"]
ready = {{ tcp = 9, timeout = 0.5 }}
"#
    );
    let f = write_lab(&pair("ready", &services, ""));
    let _g = LabGuard::new(&["ready", "--prefix", &p]);
    let root_hosts = std::fs::read("/etc/hosts").unwrap();
    let start = Instant::now();
    let out = nslab_run(&["up", f.path(), "--prefix", &p]);
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "service `{p}a.never` was not ready after 0.5 s (tcp 127.0.0.1:9"
        )) && err.contains("log: listening soon"),
        "{err}"
    );
    assert!(took < Duration::from_secs(5), "up took {took:?}");
    assert_eq!(leftovers(&p, &lab), Vec::<String>::new());
    assert_eq!(std::fs::read("/etc/hosts").unwrap(), root_hosts);

    // A command that does not exist: `up` fails the same way.
    let missing = pair(
        "ready",
        "[[hosts.services]]\nname = \"gone\"\ncommand = [\"nslab-no-such-program\"]",
        "",
    );
    let f = write_lab(&missing);
    let out = nslab_run(&["up", f.path(), "--prefix", &p]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("service `{p}a.gone` could not be started")),
        "{}",
        stderr(&out)
    );
    assert_eq!(leftovers(&p, &lab), Vec::<String>::new());

    // Without the probe, the same lab comes up; `first` started before `never`.
    let f = write_lab(&pair(
        "ready",
        &services.replace("ready = { tcp = 9, timeout = 0.5 }", ""),
        "",
    ));
    ok(&nslab_run(&["up", f.path(), "--prefix", &p]));
    let ps: serde_json::Value =
        serde_json::from_str(&ok(&nslab_run(&["ps", &lab, "--json"]))).unwrap();
    let rows = ps["services"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{ps}");
    assert!(rows.iter().all(|r| r["state"] == "running"), "{ps}");
    let first = rows.iter().find(|r| r["service"] == "first").unwrap()["pid"].as_u64();
    let never = rows.iter().find(|r| r["service"] == "never").unwrap()["pid"].as_u64();
    assert!(first < never, "started in dependency order: {ps}");
    ok(&nslab_run(&["down", "ready", "--prefix", &p]));
    assert_eq!(leftovers(&p, &lab), Vec::<String>::new());
}

#[test]
fn a_service_that_fails_is_restarted_on_failure_and_ps_says_how_others_ended() {
    if !kernel_tests_allowed() {
        return;
    }
    let p = short_prefix("hf");
    let lab = format!("{p}restart");
    let dir = common::TempDir::new("hf");
    let count = dir.0.join("runs");
    // Fails on its first run, then stays up; `once` exits 3 and is not restarted.
    let services = format!(
        r#"[[hosts.services]]
name = "flaky"
command = ["sh", "-c", "echo run >> {c}; [ $(wc -l < {c}) -ge 2 ] && exec sleep 300; exit 3", "{p}flaky"]
restart = "on-failure"
[[hosts.services]]
name = "once"
command = ["sh", "-c", "echo bye; exit 3", "{p}once"]
"#,
        c = count.display()
    );
    let f = write_lab(&pair("restart", &services, ""));
    let _g = LabGuard::new(&["restart", "--prefix", &p]);
    ok(&nslab_run(&["up", f.path(), "--prefix", &p]));
    let deadline = Instant::now() + Duration::from_secs(5);
    let ps = loop {
        let ps: serde_json::Value =
            serde_json::from_str(&ok(&nslab_run(&["ps", &lab, "--json"]))).unwrap();
        let rows = ps["services"].as_array().unwrap().clone();
        let state = |n: &str| rows.iter().find(|r| r["service"] == n).unwrap()["state"].clone();
        if (state("flaky") == "running" && state("once") == "exited 3") || Instant::now() > deadline
        {
            break ps;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let rows = ps["services"].as_array().unwrap();
    let flaky = rows.iter().find(|r| r["service"] == "flaky").unwrap();
    assert_eq!(flaky["state"], "running", "{ps}");
    assert_eq!(flaky["restarts"], 1, "{ps}");
    let once = rows.iter().find(|r| r["service"] == "once").unwrap();
    assert_eq!(once["state"], "exited 3", "{ps}");
    let log = ok(&nslab_run(&["logs", &lab, &format!("{p}a"), "flaky"]));
    assert!(
        log.contains("exited 3") && log.contains("restarting in 0.1 s"),
        "{log}"
    );
    ok(&nslab_run(&["down", "restart", "--prefix", &p]));
    assert_eq!(leftovers(&p, &lab), Vec::<String>::new());
}

#[test]
fn up_killed_at_random_moments_while_services_start_then_down_leaves_nothing() {
    if !kernel_tests_allowed() {
        return;
    }
    let services = |p: &str| {
        format!(
            r#"[[hosts.services]]
name = "loop"
command = ["sh", "-c", "while :; do sleep 1; done", "{p}loop"]
[[hosts.services]]
name = "web"
command = ["python3", "-m", "http.server", "8123", "--directory", "/", "-b", "127.0.0.1"]
env = {{ TAG = "{p}web" }}
ready = {{ tcp = 8123, timeout = 10 }}
after = ["a.loop"]
[[hosts.services]]
name = "last"
command = ["sh", "-c", "exec sleep 300", "{p}last"]
ready = {{ command = ["true"] }}
after = ["a.web"]
restart = "on-failure"
"#
        )
    };
    let seed = common::seed_from_env("NSLAB_KILL_SEED");
    let mut rng = common::Rng(seed);
    let trials = 12;
    // How long a whole `up` takes here, to spread the kills over it.
    let p = short_prefix("hk");
    let f = write_lab(&pair("kill", &services(&p), ""));
    let _g = LabGuard::new(&["kill", "--prefix", &p]);
    let start = Instant::now();
    ok(&nslab_run(&["up", f.path(), "--prefix", &p]));
    let full = start.elapsed();
    eprintln!("up with 3 services (python3 http.server among them): {full:?}");
    ok(&nslab_run(&["down", "kill", "--prefix", &p]));
    assert_eq!(leftovers(&p, &format!("{p}kill")), Vec::<String>::new());
    // Over the first 80% of it: later runs may be faster than the measured one, and a kill
    // after `up` finished proves nothing. Most of that time is the services starting.
    let span = full.as_micros() as u64 * 4 / 5;
    let mut killed_during = 0;
    for trial in 0..trials {
        let p = short_prefix("hk");
        let lab = format!("{p}kill");
        let f = write_lab(&pair("kill", &services(&p), ""));
        let _g = LabGuard::new(&["kill", "--prefix", &p]);
        let at = Duration::from_micros(rng.range(0, span));
        let mut up = std::process::Command::new(env!("CARGO_BIN_EXE_nslab"))
            .args(["up", f.path(), "--prefix", &p])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        let finished = up.try_wait().unwrap().is_some();
        let _ = up.kill();
        let _ = up.wait();
        if !finished {
            killed_during += 1;
        }
        let out = nslab_run(&["down", "kill", "--prefix", &p, "--grace", "0.5"]);
        assert!(
            out.status.success(),
            "trial {trial} (seed {seed}, kill at {at:?}): {}",
            stderr(&out)
        );
        assert_eq!(
            leftovers(&p, &lab),
            Vec::<String>::new(),
            "trial {trial} (seed {seed}, kill at {at:?})"
        );
    }
    eprintln!("{killed_during} of {trials} `up`s were killed before they finished (seed {seed})");
    assert!(
        killed_during >= trials / 2,
        "too few kills landed during up: {killed_during}"
    );
}
