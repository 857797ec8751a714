//! The IAM subset over the Query protocol (`Action=CreateUser&Version=2010-05-08`).

use arca_gate::{Caller, Identity, IdentityError, UserInfo};

use crate::protocol::{
    ApiError,
    query::{self, Params},
    xml::XmlWriter,
};

/// IAM's XML namespace.
pub const XMLNS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// The one mapping from identity errors to what IAM clients see.
pub fn api_error(error: IdentityError) -> ApiError {
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
    match params.get("MaxItems") {
        None => Ok(100),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => Ok(n),
            _ => Err(ApiError::new(
                "ValidationError",
                400,
                format!(
                    "1 validation error detected: Value '{text}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000"
                ),
            )),
        },
    }
}

/// Names of the operations served (for metrics labels).
pub const OPERATIONS: &[&str] = &[
    "CreateUser",
    "GetUser",
    "ListUsers",
    "DeleteUser",
    "CreateAccessKey",
    "ListAccessKeys",
    "DeleteAccessKey",
    "PutUserPolicy",
    "GetUserPolicy",
    "DeleteUserPolicy",
    "ListUserPolicies",
];

/// Runs one IAM action and returns the XML answer.
pub async fn call(
    identity: &Identity,
    caller: &Caller,
    action: &str,
    params: &Params,
    request_id: &str,
) -> Result<String, ApiError> {
    let respond = |body: &dyn Fn(&mut XmlWriter)| query::response(action, XMLNS, request_id, body);
    match action {
        "CreateUser" => {
            let user = identity
                .create_user(caller, params.required("UserName")?)
                .await
                .map_err(api_error)?;
            Ok(respond(&|xml| write_user(xml, &user)))
        }
        "GetUser" => {
            let user =
                identity.get_user(caller, params.get("UserName")).await.map_err(api_error)?;
            Ok(respond(&|xml| write_user(xml, &user)))
        }
        "ListUsers" => {
            let (users, marker) = identity
                .list_users(caller, params.get("Marker"), max_items(params)?)
                .await
                .map_err(api_error)?;
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
            identity.delete_user(caller, params.required("UserName")?).await.map_err(api_error)?;
            Ok(empty(action, request_id))
        }
        "CreateAccessKey" => {
            let key = identity
                .create_access_key(caller, params.get("UserName"))
                .await
                .map_err(api_error)?;
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
                .map_err(api_error)?;
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
                .map_err(api_error)?;
            Ok(empty(action, request_id))
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
                .map_err(api_error)?;
            Ok(empty(action, request_id))
        }
        "GetUserPolicy" => {
            let user_name = params.required("UserName")?;
            let policy_name = params.required("PolicyName")?;
            let document = identity
                .get_user_policy(caller, user_name, policy_name)
                .await
                .map_err(api_error)?;
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
                .map_err(api_error)?;
            Ok(empty(action, request_id))
        }
        "ListUserPolicies" => {
            let names = identity
                .list_user_policies(caller, params.required("UserName")?)
                .await
                .map_err(api_error)?;
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

/// An answer with no result members: IAM sends only the metadata.
fn empty(action: &str, request_id: &str) -> String {
    let mut xml = XmlWriter::new();
    xml.open(&format!("{action}Response"), Some(XMLNS));
    xml.open("ResponseMetadata", None).element("RequestId", request_id).close("ResponseMetadata");
    xml.close(&format!("{action}Response"));
    xml.finish()
}
