//! Legacy tools. Drop-in personalities of `ifconfig`, `route`, `arp` (net-tools 2.10) and
//! `brctl` (bridge-utils 1.7.1), each with its argument grammar (argv → typed command → Ops,
//! pure and reused by `migrate`) and its renderer (byte-exact output).

pub mod arp;
pub mod brctl;
pub mod getopt;
pub mod ifconfig;
pub mod names;
pub mod route;

/// Which net-tools output a renderer imitates: 2.10 (today's, the default) or the classic
/// 1.60 of RHEL/CentOS 6. Renderers take it as a parameter; JSON is the same in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    #[default]
    V2_10,
    Classic1_60,
}

impl Dialect {
    /// `NSLAB_NETTOOLS=1.60` asks for the classic dialect; anything else is 2.10.
    pub fn from_env() -> Dialect {
        match std::env::var("NSLAB_NETTOOLS").as_deref() {
            Ok("1.60") => Dialect::Classic1_60,
            _ => Dialect::V2_10,
        }
    }
}
