//! Pages of the rectification ledger (`/rectify`), the five-level responsibility tree and its
//! tasks (`/responsibility`), and the printable monthly bulletin (`/bulletin`). They call the
//! same use cases as `api::rectify` and show its views. Forms post back here; a refused step
//! re-renders the page with the reason.

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use uplift_app::imports::sheet::Format;
use uplift_app::rectify::bulletin::INDICATORS;
use uplift_app::rectify::import::PROBLEM_COLUMNS;
use uplift_app::rectify::{self, ProblemId, TaskId};
use uplift_domain::access::Action;
use uplift_domain::rectify::{Command, Progress};
use uplift_domain::region::RegionCode;

use crate::AppState;
use crate::api::rectify::{
    self as api, AssignmentBody, BulletinView, ProblemBody, ProblemImportView, ProblemView,
    TaskView, TreeView,
};
use crate::auth::{Caller, PageCaller};
use crate::error::ApiError;
use crate::extract::Query;
use crate::i18n::Lang;
use crate::ui::{Chrome, UiLang, error_page, query_string, render};

/// The UI strings of these pages, `(id, zh, en)`; `i18n` chains them after its own table.
pub(crate) const MESSAGES: &[(&str, &str, &str)] = &[
    ("nav_rectify", "问题整改", "Rectification"),
    ("nav_responsibility", "五级责任", "Responsibility"),
    ("nav_bulletin", "月度通报", "Bulletin"),
    ("rx_title", "问题整改台账", "Rectification ledger"),
    ("rx_state", "状态", "State"),
    ("rx_source", "来源", "Source"),
    ("rx_area", "领域", "Area"),
    ("rx_problem", "问题", "Problem"),
    ("rx_fix_kind", "整改类型", "Kind"),
    ("rx_responsible", "责任区划", "Responsible region"),
    ("rx_deadline", "整改时限", "Deadline"),
    ("rx_overdue", "已逾期", "Overdue"),
    ("rx_stalled", "停滞", "Stalled"),
    ("rx_none", "没有问题。", "No problems."),
    ("rx_export", "导出台账", "Export the ledger"),
    ("rx_import", "导入问题清单", "Import a problem list"),
    (
        "rx_import_help",
        "每行一个问题；列见模板。整个文件无误才写入。",
        "One problem per row; see the template for the columns. Nothing is written unless the whole file is clean.",
    ),
    ("rx_columns", "列", "Columns"),
    ("rx_dry_run", "只检查不写入", "Check only"),
    ("rx_upload", "上传", "Upload"),
    ("rx_recorded", "已登记问题", "Problems recorded"),
    (
        "rx_issues",
        "问题清单有误，未写入：",
        "The list has issues; nothing was written:",
    ),
    ("rx_report", "导入报告", "Import report"),
    ("rx_enter", "登记问题", "Record a problem"),
    ("rx_title_field", "问题标题", "Title"),
    ("rx_description", "问题描述", "Description"),
    ("rx_found_on", "发现日期", "Found on"),
    ("rx_region", "所属区划代码", "Region code"),
    (
        "rx_affected",
        "涉及区划代码（分号分隔）",
        "Affected regions (separated by ;)",
    ),
    (
        "rx_households",
        "涉及户编号（分号分隔）",
        "Households (separated by ;)",
    ),
    ("rx_source_ref", "反馈文件", "Feedback document"),
    ("rx_save", "保存", "Save"),
    ("rx_lead_unit", "牵头单位", "Lead unit"),
    (
        "rx_units",
        "责任单位（分号分隔）",
        "Responsible units (separated by ;)",
    ),
    ("rx_person", "责任人", "Responsible person"),
    ("rx_measures", "整改措施", "Measures"),
    ("rx_steps", "整改过程", "Steps"),
    ("rx_evidence", "佐证材料", "Evidence"),
    ("rx_act", "办理", "Take a step"),
    ("rx_command", "操作", "Step"),
    (
        "rx_text",
        "说明（进展、销号申请、审核意见或理由）",
        "Text (progress, summary, opinion or reason)",
    ),
    ("rx_files", "佐证文件和照片", "Evidence files and photos"),
    ("rx_submit", "提交", "Submit"),
    (
        "rx_assign_fields",
        "交办（仅“交办”时填写）",
        "Assignment (for “assign” only)",
    ),
    ("rx_cmd_assign", "交办", "Assign"),
    ("rx_cmd_report", "报告进展", "Report progress"),
    ("rx_cmd_submit", "申请销号", "Submit for sign-off"),
    ("rx_cmd_sign_off", "审核销号", "Sign off and close"),
    ("rx_cmd_reject_sign_off", "退回整改", "Reject the sign-off"),
    (
        "rx_cmd_reopen",
        "问题反弹，重新整改",
        "Reopened: the problem reappeared",
    ),
    ("rx_refused", "未能办理：", "Not done: "),
    ("rx_alert_overdue", "整改逾期", "Rectification overdue"),
    ("rx_alert_stalled", "整改停滞", "Rectification stalled"),
    (
        "rs_title",
        "五级书记抓乡村振兴",
        "Five-level responsibility",
    ),
    ("rs_secretary", "责任书记", "Responsible secretary"),
    ("rs_units", "工作单位", "Work units"),
    ("rs_unnamed", "未填写", "Not named"),
    ("rs_set", "填写书记和单位", "Name the secretary and units"),
    ("rs_tasks", "下达任务", "Tasks"),
    ("rs_assign", "下达任务", "Assign a task"),
    ("rs_target_level", "下达到", "Down to"),
    ("rs_task_title", "任务", "Task"),
    ("rs_done", "完成", "Done"),
    ("rs_complete", "标记完成", "Mark complete"),
    ("rs_completed_on", "完成日期", "Completed on"),
    ("rs_no_tasks", "没有任务。", "No tasks."),
    ("bl_title", "月度通报", "Monthly bulletin"),
    ("bl_month", "月份", "Month"),
    ("bl_as_of", "统计截至", "As of"),
    ("bl_rank", "排名", "Rank"),
    ("bl_total", "合计", "Total"),
    ("bl_households", "户数", "Households"),
    ("bl_excel", "导出 Excel", "Export Excel"),
    ("bl_print", "打印本页可得 PDF", "Print this page for a PDF"),
    ("bl_own", "本级", "Own level"),
    (
        "bl_note",
        "排名越小越好；各项数量为可加总的计数，下级合计等于上级。",
        "Rank 1 is best; every figure is a count, and sub-regions add up to the region.",
    ),
];

fn msg(lang: Lang, id: &str) -> &'static str {
    crate::i18n::message(lang, id)
}

type FormResult =
    Result<axum::Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>;

fn fields(f: FormResult) -> Result<Vec<(String, String)>, ApiError> {
    f.map(|axum::Form(v)| v).map_err(|e| ApiError::BadRequest {
        parameter: None,
        detail: e.body_text(),
    })
}

fn get<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

fn list(s: &str) -> Vec<String> {
    s.split([';', '；', ',', '，', '、', '\n'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The lines of the home page: the caller's overdue and stalled problems.
pub(crate) async fn reminders(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
) -> Vec<(String, String)> {
    let Ok(views) = rectify::alerts(&state.app, &caller.principal).await else {
        return Vec::new();
    };
    views
        .iter()
        .take(20)
        .map(|v| {
            let kind = if v.overdue {
                msg(lang, "rx_alert_overdue")
            } else {
                msg(lang, "rx_alert_stalled")
            };
            let due = v
                .problem
                .deadline()
                .map(|d| format!(" · {d}"))
                .unwrap_or_default();
            (
                format!("{kind} #{}：{}{due}", v.record.id.0, v.problem.facts.title),
                format!("/rectify/{}", v.record.id.0),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The ledger.

#[derive(Debug, Default, Deserialize)]
pub(crate) struct LedgerParams {
    region: Option<String>,
    state: Option<String>,
}

#[derive(Serialize)]
struct Choice {
    code: String,
    name: String,
}

#[derive(Serialize)]
struct LedgerContext {
    #[serde(flatten)]
    chrome: Chrome,
    region: String,
    state: String,
    problems: Vec<ProblemView>,
    may_manage: bool,
    sources: Vec<Choice>,
    areas: Vec<Choice>,
    columns: Vec<String>,
    export_query: String,
    message: Option<String>,
    import: Option<ProblemImportView>,
}

async fn ledger(
    state: &AppState,
    ui: &UiLang,
    caller: &Caller,
    params: &LedgerParams,
    status: StatusCode,
    message: Option<String>,
    import: Option<ProblemImportView>,
) -> Result<Response, ApiError> {
    let views = api::list_problems_for(
        state,
        caller,
        params.region.as_deref(),
        params.state.as_deref(),
    )
    .await?;
    let zh = ui.lang == Lang::Zh;
    let today = state.app.clock.today();
    let rules = caller
        .principal
        .region
        .and_then(|r| rectify::rules_for(&state.app, &r, today).ok());
    let choices = |list: &[uplift_domain::policy::Category]| {
        list.iter()
            .map(|c| Choice {
                code: c.code.clone(),
                name: if zh { c.zh.clone() } else { c.en.clone() },
            })
            .collect::<Vec<_>>()
    };
    let ctx = LedgerContext {
        chrome: ui.chrome_for(state, caller).await,
        region: params.region.clone().unwrap_or_default(),
        state: params.state.clone().unwrap_or_default(),
        problems: views.iter().map(|v| api::problem_view(state, v)).collect(),
        may_manage: caller.principal.may(Action::ManageRectification),
        sources: rules.map(|r| choices(&r.sources)).unwrap_or_default(),
        areas: rules.map(|r| choices(&r.areas)).unwrap_or_default(),
        columns: PROBLEM_COLUMNS
            .iter()
            .map(|c| format!("{}（{}）{}", c.zh, c.en, if c.required { " *" } else { "" }))
            .collect(),
        export_query: query_string(&[
            ("region", params.region.as_deref().unwrap_or("")),
            ("state", params.state.as_deref().unwrap_or("")),
        ]),
        message,
        import,
    };
    render(state, ui, status, "rectify.html", ctx)
}

pub(crate) async fn ledger_page(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<LedgerParams>, ApiError>,
) -> Response {
    let result = async {
        caller.require(Action::ReadRectification)?;
        let Query(params) = params?;
        ledger(&state, &ui, &caller, &params, StatusCode::OK, None, None).await
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &ui, e))
}

pub(crate) async fn ledger_xlsx(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<LedgerParams>, ApiError>,
) -> Response {
    let result = async {
        caller.require(Action::ReadRectification)?;
        let Query(params) = params?;
        let views = api::list_problems_for(
            &state,
            &caller,
            params.region.as_deref(),
            params.state.as_deref(),
        )
        .await?;
        Ok::<_, ApiError>(api::sheet_response(
            &rectify::ledger_sheet(&state.app, &views, ui.lang == Lang::En),
            Format::Xlsx,
            "rectification-ledger",
        ))
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &ui, e))
}

/// Records one problem from the form.
pub(crate) async fn record(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    form: FormResult,
) -> Response {
    let result = async {
        caller.require(Action::ManageRectification)?;
        let f = fields(form)?;
        caller.check_csrf(Some(get(&f, "csrf")))?;
        let body = ProblemBody {
            source: get(&f, "source").to_owned(),
            source_ref: get(&f, "source_ref").to_owned(),
            area: get(&f, "area").to_owned(),
            title: get(&f, "title").to_owned(),
            description: get(&f, "description").to_owned(),
            found_on: get(&f, "found_on").to_owned(),
            region: get(&f, "region").to_owned(),
            affected_regions: list(get(&f, "affected_regions")),
            households: list(get(&f, "households")),
            fix_kind: get(&f, "fix_kind").to_owned(),
            assignment: None,
        };
        let outcome = async {
            let (facts, assignment) = body.facts()?;
            rectify::record(&state.app, &caller.principal, facts, assignment, "web")
                .await
                .map_err(api::failure)
        }
        .await;
        match outcome {
            Ok(id) => Ok(Redirect::to(&format!("/rectify/{}", id.0)).into_response()),
            Err(e @ (ApiError::Invalid(_) | ApiError::Conflict(_))) => {
                let detail = format!("{}{}", msg(ui.lang, "rx_refused"), e.view().detail);
                ledger(
                    &state,
                    &ui,
                    &caller,
                    &LedgerParams::default(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(detail),
                    None,
                )
                .await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &ui, e))
}

/// Imports an uploaded problem list and shows the outcome (with the report's issues).
pub(crate) async fn import_page(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let result = async {
        caller.require(Action::ManageRectification)?;
        // The token travels in the form; a body that cannot be read carries none.
        let parts = api::read_parts(multipart)
            .await
            .map_err(|_| caller.check_csrf(None).unwrap_err())?;
        caller.check_csrf(parts.field("csrf"))?;
        match api::run_import(&state, &caller, parts).await {
            Ok((file, outcome)) => {
                let view = api::import_view(&file, &outcome);
                let status = if outcome.issues.is_empty() {
                    StatusCode::OK
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                ledger(
                    &state,
                    &ui,
                    &caller,
                    &LedgerParams::default(),
                    status,
                    None,
                    Some(view),
                )
                .await
            }
            Err(e @ (ApiError::Invalid(_) | ApiError::BadRequest { .. })) => {
                let detail = e.view().detail;
                ledger(
                    &state,
                    &ui,
                    &caller,
                    &LedgerParams::default(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(detail),
                    None,
                )
                .await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &ui, e))
}

// ---------------------------------------------------------------------------------------------
// One problem.

#[derive(Serialize)]
struct ProblemContext {
    #[serde(flatten)]
    chrome: Chrome,
    p: ProblemView,
    commands: Vec<Choice>,
    message: Option<String>,
}

async fn problem_page(
    state: &AppState,
    ui: &UiLang,
    caller: &Caller,
    id: ProblemId,
    status: StatusCode,
    message: Option<String>,
) -> Result<Response, ApiError> {
    caller.require(Action::ReadRectification)?;
    let v = rectify::get(&state.app, &caller.principal, id)
        .await
        .map_err(api::failure)?;
    let p = api::problem_view(state, &v);
    let commands = p
        .next
        .iter()
        .map(|c| Choice {
            code: (*c).to_owned(),
            name: msg(ui.lang, &format!("rx_cmd_{c}")).to_owned(),
        })
        .collect();
    let ctx = ProblemContext {
        chrome: ui.chrome_for(state, caller).await,
        p,
        commands,
        message,
    };
    render(state, ui, status, "problem.html", ctx)
}

fn id_of(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .map_err(|_| ApiError::NotFound(format!("{raw:?}")))
}

pub(crate) async fn detail(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    axum::extract::Path(raw): axum::extract::Path<String>,
) -> Response {
    let result = async {
        caller.require(Action::ReadRectification)?;
        let id = ProblemId(id_of(&raw)?);
        problem_page(&state, &ui, &caller, id, StatusCode::OK, None).await
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &ui, e))
}

/// A step from the problem page (multipart: csrf, command, text, assignment fields, files).
pub(crate) async fn act(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    axum::extract::Path(raw): axum::extract::Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let result = async {
        caller.require(Action::ReadRectification)?;
        let parts = api::read_parts(multipart)
            .await
            .map_err(|_| caller.check_csrf(None).unwrap_err())?;
        caller.check_csrf(parts.field("csrf"))?;
        let id = ProblemId(id_of(&raw)?);
        let command = parts.field("command").unwrap_or("").trim().to_owned();
        let text = parts.field("text").unwrap_or("").trim().to_owned();
        let outcome = async {
            let command = match command.as_str() {
                "report" => Command::Report(Progress {
                    text,
                    evidence: vec![],
                }),
                other => api::ProblemActionBody {
                    command: other.to_owned(),
                    assignment: (other == "assign").then(|| AssignmentBody {
                        responsible_region: parts
                            .field("responsible_region")
                            .unwrap_or("")
                            .to_owned(),
                        lead_unit: parts.field("lead_unit").unwrap_or("").to_owned(),
                        responsible_units: list(parts.field("responsible_units").unwrap_or("")),
                        responsible_person: parts
                            .field("responsible_person")
                            .unwrap_or("")
                            .to_owned(),
                        measures: parts.field("measures").unwrap_or("").to_owned(),
                        deadline: parts.field("deadline").unwrap_or("").to_owned(),
                    }),
                    text,
                }
                .command()?,
            };
            let uploads = parts.files.iter().map(|(_, u)| u.clone()).collect();
            rectify::act(&state.app, &caller.principal, id, command, uploads, "web")
                .await
                .map_err(api::failure)
        }
        .await;
        match outcome {
            Ok(_) => Ok(Redirect::to(&format!("/rectify/{}", id.0)).into_response()),
            Err(e @ (ApiError::Invalid(_) | ApiError::Conflict(_) | ApiError::Forbidden(_))) => {
                let status = e.status();
                let detail = format!("{}{}", msg(ui.lang, "rx_refused"), e.view().detail);
                problem_page(&state, &ui, &caller, id, status, Some(detail)).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &ui, e))
}

// ---------------------------------------------------------------------------------------------
// The bulletin.

#[derive(Debug, Default, Deserialize)]
pub(crate) struct BulletinParams {
    region: Option<String>,
    month: Option<String>,
}

#[derive(Serialize)]
struct BulletinContext {
    #[serde(flatten)]
    chrome: Chrome,
    b: BulletinView,
    indicators: Vec<&'static str>,
    excel_href: String,
    pdf_href: String,
}

pub(crate) async fn bulletin_page(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<BulletinParams>, ApiError>,
) -> Response {
    let result = async {
        caller.require(Action::ReadRectification)?;
        let Query(params) = params?;
        let b = api::compute_bulletin(
            &state,
            &caller,
            params.region.as_deref(),
            params.month.as_deref(),
        )
        .await?;
        let view = api::bulletin_view(&b);
        let ctx = BulletinContext {
            chrome: ui.chrome_for(&state, &caller).await,
            indicators: INDICATORS
                .iter()
                .map(|(_, zh, en)| if ui.lang == Lang::Zh { *zh } else { *en })
                .collect(),
            pdf_href: format!(
                "/api/v1/bulletin{}",
                query_string(&[
                    ("region", &view.region),
                    ("month", &view.month),
                    ("format", "pdf")
                ])
            ),
            excel_href: format!(
                "/api/v1/bulletin{}",
                query_string(&[
                    ("region", &view.region),
                    ("month", &view.month),
                    ("format", "xlsx")
                ])
            ),
            b: view,
        };
        render(&state, &ui, StatusCode::OK, "bulletin.html", ctx)
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &ui, e))
}

// ---------------------------------------------------------------------------------------------
// Responsibility and tasks.

#[derive(Debug, Default, Deserialize)]
pub(crate) struct TreeParams {
    region: Option<String>,
}

#[derive(Serialize)]
struct ResponsibilityContext {
    #[serde(flatten)]
    chrome: Chrome,
    tree: TreeView,
    tasks: Vec<TaskView>,
    may_manage: bool,
    may_complete: bool,
    levels: Vec<Choice>,
    message: Option<String>,
}

async fn responsibility_page(
    state: &AppState,
    ui: &UiLang,
    caller: &Caller,
    region: Option<&str>,
    status: StatusCode,
    message: Option<String>,
) -> Result<Response, ApiError> {
    let tree = api::tree_for(state, caller, region).await?;
    let tasks = uplift_app::rectify::responsibility::tasks(&state.app, &caller.principal)
        .await
        .map_err(api::failure)?;
    let within = caller.principal.region;
    let own_level = RegionCode::parse(&tree.node.region).map(|r| r.level()).ok();
    let levels = uplift_domain::region::RegionLevel::ALL
        .iter()
        .filter(|l| own_level.is_some_and(|o| **l > o))
        .map(|l| Choice {
            code: l.as_str().to_owned(),
            name: if ui.lang == Lang::Zh {
                l.zh().to_owned()
            } else {
                l.as_str().to_owned()
            },
        })
        .collect();
    let ctx = ResponsibilityContext {
        chrome: ui.chrome_for(state, caller).await,
        tasks: tasks
            .iter()
            .map(|t| api::task_view(t, within.as_ref()))
            .collect(),
        tree,
        may_manage: caller.principal.may(Action::ManageResponsibility),
        may_complete: caller.principal.may(Action::ReportRectification),
        levels,
        message,
    };
    render(state, ui, status, "responsibility.html", ctx)
}

pub(crate) async fn responsibility(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    params: Result<Query<TreeParams>, ApiError>,
) -> Response {
    let result = async {
        caller.require(Action::ReadRectification)?;
        let Query(params) = params?;
        responsibility_page(
            &state,
            &ui,
            &caller,
            params.region.as_deref(),
            StatusCode::OK,
            None,
        )
        .await
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &ui, e))
}

/// Re-renders the responsibility page with a refusal, or goes back to it.
async fn after(
    state: &AppState,
    ui: &UiLang,
    caller: &Caller,
    outcome: Result<(), ApiError>,
) -> Result<Response, ApiError> {
    match outcome {
        Ok(()) => Ok(Redirect::to("/responsibility").into_response()),
        Err(e @ (ApiError::Invalid(_) | ApiError::Conflict(_))) => {
            let detail = format!("{}{}", msg(ui.lang, "rx_refused"), e.view().detail);
            responsibility_page(
                state,
                ui,
                caller,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(detail),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

pub(crate) async fn set_secretary(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    form: FormResult,
) -> Response {
    let result = async {
        caller.require(Action::ManageResponsibility)?;
        let f = fields(form)?;
        caller.check_csrf(Some(get(&f, "csrf")))?;
        let outcome = async {
            let region = RegionCode::parse(get(&f, "region"))
                .map_err(|e| ApiError::Invalid(format!("region: {e}")))?;
            uplift_app::rectify::responsibility::set_responsibility(
                &state.app,
                &caller.principal,
                uplift_app::rectify::Responsibility {
                    region,
                    secretary: get(&f, "secretary").to_owned(),
                    units: list(get(&f, "units")),
                },
                "web",
            )
            .await
            .map_err(api::failure)
        }
        .await;
        after(&state, &ui, &caller, outcome).await
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &ui, e))
}

pub(crate) async fn assign_task(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    form: FormResult,
) -> Response {
    let result = async {
        caller.require(Action::ManageResponsibility)?;
        let f = fields(form)?;
        caller.check_csrf(Some(get(&f, "csrf")))?;
        let outcome = async {
            let body = api::TaskBody {
                region: Some(get(&f, "region").to_owned()),
                title: get(&f, "title").to_owned(),
                description: get(&f, "description").to_owned(),
                target_level: get(&f, "target_level").to_owned(),
                deadline: get(&f, "deadline").to_owned(),
            };
            let task = body.task(&caller)?;
            uplift_app::rectify::responsibility::assign_task(
                &state.app,
                &caller.principal,
                task,
                "web",
            )
            .await
            .map(|_| ())
            .map_err(api::failure)
        }
        .await;
        after(&state, &ui, &caller, outcome).await
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &ui, e))
}

pub(crate) async fn complete_task(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    axum::extract::Path(raw): axum::extract::Path<String>,
    form: FormResult,
) -> Response {
    let result = async {
        caller.require(Action::ReportRectification)?;
        let f = fields(form)?;
        caller.check_csrf(Some(get(&f, "csrf")))?;
        let id = TaskId(id_of(&raw)?);
        uplift_app::rectify::responsibility::task(&state.app, &caller.principal, id)
            .await
            .map_err(api::failure)?;
        let outcome = async {
            let region = RegionCode::parse(get(&f, "region"))
                .map_err(|e| ApiError::Invalid(format!("region: {e}")))?;
            let on = match get(&f, "completed_on") {
                "" => None,
                d => Some(
                    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                        .map_err(|_| ApiError::Invalid(format!("completed_on: {d:?}")))?,
                ),
            };
            uplift_app::rectify::responsibility::complete_task(
                &state.app,
                &caller.principal,
                id,
                &region,
                on,
                get(&f, "note"),
                "web",
            )
            .await
            .map_err(api::failure)
        }
        .await;
        after(&state, &ui, &caller, outcome).await
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &ui, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_a_label_in_both_languages() {
        for c in uplift_domain::rectify::COMMANDS {
            for lang in [Lang::Zh, Lang::En] {
                assert!(!msg(lang, &format!("rx_cmd_{c}")).is_empty());
            }
        }
    }

    #[test]
    fn message_ids_are_unique() {
        let mut ids: Vec<&str> = MESSAGES.iter().map(|(id, _, _)| *id).collect();
        ids.extend(crate::i18n::MESSAGES.iter().map(|(id, _, _)| *id));
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}
