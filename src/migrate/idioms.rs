//! Output-parsing idioms: a legacy display piped into filters that pick one value out of
//! net-tools' text (`ifconfig eth1 | grep 'inet addr:' | cut -d: -f2 | awk '{print $1}'`,
//! `route -n | awk '$1=="0.0.0.0"{print $2}'`, `ifconfig -a | grep -q IF`, …) becomes an
//! `ip`/`bridge` pipeline that prints the same value. Both output shapes are known: net-tools
//! 1.60 (`inet addr:`, `Mask:`, `HWaddr`, uppercase MACs) and 2.10 (`inet A netmask M`,
//! `ether`). A pipeline that is not one of these idioms is kept and reported by the caller.

use super::shell::{Command, Word};
use super::words::{basename, split_netns};

/// The replacement text for the pipeline `cmds` (its first command is the legacy display),
/// and how many of its commands the replacement covers; `None` when it is no known idiom.
pub fn rewrite(cmds: &[Command], src: &str) -> Option<(String, usize)> {
    let head = cmds.first()?;
    let text = |w: &Word| src[w.start..w.end].to_string();
    // `[sudo] [ip netns exec NS] TOOL ARGS`
    let mut words: &[Word] = &head.words;
    let mut sudo = String::new();
    if words.first().and_then(Word::lit).as_deref() == Some("sudo") {
        sudo = "sudo ".into();
        words = &words[1..];
    }
    let (ns, words) = split_netns(words);
    let ip = match ns {
        Some(n) => format!("{sudo}ip -n {}", text(n)),
        None => format!("{sudo}ip"),
    };
    let bridge = match ns {
        Some(n) => format!("{sudo}bridge -n {}", text(n)),
        None => format!("{sudo}bridge"),
    };
    let tool = basename(&words.first()?.lit()?).to_string();
    let args: Vec<Option<String>> = words[1..].iter().map(Word::lit).collect();
    let lits: Option<Vec<String>> = args.iter().cloned().collect();
    // The filters, each as one canonical string (tab-separated words; awk programs and
    // cut's options without blanks).
    let filters: Vec<Option<String>> = cmds[1..].iter().map(canonical).collect();
    let chain = |n: usize| -> Option<String> {
        let f: Option<Vec<String>> = filters.get(..n)?.iter().cloned().collect();
        f.map(|v| v.join(" | "))
    };
    // Every command of the pipeline but the last must be piped into the next.
    let piped_upto = cmds.iter().take_while(|c| c.ctx.piped).count() + 1;
    match tool.as_str() {
        "ifconfig" => {
            // `ifconfig IF | …`: the interface word as written.
            if words.len() == 2 && args[0].as_deref().is_none_or(|a| !a.starts_with('-')) {
                let dev = text(&words[1]);
                // `ifconfig IF | grep -q UP`: whether the device is up (both shapes print
                // `UP` in the flags only then).
                if piped_upto == 2
                    && matches!(
                        filters.first().cloned().flatten().as_deref(),
                        Some("grep\t-q\tUP" | "grep\t-qw\tUP" | "grep\t-wq\tUP")
                    )
                {
                    return Some((format!("{ip} -o link show dev {dev} up | grep -q ."), 2));
                }
                for n in (1..piped_upto.min(5)).rev() {
                    let Some(c) = chain(n) else { continue };
                    if let Some(v) = IF_VALUES.iter().find(|(_, ps)| ps.contains(&c.as_str())) {
                        let pipe = match v.0 {
                            Value::Inet => format!(
                                "{ip} -o -4 addr show dev {dev} label {dev} | awk '{{sub(\"/.*\", \"\", $4); print $4; exit}}'"
                            ),
                            Value::Mask => format!(
                                "{ip} -o -4 addr show dev {dev} label {dev} | awk '{{split($4, a, \"/\"); n = a[2]; m = \"\"; for (i = 0; i < 4; i++) {{ b = n >= 8 ? 8 : (n > 0 ? n : 0); n -= 8; m = m (i ? \".\" : \"\") (256 - 2 ^ (8 - b)) }} print m; exit}}'"
                            ),
                            Value::Mac | Value::MacUpper => format!(
                                "{ip} -o link show dev {dev} | awk '{{for (i = 1; i < NF; i++) if ($i == \"link/ether\") {{ print {}; exit }}}}'",
                                if v.0 == Value::MacUpper { "toupper($(i + 1))" } else { "$(i + 1)" }
                            ),
                        };
                        return Some((pipe, n + 1));
                    }
                }
                return None;
            }
            // `ifconfig [-a] | grep -q NAME`: the names ifconfig lists (devices and labels).
            let all = match lits.as_deref() {
                Some([]) => false,
                Some([a]) if a == "-a" => true,
                _ => return None,
            };
            if piped_upto < 2 || !name_grep(&cmds[1], IFCONFIG_WORDS) {
                return None;
            }
            let up = if all { "" } else { " up" };
            Some((
                format!(
                    "{{ {ip} -o link show{up} | awk -F': ' '{{sub(\"@.*\", \"\", $2); print $2}}'; {ip} -o -4 addr show{up} | awk '{{for (i = 1; i <= NF; i++) if (substr($i, length($i)) == \"\\\\\") {{ print substr($i, 1, length($i) - 1); break }}}}'; }}"
                ),
                1,
            ))
        }
        "brctl" => {
            if lits.as_deref() != Some(&["show".to_string()][..])
                || piped_upto < 2
                || !name_grep(&cmds[1], BRCTL_WORDS)
            {
                return None;
            }
            Some((
                format!(
                    "{{ {ip} -o link show type bridge; {bridge} link show; }} | awk -F': ' '{{sub(\"@.*\", \"\", $2); print $2}}'"
                ),
                1,
            ))
        }
        "route" => {
            if !matches!(lits.as_deref(), Some([n]) if n == "-n") {
                return None;
            }
            for n in (1..piped_upto.min(4)).rev() {
                let Some(c) = chain(n) else { continue };
                let field = if DEFAULT_GW.contains(&c.as_str()) {
                    ("via", "0.0.0.0")
                } else if DEFAULT_IF.contains(&c.as_str()) {
                    ("dev", "*")
                } else {
                    continue;
                };
                return Some((
                    format!(
                        "{ip} -4 route show default | awk '{{v = \"{}\"; for (i = 1; i < NF; i++) if ($i == \"{}\") v = $(i + 1); print v}}'",
                        field.1, field.0
                    ),
                    n + 1,
                ));
            }
            None
        }
        "arp" => {
            if !matches!(lits.as_deref(), Some([a]) if a == "-an" || a == "-na") || piped_upto < 2 {
                return None;
            }
            // The consumers that read an entry's address, MAC or device from arp's BSD
            // lines: `grep -q PAT`, or `grep PAT | awk '{print $N}'`.
            let grep = cmds.get(1)?;
            let gw: Vec<Option<String>> = grep.words.iter().map(Word::lit).collect();
            if gw.first().and_then(|w| w.as_deref()) != Some("grep") {
                return None;
            }
            let quiet = gw.len() == 3 && gw[1].as_deref() == Some("-q");
            let picked = gw.len() == 2
                && piped_upto >= 3
                && matches!(
                    filters.get(1).cloned().flatten().as_deref(),
                    Some("awk\t{print$4}" | "awk\t{print$2}" | "awk\t{print$7}")
                );
            if !(quiet || picked) {
                return None;
            }
            Some((
                format!(
                    "{ip} -4 neigh show | awk '{{m = \"<incomplete>\"; d = \"\"; f = \"\"; for (i = 2; i < NF; i++) {{ if ($i == \"lladdr\") m = $(i + 1) \" [ether]\"; if ($i == \"dev\") d = $(i + 1) }} if ($NF == \"PERMANENT\") f = \" PERM\"; print \"? (\" $1 \") at \" m f \" on \" d}}'"
                ),
                1,
            ))
        }
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Value {
    Inet,
    Mask,
    Mac,
    MacUpper,
}

/// The filter chains that pick a value out of `ifconfig IF`, for either output shape.
const IF_VALUES: &[(Value, &[&str])] = &[
    (
        Value::Inet,
        &[
            // 1.60: `inet addr:10.0.0.1  Bcast:10.0.0.255  Mask:255.255.255.0`
            "grep\tinet addr: | cut\t-d:-f2 | awk\t{print$1}",
            "grep\tinet addr | cut\t-d:-f2 | awk\t{print$1}",
            "grep\tinet addr: | cut\t-d:-f2 | cut\t-d -f1",
            "grep\tinet addr | cut\t-d:-f2 | cut\t-d -f1",
            "grep\tinet addr | awk\t-F:{print$2} | awk\t{print$1}",
            "grep\tinet addr: | awk\t-F:{print$2} | awk\t{print$1}",
            "grep\tinet addr | awk\t{print$2} | cut\t-d:-f2",
            "grep\tinet addr: | awk\t{print$2} | cut\t-d:-f2",
            "grep\tinet addr | awk\t{print$2} | sed\ts/addr://",
            "grep\tinet addr: | awk\t{print$2} | sed\ts/addr://",
            "grep\tinet addr | sed\ts/.*inet addr:\\([^ ]*\\).*/\\1/",
            "grep\tinet addr: | sed\ts/.*inet addr:\\([^ ]*\\).*/\\1/",
            "sed\t-n\ts/.*inet addr:\\([0-9.]*\\).*/\\1/p",
            "awk\t/inet addr/{print substr($2,6)}",
            "grep\tinet addr | awk\t{print substr($2,6)}",
            "grep\tinet addr: | awk\t{print substr($2,6)}",
            "grep\tinet addr | awk\t{print$2} | awk\t-F:{print$2}",
            "grep\tinet addr: | awk\t{print$2} | awk\t-F:{print$2}",
            "sed\t-n\ts/.*inet addr:\\([^ ]*\\).*/\\1/p",
            // 2.10: `inet 10.0.0.1  netmask 255.255.255.0  broadcast 10.0.0.255`
            "grep\tinet  | awk\t{print$2}",
            "grep\t-w\tinet | awk\t{print$2}",
            "grep\tinet  | awk\t{print$2} | head\t-1",
            "grep\tinet  | awk\t{print$2} | head\t-n1",
            "grep\tinet  | awk\t{print$2} | head\t-n\t1",
            "awk\t/inet /{print$2}",
            "sed\t-n\ts/.*inet \\([0-9.]*\\).*/\\1/p",
            "grep\tinet  | sed\ts/.*inet \\([0-9.]*\\).*/\\1/",
            // Both shapes: `addr:` is cut off when present.
            "grep\tinet  | awk\t{print$2} | cut\t-d:-f2",
            "grep\tinet  | awk\t{print$2} | sed\ts/addr://",
        ],
    ),
    (
        Value::Mask,
        &[
            "grep\tMask: | cut\t-d:-f4",
            "grep\tinet addr | cut\t-d:-f4",
            "grep\tinet addr: | cut\t-d:-f4",
            "grep\tMask: | awk\t-F:{print$4}",
            "grep\tinet addr | awk\t-F:{print$4}",
            "grep\tinet  | awk\t{print$4}",
            "grep\tnetmask | awk\t{print$4}",
            "awk\t/netmask/{print$4}",
        ],
    ),
    (
        Value::MacUpper,
        &["grep\tHWaddr | awk\t{print$5}", "awk\t/HWaddr/{print$5}"],
    ),
    (
        Value::Mac,
        &["grep\tether | awk\t{print$2}", "awk\t/ether/{print$2}"],
    ),
];

/// `route -n` filters that pick the default route's gateway, and its interface.
const DEFAULT_GW: &[&str] = &[
    "awk\t$1==\"0.0.0.0\"{print$2}",
    "awk\t/^0.0.0.0/{print$2}",
    "grep\t^0.0.0.0 | awk\t{print$2}",
    "grep\t^0\\.0\\.0\\.0 | awk\t{print$2}",
    "grep\t^0.0.0.0 | awk\t{print$2} | head\t-1",
    "grep\t^0.0.0.0 | awk\t{print$2} | head\t-n1",
];
const DEFAULT_IF: &[&str] = &[
    "awk\t$1==\"0.0.0.0\"{print$8}",
    "awk\t/^0.0.0.0/{print$8}",
    "grep\t^0.0.0.0 | awk\t{print$8}",
    "grep\t^0\\.0\\.0\\.0 | awk\t{print$8}",
];

/// Words of ifconfig's and brctl's text besides the names: a pattern found inside one of
/// them would match that text, which the name list does not carry.
const IFCONFIG_WORDS: &[&str] = &[
    "UP",
    "BROADCAST",
    "RUNNING",
    "MULTICAST",
    "LOOPBACK",
    "NOARP",
    "PROMISC",
    "ALLMULTI",
    "POINTOPOINT",
    "flags",
    "mtu",
    "inet",
    "inet6",
    "netmask",
    "broadcast",
    "prefixlen",
    "scopeid",
    "link",
    "host",
    "global",
    "ether",
    "txqueuelen",
    "Ethernet",
    "Local",
    "Loopback",
    "RX",
    "TX",
    "packets",
    "bytes",
    "errors",
    "dropped",
    "overruns",
    "frame",
    "carrier",
    "collisions",
    "Link",
    "encap:Ethernet",
    "HWaddr",
    "addr:",
    "Bcast:",
    "Mask:",
    "Scope:Link",
    "Metric:",
    "MTU:",
    "unspec",
    "KiB",
    "MiB",
    "GiB",
];
const BRCTL_WORDS: &[&str] = &[
    "bridge",
    "name",
    "id",
    "STP",
    "enabled",
    "interfaces",
    "yes",
    "no",
];

/// `grep -q NAME` (or `-qw`, `-w -q`) where NAME is a device name (a literal that is no
/// part of the tool's other words and does not look like an address or number, or a
/// variable, taken to hold a device name).
fn name_grep(c: &Command, others: &[&str]) -> bool {
    let w: Vec<Option<String>> = c.words.iter().map(Word::lit).collect();
    if w.first().and_then(|x| x.as_deref()) != Some("grep") || w.len() < 3 {
        return false;
    }
    let (opts, pat) = w[1..].split_at(w.len() - 2);
    let quiet = opts.iter().all(|o| {
        matches!(
            o.as_deref(),
            Some("-q" | "-qw" | "-wq" | "-w" | "-F" | "-qF" | "-Fq" | "-s" | "-qs")
        )
    }) && opts
        .iter()
        .any(|o| o.as_deref().is_some_and(|o| o.contains('q')));
    if !quiet || !c.redirs.is_empty() {
        return false;
    }
    match &pat[0] {
        None => true,
        Some(p) => {
            !p.is_empty()
                && p.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "_-.:".contains(ch))
                && p.chars().any(|ch| ch.is_ascii_alphabetic())
                && !p.chars().all(|ch| ch.is_ascii_hexdigit())
                && !others.iter().any(|o| o.contains(p.as_str()))
        }
    }
}

/// An awk program without the blanks that do not change its meaning (around punctuation).
fn squeeze(prog: &str) -> String {
    let words: Vec<&str> = prog.split_whitespace().collect();
    let mut out = String::new();
    for w in words {
        let glue = out.is_empty()
            || out.ends_with(|c: char| "{}();=$\",".contains(c))
            || w.starts_with(|c: char| "{}();=$\",".contains(c));
        if !glue {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// One filter command as a canonical string, `None` when a word is not literal.
fn canonical(c: &Command) -> Option<String> {
    if !c.redirs.is_empty() {
        return None;
    }
    let w: Option<Vec<String>> = c.words.iter().map(Word::lit).collect();
    let w = w?;
    let tool = w.first()?.as_str();
    Some(match tool {
        "awk" => {
            let squeezed: Vec<String> = w[1..].iter().map(|a| squeeze(a)).collect();
            format!("awk\t{}", squeezed.join(""))
        }
        "cut" => {
            // `-d: -f2`, `-d ':' -f 2`, `-f2 -d:`: one form.
            let (mut d, mut f, mut other) = (None, None, Vec::new());
            let mut it = w[1..].iter();
            while let Some(a) = it.next() {
                let mut take = |opt: &str| -> Option<String> {
                    match a.strip_prefix(opt) {
                        Some("") => it.next().cloned(),
                        Some(v) => Some(v.to_string()),
                        None => None,
                    }
                };
                if let Some(v) = take("-d") {
                    d = Some(v);
                } else if let Some(v) = take("-f") {
                    f = Some(v);
                } else {
                    other.push(a.clone());
                }
            }
            if !other.is_empty() {
                return Some(format!("cut\t{}", w[1..].join("")));
            }
            format!(
                "cut\t-d{}-f{}",
                d.unwrap_or_default(),
                f.unwrap_or_default()
            )
        }
        _ => w.join("\t"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(s: &str) -> Option<String> {
        let cmds = super::super::shell::commands(s);
        rewrite(&cmds, s).map(|(t, _)| t)
    }

    #[test]
    fn classic_and_new_shapes_of_the_address_idiom_are_rewritten() {
        for s in [
            "ifconfig eth1 | grep 'inet addr:' | cut -d: -f2 | awk '{print $1}'\n",
            "ifconfig eth1 | grep 'inet ' | awk '{ print $2 }'\n",
            "ifconfig eth1 | sed -n 's/.*inet addr:\\([0-9.]*\\).*/\\1/p'\n",
        ] {
            assert_eq!(
                rw(s).as_deref(),
                Some("ip -o -4 addr show dev eth1 label eth1 | awk '{sub(\"/.*\", \"\", $4); print $4; exit}'"),
                "{s}"
            );
        }
        assert_eq!(rw("ifconfig eth1 | grep inet | wc -l\n"), None);
        assert_eq!(rw("ifconfig -a | grep -q UP\n"), None);
        assert!(rw("ifconfig -a | grep -q \"$IF\"\n").is_some());
    }
}
