//! Contract: cases as append-only events with optimistic concurrency, measures with versions,
//! visits, and scope on every read.

use uplift_app::access::User;
use uplift_app::cases::{CaseFilter, CaseId, CaseStore};
use uplift_app::store::{Scope, Store, StoreError, UserId};
use uplift_db::Db;
use uplift_domain::access::Role;
use uplift_domain::case::elimination::ConditionResult;
use uplift_domain::case::{
    Appraisal, CaseKind, Channel, Comparison, Decision, EliminationType, Event, FundingSource,
    Measure, MeasureCategory, NationalEntry, Opening, Stage, Verification, Visit,
};
use uplift_domain::income::Money;
use uplift_domain::region::RegionLevel;
use uplift_domain::version::ReadAt;

use crate::contract;
use crate::registry::seed;
use crate::support::{d, stamp};

fn opened(channel: Channel) -> Event {
    Event::Opened(Opening {
        kind: CaseKind::Identification,
        channel,
        clue_date: d("2026-03-02"),
        summary: "医保预警：住院自付 3.2 万元".into(),
        risk_hint: Some("01".into()),
        green_channel: false,
        rollback: false,
        conditions: vec![ConditionResult {
            code: "income_stable",
            passed: true,
            detail_zh: "收入稳定".into(),
            detail_en: "stable".into(),
        }],
    })
}

fn every_event() -> Vec<(Event, Stage)> {
    vec![
        (
            Event::Verified(Verification {
                commitment_signed: true,
                asset_query_authorised: true,
                findings: "核实".into(),
            }),
            Stage::Verified,
        ),
        (
            Event::Compared(Comparison {
                adverse_findings: false,
                findings: "无".into(),
            }),
            Stage::Compared,
        ),
        (
            Event::Appraised(Appraisal {
                held_on: d("2026-03-05"),
                attendees: 15,
                votes_for: 12,
                votes_against: 2,
                abstentions: 1,
                minutes: "纪要".into(),
            }),
            Stage::Appraised,
        ),
        (
            Event::NoticePosted {
                start: d("2026-03-05"),
                last_day: d("2026-03-09"),
            },
            Stage::Notice,
        ),
        (
            Event::ObjectionFiled {
                filed_on: d("2026-03-06"),
                text: "异议".into(),
            },
            Stage::Notice,
        ),
        (
            Event::ObjectionAnswered {
                index: 0,
                answer: "答复".into(),
            },
            Stage::Notice,
        ),
        (
            Event::NoticeClosed {
                on: d("2026-03-10"),
            },
            Stage::NoticeClosed,
        ),
        (
            Event::Reviewed {
                opinion: "同意".into(),
            },
            Stage::Reviewed,
        ),
        (
            Event::Approved {
                on: d("2026-03-12"),
                decision: Decision::Identify {
                    category: "marginal".into(),
                    risks: vec!["01".into(), "0201".into()],
                },
            },
            Stage::Approved,
        ),
        (
            Event::Announced {
                on: d("2026-03-13"),
            },
            Stage::Announced,
        ),
        (
            Event::EnteredNational(NationalEntry {
                entered_by: "张录入".into(),
                entered_on: d("2026-03-16"),
            }),
            Stage::Entered,
        ),
    ]
}

async fn every_event_round_trips_and_reads_are_scoped(db: Db) {
    let (households, villages) = seed(&db).await;
    let village = villages[0];
    let id = db
        .open_case(
            households[0],
            &village,
            &opened(Channel::DepartmentWarning),
            &stamp("2026-03-02", "2026-03-02T09:00:00+08:00"),
        )
        .await
        .unwrap();
    let mut expected = vec![opened(Channel::DepartmentWarning)];
    for (i, (event, stage)) in every_event().into_iter().enumerate() {
        let version = u32::try_from(i + 1).unwrap();
        db.append_case_event(
            id,
            version,
            &event,
            stage,
            &stamp("2026-03-10", "2026-03-10T10:00:00+08:00"),
        )
        .await
        .unwrap();
        expected.push(event);
    }
    let record = db
        .case_record(id, &Scope::Everything)
        .await
        .unwrap()
        .unwrap();
    let events: Vec<Event> = record.events.iter().map(|(e, _)| e.clone()).collect();
    assert_eq!(events, expected);
    assert_eq!(record.household, households[0]);
    assert_eq!(record.events[0].1.actor, "contract");
    let case = record.case().unwrap();
    assert_eq!((case.stage, case.version), (Stage::Entered, 12));

    // A rejection and an elimination approval round-trip too.
    let other = db
        .open_case(
            households[1],
            &villages[1],
            &opened(Channel::SelfDeclaration),
            &stamp("2026-03-02", "2026-03-02T09:00:00+08:00"),
        )
        .await
        .unwrap();
    let rejected = Event::Rejected {
        at: Stage::Declared,
        reason: "两名务工人员".into(),
    };
    db.append_case_event(
        other,
        1,
        &rejected,
        Stage::Rejected,
        &stamp("2026-03-03", "2026-03-03T09:00:00+08:00"),
    )
    .await
    .unwrap();
    let record = db
        .case_record(other, &Scope::Everything)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.events[1].0, rejected);
    let elim = Event::Approved {
        on: d("2026-10-01"),
        decision: Decision::Eliminate {
            kind: EliminationType::Natural,
        },
    };
    let third = db
        .open_case(
            households[0],
            &village,
            &opened(Channel::CadreVisit),
            &stamp("2026-09-01", "2026-09-01T09:00:00+08:00"),
        )
        .await
        .unwrap();
    db.append_case_event(
        third,
        1,
        &elim,
        Stage::Approved,
        &stamp("2026-10-01", "2026-10-01T09:00:00+08:00"),
    )
    .await
    .unwrap();
    assert_eq!(
        db.case_record(third, &Scope::Everything)
            .await
            .unwrap()
            .unwrap()
            .events[1]
            .0,
        elim
    );

    // Scope: the village's township sees the case, another township does not.
    let township = village.ancestor(RegionLevel::Township).unwrap();
    let elsewhere = villages
        .last()
        .unwrap()
        .ancestor(RegionLevel::Township)
        .unwrap();
    assert!(
        db.case_record(id, &Scope::Region(township))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        db.case_record(id, &Scope::Region(elsewhere))
            .await
            .unwrap()
            .is_none()
    );
    assert!(db.case_record(id, &Scope::Nothing).await.unwrap().is_none());
    assert!(
        db.case_record(CaseId(9999), &Scope::Everything)
            .await
            .unwrap()
            .is_none()
    );

    let filter = |scope, stage| CaseFilter {
        scope,
        region: None,
        stage,
        household: None,
    };
    let all = db
        .list_cases(&filter(Scope::Everything, None))
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|r| r.id).collect::<Vec<_>>(),
        [id, other, third]
    );
    let entered = db
        .list_cases(&filter(Scope::Everything, Some(Stage::Entered)))
        .await
        .unwrap();
    assert_eq!(entered.len(), 1);
    let mut narrowed = filter(Scope::Everything, None);
    narrowed.region = Some(village);
    narrowed.household = Some(households[0]);
    assert_eq!(db.list_cases(&narrowed).await.unwrap().len(), 2);

    // A helper sees the cases of assigned households only.
    let helper = db
        .create_user(&User {
            id: UserId(0),
            username: "helper".into(),
            display_name: "帮扶人".into(),
            role: Role::Helper,
            region: township,
            department: None,
            password_hash: "x".into(),
            disabled: false,
        })
        .await
        .unwrap();
    assert!(
        db.list_cases(&filter(Scope::Assigned(helper), None))
            .await
            .unwrap()
            .is_empty()
    );
    db.assign_helper(
        helper,
        households[1],
        crate::support::t("2026-03-01T08:00:00+08:00"),
        "admin",
    )
    .await
    .unwrap();
    let mine = db
        .list_cases(&filter(Scope::Assigned(helper), None))
        .await
        .unwrap();
    assert_eq!(mine.iter().map(|r| r.id).collect::<Vec<_>>(), [other]);
}
contract!(every_event_round_trips_and_reads_are_scoped);

async fn concurrent_steps_cannot_both_win(db: Db) {
    let (households, villages) = seed(&db).await;
    let id = db
        .open_case(
            households[0],
            &villages[0],
            &opened(Channel::CadreVisit),
            &stamp("2026-03-02", "2026-03-02T09:00:00+08:00"),
        )
        .await
        .unwrap();
    let reject = |who: &str| Event::Rejected {
        at: Stage::Clue,
        reason: format!("{who} rejects"),
    };
    let (a, b) = (reject("a"), reject("b"));
    let s = stamp("2026-03-03", "2026-03-03T09:00:00+08:00");
    let (ra, rb) = tokio::join!(
        db.append_case_event(id, 1, &a, Stage::Rejected, &s),
        db.append_case_event(id, 1, &b, Stage::Rejected, &s),
    );
    let wins = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "{ra:?} {rb:?}");
    let loser = if ra.is_ok() { rb } else { ra };
    assert!(matches!(loser, Err(StoreError::Conflict(_))), "{loser:?}");
    let record = db
        .case_record(id, &Scope::Everything)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.events.len(), 2);
    // A stale version is refused and writes nothing.
    let stale = db.append_case_event(id, 1, &a, Stage::Rejected, &s).await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))));
    assert_eq!(
        db.case_record(id, &Scope::Everything)
            .await
            .unwrap()
            .unwrap()
            .events
            .len(),
        2
    );
}
contract!(concurrent_steps_cannot_both_win);

async fn measures_keep_versions_and_visits_round_trip(db: Db) {
    let (households, _) = seed(&db).await;
    let h = households[0];
    let mut m = Measure {
        category: MeasureCategory::Industry,
        name: "产业奖补：养牛 2 头".into(),
        start: d("2026-03-20"),
        end: None,
        amount: Money::from_fen(300_000),
        funding: FundingSource::AssistanceFunds,
    };
    let id = db
        .save_measure(
            h,
            None,
            &m,
            &stamp("2026-03-20", "2026-03-20T09:00:00+08:00"),
        )
        .await
        .unwrap();
    m.end = Some(d("2026-12-31"));
    db.save_measure(
        h,
        Some(id),
        &m,
        &stamp("2026-06-01", "2026-06-01T09:00:00+08:00"),
    )
    .await
    .unwrap();
    let now = db
        .measures(h, ReadAt::current(d("2026-07-01")))
        .await
        .unwrap();
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].0, id);
    assert_eq!(now[0].1.value, m);
    let before = db
        .measures(h, ReadAt::current(d("2026-04-01")))
        .await
        .unwrap();
    assert_eq!(before[0].1.value.end, None);
    assert!(
        db.measures(households[1], ReadAt::current(d("2026-07-01")))
            .await
            .unwrap()
            .is_empty()
    );
    let wrong = db
        .save_measure(
            households[1],
            Some(id),
            &m,
            &stamp("2026-06-01", "2026-06-01T09:00:00+08:00"),
        )
        .await;
    assert!(matches!(wrong, Err(StoreError::NotFound(_))));

    let visit = Visit {
        date: d("2026-04-10"),
        visitor: "帮扶人 赵".into(),
        income_above_line: Some(true),
        health_ok: Some(true),
        schooling_ok: None,
        work_ok: Some(false),
        housing_ok: Some(true),
        water_ok: Some(true),
        findings: "务工稳定".into(),
        problems: "".into(),
        follow_ups: "下月再访".into(),
        photo: Some("photos/2026/04/10-1.jpg".into()),
    };
    db.record_visit(h, &visit, &stamp("2026-04-10", "2026-04-10T15:00:00+08:00"))
        .await
        .unwrap();
    let visits = db.visits(h).await.unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].1.value, visit);
    assert_eq!(visits[0].1.stamp.actor, "contract");
}
contract!(measures_keep_versions_and_visits_round_trip);

// ---- The journey: department warning → identification → assistance → elimination → relapse ----

mod journey {
    use std::sync::{Arc, Mutex};

    use chrono::{DateTime, FixedOffset, NaiveDate};
    use uplift_app::App;
    use uplift_app::access::Principal;
    use uplift_app::cases::{self, CaseFailure, CaseId, Clue};
    use uplift_app::documents::{self, CaseDocument};
    use uplift_app::store::{Clock, StoreError};
    use uplift_db::Db;
    use uplift_domain::access::Role;
    use uplift_domain::case::{
        Appraisal, Channel, Command, Comparison, Decision, EliminationType, FundingSource, Measure,
        MeasureCategory, MonitoringStatus, NationalEntry, Stage, TransitionError, Verification,
        Visit,
    };
    use uplift_domain::income::Money;
    use uplift_domain::region::{RegionCode, RegionLevel};

    use crate::contract;
    use crate::registry::seed;
    use crate::support::d;

    struct TestClock(Mutex<DateTime<FixedOffset>>);

    impl Clock for TestClock {
        fn now(&self) -> DateTime<FixedOffset> {
            *self.0.lock().unwrap()
        }
    }

    fn at(day: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(&format!("{day}T10:00:00+08:00")).unwrap()
    }

    fn who(name: &str, role: Role, region: RegionCode) -> Principal {
        Principal {
            user: Some(uplift_app::store::UserId(1)),
            name: name.into(),
            role: Some(role),
            region: Some(region),
            department: None,
        }
    }

    struct J {
        app: App,
        clock: Arc<TestClock>,
    }

    impl J {
        fn today(&self, day: &str) {
            *self.clock.0.lock().unwrap() = at(day);
        }

        async fn step(&self, by: &Principal, id: CaseId, cmd: Command) -> Stage {
            let version = cases::get(&self.app, by, id).await.unwrap().case.version;
            let view = cases::act(&self.app, by, id, version, cmd.clone(), "test")
                .await
                .unwrap_or_else(|e| panic!("{} by {}: {e}", cmd.name(), by.name));
            view.case.stage
        }

        /// The wrong role is refused by the transition; the wrong region cannot even find the case.
        async fn refused(
            &self,
            wrong_role: &Principal,
            wrong_region: &Principal,
            id: CaseId,
            cmd: Command,
        ) {
            let machine = Principal::machine("reader");
            let version = cases::get(&self.app, &machine, id)
                .await
                .unwrap()
                .case
                .version;
            let r = cases::act(&self.app, wrong_role, id, version, cmd.clone(), "test").await;
            assert!(
                matches!(
                    r,
                    Err(CaseFailure::Transition(
                        TransitionError::RoleNotAllowed { .. }
                    )) | Err(CaseFailure::Denied(_))
                ),
                "{} by {}: {r:?}",
                cmd.name(),
                wrong_role.name
            );
            let r = cases::act(&self.app, wrong_region, id, version, cmd.clone(), "test").await;
            assert!(
                matches!(r, Err(CaseFailure::Store(StoreError::NotFound(_)))),
                "{} by {}: {r:?}",
                cmd.name(),
                wrong_region.name
            );
        }
    }

    async fn head_name(app: &App, h: uplift_app::store::HouseholdId) -> String {
        let detail = cases::household_detail(app, &Principal::machine("t"), h)
            .await
            .unwrap();
        detail
            .members
            .iter()
            .find(|m| m.person.value.relation == uplift_domain::household::Relation::Head)
            .unwrap()
            .person
            .value
            .name
            .clone()
    }

    async fn household_id_numbers(app: &App, h: uplift_app::store::HouseholdId) -> Vec<String> {
        let detail = cases::household_detail(app, &Principal::machine("t"), h)
            .await
            .unwrap();
        detail
            .members
            .iter()
            .map(|m| m.person.value.id_number.as_str().to_owned())
            .collect()
    }

    fn appraise(on: &str) -> Command {
        Command::Appraise(Appraisal {
            held_on: d(on),
            attendees: 15,
            votes_for: 13,
            votes_against: 1,
            abstentions: 1,
            minutes: "村民代表会议纪要".into(),
        })
    }

    fn visit(on: NaiveDate) -> Visit {
        Visit {
            date: on,
            visitor: "村干部 陈".into(),
            income_above_line: Some(true),
            health_ok: Some(true),
            schooling_ok: Some(true),
            work_ok: Some(true),
            housing_ok: Some(true),
            water_ok: Some(true),
            findings: "务工收入稳定".into(),
            problems: String::new(),
            follow_ups: String::new(),
            photo: None,
        }
    }

    async fn a_warned_household_is_identified_assisted_eliminated_and_rolled_back(db: Db) {
        let (households, villages) = seed(&db).await;
        let h = households[0];
        let (village, other_village) = (villages[0], villages[1]);
        let township = village.ancestor(RegionLevel::Township).unwrap();
        let other_township = other_village.ancestor(RegionLevel::Township).unwrap();
        let county = RegionCode::parse("431026").unwrap();
        let clock = Arc::new(TestClock(Mutex::new(at("2026-03-02"))));
        let app = App::new(
            db.store(),
            clock.clone(),
            uplift_app::policy::shipped().unwrap(),
        );
        let j = J { app, clock };

        let cadre = who("cadre", Role::VillageCadre, village);
        let cadre_b = who("cadre_b", Role::VillageCadre, other_village);
        let town = who("town", Role::TownshipReviewer, township);
        let town_b = who("town_b", Role::TownshipReviewer, other_township);
        let officer = who("officer", Role::CountyOfficer, county);
        let helper = Principal {
            role: Some(Role::Helper),
            ..who("helper", Role::Helper, county)
        };
        let viewer = who(
            "viewer",
            Role::CityViewer,
            RegionCode::parse("4310").unwrap(),
        );

        // 1. A department warning: the clue is opened by the county with that channel.
        let clue = Clue {
            channel: Channel::DepartmentWarning,
            clue_date: d("2026-03-02"),
            summary: "医保部门预警：住院自付 3.2 万元".into(),
            risk_hint: Some("01".into()),
            green_channel: false,
        };
        assert!(matches!(
            cases::open_clue(&j.app, &helper, h, clue.clone(), "test").await,
            Err(CaseFailure::Denied(_))
        ));
        assert!(matches!(
            cases::open_clue(&j.app, &cadre_b, h, clue.clone(), "test").await,
            Err(CaseFailure::Store(StoreError::NotFound(_)))
        ));
        let id = cases::open_clue(&j.app, &officer, h, clue.clone(), "test")
            .await
            .unwrap();
        assert!(matches!(
            cases::open_clue(&j.app, &officer, h, clue.clone(), "test").await,
            Err(CaseFailure::Store(StoreError::Conflict(_)))
        ));

        let verify = Command::Verify(Verification {
            commitment_signed: true,
            asset_query_authorised: true,
            findings: "4 口人，户主住院".into(),
        });
        j.today("2026-03-03");
        j.refused(&officer, &cadre_b, id, verify.clone()).await;
        assert_eq!(j.step(&cadre, id, verify).await, Stage::Verified);

        let compare = Command::Compare(Comparison {
            adverse_findings: false,
            findings: "无车辆、无商品房、无工商登记".into(),
        });
        j.today("2026-03-04");
        j.refused(&cadre, &cadre_b, id, compare.clone()).await;
        assert_eq!(j.step(&officer, id, compare).await, Stage::Compared);

        j.today("2026-03-05");
        j.refused(&town, &cadre_b, id, appraise("2026-03-05")).await;
        assert_eq!(
            j.step(&cadre, id, appraise("2026-03-05")).await,
            Stage::Appraised
        );
        let post = Command::PostNotice {
            start: d("2026-03-05"),
        };
        j.refused(&officer, &cadre_b, id, post.clone()).await;
        assert!(matches!(
            documents::case_document(&j.app, &cadre, id, CaseDocument::Notice, None).await,
            Err(CaseFailure::Invalid(_))
        ));
        assert_eq!(j.step(&cadre, id, post).await, Stage::Notice);
        // The public notice as printed: the head's name and village, no ID number of anyone.
        let head = head_name(&j.app, h).await;
        let notice = documents::case_document(
            &j.app,
            &cadre,
            id,
            CaseDocument::Notice,
            Some("0735-8221234"),
        )
        .await
        .unwrap();
        let text = crate::support::pdf_text(&uplift_pdf::render(&notice).unwrap());
        let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        for needle in [
            head.as_str(),
            "识别公示",
            "2026-03-05至2026-03-11",
            "0735-8221234",
        ] {
            assert!(
                flat.contains(needle),
                "{needle} missing from the notice: {text}"
            );
        }
        assert_eq!(
            crate::support::id_numbers_in(&text),
            Vec::<String>::new(),
            "{text}"
        );
        for member in household_id_numbers(&j.app, h).await {
            assert!(!flat.contains(&member), "an ID number is on the notice");
        }
        assert!(matches!(
            documents::case_document(&j.app, &cadre_b, id, CaseDocument::Notice, None).await,
            Err(CaseFailure::Store(StoreError::NotFound(_)))
        ));
        // Rucheng's notice is 5 working days: 5, 6, 9, 10, 11 March.
        j.today("2026-03-11");
        let early = cases::act(&j.app, &cadre, id, 5, Command::CloseNotice, "test").await;
        assert!(matches!(
            early,
            Err(CaseFailure::Transition(
                TransitionError::NoticeTooShort { .. }
            ))
        ));
        j.today("2026-03-12");
        j.refused(&viewer, &cadre_b, id, Command::CloseNotice).await;
        assert_eq!(
            j.step(&cadre, id, Command::CloseNotice).await,
            Stage::NoticeClosed
        );

        let review = Command::Review {
            opinion: "实地核查属实".into(),
        };
        j.refused(&cadre, &town_b, id, review.clone()).await;
        assert_eq!(j.step(&town, id, review).await, Stage::Reviewed);

        j.today("2026-03-13");
        let approve = Command::Approve(Decision::Identify {
            category: "sudden".into(),
            risks: vec!["01".into()],
        });
        j.refused(&town, &town_b, id, approve.clone()).await;
        assert_eq!(j.step(&officer, id, approve).await, Stage::Approved);
        let announce = Command::Announce {
            on: d("2026-03-13"),
        };
        j.refused(&cadre, &town_b, id, announce.clone()).await;
        assert_eq!(j.step(&town, id, announce).await, Stage::Announced);
        let announcement =
            documents::case_document(&j.app, &town, id, CaseDocument::Announcement, None)
                .await
                .unwrap();
        let text = crate::support::pdf_text(&uplift_pdf::render(&announcement).unwrap());
        let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            flat.contains("认定结果公告") && flat.contains(&head),
            "{text}"
        );
        assert!(
            flat.contains("人民政府"),
            "issued in the township's name: {text}"
        );
        assert!(crate::support::id_numbers_in(&text).is_empty(), "{text}");
        j.today("2026-03-16");
        let enter = Command::EnterNational(NationalEntry {
            entered_by: "乡镇录入员 刘".into(),
            entered_on: d("2026-03-16"),
        });
        j.refused(&cadre, &town_b, id, enter.clone()).await;
        assert_eq!(j.step(&town, id, enter).await, Stage::Entered);
        assert!(matches!(
            cases::status(&j.app, &town, h).await.unwrap(),
            MonitoringStatus::Monitored { .. }
        ));

        // 2. Assistance: a measure and monthly visits.
        j.today("2026-03-20");
        let measure = Measure {
            category: MeasureCategory::Industry,
            name: "产业奖补：养殖湘西黄牛 2 头".into(),
            start: d("2026-03-20"),
            end: None,
            amount: Money::from_yuan(3000),
            funding: FundingSource::AssistanceFunds,
        };
        assert!(matches!(
            cases::record_measure(&j.app, &viewer, h, None, measure.clone(), "test").await,
            Err(CaseFailure::Denied(_))
        ));
        assert!(matches!(
            cases::record_measure(&j.app, &cadre_b, h, None, measure.clone(), "test").await,
            Err(CaseFailure::Store(StoreError::NotFound(_)))
        ));
        cases::record_measure(&j.app, &cadre, h, None, measure, "test")
            .await
            .unwrap();
        let card = documents::assistance_card(&j.app, &cadre, h, Some("0735-8221234"))
            .await
            .unwrap();
        let text = crate::support::pdf_text(&uplift_pdf::render(&card).unwrap());
        let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        for needle in [
            "明白卡",
            head.as_str(),
            "养殖湘西黄牛",
            "帮扶联系人",
            "0735-8221234",
        ] {
            assert!(
                flat.contains(needle),
                "{needle} missing from the card: {text}"
            );
        }
        assert!(crate::support::id_numbers_in(&text).is_empty(), "{text}");
        assert!(matches!(
            documents::assistance_card(&j.app, &cadre_b, h, None).await,
            Err(CaseFailure::Store(StoreError::NotFound(_)))
        ));
        assert!(
            cases::measure_check(&j.app, &cadre, h)
                .await
                .unwrap()
                .is_empty()
        );
        for month in 4..=9 {
            let on = NaiveDate::from_ymd_opt(2026, month, 10).unwrap();
            j.today(&on.to_string());
            cases::record_visit(&j.app, &cadre, h, visit(on), "test")
                .await
                .unwrap();
        }

        // 3. Elimination, checked by rule, through the same steps.
        j.today("2026-09-15");
        let early = cases::eligibility(&j.app, &cadre, h).await.unwrap();
        assert!(early.iter().any(|c| !c.passed), "{early:#?}");
        assert!(matches!(
            cases::propose_elimination(&j.app, &cadre, h, "收入稳定", "test").await,
            Err(CaseFailure::Transition(TransitionError::NotEligible(_)))
        ));
        j.today("2026-10-12");
        let conditions = cases::eligibility(&j.app, &cadre, h).await.unwrap();
        assert!(conditions.iter().all(|c| c.passed), "{conditions:#?}");
        assert!(matches!(
            cases::propose_elimination(&j.app, &town, h, "收入稳定", "test").await,
            Err(CaseFailure::Denied(_))
        ));
        assert!(matches!(
            cases::propose_elimination(&j.app, &cadre_b, h, "收入稳定", "test").await,
            Err(CaseFailure::Store(StoreError::NotFound(_)))
        ));
        let e = cases::propose_elimination(&j.app, &cadre, h, "务工收入稳定，风险已消除", "test")
            .await
            .unwrap();
        let verify = Command::Verify(Verification {
            commitment_signed: false,
            asset_query_authorised: false,
            findings: "入户核实收入稳定".into(),
        });
        j.refused(&officer, &cadre_b, e, verify.clone()).await;
        assert_eq!(j.step(&cadre, e, verify).await, Stage::Compared);
        j.refused(&town, &cadre_b, e, appraise("2026-10-12")).await;
        j.step(&cadre, e, appraise("2026-10-12")).await;
        j.step(
            &cadre,
            e,
            Command::PostNotice {
                start: d("2026-10-12"),
            },
        )
        .await;
        j.today("2026-10-19");
        j.refused(&officer, &cadre_b, e, Command::CloseNotice).await;
        j.step(&cadre, e, Command::CloseNotice).await;
        let review = Command::Review {
            opinion: "验收合格".into(),
        };
        j.refused(&officer, &town_b, e, review.clone()).await;
        j.step(&town, e, review).await;
        let approve = Command::Approve(Decision::Eliminate {
            kind: EliminationType::Assistance,
        });
        j.refused(&town, &town_b, e, approve.clone()).await;
        j.step(&officer, e, approve).await;
        j.step(
            &town,
            e,
            Command::Announce {
                on: d("2026-10-19"),
            },
        )
        .await;
        let enter = Command::EnterNational(NationalEntry {
            entered_by: "乡镇录入员 刘".into(),
            entered_on: d("2026-10-19"),
        });
        j.refused(&viewer, &town_b, e, enter.clone()).await;
        assert_eq!(j.step(&town, e, enter).await, Stage::Entered);
        assert_eq!(
            cases::status(&j.app, &town, h).await.unwrap(),
            MonitoringStatus::Eliminated {
                identified_on: d("2026-03-13"),
                eliminated_on: d("2026-10-19"),
                kind: EliminationType::Assistance,
            }
        );

        // 4. Relapse: a new department warning rolls the elimination back.
        j.today("2026-11-20");
        let relapse = Clue {
            clue_date: d("2026-11-20"),
            summary: "应急部门预警：洪涝损失".into(),
            risk_hint: Some("0201".into()),
            green_channel: true,
            ..clue
        };
        let r = cases::open_clue(&j.app, &officer, h, relapse, "test")
            .await
            .unwrap();
        assert!(
            cases::get(&j.app, &cadre, r)
                .await
                .unwrap()
                .case
                .opening
                .rollback
        );
        assert_eq!(
            cases::status(&j.app, &cadre, h).await.unwrap().code(),
            "rolled_back"
        );

        // Two users acting on the same version: one wins, the other gets a conflict.
        let v = cases::get(&j.app, &cadre, r).await.unwrap().case.version;
        let verify = Command::Verify(Verification {
            commitment_signed: true,
            asset_query_authorised: true,
            findings: "洪水冲毁圈舍".into(),
        });
        let reject = Command::Reject {
            reason: "重复线索".into(),
        };
        let (a, b) = tokio::join!(
            cases::act(&j.app, &cadre, r, v, verify, "test"),
            cases::act(&j.app, &town, r, v, reject, "test"),
        );
        assert_eq!(
            [&a, &b].iter().filter(|x| x.is_ok()).count(),
            1,
            "{a:?} {b:?}"
        );

        // The timeline shows clues, steps, measures and visits in date order.
        let timeline = cases::timeline(&j.app, &cadre, h).await.unwrap();
        let kinds: std::collections::BTreeSet<&str> = timeline.iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds.into_iter().collect::<Vec<_>>(),
            ["case", "measure", "visit"]
        );
        assert!(timeline.windows(2).all(|w| w[0].date <= w[1].date));
        assert!(
            timeline
                .iter()
                .any(|t| t.title_zh == "风险消除：录入全国系统")
        );
    }
    contract!(a_warned_household_is_identified_assisted_eliminated_and_rolled_back);
}
