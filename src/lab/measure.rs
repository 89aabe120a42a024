//! `nslab measure`: for each shaped link between two hosts, the throughput achieved in each
//! direction and the round-trip time, printed beside the shaping the kernel reports.
//!
//! Throughput is TCP goodput at the receiver: with `iperf3` (when installed; `-J`, the
//! receiver's `bits_per_second`) or else an in-process pump, a TCP connection whose two
//! sockets are opened inside the two namespaces (`netns::in_netns`), one end writing for
//! the given time and the other counting what arrives. Goodput is below the configured rate
//! by the headers (about 4.5% for 1500-byte frames: tbf counts whole frames). The RTT is
//! the median time of a TCP handshake (connect) over a few tries, on the idle link.

use super::Lab;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::netns;
use crate::run::Cmd;
use crate::shape::{ShapeJson, Shaping};
use serde::Serialize;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// How throughput is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    Iperf3,
    Pump,
}

/// One direction of one link.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Direction {
    /// `links[i]` in the lab file.
    pub link: usize,
    pub from: String,
    pub from_dev: String,
    pub to: String,
    pub to_dev: String,
    /// The address of `to` the traffic went to.
    pub addr: IpAddr,
    /// The shaping of `from_dev`'s egress as read back (`None`: not shaped).
    pub configured: Option<ShapeJson>,
    pub throughput_bit_per_s: f64,
    pub rtt_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub lab: String,
    pub tool: Tool,
    pub seconds: f64,
    pub directions: Vec<Direction>,
    /// Shaped links that were not measured, and why.
    pub skipped: Vec<String>,
}

/// The tool to use when none is asked for: iperf3 if it is installed.
pub fn default_tool() -> Tool {
    if crate::run::find_binary("iperf3").is_ok() {
        Tool::Iperf3
    } else {
        Tool::Pump
    }
}

/// The address to reach an endpoint at: its first IPv4 address, else its first IPv6 one
/// that is not link-local.
fn target_addr(addrs: &[String]) -> Option<IpAddr> {
    let parsed: Vec<IpAddr> = addrs
        .iter()
        .filter_map(|a| a.split('/').next()?.parse().ok())
        .collect();
    parsed.iter().find(|a| a.is_ipv4()).copied().or_else(|| {
        parsed
            .iter()
            .find(|a| matches!(a, IpAddr::V6(v) if (v.segments()[0] & 0xffc0) != 0xfe80))
            .copied()
    })
}

/// Measure every shaped link of `lab` whose two ends are hosts.
pub fn measure(lab: &Lab, tool: Tool, seconds: f64, backend: &mut dyn Backend) -> Result<Report> {
    if tool == Tool::Iperf3 {
        crate::run::find_binary("iperf3")?;
    }
    let mut shapings: Vec<(String, Vec<Shaping>)> = Vec::new();
    for h in lab.host_names() {
        let s = backend.shapings(Some(&h))?;
        shapings.push((h, s));
    }
    let shaping_of = |host: &Option<String>, dev: &str| -> Option<Shaping> {
        let host = host.as_ref()?;
        shapings
            .iter()
            .find(|(h, _)| h == host)?
            .1
            .iter()
            .find(|s| s.dev == dev)
            .cloned()
    };
    let mut report = Report {
        lab: lab.name.clone(),
        tool,
        seconds,
        directions: Vec::new(),
        skipped: Vec::new(),
    };
    for (i, l) in lab.links.iter().enumerate() {
        let (sa, sb) = (
            shaping_of(&l.a.host, &l.a.name),
            shaping_of(&l.b.host, &l.b.name),
        );
        if sa.is_none() && sb.is_none() {
            continue;
        }
        let (Some(ha), Some(hb)) = (&l.a.host, &l.b.host) else {
            report.skipped.push(format!(
                "links[{i}]: not measured: an end is a bridge port, not a host"
            ));
            continue;
        };
        let (Some(addr_a), Some(addr_b)) = (target_addr(&l.a.addrs), target_addr(&l.b.addrs))
        else {
            report
                .skipped
                .push(format!("links[{i}]: not measured: an end has no address"));
            continue;
        };
        for (from, fdev, fshape, to, tdev, addr) in [
            (ha, &l.a.name, &sa, hb, &l.b.name, addr_b),
            (hb, &l.b.name, &sb, ha, &l.a.name, addr_a),
        ] {
            let rtt = handshake_rtt(from, to, addr)?;
            let bits = match tool {
                Tool::Iperf3 => iperf3(from, to, addr, seconds)?,
                Tool::Pump => pump(from, to, addr, seconds)?,
            };
            report.directions.push(Direction {
                link: i,
                from: from.clone(),
                from_dev: fdev.clone(),
                to: to.clone(),
                to_dev: tdev.clone(),
                addr,
                configured: fshape.as_ref().map(|s| s.shape.json()),
                throughput_bit_per_s: bits,
                rtt_ms: rtt.as_secs_f64() * 1000.0,
            });
        }
    }
    Ok(report)
}

/// A listening socket opened inside `ns` on `addr`, any port.
fn listen_in(ns: &str, addr: IpAddr) -> Result<TcpListener> {
    netns::in_netns(ns, move || TcpListener::bind((addr, 0)))?
        .map_err(|e| Error::io(format!("listen on {addr} in `{ns}`"), e))
}

/// A connection from inside `ns` to `to`, and how long the handshake took.
fn connect_from(ns: &str, to: SocketAddr) -> Result<(TcpStream, Duration)> {
    netns::in_netns(ns, move || {
        let t0 = Instant::now();
        TcpStream::connect_timeout(&to, Duration::from_secs(3)).map(|c| (c, t0.elapsed()))
    })?
    .map_err(|e| Error::io(format!("connect from `{ns}` to {to}"), e))
}

/// The median of 5 TCP handshakes from `from` to a listener in `to`.
fn handshake_rtt(from: &str, to: &str, addr: IpAddr) -> Result<Duration> {
    let listener = listen_in(to, addr)?;
    let target = listener
        .local_addr()
        .map_err(|e| Error::io("listener address", e))?;
    let mut times = Vec::new();
    for _ in 0..5 {
        let (conn, took) = connect_from(from, target)?;
        times.push(took);
        drop(conn);
        // The kernel completed the handshake; take the connection off the queue.
        let _ = listener.accept();
    }
    times.sort();
    Ok(times[times.len() / 2])
}

/// In-process TCP pump: `from` writes for `seconds`, `to` counts what arrives. Returns the
/// receiver's rate in bits per second, from its first byte to the end of the window.
fn pump(from: &str, to: &str, addr: IpAddr, seconds: f64) -> Result<f64> {
    let listener = listen_in(to, addr)?;
    let target = listener
        .local_addr()
        .map_err(|e| Error::io("listener address", e))?;
    let window = Duration::from_secs_f64(seconds);
    std::thread::scope(|s| {
        let receiver = s.spawn(move || -> std::io::Result<(u64, Duration, TcpStream)> {
            let (mut conn, _) = listener.accept()?;
            conn.set_read_timeout(Some(Duration::from_secs(5)))?;
            let mut buf = vec![0u8; 256 * 1024];
            let mut counted = 0u64;
            let mut first: Option<Instant> = None;
            loop {
                let n = conn.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                let now = Instant::now();
                let start = *first.get_or_insert(now);
                if now.duration_since(start) <= window {
                    counted += n as u64;
                }
            }
            let span = first.map_or(Duration::ZERO, |f| f.elapsed().min(window));
            // The stream is returned, so it is closed only after the sender is done: a
            // write to a closed socket would raise SIGPIPE.
            Ok((counted, span, conn))
        });
        let sent = (|| -> Result<()> {
            let (mut conn, _) = connect_from(from, target)?;
            conn.set_write_timeout(Some(Duration::from_secs(5)))
                .map_err(|e| Error::io("socket", e))?;
            let chunk = vec![0x5au8; 64 * 1024];
            let t0 = Instant::now();
            while t0.elapsed() < window {
                conn.write_all(&chunk)
                    .map_err(|e| Error::io(format!("send from `{from}` to {target}"), e))?;
            }
            conn.shutdown(std::net::Shutdown::Write)
                .map_err(|e| Error::io("shutdown", e))
        })();
        let received = receiver.join().expect("receiver thread panicked");
        sent?;
        let (bytes, span, _conn) =
            received.map_err(|e| Error::io(format!("receive in `{to}` on {target}"), e))?;
        if span.is_zero() {
            return Err(Error::Usage(format!(
                "nothing arrived from `{from}` at {target}"
            )));
        }
        Ok(bytes as f64 * 8.0 / span.as_secs_f64())
    })
}

/// [`iperf3_once`], run again once when iperf3 reports no receiver figure (3.12 now and
/// then ends a test without one on this loaded machine).
fn iperf3(from: &str, to: &str, addr: IpAddr, seconds: f64) -> Result<f64> {
    match iperf3_once(from, to, addr, seconds) {
        Err(Error::Parse { .. }) => iperf3_once(from, to, addr, seconds),
        other => other,
    }
}

/// `iperf3 -s -1` in `to`, `iperf3 -c ADDR -t SECONDS -J` in `from`; the receiver's rate.
fn iperf3_once(from: &str, to: &str, addr: IpAddr, seconds: f64) -> Result<f64> {
    // A port of its own, so that concurrent runs (other labs) do not meet.
    let port = {
        let probe = listen_in(to, addr)?;
        probe
            .local_addr()
            .map_err(|e| Error::io("listener address", e))?
            .port()
    };
    let addr_s = addr.to_string();
    let port_s = port.to_string();
    let server = Cmd::new("iperf3")
        .args(&["-s", "-1", "-B", addr_s.as_str(), "-p", port_s.as_str()])
        .in_netns(to)
        .start_held()?;
    let secs = format!("{seconds}");
    let client = Cmd::new("iperf3")
        .args(&[
            "-c",
            addr_s.as_str(),
            "-p",
            port_s.as_str(),
            "-t",
            secs.as_str(),
            "-J",
        ])
        .in_netns(from);
    // The server needs a moment to listen: retry a refused connection, for at most 2 s.
    let t0 = Instant::now();
    let out = loop {
        let out = client.run_unchecked()?;
        let refused = !out.success() && out.stdout.contains("Connection refused");
        if !refused || t0.elapsed() > Duration::from_secs(2) {
            break out;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // The client has the receiver's figures (the server sends them at the end of the test):
    // the server is not needed any longer. It is ended rather than waited for, since
    // `iperf3 -s -1` does not always exit after its one test (3.12 went back to listening
    // now and then in the tests here).
    server.kill();
    if !out.success() {
        return Err(Error::Command {
            argv: client.argv(),
            status: out.status.clone().expect("failed"),
            stderr: iperf3_error(&out.stdout).unwrap_or(out.stderr),
            line: None,
        });
    }
    let v: serde_json::Value = serde_json::from_str(&out.stdout).map_err(|e| Error::Parse {
        what: "iperf3 -J".into(),
        message: e.to_string(),
    })?;
    v.pointer("/end/sum_received/bits_per_second")
        .and_then(|b| b.as_f64())
        .ok_or_else(|| Error::Parse {
            what: "iperf3 -J".into(),
            message: format!(
                "no end.sum_received.bits_per_second{}",
                iperf3_error(&out.stdout).map_or(String::new(), |e| format!(" ({e})"))
            ),
        })
}

/// iperf3 -J reports its failures inside the JSON (`"error": "…"`).
fn iperf3_error(stdout: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(stdout).ok()?;
    v.get("error")?.as_str().map(str::to_string)
}

/// `9.57 Mbit/s` for people.
pub fn human_rate(bits: f64) -> String {
    for (unit, scale) in [("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3)] {
        if bits >= scale {
            return format!("{:.2} {unit}", bits / scale);
        }
    }
    format!("{bits:.0} bit/s")
}

impl Report {
    pub fn render(&self) -> String {
        let mut s = String::new();
        if self.directions.is_empty() && self.skipped.is_empty() {
            s.push_str(&format!("lab `{}`: no shaped link to measure\n", self.lab));
        }
        if !self.directions.is_empty() {
            let mut rows = vec![["LINK", "FROM", "TO", "CONFIGURED", "MEASURED", "RTT"]
                .map(String::from)
                .to_vec()];
            for d in &self.directions {
                rows.push(vec![
                    format!("links[{}]", d.link),
                    format!("{}:{}", d.from, d.from_dev),
                    format!("{}:{}", d.to, d.to_dev),
                    d.configured
                        .as_ref()
                        .map_or("-".to_string(), |c| c.text.clone()),
                    human_rate(d.throughput_bit_per_s),
                    format!("{:.2} ms", d.rtt_ms),
                ]);
            }
            s.push_str(&crate::show::table(&rows));
            let tool = match self.tool {
                Tool::Iperf3 => "iperf3",
                Tool::Pump => {
                    "in-process TCP pump (install iperf3 to use it: apt-get install iperf3)"
                }
            };
            s.push_str(&format!(
                "measured: TCP goodput over {} s with {tool}; RTT: median TCP handshake\n",
                self.seconds
            ));
        }
        for k in &self.skipped {
            s.push_str(k);
            s.push('\n');
        }
        s
    }
}
