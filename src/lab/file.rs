//! The lab file: TOML, or JSON with the same schema (chosen by the `.json` extension) — the
//! schema's types and [`Lab::parse`], whose errors are one line naming the file, the line
//! and the key (`hosts[0].routes[1].via`). [`Lab::validate`] (in `validate.rs`) checks a
//! parsed lab as a whole before anything runs; `query.rs` answers what a valid lab means
//! (namespaces, machines, addresses, service order).

use crate::error::{Error, Result};
use crate::shape::ShapeDecl;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// The most ports a Linux bridge holds (port numbers are 10 bits, 0 unused: the kernel's
/// `BR_MAX_PORTS`); the 1,024th `master` is refused with "Exchange full".
pub const BRIDGE_MAX_PORTS: usize = 1023;

/// The default lab: the slides' four hosts on one bridge, compiled into the binary.
pub const DEFAULT_LAB: &str = include_str!("../../labs/seed.toml");
/// The name `labs/seed.toml` is reported under.
pub const DEFAULT_LAB_PATH: &str = "labs/seed.toml (built in)";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a lab: a table with `name` and `[[hosts]]`"
)]
pub struct Lab {
    pub name: String,
    #[serde(default)]
    pub hosts: Vec<Host>,
    #[serde(default)]
    pub bridges: Vec<Bridge>,
    #[serde(default)]
    pub links: Vec<LinkDecl>,
    /// Reachability expectations for `check`, on top of the defaults.
    #[serde(default)]
    pub expect: Vec<Expect>,
    /// The machines a lab is spread over (none: everything on the machine nslab runs on).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub machines: Vec<Machine>,
    /// Only in one machine's part of a lab spread over machines (see [`Lab::part`]), never
    /// in a lab file: the transit namespace that holds that machine's VXLAN tunnels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transit: Option<Transit>,
}

/// A machine a lab's hosts and bridges can be placed on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a machine: a table such as { name = \"A\", ssh = \"root@10.1.0.2\", underlay = \"10.1.0.2\" }"
)]
pub struct Machine {
    pub name: String,
    /// The `ssh` destination (`user@host`), or `local`: the machine nslab runs on.
    pub ssh: String,
    /// The machine's own address on the network between the machines: the local end of its
    /// VXLAN tunnels.
    pub underlay: String,
    /// The MTU of that network (default 1500); cross-machine links get 50 bytes less.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
    /// The path of nslab on that machine (default: `nslab`, found on its PATH).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nslab: Option<String>,
}

/// What VXLAN adds to each frame: outer Ethernet 14, IPv4 20, UDP 8, VXLAN 8.
pub const VXLAN_OVERHEAD: u32 = 50;
/// The UDP port of the lab's tunnels (IANA's VXLAN port).
pub const VXLAN_PORT: u16 = 4789;
/// The underlay MTU when a machine does not say.
pub const DEFAULT_UNDERLAY_MTU: u32 = 1500;

impl Machine {
    pub fn is_local(&self) -> bool {
        self.ssh == "local"
    }

    pub fn underlay_mtu(&self) -> u32 {
        self.mtu.unwrap_or(DEFAULT_UNDERLAY_MTU)
    }
}

/// A machine's transit namespace: for each link between this machine and another, a veth
/// from the lab's end to the transit namespace, bridged there (`xbN`) to a VXLAN device
/// (`vxN`) whose UDP socket is in the machine's root namespace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transit {
    pub name: String,
    pub tunnels: Vec<Tunnel>,
    /// The addresses (ADDR/LEN) of the hosts on the other machines: the neighbours this
    /// machine's hosts may need entries for (see `neigh::need`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<String>,
}

/// One end of a cross-machine link, on this machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tunnel {
    /// The link's index in the whole lab: the devices are `xvN`, `vxN`, `xbN`.
    pub link: usize,
    pub vni: u32,
    pub local: String,
    pub remote: String,
    /// The MTU of every device on the tunnel's path (the end's, the transit's).
    pub mtu: u32,
    /// The lab's end of the link on this machine (its MTU filled in).
    pub end: Endpoint,
}

impl Tunnel {
    /// The transit namespace's devices: the veth peer of the lab's end, the VXLAN device and
    /// the bridge joining them.
    pub fn devices(&self) -> [String; 3] {
        let i = self.link;
        [format!("xv{i}"), format!("vx{i}"), format!("xb{i}")]
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a host: a table such as { name = \"h1\" }"
)]
pub struct Host {
    pub name: String,
    /// The machine the host runs on (default: the one with `ssh = "local"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<String>,
    #[serde(default)]
    pub routes: Vec<RouteDecl>,
    /// Namespaced sysctls (`net.*`), e.g. `"net.ipv4.ip_forward" = 1`.
    #[serde(default)]
    pub sysctl: BTreeMap<String, SysctlValue>,
    /// Commands run in the host after everything is up (argv; a string is split on
    /// whitespace, no shell).
    #[serde(default)]
    pub exec: Vec<CommandDecl>,
    /// How long `up` waits for each `exec` command, in seconds (default 10). A command still
    /// running then is reported and left running; `down` ends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec_timeout: Option<f64>,
    /// More names for the host's `/etc/hosts` (`/etc/netns/HOST/hosts`): name → address.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_hosts: BTreeMap<String, String>,
    /// The host's `/etc/resolv.conf` (written to `/etc/netns/HOST/resolv.conf`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolv_conf: Option<String>,
    /// Background services started by `up` once the network is ready (`[[hosts.services]]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceDecl>,
}

/// A background service of a host (`[[hosts.services]]`), see `lab::service`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a service: a table such as { name = \"web\", command = [\"python3\", \"-m\", \"http.server\"] }"
)]
pub struct ServiceDecl {
    pub name: String,
    /// The argv (no shell).
    pub command: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    #[serde(default)]
    pub restart: Restart,
    /// How `up` knows the service is ready; without it, started is ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<ReadyDecl>,
    /// Services (`HOST.SERVICE`) that must be started and ready first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
}

/// Whether a service that ends is started again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Restart {
    #[default]
    No,
    OnFailure,
}

impl Restart {
    pub fn as_str(self) -> &'static str {
        match self {
            Restart::No => "no",
            Restart::OnFailure => "on-failure",
        }
    }
}

/// A readiness probe: a command retried until it succeeds, or a TCP port that must accept
/// (`tcp = 8000` is 127.0.0.1:8000 in the host; `tcp = "10.0.0.1:8000"` an address of it),
/// each within `timeout` seconds (default 10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a readiness probe: { tcp = PORT } or { command = [ARGV…] }, with optional timeout"
)]
pub struct ReadyDecl {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpTarget>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<f64>,
}

/// A TCP port (on 127.0.0.1) or `ADDR:PORT`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged, expecting = "a port number or \"ADDR:PORT\"")]
pub enum TcpTarget {
    Port(u16),
    Addr(String),
}

impl TcpTarget {
    pub fn socket_addr(&self) -> std::result::Result<std::net::SocketAddr, String> {
        match self {
            TcpTarget::Port(0) => Err("port 0 cannot accept".into()),
            TcpTarget::Port(p) => Ok(std::net::SocketAddr::from(([127, 0, 0, 1], *p))),
            TcpTarget::Addr(a) => a
                .parse()
                .map_err(|_| format!("`{}` is not ADDR:PORT", a.escape_default())),
        }
    }
}

/// How long `up` waits for a service to be ready when the lab file does not say.
pub const DEFAULT_READY_TIMEOUT: f64 = 10.0;

/// How long `up` waits for a host command when the lab file does not say.
pub const DEFAULT_EXEC_TIMEOUT: f64 = 10.0;

impl Host {
    /// The `exec` timeout in milliseconds.
    pub fn exec_timeout_ms(&self) -> u64 {
        (self.exec_timeout.unwrap_or(DEFAULT_EXEC_TIMEOUT) * 1000.0).round() as u64
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a sysctl value: an integer, true/false or a string"
)]
pub enum SysctlValue {
    Int(i64),
    Bool(bool),
    Text(String),
}

impl SysctlValue {
    pub fn render(&self) -> String {
        match self {
            SysctlValue::Int(i) => i.to_string(),
            SysctlValue::Bool(b) => (*b as u8).to_string(),
            SysctlValue::Text(s) => s.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a command: a string, or a list of strings (its argv)"
)]
pub enum CommandDecl {
    Line(String),
    Argv(Vec<String>),
}

impl CommandDecl {
    pub fn argv(&self) -> Vec<String> {
        match self {
            CommandDecl::Line(l) => l.split_whitespace().map(str::to_string).collect(),
            CommandDecl::Argv(v) => v.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a bridge: a table such as { name = \"br0\", host = \"h1\" }"
)]
pub struct Bridge {
    pub name: String,
    /// The host whose namespace holds the bridge; none means the root namespace.
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub addrs: Vec<String>,
    #[serde(default)]
    pub stp: bool,
    #[serde(default)]
    pub mtu: Option<u32>,
    #[serde(default)]
    pub mac: Option<String>,
    /// The machine of a bridge in the root namespace (one with `host` is on its host's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a link: a table with endpoints `a` and `b`"
)]
pub struct LinkDecl {
    pub a: Endpoint,
    pub b: Endpoint,
    /// The VXLAN network identifier of a link between two machines (default: one derived
    /// from the lab's name and the link's place).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vni: Option<u32>,
    /// Shaping of both directions (each end's egress); an end's own `shape` overrides it
    /// key by key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<ShapeDecl>,
}

/// One end of a veth: an interface of a host, or a port on a bridge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an endpoint: a table such as { host = \"h1\", name = \"eth0\" }"
)]
pub struct Endpoint {
    pub name: String,
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub bridge: Option<String>,
    #[serde(default)]
    pub addrs: Vec<String>,
    #[serde(default)]
    pub mtu: Option<u32>,
    #[serde(default)]
    pub mac: Option<String>,
    #[serde(default = "yes")]
    pub up: bool,
    /// Shaping of this end's egress (traffic from this end toward the other).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<ShapeDecl>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a route: a table such as { to = \"default\", via = \"10.0.0.1\" }"
)]
pub struct RouteDecl {
    /// `default` or a prefix.
    pub to: String,
    #[serde(default)]
    pub via: Option<String>,
    #[serde(default)]
    pub dev: Option<String>,
    #[serde(default)]
    pub metric: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an expectation: a table such as { from = \"h1\", to = \"h2\", reach = true }"
)]
pub struct Expect {
    pub from: String,
    pub to: String,
    pub reach: bool,
}

/// An address with its prefix length, as written in a lab file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub len: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> std::result::Result<Cidr, String> {
        let (a, l) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` has no prefix length (write it as ADDR/LEN)"))?;
        let addr: IpAddr = a
            .parse()
            .map_err(|_| format!("`{a}` is not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len: u8 = l
            .parse()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| format!("`{l}` is not a prefix length for {addr} (0..={max})"))?;
        Ok(Cidr { addr, len })
    }

    /// Whether `ip` falls in this prefix.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.len == 0 {
                    0
                } else {
                    u32::MAX << (32 - self.len)
                };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.len == 0 {
                    0
                } else {
                    u128::MAX << (128 - self.len)
                };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }

    /// Whether the address has no bits set past the prefix (a route destination).
    pub fn is_network(&self) -> bool {
        match self.addr {
            IpAddr::V4(a) => self.len == 32 || u32::from(a) << self.len == 0,
            IpAddr::V6(a) => self.len == 128 || u128::from(a) << self.len == 0,
        }
    }

    pub fn is_usable_host(&self) -> bool {
        !self.addr.is_loopback() && !self.addr.is_multicast() && !self.addr.is_unspecified()
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// A link between two machines (see [`Lab::cross_links`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cross {
    pub link: usize,
    pub vni: u32,
    /// The machines of end `a` and end `b`.
    pub a: String,
    pub b: String,
    /// The MTU the link's devices get: the smaller underlay MTU less VXLAN's overhead.
    pub mtu: u32,
}

/// The prefix an address is in (host bits cleared).
pub(super) fn network_of(c: Cidr) -> Cidr {
    let addr = match c.addr {
        IpAddr::V4(a) => {
            let mask = if c.len == 0 {
                0
            } else {
                u32::MAX << (32 - c.len)
            };
            IpAddr::from((u32::from(a) & mask).to_be_bytes())
        }
        IpAddr::V6(a) => {
            let mask = if c.len == 0 {
                0
            } else {
                u128::MAX << (128 - c.len)
            };
            IpAddr::from((u128::from(a) & mask).to_be_bytes())
        }
    };
    Cidr { addr, len: c.len }
}

/// Where a lab file came from, for error messages.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Lab {
    /// Parse a lab file's text; `path` decides the format (`.json` or TOML) and names errors.
    /// An error is one line: the file and line, the key (`hosts[0].routes[1].via`) and what
    /// was expected there.
    pub fn parse(path: &str, text: &str) -> Result<Lab> {
        // A lab on standard input (`-`) is JSON when it starts like JSON (what nslab sends
        // to the other machines of a lab), else TOML.
        if path.ends_with(".json") || (path == "-" && text.trim_start().starts_with('{')) {
            let mut de = serde_json::Deserializer::from_str(text);
            serde_path_to_error::deserialize(&mut de)
                .map_err(|e| {
                    let line = e.inner().line();
                    let key = key_of(e.path());
                    Error::lab(format!("{path}:{line}"), keyed(key, &e.inner().to_string()))
                })
                .and_then(|lab| {
                    de.end().map(|()| lab).map_err(|e| {
                        Error::lab(format!("{path}:{}", e.line()), message_of(&e.to_string()))
                    })
                })
        } else {
            let de = toml::Deserializer::new(text);
            serde_path_to_error::deserialize(de).map_err(|e| {
                let place = match e.inner().span() {
                    Some(span) => format!("{path}:{}", line_of(text, span.start)),
                    None => path.to_string(),
                };
                Error::lab(place, keyed(key_of(e.path()), e.inner().message()))
            })
        }
    }

    /// Read and parse a lab file from disk.
    pub fn load(path: &str) -> Result<Lab> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::lab(path, format!("cannot read: {e}")))?;
        Lab::parse(path, &text)
    }

    /// The built-in default lab.
    pub fn default_lab() -> Lab {
        Lab::parse(DEFAULT_LAB_PATH, DEFAULT_LAB).expect("the built-in lab parses")
    }
}

/// The key a parse error is at, as written in a lab file (`hosts[0].sysctl."net.ipv4.x"`),
/// or `None` at the top level.
fn key_of(path: &serde_path_to_error::Path) -> Option<String> {
    use serde_path_to_error::Segment;
    let mut key = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => key.push_str(&format!("[{index}]")),
            Segment::Map { key: k } | Segment::Enum { variant: k } => {
                if !key.is_empty() {
                    key.push('.');
                }
                let bare = !k.is_empty()
                    && k.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if bare {
                    key.push_str(k);
                } else {
                    key.push_str(&format!("{:?}", k));
                }
            }
            Segment::Unknown => key.push_str(".?"),
        }
    }
    (!key.is_empty()).then_some(key)
}

/// A parser's message made one line: its lines joined, the position suffix serde_json adds
/// dropped (the place already names the line), never empty.
fn message_of(raw: &str) -> String {
    let joined = raw
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let trimmed = match joined.rfind(" at line ") {
        Some(i) if joined[i..].contains(" column ") => joined[..i].to_string(),
        _ => joined,
    };
    if trimmed.is_empty() {
        // toml says nothing when a value is missing (`name =` at the end of the file).
        "a value was expected here".to_string()
    } else {
        trimmed
    }
}

/// `KEY: MESSAGE`, or the message alone at the top level.
fn keyed(key: Option<String>, raw: &str) -> String {
    match key {
        Some(k) => format!("{k}: {}", message_of(raw)),
        None => message_of(raw),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn the_default_lab_is_valid() {
        Lab::default_lab().validate("seed").unwrap();
    }

    #[test]
    fn prefix_applies_to_hosts_and_root_devices_only() {
        let lab = Lab::default_lab().with_prefix("t1-");
        assert_eq!(lab.name, "t1-seed");
        assert_eq!(lab.hosts[0].name, "t1-ns1");
        assert_eq!(lab.bridges[0].name, "br0");
        assert_eq!(lab.bridges[0].host.as_deref(), Some("t1-ns1"));
        lab.validate("x").unwrap();
    }

    /// A flat star: hub `hub` holding bridge `br0`, `spokes` hosts on it, all in 10/8.
    pub(crate) fn flat_star(spokes: usize) -> Lab {
        let mut t = String::from("name = \"flat\"\n[[hosts]]\nname = \"hub\"\n");
        t.push_str("[[bridges]]\nname = \"br0\"\nhost = \"hub\"\n");
        for i in 1..=spokes {
            t.push_str(&format!("[[hosts]]\nname = \"h{i}\"\n"));
        }
        for i in 1..=spokes {
            t.push_str(&format!(
                "[[links]]\na = {{ host = \"h{i}\", name = \"veth0\", addrs = [\"10.0.{}.{}/8\"] }}\n\
                 b = {{ bridge = \"br0\", name = \"e{i}\" }}\n",
                i / 256,
                i % 256
            ));
        }
        Lab::parse("flat.toml", &t).unwrap()
    }

    #[test]
    fn a_bridge_with_more_than_1023_ports_is_refused_at_its_1024th() {
        flat_star(BRIDGE_MAX_PORTS).validate("flat.toml").unwrap();
        let e = flat_star(BRIDGE_MAX_PORTS + 1)
            .validate("flat.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("flat.toml: links[1023].b.bridge: "), "{e}");
        assert!(
            e.contains("bridge `br0` would get more than 1023 ports"),
            "{e}"
        );
    }

    #[test]
    fn cidr_contains() {
        let c = Cidr::parse("10.0.0.0/24").unwrap();
        assert!(c.contains("10.0.0.9".parse().unwrap()));
        assert!(!c.contains("10.0.1.9".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.1/33").is_err());
        assert!(Cidr::parse("2001:db8::1/64")
            .unwrap()
            .contains("2001:db8::2".parse().unwrap()));
    }
}
