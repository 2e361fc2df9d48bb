//! The registry and income files (formats.md §1–2), as CSV (any encoding) or XLSX: any bytes are
//! rows or problems naming row and column, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uplift_app::import::registry::{parse_incomes, parse_registry};
use uplift_app::import::table::{FileKind, Table};

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let (name, kind) = if first & 1 == 0 {
        ("fuzz.csv", FileKind::Csv)
    } else {
        ("fuzz.xlsx", FileKind::Xlsx)
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    if let Ok(mut table) = Table::from_bytes(name, kind, rest.to_vec()) {
        let _ = parse_registry(&mut table, today);
    }
    if let Ok(mut table) = Table::from_bytes(name, kind, rest.to_vec()) {
        let _ = parse_incomes(&mut table);
    }
});
