//! AWS Query: a form-encoded body (or query string) with `Action` and `Version`;
//! answers are `<ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>`
//! and errors `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`.

use std::collections::HashMap;

use super::xml::XmlWriter;
use crate::{
    ApiError,
    validate::{ValidationErrors, Validator},
};

/// The content type of answers.
pub const CONTENT_TYPE: &str = "text/xml";

/// The decoded parameters of a Query request.
#[derive(Debug, Default)]
pub struct Params {
    values: HashMap<String, String>,
}

impl Params {
    /// Parses `a=b&c=d` (body or query string).
    pub fn parse(form: &[u8]) -> Self {
        Self { values: form_urlencoded::parse(form).into_owned().collect() }
    }

    /// The parameters of a request, from exactly one place: the form body when it has
    /// one, else the query string (less the presigned `X-Amz-*` authentication
    /// parameters). A request with parameters in both is refused: merged, an unsigned
    /// body could override what a presigned URL was signed for.
    pub fn from_request(body: &[u8], query: &str) -> Result<Self, ApiError> {
        let from_query: HashMap<String, String> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .filter(|(name, _)| !is_authentication_parameter(name))
            .collect();
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self { values: from_query });
        }
        if !from_query.is_empty() {
            return Err(ApiError::new(
                "InvalidParameterCombination",
                400,
                "Request parameters must come either from the query string or from the body, \
                 not from both.",
            ));
        }
        Ok(Self::parse(body))
    }

    /// An optional parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A required parameter, or the error IAM gives when it is missing.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| {
            let mut validator = Validator::new();
            validator.required::<String>(&lower_first(name), &None);
            query_validation_error(validator.finish().err().unwrap_or_default())
        })
    }
}

/// Query services (IAM, STS) name a constraint violation `ValidationError`.
pub fn query_validation_error(errors: ValidationErrors) -> ApiError {
    ApiError::new("ValidationError", 400, errors.0)
}

/// The query parameters of a presigned request's SigV4 authentication.
fn is_authentication_parameter(name: &str) -> bool {
    matches!(
        name,
        "X-Amz-Algorithm"
            | "X-Amz-Credential"
            | "X-Amz-Date"
            | "X-Amz-Expires"
            | "X-Amz-SignedHeaders"
            | "X-Amz-Signature"
            | "X-Amz-Security-Token"
    )
}

fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Wraps a result body in the response envelope.
pub fn response(
    action: &str,
    xmlns: &str,
    request_id: &str,
    result: impl FnOnce(&mut XmlWriter),
) -> String {
    let mut xml = XmlWriter::new();
    xml.open(&format!("{action}Response"), Some(xmlns));
    xml.open(&format!("{action}Result"), None);
    result(&mut xml);
    xml.close(&format!("{action}Result"));
    xml.open("ResponseMetadata", None).element("RequestId", request_id).close("ResponseMetadata");
    xml.close(&format!("{action}Response"));
    xml.finish()
}

/// The error envelope.
pub fn error_body(error: &ApiError, xmlns: &str, request_id: &str) -> String {
    let mut xml = XmlWriter::new();
    xml.open("ErrorResponse", Some(xmlns));
    xml.open("Error", None)
        .element("Type", if error.is_client_error() { "Sender" } else { "Receiver" })
        .element("Code", &error.code)
        .element("Message", &error.message)
        .close("Error");
    xml.element("RequestId", request_id);
    xml.close("ErrorResponse");
    xml.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms_and_reports_missing_members() {
        let params = Params::from_request(
            b"Action=CreateUser&UserName=al%2Bice&Version=2010-05-08",
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00",
        )
        .unwrap();
        assert_eq!(params.get("Action"), Some("CreateUser"));
        assert_eq!(params.get("UserName"), Some("al+ice"));
        assert_eq!(params.get("X-Amz-Signature"), None);
        assert!(params.required("PolicyName").unwrap_err().message.contains("'policyName'"));
    }

    #[test]
    fn parameters_come_from_the_body_or_the_query_never_both() {
        let from_query = Params::from_request(b"", "Action=ListUsers&Version=2010-05-08").unwrap();
        assert_eq!(from_query.get("Action"), Some("ListUsers"));
        // A presigned ListUsers URL with a body that would make it CreateUser.
        let merged = Params::from_request(b"Action=CreateUser", "Action=ListUsers&X-Amz-Date=x");
        assert_eq!(merged.unwrap_err().code, "InvalidParameterCombination");
        let smuggled = Params::from_request(b"UserName=mallory", "Action=CreateUser");
        assert_eq!(smuggled.unwrap_err().code, "InvalidParameterCombination");
    }

    #[test]
    fn envelopes() {
        let body = response("GetUser", "https://iam.amazonaws.com/doc/2010-05-08/", "rid", |xml| {
            xml.open("User", None).element("UserName", "bob").close("User");
        });
        assert!(
            body.contains("<GetUserResult><User><UserName>bob</UserName></User></GetUserResult>")
        );
        assert!(body.contains("<RequestId>rid</RequestId>"));
        let error = error_body(&ApiError::new("NoSuchEntity", 404, "nope"), "urn:x", "rid");
        assert!(
            error.contains("<Type>Sender</Type><Code>NoSuchEntity</Code><Message>nope</Message>")
        );
    }
}
