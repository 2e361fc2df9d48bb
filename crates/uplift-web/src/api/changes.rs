//! `POST /api/v1/households/{id}/changes`: typed registry changes (births, deaths, marriages,
//! moves, splits, merges, a new head, corrected fields, income periods). The body is tagged by
//! `kind`; every change states the household `expected_version` it was made against, so a
//! second user editing the same household at once gets 409, never a silent overwrite.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use uplift_app::change_input::{self, ChangeInput, FieldProblem, InputError, Submission};
use uplift_app::changes::ChangeError;
use uplift_app::store::StoreError;
use uplift_domain::access::Action;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{ApiCaller, Caller};
use crate::error::{ApiError, ErrorEnvelope, ErrorView};
use crate::extract::HouseholdPath;

/// The sentence of a version conflict, in both languages.
pub(crate) const CONFLICT: &str = "其他用户已修改此户，请刷新后重试 · someone else changed this \
                                   household since you loaded it; reload and try again";

/// A change request: what changes, when, why, and the version it was made against.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub(crate) struct ChangeBody {
    /// The household's `version` when it was loaded (`GET /api/v1/households/{id}`).
    pub(crate) expected_version: i64,
    /// The date the change takes effect (YYYY-MM-DD); today when absent.
    #[schema(format = Date)]
    #[serde(default)]
    pub(crate) valid_from: Option<String>,
    /// Why (变更原因), 2–200 characters.
    pub(crate) reason: String,
    #[serde(flatten)]
    pub(crate) change: ChangeKind,
}

/// A member's fields. Codes are the English codes or the Chinese labels of the codebooks. On
/// `edit_member`, absent fields keep their value.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
pub(crate) struct MemberFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id_number: Option<String>,
    /// `head`, `spouse`, `son`, … (与户主关系).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) relation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sex: Option<String>,
    #[schema(format = Date)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) birth_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) education: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) schooling: Option<String>,
    /// `healthy`, `chronic_illness`, `serious_illness` or `disabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) health: Option<String>,
    /// 1–4, required when `health` is `disabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) disability_grade: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) labour: Option<String>,
    /// `是`/`否` or `yes`/`no`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) major_illness_insurance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) phone: Option<String>,
}

/// The change itself, tagged by `kind`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum ChangeKind {
    /// A new member: `joining` is `birth`, `marriage_in` or `other`; name, ID number and relation
    /// are required.
    AddMember {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        joining: Option<String>,
        #[serde(flatten)]
        member: MemberFields,
    },
    /// A member leaves: `status` is `died`, `married_out` or `moved_out`. Recorded, never deleted.
    RemoveMember { person: i64, status: String },
    /// A member moves to the household numbered `to_household_no`, with a new relation there.
    TransferMember {
        person: i64,
        to_household_no: String,
        relation: String,
    },
    /// Some members form a new household with one of them as its head.
    Split {
        members: Vec<i64>,
        head: i64,
        household_no: String,
        household_type: String,
        region_code: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        address: Option<String>,
    },
    /// Every active member of the household numbered `from_household_no` joins this one.
    Merge { from_household_no: String },
    /// A new head; the former head takes `former_head_relation`.
    ChangeHead {
        head: i64,
        former_head_relation: String,
    },
    /// Corrects the household's fields; absent fields keep their value.
    EditHousehold {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        household_no: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        household_type: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        region_code: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        address: Option<String>,
    },
    /// Corrects a member's fields; absent fields keep their value.
    EditMember {
        person: i64,
        #[serde(flatten)]
        member: MemberFields,
    },
    /// A new income period, or a correction of income record `income`. Amounts are yuan.
    RecordIncome {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        income: Option<i64>,
        #[schema(format = Date)]
        period_start: String,
        #[schema(format = Date)]
        period_end: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wage: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        business: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        property: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transfer: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        production_costs: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        compliant_out_of_pocket: Option<String>,
    },
}

impl ChangeKind {
    /// The change as text fields, the form the use case reads.
    pub(crate) fn input(&self) -> Result<ChangeInput, ApiError> {
        let value = serde_json::to_value(self)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("change body: {e}")))?;
        let serde_json::Value::Object(map) = value else {
            return Err(ApiError::Invalid("the change is not an object".to_owned()));
        };
        let mut input = ChangeInput::default();
        for (k, v) in map {
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                serde_json::Value::Null => continue,
                other => other.to_string(),
            };
            if k == "kind" {
                input.kind = text;
            } else {
                input.fields.insert(k, text);
            }
        }
        Ok(input)
    }
}

/// What a change did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChangeResultView {
    /// The household's version after the change: send it with the next change.
    pub(crate) version: i64,
    /// The households the change created (a split).
    pub(crate) new_households: Vec<i64>,
    /// The members the change created (an added member).
    pub(crate) new_persons: Vec<i64>,
}

/// The answer to a change that failed: field problems become one entry each, with the field in
/// `parameter`; a version conflict is 409.
pub(crate) fn failure(err: InputError) -> Response {
    match err {
        InputError::Fields(problems) => invalid_fields(&problems),
        InputError::Change(e) => change_error(e).into_response(),
    }
}

pub(crate) fn change_error(e: ChangeError) -> ApiError {
    match e {
        ChangeError::Denied(d) => ApiError::Forbidden(d.to_string()),
        ChangeError::Invalid(s) => ApiError::Invalid(s),
        e @ ChangeError::BackDated { .. } => ApiError::Conflict(e.to_string()),
        ChangeError::Store(StoreError::Conflict(_)) => ApiError::Conflict(CONFLICT.to_owned()),
        ChangeError::Store(other) => other.into(),
    }
}

fn invalid_fields(problems: &[FieldProblem]) -> Response {
    let body = ErrorEnvelope {
        errors: problems
            .iter()
            .map(|p| ErrorView {
                code: "invalid",
                detail: p.message.clone(),
                parameter: p.field.clone(),
            })
            .collect(),
    };
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// Applies a change for a caller after the CSRF, role and scope checks.
pub(crate) async fn submit(
    state: &AppState,
    caller: &Caller,
    submission: Submission,
) -> Result<uplift_app::changes::ChangeOutcome, InputError> {
    change_input::submit(&state.app, &caller.principal, submission).await
}

/// Applies one typed change to a household, in one transaction, with a version guard.
#[utoipa::path(
    post,
    path = "/api/v1/households/{id}/changes",
    tag = "households",
    params(("id" = i64, Path, description = "The household id")),
    request_body = ChangeBody,
    responses(
        (status = 200, description = "The change is recorded; the new version", body = ChangeResultView),
        (status = 401, description = "No live session", body = ErrorEnvelope),
        (status = 403, description = "The role may not edit the registry, or the CSRF token is wrong", body = ErrorEnvelope),
        (status = 404, description = "No such household in the caller's scope", body = ErrorEnvelope),
        (status = 409, description = "Someone else changed this household since `expected_version`, or the change would take effect before a later version of a record it changes (the message names that version's date); nothing was written", body = ErrorEnvelope),
        (status = 422, description = "A field is missing or wrong (one entry per field, the field in `parameter`), or the change would break a rule such as one head per household", body = ErrorEnvelope),
    )
)]
pub(crate) async fn post_change(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    HouseholdPath(id): HouseholdPath,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let result = async {
        caller.check_csrf(crate::auth::csrf_token(&headers))?;
        caller.require(Action::EditRegistry)?;
        // The household must be in scope before the body is judged.
        let today = uplift_domain::version::ReadAt::current(state.app.clock.today());
        uplift_app::households::get(&state.app, id, &caller.scope(), today).await?;
        let Json(value) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
        let body: ChangeBody = serde_json::from_value(value)
            .map_err(|e| ApiError::Invalid(format!("the change cannot be read: {e}")))?;
        let input = body.change.input()?;
        Ok::<_, ApiError>(Submission {
            household: id,
            input,
            valid_from: body.valid_from.unwrap_or_default(),
            reason: body.reason,
            expected_version: Some(body.expected_version),
            channel: "api",
        })
    }
    .await;
    let submission = match result {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    match submit(&state, &caller, submission).await {
        Ok(outcome) => Json(ChangeResultView {
            version: outcome.version,
            new_households: outcome.applied.new_households.iter().map(|h| h.0).collect(),
            new_persons: outcome.applied.new_persons.iter().map(|p| p.0).collect(),
        })
        .into_response(),
        Err(e) => failure(e),
    }
}

/// The text fields of a submitted form, minus the ones every change has.
pub(crate) fn form_input(mut form: BTreeMap<String, String>) -> (ChangeInput, FormCommon) {
    let take = |form: &mut BTreeMap<String, String>, k: &str| form.remove(k).unwrap_or_default();
    let common = FormCommon {
        csrf: take(&mut form, "csrf"),
        reason: take(&mut form, "reason"),
        valid_from: take(&mut form, "valid_from"),
        expected_version: take(&mut form, "expected_version"),
    };
    let kind = take(&mut form, "kind");
    (ChangeInput { kind, fields: form }, common)
}

pub(crate) struct FormCommon {
    pub(crate) csrf: String,
    pub(crate) reason: String,
    pub(crate) valid_from: String,
    pub(crate) expected_version: String,
}
