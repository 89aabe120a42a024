//! Unit tests of the ifconfig executor (canned snapshots, a recording backend).

use super::*;
use crate::backend::recording::{Call, Recording};
use crate::legacy::ifconfig::set::grammar::{parse, NumericOnly};
use crate::legacy::ifconfig::set::kernel::mask_of;
use crate::model::{Addr, Link, Snapshot};
use std::net::IpAddr;

fn addr(cidr: &str, label: &str, secondary: bool) -> Addr {
    let (a, len) = cidr.split_once('/').expect("cidr");
    let local: Ipv4Addr = a.parse().expect("addr");
    let len: u8 = len.parse().expect("len");
    Addr {
        local: IpAddr::V4(local),
        prefixlen: len,
        peer: None,
        broadcast: Some(IpAddr::V4(Ipv4Addr::from(u32::from(local) | !mask_of(len)))),
        scope: "global".into(),
        label: Some(label.into()),
        secondary,
        tentative: false,
        dadfailed: false,
        nodad: false,
    }
}

fn link(name: &str, up: bool, addrs: Vec<Addr>) -> Link {
    let mut l = crate::backend::memory::new_link(name, "veth");
    if up {
        l.flags.push("UP".into());
        l.operstate = "UP".into();
    }
    Link {
        ifindex: 3,
        mac: Some("02:00:00:00:00:01".into()),
        addrs,
        ..l
    }
}

/// Run `ifconfig ARGS` offline against one link; returns (code, stderr, applied batches).
fn run_on(l: Link, args: &str, verbose: bool) -> (i32, String, Vec<Vec<Op>>) {
    let mut backend = Recording {
        snapshots: vec![Snapshot {
            netns: None,
            links: vec![l],
            routes: vec![],
            nsids: Default::default(),
        }],
        ..Recording::default()
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let words: Vec<String> = args.split_whitespace().map(str::to_string).collect();
    let cmd = parse(&words[0], &words[1..], &NumericOnly);
    let code = {
        let mut ctx = Ctx {
            backend: &mut backend,
            out: &mut out,
            err: &mut err,
            verbose,
            dialect: Default::default(),
        };
        run(&mut ctx, &cmd)
    };
    let applied = backend
        .calls
        .iter()
        .filter_map(|c| match c {
            Call::Apply(ops) => Some(ops.clone()),
            _ => None,
        })
        .collect();
    (code, String::from_utf8(err).expect("utf8"), applied)
}

fn primary_and_alias(up: bool) -> Link {
    link(
        "v0",
        up,
        vec![
            addr("10.0.0.1/24", "v0", false),
            addr("10.0.0.2/24", "v0:1", true),
        ],
    )
}

#[test]
fn replacing_the_primary_deletes_it_by_label_and_inserts_the_classful_address() {
    let (code, err, applied) = run_on(primary_and_alias(true), "v0 10.0.0.9", false);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(applied.len(), 1, "{applied:?}");
    let shown: Vec<String> = applied[0].iter().map(|o| o.to_string()).collect();
    assert_eq!(
        shown,
        vec![
            "ip addr del 10.0.0.1 label v0 dev v0",
            "ip addr add 10.0.0.9/8 broadcast 10.255.255.255 label v0 dev v0",
        ]
    );
}

#[test]
fn an_alias_keeping_its_address_changes_nothing_and_does_not_bring_the_device_up() {
    let (code, err, applied) = run_on(primary_and_alias(false), "v0:1 10.0.0.2", false);
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(applied.is_empty(), "{applied:?}");
}

#[test]
fn a_down_device_is_brought_up_after_its_address() {
    let (code, _, applied) = run_on(primary_and_alias(false), "v0 10.0.0.1", false);
    assert_eq!(code, 0);
    let shown: Vec<String> = applied.concat().iter().map(|o| o.to_string()).collect();
    assert_eq!(shown, vec!["ip link set dev v0 up"]);
}

#[test]
fn kernel_checks_done_before_ip_give_the_ioctl_messages() {
    let l = primary_and_alias(true);
    let (code, err, applied) = run_on(l.clone(), "v0 netmask 255.0.255.0 mtu -5", false);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "SIOCSIFNETMASK: Invalid argument\nSIOCSIFMTU: Invalid argument\n"
    );
    assert!(applied.is_empty());
    let (code, err, _) = run_on(l.clone(), "v0:7 netmask 255.0.0.0", false);
    assert_eq!(
        (code, err.as_str()),
        (1, "SIOCSIFNETMASK: Cannot assign requested address\n")
    );
    let (code, err, _) = run_on(l, "v0 224.0.0.1", false);
    assert_eq!(code, 1);
    assert_eq!(err, "SIOCSIFADDR: Invalid argument\n");
}

#[test]
fn a_missing_device_fails_every_flag_call_with_255() {
    let (code, err, _) = run_on(primary_and_alias(true), "nosuch 10.0.0.1", false);
    assert_eq!(code, 255);
    assert_eq!(
        err,
        "SIOCSIFADDR: No such device\nnosuch: ERROR while getting interface flags: No such device\n"
    );
}

#[test]
fn verbose_adds_the_warning_with_goterr() {
    let (code, err, _) = run_on(primary_and_alias(true), "v0 mtu -1", true);
    assert_eq!(code, 1);
    assert!(
        err.ends_with("WARNING: at least one error occured. (1)\n"),
        "{err}"
    );
}

#[test]
fn families_without_a_socket_fail_with_ebadf() {
    // goterr: -1 from the flags, then `goterr = 1` from the MTU failure (assigned, as
    // ifconfig.c does), so the exit code is 1.
    let (code, err, _) = run_on(primary_and_alias(true), "v0 ipx up mtu 1400", false);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "v0: ERROR while getting interface flags: Bad file descriptor\nSIOCSIFMTU: Bad file descriptor\n"
    );
}

#[test]
fn del_of_an_unknown_address_adds_it_as_the_first_free_alias() {
    let (code, err, applied) = run_on(primary_and_alias(true), "v0 del 10.0.0.99", false);
    // The canned state never changes, so the steps after the first stop silently.
    assert_eq!((code, err.as_str()), (0, ""));
    let first: Vec<String> = applied[0].iter().map(|o| o.to_string()).collect();
    assert_eq!(
        first,
        vec!["ip addr add 10.0.0.99/8 broadcast 10.255.255.255 label v0:0 dev v0"]
    );
}
