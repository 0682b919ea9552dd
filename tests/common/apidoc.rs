//! `docs/api.md` as the tests read it: one row per call, with the top-level
//! fields its answer promises. Every JSON answer the HTTP tests receive goes
//! through [`check`], so a call that answers other than its row says fails
//! the test that made it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::sync::OnceLock;

/// One documented call.
#[derive(Debug, Clone)]
pub struct Doc {
    pub method: String,
    pub path: String,
    /// What the body cell says the call takes (empty: no body).
    pub body: String,
    /// The fields every successful answer has (none: not a JSON object).
    pub required: Vec<String>,
    /// Every field an answer may have.
    pub fields: Vec<String>,
}

/// The table rows of `docs/api.md` that describe calls.
pub fn documented() -> &'static [Doc] {
    static DOCS: OnceLock<Vec<Doc>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/api.md");
        let text = std::fs::read_to_string(path).unwrap();
        text.lines().filter_map(parse_row).collect()
    })
}

/// `| METHOD | `/path` | who | body | answer |`
fn parse_row(line: &str) -> Option<Doc> {
    let cells: Vec<&str> = split_cells(line);
    if cells.len() != 5 || !matches!(cells[0], "GET" | "POST" | "PUT") {
        return None;
    }
    let path = cells[1].trim_matches('`').to_string();
    let (required, fields) = answer_fields(cells[4]);
    Some(Doc {
        method: cells[0].to_string(),
        path,
        body: cells[3].to_string(),
        required,
        fields,
    })
}

/// A Markdown table row's cells; `\|` inside a cell is not a boundary.
fn split_cells(line: &str) -> Vec<&str> {
    let line = line.trim();
    if !line.starts_with('|') || !line.ends_with('|') {
        return vec![];
    }
    let inner = &line[1..line.len() - 1];
    let mut cells = vec![];
    let mut start = 0;
    let bytes = inner.as_bytes();
    for i in 0..bytes.len() {
        if bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\') {
            cells.push(inner[start..i].trim());
            start = i + 1;
        }
    }
    cells.push(inner[start..].trim());
    cells
}

/// The top-level names in the answer cell's leading `` `{a, b?, c}` ``.
fn answer_fields(cell: &str) -> (Vec<String>, Vec<String>) {
    let Some(rest) = cell.strip_prefix("`{") else {
        return (vec![], vec![]);
    };
    let mut depth = 0;
    let mut end = rest.len();
    for (i, ch) in rest.char_indices() {
        match ch {
            '{' | '[' => depth += 1,
            '}' | ']' if depth == 0 => {
                end = i;
                break;
            }
            '}' | ']' => depth -= 1,
            _ => {}
        }
    }
    let (mut required, mut fields) = (vec![], vec![]);
    let mut depth = 0;
    let mut part = String::new();
    for ch in rest[..end].chars().chain(std::iter::once(',')) {
        match ch {
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            ',' if depth == 0 => {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    if !part.trim().starts_with(&format!("{name}?")) {
                        required.push(name.clone());
                    }
                    fields.push(name);
                }
                part.clear();
                continue;
            }
            _ => {}
        }
        if depth == 0 {
            part.push(ch);
        }
    }
    (required, fields)
}

/// Does a documented path (`/api/rounds/{id}/open`) match a concrete one?
pub fn matches(pattern: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    let p: Vec<&str> = pattern.split('/').collect();
    let a: Vec<&str> = path.split('/').collect();
    p.len() == a.len()
        && p.iter()
            .zip(&a)
            .all(|(p, a)| (p.starts_with('{') && !a.is_empty()) || p == a)
}

/// The documented call for a request, if any.
pub fn find(method: &str, path: &str) -> Option<&'static Doc> {
    documented()
        .iter()
        .find(|d| d.method == method && matches(&d.path, path))
}

/// Holds an answer to its row: a successful JSON answer has every required
/// field and no undocumented one; an error answer is `{error, code}`.
pub fn check(method: &str, path: &str, status: u16, body: &Value) {
    if !path.starts_with("/api/") {
        return;
    }
    let Some(obj) = body.as_object() else {
        return; // not JSON (a dropped connection, say): the caller sees it
    };
    if status >= 400 {
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            ["code", "error"],
            "{method} {path} → {status}: {body}"
        );
        // People read `error`: Chinese, never an English sentence.
        let msg = obj["error"].as_str().unwrap_or_default();
        assert!(
            msg.chars().any(is_cjk),
            "{method} {path} → {status}: the message is not Chinese: {msg}"
        );
        if let Some(s) = english_sentence(msg) {
            panic!("{method} {path} → {status}: English in the message: {s:?} in {msg}");
        }
        return;
    }
    let doc = find(method, path)
        .unwrap_or_else(|| panic!("{method} {path} answered {status} but is not in docs/api.md"));
    for f in &doc.required {
        assert!(
            obj.contains_key(f),
            "{method} {path}: docs/api.md promises `{f}`, the answer has {:?}",
            obj.keys().collect::<Vec<_>>()
        );
    }
    for k in obj.keys() {
        assert!(
            doc.fields.contains(k),
            "{method} {path}: the answer has `{k}`, which docs/api.md does not list ({:?})",
            doc.fields
        );
    }
}

pub fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// The first run of three or more English words in `text` (a sentence
/// people would have to read in English), if any.
pub fn english_sentence(text: &str) -> Option<String> {
    let mut run = String::new();
    let check = |run: &str| {
        let words = run
            .split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| w.len() >= 2)
            .count();
        (words >= 3).then(|| run.trim().to_string())
    };
    for c in text.chars() {
        if c.is_ascii_alphabetic() || c == ' ' || c == ',' || c == '\'' {
            run.push(c);
        } else {
            if let Some(s) = check(&run) {
                return Some(s);
            }
            run.clear();
        }
    }
    check(&run)
}

/// The host-relative path of a URL.
pub fn path_of(url: &str) -> String {
    match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            rest.find('/').map_or("/".into(), |j| rest[j..].to_string())
        }
        None => url.to_string(),
    }
}
