//! regions.
