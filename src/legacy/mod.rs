//! Drop-in personalities of legacy tools: `ifconfig` (net-tools 2.10) and `brctl`
//! (bridge-utils 1.7.1); and the grammars of net-tools `route` and `arp` (used by `migrate`). Each one has its argument grammar (argv → typed command → Ops, pure
//! and reused by `migrate`) and its renderer (byte-exact output).

pub mod arp;
pub mod brctl;
pub mod ifconfig;
pub mod route;
