//! What jc (the JSON converter for command output) does with the legacy tools' text, for
//! nslab's `--json`: its table splitter, its integer conversion, the route flag names. The
//! `--json` of route, arp and netstat is what jc would make of the text nslab prints, so these
//! rules are written once, here.

use serde_json::Value;

/// A JSON object with its keys in order (jc's key order is the header's).
pub type Row = Vec<(String, Value)>;

/// Serialize rows as a compact JSON list of objects, keys in order, with a newline.
pub fn to_json(rows: &[Row]) -> String {
    let mut s = String::from("[");
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push('{');
        for (j, (k, v)) in r.iter().enumerate() {
            if j > 0 {
                s.push(',');
            }
            s.push_str(&serde_json::to_string(k).expect("a string serializes"));
            s.push(':');
            s.push_str(&v.to_string());
        }
        s.push('}');
    }
    s.push_str("]\n");
    s
}

pub fn set(row: &mut Row, key: &str, v: Value) {
    match row.iter_mut().find(|(k, _)| k == key) {
        Some(e) => e.1 = v,
        None => row.push((key.to_string(), v)),
    }
}

pub fn get<'a>(row: &'a Row, key: &str) -> Option<&'a Value> {
    row.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// jc's `convert_to_int`: keep digits, `-` and `.`, then read an integer (or a float,
/// truncated); anything else is `null`.
pub fn convert_to_int(s: &str) -> Value {
    let kept: String = s
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '-' || *c == '.')
        .collect();
    if let Ok(i) = kept.parse::<i64>() {
        return Value::from(i);
    }
    match kept.parse::<f64>() {
        Ok(f) if f.is_finite() => Value::from(f.trunc() as i64),
        _ => Value::Null,
    }
}

/// jc's `simple_table_parse`: the first line names the columns; each later line is split
/// on white space into at most that many fields.
pub fn simple_table(lines: &[String]) -> Vec<Row> {
    let Some((head, rows)) = lines.split_first() else {
        return vec![];
    };
    let keys: Vec<&str> = head.split_whitespace().collect();
    rows.iter()
        .map(|l| {
            let mut fields: Vec<String> = Vec::new();
            let mut rest = l.trim_start();
            while !rest.is_empty() {
                if fields.len() + 1 == keys.len() {
                    fields.push(rest.trim_end().to_string());
                    break;
                }
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                fields.push(rest[..end].to_string());
                rest = rest[end..].trim_start();
            }
            keys.iter()
                .zip(fields)
                .map(|(k, v)| (k.to_string(), Value::from(v)))
                .collect()
        })
        .collect()
}

/// jc's `flags_pretty` of a route: the flag letters it knows, spelled out, in order.
pub fn flags_pretty(flags: &str) -> Value {
    let names: Vec<Value> = flags
        .chars()
        .filter_map(|c| {
            Some(match c {
                'U' => "UP",
                'H' => "HOST",
                'G' => "GATEWAY",
                'R' => "REINSTATE",
                'D' => "DYNAMIC",
                'M' => "MODIFIED",
                'A' => "ADDRCONF",
                'C' => "CACHE",
                '!' => "REJECT",
                _ => return None,
            })
        })
        .map(Value::from)
        .collect();
    Value::Array(names)
}
