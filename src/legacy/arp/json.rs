//! `arp --json` (an nslab extension): the entries as jc's `arp` parser gives them
//! (`arp … | jc --arp`). The Linux table becomes objects keyed `address`, `hwtype`,
//! `hwaddress`, `flags_mask`, `iface` (jc reads an incomplete row's `(incomplete)` as the
//! hardware type and the device as the address, and so does this); the BSD style (`-a`)
//! becomes `name` (`null` for `?`), `address`, `hwtype`, `hwaddress`, `iface`, `permanent`
//! (incomplete entries: `hwtype`/`hwaddress` `null`).

use crate::legacy::jc::{simple_table, to_json, Row};
use serde_json::Value;

/// The text of one `arp` display as jc reads it.
pub fn from_text(text: &str) -> String {
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let Some(first) = lines.first() else {
        return to_json(&[]);
    };
    let mut rows: Vec<Row> = Vec::new();
    if first.starts_with("Address") {
        let mut lines = lines.clone();
        lines[0] = lines[0].replace("Flags Mask", "flags_mask").to_lowercase();
        rows = simple_table(&lines);
    } else {
        for line in &lines {
            let w: Vec<&str> = line.split_whitespace().collect();
            let name = match w[0] {
                "?" => Value::Null,
                n => Value::from(n),
            };
            let addr = Value::from(w[1].trim_start_matches('(').trim_end_matches(')'));
            let mut row: Row = vec![("name".into(), name), ("address".into(), addr)];
            if !w.contains(&"<incomplete>") && !w.contains(&"(incomplete)") {
                row.push((
                    "hwtype".into(),
                    Value::from(
                        w.get(4)
                            .unwrap_or(&"")
                            .trim_start_matches('[')
                            .trim_end_matches(']'),
                    ),
                ));
                row.push(("hwaddress".into(), Value::from(w[3])));
                if w.contains(&"permanent") {
                    row.push(("permanent".into(), Value::Bool(true)));
                } else if w.get(6).is_some_and(|x| !x.contains("in")) {
                    row.push(("iface".into(), Value::from(w[6])));
                }
            } else {
                row.push(("hwtype".into(), Value::Null));
                row.push(("hwaddress".into(), Value::Null));
                if w.len() >= 5 {
                    row.push(("iface".into(), Value::from(*w.get(5).unwrap_or(&""))));
                }
            }
            rows.push(row);
        }
    }
    to_json(&rows)
}
