//! `GET /api/v1/households…`: the household list, one household at a point of view, and its
//! history. Also the figures the UI shares with the API (per-capita income against the line,
//! the fields of a version), so both show the same numbers.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use uplift_app::App;
use uplift_app::households;
use uplift_app::store::{HistoryEntry, HouseholdDetail, HouseholdId, HouseholdSummary, Paged};
use uplift_domain::household::{Codebook, HouseholdType, Person, mask_phone};
use uplift_domain::income::{IncomeRecord, Money};
use uplift_domain::policy::{OutOfPocketRule, PolicyPack};
use uplift_domain::region::RegionCode;
use uplift_domain::version::VersionStamp;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::regions::RegionView;
use crate::auth::{ApiCaller, Masking};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{HouseholdPath, Query};
use crate::i18n::{self, Lang};
use crate::pov::{ListParams, PointOfView, PointOfViewParams};
use uplift_domain::access::Action;

/// A codebook value: the stable English code and the Chinese label of the national system.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct CodeView {
    pub(crate) code: &'static str,
    pub(crate) zh: &'static str,
}

impl CodeView {
    /// Shown instead of a health value to roles that must not see it.
    pub(crate) const MASKED: CodeView = CodeView {
        code: "masked",
        zh: "已隐藏",
    };

    pub(crate) fn of<T: Codebook>(value: T) -> CodeView {
        CodeView {
            code: value.code(),
            zh: value.zh(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HouseholdListView {
    pub(crate) items: Vec<HouseholdSummaryView>,
    /// Households matching the filters, over all pages.
    pub(crate) total: u64,
    pub(crate) page: u32,
    pub(crate) per_page: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HouseholdSummaryView {
    pub(crate) id: i64,
    pub(crate) household_no: String,
    pub(crate) household_type: CodeView,
    /// The 12-digit code of the household's village.
    pub(crate) region_code: String,
    pub(crate) village_name: Option<String>,
    pub(crate) head_name: Option<String>,
    /// Members in the household at the point of view.
    pub(crate) members: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HouseholdView {
    pub(crate) id: i64,
    pub(crate) household_no: String,
    pub(crate) household_type: CodeView,
    pub(crate) region_code: String,
    /// The household's current version, whatever the point of view: send it as
    /// `expected_version` with a change (`POST /api/v1/households/{id}/changes`).
    pub(crate) version: i64,
    /// From the province down to the village.
    pub(crate) region_path: Vec<RegionView>,
    pub(crate) address: Option<String>,
    #[schema(format = Date)]
    pub(crate) valid_from: String,
    pub(crate) recorded_at: String,
    /// The point of view this household was read at.
    #[schema(format = Date)]
    pub(crate) as_of: String,
    pub(crate) known_at: Option<String>,
    pub(crate) members: Vec<MemberView>,
    pub(crate) incomes: Vec<IncomeView>,
    /// The policy pack in force for the household's region on `as_of`, if any.
    pub(crate) policy: Option<PolicyView>,
}

/// A member. The ID number, phone and health are masked unless the caller's role needs them
/// (then `id_number_masked` and `phone_masked` are false).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MemberView {
    pub(crate) id: i64,
    pub(crate) name: String,
    /// The ID number, or its first 6 and last 4 characters when masked.
    pub(crate) id_number: String,
    pub(crate) id_number_masked: bool,
    pub(crate) relation: CodeView,
    pub(crate) sex: Option<CodeView>,
    /// Whole years on `as_of`.
    pub(crate) age: Option<u32>,
    pub(crate) education: Option<CodeView>,
    pub(crate) schooling: Option<CodeView>,
    pub(crate) health: CodeView,
    pub(crate) disability_grade: Option<u8>,
    pub(crate) labour: CodeView,
    pub(crate) major_illness_insurance: Option<bool>,
    /// The phone, or its first 3 and last 4 digits when masked.
    pub(crate) phone: Option<String>,
    pub(crate) phone_masked: bool,
    pub(crate) status: CodeView,
    #[schema(format = Date)]
    pub(crate) valid_from: String,
}

/// An income record; amounts are yuan with two decimals, as strings (`"12345.60"`).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IncomeView {
    pub(crate) id: i64,
    #[schema(format = Date)]
    pub(crate) period_start: String,
    #[schema(format = Date)]
    pub(crate) period_end: String,
    pub(crate) wage: String,
    pub(crate) business: String,
    pub(crate) property: String,
    pub(crate) transfer: String,
    pub(crate) production_costs: String,
    pub(crate) compliant_out_of_pocket: Option<String>,
    pub(crate) gross: String,
    /// Net income under the pack's out-of-pocket rule; none without a pack.
    pub(crate) net: Option<String>,
    /// The members counted (those in the household at the point of view).
    pub(crate) members_counted: u32,
    pub(crate) per_capita_net: Option<String>,
    /// `below_line`, `near_line` (under the pack's edge band, 1.5× the line by default) or
    /// `above_line`; none without a pack or members.
    pub(crate) standing: Option<&'static str>,
    #[schema(format = Date)]
    pub(crate) valid_from: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PolicyView {
    pub(crate) name_zh: String,
    pub(crate) name_en: String,
    pub(crate) year: i32,
    #[schema(format = Date)]
    pub(crate) effective_from: String,
    /// Yuan per person per year.
    pub(crate) monitoring_line: String,
    /// The upper edge of the monitoring band.
    pub(crate) edge_band_line: String,
    /// `deduct` (compliant out-of-pocket medical costs are deducted) or `judge_beside`.
    pub(crate) out_of_pocket: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HistoryView {
    /// Newest recorded first.
    pub(crate) items: Vec<HistoryEntryView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HistoryEntryView {
    /// `household`, `person` or `income`.
    pub(crate) kind: &'static str,
    /// The household, person or income id.
    pub(crate) record_id: i64,
    /// The member's name or the income period; none for the household itself.
    pub(crate) subject: Option<String>,
    #[schema(format = Date)]
    pub(crate) valid_from: String,
    pub(crate) recorded_at: String,
    pub(crate) actor: String,
    pub(crate) source: String,
    pub(crate) reason: Option<String>,
    /// `field=value; …` of the fields this version set or changed (all of them for a first version).
    pub(crate) summary: String,
    pub(crate) changes: Vec<ChangeView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChangeView {
    pub(crate) field: &'static str,
    /// The English code or the text; masked for ID numbers and phones.
    pub(crate) value: String,
}

/// The household list at a point of view.
#[utoipa::path(
    get,
    path = "/api/v1/households",
    tag = "households",
    params(ListParams, PointOfViewParams),
    responses(
        (status = 200, description = "One page of households", body = HouseholdListView),
        (status = 422, description = "No policy pack is in force for an income band filter", body = ErrorEnvelope),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The caller's role may not read this", body = ErrorEnvelope),
        (status = 400, description = "A malformed query parameter", body = ErrorEnvelope),
    )
)]
pub(crate) async fn list_households(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(list): Query<ListParams>,
    Query(pov): Query<PointOfViewParams>,
) -> Result<Json<HouseholdListView>, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let pov = pov.parse_strict(state.app.clock.today())?;
    let mut filter = list.filter(caller.scope())?;
    crate::api::dashboard::apply_band(&state, &caller, &list, &mut filter, pov.at.as_of)?;
    let page = households::list(&state.app, &filter, pov.at, list.page()?).await?;
    let villages = village_names(&state.app, &page).await?;
    Ok(Json(HouseholdListView {
        items: page
            .items
            .iter()
            .map(|s| summary_view(s, &villages))
            .collect(),
        total: page.total,
        page: page.page.number,
        per_page: page.page.size,
    }))
}

/// One household with its members and incomes at a point of view.
#[utoipa::path(
    get,
    path = "/api/v1/households/{id}",
    tag = "households",
    params(("id" = i64, Path, description = "The household id"), PointOfViewParams),
    responses(
        (status = 200, description = "The household", body = HouseholdView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The caller's role may not read this", body = ErrorEnvelope),
        (status = 400, description = "A malformed query parameter", body = ErrorEnvelope),
        (status = 404, description = "No such household at this point of view", body = ErrorEnvelope),
    )
)]
pub(crate) async fn find_household(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    HouseholdPath(id): HouseholdPath,
    Query(pov): Query<PointOfViewParams>,
) -> Result<Json<HouseholdView>, ApiError> {
    caller.require(Action::ReadRegistry)?;
    let pov = pov.parse_strict(state.app.clock.today())?;
    let detail = households::get(&state.app, id, &caller.scope(), pov.at).await?;
    let masking = caller.masking(false);
    let household = &detail.household.value;
    let region_path = state.app.store.region_path(&household.region).await?;
    let pack = state.app.policy.in_force(&household.region, pov.at.as_of);
    let members_counted = active_members(&detail);
    let version = state.app.store.household_version(id).await?;
    Ok(Json(HouseholdView {
        id: detail.id.0,
        version,
        household_no: household.household_no.as_str().to_owned(),
        household_type: CodeView::of(household.household_type),
        region_code: household.region.to_string(),
        region_path: region_path.iter().map(RegionView::from).collect(),
        address: household.address.clone(),
        valid_from: detail.household.stamp.valid_from.to_string(),
        recorded_at: detail.household.stamp.recorded_at.to_rfc3339(),
        as_of: pov.at.as_of.to_string(),
        known_at: pov.at.known_at.map(|t| t.to_rfc3339()),
        members: detail
            .members
            .iter()
            .map(|m| member_view(m.id.0, &m.person.value, &m.person.stamp, &pov, &masking))
            .collect(),
        incomes: detail
            .incomes
            .iter()
            .map(|e| {
                let figures = IncomeFigures::new(&e.income.value, members_counted, pack);
                income_view(e.id.0, &e.income.value, &e.income.stamp, &figures)
            })
            .collect(),
        policy: pack.map(policy_view),
    }))
}

/// Every version of every record of a household, newest recorded first.
#[utoipa::path(
    get,
    path = "/api/v1/households/{id}/history",
    tag = "households",
    params(("id" = i64, Path, description = "The household id")),
    responses(
        (status = 200, description = "The versions, newest recorded first", body = HistoryView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The caller's role may not read this", body = ErrorEnvelope),
        (status = 404, description = "No such household", body = ErrorEnvelope),
    )
)]
pub(crate) async fn household_history(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    HouseholdPath(id): HouseholdPath,
) -> Result<Json<HistoryView>, ApiError> {
    caller.require(Action::ReadHistory)?;
    let entries = households::history(&state.app, id, &caller.scope()).await?;
    let items = history_items(id, &entries)
        .into_iter()
        .map(|item| HistoryEntryView {
            kind: item.kind,
            record_id: item.record_id,
            subject: item.subject.clone(),
            valid_from: item.stamp.valid_from.to_string(),
            recorded_at: item.stamp.recorded_at.to_rfc3339(),
            actor: item.stamp.actor.clone(),
            source: item.stamp.source.clone(),
            reason: item.stamp.reason.clone(),
            summary: item
                .changes
                .iter()
                .map(|f| format!("{}={}", f.key, f.value.code_or_text()))
                .collect::<Vec<_>>()
                .join("; "),
            changes: item
                .changes
                .iter()
                .map(|f| ChangeView {
                    field: f.key,
                    value: f.value.code_or_text().to_owned(),
                })
                .collect(),
        })
        .collect();
    Ok(Json(HistoryView { items }))
}

/// The names of the villages of a page of households, one store read per distinct village.
pub(crate) async fn village_names(
    app: &App,
    page: &Paged<HouseholdSummary>,
) -> Result<HashMap<RegionCode, String>, ApiError> {
    let mut names = HashMap::new();
    for summary in &page.items {
        let code = summary.household.region;
        if names.contains_key(&code) {
            continue;
        }
        if let Some(region) = app.store.region(&code).await? {
            names.insert(code, region.name);
        }
    }
    Ok(names)
}

fn summary_view(
    summary: &HouseholdSummary,
    villages: &HashMap<RegionCode, String>,
) -> HouseholdSummaryView {
    let household = &summary.household;
    HouseholdSummaryView {
        id: summary.id.0,
        household_no: household.household_no.as_str().to_owned(),
        household_type: CodeView::of(household.household_type),
        region_code: household.region.to_string(),
        village_name: villages.get(&household.region).cloned(),
        head_name: summary.head_name.clone(),
        members: summary.members,
    }
}

fn member_view(
    id: i64,
    person: &Person,
    stamp: &VersionStamp,
    pov: &PointOfView,
    masking: &Masking,
) -> MemberView {
    MemberView {
        id,
        name: person.name.clone(),
        id_number: shown_id_number(person, masking),
        id_number_masked: !masking.id_number,
        relation: CodeView::of(person.relation),
        sex: person.sex.map(|s| CodeView {
            code: s.code(),
            zh: s.zh(),
        }),
        age: person.age_on(pov.at.as_of),
        education: person.education.map(CodeView::of),
        schooling: person.schooling.map(CodeView::of),
        health: if masking.health {
            CodeView::of(person.health)
        } else {
            CodeView::MASKED
        },
        disability_grade: person.disability_grade.filter(|_| masking.health),
        labour: CodeView::of(person.labour),
        major_illness_insurance: person.major_illness_insurance,
        phone: shown_phone(person, masking),
        phone_masked: !masking.phone,
        status: CodeView::of(person.status),
        valid_from: stamp.valid_from.to_string(),
    }
}

/// The ID number as this caller may see it.
pub(crate) fn shown_id_number(person: &Person, masking: &Masking) -> String {
    if masking.id_number {
        person.id_number.as_str().to_owned()
    } else {
        person.id_number.masked()
    }
}

/// The phone as this caller may see it.
pub(crate) fn shown_phone(person: &Person, masking: &Masking) -> Option<String> {
    person.phone.as_deref().map(|p| {
        if masking.phone {
            p.to_owned()
        } else {
            mask_phone(p)
        }
    })
}

fn income_view(
    id: i64,
    record: &IncomeRecord,
    stamp: &VersionStamp,
    figures: &IncomeFigures,
) -> IncomeView {
    IncomeView {
        id,
        period_start: record.period_start.to_string(),
        period_end: record.period_end.to_string(),
        wage: record.wage.to_string(),
        business: record.business.to_string(),
        property: record.property.to_string(),
        transfer: record.transfer.to_string(),
        production_costs: record.production_costs.to_string(),
        compliant_out_of_pocket: record.compliant_out_of_pocket.map(|m| m.to_string()),
        gross: record.gross().to_string(),
        net: figures.net.map(|m| m.to_string()),
        members_counted: figures.members,
        per_capita_net: figures.per_capita.map(|m| m.to_string()),
        standing: figures.standing.map(Standing::code),
        valid_from: stamp.valid_from.to_string(),
    }
}

fn policy_view(pack: &PolicyPack) -> PolicyView {
    PolicyView {
        name_zh: pack.name_zh.clone(),
        name_en: pack.name_en.clone(),
        year: pack.year,
        effective_from: pack.effective_from.to_string(),
        monitoring_line: pack.monitoring_line.to_string(),
        edge_band_line: pack.edge_band_line().to_string(),
        out_of_pocket: out_of_pocket_code(pack.out_of_pocket),
    }
}

pub(crate) fn out_of_pocket_code(rule: OutOfPocketRule) -> &'static str {
    match rule {
        OutOfPocketRule::Deduct => "deduct",
        OutOfPocketRule::JudgeBeside => "judge_beside",
    }
}

/// Members still in the household at the point of view: the divisor of per-capita income.
pub(crate) fn active_members(detail: &HouseholdDetail) -> u32 {
    let n = detail
        .members
        .iter()
        .filter(|m| m.person.value.is_active())
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Where per-capita net income stands against the monitoring line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    Below,
    Near,
    Above,
}

impl Standing {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Standing::Below => "below_line",
            Standing::Near => "near_line",
            Standing::Above => "above_line",
        }
    }
}

/// An income record's figures under the policy pack in force.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IncomeFigures {
    pub(crate) net: Option<Money>,
    pub(crate) members: u32,
    pub(crate) per_capita: Option<Money>,
    pub(crate) standing: Option<Standing>,
}

impl IncomeFigures {
    pub(crate) fn new(
        record: &IncomeRecord,
        members: u32,
        pack: Option<&PolicyPack>,
    ) -> IncomeFigures {
        let Some(pack) = pack else {
            return IncomeFigures {
                net: None,
                members,
                per_capita: None,
                standing: None,
            };
        };
        let per_capita = record.per_capita_net(members, pack.out_of_pocket);
        let standing = per_capita.map(|p| {
            if p < pack.monitoring_line {
                Standing::Below
            } else if p < pack.edge_band_line() {
                Standing::Near
            } else {
                Standing::Above
            }
        });
        IncomeFigures {
            net: Some(record.net(pack.out_of_pocket)),
            members,
            per_capita,
            standing,
        }
    }
}

/// A field's value in a version: text as recorded, or a codebook value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shown {
    Text(String),
    Code(&'static str, &'static str),
}

impl Shown {
    fn of<T: Codebook>(value: T) -> Shown {
        Shown::Code(value.code(), value.zh())
    }

    fn yes_no(value: bool) -> Shown {
        if value {
            Shown::Code("yes", "是")
        } else {
            Shown::Code("no", "否")
        }
    }

    pub(crate) fn code_or_text(&self) -> &str {
        match self {
            Shown::Text(s) => s,
            Shown::Code(code, _) => code,
        }
    }

    pub(crate) fn in_lang(&self, lang: Lang) -> String {
        match (self, lang) {
            (Shown::Text(s), _) => s.clone(),
            (Shown::Code(_, zh), Lang::Zh) => (*zh).to_owned(),
            (Shown::Code(code, _), Lang::En) => i18n::humanize(code),
        }
    }
}

/// One field of a version, keyed by its API name (also its message id in the UI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) key: &'static str,
    pub(crate) value: Shown,
}

/// A version in a household's history, with the fields it set or changed.
#[derive(Debug)]
pub(crate) struct HistoryItem<'a> {
    pub(crate) kind: &'static str,
    pub(crate) record_id: i64,
    pub(crate) subject: Option<String>,
    pub(crate) stamp: &'a VersionStamp,
    pub(crate) changes: Vec<Field>,
}

/// The history as items, in the order given (newest first), each compared with the version of
/// the same record recorded just before it.
pub(crate) fn history_items(
    household: HouseholdId,
    newest_first: &[HistoryEntry],
) -> Vec<HistoryItem<'_>> {
    let mut previous: BTreeMap<(&'static str, i64), Vec<Field>> = BTreeMap::new();
    let mut items: Vec<HistoryItem<'_>> = newest_first
        .iter()
        .rev()
        .map(|entry| {
            let (kind, record_id, subject, fields) = match entry {
                HistoryEntry::Household(v) => {
                    let h = &v.value;
                    let fields = vec![
                        text("household_no", h.household_no.as_str()),
                        Field {
                            key: "household_type",
                            value: Shown::of::<HouseholdType>(h.household_type),
                        },
                        text("region_code", h.region.as_str()),
                        text("address", h.address.as_deref().unwrap_or("")),
                    ];
                    ("household", household.0, None, fields)
                }
                HistoryEntry::Person(id, v) => (
                    "person",
                    id.0,
                    Some(v.value.name.clone()),
                    person_fields(&v.value),
                ),
                HistoryEntry::Income(id, v) => {
                    let r = &v.value;
                    let period = format!("{}–{}", r.period_start, r.period_end);
                    let mut fields = vec![
                        text("wage", &r.wage.to_string()),
                        text("business", &r.business.to_string()),
                        text("property", &r.property.to_string()),
                        text("transfer", &r.transfer.to_string()),
                        text("production_costs", &r.production_costs.to_string()),
                    ];
                    if let Some(m) = r.compliant_out_of_pocket {
                        fields.push(text("compliant_out_of_pocket", &m.to_string()));
                    }
                    ("income", id.0, Some(period), fields)
                }
            };
            let changes = match previous.insert((kind, record_id), fields.clone()) {
                None => fields
                    .into_iter()
                    .filter(|f| f.value != Shown::Text(String::new()))
                    .collect(),
                Some(before) => {
                    let mut changes: Vec<Field> = fields
                        .iter()
                        .filter(|f| !before.contains(f))
                        .cloned()
                        .collect();
                    // A field the version no longer has (a phone removed) shows as cleared.
                    for gone in before
                        .iter()
                        .filter(|b| fields.iter().all(|f| f.key != b.key))
                    {
                        changes.push(text(gone.key, ""));
                    }
                    changes
                }
            };
            HistoryItem {
                kind,
                record_id,
                subject,
                stamp: entry.stamp(),
                changes,
            }
        })
        .collect();
    items.reverse();
    items
}

fn text(key: &'static str, value: &str) -> Field {
    Field {
        key,
        value: Shown::Text(value.to_owned()),
    }
}

fn person_fields(p: &Person) -> Vec<Field> {
    let code = |key, value| Field { key, value };
    let mut fields = vec![
        text("name", &p.name),
        text("id_number_masked", &p.id_number.masked()),
        code("relation", Shown::of(p.relation)),
    ];
    if let Some(sex) = p.sex {
        fields.push(code("sex", Shown::Code(sex.code(), sex.zh())));
    }
    if let Some(e) = p.education {
        fields.push(code("education", Shown::of(e)));
    }
    if let Some(s) = p.schooling {
        fields.push(code("schooling", Shown::of(s)));
    }
    fields.push(code("health", Shown::of(p.health)));
    if let Some(g) = p.disability_grade {
        fields.push(text("disability_grade", &g.to_string()));
    }
    fields.push(code("labour", Shown::of(p.labour)));
    if let Some(b) = p.major_illness_insurance {
        fields.push(code("major_illness_insurance", Shown::yes_no(b)));
    }
    if let Some(phone) = &p.phone {
        fields.push(text("phone_masked", &mask_phone(phone)));
    }
    fields.push(code("status", Shown::of(p.status)));
    fields
}

#[derive(Debug, serde::Deserialize, ToSchema)]
pub(crate) struct UnmaskBody {
    /// Why the full values are needed; recorded in the audit log.
    #[schema(min_length = 2, max_length = 200, pattern = r"\S.*\S")]
    pub(crate) reason: String,
}

/// The full ID numbers and phones of a household's members.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UnmaskedView {
    pub(crate) members: Vec<UnmaskedMemberView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UnmaskedMemberView {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) id_number: String,
    pub(crate) phone: Option<String>,
}

/// Reveals the masked fields of a household for a stated reason; the look is recorded.
#[utoipa::path(
    post,
    path = "/api/v1/households/{id}/unmask",
    tag = "households",
    params(("id" = i64, Path, description = "The household id"),
           ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body = UnmaskBody,
    responses(
        (status = 200, description = "The unmasked fields", body = UnmaskedView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not unmask, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "No such household in the caller's scope", body = ErrorEnvelope),
        (status = 422, description = "No reason given", body = ErrorEnvelope),
    )
)]
pub(crate) async fn unmask_household(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    HouseholdPath(id): HouseholdPath,
    headers: axum::http::HeaderMap,
    body: Result<Json<UnmaskBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<UnmaskedView>, ApiError> {
    caller.check_csrf(crate::auth::csrf_token(&headers))?;
    caller.require(Action::Unmask)?;
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let today = uplift_domain::version::ReadAt::current(state.app.clock.today());
    let detail = households::get(&state.app, id, &caller.scope(), today).await?;
    uplift_app::access::unmask(
        &state.app,
        &caller.principal,
        id,
        Some(detail.household.value.region),
        &body.reason,
    )
    .await?;
    Ok(Json(UnmaskedView {
        members: detail
            .members
            .iter()
            .map(|m| UnmaskedMemberView {
                id: m.id.0,
                name: m.person.value.name.clone(),
                id_number: m.person.value.id_number.as_str().to_owned(),
                phone: m.person.value.phone.clone(),
            })
            .collect(),
    }))
}
