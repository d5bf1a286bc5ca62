//! Sign-in: the development form (posts to `/auth/dev-login`) or a pointer to the LMS.

use crate::{i18n::t, routes};
use leptos::prelude::*;

/// The sign-in panel.
#[component]
pub fn SignIn(dev_login: bool) -> impl IntoView {
    // Back to the page the learner opened (a flow step, the reverify link) after signing in.
    let next = web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_else(|| routes::HOME.into());
    let body = if dev_login {
        view! {
            <form class="card" method="post" action=routes::DEV_LOGIN>
                <input type="hidden" name="next" value=next/>
                <label for="username">{t().username}</label>
                <input id="username" name="username" required autocomplete="username" maxlength="30"/>
                <button type="submit" class="primary">{t().sign_in}</button>
            </form>
        }
        .into_any()
    } else {
        view! { <p class="notice">{t().sign_in_lms}</p> }.into_any()
    };
    view! {
        <section aria-labelledby="sign-in-heading">
            <h1 id="sign-in-heading">{t().sign_in_heading}</h1>
            {body}
        </section>
    }
}
