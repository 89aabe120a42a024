//! Bringing labs up and down with state and rollback.
//!
//! Before the first change, `up` writes `/run/nslab/LAB.json`: the whole lab, hence every
//! namespace and root-namespace device that will exist. `down` works from that file alone,
//! so it needs no lab file and works after a partial `up` or one killed at any moment.
//! Changes happen under an exclusive `flock` on `/run/nslab/lock`. If a step fails, `up`
//! removes everything the lab would have created that exists now (nothing existed before:
//! validation refused any name already present) and reports the failing `ip` line.

use super::file::Lab;
use super::plan::{etc_file_names, plan_down, plan_forget, plan_post, plan_up};
use crate::backend::Backend;
use crate::error::{Error, IoContext, Result};
use crate::netns::check_name;
use crate::netns::procs::{self, Ended};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Directory of lab state files and the lock; `NSLAB_STATE_DIR` overrides it.
pub fn state_dir() -> PathBuf {
    crate::netns::run_dir()
}

/// What `/run/nslab/LAB.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    /// The lab file it came from, if any.
    pub source: Option<String>,
    pub lab: Lab,
    /// Namespaces and root-namespace devices that exist while the lab is up.
    pub namespaces: Vec<String>,
    pub root_devices: Vec<String>,
    /// The services `up` started, with their supervisors' PIDs (recorded as each starts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceRecord>,
}

/// A service `up` started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRecord {
    pub host: String,
    pub name: String,
    /// Its supervisor's PID.
    pub pid: u32,
}

impl State {
    pub fn of(lab: &Lab, source: Option<&str>) -> State {
        State {
            source: source.map(str::to_string),
            lab: lab.clone(),
            namespaces: lab.namespaces(),
            root_devices: lab.root_devices(),
            services: Vec::new(),
        }
    }

    /// The PID `up` recorded for a service's supervisor.
    pub fn service_pid(&self, host: &str, name: &str) -> Option<u32> {
        self.services
            .iter()
            .find(|s| s.host == host && s.name == name)
            .map(|s| s.pid)
    }

    fn path(name: &str) -> Result<PathBuf> {
        check_name(name).map_err(|m| Error::Usage(format!("bad lab name: {m}")))?;
        Ok(state_dir().join(format!("{name}.json")))
    }

    /// Read a lab's state, or `None` if the lab is not up.
    pub fn load(name: &str) -> Result<Option<State>> {
        let path = State::path(name)?;
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
                Error::lab(
                    path.display().to_string(),
                    format!("corrupt state file: {e}"),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path.display().to_string(), e)),
        }
    }

    /// Write atomically (temp file + rename) and durably enough for a crash of nslab.
    fn save(&self) -> Result<()> {
        let path = State::path(&self.lab.name)?;
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self).expect("state serializes");
        std::fs::write(&tmp, text).ctx_path(&tmp)?;
        std::fs::rename(&tmp, &path).ctx_path(&path)
    }

    fn remove(name: &str) -> Result<()> {
        let path = State::path(name)?;
        // A temp file left by an `up` killed between write and rename.
        let _ = std::fs::remove_file(path.with_extension("json.tmp"));
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::io(path.display().to_string(), e))
            }
            _ => Ok(()),
        }
    }

    /// Every lab that has a state file, sorted by name.
    pub fn all() -> Result<Vec<State>> {
        let mut out = Vec::new();
        for n in json_names(&state_dir()) {
            if let Some(s) = State::load(&n)? {
                out.push(s);
            }
        }
        Ok(out)
    }
}

/// The names of the `NAME.json` files in a directory, sorted (none if it cannot be read).
pub fn json_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|f| f.strip_suffix(".json").map(str::to_string))
            .collect(),
        Err(_) => vec![],
    };
    names.sort();
    names
}

/// The exclusive lock held while labs change; released when dropped (or when nslab dies).
pub struct Lock(#[allow(dead_code)] nix::fcntl::Flock<File>);

pub fn lock() -> Result<Lock> {
    let dir = state_dir();
    let path = dir.join("lock");
    // Changing labs needs root; say so rather than "Permission denied" on the lock file.
    let denied = |p: &Path, e: std::io::Error| match e.kind() {
        std::io::ErrorKind::PermissionDenied => Error::Usage(format!(
            "changing labs needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN): {}: {e}",
            p.display()
        )),
        _ => Error::io(p.display().to_string(), e),
    };
    std::fs::create_dir_all(&dir).map_err(|e| denied(&dir, e))?;
    let f = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| denied(&path, e))?;
    nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusive)
        .map(Lock)
        .map_err(|(_, e)| Error::io(path.display().to_string(), e.into()))
}

/// Refuse a lab whose namespaces or root-namespace devices already exist, or that is up.
pub fn check_free(lab: &Lab, backend: &mut dyn Backend) -> Result<()> {
    if State::load(&lab.name)?.is_some() {
        return Err(Error::Usage(format!(
            "lab `{}` is already up (see `nslab status`; `nslab down {}` removes it)",
            lab.name, lab.name
        )));
    }
    let existing = backend.namespaces()?;
    if let Some(h) = lab.namespaces().into_iter().find(|h| existing.contains(h)) {
        return Err(Error::Usage(format!(
            "lab `{}`: namespace `{h}` already exists (not created by this lab)",
            lab.name
        )));
    }
    for h in &lab.hosts {
        for file in etc_file_names(h) {
            let path = crate::backend::host::etc_path(Some(&h.name), file)?;
            if crate::backend::host::etc_is_foreign(&path) {
                return Err(Error::Usage(format!(
                    "lab `{}`: {} exists and was not written by nslab",
                    lab.name,
                    path.display()
                )));
            }
        }
    }
    let root = backend.root_links()?;
    if let Some(d) = lab.root_devices().into_iter().find(|d| root.contains(d)) {
        return Err(Error::Usage(format!(
            "lab `{}`: device `{d}` already exists in the root namespace",
            lab.name
        )));
    }
    Ok(())
}

/// Refuse a lab whose shaping needs a qdisc this kernel lacks (probed once per run).
pub fn check_qdiscs(lab: &Lab, backend: &mut dyn Backend) -> Result<()> {
    let shaped = lab.shaped_ends();
    if shaped.is_empty() {
        return Ok(());
    }
    crate::shape::require(&backend.qdisc_kinds()?, shaped.iter().map(|(_, _, s)| s))
}

/// Bring a validated lab up. On failure everything the lab would create is removed again.
pub fn up(lab: &Lab, source: Option<&str>, backend: &mut dyn Backend) -> Result<()> {
    let _lock = lock()?;
    check_free(lab, backend)?;
    check_qdiscs(lab, backend)?;
    let mut state = State::of(lab, source);
    state.save()?;
    let up = plan_up(lab);
    let post_ops = plan_post(lab);
    let hosts = lab.hosts.len();
    // Steps: each namespace made, each namespace's batches done, each host's work.
    let _bar = crate::progress::start(
        &format!("up {}", lab.name),
        (2 * hosts + post_ops.len()) as u64,
        hosts,
        false,
    );
    let result = super::neigh::raise_for(lab, backend)
        .map(|said| {
            if let Some(line) = said {
                eprintln!("nslab: {line}");
            }
        })
        .and_then(|()| {
            crate::progress::watch(
                || lab_namespaces(&state.namespaces, true),
                || backend.apply(&up),
            )
        })
        .and_then(|()| settle(lab, backend))
        .and_then(|()| post(&post_ops, &mut state, backend));
    if let Err(error) = result {
        return match teardown(&state, backend, DEFAULT_GRACE) {
            Ok(_) => Err(error),
            Err(undo) => Err(Error::Rollback {
                error: Box::new(error),
                undo: Box::new(undo),
            }),
        };
    }
    Ok(())
}

/// The host work of `up` ([`plan_post`]): runs of it in one apply (a run of `/etc/netns`
/// files is written for all hosts at once), each service start alone so that its
/// supervisor's PID goes into the state file as soon as it runs.
fn post(ops: &[crate::op::Op], state: &mut State, backend: &mut dyn Backend) -> Result<()> {
    let mut rest = ops;
    while !rest.is_empty() {
        let n = rest
            .iter()
            .position(|op| matches!(op, crate::op::Op::Start { .. }))
            .unwrap_or(rest.len());
        if n > 0 {
            backend.apply(&rest[..n])?;
            rest = &rest[n..];
            continue;
        }
        let op = &rest[0];
        backend.apply(std::slice::from_ref(op))?;
        if let crate::op::Op::Start {
            ns: Some(host),
            service,
        } = op
        {
            let st = super::service::Status::read(Path::new(&service.status));
            if let Some(st) = st {
                state.services.push(ServiceRecord {
                    host: host.clone(),
                    name: service.name.clone(),
                    pid: st.supervisor,
                });
                state.save()?;
            }
        }
        rest = &rest[1..];
    }
    Ok(())
}

/// How many of a lab's namespaces exist (`present`) or are gone: what a progress bar
/// counts while one `ip -batch` makes or removes them all.
fn lab_namespaces(names: &[String], present: bool) -> u64 {
    let now: std::collections::HashSet<String> = crate::netns::list().into_iter().collect();
    names.iter().filter(|n| now.contains(*n) == present).count() as u64
}

/// Make every lab device's link state current, so the lab forwards as soon as `up` returns.
fn settle(lab: &Lab, backend: &mut dyn Backend) -> Result<()> {
    let mut per_ns: Vec<(Option<String>, Vec<String>)> = Vec::new();
    let mut index: std::collections::HashMap<Option<String>, usize> = Default::default();
    let mut add = |ns: Option<String>, dev: &str| {
        let i = *index.entry(ns.clone()).or_insert_with(|| {
            per_ns.push((ns, Vec::new()));
            per_ns.len() - 1
        });
        per_ns[i].1.push(dev.to_string());
    };
    for b in &lab.bridges {
        add(b.host.clone(), &b.name);
    }
    for e in lab.ends() {
        add(lab.endpoint_ns(e), &e.name);
    }
    for t in lab.transit.iter() {
        for tunnel in &t.tunnels {
            for dev in tunnel.devices() {
                add(Some(t.name.clone()), &dev);
            }
        }
    }
    for (ns, devs) in &per_ns {
        backend.settle(ns.as_deref(), devs)?;
    }
    Ok(())
}

/// How long `down` waits after SIGTERM before SIGKILL, unless told (`--grace`).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(2);

/// End every process in the lab's namespaces, remove what a state lists and exists, then the
/// state file. A process that cannot be ended, or anything else that keeps a namespace of
/// the lab alive in the kernel, is an error (each printed, the last returned) and the state
/// file stays, so that `down` can be run again; everything else is still removed.
fn teardown(state: &State, backend: &mut dyn Backend, grace: Duration) -> Result<Ended> {
    let spaces = backend.spaces(&state.namespaces);
    // Services first (their supervisors pass SIGTERM on), then everything else.
    let first: Vec<i32> = state
        .services
        .iter()
        .filter(|s| spaces.iter().any(|sp| procs::alive_in(s.pid as i32, sp)))
        .map(|s| s.pid as i32)
        .collect();
    let ended = backend.end_processes(&spaces, &first, grace);
    let ops = plan_down(&state.lab, &backend.namespaces()?, &backend.root_links()?);
    let forget = plan_forget(&state.lab);
    let hosts = state.namespaces.len();
    // Steps: each namespace gone, each host file forgotten.
    let _bar = crate::progress::start(
        &format!("down {}", state.lab.name),
        (hosts + forget.len()) as u64,
        hosts,
        false,
    );
    let applied = if ops.is_empty() {
        Ok(())
    } else {
        crate::progress::watch(
            || lab_namespaces(&state.namespaces, false),
            || backend.apply(&ops),
        )
    };
    // A namespace file left half-made by a killed `ip netns add` may refuse `netns del`;
    // try once more one by one, then report what is left.
    let left: Vec<String> = backend
        .namespaces()?
        .into_iter()
        .filter(|n| state.namespaces.contains(n))
        .collect();
    for n in &left {
        crate::netns::remove_stale(n)?;
    }
    if let Err(e) = applied {
        let still = plan_down(&state.lab, &backend.namespaces()?, &backend.root_links()?);
        if !still.is_empty() {
            return Err(e);
        }
    }
    backend.apply(&forget)?;
    // The services' logs and status files go with the lab.
    let logs = super::service::lab_dir(&state.lab.name);
    match std::fs::remove_dir_all(&logs) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(Error::io(logs.display().to_string(), e))
        }
        _ => {}
    }
    if let Some((last, rest)) = ended.survivors.split_last() {
        for p in rest {
            eprintln!("nslab: {}", procs::survivor_error(p));
        }
        return Err(procs::survivor_error(last));
    }
    // The kernel frees a namespace when its last reference goes; give a reader that had it
    // open for a moment (another nslab's snapshot thread) time to let go.
    let mut held = backend.holders(&spaces);
    let start = std::time::Instant::now();
    while !held.is_empty() && start.elapsed() < Duration::from_millis(500) {
        std::thread::sleep(Duration::from_millis(20));
        held = backend.holders(&spaces);
    }
    if let Some((last, rest)) = held.split_last() {
        for h in rest {
            eprintln!("nslab: lab `{}`: {h}", state.lab.name);
        }
        return Err(Error::Netns {
            what: format!("lab `{}` is not down", state.lab.name),
            message: last.clone(),
        });
    }
    State::remove(&state.lab.name)?;
    if let Some(line) = super::neigh::release(&state.lab.name, backend)? {
        eprintln!("nslab: {line}");
    }
    Ok(ended)
}

/// What `down` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Down {
    /// Removed; the processes that were ended with it.
    Removed(Ended),
    NotUp,
}

/// Tear a lab down from its state file, ending its processes (SIGKILL after `grace`). A lab
/// that is not up is not an error.
pub fn down(name: &str, backend: &mut dyn Backend, grace: Duration) -> Result<Down> {
    let _lock = lock()?;
    match State::load(name)? {
        None => {
            State::remove(name)?;
            Ok(Down::NotUp)
        }
        Some(state) => teardown(&state, backend, grace).map(Down::Removed),
    }
}

/// Resolve `down`/`check`/`show` arguments: a path to a lab file, or a lab name.
pub fn lab_name_of(arg: &str, prefix: &str) -> Result<String> {
    if Path::new(arg).is_file() || arg.ends_with(".toml") || arg.ends_with(".json") {
        let lab = Lab::load(arg)?.with_prefix(prefix);
        Ok(lab.name)
    } else {
        Ok(format!("{prefix}{arg}"))
    }
}
