//! `uplift villages …` (village profiles, 村情), `uplift campaign …` (concentrated screening,
//! 集中排查) and `uplift sample …` (the assessors' sample). The CLI acts with the machine's trust
//! under the `--as` name, which every version and visit records.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::Subcommand;
use uplift_app::access::Principal;
use uplift_app::campaigns::{self, CampaignId, NewCampaign, VisitInput};
use uplift_app::imports::sheet::{Format, Sheet};
use uplift_app::villages::{self, NewReading};
use uplift_domain::campaign::{CampaignScope, VisitOutcome};
use uplift_domain::household::HouseholdNo;
use uplift_domain::region::RegionCode;
use uplift_domain::version::ReadAt;
use uplift_domain::village::Reading;

use crate::cli::{DatabaseArg, PolicyArg};
use crate::startup::{self, open_db};

#[derive(Debug, Subcommand)]
pub enum VillagesCommand {
    /// Record one indicator of a village (a new version; corrections too).
    Record {
        /// The 12-digit village code.
        village: String,
        /// The indicator code of the pack (`uplift villages indicators`).
        indicator: String,
        /// The value: households covered (share), 1/0 (flag) or a count.
        value: i64,
        /// For a share: the number of households it is out of.
        #[arg(long)]
        base: Option<i64>,
        /// The date the reading describes (default: today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<NaiveDate>,
        /// The project (project-library number) that changed the indicator.
        #[arg(long)]
        project: Option<String>,
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// A village's profile against the pack's targets.
    Show {
        village: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<NaiveDate>,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// The indicators of a region rolled up, with the villages that miss a target.
    Rollup {
        region: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<NaiveDate>,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Import profile readings (.xlsx or .csv, the export's columns); all or nothing.
    Import {
        file: PathBuf,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Export the profiles of every village under a region (.xlsx or .csv by extension).
    Export {
        region: String,
        out: PathBuf,
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<NaiveDate>,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Open a county's campaign and build its visit lists.
    Open {
        /// The 6-digit county code.
        #[arg(long)]
        county: String,
        #[arg(long)]
        name: String,
        /// all_households or must_visit (the pack's 八必访 groups).
        #[arg(long, default_value = "must_visit")]
        scope: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: NaiveDate,
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: NaiveDate,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// The campaigns.
    List {
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// A campaign's visit list, narrowed to a village (or township) and a helper; with --out,
    /// written as .xlsx or .csv.
    Households {
        id: i64,
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        helper: Option<String>,
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Record a visit against the list; a finding (risk_found) opens a case (集中排查).
    Visit {
        id: i64,
        /// The household number.
        household_no: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<NaiveDate>,
        /// no_risk, risk_found or not_reached.
        #[arg(long)]
        outcome: String,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long, default_value = "")]
        problems: String,
        /// A risk type code of the pack for a finding.
        #[arg(long)]
        risk: Option<String>,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Coverage, findings, new identifications and problems by region; coverage by day.
    Report {
        id: i64,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum SampleCommand {
    /// Draw a county's sample of villages and households; the same seed gives the same sample.
    Draw {
        #[arg(long)]
        county: String,
        #[arg(long)]
        seed: u64,
        /// The registry date the sample is drawn from (default: today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<NaiveDate>,
        /// Write the visit forms (.xlsx, .csv or .pdf).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
}

fn code(s: &str) -> anyhow::Result<RegionCode> {
    RegionCode::parse(s).with_context(|| format!("region code {s:?}"))
}

fn write_sheet(sheet: &Sheet, out: &Path) -> anyhow::Result<()> {
    let format = Format::parse(&out.to_string_lossy())
        .with_context(|| format!("{}: the file must end in .xlsx or .csv", out.display()))?;
    let bytes = sheet
        .write(format)
        .map_err(|e| anyhow::anyhow!("{}", e.0))?;
    std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))
}

async fn app_of(
    database: &DatabaseArg,
    policy: &PolicyArg,
) -> anyhow::Result<(uplift_db::Db, uplift_app::App)> {
    let db = open_db(&database.database).await?;
    let app = startup::app(&db, startup::policy_book(policy)?);
    Ok((db, app))
}

pub async fn run_villages(cmd: VillagesCommand, actor: &str) -> anyhow::Result<()> {
    let by = Principal::machine(actor);
    match cmd {
        VillagesCommand::Record {
            village,
            indicator,
            value,
            base,
            date,
            project,
            note,
            database,
            policy,
        } => {
            let (_db, app) = app_of(&database, &policy).await?;
            let village = code(&village)?;
            let date = date.unwrap_or_else(|| app.clock.today());
            let reading = NewReading {
                village,
                indicator: indicator.clone(),
                date,
                reading: Reading { value, base },
                project,
                note,
            };
            villages::record(&app, &by, &[reading], "cli").await?;
            println!(
                "记录 recorded {indicator} of {} as of {date}",
                village.as_str()
            );
        }
        VillagesCommand::Show {
            village,
            as_of,
            database,
            policy,
        } => {
            let (_db, app) = app_of(&database, &policy).await?;
            let at = ReadAt::current(as_of.unwrap_or_else(|| app.clock.today()));
            let p = villages::profile(&app, &by, &code(&village)?, at).await?;
            println!(
                "{} {} as of {}",
                p.village.code.as_str(),
                p.village.name,
                at.as_of
            );
            for row in &p.rows {
                let ind = &row.indicator;
                let (reading, date, project) = match &row.reading {
                    Some(r) => (
                        ind.reading_text(r.value.reading, true),
                        r.stamp.valid_from.to_string(),
                        r.value.project.clone().unwrap_or_default(),
                    ),
                    None => ("—".into(), String::new(), String::new()),
                };
                let status = match row.meets {
                    Some(true) => "达标 met",
                    Some(false) => "未达标 GAP",
                    None if row.reading.is_none() => "未填报 not recorded",
                    None => "",
                };
                println!(
                    "  {:<24} {:<14} {:<18} target {:<8} {:<20} {} {}",
                    ind.code,
                    ind.zh,
                    reading,
                    ind.target_text(true),
                    status,
                    date,
                    project
                );
            }
        }
        VillagesCommand::Rollup {
            region,
            as_of,
            database,
            policy,
        } => {
            let (_db, app) = app_of(&database, &policy).await?;
            let at = ReadAt::current(as_of.unwrap_or_else(|| app.clock.today()));
            let r = villages::rollup(&app, &by, &code(&region)?, at).await?;
            println!(
                "{} {} as of {}",
                r.dashboard.region.code.as_str(),
                r.dashboard.region.name,
                at.as_of
            );
            for (ind, t) in r.indicators.iter().zip(&r.totals) {
                let coverage = t
                    .permille()
                    .map(|pm| format!(" coverage {}.{}%", pm / 10, pm % 10))
                    .unwrap_or_default();
                println!(
                    "  {:<24} met {:>4} gap {:>4} not recorded {:>4}{coverage}",
                    ind.code, t.met, t.gap, t.unrecorded
                );
            }
            for (village, missed) in &r.gaps {
                println!(
                    "  gap: {} {}: {}",
                    village.code.as_str(),
                    village.name,
                    missed.join(", ")
                );
            }
        }
        VillagesCommand::Import {
            file,
            database,
            policy,
        } => {
            let (_db, app) = app_of(&database, &policy).await?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.display().to_string());
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let n = villages::import(&app, &by, &name, bytes, &format!("import:{name}")).await?;
            println!("导入 imported {n} reading(s) from {name}");
        }
        VillagesCommand::Export {
            region,
            out,
            as_of,
            database,
            policy,
        } => {
            let (_db, app) = app_of(&database, &policy).await?;
            let at = ReadAt::current(as_of.unwrap_or_else(|| app.clock.today()));
            let sheet = villages::export(&app, &by, &code(&region)?, at).await?;
            write_sheet(&sheet, &out)?;
            println!("{} row(s) → {}", sheet.rows.len(), out.display());
        }
    }
    Ok(())
}

pub async fn run_campaign(cmd: CampaignCommand, actor: &str) -> anyhow::Result<()> {
    let by = Principal::machine(actor);
    match cmd {
        CampaignCommand::Open {
            county,
            name,
            scope,
            from,
            to,
            database,
            policy,
        } => {
            let (_db, app) = app_of(&database, &policy).await?;
            let Some(scope) = CampaignScope::parse(&scope) else {
                bail!("unknown scope {scope:?}; expected all_households or must_visit");
            };
            let (id, n) = campaigns::open(
                &app,
                &by,
                NewCampaign {
                    county: code(&county)?,
                    name,
                    scope,
                    start: from,
                    end: to,
                },
                "cli",
            )
            .await?;
            println!("排查 campaign {}: {n} household(s) to visit", id.0);
        }
        CampaignCommand::List { database, policy } => {
            let (_db, app) = app_of(&database, &policy).await?;
            for c in campaigns::list(&app, &by).await? {
                println!(
                    "{:>4} {} {} {} {}..{} by {}",
                    c.id.0,
                    c.campaign.county.prefix(),
                    c.campaign.name,
                    c.campaign.scope.code(),
                    c.campaign.start,
                    c.campaign.end,
                    c.actor
                );
            }
        }
        CampaignCommand::Households {
            id,
            region,
            helper,
            out,
            database,
            policy,
        } => {
            let (_db, app) = app_of(&database, &policy).await?;
            let region = region.as_deref().map(code).transpose()?;
            let sheet = campaigns::list_sheet(&app, &by, CampaignId(id), region, helper).await?;
            match out {
                Some(out) => {
                    write_sheet(&sheet, &out)?;
                    println!("{} household(s) → {}", sheet.rows.len(), out.display());
                }
                None => {
                    for row in &sheet.rows {
                        println!("{}", row.join("\t"));
                    }
                }
            }
        }
        CampaignCommand::Visit {
            id,
            household_no,
            date,
            outcome,
            note,
            problems,
            risk,
            database,
            policy,
        } => {
            let (db, app) = app_of(&database, &policy).await?;
            let Some(outcome) = VisitOutcome::parse(&outcome) else {
                bail!("unknown outcome {outcome:?}; expected no_risk, risk_found or not_reached");
            };
            let today = app.clock.today();
            let no = HouseholdNo::parse(&household_no)
                .map_err(|e| anyhow::anyhow!("household number {household_no:?}: {e}"))?;
            let store = db.store();
            let Some(household) = store
                .find_household_by_no(&no, ReadAt::current(today))
                .await?
            else {
                bail!("no household {household_no}");
            };
            let done = campaigns::record_visit(
                &app,
                &by,
                CampaignId(id),
                VisitInput {
                    household,
                    date: date.unwrap_or(today),
                    outcome,
                    problems,
                    note,
                    risk_hint: risk,
                },
                "cli",
            )
            .await?;
            print!("走访 visit {} recorded", done.visit);
            if let Some(case) = done.case {
                print!("; 线索 case {} opened", case.0);
            }
            if let Some(why) = done.case_note {
                print!("; {why}");
            }
            println!();
        }
        CampaignCommand::Report {
            id,
            database,
            policy,
        } => {
            let (_db, app) = app_of(&database, &policy).await?;
            let r = campaigns::report(&app, &by, CampaignId(id)).await?;
            let line = |name: &str, row: &campaigns::ReportRow| {
                let cov = row
                    .coverage_permille()
                    .map(|pm| format!("{}.{}%", pm / 10, pm % 10))
                    .unwrap_or_else(|| "—".into());
                println!(
                    "{name:<20} listed {:>5} covered {:>5} ({cov}) visits {:>5} findings {:>4} cases {:>4} identified {:>4} problems {:>4}",
                    row.listed,
                    row.covered,
                    row.visits,
                    row.findings,
                    row.cases_opened,
                    row.new_identifications,
                    row.problems
                );
            };
            println!(
                "{} {} ({}..{})",
                r.record.id.0,
                r.record.campaign.name,
                r.record.campaign.start,
                r.record.campaign.end
            );
            line("total", &r.total);
            for (region, row) in &r.children {
                line(&region.name, row);
            }
            for (day, covered) in &r.daily {
                println!("  {day} covered {covered}");
            }
        }
    }
    Ok(())
}

pub async fn run_sample(cmd: SampleCommand, actor: &str) -> anyhow::Result<()> {
    let by = Principal::machine(actor);
    match cmd {
        SampleCommand::Draw {
            county,
            seed,
            as_of,
            out,
            database,
            policy,
        } => {
            let (_db, app) = app_of(&database, &policy).await?;
            let as_of = as_of.unwrap_or_else(|| app.clock.today());
            let sample =
                uplift_app::sampling::draw(&app, &by, &code(&county)?, seed, as_of).await?;
            println!(
                "抽样 sample of {} seed {seed} as of {as_of}: {} villages, {} households",
                sample.county.name,
                sample.villages.len(),
                sample.households.len()
            );
            for v in &sample.villages {
                println!("  village {} {}", v.code.as_str(), v.name);
            }
            for s in &sample.strata {
                println!(
                    "  stratum {:<16} population {:>6} drawn {:>4}",
                    s.key, s.population, s.drawn
                );
            }
            if let Some(out) = out {
                if out.to_string_lossy().to_ascii_lowercase().ends_with(".pdf") {
                    let bytes =
                        uplift_web::forms::sample_pdf(&sample).map_err(anyhow::Error::msg)?;
                    std::fs::write(&out, bytes)
                        .with_context(|| format!("writing {}", out.display()))?;
                } else {
                    write_sheet(&uplift_app::sampling::visit_forms(&sample), &out)?;
                }
                println!("visit forms → {}", out.display());
            }
        }
    }
    Ok(())
}
