//! The store contract suite. Every test runs against SQLite and against PostgreSQL; a store
//! method without a test here does not merge.
//!
//! PostgreSQL comes from `UPLIFT_TEST_PG_URL` (a superuser URL of a throwaway cluster, as
//! `scripts/test` starts one). Without it the PostgreSQL half fails: it is never skipped.

mod access;
mod attachments;
mod backup;
mod bulletin;
mod cases;
mod changes;
mod concurrency;
mod dashboard;
mod dashboard_cache;
mod dashboard_tallies;
mod documents;
mod encryption;
mod encryption_feeds;
mod feeds;
mod imports;
mod list_moves;
mod paging;
mod projects;
mod rectify;
mod registry;
mod sessions;
mod support;
mod tally_revisions;
mod villages;
