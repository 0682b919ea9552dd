#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test
//! The upstream stages over HTTP, end to end: suggestions in from every
//! channel (the public form, staff entry, a hotline import with a dry run),
//! the list, declarations, a merge and an exclusion, opinions and a
//! revision, the three meetings, the candidate round out — then a small
//! vote, the project's history from suggestion to vote, the Excel exports,
//! and the audit chain verified, then tampered with and caught.

mod common;

use common::app::{attest_and_publish, call, codes, roster_csv, Tablet, TestApp};
use common::verifiers::minsheng;
use serde_json::{json, Value};

fn suggestion(town: &str, category: &str, title: &str, text: &str) -> Value {
    json!({"channel": "public", "place": {"town": town, "village": "东河村"}, "category": category, "title": title, "text": text, "contact": "13900000000"})
}

fn project(name: &str, unit: &str, yuan: u64, category: &str) -> Value {
    json!({"name": name, "content": format!("{name}的主要内容"), "lead_unit": unit, "co_units": ["石拐镇"], "investment_yuan": yuan,
           "funding_source": "区级财政", "deadline": "2027-11-30", "category": category,
           "study": {"date": "2026-09-10", "minutes": "党组会议研究"}, "vice_review": {"date": "2026-09-15", "by": "副区长"}})
}

/// The 组长 opens the year 2027 for collection.
async fn open_year(leader: &common::app::StaffClient) {
    ok(leader
        .post(
            "/api/upstream/year",
            json!({"year": 2027, "collection_opened": "2026-07-15"}),
        )
        .await)
    .await;
}

async fn ok(r: (u16, Value)) -> Value {
    assert_eq!(r.0, 200, "{}", r.1);
    r.1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_year_from_suggestions_to_a_verified_vote_with_its_audit_chain() {
    let app = TestApp::spawn().await;
    let base = app.base.clone();
    let leader = app.login_as("gongzuozu").await;
    let member = app.login_as("gongzuozu2").await;
    let zhujian = app.login_as("zhujianju").await;
    let jiaoyu = app.login_as("jiaoyuju").await;
    let mishu = app.login().await;
    let public = reqwest::Client::new();
    let post_public = |body: Value| {
        let (c, base) = (public.clone(), base.clone());
        async move {
            call(
                &c,
                "POST",
                format!("{base}/api/public/suggestions"),
                "",
                Some(body),
            )
            .await
        }
    };

    // 征集项目
    let (s, _) = member
        .post(
            "/api/upstream/year",
            json!({"year": 2027, "collection_opened": "2026-07-15"}),
        )
        .await;
    assert_eq!(s, 403, "only the leader opens the year");
    open_year(&leader).await;
    let mut tracking = vec![];
    for (title, text) in [
        ("小区供暖不热", "老旧小区供暖管道老化，暖气不热"),
        ("楼顶漏水", "老旧小区楼顶漏水需要改造"),
        ("学校食堂", "学校食堂太小，孩子吃饭排队"),
    ] {
        let cat = if title == "学校食堂" {
            "教育"
        } else {
            "住房"
        };
        let j = ok(post_public(suggestion("石拐镇", cat, title, text)).await).await;
        tracking.push(j["tracking_no"].as_str().unwrap().to_string());
    }
    let (s, j) = post_public(suggestion("石拐镇", "住房", "空的", "")).await;
    assert_eq!((s, j["code"].as_str()), (422, Some("invalid")), "{j}");
    assert!(
        j["error"].as_str().unwrap().contains("建议内容"),
        "the missing field is named: {j}"
    );
    let (s, _) = call(
        &public,
        "POST",
        format!("{base}/api/public/suggestions"),
        "",
        Some(json!({"channel": "public"})),
    )
    .await;
    assert_eq!(s, 400);
    let t = ok(call(
        &public,
        "GET",
        format!("{base}/api/public/track/{}", tracking[0]),
        "",
        None,
    )
    .await)
    .await;
    assert_eq!(t["status"], "received");
    assert!(
        !t.to_string().contains("13900000000"),
        "the contact is never shown"
    );
    let (s, _) = member
        .post("/api/upstream/suggestions", json!({"channel": "directed", "place": {"town": "五当召镇"}, "category": "教育", "title": "校舍", "text": "校舍老旧"}))
        .await;
    assert_eq!(s, 422, "a directed suggestion names its source");
    ok(member
        .post("/api/upstream/suggestions", json!({"channel": "directed", "source": "人大代表 王建国", "place": {"town": "五当召镇"}, "category": "教育", "title": "校舍", "text": "校舍老旧需改造"}))
        .await)
    .await;
    // 12345: a dry run names the bad row and imports nothing; the good file imports all.
    let bad = "标题,内容,街镇,社区,类别\n暖气不热,家里暖气不热,石拐镇,白狐沟社区,住房\n无内容,,石拐镇,,住房\n";
    let q = "channel=hotline&title=标题&text=内容&town=街镇&village=社区&category=类别";
    let r = ok(leader
        .post_bytes(
            &format!("/api/upstream/suggestions/import?{q}&dry_run=true"),
            bad.into(),
        )
        .await)
    .await;
    assert_eq!(
        (r["good"].as_u64(), r["imported"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(r["errors"][0]["row"], 3, "{r}");
    let r = ok(leader
        .post_bytes(&format!("/api/upstream/suggestions/import?{q}"), bad.into())
        .await)
    .await;
    assert_eq!(r["imported"], 0, "a file with a bad row imports nothing");
    let good = "标题,内容,街镇,社区,类别\n暖气不热,家里暖气不热管道老化,石拐镇,白狐沟社区,住房\n漏雨,屋面漏雨,大发街道,,住房\n";
    let r = ok(leader
        .post_bytes(
            &format!("/api/upstream/suggestions/import?{q}"),
            good.into(),
        )
        .await)
    .await;
    assert_eq!(r["imported"], 2);
    let (s, j) = zhujian
        .post(
            "/api/upstream/projects",
            json!({"doc": project("老旧小区改造", "区住房和城乡建设局", 1_000_000, "住房")}),
        )
        .await;
    assert_eq!(s, 409, "no declaring while collecting: {j}");
    let hot = ok(leader.get("/api/upstream/hot").await).await;
    assert!(hot["topics"][0]["count"].as_u64().unwrap() >= 2, "{hot}");

    // 初选申报
    let (s, _) = member
        .post("/api/upstream/advance", json!({"note": "x"}))
        .await;
    assert_eq!(s, 403, "only the leader moves the stage");
    ok(leader
        .post("/api/upstream/advance", json!({"note": "征集结束"}))
        .await)
    .await;
    let (s, _) = post_public(suggestion("石拐镇", "住房", "晚了", "征集结束后提交")).await;
    assert_eq!(s, 409, "the public form closes with collection");
    let all = ok(leader.get("/api/upstream/suggestions").await).await;
    let assign: Vec<Value> = all["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let dept = if s["category"] == "教育" {
                "区教育局"
            } else {
                "区住房和城乡建设局"
            };
            json!([s["id"], dept])
        })
        .collect();
    ok(member
        .post("/api/upstream/list", json!({"assign": assign}))
        .await)
    .await;
    let queue = ok(jiaoyu.get("/api/upstream/suggestions").await).await;
    assert_eq!(
        queue["suggestions"].as_array().unwrap().len(),
        2,
        "a department sees its own queue"
    );
    let housing: Vec<i64> = all["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["category"] == "住房")
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    let mut missing = project("供热管网", "区住房和城乡建设局", 0, "住房");
    missing["funding_source"] = json!("");
    let (s, j) = zhujian
        .post("/api/upstream/projects", json!({"doc": missing}))
        .await;
    assert_eq!(s, 422);
    let e = j["error"].as_str().unwrap();
    assert!(
        e.contains("资金来源") && e.contains("投资金额"),
        "every missing element is named: {e}"
    );
    let a = ok(zhujian.post("/api/upstream/projects", json!({"doc": project("老旧小区供热管网改造", "区住房和城乡建设局", 5_000_000, "住房"), "suggestions": &housing[..2]})).await).await["id"].as_i64().unwrap();
    let b = ok(zhujian.post("/api/upstream/projects", json!({"doc": project("老旧小区屋面防水", "区住房和城乡建设局", 2_000_000, "住房"), "suggestions": &housing[2..]})).await).await["id"].as_i64().unwrap();
    let c = ok(zhujian
        .post(
            "/api/upstream/projects",
            json!({"doc": project("调整物业服务收费标准", "区住房和城乡建设局", 100_000, "住房")}),
        )
        .await)
    .await["id"]
        .as_i64()
        .unwrap();
    let mut canteen = project("学校食堂提升", "区教育局", 3_000_000, "教育");
    canteen["vice_review"] = Value::Null;
    let schools: Vec<i64> = all["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["category"] == "教育")
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    let d = ok(jiaoyu
        .post(
            "/api/upstream/projects",
            json!({"doc": canteen, "suggestions": schools}),
        )
        .await)
    .await["id"]
        .as_i64()
        .unwrap();

    let e = ok(zhujian
        .post(
            "/api/upstream/projects",
            json!({"doc": project("城区供热热源改造", "区住房和城乡建设局", 9_000_000, "供暖")}),
        )
        .await)
    .await["id"]
        .as_i64()
        .unwrap();

    // 审核论证: a merge, exclusions, assessments, a draft.
    ok(leader.post("/api/upstream/advance", json!({})).await).await;
    ok(leader
        .post_bytes(
            "/api/upstream/major-projects",
            "项目名称\n城区集中供热热源改造工程\n包茂高速石拐连接线\n".into(),
        )
        .await)
    .await;
    let (s, j) = leader
        .post(
            &format!("/api/upstream/projects/{e}/exclude"),
            json!({"reason": "duplicates_major_project", "note": "重复"}),
        )
        .await;
    assert_eq!(s, 422, "the major project must be named: {j}");
    ok(leader
        .post(
            &format!("/api/upstream/projects/{e}/exclude"),
            json!({"reason": "duplicates_major_project", "note": "与城区集中供热热源改造工程重复"}),
        )
        .await)
    .await;
    let (s, _) = member.post("/api/upstream/merge", json!({"sources": [a, b], "doc": project("老旧小区综合改造", "区住房和城乡建设局", 7_000_000, "住房")})).await;
    assert_eq!(s, 403, "a member does not merge");
    let m = ok(leader.post("/api/upstream/merge", json!({"sources": [a, b], "doc": project("老旧小区综合改造", "区住房和城乡建设局", 7_000_000, "住房")})).await).await["id"].as_i64().unwrap();
    ok(leader
        .post(
            &format!("/api/upstream/projects/{c}/exclude"),
            json!({"reason": "policy_or_routine", "note": "属于日常工作"}),
        )
        .await)
    .await;
    let assessment = json!({"necessity": "必要", "feasibility": "可行", "funding": "有保障", "performance": "明确", "conclusion": "pass"});
    let (s, j) = member
        .post(
            &format!("/api/upstream/projects/{d}/assess"),
            assessment.clone(),
        )
        .await;
    assert_eq!(s, 409, "the vice head's review is missing: {j}");
    assert!(j["error"].as_str().unwrap().contains("分管副区长审阅"));
    let mut fixed = project("学校食堂提升", "区教育局", 3_000_000, "教育");
    fixed["content"] = json!("提升5所学校食堂");
    ok(jiaoyu
        .put(
            &format!("/api/upstream/projects/{d}"),
            json!({"doc": fixed, "reason": "补充分管副区长审阅"}),
        )
        .await)
    .await;
    ok(member
        .post(
            &format!("/api/upstream/projects/{d}/assess"),
            assessment.clone(),
        )
        .await)
    .await;
    // Passed by the review, it is no longer the department's to change.
    let mut inflated = fixed.clone();
    inflated["investment_yuan"] = json!(99_000_000);
    let (s, j) = jiaoyu
        .put(
            &format!("/api/upstream/projects/{d}"),
            json!({"doc": inflated, "reason": "追加投资"}),
        )
        .await;
    assert_eq!(s, 409, "a department amends a passed project: {j}");
    assert!(j["error"].as_str().unwrap().contains("工作组"), "{j}");
    ok(member
        .post(
            &format!("/api/upstream/projects/{m}/assess"),
            assessment.clone(),
        )
        .await)
    .await;
    let (s, _) = member
        .post(
            &format!("/api/upstream/projects/{c}/assess"),
            assessment.clone(),
        )
        .await;
    assert_eq!(s, 409, "an excluded project is not assessed");
    ok(leader
        .post("/api/upstream/drafts", json!({"label": "讨论稿"}))
        .await)
    .await;
    let ps = ok(leader.get("/api/upstream/projects").await).await;
    let find = |id: i64| {
        ps["projects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        find(a)["merged_into"],
        m,
        "the original shows where it went"
    );
    assert_eq!(
        find(m)["merged_from"],
        json!([a, b]),
        "the merged one lists its sources"
    );
    assert_eq!(
        find(m)["suggestions"].as_array().unwrap().len(),
        housing.len()
    );
    assert_eq!(find(c)["exclusion"]["reason"], "policy_or_routine");
    assert_eq!(
        find(e)["resembles_major"],
        "城区集中供热热源改造工程",
        "the reviewers are told"
    );

    // 征求意见: an opinion adopted, the project revised.
    ok(leader.post("/api/upstream/advance", json!({})).await).await;
    let o = ok(member.post("/api/upstream/opinions", json!({"project": d, "source": "cppcc", "author": "区政协教科文卫委", "text": "建议同步实施明厨亮灶"})).await).await["id"].as_i64().unwrap();
    ok(member
        .post(
            &format!("/api/upstream/opinions/{o}/respond"),
            json!({"response": "采纳，增加明厨亮灶", "adopted": true}),
        )
        .await)
    .await;
    ok(member
        .post(
            "/api/upstream/opinions",
            json!({"source": "deputy", "author": "人大代表 李明", "text": "希望公开各项目的进度"}),
        )
        .await)
    .await;
    // The lists of opinions and projects: found by words, filtered, paged.
    let all = ok(leader.get("/api/upstream/opinions").await).await;
    assert_eq!(
        (all["total"].as_u64(), all["found"].as_u64()),
        (Some(2), Some(2)),
        "{all}"
    );
    let open = ok(leader.get("/api/upstream/opinions?answered=false").await).await;
    assert_eq!(
        open["opinions"][0]["text"], "希望公开各项目的进度",
        "{open}"
    );
    let found = ok(leader
        .get(&format!("/api/upstream/opinions?project={d}&q=明厨亮灶"))
        .await)
    .await;
    assert_eq!(found["found"], 1, "{found}");
    let canteen = ok(leader.get("/api/upstream/projects?q=学校%20食堂").await).await;
    assert_eq!(canteen["found"], 1, "{canteen}");
    assert_eq!(canteen["projects"][0]["id"], d);
    let by_unit = ok(leader
        .get("/api/upstream/projects?department=区教育局&category=教育")
        .await)
    .await;
    assert!(
        by_unit["projects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["doc"]["lead_unit"] == "区教育局"),
        "{by_unit}"
    );
    let total = ok(leader.get("/api/upstream/projects").await).await["total"]
        .as_u64()
        .unwrap();
    let second = ok(leader.get("/api/upstream/projects?per=1&page=2").await).await;
    assert_eq!(
        (
            second["projects"].as_array().unwrap().len(),
            second["found"].as_u64()
        ),
        (1, Some(total))
    );
    let (s, j) = leader.get("/api/upstream/projects?status=nonsense").await;
    assert_eq!((s, j["code"].as_str()), (400, Some("bad_request")), "{j}");
    let mut revised = fixed.clone();
    revised["content"] = json!("提升5所学校食堂，同步实施明厨亮灶");
    revised["investment_yuan"] = json!(3_200_000);
    ok(member
        .put(
            &format!("/api/upstream/projects/{d}"),
            json!({"doc": revised, "reason": "采纳区政协意见"}),
        )
        .await)
    .await;

    // 确定候选: the meetings in order, then the round.
    ok(leader.post("/api/upstream/advance", json!({})).await).await;
    let rules = json!({"seats": 1, "max_for": 1, "marks": ["for","against","abstain"], "threshold_base": "total_deputies", "shortfall": "accept"});
    let round_req = json!({"title": "2027年民生实事项目票决", "assembly": "测试区人民代表大会", "rules": rules});
    let (s, j) = leader.post("/api/upstream/round", round_req.clone()).await;
    assert_eq!(s, 409, "{j}");
    let meeting = |kind: &str, approved: bool| json!({"kind": kind, "date": "2026-12-01", "approved": approved, "decision": "审议", "notes": "", "attachments": ["纪要.pdf"]});
    let (s, _) = leader
        .post("/api/upstream/meetings", meeting("executive", true))
        .await;
    assert_eq!(s, 409, "the executive meeting waits for the directors'");
    ok(leader
        .post("/api/upstream/meetings", meeting("directors", false))
        .await)
    .await;
    ok(leader
        .post("/api/upstream/meetings", meeting("directors", true))
        .await)
    .await;
    ok(leader
        .post("/api/upstream/meetings", meeting("executive", true))
        .await)
    .await;
    ok(leader
        .post("/api/upstream/meetings", meeting("party_standing", true))
        .await)
    .await;
    let r = ok(leader.post("/api/upstream/round", round_req).await).await;
    let round_id = r["round_id"].as_i64().unwrap();
    assert_eq!(r["candidates"], 2);

    // The vote on it.
    let (s, _) = mishu.post_text("/api/deputies/import", roster_csv(5)).await;
    assert_eq!(s, 200);
    ok(mishu
        .post(&format!("/api/rounds/{round_id}/open"), json!({}))
        .await)
    .await;
    let (_, round) = mishu.get(&format!("/api/rounds/{round_id}")).await;
    let cands = round["draft"]["candidates"].as_array().unwrap().clone();
    let canteen_id = cands.iter().find(|c| c["name"] == "学校食堂提升").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        cands.iter().find(|c| c["name"] == "学校食堂提升").unwrap()["investment_yuan"],
        3_200_000,
        "the revised project goes to the vote"
    );
    for (number, code) in codes(&mishu).await.iter().take(4) {
        let t = Tablet::check_in(&base, number, code).await;
        ok(t.vote(json!({ &canteen_id: "for" })).await).await;
    }
    ok(mishu
        .post(&format!("/api/rounds/{round_id}/close"), json!({}))
        .await)
    .await;
    attest_and_publish(&mishu, round_id).await;
    after_the_vote(&base, d, a, &jiaoyu, &zhujian, &leader, &mishu).await;
    satisfaction_review(&app, d, round_id, &canteen_id, &jiaoyu, &mishu).await;

    // Once published, the public year says what the vote decided — not
    // "候选项目" for every project any more.
    let year = ok(call(&public, "GET", format!("{base}/api/public/year"), "", None).await).await;
    let label = |name: &str| {
        year["projects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()["status_label"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(label("学校食堂提升"), "确定为民生实事项目", "{year}");
    let other = cands.iter().find(|c| c["name"] != "学校食堂提升").unwrap()["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(label(&other), "未获通过", "{year}");

    // The project's whole history, public: first suggestion to vote.
    let h = ok(call(
        &public,
        "GET",
        format!("{base}/api/public/projects/{d}/history"),
        "",
        None,
    )
    .await)
    .await;
    let kinds: Vec<&str> = h["history"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in [
        "suggestion.create",
        "project.declare",
        "project.revise",
        "project.assess",
        "opinion.add",
        "opinion.respond",
        "project.candidate",
        "round.create",
    ] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    let revs = h["history"]["revisions"].as_array().unwrap();
    assert_eq!(revs.len(), 3);
    assert!(
        revs[2][2]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().starts_with("+ 投资（元）：3200000")),
        "{revs:?}"
    );
    assert_eq!(h["vote"][0]["decided"], true, "{}", h["vote"]);
    assert_eq!(h["vote"][0]["for"], 4);
    let hm = ok(call(
        &public,
        "GET",
        format!("{base}/api/public/projects/{m}/history"),
        "",
        None,
    )
    .await)
    .await;
    let subjects: Vec<&str> = hm["history"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["subject"].as_str().unwrap())
        .collect();
    assert!(
        subjects.contains(&format!("project:{a}").as_str()),
        "a merged project's history includes its sources'"
    );
    let page = reqwest::get(format!("{base}/public"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("提出您的建议"));

    // Excel, in the layout staff print.
    for (what, header) in [
        ("suggestions.xlsx", "类别"),
        ("projects.xlsx", "项目名称"),
        ("candidates.xlsx", "资金来源"),
    ] {
        let bytes = leader
            .c
            .get(format!("{base}/api/upstream/export/{what}"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let sheet = minsheng::sheets::Sheet::read(&bytes).unwrap();
        assert!(
            sheet.header.iter().any(|h| h == header),
            "{what}: {:?}",
            sheet.header
        );
        if what == "candidates.xlsx" {
            assert_eq!(sheet.rows.len(), 2);
            // Numbers are numbers and dates are dates: sums and sorting work.
            use calamine::{Data, Reader};
            let mut book =
                calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
            let range = book.worksheet_range_at(0).unwrap().unwrap();
            let head: Vec<String> = range
                .rows()
                .next()
                .unwrap()
                .iter()
                .map(|c| c.to_string())
                .collect();
            let col = |name: &str| head.iter().position(|h| h == name).unwrap();
            let canteen = range
                .rows()
                .find(|r| r.iter().any(|c| *c == "学校食堂提升"))
                .unwrap();
            assert_eq!(
                canteen[col("投资（万元）")],
                Data::Float(320.0),
                "{canteen:?}"
            );
            assert!(
                matches!(canteen[col("完成时限")], Data::DateTime(_)),
                "{canteen:?}"
            );
            assert_eq!(canteen[col("状态")].to_string(), "确定为民生实事项目");
            // 民意指数 as numbers: the canteen answers the schools' suggestions.
            assert_eq!(
                canteen[col("征集建议（条）")],
                Data::Float(schools.len() as f64),
                "{canteen:?}"
            );
            assert!(matches!(canteen[col("热线信访（件）")], Data::Float(_)));
        }
    }

    // The next year: the canteen runs into 2028 by its plan, so it is
    // carried forward with its stage goal, and declared again it is flagged
    // as not to be voted on again.
    ok(leader
        .post(
            "/api/upstream/year",
            json!({"year": 2028, "collection_opened": "2027-07-15"}),
        )
        .await)
    .await;
    let y2028 = ok(call(&public, "GET", format!("{base}/api/public/year"), "", None).await).await;
    assert_eq!(
        y2028["continuing"],
        json!([{"project_id": d, "name": "学校食堂提升", "from_year": 2027, "goal": "完成其余3所学校食堂"}]),
        "{}",
        y2028["continuing"]
    );
    ok(leader
        .post("/api/upstream/advance", json!({"note": "征集结束"}))
        .await)
    .await;
    let mut again = project("学校食堂提升", "区教育局", 1_000_000, "教育");
    again["deadline"] = json!("2028-11-30");
    let again_id = ok(jiaoyu
        .post("/api/upstream/projects", json!({"doc": again}))
        .await)
    .await["id"]
        .clone();
    let list = ok(leader.get("/api/upstream/projects").await).await;
    let p = list["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == again_id)
        .unwrap();
    assert!(p["earlier"].as_str().unwrap().contains("第五条"), "{p}");
    let history = ok(call(
        &public,
        "GET",
        format!("{base}/api/public/projects/{d}/history"),
        "",
        None,
    )
    .await)
    .await;
    assert!(
        history.to_string().contains("project.continue"),
        "the project's history links its years"
    );

    // The audit chain: it verifies, from the data dir and from the public file;
    // a changed event is caught at its line.
    let out = minsheng()
        .arg("audit-verify")
        .arg(app.dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let log = reqwest::get(format!("{base}/public/audit.jsonl"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!log.contains("13900000000"), "no contact in the public log");
    let file = app.dir.path().join("audit.jsonl");
    std::fs::write(&file, &log).unwrap();
    let out = minsheng().arg("audit-verify").arg(&file).output().unwrap();
    assert!(out.status.success());
    let lines: Vec<&str> = log.lines().collect();
    let target = lines
        .iter()
        .position(|l| l.contains("\"kind\":\"project.exclude\"") && l.contains("属于日常工作"))
        .unwrap();
    let mut tampered: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    tampered[target] = tampered[target].replace("属于日常工作", "属于日常工作！");
    std::fs::write(&file, tampered.join("\n")).unwrap();
    let out = minsheng().arg("audit-verify").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(":{}: prev", target + 2)),
        "caught at the next line's link: {err}"
    );
    // The same edit made in the database is caught the same way.
    let db = rusqlite::Connection::open(app.dir.path().join("minsheng.db")).unwrap();
    db.execute(
        "UPDATE audit_events SET line = replace(line, '属于日常工作', '属于日常工作！') WHERE line LIKE '%project.exclude%'",
        [],
    )
    .unwrap();
    let out = minsheng()
        .arg("audit-verify")
        .arg(app.dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_year_reaches_the_vote_with_twelve_candidates_and_a_sound_chain() {
    let dir = tempfile::tempdir().unwrap();
    let (state, _) = minsheng::server::prepare(dir.path(), true).await.unwrap();
    let rounds = state.store.rounds().await.unwrap();
    assert_eq!(rounds.len(), 1);
    assert_eq!(rounds[0].draft.candidates.len(), 12);
    assert_eq!(rounds[0].draft.rules.seats, 10);
    let (year, projects, counts) = state
        .store
        .upstream_read(|r| Ok((r.year()?, r.projects()?, r.counts()?)))
        .await
        .unwrap();
    assert_eq!(year.unwrap().stage.as_str(), "vote");
    assert!(counts.total >= 250, "{counts:?}");
    let excluded = projects.iter().filter(|p| p.exclusion.is_some()).count();
    assert_eq!(excluded, 4);
    assert!(projects
        .iter()
        .all(|p| p.status.as_str() != "candidate" || p.round_id == Some(rounds[0].id)));
    let lines = state.store.audit_lines().await.unwrap();
    let tip = minsheng::upstream::audit::verify(lines.iter().map(String::as_str)).unwrap();
    assert!(tip.seq > 300);
}

/// `minsheng demo --after-vote`: the demo year played through — the vote
/// published, the projects followed, the 满意度测评 published — and every
/// part of it checkable: both verifiers take the two rounds as one chain,
/// the audit chain holds, and the follow-up shows what the issue asks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_years_second_half_plays_through_to_a_published_review() {
    let dir = tempfile::tempdir().unwrap();
    let (state, _) = minsheng::server::prepare(dir.path(), true).await.unwrap();
    let signers = minsheng::seed_after::scrutineers(&dir.path().join("keys")).unwrap();
    let played = minsheng::seed_after::play(&state, &signers)
        .await
        .unwrap()
        .expect("the vote was a draft");
    assert_eq!(played.decided, 10);
    assert!(played.reports >= 12, "{played:?}");
    assert!(
        minsheng::seed_after::play(&state, &signers)
            .await
            .unwrap()
            .is_none(),
        "played once"
    );
    let mut files = vec![];
    for id in [played.vote_round, played.review_round] {
        let text = state.store.bundle(id).await.unwrap();
        let p = dir.path().join(format!("round-{id}.jsonl"));
        std::fs::write(&p, text).unwrap();
        files.push(p);
    }
    let chain: Vec<&std::path::Path> = files.iter().map(|p| p.as_path()).collect();
    common::verifiers::both_pass_chain(&chain);

    let follow = state.follow().await.unwrap();
    let states: Vec<&str> = follow.projects.iter().map(|p| p.state_label).collect();
    assert_eq!(states.len(), 10);
    assert_eq!(
        states.iter().filter(|s| **s == "滞后").count(),
        1,
        "{states:?}"
    );
    assert_eq!(
        states.iter().filter(|s| **s == "暂缓").count(),
        1,
        "{states:?}"
    );
    let json = serde_json::to_value(&follow).unwrap();
    let projects = json["projects"].as_array().unwrap();
    let suspended = projects.iter().find(|p| p["state"] == "suspended").unwrap();
    assert!(suspended["decisions"][0]["document_no"]
        .as_str()
        .unwrap()
        .contains("号"));
    let late = projects.iter().find(|p| p["state"] == "late").unwrap();
    assert!(late["inspections"][0]["suggestion"]
        .as_str()
        .unwrap()
        .contains("督办"));
    let rated: u64 = projects
        .iter()
        .map(|p| {
            ["satisfied", "basically_satisfied", "unsatisfied"]
                .iter()
                .map(|k| p["ratings"][k].as_u64().unwrap())
                .sum::<u64>()
        })
        .sum();
    assert!(rated >= 30, "the public rated the projects: {rated}");
    // The review: the suspended project rated 不满意, so it carries a 整改.
    let rounds = state.store.rounds().await.unwrap();
    let review = rounds.iter().find(|r| r.id == played.review_round).unwrap();
    let r = review.result.as_ref().unwrap().review().unwrap();
    let unsatisfied: Vec<_> = r
        .ratings
        .iter()
        .filter(|(_, v)| v.as_str() == "unsatisfied")
        .collect();
    assert_eq!(unsatisfied.len(), 1, "{:?}", r.ratings);
    assert_eq!(suspended["candidate_id"], unsatisfied[0].0.as_str());
    assert!(suspended["inspections"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["rectify"] == true));
    assert!(r.issued_roll.paper >= 3 && r.issued_roll.tablet.len() >= 100);
    let lines = state.store.audit_lines().await.unwrap();
    minsheng::upstream::audit::verify(lines.iter().map(String::as_str)).unwrap();

    // A restart makes no second 整改; and one that a stop cut short (the
    // review published, its item not yet made) is made at the next start.
    let rectify_items = |follow: &minsheng::service::follow::FollowList| {
        serde_json::to_value(follow).unwrap()["projects"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["inspections"].as_array().unwrap().clone())
            .filter(|i| i["rectify"] == true)
            .count()
    };
    drop(state);
    let (state, _) = minsheng::server::prepare(dir.path(), true).await.unwrap();
    assert_eq!(
        rectify_items(&state.follow().await.unwrap()),
        1,
        "one 整改 for the one project rated 不满意"
    );
    drop(state);
    let db = rusqlite::Connection::open(dir.path().join("minsheng.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let cut = db
        .execute(
            "DELETE FROM inspections WHERE doc LIKE '%\"rectify\":true%'",
            [],
        )
        .unwrap();
    assert_eq!(cut, 1);
    drop(db);
    let (state, _) = minsheng::server::prepare(dir.path(), true).await.unwrap();
    assert_eq!(
        rectify_items(&state.follow().await.unwrap()),
        1,
        "the 整改 a stop cut short, made at start"
    );
}

/// A year's hotline file of thousands of items imports whole, each with its
/// own tracking number (6 random digits would meet a taken one by chance).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_hotline_items_import_with_distinct_tracking_numbers() {
    let app = TestApp::spawn().await;
    let leader = app.login_as("gongzuozu").await;
    open_year(&leader).await;
    let n = 5000;
    let mut csv = String::from("标题,内容,街镇,社区,类别\n");
    for i in 0..n {
        csv.push_str(&format!(
            "来电{i},第{i}号来电反映暖气不热,石拐镇,白狐沟社区,住房\n"
        ));
    }
    let q = "channel=hotline&title=标题&text=内容&town=街镇&village=社区&category=类别";
    let r = ok(leader
        .post_bytes(&format!("/api/upstream/suggestions/import?{q}"), csv.into())
        .await)
    .await;
    assert_eq!(r["imported"], n, "{r}");
    // Read back a page of 1,000 at a time, newest first.
    let mut numbers = std::collections::HashSet::new();
    let mut last_id = i64::MAX;
    for page in 1..=5 {
        let j = ok(leader
            .get(&format!("/api/upstream/suggestions?page={page}&per=1000"))
            .await)
        .await;
        assert_eq!(
            (j["total"].as_u64(), j["found"].as_u64()),
            (Some(n), Some(n))
        );
        for s in j["suggestions"].as_array().unwrap() {
            let id = s["id"].as_i64().unwrap();
            assert!(id < last_id, "newest first, no row twice");
            last_id = id;
            numbers.insert(s["tracking_no"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(numbers.len(), n as usize);
}

/// The suggestion list at a year's size, over HTTP: pages, full-text search
/// (Chinese, one word or several, short or long), the filters, the counts by
/// town, channel and month, and a clear refusal of bad parameters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suggestion_list_pages_finds_and_filters() {
    let app = TestApp::spawn().await;
    let leader = app.login_as("gongzuozu").await;
    open_year(&leader).await;
    let towns = ["石拐镇", "五当召镇", "吉忽伦图苏木", "大发街道"];
    let asks = [
        ("住房", "小区暖气不热，室温只有十二度"),
        ("城建", "路灯不亮，夜间出行不便"),
        ("交通", "公交班次太少，等车时间长"),
        ("环境", "垃圾清运不及时，气味很大"),
    ];
    let n = 3000u64;
    let mut csv = String::from("标题,内容,街镇,社区,类别\n");
    for i in 0..n as usize {
        let (cat, ask) = asks[i % 4];
        let town = towns[(i / 4) % 4];
        csv.push_str(&format!(
            "来电{i},市民来电反映：{town}{ask}，希望相关部门尽快处理,{town},第{}社区,{cat}\n",
            i % 9
        ));
    }
    let q = "channel=hotline&title=标题&text=内容&town=街镇&village=社区&category=类别";
    let r = ok(leader
        .post_bytes(&format!("/api/upstream/suggestions/import?{q}"), csv.into())
        .await)
    .await;
    assert_eq!(r["imported"], n, "{r}");
    // How many calls have the ask numbered `a` in the town numbered `t` (any if None).
    let expect = |a: Option<usize>, t: Option<usize>| {
        (0..n as usize)
            .filter(|i| a.is_none_or(|a| i % 4 == a) && t.is_none_or(|t| (i / 4) % 4 == t))
            .count() as u64
    };
    let get = |q: &str| {
        let url = format!("/api/upstream/suggestions?{q}");
        let leader = &leader;
        async move { leader.get(&url).await }
    };

    // Pages of 100, newest first; past the end, an empty page.
    let p1 = ok(get("").await).await;
    assert_eq!(
        (p1["total"].as_u64(), p1["found"].as_u64()),
        (Some(n), Some(n))
    );
    let rows = p1["suggestions"].as_array().unwrap();
    assert_eq!(rows.len(), 100);
    assert_eq!(rows[0]["title"], format!("来电{}", n - 1));
    let p30 = ok(get("page=30").await).await;
    assert_eq!(p30["suggestions"].as_array().unwrap().len(), 100);
    assert_eq!(p30["suggestions"][99]["title"], "来电0");
    assert_eq!(ok(get("page=31").await).await["suggestions"], json!([]));

    // One word (two characters, under the trigram index: found by a scan),
    // a longer one (through the index), two words (both must be there).
    let found = |j: &Value| j["found"].as_u64().unwrap();
    let lamp = ok(get("q=路灯").await).await;
    assert_eq!(found(&lamp), n / 4);
    assert!(lamp["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["text"].as_str().unwrap().contains("路灯")));
    assert_eq!(found(&ok(get("q=垃圾清运不及时").await).await), n / 4);
    let both = ok(get("q=路灯%20五当召镇").await).await;
    assert_eq!(found(&both), expect(Some(1), Some(1)));
    assert!(both["suggestions"].as_array().unwrap().iter().all(|s| {
        s["place"]["town"] == "五当召镇" && s["text"].as_str().unwrap().contains("路灯")
    }));
    assert_eq!(found(&ok(get("q=没有这件事").await).await), 0);
    // LIKE's wildcards are not words: "%" finds what the words around it find.
    assert_eq!(found(&ok(get("q=%25路灯%25").await).await), n / 4);

    // Filters, alone and together, with the counts of what they find.
    let town = ok(get("town=吉忽伦图苏木").await).await;
    let in_town = expect(None, Some(2));
    assert_eq!(found(&town), in_town);
    assert_eq!(
        town["by_town"],
        json!([{"key": "吉忽伦图苏木", "count": in_town}])
    );
    assert_eq!(
        town["by_channel"],
        json!([{"key": "hotline", "count": in_town}])
    );
    let month = &town["by_month"][0]["key"];
    assert_eq!(month.as_str().unwrap().len(), 7, "{month}");
    assert_eq!(
        found(&ok(get("category=交通&town=大发街道").await).await),
        expect(Some(2), Some(3))
    );
    assert_eq!(found(&ok(get("channel=directed").await).await), 0);
    assert_eq!(found(&ok(get("status=received&q=暖气").await).await), n / 4);
    let today = &p1["suggestions"][0]["received_at"].as_str().unwrap()[..10];
    assert_eq!(
        found(&ok(get(&format!("from={today}&to={today}")).await).await),
        n
    );
    assert_eq!(found(&ok(get("to=2020-01-01").await).await), 0);
    assert_eq!(p1["towns"].as_array().unwrap().len(), 4);
    assert_eq!(p1["categories"].as_array().unwrap().len(), 4);

    // Bad parameters: a 400 that says which, in Chinese.
    for (q, says) in [
        ("channel=fax", "渠道"),
        ("status=lost", "状态"),
        ("from=2026-13-01", "起始日期"),
        ("per=5000", "每页条数"),
        ("per=0", "每页条数"),
        ("page=abc", "page"),
        ("colour=red", "colour"),
    ] {
        let (s, j) = get(q).await;
        assert_eq!(s, 400, "{q}: {j}");
        let msg = j["error"].as_str().unwrap_or_default();
        assert!(msg.contains(says), "{q}: {msg}");
    }
}

async fn total_of(leader: &common::app::StaffClient) -> Option<u64> {
    ok(leader.get("/api/upstream/suggestions?per=1").await).await["total"].as_u64()
}

/// A year's export in one go: 200,000 calls (a 40 MB CSV, over the API's
/// 2 MB body limit), streamed to disk, checked, imported a batch at a time,
/// each call once: the duplicates inside the file, an overlapping export
/// and the same export again add nothing and are reported as already there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_of_hotline_calls_imports_in_one_go_and_never_twice() {
    let app = TestApp::spawn().await;
    let leader = app.login_as("gongzuozu").await;
    open_year(&leader).await;
    let n = 200_000;
    let mut file = minsheng::sample::hotline_export(0, n);
    // The export repeats 1,000 calls (a ticket updated and exported twice).
    let again = minsheng::sample::hotline_export(5_000, 6_000);
    let body = again.iter().position(|b| *b == b'\n').unwrap() + 1;
    file.extend_from_slice(&again[body..]);
    assert!(file.len() > 30 * 1024 * 1024, "{} bytes", file.len());
    let q = "channel=hotline&ticket=工单编号&time=来电时间&title=诉求标题&text=诉求内容&town=所属街镇&village=所属社区&category=诉求类别&contact=联系电话";
    let import_as = |q: &str, dry: bool, bytes: Vec<u8>| {
        let url = format!("/api/upstream/suggestions/import?{q}&dry_run={dry}");
        let leader = &leader;
        async move { ok(leader.post_bytes(&url, bytes).await).await }
    };
    let import = |dry: bool, bytes: Vec<u8>| import_as(q, dry, bytes);
    // The dry run reads every row and imports nothing.
    let r = import(true, file.clone()).await;
    assert_eq!(
        (
            r["rows"].as_u64(),
            r["good"].as_u64(),
            r["error_count"].as_u64(),
            r["imported"].as_u64(),
            r["already"].as_u64()
        ),
        (
            Some(n as u64 + 1000),
            Some(n as u64 + 1000),
            Some(0),
            Some(0),
            Some(1000)
        ),
        "{r}"
    );
    assert_eq!(total_of(&leader).await, Some(0));
    // The real run: every call once.
    let r = import(false, file).await;
    assert_eq!(
        (r["imported"].as_u64(), r["already"].as_u64()),
        (Some(n as u64), Some(1000)),
        "{r}"
    );
    assert_eq!(total_of(&leader).await, Some(n as u64));
    // Each keeps the hotline's own time.
    let p = ok(leader
        .get("/api/upstream/suggestions?q=GD202600000007")
        .await)
    .await;
    assert_eq!(p["found"], 1, "{p}");
    assert_eq!(
        p["suggestions"][0]["received_at"],
        "2026-01-01T15:07:00+08:00"
    );
    // Next month's export overlaps this one by 10,000 calls.
    let r = import(
        false,
        minsheng::sample::hotline_export(n - 10_000, n + 10_000),
    )
    .await;
    assert_eq!(
        (r["imported"].as_u64(), r["already"].as_u64()),
        (Some(10_000), Some(10_000)),
        "{r}"
    );
    assert_eq!(total_of(&leader).await, Some(n as u64 + 10_000));
    // Without 工单编号, content and time stand for the number.
    let plain = "诉求标题,诉求内容,所属街镇,所属社区,诉求类别,来电时间\n\
        路灯不亮,市民来电反映：路灯不亮,石拐街道,第1社区,城建,2026-03-01 08:00\n\
        路灯不亮,市民来电反映：路灯不亮,石拐街道,第1社区,城建,2026-03-02 08:00\n";
    let q2 = "channel=hotline&time=来电时间&title=诉求标题&text=诉求内容&town=所属街镇&village=所属社区&category=诉求类别";
    for (imported, already) in [(2, 0), (0, 2)] {
        let r = import_as(q2, false, plain.as_bytes().to_vec()).await;
        assert_eq!(
            (r["imported"].as_u64(), r["already"].as_u64()),
            (Some(imported), Some(already)),
            "{r}"
        );
    }
    // A bad row (a time nobody can read) stops the file, named by its row.
    let bad = "诉求标题,诉求内容,所属街镇,所属社区,诉求类别,来电时间\n\
        水压低,市民来电反映：水压低,石拐街道,第1社区,供水,2026-03-01 08:00\n\
        水压低,市民来电反映：水压低,石拐街道,第1社区,供水,三月一日\n";
    let r = import_as(q2, false, bad.as_bytes().to_vec()).await;
    assert_eq!(
        (r["error_count"].as_u64(), r["imported"].as_u64()),
        (Some(1), Some(0)),
        "{r}"
    );
    assert_eq!(r["errors"][0]["row"], 3, "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("来电时间"),
        "{r}"
    );
    // A GB18030 export (Excel on a Chinese Windows) reads the same.
    let text = String::from_utf8(minsheng::sample::hotline_export(n + 10_000, n + 10_100)).unwrap();
    let gb = encoding_rs::GB18030.encode(&text).0.into_owned();
    let r = import(false, gb).await;
    assert_eq!(r["imported"].as_u64(), Some(100), "{r}");
    let p = ok(leader
        .get(&format!(
            "/api/upstream/suggestions?q=GD2026{:08}",
            n + 10_050
        ))
        .await)
    .await;
    assert!(
        p["suggestions"][0]["text"]
            .as_str()
            .unwrap()
            .contains("市民来电反映"),
        "{p}"
    );
    // Nothing of the upload stays in the data dir.
    let left: Vec<_> = std::fs::read_dir(app.data.join("uploads"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Starting the next year leaves last year's suggestions with last year: the
/// list and the public page count this year's; last year's are one
/// parameter away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_year_starts_with_its_own_list_and_counts() {
    let app = TestApp::spawn().await;
    let leader = app.login_as("gongzuozu").await;
    open_year(&leader).await;
    let q = "channel=hotline&ticket=工单编号&time=来电时间&title=诉求标题&text=诉求内容&town=所属街镇&village=所属社区&category=诉求类别";
    let import = |bytes: Vec<u8>| {
        let url = format!("/api/upstream/suggestions/import?{q}");
        let leader = &leader;
        async move { ok(leader.post_bytes(&url, bytes).await).await }
    };
    let r = import(minsheng::sample::hotline_export(0, 500)).await;
    assert_eq!(r["imported"], 500, "{r}");
    let public = |app: &TestApp| {
        let url = format!("{}/api/public/year", app.base);
        async move {
            reqwest::get(url)
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(public(&app).await["counts"]["total"], 500);
    ok(leader
        .post(
            "/api/upstream/year",
            json!({"year": 2028, "collection_opened": "2027-07-15"}),
        )
        .await)
    .await;
    let this = ok(leader.get("/api/upstream/suggestions").await).await;
    assert_eq!(
        (this["year"].as_u64(), this["total"].as_u64()),
        (Some(2028), Some(0)),
        "{this}"
    );
    let last = ok(leader.get("/api/upstream/suggestions?year=2027").await).await;
    assert_eq!(last["total"], 500, "{}", last["total"]);
    let p = public(&app).await;
    assert_eq!(
        (p["year"]["year"].as_u64(), p["counts"]["total"].as_u64()),
        (Some(2028), Some(0)),
        "{}",
        p["counts"]
    );
    // An export that spans New Year brings last year's calls again: they
    // stay last year's, and the new ones are the new year's.
    let r = import(minsheng::sample::hotline_export(490, 510)).await;
    assert_eq!(
        (r["imported"].as_u64(), r["already"].as_u64()),
        (Some(10), Some(10)),
        "{r}"
    );
    let this = ok(leader.get("/api/upstream/suggestions").await).await;
    assert_eq!(this["total"], 10);
}

/// 实施与监督 of the decided canteen (`d`): the plan, a late milestone, the
/// working group's check, reports, a suspension only by decision, an
/// Project `d` in a `/api/follow` answer.
fn followed(j: &Value, d: i64) -> Value {
    j["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["project_id"] == d)
        .cloned()
        .unwrap()
}

/// 满意度测评 at the next session, on the vote's engine: a draft over the
/// decided project, tablets (a vote's mark refused) and a paper ballot read
/// by two counters, published, verified by both verifiers alone and as the
/// chain after the vote; rated 不满意, the project gets a 整改 item its
/// department answers, and its public history shows the rating.
async fn satisfaction_review(
    app: &TestApp,
    d: i64,
    vote_round: i64,
    cid: &str,
    jiaoyu: &common::app::StaffClient,
    mishu: &common::app::StaffClient,
) {
    let base = &app.base;
    let (s, j) = mishu
        .post("/api/rounds/review", json!({"assembly": ""}))
        .await;
    assert_eq!(s, 422, "{j}");
    let r = ok(mishu
        .post(
            "/api/rounds/review",
            json!({"assembly": "石拐区第十八届人民代表大会第五次会议"}),
        )
        .await)
    .await;
    assert_eq!(
        (r["candidates"].as_u64(), r["title"].as_str()),
        (Some(1), Some("2027年民生实事项目满意度测评")),
        "{r}"
    );
    let id = r["id"].as_i64().unwrap();
    let (s, j) = mishu
        .post(
            "/api/rounds/review",
            json!({"assembly": "石拐区第十八届人民代表大会第五次会议"}),
        )
        .await;
    assert_eq!(s, 409, "each project is reviewed once: {j}");
    ok(mishu
        .post(&format!("/api/rounds/{id}/open"), json!({}))
        .await)
    .await;

    // Tablets: a vote's mark is refused (the credential stays good), then rated.
    let codes = codes(mishu).await;
    let mut tablets = vec![];
    for (number, code) in codes.iter().take(3) {
        tablets.push(Tablet::check_in(base, number, code).await);
    }
    let (s, j) = tablets[0].vote(json!({ cid: "for" })).await;
    assert_eq!(s, 400, "{j}");
    let (s, j) = tablets[0].vote(json!({ cid: "abstain" })).await;
    assert_eq!(s, 400, "no abstain in a review: {j}");
    for (t, m) in tablets
        .iter()
        .zip(["unsatisfied", "unsatisfied", "basically_satisfied"])
    {
        ok(t.vote(json!({ cid: m })).await).await;
    }
    // Paper: deputy 4 is handed one of two printed ballots; two counters read it.
    let (_, dl) = mishu.get("/api/deputies").await;
    let fourth = dl["deputies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["number"] == codes[3].0.as_str())
        .unwrap()["id"]
        .clone();
    ok(mishu
        .post(
            &format!("/api/deputies/{fourth}/present"),
            json!({"present": true}),
        )
        .await)
    .await;
    let printed = common::app::print_paper(mishu, id, 2).await;
    let (_, rd) = mishu.get(&format!("/api/rounds/{id}")).await;
    let round_no = rd["round"].as_u64().unwrap();
    let eid: minsheng::core::record::ElectionId = "shiguai-2027".parse().unwrap();
    let qr = |code: &str| {
        minsheng::core::credential::Credential::parse(code)
            .unwrap()
            .qr_text(&eid, round_no)
    };
    ok(mishu
        .post(
            &format!("/api/rounds/{id}/paper/handed-out"),
            json!({"count": 1}),
        )
        .await)
    .await;
    let c1 = app.login_as("jipiao1").await;
    let c2 = app.login_as("jipiao2").await;
    let scrutineer = app.login_as("jianpiao1").await;
    common::app::enter_twice(
        &c1,
        &c2,
        id,
        &qr(&printed[0]),
        json!({ cid: "unsatisfied" }),
    )
    .await;
    ok(scrutineer
        .post(
            &format!("/api/rounds/{id}/paper/void"),
            json!({"code": printed[1], "reason": "unused"}),
        )
        .await)
    .await;
    ok(scrutineer
        .post(&format!("/api/rounds/{id}/paper/box"), json!({"count": 1}))
        .await)
    .await;
    ok(mishu
        .post(&format!("/api/rounds/{id}/close"), json!({}))
        .await)
    .await;
    let tally_hash = attest_and_publish(mishu, id).await;

    // The result: 4 valid ballots, 满意 0 and 基本满意 1 of a threshold of 3.
    let (_, st) = mishu.get(&format!("/api/rounds/{id}/result")).await;
    let r = &st["result"];
    assert_eq!(r["type"], "minsheng.review-result/2", "{r}");
    assert_eq!(
        (r["valid"].as_u64(), r["threshold"].as_u64()),
        (Some(4), Some(3)),
        "{r}"
    );
    assert_eq!(r["tally"][cid]["unsatisfied"], 3, "{r}");
    assert_eq!(r["ratings"][cid], "unsatisfied", "{r}");
    assert_eq!(r["issued_roll"]["paper"], 1, "{r}");

    // Both verifiers, the review alone and as the chain after the vote.
    let vote = common::app::bundle_file(app, vote_round).await;
    let review = common::app::bundle_file(app, id).await;
    assert_eq!(
        common::verifiers::both(&review),
        common::verifiers::Outcome::Verified(tally_hash.clone())
    );
    common::verifiers::both_pass_chain(&[vote.as_path(), review.as_path()]);

    // 整改: made once, answered by the department, open until then.
    let view = |j: &Value| followed(j, d);
    let v = view(&ok(mishu.get("/api/follow").await).await);
    let items: Vec<&Value> = v["inspections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["rectify"] == true)
        .collect();
    assert_eq!(items.len(), 1, "{v}");
    assert!(
        items[0]["suggestion"].as_str().unwrap().contains("整改"),
        "{v}"
    );
    assert!(
        items[0]["findings"].as_str().unwrap().contains("不满意 3"),
        "{v}"
    );
    assert_eq!(v["open_items"], 1, "{v}");
    let item = items[0]["id"].as_i64().unwrap();
    ok(jiaoyu
        .post(
            &format!("/api/follow/inspections/{item}/answer"),
            json!({"answer": "已制定整改方案：9月底前完成其余食堂改造，并请代表复查"}),
        )
        .await)
    .await;
    let v = view(&ok(mishu.get("/api/follow").await).await);
    assert_eq!(v["open_items"], 0, "{v}");

    // The public: the project's history carries the rating; the result page says it.
    let h: Value = reqwest::get(format!("{base}/api/public/projects/{d}/history"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["reviews"][0]["rating"], "unsatisfied", "{h}");
    assert_eq!(h["reviews"][0]["tally_hash"], tally_hash.as_str(), "{h}");
    let page = reqwest::get(format!("{base}/results/{id}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("测评结果公告") && page.contains("<b>不满意</b>"),
        "{page}"
    );
    let paper_page = mishu.page(&format!("/results/{id}/announcement")).await;
    assert!(paper_page.contains("满意度测评"), "{paper_page}");

    // The year's report (public, A4): the 暂缓 with its 文号, the 整改 and
    // its answer, the rating; and the same in Excel, numbers as numbers.
    let report = reqwest::get(format!("{base}/public/report"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for want in [
        "2027年民生实事项目实施情况报告",
        "调整、暂缓、终止的项目",
        "石人常〔2027〕12号",
        "<b>整改</b>",
        "已制定整改方案",
        "代表满意度测评：<b>不满意",
    ] {
        assert!(report.contains(want), "{want} missing from the report");
    }
    let bytes = reqwest::get(format!("{base}/public/report.xlsx"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<calamine::Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    let col = |name: &str| common::app::column(&rows, name);
    assert_eq!(rows[1][col("代表满意度测评")].to_string(), "不满意");
    assert_eq!(rows[1][col("整改（项）")], calamine::Data::Float(1.0));
    assert_eq!(rows[1][col("视察（次）")], calamine::Data::Float(1.0));
    // The plan reports monthly: its next report is due a month after the last.
    let v = view(&ok(mishu.get("/api/follow").await).await);
    assert!(v["next_report"].is_string(), "{v}");
    assert_eq!(
        v["report_overdue"], false,
        "a suspended project reports no more: {v}"
    );
}

/// inspection and its answer — and who may not do what. `a` was not decided.
async fn after_the_vote(
    base: &str,
    d: i64,
    a: i64,
    jiaoyu: &common::app::StaffClient,
    zhujian: &common::app::StaffClient,
    leader: &common::app::StaffClient,
    mishu: &common::app::StaffClient,
) {
    let view = |j: &Value| followed(j, d);
    let all = ok(leader.get("/api/follow").await).await;
    assert_eq!(
        all["projects"].as_array().unwrap().len(),
        1,
        "only what the vote decided: {all}"
    );
    let plan = json!({"lead_unit": "区教育局", "targets": "提升5所学校食堂，实施明厨亮灶",
        "milestones": [{"name": "完成设计", "due": "2020-01-31"}, {"name": "完成施工", "due": "2099-09-30"}],
        "budget_yuan": 3_200_000, "funding_source": "区级财政", "responsible": "区教育局 王主任",
        "stage_goals": [{"year": 2028, "goal": "完成其余3所学校食堂"}]});
    let (s, _) = zhujian
        .put(&format!("/api/follow/{d}/plan"), plan.clone())
        .await;
    assert_eq!(s, 403, "only the lead department plans its project");
    let (s, _) = jiaoyu
        .put(&format!("/api/follow/{a}/plan"), plan.clone())
        .await;
    assert!(
        s == 403 || s == 409,
        "a project the vote did not decide has no plan: {s}"
    );
    let mut lacking = plan.clone();
    lacking["responsible"] = json!("");
    let (s, j) = jiaoyu.put(&format!("/api/follow/{d}/plan"), lacking).await;
    assert_eq!(s, 422, "{j}");
    assert!(j["error"].as_str().unwrap().contains("责任人"), "{j}");
    let (s, _) = jiaoyu
        .post(
            &format!("/api/follow/{d}/reports"),
            json!({"as_of": "2027-01-31", "percent": 5, "spent_yuan": 0, "done": "开始"}),
        )
        .await;
    assert_eq!(s, 409, "no report before a plan");
    ok(jiaoyu.put(&format!("/api/follow/{d}/plan"), plan).await).await;
    let v = view(&ok(leader.get("/api/follow").await).await);
    assert_eq!(
        (v["state"].as_str(), v["plan_checked"].as_bool()),
        (Some("late"), Some(false)),
        "{v}"
    );
    assert_eq!(v["late"][0]["name"], "完成设计");
    ok(leader
        .post(&format!("/api/follow/{d}/plan/check"), json!({}))
        .await)
    .await;
    let r = json!({"as_of": "2027-04-30", "percent": 30, "spent_yuan": 900_000, "done": "设计完成，开始施工", "milestones_met": [0]});
    ok(jiaoyu
        .post(&format!("/api/follow/{d}/reports"), r.clone())
        .await)
    .await;
    let v = view(&ok(leader.get("/api/follow").await).await);
    assert_eq!(
        (
            v["state"].as_str(),
            v["percent"].as_u64(),
            v["plan_checked"].as_bool()
        ),
        (Some("on_track"), Some(30), Some(true)),
        "{v}"
    );
    // 暂缓 only by the 人大常委会's decision, with its number and notice.
    let pause = json!({"state": "suspended", "date": "2027-05-10", "document_no": "石人常〔2027〕12号", "notice": "因选址调整，学校食堂提升项目暂缓实施"});
    let (s, _) = jiaoyu
        .post(&format!("/api/follow/{d}/decisions"), pause.clone())
        .await;
    assert_eq!(s, 403, "a department cannot suspend its own project");
    let mut no_number = pause.clone();
    no_number["document_no"] = json!(" ");
    let (s, j) = mishu
        .post(&format!("/api/follow/{d}/decisions"), no_number)
        .await;
    assert_eq!(s, 422, "{j}");
    let (s, _) = mishu
        .post(
            &format!("/api/follow/{d}/decisions"),
            json!({"state": "done", "date": "2027-05-10", "document_no": "x", "notice": "x"}),
        )
        .await;
    assert_eq!(s, 422, "done is reported, not decided");
    ok(mishu
        .post(&format!("/api/follow/{d}/decisions"), pause)
        .await)
    .await;
    ok(jiaoyu.post(&format!("/api/follow/{d}/reports"), r).await).await;
    let v = view(&ok(leader.get("/api/follow").await).await);
    assert_eq!(
        v["state"], "suspended",
        "a report does not lift a suspension: {v}"
    );
    assert_eq!(
        v["decisions"][0]["notice"],
        "因选址调整，学校食堂提升项目暂缓实施"
    );
    // 监督: an inspection with a 督办建议, answered once.
    let i = ok(mishu
        .post(&format!("/api/follow/{d}/inspections"), json!({"date": "2027-06-15", "group": "区人大教科文卫工委视察组（代表 李明、张华）",
            "place": "第一中学食堂", "findings": "设计已完成，尚未开工", "suggestion": "尽快明确选址，恢复施工"}))
        .await)
    .await["id"]
        .as_i64()
        .unwrap();
    let v = view(&ok(leader.get("/api/follow").await).await);
    assert_eq!(v["open_items"], 1);
    let (s, _) = zhujian
        .post(
            &format!("/api/follow/inspections/{i}/answer"),
            json!({"answer": "好"}),
        )
        .await;
    assert_eq!(s, 403);
    ok(jiaoyu
        .post(
            &format!("/api/follow/inspections/{i}/answer"),
            json!({"answer": "已完成选址论证，7月恢复施工"}),
        )
        .await)
    .await;
    let (s, _) = jiaoyu
        .post(
            &format!("/api/follow/inspections/{i}/answer"),
            json!({"answer": "再答"}),
        )
        .await;
    assert_eq!(s, 409, "answered once");
    // The public sees the same.
    let public: Value = reqwest::get(format!("{base}/api/public/follow"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pv = view(&public);
    assert_eq!(
        (pv["state"].as_str(), pv["open_items"].as_u64()),
        (Some("suspended"), Some(0)),
        "{pv}"
    );
    assert_eq!(
        pv["inspections"][0]["answer"],
        "已完成选址论证，7月恢复施工"
    );

    // 民生码: anyone rates it; a comment waits for staff, and shows without
    // the phone number in it; the chain keeps only the comment's digest.
    let c = reqwest::Client::new();
    let rate = |body: Value| {
        let (c, url) = (c.clone(), format!("{base}/api/public/projects/{d}/ratings"));
        async move { call(&c, "POST", url, "", Some(body)).await }
    };
    ok(rate(json!({"rating": "satisfied"})).await).await;
    let j = ok(
        rate(json!({"rating": "unsatisfied", "comment": "工地噪音大，联系我13912345678"})).await,
    )
    .await;
    assert!(j["message"].as_str().unwrap().contains("审核"), "{j}");
    let (s, _) = rate(json!({"rating": "great"})).await;
    assert_eq!(s, 400);
    let (s, _) = rate(json!({"rating": "satisfied", "comment": "长".repeat(201)})).await;
    assert_eq!(s, 400);
    let queue = ok(leader.get("/api/follow/comments").await).await;
    let cid = queue["comments"][0]["id"].as_i64().unwrap();
    let public_follow = || async {
        reqwest::get(format!("{base}/api/public/follow"))
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let pv = view(&public_follow().await);
    assert_eq!(
        (
            pv["ratings"]["satisfied"].as_u64(),
            pv["ratings"]["unsatisfied"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(pv["comments"], json!([]), "not shown before staff let it");
    let (s, _) = jiaoyu
        .post(
            &format!("/api/follow/comments/{cid}"),
            json!({"show": true}),
        )
        .await;
    assert_eq!(
        s, 403,
        "the department does not moderate comments on its own project"
    );
    ok(leader
        .post(
            &format!("/api/follow/comments/{cid}"),
            json!({"show": true}),
        )
        .await)
    .await;
    assert_eq!(
        view(&public_follow().await)["comments"][0]["text"],
        "工地噪音大，联系我***********"
    );
    let log = reqwest::get(format!("{base}/public/audit.jsonl"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!log.contains("13912345678") && log.contains("comment_sha256"));

    // A photo of the site: kept under its digest, served back as sent.
    let mut photo = b"\x89PNG\r\n\x1a\n".to_vec();
    photo.extend((0..5000u32).map(|i| (i % 251) as u8));
    let (s, _) = zhujian
        .post_bytes(
            &format!("/api/follow/{d}/attachments?name=照片"),
            photo.clone(),
        )
        .await;
    assert_eq!(s, 403, "another department's project");
    let (s, j) = jiaoyu
        .post_bytes(
            &format!("/api/follow/{d}/attachments?name=网页"),
            b"<html>".to_vec(),
        )
        .await;
    assert_eq!(s, 400, "only photos and scans: {j}");
    let (s, j) = jiaoyu
        .post_bytes(
            &format!("/api/follow/{d}/attachments?name=太大"),
            vec![0xFF; 10 * 1024 * 1024 + 1],
        )
        .await;
    assert_eq!(s, 413, "{j}");
    let att = ok(jiaoyu
        .post_bytes(
            &format!("/api/follow/{d}/attachments?name=食堂施工现场"),
            photo.clone(),
        )
        .await)
    .await["id"]
        .as_i64()
        .unwrap();
    let back = reqwest::get(format!("{base}/api/public/attachments/{att}"))
        .await
        .unwrap();
    assert_eq!(back.headers()["content-type"], "image/png");
    assert_eq!(back.bytes().await.unwrap().to_vec(), photo);
    let v = view(&ok(leader.get("/api/follow").await).await);
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&photo))
    };
    assert_eq!(v["attachments"][0]["sha256"], sha.as_str());
    let log = reqwest::get(format!("{base}/public/audit.jsonl"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(log.contains(&sha), "the photo's digest is in the chain");
    // A photo of one inspection, a scan of one report: tied to them; never
    // to another project's, nor to both at once.
    let report_id = v["reports"][0]["id"].as_i64().unwrap();
    let inspection_id = v["inspections"][0]["id"].as_i64().unwrap();
    let of_visit = ok(jiaoyu
        .post_bytes(
            &format!("/api/follow/{d}/attachments?name=视察现场&inspection={inspection_id}"),
            photo.clone(),
        )
        .await)
    .await["id"]
        .as_i64()
        .unwrap();
    ok(jiaoyu
        .post_bytes(
            &format!("/api/follow/{d}/attachments?name=进展报告扫描件&report={report_id}"),
            photo.clone(),
        )
        .await)
    .await;
    let (s, j) = jiaoyu
        .post_bytes(
            &format!(
                "/api/follow/{d}/attachments?name=x&report={report_id}&inspection={inspection_id}"
            ),
            photo.clone(),
        )
        .await;
    assert_eq!(s, 400, "{j}");
    let (s, j) = jiaoyu
        .post_bytes(
            &format!("/api/follow/{d}/attachments?name=x&report=999999"),
            photo.clone(),
        )
        .await;
    assert_eq!(s, 404, "not this project's report: {j}");
    let v = view(&ok(leader.get("/api/follow").await).await);
    let atts = v["attachments"].as_array().unwrap();
    assert_eq!(atts.len(), 3, "{v}");
    let visit = atts.iter().find(|a| a["id"] == of_visit).unwrap();
    assert_eq!(
        (visit["inspection_id"].as_i64(), visit["report_id"].as_i64()),
        (Some(inspection_id), None)
    );
    assert!(atts.iter().any(|a| a["report_id"] == report_id));

    // The year's 实施情况 in Excel: numbers as numbers.
    use calamine::Data;
    let rows = common::app::export_rows(leader, base, "progress.xlsx").await;
    let col = |name: &str| common::app::column(&rows, name);
    assert_eq!(rows.len(), 2, "one decided project");
    assert_eq!(rows[1][col("状态")].to_string(), "暂缓");
    assert_eq!(rows[1][col("完成进度（%）")], Data::Float(30.0));
    assert_eq!(rows[1][col("预算（万元）")], Data::Float(320.0));
    assert!(rows[1][col("人大常委会决定")]
        .to_string()
        .contains("石人常〔2027〕12号"));
}
