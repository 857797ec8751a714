//! XLSX and DOCX: zip archives of XML parts, read with quick-xml.

use std::io::{Read, Seek};

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::extract::{Extraction, Skip};
use crate::report::Location;

fn part<R: Read + Seek>(
    ex: &mut Extraction<'_, '_>,
    archive: &mut zip::ZipArchive<R>,
    name: &str,
) -> Result<Option<Vec<u8>>, Skip> {
    match archive.by_name(name) {
        Ok(mut file) => Ok(Some(ex.take_part(&mut file, name)?)),
        Err(_) => Ok(None),
    }
}

fn unescape(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    quick_xml::escape::unescape(&text).map(|c| c.into_owned()).unwrap_or_else(|_| text.into_owned())
}

/// Shared strings of a workbook.
fn shared_strings(xml: &[u8]) -> Vec<String> {
    let mut reader = Reader::from_reader(xml);
    let mut strings = Vec::new();
    let mut current = String::new();
    let mut in_text = false;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.local_name().as_ref() == b"si" => current.clear(),
            Ok(Event::Start(e)) if e.local_name().as_ref() == b"t" => in_text = true,
            Ok(Event::End(e)) if e.local_name().as_ref() == b"t" => in_text = false,
            Ok(Event::End(e)) if e.local_name().as_ref() == b"si" => {
                strings.push(std::mem::take(&mut current))
            }
            Ok(Event::Text(t)) if in_text => current.push_str(&unescape(&t)),
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    strings
}

/// Column number (1-based) of a cell reference such as `AB12`.
fn column_of(reference: &str) -> u64 {
    reference
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .fold(0, |acc, c| acc * 26 + u64::from(c.to_ascii_uppercase() as u8 - b'A' + 1))
}

fn row_of(reference: &str) -> u64 {
    reference.trim_start_matches(|c: char| c.is_ascii_alphabetic()).parse().unwrap_or(0)
}

pub(crate) fn scan_xlsx<R: Read + Seek>(
    ex: &mut Extraction<'_, '_>,
    archive: &mut zip::ZipArchive<R>,
) -> Result<(), Skip> {
    let strings =
        part(ex, archive, "xl/sharedStrings.xml")?.map(|x| shared_strings(&x)).unwrap_or_default();
    let mut sheets: Vec<String> = archive
        .file_names()
        .filter(|n| n.starts_with("xl/worksheets/sheet") && n.ends_with(".xml"))
        .map(str::to_string)
        .collect();
    sheets.sort_by_key(|n| {
        n.trim_start_matches("xl/worksheets/sheet")
            .trim_end_matches(".xml")
            .parse::<u32>()
            .unwrap_or(0)
    });
    for sheet in sheets {
        let Some(xml) = part(ex, archive, &sheet)? else { continue };
        let mut reader = Reader::from_reader(xml.as_slice());
        let mut buf = Vec::new();
        let mut header: Vec<(u64, String)> = Vec::new();
        let mut reference = String::new();
        let mut kind = String::new();
        let mut value = String::new();
        let mut in_value = false;
        loop {
            match reader.read_event_into(&mut buf) {
                Ok(Event::Start(e)) if e.local_name().as_ref() == b"c" => {
                    reference.clear();
                    kind.clear();
                    value.clear();
                    for attribute in e.attributes().flatten() {
                        match attribute.key.as_ref() {
                            b"r" => {
                                reference = String::from_utf8_lossy(&attribute.value).into_owned()
                            }
                            b"t" => kind = String::from_utf8_lossy(&attribute.value).into_owned(),
                            _ => {}
                        }
                    }
                }
                Ok(Event::Start(e)) if matches!(e.local_name().as_ref(), b"v" | b"t") => {
                    in_value = true
                }
                Ok(Event::End(e)) if matches!(e.local_name().as_ref(), b"v" | b"t") => {
                    in_value = false
                }
                Ok(Event::Text(t)) if in_value => value.push_str(&unescape(&t)),
                Ok(Event::End(e)) if e.local_name().as_ref() == b"c" => {
                    let text = if kind == "s" {
                        value
                            .trim()
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| strings.get(i))
                            .cloned()
                            .unwrap_or_default()
                    } else {
                        value.clone()
                    };
                    if text.is_empty() {
                        continue;
                    }
                    let (row, column) = (row_of(&reference), column_of(&reference));
                    if row == 1 {
                        header.push((column, text.clone()));
                    }
                    let column_name = header
                        .iter()
                        .find(|(c, _)| *c == column)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_default();
                    let context = if row == 1 { String::new() } else { column_name.clone() };
                    let location = Location::Cell {
                        row,
                        column,
                        column_name,
                        cell_reference: Some(reference.clone()),
                    };
                    ex.cell_segment(&text, &context, location);
                }
                Ok(Event::Eof) => break,
                Err(error) => return Err(Skip(format!("INVALID_FILE: {sheet}: {error}"))),
                _ => {}
            }
            buf.clear();
        }
    }
    Ok(())
}

pub(crate) fn scan_docx<R: Read + Seek>(
    ex: &mut Extraction<'_, '_>,
    archive: &mut zip::ZipArchive<R>,
) -> Result<(), Skip> {
    let Some(xml) = part(ex, archive, "word/document.xml")? else { return Ok(()) };
    let mut reader = Reader::from_reader(xml.as_slice());
    let mut buf = Vec::new();
    let mut text = String::new();
    let mut in_text = false;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.local_name().as_ref() == b"t" => in_text = true,
            Ok(Event::End(e)) if e.local_name().as_ref() == b"t" => in_text = false,
            Ok(Event::End(e)) if e.local_name().as_ref() == b"p" => text.push('\n'),
            Ok(Event::Empty(e)) if matches!(e.local_name().as_ref(), b"tab" | b"br") => {
                text.push(' ')
            }
            Ok(Event::Text(t)) if in_text => text.push_str(&unescape(&t)),
            Ok(Event::Eof) => break,
            Err(error) => return Err(Skip(format!("INVALID_FILE: word/document.xml: {error}"))),
            _ => {}
        }
        buf.clear();
    }
    ex.text_segment(&text, Location::Text { first_line: 1 });
    Ok(())
}
