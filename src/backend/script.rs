//! A backend that prints each Op as a standalone shell command instead of running it: the
//! output of `--dry-run`, and what `migrate` emits. Snapshots come from an optional inner
//! backend (so a dry run can still validate against the live system), or are empty.

use super::Backend;
use crate::error::Result;
use crate::model::Snapshot;
use crate::op::Op;
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

    /// The script text for a list of Ops, one command per line.
    pub fn render(ops: &[Op]) -> String {
        ops.iter().map(|op| format!("{op}\n")).collect()
    }
}

impl Backend for Script<'_> {
    fn apply(&mut self, ops: &[Op]) -> Result<()> {
        self.out
            .write_all(Script::render(ops).as_bytes())
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
