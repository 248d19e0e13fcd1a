//! WeChat's message-push cryptography (消息加解密): the SHA-1 signatures of the URL check and of
//! every push, and AES-256-CBC of 安全模式 (key = base64(EncodingAESKey + "="), IV = the key's first
//! 16 bytes, PKCS#7 padding to 32-byte blocks, plaintext `random(16) ‖ len(4, big-endian) ‖ msg ‖
//! appid`).

use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use aes::Aes256;
use base64::Engine;
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use crate::WechatError;

/// WeChat's block size for PKCS#7 padding (32, not AES's 16).
const PAD_BLOCK: usize = 32;

/// The SHA-1 (lowercase hex) of `parts` sorted and joined: `signature` of the URL check and of
/// a push (token, timestamp, nonce), `msg_signature` of an encrypted push (and its `Encrypt`).
#[must_use]
pub fn signature(parts: &[&str]) -> String {
    let mut sorted = parts.to_vec();
    sorted.sort_unstable();
    let mut hash = Sha1::new();
    for part in sorted {
        hash.update(part.as_bytes());
    }
    hex::encode(hash.finalize())
}

/// Whether `given` is the signature of `parts` (compared in constant time, any case).
#[must_use]
pub fn verify(given: &str, parts: &[&str]) -> bool {
    let expected = signature(parts);
    let given = given.trim().to_ascii_lowercase();
    expected.len() == given.len() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// How far a push's `timestamp` may be from the Desk's clock, in seconds: a captured push (or a
/// leaked URL check) is worth nothing after this.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// Whether `timestamp` (unix seconds, as WeChat writes it) is within [`MAX_CLOCK_SKEW_SECS`] of
/// `now_secs`.
#[must_use]
pub fn fresh(timestamp: &str, now_secs: u64) -> bool {
    timestamp.parse::<u64>().is_ok_and(|t| t.abs_diff(now_secs) <= MAX_CLOCK_SKEW_SECS)
}

/// A mini-program's message key (EncodingAESKey), ready to decrypt and encrypt.
pub struct Cipher {
    aes: Aes256,
    iv: [u8; 16],
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(..)")
    }
}

impl Cipher {
    /// The cipher of a 43-character EncodingAESKey.
    pub fn new(encoding_aes_key: &str) -> Result<Self, WechatError> {
        // WeChat's keys are any 43 characters of the alphabet: the last one's spare bits need not
        // be zero (WeChat's own sample key ends in `G`), so they are allowed.
        let lenient = base64::engine::GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
        );
        let key = lenient.decode(format!("{}=", encoding_aes_key.trim())).map_err(|_| WechatError::BadKey)?;
        let key: [u8; 32] = key.try_into().map_err(|_| WechatError::BadKey)?;
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&key[..16]);
        Ok(Cipher { aes: Aes256::new(&key.into()), iv })
    }

    /// Decrypts an `Encrypt` field and checks it was written for `app_id`; returns the message.
    pub fn decrypt(&self, encrypted: &str, app_id: &str) -> Result<String, WechatError> {
        let (message, to) = self.open(encrypted)?;
        if to.as_bytes().ct_eq(app_id.as_bytes()).unwrap_u8() == 0 {
            return Err(WechatError::WrongAppId);
        }
        Ok(message)
    }

    /// Decrypts an `Encrypt` field: the message and the AppID it names.
    pub fn open(&self, encrypted: &str) -> Result<(String, String), WechatError> {
        let data = base64::engine::general_purpose::STANDARD
            .decode(encrypted.trim())
            .map_err(|_| WechatError::BadCipherText)?;
        if data.is_empty() || data.len() % 16 != 0 {
            return Err(WechatError::BadCipherText);
        }
        let mut plain = Vec::with_capacity(data.len());
        let mut previous = self.iv;
        for chunk in data.chunks_exact(16) {
            let mut block = aes::Block::clone_from_slice(chunk);
            self.aes.decrypt_block(&mut block);
            plain.extend(block.iter().zip(previous).map(|(b, p)| b ^ p));
            previous.copy_from_slice(chunk);
        }
        let pad = usize::from(*plain.last().ok_or(WechatError::BadPadding)?);
        if pad == 0
            || pad > PAD_BLOCK
            || pad > plain.len()
            || plain[plain.len() - pad..].iter().any(|&b| usize::from(b) != pad)
        {
            return Err(WechatError::BadPadding);
        }
        plain.truncate(plain.len() - pad);
        let len_bytes: [u8; 4] = plain.get(16..20).and_then(|b| b.try_into().ok()).ok_or(WechatError::BadCipherText)?;
        let len = usize::try_from(u32::from_be_bytes(len_bytes)).map_err(|_| WechatError::BadCipherText)?;
        let message = plain.get(20..20 + len).ok_or(WechatError::BadCipherText)?;
        let app_id = &plain[20 + len..];
        let message = String::from_utf8(message.to_vec()).map_err(|_| WechatError::BadCipherText)?;
        let app_id = String::from_utf8(app_id.to_vec()).map_err(|_| WechatError::BadCipherText)?;
        Ok((message, app_id))
    }

    /// Encrypts `message` for `app_id` behind the 16 bytes `random` (an encrypted reply, and
    /// tests).
    #[must_use]
    pub fn encrypt(&self, random: [u8; 16], message: &str, app_id: &str) -> String {
        let mut plain = random.to_vec();
        plain.extend(u32::try_from(message.len()).unwrap_or(u32::MAX).to_be_bytes());
        plain.extend(message.as_bytes());
        plain.extend(app_id.as_bytes());
        let pad = PAD_BLOCK - plain.len() % PAD_BLOCK;
        plain.extend(std::iter::repeat_n(u8::try_from(pad).unwrap_or(32), pad));
        let mut out = Vec::with_capacity(plain.len());
        let mut previous = self.iv;
        for chunk in plain.chunks_exact(16) {
            let mut block = aes::Block::default();
            for (b, (c, p)) in block.iter_mut().zip(chunk.iter().zip(previous)) {
                *b = c ^ p;
            }
            self.aes.encrypt_block(&mut block);
            previous.copy_from_slice(&block);
            out.extend_from_slice(&block);
        }
        base64::engine::general_purpose::STANDARD.encode(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The URL check of WeChat's message-push documentation
    // (developers.weixin.qq.com/doc/store/API/basics/message_push.html): token AAAAA.
    #[test]
    fn the_url_check_example_of_wechat_s_documentation_verifies() {
        let parts = ["AAAAA", "1714036504", "1514711492"];
        assert_eq!(signature(&parts), "f464b24fc39322e44b38aa78f5edd27bd1441696");
        assert!(verify("F464B24FC39322E44B38AA78F5EDD27BD1441696", &parts), "any case");
        assert!(!verify("f464b24fc39322e44b38aa78f5edd27bd1441697", &parts));
        assert!(!verify("", &parts));
    }

    // The encrypted push of WeChat's third-party platform documentation (Before_Develop/
    // message_push.html): Token AAAAA, EncodingAESKey 43 × A, a debug_demo event.
    const DOC_ENCRYPT: &str = "D7yzvUNAL930rd28wf21s4hvXhz0L6Uit/p2Di6C5DHyYGpEgdBRnKjBec34JwoQXicwaZC7fOVihW80F4VtsdvE//1vr7oAbqjDv8KenVp+ajKYpJnyQ4zMRhIC+a31fCVOMC03FfzV/QuC94kBP55a+Za3sJgvAn+ZbsNqZI5DkyuzkhQN8OBqCzFhizGmy0xpM0MEA4agpvE+RuNO1rhHTtuJB5yltw1FiYzecSXJ+y/D2r81VkRn2eYjh2ltsoyfbDR7Is6ookXIFxTfyeNyeHxMeT4KN5WpCDmSbTcUYrbBUlkGLJ9n/rU8YOywma6G7aTb7KZKOqCxgfoUlYEZPk4FUL/TK7ShriFDMVCLyjQJ15Ob++agDWtcxhfUfe6HIoIpRW8mKNBQiY/Jd1svvuskA1wLef1RTtzKfMpagSCX/laZINmdnX4zrF6kIaR9P4xQrWXbsTFHTYe0Mg==";

    #[test]
    fn the_encrypted_push_of_wechat_s_documentation_verifies_and_decrypts() {
        assert!(verify(
            "6c12a4205838198b8fa631b3220723bb07f1015c",
            &["AAAAA", "1715943329", "1590219412", DOC_ENCRYPT]
        ));
        let cipher = Cipher::new(&"A".repeat(43)).expect("a 43-character key");
        let message = cipher.decrypt(DOC_ENCRYPT, "wx134c8103faa5a59e").expect("decrypts");
        assert_eq!(message.len(), 292);
        assert!(message.contains("debug_demo"), "{message}");
        assert_eq!(cipher.decrypt(DOC_ENCRYPT, "wxba5fad812f8e6fb9"), Err(WechatError::WrongAppId));
    }

    // WeChat's own sample code (WXBizMsgCryptTest.java): a fixed random prefix gives a fixed
    // ciphertext.
    #[test]
    fn encryption_matches_wechat_s_sample_code() {
        let cipher = Cipher::new("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG").expect("key");
        let random: [u8; 16] = *b"aaaabbbbccccdddd";
        let encrypted = cipher.encrypt(random, "我是中文abcd123", "wxb11529c136998cb6");
        assert_eq!(
            encrypted,
            "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
        );
        assert_eq!(cipher.decrypt(&encrypted, "wxb11529c136998cb6").as_deref(), Ok("我是中文abcd123"));
    }

    #[test]
    fn a_push_is_fresh_within_five_minutes_of_the_clock() {
        let now = 1_764_000_000;
        assert!(fresh("1764000000", now) && fresh("1763999700", now) && fresh("1764000300", now));
        assert!(!fresh("1763999699", now), "a captured push replayed later");
        assert!(!fresh("1764000301", now) && !fresh("", now) && !fresh("-5", now) && !fresh("1e9", now));
    }

    #[test]
    fn tampered_or_malformed_ciphertexts_are_typed_refusals() {
        let cipher = Cipher::new(&"A".repeat(43)).expect("key");
        let mut bytes = base64::engine::general_purpose::STANDARD.decode(DOC_ENCRYPT).expect("base64");
        let last = bytes.len() - 1;
        bytes[last] ^= 0x55;
        let tampered = base64::engine::general_purpose::STANDARD.encode(&bytes);
        assert!(cipher.decrypt(&tampered, "wx134c8103faa5a59e").is_err());
        assert_eq!(cipher.decrypt("not base64!", "x"), Err(WechatError::BadCipherText));
        assert_eq!(cipher.decrypt("AAAA", "x"), Err(WechatError::BadCipherText), "not whole blocks");
        assert!(Cipher::new("short").is_err());
    }
}
