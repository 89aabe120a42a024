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
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prober {
    Socket,
    Ping,
}

#[derive(Debug, Clone, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub lab: String,
    pub prober: &'static str,
    pub hosts: Vec<String>,
    pub pairs: Vec<Pair>,
    /// Neighbour entries the kernel refused while probing (all namespaces): non-zero means
    /// the shared table overflowed.
    pub neighbour_table_fulls: u64,
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
/// The kernel's neighbour tables are shared by all namespaces; when one is full, a probe
/// that needs a new entry is dropped. If `table_fulls` grew while probing, the pairs that
/// did not answer are probed once more; those that still fail while the table overflows are
/// reported as unsure, never as "does not reach".
pub fn check(lab: &Lab, prober: Prober, timeout: Duration) -> Result<Report> {
    let hosts = lab.host_names();
    let start = Instant::now();
    let facts = Facts::of(lab);
    let targets: Vec<Vec<IpAddr>> = hosts.iter().map(|h| facts.targets(h)).collect();
    let fulls_before = neigh::table_fulls();
    let mut answers = probe_pairs(&hosts, &targets, prober, timeout, None)?;
    let mut overflow = neigh::table_fulls() - fulls_before;
    let mut unsure: BTreeSet<(usize, usize)> = BTreeSet::new();
    if overflow > 0 {
        let failed: BTreeSet<(usize, usize)> = answers
            .iter()
            .filter(|(_, a)| a.is_empty())
            .map(|(k, _)| *k)
            .collect();
        let again_before = neigh::table_fulls();
        let again = probe_pairs(&hosts, &targets, prober, timeout, Some(&failed))?;
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
            expected: facts.expected(from, to, &targets[f], &targets[t]),
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
        },
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
    hosts: &[String],
    targets: &[Vec<IpAddr>],
    prober: Prober,
    timeout: Duration,
    only: Option<&BTreeSet<(usize, usize)>>,
) -> Result<BTreeMap<(usize, usize), Vec<IpAddr>>> {
    let slots = match prober {
        Prober::Socket => None,
        Prober::Ping => Some(Slots::new(ping_slots())),
    };
    let per_source: Vec<Result<Answers>> = std::thread::scope(|s| {
        let sources: BTreeSet<usize> = only.map_or_else(
            || (0..hosts.len()).collect(),
            |o| o.iter().map(|(f, _)| *f).collect(),
        );
        let handles: Vec<_> = sources
            .into_iter()
            .map(|f| {
                let slots = slots.as_ref();
                s.spawn(move || {
                    let wanted = |t: usize| only.is_none_or(|o| o.contains(&(f, t)));
                    let answers = probe_from(hosts, targets, f, &wanted, prober, slots, timeout);
                    crate::progress::inc(1);
                    answers.map(|a| (f, a))
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
    hosts: &[String],
    targets: &[Vec<IpAddr>],
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
        flat.extend(targets[t].iter().map(|a| (t, *a)));
    }
    let addrs: Vec<IpAddr> = flat.iter().map(|(_, a)| *a).collect();
    let answered = match (prober, slots) {
        (Prober::Ping, Some(slots)) => ping_all(&hosts[from], &addrs, timeout, slots)?,
        _ => netns::probe(&hosts[from], &addrs, timeout)?,
    };
    let mut out: Vec<(usize, Vec<IpAddr>)> = others.iter().map(|t| (*t, vec![])).collect();
    let place: HashMap<usize, usize> = others.iter().enumerate().map(|(i, t)| (*t, i)).collect();
    for ((t, a), ok) in flat.into_iter().zip(answered) {
        if ok {
            out[place[&t]].1.push(a);
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
