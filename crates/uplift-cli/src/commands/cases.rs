//! `uplift case …`: the case queue, one case's steps, opening a clue, taking a step, and the
//! printable documents. Every command logs in as `--user` (password from `--password` or
//! `UPLIFT_PASSWORD`; the login is audited like the web's) and runs the same use cases as the
//! API, so the user's role and region are checked exactly as there.

use std::path::PathBuf;

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use uplift_app::App;
use uplift_app::access::{self, Principal};
use uplift_app::cases::{self, CaseId, Clue};
use uplift_app::documents::{self, CaseDocument};
use uplift_domain::case::{Channel, Stage};
use uplift_domain::household::{Codebook, HouseholdNo};
use uplift_domain::region::RegionCode;
use uplift_domain::version::ReadAt;

use crate::cli::{DatabaseArg, PolicyArg};
use crate::startup::{self, open_db};

#[derive(Debug, Args)]
pub struct Login {
    /// The user to act as; their role and region are checked at every step.
    #[arg(long)]
    pub user: String,
    #[arg(long, env = "UPLIFT_PASSWORD", hide_env_values = true)]
    pub password: String,
    #[command(flatten)]
    pub database: DatabaseArg,
    #[command(flatten)]
    pub policy: PolicyArg,
}

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// The cases the user may see, oldest first.
    List {
        /// Only cases at this stage (`notice`, `reviewed`, … or the Chinese name).
        #[arg(long)]
        state: Option<String>,
        /// Only cases inside this region (2–12 digits).
        #[arg(long)]
        region: Option<String>,
        /// Only overdue cases.
        #[arg(long)]
        overdue: bool,
        #[command(flatten)]
        login: Login,
    },
    /// One case: its clue, every step with who and when, what may follow.
    Show {
        id: i64,
        #[command(flatten)]
        login: Login,
    },
    /// Open a case on a household from a clue.
    Open {
        /// The household number (户编号).
        #[arg(long = "household")]
        household_no: String,
        /// self_declaration, cadre_visit, department_warning or concentrated_screening.
        #[arg(long)]
        channel: String,
        /// YYYY-MM-DD (default: today).
        #[arg(long)]
        clue_date: Option<String>,
        #[arg(long)]
        summary: String,
        /// A risk type code of the pack (01, 0201, …).
        #[arg(long)]
        risk_hint: Option<String>,
        /// Help first, recognise later (disasters and accidents).
        #[arg(long)]
        green_channel: bool,
        #[command(flatten)]
        login: Login,
    },
    /// Take one step, with the fields of the API's action body as FIELD=VALUE (a value that
    /// reads as JSON is JSON: true, 15, ["01"]). E.g. `uplift case step 7 verify --set
    /// commitment_signed=true --set asset_query_authorised=true --set findings=…`.
    Step {
        id: i64,
        /// verify, compare, appraise, post_notice, file_objection, answer_objection,
        /// close_notice, review, approve, announce, enter_national, reject, accept.
        command: String,
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
        #[command(flatten)]
        login: Login,
    },
    /// Write a case document as PDF: the public notice (公示) or the announcement (公告).
    Document {
        id: i64,
        /// notice or announcement.
        kind: String,
        /// The supervision phone printed on it (a blank line when omitted).
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        login: Login,
    },
    /// Write a household's assistance card (明白卡) as PDF.
    Card {
        #[arg(long = "household")]
        household_no: String,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        login: Login,
    },
}

async fn log_in(login: &Login) -> anyhow::Result<(App, Principal)> {
    let db = open_db(&login.database.database).await?;
    let app = startup::app(&db, startup::policy_book(&login.policy)?);
    let ticket = access::login(&app, &login.user, &login.password, Some("cli"))
        .await
        .map_err(|e| anyhow!("cannot log in as {}: {e}", login.user))?;
    // The CLI needs no session beyond this run.
    access::logout(&app, &ticket.token).await?;
    Ok((app, ticket.principal))
}

fn label<T: Codebook>(v: T) -> String {
    format!("{} {}", v.code(), v.zh())
}

fn stage_of(s: &str) -> anyhow::Result<Stage> {
    Stage::parse(s.trim()).map_err(|e| anyhow!("--state {s:?}: {e}"))
}

async fn household_by_no(app: &App, no: &str) -> anyhow::Result<uplift_app::store::HouseholdId> {
    let no = HouseholdNo::parse(no).context("--household")?;
    app.store
        .find_household_by_no(&no, ReadAt::current(app.clock.today()))
        .await?
        .ok_or_else(|| anyhow!("no household has the number {}", no.as_str()))
}

fn value_of(raw: &str) -> serde_json::Value {
    serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.to_owned()))
}

pub async fn run(cmd: CaseCommand) -> anyhow::Result<()> {
    match cmd {
        CaseCommand::List {
            state,
            region,
            overdue,
            login,
        } => {
            let (app, by) = log_in(&login).await?;
            let stage = state.as_deref().map(stage_of).transpose()?;
            let region = region
                .as_deref()
                .map(|r| RegionCode::parse(r).map_err(|e| anyhow!("--region {r:?}: {e}")))
                .transpose()?;
            let views = cases::queue(&app, &by, region, stage, overdue).await?;
            println!("id\thousehold\tvillage\tkind\tchannel\tstage\tclue_date\tstep_due\toverdue");
            for v in &views {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    v.record.id.0,
                    v.record.household.0,
                    v.record.region,
                    v.case.opening.kind.code(),
                    v.case.opening.channel.code(),
                    v.case.stage.code(),
                    v.case.opening.clue_date,
                    v.step_due.map(|d| d.to_string()).unwrap_or_default(),
                    if v.overdue { "yes" } else { "" }
                );
            }
            eprintln!("{} cases", views.len());
        }
        CaseCommand::Show { id, login } => {
            let (app, by) = log_in(&login).await?;
            let v = cases::get(&app, &by, CaseId(id)).await?;
            let c = &v.case;
            println!(
                "case {id} · household {} · village {}",
                v.record.household.0, v.record.region
            );
            println!(
                "{} · {} · stage {} · version {}",
                label(c.opening.kind),
                label(c.opening.channel),
                label(c.stage),
                c.version
            );
            println!("clue {}: {}", c.opening.clue_date, c.opening.summary);
            if let Some(d) = v.step_due {
                println!("step due {d}{}", if v.overdue { " (overdue)" } else { "" });
            }
            println!("steps:");
            for (event, stamp) in &v.record.events {
                println!(
                    "  {}  {:<18} {}  ({}, recorded {})",
                    stamp.valid_from,
                    event.name(),
                    uplift_web::case_event_detail(event),
                    stamp.actor,
                    stamp.recorded_at.to_rfc3339()
                );
            }
            println!("next: {}", v.next.join(", "));
        }
        CaseCommand::Open {
            household_no,
            channel,
            clue_date,
            summary,
            risk_hint,
            green_channel,
            login,
        } => {
            let (app, by) = log_in(&login).await?;
            let household = household_by_no(&app, &household_no).await?;
            let channel = Channel::parse(&channel).map_err(|e| anyhow!("--channel: {e}"))?;
            let clue_date = match clue_date {
                Some(d) => chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                    .with_context(|| format!("--clue-date {d:?}: expected YYYY-MM-DD"))?,
                None => app.clock.today(),
            };
            let clue = Clue {
                channel,
                clue_date,
                summary,
                risk_hint,
                green_channel,
            };
            let id = cases::open_clue(&app, &by, household, clue, "cli").await?;
            println!("opened case {}", id.0);
        }
        CaseCommand::Step {
            id,
            command,
            set,
            login,
        } => {
            let (app, by) = log_in(&login).await?;
            let mut body = serde_json::Map::new();
            body.insert("command".into(), serde_json::Value::String(command));
            for pair in &set {
                let Some((k, v)) = pair.split_once('=') else {
                    bail!("--set {pair:?}: expected FIELD=VALUE");
                };
                body.insert(k.trim().to_owned(), value_of(v.trim()));
            }
            let cmd = uplift_web::parse_case_command(serde_json::Value::Object(body))
                .map_err(|e| anyhow!(e))?;
            let version = cases::get(&app, &by, CaseId(id)).await?.case.version;
            let v = cases::act(&app, &by, CaseId(id), version, cmd, "cli").await?;
            println!(
                "case {id}: {} (version {})",
                label(v.case.stage),
                v.case.version
            );
        }
        CaseCommand::Document {
            id,
            kind,
            phone,
            out,
            login,
        } => {
            let which = CaseDocument::parse(&kind)
                .ok_or_else(|| anyhow!("unknown document {kind:?}: notice or announcement"))?;
            let (app, by) = log_in(&login).await?;
            let doc =
                documents::case_document(&app, &by, CaseId(id), which, phone.as_deref()).await?;
            write_pdf(&doc, &out)?;
        }
        CaseCommand::Card {
            household_no,
            phone,
            out,
            login,
        } => {
            let (app, by) = log_in(&login).await?;
            let household = household_by_no(&app, &household_no).await?;
            let doc = documents::assistance_card(&app, &by, household, phone.as_deref()).await?;
            write_pdf(&doc, &out)?;
        }
    }
    Ok(())
}

fn write_pdf(doc: &uplift_pdf::Document, out: &std::path::Path) -> anyhow::Result<()> {
    let bytes = uplift_pdf::render(doc)?;
    std::fs::write(out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
    println!("wrote {} ({} bytes)", out.display(), bytes.len());
    Ok(())
}
