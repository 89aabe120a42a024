//! `netstat -p`: which process holds each socket, read from `/proc/PID/fd` (the links
//! `socket:[INODE]`) and `/proc/PID/cmdline`, as net-tools' `prg_cache_load` does; `-` where
//! the caller may not read a process's descriptors.

use crate::legacy::linux;
use std::collections::HashMap;

/// Socket inode → `PID/program` as `-p` shows it (first process in /proc order wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Programs {
    pub by_inode: HashMap<u64, String>,
    /// Some `/proc/PID/fd` could not be read (not root).
    pub denied: bool,
    pub euid: u32,
}

impl Programs {
    pub fn get(&self, inode: u64) -> &str {
        self.by_inode.get(&inode).map(String::as_str).unwrap_or("-")
    }

    /// What net-tools says on stderr after loading.
    pub fn note(&self) -> String {
        if !self.denied {
            String::new()
        } else if self.by_inode.is_empty() {
            format!(
                "(No info could be read for \"-p\": geteuid()={} but you should be root.)\n",
                self.euid
            )
        } else {
            "(Not all processes could be identified, non-owned process info\n will not be shown, you would have to be root to see it all.)\n".into()
        }
    }

    /// Parse the `inode PID/name` lines of a recording.
    pub fn from_text(text: &str) -> Programs {
        let mut p = Programs::default();
        for line in text.lines() {
            if let Some((inode, name)) = line.split_once(' ') {
                if let Ok(i) = inode.parse() {
                    p.by_inode.insert(i, name.to_string());
                }
            }
        }
        p
    }

    /// Read every `/proc/PID/fd/*` link the way net-tools does.
    pub fn load() -> Programs {
        use std::os::unix::ffi::OsStrExt;
        let mut p = Programs {
            euid: std::fs::metadata("/proc/self")
                .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
                .unwrap_or(0),
            ..Programs::default()
        };
        let Ok(procs) = std::fs::read_dir("/proc") else {
            p.denied = true;
            return p;
        };
        for entry in procs.flatten() {
            let pid = entry.file_name();
            let pid = pid.to_string_lossy();
            if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let fds = match std::fs::read_dir(entry.path().join("fd")) {
                Ok(f) => f,
                Err(e) => {
                    if e.kind() == std::io::ErrorKind::PermissionDenied {
                        p.denied = true;
                    }
                    continue;
                }
            };
            let mut cmd: Option<String> = None;
            for fd in fds.flatten() {
                if !fd
                    .file_name()
                    .as_bytes()
                    .first()
                    .is_some_and(u8::is_ascii_digit)
                {
                    continue;
                }
                let Ok(link) = std::fs::read_link(fd.path()) else {
                    continue;
                };
                let link = link.as_os_str().as_bytes();
                if link.len() > 29 {
                    continue;
                }
                let Some(inode) = socket_inode(&String::from_utf8_lossy(link)) else {
                    continue;
                };
                if cmd.is_none() {
                    let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
                        continue;
                    };
                    cmd = Some(program_name(&raw));
                }
                let name = format!("{pid}/{}", cmd.as_deref().unwrap_or(""));
                p.by_inode
                    .entry(inode)
                    .or_insert_with(|| linux::cut(&name, 19));
            }
        }
        p
    }
}

/// `socket:[N]` or the old `[0000]:N`.
pub(super) fn socket_inode(link: &str) -> Option<u64> {
    let n = if let Some(rest) = link.strip_prefix("socket:[") {
        rest.strip_suffix(']')?
    } else {
        link.strip_prefix("[0000]:")?
    };
    n.parse().ok()
}

/// argv[0] of a `cmdline` (first 511 bytes), its basename when it is an absolute path.
pub(super) fn program_name(raw: &[u8]) -> String {
    let raw = &raw[..raw.len().min(511)];
    let argv0 = raw.split(|b| *b == 0).next().unwrap_or(&[]);
    let argv0 = String::from_utf8_lossy(argv0).into_owned();
    if argv0.starts_with('/') {
        argv0.rsplit('/').next().unwrap_or("").to_string()
    } else {
        argv0
    }
}
