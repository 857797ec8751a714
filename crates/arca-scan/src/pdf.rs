//! A small PDF text extractor: inflates content streams and collects the strings shown by
//! text operators. Each content stream with text counts as one page, in file order; fonts
//! with custom encodings (CID fonts) are not decoded.

use std::io::Read;

/// Text of each page-like content stream, at most `limit` bytes inflated in all.
pub(crate) fn extract_pages(pdf: &[u8], limit: u64) -> Vec<String> {
    let mut pages = Vec::new();
    let mut budget = limit;
    let mut at = 0;
    while let Some(found) = memchr::memmem::find(pdf.get(at..).unwrap_or_default(), b"stream") {
        let keyword = at + found;
        at = keyword + 6;
        // Skip "endstream".
        if keyword >= 3 && pdf.get(keyword - 3..keyword) == Some(b"end") {
            continue;
        }
        let mut start = at;
        if pdf.get(start) == Some(&b'\r') {
            start += 1;
        }
        if pdf.get(start) == Some(&b'\n') {
            start += 1;
        }
        let Some(length) = memchr::memmem::find(pdf.get(start..).unwrap_or_default(), b"endstream")
        else {
            break;
        };
        let data = pdf.get(start..start + length).unwrap_or_default();
        at = start + length + 9;
        let dictionary_start = keyword.saturating_sub(512);
        let dictionary = pdf.get(dictionary_start..keyword).unwrap_or_default();
        let dictionary = match memchr::memmem::rfind(dictionary, b"obj") {
            Some(i) => dictionary.get(i..).unwrap_or_default(),
            None => dictionary,
        };
        let content = if memchr::memmem::find(dictionary, b"FlateDecode").is_some() {
            let mut out = Vec::new();
            let decoder = flate2::read::ZlibDecoder::new(data);
            if decoder.take(budget).read_to_end(&mut out).is_err() && out.is_empty() {
                continue;
            }
            budget = budget.saturating_sub(out.len() as u64);
            out
        } else if memchr::memmem::find(dictionary, b"Filter").is_some() {
            continue;
        } else {
            data.to_vec()
        };
        if let Some(text) = show_text(&content) {
            pages.push(text);
        }
        if budget == 0 {
            break;
        }
    }
    pages
}

/// Strings shown between BT and ET, with line breaks at text positioning operators.
fn show_text(content: &[u8]) -> Option<String> {
    memchr::memmem::find(content, b"BT")?;
    let mut text = String::new();
    let mut i = 0;
    let mut last_was_string = false;
    while let Some(&byte) = content.get(i) {
        match byte {
            b'(' => {
                let mut depth = 1;
                i += 1;
                while let Some(&c) = content.get(i) {
                    match c {
                        b'\\' => {
                            i += 1;
                            match content.get(i) {
                                Some(b'n') => text.push('\n'),
                                Some(b'r') | Some(b't') => text.push(' '),
                                Some(d @ b'0'..=b'7') => {
                                    let mut value = u32::from(d - b'0');
                                    for _ in 0..2 {
                                        match content.get(i + 1) {
                                            Some(d @ b'0'..=b'7') => {
                                                value = value * 8 + u32::from(d - b'0');
                                                i += 1;
                                            }
                                            _ => break,
                                        }
                                    }
                                    text.push(char::from_u32(value).unwrap_or(' '));
                                }
                                Some(other) => text.push(*other as char),
                                None => {}
                            }
                        }
                        b'(' => {
                            depth += 1;
                            text.push('(');
                        }
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                            text.push(')');
                        }
                        other => text.push(other as char),
                    }
                    i += 1;
                }
                last_was_string = true;
            }
            b'T' if matches!(content.get(i + 1), Some(b'd' | b'D' | b'*')) && last_was_string => {
                text.push('\n');
                last_was_string = false;
            }
            b'E' if content.get(i + 1) == Some(&b'T') && last_was_string => {
                text.push('\n');
                last_was_string = false;
            }
            b'\'' | b'"' => text.push('\n'),
            _ => {}
        }
        i += 1;
    }
    (!text.trim().is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_uncompressed_text() {
        let pdf = b"%PDF-1.4\n1 0 obj<</Length 44>>stream\nBT /F1 12 Tf (SSN: 536-22-8726) Tj ET\nendstream endobj";
        let pages = extract_pages(pdf, 1 << 20);
        assert_eq!(pages.len(), 1);
        assert!(pages[0].contains("536-22-8726"));
    }
}
