//! Shell words as the grammars see them: expansions become placeholders (`@N@`) on the
//! way in and come back, quoted, on the way out.

use super::shell::{Part, Word};

/// Placeholders for words with expansions: the grammar sees `@N@`, the output gets the
/// expansion back.
#[derive(Debug, Default)]
pub(super) struct Names {
    subs: Vec<(String, String)>,
}

impl Names {
    pub(super) fn value(&mut self, w: &Word) -> String {
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
    pub(super) fn plain(&self, s: &str) -> String {
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
    pub(super) fn render(&self, line: &str) -> Option<String> {
        const M: char = '\u{1}';
        let mut marked = line.to_string();
        // Longest placeholders first so `@1@` does not eat part of `@10@`.
        let mut subs = self.subs.clone();
        subs.sort_by_key(|(ph, _)| std::cmp::Reverse(ph.len()));
        for (ph, src) in &subs {
            // `"$VM"_eth0`: a bare `$NAME` glued to name characters keeps its boundary.
            let braced = format!("${{{}}}", &src[1..]);
            let bare = src.len() > 1
                && src.starts_with('$')
                && src[1..]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            let mut out = String::new();
            let mut rest = marked.as_str();
            while let Some(at) = rest.find(ph.as_str()) {
                out.push_str(&rest[..at]);
                rest = &rest[at + ph.len()..];
                let glued = rest
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
                let text = if bare && glued { &braced } else { src };
                out.push_str(&format!("{M}{text}{M}"));
            }
            out.push_str(rest);
            marked = out;
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

pub(super) fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// The namespace a command runs in: `ip netns exec NS CMD…` → (NS word, CMD…).
pub(super) fn split_netns(words: &[Word]) -> (Option<&Word>, &[Word]) {
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
