//! The service functions the HTTP handlers and CLI commands call instead of the store
//! (issue 17 §3): sign-in, dev login, the reviewer role, deciding by hand, readiness.

use crate::{on_both_backends, support::TestDb};
use server::service::{
    ServiceError, accounts, database, manual_decision,
    records::{LmsProfile, User},
    reviewer_role,
};
use std::sync::Arc;

async fn services(db: &TestDb) -> server::service::Services {
    server::serve::services(db.config(), Arc::new(server::clock::SystemClock)).await.expect("services start")
}

fn profile(lms_user_id: i64, username: &str) -> LmsProfile<'_> {
    LmsProfile { lms_user_id, username, email: "ada@example.com", full_name: "Ada Lovelace" }
}

/// The LMS signs in its own users, again and again as the same account, and never as a
/// local account that happens to hold the username.
async fn lms_sign_in_never_takes_a_local_account(db: &TestDb) {
    let services = services(db).await;
    let first = accounts::sign_in_from_lms(&services, &profile(7, "ada")).await.expect("first sign-in");
    let again = accounts::sign_in_from_lms(&services, &profile(7, "ada")).await.expect("same profile");
    assert_eq!(first.id, again.id);
    assert_eq!(again.full_name, "Ada Lovelace");
    let local = accounts::ensure_with_name(&services, "grace", "grace@example.com", "Grace Hopper").await.unwrap();
    match accounts::sign_in_from_lms(&services, &profile(8, "grace")).await {
        Err(ServiceError::Conflict(m)) => assert_eq!(m.to_string(), accounts::LMS_USERNAME_TAKEN),
        other => panic!("a local account's username is not the LMS's: {other:?}"),
    }
    let kept: User = accounts::by_username(&services, "grace").await.unwrap();
    assert_eq!((kept.id, kept.full_name.as_str()), (local.id, "Grace Hopper"));
}
on_both_backends!(lms_sign_in, lms_sign_in_never_takes_a_local_account);

/// Dev login creates learners but never signs in a staff account.
async fn dev_login_refuses_staff(db: &TestDb) {
    let services = services(db).await;
    let learner = match accounts::dev_login(&services, "newbie").await.unwrap() {
        accounts::DevLogin::Learner(u) => u,
        other => panic!("a new learner signs in: {other:?}"),
    };
    assert!(!learner.is_staff);
    assert!(accounts::by_id(&services, learner.id).await.unwrap().is_some());
    accounts::ensure_staff(&services, "boss", None).await.unwrap();
    assert!(matches!(accounts::dev_login(&services, "boss").await.unwrap(), accounts::DevLogin::StaffRefused));
}
on_both_backends!(dev_login, dev_login_refuses_staff);

/// The reviewer role is granted and revoked by username; an unknown one changes nothing.
async fn reviewer_role_by_username(db: &TestDb) {
    let services = services(db).await;
    assert!(reviewer_role::set(&services, "nobody", true, "cli").await.unwrap().is_none());
    accounts::ensure_with_name(&services, "rita", "rita@example.com", "Rita").await.unwrap();
    assert!(reviewer_role::set(&services, "rita", true, "cli").await.unwrap().is_some());
    assert!(accounts::by_username(&services, "rita").await.unwrap().is_reviewer);
    assert!(reviewer_role::set(&services, "rita", false, "cli").await.unwrap().is_some());
    assert!(!accounts::by_username(&services, "rita").await.unwrap().is_reviewer);
}
on_both_backends!(reviewer_role_granted_and_revoked, reviewer_role_by_username);

/// Deciding by hand an attempt that does not exist is a refusal to report, not a failure;
/// the database answers the readiness probe.
async fn unknown_receipt_is_refused(db: &TestDb) {
    let services = services(db).await;
    database::ready(&services).await.expect("ready");
    let refused = manual_decision::decide(&services, "no-such-receipt", None).await.unwrap();
    assert!(refused.unwrap_err().contains("no-such-receipt"));
    database::close(&services).await;
}
on_both_backends!(manual_decision_refusal, unknown_receipt_is_refused);
