//! End-to-end tests of the fake vendor, in process: the vendor on an ephemeral port, and a
//! "peer" axum server playing Vouch's side (the photo URLs and the results callback).
//!
//! The RSA key pair and API keys are the fixtures' (`ssencrypt/tests/fixtures/ssencrypt.json`).

mod cases;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use chrono::Utc;
use serde_json::{Value, json};

use super::{FakeVendorConfig, spawn};
use ssencrypt::python::{PyValue, loads_bytes};
use ssencrypt::{
    PublicKey, SignedHeaders, authorization_header, encrypt_and_encode, http_date, parse_public_key, photo_id_key,
    sign_message, signing_string, user_photo_key, verify_authorization,
};

/// The smallest byte sequence `sniff` takes for a JPEG: SOI, a JFIF APP0 segment, EOI.
const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
    0x00, 0xFF, 0xD9,
];

/// The fixture keys.
struct Keys {
    private_pem: String,
    public: PublicKey,
    access: String,
    secret: String,
}

fn keys() -> Keys {
    let doc: Value = serde_json::from_str(include_str!("../../../ssencrypt/tests/fixtures/ssencrypt.json")).unwrap();
    let text = |name: &str| doc["keys"][name].as_str().unwrap().to_owned();
    Keys {
        private_pem: text("rsa_private_pkcs8_pem"),
        public: parse_public_key(text("rsa_public_spki_pem")).unwrap(),
        access: text("api_access_key"),
        secret: text("api_secret_key"),
    }
}

/// A callback as the peer received it.
#[derive(Debug, Clone)]
struct Callback {
    verified: bool,
    body: Value,
    status: u16,
}

/// Vouch's side: photo objects by name, scripted callback answers, received callbacks.
#[derive(Default)]
struct Peer {
    photos: Mutex<HashMap<String, String>>,
    /// Statuses to answer to the next callbacks; `200` once empty.
    answers: Mutex<VecDeque<u16>>,
    callbacks: Mutex<Vec<Callback>>,
    access: String,
    secret: String,
}

async fn photo(State(peer): State<Arc<Peer>>, Path(name): Path<String>) -> Result<String, StatusCode> {
    peer.photos.lock().unwrap().get(&name).cloned().ok_or(StatusCode::NOT_FOUND)
}

/// Verifies like Vouch's callback endpoint: parse the bytes, then check the signature.
async fn callback(State(peer): State<Arc<Peer>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let parsed = loads_bytes(&body).unwrap();
    let signed = SignedHeaders::from_header_map(&headers).unwrap();
    let authorization = headers.get("Authorization").unwrap().to_str().unwrap();
    let verified = verify_authorization(authorization, "POST", &signed, &parsed, &peer.access, &peer.secret).is_ok();
    let status = peer.answers.lock().unwrap().pop_front().unwrap_or(200);
    let body = serde_json::from_slice(&body).unwrap();
    peer.callbacks.lock().unwrap().push(Callback { verified, body, status });
    StatusCode::from_u16(status).unwrap()
}

/// A running vendor and peer.
struct Harness {
    vendor: SocketAddr,
    peer_addr: SocketAddr,
    peer: Arc<Peer>,
    keys: Keys,
    client: reqwest::Client,
}

impl Harness {
    /// Starts both servers; `tweak` adjusts the vendor's configuration.
    async fn start(tweak: impl FnOnce(&mut FakeVendorConfig)) -> Self {
        let keys = keys();
        let peer = Arc::new(Peer { access: keys.access.clone(), secret: keys.secret.clone(), ..Peer::default() });
        let app = Router::new()
            .route("/photo/{name}", get(photo))
            .route("/callback", post(callback))
            .with_state(Arc::clone(&peer));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let peer_addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let mut config = FakeVendorConfig {
            bind: ([127, 0, 0, 1], 0).into(),
            access_key: keys.access.clone(),
            secret_key: keys.secret.clone(),
            private_key: keys.private_pem.clone().into_bytes(),
            deny_marker: "DENY".to_owned(),
            system_fail_marker: "SYSFAIL".to_owned(),
            fail_first: 0,
            delay: Duration::ZERO,
            callback_delay: Duration::ZERO,
            quality_rules: false,
        };
        tweak(&mut config);
        let (vendor, _task) = spawn(config).await.unwrap();
        Self { vendor, peer_addr, peer, keys, client: reqwest::Client::new() }
    }

    /// Stores `plaintext` encrypted under a fresh key as photo `name`; returns its URL and key.
    fn add_photo(&self, name: &str, plaintext: &[u8]) -> (String, Vec<u8>) {
        let key = rand::random::<[u8; 32]>().to_vec();
        self.peer.photos.lock().unwrap().insert(name.to_owned(), encrypt_and_encode(plaintext, &key).unwrap());
        (format!("http://{}/photo/{name}", self.peer_addr), key)
    }

    /// A complete submission body with two valid JPEG photos, like Vouch sends.
    fn submission(&self, edx_id: &str, name: &str) -> Value {
        self.submission_with(edx_id, name, JPEG, JPEG)
    }

    /// A complete submission body with these ID and face photos.
    fn submission_with(&self, edx_id: &str, name: &str, id: &[u8], face: &[u8]) -> Value {
        let (photo_id_url, id_key) = self.add_photo(&format!("{edx_id}-id"), id);
        let (face_url, face_key) = self.add_photo(&format!("{edx_id}-face"), face);
        json!({
            "EdX-ID": edx_id,
            "ExpectedName": name,
            "PhotoID": photo_id_url,
            "PhotoIDKey": photo_id_key(&id_key, &self.keys.public).unwrap(),
            "SendResponseTo": format!("http://{}/callback", self.peer_addr),
            "UserPhoto": face_url,
            "UserPhotoKey": user_photo_key(&face_key, &self.keys.public).unwrap(),
        })
    }

    /// Posts `body` signed with the fixture keys and the current `Date`.
    async fn post(&self, body: &Value) -> (u16, Value) {
        self.post_signed(body, &http_date(Utc::now()), &self.keys.secret).await
    }

    /// Posts `body` as Vouch does: `wire_json` bytes, signed over their parsed form.
    async fn post_signed(&self, body: &Value, date: &str, secret: &str) -> (u16, Value) {
        let wire = PyValue::from(body).wire_json();
        let headers = SignedHeaders::from_pairs([("Content-Type", "application/json"), ("Date", date)]);
        let message = signing_string("POST", &headers, &loads_bytes(wire.as_bytes()).unwrap()).unwrap();
        let authorization = authorization_header(&self.keys.access, &sign_message(secret, &message));
        self.post_raw(wire.into_bytes(), Some(date), Some(&authorization)).await
    }

    /// Posts arbitrary bytes with `Content-Type: application/json` and optional headers.
    async fn post_raw(&self, body: Vec<u8>, date: Option<&str>, authorization: Option<&str>) -> (u16, Value) {
        let mut request =
            self.client.post(format!("http://{}/", self.vendor)).header("Content-Type", "application/json");
        if let Some(date) = date {
            request = request.header("Date", date);
        }
        if let Some(authorization) = authorization {
            request = request.header("Authorization", authorization);
        }
        let response = request.body(body).send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// `GET /_fake/requests`.
    async fn report(&self) -> Value {
        let url = format!("http://{}/_fake/requests", self.vendor);
        self.client.get(url).send().await.unwrap().json().await.unwrap()
    }

    /// Waits until the report entry for `edx_id` has a callback status, and returns it.
    async fn finished(&self, edx_id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let report = self.report().await;
            let entry = report["requests"].as_array().unwrap().iter().find(|e| e["edx_id"] == edx_id).cloned();
            if let Some(entry) = entry.filter(|e| !e["callback_status"].is_null()) {
                return entry;
            }
            assert!(Instant::now() < deadline, "no finished callback for {edx_id}: {report}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The callbacks received so far.
    fn callbacks(&self) -> Vec<Callback> {
        self.peer.callbacks.lock().unwrap().clone()
    }
}
