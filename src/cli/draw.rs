//! The picture commands: `graph` (a lab file or a live lab drawn) and `capture` (live
//! namespaces → a lab file).

use super::lab::lab_for_up;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::lab::apply::{self, State};
use crate::lab::Lab;
use std::path::PathBuf;

/// `nslab graph [LAB]`.
pub(super) fn graph(
    lab: Option<String>,
    format: crate::lab::graph::Format,
    output: Option<PathBuf>,
    prefix: String,
    backend: &mut dyn Backend,
) -> Result<()> {
    let lab = lab_to_draw(lab.as_deref(), &prefix, backend)?;
    let text = crate::lab::graph::Graph::of(&lab).render(format)?;
    write_out(output.as_deref(), &text)
}

/// `nslab capture NS… | --all`.
pub(super) fn capture(
    namespaces: Vec<String>,
    all: bool,
    name: String,
    output: Option<PathBuf>,
    backend: &mut dyn Backend,
) -> Result<()> {
    let names = if all {
        backend.namespaces()?
    } else {
        namespaces
    };
    let captured = crate::lab::capture::capture(&names, &name, backend)?;
    for l in &captured.left_out {
        eprintln!("nslab: capture: left out: {}", l.escape_debug());
    }
    write_out(output.as_deref(), &captured.to_toml())
}

/// The lab `graph` draws: a file, the live state of a lab that is up, or the built-in lab.
fn lab_to_draw(arg: Option<&str>, prefix: &str, backend: &mut dyn Backend) -> Result<Lab> {
    let Some(arg) = arg else {
        return lab_for_up(None, prefix).map(|(lab, _)| lab);
    };
    if std::path::Path::new(arg).is_file() {
        return lab_for_up(Some(arg), prefix).map(|(lab, _)| lab);
    }
    let name = apply::lab_name_of(arg, prefix)?;
    match State::load(&name)? {
        Some(s) => {
            let captured = crate::lab::capture::capture(&s.lab.host_names(), &name, backend)?;
            Ok(captured.lab)
        }
        None => Err(Error::Usage(format!(
            "`{}` is neither a lab file nor a lab that is up (see `nslab status`)",
            arg.escape_debug()
        ))),
    }
}

/// Write command output to a file, or to standard output.
fn write_out(path: Option<&std::path::Path>, text: &str) -> Result<()> {
    match path {
        Some(p) => std::fs::write(p, text).map_err(|e| Error::io(p.display().to_string(), e)),
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) ends the output quietly.
            let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
            Ok(())
        }
    }
}
