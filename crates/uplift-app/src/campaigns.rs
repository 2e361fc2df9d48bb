//! Concentrated screening campaigns (集中排查, issue 10 item 3; domain.md §5.1, §10).
//!
//! A county opens a campaign with a period and a scope: every household, or the "eight
//! must-visit" groups chosen by the pack's `[[must_visit]]` rules over the registry. Opening
//! freezes the visit list (household, village, helper, matched groups) as the registry stands on
//! the opening day. Visits are recorded against the list; a visit that finds a risk records a
//! clue through the case use cases ([`crate::cases::open_clue`], channel 集中排查), so the case
//! workflow takes it from there. Coverage is counted day by day from the visits.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_trait::async_trait;
use chrono::NaiveDate;
use uplift_domain::access::Action;
use uplift_domain::campaign::{
    CampaignScope, HouseholdFacts, IncomeRule, VisitOutcome, must_visit_groups,
};
use uplift_domain::case::{Channel, Decision};
use uplift_domain::household::{Household, MemberStatus, Person, Relation};
use uplift_domain::income::IncomeRecord;
use uplift_domain::region::{Region, RegionCode, RegionLevel};
use uplift_domain::version::{ReadAt, VersionStamp};

use crate::App;
use crate::access::{AccessDenied, Principal};
use crate::cases::{self, CaseFailure, CaseId, Clue};
use crate::imports::sheet::Sheet;
use crate::store::{HouseholdId, Scope, StoreError, StoreResult};
use crate::villages::{covers, require_region};

/// Internal key of a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CampaignId(pub i64);

/// A campaign as opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCampaign {
    pub county: RegionCode,
    pub name: String,
    pub scope: CampaignScope,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignRecord {
    pub id: CampaignId,
    pub campaign: NewCampaign,
    pub created_at: String,
    pub actor: String,
}

/// One household of a campaign's visit list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    pub household: HouseholdId,
    pub household_no: String,
    pub village: RegionCode,
    pub head_name: Option<String>,
    /// The helper (username) assigned to the household when the list was made.
    pub helper: Option<String>,
    /// The must-visit groups it matched (empty for an every-household campaign).
    pub groups: Vec<String>,
}

/// A visit recorded against a campaign's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignVisit {
    pub household: HouseholdId,
    pub date: NaiveDate,
    pub outcome: VisitOutcome,
    /// Problems noticed (data errors, policy not applied …), free text; empty when none.
    pub problems: String,
    pub note: String,
    /// The case opened from the finding, if one was.
    pub case: Option<CaseId>,
}

/// Which list entries a read returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFilter {
    pub within: Option<RegionCode>,
    pub helper: Option<String>,
}

/// The store port of campaigns.
#[async_trait]
pub trait CampaignStore: Send + Sync {
    /// Saves a campaign and its list in one transaction.
    async fn open_campaign(
        &self,
        campaign: &NewCampaign,
        list: &[ListEntry],
        stamp: &VersionStamp,
    ) -> StoreResult<CampaignId>;
    /// Campaigns of counties inside `within` (all when none), newest first.
    async fn campaigns(&self, within: Option<&RegionCode>) -> StoreResult<Vec<CampaignRecord>>;
    async fn campaign(&self, id: CampaignId) -> StoreResult<Option<CampaignRecord>>;
    /// The list, by village then household number.
    async fn campaign_list(
        &self,
        id: CampaignId,
        filter: &ListFilter,
    ) -> StoreResult<Vec<ListEntry>>;
    async fn record_campaign_visit(
        &self,
        id: CampaignId,
        visit: &CampaignVisit,
        stamp: &VersionStamp,
    ) -> StoreResult<i64>;
    /// Visits in date order, then recording order.
    async fn campaign_visits(
        &self,
        id: CampaignId,
    ) -> StoreResult<Vec<(CampaignVisit, VersionStamp)>>;
    /// Every helper assignment: (household, helper username), by household then username.
    async fn helper_usernames(&self) -> StoreResult<Vec<(HouseholdId, String)>>;
}

#[derive(Debug, thiserror::Error)]
pub enum CampaignFailure {
    #[error(transparent)]
    Denied(#[from] AccessDenied),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Case(#[from] CaseFailure),
    #[error("no policy pack is in force for {region} on {on}")]
    NoPolicy { region: RegionCode, on: NaiveDate },
    #[error("{0}")]
    Invalid(String),
}

pub type CampaignResult<T> = Result<T, CampaignFailure>;

/// The registry facts the list is built from, per household (one county).
pub struct CountyRegistry {
    pub households: Vec<(HouseholdId, Household, Vec<Person>, Vec<IncomeRecord>)>,
}

/// Reads one county's registry at `at` (households with their members and income records, the
/// newest income period first).
pub async fn county_registry(
    app: &App,
    county: &RegionCode,
    at: ReadAt,
) -> StoreResult<CountyRegistry> {
    let snap = app.store.screening_snapshot(at).await?;
    let mut members: HashMap<HouseholdId, Vec<Person>> = HashMap::new();
    for (h, p) in snap.members {
        members.entry(h).or_default().push(p);
    }
    let mut incomes: HashMap<HouseholdId, Vec<IncomeRecord>> = HashMap::new();
    for (h, r) in snap.incomes {
        incomes.entry(h).or_default().push(r);
    }
    let mut households = Vec::new();
    for (id, h) in snap.households {
        if !county.contains(&h.region) {
            continue;
        }
        let mut inc = incomes.remove(&id).unwrap_or_default();
        inc.sort_by_key(|r| std::cmp::Reverse(r.period_start));
        households.push((id, h, members.remove(&id).unwrap_or_default(), inc));
    }
    households.sort_by(|a, b| {
        (a.1.region, a.1.household_no.as_str()).cmp(&(b.1.region, b.1.household_no.as_str()))
    });
    Ok(CountyRegistry { households })
}

pub fn head_name(members: &[Person]) -> Option<String> {
    members
        .iter()
        .find(|p| p.relation == Relation::Head && p.status == MemberStatus::Active)
        .map(|p| p.name.clone())
}

/// The visit list of a campaign over a county's registry: every household, or those some
/// must-visit rule of the pack matches, each with the groups it matched.
pub fn build_list(
    app: &App,
    registry: &CountyRegistry,
    scope: CampaignScope,
    county: &RegionCode,
    on: NaiveDate,
    helpers: &[(HouseholdId, String)],
) -> CampaignResult<Vec<ListEntry>> {
    let pack = app
        .policy
        .in_force(county, on)
        .ok_or(CampaignFailure::NoPolicy {
            region: *county,
            on,
        })?;
    if scope == CampaignScope::MustVisit && pack.must_visit.is_empty() {
        return Err(CampaignFailure::Invalid(format!(
            "the pack {} {} has no [[must_visit]] groups",
            pack.name_en, pack.year
        )));
    }
    let income = IncomeRule {
        line: pack.monitoring_line,
        out_of_pocket: pack.out_of_pocket,
    };
    let mut out = Vec::new();
    for (id, h, members, incomes) in &registry.households {
        if !members.iter().any(|p| p.status == MemberStatus::Active) {
            continue;
        }
        let groups: Vec<String> = match scope {
            CampaignScope::AllHouseholds => Vec::new(),
            CampaignScope::MustVisit => {
                let facts = HouseholdFacts {
                    household: h,
                    members,
                    incomes,
                };
                let g = must_visit_groups(&pack.must_visit, &facts, income);
                if g.is_empty() {
                    continue;
                }
                g.into_iter().map(str::to_owned).collect()
            }
        };
        out.push(ListEntry {
            household: *id,
            household_no: h.household_no.as_str().to_owned(),
            village: h.region,
            head_name: head_name(members),
            helper: helpers
                .iter()
                .find(|(hid, _)| hid == id)
                .map(|(_, u)| u.clone()),
            groups,
        });
    }
    Ok(out)
}

/// Opens a campaign of a county and freezes its visit list.
pub async fn open(
    app: &App,
    by: &Principal,
    campaign: NewCampaign,
    source: &str,
) -> CampaignResult<(CampaignId, usize)> {
    by.require(Action::ManageCampaign)?;
    if campaign.county.level() != RegionLevel::County {
        return Err(CampaignFailure::Invalid(format!(
            "a campaign is opened by a county; {} is not a county code",
            campaign.county.as_str()
        )));
    }
    require_region(by, &campaign.county)?;
    if app.store.region(&campaign.county).await?.is_none() {
        return Err(StoreError::NotFound(format!("county {}", campaign.county.as_str())).into());
    }
    let name = campaign.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(CampaignFailure::Invalid(
            "the name must have 1 to 100 characters".into(),
        ));
    }
    if campaign.end < campaign.start {
        return Err(CampaignFailure::Invalid(format!(
            "the period ends ({}) before it starts ({})",
            campaign.end, campaign.start
        )));
    }
    let today = app.clock.today();
    let registry = county_registry(app, &campaign.county, ReadAt::current(today)).await?;
    let helpers = app.store.helper_usernames().await?;
    let list = build_list(
        app,
        &registry,
        campaign.scope,
        &campaign.county,
        today,
        &helpers,
    )?;
    let stamp = app.stamp(&by.name, source, today, None);
    let campaign = NewCampaign {
        name: name.to_owned(),
        ..campaign
    };
    let id = app.store.open_campaign(&campaign, &list, &stamp).await?;
    Ok((id, list.len()))
}

/// The campaigns the principal's region holds.
pub async fn list(app: &App, by: &Principal) -> CampaignResult<Vec<CampaignRecord>> {
    by.require(Action::ReadRegistry)?;
    let within = match by.role {
        None => None,
        Some(_) => {
            let Some(region) = by.region else {
                return Ok(Vec::new());
            };
            // A village or township sees its county's campaigns.
            Some(region.ancestor(RegionLevel::County).unwrap_or(region))
        }
    };
    Ok(app.store.campaigns(within.as_ref()).await?)
}

/// A campaign the principal may see (its county contains or is inside the principal's region).
pub async fn get(app: &App, by: &Principal, id: CampaignId) -> CampaignResult<CampaignRecord> {
    by.require(Action::ReadRegistry)?;
    let record = app
        .store
        .campaign(id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("campaign {}", id.0)))?;
    let visible = match (by.role, by.region) {
        (None, _) => true,
        (Some(_), Some(r)) => {
            r.contains(&record.campaign.county) || record.campaign.county.contains(&r)
        }
        (Some(_), None) => false,
    };
    if !visible {
        return Err(StoreError::NotFound(format!("campaign {}", id.0)).into());
    }
    Ok(record)
}

/// The part of the list the principal may see: a helper their own households, others their
/// region's; narrowed to `within` and `helper` when given.
pub async fn visit_list(
    app: &App,
    by: &Principal,
    id: CampaignId,
    within: Option<RegionCode>,
    helper: Option<String>,
) -> CampaignResult<Vec<ListEntry>> {
    let record = get(app, by, id).await?;
    let mut filter = ListFilter {
        within,
        helper: helper.filter(|h| !h.trim().is_empty()),
    };
    match by.scope() {
        Scope::Assigned(_) => filter.helper = Some(by.name.clone()),
        Scope::Region(r) if !r.contains(&record.campaign.county) => match filter.within {
            Some(w) if r.contains(&w) => {}
            _ => filter.within = Some(r),
        },
        Scope::Nothing => return Ok(Vec::new()),
        _ => {}
    }
    Ok(app.store.campaign_list(id, &filter).await?)
}

/// A visit as a user records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitInput {
    pub household: HouseholdId,
    pub date: NaiveDate,
    pub outcome: VisitOutcome,
    pub problems: String,
    pub note: String,
    /// The risk type hint of a finding (codebook of the pack).
    pub risk_hint: Option<String>,
}

/// What recording a visit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitRecorded {
    pub visit: i64,
    pub case: Option<CaseId>,
    /// Why no case was opened for a finding (the household has an open case; the role may not
    /// open cases and the village cadre will).
    pub case_note: Option<String>,
}

/// Records a visit against the list. A finding opens a case (channel 集中排查) through the case
/// use cases when the principal may open cases and the household has none open.
pub async fn record_visit(
    app: &App,
    by: &Principal,
    id: CampaignId,
    input: VisitInput,
    source: &str,
) -> CampaignResult<VisitRecorded> {
    by.require(Action::RecordAssistance)?;
    let record = get(app, by, id).await?;
    let today = app.clock.today();
    let c = &record.campaign;
    if input.date < c.start || input.date > c.end {
        return Err(CampaignFailure::Invalid(format!(
            "the visit date {} is outside the campaign's period {} to {}",
            input.date, c.start, c.end
        )));
    }
    if input.date > today {
        return Err(CampaignFailure::Invalid(format!(
            "the visit date {} is in the future",
            input.date
        )));
    }
    // The household must be in the principal's scope now and on the list.
    crate::households::get(app, input.household, &by.scope(), ReadAt::current(today)).await?;
    let on_list = app
        .store
        .campaign_list(
            id,
            &ListFilter {
                within: None,
                helper: None,
            },
        )
        .await?
        .into_iter()
        .any(|e| e.household == input.household);
    if !on_list {
        return Err(CampaignFailure::Invalid(format!(
            "household {} is not on the list of campaign {}",
            input.household.0, id.0
        )));
    }
    for (name, text, max) in [
        ("problems", &input.problems, 1000),
        ("note", &input.note, 1000),
    ] {
        if text.chars().count() > max {
            return Err(CampaignFailure::Invalid(format!(
                "{name} is longer than {max} characters"
            )));
        }
    }
    let mut case = None;
    let mut case_note = None;
    if input.outcome == VisitOutcome::RiskFound {
        if input.note.trim().is_empty() {
            return Err(CampaignFailure::Invalid(
                "a finding needs a note saying what was found".into(),
            ));
        }
        if by.may(Action::OpenCase) {
            let clue = Clue {
                channel: Channel::ConcentratedScreening,
                clue_date: input.date,
                summary: format!("{}（{}）", input.note.trim(), c.name),
                risk_hint: input.risk_hint.clone().filter(|r| !r.trim().is_empty()),
                green_channel: false,
            };
            match cases::open_clue(app, by, input.household, clue, source).await {
                Ok(id) => case = Some(id),
                Err(CaseFailure::Store(StoreError::Conflict(why))) => case_note = Some(why),
                Err(e) => return Err(e.into()),
            }
        } else {
            case_note = Some("recorded; a village cadre opens the case".into());
        }
    }
    let visit = CampaignVisit {
        household: input.household,
        date: input.date,
        outcome: input.outcome,
        problems: input.problems.trim().to_owned(),
        note: input.note.trim().to_owned(),
        case,
    };
    let stamp = app.stamp(&by.name, source, input.date, None);
    let visit = app.store.record_campaign_visit(id, &visit, &stamp).await?;
    Ok(VisitRecorded {
        visit,
        case,
        case_note,
    })
}

/// Figures of a campaign over one region.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportRow {
    pub listed: u64,
    pub covered: u64,
    pub visits: u64,
    pub findings: u64,
    pub cases_opened: u64,
    /// Cases opened by the campaign that ended in identification.
    pub new_identifications: u64,
    /// Visits that noted problems.
    pub problems: u64,
}

impl ReportRow {
    pub fn coverage_permille(&self) -> Option<u64> {
        (self.listed > 0).then(|| self.covered * 1000 / self.listed)
    }
}

/// The campaign's report: totals, the child regions of the principal's view, coverage by day.
#[derive(Debug, Clone)]
pub struct CampaignReport {
    pub record: CampaignRecord,
    /// The region the report is about (the county, or the principal's smaller region).
    pub region: RegionCode,
    pub total: ReportRow,
    pub children: Vec<(Region, ReportRow)>,
    /// (day, households covered by that day), from the start to the end or today.
    pub daily: Vec<(NaiveDate, u64)>,
    /// Visits by outcome code.
    pub by_group: BTreeMap<String, (u64, u64)>,
}

/// Coverage, findings, new identifications and problems, by region, and coverage day by day.
pub async fn report(app: &App, by: &Principal, id: CampaignId) -> CampaignResult<CampaignReport> {
    let record = get(app, by, id).await?;
    let list = visit_list(app, by, id, None, None).await?;
    let region = match by.region {
        Some(r) if by.role.is_some() && record.campaign.county.contains(&r) => r,
        _ => record.campaign.county,
    };
    let listed: BTreeSet<HouseholdId> = list.iter().map(|e| e.household).collect();
    let visits: Vec<(CampaignVisit, VersionStamp)> = app
        .store
        .campaign_visits(id)
        .await?
        .into_iter()
        .filter(|(v, _)| listed.contains(&v.household))
        .collect();
    // New identifications: cases the campaign opened that reached an identification decision.
    let mut identified: BTreeSet<CaseId> = BTreeSet::new();
    for (v, _) in &visits {
        if let Some(case) = v.case
            && let Some(r) = app.store.case_record(case, &Scope::Everything).await?
            && let Ok(c) = r.case()
            && matches!(c.approval, Some((_, Decision::Identify { .. })))
        {
            identified.insert(case);
        }
    }
    let village_of: HashMap<HouseholdId, RegionCode> =
        list.iter().map(|e| (e.household, e.village)).collect();
    let row_of = |within: &dyn Fn(&RegionCode) -> bool| {
        let mut row = ReportRow::default();
        let mut covered = BTreeSet::new();
        for e in list.iter().filter(|e| within(&e.village)) {
            row.listed += 1;
            let _ = e;
        }
        for (v, _) in &visits {
            let Some(village) = village_of.get(&v.household) else {
                continue;
            };
            if !within(village) {
                continue;
            }
            row.visits += 1;
            if v.outcome.covers() {
                covered.insert(v.household);
            }
            if v.outcome == VisitOutcome::RiskFound {
                row.findings += 1;
            }
            if let Some(c) = v.case {
                row.cases_opened += 1;
                if identified.contains(&c) {
                    row.new_identifications += 1;
                }
            }
            if !v.problems.is_empty() {
                row.problems += 1;
            }
        }
        row.covered = covered.len() as u64;
        row
    };
    let total = row_of(&|v: &RegionCode| region.contains(v));
    let children = if region.level() == RegionLevel::Village {
        Vec::new()
    } else {
        app.store.region_children(Some(&region)).await?
    };
    let children = children
        .into_iter()
        .map(|c| {
            let row = row_of(&|v: &RegionCode| c.code.contains(v));
            (c, row)
        })
        .collect();
    let today = app.clock.today();
    let last = record.campaign.end.min(today);
    let mut daily = Vec::new();
    let mut day = record.campaign.start;
    while day <= last {
        let covered: BTreeSet<HouseholdId> = visits
            .iter()
            .filter(|(v, _)| v.date <= day && v.outcome.covers())
            .map(|(v, _)| v.household)
            .collect();
        daily.push((day, covered.len() as u64));
        day = day.succ_opt().unwrap_or(day);
        if daily.len() > 400 {
            break;
        }
    }
    let mut by_group: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let covered_set: BTreeSet<HouseholdId> = visits
        .iter()
        .filter(|(v, _)| v.outcome.covers())
        .map(|(v, _)| v.household)
        .collect();
    for e in &list {
        for g in &e.groups {
            let entry = by_group.entry(g.clone()).or_default();
            entry.0 += 1;
            if covered_set.contains(&e.household) {
                entry.1 += 1;
            }
        }
    }
    Ok(CampaignReport {
        record,
        region,
        total,
        children,
        daily,
        by_group,
    })
}

/// The visit list as a sheet (per village and helper, in list order), with the visit columns.
pub async fn list_sheet(
    app: &App,
    by: &Principal,
    id: CampaignId,
    within: Option<RegionCode>,
    helper: Option<String>,
) -> CampaignResult<Sheet> {
    let record = get(app, by, id).await?;
    let list = visit_list(app, by, id, within, helper).await?;
    let visits = app.store.campaign_visits(id).await?;
    let mut names: HashMap<RegionCode, String> = HashMap::new();
    let mut rows = Vec::new();
    for e in &list {
        if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(e.village) {
            let name = app
                .store
                .region(&e.village)
                .await?
                .map(|r| r.name)
                .unwrap_or_default();
            slot.insert(name);
        }
        let last = visits
            .iter()
            .rev()
            .find(|(v, _)| v.household == e.household);
        rows.push(vec![
            e.village.as_str().to_owned(),
            names[&e.village].clone(),
            e.helper.clone().unwrap_or_default(),
            e.household_no.clone(),
            e.head_name.clone().unwrap_or_default(),
            e.groups.join(","),
            last.map(|(v, _)| v.date.to_string()).unwrap_or_default(),
            last.map(|(v, _)| v.outcome.zh().to_owned())
                .unwrap_or_default(),
            last.map(|(v, _)| v.problems.clone()).unwrap_or_default(),
        ]);
    }
    Ok(Sheet {
        name: "排查名单".into(),
        headers: [
            "村代码",
            "村名称",
            "帮扶联系人",
            "户编号",
            "户主",
            "八必访类别",
            "走访日期",
            "走访结果",
            "发现问题",
        ]
        .iter()
        .map(|h| (*h).to_owned())
        .collect(),
        rows,
        note: Some(format!(
            "campaign {} {} ({} to {})",
            record.id.0, record.campaign.name, record.campaign.start, record.campaign.end
        )),
    })
}

/// Whether `village` is one the principal may record against (used by pages to hide forms).
pub fn may_visit(by: &Principal, village: &RegionCode) -> bool {
    by.may(Action::RecordAssistance) && covers(by, village)
}
