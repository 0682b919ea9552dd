//! 表格 (tables staff upload): CSV or XLSX bytes in, a header and rows of
//! text out, each row with the number staff see in their spreadsheet. Pure:
//! the bytes arrive from the web edge; the domains (roster, candidates) read
//! the rows and name every bad one.
//!
//! CSV may be UTF-8 (with or without BOM) or GB18030, as Excel on a Chinese
//! Windows saves it. XLSX is read from the first worksheet; dates become
//! `YYYY-MM-DD`, whole numbers lose their `.0`.

use serde::Serialize;

mod xlsx;

/// The most rows a table may carry: a roster is hundreds, never millions.
pub const MAX_ROWS: usize = 100_000;
/// The most columns a streamed sheet's row may have (a crafted file could
/// place a cell thousands of columns out).
const MAX_COLUMNS: usize = 1_000;

/// A row that cannot be taken, named as staff see it (header = row 1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("第 {row} 行: {message}")]
pub struct RowError {
    pub row: usize,
    pub message: String,
}

impl RowError {
    pub fn new(row: usize, message: impl Into<String>) -> Self {
        RowError {
            row,
            message: message.into(),
        }
    }
}

/// A table: its header cells and its non-empty rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sheet {
    pub header: Vec<String>,
    /// (row number as shown in the spreadsheet, cells)
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Sheet {
    /// The column whose header is one of `names` (ASCII case ignored).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        self.header
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    }

    /// Reads CSV or XLSX, told apart by the bytes themselves.
    pub fn read(bytes: &[u8]) -> Result<Sheet, RowError> {
        if bytes.starts_with(b"PK\x03\x04") {
            Sheet::read_xlsx(bytes)
        } else {
            Sheet::read_csv(&decode_text(bytes))
        }
    }

    pub fn read_csv(text: &str) -> Result<Sheet, RowError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut sheet = Sheet::default();
        // Row numbers from byte offsets: the reader skips blank lines, and
        // staff must be told the line their spreadsheet shows.
        let (mut at, mut line) = (0usize, 1usize);
        let mut line_of = |byte: u64| {
            let bytes = text.as_bytes();
            let mut byte = (byte as usize).min(bytes.len());
            // The reader's position is before the blank lines it skipped.
            while matches!(bytes.get(byte), Some(b'\n' | b'\r')) {
                byte += 1;
            }
            if byte > at {
                line += memchr::memchr_iter(b'\n', &bytes[at..byte]).count();
                at = byte;
            }
            line
        };
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let row = e.position().map_or(0, |p| p.line() as usize);
                RowError::new(row, format!("CSV 格式错误: {e}"))
            })?;
            let row = line_of(rec.position().map_or(0, |p| p.byte()));
            let cells: Vec<String> = rec.iter().map(str::to_string).collect();
            sheet.push(row, cells)?;
        }
        sheet.finish()
    }

    pub fn read_xlsx(bytes: &[u8]) -> Result<Sheet, RowError> {
        use calamine::Reader;
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
            .map_err(|e| RowError::new(1, format!("无法读取 Excel 文件: {e}")))?;
        let range = book
            .worksheet_range_at(0)
            .ok_or_else(|| RowError::new(1, "Excel 文件没有工作表"))?
            .map_err(|e| RowError::new(1, format!("无法读取工作表: {e}")))?;
        let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
        let mut sheet = Sheet::default();
        for (i, cells) in range.rows().enumerate() {
            let row = first_row + i + 1;
            let cells = cells.iter().map(cell_text).collect();
            sheet.push(row, cells)?;
        }
        sheet.finish()
    }

    fn push(&mut self, row: usize, cells: Vec<String>) -> Result<(), RowError> {
        if cells.iter().all(|c| c.is_empty()) {
            return Ok(());
        }
        if self.header.is_empty() {
            self.header = cells;
        } else if self.rows.len() >= MAX_ROWS {
            return Err(RowError::new(row, format!("行数超过上限 {MAX_ROWS}")));
        } else {
            self.rows.push((row, cells));
        }
        Ok(())
    }

    fn finish(self) -> Result<Sheet, RowError> {
        if self.header.is_empty() {
            return Err(RowError::new(1, "表格为空"));
        }
        Ok(self)
    }
}

/// The most rows an import may carry (a district's year of hotline calls
/// is 100,000 to 200,000).
pub const MAX_IMPORT_ROWS: usize = 1_000_000;

/// A spreadsheet cell as the text staff typed: dates as YYYY-MM-DD, whole
/// numbers without ".0", errors marked.
fn cell_text(c: &calamine::Data) -> String {
    use calamine::{Data, DataType};
    match c {
        Data::DateTime(_) | Data::DateTimeIso(_) => c
            .as_date()
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| c.to_string()),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Error(e) => format!("#ERR {e}"),
        other => other.to_string().trim().to_string(),
    }
}

/// Rows of an XLSX sheet read on a thread of their own ([`xlsx::stream`]),
/// handed over a few hundred rows ahead of the reader.
fn stream_xlsx<RS: std::io::Read + std::io::Seek + Send + 'static>(
    rs: RS,
) -> std::sync::mpsc::Receiver<Result<(usize, Vec<String>), RowError>> {
    let (tx, rx) = std::sync::mpsc::sync_channel(256);
    std::thread::spawn(move || xlsx::stream(rs, &tx));
    rx
}

/// A table read from a file a row at a time, so that a year's export of
/// 200,000 rows never sits in memory whole. CSV is decoded as it is read
/// (UTF-8, or GB18030 when the file's first 64 KiB are not UTF-8); XLSX is
/// read cell by cell on a thread of its own ([`stream_xlsx`]; from a file
/// on disk, or from memory when the reader cannot seek). Empty rows are skipped; row numbers are as the spreadsheet shows.
pub struct RowReader {
    header: Vec<String>,
    rows: RowSource,
    seen: usize,
}

enum RowSource {
    Csv(
        csv::StringRecordsIntoIter<Box<dyn std::io::Read + Send>>,
        std::sync::Arc<std::sync::Mutex<Breaks>>,
    ),
    Xlsx(std::sync::mpsc::Receiver<Result<(usize, Vec<String>), RowError>>),
}

/// The text's line breaks not yet behind the parser, for row numbers: csv
/// skips blank lines and places the record after them at the first one, so
/// its own line count is off by the blank lines; the row is the number of
/// breaks before the record's first character, plus one.
#[derive(Default)]
struct Breaks {
    /// (offset of a `\n`, whether a `\r` came just before it)
    ahead: std::collections::VecDeque<(u64, bool)>,
    behind: usize,
    read: u64,
    last_cr: bool,
}

impl Breaks {
    /// The spreadsheet's row number of the record whose bytes begin at `start`.
    fn row_at(&mut self, start: u64) -> usize {
        while self.ahead.front().is_some_and(|(o, _)| *o < start) {
            self.ahead.pop_front();
            self.behind += 1;
        }
        // The blank lines the parser skipped: breaks right where it says
        // the record begins.
        let mut at = start;
        while let Some(&(o, crlf)) = self.ahead.front() {
            if o == at || (crlf && o == at + 1) {
                self.ahead.pop_front();
                self.behind += 1;
                at = o + 1;
            } else {
                break;
            }
        }
        self.behind + 1
    }
}

/// Notes where the line breaks are as the text goes by.
struct LineBreaks<R> {
    inner: R,
    breaks: std::sync::Arc<std::sync::Mutex<Breaks>>,
}

impl<R: std::io::Read> std::io::Read for LineBreaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut b) = self.breaks.lock() {
            for i in memchr::memchr_iter(b'\n', &buf[..n]) {
                let crlf = if i > 0 {
                    buf[i - 1] == b'\r'
                } else {
                    b.last_cr
                };
                let at = b.read + i as u64;
                b.ahead.push_back((at, crlf));
            }
            if n > 0 {
                b.last_cr = buf[n - 1] == b'\r';
            }
            b.read += n as u64;
        }
        Ok(n)
    }
}

impl RowReader {
    pub fn open(path: &std::path::Path) -> Result<RowReader, RowError> {
        use std::io::Read;
        let open = || {
            std::fs::File::open(path).map_err(|e| RowError::new(1, format!("无法读取文件: {e}")))
        };
        let mut magic = [0u8; 4];
        let zip = open()?.read_exact(&mut magic).is_ok() && &magic == b"PK\x03\x04";
        if zip {
            return RowReader::xlsx(stream_xlsx(open()?));
        }
        RowReader::from_read(open()?)
    }

    /// The reader of an XLSX sheet's rows: its header is the first row
    /// that is not empty.
    fn xlsx(
        rows: std::sync::mpsc::Receiver<Result<(usize, Vec<String>), RowError>>,
    ) -> Result<RowReader, RowError> {
        let mut header = vec![];
        for r in rows.iter() {
            let (_, cells) = r?;
            if cells.iter().any(|c| !c.is_empty()) {
                header = cells;
                break;
            }
        }
        if header.is_empty() {
            return Err(RowError::new(1, "表格为空"));
        }
        Ok(RowReader {
            header,
            rows: RowSource::Xlsx(rows),
            seen: 0,
        })
    }

    /// The same from any reader (a file, or bytes in memory).
    pub fn from_read<R: std::io::Read + Send + 'static>(
        mut file: R,
    ) -> Result<RowReader, RowError> {
        use std::io::Read;
        let unreadable = |e: std::io::Error| RowError::new(1, format!("无法读取文件: {e}"));
        let mut head = vec![0u8; 64 * 1024];
        let mut n = 0;
        while n < head.len() {
            match file.read(&mut head[n..]).map_err(unreadable)? {
                0 => break,
                k => n += k,
            }
        }
        head.truncate(n);
        if head.starts_with(b"PK\x03\x04") {
            let mut bytes = head;
            file.read_to_end(&mut bytes).map_err(unreadable)?;
            return RowReader::xlsx(stream_xlsx(std::io::Cursor::new(bytes)));
        }
        // UTF-8 unless the first 64 KiB say otherwise (a character cut at
        // the end of them is still UTF-8).
        let utf8 = match std::str::from_utf8(&head) {
            Ok(_) => true,
            Err(e) => e.error_len().is_none(),
        };
        let raw = std::io::Cursor::new(head).chain(file);
        let decoded: Box<dyn std::io::Read + Send> = if utf8 {
            Box::new(raw)
        } else {
            Box::new(Gb18030Reader::new(raw))
        };
        let breaks = std::sync::Arc::new(std::sync::Mutex::new(Breaks::default()));
        let text: Box<dyn std::io::Read + Send> = Box::new(LineBreaks {
            inner: decoded,
            breaks: breaks.clone(),
        });
        let mut records = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .trim(csv::Trim::All)
            .from_reader(text)
            .into_records();
        let mut header = vec![];
        for rec in records.by_ref() {
            let rec = rec.map_err(csv_error)?;
            let cells: Vec<String> = rec.iter().map(str::to_string).collect();
            if cells.iter().any(|c| !c.is_empty()) {
                header = cells;
                break;
            }
        }
        if let Some(first) = header.first_mut() {
            *first = first.trim_start_matches('\u{feff}').to_string();
        }
        if header.is_empty() {
            return Err(RowError::new(1, "表格为空"));
        }
        Ok(RowReader {
            header,
            rows: RowSource::Csv(records, breaks),
            seen: 0,
        })
    }

    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The column whose header is one of `names` (ASCII case ignored).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        self.header
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    }
}

fn csv_error(e: csv::Error) -> RowError {
    let row = e.position().map_or(0, |p| p.line() as usize);
    RowError::new(row, format!("CSV 格式错误: {e}"))
}

impl Iterator for RowReader {
    type Item = Result<(usize, Vec<String>), RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (row, cells) = match &mut self.rows {
                RowSource::Xlsx(rows) => match rows.recv().ok()? {
                    Err(e) => return Some(Err(e)),
                    Ok(row) => row,
                },
                RowSource::Csv(records, breaks) => match records.next()? {
                    Err(e) => return Some(Err(csv_error(e))),
                    Ok(rec) => (
                        match (rec.position(), breaks.lock()) {
                            (Some(p), Ok(mut b)) => b.row_at(p.byte()),
                            _ => 0,
                        },
                        rec.iter().map(str::to_string).collect::<Vec<_>>(),
                    ),
                },
            };
            if cells.iter().all(|c| c.is_empty()) {
                continue;
            }
            self.seen += 1;
            if self.seen > MAX_IMPORT_ROWS {
                return Some(Err(RowError::new(
                    row,
                    format!("行数超过上限 {MAX_IMPORT_ROWS}"),
                )));
            }
            return Some(Ok((row, cells)));
        }
    }
}

/// GB18030 bytes in, UTF-8 out, a block at a time.
struct Gb18030Reader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    out: Vec<u8>,
    at: usize,
    done: bool,
}

impl<R: std::io::Read> Gb18030Reader<R> {
    fn new(inner: R) -> Self {
        Gb18030Reader {
            inner,
            decoder: encoding_rs::GB18030.new_decoder_without_bom_handling(),
            input: vec![0; 64 * 1024],
            out: vec![],
            at: 0,
            done: false,
        }
    }
}

impl<R: std::io::Read> std::io::Read for Gb18030Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.out.len() {
            if self.done {
                return Ok(0);
            }
            let n = self.inner.read(&mut self.input)?;
            let last = n == 0;
            let room = self.decoder.max_utf8_buffer_length(n).unwrap_or(4 * n + 16);
            self.out.resize(room, 0);
            let (_, read, written, _) =
                self.decoder
                    .decode_to_utf8(&self.input[..n], &mut self.out, last);
            debug_assert_eq!(read, n);
            self.out.truncate(written);
            self.at = 0;
            self.done = last;
        }
        let k = buf.len().min(self.out.len() - self.at);
        buf[..k].copy_from_slice(&self.out[self.at..self.at + k]);
        self.at += k;
        Ok(k)
    }
}

/// UTF-8 if it is UTF-8, else GB18030 (a superset of GBK and GB2312).
fn decode_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

/// A cell by column, empty when the row is short.
pub fn cell(cells: &[String], col: usize) -> &str {
    cells.get(col).map(String::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CSV of `n` rows of Chinese text, header 标题,内容.
    fn long_csv(n: usize) -> String {
        let mut t = String::from("标题,内容\n");
        for i in 0..n {
            t.push_str(&format!(
                "第{i}号来电,市民来电反映：暖气不热，室温只有十几度（{i}）\n"
            ));
        }
        t
    }

    fn read_all(bytes: Vec<u8>) -> (Vec<String>, Vec<(usize, Vec<String>)>) {
        let r = RowReader::from_read(std::io::Cursor::new(bytes)).unwrap();
        let header = r.header().to_vec();
        (header, r.map(Result::unwrap).collect())
    }

    #[test]
    fn an_import_reads_the_same_rows_in_utf8_and_gb18030_across_every_block() {
        // Far past the 64 KiB that decide the encoding, with characters cut
        // at block boundaries wherever they fall.
        let text = long_csv(3_000);
        assert!(text.len() > 200 * 1024);
        let (h, rows) = read_all(text.clone().into_bytes());
        assert_eq!(h, ["标题", "内容"]);
        assert_eq!(rows.len(), 3_000);
        assert_eq!(
            rows[2_999].0, 3_001,
            "row numbers as the spreadsheet shows them"
        );
        assert_eq!(rows[1_234].1[0], "第1234号来电");
        let gb = encoding_rs::GB18030.encode(&text).0.into_owned();
        assert_ne!(gb, text.as_bytes());
        assert_eq!(read_all(gb), (h.clone(), rows.clone()));
        let bom = [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat();
        assert_eq!(read_all(bom), (h, rows));
    }

    #[test]
    fn an_import_skips_empty_rows_and_names_a_broken_one() {
        let (_, rows) = read_all("标题,内容\n\n甲,一\n,\n乙,二\n".as_bytes().to_vec());
        assert_eq!(
            rows,
            vec![
                (3, vec!["甲".to_string(), "一".to_string()]),
                (5, vec!["乙".to_string(), "二".to_string()])
            ]
        );
        let (_, crlf) = read_all(
            "标题,内容\r\n\r\n甲,一\r\n,\r\n乙,二\r\n"
                .as_bytes()
                .to_vec(),
        );
        assert_eq!(
            crlf, rows,
            "the same rows and numbers with Windows line ends"
        );
        assert!(
            RowReader::from_read(std::io::Cursor::new(Vec::new())).is_err(),
            "empty file"
        );
        assert!(RowReader::from_read(std::io::Cursor::new(b"PK\x03\x04garbage".to_vec())).is_err());
    }

    #[test]
    fn csv_in_utf8_with_bom_and_in_gb18030_read_the_same() {
        let text = "\u{feff}编号,姓名\n\n001,张三\n002,李四\n";
        let a = Sheet::read(text.as_bytes()).unwrap();
        assert_eq!(a.header, vec!["编号", "姓名"]);
        assert_eq!(a.rows[0], (3, vec!["001".to_string(), "张三".to_string()]));
        let (gbk, _, _) = encoding_rs::GB18030.encode("编号,姓名\n001,张三\n");
        let b = Sheet::read(&gbk).unwrap();
        assert_eq!(b.rows[0].1[1], "张三");
        assert_eq!(b.column(&["姓名"]), Some(1));
    }

    #[test]
    fn xlsx_reads_numbers_dates_and_row_numbers() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        ws.write(0, 0, "编号").unwrap();
        ws.write(0, 1, "期限").unwrap();
        ws.write(1, 0, 7).unwrap();
        let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2027, 12, 31).unwrap();
        ws.write_datetime_with_format(1, 1, &date, &fmt).unwrap();
        ws.write(3, 0, "9").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let s = Sheet::read(&bytes).unwrap();
        assert_eq!(s.header, vec!["编号", "期限"]);
        assert_eq!(
            s.rows[0],
            (2, vec!["7".to_string(), "2027-12-31".to_string()])
        );
        assert_eq!(s.rows[1].0, 4);
        // The same rows streamed, from memory and from a file on disk.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.xlsx");
        std::fs::write(&path, &bytes).unwrap();
        for reader in [
            RowReader::from_read(std::io::Cursor::new(bytes.clone())).unwrap(),
            RowReader::open(&path).unwrap(),
        ] {
            assert_eq!(reader.header(), ["编号", "期限"]);
            // (A streamed row ends at its last cell; the sheet's are padded.)
            let trim = |(n, mut cells): (usize, Vec<String>)| {
                while cells.last().is_some_and(String::is_empty) {
                    cells.pop();
                }
                (n, cells)
            };
            let rows: Vec<_> = reader.map(Result::unwrap).map(trim).collect();
            assert_eq!(rows, s.rows.iter().cloned().map(trim).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_streamed_xlsx_reads_as_calamine_reads_it() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy\"年\"m\"月\"d\"日\"");
        let money = rust_xlsxwriter::Format::new().set_num_format("#,##0.00");
        for (c, h) in ["编号", "内容", "金额", "日期", "是否", "整数"]
            .iter()
            .enumerate()
        {
            ws.write(0, c as u16, *h).unwrap();
        }
        for r in 1..=300u32 {
            ws.write(r, 0, format!("GD{r:05}")).unwrap();
            ws.write(r, 1, format!("市民来电反映：A&B <小区> “路灯” {r}"))
                .unwrap();
            ws.write_number_with_format(r, 2, r as f64 * 1.25, &money)
                .unwrap();
            let d = rust_xlsxwriter::ExcelDateTime::from_ymd(
                2026,
                1 + (r % 12) as u8,
                1 + (r % 28) as u8,
            )
            .unwrap();
            ws.write_datetime_with_format(r, 3, &d, &date).unwrap();
            ws.write(r, 4, r % 2 == 0).unwrap();
            if r % 7 != 0 {
                ws.write(r, 5, r as f64).unwrap();
            }
        }
        // A row far down after a gap, and a time of day.
        ws.write(400, 1, "最后一行").unwrap();
        let t = rust_xlsxwriter::ExcelDateTime::parse_from_str("2026-07-03 09:15:00").unwrap();
        let dt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm");
        ws.write_datetime_with_format(401, 3, &t, &dt).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let trim = |(n, mut cells): (usize, Vec<String>)| {
            while cells.last().is_some_and(String::is_empty) {
                cells.pop();
            }
            (n, cells)
        };
        let calamine: Vec<_> = Sheet::read(&bytes)
            .unwrap()
            .rows
            .into_iter()
            .map(trim)
            .collect();
        let streamed: Vec<_> = RowReader::from_read(std::io::Cursor::new(bytes))
            .unwrap()
            .map(|r| trim(r.unwrap()))
            .collect();
        assert_eq!(streamed.len(), calamine.len());
        let (last, rest) = streamed.split_last().unwrap();
        assert_eq!(rest, &calamine[..calamine.len() - 1]);
        assert_eq!(rest[0].1[1], "市民来电反映：A&B <小区> “路灯” 1");
        // calamine gives a date only; the stream keeps the time of day.
        assert_eq!(
            last,
            &(
                402,
                vec![
                    String::new(),
                    String::new(),
                    String::new(),
                    "2026-07-03 09:15:00".into()
                ]
            )
        );
    }

    #[test]
    fn a_year_of_rows_streams_from_xlsx_in_order() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        ws.write(0, 0, "工单编号").unwrap();
        ws.write(0, 1, "诉求内容").unwrap();
        for r in 1..=5_000u32 {
            ws.write(r, 0, format!("GD{r:06}")).unwrap();
            if r % 100 != 0 {
                // Every hundredth row has no content: a gap inside the row.
                ws.write(r, 1, format!("第{r}号来电")).unwrap();
            }
        }
        let bytes = book.save_to_buffer().unwrap();
        let rows: Vec<_> = RowReader::from_read(std::io::Cursor::new(bytes))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows.len(), 5_000);
        assert_eq!(rows[41], (43, vec!["GD000042".into(), "第42号来电".into()]));
        assert_eq!(rows[99], (101, vec!["GD000100".into()]));
        // A broken sheet ends the rows with an error, never a panic.
        let mut broken = RowReader::from_read(std::io::Cursor::new(b"PK\x03\x04xx".to_vec()));
        assert!(broken.as_mut().map(|r| r.next()).is_err());
    }

    #[test]
    fn broken_input_is_an_error_not_a_panic() {
        assert!(Sheet::read(b"").is_err());
        let e = Sheet::read(b"PK\x03\x04garbage").unwrap_err();
        assert!(e.message.contains("Excel"), "{e}");
    }
}
