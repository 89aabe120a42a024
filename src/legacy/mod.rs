//! Drop-in personalities of legacy tools. Each one has its argument grammar (argv → typed
//! command → Ops, pure and reused by `migrate`) and its renderer (byte-exact output).

pub mod brctl;
