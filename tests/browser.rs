#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! In a real browser (headless Chromium through chromedriver): a deputy's
//! whole vote on the tablet page at 1280×800 and 800×1280 — check in, mark,
//! try to exceed the cap, change a mark, review, confirm, receipt, reload —
//! with what a person needs checked on the page itself: text size, touch
//! targets, labels, nothing loaded from elsewhere, page weight. Screenshots
//! go to `target/screens/` (and to `$MINSHENG_SCREENS` when set).
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs
//! them); without them the test fails and says so, unless
//! `MINSHENG_SKIP_BROWSER=1` is set.

mod common;

use common::app::{all_present, codes, open_round, print_paper, TestApp};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// chromedriver, or `None` when the machine has no browser and the skip is asked for.
async fn driver() -> Option<Driver> {
    let present = Command::new("chromedriver")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
        && Command::new("chromium")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !present {
        if std::env::var_os("MINSHENG_SKIP_BROWSER").is_some() {
            eprintln!("SKIPPED: no chromium/chromedriver (MINSHENG_SKIP_BROWSER is set)");
            return None;
        }
        panic!("Chromium and ChromeDriver are needed: `apt-get install chromium chromium-driver` (.ci/run does), or set MINSHENG_SKIP_BROWSER=1 to skip knowingly");
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let driver = Driver { child, port };
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(driver);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("chromedriver did not start");
}

async fn browser(d: &Driver, width: u32, height: u32) -> Client {
    // The WebDriver client speaks plain HTTP to chromedriver, but its TLS
    // stack wants one crypto provider chosen.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"binary": "/usr/bin/chromium", "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", format!("--window-size={width},{height}"), "--lang=zh-CN"]}),
    );
    let c = ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", d.port))
        .await
        .unwrap();
    c.set_window_size(width, height).await.unwrap();
    c
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screens");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), &png).unwrap();
    if let Some(keep) = std::env::var_os("MINSHENG_SCREENS") {
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::write(
            std::path::Path::new(&keep).join(format!("{name}.png")),
            &png,
        )
        .unwrap();
    }
}

/// Waits until `css` matches a visible element.
async fn visible(c: &Client, css: &str) {
    // A minute at most, as `text_until`.
    let until = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < until {
        let js = format!("const e = document.querySelector({css:?}); return !!e && e.getClientRects().length > 0;");
        if c.execute(&js, vec![]).await.unwrap() == Value::Bool(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css} never became visible");
}

/// Scrolls `css` to the middle of the screen, as a person would, and taps it.
async fn click(c: &Client, css: &str) {
    let js = format!("document.querySelector({css:?}).scrollIntoView({{block: 'center'}});");
    c.execute(&js, vec![]).await.unwrap();
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// The text of the first element `css` finds, as shown ("" while there is
/// none): read in one step in the page, so a list drawn anew meanwhile
/// cannot leave a stale element behind.
async fn text(c: &Client, css: &str) -> String {
    let js =
        format!("const e = document.querySelector({css:?}); return e ? e.innerText.trim() : '';");
    c.execute(&js, vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A Chrome DevTools call through chromedriver (`goog/cdp/execute`).
#[derive(Debug)]
struct Cdp(&'static str, Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"cmd": self.0, "params": self.1}).to_string()),
        )
    }
}

/// Every button, checkbox and text field in the browser's accessibility
/// tree (what a screen reader announces) has a name.
async fn check_accessibility_tree(c: &Client) {
    let tree = c
        .issue_cmd(Cdp("Accessibility.getFullAXTree", json!({})))
        .await
        .unwrap();
    let nodes = tree["nodes"].as_array().expect("an accessibility tree");
    let mut controls = 0;
    let mut unnamed = vec![];
    for n in nodes {
        let role = n["role"]["value"].as_str().unwrap_or("");
        if n["ignored"].as_bool() == Some(true)
            || !["button", "checkbox", "textbox", "combobox", "link"].contains(&role)
        {
            continue;
        }
        controls += 1;
        if n["name"]["value"].as_str().unwrap_or("").trim().is_empty() {
            unnamed.push(role.to_string());
        }
    }
    assert!(controls > 0, "the tree has the page's controls");
    assert!(
        unnamed.is_empty(),
        "controls with no accessible name: {unnamed:?}"
    );
}

/// What a deputy needs on the tablet, measured on the page as shown.
async fn check_page(c: &Client, base: &str, section: &str) {
    check_page_min(c, base, section, 20).await
}

/// What a person needs, measured on the page as shown.
/// `min_px`: 20 for the deputies' ballot, 16 for staff screens on laptops;
/// touch targets 44 px on the tablet, 24 px (WCAG 2.5.8) elsewhere.
async fn check_page_min(c: &Client, base: &str, section: &str, min_px: u32) {
    let min_target = if min_px >= 20 { 44 } else { 24 };
    let js = format!(
        r#"
        const root = document.querySelector({section:?});
        const out = {{small_text: [], small_targets: [], unlabelled: [], foreign: [], bytes: 0}};
        for (const el of root.querySelectorAll('h3, .big, .meta, td, th, p')) {{
          if (!el.getClientRects().length || !el.textContent.trim()) continue;
          const px = parseFloat(getComputedStyle(el).fontSize);
          if (px < {min_px}) out.small_text.push(el.tagName + ' ' + px + ' ' + el.textContent.slice(0, 20));
        }}
        for (const el of document.querySelectorAll('button, input, a')) {{
          if (!el.getClientRects().length) continue;
          const r = el.getBoundingClientRect();
          // A link inside a sentence is exempt from target size (WCAG 2.5.8).
          const inline = el.tagName === 'A' && !el.classList.contains('btn') && el.parentElement && ['P', 'LI', 'TD'].includes(el.parentElement.tagName);
          if (!inline && (r.height < {min_target} || r.width < {min_target})) out.small_targets.push(el.outerHTML.slice(0, 60));
          const name = (el.getAttribute('aria-label') || el.textContent || (el.labels && el.labels[0] && el.labels[0].textContent) || '').trim();
          if (!name) out.unlabelled.push(el.outerHTML.slice(0, 60));
        }}
        // WCAG AA: 4.5:1 for text (3:1 from 24 px, or 18.66 px bold).
        const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
        const lum = ([r, g, b]) => [r, g, b].map(v => {{ v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }})
          .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
        const bg = (el) => {{ for (let e = el; e; e = e.parentElement) {{ const c = rgb(getComputedStyle(e).backgroundColor); if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3); }} return [255, 255, 255]; }};
        out.low_contrast = []; out.contrast_checked = 0;
        for (const el of document.querySelectorAll('h1, h2, h3, p, td, th, button, label, span, div')) {{
          if (!el.getClientRects().length) continue;
          const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
          if (!own) continue;
          const st = getComputedStyle(el);
          out.contrast_checked++;
          const L1 = lum(rgb(st.color).slice(0, 3)), L2 = lum(bg(el));
          const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
          const large = parseFloat(st.fontSize) >= 24 || (parseFloat(st.fontSize) >= 18.66 && parseInt(st.fontWeight) >= 700);
          if (ratio < (large ? 3 : 4.5)) out.low_contrast.push(el.tagName + ' ' + ratio.toFixed(2) + ' ' + el.textContent.trim().slice(0, 15));
        }}
        for (const e of performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))) {{
          if (!e.name.startsWith({base:?})) out.foreign.push(e.name);
          out.bytes += e.transferSize || e.encodedBodySize || 0;
        }}
        return out;"#
    );
    let r = c.execute(&js, vec![]).await.unwrap();
    assert_eq!(
        r["small_text"],
        json!([]),
        "text under {min_px} px in {section}"
    );
    assert_eq!(
        r["small_targets"],
        json!([]),
        "touch targets under {min_target} px"
    );
    assert_eq!(r["unlabelled"], json!([]), "controls without a name");
    assert_eq!(r["foreign"], json!([]), "requests to another origin");
    assert_eq!(
        r["low_contrast"],
        json!([]),
        "text below WCAG AA contrast in {section}"
    );
    assert!(
        r["contrast_checked"].as_u64().unwrap() >= 3,
        "the contrast check saw the text: {r}"
    );
    assert!(
        r["bytes"].as_u64().unwrap() < 150 * 1024,
        "page weight {}",
        r["bytes"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deputy_votes_on_the_tablet_page_in_landscape_and_portrait() {
    let Some(d) = driver().await else { return };
    let app = TestApp::spawn().await;
    let base = app.base.clone();
    let staff = app.login().await;
    let id = open_round(&staff, 10).await;
    let codes = codes(&staff).await;

    for (k, (w, h, name)) in [(1280, 800, "landscape"), (800, 1280, "portrait")]
        .into_iter()
        .enumerate()
    {
        let c = browser(&d, w, h).await;
        c.goto(&format!("{base}/tablet")).await.unwrap();
        visible(&c, "#checkin").await;
        check_page(&c, &base, "#checkin").await;
        check_accessibility_tree(&c).await;
        shot(&c, &format!("tablet-checkin-{name}")).await;
        let (number, code) = &codes[k];
        c.find(Locator::Id("number"))
            .await
            .unwrap()
            .send_keys(number)
            .await
            .unwrap();
        c.find(Locator::Id("code"))
            .await
            .unwrap()
            .send_keys(code)
            .await
            .unwrap();
        click(&c, "#checkin-form button").await;
        visible(&c, "#candidates .card").await;
        // Mark up to the cap; a fourth 赞成 is stopped and the page says why.
        for p in 1..=3 {
            click(&c, &format!("button[aria-label='项目{p}：赞成']")).await;
        }
        click(&c, "button[aria-label='项目4：赞成']").await;
        let msg = text(&c, "#msg").await;
        assert!(msg.contains("最多只能选 3 项"), "{msg}");
        // …where the deputy is looking: on the screen, not at the top of a
        // long page they have scrolled away from.
        let seen = c
            .execute(
                "const r = document.getElementById('msg').getBoundingClientRect(); \
                 return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(seen, json!(true), "the warning is in the viewport");
        let pressed = c.execute("return document.querySelector(\"button[aria-label='项目4：赞成']\").getAttribute('aria-pressed')", vec![]).await.unwrap();
        assert_eq!(pressed, json!("false"));
        // Change a mark. Confirming is only offered after the review.
        click(&c, "button[aria-label='项目3：不赞成']").await;
        let shown = c.execute("return ['confirm', 'back', 'next'].map(id => document.getElementById(id).getClientRects().length > 0)", vec![]).await.unwrap();
        assert_eq!(
            shown,
            json!([false, false, true]),
            "on the ballot only 核对选择 is offered"
        );
        check_page(&c, &base, "#ballot").await;
        check_accessibility_tree(&c).await;
        shot(&c, &format!("tablet-ballot-{name}")).await;
        click(&c, "#next").await;
        visible(&c, "#review").await;
        let review = text(&c, "#review-rows").await;
        assert!(
            review.contains("项目3") && review.contains("不赞成"),
            "{review}"
        );
        shot(&c, &format!("tablet-review-{name}")).await;
        click(&c, "#confirm").await;
        visible(&c, "#done").await;
        let seq = text(&c, "#r-seq").await;
        check_page(&c, &base, "#done").await;
        shot(&c, &format!("tablet-receipt-{name}")).await;
        // A reload shows the receipt again, not a new ballot.
        c.refresh().await.unwrap();
        visible(&c, "#done").await;
        assert_eq!(text(&c, "#r-seq").await, seq);
        c.close().await.unwrap();
        // In the log exactly once.
        let (_, counts) = staff.get(&format!("/api/rounds/{id}/counts")).await;
        assert_eq!(counts["returned"].as_u64(), Some(k as u64 + 1), "{counts}");
    }
    let (_, closed) = staff
        .post(&format!("/api/rounds/{id}/close"), json!({}))
        .await;
    let t = &closed["result"]["tally"];
    assert_eq!(
        (t["P01"]["for"].as_u64(), t["P03"]["against"].as_u64()),
        (Some(2), Some(2)),
        "{closed}"
    );

    // The announcement, printed to PDF by the browser: A4, nothing cut off.
    let tally_hash = common::app::attest_and_publish(&staff, id).await;
    let html = reqwest::get(format!("{base}/results/{id}/announcement"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("announcement.html");
    std::fs::write(&page, html).unwrap();
    let pdf = dir.path().join("announcement.pdf");
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--no-pdf-header-footer",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(pdf.exists(), "{}", String::from_utf8_lossy(&out.stderr));
    let info =
        String::from_utf8(Command::new("pdfinfo").arg(&pdf).output().unwrap().stdout).unwrap();
    assert!(info.contains("(A4)"), "{info}");
    let text = String::from_utf8(
        Command::new("pdftotext")
            .args(["-layout"])
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let flat: String = text.split_whitespace().collect();
    assert!(flat.contains("特此公告"), "{text}");
    assert!(
        flat.contains(&tally_hash),
        "the whole tally hash is on the page: {text}"
    );
    for p in 1..=5 {
        assert!(
            flat.contains(&format!("项目{p}")),
            "项目{p} on the announcement"
        );
    }
    if let Some(keep) = std::env::var_os("MINSHENG_SCREENS") {
        let out = Command::new("pdftoppm")
            .args(["-r", "80", "-png", "-singlefile"])
            .arg(&pdf)
            .arg(std::path::Path::new(&keep).join("announcement"))
            .output()
            .unwrap();
        assert!(out.status.success());
    }
}

/// What sticks out past the right edge of the window (the page must not
/// scroll sideways): each element's tag, class and width, innermost first.
async fn too_wide(c: &Client) -> Value {
    c.execute(
        "if (document.documentElement.scrollWidth <= window.innerWidth) return []; \
         return [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1) \
           .filter((e) => ![...e.children].some((k) => k.getBoundingClientRect().right > window.innerWidth + 1)) \
           .slice(0, 8).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().width) + 'px ' + (e.textContent || '').slice(0, 30));",
        vec![],
    )
    .await
    .unwrap()
}

/// Everything the tablet's browser keeps, as one string.
async fn storage(c: &Client) -> String {
    let js = "return JSON.stringify([Object.assign({}, localStorage), Object.assign({}, sessionStorage)]);";
    c.execute(js, vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

/// Checks a deputy in on the tablet page and waits for the ballot.
async fn check_in_on(c: &Client, number: &str, code: &str) {
    visible(c, "#checkin").await;
    for (id, v) in [("number", number), ("code", code)] {
        let field = c.find(Locator::Id(id)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(v).await.unwrap();
    }
    click(c, "#checkin-form button").await;
    visible(c, "#candidates .card").await;
}

/// Marks 项目1 赞成, reviews and confirms; the receipt's short hash.
async fn vote_on(c: &Client) -> String {
    click(c, "button[aria-label='项目1：赞成']").await;
    click(c, "#next").await;
    visible(c, "#review").await;
    click(c, "#confirm").await;
    for _ in 0..100 {
        let done = c
            .execute("return !document.getElementById('done').hidden;", vec![])
            .await
            .unwrap();
        if done == Value::Bool(true) {
            return text(c, "#r-hash").await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no receipt; the page says: {}", text(c, "#msg").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_on_a_tablet_outlives_the_deputy() {
    let Some(d) = driver().await else { return };
    let app = TestApp::spawn().await;
    let base = app.base.clone();
    let staff = app.login().await;
    let id = open_round(&staff, 5).await;
    let codes = codes(&staff).await;
    let c = browser(&d, 1280, 800).await;
    c.goto(&format!("{base}/tablet")).await.unwrap();

    // The first deputy votes; until 完成 the tablet keeps the ballot and receipt.
    check_in_on(&c, &codes[0].0, &codes[0].1).await;
    let held = storage(&c).await;
    let credential: String = serde_json::from_str::<Value>(&held).unwrap()[0]
        .as_object()
        .unwrap()
        .values()
        .find_map(|v| {
            let s: Value = serde_json::from_str(v.as_str()?).ok()?;
            Some(s["credential"].as_str()?.to_string())
        })
        .expect("the ballot is kept while the deputy votes (a reload keeps the marks)");
    let receipt = vote_on(&c).await;
    assert!(storage(&c).await.contains(&receipt));
    shot(&c, "tablet-receipt-finish").await;
    // 完成: nothing of theirs stays, and the tablet is ready for the next.
    click(&c, "#finish").await;
    visible(&c, "#checkin").await;
    let left = storage(&c).await;
    for secret in [&credential, &receipt] {
        assert!(
            !left.contains(secret.as_str()),
            "{secret} left on the tablet: {left}"
        );
    }
    let st: Value = c
        .execute(
            "return fetch('/api/tablet/state').then(r => r.json());",
            vec![],
        )
        .await
        .unwrap();
    assert!(st["deputy"].is_null(), "the session ended too: {st}");

    // The next deputy checks in normally on the same tablet and votes.
    check_in_on(&c, &codes[1].0, &codes[1].1).await;
    let second = vote_on(&c).await;
    assert_ne!(second, receipt);
    // They walk away without 完成; the round closes: the tablet forgets.
    let (s, j) = staff
        .post(&format!("/api/rounds/{id}/close"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    visible(&c, "#checkin").await;
    let left = storage(&c).await;
    assert!(
        !left.contains(&second),
        "the receipt outlived the round: {left}"
    );
    assert!(!left.contains("ms_ballot_"), "{left}");
    let (_, counts) = staff.get(&format!("/api/rounds/{id}/counts")).await;
    assert_eq!(counts["returned"], 2, "{counts}");
    c.close().await.unwrap();
}

/// The tablet's own blinding code (blind.js, plain JavaScript with BigInt)
/// against RFC 9474's test vectors, in the browser that runs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tablet_blinds_and_finishes_as_rfc_9474_says() {
    let Some(d) = driver().await else { return };
    let app = TestApp::spawn().await;
    let c = browser(&d, 1280, 800).await;
    c.goto(&format!("{}/tablet", app.base)).await.unwrap();
    visible(&c, "#checkin").await;
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/spec/v2/vectors/rfc9474.json"
    ))
    .unwrap();
    let vectors: Vec<Value> = serde_json::from_str(&text).unwrap();
    // SHA-384 itself (FIPS 180-4's "abc", and a message over two blocks).
    let sha = c
        .execute(
            "return [MsBlind.hex(MsBlind.sha384(new TextEncoder().encode('abc'))), \
             MsBlind.hex(MsBlind.sha384(new Uint8Array(300).fill(97)))];",
            vec![],
        )
        .await
        .unwrap();
    use sha2::Digest;
    assert_eq!(sha[0], "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
    assert_eq!(
        sha[1].as_str().unwrap(),
        hex::encode(sha2::Sha384::digest([97u8; 300]))
    );
    let mut checked = 0;
    for v in vectors.iter().filter(|v| {
        v["sLen"].as_str().is_some_and(|s| {
            s.trim_start_matches("0x")
                .trim_start_matches('0')
                .is_empty()
        })
    }) {
        let key = json!({"n": v["n"].as_str().unwrap().trim_start_matches("0x"),
                         "e": v["e"].as_str().unwrap().trim_start_matches("0x")});
        let msg = format!(
            "{}{}",
            v["msg_prefix"].as_str().unwrap(),
            v["msg"].as_str().unwrap()
        );
        let inv = v["inv"].as_str().unwrap().trim_start_matches("0x");
        let out = c
            .execute(
                "const [key, msg, inv, blindSig] = arguments; \
                 const n = BigInt('0x' + key.n); \
                 const r = MsBlind.modInv(BigInt('0x' + inv), n); \
                 const b = MsBlind.blind(MsBlind.unhex(msg), key, r); \
                 return [b.blinded, MsBlind.finalize(MsBlind.unhex(msg), key, blindSig, b.inv), \
                         MsBlind.finalize(MsBlind.unhex(msg + '00'), key, blindSig, b.inv)];",
                vec![key, json!(msg), json!(inv), v["blind_sig"].clone()],
            )
            .await
            .unwrap();
        assert_eq!(out[0], v["blinded_msg"], "{}: blinded message", v["name"]);
        assert_eq!(out[1], v["sig"], "{}: finished signature", v["name"]);
        assert!(
            out[2].is_null(),
            "a signature for another message is refused"
        );
        checked += 1;
    }
    assert_eq!(checked, 2, "both vectors without salt");
    c.close().await.unwrap();
}

/// The answer to the ballot request is lost: the tablet asks again with the
/// credential it kept and gets the same signature; the deputy votes once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_the_ballot_request_costs_no_vote() {
    let Some(d) = driver().await else { return };
    let app = TestApp::spawn().await;
    let staff = app.login().await;
    let id = open_round(&staff, 5).await;
    let codes = codes(&staff).await;
    let c = browser(&d, 1280, 800).await;
    c.goto(&format!("{}/tablet", app.base)).await.unwrap();
    visible(&c, "#checkin").await;
    // The first answer to POST /api/tablet/ballot reaches the server and is
    // lost on the way back, as on a dropped Wi-Fi.
    c.execute(
        "const orig = window.fetch; window.lost = 0; \
         window.fetch = async (u, o) => { const r = await orig(u, o); \
           if (String(u).includes('/api/tablet/ballot') && window.lost === 0) { window.lost = 1; throw new TypeError('lost'); } \
           return r; };",
        vec![],
    )
    .await
    .unwrap();
    check_in_on(&c, &codes[0].0, &codes[0].1).await;
    assert_eq!(
        c.execute("return window.lost;", vec![]).await.unwrap(),
        json!(1)
    );
    let receipt = vote_on(&c).await;
    assert_eq!(receipt.len(), 8);
    let (_, counts) = staff.get(&format!("/api/rounds/{id}/counts")).await;
    assert_eq!(
        (
            counts["tablet_issued"].as_u64(),
            counts["returned"].as_u64()
        ),
        (Some(1), Some(1)),
        "{counts}"
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_is_a_form_and_cancel_records_nothing() {
    let Some(d) = driver().await else { return };
    let app = TestApp::spawn().await;
    let base = app.base.clone();
    // A year in 审核论证 with one declared project, by the API.
    let leader = app.login_as("gongzuozu").await;
    let dept = app.login_as("jiaoyuju").await;
    let (s, j) = leader
        .post(
            "/api/upstream/year",
            json!({"year": 2027, "collection_opened": "2026-07-15"}),
        )
        .await;
    assert_eq!(s, 200, "{j}");
    for (town, cat, title) in [
        ("石拐镇", "城建", "五当召路路灯不亮"),
        ("大发街道", "教育", "学校门口交通拥堵"),
        ("吉忽伦图苏木", "城建", "嘎查道路硬化"),
    ] {
        let (s, j) = leader
            .post(
                "/api/upstream/suggestions",
                json!({"channel": "directed", "source": "区人大代表", "place": {"town": town, "village": ""},
                       "category": cat, "title": title, "text": format!("{title}，请尽快解决")}),
            )
            .await;
        assert_eq!(s, 200, "{j}");
    }
    let (s, _) = leader
        .post("/api/upstream/advance", json!({"note": "征集结束"}))
        .await;
    assert_eq!(s, 200);
    let doc = json!({"name": "学校食堂提升", "content": "提升5所学校食堂", "lead_unit": "区教育局", "co_units": [],
        "investment_yuan": 3_000_000, "funding_source": "区级财政", "deadline": "2027-11-30", "category": "教育",
        "study": {"date": "2026-09-10", "minutes": "党组会议研究"}, "vice_review": {"date": "2026-09-15", "by": "副区长"}});
    let (s, j) = dept
        .post("/api/upstream/projects", json!({"doc": doc}))
        .await;
    assert_eq!(s, 200, "{j}");
    let id = j["id"].as_i64().unwrap();
    let (s, _) = leader
        .post("/api/upstream/advance", json!({"note": "申报结束"}))
        .await;
    assert_eq!(s, 200);
    let events = || async {
        reqwest::get(format!("{base}/public/audit.jsonl"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let before = events().await;

    let b = browser(&d, 1280, 800).await;
    sign_in(&b, &base, "gongzuozu", &app.password_of("gongzuozu")).await;
    visible(&b, "#year").await;
    // The suggestions are searchable, and 类别/承办部门 offer what is in use.
    click(&b, "button[data-tab='sugg']").await;
    text_until(&b, "#sugg-count", |t| t == "共 3 条").await;
    b.find(Locator::Id("sugg-filter"))
        .await
        .unwrap()
        .send_keys("路灯")
        .await
        .unwrap();
    text_until(&b, "#sugg-count", |t| t == "找到 1 条（共 3 条）").await;
    assert!(text(&b, "#sugg").await.contains("五当召路路灯不亮"));
    let cats = b
        .execute(
            "return [...document.querySelectorAll('#dl-cat option')].map((o) => o.value);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        cats,
        json!(["城建", "教育"]),
        "the categories in use are offered"
    );
    let units = b
        .execute(
            "return [...document.querySelectorAll('#dl-dept option')].map((o) => o.value);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(units, json!(["区教育局"]), "the units in use are offered");
    click(&b, "button[data-tab='proj']").await;
    let pass = "button[aria-label='学校食堂提升：审核通过']".to_string();
    visible(&b, &pass).await;
    // 审核通过 opens a form, not four pop-ups; 取消 records nothing.
    click(&b, &pass).await;
    visible(&b, "#assess-dlg").await;
    shot(&b, "upstream-assess-form").await;
    click(&b, "#assess-dlg button[value='cancel']").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, p) = leader.get("/api/upstream/projects").await;
    assert_eq!(
        p["projects"][0]["status"], "declared",
        "取消 left the project as it was"
    );
    assert_eq!(
        events().await,
        before,
        "取消 wrote nothing to the audit chain"
    );
    // Filled in and confirmed, the review is recorded with what was written.
    click(&b, &pass).await;
    visible(&b, "#assess-dlg").await;
    for (id, text) in [
        ("a-necessity", "群众反映集中"),
        ("a-feasibility", "暑期施工可行"),
        ("a-funding", "区级财政已安排"),
        ("a-performance", "5所食堂达标"),
    ] {
        b.find(Locator::Id(id))
            .await
            .unwrap()
            .send_keys(text)
            .await
            .unwrap();
    }
    click(&b, "#assess-ok").await;
    text_until(&b, "#msg", |t| t.contains("审核意见已记录")).await;
    let (_, p) = leader.get("/api/upstream/projects").await;
    assert_eq!(p["projects"][0]["status"], "passed");
    assert_eq!(
        p["projects"][0]["assessment"]["feasibility"],
        "暑期施工可行"
    );
    let after = events().await;
    assert_eq!(
        after.lines().count(),
        before.lines().count() + 1,
        "one event: the review"
    );
    assert!(after.contains(&format!("\"project:{id}\"")));
    b.close().await.unwrap();
}

/// A server on a port of our choosing over `data`, stopped by the sender.
async fn server_on(
    data: &std::path::Path,
    port: u16,
) -> (Vec<(String, String)>, tokio::sync::oneshot::Sender<()>) {
    // The test scrutineers' public keys, as staff would place them.
    let keys = data.join("keys");
    for name in ["scrutineer-1", "scrutineer-2"] {
        if !keys.join(format!("{name}.pub")).exists() {
            minsheng::keys::Signer::for_tests(name)
                .save(&keys, name)
                .unwrap();
            std::fs::remove_file(keys.join(format!("{name}.key"))).unwrap();
        }
    }
    let (state, created) = minsheng::server::prepare(data, false).await.unwrap();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(minsheng::web::serve(listener, state, async {
        let _ = rx.await;
    }));
    let accounts = created
        .accounts
        .into_iter()
        .map(|(u, p, _)| (u, p))
        .collect();
    (accounts, tx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_gone_at_confirm_keeps_the_marks_and_the_retry_gives_one_ballot() {
    let Some(d) = driver().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let (accounts, stop) = server_on(dir.path(), port).await;
    let password = &accounts.iter().find(|(u, _)| u == "mishu").unwrap().1;
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login: Value = c
        .post(format!("{base}/api/login"))
        .json(&json!({"username": "mishu", "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let staff = common::app::StaffClient {
        c,
        csrf: login["csrf"].as_str().unwrap().to_string(),
        base: base.clone(),
    };
    let id = open_round(&staff, 4).await;
    let (number, code) = codes(&staff).await[0].clone();

    let b = browser(&d, 1280, 800).await;
    b.goto(&format!("{base}/tablet")).await.unwrap();
    visible(&b, "#checkin").await;
    b.find(Locator::Id("number"))
        .await
        .unwrap()
        .send_keys(&number)
        .await
        .unwrap();
    b.find(Locator::Id("code"))
        .await
        .unwrap()
        .send_keys(&code)
        .await
        .unwrap();
    click(&b, "#checkin-form button").await;
    visible(&b, "#candidates .card").await;
    click(&b, "button[aria-label='项目2：赞成']").await;
    click(&b, "button[aria-label='项目5：不赞成']").await;
    click(&b, "#next").await;
    visible(&b, "#review").await;

    // The server goes away at the moment of confirming.
    let _ = stop.send(());
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    click(&b, "#confirm").await;
    let mut msg = String::new();
    for _ in 0..100 {
        msg = text(&b, "#msg").await;
        if msg.contains("网络") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        msg.contains("尚未保存") && msg.contains("已保留"),
        "the page says it plainly: {msg}"
    );
    shot(&b, "tablet-network-down").await;
    let still = text(&b, "#review-rows").await;
    assert!(
        still.contains("项目2") && still.contains("不赞成"),
        "the marks are kept: {still}"
    );

    // Back, and the retry gives one ballot and one receipt.
    let (_, _stop) = server_on(dir.path(), port).await;
    click(&b, "#confirm").await;
    visible(&b, "#done").await;
    assert_eq!(text(&b, "#r-seq").await, "1");
    b.refresh().await.unwrap();
    visible(&b, "#done").await;
    assert_eq!(text(&b, "#r-seq").await, "1");
    b.close().await.unwrap();
    let (_, counts) = staff.get(&format!("/api/rounds/{id}/counts")).await;
    assert_eq!(counts["returned"].as_u64(), Some(1), "{counts}");
}

/// Signs in through the login page; the browser lands where the role works.
async fn sign_in(b: &Client, base: &str, user: &str, password: &str) {
    b.goto(&format!("{base}/login")).await.unwrap();
    visible(b, "#username").await;
    b.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys(user)
        .await
        .unwrap();
    b.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    click(b, "#f button").await;
}

/// Waits until `css`'s text satisfies `want` — a minute at most: the
/// browser tests run side by side on a CI machine of two cores, so work the
/// page waits for (a 20,000-row import, say) may take far longer than alone.
async fn text_until(b: &Client, css: &str, want: impl Fn(&str) -> bool) -> String {
    let mut t = String::new();
    let until = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < until {
        t = text(b, css).await;
        if want(&t) {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css} stayed {t:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consoles_count_enter_paper_and_publish_as_staff_see_them() {
    let Some(d) = driver().await else { return };
    let app = TestApp::spawn().await;
    let base = app.base.clone();
    let pw = |u: &str| app.accounts.iter().find(|(x, _)| x == u).unwrap().1.clone();
    let staff = app.login().await;
    let id = open_round(&staff, 6).await;

    // The presiding console: counts move as tablets vote; no tally while open.
    let console = browser(&d, 1280, 900).await;
    sign_in(&console, &base, "mishu", &pw("mishu")).await;
    visible(&console, "#s-returned").await;
    text_until(&console, "#s-returned", |t| t == "0").await;
    let codes = codes(&staff).await;
    for (number, code) in codes.iter().take(2) {
        let t = common::app::Tablet::check_in(&base, number, code).await;
        assert_eq!(t.vote(json!({"P01": "for"})).await.0, 200);
    }
    text_until(&console, "#s-returned", |t| t == "2").await;
    let page = console.source().await.unwrap();
    assert!(
        !page.contains("赞成 2"),
        "no tally on the console while open"
    );
    shot(&console, "console-open").await;
    // The big screen while open: the log head as SEQ: and the hash in groups of eight.
    let hall = browser(&d, 1280, 720).await;
    hall.goto(&format!("{base}/hall")).await.unwrap();
    let head = text_until(&hall, "#head", |t| t.starts_with("2:")).await;
    assert_eq!(head.split(' ').count(), 8, "{head}");
    assert!(head.split(' ').skip(1).all(|g| g.len() == 8), "{head}");
    let wide = too_wide(&hall).await;
    assert_eq!(wide, json!([]), "nothing wider than the screen");
    shot(&hall, "hall-open").await;
    hall.close().await.unwrap();

    // Paper, entered on the counting page from typed scanner text by two counters.
    let paper = print_paper(&staff, id, 2).await;
    all_present(&staff).await;
    assert_eq!(
        staff
            .post(
                &format!("/api/rounds/{id}/paper/handed-out"),
                json!({"count": 2})
            )
            .await
            .0,
        200
    );
    // Ballot 0 both read alike; ballot 1 the second counter reads differently.
    for (user, expect, second) in [
        ("jipiao1", "请交另一位计票人", "赞成"),
        ("jipiao2", "已计入", "不赞成"),
    ] {
        let b = browser(&d, 1280, 900).await;
        sign_in(&b, &base, user, &pw(user)).await;
        for (k, (code, mark)) in [(&paper[0], "赞成"), (&paper[1], second)]
            .into_iter()
            .enumerate()
        {
            visible(&b, "#scan").await;
            let scan = b.find(Locator::Id("scan")).await.unwrap();
            scan.send_keys(&format!("{code}\u{E007}")).await.unwrap(); // what a USB scanner types, then Enter
            visible(&b, "#ballot").await;
            click(&b, &format!("button[aria-label='项目1：{mark}']")).await;
            if k == 0 {
                check_page_min(&b, &base, "#entry", 16).await;
                check_accessibility_tree(&b).await;
                shot(&b, &format!("count-{user}")).await;
            }
            click(&b, "#save").await;
            let msg = text_until(&b, "#msg", |t| !t.is_empty()).await;
            let want = if k == 1 && user == "jipiao2" {
                "总监票人裁定"
            } else {
                expect
            };
            assert!(msg.contains(want), "{user}: {msg}");
        }
        b.close().await.unwrap();
    }
    text_until(&console, "#s-returned", |t| t == "3").await;
    // The chief scrutineer sees both readings and rules.
    let chief_b = browser(&d, 1280, 900).await;
    sign_in(&chief_b, &base, "zongjianpiao", &pw("zongjianpiao")).await;
    // The chief lands on the counting page, their own, with a way to the results.
    visible(&chief_b, "#disputes button.primary").await;
    assert_eq!(chief_b.current_url().await.unwrap().path(), "/count");
    visible(&chief_b, "#to-console").await;
    let readings = text(&chief_b, "#disputes").await;
    // The disputed ballot is named by what is printed on it, under its QR.
    let printed = minsheng::core::credential::Credential::parse(&paper[1])
        .unwrap()
        .grouped();
    assert!(readings.contains(&printed[..11]), "{printed} in {readings}");
    assert!(
        readings.contains("计票人一 录入") && readings.contains("计票人二 录入"),
        "{readings}"
    );
    shot(&chief_b, "count-chief-ruling").await;
    click(&chief_b, "#disputes button[aria-label='项目1：赞成']").await;
    click(&chief_b, "#disputes button.primary").await;
    let msg = text_until(&chief_b, "#msg", |t| !t.is_empty()).await;
    assert!(msg.contains("已裁定并计入"), "{msg}");
    // On the console the chief watches and signs; the secretariat's controls are not shown.
    chief_b.goto(&format!("{base}/console")).await.unwrap();
    visible(&chief_b, "#scrutineer-note").await;
    text_until(&chief_b, "#s-returned", |t| t == "4").await;
    let shown = chief_b
        .execute(
            "return [...document.querySelectorAll('.sec')].filter((e) => e.getClientRects().length).map((e) => e.textContent);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        shown,
        json!([]),
        "secretariat controls shown to the chief: {shown}"
    );
    chief_b.goto(&format!("{base}/count")).await.unwrap();
    chief_b.close().await.unwrap();
    text_until(&console, "#s-returned", |t| t == "4").await;

    // Close from the console, sign as the scrutineers, publish; the public page shows it.
    let chief = app.login_as("zongjianpiao").await;
    assert_eq!(
        chief
            .post(&format!("/api/rounds/{id}/paper/box"), json!({"count": 2}))
            .await
            .0,
        200
    );
    console
        .execute("window.confirm = () => true;", vec![])
        .await
        .unwrap();
    click(&console, "#rounds button.primary").await;
    visible(&console, "#rounds").await;
    for _ in 0..100 {
        let (_, r) = staff.get(&format!("/api/rounds/{id}")).await;
        if r["state"] == "closed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // 查看结果: each scrutineer's signature (made on their own machine with
    // `minsheng attest`) pasted into the console; then 公布结果.
    let (_, status) = staff.get(&format!("/api/rounds/{id}/result")).await;
    let result: minsheng::core::record::ResultBody =
        serde_json::from_value(status["result"].clone()).unwrap();
    let tally_hash = status["tally_hash"].as_str().unwrap().to_string();
    // The round list refreshes itself every 2 s; 查看结果 appears once it sees the close.
    let mut opened = false;
    for _ in 0..100 {
        let r = console
            .execute(
                "const b = [...document.querySelectorAll('#rounds button')].find(b => b.textContent === '查看结果'); if (b) b.click(); return !!b;",
                vec![],
            )
            .await
            .unwrap();
        if r == Value::Bool(true) {
            opened = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(opened, "the console offers 查看结果 after closing");
    visible(&console, "#result-box").await;
    for name in ["scrutineer-1", "scrutineer-2"] {
        let sig = minsheng::keys::Signer::for_tests(name)
            .sign(minsheng::core::record::Role::Scrutineer, &result);
        let pasted = json!({"public_key": sig.public_key, "signature": sig.signature}).to_string();
        let area = console.find(Locator::Id("attest-json")).await.unwrap();
        area.clear().await.unwrap();
        area.send_keys(&pasted).await.unwrap();
        click(&console, "#attest").await;
        text_until(&console, "#msg", |t| t.contains("签名已接受")).await;
        console
            .execute("document.getElementById('msg').textContent = '';", vec![])
            .await
            .unwrap();
    }
    text_until(&console, "#missing", |t| t.contains("均已签名")).await;
    click(&console, "#publish").await;
    text_until(&console, "#msg", |t| t.contains("结果已公布")).await;
    shot(&console, "console-published").await;
    console.goto(&format!("{base}/results/{id}")).await.unwrap();
    visible(&console, ".qr svg").await;
    let page = console.source().await.unwrap();
    assert!(page.contains(&tally_hash));
    check_page_min(&console, &base, "main", 16).await;
    shot(&console, "result-page").await;
    // An observer's phone: the page reads without sideways scrolling.
    let phone = browser(&d, 390, 844).await;
    phone.goto(&format!("{base}/results/{id}")).await.unwrap();
    visible(&phone, "#kit-commands").await;
    let wide = too_wide(&phone).await;
    assert_eq!(wide, json!([]), "the results page is wider than a phone");
    shot(&phone, "result-page-phone").await;
    phone.close().await.unwrap();
    // The other screens, as they stand after the vote.
    for (path, name) in [
        ("/hall", "hall-display"),
        ("/results", "results-list"),
        ("/public", "public-year"),
    ] {
        console.goto(&format!("{base}{path}")).await.unwrap();
        visible(&console, "main").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        check_page_min(&console, &base, "main", 16).await;
        shot(&console, name).await;
    }
    let hall = console.source().await.unwrap();
    assert!(hall.contains("提出您的建议"));
    sign_in(&console, &base, "gongzuozu", &pw("gongzuozu")).await;
    visible(&console, "#year").await;
    check_page_min(&console, &base, "main", 16).await;
    shot(&console, "upstream-workbench").await;
    console.close().await.unwrap();
}

/// The demo district at its real size, each screen as its user meets it:
/// the working group's 286 suggestions and the declared projects, searched;
/// the secretariat's 150 deputies, searched, their 签到码 printed; the
/// demo's 12 candidates on a 10" tablet, where a 赞成 over the cap at the
/// bottom of the ballot is answered on the screen; the public year page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_district_at_its_real_size() {
    let Some(d) = driver().await else { return };
    let app = TestApp::spawn_demo().await;
    let base = app.base.clone();
    let pw = |u: &str| app.accounts.iter().find(|(x, _)| x == u).unwrap().1.clone();

    // 工作组: every suggestion of the year, then a search that narrows them.
    let wg = app.login_as("gongzuozu").await;
    let (_, j) = wg.get("/api/upstream/suggestions?per=1000").await;
    let all = j["suggestions"].as_array().unwrap().clone();
    assert!(
        all.len() >= 280,
        "the demo year's suggestions: {}",
        all.len()
    );
    let b = browser(&d, 1366, 900).await;
    sign_in(&b, &base, "gongzuozu", &pw("gongzuozu")).await;
    visible(&b, "#year").await;
    click(&b, "button[data-tab='sugg']").await;
    let total = format!("共 {} 条", all.len());
    text_until(&b, "#sugg-count", |t| t == total).await;
    let rows = |b: &Client, css: &'static str| {
        let b = b.clone();
        async move {
            b.execute(
                &format!("return document.querySelectorAll('{css} tr').length;"),
                vec![],
            )
            .await
            .unwrap()
            .as_u64()
            .unwrap() as usize
        }
    };
    assert_eq!(rows(&b, "#sugg").await, 100, "a page of 100");
    let pages = format!("第 1 / {} 页", all.len().div_ceil(100));
    text_until(&b, "#sugg-page", |t| t == pages).await;
    let term = "路灯";
    let want = all
        .iter()
        .filter(|s| {
            ["title", "text", "category", "department"]
                .iter()
                .any(|k| s[k].as_str().unwrap_or("").contains(term))
                || ["town", "village"]
                    .iter()
                    .any(|k| s["place"][k].as_str().unwrap_or("").contains(term))
        })
        .count();
    assert!(want > 0 && want < all.len(), "{want} of {}", all.len());
    b.find(Locator::Id("sugg-filter"))
        .await
        .unwrap()
        .send_keys(term)
        .await
        .unwrap();
    let found = format!("找到 {want} 条（共 {} 条）", all.len());
    text_until(&b, "#sugg-count", |t| t == found).await;
    assert_eq!(rows(&b, "#sugg").await, want.min(100));
    // Narrowed by a filter as well: the words and the town together.
    let town = all
        .iter()
        .find(|s| s["text"].as_str().unwrap_or("").contains(term))
        .map(|s| s["place"]["town"].as_str().unwrap().to_string())
        .unwrap();
    let in_town = all
        .iter()
        .filter(|s| {
            s["place"]["town"] == town.as_str()
                && ["title", "text", "category", "department"]
                    .iter()
                    .any(|k| s[k].as_str().unwrap_or("").contains(term))
        })
        .count();
    b.execute(
        &format!("const s = document.getElementById('f-town'); s.value = {town:?}; s.dispatchEvent(new Event('change'));"),
        vec![],
    )
    .await
    .unwrap();
    let found = format!("找到 {in_town} 条（共 {} 条）", all.len());
    text_until(&b, "#sugg-count", |t| t == found).await;
    let facets = text(&b, "#sugg-facets").await;
    assert!(facets.contains(&format!("{town} {in_town}")), "{facets}");
    check_page_min(&b, &base, "main", 16).await;
    shot(&b, "upstream-suggestions-search").await;

    // The projects, searched by a lead unit.
    let (_, j) = wg.get("/api/upstream/projects").await;
    let projects = j["projects"].as_array().unwrap().clone();
    assert!(projects.len() >= 12, "{}", projects.len());
    click(&b, "button[data-tab='proj']").await;
    let total = format!("共 {} 个", projects.len());
    text_until(&b, "#proj-count", |t| t == total).await;
    let unit = "区教育局";
    b.find(Locator::Id("proj-filter"))
        .await
        .unwrap()
        .send_keys(unit)
        .await
        .unwrap();
    text_until(&b, "#proj-count", |t| t.starts_with("找到")).await;
    let shown = rows(&b, "#proj").await;
    let leads = projects
        .iter()
        .filter(|p| p["doc"]["lead_unit"] == unit)
        .count();
    assert!(
        shown >= leads && leads > 0 && shown < projects.len(),
        "{shown} shown, {leads} led by {unit}"
    );
    let cells = b
        .execute(
            "return [...document.querySelectorAll('#proj tr')].map((r) => r.textContent);",
            vec![],
        )
        .await
        .unwrap();
    let cells: Vec<String> = serde_json::from_value(cells).unwrap();
    assert_eq!(
        cells.iter().filter(|r| r.contains(unit)).count(),
        shown,
        "every row found names {unit}: {cells:?}"
    );
    shot(&b, "upstream-projects-search").await;
    b.close().await.unwrap();

    // 秘书处: the 150-deputy roster, searched; the 签到码 sheet for all.
    let staff = app.login().await;
    let (_, rounds) = staff.get("/api/rounds").await;
    let id = rounds["rounds"][0]["id"].as_i64().unwrap();
    let console = browser(&d, 1366, 900).await;
    sign_in(&console, &base, "mishu", &pw("mishu")).await;
    visible(&console, "#s-total").await;
    text_until(&console, "#s-total", |t| t == "150").await;
    assert_eq!(rows(&console, "#deputies").await, 150);
    console
        .find(Locator::Id("dep-filter"))
        .await
        .unwrap()
        .send_keys("五当召镇")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, deps) = staff.get("/api/deputies").await;
    let in_town = deps["deputies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["delegation"].as_str().unwrap().contains("五当召镇"))
        .count();
    assert!(in_town > 0 && in_town < 150, "{in_town}");
    assert_eq!(rows(&console, "#deputies").await, in_town);
    let main = console.window().await.unwrap();
    click(&console, "#codes").await;
    let mut sheet = None;
    for _ in 0..50 {
        let windows = console.windows().await.unwrap();
        if let Some(w) = windows.into_iter().find(|w| *w != main) {
            sheet = Some(w);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    console.switch_to_window(sheet.unwrap()).await.unwrap();
    let sheet = console
        .execute(
            "return [document.readyState, document.querySelectorAll('tr').length, document.body.textContent];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(sheet[0], json!("complete"), "the sheet finishes loading");
    assert_eq!(sheet[1], json!(151), "a row for each of the 150 deputies");
    console.close_window().await.unwrap();
    console.switch_to_window(main).await.unwrap();
    console.close().await.unwrap();

    // A deputy on a 10-inch tablet with the demo's 12 candidates (10 may
    // have 赞成): the 11th 赞成, on the last card at the bottom of the
    // ballot, is refused where the deputy is looking.
    let (s, j) = staff
        .post(&format!("/api/rounds/{id}/open"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    let (number, code) = codes(&staff).await.into_iter().next().unwrap();
    let t = browser(&d, 1280, 800).await;
    t.goto(&format!("{base}/tablet")).await.unwrap();
    check_in_on(&t, &number, &code).await;
    visible(&t, "#candidates .card").await;
    let cards = t
        .execute(
            "return document.querySelectorAll('#candidates .card').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(cards, json!(12));
    let vote_for = |p: usize| format!("#candidates .card:nth-child({p}) button.for");
    for p in 1..=10 {
        click(&t, &vote_for(p)).await;
    }
    click(&t, &vote_for(12)).await;
    let msg = text(&t, "#msg").await;
    assert!(msg.contains("最多只能选 10 项"), "{msg}");
    let seen = t
        .execute(
            "const b = document.querySelector('#candidates .card:nth-child(12) button.for').getBoundingClientRect(); \
             const r = document.getElementById('msg').getBoundingClientRect(); \
             return [r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight, b.top > window.innerHeight / 2, window.scrollY > 0];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        seen,
        json!([true, true, true]),
        "the warning in view while the deputy is at the bottom of the ballot"
    );
    shot(&t, "tablet-over-cap-demo").await;
    t.close().await.unwrap();

    // The public year page: this year's suggestions and projects, readable on a phone.
    let phone = browser(&d, 390, 844).await;
    phone.goto(&format!("{base}/public")).await.unwrap();
    visible(&phone, "main").await;
    let wide = too_wide(&phone).await;
    assert_eq!(wide, json!([]), "the public page is wider than a phone");
    shot(&phone, "public-year-phone").await;
    // The year's timeline and a project's whole history, in words: no
    // event codes, no account names.
    let clicked = phone
        .execute(
            "const b = [...document.querySelectorAll('#projects button')].find((b) => b.textContent === '全过程'); if (b) b.click(); return !!b;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(clicked, json!(true));
    text_until(&phone, "main", |t| t.contains("过程记录")).await;
    let page = text(&phone, "main").await;
    for code in [
        "major.import",
        "staff:",
        "project.",
        "suggestion.",
        "import:",
    ] {
        assert!(!page.contains(code), "{code} on the public page");
    }
    assert!(page.contains("导入本年度重大项目清单"), "{page}");
    phone.close().await.unwrap();
}

/// The working group imports a year's hotline export from the workbench:
/// the columns named as the export names them, a bar while the file goes up
/// and its rows are checked and written, then the report; the same file
/// again adds nothing and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workbench_imports_a_hotline_export_with_its_progress() {
    let Some(d) = driver().await else { return };
    let app = TestApp::spawn().await;
    let base = app.base.clone();
    let pw = |u: &str| app.accounts.iter().find(|(x, _)| x == u).unwrap().1.clone();
    let leader = app.login_as("gongzuozu").await;
    let (s, _) = leader
        .post(
            "/api/upstream/year",
            json!({"year": 2027, "collection_opened": "2026-07-15"}),
        )
        .await;
    assert_eq!(s, 200);
    let n = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("12345热线2026年导出.csv");
    std::fs::write(&file, minsheng::sample::hotline_export(0, n)).unwrap();

    let b = browser(&d, 1366, 900).await;
    sign_in(&b, &base, "gongzuozu", &pw("gongzuozu")).await;
    visible(&b, "#year").await;
    click(&b, "button[data-tab='sugg']").await;
    visible(&b, "#i-file").await;
    for (id, column) in [
        ("i-title", "诉求标题"),
        ("i-text", "诉求内容"),
        ("i-town", "所属街镇"),
        ("i-village", "所属社区"),
        ("i-category", "诉求类别"),
        ("i-ticket", "工单编号"),
        ("i-time", "来电时间"),
    ] {
        let f = b.find(Locator::Id(id)).await.unwrap();
        f.clear().await.unwrap();
        f.send_keys(column).await.unwrap();
    }
    b.find(Locator::Id("i-file"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    click(&b, "#i-real").await;
    // The bar while it works: the server's own count of the rows.
    let progress = text_until(&b, "#i-progress-text", |t| t.starts_with("正在导入")).await;
    assert!(
        progress.contains(&format!("/ {} 行", "20,000")),
        "{progress}"
    );
    shot(&b, "upstream-import-progress").await;
    let report = text_until(&b, "#i-report", |t| !t.is_empty()).await;
    assert!(
        report.contains(&format!("共 {n} 行，新导入 {n} 行")),
        "{report}"
    );
    let hidden = b
        .execute(
            "return document.getElementById('i-progress-box').hidden;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(hidden, json!(true), "the bar goes when the work is done");
    text_until(&b, "#sugg-count", |t| t == format!("共 {n} 条")).await;
    // The same file again: nothing new, and it says so.
    click(&b, "#i-real").await;
    let report = text_until(&b, "#i-report", |t| t.contains("已导入过")).await;
    assert!(
        report.contains(&format!("新导入 0 行，已导入过 {n} 行")),
        "{report}"
    );
    b.close().await.unwrap();
}

/// 热点难点 on the workbench: a year's calls grouped by what they ask, a
/// group named as a 专题 and shown under its name, two groups merged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workbench_groups_hot_topics_and_names_them() {
    let Some(d) = driver().await else { return };
    let app = TestApp::spawn().await;
    let base = app.base.clone();
    let pw = |u: &str| app.accounts.iter().find(|(x, _)| x == u).unwrap().1.clone();
    let leader = app.login_as("gongzuozu").await;
    let (s, _) = leader
        .post(
            "/api/upstream/year",
            json!({"year": 2027, "collection_opened": "2026-07-15"}),
        )
        .await;
    assert_eq!(s, 200);
    let q = "channel=hotline&ticket=工单编号&text=诉求内容&town=所属街镇&village=所属社区&category=诉求类别";
    let (s, r) = leader
        .post_bytes(
            &format!("/api/upstream/suggestions/import?{q}"),
            minsheng::sample::hotline_corpus_csv(5000, 21),
        )
        .await;
    assert_eq!((s, r["imported"].as_u64()), (200, Some(5000)), "{r}");

    let b = browser(&d, 1366, 900).await;
    sign_in(&b, &base, "gongzuozu", &pw("gongzuozu")).await;
    visible(&b, "#year").await;
    click(&b, "button[data-tab='sugg']").await;
    click(&b, "#hot").await;
    visible(&b, "#hot-out .hot-row").await;
    let first = text_until(&b, "#hot-out .hot-row", |t| t.contains("条 ·")).await;
    assert!(
        ["暖气", "不热", "室温", "温度"]
            .iter()
            .any(|w| first.contains(w)),
        "the biggest group says what it is about: {first}"
    );
    let rows = b
        .execute(
            "return document.querySelectorAll('#hot-out .hot-row').length;",
            vec![],
        )
        .await
        .unwrap();
    assert!(rows.as_u64().unwrap() >= 20, "{rows}");
    // Name the biggest group.
    click(&b, "#hot-out .hot-row:nth-child(1) input").await;
    let name = b.find(Locator::Id("t-name")).await.unwrap();
    name.send_keys("冬季供暖不达标").await.unwrap();
    click(&b, "#t-make").await;
    let named = text_until(&b, "#hot-out .hot-row", |t| {
        t.contains("专题“冬季供暖不达标”")
    })
    .await;
    assert!(
        named.contains(first.split(" · ").next().unwrap().trim()),
        "{named} / {first}"
    );
    // The second and third groups merged into it.
    click(&b, "#hot-out .hot-row:nth-child(1) input").await;
    click(&b, "#hot-out .hot-row:nth-child(2) input").await;
    click(&b, "#hot-out .hot-row:nth-child(3) input").await;
    click(&b, "#t-make").await;
    text_until(&b, "#msg", |t| t.contains("已合并为专题")).await;
    let count = |t: &str| -> u64 {
        t.split(" 条")
            .next()
            .and_then(|h| h.split_whitespace().last())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    // The list as loaded again: the topic holds the three groups.
    text_until(&b, "#hot-out .hot-row", |t| {
        t.contains("专题“冬季供暖不达标”") && count(t) > count(&named)
    })
    .await;
    assert_eq!(too_wide(&b).await, json!([]));
    shot(&b, "upstream-hot-topics").await;
    b.close().await.unwrap();
}

/// After the vote, as people see it (the demo year played through): the
/// public 实施进度 with the late project, the 暂缓 and its notice, the
/// 满意度测评 and its 整改, on a laptop and on a phone; a project's page
/// with the rating form its 民生码 opens; the yearly report; the working
/// group's 实施跟踪 tab; the published 满意度测评 result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_year_after_the_vote_in_public_and_on_the_workbench() {
    let Some(d) = driver().await else { return };
    let app = TestApp::spawn_demo_after().await;
    let base = app.base.clone();
    let pw = |u: &str| app.accounts.iter().find(|(x, _)| x == u).unwrap().1.clone();

    let b = browser(&d, 1280, 900).await;
    b.goto(&format!("{base}/public")).await.unwrap();
    let follow = text_until(&b, "#follow", |t| t.contains("代表满意度测评")).await;
    for want in [
        "滞后",
        "暂缓",
        "石人常发〔2027〕12号",
        "督办建议",
        "整改",
        "不满意",
    ] {
        assert!(
            follow.contains(want),
            "{want} missing from 实施进度: {follow}"
        );
    }
    b.execute(
        "document.getElementById('follow-box').scrollIntoView();",
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(too_wide(&b).await, json!([]));
    shot(&b, "public-follow").await;
    // The 民生码's page: the project's history, its vote, its rating, the form.
    let follow_json: Value = reqwest::get(format!("{base}/api/public/follow"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let late = follow_json["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["state"] == "late")
        .unwrap();
    // (A new load: a change of the hash alone does not reload the page.)
    b.goto("about:blank").await.unwrap();
    b.goto(&format!("{base}/public#p{}", late["project_id"]))
        .await
        .unwrap();
    let history = text_until(&b, "#history-box", |t| t.contains("满意度测评")).await;
    assert!(history.contains("基本满意"), "{history}");
    click(&b, "#history .card button").await;
    text_until(&b, "#history", |t| t.contains("感谢您的评价")).await;
    shot(&b, "public-project-rating").await;

    // On a phone: nothing wider than the screen.
    let phone = browser(&d, 390, 844).await;
    phone.goto(&format!("{base}/public")).await.unwrap();
    text_until(&phone, "#follow", |t| t.contains("代表满意度测评")).await;
    assert_eq!(too_wide(&phone).await, json!([]));
    phone
        .execute(
            "document.getElementById('follow-box').scrollIntoView();",
            vec![],
        )
        .await
        .unwrap();
    shot(&phone, "public-follow-phone").await;
    phone.goto(&format!("{base}/public/report")).await.unwrap();
    assert_eq!(too_wide(&phone).await, json!([]));
    phone.close().await.unwrap();

    // The yearly report on screen.
    b.goto(&format!("{base}/public/report")).await.unwrap();
    let report = text(&b, "body").await;
    assert!(report.contains("调整、暂缓、终止的项目"), "{report}");
    shot(&b, "year-report-screen").await;

    // The working group's 实施跟踪.
    sign_in(&b, &base, "gongzuozu", &pw("gongzuozu")).await;
    visible(&b, "#year").await;
    click(&b, "button[data-tab='follow']").await;
    let tab = text_until(&b, "#follow-list", |t| t.contains("满意度测评：不满意")).await;
    assert!(tab.contains("滞后") && tab.contains("下次报告"), "{tab}");
    assert_eq!(too_wide(&b).await, json!([]));
    shot(&b, "upstream-follow").await;

    // The published 满意度测评.
    let rounds: Value = reqwest::get(format!("{base}/api/hall"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let review = rounds["round_id"].as_i64().unwrap();
    b.goto(&format!("{base}/results/{review}")).await.unwrap();
    let page = text(&b, "body").await;
    assert!(
        page.contains("测评结果公告") && page.contains("不满意"),
        "{page}"
    );
    shot(&b, "review-result").await;
    b.goto(&format!("{base}/hall")).await.unwrap();
    text_until(&b, "#published", |t| t.contains("满意度测评")).await;
    shot(&b, "hall-review").await;
    b.close().await.unwrap();
}

/// A 满意度测评 on the tablet page: the ballot offers 满意 / 基本满意 /
/// 不满意 for every project (no cap, no 赞成), the review lists unmarked
/// projects as 未表态, the receipt comes, and the published result counts
/// the marks as the deputy made them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deputy_rates_projects_on_the_tablet_in_a_satisfaction_review() {
    let Some(d) = driver().await else { return };
    let app = TestApp::spawn().await;
    let base = app.base.clone();
    let staff = app.login().await;
    let (s, _) = staff
        .post_text("/api/deputies/import", common::app::roster_csv(6))
        .await;
    assert_eq!(s, 200);
    let mut review = common::app::draft();
    review["title"] = json!("2027年民生实事项目满意度测评");
    review["rules"] = json!({"seats": 5, "max_for": 5, "marks": ["satisfied", "basically_satisfied", "unsatisfied"],
        "threshold_base": "valid", "shortfall": "accept"});
    let (s, j) = staff.post("/api/rounds", review).await;
    assert_eq!(s, 200, "{j}");
    let id = j["id"].as_i64().unwrap();
    let (s, j) = staff
        .post(&format!("/api/rounds/{id}/open"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    let codes = codes(&staff).await;

    let c = browser(&d, 1280, 800).await;
    c.goto(&format!("{base}/tablet")).await.unwrap();
    check_in_on(&c, &codes[0].0, &codes[0].1).await;
    let rule = text(&c, "#ballot-rule").await;
    assert!(rule.contains("满意、基本满意 或 不满意"), "{rule}");
    assert_eq!(text(&c, "header.top h1").await, "民生实事项目满意度测评");
    let for_buttons = c
        .execute(
            "return document.querySelectorAll(\"button[aria-label$='：赞成']\").length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(for_buttons, json!(0), "no 赞成 in a review");
    click(&c, "button[aria-label='项目1：满意']").await;
    click(&c, "button[aria-label='项目2：不满意']").await;
    click(&c, "button[aria-label='项目3：基本满意']").await;
    click(&c, "button[aria-label='项目3：基本满意']").await; // a second tap keeps it
    let count = text(&c, "#count").await;
    assert!(count.contains("已评 3 / 共 5 项"), "{count}");
    check_page(&c, &base, "#ballot").await;
    shot(&c, "tablet-satisfaction-ballot").await;
    click(&c, "#next").await;
    visible(&c, "#review").await;
    let summary = text(&c, "#review").await;
    assert!(
        summary.contains("满意") && summary.contains("基本满意") && summary.contains("未表态"),
        "{summary}"
    );
    shot(&c, "tablet-satisfaction-review").await;
    click(&c, "#confirm").await;
    let receipt = text_until(&c, "#r-hash", |t| t.trim().len() >= 8).await;
    assert!(
        receipt.trim().chars().all(|ch| ch.is_ascii_hexdigit()),
        "{receipt}"
    );
    c.close().await.unwrap();

    // Five more on tablets (over HTTP), then closed, signed, published.
    for (number, code) in codes.iter().skip(1).take(4) {
        let t = common::app::Tablet::check_in(&base, number, code).await;
        let (s, j) = t.vote(json!({"P01": "satisfied"})).await;
        assert_eq!(s, 200, "{j}");
    }
    let (s, j) = staff
        .post(&format!("/api/rounds/{id}/close"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    common::app::attest_and_publish(&staff, id).await;
    let (_, st) = staff.get(&format!("/api/rounds/{id}/result")).await;
    let r = &st["result"];
    assert_eq!(r["tally"]["P01"]["satisfied"], 5, "{r}");
    assert_eq!(r["tally"]["P02"]["unsatisfied"], 1, "{r}");
    assert_eq!(r["tally"]["P03"]["basically_satisfied"], 1, "{r}");
    assert_eq!(r["tally"]["P04"]["no_opinion"], 5, "{r}");
    assert_eq!(r["ratings"]["P01"], "satisfied", "{r}");
    assert_eq!(r["ratings"]["P02"], "unsatisfied", "{r}");
}
