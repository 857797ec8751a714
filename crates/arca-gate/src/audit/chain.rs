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
    let mut verifier = ChainVerifier::new(previous);
    let mut problems = Vec::new();
    for (index, line) in lines.enumerate() {
        verifier.check_line(index + 1, line, &mut problems);
    }
    Verification { problems, head: verifier.head, lines: verifier.lines }
}

/// What `verify` says of an incomplete final line.
pub const TORN_FINAL_LINE: &str = "torn final line (an incomplete write, e.g. a crash)";

/// Checks the files of one chain in order, and remembers the hashes at the sequences
/// it was asked to watch (those the signed digests cover).
#[derive(Debug, Default)]
pub struct ChainVerifier {
    head: Option<ChainHead>,
    first_sequence: Option<u64>,
    watched: std::collections::BTreeMap<u64, Option<String>>,
    lines: u64,
}

impl ChainVerifier {
    /// Starts after `previous` (or anywhere, when `None`).
    pub fn new(previous: Option<ChainHead>) -> Self {
        Self { head: previous, ..Self::default() }
    }

    /// Remembers the hash of the record at `sequence` when it is seen.
    pub fn watch(&mut self, sequence: u64) {
        self.watched.entry(sequence).or_insert(None);
    }

    /// The hash of the watched record at `sequence`, if it was seen.
    pub fn watched_hash(&self, sequence: u64) -> Option<&str> {
        self.watched.get(&sequence).and_then(Option::as_deref)
    }

    /// The last good link so far.
    pub fn head(&self) -> Option<&ChainHead> {
        self.head.as_ref()
    }

    /// The sequence of the first record seen.
    pub fn first_sequence(&self) -> Option<u64> {
        self.first_sequence
    }

    /// Lines checked so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Checks one file's whole text and returns its problems (`line N: reason`, N
    /// counted within the file). A final line without its newline that is not a
    /// whole record is reported as torn.
    pub fn check_text(&mut self, text: &str) -> Vec<String> {
        let mut problems = Vec::new();
        let (complete, unterminated) = match text.rfind('\n') {
            Some(end) => (Some(&text[..end]), &text[end + 1..]),
            None => (None, text),
        };
        let mut number = 0;
        for line in complete.into_iter().flat_map(|complete| complete.split('\n')) {
            number += 1;
            self.check_line(number, line, &mut problems);
        }
        if !unterminated.is_empty() {
            number += 1;
            if is_object(unterminated) {
                self.check_line(number, unterminated, &mut problems);
            } else {
                self.lines += 1;
                problems.push(format!("line {number}: {TORN_FINAL_LINE}"));
            }
        }
        problems
    }

    fn check_line(&mut self, number: usize, line: &str, problems: &mut Vec<String>) {
        self.lines += 1;
        if line.trim().is_empty() {
            problems.push(format!("line {number}: empty line"));
            return;
        }
        let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(line) else {
            problems.push(format!("line {number}: not a JSON object"));
            return;
        };
        let Some(Value::String(hash)) = object.remove("hash") else {
            problems.push(format!("line {number}: missing hash"));
            return;
        };
        let sequence = object.get("sequence").and_then(Value::as_u64);
        let previous_hash = object.get("previousHash").and_then(Value::as_str).map(str::to_string);
        let (Some(sequence), Some(previous_hash)) = (sequence, previous_hash) else {
            problems.push(format!("line {number}: missing sequence or previousHash"));
            return;
        };
        let recomputed = chain_hash(&previous_hash, &Value::Object(object));
        if !arca_crypto::ct_eq(recomputed.as_bytes(), hash.as_bytes()) {
            problems.push(format!(
                "line {number}: record was changed (hash mismatch at sequence {sequence})"
            ));
        }
        match &self.head {
            Some(head) if sequence != head.sequence + 1 => problems.push(format!(
                "line {number}: sequence {sequence} follows {}: records were removed or reordered",
                head.sequence
            )),
            Some(head) if previous_hash != head.hash => problems
                .push(format!("line {number}: previousHash does not match the record before it")),
            None if sequence == 1 && previous_hash != GENESIS_HASH => {
                problems.push(format!("line {number}: the first record does not start the chain"))
            }
            _ => {}
        }
        self.first_sequence.get_or_insert(sequence);
        if let Some(watched) = self.watched.get_mut(&sequence) {
            *watched = Some(hash.clone());
        }
        self.head = Some(ChainHead { sequence, hash });
    }
}

fn is_object(text: &str) -> bool {
    matches!(serde_json::from_str::<Value>(text), Ok(Value::Object(_)))
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

    #[test]
    fn a_torn_final_line_is_named_as_such() {
        let lines = chain(3);
        let whole = format!("{}\n", lines.join("\n"));
        let mut verifier = ChainVerifier::new(None);
        assert!(verifier.check_text(&whole).is_empty());
        assert_eq!(verifier.lines(), 3);

        let torn = format!("{}\n{}\n{}", lines[0], lines[1], &lines[2][..40]);
        let mut verifier = ChainVerifier::new(None);
        assert_eq!(verifier.check_text(&torn), [format!("line 3: {TORN_FINAL_LINE}")]);
        assert_eq!(verifier.head().unwrap().sequence, 2);

        // Zeroes a power cut left at the end are torn too; a whole last record that
        // only lacks its newline is not.
        let zeroes = format!("{}\n\0\0\0", lines[0]);
        assert_eq!(
            ChainVerifier::new(None).check_text(&zeroes),
            [format!("line 2: {TORN_FINAL_LINE}")]
        );
        let unterminated = lines.join("\n");
        assert!(ChainVerifier::new(None).check_text(&unterminated).is_empty());
        // A damaged line in the middle is still "not a JSON object".
        let middle = format!("{}\n{{\"x\n{}\n", lines[0], lines[1]);
        assert_eq!(ChainVerifier::new(None).check_text(&middle), ["line 2: not a JSON object"]);
    }

    #[test]
    fn watched_sequences_remember_their_hashes() {
        let lines = chain(4);
        let mut verifier = ChainVerifier::new(None);
        verifier.watch(2);
        verifier.watch(9);
        verifier.check_text(&format!("{}\n", lines.join("\n")));
        let second: Value = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!(verifier.watched_hash(2), second["hash"].as_str());
        assert_eq!(verifier.watched_hash(9), None);
        assert_eq!(verifier.first_sequence(), Some(1));
    }
}
