//! The typed-change forms on the household page and `POST /households/{id}/changes`.
//!
//! Each form carries the household version the page was loaded with. A change that cannot be
//! read comes back with the form open, the values kept and each problem beside its field; a
//! stale version comes back as 409 with "someone else changed this household; reload".

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use uplift_app::change_input::{FieldProblem, InputError, Submission};
use uplift_app::changes::ChangeError;
use uplift_app::store::{HouseholdDetail, StoreError};
use uplift_domain::access::Action;
use uplift_domain::household::{
    Codebook, Education, Health, HouseholdType, Labour, MemberStatus, Relation, Schooling,
};
use uplift_domain::version::ReadAt;

use crate::AppState;
use crate::api::changes::{change_error, form_input, submit};
use crate::auth::{Caller, PageCaller};
use crate::error::ApiError;
use crate::extract::HouseholdPath;
use crate::i18n::{self, Lang};
use crate::ui::{Chrome, UiLang, error_page, render};

/// Every field a change form may carry.
const FIELDS: &[&str] = &[
    "valid_from",
    "reason",
    "joining",
    "name",
    "id_number",
    "relation",
    "sex",
    "birth_date",
    "education",
    "schooling",
    "health",
    "disability_grade",
    "labour",
    "major_illness_insurance",
    "phone",
    "person",
    "status",
    "to_household_no",
    "members",
    "head",
    "household_no",
    "household_type",
    "region_code",
    "address",
    "from_household_no",
    "former_head_relation",
    "income",
    "period_start",
    "period_end",
    "wage",
    "business",
    "property",
    "transfer",
    "production_costs",
    "compliant_out_of_pocket",
    "household",
    "kind",
];

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Opt {
    code: String,
    label: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct FormTitle {
    kind: &'static str,
    title: &'static str,
}

/// What the change forms of a household need.
#[derive(Debug, Serialize)]
pub(crate) struct ChangeForms {
    id: i64,
    version: i64,
    csrf: String,
    forms: Vec<FormTitle>,
    /// The form shown open, with `values` and `open_errors`.
    open: String,
    values: BTreeMap<&'static str, String>,
    blank: BTreeMap<&'static str, String>,
    open_errors: BTreeMap<&'static str, String>,
    split_members: Vec<String>,
    general: Vec<String>,
    conflict: bool,
    members: Vec<Opt>,
    incomes: Vec<Opt>,
    options: BTreeMap<&'static str, Vec<Opt>>,
}

fn codes<T: Codebook>(lang: Lang, keep: impl Fn(T) -> bool) -> Vec<Opt> {
    T::ALL
        .iter()
        .copied()
        .filter(|v| keep(*v))
        .map(|v| Opt {
            code: v.code().to_owned(),
            label: match lang {
                Lang::Zh => v.zh().to_owned(),
                Lang::En => i18n::humanize(v.code()),
            },
        })
        .collect()
}

fn pairs(lang: Lang, items: &[(&str, &str, &str)]) -> Vec<Opt> {
    items
        .iter()
        .map(|(code, zh, en)| Opt {
            code: (*code).to_owned(),
            label: match lang {
                Lang::Zh => (*zh).to_owned(),
                Lang::En => (*en).to_owned(),
            },
        })
        .collect()
}

fn blank() -> BTreeMap<&'static str, String> {
    FIELDS.iter().map(|f| (*f, String::new())).collect()
}

/// The forms for a household, or none when the caller may not edit the registry.
pub(crate) async fn forms(
    state: &AppState,
    caller: &Caller,
    detail: &HouseholdDetail,
    lang: Lang,
) -> Result<Option<ChangeForms>, ApiError> {
    if !caller.principal.may(Action::EditRegistry) {
        return Ok(None);
    }
    let version = state.app.store.household_version(detail.id).await?;
    let t = |id: &str| i18n::message(lang, id);
    let kinds: [(&'static str, &'static str); 9] = [
        ("add_member", t("chg_add_member")),
        ("remove_member", t("chg_remove_member")),
        ("transfer_member", t("chg_transfer_member")),
        ("split", t("chg_split")),
        ("merge", t("chg_merge")),
        ("change_head", t("chg_change_head")),
        ("edit_household", t("chg_edit_household")),
        ("edit_member", t("chg_edit_member")),
        ("record_income", t("chg_record_income")),
    ];
    let mut options = BTreeMap::new();
    options.insert("relation", codes::<Relation>(lang, |_| true));
    options.insert(
        "relation_not_head",
        codes::<Relation>(lang, |r| r != Relation::Head),
    );
    options.insert(
        "leaving",
        codes::<MemberStatus>(lang, |s| s != MemberStatus::Active),
    );
    options.insert("education", codes::<Education>(lang, |_| true));
    options.insert("schooling", codes::<Schooling>(lang, |_| true));
    options.insert("health", codes::<Health>(lang, |_| true));
    options.insert("labour", codes::<Labour>(lang, |_| true));
    options.insert("household_type", codes::<HouseholdType>(lang, |_| true));
    options.insert(
        "sex",
        pairs(lang, &[("male", "男", "Male"), ("female", "女", "Female")]),
    );
    options.insert(
        "yes_no",
        pairs(lang, &[("yes", "是", "Yes"), ("no", "否", "No")]),
    );
    options.insert(
        "joining",
        pairs(
            lang,
            &[
                ("birth", "出生", "Birth"),
                ("marriage_in", "婚入", "Marriage in"),
                ("other", "其他", "Other"),
            ],
        ),
    );
    Ok(Some(ChangeForms {
        id: detail.id.0,
        version,
        csrf: caller.csrf_token.clone(),
        forms: kinds
            .into_iter()
            .map(|(kind, title)| FormTitle { kind, title })
            .collect(),
        open: String::new(),
        values: blank(),
        blank: blank(),
        open_errors: blank(),
        split_members: Vec::new(),
        general: Vec::new(),
        conflict: false,
        members: detail
            .members
            .iter()
            .filter(|m| m.person.value.is_active())
            .map(|m| Opt {
                code: m.id.0.to_string(),
                label: format!(
                    "{} ({})",
                    m.person.value.name,
                    match lang {
                        Lang::Zh => m.person.value.relation.zh().to_owned(),
                        Lang::En => i18n::humanize(m.person.value.relation.code()),
                    }
                ),
            })
            .collect(),
        incomes: detail
            .incomes
            .iter()
            .map(|e| Opt {
                code: e.id.0.to_string(),
                label: format!(
                    "{} – {}",
                    e.income.value.period_start, e.income.value.period_end
                ),
            })
            .collect(),
        options,
    }))
}

#[derive(Serialize)]
struct ChangePageContext {
    #[serde(flatten)]
    chrome: Chrome,
    household_no: String,
    id: i64,
    changes: ChangeForms,
}

/// Records a change from a form; back to the household page when it is done.
pub(crate) async fn post(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    id: Result<HouseholdPath, ApiError>,
    body: Result<axum::Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let pairs = match body {
        Ok(axum::Form(pairs)) => pairs,
        Err(e) => {
            return error_page(
                &state,
                &ui,
                ApiError::Invalid(format!("the form cannot be read: {e}")),
            );
        }
    };
    // Repeated fields (the members of a split) are joined with commas.
    let mut form: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in pairs {
        form.entry(k)
            .and_modify(|e: &mut String| {
                e.push(',');
                e.push_str(&v);
            })
            .or_insert(v);
    }
    let split_members: Vec<String> = form
        .get("members")
        .map(|m| m.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let (input, common) = form_input(form);
    let prepared = async {
        caller.check_csrf(Some(&common.csrf))?;
        caller.require(Action::EditRegistry)?;
        let HouseholdPath(household) = id?;
        let today = ReadAt::current(state.app.clock.today());
        let detail =
            uplift_app::households::get(&state.app, household, &caller.scope(), today).await?;
        Ok::<_, ApiError>(detail)
    }
    .await;
    let detail = match prepared {
        Ok(d) => d,
        Err(e) => return error_page(&state, &ui, e),
    };
    let household = detail.id;
    let expected_version = common.expected_version.trim().parse::<i64>().ok();
    let submission = Submission {
        household,
        input: input.clone(),
        valid_from: common.valid_from.clone(),
        reason: common.reason.clone(),
        expected_version,
        channel: "web",
    };
    let (status, problems, conflict, general) = if expected_version.is_none() {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Vec::new(),
            false,
            vec![i18n::message(ui.lang, "chg_no_version").to_owned()],
        )
    } else {
        match submit(&state, &caller, submission).await {
            Ok(_) => {
                return Redirect::to(&format!("/households/{}#history", household.0))
                    .into_response();
            }
            Err(InputError::Fields(problems)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                problems,
                false,
                Vec::new(),
            ),
            Err(InputError::Change(ChangeError::Store(StoreError::Conflict(_)))) => {
                (StatusCode::CONFLICT, Vec::new(), true, Vec::new())
            }
            Err(InputError::Change(e @ ChangeError::BackDated { .. })) => (
                StatusCode::CONFLICT,
                vec![FieldProblem {
                    field: Some("valid_from".to_owned()),
                    message: e.to_string(),
                }],
                false,
                Vec::new(),
            ),
            Err(InputError::Change(ChangeError::Invalid(message))) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Vec::new(),
                false,
                vec![message],
            ),
            Err(InputError::Change(e)) => return error_page(&state, &ui, change_error(e)),
        }
    };
    let result = async {
        let Some(mut forms) = forms(&state, &caller, &detail, ui.lang).await? else {
            return Err(ApiError::Forbidden("the registry may not be edited".into()));
        };
        forms.open = input.kind.clone();
        for (k, v) in &input.fields {
            if let Some(slot) = forms.values.iter_mut().find(|(f, _)| **f == k.as_str()) {
                *slot.1 = v.clone();
            }
        }
        forms.values.insert("reason", common.reason.clone());
        forms.values.insert("valid_from", common.valid_from.clone());
        forms.split_members = split_members;
        forms.conflict = conflict;
        forms.general = general;
        for FieldProblem { field, message } in problems {
            match field
                .as_deref()
                .and_then(|f| FIELDS.iter().find(|x| **x == f))
            {
                Some(f) if forms.open_errors.get(f).is_some_and(String::is_empty) => {
                    forms.open_errors.insert(f, message);
                }
                Some(f) => {
                    let entry = forms.open_errors.entry(f).or_default();
                    entry.push_str("; ");
                    entry.push_str(&message);
                }
                None => forms.general.push(message),
            }
        }
        // Problems with a field the form does not show are listed on top too.
        for (f, message) in &forms.open_errors {
            if matches!(*f, "household" | "kind") && !message.is_empty() {
                forms.general.push(message.clone());
            }
        }
        let ctx = ChangePageContext {
            chrome: ui.chrome_for(&state, &caller).await,
            household_no: detail.household.value.household_no.as_str().to_owned(),
            id: household.0,
            changes: forms,
        };
        render(&state, &ui, status, "household_change.html", ctx)
    }
    .await;
    match result {
        Ok(res) => res,
        Err(e) => error_page(&state, &ui, e),
    }
}
