//! Agent passwords, the Worker's half: the PBKDF2 work happens here, never on the Desk's single
//! thread. A login asks the Desk for the agent's stored hash (`https://desk/agents/login/begin`,
//! where the Desk enforces the per-IP limit and the per-account lock and counts the attempt as a
//! failure until told otherwise), checks the password, and reports the result
//! (`https://desk/agents/login/finish`), which issues the session on success. A name that is no
//! agent gets a dummy hash with the current iteration count, so it costs as much as a real one.
//! Passwords in an admin `PUT config` are hashed here too before the config goes to the Desk.

use std::collections::BTreeMap;

use protocol::{AgentLoginRequest, SiteConfig};
use serde::{Deserialize, Serialize};
use worker::{Env, Headers, Response};

use crate::error::{EdgeError, EdgeResult};
use crate::front::desk_get;
use crate::secrets::{self, StoredPassword, PASSWORD_ITERATIONS};
use crate::upload::desk_post;

/// How long a login waits for a place in a full hashing line before it is refused (ms).
const FULL_LINE_WAIT_MS: u32 = 1_000;

/// Body of `https://desk/agents/login/begin`.
#[derive(Debug, Serialize, Deserialize)]
pub struct LoginBegin {
    /// The login name (agent id) as typed.
    pub agent: String,
}

/// The Desk's answer to `begin`: what to check the password against, and a signature binding the
/// result to this hash and a short expiry.
#[derive(Debug, Serialize, Deserialize)]
pub struct LoginChallenge {
    /// The login name, as asked.
    pub agent: String,
    /// The stored hash (a dummy one for a name that is no agent).
    pub password: StoredPassword,
    /// Until when the result may be reported, unix ms.
    pub exp_ms: u64,
    /// The Desk's HMAC over `agent|hash|exp_ms`.
    pub sig: String,
}

/// Body of `https://desk/agents/login/finish`: the Worker's verdict.
#[derive(Debug, Serialize, Deserialize)]
pub struct LoginFinish {
    /// The login name of the challenge.
    pub agent: String,
    /// The challenge's expiry.
    pub exp_ms: u64,
    /// The challenge's signature.
    pub sig: String,
    /// Whether the password matched.
    pub ok: bool,
    /// A new hash at the current iteration count, when the stored one used fewer.
    pub rehash: Option<StoredPassword>,
}

/// Body of `https://desk/admin/config` (PUT): the config without passwords, and the new hashes by
/// agent id.
#[derive(Debug, Serialize, Deserialize)]
pub struct ConfigPut {
    /// The site config as the admin sent it, passwords removed.
    pub config: SiteConfig,
    /// New stored passwords by agent id.
    pub passwords: BTreeMap<String, StoredPassword>,
}

/// `POST /api/v1/sites/{site}/agents/login`.
pub async fn login(body: &[u8], env: &Env, site: &str, desk_headers: &Headers) -> EdgeResult<Response> {
    let request: AgentLoginRequest =
        serde_json::from_slice(body).map_err(|e| EdgeError::BadRequest(format!("invalid JSON body: {e}")))?;
    // A login that finds the hashing line full waits up to a second for a place (a tarpit: a
    // guessing loop then costs the isolate a few timer checks a second rather than a stream of
    // refusals), then is turned away before anything is counted, so a flood of guesses (from any
    // number of addresses) cannot make the real agent wait seconds.
    let mut waited_ms = 0;
    while crate::gate::in_line() >= crate::gate::MAX_IN_LINE {
        if waited_ms >= FULL_LINE_WAIT_MS {
            return Err(EdgeError::RateLimited(1));
        }
        worker::Delay::from(std::time::Duration::from_millis(50)).await;
        waited_ms += 50;
    }
    let begin = LoginBegin { agent: request.agent };
    let mut answer = desk_post(env, site, desk_headers, "/agents/login/begin", None, &begin).await?;
    if answer.status_code() != 200 {
        // Locked, rate limited, no such site: the Desk's typed refusal as it is.
        return Ok(answer);
    }
    let challenge: LoginChallenge = answer.json().await?;
    let ok = secrets::password_matches(&request.password, &challenge.password).await?;
    let rehash = match ok && challenge.password.iterations < PASSWORD_ITERATIONS {
        true => Some(secrets::hash_password(&request.password).await?),
        false => None,
    };
    let finish = LoginFinish { agent: challenge.agent, exp_ms: challenge.exp_ms, sig: challenge.sig, ok, rehash };
    desk_post(env, site, desk_headers, "/agents/login/finish", None, &finish).await
}

/// Turns an admin's config body into the Desk's [`ConfigPut`]: checks the config, then hashes each
/// new password. A password equal to the agent's stored one (a config sent back as it was) is
/// dropped, so it neither rehashes nor ends the agent's sessions: checking costs one derivation at
/// the stored hash's iteration count.
pub async fn hash_config_passwords(body: &[u8], env: &Env, site: &str) -> EdgeResult<Vec<u8>> {
    let mut config: SiteConfig =
        serde_json::from_slice(body).map_err(|e| EdgeError::BadRequest(format!("invalid JSON body: {e}")))?;
    // The Desk's checks first (password lengths among them), so a config it would refuse costs no
    // hashing.
    crate::desk::validate_config(&config)?;
    let stored: BTreeMap<String, StoredPassword> = match config.agents.iter().any(|a| a.password.is_some()) {
        true => {
            let mut answer = desk_get(env, site, "/admin/passwords").await?;
            match answer.status_code() {
                200 => answer.json().await?,
                status => return Err(EdgeError::Internal(format!("the Desk's stored passwords: status {status}"))),
            }
        }
        false => BTreeMap::new(),
    };
    let mut passwords = BTreeMap::new();
    for agent in &mut config.agents {
        agent.locked_until_ms = None;
        let Some(password) = agent.password.take() else { continue };
        if let Some(old) = stored.get(&agent.id) {
            if secrets::password_matches(&password, old).await? {
                continue;
            }
        }
        passwords.insert(agent.id.clone(), secrets::hash_password(&password).await?);
    }
    Ok(serde_json::to_vec(&ConfigPut { config, passwords })?)
}
