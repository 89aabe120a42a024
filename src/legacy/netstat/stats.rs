//! `netstat -s`: the kernel's counters (`/proc/net/snmp`, `/proc/net/netstat`, and for
//! `-6` `/proc/net/snmp6`) with net-tools 2.10's sentences.
//!
//! net-tools finds a counter's sentence with `bsearch` over tables that are not all in
//! `strcmp` order, so some counters are never found and fall back to `Name: value` (printed
//! only when non-zero) — `Forwarding: 2` is one. To print what it prints, the lookup below is
//! glibc's `bsearch` over the tables in net-tools' order, not a map.

/// How a counter is printed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ty {
    /// Always, with the sentence.
    Num,
    /// Only when non-zero.
    Opt,
    /// Static configuration (never printed: net-tools has no switch for it).
    Static,
    /// Part of the ICMP input / output histogram (titled, only when non-zero).
    In,
    Out,
}

/// Indentation state of the printer (net-tools' `state`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum St {
    Normal,
    In,
    Out,
}

impl St {
    fn indent(self) -> usize {
        match self {
            St::Normal => 4,
            St::In | St::Out => 8,
        }
    }
}

use crate::legacy::linux::ENOENT;

type Table = &'static [(&'static str, &'static str, Ty)];

use Ty::*;

const IP: Table = &[
    ("DefaultTTL", "Default TTL is %", Static),
    ("Forwarding", "Forwarding is %", Static),
    ("ForwDatagrams", "% forwarded", Num),
    ("FragCreates", "% fragments created", Opt),
    ("FragFails", "% outgoing packets failed fragmentation", Opt),
    ("FragOKs", "% outgoing packets fragmented ok", Opt),
    ("InAddrErrors", "% with invalid addresses", Opt),
    ("InDelivers", "% incoming packets delivered", Num),
    ("InDiscards", "% incoming packets discarded", Num),
    ("InHdrErrors", "% with invalid headers", Opt),
    ("InReceives", "% total packets received", Num),
    ("InUnknownProtos", "% with unknown protocol", Opt),
    ("OutDiscards", "% outgoing packets dropped", Opt),
    ("OutNoRoutes", "% dropped because of missing route", Opt),
    ("OutRequests", "% requests sent out", Num),
    ("ReasmFails", "% packet reassemblies failed", Opt),
    ("ReasmOKs", "% packets reassembled ok", Opt),
    ("ReasmReqds", "% reassemblies required", Opt),
    ("ReasmTimeout", "% fragments dropped after timeout", Opt),
];

const IP6: Table = &[
    ("Ip6FragCreates", "% fragments created", Opt),
    (
        "Ip6FragFails",
        "% outgoing packets failed fragmentation",
        Opt,
    ),
    ("Ip6FragOKs", "% outgoing packets fragmented ok", Opt),
    ("Ip6InAddrErrors", "% with invalid addresses", Opt),
    ("Ip6InDelivers", "% incoming packets delivered", Num),
    ("Ip6InDiscards", "% incoming packets discarded", Num),
    ("Ip6InHdrErrors", "% with invalid headers", Opt),
    ("Ip6InMcastPkts", "% incoming multicast packets", Opt),
    ("Ip6InNoRoutes", "% incoming packets with no route", Opt),
    ("Ip6InReceives", "% total packets received", Num),
    ("Ip6InTooBigErrors", "% with packets too big", Opt),
    ("Ip6InTruncatedPkts", "% with truncated packets", Opt),
    ("Ip6InUnknownProtos", "% with unknown protocol", Opt),
    ("Ip6OutDiscards", "% outgoing packets dropped", Opt),
    ("Ip6OutForwDatagrams", "% forwarded", Num),
    ("Ip6OutMcastPkts", "% outgoing multicast packets", Opt),
    ("Ip6OutNoRoutes", "% dropped because of missing route", Opt),
    ("Ip6OutRequests", "% requests sent out", Num),
    ("Ip6ReasmFails", "% packet reassemblies failed", Opt),
    ("Ip6ReasmOKs", "% packets reassembled ok", Opt),
    ("Ip6ReasmReqds", "% reassemblies required", Opt),
    ("Ip6ReasmTimeout", "% fragments dropped after timeout", Opt),
];

const ICMP: Table = &[
    ("InAddrMaskReps", "address mask replies: %", In),
    ("InAddrMasks", "address mask request: %", In),
    ("InDestUnreachs", "destination unreachable: %", In),
    ("InEchoReps", "echo replies: %", In),
    ("InEchos", "echo requests: %", In),
    ("InErrors", "% input ICMP message failed", Num),
    ("InMsgs", "% ICMP messages received", Num),
    ("InParmProbs", "wrong parameters: %", In),
    ("InRedirects", "redirects: %", In),
    ("InSrcQuenchs", "source quenches: %", In),
    ("InTimeExcds", "timeout in transit: %", In),
    ("InTimestampReps", "timestamp reply: %", In),
    ("InTimestamps", "timestamp request: %", In),
    ("OutAddrMaskReps", "address mask replies: %", Out),
    ("OutAddrMasks", "address mask requests: %", Out),
    ("OutDestUnreachs", "destination unreachable: %", Out),
    ("OutEchoReps", "echo replies: %", Out),
    ("OutEchos", "echo requests: %", Out),
    ("OutErrors", "% ICMP messages failed", Num),
    ("OutMsgs", "% ICMP messages sent", Num),
    ("OutParmProbs", "wrong parameters: %", Out),
    ("OutRedirects", "redirect: %", Out),
    ("OutSrcQuenchs", "source quench: %", Out),
    ("OutTimeExcds", "time exceeded: %", Out),
    ("OutTimestampReps", "timestamp replies: %", Out),
    ("OutTimestamps", "timestamp requests: %", Out),
];

const ICMP6: Table = &[
    ("Icmp6InDestUnreachs", "destination unreachable: %", In),
    ("Icmp6InEchoReplies", "echo replies: %", In),
    ("Icmp6InEchos", "echo requests: %", In),
    ("Icmp6InErrors", "% input ICMP message failed", Num),
    ("Icmp6InGroupMembQueries", "group member queries: %", In),
    (
        "Icmp6InGroupMembReductions",
        "group member reductions: %",
        In,
    ),
    ("Icmp6InGroupMembResponses", "group member responses: %", In),
    ("Icmp6InMsgs", "% ICMP messages received", Num),
    (
        "Icmp6InNeighborAdvertisements",
        "neighbour advertisement: %",
        In,
    ),
    ("Icmp6InNeighborSolicits", "neighbour solicits: %", In),
    ("Icmp6InParmProblems", "parameter problem: %", In),
    ("Icmp6InPktTooBigs", "packets too big: %", In),
    ("Icmp6InRedirects", "redirects: %", In),
    ("Icmp6InRouterAdvertisements", "router advertisement: %", In),
    ("Icmp6InRouterSolicits", "router solicits: %", In),
    ("Icmp6InTimeExcds", "received ICMPv6 time exceeded: %", In),
    ("Icmp6OutDestUnreachs", "destination unreachable: %", Out),
    ("Icmp6OutEchoReplies", "echo replies: %", Out),
    ("Icmp6OutEchos", "echo requests: %", Out),
    ("Icmp6OutGroupMembQueries", "group member queries: %", Out),
    (
        "Icmp6OutGroupMembReductions",
        "group member reductions: %",
        Out,
    ),
    (
        "Icmp6OutGroupMembResponses",
        "group member responses: %",
        Out,
    ),
    ("Icmp6OutMsgs", "% ICMP messages sent", Num),
    (
        "Icmp6OutNeighborAdvertisements",
        "neighbor advertisements: %",
        Out,
    ),
    ("Icmp6OutNeighborSolicits", "neighbor solicits: %", Out),
    ("Icmp6OutParmProblems", "parameter problem: %", Out),
    ("Icmp6OutPktTooBigs", "packets too big: %", Out),
    ("Icmp6OutRedirects", "redirects: %", Out),
    // net-tools' key has a trailing blank: this counter is never found.
    (
        "Icmp6OutRouterAdvertisements ",
        "router advertisement: %",
        Out,
    ),
    ("Icmp6OutRouterSolicits", "router solicits: %", Out),
    ("Icmp6OutTimeExcds", "sent ICMPv6 time exceeded: %", Out),
];

const TCP: Table = &[
    ("ActiveOpens", "% active connection openings", Num),
    ("AttemptFails", "% failed connection attempts", Num),
    ("CurrEstab", "% connections established", Num),
    ("EstabResets", "% connection resets received", Num),
    ("InErrs", "% bad segments received", Num),
    ("InSegs", "% segments received", Num),
    ("MaxConn", "", Num),
    ("OutRsts", "% resets sent", Num),
    ("OutSegs", "% segments sent out", Num),
    ("PassiveOpens", "% passive connection openings", Num),
    ("RetransSegs", "% segments retransmitted", Num),
    ("RtoAlgorithm", "RTO algorithm is %", Static),
    ("RtoMax", "", Num),
    ("RtoMin", "", Num),
];

const UDP: Table = &[
    ("InDatagrams", "% packets received", Num),
    ("InErrors", "% packet receive errors", Num),
    ("NoPorts", "% packets to unknown port received", Num),
    ("OutDatagrams", "% packets sent", Num),
    ("RcvbufErrors", "% receive buffer errors", Num),
    ("SndbufErrors", "% send buffer errors", Num),
];

const UDP6: Table = &[
    ("Udp6InDatagrams", "% packets received", Num),
    ("Udp6InErrors", "% packet receive errors", Num),
    ("Udp6NoPorts", "% packets to unknown port received", Num),
    ("Udp6OutDatagrams", "% packets sent", Num),
];

const TCPEXT: Table = &[
    (
        "DelayedACKLocked",
        "% delayed acks further delayed because of locked socket",
        Opt,
    ),
    (
        "DelayedACKLost",
        "Quick ack mode was activated % times",
        Opt,
    ),
    ("DelayedACKs", "% delayed acks sent", Opt),
    (
        "EmbryonicRsts",
        "% resets received for embryonic SYN_RECV sockets",
        Opt,
    ),
    ("ListenDrops", "% SYNs to LISTEN sockets dropped", Opt),
    (
        "ListenOverflows",
        "% times the listen queue of a socket overflowed",
        Opt,
    ),
    (
        "LockDroppedIcmps",
        "% ICMP packets dropped because socket was locked",
        Opt,
    ),
    (
        "OfoPruned",
        "% packets dropped from out-of-order queue because of socket buffer overrun",
        Opt,
    ),
    (
        "OutOfWindowIcmps",
        "% ICMP packets dropped because they were out-of-window",
        Opt,
    ),
    (
        "PAWSActive",
        "% active connections rejected because of time stamp",
        Opt,
    ),
    (
        "PAWSEstab",
        "% packets rejected in established connections because of timestamp",
        Opt,
    ),
    (
        "PAWSPassive",
        "% passive connections rejected because of time stamp",
        Opt,
    ),
    (
        "PruneCalled",
        "% packets pruned from receive queue because of socket buffer overrun",
        Opt,
    ),
    ("RcvPruned", "% packets pruned from receive queue", Opt),
    (
        "SockMallocOOM",
        "Ran % times out of system memory during packet sending",
        Opt,
    ),
    ("SyncookiesFailed", "% invalid SYN cookies received", Opt),
    ("SyncookiesRecv", "% SYN cookies received", Opt),
    ("SyncookiesSent", "% SYN cookies sent", Opt),
    (
        "TCPAbortFailed",
        "% times unable to send RST due to no memory",
        Opt,
    ),
    (
        "TCPAbortOnClose",
        "% connections reset due to early user close",
        Opt,
    ),
    (
        "TCPAbortOnData",
        "% connections reset due to unexpected data",
        Opt,
    ),
    (
        "TCPAbortOnLinger",
        "% connections aborted after user close in linger timeout",
        Opt,
    ),
    (
        "TCPAbortOnMemory",
        "% connections aborted due to memory pressure",
        Opt,
    ),
    (
        "TCPAbortOnSyn",
        "% connections reset due to unexpected SYN",
        Opt,
    ),
    (
        "TCPAbortOnTimeout",
        "% connections aborted due to timeout",
        Opt,
    ),
    (
        "TCPDirectCopyFromBacklog",
        "% bytes directly in process context from backlog",
        Opt,
    ),
    (
        "TCPDirectCopyFromPrequeue",
        "% bytes directly received in process context from prequeue",
        Opt,
    ),
    (
        "TCPDSACKOfoRecv",
        "% DSACKs for out of order packets received",
        Opt,
    ),
    (
        "TCPDSACKOfoSent",
        "% DSACKs sent for out of order packets",
        Opt,
    ),
    ("TCPDSACKOldSent", "% DSACKs sent for old packets", Opt),
    ("TCPDSACKRecv", "% DSACKs received", Opt),
    (
        "TCPDSackUndo",
        "% congestion window recovered without slow start using DSACK",
        Opt,
    ),
    (
        "TCPDSACKUndo",
        "% congestion windows recovered without slow start by DSACK",
        Opt,
    ),
    (
        "TCPFACKReorder",
        "Detected reordering % times using FACK",
        Opt,
    ),
    ("TCPFastRetrans", "% fast retransmits", Opt),
    ("TCPForwardRetrans", "% forward retransmits", Opt),
    (
        "TCPFullUndo",
        "% congestion windows fully recovered without slow start",
        Opt,
    ),
    ("TCPHPAcks", "% predicted acknowledgments", Opt),
    ("TCPHPHits", "% packet headers predicted", Num),
    (
        "TCPHPHitsToUser",
        "% packet headers predicted and directly queued to user",
        Opt,
    ),
    ("TCPLossFailures", "% timeouts in loss state", Opt),
    ("TCPLoss", "% TCP data loss events", Opt),
    (
        "TCPLossUndo",
        "% congestion windows recovered without slow start after partial ack",
        Opt,
    ),
    ("TCPLostRetransmits", "% retransmits lost", Opt),
    ("TCPMemoryPressures", "TCP ran low on memory % times", Opt),
    (
        "TCPPartialUndo",
        "% congestion windows partially recovered using Hoe heuristic",
        Opt,
    ),
    (
        "TCPPrequeued",
        "% packets directly queued to recvmsg prequeue",
        Opt,
    ),
    ("TCPPrequeueDropped", "% packets dropped from prequeue", Opt),
    (
        "TCPPureAcks",
        "% acknowledgments not containing data payload received",
        Opt,
    ),
    (
        "TCPRcvCollapsed",
        "% packets collapsed in receive queue due to low socket buffer",
        Opt,
    ),
    (
        "TCPRenoFailures",
        "% timeouts after reno fast retransmit",
        Opt,
    ),
    (
        "TCPRenoRecoveryFailed",
        "% reno fast retransmits failed",
        Opt,
    ),
    (
        "TCPRenoRecoveryFail",
        "% classic Reno fast retransmits failed",
        Opt,
    ),
    (
        "TCPRenoRecovery",
        "% times recovered from packet loss due to fast retransmit",
        Opt,
    ),
    (
        "TCPRenoReorder",
        "Detected reordering % times using reno fast retransmit",
        Opt,
    ),
    ("TCPSackFailures", "% timeouts after SACK recovery", Opt),
    ("TCPSackRecoveryFail", "% SACK retransmits failed", Opt),
    (
        "TCPSackRecovery",
        "% times recovered from packet loss by selective acknowledgements",
        Opt,
    ),
    ("TCPSACKReneging", "% bad SACK blocks received", Opt),
    (
        "TCPSACKReorder",
        "Detected reordering % times using SACK",
        Opt,
    ),
    (
        "TCPSchedulerFailed",
        "% times receiver scheduled too late for direct processing",
        Opt,
    ),
    ("TCPSlowStartRetrans", "% retransmits in slow start", Opt),
    ("TCPTimeouts", "% other TCP timeouts", Opt),
    (
        "TCPTSReorder",
        "Detected reordering % times using time stamp",
        Opt,
    ),
    (
        "TWKilled",
        "% TCP sockets finished time wait in slow timer",
        Opt,
    ),
    ("TW", "% TCP sockets finished time wait in fast timer", Opt),
    (
        "TWRecycled",
        "% time wait sockets recycled by time stamp",
        Opt,
    ),
];

const SCTP: Table = &[
    ("SctpAborteds", "% Number of Aborteds ", Num),
    ("SctpActiveEstabs", "% Active Associations", Num),
    (
        "SctpChecksumErrors",
        "% Number of Packets with invalid Checksum",
        Num,
    ),
    ("SctpCurrEstab", "% Current Associations", Num),
    ("SctpFragUsrMsgs", "% Number of messages fragmented", Num),
    (
        "SctpInCtrlChunks",
        "% Number of control chunks received",
        Num,
    ),
    (
        "SctpInOrderChunks",
        "% Number of ordered chunks received",
        Num,
    ),
    ("SctpInSCTPPacks", "% Number of SCTP packets received", Num),
    (
        "SctpInUnorderChunks",
        "% Number of Unordered chunks received",
        Num,
    ),
    ("SctpOutCtrlChunks", "% Number of control chunks sent", Num),
    ("SctpOutOfBlues", "% Number of Out of Blue packets", Num),
    ("SctpOutOrderChunks", "% Number of ordered chunks sent", Num),
    ("SctpOutSCTPPacks", "% Number of SCTP packets sent", Num),
    (
        "SctpOutUnorderChunks",
        "% Number of Unordered chunks sent",
        Num,
    ),
    ("SctpPassiveEstabs", "% Passive Associations", Num),
    ("SctpReasmUsrMsgs", "% Number of messages reassembled ", Num),
    ("SctpShutdowns", "% Number of Graceful Terminations", Num),
];

/// Which protocol switch shows a table.
#[derive(Clone, Copy)]
enum Flag {
    Raw,
    Tcp,
    Udp,
    Sctp,
}

const SNMP_TABS: &[(&str, Table, Flag)] = &[
    ("Ip", IP, Flag::Raw),
    ("Icmp", ICMP, Flag::Raw),
    ("Tcp", TCP, Flag::Tcp),
    ("Udp", UDP, Flag::Udp),
    ("Sctp", SCTP, Flag::Sctp),
    ("TcpExt", TCPEXT, Flag::Tcp),
];

const SNMP6_TABS: &[(&str, Table, Flag)] = &[
    ("Ip6", IP6, Flag::Raw),
    ("Icmp6", ICMP6, Flag::Raw),
    ("Udp6", UDP6, Flag::Udp),
    ("Tcp6", TCP, Flag::Tcp),
];

/// The protocol switches of `-s` (`-t`, `-u`, `-w`, `-S`; all when none is given).
#[derive(Clone, Copy, Debug, Default)]
pub struct Shown {
    pub raw: bool,
    pub tcp: bool,
    pub udp: bool,
    pub sctp: bool,
}

impl Shown {
    fn on(&self, f: Flag) -> bool {
        match f {
            Flag::Raw => self.raw,
            Flag::Tcp => self.tcp,
            Flag::Udp => self.udp,
            Flag::Sctp => self.sctp,
        }
    }
}

/// glibc `bsearch` with `strcmp` (byte order) over the table as it stands.
fn bsearch(tab: Table, key: &str) -> Option<(&'static str, Ty)> {
    let (mut l, mut u) = (0usize, tab.len());
    while l < u {
        let idx = (l + u) / 2;
        match key.as_bytes().cmp(tab[idx].0.as_bytes()) {
            std::cmp::Ordering::Less => u = idx,
            std::cmp::Ordering::Greater => l = idx + 1,
            std::cmp::Ordering::Equal => return Some((tab[idx].1, tab[idx].2)),
        }
    }
    None
}

struct Printer<'a> {
    out: &'a mut String,
    state: St,
    shown: Shown,
}

/// The table a title line selects: `None` for an unknown title (printed, every non-zero
/// counter shown as `Name: value`), and whether its counters print.
type Current = (Option<Table>, bool);

impl Printer<'_> {
    fn new_table(&mut self, tabs: &[(&str, Table, Flag)], title: &str) -> Current {
        self.state = St::Normal;
        match tabs.iter().find(|(t, _, _)| *t == title) {
            Some(&(_, tab, flag)) => {
                let on = self.shown.on(flag);
                if on {
                    self.out.push_str(&format!("{title}:\n"));
                }
                (Some(tab), on)
            }
            None => {
                self.out.push_str(&format!("{title}:\n"));
                (None, true)
            }
        }
    }

    fn value(&mut self, tab: Option<Table>, name: &str, val: u64) {
        let Some((text, ty)) = tab.and_then(|t| bsearch(t, name)) else {
            if val != 0 {
                let pad = self.state.indent();
                self.out.push_str(&format!("{:pad$}{name}: {val}\n", ""));
            }
            return;
        };
        if ty == Static || text.is_empty() {
            return;
        }
        let target = match ty {
            In => St::In,
            Out => St::Out,
            _ => St::Normal,
        };
        if matches!(ty, In | Out) && self.state != target {
            let title = if ty == In {
                "ICMP input histogram:"
            } else {
                "ICMP output histogram:"
            };
            let pad = self.state.indent();
            self.out.push_str(&format!("{:pad$}{title}\n", ""));
        }
        let printed = match ty {
            Opt | In | Out => val != 0,
            _ => true,
        };
        if printed {
            let pad = target.indent();
            let line = text.replacen('%', &val.to_string(), 1);
            self.out.push_str(&format!("{:pad$}{line}\n", ""));
        }
        self.state = target;
    }

    /// `Title: name name …` / `Title: value value …` line pairs; `only` keeps the titles that
    /// start with it.
    fn pairs(&mut self, text: &str, only: Option<&str>) {
        let mut lines = text.split_inclusive('\n').filter(|l| *l != "\n");
        while let Some(names) = lines.next() {
            let Some(values) = lines.next() else { break };
            let (Some((title, names)), Some((_, values))) =
                (names.split_once(':'), values.split_once(':'))
            else {
                return;
            };
            if only.is_some_and(|o| !title.starts_with(o)) {
                continue;
            }
            let (tab, on) = self.new_table(SNMP_TABS, title);
            let mut vals = values.split_whitespace();
            for name in names.split_whitespace() {
                let v = vals.next().map(strtoull).unwrap_or(0);
                if on {
                    self.value(tab, name, v);
                }
            }
        }
    }
}

/// C `strtoull` of a decimal field: a leading `-` wraps.
fn strtoull(s: &str) -> u64 {
    match s.strip_prefix('-') {
        Some(rest) => rest.parse::<u64>().map(|v| v.wrapping_neg()).unwrap_or(0),
        None => s.parse().unwrap_or(0),
    }
}

/// `netstat -s` for IPv4: `snmp` then `netstat` (and `sctp/snmp` when present).
pub fn inet(
    snmp: Option<&str>,
    netstat: Option<&str>,
    sctp: Option<&str>,
    shown: Shown,
) -> (String, String) {
    let mut out = String::new();
    let mut err = String::new();
    let Some(snmp) = snmp else {
        err.push_str(&format!("cannot open /proc/net/snmp: {ENOENT}\n"));
        return (out, err);
    };
    let mut p = Printer {
        out: &mut out,
        state: St::Normal,
        shown,
    };
    p.pairs(snmp, None);
    if let Some(n) = netstat {
        p.pairs(n, None);
    }
    if let Some(s) = sctp {
        let (tab, on) = p.new_table(SNMP_TABS, "Sctp");
        for line in s.lines() {
            let mut f = line.split_whitespace();
            if let (Some(name), Some(v)) = (f.next(), f.next()) {
                if on {
                    p.value(tab, name, strtoull(v));
                }
            }
        }
    }
    (out, err)
}

/// `netstat -s -6`: `snmp6` (tables named by the text up to the first `6`) then the `Tcp`
/// lines of `snmp`.
pub fn inet6(snmp6: Option<&str>, snmp: Option<&str>, shown: Shown) -> (String, String) {
    let mut out = String::new();
    let mut err = String::new();
    let Some(snmp6) = snmp6 else {
        err.push_str(&format!("cannot open /proc/net/snmp6: {ENOENT}\n"));
        return (out, err);
    };
    let mut p = Printer {
        out: &mut out,
        state: St::Normal,
        shown,
    };
    let mut current: Option<(String, Current)> = None;
    for line in snmp6.lines() {
        let mut f = line.split_whitespace();
        let Some(name) = f.next() else { continue };
        let val = f.next().map(strtoull).unwrap_or(0);
        let prefix = match name.find('6') {
            Some(i) => &name[..=i],
            None => name,
        };
        let same = current
            .as_ref()
            .is_some_and(|(t, _)| name.contains(t.as_str()));
        if !same {
            let c = p.new_table(SNMP6_TABS, prefix);
            current = Some((prefix.to_string(), c));
        }
        let (_, (tab, on)) = current.as_ref().expect("set above");
        if *on {
            p.value(*tab, name, val);
        }
    }
    match snmp {
        Some(s) => p.pairs(s, Some("Tcp")),
        None => err.push_str(&format!("cannot open /proc/net/snmp: {ENOENT}\n")),
    }
    (out, err)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Shown = Shown {
        raw: true,
        tcp: true,
        udp: true,
        sctp: true,
    };

    #[test]
    fn unsorted_tables_miss_like_net_tools() {
        // Forwarding sits after ForwDatagrams in strcmp order: bsearch misses it.
        assert_eq!(bsearch(IP, "Forwarding"), None);
        assert!(bsearch(IP, "InReceives").is_some());
        let snmp = "Ip: Forwarding DefaultTTL InReceives OutNoRoutes\nIp: 2 64 5 0\n\
                    Icmp: InMsgs InEchos OutMsgs\nIcmp: 1 1 0\n";
        let (out, _) = inet(Some(snmp), None, None, ALL);
        assert_eq!(
            out,
            "Ip:\n    Forwarding: 2\n    5 total packets received\nIcmp:\n    1 ICMP messages received\n    ICMP input histogram:\n        echo requests: 1\n    0 ICMP messages sent\n"
        );
    }
}
