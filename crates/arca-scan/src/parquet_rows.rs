//! Parquet as a record format: each row is a record, each leaf value is reported with the
//! JSON path of its column (`$.customer.ssn`, `$.phones[0]`, `$.attributes.team`), as
//! Macie locates occurrences in Parquet files.
//!
//! Reading goes through the `parquet` crate's row API over any `ChunkReader`: a file on
//! disk (random access to the footer without loading the file) or a bounded in-memory
//! copy of a streamed object. Declared sizes in the footer are checked against the
//! object's expansion limits before any page is decompressed.

use std::panic::{AssertUnwindSafe, catch_unwind};

use parquet::file::reader::{ChunkReader, FileReader, SerializedFileReader};
use parquet::record::Field;

/// Bounds for one Parquet file, taken from the object's `Limits`.
pub(crate) struct ParquetBudget {
    /// Bytes the file may expand to (uncompressed pages) and values may add up to.
    pub max_bytes: u64,
    /// Uncompressed bytes per stored byte, above `ratio_floor`.
    pub max_expansion_ratio: u64,
    /// Uncompressed sizes below this never trip the ratio check.
    pub ratio_floor: u64,
}

/// Calls `visit(record_index, json_path, value)` for every string, number and date in
/// the file. Errors are skip reasons (`INVALID_FILE: ...`, `EXPANSION_...`,
/// `OBJECT_EXCEEDS_SIZE_QUOTA: ...`).
pub(crate) fn records<R: ChunkReader + 'static>(
    source: R,
    budget: &ParquetBudget,
    visit: &mut dyn FnMut(u64, &str, &str),
) -> Result<(), String> {
    // The decoder is third-party code fed untrusted bytes: a panic inside it must become
    // a skipped object, not a crashed scan.
    catch_unwind(AssertUnwindSafe(|| read_rows(source, budget, visit))).unwrap_or_else(|_| {
        Err("INVALID_FILE: Parquet: the decoder rejected the file (internal panic)".into())
    })
}

fn read_rows<R: ChunkReader + 'static>(
    source: R,
    budget: &ParquetBudget,
    visit: &mut dyn FnMut(u64, &str, &str),
) -> Result<(), String> {
    let invalid = |error: parquet::errors::ParquetError| format!("INVALID_FILE: Parquet: {error}");
    let reader = SerializedFileReader::new(source).map_err(invalid)?;
    check_declared_sizes(&reader, budget)?;
    let rows = reader.get_row_iter(None).map_err(invalid)?;
    let mut walker = Walker { visit, path: String::from("$"), record: 0, bytes: 0, budget };
    for (index, row) in rows.enumerate() {
        let row = row.map_err(invalid)?;
        walker.record = index as u64;
        for (name, field) in row.get_column_iter() {
            walker.member(name, field)?;
        }
    }
    Ok(())
}

/// The footer states each row group's uncompressed size: a file that would expand past
/// the object's budget, or by more than the archive ratio, is refused before decoding.
fn check_declared_sizes<R: ChunkReader + 'static>(
    reader: &SerializedFileReader<R>,
    budget: &ParquetBudget,
) -> Result<(), String> {
    let metadata = reader.metadata();
    let mut uncompressed: u64 = 0;
    let mut stored: u64 = 0;
    for group in metadata.row_groups() {
        uncompressed =
            uncompressed.saturating_add(u64::try_from(group.total_byte_size()).unwrap_or(0));
        stored = stored.saturating_add(u64::try_from(group.compressed_size()).unwrap_or(0));
    }
    if uncompressed > budget.max_bytes {
        return Err(format!(
            "OBJECT_EXCEEDS_SIZE_QUOTA: Parquet data of {uncompressed} bytes uncompressed, over the per-object limit of {}",
            budget.max_bytes
        ));
    }
    if uncompressed > budget.ratio_floor
        && uncompressed > stored.saturating_mul(budget.max_expansion_ratio)
    {
        return Err(format!(
            "EXPANSION_RATIO_EXCEEDED: Parquet pages expand more than {}x",
            budget.max_expansion_ratio
        ));
    }
    Ok(())
}

struct Walker<'v, 'b> {
    visit: &'v mut dyn FnMut(u64, &str, &str),
    path: String,
    record: u64,
    bytes: u64,
    budget: &'b ParquetBudget,
}

impl Walker<'_, '_> {
    fn member(&mut self, name: &str, field: &Field) -> Result<(), String> {
        let length = self.path.len();
        crate::extract::push_member(&mut self.path, name);
        let outcome = self.field(field);
        self.path.truncate(length);
        outcome
    }

    fn field(&mut self, field: &Field) -> Result<(), String> {
        match field {
            Field::Str(text) => self.value(text),
            // Binary columns without a string annotation often hold text all the same.
            Field::Bytes(bytes) => match std::str::from_utf8(bytes.data()) {
                Ok(text) => self.value(text),
                Err(_) => Ok(()),
            },
            Field::Byte(_)
            | Field::Short(_)
            | Field::Int(_)
            | Field::Long(_)
            | Field::UByte(_)
            | Field::UShort(_)
            | Field::UInt(_)
            | Field::ULong(_)
            | Field::Decimal(_)
            | Field::Date(_) => self.value(&field.to_string()),
            // Floats, times, booleans and nulls carry no identifier on their own.
            Field::Null
            | Field::Bool(_)
            | Field::Float16(_)
            | Field::Float(_)
            | Field::Double(_)
            | Field::TimeMillis(_)
            | Field::TimeMicros(_)
            | Field::TimestampMillis(_)
            | Field::TimestampMicros(_) => Ok(()),
            Field::Group(row) => {
                for (name, child) in row.get_column_iter() {
                    self.member(name, child)?;
                }
                Ok(())
            }
            Field::ListInternal(list) => {
                for (index, element) in list.elements().iter().enumerate() {
                    let length = self.path.len();
                    self.path.push_str(&format!("[{index}]"));
                    let outcome = self.field(element);
                    self.path.truncate(length);
                    outcome?;
                }
                Ok(())
            }
            Field::MapInternal(map) => {
                for (key, value) in map.entries() {
                    let key = match key {
                        Field::Str(text) => text.clone(),
                        other => other.to_string(),
                    };
                    self.member(&key, value)?;
                }
                Ok(())
            }
        }
    }

    fn value(&mut self, text: &str) -> Result<(), String> {
        self.bytes = self.bytes.saturating_add(text.len() as u64);
        if self.bytes > self.budget.max_bytes {
            return Err(
                "OBJECT_EXCEEDS_SIZE_QUOTA: Parquet values over the per-object limit".into()
            );
        }
        (self.visit)(self.record, &self.path, text);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use parquet::basic::Compression;
    use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    use super::*;

    const SCHEMA: &str = "message customers {
        required binary name (UTF8);
        required group customer {
            required binary ssn (UTF8);
            required int64 account;
        }
    }";

    /// A real Parquet file written by the crate's own writer: names, a nested group with a
    /// string and an integer column, compressed with `codec`.
    fn customers(codec: Compression) -> Vec<u8> {
        let schema = Arc::new(parse_message_type(SCHEMA).unwrap());
        let properties = Arc::new(WriterProperties::builder().set_compression(codec).build());
        let mut buffer = Vec::new();
        let mut writer = SerializedFileWriter::new(&mut buffer, schema, properties).unwrap();
        let mut group = writer.next_row_group().unwrap();
        let names: Vec<ByteArray> = ["Alice", "Bob"].map(ByteArray::from).to_vec();
        let ssns: Vec<ByteArray> = ["n/a", "536-22-8726"].map(ByteArray::from).to_vec();
        let mut index = 0;
        while let Some(mut column) = group.next_column().unwrap() {
            match index {
                0 => column.typed::<ByteArrayType>().write_batch(&names, None, None).unwrap(),
                1 => column.typed::<ByteArrayType>().write_batch(&ssns, None, None).unwrap(),
                _ => {
                    column.typed::<Int64Type>().write_batch(&[1001, 123456789], None, None).unwrap()
                }
            };
            column.close().unwrap();
            index += 1;
        }
        group.close().unwrap();
        writer.close().unwrap();
        buffer
    }

    fn budget(max_bytes: u64) -> ParquetBudget {
        ParquetBudget { max_bytes, max_expansion_ratio: 200, ratio_floor: 1 << 20 }
    }

    fn visit_all(
        bytes: Vec<u8>,
        budget: &ParquetBudget,
    ) -> Result<Vec<(u64, String, String)>, String> {
        let mut seen = Vec::new();
        records(bytes::Bytes::from(bytes), budget, &mut |index, path, value| {
            seen.push((index, path.to_string(), value.to_string()));
        })?;
        Ok(seen)
    }

    #[test]
    fn rows_are_records_and_columns_are_paths() {
        for codec in [
            Compression::UNCOMPRESSED,
            Compression::SNAPPY,
            Compression::GZIP(Default::default()),
            Compression::ZSTD(Default::default()),
            Compression::LZ4_RAW,
        ] {
            let seen = visit_all(customers(codec), &budget(1 << 20)).unwrap();
            let expected = [
                (0, "$.name", "Alice"),
                (0, "$.customer.ssn", "n/a"),
                (0, "$.customer.account", "1001"),
                (1, "$.name", "Bob"),
                (1, "$.customer.ssn", "536-22-8726"),
                (1, "$.customer.account", "123456789"),
            ]
            .map(|(index, path, value)| (index, path.to_string(), value.to_string()));
            assert_eq!(seen, expected, "{codec:?}");
        }
    }

    #[test]
    fn malformed_files_are_reasons_not_panics() {
        let good = customers(Compression::SNAPPY);
        let mut cases: Vec<Vec<u8>> = vec![
            b"PAR1PAR1".to_vec(),
            [b"PAR1".as_slice(), &[0; 64], b"PAR1"].concat(),
            good.get(..good.len() / 2).unwrap().to_vec(),
        ];
        // Every single-byte corruption of the footer region.
        for offset in good.len().saturating_sub(200)..good.len() - 8 {
            let mut corrupt = good.clone();
            corrupt[offset] ^= 0x5a;
            cases.push(corrupt);
        }
        for case in cases {
            if let Err(reason) = visit_all(case, &budget(1 << 20)) {
                assert!(
                    reason.starts_with("INVALID_FILE: Parquet") || reason.contains("EXCEED"),
                    "{reason}"
                );
            }
        }
        let reason = visit_all(b"PAR1PAR1".to_vec(), &budget(1 << 20)).unwrap_err();
        assert!(reason.starts_with("INVALID_FILE: Parquet"), "{reason}");
    }

    #[test]
    fn declared_sizes_over_the_budget_are_refused() {
        let reason = visit_all(customers(Compression::UNCOMPRESSED), &budget(16)).unwrap_err();
        assert!(reason.starts_with("OBJECT_EXCEEDS_SIZE_QUOTA"), "{reason}");
    }
}
