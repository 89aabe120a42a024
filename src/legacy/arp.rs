//! The changing half of net-tools 2.10 `arp` (`arp -s`, `arp -d`), as a pure function:
//! argv → [`Invocation`], and its kernel change as [`Op`]s.
//!
//! `arp -s HOST MAC [temp] [pub] [netmask M]` sends SIOCSARP with `ATF_PERM|ATF_COM` (`temp`
//! drops `ATF_PERM`, `pub` adds `ATF_PUBL`). The kernel (`net/ipv4/arp.c`) makes a
//! `permanent` entry, a `stale` one for `temp`, and a proxy entry for `pub`. `arp -d HOST
//! [pub]` deletes. Without `-i IF` the kernel picks the device by a route lookup at run time,
//! which a static translation cannot know.

use crate::op::{Ns, Op};
use std::net::Ipv4Addr;

/// One parsed `arp` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// `arp`, `arp -a`, `arp -n`, `arp -e`: prints the table.
    Show,
    Set {
        addr: Ipv4Addr,
        mac: String,
        temp: bool,
        publ: bool,
        dev: Option<String>,
    },
    Del {
        addr: Ipv4Addr,
        publ: bool,
        dev: Option<String>,
    },
    /// Something `arp` refuses before touching the kernel, or a form not modelled here.
    Refused(String),
}

/// A MAC as `arp` reads it for Ethernet: six hex octets separated by `:`.
fn ether(s: &str) -> Option<String> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 {
        return None;
    }
    let mut out = Vec::new();
    for p in parts {
        if p.is_empty() || p.len() > 2 {
            return None;
        }
        out.push(format!("{:02x}", u8::from_str_radix(p, 16).ok()?));
    }
    Some(out.join(":"))
}

/// Parse argv (without argv[0]).
pub fn parse(args: &[String]) -> Invocation {
    let mut dev = None;
    let mut mode = None;
    let mut rest = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "-i" | "--device" => {
                i += 1;
                match args.get(i) {
                    Some(d) => dev = Some(d.clone()),
                    None => return Invocation::Refused("arp: option requires an argument".into()),
                }
            }
            "-s" | "--set" => mode = Some('s'),
            "-d" | "--delete" => mode = Some('d'),
            "-n" | "--numeric" | "-v" | "--verbose" | "-a" | "--all" | "-e" => {}
            "-H" | "-t" | "--hw-type" => {
                i += 1;
                if args.get(i).map(String::as_str) != Some("ether") {
                    return Invocation::Refused(
                        "arp: only the ether hardware type is modelled".into(),
                    );
                }
            }
            _ if a.starts_with("-i") && a.len() > 2 => dev = Some(a[2..].to_string()),
            _ if a.len() > 2
                && a.starts_with('-')
                && !a.starts_with("--")
                && a[1..].chars().all(|c| "navesd".contains(c)) =>
            {
                for c in a[1..].chars() {
                    match c {
                        's' => mode = Some('s'),
                        'd' => mode = Some('d'),
                        _ => {}
                    }
                }
            }
            _ if a.starts_with('-') => {
                return Invocation::Refused(format!("arp: option `{a}' is not modelled"))
            }
            _ => rest.push(a),
        }
        i += 1;
    }
    let Some(mode) = mode else {
        return Invocation::Show;
    };
    let Some(host) = rest.first() else {
        return Invocation::Refused("arp: need host name".into());
    };
    let Some(addr) = crate::legacy::ifconfig::set::grammar::inet_aton(host) else {
        return Invocation::Refused(format!("arp: {host}: Unknown host"));
    };
    if mode == 'd' {
        let publ = rest[1..].contains(&"pub");
        return Invocation::Del { addr, publ, dev };
    }
    let Some(mac) = rest.get(1) else {
        return Invocation::Refused("arp: need hardware address".into());
    };
    let Some(mac) = ether(mac) else {
        return Invocation::Refused(format!("arp: invalid hardware address `{mac}'"));
    };
    let (mut temp, mut publ) = (false, false);
    let mut words = rest[2..].iter();
    while let Some(w) = words.next() {
        match *w {
            "temp" => temp = true,
            "pub" => publ = true,
            "trail" => {}
            "netmask" => {
                if words.next().copied() != Some("255.255.255.255") {
                    return Invocation::Refused(
                        "arp: proxy ARP for networks is not modelled".into(),
                    );
                }
            }
            other => return Invocation::Refused(format!("arp: unknown flag `{other}'")),
        }
    }
    Invocation::Set {
        addr,
        mac,
        temp,
        publ,
        dev,
    }
}

impl Invocation {
    /// The kernel change in namespace `ns`; `None` for display, refusals, and commands
    /// without `-i` (the device is then chosen by the kernel at run time).
    pub fn ops(&self, ns: &Ns) -> Option<Vec<Op>> {
        match self {
            Invocation::Set {
                addr,
                mac,
                temp,
                publ,
                dev: Some(dev),
            } => Some(vec![Op::SetNeigh {
                ns: ns.clone(),
                dev: dev.clone(),
                addr: addr.to_string(),
                lladdr: (!publ).then(|| mac.clone()),
                nud: if *temp { "stale" } else { "permanent" }.into(),
            }]),
            Invocation::Del {
                addr,
                publ,
                dev: Some(dev),
            } => Some(vec![Op::DelNeigh {
                ns: ns.clone(),
                dev: dev.clone(),
                addr: addr.to_string(),
                proxy: *publ,
            }]),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Invocation {
        parse(
            &line
                .split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn set_with_device_is_a_permanent_neighbour() {
        let ops = p("-i eth0 -s 10.0.0.9 2:0:0:0:0:9")
            .ops(&Some("n".into()))
            .unwrap();
        assert_eq!(
            ops[0].to_string(),
            "ip -n n neigh replace 10.0.0.9 lladdr 02:00:00:00:00:09 nud permanent dev eth0"
        );
        let ops = p("-s 10.0.0.9 02:00:00:00:00:09 temp -i eth0")
            .ops(&None)
            .unwrap();
        assert!(ops[0].to_string().contains("nud stale"));
    }

    #[test]
    fn without_a_device_there_is_no_static_translation() {
        assert!(p("-s 10.0.0.9 02:00:00:00:00:09").ops(&None).is_none());
        assert_eq!(p("-an"), Invocation::Show);
    }
}
