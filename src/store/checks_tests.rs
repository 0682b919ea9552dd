//! The database holds the domain's value sets too (migration 0004): every
//! status and channel the domain can write is accepted, anything else is
//! refused by the database itself.

use super::Store;
use crate::upstream::model::{Channel, ProjectStatus, SuggestionStatus};

fn text<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[tokio::test]
async fn status_columns_take_the_domains_values_and_nothing_else() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("store");
    let suggestion = |channel: String, status: String, n: usize| {
        store.write(move |tx| {
            tx.execute(
                "INSERT OR IGNORE INTO up_years (year, stage) VALUES (2027, 'collect')",
                [],
            )?;
            tx.execute(
                "INSERT INTO suggestions (year, tracking_no, channel, town, village, category, status, doc, received_at)
                 VALUES (2027, ?1, ?2, '石拐镇', '', '教育', ?3, '{}', '2027-07-01')",
                rusqlite::params![format!("T{n}"), channel, status],
            )?;
            Ok(())
        })
    };
    let mut n = 0;
    for c in Channel::ALL {
        for s in [
            SuggestionStatus::Received,
            SuggestionStatus::Listed,
            SuggestionStatus::Adopted,
        ] {
            n += 1;
            assert!(suggestion(text(c), text(s), n).await.is_ok(), "{c:?} {s:?}");
        }
    }
    assert!(suggestion("fax".into(), "received".into(), 100)
        .await
        .is_err());
    assert!(suggestion("public".into(), "lost".into(), 101)
        .await
        .is_err());
    let project = |status: &'static str| {
        store.write(move |tx| {
            tx.execute(
                "INSERT INTO projects (year, department, status, doc) VALUES (2027, '区教育局', ?1, '{}')",
                [status],
            )?;
            Ok(())
        })
    };
    for s in [
        ProjectStatus::Declared,
        ProjectStatus::Passed,
        ProjectStatus::Revise,
        ProjectStatus::Excluded,
        ProjectStatus::Merged,
        ProjectStatus::Candidate,
    ] {
        assert!(project(s.as_str()).await.is_ok(), "{s:?}");
    }
    assert!(project("approved_by_mistake").await.is_err());
    let update = store
        .write(|tx| {
            tx.execute("UPDATE projects SET status = 'gone' WHERE id = 1", [])?;
            Ok(())
        })
        .await;
    assert!(
        update.is_err(),
        "an update to an unknown status is refused too"
    );
}
