//! The IAM subset over the Query protocol (`Action=CreateUser&Version=2010-05-08`).

use std::sync::Arc;

use arca_api::{
    ApiError, Binding, Call, Descriptor, Input, Operation as Row, Reply, Service,
    validate::Validator,
    wire::{
        query::{Params, query_validation_error},
        xml::XmlWriter,
    },
};
use arca_gate::{Caller, CrossAccount, Identity, IdentityError, UserInfo};

use crate::Directory;
use arca_seal::SealedOwner;

/// IAM's XML namespace.
pub const XMLNS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// The one mapping from identity errors to what IAM clients see.
pub fn identity_error(error: IdentityError) -> ApiError {
    ApiError::new(error.code(), error.status(), error.to_string())
}

fn iso_time(ms: i64) -> String {
    let time = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    time.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

fn write_user(xml: &mut XmlWriter, user: &UserInfo) {
    xml.open("User", None)
        .element("Path", &user.path)
        .element("UserName", &user.user_name)
        .element("UserId", &user.user_id)
        .element("Arn", &user.arn)
        .element("CreateDate", &iso_time(user.create_date))
        .close("User");
}

fn max_items(params: &Params) -> Result<usize, ApiError> {
    let Some(text) = params.get("MaxItems") else { return Ok(100) };
    let mut validator = Validator::new();
    match text.parse::<i64>() {
        Ok(n) => validator.range("maxItems", Some(n), 1, 1000),
        Err(_) => validator.constraint("maxItems", "Member must be an integer"),
    }
    validator.finish().map_err(query_validation_error)?;
    Ok(text.parse::<usize>().unwrap_or(100))
}

/// Request members safe to record in the audit log (never a policy document).
const AUDIT_MEMBERS: &[&str] = &["UserName", "PolicyName", "AccessKeyId", "MaxItems"];

const fn row(name: &'static str, action: &'static str, read_only: bool) -> Row {
    // IAM is global to an account: nothing reaches another account's users.
    Row {
        name,
        action,
        read_only,
        cross_account: CrossAccount::SameAccountOnly,
        audit_members: AUDIT_MEMBERS,
    }
}

/// Every IAM operation Arca serves.
static OPERATIONS: [Row; 11] = [
    row("CreateUser", "iam:CreateUser", false),
    row("GetUser", "iam:GetUser", true),
    row("ListUsers", "iam:ListUsers", true),
    row("DeleteUser", "iam:DeleteUser", false),
    row("CreateAccessKey", "iam:CreateAccessKey", false),
    row("ListAccessKeys", "iam:ListAccessKeys", true),
    row("DeleteAccessKey", "iam:DeleteAccessKey", false),
    row("PutUserPolicy", "iam:PutUserPolicy", false),
    row("GetUserPolicy", "iam:GetUserPolicy", true),
    row("DeleteUserPolicy", "iam:DeleteUserPolicy", false),
    row("ListUserPolicies", "iam:ListUserPolicies", true),
];

/// IAM as the registry sees it.
pub static DESCRIPTOR: Descriptor = Descriptor {
    name: "iam",
    signing_names: &["iam"],
    bindings: &[Binding::AwsQuery { xmlns: XMLNS }],
    internal_error_code: "ServiceFailure",
    error_message_member: "message",
    operations: &OPERATIONS,
};

/// The IAM service on the registry.
pub struct IamApi(pub Directory);

impl IamApi {
    /// IAM over the identity store.
    pub fn new(identity: Arc<Identity>) -> Self {
        Self(Directory::new(identity))
    }
}

#[async_trait::async_trait]
impl Service for IamApi {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    async fn call(&self, call: Call<'_>) -> Result<Reply, ApiError> {
        run(&self.0, call.caller, call.operation.name, &call.input).await
    }

    fn sealed_owners(&self) -> Vec<&dyn SealedOwner> {
        vec![&**self.0.identity()]
    }
}

/// Runs one IAM action and returns the XML answer.
async fn run(
    identity: &Directory,
    caller: &Caller,
    action: &str,
    input: &Input<'_>,
) -> Result<Reply, ApiError> {
    let params = input.params()?;
    let respond = |body: &dyn Fn(&mut XmlWriter)| input.reply_xml(body);
    match action {
        "CreateUser" => {
            let user = identity
                .create_user(caller, params.required("UserName")?)
                .await
                .map_err(identity_error)?;
            Ok(respond(&|xml| write_user(xml, &user)))
        }
        "GetUser" => {
            let user =
                identity.get_user(caller, params.get("UserName")).await.map_err(identity_error)?;
            Ok(respond(&|xml| write_user(xml, &user)))
        }
        "ListUsers" => {
            let (users, marker) = identity
                .list_users(caller, params.get("Marker"), max_items(params)?)
                .await
                .map_err(identity_error)?;
            Ok(respond(&|xml| {
                xml.open("Users", None);
                for user in &users {
                    xml.open("member", None);
                    write_user_fields(xml, user);
                    xml.close("member");
                }
                xml.close("Users");
                xml.element("IsTruncated", if marker.is_some() { "true" } else { "false" });
                if let Some(marker) = &marker {
                    xml.element("Marker", marker);
                }
            }))
        }
        "DeleteUser" => {
            identity
                .delete_user(caller, params.required("UserName")?)
                .await
                .map_err(identity_error)?;
            Ok(input.reply_xml_empty())
        }
        "CreateAccessKey" => {
            let key = identity
                .create_access_key(caller, params.get("UserName"))
                .await
                .map_err(identity_error)?;
            Ok(respond(&|xml| {
                xml.open("AccessKey", None)
                    .element("UserName", &key.user_name)
                    .element("AccessKeyId", &key.access_key_id)
                    .element("Status", &key.status);
                if let Some(secret) = &key.secret_access_key {
                    // The secret leaves its type once, in the answer to its creator.
                    xml.element(
                        "SecretAccessKey",
                        &String::from_utf8_lossy(secret.expose_secret()),
                    );
                }
                xml.element("CreateDate", &iso_time(key.create_date)).close("AccessKey");
            }))
        }
        "ListAccessKeys" => {
            let keys = identity
                .list_access_keys(caller, params.get("UserName"))
                .await
                .map_err(identity_error)?;
            Ok(respond(&|xml| {
                xml.open("AccessKeyMetadata", None);
                for key in &keys {
                    xml.open("member", None)
                        .element("UserName", &key.user_name)
                        .element("AccessKeyId", &key.access_key_id)
                        .element("Status", &key.status)
                        .element("CreateDate", &iso_time(key.create_date))
                        .close("member");
                }
                xml.close("AccessKeyMetadata").element("IsTruncated", "false");
            }))
        }
        "DeleteAccessKey" => {
            identity
                .delete_access_key(caller, params.get("UserName"), params.required("AccessKeyId")?)
                .await
                .map_err(identity_error)?;
            Ok(input.reply_xml_empty())
        }
        "PutUserPolicy" => {
            identity
                .put_user_policy(
                    caller,
                    params.required("UserName")?,
                    params.required("PolicyName")?,
                    params.required("PolicyDocument")?,
                )
                .await
                .map_err(identity_error)?;
            Ok(input.reply_xml_empty())
        }
        "GetUserPolicy" => {
            let user_name = params.required("UserName")?;
            let policy_name = params.required("PolicyName")?;
            let document = identity
                .get_user_policy(caller, user_name, policy_name)
                .await
                .map_err(identity_error)?;
            // IAM returns the document URL-encoded.
            let encoded: String = form_urlencoded::byte_serialize(document.as_bytes())
                .collect::<String>()
                .replace('+', "%20");
            Ok(respond(&|xml| {
                xml.element("UserName", user_name)
                    .element("PolicyName", policy_name)
                    .element("PolicyDocument", &encoded);
            }))
        }
        "DeleteUserPolicy" => {
            identity
                .delete_user_policy(
                    caller,
                    params.required("UserName")?,
                    params.required("PolicyName")?,
                )
                .await
                .map_err(identity_error)?;
            Ok(input.reply_xml_empty())
        }
        "ListUserPolicies" => {
            let names = identity
                .list_user_policies(caller, params.required("UserName")?)
                .await
                .map_err(identity_error)?;
            Ok(respond(&|xml| {
                xml.open("PolicyNames", None);
                for name in &names {
                    xml.element("member", name);
                }
                xml.close("PolicyNames").element("IsTruncated", "false");
            }))
        }
        other => Err(ApiError::new(
            "InvalidAction",
            400,
            format!("Could not find operation {other} for version 2010-05-08"),
        )),
    }
}

fn write_user_fields(xml: &mut XmlWriter, user: &UserInfo) {
    xml.element("Path", &user.path)
        .element("UserName", &user.user_name)
        .element("UserId", &user.user_id)
        .element("Arn", &user.arn)
        .element("CreateDate", &iso_time(user.create_date));
}
