//! Logs never hold an ID number, a name or an income: a full flow (demo data, logins, pages, API,
//! typed changes, unmasking, file imports) runs with every log target at trace level, and the
//! captured logs are searched for every ID number, name, phone and income in the database.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use crate::{db_url, uplift};

struct Reply {
    status: u16,
    head: String,
    body: String,
}

/// One HTTP/1.1 request on its own connection (`Connection: close`).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    session: Option<&(String, String)>,
    json: Option<&str>,
) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("the server listens");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some((cookie, csrf)) = session {
        req.push_str(&format!("Cookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\n"));
    }
    let body = json.unwrap_or("");
    if json.is_some() {
        req.push_str("Content-Type: application/json\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Reply {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

fn login(addr: &str, user: &str, password: &str) -> Option<(String, String)> {
    let body = serde_json::json!({"username": user, "password": password}).to_string();
    let r = http(addr, "POST", "/api/v1/session", None, Some(&body));
    if r.status != 200 {
        eprintln!("login {user}: {} {}", r.status, r.body);
        return None;
    }
    let cookie = r
        .head
        .lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let csrf = serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    Some((cookie, csrf))
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Every name, ID number, phone and income (fen and yuan) in a snapshot of the database.
fn personal_values(db: &str, dir: &std::path::Path, tag: &str) -> (Vec<String>, Vec<String>) {
    let snap = dir.join(format!("{tag}.jsonl"));
    let run = uplift(&["backup", snap.to_str().unwrap(), "--database", db]);
    assert!(run.ok, "{}", run.err);
    let mut words = Vec::new();
    let mut amounts = Vec::new();
    let mut columns: Vec<String> = Vec::new();
    let mut table = String::new();
    for line in std::fs::read_to_string(&snap).unwrap().lines().skip(1) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(t) = v.get("table") {
            table = t.as_str().unwrap().to_owned();
            columns = serde_json::from_value(v["columns"].clone()).unwrap();
            continue;
        }
        for (c, cell) in columns.iter().zip(v.as_array().unwrap()) {
            match (table.as_str(), c.as_str()) {
                ("person_versions", "name" | "id_number" | "phone") => {
                    if let Some(s) = cell.as_str() {
                        words.push(s.to_owned());
                    }
                }
                ("income_versions", c) if c.ends_with("_fen") => {
                    if let Some(fen) = cell.as_i64().filter(|f| f.abs() >= 10_000) {
                        amounts.push(fen.to_string());
                        amounts.push(format!("{}.{:02}", fen / 100, (fen % 100).abs()));
                        if fen % 100 == 0 {
                            amounts.push((fen / 100).to_string());
                        }
                    }
                }
                _ => {}
            }
        }
    }
    words.sort();
    words.dedup();
    amounts.sort();
    amounts.dedup();
    (words, amounts)
}

fn assert_clean(logs: &str, words: &[String], amounts: &[String]) {
    let leaked: Vec<&String> = words.iter().filter(|w| logs.contains(w.as_str())).collect();
    assert!(leaked.is_empty(), "personal values in the logs: {leaked:?}");
    // Amounts are matched as whole tokens, so that a number inside a timestamp is no match; the
    // server's own address goes first, since its port is random and may equal an amount.
    let logs = without_ports(logs);
    let tokens: std::collections::HashSet<&str> = logs
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .map(|t| t.trim_end_matches('.'))
        .collect();
    let leaked: Vec<&String> = amounts
        .iter()
        .filter(|a| tokens.contains(a.as_str()))
        .collect();
    let lines: Vec<&str> = logs
        .lines()
        .filter(|l| leaked.iter().any(|a| l.contains(a.as_str())))
        .take(3)
        .collect();
    assert!(
        leaked.is_empty(),
        "incomes in the logs: {leaked:?} in {lines:#?}"
    );
}

/// `logs` with the digits after every `127.0.0.1:` removed (the listening and client ports).
fn without_ports(logs: &str) -> String {
    let mut out = String::with_capacity(logs.len());
    let mut rest = logs;
    while let Some(at) = rest.find("127.0.0.1:") {
        let (head, tail) = rest.split_at(at + "127.0.0.1:".len());
        out.push_str(head);
        rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

#[test]
fn ports_are_not_amounts() {
    assert_eq!(
        without_ports("listening on 127.0.0.1:46000, client 127.0.0.1:51234 income 46000"),
        "listening on 127.0.0.1:, client 127.0.0.1: income 46000"
    );
}

#[test]
fn a_full_flow_logged_at_trace_level_holds_no_id_number_name_or_income() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(dir.path());
    let log_path = dir.path().join("server.log");
    let mut server = Command::new(env!("CARGO_BIN_EXE_uplift"))
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--households",
            "150",
            "--database",
            &db,
        ])
        .env_remove("UPLIFT_DATA_KEY")
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("the demo prints its address").unwrap();
        if let Some(rest) = line.trim().strip_prefix("web:") {
            break rest
                .trim()
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_owned();
        }
    };

    // Logins: right, wrong password, unknown user.
    assert!(login(&addr, "demo-county", "wrong-password").is_none());
    assert!(login(&addr, "nobody-here", "uplift-demo").is_none());
    let county = login(&addr, "demo-county", "uplift-demo").expect("county logs in");
    let village = login(&addr, "demo-village", "uplift-demo").expect("village logs in");

    let list = http(
        &addr,
        "GET",
        "/api/v1/households?page=1",
        Some(&county),
        None,
    );
    assert_eq!(list.status, 200, "{}", list.body);
    let list: serde_json::Value = serde_json::from_str(&list.body).unwrap();
    let first = list["items"][0]["id"].as_i64().expect("a household id");
    let detail = http(
        &addr,
        "GET",
        &format!("/api/v1/households/{first}"),
        Some(&county),
        None,
    );
    assert_eq!(detail.status, 200);
    let detail: serde_json::Value = serde_json::from_str(&detail.body).unwrap();
    let version = detail["version"].as_i64().unwrap();
    let head_name = detail["members"][0]["name"].as_str().unwrap().to_owned();

    // Unmasking, then search by the full ID number and by name, in the API and the pages.
    let unmask = http(
        &addr,
        "POST",
        &format!("/api/v1/households/{first}/unmask"),
        Some(&county),
        Some(r#"{"reason":"核实身份信息"}"#),
    );
    assert_eq!(unmask.status, 200, "{}", unmask.body);
    let unmasked: serde_json::Value = serde_json::from_str(&unmask.body).unwrap();
    let id_number = unmasked["members"][0]["id_number"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        format!("/api/v1/households?search={}", enc(&id_number)),
        format!("/api/v1/households?search={}", enc(&head_name)),
        format!("/households?search={}", enc(&id_number)),
        format!("/households/{first}"),
        format!("/households/{first}/timeline"),
        "/".to_owned(),
        "/dashboard".to_owned(),
        "/api/v1/dashboard".to_owned(),
        "/api/v1/warnings".to_owned(),
        "/api/v1/cases".to_owned(),
        format!("/api/v1/households/{first}/history"),
        "/api/v1/households/export?format=csv".to_owned(),
    ] {
        let r = http(&addr, "GET", &path, Some(&county), None);
        assert!(r.status < 500, "{path}: {}", r.status);
    }
    // Typed changes: one applied, one stale (409), one malformed (422) carrying personal data.
    let change = serde_json::json!({"expected_version": version, "reason": "更正家庭住址",
        "kind": "edit_household", "address": "新街1号"})
    .to_string();
    let r = http(
        &addr,
        "POST",
        &format!("/api/v1/households/{first}/changes"),
        Some(&county),
        Some(&change),
    );
    assert!(r.status < 300, "{}: {}", r.status, r.body);
    let r = http(
        &addr,
        "POST",
        &format!("/api/v1/households/{first}/changes"),
        Some(&county),
        Some(&change),
    );
    assert_eq!(r.status, 409, "{}", r.body);
    let bad = serde_json::json!({"expected_version": version, "reason": "新增成员",
        "kind": "add_member", "name": head_name, "id_number": format!("{}0", id_number),
        "relation": "son"})
    .to_string();
    let r = http(
        &addr,
        "POST",
        &format!("/api/v1/households/{first}/changes"),
        Some(&county),
        Some(&bad),
    );
    assert!((400..500).contains(&r.status), "{}: {}", r.status, r.body);
    // Out of scope and without a session.
    let r = http(
        &addr,
        "GET",
        &format!("/api/v1/households/{first}/unmask"),
        Some(&village),
        None,
    );
    assert!(r.status >= 400);
    let r = http(
        &addr,
        "GET",
        &format!("/api/v1/households?search={}", enc(&id_number)),
        None,
        None,
    );
    assert_eq!(r.status, 401);
    server.kill().unwrap();
    server.wait().unwrap();

    // File imports (CLI, debug): a registry with errors, then a clean one, and their incomes.
    let csv_dir = dir.path().join("csv");
    std::fs::create_dir_all(dir.path().join("imported")).unwrap();
    std::fs::create_dir_all(dir.path().join("synth")).unwrap();
    let synth = uplift(&[
        "synth",
        "--households",
        "60",
        "--seed",
        "9",
        "--with-errors",
        "--csv-out",
        csv_dir.to_str().unwrap(),
        "--database",
        &db_url(&dir.path().join("synth")),
    ]);
    assert!(synth.ok, "{}", synth.err);
    let imported = db_url(&dir.path().join("imported"));
    let regions = uplift(&["regions", "load-shipped", "--database", &imported]);
    assert!(regions.ok, "{}", regions.err);
    let mut import_logs = String::new();
    for (kind, file, extra) in [
        ("households", "households.csv", None),
        ("households", "households.csv", Some("--partial")),
        ("incomes", "incomes.csv", Some("--partial")),
    ] {
        let path = csv_dir.join(file);
        let mut args = vec![
            "-vv",
            "import",
            kind,
            path.to_str().unwrap(),
            "--quiet",
            "--database",
            &imported,
        ];
        args.extend(extra);
        let out = Command::new(env!("CARGO_BIN_EXE_uplift"))
            .args(&args)
            .env("RUST_LOG", "trace")
            .output()
            .unwrap();
        import_logs.push_str(&String::from_utf8_lossy(&out.stderr));
        assert!(
            kind == "incomes" || extra.is_some() || !out.status.success(),
            "the file has errors"
        );
    }

    let logs = std::fs::read_to_string(&log_path).unwrap() + &import_logs;
    assert!(
        logs.contains("TRACE") && logs.contains("migrated"),
        "logging was not captured at trace level"
    );
    let (mut words, mut amounts) = personal_values(&db, dir.path(), "demo");
    let (w, a) = personal_values(&imported, dir.path(), "imported");
    assert!(w.len() > 100 && a.len() > 10, "{} {}", w.len(), a.len());
    words.extend(w);
    amounts.extend(a);
    words.push(id_number);
    assert_clean(&logs, &words, &amounts);
}
