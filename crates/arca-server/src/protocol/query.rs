//! AWS Query: a form-encoded body (or query string) with `Action` and `Version`;
//! answers are `<ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>`
//! and errors `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`.

use std::collections::HashMap;

use super::{ApiError, xml::XmlWriter};

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

    /// Adds parameters from the query string without overriding the body's.
    pub fn merge_query(&mut self, query: &str) {
        for (name, value) in form_urlencoded::parse(query.as_bytes()).into_owned() {
            if !name.starts_with("X-Amz-") {
                self.values.entry(name).or_insert(value);
            }
        }
    }

    /// An optional parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A required parameter, or the error IAM gives when it is missing.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| {
            ApiError::new(
                "ValidationError",
                400,
                format!("1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null", lower_first(name)),
            )
        })
    }
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
        let mut params = Params::parse(b"Action=CreateUser&UserName=al%2Bice&Version=2010-05-08");
        params.merge_query("Action=Ignored&Path=%2F");
        assert_eq!(params.get("Action"), Some("CreateUser"));
        assert_eq!(params.get("UserName"), Some("al+ice"));
        assert_eq!(params.get("Path"), Some("/"));
        assert!(params.required("PolicyName").unwrap_err().message.contains("'policyName'"));
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
