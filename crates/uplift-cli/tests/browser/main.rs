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
    b.goto("/login").await?;
    b.shot("login").await;
    b.find("input[name=username]")
        .await?
        .send_keys("officer")
        .await?;
    b.find("input[name=password]")
        .await?
        .send_keys(PASSWORD)
        .await?;
    b.click("form button[type=submit]").await?;
    b.wait_text("the signed-in page", |text, url| {
        url.path() != "/login" && text.contains("officer")
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
    ]);
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
