//! Use cases of Uplift and the ports they need (the store, the clock).

pub mod policy;
pub mod regions;
