//! STS over the Query protocol: GetCallerIdentity.

use arca_gate::Caller;

use crate::protocol::{ApiError, query};

/// STS's XML namespace.
pub const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// Runs one STS action.
pub fn call(caller: &Caller, action: &str, request_id: &str) -> Result<String, ApiError> {
    match action {
        // Like AWS, GetCallerIdentity needs no permission.
        "GetCallerIdentity" => Ok(query::response(action, XMLNS, request_id, |xml| {
            xml.element("Arn", &caller.principal_arn)
                .element("UserId", &caller.user_id)
                .element("Account", &caller.account_id);
        })),
        other => Err(ApiError::new(
            "InvalidAction",
            400,
            format!("Could not find operation {other} for version 2011-06-15"),
        )),
    }
}
