//! income.
