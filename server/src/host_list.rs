//! Lists of host names (the LMS hosts that grade passbacks may go to), as the
//! configuration and the consumer records write them. A leaf: the store and the LTI
//! configuration both use it.

use serde::Deserialize;

/// A list of host names, read from a TOML list or a comma-separated string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostList(pub Vec<String>);

impl HostList {
    /// Parses a comma-separated list (blank entries dropped, lowercased).
    pub fn parse(s: &str) -> Self {
        Self(s.split(',').map(|h| h.trim().to_ascii_lowercase()).filter(|h| !h.is_empty()).collect())
    }
}

impl<'de> Deserialize<'de> for HostList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        Ok(match Raw::deserialize(d)? {
            Raw::One(s) => Self::parse(&s),
            Raw::Many(v) => Self::parse(&v.join(",")),
        })
    }
}
