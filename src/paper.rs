//! 纸质选票 (paper ballots): the rules of printing, double entry by two
//! counters, the chief scrutineer's ruling, the physical count of the box
//! and the switch from tablets to paper. Pure: the store keeps the state,
//! the web edge takes the requests, the chain appends the ballots.

use crate::core::credential::{Credential, QrBallot};
use crate::core::record::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a round takes ballots.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Tablets (paper alongside for a deputy whose tablet fails).
    Tablet,
    /// Paper only: tablets that have not voted are refused.
    Paper,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Tablet => "tablet",
            Mode::Paper => "paper",
        }
    }
    pub fn parse(s: &str) -> Option<Mode> {
        [Mode::Tablet, Mode::Paper]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// What one counter read off one paper ballot: a mark per project as read
/// (`for`/`against`/`abstain`/`unclear`), or the whole ballot unreadable.
/// An unmarked project is 弃权, so `abstain` marks are dropped and two
/// readings that differ only in writing it out agree.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reading {
    #[serde(default)]
    pub marks: BTreeMap<CandidateId, Mark>,
    #[serde(default)]
    pub unreadable: bool,
}

impl Reading {
    /// The reading in its one form: no `abstain`, no marks when unreadable.
    pub fn normalized(mut self) -> Reading {
        if self.unreadable {
            self.marks.clear();
        }
        self.marks.retain(|_, m| *m != Mark::Abstain);
        self
    }

    /// The marks as the chain takes them.
    pub fn marks(&self) -> Result<Marks, DuplicateMark> {
        Marks::new(self.marks.iter().map(|(c, m)| (*c, *m)).collect())
    }
}

/// A scanned or typed ballot code: the QR text `MSV1|election|round|credential`
/// or the credential alone (typed from the printed groups).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("选票代码无法识别: {0}")]
    Unreadable(String),
    #[error("这张选票不属于本轮投票（二维码属于 {found}，本轮是 {expected}）")]
    OtherRound { found: String, expected: String },
}

/// Reads what a USB scanner typed (or a person typed) into a credential of
/// this round.
pub fn read_code(
    text: &str,
    election_id: &ElectionId,
    round: u64,
) -> Result<Credential, CodeError> {
    let text = text.trim();
    if text.len() > 200 {
        return Err(CodeError::Unreadable("过长".into()));
    }
    if text
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("MSV1|"))
    {
        let qr = QrBallot::parse(text).map_err(|e| CodeError::Unreadable(e.to_string()))?;
        if qr.election_id != *election_id || qr.round != round {
            return Err(CodeError::OtherRound {
                found: format!("{} 第 {} 轮", qr.election_id, qr.round),
                expected: format!("{election_id} 第 {round} 轮"),
            });
        }
        return Ok(qr.credential);
    }
    Credential::parse(text).map_err(|e| CodeError::Unreadable(e.to_string()))
}

/// Why a paper ballot from the box is set aside for the scrutineers.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetAside {
    /// Its credential was already used, on a tablet or on paper.
    Duplicate,
    /// Not a ballot of this round (another round's code, or no printed ballot).
    Foreign,
    /// A printed ballot voided before the count (spoiled or returned unused).
    Voided,
}

impl SetAside {
    pub fn as_str(self) -> &'static str {
        match self {
            SetAside::Duplicate => "duplicate",
            SetAside::Foreign => "foreign",
            SetAside::Voided => "voided",
        }
    }
    pub fn parse(s: &str) -> Option<SetAside> {
        [SetAside::Duplicate, SetAside::Foreign, SetAside::Voided]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            SetAside::Duplicate => "重复（凭证已投过票）",
            SetAside::Foreign => "非本轮选票",
            SetAside::Voided => "已作废的选票",
        }
    }
}

/// Where a ballot stands after a counter's entry.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Entered {
    /// The first reading: it waits for a second counter.
    Waiting,
    /// Two counters agree: the ballot is in the log.
    Appended(Receipt),
    /// Two counters differ: it waits for the chief scrutineer.
    Disputed,
}

/// Whose reading of a paper ballot is being entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadBy {
    /// One of the two counters (计票人): double entry.
    Counter,
    /// The chief scrutineer (总监票人) ruling on a disputed ballot.
    Chief,
}

/// The second reading against the first.
pub fn agree(a: &Reading, b: &Reading) -> bool {
    a.clone().normalized() == b.clone().normalized()
}

/// 发出: tablets and paper. After the switch to paper a tablet ballot that
/// never came back is cancelled (that deputy is handed paper), so only the
/// tablet ballots returned count as issued.
pub fn issued(mode: Mode, tablet_issued: u64, tablet_returned: u64, paper_handed_out: u64) -> u64 {
    match mode {
        Mode::Tablet => tablet_issued + paper_handed_out,
        Mode::Paper => tablet_returned + paper_handed_out,
    }
}

/// The paper side of a round, as the close check needs it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaperTally {
    /// Ballots printed (voided ones included).
    pub printed: u64,
    pub voided: u64,
    /// 发出 (paper), as staff recorded it.
    pub handed_out: u64,
    /// 收回: the scrutineers' physical count of the box, once typed.
    pub box_count: Option<u64>,
    /// Paper ballots in the log (void ones included).
    pub entered: u64,
    /// Physical ballots from the box set aside (duplicates, foreign, voided).
    pub set_aside: u64,
    /// Ballots read by one counter only, or disputed.
    pub pending: u64,
    /// The chief scrutineer accepted a count that does not match.
    pub overridden: bool,
}

/// Why a round cannot close yet.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CloseBlock {
    #[error("尚有 {0} 张纸质选票未完成双人录入或等待总监票人裁定")]
    Pending(u64),
    #[error("请监票人先录入票箱清点的纸质选票张数（收回）")]
    NoBoxCount,
    #[error("票箱清点 {box_count} 张，与已录入 {accounted} 张（计入 {entered}，另放 {set_aside}）不一致；须总监票人确认后才能结束")]
    Mismatch {
        box_count: u64,
        accounted: u64,
        entered: u64,
        set_aside: u64,
    },
}

/// Why a number of paper ballots handed out cannot be right.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandedOutError {
    #[error("发出选票不能多于实到人数：实到 {present}，平板已发出 {tablets}")]
    OverPresent { present: u64, tablets: u64 },
    #[error("发出张数多于已打印的有效选票 {usable} 张")]
    OverPrinted { usable: u64 },
}

impl PaperTally {
    /// 发出 on paper: with the tablet ballots it may not exceed 实到
    /// (`issued <= present`), nor the printed ballots not voided.
    pub fn check_handed_out(
        &self,
        count: u64,
        tablets: u64,
        present: u64,
    ) -> Result<(), HandedOutError> {
        if tablets + count > present {
            return Err(HandedOutError::OverPresent { present, tablets });
        }
        let usable = self.printed.saturating_sub(self.voided);
        if count > usable {
            return Err(HandedOutError::OverPrinted { usable });
        }
        Ok(())
    }

    /// Every ballot from the box entered or set aside, and the box count
    /// matching it (or the chief scrutineer's recorded override).
    pub fn close_check(&self) -> Result<(), CloseBlock> {
        if self.pending > 0 {
            return Err(CloseBlock::Pending(self.pending));
        }
        let used = self.handed_out > 0 || self.entered > 0 || self.set_aside > 0;
        if !used || self.overridden {
            return Ok(());
        }
        let accounted = self.entered + self.set_aside;
        match self.box_count {
            None => Err(CloseBlock::NoBoxCount),
            Some(b) if b != accounted => Err(CloseBlock::Mismatch {
                box_count: b,
                accounted,
                entered: self.entered,
                set_aside: self.set_aside,
            }),
            Some(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(marks: &[(&str, Mark)], unreadable: bool) -> Reading {
        Reading {
            marks: marks
                .iter()
                .map(|(c, m)| (CandidateId::parse(c).unwrap(), *m))
                .collect(),
            unreadable,
        }
    }

    #[test]
    fn readings_agree_up_to_written_out_abstentions() {
        let a = r(&[("P01", Mark::For), ("P02", Mark::Abstain)], false);
        let b = r(&[("P01", Mark::For)], false);
        assert!(agree(&a, &b));
        assert!(!agree(&a, &r(&[("P01", Mark::Unclear)], false)));
        assert!(!agree(
            &a,
            &r(&[("P01", Mark::For), ("P03", Mark::For)], false)
        ));
        // Unreadable ballots agree whatever marks were typed before the box was ticked.
        assert!(agree(&r(&[("P01", Mark::For)], true), &r(&[], true)));
        assert!(!agree(&r(&[], true), &r(&[], false)));
        assert_eq!(a.normalized().marks().unwrap().len(), 1);
    }

    #[test]
    fn codes_are_read_from_qr_text_or_typed_groups() {
        let e = ElectionId::parse("shiguai-2027").unwrap();
        let c = Credential::from_bytes([7; 16]);
        assert_eq!(read_code(&c.qr_text(&e, 1), &e, 1).unwrap(), c);
        assert_eq!(
            read_code(&format!("  {}\n", c.grouped()), &e, 1).unwrap(),
            c
        );
        assert!(matches!(
            read_code(&c.qr_text(&e, 2), &e, 1),
            Err(CodeError::OtherRound { .. })
        ));
        let other = ElectionId::parse("other-2027").unwrap();
        assert!(matches!(
            read_code(&c.qr_text(&other, 1), &e, 1),
            Err(CodeError::OtherRound { .. })
        ));
        assert!(matches!(
            read_code("MSV1|x", &e, 1),
            Err(CodeError::Unreadable(_))
        ));
        assert!(matches!(
            read_code(&"A".repeat(500), &e, 1),
            Err(CodeError::Unreadable(_))
        ));
    }

    #[test]
    fn issued_counts_tablets_then_paper_after_the_switch() {
        assert_eq!(issued(Mode::Tablet, 30, 20, 5), 35);
        // 10 tablets never voted; their deputies are handed paper instead.
        assert_eq!(issued(Mode::Paper, 30, 20, 10), 30);
    }

    #[test]
    fn handed_out_stays_within_present_and_printed() {
        let t = PaperTally {
            printed: 12,
            voided: 2,
            ..Default::default()
        };
        assert_eq!(t.check_handed_out(10, 8, 18), Ok(()));
        assert_eq!(
            t.check_handed_out(11, 8, 18),
            Err(HandedOutError::OverPresent {
                present: 18,
                tablets: 8
            })
        );
        assert_eq!(
            t.check_handed_out(11, 0, 30),
            Err(HandedOutError::OverPrinted { usable: 10 })
        );
    }

    #[test]
    fn the_round_closes_only_with_the_box_accounted_for() {
        let none = PaperTally::default();
        assert_eq!(
            none.close_check(),
            Ok(()),
            "a tablet-only round needs no box count"
        );
        let mut t = PaperTally {
            printed: 12,
            handed_out: 10,
            entered: 9,
            set_aside: 1,
            pending: 1,
            ..Default::default()
        };
        assert_eq!(t.close_check(), Err(CloseBlock::Pending(1)));
        t.pending = 0;
        assert_eq!(t.close_check(), Err(CloseBlock::NoBoxCount));
        t.box_count = Some(11);
        assert!(matches!(
            t.close_check(),
            Err(CloseBlock::Mismatch { accounted: 10, .. })
        ));
        t.overridden = true;
        assert_eq!(t.close_check(), Ok(()));
        t.overridden = false;
        t.box_count = Some(10);
        assert_eq!(t.close_check(), Ok(()));
    }
}
