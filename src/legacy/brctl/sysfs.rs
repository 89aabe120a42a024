//! What brctl reads, read the way brctl reads it: plain files under `/sys/class/net` of the
//! namespace nslab runs in (with `ip netns exec`, that sysfs describes the namespace). No
//! process is spawned, which is what keeps `nslab brctl show` as fast as the C tool.
//!
//! The root is a parameter so that offline tests read recorded copies of these files
//! (`compat/brctl/<case>/sys/class/net`).
//!
//! Sysfs times and timers are in centiseconds (USER_HZ clock ticks), as libbridge reads them.

use std::fs;
use std::path::{Path, PathBuf};

/// A view of `/sys/class/net` (or a recorded copy of it).
#[derive(Debug, Clone)]
pub struct SysNet {
    pub root: PathBuf,
}

/// An 8-byte bridge id: 2 bytes of priority, 6 of MAC, as sysfs prints `8000.0200000000aa`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BridgeId(pub [u8; 8]);

/// Bridge-wide STP information (`/sys/class/net/BR/bridge/*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BridgeInfo {
    pub designated_root: BridgeId,
    pub bridge_id: BridgeId,
    pub root_path_cost: i32,
    pub root_port: i32,
    /// Through sysfs, libbridge fills both the "current" and the "bridge" values from the
    /// same file; through the ioctl, some come in raw jiffies (see [`BridgeInfo::as_ioctl`]).
    pub max_age: i64,
    pub hello_time: i64,
    pub forward_delay: i64,
    pub bridge_max_age: i64,
    pub bridge_hello_time: i64,
    pub bridge_forward_delay: i64,
    pub ageing_time: i64,
    pub hello_timer: i64,
    pub tcn_timer: i64,
    pub topology_change_timer: i64,
    pub gc_timer: i64,
    pub stp_enabled: bool,
    pub topology_change: bool,
    pub topology_change_detected: bool,
}

impl BridgeInfo {
    /// The values as the old `BRCTL_GET_BRIDGE_INFO` ioctl returns them (what brctl shows
    /// for a bridge named by a name longer than 15 bytes): the kernel copies `forward_delay`,
    /// `bridge_max_age` and `bridge_hello_time` in raw jiffies, and brctl still reads them as
    /// centiseconds. Sysfs only has clock ticks, so the jiffies are recomputed with the
    /// kernel's HZ (`hz`); the configured ("bridge") values are taken to be the current ones,
    /// which they are unless another bridge is the STP root.
    pub fn as_ioctl(&self, hz: Option<i64>) -> BridgeInfo {
        let Some(hz) = hz else { return self.clone() };
        let raw = |c: i64| c * hz / 100;
        BridgeInfo {
            forward_delay: raw(self.forward_delay),
            bridge_max_age: raw(self.max_age),
            bridge_hello_time: raw(self.hello_time),
            bridge_forward_delay: self.forward_delay,
            ..self.clone()
        }
    }
}

/// The kernel's HZ, from `/proc/timer_list` (root only): jiffies start at
/// 2³² − 300·HZ at boot, so `jiffies = 2³² + HZ·(now − 300 s)`. The nearest of the usual
/// values (100, 250, 300, 1000) that fits wins. `None` when the file cannot be read.
pub fn kernel_hz() -> Option<i64> {
    let text = fs::read_to_string("/proc/timer_list").ok()?;
    let now_ns: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("now at "))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let jiffies: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("jiffies: "))?
        .trim()
        .parse()
        .ok()?;
    let now = now_ns / 1e9;
    [100i64, 250, 300, 1000].into_iter().min_by(|a, b| {
        let err = |hz: i64| (jiffies - (4_294_967_296.0 + hz as f64 * (now - 300.0))).abs();
        err(*a).total_cmp(&err(*b))
    })
}

/// One port's STP information (`/sys/class/net/PORT/brport/*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortInfo {
    pub port_no: i32,
    pub port_id: i32,
    pub designated_root: BridgeId,
    pub designated_bridge: BridgeId,
    pub designated_port: i32,
    pub designated_cost: i32,
    pub path_cost: i32,
    pub state: i32,
    pub top_change_ack: bool,
    pub config_pending: bool,
    pub message_age_timer: i64,
    pub forward_delay_timer: i64,
    pub hold_timer: i64,
    pub hairpin_mode: i32,
}

/// One forwarding-database entry as libbridge keeps it (`struct __fdb_entry`, 16 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdbEntry {
    pub mac: [u8; 6],
    /// libbridge copies only the low byte of the port number (it ignores `port_hi`).
    pub port_no: u8,
    pub is_local: bool,
    /// Centiseconds since the entry was last seen (0 for local and static entries).
    pub ageing_timer: u32,
}

/// The size of `struct __fdb_entry` in `brforward`.
pub const FDB_ENTRY_SIZE: usize = 16;

/// Parse the binary `brforward` file: an array of `struct __fdb_entry`
/// `{ u8 mac[6]; u8 port_no; u8 is_local; u32 ageing_timer_value; u8 port_hi; u8 pad; u16 unused }`
/// in host byte order. A trailing partial record is ignored (as `fread` does).
pub fn parse_brforward(data: &[u8]) -> Vec<FdbEntry> {
    data.chunks_exact(FDB_ENTRY_SIZE)
        .map(|r| FdbEntry {
            mac: r[0..6].try_into().expect("6 bytes"),
            port_no: r[6],
            is_local: r[7] != 0,
            ageing_timer: u32::from_ne_bytes(r[8..12].try_into().expect("4 bytes")),
        })
        .collect()
}

/// `fscanf("%2hhx%2hhx.%2hhx…")` of a bridge id file; missing parts stay zero.
pub fn parse_bridge_id(text: &str) -> BridgeId {
    let mut id = [0u8; 8];
    let hex: Vec<u8> = text.trim().bytes().collect();
    let mut pos = 0;
    for (i, slot) in id.iter_mut().enumerate() {
        if i == 2 {
            if hex.get(pos) != Some(&b'.') {
                break;
            }
            pos += 1;
        }
        let Some(pair) = hex.get(pos..pos + 2) else {
            break;
        };
        match std::str::from_utf8(pair)
            .ok()
            .and_then(|p| u8::from_str_radix(p, 16).ok())
        {
            Some(b) => *slot = b,
            None => break,
        }
        pos += 2;
    }
    BridgeId(id)
}

/// `fscanf("%i")` of a sysfs file as libbridge's `fetch_int`: 0 if the file is missing,
/// -1 if it holds no number.
fn parse_int(text: Option<String>) -> i64 {
    match text {
        None => 0,
        Some(t) => super::grammar::scan_i(t.as_bytes()).map_or(-1, i64::from),
    }
}

/// What brctl needs to know about any device before it changes something.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Device {
    pub is_bridge: bool,
    pub is_port: bool,
    /// The master device's name, if any (bridge, bond, vrf…).
    pub master: Option<String>,
    pub flags: u32,
    /// ARPHRD type (1 = Ethernet).
    pub dev_type: u32,
    pub addr_len: u32,
    pub mac: Option<[u8; 6]>,
}

/// IFF_UP and IFF_LOOPBACK.
pub const IFF_UP: u32 = 0x1;
pub const IFF_LOOPBACK: u32 = 0x8;

impl SysNet {
    /// The sysfs of the namespace nslab runs in.
    pub fn live() -> SysNet {
        SysNet {
            root: PathBuf::from("/sys/class/net"),
        }
    }

    pub fn at(root: impl Into<PathBuf>) -> SysNet {
        SysNet { root: root.into() }
    }

    fn path(&self, dev: &str) -> PathBuf {
        self.root.join(dev)
    }

    fn read(&self, p: &Path) -> Option<String> {
        fs::read_to_string(p).ok()
    }

    /// Whether a device of this name exists (`if_nametoindex` ≠ 0: names of 16 bytes or more
    /// never exist).
    pub fn exists(&self, dev: &str) -> bool {
        dev.len() <= crate::legacy::linux::IFNAMSIZ_MAX
            && !dev.is_empty()
            && !dev.contains('/')
            && self.path(dev).exists()
    }

    /// Whether `/sys/class/net/DEV/bridge` is a directory (how libbridge tells a bridge).
    pub fn is_bridge(&self, dev: &str) -> bool {
        !dev.is_empty() && !dev.contains('/') && self.path(dev).join("bridge").is_dir()
    }

    /// Facts about a device, `None` if it does not exist.
    pub fn device(&self, dev: &str) -> Option<Device> {
        if !self.exists(dev) {
            return None;
        }
        let p = self.path(dev);
        let num = |f: &str| {
            self.read(&p.join(f))
                .and_then(|t| super::grammar::scan_i(t.as_bytes()))
                .map_or(0, |v| v as u32)
        };
        let mac = self.read(&p.join("address")).and_then(|t| {
            let parts: Vec<u8> = t
                .trim()
                .split(':')
                .filter_map(|x| u8::from_str_radix(x, 16).ok())
                .collect();
            <[u8; 6]>::try_from(parts.as_slice()).ok()
        });
        let master = fs::read_link(p.join("master"))
            .ok()
            .and_then(|t| t.file_name().map(|n| n.to_string_lossy().into_owned()));
        Some(Device {
            is_bridge: p.join("bridge").is_dir(),
            is_port: p.join("brport").is_dir(),
            master,
            flags: num("flags"),
            dev_type: num("type"),
            addr_len: num("addr_len"),
            mac,
        })
    }

    /// Every bridge, in `scandir(alphasort)` order: byte order in the C locale.
    pub fn bridges(&self) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(&self.root)
            .map(|rd| {
                rd.filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter(|n| self.is_bridge(n))
                    .collect()
            })
            .unwrap_or_default();
        v.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        v
    }

    /// The ports of a bridge in `scandir(brif, alphasort)` order.
    pub fn ports(&self, bridge: &str) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(self.path(bridge).join("brif"))
            .map(|rd| {
                rd.filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        v.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        v
    }

    /// The bridge's id alone (what `show` needs), and whether STP is on.
    pub fn id_and_stp(&self, bridge: &str) -> (BridgeId, bool) {
        let d = self.path(bridge).join("bridge");
        let id = self
            .read(&d.join("bridge_id"))
            .map(|t| parse_bridge_id(&t))
            .unwrap_or_default();
        (id, parse_int(self.read(&d.join("stp_state"))) != 0)
    }

    /// Bridge STP information, as libbridge's `br_get_bridge_info` reads it from sysfs.
    pub fn bridge_info(&self, bridge: &str) -> BridgeInfo {
        let d = self.path(bridge).join("bridge");
        let id = |f: &str| {
            self.read(&d.join(f))
                .map(|t| parse_bridge_id(&t))
                .unwrap_or_default()
        };
        let int = |f: &str| parse_int(self.read(&d.join(f)));
        BridgeInfo {
            designated_root: id("root_id"),
            bridge_id: id("bridge_id"),
            root_path_cost: int("root_path_cost") as i32,
            root_port: int("root_port") as i32,
            max_age: int("max_age"),
            hello_time: int("hello_time"),
            forward_delay: int("forward_delay"),
            bridge_max_age: int("max_age"),
            bridge_hello_time: int("hello_time"),
            bridge_forward_delay: int("forward_delay"),
            ageing_time: int("ageing_time"),
            hello_timer: int("hello_timer"),
            tcn_timer: int("tcn_timer"),
            topology_change_timer: int("topology_change_timer"),
            gc_timer: int("gc_timer"),
            stp_enabled: int("stp_state") != 0,
            topology_change: int("topology_change") != 0,
            topology_change_detected: int("topology_change_detected") != 0,
        }
    }

    /// A port's STP information (`br_get_port_info`), `None` if it is not a bridge port.
    pub fn port_info(&self, port: &str) -> Option<PortInfo> {
        let d = self.path(port).join("brport");
        if port.is_empty() || port.contains('/') || !d.is_dir() {
            return None;
        }
        let id = |f: &str| {
            self.read(&d.join(f))
                .map(|t| parse_bridge_id(&t))
                .unwrap_or_default()
        };
        let int = |f: &str| parse_int(self.read(&d.join(f)));
        Some(PortInfo {
            port_no: int("port_no") as i32,
            port_id: int("port_id") as i32,
            designated_root: id("designated_root"),
            designated_bridge: id("designated_bridge"),
            designated_port: int("designated_port") as i32,
            designated_cost: int("designated_cost") as i32,
            path_cost: int("path_cost") as i32,
            state: int("state") as i32,
            top_change_ack: int("change_ack") != 0,
            config_pending: int("config_pending") != 0,
            message_age_timer: int("message_age_timer"),
            forward_delay_timer: int("forward_delay_timer"),
            hold_timer: int("hold_timer"),
            hairpin_mode: int("hairpin_mode") as i32,
        })
    }

    /// The forwarding database of a bridge, from `brforward`; `None` if it cannot be read.
    pub fn fdb(&self, bridge: &str) -> Option<Vec<FdbEntry>> {
        use std::io::Read;
        // Large reads, like stdio's buffer in brctl: the kernel fills each read() from the
        // table at that moment, so few reads give a consistent picture.
        let mut f = fs::File::open(self.path(bridge).join("brforward")).ok()?;
        let mut data = Vec::new();
        let mut chunk = vec![0u8; 256 * FDB_ENTRY_SIZE];
        loop {
            match f.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => data.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
        Some(parse_brforward(&data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bridge_ids_parse_like_fscanf() {
        assert_eq!(
            parse_bridge_id("8000.020000000003\n").0,
            [0x80, 0, 2, 0, 0, 0, 0, 3]
        );
        assert_eq!(parse_bridge_id("1170.").0, [0x11, 0x70, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn brforward_records_are_16_bytes_and_keep_only_the_low_port_byte() {
        let mut rec = vec![0x02, 0, 0, 0, 0, 1, 3, 1];
        rec.extend_from_slice(&250u32.to_ne_bytes());
        rec.extend_from_slice(&[1, 0, 0, 0]);
        rec.extend_from_slice(&[9, 9, 9]);
        let e = parse_brforward(&rec);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].mac, [2, 0, 0, 0, 0, 1]);
        assert_eq!(e[0].port_no, 3);
        assert!(e[0].is_local);
        assert_eq!(e[0].ageing_timer, 250);
    }
}
