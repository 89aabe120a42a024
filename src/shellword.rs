//! How a word is written for a POSIX shell: the one quoting rule behind every command nslab
//! shows as text — the script backend (`--dry-run`, `migrate`), `run.rs`'s `-v` log and its
//! rendering of a command. A leaf: it depends on nothing, so neither the vocabulary (`op`)
//! nor the spawn site (`run`) has to reach into a backend for it.

/// Quote a word for a POSIX shell, only when needed.
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%+,".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}
