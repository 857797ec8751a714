//! Tags: TagResource, UntagResource, ListResourceTags.

use arca_gate::Caller;

use super::KmsService;
use crate::{
    KmsError,
    api::{
        Empty, ListForKeyRequest, ListResourceTagsResponse, TagResourceRequest,
        UntagResourceRequest,
    },
    operation::Operation,
    paging::{Page, decode_marker},
    validate::{self, Validator},
    wire::Tag,
};

/// AWS KMS allows at most 50 tags per key.
const MAX_TAGS: usize = 50;

pub(super) fn validate_tags(v: &mut Validator, tags: Option<&Vec<Tag>>) {
    // AWS names each tag by its 1-based position: `tags.1.member.tagKey`.
    for (index, tag) in tags.into_iter().flatten().enumerate() {
        let number = index + 1;
        v.length(&format!("tags.{number}.member.tagKey"), Some(&tag.tag_key), 1, 128);
        v.length(&format!("tags.{number}.member.tagValue"), Some(&tag.tag_value), 0, 256);
    }
}

/// The checks AWS KMS makes of the tags one request carries, with its messages (as
/// AWS answered them in recordings): reserved `aws:` keys, at most 50 tags, no key
/// twice.
pub(super) fn check_tag_rules(tags: &[Tag]) -> Result<(), KmsError> {
    if tags.iter().any(|t| t.tag_key.to_ascii_lowercase().starts_with("aws:")) {
        return Err(KmsError::Tag("Tags beginning with aws: are reserved".into()));
    }
    if tags.len() > MAX_TAGS {
        return Err(KmsError::Tag("Too many tags".into()));
    }
    let mut keys: Vec<&str> = tags.iter().map(|t| t.tag_key.as_str()).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(KmsError::Tag("Duplicate tag keys".into()));
    }
    Ok(())
}

impl KmsService {
    /// TagResource: adds tags, overwriting values of existing keys.
    pub async fn tag_resource(
        &self,
        caller: &Caller,
        input: TagResourceRequest,
    ) -> Result<Empty, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        v.required("tags", &input.tags);
        validate_tags(&mut v, input.tags.as_ref());
        v.finish()?;
        let key = self
            .authorized_key(
                caller,
                input.key_id.as_deref().unwrap_or_default(),
                Operation::TagResource,
                None,
            )
            .await?;
        Self::check_customer_managed(&key.record)?;
        Self::check_not_pending_deletion(&key.record)?;
        let new_tags = input.tags.unwrap_or_default();
        check_tag_rules(&new_tags)?;
        self.update_key(&key.record.store_key(), |record, _| {
            for tag in &new_tags {
                match record.tags.iter_mut().find(|t| t.tag_key == tag.tag_key) {
                    Some(existing) => existing.tag_value = tag.tag_value.clone(),
                    None => record.tags.push(tag.clone()),
                }
            }
            if record.tags.len() > MAX_TAGS {
                return Err(KmsError::LimitExceeded(format!(
                    "A key can have at most {MAX_TAGS} tags."
                )));
            }
            Ok(Vec::new())
        })
        .await?;
        Ok(Empty {})
    }

    /// UntagResource.
    pub async fn untag_resource(
        &self,
        caller: &Caller,
        input: UntagResourceRequest,
    ) -> Result<Empty, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        v.required("tagKeys", &input.tag_keys);
        for tag_key in input.tag_keys.iter().flatten() {
            v.length("tagKeys.member", Some(tag_key), 1, 128);
        }
        v.finish()?;
        let key = self
            .authorized_key(
                caller,
                input.key_id.as_deref().unwrap_or_default(),
                Operation::UntagResource,
                None,
            )
            .await?;
        Self::check_customer_managed(&key.record)?;
        Self::check_not_pending_deletion(&key.record)?;
        let remove = input.tag_keys.unwrap_or_default();
        self.update_key(&key.record.store_key(), |record, _| {
            record.tags.retain(|t| !remove.contains(&t.tag_key));
            Ok(Vec::new())
        })
        .await?;
        Ok(Empty {})
    }

    /// ListResourceTags.
    pub async fn list_resource_tags(
        &self,
        caller: &Caller,
        input: ListForKeyRequest,
    ) -> Result<ListResourceTagsResponse, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        validate::paging(&mut v, input.limit, input.marker.as_ref());
        v.finish()?;
        let key = self
            .authorized_key(
                caller,
                input.key_id.as_deref().unwrap_or_default(),
                Operation::ListResourceTags,
                None,
            )
            .await?;
        let start_after = decode_marker(input.marker.as_deref(), "")?;
        let mut tags: Vec<Tag> = key.record.tags.clone();
        tags.sort_by(|a, b| a.tag_key.cmp(&b.tag_key));
        let tags: Vec<Tag> = tags
            .into_iter()
            .filter(|t| start_after.as_ref().is_none_or(|after| t.tag_key > *after))
            .collect();
        let page = Page::new(tags, input.limit.unwrap_or(50) as usize, |t| t.tag_key.clone());
        Ok(ListResourceTagsResponse {
            tags: Some(page.items),
            next_marker: page.next_marker,
            truncated: Some(page.truncated),
        })
    }
}
