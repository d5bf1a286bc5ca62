//! Decoding the Open edX submit form, from the body's bytes to the two photos' bytes, as
//! `cargo xtask bench submit` sends it: two 500,000-byte JPEG-shaped photos (incompressible
//! filler) as data URLs, form-urlencoded, about 1.33 MB.
//!
//! - `axum Form + base64`: what Vouch did before: axum's `Form` (`form_urlencoded` and serde),
//!   then `images::decode_data_url` per photo.
//! - `one pass + simd base64`: axum's `RawForm` (the same body collection), then
//!   `http::openedx_form::parse`, then `service::photo_data_url`.
//!
//! Both run on the calling thread (the server runs them on the blocking pool).

use app::domain::images;
use axum::{
    Form,
    body::Body,
    extract::{FromRequest, RawForm},
    http::{Request, header},
};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use server::{
    http::{openedx_form, verify_student::SubmitPhotosForm},
    service::photo_data_url,
};
use std::hint::black_box;

const PHOTO_BYTES: usize = 500_000;
const MAX: usize = 5 * 1024 * 1024;

/// A JPEG-shaped photo: SOI and APP0, xorshift filler, EOI.
fn jpeg(seed: u64) -> Vec<u8> {
    let mut photo = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0];
    let mut x = seed | 1;
    while photo.len() < PHOTO_BYTES - 2 {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        photo.push((x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8);
    }
    photo.extend_from_slice(&[0xFF, 0xD9]);
    photo
}

fn body() -> Vec<u8> {
    let field = |name: &str, seed: u64| {
        let url = format!("data:image/jpeg;base64,{}", STANDARD.encode(jpeg(seed)));
        format!("{name}={}", form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>())
    };
    format!("{}&{}&full_name=Ada+Lovelace", field("face_image", 1), field("photo_id_image", 2)).into_bytes()
}

fn photos(form: &SubmitPhotosForm, decode: impl Fn(&'static str, &str) -> Vec<u8>) -> (Vec<u8>, Vec<u8>) {
    let face = form.face_image.as_deref().expect("face");
    let id = form.photo_id_image.as_deref().expect("id");
    (decode("face photo", face), decode("ID photo", id))
}

/// The request as the extractor gets it (both sides pay for collecting the body).
fn request(body: &[u8]) -> Request<Body> {
    Request::post("/")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_vec()))
        .expect("request")
}

fn old(rt: &tokio::runtime::Runtime, body: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let Form(form) = rt.block_on(Form::<SubmitPhotosForm>::from_request(request(body), &())).expect("form");
    photos(&form, |f, url| images::decode_data_url(f, url, MAX).expect("photo").1)
}

fn new(rt: &tokio::runtime::Runtime, body: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let RawForm(bytes) = rt.block_on(RawForm::from_request(request(body), &())).expect("body");
    let form = openedx_form::parse(&bytes).expect("form");
    photos(&form, |f, url| photo_data_url::decode(f, url, MAX).expect("photo").1)
}

fn bench_submit_form(c: &mut Criterion) {
    let body = body();
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    assert_eq!(old(&rt, &body), new(&rt, &body), "both read the same photos");
    let mut g = c.benchmark_group("submit form, 2 × 500 KB photos");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("axum Form + base64", |b| b.iter(|| old(&rt, black_box(&body))));
    g.bench_function("one pass + simd base64", |b| b.iter(|| new(&rt, black_box(&body))));
    g.finish();
}

criterion_group!(benches, bench_submit_form);
criterion_main!(benches);
