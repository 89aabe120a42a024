//! Legacy tools. Drop-in personalities of `ifconfig`, `route`, `arp`, `netstat` (net-tools
//! 2.10) and `brctl` (bridge-utils 1.7.1), each with its argument grammar (argv → typed
//! command → Ops, pure and reused by `migrate`) and its renderer (byte-exact output). What the kernel, glibc and iproute2 decide
//! on all these tools' behalf is in [`linux`], once.

pub mod arp;
pub mod brctl;
pub mod dialect;
pub mod ifconfig;
pub mod jc;
pub mod link;
pub mod linux;
pub mod names;
pub mod netstat;
pub mod route;

use crate::backend::{Backend, Iproute2};
use crate::error::{Error, Result};
use std::ffi::OsString;
use std::io::Write;

/// What `route` and `arp` run against: the backend, the name files, and the two streams.
pub struct Ctx<'a> {
    pub backend: &'a mut dyn Backend,
    pub names: names::Names,
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
}

/// The name a personality's messages use — argv[0] as called, or `tool` under
/// `nslab TOOL …` (glibc's messages then say `route`, not `nslab`) — and its arguments.
pub fn called(args: &[OsString], tool: &str) -> (String, Vec<String>) {
    let prog = match args.first().map(|a| a.to_string_lossy().into_owned()) {
        Some(p) if !p.ends_with("nslab") => p,
        _ => tool.to_string(),
    };
    let rest = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    (prog, rest)
}

/// A command line's words split on white space (the tests' way of writing argv).
#[cfg(test)]
pub(crate) fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_string).collect()
}

/// A legacy tool's exit status as nslab's result: 0 is success, any other code is returned
/// by `main` as the tool's own.
pub fn exit(code: i32) -> Result<()> {
    match code {
        0 => Ok(()),
        code => Err(Error::Legacy { code }),
    }
}

/// A failed write to the tool's output.
pub fn stdio(e: std::io::Error) -> Error {
    Error::io("<stdout>", e)
}

/// Run a `route`/`arp`-style personality on the real system: `run(ctx, dialect, prog,
/// args)` with the iproute2 backend, the system's name files, locked stdout/stderr and the
/// dialect of this call.
pub fn main_with(
    args: Vec<OsString>,
    tool: &str,
    run: fn(&mut Ctx<'_>, dialect::Dialect, &str, &[String]) -> Result<i32>,
) -> Result<()> {
    let argv0 = crate::netns::process_args().into_iter().next();
    let dialect = dialect::Dialect::current(&argv0.unwrap_or_default())?;
    let (prog, args) = called(&args, tool);
    let mut backend = Iproute2;
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    let mut ctx = Ctx {
        backend: &mut backend,
        names: names::Names::system(),
        out: &mut out,
        err: &mut err,
    };
    let code = run(&mut ctx, dialect, &prog, &args)?;
    ctx.out.flush().map_err(stdio)?;
    exit(code)
}

/// Why a kernel call of a legacy tool failed, as the tool prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// An errno text, printed after the name of the call: `SIOCADDRT: Network is unreachable`.
    Errno(String),
    /// A line of its own: another call's failure (`SIOGIFINDEX: No such device`), or nslab's
    /// own message when `ip` failed in a way no errno stands for (`nslab route: …`).
    Line(String),
}

impl Refusal {
    /// The line the tool prints for this refusal of `call`.
    pub fn line(&self, call: &str) -> String {
        match self {
            Refusal::Errno(text) => format!("{call}: {text}\n"),
            Refusal::Line(line) => format!("{line}\n"),
        }
    }

    /// Whether this is the errno text `text`.
    pub fn is_errno(&self, text: &str) -> bool {
        matches!(self, Refusal::Errno(t) if t == text)
    }
}
