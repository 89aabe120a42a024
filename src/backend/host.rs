//! Host work: the Ops that are not `ip` commands but things done inside a lab host once its
//! network is ready (its commands, and what comes with them). The iproute2 backend applies
//! them here, in order, each after every Op before it; everything spawned goes through
//! `run.rs`.

use super::script::shell_quote;
use crate::error::Result;
use crate::op::Op;
use crate::run::{Bounded, Cmd};
use std::time::Duration;

/// Apply one Op for which [`Op::is_host_work`] holds.
pub fn apply(op: &Op) -> Result<()> {
    match op {
        Op::Run {
            ns,
            argv,
            timeout_ms,
        } => run(ns.as_deref(), argv, *timeout_ms),
        other => unreachable!("not host work: {other:?}"),
    }
}

/// A lab command: its output is printed once it has exited; one still running after its
/// timeout is reported and left for `down`.
fn run(ns: Option<&str>, argv: &[String], timeout_ms: u64) -> Result<()> {
    let mut cmd = Cmd::new(&argv[0]).args(&argv[1..]);
    if let Some(ns) = ns {
        cmd = cmd.in_netns(ns);
    }
    match cmd.run_bounded(Duration::from_millis(timeout_ms))? {
        Bounded::Finished(out) => print!("{}", out.stdout),
        Bounded::Running { pid } => {
            let words: Vec<String> = argv.iter().map(|w| shell_quote(w)).collect();
            eprintln!(
                "nslab: {}: `{}` is still running after {:.1} s (pid {pid}); left running, \
                 `nslab down` ends it",
                ns.unwrap_or("root namespace"),
                words.join(" "),
                timeout_ms as f64 / 1000.0
            );
        }
    }
    Ok(())
}
