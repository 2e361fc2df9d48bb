//! uplift-web.
