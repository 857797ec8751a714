//! `MaxResults`/`NextToken` paging over a listing the service has in hand: the token
//! is the offset of the next item, bound to the listing it came from (a token from
//! another secret's or account's listing is refused).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::SecretsError;

/// Cuts the page that `token` points at out of `items`, at most `max` long; returns it
/// and the token of the next page, if any. `scope` names the listing.
pub(crate) fn page<T>(
    items: &mut Vec<T>,
    max: i64,
    token: Option<&str>,
    scope: &str,
) -> Result<(Vec<T>, Option<String>), SecretsError> {
    let start = match token {
        None => 0,
        Some(token) => decode(token, scope)?,
    };
    let max = usize::try_from(max.max(1)).unwrap_or(1);
    let start = start.min(items.len());
    let end = start.saturating_add(max).min(items.len());
    let next = (end < items.len()).then(|| encode(end, scope));
    let page: Vec<T> = items.drain(start..end).collect();
    Ok((page, next))
}

fn encode(offset: usize, scope: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{offset}:{scope}"))
}

fn decode(token: &str, scope: &str) -> Result<usize, SecretsError> {
    let invalid = || SecretsError::InvalidNextToken("The NextToken value is not valid.".into());
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (offset, from) = text.split_once(':').ok_or_else(invalid)?;
    if from != scope {
        return Err(invalid());
    }
    offset.parse().map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_each_other_and_tokens_stay_in_their_listing() {
        let mut items: Vec<u32> = (0..5).collect();
        let (first, next) = page(&mut items.clone(), 2, None, "a").unwrap();
        assert_eq!(first, vec![0, 1]);
        let next = next.unwrap();
        let (second, _) = page(&mut items.clone(), 2, Some(&next), "a").unwrap();
        assert_eq!(second, vec![2, 3]);
        assert!(page(&mut items.clone(), 2, Some(&next), "b").is_err());
        assert!(page(&mut items, 2, Some("!!"), "a").is_err());
    }
}
