//! `ifconfig [-v] IFACE [AF] option|address …`: the configuration half of the drop-in
//! net-tools 2.10 `ifconfig`.
//!
//! Three parts, kept apart so `nslab migrate` can reuse the first two:
//! * [`grammar`]: a pure function from words to typed [`grammar::Action`]s
//!   ([`grammar::parse`]), with every parsing quirk of the real tool (C number parsing,
//!   `inet_aton`, `/32` → /0, the lenient `hw ether` parser, where a run stops…);
//! * [`kernel`]: what each ioctl does, as pure functions of a [`Snapshot`](crate::model::Snapshot)
//!   returning the `ip` Ops that reproduce it or the errno it fails with;
//! * `exec` ([`perform`]): performs the actions left to right, one ioctl at a time, reading
//!   the state again after each change, with ifconfig's messages and exit code.
//!
//! ```
//! use nslab::legacy::ifconfig::set::grammar::{parse, Action, IfFlag, NumericOnly};
//! let words: Vec<String> = ["10.1.258/32", "up"].iter().map(|w| w.to_string()).collect();
//! let cmd = parse("eth0", &words, &NumericOnly);
//! assert_eq!(
//!     cmd.actions,
//!     vec![
//!         Action::Address("10.1.1.2".parse().unwrap()),
//!         Action::Flag { flag: IfFlag::Up, on: true, warn: false },
//!         // `/32` is /0: the shift count is taken modulo 32.
//!         Action::PrefixNetmask("0.0.0.0".parse().unwrap()),
//!     ]
//! );
//! ```
//!
//! What is not reproduced, and why:
//! * `media auto` sets IFF_AUTOMEDIA, which `ip link set` cannot set (the messages and exit
//!   code are reproduced, the flag is not).
//! * A short `hw ether` address (`02:11:22:33:44`) leaves bytes of ifconfig's sockaddr buffer
//!   unchanged: those written by earlier words are reproduced, the rest is uninitialised
//!   memory in the real tool (seen as `00` or `2f` depending on the environment); nslab uses 0.
//! * `dstaddr 0.0.0.0` stores a peer of 0 that `ip -j addr` does not show; a later change of
//!   that address re-inserts it with the peer equal to the local address.
//! * Address flags and lifetimes other than `permanent` (`noprefixroute`, finite lifetimes)
//!   are not kept when an address is changed (the snapshot model does not carry them).
//! * The address parsers of `hw ax25|netrom|rose|x25|ash` accept every word. The address
//!   families ax25, netrom, rose, x25 and ec have their own address parsers: an
//!   address-taking keyword under them is refused with an nslab message (the kernel here has
//!   no sockets for them, so such a change could not succeed anyway). inet6, ipx, unix, ddp
//!   and ash are reproduced, including ifconfig's crashes (exit 139) where it calls a
//!   missing parser.
//! * Where ifconfig calls `abort()` (an alias number above 255 during `add`/`del`) or crashes,
//!   nslab returns 134 or 139 instead of dying by SIGABRT or SIGSEGV.
//! * Device names that `ip -batch` would split or cut (blanks, quotes, `\`, `#`) are refused
//!   (`Invalid argument` with an nslab note) rather than passed to `ip`.

mod exec;
pub mod grammar;
pub mod kernel;

use super::Ctx;

/// Configure `iface` with the words after it. Returns the exit code net-tools would return
/// (0, 1, 3 or 255; 134 where ifconfig aborts) after printing its messages to `ctx.err`.
///
/// Host names are looked up in `/etc/hosts` and `/etc/networks` only: nslab never sends a DNS
/// query. A name that would need one fails as with unreachable DNS, which is what the real
/// tool meets inside a namespace (`NAME: Host name lookup failure`); a name glibc rejects
/// before asking DNS (`-a`, `a..b`, `10.0.0.256`) is `NAME: Unknown host`.
pub fn configure(ctx: &mut Ctx<'_>, iface: &str, words: &[String]) -> i32 {
    let environ: Vec<String> = std::env::vars_os()
        .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
        .collect();
    let cmd = grammar::parse_in_env(iface, words, &environ, &grammar::Files::system());
    perform(ctx, &cmd)
}

/// Perform a parsed command against `ctx.backend` (the namespace it reads and changes is
/// the one nslab runs in: `snapshot(None)`), printing ifconfig's messages to `ctx.err`;
/// returns ifconfig's exit code. With the script backend this prints the `ip` commands
/// instead of running them (the state is then the reader's, unchanged between steps).
pub fn perform(ctx: &mut Ctx<'_>, cmd: &grammar::Command) -> i32 {
    exec::run(ctx, cmd)
}

/// [`perform`] as a process with CAP_NET_ADMIN, whatever this one has: `nslab migrate` runs
/// a script's line against the state it pictures for the script's (privileged) run.
pub fn perform_privileged(ctx: &mut Ctx<'_>, cmd: &grammar::Command) -> i32 {
    exec::run_as(ctx, cmd, true)
}
