//! The pack's village indicators (`[[village_indicators]]`), must-visit groups (`[[must_visit]]`)
//! and sampling parameters (`[sampling]`). All three are optional: a pack without them has no
//! village codebook, no must-visit scope and no sample.

use toml::{Table, Value};
use uplift_domain::campaign::{Condition, MustVisitRule, SamplingRules, Stratification};
use uplift_domain::household::{Codebook, Health, HouseholdType, Labour, Schooling};
use uplift_domain::village::{GROUPS, IndicatorKind, VillageIndicator};

use super::{Ctx, found, join};

pub(super) const INDICATOR_KEYS: &[&str] = &["code", "zh", "en", "group", "kind", "target"];
pub(super) const MUST_VISIT_KEYS: &[&str] = &[
    "code",
    "zh",
    "en",
    "household_type",
    "member_health",
    "disability_max_grade",
    "member_schooling",
    "min_schooling_members",
    "all_members_labour",
    "max_active_members",
    "income_below_line_percent",
    "income_drop_percent",
    "wage_share_percent",
];
pub(super) const SAMPLING_KEYS: &[&str] = &[
    "villages_per_county",
    "households_per_county",
    "stratify_by",
    "min_per_stratum",
];

pub(super) fn read_village_indicators(
    ctx: &mut Ctx,
    table: &Table,
) -> Option<Vec<VillageIndicator>> {
    if !table.contains_key("village_indicators") {
        return Some(Vec::new());
    }
    let list = ctx.tables(table, "village_indicators", INDICATOR_KEYS, |ctx, t, p| {
        let code = ctx.text(t, p, "code");
        let zh = ctx.text(t, p, "zh");
        let en = ctx.text(t, p, "en");
        let group = ctx.text(t, p, "group").and_then(|g| {
            if GROUPS.contains(&g.as_str()) {
                Some(g)
            } else {
                ctx.error(
                    &join(p, "group"),
                    format!("expected one of {}, found {g:?}", GROUPS.join(", ")),
                );
                None
            }
        });
        let kind = ctx.text(t, p, "kind").and_then(|k| {
            let kind = IndicatorKind::parse(&k);
            if kind.is_none() {
                ctx.error(
                    &join(p, "kind"),
                    format!("expected \"share\", \"flag\" or \"max-count\", found {k:?}"),
                );
            }
            kind
        });
        let target = match t.get("target") {
            None => Some(None),
            Some(_) => {
                let max = match kind {
                    Some(IndicatorKind::Share) => 1000,
                    Some(IndicatorKind::Flag) => 1,
                    _ => i64::MAX,
                };
                ctx.number(t, p, "target", 0, max).map(Some)
            }
        };
        Some(VillageIndicator {
            code: code?,
            zh: zh?,
            en: en?,
            group: group?,
            kind: kind?,
            target: target?,
        })
    })?;
    let mut seen = std::collections::HashSet::new();
    for (i, ind) in list.iter().enumerate() {
        if !seen.insert(ind.code.clone()) {
            ctx.error(
                &format!("village_indicators[{i}].code"),
                format!("indicator code {:?} appears more than once", ind.code),
            );
        }
    }
    Some(list)
}

fn codes<T: Codebook>(ctx: &mut Ctx, t: &Table, prefix: &str, key: &str) -> Option<Vec<T>> {
    let texts = ctx.texts(t, prefix, key)?;
    let mut out = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        match T::parse(text) {
            Ok(v) => out.push(v),
            Err(e) => {
                ctx.error(&format!("{}[{i}]", join(prefix, key)), e.to_string());
                return None;
            }
        }
    }
    Some(out)
}

pub(super) fn read_must_visit(ctx: &mut Ctx, table: &Table) -> Option<Vec<MustVisitRule>> {
    if !table.contains_key("must_visit") {
        return Some(Vec::new());
    }
    let rules = ctx.tables(table, "must_visit", MUST_VISIT_KEYS, |ctx, t, p| {
        let code = ctx.text(t, p, "code");
        let zh = ctx.text(t, p, "zh");
        let en = ctx.text(t, p, "en");
        let mut read: Vec<Option<Condition>> = Vec::new();
        let mut push = |c: Option<Condition>| read.push(c);
        if t.contains_key("household_type") {
            push(codes::<HouseholdType>(ctx, t, p, "household_type").map(Condition::HouseholdType));
        }
        if t.contains_key("member_health") {
            push(codes::<Health>(ctx, t, p, "member_health").map(Condition::MemberHealth));
        }
        if t.contains_key("disability_max_grade") {
            push(
                ctx.number(t, p, "disability_max_grade", 1, 4_u8)
                    .map(Condition::DisabilityMaxGrade),
            );
        }
        if t.contains_key("member_schooling") {
            let schooling = codes::<Schooling>(ctx, t, p, "member_schooling");
            let min = match t.get("min_schooling_members") {
                Some(_) => ctx.number(t, p, "min_schooling_members", 1, u8::MAX),
                None => Some(1),
            };
            push(
                schooling
                    .zip(min)
                    .map(|(schooling, min_members)| Condition::MemberSchooling {
                        schooling,
                        min_members,
                    }),
            );
        } else if t.contains_key("min_schooling_members") {
            ctx.error(
                &join(p, "min_schooling_members"),
                "only meaningful with member_schooling",
            );
            push(None);
        }
        if t.contains_key("all_members_labour") {
            push(codes::<Labour>(ctx, t, p, "all_members_labour").map(Condition::AllMembersLabour));
        }
        if t.contains_key("max_active_members") {
            push(
                ctx.number(t, p, "max_active_members", 1, u8::MAX)
                    .map(Condition::MaxActiveMembers),
            );
        }
        if t.contains_key("income_below_line_percent") {
            push(
                ctx.number(t, p, "income_below_line_percent", 1, 1000_u16)
                    .map(Condition::IncomeBelowLinePercent),
            );
        }
        if t.contains_key("income_drop_percent") {
            push(
                ctx.number(t, p, "income_drop_percent", 1, 100_u8)
                    .map(Condition::IncomeDropPercent),
            );
        }
        if t.contains_key("wage_share_percent") {
            push(
                ctx.number(t, p, "wage_share_percent", 1, 100_u8)
                    .map(Condition::WageSharePercent),
            );
        }
        let complete = read.iter().all(Option::is_some);
        let conditions: Vec<Condition> = read.into_iter().flatten().collect();
        if complete && conditions.is_empty() {
            ctx.error(p, "a must-visit group needs at least one condition");
            return None;
        }
        if !complete {
            return None;
        }
        Some(MustVisitRule {
            code: code?,
            zh: zh?,
            en: en?,
            conditions,
        })
    })?;
    let mut seen = std::collections::HashSet::new();
    for (i, r) in rules.iter().enumerate() {
        if !seen.insert(r.code.clone()) {
            ctx.error(
                &format!("must_visit[{i}].code"),
                format!("must-visit code {:?} appears more than once", r.code),
            );
        }
    }
    Some(rules)
}

pub(super) fn read_sampling(ctx: &mut Ctx, table: &Table) -> Option<Option<SamplingRules>> {
    let Some(value) = table.get("sampling") else {
        return Some(None);
    };
    let Value::Table(_) = value else {
        ctx.error(
            "sampling",
            format!("expected a table, found {}", found(value)),
        );
        return None;
    };
    let t = ctx.table(table, "sampling", SAMPLING_KEYS)?;
    let p = "sampling";
    let villages = ctx.number(t, p, "villages_per_county", 1, 10_000_u32);
    let households = ctx.number(t, p, "households_per_county", 1, 1_000_000_u32);
    let stratify_by = ctx.text(t, p, "stratify_by").and_then(|s| {
        let parsed = Stratification::parse(&s);
        if parsed.is_none() {
            ctx.error(
                "sampling.stratify_by",
                format!("expected \"none\", \"household_type\" or \"category\", found {s:?}"),
            );
        }
        parsed
    });
    let min_per_stratum = match t.get("min_per_stratum") {
        Some(_) => ctx.number(t, p, "min_per_stratum", 0, 1_000_000_u32),
        None => Some(0),
    };
    Some(Some(SamplingRules {
        villages_per_county: villages?,
        households_per_county: households?,
        stratify_by: stratify_by?,
        min_per_stratum: min_per_stratum?,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::parse_pack;

    fn shipped_2026() -> String {
        include_str!("../../../../policy/43-hunan/2026.toml").to_owned()
    }

    fn errors_of(text: &str) -> Vec<String> {
        match parse_pack("t.toml", text) {
            Ok(_) => Vec::new(),
            Err(e) => e.errors().iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn the_shipped_pack_has_indicators_groups_and_sampling() {
        let pack = parse_pack("t.toml", &shipped_2026()).unwrap();
        assert!(pack.village_indicators.len() >= 10);
        assert!(pack.must_visit.len() >= 6);
        let sampling = pack.sampling.unwrap();
        assert_eq!(sampling.villages_per_county, 10);
        assert_eq!(sampling.households_per_county, 300);
    }

    #[test]
    fn bad_entries_are_named_by_key() {
        let text = shipped_2026().replace(
            "member_health = [\"serious_illness\", \"chronic_illness\"]",
            "member_health = [\"serious_illness\", \"flu\"]",
        );
        let errors = errors_of(&text);
        assert!(
            errors
                .iter()
                .any(|e| e.contains("must_visit[1].member_health[1]")),
            "{errors:?}"
        );
        let text = shipped_2026().replace("kind = \"share\"", "kind = \"ratio\"");
        let errors = errors_of(&text);
        assert!(
            errors
                .iter()
                .any(|e| e.contains("village_indicators[0].kind")),
            "{errors:?}"
        );
        let text = shipped_2026().replace("stratify_by = \"category\"", "stratify_by = \"age\"");
        let errors = errors_of(&text);
        assert!(
            errors.iter().any(|e| e.contains("sampling.stratify_by")),
            "{errors:?}"
        );
        let text = format!(
            "{}\n[[must_visit]]\ncode = \"x\"\nzh = \"x\"\nen = \"x\"\n",
            shipped_2026()
        );
        let errors = errors_of(&text);
        assert!(
            errors.iter().any(|e| e.contains("at least one condition")),
            "{errors:?}"
        );
    }
}
