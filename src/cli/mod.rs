//! nslab's own command line (clap derive): the commands and their dispatch. What each
//! command does is in one file per family: [`lab`] (up, down, status, show, check, demo),
//! [`exec`] (exec, shell, identify), [`draw`] (graph, capture), [`migrate`], [`shape`]
//! (shape, measure).

mod draw;
mod exec;
mod lab;
mod migrate;
mod shape;

pub use shape::ShapeArgs;

pub use exec::ExecArgs;

use crate::backend::{Backend, Iproute2};
use crate::error::{Error, Result};
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
    /// No progress bar (one is drawn on a terminal while `up`, `down` or `check` works on a
    /// lab of 50 hosts or more).
    #[arg(short, long, global = true)]
    pub quiet: bool,
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
        /// Build only this machine's part of a lab spread over machines (what nslab runs on
        /// each machine over ssh; FILE `-` reads the lab from standard input).
        #[arg(long, value_name = "MACHINE")]
        part: Option<String>,
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
        /// Remove only this machine's part of a lab spread over machines, even where this
        /// machine drives the lab.
        #[arg(long)]
        part: bool,
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
        /// Probe only from this machine's hosts of a lab spread over machines, and print the
        /// pairs as JSON (LAB: the lab file, `-` for standard input).
        #[arg(long, value_name = "MACHINE")]
        part: Option<String>,
    },
    /// Run a command inside a namespace, like `ip netns exec NS CMD…`: nslab becomes CMD, so
    /// its exit status, signals, stdio, environment and cwd are CMD's. With --lab or --all,
    /// run CMD in each namespace in turn, each output headed by `netns: NAME` (like
    /// `ip -all netns exec`), and fail if any run failed.
    #[command(
        override_usage = "nslab exec [--no-mount] [--no-uts] NS [--] CMD [ARGS]...\n       \
                          nslab exec [--no-mount] [--no-uts] (--lab LAB | --all) [--] CMD [ARGS]..."
    )]
    Exec {
        /// Run CMD in each host of this lab (name or lab file) that is up.
        #[arg(long, value_name = "LAB", conflicts_with = "all")]
        lab: Option<String>,
        /// Run CMD in every named namespace, in name order.
        #[arg(long)]
        all: bool,
        /// Only join the network namespace (like `nsenter --net`): faster, but /sys and /etc
        /// stay the host's, and so does the hostname.
        #[arg(long)]
        no_mount: bool,
        /// Do not join the host's UTS namespace: the hostname stays the root namespace's
        /// (exactly what `ip netns exec` does).
        #[arg(long)]
        no_uts: bool,
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
        /// Keep the root hostname, as for `exec --no-uts`.
        #[arg(long)]
        no_uts: bool,
    },
    /// List the services of the labs that are up (or of LAB): host, service, PID, state
    /// (running, exited N, killed by SIG…, restarting, starting, gone) and uptime.
    Ps {
        /// Lab name or lab file. Default: every lab that is up.
        lab: Option<String>,
        #[arg(long)]
        json: bool,
        /// The prefix the lab was brought up with.
        #[arg(long, default_value = "")]
        prefix: String,
    },
    /// Print a service's log (its stdout and stderr, /run/nslab/LAB/HOST/SERVICE.log).
    Logs {
        lab: String,
        host: String,
        service: String,
        /// Keep printing what is added, until interrupted or until the lab goes down.
        #[arg(short, long)]
        follow: bool,
    },
    /// A service's supervisor (started by `up`; not for direct use).
    #[command(name = "__supervise", hide = true)]
    Supervise {
        status: std::path::PathBuf,
        #[arg(long)]
        on_failure: bool,
        #[arg(required = true, last = true)]
        argv: Vec<String>,
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
        /// Print a lab file (TOML) made of the script's plain steps; the lines it leaves out
        /// (and what `up` does beyond the script) are listed on stderr with their line.
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
    /// Change the shaping (rate, delay, loss, …) of one interface of a lab that is up, with
    /// `tc`; or, with only LAB, list every shaped interface as the kernel reports it. The
    /// options given replace the interface's whole shaping.
    #[command(
        override_usage = "nslab shape LAB HOST IFACE [--rate R] [--delay T] [--loss P] ... | --clear\n       \
                          nslab shape LAB [--json]"
    )]
    Shape {
        /// Lab name or lab file.
        lab: String,
        /// A host of the lab.
        #[arg(requires = "iface")]
        host: Option<String>,
        /// An interface of that host.
        iface: Option<String>,
        #[command(flatten)]
        values: Box<ShapeArgs>,
        /// Remove the interface's shaping.
        #[arg(long, requires = "iface")]
        clear: bool,
        #[arg(long)]
        json: bool,
    },
    /// Measure each shaped link between two hosts: TCP throughput in each direction
    /// (iperf3 when installed, else an in-process TCP pump) and RTT, beside the shaping.
    Measure {
        /// Lab name or lab file.
        lab: String,
        /// Seconds of traffic per direction.
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
        /// iperf3 (default when installed) or pump (in-process TCP).
        #[arg(long, value_enum)]
        tool: Option<crate::lab::measure::Tool>,
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script.
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff).
    Man,
}

#[derive(Debug, Subcommand)]
pub enum CompatAction {
    /// Create `ifconfig`, `brctl` and `netstat` symlinks to this nslab binary. Refuses to replace a
    /// file that is not already an nslab link, unless --force.
    Install {
        /// Directory for the links.
        #[arg(default_value = crate::compat::DEFAULT_DIR)]
        dir: std::path::PathBuf,
        /// Replace existing files that are not nslab links.
        #[arg(long, conflicts_with = "system")]
        force: bool,
        /// Register the names with update-alternatives (link DIR/NAME), beside the real
        /// tools, instead of plain symlinks.
        #[arg(long)]
        system: bool,
        /// The net-tools output the links print: `classic` (1.60, as RHEL/CentOS 6 shipped
        /// it) or `modern` (2.10). Kept next to the links; `NSLAB_NETTOOLS` overrides it.
        #[arg(long, default_value = "modern", value_parser = parse_dialect)]
        dialect: crate::legacy::dialect::Dialect,
    },
    /// Remove the links that point to nslab (nothing else).
    Uninstall {
        #[arg(default_value = crate::compat::DEFAULT_DIR)]
        dir: std::path::PathBuf,
        /// Remove the update-alternatives registrations made by `install --system`.
        #[arg(long)]
        system: bool,
    },
    /// Say what `ifconfig`, `brctl` and `netstat` resolve to on PATH.
    Status,
}

/// `--dialect` values: `classic`/`1.60`, `modern`/`2.10`.
fn parse_dialect(word: &str) -> std::result::Result<crate::legacy::dialect::Dialect, String> {
    crate::legacy::dialect::Dialect::parse(word)
        .ok_or_else(|| format!("`{word}`: expected classic (1.60) or modern (2.10)"))
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

pub fn run(cli: Cli) -> Result<()> {
    crate::run::set_verbose(cli.verbose);
    crate::progress::set_quiet(cli.quiet);
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
            part,
        } => lab::up(file, dry_run, prefix, part, backend),
        Command::Down {
            lab,
            prefix,
            grace,
            json,
            part,
        } => lab::down(
            lab,
            prefix,
            Duration::from_secs_f64(grace),
            json,
            part,
            backend,
        ),
        Command::Status { json } => lab::status(json, backend),
        Command::Show { targets, json } => lab::show(targets, json, backend),
        Command::Check {
            lab,
            json,
            ping,
            timeout,
            prefix,
            part,
        } => lab::check(lab, json, ping, timeout, prefix, part, backend),
        Command::Exec {
            lab,
            all,
            no_mount,
            no_uts,
            args,
        } => exec::exec(lab, all, exec::entry_for(no_mount, no_uts), args),
        Command::Shell {
            ns,
            no_mount,
            no_uts,
        } => Err(exec::shell(&ns, exec::entry_for(no_mount, no_uts))),
        Command::Ps { lab, json, prefix } => lab::ps(lab, json, &prefix),
        Command::Logs {
            lab,
            host,
            service,
            follow,
        } => crate::lab::service::logs(&lab, &host, &service, follow),
        Command::Supervise {
            status,
            on_failure,
            argv,
        } => crate::backend::service::supervise(&status, on_failure, &argv),
        Command::Identify { pid } => {
            for name in crate::netns::identify(pid)? {
                println!("{name}");
            }
            Ok(())
        }
        Command::Demo { prefix } => lab::demo(&prefix, backend),
        Command::Graph {
            lab,
            format,
            output,
            prefix,
        } => draw::graph(lab, format, output, prefix, backend),
        Command::Capture {
            namespaces,
            all,
            name,
            output,
        } => draw::capture(namespaces, all, name, output, backend),
        Command::Compat { action } => {
            let lines = match action {
                CompatAction::Install {
                    dir,
                    system: true,
                    dialect,
                    ..
                } => {
                    let mut lines = crate::compat::install_system(&dir)?;
                    lines.push(crate::compat::set_dialect(&dir, dialect)?);
                    lines
                }
                CompatAction::Install {
                    dir,
                    force,
                    dialect,
                    ..
                } => crate::compat::install(&dir, force, dialect)?,
                CompatAction::Uninstall { system: true, dir } => {
                    let lines = crate::compat::uninstall_system()?;
                    crate::compat::set_dialect(&dir, Default::default())?;
                    lines
                }
                CompatAction::Uninstall { dir, .. } => crate::compat::uninstall(&dir)?,
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
        } => migrate::migrate(file.as_deref(), check, diff, to_lab, &vars),
        Command::Shape {
            lab,
            host,
            iface,
            values,
            clear,
            json,
        } => shape::shape(&lab, host.zip(iface), values, clear, json, backend),
        Command::Measure {
            lab,
            seconds,
            tool,
            json,
        } => shape::measure(&lab, seconds, tool, json, backend),
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

/// Entry point for the `nslab` personality.
pub fn main(args: Vec<OsString>) -> Result<()> {
    if let Some(exec) = ExecArgs::fast(&args) {
        return Err(crate::netns::exec(&exec.ns, &exec.command, exec.entry));
    }
    let cli = Cli::try_parse_from(args).map_err(|e| {
        let code = e.exit_code();
        let _ = e.print();
        Error::Legacy { code }
    })?;
    run(cli)
}
