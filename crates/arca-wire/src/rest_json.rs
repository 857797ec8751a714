//! REST-JSON (`restJson1`): each operation has a method and a URI template
//! (`GET /jobs/{jobId}`); its input members are bound to URI labels, query-string
//! parameters, headers or the JSON payload. Errors carry their code in the
//! `X-Amzn-ErrorType` header and `{"message": ...}` as body.
//!
//! [`match_route`] picks the operation from the method and path; [`build_document`]
//! then assembles the one JSON document the operation's serde input type reads, each
//! member converted from its text on the wire to the JSON value a JSON body would have
//! carried (numbers, booleans, epoch-second timestamps). A value that does not parse
//! as its type is a `SerializationException`, as Smithy's malformed-request tests want.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use serde_json::{Map, Value};
use time::{
    OffsetDateTime,
    format_description::well_known::{Rfc2822, Rfc3339},
};

use crate::ApiError;

/// The content type of answers.
pub const CONTENT_TYPE: &str = "application/json";

/// Where an input member is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A `{label}` or greedy `{label+}` of the URI template.
    Label,
    /// A query-string parameter.
    Query,
    /// A header.
    Header,
    /// Every header starting with `wire_name` (`@httpPrefixHeaders`), as a map from the
    /// rest of the header name to its value.
    HeaderPrefix,
    /// The query parameters no other binding names (`@httpQueryParams`), as a map.
    QueryParams,
    /// The whole body (`@httpPayload`): a structure's JSON, a blob or a string.
    Payload,
}

/// The type of a member carried outside the JSON payload, so that its text becomes the
/// right JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    String,
    /// An integer (byte, short, integer or long).
    Integer,
    /// A boolean (`true` or `false`).
    Boolean,
    /// A list of strings: repeated query parameters, or a comma-separated header.
    StringList,
    /// A float or double, including `NaN`, `Infinity` and `-Infinity`.
    Double,
    /// A timestamp in any of Smithy's text forms (`date-time`, `http-date`,
    /// `epoch-seconds`), given to the input as epoch seconds.
    Timestamp,
    /// A list of integers (repeated query parameters, or a comma-separated header).
    IntegerList,
    /// A blob payload, given to the input as base64 as in a JSON body.
    Blob,
    /// A structure or document payload, parsed as JSON.
    Structure,
}

/// One input member bound outside the payload.
#[derive(Debug)]
pub struct MemberBinding {
    /// Where it is carried.
    pub location: Location,
    /// Its name on the wire (label, query parameter or header name, header prefix).
    pub wire_name: &'static str,
    /// The member's name in the input structure.
    pub member: &'static str,
    /// Its type.
    pub kind: Kind,
}

/// One operation's HTTP binding.
#[derive(Debug)]
pub struct HttpRoute {
    /// The operation.
    pub operation: &'static str,
    /// `GET`, `POST`, `PUT`, `PATCH`, `DELETE`.
    pub method: &'static str,
    /// The URI template, e.g. `/jobs/{jobId}`, `/objects/{key+}`, or with a literal
    /// query part that the request must carry, `/jobs?type=export`.
    pub uri: &'static str,
    /// The status of a successful answer.
    pub status: u16,
    /// The members bound outside the payload.
    pub bindings: &'static [MemberBinding],
}

/// The route of a request and the values of its URI labels, ignoring any literal query
/// part of the templates; see [`match_request`], which also checks it.
pub fn match_route<'r>(
    routes: &'r [HttpRoute],
    method: &str,
    path: &str,
) -> Option<(&'r HttpRoute, Vec<(&'static str, String)>)> {
    best_match(routes, method, path, None)
}

/// The route of a request and the values of its URI labels. When several templates
/// match, the most specific wins: more literal segments, then no greedy label, then
/// more literal query parameters (so `/jobs/list` beats `/jobs/{id}`).
pub fn match_request<'r>(
    routes: &'r [HttpRoute],
    method: &str,
    path: &str,
    query: &str,
) -> Option<(&'r HttpRoute, Vec<(&'static str, String)>)> {
    best_match(routes, method, path, Some(query))
}

fn best_match<'r>(
    routes: &'r [HttpRoute],
    method: &str,
    path: &str,
    query: Option<&str>,
) -> Option<(&'r HttpRoute, Vec<(&'static str, String)>)> {
    let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    let params: Vec<(String, String)> = query.map(query_pairs).unwrap_or_default();
    // (literal segments, no greedy label, literal query parameters): higher is better.
    type Rank = (usize, bool, usize);
    let mut best: Option<(Rank, &'r HttpRoute, Labels)> = None;
    for route in routes.iter().filter(|route| route.method == method) {
        let (template_path, template_query) = route.uri.split_once('?').unwrap_or((route.uri, ""));
        let Some((labels, literals, greedy)) = match_path(template_path, &segments) else {
            continue;
        };
        let required = query_pairs(template_query);
        if query.is_some() && !required.iter().all(|pair| params.contains(pair)) {
            continue;
        }
        let rank = (literals, !greedy, required.len());
        if best.as_ref().is_none_or(|(best_rank, ..)| rank > *best_rank) {
            best = Some((rank, route, labels));
        }
    }
    best.map(|(_, route, labels)| (route, labels))
}

/// Label names and their decoded values.
type Labels = Vec<(&'static str, String)>;

type PathMatch = (Labels, usize, bool);

/// Matches the path's raw segments against a template's: the label values (percent-
/// decoded), the number of literal segments and whether a greedy label matched.
fn match_path(template: &'static str, segments: &[&str]) -> Option<PathMatch> {
    let parts: Vec<&'static str> = template.strip_prefix('/')?.split('/').collect();
    let mut labels = Vec::new();
    let mut literals = 0;
    let mut remaining = segments;
    for (index, part) in parts.iter().enumerate() {
        let label = part.strip_prefix('{').and_then(|label| label.strip_suffix('}'));
        match label {
            Some(label) => {
                if let Some(greedy) = label.strip_suffix('+') {
                    // A greedy label takes every segment up to those the template
                    // still needs after it, slashes included, and may not be empty.
                    let after = parts.len() - index - 1;
                    let taken = remaining.len().checked_sub(after)?;
                    let (value, rest) = remaining.split_at(taken);
                    let joined = value.join("/");
                    if joined.is_empty() {
                        return None;
                    }
                    labels.push((greedy, percent_decode(&joined)?));
                    remaining = rest;
                    let (tail_labels, tail_literals, _) =
                        match_tail(parts.get(index + 1..)?, remaining)?;
                    labels.extend(tail_labels);
                    return Some((labels, literals + tail_literals, true));
                }
                let (segment, rest) = remaining.split_first()?;
                if segment.is_empty() {
                    return None;
                }
                labels.push((label, percent_decode(segment)?));
                remaining = rest;
            }
            None => {
                let (segment, rest) = remaining.split_first()?;
                if percent_decode(segment)? != *part {
                    return None;
                }
                literals += 1;
                remaining = rest;
            }
        }
    }
    remaining.is_empty().then_some((labels, literals, false))
}

/// The template after a greedy label, which Smithy allows to hold only literal
/// segments and labels of its own (no second greedy label).
fn match_tail(parts: &[&'static str], segments: &[&str]) -> Option<PathMatch> {
    if parts.len() != segments.len() {
        return None;
    }
    let mut labels = Vec::new();
    let mut literals = 0;
    for (part, segment) in parts.iter().zip(segments) {
        match part.strip_prefix('{').and_then(|label| label.strip_suffix('}')) {
            Some(label) if !label.ends_with('+') && !segment.is_empty() => {
                labels.push((label, percent_decode(segment)?));
            }
            Some(_) => return None,
            None if percent_decode(segment)? == *part => literals += 1,
            None => return None,
        }
    }
    Some((labels, literals, true))
}

/// Percent-decodes a path segment; `+` stays a plus, as in any URI path. Text that is
/// not UTF-8 once decoded matches no template.
fn percent_decode(text: &str) -> Option<String> {
    percent_encoding::percent_decode_str(text).decode_utf8().ok().map(|text| text.into_owned())
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// The operation's input document: the JSON payload with the label, query and header
/// members added, each converted to its type.
pub fn build_document(
    route: &HttpRoute,
    labels: &[(&'static str, String)],
    query: &str,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Value, ApiError> {
    let payload = route.bindings.iter().find(|binding| binding.location == Location::Payload);
    let mut members = match payload {
        Some(_) => Map::new(),
        None => match super::json::parse_body(body)? {
            Value::Object(members) => members,
            // json::parse_body answers objects only; anything else is malformed.
            _ => return Err(serialization_error("The request body is not a JSON object")),
        },
    };
    let query = query_pairs(query);
    for binding in route.bindings {
        let value = match binding.location {
            Location::Label => {
                let value = labels.iter().find(|(name, _)| *name == binding.wire_name);
                value.map(|(_, text)| convert(binding, &[text.as_str()])).transpose()?
            }
            Location::Query => {
                let texts: Vec<&str> = query
                    .iter()
                    .filter(|(name, _)| name == binding.wire_name)
                    .map(|(_, value)| value.as_str())
                    .collect();
                (!texts.is_empty()).then(|| convert(binding, &texts)).transpose()?
            }
            Location::Header => header_value(binding, headers)?,
            Location::HeaderPrefix => prefix_headers(binding, headers),
            Location::QueryParams => query_params(route, &query),
            Location::Payload => payload_value(binding, body)?,
        };
        if let Some(value) = value {
            members.insert(binding.member.to_string(), value);
        }
    }
    Ok(Value::Object(members))
}

fn header_value(
    binding: &MemberBinding,
    headers: &http::HeaderMap,
) -> Result<Option<Value>, ApiError> {
    let mut texts = Vec::new();
    for value in headers.get_all(binding.wire_name) {
        let text = value.to_str().map_err(|_| invalid_member(binding.member))?;
        match binding.kind {
            // List headers may come as several fields or one comma-separated field.
            Kind::StringList | Kind::IntegerList => {
                texts.extend(text.split(',').map(str::trim).filter(|item| !item.is_empty()));
            }
            _ => texts.push(text.trim()),
        }
    }
    if texts.is_empty() {
        return Ok(None);
    }
    convert(binding, &texts).map(Some)
}

fn prefix_headers(binding: &MemberBinding, headers: &http::HeaderMap) -> Option<Value> {
    let prefix = binding.wire_name.to_ascii_lowercase();
    let map: Map<String, Value> = headers
        .iter()
        .filter_map(|(name, value)| {
            let rest = name.as_str().strip_prefix(prefix.as_str())?;
            Some((rest.to_string(), Value::String(value.to_str().ok()?.to_string())))
        })
        .collect();
    (!map.is_empty()).then_some(Value::Object(map))
}

fn query_params(route: &HttpRoute, query: &[(String, String)]) -> Option<Value> {
    let bound = |name: &str| {
        route.bindings.iter().any(|b| b.location == Location::Query && b.wire_name == name)
    };
    let mut map = Map::new();
    for (name, value) in query.iter().filter(|(name, _)| !bound(name)) {
        // A map of strings keeps the first value, as Smithy's protocol tests expect.
        map.entry(name.clone()).or_insert_with(|| Value::String(value.clone()));
    }
    (!map.is_empty()).then_some(Value::Object(map))
}

fn payload_value(binding: &MemberBinding, body: &[u8]) -> Result<Option<Value>, ApiError> {
    use base64::{Engine, engine::general_purpose::STANDARD};
    if body.is_empty() {
        return Ok(None);
    }
    let value = match binding.kind {
        Kind::Blob => Value::String(STANDARD.encode(body)),
        Kind::Structure => super::json::parse_body(body)?,
        _ => {
            let text = std::str::from_utf8(body).map_err(|_| invalid_member(binding.member))?;
            convert(binding, &[text])?
        }
    };
    Ok(Some(value))
}

/// Converts a member's text (one value, or several for a list) to its JSON value.
fn convert(binding: &MemberBinding, texts: &[&str]) -> Result<Value, ApiError> {
    let invalid = || invalid_member(binding.member);
    let first = texts.first().copied().ok_or_else(invalid)?;
    let value = match binding.kind {
        Kind::String | Kind::Blob => Value::String(first.to_string()),
        Kind::Integer => first.parse::<i64>().map(Value::from).map_err(|_| invalid())?,
        Kind::Boolean => match first {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(invalid()),
        },
        Kind::Double => double(first).ok_or_else(invalid)?,
        Kind::Timestamp => timestamp(first).ok_or_else(invalid)?,
        Kind::StringList => {
            Value::Array(texts.iter().map(|text| Value::String((*text).to_string())).collect())
        }
        Kind::IntegerList => Value::Array(
            texts
                .iter()
                .map(|text| text.parse::<i64>().map(Value::from).map_err(|_| invalid()))
                .collect::<Result<_, _>>()?,
        ),
        Kind::Structure => serde_json::from_str(first).map_err(|_| invalid())?,
    };
    Ok(value)
}

/// A double as a JSON body carries it: a number, or Smithy's strings for non-finite
/// values.
fn double(text: &str) -> Option<Value> {
    match text {
        "NaN" | "Infinity" | "-Infinity" => Some(Value::String(text.to_string())),
        _ => {
            let number: f64 = text.parse().ok()?;
            // Rust also reads `inf` and `nan`, which Smithy does not allow.
            number
                .is_finite()
                .then(|| serde_json::Number::from_f64(number))
                .flatten()
                .map(Value::Number)
        }
    }
}

/// A timestamp as epoch seconds (an integer when whole), from `date-time`
/// (`2024-01-02T03:04:05Z`, RFC 3339), `http-date` (`Tue, 02 Jan 2024 03:04:05 GMT`)
/// or `epoch-seconds` (`1704164645.5`). The three forms cannot be mistaken for each
/// other, so the model's `@timestampFormat` need not be known.
fn timestamp(text: &str) -> Option<Value> {
    let parsed = OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(text, &Rfc2822))
        .ok();
    if let Some(instant) = parsed {
        let nanos = instant.unix_timestamp_nanos();
        return Some(if nanos % 1_000_000_000 == 0 {
            Value::from(instant.unix_timestamp())
        } else {
            serde_json::Number::from_f64(nanos as f64 / 1e9).map(Value::Number)?
        });
    }
    // Epoch seconds: digits with an optional sign and fraction, nothing else.
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let is_epoch = !unsigned.is_empty()
        && unsigned.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && unsigned.bytes().filter(|&b| b == b'.').count() <= 1;
    if !is_epoch {
        return None;
    }
    match text.parse::<i64>() {
        Ok(seconds) => Some(seconds.into()),
        Err(_) => double(text).filter(Value::is_number),
    }
}

fn serialization_error(message: &str) -> ApiError {
    ApiError::new("SerializationException", 400, message)
}

fn invalid_member(member: &str) -> ApiError {
    // The member is named, the value is not: it may be long or sensitive.
    serialization_error(&format!("Invalid value for member {member}"))
}

/// Encodes an error body.
pub fn error_body(error: &ApiError) -> Vec<u8> {
    serde_json::json!({ "message": error.message }).to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn binding(location: Location, wire_name: &'static str, kind: Kind) -> MemberBinding {
        MemberBinding { location, wire_name, member: wire_name, kind }
    }

    static ROUTES: &[HttpRoute] = &[
        HttpRoute {
            operation: "Describe",
            method: "GET",
            uri: "/jobs/{jobId}",
            status: 200,
            bindings: &[binding(Location::Label, "jobId", Kind::String)],
        },
        HttpRoute {
            operation: "List",
            method: "GET",
            uri: "/jobs/list",
            status: 200,
            bindings: &[],
        },
        HttpRoute {
            operation: "Export",
            method: "GET",
            uri: "/jobs?type=export",
            status: 200,
            bindings: &[],
        },
        HttpRoute { operation: "All", method: "GET", uri: "/jobs", status: 200, bindings: &[] },
        HttpRoute {
            operation: "GetObject",
            method: "GET",
            uri: "/objects/{bucket}/{key+}/meta",
            status: 200,
            bindings: &[
                binding(Location::Label, "bucket", Kind::String),
                binding(Location::Label, "key", Kind::String),
            ],
        },
        HttpRoute {
            operation: "Put",
            method: "PUT",
            uri: "/things/{count}",
            status: 200,
            bindings: &[
                binding(Location::Label, "count", Kind::Integer),
                binding(Location::Query, "since", Kind::Timestamp),
                binding(Location::Query, "flag", Kind::Boolean),
                binding(Location::Query, "ids", Kind::IntegerList),
                binding(Location::Query, "ratio", Kind::Double),
                binding(Location::Header, "x-amz-at", Kind::Timestamp),
                binding(Location::Header, "x-amz-names", Kind::StringList),
                binding(Location::HeaderPrefix, "x-meta-", Kind::String),
            ],
        },
        HttpRoute {
            operation: "Upload",
            method: "POST",
            uri: "/upload",
            status: 200,
            bindings: &[binding(Location::Payload, "data", Kind::Blob)],
        },
    ];

    fn check_route(
        method: &str,
        path: &str,
        query: &str,
        expected: Option<(&str, &[(&str, &str)])>,
    ) {
        let found = match_request(ROUTES, method, path, query);
        let found = found.as_ref().map(|(route, labels)| {
            (route.operation, labels.iter().map(|(n, v)| (*n, v.as_str())).collect::<Vec<_>>())
        });
        assert_eq!(
            found,
            expected.map(|(op, labels)| (op, labels.to_vec())),
            "{method} {path}?{query}"
        );
    }

    #[test]
    fn routes() {
        check_route("GET", "/jobs/abc%2Fdef", "", Some(("Describe", &[("jobId", "abc/def")])));
        check_route("GET", "/jobs/list", "", Some(("List", &[])));
        check_route("GET", "/jobs", "type=export&x=1", Some(("Export", &[])));
        check_route("GET", "/jobs", "type=import", Some(("All", &[])));
        check_route("GET", "/jobs/", "", None);
        check_route("POST", "/jobs/abc", "", None);
        check_route("GET", "/jobs/%FF", "", None);
        check_route(
            "GET",
            "/objects/b/a/b%20c/d/meta",
            "",
            Some(("GetObject", &[("bucket", "b"), ("key", "a/b c/d")])),
        );
        check_route("GET", "/objects/b/meta", "", None);
        check_route("GET", "", "", None);
        // Without the query, literal query parts are not checked.
        assert_eq!(match_route(ROUTES, "GET", "/jobs").unwrap().0.operation, "Export");
    }

    fn build(
        path: &str,
        query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Value, ApiError> {
        let method = if path.starts_with("/upload") { "POST" } else { "PUT" };
        let (route, labels) = match_request(ROUTES, method, path, query).unwrap();
        let mut map = http::HeaderMap::new();
        for (name, value) in headers {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        build_document(route, &labels, query, &map, body)
    }

    #[test]
    fn members_outside_the_payload() {
        let document = build(
            "/things/42",
            "since=2024-01-02T03%3A04%3A05.5Z&flag=true&ids=1&ids=2&ratio=NaN&other=x",
            &[
                ("X-Amz-At", "Tue, 02 Jan 2024 03:04:05 GMT"),
                ("x-amz-names", "a, b"),
                ("x-amz-names", "c"),
                ("x-meta-color", "red"),
            ],
            br#"{"body": 1, "count": 7}"#,
        )
        .unwrap();
        assert_eq!(
            document,
            serde_json::json!({
                "body": 1,
                "count": 42,
                "since": 1704164645.5,
                "flag": true,
                "ids": [1, 2],
                "ratio": "NaN",
                "x-amz-at": 1704164645,
                "x-amz-names": ["a", "b", "c"],
                "x-meta-": {"color": "red"},
            })
        );
    }

    #[test]
    fn bad_values_are_serialization_exceptions() {
        for (path, query, body) in [
            ("/things/x", "", &b""[..]),
            ("/things/1", "flag=yes", b""),
            ("/things/1", "since=yesterday", b""),
            ("/things/1", "ids=1&ids=x", b""),
            ("/things/1", "ratio=inf", b""),
            ("/things/1", "", b"{"),
            ("/things/1", "", b"[]"),
        ] {
            let error = build(path, query, &[], body).unwrap_err();
            assert_eq!(
                (error.code.as_str(), error.status),
                ("SerializationException", 400),
                "{path}?{query}"
            );
        }
    }

    #[test]
    fn timestamps_in_each_form() {
        assert_eq!(timestamp("1704164645"), Some(1704164645.into()));
        assert_eq!(timestamp("1704164645.25"), Some(1704164645.25.into()));
        assert_eq!(timestamp("2024-01-02T03:04:05Z"), Some(1704164645.into()));
        assert_eq!(timestamp("Tue, 02 Jan 2024 03:04:05 GMT"), Some(1704164645.into()));
        assert_eq!(timestamp("1e3"), None);
        assert_eq!(timestamp(""), None);
        assert_eq!(timestamp("."), None);
    }

    #[test]
    fn blob_payload() {
        let document = build("/upload", "", &[], b"\x00\x01").unwrap();
        assert_eq!(document, serde_json::json!({"data": "AAE="}));
        assert_eq!(build("/upload", "", &[], b"").unwrap(), serde_json::json!({}));
    }
}
