//! What migrate knows statically about the namespaces a script builds.
//!
//! A namespace the script creates itself (`ip netns add NS`, unconditionally, at the top level)
//! starts empty: only `lo`, down, and no address. From there on, every line migrate
//! understands updates its picture, a [`Snapshot`] held by the memory backend
//! ([`crate::backend::memory`]): legacy lines by running the drop-ins' own executors against
//! it, `ip` lines by [`super::observe`]. Anything it does not understand that may touch a
//! namespace makes it forget that namespace, and a compound command or a conditional list
//! makes it forget everything. Where the picture is known, a legacy line whose effect depends
//! on the current state becomes exactly the Ops the drop-in would apply; elsewhere migrate
//! emits a run-time guard or keeps the line.

pub use crate::backend::memory::{fresh_namespace, new_link};
use crate::model::{Link, Snapshot};
use std::collections::{HashMap, HashSet};

/// Knowledge about every namespace, keyed by the namespace word's [`key`](super::shell::Word::key).
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub spaces: HashMap<String, Snapshot>,
    /// Namespaces where routes or neighbour entries may exist: deleting a device's last IPv4
    /// address there flushes them, so every step of ifconfig is kept.
    pub routed: HashSet<String>,
    /// Functions the script defines that run their arguments as a command (`"$@"`).
    pub wrappers: HashSet<String>,
    /// Every function the script defines.
    pub functions: HashSet<String>,
    /// Namespaces (`None`: the one the script runs in) where an ifconfig line was kept: it
    /// may have left an address whose broadcast is not the default for its mask (`add`,
    /// `del` of an unknown address), which a later `ADDR netmask M` guard cannot see.
    pub kept_ifconfig: HashSet<Option<String>>,
}

impl Known {
    pub fn forget_all(&mut self) {
        self.spaces.clear();
        self.routed.clear();
    }

    pub fn forget(&mut self, key: &str) {
        self.spaces.remove(key);
        self.routed.remove(key);
    }
}

/// The device `name` of a pictured namespace, to change.
pub fn link_mut<'s>(s: &'s mut Snapshot, name: &str) -> Option<&'s mut Link> {
    s.links.iter_mut().find(|l| l.name == name)
}

/// Add a device (a name that exists already is left as it is, as `ip link add` fails then).
pub fn add_link(s: &mut Snapshot, name: &str, kind: &str) {
    if s.link(name).is_none() {
        s.links.push(new_link(name, kind));
    }
}

/// A device leaves (deleted or moved away): its addresses go, its ports are released.
pub fn remove_link(s: &mut Snapshot, name: &str) -> Option<Link> {
    let i = s.links.iter().position(|l| l.name == name)?;
    let gone = s.links.remove(i);
    for l in &mut s.links {
        if l.master.as_deref() == Some(name) {
            l.master = None;
        }
    }
    Some(gone)
}

pub fn set_up(l: &mut Link, up: bool) {
    l.flags.retain(|f| f != "UP");
    if up {
        l.flags.push("UP".into());
    }
}
