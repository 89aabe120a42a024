//! `netstat --json`: jc's `netstat` schema (jc 1.22, Linux parser), produced the way jc
//! produces it — from the text netstat prints — so that nslab's JSON and `jc --netstat` on
//! the real tool's output cannot disagree, quirks included (a UDP row has `state: null`, a
//! unix row's `[ ]` flags are `null`, `-` program names are `null`, ports also as numbers
//! when non-zero).

use serde_json::{Map, Value};

/// Python's `str.isspace` for the characters netstat can print.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python `s.split(maxsplit=n)`: runs of blanks separate; the last piece keeps its inner and
/// trailing blanks.
fn py_split(s: &str, maxsplit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s.trim_start_matches(py_space);
    while !rest.is_empty() {
        if out.len() == maxsplit {
            out.push(rest.to_string());
            break;
        }
        let end = rest.find(py_space).unwrap_or(rest.len());
        out.push(rest[..end].to_string());
        rest = rest[end..].trim_start_matches(py_space);
    }
    out
}

/// Python `s[a:b]` on characters, negative indices counting from the end.
fn py_slice(s: &[char], a: isize, b: isize) -> String {
    let n = s.len() as isize;
    let fix = |i: isize| if i < 0 { (i + n).max(0) } else { i.min(n) };
    let (a, b) = (fix(a), fix(b));
    if a >= b {
        return String::new();
    }
    s[a as usize..b as usize].iter().collect()
}

/// Python `str.find` on characters (-1 when absent).
fn py_find(hay: &str, needle: &str) -> isize {
    match hay.find(needle) {
        Some(byte) => hay[..byte].chars().count() as isize,
        None => -1,
    }
}

fn normalize_headers(h: &str) -> String {
    h.to_lowercase()
        .replace("local address", "local_address")
        .replace("foreign address", "foreign_address")
        .replace("pid/program name", "program_name")
        .replace("security context", "security_context")
        .replace("i-node", " inode")
        .replace('-', "_")
}

fn normalize_route_headers(h: &str) -> String {
    h.to_lowercase()
        .replace("flags", "route_flags")
        .replace("ref", "route_refs")
        .replace('-', "_")
}

type Row = Vec<(String, Value)>;

fn zip(headers: &[String], values: Vec<Value>) -> Row {
    headers.iter().cloned().zip(values).collect()
}

fn strs(v: Vec<String>) -> Vec<Value> {
    v.into_iter().map(Value::String).collect()
}

/// A header line seen, with the text jc keeps for socket column positions.
struct Headers {
    text: String,
    names: Vec<String>,
}

#[derive(PartialEq)]
enum Section {
    None,
    Network,
    Socket,
    Bluetooth,
    Route,
    Interface,
}

/// jc's `netstat_linux.parse` followed by its post-processing; `Err` where jc itself fails
/// (a table row before any column header, as in `netstat -ie`).
pub fn parse(text: &str) -> Result<Value, String> {
    let mut rows: Vec<Row> = Vec::new();
    let mut section = Section::None;
    let mut headers: Option<Headers> = None;
    for line in text.lines().filter(|l| !l.is_empty()) {
        let switch = [
            ("Active Internet", Section::Network),
            ("Active UNIX", Section::Socket),
            ("Active Bluetooth", Section::Bluetooth),
            ("Kernel IP routing table", Section::Route),
            ("Kernel Interface table", Section::Interface),
        ];
        if let Some((_, s)) = switch.into_iter().find(|(p, _)| line.starts_with(p)) {
            section = s;
            continue;
        }
        let header = if line.starts_with("Proto") {
            Some(normalize_headers(line))
        } else if line.starts_with("Destination ") {
            Some(normalize_route_headers(line))
        } else if line.starts_with("Iface ") {
            Some(line.to_lowercase().replace('-', "_"))
        } else {
            None
        };
        if let Some(text) = header {
            let names = text.split_whitespace().map(str::to_string).collect();
            headers = Some(Headers { text, names });
            continue;
        }
        let kind = match section {
            Section::Network => "network",
            Section::Socket => "socket",
            Section::Route => "route",
            Section::Interface => "interface",
            Section::None | Section::Bluetooth => continue,
        };
        let h = headers.as_ref().ok_or_else(|| {
            format!("jc cannot parse this output (no column header before {line:?})")
        })?;
        let n = h.names.len().saturating_sub(1);
        let mut row = match section {
            Section::Network => {
                let mut v = strs(py_split(line, n));
                if v.len() == n {
                    v.insert(5.min(v.len()), Value::Null);
                }
                zip(&h.names, v)
            }
            Section::Socket => socket(h, line)?,
            _ => zip(&h.names, strs(py_split(line, n))),
        };
        row.push(("kind".into(), Value::String(kind.into())));
        rows.push(row);
    }
    Ok(Value::Array(rows.into_iter().map(post).collect()))
}

fn socket(h: &Headers, line: &str) -> Result<Row, String> {
    let state_col = py_find(&h.text, "state");
    let pn_start = py_find(&h.text, "program_name");
    let pn_end = py_find(&h.text, "path") - 1;
    let entry = line.replace("[ ]", "---").replace(['[', ']'], " ");
    let chars: Vec<char> = entry.chars().collect();
    let old = py_slice(&chars, pn_start, pn_end);
    let entry = if old.is_empty() {
        entry
    } else {
        entry.replace(&old, &old.replace(' ', "\u{2063}"))
    };
    let n = h.names.len().saturating_sub(1);
    let mut v = strs(py_split(&entry, n));
    let at = entry
        .chars()
        .nth(state_col.max(0) as usize)
        .ok_or_else(|| format!("jc cannot parse this output (short line {line:?})"))?;
    if " \t\n\r\x0b\x0c".contains(at) {
        v.insert(4.min(v.len()), Value::Null);
    }
    let mut row = zip(&h.names, v);
    for (k, val) in row.iter_mut() {
        if k == "program_name" {
            if let Value::String(s) = val {
                *s = s.replace('\u{2063}', " ");
            }
        }
    }
    Ok(row)
}

const INTS: &[&str] = &[
    "recv_q",
    "send_q",
    "pid",
    "refcnt",
    "inode",
    "unit",
    "vendor",
    "class",
    "osx_flags",
    "subcla",
    "pcbcount",
    "rcvbuf",
    "sndbuf",
    "rxbytes",
    "txbytes",
    "route_refs",
    "use",
    "mtu",
    "mss",
    "window",
    "irtt",
    "metric",
    "ipkts",
    "ierrs",
    "opkts",
    "oerrs",
    "coll",
    "rx_ok",
    "rx_err",
    "rx_drp",
    "rx_ovr",
    "tx_ok",
    "tx_err",
    "tx_drp",
    "tx_ovr",
    "idrop",
    "ibytes",
    "obytes",
    "r_mbuf",
    "s_mbuf",
    "r_clus",
    "s_clus",
    "r_hiwa",
    "s_hiwa",
    "r_lowa",
    "s_lowa",
    "r_bcnt",
    "s_bcnt",
    "r_bmax",
    "s_bmax",
    "rexmit",
    "ooorcv",
    "0_win",
];

/// jc `convert_to_int` of a string value; other values as they are.
fn to_int(v: &Value) -> Value {
    match v {
        Value::String(s) => crate::legacy::jc::convert_to_int(s),
        v => v.clone(),
    }
}

fn post(row: Row) -> Value {
    let mut m = Map::new();
    for (k, v) in row {
        let v = match v {
            Value::String(s) => Value::String(s.trim_end_matches(py_space).to_string()),
            other => other,
        };
        m.insert(k, v);
    }
    if m.get("flags") == Some(&Value::String("---".into())) {
        m.insert("flags".into(), Value::Null);
    }
    if let Some(Value::String(p)) = m.get("program_name").cloned() {
        let p = p.trim_matches(py_space).to_string();
        if p == "-" {
            m.insert("program_name".into(), Value::Null);
        } else if let Some((pid, name)) = p.split_once('/') {
            m.insert("pid".into(), Value::String(pid.into()));
            m.insert("program_name".into(), Value::String(name.into()));
        } else {
            m.insert("program_name".into(), Value::String(p));
        }
    }
    for (addr, port) in [
        ("local_address", "local_port"),
        ("foreign_address", "foreign_port"),
    ] {
        if let Some(Value::String(a)) = m.get(addr).cloned() {
            if let Some((host, p)) = a.rsplit_once(':') {
                m.insert(addr.into(), Value::String(host.into()));
                m.insert(port.into(), Value::String(p.into()));
            }
        }
    }
    if m.get("kind") == Some(&Value::String("network".into())) {
        if let Some(Value::String(proto)) = m.get("proto").cloned() {
            let t = if proto.contains("tcp") {
                Value::String("tcp".into())
            } else if proto.contains("udp") {
                Value::String("udp".into())
            } else {
                Value::Null
            };
            m.insert("transport_protocol".into(), t);
            let n = if proto.contains('6') { "ipv6" } else { "ipv4" };
            m.insert("network_protocol".into(), Value::String(n.into()));
        }
    }
    if let Some(Value::String(flags)) = m.get("route_flags").cloned() {
        m.insert(
            "route_flags_pretty".into(),
            crate::legacy::jc::flags_pretty(&flags),
        );
    }
    let keys: Vec<String> = m.keys().cloned().collect();
    for k in keys {
        if INTS.contains(&k.as_str()) {
            let v = to_int(&m[&k]);
            m.insert(k, v);
        }
    }
    for (port, num) in [
        ("local_port", "local_port_num"),
        ("foreign_port", "foreign_port_num"),
    ] {
        if let Some(v) = m.get(port) {
            if let Value::Number(n) = to_int(v) {
                if n.as_i64() != Some(0) {
                    m.insert(num.into(), Value::Number(n));
                }
            }
        }
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_python() {
        assert_eq!(py_split("  a b   c d  ", 2), vec!["a", "b", "c d  "]);
        assert_eq!(py_slice(&"abcdef".chars().collect::<Vec<_>>(), -1, 3), "");
        assert_eq!(py_slice(&"ab".chars().collect::<Vec<_>>(), -1, 3), "b");
    }

    #[test]
    fn tcp_and_udp_rows() {
        let text = "Active Internet connections (only servers)\n\
Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name    \n\
tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      10/sshd             \n\
udp        0      0 0.0.0.0:68              0.0.0.0:*                           -                   \n";
        let v = parse(text).unwrap();
        assert_eq!(v[0]["local_port_num"], 22);
        assert_eq!(v[0]["pid"], 10);
        assert_eq!(v[0]["program_name"], "sshd");
        assert_eq!(v[1]["state"], Value::Null);
        assert_eq!(v[1]["program_name"], Value::Null);
        assert_eq!(v[1]["foreign_port"], "*");
        assert!(v[1].get("foreign_port_num").is_none());
    }
}
