//! `nslab migrate`: a legacy script in, its `ip` form (or a lab file) out.

use crate::error::{Error, Result};

pub(super) fn migrate(
    file: Option<&str>,
    check: bool,
    diff: bool,
    to_lab: bool,
    vars: &[String],
) -> Result<()> {
    use std::io::Read;
    let (name, text) = match file {
        None | Some("-") => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| Error::io("<stdin>", e))?;
            ("<stdin>".to_string(), s)
        }
        Some(f) => (
            f.to_string(),
            std::fs::read_to_string(f).map_err(|e| Error::io(f, e))?,
        ),
    };
    if to_lab {
        let mut map = std::collections::BTreeMap::new();
        for v in vars {
            let (k, val) = v
                .split_once('=')
                .ok_or_else(|| Error::Usage(format!("--var `{v}`: write it as NAME=VALUE")))?;
            map.insert(k.to_string(), val.to_string());
        }
        let stem = std::path::Path::new(&name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.starts_with('<'))
            .unwrap_or_else(|| "migrated".into());
        let t = crate::migrate::lab::to_lab(&text, &stem, &map)
            .map_err(|e| Error::Usage(format!("{name}: {e}")))?;
        print!("{}", crate::migrate::lab::render(&t.lab, &name));
        for l in &t.left_out {
            eprintln!("{name}:{}: left out `{}`: {}", l.line, l.command, l.reason);
        }
        for d in &t.differences {
            eprintln!("{name}: differs: {d}");
        }
        return Ok(());
    }
    let m = crate::migrate::migrate(&text);
    if diff {
        print!(
            "{}",
            crate::migrate::unified_diff(&text, &m.text, &name, &format!("{name} (migrated)"))
        );
    } else {
        print!("{}", m.text);
    }
    if check && !m.kept.is_empty() {
        for k in &m.kept {
            eprintln!("{name}:{}: kept `{}`: {}", k.line, k.command, k.reason);
        }
        return Err(Error::Legacy { code: 1 });
    }
    Ok(())
}
