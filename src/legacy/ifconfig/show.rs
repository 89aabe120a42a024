//! The live side of the display: read the namespace nslab runs in (one `ip -j -s -s addr
//! show` through the backend, plus `/proc/net/if_inet6`, which is per network namespace for
//! the reading process), render with `render.rs`, write the result.

use super::{render, Ctx, ShowArgs};
use crate::error::{Error, Result};

/// Where the kernel lists IPv6 addresses in the order ifconfig prints them.
pub const IF_INET6: &str = "/proc/net/if_inet6";

/// The text of `/proc/net/if_inet6`; empty when IPv6 is disabled (net-tools then prints no
/// inet6 lines either).
pub fn read_if_inet6() -> String {
    std::fs::read_to_string(IF_INET6).unwrap_or_default()
}

/// Display as `ifconfig [-a] [-s] [IFACE]` does; returns the exit code.
pub fn show(ctx: &mut Ctx<'_>, req: &ShowArgs) -> Result<i32> {
    let snap = ctx.backend.addr_snapshot(None)?;
    let out = render::show(req, &snap, &read_if_inet6(), ctx.dialect);
    let io = |e| Error::io("<stdout>", e);
    ctx.out.write_all(out.stdout.as_bytes()).map_err(io)?;
    ctx.out.flush().map_err(io)?;
    ctx.err.write_all(out.stderr.as_bytes()).map_err(io)?;
    Ok(out.code)
}
