//! Typed changes as people type them: text fields from a web form, a JSON body or the command
//! line, read into a [`Change`] against the household as it stands. Every problem names the
//! field at fault, so a form can show it beside the field.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use uplift_domain::household::{
    Codebook, Education, Health, Household, HouseholdNo, HouseholdType, Labour, MemberStatus,
    Person, Relation, Schooling, parse_disability_grade, parse_phone, parse_yes_no, text_field,
};
use uplift_domain::income::{IncomeRecord, Money};
use uplift_domain::region::RegionCode;
use uplift_domain::resident_id::{ResidentId, Sex};
use uplift_domain::version::ReadAt;

use crate::App;
use crate::access::Principal;
use crate::changes::{self, Change, ChangeError, ChangeOutcome, ChangeRequest, Joining};
use crate::import::registry::parse_date;
use crate::store::{HouseholdDetail, HouseholdId, IncomeId, PersonId, StoreError};

/// The kinds of change, by their stable codes.
pub const KINDS: &[&str] = &[
    "add_member",
    "remove_member",
    "transfer_member",
    "split",
    "merge",
    "change_head",
    "edit_household",
    "edit_member",
    "record_income",
];

/// A change as text: its kind and its fields by name. Empty fields count as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeInput {
    pub kind: String,
    pub fields: BTreeMap<String, String>,
}

/// What is wrong with one field of a change, or with the change as a whole (`field: None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: Option<String>,
    pub message: String,
}

/// Why a typed change from text was not applied.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The fields could not be read; nothing was written.
    #[error("{}", describe(.0))]
    Fields(Vec<FieldProblem>),
    #[error(transparent)]
    Change(#[from] ChangeError),
}

fn describe(problems: &[FieldProblem]) -> String {
    problems
        .iter()
        .map(|p| match &p.field {
            Some(f) => format!("{f}: {}", p.message),
            None => p.message.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl ChangeInput {
    pub fn new(kind: &str) -> ChangeInput {
        ChangeInput {
            kind: kind.to_owned(),
            fields: BTreeMap::new(),
        }
    }

    pub fn with(mut self, field: &str, value: impl Into<String>) -> ChangeInput {
        self.fields.insert(field.to_owned(), value.into());
        self
    }

    fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .get(field)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }
}

/// Collects the problems of one reading pass.
struct Reader<'a> {
    input: &'a ChangeInput,
    problems: Vec<FieldProblem>,
    today: NaiveDate,
}

impl<'a> Reader<'a> {
    fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(FieldProblem {
            field: Some(field.to_owned()),
            message: message.into(),
        });
    }

    fn required(&mut self, field: &str) -> Option<&'a str> {
        let v = self.input.get(field);
        if v.is_none() {
            self.problem(field, "required (必填)");
        }
        v
    }

    fn id(&mut self, field: &str) -> Option<i64> {
        let text = self.required(field)?;
        match text.parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                self.problem(field, format!("{text:?} is not a record id"));
                None
            }
        }
    }

    fn ids(&mut self, field: &str) -> Vec<i64> {
        let Some(text) = self.required(field) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for part in text.split([',', ' ', '，']).filter(|p| !p.is_empty()) {
            match part.parse::<i64>() {
                Ok(n) if n > 0 => out.push(n),
                _ => self.problem(field, format!("{part:?} is not a record id")),
            }
        }
        out
    }

    fn code<T: Codebook>(&mut self, field: &str, required: bool) -> Option<T> {
        let text = if required {
            self.required(field)?
        } else {
            self.input.get(field)?
        };
        match T::parse(text) {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(
                    field,
                    format!("{:?} is not accepted; accepted: {}", e.found, e.allowed),
                );
                None
            }
        }
    }

    fn date(&mut self, field: &str, required: bool) -> Option<NaiveDate> {
        let text = if required {
            self.required(field)?
        } else {
            self.input.get(field)?
        };
        let d = parse_date(text);
        if d.is_none() {
            self.problem(field, format!("{text:?} is not a date (YYYY-MM-DD)"));
        }
        d
    }

    fn money(&mut self, field: &str, required: bool) -> Option<Money> {
        let text = if required {
            self.required(field)?
        } else {
            self.input.get(field)?
        };
        match Money::parse(text) {
            Ok(m) => Some(m),
            Err(e) => {
                self.problem(field, e.to_string());
                None
            }
        }
    }

    fn household_no(&mut self, field: &str) -> Option<HouseholdNo> {
        let text = self.required(field)?;
        match HouseholdNo::parse(text) {
            Ok(n) => Some(n),
            Err(e) => {
                self.problem(field, e.to_string());
                None
            }
        }
    }

    /// A household's fields; absent fields keep `base`'s (all are required without a base).
    fn household(&mut self, base: Option<&Household>) -> Option<Household> {
        let no = match (self.input.get("household_no"), base) {
            (None, Some(b)) => Some(b.household_no.clone()),
            _ => self.household_no("household_no"),
        };
        let household_type = match (self.input.get("household_type"), base) {
            (None, Some(b)) => Some(b.household_type),
            _ => self.code::<HouseholdType>("household_type", true),
        };
        let region = match (self.input.get("region_code"), base) {
            (None, Some(b)) => Some(b.region),
            _ => {
                let text = self.required("region_code").unwrap_or_default();
                match RegionCode::parse(text) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        if !text.is_empty() {
                            self.problem("region_code", e.to_string());
                        }
                        None
                    }
                }
            }
        };
        let address = match (self.input.fields.get("address"), base) {
            (None, Some(b)) => b.address.clone(),
            (text, _) => text.and_then(|t| {
                let t = t.trim();
                (!t.is_empty()).then(|| t.to_owned())
            }),
        };
        let (no, household_type, region) = (no?, household_type?, region?);
        match Household::new(no, household_type, region, address) {
            Ok(h) => Some(h),
            Err(e) => {
                self.problem("household", e.to_string());
                None
            }
        }
    }

    /// A member's fields over `base` (absent fields keep its values); without a base, name, ID
    /// number and relation are required.
    fn person(&mut self, base: Option<&Person>) -> Option<Person> {
        let name = match (self.input.get("name"), base) {
            (None, Some(b)) => Some(b.name.clone()),
            (text, _) => match text_field("name", text.unwrap_or(""), Person::NAME_MAX, true) {
                Ok(v) => v,
                Err(e) => {
                    self.problem("name", e.to_string());
                    None
                }
            },
        };
        let id_number = match (self.input.get("id_number"), base) {
            (None, Some(b)) => Some(b.id_number.clone()),
            _ => {
                let text = self.required("id_number").unwrap_or_default();
                match ResidentId::parse(text, self.today) {
                    Ok(id) => Some(id),
                    Err(e) => {
                        if !text.is_empty() {
                            self.problem("id_number", e.to_string());
                        }
                        None
                    }
                }
            }
        };
        let relation = match (self.input.get("relation"), base) {
            (None, Some(b)) => Some(b.relation),
            _ => self.code::<Relation>("relation", true),
        };
        let name_missing = name.is_none();
        let mut person = Person {
            name: name.unwrap_or_default(),
            id_number: id_number?,
            relation: relation?,
            sex: base.and_then(|b| b.sex),
            birth_date: base.and_then(|b| b.birth_date),
            education: base.and_then(|b| b.education),
            schooling: base.and_then(|b| b.schooling),
            health: base.map(|b| b.health).unwrap_or(Health::Healthy),
            disability_grade: base.and_then(|b| b.disability_grade),
            labour: base.map(|b| b.labour).unwrap_or(Labour::Ordinary),
            major_illness_insurance: base.and_then(|b| b.major_illness_insurance),
            phone: base.and_then(|b| b.phone.clone()),
            status: base.map(|b| b.status).unwrap_or(MemberStatus::Active),
        };
        if let Some(text) = self.input.get("sex") {
            match Sex::parse(text) {
                Some(s) => person.sex = Some(s),
                None => self.problem(
                    "sex",
                    format!("{text:?} is not accepted; accepted: 男 male · 女 female"),
                ),
            }
        }
        if self.input.get("birth_date").is_some() {
            person.birth_date = self.date("birth_date", false);
        }
        if let Some(v) = self.code::<Education>("education", false) {
            person.education = Some(v);
        }
        if let Some(v) = self.code::<Schooling>("schooling", false) {
            person.schooling = Some(v);
        }
        if let Some(v) = self.code::<Health>("health", false) {
            person.health = v;
            if v != Health::Disabled && self.input.get("disability_grade").is_none() {
                person.disability_grade = None;
            }
        }
        if let Some(text) = self.input.get("disability_grade") {
            match parse_disability_grade(text) {
                Ok(g) => person.disability_grade = g,
                Err(e) => self.problem("disability_grade", e.to_string()),
            }
        }
        if let Some(v) = self.code::<Labour>("labour", false) {
            person.labour = v;
        }
        if let Some(text) = self.input.get("major_illness_insurance") {
            match parse_yes_no("major_illness_insurance", text) {
                Ok(v) => person.major_illness_insurance = v,
                Err(e) => self.problem(
                    "major_illness_insurance",
                    format!("{:?} is not accepted; accepted: {}", e.found, e.allowed),
                ),
            }
        }
        if let Some(text) = self.input.get("phone") {
            match parse_phone(text) {
                Ok(v) => person.phone = v,
                Err(e) => self.problem("phone", e.to_string()),
            }
        }
        if name_missing {
            return None;
        }
        match person.clone().normalise() {
            Ok(p) => Some(p),
            Err(e) => {
                let field = match e {
                    uplift_domain::household::FieldError::SexDisagrees { .. } => "sex",
                    uplift_domain::household::FieldError::DisabilityGrade(_)
                    | uplift_domain::household::FieldError::DisabilityGradeMissing => {
                        "disability_grade"
                    }
                    _ => "person",
                };
                self.problem(field, e.to_string());
                None
            }
        }
    }
}

fn member_of(detail: &HouseholdDetail, id: i64) -> Option<&Person> {
    detail
        .members
        .iter()
        .find(|m| m.id.0 == id && m.person.value.is_active())
        .map(|m| &m.person.value)
}

/// Reads the change fields against the household as it stands. Household numbers are looked up
/// at `at`; the scope check of the other household happens in [`changes::apply`].
pub async fn read(
    app: &App,
    input: &ChangeInput,
    detail: &HouseholdDetail,
    at: ReadAt,
) -> Result<Change, InputError> {
    let mut r = Reader {
        input,
        problems: Vec::new(),
        today: app.clock.today(),
    };
    let change = match input.kind.as_str() {
        "add_member" => {
            let joining = match input.get("joining") {
                None => Some(Joining::Other),
                Some(t) => {
                    let j = Joining::parse(t);
                    if j.is_none() {
                        r.problem(
                            "joining",
                            format!("{t:?} is not accepted; accepted: 出生 birth · 婚入 marriage_in · 其他 other"),
                        );
                    }
                    j
                }
            };
            let person = r.person(None);
            match (person, joining) {
                (Some(person), Some(joining)) => Some(Change::AddMember { person, joining }),
                _ => None,
            }
        }
        "remove_member" => {
            let person = r.id("person");
            let status = r.code::<MemberStatus>("status", true);
            if status == Some(MemberStatus::Active) {
                r.problem(
                    "status",
                    "a removal is 死亡 died, 婚出 married_out or 迁出 moved_out",
                );
            }
            match (person, status) {
                (Some(p), Some(status)) if status != MemberStatus::Active => {
                    Some(Change::RemoveMember {
                        person: PersonId(p),
                        status,
                    })
                }
                _ => None,
            }
        }
        "transfer_member" => {
            let person = r.id("person");
            let relation = r.code::<Relation>("relation", true);
            let to = r.household_no("to_household_no");
            let to_id = match &to {
                Some(no) => {
                    let found = app
                        .store
                        .find_household_by_no(no, at)
                        .await
                        .map_err(ChangeError::from)?;
                    if found.is_none() {
                        r.problem(
                            "to_household_no",
                            format!("no household has the number {}", no.as_str()),
                        );
                    }
                    found
                }
                None => None,
            };
            match (person, relation, to_id) {
                (Some(p), Some(relation), Some(to)) => Some(Change::TransferMember {
                    person: PersonId(p),
                    to,
                    relation,
                }),
                _ => None,
            }
        }
        "split" => {
            let members = r.ids("members");
            let head = r.id("head");
            if let Some(h) = head
                && !members.is_empty()
                && !members.contains(&h)
            {
                r.problem("head", "the new head must be one of the members who leave");
            }
            for m in &members {
                if member_of(detail, *m).is_none() {
                    r.problem(
                        "members",
                        format!("{m} is not an active member of this household"),
                    );
                }
            }
            let household = r.household(None);
            match (head, household) {
                (Some(h), Some(household)) if !members.is_empty() => Some(Change::Split {
                    members: members.into_iter().map(PersonId).collect(),
                    head: PersonId(h),
                    household,
                }),
                _ => None,
            }
        }
        "merge" => {
            let from = r.household_no("from_household_no");
            match from {
                Some(no) => {
                    let found = app
                        .store
                        .find_household_by_no(&no, at)
                        .await
                        .map_err(ChangeError::from)?;
                    match found {
                        Some(id) => Some(Change::Merge { from: id }),
                        None => {
                            r.problem(
                                "from_household_no",
                                format!("no household has the number {}", no.as_str()),
                            );
                            None
                        }
                    }
                }
                None => None,
            }
        }
        "change_head" => {
            let head = r.id("head");
            let former = r.code::<Relation>("former_head_relation", true);
            if former == Some(Relation::Head) {
                r.problem(
                    "former_head_relation",
                    "the former head takes another relation: a household has exactly one head (户主)",
                );
            }
            match (head, former) {
                (Some(h), Some(former)) => Some(Change::ChangeHead {
                    head: PersonId(h),
                    former_head_relation: former,
                }),
                _ => None,
            }
        }
        "edit_household" => r
            .household(Some(&detail.household.value))
            .map(|household| Change::EditHousehold { household }),
        "edit_member" => {
            let id = r.id("person");
            let base = id.and_then(|id| member_of(detail, id).cloned());
            if id.is_some() && base.is_none() {
                r.problem("person", "not an active member of this household");
            }
            match (id, base) {
                (Some(id), Some(base)) => r.person(Some(&base)).map(|value| Change::EditMember {
                    person: PersonId(id),
                    value,
                }),
                _ => None,
            }
        }
        "record_income" => {
            let id = match input.get("income") {
                None => None,
                Some(_) => r.id("income"),
            };
            let start = r.date("period_start", true);
            let end = r.date("period_end", true);
            let wage = r.money("wage", false).unwrap_or_default();
            let business = r.money("business", false).unwrap_or_default();
            let property = r.money("property", false).unwrap_or_default();
            let transfer = r.money("transfer", false).unwrap_or_default();
            let production_costs = r.money("production_costs", false).unwrap_or_default();
            let compliant_out_of_pocket = r.money("compliant_out_of_pocket", false);
            match (start, end) {
                (Some(period_start), Some(period_end)) => {
                    let record = IncomeRecord {
                        period_start,
                        period_end,
                        wage,
                        business,
                        property,
                        transfer,
                        production_costs,
                        compliant_out_of_pocket,
                    };
                    match record.check() {
                        Ok(()) => Some(Change::RecordIncome {
                            id: id.map(IncomeId),
                            record,
                        }),
                        Err(e) => {
                            r.problem("period_end", e.to_string());
                            None
                        }
                    }
                }
                _ => None,
            }
        }
        other => {
            r.problem(
                "kind",
                format!("{other:?} is not a change; accepted: {}", KINDS.join(", ")),
            );
            None
        }
    };
    match change {
        Some(c) if r.problems.is_empty() => Ok(c),
        _ => {
            if r.problems.is_empty() {
                r.problems.push(FieldProblem {
                    field: None,
                    message: "the change could not be read".to_owned(),
                });
            }
            Err(InputError::Fields(r.problems))
        }
    }
}

/// The common fields of a change from text.
#[derive(Debug, Clone)]
pub struct Submission {
    pub household: HouseholdId,
    pub input: ChangeInput,
    /// The effective date as typed; empty means today.
    pub valid_from: String,
    pub reason: String,
    pub expected_version: Option<i64>,
    pub channel: &'static str,
}

/// Reads and applies a change from text in one step: the field problems come first (nothing is
/// written), then the rules of [`changes::apply`].
pub async fn submit(
    app: &App,
    by: &Principal,
    submission: Submission,
) -> Result<ChangeOutcome, InputError> {
    by.require(uplift_domain::access::Action::EditRegistry)
        .map_err(ChangeError::from)?;
    let today = app.clock.today();
    let at = ReadAt::current(today);
    let detail = app
        .store
        .household(submission.household, &by.scope(), at)
        .await
        .map_err(ChangeError::from)?
        .ok_or_else(|| {
            ChangeError::from(StoreError::NotFound(format!(
                "household {}",
                submission.household.0
            )))
        })?;
    let mut problems = Vec::new();
    let reason = submission.reason.trim().chars().count();
    if reason < 2 {
        problems.push(FieldProblem {
            field: Some("reason".to_owned()),
            message: "a change needs a reason of at least 2 characters (变更原因必填)".to_owned(),
        });
    } else if reason > 200 {
        problems.push(FieldProblem {
            field: Some("reason".to_owned()),
            message: format!("the reason may have at most 200 characters, found {reason}"),
        });
    }
    let valid_from = match submission.valid_from.trim() {
        "" => Some(today),
        text => {
            let d = parse_date(text);
            if d.is_none() {
                problems.push(FieldProblem {
                    field: Some("valid_from".to_owned()),
                    message: format!("{text:?} is not a date (YYYY-MM-DD)"),
                });
            }
            d
        }
    };
    let change = match read(app, &submission.input, &detail, at).await {
        Ok(c) => Some(c),
        Err(InputError::Fields(more)) => {
            problems.extend(more);
            None
        }
        Err(e) => return Err(e),
    };
    let (Some(change), Some(valid_from), true) = (change, valid_from, problems.is_empty()) else {
        return Err(InputError::Fields(problems));
    };
    let request = ChangeRequest {
        household: submission.household,
        change,
        valid_from,
        reason: submission.reason,
        expected_version: submission.expected_version,
        channel: submission.channel,
    };
    Ok(changes::apply(app, by, request).await?)
}
