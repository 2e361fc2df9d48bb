//! Import of the registry and income files (formats.md §1–2, issue 4): reading and checking.
//!
//! * [`table`] reads a `.csv` (UTF-8, UTF-8 with BOM, GB18030/GBK) or `.xlsx` file into rows of
//!   text with positions.
//! * [`headers`] holds the header tables of the formats and maps a file's header row onto them.
//! * [`registry`] parses rows into typed households, members and income records, and reports
//!   every field problem as an [`ImportIssue`].
//!
//! The data-quality rules over parsed households are in [`crate::quality`]. Writing through the
//! store (all-or-nothing, `--partial`, `--dry-run`) is the import use case's job.
//!
//! A problem with one row is an [`ImportIssue`] and never stops the parse; only a file that cannot
//! be read as a table, or lacks required columns, is an [`ImportError`]. Nothing here panics on
//! any input.

pub mod headers;
pub mod registry;
pub mod table;

/// One problem with one cell (or row) of an imported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportIssue {
    /// The file name.
    pub file: String,
    /// The row as a spreadsheet shows it (header = row 1 in a CSV).
    pub row: u64,
    /// The column's header as written in the file (empty for a whole-row problem).
    pub column: String,
    /// The English field name (`name`, `id_number`, …; empty for a whole-row problem).
    pub field: &'static str,
    /// A stable code, e.g. `field.required`, `field.too_long`, `field.enum`, `id.check_digit`,
    /// or a quality rule code (`S_SEX`) when the parser already sees the rule broken.
    pub rule: &'static str,
    pub message_zh: String,
    pub message_en: String,
    /// The cell as read (may be long; the report should show it whole).
    pub value: String,
    /// The row's household number as written (may be empty or itself invalid).
    pub household_no: String,
}

/// A file that cannot be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Table(#[from] table::TableError),
    #[error(transparent)]
    Headers(#[from] headers::HeaderError),
}

impl ImportError {
    pub fn message_zh(&self) -> String {
        match self {
            ImportError::Table(e) => e.message_zh(),
            ImportError::Headers(e) => e.message_zh(),
        }
    }

    /// The stable code of the error, like [`ImportIssue::rule`].
    pub fn rule(&self) -> &'static str {
        match self {
            ImportError::Table(table::TableError::Encoding { .. }) => "file.encoding",
            ImportError::Table(table::TableError::UnsupportedFormat { .. }) => "file.format",
            ImportError::Table(table::TableError::Xlsx { .. }) => "file.xlsx",
            ImportError::Table(table::TableError::Empty { .. }) => "file.empty",
            ImportError::Table(table::TableError::Csv { .. }) => "file.csv",
            ImportError::Table(table::TableError::Io { .. }) => "file.io",
            ImportError::Headers(headers::HeaderError::Missing { .. }) => "header.missing",
            ImportError::Headers(headers::HeaderError::Duplicate { .. }) => "header.duplicate",
        }
    }
}
