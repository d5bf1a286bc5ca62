//! HS256 JWTs for users seeded by `vouch seed-attempts`.
//!
//! The claims are exactly the seeded user's (`user_id = k`, `preferred_username = seed_<k>`,
//! `email = seed_<k>@example.invalid`, `name = Seeded Learner`), so signing in reads the
//! user and writes nothing, as for a returning learner.

use anyhow::{Context as _, bail};
use jsonwebtoken::{EncodingKey, Header, encode};

/// Parses `FIRST..END` (END excluded).
pub fn parse_range(text: &str) -> Result<(i64, i64), String> {
    let (first, end) = text.split_once("..").ok_or("expected FIRST..END")?;
    let first: i64 = first.trim().parse().map_err(|e| format!("FIRST: {e}"))?;
    let end: i64 = end.trim().parse().map_err(|e| format!("END: {e}"))?;
    if end <= first {
        return Err("END must be greater than FIRST".into());
    }
    Ok((first, end))
}

/// `count` tokens (at most one per user) for users spread evenly over `first..end`,
/// valid for a day.
pub fn mint(secret: &str, (first, end): (i64, i64), count: usize) -> anyhow::Result<Vec<String>> {
    if count == 0 {
        bail!("--jwt-count must be at least 1");
    }
    let span = (end - first) as u64;
    let count = (count as u64).min(span);
    let key = EncodingKey::from_secret(secret.as_bytes());
    let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() + 86_400;
    (0..count)
        .map(|i| {
            let id = first + (i * span / count) as i64;
            let claims = serde_json::json!({
                "user_id": id,
                "preferred_username": format!("seed_{id}"),
                "email": format!("seed_{id}@example.invalid"),
                "name": "Seeded Learner",
                "administrator": false,
                "exp": exp,
            });
            encode(&Header::default(), &claims, &key).context("signing a token")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("1..11"), Ok((1, 11)));
        assert!(parse_range("5..5").is_err());
        assert!(parse_range("a..b").is_err());
        assert!(parse_range("7").is_err());
    }

    #[test]
    fn tokens_spread_over_the_range_and_verify() {
        let tokens = mint("s3cret", (10, 110), 4).expect("mint");
        assert_eq!(tokens.len(), 4);
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.validate_aud = false;
        let ids: Vec<i64> = tokens
            .iter()
            .map(|t| {
                let data = jsonwebtoken::decode::<serde_json::Value>(
                    t,
                    &jsonwebtoken::DecodingKey::from_secret(b"s3cret"),
                    &validation,
                )
                .expect("valid");
                assert_eq!(data.claims["preferred_username"], format!("seed_{}", data.claims["user_id"]));
                data.claims["user_id"].as_i64().expect("id")
            })
            .collect();
        assert_eq!(ids, vec![10, 35, 60, 85]);
        assert_eq!(mint("s", (1, 3), 10).expect("mint").len(), 2, "at most one token per user");
    }
}
