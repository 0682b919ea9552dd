//! 存储 (storage): the one module that speaks SQL. SQLite in WAL mode with
//! `synchronous=FULL`: a receipt is returned only after its entry's
//! transaction is committed to disk.
//!
//! All writes go through one writer thread, which commits the ballots that
//! arrive together in one transaction (one fsync for a group, not one per
//! ballot) and keeps each open round's [`VoteLog`] in memory. Reads use their
//! own connection on a blocking thread; no connection is ever held across an
//! `.await`.

use crate::core::canon::{to_canonical_string, Hash};
use crate::core::chain::{Ballot, BallotError, VoteLog};
use crate::core::credential::Credential;
use crate::core::record::*;
use crate::core::tally::{Attendance, Tally};
use crate::hall::{RosterRow, RoundDraft, RoundState, StaffRole};
use crate::paper::{Mode, PaperTally};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use tokio::sync::oneshot;

mod paper;
mod upstream;
pub use paper::{Dispute, PaperOutcome, PaperStatus};
pub use upstream::{History, ProjectRow, SuggestionRow, UpRead, UpTx, YearRow};

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_hall.sql"),
    include_str!("../../migrations/0002_paper.sql"),
    include_str!("../../migrations/0003_upstream.sql"),
];
/// The database file in a data dir.
pub const DB_FILE: &str = "minsheng.db";
/// The most ballots committed in one transaction.
const MAX_GROUP: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}不存在")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    /// Input that breaks a rule of the domain, every problem named.
    #[error("{0}")]
    Invalid(String),
    #[error("数据库错误: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("存储已关闭")]
    Closed,
    #[error("记录损坏: {0}")]
    Corrupt(String),
    /// The disk is full, read-only or failing (as a ballot's append found).
    #[error("磁盘已满或无法写入: {0}")]
    Disk(String),
}

impl StoreError {
    /// The disk is full, read-only or failing: nothing was written, and the
    /// same request can succeed once the disk is put right.
    pub fn is_disk(&self) -> bool {
        use rusqlite::ErrorCode::{CannotOpen, DiskFull, ReadOnly, SystemIoFailure};
        match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                matches!(e.code, DiskFull | ReadOnly | SystemIoFailure | CannotOpen)
            }
            StoreError::Disk(_) => true,
            _ => false,
        }
    }
}

/// Why a submitted ballot got no receipt.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error(transparent)]
    Ballot(#[from] BallotError),
    #[error("本轮投票未开始或已结束 (the round is not open)")]
    NotOpen,
    #[error("本轮已改为纸质投票，平板不能再投票，请领取纸质选票 (the round takes paper only)")]
    PaperOnly,
    #[error("这是纸质选票的凭证，只能由计票人录入 (a paper ballot's credential)")]
    PaperCredential,
    #[error("选票未能保存，请重试 (not stored: {0})")]
    Storage(String),
    /// Not stored because the disk is full, read-only or failing.
    #[error("磁盘已满或无法写入，选票未能保存，请重试 (disk: {0})")]
    Disk(String),
}

impl SubmitError {
    /// The ballot could not be stored because of `e`.
    fn storage(e: &StoreError) -> SubmitError {
        if e.is_disk() {
            SubmitError::Disk(e.to_string())
        } else {
            SubmitError::Storage(e.to_string())
        }
    }
}

type WriteJob = Box<dyn FnOnce(&mut Writer) + Send>;
type BallotReply = oneshot::Sender<Result<Receipt, SubmitError>>;

enum Job {
    Write(WriteJob),
    Ballot {
        round_id: i64,
        ballot: Ballot,
        reply: oneshot::Sender<Result<Receipt, SubmitError>>,
    },
}

/// The handle the server holds: cheap to clone.
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
    reader: Arc<Mutex<Connection>>,
    path: PathBuf,
    disk: Arc<DiskHealth>,
}

/// How long a failed write keeps the disk marked as in trouble, unless a
/// write succeeds first.
const DISK_TROUBLE_FOR: std::time::Duration = std::time::Duration::from_secs(600);

/// When a write last failed for the disk's sake; cleared by a write that
/// stored something. Set and cleared by the writer thread only.
#[derive(Default)]
struct DiskHealth(Mutex<Option<std::time::Instant>>);

impl DiskHealth {
    fn failed(&self) {
        if let Ok(mut t) = self.0.lock() {
            *t = Some(std::time::Instant::now());
        }
    }
    fn wrote(&self) {
        if let Ok(mut t) = self.0.lock() {
            *t = None;
        }
    }
    fn last_failure(&self) -> Option<std::time::Instant> {
        self.0.lock().ok().and_then(|t| *t)
    }
}

/// A staff account as the web edge sees it.
#[derive(Clone, Debug)]
pub struct Staff {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: StaffRole,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Deputy {
    pub id: i64,
    pub number: String,
    pub name: String,
    pub delegation: String,
    pub seat: String,
    pub present: bool,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct RoundRow {
    pub id: i64,
    pub election_id: String,
    pub round: u64,
    pub state: RoundState,
    pub draft: RoundDraft,
    #[serde(skip)]
    pub manifest: Option<Signed<Manifest>>,
    pub present: Option<u64>,
    pub result: Option<ResultBody>,
}

/// 发出/收回: the numbers the console shows while a round is open.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct RoundCounts {
    pub total_deputies: u64,
    pub present: u64,
    /// Tablets and paper (see [`crate::paper::issued`]).
    pub issued: u64,
    /// Ballots in the log, both channels.
    pub returned: u64,
    pub mode: Mode,
    pub tablet_issued: u64,
    pub paper: PaperTally,
}

fn open_connection(path: &Path) -> Result<Connection, rusqlite::Error> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Deleted rows (issued credentials) are overwritten, not left in free pages.
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    let version: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
    }
    Ok(())
}

impl Store {
    /// Opens (creating if need be) `DIR/minsheng.db`, applies the migrations
    /// and starts the writer thread.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Corrupt(format!("{}: {e}", dir.display())))?;
        let path = dir.join(DB_FILE);
        let mut conn = open_connection(&path)?;
        migrate(&mut conn)?;
        let reader = open_connection(&path)?;
        let (tx, rx) = mpsc::channel::<Job>();
        let disk = Arc::new(DiskHealth::default());
        let writer = Writer {
            conn,
            logs: HashMap::new(),
            disk: disk.clone(),
        };
        std::thread::Builder::new()
            .name("minsheng-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(Store {
            jobs: tx,
            reader: Arc::new(Mutex::new(reader)),
            path,
            disk,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A write failed for the disk's sake (full, read-only, failing) in the
    /// last ten minutes, and nothing has been written since.
    pub fn disk_trouble(&self) -> bool {
        self.disk
            .last_failure()
            .is_some_and(|t| t.elapsed() < DISK_TROUBLE_FOR)
    }

    /// Runs `f` on the writer thread, in its own transaction.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.write_with(move |w| {
            let tx = w.conn.transaction()?;
            let v = f(&tx)?;
            tx.commit()?;
            Ok(v)
        })
        .await
    }

    /// Runs `f` on the writer thread with the writer's whole state.
    async fn write_with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Writer) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, rx) = oneshot::channel();
        let job: WriteJob = Box::new(move |w| {
            let before = w.conn.total_changes();
            let r = f(w);
            w.note_disk(
                r.is_ok(),
                r.as_ref().is_err_and(StoreError::is_disk),
                before,
            );
            let _ = reply.send(r);
        });
        self.jobs
            .send(Job::Write(job))
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` on the read connection, on a blocking thread.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || {
            let conn = reader.lock().map_err(|_| StoreError::Closed)?;
            f(&conn)
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }

    /// Appends a ballot; the receipt comes back only once it is on disk.
    /// Submitting the same ballot again (a retry) returns the same receipt.
    pub async fn submit(&self, round_id: i64, ballot: Ballot) -> Result<Receipt, SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.jobs
            .send(Job::Ballot {
                round_id,
                ballot,
                reply,
            })
            .map_err(|_| SubmitError::Storage("writer stopped".into()))?;
        rx.await
            .map_err(|_| SubmitError::Storage("writer stopped".into()))?
    }

    // --- staff and sessions -------------------------------------------------

    pub async fn create_staff(
        &self,
        username: String,
        display_name: String,
        role: StaffRole,
        password_hash: String,
    ) -> Result<i64, StoreError> {
        self.write(move |tx| {
            let n = tx.execute(
                "INSERT INTO staff (username, display_name, role, password_hash) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(username) DO NOTHING",
                params![username, display_name, role.as_str(), password_hash],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(format!("用户名 {username} 已存在")));
            }
            Ok(tx.last_insert_rowid())
        })
        .await
    }

    /// Sets a staff account's password hash and ends all its sessions.
    pub async fn reset_password(
        &self,
        username: String,
        password_hash: String,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            let id: Option<i64> = tx
                .query_row(
                    "SELECT id FROM staff WHERE username = ?1",
                    [&username],
                    |r| r.get(0),
                )
                .optional()?;
            let id = id.ok_or(StoreError::NotFound("工作人员账号"))?;
            tx.execute(
                "UPDATE staff SET password_hash = ?2 WHERE id = ?1",
                params![id, password_hash],
            )?;
            tx.execute("DELETE FROM staff_sessions WHERE staff_id = ?1", [id])?;
            Ok(())
        })
        .await
    }

    pub async fn staff_count(&self) -> Result<u64, StoreError> {
        self.read(|c| Ok(c.query_row("SELECT COUNT(*) FROM staff", [], |r| r.get(0))?))
            .await
    }

    /// The account and its password hash.
    pub async fn staff_by_username(
        &self,
        username: String,
    ) -> Result<Option<(Staff, String)>, StoreError> {
        self.read(move |c| {
            c.query_row(
                "SELECT id, username, display_name, role, password_hash FROM staff WHERE username = ?1",
                [&username],
                |r| Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?, r.get(4)?)),
            )
            .optional()?
            .map(|(id, username, display_name, role, hash)| {
                let role = StaffRole::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?;
                Ok((Staff { id, username, display_name, role }, hash))
            })
            .transpose()
        })
        .await
    }

    pub async fn create_session(
        &self,
        token_hash: String,
        staff_id: i64,
        csrf: String,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute("DELETE FROM staff_sessions WHERE expires_at < ?1", [expires_at - 2 * 86400])?;
            tx.execute(
                "INSERT INTO staff_sessions (token_hash, staff_id, csrf, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![token_hash, staff_id, csrf, expires_at],
            )?;
            Ok(())
        })
        .await
    }

    /// The signed-in staff member and the session's CSRF token.
    pub async fn session(
        &self,
        token_hash: String,
        now: i64,
    ) -> Result<Option<(Staff, String)>, StoreError> {
        self.read(move |c| {
            c.query_row(
                "SELECT s.id, s.username, s.display_name, s.role, x.csrf FROM staff_sessions x
                 JOIN staff s ON s.id = x.staff_id WHERE x.token_hash = ?1 AND x.expires_at > ?2",
                params![token_hash, now],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get::<_, String>(3)?,
                        r.get(4)?,
                    ))
                },
            )
            .optional()?
            .map(|(id, username, display_name, role, csrf)| {
                let role = StaffRole::parse(&role)
                    .ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?;
                Ok((
                    Staff {
                        id,
                        username,
                        display_name,
                        role,
                    },
                    csrf,
                ))
            })
            .transpose()
        })
        .await
    }

    pub async fn delete_session(&self, token_hash: String) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM staff_sessions WHERE token_hash = ?1",
                [token_hash],
            )?;
            Ok(())
        })
        .await
    }

    // --- settings -------------------------------------------------------------

    pub async fn set_setting(&self, key: &'static str, value: String) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
            Ok(())
        })
        .await
    }

    pub async fn setting(&self, key: &'static str) -> Result<Option<String>, StoreError> {
        self.read(move |c| {
            Ok(
                c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
        .await
    }

    // --- deputies ---------------------------------------------------------------

    /// Replaces the roster (only before any round has opened). Each deputy
    /// gets a 6-digit 签到码 for checking in on a tablet.
    pub async fn import_roster(&self, rows: Vec<RosterRow>) -> Result<usize, StoreError> {
        let codes: Vec<String> = rows
            .iter()
            .map(|_| random_digits(6))
            .collect::<Result<_, _>>()?;
        self.write(move |tx| {
            let opened: i64 = tx.query_row("SELECT COUNT(*) FROM rounds WHERE state != 'draft'", [], |r| r.get(0))?;
            if opened > 0 {
                return Err(StoreError::Conflict("已有轮次开始投票，名册不能再更换".into()));
            }
            tx.execute("DELETE FROM tablet_sessions", [])?;
            tx.execute("DELETE FROM deputies", [])?;
            let mut ins = tx.prepare(
                "INSERT INTO deputies (number, name, delegation, seat, checkin_code) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (r, code) in rows.iter().zip(&codes) {
                ins.execute(params![r.number, r.name, r.delegation, r.seat, code])?;
            }
            Ok(rows.len())
        })
        .await
    }

    pub async fn deputies(&self) -> Result<Vec<Deputy>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT id, number, name, delegation, seat, present FROM deputies ORDER BY number",
            )?;
            let rows = st
                .query_map([], deputy_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// The 签到码 of every deputy, for printing seat cards.
    pub async fn checkin_codes(&self) -> Result<Vec<(Deputy, String)>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT id, number, name, delegation, seat, present, checkin_code FROM deputies ORDER BY number",
            )?;
            let rows = st.query_map([], |r| Ok((deputy_row(r)?, r.get(6)?)))?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// 签到 by staff (or undone).
    pub async fn set_present(&self, deputy_id: i64, present: bool) -> Result<(), StoreError> {
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE deputies SET present = ?2 WHERE id = ?1",
                params![deputy_id, present],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound("代表"));
            }
            Ok(())
        })
        .await
    }

    /// 签到 on a tablet: the deputy's number and 签到码; opens a tablet session.
    pub async fn tablet_checkin(
        &self,
        number: String,
        code: String,
        token_hash: String,
    ) -> Result<Deputy, StoreError> {
        self.write(move |tx| {
            let d = tx
                .query_row(
                    "SELECT id, number, name, delegation, seat, present, checkin_code FROM deputies WHERE number = ?1",
                    [&number],
                    |r| Ok((deputy_row(r)?, r.get::<_, String>(6)?)),
                )
                .optional()?;
            let Some((mut d, expected)) = d else {
                return Err(StoreError::NotFound("该代表编号"));
            };
            if !constant_time_eq(expected.as_bytes(), code.trim().as_bytes()) {
                return Err(StoreError::Conflict("签到码不正确".into()));
            }
            tx.execute("UPDATE deputies SET present = 1 WHERE id = ?1", [d.id])?;
            tx.execute(
                "INSERT INTO tablet_sessions (token_hash, deputy_id) VALUES (?1, ?2)",
                params![token_hash, d.id],
            )?;
            d.present = true;
            Ok(d)
        })
        .await
    }

    pub async fn tablet_deputy(&self, token_hash: String) -> Result<Option<Deputy>, StoreError> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT d.id, d.number, d.name, d.delegation, d.seat, d.present FROM tablet_sessions t
                 JOIN deputies d ON d.id = t.deputy_id WHERE t.token_hash = ?1",
                [token_hash],
                deputy_row,
            )
            .optional()?)
        })
        .await
    }

    // --- rounds -------------------------------------------------------------------

    pub async fn create_round(
        &self,
        election_id: ElectionId,
        draft: RoundDraft,
    ) -> Result<i64, StoreError> {
        self.write(move |tx| insert_round(tx, &election_id, &draft))
            .await
    }

    /// Replaces a draft round's candidates and rules (only while a draft).
    pub async fn update_draft(&self, round_id: i64, draft: RoundDraft) -> Result<(), StoreError> {
        let json = to_canonical_string(&draft);
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE rounds SET draft_json = ?2 WHERE id = ?1 AND state = 'draft'",
                params![round_id, json],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(
                    "只有准备中的轮次可以修改；投票开始后清单不能再改".into(),
                ));
            }
            Ok(())
        })
        .await
    }

    /// What a ballot submission needs of its round, without parsing the
    /// manifest: the election id, the round number and the rules.
    pub async fn round_rules(&self, round_id: i64) -> Result<(String, u64, Rules), StoreError> {
        self.read(move |c| {
            let (e, r, draft): (String, u64, String) = c
                .query_row(
                    "SELECT election_id, round, draft_json FROM rounds WHERE id = ?1",
                    [round_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?
                .ok_or(StoreError::NotFound("轮次"))?;
            let d: RoundDraft =
                parse_record(draft.as_bytes()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok((e, r, d.rules))
        })
        .await
    }

    pub async fn rounds(&self) -> Result<Vec<RoundRow>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare(&format!("{ROUND_SELECT} ORDER BY election_id, round"))?;
            let rows = st
                .query_map([], round_row)?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().collect()
        })
        .await
    }

    pub async fn round(&self, round_id: i64) -> Result<RoundRow, StoreError> {
        self.read(move |c| load_round(c, round_id)).await
    }

    /// Opens a draft round: stores the signed manifest and the shuffled raw
    /// credentials to hand out. From here on nothing in the manifest changes.
    pub async fn open_round(
        &self,
        round_id: i64,
        manifest: Signed<Manifest>,
        stack: Vec<Credential>,
    ) -> Result<(), StoreError> {
        let json = to_canonical_string(&manifest);
        self.write_with(move |w| {
            let tx = w.conn.transaction()?;
            let n = tx.execute(
                "UPDATE rounds SET state = 'open', manifest_json = ?2 WHERE id = ?1 AND state = 'draft'",
                params![round_id, json],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict("只有准备中的轮次可以开始".into()));
            }
            let other: i64 = tx.query_row(
                "SELECT COUNT(*) FROM rounds WHERE state = 'open' AND id != ?1",
                [round_id],
                |r| r.get(0),
            )?;
            if other > 0 {
                return Err(StoreError::Conflict("已有一轮正在投票，请先结束".into()));
            }
            {
                let mut ins =
                    tx.prepare("INSERT INTO credential_stack (round_id, slot, credential) VALUES (?1, ?2, ?3)")?;
                for (slot, c) in stack.iter().enumerate() {
                    ins.execute(params![round_id, slot as i64, c.text()])?;
                }
            }
            tx.commit()?;
            w.logs.remove(&round_id);
            Ok(())
        })
        .await
    }

    /// The round open for voting, if any.
    pub async fn open_round_id(&self) -> Result<Option<i64>, StoreError> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT id FROM rounds WHERE state = 'open'", [], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
        .await
    }

    /// Hands a deputy's tablet its one ballot for the round: a credential
    /// from the stack, deleted from the database as it is handed out. The
    /// only record kept is that this deputy has had a ballot.
    pub async fn issue_ballot(
        &self,
        round_id: i64,
        deputy_id: i64,
    ) -> Result<Credential, StoreError> {
        self.write(move |tx| {
            let state: Option<String> =
                tx.query_row("SELECT state FROM rounds WHERE id = ?1", [round_id], |r| r.get(0)).optional()?;
            if state.as_deref() != Some("open") {
                return Err(StoreError::Conflict("本轮投票未开始或已结束".into()));
            }
            if paper::mode(tx, round_id)? == Mode::Paper {
                return Err(StoreError::Conflict("本轮已改为纸质投票，请向工作人员领取纸质选票".into()));
            }
            let present: bool =
                tx.query_row("SELECT present FROM deputies WHERE id = ?1", [deputy_id], |r| r.get(0))?;
            if !present {
                return Err(StoreError::Conflict("请先签到".into()));
            }
            let n = tx.execute(
                "INSERT INTO ballots_issued (round_id, deputy_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![round_id, deputy_id],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict("本轮选票已发放给您的平板，不能再次领取".into()));
            }
            let (slot, text): (i64, String) = tx
                .query_row(
                    "SELECT slot, credential FROM credential_stack WHERE round_id = ?1 ORDER BY slot LIMIT 1",
                    [round_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .ok_or_else(|| StoreError::Conflict("凭证已用完".into()))?;
            tx.execute("DELETE FROM credential_stack WHERE round_id = ?1 AND slot = ?2", params![round_id, slot])?;
            Credential::parse(&text).map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .await
    }

    pub async fn counts(&self, round_id: i64) -> Result<RoundCounts, StoreError> {
        self.read(move |c| counts(c, round_id)).await
    }

    /// Closes the round: counts it, stores the result body, wipes the
    /// credentials never handed out, and truncates the WAL so that no old
    /// page image of the credential stack outlives the vote.
    pub async fn close_round(
        &self,
        round_id: i64,
        closed_at: Timestamp,
    ) -> Result<ResultBody, StoreError> {
        let result = self
            .write_with(move |w| {
                let tx = w.conn.transaction()?;
                let row = load_round(&tx, round_id)?;
                if row.state != RoundState::Open {
                    return Err(StoreError::Conflict("只有投票中的轮次可以结束".into()));
                }
                let manifest = row.manifest.ok_or_else(|| StoreError::Corrupt("no manifest".into()))?.body;
                let c = counts(&tx, round_id)?;
                c.paper.close_check().map_err(|e| StoreError::Conflict(e.to_string()))?;
                let (log, tally) = replay(&tx, round_id, &manifest)?;
                let att = Attendance { present: c.present, issued: c.issued };
                let result = tally.result(&manifest, log.manifest_hash(), log.head(), att, closed_at);
                tx.execute(
                    "UPDATE rounds SET state = 'closed', present = ?2, result_json = ?3 WHERE id = ?1",
                    params![round_id, c.present, to_canonical_string(&result)],
                )?;
                tx.execute("DELETE FROM credential_stack WHERE round_id = ?1", [round_id])?;
                paper::wipe_printed(&tx, round_id)?;
                tx.commit()?;
                w.logs.remove(&round_id);
                Ok(result)
            })
            .await?;
        self.write_with(|w| {
            w.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            Ok(())
        })
        .await?;
        Ok(result)
    }

    /// Records a signature over the result body (already verified by the caller).
    pub async fn add_attestation(&self, round_id: i64, sig: Signature) -> Result<(), StoreError> {
        self.write(move |tx| {
            let state: String = tx.query_row("SELECT state FROM rounds WHERE id = ?1", [round_id], |r| r.get(0))?;
            if state != "closed" {
                return Err(StoreError::Conflict("只有已结束、未公布的轮次可以签名".into()));
            }
            let role = if sig.role == Role::Authority { "authority" } else { "scrutineer" };
            tx.execute(
                "INSERT INTO attestations (round_id, public_key, role, signature) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(round_id, public_key) DO UPDATE SET signature = excluded.signature, role = excluded.role",
                params![round_id, sig.public_key.to_hex(), role, sig.signature.to_hex()],
            )?;
            Ok(())
        })
        .await
    }

    pub async fn attestations(&self, round_id: i64) -> Result<Vec<Signature>, StoreError> {
        self.read(move |c| attestations(c, round_id)).await
    }

    /// Marks a closed round published (the caller has checked the signatures).
    pub async fn publish(&self, round_id: i64) -> Result<(), StoreError> {
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE rounds SET state = 'published' WHERE id = ?1 AND state = 'closed'",
                [round_id],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict("只有已结束的轮次可以公布".into()));
            }
            Ok(())
        })
        .await
    }

    /// The published bundle: manifest, entries in order, signed result.
    pub async fn bundle(&self, round_id: i64) -> Result<String, StoreError> {
        self.read(move |c| {
            let row = load_round(c, round_id)?;
            if row.state != RoundState::Published {
                return Err(StoreError::NotFound("已公布的结果"));
            }
            let manifest = row
                .manifest
                .ok_or_else(|| StoreError::Corrupt("no manifest".into()))?;
            let result = row
                .result
                .ok_or_else(|| StoreError::Corrupt("no result".into()))?;
            let signed = Signed {
                body: result,
                signatures: attestations(c, round_id)?,
            };
            let mut out = to_canonical_string(&manifest);
            out.push('\n');
            let mut st =
                c.prepare("SELECT entry_json FROM entries WHERE round_id = ?1 ORDER BY seq")?;
            let mut rows = st.query([round_id])?;
            while let Some(r) = rows.next()? {
                out.push_str(&r.get::<_, String>(0)?);
                out.push('\n');
            }
            out.push_str(&to_canonical_string(&signed));
            out.push('\n');
            Ok(out)
        })
        .await
    }

    /// The console's counts and the log's last entry (`seq`, `H(entry)`),
    /// `None` before the first ballot; one read, no manifest.
    pub async fn counts_and_head(
        &self,
        round_id: i64,
    ) -> Result<(RoundCounts, Option<(u64, Hash)>), StoreError> {
        self.read(move |c| {
            let last: Option<(u64, String)> = c
                .query_row(
                    "SELECT seq, hash FROM entries WHERE round_id = ?1 ORDER BY seq DESC LIMIT 1",
                    [round_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let last = last
                .map(|(seq, h)| {
                    Hash::parse_hex(&h)
                        .map(|h| (seq, h))
                        .map_err(|e| StoreError::Corrupt(e.to_string()))
                })
                .transpose()?;
            Ok((counts(c, round_id)?, last))
        })
        .await
    }
}

// --- the writer thread ---------------------------------------------------------

/// The writer thread's state: the one write connection, and the in-memory
/// log of each round that has taken ballots since the server started.
pub struct Writer {
    conn: Connection,
    logs: HashMap<i64, VoteLog>,
    disk: Arc<DiskHealth>,
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Job>) {
        while let Ok(first) = rx.recv() {
            let mut jobs = vec![first];
            while jobs.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
            let mut ballots = vec![];
            for job in jobs {
                match job {
                    Job::Ballot {
                        round_id,
                        ballot,
                        reply,
                    } => ballots.push((round_id, ballot, reply)),
                    Job::Write(f) => {
                        // Keep the order: ballots before this job are committed first.
                        self.commit_ballots(std::mem::take(&mut ballots));
                        f(&mut self);
                    }
                }
            }
            self.commit_ballots(ballots);
        }
    }

    fn log_for<'a>(
        logs: &'a mut HashMap<i64, VoteLog>,
        tx: &Transaction,
        round_id: i64,
    ) -> Result<Option<&'a mut VoteLog>, StoreError> {
        if let std::collections::hash_map::Entry::Vacant(slot) = logs.entry(round_id) {
            let row = load_round(tx, round_id)?;
            if row.state != RoundState::Open {
                return Ok(None);
            }
            let manifest = row
                .manifest
                .ok_or_else(|| StoreError::Corrupt("no manifest".into()))?
                .body;
            let (log, _) = replay(tx, round_id, &manifest)?;
            slot.insert(log);
        }
        Ok(logs.get_mut(&round_id))
    }

    /// Keeps the disk's health after a write: one that failed for the disk's
    /// sake marks it; a committed one that changed rows (counted from
    /// `before`, the connection's total changes) clears it.
    fn note_disk(&self, committed: bool, disk_failed: bool, before: u64) {
        if disk_failed {
            self.disk.failed();
        } else if committed && self.conn.total_changes() > before {
            self.disk.wrote();
        }
    }

    /// One transaction, one fsync, for every ballot that arrived together.
    fn commit_ballots(&mut self, ballots: Vec<(i64, Ballot, BallotReply)>) {
        if ballots.is_empty() {
            return;
        }
        let mut replies = Vec::with_capacity(ballots.len());
        let mut touched = vec![];
        let before = self.conn.total_changes();
        let logs = &mut self.logs;
        let outcome = (|| -> Result<(), StoreError> {
            // A deferred transaction on the writer's own connection.
            let tx = self.conn.unchecked_transaction()?;
            for (round_id, ballot, reply) in ballots {
                let r = Writer::append_one(logs, &tx, round_id, &ballot);
                if r.is_ok() {
                    touched.push(round_id);
                }
                replies.push((reply, r));
            }
            tx.commit()?;
            Ok(())
        })();
        let disk_refused = replies
            .iter()
            .any(|(_, r)| matches!(r, Err(SubmitError::Disk(_))));
        let disk_failed = disk_refused || outcome.as_ref().is_err_and(StoreError::is_disk);
        self.note_disk(outcome.is_ok(), disk_failed, before);
        match outcome {
            Ok(()) => {
                for (reply, r) in replies {
                    let _ = reply.send(r);
                }
            }
            Err(e) => {
                // Nothing was stored: forget the in-memory state and refuse all.
                for id in touched {
                    self.logs.remove(&id);
                }
                for (reply, r) in replies {
                    let _ = reply.send(match r {
                        Ok(_) => Err(SubmitError::storage(&e)),
                        Err(e) => Err(e),
                    });
                }
            }
        }
    }

    pub(super) fn append_one(
        logs: &mut HashMap<i64, VoteLog>,
        tx: &Transaction,
        round_id: i64,
        ballot: &Ballot,
    ) -> Result<Receipt, SubmitError> {
        let storage = |e: StoreError| SubmitError::storage(&e);
        let Some(log) = Writer::log_for(logs, tx, round_id).map_err(storage)? else {
            return Err(SubmitError::NotOpen);
        };
        if ballot.channel == Channel::Tablet {
            // One cached statement: is the round paper-only, is this a printed credential.
            let (paper_only, printed): (bool, bool) = tx
                .prepare_cached(
                    "SELECT r.mode = 'paper', EXISTS (SELECT 1 FROM paper_ballots p
                     WHERE p.round_id = r.id AND p.commitment = ?2) FROM rounds r WHERE r.id = ?1",
                )
                .and_then(|mut st| {
                    st.query_row(params![round_id, ballot.credential.to_hex()], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                })
                .map_err(|e| storage(e.into()))?;
            if printed {
                return Err(SubmitError::PaperCredential);
            }
            // After the switch only a retry of a ballot already in (which gets
            // its receipt again, below) is taken from a tablet.
            if paper_only && !matches!(log.prepare(ballot), Err(BallotError::CredentialUsed)) {
                return Err(SubmitError::PaperOnly);
            }
        }
        match log.prepare(ballot) {
            Ok(entry) => {
                let json = to_canonical_string(&entry);
                let hash = Hash::of_bytes(json.as_bytes());
                tx.prepare_cached(
                    "INSERT INTO entries (round_id, seq, credential, entry_json, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut st| {
                    st.execute(params![round_id, entry.seq, entry.credential.to_hex(), json, hash.to_hex()])
                })
                .map_err(|e| storage(e.into()))?;
                // Only now, with the row in the transaction, advance the log.
                log.replay(&entry)
                    .map_err(|e| SubmitError::Storage(e.to_string()))
            }
            Err(BallotError::CredentialUsed) => {
                // A retry of a ballot already in (reload, dropped connection)
                // gets its receipt again; a different ballot is refused.
                let stored: Option<(u64, String, String)> = tx
                    .query_row(
                        "SELECT seq, hash, entry_json FROM entries WHERE round_id = ?1 AND credential = ?2",
                        params![round_id, ballot.credential.to_hex()],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()
                    .map_err(|e| storage(e.into()))?;
                if let Some((seq, hash, json)) = stored {
                    let e: Entry = parse_record(json.as_bytes())
                        .map_err(|e| SubmitError::Storage(e.to_string()))?;
                    let unreadable = e.void == Some(VoidReason::Unreadable);
                    if e.marks == ballot.marks
                        && e.channel == ballot.channel
                        && unreadable == ballot.unreadable
                    {
                        let hash = Hash::parse_hex(&hash)
                            .map_err(|e| SubmitError::Storage(e.to_string()))?;
                        return Ok(Receipt { seq, hash });
                    }
                }
                Err(BallotError::CredentialUsed.into())
            }
            Err(e) => Err(e.into()),
        }
    }
}

// --- queries shared by readers and the writer ----------------------------------

/// A new draft round, numbered after the election's last.
fn insert_round(
    tx: &Transaction,
    election_id: &ElectionId,
    draft: &RoundDraft,
) -> Result<i64, StoreError> {
    let round: u64 = tx.query_row(
        "SELECT COALESCE(MAX(round), 0) + 1 FROM rounds WHERE election_id = ?1",
        [election_id.as_str()],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO rounds (election_id, round, state, draft_json) VALUES (?1, ?2, 'draft', ?3)",
        params![election_id.as_str(), round, to_canonical_string(draft)],
    )?;
    Ok(tx.last_insert_rowid())
}

const ROUND_SELECT: &str =
    "SELECT id, election_id, round, state, draft_json, manifest_json, present, result_json FROM rounds";

type RawRound = (
    i64,
    String,
    u64,
    String,
    String,
    Option<String>,
    Option<u64>,
    Option<String>,
);

fn round_row(r: &rusqlite::Row) -> rusqlite::Result<Result<RoundRow, StoreError>> {
    let raw: RawRound = (
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    );
    Ok(decode_round(raw))
}

fn decode_round(raw: RawRound) -> Result<RoundRow, StoreError> {
    let (id, election_id, round, state, draft, manifest, present, result) = raw;
    let corrupt = |e: FieldError| StoreError::Corrupt(format!("round {id}: {e}"));
    Ok(RoundRow {
        id,
        election_id,
        round,
        state: RoundState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("state {state}")))?,
        draft: parse_record(draft.as_bytes()).map_err(corrupt)?,
        manifest: manifest
            .map(|m| parse_record(m.as_bytes()))
            .transpose()
            .map_err(corrupt)?,
        present,
        result: result
            .map(|m| parse_record(m.as_bytes()))
            .transpose()
            .map_err(corrupt)?,
    })
}

fn load_round(c: &Connection, round_id: i64) -> Result<RoundRow, StoreError> {
    c.query_row(
        &format!("{ROUND_SELECT} WHERE id = ?1"),
        [round_id],
        round_row,
    )
    .optional()?
    .ok_or(StoreError::NotFound("轮次"))?
}

fn deputy_row(r: &rusqlite::Row) -> rusqlite::Result<Deputy> {
    Ok(Deputy {
        id: r.get(0)?,
        number: r.get(1)?,
        name: r.get(2)?,
        delegation: r.get(3)?,
        seat: r.get(4)?,
        present: r.get(5)?,
    })
}

fn counts(c: &Connection, round_id: i64) -> Result<RoundCounts, StoreError> {
    let total_deputies = c.query_row("SELECT COUNT(*) FROM deputies", [], |r| r.get(0))?;
    let present = c.query_row("SELECT COUNT(*) FROM deputies WHERE present = 1", [], |r| {
        r.get(0)
    })?;
    let tablet_issued = c.query_row(
        "SELECT COUNT(*) FROM ballots_issued WHERE round_id = ?1",
        [round_id],
        |r| r.get(0),
    )?;
    let returned: u64 = c.query_row(
        "SELECT COUNT(*) FROM entries WHERE round_id = ?1",
        [round_id],
        |r| r.get(0),
    )?;
    let mode = paper::mode(c, round_id)?;
    let paper = paper::paper_tally(c, round_id)?;
    let tablet_returned = returned.saturating_sub(paper.entered);
    Ok(RoundCounts {
        total_deputies,
        present,
        issued: crate::paper::issued(mode, tablet_issued, tablet_returned, paper.handed_out),
        returned,
        mode,
        tablet_issued,
        paper,
    })
}

fn attestations(c: &Connection, round_id: i64) -> Result<Vec<Signature>, StoreError> {
    let mut st = c.prepare(
        "SELECT public_key, role, signature FROM attestations WHERE round_id = ?1
         ORDER BY role = 'scrutineer', public_key",
    )?;
    let rows = st
        .query_map([round_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(k, role, s)| {
            Ok(Signature {
                public_key: PublicKey::parse_hex(&k)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                role: if role == "authority" {
                    Role::Authority
                } else {
                    Role::Scrutineer
                },
                signature: SignatureBytes::parse_hex(&s)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            })
        })
        .collect()
}

/// Replays a round's stored entries through the core: every entry is
/// checked again, so a damaged log is found, not served.
fn replay(
    c: &Connection,
    round_id: i64,
    manifest: &Manifest,
) -> Result<(VoteLog, Tally), StoreError> {
    let mut log = VoteLog::open(manifest);
    let mut tally = Tally::new(manifest);
    let mut st =
        c.prepare("SELECT seq, entry_json FROM entries WHERE round_id = ?1 ORDER BY seq")?;
    let mut rows = st.query([round_id])?;
    while let Some(r) = rows.next()? {
        let seq: u64 = r.get(0)?;
        let json: String = r.get(1)?;
        let e: Entry = parse_record(json.as_bytes())
            .map_err(|e| StoreError::Corrupt(format!("entry {seq}: {e}")))?;
        log.replay(&e)
            .map_err(|f| StoreError::Corrupt(format!("entry {seq}: {}: {f}", f.field())))?;
        tally.add(&e);
    }
    Ok((log, tally))
}

/// Decimal digits from the OS CSPRNG.
pub fn random_digits(n: usize) -> Result<String, StoreError> {
    use rand_core::RngCore;
    let mut out = String::with_capacity(n);
    let mut b = [0u8; 1];
    while out.len() < n {
        rand_core::OsRng
            .try_fill_bytes(&mut b)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if b[0] < 250 {
            out.push(char::from(b'0' + b[0] % 10));
        }
    }
    Ok(out)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
