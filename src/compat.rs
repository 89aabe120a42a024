//! `nslab compat install|uninstall|status`: put nslab in place of the legacy tools by symlinks
//! named after them (`ifconfig`, `brctl`, `route`, `arp` → the nslab binary), which the personality table in
//! `lib.rs` then dispatches on. Only nslab's own links are ever replaced or removed.

use crate::error::{Error, IoContext, Result};
use std::path::{Path, PathBuf};

/// The legacy names nslab answers to.
pub const LEGACY_NAMES: &[&str] = &["ifconfig", "brctl", "route", "arp"];

/// Where `install` puts the links by default.
pub const DEFAULT_DIR: &str = "/usr/local/sbin";

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

/// Create `DIR/NAME` → nslab for each of [`LEGACY_NAMES`]. Refuses (changing nothing) if one of them
/// exists and is not an nslab link, unless `force`. Returns the lines to print.
pub fn install(dir: &Path, force: bool) -> Result<Vec<String>> {
    let nslab = nslab_binary()?;
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "{}: no such directory",
            dir.display()
        )));
    }
    let mut plan = Vec::new();
    for name in LEGACY_NAMES {
        let path = dir.join(name);
        let e = entry(&path, &nslab);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            return Err(Error::Usage(format!(
                "{} is a directory; not replacing it",
                path.display()
            )));
        }
        if e == Entry::Other && !force {
            return Err(Error::Usage(format!(
                "{} exists and is not an nslab link; not replacing it (use --force)",
                path.display()
            )));
        }
        plan.push((path, e));
    }
    let mut lines = Vec::new();
    for (path, e) in plan {
        if e != Entry::Missing {
            std::fs::remove_file(&path).ctx_path(&path)?;
        }
        std::os::unix::fs::symlink(&nslab, &path).ctx_path(&path)?;
        let was = match e {
            Entry::Other => " (replaced)",
            _ => "",
        };
        lines.push(format!("{} -> {}{was}", path.display(), nslab.display()));
    }
    Ok(lines)
}

/// Remove the nslab links from `dir`; anything else stays.
pub fn uninstall(dir: &Path) -> Result<Vec<String>> {
    let nslab = nslab_binary()?;
    let mut lines = Vec::new();
    for name in LEGACY_NAMES {
        let path = dir.join(name);
        match entry(&path, &nslab) {
            Entry::NslabLink(_) => {
                std::fs::remove_file(&path).ctx_path(&path)?;
                lines.push(format!("removed {}", path.display()));
            }
            Entry::Other => lines.push(format!("kept {} (not an nslab link)", path.display())),
            Entry::Missing => lines.push(format!("{}: not installed", path.display())),
        }
    }
    Ok(lines)
}

/// For each legacy name: what the first match on PATH is (`path` is the PATH value).
pub fn status(path: &str) -> Result<Vec<String>> {
    let nslab = nslab_binary()?;
    let mut lines = Vec::new();
    for name in LEGACY_NAMES {
        let found = std::env::split_paths(path)
            .map(|d| d.join(name))
            .find(|p| p.exists() || std::fs::symlink_metadata(p).is_ok());
        lines.push(match found {
            None => format!("{name}: not found on PATH"),
            Some(p) => match entry(&p, &nslab) {
                Entry::NslabLink(_) => {
                    format!("{name}: {} -> nslab ({})", p.display(), nslab.display())
                }
                _ => {
                    let real = p.canonicalize().unwrap_or_else(|_| p.clone());
                    if real == p {
                        format!("{name}: {} (legacy tool, not nslab)", p.display())
                    } else {
                        format!(
                            "{name}: {} -> {} (legacy tool, not nslab)",
                            p.display(),
                            real.display()
                        )
                    }
                }
            },
        });
    }
    Ok(lines)
}
