//! The staff audit log: one row per use of a staff tool that reveals a learner's data.
//!
//! Rows name the staff user, the action, the target (kind and id, e.g. a receipt id) and a
//! short detail such as which photo; never names, photos or keys, so the log can be read
//! and exported without becoming personal data itself.

use super::{
    Conn, StoreError, StoreResult,
    time::{from_micros, to_micros},
};
use app::domain::UserId;
use chrono::{DateTime, Utc};

/// What a staff user did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Fetched the expiring photo URLs (and expected name) of an attempt.
    ViewPhotoUrls,
    /// Downloaded a decrypted photo of an attempt.
    DecryptPhoto,
    /// Claimed an attempt from the in-house review queue.
    ReviewClaim,
    /// Read a claimed attempt's review details (names, history).
    ReviewView,
    /// Decided an attempt (detail: `approve`, `deny`, or `deny_first` awaiting a second look).
    ReviewDecide,
    /// Gave a claim back.
    ReviewRelease,
    /// `vouch review grant`: the user got the reviewer role (an operator's command, so the
    /// row's user is the one granted; target: their user id).
    ReviewGrant,
    /// `vouch review revoke`: the user lost the reviewer role and their live claims.
    ReviewRevoke,
}

impl Action {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ViewPhotoUrls => "view_photo_urls",
            Self::DecryptPhoto => "decrypt_photo",
            Self::ReviewClaim => "review_claim",
            Self::ReviewView => "review_view",
            Self::ReviewDecide => "review_decide",
            Self::ReviewRelease => "review_release",
            Self::ReviewGrant => "review_grant",
            Self::ReviewRevoke => "review_revoke",
        }
    }
}

impl std::str::FromStr for Action {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "view_photo_urls" => Ok(Self::ViewPhotoUrls),
            "decrypt_photo" => Ok(Self::DecryptPhoto),
            "review_claim" => Ok(Self::ReviewClaim),
            "review_view" => Ok(Self::ReviewView),
            "review_decide" => Ok(Self::ReviewDecide),
            "review_release" => Ok(Self::ReviewRelease),
            "review_grant" => Ok(Self::ReviewGrant),
            "review_revoke" => Ok(Self::ReviewRevoke),
            other => Err(StoreError::Corrupt(format!("unknown staff action {other:?}"))),
        }
    }
}

/// A staff action to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStaffAction<'a> {
    /// Who.
    pub staff: UserId,
    /// What.
    pub action: Action,
    /// The kind of thing acted on (e.g. `photo_verification`).
    pub target_kind: &'a str,
    /// Its id (e.g. the receipt id).
    pub target_id: &'a str,
    /// Which part (e.g. `face`), never personal data.
    pub detail: &'a str,
}

/// A recorded staff action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffAction {
    /// Id (increasing).
    pub id: i64,
    /// Who.
    pub staff: UserId,
    /// What.
    pub action: Action,
    /// The kind of thing acted on.
    pub target_kind: String,
    /// Its id.
    pub target_id: String,
    /// Which part.
    pub detail: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Records `action` at `now`; returns the new row's id.
pub async fn record(conn: &mut Conn, action: &NewStaffAction<'_>, now: DateTime<Utc>) -> StoreResult<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "insert into staff_action (staff_user_id, action, target_kind, target_id, detail, created_at) \
         values ($1, $2, $3, $4, $5, $6) returning staff_action_id",
    )
    .bind(action.staff.0)
    .bind(action.action.as_str())
    .bind(action.target_kind)
    .bind(action.target_id)
    .bind(action.detail)
    .bind(to_micros(now))
    .fetch_one(conn)
    .await?;
    Ok(id)
}

type Row = (i64, i64, String, String, String, String, i64);

/// The `limit` most recent staff actions, newest first.
pub async fn list_recent(conn: &mut Conn, limit: i64) -> StoreResult<Vec<StaffAction>> {
    let rows: Vec<Row> = sqlx::query_as(
        "select staff_action_id, staff_user_id, action, target_kind, target_id, detail, created_at \
         from staff_action order by staff_action_id desc limit $1",
    )
    .bind(limit.max(0))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(id, staff, action, target_kind, target_id, detail, at)| {
            Ok(StaffAction {
                id,
                staff: UserId(staff),
                action: action.parse()?,
                target_kind,
                target_id,
                detail,
                at: from_micros(at)?,
            })
        })
        .collect()
}
