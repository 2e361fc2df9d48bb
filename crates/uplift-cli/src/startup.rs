//! Wiring: logs, the clock, the database and the policy book.

use std::sync::Arc;

use anyhow::Context;
use uplift_app::App;
use uplift_app::store::Clock;
use uplift_db::Db;
use uplift_domain::policy::PolicyBook;

use crate::cli::PolicyArg;

pub fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn,uplift=info",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The system clock, in China Standard Time.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> chrono::DateTime<chrono::FixedOffset> {
        chrono::Utc::now().with_timezone(&uplift_domain::version::cst())
    }
}

/// Opens the database and applies missing migrations.
pub async fn open_db(url: &str) -> anyhow::Result<Db> {
    let db = Db::connect(url).await?;
    let report = db.migrate().await.context("migrating the database")?;
    if !report.applied.is_empty() {
        tracing::info!(applied = ?report.applied, "migrated");
    }
    Ok(db)
}

pub fn policy_book(arg: &PolicyArg) -> anyhow::Result<PolicyBook> {
    let book = match &arg.policy_dir {
        Some(dir) => uplift_app::policy::load_dir(dir),
        None => uplift_app::policy::shipped(),
    };
    book.map_err(|e| anyhow::anyhow!("{e}"))
}

pub fn app(db: &Db, policy: PolicyBook) -> App {
    App::new(db.store(), Arc::new(SystemClock), policy)
}

/// The acting user's name: `--as`, or the system user.
pub fn actor(flag: Option<&str>) -> String {
    flag.map(str::to_owned)
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("LOGNAME").ok())
        .unwrap_or_else(|| "cli".to_owned())
}
