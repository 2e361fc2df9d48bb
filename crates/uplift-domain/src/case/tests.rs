//! Every transition, legal and illegal, and every elimination condition at its boundary.

use super::elimination::{IncomeEvidence, VisitEvidence, months_between};
use super::*;
use crate::household::Labour;
use crate::income::Money;
use crate::policy::{
    Category, DashboardRules, EliminationRules, IndustryShare, LimitUnit, OutOfPocketRule,
    PackScope, RiskType, ScreeningThresholds, StepLimits, Terminology,
};
use crate::region::RegionCode;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn risk(code: &str, parent: Option<&str>) -> RiskType {
    RiskType {
        code: code.to_owned(),
        zh: code.to_owned(),
        en: code.to_owned(),
        parent: parent.map(str::to_owned),
    }
}

pub(crate) fn pack() -> PolicyPack {
    let working = |amount| TimeLimit {
        amount,
        unit: LimitUnit::WorkingDays,
    };
    PolicyPack {
        scope: PackScope {
            province: RegionCode::parse("43").unwrap(),
            county: None,
        },
        name_zh: "湖南省".into(),
        name_en: "Hunan".into(),
        year: 2026,
        effective_from: d("2026-01-01"),
        monitoring_line: Money::from_yuan(8_000),
        terminology: Terminology::Normalised2026,
        categories: vec![Category {
            code: "marginal".into(),
            zh: "边缘易致贫户".into(),
            en: "Marginal".into(),
        }],
        risk_types: vec![
            risk("01", None),
            risk("02", None),
            risk("0201", Some("02")),
            risk("05", None),
            risk("09", None),
            risk("10", None),
            risk("11", None),
        ],
        out_of_pocket: OutOfPocketRule::Deduct,
        notice_days: 5,
        notice_working_days: false,
        identification_limit_days: 15,
        step_limits: StepLimits {
            accept: TimeLimit::calendar_days(2),
            verification: TimeLimit::calendar_days(2),
            comparison: TimeLimit::calendar_days(5),
            appraisal: TimeLimit::calendar_days(2),
            notice_posting: TimeLimit::calendar_days(1),
            township_review: working(2),
            county_approval: working(3),
            announcement: working(5),
            national_entry: working(5),
        },
        elimination: EliminationRules {
            min_months_identified: 6,
            min_measures: 1,
            no_labour_household_may_eliminate: false,
            min_months_income_stable: 6,
        },
        industry_share: IndustryShare::StableAtProvincialLevel {
            county_percent: None,
        },
        projects: crate::policy::ProjectRules::of_regime(
            crate::policy::Terminology::Normalised2026,
        ),
        screening: ScreeningThresholds {
            edge_band_percent: 150,
            income_drop_percent: 50,
            medical_per_stay_monitored: Money::from_yuan(6000),
            medical_per_stay_other: Money::from_yuan(10000),
            medical_lookback_months: 12,
            medical_percent_of_income: 50,
            medical_focus_total: Money::from_yuan(30000),
            water_interruption_days: 36,
            disaster_loss_percent_of_income: 50,
            housing_unsafe_grades: vec![],
            medical_percent_of_household_income: 50,
            new_event_days: 90,
            severe_disability_max_grade: 2,
            disaster_loss_min: Money::from_yuan(20_000),
            main_worker: crate::policy::MainWorkerRule::SkillRelationAge,
            verification_limit_days: 15,
        },
        rules: vec![],
        dashboard: DashboardRules { min_cell: 5 },
        village_indicators: Vec::new(),
        must_visit: Vec::new(),
        sampling: None,
        sources: vec![],
        rectification: None,
    }
}

struct World {
    pack: PolicyPack,
    calendar: WorkCalendar,
}

impl World {
    fn new() -> World {
        World {
            pack: pack(),
            calendar: WorkCalendar::shipped(),
        }
    }

    fn ctx(&self, today: &str, role: Role) -> Ctx<'_> {
        Ctx {
            today: d(today),
            role: Some(role),
            pack: &self.pack,
            calendar: &self.calendar,
        }
    }
}

fn opening(kind: CaseKind, channel: Channel) -> Opening {
    Opening {
        kind,
        channel,
        clue_date: d("2026-03-02"),
        summary: "医保预警：住院自付 3.2 万元".into(),
        risk_hint: Some("01".into()),
        green_channel: false,
        rollback: false,
        conditions: vec![],
    }
}

/// A case with its events, stepping on through the commands.
struct Walk {
    case: Case,
}

impl Walk {
    fn open(w: &World, o: Opening) -> Walk {
        let event = open(o, &w.ctx("2026-03-02", Role::CountyOfficer)).unwrap();
        Walk {
            case: Case::fold([(&event, d("2026-03-02"))]).unwrap(),
        }
    }

    fn step(&mut self, w: &World, today: &str, role: Role, cmd: Command) -> Event {
        let event = apply(&self.case, &cmd, &w.ctx(today, role))
            .unwrap_or_else(|e| panic!("{} at {:?}: {e}", cmd.name(), self.case.stage));
        self.case.record(&event, d(today));
        event
    }

    fn refuse(&self, w: &World, today: &str, role: Role, cmd: Command) -> TransitionError {
        apply(&self.case, &cmd, &w.ctx(today, role)).unwrap_err()
    }
}

fn verify() -> Command {
    Command::Verify(Verification {
        commitment_signed: true,
        asset_query_authorised: true,
        findings: "家中 4 口人，1 人住院".into(),
    })
}

fn compare() -> Command {
    Command::Compare(Comparison {
        adverse_findings: false,
        findings: "无车辆、无商品房、无工商登记".into(),
    })
}

fn appraise(on: &str, votes_for: u32) -> Command {
    Command::Appraise(Appraisal {
        held_on: d(on),
        attendees: 15,
        votes_for,
        votes_against: 15 - votes_for,
        abstentions: 0,
        minutes: "村民代表会议纪要".into(),
    })
}

fn identify() -> Command {
    Command::Approve(Decision::Identify {
        category: "marginal".into(),
        risks: vec!["01".into()],
    })
}

/// Walks an identification to the given stage with the right roles.
fn walk_to(w: &World, stage: Stage) -> Walk {
    let mut walk = Walk::open(
        w,
        opening(CaseKind::Identification, Channel::DepartmentWarning),
    );
    let steps: Vec<(&str, Role, Command, Stage)> = vec![
        ("2026-03-03", Role::VillageCadre, verify(), Stage::Verified),
        (
            "2026-03-04",
            Role::CountyOfficer,
            compare(),
            Stage::Compared,
        ),
        (
            "2026-03-05",
            Role::VillageCadre,
            appraise("2026-03-05", 12),
            Stage::Appraised,
        ),
        (
            "2026-03-05",
            Role::VillageCadre,
            Command::PostNotice {
                start: d("2026-03-05"),
            },
            Stage::Notice,
        ),
        (
            "2026-03-10",
            Role::VillageCadre,
            Command::CloseNotice,
            Stage::NoticeClosed,
        ),
        (
            "2026-03-11",
            Role::TownshipReviewer,
            Command::Review {
                opinion: "实地核查属实".into(),
            },
            Stage::Reviewed,
        ),
        (
            "2026-03-12",
            Role::CountyOfficer,
            identify(),
            Stage::Approved,
        ),
        (
            "2026-03-13",
            Role::TownshipReviewer,
            Command::Announce {
                on: d("2026-03-13"),
            },
            Stage::Announced,
        ),
        (
            "2026-03-16",
            Role::TownshipReviewer,
            Command::EnterNational(NationalEntry {
                entered_by: "张录入".into(),
                entered_on: d("2026-03-16"),
            }),
            Stage::Entered,
        ),
    ];
    for (today, role, cmd, next) in steps {
        if walk.case.stage == stage {
            return walk;
        }
        walk.step(w, today, role, cmd);
        assert_eq!(walk.case.stage, next);
    }
    assert_eq!(walk.case.stage, stage);
    walk
}

#[test]
fn a_department_warning_walks_every_step_to_the_national_system() {
    let w = World::new();
    let walk = walk_to(&w, Stage::Entered);
    let case = &walk.case;
    assert_eq!(case.version, 10);
    assert_eq!(case.opening.channel, Channel::DepartmentWarning);
    assert_eq!(case.notice.as_ref().unwrap().last_day, d("2026-03-09"));
    assert_eq!(case.entry.as_ref().unwrap().entered_by, "张录入".to_owned());
    assert_eq!(
        monitoring_status(std::slice::from_ref(case)),
        MonitoringStatus::Monitored {
            identified_on: d("2026-03-12"),
            category: "marginal".into(),
            risks: vec!["01".into()],
        }
    );
    assert!(case.next_commands(Some(Role::CountyAdmin)).is_empty());
}

#[test]
fn every_step_refuses_the_wrong_role() {
    let w = World::new();
    let cases: Vec<(Stage, Command, Role, &str)> = vec![
        (Stage::Clue, verify(), Role::CountyOfficer, "2026-03-03"),
        (Stage::Clue, verify(), Role::Helper, "2026-03-03"),
        (Stage::Verified, compare(), Role::VillageCadre, "2026-03-04"),
        (
            Stage::Verified,
            compare(),
            Role::TownshipReviewer,
            "2026-03-04",
        ),
        (
            Stage::Compared,
            appraise("2026-03-05", 12),
            Role::TownshipReviewer,
            "2026-03-05",
        ),
        (
            Stage::Appraised,
            Command::PostNotice {
                start: d("2026-03-05"),
            },
            Role::CountyOfficer,
            "2026-03-05",
        ),
        (
            Stage::Notice,
            Command::CloseNotice,
            Role::Helper,
            "2026-03-10",
        ),
        (
            Stage::NoticeClosed,
            Command::Review {
                opinion: "同意".into(),
            },
            Role::VillageCadre,
            "2026-03-11",
        ),
        (
            Stage::NoticeClosed,
            Command::Review {
                opinion: "同意".into(),
            },
            Role::CountyOfficer,
            "2026-03-11",
        ),
        (
            Stage::Reviewed,
            identify(),
            Role::TownshipReviewer,
            "2026-03-12",
        ),
        (Stage::Reviewed, identify(), Role::CityViewer, "2026-03-12"),
        (
            Stage::Approved,
            Command::Announce {
                on: d("2026-03-13"),
            },
            Role::VillageCadre,
            "2026-03-13",
        ),
        (
            Stage::Announced,
            Command::EnterNational(NationalEntry {
                entered_by: "x".into(),
                entered_on: d("2026-03-16"),
            }),
            Role::Auditor,
            "2026-03-16",
        ),
        (
            Stage::Reviewed,
            Command::Reject {
                reason: "不符合".into(),
            },
            Role::VillageCadre,
            "2026-03-12",
        ),
    ];
    for (stage, cmd, role, today) in cases {
        let walk = walk_to(&w, stage);
        let err = walk.refuse(&w, today, role, cmd.clone());
        assert!(
            matches!(err, TransitionError::RoleNotAllowed { .. }),
            "{role:?} {} at {stage:?}: {err}",
            cmd.name()
        );
    }
}

#[test]
fn every_command_is_refused_out_of_order() {
    let w = World::new();
    let all = vec![
        Command::Accept,
        verify(),
        compare(),
        appraise("2026-03-05", 12),
        Command::PostNotice {
            start: d("2026-03-05"),
        },
        Command::FileObjection { text: "x".into() },
        Command::AnswerObjection {
            index: 0,
            answer: "y".into(),
        },
        Command::CloseNotice,
        Command::Review {
            opinion: "ok".into(),
        },
        identify(),
        Command::Announce {
            on: d("2026-03-13"),
        },
        Command::EnterNational(NationalEntry {
            entered_by: "x".into(),
            entered_on: d("2026-03-20"),
        }),
    ];
    let legal: [(Stage, &[&str]); 9] = [
        (Stage::Clue, &["verify"]),
        (Stage::Verified, &["compare"]),
        (Stage::Compared, &["appraise"]),
        (Stage::Appraised, &["post_notice"]),
        (
            Stage::Notice,
            &["file_objection", "close_notice", "answer_objection"],
        ),
        (Stage::NoticeClosed, &["review"]),
        (Stage::Reviewed, &["approve"]),
        (Stage::Approved, &["announce"]),
        (Stage::Announced, &["enter_national"]),
    ];
    for (stage, ok) in legal {
        let walk = walk_to(&w, stage);
        for cmd in &all {
            if ok.contains(&cmd.name()) {
                continue;
            }
            // County admin may do everything, so only the stage can refuse.
            let err = walk.refuse(&w, "2026-03-20", Role::CountyAdmin, cmd.clone());
            assert!(
                matches!(err, TransitionError::WrongStage { .. }),
                "{} at {stage:?}: {err}",
                cmd.name()
            );
        }
    }
    // A finished case takes nothing at all.
    let done = walk_to(&w, Stage::Entered);
    for cmd in all {
        assert!(matches!(
            done.refuse(&w, "2026-03-20", Role::CountyAdmin, cmd),
            TransitionError::Closed { .. }
        ));
    }
}

#[test]
fn rejection_is_possible_at_every_step_before_the_announcement_and_is_final() {
    let w = World::new();
    let owners = [
        (Stage::Clue, Role::VillageCadre),
        (Stage::Verified, Role::CountyOfficer),
        (Stage::Compared, Role::VillageCadre),
        (Stage::Appraised, Role::VillageCadre),
        (Stage::Notice, Role::VillageCadre),
        (Stage::NoticeClosed, Role::TownshipReviewer),
        (Stage::Reviewed, Role::CountyOfficer),
        (Stage::Approved, Role::TownshipReviewer),
    ];
    for (stage, role) in owners {
        let mut walk = walk_to(&w, stage);
        assert!(matches!(
            walk.refuse(
                &w,
                "2026-03-20",
                role,
                Command::Reject { reason: " ".into() }
            ),
            TransitionError::Empty { field: "reason" }
        ));
        walk.step(
            &w,
            "2026-03-20",
            role,
            Command::Reject {
                reason: "家有两名务工人员、一辆货车".into(),
            },
        );
        assert_eq!(walk.case.stage, Stage::Rejected);
        assert_eq!(walk.case.rejection.as_ref().unwrap().0, stage);
        assert!(matches!(
            walk.refuse(&w, "2026-03-21", role, verify()),
            TransitionError::Closed { .. }
        ));
    }
    let walk = walk_to(&w, Stage::Announced);
    assert!(matches!(
        walk.refuse(
            &w,
            "2026-03-20",
            Role::TownshipReviewer,
            Command::Reject { reason: "x".into() }
        ),
        TransitionError::WrongStage { .. }
    ));
}

#[test]
fn a_self_declaration_waits_for_the_township() {
    let w = World::new();
    let mut walk = Walk::open(
        &w,
        opening(CaseKind::Identification, Channel::SelfDeclaration),
    );
    assert_eq!(walk.case.stage, Stage::Declared);
    assert_eq!(
        walk.case.step_due(&w.pack, &w.calendar),
        Some(d("2026-03-04"))
    );
    assert!(matches!(
        walk.refuse(&w, "2026-03-02", Role::VillageCadre, Command::Accept),
        TransitionError::RoleNotAllowed { .. }
    ));
    assert!(matches!(
        walk.refuse(&w, "2026-03-02", Role::TownshipReviewer, verify()),
        TransitionError::WrongStage { .. }
    ));
    walk.step(&w, "2026-03-03", Role::TownshipReviewer, Command::Accept);
    assert_eq!(walk.case.stage, Stage::Clue);
    assert!(walk.case.accepted);
    assert_eq!(
        walk.case.step_due(&w.pack, &w.calendar),
        Some(d("2026-03-05"))
    );
}

#[test]
fn verification_needs_the_commitment_and_the_authorisation() {
    let w = World::new();
    let walk = walk_to(&w, Stage::Clue);
    for (signed, authorised) in [(false, true), (true, false), (false, false)] {
        let cmd = Command::Verify(Verification {
            commitment_signed: signed,
            asset_query_authorised: authorised,
            findings: "x".into(),
        });
        assert_eq!(
            walk.refuse(&w, "2026-03-03", Role::VillageCadre, cmd),
            TransitionError::CommitmentMissing
        );
    }
}

#[test]
fn appraisal_votes_and_majority() {
    let w = World::new();
    let walk = walk_to(&w, Stage::Compared);
    let too_many = Command::Appraise(Appraisal {
        held_on: d("2026-03-05"),
        attendees: 10,
        votes_for: 8,
        votes_against: 2,
        abstentions: 1,
        minutes: "m".into(),
    });
    assert!(matches!(
        walk.refuse(&w, "2026-03-05", Role::VillageCadre, too_many),
        TransitionError::VotesExceedAttendees { votes: 11, .. }
    ));
    assert!(matches!(
        walk.refuse(
            &w,
            "2026-03-05",
            Role::VillageCadre,
            appraise("2026-03-06", 12)
        ),
        TransitionError::InFuture { .. }
    ));
    // Exactly half is not a majority: the case is rejected with the votes on record.
    let mut half = walk_to(&w, Stage::Compared);
    let tie = Command::Appraise(Appraisal {
        held_on: d("2026-03-05"),
        attendees: 14,
        votes_for: 7,
        votes_against: 7,
        abstentions: 0,
        minutes: "m".into(),
    });
    half.step(&w, "2026-03-05", Role::VillageCadre, tie);
    assert_eq!(half.case.stage, Stage::Rejected);
    assert_eq!(half.case.appraisal.as_ref().unwrap().votes_against, 7);
    let mut more = walk_to(&w, Stage::Compared);
    more.step(
        &w,
        "2026-03-05",
        Role::VillageCadre,
        appraise("2026-03-05", 8),
    );
    assert_eq!(more.case.stage, Stage::Appraised);
}

#[test]
fn the_notice_cannot_close_before_its_days_and_objections_must_be_answered() {
    let w = World::new();
    let mut walk = walk_to(&w, Stage::Notice);
    // Posted 5 March for 5 calendar days: 5–9 March; may close from 10 March.
    assert_eq!(
        walk.refuse(&w, "2026-03-09", Role::VillageCadre, Command::CloseNotice),
        TransitionError::NoticeTooShort {
            last_day: d("2026-03-09"),
            earliest: d("2026-03-10"),
        }
    );
    walk.step(
        &w,
        "2026-03-07",
        Role::VillageCadre,
        Command::FileObjection {
            text: "该户有一辆小轿车".into(),
        },
    );
    assert_eq!(
        walk.refuse(&w, "2026-03-10", Role::VillageCadre, Command::CloseNotice),
        TransitionError::ObjectionUnanswered { index: 0 }
    );
    assert_eq!(
        walk.refuse(
            &w,
            "2026-03-10",
            Role::VillageCadre,
            Command::AnswerObjection {
                index: 1,
                answer: "x".into()
            }
        ),
        TransitionError::NoSuchObjection { index: 1 }
    );
    assert!(matches!(
        walk.refuse(
            &w,
            "2026-03-10",
            Role::Helper,
            Command::AnswerObjection {
                index: 0,
                answer: "x".into()
            }
        ),
        TransitionError::RoleNotAllowed { .. }
    ));
    walk.step(
        &w,
        "2026-03-08",
        Role::TownshipReviewer,
        Command::AnswerObjection {
            index: 0,
            answer: "经核实车辆已于 2024 年报废".into(),
        },
    );
    assert_eq!(
        walk.refuse(
            &w,
            "2026-03-10",
            Role::VillageCadre,
            Command::AnswerObjection {
                index: 0,
                answer: "again".into()
            }
        ),
        TransitionError::AlreadyAnswered { index: 0 }
    );
    walk.step(&w, "2026-03-10", Role::VillageCadre, Command::CloseNotice);
    assert_eq!(walk.case.stage, Stage::NoticeClosed);
}

#[test]
fn a_working_day_notice_skips_the_holiday() {
    let mut w = World::new();
    w.pack.notice_working_days = true;
    let mut walk = walk_to(&w, Stage::Appraised);
    // Appraised on 5 March; a notice from Wednesday 30 September would be in the future, so use
    // the spring: Friday 3 April 2026, 5 working days: 3, 7, 8, 9, 10 April (Qingming 4–6 April).
    walk.case.stage_since = d("2026-03-05");
    walk.step(
        &w,
        "2026-04-03",
        Role::VillageCadre,
        Command::PostNotice {
            start: d("2026-04-03"),
        },
    );
    assert_eq!(walk.case.notice.as_ref().unwrap().last_day, d("2026-04-10"));
    assert!(matches!(
        walk.refuse(&w, "2026-04-10", Role::VillageCadre, Command::CloseNotice),
        TransitionError::NoticeTooShort { .. }
    ));
    walk.step(&w, "2026-04-11", Role::VillageCadre, Command::CloseNotice);
}

#[test]
fn the_notice_may_not_start_before_the_appraisal_or_in_the_future() {
    let w = World::new();
    let walk = walk_to(&w, Stage::Appraised);
    assert!(matches!(
        walk.refuse(
            &w,
            "2026-03-06",
            Role::VillageCadre,
            Command::PostNotice {
                start: d("2026-03-04")
            }
        ),
        TransitionError::TooEarly { .. }
    ));
    assert!(matches!(
        walk.refuse(
            &w,
            "2026-03-06",
            Role::VillageCadre,
            Command::PostNotice {
                start: d("2026-03-07")
            }
        ),
        TransitionError::InFuture { .. }
    ));
}

#[test]
fn county_approval_checks_the_codebooks() {
    let w = World::new();
    let walk = walk_to(&w, Stage::Reviewed);
    let approve = |category: &str, risks: &[&str]| {
        Command::Approve(Decision::Identify {
            category: category.into(),
            risks: risks.iter().map(|r| (*r).to_owned()).collect(),
        })
    };
    let refuse = |cmd| walk.refuse(&w, "2026-03-12", Role::CountyOfficer, cmd);
    assert_eq!(
        refuse(approve("poor", &["01"])),
        TransitionError::UnknownCategory("poor".into())
    );
    assert_eq!(
        refuse(approve("marginal", &[])),
        TransitionError::RiskCount(0)
    );
    assert_eq!(
        refuse(approve("marginal", &["01", "02", "05", "09", "10", "11"])),
        TransitionError::RiskCount(6)
    );
    assert_eq!(
        refuse(approve("marginal", &["01", "08"])),
        TransitionError::UnknownRisk("08".into())
    );
    assert_eq!(
        refuse(approve("marginal", &["01", "01"])),
        TransitionError::DuplicateRisk("01".into())
    );
    assert_eq!(
        refuse(Command::Approve(Decision::Eliminate {
            kind: EliminationType::Assistance
        })),
        TransitionError::WrongDecision {
            kind: "identification"
        }
    );
    let five = approve("marginal", &["01", "02", "0201", "05", "11"]);
    assert!(apply(&walk.case, &five, &w.ctx("2026-03-12", Role::CountyOfficer)).is_ok());
}

#[test]
fn clues_are_checked_and_the_green_channel_is_for_disasters_and_accidents() {
    let w = World::new();
    let ctx = w.ctx("2026-03-02", Role::VillageCadre);
    let mut o = opening(CaseKind::Identification, Channel::CadreVisit);
    o.green_channel = true;
    assert_eq!(
        open(o.clone(), &ctx),
        Err(TransitionError::GreenChannelNotAllowed)
    );
    o.risk_hint = Some("0201".into());
    let Event::Opened(opened) = open(o.clone(), &ctx).unwrap() else {
        panic!()
    };
    let case = Case::fold([(&Event::Opened(opened), d("2026-03-02"))]).unwrap();
    assert!(case.assistance_first());
    o.risk_hint = Some("05".into());
    assert!(open(o.clone(), &ctx).is_ok());
    o.risk_hint = Some("77".into());
    assert_eq!(
        open(o.clone(), &ctx),
        Err(TransitionError::UnknownRisk("77".into()))
    );
    let mut future = opening(CaseKind::Identification, Channel::CadreVisit);
    future.clue_date = d("2026-03-03");
    assert!(matches!(
        open(future, &ctx),
        Err(TransitionError::InFuture { .. })
    ));
    let mut empty = opening(CaseKind::Identification, Channel::CadreVisit);
    empty.summary = "  ".into();
    assert_eq!(
        open(empty, &ctx),
        Err(TransitionError::Empty { field: "summary" })
    );
    let helper = w.ctx("2026-03-02", Role::Helper);
    assert!(matches!(
        open(
            opening(CaseKind::Identification, Channel::CadreVisit),
            &helper
        ),
        Err(TransitionError::RoleNotAllowed { .. })
    ));
    assert!(matches!(
        Case::fold([(&Event::Accepted, d("2026-03-02"))]),
        Err(TransitionError::NotAnOpening("accepted"))
    ));
}

#[test]
fn time_limits_give_due_dates_and_overdue() {
    let w = World::new();
    let walk = walk_to(&w, Stage::Clue);
    // Clue on Monday 2 March: verification within 2 calendar days, whole within 15.
    assert_eq!(
        walk.case.step_due(&w.pack, &w.calendar),
        Some(d("2026-03-04"))
    );
    assert_eq!(walk.case.whole_due(&w.pack), Some(d("2026-03-17")));
    assert!(!walk.case.overdue(d("2026-03-04"), &w.pack, &w.calendar));
    assert!(walk.case.overdue(d("2026-03-05"), &w.pack, &w.calendar));
    // Township review is 2 working days from the notice's close on Tuesday 10 March: Thursday 12.
    let closed = walk_to(&w, Stage::NoticeClosed);
    assert_eq!(
        closed.case.step_due(&w.pack, &w.calendar),
        Some(d("2026-03-12"))
    );
    // The whole limit catches a case whose every step was on time but slow overall.
    assert!(closed.case.overdue(d("2026-03-18"), &w.pack, &w.calendar));
    let done = walk_to(&w, Stage::Entered);
    assert!(!done.case.overdue(d("2027-01-01"), &w.pack, &w.calendar));
}

fn ok_conditions() -> Vec<ConditionResult> {
    elimination::CONDITIONS
        .iter()
        .map(|code| ConditionResult {
            code,
            passed: true,
            detail_zh: String::new(),
            detail_en: String::new(),
        })
        .collect()
}

#[test]
fn an_elimination_needs_every_condition_and_skips_the_comparison() {
    let w = World::new();
    let ctx = w.ctx("2026-03-02", Role::VillageCadre);
    let mut o = opening(CaseKind::Elimination, Channel::CadreVisit);
    assert!(matches!(
        open(o.clone(), &ctx),
        Err(TransitionError::NotEligible(_))
    ));
    o.conditions = ok_conditions();
    o.conditions[3].passed = false;
    assert_eq!(
        open(o.clone(), &ctx),
        Err(TransitionError::NotEligible("income_stable".into()))
    );
    o.conditions = ok_conditions();
    let mut walk = Walk::open(&w, o);
    let no_commitment = Command::Verify(Verification {
        commitment_signed: false,
        asset_query_authorised: false,
        findings: "收入稳定".into(),
    });
    walk.step(&w, "2026-03-03", Role::VillageCadre, no_commitment);
    assert_eq!(walk.case.stage, Stage::Compared);
    walk.step(
        &w,
        "2026-03-04",
        Role::VillageCadre,
        appraise("2026-03-04", 10),
    );
    walk.step(
        &w,
        "2026-03-04",
        Role::VillageCadre,
        Command::PostNotice {
            start: d("2026-03-04"),
        },
    );
    walk.step(&w, "2026-03-09", Role::VillageCadre, Command::CloseNotice);
    walk.step(
        &w,
        "2026-03-10",
        Role::TownshipReviewer,
        Command::Review {
            opinion: "验收合格".into(),
        },
    );
    assert_eq!(
        walk.refuse(&w, "2026-03-11", Role::CountyOfficer, identify()),
        TransitionError::WrongDecision {
            kind: "elimination"
        }
    );
    walk.step(
        &w,
        "2026-03-11",
        Role::CountyOfficer,
        Command::Approve(Decision::Eliminate {
            kind: EliminationType::Assistance,
        }),
    );
    assert_eq!(walk.case.stage, Stage::Approved);
}

#[test]
fn status_follows_identification_elimination_and_rollback() {
    let w = World::new();
    let identified = walk_to(&w, Stage::Entered).case;
    let mut elim = opening(CaseKind::Elimination, Channel::CadreVisit);
    elim.conditions = ok_conditions();
    let mut e = Walk::open(&w, elim).case;
    e.stage = Stage::Reviewed;
    let ev = apply(
        &e,
        &Command::Approve(Decision::Eliminate {
            kind: EliminationType::Natural,
        }),
        &w.ctx("2026-10-01", Role::CountyOfficer),
    )
    .unwrap();
    e.record(&ev, d("2026-10-01"));
    let status = monitoring_status(&[identified.clone(), e.clone()]);
    assert_eq!(
        status,
        MonitoringStatus::Eliminated {
            identified_on: d("2026-03-12"),
            eliminated_on: d("2026-10-01"),
            kind: EliminationType::Natural,
        }
    );
    let mut relapse = opening(CaseKind::Identification, Channel::DepartmentWarning);
    relapse.rollback = true;
    let r = Walk::open(&w, relapse).case;
    assert_eq!(
        monitoring_status(&[identified.clone(), e.clone(), r.clone()]).code(),
        "rolled_back"
    );
    // A rejected identification leaves the household unmonitored.
    let mut rejected = walk_to(&w, Stage::Clue);
    rejected.step(
        &w,
        "2026-03-03",
        Role::VillageCadre,
        Command::Reject { reason: "x".into() },
    );
    assert_eq!(
        monitoring_status(&[rejected.case]),
        MonitoringStatus::NotMonitored
    );
}

// ---- elimination conditions at their boundaries ----

fn visit(date: &str, all_ok: bool) -> VisitEvidence {
    VisitEvidence {
        date: d(date),
        income_above_line: Some(all_ok),
        schooling_ok: Some(true),
        health_ok: Some(true),
        housing_ok: Some(true),
        water_ok: Some(true),
    }
}

fn facts() -> EliminationFacts {
    EliminationFacts {
        identified_on: Some(d("2025-02-01")),
        risks: vec!["01".into()],
        measures: vec![MeasureFact {
            category: MeasureCategory::Industry,
            start: d("2025-03-01"),
            end: None,
            amount: Money::from_yuan(3000),
        }],
        income: vec![],
        visits: [
            "2025-02-10",
            "2025-03-10",
            "2025-04-10",
            "2025-05-10",
            "2025-06-10",
            "2025-07-10",
        ]
        .iter()
        .map(|day| visit(day, true))
        .collect(),
        labour: vec![Labour::Ordinary, Labour::None],
        able_and_willing_to_work: true,
    }
}

fn check(f: &EliminationFacts, today: &str) -> Vec<(&'static str, bool)> {
    check_elimination(f, &pack(), d(today))
        .into_iter()
        .map(|c| (c.code, c.passed))
        .collect()
}

fn passed(f: &EliminationFacts, today: &str, code: &str) -> bool {
    check(f, today)
        .into_iter()
        .find(|(c, _)| *c == code)
        .unwrap()
        .1
}

#[test]
fn a_household_meeting_every_condition_passes_them_all() {
    let results = check_elimination(&facts(), &pack(), d("2025-08-01"));
    assert_eq!(results.len(), 6);
    for r in &results {
        assert!(r.passed, "{}: {}", r.code, r.detail_en);
        assert!(!r.detail_zh.is_empty());
    }
}

#[test]
fn identified_five_months_thirty_days_ago_fails_and_six_months_passes() {
    let f = facts();
    // 1 February → 31 July is 5 months 30 days: not yet.
    assert!(!passed(&f, "2025-07-31", "identified_months"));
    // 1 February → 1 August is 6 months.
    assert!(passed(&f, "2025-08-01", "identified_months"));
    assert_eq!(months_between(d("2025-02-01"), d("2025-07-31")), 5);
    assert_eq!(months_between(d("2025-02-28"), d("2025-08-01")), 6);
    let detail = &check_elimination(&f, &pack(), d("2025-07-31"))[0];
    assert_eq!(
        detail.detail_zh,
        "识别月份 202502 至 202507 相隔 5 个月，须满 6 个月"
    );
    let mut none = facts();
    none.identified_on = None;
    assert!(!passed(&none, "2025-08-01", "identified_months"));
}

#[test]
fn at_least_one_measure_must_be_in_place() {
    let mut f = facts();
    f.measures[0].start = d("2025-08-02");
    assert!(!passed(&f, "2025-08-01", "measures_in_place"));
    f.measures[0].start = d("2025-08-01");
    assert!(passed(&f, "2025-08-01", "measures_in_place"));
    f.measures.clear();
    assert!(!passed(&f, "2025-08-01", "measures_in_place"));
}

#[test]
fn measures_must_match_the_risks() {
    let mut f = facts();
    f.risks.push("11".into());
    assert!(!passed(&f, "2025-08-01", "measures_match_risks"));
    f.measures.push(MeasureFact {
        category: MeasureCategory::Water,
        start: d("2025-04-01"),
        end: Some(d("2025-05-01")),
        amount: Money::ZERO,
    });
    assert!(passed(&f, "2025-08-01", "measures_match_risks"));
}

#[test]
fn income_must_be_covered_for_each_of_the_months() {
    // Today 1 August 2025: the months are February to July.
    let f = facts();
    assert!(passed(&f, "2025-08-01", "income_stable"));
    // Without the February visit, February is not covered.
    let mut gap = facts();
    gap.visits.remove(0);
    assert!(!passed(&gap, "2025-08-01", "income_stable"));
    let detail = check_elimination(&gap, &pack(), d("2025-08-01"))
        .into_iter()
        .find(|c| c.code == "income_stable")
        .unwrap();
    assert!(detail.detail_en.contains("202502"), "{}", detail.detail_en);
    // A finding below the line in any month fails.
    let mut low = facts();
    low.visits.push(visit("2025-05-20", false));
    assert!(!passed(&low, "2025-08-01", "income_stable"));
    // An income record covering the whole period counts, if it is above the line.
    let mut record = facts();
    record.visits.retain(|v| v.date > d("2025-02-28"));
    record.income.push(IncomeEvidence {
        period_start: d("2025-01-01"),
        period_end: d("2025-12-31"),
        per_capita_net: Money::from_yuan(8_001),
    });
    assert!(passed(&record, "2025-08-01", "income_stable"));
    record.income[0].per_capita_net = Money::from_yuan(8_000);
    assert!(!passed(&record, "2025-08-01", "income_stable"));
}

#[test]
fn an_unsolved_guarantee_or_water_problem_fails() {
    let mut f = facts();
    f.visits.push(VisitEvidence {
        date: d("2025-07-20"),
        income_above_line: None,
        schooling_ok: None,
        health_ok: None,
        housing_ok: None,
        water_ok: Some(false),
    });
    assert!(!passed(&f, "2025-08-01", "guarantees_and_water"));
    // A later visit finding the water solved clears it.
    f.visits.push(VisitEvidence {
        date: d("2025-07-30"),
        income_above_line: None,
        schooling_ok: None,
        health_ok: None,
        housing_ok: None,
        water_ok: Some(true),
    });
    assert!(passed(&f, "2025-08-01", "guarantees_and_water"));
    let mut unchecked = facts();
    for v in &mut unchecked.visits {
        v.housing_ok = None;
    }
    assert!(!passed(&unchecked, "2025-08-01", "guarantees_and_water"));
}

#[test]
fn a_household_with_no_labour_at_all_is_not_eliminated() {
    let mut f = facts();
    f.able_and_willing_to_work = false;
    f.labour = vec![Labour::Weak, Labour::None];
    assert!(passed(&f, "2025-08-01", "has_labour"));
    f.labour = vec![Labour::Lost, Labour::None];
    assert!(!passed(&f, "2025-08-01", "has_labour"));
    let mut p = pack();
    p.elimination.no_labour_household_may_eliminate = true;
    let r = check_elimination(&f, &p, d("2025-08-01"));
    assert!(r.iter().find(|c| c.code == "has_labour").unwrap().passed);
}
