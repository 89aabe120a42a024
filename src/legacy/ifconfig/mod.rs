//! Drop-in `ifconfig` (net-tools 2.10). Entry point: leading options, then either display
//! (`show.rs`, `render.rs`) or configuration (`set.rs`: grammar → Ops, applied left to right).
//!
//! OWNERSHIP WHILE BEING BUILT (remove this paragraph when done): the "show" helper owns this
//! file, render.rs, json.rs and show.rs; the "set" helper owns set.rs (and any files it adds
//! under set/). The contract between them is `set::configure` below.

pub mod set;

use crate::backend::Backend;
use std::ffi::OsString;
use std::io::Write;

/// What a personality run writes to and reads through; lets tests capture output.
pub struct Ctx<'a> {
    pub backend: &'a mut dyn Backend,
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// `-v` was given.
    pub verbose: bool,
}

/// The `ifconfig` personality.
pub fn main(args: Vec<OsString>) -> crate::error::Result<()> {
    let _ = args;
    Err(crate::error::Error::Usage("ifconfig: not yet built".into()))
}
