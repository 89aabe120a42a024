//! Thin entry point: pick the personality from argv[0], run it, exit with its code.
//!
//! nslab supplies the C `main` itself (`no_main`), so Rust's runtime set-up does not run
//! before it. That set-up costs about as much as everything `nslab exec` does before its
//! exec (it reads /proc/self/maps to find the main thread's stack and installs an alternate
//! signal stack), and it changes what an exec'd command inherits (SIGPIPE ignored, closed
//! fds 0–2 reopened), where `ip netns exec` changes nothing. `netns::process_setup` does the
//! parts nslab needs, in a way `nslab exec` can undo. What is lost: the "stack overflow"
//! message (an overflow is a plain SIGSEGV) and the name `main` in panic messages.
#![cfg_attr(not(test), no_main)]

/// The C entry point. `#[no_mangle]` is sound: with `no_main`, no other `main` symbol exists.
/// The arguments come from `netns::process_args` (std's on glibc, which takes argv from
/// `.init_array`; `/proc/self/cmdline` on musl, where std has none without its runtime).
#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    let code = nslab::dispatch(nslab::netns::process_args());
    // Flushes stdout, then exits.
    std::process::exit(code)
}
