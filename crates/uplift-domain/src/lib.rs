//! The pure domain of Uplift: value types that parse rather than validate, the registry's entities,
//! versioned policy, and the rules that read them.
//!
//! Architecture invariant: this crate does no I/O, reads no clock and knows no wire format. Dates
//! such as "today" come in as arguments; reference data (division codes) is compiled in.

pub mod access;
pub mod attachment;
pub mod calendar;
pub mod campaign;
pub mod case;
pub mod household;
pub mod income;
pub mod policy;
pub mod project;
pub mod rectify;
pub mod region;
pub mod resident_id;
pub mod version;
pub mod village;
