//! `nslab graph`: a picture of a lab. One more renderer of a [`Lab`] — from a lab file, or
//! from a live lab through [`super::capture`] — as Graphviz DOT, Mermaid (which GitHub and
//! GitLab render in Markdown), SVG (DOT laid out by graphviz's `dot`, spawned through
//! `run.rs`) or JSON.
//!
//! Hosts are boxes (routers, hosts that forward, are drawn bold and say so), bridges are
//! ellipses naming the host whose namespace holds them, veth links are edges carrying both
//! interface names and their addresses, and, for a shaped end, its egress shaping
//! (`out: rate 10mbit delay 20ms`). The output depends only on the lab, in its order:
//! the same lab gives the same bytes.

use super::file::{Endpoint, Lab, SysctlValue};
use crate::error::Result;
use crate::run::Cmd;
use serde::Serialize;

/// The forwarding sysctls that make a host a router.
const FORWARDING: &[&str] = &[
    "net.ipv4.ip_forward",
    "net.ipv4.conf.all.forwarding",
    "net.ipv6.conf.all.forwarding",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Dot,
    Mermaid,
    Svg,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    Host,
    Bridge,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    /// Unique within the graph: `host:NAME`, `bridge:HOST:NAME` (`bridge::NAME` in the root
    /// namespace).
    pub id: String,
    pub kind: NodeKind,
    pub name: String,
    /// For a bridge: the host whose namespace holds it (`null`: the root namespace).
    pub host: Option<String>,
    /// For a host: whether it forwards (a forwarding sysctl is on).
    pub router: bool,
    /// A bridge's own addresses.
    pub addrs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct End {
    /// The node this end belongs to.
    pub node: String,
    /// The interface name of this veth end.
    pub iface: String,
    pub addrs: Vec<String>,
    /// The shaping of this end's egress (traffic toward the other end), as nslab writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shape: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Edge {
    pub a: End,
    pub b: End,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Graph {
    pub lab: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

fn truthy(v: &SysctlValue) -> bool {
    match v {
        SysctlValue::Int(i) => *i != 0,
        SysctlValue::Bool(b) => *b,
        SysctlValue::Text(t) => t.trim() != "0" && !t.trim().is_empty(),
    }
}

fn bridge_id(host: Option<&str>, name: &str) -> String {
    format!("bridge:{}:{name}", host.unwrap_or(""))
}

impl Graph {
    /// The graph of a lab (assumed valid: every reference resolves).
    pub fn of(lab: &Lab) -> Graph {
        let mut nodes: Vec<Node> = lab
            .hosts
            .iter()
            .map(|h| Node {
                id: format!("host:{}", h.name),
                kind: NodeKind::Host,
                name: h.name.clone(),
                host: None,
                router: FORWARDING
                    .iter()
                    .any(|k| h.sysctl.get(*k).is_some_and(truthy)),
                addrs: Vec::new(),
            })
            .collect();
        nodes.extend(lab.bridges.iter().map(|b| Node {
            id: bridge_id(b.host.as_deref(), &b.name),
            kind: NodeKind::Bridge,
            name: b.name.clone(),
            host: b.host.clone(),
            router: false,
            addrs: b.addrs.clone(),
        }));
        let end = |i: usize, side: &str, e: &Endpoint| End {
            node: match (&e.host, &e.bridge) {
                (Some(h), _) => format!("host:{h}"),
                (None, Some(b)) => bridge_id(lab.endpoint_ns(e).as_deref(), b),
                (None, None) => String::new(),
            },
            iface: e.name.clone(),
            addrs: e.addrs.clone(),
            shape: lab.end_shape(i, side).ok().flatten().map(|s| s.to_string()),
        };
        let edges = lab
            .links
            .iter()
            .enumerate()
            .map(|(i, l)| Edge {
                a: end(i, "a", &l.a),
                b: end(i, "b", &l.b),
            })
            .collect();
        Graph {
            lab: lab.name.clone(),
            nodes,
            edges,
        }
    }

    fn index(&self, id: &str) -> usize {
        self.nodes.iter().position(|n| n.id == id).unwrap_or(0)
    }

    /// Graphviz DOT (undirected).
    pub fn dot(&self) -> String {
        let q = dot_quote;
        let mut out = format!("graph {} {{\n", q(&self.lab));
        out.push_str("  graph [rankdir=LR, nodesep=0.6, ranksep=1.6, fontname=\"Helvetica\"];\n");
        out.push_str("  node [fontname=\"Helvetica\"];\n");
        out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
        for n in &self.nodes {
            let mut label = vec![n.name.clone()];
            let attrs = match n.kind {
                NodeKind::Host if n.router => {
                    label.push("router".into());
                    "shape=box, style=\"rounded,bold\""
                }
                NodeKind::Host => "shape=box, style=rounded",
                NodeKind::Bridge => {
                    label.push(match &n.host {
                        Some(h) => format!("bridge in {h}"),
                        None => "bridge in the root namespace".into(),
                    });
                    label.extend(n.addrs.iter().cloned());
                    "shape=ellipse, style=filled, fillcolor=\"#eeeeee\""
                }
            };
            out.push_str(&format!(
                "  {} [label={}, {attrs}];\n",
                q(&n.id),
                q(&label.join("\n"))
            ));
        }
        for e in &self.edges {
            out.push_str(&format!(
                "  {} -- {} [label={}];\n",
                q(&e.a.node),
                q(&e.b.node),
                q(&format!(
                    "{}\n—\n{}",
                    end_label(&e.a, " "),
                    end_label(&e.b, " ")
                )),
            ));
        }
        out.push_str("}\n");
        out
    }

    /// A Mermaid flowchart. Node ids are `n0`, `n1`, … in the lab's order.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for (i, n) in self.nodes.iter().enumerate() {
            let mut lines = vec![n.name.clone()];
            let (open, close) = match n.kind {
                NodeKind::Host if n.router => {
                    lines.push("router".into());
                    ("{{", "}}")
                }
                NodeKind::Host => ("[", "]"),
                NodeKind::Bridge => {
                    lines.push(match &n.host {
                        Some(h) => format!("bridge in {h}"),
                        None => "bridge in the root namespace".into(),
                    });
                    lines.extend(n.addrs.iter().cloned());
                    ("([", "])")
                }
            };
            let text: Vec<String> = lines.iter().map(|l| mermaid_text(l)).collect();
            out.push_str(&format!("  n{i}{open}\"{}\"{close}\n", text.join("<br>")));
        }
        for e in &self.edges {
            let label = format!("{} — {}", end_label(&e.a, " "), end_label(&e.b, " "));
            out.push_str(&format!(
                "  n{} ---|\"{}\"| n{}\n",
                self.index(&e.a.node),
                mermaid_text(&label),
                self.index(&e.b.node)
            ));
        }
        out
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a graph serializes") + "\n"
    }

    /// Render in `format`; SVG runs graphviz's `dot -Tsvg` on the DOT text.
    pub fn render(&self, format: Format) -> Result<String> {
        Ok(match format {
            Format::Dot => self.dot(),
            Format::Mermaid => self.mermaid(),
            Format::Json => self.json(),
            Format::Svg => Cmd::new("dot").arg("-Tsvg").stdin(self.dot()).run()?.stdout,
        })
    }
}

/// `veth0 10.0.0.1/24` (addresses joined by `sep` after the name), then the end's egress
/// shaping: `out: rate 10mbit`.
fn end_label(e: &End, sep: &str) -> String {
    let mut parts = vec![e.iface.clone()];
    parts.extend(e.addrs.iter().cloned());
    if let Some(sh) = &e.shape {
        parts.push(format!("out: {sh}"));
    }
    parts.join(sep)
}

/// A DOT double-quoted string (newlines become `\n` line breaks).
fn dot_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text inside a Mermaid `"…"` label: quotes and markup characters as entity codes.
fn mermaid_text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '|' => out.push_str("#124;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            c if c.is_control() => out.push_str(&format!("#{};", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn router_lab_marks_the_forwarding_host() {
        let lab = Lab::parse("router.toml", include_str!("../../labs/router.toml")).unwrap();
        let g = Graph::of(&lab);
        let r = g.nodes.iter().find(|n| n.name == "r").unwrap();
        assert!(r.router);
        assert!(g.nodes.iter().filter(|n| n.name != "r").all(|n| !n.router));
        assert_eq!(g.edges.len(), 4);
        assert_eq!(g.edges[0].b.node, "bridge:r:br1");
    }

    #[test]
    fn shaped_ends_carry_their_egress_shaping() {
        let lab = Lab::parse(
            "shaped-rate.toml",
            include_str!("../../labs/shaped-rate.toml"),
        )
        .unwrap();
        let g = Graph::of(&lab);
        assert_eq!(g.edges[0].a.shape.as_deref(), Some("rate 10mbit"));
        assert_eq!(g.edges[0].b.shape.as_deref(), Some("rate 2mbit"));
        assert!(g.dot().contains("eth0 10.0.0.1/24 out: rate 10mbit"));
        assert!(g.mermaid().contains("eth0 10.0.0.2/24 out: rate 2mbit"));
        let seed = Lab::parse("seed.toml", include_str!("../../labs/seed.toml")).unwrap();
        assert!(Graph::of(&seed).edges.iter().all(|e| e.a.shape.is_none()));
    }

    #[test]
    fn quotes_survive_both_formats() {
        assert_eq!(dot_quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(mermaid_text("a\"b|c#<"), "a#quot;b#124;c#35;#lt;");
    }
}
