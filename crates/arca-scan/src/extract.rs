//! Format detection and extraction: turns an object's bytes into text segments with
//! locations, recursing into archives within the limits.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::rc::Rc;

use crate::detect::Collector;
use crate::report::{Location, SkippedPart};

/// Bounds applied to every object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of an object (after decompression, summed over all nested parts) analysed at most.
    pub max_expanded_bytes: u64,
    /// Nesting depth of archives and compressed streams.
    pub max_depth: u32,
    /// Entries of one archive.
    pub max_entries: u64,
    /// Decompressed bytes per compressed byte, above a floor of `ratio_floor_bytes`.
    pub max_expansion_ratio: u64,
    /// Output below this size never trips the ratio check.
    pub ratio_floor_bytes: u64,
    /// Bytes held in memory for formats that need random access (zip, JSON, XLSX).
    pub max_in_memory_bytes: u64,
    /// Text is scanned in chunks of this size (cut at line ends).
    pub chunk_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_expanded_bytes: 8 << 30,
            max_depth: 8,
            max_entries: 100_000,
            max_expansion_ratio: 200,
            ratio_floor_bytes: 16 << 20,
            max_in_memory_bytes: 256 << 20,
            chunk_bytes: 4 << 20,
        }
    }
}

/// Detected content format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// gzip stream.
    Gzip,
    /// zip archive.
    Zip,
    /// tar archive.
    Tar,
    /// XLSX workbook.
    Xlsx,
    /// DOCX document.
    Docx,
    /// PDF document.
    Pdf,
    /// Parquet file.
    Parquet,
    /// Avro object container.
    Avro,
    /// JSON document.
    Json,
    /// JSON Lines.
    JsonLines,
    /// Comma-separated values.
    Csv,
    /// Tab-separated values.
    Tsv,
    /// XML.
    Xml,
    /// HTML.
    Html,
    /// Email message.
    Eml,
    /// Plain text.
    Text,
    /// Binary content of a known or unknown kind.
    Binary(&'static str),
}

impl Format {
    /// MIME type as Macie reports it.
    pub fn mime_type(self) -> &'static str {
        match self {
            Format::Gzip => "application/gzip",
            Format::Zip => "application/zip",
            Format::Tar => "application/x-tar",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Pdf => "application/pdf",
            Format::Parquet => "application/parquet",
            Format::Avro => "application/avro",
            Format::Json => "application/json",
            Format::JsonLines => "application/x-ndjson",
            Format::Csv => "text/csv",
            Format::Tsv => "text/tab-separated-values",
            Format::Xml => "application/xml",
            Format::Html => "text/html",
            Format::Eml => "message/rfc822",
            Format::Text => "text/plain",
            Format::Binary(_) => "application/octet-stream",
        }
    }
}

const HEAD: usize = 8192;

/// Detects the format from the first bytes and the name.
pub fn sniff(head: &[u8], name: &str) -> Format {
    let lower_name = name.to_ascii_lowercase();
    if head.starts_with(&[0x1f, 0x8b]) {
        return Format::Gzip;
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Format::Zip;
    }
    if head.get(257..262) == Some(b"ustar") {
        return Format::Tar;
    }
    if head.starts_with(b"%PDF-") {
        return Format::Pdf;
    }
    if head.starts_with(b"PAR1") {
        return Format::Parquet;
    }
    if head.starts_with(b"Obj\x01") {
        return Format::Avro;
    }
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x7fELF", "ELF executable"),
        (b"MZ", "Windows executable"),
        (b"\x89PNG", "PNG image"),
        (b"\xff\xd8\xff", "JPEG image"),
        (b"GIF8", "GIF image"),
        (b"BZh", "bzip2 stream"),
        (b"\xfd7zXZ", "xz stream"),
        (b"7z\xbc\xaf", "7-Zip archive"),
        (b"\x28\xb5\x2f\xfd", "zstd stream"),
        (b"\xca\xfe\xba\xbe", "Java class or Mach-O"),
        (b"\xcf\xfa\xed\xfe", "Mach-O executable"),
        (b"SQLite format 3", "SQLite database"),
        (b"\x00asm", "WebAssembly module"),
        (b"RIFF", "RIFF media"),
        (b"ID3", "MP3 audio"),
        (b"OggS", "Ogg media"),
        (b"\xd0\xcf\x11\xe0", "legacy Office document"),
    ];
    for (magic, kind) in MAGIC {
        if head.starts_with(magic) {
            return Format::Binary(kind);
        }
    }
    if is_binary(head) {
        return Format::Binary("binary content");
    }
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let ext = lower_name.rsplit('.').next().unwrap_or_default();
    match ext {
        "jsonl" | "ndjson" => return Format::JsonLines,
        "csv" => return Format::Csv,
        "tsv" | "tab" => return Format::Tsv,
        "eml" => return Format::Eml,
        _ => {}
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let json_lines =
            trimmed.lines().take(3).filter(|l| !l.trim().is_empty()).collect::<Vec<_>>();
        if json_lines.len() >= 2
            && json_lines
                .iter()
                .all(|l| l.trim_start().starts_with('{') && l.trim_end().ends_with('}'))
        {
            return Format::JsonLines;
        }
        return Format::Json;
    }
    if trimmed.starts_with('<') {
        let lower = trimmed.get(..trimmed.len().min(1024)).unwrap_or_default().to_ascii_lowercase();
        return if lower.contains("<html") || lower.contains("<!doctype html") {
            Format::Html
        } else {
            Format::Xml
        };
    }
    const MAIL_HEADERS: [&str; 8] = [
        "received:",
        "return-path:",
        "mime-version:",
        "delivered-to:",
        "message-id:",
        "from:",
        "x-mailer:",
        "dkim-signature:",
    ];
    let first = trimmed.lines().next().unwrap_or_default().to_ascii_lowercase();
    if MAIL_HEADERS.iter().any(|h| first.starts_with(h))
        && trimmed.to_ascii_lowercase().contains("\nsubject:")
    {
        return Format::Eml;
    }
    let lines: Vec<&str> = trimmed.lines().take(6).collect();
    if lines.len() >= 3 {
        let complete = lines.get(..lines.len() - 1).unwrap_or_default();
        for (delimiter, format) in [('\t', Format::Tsv), (',', Format::Csv)] {
            let counts: Vec<usize> =
                complete.iter().map(|l| l.matches(delimiter).count()).collect();
            if counts.first().is_some_and(|c| *c >= 1)
                && counts.windows(2).all(|w| w.first() == w.get(1))
            {
                return format;
            }
        }
    }
    Format::Text
}

fn is_binary(head: &[u8]) -> bool {
    if head.is_empty() {
        return false;
    }
    if memchr::memchr(0, head).is_some() {
        return true;
    }
    // Trim a possibly cut multi-byte character at the end before judging.
    let valid = match std::str::from_utf8(head) {
        Ok(_) => return false,
        Err(error) => error.valid_up_to(),
    };
    if head.len() - valid < 4
        && std::str::from_utf8(head.get(..valid).unwrap_or_default()).is_ok()
        && head.len() >= HEAD
    {
        return false;
    }
    let control = head
        .iter()
        .filter(|b| (**b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c)) || **b == 0x7f)
        .count();
    let invalid = String::from_utf8_lossy(head).matches('\u{fffd}').count();
    (control + invalid) * 10 > head.len()
}

/// Extraction state for one object.
pub(crate) struct Extraction<'c, 'd> {
    pub collector: &'c mut Collector<'d>,
    pub limits: Limits,
    pub expanded: u64,
    pub skipped: Vec<SkippedPart>,
    pub truncated: Option<String>,
    pub top_format: Option<Format>,
}

/// Why an object (or part) was not analysed.
#[derive(Debug)]
pub(crate) struct Skip(pub String);

impl From<io::Error> for Skip {
    fn from(error: io::Error) -> Self {
        if error.kind() == io::ErrorKind::Other && error.to_string().starts_with("EXPANSION") {
            Skip(error.to_string())
        } else {
            Skip(format!("READ_ERROR: {error}"))
        }
    }
}

/// Counts bytes read through it.
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Fails once decompressed output outgrows the compressed input by more than the ratio.
struct RatioGuard<R> {
    inner: R,
    input: Rc<Cell<u64>>,
    output: u64,
    ratio: u64,
    floor: u64,
    budget: u64,
}

impl<R: Read> Read for RatioGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.output += n as u64;
        if self.output > self.floor && self.output > self.input.get().saturating_mul(self.ratio) {
            return Err(io::Error::other(format!(
                "EXPANSION_RATIO_EXCEEDED: more than {}x decompression (possible archive bomb)",
                self.ratio
            )));
        }
        if self.output > self.budget {
            return Err(io::Error::other(
                "EXPANSION_LIMIT_EXCEEDED: decompressed size over the per-object limit",
            ));
        }
        Ok(n)
    }
}

impl Extraction<'_, '_> {
    fn remaining(&self) -> u64 {
        self.limits.max_expanded_bytes.saturating_sub(self.expanded)
    }

    /// Scans a stream named `name` at nesting `depth`; `prefix` names the enclosing entry.
    pub fn scan_stream(
        &mut self,
        reader: &mut dyn Read,
        name: &str,
        depth: u32,
        declared: Option<u64>,
    ) -> Result<Format, Skip> {
        let mut head = Vec::with_capacity(HEAD);
        reader.take(HEAD as u64).read_to_end(&mut head)?;
        let format = sniff(&head, name);
        if self.top_format.is_none() {
            self.top_format = Some(format);
        }
        let mut reader = Cursor::new(head).chain(reader);
        match format {
            Format::Gzip | Format::Zip | Format::Tar if depth >= self.limits.max_depth => {
                return Err(Skip(format!(
                    "ARCHIVE_NESTING_TOO_DEEP: more than {} levels",
                    self.limits.max_depth
                )));
            }
            Format::Gzip => {
                let input = Rc::new(Cell::new(0));
                let counting = Counting { inner: reader, count: input.clone() };
                let decoder = flate2::read::MultiGzDecoder::new(counting);
                let mut guarded = RatioGuard {
                    inner: decoder,
                    input,
                    output: 0,
                    ratio: self.limits.max_expansion_ratio,
                    floor: self.limits.ratio_floor_bytes,
                    budget: self.remaining(),
                };
                let inner_name =
                    name.strip_suffix(".gz").or_else(|| name.strip_suffix(".tgz")).unwrap_or(name);
                let inner_name = if name.ends_with(".tgz") {
                    format!("{inner_name}.tar")
                } else {
                    inner_name.to_string()
                };
                self.scan_stream(&mut guarded, &inner_name, depth + 1, None)?;
            }
            Format::Zip => self.scan_zip(&mut reader, name, depth, declared)?,
            Format::Tar => self.scan_tar(&mut reader, name, depth)?,
            Format::Json => self.scan_json(&mut reader, name)?,
            Format::JsonLines => self.scan_json_lines(&mut reader)?,
            Format::Csv => self.scan_table(&mut reader, b',')?,
            Format::Tsv => self.scan_table(&mut reader, b'\t')?,
            Format::Text | Format::Xml | Format::Html => self.scan_text(&mut reader, 1)?,
            Format::Eml => self.scan_email(&mut reader, name, depth)?,
            Format::Pdf => self.scan_pdf(&mut reader)?,
            Format::Xlsx | Format::Docx => {}
            Format::Parquet => self.scan_parquet_stream(&mut reader)?,
            Format::Avro => self.scan_avro(&mut reader)?,
            Format::Binary(kind) => return Err(Skip(format!("UNSUPPORTED_FILE_TYPE: {kind}"))),
        }
        Ok(format)
    }

    fn count(&mut self, bytes: usize) -> Result<(), Skip> {
        self.expanded += bytes as u64;
        if self.expanded > self.limits.max_expanded_bytes {
            return Err(Skip(
                "OBJECT_EXCEEDS_SIZE_QUOTA: analysed bytes over the per-object limit".into(),
            ));
        }
        Ok(())
    }

    /// Plain text, streamed in chunks cut at line ends.
    fn scan_text(&mut self, reader: &mut dyn Read, first_line: u64) -> Result<(), Skip> {
        let mut line = first_line;
        let mut carry: Vec<u8> = Vec::new();
        let chunk = self.limits.chunk_bytes.max(1024);
        let mut buffer = vec![0u8; chunk];
        loop {
            let n = read_full(reader, &mut buffer)?;
            self.count(n)?;
            carry.extend_from_slice(buffer.get(..n).unwrap_or_default());
            let at_end = n < buffer.len();
            let cut = if at_end {
                carry.len()
            } else {
                memchr::memrchr(b'\n', &carry).map_or(carry.len(), |i| i + 1)
            };
            if cut > 0 {
                let piece = carry.get(..cut).unwrap_or_default();
                let text = utf8_text(piece);
                self.collector.segment(&text, "", &Location::Text { first_line: line });
                line += memchr::memchr_iter(b'\n', piece).count() as u64;
                carry.drain(..cut);
            }
            if at_end {
                return Ok(());
            }
        }
    }

    fn read_bounded(&mut self, reader: &mut dyn Read, what: &str) -> Result<Vec<u8>, Skip> {
        let mut bytes = Vec::new();
        let limit = self.limits.max_in_memory_bytes;
        reader.take(limit + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            return Err(Skip(format!(
                "OBJECT_EXCEEDS_SIZE_QUOTA: {what} larger than {limit} bytes"
            )));
        }
        self.count(bytes.len())?;
        Ok(bytes)
    }

    fn scan_json(&mut self, reader: &mut dyn Read, _name: &str) -> Result<(), Skip> {
        let bytes = self.read_bounded(reader, "JSON document")?;
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(value) => {
                let mut path = String::from("$");
                self.walk_json(&value, 0, &mut path);
            }
            Err(_) => {
                // Not valid JSON after all: scan it as text.
                self.expanded = self.expanded.saturating_sub(bytes.len() as u64);
                self.scan_text(&mut Cursor::new(bytes), 1)?;
            }
        }
        Ok(())
    }

    fn walk_json(&mut self, value: &serde_json::Value, record: u64, path: &mut String) {
        use serde_json::Value;
        let length = path.len();
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    push_member(path, key);
                    self.walk_json(child, record, path);
                    path.truncate(length);
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    path.push_str(&format!("[{index}]"));
                    self.walk_json(child, record, path);
                    path.truncate(length);
                }
            }
            Value::String(text) => {
                self.collector.segment(
                    text,
                    path,
                    &Location::Record { index: record, json_path: path.clone() },
                );
            }
            Value::Number(number) => {
                let text = number.to_string();
                self.collector.segment(
                    &text,
                    path,
                    &Location::Record { index: record, json_path: path.clone() },
                );
            }
            Value::Bool(_) | Value::Null => {}
        }
    }

    fn scan_json_lines(&mut self, reader: &mut dyn Read) -> Result<(), Skip> {
        let mut buffered = BufReader::with_capacity(1 << 16, reader);
        let mut line = Vec::new();
        let mut index = 0u64;
        loop {
            line.clear();
            let n = read_line_bounded(&mut buffered, &mut line, self.limits.max_in_memory_bytes)?;
            if n == 0 {
                return Ok(());
            }
            self.count(n)?;
            let trimmed = line.trim_ascii();
            if !trimmed.is_empty() {
                match serde_json::from_slice::<serde_json::Value>(trimmed) {
                    Ok(value) => {
                        let mut path = String::from("$");
                        self.walk_json(&value, index, &mut path);
                    }
                    Err(_) => {
                        let text = utf8_text(trimmed);
                        self.collector.segment(
                            &text,
                            "",
                            &Location::Text { first_line: index + 1 },
                        );
                    }
                }
            }
            index += 1;
        }
    }

    fn scan_table(&mut self, reader: &mut dyn Read, delimiter: u8) -> Result<(), Skip> {
        let mut buffered = BufReader::with_capacity(1 << 16, reader);
        let mut header: Vec<String> = Vec::new();
        let mut row = 0u64;
        let mut record = Vec::new();
        let mut fields = Vec::new();
        loop {
            record.clear();
            // A record may span lines inside quotes.
            loop {
                let n =
                    read_line_bounded(&mut buffered, &mut record, self.limits.max_in_memory_bytes)?;
                self.count(n)?;
                if n == 0 || record.iter().filter(|b| **b == b'"').count() % 2 == 0 {
                    break;
                }
            }
            if record.is_empty() {
                return Ok(());
            }
            row += 1;
            split_fields(&utf8_text(&record), delimiter, &mut fields);
            if row == 1 {
                header = fields.clone();
            }
            for (column, field) in fields.iter().enumerate() {
                if field.is_empty() {
                    continue;
                }
                let column_name = header.get(column).cloned().unwrap_or_default();
                let location = Location::Cell {
                    row,
                    column: column as u64 + 1,
                    column_name: column_name.clone(),
                    cell_reference: None,
                };
                let context = if row == 1 { "" } else { column_name.as_str() };
                self.collector.segment(field, context, &location);
            }
        }
    }

    fn scan_tar(&mut self, reader: &mut dyn Read, name: &str, depth: u32) -> Result<(), Skip> {
        let mut archive = tar::Archive::new(reader);
        let entries = archive.entries().map_err(|e| Skip(format!("INVALID_ARCHIVE: {e}")))?;
        let mut count = 0u64;
        for entry in entries {
            let mut entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    self.skipped.push(SkippedPart {
                        path: name.to_string(),
                        reason: format!("INVALID_ARCHIVE: {error}"),
                    });
                    break;
                }
            };
            count += 1;
            if count > self.limits.max_entries {
                return Err(Skip(format!(
                    "ARCHIVE_EXCEEDS_MAX_ENTRIES: more than {} entries",
                    self.limits.max_entries
                )));
            }
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let entry_name =
                entry.path().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
            let size = entry.header().size().ok();
            let full = format!("{name}!{entry_name}");
            if let Err(Skip(reason)) = self.scan_stream(&mut entry, &full, depth + 1, size) {
                if reason.starts_with("EXPANSION") || reason.starts_with("OBJECT_EXCEEDS") {
                    return Err(Skip(reason));
                }
                self.skipped.push(SkippedPart { path: full, reason });
            }
        }
        Ok(())
    }

    fn scan_zip(
        &mut self,
        reader: &mut dyn Read,
        name: &str,
        depth: u32,
        _declared: Option<u64>,
    ) -> Result<(), Skip> {
        let bytes = self.read_bounded(reader, "zip archive")?;
        // The archive's own bytes are not content: only its entries count.
        self.expanded = self.expanded.saturating_sub(bytes.len() as u64);
        let compressed = bytes.len() as u64;
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| Skip(format!("INVALID_ARCHIVE: {e}")))?;
        let entries = archive.len() as u64;
        if entries > self.limits.max_entries {
            return Err(Skip(format!(
                "ARCHIVE_EXCEEDS_MAX_ENTRIES: {entries} entries (limit {})",
                self.limits.max_entries
            )));
        }
        let mut declared_total = 0u64;
        let mut names = Vec::new();
        for index in 0..archive.len() {
            if let Ok(file) = archive.by_index_raw(index) {
                declared_total = declared_total.saturating_add(file.size());
                names.push(file.name().to_string());
            }
        }
        if declared_total > self.limits.ratio_floor_bytes
            && declared_total > compressed.saturating_mul(self.limits.max_expansion_ratio)
        {
            return Err(Skip(format!(
                "EXPANSION_RATIO_EXCEEDED: {declared_total} bytes declared in {compressed} compressed (more than {}x, possible zip bomb)",
                self.limits.max_expansion_ratio
            )));
        }
        if declared_total > self.remaining() {
            return Err(Skip(
                "EXPANSION_LIMIT_EXCEEDED: decompressed size over the per-object limit".into(),
            ));
        }
        if names.iter().any(|n| n == "xl/workbook.xml") {
            self.top_format = self.top_format.filter(|f| *f != Format::Zip).or(Some(Format::Xlsx));
            return crate::office::scan_xlsx(self, &mut archive);
        }
        if names.iter().any(|n| n == "word/document.xml") {
            self.top_format = self.top_format.filter(|f| *f != Format::Zip).or(Some(Format::Docx));
            return crate::office::scan_docx(self, &mut archive);
        }
        for index in 0..archive.len() {
            let mut file = match archive.by_index(index) {
                Ok(file) => file,
                Err(error) => {
                    self.skipped.push(SkippedPart {
                        path: format!("{name}!#{index}"),
                        reason: format!("UNSUPPORTED_ENTRY: {error}"),
                    });
                    continue;
                }
            };
            if file.is_dir() {
                continue;
            }
            let full = format!("{name}!{}", file.name());
            let size = file.size();
            let budget = self.remaining();
            let mut limited = LimitReader { inner: &mut file, left: size.min(budget) + 1 };
            match self.scan_stream(&mut limited, &full, depth + 1, Some(size)) {
                Ok(_) => {}
                Err(Skip(reason))
                    if reason.starts_with("EXPANSION") || reason.starts_with("OBJECT_EXCEEDS") =>
                {
                    return Err(Skip(reason));
                }
                Err(Skip(reason)) => self.skipped.push(SkippedPart { path: full, reason }),
            }
        }
        Ok(())
    }

    /// Bytes of a part held in memory, counted against the budget.
    pub(crate) fn take_part(&mut self, reader: &mut dyn Read, what: &str) -> Result<Vec<u8>, Skip> {
        self.read_bounded(reader, what)
    }

    /// Scans text from a page or a document part at a location.
    pub(crate) fn text_segment(&mut self, text: &str, location: Location) {
        self.collector.segment(text, "", &location);
    }

    /// Scans a cell.
    pub(crate) fn cell_segment(&mut self, text: &str, column_name: &str, location: Location) {
        self.collector.segment(text, column_name, &location);
    }

    /// An email: the raw message as text, then each base64-encoded MIME part decoded and
    /// scanned as an object of its own (attachments may be archives or documents).
    fn scan_email(&mut self, reader: &mut dyn Read, name: &str, depth: u32) -> Result<(), Skip> {
        use base64::Engine as _;
        let bytes = self.read_bounded(reader, "email message")?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        self.collector.segment(&text, "", &Location::Text { first_line: 1 });
        let mut lines = text.lines().peekable();
        let mut part = 0;
        while let Some(line) = lines.next() {
            let lower = line.to_ascii_lowercase();
            if !(lower.starts_with("content-transfer-encoding:") && lower.contains("base64")) {
                continue;
            }
            // Skip the rest of the part's headers.
            for header in lines.by_ref() {
                if header.trim().is_empty() {
                    break;
                }
            }
            let mut encoded = String::new();
            while let Some(body) = lines.peek() {
                if body.trim().is_empty() || body.starts_with("--") {
                    break;
                }
                encoded.push_str(body.trim());
                lines.next();
            }
            part += 1;
            let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.as_bytes())
            else {
                self.skipped.push(SkippedPart {
                    path: format!("{name}!part{part}"),
                    reason: "INVALID_BASE64".into(),
                });
                continue;
            };
            if depth + 1 >= self.limits.max_depth {
                continue;
            }
            let part_name = format!("{name}!part{part}");
            if let Err(Skip(reason)) =
                self.scan_stream(&mut Cursor::new(decoded), &part_name, depth + 1, None)
            {
                self.skipped.push(SkippedPart { path: part_name, reason });
            }
        }
        Ok(())
    }

    fn scan_avro(&mut self, reader: &mut dyn Read) -> Result<(), Skip> {
        let bytes = self.read_bounded(reader, "Avro file")?;
        let limit = self.remaining();
        let collector = &mut *self.collector;
        crate::avro::records(&bytes, limit, &mut |index, path, value| {
            collector.segment(
                value,
                path,
                &Location::Record { index, json_path: path.to_string() },
            );
        })
        .map_err(|reason| {
            if reason.contains("_") && reason.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            {
                Skip(reason)
            } else {
                Skip(format!("INVALID_FILE: Avro: {reason}"))
            }
        })
    }

    /// A streamed Parquet object: its footer is at the end, so the object is held in memory,
    /// within the in-memory limit like zip and Avro.
    fn scan_parquet_stream(&mut self, reader: &mut dyn Read) -> Result<(), Skip> {
        let bytes = self.read_bounded(reader, "Parquet file")?;
        self.scan_parquet(bytes::Bytes::from(bytes))
    }

    /// A Parquet file on disk: read in place, counted against the per-object budget by its
    /// length like a file streamed through memory.
    pub(crate) fn scan_parquet_file(
        &mut self,
        file: std::fs::File,
        length: u64,
    ) -> Result<(), Skip> {
        self.count(usize::try_from(length).unwrap_or(usize::MAX))?;
        self.scan_parquet(file)
    }

    /// Parquet from any random-access source (a file on disk, or bytes in memory).
    fn scan_parquet<R: parquet::file::reader::ChunkReader + 'static>(
        &mut self,
        source: R,
    ) -> Result<(), Skip> {
        let budget = crate::parquet_rows::ParquetBudget {
            max_bytes: self.remaining(),
            max_expansion_ratio: self.limits.max_expansion_ratio,
            ratio_floor: self.limits.ratio_floor_bytes,
        };
        let collector = &mut *self.collector;
        crate::parquet_rows::records(source, &budget, &mut |index, path, value| {
            collector.segment(
                value,
                path,
                &Location::Record { index, json_path: path.to_string() },
            );
        })
        .map_err(Skip)
    }

    fn scan_pdf(&mut self, reader: &mut dyn Read) -> Result<(), Skip> {
        let bytes = self.read_bounded(reader, "PDF document")?;
        let pages = crate::pdf::extract_pages(&bytes, self.limits.max_in_memory_bytes);
        if pages.is_empty() {
            return Err(Skip("UNSUPPORTED_FILE_TYPE: PDF without extractable text".into()));
        }
        for (index, text) in pages.iter().enumerate() {
            self.collector.segment(
                text,
                "",
                &Location::Page { page: index as u64 + 1, first_line: 1 },
            );
        }
        Ok(())
    }
}

/// Appends `.key` (or `['key']` when the key is not a plain identifier) to a JSON path.
pub(crate) fn push_member(path: &mut String, key: &str) {
    if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !key.is_empty() {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str("['");
        path.push_str(&key.replace('\'', "\\'"));
        path.push_str("']");
    }
}

/// Reads one line (through `\n`) of at most `limit` bytes.
fn read_line_bounded(
    reader: &mut dyn BufRead,
    out: &mut Vec<u8>,
    limit: u64,
) -> Result<usize, Skip> {
    let n = reader.take(limit + 1).read_until(b'\n', out)?;
    if n as u64 > limit {
        return Err(Skip(format!("OBJECT_EXCEEDS_SIZE_QUOTA: a line longer than {limit} bytes")));
    }
    Ok(n)
}

/// Fills `buffer` unless the stream ends first.
/// `bytes` as text, invalid UTF-8 replaced. Checks with `str::from_utf8` first, whose
/// ASCII fast path is several times quicker than the lossy decoder's on valid text.
pub(crate) fn utf8_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    std::str::from_utf8(bytes)
        .map_or_else(|_| String::from_utf8_lossy(bytes), std::borrow::Cow::Borrowed)
}

fn read_full(reader: &mut dyn Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        let Some(rest) = buffer.get_mut(filled..) else { break };
        match reader.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Splits a CSV/TSV record into fields (RFC 4180 quoting).
fn split_fields(record: &str, delimiter: u8, out: &mut Vec<String>) {
    out.clear();
    let record = record.trim_end_matches(['\n', '\r']);
    let delimiter = delimiter as char;
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = record.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (false, '"') if field.is_empty() => quoted = true,
            (false, c) if c == delimiter => out.push(std::mem::take(&mut field)),
            (_, c) => field.push(c),
        }
    }
    out.push(field);
}

/// Stops after `left` bytes.
struct LimitReader<'a, R: Read> {
    inner: &'a mut R,
    left: u64,
}

impl<R: Read> Read for LimitReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other("EXPANSION_LIMIT_EXCEEDED: entry larger than declared"));
        }
        let max = buf.len().min(self.left as usize);
        let n = self.inner.read(buf.get_mut(..max).unwrap_or_default())?;
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"\x1f\x8b\x08\x00", "x"), Format::Gzip);
        assert_eq!(sniff(b"PK\x03\x04....", "x"), Format::Zip);
        assert_eq!(sniff(b"{\"a\": 1}", "x"), Format::Json);
        assert_eq!(sniff(b"{\"a\": 1}\n{\"a\": 2}\n", "x"), Format::JsonLines);
        assert_eq!(sniff(b"a,b,c\n1,2,3\n4,5,6\n7,8,9\n", "x"), Format::Csv);
        assert_eq!(sniff(b"a\tb\n1\t2\n3\t4\n", "x"), Format::Tsv);
        assert_eq!(sniff(b"<?xml version='1.0'?><a/>", "x"), Format::Xml);
        assert_eq!(sniff(b"<!DOCTYPE html><html>", "x"), Format::Html);
        assert_eq!(sniff(b"hello world\n", "x"), Format::Text);
        assert_eq!(sniff(b"\x7fELF\x02\x01", "x"), Format::Binary("ELF executable"));
        assert_eq!(sniff(b"abc\x00\x00def", "x"), Format::Binary("binary content"));
        assert_eq!(sniff(b"From: a@b.c\nSubject: hi\n\nbody", "x"), Format::Eml);
    }

    #[test]
    fn csv_fields() {
        let mut out = Vec::new();
        split_fields("a,\"b,c\",\"d \"\"q\"\"\"\n", b',', &mut out);
        assert_eq!(out, vec!["a", "b,c", "d \"q\""]);
    }
}
