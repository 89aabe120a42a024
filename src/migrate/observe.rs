//! `ip` commands and other lines of a script: keep the static picture of namespaces right.

use super::known::{self, fresh_namespace, Known};
use super::shell::{Part, Word};
use super::words::basename;
use crate::backend::{Backend, Memory};
use crate::op::Op;

/// Commands that never change a namespace.
pub(super) const HARMLESS: &[&str] = &[
    "echo", "printf", "sleep", "true", "false", ":", "set", "export", "local", "readonly", "ping",
    "ping6", "cat", "grep", "test", "[", "[[", "wait", "exit", "return", "shift", "unset", "read",
    "trap", "shopt", "declare", "typeset", "let", "sysctl",
];

/// `ip` commands and others in the script: keep the static picture right.
pub(super) fn observe(ns_word: Option<&Word>, words: &[Word], known: &mut Known) {
    let key = ns_word.map(Word::key);
    let forget_here = |known: &mut Known| match &key {
        Some(k) => known.forget(k),
        None => known.forget_all(),
    };
    let Some(tool) = words[0].lit() else {
        return forget_here(known);
    };
    let tool = basename(&tool).to_string();
    // Assignments only (`A=1 B=2`).
    if words.iter().all(|w| {
        w.parts.first().is_some_and(|p| matches!(p, Part::Lit(l) if l.split_once('=').is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))))
    }) {
        // A namespace named through a variable that changes is no longer the one we know.
        for w in words {
            if let Some(Part::Lit(l)) = w.parts.first() {
                if let Some((name, _)) = l.split_once('=') {
                    let var = format!("${name}");
                    known.spaces.retain(|k, _| {
                        !k.match_indices(&var).any(|(i, _)| {
                            !k[i + var.len()..]
                                .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                        })
                    });
                }
            }
        }
        return;
    }
    if HARMLESS.contains(&tool.as_str()) {
        return;
    }
    if tool != "ip" {
        return forget_here(known);
    }
    let mut i = 1;
    let mut ns_key = key.clone();
    while i < words.len() {
        let Some(w) = words[i].lit() else { break };
        if !w.starts_with('-') {
            break;
        }
        match w.as_str() {
            "-n" | "-netns" | "--netns" => {
                ns_key = words.get(i + 1).map(Word::key);
                // `ip -n` with nothing after it: the words end here.
                i = (i + 2).min(words.len());
            }
            "-b" | "-batch" | "-force" => return known.forget_all(),
            _ => i += 1,
        }
    }
    let rest: Vec<Option<String>> = words[i..].iter().map(Word::lit).collect();
    let lit = |j: usize| rest.get(j).cloned().flatten();
    let obj = lit(0).unwrap_or_default();
    let verb = lit(1).unwrap_or_default();
    let forget_ns = |known: &mut Known, k: &Option<String>| {
        if let Some(k) = k {
            known.forget(k);
        }
    };
    match (obj.as_str(), verb.as_str()) {
        ("netns", "add" | "a") if ns_key.is_none() => {
            if let Some(w) = words.get(i + 2) {
                known.spaces.insert(w.key(), fresh_namespace());
            }
        }
        ("netns", "del" | "delete" | "d") => {
            if let Some(w) = words.get(i + 2) {
                known.forget(&w.key());
            }
        }
        ("netns", _) => {}
        ("link" | "l", "add" | "a") => {
            let toks: Vec<Option<String>> = rest[2..].to_vec();
            let keys: Vec<String> = words[i + 2..].iter().map(Word::key).collect();
            let netns_at: Vec<usize> = toks
                .iter()
                .enumerate()
                .filter(|(_, t)| t.as_deref() == Some("netns"))
                .map(|(p, _)| p)
                .collect();
            let peer_at = toks.iter().position(|t| t.as_deref() == Some("peer"));
            // `link add A type veth peer name B netns Y`: B goes to Y.
            if let ([p], Some(pa)) = (netns_at.as_slice(), peer_at) {
                let name_at = if toks.first().and_then(|t| t.as_deref()) == Some("name") {
                    1
                } else {
                    0
                };
                let peer_name = if toks.get(pa + 1).and_then(|t| t.as_deref()) == Some("name") {
                    pa + 2
                } else {
                    pa + 1
                };
                if *p > pa && toks.get(p + 1).is_some() {
                    let a = keys.get(name_at).cloned();
                    let b = keys.get(peer_name).cloned();
                    let y = keys[p + 1].clone();
                    match (
                        a,
                        b,
                        ns_key
                            .as_ref()
                            .and_then(|k| known.spaces.contains_key(k).then_some(k.clone())),
                    ) {
                        (Some(a), Some(b), Some(here)) if known.spaces.contains_key(&y) => {
                            let here = known.spaces.get_mut(&here).expect("known");
                            known::add_link(here, &a, "veth");
                            let there = known.spaces.get_mut(&y).expect("known");
                            known::add_link(there, &b, "veth");
                        }
                        _ => {
                            known.forget(&y);
                            forget_ns(known, &ns_key);
                        }
                    }
                    return;
                }
            }
            if !netns_at.is_empty() {
                for p in netns_at {
                    if let Some(k) = keys.get(p + 1) {
                        known.forget(k);
                    }
                }
                return forget_ns(known, &ns_key);
            }
            let Some(nk) = ns_key.as_ref().and_then(|k| known.spaces.get_mut(k)) else {
                return;
            };
            let name_at = if toks.first().and_then(|t| t.as_deref()) == Some("name") {
                1
            } else {
                0
            };
            let ty = toks
                .iter()
                .position(|t| t.as_deref() == Some("type"))
                .and_then(|p| toks.get(p + 1).cloned().flatten());
            let peer = toks
                .iter()
                .position(|t| t.as_deref() == Some("peer"))
                .map(|p| {
                    if toks.get(p + 1).and_then(|t| t.as_deref()) == Some("name") {
                        p + 2
                    } else {
                        p + 1
                    }
                });
            let exists = |n: &String| nk.link(n).is_some();
            let peer_name = peer.and_then(|p| keys.get(p));
            if keys.get(name_at).is_some_and(exists) || peer_name.is_some_and(exists) {
                // `ip link add` of a name that exists fails and changes nothing.
                return;
            }
            match (keys.get(name_at), ty.as_deref()) {
                (Some(n), Some(kind)) => {
                    known::add_link(nk, n, kind);
                    if let Some(p) = peer.and_then(|p| keys.get(p)) {
                        known::add_link(nk, p, kind);
                    }
                }
                _ => forget_ns(known, &ns_key),
            }
        }
        ("link" | "l", "set" | "s") => {
            let mut j = 2;
            if lit(j).as_deref() == Some("dev") {
                j += 1;
            }
            let Some(dev) = words.get(i + j).map(Word::key) else {
                return;
            };
            j += 1;
            let mut moved_to: Option<String> = None;
            let mut ops: Vec<Op> = Vec::new();
            let flag = |f: &str| {
                use crate::op::LinkFlag::*;
                Some(match f {
                    "arp" => Arp,
                    "multicast" => Multicast,
                    "allmulticast" => Allmulticast,
                    "promisc" => Promisc,
                    "trailers" => Trailers,
                    "dynamic" => Dynamic,
                    _ => return None,
                })
            };
            while j < rest.len() {
                let k = lit(j).unwrap_or_default();
                let arg = words.get(i + j + 1).map(Word::key);
                let val = lit(j + 1);
                let dev = dev.clone();
                let op = match (k.as_str(), val.as_deref()) {
                    ("up" | "down", _) => {
                        ops.push(Op::SetUp {
                            ns: None,
                            dev,
                            up: k == "up",
                        });
                        j += 1;
                        continue;
                    }
                    ("nomaster", _) => {
                        ops.push(Op::SetMaster {
                            ns: None,
                            dev,
                            master: None,
                        });
                        j += 1;
                        continue;
                    }
                    ("netns", _) => {
                        moved_to = arg;
                        None
                    }
                    ("master", _) => arg.map(|m| Op::SetMaster {
                        ns: None,
                        dev,
                        master: Some(m),
                    }),
                    ("name", _) => arg.map(|to| Op::Rename { ns: None, dev, to }),
                    (f, Some(v @ ("on" | "off"))) if flag(f).is_some() => Some(Op::SetFlag {
                        ns: None,
                        dev,
                        flag: flag(f).expect("flag"),
                        on: v == "on",
                    }),
                    ("mtu", Some(v)) => v.parse().ok().map(|mtu| Op::SetMtu { ns: None, dev, mtu }),
                    ("txqueuelen" | "txqlen" | "qlen", Some(v)) => {
                        v.parse().ok().map(|txqlen| Op::SetTxqlen {
                            ns: None,
                            dev,
                            txqlen,
                        })
                    }
                    ("address", Some(v)) => Some(Op::SetMac {
                        ns: None,
                        dev,
                        mac: v.to_ascii_lowercase(),
                    }),
                    ("alias", _) => None,
                    _ => return forget_ns(known, &ns_key),
                };
                if k != "netns" && k != "alias" && op.is_none() {
                    return forget_ns(known, &ns_key);
                }
                ops.extend(op);
                j += 2;
            }
            if let Some(to) = moved_to {
                let had = ns_key
                    .as_ref()
                    .and_then(|k| known.spaces.get_mut(k))
                    .and_then(|nk| known::remove_link(nk, &dev));
                match (had, known.spaces.get_mut(&to)) {
                    (Some(l), Some(dst)) if dst.link(&dev).is_none() => {
                        // A device moved to another namespace arrives down, without its
                        // addresses, and not a port.
                        let mut l = l;
                        known::set_up(&mut l, false);
                        l.addrs.clear();
                        l.master = None;
                        dst.links.push(l);
                    }
                    _ => known.forget(&to),
                }
                if ns_key.is_none() {
                    known.forget(&to);
                }
                return;
            }
            let Some(nk) = ns_key.as_ref().and_then(|k| known.spaces.get_mut(k)) else {
                return;
            };
            // `ip link set` stops at its first refusal.
            let mut mem = Memory::new(std::mem::replace(nk, fresh_namespace()));
            let _ = mem.apply(&ops);
            *nk = mem.snap;
        }
        ("link" | "l", "del" | "delete" | "d") => {
            let j = if lit(2).as_deref() == Some("dev") {
                3
            } else {
                2
            };
            if let (Some(nk), Some(dev)) = (
                ns_key.as_ref().and_then(|k| known.spaces.get_mut(k)),
                words.get(i + j).map(Word::key),
            ) {
                known::remove_link(nk, &dev);
            }
        }
        (
            "link" | "l" | "addr" | "address" | "a" | "route" | "r" | "neigh" | "n",
            "show" | "list" | "ls" | "lst" | "sh" | "get" | "",
        ) => {}
        // Routes and neighbours are not part of the picture.
        ("route" | "r" | "neigh" | "n", _) => {
            if let Some(k) = ns_key {
                known.routed.insert(k);
            }
        }
        _ => forget_ns(known, &ns_key),
    }
}
