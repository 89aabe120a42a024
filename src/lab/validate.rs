//! [`Lab::validate`]: the whole lab checked before anything runs — names (each one that
//! `ip -batch` reads back as itself), addresses, references between hosts, bridges, links,
//! machines and services, duplicates, values the kernel would refuse (MTUs, MACs, routes
//! through a down interface, a bridge beyond 1,023 ports). The first problem is one line
//! naming the file and the key (`links[2].a.host`) and what was expected.

use super::file::*;
use crate::backend::batch;
use crate::error::{escape_controls, Error, Result};
use crate::netns::check_name;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

impl Lab {
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
