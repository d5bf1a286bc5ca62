//! "Continue on your phone": a learner at a computer without a usable camera gets a link
//! (shown as a QR code) that signs a phone into their verification flow, and nothing else.
//!
//! The link carries a random 256-bit token; only its SHA-256 is stored, and a link is found
//! by that hash (an index lookup on a digest, so no comparison of the secret leaks timing).
//! A link works once, until `idv.handoff_ttl_secs` after it was shown, only for the learner
//! who asked for it, and not after the desktop that showed it cancelled it, showed a new one
//! or signed out. The phone session it starts lasts until that desktop cancels, and at most
//! `idv.handoff_session_secs` after the phone opened the link; what that session may do is
//! restricted by the HTTP layer (`http::identity`).

use super::Services;
use crate::store::{
    StoreError,
    handoff::{self, Handoff},
};
use app::domain::{AttemptStatus, UserId};
use base64::Engine;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// Why a link cannot be used. Each is shown to the learner as is.
#[derive(Debug, thiserror::Error)]
pub enum HandoffError {
    /// No link has this token.
    #[error("this link is not valid")]
    Unknown,
    /// A phone has used it already.
    #[error("this link was already used")]
    Used,
    /// It expired before a phone opened it.
    #[error("this link has expired")]
    Expired,
    /// The desktop cancelled it.
    #[error("this link was cancelled")]
    Cancelled,
    /// The browser opening it is signed in to another learner.
    #[error("this browser is signed in to another account")]
    OtherLearner,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A link just issued: the token is in the link only, never stored.
#[derive(Debug)]
pub struct Issued {
    /// The stored link's id, kept in the desktop's session.
    pub id: i64,
    /// The secret part of the link.
    pub token: String,
    /// Until when a phone may open it.
    pub expires_at: DateTime<Utc>,
}

/// How far the phone has come, as the desktop page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// No phone has opened the link yet.
    Waiting,
    /// A phone opened it; no photos have arrived yet.
    Connected,
    /// The phone's photos arrived; they are not yet with the reviewer.
    PhotosTaken,
    /// The photos were submitted for review (or already decided).
    Submitted,
    /// No phone opened it in time.
    Expired,
    /// Cancelled (here, in another tab, or by signing out).
    Cancelled,
}

impl Progress {
    /// The wire name (`state` of `GET /handoff/status`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Connected => "connected",
            Self::PhotosTaken => "photos_taken",
            Self::Submitted => "submitted",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }

    /// Every state, for pages that carry the text of each.
    pub const ALL: [Self; 6] =
        [Self::Waiting, Self::Connected, Self::PhotosTaken, Self::Submitted, Self::Expired, Self::Cancelled];
}

/// The stored form of a token.
fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `token` has the shape of one we issue (43 URL-safe base64 characters), so a
/// malformed path is refused without a database read.
fn well_formed(token: &str) -> bool {
    token.len() == 43 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Issues a link for `user`, revoking `replacing` (the link this desktop showed before) unless
/// a phone is mid-flow on it ([`live_phone`]; the desktop page follows that phone rather than
/// issue), so one desktop has at most one live link and a reload never cuts a phone off.
#[tracing::instrument(skip_all, fields(user.id = %user))]
pub async fn issue(services: &Services, user: UserId, replacing: Option<i64>) -> Result<Issued, StoreError> {
    let keep = match replacing {
        Some(old) => live_phone(services, old, user).await?,
        None => false,
    };
    let now = services.clock.now();
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let expires_at = now + chrono::Duration::seconds(services.cfg.idv.handoff_ttl_secs);
    let mut tx = services.store.begin().await?;
    if let Some(old) = replacing
        && !keep
        && handoff::by_id(&mut tx, old).await?.is_some_and(|h| h.user_id == user)
    {
        handoff::revoke(&mut tx, old, now).await?;
    }
    let id = handoff::insert(&mut tx, user, &hash(&token), now, expires_at).await?;
    tx.commit().await?;
    Ok(Issued { id, token, expires_at })
}

/// Why `link` cannot be redeemed now by a browser signed in as `signed_in_as`, if it can't.
fn refusal(link: &Handoff, signed_in_as: Option<UserId>, now: DateTime<Utc>) -> Option<HandoffError> {
    if link.revoked_at.is_some() {
        Some(HandoffError::Cancelled)
    } else if link.redeemed_at.is_some() {
        Some(HandoffError::Used)
    } else if link.expires_at <= now {
        Some(HandoffError::Expired)
    } else if signed_in_as.is_some_and(|u| u != link.user_id) {
        Some(HandoffError::OtherLearner)
    } else {
        None
    }
}

/// The link `token` opens, if a browser signed in as `signed_in_as` may redeem it now; the
/// phone's landing page asks before it offers to continue, without using the link up.
pub async fn check(services: &Services, token: &str, signed_in_as: Option<UserId>) -> Result<Handoff, HandoffError> {
    if !well_formed(token) {
        return Err(HandoffError::Unknown);
    }
    let mut conn = services.store.conn().await?;
    let link = handoff::by_token_hash(&mut conn, &hash(token)).await?.ok_or(HandoffError::Unknown)?;
    match refusal(&link, signed_in_as, services.clock.now()) {
        Some(e) => Err(e),
        None => Ok(link),
    }
}

/// Uses the link `token` up: the caller then signs the phone in as the link's learner. Of
/// two phones racing for one link, one wins; the other gets [`HandoffError::Used`].
#[tracing::instrument(skip_all)]
pub async fn redeem(services: &Services, token: &str, signed_in_as: Option<UserId>) -> Result<Handoff, HandoffError> {
    let link = check(services, token, signed_in_as).await?;
    let now = services.clock.now();
    let mut conn = services.store.conn().await?;
    if !handoff::redeem(&mut conn, link.id, now).await? {
        // Changed since `check` read it: say what it is now.
        let now_link = handoff::by_id(&mut conn, link.id).await?.ok_or(HandoffError::Unknown)?;
        return Err(refusal(&now_link, signed_in_as, now).unwrap_or(HandoffError::Used));
    }
    tracing::info!(handoff.id = link.id, user.id = %link.user_id, "hand-off link redeemed");
    Ok(Handoff { redeemed_at: Some(now), ..link })
}

/// Revokes link `id` (the desktop cancelled, signed out or was replaced by an LTI launch);
/// with `owner`, only if it is that learner's (someone else's link is left alone).
#[tracing::instrument(skip_all, fields(handoff.id = id))]
pub async fn revoke(services: &Services, id: i64, owner: Option<UserId>) -> Result<(), StoreError> {
    let mut conn = services.store.conn().await?;
    if handoff::by_id(&mut conn, id).await?.is_some_and(|h| owner.is_none_or(|user| h.user_id == user)) {
        handoff::revoke(&mut conn, id, services.clock.now()).await?;
    }
    Ok(())
}

/// Whether a phone session started by link `id` still stands for `user`: the link is
/// theirs, was redeemed less than `idv.handoff_session_secs` ago, and was not cancelled since.
pub async fn phone_session_valid(services: &Services, id: i64, user: UserId) -> Result<bool, StoreError> {
    let mut conn = services.store.conn().await?;
    let link = handoff::by_id(&mut conn, id).await?;
    Ok(link.is_some_and(|h| h.user_id == user && session_live(services, &h)))
}

/// Whether the phone session of `link` stands now: redeemed, not cancelled, within its cap.
fn session_live(services: &Services, link: &Handoff) -> bool {
    let cap = chrono::Duration::seconds(services.cfg.idv.handoff_session_secs);
    link.revoked_at.is_none() && link.redeemed_at.is_some_and(|at| services.clock.now() < at + cap)
}

/// Whether link `id` of `user` (the one a desktop shows) has a phone on it mid-flow: signed
/// in and its photos not yet submitted. Then the desktop page follows that phone instead of
/// showing a new code, which would end the phone's session; once it has submitted, its work
/// is done and a new code may replace it.
pub async fn live_phone(services: &Services, id: i64, user: UserId) -> Result<bool, StoreError> {
    Ok(phone_session_valid(services, id, user).await?
        && progress(services, id, user).await? != Some(Progress::Submitted))
}

/// Deletes the links nobody can use any more: cancelled, or expired unused, or whose phone
/// session ended, more than a day ago (a day of rows is kept to answer a confused learner).
pub async fn purge_old(services: &Services) -> Result<u64, StoreError> {
    let cutoff = services.clock.now() - chrono::Duration::days(1);
    let session_cutoff = cutoff - chrono::Duration::seconds(services.cfg.idv.handoff_session_secs);
    let mut conn = services.store.conn().await?;
    handoff::purge(&mut conn, cutoff, session_cutoff).await
}

/// How far the phone of link `id` has come; `None` when the link is not `user`'s.
pub async fn progress(services: &Services, id: i64, user: UserId) -> Result<Option<Progress>, StoreError> {
    let mut conn = services.store.conn().await?;
    let Some(link) = handoff::by_id(&mut conn, id).await?.filter(|h| h.user_id == user) else {
        return Ok(None);
    };
    let Some(redeemed_at) = link.redeemed_at else {
        return Ok(Some(if link.revoked_at.is_some() {
            Progress::Cancelled
        } else if link.expires_at <= services.clock.now() {
            Progress::Expired
        } else {
            Progress::Waiting
        }));
    };
    // What the phone did shows in the learner's attempts made since it opened the link.
    let status = handoff::attempt_status_since(&mut conn, user, redeemed_at).await?;
    let status = status
        .map(|s| s.parse::<AttemptStatus>())
        .transpose()
        .map_err(|_| StoreError::Corrupt("unknown photo attempt status".into()))?;
    Ok(Some(match status {
        None if link.revoked_at.is_some() => Progress::Cancelled,
        None => Progress::Connected,
        Some(AttemptStatus::Created | AttemptStatus::Ready) => Progress::PhotosTaken,
        Some(_) => Progress::Submitted,
    }))
}

/// The QR code of `link` as an SVG document; `None` only when the link is too long for a
/// QR code (a `server.public_url` of thousands of characters).
pub fn qr_svg(link: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::M).ok()?;
    Some(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(240, 240).quiet_zone(true).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_for_shape_before_any_lookup() {
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([7u8; 32]);
        assert!(well_formed(&token));
        assert!(!well_formed(&token[1..]));
        assert!(!well_formed(&format!("{}=", &token[1..])));
        assert!(!well_formed(""));
        assert_eq!(hash(&token).len(), 64);
        assert_ne!(hash(&token), hash(&token[1..]));
    }

    #[test]
    fn a_link_renders_as_a_qr_code() {
        let svg = qr_svg("https://vouch.example/handoff/abc").expect("fits");
        assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
        assert!(qr_svg(&"x".repeat(10_000)).is_none());
    }
}
