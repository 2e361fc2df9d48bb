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

async fn shot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots_dir().join(format!("{name}.png")), png).unwrap();
}

async fn page_text(client: &Client) -> String {
    client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Clicks the first link of `selector` whose row does not read all zero (a region with
/// households), and returns its text.
async fn click_nonzero_child(client: &Client) -> String {
    let rows = client
        .find_all(Locator::Css("#children tbody tr"))
        .await
        .unwrap();
    for row in rows {
        let cells = row.find_all(Locator::Css("td.num")).await.unwrap();
        let mut any = false;
        for c in cells.iter().take(2) {
            if c.text().await.unwrap().trim() != "0" {
                any = true;
            }
        }
        if any {
            let link = row.find(Locator::Css("td a")).await.unwrap();
            let name = link.text().await.unwrap();
            click_nav(client, link).await;
            return name;
        }
    }
    panic!(
        "no child region with households:\n{}",
        page_text(client).await
    );
}

/// Clicks an element that navigates, and waits until the new page has loaded: WebDriver may
/// answer the click before the navigation it starts has finished, most of all on a busy machine.
async fn click_nav(client: &Client, element: fantoccini::elements::Element) {
    let before = client.current_url().await.unwrap();
    element.click().await.unwrap();
    for _ in 0..200 {
        let now = client.current_url().await.unwrap();
        let ready = client
            .execute("return document.readyState", vec![])
            .await
            .map(|v| v == "complete")
            .unwrap_or(false);
        if now != before && ready {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("clicking on {before} led nowhere within 10 s");
}

async fn journeys(client: &Client, base: &str, device: &str) {
    // Log in.
    client.goto(&format!("{base}/login")).await.unwrap();
    shot(client, &format!("{device}-login")).await;
    client
        .find(Locator::Css("input[name=username]"))
        .await
        .unwrap()
        .send_keys("officer")
        .await
        .unwrap();
    client
        .find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    click_nav(
        client,
        client
            .find(Locator::Css("form button[type=submit]"))
            .await
            .unwrap(),
    )
    .await;
    // The home page: the county at a glance and what needs action.
    client.goto(&format!("{base}/")).await.unwrap();
    let home = page_text(client).await;
    assert!(home.contains("待我处理"), "{home}");
    assert!(home.contains("officer"), "{home}");
    shot(client, &format!("{device}-home")).await;

    // Find a household: take a number from the ledger, search it, open it.
    client.goto(&format!("{base}/households")).await.unwrap();
    let number = client
        .find(Locator::Css("table.ledger tbody tr td a"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let search = client.find(Locator::Css("input[name=q]")).await.unwrap();
    search.send_keys(&number).await.unwrap();
    click_nav(
        client,
        client
            .find(Locator::Css("form.filters button[type=submit]"))
            .await
            .unwrap(),
    )
    .await;
    let rows = client
        .find_all(Locator::Css("table.ledger tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "searching {number}");
    shot(client, &format!("{device}-search")).await;

    // The dashboard, drilled down: county → township → village → household list → household.
    client.goto(&format!("{base}/dashboard")).await.unwrap();
    let county = page_text(client).await;
    assert!(county.contains("汝城县"), "{county}");
    assert!(
        !client
            .find_all(Locator::Css("svg"))
            .await
            .unwrap()
            .is_empty(),
        "charts"
    );
    shot(client, &format!("{device}-dashboard-county")).await;
    let township = click_nonzero_child(client).await;
    let page = page_text(client).await;
    assert!(page.contains(&township), "{page}");
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .contains("region=")
    );
    shot(client, &format!("{device}-dashboard-township")).await;
    let village = click_nonzero_child(client).await;
    let page = page_text(client).await;
    assert!(page.contains(&village), "{page}");
    assert!(
        client
            .find_all(Locator::Css("#children"))
            .await
            .unwrap()
            .is_empty(),
        "a village has no sub-regions"
    );
    shot(client, &format!("{device}-dashboard-village")).await;
    // The village's numbers link to the households behind them.
    let tiles = client.find_all(Locator::Css(".tiles a")).await.unwrap();
    let mut opened = false;
    for tile in tiles {
        let text = tile.text().await.unwrap();
        if !text.starts_with('0') {
            click_nav(client, tile).await;
            opened = true;
            break;
        }
    }
    assert!(opened, "a tile with households");
    let url = client.current_url().await.unwrap();
    assert!(url.path() == "/households", "{url}");
    click_nav(
        client,
        client
            .find(Locator::Css("table.ledger tbody tr td a"))
            .await
            .unwrap(),
    )
    .await;
    let household = page_text(client).await;
    assert!(household.contains(&village), "{household}");
    shot(client, &format!("{device}-household")).await;

    // Switch the language, and back.
    client.goto(&format!("{base}/dashboard")).await.unwrap();
    click_nav(client, client.find(Locator::Css("a.lang")).await.unwrap()).await;
    let english = page_text(client).await;
    assert!(english.contains("Dashboard"), "{english}");
    assert!(english.contains("Below the line"), "{english}");
    shot(client, &format!("{device}-dashboard-en")).await;
    click_nav(client, client.find(Locator::Css("a.lang")).await.unwrap()).await;
    assert!(page_text(client).await.contains("数据看板"));
    // Log out, so the next device logs in afresh.
    click_nav(
        client,
        client
            .find(Locator::Css("form.inline button"))
            .await
            .unwrap(),
    )
    .await;
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
        session.set_window_size(1280, 900).await.unwrap();
        journeys(&session, &base, "desktop").await;
        session.set_window_size(390, 844).await.unwrap();
        journeys(&session, &base, "phone").await;
    })
    .await;
    let _ = client.close().await;
    drop(processes);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
