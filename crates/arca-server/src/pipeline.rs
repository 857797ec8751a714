//! The one request pipeline every AWS API goes through: read the body within bounds,
//! decode the protocol envelope, authenticate (SigV4), dispatch to the service, audit,
//! measure, encode. Services see typed inputs and a [`Caller`]; nothing below this
//! module sees HTTP.

use std::{net::SocketAddr, sync::Arc, time::Instant};

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header::CONTENT_TYPE};
use serde_json::{Map, Value};

use arca_gate::Caller;
use arca_sigv4::{PayloadHash, RequestParts, SigV4Error, VerifiedPayload};

use crate::{
    audit_event::{self, EventInput},
    handlers::{admin, iam, kms, sts},
    protocol::{ApiError, Protocol, json, query},
    state::AppState,
};

/// What a request asks for, once its envelope is decoded.
struct Envelope {
    protocol: Protocol,
    /// `kms`, `arca` for JSON; decided by the SigV4 scope for Query (`iam`, `sts`).
    service: String,
    operation: String,
    json_body: Option<Value>,
    query_params: Option<query::Params>,
}

/// The client's address, attached to each request by the connection loop.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// Serves one HTTP request.
pub async fn handle(state: Arc<AppState>, request: Request<Body>) -> Response<Body> {
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/health") => {
            return plain(StatusCode::OK, "application/json", "{\"status\":\"ok\"}".into());
        }
        (&Method::GET, "/metrics") => {
            return plain(
                StatusCode::OK,
                "text/plain; version=0.0.4",
                state.metrics.render().into(),
            );
        }
        _ => {}
    }
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let peer = request.extensions().get::<PeerAddr>().map(|peer| peer.0);
    let (parts, body) = request.into_parts();
    let is_query = parts.headers.get("x-amz-target").is_none();
    let protocol = if is_query { Protocol::Query } else { Protocol::Json };
    let body = match axum::body::to_bytes(body, state.config.server.max_body_bytes).await {
        Ok(body) => body,
        Err(_) => {
            let error = ApiError::new(
                "RequestEntityTooLargeException",
                413,
                format!(
                    "Request body exceeds the limit of {} bytes",
                    state.config.server.max_body_bytes
                ),
            );
            return error_response(protocol, "unknown", &error, &request_id);
        }
    };
    let user_agent = header(&parts.headers, "user-agent").unwrap_or_default().to_string();
    let outcome = run(&state, &parts, body, peer, &request_id).await;
    let (service, operation, result, caller, access_key_id, region, parameters) = outcome;
    let code = result.as_ref().err().map(|e| e.code.clone()).unwrap_or_default();

    let event = audit_event::build(EventInput {
        caller: caller.as_ref(),
        access_key_id: access_key_id.as_deref(),
        service: &service,
        operation: &operation,
        region: &region,
        source_ip: peer.map(|p| p.ip().to_string()).unwrap_or_default(),
        user_agent: &user_agent,
        request_id: &request_id,
        parameters,
        error: result.as_ref().err().map(|e| (e.code.as_str(), e.message.as_str())),
        time_ms: state.clock.now_ms(),
    });
    let result = match state.audit.record(event).await {
        Ok(()) => result,
        // As in Vault: a request that cannot be audited does not happen.
        Err(error) => {
            tracing::error!(%error, request_id, "audit write failed; refusing the request");
            Err(ApiError::new(internal_code(&service), 500, "An internal error occurred"))
        }
    };

    let metric_operation = known_operation(&service, &operation);
    state.metrics.observe(&service, metric_operation, &code, started.elapsed());
    match &result {
        Ok(_) => tracing::debug!(service, operation, request_id, "ok"),
        Err(error) if error.is_client_error() => {
            tracing::info!(service, operation, request_id, code = error.code, "client error")
        }
        Err(error) => {
            tracing::warn!(service, operation, request_id, code = error.code, "server error")
        }
    }
    match result {
        Ok(body) => {
            let content_type = if is_query { query::CONTENT_TYPE } else { json::CONTENT_TYPE };
            let mut response = plain(StatusCode::OK, content_type, body.into());
            set_request_id(&mut response, &request_id);
            response
        }
        Err(error) => error_response(protocol, &service, &error, &request_id),
    }
}

type Outcome = (
    String,
    String,
    Result<Vec<u8>, ApiError>,
    Option<Caller>,
    Option<String>,
    String,
    Option<Map<String, Value>>,
);

async fn run(
    state: &AppState,
    parts: &http::request::Parts,
    body: Bytes,
    peer: Option<SocketAddr>,
    request_id: &str,
) -> Outcome {
    let mut envelope = match decode_envelope(parts, &body) {
        Ok(envelope) => envelope,
        Err((service, error)) => {
            return (service, "unknown".into(), Err(error), None, None, String::new(), None);
        }
    };
    let parameters = envelope
        .json_body
        .as_ref()
        .and_then(|v| v.as_object().cloned())
        .or_else(|| envelope.query_params.as_ref().map(|_| Map::new()));
    let (caller, access_key_id, region, body) = match authenticate(state, parts, body, peer).await {
        Ok(authenticated) => authenticated,
        Err((error, access_key_id, region)) => {
            return (
                envelope.service,
                envelope.operation,
                Err(error),
                None,
                access_key_id,
                region,
                parameters,
            );
        }
    };
    // A chunk-encoded body is only readable after verification.
    if envelope.protocol == Protocol::Json && envelope.json_body.is_none() {
        match json::parse_body(&body) {
            Ok(value) => envelope.json_body = Some(value),
            Err(error) => {
                return (
                    envelope.service,
                    envelope.operation,
                    Err(error),
                    Some(caller),
                    access_key_id,
                    region,
                    parameters,
                );
            }
        }
    }
    // Credentials are scoped to one service; JSON targets must match it, and Query
    // requests are routed by it.
    let signed_service = scope_service(parts).unwrap_or_default();
    if envelope.protocol == Protocol::Query {
        envelope.service = signed_service;
    } else if envelope.service != signed_service {
        let error = ApiError::new(
            "InvalidSignatureException",
            400,
            format!("Credential should be scoped to correct service: '{}'.", envelope.service),
        );
        return (
            envelope.service,
            envelope.operation,
            Err(error),
            Some(caller),
            access_key_id,
            region,
            parameters,
        );
    }
    let parameters = match (&envelope.json_body, &envelope.query_params) {
        (Some(body), _) => body.as_object().cloned(),
        (None, Some(params)) => Some(params_map(params)),
        _ => None,
    };
    let result = dispatch(state, &caller, &envelope, request_id).await;
    (envelope.service, envelope.operation, result, Some(caller), access_key_id, region, parameters)
}

fn params_map(params: &query::Params) -> Map<String, Value> {
    let mut map = Map::new();
    for name in ["UserName", "PolicyName", "AccessKeyId", "MaxItems"] {
        if let Some(value) = params.get(name) {
            map.insert(name.to_string(), Value::String(value.to_string()));
        }
    }
    map
}

fn decode_envelope(
    parts: &http::request::Parts,
    body: &Bytes,
) -> Result<Envelope, (String, ApiError)> {
    if let Some(target) = header(&parts.headers, "x-amz-target") {
        let (prefix, operation) = target.split_once('.').unwrap_or((target, ""));
        let service = match prefix {
            kms::TARGET_PREFIX => "kms",
            admin::TARGET_PREFIX => "arca",
            _ => {
                return Err((
                    "unknown".into(),
                    ApiError::new(
                        "UnknownOperationException",
                        400,
                        format!("Unknown target {target}"),
                    ),
                ));
            }
        };
        let streaming =
            header(&parts.headers, "x-amz-content-sha256") == Some(arca_sigv4::STREAMING_PAYLOAD);
        let json_body = if streaming {
            None
        } else {
            Some(json::parse_body(body).map_err(|e| (service.to_string(), e))?)
        };
        return Ok(Envelope {
            protocol: Protocol::Json,
            service: service.into(),
            operation: operation.into(),
            json_body,
            query_params: None,
        });
    }
    let mut params = query::Params::parse(body);
    params.merge_query(parts.uri.query().unwrap_or_default());
    let service = scope_service(parts).unwrap_or_else(|| "iam".into());
    let operation = params
        .get("Action")
        .ok_or_else(|| (service.clone(), ApiError::new("MissingAction", 400, "Missing Action")))?
        .to_string();
    Ok(Envelope {
        protocol: Protocol::Query,
        service,
        operation,
        json_body: None,
        query_params: Some(params),
    })
}

/// The service of the SigV4 credential scope, read before verification (for routing
/// and error formats only).
fn scope_service(parts: &http::request::Parts) -> Option<String> {
    let credential = header(&parts.headers, "authorization")
        .and_then(|auth| auth.split("Credential=").nth(1))
        .map(str::to_string)
        .or_else(|| {
            form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
                .find(|(name, _)| name == "X-Amz-Credential")
                .map(|(_, value)| value.into_owned())
        })?;
    credential.split(['/', ',']).nth(3).map(str::to_string)
}

type Authenticated = (Caller, Option<String>, String, Bytes);
type AuthFailure = (ApiError, Option<String>, String);

async fn authenticate(
    state: &AppState,
    parts: &http::request::Parts,
    body: Bytes,
    peer: Option<SocketAddr>,
) -> Result<Authenticated, AuthFailure> {
    let json_style = parts.headers.contains_key("x-amz-target");
    let mut headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(name, value)| value.to_str().ok().map(|v| (name.as_str(), v)))
        .collect();
    // HTTP/2 carries the host as the :authority pseudo-header, which clients sign as `host`.
    if !parts.headers.contains_key(http::header::HOST)
        && let Some(authority) = parts.uri.authority()
    {
        headers.push(("host", authority.as_str()));
    }
    let streaming =
        header(&parts.headers, "x-amz-content-sha256") == Some(arca_sigv4::STREAMING_PAYLOAD);
    let payload = if streaming {
        PayloadHash::NotComputed
    } else {
        PayloadHash::Computed(arca_crypto::digest::sha256(&body))
    };
    let request = RequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or_default(),
        headers: &headers,
        payload,
    };
    // SigV4 freshness is judged by the real clock, not the test-movable one.
    let parsed = arca_sigv4::parse(&request, time::OffsetDateTime::now_utc())
        .map_err(|error| (sigv4_error(&error, json_style), None, String::new()))?;
    let access_key_id = parsed.access_key_id().to_string();
    let region = parsed.region().to_string();
    let fail = |error: ApiError| (error, Some(access_key_id.clone()), region.clone());
    let (secret, principal) = state.identity.authenticate(&access_key_id).await.map_err(|e| {
        tracing::error!(error = %e, "access key lookup failed");
        fail(ApiError::new("InternalFailure", 500, "An internal error occurred"))
    })?;
    let scope = parsed.scope();
    let signing_key = match principal {
        Some(_) => state.signing_keys.get_or_derive(
            &access_key_id,
            &scope.date,
            &scope.region,
            &scope.service,
            || arca_sigv4::signing_key(&secret, &scope.date, &scope.region, &scope.service),
        ),
        None => arca_sigv4::signing_key(&secret, &scope.date, &scope.region, &scope.service),
    };
    let verified = arca_sigv4::verify_with_signing_key(&parsed, &request, signing_key);
    let Some(principal) = principal else {
        return Err(fail(unrecognized_client(json_style)));
    };
    let verified = verified.map_err(|error| fail(sigv4_error(&error, json_style)))?;
    let body = match verified.payload() {
        VerifiedPayload::Verified | VerifiedPayload::Unsigned => body,
        VerifiedPayload::Declared(hash) => {
            if !arca_crypto::ct_eq(&hash, &arca_crypto::digest::sha256(&body)) {
                return Err(fail(sigv4_error(&SigV4Error::ContentSha256Mismatch, json_style)));
            }
            body
        }
        VerifiedPayload::StreamingSigned => arca_sigv4::decode_chunked(&verified, &body)
            .map(Bytes::from)
            .map_err(|error| fail(sigv4_error(&error, json_style)))?,
    };
    let caller = principal.into_caller(&region, peer.map(|p| p.ip()), state.clock.now_ms());
    Ok((caller, Some(access_key_id), region, body))
}

fn unrecognized_client(json_style: bool) -> ApiError {
    let message = "The security token included in the request is invalid.";
    if json_style {
        ApiError::new("UnrecognizedClientException", 400, message)
    } else {
        ApiError::new("InvalidClientTokenId", 403, message)
    }
}

/// The one mapping from SigV4 failures to AWS codes, per protocol family.
fn sigv4_error(error: &SigV4Error, json_style: bool) -> ApiError {
    let message = error.to_string();
    let (json_code, query_code, query_status) = match error {
        SigV4Error::MissingAuthentication => {
            ("MissingAuthenticationTokenException", "MissingAuthenticationToken", 403)
        }
        SigV4Error::IncompleteSignature { .. }
        | SigV4Error::UnsupportedAlgorithm { .. }
        | SigV4Error::InvalidDate { .. } => {
            ("IncompleteSignatureException", "IncompleteSignature", 400)
        }
        SigV4Error::SignatureDoesNotMatch | SigV4Error::ScopeDateMismatch { .. } => {
            ("InvalidSignatureException", "SignatureDoesNotMatch", 403)
        }
        SigV4Error::RequestExpired { .. } => ("InvalidSignatureException", "RequestExpired", 400),
        SigV4Error::InvalidPayloadHash { .. }
        | SigV4Error::ContentSha256Mismatch
        | SigV4Error::InvalidChunk { .. } => {
            ("InvalidSignatureException", "SignatureDoesNotMatch", 403)
        }
    };
    if json_style {
        ApiError::new(json_code, 400, message)
    } else {
        ApiError::new(query_code, query_status, message)
    }
}

async fn dispatch(
    state: &AppState,
    caller: &Caller,
    envelope: &Envelope,
    request_id: &str,
) -> Result<Vec<u8>, ApiError> {
    let body = envelope.json_body.clone().unwrap_or_else(|| Value::Object(Map::new()));
    match (envelope.protocol, envelope.service.as_str()) {
        (Protocol::Json, "kms") => kms::call(&state.kms, caller, &envelope.operation, body).await,
        (Protocol::Json, "arca") => admin::call(state, caller, &envelope.operation, body).await,
        (Protocol::Query, service) => {
            let params = envelope
                .query_params
                .as_ref()
                .ok_or_else(|| ApiError::new("MissingAction", 400, "Missing Action"))?;
            let xml = match service {
                "sts" => sts::call(caller, &envelope.operation, request_id)?,
                "iam" => {
                    iam::call(&state.identity, caller, &envelope.operation, params, request_id)
                        .await?
                }
                other => {
                    return Err(ApiError::new(
                        "InvalidAction",
                        400,
                        format!("Service {other} is not served over the Query protocol"),
                    ));
                }
            };
            Ok(xml.into_bytes())
        }
        (Protocol::Json, other) => {
            Err(ApiError::new("UnknownOperationException", 400, format!("Unknown service {other}")))
        }
    }
}

fn known_operation<'a>(service: &str, operation: &'a str) -> &'a str {
    let known = match service {
        "kms" => kms::is_known(operation),
        "iam" => iam::OPERATIONS.contains(&operation),
        "sts" => operation == "GetCallerIdentity",
        "arca" => ["CreateAccount", "RotateRootKey", "AdvanceClock"].contains(&operation),
        _ => false,
    };
    // Unknown names stay out of metric labels so that clients cannot grow them unbounded.
    if known { operation } else { "unknown" }
}

fn internal_code(service: &str) -> &'static str {
    match service {
        "kms" => "KMSInternalException",
        "iam" | "sts" => "ServiceFailure",
        _ => "InternalFailure",
    }
}

fn header<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn plain(status: StatusCode, content_type: &'static str, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn set_request_id(response: &mut Response<Body>, request_id: &str) {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
}

fn error_response(
    protocol: Protocol,
    service: &str,
    error: &ApiError,
    request_id: &str,
) -> Response<Body> {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = match protocol {
        Protocol::Json => plain(status, json::CONTENT_TYPE, json::error_body(error).into()),
        Protocol::Query => {
            let xmlns = if service == "sts" { sts::XMLNS } else { iam::XMLNS };
            plain(status, query::CONTENT_TYPE, query::error_body(error, xmlns, request_id).into())
        }
    };
    if let Ok(value) = HeaderValue::from_str(&error.code) {
        response.headers_mut().insert("x-amzn-errortype", value);
    }
    set_request_id(&mut response, request_id);
    response
}
