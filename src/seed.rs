//! 示范年度: the demo year 2027 of 石拐区 played through the store the way
//! people would — suggestions from every channel, the list, declarations,
//! review with a merge and exclusions, opinions and a revision, the three
//! meetings (one sending the list back), and the candidate list handed to
//! the vote. Every step is an event in the audit chain, dated as it happened.

use crate::core::record::{Date, ElectionId, Timestamp};
use crate::demo;
use crate::store::{Store, StoreError, UpTx};
use crate::upstream::model::*;
use crate::upstream::stage::Action;

fn at(date: &str) -> Result<Timestamp, StoreError> {
    Timestamp::parse(&format!("{date}T10:00:00+08:00")).map_err(StoreError::Corrupt)
}

fn date(d: &str) -> Result<Date, StoreError> {
    Date::parse(d).map_err(StoreError::Corrupt)
}

async fn step<T: Send + 'static>(
    store: &Store,
    actor: &str,
    day: &str,
    f: impl FnOnce(&mut UpTx) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    store.upstream(actor.to_string(), at(day)?, f).await
}

fn suggestion(
    channel: Channel,
    source: &str,
    k: usize,
    ask: usize,
    variant: usize,
) -> SuggestionInput {
    let (town, villages) = demo::PLACES[k % demo::PLACES.len()];
    let (category, texts) = demo::ASKS[ask];
    let text = texts[variant % 3];
    SuggestionInput {
        channel,
        source: source.to_string(),
        place: Place {
            town: town.into(),
            village: villages[(k / 5) % 3].into(),
        },
        category: category.into(),
        title: text.chars().take(14).collect(),
        text: text.into(),
        contact: String::new(),
    }
}

fn doc(i: usize, name: &str, content: &str, yuan: u64) -> Result<ProjectDoc, StoreError> {
    let (_, unit, _, _) = demo::project_rows()[i];
    Ok(ProjectDoc {
        name: name.into(),
        content: content.into(),
        lead_unit: unit.into(),
        co_units: vec!["相关苏木镇、街道".into()],
        investment_yuan: yuan,
        funding_source: demo::funding_source(i).into(),
        deadline: date(if i.is_multiple_of(3) {
            "2027-10-31"
        } else {
            "2027-12-31"
        })?,
        year_goals: vec![],
        category: demo::ASKS[i].0.into(),
        study: Some(Study {
            date: date("2026-09-10")?,
            minutes: format!("{unit}党组会议研究同意申报"),
        }),
        vice_review: Some(ViceHeadReview {
            date: date("2026-09-18")?,
            by: "分管副区长".into(),
            note: "同意".into(),
        }),
    })
}

fn other(
    unit: &str,
    name: &str,
    content: &str,
    category: &str,
    yuan: u64,
) -> Result<ProjectDoc, StoreError> {
    Ok(ProjectDoc {
        name: name.into(),
        content: content.into(),
        lead_unit: unit.into(),
        co_units: vec![],
        investment_yuan: yuan,
        funding_source: "区级财政".into(),
        deadline: date("2027-12-31")?,
        year_goals: vec![],
        category: category.into(),
        study: Some(Study {
            date: date("2026-09-12")?,
            minutes: "单位办公会研究".into(),
        }),
        vice_review: Some(ViceHeadReview {
            date: date("2026-09-19")?,
            by: "分管副区长".into(),
            note: String::new(),
        }),
    })
}

/// Plays the whole demo year; returns the vote round it hands over.
pub async fn demo_year(store: &Store, election: ElectionId) -> Result<i64, StoreError> {
    const WG: &str = "staff:gongzuozu (工作组组长)";
    step(store, WG, "2026-07-01", |u| {
        u.open_year(2027, date("2026-07-15")?)
    })
    .await?;

    // 征集: public, directed, topical and hotline — 310 in all.
    let weeks = [
        "2026-07-16",
        "2026-07-23",
        "2026-07-30",
        "2026-08-06",
        "2026-08-13",
        "2026-08-20",
    ];
    for (week, day) in weeks.into_iter().enumerate() {
        step(store, "public", day, move |u| {
            for k in 0..30 {
                let i = week * 30 + k;
                u.add_suggestion(
                    &suggestion(Channel::Public, "", i, i % 12, i / 12),
                    Action::SubmitPublic,
                )?;
            }
            Ok(())
        })
        .await?;
    }
    step(store, WG, "2026-08-10", |u| {
        for k in 0..36 {
            let source = match k % 3 {
                0 => "人大代表",
                1 => "政协委员",
                _ => "嘎查村、社区",
            };
            u.add_suggestion(
                &suggestion(Channel::Directed, source, k, (k * 5) % 12, k),
                Action::EnterSuggestion,
            )?;
        }
        for k in 0..12 {
            u.add_suggestion(
                &suggestion(
                    Channel::Topical,
                    "养老托育专题征集",
                    k,
                    if k % 2 == 0 { 3 } else { 11 },
                    k,
                ),
                Action::EnterSuggestion,
            )?;
        }
        for (k, (category, text)) in demo::OTHER_ASKS.iter().enumerate() {
            let mut s = suggestion(Channel::Public, "", k, 0, 0);
            s.category = category.to_string();
            s.title = text.chars().take(14).collect();
            s.text = text.to_string();
            u.add_suggestion(&s, Action::SubmitPublic)?;
        }
        Ok(())
    })
    .await?;
    step(
        store,
        "import:12345热线2026年7-8月.xlsx",
        "2026-08-28",
        |u| {
            for k in 0..54 {
                let mut s = suggestion(Channel::Hotline, "", k + 3, (k * 7) % 12, k + 1);
                s.contact = format!("139{:08}", 47_000_000 + k * 131);
                u.add_suggestion(&s, Action::ImportHotline)?;
            }
            Ok(())
        },
    )
    .await?;

    // 初选申报: the list goes to the departments, who declare.
    step(store, WG, "2026-09-01", |u| {
        u.advance("征集期结束，汇总建议清单")
    })
    .await?;
    step(store, WG, "2026-09-02", |u| {
        let rows = u.read().suggestions(None)?;
        let assign: Vec<(i64, String)> = rows
            .iter()
            .filter_map(|s| {
                let i = demo::ASKS
                    .iter()
                    .position(|(c, _)| *c == s.input.category)?;
                Some((s.id, demo::project_rows()[i].1.to_string()))
            })
            .collect();
        u.compile_list(&assign)
    })
    .await?;
    let ids = step(store, WG, "2026-09-20", |u| {
        let rows = u.read().suggestions(None)?;
        let answers = |i: usize| -> Vec<i64> {
            rows.iter()
                .filter(|s| s.input.category == demo::ASKS[i].0)
                .map(|s| s.id)
                .collect()
        };
        let mut ids = vec![];
        // The first project comes in as two, to be merged in review.
        let a = doc(
            0,
            "老旧小区供热管网改造",
            "改造12个老旧小区的供热管网，惠及2100户。",
            9_800_000,
        )?;
        let b = doc(
            0,
            "老旧小区屋面防水和楼道照明",
            "为12个老旧小区做屋面防水、更换楼道照明。",
            3_800_000,
        )?;
        let half = answers(0);
        let (h1, h2) = half.split_at(half.len() / 2);
        let unit = demo::project_rows()[0].1;
        ids.push(u.declare(unit, &a, h1, &[])?);
        ids.push(u.declare(unit, &b, h2, &[])?);
        for i in 1..12 {
            let (name, unit, yuan, content) = demo::project_rows()[i];
            ids.push(u.declare(unit, &doc(i, name, content, yuan)?, &answers(i), &[])?);
        }
        ids.push(u.declare(
            "区机关事务服务中心",
            &other(
                "区机关事务服务中心",
                "机关办公楼维修改造",
                "维修区政府办公楼外墙和电梯。",
                "办公",
                3_000_000,
            )?,
            &[],
            &[],
        )?);
        ids.push(u.declare(
            "区民政局",
            &other(
                "区民政局",
                "提高城乡低保标准",
                "将城乡低保标准提高5%。",
                "社会保障",
                1_800_000,
            )?,
            &[],
            &[],
        )?);
        ids.push(u.declare(
            "区文化旅游体育局",
            &other(
                "区文化旅游体育局",
                "新建区全民健身中心场馆",
                "新建8000平方米综合体育馆。",
                "体育",
                46_000_000,
            )?,
            &[],
            &[],
        )?);
        ids.push(u.declare(
            "区住房和城乡建设局",
            &other(
                "区住房和城乡建设局",
                "城区供热热源改造",
                "改造城区供热热源厂锅炉。",
                "供暖",
                30_000_000,
            )?,
            &[],
            &[],
        )?);
        Ok(ids)
    })
    .await?;

    // The ids in declaration order; a short list is a bug in this script, not a panic.
    let id = |i: usize| -> Result<i64, StoreError> {
        ids.get(i)
            .copied()
            .ok_or_else(|| StoreError::Corrupt(format!("demo year: no project {i}")))
    };

    // 审核论证: merge, exclusions with reasons, assessments, the 讨论稿.
    step(store, WG, "2026-10-08", |u| {
        u.advance("申报截止，进入审核论证")
    })
    .await?;
    let merged = {
        let (a, b) = (id(0)?, id(1)?);
        let (name, _, yuan, content) = demo::project_rows()[0];
        let d = doc(0, name, content, yuan)?;
        step(store, WG, "2026-10-12", move |u| u.merge(&[a, b], &d)).await?
    };
    let (x1, x2, x3, x4) = (id(13)?, id(14)?, id(15)?, id(16)?);
    step(store, WG, "2026-10-15", move |u| {
        u.set_majors(&[
            "城区集中供热热源改造工程".into(),
            "包茂高速石拐连接线".into(),
            "石拐工业园区污水处理厂".into(),
        ])?;
        u.exclude(
            x4,
            Exclusion::DuplicatesMajorProject,
            "与本年度重大项目“城区集中供热热源改造工程”重复",
        )?;
        u.exclude(
            x1,
            Exclusion::NarrowBenefit,
            "仅惠及机关单位，不属于民生实事",
        )?;
        u.exclude(
            x2,
            Exclusion::PolicyOrRoutine,
            "属于政策性调整，按程序另行报批",
        )?;
        u.exclude(
            x3,
            Exclusion::NotInBudget,
            "投资超出年度预算安排，未纳入预算",
        )?;
        Ok(())
    })
    .await?;
    let mut to_assess = (2..13).map(id).collect::<Result<Vec<i64>, _>>()?;
    to_assess.push(merged);
    step(store, WG, "2026-10-20", move |u| {
        for id in &to_assess {
            u.assess(
                *id,
                &Assessment {
                    necessity: "群众建议集中，属于急难愁盼问题".into(),
                    feasibility: "用地、技术方案已落实，年内可完成".into(),
                    funding: "资金来源明确，已纳入年度预算".into(),
                    performance: "绩效目标明确、可量化".into(),
                    conclusion: Conclusion::Pass,
                },
            )?;
        }
        u.save_draft("讨论稿（第一稿）")?;
        Ok(())
    })
    .await?;

    // 征求意见: opinions, responses, a revision, the 送审方案.
    step(store, WG, "2026-11-02", |u| {
        u.advance("讨论稿形成，征求意见")
    })
    .await?;
    // PROJECTS[i] for i >= 1 was declared as ids[i + 1].
    let market = id(7 + 1)?; // 农贸市场标准化改造
    step(store, WG, "2026-11-06", move |u| {
        let o1 = u.add_opinion(
            None,
            OpinionSource::Congress,
            "区人大常委会城建环保工委",
            "建议优先安排群众反映集中的供热和老旧小区项目。",
        )?;
        u.respond(o1, "已采纳，供热、老旧小区项目列入讨论稿前列。", true)?;
        let o2 = u.add_opinion(
            Some(market),
            OpinionSource::Cppcc,
            "区政协经济委员会",
            "农贸市场改造应同步建设冷链设施，投资需相应增加。",
        )?;
        u.respond(o2, "采纳，增加冷链设施建设内容，投资调增30万元。", true)?;
        let o3 = u.add_opinion(
            None,
            OpinionSource::Deputy,
            "人大代表（吉忽伦图苏木）",
            "建议增加牧区道路硬化项目。",
        )?;
        u.respond(
            o3,
            "牧区道路已列入交通专项规划，本年度不列入民生实事。",
            false,
        )?;
        u.add_opinion(
            None,
            OpinionSource::Coordination,
            "协调会（各苏木镇、街道）",
            "各苏木镇、街道对项目选址和配合事项无异议。",
        )?;
        let mut d = u.read().project(market)?.doc;
        d.content = "改造2处农贸市场，规范摊位、排水，同步建设冷链设施。".into();
        d.investment_yuan += 300_000;
        u.amend(market, &d, "采纳区政协意见：增加冷链设施", Action::Revise)?;
        u.save_draft("送审方案")?;
        Ok(())
    })
    .await?;

    // 确定候选: the director's meeting sends it back once, then all approve.
    step(store, WG, "2026-11-20", |u| u.advance("送审方案经区长审阅")).await?;
    let childcare = id(11 + 1)?; // 婴幼儿托育服务点建设
    step(store, WG, "2026-11-25", move |u| {
        u.add_meeting(&Meeting {
            kind: MeetingKind::Directors,
            date: date("2026-11-25")?,
            approved: false,
            decision: "退回修改：托育项目须明确运营主体".into(),
            notes: "主任会议第35次".into(),
            attachments: vec!["主任会议纪要第35号.pdf".into()],
        })?;
        let mut d = u.read().project(childcare)?.doc;
        d.content = format!("{}由区妇幼保健院运营。", d.content);
        u.amend(childcare, &d, "主任会议意见：明确运营主体", Action::Revise)?;
        Ok(())
    })
    .await?;
    for (day, kind, note) in [
        ("2026-12-02", MeetingKind::Directors, "主任会议第36次"),
        ("2026-12-09", MeetingKind::Executive, "区政府第28次常务会议"),
        (
            "2026-12-16",
            MeetingKind::PartyStanding,
            "区委常委会第41次会议",
        ),
    ] {
        step(store, WG, day, move |u| {
            u.add_meeting(&Meeting {
                kind,
                date: date(day)?,
                approved: true,
                decision: "原则通过候选项目清单".into(),
                notes: note.into(),
                attachments: vec![],
            })
            .map(|_| ())
        })
        .await?;
    }
    let rules = demo::round_draft().rules;
    let round = step(store, WG, "2026-12-20", move |u| {
        u.make_round(&election, demo::TITLE, demo::ASSEMBLY, rules)
    })
    .await?;
    Ok(round)
}
