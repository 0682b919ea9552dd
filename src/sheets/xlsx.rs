//! An XLSX sheet read as a stream, so that a year's export (200,000 calls,
//! every text its own) never sits in memory: the zip's entries are inflated
//! as they are parsed (quick-xml), and the shared-strings table — which
//! holds every text of the sheet — is written to an unlinked temporary file
//! with only its offsets in memory, each string read back when a cell
//! names it. Dates (by the cell's number format) become YYYY-MM-DD, with
//! the time of day when there is one. Checked against calamine on the same
//! files in the tests.

use super::{RowError, MAX_COLUMNS};
use quick_xml::events::{BytesStart, Event};
use std::io::{BufReader, BufWriter, Read, Seek, Write};

/// Where the rows go: one message per row that has cells.
pub type RowSender = std::sync::mpsc::SyncSender<Result<(usize, Vec<String>), RowError>>;

/// Reads the first sheet of `rs` and sends its rows to `tx` (row numbers
/// as the spreadsheet shows them). Stops quietly when nobody listens.
pub fn stream<RS: Read + Seek>(rs: RS, tx: &RowSender) {
    if let Err(e) = read(rs, tx) {
        let _ = tx.send(Err(e));
    }
}

fn bad(row: usize, what: &str, e: impl std::fmt::Display) -> RowError {
    RowError::new(row.max(1), format!("{what}: {e}"))
}

fn read<RS: Read + Seek>(rs: RS, tx: &RowSender) -> Result<(), RowError> {
    let mut zip = zip::ZipArchive::new(rs).map_err(|e| bad(1, "无法读取 Excel 文件", e))?;
    let book = Book::read(&mut zip)?;
    let strings = SharedStrings::read(&mut zip)?;
    let dates = date_styles(&mut zip)?;
    let entry = zip
        .by_name(&book.first_sheet)
        .map_err(|e| bad(1, "Excel 文件没有工作表", e))?;
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(entry));
    let mut buf = vec![];
    let (mut row_no, mut cells): (usize, Vec<String>) = (0, vec![]);
    // The cell being read: its column, type, style and text.
    let mut cell: Option<(usize, Vec<u8>, usize)> = None;
    let (mut col, mut text, mut in_text) = (0usize, String::new(), false);
    loop {
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| bad(row_no, "无法读取工作表", e))?;
        match event {
            Event::Start(e) if e.local_name().as_ref() == b"row" => {
                row_no = attr(&e, b"r")
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(row_no + 1);
                cells.clear();
                col = 0;
            }
            Event::End(e)
                if e.local_name().as_ref() == b"row"
                    && !cells.is_empty()
                    && tx.send(Ok((row_no, std::mem::take(&mut cells)))).is_err() =>
            {
                return Ok(());
            }
            Event::Start(e) if e.local_name().as_ref() == b"c" => {
                col = attr(&e, b"r").and_then(|r| column_of(&r)).unwrap_or(col);
                let kind = attr(&e, b"t").map(String::into_bytes).unwrap_or_default();
                let style = attr(&e, b"s").and_then(|s| s.parse().ok()).unwrap_or(0);
                cell = Some((col, kind, style));
                text.clear();
            }
            Event::Empty(e) if e.local_name().as_ref() == b"c" => {
                col = attr(&e, b"r").and_then(|r| column_of(&r)).unwrap_or(col) + 1;
            }
            Event::Start(e) if matches!(e.local_name().as_ref(), b"v" | b"t") => {
                in_text = cell.is_some();
            }
            Event::End(e) if matches!(e.local_name().as_ref(), b"v" | b"t") => in_text = false,
            Event::Text(t) if in_text => {
                text.push_str(&t.decode().map_err(|e| bad(row_no, "无法读取工作表", e))?)
            }
            Event::CData(t) if in_text => text.push_str(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) if in_text => text.push_str(&entity(&r)),
            Event::End(e) if e.local_name().as_ref() == b"c" => {
                if let Some((at, kind, style)) = cell.take() {
                    if at >= MAX_COLUMNS {
                        return Err(bad(row_no, "列数过多", at + 1));
                    }
                    let value = value(&kind, style, &text, &strings, &dates, book.date1904)
                        .map_err(|e| bad(row_no, "无法读取单元格", e))?;
                    if cells.len() <= at {
                        cells.resize(at + 1, String::new());
                    }
                    cells[at] = value;
                    col = at + 1;
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

/// The text of an entity or character reference (&amp; &#x4E2D;).
fn entity(r: &quick_xml::events::BytesRef) -> String {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return c.to_string();
    }
    let name = r.decode().unwrap_or_default();
    quick_xml::escape::resolve_predefined_entity(&name)
        .map(str::to_string)
        .unwrap_or_else(|| format!("&{name};"))
}

/// An attribute's value by its local name (r:id is `id`).
fn attr(e: &BytesStart, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| {
            let raw = String::from_utf8_lossy(&a.value).into_owned();
            quick_xml::escape::unescape(&raw)
                .map(|v| v.into_owned())
                .unwrap_or(raw)
        })
}

/// The column of a cell reference ("C7" → 2).
fn column_of(r: &str) -> Option<usize> {
    let letters: Vec<u8> = r.bytes().take_while(u8::is_ascii_alphabetic).collect();
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    Some(
        letters.iter().fold(0usize, |n, c| {
            n * 26 + (c.to_ascii_uppercase() - b'A' + 1) as usize
        }) - 1,
    )
}

/// A cell's text as staff typed it.
fn value(
    kind: &[u8],
    style: usize,
    text: &str,
    strings: &SharedStrings,
    dates: &[bool],
    date1904: bool,
) -> Result<String, String> {
    Ok(match kind {
        b"s" => {
            let i: usize = text
                .trim()
                .parse()
                .map_err(|_| format!("共享字符串编号 {text}"))?;
            strings.get(i)?.trim().to_string()
        }
        b"b" => (if text.trim() == "1" { "true" } else { "false" }).to_string(),
        b"e" => format!("#ERR {}", text.trim()),
        b"str" | b"inlineStr" | b"d" => text.trim().to_string(),
        _ => {
            let t = text.trim();
            match t.parse::<f64>() {
                Ok(f) if dates.get(style).copied().unwrap_or(false) => {
                    date_text(f, date1904).unwrap_or_else(|| t.to_string())
                }
                Ok(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
                Ok(f) => format!("{f}"),
                Err(_) => t.to_string(),
            }
        }
    })
}

/// An Excel date serial as YYYY-MM-DD (with HH:MM:SS when it has a time).
fn date_text(serial: f64, date1904: bool) -> Option<String> {
    if !(0.0..3e6).contains(&serial) {
        return None;
    }
    let base = if date1904 {
        chrono::NaiveDate::from_ymd_opt(1904, 1, 1)?
    } else {
        chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?
    };
    let days = serial.floor();
    let secs = ((serial - days) * 86_400.0).round() as i64;
    let at = base.and_hms_opt(0, 0, 0)?
        + chrono::Duration::days(days as i64)
        + chrono::Duration::seconds(secs);
    Some(if secs == 0 {
        at.format("%Y-%m-%d").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M:%S").to_string()
    })
}

/// The workbook: where its first sheet is, and its date system.
struct Book {
    first_sheet: String,
    date1904: bool,
}

fn xml_of<R: Read>(r: R) -> quick_xml::Reader<BufReader<R>> {
    quick_xml::Reader::from_reader(BufReader::new(r))
}

impl Book {
    fn read<RS: Read + Seek>(zip: &mut zip::ZipArchive<RS>) -> Result<Book, RowError> {
        let (mut rid, mut date1904) = (None, false);
        {
            let entry = zip
                .by_name("xl/workbook.xml")
                .map_err(|e| bad(1, "无法读取 Excel 文件", e))?;
            let mut xml = xml_of(entry);
            let mut buf = vec![];
            loop {
                match xml
                    .read_event_into(&mut buf)
                    .map_err(|e| bad(1, "无法读取 Excel 文件", e))?
                {
                    Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                        b"workbookPr" => {
                            date1904 =
                                matches!(attr(&e, b"date1904").as_deref(), Some("1" | "true"))
                        }
                        b"sheet" if rid.is_none() => rid = attr(&e, b"id"),
                        _ => {}
                    },
                    Event::Eof => break,
                    _ => {}
                }
                buf.clear();
            }
        }
        let mut first_sheet = "xl/worksheets/sheet1.xml".to_string();
        if let (Some(rid), Ok(entry)) = (rid, zip.by_name("xl/_rels/workbook.xml.rels")) {
            let mut xml = xml_of(entry);
            let mut buf = vec![];
            loop {
                match xml
                    .read_event_into(&mut buf)
                    .map_err(|e| bad(1, "无法读取 Excel 文件", e))?
                {
                    Event::Start(e) | Event::Empty(e)
                        if attr(&e, b"Id").as_deref() == Some(rid.as_str()) =>
                    {
                        if let Some(t) = attr(&e, b"Target") {
                            first_sheet = match t.strip_prefix('/') {
                                Some(abs) => abs.to_string(),
                                None => format!("xl/{t}"),
                            };
                        }
                        break;
                    }
                    Event::Eof => break,
                    _ => {}
                }
                buf.clear();
            }
        }
        Ok(Book {
            first_sheet,
            date1904,
        })
    }
}

/// The shared-strings table on disk: string `i` is the bytes between
/// `ends[i - 1]` (or 0) and `ends[i]` of an unlinked temporary file.
struct SharedStrings {
    file: Option<std::fs::File>,
    ends: Vec<u64>,
}

impl SharedStrings {
    fn read<RS: Read + Seek>(zip: &mut zip::ZipArchive<RS>) -> Result<SharedStrings, RowError> {
        let Ok(entry) = zip.by_name("xl/sharedStrings.xml") else {
            return Ok(SharedStrings {
                file: None,
                ends: vec![],
            });
        };
        let spill = |e: std::io::Error| bad(1, "无法写入临时文件", e);
        let file = tempfile::tempfile().map_err(spill)?;
        let mut out = BufWriter::new(file);
        let mut ends = vec![];
        let mut at = 0u64;
        let mut xml = xml_of(entry);
        let mut buf = vec![];
        let (mut cur, mut in_t, mut phonetic) = (String::new(), false, false);
        loop {
            let broken = |e: quick_xml::Error| bad(1, "无法读取共享字符串", e);
            match xml.read_event_into(&mut buf).map_err(broken)? {
                Event::Start(e) => match e.local_name().as_ref() {
                    b"si" => cur.clear(),
                    b"rPh" => phonetic = true,
                    b"t" => in_t = !phonetic,
                    _ => {}
                },
                Event::End(e) => match e.local_name().as_ref() {
                    b"t" => in_t = false,
                    b"rPh" => phonetic = false,
                    b"si" => {
                        out.write_all(cur.as_bytes()).map_err(spill)?;
                        at += cur.len() as u64;
                        ends.push(at);
                    }
                    _ => {}
                },
                Event::Empty(e) if e.local_name().as_ref() == b"si" => ends.push(at),
                Event::Text(t) if in_t => {
                    cur.push_str(&t.decode().map_err(|e| bad(1, "无法读取共享字符串", e))?)
                }
                Event::CData(t) if in_t => cur.push_str(&String::from_utf8_lossy(&t)),
                Event::GeneralRef(r) if in_t => cur.push_str(&entity(&r)),
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
        let file = out.into_inner().map_err(|e| spill(e.into_error()))?;
        Ok(SharedStrings {
            file: Some(file),
            ends,
        })
    }

    fn get(&self, i: usize) -> Result<String, String> {
        use std::os::unix::fs::FileExt;
        let (Some(file), Some(&end)) = (&self.file, self.ends.get(i)) else {
            return Err(format!("没有第 {i} 个共享字符串"));
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        let mut bytes = vec![0u8; (end - start) as usize];
        file.read_exact_at(&mut bytes, start)
            .map_err(|e| format!("无法读取临时文件: {e}"))?;
        String::from_utf8(bytes).map_err(|e| e.to_string())
    }
}

/// For each cell style (the `s` of a cell), whether its number format is a
/// date or time.
fn date_styles<RS: Read + Seek>(zip: &mut zip::ZipArchive<RS>) -> Result<Vec<bool>, RowError> {
    let Ok(entry) = zip.by_name("xl/styles.xml") else {
        return Ok(vec![]);
    };
    let mut xml = xml_of(entry);
    let mut buf = vec![];
    let mut formats: std::collections::HashMap<u32, String> = Default::default();
    let mut styles = vec![];
    let mut in_xfs = false;
    loop {
        match xml
            .read_event_into(&mut buf)
            .map_err(|e| bad(1, "无法读取样式", e))?
        {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                b"numFmt" => {
                    if let (Some(id), Some(code)) = (
                        attr(&e, b"numFmtId").and_then(|i| i.parse().ok()),
                        attr(&e, b"formatCode"),
                    ) {
                        formats.insert(id, code);
                    }
                }
                b"cellXfs" => in_xfs = true,
                b"xf" if in_xfs => {
                    let id: u32 = attr(&e, b"numFmtId")
                        .and_then(|i| i.parse().ok())
                        .unwrap_or(0);
                    styles.push(is_date_format(id, formats.get(&id).map(String::as_str)));
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == b"cellXfs" => in_xfs = false,
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(styles)
}

/// Whether number format `id` (with its code, for a custom one) shows a
/// date or a time.
fn is_date_format(id: u32, code: Option<&str>) -> bool {
    if matches!(id, 14..=22 | 27..=36 | 45..=47 | 50..=58) {
        return true;
    }
    let Some(code) = code else { return false };
    // Literal text ("…"), escapes (\x) and [colour]/[$-locale] parts say nothing.
    let mut plain = String::new();
    let (mut quoted, mut bracket, mut escaped) = (false, false, false);
    for c in code.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            _ if quoted || bracket => {}
            c => plain.push(c.to_ascii_lowercase()),
        }
    }
    plain != "general"
        && plain
            .chars()
            .any(|c| matches!(c, 'y' | 'm' | 'd' | 'h' | 's'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_dates_and_formats_read_as_excel_means_them() {
        assert_eq!(column_of("A1"), Some(0));
        assert_eq!(column_of("Z9"), Some(25));
        assert_eq!(column_of("AA10"), Some(26));
        assert_eq!(column_of("XFD1"), Some(16_383));
        assert_eq!(column_of("12"), None);
        assert_eq!(date_text(46_387.0, false).as_deref(), Some("2026-12-31"));
        assert_eq!(
            date_text(46_206.385_416_666_664, false).as_deref(),
            Some("2026-07-03 09:15:00")
        );
        assert_eq!(date_text(-1.0, false), None);
        assert!(is_date_format(14, None));
        assert!(is_date_format(164, Some("yyyy\"年\"m\"月\"d\"日\"")));
        assert!(is_date_format(165, Some("[$-804]yyyy-mm-dd hh:mm")));
        assert!(!is_date_format(166, Some("#,##0.00")));
        assert!(!is_date_format(167, Some("0.00\"元\"")));
        assert!(!is_date_format(0, Some("General")));
    }
}
