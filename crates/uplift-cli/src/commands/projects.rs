//! `uplift projects …` and `uplift funds …` (issue 9): the project library, fund plans,
//! allocations with the industry-share check, payments, assets, traces, ledgers and notices.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::Subcommand;
use uplift_app::App;
use uplift_app::access::Principal;
use uplift_app::imports::sheet::{Format, Sheet};
use uplift_app::projects::import::ImportOutcome;
use uplift_app::projects::{
    self, Allocation, AssetId, FundPlanId, ProjectFailure, ProjectFilter, ProjectId, trace,
};
use uplift_app::store::HouseholdId;
use uplift_domain::household::{Codebook, HouseholdNo};
use uplift_domain::income::Money;
use uplift_domain::project::{Asset, AssetClass, AssetEvent, ExpenseUse, ProjectEvent};
use uplift_domain::region::RegionCode;
use uplift_domain::version::ReadAt;

use crate::cli::{DatabaseArg, PolicyArg};
use crate::startup::{self, open_db};

#[derive(Debug, Subcommand)]
pub enum ProjectsCommand {
    /// Import a project list (.csv or .xlsx); all or nothing, with a report of every problem.
    Import {
        file: PathBuf,
        /// Where to write the problem report (default: FILE.report.csv).
        #[arg(long)]
        report: Option<PathBuf>,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// List the project library.
    List {
        #[arg(long)]
        county: Option<String>,
        #[arg(long)]
        year: Option<i32>,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// One project with its history.
    Show {
        id: i64,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Township review (乡审核).
    Review {
        id: i64,
        #[arg(long)]
        reject: bool,
        #[arg(long, default_value = "")]
        opinion: String,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// County decision (县审定); `--due-diligence` names the report when the pack asks for one.
    Decide {
        id: i64,
        #[arg(long)]
        reject: bool,
        #[arg(long, default_value = "")]
        opinion: String,
        #[arg(long)]
        due_diligence: Option<String>,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// The project starts (实施).
    Start {
        id: i64,
        #[arg(long)]
        on: NaiveDate,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// A payment from a plan, with its voucher and what it was spent on.
    Disburse {
        id: i64,
        #[arg(long)]
        plan: i64,
        /// Yuan, up to two decimals.
        #[arg(long)]
        amount: String,
        #[arg(long)]
        on: NaiveDate,
        #[arg(long)]
        voucher: String,
        /// An expense use code (production, infrastructure, …).
        #[arg(long = "use", default_value = "production")]
        spent_on: String,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Completion acceptance (竣工验收).
    Accept {
        id: i64,
        #[arg(long)]
        on: NaiveDate,
        #[arg(long, default_value = "")]
        opinion: String,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Roll an unfunded project into a later year's library.
    RollOver {
        id: i64,
        #[arg(long)]
        to_year: i32,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Register an asset an accepted project left (operating, public_welfare, household).
    RegisterAsset {
        id: i64,
        #[arg(long)]
        name: String,
        #[arg(long)]
        class: String,
        #[arg(long)]
        owner: String,
        #[arg(long)]
        manager: String,
        /// Yuan.
        #[arg(long)]
        value: String,
        #[arg(long)]
        on: NaiveDate,
        /// For household assets: HOUSEHOLD_NO:YUAN, repeated.
        #[arg(long = "recipient")]
        recipients: Vec<String>,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Record income an asset produced.
    AssetIncome {
        asset: i64,
        #[arg(long)]
        period: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        on: NaiveDate,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Distribute an asset's income to households: `--share HOUSEHOLD_NO:YUAN`, repeated.
    Distribute {
        asset: i64,
        #[arg(long)]
        period: String,
        #[arg(long)]
        on: NaiveDate,
        #[arg(long = "share", required = true)]
        shares: Vec<String>,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Everything that reached one household (by household number); `--out` writes the ledger.
    Trace {
        household_no: String,
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Write a ledger (.csv or .xlsx by extension): projects or assets of a county.
    Export {
        /// `projects` or `assets`.
        what: String,
        out: PathBuf,
        #[arg(long, default_value = "431026")]
        county: String,
        #[arg(long)]
        year: Option<i32>,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum FundsCommand {
    /// Import fund plans (.csv or .xlsx); all or nothing, with a report of every problem.
    Import {
        file: PathBuf,
        #[arg(long)]
        report: Option<PathBuf>,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// A county's plans of a year, with what was arranged and paid, and the industry share.
    List {
        #[arg(long, default_value = "431026")]
        county: String,
        #[arg(long)]
        year: i32,
        /// Also write the plan ledger (.csv or .xlsx).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Arrange plan money for projects: `--line PROJECT:PLAN:YUAN`, repeated. An arrangement
    /// that puts the industry share below the pack's floor is refused unless `--confirm`.
    Allocate {
        #[arg(long = "line", required = true)]
        lines: Vec<String>,
        #[arg(long)]
        confirm: bool,
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Every project and household one plan reached; `--out` writes the ledger.
    Trace {
        plan: i64,
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Write the public notice (公告公示) of a county's plan of a year: printable HTML, or an
    /// A4 PDF when OUT ends in .pdf.
    Notice {
        #[arg(long, default_value = "431026")]
        county: String,
        #[arg(long)]
        year: i32,
        out: PathBuf,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
}

async fn open(database: &DatabaseArg, policy: &PolicyArg) -> anyhow::Result<App> {
    let db = open_db(&database.database).await?;
    Ok(startup::app(&db, startup::policy_book(policy)?))
}

fn yuan(s: &str) -> anyhow::Result<Money> {
    Money::parse(s).map_err(|e| anyhow::anyhow!("amount {s:?}: {e}"))
}

fn write_sheet(sheet: &Sheet, out: &Path) -> anyhow::Result<()> {
    let format = Format::parse(&out.to_string_lossy())
        .with_context(|| format!("{}: expected a .csv or .xlsx file", out.display()))?;
    let bytes = sheet.write(format)?;
    std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {} ({} rows)", out.display(), sheet.rows.len());
    Ok(())
}

fn report_outcome<T: std::fmt::Debug>(
    out: &ImportOutcome<T>,
    file: &Path,
    report: Option<PathBuf>,
) -> anyhow::Result<()> {
    if out.issues.is_empty() {
        println!("{}: {} rows imported: {:?}", out.file, out.rows, out.ids);
        return Ok(());
    }
    for i in &out.issues {
        eprintln!(
            "{} row {} column {} field {}: {} / {}",
            i.file, i.row, i.column, i.field, i.message_zh, i.message_en
        );
    }
    let path = report.unwrap_or_else(|| {
        let mut p = file.as_os_str().to_owned();
        p.push(".report.csv");
        PathBuf::from(p)
    });
    write_sheet(&out.report, &path)?;
    bail!(
        "{}: {} problems; nothing was written",
        out.file,
        out.issues.len()
    )
}

async fn household_by_no(app: &App, no: &str) -> anyhow::Result<HouseholdId> {
    let parsed = HouseholdNo::parse(no).map_err(|e| anyhow::anyhow!("household {no:?}: {e}"))?;
    app.store
        .find_household_by_no(&parsed, ReadAt::current(app.clock.today()))
        .await?
        .with_context(|| format!("no household {no}"))
}

async fn shares(app: &App, specs: &[String]) -> anyhow::Result<Vec<(i64, Money)>> {
    let mut out = Vec::new();
    for s in specs {
        let (no, amount) = s
            .split_once(':')
            .with_context(|| format!("{s:?}: expected HOUSEHOLD_NO:YUAN"))?;
        out.push((household_by_no(app, no).await?.0, yuan(amount)?));
    }
    Ok(out)
}

fn print_view(v: &projects::ProjectView) {
    let p = &v.project;
    println!(
        "project {} · {} · {} {} · {} · {} · budget {} 元 · allocated {} · paid {} · {}",
        v.record.id.0,
        p.year,
        p.proposal.kind.zh(),
        p.proposal.kind.code(),
        p.proposal.name,
        v.record.region,
        p.proposal.budget_total(),
        p.allocated(),
        p.paid(),
        p.status.zh(),
    );
}

fn failure(e: ProjectFailure) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

pub async fn run_projects(cmd: ProjectsCommand, actor: &str) -> anyhow::Result<()> {
    let by = Principal::machine(actor);
    let source = "cli";
    match cmd {
        ProjectsCommand::Import {
            file,
            report,
            database,
            policy,
        } => {
            let app = open(&database, &policy).await?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let out = projects::import::import_projects(&app, &by, &name, bytes)
                .await
                .map_err(failure)?;
            report_outcome(&out, &file, report)
        }
        ProjectsCommand::List {
            county,
            year,
            database,
            policy,
        } => {
            let app = open(&database, &policy).await?;
            let county = county.map(|c| RegionCode::parse(&c)).transpose()?;
            let views = projects::list(
                &app,
                &by,
                ProjectFilter {
                    scope: uplift_app::store::Scope::Everything,
                    region: None,
                    county,
                    year,
                    status: None,
                },
            )
            .await
            .map_err(failure)?;
            for v in &views {
                print_view(v);
            }
            println!("{} projects", views.len());
            Ok(())
        }
        ProjectsCommand::Show {
            id,
            database,
            policy,
        } => {
            let app = open(&database, &policy).await?;
            let v = projects::get(&app, &by, ProjectId(id))
                .await
                .map_err(failure)?;
            print_view(&v);
            println!("due diligence 尽职调查: {}", v.due_diligence);
            for (e, s) in &v.record.events {
                println!(
                    "  {} {} by {} ({})",
                    s.valid_from,
                    e.name(),
                    s.actor,
                    s.source
                );
            }
            Ok(())
        }
        ProjectsCommand::Review {
            id,
            reject,
            opinion,
            database,
            policy,
        } => {
            let app = open(&database, &policy).await?;
            let today = app.clock.today();
            let event = ProjectEvent::Reviewed {
                approve: !reject,
                opinion,
            };
            let v = projects::step(&app, &by, ProjectId(id), event, today, source)
                .await
                .map_err(failure)?;
            print_view(&v);
            Ok(())
        }
        ProjectsCommand::Decide {
            id,
            reject,
            opinion,
            due_diligence,
            database,
            policy,
        } => {
            let app = open(&database, &policy).await?;
            let today = app.clock.today();
            let event = ProjectEvent::Decided {
                approve: !reject,
                opinion,
                due_diligence,
            };
            let v = projects::step(&app, &by, ProjectId(id), event, today, source)
                .await
                .map_err(failure)?;
            print_view(&v);
            Ok(())
        }
        ProjectsCommand::Start {
            id,
            on,
            database,
            policy,
        } => {
            let app = open(&database, &policy).await?;
            let v = projects::step(
                &app,
                &by,
                ProjectId(id),
                ProjectEvent::Started { on },
                on,
                source,
            )
            .await
            .map_err(failure)?;
            print_view(&v);
            Ok(())
        }
        ProjectsCommand::Disburse {
            id,
            plan,
            amount,
            on,
            voucher,
            spent_on,
            database,
            policy,
        } => {
            let app = open(&database, &policy).await?;
            let spent_on = ExpenseUse::parse(&spent_on)?;
            let event = ProjectEvent::Disbursed {
                plan,
                amount: yuan(&amount)?,
                on,
                voucher,
                spent_on,
            };
            let v = projects::disburse(&app, &by, ProjectId(id), event, source)
                .await
                .map_err(failure)?;
            print_view(&v);
            Ok(())
        }
        ProjectsCommand::Accept {
            id,
            on,
            opinion,
            database,
            policy,
        } => {
            let app = open(&database, &policy).await?;
            let event = ProjectEvent::Accepted { on, opinion };
            let v = projects::step(&app, &by, ProjectId(id), event, on, source)
                .await
                .map_err(failure)?;
            print_view(&v);
            Ok(())
        }
        ProjectsCommand::RollOver {
            id,
            to_year,
            database,
            policy,
        } => {
            let app = open(&database, &policy).await?;
            let today = app.clock.today();
            let event = ProjectEvent::RolledOver { to_year };
            let v = projects::step(&app, &by, ProjectId(id), event, today, source)
                .await
                .map_err(failure)?;
            print_view(&v);
            Ok(())
        }
        ProjectsCommand::RegisterAsset {
            id,
            name,
            class,
            owner,
            manager,
            value,
            on,
            recipients,
            database,
            policy,
        } => {
            let app = open(&database, &policy).await?;
            let asset = Asset {
                name,
                class: AssetClass::parse(&class)?,
                owner,
                manager,
                value: yuan(&value)?,
                registered_on: on,
                recipients: shares(&app, &recipients).await?,
            };
            let aid = projects::register_asset(&app, &by, ProjectId(id), asset, source)
                .await
                .map_err(failure)?;
            println!("asset {} registered for project {id}", aid.0);
            Ok(())
        }
        ProjectsCommand::AssetIncome {
            asset,
            period,
            amount,
            on,
            database,
            policy,
        } => {
            let app = open(&database, &policy).await?;
            let event = AssetEvent::IncomeRecorded {
                period,
                amount: yuan(&amount)?,
                on,
            };
            let r = projects::asset_step(&app, &by, AssetId(asset), event, source)
                .await
                .map_err(failure)?;
            let s = r.state().map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "asset {asset}: income {} 元, distributed {} 元",
                s.income_total(),
                s.distributed_total()
            );
            Ok(())
        }
        ProjectsCommand::Distribute {
            asset,
            period,
            on,
            shares: specs,
            database,
            policy,
        } => {
            let app = open(&database, &policy).await?;
            let event = AssetEvent::Distributed {
                period,
                on,
                shares: shares(&app, &specs).await?,
            };
            let r = projects::asset_step(&app, &by, AssetId(asset), event, source)
                .await
                .map_err(failure)?;
            let s = r.state().map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "asset {asset}: income {} 元, distributed {} 元",
                s.income_total(),
                s.distributed_total()
            );
            Ok(())
        }
        ProjectsCommand::Trace {
            household_no,
            out,
            database,
            policy,
        } => {
            let app = open(&database, &policy).await?;
            let h = household_by_no(&app, &household_no).await?;
            let t = trace::household_trace(&app, &by, h)
                .await
                .map_err(failure)?;
            for l in &t.lines {
                println!(
                    "{} {} {} {} 元 · {} · {}",
                    l.date,
                    l.kind_zh(),
                    l.what,
                    l.amount,
                    l.project.as_ref().map(|p| p.1.as_str()).unwrap_or("-"),
                    l.funds
                );
            }
            println!("total 合计 {} 元", t.total);
            if let Some(out) = out {
                write_sheet(&trace::household_ledger(&t), &out)?;
            }
            Ok(())
        }
        ProjectsCommand::Export {
            what,
            out,
            county,
            year,
            database,
            policy,
        } => {
            let app = open(&database, &policy).await?;
            let county = RegionCode::parse(&county)?;
            let sheet = match what.as_str() {
                "projects" => {
                    let views = projects::list(
                        &app,
                        &by,
                        ProjectFilter {
                            scope: uplift_app::store::Scope::Everything,
                            region: None,
                            county: Some(county),
                            year,
                            status: None,
                        },
                    )
                    .await
                    .map_err(failure)?;
                    trace::project_ledger(&views)
                }
                "assets" => {
                    let assets = projects::assets(&app, &by, Some(&county), None)
                        .await
                        .map_err(failure)?;
                    trace::asset_ledger(&assets).map_err(failure)?
                }
                other => bail!("unknown ledger {other:?}; expected projects or assets"),
            };
            write_sheet(&sheet, &out)
        }
    }
}

fn parse_line(s: &str) -> anyhow::Result<Allocation> {
    let parts: Vec<&str> = s.split(':').collect();
    let [project, plan, amount] = parts.as_slice() else {
        bail!("{s:?}: expected PROJECT:PLAN:YUAN");
    };
    Ok(Allocation {
        project: ProjectId(
            project
                .parse()
                .with_context(|| format!("project in {s:?}"))?,
        ),
        plan: FundPlanId(plan.parse().with_context(|| format!("plan in {s:?}"))?),
        amount: yuan(amount)?,
    })
}

pub async fn run_funds(cmd: FundsCommand, actor: &str) -> anyhow::Result<()> {
    let by = Principal::machine(actor);
    match cmd {
        FundsCommand::Import {
            file,
            report,
            database,
            policy,
        } => {
            let app = open(&database, &policy).await?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let out = projects::import::import_plans(&app, &by, &name, bytes)
                .await
                .map_err(failure)?;
            report_outcome(&out, &file, report)
        }
        FundsCommand::List {
            county,
            year,
            out,
            database,
            policy,
        } => {
            let app = open(&database, &policy).await?;
            let county = RegionCode::parse(&county)?;
            let pack = projects::pack_of_year(&app, &county, year).map_err(failure)?;
            let term = pack.projects.fund_term_zh.clone();
            let usage = projects::plan_usage(&app, &by, &county, year)
                .await
                .map_err(failure)?;
            println!("{year} {term} ({})", pack.projects.fund_term_en);
            for u in &usage {
                println!(
                    "  plan {} · {} · {} · {} · {} 元 · arranged {} · paid {}",
                    u.id.0,
                    u.plan.level.zh(),
                    u.plan.name,
                    u.plan.document,
                    u.plan.amount,
                    u.allocated,
                    u.paid
                );
            }
            let share = projects::industry_share(&app, &by, &county, year)
                .await
                .map_err(failure)?;
            println!(
                "industry share 产业发展比重: {}% (floor {})",
                share.percent_text().unwrap_or_else(|| "-".into()),
                share
                    .floor_percent
                    .map_or_else(|| "none".to_owned(), |f| format!("{f}%"))
            );
            if share.below_floor() {
                println!("WARNING 低于下限: the industry share is below the floor");
            }
            if let Some(out) = out {
                write_sheet(&trace::plan_ledger(&usage, &term), &out)?;
            }
            Ok(())
        }
        FundsCommand::Allocate {
            lines,
            confirm,
            dry_run,
            database,
            policy,
        } => {
            let app = open(&database, &policy).await?;
            let lines = lines
                .iter()
                .map(|l| parse_line(l))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let out = projects::allocate(&app, &by, &lines, confirm, dry_run, "cli")
                .await
                .map_err(failure)?;
            println!(
                "{} {}: industry share {}% → {}%{}",
                out.county,
                out.year,
                out.before.percent_text().unwrap_or_else(|| "-".into()),
                out.after.percent_text().unwrap_or_else(|| "-".into()),
                if out.saved {
                    "; saved"
                } else {
                    "; dry run, nothing saved"
                }
            );
            Ok(())
        }
        FundsCommand::Trace {
            plan,
            out,
            database,
            policy,
        } => {
            let app = open(&database, &policy).await?;
            let t = trace::fund_trace(&app, &by, FundPlanId(plan))
                .await
                .map_err(failure)?;
            println!(
                "{} {} · {} · {} 元",
                t.plan.year, t.term_zh, t.plan.name, t.plan.amount
            );
            for p in &t.projects {
                println!(
                    "  project {} {} arranged {} paid {}",
                    p.id.0, p.name, p.allocated, p.paid
                );
            }
            for h in &t.households {
                println!(
                    "  household {} {} {} 元 ({})",
                    h.household_no, h.asset, h.amount, h.date
                );
            }
            if let Some(out) = out {
                write_sheet(&trace::fund_ledger(&t), &out)?;
            }
            Ok(())
        }
        FundsCommand::Notice {
            county,
            year,
            out,
            database,
            policy,
        } => {
            let app = open(&database, &policy).await?;
            let county = RegionCode::parse(&county)?;
            let d = trace::disclosure(&app, &by, &county, year)
                .await
                .map_err(failure)?;
            let bytes = if out
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("pdf"))
            {
                uplift_web::notice_pdf(&d)?
            } else {
                uplift_web::notice_html(&d)?.into_bytes()
            };
            std::fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
            println!(
                "wrote {} ({} {}, supervision phone {})",
                out.display(),
                year,
                d.term_zh,
                d.supervision_phone
            );
            Ok(())
        }
    }
}
