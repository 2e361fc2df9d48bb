//! Typed changes to the registry: births, deaths, marriages, moves, splits, merges, a new head,
//! corrected fields and income periods. Each is a set of new versions, written in one
//! transaction with a reason, an effective date and an actor; nothing is ever overwritten or
//! deleted. A change states the version of the household it was made against, so a second user
//! editing the same household at once gets a conflict instead of silently overwriting.

use async_trait::async_trait;
use chrono::NaiveDate;
use uplift_domain::access::Action;
use uplift_domain::household::{Household, MemberStatus, Person, Relation};
use uplift_domain::income::IncomeRecord;
use uplift_domain::version::{ReadAt, VersionStamp, check_not_backdated};

use crate::App;
use crate::access::{AccessDenied, Principal};
use crate::store::{
    HouseholdDetail, HouseholdId, IncomeId, PersonId, Scope, StoreError, StoreResult,
};

/// How a member joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joining {
    Birth,
    MarriageIn,
    Other,
}

impl Joining {
    pub fn code(self) -> &'static str {
        match self {
            Joining::Birth => "birth",
            Joining::MarriageIn => "marriage_in",
            Joining::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Joining> {
        match s {
            "birth" | "出生" => Some(Joining::Birth),
            "marriage_in" | "婚入" => Some(Joining::MarriageIn),
            "other" | "其他" => Some(Joining::Other),
            _ => None,
        }
    }
}

/// One typed change to a household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    AddMember {
        person: Person,
        joining: Joining,
    },
    /// Death, marriage out or moving out: recorded, never deleted.
    RemoveMember {
        person: PersonId,
        status: MemberStatus,
    },
    TransferMember {
        person: PersonId,
        to: HouseholdId,
        relation: Relation,
    },
    /// Some members form a new household, with one of them as its head.
    Split {
        members: Vec<PersonId>,
        head: PersonId,
        household: Household,
    },
    /// Every active member of `from` joins this household, with the relation `other`.
    Merge {
        from: HouseholdId,
    },
    /// A new head; the former head takes `former_head_relation`.
    ChangeHead {
        head: PersonId,
        former_head_relation: Relation,
    },
    EditHousehold {
        household: Household,
    },
    EditMember {
        person: PersonId,
        value: Person,
    },
    /// A new income period (`id: None`) or a corrected one.
    RecordIncome {
        id: Option<IncomeId>,
        record: IncomeRecord,
    },
}

impl Change {
    /// The stable code of the change, recorded as its source.
    pub fn code(&self) -> &'static str {
        match self {
            Change::AddMember { .. } => "add_member",
            Change::RemoveMember { .. } => "remove_member",
            Change::TransferMember { .. } => "transfer_member",
            Change::Split { .. } => "split",
            Change::Merge { .. } => "merge",
            Change::ChangeHead { .. } => "change_head",
            Change::EditHousehold { .. } => "edit_household",
            Change::EditMember { .. } => "edit_member",
            Change::RecordIncome { .. } => "record_income",
        }
    }
}

/// A change, the household it applies to, and what it was made against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRequest {
    pub household: HouseholdId,
    pub change: Change,
    /// The date the change takes effect in the real world.
    pub valid_from: NaiveDate,
    pub reason: String,
    /// The household's version when the user loaded it; `None` skips the check (the CLI).
    pub expected_version: Option<i64>,
    /// `web`, `api` or `cli`.
    pub channel: &'static str,
}

/// Where a write of a plan goes: an existing household, or the n-th new one of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HouseholdRef {
    Existing(HouseholdId),
    New(usize),
}

/// One row a plan writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    Household {
        target: HouseholdRef,
        household: Household,
    },
    NewPerson {
        household: HouseholdRef,
        person: Person,
    },
    Person {
        household: HouseholdRef,
        id: PersonId,
        person: Person,
    },
    NewIncome {
        household: HouseholdRef,
        record: IncomeRecord,
    },
    Income {
        household: HouseholdRef,
        id: IncomeId,
        record: IncomeRecord,
    },
}

/// Everything one change writes, applied by the store in one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangePlan {
    /// Each household's expected version; any other version is a conflict and nothing is written.
    pub guards: Vec<(HouseholdId, i64)>,
    /// How many new households the plan creates (`HouseholdRef::New(0..n)`).
    pub new_households: usize,
    pub writes: Vec<Write>,
}

/// What the store created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub new_households: Vec<HouseholdId>,
    pub new_persons: Vec<PersonId>,
}

#[async_trait]
pub trait ChangeStore: Send + Sync {
    /// A number that grows with every version written to the household or any of its members,
    /// past or present.
    async fn household_version(&self, id: HouseholdId) -> StoreResult<i64>;

    /// Checks the guards and writes the plan in one transaction; a failed guard is a conflict.
    async fn apply_changes(&self, plan: &ChangePlan, stamp: &VersionStamp) -> StoreResult<Applied>;

    /// The latest `valid_from` among all versions of each record (recorded at any time), in the
    /// order asked; `None` for a record without versions.
    async fn latest_valid_from(&self, records: &[RecordRef])
    -> StoreResult<Vec<Option<NaiveDate>>>;
}

/// An existing record a plan writes a new version of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordRef {
    Household(HouseholdId),
    Person(PersonId),
    Income(IncomeId),
}

impl RecordRef {
    fn label_zh(self) -> String {
        match self {
            RecordRef::Household(id) => format!("户 {}", id.0),
            RecordRef::Person(id) => format!("成员 {}", id.0),
            RecordRef::Income(id) => format!("收入记录 {}", id.0),
        }
    }

    fn label_en(self) -> String {
        match self {
            RecordRef::Household(id) => format!("household {}", id.0),
            RecordRef::Person(id) => format!("member {}", id.0),
            RecordRef::Income(id) => format!("income record {}", id.0),
        }
    }
}

impl ChangePlan {
    /// The existing records the plan writes new versions of, each once, in plan order.
    pub fn existing_records(&self) -> Vec<RecordRef> {
        let mut out = Vec::new();
        for w in &self.writes {
            let r = match w {
                Write::Household {
                    target: HouseholdRef::Existing(id),
                    ..
                } => RecordRef::Household(*id),
                Write::Person { id, .. } => RecordRef::Person(*id),
                Write::Income { id, .. } => RecordRef::Income(*id),
                _ => continue,
            };
            if !out.contains(&r) {
                out.push(r);
            }
        }
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error(transparent)]
    Denied(#[from] AccessDenied),
    #[error("{0}")]
    Invalid(String),
    /// The change would take effect before a later version of a record it changes.
    #[error(
        "生效日期 {effective} 早于{} 在 {later} 生效的后续版本，不能插入其下；请选择 {later} 或之后的日期 · \
         the change takes effect on {effective}, before the later version of {} effective {later}; \
         choose {later} or a later date",
        record.label_zh(),
        record.label_en()
    )]
    BackDated {
        record: RecordRef,
        effective: NaiveDate,
        later: NaiveDate,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(s: impl Into<String>) -> ChangeError {
    ChangeError::Invalid(s.into())
}

/// What a change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeOutcome {
    /// The household's version after the change.
    pub version: i64,
    pub applied: Applied,
}

/// Applies a typed change after checking the role, the scope of every household it touches, the
/// household's invariants afterwards (one head among the active members), and the version.
pub async fn apply(
    app: &App,
    by: &Principal,
    request: ChangeRequest,
) -> Result<ChangeOutcome, ChangeError> {
    by.require(Action::EditRegistry)?;
    if request.reason.trim().chars().count() < 2 {
        return Err(invalid("a change needs a reason (变更原因)"));
    }
    if request.reason.chars().count() > 200 {
        return Err(invalid("the reason may have at most 200 characters"));
    }
    let scope = by.scope();
    let at = ReadAt::current(request.valid_from.max(app.clock.today()));
    let detail = load(app, request.household, &scope, at).await?;
    let plan = plan(app, &request, &detail, &scope, at).await?;
    let records = plan.existing_records();
    let latest = app.store.latest_valid_from(&records).await?;
    for (record, latest) in records.into_iter().zip(latest) {
        if let Err(later) = check_not_backdated(request.valid_from, latest) {
            return Err(ChangeError::BackDated {
                record,
                effective: request.valid_from,
                later,
            });
        }
    }
    let stamp = app.stamp(
        &by.name,
        &format!("{}:{}", request.channel, request.change.code()),
        request.valid_from,
        Some(request.reason.trim().to_owned()),
    );
    let applied = app.store.apply_changes(&plan, &stamp).await?;
    let version = app.store.household_version(request.household).await?;
    Ok(ChangeOutcome { version, applied })
}

async fn load(
    app: &App,
    id: HouseholdId,
    scope: &Scope,
    at: ReadAt,
) -> Result<HouseholdDetail, ChangeError> {
    app.store
        .household(id, scope, at)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("household {}", id.0)).into())
}

fn member(detail: &HouseholdDetail, id: PersonId) -> Result<&Person, ChangeError> {
    detail
        .members
        .iter()
        .find(|m| m.id == id && m.person.value.is_active())
        .map(|m| &m.person.value)
        .ok_or_else(|| {
            invalid(format!(
                "person {} is not an active member of household {}",
                id.0, detail.id.0
            ))
        })
}

/// The active members after the plan's person writes to `household`, with their relations.
fn heads_after(detail: &HouseholdDetail, writes: &[Write], target: HouseholdRef) -> (usize, usize) {
    let mut members: Vec<(Option<PersonId>, Person)> = detail
        .members
        .iter()
        .filter(|_| target == HouseholdRef::Existing(detail.id))
        .map(|m| (Some(m.id), m.person.value.clone()))
        .collect();
    for w in writes {
        match w {
            Write::NewPerson { household, person } if *household == target => {
                members.push((None, person.clone()));
            }
            Write::Person {
                household,
                id,
                person,
            } => {
                members.retain(|(pid, _)| *pid != Some(*id));
                if *household == target {
                    members.push((Some(*id), person.clone()));
                }
            }
            _ => {}
        }
    }
    let active: Vec<&Person> = members
        .iter()
        .map(|(_, p)| p)
        .filter(|p| p.is_active())
        .collect();
    let heads = active
        .iter()
        .filter(|p| p.relation == Relation::Head)
        .count();
    (active.len(), heads)
}

fn check_heads(
    detail: &HouseholdDetail,
    writes: &[Write],
    target: HouseholdRef,
    label: &str,
) -> Result<(), ChangeError> {
    let (active, heads) = heads_after(detail, writes, target);
    if active > 0 && heads != 1 {
        return Err(invalid(format!(
            "{label} would have {heads} heads among {active} members; a household has exactly one head (户主)"
        )));
    }
    Ok(())
}

async fn plan(
    app: &App,
    request: &ChangeRequest,
    detail: &HouseholdDetail,
    scope: &Scope,
    at: ReadAt,
) -> Result<ChangePlan, ChangeError> {
    let here = HouseholdRef::Existing(detail.id);
    let mut plan = ChangePlan::default();
    if let Some(v) = request.expected_version {
        plan.guards.push((detail.id, v));
    }
    let normalise = |p: Person| p.normalise().map_err(|e| invalid(e.to_string()));
    match &request.change {
        Change::AddMember { person, .. } => {
            let mut person = normalise(person.clone())?;
            person.status = MemberStatus::Active;
            plan.writes.push(Write::NewPerson {
                household: here,
                person,
            });
        }
        Change::RemoveMember { person, status } => {
            if *status == MemberStatus::Active {
                return Err(invalid(
                    "removing a member needs died, married_out or moved_out",
                ));
            }
            let mut value = member(detail, *person)?.clone();
            value.status = *status;
            plan.writes.push(Write::Person {
                household: here,
                id: *person,
                person: value,
            });
        }
        Change::TransferMember {
            person,
            to,
            relation,
        } => {
            if *to == detail.id {
                return Err(invalid(
                    "a member cannot be transferred to the same household",
                ));
            }
            let target = load(app, *to, scope, at).await?;
            let mut value = member(detail, *person)?.clone();
            value.relation = *relation;
            plan.writes.push(Write::Person {
                household: HouseholdRef::Existing(*to),
                id: *person,
                person: value,
            });
            check_heads(
                &target,
                &plan.writes,
                HouseholdRef::Existing(*to),
                "the receiving household",
            )?;
            let version = app.store.household_version(*to).await?;
            plan.guards.push((*to, version));
        }
        Change::Split {
            members,
            head,
            household,
        } => {
            if members.is_empty() || !members.contains(head) {
                return Err(invalid(
                    "a split names its members and one of them as the new head",
                ));
            }
            if let Scope::Region(r) = scope
                && !r.contains(&household.region)
            {
                return Err(invalid(format!(
                    "the new household's village {} is outside your region",
                    household.region
                )));
            }
            plan.new_households = 1;
            let new = HouseholdRef::New(0);
            plan.writes.push(Write::Household {
                target: new,
                household: household.clone(),
            });
            for id in members {
                let mut value = member(detail, *id)?.clone();
                value.relation = if id == head {
                    Relation::Head
                } else if value.relation == Relation::Head {
                    Relation::Other
                } else {
                    value.relation
                };
                plan.writes.push(Write::Person {
                    household: new,
                    id: *id,
                    person: value,
                });
            }
            check_heads(detail, &plan.writes, new, "the new household")?;
        }
        Change::Merge { from } => {
            if *from == detail.id {
                return Err(invalid("a household cannot be merged into itself"));
            }
            let other = load(app, *from, scope, at).await?;
            for m in other.members.iter().filter(|m| m.person.value.is_active()) {
                let mut value = m.person.value.clone();
                value.relation = Relation::Other;
                plan.writes.push(Write::Person {
                    household: here,
                    id: m.id,
                    person: value,
                });
            }
            let version = app.store.household_version(*from).await?;
            plan.guards.push((*from, version));
        }
        Change::ChangeHead {
            head,
            former_head_relation,
        } => {
            if *former_head_relation == Relation::Head {
                return Err(invalid("the former head needs another relation"));
            }
            let mut new_head = member(detail, *head)?.clone();
            if new_head.relation == Relation::Head {
                return Err(invalid("this member is already the head"));
            }
            for m in detail
                .members
                .iter()
                .filter(|m| m.person.value.is_active() && m.person.value.relation == Relation::Head)
            {
                let mut value = m.person.value.clone();
                value.relation = *former_head_relation;
                plan.writes.push(Write::Person {
                    household: here,
                    id: m.id,
                    person: value,
                });
            }
            new_head.relation = Relation::Head;
            plan.writes.push(Write::Person {
                household: here,
                id: *head,
                person: new_head,
            });
        }
        Change::EditHousehold { household } => {
            if let Scope::Region(r) = scope
                && !r.contains(&household.region)
            {
                return Err(invalid(format!(
                    "village {} is outside your region",
                    household.region
                )));
            }
            plan.writes.push(Write::Household {
                target: here,
                household: household.clone(),
            });
        }
        Change::EditMember { person, value } => {
            member(detail, *person)?;
            let value = normalise(value.clone())?;
            plan.writes.push(Write::Person {
                household: here,
                id: *person,
                person: value,
            });
        }
        Change::RecordIncome { id, record } => {
            record.check().map_err(|e| invalid(e.to_string()))?;
            match id {
                None => {
                    if detail.incomes.iter().any(|e| {
                        e.income.value.period_start == record.period_start
                            && e.income.value.period_end == record.period_end
                    }) {
                        return Err(invalid(
                            "an income record for this period exists; correct it instead",
                        ));
                    }
                    plan.writes.push(Write::NewIncome {
                        household: here,
                        record: record.clone(),
                    });
                }
                Some(income) => {
                    if !detail.incomes.iter().any(|e| e.id == *income) {
                        return Err(invalid(format!(
                            "income record {} is not this household's",
                            income.0
                        )));
                    }
                    plan.writes.push(Write::Income {
                        household: here,
                        id: *income,
                        record: record.clone(),
                    });
                }
            }
        }
    }
    check_heads(detail, &plan.writes, here, "the household")?;
    Ok(plan)
}
