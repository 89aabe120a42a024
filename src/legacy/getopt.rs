//! glibc's `getopt_long` as net-tools `route` and `arp` call it: short options from a spec
//! (`"A:eCFhnN64Vv?"`, a `:` after a letter taking an argument, attached or as the next
//! word), long options matched by unique prefix, and argument permutation (options may follow
//! operands; `--` ends the options). Errors carry glibc's messages, prefixed with the
//! program name as it was called.

/// A long option: its name, whether it takes an argument, and the short letter it acts as.
#[derive(Debug, Clone, Copy)]
pub struct LongOpt {
    pub name: &'static str,
    pub has_arg: bool,
    pub val: char,
}

/// One step of the scan: an option (with its argument) or an error getopt printed (it then
/// returns `?`, which the tools treat as a usage error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Opt(char, Option<String>),
    /// A long option whose value is 1 in C (a flag-less entry the tool looks up by name).
    Long(&'static str, Option<String>),
    /// The message glibc printed on stderr, with its newline.
    Error(String),
}

/// The options in order, and the operands (non-options) in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    pub items: Vec<Item>,
    pub operands: Vec<String>,
}

/// Scan `args` (without argv[0]) as `getopt_long(argc, argv, short, long)` does, all of it.
/// The tools stop at the first option whose handler exits; callers walk `items` in order.
pub fn getopt_long(prog: &str, args: &[String], short: &str, long: &[LongOpt]) -> Parsed {
    let mut p = Parsed::default();
    let takes = |c: char| -> Option<bool> {
        let i = short.find(c)?;
        if c == ':' {
            return None;
        }
        Some(short[i + c.len_utf8()..].starts_with(':'))
    };
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a == "--" {
            p.operands.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(body) = a.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let exact = long.iter().find(|o| o.name == name);
            let matches: Vec<&LongOpt> = long.iter().filter(|o| o.name.starts_with(name)).collect();
            let opt = match (exact, matches.as_slice()) {
                (Some(o), _) => o,
                (None, [o]) => *o,
                (None, []) => {
                    p.items.push(Item::Error(format!(
                        "{prog}: unrecognized option '--{name}'\n"
                    )));
                    continue;
                }
                (None, many) => {
                    let first = many[0];
                    if many
                        .iter()
                        .all(|o| o.has_arg == first.has_arg && o.val == first.val)
                    {
                        first
                    } else {
                        let names: Vec<String> =
                            many.iter().map(|o| format!(" '--{}'", o.name)).collect();
                        p.items.push(Item::Error(format!(
                            "{prog}: option '--{name}' is ambiguous; possibilities:{}\n",
                            names.concat()
                        )));
                        continue;
                    }
                }
            };
            if opt.has_arg {
                let val = match inline {
                    Some(v) => Some(v),
                    None if i < args.len() => {
                        i += 1;
                        Some(args[i - 1].clone())
                    }
                    None => None,
                };
                match val {
                    Some(v) if opt.val == '\u{1}' => p.items.push(Item::Long(opt.name, Some(v))),
                    Some(v) => p.items.push(Item::Opt(opt.val, Some(v))),
                    None => p.items.push(Item::Error(format!(
                        "{prog}: option '--{}' requires an argument\n",
                        opt.name
                    ))),
                }
            } else if inline.is_some() {
                p.items.push(Item::Error(format!(
                    "{prog}: option '--{}' doesn't allow an argument\n",
                    opt.name
                )));
            } else if opt.val == '\u{1}' {
                p.items.push(Item::Long(opt.name, None));
            } else {
                p.items.push(Item::Opt(opt.val, None));
            }
            continue;
        }
        if a.len() < 2 || !a.starts_with('-') {
            p.operands.push(a.clone());
            continue;
        }
        let chars: Vec<char> = a[1..].chars().collect();
        let mut k = 0;
        while k < chars.len() {
            let c = chars[k];
            k += 1;
            match takes(c) {
                None => p
                    .items
                    .push(Item::Error(format!("{prog}: invalid option -- '{c}'\n"))),
                Some(false) => p.items.push(Item::Opt(c, None)),
                Some(true) => {
                    if k < chars.len() {
                        let rest: String = chars[k..].iter().collect();
                        p.items.push(Item::Opt(c, Some(rest)));
                    } else if i < args.len() {
                        i += 1;
                        p.items.push(Item::Opt(c, Some(args[i - 1].clone())));
                    } else {
                        p.items.push(Item::Error(format!(
                            "{prog}: option requires an argument -- '{c}'\n"
                        )));
                    }
                    break;
                }
            }
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    const LONG: &[LongOpt] = &[
        LongOpt {
            name: "numeric",
            has_arg: false,
            val: 'n',
        },
        LongOpt {
            name: "protocol",
            has_arg: true,
            val: 'A',
        },
        LongOpt {
            name: "verbose",
            has_arg: false,
            val: 'v',
        },
        LongOpt {
            name: "version",
            has_arg: false,
            val: 'V',
        },
    ];

    #[test]
    fn options_are_permuted_and_arguments_attached_or_separate() {
        let p = getopt_long(
            "route",
            &s(&["add", "-nAinet6", "x", "-A", "inet"]),
            "A:n",
            LONG,
        );
        assert_eq!(
            p.items,
            vec![
                Item::Opt('n', None),
                Item::Opt('A', Some("inet6".into())),
                Item::Opt('A', Some("inet".into()))
            ]
        );
        assert_eq!(p.operands, s(&["add", "x"]));
    }

    #[test]
    fn long_options_match_by_unique_prefix() {
        let p = getopt_long(
            "route",
            &s(&["--num", "--ver", "--x", "--prot=inet"]),
            "",
            LONG,
        );
        assert_eq!(p.items[0], Item::Opt('n', None));
        assert_eq!(
            p.items[1],
            Item::Error(
                "route: option '--ver' is ambiguous; possibilities: '--verbose' '--version'\n"
                    .into()
            )
        );
        assert_eq!(
            p.items[2],
            Item::Error("route: unrecognized option '--x'\n".into())
        );
        assert_eq!(p.items[3], Item::Opt('A', Some("inet".into())));
    }

    #[test]
    fn a_missing_argument_and_an_unknown_letter_are_reported() {
        let p = getopt_long("arp", &s(&["-x", "-i"]), "i:", LONG);
        assert_eq!(
            p.items,
            vec![
                Item::Error("arp: invalid option -- 'x'\n".into()),
                Item::Error("arp: option requires an argument -- 'i'\n".into())
            ]
        );
    }
}
