//! Lab services (`[[hosts.services]]`): the `Start` Op `up` plans for each (its argv,
//! environment, readiness, paths), and what `ps` and `logs` read back. Starting and
//! supervising a service is host work, in `backend::service`.

use super::file::{Host, Lab, ServiceDecl, DEFAULT_READY_TIMEOUT};
pub use crate::backend::service::{file_of, lab_dir, log_path, Row, Status};
use crate::error::{Error, IoContext, Result};
use crate::netns::procs;
use crate::op::{Readiness, ServiceSpec};
use std::path::Path;
use std::time::Duration;

/// The Op's description of a declared service.
pub fn spec(lab: &Lab, host: &Host, s: &ServiceDecl) -> ServiceSpec {
    let ready = s.ready.as_ref().map(|r| match (&r.tcp, &r.command) {
        (Some(t), _) => Readiness::Tcp(t.socket_addr().expect("validated").to_string()),
        (None, c) => Readiness::Command(c.clone().unwrap_or_default()),
    });
    let timeout = s
        .ready
        .as_ref()
        .and_then(|r| r.timeout)
        .unwrap_or(DEFAULT_READY_TIMEOUT);
    ServiceSpec {
        lab: lab.name.clone(),
        name: s.name.clone(),
        argv: s.command.clone(),
        env: s.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        cwd: s.cwd.clone(),
        restart_on_failure: s.restart == super::file::Restart::OnFailure,
        ready,
        ready_timeout_ms: (timeout * 1000.0).round() as u64,
        log: log_path(&lab.name, &host.name, &s.name)
            .display()
            .to_string(),
        status: file_of(&lab.name, &host.name, &s.name, "status")
            .display()
            .to_string(),
    }
}

/// The services of a lab in its state, each read from its status file and /proc.
pub fn rows(state: &super::apply::State) -> Vec<Row> {
    let lab = &state.lab;
    let mut out = Vec::new();
    for (hi, si) in lab.service_order() {
        let (h, s) = (&lab.hosts[hi], &lab.hosts[hi].services[si]);
        let sp = spec(lab, h, s);
        let st = Status::read(Path::new(&sp.status));
        let alive = |pid: Option<u32>, ticks: Option<u64>| match (pid, ticks) {
            (Some(p), Some(t)) => procs::start_ticks(p as i32) == Some(t),
            (Some(p), None) => procs::start_ticks(p as i32).is_some(),
            _ => false,
        };
        let sup = st
            .as_ref()
            .map(|st| st.supervisor)
            .or_else(|| state.service_pid(&h.name, &s.name));
        let sup_alive = alive(sup, None);
        let (state_word, pid, uptime) = match &st {
            None if sup_alive => ("starting".to_string(), sup, None),
            None => ("gone".to_string(), None, None),
            Some(st) => match &st.exit {
                None if alive(st.pid, st.started) => (
                    "running".to_string(),
                    st.pid,
                    st.pid.and_then(|p| procs::age_secs(p as i32)),
                ),
                None => ("gone".to_string(), st.pid, None),
                Some(how) if sup_alive => (format!("restarting ({how})"), st.pid, None),
                Some(how) => (how.clone(), st.pid, None),
            },
        };
        out.push(Row {
            lab: lab.name.clone(),
            host: h.name.clone(),
            service: s.name.clone(),
            pid,
            supervisor: sup.filter(|_| sup_alive),
            state: state_word,
            restarts: st.as_ref().map_or(0, |s| s.restarts),
            uptime_secs: uptime,
        });
    }
    out
}

/// `ps`'s table: LAB HOST SERVICE PID STATE UPTIME.
pub fn render(rows: &[Row]) -> String {
    let mut lines = vec![[
        "LAB".to_string(),
        "HOST".into(),
        "SERVICE".into(),
        "PID".into(),
        "STATE".into(),
        "UPTIME".into(),
    ]];
    for r in rows {
        lines.push([
            r.lab.clone(),
            r.host.clone(),
            r.service.clone(),
            r.pid.map_or("-".into(), |p| p.to_string()),
            r.state.clone(),
            r.uptime_secs.map_or("-".into(), |u| format!("{u:.0}s")),
        ]);
    }
    let widths: Vec<usize> = (0..6)
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for l in &lines {
        let cells: Vec<String> = l
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// `nslab logs LAB HOST SERVICE [-f]`: print the log; with `follow`, keep printing what is
/// added until interrupted, or until the log is removed (the lab went down).
pub fn logs(lab: &str, host: &str, service: &str, follow: bool) -> Result<()> {
    use std::io::{Read, Seek, Write};
    let path = log_path(lab, host, service);
    let mut f = std::fs::File::open(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::Usage(format!(
            "no log for service `{host}.{service}` of lab `{lab}` ({} does not exist)",
            path.display()
        )),
        _ => Error::io(path.display().to_string(), e),
    })?;
    let mut out = std::io::stdout();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        f.read_to_end(&mut buf).ctx_path(&path)?;
        if !buf.is_empty() {
            out.write_all(&buf)
                .and_then(|()| out.flush())
                .map_err(|e| Error::io("stdout", e))?;
        }
        if !follow || !path.exists() {
            return Ok(());
        }
        // A log that was truncated: start again from its beginning.
        let pos = f.stream_position().ctx_path(&path)?;
        if std::fs::metadata(&path).is_ok_and(|m| m.len() < pos) {
            f.rewind().ctx_path(&path)?;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
