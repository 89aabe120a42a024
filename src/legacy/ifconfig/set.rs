//! `ifconfig [-v] IFACE [AF] option|address …`: the configuration half of the drop-in
//! net-tools 2.10 `ifconfig`.
//!
//! Two parts, kept apart so `nslab migrate` can reuse the first:
//! * [`grammar`]: a pure function from words to typed [`grammar::Action`]s
//!   ([`grammar::parse`]), with every parsing quirk of the real tool;
//! * `exec`: performs the actions left to right against a snapshot of the current
//!   namespace, as the ioctls would, through the backend's Ops.

mod exec;
pub mod grammar;

use super::Ctx;

/// Configure `iface` with the words after it. Returns the exit code net-tools would return
/// (0, 1, 3 or 255; 134 where ifconfig aborts) after printing its messages to `ctx.err`.
///
/// Host names are looked up in `/etc/hosts` and `/etc/networks` only: nslab never sends a DNS
/// query, and a name that would need one fails as with unreachable DNS
/// (`NAME: Host name lookup failure`).
pub fn configure(ctx: &mut Ctx<'_>, iface: &str, words: &[String]) -> i32 {
    let environ: Vec<String> = std::env::vars_os()
        .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
        .collect();
    let cmd = grammar::parse_in_env(iface, words, &environ, &grammar::Files::system());
    exec::run(ctx, &cmd)
}
