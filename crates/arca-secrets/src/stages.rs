//! How staging labels move between a secret's versions, as AWS documents it: a label
//! is on at most one version; moving `AWSCURRENT` gives the version it left
//! `AWSPREVIOUS` (and takes `AWSPENDING` from it, as AWS does); versions without labels are deprecated, and past
//! [`MAX_DEPRECATED`] of them the oldest go.

use crate::record::{CURRENT, PENDING, PREVIOUS, VersionMeta};

/// Unlabelled versions kept (AWS keeps 100 besides the labelled ones).
pub(crate) const MAX_DEPRECATED: usize = 100;

/// Most labels one version may carry (the model's limit).
pub(crate) const MAX_STAGES_PER_VERSION: usize = 20;

/// Gives version `id` each of `stages`, taking each from the version that had it. When
/// `AWSCURRENT` moves, the version it left becomes `AWSPREVIOUS`.
pub(crate) fn attach(versions: &mut [VersionMeta], id: &str, stages: &[String]) {
    for stage in stages {
        let holder = versions.iter().position(|v| v.stages.contains(stage));
        if let Some(index) = holder
            && versions.get(index).is_some_and(|v| v.id == id)
        {
            continue;
        }
        if let Some(index) = holder
            && let Some(old) = versions.get_mut(index)
        {
            old.stages.retain(|s| s != stage);
            if stage == CURRENT {
                // A version that stops being current is done with any rotation too.
                old.stages.retain(|s| s != PENDING);
                let old_id = old.id.clone();
                detach(versions, PREVIOUS);
                if let Some(old) = versions.iter_mut().find(|v| v.id == old_id) {
                    old.stages.push(PREVIOUS.to_string());
                }
            }
        }
        if let Some(target) = versions.iter_mut().find(|v| v.id == id)
            && !target.stages.contains(stage)
        {
            target.stages.push(stage.clone());
        }
    }
    // The version that became current is not also the previous one.
    if stages.iter().any(|s| s == CURRENT)
        && let Some(target) = versions.iter_mut().find(|v| v.id == id)
    {
        target.stages.retain(|s| s != PREVIOUS);
    }
    // AWS lists a version's labels in order.
    for version in versions.iter_mut() {
        version.stages.sort_unstable();
        version.stages.dedup();
    }
}

/// Removes `stage` from whichever version has it.
pub(crate) fn detach(versions: &mut [VersionMeta], stage: &str) {
    for version in versions.iter_mut() {
        version.stages.retain(|s| s != stage);
    }
}

/// Drops the oldest unlabelled versions beyond [`MAX_DEPRECATED`]; returns their ids
/// (their values are deleted with the same commit).
pub(crate) fn prune(versions: &mut Vec<VersionMeta>) -> Vec<String> {
    let deprecated = versions.iter().filter(|v| v.stages.is_empty()).count();
    let mut excess = deprecated.saturating_sub(MAX_DEPRECATED);
    let mut removed = Vec::new();
    versions.retain(|v| {
        if excess > 0 && v.stages.is_empty() {
            excess -= 1;
            removed.push(v.id.clone());
            false
        } else {
            true
        }
    });
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(id: &str, stages: &[&str]) -> VersionMeta {
        VersionMeta {
            id: id.into(),
            stages: stages.iter().map(|s| s.to_string()).collect(),
            created_ms: 0,
            last_accessed_ms: None,
            kms_key_arn: String::new(),
            awaiting_value: false,
        }
    }

    fn stages_of<'a>(versions: &'a [VersionMeta], id: &str) -> Vec<&'a str> {
        let mut stages: Vec<&str> = versions
            .iter()
            .find(|v| v.id == id)
            .map(|v| v.stages.iter().map(String::as_str).collect())
            .unwrap_or_default();
        stages.sort_unstable();
        stages
    }

    #[test]
    fn moving_current_makes_the_old_current_previous() {
        let mut versions = vec![version("a", &["AWSPREVIOUS"]), version("b", &["AWSCURRENT"])];
        versions.push(version("c", &[]));
        attach(&mut versions, "c", &["AWSCURRENT".into()]);
        assert_eq!(stages_of(&versions, "c"), vec!["AWSCURRENT"]);
        assert_eq!(stages_of(&versions, "b"), vec!["AWSPREVIOUS"]);
        assert!(stages_of(&versions, "a").is_empty());
    }

    #[test]
    fn the_version_that_stops_being_current_loses_pending_but_keeps_custom_labels() {
        let mut versions =
            vec![version("a", &["AWSCURRENT", "AWSPENDING", "X"]), version("b", &[])];
        attach(&mut versions, "b", &["AWSCURRENT".into()]);
        assert_eq!(stages_of(&versions, "a"), vec!["AWSPREVIOUS", "X"]);
        assert_eq!(stages_of(&versions, "b"), vec!["AWSCURRENT"]);
    }

    #[test]
    fn custom_and_pending_labels_move_alone() {
        let mut versions = vec![version("a", &["AWSCURRENT", "X"]), version("b", &[])];
        attach(&mut versions, "b", &["AWSPENDING".into(), "X".into()]);
        assert_eq!(stages_of(&versions, "a"), vec!["AWSCURRENT"]);
        assert_eq!(stages_of(&versions, "b"), vec!["AWSPENDING", "X"]);
    }

    #[test]
    fn promoting_the_previous_version_swaps_the_two() {
        let mut versions = vec![version("a", &["AWSPREVIOUS"]), version("b", &["AWSCURRENT"])];
        attach(&mut versions, "a", &["AWSCURRENT".into()]);
        assert_eq!(stages_of(&versions, "a"), vec!["AWSCURRENT"]);
        assert_eq!(stages_of(&versions, "b"), vec!["AWSPREVIOUS"]);
    }

    #[test]
    fn attaching_a_label_already_there_changes_nothing() {
        let mut versions = vec![version("a", &["AWSPREVIOUS"]), version("b", &["AWSCURRENT"])];
        attach(&mut versions, "b", &["AWSCURRENT".into()]);
        assert_eq!(stages_of(&versions, "b"), vec!["AWSCURRENT"]);
        assert_eq!(stages_of(&versions, "a"), vec!["AWSPREVIOUS"]);
    }

    #[test]
    fn only_the_oldest_unlabelled_versions_beyond_the_limit_go() {
        let mut versions: Vec<VersionMeta> =
            (0..105).map(|i| version(&format!("v{i}"), &[])).collect();
        versions.push(version("prev", &["AWSPREVIOUS"]));
        versions.push(version("cur", &["AWSCURRENT"]));
        let removed = prune(&mut versions);
        assert_eq!(removed, vec!["v0", "v1", "v2", "v3", "v4"]);
        assert_eq!(versions.len(), 102);
    }
}
