//! `uplift bench load`: load and soak against `uplift serve` on 127.0.0.1.
//!
//! The server runs as a child process (this binary, `serve`), so its memory is its own. Three
//! phases, each over keep-alive HTTP/1.1 connections:
//! 1. *mixed*: N clients in a closed loop — the household page, the household list (JSON), a
//!    typed change (edit the address, with the version just read; a 409 is a lost race, counted
//!    apart) and a workflow step (a clue opening a case; a 409 means one is open already);
//! 2. *paced*: the household page alone at a fixed rate (open loop: latency counts from the
//!    moment a request was due, so a slow server cannot hide queueing);
//! 3. *soak*: the mixed load at a fixed rate for a long time, sampling the server's resident
//!    memory (VmRSS) every 10 s.
//!
//! Any 5xx, unexpected status or connection error is an error; the exit code is 1 if any.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use uplift_app::store::{HouseholdFilter, Page};
use uplift_domain::access::Role;
use uplift_domain::region::RegionCode;
use uplift_domain::version::ReadAt;

use super::users;
use crate::cli::PolicyArg;
use crate::startup::{self, open_db};

#[derive(Debug, Args)]
pub struct BenchLoadArgs {
    /// The database; written with the synthetic city (郴州市) when it holds no households.
    #[arg(long, default_value = "sqlite://uplift-bench-city.sqlite")]
    pub database: String,
    /// Households over the whole city when it must be written.
    #[arg(long, default_value_t = 310_000)]
    pub households: u32,
    /// Concurrent clients (connections).
    #[arg(long, default_value_t = 50)]
    pub clients: usize,
    /// Seconds of the mixed closed-loop phase (0: skip).
    #[arg(long, default_value_t = 60)]
    pub mixed_secs: u64,
    /// Requests per second of the paced household-page phase.
    #[arg(long, default_value_t = 500)]
    pub page_rate: u64,
    /// Seconds of the paced household-page phase (0: skip).
    #[arg(long, default_value_t = 30)]
    pub page_secs: u64,
    /// Requests per second of the soak.
    #[arg(long, default_value_t = 200)]
    pub soak_rate: u64,
    /// Seconds of the soak (0: skip).
    #[arg(long, default_value_t = 600)]
    pub soak_secs: u64,
    #[command(flatten)]
    pub policy: PolicyArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    HouseholdPage,
    List,
    TypedChange,
    WorkflowStep,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::HouseholdPage => "household page  GET /households/{id}",
            Op::List => "list (JSON)     GET /api/v1/households",
            Op::TypedChange => "typed change    POST .../changes",
            Op::WorkflowStep => "workflow step   POST .../cases",
        }
    }

    /// The mixed load: 55% pages, 25% lists, 10% changes, 10% workflow steps.
    fn pick(r: u64) -> Op {
        match r % 20 {
            0..=10 => Op::HouseholdPage,
            11..=15 => Op::List,
            16 | 17 => Op::TypedChange,
            _ => Op::WorkflowStep,
        }
    }
}

/// One keep-alive connection.
struct Conn {
    addr: SocketAddr,
    stream: Option<BufReader<TcpStream>>,
}

struct Session {
    cookie: String,
    csrf: String,
}

impl Conn {
    fn new(addr: SocketAddr) -> Conn {
        Conn { addr, stream: None }
    }

    async fn request(
        &mut self,
        method: &str,
        path: &str,
        session: Option<&Session>,
        body: Option<&str>,
    ) -> anyhow::Result<(u16, Vec<u8>)> {
        for attempt in 0..2 {
            if self.stream.is_none() {
                let s = TcpStream::connect(self.addr).await?;
                s.set_nodelay(true)?;
                self.stream = Some(BufReader::new(s));
            }
            match self.once(method, path, session, body).await {
                Ok(r) => return Ok(r),
                // A keep-alive connection the server closed: one retry on a fresh one.
                Err(e) if attempt == 0 && self.stream.is_none() => {
                    let _ = e;
                }
                Err(e) => return Err(e),
            }
        }
        bail!("unreachable")
    }

    async fn once(
        &mut self,
        method: &str,
        path: &str,
        session: Option<&Session>,
        body: Option<&str>,
    ) -> anyhow::Result<(u16, Vec<u8>)> {
        let stream = self.stream.as_mut().context("no connection")?;
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        if let Some(s) = session {
            req.push_str(&format!(
                "Cookie: {}\r\nX-CSRF-Token: {}\r\n",
                s.cookie, s.csrf
            ));
        }
        let body = body.unwrap_or("");
        if !body.is_empty() {
            req.push_str("Content-Type: application/json\r\n");
        }
        req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        if let Err(e) = stream.get_mut().write_all(req.as_bytes()).await {
            self.stream = None;
            return Err(e.into());
        }
        let mut line = String::new();
        if stream.read_line(&mut line).await? == 0 {
            self.stream = None;
            bail!("the server closed the connection");
        }
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("bad status line {line:?}"))?;
        let mut length = None;
        let mut chunked = false;
        let mut close = false;
        let mut cookie = None;
        loop {
            line.clear();
            stream.read_line(&mut line).await?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let lower = l.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse::<usize>().ok();
            } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            } else if lower.starts_with("connection:") && lower.contains("close") {
                close = true;
            } else if let Some(v) = lower.strip_prefix("set-cookie: ")
                && v.starts_with("uplift_session=")
            {
                cookie = Some(
                    l["set-cookie: ".len()..]
                        .split(';')
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
        }
        let mut body = self.read_body(length, chunked).await?;
        if close {
            self.stream = None;
        }
        // The login's session cookie comes back on the body's first line.
        if let Some(c) = cookie {
            body.splice(0..0, format!("{c}\n").into_bytes());
        }
        Ok((status, body))
    }

    async fn read_body(&mut self, length: Option<usize>, chunked: bool) -> anyhow::Result<Vec<u8>> {
        let stream = self.stream.as_mut().context("no connection")?;
        let mut body = Vec::new();
        if chunked {
            let mut line = String::new();
            loop {
                line.clear();
                stream.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim(), 16).context("bad chunk size")?;
                let mut chunk = vec![0; size + 2];
                stream.read_exact(&mut chunk).await?;
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else if let Some(n) = length {
            body.resize(n, 0);
            stream.read_exact(&mut body).await?;
        } else {
            stream.read_to_end(&mut body).await?;
            self.stream = None;
        }
        Ok(body)
    }
}

#[derive(Default)]
struct Tally {
    ok: Vec<Duration>,
    /// Expected refusals: a lost race for a version (409) or a case already open (409).
    conflicts: u64,
    errors: u64,
    first_error: Option<String>,
}

type Tallies = Arc<Mutex<BTreeMap<Op, Tally>>>;

/// (seconds since the start, server VmRSS in kB).
type RssSamples = Arc<std::sync::Mutex<Vec<(u64, u64)>>>;

struct Load {
    addr: SocketAddr,
    session: Session,
    households: Vec<i64>,
    townships: Vec<String>,
    next: AtomicU64,
}

fn mix(x: u64) -> u64 {
    // splitmix64: a fixed, cheap spread of the request number.
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Load {
    /// Runs request number `n` of kind `op`; returns the outcome to tally.
    async fn run(&self, conn: &mut Conn, op: Op, n: u64) -> Result<bool, String> {
        let r = mix(n);
        let h = self.households[(r % self.households.len() as u64) as usize];
        let s = Some(&self.session);
        let result = match op {
            Op::HouseholdPage => {
                conn.request("GET", &format!("/households/{h}"), s, None)
                    .await
            }
            Op::List => {
                let t = &self.townships[((r >> 20) % self.townships.len() as u64) as usize];
                let page = 1 + (r >> 40) % 5;
                conn.request(
                    "GET",
                    &format!("/api/v1/households?region={t}&page={page}&per_page=50"),
                    s,
                    None,
                )
                .await
            }
            Op::TypedChange => {
                let detail = conn
                    .request("GET", &format!("/api/v1/households/{h}"), s, None)
                    .await
                    .map_err(|e| e.to_string())?;
                if detail.0 != 200 {
                    return Err(format!("GET household {h}: {}", detail.0));
                }
                let v: serde_json::Value =
                    serde_json::from_slice(&detail.1).map_err(|e| e.to_string())?;
                let body =
                    serde_json::json!({"expected_version": v["version"], "reason": "压测地址更正",
                    "kind": "edit_household", "address": format!("压测地址 {n}")})
                    .to_string();
                conn.request(
                    "POST",
                    &format!("/api/v1/households/{h}/changes"),
                    s,
                    Some(&body),
                )
                .await
            }
            Op::WorkflowStep => {
                let body = serde_json::json!({"channel": "cadre_visit", "clue_date": "2026-11-25",
                    "summary": "压测：走访发现线索"})
                .to_string();
                conn.request(
                    "POST",
                    &format!("/api/v1/households/{h}/cases"),
                    s,
                    Some(&body),
                )
                .await
            }
        };
        match result {
            Ok((200 | 201, _)) => Ok(true),
            Ok((409, _)) if matches!(op, Op::TypedChange | Op::WorkflowStep) => Ok(false),
            Ok((status, body)) => Err(format!(
                "{op:?} household {h}: {status} {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            )),
            Err(e) => Err(format!("{op:?} household {h}: {e}")),
        }
    }
}

async fn record(tallies: &Tallies, op: Op, elapsed: Duration, outcome: Result<bool, String>) {
    let mut t = tallies.lock().await;
    let t = t.entry(op).or_default();
    match outcome {
        Ok(true) => t.ok.push(elapsed),
        Ok(false) => t.conflicts += 1,
        Err(e) => {
            t.errors += 1;
            t.first_error.get_or_insert(e);
        }
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Prints the table of a phase; returns its error count.
async fn report(title: &str, tallies: &Tallies, wall: Duration) -> u64 {
    let t = tallies.lock().await;
    println!("{title} ({:.0} s):", wall.as_secs_f64());
    println!(
        "  {:<40} {:>8} {:>9} {:>10} {:>10} {:>10} {:>7} {:>7}",
        "operation", "ok", "req/s", "p50", "p99", "max", "409", "errors"
    );
    let mut errors = 0;
    let mut total = 0;
    for (op, tally) in t.iter() {
        let mut sorted = tally.ok.clone();
        sorted.sort();
        total += sorted.len() as u64 + tally.conflicts;
        errors += tally.errors;
        println!(
            "  {:<40} {:>8} {:>9.1} {:>10} {:>10} {:>10} {:>7} {:>7}",
            op.name(),
            sorted.len(),
            (sorted.len() as u64 + tally.conflicts) as f64 / wall.as_secs_f64(),
            ms(pct(&sorted, 50.0)),
            ms(pct(&sorted, 99.0)),
            ms(sorted.last().copied().unwrap_or_default()),
            tally.conflicts,
            tally.errors
        );
        if let Some(e) = &tally.first_error {
            println!("    first error: {e}");
        }
    }
    println!(
        "  all: {total} requests, {:.1} req/s, {errors} errors",
        total as f64 / wall.as_secs_f64()
    );
    errors
}

/// Closed loop: each client sends its next request when the last one is answered.
async fn mixed(load: &Arc<Load>, clients: usize, secs: u64) -> (Tallies, Duration) {
    let tallies: Tallies = Arc::default();
    let started = Instant::now();
    let end = started + Duration::from_secs(secs);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (load, tallies) = (load.clone(), tallies.clone());
        tasks.spawn(async move {
            let mut conn = Conn::new(load.addr);
            while Instant::now() < end {
                let n = load.next.fetch_add(1, Ordering::Relaxed);
                let op = Op::pick(mix(n ^ 0xA5A5));
                let t0 = Instant::now();
                let outcome = load.run(&mut conn, op, n).await;
                record(&tallies, op, t0.elapsed(), outcome).await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    (tallies, started.elapsed())
}

/// Open loop at `rate` per second: request i is due at start + i/rate; its latency counts from
/// then. `op` fixes the operation, or the mixed load when `None`.
async fn paced(
    load: &Arc<Load>,
    clients: usize,
    rate: u64,
    secs: u64,
    op: Option<Op>,
    on_tick: Option<(u32, RssSamples)>,
) -> (Tallies, Duration) {
    let tallies: Tallies = Arc::default();
    let started = tokio::time::Instant::now();
    let total = rate * secs;
    let slot = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    if let Some((pid, samples)) = on_tick {
        tasks.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(10));
            loop {
                tick.tick().await;
                let t = started.elapsed().as_secs();
                if let Some(kb) = rss_kb(pid) {
                    samples
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((t, kb));
                }
                if t >= secs {
                    break;
                }
            }
        });
    }
    for _ in 0..clients {
        let (load, tallies, slot) = (load.clone(), tallies.clone(), slot.clone());
        tasks.spawn(async move {
            let mut conn = Conn::new(load.addr);
            loop {
                let i = slot.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let due = started + Duration::from_nanos(i * 1_000_000_000 / rate);
                tokio::time::sleep_until(due).await;
                let n = load.next.fetch_add(1, Ordering::Relaxed);
                let op = op.unwrap_or_else(|| Op::pick(mix(n ^ 0xA5A5)));
                let outcome = load.run(&mut conn, op, n).await;
                record(&tallies, op, due.elapsed(), outcome).await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    (tallies, started.elapsed())
}

fn mib(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// The last third's mean RSS may exceed the first third's by this share…
const FLAT_SHARE: f64 = 0.05;
/// …or by this many kB, whichever is larger, for memory to count as flat.
const FLAT_SLACK_KB: u64 = 16 * 1024;

/// The soak's memory, from its RSS samples (seconds, kB).
#[derive(Debug, PartialEq)]
struct Memory {
    first: u64,
    last: u64,
    max: u64,
    early_mean: f64,
    late_mean: f64,
}

impl Memory {
    fn of(samples: &[(u64, u64)]) -> Option<Memory> {
        let kb: Vec<u64> = samples.iter().map(|(_, kb)| *kb).collect();
        let (&first, &last) = (kb.first()?, kb.last()?);
        let third = kb.len().div_ceil(3);
        let mean = |s: &[u64]| s.iter().sum::<u64>() as f64 / s.len() as f64;
        Some(Memory {
            first,
            last,
            max: kb.iter().copied().max().unwrap_or(0),
            early_mean: mean(&kb[..third]),
            late_mean: mean(&kb[kb.len() - third..]),
        })
    }

    fn flat(&self) -> bool {
        let allowed = (self.early_mean * FLAT_SHARE).max(FLAT_SLACK_KB as f64);
        self.late_mean - self.early_mean <= allowed
    }
}

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

pub async fn load(args: BenchLoadArgs, actor: &str) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        println!("warning: a debug build; measure with `cargo run --release -- bench load`");
    }
    let db = open_db(&args.database).await?;
    let app = startup::app(&db, startup::policy_book(&args.policy)?);
    let city = RegionCode::parse(super::bench::CITY)?;
    let county = RegionCode::parse(super::bench::COUNTY)?;
    super::bench::populate(&app, actor, &city, args.households).await?;
    let counts = app.store.counts().await?;
    println!(
        "{}: {} households, {} persons, {} income records",
        db.backend().name(),
        counts.households,
        counts.persons,
        counts.income_records
    );
    // A registry written only in part (an interrupted run) still gets the county in play.
    let mut in_county = HouseholdFilter::everything();
    in_county.region = Some(county);
    let at = ReadAt::current(app.clock.today());
    if app
        .store
        .list_households(&in_county, at, Page::new(1, 1))
        .await?
        .total
        == 0
    {
        let counties = app.store.region_children(Some(&city)).await?;
        let index = counties.iter().position(|r| r.code == county).unwrap_or(0);
        let share = args.households / u32::try_from(counties.len().max(1))?;
        let villages = super::county_villages(&app, &county).await?;
        println!("{county}: {share} households (the county in play was missing)");
        super::write_synth(
            &app,
            actor,
            &county,
            share,
            1000 + index as u64,
            false,
            &villages,
        )
        .await?;
    }
    let counts = app.store.counts().await?;
    println!(
        "now {} households, {} persons",
        counts.households, counts.persons
    );
    let logins = users::ensure_demo_users(&app, &county).await?;
    let (username, _, _) = logins
        .iter()
        .find(|(_, role, _)| *role == Role::CountyOfficer)
        .context("no county officer among the demo users")?
        .clone();
    // The county's households and townships, read once.
    let mut households = Vec::new();
    let filter = in_county;
    for page in 1..=20 {
        let got = app
            .store
            .list_households(&filter, at, Page::new(page, 500))
            .await?;
        households.extend(got.items.iter().map(|h| h.id.0));
        if got.items.len() < 500 {
            break;
        }
    }
    if households.is_empty() {
        bail!("the county {county} has no households");
    }
    let townships: Vec<String> = app
        .store
        .region_children(Some(&county))
        .await?
        .into_iter()
        .map(|r| r.code.as_str().to_owned())
        .collect();
    db.close().await;

    // The server: this binary, `serve`, on a free loopback port.
    let exe = std::env::current_exe()?;
    let mut cmd = tokio::process::Command::new(exe);
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database",
        &args.database,
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::inherit())
    .kill_on_drop(true);
    if let Some(dir) = &args.policy.policy_dir {
        cmd.arg("--policy-dir").arg(dir);
    }
    let mut server = cmd.spawn().context("starting uplift serve")?;
    let pid = server.id().context("the server's pid")?;
    let mut out = BufReader::new(server.stdout.take().context("the server's stdout")?).lines();
    let addr: SocketAddr = loop {
        let line = out
            .next_line()
            .await?
            .context("the server exited before listening")?;
        if let Some(rest) = line.trim().strip_prefix("web:") {
            break rest
                .trim()
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .parse()?;
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = out.next_line().await {} });
    let mut conn = Conn::new(addr);
    let body =
        serde_json::json!({"username": username, "password": users::DEMO_PASSWORD}).to_string();
    let (status, reply) = conn
        .request("POST", "/api/v1/session", None, Some(&body))
        .await?;
    if status != 200 {
        bail!("logging in {username}: {status}");
    }
    let reply = String::from_utf8_lossy(&reply).into_owned();
    let (cookie, json) = reply.split_once('\n').context("no session cookie")?;
    let csrf = serde_json::from_str::<serde_json::Value>(json)?["csrf_token"]
        .as_str()
        .context("no CSRF token")?
        .to_owned();
    let load = Arc::new(Load {
        addr,
        session: Session {
            cookie: cookie.to_owned(),
            csrf,
        },
        households,
        townships,
        next: AtomicU64::new(0),
    });
    println!(
        "server pid {pid} on {addr}; {} households of {county} in play; RSS {} kB",
        load.households.len(),
        rss_kb(pid).unwrap_or(0)
    );

    let mut errors = 0;
    if args.mixed_secs > 0 {
        let (t, wall) = mixed(&load, args.clients, args.mixed_secs).await;
        errors += report(
            &format!("mixed, {} clients, closed loop", args.clients),
            &t,
            wall,
        )
        .await;
    }
    if args.page_secs > 0 {
        let (t, wall) = paced(
            &load,
            args.clients,
            args.page_rate,
            args.page_secs,
            Some(Op::HouseholdPage),
            None,
        )
        .await;
        errors += report(
            &format!("household page at {} req/s, open loop", args.page_rate),
            &t,
            wall,
        )
        .await;
        let p99 = {
            let t = t.lock().await;
            let mut sorted = t
                .get(&Op::HouseholdPage)
                .map(|t| t.ok.clone())
                .unwrap_or_default();
            sorted.sort();
            pct(&sorted, 99.0)
        };
        println!(
            "  household page p99 {} at {} req/s: target p99 < 20 ms {}",
            ms(p99),
            args.page_rate,
            if p99 < Duration::from_millis(20) {
                "met"
            } else {
                "NOT met"
            }
        );
    }
    if args.soak_secs > 0 {
        let samples = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (t, wall) = paced(
            &load,
            args.clients,
            args.soak_rate,
            args.soak_secs,
            None,
            Some((pid, samples.clone())),
        )
        .await;
        let soak_errors = report(
            &format!("soak, mixed at {} req/s", args.soak_rate),
            &t,
            wall,
        )
        .await;
        errors += soak_errors;
        let samples = samples.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let line: Vec<String> = samples
            .iter()
            .map(|(t, kb)| format!("{t}s:{:.1}", *kb as f64 / 1024.0))
            .collect();
        println!("  server RSS (MiB) every 10 s: {}", line.join(" "));
        match Memory::of(&samples) {
            Some(m) => {
                println!(
                    "  RSS first {:.1} MiB, last {:.1} MiB, max {:.1} MiB; mean of the first third \
                     {:.1} MiB, of the last third {:.1} MiB",
                    mib(m.first),
                    mib(m.last),
                    mib(m.max),
                    m.early_mean / 1024.0,
                    m.late_mean / 1024.0
                );
                println!(
                    "  memory: {} (flat means the last third's mean is at most {:.0}% or {} MiB \
                     above the first third's)",
                    if m.flat() { "flat" } else { "GROWING" },
                    FLAT_SHARE * 100.0,
                    FLAT_SLACK_KB / 1024
                );
            }
            None => println!("  memory: no samples"),
        }
        println!(
            "  soak verdict: {} errors, memory {}",
            soak_errors,
            match Memory::of(&samples) {
                Some(m) if m.flat() => "flat",
                Some(_) => "GROWING",
                None => "not sampled",
            }
        );
    }
    let _ = server.kill().await;
    if errors > 0 {
        bail!("{errors} errors");
    }
    println!("zero errors");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(kb: &[u64]) -> Vec<(u64, u64)> {
        kb.iter()
            .enumerate()
            .map(|(i, &kb)| (10 * i as u64, kb))
            .collect()
    }

    #[test]
    fn memory_verdicts() {
        assert_eq!(Memory::of(&[]), None);
        // Steady, with noise: flat.
        let m = Memory::of(&samples(&[
            300_000, 310_000, 305_000, 309_000, 304_000, 308_000,
        ]))
        .unwrap();
        assert_eq!((m.first, m.last, m.max), (300_000, 308_000, 310_000));
        assert!(m.flat());
        // A warm-up rise then a plateau: the first third's mean is low but within the slack.
        assert!(
            Memory::of(&samples(&[
                100_000, 110_000, 110_000, 110_000, 110_000, 110_000
            ]))
            .unwrap()
            .flat()
        );
        // A leak of 20 MiB a sample: growing.
        let leak: Vec<u64> = (0..9).map(|i| 300_000 + i * 20_480).collect();
        assert!(!Memory::of(&samples(&leak)).unwrap().flat());
        // A single sample is its own first and last third.
        assert!(Memory::of(&samples(&[5])).unwrap().flat());
    }

    #[test]
    fn percentiles_take_the_rank_at_or_above() {
        let d: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(pct(&d, 50.0), Duration::from_millis(50));
        assert_eq!(pct(&d, 99.0), Duration::from_millis(99));
        assert_eq!(pct(&[], 99.0), Duration::ZERO);
    }
}
