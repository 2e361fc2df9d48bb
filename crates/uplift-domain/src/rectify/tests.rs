//! Every transition, legal and illegal, by state, role and region.

use super::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

fn cat(code: &str) -> Category {
    Category {
        code: code.into(),
        zh: code.into(),
        en: code.into(),
    }
}

fn rules() -> RectificationRules {
    RectificationRules {
        areas: vec![
            cat("responsibility"),
            cat("policy"),
            cat("work"),
            cat("results"),
        ],
        sources: vec![cat("assessment"), cat("inspection"), cat("data_quality")],
        immediate_max_days: 30,
        stall_days: 30,
    }
}

const TODAY: &str = "2026-06-10";
const COUNTY: &str = "431026";
const TOWNSHIP: &str = "431026100";
const VILLAGE: &str = "431026100201";

fn facts(fix: FixKind) -> ProblemFacts {
    ProblemFacts {
        source: "assessment".into(),
        source_ref: "2025 考核评估反馈".into(),
        area: "policy".into(),
        title: "监测对象识别不及时".into(),
        description: "部分农户风险未及时纳入监测".into(),
        found_on: d("2026-06-01"),
        region: code(COUNTY),
        affected_regions: vec![code(TOWNSHIP)],
        households: vec!["4310261002010001".into()],
        fix_kind: fix,
    }
}

fn assignment(deadline: &str) -> Assignment {
    Assignment {
        responsible_region: code(TOWNSHIP),
        lead_unit: "乡镇党委".into(),
        responsible_units: vec!["乡村振兴办".into()],
        responsible_person: "李书记".into(),
        measures: "逐户排查".into(),
        deadline: d(deadline),
    }
}

fn evidence() -> Evidence {
    Evidence {
        file_name: "photo.jpg".into(),
        content_type: "image/jpeg".into(),
        size: 1000,
        sha256: "00".repeat(32),
    }
}

fn ctx<'a>(rules: &'a RectificationRules, actor: Option<(Role, &str)>) -> Ctx<'a> {
    Ctx {
        today: d(TODAY),
        actor: actor.map(|(r, c)| (r, code(c))),
        rules,
    }
}

/// A problem driven to `state` by the machine.
fn problem_in(state: ProblemState) -> Problem {
    let r = rules();
    let m = ctx(&r, None);
    let mut events = vec![record(facts(FixKind::LongTerm), &m).unwrap()];
    let mut p = Problem::fold(events.iter().map(|e| (e, d(TODAY)))).unwrap();
    let mut step = |p: &mut Problem, c: Command| {
        let e = apply(p, c, &m).unwrap();
        p.record(&e, d(TODAY));
        events.push(e);
    };
    if state == ProblemState::Recorded {
        return p;
    }
    step(&mut p, Command::Assign(assignment("2026-09-30")));
    step(
        &mut p,
        Command::Report(Progress {
            text: "完成一半".into(),
            evidence: vec![evidence()],
        }),
    );
    if state == ProblemState::Assigned {
        return p;
    }
    step(
        &mut p,
        Command::Submit {
            summary: "已整改".into(),
        },
    );
    if state == ProblemState::Submitted {
        return p;
    }
    step(
        &mut p,
        Command::SignOff {
            opinion: "同意销号".into(),
        },
    );
    assert_eq!(p.state, ProblemState::Closed);
    p
}

fn command(name: &str) -> Command {
    match name {
        "assign" => Command::Assign(assignment("2026-09-30")),
        "report" => Command::Report(Progress {
            text: "进展".into(),
            evidence: vec![evidence()],
        }),
        "submit" => Command::Submit {
            summary: "已整改".into(),
        },
        "sign_off" => Command::SignOff {
            opinion: "同意".into(),
        },
        "reject_sign_off" => Command::RejectSignOff {
            reason: "证据不足".into(),
        },
        "reopen" => Command::Reopen {
            reason: "问题反弹".into(),
        },
        other => panic!("unknown command {other}"),
    }
}

/// The state after each legal command; `None` where the command is illegal in that state.
fn expected(state: ProblemState, command: &str) -> Option<ProblemState> {
    use ProblemState::*;
    match (state, command) {
        (Recorded, "assign") => Some(Assigned),
        (Assigned, "assign" | "report") => Some(Assigned),
        (Assigned, "submit") => Some(Submitted),
        (Submitted, "sign_off") => Some(Closed),
        (Submitted, "reject_sign_off") => Some(Assigned),
        (Closed, "reopen") => Some(Assigned),
        _ => None,
    }
}

#[test]
fn every_state_and_command() {
    let r = rules();
    // A county officer for assign/report/submit, a county officer (the level above the township)
    // for sign-off, rejection and reopening.
    let actor_for = |name: &str| match name {
        "assign" | "report" | "submit" => (Role::CountyOfficer, COUNTY),
        _ => (Role::CountyOfficer, COUNTY),
    };
    let mut legal = 0;
    let mut illegal = 0;
    for state in ProblemState::ALL {
        for name in COMMANDS {
            let p = problem_in(*state);
            let c = ctx(&r, Some(actor_for(name)));
            let got = apply(&p, command(name), &c);
            match expected(*state, name) {
                Some(next) => {
                    let event = got.unwrap_or_else(|e| panic!("{state:?} {name}: {e}"));
                    let mut p2 = p.clone();
                    p2.record(&event, d(TODAY));
                    assert_eq!(p2.state, next, "{state:?} {name}");
                    assert_eq!(p2.version, p.version + 1);
                    legal += 1;
                }
                None => {
                    assert_eq!(
                        got,
                        Err(RectifyError::WrongState {
                            command: name,
                            state: state.code()
                        }),
                        "{state:?} {name}"
                    );
                    illegal += 1;
                }
            }
        }
    }
    assert_eq!((legal, illegal), (7, 17));
}

#[test]
fn roles_that_may_not_take_each_command() {
    let r = rules();
    let cases: &[(ProblemState, &str, Role, &str)] = &[
        (
            ProblemState::Recorded,
            "assign",
            Role::VillageCadre,
            VILLAGE,
        ),
        (ProblemState::Recorded, "assign", Role::Auditor, COUNTY),
        (ProblemState::Recorded, "assign", Role::CityViewer, "4310"),
        (ProblemState::Assigned, "report", Role::Helper, TOWNSHIP),
        (ProblemState::Assigned, "report", Role::Auditor, TOWNSHIP),
        (ProblemState::Assigned, "submit", Role::CityViewer, "4310"),
        (
            ProblemState::Submitted,
            "sign_off",
            Role::VillageCadre,
            VILLAGE,
        ),
        (ProblemState::Submitted, "sign_off", Role::Auditor, COUNTY),
        (
            ProblemState::Submitted,
            "reject_sign_off",
            Role::Helper,
            COUNTY,
        ),
        (
            ProblemState::Closed,
            "reopen",
            Role::DepartmentClerk,
            COUNTY,
        ),
    ];
    for (state, name, role, region) in cases {
        let p = problem_in(*state);
        let got = apply(&p, command(name), &ctx(&r, Some((*role, region))));
        assert_eq!(
            got,
            Err(RectifyError::RoleNotAllowed {
                role: role.code(),
                command: name
            }),
            "{role:?} {name}"
        );
    }
}

#[test]
fn regions_that_may_not_take_each_command() {
    let r = rules();
    let other_township = "431026101";
    let other_county = "431021";
    // Assign and report from another township or county: refused for the region.
    for (state, name, role, region) in [
        (
            ProblemState::Recorded,
            "assign",
            Role::CountyOfficer,
            other_county,
        ),
        (
            ProblemState::Recorded,
            "assign",
            Role::TownshipReviewer,
            TOWNSHIP,
        ),
        (
            ProblemState::Assigned,
            "report",
            Role::TownshipReviewer,
            other_township,
        ),
        (
            ProblemState::Assigned,
            "submit",
            Role::CountyOfficer,
            other_county,
        ),
    ] {
        let p = problem_in(state);
        let got = apply(&p, command(name), &ctx(&r, Some((role, region))));
        assert!(
            matches!(got, Err(RectifyError::RegionNotAllowed { .. })),
            "{role:?}@{region} {name}: {got:?}"
        );
    }
    // Sign-off of a township's problem: only the county above it; not the township itself, not
    // another county, not the city.
    for name in ["sign_off", "reject_sign_off"] {
        for (role, region) in [
            (Role::TownshipReviewer, TOWNSHIP),
            (Role::CountyOfficer, other_county),
            (Role::CityViewer, "4310"),
        ] {
            let p = problem_in(ProblemState::Submitted);
            let got = apply(&p, command(name), &ctx(&r, Some((role, region))));
            assert!(
                matches!(got, Err(RectifyError::NotLevelAbove { .. })),
                "{role:?}@{region} {name}: {got:?}"
            );
        }
    }
    let p = problem_in(ProblemState::Closed);
    let got = apply(
        &p,
        command("reopen"),
        &ctx(&r, Some((Role::TownshipReviewer, TOWNSHIP))),
    );
    assert!(matches!(got, Err(RectifyError::NotLevelAbove { .. })));
}

#[test]
fn the_right_role_and_region_at_each_step() {
    let r = rules();
    let county = ctx(&r, Some((Role::CountyOfficer, COUNTY)));
    let township = ctx(&r, Some((Role::TownshipReviewer, TOWNSHIP)));
    let village = ctx(&r, Some((Role::VillageCadre, VILLAGE)));
    let e = record(facts(FixKind::LongTerm), &county).unwrap();
    let mut p = Problem::fold([(&e, d(TODAY))]).unwrap();
    let step = |p: &mut Problem, c: Command, x: &Ctx<'_>| {
        let e = apply(p, c, x).unwrap();
        p.record(&e, d(TODAY));
    };
    step(&mut p, command("assign"), &county);
    step(&mut p, command("report"), &township);
    // A village cadre of the township is not responsible for a township's problem.
    assert!(apply(&p, command("report"), &village).is_err());
    step(&mut p, command("submit"), &township);
    step(&mut p, command("reject_sign_off"), &county);
    assert_eq!((p.state, p.rejections), (ProblemState::Assigned, 1));
    step(&mut p, command("submit"), &township);
    step(&mut p, command("sign_off"), &county);
    assert_eq!(p.closed_on, Some(d(TODAY)));
    step(&mut p, command("reopen"), &county);
    assert_eq!(
        (p.state, p.reopenings, p.evidence_since),
        (ProblemState::Assigned, 1, 0)
    );
    // After reopening, new evidence is needed before another submission.
    assert_eq!(
        apply(&p, command("submit"), &township),
        Err(RectifyError::NoEvidence)
    );
}

#[test]
fn a_village_problem_is_signed_off_by_its_township() {
    let r = rules();
    let mut p = problem_in(ProblemState::Recorded);
    let mut a = assignment("2026-09-30");
    a.responsible_region = code(VILLAGE);
    let e = apply(&p, Command::Assign(a), &ctx(&r, None)).unwrap();
    p.record(&e, d(TODAY));
    let village = ctx(&r, Some((Role::VillageCadre, VILLAGE)));
    for c in ["report", "submit"] {
        let e = apply(&p, command(c), &village).unwrap();
        p.record(&e, d(TODAY));
    }
    assert!(
        apply(
            &p,
            command("sign_off"),
            &ctx(&r, Some((Role::CountyOfficer, COUNTY)))
        )
        .is_err()
    );
    assert!(
        apply(
            &p,
            command("sign_off"),
            &ctx(&r, Some((Role::TownshipReviewer, TOWNSHIP)))
        )
        .is_ok()
    );
}

#[test]
fn field_checks() {
    let r = rules();
    let m = ctx(&r, None);
    let mut f = facts(FixKind::LongTerm);
    f.area = "weather".into();
    assert_eq!(
        record(f, &m),
        Err(RectifyError::UnknownArea("weather".into()))
    );
    let mut f = facts(FixKind::LongTerm);
    f.source = "rumour".into();
    assert_eq!(
        record(f, &m),
        Err(RectifyError::UnknownSource("rumour".into()))
    );
    let mut f = facts(FixKind::LongTerm);
    f.title = " ".into();
    assert_eq!(record(f, &m), Err(RectifyError::Empty { field: "title" }));
    let mut f = facts(FixKind::LongTerm);
    f.found_on = d("2026-06-11");
    assert!(matches!(record(f, &m), Err(RectifyError::InFuture { .. })));
    let mut f = facts(FixKind::LongTerm);
    f.affected_regions = vec![code("431021100")];
    assert!(matches!(
        record(f, &m),
        Err(RectifyError::OutsideRegion { .. })
    ));
    let mut f = facts(FixKind::LongTerm);
    f.affected_regions.clear();
    assert_eq!(
        record(f, &m),
        Err(RectifyError::Empty {
            field: "affected_regions"
        })
    );

    let p = problem_in(ProblemState::Recorded);
    assert!(matches!(
        apply(&p, Command::Assign(assignment("2026-06-09")), &m),
        Err(RectifyError::DeadlinePassed { .. })
    ));
    let mut a = assignment("2026-09-30");
    a.responsible_region = code("431021100");
    assert!(matches!(
        apply(&p, Command::Assign(a), &m),
        Err(RectifyError::OutsideRegion { .. })
    ));

    // A fix on the spot is due within the pack's days: the boundary day passes, the next fails.
    let e = record(facts(FixKind::Immediate), &m).unwrap();
    let p = Problem::fold([(&e, d(TODAY))]).unwrap();
    assert!(apply(&p, Command::Assign(assignment("2026-07-10")), &m).is_ok());
    assert!(matches!(
        apply(&p, Command::Assign(assignment("2026-07-11")), &m),
        Err(RectifyError::ImmediateTooLate { .. })
    ));

    let p = problem_in(ProblemState::Assigned);
    let mut e = evidence();
    e.size = 0;
    assert!(matches!(
        apply(
            &p,
            Command::Report(Progress {
                text: "x".into(),
                evidence: vec![e]
            }),
            &m
        ),
        Err(RectifyError::BadEvidence { .. })
    ));
    // No evidence yet since assignment: submission refused.
    let e = record(facts(FixKind::LongTerm), &m).unwrap();
    let mut p = Problem::fold([(&e, d(TODAY))]).unwrap();
    let a = apply(&p, command("assign"), &m).unwrap();
    p.record(&a, d(TODAY));
    assert_eq!(
        apply(&p, command("submit"), &m),
        Err(RectifyError::NoEvidence)
    );
}

#[test]
fn overdue_and_stalled() {
    let r = rules();
    let p = problem_in(ProblemState::Assigned);
    assert!(!p.overdue(d("2026-09-30")));
    assert!(p.overdue(d("2026-10-01")));
    assert!(!p.stalled(d("2026-07-10"), &r));
    assert!(p.stalled(d("2026-07-11"), &r));
    let p = problem_in(ProblemState::Submitted);
    assert!(!p.overdue(d("2026-10-01")));
    assert!(!p.stalled(d("2027-01-01"), &r));
    let p = problem_in(ProblemState::Closed);
    assert!(!p.overdue(d("2027-01-01")));
}

#[test]
fn next_commands_follow_role() {
    let p = problem_in(ProblemState::Assigned);
    assert_eq!(p.next_commands(None), vec!["assign", "report", "submit"]);
    assert_eq!(
        p.next_commands(Some(Role::VillageCadre)),
        vec!["report", "submit"]
    );
    assert!(p.next_commands(Some(Role::Auditor)).is_empty());
    let p = problem_in(ProblemState::Submitted);
    assert_eq!(
        p.next_commands(Some(Role::CountyOfficer)),
        vec!["sign_off", "reject_sign_off"]
    );
}

#[test]
fn a_fold_begins_with_the_record() {
    let e = Event::Submitted {
        summary: "x".into(),
    };
    assert_eq!(
        Problem::fold([(&e, d(TODAY))]),
        Err(RectifyError::NotARecord("submitted"))
    );
}
