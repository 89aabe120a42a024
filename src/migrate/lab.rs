//! `nslab migrate --to-lab`: a script that builds a lab (namespaces, veth pairs, bridges,
//! addresses, links up, routes, sysctls) → a lab file that `nslab up` builds to the same state.
//!
//! The script is first migrated (so legacy lines become the `ip` lines nslab itself prints),
//! then every top-level command of the result is interpreted on a small model of the lab. A
//! command the model cannot follow (a loop, a guard that depends on run-time state, an
//! unknown program, a setting the lab file has no key for) is an error naming the line, since
//! the lab file would not build the same state. Variables may be given values (`--var P=`).

use super::shell::{self, Part, Word};
use crate::lab::file::{Bridge, Cidr, Endpoint, Host, Lab, LinkDecl, RouteDecl, SysctlValue};
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Clone)]
struct Dev {
    ns: String,
    name: String,
    bridge: bool,
    /// The other end of a veth: index into the device list.
    peer: Option<usize>,
    up: bool,
    master: Option<String>,
    addrs: Vec<String>,
    mtu: Option<u32>,
    mac: Option<String>,
    stp: bool,
    gone: bool,
}

#[derive(Default, Clone)]
struct Model {
    hosts: Vec<String>,
    devs: Vec<Dev>,
    routes: BTreeMap<String, Vec<RouteDecl>>,
    sysctl: BTreeMap<String, BTreeMap<String, SysctlValue>>,
    lo_up: BTreeMap<String, bool>,
    /// ARP entries per host, as `ip neigh` commands run in the host after `up`.
    neigh: BTreeMap<String, Vec<Vec<String>>>,
}

impl Model {
    fn find(&self, ns: &str, name: &str) -> Option<usize> {
        self.devs
            .iter()
            .position(|d| !d.gone && d.ns == ns && d.name == name)
    }
}

/// Substitute variables; a word with an unknown expansion is an error.
fn value(w: &Word, vars: &BTreeMap<String, String>) -> Result<String, String> {
    let mut s = String::new();
    for p in &w.parts {
        match p {
            Part::Lit(l) => s.push_str(l),
            Part::Dyn(d) => {
                let inner = d
                    .trim_start_matches('$')
                    .trim_start_matches('{')
                    .trim_end_matches('}');
                // `${NAME%PAT}`, `${NAME%%PAT}`, `${NAME#PAT}`, `${NAME##PAT}` with a
                // pattern of text and `*`.
                if let Some(k) = inner.find(['%', '#']).filter(|_| d.starts_with("${")) {
                    let (name, op) = inner.split_at(k);
                    if let Some(v) = vars.get(name) {
                        if let Some(cut) = trim_pattern(v, op) {
                            s.push_str(&cut);
                            continue;
                        }
                    }
                }
                // `${NAME:-DEFAULT}` / `${NAME-DEFAULT}`: the default when NAME has no value.
                let (name, default) = match inner.split_once('-') {
                    Some((n, def)) if d.starts_with("${") => (n.trim_end_matches(':'), Some(def)),
                    _ => (inner, None),
                };
                match (vars.get(name), default) {
                    (Some(v), _) if !v.is_empty() || default.is_none() => s.push_str(v),
                    (_, Some(def)) if !def.contains(['$', '`', '"', '\'']) => s.push_str(def),
                    _ => return Err(format!("`{d}` has no value (give one with --var)")),
                }
            }
        }
    }
    Ok(s)
}

/// A line of the script the lab file does not carry, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    /// 1-based line number in the script.
    pub line: usize,
    pub command: String,
    pub reason: String,
}

/// `%PAT`, `%%PAT`, `#PAT`, `##PAT` applied to `v` (PAT: text and `*`, no other glob).
fn trim_pattern(v: &str, op: &str) -> Option<String> {
    let (suffix, longest, pat) = if let Some(p) = op.strip_prefix("%%") {
        (true, true, p)
    } else if let Some(p) = op.strip_prefix('%') {
        (true, false, p)
    } else if let Some(p) = op.strip_prefix("##") {
        (false, true, p)
    } else {
        (false, false, op.strip_prefix('#')?)
    };
    if pat.contains(['?', '[', '\\', '$']) {
        return None;
    }
    let matches = |x: &str| glob(pat.as_bytes(), x.as_bytes());
    let cuts: Vec<usize> = (0..=v.len()).filter(|&i| v.is_char_boundary(i)).collect();
    let pick = |mut it: Box<dyn Iterator<Item = &usize>>| {
        it.find(|&&i| {
            if suffix {
                matches(&v[i..])
            } else {
                matches(&v[..i])
            }
        })
        .copied()
    };
    let at = match (suffix, longest) {
        (true, true) => pick(Box::new(cuts.iter())),
        (true, false) => pick(Box::new(cuts.iter().rev())),
        (false, true) => pick(Box::new(cuts.iter().rev())),
        (false, false) => pick(Box::new(cuts.iter())),
    };
    Some(match at {
        Some(i) if suffix => v[..i].to_string(),
        Some(i) => v[i..].to_string(),
        None => v.to_string(),
    })
}

/// Whether `s` matches the pattern `p` made of bytes and `*`.
fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob(rest, &s[i..])),
        Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}

/// Turn a script into a lab named `name`: its plain steps (namespaces, veths, bridges,
/// addresses, links up, routes, sysctls, ARP entries), legacy lines translated as `migrate`
/// does with every namespace the script creates pictured from empty, so that they become
/// plain `ip` steps. Everything else (loops, conditions, lists, guards, other programs,
/// lines kept by `migrate`) is left out and listed; the lab then does not run them, so the
/// picture ignores them too.
pub fn to_lab(src: &str, name: &str, vars: &BTreeMap<String, String>) -> Result<ToLab, String> {
    use super::translate::{translate, Outcome};
    let mut vars = vars.clone();
    let mut m = Model::default();
    let mut known = super::known::Known::default();
    let mut left = Vec::new();
    for c in shell::commands(src) {
        let line = src[..c.start].matches('\n').count() + 1;
        let command = super::one_line(&src[c.start..c.end]);
        let mut leave = |reason: String| {
            left.push(LeftOut {
                line,
                command: command.clone(),
                reason,
            })
        };
        // Commands that change no namespace are nothing the lab misses.
        let tool = c.words.first().and_then(Word::lit).unwrap_or_default();
        if super::observe::HARMLESS.contains(&tool.as_str()) && tool != "sysctl" {
            continue;
        }
        if c.ctx.compound || c.ctx.list {
            leave(
                "in a loop, a condition, a function or a list; a lab file holds only plain steps"
                    .into(),
            );
            continue;
        }
        let words: Vec<String> = match c.words.iter().map(|w| value(w, &vars)).collect() {
            Ok(w) => w,
            Err(e) => {
                leave(e);
                continue;
            }
        };
        if words.iter().all(|w| {
            w.split_once('=').is_some_and(|(n, _)| {
                !n.is_empty() && n.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
            })
        }) {
            // `NAME=VALUE` at the top level: later words may use it.
            for w in &words {
                if let Some((n, v)) = w.split_once('=') {
                    vars.insert(n.to_string(), v.to_string());
                }
            }
            continue;
        }
        if matches!(
            words[0].as_str(),
            "set" | "echo" | "printf" | "true" | ":" | "sleep" | "export"
        ) {
            continue;
        }
        // With every value known, the command is translated as if written with them.
        let mut literal = c.clone();
        for (w, v) in literal.words.iter_mut().zip(&words) {
            w.parts = vec![Part::Lit(v.clone())];
        }
        let before = (m.clone(), known.clone());
        let steps: Vec<Vec<String>> = match translate(&literal, &mut known, true) {
            Outcome::NotLegacy => vec![words],
            Outcome::Keep(reason) => {
                (m, known) = before;
                leave(format!("kept by migrate: {reason}"));
                continue;
            }
            Outcome::Lines(lines, _) => {
                let text = lines.join("\n");
                let mut steps = Vec::new();
                let mut plain = true;
                for lc in shell::commands(&text) {
                    plain &= !lc.ctx.compound && !lc.ctx.list;
                    match lc.words.iter().map(|w| value(w, &vars)).collect() {
                        Ok(w) => steps.push(w),
                        Err(_) => plain = false,
                    }
                }
                if !plain {
                    (m, known) = before;
                    leave("its translation is a run-time test, not a plain step".into());
                    continue;
                }
                steps
            }
        };
        for w in &steps {
            if let Err(e) = step(&mut m, None, w) {
                (m, known) = before;
                leave(e);
                break;
            }
        }
    }
    let mut differences = Vec::new();
    let lab = build(m, name, &mut differences)?;
    Ok(ToLab {
        lab,
        left_out: left,
        differences,
    })
}

/// What `--to-lab` made of a script.
#[derive(Debug)]
pub struct ToLab {
    pub lab: Lab,
    /// Lines of the script the lab does not carry.
    pub left_out: Vec<LeftOut>,
    /// Where `up` of the lab does more than the script's plain steps (a lab brings `lo` and
    /// its bridges up).
    pub differences: Vec<String>,
}

fn step(m: &mut Model, ns: Option<&str>, w: &[String]) -> Result<(), String> {
    let unknown = || format!("`{}` is not something a lab file can say", w.join(" "));
    if w.first().map(|s| s.rsplit('/').next().unwrap_or(s)) != Some("ip") {
        if w.first().map(String::as_str) == Some("sysctl") {
            let ns = ns.ok_or_else(unknown)?;
            let kv = w[1..]
                .iter()
                .find(|a| !a.starts_with('-'))
                .ok_or_else(unknown)?;
            let (k, v) = kv.split_once('=').ok_or_else(unknown)?;
            let v = match v.parse::<i64>() {
                Ok(i) => SysctlValue::Int(i),
                Err(_) => SysctlValue::Text(v.to_string()),
            };
            m.sysctl
                .entry(ns.to_string())
                .or_default()
                .insert(k.to_string(), v);
            return Ok(());
        }
        return Err(unknown());
    }
    let mut i = 1;
    let mut ns = ns.map(str::to_string);
    while i < w.len() && w[i].starts_with('-') {
        match w[i].as_str() {
            "-n" | "-netns" => {
                ns = w.get(i + 1).cloned();
                i += 2;
            }
            "-4" | "-6" => i += 1,
            _ => return Err(unknown()),
        }
    }
    let a: Vec<&str> = w[i..].iter().map(String::as_str).collect();
    let need_ns = |ns: &Option<String>| {
        ns.clone()
            .ok_or_else(|| format!("`{}` changes the root namespace", w.join(" ")))
    };
    match a.as_slice() {
        ["netns", "add", name] => {
            m.hosts.push(name.to_string());
            m.lo_up.insert(name.to_string(), false);
        }
        ["netns", "exec", name, rest @ ..] => {
            let rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
            return step(m, Some(name), &rest);
        }
        ["link", "add", rest @ ..] => {
            let ns = need_ns(&ns)?;
            let rest: Vec<&str> = rest.to_vec();
            let (name, rest) = match rest.as_slice() {
                ["name", n, r @ ..] => (n.to_string(), r.to_vec()),
                [n, r @ ..] => (n.to_string(), r.to_vec()),
                _ => return Err(unknown()),
            };
            match rest.as_slice() {
                ["type", "bridge"] => m.devs.push(dev(&ns, &name, true)),
                ["type", "veth", "peer", rest @ ..] => {
                    let peer = match rest {
                        ["name", p] | [p] => p.to_string(),
                        _ => return Err(unknown()),
                    };
                    m.devs.push(dev(&ns, &name, false));
                    m.devs.push(dev(&ns, &peer, false));
                    let n = m.devs.len();
                    m.devs[n - 2].peer = Some(n - 1);
                    m.devs[n - 1].peer = Some(n - 2);
                }
                _ => return Err(unknown()),
            }
        }
        ["link", "set", rest @ ..] => {
            let ns = need_ns(&ns)?;
            let (d, rest) = match rest {
                ["dev", d, r @ ..] => (*d, r),
                [d, r @ ..] => (*d, r),
                _ => return Err(unknown()),
            };
            let idx = m
                .find(&ns, d)
                .or_else(|| (d == "lo").then_some(usize::MAX))
                .ok_or_else(|| format!("`{d}` does not exist in `{ns}`"))?;
            let mut r = rest.iter();
            while let Some(k) = r.next() {
                if idx == usize::MAX {
                    match *k {
                        "up" => m.lo_up.insert(ns.clone(), true),
                        "down" => m.lo_up.insert(ns.clone(), false),
                        _ => return Err(unknown()),
                    };
                    continue;
                }
                let dv = &mut m.devs[idx];
                match *k {
                    "up" => dv.up = true,
                    "down" => dv.up = false,
                    "nomaster" => dv.master = None,
                    "master" => dv.master = Some(r.next().ok_or_else(unknown)?.to_string()),
                    "netns" => {
                        let to = r.next().ok_or_else(unknown)?.to_string();
                        dv.ns = to;
                        dv.up = false;
                        dv.master = None;
                        dv.addrs.clear();
                    }
                    "mtu" => {
                        dv.mtu = Some(r.next().and_then(|x| x.parse().ok()).ok_or_else(unknown)?)
                    }
                    "address" => dv.mac = Some(r.next().ok_or_else(unknown)?.to_string()),
                    "type" if r.next() == Some(&"bridge") => match (r.next(), r.next()) {
                        (Some(&"stp_state"), Some(v)) => dv.stp = *v != "0",
                        _ => return Err(unknown()),
                    },
                    _ => return Err(unknown()),
                }
            }
        }
        ["addr", "add", local, rest @ ..] => {
            let ns = need_ns(&ns)?;
            let c = Cidr::parse(local)?;
            let mut d = None;
            let mut r = rest.iter();
            while let Some(k) = r.next() {
                match (*k, r.next()) {
                    ("dev", Some(x)) => d = Some(x.to_string()),
                    ("broadcast" | "brd", Some(b)) => {
                        let auto = match c.addr {
                            std::net::IpAddr::V4(a) if c.len < 31 => {
                                let mask = if c.len == 0 {
                                    0
                                } else {
                                    u32::MAX << (32 - c.len)
                                };
                                Some(std::net::Ipv4Addr::from(u32::from(a) | !mask).to_string())
                            }
                            _ => None,
                        };
                        if auto.as_deref() != Some(*b) && *b != "+" {
                            return Err(format!(
                                "broadcast {b} is not the one a lab file gives {local}"
                            ));
                        }
                    }
                    _ => return Err(unknown()),
                }
            }
            if c.addr.is_ipv4()
                && c.len < 31
                && !rest.contains(&"broadcast")
                && !rest.contains(&"brd")
            {
                return Err(format!(
                    "{local} has no broadcast, a lab file always sets one"
                ));
            }
            if c.addr.is_ipv6() {
                return Err(
                    "IPv6 addresses in a lab file skip DAD (nodad); the script's do not".into(),
                );
            }
            let d = d.ok_or_else(unknown)?;
            let idx = m
                .find(&ns, &d)
                .ok_or_else(|| format!("`{d}` does not exist in `{ns}`"))?;
            m.devs[idx].addrs.push(c.to_string());
        }
        ["neigh", "replace" | "add", rest @ ..] => {
            let ns = need_ns(&ns)?;
            let dev = rest
                .windows(2)
                .find(|p| p[0] == "dev")
                .map(|p| p[1])
                .ok_or_else(unknown)?;
            if m.find(&ns, dev).is_none() {
                return Err(format!("`{dev}` does not exist in `{ns}`"));
            }
            let mut argv = vec!["ip".to_string(), "neigh".into(), "replace".into()];
            argv.extend(rest.iter().map(|x| x.to_string()));
            m.neigh.entry(ns).or_default().push(argv);
        }
        ["route", "add" | "prepend", dst, rest @ ..] => {
            let ns = need_ns(&ns)?;
            let mut r = RouteDecl {
                to: dst.to_string(),
                via: None,
                dev: None,
                metric: None,
            };
            let mut it = rest.iter();
            while let Some(k) = it.next() {
                match (*k, it.next()) {
                    ("via", Some(g)) => r.via = Some(g.to_string()),
                    ("dev", Some(d)) => r.dev = Some(d.to_string()),
                    ("metric", Some(x)) => r.metric = x.parse().ok(),
                    ("proto", Some(&"boot")) => {}
                    _ => return Err(unknown()),
                }
            }
            m.routes.entry(ns).or_default().push(r);
        }
        _ => return Err(unknown()),
    }
    Ok(())
}

fn dev(ns: &str, name: &str, bridge: bool) -> Dev {
    Dev {
        ns: ns.to_string(),
        name: name.to_string(),
        bridge,
        peer: None,
        up: false,
        master: None,
        addrs: vec![],
        mtu: None,
        mac: None,
        stp: false,
        gone: false,
    }
}

fn build(m: Model, name: &str, differences: &mut Vec<String>) -> Result<Lab, String> {
    let mut lab = Lab {
        name: name.to_string(),
        hosts: vec![],
        bridges: vec![],
        links: vec![],
        expect: vec![],
        machines: vec![],
        transit: None,
    };
    for h in &m.hosts {
        if !m.lo_up.get(h).copied().unwrap_or(false) {
            differences.push(format!(
                "`lo` stays down in `{h}` in the script; the lab brings it up"
            ));
        }
        lab.hosts.push(Host {
            name: h.clone(),
            routes: m.routes.get(h).cloned().unwrap_or_default(),
            sysctl: m.sysctl.get(h).cloned().unwrap_or_default(),
            exec: m
                .neigh
                .get(h)
                .into_iter()
                .flatten()
                .map(|a| crate::lab::file::CommandDecl::Argv(a.clone()))
                .collect(),
            ..Default::default()
        });
    }
    for d in m.devs.iter().filter(|d| d.bridge && !d.gone) {
        if !d.up {
            differences.push(format!(
                "bridge `{}` stays down in the script; the lab brings it up",
                d.name
            ));
        }
        if d.master.is_some() {
            return Err(format!("bridge `{}` is a port of another bridge", d.name));
        }
        lab.bridges.push(Bridge {
            name: d.name.clone(),
            host: Some(d.ns.clone()),
            addrs: d.addrs.clone(),
            stp: d.stp,
            mtu: d.mtu,
            mac: d.mac.clone(),
            machine: None,
        });
    }
    let endpoint = |d: &Dev| -> Result<Endpoint, String> {
        if d.stp {
            return Err(format!("`{}` is not a bridge but has STP", d.name));
        }
        Ok(Endpoint {
            name: d.name.clone(),
            host: if d.master.is_some() {
                None
            } else {
                Some(d.ns.clone())
            },
            bridge: d.master.clone(),
            addrs: d.addrs.clone(),
            mtu: d.mtu,
            mac: d.mac.clone(),
            up: d.up,
            shape: None,
        })
    };
    for (i, d) in m.devs.iter().enumerate() {
        let Some(p) = d.peer else { continue };
        if p < i || d.gone {
            continue;
        }
        if let Some(b) = &d.master {
            let same = m
                .devs
                .iter()
                .any(|x| x.bridge && &x.name == b && x.ns == d.ns);
            if !same {
                return Err(format!(
                    "`{}` is a port of `{b}` in another namespace",
                    d.name
                ));
            }
        }
        lab.links.push(LinkDecl {
            a: endpoint(d)?,
            b: endpoint(&m.devs[p])?,
            shape: None,
            vni: None,
        });
    }
    lab.validate("the lab made from the script")
        .map_err(|e| e.to_string())?;
    Ok(lab)
}

/// The lab file text (TOML), in the style of the files in `labs/`.
pub fn render(lab: &Lab, source: &str) -> String {
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let list = |v: &[String]| {
        format!(
            "[{}]",
            v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
        )
    };
    let mut out = format!(
        "# Made by `nslab migrate --to-lab` from {source}.\nname = {}\n",
        q(&lab.name)
    );
    for h in &lab.hosts {
        let _ = write!(out, "\n[[hosts]]\nname = {}\n", q(&h.name));
        if !h.routes.is_empty() {
            let rs: Vec<String> = h
                .routes
                .iter()
                .map(|r| {
                    let mut f = vec![format!("to = {}", q(&r.to))];
                    if let Some(v) = &r.via {
                        f.push(format!("via = {}", q(v)));
                    }
                    if let Some(d) = &r.dev {
                        f.push(format!("dev = {}", q(d)));
                    }
                    if let Some(mt) = r.metric {
                        f.push(format!("metric = {mt}"));
                    }
                    format!("{{ {} }}", f.join(", "))
                })
                .collect();
            let _ = writeln!(out, "routes = [{}]", rs.join(", "));
        }
        if !h.sysctl.is_empty() {
            let s: Vec<String> = h
                .sysctl
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{} = {}",
                        q(k),
                        match v {
                            SysctlValue::Int(i) => i.to_string(),
                            SysctlValue::Bool(b) => b.to_string(),
                            SysctlValue::Text(t) => q(t),
                        }
                    )
                })
                .collect();
            let _ = writeln!(out, "sysctl = {{ {} }}", s.join(", "));
        }
        if !h.exec.is_empty() {
            let e: Vec<String> = h.exec.iter().map(|c| list(&c.argv())).collect();
            let _ = writeln!(out, "exec = [{}]", e.join(", "));
        }
    }
    for b in &lab.bridges {
        let _ = write!(out, "\n[[bridges]]\nname = {}\n", q(&b.name));
        if let Some(h) = &b.host {
            let _ = writeln!(out, "host = {}", q(h));
        }
        if !b.addrs.is_empty() {
            let _ = writeln!(out, "addrs = {}", list(&b.addrs));
        }
        if b.stp {
            out.push_str("stp = true\n");
        }
        if let Some(mtu) = b.mtu {
            let _ = writeln!(out, "mtu = {mtu}");
        }
        if let Some(mac) = &b.mac {
            let _ = writeln!(out, "mac = {}", q(mac));
        }
    }
    let ep = |e: &Endpoint| {
        let mut f = Vec::new();
        if let Some(h) = &e.host {
            f.push(format!("host = {}", q(h)));
        }
        if let Some(b) = &e.bridge {
            f.push(format!("bridge = {}", q(b)));
        }
        f.push(format!("name = {}", q(&e.name)));
        if !e.addrs.is_empty() {
            f.push(format!("addrs = {}", list(&e.addrs)));
        }
        if let Some(mtu) = e.mtu {
            f.push(format!("mtu = {mtu}"));
        }
        if let Some(mac) = &e.mac {
            f.push(format!("mac = {}", q(mac)));
        }
        if !e.up {
            f.push("up = false".into());
        }
        format!("{{ {} }}", f.join(", "))
    };
    for l in &lab.links {
        let _ = write!(out, "\n[[links]]\na = {}\nb = {}\n", ep(&l.a), ep(&l.b));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slides_script_becomes_the_seed_lab() {
        let src = "ip netns add ns1\nip netns add ns2\n\
            ip netns exec ns1 ip link add veth0 type veth peer name bveth1\n\
            ip netns exec ns2 ip link add veth0 type veth peer name bveth2\n\
            ip netns exec ns2 ip link set bveth2 netns ns1\n\
            ip netns exec ns1 ifconfig veth0 10.0.0.1/24\n\
            ip netns exec ns2 ifconfig veth0 10.0.0.2/24\n\
            ip netns exec ns1 ifconfig lo up\nip netns exec ns2 ifconfig lo up\n\
            ip netns exec ns1 brctl addbr br0\nip netns exec ns1 ifconfig br0 up\n\
            ip netns exec ns1 brctl addif br0 bveth1\nip netns exec ns1 brctl addif br0 bveth2\n\
            ip netns exec ns1 ifconfig bveth1 up\nip netns exec ns1 ifconfig bveth2 up\n";
        let t = to_lab(src, "slides", &BTreeMap::new()).unwrap();
        assert!(t.left_out.is_empty() && t.differences.is_empty(), "{t:?}");
        let lab = t.lab;
        let text = render(&lab, "slides.sh");
        let back = Lab::parse("x.toml", &text).unwrap();
        assert_eq!(back, lab);
        assert_eq!(lab.bridges[0].host.as_deref(), Some("ns1"));
        assert_eq!(lab.links.len(), 2);
        assert_eq!(lab.links[1].a.addrs, vec!["10.0.0.2/24".to_string()]);
        assert_eq!(lab.links[1].b.bridge.as_deref(), Some("br0"));
    }

    #[test]
    fn loops_and_guards_are_left_out_with_their_line() {
        let src = "ip netns add a\nip netns exec a ifconfig lo up\nfor i in 1; do ip netns add n$i; done\nip netns exec a ifconfig -a | grep -q lo && echo ok\nip netns exec a sh -c 'ip link set lo down'\n";
        let t = to_lab(src, "x", &BTreeMap::new()).unwrap();
        let left = t.left_out;
        assert_eq!(t.lab.hosts.len(), 1);
        let lines: Vec<usize> = left.iter().map(|l| l.line).collect();
        assert_eq!(lines, vec![3, 4, 5], "{left:?}");
        assert!(left[0].reason.contains("loop"), "{left:?}");
    }
}
