//! Unit tests of `model`, beside it.
use super::*;

fn project() -> ProjectDoc {
    ProjectDoc {
        name: "老旧小区改造".into(),
        content: "改造 3 个小区".into(),
        lead_unit: "区住建局".into(),
        co_units: vec!["石拐镇".into()],
        investment_yuan: 12_800_000,
        funding_source: "区级财政".into(),
        deadline: Date::parse("2027-10-31").unwrap(),
        year_goals: vec![],
        category: "住房".into(),
        study: None,
        vice_review: None,
    }
}

#[test]
fn every_missing_element_of_article_ten_is_named() {
    assert!(project().problems().is_empty());
    let mut p = project();
    p.name = " ".into();
    p.funding_source.clear();
    p.investment_yuan = 0;
    p.year_goals = vec![YearGoal {
        year: 2027,
        goal: "一期".into(),
    }];
    let fields: Vec<_> = p.problems().iter().map(|x| x.field).collect();
    assert_eq!(
        fields,
        vec!["name", "funding_source", "investment_yuan", "year_goals"]
    );
    assert_eq!(project().sign_off_missing().len(), 2);
}

#[test]
fn suggestions_need_a_place_a_category_and_text() {
    let s = SuggestionInput {
        channel: Channel::Directed,
        source: String::new(),
        place: Place {
            town: "石拐镇".into(),
            village: String::new(),
        },
        category: "交通".into(),
        title: "修路".into(),
        text: "".into(),
        contact: String::new(),
    };
    let fields: Vec<_> = s.problems().iter().map(|x| x.field).collect();
    assert_eq!(fields, vec!["text", "source"]);
}

#[test]
fn meetings_go_in_order_and_all_three_precede_the_vote() {
    let m = |kind, approved| Meeting {
        kind,
        date: Date::parse("2026-12-01").unwrap(),
        approved,
        decision: "x".into(),
        notes: String::new(),
        attachments: vec![],
    };
    assert_eq!(meeting_allowed(&[], MeetingKind::Directors), Ok(()));
    assert!(meeting_allowed(&[], MeetingKind::Executive).is_err());
    let held = vec![m(MeetingKind::Directors, false)];
    assert!(
        meeting_allowed(&held, MeetingKind::Executive).is_err(),
        "sent back, not approved"
    );
    assert_eq!(
        meeting_allowed(&held, MeetingKind::Directors),
        Ok(()),
        "held again after revision"
    );
    let held = vec![
        m(MeetingKind::Directors, true),
        m(MeetingKind::Executive, true),
    ];
    assert!(ready_for_vote(&held).is_err());
    assert_eq!(meeting_allowed(&held, MeetingKind::PartyStanding), Ok(()));
    let mut all = held;
    all.push(m(MeetingKind::PartyStanding, true));
    assert_eq!(ready_for_vote(&all), Ok(()));
    assert!(meeting_allowed(&all, MeetingKind::Directors).is_err());
}

#[test]
fn a_duplicate_of_a_major_project_names_it() {
    let majors = vec![
        "城区集中供热热源改造工程".to_string(),
        "包茂高速连接线".to_string(),
    ];
    assert_eq!(
        resembles("城区供热热源改造", &majors),
        Some("城区集中供热热源改造工程")
    );
    assert_eq!(resembles("学校食堂提升", &majors), None);
    assert!(check_exclusion(
        Exclusion::DuplicatesMajorProject,
        "与包茂高速连接线重复",
        &majors
    )
    .is_ok());
    assert!(check_exclusion(Exclusion::DuplicatesMajorProject, "重复", &majors).is_err());
    assert!(check_exclusion(Exclusion::DuplicatesMajorProject, "x", &[]).is_err());
    assert!(check_exclusion(Exclusion::PolicyOrRoutine, "", &[]).is_ok());
}

#[test]
fn revisions_diff_line_by_line() {
    let a = project();
    let mut b = a.clone();
    b.investment_yuan = 13_000_000;
    let d = diff(&a.lines(), &b.lines());
    assert_eq!(d, vec!["− 投资（元）：12800000", "+ 投资（元）：13000000"]);
}
