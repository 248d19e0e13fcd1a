//! The back office's Worker half: an owner's or admin's settings from the console (read, save at
//! a version, history) and the operator's site creation. The Desk decides who may; the Worker
//! hashes new passwords (as for `PUT config`) only after the Desk has said yes.

use protocol::settings::{RevealKeys, SiteCreate, SiteCreated};
use protocol::{AgentConfig, AgentRole, SiteConfig};
use serde::Deserialize;
use worker::{Env, Response};

use crate::error::{EdgeError, EdgeResult};
use crate::internal::bodies::{ConfigPut, SettingsPut};
use crate::internal::{self, Call, Caller, Route};
use crate::{login, secrets, sites};

/// Conversations an owner made with a new site may hold at once (changed in Settings → Agents).
const OWNER_MAX_SESSIONS: u32 = 5;

/// `GET settings` and `GET settings/history`: the Desk answers for the token.
pub async fn read(env: &Env, site: &str, caller: &Caller, token: Option<String>, route: Route) -> EdgeResult<Response> {
    let token = token.ok_or(EdgeError::Unauthorized)?;
    internal::call(env, site, route, Call { token: Some(&token), ..Call::from(caller) }).await
}

/// `PUT settings`: the Desk checks the agent, the version and the roles first (and restores masked
/// keys); then the Worker hashes any new password; then the Desk saves, checking the version again
/// (another save may have landed while the passwords were hashed).
pub async fn save(
    env: &Env,
    site: &str,
    caller: &Caller,
    token: Option<String>,
    body: Vec<u8>,
) -> EdgeResult<Response> {
    #[derive(Deserialize)]
    struct Version {
        version: u64,
    }
    let token = token.ok_or(EdgeError::Unauthorized)?;
    let Version { version } =
        serde_json::from_slice(&body).map_err(|e| EdgeError::BadRequest(format!("invalid JSON body: {e}")))?;
    let call = || Call { token: Some(&token), ..Call::from(caller) };
    let mut prepared = internal::call(env, site, Route::PrepareSettings, call().body(body.clone())).await?;
    if prepared.status_code() != 200 {
        return Ok(prepared);
    }
    let config = prepared.bytes().await?;
    let hashed = login::hash_config_passwords(&config, env, site).await?;
    let put: ConfigPut = serde_json::from_slice(&hashed)?;
    internal::call(env, site, Route::PutSettings, call().json(&SettingsPut { version, put })?).await
}

/// `POST settings/identity/reveal`: the site's identity keys in full, for an owner or admin who
/// types their own password again (checked like a login: the same limits, lock and count).
pub async fn reveal_keys(
    env: &Env,
    site: &str,
    caller: &Caller,
    token: Option<String>,
    body: &[u8],
) -> EdgeResult<Response> {
    let token = token.ok_or(EdgeError::Unauthorized)?;
    let ask: RevealKeys =
        serde_json::from_slice(body).map_err(|e| EdgeError::BadRequest(format!("invalid JSON body: {e}")))?;
    let steps = login::Steps { begin: Route::RevealBegin, finish: Route::RevealFinish, token: Some(&token) };
    login::check_password(env, site, caller, steps, Vec::new(), &ask.password).await
}

/// The operator's `POST /api/v1/sites/{site}`: a new site whose one owner gets a one-time
/// password, shown in this answer only.
pub async fn create_site(env: &Env, site: &str, caller: &Caller, body: &[u8]) -> EdgeResult<Response> {
    let ask: SiteCreate =
        serde_json::from_slice(body).map_err(|e| EdgeError::BadRequest(format!("invalid JSON body: {e}")))?;
    let owner = ask.owner.trim().to_string();
    let password = secrets::random_hex(10)?;
    let config = SiteConfig {
        name: ask.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| site.to_string()),
        agents: vec![AgentConfig {
            name: ask.owner_name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| owner.clone()),
            id: owner.clone(),
            password: Some(password.clone()),
            max_sessions: OWNER_MAX_SESSIONS,
            role: AgentRole::Owner,
            ..AgentConfig::default()
        }],
        ..SiteConfig::default()
    };
    let hashed = login::hash_config_passwords(&serde_json::to_vec(&config)?, env, site).await?;
    let answer = internal::call(env, site, Route::CreateSite, Call::from(caller).body(hashed)).await?;
    if answer.status_code() != 200 {
        return Ok(answer);
    }
    sites::register(env, site).await?;
    let created = SiteCreated {
        site: site.to_string(),
        owner,
        password,
        console_url: format!("{}/console/?site={site}", caller.own_origin),
    };
    Ok(Response::from_json(&created)?.with_status(201))
}
