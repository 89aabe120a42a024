//! Name lookups as glibc does them for net-tools, from the files only: `/etc/hosts`
//! (`gethostbyname`, `gethostbyaddr`, `getnameinfo`) and `/etc/networks` (`getnetbyname`,
//! `getnetbyaddr`). nslab never asks DNS: in a lab namespace there is no resolver to reach,
//! and a lookup that waits for one would hang the drop-in (net-tools then falls back to the
//! numeric form, which is what nslab prints when the files do not know a name).

use std::net::{IpAddr, Ipv4Addr};

/// The contents of the two databases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    /// `/etc/hosts`: address, canonical name, aliases, in file order.
    pub hosts: Vec<(IpAddr, Vec<String>)>,
    /// `/etc/networks`: name and aliases, network number (host order, as `inet_network`).
    pub networks: Vec<(Vec<String>, u32)>,
}

/// `inet_network(3)`: `a.b.c.d` with 1–4 parts, each decimal, octal or hex; the parts are
/// the high bytes of… nothing: `inet_network("10.1")` is 0x0a01 (the value is right-aligned).
fn inet_network(s: &str) -> Option<u32> {
    let mut val: u32 = 0;
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 4 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    for p in parts {
        let n = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
            u32::from_str_radix(h, 16).ok()?
        } else if p.len() > 1 && p.starts_with('0') {
            u32::from_str_radix(&p[1..], 8).ok()?
        } else {
            p.parse().ok()?
        };
        if n > 255 {
            return None;
        }
        val = (val << 8) | n;
    }
    Some(val)
}

fn words(line: &str) -> Vec<&str> {
    line.split('#')
        .next()
        .unwrap_or("")
        .split_ascii_whitespace()
        .collect()
}

impl Names {
    /// Parse the texts of `/etc/hosts` and `/etc/networks`.
    pub fn parse(hosts: &str, networks: &str) -> Names {
        let mut n = Names::default();
        for line in hosts.lines() {
            let w = words(line);
            if let [addr, names @ ..] = w.as_slice() {
                if let (Ok(a), false) = (addr.parse::<IpAddr>(), names.is_empty()) {
                    n.hosts
                        .push((a, names.iter().map(|s| s.to_string()).collect()));
                }
            }
        }
        for line in networks.lines() {
            let w = words(line);
            if let [name, num, aliases @ ..] = w.as_slice() {
                if let Some(v) = inet_network(num) {
                    let mut all = vec![name.to_string()];
                    all.extend(aliases.iter().map(|s| s.to_string()));
                    n.networks.push((all, v));
                }
            }
        }
        n
    }

    /// Read the files of the running system (missing files are empty databases).
    pub fn system() -> Names {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        Names::parse(&read("/etc/hosts"), &read("/etc/networks"))
    }

    /// `gethostbyaddr`: the canonical name of the first line with this address.
    pub fn host_by_addr(&self, a: IpAddr) -> Option<&str> {
        self.hosts
            .iter()
            .find(|(x, _)| *x == a)
            .map(|(_, n)| n[0].as_str())
    }

    /// `gethostbyname` for IPv4: the first line naming it (canonical name or alias).
    pub fn host_by_name(&self, name: &str) -> Option<Ipv4Addr> {
        self.hosts.iter().find_map(|(a, n)| match a {
            IpAddr::V4(v4) if n.iter().any(|x| x == name) => Some(*v4),
            _ => None,
        })
    }

    /// `getnetbyname`: the network number, host order.
    pub fn net_by_name(&self, name: &str) -> Option<u32> {
        self.networks
            .iter()
            .find(|(n, _)| n.iter().any(|x| x == name))
            .map(|(_, v)| *v)
    }

    /// `getnetbyaddr(net, AF_INET)`: the name of the first entry with this number.
    pub fn net_by_addr(&self, net: u32) -> Option<&str> {
        self.networks
            .iter()
            .find(|(_, v)| *v == net)
            .map(|(n, _)| n[0].as_str())
    }
}

impl Names {
    /// net-tools' `INET_rresolve`: an IPv4 address as net-tools names it. `default_name`:
    /// `default` (else `*`) for 0.0.0.0/0; `host`: look the address up as a host even when it
    /// has no host bits; `mask`: the netmask that decides host or network.
    pub fn inet_rresolve(
        &self,
        a: Ipv4Addr,
        numeric: bool,
        default_name: bool,
        host: bool,
        mask: u32,
    ) -> String {
        if numeric {
            return a.to_string();
        }
        let ad = u32::from(a);
        if ad == 0 {
            return if mask != 0 {
                "0.0.0.0"
            } else if default_name {
                "default"
            } else {
                "*"
            }
            .to_string();
        }
        let found = if ad & !mask != 0 || host {
            self.host_by_addr(IpAddr::V4(a))
        } else {
            self.net_by_addr(ad)
        };
        found.map_or_else(|| a.to_string(), str::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_read_as_glibc_reads_them() {
        let n = Names::parse(
            "127.0.0.1 localhost # me\n::1 ip6-localhost ip6-loopback\n10.0.0.2 gw two\n10.0.0.2 other\n",
            "default 0.0.0.0\nloopback 127.0.0.0\nshort 10.1 alias\n",
        );
        assert_eq!(n.host_by_addr("10.0.0.2".parse().unwrap()), Some("gw"));
        assert_eq!(
            n.host_by_addr("::1".parse().unwrap()),
            Some("ip6-localhost")
        );
        assert_eq!(n.host_by_name("two"), Some(Ipv4Addr::new(10, 0, 0, 2)));
        assert_eq!(n.net_by_addr(0x7f00_0000), Some("loopback"));
        assert_eq!(n.net_by_name("alias"), Some(0x0a01));
        assert_eq!(n.net_by_name("nosuch"), None);
    }
}
