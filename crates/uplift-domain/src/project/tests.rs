use super::*;
use crate::policy::Terminology;

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn proposal(proposer: ProposerKind, operator: Operator, yuan: i64) -> Proposal {
    Proposal {
        name: "蔬菜大棚".to_owned(),
        kind: ProjectKind::Industry,
        proposer,
        department: (proposer == ProposerKind::Department).then(|| "农业农村局".to_owned()),
        region: match proposer {
            ProposerKind::Village => code("431026100201"),
            ProposerKind::Township => code("431026100"),
            ProposerKind::Department => code("431026"),
        },
        year: 2026,
        operator,
        budget: vec![BudgetLine {
            level: FundLevel::Central,
            amount: Money::from_yuan(yuan),
        }],
        beneficiary_households: 30,
        linkage: vec![Linkage {
            kind: LinkageKind::Dividends,
            households: 30,
            amount: Money::from_yuan(9_000),
        }],
        uses: vec![ExpenseUse::Production],
        summary: String::new(),
    }
}

fn rules() -> ProjectRules {
    ProjectRules::of_regime(Terminology::Normalised2026)
}

fn decided(report: Option<&str>) -> ProjectEvent {
    ProjectEvent::Decided {
        approve: true,
        opinion: "同意".into(),
        due_diligence: report.map(str::to_owned),
    }
}

#[test]
fn a_village_project_runs_from_proposal_to_acceptance() {
    let county = Some(Role::CountyOfficer);
    let r = rules();
    let p = Project::new(proposal(
        ProposerKind::Village,
        Operator::Collective,
        200_000,
    ));
    let steps: Vec<(ProjectEvent, Option<Role>, ProjectStatus)> = vec![
        (
            ProjectEvent::Reviewed {
                approve: true,
                opinion: "同意上报".into(),
            },
            Some(Role::TownshipReviewer),
            ProjectStatus::Reviewed,
        ),
        (decided(None), county, ProjectStatus::Approved),
        (
            ProjectEvent::Allocated {
                plan: 1,
                amount: Money::from_yuan(150_000),
            },
            county,
            ProjectStatus::InPlan,
        ),
        (
            ProjectEvent::Started { on: date(3, 1) },
            county,
            ProjectStatus::UnderWay,
        ),
        (
            ProjectEvent::Disbursed {
                plan: 1,
                amount: Money::from_yuan(150_000),
                on: date(4, 1),
                voucher: "记-0001".into(),
                spent_on: ExpenseUse::Production,
            },
            county,
            ProjectStatus::UnderWay,
        ),
        (
            ProjectEvent::Accepted {
                on: date(9, 1),
                opinion: "合格".into(),
            },
            county,
            ProjectStatus::Accepted,
        ),
    ];
    let mut p = p;
    for (event, role, status) in steps {
        p = p.apply(&event, role, &r).unwrap();
        assert_eq!(p.status, status, "{event:?}");
    }
    assert_eq!(p.paid(), Money::from_yuan(150_000));
}

#[test]
fn each_step_refuses_the_wrong_role_and_the_wrong_status() {
    let r = rules();
    let p = Project::new(proposal(ProposerKind::Village, Operator::Collective, 1_000));
    let review = ProjectEvent::Reviewed {
        approve: true,
        opinion: String::new(),
    };
    // table: (event, role, expected error prefix)
    let cases: Vec<(ProjectEvent, Role, &str)> = vec![
        (
            review.clone(),
            Role::VillageCadre,
            "a village_cadre may not",
        ),
        (
            decided(None),
            Role::TownshipReviewer,
            "a township_reviewer may not",
        ),
        (
            decided(None),
            Role::CountyOfficer,
            "step decided is not possible when the project is proposed",
        ),
        (
            ProjectEvent::Started { on: date(1, 1) },
            Role::CountyOfficer,
            "step started is not possible",
        ),
        (
            ProjectEvent::Allocated {
                plan: 1,
                amount: Money::from_yuan(1),
            },
            Role::Helper,
            "a helper may not",
        ),
    ];
    for (event, role, expected) in cases {
        let err = p.apply(&event, Some(role), &r).unwrap_err().to_string();
        assert!(err.starts_with(expected), "{event:?} {role:?}: {err}");
    }
    // A township proposal goes straight to the county; a village cadre may not propose it.
    let t = proposal(ProposerKind::Township, Operator::Collective, 1_000);
    assert!(!ProjectEvent::Proposed(t.clone()).allowed(Role::VillageCadre, None));
    assert!(ProjectEvent::Proposed(t.clone()).allowed(Role::TownshipReviewer, None));
    let t = Project::new(t)
        .apply(&decided(None), Some(Role::CountyAdmin), &r)
        .unwrap();
    assert_eq!(t.status, ProjectStatus::Approved);
    // A department proposal is made by the county for the department.
    let d = proposal(ProposerKind::Department, Operator::Government, 1_000);
    assert!(!ProjectEvent::Proposed(d.clone()).allowed(Role::TownshipReviewer, None));
    assert!(check_proposal(&d).is_ok());
}

#[test]
fn due_diligence_follows_the_pack_thresholds() {
    let r = rules();
    let table = [
        (Operator::Cooperative, 299_999, DueDiligence::None),
        (Operator::Cooperative, 300_000, DueDiligence::County),
        (Operator::Enterprise, 999_999, DueDiligence::None),
        (Operator::Enterprise, 1_000_000, DueDiligence::County),
        (Operator::Collective, 4_999_999, DueDiligence::None),
        (Operator::Collective, 5_000_000, DueDiligence::CityCounty),
    ];
    for (operator, yuan, expected) in table {
        let p = proposal(ProposerKind::Village, operator, yuan);
        assert_eq!(due_diligence(&p, &r), expected, "{operator:?} {yuan}");
    }
    let p = Project::new(proposal(
        ProposerKind::Township,
        Operator::Enterprise,
        2_000_000,
    ));
    let err = p
        .apply(&decided(None), Some(Role::CountyOfficer), &r)
        .unwrap_err();
    assert_eq!(
        err,
        ProjectError::DueDiligenceMissing {
            needed: "县级尽职调查"
        }
    );
    assert!(p.apply(&decided(Some("尽调报告 2026-3")), None, &r).is_ok());
}

#[test]
fn forbidden_uses_are_refused() {
    let forbidden: Vec<ExpenseUse> = ExpenseUse::ALL
        .iter()
        .copied()
        .filter(|u| u.forbidden())
        .collect();
    // domain.md §9.1 lists ten categories, plus spending unrelated to the purpose.
    assert_eq!(forbidden.len(), 11);
    assert!(!ExpenseUse::Production.forbidden());
    assert!(ExpenseUse::BuildingsHalls.forbidden());
    let mut p = proposal(ProposerKind::Village, Operator::Collective, 1_000);
    p.uses.push(ExpenseUse::VehiclesEquipment);
    assert_eq!(
        check_proposal(&p),
        Err(ProjectError::ForbiddenUse("购置车辆和通讯设备"))
    );
    let r = rules();
    let mut project = Project::new(proposal(
        ProposerKind::Township,
        Operator::Collective,
        1_000,
    ));
    for e in [
        decided(None),
        ProjectEvent::Allocated {
            plan: 7,
            amount: Money::from_yuan(1_000),
        },
        ProjectEvent::Started { on: date(2, 1) },
    ] {
        project = project.apply(&e, None, &r).unwrap();
    }
    let pay = |use_: ExpenseUse, yuan: i64| ProjectEvent::Disbursed {
        plan: 7,
        amount: Money::from_yuan(yuan),
        on: date(3, 1),
        voucher: "V1".into(),
        spent_on: use_,
    };
    assert_eq!(
        project.apply(&pay(ExpenseUse::Bonuses, 10), None, &r),
        Err(ProjectError::ForbiddenUse("奖金、津贴和福利"))
    );
    assert!(matches!(
        project.apply(&pay(ExpenseUse::Production, 1_001), None, &r),
        Err(ProjectError::OverAllocation { .. })
    ));
    assert!(
        project
            .apply(&pay(ExpenseUse::Production, 1_000), None, &r)
            .is_ok()
    );
}

#[test]
fn allocations_stay_within_the_budget_and_unfunded_projects_roll_over() {
    let r = rules();
    let p = Project::new(proposal(
        ProposerKind::Township,
        Operator::Collective,
        1_000,
    ))
    .apply(&decided(None), None, &r)
    .unwrap();
    assert!(matches!(
        p.apply(
            &ProjectEvent::Allocated {
                plan: 1,
                amount: Money::from_yuan(1_001)
            },
            None,
            &r
        ),
        Err(ProjectError::OverBudget { .. })
    ));
    let rolled = p
        .apply(&ProjectEvent::RolledOver { to_year: 2027 }, None, &r)
        .unwrap();
    assert_eq!(
        (rolled.status, rolled.year),
        (ProjectStatus::RolledOver, 2027)
    );
    // Already approved: it can be funded next year without a new decision.
    let funded = rolled
        .apply(
            &ProjectEvent::Allocated {
                plan: 2,
                amount: Money::from_yuan(1_000),
            },
            None,
            &r,
        )
        .unwrap();
    assert_eq!(funded.status, ProjectStatus::InPlan);
    assert!(
        rolled
            .apply(&ProjectEvent::RolledOver { to_year: 2027 }, None, &r)
            .is_err()
    );
}

#[test]
fn industry_share_at_its_boundaries() {
    // (industry fen, total fen, rule, percent text, below floor)
    let table = [
        (
            6_000,
            10_000,
            IndustryShare::MinPercent(60),
            Some("60.00"),
            false,
        ),
        (
            5_999,
            10_000,
            IndustryShare::MinPercent(60),
            Some("59.99"),
            true,
        ),
        // 59.995% shows 59.99% (rounded down) and is below 60%.
        (
            59_995,
            100_000,
            IndustryShare::MinPercent(60),
            Some("59.99"),
            true,
        ),
        (
            60_000_000_000,
            100_000_000_000,
            IndustryShare::MinPercent(60),
            Some("60.00"),
            false,
        ),
        (
            5_500,
            10_000,
            IndustryShare::MinPercent(55),
            Some("55.00"),
            false,
        ),
        (
            5_499,
            10_000,
            IndustryShare::MinPercent(55),
            Some("54.99"),
            true,
        ),
        (0, 0, IndustryShare::MinPercent(60), None, false),
        (0, 10_000, IndustryShare::MinPercent(0), Some("0.00"), false),
        (
            6_499,
            10_000,
            IndustryShare::StableAtProvincialLevel {
                county_percent: Some(65),
            },
            Some("64.99"),
            true,
        ),
        (
            1,
            10_000,
            IndustryShare::StableAtProvincialLevel {
                county_percent: None,
            },
            Some("0.01"),
            false,
        ),
    ];
    for (industry, total, rule, text, below) in table {
        let c = ShareCheck::new(Money::from_fen(industry), Money::from_fen(total), rule);
        assert_eq!(c.percent_text().as_deref(), text, "{industry}/{total}");
        assert_eq!(c.below_floor(), below, "{industry}/{total} {rule:?}");
    }
}

#[test]
fn asset_income_cannot_be_distributed_twice() {
    let a = Asset {
        name: "光伏电站".into(),
        class: AssetClass::Operating,
        owner: "村集体".into(),
        manager: "村合作社".into(),
        value: Money::from_yuan(100_000),
        registered_on: date(9, 2),
        recipients: vec![],
    };
    assert!(check_asset(&a).is_ok());
    let mut wrong = a.clone();
    wrong.recipients = vec![(1, Money::from_yuan(1))];
    assert!(check_asset(&wrong).is_err());
    let s = AssetState::fold(&[
        AssetEvent::Registered(a),
        AssetEvent::IncomeRecorded {
            period: "2026".into(),
            amount: Money::from_yuan(1_000),
            on: date(12, 1),
        },
    ])
    .unwrap();
    let give = |yuan: i64| AssetEvent::Distributed {
        period: "2026".into(),
        on: date(12, 20),
        shares: vec![(1, Money::from_yuan(yuan)), (2, Money::from_yuan(yuan))],
    };
    let s = s.next(&give(500)).unwrap();
    assert_eq!(s.distributed_total(), Money::from_yuan(1_000));
    assert!(s.next(&give(1)).is_err());
}

#[test]
fn the_fund_term_follows_the_regime() {
    assert_eq!(
        ProjectRules::of_regime(Terminology::Transition2021).fund_term_zh,
        "衔接资金"
    );
    assert_eq!(
        ProjectRules::of_regime(Terminology::Normalised2026).fund_term_zh,
        "常态化帮扶资金"
    );
}
