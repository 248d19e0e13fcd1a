//! The typed errors of the identity check and of site-key handling.

/// Why an identity token was refused; each variant is one stable public error code.
///
/// The codes, HTTP statuses and messages are a public contract (DESIGN.md, "Identity"). Messages
/// never say more than the code: in particular every decryption, padding, UTF-8, JSON, tag and
/// audience failure is the single [`IdentityError::Invalid`], so the answer is no padding oracle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum IdentityError {
    /// `identity_malformed` (400): empty, over 8 KiB, not hex, odd length, not whole blocks, bad base64.
    #[error("the identity token is not well-formed")]
    Malformed,
    /// `identity_invalid` (401): the token does not decrypt to an acceptable identity for this site.
    #[error("the identity token could not be verified")]
    Invalid,
    /// `identity_fields_missing` (422): a verification field is absent or empty.
    #[error("the identity lacks a required field")]
    FieldsMissing,
    /// `identity_expired` (401): the payload's `exp` (unix seconds) has passed.
    #[error("the identity has expired")]
    Expired,
    /// `identity_required` (401): the site requires an identity and none was given.
    #[error("this site requires a verified identity")]
    Required,
}

impl IdentityError {
    /// Every variant, in declaration order (for exhaustive tests and documentation tables).
    pub const ALL: [IdentityError; 5] = [
        IdentityError::Malformed,
        IdentityError::Invalid,
        IdentityError::FieldsMissing,
        IdentityError::Expired,
        IdentityError::Required,
    ];

    /// The stable machine-readable code, e.g. `identity_malformed`.
    pub fn code(self) -> &'static str {
        match self {
            IdentityError::Malformed => "identity_malformed",
            IdentityError::Invalid => "identity_invalid",
            IdentityError::FieldsMissing => "identity_fields_missing",
            IdentityError::Expired => "identity_expired",
            IdentityError::Required => "identity_required",
        }
    }

    /// The HTTP status the edge answers with.
    pub fn http_status(self) -> u16 {
        match self {
            IdentityError::Malformed => 400,
            IdentityError::FieldsMissing => 422,
            IdentityError::Invalid | IdentityError::Expired | IdentityError::Required => 401,
        }
    }

    /// A message safe to show to the visitor: it reveals nothing beyond the code.
    pub fn message(self) -> &'static str {
        match self {
            IdentityError::Malformed => "the identity token is not well-formed",
            IdentityError::Invalid => "the identity token could not be verified",
            IdentityError::FieldsMissing => "the identity lacks a required field",
            IdentityError::Expired => "the identity has expired",
            IdentityError::Required => "this site requires a verified identity",
        }
    }
}

/// Why a site key could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key text is not standard base64.
    #[error("the site key is not valid base64")]
    NotBase64,
    /// The decoded key is not 16, 24 or 32 bytes long.
    #[error("a site key must be 16, 24 or 32 bytes, this one has {0}")]
    BadLength(usize),
}

/// Why a token could not be produced by [`crate::encrypt_v2`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EncryptError {
    /// The v2 format uses AES-256-GCM and needs a 32-byte key; the key has this many bytes.
    #[error("the v2 format needs a 32-byte site key, this one has {0} bytes")]
    KeyNotAes256(usize),
    /// The resulting token would exceed the 8 KiB limit that [`crate::verify`] enforces.
    #[error("the payload is too large for an identity token")]
    PayloadTooLarge,
}
