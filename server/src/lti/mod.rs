//! LTI 1.1 tool provider (the Open edX `lti_provider` app, adapted): an LMS launches
//! Vouch's identity-verification requirement of a course, the learner is signed in as the
//! Vouch user mapped to their LMS identity, verifies inside the LMS iframe, and the result
//! goes back to the LMS as a grade (1.0 verified, 0.0 not) through the outcome service.
//!
//! - [`consumers`]: managing consumers (staff REST and the CLI share its rules);
//! - [`params`]: which launch parameters are required and which are read;
//! - [`oauth`]: OAuth 1.0a HMAC-SHA1 signatures (launches in, grade passback out);
//! - [`launch`]: the launch use case (verify, then consumer, nonce, user, assignment);
//! - [`pii`]: `use_lti_pii`, the launch's name and email for an empty profile;
//! - [`account_link`]: `require_user_account`, linking the learner's LMS account;
//! - [`outcomes`]: the replaceResult message and queueing the passback;
//! - [`outcome_url`]: where grades may be sent (no internal addresses, allowed hosts).

pub mod account_link;
pub mod consumers;
pub mod launch;
pub mod oauth;
pub mod outcome_url;
pub mod outcomes;
pub mod params;
pub mod pii;

pub use crate::host_list::HostList;
