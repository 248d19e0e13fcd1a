//! Per-site identity settings: keys, verification fields and switches.

use crate::error::KeyError;
use crate::key::SiteKey;

/// The verification fields a site uses unless it names its own.
pub const DEFAULT_VERIFICATION_FIELDS: [&str; 2] = ["full_name", "phone"];

/// A site's identity settings, as the edge holds them.
///
/// `keys` normally has one key, two while a key is being rotated: every key is tried in order
/// and the first that opens the token wins. With no key, every token is `identity_invalid`.
#[derive(Debug, Clone)]
pub struct SiteIdentityConfig {
    /// The site's keys (one, or two during rotation), each 16, 24 or 32 bytes.
    pub keys: Vec<SiteKey>,
    /// Payload fields that must be present and that identify the visitor (default
    /// [`DEFAULT_VERIFICATION_FIELDS`]). An empty list, or an empty name in it, would give every
    /// visitor the same key: [`crate::verify`] then refuses every token (`identity_invalid`), and
    /// the edge refuses to store such settings.
    pub verification_fields: Vec<String>,
    /// Refuse visitors without an identity (`identity_required`) instead of letting guests in.
    pub require_identity: bool,
    /// Accept the compat ECB format (default off: ECB is malleable, so a site turns it on only
    /// knowingly, for servers that cannot send v2 yet).
    pub accept_ecb: bool,
    /// Accept the v2 AES-256-GCM format (default on; needs a 32-byte key to succeed).
    pub accept_v2: bool,
    /// Require `exp` in every token, ECB too (v2 always requires it): a token without it is
    /// `identity_invalid` (default off).
    pub require_exp: bool,
    /// Link verified visitors to the CRM contact with the same phone (used by the edge, not here).
    pub auto_link: bool,
}

impl SiteIdentityConfig {
    /// Settings with the given keys and every other field at its default: fields `full_name` and
    /// `phone`, guests allowed, v2 accepted and ECB not, `exp` required only by v2, auto-link off.
    pub fn new(keys: Vec<SiteKey>) -> Self {
        SiteIdentityConfig {
            keys,
            verification_fields: DEFAULT_VERIFICATION_FIELDS.iter().map(|f| (*f).to_owned()).collect(),
            require_identity: false,
            accept_ecb: false,
            accept_v2: true,
            require_exp: false,
            auto_link: false,
        }
    }

    /// Like [`SiteIdentityConfig::new`], parsing each key from base64 with [`SiteKey::from_b64`].
    pub fn from_b64_keys<I, S>(keys_b64: I) -> Result<Self, KeyError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let keys = keys_b64.into_iter().map(|k| SiteKey::from_b64(k.as_ref())).collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(keys))
    }
}

impl Default for SiteIdentityConfig {
    /// Default settings without any key (every token is then `identity_invalid`).
    fn default() -> Self {
        Self::new(Vec::new())
    }
}
