//! 大会 (the hall's rules): staff roles, the roster, round drafts and their
//! states. Pure: the store keeps these, the web edge shows them.

use crate::core::canon::Hash;
use crate::core::record::*;
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

/// A roster row that cannot be imported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("第 {row} 行: {message}")]
pub struct RowError {
    pub row: usize,
    pub message: String,
}

/// Reads a roster CSV with a header naming the columns (姓名/name,
/// 代表团/delegation, 座位/seat, 编号/number). Every bad row is reported;
/// nothing is imported unless every row is good.
pub fn parse_roster_csv(text: &str) -> Result<Vec<RosterRow>, Vec<RowError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(vec![RowError {
                row: 1,
                message: format!("无法读取表头: {e}"),
            }])
        }
    };
    let col = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let cols = (
        col(&["编号", "代表编号", "number"]),
        col(&["姓名", "name"]),
        col(&["代表团", "delegation"]),
        col(&["座位", "座位号", "seat"]),
    );
    let (Some(cn), Some(cname), Some(cdel), Some(cseat)) = cols else {
        return Err(vec![RowError {
            row: 1,
            message: "表头须包含: 编号, 姓名, 代表团, 座位 (number, name, delegation, seat)".into(),
        }]);
    };
    let mut rows = vec![];
    let mut errors = vec![];
    let mut seen = std::collections::HashSet::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    row,
                    message: format!("格式错误: {e}"),
                });
                continue;
            }
        };
        let get = |c: usize| rec.get(c).unwrap_or("").to_string();
        let r = RosterRow {
            number: get(cn),
            name: get(cname),
            delegation: get(cdel),
            seat: get(cseat),
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
                errors.push(RowError {
                    row,
                    message: format!("{label}过长 (至多 64 字)"),
                });
            }
        }
        if !missing.is_empty() {
            errors.push(RowError {
                row,
                message: format!("缺少{}", missing.join("、")),
            });
            continue;
        }
        if !seen.insert(r.number.clone()) {
            errors.push(RowError {
                row,
                message: format!("编号 {} 重复", r.number),
            });
            continue;
        }
        rows.push(r);
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(RowError {
            row: 2,
            message: "名册为空".into(),
        });
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
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

impl RoundDraft {
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
        opened_at: Timestamp,
    ) -> Result<Manifest, FieldError> {
        commitments.sort_unstable();
        let m = Manifest {
            assembly: self.assembly.clone(),
            authority_key,
            candidates: self.candidates.clone(),
            credentials: commitments.into(),
            election_id,
            opened_at,
            previous_result: self.previous_result,
            round,
            rules: self.rules.clone(),
            scrutineer_keys,
            title: self.title.clone(),
            total_deputies,
            kind: ManifestType,
        };
        m.check()?;
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roster_csv_imports_all_or_reports_every_bad_row() {
        let good = "\u{feff}编号,姓名,代表团,座位\n001,张三,石拐镇代表团,1-01\n002,李四,大发街道代表团,1-02\n";
        let rows = parse_roster_csv(good).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].name, "李四");
        let bad = "number,name,delegation,seat\n001,张三,A,1\n001,王五,A,2\n003,,A,3\n";
        let errs = parse_roster_csv(bad).unwrap_err();
        assert_eq!(errs.iter().map(|e| e.row).collect::<Vec<_>>(), vec![3, 4]);
        assert!(errs[1].message.contains("姓名"));
        assert!(parse_roster_csv("a,b\n1,2\n").unwrap_err()[0]
            .message
            .contains("表头"));
        assert!(parse_roster_csv("编号,姓名,代表团,座位\n").is_err());
    }

    #[test]
    fn roles_round_trip() {
        for r in StaffRole::ALL {
            assert_eq!(StaffRole::parse(r.as_str()), Some(r));
        }
        assert_eq!(RoundState::parse("open"), Some(RoundState::Open));
    }
}
