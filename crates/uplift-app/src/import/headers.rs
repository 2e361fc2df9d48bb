//! Header tables of the interchange formats (formats.md §1–2) and the mapping of a file's header
//! row onto them: Chinese or English headers, in any order; extra columns are ignored.
//!
//! The tables are data, so the exporter writes exactly the headers the importer reads.

use super::table::column_letters;

/// One column of a format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub zh: &'static str,
    pub en: &'static str,
    pub required: bool,
}

const fn col(zh: &'static str, en: &'static str, required: bool) -> Column {
    Column { zh, en, required }
}

/// The registry file, one row per person (formats.md §1), in the documented order.
pub const REGISTRY_COLUMNS: &[Column] = &[
    col("户编号", "household_no", true),
    col("户类型", "household_type", true),
    col("行政区划代码", "region_code", true),
    col("详细地址", "address", false),
    col("姓名", "name", true),
    col("证件号码", "id_number", true),
    col("与户主关系", "relation", true),
    col("性别", "sex", false),
    col("文化程度", "education", false),
    col("在校生状况", "schooling", false),
    col("健康状况", "health", true),
    // Required only when health is 残疾; checked per row.
    col("残疾等级", "disability_grade", false),
    col("劳动技能", "labour", true),
    col("是否参加大病保险", "major_illness_insurance", false),
    col("联系电话", "phone", false),
];

/// The income file, one row per household and reference period (formats.md §2).
pub const INCOME_COLUMNS: &[Column] = &[
    col("户编号", "household_no", true),
    col("统计起始日期", "period_start", true),
    col("统计截止日期", "period_end", true),
    col("工资性收入", "wage_income", true),
    col("生产经营性收入", "business_income", true),
    col("财产性收入", "property_income", true),
    col("转移性收入", "transfer_income", true),
    col("生产经营性支出", "production_costs", true),
    col("合规自付支出", "compliant_out_of_pocket", false),
];

/// The Chinese header of an English field name in either table, for messages.
pub fn zh_of(en: &str) -> &'static str {
    REGISTRY_COLUMNS
        .iter()
        .chain(INCOME_COLUMNS)
        .find(|c| c.en == en)
        .map(|c| c.zh)
        .unwrap_or("")
}

/// Where each column of a format sits in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMap {
    columns: &'static [Column],
    /// Per format column: its 0-based index in the file and the header as written.
    found: Vec<Option<(usize, String)>>,
}

impl HeaderMap {
    /// The file column of the format column with this English name.
    pub fn index(&self, en: &str) -> Option<usize> {
        let i = self.columns.iter().position(|c| c.en == en)?;
        self.found[i].as_ref().map(|(idx, _)| *idx)
    }

    /// The header as written in the file for this English name (for messages and reports);
    /// the English name itself when the column is absent.
    pub fn written(&self, en: &'static str) -> &str {
        self.columns
            .iter()
            .position(|c| c.en == en)
            .and_then(|i| self.found[i].as_ref())
            .map(|(_, h)| h.as_str())
            .unwrap_or(en)
    }

    pub fn columns(&self) -> &'static [Column] {
        self.columns
    }
}

/// A header row that cannot be mapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Every missing required column, in the format's order.
    #[error("{file}: missing required columns: {}", list_en(.missing))]
    Missing { file: String, missing: Vec<Column> },
    /// The same format column twice, so which one holds the data is ambiguous.
    #[error("{file}: column {} ({}) appears twice, in columns {} and {}", .column.zh, .column.en, column_letters(*.first), column_letters(*.second))]
    Duplicate {
        file: String,
        column: Column,
        first: usize,
        second: usize,
    },
}

fn list_en(missing: &[Column]) -> String {
    missing
        .iter()
        .map(|c| format!("{} ({})", c.en, c.zh))
        .collect::<Vec<_>>()
        .join(", ")
}

impl HeaderError {
    pub fn message_zh(&self) -> String {
        match self {
            HeaderError::Missing { file, missing } => format!(
                "{file}：缺少必需的列：{}",
                missing
                    .iter()
                    .map(|c| format!("{}（{}）", c.zh, c.en))
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            HeaderError::Duplicate {
                file,
                column,
                first,
                second,
            } => format!(
                "{file}：列“{}”（{}）出现了两次，分别在第 {} 列和第 {} 列",
                column.zh,
                column.en,
                column_letters(*first),
                column_letters(*second)
            ),
        }
    }
}

fn matches(header: &str, column: &Column) -> bool {
    header == column.zh || header.eq_ignore_ascii_case(column.en)
}

/// Maps a header row (as [`super::table::Table::headers`] gives it) onto a format's columns.
pub fn map_headers(
    file: &str,
    headers: &[String],
    columns: &'static [Column],
) -> Result<HeaderMap, HeaderError> {
    let mut found: Vec<Option<(usize, String)>> = vec![None; columns.len()];
    for (idx, header) in headers.iter().enumerate() {
        let header = header.trim();
        let Some(ci) = columns.iter().position(|c| matches(header, c)) else {
            continue; // an extra column: ignored
        };
        if let Some((first, _)) = &found[ci] {
            return Err(HeaderError::Duplicate {
                file: file.to_owned(),
                column: columns[ci],
                first: *first,
                second: idx,
            });
        }
        found[ci] = Some((idx, header.to_owned()));
    }
    let missing: Vec<Column> = columns
        .iter()
        .zip(&found)
        .filter(|(c, f)| c.required && f.is_none())
        .map(|(c, _)| *c)
        .collect();
    if !missing.is_empty() {
        return Err(HeaderError::Missing {
            file: file.to_owned(),
            missing,
        });
    }
    Ok(HeaderMap { columns, found })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn english_headers_in_any_order_with_extra_columns() {
        let mut headers: Vec<String> = REGISTRY_COLUMNS.iter().map(|c| c.en.to_owned()).collect();
        headers.reverse();
        headers.insert(3, "remarks".into());
        headers[0] = "PHONE".into();
        let map = map_headers("f.csv", &headers, REGISTRY_COLUMNS).unwrap();
        assert_eq!(map.index("phone"), Some(0));
        assert_eq!(map.written("phone"), "PHONE");
        assert_eq!(map.index("household_no"), Some(15));
        assert_eq!(map.index("labour"), Some(2));
        assert_eq!(map.index("sex"), Some(8));
    }

    #[test]
    fn chinese_and_english_may_mix() {
        let headers = strings(&[
            "户编号",
            "period_start",
            "统计截止日期",
            "wage_income",
            "生产经营性收入",
            "财产性收入",
            "transfer_income",
            "生产经营性支出",
        ]);
        let map = map_headers("i.csv", &headers, INCOME_COLUMNS).unwrap();
        assert_eq!(map.index("compliant_out_of_pocket"), None);
        assert_eq!(
            map.written("compliant_out_of_pocket"),
            "compliant_out_of_pocket"
        );
        assert_eq!(map.index("wage_income"), Some(3));
    }

    #[test]
    fn all_missing_columns_are_listed_in_both_languages() {
        let headers = strings(&["户编号", "姓名", "备注"]);
        let err = map_headers("reg.csv", &headers, REGISTRY_COLUMNS).unwrap_err();
        assert_eq!(
            err.to_string(),
            "reg.csv: missing required columns: household_type (户类型), region_code (行政区划代码), \
             id_number (证件号码), relation (与户主关系), health (健康状况), labour (劳动技能)"
        );
        assert_eq!(
            err.message_zh(),
            "reg.csv：缺少必需的列：户类型（household_type）、行政区划代码（region_code）、\
             证件号码（id_number）、与户主关系（relation）、健康状况（health）、劳动技能（labour）"
        );
    }

    #[test]
    fn a_column_given_twice_is_ambiguous() {
        let mut headers: Vec<String> = INCOME_COLUMNS.iter().map(|c| c.zh.to_owned()).collect();
        headers.push("wage_income".into());
        let err = map_headers("i.csv", &headers, INCOME_COLUMNS).unwrap_err();
        assert_eq!(
            err.to_string(),
            "i.csv: column 工资性收入 (wage_income) appears twice, in columns D and J"
        );
    }

    #[test]
    fn tables_match_formats_md_and_have_unique_names() {
        assert_eq!(REGISTRY_COLUMNS.len(), 15);
        assert_eq!(INCOME_COLUMNS.len(), 9);
        for table in [REGISTRY_COLUMNS, INCOME_COLUMNS] {
            let mut names: Vec<&str> = table.iter().flat_map(|c| [c.zh, c.en]).collect();
            names.sort();
            let n = names.len();
            names.dedup();
            assert_eq!(names.len(), n);
        }
        assert_eq!(zh_of("period_end"), "统计截止日期");
    }
}
