//! REST-JSON (`restJson1`): each operation has a method and a URI template
//! (`GET /jobs/{jobId}`); its input members are bound to URI labels, query-string
//! parameters, headers or the JSON payload. Errors carry their code in the
//! `X-Amzn-ErrorType` header and `{"message": ...}` as body.

use crate::ApiError;

/// The content type of answers.
pub const CONTENT_TYPE: &str = "application/json";

/// Where an input member is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A `{label}` of the URI template.
    Label,
    /// A query-string parameter.
    Query,
    /// A header.
    Header,
}

/// The type of a member carried outside the payload, so that its text becomes the
/// right JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    String,
    /// An integer.
    Integer,
    /// A boolean.
    Boolean,
    /// A list of strings (repeated query parameters).
    StringList,
}

/// One input member bound outside the payload.
#[derive(Debug)]
pub struct MemberBinding {
    /// Where it is carried.
    pub location: Location,
    /// Its name on the wire (label, query parameter or header name).
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
    /// The URI template's path, e.g. `/jobs/{jobId}`.
    pub uri: &'static str,
    /// The status of a successful answer.
    pub status: u16,
    /// The members bound outside the payload.
    pub bindings: &'static [MemberBinding],
}

/// The route of a request and the values of its URI labels.
pub fn match_route<'r>(
    routes: &'r [HttpRoute],
    method: &str,
    path: &str,
) -> Option<(&'r HttpRoute, Vec<(&'static str, String)>)> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    'routes: for route in routes.iter().filter(|route| route.method == method) {
        let template: Vec<&'static str> = route.uri.trim_start_matches('/').split('/').collect();
        if template.len() != segments.len() {
            continue;
        }
        let mut labels = Vec::new();
        for (part, segment) in template.iter().zip(&segments) {
            match part.strip_prefix('{').and_then(|label| label.strip_suffix('}')) {
                Some(label) if !segment.is_empty() => {
                    let decoded = percent_encoding::percent_decode_str(segment)
                        .decode_utf8()
                        .ok()?
                        .into_owned();
                    labels.push((label, decoded));
                }
                Some(_) => continue 'routes,
                None if part == segment => {}
                None => continue 'routes,
            }
        }
        return Some((route, labels));
    }
    None
}

/// The operation's input document: the JSON payload with the label, query and header
/// members added, each converted to its type.
pub fn build_document(
    route: &HttpRoute,
    labels: &[(&'static str, String)],
    query: &str,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    let mut document = super::json::parse_body(body)?;
    let members = document.as_object_mut().expect("parse_body returns an object");
    let query: Vec<(String, String)> =
        form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    for binding in route.bindings {
        let texts: Vec<&str> = match binding.location {
            Location::Label => labels
                .iter()
                .filter(|(name, _)| *name == binding.wire_name)
                .map(|(_, value)| value.as_str())
                .collect(),
            Location::Query => query
                .iter()
                .filter(|(name, _)| name == binding.wire_name)
                .map(|(_, value)| value.as_str())
                .collect(),
            Location::Header => headers
                .get_all(binding.wire_name)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .collect(),
        };
        let Some(first) = texts.first() else { continue };
        let value = match binding.kind {
            Kind::String => serde_json::Value::String((*first).to_string()),
            Kind::Integer => first
                .parse::<i64>()
                .map(serde_json::Value::from)
                .map_err(|_| invalid_member(binding.member))?,
            Kind::Boolean => match *first {
                "true" => serde_json::Value::Bool(true),
                "false" => serde_json::Value::Bool(false),
                _ => return Err(invalid_member(binding.member)),
            },
            Kind::StringList => serde_json::Value::Array(
                texts.iter().map(|text| serde_json::Value::String((*text).to_string())).collect(),
            ),
        };
        members.insert(binding.member.to_string(), value);
    }
    Ok(document)
}

fn invalid_member(member: &str) -> ApiError {
    ApiError::new("ValidationException", 400, format!("Invalid value for member {member}"))
}

/// Encodes an error body.
pub fn error_body(error: &ApiError) -> Vec<u8> {
    serde_json::json!({ "message": error.message }).to_string().into_bytes()
}
