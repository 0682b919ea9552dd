//! 热点难点: groups similar suggestions so staff see what many people ask
//! for. Chinese word segmentation (jieba), stop words and place names out,
//! words weighted by rarity; asks join the group they are most like (one
//! group per wording), then the wordings of one topic are joined by
//! average linkage ([`hot_topics`]).

use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

mod join;
use join::join_phrasings;

static JIEBA: LazyLock<jieba_rs::Jieba> = LazyLock::new(jieba_rs::Jieba::new);

/// Words that say nothing about what is asked for.
const STOP: &[&str] = &[
    "建议",
    "希望",
    "我们",
    "他们",
    "你们",
    "这个",
    "那个",
    "一个",
    "没有",
    "可以",
    "进行",
    "问题",
    "解决",
    "情况",
    "目前",
    "现在",
    "已经",
    "需要",
    "相关",
    "有关",
    "能够",
    "以及",
    "还是",
    "因为",
    "所以",
    "但是",
    "如果",
    "我村",
    "我镇",
    "群众",
    "居民",
    "村民",
    "部门",
    "政府",
    "尽快",
    "加强",
    "增加",
    "提高",
    "改善",
    "完善",
    "推进",
    "开展",
    "落实",
    "工作",
    "方面",
    "地方",
    "附近",
    "出行",
    // The hotline's own formulas (市民来电反映…，希望相关部门尽快处理).
    "市民",
    "来电",
    "反映",
    "诉求",
    "处理",
    "多次",
    "热线",
    "工单",
    "答复",
    "协调",
    "要求",
    "咨询",
    "另外",
    "此外",
    "通过",
    "内容",
    "人称",
    "此前",
    "给予",
    "投诉",
    "表示",
    "此事",
    "予以",
    "核实",
    "回复",
    "联系",
    "电话",
    "及时",
    "一直",
    "至今",
    "得到",
    // Judgements any complaint makes (存在安全隐患, 影响生活, 严重, 困难).
    "存在",
    "隐患",
    "安全隐患",
    "影响",
    "严重",
    "困难",
    "不便",
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
    /// The words that say what the group asks for, the most telling first.
    pub keywords: Vec<String>,
    pub count: usize,
    pub ids: Vec<i64>,
    /// 苏木镇 → how many.
    pub towns: BTreeMap<String, usize>,
    /// The 热点专题 it is, once the working group has named it.
    pub topic_id: Option<i64>,
    pub name: Option<String>,
}

/// A call or suggestion as the grouping sees it.
#[derive(Clone, Debug)]
pub struct Ask {
    pub id: i64,
    pub town: String,
    pub village: String,
    pub text: String,
}

/// A word found in more than this share of all asks says nothing about any
/// one of them (a formula of the hotline's not yet in [`STOP`]).
const COMMON: f64 = 0.25;
/// Cosine similarity at which an ask joins a group.
const JOIN: f64 = 0.34;
/// Words of an ask that count (the rarest, i.e. the most telling).
const KEEP: usize = 8;

/// Whether `w` names a place: a town, village or community the asks name,
/// a part of one, or a road or street (三字以上，以路、街、巷结尾).
fn is_place(w: &str, places: &HashSet<String>) -> bool {
    /// Words ending in 路 or 街 that are about roads, not names of one.
    const ROAD_WORDS: &[&str] = &[
        "道路", "马路", "公路", "线路", "走路", "修路", "铁路", "小路", "土路", "山路",
    ];
    if ROAD_WORDS.iter().any(|r| w.ends_with(r)) {
        // 公交线路, 乡村公路: about a road, not a road's name.
        return false;
    }
    places.contains(w)
        || places.iter().any(|p| p.contains(w))
        || w.ends_with('路')
        || w.ends_with('街')
        || w.ends_with('巷')
        || ["苏木", "嘎查", "社区", "街道", "镇", "村"].contains(&w)
}

/// Words that begin another matter in a call's summary (…；另外…).
const ANOTHER: &[&str] = &[
    "另外",
    "此外",
    "同时反映",
    "还反映",
    "另反映",
    "另：",
    "另，",
];

/// The matters a call's text is about: the text cut before each
/// [`ANOTHER`].
fn matters(text: &str) -> Vec<&str> {
    let mut cuts: Vec<usize> = ANOTHER
        .iter()
        .flat_map(|m| text.match_indices(m).map(|(at, _)| at))
        .filter(|&at| at > 0)
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = vec![];
    let mut from = 0;
    for at in cuts.into_iter().chain([text.len()]) {
        if at > from {
            out.push(&text[from..at]);
            from = at;
        }
    }
    out
}

/// The words of an ask that can say what it is about: [`words`], less the
/// name before a 路, 街 or 巷 (a road's name, however jieba cut it).
fn ask_words(text: &str) -> Vec<String> {
    let tokens: Vec<&str> = JIEBA
        .cut(text, true)
        .into_iter()
        .map(|t| t.word.trim())
        .collect();
    let mut road_names: HashSet<&str> = HashSet::new();
    for pair in tokens.windows(2) {
        // 友谊巷 cut 友谊/巷, or 友谊/巷路 in 友谊巷路面积水.
        if ["路", "街", "大街", "巷"].contains(&pair[1])
            || pair[1].starts_with('巷')
            || pair[1].starts_with('街')
        {
            road_names.insert(pair[0]);
        }
    }
    let mut out: Vec<String> = words(text)
        .into_iter()
        .filter(|w| !road_names.contains(w.as_str()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Groups asks by what they ask for, not where they come from or how the
/// hotline words them: a call about two things (…；另外…) is grouped by
/// each and counts for both ([`matters`]); place names (the asks' own 苏木镇
/// and 嘎查村社区, and roads) and the words common to most asks are left
/// out, the rest counted also by their pieces and characters and weighted
/// by rarity (IDF); an ask joins the group it is most like (cosine
/// of weights, candidates found through the groups' words), then every ask
/// is placed once more in the group it is most like at the end. Those
/// groups are wordings; the wordings of one topic are then joined
/// ([`join_phrasings`]). Biggest topics first; an ask alone is not a topic.
///
/// `gazetteer`: the district's place names beyond those the asks carry in
/// their own town and village fields (roads, streets, residential areas);
/// every place name is taken out of the text before it is cut into words.
pub fn hot_topics(asks: &[Ask], gazetteer: &[&str]) -> Vec<HotTopic> {
    // Place names, whole and in their parts.
    let mut places: HashSet<String> = gazetteer
        .iter()
        .map(|p| p.trim().to_string())
        .filter(|p| p.chars().count() >= 2)
        .collect();
    for a in asks {
        for p in [&a.town, &a.village] {
            let p = p.trim();
            if p.chars().count() >= 2 {
                places.insert(p.to_string());
                for w in JIEBA.cut(p, false) {
                    let w = w.word.trim();
                    if w.chars().count() >= 2 && !["社区", "街道", "苏木", "嘎查"].contains(&w)
                    {
                        places.insert(w.to_string());
                    }
                }
            }
        }
    }
    // Whole names out of the text, longest first ("五当召镇长汉嘎查" must
    // not leave a 镇长 behind).
    let mut names: Vec<&String> = places.iter().filter(|p| p.chars().count() >= 3).collect();
    names.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    // Words by number: a year's asks hold millions of words, a few
    // thousand different.
    let mut place_word: std::collections::HashMap<String, bool> = Default::default();
    let mut vocab: std::collections::HashMap<String, u32> = Default::default();
    let mut spelled: Vec<String> = vec![];
    let mut number = |w: String| -> u32 {
        if let Some(&k) = vocab.get(&w) {
            return k;
        }
        let k = spelled.len() as u32;
        spelled.push(w.clone());
        vocab.insert(w, k);
        k
    };
    // A call about two things (…；另外…) is grouped by each of its matters
    // and counts for both.
    let units: Vec<(usize, &str)> = asks
        .iter()
        .enumerate()
        .flat_map(|(i, a)| matters(&a.text).into_iter().map(move |t| (i, t)))
        .collect();
    let docs: Vec<Vec<u32>> = units
        .iter()
        .map(|(_, t)| {
            let mut text = t.to_string();
            for n in &names {
                if text.contains(n.as_str()) {
                    text = text.replace(n.as_str(), "，");
                }
            }
            ask_words(&text)
                .into_iter()
                .filter(|w| {
                    !*place_word
                        .entry(w.clone())
                        .or_insert_with(|| is_place(w, &places))
                })
                .flat_map(|w| {
                    // A word of three characters or more also counts by its
                    // two-character pieces, so that 暖气片 and 暖气 are alike.
                    let chars: Vec<char> = w.chars().collect();
                    let mut v: Vec<String> = if chars.len() >= 3 {
                        chars
                            .windows(2)
                            .map(|p| p.iter().collect::<String>())
                            .filter(|p| !STOP.contains(&p.as_str()))
                            .collect()
                    } else {
                        vec![]
                    };
                    // And by its characters: two wordings of one thing
                    // often share no word but share characters (漏雨 and
                    // 漏水, 屋顶 and 楼顶); characters common to most asks
                    // weigh little, as words do.
                    v.extend(chars.iter().filter(|c| !c.is_ascii()).map(char::to_string));
                    v.push(w);
                    v
                })
                .collect::<std::collections::BTreeSet<String>>()
                .into_iter()
                .map(&mut number)
                .collect()
        })
        .collect();
    drop(place_word);
    drop(vocab);
    // Document frequencies; words in almost every ask, or in one only, out.
    let mut df = vec![0usize; spelled.len()];
    for d in &docs {
        for &w in d {
            df[w as usize] += 1;
        }
    }
    let n = docs.len().max(1) as f64;
    let idf = |w: u32| -> Option<f64> {
        let f = *df.get(w as usize)? as f64;
        // (In a handful of asks, only a word in most of them is common.)
        let common = if n < 40.0 { 0.6 } else { COMMON };
        (f >= 2.0 && f / n <= common).then(|| (n / f).ln())
    };
    // Each ask: its most telling words, weights normalised.
    let vecs: Vec<Vec<(u32, f64)>> = docs
        .iter()
        .map(|d| {
            let mut v: Vec<(u32, f64)> = d.iter().filter_map(|&w| idf(w).map(|x| (w, x))).collect();
            v.sort_by(|a, b| {
                b.1.total_cmp(&a.1)
                    .then_with(|| spelled[a.0 as usize].cmp(&spelled[b.0 as usize]))
            });
            v.truncate(KEEP);
            let norm = v.iter().map(|(_, x)| x * x).sum::<f64>().sqrt();
            v.iter_mut()
                .for_each(|(_, x)| *x /= norm.max(f64::MIN_POSITIVE));
            v
        })
        .collect();
    // What each ask says, less the words too common to say anything.
    let said: Vec<Vec<u32>> = docs
        .into_iter()
        .map(|d| d.into_iter().filter(|&w| idf(w).is_some()).collect())
        .collect();
    // How much a word tells in a wording's profile: the square root of its
    // rarity (a big topic's subject is common, a wording's own words rare;
    // the root keeps the first from vanishing behind the second), a
    // character less than a word.
    let overall: Vec<f64> = df.iter().map(|&f| f as f64 / n).collect();
    let telling: Vec<f64> = (0..spelled.len() as u32)
        .map(|w| {
            let single = spelled[w as usize].chars().count() == 1;
            idf(w).unwrap_or(0.0).sqrt() * if single { CHARACTER } else { 1.0 }
        })
        .collect();
    drop(df);

    struct Group {
        sum: std::collections::HashMap<u32, f64>,
        norm2: f64,
        members: Vec<usize>,
    }
    impl Group {
        fn cosine(&self, v: &[(u32, f64)]) -> f64 {
            let dot: f64 = v
                .iter()
                .map(|(w, x)| x * self.sum.get(w).copied().unwrap_or(0.0))
                .sum();
            dot / self.norm2.sqrt().max(f64::MIN_POSITIVE)
        }
        fn add(&mut self, v: &[(u32, f64)]) {
            for (w, x) in v {
                let e = self.sum.entry(*w).or_default();
                self.norm2 += 2.0 * *e * x + x * x;
                *e += x;
            }
        }
    }
    let best =
        |groups: &[Group], index: &std::collections::HashMap<u32, Vec<usize>>, v: &[(u32, f64)]| {
            let mut seen = HashSet::new();
            let mut top: Option<(f64, usize)> = None;
            for (w, _) in v.iter().take(4) {
                for &g in index.get(w).map(Vec::as_slice).unwrap_or(&[]) {
                    if seen.insert(g) {
                        let c = groups[g].cosine(v);
                        if top.is_none_or(|(t, _)| c > t) {
                            top = Some((c, g));
                        }
                    }
                }
            }
            top
        };
    let mut groups: Vec<Group> = vec![];
    let mut index: std::collections::HashMap<u32, Vec<usize>> = Default::default();
    for (i, v) in vecs.iter().enumerate() {
        if v.is_empty() {
            continue;
        }
        let g = match best(&groups, &index, v) {
            Some((c, g)) if c >= JOIN => g,
            _ => {
                groups.push(Group {
                    sum: Default::default(),
                    norm2: 0.0,
                    members: vec![],
                });
                groups.len() - 1
            }
        };
        for (w, _) in v.iter().take(4) {
            let at = index.entry(*w).or_default();
            if at.last() != Some(&g) && !at.contains(&g) {
                at.push(g);
            }
        }
        groups[g].add(v);
        groups[g].members.push(i);
    }
    // Once more, each ask where it fits best now that the groups are whole.
    let mut placed: Vec<Vec<usize>> = vec![vec![]; groups.len()];
    for (i, v) in vecs.iter().enumerate() {
        if let Some((c, g)) = best(&groups, &index, v) {
            if c >= JOIN {
                placed[g].push(i);
            }
        }
    }
    // The phrasings of one topic are groups of their own so far (暖气不热，
    // 室温只有十几度 / 暖气温度不达标，屋里太冷): they are joined by average
    // linkage over their profiles.
    let topics = join_phrasings(&placed, &said, &telling);
    let mut out: Vec<HotTopic> = topics
        .into_iter()
        .map(|(_, parts)| {
            let mut members: Vec<usize> = parts.iter().map(|&u| units[u].0).collect();
            members.dedup();
            (parts, members)
        })
        .filter(|(_, m)| m.len() >= 2)
        .map(|(parts, members)| {
            // Its words: those far more common in it than in all asks,
            // the more of its asks use one the better (share × log of the
            // lift: 路灯, in every wording of the lamps, before 好久没人修,
            // in one), whole words only (not the characters they are also
            // counted by; a piece of a longer word about as telling, 务站
            // of 服务站, says nothing more, but 暖气 says more than 暖气片).
            let mut count: std::collections::HashMap<u32, usize> = Default::default();
            for &u in &parts {
                for &w in &said[u] {
                    *count.entry(w).or_default() += 1;
                }
            }
            let size = parts.len().max(1) as f64;
            let mut kw: Vec<(&String, f64)> = count
                .iter()
                .map(|(&w, &c)| {
                    let share = c as f64 / size;
                    let lift = share / overall[w as usize].max(f64::MIN_POSITIVE);
                    (&spelled[w as usize], share * lift.ln())
                })
                .filter(|(w, x)| w.chars().count() >= 2 && *x > 0.0)
                .collect();
            kw.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
            kw.truncate(20);
            let all = kw.clone();
            kw.retain(|(w, x)| {
                !all.iter()
                    .any(|(o, y)| o != w && o.contains(w.as_str()) && *y >= x * 0.9)
            });
            let mut towns = BTreeMap::new();
            for &i in &members {
                *towns.entry(asks[i].town.clone()).or_default() += 1;
            }
            HotTopic {
                keywords: kw.into_iter().take(5).map(|(k, _)| k.clone()).collect(),
                count: members.len(),
                ids: members.iter().map(|&i| asks[i].id).collect(),
                towns,
                topic_id: None,
                name: None,
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.ids.cmp(&b.ids)));
    out
}

/// What a character counts in a profile against a word.
const CHARACTER: f64 = 0.7;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_suggestions_group_together_and_say_what_they_share() {
        let items: Vec<Ask> = [
            (1, "石拐镇", "希望尽快改造老旧小区的供暖管道，冬天暖气不热"),
            (2, "石拐镇", "老旧小区供暖管道老化，暖气不热，建议改造"),
            (3, "大发街道", "小区暖气不热，供暖管道需要改造"),
            (4, "五当召镇", "村里缺少卫生室，看病要跑很远"),
            (5, "五当召镇", "建议村卫生室配备医生，村民看病难"),
            (6, "吉忽伦图苏木", "希望修一条通往镇上的硬化路"),
        ]
        .into_iter()
        .map(|(id, town, text)| Ask {
            id,
            town: town.to_string(),
            village: String::new(),
            text: text.to_string(),
        })
        .collect();
        let topics = hot_topics(&items, &[]);
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

    /// Weighted purity of the groups, and whether every topic with at
    /// least 1% of the calls is the majority of a group holding at least
    /// half of its calls.
    fn score(topics: &[HotTopic], truth: &[usize]) -> (f64, Vec<(usize, usize, usize)>) {
        let (mut pure, mut grouped) = (0usize, 0usize);
        let mut best_share: BTreeMap<usize, usize> = BTreeMap::new();
        for t in topics {
            let mut c: BTreeMap<usize, usize> = BTreeMap::new();
            for id in &t.ids {
                *c.entry(truth[*id as usize]).or_default() += 1;
            }
            let (major, m) = c
                .iter()
                .max_by_key(|(_, n)| **n)
                .map(|(k, n)| (*k, *n))
                .unwrap_or((0, 0));
            pure += m;
            grouped += t.ids.len();
            if major != usize::MAX {
                let e = best_share.entry(major).or_default();
                *e = (*e).max(m);
            }
        }
        let mut size: BTreeMap<usize, usize> = BTreeMap::new();
        for &t in truth {
            *size.entry(t).or_default() += 1;
        }
        let missed = size
            .iter()
            .filter(|(t, n)| **t != usize::MAX && **n * 100 >= truth.len())
            .filter(|(t, n)| best_share.get(t).copied().unwrap_or(0) * 2 < **n)
            .map(|(t, n)| (*t, *n, best_share.get(t).copied().unwrap_or(0)))
            .collect();
        (pure as f64 / grouped.max(1) as f64, missed)
    }

    #[test]
    fn a_call_about_two_things_is_cut_into_its_matters() {
        assert_eq!(
            matters("市民来电反映：小区暖气不热；另外路灯不亮，希望尽快处理。"),
            vec![
                "市民来电反映：小区暖气不热；",
                "另外路灯不亮，希望尽快处理。"
            ]
        );
        assert_eq!(
            matters("垃圾清运不及时，同时反映此外公厕太少"),
            vec!["垃圾清运不及时，", "同时反映", "此外公厕太少"]
        );
        // A marker at the very start cuts nothing off; no marker, one matter.
        assert_eq!(matters("另外路灯不亮"), vec!["另外路灯不亮"]);
        assert_eq!(matters("路灯不亮"), vec!["路灯不亮"]);
        assert!(matters("").is_empty());
    }

    type Corpus = fn(usize, u64) -> (Vec<Ask>, Vec<usize>);

    /// One corpus: grouped, scored, its figures printed; the topics of 1%
    /// or more it missed (topic, calls, best group's share of them).
    fn grouped(
        hand: &str,
        n: usize,
        seed: u64,
        corpus: Corpus,
    ) -> (usize, Vec<(usize, usize, usize)>) {
        let (asks, truth) = corpus(n, seed);
        // The server's grouping has no road list: roads are told by their
        // 路, 街, 巷 as it does.
        let topics = hot_topics(&asks, &[]);
        let (purity, missed) = score(&topics, &truth);
        let mut sizes: BTreeMap<usize, usize> = BTreeMap::new();
        truth
            .iter()
            .for_each(|t| *sizes.entry(*t).or_default() += 1);
        let checked = sizes
            .iter()
            .filter(|(t, c)| **t != usize::MAX && **c * 100 >= n)
            .count();
        let top: Vec<String> = topics
            .iter()
            .take(4)
            .map(|t| format!("{} {:?}", t.count, t.keywords))
            .collect();
        println!(
            "{hand} {n}/{seed}: weighted purity {purity:.3}, {} groups, {} of {checked} topics of 1% or more found; biggest: {top:?}",
            topics.len(),
            checked - missed.len()
        );
        assert!(purity >= 0.85, "{hand} {n}/{seed}: purity {purity:.3}");
        // No group is about a place: no keyword is (a piece of) a town,
        // community or road either corpus names.
        const NAMES: &[&str] = &[
            "石拐",
            "大发",
            "五当召",
            "吉忽伦图",
            "国庆",
            "白狐沟",
            "新宏",
            "东兴",
            "大德恒",
            "庆丰",
            "乌兰",
            "长汉",
            "电厂",
            "矿区",
            "河滩",
            "环城",
            "矿山",
            "新华",
            "团结",
            "东风",
            "红旗",
            "新村",
            "阳光",
            "矿务局",
            "河东",
            "友谊",
        ];
        for t in &topics {
            assert!(
                t.keywords.iter().all(|k| NAMES
                    .iter()
                    .all(|p| !k.contains(p) && !p.contains(k.as_str()))),
                "{hand} {n}/{seed}: {t:?}"
            );
        }
        (checked, missed)
    }

    #[test]
    fn a_year_of_hotline_calls_groups_by_what_is_asked() {
        // Every topic of 1% or more is found as a group, in corpora of both
        // hands (the same topics said in fixed wordings, and said in
        // wordings put together from a topic's subjects, problems and
        // wishes), from 2,000 calls to a year's 30,000.
        let tidy: Corpus = crate::sample::hotline_corpus;
        let composed: Corpus = crate::sample::hotline_corpus_composed;
        for (hand, corpus, n, seed) in [
            ("worded", tidy, 8_000, 1),
            ("worded", tidy, 3_000, 2),
            ("worded", tidy, 2_000, 3),
            ("worded", tidy, 30_000, 4),
            ("worded", tidy, 8_000, 5),
            ("worded", tidy, 8_000, 6),
            ("composed", composed, 8_000, 1),
            ("composed", composed, 3_000, 2),
            ("composed", composed, 30_000, 4),
        ] {
            let (_, missed) = grouped(hand, n, seed, corpus);
            assert!(missed.is_empty(), "{hand} {n}/{seed}: {missed:?}");
        }
    }

    #[test]
    fn and_on_corpora_its_settings_were_not_chosen_on() {
        // Seeds 19 to 40 of both hands, 2,000 and 8,000 calls each: 88
        // corpora nobody looked at while the thresholds were set. Every
        // corpus keeps its purity; of all their topics of 1% or more, at
        // most one in a hundred may be missed (a 2,000-call corpus can
        // hold a topic of 25 calls whose wordings share less with each
        // other than with another topic's).
        let (mut checked, mut missed) = (0usize, vec![]);
        for seed in 19..41 {
            for n in [2_000, 8_000] {
                let hands: [(&str, Corpus); 2] = [
                    ("worded", crate::sample::hotline_corpus),
                    ("composed", crate::sample::hotline_corpus_composed),
                ];
                for (hand, corpus) in hands {
                    let (c, m) = grouped(hand, n, seed, corpus);
                    checked += c;
                    missed.extend(m.into_iter().map(|m| (hand, n, seed, m)));
                }
            }
        }
        println!(
            "held out: {} of {checked} topics found",
            checked - missed.len()
        );
        assert!(missed.len() * 100 <= checked, "{missed:?} of {checked}");
    }
}
