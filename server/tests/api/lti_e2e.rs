//! LTI end to end with real processes: `vouch lti consumer add`, `vouch serve`,
//! `fake-vendor` and the Python outcome receiver, over HTTP on loopback. A launch signed
//! by the Python consumer → photos submitted with the LTI session → approved by the
//! vendor → the receiver gets a correctly signed replaceResult with score 1.0 (and 0.0
//! for a denied learner), after failing the first two tries.

use crate::{
    lti_support::{KEY, Launch, Receiver, SECRET, mapped_username, sign},
    process_support::{Deployment, fake_vendor, wait_ready},
    support::{TestDb, data_url, free_port, jpeg_bytes, until},
};
use server::store::lti;
use std::time::Duration;

/// The LTI settings of these tests: outcome services on loopback, a short timeout.
const LTI_ENV: [(&str, &str); 2] =
    [("VOUCH_LTI__ALLOW_PRIVATE_OUTCOME_URLS", "true"), ("VOUCH_LTI__OUTCOME_TIMEOUT_SECS", "5")];

async fn launch_verify_and_grade(db: &TestDb) {
    let vendor_port = free_port();
    let d = Deployment::new(db, vendor_port);
    let base = d.public_url.clone();
    let _vendor = fake_vendor(db.dir.path(), vendor_port, &[]).await;
    // The LMS's outcome service fails the first two passbacks with a 500.
    let rx = Receiver::start(2, "500");
    let add = d
        .vouch(&["lti", "consumer", "add", "--name", "LMS", "--key", KEY, "--secret", SECRET], &LTI_ENV)
        .output()
        .expect("vouch lti consumer add");
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    let _server = d.spawn(&["serve"], &LTI_ENV);
    wait_ready(&base, Duration::from_secs(30)).await;

    // Two learners launch (the browser posts the signed form) and verify inside the LMS;
    // the vendor approves the first and denies the second (its name carries DENY).
    let http = crate::process_support::client();
    let launch = |lti_user: &str| {
        let signed = sign(&Launch::new(&base, lti_user).graded(&rx.url, &format!("sid-{lti_user}")));
        let http = http.clone();
        let url = format!("{base}{}", crate::lti_support::LAUNCH_PATH);
        async move {
            let res = http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(signed)
                .send()
                .await
                .expect("launch");
            assert_eq!(res.status(), 303);
            let location = res.headers()["location"].to_str().expect("ascii").to_owned();
            let cookie = res.headers()["set-cookie"].to_str().expect("ascii").split(';').next().expect("pair");
            (location, cookie.to_owned())
        }
    };
    let photo = data_url("image/jpeg", &jpeg_bytes(200)).replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
    for (lti_user, name) in [("learner-7", "Ada Lovelace"), ("learner-8", "DENY Bob")] {
        let (location, cookie) = launch(lti_user).await;
        assert_eq!(location, "/id-verification");
        let res = http
            .post(format!("{base}/verify_student/submit-photos/"))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("face_image={photo}&photo_id_image={photo}&full_name={}", name.replace(' ', "+")))
            .send()
            .await
            .expect("submit");
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
    }

    // Both decided, then graded: two failures (500) in all, then each delivered once.
    let got = until("both grades to be delivered", Duration::from_secs(60), || async {
        let got = rx.received().await;
        (got.iter().filter(|r| r["answered"] == "success").count() == 2).then_some(got)
    })
    .await;
    assert_eq!(got.iter().filter(|r| r["answered"] == "500").count(), 2, "{got:?}");
    assert_eq!(got.len(), 4, "{got:?}");
    for r in &got {
        assert_eq!(r["signature_valid"], true, "{r}");
        assert_eq!(r["body_hash_valid"], true, "{r}");
        assert_eq!(r["operation"], "replaceResultRequest");
        let expected = if r["sourcedid"] == "sid-learner-7" { "1.0" } else { "0.0" };
        assert_eq!(r["score"], expected, "{r}");
    }
    let delivered: Vec<&str> =
        got.iter().filter(|r| r["answered"] == "success").map(|r| r["sourcedid"].as_str().expect("s")).collect();
    assert!(delivered.contains(&"sid-learner-7") && delivered.contains(&"sid-learner-8"), "{delivered:?}");

    let mut conn = db.store.conn().await.expect("conn");
    for (lti_user, want) in [("learner-7", "approved"), ("learner-8", "denied")] {
        let username = mapped_username(&db.store, lti_user).await.expect("mapped");
        let (status,): (String,) = sqlx::query_as(
            "select p.status from photo_verification p join app_user u on u.user_id = p.user_id where u.username = $1",
        )
        .bind(&username)
        .fetch_one(&mut *conn)
        .await
        .expect("the LTI user's attempt");
        assert_eq!(status, want);
    }
    let states = until("the deliveries to be recorded", Duration::from_secs(10), || {
        let store = db.store.clone();
        async move {
            let s = lti::assignment_states(&mut *store.conn().await.ok()?).await.ok()?;
            (s.len() == 2 && s.iter().all(|a| a.last_status == "delivered")).then_some(s)
        }
    })
    .await;
    let scores: Vec<(&str, &str)> = states.iter().map(|a| (a.sourcedid.as_str(), a.last_score.as_str())).collect();
    assert!(scores.contains(&("sid-learner-7", "1.0")) && scores.contains(&("sid-learner-8", "0.0")), "{scores:?}");
    // The runner marks a job done in a write of its own after the handler has recorded the
    // delivery, so "done" is waited for, not read once (reading it once raced that write).
    let jobs = until("the outcome jobs to be done", Duration::from_secs(10), || {
        let store = db.store.clone();
        async move {
            let jobs: Vec<(String, i32)> =
                sqlx::query_as("select status, attempts from job where kind = 'lti.outcome'")
                    .fetch_all(&mut *store.conn().await.ok()?)
                    .await
                    .ok()?;
            (jobs.len() == 2 && jobs.iter().all(|(status, _)| status == "done")).then_some(jobs)
        }
    })
    .await;
    assert_eq!(jobs.iter().map(|(_, tries)| tries).sum::<i32>(), 4, "two retried tries: {jobs:?}");
    drop(conn);

    // The verified learner launching again lands on the status page.
    let (location, _) = launch("learner-7").await;
    assert_eq!(location, "/id-verification/status");
}
crate::on_both_backends!(launch_verify_approve_grade_with_real_processes, launch_verify_and_grade);
