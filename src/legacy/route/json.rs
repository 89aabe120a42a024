//! `route --json` (an nslab extension): the table as jc's `route` parser gives it
//! (`route … | jc --route`): one object per row, keyed by the lower-cased header words
//! (`next_hop`, `flags`, `metric` for the IPv6 header), the numbers as integers (`-` is
//! `null`), and `flags_pretty`, the flag letters jc knows spelled out. The table printed is
//! the one the same options print, so every layout (`-e`, `-ee`, `-6`) has its own keys.

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

fn set(row: &mut Row, key: &str, v: Value) {
    match row.iter_mut().find(|(k, _)| k == key) {
        Some(e) => e.1 = v,
        None => row.push((key.to_string(), v)),
    }
}

fn get<'a>(row: &'a Row, key: &str) -> Option<&'a Value> {
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

/// The text of one `route` display (title line first) as jc reads it.
pub fn from_text(text: &str) -> String {
    let mut list: Vec<Row> = Vec::new();
    let mut lines: Vec<String> = text.lines().skip(1).map(str::to_string).collect();
    if !lines.is_empty() && !text.trim().is_empty() {
        let mut h = lines[0].clone();
        if h.contains(" Next Hop ") {
            h = h.replace(" If", " Iface");
        }
        h = h
            .replace(" Next Hop ", " Next_Hop ")
            .replace(" Flag ", " Flags ")
            .replace(" Met ", " Metric ");
        lines[0] = h.to_lowercase();
        for mut row in simple_table(&lines) {
            for k in ["metric", "ref", "use", "mss", "window", "irtt"] {
                if let Some(Value::String(s)) = get(&row, k) {
                    let v = convert_to_int(s);
                    set(&mut row, k, v);
                }
            }
            if let Some(Value::String(f)) = get(&row, "flags") {
                let pretty: Vec<Value> = f
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
                set(&mut row, "flags_pretty", Value::Array(pretty));
            }
            list.push(row);
        }
    }
    to_json(&list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_objects_like_jc() {
        let t = "Kernel IP routing table\nDestination     Gateway         Genmask         Flags Metric Ref    Use Iface\n10.8.0.1        -               255.255.255.255 !H    0      -        0 -\n";
        assert_eq!(
            from_text(t),
            "[{\"destination\":\"10.8.0.1\",\"gateway\":\"-\",\"genmask\":\"255.255.255.255\",\"flags\":\"!H\",\"metric\":0,\"ref\":null,\"use\":0,\"iface\":\"-\",\"flags_pretty\":[\"REJECT\",\"HOST\"]}]\n"
        );
    }
}
