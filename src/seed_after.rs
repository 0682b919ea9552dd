//! The demo year's second half (`minsheng demo --after-vote`): the vote on
//! the year's candidates held and published, the decided projects followed
//! all year — plans, a dozen progress reports with a late milestone, one
//! 暂缓 by the 常委会's decision, an inspection with its 督办建议, the
//! public's ratings — and the deputies' 满意度测评 at the next session,
//! published. Everything goes through the services as the hall, the
//! departments and the public would: tablets make their credentials and
//! have them signed blindly, paper ballots are printed, read by two
//! counters and counted back from the box, the scrutineers sign with their
//! keys from `keys/`.

use crate::core::issuing::BlindRequest;
use crate::core::record::{CandidateId, Date, Mark, Role, Timestamp};
use crate::error::{Error, Result};
use crate::hall::{RoundState, StaffRole};
use crate::keys::Signer;
use crate::service::hall::AttestReq;
use crate::service::paper::{EntryReq, VoidReq};
use crate::service::tablet::{CheckinReq, IssueReq, SubmitReq};
use crate::service::Services;
use crate::store::Staff;
use crate::upstream::follow::{
    Cadence, Decision, Inspection, Milestone, Plan, PublicRating, Report, State,
};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

/// 下一次会议: where the 满意度测评 is held.
pub const NEXT_SESSION: &str = "石拐区第十八届人民代表大会第五次会议";

/// What the second half made, for the start-up message.
#[derive(Debug, Default)]
pub struct Played {
    pub vote_round: i64,
    pub review_round: i64,
    pub decided: usize,
    pub reports: usize,
}

/// A small deterministic generator (the demo is the same on every machine).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn date(s: &str) -> Result<Date> {
    Date::parse(s).map_err(Error::internal)
}

/// `today` moved by `days` (the plan's dates are set around the day the
/// demo is made, so that one milestone is late and the rest are ahead).
fn shifted(days: i64) -> Result<Date> {
    let now = Timestamp::now_beijing();
    let today = chrono::NaiveDate::parse_from_str(&now.as_str()[..10], "%Y-%m-%d")
        .map_err(Error::internal)?;
    let d = today + chrono::Duration::days(days);
    date(&d.format("%Y-%m-%d").to_string())
}

async fn staff(sv: &Services, user: &str) -> Result<Staff> {
    let u = user.to_string();
    sv.store
        .staff_by_username(u)
        .await?
        .map(|(s, _)| s)
        .ok_or_else(|| Error::internal(format!("no staff account {user}")))
}

/// The lead department as the actor of its own project's follow-up.
fn department(name: &str) -> Staff {
    Staff {
        id: 0,
        username: "department".into(),
        display_name: name.to_string(),
        role: StaffRole::Department,
    }
}

/// The demo's scrutineers, with the keys `minsheng demo` made in `keys/`.
pub fn scrutineers(keys: &Path) -> Result<Vec<Signer>> {
    ["scrutineer-1", "scrutineer-2"]
        .iter()
        .map(|n| Signer::load(&keys.join(format!("{n}.key"))).map_err(Error::internal))
        .collect()
}

/// Plays the second half once, the `signers` signing as the scrutineers:
/// nothing happens if the vote is not a draft any more (a second start of
/// the same data dir).
pub async fn play(sv: &Services, signers: &[Signer]) -> Result<Option<Played>> {
    let rounds = sv.rounds().await?;
    let Some(vote) = rounds
        .rounds
        .iter()
        .find(|r| r.round == 1 && r.state == RoundState::Draft)
        .map(|r| r.id)
    else {
        return Ok(None);
    };
    let mut rng = Lcg(2027);

    // 1. The vote: 140 deputies on tablets, four on paper, six absent.
    sv.open_round(vote).await?;
    let approval = [95, 92, 90, 88, 86, 84, 82, 80, 78, 74, 38, 30];
    let ballot = move |rng: &mut Lcg, ids: &[CandidateId]| -> BTreeMap<CandidateId, Mark> {
        let mut m = BTreeMap::new();
        for (i, id) in ids.iter().enumerate() {
            let p = approval.get(i).copied().unwrap_or(50);
            let r = rng.below(100);
            let mark = if r < p {
                Mark::For
            } else if r < p + (100 - p) / 2 {
                Mark::Against
            } else {
                continue;
            };
            m.insert(*id, mark);
        }
        // At most ten 赞成: the least liked ones go back to no mark.
        let mut fors = m.values().filter(|k| **k == Mark::For).count();
        for id in ids.iter().rev() {
            if fors <= 10 {
                break;
            }
            if m.get(id) == Some(&Mark::For) {
                m.remove(id);
                fors -= 1;
            }
        }
        m
    };
    let vote_ids = round_ids(sv, vote).await?;
    hold(sv, vote, 140, 4, &mut rng, &|rng| ballot(rng, &vote_ids)).await?;
    let decided = close_and_publish(sv, vote, signers).await?;

    // 2. The year: plans, reports, a late milestone, a 暂缓, an inspection.
    let follow = sv.follow().await?;
    let wg = staff(sv, "gongzuozu").await?;
    let mishu = staff(sv, "mishu").await?;
    let mut reports = 0;
    for (i, p) in follow.projects.iter().enumerate() {
        let me = department(&p.department);
        let budget = 1_000_000 + 150_000 * i as u64;
        let plan = Plan {
            lead_unit: p.department.clone(),
            co_units: vec!["相关苏木镇、街道".into()],
            targets: format!("{}：按期完成建设任务并投入使用", p.name),
            milestones: vec![
                Milestone {
                    name: "完成设计和招标".into(),
                    due: shifted(-60)?,
                },
                Milestone {
                    name: "开工建设".into(),
                    due: shifted(-15)?,
                },
                Milestone {
                    name: "主体完工".into(),
                    due: shifted(150)?,
                },
                Milestone {
                    name: "竣工验收、投入使用".into(),
                    due: shifted(240)?,
                },
            ],
            budget_yuan: budget,
            funding_source: crate::demo::funding_source(i).to_string(),
            responsible: format!("{} 分管副局长", p.department),
            stage_goals: vec![],
            report_every: if i % 3 == 0 {
                Cadence::Milestone
            } else {
                Cadence::Monthly
            },
        };
        sv.set_plan(&me, p.project_id, plan).await?;
        sv.check_plan(&wg, p.project_id).await?;
        // Project 3 has not started building: its second milestone is late.
        // The first three report twice, the rest once (a dozen in all).
        let met = if i == 2 { vec![0] } else { vec![0, 1] };
        if i <= 2 {
            let first = Report {
                as_of: shifted(-45)?,
                percent: 15,
                spent_yuan: budget / 10,
                done: "完成设计、预算评审和招标，确定施工单位".into(),
                problems: String::new(),
                milestones_met: vec![0],
            };
            sv.add_report(&me, p.project_id, first).await?;
            reports += 1;
        }
        {
            let second = Report {
                as_of: shifted(-3)?,
                percent: if i == 2 { 20 } else { 45 },
                spent_yuan: if i == 2 { budget / 8 } else { budget * 2 / 5 },
                done: if i == 2 {
                    "施工许可手续仍在办理".into()
                } else {
                    "主体工程施工中".into()
                },
                problems: if i == 2 {
                    "选址涉及管线迁改，开工推迟".into()
                } else {
                    String::new()
                },
                milestones_met: met,
            };
            sv.add_report(&me, p.project_id, second).await?;
            reports += 1;
        }
        if i == 5 {
            let d = Decision {
                state: State::Suspended,
                date: shifted(-20)?,
                document_no: "石人常发〔2027〕12号".into(),
                notice: format!(
                    "因上级专项资金调整，经区人大常委会会议决定，“{}”暂缓实施，待资金落实后恢复。",
                    p.name
                ),
            };
            sv.add_decision(&mishu, p.project_id, d).await?;
        }
        if i == 2 {
            let visit = Inspection {
                date: shifted(-2)?,
                group: "区人大常委会城建环保工委视察组（代表 王志强、李秀英、张海）".into(),
                place: "项目现场".into(),
                findings: "设计和招标已完成，施工许可仍在办理，开工节点已滞后。".into(),
                suggestion: Some("督办建议：协调管线迁改，一个月内开工，并报送赶工计划。".into()),
                rectify: false,
            };
            sv.add_inspection(&mishu, p.project_id, visit).await?;
        }
        // The public rates it on its 民生码.
        for k in 0..(3 + i % 4) {
            let rating = match (i + k) % 5 {
                0..=2 => PublicRating::Satisfied,
                3 => PublicRating::BasicallySatisfied,
                _ => PublicRating::Unsatisfied,
            };
            let comment = if k == 0 && i % 3 == 0 {
                "施工期间请注意出行安全，早日完工。".to_string()
            } else {
                String::new()
            };
            let addr = IpAddr::V4(Ipv4Addr::new(10, 20, i as u8, k as u8 + 1));
            sv.rate(
                addr,
                p.project_id,
                crate::service::follow::RatingReq { rating, comment },
            )
            .await?;
        }
    }

    // 3. The next session: the 满意度测评, on the same engine.
    let review = sv
        .review_draft(crate::service::review::ReviewReq {
            assembly: NEXT_SESSION.into(),
            title: None,
        })
        .await?
        .id;
    sv.open_round(review).await?;
    // Most are 满意; the late one 基本满意; the suspended one 不满意 (→ 整改).
    let name_of = |i: usize| follow.projects.get(i).map(|p| p.name.clone());
    let (late, suspended) = (name_of(2), name_of(5));
    let review_ids: Vec<(CandidateId, (u64, u64))> = sv
        .round(review)
        .await?
        .draft
        .candidates
        .iter()
        .map(|c| {
            let odds = if Some(&c.name) == late.as_ref() {
                (35, 85)
            } else if Some(&c.name) == suspended.as_ref() {
                (15, 40)
            } else {
                (82, 96)
            };
            (c.id, odds)
        })
        .collect();
    let rate =
        move |rng: &mut Lcg, ids: &[(CandidateId, (u64, u64))]| -> BTreeMap<CandidateId, Mark> {
            ids.iter()
                .filter_map(|(id, (s, b))| {
                    let (s, b) = (*s, *b);
                    let r = rng.below(100);
                    let m = if r < s {
                        Mark::Satisfied
                    } else if r < b {
                        Mark::BasicallySatisfied
                    } else if r < 98 {
                        Mark::Unsatisfied
                    } else {
                        return None;
                    };
                    Some((*id, m))
                })
                .collect()
        };
    hold(sv, review, 138, 3, &mut rng, &|rng| rate(rng, &review_ids)).await?;
    close_and_publish(sv, review, signers).await?;
    Ok(Some(Played {
        vote_round: vote,
        review_round: review,
        decided,
        reports,
    }))
}

/// The candidates of a round, as its ballot lists them.
async fn round_ids(sv: &Services, id: i64) -> Result<Vec<CandidateId>> {
    Ok(sv
        .round(id)
        .await?
        .draft
        .candidates
        .iter()
        .map(|c| c.id)
        .collect())
}

/// An open round held: `tablets` deputies check in and vote on tablets,
/// `paper` more are handed printed ballots (two counters read each; one
/// spare is voided unused), the box is counted.
async fn hold(
    sv: &Services,
    id: i64,
    tablets: usize,
    paper: usize,
    rng: &mut Lcg,
    marks: &dyn Fn(&mut Lcg) -> BTreeMap<CandidateId, Mark>,
) -> Result<()> {
    let codes = sv.checkin_codes().await?.codes;
    for (n, c) in codes.iter().take(tablets).enumerate() {
        let from = IpAddr::V4(Ipv4Addr::new(10, 10, (n / 250) as u8, (n % 250) as u8 + 1));
        let token = sv
            .tablet_checkin(
                from,
                CheckinReq {
                    number: c.number.clone(),
                    code: c.code.clone(),
                },
            )
            .await?
            .token;
        let view = sv
            .tablet_state(Some(&token))
            .await?
            .round
            .ok_or_else(|| Error::internal("no open round"))?;
        let key = view
            .issuing_key
            .as_ref()
            .ok_or_else(|| Error::internal("a v2 round has an issuing key"))?;
        let req = BlindRequest::new(key, &view.election_id, view.round).map_err(Error::internal)?;
        let blinded = req.blinded_hex();
        let issued = sv.issue_ballot(Some(&token), IssueReq { blinded }).await?;
        let blind = hex::decode(&issued.blind_signature).map_err(Error::internal)?;
        let signature = req.finish(&blind).map_err(Error::internal)?.to_hex();
        let marks = marks(rng)
            .into_iter()
            .map(|(k, m)| (k.to_string(), m.as_str().to_string()))
            .collect();
        sv.submit_ballot(SubmitReq {
            round_id: id,
            credential: req.credential.to_hex(),
            signature,
            marks,
        })
        .await?;
        sv.tablet_checkout(Some(&token)).await?;
    }
    if paper == 0 {
        return Ok(());
    }
    let mishu = staff(sv, "mishu").await?;
    let deputies = sv.deputies().await?.deputies;
    for c in codes.iter().skip(tablets).take(paper) {
        if let Some(d) = deputies.iter().find(|d| d.number == c.number) {
            sv.set_present(d.id, true, &mishu.username).await?;
        }
    }
    let job = sv.print_paper(id, paper as u64 + 1).await?;
    let html = sv.print_sheets(id, job.batch, false).await?;
    let printed: Vec<String> = html
        .split("class=\"code\">")
        .skip(1)
        .filter_map(|r| r.split('<').next().map(str::to_string))
        .collect();
    sv.handed_out(id, paper as u64).await?;
    let (c1, c2) = (staff(sv, "jipiao1").await?, staff(sv, "jipiao2").await?);
    for (k, code) in printed.iter().take(paper).enumerate() {
        let m = marks(rng);
        for c in [&c1, &c2] {
            let req = EntryReq {
                code: code.clone(),
                marks: m.clone(),
                unreadable: false,
                request: Some(format!("demo-{id}-{k}-{}", c.username)),
            };
            sv.enter_paper(id, c, req).await?;
        }
    }
    if let Some(spare) = printed.get(paper) {
        let req = VoidReq {
            code: spare.clone(),
            reason: "unused".into(),
        };
        sv.void_paper(id, req).await?;
    }
    sv.box_count(id, paper as u64).await.map(|_| ())
}

/// Closes the round, both scrutineers sign, published; how many projects it decided.
async fn close_and_publish(sv: &Services, id: i64, signers: &[Signer]) -> Result<usize> {
    let closed = sv.close_round(id).await?;
    for s in signers {
        let sig = s.sign(Role::Scrutineer, &closed.result);
        sv.attest(
            id,
            AttestReq {
                public_key: sig.public_key,
                signature: sig.signature,
            },
        )
        .await?;
    }
    sv.publish(id).await?;
    Ok(closed.result.vote().map_or(0, |v| v.decided.len()))
}
