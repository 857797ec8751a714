//! The `--metadata-output` records of `arca encrypt` / `arca decrypt`, byte for byte as
//! the AWS Encryption CLI writes them, so that scripts reading one read the other.
//!
//! That CLI writes one line per file with Python's `json.dumps(record, sort_keys=True)`:
//! keys sorted, `", "` and `": "` as separators, and every character outside printable
//! ASCII escaped as `\uXXXX`. Its header record names the fields of the Python SDK's
//! header structure, so the fields a format version does not have are `null`, and the
//! metadata file is appended to unless `--overwrite-metadata` is given.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Component, Path};

use anyhow::Context as _;
use base64::Engine as _;
use serde_json::{Value, json};

use crate::{ContentType, MessageFormatVersion, MessageHeader};

/// The object type byte of a version 1 header ("customer authenticated encrypted data").
const V1_OBJECT_TYPE: u8 = 128;

/// Where metadata records go.
pub(crate) enum MetadataSink {
    Stdout,
    File(BufWriter<File>),
}

impl MetadataSink {
    /// Opens `-` (stdout) or a file, appended to unless `overwrite`.
    pub(crate) fn open(target: &str, overwrite: bool) -> anyhow::Result<Self> {
        if target == "-" {
            return Ok(Self::Stdout);
        }
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .append(!overwrite)
            .truncate(overwrite)
            .open(target)
            .with_context(|| format!("cannot write metadata to {target}"))?;
        Ok(Self::File(BufWriter::new(file)))
    }

    /// Writes one record as one line and flushes it, so a later failure keeps it.
    pub(crate) fn write_record(&mut self, record: &Value) -> anyhow::Result<()> {
        let mut line = to_python_json(record);
        line.push('\n');
        match self {
            Self::Stdout => {
                let mut stdout = io::stdout().lock();
                stdout.write_all(line.as_bytes())?;
                stdout.flush()?;
            }
            Self::File(file) => {
                file.write_all(line.as_bytes())?;
                file.flush()?;
            }
        }
        Ok(())
    }
}

/// The name the AWS Encryption CLI gives a path (Python's `os.path.abspath`): absolute,
/// `.` and `..` folded lexically, not resolved through links; `<stdin>` / `<stdout>` for
/// the standard streams.
pub(crate) fn path_name(path: Option<&Path>, stdio: &str) -> String {
    let Some(path) = path else {
        return stdio.to_string();
    };
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut folded = std::path::PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                // `..` at the root stays at the root, as in `normpath`.
                folded.pop();
            }
            Component::CurDir => {}
            other => folded.push(other),
        }
    }
    folded.display().to_string()
}

/// One record: mode, input, output and the header; on decrypt also the header
/// authentication (IV and tag).
pub(crate) fn record(mode: &str, input: String, output: String, header: &MessageHeader) -> Value {
    let mut record = serde_json::Map::new();
    record.insert("mode".into(), mode.into());
    record.insert("input".into(), input.into());
    record.insert("output".into(), output.into());
    record.insert("header".into(), header_json(header));
    if mode == "decrypt" {
        let auth = json!({"iv": b64(&header.header_iv), "tag": b64(&header.auth_tag)});
        record.insert("header_auth".into(), auth);
    }
    Value::Object(record)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The header with the field names and value forms of the AWS Encryption CLI.
fn header_json(header: &MessageHeader) -> Value {
    let context: serde_json::Map<String, Value> =
        header.encryption_context.iter().map(|(k, v)| (k.to_string(), Value::from(v))).collect();
    // That CLI lists the data keys ordered by provider id, then provider info, as bytes.
    let mut keys: Vec<_> = header.encrypted_data_keys.iter().collect();
    keys.sort_by(|a, b| {
        (a.provider_id.as_bytes(), a.provider_info.as_slice())
            .cmp(&(b.provider_id.as_bytes(), b.provider_info.as_slice()))
    });
    let keys: Vec<Value> = keys
        .into_iter()
        .map(|key| {
            json!({
                "key_provider": {
                    "provider_id": b64(key.provider_id.as_bytes()),
                    "key_info": b64(&key.provider_info),
                },
                "encrypted_data_key": b64(&key.ciphertext),
            })
        })
        .collect();
    let v1 = header.version() == MessageFormatVersion::V1;
    json!({
        "version": if v1 { "1.0" } else { "2.0" },
        "type": if v1 { Some(V1_OBJECT_TYPE) } else { None },
        "algorithm": header.suite.name(),
        "message_id": b64(&header.message_id),
        "encryption_context": context,
        "encrypted_data_keys": keys,
        "content_type": match header.content_type {
            ContentType::NonFramed => 1,
            ContentType::Framed => 2,
        },
        "header_iv_length": if v1 { Some(header.header_iv.len()) } else { None },
        "frame_length": header.frame_length,
        "commitment_key": if header.suite_data.is_empty() { None } else { Some(b64(&header.suite_data)) },
    })
}

/// Serialises as Python's `json.dumps(value, sort_keys=True)` does.
fn to_python_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => out.push_str(&number.to_string()),
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Python sorts keys by code point, which is the byte order of UTF-8.
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_string(key, out);
                out.push_str(": ");
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string with `ensure_ascii`: printable ASCII as is, the usual short escapes,
/// everything else as UTF-16 `\uXXXX` escapes.
fn write_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_python_json_dumps_with_sorted_keys() {
        let value = json!({"b": [1, null, true], "a": {"y": "x", "x": 2.5}, "": false});
        assert_eq!(
            to_python_json(&value),
            r#"{"": false, "a": {"x": 2.5, "y": "x"}, "b": [1, null, true]}"#
        );
    }

    #[test]
    fn escapes_everything_outside_printable_ascii() {
        // The expected text is what `json.dumps` gives for the same string.
        let value = json!("q\"b\\ n\n t\t \u{1} \u{7f} é 中 😀");
        assert_eq!(
            to_python_json(&value),
            r#""q\"b\\ n\n t\t \u0001 \u007f \u00e9 \u4e2d \ud83d\ude00""#
        );
    }

    #[test]
    fn paths_are_absolute_and_stdio_is_named() {
        assert_eq!(path_name(None, "<stdin>"), "<stdin>");
        let name = path_name(Some(Path::new("a/b.txt")), "<stdin>");
        assert!(Path::new(&name).is_absolute() && name.ends_with("a/b.txt"), "{name}");
        assert_eq!(path_name(Some(Path::new("/x/./y/../z.txt")), "-"), "/x/z.txt");
        assert_eq!(path_name(Some(Path::new("/../z.txt")), "-"), "/z.txt");
    }

    #[test]
    fn sink_appends_unless_told_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meta.json");
        let path_text = path.to_str().unwrap();
        for _ in 0..2 {
            MetadataSink::open(path_text, false).unwrap().write_record(&json!({"n": 1})).unwrap();
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"n\": 1}\n{\"n\": 1}\n");
        MetadataSink::open(path_text, true).unwrap().write_record(&json!({"n": 2})).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"n\": 2}\n");
    }
}
