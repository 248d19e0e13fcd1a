//! Agent logins, the Desk's half: the per-IP limit (IPv6 by /64), the per-account lock, and the
//! session once the Worker reports a matching password (`login.rs` does the PBKDF2 work).
//!
//! An attempt counts as a failure when its hash is handed out, so concurrent guesses cannot slip
//! past the lock; a reported success clears the count. A name that is no agent (or an agent
//! without a password) gets a dummy hash with the current iteration count and locks the same way,
//! in memory, so neither the time nor the answers tell such names apart.

use hmac::{Hmac, Mac};
use protocol::AgentLoginResponse;
use sha2::Sha256;
use worker::Response;

use super::store::LoginRow;
use super::{now_ms, parse_json, Desk};
use crate::error::{EdgeError, EdgeResult};
use crate::internal::bodies::{LoginBegin, LoginChallenge, LoginFinish};
use crate::internal::Caller;
use crate::secrets::{self, StoredPassword, PASSWORD_ITERATIONS};

/// Name of the login-signing key in the Desk's `meta` table.
const LOGIN_KEY: &str = "login_key";

/// How long the Worker has to report a check, in ms.
const CHALLENGE_MS: u64 = 60_000;

impl Desk {
    /// `POST /agents/login/begin`: counts the attempt and hands out the hash to check against.
    pub(super) fn login_begin(&self, caller: &Caller, body: &[u8]) -> EdgeResult<Response> {
        let request: LoginBegin = parse_json(body)?;
        Ok(Response::from_json(&self.password_challenge(caller, request.agent, Purpose::Login)?)?)
    }

    /// The hash a password of `agent` is checked against (by the Worker), after the per-IP limit
    /// and the account's lock; the attempt counts as a failure until the Worker reports a match.
    pub(super) fn password_challenge(
        &self,
        caller: &Caller,
        agent: String,
        purpose: Purpose,
    ) -> EdgeResult<LoginChallenge> {
        let config = self.config()?;
        self.limit(config.rate_limits, |l| &mut l.logins_per_ip, &caller.ip)?;
        let lock_secs = config.rate_limits.login_lock_secs;
        let now = now_ms();
        let store = self.store()?;
        let key = self.login_key()?;
        let known = store.agent_login(&agent)?.filter(|row| !row.password_hash.is_empty());
        let password = match known {
            Some(row) => {
                let next = row.lock().attempt(now, lock_secs).map_err(EdgeError::AccountLocked)?;
                store.set_login_lock(&row.id, next)?;
                row.password()
            }
            None => {
                self.limits.borrow_mut().unknown_login(&agent, now, lock_secs).map_err(EdgeError::AccountLocked)?;
                StoredPassword {
                    salt: sign(&key, &format!("dummy-salt|{agent}"))?[..32].to_string(),
                    hash: secrets::random_hex(32)?,
                    iterations: PASSWORD_ITERATIONS,
                }
            }
        };
        let exp_ms = now + CHALLENGE_MS;
        let sig = sign(&key, &challenge_text(purpose, &agent, &password.hash, exp_ms))?;
        Ok(LoginChallenge { agent, password, exp_ms, sig })
    }

    /// `POST /agents/login/finish`: the Worker's verdict; a match issues the session.
    pub(super) fn login_finish(&self, body: &[u8]) -> EdgeResult<Response> {
        let result: LoginFinish = parse_json(body)?;
        let row = self.password_verdict(&result, Purpose::Login)?;
        // Checked after the password, so a disabled account answers like a wrong password.
        let config = self.config()?;
        if config.agents.iter().any(|a| a.id == row.id && a.disabled) {
            return Err(EdgeError::InvalidCredentials);
        }
        self.drop_expired_sessions(&config)?;
        let token = secrets::new_token("a_")?;
        let hash = secrets::token_hash(&token);
        let now = now_ms();
        self.store()?.add_agent_session(&hash, &row.id, now)?;
        self.agent_touched.borrow_mut().insert(hash, now);
        let role = config.agents.iter().find(|a| a.id == row.id).map(|a| a.role).unwrap_or_default();
        let admin = role.manages_settings();
        Ok(Response::from_json(&AgentLoginResponse { agent_id: row.id, name: row.name, token, admin, role })?)
    }

    /// Takes the Worker's verdict on a [`Desk::password_challenge`]: a match for the very hash
    /// handed out (not one from before a password change), in time, clears the failure count (and
    /// stores a rehash at more iterations); anything else is `invalid_credentials`.
    pub(super) fn password_verdict(&self, result: &LoginFinish, purpose: Purpose) -> EdgeResult<LoginRow> {
        if !result.ok {
            // Already counted when the hash was handed out.
            return Err(EdgeError::InvalidCredentials);
        }
        let store = self.store()?;
        let row = store
            .agent_login(&result.agent)?
            .filter(|row| !row.password_hash.is_empty())
            .ok_or(EdgeError::InvalidCredentials)?;
        let expected = sign(&self.login_key()?, &challenge_text(purpose, &row.id, &row.password_hash, result.exp_ms))?;
        if result.exp_ms < now_ms() || !secrets::secret_eq(&result.sig, &expected) {
            return Err(EdgeError::InvalidCredentials);
        }
        let rehash = result
            .rehash
            .as_ref()
            .filter(|new| new.iterations > row.iterations as u32 && new.salt.len() >= 32 && new.hash.len() == 64);
        store.login_succeeded(&row.id, &row.password_hash, rehash)?;
        Ok(row)
    }

    /// The key challenges are signed with (made on first use).
    fn login_key(&self) -> EdgeResult<Vec<u8>> {
        let key = self.store()?.secret(LOGIN_KEY, || secrets::random_hex(32))?;
        hex::decode(key).map_err(|e| EdgeError::Internal(format!("login key: {e}")))
    }
}

/// What a password is checked for: a verdict signed for one is no verdict for the other.
#[derive(Debug, Clone, Copy)]
pub(super) enum Purpose {
    /// Signing in.
    Login,
    /// Showing the identity keys in full.
    Reveal,
}

fn challenge_text(purpose: Purpose, agent: &str, hash: &str, exp_ms: u64) -> String {
    let purpose = match purpose {
        Purpose::Login => "login",
        Purpose::Reveal => "reveal",
    };
    format!("{purpose}|{agent}|{hash}|{exp_ms}")
}

/// Hex HMAC-SHA256 of `text`.
fn sign(key: &[u8], text: &str) -> EdgeResult<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(|e| EdgeError::Internal(format!("hmac: {e}")))?;
    mac.update(text.as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}
