//! `minsheng serve` as a child process on a fixed port, so a test can kill
//! it, stop it, and start it again on the same data.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use minsheng::keys::Signer;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

pub struct ChildServer {
    child: Option<Child>,
    /// The server's data dir.
    pub data: PathBuf,
    /// Where each start's stdout and stderr are kept (`server-N.out/.err`),
    /// to be searched for secrets.
    pub logs: PathBuf,
    pub port: u16,
    pub starts: usize,
}

/// A data dir made ready as `minsheng serve` would at its first start, with
/// the two test scrutineers' public keys (the test keeps their private
/// keys); every account's password by user name.
pub async fn prepare(data: &Path) -> HashMap<String, String> {
    let keys = data.join("keys");
    for name in ["scrutineer-1", "scrutineer-2"] {
        Signer::for_tests(name).save(&keys, name).unwrap();
        std::fs::remove_file(keys.join(format!("{name}.key"))).unwrap();
    }
    let (state, created) = minsheng::server::prepare(data, false).await.unwrap();
    drop(state);
    created
        .accounts
        .iter()
        .map(|(u, p, _)| (u.clone(), p.clone()))
        .collect()
}

impl ChildServer {
    /// A data dir made ready in `dir` (see [`prepare`]) and the server
    /// started on it; the accounts' passwords.
    pub async fn started_in(dir: &Path) -> (ChildServer, HashMap<String, String>) {
        let pw = prepare(dir).await;
        let mut server = ChildServer::new(dir.to_path_buf(), dir.to_path_buf());
        server.start().await;
        (server, pw)
    }

    /// Not started yet: a free port chosen, kept across restarts.
    pub fn new(data: PathBuf, logs: PathBuf) -> ChildServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        ChildServer {
            child: None,
            data,
            logs,
            port,
            starts: 0,
        }
    }

    /// Starts the server and waits until it answers.
    pub async fn start(&mut self) {
        let log = |ext: &str| {
            std::fs::File::create(self.logs.join(format!("server-{}.{ext}", self.starts))).unwrap()
        };
        let child = Command::new(env!("CARGO_BIN_EXE_minsheng"))
            .args(["serve", "--data"])
            .arg(&self.data)
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .stdout(log("out"))
            .stderr(log("err"))
            .spawn()
            .unwrap();
        self.starts += 1;
        self.child = Some(child);
        let c = reqwest::Client::new();
        for _ in 0..500 {
            if c.get(self.url("/api/hall")).send().await.is_ok() {
                return;
            }
            if !self.running() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let said =
            std::fs::read_to_string(self.logs.join(format!("server-{}.err", self.starts - 1)))
                .unwrap_or_default();
        panic!("the server did not come back; it said:\n{said}");
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    /// Whether the process is still running (it has not crashed).
    pub fn running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        self.kill();
    }
}
