//! Site keys: parsing from base64, the ciphers they expand to, and key generation.

use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use aes::{Aes128, Aes192, Aes256};
use aes_gcm::Aes256Gcm;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine as _};

use crate::error::KeyError;

/// Standard base64 (the form site owners are given), padding optional when reading.
const KEY_B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One AES key of a site, already expanded for the compat (ECB) format and, when it is 32 bytes,
/// for the v2 (AES-256-GCM) format.
///
/// The raw key bytes are not kept and `Debug` shows only the key size.
#[derive(Clone)]
pub struct SiteKey {
    ecb: EcbCipher,
    gcm: Option<Aes256Gcm>,
}

#[derive(Clone)]
enum EcbCipher {
    Aes128(Aes128),
    Aes192(Aes192),
    Aes256(Aes256),
}

impl SiteKey {
    /// Parses a base64 (standard alphabet, padding optional, surrounding whitespace ignored) key
    /// of 16, 24 or 32 bytes.
    pub fn from_b64(key_b64: &str) -> Result<Self, KeyError> {
        let bytes = KEY_B64.decode(key_b64.trim()).map_err(|_| KeyError::NotBase64)?;
        Self::from_bytes(&bytes)
    }

    /// Builds a key from 16, 24 or 32 raw bytes (AES-128, AES-192 or AES-256).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let bad = |_| KeyError::BadLength(bytes.len());
        let (ecb, gcm) = match bytes.len() {
            16 => (EcbCipher::Aes128(Aes128::new_from_slice(bytes).map_err(bad)?), None),
            24 => (EcbCipher::Aes192(Aes192::new_from_slice(bytes).map_err(bad)?), None),
            32 => (
                EcbCipher::Aes256(Aes256::new_from_slice(bytes).map_err(bad)?),
                Some(Aes256Gcm::new_from_slice(bytes).map_err(bad)?),
            ),
            n => return Err(KeyError::BadLength(n)),
        };
        Ok(SiteKey { ecb, gcm })
    }

    /// The key length in bytes: 16, 24 or 32.
    pub fn len_bytes(&self) -> usize {
        match self.ecb {
            EcbCipher::Aes128(_) => 16,
            EcbCipher::Aes192(_) => 24,
            EcbCipher::Aes256(_) => 32,
        }
    }

    /// Whether this key can open and seal v2 tokens (only 32-byte keys can).
    pub fn supports_v2(&self) -> bool {
        self.gcm.is_some()
    }

    /// The AES-256-GCM cipher of a 32-byte key.
    pub(crate) fn gcm(&self) -> Option<&Aes256Gcm> {
        self.gcm.as_ref()
    }

    /// Decrypts whole 16-byte blocks in place (ECB: each block on its own).
    pub(crate) fn ecb_decrypt_blocks(&self, buf: &mut [u8]) {
        match &self.ecb {
            EcbCipher::Aes128(c) => decrypt_blocks(c, buf),
            EcbCipher::Aes192(c) => decrypt_blocks(c, buf),
            EcbCipher::Aes256(c) => decrypt_blocks(c, buf),
        }
    }

    /// Encrypts whole 16-byte blocks in place (ECB: each block on its own).
    pub(crate) fn ecb_encrypt_blocks(&self, buf: &mut [u8]) {
        match &self.ecb {
            EcbCipher::Aes128(c) => encrypt_blocks(c, buf),
            EcbCipher::Aes192(c) => encrypt_blocks(c, buf),
            EcbCipher::Aes256(c) => encrypt_blocks(c, buf),
        }
    }
}

impl std::fmt::Debug for SiteKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SiteKey(AES-{}, redacted)", self.len_bytes() * 8)
    }
}

fn decrypt_blocks<C: BlockDecrypt<BlockSize = aes::cipher::consts::U16>>(c: &C, buf: &mut [u8]) {
    for block in buf.chunks_exact_mut(16) {
        c.decrypt_block(GenericArray::from_mut_slice(block));
    }
}

fn encrypt_blocks<C: BlockEncrypt<BlockSize = aes::cipher::consts::U16>>(c: &C, buf: &mut [u8]) {
    for block in buf.chunks_exact_mut(16) {
        c.encrypt_block(GenericArray::from_mut_slice(block));
    }
}

/// Encodes fresh random bytes as a site key for the site owner (standard base64 with padding).
///
/// The crate has no randomness of its own: pass 16, 24 or 32 bytes from a CSPRNG (32 bytes are
/// recommended, since only 32-byte keys can use the v2 format). Other lengths are refused.
pub fn generate_key_b64(random_bytes: &[u8]) -> Result<String, KeyError> {
    match random_bytes.len() {
        16 | 24 | 32 => Ok(KEY_B64.encode(random_bytes)),
        n => Err(KeyError::BadLength(n)),
    }
}
