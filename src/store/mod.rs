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
use crate::core::satisfaction::RoundResult;
use crate::core::tally::{Attendance, Tally};
use crate::hall::{RosterRow, RoundDraft, RoundState, StaffRole};
use crate::paper::{Mode, PaperTally};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use tokio::sync::oneshot;

mod hall;
mod paper;
mod staff;
mod tx;
mod upstream;
mod writer;
use hall::{counts, load_round, replay};
pub use hall::{random_digits, Deputy, RoundCounts, RoundRow};
pub use paper::{Dispute, PaperOutcome, PaperStatus};
pub use staff::Staff;
pub use tx::Tx;
pub use upstream::{
    AttachmentRow, ChannelCount, Continuing, Count, DraftProject, DraftRow, FollowRecord, History,
    ImportedRow, InspectionRow, NamedTopic, OpinionRow, ProjectRow, RatingCounts, RatingRow,
    ReportRow, SuggestionCounts, SuggestionFilter, SuggestionPage, SuggestionRow, TownCount,
    UpRead, UpTx, Voice, YearRow,
};
use writer::{DiskHealth, Writer, DISK_TROUBLE_FOR};

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_hall.sql"),
    include_str!("../../migrations/0002_paper.sql"),
    include_str!("../../migrations/0003_upstream.sql"),
    include_str!("../../migrations/0004_checks.sql"),
    include_str!("../../migrations/0005_blind.sql"),
    include_str!("../../migrations/0006_search.sql"),
    include_str!("../../migrations/0007_import.sql"),
    include_str!("../../migrations/0008_topics.sql"),
    include_str!("../../migrations/0009_follow.sql"),
    include_str!("../../migrations/0010_ratings.sql"),
    include_str!("../../migrations/0011_continuing.sql"),
    include_str!("../../migrations/0012_attachments.sql"),
    include_str!("../../migrations/0013_attachment_of.sql"),
];
/// The database file in a data dir.
pub const DB_FILE: &str = "minsheng.db";
/// The most ballots committed in one transaction.
const MAX_GROUP: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}不存在")]
    NotFound(&'static str),
    /// A rule of the domain, or the state of the data, refused the change:
    /// nothing was written. Its code says which rule.
    #[error("{0}")]
    Refused(crate::error::Error),
    #[error("数据库错误: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("存储已关闭")]
    Closed,
    #[error("记录损坏: {0}")]
    Corrupt(String),
    /// The disk is full, read-only or failing (as a ballot's append found).
    #[error("磁盘已满或无法写入: {0}")]
    Disk(String),
    /// The operating system refused something that is not the database
    /// (making the data dir, starting the writer thread, the random source).
    #[error("系统错误: {0}")]
    System(String),
}

impl StoreError {
    /// Not allowed in the present state (409 `conflict`).
    pub fn conflict(message: impl Into<String>) -> Self {
        StoreError::Refused(crate::error::Error::conflict(message))
    }

    /// Breaks a rule of the domain (422 `invalid`).
    pub fn invalid(message: impl Into<String>) -> Self {
        StoreError::Refused(crate::error::Error::invalid(message))
    }

    /// Refused with its own stable code.
    pub fn refused(code: crate::error::Code, message: impl Into<String>) -> Self {
        StoreError::Refused(crate::error::Error::new(code, message))
    }

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

impl From<StoreError> for crate::error::Error {
    fn from(e: StoreError) -> Self {
        use crate::error::Error;
        match e {
            StoreError::NotFound(what) => Error::not_found(what),
            StoreError::Refused(e) => e,
            other if other.is_disk() => Error::storage(
                "服务器磁盘已满或无法写入，此项操作未能保存，请检查服务器磁盘后重试",
                other,
            ),
            other => Error::internal(other),
        }
    }
}

/// Why a submitted ballot got no receipt.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error(transparent)]
    Ballot(#[from] BallotError),
    #[error("本轮投票未开始或已结束")]
    NotOpen,
    #[error("本轮已改为纸质投票，平板不能再投票，请领取纸质选票")]
    PaperOnly,
    #[error("这是纸质选票的凭证，只能由计票人录入")]
    PaperCredential,
    #[error("选票未能保存，请重试（{0}）")]
    Storage(String),
    /// Not stored because the disk is full, read-only or failing.
    #[error("磁盘已满或无法写入，选票未能保存，请重试（{0}）")]
    Disk(String),
}

impl From<SubmitError> for crate::error::Error {
    fn from(e: SubmitError) -> Self {
        use crate::error::{Code, Error};
        let code = match &e {
            SubmitError::Ballot(BallotError::CredentialUsed) => Code::CredentialUsed,
            SubmitError::Ballot(BallotError::UnknownCredential | BallotError::BadSignature) => {
                Code::CredentialUnknown
            }
            SubmitError::Ballot(_) => Code::BallotRules,
            SubmitError::NotOpen => Code::NotOpen,
            SubmitError::PaperOnly => Code::PaperOnly,
            SubmitError::PaperCredential => Code::PaperCredential,
            SubmitError::Storage(_) | SubmitError::Disk(_) => {
                return Error::storage("选票未能保存，请稍后重试（您的选择已保留）", e)
            }
        };
        Error::new(code, e.to_string())
    }
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

/// Sets `path`'s mode (the data dir 0700, its files 0600).
pub fn owner_only(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
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
    ///
    /// The data dir is the owner's alone: the dir 0700 and the database with
    /// its WAL and shared-memory files 0600 (the database file is made 0600
    /// before SQLite first opens it, and SQLite gives its WAL and SHM the
    /// database's mode).
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let sys = |p: &Path, e: std::io::Error| StoreError::System(format!("{}: {e}", p.display()));
        std::fs::create_dir_all(dir).map_err(|e| sys(dir, e))?;
        owner_only(dir, 0o700).map_err(|e| sys(dir, e))?;
        let path = dir.join(DB_FILE);
        {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| sys(&path, e))?;
        }
        let mut conn = open_connection(&path)?;
        migrate(&mut conn)?;
        for suffix in ["", "-wal", "-shm"] {
            let f = dir.join(format!("{DB_FILE}{suffix}"));
            if f.exists() {
                owner_only(&f, 0o600).map_err(|e| sys(&f, e))?;
            }
        }
        let reader = open_connection(&path)?;
        // The reader only reads: the writer thread is the one writer, so no
        // write can ever wait on another connection's lock.
        reader.pragma_update(None, "query_only", "ON")?;
        let (tx, rx) = mpsc::channel::<Job>();
        let disk = Arc::new(DiskHealth::default());
        let writer = Writer {
            conn,
            logs: HashMap::new(),
            paper_only: HashMap::new(),
            disk: disk.clone(),
        };
        std::thread::Builder::new()
            .name("minsheng-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| StoreError::System(e.to_string()))?;
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
        self.job(f, StoreError::is_disk).await
    }

    /// Runs one service operation on the writer thread in one transaction:
    /// committed if `f` succeeds, rolled back (nothing written) if it fails.
    pub async fn transact<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Tx) -> crate::error::Result<T> + Send + 'static,
    ) -> crate::error::Result<T> {
        self.job(
            move |w| {
                let tx = w.conn.transaction().map_err(StoreError::from)?;
                let mut t = Tx {
                    tx: &tx,
                    forget: vec![],
                };
                let v = f(&mut t)?;
                let forget = t.forget;
                tx.commit().map_err(StoreError::from)?;
                for id in forget {
                    w.logs.remove(&id);
                }
                Ok(v)
            },
            |e: &crate::error::Error| e.code == crate::error::Code::Storage,
        )
        .await
    }

    /// Sends `f` to the writer thread and keeps the disk's health by its
    /// outcome (`is_disk` tells a failure of the disk from any other).
    async fn job<T: Send + 'static, E: From<StoreError> + Send + 'static>(
        &self,
        f: impl FnOnce(&mut Writer) -> Result<T, E> + Send + 'static,
        is_disk: fn(&E) -> bool,
    ) -> Result<T, E> {
        let (reply, rx) = oneshot::channel();
        let job: WriteJob = Box::new(move |w| {
            let before = w.conn.total_changes();
            let r = f(w);
            w.note_disk(r.is_ok(), r.as_ref().is_err_and(is_disk), before);
            let _ = reply.send(r);
        });
        self.jobs
            .send(Job::Write(job))
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` over the read connection: what a service reads in one
    /// consistent view. It gets `&Tx`, so nothing in it can write.
    pub async fn view<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Tx) -> crate::error::Result<T> + Send + 'static,
    ) -> crate::error::Result<T> {
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || {
            let conn = reader.lock().map_err(|_| StoreError::Closed)?;
            let tx = conn.unchecked_transaction().map_err(StoreError::from)?;
            f(&Tx {
                tx: &tx,
                forget: vec![],
            })
        })
        .await
        .map_err(crate::error::Error::internal)?
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
}

#[cfg(test)]
#[path = "checks_tests.rs"]
mod checks_tests;
