//! 纸质选票与计票 (HTTP): printing, handing out, voiding, the switch to
//! paper, double entry by the counters, the chief scrutineer's rulings, the
//! box count and runoff rounds. Routes are listed in [`super::router`].

use super::*;
use crate::paper::{read_code, CodeError, Entered, Mode, Reading};
use crate::store::PaperOutcome;
use std::collections::BTreeMap;

const SCRUTINEERS: &[StaffRole] = &[StaffRole::ChiefScrutineer, StaffRole::Scrutineer];
const CHIEF: &[StaffRole] = &[StaffRole::ChiefScrutineer];
const COUNTERS: &[StaffRole] = &[StaffRole::Counter];
const PAPER_WATCHERS: &[StaffRole] = &[
    StaffRole::Secretariat,
    StaffRole::ChiefScrutineer,
    StaffRole::Scrutineer,
    StaffRole::Counter,
];
const VOIDERS: &[StaffRole] = &[
    StaffRole::Secretariat,
    StaffRole::ChiefScrutineer,
    StaffRole::Scrutineer,
];
/// The most ballots one print job may take.
const MAX_PRINT: u64 = 5000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CountReq {
    count: u64,
}

fn print_url(id: i64, batch: i64) -> String {
    format!("/console/print/{id}/{batch}")
}

/// 打印: takes fresh credentials for `count` paper ballots.
pub(super) async fn print(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(req): Json<CountReq>,
) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, SECRETARIAT, true).await?;
    if req.count == 0 || req.count > MAX_PRINT {
        return Err(ApiError::bad(format!("打印张数应在 1 到 {MAX_PRINT} 之间")));
    }
    let (batch, creds) = st.store.print_paper(id, req.count).await?;
    Ok(Json(
        json!({"batch": batch, "count": creds.len(), "url": print_url(id, batch)}),
    ))
}

#[derive(Deserialize)]
pub(super) struct PrintQuery {
    per_page: Option<u8>,
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
    pub manifest_short: String,
    pub candidates: Vec<SheetCandidate>,
    pub sheets: Vec<Sheet>,
    pub two_per_page: bool,
    pub batch: i64,
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
        BallotSheets {
            title: manifest.title.clone(),
            assembly: manifest.assembly.clone(),
            round: manifest.round,
            seats: manifest.rules.seats,
            max_for: manifest.rules.max_for,
            for_only: manifest.rules.marks == MarkSet::ForOnly,
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
            batch,
        }
    }
}

pub(super) async fn print_page(
    State(st): St,
    headers: HeaderMap,
    Path((id, batch)): Path<(i64, i64)>,
    axum::extract::Query(q): axum::extract::Query<PrintQuery>,
) -> ApiResult<Response> {
    staff(&st, &headers, SECRETARIAT, false).await?;
    let row = st.store.round(id).await?;
    let signed = row.manifest.ok_or_else(|| ApiError::bad("本轮尚未开始"))?;
    let creds = st.store.paper_batch(id, batch).await?;
    let sheets = BallotSheets::new(
        &signed.body,
        &signed.body_hash(),
        &creds,
        q.per_page == Some(2),
        batch,
    );
    let mut resp = page(sheets);
    // Live credentials: never kept by a browser or a proxy.
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VoidReq {
    code: String,
    /// `spoiled` (reprinted on a fresh credential) or `unused` (handed back).
    reason: String,
}

/// The round's ids, for reading a scanned code.
async fn round_ids(st: &AppState, id: i64) -> ApiResult<(ElectionId, u64)> {
    let (e, r, _) = st.store.round_rules(id).await?;
    Ok((
        ElectionId::parse(&e).map_err(|e| ApiError::bad(e.to_string()))?,
        r,
    ))
}

fn code_error(e: CodeError) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "code", e.to_string())
}

/// 作废: a spoiled ballot (reprinted) or an unused one scanned back.
pub(super) async fn void(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(req): Json<VoidReq>,
) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, VOIDERS, true).await?;
    let spoiled = match req.reason.as_str() {
        "spoiled" => true,
        "unused" => false,
        other => {
            return Err(ApiError::bad(format!(
                "作废原因 {other:?} 无效（spoiled 或 unused）"
            )))
        }
    };
    let (e, r) = round_ids(&st, id).await?;
    let cred = read_code(&req.code, &e, r).map_err(code_error)?;
    let reprint = st
        .store
        .void_paper(id, cred.commitment(&e, r), spoiled)
        .await?;
    Ok(Json(json!({
        "voided": true,
        "reprint": reprint.map(|(batch, _)| json!({"batch": batch, "url": print_url(id, batch)})),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ModeReq {
    mode: String,
}

/// 改用纸质选票: from here tablets that have not voted are refused.
pub(super) async fn set_mode(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(req): Json<ModeReq>,
) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, SECRETARIAT, true).await?;
    let mode = Mode::parse(&req.mode).ok_or_else(|| ApiError::bad("mode 应为 tablet 或 paper"))?;
    st.store.set_mode(id, mode).await?;
    Ok(Json(json!({"ok": true, "mode": mode})))
}

/// 发出 (paper).
pub(super) async fn handed_out(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(req): Json<CountReq>,
) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, SECRETARIAT, true).await?;
    st.store.set_handed_out(id, req.count).await?;
    Ok(Json(json!({"ok": true})))
}

/// 收回: the box, counted by the scrutineers.
pub(super) async fn box_count(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(req): Json<CountReq>,
) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, SCRUTINEERS, true).await?;
    st.store.set_box_count(id, req.count).await?;
    Ok(Json(json!({"ok": true})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OverrideReq {
    note: String,
}

/// The chief scrutineer accepts a box count that does not match.
pub(super) async fn override_box(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(req): Json<OverrideReq>,
) -> ApiResult<Json<serde_json::Value>> {
    let chief = staff(&st, &headers, CHIEF, true).await?;
    let note = req.note.trim().to_string();
    if note.is_empty() || note.chars().count() > 500 {
        return Err(ApiError::bad("请写明确认的理由（500 字以内）"));
    }
    st.store.override_box(id, chief.id, note).await?;
    Ok(Json(json!({"ok": true})))
}

/// The paper side of a round; the readings of disputed ballots only for
/// the chief scrutineer (a counter never sees another's reading).
pub(super) async fn status(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<serde_json::Value>> {
    let who = staff(&st, &headers, PAPER_WATCHERS, false).await?;
    let s = st.store.paper_status(id).await?;
    let disputes: Vec<_> = s
        .disputes
        .iter()
        .map(|d| {
            if who.role == StaffRole::ChiefScrutineer {
                json!({"commitment": d.commitment, "short": d.commitment.short(), "readings": d.readings})
            } else {
                json!({"short": d.commitment.short()})
            }
        })
        .collect();
    let set_aside: Vec<_> = s
        .set_aside
        .iter()
        .map(|(r, n)| json!({"reason": r, "label": r.label_zh(), "count": n}))
        .collect();
    Ok(Json(json!({
        "mode": s.mode, "tally": s.tally, "set_aside": set_aside, "disputes": disputes,
        "override_note": s.override_note,
        "close_block": s.tally.close_check().err().map(|e| e.to_string()),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EntryReq {
    /// What the scanner typed: `MSV1|…` or the credential's groups.
    code: String,
    #[serde(default)]
    marks: BTreeMap<CandidateId, Mark>,
    #[serde(default)]
    unreadable: bool,
    /// The page's id for this scan (a retry sends it again and gets the same answer).
    #[serde(default)]
    request: Option<String>,
}

fn outcome_json(o: PaperOutcome) -> ApiResult<Json<serde_json::Value>> {
    match o {
        PaperOutcome::Entered(Entered::Waiting) => Ok(Json(
            json!({"status": "waiting", "message": "已录入，请交另一位计票人复核录入"}),
        )),
        PaperOutcome::Entered(Entered::Disputed) => Ok(Json(
            json!({"status": "disputed", "message": "两次录入不一致，请将选票交总监票人裁定"}),
        )),
        PaperOutcome::Entered(Entered::Appended(r)) => Ok(Json(json!({
            "status": "appended", "message": "两次录入一致，已计入",
            "seq": r.seq, "hash": r.hash, "short": r.hash.short(),
        }))),
        PaperOutcome::SetAside(why) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "set_aside",
            format!("{}：不计入，请另放交监票人", why.label_zh()),
        )),
    }
}

/// 计票录入: one counter's reading of one paper ballot.
pub(super) async fn enter(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let counter = staff(&st, &headers, COUNTERS, true).await?;
    let req: EntryReq =
        parse_record(&body).map_err(|e| ApiError::bad(format!("录入内容有误: {e}")))?;
    if req.request.as_ref().is_some_and(|r| r.len() > 64) {
        return Err(ApiError::bad("request 过长"));
    }
    let (e, r) = round_ids(&st, id).await?;
    let cred = match read_code(&req.code, &e, r) {
        Ok(c) => c,
        Err(CodeError::OtherRound { .. }) => {
            st.store.set_aside_foreign(id, req.code.clone()).await?;
            return outcome_json(PaperOutcome::SetAside(crate::paper::SetAside::Foreign));
        }
        Err(err) => return Err(code_error(err)),
    };
    let reading = Reading {
        marks: req.marks,
        unreadable: req.unreadable,
    };
    let o = st
        .store
        .enter_paper(
            id,
            cred.commitment(&e, r),
            counter.id,
            reading,
            false,
            req.request,
        )
        .await?;
    outcome_json(o)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RulingReq {
    commitment: Hash,
    #[serde(default)]
    marks: BTreeMap<CandidateId, Mark>,
    #[serde(default)]
    unreadable: bool,
}

/// 总监票人裁定: the reading that counts for a disputed ballot.
pub(super) async fn rule(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let chief = staff(&st, &headers, CHIEF, true).await?;
    let req: RulingReq =
        parse_record(&body).map_err(|e| ApiError::bad(format!("裁定内容有误: {e}")))?;
    let reading = Reading {
        marks: req.marks,
        unreadable: req.unreadable,
    };
    let o = st
        .store
        .enter_paper(id, req.commitment, chief.id, reading, true, None)
        .await?;
    outcome_json(o)
}

/// 再次投票: a new draft round over the tied projects (or, by the rules, the
/// projects that did not pass), chained to this round's result.
pub(super) async fn runoff(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<serde_json::Value>> {
    staff(&st, &headers, SECRETARIAT, true).await?;
    let row = st.store.round(id).await?;
    if row.state != RoundState::Published {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_published",
            "本轮结果公布后才能安排再次投票",
        ));
    }
    let result = row.result.ok_or_else(|| ApiError::bad("no result"))?;
    let draft = crate::hall::next_draft(&row.draft, &result).ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "no_runoff",
            "本轮结果已确定，不需要再次投票",
        )
    })?;
    if st
        .store
        .rounds()
        .await?
        .iter()
        .any(|r| r.draft.previous_result == draft.previous_result)
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "已为本轮安排了再次投票",
        ));
    }
    check_draft(&st, &draft)?;
    let new_id = st.store.create_round(st.election_id, draft.clone()).await?;
    Ok(Json(json!({
        "id": new_id, "candidates": draft.candidates.iter().map(|c| c.id).collect::<Vec<_>>(),
        "seats": draft.rules.seats,
    })))
}

static_page! {
    pub(super) count_page => CountPage("count.html"),
}
