//! The SSO, manual and generic attempt kinds. They share their core columns, so one set of
//! functions serves all three; each kind's own columns are set at creation.

use super::{
    Conn, StoreError, StoreResult,
    time::{from_micros, from_micros_opt, to_micros},
    transitions::{self, Actor},
};
use app::domain::{AnyStatus, AttemptKind, UserId};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// The table of a kind (never built from input).
pub fn table(kind: AttemptKind) -> &'static str {
    match kind {
        AttemptKind::Photo => "photo_verification",
        AttemptKind::Sso => "sso_verification",
        AttemptKind::Manual => "manual_verification",
        AttemptKind::Generic => "verification_attempt",
    }
}

/// What a new SSO, manual or generic attempt carries besides the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KindFields {
    /// Verified through an identity provider.
    Sso {
        /// e.g. `tpa-saml`.
        identity_provider_type: String,
        /// The provider's slug.
        identity_provider_slug: String,
        /// The platform's display name.
        platform_name: String,
    },
    /// Verified by staff.
    Manual {
        /// Why.
        reason: String,
        /// The staff user.
        created_by: Option<UserId>,
    },
    /// Recorded by a vendor plugin.
    Generic {
        /// Hide the status from the learner.
        hide_status_from_user: bool,
        /// The vendor plugin's name.
        vendor: String,
        /// The vendor's id for it (inquiry id).
        vendor_reference: String,
    },
}

impl KindFields {
    fn kind(&self) -> AttemptKind {
        match self {
            Self::Sso { .. } => AttemptKind::Sso,
            Self::Manual { .. } => AttemptKind::Manual,
            Self::Generic { .. } => AttemptKind::Generic,
        }
    }
}

/// A new attempt of the SSO, manual or generic kind.
#[derive(Debug, Clone)]
pub struct NewAttempt {
    /// Public id.
    pub uuid: String,
    /// The learner.
    pub user_id: UserId,
    /// Verified name.
    pub name: String,
    /// Initial status, in the vocabulary of the kind ([`AnyStatus::Generic`] for a generic
    /// attempt, [`AnyStatus::Attempt`] for the others; [`insert`] refuses a mismatch).
    pub status: AnyStatus,
    /// Expiration (None: derived for SSO/manual, never for generic).
    pub expires_at: Option<DateTime<Utc>>,
    /// Kind-specific fields.
    pub fields: KindFields,
}

/// The core of a stored SSO, manual or generic attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleAttempt {
    /// Its kind.
    pub kind: AttemptKind,
    /// Id within the kind.
    pub id: i64,
    /// Public id.
    pub uuid: String,
    /// The learner.
    pub user_id: UserId,
    /// Verified name.
    pub name: String,
    /// Status name.
    pub status: String,
    /// Stored expiration.
    pub expires_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Inserts the attempt and audits its creation in its initial status.
pub async fn insert(
    conn: &mut Conn,
    new: &NewAttempt,
    actor: &Actor,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let kind = new.fields.kind();
    if !speaks_vocabulary_of(kind, new.status) {
        return Err(StoreError::Corrupt(format!(
            "{} is not a status of a {} attempt",
            new.status.as_str(),
            kind.as_str()
        )));
    }
    let status = new.status.as_str();
    let t = to_micros(now);
    let exp = new.expires_at.map(to_micros);
    let q = match &new.fields {
        KindFields::Sso { identity_provider_type, identity_provider_slug, platform_name } => {
            sqlx::query_as::<_, (i64,)>(
                "insert into sso_verification (uuid, user_id, name, status, expires_at, identity_provider_type, \
             identity_provider_slug, platform_name, created_at, updated_at, status_changed_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9) returning attempt_id",
            )
            .bind(&new.uuid)
            .bind(new.user_id.0)
            .bind(&new.name)
            .bind(status)
            .bind(exp)
            .bind(identity_provider_type)
            .bind(identity_provider_slug)
            .bind(platform_name)
        }
        KindFields::Manual { reason, created_by } => sqlx::query_as(
            "insert into manual_verification (uuid, user_id, name, status, expires_at, reason, created_by, \
             created_at, updated_at, status_changed_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8) returning attempt_id",
        )
        .bind(&new.uuid)
        .bind(new.user_id.0)
        .bind(&new.name)
        .bind(status)
        .bind(exp)
        .bind(reason)
        .bind(created_by.map(|u| u.0)),
        KindFields::Generic { hide_status_from_user, vendor, vendor_reference } => sqlx::query_as(
            "insert into verification_attempt (uuid, user_id, name, status, expires_at, hide_status_from_user, \
             vendor, vendor_reference, created_at, updated_at, status_changed_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9) returning attempt_id",
        )
        .bind(&new.uuid)
        .bind(new.user_id.0)
        .bind(&new.name)
        .bind(status)
        .bind(exp)
        .bind(i64::from(*hide_status_from_user))
        .bind(vendor)
        .bind(vendor_reference),
    };
    let (id,) = q.bind(t).fetch_one(&mut *conn).await?;
    transitions::append(conn, kind, id, None, status, actor, reason, now).await?;
    Ok(id)
}

/// Whether `status` is in the vocabulary of `kind`.
fn speaks_vocabulary_of(kind: AttemptKind, status: AnyStatus) -> bool {
    matches!(status, AnyStatus::Generic(_)) == (kind == AttemptKind::Generic)
}

/// The attempt of `kind` with this id (never the photo kind).
pub async fn by_id(conn: &mut Conn, kind: AttemptKind, id: i64) -> StoreResult<Option<SimpleAttempt>> {
    let sql = format!(
        "select attempt_id, uuid, user_id, name, status, expires_at, created_at, updated_at from {} \
         where attempt_id = $1",
        table(kind)
    );
    let row = sqlx::query(&sql).bind(id).fetch_optional(conn).await?;
    row.map(|r| {
        Ok(SimpleAttempt {
            kind,
            id: r.try_get("attempt_id")?,
            uuid: r.try_get("uuid")?,
            user_id: UserId(r.try_get("user_id")?),
            name: r.try_get("name")?,
            status: r.try_get("status")?,
            expires_at: from_micros_opt(r.try_get("expires_at")?)?,
            created_at: from_micros(r.try_get("created_at")?)?,
            updated_at: from_micros(r.try_get("updated_at")?)?,
        })
    })
    .transpose()
}

/// A change to an SSO, manual or generic attempt. Status changes are audited.
#[derive(Debug, Clone, Default)]
pub struct AttemptUpdate {
    /// New verified name.
    pub name: Option<String>,
    /// A status change.
    pub status: Option<StatusChange>,
    /// New expiration (`Some(None)` clears it).
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

/// A status change of an SSO, manual or generic attempt, in the vocabulary of its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange {
    /// The status it must currently have.
    pub from: AnyStatus,
    /// The new status.
    pub to: AnyStatus,
}

/// Applies `update` to attempt `id` of `kind`. Returns false when the attempt does not exist
/// or (for a status change) is no longer in the expected status; nothing is written then.
pub async fn update(
    conn: &mut Conn,
    kind: AttemptKind,
    id: i64,
    update: &AttemptUpdate,
    actor: &Actor,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    if kind == AttemptKind::Photo {
        return Err(StoreError::Corrupt("photo attempts change through their lifecycle".into()));
    }
    let t = to_micros(now);
    if let Some(change) = update.status
        && !(speaks_vocabulary_of(kind, change.from) && speaks_vocabulary_of(kind, change.to))
    {
        return Err(StoreError::Corrupt(format!(
            "a status change of the wrong vocabulary for a {} attempt",
            kind.as_str()
        )));
    }
    let (new_status, expected) = match update.status {
        Some(StatusChange { from, to }) => (Some(to.as_str()), Some(from.as_str())),
        None => (None, None),
    };
    let sql = format!(
        "update {} set name = coalesce($1, name), status = coalesce($2, status), \
         expires_at = case when $3 = 1 then $4 else expires_at end, updated_at = $5, \
         status_changed_at = case when $2 is null then status_changed_at else $5 end \
         where attempt_id = $6 and ($7 is null or status = $7)",
        table(kind)
    );
    let (set_exp, exp) = match update.expires_at {
        Some(e) => (1_i64, e.map(to_micros)),
        None => (0, None),
    };
    let done = sqlx::query(&sql)
        .bind(update.name.as_deref())
        .bind(new_status)
        .bind(set_exp)
        .bind(exp)
        .bind(t)
        .bind(id)
        .bind(expected)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    if let (Some(to), Some(from)) = (new_status, expected) {
        transitions::append(conn, kind, id, Some(from), to, actor, reason, now).await?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::{AttemptStatus, GenericStatus};

    #[test]
    fn each_kind_speaks_its_own_vocabulary() {
        let photo_like = AnyStatus::Attempt(AttemptStatus::Approved);
        let generic = AnyStatus::Generic(GenericStatus::Approved);
        for kind in [AttemptKind::Sso, AttemptKind::Manual] {
            assert!(speaks_vocabulary_of(kind, photo_like), "{kind:?}");
            assert!(!speaks_vocabulary_of(kind, generic), "{kind:?}");
        }
        assert!(speaks_vocabulary_of(AttemptKind::Generic, generic));
        assert!(!speaks_vocabulary_of(AttemptKind::Generic, photo_like));
    }
}
