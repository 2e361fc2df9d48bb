//! Reading a tabular file (`.csv` or `.xlsx`) into rows of text cells, with positions.
//!
//! * **CSV** may be UTF-8, UTF-8 with a BOM, or GB18030/GBK (formats.md). Detection: a UTF-8 BOM
//!   means UTF-8; otherwise bytes that are valid UTF-8 are UTF-8; otherwise the file is decoded
//!   as GB18030, and if that meets a byte sequence GB18030 does not define, the file is refused
//!   with an error naming it ([`TableError::Encoding`]). A UTF-16 BOM is refused the same way.
//! * **XLSX**: the first sheet. Excel date cells become `YYYY-MM-DD`; numbers are written as a
//!   person would have typed them (`1234.5`, never `1234.4999999999998` or `1.2345e3`), at most 15
//!   significant digits, as Excel keeps. A number of 10^15 or more cannot hold an ID or household
//!   number exactly (Excel drops the digits after the 15th), so such a cell is marked
//!   ([`Row::lost_digits`]) and the registry parser reports it naming the cell. A truncated or
//!   corrupt workbook is an error naming the file, never a panic.
//!
//! Rows are pulled one at a time into a caller-owned [`Row`], whose buffers are reused, so a
//! CSV row costs no allocation. The whole file is held in memory once (the bytes; for GB18030 the
//! decoded text instead), which for a 1,000,000-row registry is about 150 MB.
//!
//! Cells neutralised against formula injection by an export (a `'` before a leading `=`, `+`, `-`
//! or `@`) are given back without the `'` by [`Row::get`].
//!
//! Row numbers are those a spreadsheet shows: the header is row 1 in a CSV; in an XLSX, the sheet's
//! own row numbers. Entirely empty rows are skipped (their numbers are not reused).

use std::borrow::Cow;
use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader, Xlsx};

/// A file that could not be read as a table at all. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("{file}: cannot read the file: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{file}: the encoding is not recognised; save the CSV as UTF-8 (with or without BOM) or GB18030/GBK"
    )]
    Encoding { file: String },
    #[error("{file}: only .csv and .xlsx files can be imported (save .xls files as .xlsx)")]
    UnsupportedFormat { file: String },
    #[error("{file}: not a readable .xlsx workbook (truncated or corrupt?): {message}")]
    Xlsx { file: String, message: String },
    #[error("{file}: row {row}: {message}")]
    Csv {
        file: String,
        row: u64,
        message: String,
    },
    #[error("{file}: the file has no header row")]
    Empty { file: String },
}

impl TableError {
    /// The file the error is about.
    pub fn file(&self) -> &str {
        match self {
            TableError::Io { file, .. }
            | TableError::Encoding { file }
            | TableError::UnsupportedFormat { file }
            | TableError::Xlsx { file, .. }
            | TableError::Csv { file, .. }
            | TableError::Empty { file } => file,
        }
    }

    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            TableError::Io { file, source } => format!("{file}：无法读取文件：{source}"),
            TableError::Encoding { file } => format!(
                "{file}：无法识别文件编码；请将 CSV 另存为 UTF-8（可带 BOM）或 GB18030/GBK 编码"
            ),
            TableError::UnsupportedFormat { file } => {
                format!("{file}：只能导入 .csv 和 .xlsx 文件（.xls 文件请另存为 .xlsx）")
            }
            TableError::Xlsx { file, message } => {
                format!("{file}：不是可读取的 .xlsx 工作簿（文件不完整或已损坏？）：{message}")
            }
            TableError::Csv { file, row, message } => format!("{file}：第 {row} 行：{message}"),
            TableError::Empty { file } => format!("{file}：文件没有表头行"),
        }
    }
}

/// The kind of a tabular file, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Xlsx,
}

impl FileKind {
    /// `.csv` or `.xlsx` (any case); anything else is none.
    pub fn from_name(name: &str) -> Option<FileKind> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(FileKind::Csv)
        } else if lower.ends_with(".xlsx") {
            Some(FileKind::Xlsx)
        } else {
            None
        }
    }
}

/// The encoding a CSV was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Gb18030,
}

/// Detects the encoding of CSV bytes and gives back UTF-8 text (borrowed when it already was).
pub fn decode_csv<'a>(file: &str, bytes: &'a [u8]) -> Result<(Encoding, Cow<'a, str>), TableError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return match std::str::from_utf8(rest) {
            Ok(text) => Ok((Encoding::Utf8Bom, Cow::Borrowed(text))),
            Err(_) => Err(TableError::Encoding {
                file: file.to_owned(),
            }),
        };
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(TableError::Encoding {
            file: file.to_owned(),
        });
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((Encoding::Utf8, Cow::Borrowed(text)));
    }
    match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) if !text.contains('\u{FFFD}') && !text.contains('\0') => {
            Ok((Encoding::Gb18030, text))
        }
        _ => Err(TableError::Encoding {
            file: file.to_owned(),
        }),
    }
}

/// One data row. Reuse one `Row` for every call of [`Table::next_row`].
#[derive(Debug, Default, Clone)]
pub struct Row {
    number: u64,
    record: csv::StringRecord,
    /// Columns holding a number too large to keep every digit (XLSX only).
    lost_digits: Vec<usize>,
}

impl Row {
    pub fn new() -> Row {
        Row::default()
    }

    /// The row number as a spreadsheet shows it.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The cell at column `col` (0-based), with formula neutralisation undone; `""` past the end.
    pub fn get(&self, col: usize) -> &str {
        unneutralise(self.raw(col))
    }

    /// The cell exactly as read.
    pub fn raw(&self, col: usize) -> &str {
        self.record.get(col).unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.record.len()
    }

    pub fn is_empty(&self) -> bool {
        self.record.is_empty()
    }

    /// Whether the cell was an XLSX number too large to hold every digit (≥ 10^15).
    pub fn lost_digits(&self, col: usize) -> bool {
        self.lost_digits.contains(&col)
    }

    /// The cells, with neutralisation undone.
    pub fn cells(&self) -> impl Iterator<Item = &str> {
        self.record.iter().map(unneutralise)
    }

    fn is_blank(&self) -> bool {
        self.record.iter().all(|c| c.trim().is_empty())
    }
}

/// Removes the `'` an export put before a cell starting with `=`, `+`, `-` or `@` (formats.md).
pub fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => cell,
    }
}

/// The spreadsheet letters of a 0-based column: 0 → `A`, 25 → `Z`, 26 → `AA`.
pub fn column_letters(col: usize) -> String {
    let mut n = col + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
}

enum Source {
    Csv {
        reader: csv::Reader<Cursor<Vec<u8>>>,
        next_number: u64,
    },
    Xlsx {
        range: calamine::Range<Data>,
        /// Next row index inside the range.
        next: usize,
        /// Sheet row number (1-based) of range row 0.
        first_row: u64,
        /// Sheet column (0-based) of range column 0.
        first_col: usize,
    },
}

/// A tabular file opened for reading: its headers, then its rows one at a time.
pub struct Table {
    file: String,
    kind: FileKind,
    encoding: Option<Encoding>,
    headers: Vec<String>,
    header_row: u64,
    source: Source,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("file", &self.file)
            .field("kind", &self.kind)
            .field("encoding", &self.encoding)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

impl Table {
    /// Opens a file; the kind comes from its extension.
    pub fn open(path: &Path) -> Result<Table, TableError> {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let Some(kind) = FileKind::from_name(&file) else {
            return Err(TableError::UnsupportedFormat { file });
        };
        let bytes = std::fs::read(path).map_err(|source| TableError::Io {
            file: file.clone(),
            source,
        })?;
        Table::from_bytes(&file, kind, bytes)
    }

    /// Reads a file already in memory (an upload); `file` names it in errors.
    pub fn from_bytes(file: &str, kind: FileKind, bytes: Vec<u8>) -> Result<Table, TableError> {
        match kind {
            FileKind::Csv => Table::csv(file, bytes),
            FileKind::Xlsx => Table::xlsx(file, bytes),
        }
    }

    fn csv(file: &str, bytes: Vec<u8>) -> Result<Table, TableError> {
        let (encoding, text) = decode_csv(file, &bytes)?;
        let data = match (encoding, text) {
            (_, Cow::Owned(decoded)) => decoded.into_bytes(),
            (Encoding::Utf8Bom, Cow::Borrowed(_)) => {
                let mut bytes = bytes;
                bytes.drain(..3);
                bytes
            }
            (_, Cow::Borrowed(_)) => bytes,
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(Cursor::new(data));
        let mut record = csv::StringRecord::new();
        let has = reader
            .read_record(&mut record)
            .map_err(|e| csv_error(file, 1, e))?;
        if !has {
            return Err(TableError::Empty {
                file: file.to_owned(),
            });
        }
        let headers = record.iter().map(clean_header_cell).collect();
        Ok(Table {
            file: file.to_owned(),
            kind: FileKind::Csv,
            encoding: Some(encoding),
            headers,
            header_row: 1,
            source: Source::Csv {
                reader,
                next_number: 2,
            },
        })
    }

    fn xlsx(file: &str, bytes: Vec<u8>) -> Result<Table, TableError> {
        let xlsx_error = |message: String| TableError::Xlsx {
            file: file.to_owned(),
            message,
        };
        // calamine returns errors for the damage we know of; the guard keeps a panic in a
        // dependency on some unforeseen damage from taking the process down.
        let read = std::panic::catch_unwind(move || -> Result<calamine::Range<Data>, String> {
            let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
            match book.worksheet_range_at(0) {
                Some(range) => range.map_err(|e| e.to_string()),
                None => Err("the workbook has no sheet".to_owned()),
            }
        });
        let range = match read {
            Ok(Ok(range)) => range,
            Ok(Err(message)) => return Err(xlsx_error(message)),
            Err(_) => return Err(xlsx_error("the workbook could not be parsed".to_owned())),
        };
        let Some((first_row, first_col)) = range.start() else {
            return Err(TableError::Empty {
                file: file.to_owned(),
            });
        };
        let mut table = Table {
            file: file.to_owned(),
            kind: FileKind::Xlsx,
            encoding: None,
            headers: Vec::new(),
            header_row: 0,
            source: Source::Xlsx {
                range,
                next: 0,
                first_row: u64::from(first_row) + 1,
                first_col: first_col as usize,
            },
        };
        let mut row = Row::new();
        if !table.next_row(&mut row)? {
            return Err(TableError::Empty {
                file: file.to_owned(),
            });
        }
        table.header_row = row.number;
        // Headers start at column A even when the sheet's first used column is further right.
        table.headers = row.cells().map(clean_header_cell).collect();
        Ok(table)
    }

    /// The file name used in every message.
    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn kind(&self) -> FileKind {
        self.kind
    }

    /// The encoding a CSV was read in (none for XLSX).
    pub fn encoding(&self) -> Option<Encoding> {
        self.encoding
    }

    /// The header cells as written (trimmed).
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The row number of the header.
    pub fn header_row(&self) -> u64 {
        self.header_row
    }

    /// Reads the next non-empty row into `row`; false at the end of the file.
    pub fn next_row(&mut self, row: &mut Row) -> Result<bool, TableError> {
        loop {
            row.lost_digits.clear();
            match &mut self.source {
                Source::Csv {
                    reader,
                    next_number,
                } => {
                    // The csv crate skips blank lines; a spreadsheet shows them as rows, so
                    // count them in (a quoted cell spanning lines stays one row).
                    let line_before = reader.position().line();
                    let has = reader
                        .read_record(&mut row.record)
                        .map_err(|e| csv_error(&self.file, *next_number, e))?;
                    if !has {
                        return Ok(false);
                    }
                    let consumed = reader.position().line().saturating_sub(line_before);
                    let skipped = if consumed > 1 {
                        let inner: usize = row.record.iter().map(|c| c.matches('\n').count()).sum();
                        consumed.saturating_sub(1 + inner as u64)
                    } else {
                        0
                    };
                    row.number = *next_number + skipped;
                    *next_number = row.number + 1;
                }
                Source::Xlsx {
                    range,
                    next,
                    first_row,
                    first_col,
                } => {
                    let height = range.height();
                    if *next >= height {
                        return Ok(false);
                    }
                    let i = *next;
                    *next += 1;
                    row.number = *first_row + i as u64;
                    row.record.clear();
                    for _ in 0..*first_col {
                        row.record.push_field("");
                    }
                    let width = range.width();
                    let mut buf = String::new();
                    for c in 0..width {
                        let cell = range.get((i, c)).unwrap_or(&Data::Empty);
                        buf.clear();
                        if render_cell(cell, &mut buf) {
                            row.lost_digits.push(*first_col + c);
                        }
                        row.record.push_field(&buf);
                    }
                }
            }
            if !row.is_blank() {
                return Ok(true);
            }
        }
    }
}

fn csv_error(file: &str, row: u64, e: csv::Error) -> TableError {
    TableError::Csv {
        file: file.to_owned(),
        row,
        message: e.to_string(),
    }
}

/// A header cell: trimmed of spaces (also full-width ones), a stray BOM and the `*` that
/// templates put on required columns.
fn clean_header_cell(cell: &str) -> String {
    unneutralise(cell)
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}' || c == '*' || c == '＊')
        .to_owned()
}

/// Renders an XLSX cell as text into `out`; true if it was a number too large to keep every digit.
fn render_cell(cell: &Data, out: &mut String) -> bool {
    use std::fmt::Write;
    match cell {
        Data::Empty => false,
        Data::String(s) => {
            out.push_str(s);
            false
        }
        Data::Int(i) => {
            let _ = write!(out, "{i}");
            i.unsigned_abs() >= 1_000_000_000_000_000
        }
        Data::Float(f) => {
            write_number(*f, out);
            f.is_finite() && f.abs() >= 1e15
        }
        Data::Bool(b) => {
            out.push_str(if *b { "true" } else { "false" });
            false
        }
        Data::DateTime(dt) => {
            if dt.is_datetime() {
                let (y, m, d, hh, mm, ss, ms) = dt.to_ymd_hms_milli();
                let _ = write!(out, "{y:04}-{m:02}-{d:02}");
                if (hh, mm, ss, ms) != (0, 0, 0, 0) {
                    let _ = write!(out, " {hh:02}:{mm:02}:{ss:02}");
                }
            } else {
                write_number(dt.as_f64(), out);
            }
            false
        }
        Data::DateTimeIso(s) => {
            // `2023-02-03T00:00:00` → `2023-02-03`.
            out.push_str(s.strip_suffix("T00:00:00").unwrap_or(s));
            false
        }
        Data::DurationIso(s) => {
            out.push_str(s);
            false
        }
        Data::Error(e) => {
            let _ = write!(out, "#{e:?}");
            false
        }
    }
}

/// Writes a number as typed: whole numbers without a fraction (also beyond 2^53, digit by
/// digit), others with at most 15 significant digits and no exponent noise.
fn write_number(f: f64, out: &mut String) {
    use std::fmt::Write;
    if !f.is_finite() {
        let _ = write!(out, "{f}");
        return;
    }
    if f.abs() >= 1e15 {
        // Excel keeps 15 significant digits: show those, then zeros, never the binary noise.
        let sci = format!("{f:.14e}");
        let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
        let exp: usize = exp.parse().unwrap_or(0);
        if f < 0.0 {
            out.push('-');
        }
        out.extend(mantissa.chars().filter(char::is_ascii_digit));
        out.extend(std::iter::repeat_n('0', (exp + 1).saturating_sub(15)));
        return;
    }
    if f.fract() == 0.0 {
        let _ = write!(out, "{f:.0}");
        return;
    }
    // Round to 15 significant digits (what Excel shows), then print the shortest form.
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    let text = format!("{rounded}");
    out.push_str(&text);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(table: &mut Table) -> Vec<(u64, Vec<String>)> {
        let mut out = Vec::new();
        let mut row = Row::new();
        while table.next_row(&mut row).unwrap() {
            out.push((row.number(), row.cells().map(str::to_owned).collect()));
        }
        out
    }

    #[test]
    fn utf8_with_and_without_bom_and_gbk_read_alike() {
        let text = "户编号,姓名\n4310261002010001,张三\n\n4310261002010002,'=李四\n";
        let plain = text.as_bytes().to_vec();
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        let (gbk, _, unmappable) = encoding_rs::GBK.encode(text);
        assert!(!unmappable);
        let gbk = gbk.into_owned();
        assert!(std::str::from_utf8(&gbk).is_err());
        for (bytes, enc) in [
            (plain, Encoding::Utf8),
            (bom, Encoding::Utf8Bom),
            (gbk, Encoding::Gb18030),
        ] {
            let mut t = Table::from_bytes("a.csv", FileKind::Csv, bytes).unwrap();
            assert_eq!(t.encoding(), Some(enc));
            assert_eq!(t.headers(), ["户编号", "姓名"]);
            assert_eq!(
                rows(&mut t),
                vec![
                    (2, vec!["4310261002010001".into(), "张三".into()]),
                    (4, vec!["4310261002010002".into(), "=李四".into()]),
                ]
            );
        }
    }

    #[test]
    fn an_unknown_encoding_is_refused_naming_the_file() {
        // Bytes that are neither UTF-8 nor GB18030 (0x80 and 0xFF are not lead bytes).
        let bytes = b"name\n\x80\xff\x80\n".to_vec();
        let err = Table::from_bytes("feed.csv", FileKind::Csv, bytes).unwrap_err();
        assert!(matches!(err, TableError::Encoding { .. }));
        assert!(
            err.to_string()
                .starts_with("feed.csv: the encoding is not recognised")
        );
        assert!(err.message_zh().contains("无法识别文件编码"));
        let utf16 = b"\xFF\xFEn\0a\0".to_vec();
        assert!(matches!(
            Table::from_bytes("u.csv", FileKind::Csv, utf16),
            Err(TableError::Encoding { .. })
        ));
        assert!(matches!(
            Table::from_bytes("e.csv", FileKind::Csv, Vec::new()),
            Err(TableError::Empty { .. })
        ));
    }

    #[test]
    fn neutralisation_is_undone_only_before_formula_characters() {
        assert_eq!(unneutralise("'=SUM(A1)"), "=SUM(A1)");
        assert_eq!(unneutralise("'-3"), "-3");
        assert_eq!(unneutralise("'+86 138"), "+86 138");
        assert_eq!(unneutralise("'@x"), "@x");
        assert_eq!(unneutralise("'abc"), "'abc");
        assert_eq!(unneutralise("=x"), "=x");
    }

    #[test]
    fn column_letters_count_like_a_spreadsheet() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn numbers_are_written_as_typed() {
        let mut s = String::new();
        for (f, want) in [
            (1234.5, "1234.5"),
            (0.1 + 0.2, "0.3"),
            (7500.0, "7500"),
            (1234.56, "1234.56"),
            (-3.25, "-3.25"),
            (431026198001010000.0, "431026198001010000"),
            (4310261002010001.0, "4310261002010000"),
            (-1.5e16, "-15000000000000000"),
        ] {
            s.clear();
            write_number(f, &mut s);
            assert_eq!(s, want);
        }
    }

    fn write_xlsx(path: &Path) {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        sheet.write_string(0, 0, "户编号").unwrap();
        sheet.write_string(0, 1, "证件号码").unwrap();
        sheet.write_string(0, 2, "金额").unwrap();
        sheet.write_string(0, 3, "日期").unwrap();
        sheet.write_string(1, 0, "4310261002010001").unwrap();
        sheet.write_string(1, 1, "43102619800101001x").unwrap();
        sheet.write_number(1, 2, 1234.5).unwrap();
        let d = ExcelDateTime::from_ymd(2024, 1, 31).unwrap();
        sheet.write_datetime_with_format(1, 3, &d, &date).unwrap();
        sheet.write_number(2, 0, 4310261002010002.0).unwrap();
        sheet.write_number(2, 1, 431026198001010012.0).unwrap();
        sheet.write_number(2, 2, 7500).unwrap();
        sheet.write_string(2, 3, "'=HYPERLINK()").unwrap();
        // Many filler rows so the file is large enough to cut meaningfully.
        for r in 3..400u32 {
            sheet
                .write_string(r, 0, format!("43102610020{r:05}"))
                .unwrap();
            sheet.write_string(r, 1, "x".repeat(40)).unwrap();
        }
        book.save(path).unwrap();
    }

    #[test]
    fn xlsx_cells_become_text_with_dates_numbers_and_lost_digits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.xlsx");
        write_xlsx(&path);
        let mut t = Table::open(&path).unwrap();
        assert_eq!(t.kind(), FileKind::Xlsx);
        assert_eq!(t.headers(), ["户编号", "证件号码", "金额", "日期"]);
        assert_eq!(t.header_row(), 1);
        let mut row = Row::new();
        assert!(t.next_row(&mut row).unwrap());
        assert_eq!(row.number(), 2);
        let cells: Vec<&str> = row.cells().collect();
        assert_eq!(
            cells,
            [
                "4310261002010001",
                "43102619800101001x",
                "1234.5",
                "2024-01-31"
            ]
        );
        assert!(!row.lost_digits(0) && !row.lost_digits(1));
        assert!(t.next_row(&mut row).unwrap());
        assert_eq!(row.number(), 3);
        assert_eq!(row.get(2), "7500");
        assert_eq!(row.get(3), "=HYPERLINK()");
        assert!(row.lost_digits(0), "a 16-digit number cannot be trusted");
        assert!(row.lost_digits(1));
        assert!(!row.get(1).contains('e'), "never 4.31e17: {}", row.get(1));
    }

    #[test]
    fn a_truncated_or_corrupt_xlsx_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.xlsx");
        write_xlsx(&path);
        let bytes = std::fs::read(&path).unwrap();
        for cut in [bytes.len() / 2, bytes.len() - 10, 100, 0] {
            let half = dir.path().join(format!("cut{cut}.xlsx"));
            std::fs::write(&half, &bytes[..cut]).unwrap();
            let err = Table::open(&half).unwrap_err();
            assert!(
                err.to_string().starts_with(&format!("cut{cut}.xlsx: ")),
                "{err}"
            );
            assert!(err.message_zh().contains(&format!("cut{cut}.xlsx")));
        }
        // A CSV renamed to .xlsx.
        let fake = dir.path().join("fake.xlsx");
        std::fs::write(&fake, "a,b\n1,2\n").unwrap();
        assert!(matches!(Table::open(&fake), Err(TableError::Xlsx { .. })));
        // Flipped bytes in the middle of the archive.
        let mut corrupt = bytes.clone();
        for b in corrupt.iter_mut().skip(bytes.len() / 3).take(200) {
            *b ^= 0x5A;
        }
        let _ = Table::from_bytes("flip.xlsx", FileKind::Xlsx, corrupt);
        assert!(matches!(
            Table::open(&dir.path().join("ledger.xls")),
            Err(TableError::UnsupportedFormat { .. })
        ));
        assert!(matches!(
            Table::open(&dir.path().join("missing.csv")),
            Err(TableError::Io { .. })
        ));
    }

    #[test]
    fn ragged_rows_and_very_long_cells_are_read() {
        let long = "长".repeat(10_000);
        let text = format!("a,b,c\n1\n2,{long},3,4\n\n\n\"x\ny\",z\nlast\n");
        let mut t = Table::from_bytes("r.csv", FileKind::Csv, text.into_bytes()).unwrap();
        let r = rows(&mut t);
        let numbers: Vec<u64> = r.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            numbers,
            [2, 3, 6, 7],
            "blank lines count, a two-line cell is one row"
        );
        assert_eq!(r[0].1, ["1"]);
        assert_eq!(r[1].1[1].chars().count(), 10_000);
        assert_eq!(r[1].1.len(), 4);
    }
}
