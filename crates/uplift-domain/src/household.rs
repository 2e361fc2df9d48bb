//! household.
