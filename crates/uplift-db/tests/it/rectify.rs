//! Contract: the rectification ledger end to end through the use cases — a feedback problem
//! imported from a file, assigned, reported on twice with evidence, refused at sign-off, signed
//! off and closed, then reopened — with a wrong-role and a wrong-region user refused at each step
//! and nothing written by a refused step. Also: an import with a bad row writes nothing and names
//! the row, column and field; tasks roll up; secretaries are versioned.

use uplift_app::access::Principal;
use uplift_app::import::table::{FileKind, Table};
use uplift_app::rectify::import::{import, report_sheet};
use uplift_app::rectify::responsibility::{self, Rollup};
use uplift_app::rectify::store::{NewTask, Responsibility};
use uplift_app::rectify::{self, ProblemId, RectifyFailure, Upload};
use uplift_app::store::{Store, StoreError, UserId};
use uplift_db::Db;
use uplift_domain::access::Role;
use uplift_domain::household::Codebook as _;
use uplift_domain::rectify::{Command, ProblemState, Progress, RectifyError};
use uplift_domain::region::{RegionCode, RegionLevel};

use crate::contract;
use crate::registry::seed;
use crate::support::{app, d};

fn user(role: Role, region: &str) -> Principal {
    Principal {
        user: Some(UserId(1)),
        name: format!("{}@{region}", role.code()),
        role: Some(role),
        region: Some(RegionCode::parse(region).unwrap()),
        department: None,
    }
}

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

/// Whether the failure is a refusal: denied by role, hidden by scope, or refused by level/region.
fn refused(r: &Result<impl std::fmt::Debug, RectifyFailure>) -> bool {
    matches!(
        r,
        Err(RectifyFailure::Denied(_))
            | Err(RectifyFailure::Store(StoreError::NotFound(_)))
            | Err(RectifyFailure::Rule(
                RectifyError::RoleNotAllowed { .. }
                    | RectifyError::RegionNotAllowed { .. }
                    | RectifyError::NotLevelAbove { .. }
            ))
    )
}

fn csv_table(text: &str) -> Table {
    Table::from_bytes("问题清单.csv", FileKind::Csv, text.as_bytes().to_vec()).unwrap()
}

const HEADER: &str = "问题来源,反馈文件,问题领域,问题标题,问题描述,发现日期,所属区划代码,涉及区划代码,涉及户编号,整改类型\n";

fn photo(n: u8) -> Upload {
    Upload {
        file_name: format!("现场照片{n}.jpg"),
        content_type: "image/jpeg".into(),
        bytes: vec![0xff, 0xd8, 0xff, 0xe0, n, 0xff, 0xd9],
    }
}

async fn a_feedback_problem_from_import_to_reopening(db: Db) {
    let (_, villages) = seed(&db).await;
    let app = app(&db);
    let village_a = villages[0];
    let township_a = village_a.ancestor(RegionLevel::Township).unwrap();
    let township_b = villages[1].ancestor(RegionLevel::Township).unwrap();
    let county = user(Role::CountyOfficer, "431026");
    let other_county = user(Role::CountyOfficer, "431021");
    let township = user(Role::TownshipReviewer, township_a.as_str());
    let other_township = user(Role::TownshipReviewer, township_b.as_str());
    let cadre = user(Role::VillageCadre, village_a.as_str());
    let auditor = user(Role::Auditor, "431026");

    // Import: a wrong role and a wrong region are refused, and write nothing.
    let file = format!(
        "{HEADER}考核评估,2025年考核评估反馈,政策落实,监测对象识别不及时,部分突发严重困难户未及时纳入监测,2026-11-20,431026,{},4310260010001,长期整改\n",
        township_a
    );
    let refused_import = import(&app, &cadre, &mut csv_table(&file), false, "test").await;
    assert!(refused(&refused_import), "{refused_import:?}");
    let outside = import(&app, &other_county, &mut csv_table(&file), false, "test")
        .await
        .unwrap();
    assert!(outside.recorded.is_empty());
    assert_eq!(outside.issues[0].field, "region", "{:?}", outside.issues);
    let imported = import(&app, &county, &mut csv_table(&file), false, "test")
        .await
        .unwrap();
    assert!(imported.issues.is_empty(), "{:?}", imported.issues);
    assert_eq!(imported.recorded.len(), 1);
    let id = imported.recorded[0];
    assert_eq!(
        rectify::list(&app, &county, None, None)
            .await
            .unwrap()
            .len(),
        1
    );

    let version = |id: ProblemId| {
        let app = app.clone();
        async move {
            rectify::get(&app, &Principal::machine("t"), id)
                .await
                .unwrap()
                .problem
                .version
        }
    };

    // Assignment to township A, by the county.
    let assign = Command::Assign(uplift_domain::rectify::Assignment {
        responsible_region: township_a,
        lead_unit: "乡镇党委".into(),
        responsible_units: vec!["乡村振兴办".into(), "民政办".into()],
        responsible_person: "李书记".into(),
        measures: "逐户排查突发严重困难户，应纳尽纳".into(),
        deadline: d("2026-12-31"),
    });
    for wrong in [&auditor, &other_county, &township] {
        let r = rectify::act(&app, wrong, id, assign.clone(), vec![], "test").await;
        assert!(refused(&r), "{}: {r:?}", wrong.name);
    }
    assert_eq!(version(id).await, 1);
    let v = rectify::act(&app, &county, id, assign, vec![], "test")
        .await
        .unwrap();
    assert_eq!(v.problem.state, ProblemState::Assigned);

    // Two progress reports with evidence, by the township.
    let report = |n: u8| {
        Command::Report(Progress {
            text: format!("第{n}次进展：已排查{n}0户"),
            evidence: vec![],
        })
    };
    for wrong in [&auditor, &other_township, &cadre] {
        let r = rectify::act(&app, wrong, id, report(9), vec![photo(9)], "test").await;
        assert!(refused(&r), "{}: {r:?}", wrong.name);
    }
    assert_eq!(version(id).await, 2);
    rectify::act(&app, &township, id, report(1), vec![photo(1)], "test")
        .await
        .unwrap();
    let v = rectify::act(
        &app,
        &township,
        id,
        report(2),
        vec![photo(2), photo(3)],
        "test",
    )
    .await
    .unwrap();
    assert_eq!((v.problem.reports, v.problem.evidence_since), (2, 3));
    // Evidence is kept by the attachments facility, with the problem as its owner.
    use uplift_app::attachments::AttachmentStore;
    let stored = db
        .attachments_of(uplift_app::rectify::store::EVIDENCE, id.0)
        .await
        .unwrap();
    assert_eq!(stored.len(), 3);
    // A file that is not JPEG, PNG or PDF is refused by name, and nothing is written.
    let text_file = Upload {
        file_name: "说明.txt".into(),
        content_type: "text/plain".into(),
        bytes: b"hello".to_vec(),
    };
    let refused_file = rectify::act(&app, &township, id, report(3), vec![text_file], "test").await;
    match refused_file {
        Err(RectifyFailure::Invalid(m)) => assert!(m.contains("说明.txt"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(version(id).await, 4);
    // The evidence comes back byte for byte, to those who may see the problem only.
    let file = rectify::evidence(&app, &county, id, 4, 1).await.unwrap();
    assert_eq!(file.bytes, photo(3).bytes);
    assert_eq!(file.meta.file_name, "现场照片3.jpg");
    assert!(refused(
        &rectify::evidence(&app, &other_township, id, 4, 1).await
    ));

    // Submission, then a rejected sign-off: the level above only.
    let submit = Command::Submit {
        summary: "已全部排查并纳入".into(),
    };
    for wrong in [&auditor, &other_township] {
        let r = rectify::act(&app, wrong, id, submit.clone(), vec![], "test").await;
        assert!(refused(&r), "{}: {r:?}", wrong.name);
    }
    rectify::act(&app, &township, id, submit.clone(), vec![], "test")
        .await
        .unwrap();
    let reject = Command::RejectSignOff {
        reason: "佐证材料不全".into(),
    };
    for wrong in [&cadre, &township, &other_county] {
        let r = rectify::act(&app, wrong, id, reject.clone(), vec![], "test").await;
        assert!(refused(&r), "{}: {r:?}", wrong.name);
    }
    let before = version(id).await;
    let v = rectify::act(&app, &county, id, reject, vec![], "test")
        .await
        .unwrap();
    assert_eq!(
        (v.problem.state, v.problem.rejections, v.problem.version),
        (ProblemState::Assigned, 1, before + 1)
    );

    // Submitted again, signed off and closed (销号).
    rectify::act(&app, &township, id, submit, vec![], "test")
        .await
        .unwrap();
    let sign = Command::SignOff {
        opinion: "整改到位，同意销号".into(),
    };
    for wrong in [&auditor, &township, &other_county] {
        let r = rectify::act(&app, wrong, id, sign.clone(), vec![], "test").await;
        assert!(refused(&r), "{}: {r:?}", wrong.name);
    }
    let v = rectify::act(&app, &county, id, sign, vec![], "test")
        .await
        .unwrap();
    assert_eq!(v.problem.state, ProblemState::Closed);
    assert_eq!(v.problem.closed_on, Some(d("2026-11-25")));

    // The problem reappears: reopened by the level above.
    let reopen = Command::Reopen {
        reason: "回头看发现问题反弹".into(),
    };
    for wrong in [&cadre, &township, &other_county] {
        let r = rectify::act(&app, wrong, id, reopen.clone(), vec![], "test").await;
        assert!(refused(&r), "{}: {r:?}", wrong.name);
    }
    let v = rectify::act(&app, &county, id, reopen, vec![], "test")
        .await
        .unwrap();
    assert_eq!(
        (v.problem.state, v.problem.reopenings, v.problem.closed_on),
        (ProblemState::Assigned, 1, None)
    );
    // The whole history is kept, each step stamped by its actor.
    let names: Vec<(&str, &str)> = v
        .record
        .events
        .iter()
        .map(|(e, s)| (e.name(), s.actor.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("recorded", "county_officer@431026"),
            ("assigned", "county_officer@431026"),
            ("reported", township.name.as_str()),
            ("reported", township.name.as_str()),
            ("submitted", township.name.as_str()),
            ("sign_off_rejected", "county_officer@431026"),
            ("submitted", township.name.as_str()),
            ("signed_off", "county_officer@431026"),
            ("reopened", "county_officer@431026"),
        ]
    );
    // Scope: township B sees nothing, township A and the county see it.
    assert!(
        rectify::list(&app, &other_township, None, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        rectify::list(&app, &township, None, None)
            .await
            .unwrap()
            .len(),
        1
    );
}
contract!(a_feedback_problem_from_import_to_reopening);

async fn a_bad_row_writes_nothing_and_is_named(db: Db) {
    seed(&db).await;
    let app = app(&db);
    let county = user(Role::CountyOfficer, "431026");
    let file = format!(
        "{HEADER}考核评估,,政策落实,问题一,描述,2026-11-20,431026,431026,,长期整改\n\
         督导检查,,天气,问题二,描述,2026-13-01,431026,431026,9999999,立即\n"
    );
    let out = import(&app, &county, &mut csv_table(&file), false, "test")
        .await
        .unwrap();
    assert!(out.recorded.is_empty());
    let found: Vec<(u64, &str, &str)> = out
        .issues
        .iter()
        .map(|i| (i.row, i.column.as_str(), i.field))
        .collect();
    assert_eq!(
        found,
        vec![
            (3, "问题领域", "area"),
            (3, "发现日期", "found_on"),
            (3, "整改类型", "fix_kind"),
        ]
    );
    let report = report_sheet(&out);
    assert_eq!(report.rows.len(), 3);
    assert!(report.rows[0].contains(&"天气".to_owned()));
    assert!(
        rectify::list(&app, &county, None, None)
            .await
            .unwrap()
            .is_empty()
    );
    // A household outside the filing region is named too.
    let file = format!(
        "{HEADER}考核评估,,政策落实,问题一,描述,2026-11-20,431026,431026,4310269999999,长期整改\n"
    );
    let out = import(&app, &county, &mut csv_table(&file), true, "test")
        .await
        .unwrap();
    assert_eq!(out.issues.len(), 1);
    assert_eq!(out.issues[0].field, "households");
}
contract!(a_bad_row_writes_nothing_and_is_named);

async fn tasks_roll_up_and_secretaries_are_versioned(db: Db) {
    let (_, villages) = seed(&db).await;
    let app = app(&db);
    let county_code = code("431026");
    let county = user(Role::CountyOfficer, "431026");
    let township_a = villages[0].ancestor(RegionLevel::Township).unwrap();
    let township = user(Role::TownshipReviewer, township_a.as_str());
    let townships = db.region_children(Some(&county_code)).await.unwrap();

    // Secretaries: a new version replaces the old; a township may not name the county's.
    for name in ["王书记", "赵书记"] {
        responsibility::set_responsibility(
            &app,
            &county,
            Responsibility {
                region: county_code,
                secretary: name.into(),
                units: vec!["县乡村振兴局".into()],
            },
            "test",
        )
        .await
        .unwrap();
    }
    let refused_set = responsibility::set_responsibility(
        &app,
        &township,
        Responsibility {
            region: county_code,
            secretary: "x".into(),
            units: vec![],
        },
        "test",
    )
    .await;
    assert!(refused(&refused_set));
    let (node, children) = responsibility::tree(&app, &county, None).await.unwrap();
    assert_eq!(node.responsibility.unwrap().secretary, "赵书记");
    assert_eq!(children.len(), townships.len());

    // Every township completes its concentrated screening by 30 December.
    let task = responsibility::assign_task(
        &app,
        &county,
        NewTask {
            region: county_code,
            title: "完成集中排查".into(),
            description: "各乡镇完成集中排查".into(),
            target_level: RegionLevel::Township,
            deadline: d("2026-12-30"),
        },
        "test",
    )
    .await
    .unwrap();
    assert!(refused(
        &responsibility::assign_task(
            &app,
            &township,
            NewTask {
                region: county_code,
                title: "x".into(),
                description: String::new(),
                target_level: RegionLevel::Township,
                deadline: d("2026-12-30"),
            },
            "test",
        )
        .await
    ));
    // Township A completes its own target; it may not complete township B's.
    responsibility::complete_task(
        &app,
        &township,
        task,
        &township_a,
        Some(d("2026-11-24")),
        "已完成",
        "test",
    )
    .await
    .unwrap();
    let township_b = villages[1].ancestor(RegionLevel::Township).unwrap();
    assert!(refused(
        &responsibility::complete_task(
            &app,
            &township,
            task,
            &township_b,
            Some(d("2026-11-24")),
            "",
            "test"
        )
        .await
    ));
    let view = responsibility::task(&app, &county, task).await.unwrap();
    assert_eq!(
        view.levels[0].1,
        vec![Rollup {
            region: county_code,
            done: 1,
            total: townships.len() as u64,
            overdue: 0,
        }]
    );
    assert_eq!(view.levels[1].1.len(), townships.len());
    let done: u64 = view.levels[1].1.iter().map(|r| r.done).sum();
    assert_eq!(done, 1);
    // The township sees the task, with its own branch only.
    let seen = responsibility::task(&app, &township, task).await.unwrap();
    assert_eq!(seen.levels[1].1.len(), 1);
    assert_eq!(seen.levels[1].1[0].region, township_a);
}
contract!(tasks_roll_up_and_secretaries_are_versioned);
