//! A fresh App over a temporary SQLite database with Rucheng's regions, two households and a
//! recorded change, and helpers to send requests to the router.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, FixedOffset, NaiveDate};
use tower::ServiceExt;
use uplift_app::App;
use uplift_app::store::{Clock, HouseholdId, NewHousehold, Scope};
use uplift_domain::household::{
    Education, Health, Household, HouseholdNo, HouseholdType, Labour, MemberStatus, Person,
    Relation, Schooling,
};
use uplift_domain::income::{IncomeRecord, Money};
use uplift_domain::region::RegionCode;
use uplift_domain::resident_id::{ResidentId, Sex};
use uplift_domain::version::{ReadAt, VersionStamp};

/// 长塘村, 热水镇, 汝城县 (data/regions/4310.csv).
pub const CHANGTANG: &str = "431026102202";
/// 水龙村, 热水镇, 汝城县.
pub const SHUILONG: &str = "431026102203";

struct FixedClock(DateTime<FixedOffset>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<FixedOffset> {
        self.0
    }
}

pub struct TestApp {
    pub router: Router,
    /// The household in 长塘村 whose head fell seriously ill on 2026-03-01.
    pub changtang: HouseholdId,
    pub shuilong: HouseholdId,
    /// The head's full ID number, which must never be shown.
    pub head_id_number: String,
    _dir: tempfile::TempDir,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn stamp(valid_from: &str, recorded_at: &str, reason: &str) -> VersionStamp {
    VersionStamp {
        valid_from: d(valid_from),
        recorded_at: t(recorded_at),
        actor: "tester".into(),
        source: "test".into(),
        reason: Some(reason.into()),
    }
}

fn person(name: &str, relation: Relation, birth: &str, seq: u16, sex: Sex) -> Person {
    Person {
        name: name.into(),
        id_number: ResidentId::compose("431026", d(birth), seq, sex),
        relation,
        sex: Some(sex),
        birth_date: Some(d(birth)),
        education: Some(Education::JuniorSecondary),
        schooling: Some(Schooling::NotStudent),
        health: Health::Healthy,
        disability_grade: None,
        labour: Labour::Ordinary,
        major_illness_insurance: Some(true),
        phone: Some("13812345678".into()),
        status: MemberStatus::Active,
    }
}

fn income(wage_yuan: i64) -> IncomeRecord {
    IncomeRecord {
        period_start: d("2025-01-01"),
        period_end: d("2025-12-31"),
        wage: Money::from_yuan(wage_yuan),
        business: Money::from_yuan(3_000),
        property: Money::from_yuan(200),
        transfer: Money::from_yuan(1_800),
        production_costs: Money::from_yuan(1_000),
        compliant_out_of_pocket: None,
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("web.sqlite").display());
        let db = uplift_db::Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        let store = db.store();

        let (_, text) = uplift_app::regions::SHIPPED
            .iter()
            .find(|(city, _)| *city == "4310")
            .unwrap();
        let regions = uplift_app::regions::parse_region_csv("4310.csv", text).unwrap();
        store.save_regions(&regions).await.unwrap();

        let head = person("张三", Relation::Head, "1970-05-01", 11, Sex::Male);
        let head_id_number = head.id_number.as_str().to_owned();
        let spouse = person("李四", Relation::Spouse, "1972-08-09", 22, Sex::Female);
        let changtang = NewHousehold {
            household: Household::new(
                HouseholdNo::parse("431026102202-0001").unwrap(),
                HouseholdType::FormerlyPoor,
                RegionCode::parse(CHANGTANG).unwrap(),
                Some("长塘村3组".into()),
            )
            .unwrap(),
            members: vec![head.clone(), spouse],
            incomes: vec![income(10_000)],
        };
        let shuilong = NewHousehold {
            household: Household::new(
                HouseholdNo::parse("431026102203-0001").unwrap(),
                HouseholdType::Ordinary,
                RegionCode::parse(SHUILONG).unwrap(),
                Some("水龙村<b>1组</b>".into()),
            )
            .unwrap(),
            members: vec![person("王五", Relation::Head, "1980-01-02", 33, Sex::Male)],
            incomes: vec![income(9_000)],
        };
        let ids = store
            .register_households(
                &[changtang, shuilong],
                &stamp("2020-01-01", "2021-01-01T09:00:00+08:00", "registration"),
            )
            .await
            .unwrap();

        // The head fell seriously ill on 2026-03-01, recorded the next day.
        let detail = store
            .household(ids[0], &Scope::Everything, ReadAt::current(d("2026-11-25")))
            .await
            .unwrap()
            .unwrap();
        let head_record = detail
            .members
            .iter()
            .find(|m| m.person.value.relation == Relation::Head)
            .unwrap();
        let ill = Person {
            health: Health::SeriousIllness,
            ..head
        };
        store
            .record_person_version(
                ids[0],
                head_record.id,
                &ill,
                &stamp("2026-03-01", "2026-03-02T10:00:00+08:00", "hospital visit"),
            )
            .await
            .unwrap();

        let app = App::new(
            store,
            Arc::new(FixedClock(t("2026-11-25T10:00:00+08:00"))),
            uplift_app::policy::shipped().unwrap(),
        );
        TestApp {
            router: uplift_web::router(app),
            changtang: ids[0],
            shuilong: ids[1],
            head_id_number,
            _dir: dir,
        }
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn get_with_cookie(&self, uri: &str, cookie: &str) -> Answer {
        self.send(
            Request::get(uri)
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        let res = self.router.clone().oneshot(request).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }
}

/// Asserts an error envelope with this status and code; returns its single error.
pub fn assert_envelope(answer: &Answer, status: StatusCode, code: &str) -> serde_json::Value {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert!(
        answer
            .header(header::CONTENT_TYPE)
            .starts_with("application/json"),
        "{:?}",
        answer.headers
    );
    let json = answer.json();
    let errors = json["errors"].as_array().expect("an errors array");
    assert_eq!(errors.len(), 1, "{json}");
    assert_eq!(errors[0]["code"], code, "{json}");
    assert!(errors[0]["detail"].as_str().is_some_and(|d| !d.is_empty()));
    errors[0].clone()
}
