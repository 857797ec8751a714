//! The IAM policy language, pure: parsing policy documents, condition operators, and
//! AWS's evaluation logic, with no I/O.
//!
//! - [`Policy`] is a parsed document ([`Policy::parse_identity`] refuses principals,
//!   [`Policy::parse_resource`] requires them); errors are [`PolicyError`]s whose
//!   messages read like AWS's `MalformedPolicyDocument`.
//! - [`RequestContext`] says who asks ([`CallerPrincipal`]), the action, the resource,
//!   and the condition keys.
//! - [`evaluate`] applies explicit deny, then identity and resource policy allows as the
//!   [`ResourceMode`] requires (KMS key policies, identity-only, resource policies), and
//!   returns a [`Decision`] naming the statements that decided. Each evaluation has a
//!   work budget ([`MAX_EVALUATION_WORK`]): one that runs out is denied, so no policy
//!   and request can hold a core for long.
//! - Condition keys given under several cases (an encryption context with `Tenant`
//!   and `tenant`) keep every value ([`RequestContext::insert_variant`]); a condition
//!   on such a key must hold for each to allow, and for any one to deny.
//!
//! ```
//! use arca_policy::{CallerPrincipal, Decision, Policy, RequestContext, ResourceMode, evaluate};
//!
//! let key_policy = Policy::parse_resource(
//!     r#"{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions",
//!         "Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},
//!         "Action":"kms:*","Resource":"*"}]}"#,
//!     arca_policy::MAX_KEY_POLICY_SIZE,
//! )?;
//! let user_policy = Policy::parse_identity(
//!     r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}}"#,
//!     arca_policy::MAX_INLINE_USER_POLICY_SIZE,
//! )?;
//! let context = RequestContext::new(
//!     CallerPrincipal::new("arn:aws:iam::111122223333:user/alice", "111122223333"),
//!     "kms:Encrypt",
//!     "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
//!     "111122223333",
//! );
//! let decision = evaluate(&context, &[&user_policy], Some(&key_policy), ResourceMode::KeyPolicy);
//! assert!(decision.is_allowed());
//! // Without the IAM policy, the key policy's account delegation alone does not allow.
//! assert_eq!(evaluate(&context, &[], Some(&key_policy), ResourceMode::KeyPolicy), Decision::ImplicitDeny);
//! # Ok::<(), arca_policy::PolicyError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod budget;
mod condition;
mod context;
mod document;
mod error;
mod evaluate;
pub mod wildcard;

pub use budget::MAX_EVALUATION_WORK;
pub use condition::{Condition, ConditionOperator, Operator, SetQualifier};
pub use context::{CallerPrincipal, RequestContext};
pub use document::{
    ActionBlock, Effect, MAX_INLINE_USER_POLICY_SIZE, MAX_KEY_POLICY_SIZE, Policy, PrincipalBlock,
    Principals, ResourceBlock, Statement, VERSIONS,
};
pub use error::PolicyError;
pub use evaluate::{Decision, PolicySource, ResourceMode, StatementRef, evaluate};
