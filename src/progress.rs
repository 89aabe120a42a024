//! A progress bar on stderr (indicatif) for the long work of large labs: `up`, `down` and
//! `check`. Shown only when [`wanted`] says so — stderr is a terminal, no `--json`, no
//! `--quiet`, no `--verbose` (whose lines would tear it), `NO_COLOR` and `TERM=dumb` unset,
//! and the lab is large — so scripts, pipes, logs and CI never get a progress byte.
//!
//! The work reports through free functions ([`inc`]) that do nothing when no bar is shown,
//! so the backends need no handle passed down to them.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::ffi::OsStr;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Labs with fewer hosts than this are done before a bar would be worth drawing.
pub const LARGE: usize = 50;

/// What decides whether a bar is shown.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    pub stderr_is_tty: bool,
    pub json: bool,
    pub quiet: bool,
    pub verbose: bool,
    /// The values of `NO_COLOR` and `TERM`, if set.
    pub no_color: Option<&'a OsStr>,
    pub term: Option<&'a OsStr>,
    /// How many hosts the work is about.
    pub hosts: usize,
}

/// Whether to show a progress bar: only on a terminal, never with `--json`, `--quiet` or
/// `--verbose`, never when `NO_COLOR` is set to anything but the empty string
/// (<https://no-color.org>) or `TERM` is `dumb`, and only for labs of [`LARGE`] hosts or more.
pub fn wanted(c: &Context) -> bool {
    let opted_out = c.no_color.is_some_and(|v| !v.is_empty()) || c.term == Some(OsStr::new("dumb"));
    c.stderr_is_tty && !c.json && !c.quiet && !c.verbose && !opted_out && c.hosts >= LARGE
}

static QUIET: AtomicBool = AtomicBool::new(false);
static VERBOSE: AtomicBool = AtomicBool::new(false);
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// `--verbose` (told by `run::set_verbose`): the command lines printed would break a bar.
pub fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
}

/// `--quiet`: never show a bar in this run.
pub fn set_quiet(on: bool) {
    QUIET.store(on, Ordering::Relaxed);
}

/// The bar shown while a guard lives; dropping it clears the line.
pub struct Guard(bool);

impl Drop for Guard {
    fn drop(&mut self) {
        if self.0 {
            if let Some(bar) = BAR.lock().expect("progress").take() {
                bar.finish_and_clear();
            }
        }
    }
}

/// Start a bar of `len` steps labelled `what`, if [`wanted`] for this process (its stderr,
/// environment, `--quiet` and `--verbose`) and a lab of `hosts` hosts.
pub fn start(what: &str, len: u64, hosts: usize, json: bool) -> Guard {
    let no_color = std::env::var_os("NO_COLOR");
    let term = std::env::var_os("TERM");
    let show = wanted(&Context {
        stderr_is_tty: std::io::stderr().is_terminal(),
        json,
        quiet: QUIET.load(Ordering::Relaxed),
        verbose: VERBOSE.load(Ordering::Relaxed),
        no_color: no_color.as_deref(),
        term: term.as_deref(),
        hosts,
    });
    if !show {
        return Guard(false);
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({elapsed})")
            .expect("progress template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    *BAR.lock().expect("progress") = Some(bar);
    Guard(true)
}

/// Count `n` steps done (nothing when no bar is shown).
pub fn inc(n: u64) {
    if let Some(bar) = BAR.lock().expect("progress").as_ref() {
        bar.inc(n);
    }
}

/// Whether a bar is being shown (so that work done only for it can be skipped otherwise).
pub fn active() -> bool {
    BAR.lock().expect("progress").is_some()
}

/// While `work` runs, count steps that can only be observed from outside (namespaces that
/// appear or go away): `done()` is polled every 100 ms and its growth added to the bar.
/// Without a bar, `work` just runs.
pub fn watch<T>(done: impl Fn() -> u64 + Sync, work: impl FnOnce() -> T) -> T {
    if !active() {
        return work();
    }
    let finished = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut last = done();
            while !finished.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                let now = done();
                inc(now.saturating_sub(last));
                last = last.max(now);
            }
            inc(done().saturating_sub(last));
        });
        let out = work();
        finished.store(true, Ordering::Relaxed);
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tty() -> Context<'static> {
        Context {
            stderr_is_tty: true,
            hosts: LARGE,
            ..Default::default()
        }
    }

    #[test]
    fn shown_on_a_terminal_for_a_large_lab_only() {
        assert!(wanted(&tty()));
        assert!(!wanted(&Context {
            hosts: LARGE - 1,
            ..tty()
        }));
        assert!(!wanted(&Context {
            stderr_is_tty: false,
            ..tty()
        }));
    }

    #[test]
    fn json_quiet_and_verbose_silence_it() {
        for c in [
            Context {
                json: true,
                ..tty()
            },
            Context {
                quiet: true,
                ..tty()
            },
            Context {
                verbose: true,
                ..tty()
            },
        ] {
            assert!(!wanted(&c), "{c:?}");
        }
    }

    #[test]
    fn no_color_and_a_dumb_terminal_opt_out() {
        let no = |v: &'static str| Context {
            no_color: Some(OsStr::new(v)),
            ..tty()
        };
        assert!(!wanted(&no("1")));
        // no-color.org: set to the empty string is the same as unset.
        assert!(wanted(&no("")));
        let term = |v: &'static str| Context {
            term: Some(OsStr::new(v)),
            ..tty()
        };
        assert!(!wanted(&term("dumb")));
        assert!(wanted(&term("xterm-256color")));
    }
}
