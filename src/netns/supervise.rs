//! The system calls of a service's supervisor (`nslab __supervise`, see `lab::service`):
//! clearing the parent-death signal it was started with, waiting for signals
//! synchronously (blocked, then taken with `sigtimedwait`, so no handler code runs), and
//! the set-up of the service it starts (signals unblocked again before exec).

use nix::sys::signal::{kill, SigSet, SigmaskHow, Signal};
use nix::unistd::Pid;
use std::time::Duration;

/// The signals a supervisor takes synchronously: the ones that ask it to stop, and SIGCHLD.
fn watched() -> SigSet {
    let mut set = SigSet::empty();
    for s in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGCHLD,
    ] {
        set.add(s);
    }
    set
}

/// Set up the supervisor's process: no parent-death signal any more (it was started with
/// one, so that an `up` killed while starting it does not leave it behind; from here on it
/// outlives `up`), and the watched signals blocked, to be taken by [`wait_signal`].
pub fn become_supervisor() -> std::io::Result<()> {
    nix::sys::prctl::set_pdeathsig(None)?;
    watched().thread_block()?;
    Ok(())
}

/// What [`wait_signal`] woke up for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The time ran out.
    Timeout,
    /// SIGCHLD: a child changed state.
    Child,
    /// SIGTERM, SIGINT or SIGHUP: asked to stop.
    Stop,
}

/// Wait at most `timeout` for a watched signal.
pub fn wait_signal(timeout: Duration) -> Wake {
    let set = watched();
    let ts = nix::libc::timespec {
        tv_sec: timeout.as_secs() as nix::libc::time_t,
        tv_nsec: timeout.subsec_nanos() as nix::libc::c_long,
    };
    // SAFETY: `set` is a valid sigset_t, a null info pointer is allowed, and `ts` is a valid
    // timespec that outlives the call.
    let n = unsafe { nix::libc::sigtimedwait(set.as_ref(), std::ptr::null_mut(), &ts) };
    match Signal::try_from(n) {
        Ok(Signal::SIGCHLD) => Wake::Child,
        Ok(_) => Wake::Stop,
        Err(_) => Wake::Timeout,
    }
}

/// A signal's name (`SIGKILL`), or `signal N`.
pub fn signal_name(n: i32) -> String {
    Signal::try_from(n).map_or_else(|_| format!("signal {n}"), |s| s.as_str().to_string())
}

/// Ask process `pid` to stop (SIGTERM).
pub fn terminate(pid: u32) {
    let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
}

/// The pre-exec set-up of the service a supervisor starts: every signal unblocked (the
/// supervisor blocks the ones it waits for, and a mask survives exec).
pub fn service_child(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure makes one plain syscall (sigprocmask) on a set built before the
    // fork; it neither allocates nor takes a lock.
    let all = SigSet::all();
    unsafe {
        command.pre_exec(move || {
            let _ = nix::sys::signal::sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(&all), None);
            Ok(())
        });
    }
}
