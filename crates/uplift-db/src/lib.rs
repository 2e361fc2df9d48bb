//! uplift-db.
