//! Link state: making the kernel apply pending link events now (ETHTOOL_GLINK).

use super::thread::in_netns;
use crate::error::{Error, Result};
use std::os::fd::OwnedFd;

/// Make the kernel process pending link events for these devices now, so operstate (and a
/// bridge port's readiness, which follows it) is current. Link events are otherwise applied
/// by the kernel's linkwatch up to a second later, during which a fresh bridge port drops
/// frames. An ETHTOOL_GLINK ioctl runs `linkwatch_sync_dev` for the device (kernel
/// `ethtool_op_get_link`). Devices without ethtool support are skipped.
pub fn sync_links(ns: Option<&str>, devs: &[String]) -> Result<()> {
    use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType};
    let work = || -> Result<()> {
        let sock = socket(
            AddressFamily::Inet,
            SockType::Datagram,
            SockFlag::SOCK_CLOEXEC,
            None,
        )
        .map_err(|e| Error::netns("socket for ETHTOOL_GLINK", e.desc()))?;
        for dev in devs {
            ethtool_glink(&sock, dev);
        }
        Ok(())
    };
    match ns {
        Some(ns) => in_netns(ns, work)?,
        None => work(),
    }
}

#[repr(C)]
struct EthtoolValue {
    cmd: u32,
    data: u32,
}

const ETHTOOL_GLINK: u32 = 0x0000_000a;

fn ethtool_glink(sock: &OwnedFd, dev: &str) {
    use nix::libc;
    use std::os::fd::AsRawFd;
    if dev.len() >= libc::IFNAMSIZ {
        return;
    }
    let mut value = EthtoolValue {
        cmd: ETHTOOL_GLINK,
        data: 0,
    };
    // SAFETY: ifreq is a plain C struct for which all-zero bytes are a valid value.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in ifr.ifr_name.iter_mut().zip(dev.bytes()) {
        *dst = src as libc::c_char;
    }
    ifr.ifr_ifru.ifru_data = (&mut value as *mut EthtoolValue).cast();
    // SAFETY: SIOCETHTOOL reads the NUL-terminated name in `ifr` and writes one
    // `ethtool_value` through `ifru_data`, which points at `value`, alive for the call.
    // A failure (no such device, no ethtool support) only means nothing to sync.
    unsafe {
        libc::ioctl(sock.as_raw_fd(), libc::SIOCETHTOOL as _, &mut ifr);
    }
}
