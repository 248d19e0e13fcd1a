//! Random tokens and password hashes: the only secrets the Desk creates.

use pbkdf2::pbkdf2_hmac;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{EdgeError, EdgeResult};

/// PBKDF2-HMAC-SHA256 rounds for agent passwords.
const PASSWORD_ROUNDS: u32 = 20_000;

/// Returns `n` random bytes from the platform's CSPRNG, hex-encoded.
pub fn random_hex(n: usize) -> EdgeResult<String> {
    let mut buf = vec![0u8; n];
    getrandom::getrandom(&mut buf).map_err(|e| EdgeError::Internal(format!("getrandom: {e}")))?;
    Ok(hex::encode(buf))
}

/// A new secret token with a role prefix (`v_` visitor, `a_` agent): 256 random bits.
pub fn new_token(prefix: &str) -> EdgeResult<String> {
    Ok(format!("{prefix}{}", random_hex(32)?))
}

/// The stored form of a token: its SHA-256, so a storage leak leaks no usable token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes a password with a salt (hex) for storage.
pub fn hash_password(password: &str, salt_hex: &str) -> String {
    let mut out = [0u8; 32];
    pbkdf2_hmac::<Sha256>(password.as_bytes(), salt_hex.as_bytes(), PASSWORD_ROUNDS, &mut out);
    hex::encode(out)
}

/// Checks a password against its stored hash in constant time.
pub fn password_matches(password: &str, salt_hex: &str, stored_hex: &str) -> bool {
    let computed = hash_password(password, salt_hex);
    computed.as_bytes().ct_eq(stored_hex.as_bytes()).into()
}

/// Compares two secrets in constant time.
pub fn secret_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}
