//! Which net-tools output a legacy personality (`ifconfig`, `route`, `arp`) prints: today's
//! net-tools 2.10 (the default) or the classic 1.60 that RHEL/CentOS 6 shipped (`Link encap:`,
//! `inet addr:`, `Bcast:`, `Mask:` …), which many old scripts parse.
//!
//! The choice, strongest first: the environment variable `NSLAB_NETTOOLS` (`1.60` or `2.10`),
//! then the choice recorded by `nslab compat install --dialect …` for the directory of the link
//! nslab was called through ([`installed_dialect`]), then 2.10.
//! `--json` does not depend on it.

use crate::error::{Error, Result};
use crate::legacy::link::{called_path, entry, nslab_binary, Entry, LEGACY_NAMES};
use std::ffi::OsStr;
use std::path::Path;

/// The file, in the links' directory, that holds the installation's dialect (`1.60`); absent
/// for the default (2.10).
pub const DIALECT_FILE: &str = ".nslab-nettools";

/// The environment variable that picks the dialect for one call.
pub const ENV: &str = "NSLAB_NETTOOLS";

/// A net-tools output dialect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Dialect {
    /// net-tools 2.10 (`flags=4163<UP,…>  mtu 1500`, `inet 10.0.0.1  netmask …`).
    #[default]
    Modern,
    /// net-tools 1.60 with Fedora's 1.60-110 patches, as RHEL/CentOS 6 shipped it.
    Classic,
}

impl Dialect {
    /// `1.60`/`classic` and `2.10`/`modern`; anything else is `None`.
    pub fn parse(word: &str) -> Option<Dialect> {
        match word {
            "1.60" | "classic" => Some(Dialect::Classic),
            "2.10" | "modern" => Some(Dialect::Modern),
            _ => None,
        }
    }

    /// The net-tools version this dialect reproduces.
    pub fn version(self) -> &'static str {
        match self {
            Dialect::Modern => "2.10",
            Dialect::Classic => "1.60",
        }
    }

    /// The word `compat install --dialect` takes and `compat status` shows.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Modern => "modern",
            Dialect::Classic => "classic",
        }
    }

    /// The dialect `NSLAB_NETTOOLS` asks for: `None` when unset or empty, an error naming
    /// the variable for any other value.
    pub fn from_env_value(value: Option<&OsStr>) -> Result<Option<Dialect>> {
        let Some(v) = value.filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let text = v.to_string_lossy();
        Dialect::parse(&text).map(Some).ok_or_else(|| {
            Error::Usage(format!(
                "{ENV}={text}: expected 1.60 (classic) or 2.10 (modern)"
            ))
        })
    }

    /// The dialect of this process, whose own argv[0] is `argv0` (not the personality's
    /// name in `nslab ifconfig …`): the environment, then the installation the link `argv0`
    /// belongs to, then 2.10.
    pub fn current(argv0: &OsStr) -> Result<Dialect> {
        if let Some(d) = Dialect::from_env_value(std::env::var_os(ENV).as_deref())? {
            return Ok(d);
        }
        Ok(installed_dialect(argv0).unwrap_or_default())
    }
}

/// The dialect recorded for the links in `dir` (2.10 when none is).
pub fn dir_dialect(dir: &Path) -> Dialect {
    std::fs::read_to_string(dir.join(DIALECT_FILE))
        .ok()
        .and_then(|t| Dialect::parse(t.trim()))
        .unwrap_or_default()
}

/// The dialect of the installation whose link `argv0` is: `None` when nslab was not called
/// through an nslab link (then 2.10 applies).
pub fn installed_dialect(argv0: &OsStr) -> Option<Dialect> {
    // `nslab ifconfig …` is not a call through a link.
    let name = Path::new(argv0).file_name()?;
    if !LEGACY_NAMES.iter().any(|n| OsStr::new(n) == name) {
        return None;
    }
    let link = called_path(argv0)?;
    let nslab = nslab_binary().ok()?;
    match entry(&link, &nslab) {
        Entry::NslabLink(_) => Some(dir_dialect(link.parent().unwrap_or(Path::new(".")))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_takes_versions_and_names_and_refuses_the_rest() {
        let v = |s: &str| Dialect::from_env_value(Some(OsStr::new(s)));
        assert_eq!(v("1.60").unwrap(), Some(Dialect::Classic));
        assert_eq!(v("classic").unwrap(), Some(Dialect::Classic));
        assert_eq!(v("2.10").unwrap(), Some(Dialect::Modern));
        assert_eq!(v("").unwrap(), None);
        assert_eq!(Dialect::from_env_value(None).unwrap(), None);
        let e = v("1.6").unwrap_err().to_string();
        assert!(e.contains("NSLAB_NETTOOLS=1.6"), "{e}");
    }
}
