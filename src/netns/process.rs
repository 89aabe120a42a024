//! The process set-up nslab does first thing in main (SIGPIPE, fds 0–2), and its undoing
//! just before an exec.

use std::sync::atomic::{AtomicU8, Ordering};

/// How nslab found its process, for [`exec`] to hand on unchanged. Bit 0: SIGPIPE was
/// ignored; bits 1–3: fd 0, 1, 2 was closed.
static AS_FOUND: AtomicU8 = AtomicU8::new(0);

/// The process's arguments, argv[0] first. The binary is `no_main` (see main.rs): with
/// glibc, std still has them (glibc hands argv to `.init_array` functions, where std takes
/// it); with musl it has none, so they are read from `/proc/self/cmdline` (the argv strings,
/// each ended by a NUL).
pub fn process_args() -> Vec<std::ffi::OsString> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if !args.is_empty() {
        return args;
    }
    cmdline_args(&std::fs::read("/proc/self/cmdline").unwrap_or_default())
}

/// The argv strings of a `/proc/PID/cmdline` text (each ended by a NUL; empty ones kept).
fn cmdline_args(raw: &[u8]) -> Vec<std::ffi::OsString> {
    use std::os::unix::ffi::OsStringExt;
    let raw = raw.strip_suffix(b"\0").unwrap_or(raw);
    if raw.is_empty() {
        return Vec::new();
    }
    raw.split(|b| *b == 0)
        .map(|a| std::ffi::OsString::from_vec(a.to_vec()))
        .collect()
}

/// Set up the process, first thing in main. The binary is `no_main` (see main.rs), so
/// Rust's runtime set-up has not run; this does the two parts of it nslab needs:
/// - SIGPIPE to its default action, so a closed pipe ends nslab quietly
///   (`nslab show | head -1`), as C tools do;
/// - fds 0–2 open (on /dev/null if they were closed), so that no file nslab opens becomes
///   its stdout.
///
/// What it changed is undone just before [`exec`] execs, so the command gets SIGPIPE and
/// fds 0–2 as nslab's caller left them, as with `ip netns exec`.
pub fn process_setup() {
    use nix::sys::signal::{signal, SigHandler, Signal};
    use std::os::fd::{AsRawFd, IntoRawFd};
    let mut found = 0u8;
    // SAFETY: SIG_DFL installs no handler code; this runs first thing in main, before any
    // thread exists.
    if let Ok(SigHandler::SigIgn) = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) } {
        found |= 1;
    }
    // open(2) takes the lowest free fd: each fd below 3 that /dev/null gets was closed.
    let null = || {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")
    };
    while let Ok(f) = null() {
        let fd = f.as_raw_fd();
        if fd > 2 {
            break;
        }
        found |= 2 << fd;
        // Keep it open as that fd.
        let _ = f.into_raw_fd();
    }
    AS_FOUND.store(found, Ordering::Relaxed);
}

/// Write all of `bytes` into the stdin pipe of a child nslab spawned, without nslab dying of
/// SIGPIPE if the child stopped reading (it exited early: `ip -batch` at its first failing
/// line, `ip -n NS` that cannot open NS). SIGPIPE keeps its default action for nslab's own
/// output (see [`process_setup`]), so it is blocked in this thread for the write; the one
/// the write raises (pipe(7): sent to the writing thread) is taken off again before the mask
/// is restored, and the write fails with EPIPE instead, for the caller to report.
pub fn write_to_child(w: &mut impl std::io::Write, bytes: &[u8]) -> std::io::Result<()> {
    use nix::sys::signal::{SigSet, SigmaskHow, Signal};
    let mut pipe = SigSet::empty();
    pipe.add(Signal::SIGPIPE);
    let old = pipe.thread_swap_mask(SigmaskHow::SIG_BLOCK)?;
    let written = w.write_all(bytes);
    let broken = matches!(&written, Err(e) if e.raw_os_error() == Some(nix::libc::EPIPE));
    if broken && !old.contains(Signal::SIGPIPE) {
        let zero = nix::libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `pipe` is a valid sigset_t, the info pointer may be null, and `zero` is a
        // valid timespec; with a zero timeout sigtimedwait only takes a pending SIGPIPE (the
        // one this write raised) and never blocks.
        unsafe {
            nix::libc::sigtimedwait(pipe.as_ref(), std::ptr::null_mut(), &zero);
        }
    }
    old.thread_set_mask()?;
    written
}

/// Whether SIGPIPE was ignored when nslab started.
fn sigpipe_was_ignored() -> bool {
    AS_FOUND.load(Ordering::Relaxed) & 1 != 0
}

/// Ignore SIGPIPE again if nslab's caller did (after [`process_setup`]; before an exec).
pub(super) fn ignore_sigpipe_as_found() {
    use nix::sys::signal::{signal, SigHandler, Signal};
    if sigpipe_was_ignored() {
        // SAFETY: SIG_IGN installs no handler code; this runs in a process about to exec
        // (single-threaded, or a forked child), where nothing else uses signals.
        unsafe {
            let _ = signal(Signal::SIGPIPE, SigHandler::SigIgn);
        }
    }
}

/// Undo [`process_setup`] just before exec.
pub(super) fn restore_as_found() {
    ignore_sigpipe_as_found();
    let found = AS_FOUND.load(Ordering::Relaxed);
    for fd in 0..3 {
        if found & (2 << fd) != 0 {
            let _ = nix::unistd::close(fd);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmdline_strings_are_the_arguments() {
        let v = cmdline_args(b"/usr/bin/netstat\0-rn\0\0x\xff\0");
        let v: Vec<Vec<u8>> = v
            .into_iter()
            .map(std::os::unix::ffi::OsStringExt::into_vec)
            .collect();
        assert_eq!(v, [&b"/usr/bin/netstat"[..], b"-rn", b"", b"x\xff"]);
        assert!(cmdline_args(b"").is_empty());
        // The process's own, as std sees them on glibc.
        assert_eq!(
            cmdline_args(&std::fs::read("/proc/self/cmdline").unwrap()),
            std::env::args_os().collect::<Vec<_>>()
        );
    }
}
