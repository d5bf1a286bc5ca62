//! The Open edX submit form (`application/x-www-form-urlencoded`), read in one pass over the
//! body.
//!
//! axum's `Form` read it through `form_urlencoded`, which percent-decodes byte by byte and
//! then makes a second (lossy UTF-8) pass; with two photos as data URLs a request is about
//! 1.3 MB, and that decoding was a quarter of the server's time under submit load
//! (BENCHMARKS.md). Here each wanted value is percent-decoded once, copying the runs between
//! escapes whole, straight into the `String` it becomes; only a value that is not UTF-8 takes
//! the lossy path. Unknown fields are skipped without decoding.
//!
//! The answers are `form_urlencoded`'s and serde's exactly (the property test below checks
//! it against axum's `Form`): `+` is a space, a `%` not followed by two hex digits stays as it
//! is, bytes that are not UTF-8 become U+FFFD, a field without `=` is present and empty, and
//! a known field given twice is refused (422, as axum refused it).

use axum::{
    extract::{FromRequest, RawForm, Request},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

/// The form of `POST /verify_student/submit-photos/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SubmitPhotosForm {
    /// The face photo, as a data URL.
    pub face_image: Option<String>,
    /// The ID photo, as a data URL (absent: reuse the last approved one).
    pub photo_id_image: Option<String>,
    /// The name as on the ID, if it differs from the account's.
    pub full_name: Option<String>,
    /// The course the learner verifies for: recorded on the attempt, and refused with
    /// `deadline_passed` once the course's verification deadline has passed.
    pub course_key: Option<String>,
}

/// Why a form body was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    /// A field of the form given more than once.
    #[error("duplicate field `{0}`")]
    Duplicate(&'static str),
}

/// Reads the form from `body`.
pub fn parse(body: &[u8]) -> Result<SubmitPhotosForm, FormError> {
    let mut form = SubmitPhotosForm::default();
    let mut name = Vec::new();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = match memchr::memchr(b'=', pair) {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        name.clear();
        percent_decode_into(raw_name, &mut name);
        let (field, slot) = match name.as_slice() {
            b"face_image" => ("face_image", &mut form.face_image),
            b"photo_id_image" => ("photo_id_image", &mut form.photo_id_image),
            b"full_name" => ("full_name", &mut form.full_name),
            b"course_key" => ("course_key", &mut form.course_key),
            _ => continue,
        };
        if slot.is_some() {
            return Err(FormError::Duplicate(field));
        }
        let mut value = Vec::with_capacity(raw_value.len());
        percent_decode_into(raw_value, &mut value);
        *slot = Some(String::from_utf8(value).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()));
    }
    Ok(form)
}

/// Appends `src` percent-decoded to `out`, with `+` as a space. The text between escapes is
/// copied a run at a time (base64 data URLs escape about one character in 32).
fn percent_decode_into(src: &[u8], out: &mut Vec<u8>) {
    let mut rest = src;
    while let Some(i) = memchr::memchr2(b'%', b'+', rest) {
        out.extend_from_slice(&rest[..i]);
        if rest[i] == b'+' {
            out.push(b' ');
            rest = &rest[i + 1..];
            continue;
        }
        match (rest.get(i + 1).copied().and_then(hex), rest.get(i + 2).copied().and_then(hex)) {
            (Some(high), Some(low)) => {
                out.push(high << 4 | low);
                rest = &rest[i + 3..];
            }
            // Not an escape: the `%` is kept and what follows it is read as usual.
            _ => {
                out.push(b'%');
                rest = &rest[i + 1..];
            }
        }
    }
    out.extend_from_slice(rest);
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The extractor: the body as axum's `Form` takes it (same content type check, same body
/// limit, same refusals), decoded with [`parse`] on the CPU work threads (`crate::cpu_work`), since a megabyte of
/// decoding would hold up every other request on an async worker.
#[derive(Debug)]
pub struct OpenEdxSubmitForm(pub SubmitPhotosForm);

impl<S: Send + Sync> FromRequest<S> for OpenEdxSubmitForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let RawForm(body) = RawForm::from_request(req, state).await.map_err(IntoResponse::into_response)?;
        let parsed = crate::cpu_work::run(move || parse(&body))
            .await
            .map_err(|e| crate::http::error::ApiError::from(crate::service::ServiceError::from(e)).into_response())?;
        // The status and wording of axum's `FailedToDeserializeFormBody`; `json_errors` makes
        // the envelope.
        parsed.map(Self).map_err(|e| {
            (StatusCode::UNPROCESSABLE_ENTITY, format!("Failed to deserialize form body: {e}")).into_response()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{SubmitPhotosForm, parse};
    use axum::{
        Form,
        body::Body,
        extract::FromRequest,
        http::{Request, header},
    };
    use proptest::prelude::*;

    /// What axum's `Form` made of `body`: the form, or the status it refused it with.
    fn axum_form(body: &[u8]) -> Result<SubmitPhotosForm, u16> {
        let req = Request::post("/")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_vec()))
            .expect("request");
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        rt.block_on(Form::<SubmitPhotosForm>::from_request(req, &()))
            .map(|Form(f)| f)
            .map_err(|e| axum::response::IntoResponse::into_response(e).status().as_u16())
    }

    fn ours(body: &[u8]) -> Result<SubmitPhotosForm, u16> {
        parse(body).map_err(|_| 422)
    }

    #[test]
    fn reads_what_form_urlencoded_reads() {
        for body in [
            &b""[..],
            b"face_image=data%3Aimage%2Fjpeg%3Bbase64%2C%2F9j%2B&full_name=Ada+Lovelace",
            b"face_image",
            b"face_image=&&&photo_id_image=%zz%&full_name=%",
            b"full_name=Zo%C3%AB&full_name=again",
            b"full_name=%FFAda%C3",
            b"other=1&other=2&face%5Fimage=x",
            b"course_key=course-v1%3AOrg%2BX%2B1&course_key",
            b"=x&face_image==",
        ] {
            assert_eq!(ours(body), axum_form(body), "{}", String::from_utf8_lossy(body));
        }
        assert_eq!(ours(b"face_image=a&face_image=b"), Err(422));
    }

    /// Bytes likely to trip a decoder: escapes good and broken, `+`, `=`, `&`, non-UTF-8.
    fn piece() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(b"%".to_vec()),
            Just(b"+".to_vec()),
            Just(b"=".to_vec()),
            Just(b"&".to_vec()),
            Just(b"%2B".to_vec()),
            Just(b"%2f".to_vec()),
            Just(b"%3D".to_vec()),
            Just(b"%C3%A9".to_vec()),
            Just(b"%FF".to_vec()),
            Just(b"%E2%80".to_vec()),
            Just(b"\xC3\xA9".to_vec()),
            Just(b"\xFF".to_vec()),
            Just(b"%G1".to_vec()),
            Just(b"%4".to_vec()),
            "[A-Za-z0-9/]{0,12}".prop_map(String::into_bytes),
            any::<u8>().prop_map(|b| vec![b]),
        ]
    }

    fn field_name() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(b"face_image".to_vec()),
            Just(b"photo_id_image".to_vec()),
            Just(b"full_name".to_vec()),
            Just(b"course_key".to_vec()),
            Just(b"face%5Fimage".to_vec()),
            Just(b"full+name".to_vec()),
            Just(b"other".to_vec()),
            Just(Vec::new()),
        ]
    }

    fn body() -> impl Strategy<Value = Vec<u8>> {
        let pair = (field_name(), prop::option::of(prop::collection::vec(piece(), 0..8)));
        prop::collection::vec(pair, 0..6).prop_map(|pairs| {
            let mut body = Vec::new();
            for (i, (name, value)) in pairs.into_iter().enumerate() {
                if i > 0 {
                    body.push(b'&');
                }
                body.extend(name);
                if let Some(v) = value {
                    body.push(b'=');
                    body.extend(v.concat());
                }
            }
            body
        })
    }

    proptest! {
        #[test]
        fn agrees_with_axum_form(body in body()) {
            prop_assert_eq!(ours(&body), axum_form(&body));
        }

        #[test]
        fn agrees_on_any_bytes(body in prop::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(ours(&body), axum_form(&body));
        }
    }
}
