//! Arca's gate: who is calling, may they, and the record that they asked.
//!
//! - [`Caller`] is an authenticated principal (made only after SigV4 verification);
//!   [`Caller::authorize`] is the single place where access is decided, with the IAM
//!   policy evaluation of [`arca_policy`].
//! - [`Identity`] keeps accounts, users, access keys and inline user policies in the
//!   store, with secret access keys sealed under the root key, and authenticates access
//!   keys from them; the IAM service (`arca-iam`) manages users, keys and policies
//!   over the same records ([`identity`]).
//! - [`audit`] writes one CloudTrail-shaped event per request to a hash-chained,
//!   size-rotated JSON Lines log and verifies such logs.
//! - [`Clock`] is the server's clock, which tests may move forward.

pub mod audit;
mod caller;
mod clock;
pub mod identity;

pub use arca_policy::ResourceMode;
pub use caller::{Access, AccessDenied, Caller, CrossAccount, DEPLOYMENT_ACTION_PREFIX};
pub use clock::Clock;
pub use identity::{AccessKeyInfo, Identity, IdentityError, NewAccount, PrincipalHandle, UserInfo};
