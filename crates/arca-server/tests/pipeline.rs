//! The request pipeline, the protocols and the IAM wire contract, tested in process:
//! a real server on port 0 and requests signed as the SDKs sign them.

mod support;

use serde_json::json;
use support::{Call, TestServer};

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kms_over_json_round_trips_and_answers_in_json_1_1() {
    let server = TestServer::start().await;
    let created = server.send(Call::json("kms", "TrentService.CreateKey", json!({}))).await;
    assert_eq!(created.status, 200, "{}", created.text());
    assert_eq!(created.header("content-type"), Some("application/x-amz-json-1.1"));
    assert!(created.header("x-amzn-requestid").is_some());
    let key_id = created.json()["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    let plaintext = base64(b"in process");
    let encrypted = server
        .send(Call::json(
            "kms",
            "TrentService.Encrypt",
            json!({"KeyId": key_id, "Plaintext": plaintext}),
        ))
        .await;
    assert_eq!(encrypted.status, 200, "{}", encrypted.text());
    let blob = encrypted.json()["CiphertextBlob"].as_str().unwrap().to_string();
    let decrypted = server
        .send(Call::json("kms", "TrentService.Decrypt", json!({"CiphertextBlob": blob})))
        .await;
    assert_eq!(decrypted.json()["Plaintext"], plaintext);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_come_in_the_protocol_of_the_request() {
    let server = TestServer::start().await;
    let unknown = server.send(Call::json("kms", "TrentService.FlyToTheMoon", json!({}))).await;
    assert_eq!(
        (unknown.status, unknown.json()["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
    let wrong_scope = server.send(Call::json("iam", "TrentService.ListKeys", json!({}))).await;
    assert_eq!(wrong_scope.json()["__type"], "InvalidSignatureException");
    let malformed = server
        .send(Call { body: b"{".to_vec(), ..Call::json("kms", "TrentService.ListKeys", json!({})) })
        .await;
    assert_eq!(malformed.json()["__type"], "SerializationException");
    // Unsigned: refused before anything is decoded, still in JSON.
    let headers = vec![
        ("content-type".to_string(), "application/x-amz-json-1.1".to_string()),
        ("x-amz-target".to_string(), "TrentService.ListKeys".to_string()),
    ];
    let unsigned = server.send_raw("POST", "/", "", &headers, b"{}").await;
    assert_eq!(unsigned.json()["__type"], "MissingAuthenticationTokenException");
    // A Query request is refused in XML, a CBOR one in CBOR.
    let query = server.send_raw("POST", "/", "", &[], b"Action=ListUsers&Version=2010-05-08").await;
    assert!(query.text().contains("<Code>MissingAuthenticationToken</Code>"), "{}", query.text());
    let cbor_headers = vec![("smithy-protocol".to_string(), "rpc-v2-cbor".to_string())];
    let cbor = server
        .send_raw(
            "POST",
            "/service/ACMPrivateCA/operation/ListCertificateAuthorities",
            "",
            &cbor_headers,
            b"",
        )
        .await;
    assert_eq!(cbor.header("content-type"), Some("application/cbor"));
    assert_eq!(cbor.header("smithy-protocol"), Some("rpc-v2-cbor"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_wire_contract_creates_a_user_whose_new_key_signs_requests() {
    let server = TestServer::start().await;
    let user = server
        .send(Call::query("iam", "Action=CreateUser&Version=2010-05-08&UserName=alice"))
        .await;
    assert_eq!(user.status, 200, "{}", user.text());
    assert_eq!(user.header("content-type"), Some("text/xml"));
    assert!(
        user.text()
            .contains("<CreateUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">")
    );
    assert!(user.text().contains("<UserName>alice</UserName>"));
    let key = server
        .send(Call::query("iam", "Action=CreateAccessKey&Version=2010-05-08&UserName=alice"))
        .await;
    let text = key.text();
    let field = |name: &str| {
        text.split(&format!("<{name}>"))
            .nth(1)
            .and_then(|rest| rest.split(&format!("</{name}>")).next())
            .unwrap()
            .to_string()
    };
    let (key_id, secret) = (field("AccessKeyId"), field("SecretAccessKey"));
    let who = server
        .send_as(
            &key_id,
            &secret,
            Call::query("sts", "Action=GetCallerIdentity&Version=2011-06-15"),
        )
        .await;
    assert_eq!(who.status, 200, "{}", who.text());
    assert!(who.text().contains(":user/alice</Arn>"), "{}", who.text());
    // The user has no policy: KMS refuses it, and says who it is.
    let denied = server
        .send_as(&key_id, &secret, Call::json("kms", "TrentService.ListKeys", json!({})))
        .await;
    assert_eq!(denied.json()["__type"], "AccessDeniedException");
    // Unknown actions are Query errors with IAM's namespace.
    let unknown = server.send(Call::query("iam", "Action=FlyToTheMoon&Version=2010-05-08")).await;
    assert_eq!(unknown.status, 400);
    assert!(unknown.text().contains("<Code>InvalidAction</Code>"), "{}", unknown.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_label_only_registered_names() {
    let server = TestServer::start().await;
    for target in ["TrentService.ListKeys", "TrentService.Invented1", "TrentService.Invented2"] {
        server.send(Call::json("kms", target, json!({}))).await;
    }
    let metrics = server.send_raw("GET", "/metrics", "", &[], b"").await.text();
    assert!(metrics.contains("operation=\"ListKeys\""), "{metrics}");
    assert!(!metrics.contains("Invented"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_root_cannot_administer_the_deployment() {
    let server = TestServer::start().await;
    let created =
        server.send(Call::json("arca", "ArcaAdmin.CreateAccount", json!({"Name": "tenant"}))).await;
    assert_eq!(created.status, 200, "{}", created.text());
    let account = created.json();
    let (key_id, secret) = (
        account["AccessKeyId"].as_str().unwrap().to_string(),
        account["SecretAccessKey"].as_str().unwrap().to_string(),
    );
    // The tenant's root may do anything in its own account, but no deployment action.
    for operation in ["ArcaAdmin.RotateRootKey", "ArcaAdmin.CreateAccount"] {
        let refused = server
            .send_as(&key_id, &secret, Call::json("arca", operation, json!({"Name": "x"})))
            .await;
        assert_eq!(refused.json()["__type"], "AccessDeniedException", "{operation}");
        assert!(refused.text().contains("only the bootstrap account's root principal may"));
    }
    // The bootstrap root still may.
    let rotated = server.send(Call::json("arca", "ArcaAdmin.RotateRootKey", json!({}))).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
}
