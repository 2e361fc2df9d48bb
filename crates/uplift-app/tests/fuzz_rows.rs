//! Fuzz-style property tests of the CSV/XLSX row parsing (cargo-fuzz is not installed here):
//! arbitrary bytes, arbitrary cells under a valid header, and damaged .xlsx files never panic,
//! and every problem names a row inside the file.

use chrono::NaiveDate;
use proptest::prelude::*;
use uplift_app::import::registry::{parse_incomes, parse_registry};
use uplift_app::import::table::{FileKind, Table};
use uplift_app::imports::sheet::Sheet;

const HEADER: &[&str] = &[
    "household_no",
    "household_type",
    "region_code",
    "address",
    "name",
    "id_number",
    "relation",
    "sex",
    "health",
    "disability_grade",
    "labour",
    "phone",
];

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

/// A cell: plausible values, formula-looking text, quotes, separators, long and odd Unicode.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("431026102202-0001".to_owned()),
        Just("431026102202".to_owned()),
        Just("户主".to_owned()),
        Just("head".to_owned()),
        Just("健康".to_owned()),
        Just("残疾".to_owned()),
        Just("43102619700501001x".to_owned()),
        Just("2023-02-30".to_owned()),
        Just("=1+1".to_owned()),
        Just("'=cmd".to_owned()),
        "[\\PC]{0,40}",
        "[0-9Xx]{0,20}",
        "[,\"\n\r ;\t]{0,6}",
        (0usize..12_000).prop_map(|n| "长".repeat(n)),
    ]
}

fn csv_line(cells: &[String]) -> String {
    cells
        .iter()
        .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(",")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_as_csv_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        if let Ok(mut table) = Table::from_bytes("fuzz.csv", FileKind::Csv, bytes.clone()) {
            let _ = parse_registry(&mut table, today());
        }
        if let Ok(mut table) = Table::from_bytes("fuzz.csv", FileKind::Csv, bytes) {
            let _ = parse_incomes(&mut table);
        }
    }

    #[test]
    fn arbitrary_bytes_as_xlsx_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        if let Ok(mut table) = Table::from_bytes("fuzz.xlsx", FileKind::Xlsx, bytes) {
            let _ = parse_registry(&mut table, today());
        }
    }

    #[test]
    fn arbitrary_cells_under_a_valid_header_are_read_or_named(
        rows in proptest::collection::vec(proptest::collection::vec(cell(), HEADER.len()), 1..12)
    ) {
        let mut text = HEADER.join(",");
        text.push('\n');
        for r in &rows {
            text.push_str(&csv_line(r));
            text.push('\n');
        }
        let mut table = Table::from_bytes("fuzz.csv", FileKind::Csv, text.into_bytes()).unwrap();
        let file = parse_registry(&mut table, today()).unwrap();
        // Blank rows may be skipped, never invented.
        prop_assert!(file.rows <= rows.len() as u64);
        for issue in &file.issues {
            // The header is row 1; data rows are 2..=n+1 (0 for a problem of the whole file).
            prop_assert!(issue.row <= rows.len() as u64 + 1, "{:?}", issue);
        }
    }

    #[test]
    fn damaged_xlsx_files_never_panic(
        rows in proptest::collection::vec(proptest::collection::vec(cell(), HEADER.len()), 1..6),
        cut in 0.0f64..1.0,
        flips in proptest::collection::vec((0.0f64..1.0, any::<u8>()), 0..8),
    ) {
        let sheet = Sheet {
            name: "registry".to_owned(),
            headers: HEADER.iter().map(|h| (*h).to_owned()).collect(),
            rows: rows.clone(),
            note: None,
        };
        let Ok(mut bytes) = sheet.to_xlsx() else { return Ok(()); };
        // The intact file reads back.
        let mut table = Table::from_bytes("ok.xlsx", FileKind::Xlsx, bytes.clone()).unwrap();
        let file = parse_registry(&mut table, today()).unwrap();
        prop_assert!(file.rows <= rows.len() as u64);
        for (at, b) in flips {
            let i = ((bytes.len() - 1) as f64 * at) as usize;
            bytes[i] = b;
        }
        bytes.truncate(((bytes.len() as f64) * cut) as usize);
        if let Ok(mut table) = Table::from_bytes("bad.xlsx", FileKind::Xlsx, bytes) {
            let _ = parse_registry(&mut table, today());
        }
    }
}
