//! An event serialised before it reaches the writer, with room left for the chain.
//!
//! The chain hashes the canonical JSON of an event: keys sorted at every level, as
//! serde_json writes its maps. Two of the members, `previousHash` and `sequence`, are
//! known only to the writer thread, which is the one serial step every request waits
//! for. So the request's own task serialises everything else, members in sorted order,
//! into three runs split where those two members belong; the writer only joins them
//! around the two values and hashes the result. The bytes are the same as serialising
//! the whole event as one sorted map, which is what `arca audit verify` recomputes.

use serde::Serialize;
use serde_json::Value;

/// The member the writer inserts first.
const PREVIOUS_HASH: &str = "previousHash";
/// The member the writer inserts second.
const SEQUENCE: &str = "sequence";
/// The member the writer appends after hashing.
const HASH: &str = "hash";

/// One event, serialised but for its chain members.
#[derive(Clone, Default)]
pub struct EventLine {
    /// The members, comma-separated within each run: those sorting before
    /// `previousHash`, then those before `sequence`, then the rest.
    bytes: Vec<u8>,
    /// Where the second run starts.
    second: usize,
    /// Where the third run starts.
    third: usize,
}

impl std::fmt::Debug for EventLine {
    // Events hold request members; they are for the log file, not for debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLine").field("bytes", &self.bytes.len()).finish()
    }
}

/// Why an event could not be serialised.
#[derive(Debug, thiserror::Error)]
pub enum EventLineError {
    /// Members must come in sorted order, each once.
    #[error("audit event member '{0}' is out of order")]
    OutOfOrder(String),
    /// The chain members are the writer's.
    #[error("audit event member '{0}' is written by the chain")]
    Reserved(String),
    /// Only an object can be an event.
    #[error("an audit event must be a JSON object")]
    NotAnObject,
    /// serde refused a value.
    #[error("audit event member could not be serialised: {0}")]
    Serialize(#[from] serde_json::Error),
}

/// Builds an [`EventLine`] from members given in sorted key order.
#[derive(Default)]
pub struct EventLineBuilder {
    line: EventLine,
    /// The run the last member went into (0, 1 or 2).
    run: usize,
    last_key: Option<String>,
}

impl EventLineBuilder {
    /// Appends a member. Keys must increase (byte-wise, as serde_json sorts them) and
    /// may not be one of the chain's members.
    pub fn member<T: Serialize + ?Sized>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<&mut Self, EventLineError> {
        if [PREVIOUS_HASH, SEQUENCE, HASH].contains(&key) {
            return Err(EventLineError::Reserved(key.into()));
        }
        if self.last_key.as_deref().is_some_and(|last| last >= key) {
            return Err(EventLineError::OutOfOrder(key.into()));
        }
        let run = if key < PREVIOUS_HASH {
            0
        } else if key < SEQUENCE {
            1
        } else {
            2
        };
        self.enter(run);
        let line = &mut self.line;
        let mark = line.bytes.len();
        let run_start = [0, line.second, line.third][run];
        if mark > run_start {
            line.bytes.push(b',');
        }
        serde_json::to_writer(&mut line.bytes, key)?;
        line.bytes.push(b':');
        if let Err(error) = serde_json::to_writer(&mut line.bytes, value) {
            line.bytes.truncate(mark);
            return Err(error.into());
        }
        // One buffer for the last key, reused member after member (this runs per request).
        match &mut self.last_key {
            Some(last) => {
                last.clear();
                last.push_str(key);
            }
            None => self.last_key = Some(key.to_string()),
        }
        Ok(self)
    }

    /// Moves on to `run` (runs only move forwards, as keys do): every run passed
    /// starts here.
    fn enter(&mut self, run: usize) {
        let here = self.line.bytes.len();
        if self.run < 1 && run >= 1 {
            self.line.second = here;
        }
        if self.run < 2 && run >= 2 {
            self.line.third = here;
        }
        self.run = self.run.max(run);
    }

    /// The finished event.
    pub fn finish(mut self) -> EventLine {
        self.enter(2);
        self.line
    }
}

impl EventLine {
    /// Starts an event whose members are given in sorted order.
    pub fn builder() -> EventLineBuilder {
        EventLineBuilder::default()
    }

    /// The event of a JSON object (for Arca's internal events and tests); any chain
    /// members in it are left out.
    pub fn from_value(value: &Value) -> Result<Self, EventLineError> {
        let Value::Object(members) = value else {
            return Err(EventLineError::NotAnObject);
        };
        let mut builder = Self::builder();
        // serde_json's map iterates in sorted order.
        for (key, member) in members {
            if ![PREVIOUS_HASH, SEQUENCE, HASH].contains(&key.as_str()) {
                builder.member(key, member)?;
            }
        }
        Ok(builder.finish())
    }

    /// Appends the canonical JSON of the event with its chain members to `out`: the
    /// bytes the chain hash is taken over.
    pub fn write_canonical(&self, out: &mut Vec<u8>, previous_hash: &str, sequence: u64) {
        let (first, rest) = self.bytes.split_at(self.second);
        let (second, third) = rest.split_at(self.third - self.second);
        out.push(b'{');
        if !first.is_empty() {
            out.extend_from_slice(first);
            out.push(b',');
        }
        out.extend_from_slice(b"\"previousHash\":\"");
        // A hex digest: nothing to escape.
        out.extend_from_slice(previous_hash.as_bytes());
        out.extend_from_slice(b"\",");
        if !second.is_empty() {
            out.extend_from_slice(second);
            out.push(b',');
        }
        out.extend_from_slice(b"\"sequence\":");
        out.extend_from_slice(sequence.to_string().as_bytes());
        if !third.is_empty() {
            out.push(b',');
            out.extend_from_slice(third);
        }
        out.push(b'}');
    }

    /// The canonical JSON as a string (tests and tools).
    pub fn canonical(&self, previous_hash: &str, sequence: u64) -> String {
        let mut out = Vec::with_capacity(self.bytes.len() + 128);
        self.write_canonical(&mut out, previous_hash, sequence);
        String::from_utf8(out).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Joining the runs must give exactly serde_json's sorted serialisation of the whole
    /// event, for every way the members can fall around the two chain members.
    #[test]
    fn joined_runs_equal_the_sorted_serialisation() {
        let hash = "ab".repeat(32);
        let cases = [
            json!({}),
            json!({"a": 1}),
            json!({"r": 1}),
            json!({"z": 1}),
            json!({"a": 1, "r": [1, 2]}),
            json!({"a": 1, "z": {"previousHash": "", "sequence": 0}}),
            json!({"r": "x", "z": null}),
            json!({"a": "\"q\"", "r": true, "s": 2, "userIdentity": {"type": "Root"}}),
            json!({"awsRegion": "us-east-1", "eventName": "Encrypt", "readOnly": true,
                   "requestParameters": {"keyId": "k", "sequence": 9},
                   "sourceIPAddress": "127.0.0.1", "userIdentity": {"arn": "a"}}),
        ];
        for case in cases {
            let line = EventLine::from_value(&case).unwrap();
            let mut whole = case.clone();
            whole["previousHash"] = hash.clone().into();
            whole["sequence"] = 7.into();
            assert_eq!(line.canonical(&hash, 7), serde_json::to_string(&whole).unwrap(), "{case}");
        }
    }

    #[test]
    fn members_out_of_order_or_reserved_are_refused() {
        let mut builder = EventLine::builder();
        builder.member("b", &1).unwrap();
        assert!(matches!(builder.member("a", &1), Err(EventLineError::OutOfOrder(_))));
        assert!(matches!(builder.member("b", &1), Err(EventLineError::OutOfOrder(_))));
        assert!(matches!(builder.member("sequence", &1), Err(EventLineError::Reserved(_))));
        assert!(matches!(EventLine::from_value(&json!([1])), Err(EventLineError::NotAnObject)));
    }

    #[test]
    fn the_chain_members_of_a_value_are_left_to_the_writer() {
        let line = EventLine::from_value(&json!({"a": 1, "sequence": 3, "hash": "h"})).unwrap();
        assert_eq!(line.canonical("p", 4), r#"{"a":1,"previousHash":"p","sequence":4}"#);
    }
}
