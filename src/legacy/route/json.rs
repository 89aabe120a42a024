//! `route --json` (an nslab extension): the table as jc's `route` parser gives it
//! (`route … | jc --route`): one object per row, keyed by the lower-cased header words
//! (`next_hop`, `flags`, `metric` for the IPv6 header), the numbers as integers (`-` is
//! `null`), and `flags_pretty`, the flag letters jc knows spelled out. The table printed is
//! the one the same options print, so every layout (`-e`, `-ee`, `-6`) has its own keys.

use crate::legacy::jc::{convert_to_int, flags_pretty, get, set, simple_table, to_json, Row};
use serde_json::Value;

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
                let pretty = flags_pretty(f);
                set(&mut row, "flags_pretty", pretty);
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
