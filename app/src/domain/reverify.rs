//! Whether a learner may start a new verification now (Open edX's `can_verify_now`), as one
//! answer with its reason, so every submit door of the server and the SPA's status page
//! decide the same way. A learner whose attempt is under review, or whose approval is not
//! about to expire, gains nothing from another attempt: it only stores more photos and
//! bills the vendor again.

use super::{Policy, UserStatus, UserStatusKind, policy::can_verify_now};
use chrono::{DateTime, Utc};

/// The answer to "may this learner verify now?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyNow {
    /// No usable verification, a denial, an expiry, or an approval expiring soon.
    Allowed,
    /// An attempt is being reviewed: wait for its decision.
    Pending,
    /// Verified, and the approval is not within the expiring-soon window.
    AlreadyVerified {
        /// When the approval expires (`None`: never).
        until: Option<DateTime<Utc>>,
    },
}

impl VerifyNow {
    /// Whether a new attempt may start.
    pub fn is_allowed(self) -> bool {
        self == Self::Allowed
    }

    /// What the learner is told when a door refuses (English; the SPA never reaches a
    /// refusal because it hides the way in, see `pages::status::action`).
    pub fn refusal(self) -> Option<String> {
        match self {
            Self::Allowed => None,
            Self::Pending => Some(
                "Your identity verification is being reviewed. You can submit again only if it is not accepted."
                    .to_owned(),
            ),
            Self::AlreadyVerified { until: Some(until) } => Some(format!(
                "You are already verified until {}. You can verify again when that date is near.",
                until.format("%Y-%m-%d")
            )),
            Self::AlreadyVerified { until: None } => Some("You are already verified.".to_owned()),
        }
    }
}

/// The rule over a learner's status (from `user_status::user_status`) judged at `now`:
/// Open edX's `can_verify_now` (status `none`, `must_reverify` or `expired`, or an
/// expiration within the expiring-soon window), with the reason when it says no.
pub fn verify_now(status: &UserStatus, now: DateTime<Utc>, policy: &Policy) -> VerifyNow {
    if can_verify_now(status.status, status.expires, now, policy) {
        return VerifyNow::Allowed;
    }
    match status.status {
        UserStatusKind::Pending => VerifyNow::Pending,
        _ => VerifyNow::AlreadyVerified { until: status.expires },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).single().expect("valid")
    }

    fn status(kind: UserStatusKind, expires_in_days: Option<i64>) -> UserStatus {
        UserStatus { status: kind, expires: expires_in_days.map(|d| now() + Duration::days(d)), ..UserStatus::none() }
    }

    #[test]
    fn the_rule_by_status() {
        use UserStatusKind as K;
        let policy = Policy::default();
        let cases = [
            (status(K::None, None), VerifyNow::Allowed),
            (status(K::MustReverify, Some(300)), VerifyNow::Allowed),
            (status(K::Expired, Some(-1)), VerifyNow::Allowed),
            // A pending attempt blocks, whatever its own expiration.
            (status(K::Pending, Some(365)), VerifyNow::Pending),
            (status(K::Pending, None), VerifyNow::Pending),
            // An approval blocks until the expiring-soon window (28 days by default) opens.
            (status(K::Approved, Some(29)), VerifyNow::AlreadyVerified { until: Some(now() + Duration::days(29)) }),
            (status(K::Approved, Some(28)), VerifyNow::Allowed),
            (status(K::Approved, Some(1)), VerifyNow::Allowed),
            // An approval that never expires never opens the window.
            (status(K::Approved, None), VerifyNow::AlreadyVerified { until: None }),
        ];
        for (s, expected) in cases {
            assert_eq!(verify_now(&s, now(), &policy), expected, "{s:?}");
            assert_eq!(verify_now(&s, now(), &policy).is_allowed(), expected == VerifyNow::Allowed);
        }
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(VerifyNow::Allowed.refusal(), None);
        assert!(VerifyNow::Pending.refusal().is_some_and(|m| m.contains("being reviewed")));
        let until = Utc.with_ymd_and_hms(2027, 3, 4, 0, 0, 0).single().expect("valid");
        let m = VerifyNow::AlreadyVerified { until: Some(until) }.refusal().expect("a refusal");
        assert!(m.contains("already verified until 2027-03-04"), "{m}");
        assert_eq!(VerifyNow::AlreadyVerified { until: None }.refusal().as_deref(), Some("You are already verified."));
    }

    #[test]
    fn a_wider_window_opens_earlier() {
        let policy = Policy { expiring_soon_window: 60, ..Policy::default() };
        assert_eq!(verify_now(&status(UserStatusKind::Approved, Some(59)), now(), &policy), VerifyNow::Allowed);
    }
}
