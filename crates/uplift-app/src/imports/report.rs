//! The import report: the original rows of the file plus, per problem, the row, column, field,
//! rule code, severity and message in Chinese and English. One line per problem, in row order; a
//! row with two problems appears twice. Written as `.csv` or `.xlsx` by [`super::sheet`].

use super::sheet::{Sheet, decode_line};
use super::store::ImportBatch;

/// The columns appended to the file's own.
pub const REPORT_COLUMNS: [&str; 8] = [
    "行号 row",
    "列 column",
    "字段 field",
    "规则 rule",
    "级别 severity",
    "问题 message_zh",
    "message (en)",
    "值 value",
];

/// The report of a batch as a sheet.
pub fn report_sheet(batch: &ImportBatch) -> Sheet {
    let original = decode_line(&batch.headers);
    let width = batch
        .issues
        .iter()
        .map(|i| decode_line(&i.cells).len())
        .chain(std::iter::once(original.len()))
        .max()
        .unwrap_or(0);
    let mut headers = original;
    headers.resize(width, String::new());
    headers.extend(REPORT_COLUMNS.iter().map(|s| (*s).to_owned()));
    let rows = batch
        .issues
        .iter()
        .map(|i| {
            let mut row = decode_line(&i.cells);
            row.resize(width, String::new());
            row.extend([
                if i.row > 0 {
                    i.row.to_string()
                } else {
                    String::new()
                },
                i.column.clone(),
                i.field.clone(),
                i.rule.clone(),
                i.severity.clone(),
                i.message_zh.clone(),
                i.message_en.clone(),
                i.value.clone(),
            ]);
            row
        })
        .collect();
    Sheet {
        name: "导入报告 report".to_owned(),
        headers,
        rows,
        note: Some(format!(
            "{} · {} · sha256 {} · {}",
            batch.file_name, batch.kind, batch.checksum, batch.status
        )),
    }
}
