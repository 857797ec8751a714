//! The `shapes!` macro: operation inputs and outputs declared as AWS models them.

/// Declares operation inputs and outputs named and shaped as in an AWS model
/// (`PascalCase` members). Every member is optional, so that a missing required member
/// is reported as AWS reports it (a `ValidationException` from the service's checks),
/// not as a deserialisation failure; absent members are left out of answers.
///
/// ```
/// arca_api::shapes! {
///     /// An input.
///     input DescribeThingRequest {
///         /// The thing's id.
///         thing_id: String,
///     }
/// }
/// let parsed: DescribeThingRequest = serde_json::from_str(r#"{"ThingId":"t-1"}"#).unwrap();
/// assert_eq!(parsed.thing_id.as_deref(), Some("t-1"));
/// ```
#[macro_export]
macro_rules! shapes {
    ($( $(#[$meta:meta])* $kind:ident $name:ident { $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)? } )*) => {
        $(
            $(#[$meta])*
            #[derive(Debug, Default, Clone, ::serde::Serialize, ::serde::Deserialize)]
            #[serde(rename_all = "PascalCase")]
            pub struct $name {
                $(
                    $(#[$fmeta])*
                    #[serde(default, skip_serializing_if = "Option::is_none")]
                    pub $field: Option<$ty>,
                )*
            }
        )*
    };
}
