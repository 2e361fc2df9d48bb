//! Printable documents as A4 PDFs with a CJK font.
//!
//! A [`Document`] is a title and a list of [`Block`]s; [`render`] lays them out on A4 pages
//! (lines wrapped to the page width, page breaks, a table's header repeated on each page it
//! spans, "第 n 页 / 共 m 页" at the foot of every page) and writes the PDF with `krilla`, which
//! embeds a subset of the font with a ToUnicode map, so the text can be searched and extracted.
//!
//! Fonts are I/O: the font comes from the file named by the environment variable
//! `UPLIFT_CJK_FONT`, or else from the standard Debian paths of `fonts-noto-cjk`. Nothing is
//! downloaded. Without a usable font, [`render`] answers [`PdfError::FontNotFound`] naming the
//! paths it tried.

mod font;
mod layout;

use std::path::PathBuf;

/// A printable document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub title: String,
    pub subtitle: Option<String>,
    pub blocks: Vec<Block>,
}

/// One block of a [`Document`], laid out top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Heading(String),
    /// Text wrapped to the page width; `\n` starts a new line.
    Paragraph(String),
    /// Label and value pairs in two columns.
    KeyValues(Vec<(String, String)>),
    /// A ruled table; the header is repeated on every page the table spans.
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// A signature line (issuer, date), set flush right; `\n` starts a new line.
    Signature(String),
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error(
        "no CJK font found: set UPLIFT_CJK_FONT to a .ttc, .otf or .ttf file, or install the \
         Debian package fonts-noto-cjk (tried {})",
        tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    FontNotFound { tried: Vec<PathBuf> },
    #[error("cannot use the font file {path}: {reason}")]
    FontUnusable { path: PathBuf, reason: String },
    #[error("cannot write the PDF: {0}")]
    Write(String),
}

/// The environment variable naming the font file to use.
pub const FONT_ENV: &str = "UPLIFT_CJK_FONT";

/// Renders the document as an A4 PDF.
pub fn render(doc: &Document) -> Result<Vec<u8>, PdfError> {
    let font = font::load()?;
    let pages = layout::layout(doc, &font)?;
    layout::write(doc, &font, &pages)
}
