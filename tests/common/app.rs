//! A real server on port 0 with a temporary data dir, and the clients the
//! HTTP tests drive it with.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use minsheng::keys::Signer;
use serde_json::{json, Value};

pub struct TestApp {
    pub base: String,
    pub dir: tempfile::TempDir,
    pub password: String,
    /// (user name, password) of every account the server created.
    pub accounts: Vec<(String, String)>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        for name in ["scrutineer-1", "scrutineer-2"] {
            Signer::for_tests(name).save(&keys, name).unwrap();
            std::fs::remove_file(keys.join(format!("{name}.key"))).unwrap(); // scrutineers keep their own
        }
        let (state, created) = minsheng::server::prepare(dir.path(), false).await.unwrap();
        let password = created.accounts[0].1.clone();
        let accounts = created
            .accounts
            .iter()
            .map(|(u, p, _)| (u.clone(), p.clone()))
            .collect();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(minsheng::web::serve(listener, state, async {
            let _ = rx.await;
        }));
        TestApp {
            base,
            dir,
            password,
            accounts,
            _shutdown: tx,
        }
    }

    pub fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap()
    }

    /// A signed-in staff client (the secretariat account).
    pub async fn login(&self) -> StaffClient {
        self.login_as("mishu").await
    }

    /// A signed-in client for one of the accounts (mishu, zongjianpiao,
    /// jianpiao1, jianpiao2, jipiao1, jipiao2).
    pub async fn login_as(&self, user: &str) -> StaffClient {
        let password = &self
            .accounts
            .iter()
            .find(|(u, _)| u == user)
            .expect("no such account")
            .1;
        let c = TestApp::client();
        let r = c
            .post(format!("{}/api/login", self.base))
            .json(&json!({"username": user, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let j: Value = r.json().await.unwrap();
        StaffClient {
            c,
            csrf: j["csrf"].as_str().unwrap().to_string(),
            base: self.base.clone(),
        }
    }
}

/// A signed-in staff member: every call carries the session cookie and the
/// CSRF token.
pub struct StaffClient {
    pub c: reqwest::Client,
    pub csrf: String,
    pub base: String,
}

impl StaffClient {
    pub async fn get(&self, path: &str) -> (u16, Value) {
        call(
            &self.c,
            "GET",
            format!("{}{path}", self.base),
            &self.csrf,
            None,
        )
        .await
    }
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        call(
            &self.c,
            "POST",
            format!("{}{path}", self.base),
            &self.csrf,
            Some(body),
        )
        .await
    }
    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        call(
            &self.c,
            "PUT",
            format!("{}{path}", self.base),
            &self.csrf,
            Some(body),
        )
        .await
    }
    /// Posts a file's bytes (CSV or XLSX); the answer's status and JSON.
    pub async fn post_bytes(&self, path: &str, bytes: Vec<u8>) -> (u16, Value) {
        let r = self
            .c
            .post(format!("{}{path}", self.base))
            .header("X-CSRF-Token", &self.csrf)
            .body(bytes)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
    /// Posts text (a CSV roster); the answer's status and body.
    pub async fn post_text(&self, path: &str, text: String) -> (u16, String) {
        let r = self
            .c
            .post(format!("{}{path}", self.base))
            .header("X-CSRF-Token", &self.csrf)
            .body(text)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

pub async fn call(
    c: &reqwest::Client,
    method: &str,
    url: String,
    csrf: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut rb = match method {
        "GET" => c.get(url),
        "PUT" => c.put(url),
        _ => c.post(url),
    };
    rb = rb.header("X-CSRF-Token", csrf);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}
