//! Drop-in `ifconfig` (net-tools 2.10, or the classic 1.60 output: see
//! [`crate::legacy::dialect`]). Entry point: leading options ([`parse`]), then either
//! display (`show.rs` reads one `ip -j -s -s addr show` and `/proc/net/if_inet6`,
//! `render.rs` prints as a pure function of them, `json.rs` for `--json`) or configuration
//! (`set.rs`: grammar → Ops, applied left to right; entered through `set::configure`).
//! The offline tests use [`offline`]; the recordings they compare with are in
//! `compat/ifconfig/`.

pub mod json;
pub mod render;
pub mod set;
pub mod show;
pub mod usage;

use super::stdio;
use crate::backend::{Backend, Iproute2};
use crate::error::Result;
pub use crate::legacy::dialect::Dialect;
use std::ffi::OsString;
use std::io::Write;

/// What a personality run writes to and reads through; lets tests capture output.
pub struct Ctx<'a> {
    pub backend: &'a mut dyn Backend,
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// `-v` was given.
    pub verbose: bool,
    /// The output dialect of the display.
    pub dialect: Dialect,
}

/// A display request: the leading options and at most one interface name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShowArgs {
    /// `-a`: down interfaces too.
    pub all: bool,
    /// `-s`: the short table.
    pub short: bool,
    /// `-v`: accepted; display output does not change.
    pub verbose: bool,
    /// `--json` (nslab extension): jc's `ifconfig` schema.
    pub json: bool,
    /// The interface (or alias) to show, already cut to 15 bytes.
    pub iface: Option<String>,
}

/// What one `ifconfig` command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// `-V`, `-version`, `--version`.
    Version,
    /// `-h`, `-?`, `-help`, `--help`.
    Help,
    /// Any other leading `-…` word.
    BadOption(String),
    Show(ShowArgs),
    /// `IFACE WORD…`: handed to `set::configure`.
    Configure {
        iface: String,
        words: Vec<String>,
        verbose: bool,
    },
}

/// What a run printed and its exit status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Parse the arguments after argv[0] the way net-tools does: options while a word starts
/// with `-` (the first terminal one wins: `-V`, `--help` or an unknown option), then an
/// optional interface, then configuration words.
pub fn parse(args: &[String]) -> Invocation {
    let mut req = ShowArgs::default();
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') {
        match args[i].as_str() {
            "-a" => req.all = true,
            "-s" => req.short = true,
            "-v" => req.verbose = true,
            "--json" => req.json = true,
            "-V" | "-version" | "--version" => return Invocation::Version,
            "-?" | "-h" | "-help" | "--help" => return Invocation::Help,
            other => return Invocation::BadOption(other.to_string()),
        }
        i += 1;
    }
    match args.get(i) {
        None => Invocation::Show(req),
        Some(name) if i + 1 == args.len() => Invocation::Show(ShowArgs {
            iface: Some(crate::legacy::linux::ifname(name)),
            ..req
        }),
        Some(name) => Invocation::Configure {
            iface: crate::legacy::linux::ifname(name),
            words: args[i + 1..].to_vec(),
            verbose: req.verbose,
        },
    }
}

/// The output of the invocations that need no kernel state (`None` for the others).
pub fn fixed(inv: &Invocation, d: Dialect) -> Option<Outcome> {
    match (inv, d) {
        (Invocation::Version, Dialect::Modern) => Some(Outcome {
            stdout: "net-tools 2.10\n".into(),
            ..Outcome::default()
        }),
        (Invocation::Version, Dialect::Classic) => Some(Outcome {
            stderr: "net-tools 1.60\nifconfig 1.42 (2001-04-13)\n".into(),
            ..Outcome::default()
        }),
        (Invocation::Help, Dialect::Modern) => Some(Outcome {
            stdout: usage::HELP_STDOUT.into(),
            stderr: usage::TYPE_LISTS.into(),
            code: 0,
        }),
        (Invocation::Help, Dialect::Classic) => Some(Outcome {
            stderr: usage::CLASSIC_USAGE.into(),
            code: 4,
            ..Outcome::default()
        }),
        (Invocation::BadOption(o), _) => Some(Outcome {
            stderr: format!(
                "ifconfig: option `{o}' not recognised.\nifconfig: `--help' gives usage information.\n"
            ),
            code: 1,
            ..Outcome::default()
        }),
        (Invocation::Show(_) | Invocation::Configure { .. }, _) => None,
    }
}

/// The pure display path used by the offline tests: arguments, a snapshot and the text of
/// `/proc/net/if_inet6` in, what `ifconfig` prints out in dialect `d`. `None` for
/// configuration commands.
pub fn offline(
    args: &[String],
    snap: &crate::model::Snapshot,
    if_inet6: &str,
    d: Dialect,
) -> Option<Outcome> {
    let inv = parse(args);
    if let Some(o) = fixed(&inv, d) {
        return Some(o);
    }
    match inv {
        Invocation::Show(req) => Some(show::display(&req, snap, if_inet6, d)),
        _ => None,
    }
}

/// Run one invocation against a backend; returns the exit code.
pub fn run(ctx: &mut Ctx<'_>, inv: &Invocation) -> Result<i32> {
    if let Some(o) = fixed(inv, ctx.dialect) {
        ctx.out.write_all(o.stdout.as_bytes()).map_err(stdio)?;
        ctx.out.flush().map_err(stdio)?;
        ctx.err.write_all(o.stderr.as_bytes()).map_err(stdio)?;
        return Ok(o.code);
    }
    match inv {
        Invocation::Show(req) => show::show(ctx, req),
        Invocation::Configure {
            iface,
            words,
            verbose,
        } => {
            ctx.verbose = *verbose;
            Ok(set::configure(ctx, iface, words))
        }
        _ => unreachable!("fixed() answered the others"),
    }
}

/// The `ifconfig` personality.
pub fn main(args: Vec<OsString>) -> Result<()> {
    let (_, args) = super::called(&args, "ifconfig");
    let argv0 = crate::netns::process_args().into_iter().next();
    let dialect = Dialect::current(&argv0.unwrap_or_default())?;
    let inv = parse(&args);
    let mut backend = Iproute2;
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    let mut ctx = Ctx {
        backend: &mut backend,
        out: &mut out,
        err: &mut err,
        verbose: false,
        dialect,
    };
    let code = run(&mut ctx, &inv)?;
    ctx.out.flush().map_err(stdio)?;
    super::exit(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(words: &[&str]) -> Invocation {
        parse(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn options_stop_at_the_first_non_option() {
        assert_eq!(
            p(&["-a", "-s", "eth0"]),
            Invocation::Show(ShowArgs {
                all: true,
                short: true,
                iface: Some("eth0".into()),
                ..Default::default()
            })
        );
        assert_eq!(
            p(&["eth0", "-a"]),
            Invocation::Configure {
                iface: "eth0".into(),
                words: vec!["-a".into()],
                verbose: false
            }
        );
        assert_eq!(p(&["-a", "-x", "-V"]), Invocation::BadOption("-x".into()));
        assert_eq!(p(&["-a", "-V", "-x"]), Invocation::Version);
        assert_eq!(p(&["-?"]), Invocation::Help);
    }

    #[test]
    fn names_are_cut_to_fifteen_bytes() {
        assert_eq!(
            p(&["hoveth0_this_is_long"]),
            Invocation::Show(ShowArgs {
                iface: Some("hoveth0_this_is".into()),
                ..Default::default()
            })
        );
    }
}
