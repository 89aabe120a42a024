//! The real backend. Ops are compiled into as few `ip` processes as possible: one
//! `ip -batch -` in the root namespace for namespaces and veth pairs, then one
//! `ip -n NS -batch -` per namespace touched (run concurrently), with sysctls written
//! in-process from a thread inside the namespace. The first namespaces' processes are started
//! while the root batch still runs and fed once it has succeeded, so their start-up is not on
//! the critical path. A snapshot is one `ip -j -d -s -s -batch -` per namespace.

use super::{batch, ipjson, tcjson, Backend};
use crate::error::Result;
use crate::model::Snapshot;
use crate::netns;
use crate::netns::procs::{self, Ended, Space};
use crate::op::Op;
use crate::run::{Cmd, Held};
use crate::shape;
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;
use std::time::Duration;

#[derive(Debug, Default)]
pub struct Iproute2;

/// The `ip` arguments of [`Backend::addr_snapshot`]: one process, links with addresses and
/// the detailed counters, no `-d` (link details cost time and the readers need none).
pub const ADDR_SNAPSHOT_ARGS: &[&str] = &["-j", "-s", "-s", "addr", "show"];

/// One unit of execution in a namespace: a batch of `ip` lines, an `ip` command of its own
/// (an Op whose words no batch line can carry, see [`batch`]), a batch of `tc` lines, or an
/// in-process sysctl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Batch {
        ns: Option<String>,
        lines: Vec<String>,
    },
    Argv {
        ns: Option<String>,
        args: Vec<String>,
    },
    Tc {
        ns: Option<String>,
        lines: Vec<String>,
    },
    Sysctl {
        ns: Option<String>,
        key: String,
        value: String,
    },
}

/// A stage: root-namespace steps first, then each namespace's steps (namespaces are
/// independent of each other within a stage, so they may run concurrently).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stage {
    pub root: Vec<Step>,
    pub per_ns: Vec<(Option<String>, Vec<Step>)>,
}

impl Stage {
    /// The root batch's lines when the root steps are one batch (the usual case).
    pub fn root_batch(&self) -> Option<&[String]> {
        match self.root.as_slice() {
            [Step::Batch { lines, .. }] => Some(lines),
            _ => None,
        }
    }
}

/// Add an Op's `ip` words to `steps`: as a line of the last batch (or a new one), or, when
/// no batch line can carry them, as a command of its own.
fn push_words(steps: &mut Vec<Step>, ns: &Option<String>, args: Vec<String>) {
    match (batch::line(&args), steps.last_mut()) {
        (Ok(line), Some(Step::Batch { lines, .. })) => lines.push(line),
        (Ok(line), _) => steps.push(Step::Batch {
            ns: ns.clone(),
            lines: vec![line],
        }),
        (Err(_), _) => steps.push(Step::Argv {
            ns: ns.clone(),
            args,
        }),
    }
}

/// Compile Ops into stages. Root-namespace Ops go into the root batch. A new stage starts when a root-level Op follows namespace Ops,
/// or when an Op moves a device between namespaces (later Ops may depend on the move).
pub fn compile(ops: &[Op]) -> Vec<Stage> {
    let mut stages = vec![Stage::default()];
    // The current stage's namespaces → their place in its `per_ns`.
    let mut index: HashMap<Option<String>, usize> = HashMap::new();
    for op in ops {
        let cur = stages.last_mut().expect("one stage");
        if op.is_root_level() {
            if !cur.per_ns.is_empty() {
                stages.push(Stage::default());
                index.clear();
            }
            let args = op.ip_args().expect("root-level ops are ip commands");
            push_words(&mut stages.last_mut().expect("stage").root, &None, args);
            continue;
        }
        // Root-namespace Ops join the root batch: they are ordered among themselves and
        // independent of the other namespaces' Ops in the same stage.
        if let (None, Some(args)) = (op.ns(), op.ip_args()) {
            push_words(&mut cur.root, &None, args);
            continue;
        }
        let ns = op.ns().map(str::to_string);
        let idx = *index.entry(ns.clone()).or_insert_with(|| {
            cur.per_ns.push((ns.clone(), Vec::new()));
            cur.per_ns.len() - 1
        });
        let steps = &mut cur.per_ns[idx].1;
        match (op, op.ip_args()) {
            (Op::Sysctl { key, value, .. }, _) => steps.push(Step::Sysctl {
                ns: ns.clone(),
                key: key.clone(),
                value: value.clone(),
            }),
            (_, Some(args)) => push_words(steps, &ns, args),
            (op, None) => {
                let tc = op
                    .tc_lines()
                    .expect("host work is applied apart from the batches; only qdiscs reach here");
                let tc = tc.into_iter().map(|l| l.join(" "));
                match steps.last_mut() {
                    Some(Step::Tc { lines, .. }) => lines.extend(tc),
                    _ => steps.push(Step::Tc {
                        ns: ns.clone(),
                        lines: tc.collect(),
                    }),
                }
            }
        }
        if matches!(op, Op::MoveToNetns { .. }) {
            stages.push(Stage::default());
            index.clear();
        }
    }
    stages.retain(|s| !s.root.is_empty() || !s.per_ns.is_empty());
    stages
}

/// The `ip` command for a batch in a namespace.
///
/// The namespace is entered with `setns` alone ([`Cmd::net_tool`]), not by `ip -n NS`, whose
/// mount-namespace copy costs time in proportion to the number of namespaces: a batch is
/// netlink requests only.
pub fn batch_cmd(ns: Option<&str>, lines: &[String]) -> Cmd {
    Cmd::net_tool("ip", ns, &["-batch", "-"]).stdin(batch_text(lines))
}

/// A batch's lines as `ip -batch -` reads them.
pub fn batch_text(lines: &[String]) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

fn run_steps(steps: &[Step]) -> Result<()> {
    for step in steps {
        match step {
            Step::Batch { ns, lines } => {
                batch_cmd(ns.as_deref(), lines).run()?;
            }
            Step::Argv { ns, args } => {
                Cmd::ip(ns.as_deref(), &[]).args(args).run()?;
            }
            Step::Tc { ns, lines } => {
                Cmd::net_tool("tc", ns.as_deref(), &["-batch", "-"])
                    .stdin(batch_text(lines))
                    .run()?;
            }
            Step::Sysctl { ns, key, value } => netns::write_sysctl(ns.as_deref(), key, value)?,
        }
    }
    Ok(())
}

/// Counts one step of the progress bar when dropped (a namespace's work ended).
struct Counted;

impl Drop for Counted {
    fn drop(&mut self) {
        crate::progress::inc(1);
    }
}

/// How many namespaces' batches run at once.
fn parallelism() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
}

/// Run each namespace's steps, namespaces concurrently: [`parallelism`] workers take the
/// namespaces in order, each as soon as it is free (no waiting for the slowest of a group).
/// A namespace whose `ip` was started early (see [`root_with_early_starts`]) gets its first
/// batch fed to that process. After a failure no further namespace is started; the first
/// error is returned.
fn run_concurrently(
    per_ns: &[(Option<String>, Vec<Step>)],
    mut early: Vec<Option<Held>>,
) -> Result<()> {
    early.resize_with(per_ns.len(), || None);
    let run_one = |steps: &[Step], held: Option<Held>| -> Result<()> {
        let _counted = Counted;
        match (held, steps.split_first()) {
            (Some(held), Some((Step::Batch { lines, .. }, rest))) => {
                held.feed(batch_text(lines))?;
                run_steps(rest)
            }
            (held, _) => {
                if let Some(h) = held {
                    h.abandon();
                }
                run_steps(steps)
            }
        }
    };
    if per_ns.len() == 1 {
        return run_one(&per_ns[0].1, early.pop().flatten());
    }
    let early: Vec<std::sync::Mutex<Option<Held>>> =
        early.into_iter().map(std::sync::Mutex::new).collect();
    let abandon = |i: usize| {
        if let Some(h) = early[i].lock().expect("early start").take() {
            h.abandon();
        }
    };
    pool(
        per_ns.len(),
        |i| run_one(&per_ns[i].1, early[i].lock().expect("early start").take()),
        abandon,
    )
}

/// Run `work(0..n)` on [`parallelism`] workers, each taking the next index as soon as it is
/// free. After a failure no further work starts (`skipped(i)` is called for each index not
/// run); the error of the lowest index is returned.
fn pool(
    n: usize,
    work: impl Fn(usize) -> Result<()> + Sync,
    skipped: impl Fn(usize) + Sync,
) -> Result<()> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let errors: std::sync::Mutex<Vec<(usize, crate::error::Error)>> = Default::default();
    std::thread::scope(|s| {
        for _ in 0..parallelism().min(n) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Relaxed);
                if i >= n {
                    break;
                }
                if failed.load(Relaxed) {
                    skipped(i);
                    continue;
                }
                if let Err(e) = work(i) {
                    failed.store(true, Relaxed);
                    errors.lock().expect("errors").push((i, e));
                }
            });
        }
    });
    let mut errors = errors.into_inner().expect("errors");
    errors.sort_by_key(|(i, _)| *i);
    match errors.into_iter().next() {
        Some((_, e)) => Err(e),
        None => Ok(()),
    }
}

/// A run of `/etc/netns` file work (writes and removals; no commands), namespaces
/// concurrently: a lab of thousands of hosts has thousands of these files, and the file
/// system handles different directories in parallel. Each namespace's files stay in order.
fn apply_etc_files(ops: &[Op]) -> Result<()> {
    let mut groups: Vec<Vec<&Op>> = Vec::new();
    let mut index: HashMap<Option<&str>, usize> = HashMap::new();
    for op in ops {
        let i = *index.entry(op.ns()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[i].push(op);
    }
    pool(
        groups.len(),
        |i| {
            for op in &groups[i] {
                super::host::apply(op)?;
                crate::progress::inc(1);
            }
            Ok(())
        },
        |_| {},
    )
}

/// The root batch, with the first namespaces' `ip -n NS -batch -` processes started while it
/// runs: each as soon as the root batch has made its namespace, so that its start-up (exec,
/// loading, namespace switch; about 2 ms of CPU each) overlaps the root batch's kernel work
/// instead of following it. They get their input only when the root batch has succeeded; if
/// it fails they get none and exit having done nothing. Same processes, same order of
/// changes, less waiting.
fn root_with_early_starts(
    root: &[String],
    first: &[(Option<String>, Vec<Step>)],
) -> Result<Vec<Option<Held>>> {
    std::thread::scope(|s| {
        let root_run = s.spawn(|| batch_cmd(None, root).run());
        let mut early = Vec::new();
        for (ns, steps) in first {
            let (Some(name), Some(Step::Batch { .. })) = (ns, steps.first()) else {
                break;
            };
            while !netns::is_mounted(name) && !root_run.is_finished() {
                std::thread::sleep(std::time::Duration::from_micros(100));
            }
            // The root batch ended without making it (it failed, or the name is made later):
            // start no more early; they run after it as usual.
            if !netns::is_mounted(name) {
                break;
            }
            match Cmd::net_tool("ip", Some(name), &["-batch", "-"]).start_held() {
                Ok(held) => early.push(Some(held)),
                Err(_) => break,
            }
        }
        match root_run.join().expect("root batch thread panicked") {
            Ok(_) => Ok(early),
            Err(e) => {
                early.into_iter().flatten().for_each(Held::abandon);
                Err(e)
            }
        }
    })
}

impl Iproute2 {
    /// Apply Ops that are all `ip` commands or sysctls.
    fn apply_kernel(&mut self, ops: &[Op]) -> Result<()> {
        for stage in compile(ops) {
            let first = &stage.per_ns[..parallelism().min(stage.per_ns.len())];
            let early = match stage.root_batch() {
                Some(root) if !first.is_empty() => root_with_early_starts(root, first)?,
                _ => {
                    run_steps(&stage.root)?;
                    Vec::new()
                }
            };
            if !stage.per_ns.is_empty() {
                run_concurrently(&stage.per_ns, early)?;
            }
        }
        Ok(())
    }
}

impl Backend for Iproute2 {
    /// Kernel changes are compiled into batches; host work (commands, services) runs in
    /// order between them, after everything listed before it (a run of `/etc/netns` files,
    /// namespaces concurrently).
    fn apply(&mut self, ops: &[Op]) -> Result<()> {
        let mut rest = ops;
        while !rest.is_empty() {
            let n = rest.iter().position(Op::is_host_work).unwrap_or(rest.len());
            if n > 0 {
                self.apply_kernel(&rest[..n])?;
            }
            rest = &rest[n..];
            let files = rest
                .iter()
                .position(|op| !matches!(op, Op::WriteEtc { .. } | Op::DelEtc { .. }))
                .unwrap_or(rest.len());
            if files > 0 {
                apply_etc_files(&rest[..files])?;
                rest = &rest[files..];
            } else if let Some(op) = rest.first() {
                super::host::apply(op)?;
                crate::progress::inc(1);
                rest = &rest[1..];
            }
        }
        Ok(())
    }

    fn snapshot(&mut self, ns: Option<&str>) -> Result<Snapshot> {
        let out = Cmd::ip(ns, &["-j", "-d", "-s", "-s", "-batch", "-"])
            .stdin("addr show\nroute show table all\nnetns list-id\n")
            .run()?;
        let docs = ipjson::documents("ip -j -d -s -s addr show", &out.stdout)?;
        ipjson::snapshot_from(ns, docs)
    }

    /// One `ip -j -s -s -batch -` process: the Ops' lines, then `addr show`. `ip` stops at
    /// a failing line, so the JSON only comes when every Op succeeded.
    fn apply_then_addr_snapshot(&mut self, ns: Option<&str>, ops: &[Op]) -> Result<Snapshot> {
        let lines: Option<Vec<String>> = ops
            .iter()
            .map(
                |op| match (op.is_root_level(), op.ns() == ns, op.ip_args()) {
                    (false, true, Some(args)) => batch::line(&args).ok(),
                    _ => None,
                },
            )
            .collect();
        let Some(mut lines) = lines else {
            self.apply(ops)?;
            return self.addr_snapshot(ns);
        };
        lines.push("addr show".to_string());
        let mut args: Vec<&str> = ADDR_SNAPSHOT_ARGS[..3].to_vec();
        args.extend(["-batch", "-"]);
        let out = Cmd::ip(ns, &args).stdin(lines.join("\n") + "\n").run()?;
        let docs = ipjson::documents("ip -j -s -s addr show", &out.stdout)?;
        ipjson::snapshot_from(ns, docs)
    }

    fn addr_snapshot(&mut self, ns: Option<&str>) -> Result<Snapshot> {
        let out = Cmd::ip(ns, ADDR_SNAPSHOT_ARGS).run_light()?;
        let docs = ipjson::documents("ip -j -s -s addr show", &out.stdout)?;
        ipjson::snapshot_from(ns, docs)
    }

    fn snapshots(&mut self, names: &[Option<String>]) -> Result<Vec<Snapshot>> {
        let mut out = Vec::with_capacity(names.len());
        for chunk in names.chunks(parallelism()) {
            let got: Vec<Result<Snapshot>> = std::thread::scope(|s| {
                let hs: Vec<_> = chunk
                    .iter()
                    .map(|n| s.spawn(move || Iproute2.snapshot(n.as_deref())))
                    .collect();
                hs.into_iter()
                    .map(|h| h.join().expect("snapshot thread panicked"))
                    .collect()
            });
            for g in got {
                out.push(g?);
            }
        }
        Ok(out)
    }

    fn neighbours(&mut self, ns: Option<&str>) -> Result<Vec<crate::model::Neigh>> {
        let out = Cmd::ip(ns, &["-4", "-j", "-batch", "-"])
            .stdin("neigh show\nneigh show proxy\n")
            .run()?;
        ipjson::neighbours_from(ipjson::documents("ip -4 -j neigh show", &out.stdout)?)
    }

    fn settle(&mut self, ns: Option<&str>, devs: &[String]) -> Result<()> {
        netns::sync_links(ns, devs)
    }

    /// Probed once per run: one `tc -force -batch -` in a namespace of its own that adds
    /// and deletes each kind on its `lo` (the kernel loads a qdisc module on demand, so a
    /// kind that is built as a module counts as present).
    fn qdisc_kinds(&mut self) -> Result<BTreeSet<String>> {
        static PROBED: OnceLock<BTreeSet<String>> = OnceLock::new();
        if let Some(k) = PROBED.get() {
            return Ok(k.clone());
        }
        let probe =
            Cmd::tc(None, &["-force", "-batch", "-"]).stdin(batch_text(&shape::probe_lines()));
        let out = netns::in_new_netns(|| probe.run_unchecked())??;
        let kinds = shape::probe_result(&out.stderr);
        // pfifo is part of every kernel's core (sch_fifo): when even it fails, tc failed for
        // another reason (no privilege, say), which must not pass for a kernel without qdiscs.
        if !kinds.contains("pfifo") {
            return Err(crate::error::Error::Command {
                argv: probe.argv(),
                status: out.status.clone().expect("failed"),
                stderr: out.stderr,
                line: None,
            });
        }
        Ok(PROBED.get_or_init(|| kinds).clone())
    }

    fn shapings(&mut self, ns: Option<&str>) -> Result<Vec<shape::Shaping>> {
        let out = Cmd::tc(ns, &["-j", "qdisc", "show"]).run()?;
        Ok(tcjson::shapings(&tcjson::parse(&out.stdout)?))
    }

    fn namespaces(&mut self) -> Result<Vec<String>> {
        Ok(netns::list())
    }

    fn spaces(&mut self, names: &[String]) -> Vec<Space> {
        procs::spaces(names)
    }

    fn end_processes(&mut self, spaces: &[Space], first: &[i32], grace: Duration) -> Ended {
        procs::end(spaces, first, grace)
    }

    fn holders(&mut self, spaces: &[Space]) -> Vec<String> {
        procs::holders(spaces)
    }

    fn root_links(&mut self) -> Result<Vec<String>> {
        // /sys/class/net of the sysfs mounted for nslab's own namespace: no process needed.
        let mut v: Vec<String> = std::fs::read_dir("/sys/class/net")
            .map_err(|e| crate::error::Error::io("/sys/class/net", e))?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        v.sort();
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::{Placed, RouteSpec};

    fn ns(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn namespaces_and_veths_share_one_root_batch_then_one_batch_per_namespace() {
        let ops = vec![
            Op::AddNetns { name: "a".into() },
            Op::AddNetns { name: "b".into() },
            Op::AddVeth {
                a: Placed {
                    ns: ns("a"),
                    name: "v0".into(),
                },
                b: Placed {
                    ns: ns("b"),
                    name: "v1".into(),
                },
            },
            Op::SetUp {
                ns: ns("a"),
                dev: "v0".into(),
                up: true,
            },
            Op::SetUp {
                ns: ns("b"),
                dev: "v1".into(),
                up: true,
            },
            Op::AddRoute {
                ns: ns("a"),
                route: RouteSpec {
                    dst: "default".into(),
                    via: Some("10.0.0.1".into()),
                    ..Default::default()
                },
            },
            Op::Sysctl {
                ns: ns("b"),
                key: "net.ipv4.ip_forward".into(),
                value: "1".into(),
            },
        ];
        let stages = compile(&ops);
        assert_eq!(stages.len(), 1);
        assert_eq!(stages[0].root_batch().unwrap().len(), 3);
        assert_eq!(stages[0].per_ns.len(), 2);
        assert_eq!(
            stages[0].per_ns[0].1,
            vec![Step::Batch {
                ns: ns("a"),
                lines: vec![
                    "link set dev v0 up".into(),
                    "route add default via 10.0.0.1".into()
                ]
            }]
        );
        assert_eq!(stages[0].per_ns[1].1.len(), 2);
    }

    #[test]
    fn a_root_op_after_namespace_ops_starts_a_new_stage() {
        let ops = vec![
            Op::SetUp {
                ns: ns("a"),
                dev: "lo".into(),
                up: true,
            },
            Op::DelNetns { name: "a".into() },
        ];
        assert_eq!(compile(&ops).len(), 2);
    }
}
