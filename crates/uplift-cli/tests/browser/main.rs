//! Browser journeys in real headless Chromium, driven over WebDriver (chromedriver) with
//! fantoccini: `uplift serve` (the built binary) over a temporary SQLite registry from
//! `uplift synth`, a logged-in county officer, on a desktop and a phone-sized window.
//! Screenshots of the key pages go to `target/screenshots/`.
//!
//! Needs the Debian packages `chromium` and `chromium-driver`; `scripts/test` installs them.
//! Without them this test fails (it never passes silently).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use std::future::Future;
use std::pin::Pin;

use anyhow::{Context, bail, ensure};
use fantoccini::elements::Element;
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder, Locator};

const PASSWORD: &str = "browser-pass-1";

/// Child processes killed when the test ends, however it ends.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what} did not listen on port {port} within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn uplift(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_uplift"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "uplift {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// How long any one wait for the page may take before the journey fails.
const WAIT: Duration = Duration::from_secs(15);

/// One browser window on one device size, with the waits and the evidence a failing journey
/// needs: every step waits for an element or a condition (never a fixed sleep), and every error
/// says what was awaited on which page.
struct Browser {
    client: Client,
    base: String,
    device: &'static str,
    /// A registry file with errors, for the import journey.
    bad_file: PathBuf,
    /// The village of the village cadre (`cadre`), where the case journey runs.
    village: String,
}

type Step<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;
type Journey = for<'a> fn(&'a Browser) -> Step<'a>;

/// The journeys, in order, on every device (after logging in). Adding one is one function and
/// one line here.
const JOURNEYS: &[(&str, Journey)] = &[
    ("home", |b| Box::pin(home(b))),
    ("find-household", |b| Box::pin(find_household(b))),
    ("dashboard-drill-down", |b| {
        Box::pin(dashboard_drill_down(b))
    }),
    ("household-as-of", |b| Box::pin(household_as_of(b))),
    ("language-persists", |b| Box::pin(language_persists(b))),
    ("typed-change", |b| Box::pin(typed_change(b))),
    ("import-error-report", |b| Box::pin(import_error_report(b))),
    ("warning-explanation", |b| Box::pin(warning_explanation(b))),
    ("case-steps", |b| Box::pin(case_steps(b))),
];

impl Browser {
    async fn goto(&self, path: &str) -> anyhow::Result<()> {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .with_context(|| format!("opening {path}"))
    }

    async fn url(&self) -> anyhow::Result<url::Url> {
        Ok(self.client.current_url().await?)
    }

    /// Waits for the first element matching `css`.
    async fn find(&self, css: &str) -> anyhow::Result<Element> {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => Ok(e),
            Err(e) => bail!(
                "no element {css} on {} within {WAIT:?}: {e}",
                self.url().await.map(|u| u.to_string()).unwrap_or_default()
            ),
        }
    }

    async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.find(css)
            .await?
            .click()
            .await
            .with_context(|| format!("clicking {css}"))
    }

    async fn text(&self) -> anyhow::Result<String> {
        Ok(self.find("body").await?.text().await?)
    }

    /// Waits until the page's text satisfies `ok` (a page load after a click); the error shows
    /// the text last seen.
    async fn wait_text(
        &self,
        what: &str,
        ok: impl Fn(&str, &url::Url) -> bool,
    ) -> anyhow::Result<String> {
        let start = Instant::now();
        loop {
            let url = self.url().await?;
            // The body may be swapped out under us while a page loads: read it again.
            if let Ok(Ok(text)) = tokio::time::timeout(WAIT, async {
                self.client.find(Locator::Css("body")).await?.text().await
            })
            .await
                && ok(&text, &url)
            {
                return Ok(text);
            }
            if start.elapsed() > WAIT {
                let text = self.text().await.unwrap_or_default();
                bail!("waited {WAIT:?} for {what} on {url}; the page reads:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs JavaScript that returns a number.
    async fn number(&self, script: &str) -> anyhow::Result<f64> {
        let value = self.client.execute(script, Vec::new()).await?;
        value
            .as_f64()
            .with_context(|| format!("{script} gave {value}"))
    }

    async fn shot(&self, name: &str) {
        match self.client.screenshot().await {
            Ok(png) => {
                let path = screenshots_dir().join(format!("{}-{name}.png", self.device));
                if let Err(e) = std::fs::write(&path, png) {
                    eprintln!("cannot write {}: {e}", path.display());
                }
            }
            Err(e) => eprintln!("no screenshot {name}: {e}"),
        }
    }
}

/// Clicks the first link of the children table whose row does not read all zero (a region
/// with households), and returns its text.
async fn click_nonzero_child(b: &Browser) -> anyhow::Result<String> {
    b.find("#children tbody tr").await?;
    let rows = b
        .client
        .find_all(Locator::Css("#children tbody tr"))
        .await?;
    for row in rows {
        let cells = row.find_all(Locator::Css("td.num")).await?;
        let mut any = false;
        for c in cells.iter().take(2) {
            if c.text().await?.trim() != "0" {
                any = true;
            }
        }
        if any {
            let link = row.find(Locator::Css("td a")).await?;
            let name = link.text().await?;
            link.click().await?;
            b.wait_text(&format!("the page of {name}"), |text, _| {
                text.lines().any(|l| l.starts_with(name.as_str()))
            })
            .await?;
            return Ok(name);
        }
    }
    bail!("no child region with households:\n{}", b.text().await?)
}

async fn log_in(b: &Browser) -> anyhow::Result<()> {
    log_in_as(b, "officer").await
}

async fn log_in_as(b: &Browser, user: &str) -> anyhow::Result<()> {
    b.goto("/login").await?;
    b.shot("login").await;
    b.find("input[name=username]")
        .await?
        .send_keys(user)
        .await?;
    b.find("input[name=password]")
        .await?
        .send_keys(PASSWORD)
        .await?;
    b.click("form button[type=submit]").await?;
    b.wait_text("the signed-in page", |text, url| {
        url.path() != "/login" && text.contains(user)
    })
    .await?;
    Ok(())
}

/// The home page: the county at a glance and what needs action.
async fn home(b: &Browser) -> anyhow::Result<()> {
    b.goto("/").await?;
    let home = b.text().await?;
    ensure!(
        home.contains("待我处理"),
        "the home page lists what needs action:\n{home}"
    );
    ensure!(
        home.contains("officer"),
        "the home page names the user:\n{home}"
    );
    b.shot("home").await;
    Ok(())
}

/// Find a household: take a number from the ledger, search it, find exactly it.
async fn find_household(b: &Browser) -> anyhow::Result<()> {
    b.goto("/households").await?;
    let number = b.find("table.ledger tbody tr td a").await?.text().await?;
    b.find("input[name=q]").await?.send_keys(&number).await?;
    b.click("form.filters button[type=submit]").await?;
    b.wait_text("the search result", |_, url| {
        url.query().is_some_and(|q| q.contains("q="))
    })
    .await?;
    let rows = b
        .client
        .find_all(Locator::Css("table.ledger tbody tr"))
        .await?;
    ensure!(
        rows.len() == 1,
        "searching {number} found {} rows",
        rows.len()
    );
    b.shot("search").await;
    Ok(())
}

/// The dashboard, drilled down: county → township → village → household list → household.
async fn dashboard_drill_down(b: &Browser) -> anyhow::Result<()> {
    b.goto("/dashboard").await?;
    let county = b.text().await?;
    ensure!(county.contains("汝城县"), "the county dashboard:\n{county}");
    b.find("svg").await.context("charts")?;
    b.shot("dashboard-county").await;
    let township = click_nonzero_child(b).await?;
    ensure!(b.url().await?.as_str().contains("region="), "a region link");
    b.shot("dashboard-township").await;
    let village = click_nonzero_child(b).await?;
    ensure!(
        b.client
            .find_all(Locator::Css("#children"))
            .await?
            .is_empty(),
        "a village ({village} of {township}) has no sub-regions"
    );
    b.shot("dashboard-village").await;
    // The village's numbers link to the households behind them.
    let tiles = b.client.find_all(Locator::Css(".tiles a")).await?;
    let mut opened = false;
    for tile in tiles {
        if !tile.text().await?.starts_with('0') {
            tile.click().await?;
            opened = true;
            break;
        }
    }
    ensure!(opened, "no tile of {village} has households");
    b.wait_text("the household list", |_, url| url.path() == "/households")
        .await?;
    b.click("table.ledger tbody tr td a").await?;
    let household = b
        .wait_text("the household page", |_, url| {
            url.path().starts_with("/households/")
        })
        .await?;
    ensure!(
        household.contains(&village),
        "the household of {village}:\n{household}"
    );
    // Wide tables scroll inside their box; the page itself never scrolls sideways.
    let page_overflow = b
        .number("return document.documentElement.scrollWidth - window.innerWidth;")
        .await?;
    ensure!(
        page_overflow <= 1.0,
        "the page scrolls sideways by {page_overflow} px"
    );
    b.shot("household").await;
    Ok(())
}

/// The household page replays an earlier date: the banner says so, ages are those of then, and
/// the way back to now restores them.
async fn household_as_of(b: &Browser) -> anyhow::Result<()> {
    b.goto("/households").await?;
    b.click("table.ledger tbody tr td a").await?;
    let now_text = b
        .wait_text("the household page", |_, url| {
            url.path().starts_with("/households/")
        })
        .await?;
    let age_now = first_age(b).await?;
    b.client
        .execute(
            "document.querySelector('input[name=as_of]').value = '2022-01-01';",
            Vec::new(),
        )
        .await?;
    b.click("form.filters button[type=submit]").await?;
    let then = b
        .wait_text("the as-of page", |_, url| {
            url.query().is_some_and(|q| q.contains("as_of=2022-01-01"))
        })
        .await?;
    b.find("p.banner").await.context("the past banner")?;
    let age_then = first_age(b).await?;
    ensure!(
        (4..=5).contains(&(age_now - age_then)),
        "ages at 2022-01-01 ({age_then}) are 4–5 years below today's ({age_now}):\n{then}"
    );
    b.shot("household-as-of").await;
    b.click("p.banner a").await?;
    b.wait_text("the household today", |_, url| url.query().is_none())
        .await?;
    ensure!(first_age(b).await? == age_now, "back to now:\n{now_text}");
    Ok(())
}

/// The age of the first member listed.
async fn first_age(b: &Browser) -> anyhow::Result<i64> {
    let cell = b.find("table.ledger tbody tr td.num").await?.text().await?;
    cell.trim()
        .parse()
        .with_context(|| format!("an age, found {cell:?}"))
}

/// Switching to English holds across pages and reloads (a cookie), and back.
async fn language_persists(b: &Browser) -> anyhow::Result<()> {
    b.goto("/dashboard").await?;
    b.click("a.lang").await?;
    let english = b
        .wait_text("the English dashboard", |text, _| {
            text.contains("Dashboard")
        })
        .await?;
    ensure!(english.contains("Below the line"), "{english}");
    b.shot("dashboard-en").await;
    // Another page, opened afresh, speaks English too; so does a reload.
    b.goto("/households").await?;
    b.wait_text("the English household list", |text, _| {
        text.contains("Household ledger") && !text.contains("农户台账")
    })
    .await?;
    b.click("table.ledger tbody tr td a").await?;
    b.wait_text("the English household page", |text, url| {
        url.path().starts_with("/households/") && text.contains("Members")
    })
    .await?;
    b.client.refresh().await?;
    b.wait_text("English after a reload", |text, _| text.contains("Members"))
        .await?;
    ensure!(
        b.find("html").await?.attr("lang").await?.as_deref() == Some("en"),
        "<html lang=en>"
    );
    b.shot("household-en").await;
    b.click("a.lang").await?;
    b.wait_text("Chinese again", |text, _| text.contains("家庭成员"))
        .await?;
    b.goto("/dashboard").await?;
    b.wait_text("the Chinese dashboard", |text, _| text.contains("数据看板"))
        .await?;
    Ok(())
}

/// Opens the household in row `row` (1-based) of the ledger and returns its page's text.
async fn open_household(b: &Browser, row: usize) -> anyhow::Result<String> {
    b.goto("/households").await?;
    b.click(&format!("table.ledger tbody tr:nth-child({row}) td a"))
        .await?;
    b.wait_text("the household page", |_, url| {
        url.path().starts_with("/households/")
    })
    .await
}

/// Record a typed change: the household page's "edit household" form, a new address with a
/// reason; the page shows the new address and the change in its history.
async fn typed_change(b: &Browser) -> anyhow::Result<()> {
    open_household(b, 1).await?;
    let address = format!("浏览器测试路 {} 号", b.device);
    b.click("#change-edit_household summary").await?;
    let field = b.find("#change-edit_household input[name=address]").await?;
    field.clear().await?;
    field.send_keys(&address).await?;
    b.find("#change-edit_household input[name=reason]")
        .await?
        .send_keys("入户核实，地址变更")
        .await?;
    b.shot("typed-change-form").await;
    b.click("#change-edit_household button[type=submit]")
        .await?;
    let page = b
        .wait_text("the household with its new address", |text, url| {
            url.path().starts_with("/households/") && text.contains(&address)
        })
        .await?;
    ensure!(
        page.contains("入户核实，地址变更"),
        "the history shows the reason:\n{page}"
    );
    b.shot("typed-change-done").await;
    Ok(())
}

/// Import a file with errors and read its error report: the batch page lists each problem with
/// its row, column and field, and links the report as .xlsx and .csv.
async fn import_error_report(b: &Browser) -> anyhow::Result<()> {
    b.goto("/imports").await?;
    b.find("form.upload input[type=file]")
        .await?
        .send_keys(&b.bad_file.display().to_string())
        .await?;
    b.click("form.upload button[type=submit]").await?;
    // The upload runs as a background job: its progress page moves on to the batch's result.
    b.wait_text("the import's result", |_, url| {
        url.path().starts_with("/imports/") && !url.path().starts_with("/imports/jobs/")
    })
    .await?;
    b.find("table.ledger.issues tbody tr").await?;
    let issues = b
        .client
        .find_all(Locator::Css("table.ledger.issues tbody tr"))
        .await?;
    ensure!(
        !issues.is_empty(),
        "the report lists problems:\n{}",
        b.text().await?
    );
    let first = issues[0].find_all(Locator::Css("td")).await?;
    let row = first[0].text().await?;
    ensure!(
        row.trim().parse::<u64>().is_ok_and(|n| n >= 2),
        "a problem names its row (the header is row 1): {row:?}"
    );
    let field = first[2].text().await?;
    let message = first[6].text().await?;
    ensure!(
        !field.trim().is_empty() && !message.trim().is_empty(),
        "a problem names its field and says what is wrong"
    );
    b.find("a[href$='report.xlsx']")
        .await
        .context("the .xlsx report")?;
    b.find("a[href$='report.csv']")
        .await
        .context("the .csv report")?;
    b.shot("import-report").await;
    Ok(())
}

/// Open a warning and its explanation: from the warnings list to one warning, whose page names
/// its rules and explains, line by line, what in the feeds raised it.
async fn warning_explanation(b: &Browser) -> anyhow::Result<()> {
    b.goto("/warnings").await?;
    b.shot("warnings").await;
    b.click("table.ledger tbody tr td a[href^='/warnings/']")
        .await?;
    b.wait_text("the warning", |_, url| url.path().starts_with("/warnings/"))
        .await?;
    b.find("ul.explanation li")
        .await
        .context("the explanation")?;
    let explanation = b.find("ul.explanation").await?.text().await?;
    ensure!(
        explanation.chars().count() > 10,
        "the explanation says something: {explanation:?}"
    );
    b.find("h2 + ul li code").await.context("the rule's code")?;
    b.shot("warning").await;
    Ok(())
}

/// The stage shown in the case page's heading.
async fn case_stage(b: &Browser) -> anyhow::Result<String> {
    Ok(b.find("h1 .tag").await?.text().await?)
}

/// Logs out and in again as `user`.
async fn switch_user(b: &Browser, user: &str) -> anyhow::Result<()> {
    b.goto("/").await?;
    b.click("form.inline button").await?;
    b.wait_text("the login page", |_, url| url.path() == "/login")
        .await?;
    log_in_as(b, user).await
}

/// Fills in and submits the step form of `command` on the case page, the way a user would: ticks
/// what must be ticked, writes what must be written, types the `typed` fields, keeps the dates
/// and choices offered; waits for the case's next stage.
async fn case_step(b: &Browser, command: &str, typed: &[(&str, &str)]) -> anyhow::Result<String> {
    let before = case_stage(b).await?;
    let form = format!("form.step:has(input[name=command][value={command}])");
    b.find(&form)
        .await
        .with_context(|| format!("the {command} step is offered"))?;
    b.client
        .execute(
            "const f = document.querySelector(arguments[0]);
             for (const e of f.querySelectorAll('input[type=checkbox][required]')) e.checked = true;
             for (const e of f.querySelectorAll('textarea, input[type=text]'))
               if (e.required && !e.value) e.value = '经核实情况属实';
             const risk = f.querySelector('input[name=risks]'); if (risk) risk.checked = true;",
            vec![serde_json::Value::String(form.clone())],
        )
        .await?;
    for (name, value) in typed {
        b.find(&format!("{form} [name={name}]"))
            .await?
            .send_keys(value)
            .await?;
    }
    b.click(&format!("{form} button[type=submit]")).await?;
    let start = Instant::now();
    loop {
        if let Ok(stage) = case_stage(b).await
            && stage != before
        {
            return Ok(stage);
        }
        if let Ok(refused) = b.client.find(Locator::Css("p.banner[role=alert]")).await {
            bail!("the {command} step was refused: {}", refused.text().await?);
        }
        ensure!(
            start.elapsed() < WAIT,
            "the case stayed at {before} after {command}:\n{}",
            b.text().await?
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Move a case through its steps, each by the role it belongs to: the village cadre opens a clue
/// on a household's assistance page and verifies it, the county officer compares, the cadre
/// holds the democratic appraisal and posts the notice.
async fn case_steps(b: &Browser) -> anyhow::Result<()> {
    switch_user(b, "cadre").await?;
    // A different household on each device: one open case per household.
    let row = if b.device == "phone" { 2 } else { 1 };
    b.goto(&format!("/households?region={}", b.village)).await?;
    b.click(&format!("table.ledger tbody tr:nth-child({row}) td a"))
        .await?;
    b.wait_text("the household page", |_, url| {
        url.path().starts_with("/households/")
    })
    .await?;
    b.click("a[href$='/assistance']").await?;
    b.wait_text("the assistance page", |_, url| {
        url.path().ends_with("/assistance")
    })
    .await?;
    b.find("form.step textarea[name=summary]")
        .await?
        .send_keys("村民反映该户近期因病支出较大")
        .await?;
    b.click("form.step button[type=submit]").await?;
    b.wait_text("the new case", |_, url| url.path().starts_with("/cases/"))
        .await?;
    let case = b.url().await?.path().to_owned();
    let mut stages = vec![case_stage(b).await?];
    b.shot("case-clue").await;
    stages.push(case_step(b, "verify", &[]).await?);
    switch_user(b, "officer").await?;
    b.goto(&case).await?;
    stages.push(case_step(b, "compare", &[]).await?);
    switch_user(b, "cadre").await?;
    b.goto(&case).await?;
    stages.push(case_step(b, "appraise", &[("attendees", "12"), ("votes_for", "11")]).await?);
    stages.push(case_step(b, "post_notice", &[]).await?);
    b.shot("case-notice").await;
    let mut distinct = stages.clone();
    distinct.dedup();
    ensure!(distinct.len() == 5, "five stages, one per step: {stages:?}");
    // The steps are on the case's record.
    let text = b.text().await?;
    for step in ["入户核实", "信息比对", "民主评议", "公示"] {
        ensure!(text.contains(step), "{step} on the case page:\n{text}");
    }
    switch_user(b, "officer").await?;
    Ok(())
}

/// Logs in and runs every journey on one device; a failing journey leaves a screenshot
/// `failed-<journey>.png` and names the journey, the device and what it waited for.
async fn journeys(b: &Browser) -> anyhow::Result<()> {
    log_in(b).await.context("logging in")?;
    for (name, journey) in JOURNEYS {
        if let Err(e) = journey(b).await {
            b.shot(&format!("failed-{name}")).await;
            return Err(e.context(format!("journey {name} on the {} viewport", b.device)));
        }
    }
    // Log out, so the next device logs in afresh.
    b.goto("/").await?;
    b.click("form.inline button").await?;
    Ok(())
}

/// The village with the most rows in the registry file (a 12-digit code starting 431026): it
/// has households enough for a case on each device.
fn first_village(registry: &Path) -> String {
    let text = std::fs::read_to_string(registry).unwrap();
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for line in text.lines().skip(1) {
        if let Some(code) = line.split(',').find(|cell| {
            cell.len() == 12
                && cell.starts_with("431026")
                && cell.bytes().all(|c| c.is_ascii_digit())
        }) {
            *counts.entry(code.to_owned()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(code, _)| code)
        .unwrap_or_else(|| panic!("a village code in {}", registry.display()))
}

/// A medical-insurance feed (formats.md §3) with a costly hospital stay, last week, for three
/// persons of the registry file.
fn medical_feed(registry: &Path) -> String {
    let text = std::fs::read_to_string(registry).unwrap();
    let ids: Vec<String> = text
        .lines()
        .skip(1)
        .filter_map(|line| {
            line.split(',')
                .find(|cell| cell.len() == 18 && cell.starts_with("431026"))
                .map(str::to_owned)
        })
        .take(3)
        .collect();
    assert_eq!(ids.len(), 3, "ID numbers in {}", registry.display());
    let day = (chrono::Utc::now() + chrono::Duration::hours(8) - chrono::Duration::days(7))
        .format("%Y-%m-%d")
        .to_string();
    let mut csv = "证件号码,结算日期,医疗总费用,政策范围内个人自付,记录编号\n".to_owned();
    for (i, id) in ids.iter().enumerate() {
        csv.push_str(&format!("{id},{day},60000,40000,B{i}\n"));
    }
    csv
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_journeys_in_headless_chromium() {
    let missing = "chromium and chromedriver are needed for the browser tests: install the Debian \
                   packages chromium and chromium-driver (scripts/test installs them)";
    let chromium = find_program(&["chromium", "chromium-browser"]).expect(missing);
    let chromedriver = find_program(&["chromedriver"]).expect(missing);

    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("b.sqlite").display());
    uplift(&[
        "synth",
        "--county",
        "431026",
        "--households",
        "600",
        "--seed",
        "5",
        "--database",
        &db,
        "--csv-out",
        &dir.path().join("registry").display().to_string(),
    ]);
    // A registry file with errors to import, and a medical feed naming three members of the
    // registry, screened: warnings to open.
    let bad = dir.path().join("bad");
    uplift(&[
        "synth",
        "--county",
        "431026",
        "--households",
        "20",
        "--seed",
        "9",
        "--with-errors",
        "--csv-out",
        &bad.display().to_string(),
        "--csv-only",
    ]);
    let bad_file = bad.join("households.csv");
    let village = first_village(&dir.path().join("registry/households.csv"));
    uplift(&[
        "user",
        "add",
        "cadre",
        "--role",
        "village_cadre",
        "--region",
        &village,
        "--password",
        PASSWORD,
        "--database",
        &db,
        "--as",
        "browser-test",
    ]);
    let feed = dir.path().join("medical.csv");
    std::fs::write(
        &feed,
        medical_feed(&dir.path().join("registry/households.csv")),
    )
    .unwrap();
    uplift(&[
        "feeds",
        "import",
        "medical",
        &feed.display().to_string(),
        "--database",
        &db,
    ]);
    uplift(&["screen", "--database", &db]);
    uplift(&[
        "user",
        "add",
        "officer",
        "--role",
        "县级业务人员",
        "--region",
        "431026",
        "--password",
        PASSWORD,
        "--database",
        &db,
        "--as",
        "browser-test",
    ]);

    let mut processes = Processes(Vec::new());
    let web_port = free_port();
    let listen = format!("127.0.0.1:{web_port}");
    processes.0.push(
        Command::new(env!("CARGO_BIN_EXE_uplift"))
            .args(["serve", "--listen", &listen, "--database", &db])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let driver_port = free_port();
    processes.0.push(
        Command::new(&chromedriver)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(web_port, "uplift serve");
    wait_for_port(driver_port, "chromedriver");

    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium.display().to_string(),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-quic", "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("chromedriver starts a Chromium session");
    let base = format!("http://127.0.0.1:{web_port}");
    let session = client.clone();
    // A journey's panic is caught by the task, so the browser is closed before it is reported.
    let outcome = tokio::spawn(async move {
        session
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(30)),
                Some(Duration::from_secs(60)),
                None,
            ))
            .await?;
        for (device, width, height) in [("desktop", 1280, 900), ("phone", 390, 844)] {
            session.set_window_size(width, height).await?;
            let browser = Browser {
                client: session.clone(),
                base: base.clone(),
                device,
                bad_file: bad_file.clone(),
                village: village.clone(),
            };
            journeys(&browser).await?;
        }
        anyhow::Ok(())
    })
    .await;
    let _ = client.close().await;
    drop(processes);
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("{e:#}\n(screenshots in {})", screenshots_dir().display()),
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}
