//! Just enough of the POSIX shell grammar to find the simple commands of a script, with their
//! words and byte spans, so that a command can be replaced and everything else kept byte for
//! byte. Quotes, `\` escapes and continuations, parameter/command/arithmetic expansions,
//! comments, here-documents, operators (`;` `&` `&&` `||` `|` `(` `)` `;;`), redirections and
//! the reserved words of compound commands are recognised. A word is a list of parts: literal
//! text (quotes removed) or an expansion, kept as its source text.

/// A piece of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Literal characters (quotes and escapes removed).
    Lit(String),
    /// An expansion (`$X`, `${X}`, `$(…)`, `` `…` ``, `$((…))`), as written.
    Dyn(String),
}

/// A shell word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub start: usize,
    pub end: usize,
    pub parts: Vec<Part>,
}

impl Word {
    /// The value, when the word has no expansion.
    pub fn lit(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(l) => s.push_str(l),
                Part::Dyn(_) => return None,
            }
        }
        Some(s)
    }

    pub fn is_dyn(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Dyn(_)))
    }

    /// A key that names the same value for the same text: literal parts as they are,
    /// expansions normalised (`${X}` → `$X`, quotes dropped).
    pub fn key(&self) -> String {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(l) => s.push_str(l),
                Part::Dyn(d) => {
                    let plain = d
                        .strip_prefix("${")
                        .and_then(|x| x.strip_suffix('}'))
                        .filter(|x| x.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
                    match plain {
                        Some(name) => {
                            s.push('$');
                            s.push_str(name);
                        }
                        None => s.push_str(d),
                    }
                }
            }
        }
        s
    }
}

/// How a simple command is connected to what follows or precedes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// Inside a compound command (loop, `if`, `case`, function body, subshell, group).
    pub compound: bool,
    /// Part of a pipeline or an `&&`/`||` list, or run in the background.
    pub list: bool,
    /// Its output goes into a pipe (`CMD | …`).
    pub piped: bool,
}

/// A simple command: its words (reserved words that open compounds are not included), its
/// redirections, and its span in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub words: Vec<Word>,
    /// Redirection operators with their targets, as source text.
    pub redirs: Vec<String>,
    pub start: usize,
    pub end: usize,
    /// Byte offset of the first physical line of the logical line the command starts on.
    pub line_start: usize,
    pub ctx: Context,
    /// A here-document or something the lexer did not follow: never rewrite.
    pub opaque: bool,
    /// Nothing but blanks before it on its line and nothing but blanks or a comment after.
    pub alone: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(Word),
    /// Operator text and span.
    Op(String, usize, usize),
    /// A redirection: full source text (operator and target) and span.
    Redir(String, usize, usize, bool),
    Newline(usize),
}

/// Move the literal collected so far into `parts`.
fn flush(lit: &mut String, parts: &mut Vec<Part>) {
    if !lit.is_empty() {
        parts.push(Part::Lit(std::mem::take(lit)));
    }
}

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
    /// Pending here-document delimiters (delimiter, strip tabs).
    heredocs: Vec<(String, bool)>,
}

impl<'a> Lexer<'a> {
    fn peek(&self, k: usize) -> Option<u8> {
        self.b.get(self.i + k).copied()
    }

    /// Skip an expansion starting at `$` or `` ` `` and return its end.
    fn expansion_end(&self, mut i: usize) -> usize {
        let b = self.b;
        if b[i] == b'`' {
            i += 1;
            while i < b.len() && b[i] != b'`' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            return (i + 1).min(b.len());
        }
        // b[i] == '$'
        match b.get(i + 1) {
            Some(b'{') => self.balanced(i + 1, b'{', b'}'),
            Some(b'(') => self.balanced(i + 1, b'(', b')'),
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                j
            }
            Some(c) if c.is_ascii_digit() || b"@*#?$!-".contains(c) => i + 2,
            _ => i + 1,
        }
    }

    /// From an opening bracket at `i`, the index after its matching close (quotes skipped).
    fn balanced(&self, mut i: usize, open: u8, close: u8) -> usize {
        let b = self.b;
        let mut depth = 0;
        while i < b.len() {
            match b[i] {
                c if c == open => depth += 1,
                c if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                b'\\' => i += 1,
                b'\'' => {
                    i += 1;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                }
                b'"' => {
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        if b[i] == b'\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        b.len()
    }

    /// At `$` or a backquote: an expansion becomes a `Part::Dyn` (a lone `$` is literal);
    /// any other character is literal. The same inside double quotes and outside.
    fn expansion_or_char(&mut self, lit: &mut String, parts: &mut Vec<Part>) {
        if matches!(self.b[self.i], b'$' | b'`') {
            let end = self.expansion_end(self.i);
            if end == self.i + 1 {
                lit.push('$');
                self.i += 1;
            } else {
                flush(lit, parts);
                parts.push(Part::Dyn(self.src[self.i..end].to_string()));
                self.i = end;
            }
        } else {
            let ch = self.src[self.i..].chars().next().expect("char");
            lit.push(ch);
            self.i += ch.len_utf8();
        }
    }

    fn word(&mut self) -> Word {
        let start = self.i;
        let mut parts: Vec<Part> = Vec::new();
        let mut lit = String::new();
        let b = self.b;
        while self.i < b.len() {
            let c = b[self.i];
            match c {
                b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>' => break,
                b'\\' => {
                    match b.get(self.i + 1) {
                        Some(b'\n') => {}
                        Some(_) => {
                            let ch = self.src[self.i + 1..].chars().next().expect("char");
                            lit.push(ch);
                            self.i += ch.len_utf8() - 1;
                        }
                        None => lit.push('\\'),
                    }
                    // A `\` ending the text ends the word there.
                    self.i = (self.i + 2).min(b.len());
                }
                b'\'' => {
                    let end = self.src[self.i + 1..]
                        .find('\'')
                        .map(|e| self.i + 1 + e)
                        .unwrap_or(b.len());
                    lit.push_str(&self.src[self.i + 1..end]);
                    // An empty '' still makes a word.
                    if end == self.i + 1 {
                        parts.push(Part::Lit(String::new()));
                    }
                    self.i = (end + 1).min(b.len());
                }
                b'"' => {
                    self.i += 1;
                    let mut any = false;
                    while self.i < b.len() && b[self.i] != b'"' {
                        any = true;
                        match b[self.i] {
                            b'\\'
                                if matches!(
                                    b.get(self.i + 1),
                                    Some(b'$' | b'`' | b'"' | b'\\' | b'\n')
                                ) =>
                            {
                                if b[self.i + 1] != b'\n' {
                                    lit.push(b[self.i + 1] as char);
                                }
                                self.i += 2;
                            }
                            _ => self.expansion_or_char(&mut lit, &mut parts),
                        }
                    }
                    if !any {
                        parts.push(Part::Lit(String::new()));
                    }
                    self.i = (self.i + 1).min(b.len());
                }
                _ => self.expansion_or_char(&mut lit, &mut parts),
            }
        }
        flush(&mut lit, &mut parts);
        // Merge adjacent literals (from '' "" splits).
        let mut merged: Vec<Part> = Vec::new();
        for p in parts {
            match (merged.last_mut(), p) {
                (Some(Part::Lit(a)), Part::Lit(b)) => a.push_str(&b),
                (_, p) => merged.push(p),
            }
        }
        Word {
            start,
            end: self.i,
            parts: merged,
        }
    }

    /// Skip the bodies of pending here-documents; `self.i` is just after a newline.
    fn skip_heredocs(&mut self) {
        for (delim, strip) in std::mem::take(&mut self.heredocs) {
            loop {
                if self.i >= self.b.len() {
                    return;
                }
                let end = self.src[self.i..]
                    .find('\n')
                    .map(|e| self.i + e)
                    .unwrap_or(self.b.len());
                let line = &self.src[self.i..end];
                let line = if strip {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                self.i = (end + 1).min(self.b.len());
                if line == delim {
                    break;
                }
            }
        }
    }

    fn tokens(&mut self) -> Vec<Tok> {
        let mut out = Vec::new();
        let b = self.b;
        while self.i < b.len() {
            let c = b[self.i];
            match c {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'\\' if self.peek(1) == Some(b'\n') => self.i += 2,
                b'\n' => {
                    out.push(Tok::Newline(self.i));
                    self.i += 1;
                    self.skip_heredocs();
                }
                b'#' => {
                    while self.i < b.len() && b[self.i] != b'\n' {
                        self.i += 1;
                    }
                }
                b';' | b'&' | b'|' | b'(' | b')' => {
                    // Bytes, not a str slice: the byte after the operator may begin a
                    // multi-byte character (`;é`).
                    let two = &b[self.i..(self.i + 2).min(b.len())];
                    let op = match two {
                        b";;" | b"&&" | b"||" | b"|&" => &self.src[self.i..self.i + 2],
                        _ if c == b'&' && self.peek(1) == Some(b'>') => {
                            let s = self.i;
                            self.i += 2;
                            if self.peek(0) == Some(b'>') {
                                self.i += 1;
                            }
                            self.redir_target(&mut out, s, false);
                            continue;
                        }
                        _ => &self.src[self.i..self.i + 1],
                    };
                    out.push(Tok::Op(op.to_string(), self.i, self.i + op.len()));
                    self.i += op.len();
                }
                b'<' | b'>' => {
                    let s = self.i;
                    let rest = &self.src[self.i..];
                    let (len, heredoc, strip) = if rest.starts_with("<<<") {
                        (3, false, false)
                    } else if rest.starts_with("<<-") {
                        (3, true, true)
                    } else if rest.starts_with("<<") {
                        (2, true, false)
                    } else if rest.starts_with(">>")
                        || rest.starts_with(">&")
                        || rest.starts_with("<&")
                        || rest.starts_with(">|")
                        || rest.starts_with("<>")
                    {
                        (2, false, false)
                    } else {
                        (1, false, false)
                    };
                    self.i += len;
                    if heredoc {
                        while matches!(self.peek(0), Some(b' ' | b'\t')) {
                            self.i += 1;
                        }
                        let w = self.word();
                        let delim: String = w
                            .parts
                            .iter()
                            .map(|p| match p {
                                Part::Lit(l) => l.clone(),
                                Part::Dyn(d) => d.clone(),
                            })
                            .collect();
                        self.heredocs.push((delim, strip));
                        out.push(Tok::Redir(self.src[s..self.i].to_string(), s, self.i, true));
                        continue;
                    }
                    self.redir_target(&mut out, s, false);
                }
                b'0'..=b'9' => {
                    // `2>file`: a number right before a redirection operator.
                    let mut j = self.i;
                    while j < b.len() && b[j].is_ascii_digit() {
                        j += 1;
                    }
                    if matches!(b.get(j), Some(b'<' | b'>')) {
                        let s = self.i;
                        self.i = j;
                        let rest = &self.src[self.i..];
                        let len = if rest.starts_with(">>")
                            || rest.starts_with(">&")
                            || rest.starts_with("<&")
                        {
                            2
                        } else {
                            1
                        };
                        self.i += len;
                        self.redir_target(&mut out, s, false);
                    } else {
                        out.push(Tok::Word(self.word()));
                    }
                }
                _ => out.push(Tok::Word(self.word())),
            }
        }
        out
    }

    fn redir_target(&mut self, out: &mut Vec<Tok>, s: usize, heredoc: bool) {
        while matches!(self.peek(0), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        if self.i < self.b.len() && !b"\n;&|()<>".contains(&self.b[self.i]) {
            self.word();
        }
        out.push(Tok::Redir(
            self.src[s..self.i].to_string(),
            s,
            self.i,
            heredoc,
        ));
    }
}

const OPENERS: &[&str] = &["if", "while", "until", "for", "case", "select"];
const CLOSERS: &[&str] = &["fi", "done", "esac"];
const PREFIXES: &[&str] = &["then", "else", "elif", "do", "!", "time"];

/// The simple commands of a script, in order.
pub fn commands(src: &str) -> Vec<Command> {
    let mut lx = Lexer {
        src,
        b: src.as_bytes(),
        i: 0,
        heredocs: Vec::new(),
    };
    let toks = lx.tokens();
    let mut out: Vec<Command> = Vec::new();
    let mut depth: usize = 0;
    let mut in_case = false;
    let mut case_pattern = false;
    let mut cur: Option<Command> = None;
    // Whether the previous separator joined commands into a list (`&&`, `||`, `|`).
    let mut after_list_op = false;
    // Skipping a `for`/`case`/`select` header until the end of the line or `;`.
    let mut skip_header = false;
    let line_start_of = |pos: usize| -> usize {
        // Walk back over continuation lines.
        let mut ls = src[..pos].rfind('\n').map(|p| p + 1).unwrap_or(0);
        while ls >= 2 && src.as_bytes()[ls - 2] == b'\\' {
            ls = src[..ls - 1].rfind('\n').map(|p| p + 1).unwrap_or(0);
        }
        ls
    };
    let finish =
        |cur: &mut Option<Command>, out: &mut Vec<Command>, list_after: bool, piped: bool| {
            if let Some(mut c) = cur.take() {
                if list_after {
                    c.ctx.list = true;
                }
                c.ctx.piped |= piped;
                if !c.words.is_empty() {
                    out.push(c);
                }
            }
        };
    let mut k = 0;
    while k < toks.len() {
        let t = &toks[k];
        match t {
            Tok::Newline(_) => {
                finish(&mut cur, &mut out, false, false);
                skip_header = false;
                after_list_op = false;
            }
            Tok::Op(op, _, _) if case_pattern && op != ")" => {}
            Tok::Op(op, _, _) => {
                let joins = matches!(op.as_str(), "&&" | "||" | "|" | "|&" | "&");
                match op.as_str() {
                    "(" => {
                        // A function definition `name ( )` or a subshell.
                        if let Some(c) = &cur {
                            if c.words.len() == 1
                                && matches!(toks.get(k + 1), Some(Tok::Op(o, _, _)) if o == ")")
                            {
                                cur = None;
                                k += 2;
                                continue;
                            }
                        }
                        if !case_pattern {
                            depth += 1;
                        }
                    }
                    ")" => {
                        if case_pattern {
                            case_pattern = false;
                        } else {
                            depth = depth.saturating_sub(1);
                        }
                    }
                    ";;" if in_case => case_pattern = true,
                    _ => {}
                }
                finish(&mut cur, &mut out, joins, matches!(op.as_str(), "|" | "|&"));
                if op == ";" {
                    skip_header = false;
                }
                after_list_op = joins;
            }
            Tok::Redir(text, s, e, heredoc) => {
                if let Some(c) = &mut cur {
                    c.redirs.push(text.clone());
                    c.end = *e;
                    c.opaque |= *heredoc;
                } else if !skip_header {
                    // A redirection before the command name: keep the command opaque.
                    cur = Some(Command {
                        words: vec![],
                        redirs: vec![text.clone()],
                        start: *s,
                        end: *e,
                        line_start: line_start_of(*s),
                        ctx: Context {
                            compound: depth > 0,
                            list: after_list_op,
                            piped: false,
                        },
                        opaque: true,
                        alone: false,
                    });
                }
            }
            Tok::Word(w) => {
                if skip_header {
                    k += 1;
                    continue;
                }
                if case_pattern {
                    // `esac` after the last `;;` closes the case (it is no pattern).
                    if w.lit().as_deref() == Some("esac") {
                        depth = depth.saturating_sub(1);
                        in_case = false;
                        case_pattern = false;
                    }
                    k += 1;
                    continue;
                }
                let text = w.lit();
                let at_start = cur.as_ref().is_none_or(|c| c.words.is_empty());
                if at_start {
                    if let Some(t) = text.as_deref() {
                        if OPENERS.contains(&t) {
                            depth += 1;
                            if t == "case" {
                                in_case = true;
                                // `case WORD in`: skip to after `in`.
                                let mut j = k + 1;
                                while j < toks.len() {
                                    if let Tok::Word(x) = &toks[j] {
                                        if x.lit().as_deref() == Some("in") {
                                            break;
                                        }
                                    }
                                    j += 1;
                                }
                                k = j + 1;
                                case_pattern = true;
                                continue;
                            }
                            if t == "for" || t == "select" {
                                skip_header = true;
                            }
                            k += 1;
                            continue;
                        }
                        if CLOSERS.contains(&t) {
                            depth = depth.saturating_sub(1);
                            if t == "esac" {
                                in_case = false;
                                case_pattern = false;
                            }
                            k += 1;
                            continue;
                        }
                        if t == "{" {
                            depth += 1;
                            k += 1;
                            continue;
                        }
                        if t == "}" {
                            depth = depth.saturating_sub(1);
                            k += 1;
                            continue;
                        }
                        if PREFIXES.contains(&t) {
                            k += 1;
                            continue;
                        }
                        if t == "function" {
                            // `function name [()] {`
                            k += 2;
                            continue;
                        }
                    }
                }
                let c = cur.get_or_insert_with(|| Command {
                    words: vec![],
                    redirs: vec![],
                    start: w.start,
                    end: w.end,
                    line_start: line_start_of(w.start),
                    ctx: Context {
                        compound: depth > 0,
                        list: after_list_op,
                        piped: false,
                    },
                    opaque: false,
                    alone: false,
                });
                if c.words.is_empty() && c.redirs.is_empty() {
                    c.start = w.start;
                    c.line_start = line_start_of(w.start);
                }
                c.end = w.end;
                c.words.push(w.clone());
            }
        }
        k += 1;
    }
    finish(&mut cur, &mut out, false, false);
    for c in &mut out {
        let before = &src[c.line_start..c.start];
        let line_end = src[c.end..]
            .find('\n')
            .map(|e| c.end + e)
            .unwrap_or(src.len());
        let after = src[c.end..line_end].trim_start();
        c.alone = before.trim().is_empty()
            && (after.is_empty() || after.starts_with('#'))
            && !src[c.start..c.end].contains('\n');
        // A command in a compound on one line (`do cmd; done`) is not alone.
        if c.redirs.iter().any(|r| r.starts_with("<<")) {
            c.opaque = true;
        }
    }
    out
}

/// The functions a script defines, each with whether it runs its arguments as a command (a
/// command of the body is `"$@"` or `$*`, possibly after `eval`, `exec`, `command`, `sudo`,
/// `nohup` or `time`).
pub fn functions(src: &str) -> Vec<(String, bool)> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    for (at, line) in src.split_inclusive('\n').scan(0, |pos, l| {
        let at = *pos;
        *pos += l.len();
        Some((at, l))
    }) {
        let t = line.trim_start();
        let t2 = t
            .strip_prefix("function ")
            .map(str::trim_start)
            .unwrap_or(t);
        let name: String = t2
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        if name.is_empty() {
            continue;
        }
        let rest = t2[name.len()..].trim_start();
        let is_def = rest.starts_with("()")
            || rest.starts_with("( )")
            || (t2.len() != t.len() && rest.starts_with('{'));
        if !is_def {
            continue;
        }
        let Some(open) = src[at..].find('{').map(|k| at + k) else {
            continue;
        };
        let lx = Lexer {
            src,
            b,
            i: open,
            heredocs: Vec::new(),
        };
        let end = lx.balanced(open, b'{', b'}');
        let body = &src[(open + 1).min(end)..end.saturating_sub(1).max(open + 1)];
        let runs_args = commands(body).iter().any(|c| {
            let mut ws = c.words.iter().peekable();
            while let Some(w) = ws.peek() {
                match w.lit().as_deref() {
                    Some("eval" | "exec" | "command" | "sudo" | "nohup" | "time") => {
                        ws.next();
                    }
                    _ => break,
                }
            }
            ws.next().is_some_and(
                |w| matches!(w.parts.as_slice(), [Part::Dyn(d)] if d == "$@" || d == "$*"),
            )
        });
        if !out.iter().any(|(n, _)| *n == name) {
            out.push((name, runs_args));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(src: &str) -> Vec<Vec<String>> {
        commands(src)
            .iter()
            .map(|c| c.words.iter().map(|w| w.key()).collect())
            .collect()
    }

    #[test]
    fn an_operator_before_a_multibyte_character_splits_there() {
        // Found by the fuzz target: `;é` sliced the text inside `é`.
        assert_eq!(
            words("echo a;é\nx|é"),
            vec![vec!["echo", "a"], vec!["é"], vec!["x"], vec!["é"]]
        );
        // And a `\` ending the text.
        assert_eq!(words("if true; then \\"), vec![vec!["true"], vec!["\\"]]);
    }

    #[test]
    fn splits_lists_loops_and_functions() {
        let src = "set -e\nfor i in 1 2; do ifconfig veth$i up; done\nf() {\n  brctl addbr \"$B\" && echo ok\n}\n# c\nifconfig eth0 \\\n  up | cat\n";
        assert_eq!(
            words(src),
            vec![
                vec!["set", "-e"],
                vec!["ifconfig", "veth$i", "up"],
                vec!["brctl", "addbr", "$B"],
                vec!["echo", "ok"],
                vec!["ifconfig", "eth0", "up"],
                vec!["cat"],
            ]
        );
        let cs = commands(src);
        assert!(cs[1].ctx.compound && !cs[0].ctx.compound);
        assert!(cs[2].ctx.list && cs[3].ctx.list);
        assert!(cs[4].ctx.list && !cs[4].ctx.compound);
        assert!(cs[0].alone && !cs[1].alone);
    }

    #[test]
    fn quotes_and_expansions_make_parts() {
        let cs = commands("ip netns exec \"${NS}\" ifconfig 'a b' x$(echo 1)y\n");
        let w = &cs[0].words;
        assert_eq!(w[3].parts, vec![Part::Dyn("${NS}".into())]);
        assert_eq!(w[3].key(), "$NS");
        assert_eq!(w[5].lit().as_deref(), Some("a b"));
        assert_eq!(
            w[6].parts,
            vec![
                Part::Lit("x".into()),
                Part::Dyn("$(echo 1)".into()),
                Part::Lit("y".into())
            ]
        );
    }

    #[test]
    fn here_documents_and_case_are_skipped() {
        let src =
            "cat <<EOF\nifconfig eth0 up\nEOF\ncase $x in\n  a|b) ifconfig eth1 up ;;\nesac\n";
        let w = words(src);
        assert_eq!(w, vec![vec!["cat"], vec!["ifconfig", "eth1", "up"]]);
        // Lines after the `esac` are commands again, at the top level.
        let after = commands("case $x in\n  a) true ;;\nesac\nifconfig eth2 up\n");
        assert_eq!(after.len(), 2);
        assert!(!after[1].ctx.compound);
        assert!(commands(src)[0].opaque);
    }
}
