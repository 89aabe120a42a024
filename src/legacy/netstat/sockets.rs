//! Socket rows: the kernel's text tables `/proc/net/{tcp,tcp6,udp,udp6,udplite,udplite6,raw,
//! raw6,unix}` (per network namespace for the reading process) turned into net-tools 2.10's
//! lines, column for column, including its filters (`-l`, `-a`), name lookups, `-e` user and
//! inode, `-p` programs and `-o` timers.

use super::{Opts, Programs};
use crate::legacy::linux;
use crate::legacy::linux::nss::Names;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The kernel's clock ticks per second as /proc/net/tcp reports timers (USER_HZ).
const CLK_TCK: f64 = 100.0;

/// The state names of `/proc/net/tcp` (`st`), index = kernel state number.
const TCP_STATES: [&str; 12] = [
    "",
    "ESTABLISHED",
    "SYN_SENT",
    "SYN_RECV",
    "FIN_WAIT1",
    "FIN_WAIT2",
    "TIME_WAIT",
    "CLOSE",
    "CLOSE_WAIT",
    "LAST_ACK",
    "LISTEN",
    "CLOSING",
];

/// Which of the inet tables a row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tcp,
    Udp,
    Raw,
}

/// One parsed line of an inet table.
#[derive(Debug, Clone, PartialEq)]
pub struct InetRow {
    pub local: IpAddrV,
    pub local_port: u16,
    pub remote: IpAddrV,
    pub remote_port: u16,
    pub state: u32,
    pub txq: u64,
    pub rxq: u64,
    pub timer: u32,
    pub when: u64,
    pub retr: u64,
    pub uid: u32,
    pub timeout: i64,
    pub inode: u64,
}

/// An address as read from the table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IpAddrV {
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

impl IpAddrV {
    fn is_null(&self) -> bool {
        match self {
            IpAddrV::V4(a) => a.is_unspecified(),
            IpAddrV::V6(a) => a.is_unspecified(),
        }
    }
}

/// The kernel prints each 32-bit word of the address in host order (`%08X`).
fn parse_addr(hex: &str) -> Option<IpAddrV> {
    let word = |s: &str| u32::from_str_radix(s, 16).ok().map(u32::to_ne_bytes);
    if hex.len() > 8 {
        if hex.len() != 32 {
            return None;
        }
        let mut b = [0u8; 16];
        for i in 0..4 {
            b[i * 4..i * 4 + 4].copy_from_slice(&word(&hex[i * 8..i * 8 + 8])?);
        }
        Some(IpAddrV::V6(Ipv6Addr::from(b)))
    } else {
        Some(IpAddrV::V4(Ipv4Addr::from(word(hex)?)))
    }
}

fn hex_pair(s: &str) -> Option<(u64, u64)> {
    let (a, b) = s.split_once(':')?;
    Some((
        u64::from_str_radix(a, 16).ok()?,
        u64::from_str_radix(b, 16).ok()?,
    ))
}

/// Parse one data line (`sl: local rem st tx:rx tr:when retr uid timeout inode …`); `None`
/// for a line net-tools calls bogus.
pub fn parse_inet_line(line: &str) -> Option<InetRow> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() < 10 || !f[0].ends_with(':') {
        return None;
    }
    let (la, lp) = f[1].split_once(':')?;
    let (ra, rp) = f[2].split_once(':')?;
    let (txq, rxq) = hex_pair(f[4])?;
    let (timer, when) = hex_pair(f[5])?;
    Some(InetRow {
        local: parse_addr(la)?,
        local_port: u16::from_str_radix(lp, 16).ok()?,
        remote: parse_addr(ra)?,
        remote_port: u16::from_str_radix(rp, 16).ok()?,
        state: u32::from_str_radix(f[3], 16).ok()?,
        txq,
        rxq,
        timer: timer as u32,
        when,
        retr: u64::from_str_radix(f[6], 16).ok()?,
        uid: f[7].parse().ok()?,
        timeout: f[8].parse().ok()?,
        inode: f[9].parse().ok()?,
    })
}

/// net-tools `addr_do_one`: `ADDR:PORT`, cut to 23 columns unless `-W` (the port keeps at
/// most 18 of them).
fn addr_port(names: &Names, o: &Opts, a: IpAddrV, port: u16, proto: &str) -> String {
    let host = match a {
        IpAddrV::V4(v) => names.inet(v, o.num_host),
        IpAddrV::V6(v) => names.inet6(v, o.num_host),
    };
    let sport = names.port(port, proto, o.num_port);
    const SHORT: usize = 22;
    if !o.wide && host.len() + sport.len() > SHORT {
        let port_len = sport.len().min(SHORT - 4);
        let addr_len = SHORT - port_len;
        format!(
            "{}:{}",
            linux::cut(&host, addr_len),
            linux::cut(&sport, port_len)
        )
    } else {
        format!("{host}:{sport}")
    }
}

/// Timers column (`-o`) as net-tools words it per table.
fn timers(kind: Kind, r: &InetRow) -> String {
    let t = r.when as f64 / CLK_TCK;
    match kind {
        Kind::Tcp => match r.timer {
            0 => format!("off (0.00/{}/{})", r.retr, r.timeout),
            1 => format!("on ({t:.2}/{}/{})", r.retr, r.timeout),
            2 => format!("keepalive ({t:.2}/{}/{})", r.retr, r.timeout),
            3 => format!("timewait ({t:.2}/{}/{})", r.retr, r.timeout),
            4 => format!("probe ({t:.2}/{}/{})", r.retr, r.timeout),
            n => format!("unkn-{n} ({t:.2}/{}/{})", r.retr, r.timeout),
        },
        // UDP and raw: net-tools zeroes the retransmit count.
        _ => match r.timer {
            0 => format!("off (0.00/0/{})", r.timeout),
            n @ (1 | 2) => format!("on{n} ({t:.2}/0/{})", r.timeout),
            n => format!("unkn-{n} ({t:.2}/0/{})", r.timeout),
        },
    }
}

/// What rendering a row needs besides the row: the options and the name tables.
pub struct Ctx<'a> {
    pub o: &'a Opts,
    pub names: &'a Names,
    pub progs: &'a Programs,
}

/// `finish_this_one`: the `-e`, `-p` and `-o` columns and the newline.
fn finish(out: &mut String, c: &Ctx<'_>, uid: u32, inode: u64, timers: &str) {
    let (o, names, progs) = (c.o, c.names, c.progs);
    if o.extend > 1 {
        match names.user(uid, o.num_user) {
            Some(u) => out.push_str(&format!(" {u:<10} ")),
            None => out.push_str(&format!(" {uid:<10} ")),
        }
        out.push_str(&format!("{inode:<10}"));
    }
    if o.programs {
        out.push_str(&format!(" {:<20}", progs.get(inode)));
    }
    if o.timers {
        out.push(' ');
        out.push_str(timers);
    }
    out.push('\n');
}

/// Render the rows of one inet table (`prot` is `tcp`, `udp6`, `raw`, `udpl` …); bogus lines
/// go to `err` as net-tools warns.
pub fn inet_rows(
    c: &Ctx<'_>,
    kind: Kind,
    prot: &str,
    text: &str,
    out: &mut String,
    err: &mut String,
) {
    let (o, names) = (c.o, c.names);
    for line in text.lines().skip(1) {
        let Some(r) = parse_inet_line(line) else {
            let what = match kind {
                Kind::Tcp => "tcp",
                Kind::Udp => "udp",
                Kind::Raw => "raw",
            };
            err.push_str(&format!("warning, got bogus {what} line.\n"));
            continue;
        };
        let shown = match kind {
            Kind::Tcp => o.all || (o.listening == (r.remote_port == 0)),
            _ => o.all || (o.listening == r.remote.is_null()),
        };
        if !shown {
            continue;
        }
        let port_proto = match kind {
            Kind::Tcp => "tcp",
            Kind::Udp => "udp",
            Kind::Raw => "raw",
        };
        let local = addr_port(names, o, r.local, r.local_port, port_proto);
        let remote = addr_port(names, o, r.remote, r.remote_port, port_proto);
        let t = if o.timers {
            timers(kind, &r)
        } else {
            String::new()
        };
        match kind {
            Kind::Tcp => {
                let state = TCP_STATES.get(r.state as usize).copied().unwrap_or("");
                out.push_str(&format!(
                    "{prot:<4}  {:>6} {:>6} {local:<23} {remote:<23} {state:<11}",
                    r.rxq, r.txq
                ));
            }
            Kind::Udp => {
                let state = match r.state {
                    1 => "ESTABLISHED",
                    7 => "",
                    _ => "UNKNOWN",
                };
                out.push_str(&format!(
                    "{prot:<5} {:>6} {:>6} {local:<23} {remote:<23} {state:<11}",
                    r.rxq, r.txq
                ));
            }
            Kind::Raw => {
                out.push_str(&format!(
                    "{prot:<4}  {:>6} {:>6} {local:<23} {remote:<23} {:<11}",
                    r.rxq, r.txq, r.state
                ));
            }
        }
        finish(out, c, r.uid, r.inode, &t);
    }
}

/// One line of `/proc/net/unix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnixRow {
    pub refcnt: u64,
    pub proto: u64,
    pub flags: u64,
    pub kind: u32,
    pub state: u32,
    pub inode: u64,
    /// The path as `%s` reads it: up to the first blank; empty when there is none.
    pub path: String,
}

/// `Num: RefCount Protocol Flags Type St Inode [Path]`.
pub fn parse_unix_line(line: &str) -> Option<UnixRow> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() < 6 || !f[0].ends_with(':') {
        return None;
    }
    let hex = |s: &str| u64::from_str_radix(s, 16).ok();
    Some(UnixRow {
        refcnt: hex(f[1])?,
        proto: hex(f[2])?,
        flags: hex(f[3])?,
        kind: hex(f[4])? as u32,
        state: hex(f[5])? as u32,
        inode: f.get(6).and_then(|s| s.parse().ok()).unwrap_or(0),
        path: f.get(7).map(|s| s.to_string()).unwrap_or_default(),
    })
}

const SO_ACCEPTCON: u64 = 1 << 16;
const SO_WAITDATA: u64 = 1 << 17;
const SO_NOSPACE: u64 = 1 << 18;

/// Render the rows of `/proc/net/unix`.
pub fn unix_rows(text: &str, o: &Opts, progs: &Programs, out: &mut String, err: &mut String) {
    let mut lines = text.lines();
    let has_inode = lines.next().is_some_and(|h| h.contains("Inode"));
    for line in lines {
        let Some(r) = parse_unix_line(line) else {
            err.push_str("warning, got bogus unix line.\n");
            continue;
        };
        let listening = r.state == 1 && r.flags & SO_ACCEPTCON != 0;
        if !o.all && listening != o.listening {
            continue;
        }
        let proto = if r.proto == 0 { "unix" } else { "??" };
        let kind = match r.kind {
            1 => "STREAM",
            2 => "DGRAM",
            3 => "RAW",
            4 => "RDM",
            5 => "SEQPACKET",
            _ => "UNKNOWN",
        };
        let state = match r.state {
            0 => "FREE",
            1 if r.flags & SO_ACCEPTCON != 0 => "LISTENING",
            1 => "",
            2 => "CONNECTING",
            3 => "CONNECTED",
            4 => "DISCONNECTING",
            _ => "UNKNOWN",
        };
        let mut flags = String::from("[ ");
        for (bit, name) in [
            (SO_ACCEPTCON, "ACC "),
            (SO_WAITDATA, "W "),
            (SO_NOSPACE, "N "),
        ] {
            if r.flags & bit != 0 {
                flags.push_str(name);
            }
        }
        flags.push(']');
        out.push_str(&format!(
            "{proto:<5} {:<6} {flags:<11} {kind:<10} {state:<13} ",
            r.refcnt
        ));
        let path = if has_inode {
            out.push_str(&format!("{:<8}", r.inode));
            r.path.clone()
        } else {
            out.push_str("-       ");
            r.inode.to_string()
        };
        if o.programs {
            let p = if has_inode { progs.get(r.inode) } else { "-" };
            out.push_str(&format!(" {p:<20}"));
        }
        out.push_str(&format!(" {path}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_host_order_words() {
        let r = parse_inet_line(
            "   0: 0100007F:0016 00000000:0000 0A 00000000:00000002 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0",
        )
        .unwrap();
        assert_eq!(r.local, IpAddrV::V4("127.0.0.1".parse().unwrap()));
        assert_eq!((r.local_port, r.state, r.rxq, r.inode), (22, 10, 2, 12345));
        let r = parse_inet_line(
            "   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0",
        )
        .unwrap();
        assert_eq!(r.local, IpAddrV::V6("::1".parse().unwrap()));
    }

    #[test]
    fn long_addresses_are_cut_to_23_columns() {
        let names = Names::default();
        let o = Opts {
            num_host: true,
            num_port: true,
            ..Opts::default()
        };
        let a = IpAddrV::V6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff".parse().unwrap());
        assert_eq!(
            addr_port(&names, &o, a, 8080, "tcp"),
            "2001:db8:aaaa:bbbb:8080"
        );
        let o = Opts { wide: true, ..o };
        assert_eq!(
            addr_port(&names, &o, a, 8080, "tcp"),
            "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff:8080"
        );
    }
}
