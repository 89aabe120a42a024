//! A backend that prints what the iproute2 backend would run instead of running it: the
//! output of `--dry-run`. Each batch is shown as `ip [-n NS] -batch - <<'EOF'` followed by
//! exactly the lines `ip` reads (the iproute2 backend's own [`compile`] and batch text, so the
//! two cannot differ), then `EOF`: a runnable shell script. [`Script::render`] is the other
//! form, one standalone shell-quoted command per Op, which `migrate` emits. Snapshots come
//! from an optional inner backend (so a dry run can still validate against the live
//! system), or are empty.

use super::iproute2::{batch_text, compile, Step};
use super::Backend;
use crate::error::Result;
use crate::model::Snapshot;
use crate::op::Op;
use crate::run::Cmd;
use std::fmt;
use std::io::Write;

pub struct Script<'a> {
    out: Box<dyn Write + 'a>,
    reader: Option<&'a mut dyn Backend>,
}

impl<'a> Script<'a> {
    /// Print to `out`; read state through `reader` if given.
    pub fn new(out: impl Write + 'a, reader: Option<&'a mut dyn Backend>) -> Self {
        Script {
            out: Box::new(out),
            reader,
        }
    }

    /// The script text for a list of Ops, one standalone shell command per line.
    pub fn render(ops: &[Op]) -> String {
        ops.iter().map(|op| format!("{op}\n")).collect()
    }

    /// What the iproute2 backend runs for these Ops, as a shell script: one here-document per
    /// `ip -batch` process holding exactly the text that process reads, one shell-quoted
    /// command per Op run on its own, and sysctls as `sysctl` commands.
    pub fn batches(ops: &[Op]) -> String {
        let mut out = String::new();
        // Host work (files under /etc/netns, commands) runs between the batches, in order,
        // as the iproute2 backend runs it: each as its own shell line.
        for group in ops.split_inclusive(Op::is_host_work) {
            let (kernel, host) = match group.split_last() {
                Some((last, kernel)) if last.is_host_work() => (kernel, Some(last)),
                _ => (group, None),
            };
            out.push_str(&Script::kernel_batches(kernel));
            if let Some(op) = host {
                out.push_str(&format!("{op}\n"));
            }
        }
        out
    }

    fn kernel_batches(ops: &[Op]) -> String {
        let mut out = String::new();
        for stage in compile(ops) {
            let per_ns = stage.per_ns.iter().flat_map(|(_, steps)| steps);
            for step in stage.root.iter().chain(per_ns) {
                match step {
                    Step::Batch { ns, lines } => {
                        let cmd = Cmd::ip(ns.as_deref(), &["-batch", "-"]);
                        out.push_str(&format!("{cmd} <<'EOF'\n{}EOF\n", batch_text(lines)));
                    }
                    Step::Argv { ns, args } => {
                        out.push_str(&format!("{}\n", Cmd::ip(ns.as_deref(), &[]).args(args)));
                    }
                    Step::Tc { ns, lines } => {
                        let cmd = Cmd::tc(ns.as_deref(), &["-batch", "-"]);
                        out.push_str(&format!("{cmd} <<'EOF'\n{}EOF\n", batch_text(lines)));
                    }
                    Step::Sysctl { ns, key, value } => {
                        let op = Op::Sysctl {
                            ns: ns.clone(),
                            key: key.clone(),
                            value: value.clone(),
                        };
                        out.push_str(&format!("{op}\n"));
                    }
                }
            }
        }
        out
    }
}

impl Backend for Script<'_> {
    fn apply(&mut self, ops: &[Op]) -> Result<()> {
        self.out
            .write_all(Script::batches(ops).as_bytes())
            .map_err(|e| crate::error::Error::io("stdout", e))
    }

    fn snapshot(&mut self, netns: Option<&str>) -> Result<Snapshot> {
        match &mut self.reader {
            Some(r) => r.snapshot(netns),
            None => Ok(Snapshot {
                netns: netns.map(str::to_string),
                links: vec![],
                routes: vec![],
                nsids: Default::default(),
            }),
        }
    }

    fn qdisc_kinds(&mut self) -> Result<std::collections::BTreeSet<String>> {
        match &mut self.reader {
            Some(r) => r.qdisc_kinds(),
            None => Ok(crate::shape::KINDS.iter().map(|k| k.to_string()).collect()),
        }
    }

    fn shapings(&mut self, netns: Option<&str>) -> Result<Vec<crate::shape::Shaping>> {
        match &mut self.reader {
            Some(r) => r.shapings(netns),
            None => Ok(Vec::new()),
        }
    }

    fn neighbours(&mut self, netns: Option<&str>) -> Result<Vec<crate::model::Neigh>> {
        match &mut self.reader {
            Some(r) => r.neighbours(netns),
            None => Ok(vec![]),
        }
    }

    fn namespaces(&mut self) -> Result<Vec<String>> {
        match &mut self.reader {
            Some(r) => r.namespaces(),
            None => Ok(vec![]),
        }
    }

    fn root_links(&mut self) -> Result<Vec<String>> {
        match &mut self.reader {
            Some(r) => r.root_links(),
            None => Ok(vec![]),
        }
    }
}

/// Quote a word for a POSIX shell, only when needed.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%+,".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Renders the Op as one standalone shell command (what `--dry-run` and `migrate` print).
impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quoted = |v: Vec<String>| {
            v.iter()
                .map(|w| shell_quote(w))
                .collect::<Vec<_>>()
                .join(" ")
        };
        match (self.ip_args(), self) {
            (Some(args), op) => {
                write!(f, "ip ")?;
                if let (false, Some(ns)) = (op.is_root_level(), op.ns()) {
                    write!(f, "-n {} ", shell_quote(ns))?;
                }
                write!(f, "{}", quoted(args))
            }
            (None, Op::Sysctl { ns, key, value }) => {
                if let Some(ns) = ns {
                    write!(f, "ip netns exec {} ", shell_quote(ns))?;
                }
                write!(f, "sysctl -qw {}", shell_quote(&format!("{key}={value}")))
            }
            (None, Op::Run { ns, argv, .. }) => {
                if let Some(ns) = ns {
                    write!(f, "ip netns exec {} ", shell_quote(ns))?;
                }
                write!(f, "{}", quoted(argv.clone()))
            }
            (None, Op::WriteEtc { ns, file, text }) => {
                let dir = format!("/etc/netns/{}", ns.as_deref().unwrap_or(""));
                write!(
                    f,
                    "mkdir -p {0} && printf %s {1} > {0}/{2}",
                    shell_quote(&dir),
                    shell_quote(text),
                    shell_quote(file)
                )
            }
            (None, Op::DelEtc { ns, file }) => {
                let dir = format!("/etc/netns/{}", ns.as_deref().unwrap_or(""));
                write!(
                    f,
                    "rm -f {0}/{1}; rmdir {0} 2>/dev/null",
                    shell_quote(&dir),
                    shell_quote(file)
                )
            }
            (None, op) => {
                let lines = op
                    .tc_lines()
                    .expect("only sysctl and qdiscs have no ip form");
                let ns = match op.ns() {
                    Some(ns) => format!("-n {} ", shell_quote(ns)),
                    None => String::new(),
                };
                let shown: Vec<String> = lines
                    .into_iter()
                    .map(|l| format!("tc {ns}{}", quoted(l)))
                    .collect();
                write!(f, "{}", shown.join("\n"))
            }
        }
    }
}
