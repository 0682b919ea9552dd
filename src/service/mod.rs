//! 服务 (services): one function per operation the server offers, for each
//! domain. A service function checks and acts in one transaction (through
//! [`Store::transact`], or a store call that is one transaction), calls the
//! domain's pure rules, and returns a typed answer or a typed [`Error`]. It
//! knows nothing of HTTP: `web/` parses a request, calls one of these, and
//! answers.

use crate::core::record::{ElectionId, PublicKey};
use crate::error::Error;
use crate::keys::Signer;
use crate::store::Store;
use serde::Serialize;
use std::sync::{Arc, Mutex};

pub mod auth;
pub mod export;
pub mod follow;
pub mod hall;
pub mod import;
pub mod lists;
pub mod paper;
pub mod present;
pub mod public;
pub mod report;
pub mod results;
pub mod review;
pub mod tablet;
pub mod topics;
pub mod upstream;

/// What every service needs: the store, the authority's signing key, the
/// scrutineers' public keys and the election's id.
pub struct Services {
    pub store: Store,
    authority: Arc<Signer>,
    scrutineer_keys: Vec<PublicKey>,
    election_id: ElectionId,
    /// The open round's ballot as tablets fetch it (see [`tablet`]).
    ballot_cache: Mutex<Option<Arc<tablet::BallotView>>>,
    /// Failed logins per user name (see [`auth`]).
    logins: auth::Limiter<String>,
    /// Public suggestions per address (see [`public`]).
    public_posts: auth::Limiter<std::net::IpAddr>,
    /// Tracking-number lookups per address (see [`public`]).
    lookups: auth::Limiter<std::net::IpAddr>,
    /// Failed tablet check-ins per address (see [`tablet`]).
    checkins: Arc<auth::Limiter<std::net::IpAddr>>,
    /// Check-ins from addresses that have failed, hall-wide (see [`tablet`]).
    checkin_budget: Arc<auth::Limiter<()>>,
    /// Where keys live: the open round's issuing key is kept there.
    keys_dir: std::path::PathBuf,
    /// The open round's issuing key, loaded (see [`tablet`]).
    issuing: Mutex<Option<(i64, Arc<crate::keys::IssuingSecret>)>>,
    /// One opening at a time: each makes and saves an issuing key first.
    opening: tokio::sync::Mutex<()>,
    /// The last hot topics, with the state of the list they were made from.
    hot: Mutex<Option<HotCache>>,
    /// Imports under way, by the name their page gave (see [`import`]).
    imports: Mutex<std::collections::HashMap<String, import::ImportProgress>>,
}

impl Services {
    pub fn new(
        store: Store,
        authority: Signer,
        scrutineer_keys: Vec<PublicKey>,
        election_id: ElectionId,
        keys_dir: std::path::PathBuf,
    ) -> Self {
        Services {
            store,
            authority: Arc::new(authority),
            scrutineer_keys,
            election_id,
            ballot_cache: Mutex::new(None),
            logins: auth::Limiter::default(),
            public_posts: auth::Limiter::default(),
            lookups: auth::Limiter::default(),
            checkins: Arc::new(auth::Limiter::default()),
            checkin_budget: Arc::new(auth::Limiter::default()),
            keys_dir,
            issuing: Mutex::new(None),
            opening: tokio::sync::Mutex::new(()),
            hot: Mutex::new(None),
            imports: Mutex::new(Default::default()),
        }
    }

    /// Where an uploaded file waits while it is read (in the data dir, the
    /// owner's alone; each file removed when its request ends).
    pub fn upload_dir(&self) -> Result<std::path::PathBuf, Error> {
        let data = self
            .store
            .path()
            .parent()
            .unwrap_or(std::path::Path::new("."));
        let dir = data.join("uploads");
        std::fs::create_dir_all(&dir).map_err(Error::internal)?;
        crate::store::owner_only(&dir, 0o700).map_err(Error::internal)?;
        Ok(dir)
    }

    pub fn election_id(&self) -> ElectionId {
        self.election_id
    }

    /// The scrutineers' public keys every new manifest names.
    pub fn scrutineer_keys(&self) -> &[PublicKey] {
        &self.scrutineer_keys
    }
}

/// Hot topics and the state of the list they were made from (how many, last
/// id), with each call's 苏木镇.
type HotCache = (
    (u64, i64),
    Arc<(
        Vec<crate::upstream::hot::HotTopic>,
        std::collections::HashMap<i64, String>,
    )>,
);

/// The answer of a call that only has to say it was done.
#[derive(Debug, Clone, Copy, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Done {
    pub ok: bool,
}

pub const DONE: Done = Done { ok: true };

/// Runs CPU work (parsing a spreadsheet, drawing thousands of QR codes) on
/// a blocking thread, never on the async workers that answer the hall.
pub async fn cpu<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(Error::internal)?
}
