//! What `ip -batch` reads back. iproute2 reads a batch a line at a time (`getcmdline` in
//! its lib/utils.c) and cuts it into words (`makeargs`), and both steps treat some bytes
//! specially, so a word written into a batch line is not always the argument `ip` gets:
//!
//! - `#` anywhere ends the line (a comment), inside quotes too: it cannot be written at all;
//! - a `\` right before the newline joins the next line to this one;
//! - a newline ends the line, and blanks (space, tab, CR) separate words;
//! - a word that *starts* with `'` or `"` runs to the next same quote, which is dropped,
//!   blanks included; a quote elsewhere in a word is an ordinary byte;
//! - there is no escape character.
//!
//! [`word`] writes a word so that it is read back as itself (quoted when it must be), or
//! says it cannot be; [`line`] does it for a whole command. An Op whose line cannot be
//! written runs as an `ip` process of its own with the words as argv (see `iproute2.rs`),
//! and lab files refuse such names before anything changes.

use std::borrow::Cow;

/// The blanks `makeargs` splits words at (its `ws`).
const BLANKS: &[char] = &[' ', '\t', '\r', '\n'];

/// `w` as a batch line must hold it to be read back as `w`, or `None` if no batch line can
/// carry it: it contains `#`, a newline or a NUL, or it needs quoting and contains both kinds
/// of quote.
pub fn word(w: &str) -> Option<Cow<'_, str>> {
    if w.contains(['#', '\n', '\0']) {
        return None;
    }
    let needs_quotes = w.is_empty()
        || w.contains(BLANKS)
        || w.starts_with(['\'', '"'])
        // Only a `\` before the newline joins lines, but the last word of a line is the only
        // place that happens; quoting every trailing `\` keeps the rule local to the word.
        || w.ends_with('\\');
    if !needs_quotes {
        return Some(Cow::Borrowed(w));
    }
    ['\'', '"']
        .into_iter()
        .find(|q| !w.contains(*q))
        .map(|q| Cow::Owned(format!("{q}{w}{q}")))
}

/// Why [`word`] cannot carry `w`, for a one-line refusal.
pub fn why_not(w: &str) -> &'static str {
    if w.contains('#') {
        "`#` starts a comment in an `ip -batch` line"
    } else if w.contains(['\n', '\0']) {
        "a newline or NUL cannot be part of an `ip -batch` line"
    } else {
        "a word that `ip -batch` must quote cannot contain both `'` and `\"`"
    }
}

/// A command's words as one batch line that `ip -batch` reads back as exactly these words,
/// or the first word that cannot be carried.
pub fn line<S: AsRef<str>>(words: &[S]) -> Result<String, String> {
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        let w = w.as_ref();
        let shown = word(w).ok_or_else(|| w.to_string())?;
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&shown);
    }
    Ok(out)
}

/// Read a batch line back into words the way `ip -batch` does (`#` comment, then `makeargs`;
/// continuation lines are not joined: a line of [`line`] never ends in a bare `\`). For tests
/// and for checking [`line`] against the reader it imitates.
pub fn read_back(text: &str) -> Vec<String> {
    let text = text.split('#').next().unwrap_or("");
    let mut words = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(BLANKS);
        let Some(first) = rest.chars().next() else {
            break;
        };
        if first == '\'' || first == '"' {
            let body = &rest[1..];
            match body.find(first) {
                Some(end) => {
                    words.push(body[..end].to_string());
                    rest = &body[end + 1..];
                }
                // `ip` stops with "Unterminated quoted string".
                None => {
                    words.push(format!("<unterminated {body}>"));
                    break;
                }
            }
        } else {
            let end = rest.find(BLANKS).unwrap_or(rest.len());
            words.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_are_left_alone() {
        assert_eq!(
            line(&["link", "set", "dev", "veth0", "up"]).unwrap(),
            "link set dev veth0 up"
        );
    }

    #[test]
    fn leading_quotes_and_trailing_backslashes_are_quoted() {
        assert_eq!(word("'q'").unwrap(), "\"'q'\"");
        assert_eq!(word("\"q").unwrap(), "'\"q'");
        assert_eq!(word("q\\").unwrap(), "'q\\'");
        assert_eq!(word("a'b").unwrap(), "a'b");
        assert_eq!(word("a b").unwrap(), "'a b'");
    }

    #[test]
    fn what_no_line_can_carry_is_refused() {
        assert!(word("zq5h#x").is_none());
        assert!(word("a\nb").is_none());
        assert!(word("'a\"").is_none());
        assert_eq!(line(&["netns", "add", "a#b"]).unwrap_err(), "a#b");
    }

    #[test]
    fn every_carried_word_reads_back_as_itself() {
        let samples = [
            "q\\", "'q'", "\"q\"", "'", "\"", "\\", "a'b", "a\"b", "x\\y", "\t", "a\rb", "",
            "\u{1}", "é", "'a b'", "-", "--", "\\\\",
        ];
        for w in samples {
            let l = line(&["link", "set", "dev", w, "name", w]).unwrap();
            assert_eq!(read_back(&l), ["link", "set", "dev", w, "name", w], "{l:?}");
        }
    }
}
