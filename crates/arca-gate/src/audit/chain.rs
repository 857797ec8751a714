//! Chain fields and verification (pure).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `previousHash` of the first event ever written.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The last link of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    /// Sequence number of the last event (0 before the first).
    pub sequence: u64,
    /// Its hash (GENESIS_HASH before the first).
    pub hash: String,
}

impl Default for ChainHead {
    fn default() -> Self {
        Self { sequence: 0, hash: GENESIS_HASH.to_string() }
    }
}

/// The hash of an event object that already carries `sequence` and `previousHash`.
/// serde_json's map keeps keys sorted, which makes the serialisation canonical.
pub fn chain_hash(previous_hash: &str, event_without_hash: &Value) -> String {
    chain_hash_of_canonical(
        previous_hash,
        &serde_json::to_vec(event_without_hash).unwrap_or_default(),
    )
}

/// The hash over an already serialised canonical event (what the writer has in hand).
pub fn chain_hash_of_canonical(previous_hash: &str, canonical: &[u8]) -> String {
    let mut hasher = arca_crypto::digest::Hasher::new(arca_crypto::digest::HashAlgorithm::Sha256);
    hasher.update(previous_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical);
    hex::encode(hasher.finish())
}

/// The outcome of checking a sequence of lines.
#[derive(Debug, Default)]
pub struct Verification {
    /// One `line N: reason` per broken link, in order.
    pub problems: Vec<String>,
    /// The last good link, to continue with the next file.
    pub head: Option<ChainHead>,
    /// Lines checked.
    pub lines: u64,
}

/// Checks `lines` (one file's content) continuing from `previous` (the head of the
/// files before it, or `None` when this is the first file given).
pub fn verify_lines<'a>(
    lines: impl Iterator<Item = &'a str>,
    previous: Option<ChainHead>,
) -> Verification {
    let mut result = Verification { head: previous, ..Default::default() };
    for (index, line) in lines.enumerate() {
        let number = index + 1;
        result.lines += 1;
        if line.trim().is_empty() {
            result.problems.push(format!("line {number}: empty line"));
            continue;
        }
        let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(line) else {
            result.problems.push(format!("line {number}: not a JSON object"));
            continue;
        };
        let Some(Value::String(hash)) = object.remove("hash") else {
            result.problems.push(format!("line {number}: missing hash"));
            continue;
        };
        let sequence = object.get("sequence").and_then(Value::as_u64);
        let previous_hash = object.get("previousHash").and_then(Value::as_str).map(str::to_string);
        let (Some(sequence), Some(previous_hash)) = (sequence, previous_hash) else {
            result.problems.push(format!("line {number}: missing sequence or previousHash"));
            continue;
        };
        let recomputed = chain_hash(&previous_hash, &Value::Object(object));
        if !arca_crypto::ct_eq(recomputed.as_bytes(), hash.as_bytes()) {
            result.problems.push(format!(
                "line {number}: record was changed (hash mismatch at sequence {sequence})"
            ));
        }
        match &result.head {
            Some(head) if sequence != head.sequence + 1 => result.problems.push(format!(
                "line {number}: sequence {sequence} follows {}: records were removed or reordered",
                head.sequence
            )),
            Some(head) if previous_hash != head.hash => result
                .problems
                .push(format!("line {number}: previousHash does not match the record before it")),
            None if sequence == 1 && previous_hash != GENESIS_HASH => result
                .problems
                .push(format!("line {number}: the first record does not start the chain")),
            _ => {}
        }
        result.head = Some(ChainHead { sequence, hash });
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<String> {
        let mut head = ChainHead::default();
        (1..=n)
            .map(|sequence| {
                let mut event = serde_json::json!({"eventName": "Encrypt", "n": sequence});
                event["sequence"] = sequence.into();
                event["previousHash"] = head.hash.clone().into();
                let hash = chain_hash(&head.hash, &event);
                event["hash"] = hash.clone().into();
                head = ChainHead { sequence, hash };
                event.to_string()
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies() {
        let lines = chain(5);
        let result = verify_lines(lines.iter().map(String::as_str), None);
        assert!(result.problems.is_empty(), "{:?}", result.problems);
        assert_eq!(result.head.unwrap().sequence, 5);
    }

    #[test]
    fn changed_removed_and_reordered_lines_are_reported() {
        let mut changed = chain(4);
        changed[1] = changed[1].replace("Encrypt", "Decrypt");
        let result = verify_lines(changed.iter().map(String::as_str), None);
        assert!(
            result.problems[0].starts_with("line 2: record was changed"),
            "{:?}",
            result.problems
        );

        let mut removed = chain(4);
        removed.remove(2);
        let result = verify_lines(removed.iter().map(String::as_str), None);
        assert!(
            result.problems[0].starts_with("line 3: sequence 4 follows 2"),
            "{:?}",
            result.problems
        );

        let mut reordered = chain(4);
        reordered.swap(1, 2);
        let result = verify_lines(reordered.iter().map(String::as_str), None);
        assert!(result.problems.iter().any(|p| p.starts_with("line 2:")), "{:?}", result.problems);
    }

    #[test]
    fn continues_across_files() {
        let lines = chain(6);
        let first = verify_lines(lines[..3].iter().map(String::as_str), None);
        let second = verify_lines(lines[3..].iter().map(String::as_str), first.head);
        assert!(second.problems.is_empty());
        let skipped = verify_lines(
            lines[4..].iter().map(String::as_str),
            verify_lines(lines[..3].iter().map(String::as_str), None).head,
        );
        assert!(!skipped.problems.is_empty());
    }
}
