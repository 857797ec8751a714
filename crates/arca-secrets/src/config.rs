//! `[secrets]`: the Secrets Manager service's section of the configuration file.
//!
//! ```toml
//! [[secrets.rotation_functions]]
//! arn = "arn:aws:lambda:us-east-1:123456789012:function:my-rotator"
//! url = "http://127.0.0.1:9000/rotate"
//! signing_secret_env = "MY_ROTATOR_SECRET"   # env var holding the shared secret
//! ```

use arca_api::{ConfigSection, SectionConfig};
use serde::Deserialize;

/// The section's declaration, listed beside the service's registration.
pub const CONFIG: ConfigSection = ConfigSection::of::<SecretsConfig>("secrets");

/// `[secrets]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsConfig {
    /// Rotation functions reached as webhooks, by the Lambda ARN a secret names.
    pub rotation_functions: Vec<RotationFunction>,
}

/// One webhook rotation function.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationFunction {
    /// The Lambda ARN secrets name it by (`RotationLambdaARN`).
    pub arn: String,
    /// Where each step is POSTed (`http://`).
    pub url: String,
    /// The environment variable holding the HMAC key that signs each step.
    pub signing_secret_env: String,
}

impl SectionConfig for SecretsConfig {
    fn validate(&self) -> Result<(), String> {
        for (index, function) in self.rotation_functions.iter().enumerate() {
            if !function.arn.starts_with("arn:") || !function.arn.contains(":lambda:") {
                return Err(format!(
                    "rotation_functions[{index}].arn: '{}' is not a Lambda function ARN",
                    function.arn
                ));
            }
            if !function.url.starts_with("http://") {
                return Err(format!(
                    "rotation_functions[{index}].url: only http:// URLs are supported"
                ));
            }
            if function.signing_secret_env.is_empty() {
                return Err(format!("rotation_functions[{index}].signing_secret_env is empty"));
            }
        }
        let mut arns: Vec<&str> = self.rotation_functions.iter().map(|f| f.arn.as_str()).collect();
        arns.sort_unstable();
        if arns.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err("rotation_functions: an ARN is listed twice".into());
        }
        Ok(())
    }
}
