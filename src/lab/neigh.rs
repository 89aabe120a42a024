//! The kernel's neighbour tables (ARP for IPv4, NDISC for IPv6) are shared by every network
//! namespace: `net.ipv4.neigh.default.gc_thresh3` (1,024 by default) bounds the entries of
//! all namespaces together, and a new entry beyond it is refused (counted as `table_fulls`
//! in /proc/net/stat/arp_cache) — the packet that needed it is dropped. A flat lab of 100
//! hosts on one bridge needs 9,900 entries to probe all pairs.
//!
//! So `up` raises `gc_thresh2`/`gc_thresh3` (root-namespace sysctls, applied as Ops) when the
//! labs that are up would need more than half the table, records the values it replaced in
//! `/run/nslab/neigh-limits.rec` (JSON; not `.json`, which names lab states), and `down` of the last lab that needed it puts them back (unless
//! someone changed them meanwhile). `check` reads `table_fulls` before and after probing so
//! that an overflow is reported, never taken for "does not reach".

use super::apply::{state_dir, State};
use super::file::{Cidr, Lab};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::op::Op;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// The two families' tables: (sysctl prefix, /proc/net/stat file).
const TABLES: [(&str, &str); 2] = [
    ("net.ipv4.neigh.default", "/proc/net/stat/arp_cache"),
    ("net.ipv6.neigh.default", "/proc/net/stat/ndisc_cache"),
];

/// Neighbour entries a lab needs for an all-pairs check, per family (IPv4, IPv6): for each
/// host, every other host's address on one of its subnets (on any machine of a lab spread
/// over machines), plus its gateways.
pub fn need(lab: &Lab) -> [usize; 2] {
    let mut n = [0usize; 2];
    let by_host = lab.addrs_by_host();
    let addrs: Vec<(&str, Cidr)> = lab
        .hosts
        .iter()
        .flat_map(|h| {
            let name = h.name.as_str();
            by_host[name].iter().map(move |(_, c)| (name, *c))
        })
        .collect();
    for h in &lab.hosts {
        let own = &by_host[h.name.as_str()];
        for (other, c) in &addrs {
            if *other != h.name && own.iter().any(|(_, o)| o.contains(c.addr)) {
                n[usize::from(c.addr.is_ipv6())] += 1;
            }
        }
        // In a machine's part: the hosts on the other machines, reached through tunnels.
        for p in lab.transit.iter().flat_map(|t| &t.peers) {
            if let Ok(c) = Cidr::parse(p) {
                if own.iter().any(|(_, o)| o.contains(c.addr)) {
                    n[usize::from(c.addr.is_ipv6())] += 1;
                }
            }
        }
        for r in &h.routes {
            if let Some(via) = r.via.as_deref().and_then(|v| v.parse::<IpAddr>().ok()) {
                n[usize::from(via.is_ipv6())] += 1;
            }
        }
    }
    n
}

/// What `up` changed, so that `down` can put it back.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Raised {
    /// sysctl → the value before nslab first raised it.
    pub saved: BTreeMap<String, String>,
    /// sysctl → the value nslab wrote last.
    pub set: BTreeMap<String, String>,
    /// The labs that needed it.
    pub labs: Vec<String>,
}

fn record_path() -> std::path::PathBuf {
    state_dir().join("neigh-limits.rec")
}

fn load() -> Result<Option<Raised>> {
    let path = record_path();
    match std::fs::read_to_string(&path) {
        Ok(t) => serde_json::from_str(&t).map(Some).map_err(|e| {
            Error::lab(
                path.display().to_string(),
                format!("corrupt record of raised neighbour-table limits: {e}"),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path.display().to_string(), e)),
    }
}

fn save(r: &Raised) -> Result<()> {
    let path = record_path();
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(r).expect("record serializes");
    std::fs::write(&tmp, text).map_err(|e| Error::io(tmp.display().to_string(), e))?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::io(path.display().to_string(), e))
}

/// The current value of a root-namespace sysctl (`None`: this namespace has none — only the
/// initial network namespace has the neighbour-table limits).
fn read(key: &str) -> Option<u64> {
    let path = std::path::Path::new("/proc/sys").join(key.replace('.', "/"));
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Before `lab` comes up (under the lab lock): raise the limits if the labs that are up plus
/// this one would need more than half of a table. Returns a line for the user, if any.
pub fn raise_for(lab: &Lab, backend: &mut dyn Backend) -> Result<Option<String>> {
    let mut total = need(lab);
    // Every lab that is up; a state file this nslab cannot read (another version's) counts
    // for nothing rather than blocking this lab.
    let names: Vec<String> = std::fs::read_dir(state_dir())
        .map(|rd| {
            rd.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter_map(|f| f.strip_suffix(".json").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    for s in names.iter().filter_map(|n| State::load(n).ok().flatten()) {
        if s.lab.name != lab.name {
            let n = need(&s.lab);
            total[0] += n[0];
            total[1] += n[1];
        }
    }
    let mut record = load()?.unwrap_or_default();
    let mut ops = Vec::new();
    let mut said = Vec::new();
    for (family, (prefix, _)) in TABLES.iter().enumerate() {
        let (k2, k3) = (
            format!("{prefix}.gc_thresh2"),
            format!("{prefix}.gc_thresh3"),
        );
        let (Some(t2), Some(t3)) = (read(&k2), read(&k3)) else {
            if total[family] > 512 {
                said.push(format!(
                    "this lab needs about {} neighbour entries, more than the kernel keeps by \
                     default, and nslab cannot raise {k3} from this namespace",
                    total[family]
                ));
            }
            continue;
        };
        // The table as it was before nslab touched it is the base the labs' needs add to.
        let base = |k: &str, now: u64| {
            record
                .saved
                .get(k)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(now)
        };
        let (b2, b3) = (base(&k2, t2), base(&k3, t3));
        let need = total[family] as u64;
        if need * 2 <= b3 {
            continue;
        }
        let (w2, w3) = (b2 + need, b3 + need);
        for (k, now, want) in [(&k2, t2, w2), (&k3, t3, w3)] {
            if want > now {
                record.saved.entry(k.clone()).or_insert(now.to_string());
                record.set.insert(k.clone(), want.to_string());
                ops.push(Op::Sysctl {
                    ns: None,
                    key: k.clone(),
                    value: want.to_string(),
                });
            }
        }
        if want_changed(&ops, &k3) {
            said.push(format!(
                "raised {k3} from {t3} to {w3} ({k2} to {w2}): the labs that are up need about \
                 {need} neighbour entries, and all namespaces share one table"
            ));
        }
    }
    if !ops.is_empty() {
        if !record.labs.contains(&lab.name) {
            record.labs.push(lab.name.clone());
        }
        save(&record)?;
        backend.apply(&ops)?;
    }
    Ok((!said.is_empty()).then(|| said.join("; ")))
}

fn want_changed(ops: &[Op], key: &str) -> bool {
    ops.iter()
        .any(|o| matches!(o, Op::Sysctl { key: k, .. } if k == key))
}

/// After `lab` is down (under the lab lock): if it was the last lab that needed raised
/// limits, put back the values nslab replaced — those still holding what nslab wrote.
pub fn release(lab: &str, backend: &mut dyn Backend) -> Result<Option<String>> {
    let Some(mut record) = load()? else {
        return Ok(None);
    };
    record.labs.retain(|l| l != lab);
    if !record.labs.is_empty() {
        save(&record)?;
        return Ok(None);
    }
    let mut ops = Vec::new();
    let mut kept = Vec::new();
    for (k, old) in &record.saved {
        let ours = record.set.get(k);
        match read(k) {
            Some(now) if ours.is_some_and(|v| v == &now.to_string()) => ops.push(Op::Sysctl {
                ns: None,
                key: k.clone(),
                value: old.clone(),
            }),
            Some(now) => kept.push(format!("{k} = {now} (changed by someone else)")),
            None => {}
        }
    }
    backend.apply(&ops)?;
    let _ = std::fs::remove_file(record_path());
    Ok((!kept.is_empty()).then(|| format!("left as found: {}", kept.join(", "))))
}

/// Entries the kernel refused because a neighbour table was full, both families, since
/// boot: the `table_fulls` column of /proc/net/stat/{arp,ndisc}_cache (hex, one row per
/// CPU).
pub fn table_fulls() -> u64 {
    TABLES
        .iter()
        .map(|(_, file)| {
            sum_column(
                &std::fs::read_to_string(file).unwrap_or_default(),
                "table_fulls",
            )
        })
        .sum()
}

/// Packets dropped because a CPU's backlog queue was full (`net.core.netdev_max_backlog`),
/// since boot: the second column of /proc/net/softnet_stat (hex, one row per CPU). Global:
/// a veth hands every frame to the receiving CPU's backlog, in every namespace.
pub fn backlog_drops() -> u64 {
    std::fs::read_to_string("/proc/net/softnet_stat")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter_map(|v| u64::from_str_radix(v, 16).ok())
        .sum()
}

/// The sum of a column of a /proc/net/stat table (a header line, then hex rows).
fn sum_column(text: &str, column: &str) -> u64 {
    let mut lines = text.lines();
    let header = lines.next().unwrap_or("");
    let Some(col) = header.split_whitespace().position(|h| h == column) else {
        return 0;
    };
    lines
        .filter_map(|l| l.split_whitespace().nth(col))
        .filter_map(|v| u64::from_str_radix(v, 16).ok())
        .sum()
}

/// The current IPv4 table limit, for messages.
pub fn thresh3() -> Option<u64> {
    read("net.ipv4.neigh.default.gc_thresh3")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_lab_needs_every_pair_and_a_routed_one_its_gateways() {
        let seed = Lab::default_lab();
        assert_eq!(need(&seed), [12, 0]);
        let router = Lab::parse("router.toml", include_str!("../../labs/router.toml")).unwrap();
        // h1..h4 each see the router and one other host on their subnet, plus their
        // gateway (counted per route); the router sees the four hosts.
        let n = need(&router);
        assert_eq!(n[1], 0);
        assert_eq!(n[0], 4 * 2 + 4 + 4);
        let v6 = Lab::parse("ipv6.toml", include_str!("../../labs/ipv6.toml")).unwrap();
        assert_eq!(need(&v6)[0], 0);
        assert!(need(&v6)[1] >= 4);
    }

    #[test]
    fn table_fulls_sums_the_hex_column_of_every_cpu() {
        let text = "entries  allocs forced_gc_runs unresolved_discards table_fulls\n\
                    000003fa 0000022f 00002c22 00000000 00002c22\n\
                    000003fa 00000519 00007fb9 00000000 00007fb7\n";
        assert_eq!(sum_column(text, "table_fulls"), 0x2c22 + 0x7fb7);
        assert_eq!(sum_column(text, "no_such_column"), 0);
        assert_eq!(sum_column("", "table_fulls"), 0);
    }
}
