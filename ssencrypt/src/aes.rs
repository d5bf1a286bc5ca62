//! Photo encryption as `ssencrypt.py` does it (spec §2): AES-CBC with a key-derived IV
//! and PKCS#7 padding, stored as URL-safe base64.
//!
//! The IV is a pure function of the key, so encryption is deterministic: the same photo
//! under the same key gives the same bytes. That is a weakness of the wire format (spec
//! §9) kept on purpose, because the vendor derives the same IV to decrypt.

use ::aes::{Aes128, Aes192, Aes256};
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockCipherDecrypt, BlockModeDecrypt, KeyInit, KeyIvInit};
use md5::{Digest as _, Md5};
use subtle::{ConditionallySelectable as _, ConstantTimeEq as _, ConstantTimeLess as _};

use super::CryptoError;
use super::b64::{lenient_b64decode, urlsafe_b64encode};

/// AES block size in bytes.
const BLOCK: usize = 16;

/// The IV `ssencrypt.generate_aes_iv` derives from a key:
/// `md5(key + md5(key).hexdigest().encode()).hexdigest()[:16].encode()`.
/// The 16 bytes are ASCII lowercase hex digits, not raw digest bytes.
pub fn derive_iv(key: &[u8]) -> [u8; BLOCK] {
    let inner = lower_hex(&Md5::digest(key));
    let outer = Md5::new().chain_update(key).chain_update(inner.as_bytes()).finalize();
    let outer_hex = lower_hex(&outer);
    let mut iv = [0u8; BLOCK];
    iv.copy_from_slice(&outer_hex.as_bytes()[..BLOCK]);
    iv
}

/// PKCS#7 padding to 16 bytes: always 1 to 16 bytes added, so the output is
/// `16 * (len / 16 + 1)` bytes long (a whole extra block for aligned input).
pub fn pkcs7_pad(data: &[u8]) -> Vec<u8> {
    let pad = BLOCK - data.len() % BLOCK;
    let mut out = Vec::with_capacity(data.len() + pad);
    out.extend_from_slice(data);
    // `pad` is 1..=16, so the cast cannot truncate.
    out.resize(data.len() + pad, pad as u8);
    out
}

/// Strict PKCS#7 unpadding, like Python 3's `cryptography` unpadder: the last byte `n`
/// must be 1..=16 and the last `n` bytes must all equal `n`.
///
/// The check looks at the whole last block without data-dependent branches, so the
/// time taken does not tell a padding oracle how much of the padding was right.
pub fn pkcs7_unpad(data: &[u8]) -> Result<&[u8], CryptoError> {
    if data.is_empty() || !data.len().is_multiple_of(BLOCK) {
        return Err(CryptoError::InvalidCiphertextLength(data.len()));
    }
    let last_block = &data[data.len() - BLOCK..];
    let n = last_block[BLOCK - 1];
    let mut ok = !n.ct_eq(&0) & !(BLOCK as u8).ct_lt(&n);
    for (i, &byte) in last_block.iter().enumerate() {
        // Byte i of the last block is padding when i >= 16 - n.
        let distance_from_end = (BLOCK - i) as u8;
        let in_padding = !n.ct_lt(&distance_from_end);
        let matches = byte.ct_eq(&n);
        ok &= u8::conditional_select(&1, &matches.unwrap_u8(), in_padding).ct_eq(&1);
    }
    if bool::from(ok) { Ok(&data[..data.len() - usize::from(n)]) } else { Err(CryptoError::BadPadding) }
}

/// `ssencrypt.aes_encrypt(data, key)`: PKCS#7 pad, then AES-CBC with [`derive_iv`].
/// The key length picks AES-128/192/256.
///
/// AWS-LC does the work: CBC encryption is one long dependency chain, so speed comes down
/// to the hand-scheduled AES-NI assembly it shares with OpenSSL (about 1.3× RustCrypto's
/// `cbc` here, see BENCHMARKS.md). Its "less safe" entry point is the one that takes a
/// caller's IV, which the wire format needs (the IV is derived from the key).
pub fn aes_encrypt(data: &[u8], key: &[u8]) -> Result<Vec<u8>, CryptoError> {
    use aws_lc_rs::cipher::{AES_128, AES_192, AES_256, EncryptionContext, PaddedBlockEncryptingKey, UnboundCipherKey};
    let algorithm = match key.len() {
        16 => &AES_128,
        24 => &AES_192,
        32 => &AES_256,
        n => return Err(CryptoError::InvalidKeyLength(n)),
    };
    // The key length matches the algorithm and the context is a 16-byte IV, the only
    // inputs AWS-LC refuses, so these cannot fail.
    let cipher_key = UnboundCipherKey::new(algorithm, key).expect("the key length matches the algorithm");
    let cbc = PaddedBlockEncryptingKey::cbc_pkcs7(cipher_key).expect("AES supports CBC");
    let mut buf = Vec::with_capacity(data.len() + BLOCK);
    buf.extend_from_slice(data);
    let iv = EncryptionContext::Iv128(derive_iv(key).into());
    cbc.less_safe_encrypt(&mut buf, iv).expect("CBC with a 16-byte IV");
    Ok(buf)
}

/// `ssencrypt.aes_decrypt(encrypted_data, key)`: AES-CBC with [`derive_iv`], then strict
/// PKCS#7 unpadding. A wrong key almost always shows up as [`CryptoError::BadPadding`];
/// CBC has no MAC, so a wrong key can also, rarely, yield garbage.
pub fn aes_decrypt(ciphertext: &[u8], key: &[u8]) -> Result<Vec<u8>, CryptoError> {
    decrypt_owned(ciphertext.to_vec(), key)
}

/// [`aes_decrypt`] in place in a buffer the caller no longer needs, saving a copy of
/// a multi-megabyte photo.
fn decrypt_owned(mut buf: Vec<u8>, key: &[u8]) -> Result<Vec<u8>, CryptoError> {
    // Check the key first so a bad key is reported as such even for bad ciphertext.
    if !matches!(key.len(), 16 | 24 | 32) {
        return Err(CryptoError::InvalidKeyLength(key.len()));
    }
    if buf.is_empty() || !buf.len().is_multiple_of(BLOCK) {
        return Err(CryptoError::InvalidCiphertextLength(buf.len()));
    }
    let iv = derive_iv(key);
    match key.len() {
        16 => cbc_decrypt::<Aes128>(key, &iv, &mut buf),
        24 => cbc_decrypt::<Aes192>(key, &iv, &mut buf),
        _ => cbc_decrypt::<Aes256>(key, &iv, &mut buf),
    }
    let len = pkcs7_unpad(&buf)?.len();
    buf.truncate(len);
    Ok(buf)
}

/// `ssencrypt.encrypt_and_encode(data, key)`: [`aes_encrypt`], then URL-safe base64
/// with `=` padding. This text is the stored `face/<receipt>` or `photo_id/<receipt>`.
pub fn encrypt_and_encode(data: &[u8], key: &[u8]) -> Result<String, CryptoError> {
    Ok(urlsafe_b64encode(&aes_encrypt(data, key)?))
}

/// `ssencrypt.decode_and_decrypt(encoded_data, key)`: Python's lenient
/// `urlsafe_b64decode` (both alphabets, line breaks ignored, padding required; see
/// [`lenient_b64decode`]), then [`aes_decrypt`].
pub fn decode_and_decrypt(encoded: impl AsRef<[u8]>, key: &[u8]) -> Result<Vec<u8>, CryptoError> {
    decrypt_owned(lenient_b64decode(encoded.as_ref())?, key)
}

/// A key setting such as `FACE_IMAGE_AES_KEY` decoded like `codecs.decode(s, "hex")`:
/// an even number of hex digits of either case, nothing else. The length is checked
/// here too, so a bad setting fails at start-up rather than at the first photo.
pub fn key_from_hex(hex: &str) -> Result<Vec<u8>, CryptoError> {
    let digits = hex.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return Err(CryptoError::InvalidHexKey);
    }
    let key = digits
        .chunks_exact(2)
        .map(|pair| Some((hex_value(pair[0])? << 4) | hex_value(pair[1])?))
        .collect::<Option<Vec<u8>>>()
        .ok_or(CryptoError::InvalidHexKey)?;
    if !matches!(key.len(), 16 | 24 | 32) {
        return Err(CryptoError::InvalidKeyLength(key.len()));
    }
    Ok(key)
}

/// CBC-decrypt whole blocks in place with block cipher `C` (padding is checked later).
fn cbc_decrypt<C: BlockCipherDecrypt + KeyInit>(key: &[u8], iv: &[u8; BLOCK], buf: &mut [u8]) {
    cbc::Decryptor::<C>::new_from_slices(key, iv)
        .expect("callers pass a key length C accepts and a 16-byte IV")
        .decrypt_padded::<NoPadding>(buf)
        .expect("callers pass whole blocks");
}

/// Lowercase hex, as Python's `hexdigest()` writes it.
fn lower_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The value of one hex digit of either case.
fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY32: &str = "32fe72aaf2abb44de9e161131b5435c8d37cbdb6f5df242ae860b283115f2dae";

    #[test]
    fn iv_of_the_edx_test_key() {
        let key = key_from_hex(KEY32).unwrap();
        assert_eq!(&derive_iv(&key), b"e8fbd26ddb5bf0e7");
    }

    #[test]
    fn padding_always_adds_one_to_sixteen_bytes() {
        for len in 0..=48 {
            let padded = pkcs7_pad(&vec![7; len]);
            assert_eq!(padded.len(), 16 * (len / 16 + 1));
            assert_eq!(pkcs7_unpad(&padded).unwrap(), vec![7; len].as_slice());
        }
    }

    #[test]
    fn unpad_is_strict() {
        let mut block = [0x41u8; 16];
        block[15] = 0;
        assert!(matches!(pkcs7_unpad(&block), Err(CryptoError::BadPadding)));
        block[15] = 17;
        assert!(matches!(pkcs7_unpad(&block), Err(CryptoError::BadPadding)));
        // Python 2 would accept this (it only read the last byte); Python 3 does not.
        block[15] = 3;
        block[14] = 3;
        assert!(matches!(pkcs7_unpad(&block), Err(CryptoError::BadPadding)));
        block[13] = 3;
        assert_eq!(pkcs7_unpad(&block).unwrap(), &[0x41; 13]);
        assert_eq!(pkcs7_unpad(&[16; 16]).unwrap(), b"");
        assert!(pkcs7_unpad(b"").is_err());
        assert!(pkcs7_unpad(&[1; 15]).is_err());
    }

    #[test]
    fn wrong_key_length_and_bad_ciphertext_are_errors() {
        assert!(matches!(aes_encrypt(b"x", &[0; 20]), Err(CryptoError::InvalidKeyLength(20))));
        let key = [9u8; 16];
        assert!(matches!(aes_decrypt(&[0; 15], &key), Err(CryptoError::InvalidCiphertextLength(15))));
        assert!(aes_decrypt(b"", &key).is_err());
        assert!(decode_and_decrypt("not base64 at all", &key).is_err());
    }

    #[test]
    fn hex_keys_decode_like_codecs() {
        assert_eq!(key_from_hex(&"Aa".repeat(16)).unwrap(), vec![0xaa; 16]);
        assert!(matches!(key_from_hex("abc"), Err(CryptoError::InvalidHexKey)));
        assert!(matches!(key_from_hex(&"zz".repeat(16)), Err(CryptoError::InvalidHexKey)));
        assert!(matches!(key_from_hex("aabb"), Err(CryptoError::InvalidKeyLength(2))));
    }

    #[test]
    fn decode_accepts_both_alphabets_and_line_breaks() {
        let key = key_from_hex(KEY32).unwrap();
        let data = b"photo bytes \xff\xfe and more photo bytes";
        let encoded = encrypt_and_encode(data, &key).unwrap();
        let standard: String = encoded
            .chars()
            .map(|c| match c {
                '-' => '+',
                '_' => '/',
                c => c,
            })
            .collect();
        let wrapped = format!("{}\n{}\n", &standard[..10], &standard[10..]);
        for text in [encoded.as_str(), &standard, &wrapped] {
            assert_eq!(decode_and_decrypt(text, &key).unwrap(), data);
        }
    }
}
