// What the `parse_policy` fuzz target runs on each input, shared with
// `crates/arca-policy/tests/corpus.rs`, which replays the corpus through it: parsing,
// serialisation and evaluation may not panic, and every document that parses must
// parse back from its serialisation.

pub fn run(data: &[u8]) {
    use arca_policy::{CallerPrincipal, Policy, RequestContext, ResourceMode, evaluate};
    let text = String::from_utf8_lossy(data);
    let identity = Policy::parse_identity(&text, arca_policy::MAX_KEY_POLICY_SIZE);
    let resource = Policy::parse_resource(&text, arca_policy::MAX_KEY_POLICY_SIZE);
    let context = RequestContext::new(
        CallerPrincipal::new("arn:aws:iam::111122223333:user/alice", "111122223333"),
        "kms:Encrypt",
        "arn:aws:kms:us-east-1:111122223333:key/k",
        "111122223333",
    )
    .with("aws:SourceIp", ["192.0.2.1"])
    .with("aws:CurrentTime", ["2024-01-01T00:00:00Z"])
    .with_encryption_context([("a", "b")]);
    if let Ok(policy) = &identity {
        let again = Policy::parse_identity(&policy.to_json(), usize::MAX);
        assert_eq!(again.as_ref().ok(), Some(policy), "identity round trip");
        let _ = evaluate(&context, &[policy], None, ResourceMode::IdentityOnly);
    }
    if let Ok(policy) = &resource {
        let again = Policy::parse_resource(&policy.to_json(), usize::MAX);
        assert_eq!(again.as_ref().ok(), Some(policy), "resource round trip");
        for mode in [ResourceMode::KeyPolicy, ResourceMode::ResourcePolicy] {
            let _ = evaluate(&context, &[], Some(policy), mode);
        }
    }
}
