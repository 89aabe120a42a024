//! `brctl` lines: the drop-in's grammar gives the command and its Ops; brctl's refusals are
//! decided from the picture where it is known, else by a run-time test in the emitted shell.

use super::known;
use super::translate::{Res, Tx};
use crate::backend::Script;
use crate::legacy::brctl::grammar as brctl;
use crate::op::{Ns, Op};
use crate::run::shell_quote;

impl Tx {
    pub(super) fn brctl(&mut self, args: &[String], dyn_at: &[bool]) -> Res {
        let mut argv = vec!["brctl".to_string()];
        argv.extend(args.iter().cloned());
        let cmd = match brctl::parse_args(&argv) {
            brctl::Invocation::Answer(a) => {
                if dyn_at.iter().any(|d| *d) {
                    return Err("a value only known at run time decides what brctl does".into());
                }
                let msg = String::from_utf8_lossy(if a.stderr.is_empty() {
                    &a.stdout
                } else {
                    &a.stderr
                });
                let first = msg.lines().next().unwrap_or("").to_string();
                return Err(if a.code == 0 {
                    "it prints brctl's own text; nothing to translate".into()
                } else {
                    format!("brctl refuses it: {first}")
                });
            }
            brctl::Invocation::Run(c) => c,
        };
        use brctl::Command as B;
        let ip = self.ip();
        let bridge_cmd = |ns: &Ns| match ns {
            Some(n) => format!("bridge -n {}", shell_quote(n)),
            None => "bridge".into(),
        };
        match &cmd {
            B::Show { bridges } => {
                if bridges.is_empty() {
                    self.lines.push(format!("{ip} link show type bridge"));
                } else {
                    for b in bridges {
                        self.lines
                            .push(format!("{ip} link show dev {}", shell_quote(b)));
                    }
                }
                self.lines
                    .push(format!("{} link show", bridge_cmd(&self.ns)));
                return Ok(None);
            }
            B::ShowMacs { bridge } => {
                self.lines.push(format!(
                    "{} fdb show br {}",
                    bridge_cmd(&self.ns),
                    shell_quote(bridge)
                ));
                return Ok(None);
            }
            B::ShowStp { bridge } => {
                self.lines
                    .push(format!("{ip} -d link show dev {}", shell_quote(bridge)));
                self.lines
                    .push(format!("{} -d link show", bridge_cmd(&self.ns)));
                return Ok(None);
            }
            _ => {}
        }
        let Some(ops) = cmd.ops(&self.ns) else {
            return Err("a time beyond what `ip` can carry (2^32 centiseconds)".into());
        };
        match &cmd {
            B::AddBr { bridge } => {
                if let Some(k) = &mut self.known {
                    let name = brctl::kernel_name(bridge);
                    if k.link(&name).is_some() {
                        return Err(format!("device `{name}` already exists here: brctl fails"));
                    }
                    known::add_link(k, &name, "bridge");
                }
            }
            B::DelBr { bridge } => {
                let name = brctl::kernel_name(bridge);
                match self.known.as_mut() {
                    Some(k) => match k.link(&name) {
                        Some(l) if l.kind == "bridge" && !l.is_up() => {
                            known::remove_link(k, &name);
                        }
                        Some(l) if l.kind == "bridge" => {
                            return Err(format!("bridge `{name}` is still up here: brctl fails"))
                        }
                        _ => return Err(format!("`{name}` is not a bridge here: brctl fails")),
                    },
                    None => {
                        let del = Script::render(&ops);
                        self.lines.push(format!(
                            "if {ip} link show dev {b} type bridge | grep -q . && ! {ip} link show dev {b} up | grep -q .; then {}; else false; fi",
                            del.trim_end(),
                            b = shell_quote(&name)
                        ));
                        return Ok(Some("brctl deletes a bridge only while it is down".into()));
                    }
                }
            }
            B::AddIf { bridge, ifaces } => {
                if let Some(k) = &mut self.known {
                    let br = brctl::kernel_name(bridge);
                    if k.link(&br).is_none_or(|l| l.kind != "bridge") {
                        return Err(format!("bridge `{br}` does not exist here: brctl fails"));
                    }
                    for (n, i) in ifaces.iter().enumerate() {
                        let stop = if n == 0 {
                            "brctl fails"
                        } else {
                            "brctl stops there"
                        };
                        match known::link_mut(k, i) {
                            Some(l) if l.kind == "bridge" => {
                                return Err(format!("`{i}` is a bridge itself here: {stop}"))
                            }
                            Some(l) if l.master.is_some() => {
                                return Err(format!(
                                    "`{i}` is already a port of a bridge here: {stop}"
                                ))
                            }
                            Some(l) => l.master = Some(br.clone()),
                            None => return Err(format!("`{i}` does not exist here: {stop}")),
                        }
                    }
                }
            }
            B::DelIf { bridge, ifaces } => {
                if let Some(k) = &mut self.known {
                    let br = brctl::kernel_name(bridge);
                    for (n, i) in ifaces.iter().enumerate() {
                        let stop = if n == 0 {
                            "brctl fails"
                        } else {
                            "brctl stops there"
                        };
                        match known::link_mut(k, i) {
                            Some(l) if l.master.as_deref() == Some(br.as_str()) => l.master = None,
                            _ => {
                                return Err(format!(
                                    "`{i}` is not a port of `{bridge}` here: {stop}"
                                ))
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        if self.known.is_none() {
            // brctl refuses a device that is already a port (of any bridge), and `delif` of
            // a device that is not a port of that bridge; it stops at the first refusal and
            // exits 1.
            let steps: Option<Vec<(String, Op)>> = match &cmd {
                B::AddIf { bridge, ifaces } => Some(
                    ifaces
                        .iter()
                        .map(|i| {
                            (
                                format!(
                                    "! {ip} link show dev {} | grep -q ' master '",
                                    shell_quote(i)
                                ),
                                Op::SetMaster {
                                    ns: self.ns.clone(),
                                    dev: i.clone(),
                                    master: Some(brctl::kernel_name(bridge)),
                                },
                            )
                        })
                        .collect(),
                ),
                B::DelIf { bridge, ifaces } => Some(
                    ifaces
                        .iter()
                        .map(|i| {
                            (
                                format!(
                                    "{ip} link show dev {} master {} | grep -q .",
                                    shell_quote(i),
                                    shell_quote(&brctl::kernel_name(bridge))
                                ),
                                Op::SetMaster {
                                    ns: self.ns.clone(),
                                    dev: i.clone(),
                                    master: None,
                                },
                            )
                        })
                        .collect(),
                ),
                _ => None,
            };
            if let Some(steps) = steps {
                let mut cond: Vec<String> = Vec::new();
                let n = steps.len();
                for (k, (test, op)) in steps.into_iter().enumerate() {
                    cond.push(test);
                    let set = Script::render(&[op]).trim_end().to_string();
                    if k + 1 == n {
                        self.lines.push(format!(
                            "if {}; then {set}; else false; fi",
                            cond.join(" && ")
                        ));
                    } else {
                        cond.push(set);
                    }
                }
                return Ok(None);
            }
        }
        for op in ops {
            self.op(op);
        }
        Ok(None)
    }
}
