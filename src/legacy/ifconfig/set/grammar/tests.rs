use super::*;

fn ip(s: &str) -> Ipv4Addr {
    s.parse().expect("test address")
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn files() -> Files {
    Files::from_text(
        "default\t\t0.0.0.0\nloopback\t127.0.0.0\nlink-local\t169.254.0.0\n",
        "127.0.0.1 localhost\n127.0.0.1 vm\n::1 ip6-localhost\n",
    )
}

fn actions(line: &str) -> Vec<Action> {
    parse("v0", &words(line), &files()).actions
}

fn host(word: &str, a: &str) -> Host {
    Host {
        word: word.into(),
        inet: Inet::Addr(ip(a)),
        herr: HErr::NoError,
    }
}

#[test]
fn inet_aton_takes_every_glibc_form() {
    assert_eq!(inet_aton("10.1.258"), Some(ip("10.1.1.2")));
    assert_eq!(inet_aton("0x0a000009"), Some(ip("10.0.0.9")));
    assert_eq!(inet_aton("012.0.0.1"), Some(ip("10.0.0.1")));
    assert_eq!(inet_aton("300"), Some(ip("0.0.1.44")));
    assert_eq!(inet_aton("1.0x10"), Some(ip("1.0.0.16")));
    assert_eq!(inet_aton("10.0.0.1 trailing"), Some(ip("10.0.0.1")));
    for bad in [
        "08",
        "1.2.3.4.5",
        "0x",
        "256.1",
        "10.0.0.256",
        "",
        "a",
        "1..2",
        "-1",
        "1.2.3.a",
    ] {
        assert_eq!(inet_aton(bad), None, "{bad}");
    }
}

#[test]
fn slash_len_masks_the_shift_count_like_x86() {
    assert_eq!(slash_mask("24"), Some(ip("255.255.255.0")));
    assert_eq!(slash_mask("32"), Some(ip("0.0.0.0")));
    assert_eq!(slash_mask("33"), Some(ip("128.0.0.0")));
    assert_eq!(slash_mask("0x18"), Some(ip("255.255.255.0")));
    assert_eq!(slash_mask(""), Some(ip("0.0.0.0")));
    assert_eq!(slash_mask("-1"), Some(ip("255.255.255.254")));
    assert_eq!(slash_mask("abc"), None);
    assert_eq!(slash_mask("24x"), None);
}

#[test]
fn c_number_parsers_behave_like_glibc() {
    assert_eq!(atoi("abc"), 0);
    assert_eq!(atoi(" -5"), -5);
    assert_eq!(atoi("1400xyz"), 1400);
    assert_eq!(atoi("99999999999999999999"), -1);
    assert_eq!(strtoul("0x10", true).0, 16);
    assert_eq!(strtoul("010", true).0, 8);
    assert_eq!(strtoul("-1", true).0, u64::MAX);
    assert_eq!(strtoul("abc", true), (0, 0));
}

#[test]
fn host_name_syntax_follows_res_hnok_with_underscores() {
    for ok in ["foo", "foo_bar", "a-b", ".", "a.-b", "a\\b", "foo."] {
        assert!(res_hnok(ok), "{ok}");
    }
    let long = "a".repeat(64);
    for bad in [
        "-a",
        "a..b",
        "a b",
        "..",
        ".a",
        "x!y",
        "a:b",
        "ä",
        long.as_str(),
    ] {
        assert!(!res_hnok(bad), "{bad}");
    }
}

#[test]
fn names_resolve_through_files_and_fail_like_unreachable_dns() {
    let f = files();
    assert_eq!(resolve_inet("localhost", &f), Inet::Addr(ip("127.0.0.1")));
    assert_eq!(resolve_inet("LOCALHOST", &f), Inet::Addr(ip("127.0.0.1")));
    assert_eq!(resolve_inet("loopback", &f), Inet::Network(ip("127.0.0.0")));
    assert_eq!(resolve_inet("default", &f), Inet::Network(ip("0.0.0.0")));
    assert_eq!(resolve_inet("foo", &f), Inet::Failed(HErr::TryAgain));
    assert_eq!(resolve_inet("10.0.0.", &f), Inet::Failed(HErr::TryAgain));
    assert_eq!(resolve_inet("-a", &f), Inet::Failed(HErr::HostNotFound));
    assert_eq!(
        resolve_inet("10.0.0.256", &f),
        Inet::Failed(HErr::HostNotFound)
    );
    assert_eq!(resolve_inet("", &f), Inet::Failed(HErr::NoRecovery));
    assert_eq!(
        resolve_inet("localhost", &NumericOnly),
        Inet::Failed(HErr::TryAgain)
    );
    assert_eq!(HErr::NoRecovery.line(""), "Unknown server error");
    assert_eq!(HErr::TryAgain.line("foo"), "foo: Host name lookup failure");
}

#[test]
fn address_netmask_and_up_parse_in_order() {
    assert_eq!(
        actions("10.0.0.1 netmask 255.255.255.0 up"),
        vec![
            Action::Address(ip("10.0.0.1")),
            Action::Netmask(host("255.255.255.0", "255.255.255.0")),
            Action::Flag {
                flag: IfFlag::Up,
                on: true,
                warn: false
            },
        ]
    );
}

#[test]
fn slash_netmask_is_applied_after_everything_else() {
    assert_eq!(
        actions("10.1.2.3/32 up"),
        vec![
            Action::Address(ip("10.1.2.3")),
            Action::Flag {
                flag: IfFlag::Up,
                on: true,
                warn: false
            },
            Action::PrefixNetmask(ip("0.0.0.0")),
        ]
    );
    assert_eq!(
        actions("10.0.0.1/24 netmask 255.0.0.0").last(),
        Some(&Action::PrefixNetmask(ip("255.255.255.0")))
    );
}

#[test]
fn a_second_netmask_is_a_usage_error_after_the_first_applies() {
    assert_eq!(
        actions("netmask 255.0.0.0 netmask 255.255.0.0"),
        vec![
            Action::Netmask(host("255.0.0.0", "255.0.0.0")),
            Action::Usage
        ]
    );
    assert_eq!(
        actions("netmask 255.0.0.0 10.0.0.1/24").last(),
        Some(&Action::Usage)
    );
    // A netmask that did not resolve does not count.
    assert_eq!(actions("netmask foo netmask 255.0.0.0").len(), 2);
    assert!(!actions("netmask foo netmask 255.0.0.0").contains(&Action::Usage));
}

#[test]
fn missing_arguments_and_bad_lengths_are_usage_errors() {
    for line in [
        "mtu",
        "up netmask",
        "hw",
        "hw ether",
        "hw foo 1",
        "add",
        "del",
        "name",
        "irq",
        "txqueuelen",
        "dstaddr",
        "tunnel",
        "10.0.0.1/abc",
        "add 2001:db8::1/129",
        "media",
    ] {
        assert_eq!(actions(line).last(), Some(&Action::Usage), "{line}");
    }
    assert_eq!(
        actions("up mtu")[0],
        Action::Flag {
            flag: IfFlag::Up,
            on: true,
            warn: false
        }
    );
}

#[test]
fn numbers_take_the_c_parsers_values() {
    assert_eq!(actions("mtu abc"), vec![Action::Mtu(0)]);
    assert_eq!(actions("mtu 1400"), vec![Action::Mtu(1400)]);
    assert_eq!(actions("txqueuelen abc"), vec![Action::TxQueueLen(0)]);
    assert_eq!(actions("txqueuelen 0x10"), vec![Action::TxQueueLen(16)]);
    assert_eq!(actions("txqueuelen -1"), vec![Action::TxQueueLen(-1)]);
}

#[test]
fn hw_ether_is_lenient_and_keeps_earlier_buffer_bytes() {
    let mac = |line: &str| match actions(line).last() {
        Some(Action::HwEther(m)) => m.clone(),
        other => panic!("{line}: {other:?}"),
    };
    assert_eq!(
        mac("hw ether 02:11:22:33:44"),
        Ok([2, 0x11, 0x22, 0x33, 0x44, 0])
    );
    assert_eq!(
        mac("hw ether 02:11:22:33:44:55:66"),
        Ok([2, 0x11, 0x22, 0x33, 0x44, 0x55])
    );
    assert_eq!(mac("hw ether 2:1:2:3:4:5"), Ok([2, 1, 2, 3, 4, 5]));
    assert_eq!(
        mac("hw ether 021122334455"),
        Ok([2, 0x11, 0x22, 0x33, 0x44, 0x55])
    );
    // The address word wrote 10.0.0.7 into the same sockaddr: its last byte shows through.
    assert_eq!(
        mac("10.0.0.7 hw ether 02:11:22:33:44"),
        Ok([2, 0x11, 0x22, 0x33, 0x44, 7])
    );
    assert_eq!(mac("hw ether zz:11"), Err("zz:11".to_string()));
}

#[test]
fn other_hardware_classes_follow_their_parsers() {
    assert_eq!(
        actions("hw loop 1 up")[0],
        Action::HwNoHandler("loop".into())
    );
    assert_eq!(actions("hw loop 1 up").len(), 2);
    assert!(matches!(
        actions("hw fddi 00:11:22:33:44:55")[0],
        Action::HwOther { .. }
    ));
    assert!(matches!(
        actions("hw fddi 0:1")[0],
        Action::HwInvalid { .. }
    ));
    assert!(matches!(
        actions("hw tunnel ::1")[0],
        Action::HwInvalid { .. }
    ));
}

#[test]
fn add_and_del_pick_the_family_by_colon() {
    let a = actions("add 2001:db8::1/64");
    assert!(matches!(&a[0], Action::Add6(x) if x.prefix == 64 && x.addr.is_some()));
    let a = actions("del 2001:db8::1");
    assert!(matches!(&a[0], Action::Del6(x) if x.prefix == 128));
    let a = actions("add 2001::zz");
    assert!(matches!(&a[0], Action::Add6(x) if x.addr.is_none() && x.herr == HErr::NoError));
    // h_errno sticks from an earlier failed lookup.
    let a = actions("broadcast foo add 2001::zz");
    assert!(matches!(&a[1], Action::Add6(x) if x.herr == HErr::TryAgain));
    assert_eq!(
        actions("add 10.0.0.5"),
        vec![Action::Add4(host("10.0.0.5", "10.0.0.5"))]
    );
    assert_eq!(
        actions("del 10.0.0.5"),
        vec![Action::Del4(host("10.0.0.5", "10.0.0.5"))]
    );
}

#[test]
fn media_auto_reads_auto_again_as_an_address() {
    assert_eq!(
        actions("media auto up"),
        vec![
            Action::Flag {
                flag: IfFlag::AutoMedia,
                on: true,
                warn: false
            },
            Action::Fail(vec![
                "auto: Host name lookup failure".into(),
                HELP_HINT.into()
            ]),
        ]
    );
    assert_eq!(
        actions("media 10baseT"),
        vec![Action::Map {
            field: MapField::Port,
            value: 2
        }]
    );
    assert_eq!(
        actions("media 3"),
        vec![Action::Map {
            field: MapField::Port,
            value: 3
        }]
    );
    assert_eq!(
        actions("media foo"),
        vec![Action::UnknownMedia("foo".into())]
    );
}

#[test]
fn an_unresolvable_address_stops_everything() {
    assert_eq!(
        actions("up -a down"),
        vec![
            Action::Flag {
                flag: IfFlag::Up,
                on: true,
                warn: false
            },
            Action::Fail(vec!["-a: Unknown host".into(), HELP_HINT.into()]),
        ]
    );
}

#[test]
fn flags_and_their_warnings() {
    assert_eq!(
        actions("-promisc arp -arp trailers -broadcast"),
        vec![
            Action::Flag {
                flag: IfFlag::Promisc,
                on: false,
                warn: true
            },
            Action::Flag {
                flag: IfFlag::NoArp,
                on: false,
                warn: false
            },
            Action::Flag {
                flag: IfFlag::NoArp,
                on: true,
                warn: false
            },
            Action::Flag {
                flag: IfFlag::NoTrailers,
                on: false,
                warn: false
            },
            Action::Flag {
                flag: IfFlag::Broadcast,
                on: false,
                warn: true
            },
        ]
    );
    assert_eq!(
        IfFlag::Promisc.still_set_warning("v0"),
        "Warning: Interface v0 still in promisc mode... maybe other application is running?"
    );
}

#[test]
fn broadcast_and_pointopoint_take_an_optional_address() {
    assert_eq!(actions("broadcast"), vec![Action::Broadcast(None)]);
    assert_eq!(actions("pointopoint"), vec![Action::PointToPoint(None)]);
    assert_eq!(
        actions("broadcast 10.255.255.255 up").len(),
        2,
        "the address is consumed"
    );
    let p = actions("pointopoint default");
    assert!(
        matches!(&p[0], Action::PointToPoint(Some(h)) if h.inet == Inet::Network(ip("0.0.0.0")))
    );
}

#[test]
fn address_families_and_special_words() {
    assert_eq!(parse("v0", &words("inet"), &files()).actions, vec![]);
    let c = parse("v0", &words("inet6 2001:db8::9"), &files());
    assert_eq!(c.family, Family::Inet6);
    assert!(matches!(c.actions[0], Action::OtherFamilyAddress { .. }));
    let c = parse("v0", &words("inet6 2001:db8::9/64"), &files());
    assert_eq!(
        c.actions,
        vec![Action::Fail(vec![
            "getaddrinfo: 2001:db8::9/64: -2".into(),
            "2001:db8::9/64: Unknown host".into(),
            HELP_HINT.into()
        ])]
    );
    let c = parse("v0", &words("ipx up"), &files());
    assert_eq!(c.family, Family::NoSocket);
    let c = parse("v0", &words("a,b"), &files());
    assert_eq!(
        c.actions[0],
        Action::Note("Please don't supply more than one address family.".into())
    );
    assert_eq!(actions("default"), vec![Action::Address(ip("0.0.0.0"))]);
    assert_eq!(actions("0"), vec![Action::Address(ip("0.0.0.0"))]);
}

#[test]
fn names_are_truncated_to_fifteen_bytes() {
    let c = parse(
        "hoveth0_this_is_long",
        &words("name averyveryverylongname"),
        &files(),
    );
    assert_eq!(c.iface, "hoveth0_this_is");
    assert_eq!(c.actions, vec![Action::Name("averyveryverylo".into())]);
}

#[test]
fn a_name_lookup_leaves_host_not_found_behind_even_when_it_succeeds() {
    let a = actions("localhost pointopoint default");
    assert!(
        matches!(&a[1], Action::PointToPoint(Some(h)) if h.herr == HErr::HostNotFound),
        "{a:?}"
    );
    let a = actions("pointopoint default");
    assert!(matches!(&a[0], Action::PointToPoint(Some(h)) if h.herr == HErr::NoError));
}

#[test]
fn other_families_parse_addresses_their_own_way() {
    let fam = |line: &str| parse("v0", &words(line), &files()).actions;
    assert!(matches!(
        &fam("inet6 netmask ffff::")[0],
        Action::Inet6Keyword { keyword, addr: Ok(_) } if keyword == "netmask"
    ));
    assert_eq!(
        fam("inet6 netmask 1.2.3.4")[0],
        Action::Inet6Keyword {
            keyword: "netmask".into(),
            addr: Err(vec![
                "getaddrinfo: 1.2.3.4: -9".into(),
                "1.2.3.4: Resolver Error 0 (no error)".into()
            ]),
        }
    );
    assert_eq!(
        fam("inet6 netmask :: netmask ::").last(),
        Some(&Action::Usage)
    );
    // unix, ddp and ash have no address parser: ifconfig calls NULL.
    assert_eq!(fam("unix up netmask 1.2.3.4").last(), Some(&Action::Crash));
    assert_eq!(fam("ddp add foo"), vec![Action::Crash]);
    assert_eq!(
        fam("ash 1.2.3.4"),
        vec![Action::Fail(vec![
            "ifconfig: Cannot set address for this protocol family.".into()
        ])]
    );
    // Without an address the keywords only set their flag.
    assert_eq!(fam("unix pointopoint"), vec![Action::PointToPoint(None)]);
    assert!(matches!(fam("ipx netmask 1")[0], Action::Unsupported(_)));
}
