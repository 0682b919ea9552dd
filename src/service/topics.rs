//! 热点专题: the hot topics of the current year as staff see them — found
//! once for each state of the list and kept, under the names the working
//! group gave — and the working group's naming, merging and splitting.

use super::{cpu, Done, Services, DONE};
use crate::error::Result;
use crate::store::Staff;
use crate::upstream::hot::{hot_topics, HotTopic};
use crate::upstream::stage::Action;
use crate::upstream::topics::{with_names, Named};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Serialize)]
pub struct HotTopics {
    pub topics: Vec<HotTopic>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameTopicReq {
    pub name: String,
    /// The words that say what it is about (the group's, as shown).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Its calls: a group as shown, or two groups to be one.
    pub ids: Vec<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameTopicReq {
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeTopicsReq {
    /// The topics that become part of this one.
    #[serde(default)]
    pub from: Vec<i64>,
    /// Calls that join it (a group not yet named, say).
    #[serde(default)]
    pub ids: Vec<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitTopicReq {
    /// The calls whose words contain it become the new topic.
    pub word: String,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct TopicMade {
    pub topic_id: i64,
}

#[derive(Debug, Serialize)]
pub struct TopicsMerged {
    pub calls: usize,
}

/// Upper bound on the calls one request may name.
const MAX_IDS: usize = 200_000;

impl Services {
    /// 热点难点 of the current year: found once for each state of the list
    /// (a new suggestion or import makes them anew), shown under the names
    /// the working group gave.
    pub async fn hot_topics(&self) -> Result<HotTopics> {
        let key = self.store.upstream_read(|r| r.asks_key()).await?;
        let cached = self
            .hot
            .lock()
            .ok()
            .and_then(|c| c.clone())
            .filter(|(k, _)| *k == key);
        let found = match cached {
            Some((_, found)) => found,
            None => {
                let (asks, key) = self.store.upstream_read(|r| r.asks()).await?;
                let found = cpu(move || {
                    let towns: HashMap<i64, String> =
                        asks.iter().map(|a| (a.id, a.town.clone())).collect();
                    // Place names: the asks' own towns and villages, and roads by their 路/街.
                    Ok(Arc::new((hot_topics(&asks, &[]), towns)))
                })
                .await?;
                if let Ok(mut c) = self.hot.lock() {
                    *c = Some((key, found.clone()));
                }
                found
            }
        };
        let named: Vec<Named> = self
            .store
            .upstream_read(|r| r.named_topics())
            .await?
            .into_iter()
            .map(|n| Named {
                id: n.id,
                name: n.name,
                keywords: n.keywords,
                members: n.members,
            })
            .collect();
        let topics = cpu(move || {
            let town = |id: i64| found.1.get(&id).cloned();
            Ok(with_names(&found.0, &named, &town))
        })
        .await?;
        Ok(HotTopics { topics })
    }

    /// Names a group of calls (a group as shown, or several made one).
    pub async fn name_topic(&self, me: &Staff, req: NameTopicReq) -> Result<TopicMade> {
        if req.ids.len() > MAX_IDS {
            return Err(crate::error::Error::bad("一个专题的诉求过多"));
        }
        let topic_id = self
            .change(me, Action::CurateTopics, None, move |u| {
                u.name_topic(&req.name, &req.keywords, &req.ids)
            })
            .await?;
        Ok(TopicMade { topic_id })
    }

    pub async fn rename_topic(&self, me: &Staff, id: i64, req: RenameTopicReq) -> Result<Done> {
        self.change(me, Action::CurateTopics, None, move |u| {
            u.rename_topic(id, &req.name)
        })
        .await?;
        Ok(DONE)
    }

    pub async fn merge_topics(
        &self,
        me: &Staff,
        id: i64,
        req: MergeTopicsReq,
    ) -> Result<TopicsMerged> {
        if req.ids.len() > MAX_IDS {
            return Err(crate::error::Error::bad("一个专题的诉求过多"));
        }
        let calls = self
            .change(me, Action::CurateTopics, None, move |u| {
                u.merge_topics(id, &req.from, &req.ids)
            })
            .await?;
        Ok(TopicsMerged { calls })
    }

    pub async fn split_topic(&self, me: &Staff, id: i64, req: SplitTopicReq) -> Result<TopicMade> {
        let topic_id = self
            .change(me, Action::CurateTopics, None, move |u| {
                u.split_topic(id, &req.name, &req.word)
            })
            .await?;
        Ok(TopicMade { topic_id })
    }
}
