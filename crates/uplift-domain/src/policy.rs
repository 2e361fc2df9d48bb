//! Versioned policy: one pack per province (optionally per county) and year.

/// How compliant out-of-pocket spending (合规自付支出) counts against income (domain.md §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutOfPocketRule {
    /// Subtracted from household net income before dividing by the members.
    Deduct,
    /// Not subtracted; judged beside income as a separate risk signal.
    JudgeBeside,
}
