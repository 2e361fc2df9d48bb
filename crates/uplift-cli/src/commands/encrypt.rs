//! `uplift encrypt`: encrypt ID numbers and phones of an existing plain database at rest.

use anyhow::{Context, bail};
use clap::Args;

use crate::cli::DatabaseArg;
use crate::startup;

#[derive(Debug, Args)]
pub struct EncryptArgs {
    /// The cipher: sm4-gcm (GB/T 32907 SM4 in GCM) or aes-256-gcm.
    #[arg(long, default_value = "sm4-gcm")]
    pub cipher: String,
    /// Print a fresh random data key (64 hex digits) and do nothing else.
    #[arg(long)]
    pub generate_key: bool,
    #[command(flatten)]
    pub database: DatabaseArg,
}

pub async fn run(args: EncryptArgs, actor: &str) -> anyhow::Result<()> {
    if args.generate_key {
        println!("{}", uplift_db::DataKey::generate_hex());
        return Ok(());
    }
    let algorithm = uplift_db::Algorithm::parse(&args.cipher).context("--cipher")?;
    let Some(key) = startup::data_key()? else {
        bail!(
            "no data key: set UPLIFT_DATA_KEY or pass --key-file (make one with `uplift encrypt --generate-key`)"
        );
    };
    let db = startup::open_db_sealed(&args.database.database).await?;
    let (db, report) = db.encrypt_fields(algorithm, &key, actor).await?;
    let counts = uplift_app::store::Store::counts(&db).await?;
    println!(
        "Encrypted the ID numbers and phones of {} person versions and the ID numbers of {} feed rows \
         with {} ({} persons in {} households); from now on every command and the server need the same data key.",
        report.person_versions,
        report.feed_rows,
        report.algorithm.name(),
        counts.persons,
        counts.households
    );
    Ok(())
}
