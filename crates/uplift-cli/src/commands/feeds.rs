//! `uplift feeds import`, `uplift screen`, `uplift export warnings` (issue 5).

use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use uplift_app::feeds::screening::{
    EXPORT_HEADER, ScreenMode, Uploader, all_warnings, export_csv, export_rows, import_file,
    run_screening,
};
use uplift_app::feeds::store::{FeedScope, WarningFilter};
use uplift_screen::FeedKind;

use crate::cli::{DatabaseArg, PolicyArg};
use crate::startup::{self, open_db};

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Import one feed file (.csv or .xlsx) as a batch. KIND: medical, civil_affairs, disability,
    /// education, employment, housing, water, disaster, civil_registry, assets.
    Import {
        kind: String,
        file: PathBuf,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// List the stored feed batches.
    List {
        #[command(flatten)]
        database: DatabaseArg,
    },
}

#[derive(Debug, Args)]
pub struct ScreenArgs {
    /// The reference date of every window (default: today in China Standard Time).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<NaiveDate>,
    /// Screen only the households these batches name (incremental); default: everything.
    #[arg(long = "batch", value_name = "ID")]
    pub batches: Vec<i64>,
    #[command(flatten)]
    pub database: DatabaseArg,
    #[command(flatten)]
    pub policy: PolicyArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

pub async fn run_feeds(cmd: FeedsCommand, actor: &str) -> anyhow::Result<()> {
    match cmd {
        FeedsCommand::Import {
            kind,
            file,
            database,
            policy,
        } => {
            let Some(kind) = FeedKind::parse(&kind) else {
                bail!(
                    "unknown feed {kind:?}; expected one of {}",
                    FeedKind::ALL.map(|k| k.key()).join(", ")
                );
            };
            let db = open_db(&database.database).await?;
            let app = startup::app(&db, startup::policy_book(&policy)?);
            let out = import_file(&app, kind, &file, &Uploader::machine(actor)).await?;
            let b = &out.batch;
            if out.already {
                println!(
                    "已导入过 already imported: batch {} ({} rows); nothing written",
                    b.id, b.batch.rows
                );
                return Ok(());
            }
            println!(
                "批次 batch {}: {} {} rows {}, 匹配 matched {}, 未匹配 unmatched {}",
                b.id,
                kind.key(),
                kind.zh(),
                b.batch.rows,
                b.batch.matched,
                b.batch.unmatched
            );
            for (row, who) in &out.unmatched {
                println!("  未匹配 unmatched: row {row}: {who}");
            }
            Ok(())
        }
        FeedsCommand::List { database } => {
            let db = open_db(&database.database).await?;
            let store = db.store();
            for b in store.feed_batches(&FeedScope::default()).await? {
                let p = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
                println!(
                    "{:>5} {:<15} {} {}..{} rows {} matched {} unmatched {} {}",
                    b.id,
                    b.batch.kind,
                    b.batch.source,
                    p(b.batch.period_from),
                    p(b.batch.period_to),
                    b.batch.rows,
                    b.batch.matched,
                    b.batch.unmatched,
                    b.batch.checksum
                );
            }
            Ok(())
        }
    }
}

pub async fn run_screen(args: ScreenArgs) -> anyhow::Result<()> {
    let db = open_db(&args.database.database).await?;
    let app = startup::app(&db, startup::policy_book(&args.policy)?);
    let as_of = args.as_of.unwrap_or_else(|| app.clock.today());
    let mode = if args.batches.is_empty() {
        ScreenMode::Batch
    } else {
        ScreenMode::Incremental(args.batches)
    };
    let out = run_screening(&app, as_of, mode).await?;
    let r = &out.run;
    if out.already {
        println!("已运行过 already run ({}); nothing written", r.key);
    }
    println!(
        "筛查 screening as of {}: {} ms; 新预警 new {}, 更新 updated {}, 撤销 withdrawn {}",
        r.as_of, r.duration_ms, r.warnings_new, r.warnings_updated, r.warnings_withdrawn
    );
    println!("  规则命中 hits per rule: {}", r.summary);
    println!("  输入 inputs: {}", r.inputs);
    Ok(())
}

/// `uplift export warnings OUT [--format csv|xlsx]`.
pub async fn export_warnings(args: &crate::cli::ExportArgs) -> anyhow::Result<()> {
    let out = args.out.clone();
    let format = match args.format.as_deref() {
        Some("xlsx") => ExportFormat::Xlsx,
        Some(_) => ExportFormat::Csv,
        None if out.to_string_lossy().ends_with(".xlsx") => ExportFormat::Xlsx,
        None => ExportFormat::Csv,
    };
    let database = &args.database;
    let db = open_db(&database.database).await?;
    let app = startup::app(&db, startup::policy_book(&args.policy)?);
    let today = app.clock.today();
    let warnings = all_warnings(&app, &WarningFilter::everything()).await?;
    let rows = export_rows(&app, &warnings, today);
    let header = EXPORT_HEADER;
    match format {
        ExportFormat::Csv => {
            std::fs::write(&out, export_csv(&rows))
                .with_context(|| format!("writing {}", out.display()))?;
        }
        ExportFormat::Xlsx => {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            for (c, h) in header.iter().enumerate() {
                sheet.write_string(0, c as u16, *h)?;
            }
            for (r, row) in rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    sheet.write_string(r as u32 + 1, c as u16, v)?;
                }
            }
            book.save(&out)
                .with_context(|| format!("writing {}", out.display()))?;
        }
    }
    println!("{} warning row(s) → {}", rows.len(), out.display());
    Ok(())
}
