//! Unit tests of `legacy/netstat/mod.rs`.

use super::programs::{program_name, socket_inode};
use super::*;

fn opts(words: &[&str]) -> Opts {
    let mut argv = vec!["netstat".to_string()];
    argv.extend(words.iter().map(|w| w.to_string()));
    match parse(&argv) {
        Invocation::Run { opts, .. } => opts,
        other => panic!("{other:?}"),
    }
}

#[test]
fn families_turn_protocols_on_like_net_tools() {
    let o = opts(&["-x", "-6"]);
    assert!(o.tcp && o.udp && o.raw && o.noprot && o.inet6 && !o.inet && o.unix);
    let o = opts(&["-t"]);
    assert!(o.inet && o.inet6 && o.arg && !o.unix);
    let o = opts(&["--ip"]);
    assert!(o.inet && o.tcp && !o.unix);
    assert!(!opts(&[]).arg);
}

#[test]
fn option_errors_and_fixed_answers() {
    let p = |w: &[&str]| {
        let mut argv = vec!["netstat".to_string()];
        argv.extend(w.iter().map(|s| s.to_string()));
        match parse(&argv) {
            Invocation::Fixed(o) => (o.code, o.stderr.lines().next().unwrap_or("").to_string()),
            _ => (-1, String::new()),
        }
    };
    assert_eq!(
        p(&["--bogus"]),
        (3, "netstat: unrecognized option '--bogus'".into())
    );
    assert_eq!(
        p(&["-A", "foo"]),
        (1, "Unknown address family `foo'.".into())
    );
    assert_eq!(p(&["-r", "-i"]).0, 3);
    assert_eq!(p(&["-i", "--interfaces"]).0, 3);
    assert_eq!(
        p(&["-Z"]),
        (1, "SELinux is not enabled on this machine.".into())
    );
    assert_eq!(p(&["-V"]).0, 0);
}

#[test]
fn program_names_are_argv0_basenames() {
    assert_eq!(program_name(b"/usr/sbin/sshd\0-D\0"), "sshd");
    assert_eq!(program_name(b"python3\0-m\0http.server\0"), "python3");
    assert_eq!(socket_inode("socket:[123]"), Some(123));
    assert_eq!(socket_inode("pipe:[123]"), None);
}
