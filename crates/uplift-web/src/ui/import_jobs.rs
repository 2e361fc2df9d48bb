//! Long imports from the upload page run as background jobs: `POST /imports` starts one and
//! answers with its page, `/imports/jobs/{id}`, which shows the phase and the rows read so far
//! and reloads itself every two seconds (a `<meta http-equiv="refresh">` inside `<noscript>`, so
//! it works without JavaScript). With JavaScript, `/static/import-progress.js` polls the small
//! JSON answer of `/imports/jobs/{id}/progress` instead and moves a `<progress>` bar. When the
//! import ends, both land on the batch's result page `/imports/{batch}`; a file that cannot be
//! read at all comes back on the upload form with its error.
//!
//! Jobs live in the server's memory (an import is one store transaction, so a restart loses
//! only the display: the batch is either recorded or not). Only the user who started a job sees
//! it; anyone else, and any unknown id, gets 404. Finished jobs are kept for an hour.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use uplift_app::imports::{ImportRequest, Progress};
use uplift_domain::access::Action;

use crate::AppState;
use crate::auth::{Caller, PageCaller};
use crate::error::ApiError;
use crate::i18n::{self, Lang};
use crate::ui::{Chrome, UiLang, error_page, render};

/// How long a finished job stays visible.
const KEEP: Duration = Duration::from_secs(3600);
/// At most this many jobs are remembered; the oldest finished ones go first.
const MAX_JOBS: usize = 1000;

/// The script of the progress page (served by Uplift itself: the CSP allows only `'self'`).
pub(crate) const SCRIPT: &str = include_str!("../../static/import-progress.js");

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// The batch was recorded (whatever its status).
    Done(i64),
    /// The file could not be imported at all; the message says why.
    Failed { status: StatusCode, message: String },
}

/// One running or finished import.
#[derive(Debug)]
pub(crate) struct Job {
    owner: String,
    file_name: String,
    /// Data rows of a CSV (its line count less the header), for a percentage; none for XLSX.
    total_rows: Option<u64>,
    started: Instant,
    phase: Mutex<&'static str>,
    rows: AtomicU64,
    outcome: Mutex<Option<(Outcome, Instant)>>,
}

impl Job {
    fn new(owner: &str, request: &ImportRequest) -> Job {
        let total_rows = request
            .file_name
            .to_ascii_lowercase()
            .ends_with(".csv")
            .then(|| {
                let lines = request.bytes.iter().filter(|b| **b == b'\n').count() as u64;
                let unterminated = u64::from(request.bytes.last().is_some_and(|b| *b != b'\n'));
                (lines + unterminated).saturating_sub(1)
            });
        Job {
            owner: owner.to_owned(),
            file_name: request.file_name.clone(),
            total_rows,
            started: Instant::now(),
            phase: Mutex::new("queued"),
            rows: AtomicU64::new(0),
            outcome: Mutex::new(None),
        }
    }

    fn phase(&self) -> &'static str {
        *self.phase.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn outcome(&self) -> Option<Outcome> {
        self.outcome
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|(o, _)| o.clone())
    }

    fn finish(&self, outcome: Outcome) {
        *self.outcome.lock().unwrap_or_else(|p| p.into_inner()) = Some((outcome, Instant::now()));
    }

    fn finished_long_ago(&self, now: Instant) -> bool {
        self.outcome
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|(_, at)| now.duration_since(*at) > KEEP)
    }

    /// What the progress endpoint answers.
    fn view(&self, id: &str, lang: Lang) -> ProgressView {
        let rows = self.rows.load(Ordering::Relaxed);
        let phase = self.phase();
        let percent = self.total_rows.filter(|t| *t > 0).map(|total| {
            // Reading is most of the work before the write; count it as 80 %.
            let read = (rows.min(total) * 80 / total) as u8;
            match phase {
                "queued" | "parse" => read,
                "check" => 82,
                "match" => 85,
                "report" => 88,
                "write" => 90,
                _ => read,
            }
        });
        let (state, batch, error) = match self.outcome() {
            None => ("running", None, None),
            Some(Outcome::Done(b)) => ("done", Some(b), None),
            Some(Outcome::Failed { message, .. }) => ("failed", None, Some(message)),
        };
        ProgressView {
            job: id.to_owned(),
            state,
            phase,
            phase_label: i18n::message(lang, phase_key(phase)).to_owned(),
            rows,
            total_rows: self.total_rows,
            percent: if state == "done" { Some(100) } else { percent },
            elapsed_seconds: self.started.elapsed().as_secs(),
            result: batch.map(|b| format!("/imports/{b}")),
            page: format!("/imports/jobs/{id}"),
            error,
        }
    }
}

fn phase_key(phase: &str) -> &'static str {
    match phase {
        "parse" => "imp_phase_parse",
        "check" => "imp_phase_check",
        "match" => "imp_phase_match",
        "report" => "imp_phase_report",
        "write" => "imp_phase_write",
        _ => "imp_phase_queued",
    }
}

/// The import's [`Progress`] reports, kept for the page.
struct JobProgress(Arc<Job>);

impl Progress for JobProgress {
    fn rows(&self, rows: u64) {
        self.0.rows.store(rows, Ordering::Relaxed);
    }

    fn phase(&self, name: &'static str) {
        *self.0.phase.lock().unwrap_or_else(|p| p.into_inner()) = name;
    }
}

/// The jobs of this server.
#[derive(Debug, Clone, Default)]
pub(crate) struct Jobs(Arc<Mutex<HashMap<String, Arc<Job>>>>);

impl Jobs {
    fn insert(&self, job: Job) -> (String, Arc<Job>) {
        let id = uplift_app::access::random_token()
            .chars()
            .take(24)
            .collect::<String>();
        let job = Arc::new(job);
        let mut jobs = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        jobs.retain(|_, j| !j.finished_long_ago(now));
        if jobs.len() >= MAX_JOBS {
            let oldest = jobs
                .iter()
                .filter(|(_, j)| j.outcome().is_some())
                .min_by_key(|(_, j)| j.started)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                jobs.remove(&k);
            }
        }
        jobs.insert(id.clone(), job.clone());
        (id, job)
    }

    /// The job, if it exists and belongs to this caller.
    fn get(&self, id: &str, caller: &Caller) -> Option<Arc<Job>> {
        let jobs = self.0.lock().unwrap_or_else(|p| p.into_inner());
        jobs.get(id)
            .filter(|j| j.owner == caller.principal.name)
            .cloned()
    }
}

/// Starts the import in the background; returns the job's id.
pub(crate) fn start(state: &AppState, caller: &Caller, request: ImportRequest) -> String {
    let (id, job) = state
        .import_jobs
        .insert(Job::new(&caller.principal.name, &request));
    let (state, caller) = (state.clone(), caller.clone());
    tokio::spawn(async move {
        let progress = JobProgress(job.clone());
        let outcome =
            match crate::api::uploads::run_prepared(&state, &caller, request, &progress).await {
                Ok(batch) => Outcome::Done(batch.id.map(|b| b.0).unwrap_or_default()),
                Err(e) => {
                    let status = e.status();
                    let message = match e {
                        ApiError::Invalid(_) | ApiError::BadRequest { .. } => e.view().detail,
                        other => {
                            // Logged once by `view`; the page shows the generic sentence.
                            let _ = other.view();
                            i18n::message(Lang::Zh, "error_internal").to_owned()
                        }
                    };
                    Outcome::Failed { status, message }
                }
            };
        job.finish(outcome);
    });
    id
}

/// The answer of `/imports/jobs/{id}/progress`.
#[derive(Debug, Serialize)]
pub(crate) struct ProgressView {
    job: String,
    /// `running`, `done` or `failed`.
    state: &'static str,
    /// `queued`, `parse`, `check`, `match`, `report`, `write`.
    phase: &'static str,
    phase_label: String,
    /// Data rows read so far.
    rows: u64,
    total_rows: Option<u64>,
    percent: Option<u8>,
    elapsed_seconds: u64,
    /// The batch's result page, once done.
    result: Option<String>,
    /// This job's page.
    page: String,
    error: Option<String>,
}

#[derive(Serialize)]
struct JobContext {
    #[serde(flatten)]
    chrome: Chrome,
    file_name: String,
    progress: ProgressView,
}

fn find(state: &AppState, caller: &Caller, id: &str) -> Result<Arc<Job>, ApiError> {
    caller.require(Action::ImportRegistry)?;
    state
        .import_jobs
        .get(id, caller)
        .ok_or_else(|| ApiError::NotFound(format!("import job {id:?}")))
}

/// The page of a running import; once it has ended, the batch's page (or the upload form with
/// the file's error).
pub(crate) async fn page(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let job = find(&state, &caller, &id)?;
        match job.outcome() {
            Some(Outcome::Done(batch)) => {
                Ok(Redirect::to(&format!("/imports/{batch}")).into_response())
            }
            Some(Outcome::Failed { status, message }) => {
                crate::ui::imports::show_error(&state, &ui, &caller, status, message).await
            }
            None => {
                let ctx = JobContext {
                    chrome: ui.chrome_for(&state, &caller).await,
                    file_name: job.file_name.clone(),
                    progress: job.view(&id, ui.lang),
                };
                render(&state, &ui, StatusCode::OK, "import_job.html", ctx)
            }
        }
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &ui, e))
}

/// The job's progress as JSON, for the page's script.
pub(crate) async fn progress(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
) -> Response {
    match find(&state, &caller, &id) {
        Ok(job) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(job.view(&id, ui.lang)),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

pub(crate) async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SCRIPT,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use uplift_app::imports::{ImportKind, ImportMode};

    fn request(name: &str, text: &str) -> ImportRequest {
        ImportRequest {
            kind: ImportKind::Households,
            mode: ImportMode::DryRun,
            file_name: name.to_owned(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_job_reports_its_phase_rows_and_share_then_its_result() {
        let job = Arc::new(Job::new("clerk", &request("r.csv", "h\n1\n2\n3\n4")));
        assert_eq!(job.total_rows, Some(4));
        let v = job.view("abc", Lang::En);
        assert_eq!(
            (v.state, v.phase, v.rows, v.percent),
            ("running", "queued", 0, Some(0))
        );
        let p = JobProgress(job.clone());
        p.phase("parse");
        p.rows(2);
        let v = job.view("abc", Lang::En);
        assert_eq!((v.phase, v.rows, v.percent), ("parse", 2, Some(40)));
        assert_eq!(v.phase_label, "reading rows");
        assert_eq!(v.page, "/imports/jobs/abc");
        p.phase("write");
        assert_eq!(job.view("abc", Lang::Zh).phase_label, "写入数据库");
        job.finish(Outcome::Done(7));
        let v = job.view("abc", Lang::En);
        assert_eq!(v.state, "done");
        assert_eq!(v.result.as_deref(), Some("/imports/7"));
        assert_eq!(v.percent, Some(100));
    }

    #[test]
    fn an_xlsx_job_has_no_share_and_an_empty_csv_counts_no_rows() {
        let job = Job::new("clerk", &request("r.xlsx", "PK"));
        assert_eq!(job.total_rows, None);
        assert_eq!(job.view("x", Lang::En).percent, None);
        let job = Job::new("clerk", &request("r.csv", "h\n"));
        assert_eq!(job.total_rows, Some(0));
        assert_eq!(job.view("x", Lang::En).percent, None);
    }
}
