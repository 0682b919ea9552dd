//! What the benches that drive `minsheng serve` as its own process share:
//! a data dir on the real disk, the server started on it and stopped when
//! dropped, its peak memory, a staff login.
#![allow(dead_code)] // each bench uses what it needs

pub mod openssl;

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Server {
    pub child: Child,
    pub base: String,
    /// (user name, password) of every account the first start made.
    pub accounts: Vec<(String, String)>,
    pub dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// A fresh data dir under the target dir (a real disk, so that fsync is
    /// real), accounts and a scrutineer key made by the library, then the
    /// server on its own, answering.
    pub async fn start(name: &str) -> Server {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        println!("{name}: data in {}", dir.path().display());
        let keys = dir.path().join("keys");
        minsheng::keys::Signer::for_tests("scrutineer-1")
            .save(&keys, "scrutineer-1")
            .unwrap();
        std::fs::remove_file(keys.join("scrutineer-1.key")).unwrap();
        let (state, created) = minsheng::server::prepare(dir.path(), false).await.unwrap();
        drop(state);
        let accounts = created
            .accounts
            .iter()
            .map(|(u, p, _)| (u.clone(), p.clone()))
            .collect();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_minsheng"))
            .args(["serve", "--data"])
            .arg(dir.path())
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            accounts,
            dir,
        };
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if http
                .get(format!("{}/api/hall", server.base))
                .send()
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    /// Peak resident memory of the server process, from /proc.
    pub fn peak_rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(f64::NAN)
    }

    /// A client signed in as `user`, and its CSRF token.
    pub async fn login(&self, user: &str) -> (reqwest::Client, String) {
        let password = &self.accounts.iter().find(|(u, _)| u == user).unwrap().1;
        let c = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let login: Value = c
            .post(format!("{}/api/login", self.base))
            .json(&json!({"username": user, "password": password}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (c, login["csrf"].as_str().unwrap().to_string())
    }
}

/// What `req` answers, as JSON.
pub async fn answer(req: reqwest::RequestBuilder) -> Value {
    req.send().await.unwrap().json().await.unwrap()
}
