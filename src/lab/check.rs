//! All-pairs reachability. For every ordered pair of hosts, does the source reach any of
//! the target's addresses? Probes run concurrently, one prober per source namespace: by
//! default ICMP echo from a raw socket opened inside the namespace (no process at all),
//! or `ping` processes (`--ping`), judged by exit status only, never by their text.
//!
//! Expectations: explicit `[[expect]]` entries win; otherwise a pair must reach when the
//! two hosts share a subnet, or when each has a route (connected, static or default) toward
//! the other.

use super::file::{Cidr, Lab};
use super::neigh;
use crate::error::{Error, Result};
use crate::netns;
use crate::run::Cmd;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prober {
    Socket,
    Ping,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pair {
    pub from: String,
    pub to: String,
    pub expected: bool,
    pub reached: bool,
    /// Probes were lost to a full neighbour table: whether `to` can be reached is not known.
    pub unsure: bool,
    /// Addresses of `to` that answered.
    pub answered: Vec<IpAddr>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub lab: String,
    pub prober: String,
    pub hosts: Vec<String>,
    pub pairs: Vec<Pair>,
    /// Neighbour entries the kernel refused while probing (all namespaces): non-zero means
    /// the shared table overflowed.
    pub neighbour_table_fulls: u64,
    pub elapsed_ms: f64,
    pub ok: bool,
}

/// Probe targets of a host: its lab addresses that are not link-local.
fn targets(lab: &Lab, host: &str) -> Vec<IpAddr> {
    lab.host_addrs(host)
        .into_iter()
        .map(|(_, c)| c.addr)
        .filter(|a| match a {
            IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
            IpAddr::V4(v4) => !v4.is_link_local(),
        })
        .collect()
}

/// Whether `from` has a route toward `addr`: a connected subnet or a declared route.
fn has_route(lab: &Lab, from: &str, addr: IpAddr) -> bool {
    let own = lab.host_addrs(from);
    if own.iter().any(|(_, c)| c.contains(addr)) {
        return true;
    }
    let host = lab.hosts.iter().find(|h| h.name == from);
    host.is_some_and(|h| {
        h.routes.iter().any(|r| {
            let family_ok = |gw: Option<&String>| {
                gw.and_then(|g| g.parse::<IpAddr>().ok())
                    .is_none_or(|g| g.is_ipv4() == addr.is_ipv4())
            };
            if r.to == "default" {
                family_ok(r.via.as_ref())
                    && r.via.is_some()
                    && own.iter().any(|(_, c)| c.addr.is_ipv4() == addr.is_ipv4())
            } else {
                Cidr::parse(&r.to).is_ok_and(|c| c.contains(addr))
            }
        })
    })
}

/// The expectation for one ordered pair.
pub fn expected(lab: &Lab, from: &str, to: &str) -> bool {
    if let Some(x) = lab
        .expect
        .iter()
        .rev()
        .find(|x| x.from == from && x.to == to)
    {
        return x.reach;
    }
    let back: Vec<IpAddr> = targets(lab, from);
    targets(lab, to).into_iter().any(|t| {
        has_route(lab, from, t)
            && back
                .iter()
                .any(|b| b.is_ipv4() == t.is_ipv4() && has_route(lab, to, *b))
    })
}

/// Probe every ordered pair of hosts concurrently and compare with the expectations.
///
/// The kernel's neighbour tables are shared by all namespaces; when one is full, a probe
/// that needs a new entry is dropped. If `table_fulls` grew while probing, the pairs that
/// did not answer are probed once more; those that still fail while the table overflows are
/// reported as unsure, never as "does not reach".
pub fn check(lab: &Lab, prober: Prober, timeout: Duration) -> Result<Report> {
    check_from(lab, None, prober, timeout)
}

/// [`check`], probing only from `sources` when given (the hosts of one machine of a lab
/// spread over machines: the report has their pairs only).
pub fn check_from(
    lab: &Lab,
    sources: Option<&[String]>,
    prober: Prober,
    timeout: Duration,
) -> Result<Report> {
    let hosts = lab.host_names();
    let start = Instant::now();
    let fulls_before = neigh::table_fulls();
    let initial: Option<BTreeSet<(usize, usize)>> = sources.map(|src| {
        let n = hosts.len();
        (0..n)
            .filter(|f| src.contains(&hosts[*f]))
            .flat_map(|f| (0..n).filter(move |t| *t != f).map(move |t| (f, t)))
            .collect()
    });
    let mut answers = probe_pairs(lab, &hosts, prober, timeout, initial.as_ref())?;
    let mut overflow = neigh::table_fulls() - fulls_before;
    let mut unsure: BTreeSet<(usize, usize)> = BTreeSet::new();
    if overflow > 0 {
        let failed: BTreeSet<(usize, usize)> = answers
            .iter()
            .filter(|(_, a)| a.is_empty())
            .map(|(k, _)| *k)
            .collect();
        let again_before = neigh::table_fulls();
        let again = probe_pairs(lab, &hosts, prober, timeout, Some(&failed))?;
        let again_overflow = neigh::table_fulls() - again_before;
        overflow += again_overflow;
        for (k, a) in again {
            if !a.is_empty() {
                answers.insert(k, a);
            } else if again_overflow > 0 {
                unsure.insert(k);
            }
        }
    }
    let mut pairs = Vec::new();
    for (&(f, t), answered) in &answers {
        let (from, to) = (&hosts[f], &hosts[t]);
        pairs.push(Pair {
            from: from.clone(),
            to: to.clone(),
            expected: expected(lab, from, to),
            reached: !answered.is_empty(),
            unsure: unsure.contains(&(f, t)),
            answered: answered.clone(),
        });
    }
    let ok = pairs.iter().all(|p| p.expected == p.reached && !p.unsure);
    Ok(Report {
        lab: lab.name.clone(),
        prober: match prober {
            Prober::Socket => "socket",
            Prober::Ping => "ping",
        }
        .to_string(),
        hosts,
        pairs,
        neighbour_table_fulls: overflow,
        elapsed_ms: start.elapsed().as_secs_f64() * 1000.0,
        ok,
    })
}

/// Probe the ordered pairs (source index, target index) — all of them, or `only` these —
/// one prober per source, concurrently. Returns each pair's answering addresses.
fn probe_pairs(
    lab: &Lab,
    hosts: &[String],
    prober: Prober,
    timeout: Duration,
    only: Option<&BTreeSet<(usize, usize)>>,
) -> Result<BTreeMap<(usize, usize), Vec<IpAddr>>> {
    let slots = match prober {
        Prober::Socket => None,
        Prober::Ping => Some(Slots::new(ping_slots())),
    };
    let per_source: Vec<Result<Answers>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..hosts.len())
            .filter(|f| only.is_none_or(|o| o.iter().any(|(x, _)| x == f)))
            .map(|f| {
                let slots = slots.as_ref();
                s.spawn(move || {
                    let wanted = |t: usize| only.is_none_or(|o| o.contains(&(f, t)));
                    probe_from(lab, hosts, f, &wanted, prober, slots, timeout).map(|a| (f, a))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("prober thread panicked"))
            .map(|r| r.map(|(f, a)| a.into_iter().map(|(t, x)| ((f, t), x)).collect()))
            .collect()
    });
    let mut out = BTreeMap::new();
    for r in per_source {
        out.extend(r?);
    }
    Ok(out)
}

/// For each pair (source, target) by index, the addresses of the target that answered.
type Answers = Vec<((usize, usize), Vec<IpAddr>)>;

/// From one source host (by index): for each other host it is asked about, the addresses
/// that answered.
fn probe_from(
    lab: &Lab,
    hosts: &[String],
    from: usize,
    wanted: &dyn Fn(usize) -> bool,
    prober: Prober,
    slots: Option<&Slots>,
    timeout: Duration,
) -> Result<Vec<(usize, Vec<IpAddr>)>> {
    let mut flat: Vec<(usize, IpAddr)> = Vec::new();
    let others: Vec<usize> = (0..hosts.len())
        .filter(|t| *t != from && wanted(*t))
        .collect();
    for &t in &others {
        flat.extend(targets(lab, &hosts[t]).into_iter().map(|a| (t, a)));
    }
    let addrs: Vec<IpAddr> = flat.iter().map(|(_, a)| *a).collect();
    let answered = match (prober, slots) {
        (Prober::Ping, Some(slots)) => ping_all(&hosts[from], &addrs, timeout, slots)?,
        _ => netns::probe(&hosts[from], &addrs, timeout)?,
    };
    let mut out: Vec<(usize, Vec<IpAddr>)> = others.iter().map(|t| (*t, vec![])).collect();
    for ((t, a), ok) in flat.into_iter().zip(answered) {
        if ok {
            if let Some(slot) = out.iter_mut().find(|(j, _)| *j == t) {
                slot.1.push(a);
            }
        }
    }
    Ok(out)
}

/// How many `ping` processes may run at once across all sources: each holds three pipes
/// and a process slot, so a lab of hundreds of hosts must not start one per pair at once
/// ("Too many open files"). A quarter of the descriptor limit, at most 64.
fn ping_slots() -> usize {
    // The soft limit, from /proc/self/limits: `Max open files  1024  1048576  files`.
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3)?.parse::<usize>().ok())
        })
        .unwrap_or(1024);
    (soft / 4).clamp(1, 64)
}

/// A counting semaphore: `ping` processes wait for a slot.
struct Slots {
    free: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
}

impl Slots {
    fn new(n: usize) -> Slots {
        Slots {
            free: std::sync::Mutex::new(n),
            freed: std::sync::Condvar::new(),
        }
    }

    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        let mut free = self.free.lock().expect("slots");
        while *free == 0 {
            free = self.freed.wait(free).expect("slots");
        }
        *free -= 1;
        drop(free);
        let out = f();
        *self.free.lock().expect("slots") += 1;
        self.freed.notify_one();
        out
    }
}

/// One `ping -c 1` per target, each entering the namespace itself, as many at once as
/// `slots` allows (shared by all sources).
fn ping_all(from: &str, addrs: &[IpAddr], timeout: Duration, slots: &Slots) -> Result<Vec<bool>> {
    let secs = timeout.as_secs().max(1).to_string();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<bool>>>> =
        addrs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    // A few workers per source take targets in turn; the slots bound the processes.
    std::thread::scope(|s| {
        for _ in 0..addrs.len().min(8) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(a) = addrs.get(i) else { break };
                let r = slots.with(|| {
                    Cmd::new("ping")
                        .args(&["-n", "-q", "-c", "1", "-W", &secs, &a.to_string()])
                        .in_netns(from)
                        .run_unchecked()
                        .map(|o| o.success())
                });
                *results[i].lock().expect("result") = Some(r);
            });
        }
    });
    results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .expect("result")
                .expect("every target probed")
        })
        .collect()
}

impl Report {
    /// The matrix for people: rows are sources, columns targets.
    pub fn render(&self) -> String {
        let w = self.hosts.iter().map(|h| h.len()).max().unwrap_or(4).max(4);
        let mut s = format!("{:w$}", "from\\to");
        let w = w.max(7);
        s = format!("{s:w$}");
        for h in &self.hosts {
            s.push_str(&format!("  {h:>w$}"));
        }
        s.push('\n');
        for from in &self.hosts {
            s.push_str(&format!("{from:w$}"));
            for to in &self.hosts {
                let cell = match self.pairs.iter().find(|p| &p.from == from && &p.to == to) {
                    None => "-".to_string(),
                    Some(p) if p.unsure => "unsure".into(),
                    Some(p) => match (p.reached, p.expected) {
                        (true, true) => "ok".into(),
                        (false, false) => "blocked".into(),
                        (true, false) => "REACHED!".into(),
                        (false, true) => "FAIL".into(),
                    },
                };
                s.push_str(&format!("  {cell:>w$}"));
            }
            s.push('\n');
        }
        let reached = self.pairs.iter().filter(|p| p.reached).count();
        let good = self
            .pairs
            .iter()
            .filter(|p| p.reached == p.expected)
            .count();
        if let Some(line) = self.overflow_line() {
            s.push_str(&line);
            s.push('\n');
        }
        s.push_str(&format!(
            "{}/{} pairs reach; {}/{} as expected ({} prober, {:.1} ms)\n",
            reached,
            self.pairs.len(),
            good,
            self.pairs.len(),
            self.prober,
            self.elapsed_ms
        ));
        s
    }

    /// What to say when the kernel's shared neighbour table overflowed while probing.
    fn overflow_line(&self) -> Option<String> {
        let unsure = self.pairs.iter().filter(|p| p.unsure).count();
        (self.neighbour_table_fulls > 0).then(|| {
            format!(
                "the kernel's neighbour table (shared by all namespaces) overflowed while \
                 probing ({} entries refused; net.ipv4.neigh.default.gc_thresh3 = {}): \
                 {unsure} pairs are unsure after a second try; `nslab up` raises the limit \
                 for the labs it builds",
                self.neighbour_table_fulls,
                neigh::thresh3().map_or("?".to_string(), |t| t.to_string()),
            )
        })
    }

    /// The error to exit with when an expectation failed or a pair is unsure.
    pub fn verdict(&self) -> Result<()> {
        if self.ok {
            return Ok(());
        }
        if self.pairs.iter().any(|p| p.unsure) {
            return Err(Error::Check(format!(
                "check failed: {}",
                self.overflow_line().unwrap_or_default()
            )));
        }
        let bad: Vec<String> = self
            .pairs
            .iter()
            .filter(|p| p.reached != p.expected)
            .map(|p| {
                format!(
                    "{} -> {} {}",
                    p.from,
                    p.to,
                    if p.reached {
                        "reaches but must not"
                    } else {
                        "does not reach"
                    }
                )
            })
            .collect();
        let shown = bad.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
        let more = match bad.len() {
            n if n > 5 => format!(" and {} more", n - 5),
            _ => String::new(),
        };
        Err(Error::Check(format!("check failed: {shown}{more}")))
    }
}
