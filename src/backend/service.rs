//! A service's life on the machine (the runtime half of lab services, `[[hosts.services]]`;
//! planning and `ps`/`logs` are in `lab::service`): where its log and status files are,
//! starting its supervisor from a `Start` Op and waiting for readiness, the supervisor
//! itself, and the row `ps` and `show --json` print.
//!
//! Each service runs under a supervisor: nslab itself, re-executed as the hidden
//! `nslab __supervise STATUS [--on-failure] -- ARGV…`, started detached (a session of its
//! own, inside the host's network, UTS and mount namespaces, stdout and stderr to
//! `/run/nslab/LAB/HOST/SERVICE.log`). The supervisor starts the service as its child,
//! records the child's PID and, when it ends, how (`SERVICE.status`, JSON), and with
//! `restart = "on-failure"` starts it again after a back-off (0.1 s doubling to 5 s).
//! SIGTERM (what `down` sends services first) is passed on to the service, and the
//! supervisor ends with it. There is no daemon: the supervisor lives in the host's
//! namespace, so `down`, which ends every process there, ends it in any case.

use crate::error::{Error, IoContext, Result};
use crate::netns::procs;
use crate::op::{Readiness, ServiceSpec};
use crate::run::Cmd;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `/run/nslab/LAB`: the lab's service logs and status files, one directory per host.
pub fn lab_dir(lab: &str) -> PathBuf {
    crate::netns::run_dir().join(lab)
}

/// `/run/nslab/LAB/HOST/SERVICE.EXT`.
pub fn file_of(lab: &str, host: &str, service: &str, ext: &str) -> PathBuf {
    lab_dir(lab).join(host).join(format!("{service}.{ext}"))
}

pub fn log_path(lab: &str, host: &str, service: &str) -> PathBuf {
    file_of(lab, host, service, "log")
}

/// What a supervisor records in `SERVICE.status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// The supervisor's PID.
    pub supervisor: u32,
    /// The service's current (or last) PID.
    pub pid: Option<u32>,
    /// Its start time (`/proc/PID/stat`, clock ticks after boot).
    pub started: Option<u64>,
    /// How often it was started again.
    pub restarts: u32,
    /// How its last run ended (`exited 1`, `killed by SIGKILL`), `None` while it runs.
    pub exit: Option<String>,
    /// The exit code of its last run, when it exited.
    pub code: Option<i32>,
}

impl Status {
    pub fn read(path: &Path) -> Option<Status> {
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
    }

    /// Write atomically (temp file + rename): a reader never sees half a file.
    fn write(&self, path: &Path) {
        let tmp = path.with_extension("status.tmp");
        let text = serde_json::to_string(self).expect("status serializes");
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, path);
        }
    }
}

fn describe(status: std::process::ExitStatus) -> (String, Option<i32>) {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => (format!("exited {c}"), Some(c)),
        (None, Some(s)) => (
            format!("killed by {}", crate::netns::supervise::signal_name(s)),
            None,
        ),
        _ => ("ended".into(), None),
    }
}

/// `nslab __supervise STATUS [--on-failure] -- ARGV…`: run the service, record it, restart
/// it on failure if asked, pass SIGTERM/SIGINT/SIGHUP on and end with it.
pub fn supervise(status_path: &Path, on_failure: bool, argv: &[String]) -> Result<()> {
    use crate::netns::supervise::{wait_signal, Wake};
    crate::netns::supervise::become_supervisor().map_err(|e| Error::io("supervisor", e))?;
    let mut st = Status {
        supervisor: std::process::id(),
        ..Default::default()
    };
    let mut backoff = Duration::from_millis(100);
    let cmd = Cmd::new(&argv[0]).args(&argv[1..]);
    loop {
        let mut child = match cmd.spawn_service() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("nslab: {e}");
                st.exit = Some("not started".into());
                st.write(status_path);
                return Err(e);
            }
        };
        let began = Instant::now();
        st.pid = Some(child.id());
        st.started = procs::start_ticks(child.id() as i32);
        st.exit = None;
        st.code = None;
        st.write(status_path);
        let mut stopping = false;
        let ended = loop {
            match child.try_wait() {
                Ok(Some(s)) => break s,
                Ok(None) => {}
                Err(e) => return Err(Error::io("waitpid", e)),
            }
            match wait_signal(Duration::from_millis(200)) {
                Wake::Timeout | Wake::Child => {}
                Wake::Stop => {
                    stopping = true;
                    crate::netns::supervise::terminate(child.id());
                }
            }
        };
        let (how, code) = describe(ended);
        st.exit = Some(how.clone());
        st.code = code;
        st.write(status_path);
        eprintln!("nslab: {} {how}", argv[0]);
        if stopping || !on_failure || ended.success() {
            return Ok(());
        }
        if began.elapsed() > Duration::from_secs(10) {
            backoff = Duration::from_millis(100);
        }
        eprintln!("nslab: restarting in {:.1} s", backoff.as_secs_f64());
        let until = Instant::now() + backoff;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            if wait_signal(left) == Wake::Stop {
                return Ok(());
            }
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
        st.restarts += 1;
    }
}

/// `; log: LINE`, the last non-empty line of a log, for an error message (or nothing).
fn log_tail(log: &Path) -> String {
    let Ok(text) = std::fs::read(log) else {
        return String::new();
    };
    let text = String::from_utf8_lossy(&text);
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map_or(String::new(), |l| {
            format!("; log: {}", crate::error::escape_controls(l.trim()))
        })
}

/// Start a service in host `ns` (the `Start` Op) and wait until it is ready: its supervisor
/// has started it and, with a probe, the probe succeeded, within the timeout. A service that
/// ends first, or a probe that keeps failing, is an error naming the service, the probe and
/// the log's last line (the caller undoes the lab, which ends the service).
pub fn start(ns: &str, s: &ServiceSpec) -> Result<()> {
    let log = Path::new(&s.log);
    let dir = log.parent().expect("a directory");
    std::fs::create_dir_all(dir).ctx_path(dir)?;
    let status = Path::new(&s.status);
    let _ = std::fs::remove_file(status);
    let file = std::fs::File::options()
        .create(true)
        .append(true)
        .open(log)
        .ctx_path(log)?;
    let me = std::env::current_exe().map_err(|e| Error::io("/proc/self/exe", e))?;
    let mut args = vec!["__supervise".to_string(), s.status.clone()];
    if s.restart_on_failure {
        args.push("--on-failure".into());
    }
    args.push("--".into());
    args.extend(s.argv.iter().cloned());
    let cmd = Cmd::new(me.display().to_string()).args(&args).in_netns(ns);
    let mut child = cmd.start_detached(crate::run::Detached {
        env: &s.env,
        cwd: s.cwd.as_deref(),
        log: file,
    })?;
    let who = format!("service `{ns}.{}`", s.name);
    let timeout = Duration::from_millis(s.ready_timeout_ms);
    let start = Instant::now();
    let mut last_probe = String::from("not started");
    let mut pause = Duration::from_millis(5);
    loop {
        let ended = |how: String| {
            let tail = log_tail(log);
            Error::Service {
                message: format!("{who} {how} before it was ready{tail}"),
            }
        };
        let supervisor_gone = matches!(child.try_wait(), Ok(Some(_)));
        match (Status::read(status), &s.ready) {
            // The supervisor could not start it at all (`not started`).
            (
                Some(Status {
                    pid: None,
                    exit: Some(how),
                    ..
                }),
                _,
            ) => {
                let tail = log_tail(log);
                return Err(Error::Service {
                    message: format!("{who} could not be started ({how}){tail}"),
                });
            }
            // Without a probe, started is ready (a one-shot service may be done already).
            (Some(_), None) => return Ok(()),
            // An end before the probe succeeded fails `up`, unless the supervisor is
            // starting it again.
            (
                Some(Status {
                    exit: Some(how), ..
                }),
                Some(_),
            ) if supervisor_gone || !s.restart_on_failure => {
                return Err(ended(how));
            }
            (Some(Status { exit: Some(_), .. }), Some(_)) => last_probe = "restarting".into(),
            (Some(_), Some(r)) => match probe(ns, r, timeout.saturating_sub(start.elapsed())) {
                Ok(()) => return Ok(()),
                Err(why) => last_probe = why,
            },
            (None, _) if supervisor_gone => {
                let how = child.try_wait().ok().flatten().map(describe);
                return Err(ended(how.map_or("ended".into(), |h| h.0)));
            }
            (None, _) => {}
        }
        if start.elapsed() >= timeout {
            let tail = log_tail(log);
            let probe = match &s.ready {
                Some(Readiness::Tcp(a)) => format!("tcp {a}"),
                Some(Readiness::Command(c)) => format!("`{}`", c.join(" ")),
                None => "started".into(),
            };
            return Err(Error::Service {
                message: format!(
                    "{who} was not ready after {:.1} s ({probe}: {last_probe}){tail}",
                    timeout.as_secs_f64()
                ),
            });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// One readiness probe inside host `ns`: `Err` says why it is not ready.
fn probe(ns: &str, r: &Readiness, left: Duration) -> std::result::Result<(), String> {
    match r {
        Readiness::Tcp(addr) => {
            let addr: std::net::SocketAddr = addr.parse().map_err(|_| "bad address".to_string())?;
            let wait = left.clamp(Duration::from_millis(10), Duration::from_millis(500));
            crate::netns::in_netns(ns, || std::net::TcpStream::connect_timeout(&addr, wait))
                .map_err(|e| e.to_string())?
                .map(drop)
                .map_err(|e| e.to_string())
        }
        Readiness::Command(argv) => {
            let wait = left.clamp(Duration::from_millis(100), Duration::from_secs(5));
            match Cmd::new(&argv[0])
                .args(&argv[1..])
                .in_netns(ns)
                .run_bounded(wait)
            {
                Ok(crate::run::Bounded::Finished(_)) => Ok(()),
                Ok(crate::run::Bounded::Running { pid }) => Err(format!(
                    "still running after {:.1} s (pid {pid})",
                    wait.as_secs_f64()
                )),
                Err(e) => Err(e.to_string()),
            }
        }
    }
}

/// A service of a lab that is up, as `ps` lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Row {
    pub lab: String,
    pub host: String,
    pub service: String,
    /// The service's PID (its supervisor's while none runs).
    pub pid: Option<u32>,
    pub supervisor: Option<u32>,
    /// `running`, `exited N`, `killed by SIG…`, `restarting (exited N)`, `starting`, `gone`.
    pub state: String,
    pub restarts: u32,
    /// Seconds since the service (its current run) started, while it runs.
    pub uptime_secs: Option<f64>,
}
