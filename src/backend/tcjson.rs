//! Wire types mirroring the JSON of `tc -j qdisc show`, converted into [`Shaping`]s. As in
//! `ipjson`, unknown fields are ignored and whatever differs between iproute2 versions is
//! optional: netem printed its delay in seconds from ticks before 6.9 and from 64-bit
//! nanoseconds since, percentages are fractions (0.01 for 1%), tbf's `burst` is a number of
//! bytes, or a string such as `"15Kb/1"` with `-d`.

use crate::error::{Error, Result};
use crate::shape::{is_default_root, Percent, Queue, Shape, Shaping};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
pub struct WireQdisc {
    pub kind: String,
    #[serde(default)]
    pub handle: Option<String>,
    #[serde(default)]
    pub dev: Option<String>,
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default)]
    pub root: bool,
    #[serde(default)]
    pub options: Option<Value>,
}

/// Parse the output of `tc -j qdisc show` (no output at all counts as no qdiscs).
pub fn parse(text: &str) -> Result<Vec<WireQdisc>> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str(text).map_err(|e| Error::Parse {
        what: "tc -j qdisc show".into(),
        message: e.to_string(),
    })
}

fn num(v: Option<&Value>) -> Option<f64> {
    v?.as_f64()
}

/// A fraction (`0.015`) as a [`Percent`]; absent or zero is `None`.
fn fraction(v: Option<&Value>) -> Option<Percent> {
    num(v)
        .filter(|f| *f > 0.0)
        .map(|f| Percent::from_percent(f * 100.0))
}

/// Seconds (`0.02`) as microseconds; absent or zero is `None`.
fn seconds(v: Option<&Value>) -> Option<u64> {
    num(v)
        .filter(|s| *s > 0.0)
        .map(|s| (s * 1e6).round() as u64)
}

/// A size that is a number of bytes, or tc's text (`"15Kb"`, `"1600b/1"`, `"1Mb"`).
fn size(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => {
            let s = s.split('/').next()?.trim();
            let end = s
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(s.len());
            let n: f64 = s[..end].parse().ok()?;
            let scale = match &s[end..] {
                "b" | "" => 1.0,
                "Kb" => 1024.0,
                "Mb" => 1024.0 * 1024.0,
                "Gb" => 1024.0 * 1024.0 * 1024.0,
                _ => return None,
            };
            Some((n * scale).round() as u64)
        }
        _ => None,
    }
}

/// Fill `shape` from one qdisc's options.
fn read_options(q: &WireQdisc, shape: &mut Shape, below_rate: bool) {
    let Some(o) = &q.options else { return };
    match q.kind.as_str() {
        "netem" => {
            if let Some(d) = o.get("delay") {
                shape.delay = seconds(d.get("delay"));
                shape.jitter = seconds(d.get("jitter"));
                shape.delay_correlation = fraction(d.get("correlation"));
            }
            let pair = |key: &str, inner: &str| {
                o.get(key)
                    .map(|x| (fraction(x.get(inner)), fraction(x.get("correlation"))))
                    .unwrap_or((None, None))
            };
            (shape.loss, shape.loss_correlation) = pair("loss-random", "loss");
            (shape.duplicate, shape.duplicate_correlation) = pair("duplicate", "duplicate");
            (shape.corrupt, shape.corrupt_correlation) = pair("corrupt", "corrupt");
            (shape.reorder, shape.reorder_correlation) = pair("reorder", "reorder");
            shape.gap = num(o.get("gap")).filter(|g| *g > 0.0).map(|g| g as u32);
            // netem's limit is the queue only when nothing is below it (1000 by default).
            if shape.rate.is_none() {
                if let Some(l) = num(o.get("limit")).filter(|l| *l != 1000.0) {
                    shape.queue = Some(Queue::Packets(l as u32));
                }
            }
        }
        "tbf" => {
            // tc prints tbf's rate in bytes per second.
            shape.rate = num(o.get("rate")).map(|r| (r * 8.0).round() as u64);
            shape.burst = size(o.get("burst"));
            if let Some(l) = size(o.get("limit")) {
                shape.queue = Some(Queue::Bytes(l));
            }
        }
        "pfifo" => {
            shape.queue = num(o.get("limit")).map(|l| Queue::Packets(l as u32));
        }
        "bfifo" if below_rate || shape.queue.is_none() => {
            shape.queue = num(o.get("limit")).map(|l| Queue::Bytes(l as u64));
        }
        _ => {}
    }
}

/// Per device whose root qdisc is not a default one, the qdisc chain from the root down
/// (each the child of the one before: nslab's trees are chains) and what it means.
pub fn shapings(qdiscs: &[WireQdisc]) -> Vec<Shaping> {
    let mut out = Vec::new();
    for root in qdiscs.iter().filter(|q| q.root) {
        if is_default_root(&root.kind) {
            continue;
        }
        let Some(dev) = root.dev.clone() else {
            continue;
        };
        let mut chain = vec![root];
        while let Some(handle) = chain.last().and_then(|q| q.handle.as_deref()) {
            let major = handle.trim_end_matches(':');
            let child = qdiscs.iter().find(|c| {
                c.dev.as_deref() == Some(dev.as_str())
                    && c.parent
                        .as_deref()
                        .is_some_and(|p| p.split(':').next() == Some(major))
            });
            match child {
                Some(c) if !chain.iter().any(|x| std::ptr::eq(*x, c)) => chain.push(c),
                _ => break,
            }
        }
        let mut shape = Shape::default();
        for q in &chain {
            let below_rate = shape.rate.is_some();
            read_options(q, &mut shape, below_rate);
        }
        out.push(Shaping {
            dev,
            qdiscs: chain.iter().map(|q| q.kind.clone()).collect(),
            shape,
        });
    }
    out.sort_by(|a, b| a.dev.cmp(&b.dev));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tbf_with_a_pfifo_child_as_this_kernel_prints_it() {
        let text = r#"[{"kind":"noqueue","handle":"0:","dev":"lo","root":true,"refcnt":2,"options":{}},
            {"kind":"tbf","handle":"1:","dev":"v1","root":true,"refcnt":3,"options":{"rate":1250000,"burst":5000,"lat":50000}},
            {"kind":"pfifo","handle":"2:","dev":"v1","parent":"1:1","options":{"limit":50}}]"#;
        let s = shapings(&parse(text).unwrap());
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].dev, "v1");
        assert_eq!(s[0].qdiscs, ["tbf", "pfifo"]);
        assert_eq!(s[0].shape.rate, Some(10_000_000));
        assert_eq!(s[0].shape.burst, Some(5000));
        assert_eq!(s[0].shape.queue, Some(Queue::Packets(50)));
        assert_eq!(s[0].shape.to_string(), "rate 10mbit burst 5000b queue 50p");
    }

    #[test]
    fn reads_tbf_details_burst_text() {
        let text = r#"[{"kind":"tbf","handle":"1:","dev":"v1","root":true,"options":{"rate":1250000,"burst":"15Kb/1","mpu":0,"lat":11712,"linklayer":"ethernet"}}]"#;
        let s = shapings(&parse(text).unwrap());
        assert_eq!(s[0].shape.burst, Some(15360));
    }

    #[test]
    fn reads_netem_with_tbf_below_as_iproute2_prints_it() {
        // The shape of q_netem.c's JSON (fractions, seconds), nested as tc nests it.
        let text = r#"[{"kind":"netem","handle":"1:","dev":"eth0","root":true,"refcnt":2,
              "options":{"limit":1000,"delay":{"delay":0.02,"jitter":0.005,"correlation":0.25},
                         "loss-random":{"loss":0.015,"correlation":0.1},
                         "duplicate":{"duplicate":0.01,"correlation":0},
                         "reorder":{"reorder":0.25,"correlation":0.5},
                         "corrupt":{"corrupt":0.001,"correlation":0},
                         "ecn":false,"gap":5}},
            {"kind":"tbf","handle":"2:","dev":"eth0","parent":"1:1","options":{"rate":1250000,"burst":5000,"lat":50000}}]"#;
        let s = shapings(&parse(text).unwrap());
        assert_eq!(s[0].qdiscs, ["netem", "tbf"]);
        assert_eq!(
            s[0].shape.to_string(),
            "rate 10mbit burst 5000b delay 20ms jitter 5ms delay_correlation 25% loss 1.5% \
             loss_correlation 10% duplicate 1% corrupt 0.1% reorder 25% reorder_correlation 50% gap 5"
        );
    }

    #[test]
    fn no_output_is_no_qdiscs() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse("not json").is_err());
    }
}
