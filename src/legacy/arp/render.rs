//! The ARP cache as net-tools prints it (`arp_show`, `arp_disp`, `arp_disp_2` of `arp.c`),
//! a pure function of the neighbour entries, the links (for their hardware type) and the
//! name databases. Entries are what /proc/net/arp shows: neighbours (not those only NOARP or
//! NONE) then proxy entries; flags `C` for a valid entry, `M` permanent, `P` published.
//! The classic 1.60 shows a proxy entry as `*` (`at * PERM PUP` with `-a`) where 2.10 says
//! `<from_interface>` (`PUB`). `--json` reads the 2.10 text in both dialects.

use super::super::ifconfig::Outcome;
use super::grammar::{ATF_COM, ATF_PERM, ATF_PUBL};
use super::{hw_type, Opts, State};
use crate::legacy::dialect::Dialect;
use std::fmt::Write;
use std::net::Ipv4Addr;

/// One line of /proc/net/arp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub ip: String,
    pub hw_type: u16,
    pub flags: u32,
    /// The hardware address (`00:00:00:00:00:00` when the entry has none).
    pub hwaddr: String,
    pub dev: String,
}

/// The entries as the kernel lists them in /proc/net/arp.
pub fn entries(st: &State) -> Vec<Entry> {
    let ty = |dev: &Option<String>| {
        dev.as_deref()
            .and_then(|d| st.snap.link(d))
            .map_or(0, |l| hw_type(&l.link_type))
    };
    let mut v = Vec::new();
    for n in st.neigh.iter().filter(|n| !n.proxy) {
        let has = |s: &str| n.state.iter().any(|x| x == s);
        if n.state.iter().all(|s| s == "NOARP" || s == "NONE") {
            continue;
        }
        let flags = if has("PERMANENT") {
            ATF_PERM | ATF_COM
        } else if ["REACHABLE", "STALE", "DELAY", "PROBE", "NOARP"]
            .iter()
            .any(|s| has(s))
        {
            ATF_COM
        } else {
            0
        };
        v.push(Entry {
            ip: n.dst.clone(),
            hw_type: ty(&n.dev),
            flags,
            hwaddr: n
                .lladdr
                .clone()
                .unwrap_or_else(|| "00:00:00:00:00:00".into()),
            dev: n.dev.clone().unwrap_or_default(),
        });
    }
    for n in st.neigh.iter().filter(|n| n.proxy) {
        v.push(Entry {
            ip: n.dst.clone(),
            hw_type: ty(&n.dev),
            flags: ATF_PUBL | ATF_PERM,
            hwaddr: "00:00:00:00:00:00".into(),
            dev: n.dev.clone().unwrap_or_else(|| "*".into()),
        });
    }
    v
}

/// The net-tools name of a hardware type (ether when it knows none).
fn hw_name(t: u16) -> &'static str {
    match t {
        772 => "loop",
        768 => "tunnel",
        776 => "sit",
        512 => "ppp",
        0 => "netrom",
        3 => "ax25",
        _ => "ether",
    }
}

/// `arp_show` with its options: the text, and 0 (or the failed lookup of HOST: 255).
pub fn show(dialect: Dialect, o: &Opts, host: Option<&str>, st: &State) -> Outcome {
    let classic = dialect == Dialect::Classic && !o.json;
    let mut out = Outcome::default();
    let host_ip = match host {
        Some(h) => match super::grammar::resolve(h, &st.names) {
            Ok(a) => Some(a.to_string()),
            Err(m) => {
                out.stderr = m;
                out.code = 255;
                return out;
            }
        },
        None => None,
    };
    let all = entries(st);
    let mut shown = 0;
    let mut text = String::new();
    for e in &all {
        if o.hw_type.is_some_and(|t| t != e.hw_type) {
            continue;
        }
        if host_ip.as_ref().is_some_and(|h| *h != e.ip) {
            continue;
        }
        if o.device.as_ref().is_some_and(|d| *d != e.dev) {
            continue;
        }
        shown += 1;
        let name = if o.numeric {
            "?".to_string()
        } else {
            match e.ip.parse::<Ipv4Addr>() {
                Ok(a) => {
                    let n = st.names.inet_rresolve(a, false, true, false, 0xffff_ff00);
                    if n == e.ip {
                        "?".into()
                    } else {
                        n
                    }
                }
                Err(_) => e.ip.clone(),
            }
        };
        let hw = hw_name(e.hw_type);
        let com = e.flags & ATF_COM != 0;
        let publ = e.flags & ATF_PUBL != 0;
        if o.linux_style {
            if shown == 1 {
                text.push_str("Address                  HWtype  HWaddress           Flags Mask            Iface\n");
            }
            let shown_name = if name.starts_with('?') { &e.ip } else { &name };
            let _ = write!(text, "{:<23.23}  ", shown_name);
            let (a, b) = if !com {
                if publ {
                    ("*", if classic { "*" } else { "<from_interface>" })
                } else {
                    ("", "(incomplete)")
                }
            } else {
                (hw, e.hwaddr.as_str())
            };
            let _ = write!(text, "{a:<8.8}{b:<20.20}");
            let mut fl = String::new();
            if com {
                fl.push('C');
            }
            if e.flags & ATF_PERM != 0 {
                fl.push('M');
            }
            if publ {
                fl.push('P');
            }
            let _ = writeln!(text, "{fl:<6.6}{:<15.15} {}", "", e.dev);
        } else {
            let _ = write!(text, "{name} ({}) at ", e.ip);
            if !com {
                text.push_str(if publ && classic {
                    "* "
                } else if publ {
                    "<from_interface> "
                } else {
                    "<incomplete> "
                });
            } else {
                let _ = write!(text, "{} [{hw}] ", e.hwaddr);
            }
            if e.flags & ATF_PERM != 0 {
                text.push_str("PERM ");
            }
            if publ {
                text.push_str(if classic { "PUP " } else { "PUB " });
            }
            let _ = writeln!(text, "on {}", e.dev);
        }
    }
    if o.json {
        out.stdout = super::json::from_text(&text);
    } else {
        out.stdout = text;
    }
    if o.verbose && !o.json {
        let _ = writeln!(
            out.stdout,
            "Entries: {}\tSkipped: {}\tFound: {}",
            all.len(),
            all.len() - shown,
            shown
        );
    }
    if shown == 0 && !o.json {
        if let (Some(h), Some(ip), false) = (host, &host_ip, o.all) {
            let _ = writeln!(out.stdout, "{h} ({ip}) -- no entry");
        } else if o.hw_type.is_some() || host.is_some() || o.device.is_some() {
            let _ = writeln!(out.stdout, "arp: in {} entries no match found.", all.len());
        }
    }
    out
}
