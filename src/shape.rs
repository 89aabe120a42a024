//! Link shaping (rate, delay, jitter, loss, …) with the real `tc`: what a lab file or
//! `nslab shape` asks for ([`ShapeDecl`], raw values), what it means once validated
//! ([`Shape`], in exact units), how it becomes `tc` lines ([`Shape::tc_lines`]), which
//! qdiscs it needs from the kernel ([`Shape::needs`], [`require`]), and what the kernel
//! reports back ([`Shaping`], converted from `tc -j qdisc show` by `backend::tcjson`).
//!
//! The qdisc tree is the standard recipe: `netem` at the root when any of delay, jitter,
//! loss, duplicate, corrupt or reorder is wanted; the rate limiter `tbf` at the root, or as
//! netem's child when both are wanted; a `pfifo` under tbf when the queue is counted in
//! packets (tbf's own limit is in bytes). tbf rather than htb: every value nslab sets is then
//! readable from `tc -j qdisc show`, whereas htb keeps its rate in a class, and iproute2 6.1
//! prints `tc class show` as text even with `-j`.

mod units;

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use units::{
    parse_distribution, parse_gap, parse_percent, parse_queue, parse_rate, parse_size, parse_time,
};
pub use units::{Bits, Bytes, Distribution, Micros, Percent, Queue};

/// A number or a string, as a lab file (TOML or JSON) or a command line gives a value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged, expecting = "a number or a string")]
pub enum Scalar {
    Int(i64),
    Float(f64),
    Text(String),
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::Text(s) => write!(f, "\"{s}\""),
        }
    }
}

/// Shaping as written: in a lab file on a link (both directions) or on one end (that end's
/// egress, overriding the link's values key by key), or from `nslab shape`'s options.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a shaping table such as { rate = \"10mbit\", delay = \"20ms\" }"
)]
pub struct ShapeDecl {
    /// `"10mbit"`: bit, kbit, mbit, gbit, tbit (powers of 1000) or bps, kbps, mbps, gbps
    /// (bytes per second).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Scalar>,
    /// Bucket size: bytes, or `"32kb"`, `"64kbit"` (tc's units: k = 1024).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<Scalar>,
    /// Queue limit: a number of packets (`100`), or bytes with a unit (`"64kb"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<Scalar>,
    /// `"20ms"`: s, ms, us.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_correlation: Option<Scalar>,
    /// normal, pareto, paretonormal or uniform (netem's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_distribution: Option<Scalar>,
    /// Percent, 0–100: `1`, `0.5`, `"1%"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_correlation: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_correlation: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrupt: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrupt_correlation: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reorder: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reorder_correlation: Option<Scalar>,
    /// Reorder every GAP-th packet (needs `reorder`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap: Option<Scalar>,
}

/// Validated shaping of one device's egress, in exact units. Also what is read back from
/// the kernel (where a value it does not report, such as the distribution, stays `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    /// Bits per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<u64>,
    /// Bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burst: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<Queue>,
    /// Microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay: Option<u64>,
    /// Microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jitter: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_correlation: Option<Percent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_distribution: Option<Distribution>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss: Option<Percent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss_correlation: Option<Percent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<Percent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_correlation: Option<Percent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrupt: Option<Percent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrupt_correlation: Option<Percent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reorder: Option<Percent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reorder_correlation: Option<Percent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap: Option<u32>,
}

/// A key of [`ShapeDecl`] with a validation failure: `(key, message)`.
pub type KeyError = (&'static str, String);

impl ShapeDecl {
    /// Every key with its value, in the order of the lab file's documentation.
    fn entries(&self) -> [(&'static str, &Option<Scalar>); 16] {
        [
            ("rate", &self.rate),
            ("burst", &self.burst),
            ("queue", &self.queue),
            ("delay", &self.delay),
            ("jitter", &self.jitter),
            ("delay_correlation", &self.delay_correlation),
            ("delay_distribution", &self.delay_distribution),
            ("loss", &self.loss),
            ("loss_correlation", &self.loss_correlation),
            ("duplicate", &self.duplicate),
            ("duplicate_correlation", &self.duplicate_correlation),
            ("corrupt", &self.corrupt),
            ("corrupt_correlation", &self.corrupt_correlation),
            ("reorder", &self.reorder),
            ("reorder_correlation", &self.reorder_correlation),
            ("gap", &self.gap),
        ]
    }

    pub fn is_empty(&self) -> bool {
        self.entries().iter().all(|(_, v)| v.is_none())
    }

    /// The keys that are set with their values, in documentation order.
    pub fn values(&self) -> Vec<(&'static str, &Scalar)> {
        self.entries()
            .into_iter()
            .filter_map(|(k, v)| Some((k, v.as_ref()?)))
            .collect()
    }

    /// Whether `key` is set.
    pub fn has(&self, key: &str) -> bool {
        self.entries().iter().any(|(k, v)| *k == key && v.is_some())
    }

    /// `over`'s values where it has them, else `self`'s (an end's shaping over its link's).
    pub fn overlay(&self, over: &ShapeDecl) -> ShapeDecl {
        let pick = |a: &Option<Scalar>, b: &Option<Scalar>| b.clone().or_else(|| a.clone());
        ShapeDecl {
            rate: pick(&self.rate, &over.rate),
            burst: pick(&self.burst, &over.burst),
            queue: pick(&self.queue, &over.queue),
            delay: pick(&self.delay, &over.delay),
            jitter: pick(&self.jitter, &over.jitter),
            delay_correlation: pick(&self.delay_correlation, &over.delay_correlation),
            delay_distribution: pick(&self.delay_distribution, &over.delay_distribution),
            loss: pick(&self.loss, &over.loss),
            loss_correlation: pick(&self.loss_correlation, &over.loss_correlation),
            duplicate: pick(&self.duplicate, &over.duplicate),
            duplicate_correlation: pick(&self.duplicate_correlation, &over.duplicate_correlation),
            corrupt: pick(&self.corrupt, &over.corrupt),
            corrupt_correlation: pick(&self.corrupt_correlation, &over.corrupt_correlation),
            reorder: pick(&self.reorder, &over.reorder),
            reorder_correlation: pick(&self.reorder_correlation, &over.reorder_correlation),
            gap: pick(&self.gap, &over.gap),
        }
    }

    /// Parse every value (units, ranges), then check the keys against each other. The
    /// error names the key.
    pub fn parse(&self) -> Result<Shape, KeyError> {
        fn opt<T>(
            key: &'static str,
            v: &Option<Scalar>,
            f: fn(&Scalar) -> Result<T, String>,
        ) -> Result<Option<T>, KeyError> {
            v.as_ref().map(f).transpose().map_err(|m| (key, m))
        }
        let shape = Shape {
            rate: opt("rate", &self.rate, parse_rate)?,
            burst: opt("burst", &self.burst, parse_size)?,
            queue: opt("queue", &self.queue, parse_queue)?,
            delay: opt("delay", &self.delay, parse_time)?,
            jitter: opt("jitter", &self.jitter, parse_time)?,
            delay_correlation: opt("delay_correlation", &self.delay_correlation, parse_percent)?,
            delay_distribution: opt(
                "delay_distribution",
                &self.delay_distribution,
                parse_distribution,
            )?,
            loss: opt("loss", &self.loss, parse_percent)?,
            loss_correlation: opt("loss_correlation", &self.loss_correlation, parse_percent)?,
            duplicate: opt("duplicate", &self.duplicate, parse_percent)?,
            duplicate_correlation: opt(
                "duplicate_correlation",
                &self.duplicate_correlation,
                parse_percent,
            )?,
            corrupt: opt("corrupt", &self.corrupt, parse_percent)?,
            corrupt_correlation: opt(
                "corrupt_correlation",
                &self.corrupt_correlation,
                parse_percent,
            )?,
            reorder: opt("reorder", &self.reorder, parse_percent)?,
            reorder_correlation: opt(
                "reorder_correlation",
                &self.reorder_correlation,
                parse_percent,
            )?,
            gap: opt("gap", &self.gap, parse_gap)?,
        };
        shape.check()?;
        Ok(shape)
    }
}

impl Shape {
    /// The shaping as a lab file writes it: the inverse of [`ShapeDecl::parse`]
    /// (`parse(decl(s)) == s`). A burst that equals the default for its rate is left out,
    /// since nslab would choose that one anyway (`nslab capture` writes what was declared).
    pub fn decl(&self) -> ShapeDecl {
        let text = |s: String| Some(Scalar::Text(s));
        let pc = |p: Option<Percent>| p.and_then(|p| text(p.to_string()));
        let time = |t: Option<u64>| t.and_then(|t| text(Micros(t).to_string()));
        ShapeDecl {
            rate: self.rate.and_then(|r| text(Bits(r).to_string())),
            burst: self
                .burst
                .filter(|b| self.rate.map(default_burst) != Some(*b))
                .and_then(|b| text(Bytes(b).to_string())),
            queue: self.queue.map(|q| match q {
                Queue::Packets(n) => Scalar::Int(n.into()),
                Queue::Bytes(b) => Scalar::Text(Bytes(b).to_string()),
            }),
            delay: time(self.delay),
            jitter: time(self.jitter),
            delay_correlation: pc(self.delay_correlation),
            delay_distribution: self
                .delay_distribution
                .and_then(|d| text(d.as_str().to_string())),
            loss: pc(self.loss),
            loss_correlation: pc(self.loss_correlation),
            duplicate: pc(self.duplicate),
            duplicate_correlation: pc(self.duplicate_correlation),
            corrupt: pc(self.corrupt),
            corrupt_correlation: pc(self.corrupt_correlation),
            reorder: pc(self.reorder),
            reorder_correlation: pc(self.reorder_correlation),
            gap: self.gap.map(|g| Scalar::Int(g.into())),
        }
    }

    /// The keys that are set, in documentation order.
    pub fn keys(&self) -> Vec<&'static str> {
        let set = [
            ("rate", self.rate.is_some()),
            ("burst", self.burst.is_some()),
            ("queue", self.queue.is_some()),
            ("delay", self.delay.is_some()),
            ("jitter", self.jitter.is_some()),
            ("delay_correlation", self.delay_correlation.is_some()),
            ("delay_distribution", self.delay_distribution.is_some()),
            ("loss", self.loss.is_some()),
            ("loss_correlation", self.loss_correlation.is_some()),
            ("duplicate", self.duplicate.is_some()),
            (
                "duplicate_correlation",
                self.duplicate_correlation.is_some(),
            ),
            ("corrupt", self.corrupt.is_some()),
            ("corrupt_correlation", self.corrupt_correlation.is_some()),
            ("reorder", self.reorder.is_some()),
            ("reorder_correlation", self.reorder_correlation.is_some()),
            ("gap", self.gap.is_some()),
        ];
        set.iter().filter(|(_, s)| *s).map(|(k, _)| *k).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.keys().is_empty()
    }

    /// The keys that only netem provides.
    fn netem_keys(&self) -> Vec<&'static str> {
        self.keys()
            .into_iter()
            .filter(|k| !matches!(*k, "rate" | "burst" | "queue"))
            .collect()
    }

    /// Which keys a key needs, as tc and netem require them.
    fn check(&self) -> Result<(), KeyError> {
        let need = |key: &'static str, present: bool, other: bool, what: &str| {
            if present && !other {
                Err((key, format!("needs {what}")))
            } else {
                Ok(())
            }
        };
        need("burst", self.burst.is_some(), self.rate.is_some(), "`rate`")?;
        need(
            "jitter",
            self.jitter.is_some(),
            self.delay.is_some(),
            "`delay`",
        )?;
        need(
            "delay_correlation",
            self.delay_correlation.is_some(),
            self.jitter.is_some(),
            "`jitter` (it correlates the jitter)",
        )?;
        need(
            "delay_distribution",
            self.delay_distribution.is_some(),
            self.jitter.is_some(),
            "`jitter` (it shapes the jitter)",
        )?;
        need(
            "loss_correlation",
            self.loss_correlation.is_some(),
            self.loss.is_some(),
            "`loss`",
        )?;
        need(
            "duplicate_correlation",
            self.duplicate_correlation.is_some(),
            self.duplicate.is_some(),
            "`duplicate`",
        )?;
        need(
            "corrupt_correlation",
            self.corrupt_correlation.is_some(),
            self.corrupt.is_some(),
            "`corrupt`",
        )?;
        need(
            "reorder_correlation",
            self.reorder_correlation.is_some(),
            self.reorder.is_some(),
            "`reorder`",
        )?;
        need(
            "gap",
            self.gap.is_some(),
            self.reorder.is_some(),
            "`reorder`",
        )?;
        // netem sends reordered packets at once and delays the others: without a delay
        // nothing can overtake (tc refuses it too).
        need(
            "reorder",
            self.reorder.is_some(),
            self.delay.is_some_and(|d| d > 0),
            "a `delay` above 0",
        )?;
        Ok(())
    }

    /// The qdisc kinds this shaping uses, with the keys that need each.
    pub fn needs(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        let mut out = Vec::new();
        let netem = self.netem_keys();
        if !netem.is_empty() {
            out.push(("netem", netem));
        }
        if self.rate.is_some() {
            let keys = ["rate", "burst"]
                .into_iter()
                .filter(|k| self.keys().contains(k))
                .collect();
            out.push(("tbf", keys));
        }
        match (self.queue, self.rate.is_some(), out.is_empty()) {
            // A packet queue under tbf, or the whole shaping when it is only a queue.
            (Some(Queue::Packets(_)), true, _) | (Some(Queue::Packets(_)), _, true) => {
                out.push(("pfifo", vec!["queue"]))
            }
            (Some(Queue::Bytes(_)), false, _) => out.push(("bfifo", vec!["queue"])),
            _ => {}
        }
        out
    }

    /// The `tc` argument lines (each without `tc [-n NS]`) that give a device with no
    /// shaping (its default root qdisc) this shaping, in order.
    pub fn tc_lines(&self, dev: &str) -> Vec<Vec<String>> {
        let mut lines = Vec::new();
        let mut next_handle = 1u32;
        // Where the next qdisc goes: `root` first, then under the previous one's class 1.
        let mut parent: Option<u32> = None;
        let mut add = |kind: &str, opts: Vec<String>, lines: &mut Vec<Vec<String>>| {
            let mut v: Vec<String> = ["qdisc", "add", "dev", dev]
                .iter()
                .map(|s| s.to_string())
                .collect();
            match parent {
                None => v.push("root".into()),
                Some(h) => v.extend(["parent".to_string(), format!("{h}:1")]),
            }
            v.extend(["handle".to_string(), format!("{next_handle}:")]);
            v.push(kind.to_string());
            v.extend(opts);
            lines.push(v);
            parent = Some(next_handle);
            next_handle += 1;
        };
        let netem = !self.netem_keys().is_empty();
        if netem {
            let mut o = Vec::new();
            // netem's own limit (packets) is the queue when no rate limiter follows.
            if let (Some(Queue::Packets(n)), None) = (self.queue, self.rate) {
                o.extend(["limit".to_string(), n.to_string()]);
            }
            if let Some(d) = self.delay {
                o.extend(["delay".to_string(), Micros(d).to_string()]);
                if let Some(j) = self.jitter {
                    o.push(Micros(j).to_string());
                    if let Some(c) = self.delay_correlation {
                        o.push(c.to_string());
                    }
                }
                match self.delay_distribution {
                    // Uniform is netem's default; there is no table file for it.
                    None | Some(Distribution::Uniform) => {}
                    Some(dist) => o.extend(["distribution".to_string(), dist.as_str().into()]),
                }
            }
            let mut pct = |word: &str, p: Option<Percent>, c: Option<Percent>| {
                if let Some(p) = p {
                    o.push(word.to_string());
                    if word == "loss" {
                        o.push("random".to_string());
                    }
                    o.push(p.to_string());
                    if let Some(c) = c {
                        o.push(c.to_string());
                    }
                }
            };
            pct("loss", self.loss, self.loss_correlation);
            pct("duplicate", self.duplicate, self.duplicate_correlation);
            pct("corrupt", self.corrupt, self.corrupt_correlation);
            pct("reorder", self.reorder, self.reorder_correlation);
            if let Some(g) = self.gap {
                o.extend(["gap".to_string(), g.to_string()]);
            }
            add("netem", o, &mut lines);
        }
        if let Some(rate) = self.rate {
            let burst = self.burst.unwrap_or_else(|| default_burst(rate));
            let mut o = vec![
                "rate".to_string(),
                Bits(rate).to_string(),
                "burst".to_string(),
                burst.to_string(),
            ];
            match self.queue {
                Some(Queue::Bytes(n)) => o.extend(["limit".to_string(), n.to_string()]),
                _ => o.extend(["latency".to_string(), DEFAULT_LATENCY.to_string()]),
            }
            add("tbf", o, &mut lines);
            if let Some(Queue::Packets(n)) = self.queue {
                add(
                    "pfifo",
                    vec!["limit".to_string(), n.to_string()],
                    &mut lines,
                );
            }
        } else if let Some(q) = self.queue {
            match (q, netem) {
                (Queue::Packets(_), true) => {} // netem's own limit, above
                (Queue::Packets(n), false) => add(
                    "pfifo",
                    vec!["limit".to_string(), n.to_string()],
                    &mut lines,
                ),
                (Queue::Bytes(n), _) => add(
                    "bfifo",
                    vec!["limit".to_string(), n.to_string()],
                    &mut lines,
                ),
            }
        }
        lines
    }
}

/// tbf's queue when none is given: what 50 ms at the rate fills.
const DEFAULT_LATENCY: &str = "50ms";

/// tbf's bucket when none is given: 4 ms worth of the rate, at least two full frames (a
/// bucket smaller than one packet would stop the flow).
pub fn default_burst(rate_bits: u64) -> u64 {
    (rate_bits / 8 / 250).max(3028)
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut words: Vec<String> = Vec::new();
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                words.push(format!("{k} {v}"));
            }
        };
        put("rate", self.rate.map(|r| Bits(r).to_string()));
        put("burst", self.burst.map(|b| Bytes(b).to_string()));
        put("queue", self.queue.map(|q| q.to_string()));
        put("delay", self.delay.map(|d| Micros(d).to_string()));
        put("jitter", self.jitter.map(|d| Micros(d).to_string()));
        put(
            "delay_correlation",
            self.delay_correlation.map(|p| p.to_string()),
        );
        put(
            "delay_distribution",
            self.delay_distribution.map(|d| d.as_str().to_string()),
        );
        put("loss", self.loss.map(|p| p.to_string()));
        put(
            "loss_correlation",
            self.loss_correlation.map(|p| p.to_string()),
        );
        put("duplicate", self.duplicate.map(|p| p.to_string()));
        put(
            "duplicate_correlation",
            self.duplicate_correlation.map(|p| p.to_string()),
        );
        put("corrupt", self.corrupt.map(|p| p.to_string()));
        put(
            "corrupt_correlation",
            self.corrupt_correlation.map(|p| p.to_string()),
        );
        put("reorder", self.reorder.map(|p| p.to_string()));
        put(
            "reorder_correlation",
            self.reorder_correlation.map(|p| p.to_string()),
        );
        put("gap", self.gap.map(|g| g.to_string()));
        write!(f, "{}", words.join(" "))
    }
}

/// The qdisc kinds nslab may use, probed in this order.
pub const KINDS: &[&str] = &["tbf", "netem", "pfifo", "bfifo"];

/// The `tc -batch` lines that probe each of [`KINDS`] on `lo` of a fresh namespace: an add
/// then a delete per kind. Kind `KINDS[i]` is missing when line `2i+1` fails.
pub fn probe_lines() -> Vec<String> {
    KINDS
        .iter()
        .flat_map(|k| {
            let opts = match *k {
                "tbf" => "rate 1mbit burst 10000 latency 10ms",
                "netem" => "delay 1ms",
                _ => "limit 10",
            };
            [
                format!("qdisc add dev lo root handle 1: {k} {opts}"),
                "qdisc del dev lo root".to_string(),
            ]
        })
        .collect()
}

/// The kinds a `tc -force -batch` run of [`probe_lines`] accepted, from its stderr
/// (`Command failed -:N` for each failed line).
pub fn probe_result(stderr: &str) -> BTreeSet<String> {
    let failed: BTreeSet<usize> = stderr
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Command failed -:"))
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    KINDS
        .iter()
        .enumerate()
        .filter(|(i, _)| !failed.contains(&(2 * i + 1)))
        .map(|(_, k)| k.to_string())
        .collect()
}

/// Refuse shapings that need a qdisc the kernel lacks: one line naming the qdisc, its
/// kernel option and the keys that need it (in the order given), exit 2.
pub fn require<'a>(
    available: &BTreeSet<String>,
    shapes: impl IntoIterator<Item = &'a Shape>,
) -> crate::error::Result<()> {
    let mut wanted: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for s in shapes {
        for (kind, keys) in s.needs() {
            let entry = match wanted.iter_mut().find(|(k, _)| *k == kind) {
                Some(e) => e,
                None => {
                    wanted.push((kind, Vec::new()));
                    wanted.last_mut().expect("just pushed")
                }
            };
            for k in keys {
                if !entry.1.contains(&k) {
                    entry.1.push(k);
                }
            }
        }
    }
    for (kind, mut keys) in wanted {
        if available.contains(kind) {
            continue;
        }
        keys.sort_by_key(|k| key_order(k));
        let verb = if keys.len() == 1 { "needs" } else { "need" };
        let mut msg = format!(
            "this kernel has no sch_{kind} (CONFIG_NET_SCH_{}): {} {verb} it",
            kind.to_ascii_uppercase(),
            keys.join(", ")
        );
        if kind == "netem" && available.contains("tbf") {
            msg.push_str("; rate works");
        }
        return Err(crate::error::Error::Usage(msg));
    }
    Ok(())
}

fn key_order(k: &str) -> usize {
    ShapeDecl::default()
        .entries()
        .iter()
        .position(|(n, _)| *n == k)
        .unwrap_or(usize::MAX)
}

/// The shaping of one device as the kernel reports it: the qdisc kinds from the root down,
/// and the values nslab understands from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shaping {
    pub dev: String,
    pub qdiscs: Vec<String>,
    pub shape: Shape,
}

/// A [`Shape`] for `--json`, with the unit in each key's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapeJson {
    /// The values as nslab writes them (`rate 10mbit delay 20ms`).
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_bit_per_s: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burst_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_packets: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jitter_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_correlation_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_distribution: Option<Distribution>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss_correlation_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_correlation_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrupt_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrupt_correlation_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reorder_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reorder_correlation_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap: Option<u32>,
}

impl Shape {
    pub fn json(&self) -> ShapeJson {
        let ms = |us: Option<u64>| us.map(|u| u as f64 / 1000.0);
        let pc = |p: Option<Percent>| p.map(Percent::as_percent);
        ShapeJson {
            text: self.to_string(),
            rate_bit_per_s: self.rate,
            burst_bytes: self.burst,
            queue_packets: match self.queue {
                Some(Queue::Packets(n)) => Some(n),
                _ => None,
            },
            queue_bytes: match self.queue {
                Some(Queue::Bytes(n)) => Some(n),
                _ => None,
            },
            delay_ms: ms(self.delay),
            jitter_ms: ms(self.jitter),
            delay_correlation_percent: pc(self.delay_correlation),
            delay_distribution: self.delay_distribution,
            loss_percent: pc(self.loss),
            loss_correlation_percent: pc(self.loss_correlation),
            duplicate_percent: pc(self.duplicate),
            duplicate_correlation_percent: pc(self.duplicate_correlation),
            corrupt_percent: pc(self.corrupt),
            corrupt_correlation_percent: pc(self.corrupt_correlation),
            reorder_percent: pc(self.reorder),
            reorder_correlation_percent: pc(self.reorder_correlation),
            gap: self.gap,
        }
    }
}

/// [`Shaping`] for `--json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapingJson {
    /// The qdisc kinds from the root down (`["netem", "tbf"]`).
    pub qdiscs: Vec<String>,
    #[serde(flatten)]
    pub values: ShapeJson,
}

impl Shaping {
    pub fn json(&self) -> ShapingJson {
        ShapingJson {
            qdiscs: self.qdiscs.clone(),
            values: self.shape.json(),
        }
    }

    /// One line for people: `tbf: rate 10mbit burst 5000b`.
    pub fn summary(&self) -> String {
        let values = self.shape.to_string();
        let kinds = self.qdiscs.join("+");
        if values.is_empty() {
            kinds
        } else {
            format!("{kinds}: {values}")
        }
    }
}

/// Root qdiscs a device has when nobody shaped it: not shown as shaping, not cleared.
pub fn is_default_root(kind: &str) -> bool {
    matches!(kind, "noqueue" | "pfifo_fast" | "fq_codel" | "mq" | "noop")
}

#[cfg(test)]
mod tests;
