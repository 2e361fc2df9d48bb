//! `uplift import households|incomes FILE` and `uplift export households|persons|national OUT`.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use uplift_app::access::Principal;
use uplift_app::imports::export::{ExportKind, ExportRequest, HeaderLang};
use uplift_app::imports::report::report_sheet;
use uplift_app::imports::sheet::Format;
use uplift_app::imports::store::ImportBatch;
use uplift_app::imports::{ImportKind, ImportMode, ImportRequest, Progress};
use uplift_app::store::{HouseholdFilter, Scope};
use uplift_domain::household::{Codebook, HouseholdType};
use uplift_domain::region::RegionCode;
use uplift_domain::version::ReadAt;

use crate::cli::{ExportArgs, ImportArgs, ImportCommand};
use crate::startup::{self, open_db};

/// How many problems the terminal shows; the report holds them all.
const SHOWN: usize = 50;

struct Bar(ProgressBar);

impl Progress for Bar {
    fn rows(&self, rows: u64) {
        self.0.set_position(rows);
    }

    fn phase(&self, name: &'static str) {
        let zh = match name {
            "parse" => "读取 parse",
            "check" => "校验 check",
            "match" => "比对 match",
            "report" => "报告 report",
            "write" => "写入 write",
            other => other,
        };
        self.0.set_message(zh);
    }
}

pub async fn import(cmd: ImportCommand, actor: &str) -> anyhow::Result<()> {
    let (kind, args) = match cmd {
        ImportCommand::Households(a) => (ImportKind::Households, a),
        ImportCommand::Incomes(a) => (ImportKind::Incomes, a),
    };
    let ImportArgs {
        file,
        partial,
        dry_run,
        report,
        quiet,
        database,
        policy,
    } = args;
    let report_format = match &report {
        Some(path) => Some(Format::parse(&path.to_string_lossy()).with_context(|| {
            format!(
                "--report must end in .xlsx or .csv, found {}",
                path.display()
            )
        })?),
        None => None,
    };
    let mode = if dry_run {
        ImportMode::DryRun
    } else if partial {
        ImportMode::Partial
    } else {
        ImportMode::AllOrNothing
    };
    let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.display().to_string());
    let db = open_db(&database.database).await?;
    let app = startup::app(&db, startup::policy_book(&policy)?);
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg:12} {pos} 行 rows ({per_sec}, {elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    };
    let result = uplift_app::imports::run_import(
        &app,
        &Principal::machine(actor),
        ImportRequest {
            kind,
            mode,
            file_name,
            bytes,
        },
        &Bar(bar.clone()),
    )
    .await;
    bar.finish_and_clear();
    let batch = result.map_err(|e| anyhow::anyhow!("{}\n{e}", e.message_zh()))?;
    print_batch(&batch);
    if let (Some(path), Some(format)) = (&report, report_format) {
        write(path, &report_sheet(&batch).write(format)?)?;
        println!("报告 report: {}", path.display());
    }
    match batch.status.as_str() {
        "rejected" => bail!(
            "{}: {} 行有错误，未写入任何数据 · {} row(s) rejected, nothing written (all or \
             nothing; --partial writes the households without errors)",
            batch.file_name,
            batch.counts.rejected_rows,
            batch.counts.rejected_rows
        ),
        "refused" => bail!(
            "{}: 文件含有管辖范围外的户，未写入任何数据 · households outside your region, nothing written",
            batch.file_name
        ),
        _ => Ok(()),
    }
}

fn print_batch(batch: &ImportBatch) {
    let c = &batch.counts;
    let id = batch.id.map(|i| i.0).unwrap_or_default();
    println!(
        "{} · 批次 batch {id} · {} · {} · sha256 {}",
        batch.file_name, batch.mode, batch.status, batch.checksum
    );
    println!(
        "{} rows read, {} rejected; households: {} new, {} changed, {} unchanged, {} skipped; \
         persons: {} new, {} changed, {} unchanged; incomes: {} new, {} changed, {} unchanged; \
         {} errors, {} warnings",
        c.rows,
        c.rejected_rows,
        c.households_new,
        c.households_changed,
        c.households_unchanged,
        c.households_skipped,
        c.persons_new,
        c.persons_changed,
        c.persons_unchanged,
        c.incomes_new,
        c.incomes_changed,
        c.incomes_unchanged,
        c.errors,
        c.warnings
    );
    for i in batch.issues.iter().take(SHOWN) {
        let column = if i.column.is_empty() {
            String::new()
        } else {
            format!(" 列 column {} ({})", i.column, i.field)
        };
        println!(
            "{}: 行 row {}{column} [{} {}] {} · {}",
            batch.file_name, i.row, i.severity, i.rule, i.message_zh, i.message_en
        );
    }
    if batch.issues.len() > SHOWN {
        println!(
            "… {} more in the report (--report OUT.xlsx)",
            batch.issues.len() - SHOWN
        );
    }
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

pub async fn export(args: ExportArgs, actor: &str) -> anyhow::Result<()> {
    if args.kind == "warnings" {
        return super::feeds::export_warnings(&args).await;
    }
    let format = match &args.format {
        Some(f) => Format::parse(f),
        None => Format::parse(&args.out.to_string_lossy()),
    }
    .context("--format csv|xlsx, or an output file ending in .csv or .xlsx")?;
    let kind = ExportKind::parse(&args.kind).context("households, persons or national")?;
    let headers = HeaderLang::parse(&args.headers).context("--headers zh|en")?;
    let region = args
        .region
        .as_deref()
        .map(RegionCode::parse)
        .transpose()
        .context("--region")?;
    let household_type = args
        .household_type
        .as_deref()
        .map(HouseholdType::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--type: {e}"))?;
    let db = open_db(&args.database.database).await?;
    let app = startup::app(
        &db,
        uplift_app::policy::shipped().map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    let as_of = match &args.as_of {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .with_context(|| format!("--as-of must be YYYY-MM-DD, found {d:?}"))?,
        None => app.clock.today(),
    };
    let request = ExportRequest {
        kind,
        filter: HouseholdFilter {
            scope: Scope::Everything,
            region,
            household_type,
            search: args.search.clone(),
            income_band: None,
        },
        at: ReadAt::current(as_of),
        headers,
    };
    let sheet = uplift_app::imports::export::export(&app, &Principal::machine(actor), request)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    write(&args.out, &sheet.write(format)?)?;
    println!(
        "Wrote {} rows ({} {}) to {}",
        sheet.rows.len(),
        args.kind,
        format.extension(),
        args.out.display()
    );
    Ok(())
}
