//! The operations on a Software Secure photo verification, with Open edX's guards
//! (`status_before_must_be`) and field effects. Pure: the caller loads the attempt's
//! reviewable fields, asks [`apply`], and writes the result (or nothing) in one transaction.

use super::{AttemptStatus, Policy, TransitionError, UserId};
use chrono::{DateTime, Duration, Utc};

/// The fields of a photo verification that its lifecycle changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoReview {
    /// Status.
    pub status: AttemptStatus,
    /// Reviewer's (or the system's) message.
    pub error_msg: String,
    /// Reviewer's error code.
    pub error_code: String,
    /// Staff user who decided, if any.
    pub reviewing_user: Option<UserId>,
    /// Service that decided (e.g. the vendor's name).
    pub reviewing_service: String,
    /// When it was sent to the vendor.
    pub submitted_at: Option<DateTime<Utc>>,
    /// When the approval expires (set on approval).
    pub expires_at: Option<DateTime<Utc>>,
}

impl PhotoReview {
    /// A new attempt's fields.
    pub fn created() -> Self {
        Self {
            status: AttemptStatus::Created,
            error_msg: String::new(),
            error_code: String::new(),
            reviewing_user: None,
            reviewing_service: String::new(),
            submitted_at: None,
            expires_at: None,
        }
    }
}

/// Who decided an attempt.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reviewer {
    /// A staff user.
    pub user: Option<UserId>,
    /// A service (vendor) name.
    pub service: String,
}

/// An operation on a photo verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoOp {
    /// Photos uploaded (`mark_ready`; from created).
    MarkReady,
    /// Sent to the vendor (`mark_submit`; from ready or must_retry).
    MarkSubmit,
    /// Sending failed (`mark_must_retry`; from ready, submitted or must_retry — a no-op when
    /// already must_retry).
    MarkMustRetry {
        /// What went wrong.
        error: String,
    },
    /// Approved (`approve`; from submitted, must_retry, denied — a no-op when already
    /// approved: the first approval wins).
    Approve {
        /// Who approved.
        reviewer: Reviewer,
    },
    /// Denied (`deny`; from submitted, must_retry, approved, denied).
    Deny {
        /// The reasons (the vendor's JSON, or a staff message).
        error_msg: String,
        /// The vendor's code.
        error_code: String,
        /// Who denied.
        reviewer: Reviewer,
    },
    /// The vendor failed (`system_error`; from submitted, must_retry → must_retry; a no-op
    /// on approved or denied attempts, which keep their decision).
    SystemError {
        /// The vendor's message.
        error_msg: String,
        /// The vendor's code.
        error_code: String,
        /// Who reported it.
        reviewer: Reviewer,
    },
}

impl PhotoOp {
    /// The operation's name, for messages and the audit log.
    pub fn name(&self) -> &'static str {
        match self {
            Self::MarkReady => "mark_ready",
            Self::MarkSubmit => "mark_submit",
            Self::MarkMustRetry { .. } => "mark_must_retry",
            Self::Approve { .. } => "approve",
            Self::Deny { .. } => "deny",
            Self::SystemError { .. } => "system_error",
        }
    }

    fn allowed_from(&self) -> &'static [AttemptStatus] {
        use AttemptStatus::*;
        match self {
            Self::MarkReady => &[Created],
            Self::MarkSubmit => &[Ready, MustRetry],
            Self::MarkMustRetry { .. } => &[Ready, MustRetry, Submitted],
            Self::Approve { .. } | Self::Deny { .. } | Self::SystemError { .. } => {
                &[MustRetry, Submitted, Approved, Denied]
            }
        }
    }
}

/// Applies `op` to an attempt with fields `current` at `now`.
///
/// `Ok(None)` means the operation is allowed but changes nothing (Open edX's early
/// returns); `Err` means the guard refused it. Either way nothing is to be written.
pub fn apply(
    op: &PhotoOp,
    current: &PhotoReview,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Option<PhotoReview>, TransitionError> {
    use AttemptStatus::*;
    if !op.allowed_from().contains(&current.status) {
        return Err(TransitionError { from: current.status.to_string(), op: op.name() });
    }
    let mut next = current.clone();
    match op {
        PhotoOp::MarkReady => next.status = Ready,
        PhotoOp::MarkSubmit => {
            next.status = Submitted;
            next.submitted_at = Some(now);
        }
        PhotoOp::MarkMustRetry { error } => {
            if current.status == MustRetry {
                return Ok(None);
            }
            next.status = MustRetry;
            next.error_msg = error.clone();
        }
        PhotoOp::Approve { reviewer } => {
            if current.status == Approved {
                return Ok(None);
            }
            next.status = Approved;
            next.error_msg.clear();
            next.error_code.clear();
            next.reviewing_user = reviewer.user;
            next.reviewing_service = reviewer.service.clone();
            next.expires_at = Some(now + Duration::days(policy.days_good_for));
        }
        PhotoOp::Deny { error_msg, error_code, reviewer } => {
            next.status = Denied;
            next.error_msg = error_msg.clone();
            next.error_code = error_code.clone();
            next.reviewing_user = reviewer.user;
            next.reviewing_service = reviewer.service.clone();
        }
        PhotoOp::SystemError { error_msg, error_code, reviewer } => {
            if matches!(current.status, Approved | Denied) {
                return Ok(None);
            }
            next.status = MustRetry;
            next.error_msg = error_msg.clone();
            next.error_code = error_code.clone();
            next.reviewing_user = reviewer.user;
            next.reviewing_service = reviewer.service.clone();
        }
    }
    Ok(Some(next))
}

/// Whether a vendor's verdict (approve, deny, system error) is to be applied to an attempt
/// in `status`: not once it is decided. A late or repeated verdict is acknowledged and
/// changes nothing; only staff overturn a decision, through [`apply`].
pub fn vendor_verdict_applies(status: AttemptStatus) -> bool {
    !matches!(status, AttemptStatus::Approved | AttemptStatus::Denied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use AttemptStatus::*;

    fn at(status: AttemptStatus) -> PhotoReview {
        PhotoReview { status, ..PhotoReview::created() }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("valid")
    }

    fn ops() -> Vec<PhotoOp> {
        let reviewer = Reviewer { user: Some(UserId(9)), service: "vendor".into() };
        vec![
            PhotoOp::MarkReady,
            PhotoOp::MarkSubmit,
            PhotoOp::MarkMustRetry { error: "timeout".into() },
            PhotoOp::Approve { reviewer: reviewer.clone() },
            PhotoOp::Deny { error_msg: "blurry".into(), error_code: "E1".into(), reviewer: reviewer.clone() },
            PhotoOp::SystemError { error_msg: "down".into(), error_code: "S1".into(), reviewer },
        ]
    }

    /// (operation, from) → Some(to) when applied, None when a no-op; absent when refused.
    fn expected(op: &str, from: AttemptStatus) -> Option<Option<AttemptStatus>> {
        let table: &[(&str, AttemptStatus, Option<AttemptStatus>)] = &[
            ("mark_ready", Created, Some(Ready)),
            ("mark_submit", Ready, Some(Submitted)),
            ("mark_submit", MustRetry, Some(Submitted)),
            ("mark_must_retry", Ready, Some(MustRetry)),
            ("mark_must_retry", Submitted, Some(MustRetry)),
            ("mark_must_retry", MustRetry, None),
            ("approve", Submitted, Some(Approved)),
            ("approve", MustRetry, Some(Approved)),
            ("approve", Denied, Some(Approved)),
            ("approve", Approved, None),
            ("deny", Submitted, Some(Denied)),
            ("deny", MustRetry, Some(Denied)),
            ("deny", Approved, Some(Denied)),
            ("deny", Denied, Some(Denied)),
            ("system_error", Submitted, Some(MustRetry)),
            ("system_error", MustRetry, Some(MustRetry)),
            ("system_error", Approved, None),
            ("system_error", Denied, None),
        ];
        table.iter().find(|(o, f, _)| *o == op && *f == from).map(|(_, _, to)| *to)
    }

    #[test]
    fn every_operation_from_every_status() {
        let policy = Policy::default();
        for op in ops() {
            for from in AttemptStatus::ALL {
                let got = apply(&op, &at(from), now(), &policy);
                match expected(op.name(), from) {
                    None => assert!(got.is_err(), "{} from {from} must be refused", op.name()),
                    Some(None) => assert_eq!(got, Ok(None), "{} from {from} is a no-op", op.name()),
                    Some(Some(to)) => {
                        let next = got.expect("allowed").expect("changes");
                        assert_eq!(next.status, to, "{} from {from}", op.name());
                        assert!(from.can_move_to(to), "{from} -> {to} must be an edge");
                    }
                }
            }
        }
    }

    #[test]
    fn field_effects() {
        let policy = Policy::default();
        let reviewer = Reviewer { user: Some(UserId(9)), service: "SoftwareSecure".into() };
        let denied = PhotoReview { error_msg: "old".into(), error_code: "X".into(), ..at(Denied) };
        let approved = apply(&PhotoOp::Approve { reviewer: reviewer.clone() }, &denied, now(), &policy)
            .expect("ok")
            .expect("changes");
        assert_eq!(approved.error_msg, "", "approval clears an earlier denial");
        assert_eq!(approved.error_code, "");
        assert_eq!(approved.reviewing_user, Some(UserId(9)));
        assert_eq!(approved.reviewing_service, "SoftwareSecure");
        assert_eq!(approved.expires_at, Some(now() + Duration::days(365)));

        let submitted = apply(&PhotoOp::MarkSubmit, &at(Ready), now(), &policy).expect("ok").expect("changes");
        assert_eq!(submitted.submitted_at, Some(now()));

        let op = PhotoOp::Deny { error_msg: "[\"blurry\"]".into(), error_code: "E".into(), reviewer };
        let d = apply(&op, &at(Submitted), now(), &policy).expect("ok").expect("changes");
        assert_eq!((d.error_msg.as_str(), d.error_code.as_str()), ("[\"blurry\"]", "E"));
        assert_eq!(d.expires_at, None);
    }

    #[test]
    fn vendor_verdicts_never_overturn_a_decision() {
        for status in AttemptStatus::ALL {
            assert_eq!(vendor_verdict_applies(status), !matches!(status, Approved | Denied), "{status}");
        }
    }
}
