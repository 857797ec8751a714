//! A request as a service sees it: decoded as far as the protocol goes, turned into the
//! operation's typed input on demand, and answered in the protocol it came in.

use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use crate::{
    ApiError, Protocol,
    wire::{cbor, json, query, xml::XmlWriter},
};

/// The decoded body of a request.
pub(crate) enum Document {
    /// JSON 1.0/1.1 bodies, and REST-JSON inputs assembled from the URI, query,
    /// headers and payload.
    Json(Value),
    /// An RPC v2 CBOR body.
    Cbor(ciborium::Value),
    /// AWS Query parameters.
    Query(query::Params),
}

/// One request's input.
pub struct Input<'a> {
    pub(crate) protocol: Protocol,
    pub(crate) document: Document,
    pub(crate) operation: &'a str,
    pub(crate) xmlns: &'a str,
    pub(crate) request_id: &'a str,
    pub(crate) success_status: u16,
}

/// An encoded answer.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The body, in the request's protocol.
    pub body: Vec<u8>,
}

impl<'a> Input<'a> {
    /// An input for in-process calls and tests: a JSON document, answered in JSON 1.1.
    pub fn json(document: Value, request_id: &'a str) -> Self {
        Self {
            protocol: Protocol::AwsJson1_1,
            document: Document::Json(document),
            operation: "",
            xmlns: "",
            request_id,
            success_status: 200,
        }
    }

    /// The protocol the request came in.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The request id.
    pub fn request_id(&self) -> &str {
        self.request_id
    }

    /// The operation's typed input.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        match &self.document {
            Document::Json(value) => json::input_ref(value),
            Document::Cbor(value) => cbor::input(value),
            Document::Query(_) => Err(ApiError::new(
                "InternalFailure",
                500,
                "A Query request has parameters, not a document",
            )),
        }
    }

    /// The parameters of a Query request.
    pub fn params(&self) -> Result<&query::Params, ApiError> {
        match &self.document {
            Document::Query(params) => Ok(params),
            _ => Err(ApiError::new("InternalFailure", 500, "Not a Query request")),
        }
    }

    /// Encodes an operation's output in the request's protocol.
    pub fn reply<T: Serialize>(&self, output: &T) -> Result<Reply, ApiError> {
        let body = match self.protocol {
            Protocol::RpcV2Cbor => cbor::output(output)?,
            Protocol::AwsQuery => {
                return Err(ApiError::new(
                    "InternalFailure",
                    500,
                    "Query answers are written with reply_xml",
                ));
            }
            _ => json::output(output)?,
        };
        Ok(Reply { status: self.success_status, body })
    }

    /// Writes a Query answer: `<{Op}Response><{Op}Result>...</{Op}Result>` and the
    /// response metadata.
    pub fn reply_xml(&self, result: &dyn Fn(&mut XmlWriter)) -> Reply {
        let body = query::response(self.operation, self.xmlns, self.request_id, result);
        Reply { status: 200, body: body.into_bytes() }
    }

    /// A Query answer with no result members (IAM sends only the metadata).
    pub fn reply_xml_empty(&self) -> Reply {
        let mut xml = XmlWriter::new();
        let action = self.operation;
        xml.open(&format!("{action}Response"), Some(self.xmlns));
        xml.open("ResponseMetadata", None)
            .element("RequestId", self.request_id)
            .close("ResponseMetadata");
        xml.close(&format!("{action}Response"));
        Reply { status: 200, body: xml.finish().into_bytes() }
    }

    /// The named members of the request, for the audit record; nothing else is copied.
    pub fn audit_members(&self, names: &[&str]) -> Map<String, Value> {
        let mut members = Map::new();
        for name in names {
            let value = match &self.document {
                Document::Json(Value::Object(object)) => object.get(*name).cloned(),
                Document::Json(_) => None,
                Document::Cbor(ciborium::Value::Map(entries)) => entries
                    .iter()
                    .find(|(key, _)| key.as_text() == Some(name))
                    .map(|(_, value)| cbor::member_to_json(value)),
                Document::Cbor(_) => None,
                Document::Query(params) => params.get(name).map(|v| Value::String(v.into())),
            };
            if let Some(value) = value {
                members.insert((*name).to_string(), value);
            }
        }
        members
    }
}
