//! Refuses requests whose path or query carries a control character once percent-decoded
//! (`%00`, `%0A`, ...). No id, username, course key or filter of Vouch contains one, and a
//! NUL in particular cannot be stored in PostgreSQL text: without this guard such a value
//! reached a query and came back as a 500 (on SQLite, it matched nothing or was stored).

use super::error::ApiError;
use app::error::ErrorCode;
use axum::{http::Uri, response::IntoResponse, response::Response};
use percent_encoding::percent_decode_str;

/// Whether `raw` (a path or query as sent) decodes to text with a control character.
/// Undecodable bytes (not UTF-8) are left to the handlers, which refuse them as they always did.
fn has_control(raw: &str) -> bool {
    percent_decode_str(raw).any(|b| b < 0x20 || b == 0x7f)
}

/// 400 `invalid_request` for a request to `uri` with a control character, before any
/// handler runs.
pub fn refuse_control_characters(uri: &Uri) -> Option<Response> {
    (has_control(uri.path()) || uri.query().is_some_and(has_control))
        .then(|| ApiError::new(ErrorCode::InvalidRequest, "The address holds a control character.").into_response())
}

#[cfg(test)]
mod tests {
    use super::has_control;

    #[test]
    fn control_characters_are_found_once_decoded() {
        assert!(has_control("/api/v1/users/a%00b/status"));
        assert!(has_control("search=a%0Ab"));
        assert!(has_control("x=%7f"));
        assert!(!has_control("/api/v1/courses/course-v1:Org+X+1/deadline"));
        assert!(!has_control("expires=99&signature=abc%2Bdef%3D"));
        assert!(!has_control("/api/user/v1/accounts/%C3%A9l%C3%A8ve/verifications/"));
    }
}
