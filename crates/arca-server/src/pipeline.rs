//! The one request pipeline every AWS API goes through: read the body within bounds,
//! decode the protocol envelope, authenticate (SigV4), dispatch to the service, audit,
//! measure, encode. Services see typed inputs and a [`Caller`]; nothing below this
//! module sees HTTP.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header::CONTENT_TYPE};
use serde_json::{Map, Value};

use arca_gate::Caller;
use arca_sigv4::{AuthForm, PayloadHash, RequestParts, SigV4Error, VerifiedPayload};

use crate::{
    audit_event::{self, EventInput},
    handlers::{admin, iam, kms, sts},
    protocol::{ApiError, Protocol, json, query},
    request_body::{self, BodyError},
    state::AppState,
};

/// What a request asks for, once its envelope is decoded (after authentication).
struct Envelope {
    protocol: Protocol,
    /// `kms`, `arca` for JSON; the verified SigV4 scope's service for Query (`iam`, `sts`).
    service: String,
    operation: String,
    json_body: Option<Value>,
    query_params: Option<query::Params>,
}

/// The client's address, attached to each request by the connection loop.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// Attached by the connection loop to each request that arrived over TLS
/// (`aws:SecureTransport`).
#[derive(Debug, Clone, Copy)]
pub struct SecureTransport;

/// How a request ended, as the audit log and the metrics see it.
enum Outcome {
    /// Authentication failed (or was never tried). Nothing the request said is trusted,
    /// so it changes nothing but a counter with fixed labels: no audit record, no
    /// metric label taken from its contents.
    Unauthenticated(ApiError),
    /// A verified caller's request, answered or refused.
    Authenticated(Box<Caller>, Served),
}

/// What a verified caller asked for and what it got.
struct Served {
    service: String,
    operation: String,
    parameters: Option<Map<String, Value>>,
    result: Result<Vec<u8>, ApiError>,
}

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
    let connection = Connection {
        peer: request.extensions().get::<PeerAddr>().map(|peer| peer.0),
        secure: request.extensions().get::<SecureTransport>().is_some(),
    };
    let (parts, body) = request.into_parts();
    let protocol =
        if parts.headers.contains_key("x-amz-target") { Protocol::Json } else { Protocol::Query };
    let body = match read_body(&state, &parts, body).await {
        Ok(body) => body,
        Err(error) => {
            state.metrics.observe_unauthenticated(&error.code);
            return error_response(protocol, xmlns_service(&parts), &error, &request_id);
        }
    };
    let user_agent = header(&parts.headers, "user-agent").unwrap_or_default();
    let outcome = run(&state, &parts, body, connection, &request_id).await;
    let (caller, Served { service, operation, parameters, result }) = match outcome {
        Outcome::Authenticated(caller, served) => (caller, served),
        Outcome::Unauthenticated(error) => {
            tracing::debug!(request_id, code = error.code, "unauthenticated request refused");
            state.metrics.observe_unauthenticated(&error.code);
            return error_response(protocol, xmlns_service(&parts), &error, &request_id);
        }
    };
    let code = result.as_ref().err().map(|e| e.code.clone()).unwrap_or_default();
    let event = audit_event::build(EventInput {
        caller: &caller,
        service: &service,
        operation: &operation,
        source_ip: connection.peer.map(|p| p.ip().to_string()).unwrap_or_default(),
        user_agent,
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

    let metric_service = known_service(&service);
    let metric_operation = known_operation(metric_service, &operation);
    state.metrics.observe(metric_service, metric_operation, &code, started.elapsed());
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
            let content_type = match protocol {
                Protocol::Query => query::CONTENT_TYPE,
                Protocol::Json => json::CONTENT_TYPE,
            };
            let mut response = plain(StatusCode::OK, content_type, body.into());
            set_request_id(&mut response, &request_id);
            response
        }
        Err(error) => error_response(protocol, &service, &error, &request_id),
    }
}

/// Reads the whole body within `max_body_bytes` and `body_timeout_seconds` (see
/// [`crate::request_body`] for how a body over the limit is refused).
async fn read_body(
    state: &AppState,
    parts: &http::request::Parts,
    body: Body,
) -> Result<Bytes, ApiError> {
    let limit = state.config.server.max_body_bytes;
    let declared = match header(&parts.headers, http::header::CONTENT_LENGTH.as_str())
        .map(|value| value.trim().parse::<u64>())
    {
        Some(Ok(length)) => Some(length),
        Some(Err(_)) => return Err(ApiError::new("BadRequest", 400, "Invalid Content-Length")),
        None => None,
    };
    let deadline = Duration::from_secs(state.config.server.body_timeout_seconds);
    request_body::read(body, declared, limit, deadline).await.map_err(|error| match error {
        BodyError::TooLarge => ApiError::new(
            "RequestEntityTooLargeException",
            413,
            format!("Request body exceeds the limit of {limit} bytes"),
        ),
        BodyError::TimedOut => ApiError::new(
            "RequestTimeoutException",
            408,
            "The request body did not arrive in time.",
        ),
        BodyError::Broken => {
            ApiError::new("BadRequest", 400, "The request body could not be read.")
        }
    })
}

/// What the connection loop knows of the client.
#[derive(Debug, Clone, Copy)]
struct Connection {
    peer: Option<SocketAddr>,
    secure: bool,
}

async fn run(
    state: &AppState,
    parts: &http::request::Parts,
    body: Bytes,
    connection: Connection,
    request_id: &str,
) -> Outcome {
    let (caller, signed_service, body) = match authenticate(state, parts, body, connection).await {
        Ok(authenticated) => authenticated,
        Err(error) => return Outcome::Unauthenticated(error),
    };
    let served = serve(state, &caller, &signed_service, parts, &body, request_id).await;
    Outcome::Authenticated(Box::new(caller), served)
}

/// Decodes and dispatches a verified request.
async fn serve(
    state: &AppState,
    caller: &Caller,
    signed_service: &str,
    parts: &http::request::Parts,
    body: &Bytes,
    request_id: &str,
) -> Served {
    let envelope = match decode_envelope(parts, body, signed_service) {
        Ok(envelope) => envelope,
        Err((service, error)) => {
            let operation = "unknown".into();
            return Served { service, operation, parameters: None, result: Err(error) };
        }
    };
    let parameters = match (&envelope.json_body, &envelope.query_params) {
        (Some(body), _) => body.as_object().cloned(),
        (None, Some(params)) => Some(params_map(params)),
        _ => None,
    };
    // Credentials are scoped to one service; JSON targets must match it.
    let result = if envelope.protocol == Protocol::Json && envelope.service != signed_service {
        Err(ApiError::new(
            "InvalidSignatureException",
            400,
            format!("Credential should be scoped to correct service: '{}'.", envelope.service),
        ))
    } else {
        dispatch(state, caller, &envelope, request_id).await
    };
    Served { service: envelope.service, operation: envelope.operation, parameters, result }
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

/// Decodes the verified request: JSON 1.1 when it names an `X-Amz-Target`, else Query
/// routed by the signed scope's service. Errors carry the service to answer as.
fn decode_envelope(
    parts: &http::request::Parts,
    body: &Bytes,
    signed_service: &str,
) -> Result<Envelope, (String, ApiError)> {
    if let Some(target) = header(&parts.headers, "x-amz-target") {
        let (prefix, operation) = target.split_once('.').unwrap_or((target, ""));
        let service = match prefix {
            kms::TARGET_PREFIX => "kms",
            admin::TARGET_PREFIX => "arca",
            _ => {
                return Err((
                    signed_service.to_string(),
                    ApiError::new(
                        "UnknownOperationException",
                        400,
                        format!("Unknown target {}", truncate(target)),
                    ),
                ));
            }
        };
        let json_body = json::parse_body(body).map_err(|e| (service.to_string(), e))?;
        return Ok(Envelope {
            protocol: Protocol::Json,
            service: service.into(),
            operation: operation.into(),
            json_body: Some(json_body),
            query_params: None,
        });
    }
    let service = signed_service.to_string();
    let params = query::Params::from_request(body, parts.uri.query().unwrap_or_default())
        .map_err(|error| (service.clone(), error))?;
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

/// Which of the two fixed Query namespaces an error before authentication is written
/// in: read from the unverified credential scope, so it only ever selects `sts` or not.
fn xmlns_service(parts: &http::request::Parts) -> &'static str {
    let credential = header(&parts.headers, "authorization")
        .and_then(|auth| auth.split("Credential=").nth(1))
        .map(str::to_string)
        .or_else(|| {
            form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
                .find(|(name, _)| name == "X-Amz-Credential")
                .map(|(_, value)| value.into_owned())
        });
    match credential.as_deref().and_then(|c| c.split(['/', ',']).nth(3)) {
        Some("sts") => "sts",
        _ => "iam",
    }
}

/// A verified caller, the service its credential is scoped to, and the body to decode.
type Authenticated = (Caller, String, Bytes);

async fn authenticate(
    state: &AppState,
    parts: &http::request::Parts,
    body: Bytes,
    connection: Connection,
) -> Result<Authenticated, ApiError> {
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
        .map_err(|error| sigv4_error(&error, json_style))?;
    if !state.config.server.serves_region(parsed.region()) {
        return Err(invalid_region(parsed.region(), json_style));
    }
    // Arca issues no temporary credentials, so a session token can belong to none of its
    // access keys: AWS refuses a token that does not match the key.
    if parsed.security_token().is_some() {
        return Err(unrecognized_client(json_style));
    }
    let access_key_id = parsed.access_key_id().to_string();
    let (secret, principal) = state.identity.authenticate(&access_key_id).await.map_err(|e| {
        tracing::error!(error = %e, "access key lookup failed");
        ApiError::new("InternalFailure", 500, "An internal error occurred")
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
        return Err(unrecognized_client(json_style));
    };
    let verified = verified.map_err(|error| sigv4_error(&error, json_style))?;
    let body = match verified.payload() {
        VerifiedPayload::Verified => body,
        // A presigned URL signs UNSIGNED-PAYLOAD; it may only carry an empty body, or
        // whatever is put in the body would run with the signer's authority.
        VerifiedPayload::Unsigned
            if body.is_empty() && matches!(verified.form(), AuthForm::Presigned { .. }) =>
        {
            body
        }
        VerifiedPayload::Unsigned => {
            let reason = match verified.form() {
                AuthForm::Presigned { .. } => {
                    "A presigned request must have an empty body or sign the SHA-256 of its body."
                }
                AuthForm::Header => {
                    "UNSIGNED-PAYLOAD is not accepted: sign the SHA-256 of the request body."
                }
            };
            let error = SigV4Error::UnsignedPayload { reason: reason.into() };
            return Err(sigv4_error(&error, json_style));
        }
        VerifiedPayload::Declared(hash) => {
            if !arca_crypto::ct_eq(&hash, &arca_crypto::digest::sha256(&body)) {
                return Err(sigv4_error(&SigV4Error::ContentSha256Mismatch, json_style));
            }
            body
        }
        VerifiedPayload::StreamingSigned => arca_sigv4::decode_chunked(&verified, &body)
            .map(Bytes::from)
            .map_err(|error| sigv4_error(&error, json_style))?,
    };
    let region = verified.region().to_string();
    let caller = principal.into_caller(
        &region,
        connection.peer.map(|p| p.ip()),
        connection.secure,
        state.clock.now_ms(),
    );
    Ok((caller, verified.service().to_string(), body))
}

/// AWS's answer to a credential scope naming a region this deployment does not serve.
fn invalid_region(region: &str, json_style: bool) -> ApiError {
    let message =
        format!("Credential should be scoped to a valid region, not '{}'.", truncate(region));
    if json_style {
        ApiError::new("InvalidSignatureException", 400, message)
    } else {
        ApiError::new("SignatureDoesNotMatch", 403, message)
    }
}

/// Caps client-supplied text echoed in an error message.
fn truncate(value: &str) -> String {
    value.chars().take(64).collect()
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
        SigV4Error::UnsignedHeader { .. } => {
            ("IncompleteSignatureException", "IncompleteSignature", 400)
        }
        SigV4Error::InvalidPayloadHash { .. }
        | SigV4Error::UnsignedPayload { .. }
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

/// The metric label of a service: one of the fixed names this server serves.
fn known_service(service: &str) -> &'static str {
    match service {
        "kms" => "kms",
        "iam" => "iam",
        "sts" => "sts",
        "arca" => "arca",
        _ => "unknown",
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
