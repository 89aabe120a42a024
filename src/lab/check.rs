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
use std::collections::{BTreeMap, BTreeSet, HashMap};
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
    /// Packets the kernel dropped from a full backlog queue while probing (all CPUs, all
    /// namespaces: also other traffic of the machine).
    #[serde(default)]
    pub backlog_drops: u64,
    pub elapsed_ms: f64,
    pub ok: bool,
}

/// What `check` needs to know of each host, gathered once (a lab of hundreds of hosts has
/// hundreds of thousands of pairs; nothing per pair may scan the lab).
struct Facts<'a> {
    addrs: HashMap<&'a str, Vec<(String, Cidr)>>,
    hosts: HashMap<&'a str, &'a super::file::Host>,
    /// The last `[[expect]]` entry for each pair.
    expect: HashMap<(&'a str, &'a str), bool>,
}

impl<'a> Facts<'a> {
    fn of(lab: &'a Lab) -> Facts<'a> {
        Facts {
            addrs: lab.addrs_by_host(),
            hosts: lab.hosts.iter().map(|h| (h.name.as_str(), h)).collect(),
            expect: lab
                .expect
                .iter()
                .map(|x| ((x.from.as_str(), x.to.as_str()), x.reach))
                .collect(),
        }
    }

    fn own(&self, host: &str) -> &[(String, Cidr)] {
        self.addrs.get(host).map_or(&[], Vec::as_slice)
    }

    /// Probe targets of a host: its lab addresses that are not link-local.
    fn targets(&self, host: &str) -> Vec<IpAddr> {
        self.own(host)
            .iter()
            .map(|(_, c)| c.addr)
            .filter(|a| match a {
                IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
                IpAddr::V4(v4) => !v4.is_link_local(),
            })
            .collect()
    }

    /// Whether `from` has a route toward `addr`: a connected subnet or a declared route.
    fn has_route(&self, from: &str, addr: IpAddr) -> bool {
        let own = self.own(from);
        if own.iter().any(|(_, c)| c.contains(addr)) {
            return true;
        }
        self.hosts.get(from).is_some_and(|h| {
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

    /// The expectation for one ordered pair, given both hosts' targets.
    fn expected(&self, from: &str, to: &str, back: &[IpAddr], forth: &[IpAddr]) -> bool {
        if let Some(x) = self.expect.get(&(from, to)) {
            return *x;
        }
        forth.iter().any(|t| {
            self.has_route(from, *t)
                && back
                    .iter()
                    .any(|b| b.is_ipv4() == t.is_ipv4() && self.has_route(to, *b))
        })
    }
}

/// Probe every ordered pair of hosts concurrently and compare with the expectations.
///
/// The kernel drops packets without telling the sender: when a neighbour table is full (an
/// entry refused, `table_fulls`; the tables are shared by all namespaces) or when a CPU's
/// backlog queue is (`netdev_max_backlog`; the ARP request lost costs a one-second
/// retransmit). So a pair that should reach but did not answer is probed once more, and so
/// is every pair that did not answer if anything was dropped; those that still fail while
/// the kernel drops are reported as unsure, never as "does not reach". A pair is reported
/// reachable only when one of its target's addresses answered.
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
    let facts = Facts::of(lab);
    let targets: Vec<Vec<IpAddr>> = hosts.iter().map(|h| facts.targets(h)).collect();
    let expected =
        |(f, t): (usize, usize)| facts.expected(&hosts[f], &hosts[t], &targets[f], &targets[t]);
    // Only the pairs from `sources`, when given.
    let initial: Option<BTreeSet<(usize, usize)>> = sources.map(|src| {
        let n = hosts.len();
        (0..n)
            .filter(|f| src.contains(&hosts[*f]))
            .flat_map(|f| (0..n).filter(move |t| *t != f).map(move |t| (f, t)))
            .collect()
    });
    let lost = || [neigh::table_fulls(), neigh::backlog_drops()];
    let before = lost();
    let mut answers = probe_pairs(&hosts, &targets, prober, timeout, initial.as_ref())?;
    let after = lost();
    let mut overflow = after[0] - before[0];
    let mut dropped = after[1].saturating_sub(before[1]);
    let mut unsure: BTreeSet<(usize, usize)> = BTreeSet::new();
    let failed: BTreeSet<(usize, usize)> = answers
        .iter()
        .filter(|(k, a)| a.is_empty() && (overflow + dropped > 0 || expected(**k)))
        .map(|(k, _)| *k)
        .collect();
    if !failed.is_empty() {
        let again_before = lost();
        let again = probe_pairs(&hosts, &targets, prober, timeout, Some(&failed))?;
        let again_after = lost();
        let again_lost = [
            again_after[0] - again_before[0],
            again_after[1].saturating_sub(again_before[1]),
        ];
        overflow += again_lost[0];
        dropped += again_lost[1];
        for (k, a) in again {
            if !a.is_empty() {
                answers.insert(k, a);
            } else if again_lost[0] + again_lost[1] > 0 {
                unsure.insert(k);
            }
        }
    }
    let mut pairs = Vec::with_capacity(answers.len());
    for (&(f, t), answered) in &answers {
        let (from, to) = (&hosts[f], &hosts[t]);
        pairs.push(Pair {
            from: from.clone(),
            to: to.clone(),
            expected: expected((f, t)),
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
        backlog_drops: dropped,
        elapsed_ms: start.elapsed().as_secs_f64() * 1000.0,
        ok,
    })
}

/// One source's probing: its index, the hosts asked about, and each address to probe with
/// the host it belongs to.
type Plan = (usize, Vec<usize>, Vec<(usize, IpAddr)>);

/// Probe the ordered pairs (source index, target index) — all of them, or `only` these —
/// from every source at once. Returns each pair's answering addresses.
fn probe_pairs(
    hosts: &[String],
    targets: &[Vec<IpAddr>],
    prober: Prober,
    timeout: Duration,
    only: Option<&BTreeSet<(usize, usize)>>,
) -> Result<BTreeMap<(usize, usize), Vec<IpAddr>>> {
    let sources: BTreeSet<usize> = only.map_or_else(
        || (0..hosts.len()).collect(),
        |o| o.iter().map(|(f, _)| *f).collect(),
    );
    // Per source: the pairs asked about, and the addresses to probe (with their pair).
    let plans: Vec<Plan> = sources
        .into_iter()
        .map(|f| {
            let others: Vec<usize> = (0..hosts.len())
                .filter(|&t| t != f && only.is_none_or(|o| o.contains(&(f, t))))
                .collect();
            let flat = others
                .iter()
                .flat_map(|&t| targets[t].iter().map(move |a| (t, *a)))
                .collect();
            (f, others, flat)
        })
        .collect();
    let addrs: Vec<Vec<IpAddr>> = plans
        .iter()
        .map(|(_, _, flat)| flat.iter().map(|(_, a)| *a).collect())
        .collect();
    let answered: Vec<Vec<bool>> = match prober {
        Prober::Socket => {
            let list: Vec<(&str, &[IpAddr])> = plans
                .iter()
                .zip(&addrs)
                .map(|((f, _, _), a)| (hosts[*f].as_str(), a.as_slice()))
                .collect();
            netns::probe_many(&list, timeout)?
        }
        Prober::Ping => {
            let slots = Slots::new(ping_slots());
            let got: Vec<Result<Vec<bool>>> = std::thread::scope(|s| {
                let handles: Vec<_> = plans
                    .iter()
                    .zip(&addrs)
                    .map(|((f, _, _), a)| {
                        let slots = &slots;
                        s.spawn(move || {
                            let r = ping_all(&hosts[*f], a, timeout, slots);
                            crate::progress::inc(1);
                            r
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("prober thread panicked"))
                    .collect()
            });
            got.into_iter().collect::<Result<_>>()?
        }
    };
    let mut out = BTreeMap::new();
    for ((f, others, flat), ok) in plans.into_iter().zip(answered) {
        for t in others {
            out.insert((f, t), Vec::new());
        }
        for ((t, a), ok) in flat.into_iter().zip(ok) {
            if ok {
                out.get_mut(&(f, t)).expect("asked").push(a);
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
        let pairs: HashMap<(&str, &str), &Pair> = self
            .pairs
            .iter()
            .map(|p| ((p.from.as_str(), p.to.as_str()), p))
            .collect();
        for from in &self.hosts {
            s.push_str(&format!("{from:w$}"));
            for to in &self.hosts {
                let cell = match pairs.get(&(from.as_str(), to.as_str())) {
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

    /// What to say when the kernel's shared neighbour table overflowed (or, with pairs left
    /// unsure, its backlog queues did) while probing.
    fn overflow_line(&self) -> Option<String> {
        let unsure = self.pairs.iter().filter(|p| p.unsure).count();
        if self.neighbour_table_fulls == 0 && unsure > 0 {
            return Some(format!(
                "the kernel dropped {} packets from full backlog queues while probing \
                 (net.core.netdev_max_backlog = {}): {unsure} pairs are unsure after a second \
                 try; a smaller lab, or a quieter machine, can be checked",
                self.backlog_drops,
                std::fs::read_to_string("/proc/sys/net/core/netdev_max_backlog")
                    .map_or("?".to_string(), |t| t.trim().to_string()),
            ));
        }
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
