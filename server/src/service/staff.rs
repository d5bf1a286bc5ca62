//! Staff rights as a value. Who is staff is decided once per request by the HTTP layer:
//! the stored staff flag, or an LMS token's `administrator` claim, which holds for that
//! token only and is never stored (an LMS demotion takes effect with the next token). The
//! services that need staff take a [`Staff`] instead of re-reading the stored flag, which
//! would refuse an LMS administrator or, if the claim were stored, never forget one.

use app::domain::UserId;

/// A caller found to be staff for the current request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Staff(UserId);

impl Staff {
    /// Made only where a request's identity was checked (`http::identity::Identity::require_staff`),
    /// and for the operator at the command line (`service::operator`, crate-only).
    pub(crate) fn checked(user: UserId) -> Self {
        Self(user)
    }

    /// The staff member's user id (audit rows name it).
    pub fn id(self) -> UserId {
        self.0
    }
}

impl std::fmt::Display for Staff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
