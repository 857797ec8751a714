//! A small Avro object container reader: the schema from the header, `null` and `deflate`
//! codecs, every Avro type. Each record yields its string and number values with their
//! JSON paths, as Macie locates occurrences in Avro records.

use std::collections::HashMap;
use std::io::Read;

use serde_json::Value;

/// Deepest schema nesting followed.
const MAX_DEPTH: usize = 64;
/// Items decoded per block at most (guards zero-width items such as nulls).
const MAX_ITEMS: u64 = 10_000_000;

/// Calls `visit(record_index, json_path, value)` for each leaf value; returns an error
/// reason when the file cannot be read.
pub(crate) fn records(
    data: &[u8],
    limit: u64,
    visit: &mut dyn FnMut(u64, &str, &str),
) -> Result<(), String> {
    let mut input = Input { data, at: 0 };
    if input.take(4)? != b"Obj\x01" {
        return Err("not an Avro object container".into());
    }
    let mut metadata = HashMap::new();
    loop {
        let count = input.block_count()?;
        if count == 0 {
            break;
        }
        for _ in 0..count {
            let key = String::from_utf8_lossy(input.bytes()?).into_owned();
            let value = input.bytes()?.to_vec();
            metadata.insert(key, value);
        }
    }
    let sync = input.take(16)?.to_vec();
    let schema: Value =
        serde_json::from_slice(metadata.get("avro.schema").ok_or("missing avro.schema")?)
            .map_err(|e| format!("invalid schema: {e}"))?;
    let codec = metadata
        .get("avro.codec")
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .unwrap_or_else(|| "null".into());
    let mut names = HashMap::new();
    collect_names(&schema, &mut names, 0);
    let mut index = 0u64;
    let mut inflated_total = 0u64;
    while input.at < input.data.len() {
        let count = input.long()?;
        let size = input.long()?;
        let block = input.take(usize::try_from(size).map_err(|_| "negative block size")?)?;
        let decoded;
        let body: &[u8] = match codec.as_str() {
            "null" => block,
            "deflate" => {
                let mut out = Vec::new();
                flate2::read::DeflateDecoder::new(block)
                    .take(limit.saturating_sub(inflated_total) + 1)
                    .read_to_end(&mut out)
                    .map_err(|e| format!("deflate: {e}"))?;
                inflated_total += out.len() as u64;
                if inflated_total > limit {
                    return Err(format!(
                        "EXPANSION_LIMIT_EXCEEDED: Avro blocks inflate beyond {limit} bytes"
                    ));
                }
                decoded = out;
                &decoded
            }
            other => return Err(format!("UNSUPPORTED_FILE_TYPE: Avro codec {other}")),
        };
        let mut block_input = Input { data: body, at: 0 };
        for _ in 0..count.clamp(0, MAX_ITEMS as i64) {
            let mut path = String::from("$");
            decode(&schema, &names, &mut block_input, &mut path, 0, &mut |p, v| {
                visit(index, p, v)
            })?;
            index += 1;
        }
        if input.take(16)? != sync.as_slice() {
            return Err("sync marker mismatch".into());
        }
    }
    Ok(())
}

struct Input<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Input<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).ok_or("overflow")?;
        let slice = self.data.get(self.at..end).ok_or("truncated Avro data")?;
        self.at = end;
        Ok(slice)
    }

    fn long(&mut self) -> Result<i64, String> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = *self.take(1)?.first().ok_or("truncated varint")?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok((value >> 1) as i64 ^ -((value & 1) as i64));
            }
        }
        Err("varint too long".into())
    }

    /// The item count that opens a map or array block. A negative count is followed by
    /// the block's size in bytes, which a sequential reader skips; `unsigned_abs` because
    /// hostile input may give `i64::MIN`, whose negation overflows.
    fn block_count(&mut self) -> Result<u64, String> {
        let count = self.long()?;
        if count < 0 {
            self.long()?;
        }
        Ok(count.unsigned_abs())
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let length = self.long()?;
        self.take(usize::try_from(length).map_err(|_| "negative length")?)
    }
}

fn collect_names<'s>(schema: &'s Value, names: &mut HashMap<String, &'s Value>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match schema {
        Value::Object(map) => {
            if let Some(name) = map.get("name").and_then(Value::as_str)
                && matches!(
                    map.get("type").and_then(Value::as_str),
                    Some("record" | "enum" | "fixed" | "error")
                )
            {
                names.insert(name.to_string(), schema);
                if let Some(namespace) = map.get("namespace").and_then(Value::as_str) {
                    names.insert(format!("{namespace}.{name}"), schema);
                }
            }
            for child in map.values() {
                collect_names(child, names, depth + 1);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_names(item, names, depth + 1)),
        _ => {}
    }
}

fn decode(
    schema: &Value,
    names: &HashMap<String, &Value>,
    input: &mut Input<'_>,
    path: &mut String,
    depth: usize,
    visit: &mut dyn FnMut(&str, &str),
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("Avro schema nesting too deep".into());
    }
    let kind = match schema {
        Value::String(kind) => kind.as_str(),
        Value::Array(branches) => {
            let branch = input.long()?;
            let chosen = usize::try_from(branch)
                .ok()
                .and_then(|b| branches.get(b))
                .ok_or("invalid union branch")?;
            return decode(chosen, names, input, path, depth + 1, visit);
        }
        Value::Object(map) => {
            map.get("type").and_then(Value::as_str).ok_or("schema without type")?
        }
        _ => return Err("invalid schema".into()),
    };
    match kind {
        "null" => {}
        "boolean" => {
            input.take(1)?;
        }
        "int" | "long" => {
            let value = input.long()?;
            visit(path, &value.to_string());
        }
        "float" => {
            input.take(4)?;
        }
        "double" => {
            input.take(8)?;
        }
        "bytes" | "string" => {
            let bytes = input.bytes()?;
            visit(path, &String::from_utf8_lossy(bytes));
        }
        "fixed" => {
            let size = schema.get("size").and_then(Value::as_u64).ok_or("fixed without size")?;
            input.take(usize::try_from(size).map_err(|_| "fixed too large")?)?;
        }
        "enum" => {
            let symbol = input.long()?;
            let symbols = schema.get("symbols").and_then(Value::as_array);
            if let Some(name) = symbols
                .and_then(|s| usize::try_from(symbol).ok().and_then(|i| s.get(i)))
                .and_then(Value::as_str)
            {
                visit(path, name);
            }
        }
        "record" | "error" => {
            let fields =
                schema.get("fields").and_then(Value::as_array).ok_or("record without fields")?;
            let length = path.len();
            for field in fields {
                let name = field.get("name").and_then(Value::as_str).unwrap_or("?");
                path.push('.');
                path.push_str(name);
                let field_type = field.get("type").ok_or("field without type")?;
                decode(field_type, names, input, path, depth + 1, visit)?;
                path.truncate(length);
            }
        }
        "array" | "map" => {
            let items = if kind == "array" { schema.get("items") } else { schema.get("values") }
                .ok_or("array without items")?;
            let length = path.len();
            let mut position = 0u64;
            loop {
                let count = input.block_count()?;
                if count == 0 {
                    break;
                }
                for _ in 0..count {
                    position += 1;
                    if position > MAX_ITEMS {
                        return Err("too many Avro items".into());
                    }
                    if kind == "map" {
                        let key = String::from_utf8_lossy(input.bytes()?).into_owned();
                        path.push('.');
                        path.push_str(&key);
                    } else {
                        path.push_str(&format!("[{}]", position - 1));
                    }
                    decode(items, names, input, path, depth + 1, visit)?;
                    path.truncate(length);
                }
            }
        }
        named => {
            let resolved =
                names.get(named).copied().ok_or_else(|| format!("unknown Avro type {named}"))?;
            if std::ptr::eq(resolved, schema) {
                return Err("self-referencing Avro type".into());
            }
            return decode(resolved, names, input, path, depth + 1, visit);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long(value: i64, out: &mut Vec<u8>) {
        let mut n = ((value << 1) ^ (value >> 63)) as u64;
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }

    fn string(text: &str, out: &mut Vec<u8>) {
        long(text.len() as i64, out);
        out.extend_from_slice(text.as_bytes());
    }

    #[test]
    fn reads_records_with_paths() {
        let schema = r#"{"type":"record","name":"P","fields":[{"name":"name","type":"string"},{"name":"ids","type":{"type":"map","values":["null","string"]}}]}"#;
        let mut file = b"Obj\x01".to_vec();
        long(1, &mut file);
        string("avro.schema", &mut file);
        string(schema, &mut file);
        long(0, &mut file);
        let sync = [7u8; 16];
        file.extend_from_slice(&sync);
        let mut block = Vec::new();
        for (name, ssn) in [("Alice", "536-22-8726"), ("Bob", "123-45-6788")] {
            string(name, &mut block);
            long(1, &mut block);
            string("ssn", &mut block);
            long(1, &mut block);
            string(ssn, &mut block);
            long(0, &mut block);
        }
        long(2, &mut file);
        long(block.len() as i64, &mut file);
        file.extend_from_slice(&block);
        file.extend_from_slice(&sync);
        let mut seen = Vec::new();
        records(&file, 1 << 20, &mut |index, path, value| {
            seen.push((index, path.to_string(), value.to_string()))
        })
        .unwrap();
        assert_eq!(seen[1], (0, "$.ids.ssn".to_string(), "536-22-8726".to_string()));
        assert_eq!(seen[3], (1, "$.ids.ssn".to_string(), "123-45-6788".to_string()));
        assert!(records(&file[..file.len() - 3], 1 << 20, &mut |_, _, _| {}).is_err());
    }

    #[test]
    fn negative_block_counts_are_read_and_the_most_negative_does_not_overflow() {
        // A negative count carries the block's byte size after it (Avro 1.11, "Complex Types").
        let mut file = b"Obj\x01".to_vec();
        long(-1, &mut file);
        long(99, &mut file);
        string("avro.schema", &mut file);
        string(r#""string""#, &mut file);
        long(0, &mut file);
        file.extend_from_slice(&[7u8; 16]);
        let mut block = Vec::new();
        string("536-22-8726", &mut block);
        long(1, &mut file);
        long(block.len() as i64, &mut file);
        file.extend_from_slice(&block);
        file.extend_from_slice(&[7u8; 16]);
        let mut seen = Vec::new();
        records(&file, 1 << 20, &mut |_, _, value| seen.push(value.to_string())).unwrap();
        assert_eq!(seen, ["536-22-8726"]);

        // Found by the fuzzer: i64::MIN as the metadata count.
        let mut hostile = b"Obj\x01".to_vec();
        long(i64::MIN, &mut hostile);
        long(0, &mut hostile);
        let error = records(&hostile, 1 << 20, &mut |_, _, _| {}).unwrap_err();
        assert!(error.contains("truncated"), "{error}");
    }
}
