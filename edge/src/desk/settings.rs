//! The settings in the Desk: the one way a configuration is saved (the operator's `PUT config`,
//! a new site, an owner's or admin's save from the console), who may save from the console
//! (owners and admins, by agent token), the version a save must name, the history of changes,
//! and identity keys masked on their way to a browser.

use protocol::settings::{
    ContactSearch, ContactsImported, ContactsPage, FieldChange, IdentityKeys, RefusedContact, SaveEffect, SaveImpact,
    SettingsChange, SettingsSave, SettingsView, MASK_PREFIX,
};
use protocol::{AgentRole, ContactImport, SiteConfig};
use routing::{AgentId, AgentStatus, ConfigImpact, Event};
use serde_json::Value;
use worker::Response;

use super::logins::Purpose;
use super::pipeline::refusal;
use super::{alive_since, now_ms, parse_json, routing_config, Desk, Who};
use crate::error::{EdgeError, EdgeResult};
use crate::internal::bodies::{ConfigPut, LoginFinish, SettingsPut};
use crate::internal::Caller;
use crate::secrets;

/// Who saved when the admin token did.
const OPERATOR: &str = "operator";

/// Contacts one search answer carries.
const CONTACTS_PAGE: u32 = 50;

/// Longest contact search, in characters.
const MAX_CONTACT_QUERY: usize = 64;

/// Most history rows one `settings/history` answer carries.
const HISTORY_PAGE: u32 = 200;

impl Desk {
    /// `PUT /admin/config`: the operator's save (no version to name: automation overwrites).
    pub(super) fn put_config(&self, body: &[u8]) -> EdgeResult<Response> {
        let put: ConfigPut = parse_json(body)?;
        let config = self.save_config(put, OPERATOR, None)?;
        Ok(Response::from_json(&config)?)
    }

    /// `POST /admin/create`: a new site's first config; a site that has one is `site_exists`.
    pub(super) fn create_site(&self, body: &[u8]) -> EdgeResult<Response> {
        if self.create_store()?.config()?.is_some() {
            return Err(EdgeError::SiteExists);
        }
        let put: ConfigPut = parse_json(body)?;
        let config = self.save_config(put, OPERATOR, None)?;
        Ok(Response::from_json(&config)?)
    }

    /// `GET /settings`: the config for an owner or admin, keys masked, with its version.
    pub(super) fn get_settings(&self, token: Option<String>) -> EdgeResult<Response> {
        let (you, role) = self.settings_agent(token)?;
        let mut config = self.config_with_locks()?;
        for key in secrets_mut(&mut config) {
            *key = mask(key);
        }
        let version = self.store()?.config_version()?;
        Ok(Response::from_json(&SettingsView { version, config, you, role })?)
    }

    /// `POST /settings/prepare`: refuses a save the agent may not make or that names an old
    /// version before the Worker spends time hashing its passwords, and hands the config back with
    /// its masked keys replaced by the stored keys they stand for.
    pub(super) fn prepare_settings(&self, token: Option<String>, body: &[u8]) -> EdgeResult<Response> {
        let (who, _) = self.settings_agent(token)?;
        let SettingsSave { version, mut config } = parse_json(body)?;
        self.check_version(version)?;
        self.check_roles(&who, &config)?;
        let mut stored = (*self.config()?).clone();
        let known: Vec<String> = secrets_mut(&mut stored).map(|k| k.clone()).collect();
        for key in secrets_mut(&mut config) {
            if key.starts_with(MASK_PREFIX) {
                *key = known
                    .iter()
                    .find(|k| mask(k) == *key)
                    .cloned()
                    .ok_or_else(|| EdgeError::BadRequest(format!("{key} is no key of this site")))?;
            }
        }
        Ok(Response::from_json(&config)?)
    }

    /// `PUT /settings`: an owner's or admin's save, at the version it was read at.
    pub(super) fn put_settings(&self, token: Option<String>, body: &[u8]) -> EdgeResult<Response> {
        let (who, _) = self.settings_agent(token)?;
        let SettingsPut { version, put } = parse_json(body)?;
        self.check_roles(&who, &put.config)?;
        self.save_config(put, &who, Some(version))?;
        let version = self.store()?.config_version()?;
        Ok(Response::from_json(&serde_json::json!({ "version": version }))?)
    }

    /// `GET /settings/history`: the saved changes, newest first.
    pub(super) fn settings_history(&self, token: Option<String>) -> EdgeResult<Response> {
        self.settings_agent(token)?;
        let changes: Vec<SettingsChange> = self.store()?.settings_history(HISTORY_PAGE)?;
        Ok(Response::from_json(&changes)?)
    }

    /// `PUT /settings/contacts`: CRM contacts an owner or admin imports. Each is checked
    /// (`protocol::checks::check_contact`); the good ones are written, the others come back with
    /// why, and the import is recorded in the history.
    pub(super) fn settings_contacts(&self, token: Option<String>, body: &[u8]) -> EdgeResult<Response> {
        let (who, _) = self.settings_agent(token)?;
        let ContactImport { contacts } = parse_json(body)?;
        let config = self.config()?;
        let mut answer = ContactsImported::default();
        let mut good = Vec::new();
        for (index, contact) in contacts.into_iter().enumerate() {
            match protocol::checks::check_contact(&contact, &config.agents) {
                Ok(()) => good.push(contact),
                Err(error) => answer.refused.push(RefusedContact {
                    index: u32::try_from(index).unwrap_or(u32::MAX),
                    id: contact.id,
                    error,
                }),
            }
        }
        let store = self.store()?;
        answer.written = u32::try_from(store.upsert_contacts(&good)?).unwrap_or(u32::MAX);
        let note = FieldChange {
            path: "contacts".into(),
            before: None,
            after: Some(format!("\"{} imported, {} refused\"", answer.written, answer.refused.len())),
        };
        let version = store.config_version()?;
        store.add_settings_change(version, now_ms(), &who, &serde_json::to_string(&[note])?)?;
        Ok(Response::from_json(&answer)?)
    }

    /// `POST /settings/contacts/search`: a page of the CRM contacts an owner or admin looks for.
    pub(super) fn search_contacts(&self, token: Option<String>, body: &[u8]) -> EdgeResult<Response> {
        self.settings_agent(token)?;
        let ask: ContactSearch = parse_json(body)?;
        if ask.q.chars().count() > MAX_CONTACT_QUERY {
            return Err(EdgeError::BadRequest(format!("a search is at most {MAX_CONTACT_QUERY} characters")));
        }
        let (contacts, total) = self.store()?.search_contacts(&ask.q, ask.offset, CONTACTS_PAGE)?;
        Ok(Response::from_json(&ContactsPage { contacts, total })?)
    }

    /// `POST /settings/impact`: what saving this config would do to open conversations, for the
    /// warning before the save (the routing core's own repair, [`routing::Desk::config_impact`]);
    /// a disabled agent leaves routing as a removed one does. A config the save would refuse has
    /// no effects to tell: the save says why.
    pub(super) fn settings_impact(&self, token: Option<String>, body: &[u8]) -> EdgeResult<Response> {
        self.settings_agent(token)?;
        let SettingsSave { config, .. } = parse_json(body)?;
        let Ok(mut next) = routing_config::to_routing(&config) else {
            return Ok(Response::from_json(&SaveImpact::default())?);
        };
        next.agents.retain(|a| !config.agents.iter().any(|c| c.disabled && c.id == a.id.as_str()));
        let before = self.config()?;
        let impact = self.with_core(|core| core.config_impact(&next))?;
        let group_name = |id: &str| {
            let named = before.groups.iter().chain(&config.groups).find(|g| g.id == id);
            named.map(|g| g.name.clone()).filter(|n| !n.is_empty()).unwrap_or_else(|| id.to_string())
        };
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let effects = impact
            .into_iter()
            .map(|effect| match effect {
                ConfigImpact::QueueMoves { group, queued, to } => SaveEffect::QueueMoves {
                    group_name: group_name(group.as_str()),
                    group: group.as_str().to_string(),
                    queued: count(queued),
                    to_name: group_name(to.as_str()),
                    to: to.as_str().to_string(),
                },
                ConfigImpact::AgentLeaves { agent, live, offered } => SaveEffect::AgentLeaves {
                    agent_name: before
                        .agents
                        .iter()
                        .find(|a| a.id == agent.as_str())
                        .map(|a| a.name.clone())
                        .unwrap_or_else(|| agent.as_str().to_string()),
                    agent: agent.as_str().to_string(),
                    live: count(live),
                    offered: count(offered),
                },
            })
            .collect();
        Ok(Response::from_json(&SaveImpact { effects })?)
    }

    /// `POST /settings/reveal/begin`: an owner or admin asks to see the identity keys in full; the
    /// hash of their own password is handed out as for a login (same per-IP limit, lock and count).
    pub(super) fn reveal_begin(&self, caller: &Caller, token: Option<String>) -> EdgeResult<Response> {
        let (who, _) = self.settings_agent(token)?;
        Ok(Response::from_json(&self.password_challenge(caller, who, Purpose::Reveal)?)?)
    }

    /// `POST /settings/reveal/finish`: the Worker's verdict on that password; a match gets the
    /// keys in full, and the history records who saw them.
    pub(super) fn reveal_finish(&self, token: Option<String>, body: &[u8]) -> EdgeResult<Response> {
        let (who, _) = self.settings_agent(token)?;
        let verdict: LoginFinish = parse_json(body)?;
        if verdict.agent != who {
            return Err(EdgeError::InvalidCredentials);
        }
        self.password_verdict(&verdict, Purpose::Reveal)?;
        let keys = self.config()?.identity.keys.clone();
        let store = self.store()?;
        let note =
            FieldChange { path: "identity.keys".into(), before: None, after: Some("\"(shown in full)\"".into()) };
        store.add_settings_change(store.config_version()?, now_ms(), &who, &serde_json::to_string(&[note])?)?;
        Ok(Response::from_json(&IdentityKeys { keys })?)
    }

    /// The config as stored, with `locked_until_ms` on agents locked after failed logins.
    pub(super) fn config_with_locks(&self) -> EdgeResult<SiteConfig> {
        let mut config = self.config()?.as_ref().clone();
        for (id, until) in self.store()?.locked_agents(now_ms())? {
            if let Some(agent) = config.agents.iter_mut().find(|a| a.id == id) {
                agent.locked_until_ms = Some(until);
            }
        }
        Ok(config)
    }

    /// The agent behind a settings call's token, when its role manages the settings: no token, an
    /// ended one or a disabled account is `unauthorized`; an agent without the role `forbidden`.
    fn settings_agent(&self, token: Option<String>) -> EdgeResult<(String, AgentRole)> {
        let (id, role) = self.signed_in_agent(token)?;
        if !role.manages_settings() {
            return Err(EdgeError::Forbidden);
        }
        Ok((id, role))
    }

    /// The agent an HTTP call's token belongs to, with its role (a session that is alive, of an
    /// account that is not disabled).
    pub(super) fn signed_in_agent(&self, token: Option<String>) -> EdgeResult<(String, AgentRole)> {
        let token = token.filter(|t| t.starts_with("a_")).ok_or(EdgeError::Unauthorized)?;
        let hash = secrets::token_hash(&token);
        let config = self.config()?;
        let idle = config.sessions.agent_idle_secs;
        let agent = self.store()?.agent_by_token(&hash, alive_since(now_ms(), idle))?.ok_or(EdgeError::Unauthorized)?;
        if !self.agent_session_alive(&hash)? {
            return Err(EdgeError::Unauthorized);
        }
        let account = config.agents.iter().find(|a| a.id == agent.id && !a.disabled).ok_or(EdgeError::Unauthorized)?;
        Ok((agent.id, account.role))
    }

    /// A save names the version it read; anything older is refused, nothing overwritten.
    fn check_version(&self, version: u64) -> EdgeResult<()> {
        let stored = self.store()?.config_version()?;
        if version == stored {
            Ok(())
        } else {
            Err(EdgeError::VersionConflict(stored))
        }
    }

    /// Owners are the operator's and each other's to change: an admin may not grant the owner
    /// role, nor change, disable or remove an owner. A save keeps at least one enabled owner when
    /// the site had one, and nobody removes their own right to the settings.
    fn check_roles(&self, who: &str, config: &SiteConfig) -> EdgeResult<()> {
        let before = self.config()?;
        let role_of = |c: &SiteConfig| c.agents.iter().find(|a| a.id == who).map(|a| a.role).unwrap_or_default();
        let saver = role_of(&before);
        let forbidden = |why: &str| Err(EdgeError::BadRequest(why.to_string()));
        if saver != AgentRole::Owner {
            for old in before.agents.iter().filter(|a| a.role == AgentRole::Owner) {
                let kept = config.agents.iter().find(|a| a.id == old.id);
                let unchanged = kept.is_some_and(|new| {
                    new.role == old.role
                        && new.disabled == old.disabled
                        && new.password.is_none()
                        && new.name == old.name
                        && new.max_sessions == old.max_sessions
                });
                if !unchanged {
                    return forbidden(&format!("agents: only an owner may change the owner {}", old.id));
                }
            }
            let new_owner = config.agents.iter().any(|a| {
                a.role == AgentRole::Owner
                    && !before.agents.iter().any(|old| old.id == a.id && old.role == AgentRole::Owner)
            });
            if new_owner {
                return forbidden("agents: only an owner may make someone an owner");
            }
        }
        let had_owner = before.agents.iter().any(|a| a.role == AgentRole::Owner && !a.disabled);
        if had_owner && !config.agents.iter().any(|a| a.role == AgentRole::Owner && !a.disabled) {
            return forbidden("agents: the site keeps at least one enabled owner");
        }
        let keeps_own = config.agents.iter().any(|a| a.id == who && !a.disabled && a.role.manages_settings());
        if !keeps_own {
            return forbidden("agents: you cannot remove your own access to the settings");
        }
        Ok(())
    }

    /// The one way a configuration is saved: checked, stored at the next version (refused when
    /// `expected` names another), recorded in the history, and put into effect. Ends the sessions
    /// the change makes invalid: every session of an agent whose password changed, who is disabled
    /// or removed, and every verified visitor's session when a site key is removed (its sockets
    /// are closed too).
    fn save_config(&self, put: ConfigPut, who: &str, expected: Option<u64>) -> EdgeResult<SiteConfig> {
        let ConfigPut { mut config, passwords } = put;
        crate::config_checks::validate_config(&config)?;
        if config.agents.iter().any(|a| a.password.is_some()) {
            return Err(EdgeError::Internal("a password reached the Desk unhashed".into()));
        }
        let store = self.create_store()?;
        if let Some(expected) = expected {
            self.check_version(expected)?;
        }
        let before = store.config()?;
        let mut ended: Vec<String> = Vec::new();
        for agent in &mut config.agents {
            agent.locked_until_ms = None;
            if passwords.contains_key(&agent.id) && store.agent_login(&agent.id)?.is_some() {
                ended.push(agent.id.clone());
            }
            if agent.disabled {
                ended.push(agent.id.clone());
            }
        }
        if let Some(before) = &before {
            let gone = before.agents.iter().filter(|old| !config.agents.iter().any(|a| a.id == old.id));
            ended.extend(gone.map(|a| a.id.clone()));
        }
        let key_removed = before.as_ref().is_some_and(|before| {
            before.identity.keys.iter().any(|old| !config.identity.keys.iter().any(|k| k.trim() == old.trim()))
        });
        let routing_config = routing_config::to_routing(&config)?;
        store.put_config(&config, &passwords)?;
        let version = store.config_version()?;
        let mut changes = changes(before.as_ref(), &config);
        changes.extend(passwords.keys().map(|agent| FieldChange {
            path: format!("agents[{agent}].password"),
            before: None,
            after: Some("\"(changed)\"".into()),
        }));
        store.add_settings_change(version, now_ms(), who, &serde_json::to_string(&changes)?)?;
        for agent in &ended {
            store.end_agent_sessions(agent)?;
        }
        if key_removed {
            store.end_verified_visitor_sessions()?;
        }
        *self.config.borrow_mut() = None;
        self.agent_touched.borrow_mut().clear();
        // Names, plugins and session groups on the board follow the new settings at once.
        self.lists_changed();
        if self.core.borrow().is_some() {
            refusal(&self.route(Event::ConfigUpdate(Box::new(routing_config)))?)?;
        }
        self.end_sockets(|who| match who {
            Who::Agent { agent_id, .. } => ended.contains(agent_id),
            Who::Visitor { verified, .. } => key_removed && *verified,
            Who::Pending { .. } => false,
        });
        // A disabled agent leaves routing as a log-out would: its conversations are handed on.
        for agent in config.agents.iter().filter(|a| a.disabled) {
            let id = AgentId(agent.id.clone());
            if !matches!(self.with_core(|core| core.agent_status(&id))?, None | Some(AgentStatus::Offline)) {
                self.route(Event::AgentLogout { agent: id })?;
            }
        }
        Ok(config)
    }
}

/// Every secret of a config: the identity keys and each mini-program's AppSecret, Token and
/// EncodingAESKey (masked on their way to a browser and in the history).
fn secrets_mut(config: &mut SiteConfig) -> impl Iterator<Item = &mut String> {
    let programs =
        config.mini_programs.iter_mut().flat_map(|m| [&mut m.app_secret, &mut m.token, &mut m.encoding_aes_key]);
    config.identity.keys.iter_mut().chain(programs).filter(|k| !k.is_empty())
}

/// A secret as a browser may see it: [`MASK_PREFIX`] and 12 hex digits of its SHA-256.
fn mask(key: &str) -> String {
    let hash = secrets::token_hash(key.trim());
    format!("{MASK_PREFIX}{}", &hash[..12])
}

/// What a save changed, setting by setting, keys masked.
fn changes(before: Option<&SiteConfig>, after: &SiteConfig) -> Vec<FieldChange> {
    let json = |config: Option<&SiteConfig>| {
        let mut config = config.cloned();
        if let Some(config) = &mut config {
            for key in secrets_mut(config) {
                *key = mask(key);
            }
        }
        config.and_then(|c| serde_json::to_value(c).ok())
    };
    if before.is_none() {
        // A new site: one line, not its whole config.
        let name = serde_json::to_string(&after.name).unwrap_or_default();
        return vec![FieldChange { path: "site".into(), before: None, after: Some(name) }];
    }
    let mut out = Vec::new();
    diff("", json(before).as_ref(), json(Some(after)).as_ref(), &mut out);
    out
}

/// Walks two JSON values and notes each leaf (or list) that differs. Lists of objects with an
/// `id` (agents, groups, entries) are compared by id, so one edited agent is one change.
fn diff(path: &str, before: Option<&Value>, after: Option<&Value>, out: &mut Vec<FieldChange>) {
    let join = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
    match (before, after) {
        (Some(a), Some(b)) if a == b => {}
        (None, None) => {}
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                diff(&join(key), a.get(key), b.get(key), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) if by_id(a) && by_id(b) => {
            let id = |v: &Value| v.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
            let mut ids: Vec<String> = a.iter().map(id).collect();
            ids.extend(b.iter().map(id).filter(|i| !a.iter().any(|v| v.get("id").and_then(Value::as_str) == Some(i))));
            for item in ids {
                let find =
                    |list: &[Value]| list.iter().find(|v| v.get("id").and_then(Value::as_str) == Some(&item)).cloned();
                diff(&format!("{path}[{item}]"), find(a).as_ref(), find(b).as_ref(), out);
            }
        }
        (a, b) => out.push(FieldChange {
            path: if path.is_empty() { "config".into() } else { path.to_string() },
            before: a.map(Value::to_string),
            after: b.map(Value::to_string),
        }),
    }
}

/// Whether every item of a list is an object with a string `id`.
fn by_id(list: &[Value]) -> bool {
    !list.is_empty() && list.iter().all(|v| v.get("id").and_then(Value::as_str).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{AgentConfig, SiteConfig};

    fn agent(id: &str, max: u32) -> AgentConfig {
        AgentConfig { id: id.into(), name: id.into(), max_sessions: max, ..AgentConfig::default() }
    }

    #[test]
    fn a_change_is_one_line_per_setting_and_agents_go_by_id() {
        let before =
            SiteConfig { name: "Shop".into(), agents: vec![agent("a", 3), agent("b", 3)], ..SiteConfig::default() };
        let mut after = before.clone();
        after.agents[1].max_sessions = 1;
        after.agents.insert(0, agent("c", 2));
        after.routing.prompts.texts.busy = Some("稍等".into());
        let paths: Vec<String> = changes(Some(&before), &after).into_iter().map(|c| c.path).collect();
        assert_eq!(paths, ["agents[b].max_sessions", "agents[c]", "routing.prompts.busy"]);
        let removed = SiteConfig { agents: vec![agent("a", 3)], ..before.clone() };
        let change = changes(Some(&before), &removed);
        assert_eq!(change.len(), 1);
        assert_eq!((change[0].path.as_str(), change[0].after.as_deref()), ("agents[b]", None));
        assert_eq!(changes(Some(&before), &before), Vec::new(), "no change, no line");
    }

    #[test]
    fn a_new_site_is_one_line_and_keys_never_show() {
        let site = SiteConfig { name: "Shop".into(), ..SiteConfig::default() };
        let created = changes(None, &site);
        assert_eq!((created[0].path.as_str(), created[0].after.as_deref()), ("site", Some("\"Shop\"")));
        let key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_string();
        let mut keyed = site.clone();
        keyed.identity.keys = vec![key.clone()];
        let text = serde_json::to_string(&changes(Some(&site), &keyed)).expect("serialisable");
        assert!(!text.contains(&key) && text.contains(MASK_PREFIX), "{text}");
        assert_eq!(mask(&key), mask(&format!(" {key} ")), "the same key masks alike");
        assert_ne!(mask(&key), mask("BBBB"));
    }
}
