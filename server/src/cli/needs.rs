//! What a command needs from the configuration beyond what every command checks, said
//! before it starts writing: the setting, whether it is missing or invalid, its `VOUCH_…`
//! variable and the fix (the message builders of [`crate::config`]).

use crate::config::{Config, missing};

/// The vendor's public key, for commands that submit photo attempts (each photo's key is
/// wrapped with it). An unusable key is refused earlier, when the services start.
pub fn vendor_public_key(cfg: &Config, command: &str) -> anyhow::Result<()> {
    if cfg.software_secure.rsa_public_key.as_deref().is_none_or(|k| k.trim().is_empty()) {
        anyhow::bail!(missing(
            "software_secure.rsa_public_key",
            &format!(
                "`vouch {command}` submits photo attempts, whose keys are encrypted for the vendor; set it to the \
                 vendor's RSA public key (PEM), or for a local try-out make a pair with `vouch debug gen-keys --out \
                 keys` and set VOUCH_SOFTWARE_SECURE__RSA_PUBLIC_KEY=\"$(cat keys/vendor-public.pem)\""
            ),
        ));
    }
    Ok(())
}
