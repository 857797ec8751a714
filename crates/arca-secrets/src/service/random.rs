//! GetRandomPassword.

use arca_api::Operation;
use arca_crypto::SecretBytes;
use arca_gate::Caller;

use super::SecretsService;
use crate::{
    SecretsError,
    api::{GetRandomPasswordRequest, GetRandomPasswordResponse, SecretText},
    password::{self, PasswordOptions},
    validate::Validator,
};

impl SecretsService {
    /// GetRandomPassword.
    pub async fn get_random_password(
        &self,
        caller: &Caller,
        row: &Operation,
        input: GetRandomPasswordRequest,
    ) -> Result<GetRandomPasswordResponse, SecretsError> {
        let mut v = Validator::new();
        v.range("passwordLength", input.password_length, 1, password::MAX_LENGTH);
        v.length(
            "excludeCharacters",
            input.exclude_characters.as_ref(),
            0,
            password::MAX_EXCLUDE_CHARACTERS,
        );
        v.finish()?;
        self.authorize(caller, row, None, &[])?;
        let defaults = PasswordOptions::default();
        let options = PasswordOptions {
            length: input.password_length.unwrap_or(defaults.length),
            exclude_characters: input.exclude_characters.unwrap_or_default(),
            exclude_numbers: input.exclude_numbers.unwrap_or(false),
            exclude_punctuation: input.exclude_punctuation.unwrap_or(false),
            exclude_uppercase: input.exclude_uppercase.unwrap_or(false),
            exclude_lowercase: input.exclude_lowercase.unwrap_or(false),
            include_space: input.include_space.unwrap_or(false),
            require_each_included_type: input
                .require_each_included_type
                .unwrap_or(defaults.require_each_included_type),
        };
        let password = password::generate(&options)
            .map_err(|error| SecretsError::InvalidParameter(error.to_string()))?;
        Ok(GetRandomPasswordResponse {
            random_password: Some(SecretText(SecretBytes::new(password.into_bytes()))),
        })
    }
}
