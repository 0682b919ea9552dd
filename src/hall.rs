//! 大会 (the hall's rules): staff roles, the roster, round drafts and their
//! states. Pure: the store keeps these, the web edge shows them.

use crate::core::canon::Hash;
use crate::core::record::*;
use crate::core::satisfaction::RoundResult;
pub use crate::sheets::RowError;
use crate::sheets::{cell, Sheet};
use serde::{Deserialize, Serialize};

/// 工作人员角色 (staff roles).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// 大会秘书处 (presiding staff): roster, rounds, open and close.
    Secretariat,
    /// 总监票人
    ChiefScrutineer,
    /// 监票人
    Scrutineer,
    /// 计票人
    Counter,
    /// 工作组
    WorkingGroup,
    /// 承办部门
    Department,
}

impl StaffRole {
    pub const ALL: [StaffRole; 6] = [
        StaffRole::Secretariat,
        StaffRole::ChiefScrutineer,
        StaffRole::Scrutineer,
        StaffRole::Counter,
        StaffRole::WorkingGroup,
        StaffRole::Department,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Secretariat => "secretariat",
            StaffRole::ChiefScrutineer => "chief_scrutineer",
            StaffRole::Scrutineer => "scrutineer",
            StaffRole::Counter => "counter",
            StaffRole::WorkingGroup => "working_group",
            StaffRole::Department => "department",
        }
    }
    pub fn parse(s: &str) -> Option<StaffRole> {
        StaffRole::ALL.into_iter().find(|r| r.as_str() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            StaffRole::Secretariat => "大会秘书处",
            StaffRole::ChiefScrutineer => "总监票人",
            StaffRole::Scrutineer => "监票人",
            StaffRole::Counter => "计票人",
            StaffRole::WorkingGroup => "工作组",
            StaffRole::Department => "承办部门",
        }
    }
    /// May watch the hall console (counts, never partial results).
    pub fn sees_console(self) -> bool {
        matches!(
            self,
            StaffRole::Secretariat | StaffRole::ChiefScrutineer | StaffRole::Scrutineer
        )
    }
}

/// 轮次状态
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundState {
    /// 草稿: candidates and rules may still change.
    Draft,
    /// 投票中: the manifest is signed and fixed.
    Open,
    /// 已结束: counted, waiting for the scrutineers' signatures.
    Closed,
    /// 已公布
    Published,
}

impl RoundState {
    pub fn as_str(self) -> &'static str {
        match self {
            RoundState::Draft => "draft",
            RoundState::Open => "open",
            RoundState::Closed => "closed",
            RoundState::Published => "published",
        }
    }
    pub fn parse(s: &str) -> Option<RoundState> {
        [
            RoundState::Draft,
            RoundState::Open,
            RoundState::Closed,
            RoundState::Published,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            RoundState::Draft => "准备中",
            RoundState::Open => "投票中",
            RoundState::Closed => "已结束，待签名",
            RoundState::Published => "已公布",
        }
    }
}

/// One deputy of the roster (代表名册).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterRow {
    /// 代表编号
    pub number: String,
    pub name: String,
    /// 代表团
    pub delegation: String,
    /// 座位
    pub seat: String,
}

/// Reads a roster (CSV or XLSX, see [`Sheet`]) with a header naming the
/// columns (编号/number, 姓名/name, 代表团/delegation, 座位/seat). Every bad
/// row is reported; nothing is imported unless every row is good.
pub fn parse_roster(sheet: &Sheet) -> Result<Vec<RosterRow>, Vec<RowError>> {
    let cols = (
        sheet.column(&["编号", "代表编号", "number"]),
        sheet.column(&["姓名", "name"]),
        sheet.column(&["代表团", "delegation"]),
        sheet.column(&["座位", "座位号", "seat"]),
    );
    let (Some(cn), Some(cname), Some(cdel), Some(cseat)) = cols else {
        return Err(vec![RowError::new(
            1,
            "表头须包含: 编号, 姓名, 代表团, 座位 (number, name, delegation, seat)",
        )]);
    };
    let mut rows = vec![];
    let mut errors = vec![];
    let mut seen = std::collections::HashSet::new();
    for (row, cells) in &sheet.rows {
        let row = *row;
        let r = RosterRow {
            number: cell(cells, cn).to_string(),
            name: cell(cells, cname).to_string(),
            delegation: cell(cells, cdel).to_string(),
            seat: cell(cells, cseat).to_string(),
        };
        let mut missing = vec![];
        for (v, label) in [
            (&r.number, "编号"),
            (&r.name, "姓名"),
            (&r.delegation, "代表团"),
            (&r.seat, "座位"),
        ] {
            if v.is_empty() {
                missing.push(label);
            } else if v.chars().count() > 64 {
                errors.push(RowError::new(row, format!("{label}过长 (至多 64 字)")));
            }
        }
        if !missing.is_empty() {
            errors.push(RowError::new(row, format!("缺少{}", missing.join("、"))));
            continue;
        }
        if !seen.insert(r.number.clone()) {
            errors.push(RowError::new(row, format!("编号 {} 重复", r.number)));
            continue;
        }
        rows.push(r);
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(RowError::new(2, "名册为空"));
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// Reads a candidate list (CSV or XLSX): 编号, 项目名称, 项目内容, 牵头单位,
/// 投资 (元, or a column headed 万元), 完成时限. Amounts may carry thousands
/// separators; dates may be written 2027-06-30, 2027/6/30 or 2027年6月30日.
/// Every bad row is reported; nothing is taken unless every row is good.
pub fn parse_candidates(sheet: &Sheet) -> Result<Vec<Candidate>, Vec<RowError>> {
    let header_err = |what: &str| vec![RowError::new(1, format!("表头缺少“{what}”列"))];
    let cid = sheet
        .column(&["编号", "项目编号", "id"])
        .ok_or_else(|| header_err("编号"))?;
    let cname = sheet
        .column(&["项目名称", "名称", "name"])
        .ok_or_else(|| header_err("项目名称"))?;
    let csum = sheet
        .column(&["项目内容", "主要内容", "内容", "summary"])
        .ok_or_else(|| header_err("项目内容"))?;
    let clead = sheet
        .column(&["牵头单位", "责任单位", "lead_unit"])
        .ok_or_else(|| header_err("牵头单位"))?;
    let (cinv, wan) = match sheet.column(&[
        "投资（元）",
        "投资(元)",
        "投资金额（元）",
        "investment_yuan",
    ]) {
        Some(c) => (c, false),
        None => (
            sheet
                .column(&[
                    "投资（万元）",
                    "投资(万元)",
                    "投资金额（万元）",
                    "investment_wan",
                ])
                .ok_or_else(|| header_err("投资（元）"))?,
            true,
        ),
    };
    let cdl = sheet
        .column(&["完成时限", "完成时间", "deadline"])
        .ok_or_else(|| header_err("完成时限"))?;
    let mut out: Vec<Candidate> = vec![];
    let mut seen = std::collections::HashSet::new();
    let mut errors = vec![];
    for (row, cells) in &sheet.rows {
        let row = *row;
        let mut bad = |m: String| errors.push(RowError::new(row, m));
        let id = match CandidateId::parse(cell(cells, cid)) {
            Ok(id) => Some(id),
            Err(e) => {
                bad(format!("编号 {:?} 无效: {e}", cell(cells, cid)));
                None
            }
        };
        let investment = match parse_amount(cell(cells, cinv), wan) {
            Ok(v) => Some(v),
            Err(m) => {
                bad(m);
                None
            }
        };
        let deadline = match parse_loose_date(cell(cells, cdl)) {
            Ok(d) => Some(d),
            Err(m) => {
                bad(m);
                None
            }
        };
        let name = cell(cells, cname).to_string();
        let lead_unit = cell(cells, clead).to_string();
        let summary = cell(cells, csum).to_string();
        if name.is_empty() || lead_unit.is_empty() {
            bad("项目名称和牵头单位不能为空".into());
        }
        if name.chars().count() > 100 || summary.chars().count() > 2000 {
            bad("项目名称至多 100 字，内容至多 2000 字".into());
        }
        if let Some(id) = id {
            if !seen.insert(id) {
                bad(format!("编号 {id} 重复"));
            }
        }
        if let (Some(id), Some(investment_yuan), Some(deadline)) = (id, investment, deadline) {
            out.push(Candidate {
                deadline,
                id,
                investment_yuan,
                lead_unit,
                name,
                summary,
            });
        }
    }
    if out.is_empty() && errors.is_empty() {
        errors.push(RowError::new(2, "候选项目清单为空"));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// 元 (or 万元 with up to four decimals) as whole yuan.
fn parse_amount(s: &str, wan: bool) -> Result<u64, String> {
    let t: String = s
        .trim()
        .trim_end_matches("万元")
        .trim_end_matches('元')
        .chars()
        .filter(|c| *c != ',' && *c != '，')
        .collect();
    let bad = || format!("投资金额 {s:?} 无效");
    let (int, frac) = t.split_once('.').unwrap_or((&t, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let scale: u32 = if wan { 4 } else { 0 };
    if frac.len() > scale as usize {
        return Err(format!("投资金额 {s:?} 精确到元即可"));
    }
    let int: u64 = int.parse().map_err(|_| bad())?;
    let mut frac_v: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| bad())?
    };
    for _ in frac.len()..scale as usize {
        frac_v *= 10;
    }
    int.checked_mul(10u64.pow(scale))
        .and_then(|v| v.checked_add(frac_v))
        .filter(|v| *v <= 9_007_199_254_740_991)
        .ok_or_else(bad)
}

/// 2027-06-30, 2027/6/30, 2027.6.30 or 2027年6月30日.
fn parse_loose_date(s: &str) -> Result<Date, String> {
    let t = s.trim().trim_end_matches('日');
    let parts: Vec<&str> = t.split(['-', '/', '.', '年', '月']).collect();
    let bad = || format!("完成时限 {s:?} 无效，请写成 2027-06-30");
    if parts.len() != 3 {
        return Err(bad());
    }
    let n: Vec<u32> = parts
        .iter()
        .map(|p| p.trim().parse::<u32>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    Date::parse(&format!("{:04}-{:02}-{:02}", n[0], n[1], n[2])).map_err(|_| bad())
}

/// A round before it opens: what the secretariat sets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundDraft {
    pub title: String,
    pub assembly: String,
    pub rules: Rules,
    pub candidates: Vec<Candidate>,
    /// For a runoff: the tally hash of the round before.
    #[serde(default)]
    pub previous_result: Option<Hash>,
}

/// What the chain rule needs to know of a round already made in the election.
pub struct ChainLink {
    pub round: u64,
    pub state: RoundState,
    /// H(result) once the round has been counted.
    pub tally_hash: Option<Hash>,
}

/// May a new round naming `previous` follow the election's rounds `made`
/// (in any order)? The first round names nothing; every later one names the
/// tally hash of the last round, which must be published — so the rounds of
/// an election form one chain and never fork.
pub fn chain_check(previous: Option<&Hash>, made: &[ChainLink]) -> Result<(), String> {
    let last = made.iter().max_by_key(|l| l.round);
    match (previous, last) {
        (None, None) => Ok(()),
        (Some(_), None) => Err("所接续的上一轮结果不存在".into()),
        (None, Some(l)) => Err(format!(
            "本次会议已有第 {} 轮；新的轮次须接续上一轮公布的结果（安排再次投票），或修改尚未开始的轮次",
            l.round
        )),
        (Some(h), Some(l)) => {
            if l.tally_hash.as_ref() == Some(h) && l.state == RoundState::Published {
                Ok(())
            } else if made.iter().any(|m| m.tally_hash.as_ref() == Some(h)) {
                Err("该轮结果之后已安排了轮次：同一结果只能接续一次".into())
            } else {
                Err("只能接续最近一轮已公布的结果".into())
            }
        }
    }
}

/// How many credentials a round opens with for a roster of `total`: one per
/// deputy, and spares for spoiled paper ballots (a fifth, at least ten).
pub fn credential_pool_size(total: u64) -> u64 {
    total + (total / 5).max(10)
}

impl RoundDraft {
    /// Every rule the manifest will be held to that a draft can already be
    /// held to, checked when it is saved rather than at opening; each
    /// problem in the words staff use.
    pub fn check(&self) -> Result<(), String> {
        if self.title.trim().is_empty() {
            return Err("请填写本轮标题".into());
        }
        if self.assembly.trim().is_empty() {
            return Err("请填写会议名称".into());
        }
        if self.candidates.is_empty() {
            return Err("候选项目不能为空".into());
        }
        if self.rules.seats == 0 || self.rules.max_for == 0 {
            return Err("应选项目数和最多赞成数至少为 1".into());
        }
        let mut ids: Vec<_> = self.candidates.iter().map(|c| c.id).collect();
        ids.sort();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("候选项目编号 {} 重复", w[0]));
        }
        Ok(())
    }

    /// Builds the manifest this draft becomes when the round opens.
    #[allow(clippy::too_many_arguments)]
    pub fn manifest(
        &self,
        election_id: ElectionId,
        round: u64,
        total_deputies: u64,
        mut commitments: Vec<Hash>,
        authority_key: PublicKey,
        scrutineer_keys: Vec<PublicKey>,
        issuing_key: Option<IssuingKey>,
        opened_at: Timestamp,
    ) -> Result<Manifest, FieldError> {
        // A round with blind issuance is a tally-record-v2 round.
        let kind = if issuing_key.is_some() {
            ManifestType::V2
        } else {
            ManifestType::V1
        };
        commitments.sort_unstable();
        let m = Manifest {
            assembly: self.assembly.clone(),
            authority_key,
            candidates: self.candidates.clone(),
            credentials: commitments.into(),
            election_id,
            issuing_key,
            opened_at,
            previous_result: self.previous_result,
            round,
            rules: self.rules.clone(),
            scrutineer_keys,
            title: self.title.clone(),
            total_deputies,
            kind,
        };
        m.check()?;
        Ok(m)
    }
}

/// The draft of the round that must follow `result`, if any: a runoff over
/// the projects tied at the last seat, a revote over those that did not pass
/// (when the rules say so), or the same vote again after a void round. It
/// is chained to `result` by its tally hash; `max_for` is the seats left.
pub fn next_draft(draft: &RoundDraft, result: &ResultBody) -> Option<RoundDraft> {
    use crate::core::tally::{next_round, NextRound};
    let (ids, seats) = match next_round(&draft.rules, result)? {
        NextRound::Repeat => {
            return Some(RoundDraft {
                previous_result: Some(Hash::of(result)),
                ..draft.clone()
            })
        }
        NextRound::Runoff { candidates, seats } | NextRound::Revote { candidates, seats } => {
            (candidates, seats)
        }
    };
    let mut next = draft.clone();
    next.candidates.retain(|c| ids.contains(&c.id));
    next.rules.seats = seats;
    next.rules.max_for = seats.min(draft.rules.max_for).max(1);
    next.previous_result = Some(Hash::of(result));
    Some(next)
}

/// The draft that must follow a result of either kind: a vote's as
/// [`next_draft`]; a 满意度测评 that was not valid (no quorum, more
/// returned than issued) is held again, chained to it.
pub fn next_draft_of(draft: &RoundDraft, result: &RoundResult) -> Option<RoundDraft> {
    match result {
        RoundResult::Vote(v) => next_draft(draft, v),
        RoundResult::Review(r) => (!r.round_valid).then(|| RoundDraft {
            previous_result: Some(result.hash()),
            ..draft.clone()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(text: &str) -> Sheet {
        Sheet::read(text.as_bytes()).unwrap()
    }

    #[test]
    fn roster_imports_all_or_reports_every_bad_row() {
        let good = "\u{feff}编号,姓名,代表团,座位\n001,张三,石拐镇代表团,1-01\n002,李四,大发街道代表团,1-02\n";
        let rows = parse_roster(&sheet(good)).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].name, "李四");
        let bad = "number,name,delegation,seat\n001,张三,A,1\n001,王五,A,2\n003,,A,3\n";
        let errs = parse_roster(&sheet(bad)).unwrap_err();
        assert_eq!(errs.iter().map(|e| e.row).collect::<Vec<_>>(), vec![3, 4]);
        assert!(errs[1].message.contains("姓名"));
        assert!(parse_roster(&sheet("a,b\n1,2\n")).unwrap_err()[0]
            .message
            .contains("表头"));
        assert!(parse_roster(&sheet("编号,姓名,代表团,座位\n")).is_err());
    }

    #[test]
    fn candidates_read_amounts_dates_and_name_every_bad_row() {
        let text = "编号,项目名称,项目内容,牵头单位,投资（万元）,完成时限\n\
                    P01,老旧小区改造,改造 3 个小区,区住建局,\"1,280.5\",2027年10月31日\n\
                    P02,校园食堂,,区教育局,96,2027/6/30\n";
        let c = parse_candidates(&sheet(text)).unwrap();
        assert_eq!(c[0].investment_yuan, 12_805_000);
        assert_eq!(c[0].deadline.as_str(), "2027-10-31");
        assert_eq!(c[1].investment_yuan, 960_000);
        assert_eq!(c[1].deadline.as_str(), "2027-06-30");
        let text = "编号,项目名称,项目内容,牵头单位,投资（元）,完成时限\n\
                    P01,A,,区住建局,12.5,2027-01-01\n\
                    P01,B,,区教育局,100,2027-02-30\n\
                    项目,C,,,100,2027-01-01\n";
        let errs = parse_candidates(&sheet(text)).unwrap_err();
        let rows: Vec<_> = errs.iter().map(|e| e.row).collect();
        assert_eq!(rows, vec![2, 3, 3, 4, 4], "{errs:?}");
        assert!(errs[0].message.contains("精确到元"));
        assert!(errs[1].message.contains("完成时限"));
        let errs = parse_candidates(&sheet("编号,项目名称\nP1,x\n")).unwrap_err();
        assert!(errs[0].message.contains("项目内容"));
    }

    #[test]
    fn a_tie_at_the_last_seat_drafts_a_chained_runoff_over_the_tied_projects() {
        use crate::core::chain::VoteLog;
        use crate::core::tally::{Attendance, Tally};
        use crate::core::testkit::{ballot, Fixture};
        // 3 projects, 1 seat, 6 deputies: C01 and C02 both get 4 votes.
        let f = Fixture::new(3, 1, 6);
        let mut log = VoteLog::open(&f.manifest);
        let mut tally = Tally::new(&f.manifest);
        for (i, m) in [
            "C01:for", "C01:for", "C01:for", "C01:for", "C02:for", "C02:for",
        ]
        .iter()
        .enumerate()
        {
            let (e, _) = log.append(&ballot(&f, i, m)).unwrap();
            tally.add(&e);
        }
        let draft = RoundDraft {
            title: "测试".into(),
            assembly: "测试大会".into(),
            rules: f.manifest.rules.clone(),
            candidates: f.manifest.candidates.clone(),
            previous_result: None,
        };
        let closed = Timestamp::parse("2027-01-12T11:00:00+08:00").unwrap();
        let att = Attendance {
            present: 6,
            issued: 6,
        };
        let decided = tally.result(
            &f.manifest,
            log.manifest_hash(),
            log.head(),
            att,
            closed.clone(),
        );
        assert!(
            next_draft(&draft, &decided).is_none(),
            "C01 passes alone: nothing follows"
        );

        // 10 deputies, 2 marks allowed, 1 seat: C01 and C02 both get 6.
        let mut f = Fixture::new(3, 1, 10);
        f.manifest.rules.max_for = 2;
        let mut log = VoteLog::open(&f.manifest);
        let mut tally = Tally::new(&f.manifest);
        for i in 0..6 {
            let (e, _) = log.append(&ballot(&f, i, "C01:for C02:for")).unwrap();
            tally.add(&e);
        }
        let att = Attendance {
            present: 10,
            issued: 10,
        };
        let tied = tally.result(&f.manifest, log.manifest_hash(), log.head(), att, closed);
        let ids = |v: &[CandidateId]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert_eq!(ids(&tied.runoff), vec!["C01", "C02"], "{tied:?}");
        let mut draft = draft;
        draft.rules = f.manifest.rules.clone();
        let next = next_draft(&draft, &tied).expect("a runoff follows a tie");
        assert_eq!(next.previous_result, Some(Hash::of(&tied)));
        let next_ids: Vec<_> = next.candidates.iter().map(|c| c.id).collect();
        assert_eq!(ids(&next_ids), vec!["C01", "C02"]);
        assert_eq!((next.rules.seats, next.rules.max_for), (1, 1));
    }

    #[test]
    fn roles_round_trip() {
        for r in StaffRole::ALL {
            assert_eq!(StaffRole::parse(r.as_str()), Some(r));
        }
        assert_eq!(RoundState::parse("open"), Some(RoundState::Open));
    }

    #[test]
    fn a_draft_is_checked_in_staff_words_before_it_is_saved() {
        let f = crate::core::testkit::Fixture::new(3, 1, 10);
        let good = RoundDraft {
            title: "第一轮".into(),
            assembly: "区人民代表大会".into(),
            rules: f.manifest.rules.clone(),
            candidates: f.manifest.candidates.clone(),
            previous_result: None,
        };
        assert_eq!(good.check(), Ok(()));
        let mut d = good.clone();
        d.candidates.clear();
        assert_eq!(d.check(), Err("候选项目不能为空".into()));
        let mut d = good.clone();
        d.rules.seats = 0;
        assert!(d.check().is_err_and(|e| e.contains("至少为 1")));
        let mut d = good.clone();
        d.candidates.push(d.candidates[0].clone());
        assert!(d.check().is_err_and(|e| e.contains("重复")));
        let mut d = good;
        d.title = "  ".into();
        assert!(d.check().is_err());
        assert_eq!(credential_pool_size(150), 180);
        assert_eq!(credential_pool_size(20), 30);
    }

    #[test]
    fn rounds_form_one_chain_and_never_fork() {
        let h = |b: &[u8]| Hash::of_bytes(b);
        let link = |round, state, t: Option<Hash>| ChainLink {
            round,
            state,
            tally_hash: t,
        };
        assert!(chain_check(None, &[]).is_ok());
        assert!(chain_check(Some(&h(b"x")), &[]).is_err());
        let one = [link(1, RoundState::Published, Some(h(b"r1")))];
        assert!(chain_check(Some(&h(b"r1")), &one).is_ok());
        assert!(chain_check(None, &one).is_err(), "a second round 1");
        assert!(chain_check(Some(&h(b"other")), &one).is_err());
        let closed = [link(1, RoundState::Closed, Some(h(b"r1")))];
        assert!(
            chain_check(Some(&h(b"r1")), &closed).is_err(),
            "not yet published"
        );
        let two = [
            link(1, RoundState::Published, Some(h(b"r1"))),
            link(2, RoundState::Draft, None),
        ];
        let e = chain_check(Some(&h(b"r1")), &two).unwrap_err();
        assert!(e.contains("只能接续一次"), "a fork: {e}");
    }
}
