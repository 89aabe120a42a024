//! The units of shaping values: percentages, queue limits, delay distributions, rates, sizes
//! and times — how each is parsed from a lab file's value (`"10mbit"`, `"20ms"`, `1.5`,
//! `"64kb"`; tc's units, k = 1024 for sizes) and how it is written back (`Display`, the
//! largest unit that divides it exactly). One error message per bad value, naming what is
//! expected.

use super::Scalar;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A percentage in units of 1/10000 of a percent (0..=1_000_000), so that Ops stay `Eq`
/// and render exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Percent(pub u32);

impl Percent {
    const SCALE: f64 = 10_000.0;

    pub fn from_percent(p: f64) -> Percent {
        Percent((p * Self::SCALE).round() as u32)
    }

    pub fn as_percent(self) -> f64 {
        self.0 as f64 / Self::SCALE
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / 10_000;
        let frac = self.0 % 10_000;
        if frac == 0 {
            write!(f, "{whole}%")
        } else {
            let digits = format!("{frac:04}");
            write!(f, "{whole}.{}%", digits.trim_end_matches('0'))
        }
    }
}

/// A queue limit: packets or bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Queue {
    Packets(u32),
    Bytes(u64),
}

impl fmt::Display for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Queue::Packets(n) => write!(f, "{n}p"),
            Queue::Bytes(n) => write!(f, "{}", Bytes(*n)),
        }
    }
}

/// netem's delay distributions (`uniform` is its default: no table is loaded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Distribution {
    Uniform,
    Normal,
    Pareto,
    Paretonormal,
}

impl Distribution {
    pub fn as_str(self) -> &'static str {
        match self {
            Distribution::Uniform => "uniform",
            Distribution::Normal => "normal",
            Distribution::Pareto => "pareto",
            Distribution::Paretonormal => "paretonormal",
        }
    }
}

/// A rate in bits per second, shown in the largest unit that divides it.
pub struct Bits(pub u64);

impl fmt::Display for Bits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (unit, scale) in [
            ("tbit", 1_000_000_000_000u64),
            ("gbit", 1_000_000_000),
            ("mbit", 1_000_000),
            ("kbit", 1_000),
        ] {
            if self.0 >= scale && self.0.is_multiple_of(scale) {
                return write!(f, "{}{unit}", self.0 / scale);
            }
        }
        write!(f, "{}bit", self.0)
    }
}

/// A size in bytes, shown in tc's units (k = 1024) when exact.
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (unit, scale) in [("gb", 1u64 << 30), ("mb", 1 << 20), ("kb", 1 << 10)] {
            if self.0 >= scale && self.0.is_multiple_of(scale) {
                return write!(f, "{}{unit}", self.0 / scale);
            }
        }
        write!(f, "{}b", self.0)
    }
}

/// A time in microseconds, shown as tc writes times (`20ms`, `1500us`, `2s`).
pub struct Micros(pub u64);

impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= 1_000_000 && self.0.is_multiple_of(1_000_000) {
            write!(f, "{}s", self.0 / 1_000_000)
        } else if self.0 >= 1000 && self.0.is_multiple_of(1000) {
            write!(f, "{}ms", self.0 / 1000)
        } else {
            write!(f, "{}us", self.0)
        }
    }
}

/// Split `"10.5mbit"` into `(10.5, "mbit")`; the number must be a plain non-negative decimal.
fn number_and_unit(s: &str) -> Option<(f64, String)> {
    let s = s.trim();
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(end);
    if num.is_empty() || num.starts_with('.') || num.ends_with('.') {
        return None;
    }
    let n: f64 = num.parse().ok()?;
    n.is_finite().then(|| (n, unit.trim().to_ascii_lowercase()))
}

fn is_negative(v: &Scalar) -> bool {
    match v {
        Scalar::Int(i) => *i < 0,
        Scalar::Float(x) => *x < 0.0,
        Scalar::Text(s) => s.trim_start().starts_with('-'),
    }
}

pub(super) fn parse_rate(v: &Scalar) -> Result<u64, String> {
    const HELP: &str = "units: bit, kbit, mbit, gbit, tbit, or bps, kbps, mbps, gbps (bytes/s)";
    if is_negative(v) {
        return Err(format!("{v} is negative"));
    }
    let Scalar::Text(s) = v else {
        return Err(format!("{v} has no unit: write it as \"10mbit\" ({HELP})"));
    };
    let Some((n, unit)) = number_and_unit(s) else {
        return Err(format!("{v} is not a rate such as \"10mbit\" ({HELP})"));
    };
    let scale: f64 = match unit.as_str() {
        "bit" => 1.0,
        "kbit" => 1e3,
        "mbit" => 1e6,
        "gbit" => 1e9,
        "tbit" => 1e12,
        "bps" => 8.0,
        "kbps" => 8e3,
        "mbps" => 8e6,
        "gbps" => 8e9,
        "" => return Err(format!("{v} has no unit: write it as \"10mbit\" ({HELP})")),
        _ => return Err(format!("{v}: unknown unit `{unit}` ({HELP})")),
    };
    let bits = (n * scale).round();
    if bits < 8.0 {
        return Err(format!("{v} is below the smallest rate, 8bit (1 byte/s)"));
    }
    if bits > 1e13 {
        return Err(format!("{v} is above 10tbit"));
    }
    Ok(bits as u64)
}

pub(super) fn parse_size(v: &Scalar) -> Result<u64, String> {
    const HELP: &str = "bytes, or units b, kb, mb, gb, kbit, mbit, gbit (k = 1024)";
    if is_negative(v) {
        return Err(format!("{v} is negative"));
    }
    let (n, unit) = match v {
        Scalar::Int(i) => (*i as f64, String::new()),
        Scalar::Float(_) => return Err(format!("{v} is not a whole number of bytes")),
        Scalar::Text(s) => {
            number_and_unit(s).ok_or_else(|| format!("{v} is not a size ({HELP})"))?
        }
    };
    let scale: f64 = match unit.as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1024.0,
        "m" | "mb" => 1024.0 * 1024.0,
        "g" | "gb" => 1024.0 * 1024.0 * 1024.0,
        "kbit" => 1024.0 / 8.0,
        "mbit" => 1024.0 * 1024.0 / 8.0,
        "gbit" => 1024.0 * 1024.0 * 1024.0 / 8.0,
        _ => return Err(format!("{v}: unknown unit `{unit}` ({HELP})")),
    };
    let bytes = (n * scale).round();
    if bytes < 1.0 {
        return Err(format!("{v} is zero"));
    }
    if bytes > u32::MAX as f64 {
        return Err(format!("{v} is above 4gb"));
    }
    Ok(bytes as u64)
}

pub(super) fn parse_queue(v: &Scalar) -> Result<Queue, String> {
    let packets = |n: i64| match u32::try_from(n) {
        Ok(p) if p > 0 => Ok(Queue::Packets(p)),
        _ => Err(format!("{v} is not a number of packets (1–4294967295)")),
    };
    match v {
        Scalar::Int(n) => packets(*n),
        Scalar::Text(s) if s.trim().bytes().all(|b| b.is_ascii_digit()) && !s.trim().is_empty() => {
            packets(s.trim().parse().unwrap_or(-1))
        }
        Scalar::Text(s) if s.trim().ends_with('p') && !s.trim().ends_with("bp") => {
            let n = s.trim().trim_end_matches('p');
            packets(
                n.parse().map_err(|_| {
                    format!("{v} is not a queue limit (packets: 100; bytes: \"64kb\")")
                })?,
            )
        }
        _ => parse_size(v)
            .map(Queue::Bytes)
            .map_err(|m| format!("{m}; a bare number is packets")),
    }
}

pub(super) fn parse_time(v: &Scalar) -> Result<u64, String> {
    const HELP: &str = "units: s, ms, us";
    if is_negative(v) {
        return Err(format!("{v} is negative"));
    }
    let Scalar::Text(s) = v else {
        return Err(format!("{v} has no unit: write it as \"20ms\" ({HELP})"));
    };
    let Some((n, unit)) = number_and_unit(s) else {
        return Err(format!("{v} is not a time such as \"20ms\" ({HELP})"));
    };
    let scale: f64 = match unit.as_str() {
        "s" | "sec" | "secs" => 1e6,
        "ms" | "msec" | "msecs" => 1e3,
        "us" | "usec" | "usecs" => 1.0,
        "" => return Err(format!("{v} has no unit: write it as \"20ms\" ({HELP})")),
        _ => return Err(format!("{v}: unknown unit `{unit}` ({HELP})")),
    };
    let us = (n * scale).round();
    if us > 3.6e9 {
        return Err(format!("{v} is above one hour"));
    }
    Ok(us as u64)
}

pub(super) fn parse_percent(v: &Scalar) -> Result<Percent, String> {
    let p = match v {
        Scalar::Int(i) => *i as f64,
        Scalar::Float(x) => *x,
        Scalar::Text(s) => {
            let t = s.trim().strip_suffix('%').unwrap_or(s.trim());
            t.trim()
                .parse::<f64>()
                .map_err(|_| format!("{v} is not a percentage (0–100, e.g. 1.5 or \"1.5%\")"))?
        }
    };
    if !(0.0..=100.0).contains(&p) || !p.is_finite() {
        return Err(format!("{v} is not a percentage (0–100)"));
    }
    Ok(Percent::from_percent(p))
}

pub(super) fn parse_distribution(v: &Scalar) -> Result<Distribution, String> {
    match v {
        Scalar::Text(s) => match s.as_str() {
            "uniform" => Ok(Distribution::Uniform),
            "normal" => Ok(Distribution::Normal),
            "pareto" => Ok(Distribution::Pareto),
            "paretonormal" => Ok(Distribution::Paretonormal),
            _ => Err(format!(
                "{v} is not a distribution (normal, pareto, paretonormal, uniform)"
            )),
        },
        _ => Err(format!(
            "{v} is not a distribution (normal, pareto, paretonormal, uniform)"
        )),
    }
}

pub(super) fn parse_gap(v: &Scalar) -> Result<u32, String> {
    let n = match v {
        Scalar::Int(n) => Some(*n),
        Scalar::Text(s) => s.trim().parse().ok(),
        Scalar::Float(_) => None,
    };
    match n {
        Some(n) if n >= 1 && n <= u32::MAX as i64 => Ok(n as u32),
        _ => Err(format!("{v} is not a packet count (1 or more)")),
    }
}
