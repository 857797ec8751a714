//! Reading the authorization data of a request: the `Authorization` header form and the
//! presigned query form.

use time::macros::format_description;
use time::{Duration, OffsetDateTime, PrimitiveDateTime, format_description::BorrowedFormatItem};

use crate::canonical::{ALGORITHM, TERMINATOR, query_pairs};
use crate::error::SigV4Error;

/// ISO 8601 basic format, as in `x-amz-date`: `20150830T123600Z`.
const AMZ_DATE: &[BorrowedFormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");
/// The scope date: `20150830`.
const SCOPE_DATE: &[BorrowedFormatItem<'static>] = format_description!("[year][month][day]");
/// The HTTP `Date` header (RFC 7231 IMF-fixdate).
const HTTP_DATE: &[BorrowedFormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// Largest clock difference allowed between client and server.
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(15);
/// Longest lifetime of a presigned request: seven days.
pub const MAX_PRESIGNED_EXPIRES: u32 = 604_800;
/// Bounds on what we read from the outside, to keep parsing cheap.
const MAX_AUTHORIZATION_LEN: usize = 8 * 1024;
const MAX_SIGNED_HEADERS: usize = 64;

/// The parts of an HTTP request that SigV4 signs, as the server received them.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// The HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// The path as received on the wire (still percent-encoded), e.g. `/`.
    pub path: &'a str,
    /// The raw query string without the `?`, e.g. `Action=ListUsers&Version=2010-05-08`.
    pub query: &'a str,
    /// Every header, in the order received; names are matched case-insensitively, a
    /// header that appears several times is listed several times. Build it from an
    /// `http::HeaderMap` with `(name.as_str(), value.to_str()?)` without copying. HTTP/2
    /// requests carry the host in the `:authority` pseudo-header: add it as `host`.
    pub headers: &'a [(&'a str, &'a str)],
    /// What the server knows about the body.
    pub payload: PayloadHash,
}

impl<'a> RequestParts<'a> {
    /// The values of header `name` (case-insensitive), in order.
    pub fn header_values(&self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| *value)
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| *value)
    }
}

/// What the server knows about the request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadHash {
    /// The server hashed the whole body (SHA-256). Always possible for JSON and Query
    /// protocol bodies, which are small.
    Computed([u8; 32]),
    /// The server has not read the body (streaming uploads). The request must then carry
    /// `x-amz-content-sha256`; [`crate::VerifiedRequest::payload`] tells the server what
    /// it still has to check.
    NotComputed,
}

/// Which form the authorization data came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthForm {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
    Header,
    /// `X-Amz-Algorithm=...&X-Amz-Credential=...&...&X-Amz-Signature=...` in the query.
    Presigned {
        /// `X-Amz-Expires`, seconds after `X-Amz-Date`.
        expires: u32,
    },
}

/// The credential scope: `date/region/service/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    /// `YYYYMMDD`.
    pub date: String,
    /// The region, e.g. `us-east-1`.
    pub region: String,
    /// The service signing name, e.g. `kms`.
    pub service: String,
}

impl CredentialScope {
    /// The scope as it appears in the string to sign.
    pub fn to_scope_string(&self) -> String {
        crate::canonical::scope_string(&self.date, &self.region, &self.service)
    }
}

/// Authorization data read from a request, checked for form and freshness but not yet
/// for the signature: look up the secret of [`ParsedAuth::access_key_id`], then call
/// [`crate::verify`].
#[derive(Debug, Clone)]
pub struct ParsedAuth {
    pub(crate) form: AuthForm,
    pub(crate) access_key_id: String,
    pub(crate) scope: CredentialScope,
    pub(crate) signed_headers: Vec<String>,
    pub(crate) signature: [u8; 32],
    pub(crate) timestamp: OffsetDateTime,
    pub(crate) amz_date: String,
    pub(crate) security_token: Option<String>,
}

impl ParsedAuth {
    /// The access key id from the credential.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The credential scope (date, region, service).
    pub fn scope(&self) -> &CredentialScope {
        &self.scope
    }

    /// The region from the credential scope.
    pub fn region(&self) -> &str {
        &self.scope.region
    }

    /// The service from the credential scope.
    pub fn service(&self) -> &str {
        &self.scope.service
    }

    /// The signed header names, lower-case, in the order the client listed them.
    pub fn signed_headers(&self) -> &[String] {
        &self.signed_headers
    }

    /// The request timestamp (`x-amz-date`, `Date`, or `X-Amz-Date`).
    pub fn timestamp(&self) -> OffsetDateTime {
        self.timestamp
    }

    /// The request timestamp in ISO 8601 basic format, as it enters the string to sign.
    pub fn amz_date(&self) -> &str {
        &self.amz_date
    }

    /// Header or presigned form.
    pub fn form(&self) -> AuthForm {
        self.form
    }

    /// `X-Amz-Security-Token` (header or query), for temporary credentials.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }
}

/// Formats a timestamp in ISO 8601 basic format (`20150830T123600Z`).
pub fn format_amz_date(timestamp: OffsetDateTime) -> String {
    timestamp.format(AMZ_DATE).unwrap_or_default()
}

/// Formats the `YYYYMMDD` scope date of a timestamp.
pub fn format_scope_date(timestamp: OffsetDateTime) -> String {
    timestamp.format(SCOPE_DATE).unwrap_or_default()
}

/// Parses an ISO 8601 basic timestamp (`20150830T123600Z`).
pub fn parse_amz_date(value: &str) -> Option<OffsetDateTime> {
    PrimitiveDateTime::parse(value, AMZ_DATE).ok().map(PrimitiveDateTime::assume_utc)
}

fn parse_http_date(value: &str) -> Option<OffsetDateTime> {
    PrimitiveDateTime::parse(value, HTTP_DATE).ok().map(PrimitiveDateTime::assume_utc)
}

/// Reads and checks the authorization data of a request.
///
/// Detects the header or presigned form, parses the credential, signed headers,
/// signature and timestamp, and checks that the scope date is the request's day, that
/// `host` is signed, and that the request is fresh at `now` (15 minutes of clock skew
/// for the header form; `[date - 15 min, date + X-Amz-Expires]` for presigned requests).
pub fn parse(parts: &RequestParts<'_>, now: OffsetDateTime) -> Result<ParsedAuth, SigV4Error> {
    let authorization = parts.header("authorization");
    let presigned = query_pairs(parts.query).any(|(name, _)| {
        name.eq_ignore_ascii_case(b"X-Amz-Algorithm")
            || name.eq_ignore_ascii_case(b"X-Amz-Signature")
            || name.eq_ignore_ascii_case(b"X-Amz-Credential")
    });
    let parsed = match (authorization, presigned) {
        (Some(_), true) => {
            return Err(SigV4Error::incomplete(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or \
                 the Authorization header should be specified",
            ));
        }
        (Some(header), false) => parse_header_form(parts, header)?,
        (None, true) => parse_query_form(parts)?,
        (None, false) => return Err(SigV4Error::MissingAuthentication),
    };
    check_common(&parsed)?;
    check_amz_headers_signed(&parsed, parts)?;
    check_freshness(&parsed, now)?;
    Ok(parsed)
}

/// Every `x-amz-*` header sent must be signed: `x-amz-target` names the operation of a
/// JSON request and `x-amz-security-token` the session, so an unsigned one could be
/// swapped in a captured request without breaking its signature.
fn check_amz_headers_signed(
    parsed: &ParsedAuth,
    parts: &RequestParts<'_>,
) -> Result<(), SigV4Error> {
    for (name, _) in parts.headers {
        let is_amz = name.get(..6).is_some_and(|prefix| prefix.eq_ignore_ascii_case("x-amz-"));
        if is_amz && !parsed.signed_headers.iter().any(|signed| signed.eq_ignore_ascii_case(name)) {
            return Err(SigV4Error::UnsignedHeader { name: truncate(&name.to_ascii_lowercase()) });
        }
    }
    Ok(())
}

fn parse_header_form(parts: &RequestParts<'_>, header: &str) -> Result<ParsedAuth, SigV4Error> {
    if header.len() > MAX_AUTHORIZATION_LEN {
        return Err(SigV4Error::incomplete("Authorization header is too long."));
    }
    let header = header.trim();
    let (algorithm, rest) = header.split_once(' ').unwrap_or((header, ""));
    if algorithm != ALGORITHM {
        return Err(SigV4Error::UnsupportedAlgorithm { algorithm: truncate(algorithm) });
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for component in rest.split(',') {
        let component = component.trim();
        if component.is_empty() {
            continue;
        }
        let Some((key, value)) = component.split_once('=') else {
            return Err(SigV4Error::incomplete(format!(
                "Authorization header requires each component to be of the form key=value; \
                 '{}' is not.",
                truncate(component)
            )));
        };
        let slot = match key.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.is_some() {
            return Err(SigV4Error::incomplete(format!(
                "Authorization header has a duplicate '{}' parameter.",
                key.trim()
            )));
        }
        *slot = Some(value.trim());
    }
    let mut missing = String::new();
    for (name, value) in
        [("Credential", credential), ("Signature", signature), ("SignedHeaders", signed_headers)]
    {
        if value.is_none() {
            missing.push_str(&format!("Authorization header requires '{name}' parameter. "));
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(SigV4Error::incomplete(missing.trim_end().to_owned()));
    };
    let (access_key_id, scope) = parse_credential(credential)?;
    let signed_headers = parse_signed_headers(signed_headers)?;
    let signature = parse_signature(signature)?;
    let (timestamp, date_header) = if let Some(value) = parts.header("x-amz-date") {
        let timestamp = parse_amz_date(value.trim()).ok_or_else(|| SigV4Error::InvalidDate {
            reason: format!(
                "Date must be in ISO-8601 'basic format'. Got '{}'. See http://en.wikipedia.org/wiki/ISO_8601",
                truncate(value)
            ),
        })?;
        (timestamp, "x-amz-date")
    } else if let Some(value) = parts.header("date") {
        let timestamp = parse_http_date(value.trim()).ok_or_else(|| SigV4Error::InvalidDate {
            reason: format!("Date header is not an RFC 7231 date: '{}'.", truncate(value)),
        })?;
        (timestamp, "date")
    } else {
        return Err(SigV4Error::incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        ));
    };
    if !signed_headers.iter().any(|name| name == date_header) {
        return Err(SigV4Error::incomplete(format!(
            "'{date_header}' must be a 'SignedHeader' in the AWS Authorization."
        )));
    }
    Ok(ParsedAuth {
        form: AuthForm::Header,
        access_key_id,
        scope,
        signed_headers,
        signature,
        timestamp,
        amz_date: format_amz_date(timestamp),
        security_token: parts.header("x-amz-security-token").map(str::to_owned),
    })
}

fn parse_query_form(parts: &RequestParts<'_>) -> Result<ParsedAuth, SigV4Error> {
    let mut algorithm = None;
    let mut credential = None;
    let mut date = None;
    let mut expires = None;
    let mut signed_headers = None;
    let mut signature = None;
    let mut security_token = None;
    for (name, value) in query_pairs(parts.query) {
        let slot = match name.as_slice() {
            b"X-Amz-Algorithm" => &mut algorithm,
            b"X-Amz-Credential" => &mut credential,
            b"X-Amz-Date" => &mut date,
            b"X-Amz-Expires" => &mut expires,
            b"X-Amz-SignedHeaders" => &mut signed_headers,
            b"X-Amz-Signature" => &mut signature,
            b"X-Amz-Security-Token" => &mut security_token,
            _ => continue,
        };
        if slot.is_some() {
            return Err(SigV4Error::incomplete(format!(
                "Query parameter '{}' appears more than once.",
                String::from_utf8_lossy(&name)
            )));
        }
        *slot = Some(String::from_utf8(value).map_err(|_| {
            SigV4Error::incomplete(format!(
                "Query parameter '{}' is not valid UTF-8.",
                String::from_utf8_lossy(&name)
            ))
        })?);
    }
    let mut missing = Vec::new();
    for (name, value) in [
        ("X-Amz-Algorithm", &algorithm),
        ("X-Amz-Credential", &credential),
        ("X-Amz-Signature", &signature),
        ("X-Amz-SignedHeaders", &signed_headers),
        ("X-Amz-Date", &date),
        ("X-Amz-Expires", &expires),
    ] {
        if value.is_none() {
            missing.push(format!("AWS query-string parameters must include '{name}'."));
        }
    }
    let (
        Some(algorithm),
        Some(credential),
        Some(date),
        Some(expires),
        Some(signed_headers),
        Some(signature),
    ) = (algorithm, credential, date, expires, signed_headers, signature)
    else {
        return Err(SigV4Error::incomplete(missing.join(" ")));
    };
    if algorithm != ALGORITHM {
        return Err(SigV4Error::UnsupportedAlgorithm { algorithm: truncate(&algorithm) });
    }
    let (access_key_id, scope) = parse_credential(&credential)?;
    let signed_headers = parse_signed_headers(&signed_headers)?;
    let signature = parse_signature(&signature)?;
    let timestamp = parse_amz_date(&date).ok_or_else(|| SigV4Error::InvalidDate {
        reason: format!(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"; got '{}'.",
            truncate(&date)
        ),
    })?;
    let expires = match expires.parse::<u32>() {
        Ok(seconds) if (1..=MAX_PRESIGNED_EXPIRES).contains(&seconds) => seconds,
        Ok(0) => {
            return Err(SigV4Error::incomplete("X-Amz-Expires must be non-negative and non-zero"));
        }
        Ok(_) => {
            return Err(SigV4Error::incomplete(
                "X-Amz-Expires must be less than a week (in seconds) that is 604800",
            ));
        }
        Err(_) => {
            return Err(SigV4Error::incomplete(format!(
                "X-Amz-Expires should be a number; got '{}'.",
                truncate(&expires)
            )));
        }
    };
    Ok(ParsedAuth {
        form: AuthForm::Presigned { expires },
        access_key_id,
        scope,
        signed_headers,
        signature,
        timestamp,
        amz_date: format_amz_date(timestamp),
        security_token,
    })
}

fn parse_credential(credential: &str) -> Result<(String, CredentialScope), SigV4Error> {
    let mut parts = credential.split('/');
    let (Some(access_key_id), Some(date), Some(region), Some(service), Some(terminator), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SigV4Error::incomplete(format!(
            "Credential should be scoped to a valid region, service and date: \
             'ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request', not '{}'.",
            truncate(credential)
        )));
    };
    if access_key_id.is_empty() {
        return Err(SigV4Error::incomplete("Credential must name an access key id."));
    }
    if date.len() != 8 || !date.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(SigV4Error::incomplete(format!(
            "Credential should be scoped to a valid date: 'YYYYMMDD', not '{}'.",
            truncate(date)
        )));
    }
    if region.is_empty() {
        return Err(SigV4Error::incomplete("Credential should be scoped to a valid region."));
    }
    if service.is_empty() {
        return Err(SigV4Error::incomplete("Credential should be scoped to a valid service."));
    }
    if terminator != TERMINATOR {
        return Err(SigV4Error::incomplete(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
            truncate(terminator)
        )));
    }
    Ok((
        access_key_id.to_owned(),
        CredentialScope {
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
        },
    ))
}

fn parse_signed_headers(value: &str) -> Result<Vec<String>, SigV4Error> {
    let names: Vec<String> = value.split(';').map(|name| name.trim().to_owned()).collect();
    if names.len() > MAX_SIGNED_HEADERS {
        return Err(SigV4Error::incomplete("Too many signed headers."));
    }
    if names.iter().any(|name| {
        name.is_empty()
            || !name.bytes().all(|byte| {
                byte.is_ascii_graphic()
                    && !byte.is_ascii_uppercase()
                    && byte != b':'
                    && byte != b';'
            })
    }) {
        return Err(SigV4Error::incomplete(format!(
            "SignedHeaders must be a ';'-separated list of lower-case header names, not '{}'.",
            truncate(value)
        )));
    }
    if !names.iter().any(|name| name == "host") {
        return Err(SigV4Error::incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    Ok(names)
}

fn parse_signature(value: &str) -> Result<[u8; 32], SigV4Error> {
    let mut signature = [0u8; 32];
    // A signature that is not 64 lower-case hex digits can match nothing.
    if value.bytes().any(|byte| byte.is_ascii_uppercase()) {
        return Err(SigV4Error::SignatureDoesNotMatch);
    }
    hex::decode_to_slice(value, &mut signature).map_err(|_| SigV4Error::SignatureDoesNotMatch)?;
    Ok(signature)
}

fn check_common(parsed: &ParsedAuth) -> Result<(), SigV4Error> {
    let request_date = format_scope_date(parsed.timestamp);
    if parsed.scope.date != request_date {
        return Err(SigV4Error::ScopeDateMismatch {
            scope_date: parsed.scope.date.clone(),
            request_date,
            request_timestamp: parsed.amz_date.clone(),
        });
    }
    Ok(())
}

fn check_freshness(parsed: &ParsedAuth, now: OffsetDateTime) -> Result<(), SigV4Error> {
    let stamp = &parsed.amz_date;
    match parsed.form {
        AuthForm::Header => {
            let earliest = now - MAX_CLOCK_SKEW;
            let latest = now + MAX_CLOCK_SKEW;
            if parsed.timestamp < earliest {
                return Err(SigV4Error::RequestExpired {
                    reason: format!(
                        "Signature expired: {stamp} is now earlier than {} ({} - 15 min.)",
                        format_amz_date(earliest),
                        format_amz_date(now)
                    ),
                });
            }
            if parsed.timestamp > latest {
                return Err(SigV4Error::RequestExpired {
                    reason: format!(
                        "Signature not yet current: {stamp} is still later than {} ({} + 15 min.)",
                        format_amz_date(latest),
                        format_amz_date(now)
                    ),
                });
            }
        }
        AuthForm::Presigned { expires } => {
            if parsed.timestamp - MAX_CLOCK_SKEW > now {
                return Err(SigV4Error::RequestExpired {
                    reason: format!(
                        "Request is not yet valid: {stamp} is still later than {} ({} + 15 min.)",
                        format_amz_date(now + MAX_CLOCK_SKEW),
                        format_amz_date(now)
                    ),
                });
            }
            let expiry = parsed.timestamp + Duration::seconds(i64::from(expires));
            if now > expiry {
                return Err(SigV4Error::RequestExpired {
                    reason: format!(
                        "Request has expired: it expired at {}, it is now {}.",
                        format_amz_date(expiry),
                        format_amz_date(now)
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Caps client-supplied text echoed in error messages.
fn truncate(value: &str) -> String {
    value.chars().take(64).collect()
}
