//! `uplift encrypt`: an existing plain database encrypted at rest; refused without the key.

use std::process::Command;

use crate::{Run, db_url, uplift};

const KEY: &str = "5f1e0c3a9b7d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f1a3c5e7b9d0f";
const WRONG: &str = "0000000000000000000000000000000000000000000000000000000000000001";

fn uplift_with_key(key: &str, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_uplift"))
        .args(args)
        .env_remove("UPLIFT_DATABASE_URL")
        .env_remove("UPLIFT_DATA_KEY_FILE")
        .env("UPLIFT_DATA_KEY", key)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the uplift binary runs");
    Run {
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
        ok: out.status.success(),
    }
}

/// The 18-character ID numbers in a persons export.
fn id_numbers(csv: &str) -> Vec<String> {
    csv.split([',', '\n', '\r'])
        .filter(|f| {
            let b = f.as_bytes();
            b.len() == 18
                && b[..17].iter().all(u8::is_ascii_digit)
                && (b[17].is_ascii_digit() || b[17] == b'X')
        })
        .map(str::to_owned)
        .collect()
}

fn stored_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().contains("t.sqlite") {
            all.extend(std::fs::read(&path).unwrap());
        }
    }
    all
}

#[test]
fn encrypt_hides_id_numbers_keeps_them_readable_and_refuses_a_missing_or_wrong_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_url(dir.path());
    let synth = uplift(&[
        "synth",
        "--households",
        "40",
        "--seed",
        "5",
        "--database",
        &db,
    ]);
    assert!(synth.ok, "{}", synth.err);
    let before = dir.path().join("before.csv");
    let run = uplift(&[
        "export",
        "persons",
        before.to_str().unwrap(),
        "--headers",
        "en",
        "--database",
        &db,
    ]);
    assert!(run.ok, "{}", run.err);
    let before = std::fs::read_to_string(&before).unwrap();
    let ids = id_numbers(&before);
    assert!(ids.len() > 40, "{}", ids.len());

    // No key: refused, and the database stays plain.
    let run = uplift(&["encrypt", "--database", &db]);
    assert!(!run.ok);
    assert!(run.err.contains("no data key"), "{}", run.err);

    // The key from a file, as `uplift encrypt --generate-key` prints one.
    let fresh = uplift(&["encrypt", "--generate-key"]);
    assert!(fresh.ok && fresh.out.trim().len() == 64, "{}", fresh.out);
    let key_file = dir.path().join("data.key");
    std::fs::write(&key_file, format!("{KEY}\n")).unwrap();
    let key_file = key_file.to_str().unwrap();
    let run = uplift(&[
        "--key-file",
        key_file,
        "encrypt",
        "--cipher",
        "aes-256-gcm",
        "--database",
        &db,
    ]);
    assert!(run.ok, "{}", run.err);
    assert!(run.out.contains("aes-256-gcm"), "{}", run.out);

    // The database files on disk hold none of the ID numbers any more (the old rows are
    // vacuumed away, not left in free pages).
    let text = String::from_utf8_lossy(&stored_bytes(dir.path())).into_owned();
    let leaked: Vec<&String> = ids.iter().filter(|id| text.contains(id.as_str())).collect();
    assert!(
        leaked.is_empty(),
        "{} of {} ID numbers on disk",
        leaked.len(),
        ids.len()
    );

    // Without the key, or with another, every command and the server refuse to start.
    let run = uplift(&["check", "--database", &db]);
    assert!(!run.ok);
    assert!(
        run.err.contains("refusing to start without the data key"),
        "{}",
        run.err
    );
    let wrong = uplift_with_key(WRONG, &["check", "--database", &db]);
    assert!(!wrong.ok);
    assert!(wrong.err.contains("does not match"), "{}", wrong.err);
    let serve = uplift(&["serve", "--listen", "127.0.0.1:0", "--database", &db]);
    assert!(!serve.ok);
    assert!(serve.err.contains("UPLIFT_DATA_KEY"), "{}", serve.err);

    // With the key, reads (and search by ID number) give back the same people.
    let after = dir.path().join("after.csv");
    let run = uplift_with_key(
        KEY,
        &[
            "export",
            "persons",
            after.to_str().unwrap(),
            "--headers",
            "en",
            "--database",
            &db,
        ],
    );
    assert!(run.ok, "{}", run.err);
    assert_eq!(std::fs::read_to_string(&after).unwrap(), before);
    let one = dir.path().join("one.csv");
    let run = uplift_with_key(
        KEY,
        &[
            "export",
            "households",
            one.to_str().unwrap(),
            "--search",
            &ids[0],
            "--database",
            &db,
        ],
    );
    assert!(run.ok, "{}", run.err);
    assert!(std::fs::read_to_string(&one).unwrap().contains(&ids[0]));
}
