//! Fuzzes policy parsing, serialisation and evaluation with arbitrary documents.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    arca_policy_fuzz_check(&text);
});

fn arca_policy_fuzz_check(text: &str) {
    use arca_policy::{CallerPrincipal, Policy, RequestContext, ResourceMode, evaluate};
    let identity = Policy::parse_identity(text, arca_policy::MAX_KEY_POLICY_SIZE);
    let resource = Policy::parse_resource(text, arca_policy::MAX_KEY_POLICY_SIZE);
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
