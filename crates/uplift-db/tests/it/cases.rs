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
