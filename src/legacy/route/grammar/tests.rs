//! Unit tests of `legacy/route/grammar.rs`.

use super::*;

fn p(line: &str) -> Invocation {
    parse(&crate::legacy::words(line))
}

fn op(line: &str) -> String {
    match p(line) {
        Invocation::Change(c) => c.op(&Some("n".into())).unwrap().to_string(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn numeric_target_without_net_is_a_host_route() {
    assert_eq!(
        op("add 10.6.0.0 dev v0"),
        "ip -n n route prepend 10.6.0.0/32 dev v0 proto boot"
    );
}

#[test]
fn net_needs_a_mask_except_for_default() {
    assert!(matches!(
        p("add -net 10.9.0.0 dev v0"),
        Invocation::Refused(_)
    ));
    assert_eq!(
        op("add -net 10.9.0.0 netmask 255.255.0.0 gw 10.0.0.2 metric 5"),
        "ip -n n route prepend 10.9.0.0/16 via 10.0.0.2 metric 5 proto boot"
    );
    assert_eq!(
        op("add default gw 10.0.0.3"),
        "ip -n n route prepend default via 10.0.0.3 proto boot"
    );
    assert_eq!(
        op("add -net 10.8.0.0/16 eth0"),
        "ip -n n route prepend 10.8.0.0/16 dev eth0 proto boot"
    );
    assert_eq!(
        op("add -net 10.8.0.0/16 eth0 -n"),
        "ip -n n route prepend 10.8.0.0/16 dev eth0 proto boot"
    );
}

#[test]
fn reject_is_unreachable_of_host_scope() {
    assert_eq!(
        op("add -net 10.7.0.0 netmask 255.255.0.0 reject"),
        "ip -n n route prepend unreachable 10.7.0.0/16 scope host proto boot"
    );
}

#[test]
fn delete_matches_only_unicast_routes() {
    assert_eq!(
        op("del -net 10.8.0.0/16"),
        "ip -n n route del unicast 10.8.0.0/16"
    );
}

#[test]
fn metrics_become_route_metrics() {
    assert_eq!(
        op("add -net 10.9.0.0/16 gw 10.0.0.3 mss 1400 window 4000 irtt 30"),
        "ip -n n route prepend 10.9.0.0/16 via 10.0.0.3 proto boot advmss 1360 window 4000 rtt 240"
    );
}

#[test]
fn ipv6_routes_default_to_metric_one() {
    assert_eq!(
        op("-A inet6 add 2001:db8:5::/64 gw 2001:db8::2"),
        "ip -n n route prepend 2001:db8:5::/64 via 2001:db8::2 metric 1 proto boot"
    );
}

#[test]
fn bad_masks_are_refused() {
    for line in [
        "add -host 10.0.0.1 netmask 255.0.0.0",
        "add -host 10.0.0.1 netmask 255.255.255.255",
        "add -net 10.0.0.1 netmask 255.0.0.0",
        "add -net 10.0.0.0 netmask 255.0.255.0",
    ] {
        assert!(matches!(p(line), Invocation::Refused(_)), "{line}");
    }
}

#[test]
fn options_and_families_follow_getopt() {
    let c = parse_cmd(
        Dialect::Modern,
        "route",
        &["-A".into(), "inet,inet6".into(), "-ee".into()],
    );
    let Cmd::Show(o) = c else { panic!() };
    assert_eq!(o.families, vec!["inet", "inet6"]);
    assert_eq!(o.ext, 3);
    let Cmd::Fixed(f) = parse_cmd(Dialect::Modern, "route", &["-A".into(), "foo".into()]) else {
        panic!()
    };
    assert_eq!(f.stderr, "Unknown address family `foo'.\n");
    assert_eq!(f.code, 1);
}

#[test]
fn the_classic_has_no_4_or_6_and_ends_refusals_in_the_usage() {
    let args = |l: &str| l.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    let Cmd::Fixed(f) = parse_cmd(Dialect::Classic, "route", &args("-6 -n")) else {
        panic!()
    };
    assert!(f
        .stderr
        .starts_with("route: invalid option -- '6'\nUsage: route"));
    assert!(f
        .stderr
        .contains("<AF>=Use '-A <af>' or '--<af>'; default: inet"));
    assert_eq!((f.stdout.as_str(), f.code), ("", text::E_USAGE));
    let Cmd::Edit { opts, verb, words } = parse_cmd(
        Dialect::Classic,
        "route",
        &args("add -net 10.0.0.0 netmask 255.0.255.0"),
    ) else {
        panic!()
    };
    let o = finish(
        Dialect::Classic,
        edit(Dialect::Classic, &opts, verb, &words, &Names::default()).unwrap_err(),
    );
    assert!(o
        .stderr
        .starts_with("route: bogus netmask 255.0.255.0\nUsage: route"));
    assert_eq!(o.code, text::E_USAGE);
    // 2.10 follows the same refusal with the inet_route usage, exit 3.
    let o = edit(Dialect::Modern, &opts, verb, &words, &Names::default()).unwrap_err();
    assert!(o.stderr.ends_with(text::INET_USAGE));
    assert_eq!(finish(Dialect::Modern, o.clone()), o);
}

#[test]
fn c_number_parsing() {
    assert_eq!(atoi("12abc"), 12);
    assert_eq!(atoi("-3"), -3);
    assert_eq!(strtoul0("0x10"), (16, true));
    assert_eq!(strtoul0("010"), (8, true));
    assert_eq!(strtoul0(""), (0, true));
    assert_eq!(strtoul0("1x"), (1, false));
}
