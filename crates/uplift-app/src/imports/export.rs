//! Exports of the registry (`uplift export households|persons|national`, the list's export
//! button).
//!
//! * `households`: the registry file of formats.md §1, one row per active member, the headers of
//!   [`REGISTRY_COLUMNS`] (Chinese by default, English with [`HeaderLang::En`], values then in
//!   English codes too). Exported and imported again, it changes nothing.
//! * `persons`: the same columns plus birth date and member status, every member (including
//!   those who left), for lists; not meant for import.
//! * `national`: the monitoring objects in the national system's layout ([`national`]).
//!
//! Rows come in household-number order and members in registration order, so the same data
//! gives the same file. For a user, the export holds only the households of their scope, and
//! the fields their role must not see are masked: such an export says so in its headers (the
//! ID column is then named "证件号码（已脱敏，不可导入）"), so it cannot be imported by mistake.

use uplift_domain::access::{Action, SensitiveField, Visibility};
use uplift_domain::household::{Codebook, Household, Person, mask_phone};
use uplift_domain::version::ReadAt;

use super::national;
use super::sheet::Sheet;
use crate::App;
use crate::access::{AccessDenied, Principal};
use crate::import::headers::REGISTRY_COLUMNS;
use crate::store::{HouseholdDetail, HouseholdFilter, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Households,
    Persons,
    /// The monitoring objects in the national system's layout ([`super::national`]).
    National,
}

impl ExportKind {
    pub fn parse(s: &str) -> Option<ExportKind> {
        match s {
            "households" => Some(ExportKind::Households),
            "persons" => Some(ExportKind::Persons),
            "national" => Some(ExportKind::National),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderLang {
    #[default]
    Zh,
    En,
}

impl HeaderLang {
    pub fn parse(s: &str) -> Option<HeaderLang> {
        match s {
            "zh" | "zh-CN" | "cn" => Some(HeaderLang::Zh),
            "en" => Some(HeaderLang::En),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportFailure {
    #[error(transparent)]
    Denied(#[from] AccessDenied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to export. The filter's scope is replaced by the principal's.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub kind: ExportKind,
    pub filter: HouseholdFilter,
    pub at: ReadAt,
    pub headers: HeaderLang,
}

const MASKED_ID_ZH: &str = "证件号码（已脱敏，不可导入）";
const MASKED_ID_EN: &str = "id_number (masked, not importable)";

/// Builds the export as a sheet; write it with [`Sheet::write`].
pub async fn export(
    app: &App,
    by: &Principal,
    request: ExportRequest,
) -> Result<Sheet, ExportFailure> {
    by.require(Action::ReadRegistry)?;
    let mut filter = request.filter;
    filter.scope = by.scope();
    let households = app.store.export_households(&filter, request.at).await?;
    if request.kind == ExportKind::National {
        return national_sheet(app, by, &filter, request.at, households, request.headers).await;
    }
    let en = request.headers == HeaderLang::En;
    let plain = |f| by.sees(f) == Visibility::Plain;
    let (ids_plain, phones_plain, health_plain) = (
        plain(SensitiveField::IdNumber),
        plain(SensitiveField::Phone),
        plain(SensitiveField::Health),
    );
    let mut headers: Vec<String> = REGISTRY_COLUMNS
        .iter()
        .map(|c| {
            if c.en == "id_number" && !ids_plain {
                if en { MASKED_ID_EN } else { MASKED_ID_ZH }.to_owned()
            } else if en {
                c.en.to_owned()
            } else {
                c.zh.to_owned()
            }
        })
        .collect();
    if request.kind == ExportKind::Persons {
        headers.push(if en { "birth_date" } else { "出生日期" }.to_owned());
        headers.push(if en { "status" } else { "成员状态" }.to_owned());
    }
    let mut rows = Vec::new();
    for d in &households {
        for m in &d.members {
            let p = &m.person.value;
            if request.kind == ExportKind::Households && !p.is_active() {
                continue;
            }
            let mut row = registry_row(&d.household.value, p, en);
            if !ids_plain {
                row[5] = p.id_number.masked();
            }
            if !phones_plain {
                row[14] = p.phone.as_deref().map(mask_phone).unwrap_or_default();
            }
            if !health_plain {
                row[10] = "***".to_owned();
                row[11] = String::new();
            }
            if request.kind == ExportKind::Persons {
                row.push(p.birth_date.map(|d| d.to_string()).unwrap_or_default());
                row.push(label(p.status, en));
            }
            rows.push(row);
        }
    }
    let masked = !(ids_plain && phones_plain && health_plain);
    let note = masked.then(|| {
        "部分个人信息已按角色脱敏，本文件不可再导入 · personal fields are masked for this role; \
         this file cannot be imported"
            .to_owned()
    });
    let name = match (request.kind, en) {
        (ExportKind::Households, false) => "户成员信息",
        (ExportKind::Households, true) => "registry",
        (ExportKind::Persons, false) => "人员名单",
        (ExportKind::Persons, true) => "persons",
        (ExportKind::National, false) => "监测对象",
        (ExportKind::National, true) => "monitored",
    };
    Ok(Sheet {
        name: name.to_owned(),
        headers,
        rows,
        note,
    })
}

/// The national layout: only the monitoring objects, masked as the other exports are.
async fn national_sheet(
    app: &App,
    by: &Principal,
    filter: &HouseholdFilter,
    at: ReadAt,
    households: Vec<HouseholdDetail>,
    headers: HeaderLang,
) -> Result<Sheet, ExportFailure> {
    let en = headers == HeaderLang::En;
    let statuses = national::statuses(app, filter, at.as_of).await?;
    let plain = |f| by.sees(f) == Visibility::Plain;
    let (ids_plain, phones_plain, health_plain) = (
        plain(SensitiveField::IdNumber),
        plain(SensitiveField::Phone),
        plain(SensitiveField::Health),
    );
    let index = |en| national::national_index(en).unwrap_or(usize::MAX);
    let (id_at, phone_at, health_at, grade_at) = (
        index("id_number"),
        index("phone"),
        index("health"),
        index("disability_grade"),
    );
    let headers: Vec<String> = national::NATIONAL_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i == id_at && !ids_plain {
                if en { MASKED_ID_EN } else { MASKED_ID_ZH }.to_owned()
            } else if en {
                c.en.to_owned()
            } else {
                c.zh.to_owned()
            }
        })
        .collect();
    let mut rows = Vec::new();
    for d in &households {
        let Some(status) = statuses.get(&d.id) else {
            continue;
        };
        let h = &d.household.value;
        let pack = app.policy.in_force(&h.region, at.as_of);
        for m in &d.members {
            let p = &m.person.value;
            if !p.is_active() {
                continue;
            }
            let mut row = national::national_row(h, p, status, pack, en);
            if !ids_plain {
                row[id_at] = p.id_number.masked();
            }
            if !phones_plain {
                row[phone_at] = p.phone.as_deref().map(mask_phone).unwrap_or_default();
            }
            if !health_plain {
                row[health_at] = "***".to_owned();
                row[grade_at] = String::new();
            }
            rows.push(row);
        }
    }
    let masked = !(ids_plain && phones_plain && health_plain);
    Ok(Sheet {
        name: if en { "monitored" } else { "监测对象" }.to_owned(),
        headers,
        rows,
        note: masked.then(|| {
            "部分个人信息已按角色脱敏 · personal fields are masked for this role".to_owned()
        }),
    })
}

fn label<T: Codebook>(v: T, en: bool) -> String {
    if en { v.code() } else { v.zh() }.to_owned()
}

fn opt_label<T: Codebook>(v: Option<T>, en: bool) -> String {
    v.map(|v| label(v, en)).unwrap_or_default()
}

/// One member as a row of the registry file, in [`REGISTRY_COLUMNS`] order.
pub fn registry_row(h: &Household, p: &Person, en: bool) -> Vec<String> {
    let yes_no = |b: bool| match (b, en) {
        (true, false) => "是",
        (false, false) => "否",
        (true, true) => "yes",
        (false, true) => "no",
    };
    vec![
        h.household_no.as_str().to_owned(),
        label(h.household_type, en),
        h.region.as_str().to_owned(),
        h.address.clone().unwrap_or_default(),
        p.name.clone(),
        p.id_number.as_str().to_owned(),
        label(p.relation, en),
        p.sex
            .map(|s| if en { s.code() } else { s.zh() }.to_owned())
            .unwrap_or_default(),
        opt_label(p.education, en),
        opt_label(p.schooling, en),
        label(p.health, en),
        p.disability_grade
            .map(|g| g.to_string())
            .unwrap_or_default(),
        label(p.labour, en),
        p.major_illness_insurance
            .map(|b| yes_no(b).to_owned())
            .unwrap_or_default(),
        p.phone.clone().unwrap_or_default(),
    ]
}
