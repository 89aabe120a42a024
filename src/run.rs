//! The only place nslab spawns processes. Commands are data ([`Cmd`]): an argv, optional
//! stdin text and an optional namespace to enter; they render shell-quoted with `Display`,
//! which is what `--verbose` prints. No shell is ever involved: argv goes to execve as is.
//! Binaries are found with `which`; a missing one is an error naming the package to install.
//! Every spawn is counted, so `--verbose` can report the process cost of a command.

use crate::error::{Error, Exit, Result};
use crate::netns;
// Quoting belongs to the script backend; re-exported here for the `+ …` log and old paths.
pub use crate::shellword::quote as shell_quote;
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

static VERBOSE: AtomicBool = AtomicBool::new(false);
static SPAWNED: AtomicUsize = AtomicUsize::new(0);

/// Turn on printing of every spawned command line on stderr.
pub fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
    crate::progress::set_verbose(on);
}

/// Whether `--verbose` is on.
pub fn verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

/// How many processes this nslab process has spawned so far.
pub fn spawned() -> usize {
    SPAWNED.load(Ordering::Relaxed)
}

/// The Debian package that provides a binary nslab runs.
fn package_of(binary: &str) -> &'static str {
    match binary {
        "ip" | "bridge" | "tc" => "iproute2",
        "iperf3" => "iperf3 (apt-get install iperf3)",
        "ping" => "iputils-ping",
        "ifconfig" | "route" | "arp" | "netstat" => "net-tools",
        "update-alternatives" => "dpkg",
        "brctl" => "bridge-utils",
        "dot" => "graphviz",
        "ssh" => "openssh-client",
        _ => "the package that provides it",
    }
}

/// Find a binary on PATH (then in the sbin directories, which a non-root PATH may lack).
pub fn find_binary(binary: &str) -> Result<PathBuf> {
    static CACHE: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(p) = cache.lock().expect("binary cache").get(binary) {
        return Ok(p.clone());
    }
    let found = which::which(binary)
        .or_else(|_| which::which_in(binary, Some("/usr/sbin:/sbin:/usr/bin:/bin"), "/"));
    match found {
        Ok(p) => {
            cache
                .lock()
                .expect("binary cache")
                .insert(binary.to_string(), p.clone());
            Ok(p)
        }
        Err(_) => Err(Error::MissingBinary {
            binary: binary.to_string(),
            package: package_of(binary).to_string(),
        }),
    }
}

/// A command to run: data until [`Cmd::run`] is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cmd {
    pub program: String,
    pub args: Vec<String>,
    pub stdin: Option<String>,
    /// Enter this named network namespace (with `ip netns exec` semantics) before exec.
    pub netns: Option<String>,
    /// Enter only the network namespace (`nsenter --net`): no mount namespace of its own and
    /// no sysfs remounted, for `ip`/`tc` batches, which speak only netlink. Unsharing the
    /// mount namespace copies every mount, one per named namespace, so with thousands of
    /// namespaces `ip -n NS` costs milliseconds of kernel time per process.
    pub net_only: bool,
}

/// What a finished command left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub status: Option<Exit>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.status.is_none()
    }

    fn of(out: &std::process::Output) -> Output {
        Output {
            status: exit_of(out.status),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Where a spawned command's stdin comes from: nothing, or a pipe nslab writes (never
/// duct's own writer thread, which would kill nslab by SIGPIPE if the command stops reading:
/// see [`netns::write_to_child`]).
enum Stdin {
    Null,
    Pipe(std::io::PipeReader),
}

/// A command started by [`Cmd::start_held`], waiting for its stdin.
pub struct Held {
    cmd: Cmd,
    handle: duct::Handle,
    writer: Option<std::io::PipeWriter>,
}

impl Held {
    /// Write `text` to the command's stdin, close it, wait for the command to end, and
    /// report like [`Cmd::run`]. A command that stops reading early (`ip -batch` at a
    /// failing line, `ip -n NS` that cannot open NS) is reported by its status and stderr;
    /// one that exits successfully without reading all of `text` is an error too.
    pub fn feed(self, text: String) -> Result<Output> {
        let (cmd, out, unread) = self.finish(text)?;
        match (cmd.checked(out), unread) {
            (Ok(_), Some(e)) => Err(Error::io(
                format!("`{cmd}` exited before reading all its input"),
                e,
            )),
            (result, _) => result,
        }
    }

    /// Feed `text`, close stdin, wait: the command as run (with its stdin), what it left,
    /// and the error of a write it did not read to the end.
    fn finish(mut self, text: String) -> Result<(Cmd, Output, Option<std::io::Error>)> {
        if verbose() {
            eprintln!("+ {} <<EOF\n{}EOF", self.cmd, text);
        }
        let mut writer = self.writer.take().expect("stdin still held");
        let unread = netns::write_to_child(&mut writer, text.as_bytes()).err();
        drop(writer);
        self.cmd.stdin = Some(text);
        let out = self.handle.wait().map_err(|e| self.cmd.spawn_error(e))?;
        Ok((self.cmd, Output::of(out), unread))
    }

    /// Kill the command (SIGKILL) and reap it: for a server nslab no longer needs.
    pub fn kill(mut self) {
        if verbose() {
            eprintln!("+ kill {}", self.cmd);
        }
        drop(self.writer.take());
        let _ = self.handle.kill();
    }

    /// Close the command's stdin unwritten (an `ip -batch -` then does nothing and exits)
    /// and wait for it.
    pub fn abandon(mut self) {
        if verbose() {
            eprintln!("+ {} <<EOF\nEOF", self.cmd);
        }
        drop(self.writer.take());
        let _ = self.handle.wait();
    }
}

impl Cmd {
    pub fn new(program: impl Into<String>) -> Self {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            stdin: None,
            netns: None,
            net_only: false,
        }
    }

    /// `PROGRAM ARGS…` run in the network namespace `ns` (none: nslab's own), entered with
    /// `setns` alone (see [`Cmd::net_only`]): for `ip -batch` and `tc -batch`, whose lines
    /// are netlink requests and read nothing from /sys or /etc.
    pub fn net_tool(program: &str, ns: Option<&str>, args: &[&str]) -> Self {
        let mut c = Cmd::new(program).args(args);
        c.netns = ns.map(str::to_string);
        c.net_only = ns.is_some();
        c
    }

    /// `ip [-n NS] ARGS…`: the netns is passed to `ip` itself, not entered by nslab.
    pub fn ip(netns: Option<&str>, args: &[&str]) -> Self {
        let mut c = Cmd::new("ip");
        if let Some(ns) = netns {
            c = c.arg("-n").arg(ns);
        }
        c.args(args)
    }

    /// `tc [-n NS] ARGS…`: like [`Cmd::ip`], the netns is passed to `tc` itself.
    pub fn tc(netns: Option<&str>, args: &[&str]) -> Self {
        let mut c = Cmd::new("tc");
        if let Some(ns) = netns {
            c = c.arg("-n").arg(ns);
        }
        c.args(args)
    }

    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }

    pub fn args<S: AsRef<str>>(mut self, a: &[S]) -> Self {
        self.args.extend(a.iter().map(|s| s.as_ref().to_string()));
        self
    }

    pub fn stdin(mut self, text: impl Into<String>) -> Self {
        self.stdin = Some(text.into());
        self
    }

    pub fn in_netns(mut self, ns: impl Into<String>) -> Self {
        self.netns = Some(ns.into());
        self
    }

    /// The argv as strings, program first. A net-only command (see [`Cmd::net_tool`]) is
    /// shown as what it does, `ip -n NS …` (or `tc -n NS …`).
    pub fn argv(&self) -> Vec<String> {
        let ns = match (&self.netns, self.net_only) {
            (Some(ns), true) => vec!["-n".to_string(), ns.clone()],
            _ => vec![],
        };
        std::iter::once(self.program.clone())
            .chain(ns)
            .chain(self.args.iter().cloned())
            .collect()
    }

    /// Run and require success; a failure carries the argv, status and stderr. For an
    /// `ip -batch -` command the failing batch line is named too.
    pub fn run(&self) -> Result<Output> {
        match &self.stdin {
            Some(text) => self.start_held()?.feed(text.clone()),
            None => {
                let out = self.run_unchecked()?;
                self.checked(out)
            }
        }
    }

    /// Run and return whatever happened; only a failure to start is an error.
    pub fn run_unchecked(&self) -> Result<Output> {
        if let Some(text) = &self.stdin {
            return Ok(self.start_held()?.finish(text.clone())?.1);
        }
        let out = self
            .expression(Stdin::Null)?
            .run()
            .map_err(|e| self.spawn_error(e))?;
        Ok(Output::of(&out))
    }

    /// The duct expression for this command, printed first under `--verbose` and counted.
    fn expression(&self, stdin: Stdin) -> Result<duct::Expression> {
        let path = find_binary(&self.program)?;
        // A held command is shown when it is fed, with its input.
        if verbose() && matches!(stdin, Stdin::Null) {
            eprintln!("+ {self}");
        }
        let mut expr = duct::cmd(&path, &self.args)
            .stdout_capture()
            .stderr_capture()
            .unchecked();
        expr = match stdin {
            Stdin::Pipe(reader) => expr.stdin_file(reader),
            Stdin::Null => expr.stdin_null(),
        };
        let ns = self.netns.clone();
        let entry = if self.net_only {
            netns::Entry::NetOnly
        } else {
            netns::Entry::Full
        };
        expr = expr.before_spawn(move |command| {
            netns::prepare_child(command, ns.as_deref(), entry);
            Ok(())
        });
        SPAWNED.fetch_add(1, Ordering::Relaxed);
        Ok(expr)
    }

    fn spawn_error(&self, source: std::io::Error) -> Error {
        Error::Spawn {
            argv: self.argv(),
            source,
        }
    }

    /// A finished run as [`Cmd::run`] reports it: a failure carries argv, status, stderr and,
    /// for a batch, the failing line.
    fn checked(&self, out: Output) -> Result<Output> {
        match &out.status {
            None => Ok(out),
            Some(status) => Err(Error::Command {
                argv: self.argv(),
                status: status.clone(),
                line: self.failed_batch_line(&out.stderr),
                stderr: out.stderr.clone(),
            }),
        }
    }

    /// Start the command now, its stdin an empty pipe that nslab holds, and return at once.
    /// The process gets through its start-up (exec, dynamic loading, `ip -n`'s namespace
    /// switch) while nslab does other work, then waits for input: [`Held::feed`] gives it
    /// its stdin text and runs it to the end (`--verbose` shows it then, with that text).
    pub fn start_held(&self) -> Result<Held> {
        let (reader, writer) = std::io::pipe().map_err(|e| self.spawn_error(e))?;
        let handle = self
            .expression(Stdin::Pipe(reader))?
            .start()
            .map_err(|e| self.spawn_error(e))?;
        Ok(Held {
            cmd: self.clone(),
            handle,
            writer: Some(writer),
        })
    }

    /// [`Cmd::run`] for a short, read-only command in nslab's own namespace (no stdin): std's
    /// `posix_spawn` path (no pre-exec hook, so no fork of nslab and no parent-death signal,
    /// which a command that ends in milliseconds does not need) and both pipes read without
    /// helper threads. Measured 0.4 ms less for `nslab ifconfig -a` (best of 400 runs), which
    /// matters for the `ifconfig` display; anything else goes through [`Cmd::run`].
    pub fn run_light(&self) -> Result<Output> {
        if self.netns.is_some() || self.stdin.is_some() {
            return self.run();
        }
        let path = find_binary(&self.program)?;
        if verbose() {
            eprintln!("+ {self}");
        }
        SPAWNED.fetch_add(1, Ordering::Relaxed);
        let out = std::process::Command::new(&path)
            .args(&self.args)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| self.spawn_error(e))?;
        self.checked(Output::of(&out))
    }

    /// `ip -batch` and `tc -batch` report `Command failed -:N`; map N back to the line sent.
    fn failed_batch_line(&self, stderr: &str) -> Option<String> {
        let text = self.stdin.as_ref()?;
        let n: usize = stderr
            .lines()
            .find_map(|l| l.strip_prefix("Command failed -:"))?
            .trim()
            .parse()
            .ok()?;
        let line = text.lines().nth(n.checked_sub(1)?)?;
        let argv = self.argv();
        let mut shown = vec![self.program.clone()];
        let mut it = argv[1..].iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "-batch" => {
                    it.next();
                }
                "-force" => {}
                _ => shown.push(a.clone()),
            }
        }
        Some(format!("{} {}", shown.join(" "), line))
    }
}

/// How a [`Cmd::run_bounded`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bounded {
    /// It exited in time, successfully; what it printed.
    Finished(Output),
    /// It was still running when the time was up; it is left running.
    Running { pid: u32 },
}

/// An unlinked scratch file in the temporary directory: a place for a child's output that,
/// unlike a pipe, nobody has to drain and nobody waits on.
fn scratch_file() -> std::io::Result<std::fs::File> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir();
    loop {
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".nslab-{}-{n}", std::process::id()));
        match std::fs::File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => {
                let _ = std::fs::remove_file(&path);
                return Ok(f);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

fn read_back(mut f: std::fs::File) -> String {
    use std::io::{Read, Seek};
    let mut buf = Vec::new();
    let _ = f.rewind().and_then(|_| f.read_to_end(&mut buf));
    String::from_utf8_lossy(&buf).into_owned()
}

impl Cmd {
    /// Run a command that may start background jobs (a lab host's `exec`): stdin is
    /// /dev/null, stdout and stderr go to unlinked scratch files instead of pipes, so a job
    /// the command leaves behind holds nothing nslab reads, and nslab waits for the process
    /// itself only, at most `timeout`. A command still running then is left running (it does
    /// not die with nslab; `nslab down` ends it) and reported as [`Bounded::Running`]. A
    /// command that exits in time and fails is an error, as for [`Cmd::run`].
    pub fn run_bounded(&self, timeout: std::time::Duration) -> Result<Bounded> {
        let path = find_binary(&self.program)?;
        if verbose() {
            eprintln!("+ {self}");
        }
        let io = |e| self.spawn_error(e);
        let (out, err) = (scratch_file().map_err(io)?, scratch_file().map_err(io)?);
        let mut command = std::process::Command::new(&path);
        command
            .args(&self.args)
            .stdin(std::process::Stdio::null())
            .stdout(out.try_clone().map_err(io)?)
            .stderr(err.try_clone().map_err(io)?);
        netns::setup_child(
            &mut command,
            netns::ChildSetup {
                netns: self.netns.as_deref(),
                entry: netns::Entry::Full,
                die_with_parent: false,
                new_session: false,
            },
        );
        SPAWNED.fetch_add(1, Ordering::Relaxed);
        let mut child = command.spawn().map_err(io)?;
        drop(command);
        let start = std::time::Instant::now();
        let mut pause = std::time::Duration::from_millis(1);
        let status = loop {
            if let Some(status) = child.try_wait().map_err(io)? {
                break status;
            }
            if start.elapsed() >= timeout {
                return Ok(Bounded::Running { pid: child.id() });
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(std::time::Duration::from_millis(20));
        };
        let output = Output {
            status: exit_of(status),
            stdout: read_back(out),
            stderr: read_back(err),
        };
        self.checked(output).map(Bounded::Finished)
    }
}

/// What a detached process (a lab service's supervisor) starts with besides its argv.
pub struct Detached<'a> {
    pub env: &'a [(String, String)],
    pub cwd: Option<&'a str>,
    /// Its stdout and stderr (the service's log, opened for appending).
    pub log: std::fs::File,
}

impl Cmd {
    /// Start a lab service's supervisor inside the command's namespace (network, UTS and
    /// mounts, as for `nslab exec`), in a session of its own, stdin /dev/null, stdout and
    /// stderr to `how.log`, with `how.env` added and `how.cwd` as working directory, and
    /// return at once. It starts with a parent-death signal (so an `up` killed meanwhile
    /// takes it along) that it clears itself once it runs.
    pub fn start_detached(&self, how: Detached<'_>) -> Result<std::process::Child> {
        let path = find_binary(&self.program)?;
        if verbose() {
            eprintln!("+ {self} (detached)");
        }
        let io = |e| self.spawn_error(e);
        let mut command = std::process::Command::new(&path);
        command
            .args(&self.args)
            .stdin(std::process::Stdio::null())
            .stdout(how.log.try_clone().map_err(io)?)
            .stderr(how.log)
            .envs(how.env.iter().map(|(k, v)| (k, v)));
        if let Some(dir) = how.cwd {
            command.current_dir(dir);
        }
        netns::setup_child(
            &mut command,
            netns::ChildSetup {
                netns: self.netns.as_deref(),
                entry: netns::Entry::Full,
                die_with_parent: true,
                new_session: true,
            },
        );
        SPAWNED.fetch_add(1, Ordering::Relaxed);
        command.spawn().map_err(io)
    }

    /// Start the service a supervisor watches: in the supervisor's namespaces, session,
    /// environment, cwd and stdio (inherited), with signals unblocked.
    pub fn spawn_service(&self) -> Result<std::process::Child> {
        let path = find_binary(&self.program)?;
        let mut command = std::process::Command::new(&path);
        command.args(&self.args).stdin(std::process::Stdio::null());
        netns::supervise::service_child(&mut command);
        SPAWNED.fetch_add(1, Ordering::Relaxed);
        command.spawn().map_err(|e| self.spawn_error(e))
    }
}

/// Run `argv` inside the namespace `ns` (entered in the child, see `netns`) with nslab's own
/// stdin, stdout and stderr (streaming: nothing is captured), found by a PATH search as
/// execvp(3) does, and wait for it. `None` means success. For `nslab exec --lab/--all`.
pub fn run_inherited(
    argv: &[std::ffi::OsString],
    ns: &str,
    entry: netns::Entry,
) -> Result<Option<Exit>> {
    let shown = || {
        argv.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
    };
    if verbose() {
        let words: Vec<String> = shown().iter().map(|w| shell_quote(w)).collect();
        eprintln!("+ ip netns exec {} {}", shell_quote(ns), words.join(" "));
    }
    let mut command = std::process::Command::new(&argv[0]);
    command.args(&argv[1..]);
    netns::setup_child(
        &mut command,
        netns::ChildSetup {
            netns: Some(ns),
            entry,
            die_with_parent: false,
            new_session: false,
        },
    );
    SPAWNED.fetch_add(1, Ordering::Relaxed);
    let status = command.status().map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound if !argv[0].as_encoded_bytes().contains(&b'/') => {
            Error::Usage(format!("{}: command not found", argv[0].to_string_lossy()))
        }
        _ => Error::Spawn {
            argv: shown(),
            source,
        },
    })?;
    Ok(exit_of(status))
}

fn exit_of(status: std::process::ExitStatus) -> Option<Exit> {
    use std::os::unix::process::ExitStatusExt;
    if status.success() {
        None
    } else if let Some(code) = status.code() {
        Some(Exit::Code(code))
    } else {
        Some(Exit::Signal(status.signal().unwrap_or(0)))
    }
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A net-only command shows as its `ip -n NS …` equivalent (see `argv`).
        if let (Some(ns), false) = (&self.netns, self.net_only) {
            write!(f, "ip netns exec {} ", shell_quote(ns))?;
        }
        let words: Vec<String> = self.argv().iter().map(|w| shell_quote(w)).collect();
        write!(f, "{}", words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_only_what_needs_it() {
        let c = Cmd::new("ip").args(&["-n", "ns1", "addr", "add", "10.0.0.1/24", "it's"]);
        assert_eq!(c.to_string(), "ip -n ns1 addr add 10.0.0.1/24 'it'\\''s'");
    }

    #[test]
    fn missing_binary_names_the_package() {
        let e = find_binary("nslab-surely-missing-binary").unwrap_err();
        assert!(e.to_string().contains("not found: install"), "{e}");
    }
}
