//! Writing a table of text cells as `.csv` or `.xlsx`, the same bytes for the same data.
//!
//! Cells a spreadsheet would run as a formula (starting with `=`, `+`, `-` or `@`) get a leading
//! `'` (formats.md); the importer removes it again ([`crate::import::table::unneutralise`]).

use std::borrow::Cow;

/// The largest cell Excel holds; longer report cells are cut with a visible marker (the CSV holds
/// them whole).
pub const XLSX_CELL_MAX: usize = 32_767;

/// A header row and data rows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sheet {
    /// The worksheet's name in an `.xlsx` (at most 31 characters).
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// A note stored in the `.xlsx` document properties (e.g. that IDs are masked).
    pub note: Option<String>,
}

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// From a file name's extension or a `format=` value (`csv`, `xlsx`).
    pub fn parse(s: &str) -> Option<Format> {
        let lower = s.to_ascii_lowercase();
        let ext = lower.rsplit('.').next().unwrap_or(&lower);
        match ext {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot write the spreadsheet: {0}")]
pub struct SheetError(pub String);

/// Prefixes `'` to a cell that starts with `=`, `+`, `-` or `@`.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

impl Sheet {
    pub fn write(&self, format: Format) -> Result<Vec<u8>, SheetError> {
        match format {
            Format::Csv => self.to_csv(),
            Format::Xlsx => self.to_xlsx(),
        }
    }

    /// UTF-8 with a BOM (so Excel reads the Chinese), CRLF line ends.
    pub fn to_csv(&self) -> Result<Vec<u8>, SheetError> {
        let mut out = Vec::with_capacity(64 * (self.rows.len() + 1));
        out.extend_from_slice(b"\xEF\xBB\xBF");
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .flexible(true)
            .from_writer(out);
        let err = |e: csv::Error| SheetError(e.to_string());
        w.write_record(self.headers.iter().map(|h| neutralise(h).into_owned()))
            .map_err(err)?;
        for row in &self.rows {
            w.write_record(row.iter().map(|c| neutralise(c).into_owned()))
                .map_err(err)?;
        }
        w.into_inner().map_err(|e| SheetError(e.to_string()))
    }

    /// Every cell a text cell; a fixed creation date, so the same data gives the same bytes.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, SheetError> {
        use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format as XFormat, Workbook};
        let err = |e: rust_xlsxwriter::XlsxError| SheetError(e.to_string());
        let mut book = Workbook::new();
        let created = ExcelDateTime::from_ymd(2020, 1, 1).map_err(err)?;
        let mut props = DocProperties::new()
            .set_creation_datetime(&created)
            .set_author("Uplift 防返贫监测");
        if let Some(note) = &self.note {
            props = props.set_comment(note.clone());
        }
        book.set_properties(&props);
        let bold = XFormat::new().set_bold();
        let sheet = book.add_worksheet();
        let name: String = self.name.chars().take(31).collect();
        if !name.is_empty() {
            sheet.set_name(&name).map_err(err)?;
        }
        for (c, h) in self.headers.iter().enumerate() {
            let col = u16::try_from(c).map_err(|e| SheetError(e.to_string()))?;
            sheet
                .write_string_with_format(0, col, cell_text(h), &bold)
                .map_err(err)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let rn = u32::try_from(r + 1).map_err(|e| SheetError(e.to_string()))?;
            for (c, v) in row.iter().enumerate() {
                if v.is_empty() {
                    continue;
                }
                let col = u16::try_from(c).map_err(|e| SheetError(e.to_string()))?;
                sheet.write_string(rn, col, cell_text(v)).map_err(err)?;
            }
        }
        book.save_to_buffer().map_err(err)
    }
}

fn cell_text(v: &str) -> String {
    let v = neutralise(v);
    if v.chars().count() <= XLSX_CELL_MAX {
        return v.into_owned();
    }
    let marker = "…[cut: longer than an Excel cell; see the CSV]";
    let keep = XLSX_CELL_MAX - marker.chars().count();
    let mut s: String = v.chars().take(keep).collect();
    s.push_str(marker);
    s
}

/// One row as a CSV line (no line end), for storing a report's original rows.
pub fn encode_line<S: AsRef<[u8]>>(cells: impl IntoIterator<Item = S>) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .flexible(true)
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_record(cells);
    let bytes = w.into_inner().unwrap_or_default();
    let mut s = String::from_utf8_lossy(&bytes).into_owned();
    if s.ends_with('\n') {
        s.pop();
    }
    s
}

/// The cells of a line written by [`encode_line`].
pub fn decode_line(line: &str) -> Vec<String> {
    if line.is_empty() {
        return Vec::new();
    }
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    let mut rec = csv::StringRecord::new();
    match r.read_record(&mut rec) {
        Ok(true) => rec.iter().map(str::to_owned).collect(),
        _ => vec![line.to_owned()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_lines_round_trip() {
        assert_eq!(neutralise("=1+1"), "'=1+1");
        assert_eq!(neutralise("-3"), "'-3");
        assert_eq!(neutralise("a=b"), "a=b");
        let cells = vec![
            "a,b".to_owned(),
            "x\"y".to_owned(),
            "line\nbreak".to_owned(),
            String::new(),
        ];
        assert_eq!(decode_line(&encode_line(&cells)), cells);
    }

    #[test]
    fn the_same_sheet_gives_the_same_bytes() {
        let sheet = Sheet {
            name: "t".into(),
            headers: vec!["户编号".into(), "姓名".into()],
            rows: vec![vec!["1".into(), "=HYPERLINK()".into()]],
            note: Some("note".into()),
        };
        assert_eq!(sheet.to_xlsx().unwrap(), sheet.to_xlsx().unwrap());
        let csv = String::from_utf8(sheet.to_csv().unwrap()).unwrap();
        assert_eq!(csv, "\u{feff}户编号,姓名\r\n1,'=HYPERLINK()\r\n");
    }
}
