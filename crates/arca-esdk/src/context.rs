//! The encryption context: string pairs bound to a message as authenticated data.

use std::collections::BTreeMap;

use crate::error::{Checked, Reject};

/// The key under which a signed message carries its verification key.
pub const PUBLIC_KEY_FIELD: &str = "aws-crypto-public-key";

/// The prefix reserved for the SDK's own entries.
pub const RESERVED_PREFIX: &str = "aws-crypto-";

/// Non-secret key/value pairs authenticated with a message, kept sorted by key bytes
/// (the order of the serialised form).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct EncryptionContext(BTreeMap<String, String>);

impl EncryptionContext {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a pair.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> Option<String> {
        self.0.insert(key.into(), value.into())
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Removes a pair.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.0.remove(key)
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// The pairs in serialisation order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The subset of pairs whose keys are in `keys`.
    pub fn subset<'k>(&self, keys: impl IntoIterator<Item = &'k String>) -> EncryptionContext {
        let mut out = EncryptionContext::new();
        for key in keys {
            if let Some(value) = self.0.get(key) {
                out.insert(key.clone(), value.clone());
            }
        }
        out
    }

    /// The serialised form: empty for an empty context, else a two-byte count followed
    /// by length-prefixed keys and values in key order.
    pub fn serialize(&self) -> Result<Vec<u8>, crate::Error> {
        if self.0.is_empty() {
            return Ok(Vec::new());
        }
        let too_big =
            || crate::Error::InvalidArgument("encryption context is too large to serialise".into());
        let count = u16::try_from(self.0.len()).map_err(|_| too_big())?;
        let mut out = Vec::new();
        out.extend_from_slice(&count.to_be_bytes());
        for (key, value) in &self.0 {
            for field in [key, value] {
                let len = u16::try_from(field.len()).map_err(|_| too_big())?;
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(field.as_bytes());
            }
        }
        if out.len() > usize::from(u16::MAX) {
            return Err(too_big());
        }
        Ok(out)
    }

    /// Parses the serialised form, refusing duplicate keys, bad UTF-8, trailing bytes and
    /// a present-but-empty pair list (the header tag covers the bytes as written, so an
    /// unsorted list is accepted and re-sorted).
    pub(crate) fn parse(bytes: &[u8]) -> Checked<Self> {
        const BAD: Reject = Reject("malformed encryption context");
        if bytes.is_empty() {
            return Ok(Self::new());
        }
        let mut cursor = Cursor::new(bytes);
        let count = cursor.u16()?;
        if count == 0 {
            return Err(BAD);
        }
        let mut map = BTreeMap::new();
        for _ in 0..count {
            let key_len = usize::from(cursor.u16()?);
            let key = std::str::from_utf8(cursor.take(key_len)?).map_err(|_| BAD)?;
            let value_len = usize::from(cursor.u16()?);
            let value = std::str::from_utf8(cursor.take(value_len)?).map_err(|_| BAD)?;
            if map.insert(key.to_string(), value.to_string()).is_some() {
                return Err(BAD);
            }
        }
        if !cursor.is_empty() {
            return Err(BAD);
        }
        Ok(Self(map))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for EncryptionContext {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}

impl From<BTreeMap<String, String>> for EncryptionContext {
    fn from(map: BTreeMap<String, String>) -> Self {
        Self(map)
    }
}

impl From<EncryptionContext> for BTreeMap<String, String> {
    fn from(context: EncryptionContext) -> Self {
        context.0
    }
}

/// A bounds-checked reader over a byte slice.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    pub(crate) fn take(&mut self, len: usize) -> Checked<&'a [u8]> {
        if len > self.bytes.len() {
            return Err(Reject("field runs past its container"));
        }
        let (head, tail) = self.bytes.split_at(len);
        self.bytes = tail;
        Ok(head)
    }

    pub(crate) fn u16(&mut self) -> Checked<u16> {
        let bytes = self.take(2)?;
        Ok(u16::from_be_bytes([
            bytes.first().copied().unwrap_or_default(),
            bytes.get(1).copied().unwrap_or_default(),
        ]))
    }

    pub(crate) fn u32(&mut self) -> Checked<u32> {
        let mut out = [0u8; 4];
        out.copy_from_slice(self.take(4)?);
        Ok(u32::from_be_bytes(out))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_sorted_with_count() {
        let context: EncryptionContext = [("b", "2"), ("a", "1")].into_iter().collect();
        let bytes = context.serialize().unwrap();
        assert_eq!(hex::encode(&bytes), "0002000161000131000162000132");
        assert_eq!(EncryptionContext::parse(&bytes).unwrap(), context);
        assert!(EncryptionContext::new().serialize().unwrap().is_empty());
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            "0000",
            "0001000161",
            "00020001610001310001610001
32",
            "000100016100013100",
            "0001000180000131",
        ] {
            let bad = hex::decode(bad.replace('\n', "")).unwrap();
            assert!(EncryptionContext::parse(&bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn round_trip(pairs in proptest::collection::btree_map(".{0,12}", ".{0,12}", 0..8)) {
            let context = EncryptionContext::from(pairs);
            let bytes = context.serialize().unwrap();
            proptest::prop_assert_eq!(EncryptionContext::parse(&bytes).unwrap(), context);
        }
    }
}
