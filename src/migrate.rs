//! `nslab migrate`: rewrite legacy lab scripts (ifconfig, brctl, route, `arp -s`/`-d`) to
//! iproute2, keeping everything else byte for byte.
//!
//! The script is read with a small shell lexer ([`shell`]) that finds each simple command,
//! its words (quotes, expansions) and its span. A legacy command, bare or behind
//! `ip netns exec NS`, goes through the same grammar the drop-in uses, and the resulting
//! [`crate::op::Op`]s are printed by the script backend (`ip -n NS …`). Quirks whose effect
//! depends on state (replacing an address, alias numbering, `delbr` of a bridge that is up…)
//! are decided from what migrate knows statically about namespaces the script creates
//! ([`known`]), else by a run-time guard, else the line is kept and marked with the reason
//! ([`translate`]). `--to-lab` turns a script that builds a lab into a lab file ([`lab`]).

mod brctl;
mod idioms;
mod ifconfig;
pub mod known;
pub mod lab;
mod observe;
mod route_arp;
pub mod runtime;
pub mod shell;
pub mod translate;
mod words;

use translate::Outcome;

/// The comment prefix of every line migrate adds.
pub const MARK: &str = "# nslab migrate:";

/// A legacy command left as it was.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Kept {
    /// 1-based line number in the input.
    pub line: usize,
    /// The command as written.
    pub command: String,
    pub reason: String,
}

/// The result of migrating a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub text: String,
    /// Legacy commands that were rewritten.
    pub translated: usize,
    pub kept: Vec<Kept>,
}

struct Edit {
    start: usize,
    end: usize,
    text: String,
    /// Comment lines to put before the logical line the command starts on.
    line_start: usize,
    comment: Option<String>,
}

/// Is a rendered line one plain command (no pipe, list or group)?
fn plain(line: &str) -> bool {
    !["|", "&&", ";", "{ "].iter().any(|t| {
        line.split_whitespace()
            .any(|w| w == *t || (*t == ";" && w.ends_with(';')))
    })
}

/// Rewrite a script.
pub fn migrate(src: &str) -> Migration {
    let cmds = shell::commands(src);
    let mut known = known::Known {
        wrappers: shell::functions(src)
            .into_iter()
            .filter(|(_, runs)| *runs)
            .map(|(n, _)| n)
            .collect(),
        functions: shell::functions(src).into_iter().map(|(n, _)| n).collect(),
        ..Default::default()
    };
    let mut edits: Vec<Edit> = Vec::new();
    let mut kept = Vec::new();
    let mut translated = 0;
    let mut skip = 0;
    for (i, c) in cmds.iter().enumerate() {
        if skip > 0 {
            skip -= 1;
            continue;
        }
        let line_no = src[..c.start].matches('\n').count() + 1;
        // An output-parsing idiom: the whole pipeline becomes its `ip` form.
        if c.ctx.piped && translate::is_legacy(c) {
            if let Some((text, n)) = idioms::rewrite(&cmds[i..], src) {
                if !c.ctx.compound && !c.ctx.list {
                    translate::translate(c, &mut known, true);
                } else {
                    known.forget_all();
                }
                translated += 1;
                skip = n - 1;
                edits.push(Edit {
                    start: c.start,
                    end: cmds[i + n - 1].end,
                    text,
                    line_start: c.line_start,
                    comment: None,
                });
                continue;
            }
        }
        let uncond = !c.ctx.compound && !c.ctx.list;
        let mut out = translate::translate(c, &mut known, uncond);
        // The same idioms inside `$(…)` and backquotes.
        if matches!(out, Outcome::Keep(_) | Outcome::NotLegacy) {
            let (subs, all) = substitution_idioms(c, src);
            if !subs.is_empty() {
                translated += subs.len();
                if all && translate::translate_plain_is_not_legacy(c) {
                    out = Outcome::NotLegacy;
                }
                edits.extend(subs);
            }
        }
        let original = &src[c.start..c.end];
        match out {
            Outcome::NotLegacy => {}
            Outcome::Keep(reason) => {
                // A reason quotes words of the script, which may span lines (an unclosed
                // quote): one line, or the rest of the `#` comment would become commands.
                let reason = crate::error::escape_controls(&reason).into_owned();
                kept.push(Kept {
                    line: line_no,
                    command: original.to_string(),
                    reason: reason.clone(),
                });
                edits.push(Edit {
                    start: c.start,
                    end: c.start,
                    text: String::new(),
                    line_start: c.line_start,
                    comment: Some(format!("{MARK} kept `{}`: {reason}", one_line(original))),
                });
            }
            Outcome::Lines(lines, note) => {
                translated += 1;
                let redirs = if c.redirs.is_empty() {
                    String::new()
                } else {
                    format!(" {}", c.redirs.join(" "))
                };
                let text = if lines.is_empty() {
                    format!(":{redirs}")
                } else if lines.len() == 1 && (plain(&lines[0]) || !c.ctx.list) && redirs.is_empty()
                {
                    lines[0].clone()
                } else if lines.len() == 1 && plain(&lines[0]) {
                    format!("{}{redirs}", lines[0])
                } else if c.alone && redirs.is_empty() {
                    let indent = &src[c.line_start..c.start];
                    lines.join(&format!("\n{indent}"))
                } else {
                    format!("{{ {}; }}{redirs}", lines.join("; "))
                };
                let comment = match (&note, lines.is_empty()) {
                    (Some(n), true) => Some(format!("{MARK} `{}`: {n}", one_line(original))),
                    (Some(n), false) => Some(format!("{MARK} {n}")),
                    (None, _) => None,
                };
                edits.push(Edit {
                    start: c.start,
                    end: c.end,
                    text,
                    line_start: c.line_start,
                    comment,
                });
            }
        }
    }
    // Assemble: comments go before the logical line, replacements in place.
    let mut out = String::with_capacity(src.len() * 2);
    let mut pos = 0;
    let mut inserts: Vec<(usize, String)> = Vec::new();
    for e in &edits {
        if let Some(c) = &e.comment {
            let indent: String = src[e.line_start..]
                .chars()
                .take_while(|ch| *ch == ' ' || *ch == '\t')
                .collect();
            inserts.push((e.line_start, format!("{indent}{c}\n")));
        }
    }
    let mut points: Vec<(usize, usize, String)> = Vec::new();
    for (at, text) in inserts {
        points.push((at, at, text));
    }
    for e in edits.iter().filter(|e| e.end > e.start) {
        points.push((e.start, e.end, e.text.clone()));
    }
    // Inserts (empty spans) before replacements at the same position; stable otherwise.
    points.sort_by_key(|(s, e, _)| (*s, *e != *s));
    for (s, e, text) in points {
        if s < pos {
            continue;
        }
        out.push_str(&src[pos..s]);
        out.push_str(&text);
        pos = e;
    }
    out.push_str(&src[pos..]);
    // The run-time helpers the translation calls, once, after the `#!` line.
    let helpers = runtime::block(&out);
    if !helpers.is_empty() {
        let at = if out.starts_with("#!") {
            out.find('\n').map(|i| i + 1).unwrap_or(out.len())
        } else {
            0
        };
        out.insert_str(at, &helpers);
    }
    Migration {
        text: out,
        translated,
        kept,
    }
}

/// The edits that rewrite output-parsing idioms inside the command substitutions of `c`'s
/// words, and whether every substitution running a legacy tool was rewritten.
fn substitution_idioms(c: &shell::Command, src: &str) -> (Vec<Edit>, bool) {
    let mut edits = Vec::new();
    let mut all = true;
    for w in &c.words {
        let mut from = w.start;
        for p in &w.parts {
            let shell::Part::Dyn(d) = p else { continue };
            let Some(at) = src[from..w.end].find(d.as_str()).map(|k| from + k) else {
                continue;
            };
            from = at + d.len();
            let inner = if let Some(x) = d.strip_prefix("$(").filter(|x| !x.starts_with('(')) {
                x.strip_suffix(')').unwrap_or(x)
            } else if let Some(x) = d.strip_prefix('`') {
                x.strip_suffix('`').unwrap_or(x)
            } else {
                continue;
            };
            let cmds = shell::commands(inner);
            if !cmds.iter().any(translate::is_legacy) {
                continue;
            }
            let head = cmds.iter().position(translate::is_legacy).unwrap_or(0);
            match idioms::rewrite(&cmds[head..], inner) {
                Some((text, n))
                    if cmds[head..].len() >= n
                        && !cmds[head + n..].iter().any(translate::is_legacy) =>
                {
                    let new_inner = format!(
                        "{}{text}{}",
                        &inner[..cmds[head].start],
                        &inner[cmds[head + n - 1].end..]
                    );
                    edits.push(Edit {
                        start: at,
                        end: at + d.len(),
                        text: format!("$({new_inner})"),
                        line_start: c.line_start,
                        comment: None,
                    });
                }
                _ => all = false,
            }
        }
    }
    (edits, all)
}

fn one_line(s: &str) -> String {
    s.replace("\\\n", " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A unified diff (3 lines of context) between two texts, or "" when they are equal.
pub fn unified_diff(a: &str, b: &str, name_a: &str, name_b: &str) -> String {
    let x: Vec<&str> = a.split_inclusive('\n').collect();
    let y: Vec<&str> = b.split_inclusive('\n').collect();
    let (n, m) = (x.len(), y.len());
    // LCS table, from the end.
    let mut t = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[i][j] = if x[i] == y[j] {
                t[i + 1][j + 1] + 1
            } else {
                t[i + 1][j].max(t[i][j + 1])
            };
        }
    }
    // The edit script: (' ' | '-' | '+', line, index in a, index in b).
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && x[i] == y[j] {
            ops.push((' ', x[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || t[i + 1][j] >= t[i][j + 1]) {
            ops.push(('-', x[i]));
            i += 1;
        } else {
            ops.push(('+', y[j]));
            j += 1;
        }
    }
    if ops.iter().all(|(c, _)| *c == ' ') {
        return String::new();
    }
    let mut out = format!("--- {name_a}\n+++ {name_b}\n");
    const CTX: usize = 3;
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k].0 != ' ').collect();
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(CTX);
        let mut end = changed[k];
        while k < changed.len() && changed[k] <= end + 2 * CTX + 1 {
            end = changed[k];
            k += 1;
        }
        let end = (end + CTX + 1).min(ops.len());
        // Line numbers at the start of the hunk.
        let a_start = ops[..start].iter().filter(|(c, _)| *c != '+').count();
        let b_start = ops[..start].iter().filter(|(c, _)| *c != '-').count();
        let a_len = ops[start..end].iter().filter(|(c, _)| *c != '+').count();
        let b_len = ops[start..end].iter().filter(|(c, _)| *c != '-').count();
        let num = |s: usize, l: usize| if l == 0 { s } else { s + 1 };
        out.push_str(&format!(
            "@@ -{},{a_len} +{},{b_len} @@\n",
            num(a_start, a_len),
            num(b_start, b_len)
        ));
        for (c, line) in &ops[start..end] {
            out.push(*c);
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_everything_but_legacy_commands() {
        let src = "#!/bin/sh\n# comment\nset -e\n\necho hi  # x\nip netns add a\nip netns exec a ip link add v0 type veth peer name v1\nip netns exec a ifconfig v0 10.0.0.1/24 up\n";
        let m = migrate(src);
        assert_eq!(
            m.text,
            "#!/bin/sh\n# comment\nset -e\n\necho hi  # x\nip netns add a\nip netns exec a ip link add v0 type veth peer name v1\nip -n a addr add 10.0.0.1/24 broadcast 10.0.0.255 dev v0\nip -n a link set dev v0 up\n"
        );
        assert!(m.kept.is_empty());
    }

    #[test]
    fn a_reason_quoting_a_word_over_several_lines_stays_one_comment_line() {
        // The unclosed quote makes one word of the rest of the script, quoted in the reason.
        let src = "ifconfig eth0 \"$X\nrm -rf /tmp/x\n\"\n";
        let m = migrate(src);
        assert_eq!(m.kept.len(), 1);
        assert!(!m.kept[0].reason.contains('\n'), "{:?}", m.kept[0].reason);
        let comment: Vec<&str> = m.text.lines().filter(|l| l.starts_with(MARK)).collect();
        assert_eq!(comment.len(), 1, "{}", m.text);
        // The kept command is shown folded onto the comment line.
        assert!(comment[0].contains("\"$X rm -rf /tmp/x \""), "{}", comment[0]);
        assert_eq!(
            m.text.lines().count(),
            src.lines().count() + 1,
            "{}",
            m.text
        );
    }

    #[test]
    fn an_ip_option_missing_its_value_ends_the_words() {
        // Found by the fuzz target: `ip -netns` at the end of a command sliced past the words.
        let m = migrate("ip -netns\nifconfig eth0 up\n");
        assert_eq!(m.text, "ip -netns\nip link set dev eth0 up\n");
    }

    #[test]
    fn unknown_state_gets_a_guard() {
        let m = migrate("ifconfig eth0 10.1.2.3\n");
        assert_eq!(
            m.text,
            "ip -4 addr show dev eth0 label eth0 | grep -q 'inet 10.1.2.3/' || { ip -o -4 addr show dev eth0 label eth0 | awk '{sub(\"/.*\", \"\", $4); print $4; exit}' | while read -r a; do ip addr del \"$a\" dev eth0 label eth0; done; ip addr add 10.1.2.3/8 broadcast 10.255.255.255 dev eth0; }\nip link set dev eth0 up\n"
        );
    }

    #[test]
    fn variables_stay_variables() {
        let m = migrate("for i in 1 2; do ip netns exec \"$NS\" ifconfig veth$i up; done\n");
        assert_eq!(
            m.text,
            "for i in 1 2; do ip -n \"$NS\" link set dev \"veth$i\" up; done\n"
        );
    }

    #[test]
    fn untranslatable_lines_are_marked() {
        let m = migrate("  ifconfig eth0 add 10.0.0.5 && echo ok\n");
        assert_eq!(m.kept.len(), 1);
        assert!(m
            .text
            .starts_with("  # nslab migrate: kept `ifconfig eth0 add 10.0.0.5`: "));
        assert!(m
            .text
            .ends_with("\n  ifconfig eth0 add 10.0.0.5 && echo ok\n"));
    }

    #[test]
    fn multi_line_results_in_lists_are_grouped() {
        let m = migrate("true && ifconfig eth0 10.0.0.1 netmask 255.255.255.0\n");
        assert!(
            m.text.starts_with("true && { ip -4 addr show"),
            "{}",
            m.text
        );
    }

    #[test]
    fn a_reassigned_namespace_variable_is_forgotten() {
        let src = "N=a\nip netns add $N\nip netns exec $N ip link add v0 type veth peer name v1\nN=b\nip netns exec $N ifconfig v0 10.0.0.1\n";
        let m = migrate(src);
        assert!(m.text.contains("grep -q"), "{}", m.text);
    }

    #[test]
    fn a_quoted_variable_glued_to_text_keeps_its_boundary() {
        let m = migrate("ifconfig \"$VM\"_eth0 up\nifconfig $VM'_x' down\n");
        assert_eq!(
            m.text,
            "ip link set dev \"${VM}_eth0\" up\nip link set dev \"${VM}_x\" down\n"
        );
    }

    #[test]
    fn lines_after_a_case_block_are_translated() {
        let m =
            migrate("case $1 in\n  a) echo a ;;\nesac\nif true; then\n  ifconfig eth0 up\nfi\n");
        assert!(m.text.contains("  ip link set dev eth0 up\n"), "{}", m.text);
        assert_eq!(m.translated, 1);
    }

    #[test]
    fn sudo_stays_where_it_was_and_iproute2_lines_are_not_flagged() {
        let m = migrate("sudo ifconfig eth0 mtu 1400\nsudo ip netns exec a sudo ip route add 10.0.0.0/8 dev v0\nip netns exec a sudo brctl addbr br0\n");
        assert_eq!(
            m.text,
            "sudo ip link set dev eth0 mtu 1400\nsudo ip netns exec a sudo ip route add 10.0.0.0/8 dev v0\nsudo ip -n a link add name br0 type bridge\n"
        );
        assert!(m.kept.is_empty());
    }

    #[test]
    fn output_read_by_the_script_is_kept_and_reported() {
        let src = "IP=$(ifconfig eth1 | grep 'inet addr:' | cut -d: -f2 | awk '{print $1}')\nifconfig -a | grep -q eth0\nX=`brctl show`\n";
        let m = migrate(src);
        // The first two are idioms with an `ip` form; a bare `brctl show` read back is not.
        let lines: Vec<usize> = m.kept.iter().map(|k| k.line).collect();
        assert_eq!(lines, vec![3], "{:?}", m.kept);
        assert!(
            m.text
                .starts_with("IP=$(ip -o -4 addr show dev eth1 label eth1 | awk"),
            "{}",
            m.text
        );
    }

    #[test]
    fn commands_given_to_wrapper_functions_are_translated_and_eval_is_reported() {
        let src = "run() { echo \"+ $*\"; \"$@\"; }\nlog() { echo \"$@\"; }\nrun ifconfig eth0 mtu 1400\nrun brctl addif br0 eth1\nlog ifconfig x\neval \"ifconfig eth0 up\"\n";
        let m = migrate(src);
        assert!(
            m.text.contains("\nrun ip link set dev eth0 mtu 1400\n"),
            "{}",
            m.text
        );
        assert!(
            m.text.contains("\nrun eval 'if ! ip link show dev eth1"),
            "{}",
            m.text
        );
        assert!(m.text.contains("\nlog ifconfig x\n"), "{}", m.text);
        assert_eq!(m.kept.len(), 1, "{:?}", m.kept);
        assert_eq!(m.kept[0].line, 6);
    }

    #[test]
    fn probes_and_commands_given_to_unknown_functions_are_reported_never_silent() {
        let src = "command -v ifconfig >/dev/null || exit 1\nwhich brctl\nrun_cmd ifconfig eth0 up\necho ifconfig\nip link set dev v0 up\n";
        let m = migrate(src);
        let lines: Vec<usize> = m.kept.iter().map(|k| k.line).collect();
        assert_eq!(lines, vec![1, 2, 3], "{:?}", m.kept);
        assert!(m.kept[0].reason.contains("installed"), "{:?}", m.kept);
        assert!(m.kept[2].reason.contains("`run_cmd`"), "{:?}", m.kept);
    }

    #[test]
    fn values_in_variables_call_the_run_time_helpers_defined_once_on_top() {
        let m = migrate("#!/bin/sh\nifconfig $IF $IP netmask $M up\nroute add -net $NET netmask $M gw $GW\nifconfig eth1 $IP/24\n");
        assert!(m.kept.is_empty(), "{:?}", m.kept);
        assert!(
            m.text
                .starts_with("#!/bin/sh\n# nslab migrate: run-time helpers"),
            "{}",
            m.text
        );
        assert_eq!(m.text.matches("\nnslab_ifconfig_inet() {").count(), 1);
        assert!(
            m.text
                .contains("\nnslab_ifconfig_inet '' \"$IF\" \"$IF\" \"$IP\" netmask \"$M\"\n"),
            "{}",
            m.text
        );
        assert!(
            m.text
                .contains("$(nslab_route_dst -net \"$NET\" \"$M\") via \"$GW\""),
            "{}",
            m.text
        );
        let k = migrate("route add $OPTS\n");
        assert!(
            k.kept[0].reason.contains("options in a variable"),
            "{:?}",
            k.kept
        );
    }

    #[test]
    fn bsd_syntax_is_reported_as_bsd() {
        let m = migrate("ifconfig bridge0 create\nifconfig bridge0 addm em0\n");
        assert_eq!(m.kept.len(), 2);
        assert!(
            m.kept.iter().all(|k| k.reason.contains("BSD")),
            "{:?}",
            m.kept
        );
    }

    #[test]
    fn addif_of_a_port_fails_like_brctl() {
        let m = migrate("brctl addif br0 eth1\n");
        assert_eq!(
            m.text,
            "if ! ip link show dev eth1 | grep -q ' master '; then ip link set dev eth1 master br0; else false; fi\n"
        );
    }

    #[test]
    fn arp_without_a_device_finds_it_by_route_at_run_time() {
        let m = migrate("ip netns exec a arp -s 10.0.0.2 02:00:00:00:00:02\n");
        assert_eq!(
            m.text,
            "ip -n a neigh replace 10.0.0.2 lladdr 02:00:00:00:00:02 nud permanent dev \"$(ip -n a route get 10.0.0.2 | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p;q')\"\n"
        );
    }

    #[test]
    fn diff_shows_changed_lines() {
        let d = unified_diff("a\nb\nc\n", "a\nB\nc\n", "x", "y");
        assert_eq!(d, "--- x\n+++ y\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
        assert_eq!(unified_diff("a\n", "a\n", "x", "y"), "");
    }
}
