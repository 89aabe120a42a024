//! `nslab shape`: change the shaping of one interface of a lab that is up, or list what the
//! kernel reports for every interface of the lab. Reads before it writes: a device that is
//! already shaped gets a `ClearQdisc` before its `SetQdisc`, one that is not gets none.

use super::apply;
use super::Lab;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::op::Op;
use crate::shape::{self, ShapeDecl, Shaping, ShapingJson};
use serde::Serialize;

/// One shaped interface of a lab, as read back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShapedIface {
    pub host: String,
    pub dev: String,
    #[serde(flatten)]
    pub shaping: ShapingJson,
    #[serde(skip)]
    pub summary: String,
}

/// What `nslab shape LAB HOST IFACE …` should do.
pub enum Change {
    Set(Box<ShapeDecl>),
    Clear,
}

/// The Ops that take `dev` from its `current` shaping to `change` (none when clearing an
/// interface that has no shaping).
pub fn plan_change(
    ns: Option<&str>,
    dev: &str,
    current: Option<&Shaping>,
    change: Option<&shape::Shape>,
) -> Vec<Op> {
    let ns = ns.map(str::to_string);
    let mut ops = Vec::new();
    if current.is_some() {
        ops.push(Op::ClearQdisc {
            ns: ns.clone(),
            dev: dev.to_string(),
        });
    }
    if let Some(s) = change {
        ops.push(Op::SetQdisc {
            ns,
            dev: dev.to_string(),
            shape: s.clone(),
        });
    }
    ops
}

/// Apply a change to `host`'s interface `dev` and return the shaping read back afterwards.
/// Bad values, an unknown host or interface, or a qdisc the kernel lacks: one line, exit 2,
/// nothing changed. If the new shaping fails in the kernel after the old one was removed,
/// the old one is put back (as far as the kernel reported it).
pub fn change(
    lab: &Lab,
    host: &str,
    dev: &str,
    change: Change,
    backend: &mut dyn Backend,
) -> Result<Option<Shaping>> {
    if !lab.host_names().iter().any(|h| h == host) {
        return Err(Error::Usage(format!(
            "lab `{}` has no host `{host}` (hosts: {})",
            lab.name,
            lab.host_names().join(", ")
        )));
    }
    let wanted =
        match &change {
            Change::Clear => None,
            Change::Set(decl) if decl.is_empty() => {
                return Err(Error::Usage(
                    "nothing to set: give --rate, --delay, --loss, … or --clear".into(),
                ))
            }
            Change::Set(decl) => Some(decl.parse().map_err(|(key, msg)| {
                Error::Usage(format!("--{}: {msg}", key.replace('_', "-")))
            })?),
        };
    if let Some(s) = &wanted {
        shape::require(&backend.qdisc_kinds()?, [s])?;
    }
    let _lock = apply::lock()?;
    let snap = backend.snapshot(Some(host))?;
    if snap.link(dev).is_none() {
        return Err(Error::Usage(format!(
            "host `{host}` has no interface `{dev}`"
        )));
    }
    let current = backend
        .shapings(Some(host))?
        .into_iter()
        .find(|s| s.dev == dev);
    let ops = plan_change(Some(host), dev, current.as_ref(), wanted.as_ref());
    if ops.is_empty() {
        return Ok(None);
    }
    if let Err(error) = backend.apply(&ops) {
        let restore = match (&current, wanted.is_some()) {
            (Some(old), true) if !old.shape.is_empty() => plan_change(
                Some(host),
                dev,
                backend.shapings(Some(host))?.iter().find(|s| s.dev == dev),
                Some(&old.shape),
            ),
            _ => Vec::new(),
        };
        if !restore.is_empty() {
            if let Err(undo) = backend.apply(&restore) {
                return Err(Error::Rollback {
                    error: Box::new(error),
                    undo: Box::new(undo),
                });
            }
        }
        return Err(error);
    }
    Ok(backend
        .shapings(Some(host))?
        .into_iter()
        .find(|s| s.dev == dev))
}

/// Every shaped interface of the lab's hosts, as the kernel reports it.
pub fn list(lab: &Lab, backend: &mut dyn Backend) -> Result<Vec<ShapedIface>> {
    let mut out = Vec::new();
    for host in lab.host_names() {
        for s in backend.shapings(Some(&host))? {
            out.push(ShapedIface {
                host: host.clone(),
                dev: s.dev.clone(),
                summary: s.summary(),
                shaping: s.json(),
            });
        }
    }
    Ok(out)
}

/// The table `nslab shape LAB` prints.
pub fn render(lab: &str, rows: &[ShapedIface]) -> String {
    if rows.is_empty() {
        return format!("lab `{lab}`: no interface is shaped\n");
    }
    let mut table = vec![["HOST", "IFACE", "QDISCS", "SETTINGS"]
        .map(String::from)
        .to_vec()];
    for r in rows {
        table.push(vec![
            r.host.clone(),
            r.dev.clone(),
            r.shaping.qdiscs.join("+"),
            r.shaping.values.text.clone(),
        ]);
    }
    crate::show::table(&table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::recording::{Call, Recording};
    use crate::shape::Scalar;

    fn lab() -> Lab {
        Lab::parse(
            "t.toml",
            r#"name = "t"
[[hosts]]
name = "h1"
[[hosts]]
name = "h2"
[[links]]
a = { host = "h1", name = "eth0", addrs = ["10.0.0.1/24"] }
b = { host = "h2", name = "eth0", addrs = ["10.0.0.2/24"] }
"#,
        )
        .unwrap()
    }

    #[test]
    fn a_missing_qdisc_is_refused_before_anything_is_read_or_changed() {
        let mut rec = Recording {
            qdisc_kinds: Some(["tbf", "pfifo", "bfifo"].map(String::from).into()),
            ..Default::default()
        };
        let decl = ShapeDecl {
            delay: Some(Scalar::Text("20ms".into())),
            loss: Some(Scalar::Int(1)),
            ..Default::default()
        };
        let e = change(&lab(), "h1", "eth0", Change::Set(Box::new(decl)), &mut rec).unwrap_err();
        assert_eq!(
            e.to_string(),
            "this kernel has no sch_netem (CONFIG_NET_SCH_NETEM): delay, loss need it; rate works"
        );
        assert_eq!(rec.calls, vec![Call::QdiscKinds]);
    }

    #[test]
    fn bad_values_name_the_option() {
        let mut rec = Recording::default();
        let decl = ShapeDecl {
            loss: Some(Scalar::Text("120".into())),
            ..Default::default()
        };
        let e = change(&lab(), "h1", "eth0", Change::Set(Box::new(decl)), &mut rec).unwrap_err();
        assert_eq!(e.to_string(), "--loss: \"120\" is not a percentage (0–100)");
        assert_eq!(e.exit_code(), 2);
        assert!(rec.ops().is_empty());
        let e = change(&lab(), "h9", "eth0", Change::Clear, &mut rec).unwrap_err();
        assert!(e.to_string().contains("no host `h9`"), "{e}");
    }

    #[test]
    fn an_already_shaped_device_is_cleared_first() {
        let old = Shaping {
            dev: "eth0".into(),
            qdiscs: vec!["tbf".into()],
            shape: shape::Shape {
                rate: Some(1_000_000),
                ..Default::default()
            },
        };
        let new = shape::Shape {
            rate: Some(2_000_000),
            ..Default::default()
        };
        let ops = plan_change(Some("h1"), "eth0", Some(&old), Some(&new));
        assert!(matches!(ops[0], Op::ClearQdisc { .. }));
        assert!(matches!(ops[1], Op::SetQdisc { .. }));
        assert_eq!(plan_change(Some("h1"), "eth0", None, None), vec![]);
        assert_eq!(plan_change(Some("h1"), "eth0", None, Some(&new)).len(), 1);
    }
}
