//! brctl's output, byte for byte (bridge-utils 1.7.1 `brctl_cmd.c`/`brctl_disp.c` formats).
//! Pure functions from the values brctl reads to text; columns are aligned with tabs only.

use super::sysfs::{BridgeId, BridgeInfo, FdbEntry, PortInfo};
use std::fmt::Write;

/// `%.2x%.2x.%.2x%.2x%.2x%.2x%.2x%.2x`: 4 hex digits of priority, a dot, 12 of MAC.
pub fn bridge_id(id: &BridgeId) -> String {
    let x = id.0;
    format!(
        "{:02x}{:02x}.{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]
    )
}

/// A sysfs clock-tick value (centiseconds, read as a C `int`) shown as libbridge does:
/// `__jiffies_to_tv` on an `unsigned long`, then `%4i.%.2i` of seconds and hundredths.
pub fn timer(centis: i64) -> String {
    timer_ulong(centis as i32 as i64 as u64)
}

/// [`timer`] of an `unsigned long` tick count (the fdb ageing timer is a `u32`).
pub fn timer_ulong(ticks: u64) -> String {
    let usec_total = 10_000u64.wrapping_mul(ticks);
    let sec = usec_total / 1_000_000;
    let usec = usec_total - 1_000_000 * sec;
    let hundredths = (usec as i32) / 10_000;
    format!("{:4}.{}", sec as i32, c_precision2(hundredths))
}

/// `%.2i`: at least two digits, sign in front.
fn c_precision2(v: i32) -> String {
    if v < 0 {
        format!("-{:02}", -(v as i64))
    } else {
        format!("{v:02}")
    }
}

/// `%.4x` of a C `int`.
fn hex4(v: i32) -> String {
    format!("{:04x}", v as u32)
}

/// The `show` header, printed before the first bridge row only.
pub const SHOW_HEADER: &str = "bridge name\tbridge id\t\tSTP enabled\tinterfaces\n";

/// One `show` row: `NAME\t\tID\tyes|no\t\t` + first port, further ports on their own line
/// after 7 tabs. `name` is the bridge as it was named on the command line.
pub fn show_row(name: &str, id: &BridgeId, stp: bool, ports: &[String]) -> String {
    let mut s = format!(
        "{name}\t\t{}\t{}\t\t",
        bridge_id(id),
        if stp { "yes" } else { "no" }
    );
    s.push_str(&ports.join("\n\t\t\t\t\t\t\t"));
    s.push('\n');
    s
}

/// `showmacs`: the header and the entries sorted by MAC (`memcmp`), not by port.
pub fn showmacs(entries: &[FdbEntry]) -> String {
    let mut sorted = entries.to_vec();
    sorted.sort_by_key(|e| e.mac);
    let mut s = String::from("port no\tmac addr\t\tis local?\tageing timer\n");
    for e in &sorted {
        let m = e.mac;
        let _ = writeln!(
            s,
            "{:3}\t{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}\t{}\t\t{}",
            e.port_no,
            m[0],
            m[1],
            m[2],
            m[3],
            m[4],
            m[5],
            if e.is_local { "yes" } else { "no" },
            timer_ulong(u64::from(e.ageing_timer))
        );
    }
    s
}

/// The port state names of `br_get_state_name`.
pub fn state_name(state: i32) -> &'static str {
    match state {
        0 => "disabled",
        1 => "listening",
        2 => "learning",
        3 => "forwarding",
        4 => "blocking",
        _ => "<INVALID STATE>",
    }
}

/// `showstp`: the bridge section (ended by two empty lines) and one section per port (each
/// ended by one empty line), ports in the order given. `name` is as named on the command line.
pub fn showstp(name: &str, b: &BridgeInfo, ports: &[(String, PortInfo)]) -> String {
    let mut s = String::new();
    let t = |v: i64| timer(v);
    let _ = writeln!(s, "{name}");
    let _ = writeln!(s, " bridge id\t\t{}", bridge_id(&b.bridge_id));
    let _ = writeln!(s, " designated root\t{}", bridge_id(&b.designated_root));
    let _ = writeln!(
        s,
        " root port\t\t{:4}\t\t\tpath cost\t\t{:4}",
        b.root_port, b.root_path_cost
    );
    let _ = writeln!(
        s,
        " max age\t\t{}\t\t\tbridge max age\t\t{}",
        t(b.max_age),
        t(b.bridge_max_age)
    );
    let _ = writeln!(
        s,
        " hello time\t\t{}\t\t\tbridge hello time\t{}",
        t(b.hello_time),
        t(b.bridge_hello_time)
    );
    let _ = writeln!(
        s,
        " forward delay\t\t{}\t\t\tbridge forward delay\t{}",
        t(b.forward_delay),
        t(b.bridge_forward_delay)
    );
    let _ = writeln!(s, " ageing time\t\t{}", t(b.ageing_time));
    let _ = writeln!(
        s,
        " hello timer\t\t{}\t\t\ttcn timer\t\t{}",
        t(b.hello_timer),
        t(b.tcn_timer)
    );
    let _ = writeln!(
        s,
        " topology change timer\t{}\t\t\tgc timer\t\t{}",
        t(b.topology_change_timer),
        t(b.gc_timer)
    );
    s.push_str(" flags\t\t\t");
    if b.topology_change {
        s.push_str("TOPOLOGY_CHANGE ");
    }
    if b.topology_change_detected {
        s.push_str("TOPOLOGY_CHANGE_DETECTED ");
    }
    s.push_str("\n\n\n");
    for (port, p) in ports {
        let _ = writeln!(s, "{port} ({})", p.port_no);
        let _ = writeln!(
            s,
            " port id\t\t{}\t\t\tstate\t\t{:>15}",
            hex4(p.port_id),
            state_name(p.state)
        );
        let _ = writeln!(
            s,
            " designated root\t{}\tpath cost\t\t{:4}",
            bridge_id(&p.designated_root),
            p.path_cost
        );
        let _ = writeln!(
            s,
            " designated bridge\t{}\tmessage age timer\t{}",
            bridge_id(&p.designated_bridge),
            t(p.message_age_timer)
        );
        let _ = writeln!(
            s,
            " designated port\t{}\t\t\tforward delay timer\t{}",
            hex4(p.designated_port),
            t(p.forward_delay_timer)
        );
        let _ = writeln!(
            s,
            " designated cost\t{:4}\t\t\thold timer\t\t{}",
            p.designated_cost,
            t(p.hold_timer)
        );
        s.push_str(" flags\t\t\t");
        if p.config_pending {
            s.push_str("CONFIG_PENDING ");
        }
        if p.top_change_ack {
            s.push_str("TOPOLOGY_CHANGE_ACK ");
        }
        if p.hairpin_mode != 0 {
            let _ = write!(s, "\n hairpin mode\t\t{:4}", p.hairpin_mode);
        }
        s.push_str("\n\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_print_seconds_and_hundredths() {
        assert_eq!(timer(0), "   0.00");
        assert_eq!(timer(2000), "  20.00");
        assert_eq!(timer(29550), " 295.50");
        assert_eq!(timer(7), "   0.07");
    }

    #[test]
    fn show_row_uses_tabs_only_and_seven_tabs_for_more_ports() {
        let id = BridgeId([0x80, 0, 2, 0, 0, 0, 0, 3]);
        assert_eq!(
            show_row("hobr0", &id, false, &["a".into(), "b".into()]),
            "hobr0\t\t8000.020000000003\tno\t\ta\n\t\t\t\t\t\t\tb\n"
        );
        assert_eq!(
            show_row("x", &BridgeId::default(), true, &[]),
            "x\t\t0000.000000000000\tyes\t\t\n"
        );
    }

    #[test]
    fn showmacs_sorts_by_mac() {
        let e = |m: u8, p: u8| FdbEntry {
            mac: [2, 0, 0, 0, 0, m],
            port_no: p,
            is_local: false,
            ageing_timer: 150,
        };
        let out = showmacs(&[e(9, 1), e(1, 2)]);
        assert_eq!(
            out,
            "port no\tmac addr\t\tis local?\tageing timer\n  2\t02:00:00:00:00:01\tno\t\t   1.50\n  1\t02:00:00:00:00:09\tno\t\t   1.50\n"
        );
    }
}
