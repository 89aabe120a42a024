//! GNU `getopt_long` as glibc implements it, for the drop-ins whose option handling is
//! getopt's (netstat, route, arp): argv is permuted (options may follow operands, `--` ends them), short
//! options cluster (`-tulpn`) and take their argument attached or from the next word, long
//! options may be abbreviated to any unambiguous prefix (an exact match wins; prefixes of
//! options that do the same thing are not ambiguous), and errors carry glibc's exact texts.
//!
//! The parser yields [`Item`]s in argv order; the tool decides what each one means, so side
//! effects that stop the tool half way (`-V`, a bad family) keep their order.

/// One long option: its name, whether it takes an argument, and what it reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LongOpt {
    pub name: &'static str,
    pub has_arg: bool,
    /// The value getopt returns: a short option letter, or a code the tool interprets.
    pub val: char,
}

/// What getopt hands back, one option at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A short option (or a long one whose value is a letter), with its argument.
    Opt(char, Option<String>),
    /// A long option whose `val` is not a letter the tool knows by itself: its index in the
    /// table is what the tool reads (`longopts[index].name`).
    Long(usize, Option<String>),
    /// getopt printed this message (without the trailing newline) and returned `'?'`.
    Error(String),
}

/// What a whole scan gives: the options in argv order, and the operands (non-options, and
/// everything after `--`) in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    pub items: Vec<Item>,
    pub operands: Vec<String>,
}

/// Parse `args` (argv without argv[0]) with `shorts` (getopt's optstring: a letter, `:` after
/// it when it takes an argument) and `longs`. `prog` prefixes error messages (argv[0]).
/// `long_code` is the `val` that marks table-indexed long options ([`Item::Long`]).
pub fn getopt_long(
    prog: &str,
    args: &[String],
    shorts: &str,
    longs: &[LongOpt],
    long_code: char,
) -> Parsed {
    let takes_arg = |c: char| -> Option<bool> {
        if c == ':' {
            return None;
        }
        let i = shorts.find(c)?;
        Some(shorts[i + c.len_utf8()..].starts_with(':'))
    };
    let mut items = Vec::new();
    let mut operands = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a == "--" {
            operands.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(body) = a.strip_prefix("--") {
            let (name, value) = match body.find('=') {
                Some(e) => (&body[..e], Some(body[e + 1..].to_string())),
                None => (body, None),
            };
            let found = match find_long(longs, name) {
                Ok(k) => k,
                Err(None) => {
                    items.push(Item::Error(format!(
                        "{prog}: unrecognized option '--{body}'"
                    )));
                    continue;
                }
                Err(Some(listed)) => {
                    let mut m = format!("{prog}: option '--{name}' is ambiguous; possibilities:");
                    for k in listed {
                        m.push_str(&format!(" '--{}'", longs[k].name));
                    }
                    items.push(Item::Error(m));
                    continue;
                }
            };
            let opt = longs[found];
            let arg = if opt.has_arg {
                match value {
                    Some(v) => Some(v),
                    None if i < args.len() => {
                        i += 1;
                        Some(args[i - 1].clone())
                    }
                    None => {
                        items.push(Item::Error(format!(
                            "{prog}: option '--{}' requires an argument",
                            opt.name
                        )));
                        continue;
                    }
                }
            } else if value.is_some() {
                items.push(Item::Error(format!(
                    "{prog}: option '--{}' doesn't allow an argument",
                    opt.name
                )));
                continue;
            } else {
                None
            };
            items.push(if opt.val == long_code {
                Item::Long(found, arg)
            } else {
                Item::Opt(opt.val, arg)
            });
            continue;
        }
        if a.len() < 2 || !a.starts_with('-') {
            operands.push(a.clone()); // permuted to the end, never an option
            continue;
        }
        let cluster: Vec<char> = a[1..].chars().collect();
        let mut k = 0;
        while k < cluster.len() {
            let c = cluster[k];
            k += 1;
            match takes_arg(c) {
                None => items.push(Item::Error(format!("{prog}: invalid option -- '{c}'"))),
                Some(false) => items.push(Item::Opt(c, None)),
                Some(true) => {
                    if k < cluster.len() {
                        items.push(Item::Opt(c, Some(cluster[k..].iter().collect())));
                    } else if i < args.len() {
                        items.push(Item::Opt(c, Some(args[i].clone())));
                        i += 1;
                    } else {
                        items.push(Item::Error(format!(
                            "{prog}: option requires an argument -- '{c}'"
                        )));
                    }
                    break;
                }
            }
        }
    }
    Parsed { items, operands }
}

/// glibc's lookup: an exact name first; else the first prefix match, ambiguous when a later
/// prefix match differs from it in argument or value (`Err(Some(listed))`, in table order:
/// the first match and every one that differs from it).
fn find_long(longs: &[LongOpt], name: &str) -> Result<usize, Option<Vec<usize>>> {
    if let Some(k) = longs.iter().position(|o| o.name == name) {
        return Ok(k);
    }
    let mut first: Option<usize> = None;
    let mut listed: Vec<usize> = Vec::new();
    for (k, o) in longs.iter().enumerate() {
        if !o.name.starts_with(name) {
            continue;
        }
        match first {
            None => first = Some(k),
            Some(f) => {
                let p = longs[f];
                if p.has_arg != o.has_arg || p.val != o.val {
                    if listed.is_empty() {
                        listed.push(f);
                    }
                    listed.push(k);
                }
            }
        }
    }
    match (first, listed.is_empty()) {
        (Some(f), true) => Ok(f),
        (Some(_), false) => Err(Some(listed)),
        (None, _) => Err(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONGS: &[LongOpt] = &[
        LongOpt {
            name: "inet",
            has_arg: false,
            val: '\u{1}',
        },
        LongOpt {
            name: "inet6",
            has_arg: false,
            val: '\u{1}',
        },
        LongOpt {
            name: "interfaces",
            has_arg: false,
            val: 'i',
        },
        LongOpt {
            name: "protocol",
            has_arg: true,
            val: 'A',
        },
    ];

    fn run(words: &[&str]) -> Vec<Item> {
        let args: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        getopt_long("netstat", &args, "A:it", LONGS, '\u{1}').items
    }

    #[test]
    fn operands_are_kept_in_order_and_after_the_double_dash() {
        let args: Vec<String> = ["add", "-tAinet6", "x", "--", "-i"]
            .iter()
            .map(|w| w.to_string())
            .collect();
        let p = getopt_long("route", &args, "A:it", LONGS, '\u{1}');
        assert_eq!(
            p.items,
            vec![Item::Opt('t', None), Item::Opt('A', Some("inet6".into()))]
        );
        assert_eq!(p.operands, ["add", "x", "-i"]);
    }

    #[test]
    fn clusters_permutation_and_arguments() {
        assert_eq!(
            run(&["x", "-tiAinet", "--", "-t"]),
            vec![
                Item::Opt('t', None),
                Item::Opt('i', None),
                Item::Opt('A', Some("inet".into()))
            ]
        );
        assert_eq!(
            run(&["-A"]),
            vec![Item::Error(
                "netstat: option requires an argument -- 'A'".into()
            )]
        );
        assert_eq!(
            run(&["-q"]),
            vec![Item::Error("netstat: invalid option -- 'q'".into())]
        );
        assert_eq!(
            run(&["--prot", "inet6"]),
            vec![Item::Opt('A', Some("inet6".into()))]
        );
    }

    #[test]
    fn long_prefixes_like_glibc() {
        assert_eq!(run(&["--inet"]), vec![Item::Long(0, None)]);
        assert_eq!(run(&["--ine"]), vec![Item::Long(0, None)]);
        assert_eq!(
            run(&["--in"]),
            vec![Item::Error(
                "netstat: option '--in' is ambiguous; possibilities: '--inet' '--interfaces'"
                    .into()
            )]
        );
        assert_eq!(
            run(&["--inet=x"]),
            vec![Item::Error(
                "netstat: option '--inet' doesn't allow an argument".into()
            )]
        );
        assert_eq!(
            run(&["--nope=1"]),
            vec![Item::Error(
                "netstat: unrecognized option '--nope=1'".into()
            )]
        );
    }
}
