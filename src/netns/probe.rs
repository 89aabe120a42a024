//! ICMP echo probes from raw sockets opened inside a namespace.

use super::errno_msg;
use super::thread::in_netns;
use crate::error::{Error, Result};
use std::net::IpAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

/// Send ICMP echo requests from inside `ns` to every target and wait until each has
/// answered or `timeout` has passed since it was first probed; requests are repeated every
/// 200 ms. Returns, per target, whether it answered. One raw socket per address family.
pub fn probe(ns: &str, targets: &[IpAddr], timeout: Duration) -> Result<Vec<bool>> {
    let targets = targets.to_vec();
    in_netns(ns, move || icmp::probe_here(&targets, timeout))?
}

mod icmp {
    use super::*;
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use nix::sys::socket::{
        recvfrom, sendto, socket, AddressFamily, MsgFlags, SockFlag, SockProtocol, SockType,
        SockaddrIn, SockaddrIn6, SockaddrStorage,
    };
    use std::net::{SocketAddrV4, SocketAddrV6};

    fn checksum(data: &[u8]) -> u16 {
        let mut sum: u32 = 0;
        for chunk in data.chunks(2) {
            let word = u16::from_be_bytes([chunk[0], *chunk.get(1).unwrap_or(&0)]);
            sum += word as u32;
        }
        while sum >> 16 != 0 {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        !(sum as u16)
    }

    fn echo(v6: bool, id: u16, seq: u16) -> Vec<u8> {
        let mut p = vec![if v6 { 128 } else { 8 }, 0, 0, 0];
        p.extend(id.to_be_bytes());
        p.extend(seq.to_be_bytes());
        p.extend(b"nslab-probe");
        if !v6 {
            // The kernel fills in the ICMPv6 checksum (RFC 3542); IPv4 is ours to compute.
            let c = checksum(&p);
            p[2..4].copy_from_slice(&c.to_be_bytes());
        }
        p
    }

    /// Where one target stands.
    #[derive(Clone, Copy, PartialEq)]
    enum Target {
        Waiting,
        Sent { first: Instant, last: Instant },
        Done(bool),
    }

    /// At most this many targets are in their first moments (unanswered, sent less than
    /// `FRESH` ago) per prober: sends are clocked by answers, so a lab of a hundred hosts
    /// probing all pairs at once does not flood its bridge with ARP broadcasts and overflow
    /// the kernel's backlog queue (drops there cost a one-second ARP retransmit).
    const WINDOW: usize = 8;
    const FRESH: Duration = Duration::from_millis(50);
    const RESEND: Duration = Duration::from_millis(200);

    pub(super) fn probe_here(targets: &[IpAddr], timeout: Duration) -> Result<Vec<bool>> {
        let id = (std::process::id() as u16) ^ (nix::unistd::gettid().as_raw() as u16);
        let mk = |v6: bool| -> Result<Option<OwnedFd>> {
            if !targets.iter().any(|t| t.is_ipv6() == v6) {
                return Ok(None);
            }
            let (fam, proto) = if v6 {
                (AddressFamily::Inet6, SockProtocol::IcmpV6)
            } else {
                (AddressFamily::Inet, SockProtocol::Icmp)
            };
            socket(
                fam,
                SockType::Raw,
                SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
                proto,
            )
            .map(Some)
            .map_err(|e| Error::netns("raw ICMP socket", errno_msg(e)))
        };
        let sock4 = mk(false)?;
        let sock6 = mk(true)?;
        let send = |i: usize| -> bool {
            let seq = i as u16;
            let sent = match targets[i] {
                IpAddr::V4(a) => sock4.as_ref().map(|s| {
                    sendto(
                        std::os::fd::AsRawFd::as_raw_fd(s),
                        &echo(false, id, seq),
                        &SockaddrIn::from(SocketAddrV4::new(a, 0)),
                        MsgFlags::empty(),
                    )
                }),
                IpAddr::V6(a) => sock6.as_ref().map(|s| {
                    sendto(
                        std::os::fd::AsRawFd::as_raw_fd(s),
                        &echo(true, id, seq),
                        &SockaddrIn6::from(SocketAddrV6::new(a, 0, 0, 0)),
                        MsgFlags::empty(),
                    )
                }),
            };
            // An error (no route, unreachable network) means this target cannot answer.
            matches!(sent, Some(Ok(_)))
        };
        let mut state = vec![Target::Waiting; targets.len()];
        let mut buf = [0u8; 2048];
        loop {
            let now = Instant::now();
            // Expire, resend, and count the fresh ones.
            let mut fresh = 0;
            for (i, st) in state.iter_mut().enumerate() {
                if let Target::Sent { first, last } = *st {
                    if now.duration_since(first) >= timeout {
                        *st = Target::Done(false);
                    } else {
                        if now.duration_since(last) >= RESEND {
                            send(i);
                            *st = Target::Sent { first, last: now };
                        }
                        if now.duration_since(first) < FRESH {
                            fresh += 1;
                        }
                    }
                }
            }
            // Start new targets while the window has room.
            for (i, st) in state.iter_mut().enumerate() {
                if fresh >= WINDOW {
                    break;
                }
                if *st == Target::Waiting {
                    *st = if send(i) {
                        fresh += 1;
                        Target::Sent {
                            first: now,
                            last: now,
                        }
                    } else {
                        Target::Done(false)
                    };
                }
            }
            if state.iter().all(|s| matches!(s, Target::Done(_))) {
                break;
            }
            let mut fds: Vec<PollFd> = [&sock4, &sock6]
                .iter()
                .filter_map(|s| {
                    s.as_ref()
                        .map(|s| PollFd::new(s.as_fd(), PollFlags::POLLIN))
                })
                .collect();
            if poll(&mut fds, PollTimeout::from(5u8)).is_err() {
                continue;
            }
            for (v6, sock) in [(false, &sock4), (true, &sock6)] {
                let Some(sock) = sock else { continue };
                let raw = std::os::fd::AsRawFd::as_raw_fd(sock);
                while let Ok((n, from)) = recvfrom::<SockaddrStorage>(raw, &mut buf) {
                    let pkt = &buf[..n];
                    // IPv4 raw sockets deliver the IP header too; ICMPv6 ones do not.
                    let icmp = if v6 {
                        pkt
                    } else {
                        let ihl = (pkt.first().copied().unwrap_or(0) & 0x0f) as usize * 4;
                        pkt.get(ihl..).unwrap_or(&[])
                    };
                    if icmp.len() < 8 || icmp[0] != if v6 { 129 } else { 0 } {
                        continue;
                    }
                    if u16::from_be_bytes([icmp[4], icmp[5]]) != id {
                        continue;
                    }
                    let seq = u16::from_be_bytes([icmp[6], icmp[7]]) as usize;
                    let src: Option<IpAddr> = from.and_then(|f| {
                        f.as_sockaddr_in()
                            .map(|a| IpAddr::V4(a.ip()))
                            .or_else(|| f.as_sockaddr_in6().map(|a| IpAddr::V6(a.ip())))
                    });
                    if seq < targets.len() && src == Some(targets[seq]) {
                        state[seq] = Target::Done(true);
                    }
                }
            }
        }
        Ok(state.iter().map(|s| *s == Target::Done(true)).collect())
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn checksum_of_a_known_echo_request() {
            // type 8, code 0, id 1, seq 1, no payload: checksum 0xf7fd
            let p = [8u8, 0, 0, 0, 0, 1, 0, 1];
            assert_eq!(super::checksum(&p), 0xf7fd);
        }
    }
}
