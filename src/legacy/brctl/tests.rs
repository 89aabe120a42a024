//! Unit tests of `brctl`'s run (offline, on a fake sysfs and a recording backend).

use super::*;

fn run_in(dir: &std::path::Path, args: &[&str]) -> (String, String, i32, Vec<Op>) {
    let r = run_offline(dir, args);
    (r.stdout, r.stderr, r.code, r.ops)
}

/// A tiny fake sysfs: bridge `br0` with port `p1`, a free veth `v2`, and `lo`.
fn fake_sys() -> tempdir::Dir {
    let d = tempdir::Dir::new();
    let w = |p: &str, s: &str| {
        let path = d.0.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, s).unwrap();
    };
    w("br0/bridge/bridge_id", "8000.020000000001\n");
    w("br0/bridge/stp_state", "0\n");
    w("br0/flags", "0x1003\n");
    std::fs::create_dir_all(d.0.join("br0/brif/p1")).unwrap();
    w("p1/brport/port_no", "0x1\n");
    w("p1/flags", "0x1003\n");
    w("p1/type", "1\n");
    w("p1/addr_len", "6\n");
    w("p1/address", "02:00:00:00:00:01\n");
    std::os::unix::fs::symlink("../br0", d.0.join("p1/master")).unwrap();
    w("v2/flags", "0x1002\n");
    w("v2/type", "1\n");
    w("v2/addr_len", "6\n");
    w("v2/address", "02:00:00:00:00:02\n");
    w("lo/flags", "0x9\n");
    w("lo/type", "772\n");
    w("lo/addr_len", "6\n");
    w("lo/address", "00:00:00:00:00:00\n");
    d
}

mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let p = std::env::temp_dir().join(format!(
                "nslab-brctl-unit-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[test]
fn show_prints_header_lazily_and_rows_with_tabs() {
    let d = fake_sys();
    let (out, err, rc, _) = run_in(&d.0, &["show"]);
    assert_eq!(
        out,
        "bridge name\tbridge id\t\tSTP enabled\tinterfaces\nbr0\t\t8000.020000000001\tno\t\tp1\n"
    );
    assert_eq!((err.as_str(), rc), ("", 0));
    let (out, err, rc, _) = run_in(&d.0, &["show", "nosuch", "v2"]);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "bridge nosuch does not exist!\ndevice v2 is not a bridge!\n"
    );
    assert_eq!(rc, 1);
}

#[test]
fn addif_checks_like_the_kernel_then_enslaves_through_ip() {
    let d = fake_sys();
    let (_, err, rc, ops) = run_in(&d.0, &["addif", "br0", "v2", "p1", "v2"]);
    assert_eq!(
        err,
        "device p1 is already a member of a bridge; can't add it to bridge br0.\n"
    );
    assert_eq!(rc, 1);
    assert_eq!(ops.len(), 1, "stops at the first failure: {ops:?}");
    assert_eq!(ops[0].to_string(), "ip link set dev v2 master br0");
    let (_, err, _, _) = run_in(&d.0, &["addif", "br0", "lo"]);
    assert_eq!(err, "can't add lo to bridge br0: Invalid argument\n");
    let (_, err, _, _) = run_in(&d.0, &["addif", "v2", "p1"]);
    assert_eq!(err, "can't add p1 to bridge v2: Operation not supported\n");
}

#[test]
fn setpathcost_ignores_the_bridge_unless_the_write_fails() {
    let d = fake_sys();
    let (_, err, rc, ops) = run_in(&d.0, &["setpathcost", "nosuchbr", "p1", "77"]);
    assert_eq!((err.as_str(), rc), ("", 0));
    assert_eq!(
        ops[0].to_string(),
        "ip link set dev p1 type bridge_slave cost 77"
    );
    let (_, err, _, _) = run_in(&d.0, &["setpathcost", "br0", "v2", "7"]);
    assert_eq!(err, "set path cost failed: No such file or directory\n");
    let (_, err, _, _) = run_in(&d.0, &["setportprio", "v2", "v2", "7"]);
    assert_eq!(err, "set port priority failed: Operation not supported\n");
    let (_, err, _, _) = run_in(&d.0, &["setportprio", "br0", "p1", "70000"]);
    assert_eq!(
        err,
        "set port priority failed: Numerical result out of range\n"
    );
}

#[test]
fn ip_failures_become_strerror_texts() {
    let failed = |stderr: &str| Error::Command {
        argv: vec!["ip".into()],
        status: crate::error::Exit::Code(2),
        stderr: stderr.into(),
        line: None,
    };
    assert_eq!(
        kernel_message(&failed(
            "RTNETLINK answers: Numerical result out of range\n"
        )),
        ERANGE.into()
    );
    assert_eq!(
        kernel_message(&failed("Error: Can not enslave a bridge to a bridge.\n")),
        ELOOP.into()
    );
    assert!(matches!(
        kernel_message(&Error::Usage("x".into())),
        Refusal::Nslab(m) if m == "nslab brctl: x"
    ));
}

#[test]
fn delbr_refuses_an_up_bridge() {
    let d = fake_sys();
    let (_, err, rc, ops) = run_in(&d.0, &["delbr", "br0"]);
    assert_eq!(err, "bridge br0 is still up; can't delete it\n");
    assert_eq!(rc, 1);
    assert!(ops.is_empty());
    let (_, err, _, _) = run_in(&d.0, &["delbr", "v2"]);
    assert_eq!(err, "can't delete bridge v2: Operation not permitted\n");
}
