//! The LMS's JSON Web Tokens, accepted the way Open edX services accept them: an
//! `Authorization: JWT <token>` (or `Bearer`) header, or the split cookie pair
//! `edx-jwt-cookie-header-payload` + `edx-jwt-cookie-signature` that the LMS sets for its
//! micro-frontends. Tokens are HS256 with `auth.jwt_secret` or RS256 with
//! `auth.jwt_public_keys` (PEM blocks or a JWKS document); issuer and audience are
//! checked when configured, expiry always, against the service clock.

use crate::{
    config::{AuthConfig, ConfigError},
    status_cache::SignInKey,
};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

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

/// A token that passed [`JwtVerifier::verify`]: its claims, and what they say about the user
/// (the status cache's sign-in key), built once.
#[derive(Debug)]
pub struct Verified {
    /// The claims.
    pub claims: Claims,
    /// The profile the token carries.
    pub sign_in: SignInKey,
}

impl From<Claims> for Verified {
    fn from(claims: Claims) -> Self {
        let sign_in = SignInKey {
            lms_user_id: claims.user_id,
            username: claims.preferred_username.clone(),
            email: claims.email.clone(),
            full_name: claims.name.clone(),
        };
        Self { claims, sign_in }
    }
}

/// Verified tokens by digest, with when each was verified.
struct Memo {
    tokens: quick_cache::sync::Cache<[u8; 32], (Arc<Verified>, Instant)>,
    ttl: Duration,
}

/// Verifies tokens with the configured keys.
pub struct JwtVerifier {
    hs256: Option<DecodingKey>,
    rs256: Vec<(Option<String>, DecodingKey)>,
    issuer: Option<String>,
    audience: Option<String>,
    /// Tokens already verified, by the SHA-256 of the token: an LMS sends the same token on
    /// every request of a session, and checking its signature and parsing its JSON again was
    /// the largest cost of a cached status read (perf: 12 % of the server's CPU). Only the
    /// checks that cannot change are remembered (signature, issuer, audience, shape);
    /// expiry and not-before are checked on every use against the service clock. The key is
    /// a digest, so finding a token never compares a secret byte by byte.
    /// quick_cache, like the status cache, for its cheap hits; the time to live is checked
    /// on each hit against when the entry was written.
    memo: Option<Memo>,
    /// The one claim beyond Vouch's own that remembered tokens keep.
    keep_claim: Option<String>,
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
        Ok(Self {
            hs256,
            rs256,
            issuer: cfg.jwt_issuer.clone(),
            audience: cfg.jwt_audience.clone(),
            memo: None,
            keep_claim: None,
        })
    }

    /// Remembers up to `capacity` verified tokens (the status cache's bound,
    /// `cache.max_learners`), each trusted for at most `ttl` (`cache.ttl_secs`) before its
    /// signature is checked again; expiry is checked on every use. Tokens the LMS replaced
    /// (it re-issues them about hourly) are never asked for again, and the cache's policy
    /// (S3-FIFO) drops such one-time entries first when it needs room.
    /// Of the claims Vouch does not read itself, only `keep` (the one
    /// `auth.sso_verification_claim` names) is remembered: an Open edX token carries a dozen
    /// more (scopes, filters, names…) that would double each entry's memory.
    pub fn remembering(mut self, capacity: u64, ttl: Duration, keep: Option<String>) -> Self {
        let capacity = usize::try_from(capacity).unwrap_or(usize::MAX).max(1);
        self.memo = Some(Memo { tokens: quick_cache::sync::Cache::new(capacity), ttl });
        self.keep_claim = keep;
        self
    }

    /// Drops remembered tokens older than the time to live, so tokens the LMS replaced give
    /// their memory back (the state's sweeper calls it every [`JwtVerifier::sweep_every`]).
    pub fn sweep(&self) {
        if let Some(memo) = &self.memo {
            let ttl = memo.ttl;
            memo.tokens.retain(|_, (_, at)| at.elapsed() < ttl);
        }
    }

    /// How often to [`JwtVerifier::sweep`]: four times a TTL; never when nothing is remembered.
    pub fn sweep_every(&self) -> Option<Duration> {
        self.memo.as_ref().map(|m| (m.ttl / 4).max(Duration::from_secs(1)))
    }

    /// How many tokens are remembered now.
    pub fn remembered(&self) -> usize {
        self.memo.as_ref().map_or(0, |m| m.tokens.len())
    }

    /// [`JwtVerifier::verify`], answered from the tokens already verified when it can be.
    pub fn verify_remembered(&self, token: &str, now: DateTime<Utc>) -> Result<Arc<Verified>, JwtError> {
        let Some(memo) = &self.memo else {
            return self.verify(token, now).map(|c| Arc::new(c.into()));
        };
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some((known, at)) = memo.tokens.get(&digest)
            && at.elapsed() < memo.ttl
        {
            check_time(&known.claims, now)?;
            return Ok(known);
        }
        let mut claims = self.verify(token, now)?;
        claims.other.retain(|name, _| self.keep_claim.as_deref() == Some(name.as_str()));
        let verified = Arc::new(Verified::from(claims));
        memo.tokens.insert(digest, (verified.clone(), Instant::now()));
        Ok(verified)
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
        check_time(&claims, now)?;
        if claims.preferred_username.is_empty() {
            return Err(JwtError::Invalid);
        }
        Ok(claims)
    }
}

/// Expiry and not-before at `now`, with [`LEEWAY_SECS`].
fn check_time(claims: &Claims, now: DateTime<Utc>) -> Result<(), JwtError> {
    let now = now.timestamp();
    if claims.exp + LEEWAY_SECS < now || claims.nbf.is_some_and(|nbf| nbf - LEEWAY_SECS > now) {
        return Err(JwtError::Expired);
    }
    Ok(())
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
    fn a_remembered_token_still_expires_and_a_forged_one_is_not_found() {
        let v =
            JwtVerifier::from_config(&cfg()).unwrap().remembering(100, Duration::from_secs(600), Some("idp".into()));
        let now = Utc::now();
        let exp = now.timestamp() + 300;
        let good = token("s3cret-lms-key", claims(exp));
        let first = v.verify_remembered(&good, now).unwrap();
        assert_eq!((first.claims.user_id, first.sign_in.username.as_str()), (7, "ada"));
        assert!(first.claims.other.is_empty(), "claims Vouch never reads are not remembered");
        let mut with_idp = claims(exp);
        with_idp["idp"] = "saml-default".into();
        with_idp["scopes"] = serde_json::json!(["email", "profile"]);
        let kept = v.verify_remembered(&token("s3cret-lms-key", with_idp), now).unwrap();
        assert_eq!(kept.claims.other.keys().collect::<Vec<_>>(), ["idp"], "the SSO claim is kept");
        let again = v.verify_remembered(&good, now).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "the second use is answered from memory");
        // The same claims under another key, and the good token with its signature altered.
        assert_eq!(v.verify_remembered(&token("wrong", claims(exp)), now).map(|_| ()), Err(JwtError::Invalid));
        let mut altered = good.clone();
        let last = altered.pop().unwrap();
        altered.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(v.verify_remembered(&altered, now).map(|_| ()), Err(JwtError::Invalid));
        // Expiry is checked on every use, against the clock of that use.
        let later = now + chrono::Duration::seconds(300 + LEEWAY_SECS + 1);
        assert_eq!(v.verify_remembered(&good, later).map(|_| ()), Err(JwtError::Expired));
        // Not-before too: a token remembered early is refused before its time.
        let mut early = claims(exp);
        early["nbf"] = (now.timestamp() + 200).into();
        let early = token("s3cret-lms-key", early);
        let at_nbf = now + chrono::Duration::seconds(200);
        assert!(v.verify_remembered(&early, at_nbf).is_ok());
        assert_eq!(v.verify_remembered(&early, now).map(|_| ()), Err(JwtError::Expired));
        // Without memory (cache.enabled = false) every use is verified afresh.
        let plain = JwtVerifier::from_config(&cfg()).unwrap();
        let a = plain.verify_remembered(&good, now).unwrap();
        assert!(!Arc::ptr_eq(&a, &plain.verify_remembered(&good, now).unwrap()));
    }

    #[test]
    fn a_token_older_than_the_ttl_is_verified_again_and_a_sweep_drops_it() {
        let now = Utc::now();
        let good = token("s3cret-lms-key", claims(now.timestamp() + 300));
        // Within a long TTL (no stall of the test thread can age it): remembered, and kept by
        // a sweep.
        let v = JwtVerifier::from_config(&cfg()).unwrap().remembering(100, Duration::from_secs(3600), None);
        let first = v.verify_remembered(&good, now).unwrap();
        assert!(Arc::ptr_eq(&first, &v.verify_remembered(&good, now).unwrap()), "remembered");
        v.sweep();
        assert_eq!(v.remembered(), 1, "a sweep keeps what is within its TTL");
        // A TTL of zero: every remembered token is already older than it (the comparison is
        // strict), so the age rule is checked without waiting for a clock.
        let v = JwtVerifier::from_config(&cfg()).unwrap().remembering(100, Duration::ZERO, None);
        let first = v.verify_remembered(&good, now).unwrap();
        assert_eq!(v.remembered(), 1);
        let again = v.verify_remembered(&good, now).unwrap();
        assert!(!Arc::ptr_eq(&first, &again), "older than the TTL: its signature was checked again");
        v.sweep();
        assert_eq!(v.remembered(), 0, "the sweep gave the memory back");
        let v = JwtVerifier::from_config(&cfg()).unwrap().remembering(100, Duration::from_millis(300), None);
        assert_eq!(v.sweep_every(), Some(Duration::from_secs(1)));
        assert_eq!(JwtVerifier::from_config(&cfg()).unwrap().sweep_every(), None, "nothing remembered, no sweeper");
    }

    #[test]
    fn header_schemes() {
        assert_eq!(from_authorization("JWT abc"), Some("abc"));
        assert_eq!(from_authorization("Bearer abc"), Some("abc"));
        assert_eq!(from_authorization("Basic abc"), None);
        assert_eq!(from_cookie_pair("h.p", "s"), "h.p.s");
    }
}
