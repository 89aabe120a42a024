//! nslab's own command line (clap derive) and what each command does.

use crate::backend::{Backend, Iproute2, Script};
use crate::error::{Error, Result};
use crate::lab::apply::{self, Down, State};
use crate::lab::check::{self, Prober};
use crate::lab::plan::plan_up;
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
    /// Run a command inside a namespace, like `ip netns exec NS CMD…`.
    Exec {
        /// Namespace name.
        ns: String,
        /// Only join the network namespace (like `nsenter --net`): faster, but /sys and /etc
        /// stay the host's.
        #[arg(long)]
        no_mount: bool,
        /// The command and its arguments.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
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
                return script.apply(&plan_up(&lab));
            }
            apply::up(&lab, file.as_deref(), backend)?;
            eprintln!("lab `{}` is up: {} hosts", lab.name, lab.hosts.len());
            Ok(())
        }
        Command::Down { lab, prefix } => {
            let name = match lab.as_deref() {
                Some(a) => apply::lab_name_of(a, &prefix)?,
                None => format!("{prefix}{}", Lab::default_lab().name),
            };
            match apply::down(&name, backend)? {
                Down::Removed => eprintln!("lab `{name}` is down"),
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
            ns,
            no_mount,
            command,
        } => {
            let entry = if no_mount {
                netns::Entry::NetOnly
            } else {
                netns::Entry::Full
            };
            Err(netns::exec(&ns, &command, entry))
        }
        Command::Demo { prefix } => demo(&prefix, backend),
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
    let downed = apply::down(&lab.name, backend);
    result?;
    downed?;
    println!("demo done: everything removed");
    Ok(())
}

/// Entry point for the `nslab` personality.
pub fn main(args: Vec<OsString>) -> Result<()> {
    let cli = Cli::try_parse_from(args).map_err(|e| {
        let code = e.exit_code();
        let _ = e.print();
        Error::Legacy { code }
    })?;
    run(cli)
}
