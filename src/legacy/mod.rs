//! Legacy tools. Drop-in personalities of `ifconfig`, `route`, `arp`, `netstat` (net-tools
//! 2.10) and `brctl` (bridge-utils 1.7.1), each with its argument grammar (argv → typed
//! command → Ops, pure and reused by `migrate`) and its renderer (byte-exact output). What the kernel, glibc and iproute2 decide
//! on all these tools' behalf is in [`linux`], once.

pub mod arp;
pub mod brctl;
pub mod dialect;
pub mod ifconfig;
pub mod link;
pub mod linux;
pub mod names;
pub mod netstat;
pub mod route;
