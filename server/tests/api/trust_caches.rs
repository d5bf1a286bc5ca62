//! Per-process caches cannot be grown by strangers (trust issue, item 7): the deadline
//! cache keeps only deadlines the database holds, up to a bound, so a signed-in caller
//! asking for a million invented course keys leaves no trace in memory.

use crate::support::{TestApp, TestDb};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use server::service::deadlines;

async fn get_deadline(app: &TestApp, cookie: &str, course: &str) -> (StatusCode, serde_json::Value) {
    let path = format!("/api/v1/courses/{}/deadline", course.replace('+', "%2B"));
    app.json(Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).expect("request")).await
}

async fn invented_courses_are_not_cached(db: &TestDb) {
    let app = TestApp::new(db).await;
    let mallory = app.login("mallory").await;
    for i in 0..300 {
        let (status, v) = get_deadline(&app, &mallory, &format!("course-v1:Invented+{i}+2026")).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert!(v["deadline"].is_null(), "{v}");
    }
    assert_eq!(app.services.deadline_cache.len(), 0, "a course without a deadline is never cached");

    // A real deadline is cached, and a write through this process is seen at once.
    let at = app.services.clock.now() + chrono::Duration::days(30);
    deadlines::set_deadline(&app.services, "course-v1:Org+Real+2026", Some(at), true, "staff").await.expect("set");
    let (_, v) = get_deadline(&app, &mallory, "course-v1:Org+Real+2026").await;
    assert!(v["deadline"].is_string(), "{v}");
    assert_eq!(app.services.deadline_cache.len(), 1);
    deadlines::set_deadline(&app.services, "course-v1:Org+Real+2026", None, true, "staff").await.expect("remove");
    let (_, v) = get_deadline(&app, &mallory, "course-v1:Org+Real+2026").await;
    assert!(v["deadline"].is_null(), "a removed deadline is not served from the cache: {v}");
    assert_eq!(app.services.deadline_cache.len(), 0);
}
crate::on_both_backends!(deadline_cache_holds_only_stored_deadlines, invented_courses_are_not_cached);
