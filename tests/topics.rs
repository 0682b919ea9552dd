#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! 热点专题 over HTTP: a year's hotline calls grouped, the groups named,
//! renamed, merged and split by the working group (and by nobody else), each
//! change in the audit chain; a declared project cites a topic and carries
//! its 民意指数 on the workbench, the public page and in Excel.

mod common;

use common::app::TestApp;
use serde_json::{json, Value};

async fn ok(r: (u16, Value)) -> Value {
    assert_eq!(r.0, 200, "{}", r.1);
    r.1
}

fn topic(hot: &Value, id: i64) -> Option<&Value> {
    hot["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["topic_id"].as_i64() == Some(id))
}

fn ids(t: &Value) -> Vec<i64> {
    t["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_topics_are_named_merged_split_and_cited_with_their_voice() {
    let app = TestApp::spawn().await;
    let base = app.base.clone();
    let leader = app.login_as("gongzuozu").await;
    let member = app.login_as("gongzuozu2").await;
    let zhujian = app.login_as("zhujianju").await;
    ok(leader
        .post(
            "/api/upstream/year",
            json!({"year": 2027, "collection_opened": "2026-07-15"}),
        )
        .await)
    .await;
    let q = "channel=hotline&ticket=工单编号&text=诉求内容&town=所属街镇&village=所属社区&category=诉求类别";
    let r = ok(leader
        .post_bytes(
            &format!("/api/upstream/suggestions/import?{q}"),
            minsheng::sample::hotline_corpus_csv(3000, 11),
        )
        .await)
    .await;
    assert_eq!(r["imported"], 3000, "{r}");

    let hot = ok(leader.get("/api/upstream/hot").await).await;
    let groups = hot["topics"].as_array().unwrap().clone();
    assert!(groups.len() >= 20, "{}", groups.len());
    assert!(groups.iter().all(|g| g["topic_id"].is_null()));
    let heat = &groups[0];
    // The biggest group whose words say 路灯.
    let lamps = groups
        .iter()
        .find(|g| {
            g["keywords"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w.as_str().unwrap().contains("路灯"))
        })
        .unwrap();
    let words = heat["keywords"].as_array().unwrap();
    assert!(
        words.iter().any(|w| w.as_str().unwrap().contains("暖气")
            || ["不热", "室温", "温度"].contains(&w.as_str().unwrap())),
        "the biggest group is about heating: {heat}"
    );

    // Only the working group curates.
    let (s, _) = zhujian
        .post(
            "/api/upstream/topics",
            json!({"name": "供暖", "ids": ids(heat)}),
        )
        .await;
    assert_eq!(s, 403);
    let a = ok(leader
        .post(
            "/api/upstream/topics",
            json!({"name": "冬季供暖不达标", "keywords": heat["keywords"], "ids": ids(heat)}),
        )
        .await)
    .await["topic_id"]
        .as_i64()
        .unwrap();
    // A call already in a topic cannot be named again; a name is needed.
    let (s, j) = leader
        .post(
            "/api/upstream/topics",
            json!({"name": "重复", "ids": ids(heat)}),
        )
        .await;
    assert_eq!((s, j["code"].as_str()), (409, Some("conflict")), "{j}");
    let (s, _) = leader
        .post(
            "/api/upstream/topics",
            json!({"name": " ", "ids": ids(lamps)}),
        )
        .await;
    assert_eq!(s, 422);
    let hot = ok(leader.get("/api/upstream/hot").await).await;
    assert_eq!(hot["topics"][0]["topic_id"], a, "named topics first");
    assert_eq!(hot["topics"][0]["name"], "冬季供暖不达标");
    assert_eq!(hot["topics"][0]["count"], heat["count"]);

    // A member renames; the lamps are named, merged in, and split off again.
    ok(member
        .post(
            &format!("/api/upstream/topics/{a}/rename"),
            json!({"name": "供暖温度不达标"}),
        )
        .await)
    .await;
    // Heating named, the lamps' group as the workbench shows it still
    // holds the calls about both; naming it as shown puts them in both.
    let hot = ok(leader.get("/api/upstream/hot").await).await;
    let shown = hot["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["topic_id"].is_null() && ids(g).contains(&ids(lamps)[0]))
        .unwrap()
        .clone();
    assert_eq!(ids(&shown), ids(lamps));
    let b = ok(leader
        .post(
            "/api/upstream/topics",
            json!({"name": "路灯", "ids": ids(&shown)}),
        )
        .await)
    .await["topic_id"]
        .as_i64()
        .unwrap();
    // A call about heating and the lamps both is in both groups, and in
    // both named topics.
    let shared: Vec<i64> = ids(heat)
        .into_iter()
        .filter(|i| ids(lamps).contains(i))
        .collect();
    assert!(!shared.is_empty(), "calls about two things count for both");
    let hot = ok(leader.get("/api/upstream/hot").await).await;
    for t in [a, b] {
        let held = ids(topic(&hot, t).unwrap());
        assert!(shared.iter().all(|i| held.contains(i)), "{t}: {shared:?}");
    }
    let merged = ok(leader
        .post(
            &format!("/api/upstream/topics/{a}/merge"),
            json!({"from": [b]}),
        )
        .await)
    .await;
    let both =
        heat["count"].as_u64().unwrap() + lamps["count"].as_u64().unwrap() - shared.len() as u64;
    assert_eq!(merged["calls"].as_u64(), Some(both));
    let hot = ok(leader.get("/api/upstream/hot").await).await;
    assert!(
        topic(&hot, b).is_none(),
        "a merged topic is part of the other"
    );
    assert_eq!(topic(&hot, a).unwrap()["count"].as_u64(), Some(both));
    let (s, _) = leader
        .post(
            &format!("/api/upstream/topics/{a}/split"),
            json!({"word": "不存在的词", "name": "空"}),
        )
        .await;
    assert_eq!(s, 409, "a split that moves nothing is refused");
    let c = ok(leader
        .post(
            &format!("/api/upstream/topics/{a}/split"),
            json!({"word": "路灯", "name": "路灯不亮"}),
        )
        .await)
    .await["topic_id"]
        .as_i64()
        .unwrap();
    let hot = ok(leader.get("/api/upstream/hot").await).await;
    let (ta, tc) = (topic(&hot, a).unwrap(), topic(&hot, c).unwrap());
    assert_eq!(tc["name"], "路灯不亮");
    // The calls about both held 路灯 and moved with the lamps.
    assert!(shared.iter().all(|i| ids(tc).contains(i)));
    assert_eq!(
        ta["count"].as_u64().unwrap() + tc["count"].as_u64().unwrap(),
        both,
        "a split moves calls, it neither loses nor copies them"
    );
    assert!(tc["count"].as_u64().unwrap() >= lamps["count"].as_u64().unwrap());
    let (s, _) = leader
        .post(
            &format!("/api/upstream/topics/{b}/rename"),
            json!({"name": "已并入"}),
        )
        .await;
    assert_eq!(s, 404, "a merged topic is no longer there to rename");

    // The lamps go to the 建议清单 as one entry citing their topic.
    let listed = ok(leader
        .post(
            "/api/upstream/list",
            json!({"topics": [[c, "区住房和城乡建设局"]]}),
        )
        .await)
    .await;
    assert_eq!(listed["listed"], tc["count"], "{listed}");
    let queue = ok(leader
        .get("/api/upstream/suggestions?status=listed&department=区住房和城乡建设局&per=1")
        .await)
    .await;
    assert_eq!(queue["found"], tc["count"]);
    let (s, _) = leader
        .post(
            "/api/upstream/list",
            json!({"topics": [[c, "区住房和城乡建设局"]]}),
        )
        .await;
    assert_eq!(s, 409, "nothing left to list");

    // A department's project cites the heating topic: its 民意指数.
    ok(leader
        .post("/api/upstream/advance", json!({"note": "征集结束"}))
        .await)
    .await;
    let doc = json!({"name": "老旧小区供热管网改造", "content": "改造供热管网", "lead_unit": "区住房和城乡建设局",
        "co_units": ["石拐街道"], "investment_yuan": 5_000_000, "funding_source": "区级财政", "deadline": "2027-11-30",
        "category": "住房", "study": {"date": "2026-09-10", "minutes": "党组会议研究"},
        "vice_review": {"date": "2026-09-15", "by": "副区长"}});
    let (s, _) = zhujian
        .post("/api/upstream/projects", json!({"doc": doc, "topics": [b]}))
        .await;
    assert_eq!(s, 404, "a merged topic cannot be cited");
    let pid = ok(zhujian
        .post("/api/upstream/projects", json!({"doc": doc, "topics": [a]}))
        .await)
    .await["id"]
        .as_i64()
        .unwrap();
    let heat_now = topic(&hot, a).unwrap();
    let projects = ok(leader.get("/api/upstream/projects").await).await;
    let p = projects["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == pid)
        .unwrap();
    assert_eq!(p["topics"], json!([a]));
    assert_eq!(p["voice"]["calls"], heat_now["count"], "{}", p["voice"]);
    assert_eq!(p["voice"]["suggestions"], 0);
    assert_eq!(
        p["voice"]["towns"].as_u64(),
        Some(heat_now["towns"].as_object().unwrap().len() as u64)
    );
    let public: Value = reqwest::get(format!("{base}/api/public/year"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pp = public["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == pid)
        .unwrap();
    assert_eq!(pp["voice"], p["voice"]);
    // In Excel, as numbers.
    use calamine::Data;
    let rows = common::app::export_rows(&leader, &base, "projects.xlsx").await;
    let col = |name: &str| common::app::column(&rows, name);
    let row = rows
        .iter()
        .find(|r| r.iter().any(|c| *c == "老旧小区供热管网改造"))
        .unwrap();
    assert_eq!(
        row[col("热线信访（件）")],
        Data::Float(heat_now["count"].as_f64().unwrap())
    );
    assert!(matches!(row[col("涉及苏木镇（个）")], Data::Float(_)));

    // Every change is in the audit chain, which verifies.
    let log = reqwest::get(format!("{base}/public/audit.jsonl"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for kind in [
        "topic.name",
        "topic.rename",
        "topic.merge",
        "topic.split",
        "topic.list",
    ] {
        assert!(
            log.contains(&format!("\"kind\":\"{kind}\"")),
            "{kind} is audited"
        );
    }
    minsheng::upstream::audit::verify(log.lines()).unwrap();
}

/// The hotline's system exports XLSX as often as CSV: a sheet with the call
/// time as an Excel date, read as a stream, imported once, its times kept to
/// the minute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_xlsx_export_imports_with_its_call_times() {
    let app = TestApp::spawn().await;
    let leader = app.login_as("gongzuozu").await;
    ok(leader
        .post(
            "/api/upstream/year",
            json!({"year": 2027, "collection_opened": "2026-07-15"}),
        )
        .await)
    .await;
    let (asks, _) = minsheng::sample::hotline_corpus(2_000, 5);
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    let when = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm");
    for (c, h) in [
        "工单编号",
        "来电时间",
        "诉求内容",
        "所属街镇",
        "所属社区",
        "诉求类别",
    ]
    .iter()
    .enumerate()
    {
        ws.write(0, c as u16, *h).unwrap();
    }
    for (i, a) in asks.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write(r, 0, format!("GD{i:08}")).unwrap();
        let t = rust_xlsxwriter::ExcelDateTime::parse_from_str(&format!(
            "2026-08-{:02} {:02}:{:02}:00",
            1 + i % 28,
            8 + i % 10,
            i % 60
        ))
        .unwrap();
        ws.write_datetime_with_format(r, 1, &t, &when).unwrap();
        ws.write(r, 2, a.text.as_str()).unwrap();
        ws.write(r, 3, a.town.as_str()).unwrap();
        ws.write(r, 4, a.village.as_str()).unwrap();
        ws.write(r, 5, "民生").unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();
    let q = "channel=hotline&ticket=工单编号&time=来电时间&text=诉求内容&town=所属街镇&village=所属社区&category=诉求类别";
    let url = format!("/api/upstream/suggestions/import?{q}");
    let r = ok(leader.post_bytes(&url, bytes.clone()).await).await;
    assert_eq!(
        (r["imported"].as_u64(), r["error_count"].as_u64()),
        (Some(2000), Some(0)),
        "{r}"
    );
    let again = ok(leader.post_bytes(&url, bytes).await).await;
    assert_eq!(
        (again["imported"].as_u64(), again["already"].as_u64()),
        (Some(0), Some(2000))
    );
    // The first call (GD00000000): 1 August, 08:00; its title its first clause.
    let j = ok(leader.get("/api/upstream/suggestions?q=GD00000000").await).await;
    let s = &j["suggestions"][0];
    assert_eq!(s["received_at"], "2026-08-01T08:00:00+08:00", "{s}");
    assert!(!s["title"].as_str().unwrap().is_empty());
    assert!(s["title"].as_str().unwrap().chars().count() <= 30);
}
