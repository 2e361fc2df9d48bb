//! resident_id.
