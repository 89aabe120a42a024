//! ICMP echo probes from raw sockets opened inside namespaces. A socket keeps the namespace
//! it was opened in, so one helper thread opens every source's sockets (a `setns` before
//! each), and then a few event loops — one per core — probe from all of them at once: no
//! thread per source, however many hosts the lab has.

use super::errno_msg;
use super::open_netns;
use crate::error::{Error, Result};
use std::net::IpAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

/// Send ICMP echo requests from inside `ns` to every target and wait until each has
/// answered or `timeout` has passed since it was first probed; requests are repeated every
/// 200 ms. Returns, per target, whether it answered. One raw socket per address family.
pub fn probe(ns: &str, targets: &[IpAddr], timeout: Duration) -> Result<Vec<bool>> {
    let mut out = probe_many(&[(ns, targets)], timeout)?;
    Ok(out.pop().expect("one source"))
}

/// [`probe`] from many namespaces at once: for each source (namespace, targets), whether
/// each target answered. Every source's sockets are opened first (an error there is the
/// result), then the probing runs on at most as many threads as there are cores.
pub fn probe_many(sources: &[(&str, &[IpAddr])], timeout: Duration) -> Result<Vec<Vec<bool>>> {
    let sockets = icmp::open_all(sources)?;
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(sources.len())
        .max(1);
    let mut jobs: Vec<Vec<icmp::Source>> = (0..workers).map(|_| Vec::new()).collect();
    for (i, ((_, targets), (s4, s6))) in sources.iter().zip(sockets).enumerate() {
        jobs[i % workers].push(icmp::Source::new(i, targets, s4, s6));
    }
    let mut out: Vec<Vec<bool>> = sources.iter().map(|_| Vec::new()).collect();
    let done: Vec<Vec<(usize, Vec<bool>)>> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|job| s.spawn(move || icmp::run(job, timeout)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("prober thread panicked"))
            .collect()
    });
    for (i, answered) in done.into_iter().flatten() {
        out[i] = answered;
    }
    Ok(out)
}

mod icmp {
    use super::*;
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use nix::sched::{setns, CloneFlags};
    use nix::sys::socket::{
        recvfrom, sendto, socket, AddressFamily, MsgFlags, SockFlag, SockProtocol, SockType,
        SockaddrIn, SockaddrIn6, SockaddrStorage,
    };
    use std::net::{SocketAddrV4, SocketAddrV6};
    use std::os::fd::AsRawFd;

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

    type Pair = (Option<OwnedFd>, Option<OwnedFd>);

    /// Each source's raw ICMP sockets (IPv4 and IPv6, each only if it has targets of that
    /// family), opened inside its namespace by one thread that joins them in turn.
    pub(super) fn open_all(sources: &[(&str, &[IpAddr])]) -> Result<Vec<Pair>> {
        let files: Vec<OwnedFd> = sources
            .iter()
            .map(|(ns, _)| open_netns(ns))
            .collect::<Result<_>>()?;
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut out = Vec::with_capacity(sources.len());
                for ((ns, targets), fd) in sources.iter().zip(&files) {
                    setns(fd.as_fd(), CloneFlags::CLONE_NEWNET)
                        .map_err(|e| Error::netns(format!("setns into `{ns}`"), errno_msg(e)))?;
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
                    out.push((mk(false)?, mk(true)?));
                }
                Ok(out)
            })
            .join()
            .expect("socket thread panicked")
        })
    }

    /// Where one target stands.
    #[derive(Clone, Copy, PartialEq)]
    enum Target {
        Waiting,
        Sent { first: Instant, last: Instant },
        Done(bool),
    }

    /// At most this many targets are in their first moments (unanswered, sent less than
    /// `FRESH` ago) per source, and `LOOP_WINDOW` per event loop: sends are clocked by
    /// answers, so a lab of hundreds of hosts probing all pairs at once does not flood its
    /// bridges with ARP broadcasts and overflow the kernel's backlog queues (drops there
    /// cost a one-second ARP retransmit).
    const WINDOW: usize = 8;
    const LOOP_WINDOW: usize = 128;
    const FRESH: Duration = Duration::from_millis(50);
    const RESEND: Duration = Duration::from_millis(200);

    /// One source's probing: its sockets, targets and their states.
    pub(super) struct Source<'a> {
        index: usize,
        id: u16,
        targets: &'a [IpAddr],
        sock4: Option<OwnedFd>,
        sock6: Option<OwnedFd>,
        state: Vec<Target>,
        /// Targets not yet sent start here.
        next: usize,
        /// Targets sent and not yet done.
        open: Vec<usize>,
        /// Sent less than FRESH ago and unanswered (as of the last count).
        fresh: usize,
    }

    impl<'a> Source<'a> {
        pub(super) fn new(
            index: usize,
            targets: &'a [IpAddr],
            sock4: Option<OwnedFd>,
            sock6: Option<OwnedFd>,
        ) -> Source<'a> {
            Source {
                index,
                // Echo ids tell this run's answers from other pingers' in the namespace.
                id: (std::process::id() as u16) ^ (index as u16).rotate_left(7),
                targets,
                sock4,
                sock6,
                state: vec![Target::Waiting; targets.len()],
                next: 0,
                open: Vec::new(),
                fresh: 0,
            }
        }

        fn send(&self, i: usize) -> bool {
            let seq = i as u16;
            let sent = match self.targets[i] {
                IpAddr::V4(a) => self.sock4.as_ref().map(|s| {
                    sendto(
                        s.as_raw_fd(),
                        &echo(false, self.id, seq),
                        &SockaddrIn::from(SocketAddrV4::new(a, 0)),
                        MsgFlags::empty(),
                    )
                }),
                IpAddr::V6(a) => self.sock6.as_ref().map(|s| {
                    sendto(
                        s.as_raw_fd(),
                        &echo(true, self.id, seq),
                        &SockaddrIn6::from(SocketAddrV6::new(a, 0, 0, 0)),
                        MsgFlags::empty(),
                    )
                }),
            };
            // An error (no route, unreachable network) means this target cannot answer.
            matches!(sent, Some(Ok(_)))
        }

        /// Expire and resend what is open; count the fresh ones.
        fn tick(&mut self, now: Instant, timeout: Duration) {
            self.fresh = 0;
            let mut k = 0;
            while k < self.open.len() {
                let i = self.open[k];
                match self.state[i] {
                    Target::Sent { first, .. } if now.duration_since(first) >= timeout => {
                        self.state[i] = Target::Done(false);
                    }
                    Target::Sent { first, last } => {
                        if now.duration_since(last) >= RESEND {
                            self.send(i);
                            self.state[i] = Target::Sent { first, last: now };
                        }
                        if now.duration_since(first) < FRESH {
                            self.fresh += 1;
                        }
                    }
                    _ => {}
                }
                if matches!(self.state[i], Target::Done(_)) {
                    self.open.swap_remove(k);
                } else {
                    k += 1;
                }
            }
        }

        /// Start new targets while this source's window and the loop's room allow; returns
        /// how many were started.
        fn start(&mut self, now: Instant, room: usize) -> usize {
            let mut started = 0;
            while self.next < self.targets.len() && self.fresh < WINDOW && started < room {
                let i = self.next;
                self.next += 1;
                if self.send(i) {
                    self.state[i] = Target::Sent {
                        first: now,
                        last: now,
                    };
                    self.open.push(i);
                    self.fresh += 1;
                    started += 1;
                } else {
                    self.state[i] = Target::Done(false);
                }
            }
            started
        }

        fn finished(&self) -> bool {
            self.next == self.targets.len() && self.open.is_empty()
        }

        /// Read every answer waiting on one of the sockets.
        fn receive(&mut self, v6: bool, buf: &mut [u8]) {
            let sock = if v6 { &self.sock6 } else { &self.sock4 };
            let Some(raw) = sock.as_ref().map(|s| s.as_raw_fd()) else {
                return;
            };
            while let Ok((n, from)) = recvfrom::<SockaddrStorage>(raw, buf) {
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
                if u16::from_be_bytes([icmp[4], icmp[5]]) != self.id {
                    continue;
                }
                let seq = u16::from_be_bytes([icmp[6], icmp[7]]) as usize;
                let src: Option<IpAddr> = from.and_then(|f| {
                    f.as_sockaddr_in()
                        .map(|a| IpAddr::V4(a.ip()))
                        .or_else(|| f.as_sockaddr_in6().map(|a| IpAddr::V6(a.ip())))
                });
                if seq < self.targets.len()
                    && src == Some(self.targets[seq])
                    && matches!(self.state[seq], Target::Sent { .. })
                {
                    self.state[seq] = Target::Done(true);
                }
            }
        }
    }

    /// One event loop: probe from all its sources until each is finished. Returns each
    /// source's index with, per target, whether it answered.
    pub(super) fn run(mut sources: Vec<Source<'_>>, timeout: Duration) -> Vec<(usize, Vec<bool>)> {
        let mut buf = [0u8; 2048];
        let mut counted = vec![false; sources.len()];
        loop {
            // A source whose probing ended is a step of the progress bar (if one is shown).
            for (k, s) in sources.iter().enumerate() {
                if !counted[k] && s.finished() && s.next > 0 {
                    counted[k] = true;
                    crate::progress::inc(1);
                }
            }
            let now = Instant::now();
            let mut fresh = 0;
            for s in sources.iter_mut() {
                s.tick(now, timeout);
                fresh += s.fresh;
            }
            for s in sources.iter_mut() {
                fresh += s.start(now, LOOP_WINDOW.saturating_sub(fresh));
            }
            if sources.iter().all(Source::finished) {
                break;
            }
            // Poll the sockets of the sources that still wait for answers.
            let busy: Vec<usize> = (0..sources.len())
                .filter(|&k| !sources[k].open.is_empty())
                .collect();
            let mut fds: Vec<(usize, bool, PollFd)> = Vec::new();
            for &k in &busy {
                for (v6, sock) in [(false, &sources[k].sock4), (true, &sources[k].sock6)] {
                    if let Some(sock) = sock {
                        fds.push((k, v6, PollFd::new(sock.as_fd(), PollFlags::POLLIN)));
                    }
                }
            }
            let mut polled: Vec<PollFd> = fds.iter().map(|(_, _, p)| *p).collect();
            if poll(&mut polled, PollTimeout::from(5u8)).is_err() {
                continue;
            }
            let ready: Vec<(usize, bool)> = fds
                .iter()
                .zip(&polled)
                .filter(|(_, p)| p.revents().is_some_and(|r| !r.is_empty()))
                .map(|((k, v6, _), _)| (*k, *v6))
                .collect();
            drop(polled);
            drop(fds);
            for (k, v6) in ready {
                sources[k].receive(v6, &mut buf);
            }
        }
        sources
            .into_iter()
            .map(|s| {
                let answered = s.state.iter().map(|t| *t == Target::Done(true)).collect();
                (s.index, answered)
            })
            .collect()
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
