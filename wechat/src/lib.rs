//! The WeChat mini-program channel's plain-Rust half (no worker types, so it is tested and
//! benchmarked natively): the message push's signatures and 安全模式 encryption ([`crypto`]) and
//! the push's JSON or XML ([`push`]).

pub mod crypto;
pub mod push;

pub use crypto::{fresh, signature, verify, Cipher, MAX_CLOCK_SKEW_SECS};
pub use push::{fields, Fields, Format, Push, PushKind};

/// Why a push is refused. Each is logged once and stores nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WechatError {
    /// The `signature` or `msg_signature` does not match the token.
    #[error("the signature does not match")]
    BadSignature,
    /// The EncodingAESKey is not 43 characters of base64.
    #[error("the EncodingAESKey is not a 43-character key")]
    BadKey,
    /// The ciphertext is not base64 of whole blocks, or its length field lies.
    #[error("the ciphertext is malformed")]
    BadCipherText,
    /// The decrypted padding is not PKCS#7 (a wrong key or a tampered message).
    #[error("the padding is wrong")]
    BadPadding,
    /// The message was encrypted for another AppID.
    #[error("the message is for another AppID")]
    WrongAppId,
    /// The push's `timestamp` is more than five minutes from the clock (a replay), or its
    /// `timestamp` and `nonce` came before with another body.
    #[error("the push is stale or replayed")]
    Replayed,
    /// The body is not a push.
    #[error("malformed push: {0}")]
    Malformed(String),
}
