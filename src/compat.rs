//! `nslab compat install|uninstall|status`: put nslab in place of the legacy tools by symlinks
//! named after them (`ifconfig`, `brctl`, `netstat`, `route`, `arp` → the nslab binary), which the personality
//! table in `lib.rs` then dispatches on. Only nslab's own links are ever replaced or removed.
//!
//! `--system` does it the Debian way instead: each name becomes an `update-alternatives` group
//! whose link is `DIR/NAME` (before /usr/sbin on PATH), with nslab (priority
//! [`NSLAB_PRIORITY`]) and, when installed, the real tool (priority [`REAL_PRIORITY`]) as
//! alternatives — so they coexist with net-tools/bridge-utils and `update-alternatives
//! --config ifconfig` chooses. The .deb's `prerm` runs `compat uninstall --system`, so
//! removing the package leaves no link behind.
//!
//! `install --dialect classic` (either way) also records, in a file next to the links
//! ([`DIALECT_FILE`]), that the links of that directory print the classic net-tools 1.60
//! output; a personality called through such a link reads it (`legacy::dialect`) unless
//! `NSLAB_NETTOOLS` says otherwise.

use crate::error::{Error, IoContext, Result};
use crate::legacy::dialect::Dialect;
pub use crate::legacy::dialect::{dir_dialect, installed_dialect, DIALECT_FILE};
pub use crate::legacy::link::{entry, nslab_binary, Entry, LEGACY_NAMES};
use std::path::{Path, PathBuf};

/// Where `install` puts the links by default.
pub const DEFAULT_DIR: &str = "/usr/local/sbin";

/// Create `DIR/ifconfig` and `DIR/brctl` → nslab, with `dialect` as the links' output
/// dialect. Refuses (changing nothing) if one of them exists and is not an nslab link, unless
/// `force`. Returns the lines to print.
pub fn install(dir: &Path, force: bool, dialect: Dialect) -> Result<Vec<String>> {
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
    lines.push(set_dialect(dir, dialect)?);
    Ok(lines)
}

/// Record `dialect` for the links in `dir`; returns the line to print.
pub fn set_dialect(dir: &Path, dialect: Dialect) -> Result<String> {
    let file = dir.join(DIALECT_FILE);
    match dialect {
        Dialect::Modern => match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::io(file.display().to_string(), e))
            }
            _ => {}
        },
        Dialect::Classic => {
            std::fs::write(&file, format!("{}\n", dialect.version())).ctx_path(&file)?
        }
    }
    Ok(format!("{}: {}", dir.display(), dialect_text(dialect)))
}

fn dialect_text(d: Dialect) -> String {
    format!("dialect {} (net-tools {})", d.name(), d.version())
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
    let file = dir.join(DIALECT_FILE);
    if std::fs::symlink_metadata(&file).is_ok() {
        std::fs::remove_file(&file).ctx_path(&file)?;
        lines.push(format!("removed {}", file.display()));
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
                    let d = dir_dialect(p.parent().unwrap_or(Path::new(".")));
                    format!(
                        "{name}: {} -> nslab ({}), {}",
                        p.display(),
                        nslab.display(),
                        dialect_text(d)
                    )
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
    if let Ok(Some(d)) =
        Dialect::from_env_value(std::env::var_os(crate::legacy::dialect::ENV).as_deref())
    {
        lines.push(format!(
            "{}={} is set: calls from this environment use {}",
            crate::legacy::dialect::ENV,
            d.version(),
            dialect_text(d)
        ));
    }
    Ok(lines)
}

/// nslab's priority in each alternatives group (chosen after `install --system`).
pub const NSLAB_PRIORITY: u32 = 50;
/// The real tool's priority in the same group.
pub const REAL_PRIORITY: u32 = 20;
/// Where the real tools live (net-tools, bridge-utils).
const REAL_DIRS: &[&str] = &["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/// The installed real tool of that name, if any (never nslab itself).
fn real_tool(name: &str, nslab: &Path) -> Option<PathBuf> {
    REAL_DIRS
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file() && p.canonicalize().ok().as_deref() != Some(nslab))
}

fn alternatives(args: &[String]) -> Result<crate::run::Output> {
    crate::run::Cmd::new("update-alternatives").args(args).run()
}

/// Register every legacy name as an alternatives group with link `DIR/NAME`. Refuses
/// (changing nothing) when a `DIR/NAME` exists and is not a symlink.
pub fn install_system(dir: &Path) -> Result<Vec<String>> {
    let nslab = nslab_binary()?;
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "{}: no such directory",
            dir.display()
        )));
    }
    for name in LEGACY_NAMES {
        let link = dir.join(name);
        if std::fs::symlink_metadata(&link).is_ok_and(|m| !m.file_type().is_symlink()) {
            return Err(Error::Usage(format!(
                "{} exists and is not a link; not replacing it",
                link.display()
            )));
        }
    }
    let mut lines = Vec::new();
    for name in LEGACY_NAMES {
        let link = dir.join(name).display().to_string();
        let add = |path: &Path, prio: u32| {
            alternatives(&[
                "--install".into(),
                link.clone(),
                name.to_string(),
                path.display().to_string(),
                prio.to_string(),
            ])
        };
        add(&nslab, NSLAB_PRIORITY)?;
        let mut line = format!("{name}: {link} -> {} ({NSLAB_PRIORITY})", nslab.display());
        if let Some(real) = real_tool(name, &nslab) {
            add(&real, REAL_PRIORITY)?;
            line.push_str(&format!(", {} ({REAL_PRIORITY})", real.display()));
        }
        lines.push(line);
    }
    Ok(lines)
}

/// Remove what `install_system` registered: nslab and the real tools from each group (the
/// group, its link and /etc/alternatives entry go when it is empty).
pub fn uninstall_system() -> Result<Vec<String>> {
    let nslab = nslab_binary()?;
    let mut lines = Vec::new();
    for name in LEGACY_NAMES {
        let mut paths = vec![nslab.clone()];
        paths.extend(REAL_DIRS.iter().map(|d| Path::new(d).join(name)));
        let mut removed = false;
        for p in paths {
            let out = crate::run::Cmd::new("update-alternatives")
                .args(&["--remove", name, &p.display().to_string()])
                .run_unchecked()?;
            removed |= out.success();
        }
        lines.push(if removed {
            format!("{name}: alternatives removed")
        } else {
            format!("{name}: not registered")
        });
    }
    Ok(lines)
}
