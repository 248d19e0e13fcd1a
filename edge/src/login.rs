//! Agent passwords, the Worker's half: the PBKDF2 work happens here, never on the Desk's single
//! thread. A login asks the Desk for the agent's stored hash (`internal::Route::LoginBegin`,
//! where the Desk enforces the per-IP limit and the per-account lock and counts the attempt as a
//! failure until told otherwise), checks the password, and reports the result
//! (`Route::LoginFinish`), which issues the session on success. A name that is no
//! agent gets a dummy hash with the current iteration count, so it costs as much as a real one.
//! Passwords in an admin `PUT config` are hashed here too before the config goes to the Desk.

use std::collections::BTreeMap;

use protocol::{AgentLoginRequest, SiteConfig};
use worker::{Env, Response};

use crate::error::{EdgeError, EdgeResult};
use crate::internal::bodies::{ConfigPut, LoginBegin, LoginChallenge, LoginFinish};
use crate::internal::{self, Call, Caller, Route};
use crate::secrets::{self, StoredPassword, PASSWORD_ITERATIONS};

/// How long a login waits for a place in a full hashing line before it is refused (ms).
const FULL_LINE_WAIT_MS: u32 = 1_000;

/// `POST /api/v1/sites/{site}/agents/login`.
pub async fn login(body: &[u8], env: &Env, site: &str, caller: &Caller) -> EdgeResult<Response> {
    let request: AgentLoginRequest =
        serde_json::from_slice(body).map_err(|e| EdgeError::BadRequest(format!("invalid JSON body: {e}")))?;
    let begin = serde_json::to_vec(&LoginBegin { agent: request.agent })?;
    let steps = Steps { begin: Route::LoginBegin, finish: Route::LoginFinish, token: None };
    check_password(env, site, caller, steps, begin, &request.password).await
}

/// The two Desk routes of a password check and the agent token they go with, if any.
pub struct Steps<'a> {
    /// Hands out the hash (counting the attempt).
    pub begin: Route,
    /// Takes the verdict.
    pub finish: Route,
    /// The signed-in agent's token (a settings call).
    pub token: Option<&'a str>,
}

/// Checks a password against the hash the Desk hands out for `begin` (where the Desk applies the
/// per-IP limit and the account's lock, and counts the attempt) and reports the verdict to
/// `finish`, whose answer is returned as it is: a login's session, or what a settings call asked
/// for.
pub async fn check_password(
    env: &Env,
    site: &str,
    caller: &Caller,
    steps: Steps<'_>,
    begin: Vec<u8>,
    password: &str,
) -> EdgeResult<Response> {
    // A check that finds the hashing line full waits up to a second for a place (a tarpit: a
    // guessing loop then costs the isolate a few timer checks a second rather than a stream of
    // refusals), then is turned away before anything is counted, so a flood of guesses (from any
    // number of addresses) cannot make the real agent wait seconds.
    let mut waited_ms = 0;
    while crate::gate::in_line(js_sys::Date::now()) >= crate::gate::MAX_IN_LINE {
        if waited_ms >= FULL_LINE_WAIT_MS {
            return Err(EdgeError::RateLimited(1));
        }
        worker::Delay::from(std::time::Duration::from_millis(50)).await;
        waited_ms += 50;
    }
    let call = || Call { token: steps.token, ..Call::from(caller) };
    let mut answer = internal::call(env, site, steps.begin, call().body(begin)).await?;
    if answer.status_code() != 200 {
        // Locked, rate limited, no such site: the Desk's typed refusal as it is.
        return Ok(answer);
    }
    let challenge: LoginChallenge = answer.json().await?;
    let ok = secrets::password_matches(password, &challenge.password).await?;
    let rehash = match ok && challenge.password.iterations < PASSWORD_ITERATIONS {
        true => Some(secrets::hash_password(password).await?),
        false => None,
    };
    let finish = LoginFinish { agent: challenge.agent, exp_ms: challenge.exp_ms, sig: challenge.sig, ok, rehash };
    internal::call(env, site, steps.finish, call().json(&finish)?).await
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
    crate::config_checks::validate_config(&config)?;
    let stored: BTreeMap<String, StoredPassword> = match config.agents.iter().any(|a| a.password.is_some()) {
        true => {
            let mut answer = internal::call(env, site, Route::Passwords, Call::default()).await?;
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
