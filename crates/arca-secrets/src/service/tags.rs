//! TagResource and UntagResource.

use arca_api::Operation;
use arca_gate::Caller;

use super::SecretsService;
use crate::{
    SecretsError,
    api::{Empty, Tag, TagResourceRequest, UntagResourceRequest},
    validate::{self, Validator},
};

/// Most tags a secret may carry.
const MAX_TAGS: usize = 50;

/// Tag keys and values against the model.
pub(crate) fn validate_tags(v: &mut Validator, tags: Option<&Vec<Tag>>) {
    for tag in tags.into_iter().flatten() {
        v.required("tags.member.key", &tag.key);
        v.length("tags.member.key", tag.key.as_ref(), 1, 128);
        v.length("tags.member.value", tag.value.as_ref(), 0, 256);
    }
}

/// Adds or overwrites `new` on `tags`, refusing reserved keys and too many tags.
pub(crate) fn merge_tags(tags: &mut Vec<Tag>, new: &[Tag]) -> Result<(), SecretsError> {
    for tag in new {
        let key = tag.key.as_deref().unwrap_or_default();
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(SecretsError::InvalidParameter(
                "Tag keys that begin with aws: are reserved for AWS use.".into(),
            ));
        }
        match tags.iter_mut().find(|t| t.key == tag.key) {
            Some(existing) => existing.value = tag.value.clone(),
            None => tags.push(Tag {
                key: tag.key.clone(),
                value: Some(tag.value.clone().unwrap_or_default()),
            }),
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(SecretsError::InvalidParameter(format!(
            "A secret can have at most {MAX_TAGS} tags."
        )));
    }
    Ok(())
}

impl SecretsService {
    /// TagResource.
    pub async fn tag_resource(
        &self,
        caller: &Caller,
        row: &Operation,
        input: TagResourceRequest,
    ) -> Result<Empty, SecretsError> {
        let mut v = Validator::new();
        validate::secret_id(&mut v, &input.secret_id);
        v.required("tags", &input.tags);
        validate_tags(&mut v, input.tags.as_ref());
        v.finish()?;
        let new = input.tags.unwrap_or_default();
        self.update_settings(caller, row, input.secret_id.as_deref(), |record| {
            merge_tags(&mut record.tags, &new)?;
            record.tags_set = true;
            Ok(())
        })
        .await?;
        Ok(Empty {})
    }

    /// UntagResource.
    pub async fn untag_resource(
        &self,
        caller: &Caller,
        row: &Operation,
        input: UntagResourceRequest,
    ) -> Result<Empty, SecretsError> {
        let mut v = Validator::new();
        validate::secret_id(&mut v, &input.secret_id);
        v.required("tagKeys", &input.tag_keys);
        for key in input.tag_keys.iter().flatten() {
            v.length("tagKeys.member", Some(key), 1, 128);
        }
        v.finish()?;
        let remove = input.tag_keys.unwrap_or_default();
        self.update_settings(caller, row, input.secret_id.as_deref(), |record| {
            record.tags.retain(|t| !t.key.as_ref().is_some_and(|k| remove.contains(k)));
            record.tags_set = true;
            Ok(())
        })
        .await?;
        Ok(Empty {})
    }
}
