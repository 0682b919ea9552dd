//! 热点难点: groups similar suggestions so staff see what many people ask
//! for. Chinese word segmentation (jieba), stop words out, then suggestions
//! join the group whose words they share most (Dice's coefficient).

use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

static JIEBA: LazyLock<jieba_rs::Jieba> = LazyLock::new(jieba_rs::Jieba::new);

/// Words that say nothing about what is asked for.
const STOP: &[&str] = &[
    "建议", "希望", "我们", "他们", "你们", "这个", "那个", "一个", "没有", "可以", "进行", "问题",
    "解决", "情况", "目前", "现在", "已经", "需要", "相关", "有关", "能够", "以及", "还是", "因为",
    "所以", "但是", "如果", "我村", "我镇", "群众", "居民", "村民", "部门", "政府", "尽快", "加强",
    "增加", "提高", "改善", "完善", "推进", "开展", "落实", "工作", "方面", "地方", "附近", "出行",
];

/// The words of a text that carry meaning.
pub fn words(text: &str) -> HashSet<String> {
    JIEBA
        .cut(text, true)
        .into_iter()
        .map(|t| t.word.trim())
        .filter(|w| w.chars().count() >= 2)
        .filter(|w| {
            !w.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_punctuation())
        })
        .filter(|w| !STOP.contains(w))
        .map(str::to_string)
        .collect()
}

/// Dice's coefficient of two word sets: 2|A∩B| / (|A| + |B|).
pub fn similarity(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    dice(a, b)
}

fn dice(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    2.0 * a.intersection(b).count() as f64 / (a.len() + b.len()) as f64
}

/// A group of similar suggestions.
#[derive(Clone, Debug, Serialize)]
pub struct HotTopic {
    /// The words most of them share, most common first.
    pub keywords: Vec<String>,
    pub count: usize,
    pub ids: Vec<i64>,
    /// 苏木镇 → how many.
    pub towns: BTreeMap<String, usize>,
}

/// Groups suggestions `(id, town, text)`: a suggestion joins the first
/// group whose words it shares at `threshold` or more (Dice coefficient of
/// word sets), else starts one. Biggest groups first; singletons dropped.
pub fn hot_topics(items: &[(i64, String, String)], threshold: f64) -> Vec<HotTopic> {
    struct Group {
        words: HashSet<String>,
        counts: BTreeMap<String, usize>,
        ids: Vec<i64>,
        towns: BTreeMap<String, usize>,
    }
    let mut groups: Vec<Group> = vec![];
    for (id, town, text) in items {
        let w = words(text);
        if w.is_empty() {
            continue;
        }
        let best = groups
            .iter_mut()
            .map(|g| (dice(&g.words, &w), g))
            .filter(|(s, _)| *s >= threshold)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let g = match best {
            Some((_, g)) => g,
            None => {
                groups.push(Group {
                    words: w.clone(),
                    counts: BTreeMap::new(),
                    ids: vec![],
                    towns: BTreeMap::new(),
                });
                let Some(g) = groups.last_mut() else { continue };
                g
            }
        };
        for x in &w {
            *g.counts.entry(x.clone()).or_default() += 1;
        }
        g.ids.push(*id);
        *g.towns.entry(town.clone()).or_default() += 1;
        // The group's words: those shared by at least a third of its members.
        let need = g.ids.len().div_ceil(3);
        g.words = g
            .counts
            .iter()
            .filter(|(_, n)| **n >= need)
            .map(|(k, _)| k.clone())
            .collect();
    }
    let mut out: Vec<HotTopic> = groups
        .into_iter()
        .filter(|g| g.ids.len() >= 2)
        .map(|g| {
            let mut kw: Vec<(String, usize)> = g.counts.into_iter().collect();
            kw.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            HotTopic {
                keywords: kw.into_iter().take(5).map(|(k, _)| k).collect(),
                count: g.ids.len(),
                ids: g.ids,
                towns: g.towns,
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.ids.cmp(&b.ids)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_suggestions_group_together_and_say_what_they_share() {
        let items: Vec<(i64, String, String)> = [
            (1, "石拐镇", "希望尽快改造老旧小区的供暖管道，冬天暖气不热"),
            (2, "石拐镇", "老旧小区供暖管道老化，暖气不热，建议改造"),
            (3, "大发街道", "小区暖气不热，供暖管道需要改造"),
            (4, "五当召镇", "村里缺少卫生室，看病要跑很远"),
            (5, "五当召镇", "建议村卫生室配备医生，村民看病难"),
            (6, "吉忽伦图苏木", "希望修一条通往镇上的硬化路"),
        ]
        .into_iter()
        .map(|(i, t, s)| (i, t.to_string(), s.to_string()))
        .collect();
        let topics = hot_topics(&items, 0.25);
        assert_eq!(topics[0].ids, vec![1, 2, 3], "{topics:?}");
        assert!(
            topics[0]
                .keywords
                .iter()
                .any(|k| k == "供暖" || k == "暖气"),
            "{topics:?}"
        );
        assert_eq!(topics[0].towns["石拐镇"], 2);
        assert_eq!(topics[1].ids, vec![4, 5], "{topics:?}");
        assert_eq!(topics.len(), 2, "a suggestion alone is not a hot topic");
    }
}
