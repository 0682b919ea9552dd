//! 登录 (staff sign-in): passwords (Argon2), sessions, and the per-caller
//! limits on failed logins and public posts.

use super::Services;
use crate::core::canon::Hash;
use crate::error::{Code, Error, Result};
use crate::hall::StaffRole;
use crate::store::Staff;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::Hash as StdHash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a staff session lasts.
pub const SESSION_SECONDS: i64 = 12 * 3600;

/// Per-caller counters (failed logins, public suggestions), each checked
/// and counted under one lock, so callers racing each other are counted
/// one by one. Kept for an hour; past a thousand callers the stale ones are
/// dropped, so a stream of made-up names or addresses cannot grow them
/// without end.
pub struct Limiter<K> {
    map: Mutex<HashMap<K, (u32, Instant)>>,
}

impl<K> Default for Limiter<K> {
    fn default() -> Self {
        Limiter {
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: StdHash + Eq + Clone> Limiter<K> {
    fn forget_stale(map: &mut HashMap<K, (u32, Instant)>) {
        if map.len() > 1024 {
            map.retain(|_, (_, at)| at.elapsed() < Duration::from_secs(3600));
        }
    }

    /// Backoff after failures: after n attempts that were not cleared, the
    /// next must wait 2^n − 2 seconds (at most a minute) from the last. An
    /// attempt that may go ahead is counted before it is tried.
    pub fn attempt(&self, key: &K) -> std::result::Result<(), Duration> {
        let Ok(mut map) = self.map.lock() else {
            return Err(Duration::from_secs(1));
        };
        Self::forget_stale(&mut map);
        let e = map.entry(key.clone()).or_insert((0, Instant::now()));
        backoff(*e)?;
        *e = (e.0 + 1, Instant::now());
        Ok(())
    }

    /// Must `key` wait, after the failures counted so far? (Counts nothing:
    /// see [`Limiter::failed`].) For calls serialised elsewhere — a check-in
    /// runs on the writer thread — so that racing callers are still counted
    /// one by one while successes never hold anyone up.
    pub fn wait(&self, key: &K) -> std::result::Result<(), Duration> {
        let Ok(map) = self.map.lock() else {
            return Err(Duration::from_secs(1));
        };
        map.get(key).map_or(Ok(()), |e| backoff(*e))
    }

    /// Whether `key` has failures not yet cleared.
    pub fn has_failed(&self, key: &K) -> bool {
        self.map
            .lock()
            .map_or(true, |m| m.get(key).is_some_and(|e| e.0 > 0))
    }

    /// A failure to count for `key`.
    pub fn failed(&self, key: &K) {
        if let Ok(mut map) = self.map.lock() {
            Self::forget_stale(&mut map);
            let e = map.entry(key.clone()).or_insert((0, Instant::now()));
            e.0 += 1;
            e.1 = Instant::now();
        }
    }

    /// The attempt succeeded: the caller starts afresh.
    pub fn clear(&self, key: &K) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(key);
        }
    }

    /// At most `n` in each `window` from the first: counts this one if allowed.
    pub fn quota(&self, key: &K, n: u32, window: Duration) -> bool {
        let Ok(mut map) = self.map.lock() else {
            return false;
        };
        Self::forget_stale(&mut map);
        let e = map.entry(key.clone()).or_insert((0, Instant::now()));
        if e.1.elapsed() > window {
            *e = (0, Instant::now());
        }
        if e.0 >= n {
            return false;
        }
        e.0 += 1;
        true
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }
}

/// After `n` counted tries, the last at `at`, the next waits 2^n − 2
/// seconds (at most a minute) from it: the time still to wait, if any.
fn backoff((n, at): (u32, Instant)) -> std::result::Result<(), Duration> {
    let need = Duration::from_secs(1u64 << n.min(6)).saturating_sub(Duration::from_secs(2));
    let wait = need.saturating_sub(at.elapsed());
    if wait.is_zero() {
        Ok(())
    } else {
        Err(wait)
    }
}

pub fn hash_password(password: &str) -> std::result::Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// 32 bytes from the OS CSPRNG, as hex.
pub fn random_token() -> Result<String> {
    use rand_core::RngCore;
    let mut b = [0u8; 32];
    rand_core::OsRng
        .try_fill_bytes(&mut b)
        .map_err(Error::internal)?;
    Ok(hex::encode(b))
}

/// What the store keeps of a session or tablet token: its hash only.
pub fn token_hash(token: &str) -> String {
    Hash::of_bytes(token.as_bytes()).to_hex()
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginReq {
    pub username: String,
    pub password: String,
}

/// Who signed in, and the token every change must carry.
#[derive(Debug, Serialize, Deserialize)]
pub struct LoginAnswer {
    pub username: String,
    pub display_name: String,
    pub role: StaffRole,
    pub role_label: String,
    pub csrf: String,
}

/// A new session: the answer, and the token for the cookie.
pub struct Session {
    pub answer: LoginAnswer,
    pub token: String,
}

impl Services {
    /// Signs a staff member in. Failures for a name are slowed, each
    /// attempt counted before the password is checked.
    pub async fn login(&self, req: LoginReq) -> Result<Session> {
        if let Err(w) = self.logins.attempt(&req.username) {
            return Err(Error::new(
                Code::SlowDown,
                format!("登录失败次数过多，请 {} 秒后再试", w.as_secs() + 1),
            ));
        }
        let found = self.store.staff_by_username(req.username.clone()).await?;
        let password = req.password;
        let staff = match found {
            Some((staff, hash)) => {
                let good = super::cpu(move || Ok(verify_password(&password, &hash))).await?;
                good.then_some(staff)
            }
            None => None,
        };
        let Some(staff) = staff else {
            return Err(Error::new(Code::BadLogin, "用户名或密码不正确"));
        };
        self.logins.clear(&staff.username);
        let token = random_token()?;
        let csrf = random_token()?;
        self.store
            .create_session(
                token_hash(&token),
                staff.id,
                csrf.clone(),
                now_secs() + SESSION_SECONDS,
            )
            .await?;
        Ok(Session {
            answer: LoginAnswer {
                role_label: staff.role.label_zh().to_string(),
                username: staff.username,
                display_name: staff.display_name,
                role: staff.role,
                csrf,
            },
            token,
        })
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        Ok(self.store.delete_session(token_hash(token)).await?)
    }

    /// The signed-in staff member and the session's CSRF token.
    pub async fn session(&self, token: &str) -> Result<Option<(Staff, String)>> {
        Ok(self.store.session(token_hash(token), now_secs()).await?)
    }

    /// A public post from `addr` within the hourly quota.
    pub fn public_post_allowed(&self, addr: std::net::IpAddr, per_hour: u32) -> bool {
        self.public_posts
            .quota(&addr, per_hour, Duration::from_secs(3600))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_counts_each_attempt_before_it_is_tried() {
        let l = Limiter::default();
        let k = "mishu".to_string();
        // 2^0 − 2 and 2^1 − 2 are no wait: two tries go ahead, the third waits.
        assert!(l.attempt(&k).is_ok());
        assert!(l.attempt(&k).is_ok());
        assert!(l.attempt(&k).is_err());
        l.clear(&k);
        assert!(l.attempt(&k).is_ok());
    }

    #[test]
    fn racing_attempts_are_counted_one_by_one() {
        let l = std::sync::Arc::new(Limiter::default());
        let k = "mishu".to_string();
        let threads: Vec<_> = (0..40)
            .map(|_| {
                let (l, k) = (l.clone(), k.clone());
                std::thread::spawn(move || l.attempt(&k).is_ok())
            })
            .collect();
        let passed = threads
            .into_iter()
            .map(|t| t.join().unwrap_or(false))
            .filter(|ok| *ok)
            .count();
        assert_eq!(passed, 2, "only two of forty racing attempts are tried");
    }

    #[test]
    fn quota_and_stale_callers() {
        let l = Limiter::default();
        for i in 0..10 {
            assert!(l.quota(&1u32, 10, Duration::from_secs(3600)), "{i}");
        }
        assert!(!l.quota(&1u32, 10, Duration::from_secs(3600)));
        for i in 2..1100u32 {
            l.quota(&i, 10, Duration::from_secs(3600));
        }
        assert_eq!(l.len(), 1099, "recent callers are all kept");
    }
}
