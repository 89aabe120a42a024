//! The legacy personalities: drop-in `ifconfig` (net-tools 2.10) and `brctl`
//! (bridge-utils 1.7.1). Each has its argument grammar (→ Ops) and its renderer.

pub mod ifconfig;
