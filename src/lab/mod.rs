//! Labs: the file format, the plan (lab → Ops), applying it with state and rollback, and
//! the reachability check.

pub mod apply;
pub mod capture;
pub mod check;
pub mod file;
pub mod graph;
pub mod machines;
pub mod measure;
pub mod neigh;
pub mod plan;
pub mod query;
pub mod service;
pub mod shaping;
pub mod split;
pub mod validate;

pub use file::Lab;
