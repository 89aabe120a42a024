//! `nslab exec`, `shell` and `identify` against real namespaces, compared with
//! `ip netns exec` run on the same namespace.

mod common;

use common::{kernel_tests_allowed, nslab, unique, Netns};
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const NSLAB: &str = env!("CARGO_BIN_EXE_nslab");

/// `/etc/netns/NS/` with some files, removed in `Drop` (and `/etc/netns` too if that leaves
/// it empty).
struct EtcNetns {
    dir: PathBuf,
}

impl EtcNetns {
    fn new(ns: &str, files: &[(&str, &str)]) -> EtcNetns {
        let dir = Path::new("/etc/netns").join(ns);
        std::fs::create_dir_all(&dir).expect("create /etc/netns/NS");
        let guard = EtcNetns { dir };
        for (name, text) in files {
            std::fs::write(guard.dir.join(name), text).expect("write /etc/netns/NS/FILE");
        }
        guard
    }
}

impl Drop for EtcNetns {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        // Only if empty: another test may be using it.
        let _ = std::fs::remove_dir("/etc/netns");
    }
}

/// How a probe is run: the same for `ip netns exec` and `nslab exec`.
struct Probe<'a> {
    argv: &'a [&'a str],
    cwd: &'a Path,
    stdin: &'a str,
}

fn run(program: &str, prefix: &[&str], p: &Probe) -> Output {
    let mut child = Command::new(program)
        .args(prefix)
        .args(p.argv)
        .current_dir(p.cwd)
        .env("EX_PROBE", "value from the caller")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // A command that does not read its stdin may be gone before this is written.
    if let Err(e) = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(p.stdin.as_bytes())
    {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    child.wait_with_output().expect("wait")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn host_sys_class_net() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("/sys/class/net")
        .expect("read /sys/class/net")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn exec_prints_what_ip_netns_exec_prints() {
    if !kernel_tests_allowed() {
        return;
    }
    let ns = Netns::new("ex");
    ns.ip(&[
        "link", "add", "exv0", "type", "veth", "peer", "name", "exv1",
    ]);
    // A file with no /etc counterpart cannot be bind-mounted: both report it on stderr.
    let _etc = EtcNetns::new(
        &ns.name,
        &[
            ("hosts", "10.9.9.9 ex-parity-host\n"),
            ("ex-not-in-etc", "x\n"),
        ],
    );
    let host_net = host_sys_class_net();
    let host_hosts = std::fs::read_to_string("/etc/hosts").expect("read /etc/hosts");
    let cwd = std::env::temp_dir();

    let probes: &[&[&str]] = &[
        &["readlink", "/proc/self/ns/net"],
        &["ls", "/sys/class/net"],
        &["cat", "/etc/hosts"],
        &["pwd"],
        &["sh", "-c", "echo \"$EX_PROBE\""],
        &["cat"],
        &["sh", "-c", "exit 7"],
        &["sh", "-c", "kill -TERM $$"],
    ];
    for argv in probes {
        let p = Probe {
            argv,
            cwd: &cwd,
            stdin: "line one on stdin\nline two\n",
        };
        let ip = run("ip", &["netns", "exec", &ns.name], &p);
        let ours = run(NSLAB, &["exec", &ns.name, "--"], &p);
        assert_eq!(text(&ours.stdout), text(&ip.stdout), "stdout of {argv:?}");
        assert_eq!(text(&ours.stderr), text(&ip.stderr), "stderr of {argv:?}");
        assert_eq!(
            ours.status.code(),
            ip.status.code(),
            "exit code of {argv:?}"
        );
        assert_eq!(
            ours.status.signal(),
            ip.status.signal(),
            "signal of {argv:?}"
        );
    }

    // What the caller leaves to the command reaches it unchanged: an ignored SIGPIPE, a
    // closed stdin or stderr (nslab's runtime set-up undoes itself before exec).
    let report = "grep ^SigIgn /proc/self/status; ls /proc/self/fd | tr '\\n' ' '";
    for caller in ["", "trap '' PIPE;", "exec 0<&-;", "exec 2>&-;"] {
        let under = |launcher: &[&str]| {
            let mut argv = vec!["sh", "-c", "eval \"$1\"; shift; exec \"$@\"", "sh", caller];
            argv.extend_from_slice(launcher);
            argv.extend_from_slice(&["sh", "-c", report]);
            let out = Command::new(argv[0])
                .args(&argv[1..])
                .output()
                .expect("run sh");
            (text(&out.stdout), out.status.code())
        };
        let ip = under(&["ip", "netns", "exec", &ns.name]);
        let ours = under(&[NSLAB, "exec", &ns.name]);
        assert!(ip.0.contains("SigIgn"), "{ip:?}");
        assert_eq!(ours, ip, "with `{caller}` in the caller");
    }

    // The probes did see the namespace, so the comparison above means something.
    let p = |argv| Probe {
        argv,
        cwd: &cwd,
        stdin: "stdin text\n",
    };
    let net = run(NSLAB, &["exec", &ns.name], &p(&["ls", "/sys/class/net"]));
    assert_eq!(text(&net.stdout), "exv0\nexv1\nlo\n");
    let hosts = run(NSLAB, &["exec", &ns.name], &p(&["cat", "/etc/hosts"]));
    assert_eq!(text(&hosts.stdout), "10.9.9.9 ex-parity-host\n");
    let echo = run(NSLAB, &["exec", &ns.name], &p(&["cat"]));
    assert_eq!(text(&echo.stdout), "stdin text\n");
    let bind = format!(
        "Bind /etc/netns/{0}/ex-not-in-etc -> /etc/ex-not-in-etc failed: ",
        ns.name
    );
    assert!(
        text(&echo.stderr).starts_with(&bind),
        "{}",
        text(&echo.stderr)
    );
    let seven = run(NSLAB, &["exec", &ns.name], &p(&["sh", "-c", "exit 7"]));
    assert_eq!(seven.status.code(), Some(7));
    let killed = run(
        NSLAB,
        &["exec", &ns.name],
        &p(&["sh", "-c", "kill -TERM $$"]),
    );
    assert_eq!(killed.status.signal(), Some(15));
    let pwd = run(NSLAB, &["exec", &ns.name], &p(&["pwd"]));
    assert_eq!(
        text(&pwd.stdout).trim_end(),
        cwd.to_str().expect("utf-8 temp dir")
    );

    // Nothing leaked back to the host.
    assert_eq!(host_sys_class_net(), host_net);
    assert_eq!(
        std::fs::read_to_string("/etc/hosts").expect("read /etc/hosts"),
        host_hosts
    );
}

#[test]
fn identify_inside_exec_prints_the_namespace() {
    if !kernel_tests_allowed() {
        return;
    }
    let ns = Netns::new("ex");
    let out = nslab()
        .args(["exec", &ns.name, "--", NSLAB, "identify"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{}\n", ns.name));
    // What ip says too.
    let ip = Command::new("ip")
        .args(["netns", "exec", &ns.name, "ip", "netns", "identify"])
        .output()
        .expect("run ip");
    assert_eq!(text(&ip.stdout), text(&out.stdout));

    // Another process, by pid: nslab exec becomes `sleep`, so the child's pid is sleep's.
    let mut sleeper = nslab()
        .args(["exec", &ns.name, "sleep", "30"])
        .spawn()
        .expect("spawn sleep");
    let pid = sleeper.id().to_string();
    // Until the exec is done, the pid is still nslab in the host namespace.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut seen = String::new();
    while std::time::Instant::now() < deadline {
        seen = text(
            &nslab()
                .args(["identify", &pid])
                .output()
                .expect("identify")
                .stdout,
        );
        if !seen.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert_eq!(seen, format!("{}\n", ns.name));

    // The host namespace has no name here.
    let host = nslab().args(["identify"]).output().expect("identify");
    assert!(host.status.success());
    assert!(!text(&host.stdout).lines().any(|l| l == ns.name));
}

#[test]
fn exec_unknown_namespace_names_it_and_lists_the_others() {
    if !kernel_tests_allowed() {
        return;
    }
    let ns = Netns::new("ex");
    let missing = unique("exno");
    let out = nslab()
        .args(["exec", &missing, "true"])
        .output()
        .expect("run");
    let ip = Command::new("ip")
        .args(["netns", "exec", &missing, "true"])
        .output()
        .expect("ip");
    assert_eq!(
        out.status.code(),
        ip.status.code(),
        "same exit code as ip (255)"
    );
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains(&format!("`{missing}`")), "{err}");
    assert!(err.contains("does not exist"), "{err}");
    assert!(
        err.contains(&ns.name),
        "lists the namespaces that exist: {err}"
    );
}

#[test]
fn exec_missing_command_fails_like_ip_with_a_clear_message() {
    if !kernel_tests_allowed() {
        return;
    }
    let ns = Netns::new("ex");
    let out = nslab()
        .args(["exec", &ns.name, "ex-no-such-command"])
        .output()
        .expect("run");
    let ip = Command::new("ip")
        .args(["netns", "exec", &ns.name, "ex-no-such-command"])
        .output()
        .expect("ip");
    assert_eq!(
        out.status.code(),
        ip.status.code(),
        "same exit code as ip (1)"
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "nslab: ex-no-such-command: command not found\n"
    );
}

#[test]
fn exec_without_cap_sys_admin_names_the_capability() {
    if !kernel_tests_allowed() {
        return;
    }
    let ns = Netns::new("ex");
    let drop = ["--inh-caps=-sys_admin", "--bounding-set=-sys_admin"];
    let out = Command::new("setpriv")
        .args(drop)
        .args([NSLAB, "exec", &ns.name, "true"])
        .output()
        .expect("run setpriv (util-linux)");
    let ip = Command::new("setpriv")
        .args(drop)
        .args(["ip", "netns", "exec", &ns.name, "true"])
        .output()
        .expect("run setpriv");
    assert_eq!(
        out.status.code(),
        ip.status.code(),
        "same exit code as ip (255)"
    );
    assert_ne!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("CAP_SYS_ADMIN"), "{err}");
    assert!(err.contains(&ns.name), "{err}");

    // --no-mount needs it too (setns), and says so.
    let out = Command::new("setpriv")
        .args(drop)
        .args([NSLAB, "exec", "--no-mount", &ns.name, "true"])
        .output()
        .expect("run setpriv");
    assert_eq!(out.status.code(), Some(255));
    assert!(text(&out.stderr).contains("CAP_SYS_ADMIN"));
}

#[test]
fn exec_no_mount_keeps_the_host_sys_and_etc() {
    if !kernel_tests_allowed() {
        return;
    }
    let ns = Netns::new("ex");
    ns.ip(&[
        "link", "add", "exv0", "type", "veth", "peer", "name", "exv1",
    ]);
    let _etc = EtcNetns::new(&ns.name, &[("hosts", "10.9.9.9 ex-no-mount-host\n")]);
    let run_in = |args: &[&str]| {
        let out = nslab().arg("exec").args(args).output().expect("run");
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let netns_inode = std::fs::read_link(format!("/proc/{}/ns/net", std::process::id()))
        .expect("readlink")
        .to_string_lossy()
        .into_owned();
    let inside = run_in(&["--no-mount", &ns.name, "readlink", "/proc/self/ns/net"]);
    assert_ne!(inside.trim_end(), netns_inode, "it did enter the namespace");
    let sys = run_in(&["--no-mount", &ns.name, "ls", "/sys/class/net"]);
    assert_eq!(sys.lines().collect::<Vec<_>>(), host_sys_class_net());
    assert!(!sys.lines().any(|l| l == "exv0"));
    let hosts = run_in(&["--no-mount", &ns.name, "cat", "/etc/hosts"]);
    assert_eq!(hosts, std::fs::read_to_string("/etc/hosts").expect("read"));
    // Without --no-mount, the same namespace shows its own.
    let sys_full = run_in(&[&ns.name, "ls", "/sys/class/net"]);
    assert_eq!(sys_full, "exv0\nexv1\nlo\n");
}

/// A lab brought up with `nslab up` (state in a private directory), taken down in `Drop`.
struct Lab {
    name: String,
    hosts: Vec<String>,
    state: PathBuf,
}

impl Lab {
    fn up() -> Lab {
        let prefix = format!("{}-", unique("ex"));
        let state = std::env::temp_dir().join(format!("nslab-state-{prefix}"));
        std::fs::create_dir_all(&state).expect("state dir");
        let file = state.join("lab.toml");
        // h1's post-up commands show where they ran.
        let toml = format!(
            "name = \"lab\"\n\
             [[hosts]]\nname = \"h1\"\nexec = [[\"{NSLAB}\", \"identify\"], \"ls /sys/class/net\"]\n\
             [[hosts]]\nname = \"h2\"\n\
             [[links]]\na = {{ host = \"h1\", name = \"e0\", addrs = [\"10.0.0.1/24\"] }}\n\
             b = {{ host = \"h2\", name = \"e0\", addrs = [\"10.0.0.2/24\"] }}\n"
        );
        std::fs::write(&file, toml).expect("write lab file");
        let lab = Lab {
            name: format!("{prefix}lab"),
            hosts: vec![format!("{prefix}h1"), format!("{prefix}h2")],
            state,
        };
        let out = lab.nslab(&["up", file.to_str().expect("utf-8"), "--prefix", &prefix]);
        assert!(out.status.success(), "nslab up: {}", text(&out.stderr));
        // Post-up commands ran inside h1, entered like `ip netns exec` (its own /sys).
        assert_eq!(text(&out.stdout), format!("{}\ne0\nlo\n", lab.hosts[0]));
        lab
    }

    fn nslab(&self, args: &[&str]) -> Output {
        nslab()
            .env("NSLAB_STATE_DIR", &self.state)
            .args(args)
            .output()
            .expect("run nslab")
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.nslab(&["down", &self.name]);
        for h in &self.hosts {
            let _ = Command::new("ip")
                .args(["netns", "del", h])
                .stderr(Stdio::null())
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.state);
    }
}

#[test]
fn exec_lab_runs_in_each_host_under_a_header() {
    if !kernel_tests_allowed() {
        return;
    }
    let lab = Lab::up();
    let (h1, h2) = (&lab.hosts[0], &lab.hosts[1]);
    let out = lab.nslab(&["exec", "--lab", &lab.name, "--", NSLAB, "identify"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("\nnetns: {h1}\n{h1}\n\nnetns: {h2}\n{h2}\n")
    );

    // A failure in one host: the other still runs, the exit status is 1, stderr names it.
    let script = format!("test \"$({NSLAB} identify)\" != {h1} && echo ran");
    let out = lab.nslab(&["exec", "--lab", &lab.name, "sh", "-c", &script]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        format!("\nnetns: {h1}\n\nnetns: {h2}\nran\n")
    );
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&format!("{h1} (exit status 1)")), "{err}");

    // A lab that is not up.
    let out = lab.nslab(&["exec", "--lab", "ex-not-up", "true"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("ex-not-up"));
}

#[test]
fn exec_all_has_the_header_of_ip_all_netns_exec() {
    if !kernel_tests_allowed() {
        return;
    }
    let ns = Netns::new("ex");
    // Other namespaces on the machine may come and go while this runs: compare only the
    // block of ours.
    let block = |stdout: &str| {
        let header = format!("\nnetns: {}\n", ns.name);
        let start = stdout
            .find(&header)
            .unwrap_or_else(|| panic!("no {header:?} in {stdout}"));
        let rest = &stdout[start + header.len()..];
        let end = rest.find("\nnetns: ").unwrap_or(rest.len());
        format!("{header}{}", &rest[..end])
    };
    // A namespace of another test removed while a run walks /run/netns can cut that run
    // short (for nslab and for ip alike): run both again, a bounded number of times, until
    // both reached ours.
    let header = format!("\nnetns: {}\n", ns.name);
    let run_both = || {
        let ours = nslab()
            .args(["exec", "--all", "--", NSLAB, "identify"])
            .output()
            .expect("run");
        let ip = Command::new("ip")
            .args(["-all", "netns", "exec", NSLAB, "identify"])
            .output()
            .expect("ip");
        (ours, ip)
    };
    let (mut ours, mut ip) = run_both();
    for _ in 0..5 {
        if text(&ours.stdout).contains(&header) && text(&ip.stdout).contains(&header) {
            break;
        }
        (ours, ip) = run_both();
    }
    assert_eq!(block(&text(&ours.stdout)), block(&text(&ip.stdout)));
    assert_eq!(
        block(&text(&ours.stdout)),
        format!("\nnetns: {0}\n{0}\n", ns.name)
    );

    // Failing in one namespace makes the whole run fail (ip -all would exit 0).
    let script = format!("test \"$({NSLAB} identify)\" != {}", ns.name);
    let out = nslab()
        .args(["exec", "--all", "sh", "-c", &script])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains(&format!("{} (exit status 1)", ns.name)));
}

#[test]
fn shell_prompt_names_the_namespace() {
    if !kernel_tests_allowed() {
        return;
    }
    let ns = Netns::new("ex");
    // sh: PS1 and NSLAB_NETNS come from the environment nslab sets.
    let mut child = nslab()
        .args(["shell", &ns.name])
        .env("SHELL", "/bin/sh")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"echo \"$PS1|$NSLAB_NETNS\"; readlink /proc/self/ns/net\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    let inode = text(
        &Command::new("ip")
            .args(["netns", "exec", &ns.name, "readlink", "/proc/self/ns/net"])
            .output()
            .expect("ip")
            .stdout,
    );
    assert_eq!(text(&out.stdout), format!("({0}) # |{0}\n{inode}", ns.name));

    // bash, interactive on a pty (script(1)): the prompt it prints shows the name.
    let cmd = format!("{NSLAB} shell {}", ns.name);
    let mut child = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("SHELL", "/bin/bash")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn script (util-linux)");
    let mut stdin = child.stdin.take().expect("stdin");
    std::thread::sleep(std::time::Duration::from_millis(300));
    stdin
        .write_all(b"echo marker-$NSLAB_NETNS\n")
        .expect("write");
    std::thread::sleep(std::time::Duration::from_millis(300));
    stdin.write_all(b"exit\n").expect("write");
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    let screen = text(&out.stdout);
    assert!(
        screen.contains(&format!("({}) ", ns.name)),
        "no prompt with the name in {screen:?}"
    );
    assert!(
        screen.contains(&format!("marker-{}", ns.name)),
        "{screen:?}"
    );
}
