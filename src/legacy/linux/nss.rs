//! The names netstat prints instead of numbers, looked up the way glibc's `files` NSS backend
//! does, and never through DNS: services (`/etc/services`), protocols (`/etc/protocols`, for
//! raw sockets), hosts (`/etc/hosts`), networks (`/etc/networks`) and users (`/etc/passwd`).
//!
//! net-tools reads every service entry into a list it prepends to, so the **last** line for a
//! port wins; protocols are prepended after the services of the `raw` list. Host lookups
//! return the first line's canonical name. An address with no entry prints as numbers (where
//! net-tools would go on to ask DNS, which a lab namespace cannot reach).

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The texts of the files, read once per run.
#[derive(Debug, Clone, Default)]
pub struct Names {
    tcp: HashMap<u16, String>,
    udp: HashMap<u16, String>,
    raw: HashMap<u16, String>,
    hosts4: HashMap<Ipv4Addr, String>,
    hosts6: HashMap<Ipv6Addr, String>,
    networks: HashMap<u32, String>,
    users: HashMap<u32, String>,
}

fn fields(line: &str) -> Vec<&str> {
    line.split('#')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect()
}

impl Names {
    /// Build from the file texts (missing files: empty).
    pub fn new(services: &str, protocols: &str, hosts: &str, networks: &str, passwd: &str) -> Self {
        let mut n = Names::default();
        for line in services.lines() {
            let f = fields(line);
            let [name, port_proto, ..] = f[..] else {
                continue;
            };
            let Some((port, proto)) = port_proto.split_once('/') else {
                continue;
            };
            let Ok(port) = port.parse::<u16>() else {
                continue;
            };
            let list = match proto {
                "tcp" => &mut n.tcp,
                "udp" => &mut n.udp,
                "raw" => &mut n.raw,
                _ => continue,
            };
            list.insert(port, name.to_string());
        }
        for line in protocols.lines() {
            let f = fields(line);
            let [name, number, ..] = f[..] else { continue };
            if let Ok(p) = number.parse::<u16>() {
                n.raw.insert(p, name.to_string());
            }
        }
        for line in hosts.lines() {
            let f = fields(line);
            let [addr, name, ..] = f[..] else { continue };
            if let Ok(a) = addr.parse::<Ipv4Addr>() {
                n.hosts4.entry(a).or_insert_with(|| name.to_string());
            } else if let Ok(a) = addr.parse::<Ipv6Addr>() {
                n.hosts6.entry(a).or_insert_with(|| name.to_string());
            }
        }
        for line in networks.lines() {
            let f = fields(line);
            let [name, number, ..] = f[..] else { continue };
            if let Some(net) = inet_network_full(number) {
                n.networks.entry(net).or_insert_with(|| name.to_string());
            }
        }
        for line in passwd.lines() {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() >= 3 {
                if let Ok(uid) = f[2].parse::<u32>() {
                    n.users.entry(uid).or_insert_with(|| f[0].to_string());
                }
            }
        }
        n
    }

    /// Read the files the process sees (inside `ip netns exec`, /etc/netns/NS/* are there).
    pub fn from_system() -> Self {
        let r = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        Names::new(
            &r("/etc/services"),
            &r("/etc/protocols"),
            &r("/etc/hosts"),
            &r("/etc/networks"),
            &r("/etc/passwd"),
        )
    }

    /// net-tools `get_sname`: port 0 is `*`; a known service name unless numeric.
    pub fn port(&self, port: u16, proto: &str, numeric: bool) -> String {
        if port == 0 {
            return "*".into();
        }
        if !numeric {
            let list = match proto {
                "tcp" => &self.tcp,
                "udp" => &self.udp,
                "raw" => &self.raw,
                _ => return port.to_string(),
            };
            if let Some(name) = list.get(&port) {
                return name.clone();
            }
        }
        port.to_string()
    }

    /// net-tools `INET_sprint` (mask 255.255.255.0): numbers when numeric; a host name when
    /// the last byte is set, else a network name.
    pub fn inet(&self, a: Ipv4Addr, numeric: bool) -> String {
        if numeric {
            return a.to_string();
        }
        if a.is_unspecified() {
            return "0.0.0.0".into();
        }
        let found = if a.octets()[3] != 0 {
            self.hosts4.get(&a)
        } else {
            self.networks.get(&u32::from(a))
        };
        found.cloned().unwrap_or_else(|| a.to_string())
    }

    /// net-tools `INET6_sprint`: `[::]` for the unspecified address unless numeric; a mapped
    /// IPv4 address is looked up (and printed) as IPv4.
    pub fn inet6(&self, a: Ipv6Addr, numeric: bool) -> String {
        let text = crate::legacy::ifconfig::render::inet_ntop6(&a.octets());
        let mapped = a.to_ipv4_mapped();
        let name = if numeric {
            text
        } else if a.is_unspecified() {
            return "[::]".into();
        } else if let Some(v4) = mapped {
            self.hosts4.get(&v4).cloned().unwrap_or(text)
        } else {
            self.hosts6.get(&a).cloned().unwrap_or(text)
        };
        if mapped.is_some() && name.contains('.') {
            if let Some(colon) = name[..name.find('.').unwrap_or(0)].rfind(':') {
                return name[colon + 1..].to_string();
            }
        }
        name
    }

    /// `getpwuid`: the user name, or the number.
    pub fn user(&self, uid: u32, numeric: bool) -> Option<&str> {
        if numeric {
            return None;
        }
        self.users.get(&uid).map(String::as_str)
    }
}

/// glibc `inet_network` with the missing trailing parts added as zeros (what the files
/// backend of `getnetbyaddr` compares).
fn inet_network_full(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut v: u32 = 0;
    for i in 0..4 {
        let byte = match parts.get(i) {
            Some(p) => p.parse::<u8>().ok()?,
            None => 0,
        };
        v = (v << 8) | byte as u32;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_service_line_wins_and_protocols_name_raw_ports() {
        let n = Names::new(
            "ssh 22/tcp\nsecure 22/tcp # later\nhttp 80/tcp www\n",
            "icmp 1 ICMP\n",
            "127.0.0.1 localhost\n127.0.0.1 other\n::1 ip6-localhost\n",
            "loopback 127.0.0.0\nlink-local 169.254\n",
            "root:x:0:0:root:/root:/bin/sh\n",
        );
        assert_eq!(n.port(22, "tcp", false), "secure");
        assert_eq!(n.port(22, "tcp", true), "22");
        assert_eq!(n.port(22, "udp", false), "22");
        assert_eq!(n.port(0, "tcp", true), "*");
        assert_eq!(n.port(1, "raw", false), "icmp");
        assert_eq!(n.inet("127.0.0.1".parse().unwrap(), false), "localhost");
        assert_eq!(n.inet("127.0.0.0".parse().unwrap(), false), "loopback");
        assert_eq!(n.inet("169.254.0.0".parse().unwrap(), false), "link-local");
        assert_eq!(n.inet("0.0.0.0".parse().unwrap(), false), "0.0.0.0");
        assert_eq!(n.inet6("::".parse().unwrap(), false), "[::]");
        assert_eq!(n.inet6("::".parse().unwrap(), true), "::");
        assert_eq!(n.inet6("::1".parse().unwrap(), false), "ip6-localhost");
        assert_eq!(
            n.inet6("::ffff:127.0.0.1".parse().unwrap(), false),
            "localhost"
        );
        assert_eq!(
            n.inet6("::ffff:10.0.0.1".parse().unwrap(), false),
            "10.0.0.1"
        );
        assert_eq!(
            n.inet6("::ffff:10.0.0.1".parse().unwrap(), true),
            "10.0.0.1"
        );
        assert_eq!(n.user(0, false), Some("root"));
    }
}
