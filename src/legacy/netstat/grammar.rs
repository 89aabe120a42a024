//! netstat's options (net-tools 2.10 `netstat.c`'s `main`): argv read with GNU getopt's rules
//! ([`crate::legacy::linux::getopt`]) into [`Opts`] exactly as net-tools folds them (`-x` is
//! the `unix` family, `-4`/`-6`/`-s` without a protocol mean every protocol, …), or the fixed
//! answer (usage, version, a getopt error) the tool prints without reading the system.

use crate::legacy::ifconfig::Outcome;
use crate::legacy::linux::getopt::{getopt_long, Item, LongOpt};
use crate::legacy::route::grammar::AFTRANS;

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
