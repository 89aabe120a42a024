//! Drop-in `netstat` (net-tools 2.10). Options are read with GNU getopt's rules
//! ([`crate::legacy::linux::getopt`]) into [`Opts`] exactly as net-tools folds them (`-x` is the
//! `unix` family, `-4`/`-6`/`-s` without a protocol mean every protocol, …); then one of the
//! displays runs against a [`Source`] — the live system (`/proc/net/*` text tables and
//! `/proc/PID/fd` for sockets and counters, `ip -j -s -s addr show` for `-i`, `ip -j maddr`
//! for `-g`, and for `-r` what the `route` drop-in reads, printed by its own code; all read
//! in the network namespace nslab runs in), or a recording in
//! `compat/netstat/` for the offline tests. Rendering is pure: `sockets.rs` (socket rows),
//! `stats.rs` (`-s`), `linux::nss` (service, host and user names from the files, never DNS),
//! `json.rs` (`--json`, jc's schema).

pub mod json;
pub mod sockets;
pub mod stats;

use crate::error::{Error, Result};
use crate::legacy::dialect::Dialect;
use crate::legacy::ifconfig::render as ifrender;
use crate::legacy::ifconfig::{Outcome, ShowArgs};
use crate::legacy::linux;
use crate::legacy::linux::getopt::{getopt_long, Item, LongOpt};
use crate::legacy::linux::nss::Names;
use crate::legacy::names::Names as HostNames;
use crate::legacy::route;
use crate::legacy::route::grammar::AFTRANS;
use crate::model::Snapshot;
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Write;

/// Everything the options decide, as net-tools' flag variables hold it after parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opts {
    pub all: bool,
    pub listening: bool,
    pub continuous: bool,
    /// `-e` count plus one (net-tools' `flag_exp`).
    pub extend: u32,
    pub programs: bool,
    pub timers: bool,
    pub wide: bool,
    pub verbose: bool,
    pub num_host: bool,
    pub num_port: bool,
    pub num_user: bool,
    pub symbolic: bool,
    pub cache: bool,
    pub fib: bool,
    pub interfaces: bool,
    pub route: bool,
    pub masquerade: bool,
    pub statistics: bool,
    pub groups: bool,
    pub tcp: bool,
    pub sctp: bool,
    pub udp: bool,
    pub udplite: bool,
    pub raw: bool,
    pub l2cap: bool,
    pub rfcomm: bool,
    /// Address families named (`-A`, `--inet`, `-4`, `-x` …).
    pub inet: bool,
    pub inet6: bool,
    pub unix: bool,
    pub ipx: bool,
    pub ax25: bool,
    pub netrom: bool,
    pub x25: bool,
    pub rose: bool,
    pub bluetooth: bool,
    /// The families as net-tools joins them (`inet,inet6`), for `-s` and `-r`.
    pub afname: String,
    /// No protocol was named, so `-4`/`-6`/`-s` turned them all on: missing tables are quiet.
    pub noprot: bool,
    /// Some socket kind or family was named: only those are shown.
    pub arg: bool,
    /// `--json` (nslab extension): jc's `netstat` schema.
    pub json: bool,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            all: false,
            listening: false,
            continuous: false,
            extend: 1,
            programs: false,
            timers: false,
            wide: false,
            verbose: false,
            num_host: false,
            num_port: false,
            num_user: false,
            symbolic: false,
            cache: false,
            fib: false,
            interfaces: false,
            route: false,
            masquerade: false,
            statistics: false,
            groups: false,
            tcp: false,
            sctp: false,
            udp: false,
            udplite: false,
            raw: false,
            l2cap: false,
            rfcomm: false,
            inet: false,
            inet6: false,
            unix: false,
            ipx: false,
            ax25: false,
            netrom: false,
            x25: false,
            rose: false,
            bluetooth: false,
            afname: String::new(),
            noprot: false,
            arg: false,
            json: false,
        }
    }
}

/// What one command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// Decided by the options alone (usage, version, an option error): print and exit.
    Fixed(Outcome),
    /// A display; `notes` is what option parsing already wrote to stderr.
    Run { opts: Opts, notes: String },
}

/// The usage text (stdout for `-h`, stderr with rc 3 for an option error).
pub const USAGE: &str = concat!(
    "usage: netstat [-vWeenNcCF] [<Af>] -r         netstat {-V|--version|-h|--help}\n",
    "       netstat [-vWnNcaeol] [<Socket> ...]\n",
    "       netstat { [-vWeenNac] -i | [-cnNe] -M | -s [-6tuw] }\n",
    "\n",
    "        -r, --route              display routing table\n",
    "        -i, --interfaces         display interface table\n",
    "        -g, --groups             display multicast group memberships\n",
    "        -s, --statistics         display networking statistics (like SNMP)\n",
    "        -M, --masquerade         display masqueraded connections\n",
    "\n",
    "        -v, --verbose            be verbose\n",
    "        -W, --wide               don't truncate IP addresses\n",
    "        -n, --numeric            don't resolve names\n",
    "        --numeric-hosts          don't resolve host names\n",
    "        --numeric-ports          don't resolve port names\n",
    "        --numeric-users          don't resolve user names\n",
    "        -N, --symbolic           resolve hardware names\n",
    "        -e, --extend             display other/more information\n",
    "        -p, --programs           display PID/Program name for sockets\n",
    "        -o, --timers             display timers\n",
    "        -c, --continuous         continuous listing\n",
    "\n",
    "        -l, --listening          display listening server sockets\n",
    "        -a, --all                display all sockets (default: connected)\n",
    "        -F, --fib                display Forwarding Information Base (default)\n",
    "        -C, --cache              display routing cache instead of FIB\n",
    "        -Z, --context            display SELinux security context for sockets\n",
    "\n",
    "  <Socket>={-t|--tcp} {-u|--udp} {-U|--udplite} {-S|--sctp} {-w|--raw}\n",
    "           {-x|--unix} --ax25 --ipx --netrom\n",
    "  <AF>=Use '-6|-4' or '-A <af>' or '--<af>'; default: inet\n",
    "  List of possible address families (which support routing):\n",
);

/// The routable families list, which net-tools always writes to stderr.
pub const AF_LIST: &str = concat!(
    "    inet (DARPA Internet) inet6 (IPv6) ax25 (AMPR AX.25) \n",
    "    netrom (AMPR NET/ROM) rose (AMPR ROSE) ipx (Novell IPX) \n",
    "    ddp (Appletalk DDP) x25 (CCITT X.25) \n",
);

/// `netstat -V`.
pub const VERSION: &str = concat!(
    "net-tools 2.10\n",
    "Fred Baumgarten, Alan Cox, Bernd Eckenfels, Phil Blundell, Tuan Hoang, Brian Micek and others\n",
    "+NEW_ADDRT +RTF_IRTT +RTF_REJECT +FW_MASQUERADE +I18N +SELINUX\n",
    "AF: (inet) +UNIX +INET +INET6 +IPX +AX25 +NETROM +X25 +ATALK +ECONET +ROSE -BLUETOOTH\n",
    "HW:  +ETHER +ARC +SLIP +PPP +TUNNEL -TR +AX25 +NETROM +X25 +FR +ROSE +ASH +SIT +FDDI +HIPPI +HDLC/LAPB +EUI64 \n",
);

/// getopt's optstring of netstat.
const SHORTS: &str = "A:CFMacdeghilnNoprsStuUvVWw2fx64?Z";

/// `val` of the long options that name an address family (net-tools' `AFTRANS_OPTS`).
const FAMILY: char = '\u{1}';

const fn lo(name: &'static str, has_arg: bool, val: char) -> LongOpt {
    LongOpt { name, has_arg, val }
}

/// netstat's long options, in its table order (prefix matching depends on it).
const LONGS: &[LongOpt] = &[
    lo("ax25", false, FAMILY),
    lo("x25", false, FAMILY),
    lo("ip", false, FAMILY),
    lo("ipx", false, FAMILY),
    lo("appletalk", false, FAMILY),
    lo("netrom", false, FAMILY),
    lo("inet", false, FAMILY),
    lo("inet6", false, FAMILY),
    lo("ddp", false, FAMILY),
    lo("rose", false, FAMILY),
    lo("unix", false, FAMILY),
    lo("bluetooth", false, FAMILY),
    lo("tcpip", false, FAMILY),
    lo("version", false, 'V'),
    lo("interfaces", false, 'i'),
    lo("help", false, 'h'),
    lo("route", false, 'r'),
    lo("masquerade", false, 'M'),
    lo("protocol", true, 'A'),
    lo("tcp", false, 't'),
    lo("sctp", false, 'S'),
    lo("udp", false, 'u'),
    lo("udplite", false, 'U'),
    lo("raw", false, 'w'),
    lo("unix", false, 'x'),
    lo("l2cap", false, '2'),
    lo("rfcomm", false, 'f'),
    lo("listening", false, 'l'),
    lo("all", false, 'a'),
    lo("timers", false, 'o'),
    lo("continuous", false, 'c'),
    lo("extend", false, 'e'),
    lo("programs", false, 'p'),
    lo("verbose", false, 'v'),
    lo("statistics", false, 's'),
    lo("wide", false, 'W'),
    lo("numeric", false, 'n'),
    lo("numeric-hosts", false, '!'),
    lo("numeric-ports", false, '@'),
    lo("numeric-users", false, '#'),
    lo("symbolic", false, 'N'),
    lo("cache", false, 'C'),
    lo("fib", false, 'F'),
    lo("groups", false, 'g'),
    lo("context", false, 'Z'),
];

/// Only the first 12 family options are in net-tools' own count (`AFTRANS_CNT`): `--tcpip`
/// is past it and only complains.
const AFTRANS_CNT: usize = 12;

fn fixed(stdout: &str, stderr: &str, code: i32) -> Invocation {
    Invocation::Fixed(Outcome {
        stdout: stdout.into(),
        stderr: stderr.into(),
        code,
    })
}

fn usage_error(message: &str) -> Invocation {
    let mut err = String::new();
    if !message.is_empty() {
        err.push_str(message);
        err.push('\n');
    }
    err.push_str(USAGE);
    err.push_str(AF_LIST);
    fixed("", &err, 3)
}

/// net-tools `aftrans_opt`: each comma-separated alias names a family; an unknown one stops
/// the tool (rc 1).
fn aftrans(o: &mut Opts, arg: &str, notes: &mut String) -> std::result::Result<(), Invocation> {
    let arg: String = arg.chars().take(255).collect();
    for alias in arg.split(',') {
        let Some(&(_, name)) = AFTRANS.iter().find(|(a, _)| *a == alias) else {
            notes.push_str(&format!("Unknown address family `{alias}'.\n"));
            return Err(fixed("", notes, 1));
        };
        if name.len() + o.afname.len() + 1 >= 256 {
            notes.push_str("Too much address family arguments.\n");
            return Ok(());
        }
        match name {
            "inet" => o.inet = true,
            "inet6" => o.inet6 = true,
            "unix" => o.unix = true,
            "ipx" => o.ipx = true,
            "ax25" => o.ax25 = true,
            "netrom" => o.netrom = true,
            "x25" => o.x25 = true,
            "rose" => o.rose = true,
            "bluetooth" => o.bluetooth = true,
            _ => {}
        }
        if !o.afname.is_empty() {
            o.afname.push(',');
        }
        o.afname.push_str(name);
    }
    Ok(())
}

/// Parse argv (argv[0] first: getopt prefixes its messages with it).
pub fn parse(argv: &[String]) -> Invocation {
    let prog = argv.first().map(String::as_str).unwrap_or("netstat");
    let mut o = Opts::default();
    let mut notes = String::new();
    // net-tools counts -i, -r, -M and -s (each time given): more than one is a usage error.
    let mut displays = 0;
    let mut args: Vec<String> = Vec::new();
    for a in argv.iter().skip(1) {
        if a == "--json" {
            o.json = true;
        } else {
            args.push(a.clone());
        }
    }
    for item in getopt_long(prog, &args, SHORTS, LONGS, FAMILY).items {
        let c = match item {
            Item::Error(m) => return usage_error(&m),
            Item::Long(i, _) => {
                if i >= AFTRANS_CNT {
                    notes.push_str("netstat.c: Internal Error `longopts 1 range'.\n");
                } else if let Err(done) = aftrans(&mut o, LONGS[i].name, &mut notes) {
                    return done;
                }
                continue;
            }
            Item::Opt(c, arg) => {
                if c == 'A' {
                    if let Err(done) = aftrans(&mut o, arg.as_deref().unwrap_or(""), &mut notes) {
                        return done;
                    }
                    continue;
                }
                c
            }
        };
        match c {
            'M' => {
                o.masquerade = true;
                displays += 1;
            }
            'a' => o.all = true,
            'l' => o.listening = true,
            'c' => o.continuous = true,
            'd' => {}
            'g' => o.groups = true,
            'e' => o.extend += 1,
            'p' => o.programs = true,
            'i' => {
                o.interfaces = true;
                displays += 1;
            }
            'W' => o.wide = true,
            'n' => {
                o.num_host = true;
                o.num_port = true;
                o.num_user = true;
            }
            '!' => o.num_host = true,
            '@' => o.num_port = true,
            '#' => o.num_user = true,
            'N' => o.symbolic = true,
            'C' => o.cache = true,
            'F' => o.fib = true,
            'o' => o.timers = true,
            '6' | '4' => {
                let fam = if c == '6' { "inet6" } else { "inet" };
                if let Err(done) = aftrans(&mut o, fam, &mut notes) {
                    return done;
                }
            }
            'V' => return fixed(VERSION, &notes, 0),
            'v' => o.verbose = true,
            'r' => {
                o.route = true;
                displays += 1;
            }
            't' => o.tcp = true,
            'S' => o.sctp = true,
            'u' => o.udp = true,
            'U' => o.udplite = true,
            'w' => o.raw = true,
            '2' => o.l2cap = true,
            'f' => o.rfcomm = true,
            'x' => {
                if let Err(done) = aftrans(&mut o, "unix", &mut notes) {
                    return done;
                }
            }
            'Z' => {
                notes.push_str("SELinux is not enabled on this machine.\n");
                return fixed("", &notes, 1);
            }
            '?' => {
                notes.push_str(USAGE);
                notes.push_str(AF_LIST);
                return fixed("", &notes, 3);
            }
            'h' => return fixed(USAGE, &format!("{notes}{AF_LIST}"), 0),
            's' => {
                o.statistics = true;
                displays += 1;
            }
            _ => {}
        }
    }
    if displays > 1 {
        notes.push_str(USAGE);
        notes.push_str(AF_LIST);
        return fixed("", &notes, 3);
    }
    let any_proto = o.tcp || o.sctp || o.udp || o.udplite || o.raw;
    if (o.inet || o.inet6 || o.statistics) && !any_proto {
        o.noprot = true;
        o.tcp = true;
        o.sctp = true;
        o.udp = true;
        o.udplite = true;
        o.raw = true;
    }
    if (o.tcp || o.sctp || o.udp || o.udplite || o.raw || o.groups) && !(o.inet || o.inet6) {
        o.inet = true;
        o.inet6 = true;
    }
    if o.bluetooth && !(o.l2cap || o.rfcomm) {
        o.l2cap = true;
        o.rfcomm = true;
    }
    o.arg = o.tcp
        || o.sctp
        || o.udplite
        || o.udp
        || o.raw
        || o.unix
        || o.ipx
        || o.ax25
        || o.netrom
        || o.groups
        || o.x25
        || o.rose
        || o.l2cap
        || o.rfcomm;
    Invocation::Run { opts: o, notes }
}

/// Socket inode → `PID/program` as `-p` shows it (first process in /proc order wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Programs {
    pub by_inode: HashMap<u64, String>,
    /// Some `/proc/PID/fd` could not be read (not root).
    pub denied: bool,
    pub euid: u32,
}

impl Programs {
    pub fn get(&self, inode: u64) -> &str {
        self.by_inode.get(&inode).map(String::as_str).unwrap_or("-")
    }

    /// What net-tools says on stderr after loading.
    fn note(&self) -> String {
        if !self.denied {
            String::new()
        } else if self.by_inode.is_empty() {
            format!(
                "(No info could be read for \"-p\": geteuid()={} but you should be root.)\n",
                self.euid
            )
        } else {
            "(Not all processes could be identified, non-owned process info\n will not be shown, you would have to be root to see it all.)\n".into()
        }
    }

    /// Parse the `inode PID/name` lines of a recording.
    pub fn from_text(text: &str) -> Programs {
        let mut p = Programs::default();
        for line in text.lines() {
            if let Some((inode, name)) = line.split_once(' ') {
                if let Ok(i) = inode.parse() {
                    p.by_inode.insert(i, name.to_string());
                }
            }
        }
        p
    }

    /// Read every `/proc/PID/fd/*` link the way net-tools does.
    pub fn load() -> Programs {
        use std::os::unix::ffi::OsStrExt;
        let mut p = Programs {
            euid: std::fs::metadata("/proc/self")
                .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
                .unwrap_or(0),
            ..Programs::default()
        };
        let Ok(procs) = std::fs::read_dir("/proc") else {
            p.denied = true;
            return p;
        };
        for entry in procs.flatten() {
            let pid = entry.file_name();
            let pid = pid.to_string_lossy();
            if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let fds = match std::fs::read_dir(entry.path().join("fd")) {
                Ok(f) => f,
                Err(e) => {
                    if e.kind() == std::io::ErrorKind::PermissionDenied {
                        p.denied = true;
                    }
                    continue;
                }
            };
            let mut cmd: Option<String> = None;
            for fd in fds.flatten() {
                if !fd
                    .file_name()
                    .as_bytes()
                    .first()
                    .is_some_and(u8::is_ascii_digit)
                {
                    continue;
                }
                let Ok(link) = std::fs::read_link(fd.path()) else {
                    continue;
                };
                let link = link.as_os_str().as_bytes();
                if link.len() > 29 {
                    continue;
                }
                let Some(inode) = socket_inode(&String::from_utf8_lossy(link)) else {
                    continue;
                };
                if cmd.is_none() {
                    let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
                        continue;
                    };
                    cmd = Some(program_name(&raw));
                }
                let name = format!("{pid}/{}", cmd.as_deref().unwrap_or(""));
                p.by_inode
                    .entry(inode)
                    .or_insert_with(|| linux::cut(&name, 19));
            }
        }
        p
    }
}

/// `socket:[N]` or the old `[0000]:N`.
fn socket_inode(link: &str) -> Option<u64> {
    let n = if let Some(rest) = link.strip_prefix("socket:[") {
        rest.strip_suffix(']')?
    } else {
        link.strip_prefix("[0000]:")?
    };
    n.parse().ok()
}

/// argv[0] of a `cmdline` (first 511 bytes), its basename when it is an absolute path.
fn program_name(raw: &[u8]) -> String {
    let raw = &raw[..raw.len().min(511)];
    let argv0 = raw.split(|b| *b == 0).next().unwrap_or(&[]);
    let argv0 = String::from_utf8_lossy(argv0).into_owned();
    if argv0.starts_with('/') {
        argv0.rsplit('/').next().unwrap_or("").to_string()
    } else {
        argv0
    }
}

/// Where a display reads the system from.
pub trait Source {
    /// The text of a file (`/proc/net/tcp`, `/etc/services` …); `None` if it does not exist.
    fn read(&mut self, path: &str) -> Option<String>;
    /// The socket owners (`-p`).
    fn programs(&mut self) -> Programs;
    /// `ip -j -s -s addr show` and `/proc/net/if_inet6` (`-i`).
    fn interfaces(&mut self) -> Result<(Snapshot, String)>;
    /// `ip -j maddr` (`-g`).
    fn maddr(&mut self) -> Result<String>;
    /// What `route` reads for its tables (`-r`): `ip -j route show table all` and
    /// `/proc/net/ipv6_route`, with the names given.
    fn routes(&mut self, names: HostNames) -> Result<route::State>;
    /// `-c`: wait a second before the next listing; `false` ends the run.
    fn pause(&mut self) -> bool;
}

/// The live system, in the namespace nslab runs in.
pub struct Live;

impl Source for Live {
    fn read(&mut self, path: &str) -> Option<String> {
        std::fs::read_to_string(path).ok()
    }
    fn programs(&mut self) -> Programs {
        Programs::load()
    }
    fn interfaces(&mut self) -> Result<(Snapshot, String)> {
        use crate::backend::Backend;
        let snap = crate::backend::Iproute2.addr_snapshot(None)?;
        Ok((snap, crate::legacy::ifconfig::show::read_if_inet6()))
    }
    fn maddr(&mut self) -> Result<String> {
        Ok(crate::run::Cmd::ip(None, &["-j", "maddr"]).run()?.stdout)
    }
    fn routes(&mut self, names: HostNames) -> Result<route::State> {
        route::read_state(&mut crate::backend::Iproute2, names)
    }
    fn pause(&mut self) -> bool {
        std::thread::sleep(std::time::Duration::from_secs(1));
        true
    }
}

/// One listing's output.
#[derive(Default)]
struct Out {
    out: String,
    err: String,
}

/// What net-tools says when a table a named family needs is missing.
fn esysnot(name: &str) -> String {
    format!("netstat: no support for `{name}' on this system.\n")
}

/// One pair of inet tables (`INFO_GUTS6`): the IPv4 file, the IPv6 file, net-tools' name for
/// the family, the row kind, and the protocol column of each.
struct InetTable {
    files: (&'static str, &'static str),
    name: &'static str,
    kind: sockets::Kind,
    prots: (&'static str, &'static str),
}

const TCP: InetTable = InetTable {
    files: ("/proc/net/tcp", "/proc/net/tcp6"),
    name: "AF INET (tcp)",
    kind: sockets::Kind::Tcp,
    prots: ("tcp", "tcp6"),
};
const UDP: InetTable = InetTable {
    files: ("/proc/net/udp", "/proc/net/udp6"),
    name: "AF INET (udp)",
    kind: sockets::Kind::Udp,
    prots: ("udp", "udp6"),
};
const UDPLITE: InetTable = InetTable {
    files: ("/proc/net/udplite", "/proc/net/udplite6"),
    name: "AF INET (udplite)",
    kind: sockets::Kind::Udp,
    prots: ("udpl", "udpl6"),
};
const RAW: InetTable = InetTable {
    files: ("/proc/net/raw", "/proc/net/raw6"),
    name: "AF INET (raw)",
    kind: sockets::Kind::Raw,
    prots: ("raw", "raw6"),
};

/// Render a pair: the IPv4 table when inet is on (or nothing was named), then the IPv6 one.
/// Returns net-tools' rc (1: a named table is missing).
fn inet_pair(src: &mut dyn Source, c: &sockets::Ctx<'_>, out: &mut Out, t: &InetTable) -> i32 {
    let o = c.o;
    let mut rc = 0;
    if !o.arg || o.inet {
        match src.read(t.files.0) {
            None => {
                if !o.noprot && (o.arg || o.verbose) {
                    out.err.push_str(&esysnot(t.name));
                }
                if !o.noprot && o.arg {
                    rc = 1;
                }
            }
            Some(text) => {
                sockets::inet_rows(c, t.kind, t.prots.0, &text, &mut out.out, &mut out.err)
            }
        }
    }
    if !o.arg || o.inet6 {
        if let Some(text) = src.read(t.files.1) {
            sockets::inet_rows(c, t.kind, t.prots.1, &text, &mut out.out, &mut out.err);
        }
    }
    rc
}

fn connections_title(o: &Opts) -> &'static str {
    if o.all {
        "(servers and established)"
    } else if o.listening {
        "(only servers)"
    } else {
        "(w/o servers)"
    }
}

/// The optional family tables net-tools knows and this kernel may lack (`-v` names them).
fn other_family(
    src: &mut dyn Source,
    on: bool,
    o: &Opts,
    paths: &[&str],
    name: &str,
    out: &mut Out,
) -> i32 {
    if !on && o.arg {
        return 0;
    }
    if paths.iter().any(|p| src.read(p).is_some()) {
        // The kernel has the family: net-tools would list its sockets; nslab shows none.
        return 0;
    }
    if o.arg || o.verbose {
        out.err.push_str(&esysnot(name));
    }
    i32::from(o.arg)
}

/// SCTP endpoints (`-l`, `-a`) and associations (not `-l`): net-tools' messages and rc when
/// the kernel has no SCTP. nslab does not render SCTP rows (a kernel with SCTP loaded lists
/// none here).
fn sctp(src: &mut dyn Source, o: &Opts, out: &mut Out) -> i32 {
    let mut parts = Vec::new();
    if o.all || o.listening {
        parts.push("/proc/net/sctp/eps");
    }
    if o.all || !o.listening {
        parts.push("/proc/net/sctp/assocs");
    }
    for v4 in parts {
        if (!o.arg || o.inet) && src.read(v4).is_none() {
            if !o.noprot && (o.arg || o.verbose) {
                out.err.push_str(&esysnot("AF INET (sctp)"));
            }
            if !o.noprot && o.arg {
                return 1;
            }
        }
    }
    0
}

/// One socket listing (`netstat [-tuwx…]`); returns net-tools' rc.
fn sockets_once(src: &mut dyn Source, o: &Opts, names: &Names, out: &mut Out) -> i32 {
    let needs_progs = o.programs;
    let progs = if needs_progs {
        src.programs()
    } else {
        Programs::default()
    };
    let ctx = sockets::Ctx {
        o,
        names,
        progs: &progs,
    };
    let inet_any = o.tcp || o.sctp || o.udp || o.udplite || o.raw;
    let mut loaded = false;
    if !o.arg || inet_any {
        if needs_progs {
            out.err.push_str(&progs.note());
            loaded = true;
        }
        out.out.push_str("Active Internet connections ");
        out.out.push_str(connections_title(o));
        out.out.push_str(
            "\nProto Recv-Q Send-Q Local Address           Foreign Address         State      ",
        );
        if o.extend > 1 {
            out.out.push_str(" User       Inode     ");
        }
        if o.programs {
            out.out.push_str(&format!(" {:<20}", "PID/Program name"));
        }
        if o.timers {
            out.out.push_str(" Timer");
        }
        out.out.push('\n');
    }
    if (!o.arg || o.tcp) && inet_pair(src, &ctx, out, &TCP) != 0 {
        return 1;
    }
    if (!o.arg || o.sctp) && sctp(src, o, out) != 0 {
        return 1;
    }
    for (on, table) in [(o.udp, &UDP), (o.udplite, &UDPLITE), (o.raw, &RAW)] {
        if (!o.arg || on) && inet_pair(src, &ctx, out, table) != 0 {
            return 1;
        }
    }
    if o.groups {
        out.out.push_str("IPv6/IPv4 Group Memberships\nInterface       RefCnt Group\n--------------- ------ ---------------------\n");
        match src.maddr() {
            Ok(text) => groups(&text, o, names, out),
            Err(e) => {
                out.err.push_str(&format!("nslab: {e}\n"));
                return 1;
            }
        }
    }
    if !o.arg || o.unix {
        if needs_progs && !loaded {
            out.err.push_str(&progs.note());
        }
        out.out.push_str("Active UNIX domain sockets ");
        out.out.push_str(connections_title(o));
        out.out
            .push_str("\nProto RefCnt Flags       Type       State         I-Node  ");
        if o.programs {
            out.out.push_str(&format!(" {:<20}", "PID/Program name"));
        }
        out.out.push_str(" Path\n");
        match src.read("/proc/net/unix") {
            Some(t) => sockets::unix_rows(&t, o, &progs, &mut out.out, &mut out.err),
            None => {
                if o.arg || o.verbose {
                    out.err.push_str(&esysnot("AF UNIX"));
                }
                if o.arg {
                    return 1;
                }
            }
        }
    }
    let families: [(bool, &[&str], &str); 5] = [
        (o.ipx, &["/proc/net/ipx/socket", "/proc/net/ipx"], "AF IPX"),
        (o.ax25, &["/proc/net/ax25"], "AF AX25"),
        (o.x25, &["/proc/net/x25"], "AF X25"),
        (o.netrom, &["/proc/net/nr"], "AF NETROM"),
        (o.rose, &["/proc/net/rose"], "AF ROSE"),
    ];
    for (on, paths, name) in families {
        let rc = other_family(src, on, o, paths, name, out);
        if rc != 0 {
            return rc;
        }
    }
    if o.arg && (o.l2cap || o.rfcomm) {
        out.err.push_str("netstat: feature `AF BLUETOOTH' not supported.\nPlease recompile `net-tools' with newer kernel source or full configuration.\n");
        return 1;
    }
    0
}

/// `-g`: IPv4 memberships of every device, then IPv6 ones, from `ip -j maddr`.
fn groups(text: &str, o: &Opts, names: &Names, out: &mut Out) {
    let devs: Vec<serde_json::Value> = serde_json::from_str(text.trim()).unwrap_or_default();
    let show = |fam: &str, out: &mut Out| {
        for d in &devs {
            let dev = d["ifname"].as_str().unwrap_or("");
            let dev = linux::ifname(dev);
            for m in d["maddr"].as_array().into_iter().flatten() {
                if m["family"].as_str() != Some(fam) {
                    continue;
                }
                let users = m["users"].as_u64().unwrap_or(1);
                let Some(addr) = m["address"].as_str() else {
                    continue;
                };
                let shown = match fam {
                    "inet" => addr.parse().map(|a| names.inet(a, o.num_host)),
                    _ => addr.parse().map(|a| names.inet6(a, o.num_host)),
                };
                let shown = shown.unwrap_or_else(|_| addr.to_string());
                out.out.push_str(&format!("{dev:<15} {users:<6} {shown}\n"));
            }
        }
    };
    if o.inet {
        show("inet", out);
    }
    if o.inet6 {
        show("inet6", out);
    }
}

/// The short table header of `netstat -i` (wider than `ifconfig -s`'s).
const IFACE_HEADER: &str =
    "Iface             MTU    RX-OK RX-ERR RX-DRP RX-OVR    TX-OK TX-ERR TX-DRP TX-OVR Flg\n";

fn interfaces_once(src: &mut dyn Source, o: &Opts, first: bool, out: &mut Out) -> Result<i32> {
    let (snap, if_inet6) = src.interfaces()?;
    if first {
        out.out.push_str("Kernel Interface table\n");
    }
    let req = ShowArgs {
        all: o.all,
        short: o.extend < 2,
        ..ShowArgs::default()
    };
    let inet6 = ifrender::parse_if_inet6(&if_inet6);
    // netstat is net-tools 2.10's only.
    let d = crate::legacy::dialect::Dialect::Modern;
    let (entries, failed) = ifrender::selected(&req, &snap, d);
    if req.short {
        out.out.push_str(IFACE_HEADER);
    }
    for e in &entries {
        if req.short {
            out.out.push_str(&ifrender::short_row(e, d));
        } else {
            out.out.push_str(&ifrender::long_block(e, &inet6, d));
        }
    }
    if let Some(name) = failed {
        out.err.push_str(&ifrender::not_found(&name));
        out.err
            .push_str("missing interface information: No such device\n");
        return Ok(1);
    }
    Ok(0)
}

fn statistics(src: &mut dyn Source, o: &Opts, out: &mut Out) -> i32 {
    let afname = if o.afname.is_empty() {
        "inet"
    } else {
        o.afname.as_str()
    };
    let shown = stats::Shown {
        raw: o.raw,
        tcp: o.tcp,
        udp: o.udp,
        sctp: o.sctp,
    };
    let (text, err) = match afname {
        "inet" => stats::inet(
            src.read("/proc/net/snmp").as_deref(),
            src.read("/proc/net/netstat").as_deref(),
            src.read("/proc/net/sctp/snmp").as_deref(),
            shown,
        ),
        "inet6" => stats::inet6(
            src.read("/proc/net/snmp6").as_deref(),
            src.read("/proc/net/snmp").as_deref(),
            shown,
        ),
        other => {
            out.out.push_str(&format!(
                "netstat: No statistics support for specified address family: {other}\n"
            ));
            return 1;
        }
    };
    out.out.push_str(&text);
    out.err.push_str(&err);
    0
}

/// `netstat -r` is `route_info` with netstat's flags (`netstat.c`): `-e` swaps the first two
/// layouts (so plain `-r` is route's `-e` table and `-re` route's default one), `-n`,
/// `--numeric-hosts` and `-N` print numbers, `-C`/`-F` choose the tables (the FIB when
/// neither), the families are `-A`'s list (inet when none).
pub fn route_opts(o: &Opts) -> route::Opts {
    let ext = match o.extend {
        1 => 2,
        2 => 1,
        e => e,
    };
    let families: Vec<String> = o
        .afname
        .split(',')
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .collect();
    route::Opts {
        numeric: o.num_host || o.symbolic,
        ext: (ext & 3) as u8,
        verbose: o.verbose,
        fib: o.fib || !o.cache,
        cache: o.cache,
        families: if families.is_empty() {
            vec!["inet".into()]
        } else {
            families
        },
        json: false,
    }
}

/// Run a parsed display against `src`, writing as it goes (each `-c` listing is flushed).
pub fn run(o: &Opts, src: &mut dyn Source, w: &mut dyn Write, e: &mut dyn Write) -> Result<i32> {
    let io = |x| Error::io("<stdout>", x);
    let emit = |out: Out, w: &mut dyn Write, e: &mut dyn Write, json: bool| -> Result<()> {
        if json {
            let v =
                json::parse(&out.out).map_err(|m| Error::Usage(format!("netstat --json: {m}")))?;
            writeln!(w, "{v}").map_err(io)?;
        } else {
            w.write_all(out.out.as_bytes()).map_err(io)?;
        }
        w.flush().map_err(io)?;
        e.write_all(out.err.as_bytes()).map_err(io)?;
        Ok(())
    };
    if o.masquerade {
        let mut out = Out::default();
        out.err.push_str(&esysnot("ip_masquerade"));
        emit(out, w, e, false)?;
        return Ok(1);
    }
    if o.statistics {
        let mut out = Out::default();
        let rc = statistics(src, o, &mut out);
        emit(out, w, e, o.json)?;
        return Ok(rc);
    }
    if o.route {
        let ro = route_opts(o);
        let names = {
            let mut r = |p: &str| src.read(p).unwrap_or_default();
            HostNames::parse(&r("/etc/hosts"), &r("/etc/networks"))
        };
        loop {
            let st = route::state_for(&ro, || src.routes(names.clone()))?;
            let shown = route::show(Dialect::Modern, &ro, &st);
            let out = Out {
                out: shown.stdout,
                err: shown.stderr,
            };
            emit(out, w, e, o.json)?;
            if !o.continuous || shown.code != 0 || !src.pause() {
                return Ok(shown.code);
            }
        }
    }
    let names = if o.interfaces {
        Names::default()
    } else {
        let r = |src: &mut dyn Source, p: &str| src.read(p).unwrap_or_default();
        Names::new(
            &r(src, "/etc/services"),
            &r(src, "/etc/protocols"),
            &r(src, "/etc/hosts"),
            &r(src, "/etc/networks"),
            &r(src, "/etc/passwd"),
        )
    };
    let mut first = true;
    loop {
        let mut out = Out::default();
        let rc = if o.interfaces {
            interfaces_once(src, o, first, &mut out)?
        } else {
            sockets_once(src, o, &names, &mut out)
        };
        emit(out, w, e, o.json)?;
        first = false;
        if !o.continuous || rc != 0 || !src.pause() {
            return Ok(rc);
        }
    }
}

/// A recording: the files of one kernel state, as `compat/record-netstat.sh` saved them
/// (`proc_net_tcp` for `/proc/net/tcp`, `etc_services` …, `programs`, `addr.json`,
/// `if_inet6`, `maddr.json`).
pub struct Recorded {
    pub dir: std::path::PathBuf,
    /// How many listings `-c` prints before stopping.
    pub listings: usize,
}

impl Recorded {
    fn file(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.join(name)).ok()
    }
}

impl Source for Recorded {
    fn read(&mut self, path: &str) -> Option<String> {
        self.file(&path.trim_start_matches('/').replace('/', "_"))
    }
    fn programs(&mut self) -> Programs {
        Programs::from_text(&self.file("programs").unwrap_or_default())
    }
    fn interfaces(&mut self) -> Result<(Snapshot, String)> {
        let text = self.file("addr.json").unwrap_or_default();
        let docs = crate::backend::ipjson::documents("addr.json", &text)?;
        let snap = crate::backend::ipjson::snapshot_from(None, docs)?;
        Ok((snap, self.file("if_inet6").unwrap_or_default()))
    }
    fn maddr(&mut self) -> Result<String> {
        Ok(self.file("maddr.json").unwrap_or_default())
    }
    fn routes(&mut self, names: HostNames) -> Result<route::State> {
        let text = self.file("route.json").unwrap_or_default();
        let mut docs = crate::backend::ipjson::documents("route.json", &text)?;
        // `snapshot_from` reads `addr show` first: no links here, only the routes.
        docs.insert(0, serde_json::Value::Array(vec![]));
        Ok(route::State {
            snap: crate::backend::ipjson::snapshot_from(None, docs)?,
            ipv6_route: self.read("/proc/net/ipv6_route").unwrap_or_default(),
            names,
        })
    }
    fn pause(&mut self) -> bool {
        self.listings = self.listings.saturating_sub(1);
        self.listings > 0
    }
}

/// The pure path the offline tests use: argv (argv[0] first) and a recording in, what
/// netstat prints out.
pub fn offline(argv: &[String], src: &mut dyn Source) -> Outcome {
    match parse(argv) {
        Invocation::Fixed(o) => o,
        Invocation::Run { opts, notes } => {
            let mut w = Vec::new();
            let mut e = notes.into_bytes();
            let code = match run(&opts, src, &mut w, &mut e) {
                Ok(c) => c,
                Err(err) => {
                    e.extend_from_slice(format!("nslab: {err}\n").as_bytes());
                    err.exit_code()
                }
            };
            Outcome {
                stdout: String::from_utf8_lossy(&w).into_owned(),
                stderr: String::from_utf8_lossy(&e).into_owned(),
                code,
            }
        }
    }
}

/// The `netstat` personality.
pub fn main(args: Vec<OsString>) -> Result<()> {
    let argv: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    let io = |x| Error::io("<stdout>", x);
    let code = match parse(&argv) {
        Invocation::Fixed(o) => {
            out.write_all(o.stdout.as_bytes()).map_err(io)?;
            out.flush().map_err(io)?;
            err.write_all(o.stderr.as_bytes()).map_err(io)?;
            o.code
        }
        Invocation::Run { opts, notes } => {
            err.write_all(notes.as_bytes()).map_err(io)?;
            run(&opts, &mut Live, &mut out, &mut err)?
        }
    };
    match code {
        0 => Ok(()),
        code => Err(Error::Legacy { code }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(words: &[&str]) -> Opts {
        let mut argv = vec!["netstat".to_string()];
        argv.extend(words.iter().map(|w| w.to_string()));
        match parse(&argv) {
            Invocation::Run { opts, .. } => opts,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn families_turn_protocols_on_like_net_tools() {
        let o = opts(&["-x", "-6"]);
        assert!(o.tcp && o.udp && o.raw && o.noprot && o.inet6 && !o.inet && o.unix);
        let o = opts(&["-t"]);
        assert!(o.inet && o.inet6 && o.arg && !o.unix);
        let o = opts(&["--ip"]);
        assert!(o.inet && o.tcp && !o.unix);
        assert!(!opts(&[]).arg);
    }

    #[test]
    fn option_errors_and_fixed_answers() {
        let p = |w: &[&str]| {
            let mut argv = vec!["netstat".to_string()];
            argv.extend(w.iter().map(|s| s.to_string()));
            match parse(&argv) {
                Invocation::Fixed(o) => (o.code, o.stderr.lines().next().unwrap_or("").to_string()),
                _ => (-1, String::new()),
            }
        };
        assert_eq!(
            p(&["--bogus"]),
            (3, "netstat: unrecognized option '--bogus'".into())
        );
        assert_eq!(
            p(&["-A", "foo"]),
            (1, "Unknown address family `foo'.".into())
        );
        assert_eq!(p(&["-r", "-i"]).0, 3);
        assert_eq!(p(&["-i", "--interfaces"]).0, 3);
        assert_eq!(
            p(&["-Z"]),
            (1, "SELinux is not enabled on this machine.".into())
        );
        assert_eq!(p(&["-V"]).0, 0);
    }

    #[test]
    fn program_names_are_argv0_basenames() {
        assert_eq!(program_name(b"/usr/sbin/sshd\0-D\0"), "sshd");
        assert_eq!(program_name(b"python3\0-m\0http.server\0"), "python3");
        assert_eq!(socket_inode("socket:[123]"), Some(123));
        assert_eq!(socket_inode("pipe:[123]"), None);
    }
}
