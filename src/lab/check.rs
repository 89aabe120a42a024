//! All-pairs reachability. For every ordered pair of hosts, does the source reach any of
//! the target's addresses? Probes run concurrently, one prober per source namespace: by
//! default ICMP echo from a raw socket opened inside the namespace (no process at all),
//! or `ping` processes (`--ping`), judged by exit status only, never by their text.
//!
//! Expectations: explicit `[[expect]]` entries win; otherwise a pair must reach when the
//! two hosts share a subnet, or when each has a route (connected, static or default) toward
//! the other.

use super::file::{Cidr, Lab};
use crate::error::{Error, Result};
use crate::netns;
use crate::run::Cmd;
use serde::Serialize;
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
    /// Addresses of `to` that answered.
    pub answered: Vec<IpAddr>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub lab: String,
    pub prober: &'static str,
    pub hosts: Vec<String>,
    pub pairs: Vec<Pair>,
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
pub fn check(lab: &Lab, prober: Prober, timeout: Duration) -> Result<Report> {
    let hosts = lab.host_names();
    let start = Instant::now();
    let per_source: Vec<Result<Answers>> = std::thread::scope(|s| {
        let handles: Vec<_> = hosts
            .iter()
            .map(|from| {
                let hosts = &hosts;
                s.spawn(move || probe_from(lab, hosts, from, prober, timeout))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("prober thread panicked"))
            .collect()
    });
    let mut pairs = Vec::new();
    for (from, res) in hosts.iter().zip(per_source) {
        for (to_idx, answered) in res? {
            let to = &hosts[to_idx];
            pairs.push(Pair {
                from: from.clone(),
                to: to.clone(),
                expected: expected(lab, from, to),
                reached: !answered.is_empty(),
                answered,
            });
        }
    }
    let ok = pairs.iter().all(|p| p.expected == p.reached);
    Ok(Report {
        lab: lab.name.clone(),
        prober: match prober {
            Prober::Socket => "socket",
            Prober::Ping => "ping",
        },
        hosts,
        pairs,
        elapsed_ms: start.elapsed().as_secs_f64() * 1000.0,
        ok,
    })
}

/// For each other host (by index), the addresses of it that answered.
type Answers = Vec<(usize, Vec<IpAddr>)>;

/// From one source host: for each other host, the addresses that answered.
fn probe_from(
    lab: &Lab,
    hosts: &[String],
    from: &str,
    prober: Prober,
    timeout: Duration,
) -> Result<Answers> {
    let mut flat: Vec<(usize, IpAddr)> = Vec::new();
    for (i, to) in hosts.iter().enumerate() {
        if to != from {
            flat.extend(targets(lab, to).into_iter().map(|a| (i, a)));
        }
    }
    let addrs: Vec<IpAddr> = flat.iter().map(|(_, a)| *a).collect();
    let answered = match prober {
        Prober::Socket => netns::probe(from, &addrs, timeout)?,
        Prober::Ping => ping_all(from, &addrs, timeout)?,
    };
    let mut out: Vec<(usize, Vec<IpAddr>)> = hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| *h != from)
        .map(|(i, _)| (i, vec![]))
        .collect();
    for ((i, a), ok) in flat.into_iter().zip(answered) {
        if ok {
            if let Some(slot) = out.iter_mut().find(|(j, _)| *j == i) {
                slot.1.push(a);
            }
        }
    }
    Ok(out)
}

/// One `ping -c 1` per target, all at once, each entering the namespace itself.
fn ping_all(from: &str, addrs: &[IpAddr], timeout: Duration) -> Result<Vec<bool>> {
    let secs = timeout.as_secs().max(1).to_string();
    std::thread::scope(|s| {
        let hs: Vec<_> = addrs
            .iter()
            .map(|a| {
                let secs = &secs;
                s.spawn(move || {
                    Cmd::new("ping")
                        .args(&["-n", "-q", "-c", "1", "-W", secs, &a.to_string()])
                        .in_netns(from)
                        .run_unchecked()
                        .map(|o| o.success())
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("ping thread panicked"))
            .collect()
    })
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

    /// The error to exit with when an expectation failed.
    pub fn verdict(&self) -> Result<()> {
        if self.ok {
            return Ok(());
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
