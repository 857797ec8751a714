//! Replays the fuzz corpus (the repository's `fuzz/corpus/parse_policy/`) through parsing,
//! serialisation and evaluation, as the `parse_policy` fuzz target does: none may panic,
//! and every document that parses must parse back from its serialisation.

use arca_policy::{CallerPrincipal, Policy, RequestContext, ResourceMode, evaluate};

fn run(text: &str) {
    let context = RequestContext::new(
        CallerPrincipal::new("arn:aws:iam::111122223333:user/alice", "111122223333"),
        "kms:Encrypt",
        "arn:aws:kms:us-east-1:111122223333:key/k",
        "111122223333",
    )
    .with("aws:SourceIp", ["192.0.2.1"])
    .with_encryption_context([("a", "b")]);
    if let Ok(policy) = Policy::parse_identity(text, arca_policy::MAX_KEY_POLICY_SIZE) {
        assert_eq!(Policy::parse_identity(&policy.to_json(), usize::MAX).unwrap(), policy);
        let _ = evaluate(&context, &[&policy], None, ResourceMode::IdentityOnly);
    }
    if let Ok(policy) = Policy::parse_resource(text, arca_policy::MAX_KEY_POLICY_SIZE) {
        assert_eq!(Policy::parse_resource(&policy.to_json(), usize::MAX).unwrap(), policy);
        let _ = evaluate(&context, &[], Some(&policy), ResourceMode::KeyPolicy);
    }
}

#[test]
fn corpus_replays_without_panic() {
    let directory =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/parse_policy");
    let mut count = 0;
    for entry in std::fs::read_dir(&directory).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        run(&String::from_utf8_lossy(&bytes));
        count += 1;
    }
    assert!(count >= 5, "corpus at {} has {count} files", directory.display());
}
