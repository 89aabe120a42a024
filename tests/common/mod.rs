//! Shared helpers for integration tests: privilege check (a failure in CI, never a silent
//! skip), names unique to the run, namespace guards that clean up in `Drop`, the nslab
//! binary, and insta settings that put snapshots in the top-level `snapshots/`.
#![allow(dead_code)]

use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// True when tests may touch the kernel. Outside CI, a non-root run skips with a note; in CI
/// (`CI=true`) not being able to create a namespace is a failure.
pub fn kernel_tests_allowed() -> bool {
    let root = nix_is_root();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if !root {
        if ci {
            panic!("CI=true but tests are not running as root: cannot create namespaces");
        }
        eprintln!("skipping kernel test: not root");
        return false;
    }
    // Prove we can create a namespace at all.
    let probe = unique("tp");
    let ok = Command::new("ip")
        .args(["netns", "add", &probe])
        .status()
        .is_ok_and(|s| s.success());
    let _ = Command::new("ip").args(["netns", "del", &probe]).status();
    if !ok {
        if ci {
            panic!("CI=true but `ip netns add` fails: cannot create namespaces");
        }
        eprintln!("skipping kernel test: cannot create namespaces");
    }
    ok
}

fn nix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// A name unique to this test run: `prefix` (≤ 4 chars) + pid + a counter; ≤ 15 bytes.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    assert!(prefix.len() <= 4, "prefix too long");
    let name = format!(
        "{prefix}{}{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    assert!(name.len() <= 15, "{name} is too long");
    name
}

/// A named namespace, deleted (with everything in it) when dropped.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new(prefix: &str) -> Netns {
        let name = unique(prefix);
        run_ok("ip", &["netns", "add", &name]);
        Netns { name }
    }

    /// Run `ip -n NS ARGS…` and require success.
    pub fn ip(&self, args: &[&str]) -> String {
        let mut v = vec!["-n", &self.name];
        v.extend_from_slice(args);
        run_ok("ip", &v)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// Run a program and require success; returns stdout.
pub fn run_ok(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().expect("spawn");
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The nslab binary under test.
pub fn nslab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nslab"))
}

/// Run nslab with arguments.
pub fn nslab_run(args: &[&str]) -> Output {
    nslab().args(args).output().expect("spawn nslab")
}

/// Require that an nslab run succeeded (showing its output if not); returns its stdout.
pub fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "nslab failed ({:?}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// insta settings: snapshots live in the top-level `snapshots/` directory.
pub fn insta_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s
}

/// Every named namespace that exists now.
pub fn netns_list() -> Vec<String> {
    std::fs::read_dir("/run/netns")
        .map(|rd| {
            rd.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The path of a real system tool the differential tests compare with (`ifconfig`, `brctl`,
/// `ip`, `ping` …). Kernel tests run as root on a machine set up by `.ci/run`, so a missing
/// tool is a failure naming the package, never a silent skip.
pub fn real_tool(binary: &str) -> String {
    for dir in ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] {
        let p = std::path::Path::new(dir).join(binary);
        if p.exists() {
            return p.to_string_lossy().into_owned();
        }
    }
    let package = match binary {
        "ifconfig" | "route" | "arp" => "net-tools",
        "brctl" => "bridge-utils",
        "ip" | "bridge" => "iproute2",
        "ping" => "iputils-ping",
        _ => binary,
    };
    panic!("{binary} is required: apt-get install {package}");
}

/// A seed for generated tests: the number in environment variable `var` if set (to replay a
/// run), else one taken from the clock.
pub fn seed_from_env(var: &str) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        })
}

/// xorshift64*: a small deterministic generator, so a printed seed reproduces a generated run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        (self.below(100) as u64) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn pick_str<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// Takes a lab down in Drop (`nslab down ARGS…`), so a failed assertion still cleans up.
pub struct LabGuard {
    args: Vec<String>,
}

impl LabGuard {
    pub fn new(args: &[&str]) -> LabGuard {
        LabGuard {
            args: args.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl Drop for LabGuard {
    fn drop(&mut self) {
        let mut a = vec!["down".to_string()];
        a.extend(self.args.iter().cloned());
        let _ = nslab().args(&a).output();
    }
}

/// A lab file in the temp dir, removed on drop.
pub struct TempFile(pub std::path::PathBuf);

impl TempFile {
    pub fn new(text: &str) -> TempFile {
        let p = std::env::temp_dir().join(format!("{}.toml", unique("lab")));
        std::fs::write(&p, text).unwrap();
        TempFile(p)
    }

    pub fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Write a lab file for a test (removed when the returned guard drops).
pub fn write_lab(text: &str) -> TempFile {
    TempFile::new(text)
}

/// A directory under the temp dir, unique to the run, removed with its content when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(unique(tag));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One recording of a real tool (`compat/<tool>/<case>/` or `compat/classic/<tool>/<case>/`):
/// its directory, the arguments, and what the tool printed and returned (`stdout`, `stderr`,
/// `status`). The state files next to them are read with [`Recorded::read`].
#[derive(Clone)]
pub struct Recorded {
    pub name: String,
    pub dir: std::path::PathBuf,
    pub args: Vec<String>,
    pub want: nslab::legacy::ifconfig::Outcome,
}

impl Recorded {
    /// A file of the case (it must exist).
    pub fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.join(file))
            .unwrap_or_else(|e| panic!("{}/{file}: {e}", self.dir.display()))
    }

    /// A file of the case, if it has one.
    pub fn try_read(&self, file: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.join(file)).ok()
    }
}

/// Every recorded case under `root` (one directory each), in name order.
pub fn recordings(root: &std::path::Path) -> Vec<Recorded> {
    let mut dirs: Vec<std::path::PathBuf> = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let mut r = Recorded {
                name: dir.file_name().unwrap().to_string_lossy().into_owned(),
                dir,
                args: vec![],
                want: Default::default(),
            };
            r.args = r.read("args").lines().map(str::to_string).collect();
            r.want = nslab::legacy::ifconfig::Outcome {
                stdout: r.read("stdout"),
                stderr: r.read("stderr"),
                code: r.read("status").trim().parse().expect("status is a number"),
            };
            r
        })
        .collect()
}

/// An outcome as a diff-friendly text.
pub fn shown(o: &nslab::legacy::ifconfig::Outcome) -> String {
    format!(
        "--- stdout\n{}--- stderr\n{}--- status {}\n",
        o.stdout, o.stderr, o.code
    )
}

/// Require that `render` gives every case's recorded stdout, stderr and status byte for byte
/// (the recording is the expected output: no second copy); `label` names the dialect.
pub fn check_recorded(
    cases: &[Recorded],
    label: &str,
    render: impl Fn(&Recorded) -> nslab::legacy::ifconfig::Outcome,
) {
    let mut failed = Vec::new();
    for case in cases {
        let got = render(case);
        if got != case.want {
            failed.push(format!(
                "{} {:?}\n=== recorded ({label})\n{}=== nslab\n{}",
                case.name,
                case.args,
                shown(&case.want),
                shown(&got)
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} differ:\n{}",
        failed.len(),
        cases.len(),
        failed.join("\n")
    );
}
