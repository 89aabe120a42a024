//! `nslab shape` (change or list link shaping) and `nslab measure` (throughput and RTT of
//! shaped links).

use super::lab::lab_for;
use super::print_json;
use crate::backend::Backend;
use crate::error::{Error, Result};

/// The shaping options of `nslab shape`: the lab file's `shape` keys, as options.
#[derive(Debug, Default, clap::Args)]
#[group(id = "shaping", multiple = true, conflicts_with = "clear")]
pub struct ShapeArgs {
    /// Rate limit: 10mbit, 1gbit, 500kbit, 2mbps (bytes/s).
    #[arg(long)]
    rate: Option<String>,
    /// Bucket size (with --rate): bytes, or 32kb.
    #[arg(long)]
    burst: Option<String>,
    /// Queue limit: packets (100), or bytes with a unit (64kb).
    #[arg(long)]
    queue: Option<String>,
    /// Delay: 20ms, 1s, 500us (needs sch_netem).
    #[arg(long)]
    delay: Option<String>,
    #[arg(long)]
    jitter: Option<String>,
    #[arg(long)]
    delay_correlation: Option<String>,
    /// normal, pareto, paretonormal, uniform.
    #[arg(long)]
    delay_distribution: Option<String>,
    /// Loss, percent (needs sch_netem).
    #[arg(long)]
    loss: Option<String>,
    #[arg(long)]
    loss_correlation: Option<String>,
    #[arg(long)]
    duplicate: Option<String>,
    #[arg(long)]
    duplicate_correlation: Option<String>,
    #[arg(long)]
    corrupt: Option<String>,
    #[arg(long)]
    corrupt_correlation: Option<String>,
    #[arg(long)]
    reorder: Option<String>,
    #[arg(long)]
    reorder_correlation: Option<String>,
    #[arg(long)]
    gap: Option<String>,
}

impl ShapeArgs {
    fn decl(self) -> crate::shape::ShapeDecl {
        let t = |v: Option<String>| v.map(crate::shape::Scalar::Text);
        crate::shape::ShapeDecl {
            rate: t(self.rate),
            burst: t(self.burst),
            queue: t(self.queue),
            delay: t(self.delay),
            jitter: t(self.jitter),
            delay_correlation: t(self.delay_correlation),
            delay_distribution: t(self.delay_distribution),
            loss: t(self.loss),
            loss_correlation: t(self.loss_correlation),
            duplicate: t(self.duplicate),
            duplicate_correlation: t(self.duplicate_correlation),
            corrupt: t(self.corrupt),
            corrupt_correlation: t(self.corrupt_correlation),
            reorder: t(self.reorder),
            reorder_correlation: t(self.reorder_correlation),
            gap: t(self.gap),
        }
    }
}

/// `nslab shape`: change one interface's shaping, or list the lab's.
pub(super) fn shape(
    lab: &str,
    target: Option<(String, String)>,
    values: Box<ShapeArgs>,
    clear: bool,
    json: bool,
    backend: &mut dyn Backend,
) -> Result<()> {
    use crate::lab::shaping::{self, Change};
    let lab = lab_for(Some(lab), "")?;
    let Some((host, iface)) = target else {
        let rows = shaping::list(&lab, backend)?;
        if json {
            print_json(&serde_json::json!({ "lab": lab.name, "interfaces": rows }));
        } else {
            print!("{}", shaping::render(&lab.name, &rows));
        }
        return Ok(());
    };
    let change = if clear {
        Change::Clear
    } else {
        Change::Set(Box::new(values.decl()))
    };
    let now = shaping::change(&lab, &host, &iface, change, backend)?;
    match (&now, json) {
        (_, true) => print_json(&serde_json::json!({
            "lab": lab.name, "host": host, "dev": iface,
            "shaping": now.as_ref().map(|s| s.json()),
        })),
        (Some(s), false) => println!("{host} {iface}: {}", s.summary()),
        (None, false) => println!("{host} {iface}: not shaped"),
    }
    Ok(())
}

/// `nslab measure LAB`.
pub(super) fn measure(
    lab: &str,
    seconds: f64,
    tool: Option<crate::lab::measure::Tool>,
    json: bool,
    backend: &mut dyn Backend,
) -> Result<()> {
    let lab = lab_for(Some(lab), "")?;
    if !(0.5..=60.0).contains(&seconds) {
        return Err(Error::Usage(format!(
            "--seconds {seconds}: give 0.5 to 60 seconds"
        )));
    }
    let tool = tool.unwrap_or_else(crate::lab::measure::default_tool);
    let report = crate::lab::measure::measure(&lab, tool, seconds, backend)?;
    if json {
        print_json(&report);
    } else {
        print!("{}", report.render());
    }
    Ok(())
}
