//! A stop between writing a photo and committing its attempt, for the crash test of
//! `vouch gc-photos` (a process killed right there leaves objects no attempt references).
//!
//! Inert unless both hold: the binary is a debug build (the module is compiled only with
//! `debug_assertions`, so release builds do not contain it), and the variable
//! [`PAUSE_AFTER_PHOTO_WRITE`] names a file. Then, after the ID photo of a submission is
//! written, the request writes the object's key into that file and waits forever: it never
//! commits, so the test can SIGKILL the process at exactly that point. It pauses one request
//! and writes one file the operator named; it reads and changes nothing else.

/// The variable naming the marker file.
#[cfg(debug_assertions)]
pub const PAUSE_AFTER_PHOTO_WRITE: &str = "VOUCH_TEST_FAILPOINT_PAUSE_AFTER_PHOTO_WRITE";

/// Pauses forever after the ID photo `key` is written, when the failpoint is set.
#[cfg(debug_assertions)]
pub(super) async fn after_put(key: &str) {
    let Some(marker) = std::env::var_os(PAUSE_AFTER_PHOTO_WRITE) else { return };
    if !key.starts_with("photo_id/") {
        return;
    }
    if let Err(e) = std::fs::write(&marker, key) {
        tracing::error!(error = %e, "test failpoint: cannot write the marker file");
    }
    tracing::warn!("test failpoint: paused after writing a photo, before the commit");
    std::future::pending::<()>().await;
}
