//! Sign-in: the development form (posts to `/auth/dev-login`) or a pointer to the LMS.

use crate::i18n::en;
use leptos::prelude::*;

/// The sign-in panel.
#[component]
pub fn SignIn(dev_login: bool) -> impl IntoView {
    let body = if dev_login {
        view! {
            <form class="card" method="post" action="/auth/dev-login">
                <input type="hidden" name="next" value="/id-verification"/>
                <label for="username">{en::USERNAME}</label>
                <input id="username" name="username" required autocomplete="username" maxlength="30"/>
                <button type="submit" class="primary">{en::SIGN_IN}</button>
            </form>
        }
        .into_any()
    } else {
        view! { <p class="notice">{en::SIGN_IN_LMS}</p> }.into_any()
    };
    view! {
        <section aria-labelledby="sign-in-heading">
            <h1 id="sign-in-heading">{en::SIGN_IN_HEADING}</h1>
            {body}
        </section>
    }
}
