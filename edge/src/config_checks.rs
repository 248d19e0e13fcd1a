//! Checks of a site config that both the Worker (before it hashes passwords) and the Desk (before
//! it stores the config) apply, so a config is refused the same way wherever it is sent.

use identity::{SiteIdentityConfig, SiteKey};
use protocol::{IdentitySettings, SessionSettings, SiteConfig};

use crate::error::{EdgeError, EdgeResult};

/// Refuses a site config the Desk cannot run (also checked by the Worker before it hashes passwords).
pub fn validate_config(config: &SiteConfig) -> EdgeResult<()> {
    protocol::checks::check_agents(&config.agents).map_err(|(_, why)| EdgeError::BadRequest(why))?;
    protocol::checks::check_plugins(config).map_err(|(field, why)| EdgeError::BadRequest(format!("{field}: {why}")))?;
    protocol::checks::check_entries(config).map_err(|(field, why)| EdgeError::BadRequest(format!("{field}: {why}")))?;
    protocol::checks::check_rules(config).map_err(|(field, why)| EdgeError::BadRequest(format!("{field}: {why}")))?;
    protocol::mini_program::check_mini_programs(&config.mini_programs)
        .map_err(|(field, why)| EdgeError::BadRequest(format!("{field}: {why}")))?;
    config.reply_quotas.check().map_err(|(field, why)| EdgeError::BadRequest(format!("{field}: {why}")))?;
    protocol::checks::check_workbench(config)
        .map_err(|(field, why)| EdgeError::BadRequest(format!("{field}: {why}")))?;
    protocol::checks::check_forms(config).map_err(|(field, why)| EdgeError::BadRequest(format!("{field}: {why}")))?;
    protocol::checks::check_group_choice(config)
        .map_err(|(field, why)| EdgeError::BadRequest(format!("{field}: {why}")))?;
    let seen: std::collections::HashSet<&str> = config.agents.iter().map(|a| a.id.as_str()).collect();
    // No field (or a blank one) would give every verified visitor the same match key; the widget's
    // `host` is the page's own claim, so identity needs an allow-list for every plugin.
    protocol::checks::check_identity(config)
        .map_err(|(field, why)| EdgeError::BadRequest(format!("{field}: {why}")))?;
    for (name, secs) in
        [("visitor_ttl_secs", config.sessions.visitor_ttl_secs), ("agent_idle_secs", config.sessions.agent_idle_secs)]
    {
        if !(1..=SessionSettings::MAX_SECS).contains(&secs) {
            return Err(EdgeError::BadRequest(format!(
                "sessions.{name} must be 1 to {} seconds",
                SessionSettings::MAX_SECS
            )));
        }
    }
    identity_config(&config.identity, 0)?;
    if let Some(bad) =
        config.allowed_origins.iter().find(|o| !protocol::checks::is_plain_origin(o.trim_end_matches('/')))
    {
        return Err(EdgeError::BadRequest(format!("allowed origins look like https://shop.example, not {bad:?}")));
    }
    if let Some(bad) =
        config.card_image_origins.iter().find(|o| !protocol::checks::is_plain_origin(o.trim_end_matches('/')))
    {
        return Err(EdgeError::BadRequest(format!(
            "card image origins look like https://img.shop.example, not {bad:?}"
        )));
    }
    for group in &config.groups {
        if let Some(unknown) = group.agents.iter().find(|id| !seen.contains(id.as_str())) {
            return Err(EdgeError::BadRequest(format!("group {} names unknown agent {unknown}", group.id)));
        }
    }
    // Checked when a config is saved (a stored one keeps loading: the core repairs what no longer
    // fits).
    if !config.groups.is_empty() {
        let known = |id: &str| config.groups.iter().any(|g| g.id == id);
        if let Some(rule) = config.routing.rules.iter().find(|r| !known(&r.group)) {
            return Err(EdgeError::BadRequest(format!(
                "rule {:?} sends to group {:?}, which does not exist",
                rule.name, rule.group
            )));
        }
        if let Some(group) = config.routing.fallback_group.as_deref().filter(|g| !known(g)) {
            return Err(EdgeError::BadRequest(format!("the fallback group {group:?} does not exist")));
        }
    }
    Ok(())
}

/// Builds the identity crate's settings from the site config as they stand at `now_ms` (the
/// replaced key of a rotation drops out when its time ends; `0` keeps every key, to check them).
pub fn identity_config(settings: &IdentitySettings, now_ms: u64) -> EdgeResult<SiteIdentityConfig> {
    let keys = settings
        .live_keys(now_ms)
        .map(SiteKey::from_b64)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| EdgeError::BadRequest(format!("identity key: {e}")))?;
    Ok(SiteIdentityConfig {
        keys,
        verification_fields: settings.verification_fields.clone(),
        require_identity: settings.require_identity,
        accept_ecb: settings.accept_ecb,
        accept_v2: settings.accept_v2,
        require_exp: settings.require_exp,
        auto_link: settings.auto_link,
    })
}
