//! STS over the Query protocol: GetCallerIdentity.

use arca_api::{ApiError, Binding, Call, Descriptor, Operation as Row, Reply, Service};
use arca_gate::CrossAccount;

/// STS's XML namespace.
pub const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

static OPERATIONS: [Row; 1] = [Row {
    name: "GetCallerIdentity",
    // Like AWS, GetCallerIdentity needs no permission.
    action: "",
    read_only: true,
    cross_account: CrossAccount::SameAccountOnly,
    audit_members: &[],
}];

/// STS as the registry sees it.
pub static DESCRIPTOR: Descriptor = Descriptor {
    name: "sts",
    signing_names: &["sts"],
    bindings: &[Binding::AwsQuery { xmlns: XMLNS }],
    internal_error_code: "ServiceFailure",
    error_message_member: "message",
    operations: &OPERATIONS,
};

/// The STS service on the registry.
pub struct StsApi;

#[async_trait::async_trait]
impl Service for StsApi {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    async fn call(&self, call: Call<'_>) -> Result<Reply, ApiError> {
        let caller = call.caller;
        match call.operation.name {
            "GetCallerIdentity" => Ok(call.input.reply_xml(&|xml| {
                xml.element("Arn", caller.principal_arn())
                    .element("UserId", caller.user_id())
                    .element("Account", caller.account_id());
            })),
            other => Err(ApiError::new(
                "InvalidAction",
                400,
                format!("Could not find operation {other} for version 2011-06-15"),
            )),
        }
    }
}
