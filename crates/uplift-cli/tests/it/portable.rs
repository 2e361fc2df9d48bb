//! `uplift export-all` / `uplift import-all`: SQLite → PostgreSQL → SQLite, and every table
//! (versions, users, audit log) comes back with the same rows and content hashes.

use crate::{db_url, uplift};

fn fresh_pg_database() -> String {
    let base = std::env::var("UPLIFT_TEST_PG_URL").expect(
        "UPLIFT_TEST_PG_URL is not set: the export-all round trip needs a PostgreSQL cluster; \
         run scripts/test, which starts a throwaway one",
    );
    let name = format!("uplift_cli_portable_{}", std::process::id());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let admin = uplift_db::Db::connect(&base).await.unwrap();
        admin
            .execute_admin(&format!("DROP DATABASE IF EXISTS {name}"))
            .await
            .unwrap();
        admin
            .execute_admin(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        admin.close().await;
    });
    let (head, _) = base.rsplit_once('/').unwrap();
    format!("{head}/{name}")
}

fn tables(manifest: &std::path::Path) -> serde_json::Value {
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(manifest).unwrap()).unwrap();
    m["tables"].clone()
}

#[test]
fn export_all_and_import_all_move_a_database_between_sqlite_and_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = db_url(dir.path());
    let run = uplift(&[
        "synth",
        "--households",
        "80",
        "--seed",
        "4",
        "--database",
        &sqlite,
    ]);
    assert!(run.ok, "{}", run.err);
    let run = uplift(&[
        "user",
        "add",
        "li",
        "--role",
        "村干部",
        "--region",
        "431026102200",
        "--password",
        "secret-pass",
        "--database",
        &sqlite,
    ]);
    assert!(run.ok, "{}", run.err);

    let first = dir.path().join("from-sqlite");
    let run = uplift(&["export-all", first.to_str().unwrap(), "--database", &sqlite]);
    assert!(run.ok, "{}", run.err);
    assert!(run.out.contains("Exported"), "{}", run.out);
    for f in [
        "manifest.json",
        "snapshot.jsonl",
        "households.csv",
        "persons.csv",
    ] {
        assert!(first.join(f).exists(), "{f}");
    }
    // Refuses to write over an earlier export.
    assert!(!uplift(&["export-all", first.to_str().unwrap(), "--database", &sqlite]).ok);

    let pg = fresh_pg_database();
    let run = uplift(&["import-all", first.to_str().unwrap(), "--database", &pg]);
    assert!(run.ok, "{}", run.err);
    assert!(run.out.contains("every table matches"), "{}", run.out);
    // A second import into the now full database is refused, all or nothing.
    let again = uplift(&["import-all", first.to_str().unwrap(), "--database", &pg]);
    assert!(!again.ok);
    assert!(again.err.contains("empty database"), "{}", again.err);

    let second = dir.path().join("from-postgres");
    let run = uplift(&["export-all", second.to_str().unwrap(), "--database", &pg]);
    assert!(run.ok, "{}", run.err);
    let back = db_url(&dir.path().join("back"));
    std::fs::create_dir_all(dir.path().join("back")).unwrap();
    let run = uplift(&["import-all", second.to_str().unwrap(), "--database", &back]);
    assert!(run.ok, "{}", run.err);

    // Same tables, rows and hashes at every hop; the formats.md files are identical.
    let t1 = tables(&first.join("manifest.json"));
    assert_eq!(t1, tables(&second.join("manifest.json")));
    let rows = |t: &serde_json::Value, name: &str| {
        t.as_array()
            .unwrap()
            .iter()
            .find(|e| e["table"] == name)
            .unwrap()["rows"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(rows(&t1, "households"), 80);
    assert!(rows(&t1, "person_versions") > 80);
    assert!(rows(&t1, "users") >= 1);
    for f in ["households.csv", "persons.csv"] {
        assert_eq!(
            std::fs::read(first.join(f)).unwrap(),
            std::fs::read(second.join(f)).unwrap(),
            "{f}"
        );
    }
    let check = uplift(&["check", "--database", &back]);
    assert!(
        check.ok && check.out.contains("80 households"),
        "{}",
        check.out
    );
    // A damaged snapshot is refused against its manifest.
    let third = dir.path().join("damaged");
    std::fs::create_dir_all(&third).unwrap();
    std::fs::copy(first.join("manifest.json"), third.join("manifest.json")).unwrap();
    let snap = std::fs::read_to_string(first.join("snapshot.jsonl")).unwrap();
    std::fs::write(
        third.join("snapshot.jsonl"),
        snap.replacen("\"li\"", "\"mallory\"", 1),
    )
    .unwrap();
    let target = db_url(&dir.path().join("damaged"));
    let run = uplift(&["import-all", third.to_str().unwrap(), "--database", &target]);
    assert!(!run.ok);
    assert!(run.err.contains("differs from its manifest"), "{}", run.err);
    let check = uplift(&["check", "--database", &target]);
    assert!(check.out.contains(" 0 households"), "{}", check.out);
}
