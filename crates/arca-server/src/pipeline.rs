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

use arca_api::{ApiError, PlainRequest, PlainResponse, Protocol, Reply, Route, RouteError};
use arca_gate::Caller;
use arca_sigv4::{AuthForm, PayloadHash, RequestParts, SigV4Error, VerifiedPayload};

use crate::{
    audit_event::{self, EventInput},
    request_body::{self, BodyError},
    state::AppState,
};

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

/// What a verified caller asked for and what it got. The service and operation are
/// names from the registry's tables (or `unknown`), never text from the request.
struct Served {
    service: &'static str,
    operation: &'static str,
    read_only: bool,
    internal_error_code: &'static str,
    xmlns: &'static str,
    parameters: Option<Map<String, Value>>,
    result: Result<Reply, ApiError>,
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
    let request_id = audit_event::random_uuid();
    let connection = Connection {
        peer: request.extensions().get::<PeerAddr>().map(|peer| peer.0),
        secure: request.extensions().get::<SecureTransport>().is_some(),
    };
    let (parts, body) = request.into_parts();
    if let Some((route, service)) = state.registry.plain_route(&parts.method, parts.uri.path()) {
        // A service's own HTTP route: no SigV4 (the service authenticates it, or it is
        // public), but the same body limits.
        let answer = match read_body(&state, &parts, body).await {
            Ok(body) => {
                let request = PlainRequest {
                    path: parts.uri.path(),
                    query: parts.uri.query().unwrap_or_default(),
                    headers: &parts.headers,
                    body: &body,
                };
                service.serve_plain(route, request).await
            }
            Err(error) => PlainResponse::from_error(&error),
        };
        let code = if answer.status < 400 { "" } else { "PlainRouteError" };
        state.metrics.observe(service.descriptor().name, route.name, code, started.elapsed());
        let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
        let mut response = plain(status, answer.content_type, answer.body.into());
        set_request_id(&mut response, &request_id);
        return response;
    }
    let protocol = Protocol::detect(parts.uri.path(), &parts.headers);
    let unverified_xmlns = || state.registry.xmlns_for(unverified_signing_name(&parts).as_deref());
    let body = match read_body(&state, &parts, body).await {
        Ok(body) => body,
        Err(error) => {
            state.metrics.observe_unauthenticated(&error.code);
            return error_response(protocol, unverified_xmlns(), &error, &request_id);
        }
    };
    let user_agent = header(&parts.headers, "user-agent").unwrap_or_default();
    let outcome = run(&state, protocol, &parts, body, connection, &request_id).await;
    let (caller, served) = match outcome {
        Outcome::Authenticated(caller, served) => (caller, served),
        Outcome::Unauthenticated(error) => {
            tracing::debug!(request_id, code = error.code, "unauthenticated request refused");
            state.metrics.observe_unauthenticated(&error.code);
            return error_response(protocol, unverified_xmlns(), &error, &request_id);
        }
    };
    let Served { service, operation, read_only, internal_error_code, xmlns, parameters, result } =
        served;
    let recorded = audit_event::record(
        &state.audit,
        EventInput {
            caller: &caller,
            service,
            operation,
            read_only,
            source_ip: connection.peer.map(|p| p.ip().to_string()).unwrap_or_default(),
            user_agent,
            request_id: &request_id,
            parameters,
            error: result.as_ref().err().map(|e| (e.code.as_str(), e.message.as_str())),
            time_ms: state.clock.now_ms(),
        },
    )
    .await;
    let result = match recorded {
        Ok(()) => result,
        // As in Vault: a request that cannot be audited does not happen.
        Err(error) => {
            tracing::error!(%error, request_id, "audit write failed; refusing the request");
            Err(ApiError::new(internal_error_code, 500, "An internal error occurred"))
        }
    };
    let code = result.as_ref().err().map(|e| e.code.as_str()).unwrap_or_default();
    state.metrics.observe(service, operation, code, started.elapsed());
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
        Ok(reply) => {
            let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
            let mut response = plain(status, protocol.content_type(), reply.body.into());
            add_headers(&mut response, protocol.extra_headers(None));
            set_request_id(&mut response, &request_id);
            response
        }
        Err(error) => error_response(protocol, xmlns, &error, &request_id),
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
    protocol: Protocol,
    parts: &http::request::Parts,
    body: Bytes,
    connection: Connection,
    request_id: &str,
) -> Outcome {
    let json_style = protocol != Protocol::AwsQuery;
    let (caller, signing_name, body) =
        match authenticate(state, parts, body, connection, json_style).await {
            Ok(authenticated) => authenticated,
            Err(error) => return Outcome::Unauthenticated(error),
        };
    let served = serve(state, &caller, protocol, &signing_name, parts, &body, request_id).await;
    Outcome::Authenticated(Box::new(caller), served)
}

/// Routes a verified request through the registry and runs it.
async fn serve(
    state: &AppState,
    caller: &Caller,
    protocol: Protocol,
    signing_name: &str,
    parts: &http::request::Parts,
    body: &Bytes,
    request_id: &str,
) -> Served {
    let route = match state.registry.route(protocol, parts, body, signing_name, request_id) {
        Ok(route) => route,
        Err(RouteError { service, error }) => {
            let xmlns = service
                .and_then(|descriptor| descriptor.xmlns())
                .unwrap_or_else(|| state.registry.xmlns_for(Some(signing_name)));
            return Served {
                service: service.map_or("unknown", |descriptor| descriptor.name),
                operation: "unknown",
                read_only: false,
                internal_error_code: service
                    .map_or("InternalFailure", |descriptor| descriptor.internal_error_code),
                xmlns,
                parameters: None,
                result: Err(error),
            };
        }
    };
    let Route { service, operation, input } = route;
    let descriptor = service.descriptor();
    let parameters = Some(input.audit_members(operation.audit_members));
    let result = service
        .call(arca_api::Call { caller, operation, input })
        .await
        .map_err(|error| error.with_message_member(descriptor.error_message_member));
    Served {
        service: descriptor.name,
        operation: operation.name,
        read_only: operation.read_only,
        internal_error_code: descriptor.internal_error_code,
        xmlns: descriptor.xmlns().unwrap_or_default(),
        parameters,
        result,
    }
}

/// The service an unauthenticated request's credential scope names, used only to pick
/// the Query namespace of an error among the registered ones (never echoed).
fn unverified_signing_name(parts: &http::request::Parts) -> Option<String> {
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

/// A verified caller, the service its credential is scoped to, and the body to decode.
type Authenticated = (Caller, String, Bytes);

async fn authenticate(
    state: &AppState,
    parts: &http::request::Parts,
    body: Bytes,
    connection: Connection,
    json_style: bool,
) -> Result<Authenticated, ApiError> {
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

fn add_headers(response: &mut Response<Body>, headers: Vec<(&'static str, String)>) {
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
}

/// An error in the protocol the request came in.
fn error_response(
    protocol: Protocol,
    xmlns: &str,
    error: &ApiError,
    request_id: &str,
) -> Response<Body> {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = protocol.error_body(error, xmlns, request_id);
    let mut response = plain(status, protocol.content_type(), body.into());
    add_headers(&mut response, protocol.extra_headers(Some(error)));
    if let Ok(value) = HeaderValue::from_str(&error.code) {
        response.headers_mut().insert("x-amzn-errortype", value);
    }
    set_request_id(&mut response, request_id);
    response
}
