#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! TLS on the hall network: certificate files or a self-signed drill
//! certificate whose fingerprint is printed for staff to check.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_speaks_tls_from_pem_files_and_refuses_plain_http() {
    let dir = tempfile::tempdir().unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (dir.path().join("hall.crt"), dir.path().join("hall.key"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    let tls = minsheng::tls::Tls::from_files(&cert, &key).unwrap();
    assert_eq!(tls.fingerprint.len(), 32 * 3 - 1, "AA:BB:… over 32 bytes");
    assert!(
        minsheng::tls::Tls::from_files(&key, &key).is_err(),
        "a key is not a certificate"
    );

    let data = dir.path().join("data");
    let (state, created) = minsheng::server::prepare(&data, false).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(minsheng::web::serve_tls(
        listener,
        state,
        Some(tls.acceptor),
        async {
            let _ = rx.await;
        },
    ));
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(tls.cert_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let r = client
        .get(format!("https://localhost:{port}/api/hall"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Under TLS the session cookie is Secure: a browser never sends it in clear.
    let (user, password, _) = &created.accounts[0];
    let r = client
        .post(format!("https://localhost:{port}/api/login"))
        .json(&serde_json::json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("ms_staff="), "{cookie}");
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    // A client that does not trust the certificate gets no answer, nor does plain HTTP.
    assert!(reqwest::get(format!("https://localhost:{port}/api/hall"))
        .await
        .is_err());
    assert!(reqwest::get(format!("http://127.0.0.1:{port}/api/hall"))
        .await
        .is_err());
    let _ = tx.send(());
}

#[test]
fn a_self_signed_drill_prints_its_fingerprint_and_qr() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_minsheng"))
        .args(["serve", "--self-signed", "--data"])
        .arg(dir.path())
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    // Should the awaited line never come, the server is stopped after a
    // minute, its output ends, and the checks below say what was printed.
    let pid = child.id().to_string();
    let (read_all, watchdog) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let minute = std::time::Duration::from_secs(60);
        // A dropped sender (everything read) is not a timeout.
        let timed_out = std::sync::mpsc::RecvTimeoutError::Timeout;
        if watchdog.recv_timeout(minute) == Err(timed_out) {
            let _ = Command::new("kill").args(["-9", &pid]).status();
        }
    });
    let mut lines = vec![];
    for line in out.lines() {
        let line = line.unwrap();
        let done = line.contains("初始密码已存入");
        lines.push(line);
        if done {
            break;
        }
    }
    drop(read_all);
    let _ = child.kill();
    child.wait().unwrap();
    let text = lines.join("\n");
    assert!(
        text.contains(&format!("https://127.0.0.1:{port}")),
        "{text}"
    );
    let i = lines
        .iter()
        .position(|l| l.contains("证书指纹"))
        .expect("fingerprint heading");
    let fp = lines[i + 1].trim();
    assert_eq!(fp.split(':').count(), 32, "{fp}");
    assert!(
        text.contains('▀') || text.contains('█'),
        "a QR of the fingerprint"
    );
}
