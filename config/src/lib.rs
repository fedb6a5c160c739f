//! # osiris-config
//!
//! How every Osiris binary reads its configuration, in three layers: the program's
//! defaults (which run locally), then a TOML file if one is named (it must exist), then
//! the environment. Environment keys:
//!
//! - `DATABASE_URL` → `database_url`, `OSIRIS_NODE_URL` → `node_url`, `OSIRIS_DEPLOYMENT` →
//!   `deployment`: shared by every program;
//! - `{PREFIX}_{KEY}` → `key` (lowercased), and `{PREFIX}_{SECTION}_{KEY}` → `section.key`
//!   for each of the program's `[section]` tables, e.g. `OSIRIS_GATEWAY_TLS_CERT_FILE` →
//!   `tls.cert_file`.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::Path;

/// The error of a configuration that cannot be read: the key, the value and what was
/// expected, or the missing file.
pub type ConfigError = figment::Error;

/// Loads a `T` from `defaults`, `file` and the environment (see the crate docs).
///
/// Errors: a named file that does not exist, a file that is not TOML, a value of the wrong
/// type (figment names the key and where it came from).
pub fn load<T: Serialize + DeserializeOwned>(
    defaults: &T,
    file: Option<&Path>,
    prefix: &str,
    sections: &[&str],
) -> Result<T, ConfigError> {
    let mut figment = Figment::from(Serialized::defaults(defaults));
    if let Some(file) = file {
        if !file.exists() {
            return Err(ConfigError::from(format!("config file {} does not exist", file.display())));
        }
        figment = figment.merge(Toml::file(file));
    }
    let own = format!("{prefix}_");
    let sections: Vec<String> = sections.iter().map(|s| s.to_string()).collect();
    let env = Env::raw().filter_map(move |key| match key.as_str() {
        "DATABASE_URL" => Some("database_url".into()),
        "OSIRIS_NODE_URL" => Some("node_url".into()),
        "OSIRIS_DEPLOYMENT" => Some("deployment".into()),
        other => other.strip_prefix(own.as_str()).map(|rest| {
            let rest = rest.to_ascii_lowercase();
            match sections.iter().find(|section| rest.starts_with(&format!("{section}_"))) {
                Some(section) => format!("{section}.{}", &rest[section.len() + 1..]).into(),
                None => rest.into(),
            }
        }),
    });
    figment.merge(env).extract()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(default)]
    struct Limits {
        per_sec: u32,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Program {
        database_url: String,
        listen: String,
        limits: Limits,
    }

    #[test]
    fn defaults_then_file_then_environment() {
        figment::Jail::expect_with(|jail| {
            let defaults =
                Program { database_url: "postgres://local".into(), listen: "a".into(), limits: Limits::default() };
            jail.create_file("p.toml", "listen = 'file'\n[limits]\nper_sec = 3")?;
            jail.set_env("DATABASE_URL", "postgres://env");
            jail.set_env("OSIRIS_TEST_LIMITS_PER_SEC", "7");
            let loaded = load(&defaults, Some(Path::new("p.toml")), "OSIRIS_TEST", &["limits"])?;
            assert_eq!(loaded.database_url, "postgres://env");
            assert_eq!(loaded.listen, "file");
            assert_eq!(loaded.limits.per_sec, 7);
            let missing = load(&defaults, Some(Path::new("missing.toml")), "OSIRIS_TEST", &[]).unwrap_err();
            assert!(missing.to_string().contains("missing.toml"), "{missing}");
            jail.set_env("OSIRIS_TEST_LISTEN", "env");
            assert_eq!(load(&defaults, None, "OSIRIS_TEST", &[])?.listen, "env");
            Ok(())
        });
    }
}
