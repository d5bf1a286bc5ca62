//! SSO verifications (Open edX `SSOVerification`): an identity provider vouches for a
//! learner. Recorded by staff or the LMS through the REST API, or at sign-in when the LMS's
//! JWT carries the configured claim (`auth.sso_verification_claim`), as Open edX's
//! `set_id_verification_status` pipeline step does for providers with
//! `enable_sso_id_verification`: once while a valid one from that provider exists, not once
//! per sign-in.

use super::{ServiceError, ServiceResult, Services, ensure_user, lifecycle};
use crate::store::{
    StoreError,
    kinds::{KindFields, NewAttempt},
    sso,
    transitions::Actor,
};
use app::domain::{AnyStatus, UserId, manual_lifecycle};
use serde_json::Value;

/// The identity-provider type recorded when the JWT claim names only a slug.
pub const CLAIM_PROVIDER_TYPE: &str = "lms_jwt";
/// The slug recorded when the JWT claim is just `true`.
pub const CLAIM_DEFAULT_SLUG: &str = "lms";

/// Longest identity-provider type (Open edX's field holds 100 characters).
const MAX_TYPE: usize = 100;
/// Longest slug (Open edX's field holds 30 characters).
const MAX_SLUG: usize = 30;

/// An identity provider, as recorded on an SSO verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// e.g. `common.djangoapps.third_party_auth.models.SAMLProviderConfig`.
    pub identity_provider_type: String,
    /// e.g. `tpa-saml-university`.
    pub identity_provider_slug: String,
}

impl Provider {
    /// A provider whose type and slug are checked: the type is 1–100 characters without
    /// control characters, the slug 1–30 of letters, digits, `-` and `_` (a Django slug).
    pub fn parse(identity_provider_type: &str, identity_provider_slug: &str) -> ServiceResult<Self> {
        let t = identity_provider_type.trim();
        if t.is_empty() || t.chars().count() > MAX_TYPE || t.chars().any(char::is_control) {
            return Err(ServiceError::Invalid(format!(
                "identity_provider_type must be 1 to {MAX_TYPE} characters without control characters."
            )));
        }
        let s = identity_provider_slug.trim();
        if s.is_empty() || s.len() > MAX_SLUG || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(ServiceError::Invalid(format!(
                "identity_provider_slug must be 1 to {MAX_SLUG} letters, digits, - or _."
            )));
        }
        Ok(Self { identity_provider_type: t.to_owned(), identity_provider_slug: s.to_owned() })
    }

    /// The provider a JWT claim names, or None when it names none. The claim may be `true`
    /// (the LMS itself), a provider slug, or an object with `identity_provider_type` and
    /// `identity_provider_slug`; `false`, `null`, `""` and an absent claim name none. A value
    /// of another shape is an LMS misconfiguration: it names none (sign-in still works) and
    /// is reported as an error so the operator sees it.
    pub fn from_claim(value: &Value) -> Result<Option<Self>, ServiceError> {
        match value {
            Value::Null | Value::Bool(false) => Ok(None),
            Value::String(s) if s.trim().is_empty() => Ok(None),
            Value::Bool(true) => Self::parse(CLAIM_PROVIDER_TYPE, CLAIM_DEFAULT_SLUG).map(Some),
            Value::String(slug) => Self::parse(CLAIM_PROVIDER_TYPE, slug).map(Some),
            Value::Object(o) => {
                let field = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or_default();
                Self::parse(field("identity_provider_type"), field("identity_provider_slug")).map(Some)
            }
            _ => Err(ServiceError::Invalid("the SSO claim is not a boolean, a slug or an object".into())),
        }
    }
}

/// What [`record_once`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// A new approved record, with its id.
    New(i64),
    /// One from that provider was still valid (the newest's id): nothing recorded.
    Existing(i64),
}

/// How many uuids a record tries before giving up. Each Duplicate that is not a race
/// (no valid record is there to read) moves past one record the count no longer covers
/// (e.g. after `vouch delete-attempt`), so a few tries always suffice in practice.
const MAX_UUID_TRIES: i64 = 16;

/// Records an approved SSO verification of `user` by `provider` with `name`, unless one
/// from that provider (type and slug) is still valid. Used at sign-in (the claim rule) and
/// by the LMS's POST, so a repeated sign-in or a retried POST records nothing new.
#[tracing::instrument(skip_all, fields(user.id = %user, sso.slug = %provider.identity_provider_slug))]
pub async fn record_once(
    services: &Services,
    user: UserId,
    name: &str,
    provider: &Provider,
) -> ServiceResult<Recorded> {
    let (t, s) = (&provider.identity_provider_type, &provider.identity_provider_slug);
    let read = || async {
        let now = services.clock.now();
        let mut conn = services.store.conn().await?;
        Ok::<_, ServiceError>(sso::provider_records(&mut conn, user, t, s, now, services.policy().days_good_for).await?)
    };
    let held = read().await?;
    if let Some(id) = held.newest_valid {
        return Ok(Recorded::Existing(id));
    }
    // A page of the LMS fires several requests with one token at once. Each derives the
    // record's uuid from what one read showed (the learner, the provider, how many records
    // exist), so requests that race make the same uuid and the store keeps one record; the
    // losers read again and find the winner's. A Duplicate with no valid record to find
    // means the count no longer names a free uuid (a record was deleted): try the next.
    let platform = &services.cfg.platform.name;
    let mut earlier = held.total;
    for _ in 0..MAX_UUID_TRIES {
        let uuid = sign_in_uuid(user, provider, earlier);
        match create_sso_verification_as(services, uuid, user, name, t, s, platform).await {
            Ok(id) => return Ok(Recorded::New(id)),
            Err(ServiceError::Store(StoreError::Duplicate(_))) => {
                let again = read().await?;
                if let Some(id) = again.newest_valid {
                    return Ok(Recorded::Existing(id));
                }
                earlier = (earlier + 1).max(again.total);
            }
            Err(e) => return Err(e),
        }
    }
    // Records are being created and deleted faster than this reads them: try again later.
    Err(ServiceError::Raced)
}

/// At sign-in: records an approved SSO verification of `user` by `provider` (named as the
/// account's profile name) unless one from that provider is still valid. Returns the new
/// record's id, or None when none was needed.
pub async fn record_at_sign_in(
    services: &Services,
    user: UserId,
    name: &str,
    provider: &Provider,
) -> ServiceResult<Option<i64>> {
    Ok(match record_once(services, user, name, provider).await? {
        Recorded::New(id) => Some(id),
        Recorded::Existing(_) => None,
    })
}

/// Records that an identity provider verified `user` (approved, expiring after `days_good_for`).
pub async fn create_sso_verification(
    services: &Services,
    user: UserId,
    name: &str,
    identity_provider_type: &str,
    identity_provider_slug: &str,
    platform_name: &str,
) -> ServiceResult<i64> {
    let uuid = uuid::Uuid::new_v4().to_string();
    create_sso_verification_as(
        services,
        uuid,
        user,
        name,
        identity_provider_type,
        identity_provider_slug,
        platform_name,
    )
    .await
}

/// [`create_sso_verification`] under a uuid the caller chose: two writers deriving the same
/// uuid for the same fact make one record (the second gets [`StoreError::Duplicate`]).
pub async fn create_sso_verification_as(
    services: &Services,
    uuid: String,
    user: UserId,
    name: &str,
    identity_provider_type: &str,
    identity_provider_slug: &str,
    platform_name: &str,
) -> ServiceResult<i64> {
    ensure_user(services, user).await?;
    // Granted like a manual verification (`manual_lifecycle`); no operation changes it after.
    let grant = manual_lifecycle::grant(services.clock.now(), &services.policy());
    let attempt = NewAttempt {
        uuid,
        user_id: user,
        name: name.to_owned(),
        status: AnyStatus::Attempt(grant.status),
        expires_at: Some(grant.expires_at),
        fields: KindFields::Sso {
            identity_provider_type: identity_provider_type.to_owned(),
            identity_provider_slug: identity_provider_slug.to_owned(),
            platform_name: platform_name.to_owned(),
        },
    };
    let actor = Actor::Vendor(identity_provider_slug.to_owned());
    lifecycle::create(services, &attempt, &actor, "verified by identity provider").await
}

/// The uuid of the `earlier + 1`th sign-in record of `user` by `provider`: a UUID-shaped
/// digest (not a secret; uuids grant nothing, every use checks who owns the record).
fn sign_in_uuid(user: UserId, provider: &Provider, earlier: i64) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!(
        "vouch sso sign-in\n{}\n{}\n{}\n{earlier}",
        user.0, provider.identity_provider_type, provider.identity_provider_slug
    ));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claim_values() {
        let lms = Provider { identity_provider_type: "lms_jwt".into(), identity_provider_slug: "lms".into() };
        assert_eq!(Provider::from_claim(&json!(true)).ok(), Some(Some(lms)));
        for none in [json!(false), json!(null), json!(""), json!("  ")] {
            assert_eq!(Provider::from_claim(&none).ok(), Some(None), "{none}");
        }
        let slug = Provider::from_claim(&json!("tpa-saml-uni")).ok().flatten().expect("a provider");
        assert_eq!(
            (slug.identity_provider_type.as_str(), slug.identity_provider_slug.as_str()),
            ("lms_jwt", "tpa-saml-uni")
        );
        let full =
            json!({"identity_provider_type": "third_party_auth.SAMLProviderConfig", "identity_provider_slug": "uni"});
        assert_eq!(
            Provider::from_claim(&full).ok().flatten().map(|p| p.identity_provider_type),
            Some("third_party_auth.SAMLProviderConfig".to_owned())
        );
        for bad in [
            json!(1),
            json!(["uni"]),
            json!("has space"),
            json!("x".repeat(31)),
            json!({"identity_provider_slug": "uni"}),
        ] {
            assert!(Provider::from_claim(&bad).is_err(), "{bad}");
        }
    }
}
