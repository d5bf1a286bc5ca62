//! The Software Secure request (spec §5–§7): the body fields, the `Date` header and the
//! `Authorization: SSI <access key>:<signature>` header, byte-compatible with Open edX.

use crate::{service::Services, store::attempts::PhotoVerification};
use chrono::{DateTime, Duration, Utc};
use ssencrypt::{CryptoError, PyValue, SignedHeaders};

/// The path of the results callback, under `server.public_url`.
pub const CALLBACK_PATH: &str = "/verify_student/results_callback";

pub use crate::service::results::SERVICE_NAME;

/// A request ready to send.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    /// Where to POST.
    pub url: String,
    /// The `Date` header, exactly as signed.
    pub date: String,
    /// The `Authorization` header.
    pub authorization: String,
    /// The JSON body bytes.
    pub body: Vec<u8>,
}

/// Why a request could not be built (all configuration or data problems: retrying does not help).
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// `software_secure.api_secret_key` is not set.
    #[error(
        "software_secure.api_secret_key (VOUCH_SOFTWARE_SECURE__API_SECRET_KEY) is missing: requests to the \
         vendor are signed with it; set it to the secret key Software Secure issued"
    )]
    NoSecret,
    /// A migrated attempt needs `software_secure.face_image_aes_key` and the vendor's key.
    #[error(
        "software_secure.face_image_aes_key (VOUCH_SOFTWARE_SECURE__FACE_IMAGE_AES_KEY) or rsa_public_key \
         (VOUCH_SOFTWARE_SECURE__RSA_PUBLIC_KEY) is missing: a face photo migrated from Open edX needs both; set \
         them to Open edX's FACE_IMAGE_AES_KEY and the vendor's RSA public key"
    )]
    NoFaceKey,
    /// The attempt has no photo of this kind.
    #[error("the attempt has no {0} photo")]
    MissingPhoto(&'static str),
    /// Signing failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// A photo URL could not be made (the store could not presign).
    #[error("photo URL: {0}")]
    Url(#[from] crate::vault::VaultError),
}

/// Builds the signed submission of `attempt` at `now`.
pub async fn build_request(
    services: &Services,
    attempt: &PhotoVerification,
    now: DateTime<Utc>,
) -> Result<SignedRequest, RequestError> {
    let cfg = &services.cfg.software_secure;
    let secret = cfg.api_secret_key.as_ref().ok_or(RequestError::NoSecret)?;
    let public_url = services.cfg.server.public_url.trim_end_matches('/');
    let expires = now + Duration::seconds(cfg.photo_url_ttl_secs);
    let photo_id_url = photo_url(services, attempt.photo_id_image_ref.as_deref(), "ID", now, expires).await?;
    let face_url = photo_url(services, attempt.face_image_ref.as_deref(), "face", now, expires).await?;
    let s = |v: &str| PyValue::Str(v.to_owned());
    let body = PyValue::Dict(vec![
        ("EdX-ID".into(), s(&attempt.receipt_id)),
        ("ExpectedName".into(), s(&attempt.name)),
        ("PhotoID".into(), PyValue::Str(photo_id_url)),
        ("PhotoIDKey".into(), s(&attempt.photo_id_key)),
        ("SendResponseTo".into(), PyValue::Str(format!("{public_url}{CALLBACK_PATH}"))),
        ("UserPhoto".into(), PyValue::Str(face_url)),
        ("UserPhotoKey".into(), PyValue::Str(user_photo_key(services, attempt)?)),
    ]);
    let date = ssencrypt::http_date(now);
    let headers = SignedHeaders::from_pairs([("Content-Type", "application/json"), ("Date", date.as_str())]);
    let message = ssencrypt::signing_string("POST", &headers, &body)?;
    let signature = ssencrypt::sign_message(secret.expose(), &message);
    Ok(SignedRequest {
        url: cfg.api_url.clone(),
        authorization: ssencrypt::authorization_header(&cfg.api_access_key, &signature),
        date,
        body: body.wire_json().into_bytes(),
    })
}

/// The wrapped face key: the attempt's own, or for a face photo migrated from Open edX
/// (encrypted under the site-wide `face_image_aes_key`), that key wrapped afresh for every
/// request, as Open edX does.
fn user_photo_key(services: &Services, attempt: &PhotoVerification) -> Result<String, RequestError> {
    if !attempt.user_photo_key.is_empty() {
        return Ok(attempt.user_photo_key.clone());
    }
    let hex = services.cfg.software_secure.face_image_aes_key.as_ref().ok_or(RequestError::NoFaceKey)?;
    let vendor = services.keys.vendor_public.as_ref().ok_or(RequestError::NoFaceKey)?;
    let key = ssencrypt::key_from_hex(hex.expose())?;
    Ok(ssencrypt::user_photo_key(&key, vendor)?)
}

/// The expiring URL of a stored photo, for the vendor.
pub async fn photo_url(
    services: &Services,
    object: Option<&str>,
    what: &'static str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<String, RequestError> {
    let object = object.ok_or(RequestError::MissingPhoto(what))?;
    let public_url = services.cfg.server.public_url.trim_end_matches('/');
    Ok(services.vault.url(object, now, expires, public_url, &services.keys.url_secret).await?)
}
