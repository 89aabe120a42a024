//! Backends consume [`Op`]s and produce [`Snapshot`]s. The trait is object-safe and chosen at
//! the CLI boundary (`&mut dyn Backend`): the real one shells out to iproute2, the script
//! one prints the `ip` commands (`--dry-run`, `migrate`), the recording one keeps the Ops
//! (tests).

pub mod batch;
pub mod host;
pub mod ipjson;
pub mod iproute2;
pub mod memory;
pub mod recording;
pub mod script;
pub mod service;
pub mod tcjson;

use crate::error::Result;
use crate::model::Snapshot;
use crate::netns::procs::{Ended, Space};
use crate::op::Op;
use crate::shape::Shaping;
use std::collections::BTreeSet;
use std::time::Duration;

pub trait Backend {
    /// Apply the Ops in order. On error, Ops before the failing one may have been applied.
    fn apply(&mut self, ops: &[Op]) -> Result<()>;

    /// Read the state of one namespace (`None`: the one nslab runs in).
    fn snapshot(&mut self, netns: Option<&str>) -> Result<Snapshot>;

    /// Read only links and IPv4/IPv6 addresses with their statistics (no routes, no nsids,
    /// no link details), for readers that need nothing else (the `ifconfig` display).
    /// Backends may do this more cheaply than [`Backend::snapshot`], which is the default.
    fn addr_snapshot(&mut self, netns: Option<&str>) -> Result<Snapshot> {
        self.snapshot(netns)
    }

    /// Apply Ops that all act in `netns`, then read it as [`Backend::addr_snapshot`] does.
    /// Backends may do both in one process (the legacy personalities change state one
    /// kernel call at a time and need the state after each).
    fn apply_then_addr_snapshot(&mut self, netns: Option<&str>, ops: &[Op]) -> Result<Snapshot> {
        self.apply(ops)?;
        self.addr_snapshot(netns)
    }

    /// Read several namespaces; backends may do it concurrently.
    fn snapshots(&mut self, names: &[Option<String>]) -> Result<Vec<Snapshot>> {
        names.iter().map(|n| self.snapshot(n.as_deref())).collect()
    }

    /// Bring the kernel's view of these devices' link state up to date (operstate, bridge
    /// port readiness), which otherwise lags by up to a second. A no-op where not real.
    fn settle(&mut self, _netns: Option<&str>, _devs: &[String]) -> Result<()> {
        Ok(())
    }

    /// The qdisc kinds among [`crate::shape::KINDS`] that the kernel accepts. Backends that
    /// do not reach a kernel accept them all.
    fn qdisc_kinds(&mut self) -> Result<BTreeSet<String>> {
        Ok(crate::shape::KINDS.iter().map(|k| k.to_string()).collect())
    }

    /// The shaped devices of a namespace (those whose root qdisc is not a default one), as
    /// the kernel reports them. Backends that do not reach a kernel have none.
    fn shapings(&mut self, _netns: Option<&str>) -> Result<Vec<Shaping>> {
        Ok(Vec::new())
    }

    /// The IPv4 neighbour entries of a namespace, then its IPv4 proxy entries, each in the
    /// kernel's order (what /proc/net/arp lists).
    fn neighbours(&mut self, netns: Option<&str>) -> Result<Vec<crate::model::Neigh>>;

    /// The identities of those of these named namespaces that exist (nothing where not real).
    fn spaces(&mut self, _names: &[String]) -> Vec<Space> {
        Vec::new()
    }

    /// End every process in `spaces` (SIGTERM to `first`, then to all, SIGKILL after
    /// `grace`); see [`crate::netns::procs::end`]. Nothing where not real.
    fn end_processes(&mut self, _spaces: &[Space], _first: &[i32], _grace: Duration) -> Ended {
        Ended::default()
    }

    /// What still keeps any of `spaces` alive in the kernel, one line each.
    fn holders(&mut self, _spaces: &[Space]) -> Vec<String> {
        Vec::new()
    }

    /// The named network namespaces that exist.
    fn namespaces(&mut self) -> Result<Vec<String>>;

    /// The names of the devices in the namespace nslab runs in.
    fn root_links(&mut self) -> Result<Vec<String>>;
}

/// A run of Ops as the backends apply them: kernel changes (compiled into batches together)
/// or one piece of host work (applied on its own, after everything before it).
pub enum Segment<'a> {
    Kernel(&'a [Op]),
    Host(&'a Op),
}

/// Split Ops at each piece of host work ([`Op::is_host_work`]), keeping their order.
pub fn segments(ops: &[Op]) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut rest = ops;
    while !rest.is_empty() {
        let n = rest.iter().position(Op::is_host_work).unwrap_or(rest.len());
        if n > 0 {
            out.push(Segment::Kernel(&rest[..n]));
        }
        match rest.get(n) {
            Some(op) => {
                out.push(Segment::Host(op));
                rest = &rest[n + 1..];
            }
            None => rest = &[],
        }
    }
    out
}

pub use iproute2::Iproute2;
pub use memory::Memory;
pub use recording::Recording;
pub use script::Script;
