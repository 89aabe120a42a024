//! One simple command → what replaces it. Legacy commands (`ifconfig`, `brctl`, `route`,
//! `arp`, bare or behind `ip netns exec NS`) are parsed by the one grammar each tool has in
//! nslab (`legacy::ifconfig::set::grammar`, `legacy::brctl::grammar`, `legacy::route`,
//! `legacy::arp`); the resulting actions become [`Op`]s, printed by the script backend. Where
//! the legacy effect depends on state, the statically [`Known`] picture decides, or a run-time
//! guard made of `ip` commands does, or the line is kept with the reason.
//!
//! The rest of migrate is split by concern: [`super::words`] (shell words and the
//! placeholders for expansions), [`super::observe`] (the picture of namespaces from `ip`
//! lines), one file per tool ([`super::ifconfig`], [`super::brctl`], [`super::route_arp`]).

use super::known::Known;
use super::observe::observe;
use super::shell::{Command, Part, Word};
use super::words::{basename, split_netns, Names};
use crate::backend::Script;
use crate::model::Snapshot;
use crate::op::{Ns, Op};
use crate::run::shell_quote;

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

/// Translate one simple command. `uncond`: it runs exactly once, in order (not in a
/// compound, not in a list), so the static picture may be used and updated.
pub fn translate(cmd: &Command, known: &mut Known, uncond: bool) -> Outcome {
    let out = translate_plain(cmd, known, uncond);
    match (&out, substituted_legacy(cmd)) {
        (Outcome::NotLegacy, Some(tool)) => Outcome::Keep(format!(
            "`{tool}` runs inside a command substitution: the script reads net-tools' output, which `ip` prints differently"
        )),
        _ => out,
    }
}

const LEGACY: &[&str] = &["ifconfig", "brctl", "route", "arp"];

/// The words after `sudo [OPTIONS]` (or `doas`), and the wrapper with its options.
fn strip_sudo(words: &[Word]) -> Option<(String, &[Word])> {
    let first = words.first()?.lit()?;
    if !matches!(basename(&first), "sudo" | "doas") {
        return None;
    }
    let mut i = 1;
    while let Some(w) = words.get(i).and_then(Word::lit) {
        if !w.starts_with('-') {
            break;
        }
        // Options with a value.
        i += if matches!(w.as_str(), "-u" | "-g" | "-C" | "-p" | "-h") {
            2
        } else {
            1
        };
    }
    if i >= words.len() {
        return None;
    }
    let prefix: Vec<String> = words[..i]
        .iter()
        .map(|w| w.lit().unwrap_or_default())
        .collect();
    Some((prefix.join(" "), &words[i..]))
}

/// A command behind `sudo` (before or after `ip netns exec NS`): the same command without
/// it, and the `sudo …` words to put back in front of its translation.
fn behind_sudo(cmd: &Command) -> Option<(Command, String)> {
    if let Some((sudo, rest)) = strip_sudo(&cmd.words) {
        let mut inner = cmd.clone();
        inner.words = rest.to_vec();
        return Some((inner, sudo));
    }
    let (Some(_), words) = split_netns(&cmd.words) else {
        return None;
    };
    let (sudo, rest) = strip_sudo(words)?;
    let mut inner = cmd.clone();
    let head = cmd.words.len() - words.len();
    inner.words = cmd.words[..head].iter().chain(rest).cloned().collect();
    Some((inner, sudo))
}

/// A word as shell text: literal parts quoted, expansions as written.
fn source_text(w: &Word) -> String {
    w.parts
        .iter()
        .map(|p| match p {
            Part::Lit(l) => shell_quote(l),
            Part::Dyn(d) => format!("\"{d}\""),
        })
        .collect()
}

/// Whether the command runs a legacy tool itself (bare, behind `sudo` or `ip netns exec`).
pub fn is_legacy(cmd: &Command) -> bool {
    let c = behind_sudo(cmd).map(|(c, _)| c);
    let c = c.as_ref().unwrap_or(cmd);
    let (_, words) = split_netns(&c.words);
    words
        .first()
        .and_then(Word::lit)
        .is_some_and(|t| LEGACY.contains(&basename(&t)))
}

/// Whether the command, its substitutions aside, is no legacy command.
pub fn translate_plain_is_not_legacy(cmd: &Command) -> bool {
    !is_legacy(cmd)
}

/// A legacy tool run inside a `$(…)` or backquote substitution of the command's words.
fn substituted_legacy(cmd: &Command) -> Option<String> {
    for w in &cmd.words {
        for p in &w.parts {
            let Part::Dyn(d) = p else { continue };
            let inner = if let Some(x) = d.strip_prefix("$(") {
                if x.starts_with('(') {
                    continue;
                }
                x.strip_suffix(')').unwrap_or(x)
            } else if let Some(x) = d.strip_prefix('`') {
                x.strip_suffix('`').unwrap_or(x)
            } else {
                continue;
            };
            for c in super::shell::commands(inner) {
                let c = behind_sudo(&c).map(|(c, _)| c).unwrap_or(c);
                let (_, words) = split_netns(&c.words);
                let tool = words.first().and_then(Word::lit);
                if let Some(t) = tool.filter(|t| LEGACY.contains(&basename(t))) {
                    return Some(basename(&t).to_string());
                }
            }
        }
    }
    None
}

fn translate_plain(cmd: &Command, known: &mut Known, uncond: bool) -> Outcome {
    if let Some((inner, sudo)) = behind_sudo(cmd) {
        return match translate_plain(&inner, known, uncond) {
            Outcome::Lines(lines, note) => {
                let mut out = Vec::new();
                for l in lines {
                    if l == "false" || l.starts_with("(exit ") {
                        out.push(l);
                    } else if super::plain(&l) && (l.starts_with("ip ") || l.starts_with("bridge "))
                    {
                        out.push(format!("{sudo} {l}"));
                    } else {
                        return Outcome::Keep(format!(
                            "it runs behind `{sudo}`, and its translation needs a run-time test that cannot"
                        ));
                    }
                }
                Outcome::Lines(out, note)
            }
            other => other,
        };
    }
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
        // The wrapped command: the first word that is a legacy tool, unless an iproute2
        // command comes first (`timeout 5 ip route add …` is not `route`).
        let inner = words[1..]
            .iter()
            .map(|w| w.lit().map(|x| basename(&x).to_string()))
            .take_while(|x| !matches!(x.as_deref(), Some("ip" | "bridge" | "tc")))
            .flatten()
            .find(|x| LEGACY.contains(&x.as_str()));
        if let Some(inner) = inner {
            if w == "command" && matches!(words[1].lit().as_deref(), Some("-v" | "-V")) {
                return Outcome::Keep(format!(
                    "it checks that `{inner}` is installed; the migrated script does not need it"
                ));
            }
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
    // A function of the script that runs its arguments: the wrapped command is translated
    // and stays its argument (`retry 3 route add …` → `retry 3 ip route prepend …`).
    if let Some(f) = tool.as_deref().filter(|t| known.wrappers.contains(*t)) {
        let f = f.to_string();
        let at = (1..words.len()).find(|&k| {
            words[k]
                .lit()
                .is_some_and(|x| LEGACY.contains(&basename(&x)) || x == "sudo")
                || split_netns(&words[k..]).0.is_some()
        });
        if let Some(j) = at {
            let mut inner = cmd.clone();
            let head = cmd.words.len() - words.len();
            inner.words = cmd.words[..head]
                .iter()
                .chain(&words[j..])
                .cloned()
                .collect();
            let prefix: Vec<String> = words[..j].iter().map(source_text).collect();
            let prefix = prefix.join(" ");
            return match translate_plain(&inner, known, uncond) {
                Outcome::Lines(lines, note) => {
                    let line = match lines.as_slice() {
                        [] => ":".to_string(),
                        [one] if super::plain(one) => one.clone(),
                        many => format!("eval {}", shell_quote(&many.join("; "))),
                    };
                    Outcome::Lines(vec![format!("{prefix} {line}")], note)
                }
                Outcome::NotLegacy => Outcome::NotLegacy,
                Outcome::Keep(r) => Outcome::Keep(format!("the command `{f}` runs: {r}")),
            };
        }
    }
    // Commands run from a string or by another program: reported, not rewritten.
    let runner = (0..words.len()).find(|&k| {
        let w = words[k].lit();
        let next = words.get(k + 1).and_then(Word::lit);
        matches!(
            w.as_deref(),
            Some("eval" | "xargs" | "watch" | "parallel" | "find")
        ) || (matches!(w.as_deref(), Some("sh" | "bash" | "dash" | "su"))
            && next.as_deref() == Some("-c"))
    });
    if let Some(r) = runner {
        let t = words[r].lit().unwrap_or_default();
        {
            let literal = |w: &Word| -> String {
                w.parts
                    .iter()
                    .map(|p| match p {
                        Part::Lit(l) => l.as_str(),
                        Part::Dyn(_) => " ",
                    })
                    .collect()
            };
            let hit = words[r + 1..].iter().map(literal).find_map(|x| {
                x.split(|c: char| c.is_whitespace() || ";|&()'\"`".contains(c))
                    .map(|y| basename(y).to_string())
                    .find(|y| LEGACY.contains(&y.as_str()))
            });
            if let Some(inner) = hit {
                known.forget_all();
                return Outcome::Keep(format!(
                    "`{inner}` runs inside `{t}`, which migrate cannot rewrite: translate the command it runs by hand"
                ));
            }
        }
    }
    // A legacy tool's name as an argument: a probe for net-tools, or a command given to a
    // program or function migrate cannot see run it. Reported, never silent.
    if let Some(t) = tool.as_deref() {
        let named = words[1..]
            .iter()
            .filter_map(Word::lit)
            .find(|x| LEGACY.contains(&basename(x)));
        if let Some(inner) = named {
            const PROBES: &[&str] = &["which", "type", "hash", "command", "whereis"];
            const DATA: &[&str] = &[
                "echo", "printf", "grep", "egrep", "fgrep", "man", "apt", "apt-get", "yum", "dnf",
                "zypper", "apk", "pacman", "dpkg", "rpm", "test", "[", "[[", "local", "export",
                "declare", "read", "log", "info", "warn", "die", "error", "debug", "logger", "cat",
                "sed", "awk", "cut", "tr", "msg", "say", "note", "ip", "bridge", "tc",
            ];
            let basename_only = words
                .iter()
                .skip(1)
                .filter_map(Word::lit)
                .all(|x| x.starts_with('-') || LEGACY.contains(&basename(&x)));
            if PROBES.contains(&t) && basename_only {
                return Outcome::Keep(format!(
                    "it checks that `{}` is installed; the migrated script does not need it",
                    basename(&inner)
                ));
            }
            if !PROBES.contains(&t)
                && !DATA.contains(&t)
                && !known.functions.contains(t)
                && !t.contains('=')
            {
                known.forget_all();
                return Outcome::Keep(format!(
                    "`{}` is an argument of `{t}`, which migrate cannot see run it (a function from another file?)",
                    basename(&inner)
                ));
            }
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
        routed: key.as_ref().is_none_or(|k| known.routed.contains(k)),
        after_kept_ifconfig: known.kept_ifconfig.contains(&key),
    };
    if let (Some(k), "route" | "arp") = (&key, tool.as_str()) {
        known.routed.insert(k.clone());
    }
    let result = match tool.as_str() {
        "ifconfig" => tx.ifconfig(&args, &dyn_at),
        "brctl" => tx.brctl(&args, &dyn_at),
        "route" => tx.route(&args, &dyn_at),
        _ => tx.arp(&args, &dyn_at),
    };
    // A legacy command that certainly fails at some point becomes the lines for what it did
    // before, then `false` (its exit status); the picture keeps those changes.
    let fails = matches!(&result, Err(r) if certain_failure(r));
    if tool == "ifconfig" && result.is_err() && !fails {
        known.kept_ifconfig.insert(key.clone());
    }
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
    if cmd.ctx.piped
        && !lines.is_empty()
        && lines
            .iter()
            .all(|l| l.contains(" show") && !l.contains("grep -q"))
    {
        return Outcome::Keep(format!(
            "its output goes into a pipe that reads net-tools' format; `{tool}`'s iproute2 equivalent prints another"
        ));
    }
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
/// Translation of one command: the lines, and the picture of its namespace when known.
pub(super) struct Tx {
    pub(super) ns: Ns,
    pub(super) known: Option<Snapshot>,
    pub(super) lines: Vec<String>,
    /// Something changed that the picture cannot follow: forget the namespace after.
    pub(super) changed_unknown: bool,
    /// Routes or neighbours may use the namespace's devices (see [`Known::routed`]).
    pub(super) routed: bool,
    /// An ifconfig line was kept in this namespace before (see [`Known::kept_ifconfig`]).
    pub(super) after_kept_ifconfig: bool,
}

/// A translation's note, or the reason the line is kept.
pub(super) type Res = Result<Option<String>, String>;

impl Tx {
    pub(super) fn ip(&self) -> String {
        match &self.ns {
            Some(n) => format!("ip -n {}", shell_quote(n)),
            None => "ip".into(),
        }
    }

    pub(super) fn op(&mut self, op: Op) {
        self.lines
            .push(Script::render(&[op]).trim_end().to_string());
    }
}
