//! `vouch debug sign` and `vouch debug encrypt`: what Vouch would send a Software Secure
//! style vendor, for operators comparing it with their own implementation.
//!
//! The work is in pure functions ([`sign`], [`encrypt`]) returning output structs, so tests
//! check them without a process; the commands read files and configuration, print, and
//! exit with 2 when an input cannot be used (main maps every other error to 1).

use crate::config::Config;
use anyhow::Context as _;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use ssencrypt::{PublicKey, SignedHeaders};
use std::{io::Read as _, path::PathBuf};

/// Arguments of `vouch debug sign`.
#[derive(Debug, Clone, clap::Args)]
pub struct SignArgs {
    /// The JSON body to sign: a file, or `-` for standard input.
    #[arg(long, value_name = "FILE")]
    pub body: String,
    /// The `Date` header to sign, e.g. "Tue, 15 Nov 1994 08:12:31 GMT" (default: now).
    #[arg(long)]
    pub date: Option<String>,
    /// The HTTP method.
    #[arg(long, default_value = "POST")]
    pub method: String,
    /// Print `{"signing_string", "date", "authorization"}` as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `vouch debug encrypt`.
#[derive(Debug, Clone, clap::Args)]
pub struct EncryptArgs {
    /// The photo to encrypt: a file, or `-` for standard input.
    #[arg(long = "in", value_name = "FILE")]
    pub input: String,
    /// The AES key as 32, 48 or 64 hex digits (default: a fresh random 256-bit key).
    #[arg(long)]
    pub key_hex: Option<String>,
    /// Write the encoded photo to this file instead of printing it.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// An input that cannot be used (exit code 2); the message says which and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// What `debug sign` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignOutput {
    /// The canonical signing string, exactly as signed.
    pub signing_string: String,
    /// The `Date` header value.
    pub date: String,
    /// The `Authorization` header value.
    pub authorization: String,
}

/// What `debug encrypt` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EncryptOutput {
    /// The AES key, hex.
    pub key_hex: String,
    /// The stored form: `encrypt_and_encode` text (URL-safe base64).
    pub encoded: String,
    /// The key wrapped for the vendor as the `PhotoIDKey` field (76-column lines).
    pub photo_id_key: Option<String>,
    /// The key wrapped for the vendor as the `UserPhotoKey` field (one line).
    pub user_photo_key: Option<String>,
}

/// Signs `body` (JSON text, read with Python's `json.loads` rules) as Vouch signs its
/// requests: `Content-Type: application/json` and `date` as the signed headers.
/// `date` may be any HTTP date form; it is signed exactly as given.
pub fn sign(body: &[u8], method: &str, date: &str, access_key: &str, secret_key: &str) -> Result<SignOutput, BadInput> {
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(BadInput(format!("--method {method:?} is not an HTTP method")));
    }
    if httpdate::parse_http_date(date).is_err() {
        return Err(BadInput(format!("--date {date:?} is not an HTTP date such as \"Tue, 15 Nov 1994 08:12:31 GMT\"")));
    }
    let parsed =
        ssencrypt::python::loads_bytes(body).map_err(|e| BadInput(format!("the body is not valid JSON: {e}")))?;
    let headers = SignedHeaders::from_pairs([("Content-Type", "application/json"), ("Date", date)]);
    let signing_string = ssencrypt::signing_string(method, &headers, &parsed)
        .map_err(|_| BadInput("the body is not a JSON object".into()))?;
    let signature = ssencrypt::sign_message(secret_key, &signing_string);
    Ok(SignOutput {
        authorization: ssencrypt::authorization_header(access_key, &signature),
        date: date.to_owned(),
        signing_string,
    })
}

/// Encrypts `photo` as Vouch stores photos, under the key `key_hex` or a fresh random one,
/// and wraps the key for `vendor` when given.
pub fn encrypt(photo: &[u8], key_hex: Option<&str>, vendor: Option<&PublicKey>) -> Result<EncryptOutput, BadInput> {
    let key = match key_hex {
        Some(hex) => ssencrypt::key_from_hex(hex.trim())
            .map_err(|_| BadInput("--key-hex must be 32, 48 or 64 hex digits (an AES-128/192/256 key)".into()))?,
        None => rand::random::<[u8; 32]>().to_vec(),
    };
    let wrap_error = |e: ssencrypt::CryptoError| BadInput(format!("wrapping the key for the vendor failed: {e}"));
    let encoded = ssencrypt::encrypt_and_encode(photo, &key).map_err(|e| BadInput(e.to_string()))?;
    Ok(EncryptOutput {
        key_hex: key.iter().map(|b| format!("{b:02x}")).collect(),
        encoded,
        photo_id_key: vendor.map(|v| ssencrypt::photo_id_key(&key, v)).transpose().map_err(wrap_error)?,
        user_photo_key: vendor.map(|v| ssencrypt::user_photo_key(&key, v)).transpose().map_err(wrap_error)?,
    })
}

/// The text form of [`SignOutput`]: the signing string verbatim between marker lines (with
/// its length and SHA-256, so a missing or extra newline shows), then the two headers.
pub fn render_sign(out: &SignOutput) -> String {
    let s = &out.signing_string;
    let digest: String = Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let end = if s.ends_with('\n') { "" } else { "\n(no newline at the end)\n" };
    format!(
        "signing string ({} bytes, sha256 {digest}), between the lines:\n-----\n{s}{end}-----\nDate: {}\n\
         Authorization: {}\n",
        s.len(),
        out.date,
        out.authorization
    )
}

/// The text form of [`EncryptOutput`]; `written_to` is where the encoded photo went, if
/// not to the terminal.
pub fn render_encrypt(out: &EncryptOutput, written_to: Option<&std::path::Path>) -> String {
    let mut text = format!("key (hex): {}\n", out.key_hex);
    match written_to {
        Some(path) => {
            text += &format!("encoded photo: {} characters written to {}\n", out.encoded.len(), path.display())
        }
        None => text += &format!("encoded photo ({} characters):\n{}\n", out.encoded.len(), out.encoded),
    }
    match (&out.photo_id_key, &out.user_photo_key) {
        (Some(id), Some(face)) => {
            text += &format!("PhotoIDKey ({} characters, base64 wrapped at 76 columns):\n{id}", id.len());
            text += &format!("UserPhotoKey ({} characters):\n{face}\n", face.len());
        }
        _ => text += "no wrapped keys: software_secure.rsa_public_key is not configured\n",
    }
    text
}

/// The JSON form of [`EncryptOutput`]: its fields, with `encoded` null and `out` set when
/// the encoded photo went to a file.
pub fn render_encrypt_json(out: &EncryptOutput, written_to: Option<&std::path::Path>) -> String {
    let mut value = serde_json::json!(out);
    value["out"] = serde_json::json!(written_to.map(|p| p.display().to_string()));
    if written_to.is_some() {
        value["encoded"] = serde_json::Value::Null;
    }
    value.to_string()
}

/// The bytes of `path`, or of standard input for `-`.
pub fn read_input(path: &str) -> Result<Vec<u8>, BadInput> {
    let mut bytes = Vec::new();
    let read = if path == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::read(path).map(|b| bytes = b)
    };
    read.map_err(|e| BadInput(format!("cannot read {path}: {e}")))?;
    Ok(bytes)
}

/// `vouch debug sign`.
pub fn sign_command(cfg: &Config, args: &SignArgs) -> anyhow::Result<()> {
    let ss = &cfg.software_secure;
    let secret = ss.api_secret_key.as_ref().ok_or_else(|| {
        anyhow::anyhow!(crate::config::missing(
            "software_secure.api_secret_key",
            "`vouch debug sign` signs with it; set it to the secret key Software Secure issued",
        ))
    })?;
    if ss.api_access_key.trim().is_empty() {
        anyhow::bail!(crate::config::missing(
            "software_secure.api_access_key",
            "`vouch debug sign` names it in the Authorization header; set it to the access key Software Secure issued",
        ));
    }
    let body = read_input(&args.body)?;
    let date = args.date.clone().unwrap_or_else(|| ssencrypt::http_date(chrono::Utc::now()));
    let out = sign(&body, &args.method, &date, &ss.api_access_key, secret.expose())?;
    if args.json {
        println!("{}", serde_json::json!(out));
    } else {
        print!("{}", render_sign(&out));
    }
    Ok(())
}

/// `vouch debug encrypt`.
pub fn encrypt_command(cfg: &Config, args: &EncryptArgs) -> anyhow::Result<()> {
    let vendor = cfg
        .software_secure
        .rsa_public_key
        .as_deref()
        .filter(|k| !k.trim().is_empty())
        .map(|k| ssencrypt::parse_public_key(k.trim()))
        .transpose()
        .map_err(|e| {
            anyhow::anyhow!(crate::config::invalid(
                "software_secure.rsa_public_key",
                &format!("it is not an RSA public key in PEM ({e})"),
                "set it to the vendor's public key (-----BEGIN PUBLIC KEY-----…), or unset it to encrypt without wrapping",
            ))
        })?;
    let photo = read_input(&args.input)?;
    let out = encrypt(&photo, args.key_hex.as_deref(), vendor.as_ref())?;
    if let Some(path) = &args.out {
        std::fs::write(path, &out.encoded).with_context(|| format!("writing {}", path.display()))?;
    }
    if args.json {
        println!("{}", render_encrypt_json(&out, args.out.as_deref()));
    } else {
        print!("{}", render_encrypt(&out, args.out.as_deref()));
    }
    Ok(())
}

/// Ends the process with exit code 2 when `result` failed on a [`BadInput`], with its
/// message on stderr; passes every other outcome on.
pub fn exit_on_bad_input(result: anyhow::Result<()>) -> anyhow::Result<()> {
    if let Err(e) = &result
        && let Some(bad) = e.downcast_ref::<BadInput>()
    {
        eprintln!("vouch: {bad}");
        std::process::exit(2);
    }
    result
}
