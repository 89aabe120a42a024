//! The lab file: TOML, or JSON with the same schema (chosen by the `.json` extension).
//! [`Lab::parse`] reads it and [`Lab::validate`] checks it as a whole before anything runs:
//! names, addresses, references between hosts, bridges and links, duplicates. Every error
//! is one line naming the file and the key (`links[2].a.host`) or the line.

use crate::backend::batch;
use crate::error::{escape_controls, Error, Result};
use crate::netns::check_name;
use crate::shape::{Shape, ShapeDecl};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
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
fn network_of(c: Cidr) -> Cidr {
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

    /// Prefix the lab name, every host (namespace) name and every root-namespace device name,
    /// so several copies of a lab can coexist (tests use this).
    pub fn with_prefix(mut self, prefix: &str) -> Lab {
        if prefix.is_empty() {
            return self;
        }
        let p = |s: &mut String| *s = format!("{prefix}{s}");
        p(&mut self.name);
        let root_bridges: BTreeSet<String> = self
            .bridges
            .iter()
            .filter(|b| b.host.is_none())
            .map(|b| b.name.clone())
            .collect();
        for h in &mut self.hosts {
            p(&mut h.name);
            for s in &mut h.services {
                for r in &mut s.after {
                    p(r);
                }
            }
        }
        for b in &mut self.bridges {
            match &mut b.host {
                Some(h) => p(h),
                None => p(&mut b.name),
            }
        }
        for l in &mut self.links {
            for e in [&mut l.a, &mut l.b] {
                if let Some(h) = &mut e.host {
                    p(h);
                }
                if let Some(b) = &mut e.bridge {
                    if root_bridges.contains(b) {
                        p(b);
                        p(&mut e.name);
                    }
                }
            }
        }
        for x in &mut self.expect {
            p(&mut x.from);
            p(&mut x.to);
        }
        self
    }

    /// The namespace an endpoint lives in (`None`: root), assuming a valid lab.
    pub fn endpoint_ns(&self, e: &Endpoint) -> Option<String> {
        match (&e.host, &e.bridge) {
            (Some(h), _) => Some(h.clone()),
            (None, Some(b)) => self
                .bridges
                .iter()
                .find(|x| &x.name == b)
                .and_then(|x| x.host.clone()),
            (None, None) => None,
        }
    }

    /// Devices this lab puts in the root namespace (bridges and veth ends).
    pub fn root_devices(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .bridges
            .iter()
            .filter(|b| b.host.is_none())
            .map(|b| b.name.clone())
            .collect();
        for e in self.ends() {
            if self.endpoint_ns(e).is_none() {
                v.push(e.name.clone());
            }
        }
        v
    }

    /// The shaping of end `side` (`"a"` or `"b"`) of link `i`: its link's, overridden key by
    /// key by its own, or `None` when neither has any. An error names the key that holds
    /// the bad value (`links[0].a.shape.loss` or `links[0].shape.loss`).
    pub fn end_shape(
        &self,
        i: usize,
        side: &str,
    ) -> std::result::Result<Option<Shape>, (String, String)> {
        let l = &self.links[i];
        let end = if side == "a" { &l.a } else { &l.b };
        let none = ShapeDecl::default();
        let link_decl = l.shape.as_ref().unwrap_or(&none);
        let end_decl = end.shape.as_ref().unwrap_or(&none);
        let merged = link_decl.overlay(end_decl);
        if merged.is_empty() {
            return Ok(None);
        }
        merged.parse().map(Some).map_err(|(key, msg)| {
            let place = if end_decl.has(key) {
                format!("links[{i}].{side}.shape.{key}")
            } else {
                format!("links[{i}].shape.{key}")
            };
            (place, msg)
        })
    }

    /// Every shaped veth end: its namespace, device and shaping (assuming a valid lab).
    pub fn shaped_ends(&self) -> Vec<(Option<String>, String, Shape)> {
        let mut v = Vec::new();
        for (i, l) in self.links.iter().enumerate() {
            for (side, e) in [("a", &l.a), ("b", &l.b)] {
                if let Ok(Some(shape)) = self.end_shape(i, side) {
                    v.push((self.endpoint_ns(e), e.name.clone(), shape));
                }
            }
        }
        v
    }

    /// Every veth end the lab has: both ends of each link, then (in a machine's part) the
    /// lab's end of each tunnel.
    pub fn ends(&self) -> impl Iterator<Item = &Endpoint> {
        let tunnels = self.transit.iter().flat_map(|t| &t.tunnels);
        self.links
            .iter()
            .flat_map(|l| [&l.a, &l.b])
            .chain(tunnels.map(|t| &t.end))
    }

    /// The namespaces the lab creates: its hosts, then (in a machine's part) the transit one.
    pub fn namespaces(&self) -> Vec<String> {
        let mut v = self.host_names();
        v.extend(self.transit.iter().map(|t| t.name.clone()));
        v
    }

    /// The machine hosts and bridges go on when they do not say: the one with `ssh = "local"`.
    fn default_machine(&self) -> Option<&str> {
        self.machines
            .iter()
            .find(|m| m.is_local())
            .map(|m| m.name.as_str())
    }

    pub fn machine(&self, name: &str) -> Option<&Machine> {
        self.machines.iter().find(|m| m.name == name)
    }

    /// The machine a host is on (`None` in a lab without machines, or for an unknown host).
    pub fn host_machine(&self, host: &str) -> Option<String> {
        let h = self.hosts.iter().find(|h| h.name == host)?;
        h.machine
            .clone()
            .or_else(|| self.default_machine().map(str::to_string))
    }

    /// The machine a bridge is on: its host's, else its own `machine`, else the default.
    pub fn bridge_machine(&self, b: &Bridge) -> Option<String> {
        match &b.host {
            Some(h) => self.host_machine(h),
            None => b
                .machine
                .clone()
                .or_else(|| self.default_machine().map(str::to_string)),
        }
    }

    /// The machine an endpoint is on (assuming a valid lab).
    pub fn endpoint_machine(&self, e: &Endpoint) -> Option<String> {
        match (&e.host, &e.bridge) {
            (Some(h), _) => self.host_machine(h),
            (None, Some(b)) => self
                .bridges
                .iter()
                .find(|x| &x.name == b)
                .and_then(|x| self.bridge_machine(x)),
            (None, None) => None,
        }
    }

    /// The links whose ends are on two machines, with the VNI each gets: its own `vni`, else
    /// the next free one from a base derived from the lab's name (so that two labs over the
    /// same machines rarely collide; the kernel refuses a VNI used twice on a machine).
    pub fn cross_links(&self) -> Vec<Cross> {
        let taken: BTreeSet<u32> = self.links.iter().filter_map(|l| l.vni).collect();
        // FNV-1a of the name: stable across runs and builds.
        let hash = self.name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
        });
        let mut next = 1000 * (1 + (hash % 16_000) as u32);
        let mut v = Vec::new();
        for (i, l) in self.links.iter().enumerate() {
            let (Some(a), Some(b)) = (self.endpoint_machine(&l.a), self.endpoint_machine(&l.b))
            else {
                continue;
            };
            if a == b {
                continue;
            }
            let vni = match l.vni {
                Some(v) => v,
                None => {
                    while taken.contains(&next) {
                        next += 1;
                    }
                    next += 1;
                    next - 1
                }
            };
            let mtu = [&a, &b]
                .iter()
                .filter_map(|m| self.machine(m))
                .map(Machine::underlay_mtu)
                .min()
                .unwrap_or(DEFAULT_UNDERLAY_MTU)
                - VXLAN_OVERHEAD;
            v.push(Cross {
                link: i,
                vni,
                a,
                b,
                mtu,
            });
        }
        v
    }

    /// The name of a machine's transit namespace for this lab.
    pub fn transit_name(&self) -> String {
        format!("{}-t", self.name)
    }

    pub fn host_names(&self) -> Vec<String> {
        self.hosts.iter().map(|h| h.name.clone()).collect()
    }

    /// [`Lab::host_addrs`] of every host at once, in one pass over the lab (a lab of
    /// thousands of hosts must not scan every link once per host).
    pub fn addrs_by_host(&self) -> HashMap<&str, Vec<(String, Cidr)>> {
        let mut m: HashMap<&str, Vec<(String, Cidr)>> = self
            .hosts
            .iter()
            .map(|h| (h.name.as_str(), Vec::new()))
            .collect();
        let mut add = |host: Option<&String>, dev: &str, addrs: &[String]| {
            if let Some(v) = host.and_then(|h| m.get_mut(h.as_str())) {
                v.extend(
                    addrs
                        .iter()
                        .filter_map(|a| Some((dev.to_string(), Cidr::parse(a).ok()?))),
                );
            }
        };
        for b in &self.bridges {
            add(b.host.as_ref(), &b.name, &b.addrs);
        }
        for e in self.ends() {
            add(e.host.as_ref(), &e.name, &e.addrs);
        }
        m
    }

    /// Addresses of a host: those of its interfaces and of the bridges in its namespace.
    pub fn host_addrs(&self, host: &str) -> Vec<(String, Cidr)> {
        let mut v = Vec::new();
        for b in self
            .bridges
            .iter()
            .filter(|b| b.host.as_deref() == Some(host))
        {
            v.extend(
                b.addrs
                    .iter()
                    .filter_map(|a| Some((b.name.clone(), Cidr::parse(a).ok()?))),
            );
        }
        for e in self.ends() {
            if e.host.as_deref() == Some(host) {
                v.extend(
                    e.addrs
                        .iter()
                        .filter_map(|a| Some((e.name.clone(), Cidr::parse(a).ok()?))),
                );
            }
        }
        v
    }

    /// Check the whole lab; the first problem is returned as a one-line error naming `path`
    /// and the key.
    pub fn validate(&self, path: &str) -> Result<()> {
        let err = |key: String, msg: String| Error::lab(format!("{path}: {key}"), msg);
        let name_ok = |key: String, n: &str| check_name(n).map_err(|m| err(key, m));
        // Namespace and device names go into `ip -batch` lines: each must be read back as
        // itself (see backend/batch.rs).
        let batch_ok = |key: String, n: &str| match batch::word(n) {
            Some(_) => Ok(()),
            None => Err(err(
                key,
                format!(
                    "`{}` cannot be used: {}",
                    escape_controls(n),
                    batch::why_not(n)
                ),
            )),
        };
        let host_ok = |key: String, n: &str| {
            name_ok(key.clone(), n)?;
            batch_ok(key, n)
        };
        // Interface names also pass the kernel's own rules for device names.
        let ifname_ok = |key: String, n: &str| {
            host_ok(key.clone(), n)?;
            check_ifname(n).map_err(|m| err(key, m))
        };

        name_ok("name".into(), &self.name)?;
        if self.hosts.is_empty() {
            return Err(err("hosts".into(), "the lab has no hosts".into()));
        }
        let mut hosts = BTreeSet::new();
        for (i, h) in self.hosts.iter().enumerate() {
            host_ok(format!("hosts[{i}].name"), &h.name)?;
            if !hosts.insert(h.name.as_str()) {
                return Err(err(
                    format!("hosts[{i}].name"),
                    format!("host `{}` is declared twice", h.name),
                ));
            }
        }
        // Devices per namespace (None: root), to find duplicates and resolve `dev`.
        let mut devices: BTreeMap<Option<String>, BTreeSet<String>> = BTreeMap::new();
        for h in &self.hosts {
            devices
                .entry(Some(h.name.clone()))
                .or_default()
                .insert("lo".into());
        }
        let mut add_dev = |key: String, ns: Option<String>, dev: &str| -> Result<()> {
            if !devices
                .entry(ns.clone())
                .or_default()
                .insert(dev.to_string())
            {
                let place = ns.map_or("the root namespace".to_string(), |n| format!("host `{n}`"));
                return Err(err(
                    key,
                    format!("interface `{dev}` already exists in {place}"),
                ));
            }
            Ok(())
        };
        let mut bridges = BTreeSet::new();
        let mut seen_addrs: BTreeMap<IpAddr, String> = BTreeMap::new();
        let mut check_addrs = |key: String, addrs: &[String]| -> Result<()> {
            for (j, a) in addrs.iter().enumerate() {
                let c = Cidr::parse(a).map_err(|m| err(format!("{key}[{j}]"), m))?;
                if !c.is_usable_host() {
                    return Err(err(
                        format!("{key}[{j}]"),
                        format!("`{a}` is not a host address"),
                    ));
                }
                if let Some(prev) = seen_addrs.insert(c.addr, format!("{key}[{j}]")) {
                    return Err(err(
                        format!("{key}[{j}]"),
                        format!("address {} is also used at {prev}", c.addr),
                    ));
                }
            }
            Ok(())
        };
        for (i, b) in self.bridges.iter().enumerate() {
            let key = format!("bridges[{i}]");
            ifname_ok(format!("{key}.name"), &b.name)?;
            if let Some(h) = &b.host {
                if !hosts.contains(h.as_str()) {
                    return Err(err(format!("{key}.host"), format!("no host named `{h}`")));
                }
            }
            if b.host.is_none()
                && !bridges
                    .iter()
                    .all(|x: &(Option<String>, String)| x.1 != b.name)
            {
                return Err(err(
                    format!("{key}.name"),
                    format!("bridge `{}` is declared twice", b.name),
                ));
            }
            bridges.insert((b.host.clone(), b.name.clone()));
            add_dev(format!("{key}.name"), b.host.clone(), &b.name)?;
            check_addrs(format!("{key}.addrs"), &b.addrs)?;
            check_mtu(&err, format!("{key}.mtu"), b.mtu)?;
            check_mac(&err, format!("{key}.mac"), b.mac.as_deref())?;
        }
        let bridge_ns = |name: &str| -> Vec<Option<String>> {
            self.bridges
                .iter()
                .filter(|b| b.name == name)
                .map(|b| b.host.clone())
                .collect()
        };
        let mut ports: HashMap<(Option<String>, &str), usize> = HashMap::new();
        for (i, l) in self.links.iter().enumerate() {
            for (side, e) in [("a", &l.a), ("b", &l.b)] {
                let key = format!("links[{i}].{side}");
                ifname_ok(format!("{key}.name"), &e.name)?;
                let ns = match (&e.host, &e.bridge) {
                    (Some(_), Some(_)) => {
                        return Err(err(
                            key,
                            "an endpoint names a host or a bridge, not both".into(),
                        ))
                    }
                    (None, None) => {
                        return Err(err(key, "an endpoint needs `host` or `bridge`".into()))
                    }
                    (Some(h), None) => {
                        if !hosts.contains(h.as_str()) {
                            return Err(err(format!("{key}.host"), format!("no host named `{h}`")));
                        }
                        Some(h.clone())
                    }
                    (None, Some(b)) => match bridge_ns(b).as_slice() {
                        [] => {
                            return Err(err(
                                format!("{key}.bridge"),
                                format!("no bridge named `{b}`"),
                            ))
                        }
                        [ns] => ns.clone(),
                        _ => {
                            return Err(err(
                                format!("{key}.bridge"),
                                format!(
                                    "bridge name `{b}` is ambiguous: it exists in several hosts"
                                ),
                            ))
                        }
                    },
                };
                if let Some(b) = &e.bridge {
                    let n = ports.entry((ns.clone(), b.as_str())).or_insert(0usize);
                    *n += 1;
                    if *n > BRIDGE_MAX_PORTS {
                        return Err(err(
                            format!("{key}.bridge"),
                            format!(
                                "bridge `{b}` would get more than {BRIDGE_MAX_PORTS} ports, \
                                 the most a Linux bridge holds: split the hosts over \
                                 several bridges joined by a link"
                            ),
                        ));
                    }
                }
                add_dev(format!("{key}.name"), ns, &e.name)?;
                check_addrs(format!("{key}.addrs"), &e.addrs)?;
                check_mtu(&err, format!("{key}.mtu"), e.mtu)?;
                check_mac(&err, format!("{key}.mac"), e.mac.as_deref())?;
                self.end_shape(i, side)
                    .map_err(|(place, msg)| err(place, msg))?;
            }
        }
        let addrs = self.addrs_by_host();
        // Per host, its interfaces declared `up = false`.
        let mut down: HashMap<&str, BTreeSet<&str>> = HashMap::new();
        for e in self.links.iter().flat_map(|l| [&l.a, &l.b]) {
            if let (Some(h), false) = (&e.host, e.up) {
                down.entry(h.as_str()).or_default().insert(e.name.as_str());
            }
        }
        for (i, h) in self.hosts.iter().enumerate() {
            let devs = devices
                .get(&Some(h.name.clone()))
                .cloned()
                .unwrap_or_default();
            let own = addrs.get(h.name.as_str()).cloned().unwrap_or_default();
            self.validate_routes(i, h, &devs, &own, &down, &err)?;
            for k in h.sysctl.keys() {
                let ok = k.starts_with("net.")
                    && !k.contains("..")
                    && k.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
                if !ok {
                    return Err(err(
                        format!("hosts[{i}].sysctl.\"{k}\""),
                        "only per-namespace `net.*` sysctls can be set in a host".into(),
                    ));
                }
            }
            for (j, c) in h.exec.iter().enumerate() {
                if c.argv().is_empty() {
                    return Err(err(format!("hosts[{i}].exec[{j}]"), "empty command".into()));
                }
            }
            for (name, a) in &h.extra_hosts {
                let key = format!("hosts[{i}].extra_hosts.\"{}\"", name.escape_default());
                let bad = name.is_empty()
                    || name.starts_with('#')
                    || name.chars().any(|c| c.is_whitespace() || c.is_control());
                if bad {
                    return Err(err(key, "not a host name".into()));
                }
                if a.parse::<IpAddr>().is_err() {
                    return Err(err(
                        key,
                        format!("`{}` is not an IP address", a.escape_default()),
                    ));
                }
            }
            if h.resolv_conf.as_deref().is_some_and(|r| r.contains('\0')) {
                return Err(err(
                    format!("hosts[{i}].resolv_conf"),
                    "contains a NUL byte".into(),
                ));
            }
            if let Some(t) = h.exec_timeout {
                check_seconds(&err, format!("hosts[{i}].exec_timeout"), t)?;
            }
        }
        self.validate_services(&err)?;
        for (i, x) in self.expect.iter().enumerate() {
            for (k, h) in [("from", &x.from), ("to", &x.to)] {
                if !hosts.contains(h.as_str()) {
                    return Err(err(
                        format!("expect[{i}].{k}"),
                        format!("no host named `{h}`"),
                    ));
                }
            }
            if x.from == x.to {
                return Err(err(
                    format!("expect[{i}]"),
                    "`from` and `to` are the same host".into(),
                ));
            }
        }
        self.validate_machines(&err)
    }

    /// The machines, where hosts and bridges are placed, and the links between machines:
    /// each gets a VNI of its own and an MTU that leaves room for VXLAN's 50 bytes.
    fn validate_machines(&self, err: &dyn Fn(String, String) -> Error) -> Result<()> {
        if self.transit.is_some() {
            return Err(err(
                "transit".into(),
                "is written by nslab in a machine's part, not in a lab file".into(),
            ));
        }
        if self.machines.is_empty() {
            let placed = self
                .hosts
                .iter()
                .enumerate()
                .find_map(|(i, h)| h.machine.as_ref().map(|_| format!("hosts[{i}].machine")))
                .or_else(|| {
                    self.bridges.iter().enumerate().find_map(|(i, b)| {
                        b.machine.as_ref().map(|_| format!("bridges[{i}].machine"))
                    })
                })
                .or_else(|| {
                    self.links
                        .iter()
                        .position(|l| l.vni.is_some())
                        .map(|i| format!("links[{i}].vni"))
                });
            return match placed {
                Some(key) => Err(err(key, "the lab declares no [[machines]]".into())),
                None => Ok(()),
            };
        }
        let mut names = BTreeSet::new();
        let mut underlays = BTreeMap::new();
        for (i, m) in self.machines.iter().enumerate() {
            let key = format!("machines[{i}]");
            check_name(&m.name).map_err(|msg| err(format!("{key}.name"), msg))?;
            if !names.insert(m.name.as_str()) {
                return Err(err(
                    format!("{key}.name"),
                    format!("machine `{}` is declared twice", m.name),
                ));
            }
            let word_ok = |w: &str| {
                !w.is_empty()
                    && !w.starts_with('-')
                    && !w.chars().any(|c| c.is_whitespace() || c.is_control())
            };
            if !word_ok(&m.ssh) {
                return Err(err(
                    format!("{key}.ssh"),
                    format!(
                        "`{}` is not an ssh destination (user@host, or `local`)",
                        escape_controls(&m.ssh)
                    ),
                ));
            }
            if m.nslab.as_deref().is_some_and(|p| !word_ok(p)) {
                return Err(err(
                    format!("{key}.nslab"),
                    "not a path (no spaces, no leading `-`)".into(),
                ));
            }
            let addr: IpAddr = m.underlay.parse().map_err(|_| {
                err(
                    format!("{key}.underlay"),
                    format!("`{}` is not an IP address", escape_controls(&m.underlay)),
                )
            })?;
            if let Some(prev) = underlays.insert(addr, i) {
                return Err(err(
                    format!("{key}.underlay"),
                    format!("address {addr} is also the underlay of machines[{prev}]"),
                ));
            }
            if let Some(mtu) = m.mtu {
                let least = 68 + VXLAN_OVERHEAD;
                if !(least..=65535).contains(&mtu) {
                    return Err(err(
                        format!("{key}.mtu"),
                        format!("MTU {mtu} is outside {least}..=65535 (VXLAN needs {VXLAN_OVERHEAD} bytes of it)"),
                    ));
                }
            }
        }
        let mut locals = self
            .machines
            .iter()
            .enumerate()
            .filter(|(_, m)| m.is_local());
        if let (Some(_), Some((i, _))) = (locals.next(), locals.next()) {
            return Err(err(
                format!("machines[{i}].ssh"),
                "only one machine can be `local`".into(),
            ));
        }
        let placed = |key: String, own: &Option<String>| -> Result<()> {
            match own {
                Some(m) if !names.contains(m.as_str()) => {
                    Err(err(key, format!("no machine named `{m}`")))
                }
                None if self.default_machine().is_none() => Err(err(
                    key,
                    "no `machine` given, and no machine has `ssh = \"local\"`".into(),
                )),
                _ => Ok(()),
            }
        };
        for (i, h) in self.hosts.iter().enumerate() {
            placed(format!("hosts[{i}].machine"), &h.machine)?;
        }
        for (i, b) in self.bridges.iter().enumerate() {
            match &b.host {
                None => placed(format!("bridges[{i}].machine"), &b.machine)?,
                Some(h) => {
                    let on = self.host_machine(h);
                    if b.machine.is_some() && b.machine != on {
                        return Err(err(
                            format!("bridges[{i}].machine"),
                            format!(
                                "the bridge is in host `{h}`, which is on machine `{}`",
                                on.unwrap_or_default()
                            ),
                        ));
                    }
                }
            }
        }
        let cross = self.cross_links();
        let transit = self.transit_name();
        if !cross.is_empty() {
            check_name(&transit).map_err(|_| {
                err(
                    "name".into(),
                    format!(
                        "`{}` is too long for a lab over machines (at most 13 bytes: its transit namespace `{transit}` must fit in 15)",
                        self.name
                    ),
                )
            })?;
            if let Some(i) = self.hosts.iter().position(|h| h.name == transit) {
                return Err(err(
                    format!("hosts[{i}].name"),
                    format!("`{transit}` is the name of the lab's transit namespace"),
                ));
            }
        }
        let mut vnis: BTreeMap<u32, usize> = BTreeMap::new();
        for (i, l) in self.links.iter().enumerate() {
            let c = cross.iter().find(|c| c.link == i);
            let Some(c) = c else {
                if l.vni.is_some() {
                    return Err(err(
                        format!("links[{i}].vni"),
                        "the link's ends are on the same machine: it has no tunnel".into(),
                    ));
                }
                continue;
            };
            if !(1..=0xff_ffff).contains(&c.vni) {
                return Err(err(
                    format!("links[{i}].vni"),
                    format!("VNI {} is outside 1..=16777215", c.vni),
                ));
            }
            if let Some(prev) = vnis.insert(c.vni, i) {
                return Err(err(
                    format!("links[{i}].vni"),
                    format!("VNI {} is also used by links[{prev}]", c.vni),
                ));
            }
            let shaped = l.shape.is_some() || l.a.shape.is_some() || l.b.shape.is_some();
            if shaped {
                return Err(err(
                    format!("links[{i}].shape"),
                    format!(
                        "a link between machines `{}` and `{}` cannot be shaped (not supported yet)",
                        c.a, c.b
                    ),
                ));
            }
            for (side, e) in [("a", &l.a), ("b", &l.b)] {
                if let Some(m) = e.mtu.filter(|m| *m > c.mtu) {
                    return Err(err(
                        format!("links[{i}].{side}.mtu"),
                        format!(
                            "MTU {m} does not fit VXLAN between machines `{}` and `{}`: at most {} (underlay MTU less {VXLAN_OVERHEAD})",
                            c.a, c.b, c.mtu
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Services: names (unique per host, no `.`), argv, env, cwd, readiness probes, and
    /// `after` references, which must name declared services and form no cycle.
    fn validate_services(&self, err: &dyn Fn(String, String) -> Error) -> Result<()> {
        let mut any = false;
        for (i, h) in self.hosts.iter().enumerate() {
            let mut names = BTreeSet::new();
            for (j, s) in h.services.iter().enumerate() {
                any = true;
                let key = format!("hosts[{i}].services[{j}]");
                check_name(&s.name).map_err(|m| err(format!("{key}.name"), m))?;
                if s.name.contains('.') {
                    return Err(err(
                        format!("{key}.name"),
                        format!(
                            "`{}` contains `.` (after = [\"HOST.SERVICE\"] splits on it)",
                            s.name
                        ),
                    ));
                }
                if !names.insert(s.name.as_str()) {
                    return Err(err(
                        format!("{key}.name"),
                        format!(
                            "service `{}` is declared twice in host `{}`",
                            s.name, h.name
                        ),
                    ));
                }
                if s.command.is_empty() || s.command[0].is_empty() {
                    return Err(err(format!("{key}.command"), "empty command".into()));
                }
                if s.command.iter().any(|w| w.contains('\0')) {
                    return Err(err(format!("{key}.command"), "contains a NUL byte".into()));
                }
                for (k, v) in &s.env {
                    if k.is_empty() || k.contains('=') || k.contains('\0') || v.contains('\0') {
                        return Err(err(
                            format!("{key}.env.\"{}\"", k.escape_default()),
                            "not a variable name (non-empty, no `=`, no NUL)".into(),
                        ));
                    }
                }
                if let Some(c) = &s.cwd {
                    if !c.starts_with('/') || c.contains('\0') {
                        return Err(err(
                            format!("{key}.cwd"),
                            format!("`{}` is not an absolute path", c.escape_default()),
                        ));
                    }
                }
                if let Some(r) = &s.ready {
                    match (&r.tcp, &r.command) {
                        (Some(t), None) => {
                            t.socket_addr()
                                .map_err(|m| err(format!("{key}.ready.tcp"), m))?;
                        }
                        (None, Some(c)) if c.is_empty() || c[0].is_empty() => {
                            return Err(err(format!("{key}.ready.command"), "empty command".into()))
                        }
                        (None, Some(_)) => {}
                        _ => {
                            return Err(err(
                                format!("{key}.ready"),
                                "give exactly one of `tcp` and `command`".into(),
                            ))
                        }
                    }
                    if let Some(t) = r.timeout {
                        check_seconds(err, format!("{key}.ready.timeout"), t)?;
                    }
                }
            }
        }
        if any && ["uts", "lock"].contains(&self.name.as_str()) {
            return Err(err(
                "name".into(),
                format!(
                    "a lab with services cannot be named `{}` (nslab uses /run/nslab/{})",
                    self.name, self.name
                ),
            ));
        }
        // References, then cycles (depth-first, reporting the path).
        let index = |r: &str| self.service_index(r);
        for (i, h) in self.hosts.iter().enumerate() {
            for (j, s) in h.services.iter().enumerate() {
                for (k, r) in s.after.iter().enumerate() {
                    let key = format!("hosts[{i}].services[{j}].after[{k}]");
                    match index(r) {
                        None => {
                            return Err(err(
                                key,
                                format!("no service `{}` (write HOST.SERVICE)", r.escape_default()),
                            ))
                        }
                        Some(x) if x == (i, j) => {
                            return Err(err(key, "a service cannot come after itself".into()))
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        let label = |(i, j): (usize, usize)| {
            format!("{}.{}", self.hosts[i].name, self.hosts[i].services[j].name)
        };
        // 0: unvisited, 1: on the current path, 2: done.
        let mut mark: BTreeMap<(usize, usize), u8> = BTreeMap::new();
        fn visit(
            lab: &Lab,
            at: (usize, usize),
            path: &mut Vec<(usize, usize)>,
            mark: &mut BTreeMap<(usize, usize), u8>,
            index: &dyn Fn(&str) -> Option<(usize, usize)>,
        ) -> Option<Vec<(usize, usize)>> {
            match mark.get(&at) {
                Some(2) => return None,
                Some(1) => {
                    let from = path.iter().position(|p| *p == at).unwrap_or(0);
                    let mut cycle = path[from..].to_vec();
                    cycle.push(at);
                    return Some(cycle);
                }
                _ => {}
            }
            mark.insert(at, 1);
            path.push(at);
            for r in &lab.hosts[at.0].services[at.1].after {
                if let Some(next) = index(r) {
                    if let Some(c) = visit(lab, next, path, mark, index) {
                        return Some(c);
                    }
                }
            }
            path.pop();
            mark.insert(at, 2);
            None
        }
        for (i, h) in self.hosts.iter().enumerate() {
            for j in 0..h.services.len() {
                if let Some(cycle) = visit(self, (i, j), &mut Vec::new(), &mut mark, &index) {
                    let (ci, cj) = cycle[0];
                    let shown: Vec<String> = cycle.into_iter().map(label).collect();
                    return Err(err(
                        format!("hosts[{ci}].services[{cj}].after"),
                        format!("the services form a cycle: {}", shown.join(" → ")),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The (host index, service index) of `HOST.SERVICE`, if declared.
    fn service_index(&self, r: &str) -> Option<(usize, usize)> {
        let (host, svc) = r.rsplit_once('.')?;
        let hi = self.hosts.iter().position(|h| h.name == host)?;
        let si = self.hosts[hi].services.iter().position(|s| s.name == svc)?;
        Some((hi, si))
    }

    /// Every service as (host index, service index), in an order that starts each after the
    /// services its `after` names (declaration order otherwise), assuming a valid lab.
    pub fn service_order(&self) -> Vec<(usize, usize)> {
        let all: Vec<(usize, usize)> = self
            .hosts
            .iter()
            .enumerate()
            .flat_map(|(i, h)| (0..h.services.len()).map(move |j| (i, j)))
            .collect();
        let deps = |(i, j): (usize, usize)| -> Vec<(usize, usize)> {
            self.hosts[i].services[j]
                .after
                .iter()
                .filter_map(|r| self.service_index(r))
                .collect()
        };
        let mut done: Vec<(usize, usize)> = Vec::new();
        while done.len() < all.len() {
            let next = all
                .iter()
                .find(|s| !done.contains(s) && deps(**s).iter().all(|d| done.contains(d)));
            match next {
                Some(s) => done.push(*s),
                // A cycle (refused by validation): the rest in declaration order.
                None => done.extend(all.iter().filter(|s| !done.contains(s)).collect::<Vec<_>>()),
            }
        }
        done
    }

    /// A host's routes: destinations and gateways parse and agree in family, a gateway
    /// without `dev` is on a subnet of an interface that is up, `dev` names an interface of
    /// the host that is up, and no route is listed twice or repeats a connected route (the
    /// kernel refuses all of these, so they are caught before anything changes).
    fn validate_routes(
        &self,
        i: usize,
        h: &Host,
        devs: &BTreeSet<String>,
        own: &[(String, Cidr)],
        down: &HashMap<&str, BTreeSet<&str>>,
        err: &dyn Fn(String, String) -> Error,
    ) -> Result<()> {
        let down = down.get(h.name.as_str()).cloned().unwrap_or_default();
        // (IPv4?, destination, metric as the kernel fills it in) → the route's key.
        let mut seen: BTreeMap<(bool, IpAddr, u8, u32), String> = BTreeMap::new();
        for (dev, c) in own.iter().filter(|(d, _)| !down.contains(d.as_str())) {
            // The kernel's own prefix route of an IPv4 address (metric 0); IPv6 ones have
            // metric 256, which a route without `metric` (1024) does not collide with.
            if c.addr.is_ipv4() && c.len < 32 {
                let net = network_of(*c);
                seen.insert(
                    (true, net.addr, net.len, 0),
                    format!("the connected route of `{dev}` ({c})"),
                );
            }
        }
        for (j, r) in h.routes.iter().enumerate() {
            let key = format!("hosts[{i}].routes[{j}]");
            let dst = if r.to == "default" {
                None
            } else {
                let c = Cidr::parse(&r.to).map_err(|m| err(format!("{key}.to"), m))?;
                if !c.is_network() {
                    return Err(err(
                        format!("{key}.to"),
                        format!("`{}` has host bits set beyond /{}", r.to, c.len),
                    ));
                }
                Some(c)
            };
            if r.via.is_none() && r.dev.is_none() {
                return Err(err(key, "a route needs `via` or `dev`".into()));
            }
            let mut gateway = None;
            if let Some(v) = &r.via {
                let gw: IpAddr = v.parse().map_err(|_| {
                    err(format!("{key}.via"), format!("`{v}` is not an IP address"))
                })?;
                if dst.is_some_and(|c| c.addr.is_ipv4() != gw.is_ipv4()) {
                    return Err(err(
                        format!("{key}.via"),
                        format!("gateway {gw} is not of the family of `{}`", r.to),
                    ));
                }
                if r.dev.is_none() {
                    let on: Vec<&str> = own
                        .iter()
                        .filter(|(_, c)| c.contains(gw))
                        .map(|(d, _)| d.as_str())
                        .collect();
                    if on.is_empty() {
                        return Err(err(
                            format!("{key}.via"),
                            format!("gateway {gw} is on none of host `{}`'s subnets", h.name),
                        ));
                    }
                    if on.iter().all(|d| down.contains(d)) {
                        return Err(err(
                            format!("{key}.via"),
                            format!(
                                "gateway {gw} is reachable only through `{}`, which has `up = false`",
                                on[0]
                            ),
                        ));
                    }
                }
                gateway = Some(gw);
            }
            if let Some(d) = &r.dev {
                if !devs.contains(d) {
                    return Err(err(
                        format!("{key}.dev"),
                        format!("host `{}` has no interface `{d}`", h.name),
                    ));
                }
                if down.contains(d.as_str()) {
                    return Err(err(
                        format!("{key}.dev"),
                        format!("interface `{d}` has `up = false`: the kernel refuses a route through it"),
                    ));
                }
            }
            // `default` takes the family of its gateway (IPv4 without one, as `ip` does).
            let v4 = match (dst, gateway) {
                (Some(c), _) => c.addr.is_ipv4(),
                (None, Some(gw)) => gw.is_ipv4(),
                (None, None) => true,
            };
            let (addr, len) = match dst {
                Some(c) => (c.addr, c.len),
                None if v4 => (IpAddr::from([0u8; 4]), 0),
                None => (IpAddr::from([0u16; 8]), 0),
            };
            let metric = r.metric.unwrap_or(if v4 { 0 } else { 1024 });
            if let Some(prev) = seen.insert((v4, addr, len, metric), key.clone()) {
                let prev = if prev.starts_with("hosts[") {
                    format!("`{prev}`")
                } else {
                    prev
                };
                return Err(err(
                    key,
                    format!(
                        "the route to `{}` (metric {metric}) is the same as {prev}; the kernel keeps one",
                        r.to
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// What the kernel refuses in a device name beyond [`check_name`]: `:` (alias labels), `.` and
/// `..`, and `all` and `default`, which would collide with the per-device sysctl directories
/// (`/proc/sys/net/ipv4/conf/all`): `ip link add` answers "Invalid argument" for all of these.
fn check_ifname(n: &str) -> std::result::Result<(), String> {
    if n.contains(':') {
        return Err(format!(
            "`{n}` contains `:` (the kernel refuses it in a device name)"
        ));
    }
    if matches!(n, "." | ".." | "all" | "default") {
        return Err(format!("`{n}` is not a valid device name for the kernel"));
    }
    Ok(())
}

/// A number of seconds in (0, 86400].
fn check_seconds(err: &dyn Fn(String, String) -> Error, key: String, t: f64) -> Result<()> {
    if t > 0.0 && t <= 86_400.0 {
        Ok(())
    } else {
        Err(err(
            key,
            format!("{t} is not a number of seconds in (0, 86400]"),
        ))
    }
}

fn check_mtu(err: &dyn Fn(String, String) -> Error, key: String, mtu: Option<u32>) -> Result<()> {
    match mtu {
        Some(m) if !(68..=65535).contains(&m) => {
            Err(err(key, format!("MTU {m} is outside 68..=65535")))
        }
        _ => Ok(()),
    }
}

fn check_mac(err: &dyn Fn(String, String) -> Error, key: String, mac: Option<&str>) -> Result<()> {
    let Some(mac) = mac else { return Ok(()) };
    let octets: Vec<&str> = mac.split(':').collect();
    let ok = octets.len() == 6
        && octets
            .iter()
            .all(|o| o.len() == 2 && u8::from_str_radix(o, 16).is_ok());
    if !ok {
        return Err(err(
            key,
            format!("`{mac}` is not a MAC address (xx:xx:xx:xx:xx:xx)"),
        ));
    }
    let first = u8::from_str_radix(octets[0], 16).unwrap_or(1);
    if first & 1 == 1 || octets.iter().all(|o| *o == "00") {
        return Err(err(
            key,
            format!("`{mac}` is a multicast or zero MAC address"),
        ));
    }
    Ok(())
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
