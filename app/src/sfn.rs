//! The server functions in one table, for the three places that name them: their bodies
//! ([`crate::api`], [`crate::slot`]), the SPA's client ([`crate::rpc`]) and the server's
//! gate in front of them (`server::http::sfn`).
//!
//! A function's name and argument encoding are written once, in its `#[server(…)]`
//! attribute (the macro only takes literals). The table reads both back from the struct the
//! macro generates ([`ServerFn::PATH`], [`ServerFn::Protocol`]), as it reads the answer's
//! type ([`ServerFn::Output`]), so the client, the server's gate and the functions cannot
//! drift apart; a unit test pins the wire paths, which the SPA already in browsers calls.

use crate::{api, slot};
use leptos::server_fn::{
    Http, ServerFn,
    codec::{Json, PostUrl},
};

/// The prefix of every server function's path (the `prefix` of each `#[server]`).
pub const PREFIX: &str = "/sfn/";

/// How a server function's arguments travel, as its `#[server]` declares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `input = Json`: `application/json` only (`{"request": …}`).
    Json,
    /// server_fn's default URL encoding: a form (empty for the functions without
    /// arguments; `slot_config` may carry `course_id`). The server also reads an empty JSON
    /// object from API clients as no arguments.
    Form,
}

impl Encoding {
    /// The content type the SPA sends.
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Form => "application/x-www-form-urlencoded",
        }
    }
}

/// The [`Encoding`] of a server_fn protocol's input.
pub trait InputEncoding {
    /// The encoding.
    const ENCODING: Encoding;
}

impl<O> InputEncoding for Http<Json, O> {
    const ENCODING: Encoding = Encoding::Json;
}

impl<O> InputEncoding for Http<PostUrl, O> {
    const ENCODING: Encoding = Encoding::Form;
}

/// One server function, typed: the struct its `#[server]` generates (its arguments), whose
/// [`ServerFn::PATH`] is the path and [`ServerFn::Output`] the answer.
pub trait ServerFunction: ServerFn {
    /// Its row of the table.
    const ENDPOINT: Endpoint;
}

/// Declares [`Endpoint`] and each function's [`ServerFunction`] from one list.
macro_rules! table {
    ($($(#[doc = $doc:literal])* $variant:ident => $function:ty,)*) => {
        /// Every server function, by name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Endpoint {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Endpoint {
            /// Every server function.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)*];

            /// Its path, `/sfn/<name>`.
            pub const fn path(self) -> &'static str {
                match self {
                    $(Self::$variant => <$function as ServerFn>::PATH,)*
                }
            }

            /// How its arguments travel.
            pub const fn encoding(self) -> Encoding {
                match self {
                    $(Self::$variant => <<$function as ServerFn>::Protocol as InputEncoding>::ENCODING,)*
                }
            }
        }

        $(impl ServerFunction for $function {
            const ENDPOINT: Endpoint = Endpoint::$variant;
        })*
    };
}

table! {
    /// `session_info`: the signed-in user and how sign-in works.
    SessionInfo => api::GetSessionInfo,
    /// `verification_status`: the learner's verification status.
    VerificationStatus => api::GetVerificationStatus,
    /// `submit_photos`: the photo upload (the only large body).
    SubmitPhotos => api::SubmitPhotos,
    /// `flow_info`: what the flow needs before it starts.
    FlowInfo => api::GetFlowInfo,
    /// `slot_config`: what the plugin slot renders.
    SlotConfig => slot::GetSlotConfig,
    /// `course_flow`: what the flow does for the learner's course.
    CourseFlow => api::GetCourseFlow,
}

impl Endpoint {
    /// Its name, the path after [`PREFIX`] (`session_info`).
    pub fn name(self) -> &'static str {
        self.path().strip_prefix(PREFIX).unwrap_or(self.path())
    }

    /// The server function at `path`, if any.
    pub fn from_path(path: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|e| e.path() == path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wire paths and encodings: the SPA in learners' browsers calls these, so a change
    /// must be deliberate.
    #[test]
    fn paths_are_pinned() {
        let table: Vec<_> = Endpoint::ALL.iter().map(|e| (e.path(), e.encoding())).collect();
        assert_eq!(
            table,
            [
                ("/sfn/session_info", Encoding::Form),
                ("/sfn/verification_status", Encoding::Form),
                ("/sfn/submit_photos", Encoding::Json),
                ("/sfn/flow_info", Encoding::Form),
                ("/sfn/slot_config", Encoding::Form),
                ("/sfn/course_flow", Encoding::Json),
            ]
        );
    }

    #[test]
    fn names_and_lookup() {
        assert_eq!(Endpoint::SubmitPhotos.name(), "submit_photos");
        for e in Endpoint::ALL {
            assert!(e.path().starts_with(PREFIX), "{e:?}");
            assert_eq!(Endpoint::from_path(e.path()), Some(*e));
        }
        assert_eq!(<api::SubmitPhotos as ServerFunction>::ENDPOINT, Endpoint::SubmitPhotos);
        assert_eq!(Endpoint::from_path("/sfn/nope"), None);
    }
}
