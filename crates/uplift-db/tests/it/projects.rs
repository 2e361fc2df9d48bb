//! Projects, fund plans and assets: the store round trip, scoping and concurrency, and the
//! journey from village proposal to income distributed to households (issue 9).

use uplift_app::access::Principal;
use uplift_app::projects::{
    self, Allocation, FundPlanId, NewProject, ProjectFailure, ProjectFilter, ProjectId,
    ProjectStep, trace,
};
use uplift_app::store::{HouseholdId, Scope, StoreError, UserId};
use uplift_db::Db;
use uplift_domain::access::Role;
use uplift_domain::case::{FundingSource, Measure, MeasureCategory};
use uplift_domain::income::Money;
use uplift_domain::project::{
    Asset, AssetClass, AssetEvent, BudgetLine, ExpenseUse, FundLevel, FundPlan, Linkage,
    LinkageKind, Operator, ProjectEvent, ProjectKind, ProjectStatus, Proposal, ProposerKind,
};
use uplift_domain::region::{RegionCode, RegionLevel};

use crate::contract;
use crate::registry::seed;
use crate::support::{app, d, stamp};

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

fn who(name: &str, role: Role, region: RegionCode) -> Principal {
    Principal {
        user: Some(UserId(1)),
        name: name.into(),
        role: Some(role),
        region: Some(region),
        department: None,
    }
}

fn proposal(
    name: &str,
    kind: ProjectKind,
    proposer: ProposerKind,
    region: RegionCode,
    year: i32,
    yuan: i64,
) -> Proposal {
    Proposal {
        name: name.into(),
        kind,
        proposer,
        department: (proposer == ProposerKind::Department).then(|| "农业农村局".into()),
        region,
        year,
        operator: Operator::Collective,
        budget: vec![
            BudgetLine {
                level: FundLevel::Central,
                amount: Money::from_yuan(yuan * 3 / 4),
            },
            BudgetLine {
                level: FundLevel::County,
                amount: Money::from_yuan(yuan - yuan * 3 / 4),
            },
        ],
        beneficiary_households: 2,
        linkage: vec![
            Linkage {
                kind: LinkageKind::Dividends,
                households: 2,
                amount: Money::from_yuan(2_000),
            },
            Linkage {
                kind: LinkageKind::Jobs,
                households: 1,
                amount: Money::from_yuan(12_000),
            },
        ],
        uses: vec![ExpenseUse::Production],
        summary: "村集体光伏电站，收益分红到户".into(),
    }
}

fn every_event() -> Vec<ProjectEvent> {
    vec![
        ProjectEvent::Reviewed {
            approve: true,
            opinion: "同意".into(),
        },
        ProjectEvent::Decided {
            approve: true,
            opinion: "同意入库".into(),
            due_diligence: Some("DD-1".into()),
        },
        ProjectEvent::Allocated {
            plan: 7,
            amount: Money::from_fen(100_001),
        },
        ProjectEvent::Started {
            on: d("2026-04-01"),
        },
        ProjectEvent::Disbursed {
            plan: 7,
            amount: Money::from_fen(100_001),
            on: d("2026-05-01"),
            voucher: "记-0001".into(),
            spent_on: ExpenseUse::Infrastructure,
        },
        ProjectEvent::Accepted {
            on: d("2026-09-01"),
            opinion: "合格".into(),
        },
    ]
}

async fn every_event_round_trips_and_reads_are_scoped(db: Db) {
    let (_, villages) = seed(&db).await;
    let (a, b) = (villages[0], *villages.last().unwrap());
    let county = code("431026");
    let p = proposal(
        "光伏",
        ProjectKind::Industry,
        ProposerKind::Village,
        a,
        2026,
        2_000,
    );
    let ids = db
        .store()
        .create_projects(&[
            NewProject {
                county,
                region: a,
                year: 2026,
                proposed: ProjectEvent::Proposed(p.clone()),
                stamp: stamp("2026-03-01", "2026-03-01T09:00:00+08:00"),
            },
            NewProject {
                county,
                region: b,
                year: 2026,
                proposed: ProjectEvent::Proposed(proposal(
                    "道路",
                    ProjectKind::Infrastructure,
                    ProposerKind::Village,
                    b,
                    2026,
                    1_000,
                )),
                stamp: stamp("2026-03-01", "2026-03-01T09:00:00+08:00"),
            },
        ])
        .await
        .unwrap();
    let store = db.store();
    for (version, e) in (1..).zip(every_event()) {
        store
            .append_project_steps(&[ProjectStep {
                project: ids[0],
                expected_version: version,
                event: e,
                status: ProjectStatus::Accepted,
                year: 2026,
                stamp: stamp("2026-03-02", "2026-03-02T09:00:00+08:00"),
            }])
            .await
            .unwrap();
    }
    let record = store
        .project_record(ids[0], &Scope::Everything)
        .await
        .unwrap()
        .unwrap();
    let mut expected = vec![ProjectEvent::Proposed(p)];
    expected.extend(every_event());
    assert_eq!(
        record
            .events
            .iter()
            .map(|e| e.0.clone())
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(record.events[1].1.actor, "contract");
    // A stale version is a conflict, and a batch with one stale step writes nothing.
    let stale = store
        .append_project_steps(&[
            ProjectStep {
                project: ids[1],
                expected_version: 1,
                event: ProjectEvent::RolledOver { to_year: 2027 },
                status: ProjectStatus::RolledOver,
                year: 2027,
                stamp: stamp("2026-12-31", "2026-12-31T09:00:00+08:00"),
            },
            ProjectStep {
                project: ids[0],
                expected_version: 1,
                event: ProjectEvent::RolledOver { to_year: 2027 },
                status: ProjectStatus::RolledOver,
                year: 2027,
                stamp: stamp("2026-12-31", "2026-12-31T09:00:00+08:00"),
            },
        ])
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    let second = store
        .project_record(ids[1], &Scope::Everything)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.events.len(), 1);
    // Scope: a village sees its own project only; a helper and a clerk see none.
    let in_a = store
        .list_projects(&ProjectFilter::county(Scope::Region(a), county))
        .await
        .unwrap();
    assert_eq!(in_a.iter().map(|r| r.id).collect::<Vec<_>>(), vec![ids[0]]);
    assert!(
        store
            .project_record(ids[1], &Scope::Region(a))
            .await
            .unwrap()
            .is_none()
    );
    for scope in [Scope::Assigned(UserId(1)), Scope::Nothing] {
        let none = store
            .list_projects(&ProjectFilter::county(scope, county))
            .await
            .unwrap();
        assert!(none.is_empty());
    }
    let filtered = store
        .list_projects(&ProjectFilter {
            scope: Scope::Everything,
            region: None,
            county: Some(county),
            year: Some(2026),
            status: Some(ProjectStatus::Accepted),
        })
        .await
        .unwrap();
    assert_eq!(filtered.len(), 1);

    // Fund plans: versions, scope by county.
    let plan = FundPlan {
        county,
        year: 2026,
        level: FundLevel::Central,
        name: "中央财政常态化帮扶资金".into(),
        document: "郴财农指〔2026〕1号".into(),
        amount: Money::from_fen(123_456_789),
    };
    let plan_ids = store
        .save_fund_plans(&[(
            None,
            plan.clone(),
            stamp("2026-01-10", "2026-01-10T09:00:00+08:00"),
        )])
        .await
        .unwrap();
    let mut amended = plan.clone();
    amended.amount = Money::from_fen(200_000_000);
    store
        .save_fund_plans(&[(
            Some(plan_ids[0]),
            amended.clone(),
            stamp("2026-02-10", "2026-02-10T09:00:00+08:00"),
        )])
        .await
        .unwrap();
    let missing = store
        .save_fund_plans(&[(
            Some(FundPlanId(999)),
            plan.clone(),
            stamp("2026-02-10", "2026-02-10T09:00:00+08:00"),
        )])
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))));
    for scope in [
        Scope::Everything,
        Scope::Region(a),
        Scope::Region(code("4310")),
    ] {
        let plans = store
            .fund_plans(&scope, Some(&county), Some(2026))
            .await
            .unwrap();
        assert_eq!(plans.len(), 1, "{scope:?}");
        assert_eq!(plans[0].1.value, amended);
    }
    let elsewhere = store
        .fund_plans(&Scope::Region(code("431002")), None, None)
        .await
        .unwrap();
    assert!(elsewhere.is_empty());

    // Assets: registration, events in order, concurrency.
    let asset = Asset {
        name: "光伏电站".into(),
        class: AssetClass::Household,
        owner: "村集体".into(),
        manager: "合作社".into(),
        value: Money::from_fen(99),
        registered_on: d("2026-09-02"),
        recipients: vec![(1, Money::from_fen(5))],
    };
    let aid = store
        .register_asset(
            ids[0],
            &county,
            &a,
            &AssetEvent::Registered(asset.clone()),
            &stamp("2026-09-02", "2026-09-02T09:00:00+08:00"),
        )
        .await
        .unwrap();
    let income = AssetEvent::IncomeRecorded {
        period: "2026".into(),
        amount: Money::from_fen(1_000),
        on: d("2026-12-01"),
    };
    let dist = AssetEvent::Distributed {
        period: "2026".into(),
        on: d("2026-12-20"),
        shares: vec![(1, Money::from_fen(400)), (2, Money::from_fen(600))],
    };
    let st = stamp("2026-12-01", "2026-12-01T09:00:00+08:00");
    store
        .append_asset_event(aid, 1, &income, &st)
        .await
        .unwrap();
    store.append_asset_event(aid, 2, &dist, &st).await.unwrap();
    let again = store.append_asset_event(aid, 2, &dist, &st).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))));
    let assets = store
        .list_assets(&Scope::Region(a), Some(&county), None)
        .await
        .unwrap();
    assert_eq!(assets.len(), 1);
    assert_eq!(
        assets[0]
            .events
            .iter()
            .map(|e| e.0.clone())
            .collect::<Vec<_>>(),
        vec![AssetEvent::Registered(asset), income, dist]
    );
    assert!(
        store
            .list_assets(&Scope::Region(b), None, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .list_assets(&Scope::Everything, None, Some(ids[1]))
            .await
            .unwrap()
            .len(),
        0
    );
}
contract!(every_event_round_trips_and_reads_are_scoped);

async fn step(
    app: &uplift_app::App,
    by: &Principal,
    id: ProjectId,
    event: ProjectEvent,
    on: &str,
) -> ProjectStatus {
    projects::step(app, by, id, event.clone(), d(on), "test")
        .await
        .unwrap_or_else(|e| panic!("{} by {}: {e}", event.name(), by.name))
        .project
        .status
}

/// The journey of issue 9's "done means": village proposal → township review → county decision
/// → fund allocation (the share check flags a plan below the floor first) → start → payment →
/// acceptance → asset registration → income distributed to households, seen in the household's
/// trace and the fund's trace.
async fn a_village_project_reaches_households(db: Db) {
    let (households, villages) = seed(&db).await;
    let (h1, h2) = (households[0], households[1]);
    let (village, other_village) = (villages[0], *villages.last().unwrap());
    let township = village.ancestor(RegionLevel::Township).unwrap();
    let other_township = other_village.ancestor(RegionLevel::Township).unwrap();
    let county = code("431026");
    let app = app(&db);
    let cadre = who("cadre", Role::VillageCadre, village);
    let cadre_b = who("cadre_b", Role::VillageCadre, other_village);
    let town = who("town", Role::TownshipReviewer, township);
    let town_b = who("town_b", Role::TownshipReviewer, other_township);
    let officer = who("officer", Role::CountyOfficer, county);
    let viewer = who("viewer", Role::CityViewer, code("4310"));

    // 1. The village proposes; another village and a viewer cannot.
    let solar = proposal(
        "光伏电站",
        ProjectKind::Industry,
        ProposerKind::Village,
        village,
        2026,
        100_000,
    );
    assert!(matches!(
        projects::propose(&app, &viewer, solar.clone(), "test").await,
        Err(ProjectFailure::Denied(_))
    ));
    assert!(matches!(
        projects::propose(&app, &cadre_b, solar.clone(), "test").await,
        Err(ProjectFailure::Store(StoreError::NotFound(_)))
    ));
    let mut forbidden = solar.clone();
    forbidden.uses.push(ExpenseUse::BuildingsHalls);
    assert!(matches!(
        projects::propose(&app, &cadre, forbidden, "test").await,
        Err(ProjectFailure::Rule(_))
    ));
    let id = projects::propose(&app, &cadre, solar, "test")
        .await
        .unwrap();

    // 2. Township review: the other township cannot find it, the village cannot review.
    let review = ProjectEvent::Reviewed {
        approve: true,
        opinion: "同意上报".into(),
    };
    assert!(matches!(
        projects::step(&app, &town_b, id, review.clone(), d("2026-03-05"), "t").await,
        Err(ProjectFailure::Store(StoreError::NotFound(_)))
    ));
    assert!(matches!(
        projects::step(&app, &cadre, id, review.clone(), d("2026-03-05"), "t").await,
        Err(ProjectFailure::Denied(_))
    ));
    assert_eq!(
        step(&app, &town, id, review, "2026-03-05").await,
        ProjectStatus::Reviewed
    );

    // 3. County decision.
    let decide = ProjectEvent::Decided {
        approve: true,
        opinion: "同意入库".into(),
        due_diligence: None,
    };
    assert!(matches!(
        projects::step(&app, &town, id, decide.clone(), d("2026-03-10"), "t").await,
        Err(ProjectFailure::Denied(_))
    ));
    assert_eq!(
        step(&app, &officer, id, decide.clone(), "2026-03-10").await,
        ProjectStatus::Approved
    );
    // A township's road project, straight to the county.
    let road = projects::propose(
        &app,
        &town,
        proposal(
            "通组公路",
            ProjectKind::Infrastructure,
            ProposerKind::Township,
            township,
            2026,
            100_000,
        ),
        "test",
    )
    .await
    .unwrap();
    step(&app, &officer, road, decide, "2026-03-10").await;

    // 4. Fund plans of the year (2026: normalised assistance funds).
    let plans = projects::save_plans(
        &app,
        &officer,
        vec![
            (
                None,
                FundPlan {
                    county,
                    year: 2026,
                    level: FundLevel::Central,
                    name: "中央财政常态化帮扶资金".into(),
                    document: "郴财农指〔2026〕1号".into(),
                    amount: Money::from_yuan(150_000),
                },
            ),
            (
                None,
                FundPlan {
                    county,
                    year: 2026,
                    level: FundLevel::County,
                    name: "县级常态化帮扶资金".into(),
                    document: "汝财〔2026〕2号".into(),
                    amount: Money::from_yuan(50_000),
                },
            ),
        ],
        "test",
    )
    .await
    .unwrap();
    assert!(matches!(
        projects::save_plans(
            &app,
            &cadre,
            vec![(
                None,
                FundPlan {
                    county,
                    year: 2026,
                    level: FundLevel::County,
                    name: "x".into(),
                    document: String::new(),
                    amount: Money::from_yuan(1),
                }
            )],
            "t"
        )
        .await,
        Err(ProjectFailure::Denied(_))
    ));
    let (central, county_plan) = (plans[0], plans[1]);

    // 5. Allocation. Rucheng's 2026 figure is 65%: 80,000 industry of 130,000 is 61.53%, so the
    // arrangement is flagged before anything is saved.
    let arrangement = [
        Allocation {
            project: id,
            plan: central,
            amount: Money::from_yuan(80_000),
        },
        Allocation {
            project: road,
            plan: county_plan,
            amount: Money::from_yuan(50_000),
        },
    ];
    let flagged = projects::allocate(&app, &officer, &arrangement, false, false, "t").await;
    match flagged {
        Err(ProjectFailure::ShareBelowFloor { share, year, .. }) => {
            assert_eq!(year, 2026);
            assert_eq!(share.percent_text().as_deref(), Some("61.53"));
            assert_eq!(share.floor_percent, Some(65));
        }
        other => panic!("expected the share warning, got {other:?}"),
    }
    let stored = projects::get(&app, &officer, id).await.unwrap();
    assert_eq!(stored.project.status, ProjectStatus::Approved);
    assert_eq!(stored.project.allocated(), Money::ZERO);
    // A dry run of a compliant arrangement reports the share and saves nothing.
    let compliant = [
        Allocation {
            project: id,
            plan: central,
            amount: Money::from_yuan(100_000),
        },
        Allocation {
            project: road,
            plan: county_plan,
            amount: Money::from_yuan(50_000),
        },
    ];
    let dry = projects::allocate(&app, &officer, &compliant, false, true, "t")
        .await
        .unwrap();
    assert!(!dry.saved);
    assert_eq!(dry.after.percent_text().as_deref(), Some("66.66"));
    let done = projects::allocate(&app, &officer, &compliant, false, false, "t")
        .await
        .unwrap();
    assert!(done.saved);
    assert_eq!(
        projects::industry_share(&app, &officer, &county, 2026)
            .await
            .unwrap()
            .percent_text()
            .as_deref(),
        Some("66.66")
    );
    // The plan cannot be arranged beyond its amount.
    assert!(matches!(
        projects::allocate(
            &app,
            &officer,
            &[Allocation {
                project: road,
                plan: county_plan,
                amount: Money::from_yuan(1),
            }],
            true,
            false,
            "t"
        )
        .await,
        Err(ProjectFailure::Invalid(_))
    ));

    // 6. Under way, paid with a voucher (a forbidden use is refused), accepted.
    assert_eq!(
        step(
            &app,
            &officer,
            id,
            ProjectEvent::Started {
                on: d("2026-04-01")
            },
            "2026-04-01"
        )
        .await,
        ProjectStatus::UnderWay
    );
    let pay = |spent_on| ProjectEvent::Disbursed {
        plan: central.0,
        amount: Money::from_yuan(100_000),
        on: d("2026-05-10"),
        voucher: "记字第0012号".into(),
        spent_on,
    };
    assert!(matches!(
        projects::disburse(&app, &officer, id, pay(ExpenseUse::VehiclesEquipment), "t").await,
        Err(ProjectFailure::Rule(_))
    ));
    projects::disburse(&app, &officer, id, pay(ExpenseUse::Production), "t")
        .await
        .unwrap();
    assert_eq!(
        step(
            &app,
            &officer,
            id,
            ProjectEvent::Accepted {
                on: d("2026-09-01"),
                opinion: "验收合格".into(),
            },
            "2026-09-01"
        )
        .await,
        ProjectStatus::Accepted
    );

    // 7. The asset, its income, and the distribution to households.
    let asset = projects::register_asset(
        &app,
        &officer,
        id,
        Asset {
            name: "村级光伏电站".into(),
            class: AssetClass::Operating,
            owner: "村股份经济合作社".into(),
            manager: "村股份经济合作社".into(),
            value: Money::from_yuan(100_000),
            registered_on: d("2026-09-02"),
            recipients: vec![],
        },
        "test",
    )
    .await
    .unwrap();
    projects::asset_step(
        &app,
        &officer,
        asset,
        AssetEvent::IncomeRecorded {
            period: "2026".into(),
            amount: Money::from_yuan(8_000),
            on: d("2026-11-20"),
        },
        "t",
    )
    .await
    .unwrap();
    let record = projects::asset_step(
        &app,
        &officer,
        asset,
        AssetEvent::Distributed {
            period: "2026".into(),
            on: d("2026-11-24"),
            shares: vec![
                (h1.0, Money::from_yuan(1_500)),
                (h2.0, Money::from_yuan(1_000)),
            ],
        },
        "t",
    )
    .await
    .unwrap();
    assert_eq!(
        record.state().unwrap().distributed_total(),
        Money::from_yuan(2_500)
    );
    // A household outside the county is refused.
    assert!(matches!(
        projects::asset_step(
            &app,
            &officer,
            asset,
            AssetEvent::Distributed {
                period: "2026".into(),
                on: d("2026-11-24"),
                shares: vec![(9_999, Money::from_yuan(1))],
            },
            "t",
        )
        .await,
        Err(ProjectFailure::Invalid(_))
    ));

    // 8. The household's trace shows the project, the asset, its income share and its measure.
    app.store
        .save_measure(
            h1,
            None,
            &Measure {
                category: MeasureCategory::Industry,
                name: "产业奖补：养牛 2 头".into(),
                start: d("2026-04-01"),
                end: None,
                amount: Money::from_yuan(3_000),
                funding: FundingSource::AssistanceFunds,
            },
            &stamp("2026-04-01", "2026-04-01T09:00:00+08:00"),
        )
        .await
        .unwrap();
    let t = trace::household_trace(&app, &cadre, h1).await.unwrap();
    assert_eq!(t.projects.len(), 1);
    assert_eq!(t.projects[0].0, id);
    let dist = t.lines.iter().find(|l| l.kind == "distribution").unwrap();
    assert_eq!(dist.amount, Money::from_yuan(1_500));
    assert_eq!(dist.asset.as_ref().unwrap().0, asset);
    assert!(
        dist.funds.contains("中央财政常态化帮扶资金"),
        "{}",
        dist.funds
    );
    assert!(
        t.lines
            .iter()
            .any(|l| l.kind == "measure" && l.amount == Money::from_yuan(3_000))
    );
    assert_eq!(t.total, Money::from_yuan(4_500));
    let ledger = trace::household_ledger(&t);
    assert_eq!(ledger.rows.len(), 2);
    let csv = String::from_utf8(ledger.to_csv().unwrap()).unwrap();
    assert!(csv.contains("1500.00"), "{csv}");
    // Another village's cadre cannot trace this household.
    assert!(trace::household_trace(&app, &cadre_b, h1).await.is_err());

    // 9. The fund's trace: the project and both households; a village sees only its own.
    let ft = trace::fund_trace(&app, &officer, central).await.unwrap();
    assert_eq!(ft.term_zh, "常态化帮扶资金");
    assert_eq!(ft.projects.len(), 1);
    assert_eq!(ft.projects[0].allocated, Money::from_yuan(100_000));
    assert_eq!(ft.projects[0].paid, Money::from_yuan(100_000));
    let mut reached: Vec<HouseholdId> = ft.households.iter().map(|x| x.household).collect();
    reached.sort();
    assert_eq!(reached, vec![h1, h2]);
    let ft_village = trace::fund_trace(&app, &cadre, central).await.unwrap();
    assert_eq!(ft_village.households.len(), 1);
    assert_eq!(ft_village.hidden_households, 1);
    assert_eq!(trace::fund_ledger(&ft).rows.len(), 3);

    // 10. The notice of the year's plan names the regime's term and the supervision phone.
    let notice = trace::disclosure(&app, &viewer, &county, 2026)
        .await
        .unwrap();
    assert_eq!(notice.term_zh, "常态化帮扶资金");
    assert_eq!(notice.supervision_phone, "12317");
    assert_eq!(notice.projects.len(), 2);
    assert_eq!(notice.total, Money::from_yuan(200_000));
}
contract!(a_village_project_reaches_households);

/// A 2025 plan says 衔接资金 and a 2026 plan says 常态化帮扶资金.
async fn the_fund_term_follows_the_plan_year(db: Db) {
    seed(&db).await;
    let app = app(&db);
    let county = code("431026");
    let machine = Principal::machine("test");
    let plan = |year| FundPlan {
        county,
        year,
        level: FundLevel::Central,
        name: format!("{year} 中央资金"),
        document: String::new(),
        amount: Money::from_yuan(1_000),
    };
    let ids = projects::save_plans(
        &app,
        &machine,
        vec![(None, plan(2025)), (None, plan(2026))],
        "t",
    )
    .await
    .unwrap();
    let old = trace::fund_trace(&app, &machine, ids[0]).await.unwrap();
    let new = trace::fund_trace(&app, &machine, ids[1]).await.unwrap();
    assert_eq!(
        (old.term_zh.as_str(), old.term_en.as_str()),
        ("衔接资金", "connection funds")
    );
    assert_eq!(new.term_zh, "常态化帮扶资金");
    assert_eq!(
        trace::disclosure(&app, &machine, &county, 2025)
            .await
            .unwrap()
            .term_zh,
        "衔接资金"
    );
}
contract!(the_fund_term_follows_the_plan_year);

/// Importing a project list is all or none, and the report names row, column and field.
async fn project_and_plan_imports_report_every_problem(db: Db) {
    let (_, villages) = seed(&db).await;
    let app = app(&db);
    let officer = who("officer", Role::CountyOfficer, code("431026"));
    let v = villages[0];
    let header = "项目名称,项目类型,申报主体,行政区划代码,年度,实施主体,中央资金,受益户数,分红户数,分红金额,资金用途\n";
    let bad = format!(
        "{header}光伏,产业发展,村申报,{v},2026,村集体,50000,20,20,8000,production\n\
         ,产业,村申报,{v},2026,村集体,abc,20,,,\n\
         车辆,other,村申报,{v},2026,村集体,1000,1,,,vehicles_equipment\n"
    );
    let out = projects::import::import_projects(&app, &officer, "list.csv", bad.into_bytes())
        .await
        .unwrap();
    assert!(out.ids.is_empty());
    let fields: Vec<(u64, &str)> = out.issues.iter().map(|i| (i.row, i.field)).collect();
    assert!(fields.contains(&(3, "name")), "{fields:?}");
    assert!(fields.contains(&(3, "kind")), "{fields:?}");
    assert!(fields.contains(&(3, "central_yuan")), "{fields:?}");
    assert!(fields.contains(&(4, "")), "{fields:?}");
    assert!(out.issues.iter().all(|i| i.file == "list.csv"));
    assert_eq!(out.report.rows.len(), out.issues.len());
    assert!(
        app.store
            .list_projects(&ProjectFilter::county(Scope::Everything, code("431026")))
            .await
            .unwrap()
            .is_empty()
    );
    let good =
        format!("{header}光伏,产业发展,村申报,{v},2026,村集体,50000,20,20,8000,production\n");
    let out = projects::import::import_projects(&app, &officer, "list.csv", good.into_bytes())
        .await
        .unwrap();
    assert_eq!((out.ids.len(), out.issues.len()), (1, 0));

    let plans = "年度,县级区划代码,资金级次,资金名称,指标文号,金额\n\
                 2026,431026,中央,中央财政常态化帮扶资金,郴财〔2026〕1号,150000\n\
                 2026,431002,省级,别县资金,,100\n";
    let out =
        projects::import::import_plans(&app, &officer, "plans.csv", plans.as_bytes().to_vec())
            .await
            .unwrap();
    assert_eq!(out.ids.len(), 0);
    assert_eq!(out.issues.len(), 1);
    assert_eq!(out.issues[0].row, 3);
}
contract!(project_and_plan_imports_report_every_problem);
