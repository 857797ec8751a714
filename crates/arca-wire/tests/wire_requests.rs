//! Requests serialised by botocore (`tests/fixtures/*-requests.json`, written by
//! `scripts/gen-wire-fixtures.py`) decode to the input documents botocore was given:
//! RPC v2 CBOR bodies through `cbor::parse_body`, REST-JSON requests through
//! `rest_json::match_request` and `build_document`, with routes taken from the same
//! models. Malformed requests are `SerializationException`s.

mod common;

use arca_wire::{
    cbor,
    rest_json::{self, HttpRoute, Kind, Location, MemberBinding},
};
use common::{Blob, Timestamp, assert_same, fixture, text};
use serde::Deserialize;
use serde_json::Value;

#[test]
fn cbor_requests_decode_to_botocore_inputs() {
    let fixture = fixture("rpcv2cbor-requests.json");
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 7);
    for case in cases {
        let name = text(case, "name");
        assert_eq!(text(case, "method"), "POST", "{name}");
        assert_eq!(case["headers"]["smithy-protocol"], cbor::PROTOCOL_HEADER_VALUE, "{name}");
        let (_, operation) = cbor::parse_path(text(case, "path")).unwrap();
        assert_eq!(operation, text(case, "operation"), "{name}");
        let body = hex::decode(text(case, "body_hex")).unwrap();
        let document = cbor::parse_body(&body).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_same(&cbor::member_to_json(&document), &case["expected"], name);
    }
}

#[test]
fn malformed_cbor_is_a_serialization_exception() {
    let fixture = fixture("rpcv2cbor-requests.json");
    for case in fixture["malformed"].as_array().unwrap() {
        let body = hex::decode(text(case, "body_hex")).unwrap();
        let error = cbor::parse_body(&body).unwrap_err();
        assert_eq!((error.code.as_str(), error.status), ("SerializationException", 400), "{case}");
    }
}

/// The part of acm-pca's `IssueCertificateRequest` with a blob and nesting.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "PascalCase")]
struct IssueCertificate {
    certificate_authority_arn: String,
    csr: Blob,
    validity: Validity,
    validity_not_before: Option<Validity>,
    idempotency_token: Option<String>,
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Validity {
    value: i64,
    r#type: String,
}

/// The synthetic `PutThing` input: a blob, timestamps whole and fractional, a long
/// below -2^53.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "PascalCase")]
struct PutThing {
    data: Blob,
    when: Timestamp,
    // The model names these three on the wire in lower case.
    #[serde(rename = "ratio")]
    ratio: f64,
    #[serde(rename = "flag")]
    flag: bool,
    #[serde(rename = "id")]
    ids: Vec<i32>,
    nested: Nested,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "PascalCase")]
struct Nested {
    count: i64,
    items: Vec<Item>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "PascalCase")]
struct Item {
    seen: Timestamp,
}

fn cbor_case(name: &str) -> ciborium::Value {
    let fixture = fixture("rpcv2cbor-requests.json");
    let case = fixture["cases"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap();
    cbor::parse_body(&hex::decode(text(case, "body_hex")).unwrap()).unwrap()
}

#[test]
fn cbor_typed_inputs_read_blobs_and_tagged_timestamps() {
    let issue: IssueCertificate = cbor::input(&cbor_case("issue-certificate")).unwrap();
    assert!(issue.certificate_authority_arn.starts_with("arn:aws:acm-pca:"));
    assert!(issue.csr.0.starts_with(b"-----BEGIN CERTIFICATE REQUEST-----\n"));
    assert_eq!(issue.validity, Validity { value: 365, r#type: "DAYS".into() });
    assert_eq!(issue.validity_not_before.unwrap().value, 1_704_067_200);
    assert_eq!(issue.idempotency_token.as_deref(), Some("token-1"));

    let put: PutThing = cbor::input(&cbor_case("timestamps-and-blobs")).unwrap();
    assert_eq!(put.data.0, [0x00, 0x01, 0xfe, 0xff]);
    assert_eq!(put.when, Timestamp(1_704_164_645.0)); // sent as an integer
    assert_eq!(put.nested.items[0].seen, Timestamp(1_704_164_645.5)); // sent as a float
    assert_eq!((put.ratio, put.flag, put.ids), (0.25, false, vec![1, -2, 300_000]));
    assert_eq!(put.nested.count, -9_007_199_254_740_993);

    // {"Csr": "j"}: a text string where a blob belongs is refused, not guessed at.
    let wrong = cbor::parse_body(&hex::decode("a163437372616a").unwrap()).unwrap();
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct OnlyCsr {
        #[serde(rename = "Csr")]
        csr: Blob,
    }
    let error = cbor::input::<OnlyCsr>(&wrong).unwrap_err();
    assert_eq!(error.code, "SerializationException");
}

/// Routes from the fixture, made `'static` as a service's tables are.
fn routes(fixture: &Value, service: &str) -> &'static [HttpRoute] {
    let leak = |value: &Value| -> &'static str { Box::leak(value.as_str().unwrap().into()) };
    let routes: Vec<HttpRoute> = fixture["routes"][service]
        .as_array()
        .unwrap()
        .iter()
        .map(|route| {
            let bindings: Vec<MemberBinding> = route["bindings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|binding| MemberBinding {
                    location: location(text(binding, "location")),
                    wire_name: leak(&binding["wire_name"]),
                    member: leak(&binding["member"]),
                    kind: kind(text(binding, "kind")),
                })
                .collect();
            HttpRoute {
                operation: leak(&route["operation"]),
                method: leak(&route["method"]),
                uri: leak(&route["uri"]),
                status: u16::try_from(route["status"].as_u64().unwrap()).unwrap(),
                bindings: Box::leak(bindings.into_boxed_slice()),
            }
        })
        .collect();
    Box::leak(routes.into_boxed_slice())
}

fn location(name: &str) -> Location {
    match name {
        "Label" => Location::Label,
        "Query" => Location::Query,
        "Header" => Location::Header,
        "HeaderPrefix" => Location::HeaderPrefix,
        "QueryParams" => Location::QueryParams,
        "Payload" => Location::Payload,
        other => panic!("unknown location {other}"),
    }
}

fn kind(name: &str) -> Kind {
    match name {
        "String" => Kind::String,
        "Integer" => Kind::Integer,
        "Boolean" => Kind::Boolean,
        "StringList" => Kind::StringList,
        "Double" => Kind::Double,
        "Timestamp" => Kind::Timestamp,
        "IntegerList" => Kind::IntegerList,
        "Blob" => Kind::Blob,
        "Structure" => Kind::Structure,
        other => panic!("unknown kind {other}"),
    }
}

fn headers(case: &Value) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (name, value) in case["headers"].as_object().into_iter().flatten() {
        map.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.as_str().unwrap().parse().unwrap(),
        );
    }
    map
}

fn rest_routes(fixture: &Value, service: &str) -> &'static [HttpRoute] {
    routes(fixture, service)
}

#[test]
fn rest_json_requests_route_and_decode_to_botocore_inputs() {
    let fixture = fixture("restjson-requests.json");
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 11);
    for case in cases {
        let name = text(case, "name");
        let routes = rest_routes(&fixture, text(case, "service"));
        let (method, path, query) = (text(case, "method"), text(case, "path"), text(case, "query"));
        let (route, labels) = rest_json::match_request(routes, method, path, query)
            .unwrap_or_else(|| panic!("{name}: no route for {method} {path}?{query}"));
        assert_eq!(route.operation, text(case, "operation"), "{name}");
        let body = hex::decode(text(case, "body_hex")).unwrap();
        let document = rest_json::build_document(route, &labels, query, &headers(case), &body)
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_same(&document, &case["expected"], name);
    }
}

#[test]
fn every_route_of_the_models_is_reachable() {
    // Each template, with its labels filled in, routes back to its own operation: no
    // template of macie2 or the synthetic model shadows another.
    let fixture = fixture("restjson-requests.json");
    for service in ["macie2", "arcatest"] {
        let routes = rest_routes(&fixture, service);
        for route in routes {
            let (path, query) = route.uri.split_once('?').unwrap_or((route.uri, ""));
            let path: Vec<String> = path
                .split('/')
                .map(|part| if part.starts_with('{') { "x".to_string() } else { part.to_string() })
                .collect();
            let path = path.join("/");
            let (found, _) = rest_json::match_request(routes, route.method, &path, query).unwrap();
            assert_eq!(found.operation, route.operation, "{} {path}", route.method);
        }
    }
}

#[test]
fn malformed_rest_json_requests_are_serialization_exceptions() {
    let fixture = fixture("restjson-requests.json");
    let all: Vec<&HttpRoute> =
        ["macie2", "arcatest"].iter().flat_map(|s| rest_routes(&fixture, s)).collect();
    for case in fixture["malformed"].as_array().unwrap() {
        let name = text(case, "name");
        let route = all.iter().find(|r| r.operation == text(case, "operation")).unwrap();
        let (method, path, query) = (text(case, "method"), text(case, "path"), text(case, "query"));
        let (found, labels) =
            rest_json::match_request(std::slice::from_ref(*route), method, path, query)
                .unwrap_or_else(|| panic!("{name}: no route"));
        let body = hex::decode(text(case, "body_hex")).unwrap();
        let error =
            rest_json::build_document(found, &labels, query, &http::HeaderMap::new(), &body)
                .unwrap_err();
        assert_eq!((error.code.as_str(), error.status), (text(case, "code"), 400), "{name}");
    }
}
