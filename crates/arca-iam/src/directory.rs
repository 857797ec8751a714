//! IAM's users, access keys and inline user policies: the operations the IAM API
//! serves, over the records `arca_gate::identity` keeps (and authenticates with).
//! Every operation is authorised against the caller's identity policies, within the
//! caller's account only, as IAM does.

use std::sync::Arc;

use arca_gate::{
    Access, AccessKeyInfo, Caller, CrossAccount, Identity, IdentityError, ResourceMode, UserInfo,
    identity::{
        ACCESS_KEYS, AccessKeyRecord, UPPER_ALNUM, USER_POLICIES, USERS, UserPolicyRecord,
        UserRecord, check_name, random_chars,
    },
};
use arca_policy::Policy;
use arca_store::{Precondition, Store, StoreError, Write};

/// IAM's quota of access keys per user.
const MAX_ACCESS_KEYS: usize = 2;
/// IAM's limit on the aggregate size of a user's inline policies.
const MAX_INLINE_POLICY_CHARS: usize = 2048;

/// The IAM directory of every account: users, their keys and policies.
#[derive(Debug, Clone)]
pub struct Directory {
    identity: Arc<Identity>,
}

impl Directory {
    /// The directory over `identity`'s store.
    pub fn new(identity: Arc<Identity>) -> Self {
        Self { identity }
    }

    /// The identity store underneath (for its sealed secrets).
    pub fn identity(&self) -> &Arc<Identity> {
        &self.identity
    }

    fn store(&self) -> &Arc<dyn Store> {
        self.identity.store()
    }

    async fn get_json<T: for<'de> serde::Deserialize<'de>>(
        &self,
        table: &str,
        key: &str,
    ) -> Result<Option<(T, u64)>, IdentityError> {
        self.identity.get_json(table, key).await
    }

    fn authorize_iam(caller: &Caller, action: &str, resource: &str) -> Result<(), IdentityError> {
        caller.authorize(&Access {
            action,
            resource,
            resource_account: caller.account_id(),
            resource_policy: None,
            mode: ResourceMode::IdentityOnly,
            cross_account: CrossAccount::SameAccountOnly,
            context: Vec::new(),
        })?;
        Ok(())
    }

    fn user_arn(account_id: &str, user_name: &str) -> String {
        format!("arn:aws:iam::{account_id}:user/{user_name}")
    }

    fn user_info(account_id: &str, user: UserRecord) -> UserInfo {
        UserInfo {
            arn: Self::user_arn(account_id, &user.user_name),
            user_name: user.user_name,
            user_id: user.user_id,
            path: user.path,
            create_date: user.created,
        }
    }

    /// CreateUser.
    pub async fn create_user(
        &self,
        caller: &Caller,
        user_name: &str,
    ) -> Result<UserInfo, IdentityError> {
        check_name("userName", user_name, 64)?;
        Self::authorize_iam(
            caller,
            "iam:CreateUser",
            &Self::user_arn(caller.account_id(), user_name),
        )?;
        let user = UserRecord {
            user_name: user_name.to_string(),
            user_id: format!("AIDA{}", random_chars(UPPER_ALNUM, 17)),
            path: "/".into(),
            created: self.identity.clock().now_ms(),
        };
        let key = format!("{}/{user_name}", caller.account_id());
        match self
            .store()
            .commit(vec![Write::put(USERS, &key, Identity::encode(&user)?, Precondition::Absent)])
            .await
        {
            Ok(_) => Ok(Self::user_info(caller.account_id(), user)),
            Err(StoreError::Conflict { .. }) => Err(IdentityError::EntityAlreadyExists(format!(
                "User with name {user_name} already exists."
            ))),
            Err(error) => Err(error.into()),
        }
    }

    /// GetUser: the named user, or the caller itself.
    pub async fn get_user(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
    ) -> Result<UserInfo, IdentityError> {
        let Some(user_name) =
            user_name.or(if caller.is_account_root() { None } else { Some(caller.user_name()) })
        else {
            Self::authorize_iam(caller, "iam:GetUser", caller.principal_arn())?;
            return Ok(UserInfo {
                user_name: String::new(),
                user_id: caller.account_id().to_string(),
                arn: caller.principal_arn().to_string(),
                path: "/".into(),
                create_date: 0,
            });
        };
        check_name("userName", user_name, 64)?;
        let (user, _) = self.authorized_user(caller, "iam:GetUser", user_name).await?;
        Ok(Self::user_info(caller.account_id(), user))
    }

    /// Authorises `action` on the caller's user `user_name`, which must exist.
    async fn authorized_user(
        &self,
        caller: &Caller,
        action: &str,
        user_name: &str,
    ) -> Result<(UserRecord, u64), IdentityError> {
        Self::authorize_iam(caller, action, &Self::user_arn(caller.account_id(), user_name))?;
        self.existing_user(caller.account_id(), user_name).await
    }

    async fn existing_user(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<(UserRecord, u64), IdentityError> {
        self.identity
            .get_json::<UserRecord>(USERS, &format!("{account_id}/{user_name}"))
            .await?
            .ok_or_else(|| {
                IdentityError::NoSuchEntity(format!(
                    "The user with name {user_name} cannot be found."
                ))
            })
    }

    /// ListUsers, with IAM's Marker/MaxItems paging.
    pub async fn list_users(
        &self,
        caller: &Caller,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<(Vec<UserInfo>, Option<String>), IdentityError> {
        Self::authorize_iam(
            caller,
            "iam:ListUsers",
            &format!("arn:aws:iam::{}:user/", caller.account_id()),
        )?;
        let prefix = format!("{}/", caller.account_id());
        let start_after = marker.map(|m| format!("{prefix}{m}"));
        let rows = self
            .identity
            .store()
            .list(USERS, &prefix, start_after.as_deref(), max_items + 1)
            .await?;
        let truncated = rows.len() > max_items;
        let mut users = Vec::new();
        for row in rows.into_iter().take(max_items) {
            let user: UserRecord = serde_json::from_slice(&row.value)
                .map_err(|e| IdentityError::internal("decode", e))?;
            users.push(Self::user_info(caller.account_id(), user));
        }
        let next = if truncated { users.last().map(|u| u.user_name.clone()) } else { None };
        Ok((users, next))
    }

    /// DeleteUser: refused while the user has access keys or policies, as in IAM.
    pub async fn delete_user(&self, caller: &Caller, user_name: &str) -> Result<(), IdentityError> {
        check_name("userName", user_name, 64)?;
        let (_, version) = self.authorized_user(caller, "iam:DeleteUser", user_name).await?;
        if !self.user_keys(caller.account_id(), user_name).await?.is_empty()
            || !self
                .store()
                .list(USER_POLICIES, &format!("{}/{user_name}/", caller.account_id()), None, 1)
                .await?
                .is_empty()
        {
            return Err(IdentityError::DeleteConflict(
                "Cannot delete entity, must delete policies and access keys first.".into(),
            ));
        }
        self.identity
            .store()
            .commit(vec![Write::delete(
                USERS,
                &format!("{}/{user_name}", caller.account_id()),
                Precondition::Version(version),
            )])
            .await?;
        Ok(())
    }

    async fn user_keys(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Vec<AccessKeyRecord>, IdentityError> {
        // Access keys are keyed by id; a user's keys are found by scanning the account's.
        let mut keys = Vec::new();
        let mut start_after: Option<String> = None;
        loop {
            let rows = self.store().list(ACCESS_KEYS, "", start_after.as_deref(), 500).await?;
            let Some(last) = rows.last() else { break };
            start_after = Some(last.key.clone());
            for row in rows {
                let key: AccessKeyRecord = serde_json::from_slice(&row.value)
                    .map_err(|e| IdentityError::internal("decode", e))?;
                if key.account_id == account_id && key.user_name.as_deref() == Some(user_name) {
                    keys.push(key);
                }
            }
        }
        Ok(keys)
    }

    /// CreateAccessKey for a user (or the caller when no user is named).
    pub async fn create_access_key(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
    ) -> Result<AccessKeyInfo, IdentityError> {
        let user_name = self.target_user(caller, user_name)?;
        self.authorized_user(caller, "iam:CreateAccessKey", &user_name).await?;
        if self.user_keys(caller.account_id(), &user_name).await?.len() >= MAX_ACCESS_KEYS {
            return Err(IdentityError::LimitExceeded(format!(
                "Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS}"
            )));
        }
        let (record, secret) =
            self.identity.new_access_key(caller.account_id(), Some(&user_name))?;
        self.identity
            .store()
            .commit(vec![Write::put(
                ACCESS_KEYS,
                &record.access_key_id,
                Identity::encode(&record)?,
                Precondition::Absent,
            )])
            .await?;
        Ok(AccessKeyInfo {
            user_name,
            access_key_id: record.access_key_id,
            status: record.status,
            create_date: record.created,
            secret_access_key: Some(secret),
        })
    }

    fn target_user(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
    ) -> Result<String, IdentityError> {
        match user_name {
            Some(name) => {
                check_name("userName", name, 64)?;
                Ok(name.to_string())
            }
            None if !caller.is_account_root() => Ok(caller.user_name().to_string()),
            None => Err(IdentityError::Validation(
                "Root access keys are managed by `arca admin`; name a user with --user-name."
                    .into(),
            )),
        }
    }

    /// ListAccessKeys.
    pub async fn list_access_keys(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
    ) -> Result<Vec<AccessKeyInfo>, IdentityError> {
        let user_name = self.target_user(caller, user_name)?;
        self.authorized_user(caller, "iam:ListAccessKeys", &user_name).await?;
        let mut keys: Vec<AccessKeyInfo> = self
            .user_keys(caller.account_id(), &user_name)
            .await?
            .into_iter()
            .map(|k| AccessKeyInfo {
                user_name: user_name.clone(),
                access_key_id: k.access_key_id,
                status: k.status,
                create_date: k.created,
                secret_access_key: None,
            })
            .collect();
        keys.sort_by_key(|k| k.create_date);
        Ok(keys)
    }

    /// DeleteAccessKey.
    pub async fn delete_access_key(
        &self,
        caller: &Caller,
        user_name: Option<&str>,
        access_key_id: &str,
    ) -> Result<(), IdentityError> {
        let user_name = self.target_user(caller, user_name)?;
        Self::authorize_iam(
            caller,
            "iam:DeleteAccessKey",
            &Self::user_arn(caller.account_id(), &user_name),
        )?;
        let not_found = || {
            IdentityError::NoSuchEntity(format!(
                "The Access Key with id {access_key_id} cannot be found."
            ))
        };
        let (key, version) = self
            .get_json::<AccessKeyRecord>(ACCESS_KEYS, access_key_id)
            .await?
            .ok_or_else(not_found)?;
        if key.account_id != caller.account_id()
            || key.user_name.as_deref() != Some(user_name.as_str())
        {
            return Err(not_found());
        }
        self.identity
            .store()
            .commit(vec![Write::delete(ACCESS_KEYS, access_key_id, Precondition::Version(version))])
            .await?;
        Ok(())
    }

    /// PutUserPolicy: adds or replaces an inline policy.
    pub async fn put_user_policy(
        &self,
        caller: &Caller,
        user_name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), IdentityError> {
        check_name("userName", user_name, 64)?;
        check_name("policyName", policy_name, 128)?;
        self.authorized_user(caller, "iam:PutUserPolicy", user_name).await?;
        Policy::parse_identity(document, arca_policy::MAX_INLINE_USER_POLICY_SIZE)
            .map_err(|e| IdentityError::MalformedPolicyDocument(e.to_string()))?;
        let prefix = format!("{}/{user_name}/", caller.account_id());
        let mut total: usize = document.chars().filter(|c| !c.is_whitespace()).count();
        for row in self.store().list(USER_POLICIES, &prefix, None, 1000).await? {
            let existing: UserPolicyRecord = serde_json::from_slice(&row.value)
                .map_err(|e| IdentityError::internal("decode", e))?;
            if existing.policy_name != policy_name {
                total += existing.document.chars().filter(|c| !c.is_whitespace()).count();
            }
        }
        if total > MAX_INLINE_POLICY_CHARS {
            return Err(IdentityError::LimitExceeded(format!(
                "Maximum policy size of {MAX_INLINE_POLICY_CHARS} bytes exceeded for user {user_name}"
            )));
        }
        let record = UserPolicyRecord {
            policy_name: policy_name.to_string(),
            document: document.to_string(),
        };
        self.identity
            .store()
            .commit(vec![Write::put(
                USER_POLICIES,
                &format!("{prefix}{policy_name}"),
                Identity::encode(&record)?,
                Precondition::None,
            )])
            .await?;
        Ok(())
    }

    /// GetUserPolicy: the document as it was put.
    pub async fn get_user_policy(
        &self,
        caller: &Caller,
        user_name: &str,
        policy_name: &str,
    ) -> Result<String, IdentityError> {
        check_name("userName", user_name, 64)?;
        check_name("policyName", policy_name, 128)?;
        self.authorized_user(caller, "iam:GetUserPolicy", user_name).await?;
        let key = format!("{}/{user_name}/{policy_name}", caller.account_id());
        let (record, _) =
            self.get_json::<UserPolicyRecord>(USER_POLICIES, &key).await?.ok_or_else(|| {
                IdentityError::NoSuchEntity(format!(
                    "The user policy with name {policy_name} cannot be found."
                ))
            })?;
        Ok(record.document)
    }

    /// DeleteUserPolicy.
    pub async fn delete_user_policy(
        &self,
        caller: &Caller,
        user_name: &str,
        policy_name: &str,
    ) -> Result<(), IdentityError> {
        check_name("userName", user_name, 64)?;
        check_name("policyName", policy_name, 128)?;
        self.authorized_user(caller, "iam:DeleteUserPolicy", user_name).await?;
        let key = format!("{}/{user_name}/{policy_name}", caller.account_id());
        let Some((_, version)) = self.get_json::<UserPolicyRecord>(USER_POLICIES, &key).await?
        else {
            return Err(IdentityError::NoSuchEntity(format!(
                "The user policy with name {policy_name} cannot be found."
            )));
        };
        self.identity
            .store()
            .commit(vec![Write::delete(USER_POLICIES, &key, Precondition::Version(version))])
            .await?;
        Ok(())
    }

    /// ListUserPolicies: names only.
    pub async fn list_user_policies(
        &self,
        caller: &Caller,
        user_name: &str,
    ) -> Result<Vec<String>, IdentityError> {
        check_name("userName", user_name, 64)?;
        self.authorized_user(caller, "iam:ListUserPolicies", user_name).await?;
        let rows = self
            .store()
            .list(USER_POLICIES, &format!("{}/{user_name}/", caller.account_id()), None, 1000)
            .await?;
        rows.into_iter()
            .map(|row| {
                serde_json::from_slice::<UserPolicyRecord>(&row.value)
                    .map(|r| r.policy_name)
                    .map_err(|e| IdentityError::internal("decode", e))
            })
            .collect()
    }
}
