//! Random tokens and password hashes: the only secrets the Desk creates.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{EdgeError, EdgeResult};

/// PBKDF2-HMAC-SHA256 iterations for new agent password hashes: OWASP's recommendation for this
/// function (2023, still current). Stored hashes keep the count they were made with and are
/// rehashed at this count on the agent's next successful login.
pub const PASSWORD_ITERATIONS: u32 = 600_000;

/// Most iterations done between two yields to the event loop (about half a millisecond of CPU
/// here), so whatever else the isolate serves waits that long at most.
const ITERATIONS_PER_SLICE: u32 = 1_000;

/// Most iterations a stored hash may claim (a bad row must not cost minutes).
const MAX_ITERATIONS: u32 = 10_000_000;

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

/// PBKDF2-HMAC-SHA256 with one 32-byte output block, computed a slice at a time so the caller can
/// yield between slices (`U_1 = PRF(P, S || 1)`, `U_i = PRF(P, U_(i-1))`, the key is their XOR).
pub struct Pbkdf2 {
    prf: Hmac<Sha256>,
    last: [u8; 32],
    key: [u8; 32],
    left: u32,
}

impl Pbkdf2 {
    /// Starts a derivation of `password` with `salt` over `iterations` (at least one).
    pub fn new(password: &[u8], salt: &[u8], iterations: u32) -> EdgeResult<Self> {
        // HMAC takes keys of any length (long ones are hashed first): this never fails.
        let prf = <Hmac<Sha256> as Mac>::new_from_slice(password)
            .map_err(|e| EdgeError::Internal(format!("hmac key: {e}")))?;
        let mut first = prf.clone();
        first.update(salt);
        first.update(&1u32.to_be_bytes());
        let last: [u8; 32] = first.finalize().into_bytes().into();
        Ok(Self { prf, last, key: last, left: iterations.clamp(1, MAX_ITERATIONS) - 1 })
    }

    /// Runs at most `n` more iterations; true when the key is complete.
    pub fn step(&mut self, n: u32) -> bool {
        for _ in 0..n.min(self.left) {
            let mut mac = self.prf.clone();
            mac.update(&self.last);
            self.last = mac.finalize().into_bytes().into();
            for (k, u) in self.key.iter_mut().zip(self.last) {
                *k ^= u;
            }
        }
        self.left -= n.min(self.left);
        self.left == 0
    }

    /// The derived key (complete once `step` said so).
    pub fn key(&self) -> [u8; 32] {
        self.key
    }
}

/// A stored password: salt (hex, used as its ASCII bytes), PBKDF2-HMAC-SHA256 hash (hex) and the
/// iteration count it was made with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredPassword {
    /// Salt, hex.
    pub salt: String,
    /// The hash, hex.
    pub hash: String,
    /// PBKDF2 iterations.
    pub iterations: u32,
}

/// Derives the hex hash of a password, one derivation at a time per isolate and yielding to the
/// event loop between slices, so other requests of the isolate (the Desk's sockets under
/// `wrangler dev`) keep moving. Runs in the Worker only.
pub async fn derive(password: &str, salt_hex: &str, iterations: u32) -> EdgeResult<String> {
    // One derivation at a time per isolate (`gate`), so other work waits behind one slice at most.
    // Each check and each slice says the request is still running (see `gate`: a cancelled
    // request's ticket stops saying so and leaves the line).
    let now = js_sys::Date::now;
    let ticket = crate::gate::join(now());
    while !ticket.is_first(now()) {
        worker::Delay::from(std::time::Duration::from_millis(2)).await;
    }
    let mut run = Pbkdf2::new(password.as_bytes(), salt_hex.as_bytes(), iterations)?;
    while !run.step(ITERATIONS_PER_SLICE) {
        ticket.touch(now());
        worker::Delay::from(std::time::Duration::ZERO).await;
    }
    Ok(hex::encode(run.key()))
}

/// A new stored password at [`PASSWORD_ITERATIONS`] with a fresh salt.
pub async fn hash_password(password: &str) -> EdgeResult<StoredPassword> {
    let salt = random_hex(16)?;
    let hash = derive(password, &salt, PASSWORD_ITERATIONS).await?;
    Ok(StoredPassword { salt, hash, iterations: PASSWORD_ITERATIONS })
}

/// Checks a password against its stored hash (constant-time comparison).
pub async fn password_matches(password: &str, stored: &StoredPassword) -> EdgeResult<bool> {
    let computed = derive(password, &stored.salt, stored.iterations).await?;
    Ok(computed.as_bytes().ct_eq(stored.hash.as_bytes()).into())
}

/// Compares two secrets in constant time.
pub fn secret_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliced_pbkdf2_matches_the_pbkdf2_crate() {
        for (iterations, slice) in [(1, 1), (2, 1), (1_000, 7), (20_000, 10_000)] {
            let mut run = Pbkdf2::new(b"password", b"0a1b2c", iterations).expect("hmac takes any key");
            while !run.step(slice) {}
            let mut expected = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<Sha256>(b"password", b"0a1b2c", iterations, &mut expected);
            assert_eq!(run.key(), expected, "{iterations} iterations in slices of {slice}");
        }
    }
}
