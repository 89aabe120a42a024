//! nslab's own command line (clap derive) and what each command does.

use crate::backend::{Backend, Iproute2, Script};
use crate::error::{Error, Result};
use crate::lab::apply::{self, Down, State};
use crate::lab::check::{self, Prober};
use crate::lab::plan::{plan_post, plan_up};
use crate::lab::Lab;
use crate::netns;
use crate::show;
use clap::{CommandFactory, Parser, Subcommand};
use std::ffi::OsString;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "nslab",
    version,
    about = "Network-namespace labs on the real iproute2, and drop-in ifconfig/brctl",
    long_about = "Network-namespace labs on the real iproute2.\n\n\
        A lab (hosts = network namespaces, veth links, bridges, addresses, routes, sysctls) is \
        declared in a TOML or JSON file and built with `nslab up`; with no file, the built-in \
        four-host bridge lab is used. nslab changes the kernel only through the `ip` binary."
)]
pub struct Cli {
    /// Print every command spawned, and at the end how many processes were spawned.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a lab (default: the built-in four-host bridge lab). Validates everything first;
    /// on a failure, removes whatever this run created.
    Up {
        /// Lab file (.toml, or .json with the same schema). Default: the built-in lab.
        file: Option<String>,
        /// Print the `ip` commands instead of running them.
        #[arg(long)]
        dry_run: bool,
        /// Prefix for the lab name, namespace names and root-namespace device names.
        #[arg(long, default_value = "")]
        prefix: String,
    },
    /// Remove a lab, from its state in /run/nslab (no lab file needed). Not an error if the
    /// lab is not up.
    Down {
        /// Lab name or lab file. Default: the built-in lab.
        lab: Option<String>,
        /// The prefix the lab was brought up with.
        #[arg(long, default_value = "")]
        prefix: String,
        /// Seconds a process in the lab gets between SIGTERM and SIGKILL.
        #[arg(long, default_value_t = 2.0, value_parser = parse_grace)]
        grace: f64,
        /// Print what was done as JSON (the processes ended, with host and PID).
        #[arg(long)]
        json: bool,
    },
    /// List the labs that are up, their hosts, and which hosts are present.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Show interfaces (kind, state, MTU, MAC, master, veth peer, addresses) and routes.
    Show {
        /// Lab names or namespace names. Default: every named namespace.
        targets: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Check reachability of every ordered pair of a lab's hosts against its expectations.
    /// Exits 0 only if every expectation holds.
    Check {
        /// Lab name or lab file. Default: the built-in lab.
        lab: Option<String>,
        #[arg(long)]
        json: bool,
        /// Probe with `ping` processes instead of ICMP sockets opened in each namespace.
        #[arg(long)]
        ping: bool,
        /// How long to wait for answers, in milliseconds.
        #[arg(long, default_value_t = 1000)]
        timeout: u64,
        /// The prefix the lab was brought up with.
        #[arg(long, default_value = "")]
        prefix: String,
    },
    /// Run a command inside a namespace, like `ip netns exec NS CMD…`: nslab becomes CMD, so
    /// its exit status, signals, stdio, environment and cwd are CMD's. With --lab or --all,
    /// run CMD in each namespace in turn, each output headed by `netns: NAME` (like
    /// `ip -all netns exec`), and fail if any run failed.
    #[command(
        override_usage = "nslab exec [--no-mount] NS [--] CMD [ARGS]...\n       \
                          nslab exec [--no-mount] (--lab LAB | --all) [--] CMD [ARGS]..."
    )]
    Exec {
        /// Run CMD in each host of this lab (name or lab file) that is up.
        #[arg(long, value_name = "LAB", conflicts_with = "all")]
        lab: Option<String>,
        /// Run CMD in every named namespace, in name order.
        #[arg(long)]
        all: bool,
        /// Only join the network namespace (like `nsenter --net`): faster, but /sys and /etc
        /// stay the host's.
        #[arg(long)]
        no_mount: bool,
        /// NS (unless --lab/--all), then the command and its arguments.
        #[arg(
            required = true,
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "NS CMD",
            value_parser = clap::value_parser!(OsString)
        )]
        args: Vec<OsString>,
    },
    /// An interactive shell ($SHELL, else /bin/sh) inside a namespace, entered like
    /// `nslab exec`. The prompt starts with `(NS)` (PS1; bash runs with --norc so that its
    /// rc files do not replace it) and NSLAB_NETNS holds the name.
    Shell {
        /// Namespace name.
        ns: String,
        /// Only join the network namespace, as for `exec --no-mount`.
        #[arg(long)]
        no_mount: bool,
    },
    /// Print the names of the namespace a process is in (like `ip netns identify`): every
    /// /run/netns file that is the same namespace as /proc/PID/ns/net.
    Identify {
        /// Process id. Default: the calling process.
        pid: Option<u32>,
    },
    /// Up the built-in lab, show it, check it, and take it down again.
    Demo {
        #[arg(long, default_value = "")]
        prefix: String,
    },
    /// Install, remove or inspect the legacy-name links (`ifconfig`, `brctl` → nslab).
    Compat {
        #[command(subcommand)]
        action: CompatAction,
    },
    /// Rewrite a legacy lab script (ifconfig, brctl, route, arp -s/-d) to iproute2, keeping
    /// everything else byte for byte. Lines that cannot be translated are kept and marked.
    Migrate {
        /// The script (`-` or nothing: standard input).
        file: Option<String>,
        /// Exit 1 when any legacy line was left untranslated (listed on stderr).
        #[arg(long)]
        check: bool,
        /// Print a unified diff instead of the script.
        #[arg(long, conflicts_with = "to_lab")]
        diff: bool,
        /// Print a lab file (TOML) that `nslab up` builds to the same state as the script.
        #[arg(long)]
        to_lab: bool,
        /// Give a shell variable a value for --to-lab (`--var P=` for a prefix variable).
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
    },
    /// Draw a lab: hosts (routers marked), bridges with the host that holds them, veth links
    /// labelled with both interface names and their addresses. From a lab file (nothing needs
    /// to be up) or, given the name of a lab that is up, from what its namespaces hold now.
    Graph {
        /// Lab file, or the name of a lab that is up. Default: the built-in lab's file.
        lab: Option<String>,
        /// dot (Graphviz), mermaid (renders in GitHub/GitLab Markdown), svg (needs graphviz's
        /// `dot`), json.
        #[arg(long, value_enum, default_value = "dot")]
        format: crate::lab::graph::Format,
        /// Write to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
        /// The prefix the lab was brought up with (for a lab name).
        #[arg(long, default_value = "")]
        prefix: String,
    },
    /// Turn live namespaces into a lab file that `nslab up` accepts: hosts, bridges, veth
    /// links (peers resolved across namespaces), addresses, routes, MTUs, MACs set by hand,
    /// forwarding. What a lab file cannot express is kept as commented lines and reported.
    Capture {
        /// Namespaces to capture.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        namespaces: Vec<String>,
        /// Capture every named namespace.
        #[arg(long)]
        all: bool,
        /// The lab's name.
        #[arg(long, default_value = "captured")]
        name: String,
        /// Write to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
    /// Print a shell completion script.
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff).
    Man,
}

#[derive(Debug, Subcommand)]
pub enum CompatAction {
    /// Create `ifconfig` and `brctl` symlinks to this nslab binary. Refuses to replace a
    /// file that is not already an nslab link, unless --force.
    Install {
        /// Directory for the links.
        #[arg(default_value = crate::compat::DEFAULT_DIR)]
        dir: std::path::PathBuf,
        /// Replace existing files that are not nslab links.
        #[arg(long)]
        force: bool,
    },
    /// Remove the links that point to nslab (nothing else).
    Uninstall {
        #[arg(default_value = crate::compat::DEFAULT_DIR)]
        dir: std::path::PathBuf,
    },
    /// Say what `ifconfig` and `brctl` resolve to on PATH.
    Status,
}

/// `--grace SECONDS`: a non-negative number of seconds, at most an hour.
fn parse_grace(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(g) if (0.0..=3600.0).contains(&g) => Ok(g),
        _ => Err(format!("`{s}` is not a number of seconds in 0..=3600")),
    }
}

fn print_json<T: serde::Serialize>(v: &T) {
    println!("{}", serde_json::to_string_pretty(v).expect("serializable"));
}

/// Load the lab an `up` should build: a file, or the built-in one.
fn lab_for_up(file: Option<&str>, prefix: &str) -> Result<(Lab, String)> {
    let (lab, place) = match file {
        Some(f) => (Lab::load(f)?, f.to_string()),
        None => (
            Lab::default_lab(),
            crate::lab::file::DEFAULT_LAB_PATH.to_string(),
        ),
    };
    let lab = lab.with_prefix(prefix);
    lab.validate(&place)?;
    Ok((lab, place))
}

/// The lab a `check`/`down` names: its state if up, else the file.
fn lab_for(arg: Option<&str>, prefix: &str) -> Result<Lab> {
    let name = match arg {
        Some(a) => apply::lab_name_of(a, prefix)?,
        None => format!("{prefix}{}", Lab::default_lab().name),
    };
    match State::load(&name)? {
        Some(s) => Ok(s.lab),
        None => Err(Error::Usage(format!(
            "lab `{name}` is not up (see `nslab status`)"
        ))),
    }
}

/// The lab `graph` draws: a file, the live state of a lab that is up, or the built-in lab.
fn lab_to_draw(arg: Option<&str>, prefix: &str, backend: &mut dyn Backend) -> Result<Lab> {
    let Some(arg) = arg else {
        return lab_for_up(None, prefix).map(|(lab, _)| lab);
    };
    if std::path::Path::new(arg).is_file() {
        return lab_for_up(Some(arg), prefix).map(|(lab, _)| lab);
    }
    let name = apply::lab_name_of(arg, prefix)?;
    match State::load(&name)? {
        Some(s) => {
            let captured = crate::lab::capture::capture(&s.lab.host_names(), &name, backend)?;
            Ok(captured.lab)
        }
        None => Err(Error::Usage(format!(
            "`{}` is neither a lab file nor a lab that is up (see `nslab status`)",
            arg.escape_debug()
        ))),
    }
}

/// Write command output to a file, or to standard output.
fn write_out(path: Option<&std::path::Path>, text: &str) -> Result<()> {
    match path {
        Some(p) => std::fs::write(p, text).map_err(|e| Error::io(p.display().to_string(), e)),
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) ends the output quietly.
            let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
            Ok(())
        }
    }
}

pub fn run(cli: Cli) -> Result<()> {
    crate::run::set_verbose(cli.verbose);
    let mut backend = Iproute2;
    let result = command(cli.command, &mut backend);
    if cli.verbose {
        eprintln!("nslab: {} processes spawned", crate::run::spawned());
    }
    result
}

fn command(cmd: Command, backend: &mut dyn Backend) -> Result<()> {
    match cmd {
        Command::Up {
            file,
            dry_run,
            prefix,
        } => {
            let (lab, _) = lab_for_up(file.as_deref(), &prefix)?;
            if dry_run {
                apply::check_free(&lab, backend)?;
                let mut script = Script::new(std::io::stdout(), None);
                script.apply(&plan_up(&lab))?;
                return script.apply(&plan_post(&lab));
            }
            apply::up(&lab, file.as_deref(), backend)?;
            eprintln!("lab `{}` is up: {} hosts", lab.name, lab.hosts.len());
            Ok(())
        }
        Command::Down {
            lab,
            prefix,
            grace,
            json,
        } => {
            let name = match lab.as_deref() {
                Some(a) => apply::lab_name_of(a, &prefix)?,
                None => format!("{prefix}{}", Lab::default_lab().name),
            };
            let grace = Duration::from_secs_f64(grace);
            let done = apply::down(&name, backend, grace)?;
            let ended = match &done {
                Down::Removed(e) => e.ended.clone(),
                Down::NotUp => Vec::new(),
            };
            if json {
                print_json(&serde_json::json!({
                    "lab": name,
                    "was_up": matches!(done, Down::Removed(_)),
                    "ended": ended,
                }));
            }
            match done {
                Down::Removed(_) if ended.is_empty() => eprintln!("lab `{name}` is down"),
                Down::Removed(_) => eprintln!(
                    "lab `{name}` is down ({} process{} ended)",
                    ended.len(),
                    if ended.len() == 1 { "" } else { "es" }
                ),
                Down::NotUp => eprintln!("lab `{name}` is not up; nothing to do"),
            }
            Ok(())
        }
        Command::Status { json } => status(json, backend),
        Command::Show { targets, json } => {
            let mut names: Vec<Option<String>> = Vec::new();
            if targets.is_empty() {
                names.extend(backend.namespaces()?.into_iter().map(Some));
            }
            for t in &targets {
                match State::load(t).ok().flatten() {
                    Some(s) => names.extend(s.lab.host_names().into_iter().map(Some)),
                    None => {
                        netns::open_netns(t)?;
                        names.push(Some(t.clone()));
                    }
                }
            }
            let views = show::views(&names, backend)?;
            if json {
                print_json(&serde_json::json!({ "namespaces": views }));
            } else {
                print!("{}", show::render(&views));
            }
            Ok(())
        }
        Command::Check {
            lab,
            json,
            ping,
            timeout,
            prefix,
        } => {
            let lab = lab_for(lab.as_deref(), &prefix)?;
            let prober = if ping { Prober::Ping } else { Prober::Socket };
            let report = check::check(&lab, prober, Duration::from_millis(timeout))?;
            if json {
                print_json(&report);
            } else {
                print!("{}", report.render());
            }
            report.verdict()
        }
        Command::Exec {
            lab,
            all,
            no_mount,
            args,
        } => {
            let entry = entry_for(no_mount);
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
        Command::Shell { ns, no_mount } => {
            let entry = if no_mount {
                netns::Entry::NetOnly
            } else {
                netns::Entry::Full
            };
            Err(shell(&ns, entry))
        }
        Command::Identify { pid } => {
            for name in netns::identify(pid)? {
                println!("{name}");
            }
            Ok(())
        }
        Command::Demo { prefix } => demo(&prefix, backend),
        Command::Graph {
            lab,
            format,
            output,
            prefix,
        } => {
            let lab = lab_to_draw(lab.as_deref(), &prefix, backend)?;
            let text = crate::lab::graph::Graph::of(&lab).render(format)?;
            write_out(output.as_deref(), &text)
        }
        Command::Capture {
            namespaces,
            all,
            name,
            output,
        } => {
            let names = if all {
                backend.namespaces()?
            } else {
                namespaces
            };
            let captured = crate::lab::capture::capture(&names, &name, backend)?;
            for l in &captured.left_out {
                eprintln!("nslab: capture: left out: {}", l.escape_debug());
            }
            write_out(output.as_deref(), &captured.to_toml())
        }
        Command::Compat { action } => {
            let lines = match action {
                CompatAction::Install { dir, force } => crate::compat::install(&dir, force)?,
                CompatAction::Uninstall { dir } => crate::compat::uninstall(&dir)?,
                CompatAction::Status => {
                    crate::compat::status(&std::env::var("PATH").unwrap_or_default())?
                }
            };
            for l in lines {
                println!("{l}");
            }
            Ok(())
        }
        Command::Migrate {
            file,
            check,
            diff,
            to_lab,
            vars,
        } => migrate(file.as_deref(), check, diff, to_lab, &vars),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "nslab", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => {
            let man = clap_mangen::Man::new(Cli::command());
            man.render(&mut std::io::stdout())
                .map_err(|e| Error::io("stdout", e))
        }
    }
}

fn migrate(
    file: Option<&str>,
    check: bool,
    diff: bool,
    to_lab: bool,
    vars: &[String],
) -> Result<()> {
    use std::io::Read;
    let (name, text) = match file {
        None | Some("-") => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| Error::io("<stdin>", e))?;
            ("<stdin>".to_string(), s)
        }
        Some(f) => (
            f.to_string(),
            std::fs::read_to_string(f).map_err(|e| Error::io(f, e))?,
        ),
    };
    if to_lab {
        let mut map = std::collections::BTreeMap::new();
        for v in vars {
            let (k, val) = v
                .split_once('=')
                .ok_or_else(|| Error::Usage(format!("--var `{v}`: write it as NAME=VALUE")))?;
            map.insert(k.to_string(), val.to_string());
        }
        let stem = std::path::Path::new(&name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.starts_with('<'))
            .unwrap_or_else(|| "migrated".into());
        let lab = crate::migrate::lab::to_lab(&text, &stem, &map)
            .map_err(|e| Error::Usage(format!("{name}: {e}")))?;
        print!("{}", crate::migrate::lab::render(&lab, &name));
        return Ok(());
    }
    let m = crate::migrate::migrate(&text);
    if diff {
        print!(
            "{}",
            crate::migrate::unified_diff(&text, &m.text, &name, &format!("{name} (migrated)"))
        );
    } else {
        print!("{}", m.text);
    }
    if check && !m.kept.is_empty() {
        for k in &m.kept {
            eprintln!("{name}:{}: kept `{}`: {}", k.line, k.command, k.reason);
        }
        return Err(Error::Legacy { code: 1 });
    }
    Ok(())
}

fn status(json: bool, _backend: &mut dyn Backend) -> Result<()> {
    let existing = netns::list();
    let labs: Vec<serde_json::Value> = State::all()?
        .iter()
        .map(|s| {
            let hosts: Vec<serde_json::Value> = s
                .namespaces
                .iter()
                .map(|h| serde_json::json!({ "name": h, "present": existing.contains(h) }))
                .collect();
            serde_json::json!({
                "name": s.lab.name,
                "source": s.source,
                "hosts": hosts,
                "root_devices": s.root_devices,
            })
        })
        .collect();
    if json {
        print_json(&serde_json::json!({ "labs": labs }));
        return Ok(());
    }
    if labs.is_empty() {
        println!("no labs are up");
    }
    for l in &labs {
        let hosts = l["hosts"].as_array().expect("hosts");
        let present = hosts.iter().filter(|h| h["present"] == true).count();
        let names: Vec<String> = hosts
            .iter()
            .map(|h| {
                let n = h["name"].as_str().unwrap_or("?");
                if h["present"] == true {
                    n.to_string()
                } else {
                    format!("{n} (missing)")
                }
            })
            .collect();
        println!(
            "{}  {}/{} hosts present: {}",
            l["name"].as_str().unwrap_or("?"),
            present,
            hosts.len(),
            names.join(" ")
        );
    }
    Ok(())
}

fn demo(prefix: &str, backend: &mut dyn Backend) -> Result<()> {
    let (lab, _) = lab_for_up(None, prefix)?;
    println!("# nslab up");
    apply::up(&lab, None, backend)?;
    let result = (|| -> Result<()> {
        println!("# nslab show {}", lab.name);
        let names: Vec<Option<String>> = lab.host_names().into_iter().map(Some).collect();
        print!("{}", show::render(&show::views(&names, backend)?));
        println!("\n# nslab check {}", lab.name);
        let report = check::check(&lab, Prober::Socket, Duration::from_secs(1))?;
        print!("{}", report.render());
        report.verdict()
    })();
    println!("\n# nslab down {}", lab.name);
    let downed = apply::down(&lab.name, backend, apply::DEFAULT_GRACE);
    result?;
    downed?;
    println!("demo done: everything removed");
    Ok(())
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

    /// The common forms, `nslab exec [--no-mount] NS [--] CMD [ARGS…]`, parsed without
    /// building the clap parser: `nslab exec` is a launcher, and its start-up time is the
    /// overhead it adds to every command. Anything else (options, help, errors) returns
    /// `None` and goes through clap, which gives the same result for these forms (tested).
    pub fn fast(args: &[OsString]) -> Option<ExecArgs> {
        let mut words = args.get(1..)?.iter();
        if words.next()? != "exec" {
            return None;
        }
        let mut next = words.next()?;
        let mut entry = netns::Entry::Full;
        if next == "--no-mount" {
            entry = netns::Entry::NetOnly;
            next = words.next()?;
        }
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
fn shell(ns: &str, entry: netns::Entry) -> Error {
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

/// Entry point for the `nslab` personality.
pub fn main(args: Vec<OsString>) -> Result<()> {
    if let Some(exec) = ExecArgs::fast(&args) {
        return Err(netns::exec(&exec.ns, &exec.command, exec.entry));
    }
    let cli = Cli::try_parse_from(args).map_err(|e| {
        let code = e.exit_code();
        let _ = e.print();
        Error::Legacy { code }
    })?;
    run(cli)
}

/// How `exec` enters a namespace: fully, or with `--no-mount` only its network namespace.
fn entry_for(no_mount: bool) -> netns::Entry {
    if no_mount {
        netns::Entry::NetOnly
    } else {
        netns::Entry::Full
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                args,
            } => ExecArgs::split(args, entry_for(no_mount)).ok(),
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
