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
use uplift_domain::access::{Department, Role};
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
/// 热水镇, 汝城县: the township of both villages.
pub const RESHUI: &str = "431026102";
/// 省报社社区居委会, 南岗区, 哈尔滨市: a village in another province.
pub const HARBIN_VILLAGE: &str = "230102001001";

/// The password of every test user.
pub const PASSWORD: &str = "test-password";

/// The test clock: 2026-11-25 10:00 CST unless a test moves it ([`TestApp::set_today`]).
pub struct FixedClock(std::sync::Mutex<DateTime<FixedOffset>>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<FixedOffset> {
        *self.0.lock().unwrap()
    }
}

/// A logged-in test user: the session cookie and the CSRF token.
#[derive(Clone)]
pub struct Login {
    pub cookie: String,
    pub csrf: String,
}

pub struct TestApp {
    pub router: Router,
    /// The household in Harbin, outside every test user's scope.
    pub harbin: HouseholdId,
    /// One logged-in session per role (see [`TestApp::spawn`] for their scopes).
    pub logins: std::collections::HashMap<Role, Login>,
    /// The household in 长塘村 whose head fell seriously ill on 2026-03-01.
    pub changtang: HouseholdId,
    pub shuilong: HouseholdId,
    /// The head's full ID number, which must never be shown.
    pub head_id_number: String,
    /// A department-warning case on the 长塘村 household (IN) and on the 哈尔滨 one (OUT).
    pub case_in: i64,
    pub case_out: i64,
    pub clock: Arc<FixedClock>,
    /// A medical feed batch (the CLI's: no region, no department) naming the 长塘村 head, the
    /// Harbin head and one person nobody knows.
    pub feed_batch: i64,
    /// The warning of the 长塘村 household (inside the Rucheng scopes) and of the Harbin one.
    pub warning_in: i64,
    pub warning_out: i64,
    /// A proposed project in 长塘村 (IN) and one in Harbin (OUT), and a 2026 fund plan of
    /// 汝城县 (IN) and of the Harbin district (OUT).
    pub project_in: i64,
    pub project_out: i64,
    pub plan_in: i64,
    pub plan_out: i64,
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
        let (_, text) = uplift_app::regions::SHIPPED
            .iter()
            .find(|(city, _)| *city == "2301")
            .unwrap();
        let regions = uplift_app::regions::parse_region_csv("2301.csv", text).unwrap();
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
        let harbin = NewHousehold {
            household: Household::new(
                HouseholdNo::parse("230102001001-0001").unwrap(),
                HouseholdType::Ordinary,
                RegionCode::parse(HARBIN_VILLAGE).unwrap(),
                None,
            )
            .unwrap(),
            members: vec![Person {
                id_number: ResidentId::compose("230102", d("1975-03-04"), 44, Sex::Female),
                ..person("赵六", Relation::Head, "1975-03-04", 44, Sex::Female)
            }],
            incomes: vec![income(20_000)],
        };
        let ids = store
            .register_households(
                &[changtang, shuilong, harbin],
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

        let clock = Arc::new(FixedClock(std::sync::Mutex::new(t(
            "2026-11-25T10:00:00+08:00",
        ))));
        let app = App::new(store, clock.clone(), uplift_app::policy::shipped().unwrap());
        // One user per role: the cadre of 长塘村, the reviewer of 热水镇, county staff of 汝城县,
        // viewers of 郴州市 and 湖南省, a medical-insurance clerk, an auditor, and a helper
        // assigned to the 长塘村 household.
        let machine = uplift_app::access::Principal::machine("setup");
        let users = [
            (Role::VillageCadre, CHANGTANG, None),
            (Role::Helper, "431026", None),
            (Role::TownshipReviewer, RESHUI, None),
            (Role::CountyOfficer, "431026", None),
            (Role::CountyAdmin, "431026", None),
            (Role::CityViewer, "4310", None),
            (Role::ProvinceViewer, "43", None),
            (Role::DepartmentClerk, "431026", Some(Department::Medical)),
            (Role::Auditor, "431026", None),
        ];
        for (role, region, department) in users {
            let new = uplift_app::access::NewUser {
                username: role_user(role),
                display_name: role_user(role),
                role,
                region: RegionCode::parse(region).unwrap(),
                department,
                password: PASSWORD.into(),
            };
            uplift_app::access::add_user(&app, &machine, new)
                .await
                .unwrap();
        }
        uplift_app::access::assign_helper(&app, &machine, &role_user(Role::Helper), ids[0])
            .await
            .unwrap();
        let mut cases = Vec::new();
        for household in [ids[0], ids[2]] {
            let clue = uplift_app::cases::Clue {
                channel: uplift_domain::case::Channel::DepartmentWarning,
                clue_date: d("2026-11-24"),
                summary: "医保部门预警".into(),
                risk_hint: Some("01".into()),
                green_channel: false,
            };
            let id = uplift_app::cases::open_clue(&app, &machine, household, clue, "test")
                .await
                .unwrap();
            cases.push(id.0);
        }
        // A medical feed and a screening as of the test's today: each head's hospital stay
        // raises a warning.
        let harbin_head = ResidentId::compose("230102", d("1975-03-04"), 44, Sex::Female);
        let csv = format!(
            "证件号码,结算日期,医疗总费用,政策范围内个人自付,记录编号\n\
             {head_id_number},2026-10-01,30000,20000,S1\n\
             {},2026-10-02,30000,20000,S2\n\
             11010519491231002X,2026-10-03,100,50,S3\n",
            harbin_head.as_str()
        );
        let parsed = uplift_app::feeds::parse_feed(
            uplift_app::feeds::FeedKind::Medical,
            "medical-2026-10.csv",
            csv.into_bytes(),
        )
        .unwrap();
        let imported = uplift_app::feeds::screening::import_parsed(
            &app,
            parsed,
            &uplift_app::feeds::screening::Uploader::machine("setup"),
        )
        .await
        .unwrap();
        uplift_app::feeds::screening::run_screening(
            &app,
            d("2026-11-25"),
            uplift_app::feeds::screening::ScreenMode::Batch,
        )
        .await
        .unwrap();
        let warnings = uplift_app::feeds::screening::all_warnings(
            &app,
            &uplift_app::feeds::store::WarningFilter::everything(),
        )
        .await
        .unwrap();
        let warning_of = |id: HouseholdId| {
            warnings
                .iter()
                .find(|w| w.warning.household_id == id.0)
                .unwrap_or_else(|| panic!("no warning for household {id:?}"))
                .id
        };
        let (warning_in, warning_out) = (warning_of(ids[0]), warning_of(ids[2]));
        let (project_in, project_out, plan_in, plan_out) = project_fixtures(&app).await;
        let mut test_app = TestApp {
            case_in: cases[0],
            case_out: cases[1],
            clock,
            router: uplift_web::router(app),
            harbin: ids[2],
            logins: std::collections::HashMap::new(),
            changtang: ids[0],
            shuilong: ids[1],
            head_id_number,
            feed_batch: imported.batch.id,
            warning_in,
            warning_out,
            project_in,
            project_out,
            plan_in,
            plan_out,
            _dir: dir,
        };
        for (role, _, _) in users {
            let login = test_app.log_in(&role_user(role), PASSWORD).await.unwrap();
            test_app.logins.insert(role, login);
        }
        test_app
    }

    /// Moves the clock to 10:00 CST on `day` (YYYY-MM-DD) and logs every role in again, since
    /// sessions do not survive a jump in time.
    pub async fn set_today(&mut self, day: &str) {
        *self.clock.0.lock().unwrap() = t(&format!("{day}T10:00:00+08:00"));
        let roles: Vec<Role> = self.logins.keys().copied().collect();
        for role in roles {
            let login = self.log_in(&role_user(role), PASSWORD).await.unwrap();
            self.logins.insert(role, login);
        }
    }

    /// Logs in through the API; `None` when refused.
    pub async fn log_in(&self, username: &str, password: &str) -> Option<Login> {
        let body = serde_json::json!({"username": username, "password": password}).to_string();
        let res = self
            .send(
                Request::post("/api/v1/session")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        if res.status != StatusCode::OK {
            return None;
        }
        let set_cookie = res.header(header::SET_COOKIE).to_owned();
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        Some(Login {
            cookie,
            csrf: res.json()["csrf_token"].as_str().unwrap().to_owned(),
        })
    }

    pub fn login(&self, role: Role) -> &Login {
        &self.logins[&role]
    }

    /// A GET as the given role.
    pub async fn get_as(&self, role: Role, uri: &str) -> Answer {
        self.get_with_cookie(uri, &self.login(role).cookie.clone())
            .await
    }

    /// A GET without a session.
    pub async fn get_anonymous(&self, uri: &str) -> Answer {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    /// A GET as the township reviewer of 热水镇, whose scope holds both Rucheng households and
    /// who sees ID numbers and phones masked.
    pub async fn get(&self, uri: &str) -> Answer {
        self.get_as(Role::TownshipReviewer, uri).await
    }

    /// A GET as the township reviewer with extra cookies.
    pub async fn get_with_cookie(&self, uri: &str, cookie: &str) -> Answer {
        let session = &self.login(Role::TownshipReviewer).cookie;
        let cookies = if cookie.contains("uplift_session=") {
            cookie.to_owned()
        } else {
            format!("{cookie}; {session}")
        };
        self.send(
            Request::get(uri)
                .header(header::COOKIE, cookies)
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

impl TestApp {
    /// Sends a request and keeps the body as bytes (PDFs, photos).
    pub async fn send_raw(
        &self,
        request: Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let res = self.router.clone().oneshot(request).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, headers, bytes.to_vec())
    }

    /// A GET as a role, body as bytes.
    pub async fn get_raw_as(
        &self,
        role: Role,
        uri: &str,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let login = self.login(role);
        self.send_raw(
            Request::get(uri)
                .header(header::COOKIE, &login.cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }
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

/// Runs of 17 digits and a digit or X (18-character resident ID numbers), across line breaks.
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
        let x = matches!(chars.get(start + 17), Some('X' | 'x'));
        if digits == 18 || (digits == 17 && x) {
            found.push(chars[start..start + 18].iter().collect());
        }
    }
    found
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

/// The username of the test user of a role.
pub fn role_user(role: Role) -> String {
    uplift_domain::household::Codebook::code(role).replace('_', "-")
}

/// The content type of [`multipart_upload`] bodies.
pub const MULTIPART_TYPE: &str = "multipart/form-data; boundary=UPLIFTBOUNDARY";

/// A registry file with its English header row and no data.
pub const HEADER_ONLY_REGISTRY: &str =
    "household_no,household_type,region_code,name,id_number,relation,health,labour\n";

/// A multipart upload body: the CSRF token (when given), kind, mode and the file.
pub fn multipart_upload(
    csrf: Option<&str>,
    kind: &str,
    mode: &str,
    file_name: &str,
    bytes: &[u8],
) -> Vec<u8> {
    let mut body = Vec::new();
    let mut text = |name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--UPLIFTBOUNDARY\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    if let Some(token) = csrf {
        text("csrf", token);
    }
    text("kind", kind);
    text("mode", mode);
    body.extend_from_slice(
        format!(
            "--UPLIFTBOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(b"\r\n--UPLIFTBOUNDARY--\r\n");
    body
}

/// A proposed village project and a 2026 fund plan inside the Rucheng scopes and in Harbin.
async fn project_fixtures(app: &App) -> (i64, i64, i64, i64) {
    use uplift_domain::income::Money;
    use uplift_domain::project::{
        BudgetLine, ExpenseUse, FundLevel, FundPlan, Operator, ProjectKind, Proposal, ProposerKind,
    };
    let machine = uplift_app::access::Principal::machine("setup");
    let mut projects = Vec::new();
    for village in [CHANGTANG, HARBIN_VILLAGE] {
        let proposal = Proposal {
            name: "村集体光伏电站".into(),
            kind: ProjectKind::Industry,
            proposer: ProposerKind::Village,
            department: None,
            region: RegionCode::parse(village).unwrap(),
            year: 2026,
            operator: Operator::Collective,
            budget: vec![BudgetLine {
                level: FundLevel::Central,
                amount: Money::from_yuan(100_000),
            }],
            beneficiary_households: 10,
            linkage: vec![],
            uses: vec![ExpenseUse::Production],
            summary: String::new(),
        };
        let id = uplift_app::projects::propose(app, &machine, proposal, "test")
            .await
            .unwrap();
        projects.push(id.0);
    }
    let plan = |county: &str| FundPlan {
        county: RegionCode::parse(county).unwrap(),
        year: 2026,
        level: FundLevel::Central,
        name: "中央财政常态化帮扶资金".into(),
        document: "2026-1".into(),
        amount: Money::from_yuan(500_000),
    };
    let plans = uplift_app::projects::save_plans(
        app,
        &machine,
        vec![(None, plan("431026")), (None, plan("230102"))],
        "test",
    )
    .await
    .unwrap();
    (projects[0], projects[1], plans[0].0, plans[1].0)
}
