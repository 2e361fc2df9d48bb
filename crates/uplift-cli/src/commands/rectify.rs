//! `uplift rectify …` (the rectification ledger), `uplift tasks …` (five-level responsibility)
//! and `uplift bulletin` (the monthly bulletin as .xlsx or .csv). The CLI acts with the machine's
//! trust under the `--as` name, which every step records.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use uplift_app::access::Principal;
use uplift_app::import::table::Table;
use uplift_app::imports::sheet::{Format, Sheet};
use uplift_app::rectify::bulletin;
use uplift_app::rectify::import::{import, report_sheet, template};
use uplift_app::rectify::responsibility;
use uplift_app::rectify::store::{NewTask, Responsibility};
use uplift_app::rectify::{self, ProblemId, ProblemView, TaskId, Upload};
use uplift_domain::household::Codebook;
use uplift_domain::rectify::{Assignment, Command, ProblemState, Progress};
use uplift_domain::region::{RegionCode, RegionLevel};

use crate::cli::{DatabaseArg, PolicyArg};
use crate::startup::{self, open_db};

#[derive(Debug, Args)]
pub struct Db {
    #[command(flatten)]
    pub database: DatabaseArg,
    #[command(flatten)]
    pub policy: PolicyArg,
}

#[derive(Debug, Subcommand)]
pub enum RectifyCommand {
    /// Import a problem list (.xlsx or .csv); all or nothing. Issues name row, column and field.
    Import {
        file: PathBuf,
        /// Check only; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write the issue report here (.xlsx or .csv).
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        #[command(flatten)]
        db: Db,
    },
    /// Write an empty problem list with the documented headers.
    Template { out: PathBuf },
    /// List the ledger.
    List {
        #[arg(long)]
        region: Option<String>,
        /// recorded, assigned, submitted or closed.
        #[arg(long)]
        state: Option<String>,
        #[command(flatten)]
        db: Db,
    },
    /// One problem with its steps.
    Show {
        id: i64,
        #[command(flatten)]
        db: Db,
    },
    /// Export the ledger (台账) as .xlsx or .csv.
    Export {
        out: PathBuf,
        #[arg(long)]
        region: Option<String>,
        #[command(flatten)]
        db: Db,
    },
    /// Take a step: assign, report, submit, sign_off, reject_sign_off or reopen.
    Act(ActArgs),
}

#[derive(Debug, Args)]
pub struct ActArgs {
    pub id: i64,
    /// assign, report, submit, sign_off, reject_sign_off or reopen.
    pub command: String,
    /// The progress, summary, opinion or reason.
    #[arg(long, default_value = "")]
    pub text: String,
    /// An evidence file of a report (repeat for several).
    #[arg(long = "evidence", value_name = "FILE")]
    pub evidence: Vec<PathBuf>,
    /// For assign: the responsible region.
    #[arg(long = "responsible-region")]
    pub responsible_region: Option<String>,
    #[arg(long = "lead-unit")]
    pub lead_unit: Option<String>,
    /// For assign: a responsible unit (repeat for several).
    #[arg(long = "unit")]
    pub units: Vec<String>,
    #[arg(long = "person")]
    pub person: Option<String>,
    #[arg(long)]
    pub measures: Option<String>,
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub deadline: Option<NaiveDate>,
    #[command(flatten)]
    pub db: Db,
}

#[derive(Debug, Subcommand)]
pub enum TasksCommand {
    /// Assign a task to every region of a level under a region.
    Assign {
        #[arg(long)]
        region: String,
        /// city, county, township or village.
        #[arg(long)]
        level: String,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        deadline: NaiveDate,
        #[command(flatten)]
        db: Db,
    },
    /// List the tasks with completion rolled up at each level.
    List {
        #[command(flatten)]
        db: Db,
    },
    /// Record a target region's completion.
    Complete {
        id: i64,
        #[arg(long)]
        region: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        on: NaiveDate,
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        db: Db,
    },
    /// Name a region's responsible secretary and work units.
    Secretary {
        #[arg(long)]
        region: String,
        #[arg(long)]
        name: String,
        #[arg(long = "unit")]
        units: Vec<String>,
        #[command(flatten)]
        db: Db,
    },
}

#[derive(Debug, Args)]
pub struct BulletinArgs {
    /// The region whose sub-regions are ranked.
    #[arg(long)]
    pub region: String,
    /// YYYY-MM.
    #[arg(long)]
    pub month: String,
    /// Write the bulletin here (.xlsx, .csv or .pdf); without it, print it.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub db: Db,
}

async fn app_of(db: &Db) -> anyhow::Result<uplift_app::App> {
    let store = open_db(&db.database.database).await?;
    Ok(startup::app(&store, startup::policy_book(&db.policy)?))
}

fn region(s: &str) -> anyhow::Result<RegionCode> {
    RegionCode::parse(s.trim()).map_err(|e| anyhow::anyhow!("region {s:?}: {e}"))
}

fn write_sheet(sheet: &Sheet, out: &Path) -> anyhow::Result<()> {
    let format = Format::parse(&out.display().to_string())
        .with_context(|| format!("{}: the file must end in .xlsx or .csv", out.display()))?;
    let bytes = sheet.write(format)?;
    std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))
}

fn print_problem(v: &ProblemView) {
    let p = &v.problem;
    let flags = match (v.overdue, v.stalled) {
        (true, _) => " 逾期 overdue",
        (false, true) => " 停滞 stalled",
        _ => "",
    };
    println!(
        "#{} {} [{} {}] {} · {} · {}{}",
        v.record.id.0,
        p.facts.title,
        p.state.zh(),
        p.state.code(),
        p.responsible_region(),
        p.facts.fix_kind.zh(),
        p.deadline().map(|d| d.to_string()).unwrap_or_default(),
        flags
    );
}

pub async fn run_rectify(cmd: RectifyCommand, actor: &str) -> anyhow::Result<()> {
    let by = Principal::machine(actor);
    match cmd {
        RectifyCommand::Import {
            file,
            dry_run,
            report,
            db,
        } => {
            let app = app_of(&db).await?;
            let mut table = Table::open(&file).map_err(|e| anyhow::anyhow!("{e}"))?;
            let outcome = import(&app, &by, &mut table, dry_run, "cli").await?;
            for i in &outcome.issues {
                eprintln!(
                    "{}: row {}, column {} ({}): {} · {}",
                    i.file, i.row, i.column, i.field, i.message_zh, i.message_en
                );
            }
            if let Some(out) = report {
                write_sheet(&report_sheet(&outcome), &out)?;
            }
            if !outcome.issues.is_empty() {
                bail!(
                    "{} issues in {} rows; nothing was written",
                    outcome.issues.len(),
                    outcome.rows
                );
            }
            if dry_run {
                println!("检查通过 checked: {} rows, nothing written", outcome.rows);
            } else {
                let ids: Vec<String> = outcome.recorded.iter().map(|p| p.0.to_string()).collect();
                println!("已登记 recorded {} problems: {}", ids.len(), ids.join(", "));
            }
            Ok(())
        }
        RectifyCommand::Template { out } => write_sheet(&template(), &out),
        RectifyCommand::List {
            region: r,
            state,
            db,
        } => {
            let app = app_of(&db).await?;
            let r = r.as_deref().map(region).transpose()?;
            let state = match state.as_deref() {
                None => None,
                Some(s) => Some(
                    ProblemState::ALL
                        .iter()
                        .copied()
                        .find(|x| x.code() == s)
                        .with_context(|| {
                            format!("state {s:?}: recorded, assigned, submitted or closed")
                        })?,
                ),
            };
            for v in rectify::list(&app, &by, r, state).await? {
                print_problem(&v);
            }
            Ok(())
        }
        RectifyCommand::Show { id, db } => {
            let app = app_of(&db).await?;
            let v = rectify::get(&app, &by, ProblemId(id)).await?;
            print_problem(&v);
            for (i, (e, s)) in v.record.events.iter().enumerate() {
                println!(
                    "  {}. {} {} · {} · {}",
                    i + 1,
                    s.valid_from,
                    e.zh(),
                    e.en(),
                    s.actor
                );
            }
            Ok(())
        }
        RectifyCommand::Export { out, region: r, db } => {
            let app = app_of(&db).await?;
            let r = r.as_deref().map(region).transpose()?;
            let views = rectify::list(&app, &by, r, None).await?;
            write_sheet(&rectify::ledger_sheet(&app, &views, false), &out)?;
            println!("{} problems → {}", views.len(), out.display());
            Ok(())
        }
        RectifyCommand::Act(a) => act(a, &by).await,
    }
}

async fn act(a: ActArgs, by: &Principal) -> anyhow::Result<()> {
    let app = app_of(&a.db).await?;
    let text = a.text.clone();
    let command = match a.command.as_str() {
        "assign" => Command::Assign(Assignment {
            responsible_region: region(
                a.responsible_region
                    .as_deref()
                    .context("assign needs --responsible-region")?,
            )?,
            lead_unit: a.lead_unit.clone().context("assign needs --lead-unit")?,
            responsible_units: a.units.clone(),
            responsible_person: a.person.clone().context("assign needs --person")?,
            measures: a.measures.clone().context("assign needs --measures")?,
            deadline: a.deadline.context("assign needs --deadline")?,
        }),
        "report" => Command::Report(Progress {
            text,
            evidence: vec![],
        }),
        "submit" => Command::Submit { summary: text },
        "sign_off" => Command::SignOff { opinion: text },
        "reject_sign_off" => Command::RejectSignOff { reason: text },
        "reopen" => Command::Reopen { reason: text },
        other => bail!(
            "unknown step {other:?}; expected assign, report, submit, sign_off, reject_sign_off or reopen"
        ),
    };
    let mut uploads = Vec::new();
    for path in &a.evidence {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "evidence".to_owned());
        let lower = file_name.to_ascii_lowercase();
        let content_type = if lower.ends_with(".jpg") || lower.ends_with(".jpeg") {
            "image/jpeg"
        } else if lower.ends_with(".png") {
            "image/png"
        } else if lower.ends_with(".pdf") {
            "application/pdf"
        } else {
            "application/octet-stream"
        };
        uploads.push(Upload {
            file_name,
            content_type: content_type.to_owned(),
            bytes,
        });
    }
    let v = rectify::act(&app, by, ProblemId(a.id), command, uploads, "cli").await?;
    print_problem(&v);
    Ok(())
}

pub async fn run_tasks(cmd: TasksCommand, actor: &str) -> anyhow::Result<()> {
    let by = Principal::machine(actor);
    match cmd {
        TasksCommand::Assign {
            region: r,
            level,
            title,
            description,
            deadline,
            db,
        } => {
            let app = app_of(&db).await?;
            let target_level = RegionLevel::parse(&level)
                .with_context(|| format!("level {level:?}: city, county, township or village"))?;
            let id = responsibility::assign_task(
                &app,
                &by,
                NewTask {
                    region: region(&r)?,
                    title,
                    description,
                    target_level,
                    deadline,
                },
                "cli",
            )
            .await?;
            println!("已下达 task {}", id.0);
            Ok(())
        }
        TasksCommand::List { db } => {
            let app = app_of(&db).await?;
            for t in responsibility::tasks(&app, &by).await? {
                let r = &t.record;
                println!(
                    "#{} {} · {} → {} · {}",
                    r.id.0,
                    r.task.title,
                    r.task.region,
                    r.task.target_level.as_str(),
                    r.task.deadline
                );
                for (level, rows) in &t.levels {
                    let cells: Vec<String> = rows
                        .iter()
                        .map(|x| format!("{} {}/{}", x.region.prefix(), x.done, x.total))
                        .collect();
                    println!("  {}: {}", level.as_str(), cells.join(" · "));
                }
            }
            Ok(())
        }
        TasksCommand::Complete {
            id,
            region: r,
            on,
            note,
            db,
        } => {
            let app = app_of(&db).await?;
            responsibility::complete_task(
                &app,
                &by,
                TaskId(id),
                &region(&r)?,
                Some(on),
                &note,
                "cli",
            )
            .await?;
            println!("已完成 task {id} at {r}");
            Ok(())
        }
        TasksCommand::Secretary {
            region: r,
            name,
            units,
            db,
        } => {
            let app = app_of(&db).await?;
            responsibility::set_responsibility(
                &app,
                &by,
                Responsibility {
                    region: region(&r)?,
                    secretary: name,
                    units,
                },
                "cli",
            )
            .await?;
            println!("已记录 recorded");
            Ok(())
        }
    }
}

pub async fn run_bulletin(args: BulletinArgs, actor: &str) -> anyhow::Result<()> {
    let by = Principal::machine(actor);
    let app = app_of(&args.db).await?;
    let b = bulletin::bulletin(&app, &by, region(&args.region)?, &args.month).await?;
    let sheet = bulletin::sheet(&b);
    match args.out {
        Some(out)
            if out
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("pdf")) =>
        {
            let bytes = uplift_pdf::render(&bulletin::document(&b))?;
            std::fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
            println!("{} rows → {}", sheet.rows.len(), out.display());
        }
        Some(out) => {
            write_sheet(&sheet, &out)?;
            println!("{} rows → {}", sheet.rows.len(), out.display());
        }
        None => {
            println!("{}", sheet.headers.join(","));
            for row in &sheet.rows {
                println!("{}", row.join(","));
            }
        }
    }
    Ok(())
}
