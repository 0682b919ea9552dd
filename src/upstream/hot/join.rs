//! The wordings of one topic joined into one: average linkage over the
//! wording groups' profiles ([`join_phrasings`]).

use std::collections::HashMap;

/// Share of a group's asks a word must be in to count in its profile.
const PROFILE: f64 = 0.1;
/// Similarity of two groups' profiles below which they are not linked.
const LINK: f64 = 0.1;
/// Average link between the asks of two topics at which they are joined.
const MERGE: f64 = 0.12;

/// Joins the groups that are phrasings of one topic. Each group is seen by
/// its profile: for each word (and character) at least [`PROFILE`] of its
/// asks use, that share times how telling the word is (`telling`: √IDF, a
/// character less than a word). A profile holds more than the wording's
/// own words: 下水道堵塞 and 化粪池满溢 are two wordings of one topic that
/// share no word, but their groups share the problems and wishes their
/// callers add (堵塞, 冒水, 臭气熏天…). Two groups are linked by the cosine
/// of their profiles; then average linkage over asks: the two topics whose
/// asks are most alike on average are joined, again and again, until no two
/// are alike enough ([`MERGE`]). An average, not the strongest link: a
/// wording that shares 老旧楼房 with one of 外墙脱落's wordings but 电梯 with
/// all of 电梯's does not pull the two topics together, and a big topic
/// does not swallow a small one for a weak link to part of it. `said`: each
/// ask's words; returns each topic's groups and asks (by position), asks
/// sorted.
pub(super) fn join_phrasings(
    placed: &[Vec<usize>],
    said: &[Vec<u32>],
    telling: &[f64],
) -> Vec<(Vec<usize>, Vec<usize>)> {
    let live: Vec<usize> = (0..placed.len())
        .filter(|&g| placed[g].len() >= 2)
        .collect();
    let profiles: Vec<Vec<(u32, f64)>> = live
        .iter()
        .map(|&g| {
            let mut count: HashMap<u32, usize> = HashMap::new();
            for &i in &placed[g] {
                for w in &said[i] {
                    *count.entry(*w).or_default() += 1;
                }
            }
            let size = placed[g].len() as f64;
            let mut p: Vec<(u32, f64)> = count
                .into_iter()
                .map(|(w, c)| (w, c as f64 / size))
                .filter(|(_, f)| *f >= PROFILE)
                .map(|(w, f)| (w, f * telling.get(w as usize).copied().unwrap_or(0.0)))
                .collect();
            p.sort_by_key(|(w, _)| *w);
            let norm = p.iter().map(|(_, x)| x * x).sum::<f64>().sqrt();
            p.iter_mut()
                .for_each(|(_, x)| *x /= norm.max(f64::MIN_POSITIVE));
            p
        })
        .collect();
    let mut by_word: HashMap<u32, Vec<usize>> = HashMap::new();
    for (a, p) in profiles.iter().enumerate() {
        for (w, _) in p {
            by_word.entry(*w).or_default().push(a);
        }
    }
    // Links, each as the sum over the two sides' asks (cosine × asks × asks).
    let n: Vec<f64> = live.iter().map(|&g| placed[g].len() as f64).collect();
    let mut sum: Vec<HashMap<usize, f64>> = vec![HashMap::new(); live.len()];
    for (a, p) in profiles.iter().enumerate() {
        let mut dot: HashMap<usize, f64> = HashMap::new();
        for (w, x) in p {
            for &b in &by_word[w] {
                if b > a {
                    let y = profiles[b]
                        .binary_search_by_key(w, |(v, _)| *v)
                        .map(|k| profiles[b][k].1)
                        .unwrap_or(0.0);
                    *dot.entry(b).or_default() += x * y;
                }
            }
        }
        for (b, c) in dot {
            if c >= LINK {
                sum[a].insert(b, c * n[a] * n[b]);
                sum[b].insert(a, c * n[a] * n[b]);
            }
        }
    }
    // Average linkage, the most alike pair first (a heap of candidate
    // pairs; a pair whose side has changed since it was pushed is stale).
    #[derive(PartialEq)]
    struct Pair(f64, usize, usize, u32, u32);
    impl Eq for Pair {}
    impl PartialOrd for Pair {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Pair {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            self.0
                .total_cmp(&o.0)
                .then_with(|| o.1.cmp(&self.1))
                .then_with(|| o.2.cmp(&self.2))
        }
    }
    let mut members: Vec<Vec<usize>> = (0..live.len()).map(|a| vec![a]).collect();
    let mut size = n;
    let mut version = vec![0u32; live.len()];
    let mut alive = vec![true; live.len()];
    let mut heap = std::collections::BinaryHeap::new();
    for (a, links) in sum.iter().enumerate() {
        for (&b, &s) in links {
            if a < b {
                heap.push(Pair(s / (size[a] * size[b]), a, b, 0, 0));
            }
        }
    }
    while let Some(Pair(average, a, b, va, vb)) = heap.pop() {
        if average < MERGE {
            break;
        }
        if !alive[a] || !alive[b] || version[a] != va || version[b] != vb {
            continue;
        }
        // b into a; b's links become a's.
        alive[b] = false;
        let moved = std::mem::take(&mut members[b]);
        members[a].extend(moved);
        size[a] += size[b];
        version[a] += 1;
        let links = std::mem::take(&mut sum[b]);
        sum[a].remove(&b);
        for (c, s) in links {
            if c != a {
                *sum[a].entry(c).or_default() += s;
                let x = sum[c].remove(&b).unwrap_or(0.0);
                *sum[c].entry(a).or_default() += x;
            }
        }
        let mut next: Vec<(usize, f64)> = sum[a].iter().map(|(&c, &s)| (c, s)).collect();
        next.sort_by_key(|(c, _)| *c);
        for (c, s) in next {
            let (p, q) = if a < c { (a, c) } else { (c, a) };
            heap.push(Pair(s / (size[a] * size[c]), p, q, version[p], version[q]));
        }
    }
    (0..live.len())
        .filter(|&a| alive[a])
        .map(|a| {
            let gs: Vec<usize> = members[a].iter().map(|&x| live[x]).collect();
            let mut asks: Vec<usize> = gs.iter().flat_map(|&g| placed[g].iter().copied()).collect();
            asks.sort_unstable();
            asks.dedup();
            (gs, asks)
        })
        .collect()
}
