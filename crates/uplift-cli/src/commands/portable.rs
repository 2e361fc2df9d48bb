//! `uplift export-all DIR` and `uplift import-all DIR`: a whole database as portable files, to
//! move it between SQLite and PostgreSQL.
//!
//! The directory holds `snapshot.jsonl` (every table, JSON lines: the format of `uplift backup`,
//! which `Db::backup` writes and `Db::restore` reads into either backend), the registry in the
//! layouts of formats.md for other tools (`households.csv`, §1; `persons.csv`), and
//! `manifest.json` with each table's row count and SHA-256. `import-all` restores the snapshot
//! into an empty database and then reads every table back to check it against the manifest.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use uplift_app::access::Principal;
use uplift_app::imports::export::{ExportKind, ExportRequest, HeaderLang};
use uplift_app::imports::sheet::Format;
use uplift_app::store::{HouseholdFilter, Scope};
use uplift_db::TableDigest;
use uplift_domain::version::ReadAt;

use crate::cli::DatabaseArg;
use crate::startup;

const FORMAT: &str = "uplift-export-1";
const SNAPSHOT: &str = "snapshot.jsonl";
const MANIFEST: &str = "manifest.json";

#[derive(Debug, Args)]
pub struct ExportAllArgs {
    /// The directory to write (created; must be empty if it exists).
    pub dir: PathBuf,
    #[command(flatten)]
    pub database: DatabaseArg,
}

#[derive(Debug, Args)]
pub struct ImportAllArgs {
    /// A directory written by `uplift export-all`.
    pub dir: PathBuf,
    /// The database to fill: migrated first, and it must hold no households and no users.
    #[command(flatten)]
    pub database: DatabaseArg,
}

fn digests_json(digests: &[TableDigest]) -> serde_json::Value {
    digests
        .iter()
        .map(|d| serde_json::json!({"table": d.table, "rows": d.rows, "sha256": d.sha256}))
        .collect()
}

pub async fn export_all(args: ExportAllArgs, actor: &str) -> anyhow::Result<()> {
    let dir = &args.dir;
    if dir.exists()
        && std::fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .next()
            .is_some()
    {
        bail!("{} is not empty", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // The formats.md files hold plain ID numbers, so an encrypted database needs its key here.
    let db = startup::open_db(&args.database.database).await?;
    let path = dir.join(SNAPSHOT);
    let file = std::fs::File::create(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    let digests = db.backup(&mut writer).await?;
    std::io::Write::flush(&mut writer)?;

    let app = startup::app(
        &db,
        uplift_app::policy::shipped().map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    let today = app.clock.today();
    let mut files = vec![(
        SNAPSHOT,
        "every table, JSON lines (uplift-snapshot-1)".to_owned(),
    )];
    for (kind, name, what) in [
        (
            ExportKind::Households,
            "households.csv",
            "formats.md §1 registry file",
        ),
        (
            ExportKind::Persons,
            "persons.csv",
            "every member with birth date and status",
        ),
    ] {
        let request = ExportRequest {
            kind,
            filter: HouseholdFilter {
                scope: Scope::Everything,
                region: None,
                household_type: None,
                search: None,
                income_band: None,
            },
            at: ReadAt::current(today),
            headers: HeaderLang::Zh,
        };
        let sheet = uplift_app::imports::export::export(&app, &Principal::machine(actor), request)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let bytes = sheet.write(Format::Csv)?;
        std::fs::write(dir.join(name), bytes)
            .with_context(|| format!("cannot write {}", dir.join(name).display()))?;
        files.push((name, format!("{what}, as of {today}")));
    }
    let manifest = serde_json::json!({
        "format": FORMAT,
        "backend": db.backend().name(),
        "files": files.iter().map(|(n, w)| serde_json::json!({"file": n, "holds": w})).collect::<Vec<_>>(),
        "tables": digests_json(&digests),
    });
    std::fs::write(
        dir.join(MANIFEST),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )
    .with_context(|| format!("cannot write {}", dir.join(MANIFEST).display()))?;
    let rows: u64 = digests.iter().map(|d| d.rows).sum();
    println!(
        "Exported {} tables ({rows} rows) from {} to {}.",
        digests.len(),
        db.backend().name(),
        dir.display()
    );
    Ok(())
}

fn read_manifest(dir: &Path) -> anyhow::Result<Vec<TableDigest>> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let manifest: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    if manifest["format"] != FORMAT {
        bail!("{}: not an uplift export-all manifest", path.display());
    }
    let tables = manifest["tables"]
        .as_array()
        .with_context(|| format!("{}: no tables", path.display()))?;
    tables
        .iter()
        .map(|t| {
            Ok(TableDigest {
                table: t["table"].as_str().context("a table name")?.to_owned(),
                rows: t["rows"].as_u64().context("a row count")?,
                sha256: t["sha256"].as_str().context("a digest")?.to_owned(),
            })
        })
        .collect::<anyhow::Result<_>>()
        .with_context(|| format!("{}", path.display()))
}

pub async fn import_all(args: ImportAllArgs) -> anyhow::Result<()> {
    let expected = read_manifest(&args.dir)?;
    // Rows are copied as stored (ciphertext stays ciphertext): no data key needed.
    let db = startup::open_db_sealed(&args.database.database).await?;
    let path = args.dir.join(SNAPSHOT);
    let file =
        std::fs::File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
    db.restore_expecting(&mut std::io::BufReader::new(file), Some(&expected))
        .await
        .with_context(|| format!("importing {}", path.display()))?;
    // Read back what the database now holds and compare it with what was exported.
    let found = db.digests().await?;
    for want in &expected {
        match found.iter().find(|d| d.table == want.table) {
            Some(got) if got == want => {}
            Some(got) => bail!(
                "table {} differs after import: {} rows {} here, {} rows {} exported",
                want.table,
                got.rows,
                got.sha256,
                want.rows,
                want.sha256
            ),
            None => bail!("table {} is missing here", want.table),
        }
    }
    let rows: u64 = expected.iter().map(|d| d.rows).sum();
    println!(
        "Imported {} tables ({rows} rows) into {}; every table matches the manifest.",
        expected.len(),
        db.backend().name()
    );
    Ok(())
}
