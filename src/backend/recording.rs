//! A test double: keeps every call as one [`Call`] in a `Vec`, answers snapshots and
//! listings from canned data, and can be told to fail the N-th `apply`.

use super::Backend;
use crate::error::{Error, Exit, Result};
use crate::model::Snapshot;
use crate::op::Op;
use crate::shape::Shaping;
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    Apply(Vec<Op>),
    Snapshot(Option<String>),
    Namespaces,
    RootLinks,
    QdiscKinds,
    Shapings(Option<String>),
}

#[derive(Debug, Default)]
pub struct Recording {
    pub calls: Vec<Call>,
    pub snapshots: Vec<Snapshot>,
    pub namespaces: Vec<String>,
    pub root_links: Vec<String>,
    /// Fail the apply call with this index (0-based), after recording it.
    pub fail_apply: Option<usize>,
    /// The qdisc kinds the pretend kernel has (`None`: all of `shape::KINDS`).
    pub qdisc_kinds: Option<BTreeSet<String>>,
    /// Canned shaped devices per namespace.
    pub shapings: Vec<(Option<String>, Vec<Shaping>)>,
    /// What [`Backend::neighbours`] answers (for every namespace).
    pub neighbours: Vec<crate::model::Neigh>,
}

impl Recording {
    /// Every Op applied so far, in order.
    pub fn ops(&self) -> Vec<Op> {
        self.calls
            .iter()
            .filter_map(|c| match c {
                Call::Apply(ops) => Some(ops.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }
}

impl Backend for Recording {
    fn apply(&mut self, ops: &[Op]) -> Result<()> {
        let n = self
            .calls
            .iter()
            .filter(|c| matches!(c, Call::Apply(_)))
            .count();
        self.calls.push(Call::Apply(ops.to_vec()));
        if self.fail_apply == Some(n) {
            return Err(Error::Command {
                argv: vec!["ip".into(), "-batch".into(), "-".into()],
                status: Exit::Code(1),
                stderr: "RTNETLINK answers: Operation not permitted".into(),
                line: None,
            });
        }
        Ok(())
    }

    fn snapshot(&mut self, netns: Option<&str>) -> Result<Snapshot> {
        self.calls.push(Call::Snapshot(netns.map(str::to_string)));
        Ok(self
            .snapshots
            .iter()
            .find(|s| s.netns.as_deref() == netns)
            .cloned()
            .unwrap_or(Snapshot {
                netns: netns.map(str::to_string),
                links: vec![],
                routes: vec![],
                nsids: Default::default(),
            }))
    }

    fn qdisc_kinds(&mut self) -> Result<BTreeSet<String>> {
        self.calls.push(Call::QdiscKinds);
        Ok(self
            .qdisc_kinds
            .clone()
            .unwrap_or_else(|| crate::shape::KINDS.iter().map(|k| k.to_string()).collect()))
    }

    fn shapings(&mut self, netns: Option<&str>) -> Result<Vec<Shaping>> {
        self.calls.push(Call::Shapings(netns.map(str::to_string)));
        Ok(self
            .shapings
            .iter()
            .find(|(n, _)| n.as_deref() == netns)
            .map(|(_, s)| s.clone())
            .unwrap_or_default())
    }

    fn neighbours(&mut self, _netns: Option<&str>) -> Result<Vec<crate::model::Neigh>> {
        Ok(self.neighbours.clone())
    }

    fn namespaces(&mut self) -> Result<Vec<String>> {
        self.calls.push(Call::Namespaces);
        Ok(self.namespaces.clone())
    }

    fn root_links(&mut self) -> Result<Vec<String>> {
        self.calls.push(Call::RootLinks);
        Ok(self.root_links.clone())
    }
}
