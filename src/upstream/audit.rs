//! 过程记录: the append-only, hash-chained log of every upstream change —
//! who, when, what, before and after — checked like the vote log.
//!
//! One event a line, canonical JSON (the vote record's rules), fields
//! `actor, after, at, before, kind, prev, seq, subject`. `seq` counts from 1;
//! `prev` is `H(previous line)`, and for the first event `H("minsheng.audit.v1")`.

use crate::core::canon::{to_canonical_string, Hash};
use crate::core::record::{parse_record, Timestamp};
use serde::{Deserialize, Serialize};

/// `prev` of the first event.
pub fn genesis() -> Hash {
    Hash::of_bytes(b"minsheng.audit.v1")
}

/// One change.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Who: `staff:<user>`, `public` or `import:<file>`.
    pub actor: String,
    pub after: Option<serde_json::Value>,
    pub at: Timestamp,
    pub before: Option<serde_json::Value>,
    /// What: `suggestion.create`, `project.merge`, `year.advance`, …
    pub kind: String,
    pub prev: Hash,
    pub seq: u64,
    /// What it is about: `suggestion:17`, `project:3`, `year:2027`.
    pub subject: String,
}

impl Event {
    /// The event's line as stored and published.
    pub fn line(&self) -> String {
        to_canonical_string(self)
    }
}

/// The chain's tip: what the next event links to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Tip {
    pub seq: u64,
    pub hash: Hash,
}

impl Tip {
    pub fn start() -> Tip {
        Tip {
            seq: 0,
            hash: genesis(),
        }
    }

    /// The next event after this tip.
    pub fn next(
        &self,
        at: Timestamp,
        actor: &str,
        kind: &str,
        subject: &str,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> (Event, Tip) {
        let e = Event {
            actor: actor.to_string(),
            after,
            at,
            before,
            kind: kind.to_string(),
            prev: self.hash,
            seq: self.seq + 1,
            subject: subject.to_string(),
        };
        let tip = Tip {
            seq: e.seq,
            hash: Hash::of_bytes(e.line().as_bytes()),
        };
        (e, tip)
    }
}

/// Where a log breaks: the line (from 1), the field, what was found.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {field}: {message}")]
pub struct AuditFault {
    pub line: u64,
    pub field: String,
    pub message: String,
}

/// Checks a log line by line: each event well-formed and canonical, `seq`
/// without gaps, each `prev` the hash of the line before. Returns the tip.
pub fn verify<'a>(lines: impl IntoIterator<Item = &'a str>) -> Result<Tip, AuditFault> {
    let mut tip = Tip::start();
    for (i, line) in lines.into_iter().enumerate() {
        let n = i as u64 + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        let fault = |field: &str, message: String| AuditFault {
            line: n,
            field: field.to_string(),
            message,
        };
        let e: Event = parse_record(line.as_bytes()).map_err(|e| fault(&e.field, e.message))?;
        if e.line() != line {
            return Err(fault("(line)", "not in canonical form".into()));
        }
        if e.seq != n {
            return Err(fault("seq", format!("found {}, expected {n}", e.seq)));
        }
        if e.prev != tip.hash {
            return Err(fault(
                "prev",
                format!(
                    "found {}, expected {} (the hash of the line before)",
                    e.prev, tip.hash
                ),
            ));
        }
        tip = Tip {
            seq: n,
            hash: Hash::of_bytes(line.as_bytes()),
        };
    }
    Ok(tip)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn log(n: u64) -> Vec<String> {
        let mut tip = Tip::start();
        let mut out = vec![];
        for i in 0..n {
            let at = Timestamp::parse("2026-07-15T09:00:00+08:00").unwrap();
            let (e, t) = tip.next(
                at,
                "staff:gongzuozu",
                "suggestion.create",
                &format!("suggestion:{i}"),
                None,
                Some(json!({"title": format!("建议{i}"), "place": {"town": "石拐镇"}})),
            );
            out.push(e.line());
            tip = t;
        }
        out
    }

    #[test]
    fn a_chain_verifies_and_any_change_is_caught_at_its_line() {
        let lines = log(5);
        let tip = verify(lines.iter().map(String::as_str)).unwrap();
        assert_eq!(tip.seq, 5);
        assert_eq!(tip.hash, Hash::of_bytes(lines[4].as_bytes()));
        // Edit an event's content (and keep it canonical): the next line's prev breaks.
        let mut edited = lines.clone();
        edited[2] = edited[2].replace("建议2", "建议X");
        let f = verify(edited.iter().map(String::as_str)).unwrap_err();
        assert_eq!((f.line, f.field.as_str()), (4, "prev"));
        // Drop a line: the seq breaks there.
        let mut dropped = lines.clone();
        dropped.remove(1);
        let f = verify(dropped.iter().map(String::as_str)).unwrap_err();
        assert_eq!((f.line, f.field.as_str()), (2, "seq"));
        // Not canonical (a space): refused, even with the same meaning.
        let mut spaced = lines.clone();
        spaced[0] = spaced[0].replacen("{\"actor\"", "{ \"actor\"", 1);
        assert_eq!(
            verify(spaced.iter().map(String::as_str)).unwrap_err().line,
            1
        );
        // Garbage names its field.
        let f = verify(["{\"seq\":1}"]).unwrap_err();
        assert_eq!(f.line, 1);
        assert!(verify(std::iter::empty()).is_ok());
    }
}
