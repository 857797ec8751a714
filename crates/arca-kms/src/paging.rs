//! Marker/Limit paging as every KMS List operation does it: the marker is an opaque
//! token naming the last item returned.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::KmsError;

/// One page cut from `limit + 1` rows (the extra row tells whether more follow).
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub next_marker: Option<String>,
    pub truncated: bool,
}

impl<T> Page<T> {
    pub(crate) fn new(mut rows: Vec<T>, limit: usize, position: impl Fn(&T) -> String) -> Self {
        let truncated = rows.len() > limit;
        rows.truncate(limit);
        let next_marker =
            if truncated { rows.last().map(|row| encode_marker(&position(row))) } else { None };
        Self { items: rows, next_marker, truncated }
    }
}

pub(crate) fn encode_marker(position: &str) -> String {
    URL_SAFE_NO_PAD.encode(position)
}

/// The position a marker names; it must lie inside `prefix` (markers from another
/// listing, account or region are refused).
pub(crate) fn decode_marker(
    marker: Option<&str>,
    prefix: &str,
) -> Result<Option<String>, KmsError> {
    let Some(marker) = marker else { return Ok(None) };
    let invalid = || KmsError::InvalidMarker("The marker that was specified is invalid.".into());
    let bytes = URL_SAFE_NO_PAD.decode(marker).map_err(|_| invalid())?;
    let position = String::from_utf8(bytes).map_err(|_| invalid())?;
    if !position.starts_with(prefix) {
        return Err(invalid());
    }
    Ok(Some(position))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_markers() {
        let page = Page::new(vec!["a/1".to_string(), "a/2".into(), "a/3".into()], 2, |s| s.clone());
        assert!(page.truncated);
        assert_eq!(page.items.len(), 2);
        let marker = page.next_marker.unwrap();
        assert_eq!(decode_marker(Some(&marker), "a/").unwrap().as_deref(), Some("a/2"));
        assert!(decode_marker(Some(&marker), "b/").is_err());
        assert!(decode_marker(Some("!!"), "a/").is_err());
        let last = Page::new(vec!["a/1".to_string()], 2, |s| s.clone());
        assert!(!last.truncated && last.next_marker.is_none());
    }
}
