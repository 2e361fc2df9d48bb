//! Fresh databases for each test, and the fixtures the contract tests share.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, FixedOffset, NaiveDate};
use uplift_db::Db;
use uplift_domain::household::{
    Education, Health, Household, HouseholdNo, HouseholdType, Labour, MemberStatus, Person,
    Relation, Schooling,
};
use uplift_domain::income::{IncomeRecord, Money};
use uplift_domain::region::{Region, RegionCode};
use uplift_domain::resident_id::{ResidentId, Sex};
use uplift_domain::version::VersionStamp;

pub enum Backend {
    Sqlite,
    Postgres,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Runs `test` against a fresh, migrated database of `backend`.
pub async fn with_db<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
            let db = Db::connect(&url).await.unwrap();
            db.migrate().await.unwrap();
            test(db.clone()).await;
            db.close().await;
        }
        Backend::Postgres => {
            let base = std::env::var("UPLIFT_TEST_PG_URL").expect(
                "UPLIFT_TEST_PG_URL is not set: the PostgreSQL contract tests need a cluster; \
                 run scripts/test, which starts a throwaway one",
            );
            let name = format!(
                "uplift_t_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst)
            );
            let admin = Db::connect(&base).await.unwrap();
            admin
                .execute_admin(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let url = replace_db_name(&base, &name);
            let db = Db::connect(&url).await.unwrap();
            db.migrate().await.unwrap();
            test(db.clone()).await;
            db.close().await;
            admin
                .execute_admin(&format!("DROP DATABASE {name}"))
                .await
                .unwrap();
            admin.close().await;
        }
    }
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (head, query) = url
        .split_once('?')
        .map_or((url, None), |(h, q)| (h, Some(q)));
    let base = head.rsplit_once('/').map_or(head, |(b, _)| b);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Declares a contract test run once per backend.
#[macro_export]
macro_rules! contract {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                $crate::support::with_db($crate::support::Backend::Sqlite, super::$name).await;
            }
            #[tokio::test]
            async fn postgres() {
                $crate::support::with_db($crate::support::Backend::Postgres, super::$name).await;
            }
        }
    };
}

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

pub fn stamp(valid_from: &str, recorded_at: &str) -> VersionStamp {
    VersionStamp {
        valid_from: d(valid_from),
        recorded_at: t(recorded_at),
        actor: "contract".into(),
        source: "test".into(),
        reason: Some("fixture".into()),
    }
}

/// 汝城县 and two of its villages in two townships, from the shipped region data.
pub fn rucheng_regions() -> Vec<Region> {
    let (_, text) = uplift_app::regions::SHIPPED
        .iter()
        .find(|(city, _)| *city == "4310")
        .unwrap();
    let all = uplift_app::regions::parse_region_csv("4310.csv", text).unwrap();
    let county = RegionCode::parse("431026").unwrap();
    all.into_iter()
        .filter(|r| r.code.contains(&county) || county.contains(&r.code))
        .collect()
}

pub fn villages(regions: &[Region]) -> Vec<RegionCode> {
    regions
        .iter()
        .filter(|r| r.level() == uplift_domain::region::RegionLevel::Village)
        .map(|r| r.code)
        .collect()
}

pub fn person(id17: &str, name: &str, relation: Relation, health: Health) -> Person {
    let check = uplift_domain::resident_id::check_char(id17);
    let id = ResidentId::parse(&format!("{id17}{check}"), d("2026-11-25")).unwrap();
    Person {
        name: name.into(),
        sex: id.sex(),
        birth_date: id.birth_date(),
        id_number: id,
        relation,
        education: Some(Education::JuniorSecondary),
        schooling: Some(Schooling::NotStudent),
        health,
        disability_grade: None,
        labour: Labour::Ordinary,
        major_illness_insurance: Some(true),
        phone: Some("13812345678".into()),
        status: MemberStatus::Active,
    }
}

pub fn household(no: &str, village: RegionCode, kind: HouseholdType) -> Household {
    Household::new(
        HouseholdNo::parse(no).unwrap(),
        kind,
        village,
        Some("汝城县某村1组".into()),
    )
    .unwrap()
}

pub fn income(year: i32, wage_yuan: i64) -> IncomeRecord {
    IncomeRecord {
        period_start: NaiveDate::from_ymd_opt(year, 1, 1).unwrap(),
        period_end: NaiveDate::from_ymd_opt(year, 12, 31).unwrap(),
        wage: Money::from_yuan(wage_yuan),
        business: Money::from_yuan(3_000),
        property: Money::from_yuan(200),
        transfer: Money::from_yuan(1_800),
        production_costs: Money::from_yuan(1_000),
        compliant_out_of_pocket: None,
    }
}

pub fn sex_of(p: &Person) -> Sex {
    p.sex.unwrap()
}

/// Keeps a second test database alive; drops its files or drops the database at the end.
pub enum Second {
    Sqlite { _dir: tempfile::TempDir },
    Postgres { admin: Db, name: String },
}

impl Second {
    pub async fn drop_now(self) {
        if let Second::Postgres { admin, name } = self {
            admin
                .execute_admin(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .await
                .unwrap();
            admin.close().await;
        }
    }
}

/// A second fresh, migrated database of the given backend.
pub async fn another(backend: uplift_db::Backend) -> (Db, Second) {
    match backend {
        uplift_db::Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("second.sqlite").display());
            let db = Db::connect(&url).await.unwrap();
            db.migrate().await.unwrap();
            (db, Second::Sqlite { _dir: dir })
        }
        uplift_db::Backend::Postgres => {
            let base = std::env::var("UPLIFT_TEST_PG_URL").expect("UPLIFT_TEST_PG_URL is not set");
            let name = format!(
                "uplift_t2_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst)
            );
            let admin = Db::connect(&base).await.unwrap();
            admin
                .execute_admin(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let db = Db::connect(&replace_db_name(&base, &name)).await.unwrap();
            db.migrate().await.unwrap();
            (db, Second::Postgres { admin, name })
        }
    }
}

struct FixedClock;

impl uplift_app::store::Clock for FixedClock {
    fn now(&self) -> chrono::DateTime<chrono::FixedOffset> {
        t("2026-11-25T12:00:00+08:00")
    }
}

/// An App over this database, with the clock fixed at 2026-11-25 12:00 CST.
pub fn app(db: &Db) -> uplift_app::App {
    uplift_app::App::new(
        db.store(),
        std::sync::Arc::new(FixedClock),
        uplift_app::policy::shipped().unwrap(),
    )
}

/// The text of a PDF, read by `pdftotext` (poppler-utils).
pub fn pdf_text(pdf: &[u8]) -> String {
    use std::io::Write;
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(file.path())
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every run of 17 digits and a digit or X (an 18-character resident ID number) in `text`,
/// ignoring the spaces and line breaks a PDF's text may put between characters.
pub fn id_numbers_in(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    let mut found = Vec::new();
    for start in 0..chars.len() {
        if start > 0 && chars[start - 1].is_ascii_digit() {
            continue;
        }
        let digits = chars[start..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        let tail = chars.get(start + 17).copied();
        if digits == 18 || (digits == 17 && matches!(tail, Some('X' | 'x'))) {
            found.push(chars[start..start + 18].iter().collect());
        }
    }
    found
}
