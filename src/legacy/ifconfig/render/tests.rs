//! Unit tests of the ifconfig renderer's formatting helpers.

use super::*;

#[test]
fn human_bytes_truncates_and_switches_strictly_above() {
    let m = Dialect::Modern;
    assert_eq!(human_bytes(1024, m), "1024.0 B");
    assert_eq!(human_bytes(1084, m), "1.0 KiB");
    assert_eq!(human_bytes(185290, m), "180.9 KiB");
    assert_eq!(human_bytes(1413330, m), "1.3 MiB");
    assert_eq!(human_bytes(414, m), "414.0 B");
    assert_eq!(human_bytes(u64::MAX, m), "16.0 EiB");
    assert_eq!(human_bytes(1024, Dialect::Classic), "1024.0 b");
    assert_eq!(human_bytes(1197072670, Dialect::Classic), "1.1 GiB");
}

#[test]
fn inet6_formats_like_glibc_and_strips_mapped() {
    let p = |s: &str| match s.parse::<IpAddr>().unwrap() {
        IpAddr::V6(v) => v.octets(),
        _ => unreachable!(),
    };
    assert_eq!(ifconfig_inet6(&p("2001:0:0:1::5")), "2001:0:0:1::5");
    assert_eq!(ifconfig_inet6(&p("2001:db8:0:1::1")), "2001:db8:0:1::1");
    assert_eq!(ifconfig_inet6(&p("::1.2.3.4")), "::1.2.3.4");
    assert_eq!(ifconfig_inet6(&p("::ffff:1.2.3.4")), "1.2.3.4");
    assert_eq!(ifconfig_inet6(&p("::1")), "::1");
    assert_eq!(ifconfig_inet6(&p("::")), "::");
    assert_eq!(ifconfig_inet6(&p("fe80::1234")), "fe80::1234");
    assert_eq!(ifconfig_inet6(&p("1:0:0:2:0:0:0:3")), "1:0:0:2::3");
    assert_eq!(ifconfig_inet6(&p("1:0:0:2:0:0:3:4")), "1::2:0:0:3:4");
    assert_eq!(ifconfig_inet6(&p("1:2:3:4:5:6:7:0")), "1:2:3:4:5:6:7:0");
}

#[test]
fn flags_field_handles_negative_and_unnamed_bits() {
    assert_eq!(
        flags_field(0x8000 | 0x1043),
        "flags=-28605<UP,BROADCAST,RUNNING,MULTICAST,DYNAMIC>"
    );
    assert_eq!(flags_field(0), "flags=0<");
    assert_eq!(flags_field(IFF_PORTSEL), "flags=8192");
    assert_eq!(short_flags(0x1000 | 0x100 | 0x10 | 0x1), "MPPU");
}

#[test]
fn scope_names_cover_compat_and_plain_scopes() {
    assert_eq!(scope_names(0x80), "<compat,global>");
    assert_eq!(scope_names(0), "<global>");
    assert_eq!(scope_names(0x20), "<link>");
    assert_eq!(scope_names(0x10), "<host>");
    assert_eq!(scope_names(0x50), "<site,host>");
    assert_eq!(scope_names(0x1), "");
}
