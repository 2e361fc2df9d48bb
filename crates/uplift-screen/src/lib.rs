//! The early-warning screening engine (部门筛查预警, issue 5).
//!
//! Pure: no I/O, no clock, no async. Callers (the app from its store, the benchmark from files)
//! build a [`Registry`] snapshot and a list of [`FeedRecord`]s, and [`screen`] evaluates the
//! policy pack's `[[rules]]` over them as of a reference date, returning [`Finding`]s. Broken or
//! incomplete data is never an error: a rule that lacks its inputs simply does not fire.
//!
//! Data layout: households and persons are flat vectors addressed by `u32` index; persons are
//! found by their 18-byte ID number as a fixed `[u8; 18]` hash key, households by number, villages
//! by their 12-digit code as a `u64`. Feed records are resolved first (the latest copy of each
//! `record_id` wins, a reversal cancels its record) and then folded per household into
//! accumulators, so the work is linear in the input.

mod engine;
mod model;
pub mod stream;

pub use engine::{Finding, Screened, households_touched, resolve, screen, screen_households};
pub use model::{
    AssetKind, AssistanceKind, CivilEvent, EducationStatus, EmploymentEvent, Evidence, FastHasher,
    FastMap, FeedData, FeedKind, FeedRecord, HouseholdFacts, IdKey, IncomeFacts, PersonFacts,
    Registry, RuleCode, Target, id_key, region_key, worker_rank,
};
