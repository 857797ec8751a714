//! A service's own section of the configuration file (`[kms]`, `[secrets]`, ...).
//!
//! A service declares its section with [`ConfigSection::of`]: a name and a type that
//! deserialises it (with `deny_unknown_fields`, so a misspelt key is refused) and has
//! defaults. The server lists the declared sections beside the registrations, refuses
//! any top-level section nobody declared, and hands each service its parsed value
//! through [`ServiceConfigs`]. Each section is parsed from the whole file's text, so a
//! refused key is reported with its line, as in the server's own sections.

use std::{any::Any, collections::BTreeMap, fmt, marker::PhantomData, sync::Arc};

use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

type Parsed = Arc<dyn Any + Send + Sync>;

/// The type of a service's section.
pub trait SectionConfig: DeserializeOwned + Default + Send + Sync + 'static {
    /// Checks what the types cannot (ranges, combinations); the message names the key.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

/// A section of the configuration file that belongs to one service.
#[derive(Clone, Copy)]
pub struct ConfigSection {
    /// The section's name: the TOML table `[name]`.
    pub name: &'static str,
    parse: fn(&'static str, &str) -> Result<Parsed, String>,
}

impl fmt::Debug for ConfigSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigSection").field("name", &self.name).finish()
    }
}

impl ConfigSection {
    /// The section `[name]`, read into `T` (absent: `T::default()`).
    pub const fn of<T: SectionConfig>(name: &'static str) -> Self {
        Self { name, parse: parse_section::<T> }
    }

    /// Reads this section out of a whole configuration file's text. The error is the
    /// TOML parser's message, which names the key and its line.
    pub fn parse(&self, text: &str) -> Result<(&'static str, Arc<dyn Any + Send + Sync>), String> {
        (self.parse)(self.name, text).map(|parsed| (self.name, parsed))
    }
}

fn parse_section<T: SectionConfig>(name: &'static str, text: &str) -> Result<Parsed, String> {
    let seed = OneSection::<T> { name, section: PhantomData };
    let section = seed
        .deserialize(toml::Deserializer::new(text))
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    section.validate().map_err(|message| format!("[{name}]: {message}"))?;
    Ok(Arc::new(section))
}

/// Deserialises one table of the document and skips the others.
struct OneSection<T> {
    name: &'static str,
    section: PhantomData<T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for OneSection<T> {
    type Value = Option<T>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for OneSection<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a configuration document with an optional [{}] table", self.name)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut section = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == self.name {
                section = Some(map.next_value::<T>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(section)
    }
}

/// Every service's parsed section, by name.
#[derive(Clone, Default)]
pub struct ServiceConfigs {
    sections: BTreeMap<&'static str, Parsed>,
}

impl fmt::Debug for ServiceConfigs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.sections.keys()).finish()
    }
}

impl ServiceConfigs {
    /// Keeps a parsed section.
    pub fn insert(&mut self, name: &'static str, parsed: Arc<dyn Any + Send + Sync>) {
        self.sections.insert(name, parsed);
    }

    /// The section `name` as `T`: what the file said, or `T::default()` when the file
    /// had no such section (or the configuration came from no file).
    pub fn get<T: Clone + Default + 'static>(&self, name: &str) -> T {
        self.sections
            .get(name)
            .and_then(|parsed| parsed.downcast_ref::<T>())
            .cloned()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Sample {
        ttl_seconds: u64,
        name: String,
    }

    impl SectionConfig for Sample {
        fn validate(&self) -> Result<(), String> {
            if self.ttl_seconds == 0 {
                return Err("ttl_seconds must be at least 1".into());
            }
            Ok(())
        }
    }

    impl Default for Sample {
        fn default() -> Self {
            Self { ttl_seconds: 30, name: "x".into() }
        }
    }

    const SECTION: ConfigSection = ConfigSection::of::<Sample>("sample");

    fn configs(text: &str) -> Result<ServiceConfigs, String> {
        let (name, parsed) = SECTION.parse(text)?;
        let mut configs = ServiceConfigs::default();
        configs.insert(name, parsed);
        Ok(configs)
    }

    #[test]
    fn the_section_is_read_and_other_tables_are_left_alone() {
        let text =
            "[server]\nlisten = \"127.0.0.1:1\"\n[sample]\nttl_seconds = 5\n[other]\nx = 1\n";
        let sample: Sample = configs(text).unwrap().get("sample");
        assert_eq!(sample, Sample { ttl_seconds: 5, name: "x".into() });
    }

    #[test]
    fn an_absent_section_is_the_default() {
        assert_eq!(configs("[server]\n").unwrap().get::<Sample>("sample"), Sample::default());
        assert_eq!(ServiceConfigs::default().get::<Sample>("sample"), Sample::default());
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_name_and_line() {
        let error = configs("[server]\n\n[sample]\nttl_secs = 5\n").unwrap_err();
        assert!(error.contains("ttl_secs") && error.contains("line 4"), "{error}");
        let error = configs("[sample]\nttl_seconds = \"soon\"\n").unwrap_err();
        assert!(error.contains("line 2"), "{error}");
        let error = configs("[sample]\nttl_seconds = 0\n").unwrap_err();
        assert_eq!(error, "[sample]: ttl_seconds must be at least 1");
    }
}
