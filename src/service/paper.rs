//! 纸质选票与计票 (paper ballots and the count): printing, voiding, the
//! switch to paper, handing out, the box count, the counters' double entry
//! and the chief scrutineer's rulings. The rules are in [`crate::paper`];
//! each store call here is one transaction.

use super::present::{date_zh, qr_svg, yuan_wan};
use super::{cpu, Done, Services, DONE};
use crate::core::canon::Hash;
use crate::core::credential::Credential;
use crate::core::record::*;
use crate::error::{Code, Error, Result};
use crate::hall::StaffRole;
use crate::paper::{read_code, CodeError, Entered, Mode, PaperTally, ReadBy, Reading, SetAside};
use crate::store::{PaperOutcome, Staff};
use askama::Template;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most ballots one print job may take.
pub const MAX_PRINT: u64 = 5000;

pub fn print_url(id: i64, batch: i64) -> String {
    format!("/console/print/{id}/{batch}")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountReq {
    pub count: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PrintJob {
    pub batch: i64,
    pub count: usize,
    pub url: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoidReq {
    pub code: String,
    /// `spoiled` (reprinted on a fresh credential) or `unused` (handed back).
    pub reason: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Reprint {
    pub batch: i64,
    pub url: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Voided {
    pub voided: bool,
    pub reprint: Option<Reprint>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeReq {
    pub mode: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ModeSet {
    pub ok: bool,
    pub mode: Mode,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideReq {
    pub note: String,
}

/// A disputed ballot: its readings only for the chief scrutineer.
#[derive(Debug, Serialize, Deserialize)]
pub struct DisputeView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commitment: Option<Hash>,
    pub short: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readings: Option<Vec<(String, Reading)>>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SetAsideCount {
    pub reason: SetAside,
    pub label: String,
    pub count: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PaperView {
    pub mode: Mode,
    pub tally: PaperTally,
    pub set_aside: Vec<SetAsideCount>,
    pub disputes: Vec<DisputeView>,
    pub override_note: Option<String>,
    /// Why the round cannot close yet, if it cannot.
    pub close_block: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryReq {
    /// What the scanner typed: `MSV1|…` or the credential's groups.
    pub code: String,
    #[serde(default)]
    pub marks: BTreeMap<CandidateId, Mark>,
    #[serde(default)]
    pub unreadable: bool,
    /// The page's id for this scan (a retry sends it again and gets the same answer).
    #[serde(default)]
    pub request: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulingReq {
    pub commitment: Hash,
    #[serde(default)]
    pub marks: BTreeMap<CandidateId, Mark>,
    #[serde(default)]
    pub unreadable: bool,
}

/// What became of one reading.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum EntryAnswer {
    Waiting {
        message: String,
    },
    Disputed {
        message: String,
    },
    Appended {
        message: String,
        seq: u64,
        hash: Hash,
        short: String,
    },
}

/// One printed ballot: its QR code and its credential for reading aloud.
pub struct Sheet {
    pub qr_svg: String,
    pub groups: String,
}

pub struct SheetCandidate {
    pub no: usize,
    pub name: String,
    pub lead_unit: String,
    pub investment: String,
    pub deadline: String,
}

/// 纸质选票: A4 pages ready for the browser's print, one or two ballots a page.
#[derive(Template)]
#[template(path = "paper_ballots.html")]
pub struct BallotSheets {
    pub title: String,
    pub assembly: String,
    pub round: u64,
    pub seats: u64,
    pub max_for: u64,
    pub for_only: bool,
    /// A 满意度测评's ballot (满意 / 基本满意 / 不满意).
    pub review: bool,
    pub manifest_short: String,
    pub candidates: Vec<SheetCandidate>,
    pub sheets: Vec<Sheet>,
    pub two_per_page: bool,
    /// Two a page were asked for but do not fit: printed one a page, and
    /// the page says so.
    pub two_did_not_fit: bool,
    /// The QR code and the credential in words beside the heading rather
    /// than at the foot: two a page, or a long list one a page.
    pub qr_beside: bool,
    pub batch: i64,
}

/// Would a ballot with these projects fit half an A4 page (134 mm) in the
/// two-a-page layout? An estimate in millimetres of the layout's own sizes:
/// the heading with the QR beside it, the instructions, the table's header,
/// and each row — taller when a long name wraps in its column.
pub fn fits_two_per_page(candidates: &[SheetCandidate]) -> bool {
    const HALF_PAGE: f64 = 134.0;
    const FIXED: f64 = 32.0 + 13.0 + 5.0 + 6.0; // heading and QR, instructions, table head, margins
    const CHARS_PER_LINE: usize = 17; // the name column at 8.5 pt
    let rows: f64 = candidates
        .iter()
        .map(|c| {
            let lines = c.name.chars().count().div_ceil(CHARS_PER_LINE).max(1);
            (lines as f64 * 3.6 + 1.4).max(6.4)
        })
        .sum();
    FIXED + rows <= HALF_PAGE
}

impl BallotSheets {
    /// The sheets for `creds` under `manifest`.
    pub fn new(
        manifest: &Manifest,
        manifest_hash: &Hash,
        creds: &[Credential],
        two_per_page: bool,
        batch: i64,
    ) -> BallotSheets {
        let mut sheets = BallotSheets {
            title: manifest.title.clone(),
            assembly: manifest.assembly.clone(),
            round: manifest.round,
            seats: manifest.rules.seats,
            max_for: manifest.rules.max_for,
            for_only: manifest.rules.marks == MarkSet::ForOnly,
            review: manifest.is_review(),
            manifest_short: manifest_hash.short(),
            candidates: manifest
                .candidates
                .iter()
                .enumerate()
                .map(|(i, c)| SheetCandidate {
                    no: i + 1,
                    name: c.name.clone(),
                    lead_unit: c.lead_unit.clone(),
                    investment: yuan_wan(c.investment_yuan),
                    deadline: date_zh(c.deadline.as_str()),
                })
                .collect(),
            sheets: creds
                .iter()
                .map(|c| Sheet {
                    qr_svg: qr_svg(&c.qr_text(&manifest.election_id, manifest.round)),
                    groups: c.grouped(),
                })
                .collect(),
            two_per_page,
            two_did_not_fit: false,
            qr_beside: false,
            batch,
        };
        if two_per_page && !fits_two_per_page(&sheets.candidates) {
            sheets.two_per_page = false;
            sheets.two_did_not_fit = true;
        }
        sheets.qr_beside = sheets.two_per_page || sheets.candidates.len() > 12;
        sheets
    }
}

fn code_error(e: CodeError) -> Error {
    Error::new(Code::ScannedCode, e.to_string())
}

fn outcome(o: PaperOutcome) -> Result<EntryAnswer> {
    match o {
        PaperOutcome::Entered(Entered::Waiting) => Ok(EntryAnswer::Waiting {
            message: "已录入，请交另一位计票人复核录入".into(),
        }),
        PaperOutcome::Entered(Entered::Disputed) => Ok(EntryAnswer::Disputed {
            message: "两次录入不一致，请将选票交总监票人裁定".into(),
        }),
        PaperOutcome::Entered(Entered::Appended(r)) => Ok(EntryAnswer::Appended {
            message: "两次录入一致，已计入".into(),
            seq: r.seq,
            short: r.hash.short(),
            hash: r.hash,
        }),
        PaperOutcome::SetAside(why) => Err(Error::new(
            Code::SetAside,
            format!("{}：不计入，请另放交监票人", why.label_zh()),
        )),
    }
}

impl Services {
    /// The round's ids, for reading a scanned code.
    async fn round_ids(&self, id: i64) -> Result<(ElectionId, u64)> {
        let (e, r, _) = self.store.round_rules(id).await?;
        Ok((ElectionId::parse(&e).map_err(Error::internal)?, r))
    }

    /// 打印: takes fresh credentials for `count` paper ballots.
    pub async fn print_paper(&self, id: i64, count: u64) -> Result<PrintJob> {
        if count == 0 || count > MAX_PRINT {
            return Err(Error::bad(format!("打印张数应在 1 到 {MAX_PRINT} 之间")));
        }
        let (batch, creds) = self.store.print_paper(id, count).await?;
        Ok(PrintJob {
            batch,
            count: creds.len(),
            url: print_url(id, batch),
        })
    }

    /// A print batch as A4 HTML, drawn off the async workers.
    pub async fn print_sheets(&self, id: i64, batch: i64, two_per_page: bool) -> Result<String> {
        let row = self.store.round(id).await?;
        let signed = row
            .manifest
            .ok_or_else(|| Error::conflict("本轮尚未开始"))?;
        let creds = self.store.paper_batch(id, batch).await?;
        cpu(move || {
            BallotSheets::new(
                &signed.body,
                &signed.body_hash(),
                &creds,
                two_per_page,
                batch,
            )
            .render()
            .map_err(Error::internal)
        })
        .await
    }

    /// 作废: a spoiled ballot (reprinted on a fresh credential) or an
    /// unused one scanned back.
    pub async fn void_paper(&self, id: i64, req: VoidReq) -> Result<Voided> {
        let spoiled = match req.reason.as_str() {
            "spoiled" => true,
            "unused" => false,
            other => {
                return Err(Error::bad(format!(
                    "作废原因 {other:?} 无效（spoiled 或 unused）"
                )))
            }
        };
        let (e, r) = self.round_ids(id).await?;
        let cred = read_code(&req.code, &e, r).map_err(code_error)?;
        let reprint = self
            .store
            .void_paper(id, cred.commitment(&e, r), spoiled)
            .await?;
        Ok(Voided {
            voided: true,
            reprint: reprint.map(|(batch, _)| Reprint {
                batch,
                url: print_url(id, batch),
            }),
        })
    }

    /// 改用纸质选票: from here tablets that have not voted are refused.
    pub async fn set_mode(&self, id: i64, req: ModeReq) -> Result<ModeSet> {
        let mode = Mode::parse(&req.mode).ok_or_else(|| Error::bad("mode 应为 tablet 或 paper"))?;
        self.store.set_mode(id, mode).await?;
        Ok(ModeSet { ok: true, mode })
    }

    /// 发出 (paper).
    pub async fn handed_out(&self, id: i64, count: u64) -> Result<Done> {
        self.store.set_handed_out(id, count).await?;
        Ok(DONE)
    }

    /// 收回: the box, counted by the scrutineers.
    pub async fn box_count(&self, id: i64, count: u64) -> Result<Done> {
        self.store.set_box_count(id, count).await?;
        Ok(DONE)
    }

    /// The chief scrutineer accepts a box count that does not match.
    pub async fn override_box(&self, id: i64, chief: &Staff, req: OverrideReq) -> Result<Done> {
        let note = req.note.trim().to_string();
        if note.is_empty() || note.chars().count() > 500 {
            return Err(Error::bad("请写明确认的理由（500 字以内）"));
        }
        self.store.override_box(id, chief.id, note).await?;
        Ok(DONE)
    }

    /// The paper side of a round; the readings of disputed ballots only for
    /// the chief scrutineer (a counter never sees another's reading).
    pub async fn paper_status(&self, id: i64, who: &Staff) -> Result<PaperView> {
        self.store.round(id).await?;
        let s = self.store.paper_status(id).await?;
        let chief = who.role == StaffRole::ChiefScrutineer;
        Ok(PaperView {
            mode: s.mode,
            close_block: s.tally.close_check().err().map(|e| e.to_string()),
            tally: s.tally,
            set_aside: s
                .set_aside
                .iter()
                .map(|(r, n)| SetAsideCount {
                    reason: *r,
                    label: r.label_zh().to_string(),
                    count: *n,
                })
                .collect(),
            disputes: s
                .disputes
                .into_iter()
                .map(|d| DisputeView {
                    // The first groups of the credential printed under the QR.
                    short: d
                        .printed
                        .as_deref()
                        .and_then(|t| Credential::parse(t).ok())
                        .and_then(|c| c.grouped().get(..11).map(|g| format!("{g}…")))
                        .unwrap_or_else(|| d.commitment.short()),
                    commitment: chief.then_some(d.commitment),
                    readings: chief.then_some(d.readings),
                })
                .collect(),
            override_note: s.override_note,
        })
    }

    /// 计票录入: one counter's reading of one paper ballot.
    pub async fn enter_paper(
        &self,
        id: i64,
        counter: &Staff,
        req: EntryReq,
    ) -> Result<EntryAnswer> {
        if req.request.as_ref().is_some_and(|r| r.len() > 64) {
            return Err(Error::bad("request 过长"));
        }
        let (e, r) = self.round_ids(id).await?;
        let cred = match read_code(&req.code, &e, r) {
            Ok(c) => c,
            Err(CodeError::OtherRound { .. }) => {
                self.store.set_aside_foreign(id, req.code.clone()).await?;
                return outcome(PaperOutcome::SetAside(SetAside::Foreign));
            }
            Err(err) => return Err(code_error(err)),
        };
        let reading = Reading {
            marks: req.marks,
            unreadable: req.unreadable,
        };
        let o = self
            .store
            .enter_paper(
                id,
                cred.commitment(&e, r),
                counter.id,
                reading,
                ReadBy::Counter,
                req.request,
            )
            .await?;
        outcome(o)
    }

    /// 总监票人裁定: the reading that counts for a disputed ballot.
    pub async fn rule_paper(&self, id: i64, chief: &Staff, req: RulingReq) -> Result<EntryAnswer> {
        let reading = Reading {
            marks: req.marks,
            unreadable: req.unreadable,
        };
        let o = self
            .store
            .enter_paper(id, req.commitment, chief.id, reading, ReadBy::Chief, None)
            .await?;
        outcome(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(names: &[&str]) -> Vec<SheetCandidate> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| SheetCandidate {
                no: i + 1,
                name: n.to_string(),
                lead_unit: "区住房和城乡建设局".into(),
                investment: "100.00 万元".into(),
                deadline: "2027年12月31日".into(),
            })
            .collect()
    }

    #[test]
    fn two_a_page_while_the_list_fits_half_a_page() {
        let demo: Vec<String> = crate::demo::candidates()
            .into_iter()
            .map(|c| c.name)
            .collect();
        let demo: Vec<&str> = demo.iter().map(String::as_str).collect();
        assert!(fits_two_per_page(&named(&demo)), "the demo's 12 projects");
        assert!(fits_two_per_page(&named(&["短名"; 5])));
        assert!(
            !fits_two_per_page(&named(&["短名"; 20])),
            "20 projects do not fit half a page"
        );
        let long = "城区雨污分流改造及排水管网提升工程和背街小巷道路硬化";
        assert!(
            !fits_two_per_page(&named(&[long; 12])),
            "long names wrap and take room"
        );
    }
}
