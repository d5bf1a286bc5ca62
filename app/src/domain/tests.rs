//! Table-driven tests of the status policy, and a property test of the photo lifecycle.

use super::{
    id_verification::{self, Expiration},
    photo_lifecycle::{self, PhotoOp, PhotoReview, Reviewer},
    policy,
    user_status::user_status,
    *,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

fn day(d: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).single().expect("valid") + Duration::days(d)
}

fn v(kind: AttemptKind, status: AnyStatus, created: i64, expires: Option<i64>) -> Verification {
    Verification {
        kind,
        id: created,
        uuid: format!("u{created}"),
        user_id: UserId(1),
        name: "Ada".into(),
        status,
        created_at: day(created),
        updated_at: day(created),
        status_changed_at: day(created),
        expiration: expires.map(day),
        error_msg: String::new(),
        hide_status_from_user: false,
    }
}

fn photo(status: AttemptStatus, created: i64, expires: Option<i64>) -> Verification {
    v(AttemptKind::Photo, AnyStatus::Attempt(status), created, expires)
}

fn generic(status: GenericStatus, created: i64, expires: Option<i64>) -> Verification {
    v(AttemptKind::Generic, AnyStatus::Generic(status), created, expires)
}

const NOW: i64 = 400;

#[test]
fn user_status_table() {
    use AttemptStatus::*;
    use UserStatusKind as K;
    let policy = Policy::default();
    let denied = Verification { error_msg: "[\"photo blurry\"]".into(), ..photo(Denied, 390, None) };
    let must_retry_with_msg = Verification { error_msg: "vendor down".into(), ..photo(MustRetry, 390, None) };
    let hidden = Verification { hide_status_from_user: true, ..generic(GenericStatus::Approved, 1, Some(10)) };
    let sso_expired = v(AttemptKind::Sso, AnyStatus::Attempt(Approved), 1, Some(10));
    let cases: Vec<(&str, Vec<Verification>, K, &str)> = vec![
        ("nothing", vec![], K::None, ""),
        ("created only", vec![photo(Created, 390, None)], K::None, ""),
        ("ready counts as pending", vec![photo(Ready, 390, None)], K::Pending, ""),
        ("submitted", vec![photo(Submitted, 390, None)], K::Pending, ""),
        ("must_retry is pending", vec![must_retry_with_msg], K::Pending, ""),
        ("denied", vec![denied.clone()], K::MustReverify, "[\"photo blurry\"]"),
        ("approved", vec![photo(Approved, 100, Some(465))], K::Approved, ""),
        ("approved, expiry derived from creation", vec![photo(Approved, 100, None)], K::Approved, ""),
        (
            "approved long ago, derived expiry passed",
            vec![photo(Approved, 10, None)],
            K::Expired,
            "Your Vouch verification has expired.",
        ),
        ("expired", vec![photo(Approved, 10, Some(300))], K::Expired, "Your Vouch verification has expired."),
        ("approval beats a newer denial", vec![photo(Approved, 100, Some(465)), denied.clone()], K::Approved, ""),
        (
            "newer attempt after expiry",
            vec![photo(Approved, 10, Some(300)), photo(Submitted, 390, None)],
            K::Pending,
            "",
        ),
        ("generic pending", vec![generic(GenericStatus::Pending, 390, None)], K::Pending, ""),
        (
            "generic approved without expiry never expires",
            vec![generic(GenericStatus::Approved, 1, None)],
            K::Approved,
            "",
        ),
        ("generic denied", vec![generic(GenericStatus::Denied, 390, None)], K::MustReverify, ""),
        ("hidden expired attempt counts as none", vec![hidden], K::None, ""),
        ("expired SSO is not displayed, so none", vec![sso_expired], K::None, ""),
        (
            "manual approval",
            vec![v(AttemptKind::Manual, AnyStatus::Attempt(Approved), 300, Some(665))],
            K::Approved,
            "",
        ),
    ];
    for (what, attempts, kind, error) in cases {
        let s = user_status(&attempts, day(NOW), &policy, "Vouch");
        assert_eq!(s.status, kind, "{what}");
        assert_eq!(s.error, error, "{what}");
    }
}

#[test]
fn the_latest_expiring_approval_wins() {
    let policy = Policy::default();
    let a = photo(AttemptStatus::Approved, 100, Some(450));
    let b = v(AttemptKind::Manual, AnyStatus::Attempt(AttemptStatus::Approved), 50, Some(500));
    let s = user_status(&[a, b], day(NOW), &policy, "Vouch");
    assert_eq!(s.status, UserStatusKind::Approved);
    assert_eq!(s.expires, Some(day(500)));
    assert!(!s.should_display, "the manual verification decides and is not displayed");
}

#[test]
fn expiring_soon_flag_and_date() {
    let policy = Policy::default();
    let soon = user_status(&[photo(AttemptStatus::Approved, 100, Some(NOW + 20))], day(NOW), &policy, "V");
    assert!(soon.expiring_soon);
    assert_eq!(soon.verification_expiry, day(NOW + 20).format("%m/%d/%Y").to_string());
    assert_eq!(soon.status_date, Some(day(100)));
    let later = user_status(&[photo(AttemptStatus::Approved, 100, Some(NOW + 29))], day(NOW), &policy, "V");
    assert!(!later.expiring_soon);
    assert_eq!(later.verification_expiry, "");
}

#[test]
fn expiry_rules() {
    let policy = Policy::default();
    let cases =
        [(Some(NOW + 28), true), (Some(NOW + 29), false), (Some(NOW), true), (Some(NOW - 5), true), (None, false)];
    for (exp, expected) in cases {
        assert_eq!(policy::is_verification_expiring_soon(exp.map(day), day(NOW), &policy), expected, "{exp:?}");
    }
    assert_eq!(policy::earliest_allowed_verification_date(day(NOW), &policy), day(NOW - 365));
    let p = photo(AttemptStatus::Approved, 10, None);
    assert_eq!(p.expiration_datetime(&policy), Some(day(375)));
    assert!(p.is_expired(day(NOW), &policy));
    assert_eq!(generic(GenericStatus::Approved, 10, None).expiration_datetime(&policy), None);
}

#[test]
fn can_verify_now_table() {
    use UserStatusKind as K;
    let policy = Policy::default();
    let cases = [
        (K::None, None, true),
        (K::Expired, Some(NOW - 1), true),
        (K::MustReverify, None, true),
        (K::Pending, None, false),
        (K::Approved, Some(NOW + 100), false),
        (K::Approved, Some(NOW + 10), true),
    ];
    for (status, exp, expected) in cases {
        assert_eq!(policy::can_verify_now(status, exp.map(day), day(NOW), &policy), expected, "{status:?} {exp:?}");
    }
}

#[test]
fn verification_for_datetime_table() {
    let policy = Policy::default();
    // Newest first, as callers pass them.
    let newest = photo(AttemptStatus::Denied, 300, Some(320));
    let middle = photo(AttemptStatus::Approved, 200, Some(290));
    let oldest = photo(AttemptStatus::Approved, 100, Some(250));
    let all = vec![newest.clone(), middle.clone(), oldest.clone()];
    let cases: Vec<(Option<i64>, Option<&Verification>)> = vec![
        (None, Some(&newest)),
        (Some(310), Some(&newest)),
        (Some(240), Some(&middle)),
        (Some(150), Some(&oldest)),
        (Some(50), None),
        (Some(295), None),
        (Some(400), None),
    ];
    for (deadline, expected) in cases {
        assert_eq!(policy::verification_for_datetime(deadline.map(day), &all, &policy), expected, "{deadline:?}");
    }
    assert_eq!(policy::verification_for_datetime(None, &[], &policy), None);
    assert_eq!(policy::active_verifications(&all, day(240), &policy), vec![&middle, &oldest]);
    let mut touched = oldest.clone();
    touched.updated_at = day(350);
    assert_eq!(policy::most_recent_verification(&[newest, middle, touched.clone()]), Some(&touched));
}

#[test]
fn service_reads() {
    let policy = Policy::default();
    let now = day(NOW);
    let approved = photo(AttemptStatus::Approved, 100, Some(465));
    let expired = photo(AttemptStatus::Approved, 10, Some(300));
    let pending = photo(AttemptStatus::Submitted, 390, None);
    assert!(id_verification::user_is_verified(std::slice::from_ref(&approved), now, &policy));
    assert!(!id_verification::user_is_verified(std::slice::from_ref(&expired), now, &policy));
    assert!(!id_verification::user_is_verified(&[], now, &policy));
    assert!(id_verification::user_is_verified(&[generic(GenericStatus::Approved, 1, None)], now, &policy));
    assert!(id_verification::user_has_valid_or_pending(std::slice::from_ref(&pending), now, &policy));
    assert!(!id_verification::user_has_valid_or_pending(std::slice::from_ref(&expired), now, &policy));
    assert!(!id_verification::user_has_valid_or_pending(&[photo(AttemptStatus::Denied, 390, None)], now, &policy));
    assert_eq!(
        id_verification::get_expiration_datetime(&[approved.clone(), pending], &["approved"], &policy),
        Some(Expiration::At(day(465)))
    );
    assert_eq!(id_verification::get_expiration_datetime(&[expired], &["denied"], &policy), None);
    assert_eq!(id_verification::verification_status_for_user(true, "verified"), "ID Verified");
    assert_eq!(id_verification::verification_status_for_user(false, "professional"), "Not ID Verified");
    assert_eq!(id_verification::verification_status_for_user(true, "audit"), "N/A");
    let other = Verification { user_id: UserId(2), ..approved };
    assert_eq!(id_verification::verified_user_ids(&[other], now, &policy), vec![2]);
}

fn op_strategy() -> impl Strategy<Value = PhotoOp> {
    let reviewer = Reviewer { user: None, service: "vendor".into() };
    prop_oneof![
        Just(PhotoOp::MarkReady),
        Just(PhotoOp::MarkSubmit),
        Just(PhotoOp::MarkMustRetry { error: "e".into() }),
        Just(PhotoOp::Approve { reviewer: reviewer.clone() }),
        Just(PhotoOp::Deny { error_msg: "d".into(), error_code: "c".into(), reviewer: reviewer.clone() }),
        Just(PhotoOp::SystemError { error_msg: "s".into(), error_code: "c".into(), reviewer }),
    ]
}

proptest! {
    /// Any sequence of operations only ever follows edges of the lifecycle, a refused or
    /// no-op operation changes nothing, and the recorded history replays to the status.
    #[test]
    fn random_operations_stay_on_the_lifecycle(ops in proptest::collection::vec(op_strategy(), 0..40)) {
        let policy = Policy::default();
        let mut current = PhotoReview::created();
        let mut history = vec![(None, AttemptStatus::Created)];
        for (i, op) in ops.iter().enumerate() {
            let now = day(i as i64);
            // Refused or no-op operations must leave the attempt as it was.
            if let Ok(Some(next)) = photo_lifecycle::apply(op, &current, now, &policy) {
                prop_assert!(current.status.can_move_to(next.status), "{} -> {}", current.status, next.status);
                history.push((Some(current.status), next.status));
                current = next;
            }
            if current.status == AttemptStatus::Approved {
                prop_assert!(current.expires_at.is_some());
                prop_assert!(current.error_msg.is_empty());
            }
        }
        let mut replayed = None;
        for (from, to) in &history {
            prop_assert_eq!(*from, replayed);
            replayed = Some(*to);
        }
        prop_assert_eq!(replayed, Some(current.status));
    }
}

#[test]
fn user_status_carries_the_reverification_rule() {
    use AttemptStatus::*;
    let policy = Policy::default();
    let can = |attempts: Vec<Verification>| user_status(&attempts, day(NOW), &policy, "Vouch").can_verify;
    assert!(can(vec![]), "no attempt");
    assert!(!can(vec![photo(Submitted, 390, None)]), "pending");
    assert!(!can(vec![photo(Ready, 399, None)]), "ready counts as pending");
    assert!(!can(vec![photo(Approved, 300, Some(NOW + 100))]), "approved, not expiring soon");
    assert!(can(vec![photo(Approved, 100, Some(NOW + 10))]), "approved, expiring soon");
    assert!(can(vec![photo(Denied, 390, None)]), "denied");
    assert!(can(vec![photo(Approved, 1, Some(10))]), "expired");
    // An unexpired approval still decides when a newer attempt is pending: no new one either.
    assert!(!can(vec![photo(Submitted, 399, None), photo(Approved, 300, Some(NOW + 100))]));
}
