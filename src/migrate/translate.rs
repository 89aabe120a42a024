//! One simple command → what replaces it. Legacy commands (`ifconfig`, `brctl`, `route`,
//! `arp`, bare or behind `ip netns exec NS`) are parsed by the one grammar each tool has in
//! nslab (`legacy::ifconfig::set::grammar`, `legacy::brctl::grammar`, `legacy::route`,
//! `legacy::arp`); the resulting actions become [`Op`]s, printed by the script backend. Where
//! the legacy effect depends on state, the statically [`Known`] picture decides, or a run-time
//! guard made of `ip` commands does, or the line is kept with the reason.
//!
//! Known limits (translated, but not always exact):
//! * every device but `lo` is taken to be broadcast-capable (ifconfig gives no broadcast on
//!   point-to-point and other non-broadcast devices);
//! * where the namespace's state is unknown, setting a label's address again to the same
//!   address with a netmask gets the default broadcast, while ifconfig keeps a non-default one
//!   (the guard cannot see the old broadcast);
//! * `ifconfig IF ADDR` on an unknown label replaces every address with that label (`ip addr
//!   flush … label`), ifconfig only the first (labels are unique in legacy-made state).

use super::known::{Ifa, Known, LinkK, NsK};
use super::shell::{Command, Part, Word};
use crate::backend::Script;
use crate::legacy::arp;
use crate::legacy::brctl::grammar as brctl;
use crate::legacy::ifconfig::set::grammar::{self as ifg, Action, Family, Host, IfFlag, Inet};
use crate::legacy::ifconfig::set::kernel::{
    abc_len, bad_mask, base, broadcast_after_netmask, implied_broadcast, mask_of,
};
use crate::legacy::ifconfig::{self, Invocation as IfInv};
use crate::legacy::route;
use crate::op::{AddrSpec, LinkFlag, Ns, Op};
use crate::run::shell_quote;
use std::net::Ipv4Addr;

/// What a simple command becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not a legacy command: kept as it is.
    NotLegacy,
    /// These commands replace it (an empty list: it changes nothing in the kernel; the
    /// reason says why).
    Lines(Vec<String>, Option<String>),
    /// A legacy command kept as it is, with the reason it was not translated.
    Keep(String),
}

/// Placeholders for words with expansions: the grammar sees `@N@`, the output gets the
/// expansion back.
#[derive(Debug, Default)]
struct Names {
    subs: Vec<(String, String)>,
}

impl Names {
    fn value(&mut self, w: &Word) -> String {
        let mut s = String::new();
        for p in &w.parts {
            match p {
                Part::Lit(l) => s.push_str(l),
                Part::Dyn(d) => {
                    let ph = format!("@{}@", self.subs.len());
                    self.subs.push((ph.clone(), d.clone()));
                    s.push_str(&ph);
                }
            }
        }
        s
    }

    /// The text with the expansions put back as written (for messages).
    fn plain(&self, s: &str) -> String {
        let mut subs = self.subs.clone();
        subs.sort_by_key(|(ph, _)| std::cmp::Reverse(ph.len()));
        let mut out = s.to_string();
        for (ph, src) in subs {
            out = out.replace(&ph, &src);
        }
        out
    }

    /// Put the expansions back; `None` when one ended up inside quotes. A word holding an
    /// expansion is double-quoted as a whole (`"${P}ns1"`, `"veth$i"`).
    fn render(&self, line: &str) -> Option<String> {
        const M: char = '\u{1}';
        let mut marked = line.to_string();
        // Longest placeholders first so `@1@` does not eat part of `@10@`.
        let mut subs = self.subs.clone();
        subs.sort_by_key(|(ph, _)| std::cmp::Reverse(ph.len()));
        for (ph, src) in &subs {
            marked = marked.replace(ph.as_str(), &format!("{M}{src}{M}"));
        }
        let mut out = String::new();
        let mut token = String::new();
        let mut in_dyn = false;
        let mut has_dyn = false;
        let flush = |token: &mut String, has_dyn: &mut bool, out: &mut String| -> bool {
            if *has_dyn {
                if token.contains('\'') {
                    return false;
                }
                // Shell punctuation around the word stays outside the quotes.
                let body = token.trim_end_matches([';', '}', ')', '|', '&']);
                let tail = &token[body.len()..];
                let core = body.trim_start_matches(['{', '(']);
                let head = &body[..body.len() - core.len()];
                out.push_str(head);
                out.push('"');
                out.push_str(&core.replace(M, ""));
                out.push('"');
                out.push_str(tail);
            } else {
                out.push_str(token);
            }
            token.clear();
            *has_dyn = false;
            true
        };
        for c in marked.chars() {
            if c == M {
                in_dyn = !in_dyn;
                has_dyn = true;
                token.push(c);
            } else if c == ' ' && !in_dyn {
                if !flush(&mut token, &mut has_dyn, &mut out) {
                    return None;
                }
                out.push(' ');
            } else {
                token.push(c);
            }
        }
        if !flush(&mut token, &mut has_dyn, &mut out) {
            return None;
        }
        Some(out)
    }
}

fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// The namespace a command runs in: `ip netns exec NS CMD…` → (NS word, CMD…).
fn split_netns(words: &[Word]) -> (Option<&Word>, &[Word]) {
    let lits: Vec<Option<String>> = words.iter().take(3).map(Word::lit).collect();
    if words.len() > 4
        && lits[0].as_deref().map(basename) == Some("ip")
        && matches!(lits[1].as_deref(), Some("netns" | "netn" | "net"))
        && lits[2].as_deref() == Some("exec")
    {
        return (Some(&words[3]), &words[4..]);
    }
    (None, words)
}

const HARMLESS: &[&str] = &[
    "echo", "printf", "sleep", "true", "false", ":", "set", "export", "local", "readonly", "ping",
    "ping6", "cat", "grep", "test", "[", "[[", "wait", "exit", "return", "shift", "unset", "read",
    "trap", "shopt", "declare", "typeset", "let", "sysctl",
];

/// Translate one simple command. `uncond`: it runs exactly once, in order (not in a
/// compound, not in a list), so the static picture may be used and updated.
pub fn translate(cmd: &Command, known: &mut Known, uncond: bool) -> Outcome {
    let (ns_word, words) = split_netns(&cmd.words);
    let Some(first) = words.first() else {
        return Outcome::NotLegacy;
    };
    let tool = first.lit().map(|s| basename(&s).to_string());
    // A legacy command behind another wrapper than `ip netns exec` is left alone, but said.
    const WRAPPERS: &[&str] = &[
        "sudo", "doas", "exec", "command", "env", "nsenter", "nohup", "time", "timeout", "nice",
        "unshare", "chroot",
    ];
    if let Some(w) = tool.as_deref().filter(|t| WRAPPERS.contains(t)) {
        let inner = words[1..]
            .iter()
            .filter_map(Word::lit)
            .map(|x| basename(&x).to_string())
            .find(|x| matches!(x.as_str(), "ifconfig" | "brctl" | "route" | "arp"));
        if let Some(inner) = inner {
            if !uncond {
                known.forget_all();
            } else {
                observe(ns_word, words, known);
            }
            return Outcome::Keep(format!(
                "`{inner}` runs behind `{w}`; only bare commands and `ip netns exec NS` are rewritten"
            ));
        }
    }
    let legacy = matches!(
        tool.as_deref(),
        Some("ifconfig" | "brctl" | "route" | "arp")
    );
    if !uncond {
        // Whatever it is, it may run any number of times: no static picture from here on.
        let mut none = Known::default();
        let out = if legacy {
            dispatch(cmd, ns_word, words, &mut none, false)
        } else {
            Outcome::NotLegacy
        };
        known.forget_all();
        return out;
    }
    if legacy {
        return dispatch(cmd, ns_word, words, known, true);
    }
    observe(ns_word, words, known);
    Outcome::NotLegacy
}

fn dispatch(
    cmd: &Command,
    ns_word: Option<&Word>,
    words: &[Word],
    known: &mut Known,
    uncond: bool,
) -> Outcome {
    if cmd.opaque {
        return Outcome::Keep("it reads a here-document".into());
    }
    if let Some(w) = words.iter().find(|w| {
        w.parts
            .iter()
            .any(|p| matches!(p, Part::Lit(l) if l.contains('@')))
    }) {
        let _ = w;
        return Outcome::Keep("a word contains `@`, which migrate uses internally".into());
    }
    let mut names = Names::default();
    let ns: Ns = ns_word.map(|w| names.value(w));
    let key = ns_word.map(Word::key);
    let tool = basename(&words[0].lit().expect("literal tool")).to_string();
    let args: Vec<String> = words[1..].iter().map(|w| names.value(w)).collect();
    let dyn_at: Vec<bool> = words[1..].iter().map(Word::is_dyn).collect();
    let mut tx = Tx {
        ns,
        known: match (&key, uncond) {
            (Some(k), true) => known.spaces.get(k).cloned(),
            _ => None,
        },
        lines: vec![],
        changed_unknown: false,
    };
    let result = match tool.as_str() {
        "ifconfig" => tx.ifconfig(&args, &dyn_at),
        "brctl" => tx.brctl(&args, &dyn_at),
        "route" => tx.route(&args, &dyn_at),
        _ => tx.arp(&args, &dyn_at),
    };
    // A legacy command that certainly fails at some point becomes the lines for what it did
    // before, then `false` (its exit status); the picture keeps those changes.
    let fails = matches!(&result, Err(r) if certain_failure(r));
    if let Some(k) = &key {
        match (&tx.known, tx.changed_unknown, &result) {
            (Some(nk), false, Ok(_)) => {
                known.spaces.insert(k.clone(), nk.clone());
            }
            (Some(nk), false, Err(_)) if fails => {
                known.spaces.insert(k.clone(), nk.clone());
            }
            _ => known.forget(k),
        }
    }
    let (lines, note) = match result {
        Err(reason) if fails => {
            let mut l = tx.lines;
            l.push("false".into());
            (
                l,
                Some(format!(
                    "the legacy command fails here: {}",
                    names.plain(&reason)
                )),
            )
        }
        Err(reason) => return Outcome::Keep(names.plain(&reason)),
        Ok(note) => (tx.lines, note),
    };
    let mut out = Vec::new();
    for l in dedup(lines) {
        match names.render(&l) {
            Some(r) => out.push(r),
            None => return Outcome::Keep("a name mixes quoted text and an expansion".into()),
        }
    }
    if out.is_empty() && note.is_none() {
        return Outcome::Lines(out, Some("no kernel change".into()));
    }
    Outcome::Lines(out, note)
}

/// Whether a reason says the legacy command certainly fails (rather than that its effect is
/// only known at run time). Every such reason is worded with "fails", "refuses it", "refuses
/// the option", "exits 3" or a kernel error in backquotes.
fn certain_failure(reason: &str) -> bool {
    reason.ends_with("fails")
        || reason.contains("fails:")
        || reason.contains("refuses it")
        || reason.contains("refuses the option")
        || reason.contains("exits 3")
        || reason.contains(": Invalid argument`")
}

fn dedup(lines: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in lines {
        if out.last() != Some(&l) {
            out.push(l);
        }
    }
    out
}

/// `ip` commands and others in the script: keep the static picture right.
fn observe(ns_word: Option<&Word>, words: &[Word], known: &mut Known) {
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
                i += 2;
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
                known.spaces.insert(w.key(), NsK::fresh());
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
                            known
                                .spaces
                                .get_mut(&here)
                                .expect("known")
                                .links
                                .insert(a, LinkK::default());
                            known
                                .spaces
                                .get_mut(&y)
                                .expect("known")
                                .links
                                .insert(b, LinkK::default());
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
            let exists = |n: &String| nk.links.contains_key(n);
            let peer_name = peer.and_then(|p| keys.get(p));
            if keys.get(name_at).is_some_and(exists) || peer_name.is_some_and(exists) {
                // `ip link add` of a name that exists fails and changes nothing.
                return;
            }
            match (keys.get(name_at), ty.as_deref()) {
                (Some(n), Some("bridge")) => {
                    nk.links.insert(
                        n.clone(),
                        LinkK {
                            bridge: true,
                            ..Default::default()
                        },
                    );
                }
                (Some(n), Some(_)) => {
                    nk.links.insert(n.clone(), LinkK::default());
                    if let Some(p) = peer.and_then(|p| keys.get(p)) {
                        nk.links.insert(p.clone(), LinkK::default());
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
            let mut ops: Vec<(String, Option<String>)> = Vec::new();
            while j < rest.len() {
                let k = lit(j).unwrap_or_default();
                let arg = words.get(i + j + 1).map(Word::key);
                match k.as_str() {
                    "up" | "down" | "nomaster" => {
                        ops.push((k, None));
                        j += 1;
                    }
                    "netns" => {
                        moved_to = arg;
                        j += 2;
                    }
                    "master" | "name" => {
                        ops.push((k, arg));
                        j += 2;
                    }
                    "arp" | "multicast" | "allmulticast" | "promisc" | "trailers" | "dynamic"
                    | "mtu" | "address" | "txqueuelen" | "txqlen" | "qlen" | "alias" => j += 2,
                    _ => return forget_ns(known, &ns_key),
                }
            }
            if let Some(to) = moved_to {
                let had = ns_key
                    .as_ref()
                    .and_then(|k| known.spaces.get_mut(k))
                    .and_then(|nk| nk.remove_link(&dev));
                match (had, known.spaces.get_mut(&to)) {
                    (Some(l), Some(dst)) => {
                        dst.links.insert(
                            dev.clone(),
                            LinkK {
                                up: false,
                                master: None,
                                bridge: l.bridge,
                                refs: false,
                            },
                        );
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
            for (k, arg) in ops {
                match k.as_str() {
                    "up" | "down" => {
                        if let Some(l) = nk.links.get_mut(&dev) {
                            l.up = k == "up";
                        }
                    }
                    "nomaster" => {
                        if let Some(l) = nk.links.get_mut(&dev) {
                            l.master = None;
                        }
                    }
                    "master" => {
                        if let Some(l) = nk.links.get_mut(&dev) {
                            l.master = arg;
                        }
                    }
                    "name" => {
                        if let Some(to) = arg {
                            nk.rename(&dev, &to);
                        }
                    }
                    _ => {}
                }
            }
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
                nk.remove_link(&dev);
            }
        }
        (
            "link" | "l" | "addr" | "address" | "a" | "route" | "r" | "neigh" | "n",
            "show" | "list" | "ls" | "lst" | "sh" | "get" | "",
        ) => {}
        ("route" | "r" | "neigh" | "n", _) => {
            if let Some(nk) = ns_key.as_ref().and_then(|k| known.spaces.get_mut(k)) {
                nk.mark_refs(None);
            }
        }
        _ => forget_ns(known, &ns_key),
    }
}

/// The pattern `ip addr show` prints for an address, up to the scope.
fn show_pattern(a: &Ifa) -> String {
    let mut s = format!("inet {}", a.local);
    match a.peer {
        Some(p) => s.push_str(&format!(" peer {p}/{}", a.prefixlen)),
        None => s.push_str(&format!("/{}", a.prefixlen)),
    }
    if let Some(b) = a.brd {
        s.push_str(&format!(" brd {b}"));
    }
    s.push_str(" scope");
    s
}

/// Translation of one command: the lines, and the picture of its namespace when known.
struct Tx {
    ns: Ns,
    known: Option<NsK>,
    lines: Vec<String>,
    /// Something changed that the picture cannot follow: forget the namespace after.
    changed_unknown: bool,
}

type Res = Result<Option<String>, String>;

impl Tx {
    fn ip(&self) -> String {
        match &self.ns {
            Some(n) => format!("ip -n {}", shell_quote(n)),
            None => "ip".into(),
        }
    }

    fn op(&mut self, op: Op) {
        self.lines
            .push(Script::render(&[op]).trim_end().to_string());
    }

    fn link_up(&self, dev: &str) -> Option<bool> {
        self.known.as_ref()?.links.get(dev).map(|l| l.up)
    }

    // ---------------------------------------------------------------- ifconfig

    fn ifconfig(&mut self, args: &[String], dyn_at: &[bool]) -> Res {
        let inv = ifconfig::parse(args);
        let (iface, words) = match inv {
            IfInv::Show(req) => {
                let mut line = format!("{} addr show", self.ip());
                match &req.iface {
                    Some(i) => line.push_str(&format!(" dev {}", shell_quote(base(i)))),
                    None if !req.all => line.push_str(" up"),
                    None => {}
                }
                self.lines.push(line);
                return Ok(None);
            }
            IfInv::Version | IfInv::Help => {
                return Err("it prints net-tools' own text; iproute2 has no equivalent".into())
            }
            IfInv::BadOption(o) => return Err(format!("ifconfig refuses the option `{o}`")),
            IfInv::Configure { iface, words, .. } => (iface, words),
        };
        // Which argument is the interface (after leading options).
        let lead = args.iter().take_while(|a| a.starts_with('-')).count();
        for (k, d) in dyn_at.iter().enumerate() {
            let after_name = k > 0 && args[k - 1] == "name" && k > lead;
            if *d && k != lead && !after_name {
                return Err(format!(
                    "the value of `{}` decides what ifconfig does, and it is only known at run time",
                    args[k]
                ));
            }
        }
        let cmd = ifg::parse(&iface, &words, &ifg::NumericOnly);
        let dyn_iface = dyn_at.get(lead).copied().unwrap_or(false);
        if dyn_iface {
            // Any device of the namespace may change: the picture is lost.
            self.known = None;
            self.changed_unknown = true;
        }
        match cmd.family {
            Family::Inet | Family::Inet6 => {}
            _ => return Err("an address family other than inet/inet6".into()),
        }
        let iface = cmd.iface.clone();
        let dev = base(&iface).to_string();
        let alias = iface.contains(':');
        if self
            .known
            .as_ref()
            .is_some_and(|k| !k.links.contains_key(&dev))
        {
            // A device the picture does not have: let the kernel answer at run time.
            self.known = None;
            self.changed_unknown = true;
        }
        let acts = &cmd.actions;
        let mut used = vec![false; acts.len()];
        let mut notes: Vec<String> = Vec::new();
        // A keyword that fails does not stop ifconfig: the later ones still apply, and the
        // exit status is 1 at the end.
        let mut failure: Option<String> = None;
        macro_rules! fail {
            ($e:expr $(,)?) => {{
                let e: String = $e.into();
                failure.get_or_insert(e);
                continue;
            }};
        }
        for idx in 0..acts.len() {
            if used[idx] {
                continue;
            }
            match &acts[idx] {
                Action::Note(_) => {}
                Action::Flag { flag, on, .. } => {
                    self.if_flag(&iface, &dev, alias, cmd.family, *flag, *on)?
                }
                Action::Mtu(n) => {
                    if *n < 0 {
                        fail!("a negative MTU: `SIOCSIFMTU: Invalid argument`");
                    }
                    self.op(Op::SetMtu {
                        ns: self.ns.clone(),
                        dev: dev.clone(),
                        mtu: *n as u32,
                    });
                }
                Action::TxQueueLen(q) => {
                    if *q < 0 {
                        fail!("a negative txqueuelen: `SIOCSIFTXQLEN: Invalid argument`");
                    }
                    self.op(Op::SetTxqlen {
                        ns: self.ns.clone(),
                        dev: dev.clone(),
                        txqlen: *q as u32,
                    });
                }
                Action::HwEther(Ok(mac)) => {
                    let mac = mac.map(|b| format!("{b:02x}")).join(":");
                    self.op(Op::SetMac {
                        ns: self.ns.clone(),
                        dev: dev.clone(),
                        mac,
                    });
                }
                Action::HwEther(Err(w)) => {
                    fail!(format!("`{w}` is not an Ethernet address: ifconfig fails"))
                }
                Action::HwInvalid { class, addr } => {
                    fail!(format!(
                        "`{addr}` is not a valid `{class}` address: ifconfig fails"
                    ))
                }
                Action::HwOther { class, .. } => {
                    fail!(format!("`hw {class}` fails on an Ethernet device"))
                }
                Action::HwNoHandler(class) => {
                    fail!(format!(
                        "`hw {class}` has no address parser: ifconfig fails"
                    ))
                }
                Action::Slip { .. } => {
                    fail!("`keepalive`/`outfill` work on SLIP devices only: ifconfig fails",)
                }
                Action::Map { field, .. } => {
                    fail!(format!(
                        "`{}` needs SIOCSIFMAP, which virtual devices refuse: ifconfig fails",
                        field.prefix()
                    ))
                }
                Action::UnknownMedia(m) => {
                    fail!(format!("unknown media type `{m}`: ifconfig fails"))
                }
                Action::Tunnel(_) => fail!("`tunnel` works on SIT devices only: ifconfig fails"),
                Action::Add6(a) | Action::Del6(a) => {
                    let Some(addr) = a.addr else {
                        fail!(format!(
                            "`{}` is not an IPv6 address: ifconfig fails",
                            a.word
                        ));
                    };
                    let local = format!("{addr}/{}", a.prefix);
                    let ns = self.ns.clone();
                    if matches!(acts[idx], Action::Add6(_)) {
                        self.op(Op::AddAddr {
                            ns,
                            dev: dev.clone(),
                            addr: AddrSpec {
                                local,
                                ..Default::default()
                            },
                        });
                    } else {
                        self.op(Op::DelAddr {
                            ns,
                            dev: dev.clone(),
                            local,
                        });
                    }
                }
                Action::FamilyKeyword { keyword, .. } => {
                    fail!(format!(
                        "`{keyword}` under a non-inet family fails on that family's socket"
                    ))
                }
                Action::Crash => return Err(
                    "ifconfig dies of SIGSEGV here (a family without an address parser): it fails"
                        .into(),
                ),
                Action::Add4(h) | Action::Del4(h) => {
                    let Some(ip) = resolved(h) else {
                        return Err(format!("`{}` is not a numeric IPv4 address", h.word));
                    };
                    self.alias_add_del(&iface, ip, matches!(acts[idx], Action::Add4(_)))?;
                }
                Action::Name(new) => {
                    if new.contains(':') || new.is_empty() {
                        return Err(format!(
                            "`{new}` is not a valid device name: ifconfig fails"
                        ));
                    }
                    self.op(Op::Rename {
                        ns: self.ns.clone(),
                        dev: dev.clone(),
                        to: new.clone(),
                    });
                    if let Some(k) = &mut self.known {
                        k.rename(&dev, new);
                    }
                    if idx + 1 < acts.len() {
                        return Err(
                            "keywords after `name` act on the old name, which is gone".into()
                        );
                    }
                }
                Action::Address(ip) => {
                    // Fold the keywords that refine this address into one change.
                    let mut mods = Vec::new();
                    for j in idx + 1..acts.len() {
                        match &acts[j] {
                            Action::Address(_) => break,
                            Action::Netmask(_)
                            | Action::PrefixNetmask(_)
                            | Action::Broadcast(Some(_))
                            | Action::Dstaddr(_)
                            | Action::PointToPoint(Some(_)) => {
                                used[j] = true;
                                mods.push(acts[j].clone());
                            }
                            Action::Add4(_) | Action::Del4(_) => {
                                return Err(
                                    "`add`/`del` together with an address in one line".into()
                                )
                            }
                            Action::Flag {
                                flag: IfFlag::Up,
                                on: false,
                                ..
                            } if alias => {
                                return Err("an alias address and `down` in one line".into())
                            }
                            _ => {}
                        }
                    }
                    if let Some(n) = self.set_address(&iface, &dev, alias, *ip, &mods)? {
                        notes.push(n);
                    }
                }
                m @ (Action::Netmask(_)
                | Action::PrefixNetmask(_)
                | Action::Broadcast(Some(_))
                | Action::Dstaddr(_)
                | Action::PointToPoint(Some(_))) => {
                    self.modify_existing(&iface, &dev, m)?;
                }
                Action::Broadcast(None) | Action::PointToPoint(None) => {}
                Action::OtherFamilyAddress { .. } | Action::Unsupported(_) => {
                    return Err("setting an address of this family is refused by ifconfig".into())
                }
                Action::Usage => return Err("ifconfig prints its usage and exits 3 here".into()),
                Action::Fail(lines) => {
                    return Err(format!(
                        "ifconfig fails here ({}); a name lookup happens only at run time",
                        lines.first().cloned().unwrap_or_default()
                    ))
                }
            }
        }
        if let Some(f) = failure {
            self.lines.push("false".into());
            let f = f.trim_end_matches(": ifconfig fails");
            notes.push(format!(
                "ifconfig fails here ({f}); the other keywords still apply"
            ));
        }
        Ok(if notes.is_empty() {
            None
        } else {
            Some(notes.join("; "))
        })
    }

    fn if_flag(
        &mut self,
        iface: &str,
        dev: &str,
        alias: bool,
        family: Family,
        flag: IfFlag,
        on: bool,
    ) -> Result<(), String> {
        let ns = self.ns.clone();
        // On an alias, SIOCSIFFLAGS through the inet socket only ever deletes the alias
        // address (when the flags asked for lack UP); `clr_flag` always uses that socket.
        let inet_sock = family == Family::Inet || !on;
        if alias && inet_sock {
            let deletes = match (flag, on) {
                (IfFlag::Up, true) => Some(false),
                (IfFlag::Up, false) => Some(true),
                _ => self.link_up(dev).map(|up| !up),
            };
            match deletes {
                Some(false) => {}
                Some(true) => self.delete_label(iface, dev),
                None => {
                    let ip = self.ip();
                    self.lines.push(format!(
                        "{ip} link show dev {d} up | grep -q . || {ip} -4 addr flush dev {d} label {l}",
                        d = shell_quote(dev),
                        l = shell_quote(iface)
                    ));
                    self.changed_unknown = true;
                }
            }
            return Ok(());
        }
        let f = |flag: LinkFlag, on: bool| Op::SetFlag {
            ns: ns.clone(),
            dev: dev.to_string(),
            flag,
            on,
        };
        let op = match flag {
            IfFlag::Up => {
                if let Some(k) = &mut self.known {
                    if let Some(l) = k.links.get_mut(dev) {
                        l.up = on;
                    }
                }
                Op::SetUp {
                    ns: ns.clone(),
                    dev: dev.to_string(),
                    up: on,
                }
            }
            IfFlag::NoArp => f(LinkFlag::Arp, !on),
            IfFlag::NoTrailers => f(LinkFlag::Trailers, !on),
            IfFlag::Promisc => f(LinkFlag::Promisc, on),
            IfFlag::AllMulti => f(LinkFlag::Allmulticast, on),
            IfFlag::Multicast => f(LinkFlag::Multicast, on),
            IfFlag::Dynamic => f(LinkFlag::Dynamic, on),
            // Volatile flags: the kernel never changes them through SIOCSIFFLAGS.
            IfFlag::Broadcast | IfFlag::PointToPoint => return Ok(()),
            IfFlag::AutoMedia => {
                return Err("`media auto` sets IFF_AUTOMEDIA, which `ip` cannot set".into())
            }
        };
        self.op(op);
        Ok(())
    }

    /// Delete the address carrying `label` (the first one, as the ioctls address it).
    fn delete_label(&mut self, label: &str, dev: &str) {
        let ns = self.ns.clone();
        match self.known.as_mut() {
            Some(k) => {
                if let Some(old) = k.by_label(label).cloned() {
                    k.delete(&old);
                    self.op(Op::DelAddrSpec {
                        ns,
                        dev: dev.to_string(),
                        addr: old.spec(),
                    });
                }
            }
            None => {
                let ip = self.ip();
                self.lines.push(format!(
                    "{ip} -4 addr flush dev {} label {}",
                    shell_quote(dev),
                    shell_quote(label)
                ));
            }
        }
    }

    /// Apply a netmask/broadcast/peer keyword to an address, as the ioctl would.
    fn refine(ifa: &mut Ifa, brd_capable: bool, m: &Action) -> Result<(), String> {
        match m {
            Action::Netmask(_) | Action::PrefixNetmask(_) => {
                let mask = match m {
                    Action::Netmask(h) => match h.inet {
                        Inet::Addr(a) | Inet::Network(a) => a,
                        Inet::Failed(_) => {
                            return Err(format!("netmask `{}` does not resolve", h.word))
                        }
                    },
                    Action::PrefixNetmask(a) => *a,
                    _ => unreachable!(),
                };
                let mk = u32::from(mask);
                if bad_mask(mk) {
                    return Err(
                        "a non-contiguous netmask: `SIOCSIFNETMASK: Invalid argument`".into(),
                    );
                }
                let old_mask = mask_of(ifa.prefixlen);
                if old_mask == mk {
                    return Ok(());
                }
                let old_brd = ifa.brd.unwrap_or(Ipv4Addr::UNSPECIFIED);
                if let Some(b) =
                    broadcast_after_netmask(ifa.local, old_mask, old_brd, mk, brd_capable)
                {
                    ifa.brd = Some(b);
                }
                ifa.prefixlen = mk.count_ones() as u8;
            }
            Action::Broadcast(Some(h)) => match resolved(h) {
                Some(b) => ifa.brd = (!b.is_unspecified()).then_some(b),
                None => return Err(format!("broadcast `{}` does not resolve", h.word)),
            },
            Action::Dstaddr(h) | Action::PointToPoint(Some(h)) => {
                let strict = matches!(m, Action::PointToPoint(_));
                let d = match (h.inet, strict) {
                    (Inet::Addr(a), _) | (Inet::Network(a), false) => a,
                    _ => return Err(format!("peer `{}` does not resolve", h.word)),
                };
                if abc_len(d).is_none() {
                    return Err("a multicast peer: `SIOCSIFDSTADDR: Invalid argument`".into());
                }
                ifa.peer = (d != ifa.local).then_some(d);
            }
            _ => {}
        }
        Ok(())
    }

    fn set_address(
        &mut self,
        iface: &str,
        dev: &str,
        alias: bool,
        ip: Ipv4Addr,
        mods: &[Action],
    ) -> Result<Option<String>, String> {
        let ns = self.ns.clone();
        let brd_capable = dev != "lo";
        let mut note = None;
        match abc_len(ip) {
            None => {
                // SIOCSIFADDR refuses a class D address; ifconfig still sets the flags.
                if !mods.is_empty() {
                    return Err("a class D address with a netmask or broadcast".into());
                }
                note = Some(format!(
                    "{ip} is class D: `SIOCSIFADDR: Invalid argument`, only the link comes up"
                ));
            }
            Some(_) if ip.is_unspecified() => {
                // The address goes; a netmask or broadcast after it then finds no address
                // and fails (`Cannot assign requested address`), changing nothing.
                self.delete_label(iface, dev);
                if !mods.is_empty() {
                    note = Some("the keywords after 0.0.0.0 fail: the address is gone".into());
                }
            }
            Some(len) => {
                let label = if alias {
                    iface.to_string()
                } else {
                    dev.to_string()
                };
                let fresh = Ifa {
                    dev: dev.to_string(),
                    label,
                    local: ip,
                    prefixlen: len,
                    brd: implied_broadcast(ip, len, brd_capable),
                    peer: None,
                    secondary: false,
                };
                // ifconfig's steps: SIOCSIFADDR (classful), then one delete + insert per
                // keyword that changes the address; an insert that collides with an existing
                // address fails (EEXIST) and leaves the label without one. Folding the steps
                // into one `ip addr add` is exact unless a step deletes the device's last IPv4
                // address while routes or neighbours may use the device (the kernel then
                // flushes those).
                let mut cur = fresh.clone();
                let mut reinserted = false;
                match self.known.as_mut() {
                    Some(k) => {
                        let mut k2 = k.clone();
                        let old = k2.by_label(iface).cloned();
                        let same = old.as_ref().is_some_and(|o| o.local == ip);
                        let mut now: Option<Ifa> = if same {
                            old.clone()
                        } else {
                            if let Some(o) = &old {
                                k2.delete(o);
                            }
                            if k2.conflicts(&fresh) {
                                None
                            } else {
                                k2.insert(fresh.clone());
                                Some(fresh.clone())
                            }
                        };
                        let fresh_went_in = !same && now.is_some();
                        for m in mods {
                            let Some(c) = now.clone() else { break };
                            let mut n = c.clone();
                            Self::refine(&mut n, brd_capable, m)?;
                            if n != c {
                                reinserted = true;
                                k2.delete(&c);
                                if k2.conflicts(&n) {
                                    now = None;
                                } else {
                                    k2.insert(n.clone());
                                    now = Some(n);
                                }
                            }
                        }
                        let others = k2
                            .addrs
                            .iter()
                            .any(|a| a.dev == dev && Some(a) != now.as_ref());
                        let refs = k2.links.get(dev).is_none_or(|l| l.refs);
                        let dspec = |a: &Ifa| Op::DelAddrSpec {
                            ns: ns.clone(),
                            dev: dev.to_string(),
                            addr: a.spec(),
                        };
                        let aspec = |a: &Ifa| Op::AddAddr {
                            ns: ns.clone(),
                            dev: dev.to_string(),
                            addr: a.spec(),
                        };
                        if old.is_some() && old == now && reinserted && refs && !others {
                            // Same address in the end, but ifconfig went through other masks
                            // or broadcasts: each step deleted the device's only address.
                            let o = old.clone().expect("some");
                            self.op(dspec(&o));
                            self.op(aspec(&o));
                        } else if old != now {
                            if let Some(o) = &old {
                                self.op(dspec(o));
                            }
                            if fresh_went_in
                                && !same
                                && ((reinserted && refs && !others) || now.is_none())
                            {
                                self.op(aspec(&fresh));
                                self.op(dspec(&fresh));
                            }
                            if let Some(n) = &now {
                                self.op(aspec(n));
                            }
                        }
                        *self.known.as_mut().expect("known") = k2;
                    }
                    None => {
                        for m in mods {
                            let before = cur.clone();
                            Self::refine(&mut cur, brd_capable, m)?;
                            reinserted |= cur != before;
                        }
                        let new = cur;
                        let pattern = if mods.is_empty() {
                            format!("inet {ip}/")
                        } else {
                            show_pattern(&new)
                        };
                        let ipc = self.ip();
                        let render = |op: Op| Script::render(&[op]).trim_end().to_string();
                        let mut steps = vec![format!(
                            "{ipc} -4 addr flush dev {} label {}",
                            shell_quote(dev),
                            shell_quote(iface)
                        )];
                        if reinserted {
                            // Each step only if the previous one worked, as with the ioctls.
                            steps.push(format!(
                                "{} && {} && {}",
                                render(Op::AddAddr {
                                    ns: ns.clone(),
                                    dev: dev.to_string(),
                                    addr: fresh.spec()
                                }),
                                render(Op::DelAddrSpec {
                                    ns: ns.clone(),
                                    dev: dev.to_string(),
                                    addr: fresh.spec()
                                }),
                                render(Op::AddAddr {
                                    ns: ns.clone(),
                                    dev: dev.to_string(),
                                    addr: new.spec()
                                })
                            ));
                        } else {
                            steps.push(render(Op::AddAddr {
                                ns: ns.clone(),
                                dev: dev.to_string(),
                                addr: new.spec(),
                            }));
                        }
                        // When the label already holds the final address, ifconfig still
                        // re-inserts it for each keyword that changes it on the way (a mask,
                        // then another), and each re-insert of a device's only address flushes
                        // its routes and neighbours: do one re-insert then too.
                        let mut probe = new.clone();
                        let mut detour = false;
                        for m in mods {
                            let before = probe.clone();
                            Self::refine(&mut probe, brd_capable, m)?;
                            detour |= probe != before;
                        }
                        let show = format!(
                            "{ipc} -4 addr show dev {} label {}",
                            shell_quote(dev),
                            shell_quote(iface)
                        );
                        if detour {
                            self.lines.push(format!(
                                "if {show} | grep -q '{pattern}'; then {} && {}; else {}; fi",
                                render(Op::DelAddrSpec {
                                    ns: ns.clone(),
                                    dev: dev.to_string(),
                                    addr: new.spec(),
                                }),
                                render(Op::AddAddr {
                                    ns: ns.clone(),
                                    dev: dev.to_string(),
                                    addr: new.spec(),
                                }),
                                steps.join("; "),
                            ));
                        } else {
                            self.lines.push(format!(
                                "{show} | grep -q '{pattern}' || {{ {}; }}",
                                steps.join("; "),
                            ));
                        }
                    }
                }
            }
        }
        if !alias {
            self.op(Op::SetUp {
                ns,
                dev: dev.to_string(),
                up: true,
            });
            if let Some(l) = self.known.as_mut().and_then(|k| k.links.get_mut(dev)) {
                l.up = true;
            }
        }
        Ok(note)
    }

    fn modify_existing(&mut self, iface: &str, dev: &str, m: &Action) -> Result<(), String> {
        let Some(k) = self.known.as_mut() else {
            return Err(format!(
                "it changes the address of `{iface}`, which is only known at run time"
            ));
        };
        let Some(old) = k.by_label(iface).cloned() else {
            return Err(format!("`{iface}` has no address here: ifconfig fails"));
        };
        let mut new = old.clone();
        Self::refine(&mut new, dev != "lo", m)?;
        if new != old {
            k.delete(&old);
            k.insert(new.clone());
            let ns = self.ns.clone();
            self.op(Op::DelAddrSpec {
                ns: ns.clone(),
                dev: dev.to_string(),
                addr: old.spec(),
            });
            self.op(Op::AddAddr {
                ns,
                dev: dev.to_string(),
                addr: new.spec(),
            });
        }
        Ok(())
    }

    /// `ifconfig IF add|del A`: net-tools' `set_ifstate`, on the static picture.
    fn alias_add_del(&mut self, parent: &str, ip: Ipv4Addr, add: bool) -> Result<(), String> {
        let Some(k) = self.known.clone() else {
            return Err(format!(
                "`{}` picks the alias number and copies the netmask of `{parent}` at run time",
                if add { "add" } else { "del" }
            ));
        };
        let dev = base(parent).to_string();
        let Some(link) = k.links.get(&dev) else {
            return Err(format!("`{dev}` does not exist here: ifconfig fails"));
        };
        let (nm, bc) = match k.by_label(parent) {
            Some(p) => (p.prefixlen, p.brd),
            None => (0, None),
        };
        // Labels of the form PARENT:N, in the order net-tools walks them.
        let mut used = [false; 256];
        let mut found: Option<Ifa> = None;
        for a in &k.addrs {
            let Some(z) = a
                .label
                .strip_prefix(parent)
                .and_then(|r| r.strip_prefix(':'))
            else {
                continue;
            };
            if z.contains('-') {
                continue;
            }
            let n = ifg::atoi(z);
            if !(0..=255).contains(&n) {
                return Err("an alias number outside 0..255 makes ifconfig abort".into());
            }
            used[n as usize] = true;
            if a.address() == ip && found.is_none() {
                found = Some(a.clone());
            }
        }
        if let Some(a) = found {
            if !add {
                self.delete_label(&a.label, &dev);
            }
            return Ok(());
        }
        let up = link.up;
        let Some(n) = used.iter().position(|u| !u) else {
            return Ok(());
        };
        let label = format!("{parent}:{n}");
        if label.len() > 15 {
            return Err("the alias name would be longer than 15 bytes".into());
        }
        let Some(len) = abc_len(ip).filter(|_| !ip.is_unspecified()) else {
            return Err("a class D or zero address as an alias".into());
        };
        let new = Ifa {
            dev: dev.clone(),
            label,
            local: ip,
            prefixlen: nm,
            brd: bc,
            peer: None,
            secondary: false,
        };
        let classful = Ifa {
            prefixlen: len,
            brd: implied_broadcast(ip, len, true),
            ..new.clone()
        };
        let km = self.known.as_mut().expect("known");
        if km.conflicts(&classful) {
            // SIOCSIFADDR fails with EEXIST: no alias.
            return Ok(());
        }
        // set_ifstate inserts the alias with the classful mask, then re-inserts it with the
        // parent's netmask and broadcast; on a down device it deletes it at once. Each delete
        // of the device's only IPv4 address flushes its routes and neighbours, so those steps
        // are kept whenever that can happen.
        let others = km.addrs.iter().any(|a| a.dev == dev);
        let refs = km.links.get(&dev).is_none_or(|l| l.refs);
        let reinsert = classful != new || !up || km.conflicts(&new);
        let ns = self.ns.clone();
        if !others && refs && reinsert {
            self.op(Op::AddAddr {
                ns: ns.clone(),
                dev: dev.clone(),
                addr: classful.spec(),
            });
            self.op(Op::DelAddrSpec {
                ns: ns.clone(),
                dev: dev.clone(),
                addr: classful.spec(),
            });
        }
        let km = self.known.as_mut().expect("known");
        if !up || km.conflicts(&new) {
            // Down: the alias is created and at once deleted again (no IFF_UP). A collision
            // with the parent's mask: the netmask step fails and the alias is gone.
            return Ok(());
        }
        km.insert(new.clone());
        self.op(Op::AddAddr {
            ns,
            dev,
            addr: new.spec(),
        });
        Ok(())
    }

    // ---------------------------------------------------------------- brctl

    fn brctl(&mut self, args: &[String], dyn_at: &[bool]) -> Res {
        let mut argv = vec!["brctl".to_string()];
        argv.extend(args.iter().cloned());
        let cmd = match brctl::parse_args(&argv) {
            brctl::Invocation::Answer(a) => {
                if dyn_at.iter().any(|d| *d) {
                    return Err("a value only known at run time decides what brctl does".into());
                }
                let msg = String::from_utf8_lossy(if a.stderr.is_empty() {
                    &a.stdout
                } else {
                    &a.stderr
                });
                let first = msg.lines().next().unwrap_or("").to_string();
                return Err(if a.code == 0 {
                    "it prints brctl's own text; nothing to translate".into()
                } else {
                    format!("brctl refuses it: {first}")
                });
            }
            brctl::Invocation::Run(c) => c,
        };
        use brctl::Command as B;
        let ip = self.ip();
        let bridge_cmd = |ns: &Ns| match ns {
            Some(n) => format!("bridge -n {}", shell_quote(n)),
            None => "bridge".into(),
        };
        match &cmd {
            B::Show { bridges } => {
                if bridges.is_empty() {
                    self.lines.push(format!("{ip} link show type bridge"));
                } else {
                    for b in bridges {
                        self.lines
                            .push(format!("{ip} link show dev {}", shell_quote(b)));
                    }
                }
                self.lines
                    .push(format!("{} link show", bridge_cmd(&self.ns)));
                return Ok(None);
            }
            B::ShowMacs { bridge } => {
                self.lines.push(format!(
                    "{} fdb show br {}",
                    bridge_cmd(&self.ns),
                    shell_quote(bridge)
                ));
                return Ok(None);
            }
            B::ShowStp { bridge } => {
                self.lines
                    .push(format!("{ip} -d link show dev {}", shell_quote(bridge)));
                self.lines
                    .push(format!("{} -d link show", bridge_cmd(&self.ns)));
                return Ok(None);
            }
            _ => {}
        }
        let Some(ops) = cmd.ops(&self.ns) else {
            return Err("a time beyond what `ip` can carry (2^32 centiseconds)".into());
        };
        match &cmd {
            B::AddBr { bridge } => {
                if let Some(k) = &mut self.known {
                    let name = brctl::kernel_name(bridge);
                    if k.links.contains_key(&name) {
                        return Err(format!("device `{name}` already exists here: brctl fails"));
                    }
                    k.links.insert(
                        brctl::kernel_name(bridge),
                        LinkK {
                            bridge: true,
                            ..Default::default()
                        },
                    );
                }
            }
            B::DelBr { bridge } => {
                let name = brctl::kernel_name(bridge);
                match self.known.as_mut() {
                    Some(k) => match k.links.get(&name) {
                        Some(l) if l.bridge && !l.up => {
                            k.remove_link(&name);
                        }
                        Some(l) if l.bridge => {
                            return Err(format!("bridge `{name}` is still up here: brctl fails"))
                        }
                        _ => return Err(format!("`{name}` is not a bridge here: brctl fails")),
                    },
                    None => {
                        let del = Script::render(&ops);
                        self.lines.push(format!(
                            "if {ip} link show dev {b} type bridge | grep -q . && ! {ip} link show dev {b} up | grep -q .; then {}; else false; fi",
                            del.trim_end(),
                            b = shell_quote(&name)
                        ));
                        return Ok(Some("brctl deletes a bridge only while it is down".into()));
                    }
                }
            }
            B::AddIf { bridge, ifaces } => {
                if let Some(k) = &mut self.known {
                    let br = brctl::kernel_name(bridge);
                    if !k.links.get(&br).is_some_and(|l| l.bridge) {
                        return Err(format!("bridge `{br}` does not exist here: brctl fails"));
                    }
                    for (n, i) in ifaces.iter().enumerate() {
                        let stop = if n == 0 {
                            "brctl fails"
                        } else {
                            "brctl stops there"
                        };
                        match k.links.get_mut(i) {
                            Some(l) if l.bridge => {
                                return Err(format!("`{i}` is a bridge itself here: {stop}"))
                            }
                            Some(l) if l.master.is_some() => {
                                return Err(format!(
                                    "`{i}` is already a port of a bridge here: {stop}"
                                ))
                            }
                            Some(l) => l.master = Some(brctl::kernel_name(bridge)),
                            None => return Err(format!("`{i}` does not exist here: {stop}")),
                        }
                    }
                }
            }
            B::DelIf { bridge, ifaces } => {
                if let Some(k) = &mut self.known {
                    for (n, i) in ifaces.iter().enumerate() {
                        let stop = if n == 0 {
                            "brctl fails"
                        } else {
                            "brctl stops there"
                        };
                        match k.links.get_mut(i) {
                            Some(l) if l.master.as_deref() == Some(&brctl::kernel_name(bridge)) => {
                                l.master = None
                            }
                            _ => {
                                return Err(format!(
                                    "`{i}` is not a port of `{bridge}` here: {stop}"
                                ))
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        if self.known.is_none() {
            match &cmd {
                // brctl refuses a device that is already a port (of any bridge), and `delif`
                // of a device that is not a port of that bridge.
                B::AddIf { bridge, ifaces } => {
                    for i in ifaces {
                        let set = Script::render(&[Op::SetMaster {
                            ns: self.ns.clone(),
                            dev: i.clone(),
                            master: Some(brctl::kernel_name(bridge)),
                        }]);
                        self.lines.push(format!(
                            "{ip} link show dev {} | grep -q ' master ' || {}",
                            shell_quote(i),
                            set.trim_end()
                        ));
                    }
                    return Ok(None);
                }
                B::DelIf { bridge, ifaces } => {
                    for i in ifaces {
                        let set = Script::render(&[Op::SetMaster {
                            ns: self.ns.clone(),
                            dev: i.clone(),
                            master: None,
                        }]);
                        self.lines.push(format!(
                            "{ip} link show dev {} master {} | grep -q . && {}",
                            shell_quote(i),
                            shell_quote(&brctl::kernel_name(bridge)),
                            set.trim_end()
                        ));
                    }
                    return Ok(None);
                }
                _ => {}
            }
        }
        for op in ops {
            self.op(op);
        }
        Ok(None)
    }

    // ---------------------------------------------------------------- route

    fn route(&mut self, args: &[String], dyn_at: &[bool]) -> Res {
        // Only device names may come from expansions.
        for (k, d) in dyn_at.iter().enumerate() {
            let dev_pos =
                (k > 0 && matches!(args[k - 1].as_str(), "dev" | "device")) || k + 1 == args.len();
            if *d && !dev_pos {
                return Err(format!(
                    "the value of `{}` is only known at run time",
                    args[k]
                ));
            }
        }
        match route::parse(args) {
            route::Invocation::Show { family, .. } => {
                let v6 = if family == route::Family::Inet6 {
                    " -6"
                } else {
                    ""
                };
                self.lines.push(format!("{}{v6} route show", self.ip()));
                Ok(None)
            }
            route::Invocation::Refused(m) if m.ends_with("requested") => {
                Err("it prints route's own text; nothing to translate".into())
            }
            route::Invocation::Refused(m) => Err(format!("route refuses it: {m}")),
            route::Invocation::Change(c) => {
                if c.dev.as_deref().is_some_and(|d| d.contains(':')) && c.add && !c.reject {
                    return Err(
                        "a route through an alias takes its source address at run time".into(),
                    );
                }
                match c.op(&self.ns) {
                    Some(op) => {
                        // The ioctl gives a gateway route universe scope only when the gateway
                        // is a unicast address; a local or broadcast one makes it `scope link`.
                        let gw_v4 =
                            c.gw.as_ref()
                                .filter(|_| c.add && !c.reject && c.family == route::Family::Inet);
                        let Some(gw) = gw_v4 else {
                            if let Some(k) = &mut self.known {
                                k.mark_refs(c.dev.as_deref());
                            }
                            self.op(op);
                            return Ok(None);
                        };
                        let linked = |op: &Op| match op {
                            Op::PrependRoute { ns, route } => Op::PrependRoute {
                                ns: ns.clone(),
                                route: crate::op::RouteSpec {
                                    scope: Some("link".into()),
                                    ..route.clone()
                                },
                            },
                            other => other.clone(),
                        };
                        match &mut self.known {
                            Some(k) => {
                                let local = k.addrs.iter().any(|a| {
                                    a.local.to_string() == *gw
                                        || a.brd.is_some_and(|b| b.to_string() == *gw)
                                });
                                k.mark_refs(c.dev.as_deref());
                                self.op(if local { linked(&op) } else { op });
                            }
                            None => {
                                let plain = Script::render(std::slice::from_ref(&op));
                                let scoped = Script::render(&[linked(&op)]);
                                self.lines.push(format!(
                                    "if {} route get {gw} 2>/dev/null | grep -qE '^(local|broadcast) '; then {}; else {}; fi",
                                    self.ip(),
                                    scoped.trim_end(),
                                    plain.trim_end()
                                ));
                            }
                        }
                        Ok(None)
                    }
                    None => Err(format!(
                        "route metrics ({}) are not carried over",
                        c.extras.join(", ")
                    )),
                }
            }
        }
    }

    // ---------------------------------------------------------------- arp

    fn arp(&mut self, args: &[String], dyn_at: &[bool]) -> Res {
        for (k, d) in dyn_at.iter().enumerate() {
            if *d && !(k > 0 && args[k - 1] == "-i") {
                return Err(format!(
                    "the value of `{}` is only known at run time",
                    args[k]
                ));
            }
        }
        let inv = arp::parse(args);
        match &inv {
            arp::Invocation::Show => {
                self.lines.push(format!("{} neigh show", self.ip()));
                Ok(None)
            }
            arp::Invocation::Refused(m) => Err(m.clone()),
            _ => match inv.ops(&self.ns) {
                Some(ops) => {
                    if let Some(k) = &mut self.known {
                        k.mark_refs(None);
                    }
                    for op in ops {
                        self.op(op);
                    }
                    Ok(None)
                }
                None => Err(
                    "without `-i IF` the kernel picks the device by a route lookup at run time"
                        .into(),
                ),
            },
        }
    }
}

fn resolved(h: &Host) -> Option<Ipv4Addr> {
    match h.inet {
        Inet::Addr(a) | Inet::Network(a) => Some(a),
        Inet::Failed(_) => None,
    }
}
