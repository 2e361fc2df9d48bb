//! Rule evaluation.

use std::collections::{BTreeMap, HashSet};

use chrono::{Days, Months, NaiveDate};
use uplift_domain::income::Money;
use uplift_domain::policy::PolicyPack;

use crate::model::{
    AssistanceKind, CivilEvent, EducationStatus, EmploymentEvent, Evidence, FastMap, FeedData,
    FeedKind, FeedRecord, Registry, RuleCode, Target,
};

/// One rule that fired for one household, with everything needed to explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The household's index in the [`Registry`].
    pub household: u32,
    /// The caller's key of the household.
    pub household_key: i64,
    pub rule: RuleCode,
    /// The risk type code of the pack's codebook it maps to.
    pub risk_type: String,
    /// The rule's thresholds as `name = value` (yuan, percent, days).
    pub thresholds: Vec<(String, String)>,
    /// The household's figures the rule looked at.
    pub figures: Vec<(String, String)>,
    /// The feed rows that made it fire (empty for income rules, which read the registry).
    pub evidence: Vec<Evidence>,
}

/// The result of a screening.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Screened {
    /// Sorted by household, then rule.
    pub findings: Vec<Finding>,
    /// Asset records per household: evidence against inclusion (never a warning).
    pub counter_evidence: BTreeMap<u32, Vec<Evidence>>,
    /// Live feed rows that name nobody in the registry.
    pub unmatched: Vec<Evidence>,
}

/// The live records: the latest copy of each `(feed, record_id)` (by batch, then row), dropped
/// when that copy is a reversal; records without an id are all live (a reversal without an id
/// cancels nothing and is dropped).
pub fn resolve(records: &[FeedRecord]) -> Vec<usize> {
    let mut latest: FastMap<(FeedKind, &str), usize> =
        FastMap::with_capacity_and_hasher(records.len(), Default::default());
    let mut live = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        match &r.record_id {
            None => {
                if !r.reversal {
                    live.push(i);
                }
            }
            Some(id) => {
                let key = (r.evidence.feed, id.as_str());
                match latest.get(&key) {
                    Some(&j) if records[j].evidence >= r.evidence => {}
                    _ => {
                        latest.insert(key, i);
                    }
                }
            }
        }
    }
    live.extend(latest.into_values().filter(|&i| !records[i].reversal));
    live.sort_unstable();
    live
}

#[derive(Default)]
struct Acc {
    medical_sum: i64,
    medical_rows: Vec<u32>,
    max_stay: i64,
    max_stay_row: Option<u32>,
    disability: Vec<u32>,
    /// Latest education record per person: (date, evidence, record).
    education: FastMap<u32, (NaiveDate, Evidence, u32)>,
    housing: Option<(NaiveDate, Evidence, u32)>,
    water_days: i64,
    water_rows: Vec<u32>,
    disaster_sum: i64,
    disaster_rows: Vec<u32>,
    death: Vec<u32>,
    unemployed: Vec<u32>,
    assistance: Vec<u32>,
    assets: Vec<Evidence>,
}

fn yuan(m: i64) -> String {
    Money::from_fen(m).to_string()
}

/// The households an incremental run must re-screen when the records for which `is_new` holds
/// arrive: those the new records name, and those named by any earlier record with the same feed
/// and `record_id` (a resent row may correct whom it names, a reversal cancels a row: the
/// household of the replaced row must be screened again too).
pub fn households_touched(
    registry: &Registry,
    records: &[FeedRecord],
    is_new: impl Fn(&FeedRecord) -> bool,
) -> HashSet<u32> {
    let mut keys: HashSet<(FeedKind, &str)> = HashSet::new();
    let mut out = HashSet::new();
    for r in records.iter().filter(|r| is_new(r)) {
        out.extend(registry.households_of(&r.target));
        if let Some(id) = &r.record_id {
            keys.insert((r.evidence.feed, id.as_str()));
        }
    }
    for r in records {
        if let Some(id) = &r.record_id
            && keys.contains(&(r.evidence.feed, id.as_str()))
        {
            out.extend(registry.households_of(&r.target));
        }
    }
    out
}

/// Screens every household of the registry against the feed records as of `as_of`.
pub fn screen(
    registry: &Registry,
    records: &[FeedRecord],
    pack: &PolicyPack,
    as_of: NaiveDate,
) -> Screened {
    screen_households(registry, records, pack, as_of, None)
}

/// Screens the given households only (all when `only` is none): the incremental path. The caller
/// passes every record that names those households, old and new.
pub fn screen_households(
    registry: &Registry,
    records: &[FeedRecord],
    pack: &PolicyPack,
    as_of: NaiveDate,
    only: Option<&HashSet<u32>>,
) -> Screened {
    let s = &pack.screening;
    let lookback_start = as_of
        .checked_sub_months(Months::new(u32::from(s.medical_lookback_months)))
        .unwrap_or(NaiveDate::MIN);
    let new_start = as_of
        .checked_sub_days(Days::new(u64::from(s.new_event_days)))
        .unwrap_or(NaiveDate::MIN);
    let year_first = as_of
        .checked_sub_days(Days::new(364))
        .unwrap_or(NaiveDate::MIN);
    let in_lookback = |d: NaiveDate| d > lookback_start && d <= as_of;
    let is_new = |d: NaiveDate| d > new_start && d <= as_of;

    let mut out = Screened::default();
    let mut accs: FastMap<u32, Acc> = FastMap::with_capacity_and_hasher(
        only.map_or(registry.households.len(), HashSet::len),
        Default::default(),
    );
    let wanted = |h: u32| only.is_none_or(|set| set.contains(&h));

    // Village water interruptions are summed per village first.
    let mut village_water: FastMap<u64, (i64, Vec<u32>)> = FastMap::default();

    for i in resolve(records) {
        let r = &records[i];
        let ri = i as u32;
        // One lookup resolves whom the row names: a person (and their household), a household,
        // or the households of a village.
        let one: u32;
        let (person, households): (Option<u32>, &[u32]) = match &r.target {
            Target::Person(id) => match registry.person(id) {
                Some(p) => {
                    one = registry.persons[p as usize].household;
                    (Some(p), std::slice::from_ref(&one))
                }
                None => {
                    out.unmatched.push(r.evidence);
                    continue;
                }
            },
            Target::Household(no) => match registry.household_by_no(no) {
                Some(h) => {
                    one = h;
                    (None, std::slice::from_ref(&one))
                }
                None => {
                    out.unmatched.push(r.evidence);
                    continue;
                }
            },
            Target::Region(code) => {
                let v = registry.village(*code);
                if v.is_empty() {
                    out.unmatched.push(r.evidence);
                    continue;
                }
                (None, v)
            }
        };
        if let (Target::Region(code), FeedData::Water { start, end }) = (&r.target, &r.data) {
            let from = (*start).max(year_first);
            let to = (*end).min(as_of);
            if to >= from {
                let e = village_water.entry(*code).or_default();
                e.0 += (to - from).num_days() + 1;
                e.1.push(ri);
            }
            continue;
        }
        for &h in households {
            if !wanted(h) {
                continue;
            }
            let acc = accs.entry(h).or_default();
            match &r.data {
                FeedData::Medical {
                    settled,
                    out_of_pocket,
                    ..
                } => {
                    if in_lookback(*settled) {
                        let oop = out_of_pocket.fen();
                        acc.medical_sum += oop;
                        acc.medical_rows.push(ri);
                        if oop > acc.max_stay {
                            acc.max_stay = oop;
                            acc.max_stay_row = Some(ri);
                        }
                    }
                }
                FeedData::Disability { grade, issued } => {
                    let known = person
                        .and_then(|p| registry.persons[p as usize].disability_grade)
                        .is_some_and(|g| g <= *grade);
                    if *grade <= s.severe_disability_max_grade && is_new(*issued) && !known {
                        acc.disability.push(ri);
                    }
                }
                FeedData::Education { date, .. } => {
                    if let Some(p) = person
                        && *date <= as_of
                    {
                        let cur = acc.education.get(&p);
                        if cur.is_none_or(|(d, e, _)| (*d, *e) < (*date, r.evidence)) {
                            acc.education.insert(p, (*date, r.evidence, ri));
                        }
                    }
                }
                FeedData::Housing { appraised, .. } => {
                    if *appraised <= as_of
                        && acc
                            .housing
                            .is_none_or(|(d, e, _)| (d, e) < (*appraised, r.evidence))
                    {
                        acc.housing = Some((*appraised, r.evidence, ri));
                    }
                }
                FeedData::Water { start, end } => {
                    let from = (*start).max(year_first);
                    let to = (*end).min(as_of);
                    if to >= from {
                        acc.water_days += (to - from).num_days() + 1;
                        acc.water_rows.push(ri);
                    }
                }
                FeedData::Disaster { loss, date, .. } => {
                    if in_lookback(*date) {
                        acc.disaster_sum += loss.fen();
                        acc.disaster_rows.push(ri);
                    }
                }
                FeedData::CivilRegistry { event, date } => {
                    if *event == CivilEvent::Death
                        && is_new(*date)
                        && person.is_some_and(|p| registry.main_worker(h) == Some(p))
                    {
                        acc.death.push(ri);
                    }
                }
                FeedData::Employment { event, start, end } => {
                    if *event == EmploymentEvent::Unemployed
                        && *start <= as_of
                        && end.is_none_or(|e| e > as_of)
                        && person.is_some_and(|p| registry.main_worker(h) == Some(p))
                    {
                        acc.unemployed.push(ri);
                    }
                }
                FeedData::CivilAffairs { kind, start, end } => {
                    if matches!(
                        kind,
                        AssistanceKind::Subsistence | AssistanceKind::ExtremePoverty
                    ) && is_new(*start)
                        && end.is_none_or(|e| e > as_of)
                    {
                        acc.assistance.push(ri);
                    }
                }
                FeedData::Asset { date, .. } => {
                    if *date <= as_of {
                        acc.assets.push(r.evidence);
                    }
                }
            }
        }
    }
    for (code, (days, rows)) in village_water {
        for &h in registry.village(code) {
            if wanted(h) {
                let acc = accs.entry(h).or_default();
                acc.water_days += days;
                acc.water_rows.extend_from_slice(&rows);
            }
        }
    }

    let rule_of = |code: RuleCode| {
        pack.rules
            .iter()
            .find(|r| r.enabled && r.code == code.as_str())
    };
    let ev = |rows: &[u32]| -> Vec<Evidence> {
        let mut v: Vec<Evidence> = rows.iter().map(|&i| records[i as usize].evidence).collect();
        v.sort_unstable();
        v.dedup();
        v
    };

    let households: Vec<u32> = match only {
        Some(set) => {
            let mut v: Vec<u32> = set.iter().copied().collect();
            v.sort_unstable();
            v
        }
        None => (0..registry.households.len() as u32).collect(),
    };
    let empty = Acc::default();
    let line = pack.monitoring_line.fen();
    let edge = pack.edge_band_line().fen();
    for h in households {
        let Some(hh) = registry.households.get(h as usize) else {
            continue;
        };
        let acc = accs.get(&h).unwrap_or(&empty);
        let mut hits: Vec<Finding> = Vec::new();
        let fire = |hits: &mut Vec<Finding>,
                    rule: RuleCode,
                    risk: Option<String>,
                    thresholds: Vec<(&str, String)>,
                    figures: Vec<(&str, String)>,
                    evidence: Vec<Evidence>| {
            let Some(r) = rule_of(rule) else { return };
            hits.push(Finding {
                household: h,
                household_key: hh.key,
                rule,
                risk_type: risk.unwrap_or_else(|| r.risk_type.clone()),
                thresholds: thresholds
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
                figures: figures
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
                evidence,
            });
        };

        // Income.
        let mut incomes: Vec<_> = hh
            .incomes
            .iter()
            .filter(|i| i.period_end <= as_of)
            .collect();
        incomes.sort_by_key(|i| i.period_end);
        let current = incomes.last().copied();
        let previous = incomes.len().checked_sub(2).map(|i| incomes[i]);
        let per_capita = current
            .and_then(|c| c.net.per_capita(hh.members))
            .map(|m| m.fen());
        let annual = current.map(|c| c.net.fen());
        if let Some(pc) = per_capita
            && pc < line
        {
            fire(
                &mut hits,
                RuleCode::IncomeBelowLine,
                None,
                vec![("line_yuan", yuan(line))],
                vec![
                    ("per_capita_net_yuan", yuan(pc)),
                    ("members", hh.members.to_string()),
                ],
                Vec::new(),
            );
        }
        if let (Some(cur), Some(prev)) = (current, previous) {
            let (c, p) = (cur.net.fen(), prev.net.fen());
            let pct = i64::from(s.income_drop_percent);
            if p > 0 && (p - c) * 100 > pct * p {
                fire(
                    &mut hits,
                    RuleCode::IncomeDrop,
                    None,
                    vec![("income_drop_percent", pct.to_string())],
                    vec![
                        ("previous_net_yuan", yuan(p)),
                        ("current_net_yuan", yuan(c)),
                    ],
                    Vec::new(),
                );
            }
        }

        // Medical.
        let per_stay = if hh.formerly_poor {
            s.medical_per_stay_monitored
        } else {
            s.medical_per_stay_other
        };
        if let Some(row) = acc.max_stay_row
            && acc.max_stay > per_stay.fen()
        {
            fire(
                &mut hits,
                RuleCode::MedicalPerStay,
                None,
                vec![
                    ("per_stay_yuan", per_stay.to_string()),
                    ("lookback_months", s.medical_lookback_months.to_string()),
                ],
                vec![("largest_stay_out_of_pocket_yuan", yuan(acc.max_stay))],
                ev(&[row]),
            );
        }
        if acc.medical_sum > s.medical_focus_total.fen() {
            fire(
                &mut hits,
                RuleCode::Medical12Months,
                None,
                vec![
                    ("total_yuan", s.medical_focus_total.to_string()),
                    ("lookback_months", s.medical_lookback_months.to_string()),
                ],
                vec![("out_of_pocket_yuan", yuan(acc.medical_sum))],
                ev(&acc.medical_rows),
            );
        }
        if let Some(net) = annual {
            let pct = i64::from(s.medical_percent_of_household_income);
            if acc.medical_sum > 0 && acc.medical_sum * 100 > pct * net.max(0) {
                fire(
                    &mut hits,
                    RuleCode::MedicalShareOfIncome,
                    None,
                    vec![
                        ("percent_of_household_income", pct.to_string()),
                        ("lookback_months", s.medical_lookback_months.to_string()),
                    ],
                    vec![
                        ("out_of_pocket_yuan", yuan(acc.medical_sum)),
                        ("household_net_yuan", yuan(net)),
                    ],
                    ev(&acc.medical_rows),
                );
            }
        }
        if !acc.disability.is_empty() {
            fire(
                &mut hits,
                RuleCode::SevereDisabilityNew,
                None,
                vec![
                    (
                        "severe_max_grade",
                        s.severe_disability_max_grade.to_string(),
                    ),
                    ("new_event_days", s.new_event_days.to_string()),
                ],
                vec![],
                ev(&acc.disability),
            );
        }
        let dropouts: Vec<u32> = acc
            .education
            .values()
            .filter(|(d, _, ri)| {
                is_new(*d)
                    && matches!(
                        records[*ri as usize].data,
                        FeedData::Education {
                            status: EducationStatus::DroppedOut,
                            ..
                        }
                    )
            })
            .map(|(_, _, ri)| *ri)
            .collect();
        if !dropouts.is_empty() {
            fire(
                &mut hits,
                RuleCode::SchoolDropout,
                None,
                vec![("new_event_days", s.new_event_days.to_string())],
                vec![],
                ev(&dropouts),
            );
        }
        if let Some((_, _, ri)) = acc.housing
            && let FeedData::Housing { grade, .. } = records[ri as usize].data
            && s.housing_unsafe_grades.contains(&grade)
        {
            let grades: Vec<&str> = s.housing_unsafe_grades.iter().map(|g| g.as_str()).collect();
            fire(
                &mut hits,
                RuleCode::HousingUnsafe,
                None,
                vec![("unsafe_grades", grades.join("/"))],
                vec![("grade", grade.as_str().to_owned())],
                ev(&[ri]),
            );
        }
        if acc.water_days > i64::from(s.water_interruption_days) {
            fire(
                &mut hits,
                RuleCode::WaterInterruption,
                None,
                vec![("interruption_days", s.water_interruption_days.to_string())],
                vec![("days_in_365", acc.water_days.to_string())],
                ev(&acc.water_rows),
            );
        }
        if !acc.disaster_rows.is_empty() {
            let pct = i64::from(s.disaster_loss_percent_of_income);
            let by_amount = acc.disaster_sum > s.disaster_loss_min.fen();
            let by_share = annual.is_some_and(|net| acc.disaster_sum * 100 > pct * net.max(0));
            if by_amount || by_share {
                // The codebook's sub-type of the largest loss, when the rule maps to its parent.
                let biggest = acc
                    .disaster_rows
                    .iter()
                    .filter_map(|&ri| match &records[ri as usize].data {
                        FeedData::Disaster {
                            disaster_type,
                            loss,
                            ..
                        } => Some((loss.fen(), disaster_type.as_str())),
                        _ => None,
                    })
                    .max();
                let risk = rule_of(RuleCode::DisasterLoss).and_then(|r| {
                    let (_, code) = biggest?;
                    pack.risk_type(code)
                        .filter(|t| t.parent.as_deref() == Some(r.risk_type.as_str()))
                        .map(|t| t.code.clone())
                });
                fire(
                    &mut hits,
                    RuleCode::DisasterLoss,
                    risk,
                    vec![
                        ("loss_yuan", s.disaster_loss_min.to_string()),
                        ("percent_of_income", pct.to_string()),
                    ],
                    vec![
                        ("loss_yuan", yuan(acc.disaster_sum)),
                        (
                            "household_net_yuan",
                            annual.map(yuan).unwrap_or_else(|| "-".into()),
                        ),
                    ],
                    ev(&acc.disaster_rows),
                );
            }
        }
        if !acc.death.is_empty() {
            fire(
                &mut hits,
                RuleCode::MainWorkerDeath,
                None,
                vec![
                    ("main_worker", s.main_worker.key().to_owned()),
                    ("new_event_days", s.new_event_days.to_string()),
                ],
                vec![],
                ev(&acc.death),
            );
        }
        if !acc.unemployed.is_empty() {
            fire(
                &mut hits,
                RuleCode::MainWorkerUnemployed,
                None,
                vec![("main_worker", s.main_worker.key().to_owned())],
                vec![],
                ev(&acc.unemployed),
            );
        }
        if !acc.assistance.is_empty() {
            fire(
                &mut hits,
                RuleCode::NewSubsistence,
                None,
                vec![("new_event_days", s.new_event_days.to_string())],
                vec![],
                ev(&acc.assistance),
            );
        }
        // Edge band: income at or above the line but under the band, with another risk.
        if let Some(pc) = per_capita
            && pc >= line
            && pc < edge
            && hits.iter().any(|f| f.rule != RuleCode::IncomeDrop)
        {
            let with: Vec<&str> = hits.iter().map(|f| f.rule.as_str()).collect();
            let evidence: Vec<Evidence> = {
                let mut v: Vec<Evidence> = hits
                    .iter()
                    .flat_map(|f| f.evidence.iter().copied())
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            };
            let with = with.join(",");
            fire(
                &mut hits,
                RuleCode::EdgeBandWithRisk,
                None,
                vec![("line_yuan", yuan(line)), ("edge_band_yuan", yuan(edge))],
                vec![("per_capita_net_yuan", yuan(pc)), ("with_rules", with)],
                evidence,
            );
        }
        hits.sort_by_key(|f| f.rule);
        if !hits.is_empty() && !acc.assets.is_empty() {
            let mut a = acc.assets.clone();
            a.sort_unstable();
            out.counter_evidence.insert(h, a);
        }
        out.findings.extend(hits);
    }
    out
}
