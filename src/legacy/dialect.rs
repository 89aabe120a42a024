//! Which net-tools output a legacy personality (`ifconfig`, `route`, `arp`) prints: today's
//! net-tools 2.10 (the default) or the classic 1.60 that RHEL/CentOS 6 shipped (`Link encap:`,
//! `inet addr:`, `Bcast:`, `Mask:` …), which many old scripts parse.
//!
//! The choice, strongest first: the environment variable `NSLAB_NETTOOLS` (`1.60` or `2.10`),
//! then the choice recorded by `nslab compat install --dialect …` for the directory of the link
//! nslab was called through (see `crate::compat::installed_dialect`), then 2.10.
//! `--json` does not depend on it.

use crate::error::{Error, Result};
use std::ffi::OsStr;

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
        Ok(crate::compat::installed_dialect(argv0).unwrap_or_default())
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
