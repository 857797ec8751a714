// What the `cbor_body` fuzz target runs on each input, shared with
// `tests/fuzz_corpus.rs`, which replays the corpus through it: `parse_body`, then what
// the server does with a body it accepted (the audit copy, a typed input). None may
// panic or overflow the stack.

/// A typed input with every kind of member a service declares.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Input {
    #[serde(rename = "Name")]
    name: Option<String>,
    #[serde(rename = "Count")]
    count: Option<i64>,
    #[serde(rename = "Ratio")]
    ratio: Option<f64>,
    #[serde(rename = "Data", default, with = "serde_bytes_like")]
    data: Vec<u8>,
    #[serde(rename = "Items")]
    items: Option<Vec<std::collections::BTreeMap<String, String>>>,
}

mod serde_bytes_like {
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u8>, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
                Ok(bytes.to_vec())
            }
        }
        deserializer.deserialize_byte_buf(Visitor)
    }
}

pub fn run(data: &[u8]) {
    use arca_wire::cbor;
    let Ok(document) = cbor::parse_body(data) else { return };
    let _ = cbor::member_to_json(&document);
    let _ = cbor::input::<Input>(&document);
    let _ = cbor::input::<serde_json::Value>(&document);
    let _ = cbor::output(&document);
}
