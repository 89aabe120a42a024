//! The namespace commands: `exec` (with its fast path), `shell`, `identify`.

use super::lab::lab_for;
use crate::error::{Error, Result};
use crate::netns;
use std::ffi::OsString;

/// `nslab exec`: one namespace (replacing this process), or each of a lab's or all of them.
pub(super) fn exec(
    lab: Option<String>,
    all: bool,
    entry: netns::Entry,
    args: Vec<OsString>,
) -> Result<()> {
    let names = match (lab, all) {
        (Some(lab), _) => lab_for(Some(&lab), "")?.host_names(),
        (None, true) => netns::list(),
        (None, false) => {
            let exec = ExecArgs::split(args, entry)?;
            return Err(netns::exec(&exec.ns, &exec.command, exec.entry));
        }
    };
    exec_each(&names, &command_words(args)?, entry)
}

/// `nslab exec NS [--] CMD…`, parsed.
#[derive(Debug, PartialEq, Eq)]
pub struct ExecArgs {
    pub ns: String,
    pub command: Vec<OsString>,
    pub entry: netns::Entry,
}

impl ExecArgs {
    /// Split clap's `[NS] [--] CMD…` words into the namespace and the command.
    fn split(args: Vec<OsString>, entry: netns::Entry) -> Result<ExecArgs> {
        let mut words = args.into_iter();
        let ns = words
            .next()
            .ok_or_else(|| Error::Usage("no namespace given".into()))?
            .into_string()
            .map_err(|n| Error::Usage(format!("bad namespace name {n:?}")))?;
        Ok(ExecArgs {
            ns,
            command: command_words(words.collect())?,
            entry,
        })
    }

    /// The common forms, `nslab exec [--no-mount] [--no-uts] NS [--] CMD [ARGS…]`, parsed without
    /// building the clap parser: `nslab exec` is a launcher, and its start-up time is the
    /// overhead it adds to every command. Anything else (options, help, errors) returns
    /// `None` and goes through clap, which gives the same result for these forms (tested).
    pub fn fast(args: &[OsString]) -> Option<ExecArgs> {
        let mut words = args.get(1..)?.iter();
        if words.next()? != "exec" {
            return None;
        }
        let mut next = words.next()?;
        let (mut no_mount, mut no_uts) = (false, false);
        loop {
            if next == "--no-mount" && !no_mount {
                no_mount = true;
            } else if next == "--no-uts" && !no_uts {
                no_uts = true;
            } else {
                break;
            }
            next = words.next()?;
        }
        let entry = entry_for(no_mount, no_uts);
        let ns = next.to_str().filter(|n| !n.starts_with('-'))?.to_string();
        let mut command: Vec<OsString> = words.cloned().collect();
        if command.first().is_some_and(|w| w == "--") {
            command.remove(0);
        }
        if command.is_empty() {
            return None;
        }
        Some(ExecArgs { ns, command, entry })
    }
}

/// The command of `exec`, without the `--` that may separate it from what comes before.
fn command_words(mut words: Vec<OsString>) -> Result<Vec<OsString>> {
    if words.first().is_some_and(|w| w == "--") {
        words.remove(0);
    }
    if words.is_empty() {
        return Err(Error::Usage("no command given".into()));
    }
    Ok(words)
}

/// `nslab exec --lab/--all`: run `command` in each namespace in turn, streaming its output
/// under a `netns: NAME` header (the header of `ip -all netns exec`, blank line included).
/// Unlike ip, a failure does not stop the others but makes the exit status 1.
fn exec_each(names: &[String], command: &[OsString], entry: netns::Entry) -> Result<()> {
    use std::io::Write;
    let mut failed = Vec::new();
    for ns in names {
        let mut out = std::io::stdout().lock();
        // The header must reach stdout before the child writes there.
        let _ = writeln!(out, "\nnetns: {ns}").and_then(|()| out.flush());
        drop(out);
        match crate::run::run_inherited(command, ns, entry) {
            Ok(None) => {}
            Ok(Some(status)) => failed.push(format!("{ns} ({status})")),
            Err(e) => {
                eprintln!("nslab: {e}");
                failed.push(format!("{ns} (not run)"));
            }
        }
    }
    if failed.is_empty() {
        return Ok(());
    }
    Err(Error::Exec {
        message: format!(
            "{} failed in {} of {} namespaces: {}",
            command[0].to_string_lossy(),
            failed.len(),
            names.len(),
            failed.join(", ")
        ),
        code: 1,
    })
}

/// `nslab shell NS`: exec the user's shell in NS with a prompt that names NS.
pub(super) fn shell(ns: &str, entry: netns::Entry) -> Error {
    let sh = std::env::var_os("SHELL")
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "/bin/sh".into());
    let base = std::path::Path::new(&sh)
        .file_name()
        .map(|b| b.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut argv = vec![sh];
    let prompt = if base == "bash" {
        // bash reads PS1 from the environment, but its rc files usually set it again.
        argv.push("--norc".into());
        format!("({ns}) \\u@\\h:\\w\\$ ")
    } else {
        let root = std::fs::metadata("/proc/self").is_ok_and(|m| {
            use std::os::unix::fs::MetadataExt;
            m.uid() == 0
        });
        format!("({ns}) {}", if root { "# " } else { "$ " })
    };
    // Single-threaded here, and about to exec: setting the environment is safe.
    std::env::set_var("PS1", prompt);
    std::env::set_var("NSLAB_NETNS", ns);
    netns::exec(ns, &argv, entry)
}

/// How `exec` enters a namespace: fully (with the host's hostname), without the UTS
/// namespace (`--no-uts`: as `ip netns exec`), or with `--no-mount` only its network
/// namespace.
pub(super) fn entry_for(no_mount: bool, no_uts: bool) -> netns::Entry {
    match (no_mount, no_uts) {
        (true, _) => netns::Entry::NetOnly,
        (false, true) => netns::Entry::NoUts,
        (false, false) => netns::Entry::Full,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Cli, Command};
    use super::*;
    use clap::Parser;

    fn os(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    /// What clap makes of an `exec` command line, as `ExecArgs`.
    fn via_clap(words: &[&str]) -> Option<ExecArgs> {
        match Cli::try_parse_from(os(words)).ok()?.command {
            Command::Exec {
                lab: None,
                all: false,
                no_mount,
                no_uts,
                args,
            } => ExecArgs::split(args, entry_for(no_mount, no_uts)).ok(),
            _ => None,
        }
    }

    #[test]
    fn exec_fast_path_agrees_with_clap() {
        let lines: &[&[&str]] = &[
            &["nslab", "exec", "ns1", "true"],
            &["nslab", "exec", "ns1", "--", "true"],
            &["nslab", "exec", "ns1", "--", "--", "x"],
            &["nslab", "exec", "ns1", "ls", "-l", "--", "-x"],
            &["nslab", "exec", "ns1", "sh", "-c", "exit 7"],
            &["nslab", "exec", "--no-mount", "ns1", "true"],
            &[
                "nslab",
                "exec",
                "--no-mount",
                "ns1",
                "--",
                "ip",
                "-br",
                "link",
            ],
            &["nslab", "exec", "ns1", "--no-mount", "true"],
            &["nslab", "exec", "--no-uts", "ns1", "hostname"],
            &["nslab", "exec", "--no-uts", "--no-mount", "ns1", "true"],
            &[
                "nslab",
                "exec",
                "--no-mount",
                "--no-uts",
                "ns1",
                "--",
                "true",
            ],
            &["nslab", "exec", "ns1", "--help"],
            &["nslab", "exec", "ns1", "-v"],
        ];
        for line in lines {
            let fast = ExecArgs::fast(&os(line));
            assert!(fast.is_some(), "{line:?} should take the fast path");
            assert_eq!(fast, via_clap(line), "{line:?}");
        }
    }

    #[test]
    fn exec_fast_path_leaves_options_and_errors_to_clap() {
        let lines: &[&[&str]] = &[
            &["nslab", "exec"],
            &["nslab", "exec", "ns1"],
            &["nslab", "exec", "ns1", "--"],
            &["nslab", "exec", "--help"],
            &["nslab", "exec", "--lab", "l", "true"],
            &["nslab", "exec", "--all", "true"],
            &["nslab", "exec", "--", "ns1", "true"],
            &["nslab", "-v", "exec", "ns1", "true"],
            &["nslab", "exec", "-v", "ns1", "true"],
            &["nslab", "show", "ns1", "true"],
        ];
        for line in lines {
            assert_eq!(ExecArgs::fast(&os(line)), None, "{line:?}");
        }
    }

    #[test]
    fn exec_with_lab_or_all_takes_the_command_only() {
        let cli = Cli::try_parse_from(os(&["nslab", "exec", "--lab", "l", "--", "ip", "-br", "a"]));
        match cli.expect("parses").command {
            Command::Exec { lab, all, args, .. } => {
                assert_eq!(lab.as_deref(), Some("l"));
                assert!(!all);
                assert_eq!(command_words(args).unwrap(), os(&["ip", "-br", "a"]));
            }
            other => panic!("parsed as {other:?}"),
        }
        assert!(Cli::try_parse_from(os(&["nslab", "exec", "--lab", "l", "--all", "x"])).is_err());
    }
}
