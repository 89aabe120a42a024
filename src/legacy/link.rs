//! What an nslab link is: a symlink named after a legacy tool that leads to the nslab binary,
//! and the path a call through such a name came from. `compat` installs and removes links by
//! these rules; `legacy::dialect` uses them to find the installation a call belongs to.
//! Depends on nothing else in the crate but `error`.

use crate::error::{Error, Result};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The legacy names nslab answers to.
pub const LEGACY_NAMES: &[&str] = &["ifconfig", "brctl", "netstat", "route", "arp"];

/// The running nslab binary, resolved.
pub fn nslab_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe().map_err(|e| Error::io("current executable", e))?;
    Ok(exe.canonicalize().unwrap_or(exe))
}

/// What a path holds, as far as `compat` is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Missing,
    /// A symlink to nslab (this binary, or any file named `nslab`).
    NslabLink(PathBuf),
    /// Anything else: a real tool, another link, a directory…
    Other,
}

/// Classify `path` against the nslab binary `nslab`.
pub fn entry(path: &Path, nslab: &Path) -> Entry {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Entry::Missing;
    };
    if !meta.file_type().is_symlink() {
        return Entry::Other;
    }
    let Ok(target) = std::fs::read_link(path) else {
        return Entry::Other;
    };
    let resolved = path.parent().unwrap_or(Path::new("/")).join(&target);
    let same = resolved.canonicalize().ok().as_deref() == Some(nslab);
    if same || target.file_name().is_some_and(|n| n == "nslab") {
        Entry::NslabLink(target)
    } else {
        Entry::Other
    }
}

/// The path a program called as `argv0` was found at: `argv0` itself when it names a path,
/// else the first match on PATH (what a shell or `execvp` ran).
pub fn called_path(argv0: &OsStr) -> Option<PathBuf> {
    let p = Path::new(argv0);
    if p.components().count() > 1 {
        return Some(p.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(p))
        .find(|c| std::fs::symlink_metadata(c).is_ok())
}
