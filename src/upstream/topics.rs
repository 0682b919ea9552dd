//! 热点专题 as staff see them: the groups the grouping finds
//! ([`super::hot::hot_topics`]), under the names the working group gave.
//! A named topic keeps the calls it was made of; a group found later
//! belongs to the named topic that holds at least half of it (so new calls
//! about the same thing join it); a group partly named (a quarter of it or
//! more) keeps its other calls as a group of its own; a call about two
//! things named with one topic stays in the other's group too.

use super::hot::HotTopic;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A topic the working group named, with its calls.
#[derive(Clone, Debug)]
pub struct Named {
    pub id: i64,
    pub name: String,
    pub keywords: Vec<String>,
    pub members: Vec<i64>,
}

/// The found groups under the working group's names: named topics first
/// in order of size, then the unnamed groups (of two calls or more).
/// `town`: each call's 苏木镇.
pub fn with_names(
    found: &[HotTopic],
    named: &[Named],
    town: &dyn Fn(i64) -> Option<String>,
) -> Vec<HotTopic> {
    // A call about two things may be in two named topics.
    let mut owner: HashMap<i64, Vec<usize>> = HashMap::new();
    for (k, n) in named.iter().enumerate() {
        for &m in &n.members {
            owner.entry(m).or_default().push(k);
        }
    }
    let mut held: Vec<BTreeSet<i64>> = named
        .iter()
        .map(|n| n.members.iter().copied().collect())
        .collect();
    let mut words: Vec<Vec<String>> = named.iter().map(|n| n.keywords.clone()).collect();
    let mut rest = vec![];
    for g in found {
        let mut share: BTreeMap<usize, usize> = BTreeMap::new();
        for id in &g.ids {
            for &k in owner.get(id).map(Vec::as_slice).unwrap_or(&[]) {
                *share.entry(k).or_default() += 1;
            }
        }
        let most = share
            .iter()
            .max_by_key(|(k, n)| (**n, std::cmp::Reverse(**k)));
        let unowned = g.ids.iter().filter(|id| !owner.contains_key(id));
        // A group not yet named: a named topic holding a quarter of it or
        // more was named from it (or part of it), its calls are shown
        // there; a call in a topic holding less is a call about two things,
        // named with the other one, and stays in this group too.
        let from_here: Vec<usize> = share
            .iter()
            .filter(|(_, n)| **n * 4 >= g.ids.len())
            .map(|(k, _)| *k)
            .collect();
        let free = g.ids.iter().filter(|id| {
            owner
                .get(id)
                .is_none_or(|ks| !ks.iter().any(|k| from_here.contains(k)))
        });
        match most {
            Some((&k, &n)) if n * 2 >= g.ids.len() => {
                // A named topic shows the calls it holds and the new ones
                // (in no topic yet) of the groups it holds most of.
                held[k].extend(unowned);
                if words[k].is_empty() {
                    words[k] = g.keywords.clone();
                }
            }
            _ => {
                let ids: Vec<i64> = free.copied().collect();
                if ids.len() >= 2 {
                    rest.push(topic(ids, g.keywords.clone(), None, town));
                }
            }
        }
    }
    let mut out: Vec<HotTopic> = named
        .iter()
        .zip(held)
        .zip(words)
        .map(|((n, ids), kw)| {
            topic(
                ids.into_iter().collect(),
                kw,
                Some((n.id, n.name.clone())),
                town,
            )
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.topic_id.cmp(&b.topic_id)));
    out.extend(rest);
    out
}

fn topic(
    ids: Vec<i64>,
    keywords: Vec<String>,
    name: Option<(i64, String)>,
    town: &dyn Fn(i64) -> Option<String>,
) -> HotTopic {
    let mut towns = BTreeMap::new();
    for id in &ids {
        if let Some(t) = town(*id) {
            *towns.entry(t).or_default() += 1;
        }
    }
    let (topic_id, name) = name.unzip();
    HotTopic {
        keywords,
        count: ids.len(),
        ids,
        towns,
        topic_id,
        name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(ids: &[i64], kw: &str) -> HotTopic {
        topic(ids.to_vec(), vec![kw.to_string()], None, &|_| None)
    }

    fn named(id: i64, name: &str, members: &[i64]) -> Named {
        Named {
            id,
            name: name.to_string(),
            keywords: vec![],
            members: members.to_vec(),
        }
    }

    #[test]
    fn a_named_topic_takes_the_groups_it_holds_most_of_and_new_calls_with_them() {
        let groups = [
            found(&[1, 2, 3, 10], "暖气"),
            found(&[4, 5, 11], "暖气片"),
            found(&[6, 7, 8], "路灯"),
        ];
        // 供暖 was named from the first two groups (merged), before calls 10
        // and 11 came in.
        let n = [named(7, "冬季供暖不达标", &[1, 2, 3, 4, 5])];
        let town = |id: i64| {
            Some(
                if id % 2 == 0 {
                    "石拐镇"
                } else {
                    "五当召镇"
                }
                .to_string(),
            )
        };
        let out = with_names(&groups, &n, &town);
        assert_eq!(out[0].topic_id, Some(7));
        assert_eq!(out[0].name.as_deref(), Some("冬季供暖不达标"));
        assert_eq!(out[0].ids, vec![1, 2, 3, 4, 5, 10, 11]);
        assert_eq!(
            out[0].keywords,
            vec!["暖气"],
            "the words of its first group"
        );
        assert_eq!(out[0].towns["石拐镇"], 3);
        assert_eq!(out[1].topic_id, None);
        assert_eq!(out[1].ids, vec![6, 7, 8]);
    }

    #[test]
    fn a_split_off_part_leaves_the_rest_as_a_group_of_its_own() {
        // Staff split 路灯线路 (6, 7) off a group that is mostly about
        // something else: the other calls stay an unnamed group.
        let groups = [found(&[6, 7, 8, 9, 12], "路灯")];
        let n = [named(3, "路灯线路老化", &[6, 7])];
        let out = with_names(&groups, &n, &|_| None);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].ids, vec![6, 7]);
        assert_eq!(out[1].ids, vec![8, 9, 12]);
        assert_eq!(out[1].name, None);
        // A named topic no group holds any more is still shown.
        let out = with_names(&[], &n, &|_| None);
        assert_eq!(out[0].ids, vec![6, 7]);
    }

    #[test]
    fn a_call_about_two_things_named_with_one_stays_in_the_other() {
        // Call 5 is about heating and the lamps: the grouping puts it in
        // both groups. Heating is named; the lamps, not yet, still show it.
        let groups = [
            found(&[1, 2, 3, 4, 5], "暖气"),
            found(&[5, 6, 7, 8, 9, 10, 11], "路灯"),
        ];
        let n = [named(1, "供暖", &[1, 2, 3, 4, 5])];
        let out = with_names(&groups, &n, &|_| None);
        assert_eq!(out[0].ids, vec![1, 2, 3, 4, 5]);
        assert_eq!(out[1].ids, vec![5, 6, 7, 8, 9, 10, 11]);
        // Named too, both topics hold it.
        let n = [n[0].clone(), named(2, "路灯", &[5, 6, 7, 8, 9, 10, 11])];
        let out = with_names(&groups, &n, &|_| None);
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|t| t.ids.contains(&5)));
    }
}
