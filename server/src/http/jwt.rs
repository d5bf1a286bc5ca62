//! The LMS's JSON Web Tokens, accepted the way Open edX services accept them: an
//! `Authorization: JWT <token>` (or `Bearer`) header, or the split cookie pair
//! `edx-jwt-cookie-header-payload` + `edx-jwt-cookie-signature` that the LMS sets for its
//! micro-frontends. Tokens are HS256 with `auth.jwt_secret` or RS256 with
//! `auth.jwt_public_keys` (PEM blocks or a JWKS document); issuer and audience are
//! checked when configured, expiry always, against the service clock.

use crate::config::{AuthConfig, ConfigError};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde::Deserialize;

/// The cookie holding the token's `header.payload`.
pub const HEADER_PAYLOAD_COOKIE: &str = "edx-jwt-cookie-header-payload";
/// The cookie holding the token's signature.
pub const SIGNATURE_COOKIE: &str = "edx-jwt-cookie-signature";

/// Clock skew tolerated on `exp` and `nbf`, in seconds (Open edX uses 1 minute too).
const LEEWAY_SECS: i64 = 60;

/// The claims Vouch reads from an Open edX JWT.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Claims {
    /// The LMS's user id.
    pub user_id: i64,
    /// The LMS username.
    pub preferred_username: String,
    /// The learner's email.
    #[serde(default)]
    pub email: String,
    /// The learner's full name.
    #[serde(default)]
    pub name: String,
    /// Whether the user is an LMS administrator (staff in Vouch).
    #[serde(default)]
    pub administrator: bool,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Not before, seconds since the epoch.
    #[serde(default)]
    pub nbf: Option<i64>,
    /// Every other claim (e.g. the one `auth.sso_verification_claim` names).
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// Why a token was refused. The message is safe to return; it never includes the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// No key is configured for the token's algorithm.
    #[error("JWT sign-in is not configured")]
    NotConfigured,
    /// The token is malformed, badly signed, or has the wrong issuer or audience.
    #[error("the token is not valid")]
    Invalid,
    /// The token has expired (or is not valid yet).
    #[error("the token has expired")]
    Expired,
}

/// Verifies tokens with the configured keys.
pub struct JwtVerifier {
    hs256: Option<DecodingKey>,
    rs256: Vec<(Option<String>, DecodingKey)>,
    issuer: Option<String>,
    audience: Option<String>,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier").field("hs256", &self.hs256.is_some()).field("rs256", &self.rs256.len()).finish()
    }
}

impl JwtVerifier {
    /// A verifier from `[auth]`; refuses keys it cannot parse, so a typo fails at start-up.
    pub fn from_config(cfg: &AuthConfig) -> Result<Self, ConfigError> {
        let hs256 = cfg.jwt_secret.as_ref().map(|s| DecodingKey::from_secret(s.expose().as_bytes()));
        let rs256 = match cfg.jwt_public_keys.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            None => Vec::new(),
            Some(keys) if keys.starts_with('{') => parse_jwks(keys)?,
            Some(keys) => parse_pems(keys)?,
        };
        Ok(Self { hs256, rs256, issuer: cfg.jwt_issuer.clone(), audience: cfg.jwt_audience.clone() })
    }

    /// Whether any key is configured.
    pub fn enabled(&self) -> bool {
        self.hs256.is_some() || !self.rs256.is_empty()
    }

    /// The claims of a valid `token` at time `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, JwtError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| JwtError::Invalid)?;
        let keys: Vec<&DecodingKey> = match header.alg {
            Algorithm::HS256 => self.hs256.iter().collect(),
            Algorithm::RS256 => match &header.kid {
                // A token naming its key is checked with that key only (JWKS rotation).
                Some(kid) if self.rs256.iter().any(|(k, _)| k.as_deref() == Some(kid)) => {
                    self.rs256.iter().filter(|(k, _)| k.as_deref() == Some(kid)).map(|(_, key)| key).collect()
                }
                _ => self.rs256.iter().map(|(_, key)| key).collect(),
            },
            // `none`, other HMAC sizes, ECDSA…: never accepted (no algorithm confusion).
            _ => return Err(JwtError::Invalid),
        };
        if keys.is_empty() {
            return Err(if self.enabled() { JwtError::Invalid } else { JwtError::NotConfigured });
        }
        let mut validation = Validation::new(header.alg);
        // Expiry is checked below against the service clock, which tests can move.
        validation.validate_exp = false;
        // A configured issuer or audience is a required claim: a token that leaves it out
        // (minted by another service sharing the key) must not pass as if it matched.
        let mut required = Vec::new();
        match &self.audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        if let Some(iss) = &self.issuer {
            validation.set_issuer(&[iss]);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        let claims = keys
            .into_iter()
            .find_map(|key| jsonwebtoken::decode::<Claims>(token, key, &validation).ok())
            .ok_or(JwtError::Invalid)?
            .claims;
        let now = now.timestamp();
        if claims.exp + LEEWAY_SECS < now || claims.nbf.is_some_and(|nbf| nbf - LEEWAY_SECS > now) {
            return Err(JwtError::Expired);
        }
        if claims.preferred_username.is_empty() {
            return Err(JwtError::Invalid);
        }
        Ok(claims)
    }
}

/// How to fix `auth.jwt_public_keys`.
const JWT_KEYS_FIX: &str = "set it to the LMS's JWT signing public keys: a JWKS document (Open edX JWT_PUBLIC_SIGNING_JWK_SET) or PEM public keys";

fn parse_jwks(text: &str) -> Result<Vec<(Option<String>, DecodingKey)>, ConfigError> {
    let set: JwkSet = serde_json::from_str(text).map_err(|e| {
        ConfigError::Invalid(crate::config::invalid(
            "auth.jwt_public_keys",
            &format!("it is not a JWKS document ({e})"),
            JWT_KEYS_FIX,
        ))
    })?;
    set.keys
        .iter()
        .map(|jwk| {
            DecodingKey::from_jwk(jwk).map(|k| (jwk.common.key_id.clone(), k)).map_err(|e| {
                ConfigError::Invalid(crate::config::invalid(
                    "auth.jwt_public_keys",
                    &format!("a key of its JWKS is unusable ({e})"),
                    JWT_KEYS_FIX,
                ))
            })
        })
        .collect()
}

fn parse_pems(text: &str) -> Result<Vec<(Option<String>, DecodingKey)>, ConfigError> {
    const END: &str = "-----END PUBLIC KEY-----";
    let mut keys = Vec::new();
    let mut rest = text;
    while let Some(end) = rest.find(END) {
        let block = &rest[..end + END.len()];
        let key = DecodingKey::from_rsa_pem(block.trim().as_bytes()).map_err(|e| {
            ConfigError::Invalid(crate::config::invalid(
                "auth.jwt_public_keys",
                &format!("a PEM block is not an RSA public key ({e})"),
                JWT_KEYS_FIX,
            ))
        })?;
        keys.push((None, key));
        rest = &rest[end + END.len()..];
    }
    if keys.is_empty() {
        return Err(ConfigError::Invalid(crate::config::invalid(
            "auth.jwt_public_keys",
            "it holds no PEM public key and is not a JWKS document",
            JWT_KEYS_FIX,
        )));
    }
    Ok(keys)
}

/// The token of a request, from `Authorization: JWT|Bearer <token>`.
pub fn from_authorization(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("jwt") || scheme.eq_ignore_ascii_case("bearer")).then_some(token.trim())
}

/// The token rebuilt from the Open edX cookie pair.
pub fn from_cookie_pair(header_payload: &str, signature: &str) -> String {
    format!("{header_payload}.{signature}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use jsonwebtoken::{EncodingKey, Header, encode};

    fn cfg() -> AuthConfig {
        AuthConfig {
            jwt_secret: Some(Secret::from("s3cret-lms-key".to_owned())),
            jwt_issuer: Some("https://lms.example/oauth2".into()),
            jwt_audience: Some("openedx".into()),
            ..AuthConfig::default()
        }
    }

    fn token(secret: &str, claims: serde_json::Value) -> String {
        encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
    }

    fn claims(exp: i64) -> serde_json::Value {
        serde_json::json!({"user_id": 7, "preferred_username": "ada", "email": "ada@x", "name": "Ada L",
            "administrator": false, "exp": exp, "iss": "https://lms.example/oauth2", "aud": "openedx"})
    }

    #[test]
    fn accepts_good_and_refuses_bad_tokens() {
        let v = JwtVerifier::from_config(&cfg()).unwrap();
        let now = Utc::now();
        let exp = now.timestamp() + 300;
        let ok = v.verify(&token("s3cret-lms-key", claims(exp)), now).unwrap();
        assert_eq!((ok.user_id, ok.preferred_username.as_str()), (7, "ada"));
        assert_eq!(v.verify(&token("wrong", claims(exp)), now), Err(JwtError::Invalid));
        assert_eq!(v.verify(&token("s3cret-lms-key", claims(now.timestamp() - 120)), now), Err(JwtError::Expired));
        let mut other_aud = claims(exp);
        other_aud["aud"] = "other".into();
        assert_eq!(v.verify(&token("s3cret-lms-key", other_aud), now), Err(JwtError::Invalid));
        let mut other_iss = claims(exp);
        other_iss["iss"] = "https://evil".into();
        assert_eq!(v.verify(&token("s3cret-lms-key", other_iss), now), Err(JwtError::Invalid));
        for claim in ["iss", "aud"] {
            let mut without = claims(exp);
            without.as_object_mut().expect("object").remove(claim);
            assert_eq!(v.verify(&token("s3cret-lms-key", without), now), Err(JwtError::Invalid), "without {claim}");
        }
        assert_eq!(v.verify("not.a.token", now), Err(JwtError::Invalid));
    }

    #[test]
    fn unsigned_and_unconfigured() {
        let none = "eyJhbGciOiJub25lIn0.eyJ1c2VyX2lkIjoxfQ.";
        let v = JwtVerifier::from_config(&cfg()).unwrap();
        assert_eq!(v.verify(none, Utc::now()), Err(JwtError::Invalid));
        let off = JwtVerifier::from_config(&AuthConfig::default()).unwrap();
        assert!(!off.enabled());
        let t = token("x", claims(Utc::now().timestamp() + 60));
        assert_eq!(off.verify(&t, Utc::now()), Err(JwtError::NotConfigured));
    }

    #[test]
    fn header_schemes() {
        assert_eq!(from_authorization("JWT abc"), Some("abc"));
        assert_eq!(from_authorization("Bearer abc"), Some("abc"));
        assert_eq!(from_authorization("Basic abc"), None);
        assert_eq!(from_cookie_pair("h.p", "s"), "h.p.s");
    }
}
