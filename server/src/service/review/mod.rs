//! In-house review (vendor `in_house`): reviewers claim submitted attempts from a queue,
//! look at the two photos, and approve or deny with Open edX's reason codes. A decision
//! goes through the same lifecycle path as a vendor's verdict (`lifecycle::apply_in`), so
//! events, emails, LTI passback and name affirmation follow exactly as for a vendor.
//!
//! Who may review is decided by the HTTP layer once per request ([`ReviewerRole`]): staff,
//! or users with the stored `reviewer` role. Nobody reviews their own attempt, and every
//! claim, photo view, decision and release is written to the staff audit log.

pub mod alert;
pub mod decide;
pub mod detail;
pub mod photos;
pub mod queue;
pub mod reasons;
pub mod stats;

use super::{ServiceError, Services};
use crate::store::{
    StoreError,
    staff_actions::{self, Action, NewStaffAction},
};
use app::{
    domain::UserId,
    error::{AppError, ErrorCode},
};

/// The audit log's name for what reviewers act on.
pub const TARGET_KIND: &str = "photo_verification";

/// A caller found to be a reviewer (staff, or the stored role) for the current request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewerRole {
    user: UserId,
    staff: bool,
}

impl ReviewerRole {
    /// Made only where a request's identity was checked (`Identity::require_reviewer`).
    pub(crate) fn checked(user: UserId, staff: bool) -> Self {
        Self { user, staff }
    }

    /// The reviewer's user id.
    pub fn id(self) -> UserId {
        self.user
    }

    /// Whether they are staff (who may read any item and release any claim).
    pub fn is_staff(self) -> bool {
        self.staff
    }
}

/// Why a review operation was refused. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// No in_house attempt with this receipt id.
    #[error("no attempt in the review queue has this receipt id")]
    NotFound,
    /// The caller does not hold a live claim on it.
    #[error("you do not hold a claim on this attempt (it lapsed, or another reviewer has it)")]
    NotClaimHolder,
    /// It is the caller's own attempt.
    #[error("you may not review your own verification")]
    OwnAttempt,
    /// It was decided already.
    #[error("this attempt was decided already")]
    AlreadyDecided,
    /// A denial without reasons, or a reason not in Open edX's table.
    #[error("{0}")]
    InvalidReasons(String),
    /// Another field is invalid.
    #[error("{0}")]
    Invalid(String),
    /// Something failed on our side.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for ReviewError {
    fn from(e: StoreError) -> Self {
        Self::Service(e.into())
    }
}

impl From<ReviewError> for AppError {
    fn from(e: ReviewError) -> Self {
        let code = match e {
            ReviewError::Service(inner) => return inner.into(),
            ReviewError::NotFound => ErrorCode::NotFound,
            ReviewError::NotClaimHolder => ErrorCode::NotClaimHolder,
            ReviewError::OwnAttempt => ErrorCode::OwnAttempt,
            ReviewError::AlreadyDecided => ErrorCode::AlreadyDecided,
            ReviewError::InvalidReasons(ref m) | ReviewError::Invalid(ref m) => {
                let code = if matches!(e, ReviewError::InvalidReasons(_)) {
                    ErrorCode::InvalidReasons
                } else {
                    ErrorCode::InvalidRequest
                };
                return AppError::new(code, m.clone());
            }
        };
        AppError::new(code, capitalised(&e.to_string()))
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), c.as_str().trim_end_matches('.')),
        None => String::new(),
    }
}

/// Result of a review operation.
pub type ReviewResult<T> = Result<T, ReviewError>;

/// Writes one audit row (in its own transaction, before the caller returns anything).
pub(crate) async fn audit(
    services: &Services,
    who: UserId,
    action: Action,
    receipt_id: &str,
    detail: &str,
) -> ReviewResult<()> {
    let mut tx = services.store.begin().await?;
    audit_in(&mut tx, services, who, action, receipt_id, detail).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// [`audit`] inside the caller's transaction (the row commits with the change it records).
pub(crate) async fn audit_in(
    conn: &mut crate::store::Conn,
    services: &Services,
    who: UserId,
    action: Action,
    receipt_id: &str,
    detail: &str,
) -> ReviewResult<()> {
    let row = NewStaffAction { staff: who, action, target_kind: TARGET_KIND, target_id: receipt_id, detail };
    staff_actions::record(conn, &row, services.clock.now()).await?;
    Ok(())
}
