//! Drop-in `netstat` (net-tools 2.10). Options are read by [`grammar`] into [`Opts`] exactly
//! as net-tools folds them; then one of the
//! displays runs against a [`Source`] — the live system (`/proc/net/*` text tables and
//! `/proc/PID/fd` for sockets and counters, `ip -j -s -s addr show` for `-i`, `ip -j maddr`
//! for `-g`, and for `-r` what the `route` drop-in reads, printed by its own code; all read
//! in the network namespace nslab runs in), or a recording in
//! `compat/netstat/` for the offline tests. Rendering is pure: `sockets.rs` (socket rows),
//! `stats.rs` (`-s`), `linux::nss` (service, host and user names from the files, never DNS),
//! `json.rs` (`--json`, jc's schema).

pub mod grammar;
pub mod json;
pub mod programs;
pub mod sockets;
pub mod stats;

pub use grammar::{parse, Invocation, Opts, AF_LIST, USAGE, VERSION};
pub use programs::Programs;

use crate::error::{Error, Result};
use crate::legacy::dialect::Dialect;
use crate::legacy::ifconfig::render as ifrender;
use crate::legacy::ifconfig::{Outcome, ShowArgs};
use crate::legacy::linux;
use crate::legacy::linux::nss::Names;
use crate::legacy::names::Names as HostNames;
use crate::legacy::route;
use crate::model::Snapshot;
use std::ffi::OsString;
use std::io::Write;

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
mod tests;
