//! `uplift bench dashboard`: a city-sized registry, then timed renders of its dashboards.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uplift_app::App;
use uplift_app::store::Scope;
use uplift_domain::region::{RegionCode, RegionLevel};
use uplift_domain::version::ReadAt;

use super::{county_villages, users, write_synth};
use crate::cli::{BenchCommand, BenchDashboardArgs};
use crate::startup::{self, open_db};

/// The city of the benchmark: 郴州市.
pub(super) const CITY: &str = "4310";
/// The county timed alone: 汝城县.
pub(super) const COUNTY: &str = "431026";

pub async fn run(cmd: BenchCommand, actor: &str) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Dashboard(args) => dashboard(args, actor).await,
        BenchCommand::Import(args) => super::bench_import::import(args, actor).await,
        BenchCommand::Screen(args) => super::bench_screen::screen(args),
        BenchCommand::Load(args) => super::bench_load::load(args, actor).await,
    }
}

async fn dashboard(args: BenchDashboardArgs, actor: &str) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        println!("warning: a debug build; measure with `cargo run --release -- bench dashboard`");
    }
    let mut misses = Vec::new();
    let mut urls = vec![args.database.clone()];
    urls.extend(args.postgres.clone());
    for url in &urls {
        misses.extend(measure(url, &args, actor).await?);
    }
    if misses.is_empty() {
        println!("all medians under {} ms", args.target_ms);
        Ok(())
    } else {
        bail!("over {} ms: {}", args.target_ms, misses.join(", "))
    }
}

/// The measurements on one database; the names of the medians over the target.
async fn measure(url: &str, args: &BenchDashboardArgs, actor: &str) -> anyhow::Result<Vec<String>> {
    let db = open_db(url).await?;
    let app = startup::app(&db, startup::policy_book(&args.policy)?);
    let city = RegionCode::parse(CITY)?;
    let county = RegionCode::parse(COUNTY)?;
    populate(&app, actor, &city, args.households).await?;
    let counts = app.store.counts().await?;
    let backend = db.backend().name();
    println!(
        "{backend} {url}: {} households, {} persons, {} income records",
        counts.households, counts.persons, counts.income_records
    );
    // The villages every write since the last read touched (after a fresh city: all of them).
    let started = Instant::now();
    let settled = db.settle_tallies().await?;
    println!(
        "{backend}: settling the village tallies: {} households, {} villages, {} rows in {}",
        settled.households,
        settled.villages,
        settled.rows,
        ms(started.elapsed())
    );

    let today = app.clock.today();
    let now = ReadAt::current(today);
    // A point of knowledge of a moment ago reads exactly what "now" reads, but is always
    // computed live from the version tables (the path every past point of knowledge takes).
    let live = ReadAt {
        as_of: today,
        known_at: Some(app.clock.now()),
    };
    let writer = Writer::new(&app, actor, &county).await?;
    let mut misses = Vec::new();
    for (name, region) in [("county 汝城县 431026", county), ("city 郴州市 4310", city)] {
        let live_times = if args.live_runs == 0 {
            Vec::new()
        } else {
            time_runs(&app, &region, live, args.live_runs).await?
        };
        let repeated = time_runs(&app, &region, now, args.runs).await?;
        let mut after_write = Vec::with_capacity(args.runs);
        let mut replay = Vec::with_capacity(args.runs);
        for i in 0..args.runs.max(1) {
            writer.write(&app, i).await?;
            after_write.push(time_once(&app, &region, now).await?);
            replay.push(time_once(&app, &region, ReadAt::current(replay_date(today, i))).await?);
        }
        println!("{backend} use case, {name}:");
        // The store's part of a render: the tallies of every county of the region, read from
        // the maintained village rows (and the cache of parsed rows).
        let store_times = time_store(&app, &region, now, args.runs).await?;
        println!(
            "  of which the store's tallies, {} runs: {}",
            store_times.len(),
            summary(&store_times)
        );
        if !live_times.is_empty() {
            println!(
                "  live (past point of knowledge, from the version tables), {} runs: {}",
                live_times.len(),
                summary(&live_times)
            );
        }
        for (what, times) in [
            ("repeated", &repeated),
            ("first view after a typed change", &after_write),
            ("as-of replay, a new date each run", &replay),
        ] {
            println!("  {what}, {} runs: {}", times.len(), summary(times));
            if median(times) > Duration::from_millis(args.target_ms) {
                misses.push(format!("{backend} use case {name} {what}"));
            }
        }
    }

    // Over HTTP on loopback, as the city viewer, the page and the JSON.
    users::ensure_demo_users(&app, &county).await?;
    let ticket = uplift_app::access::login(&app, "demo-city", users::DEMO_PASSWORD, None)
        .await
        .map_err(|e| anyhow::anyhow!("logging in the bench user: {e}"))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let service =
        uplift_web::router(app.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, service).await });
    #[derive(Clone, Copy)]
    enum Kind {
        Repeated,
        AfterWrite,
        Replay,
    }
    for (name, path, kind) in [
        (
            "county page",
            format!("/dashboard?region={COUNTY}"),
            Kind::Repeated,
        ),
        (
            "city page",
            format!("/dashboard?region={CITY}"),
            Kind::Repeated,
        ),
        (
            "county JSON",
            format!("/api/v1/dashboard?region={COUNTY}"),
            Kind::Repeated,
        ),
        (
            "city JSON",
            format!("/api/v1/dashboard?region={CITY}"),
            Kind::Repeated,
        ),
        (
            "county page after a typed change",
            format!("/dashboard?region={COUNTY}"),
            Kind::AfterWrite,
        ),
        (
            "city page after a typed change",
            format!("/dashboard?region={CITY}"),
            Kind::AfterWrite,
        ),
        (
            "county page, as-of replay",
            format!("/dashboard?region={COUNTY}"),
            Kind::Replay,
        ),
        (
            "city page, as-of replay",
            format!("/dashboard?region={CITY}"),
            Kind::Replay,
        ),
    ] {
        let mut times = Vec::with_capacity(args.runs);
        let mut bytes = 0;
        for i in 0..args.runs.max(1) {
            let path = match kind {
                Kind::Repeated => path.clone(),
                Kind::AfterWrite => {
                    writer.write(&app, 1000 + i).await?;
                    path.clone()
                }
                Kind::Replay => format!("{path}&as_of={}", replay_date(today, 100 + i)),
            };
            let started = Instant::now();
            bytes = http_get(addr, &path, &ticket.token).await?;
            times.push(started.elapsed());
        }
        println!(
            "{backend} HTTP GET {path} ({name}, {bytes} bytes), {} runs: {}",
            times.len(),
            summary(&times)
        );
        if median(&times) > Duration::from_millis(args.target_ms) {
            misses.push(format!("{backend} HTTP {name}"));
        }
    }
    server.abort();
    db.close().await;
    Ok(misses)
}

/// A different past date for each run: `i + 1` fortnights before today, within the registry's
/// life (it starts on 2021-01-01).
fn replay_date(today: chrono::NaiveDate, i: usize) -> chrono::NaiveDate {
    let days = 14 * (1 + (i % 120)) as i64;
    today - chrono::Duration::days(days)
}

/// Records a typed change (a new address) on one household of the county: a real write through
/// the use case, which marks its village for recomputation.
struct Writer {
    household: uplift_app::store::HouseholdSummary,
    by: uplift_app::access::Principal,
}

impl Writer {
    async fn new(app: &App, actor: &str, county: &RegionCode) -> anyhow::Result<Writer> {
        let list = app
            .store
            .list_households(
                &uplift_app::store::HouseholdFilter {
                    region: Some(*county),
                    ..uplift_app::store::HouseholdFilter::everything()
                },
                ReadAt::current(app.clock.today()),
                uplift_app::store::Page::new(1, 1),
            )
            .await?;
        let household = list
            .items
            .into_iter()
            .next()
            .context("the county has no household to change")?;
        Ok(Writer {
            household,
            by: uplift_app::access::Principal::machine(actor),
        })
    }

    async fn write(&self, app: &App, i: usize) -> anyhow::Result<()> {
        let mut household = self.household.household.clone();
        household.address = Some(format!("基准测试地址 {i}"));
        uplift_app::changes::apply(
            app,
            &self.by,
            uplift_app::changes::ChangeRequest {
                household: self.household.id,
                change: uplift_app::changes::Change::EditHousehold { household },
                valid_from: app.clock.today(),
                reason: "bench".into(),
                expected_version: None,
                channel: "cli",
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("the bench's typed change: {e}"))?;
        Ok(())
    }
}

/// Writes the synthetic city unless the database already holds households: each county of the
/// city gets an even share with its own seed.
pub(super) async fn populate(
    app: &App,
    actor: &str,
    city: &RegionCode,
    households: u32,
) -> anyhow::Result<()> {
    if app.store.counts().await?.households > 0 {
        println!("Reusing the registry already in the database.");
        return Ok(());
    }
    // Loads the shipped regions as a side effect.
    county_villages(app, &RegionCode::parse(COUNTY)?).await?;
    let counties: Vec<RegionCode> = app
        .store
        .region_children(Some(city))
        .await?
        .into_iter()
        .map(|r| r.code)
        .filter(|c| c.level() == RegionLevel::County)
        .collect();
    if counties.is_empty() {
        bail!("the city {city} has no counties in the region table");
    }
    let started = Instant::now();
    let n = u32::try_from(counties.len()).context("too many counties")?;
    for (i, county) in counties.iter().enumerate() {
        let share = households / n + u32::from((i as u32) < households % n);
        let villages = county_villages(app, county).await?;
        println!(
            "{county}: {share} households in {} villages",
            villages.len()
        );
        write_synth(app, actor, county, share, 1000 + i as u64, false, &villages).await?;
    }
    println!(
        "Wrote the city in {:.0} s.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn time_once(app: &App, region: &RegionCode, at: ReadAt) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let dash = uplift_app::dashboard::registry_dashboard(app, region, &Scope::Everything, at)
        .await
        .with_context(|| format!("the dashboard of {region}"))?;
    let elapsed = started.elapsed();
    if dash.figures.is_empty() {
        bail!("the dashboard of {region} has no figures");
    }
    Ok(elapsed)
}

/// Times reading the registry tallies of every county of `region` (the store's part of a
/// dashboard render), each county with the band rule of its pack.
async fn time_store(
    app: &App,
    region: &RegionCode,
    at: ReadAt,
    runs: usize,
) -> anyhow::Result<Vec<Duration>> {
    let counties: Vec<RegionCode> = if region.level() >= RegionLevel::County {
        vec![*region]
    } else {
        app.store
            .region_children(Some(region))
            .await?
            .into_iter()
            .map(|r| r.code)
            .filter(|c| c.level() == RegionLevel::County)
            .collect()
    };
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let mut tallies = 0;
        for county in &counties {
            let Some(pack) = app.policy.in_force(county, at.as_of) else {
                continue;
            };
            tallies += app
                .store
                .registry_tallies(&uplift_app::dashboard::TallyQuery {
                    within: *county,
                    scope: Scope::Everything,
                    at,
                    rule: uplift_app::dashboard::BandRule::of(pack),
                })
                .await?
                .len();
        }
        times.push(started.elapsed());
        if tallies == 0 {
            bail!("no tallies for {region}");
        }
    }
    Ok(times)
}

async fn time_runs(
    app: &App,
    region: &RegionCode,
    at: ReadAt,
    runs: usize,
) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        times.push(time_once(app, region, at).await?);
    }
    Ok(times)
}

/// One GET over a fresh loopback connection with the session cookie; the response's size.
async fn http_get(addr: SocketAddr, path: &str, token: &str) -> anyhow::Result<usize> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: uplift_session={token}\r\n\
         Accept-Language: zh-CN\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let head = String::from_utf8_lossy(&response[..response.len().min(64)]).into_owned();
    if !head.starts_with("HTTP/1.1 200") {
        bail!("GET {path}: {}", head.lines().next().unwrap_or_default());
    }
    Ok(response.len())
}

fn median(times: &[Duration]) -> Duration {
    percentile(times, 50)
}

fn percentile(times: &[Duration], p: usize) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    // Nearest rank.
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn summary(times: &[Duration]) -> String {
    format!(
        "median {}, p90 {}, min {}, max {}",
        ms(median(times)),
        ms(percentile(times, 90)),
        ms(times.iter().min().copied().unwrap_or_default()),
        ms(times.iter().max().copied().unwrap_or_default())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let times: Vec<Duration> = (1..=10).map(Duration::from_millis).collect();
        assert_eq!(median(&times), Duration::from_millis(5));
        assert_eq!(percentile(&times, 90), Duration::from_millis(9));
        assert_eq!(median(&[]), Duration::ZERO);
    }
}
