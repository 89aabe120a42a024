//! The display: [`display`] picks the text or JSON renderer for a request (pure); [`show`]
//! is its live side: read the namespace nslab runs in (one `ip -j -s -s addr
//! show` through the backend, plus `/proc/net/if_inet6`, which is per network namespace for
//! the reading process), render with `render.rs`, write the result.

use super::{json, render, Ctx, Dialect, Outcome, ShowArgs};
use crate::error::{Error, Result};
use crate::model::Snapshot;

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
    let out = display(req, &snap, &read_if_inet6(), ctx.dialect);
    let io = |e| Error::io("<stdout>", e);
    ctx.out.write_all(out.stdout.as_bytes()).map_err(io)?;
    ctx.out.flush().map_err(io)?;
    ctx.err.write_all(out.stderr.as_bytes()).map_err(io)?;
    Ok(out.code)
}

/// Display: `ifconfig [-a] [-s] [-v] [IFACE]` in dialect `d`, and the `--json` extension
/// (the same in both dialects).
pub fn display(req: &ShowArgs, snap: &Snapshot, if_inet6: &str, d: Dialect) -> Outcome {
    let inet6 = render::parse_if_inet6(if_inet6);
    let d = if req.json { Dialect::Modern } else { d };
    let (entries, failed) = render::selected(req, snap, d);
    let mut out = Outcome::default();
    if req.json {
        out.stdout = json::render(&entries, &inet6);
    } else {
        if req.short {
            out.stdout.push_str(render::short_header(d));
        }
        for e in &entries {
            if req.short {
                out.stdout.push_str(&render::short_row(e, d));
            } else {
                out.stdout.push_str(&render::long_block(e, &inet6, d));
            }
        }
    }
    if let Some(name) = failed {
        out.stderr = render::not_found(&name);
        out.code = 1;
    }
    out
}
