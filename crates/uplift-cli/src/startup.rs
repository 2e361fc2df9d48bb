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

/// Opens the database, applies missing migrations and unlocks it with the data key: an
/// encrypted database without its key (or with another) is refused here, before any command
/// or the server runs.
pub async fn open_db(url: &str) -> anyhow::Result<Db> {
    let db = open_db_sealed(url).await?;
    let key = data_key()?;
    if let (Some(key), uplift_db::EncryptionState::Plain) = (&key, db.encryption_state().await?) {
        // A key given for a new, empty database: encrypt it from the first row on.
        if db.store().counts().await?.persons == 0 {
            let algorithm = data_cipher()?;
            let (db, _) = db.encrypt_fields(algorithm, key, "uplift").await?;
            tracing::info!(
                cipher = algorithm.name(),
                "encrypting ID numbers and phones at rest"
            );
            return Ok(db);
        }
    }
    db.unlock(key.as_ref()).await
}

/// Opens and migrates the database without its data key: for commands that copy rows as stored.
pub async fn open_db_sealed(url: &str) -> anyhow::Result<Db> {
    let db = Db::connect(url).await?;
    let report = db.migrate().await.context("migrating the database")?;
    if !report.applied.is_empty() {
        tracing::info!(applied = ?report.applied, "migrated");
    }
    Ok(db)
}

static KEY_FILE: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();

/// Remembers `--key-file` for [`open_db`].
pub fn set_key_file(path: Option<std::path::PathBuf>) {
    let _ = KEY_FILE.set(path);
}

/// The data key: from `--key-file` (or `UPLIFT_DATA_KEY_FILE`), else from `UPLIFT_DATA_KEY`.
pub fn data_key() -> anyhow::Result<Option<uplift_db::DataKey>> {
    if let Some(Some(path)) = KEY_FILE.get() {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the key file {}", path.display()))?;
        return uplift_db::DataKey::parse(&text)
            .map(Some)
            .with_context(|| format!("key file {}", path.display()));
    }
    match std::env::var("UPLIFT_DATA_KEY") {
        Ok(text) if !text.trim().is_empty() => uplift_db::DataKey::parse(&text)
            .map(Some)
            .context("UPLIFT_DATA_KEY"),
        _ => Ok(None),
    }
}

/// The cipher a new encrypted database gets: `UPLIFT_DATA_CIPHER`, else SM4-GCM.
pub fn data_cipher() -> anyhow::Result<uplift_db::Algorithm> {
    match std::env::var("UPLIFT_DATA_CIPHER") {
        Ok(name) if !name.trim().is_empty() => {
            uplift_db::Algorithm::parse(&name).context("UPLIFT_DATA_CIPHER")
        }
        _ => Ok(uplift_db::Algorithm::Sm4Gcm),
    }
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
