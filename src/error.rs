//! The one error type of nslab. Variants carry the context a user needs to act on a failure
//! (the argv and stderr of a failed command, the path, the namespace, the lab-file key), and
//! `exit_code()` maps them to process exit codes, including the legacy tools' codes.

use std::fmt;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How a spawned program ended badly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Code(c) => write!(f, "exit status {c}"),
            Exit::Signal(s) => write!(f, "killed by signal {s}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A binary nslab needs is not installed.
    #[error("`{binary}` not found: install {package}")]
    MissingBinary { binary: String, package: String },

    /// A spawned command failed. `line` is the failing line of a batch, when known.
    #[error("{}{}: {status}{}", shown_line(.line), .argv.join(" "), shown_stderr(.stderr))]
    Command {
        argv: Vec<String>,
        status: Exit,
        stderr: String,
        line: Option<String>,
    },

    /// A spawned command could not be started at all.
    #[error("cannot run {}: {source}", .argv.join(" "))]
    Spawn {
        argv: Vec<String>,
        source: std::io::Error,
    },

    /// A lab file (or a state file) is invalid. `place` is the file, and the key or line.
    #[error("{place}: {message}")]
    Lab { place: String, message: String },

    /// A bad name, address or argument given on the command line.
    #[error("{0}")]
    Usage(String),

    /// An I/O error on a path.
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },

    /// Output of a command that nslab could not understand.
    #[error("cannot parse the output of `{what}`: {message}")]
    Parse { what: String, message: String },

    /// A namespace operation failed (open, setns, unshare, mount).
    #[error("{what}: {message}")]
    Netns { what: String, message: String },

    /// `nslab exec` could not run the command. `code` is what `ip netns exec` exits with in
    /// the same case: 255 when entering the namespace fails, 1 when the exec fails.
    #[error("{message}")]
    Exec { message: String, code: i32 },

    /// Reachability expectations failed; the report was already printed.
    #[error("{0}")]
    Check(String),

    /// A lab service did not start or did not become ready.
    #[error("{message}")]
    Service { message: String },

    /// A legacy personality's failure: the message was already printed the legacy way,
    /// only the exit code remains.
    #[error("")]
    Legacy { code: i32 },

    /// A machine of a lab spread over machines failed, or the connection to it did.
    #[error("machine `{machine}`: {message}")]
    Machine { machine: String, message: String },

    /// nslab could not be started on a machine (no ssh here, no nslab there), or refused
    /// there before any change (its exit 2): nothing changed on that machine.
    #[error("machine `{machine}`: {message}")]
    NotStarted { machine: String, message: String },

    /// A primary error plus what went wrong while undoing it.
    #[error("{error}; undo also failed: {undo}")]
    Rollback { error: Box<Error>, undo: Box<Error> },
}

fn shown_line(line: &Option<String>) -> String {
    match line {
        Some(l) => format!("`{l}` failed in "),
        None => String::new(),
    }
}

fn shown_stderr(stderr: &str) -> String {
    let s = stderr.trim();
    if s.is_empty() {
        String::new()
    } else {
        format!(": {}", s.lines().collect::<Vec<_>>().join(" / "))
    }
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Lab { .. } | Error::Usage(_) => 2,
            Error::Legacy { code } | Error::Exec { code, .. } => *code,
            Error::Rollback { error, .. } => error.exit_code(),
            _ => 1,
        }
    }

    /// Shorthand for a lab-file error.
    pub fn lab(place: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Lab {
            place: place.into(),
            message: message.into(),
        }
    }

    /// Shorthand for an I/O error on a path.
    pub fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Shorthand for a namespace error.
    pub fn netns(what: impl Into<String>, message: impl fmt::Display) -> Self {
        Error::Netns {
            what: what.into(),
            message: message.to_string(),
        }
    }
}

/// `text` with every control character escaped (`\n`, `\u{1b}`), so that a name or value
/// echoed in a message can neither split the line nor send escape sequences to a terminal.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Attach a path to an I/O result: `fs::read(p).ctx_path(p)?`.
pub trait IoContext<T> {
    fn ctx_path(self, path: impl AsRef<std::path::Path>) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn ctx_path(self, path: impl AsRef<std::path::Path>) -> Result<T> {
        self.map_err(|e| Error::io(path.as_ref().display().to_string(), e))
    }
}
