//! nslab: Linux network-namespace labs built with the real iproute2, and drop-in
//! `ifconfig`/`brctl` personalities. See DESIGN in the README for the architecture:
//! front ends produce [`op::Op`]s, backends apply them and read [`model::Snapshot`]s.

pub mod backend;
pub mod cli;
pub mod compat;
pub mod error;
pub mod lab;
pub mod legacy;
pub mod migrate;
pub mod model;
pub mod netns;
pub mod op;
pub mod progress;
pub mod run;
pub mod shape;
pub mod shellword;
pub mod show;

use std::ffi::OsString;
use std::path::Path;

/// A personality: what nslab acts as, chosen by the name it was called by.
type Personality = fn(Vec<OsString>) -> error::Result<()>;

/// The one dispatch table: basename of argv[0] → personality. `nslab NAME ARGS…` also
/// selects NAME when it is listed here (other than `nslab`).
const PERSONALITIES: &[(&str, Personality)] = &[
    ("nslab", cli::main),
    ("ifconfig", legacy::ifconfig::main),
    ("brctl", legacy::brctl::main),
    ("netstat", legacy::netstat::main),
    ("route", legacy::route::main),
    ("arp", legacy::arp::main),
];

fn personality(name: &str) -> Option<Personality> {
    PERSONALITIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
}

/// Run nslab with these arguments and return the process exit code.
pub fn dispatch(mut args: Vec<OsString>) -> i32 {
    netns::process_setup();
    let called = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut name = if personality(&called).is_some() {
        called
    } else {
        "nslab".to_string()
    };
    if name == "nslab" {
        let first = args.get(1).map(|a| a.to_string_lossy().into_owned());
        if let Some(first) = first.filter(|f| f != "nslab" && personality(f).is_some()) {
            args.remove(0);
            name = first;
        }
    }
    let run = personality(&name).expect("a listed personality");
    match run(args) {
        Ok(()) => 0,
        Err(error::Error::Legacy { code }) => code,
        Err(e) => {
            // One line, whatever a message carries (a name, a command's stderr): control
            // characters are shown escaped, never sent to the terminal.
            let text = e.to_string();
            let text = match text.trim() {
                "" => "failed (no message)".to_string(),
                t => error::escape_controls(t).into_owned(),
            };
            eprintln!("nslab: {text}");
            e.exit_code()
        }
    }
}
