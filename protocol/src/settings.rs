//! The back office's bodies: the settings an owner or admin reads and saves from the console
//! (`GET|PUT /api/v1/sites/{site}/settings`, agent token), their history, and the operator's
//! `POST /api/v1/sites/{site}` that creates a site with its first owner.

use serde::{Deserialize, Serialize};

use crate::admin::SiteConfig;
use crate::AgentRole;

/// What `GET settings` answers: the site's configuration at a version. Identity keys come back
/// masked ([`MASK_PREFIX`] and a fingerprint); a save that sends a masked key back keeps the
/// stored key it stands for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsView {
    /// The version this configuration is; a save names it.
    pub version: u64,
    /// The configuration (passwords never, identity keys masked).
    pub config: SiteConfig,
    /// The signed-in agent's id.
    pub you: String,
    /// The signed-in agent's role.
    pub role: AgentRole,
}

/// Body of `PUT settings`: the whole configuration and the version it was read at. A save over a
/// newer version is refused with `409 version_conflict`; nothing is overwritten.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsSave {
    /// The version the configuration was read at.
    pub version: u64,
    /// The configuration to keep; an agent's `password` is set only to change it.
    pub config: SiteConfig,
}

/// One saved change of the settings (`GET settings/history`, newest first).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsChange {
    /// The version the save made.
    pub version: u64,
    /// When, unix milliseconds.
    pub at_ms: u64,
    /// Who: an agent id, or `operator` for the admin token.
    pub who: String,
    /// What changed, one entry per changed setting.
    pub changes: Vec<FieldChange>,
}

/// One changed setting: its path in the configuration (`routing.prompts.busy`, `agents[kf2]`)
/// and its JSON text before and after (absent: it did not exist). Secrets are masked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FieldChange {
    /// Where in the configuration.
    pub path: String,
    /// The value before, as JSON text.
    pub before: Option<String>,
    /// The value after, as JSON text.
    pub after: Option<String>,
}

/// Body of the operator's `POST /api/v1/sites/{site}` (admin token): a new site and its first
/// owner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteCreate {
    /// The owner's login name.
    pub owner: String,
    /// The owner's display name (default: the login).
    pub owner_name: Option<String>,
    /// The site's display name (default: the site id).
    pub name: Option<String>,
}

/// Answer to a site creation: the owner's one-time password (shown once, never stored in clear)
/// and where to sign in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteCreated {
    /// The site id.
    pub site: String,
    /// The owner's login.
    pub owner: String,
    /// The owner's password; change it in Settings → Agents.
    pub password: String,
    /// The console's address for this site.
    pub console_url: String,
}

/// How a masked identity key starts (`masked:` and the first 12 hex digits of its SHA-256).
pub const MASK_PREFIX: &str = "masked:";

/// Whether a key as shown in the settings is a masked stored key.
pub fn is_masked(key: &str) -> bool {
    key.starts_with(MASK_PREFIX)
}

/// Answer to an import of CRM contacts from the settings (`PUT settings/contacts`): how many
/// were written, and each refused one with why (the others are written all the same).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactsImported {
    /// Contacts written (new or updated).
    pub written: u32,
    /// Contacts refused.
    pub refused: Vec<RefusedContact>,
}

/// One refused contact of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RefusedContact {
    /// Its place in the import (0-based).
    pub index: u32,
    /// Its id as given.
    pub id: String,
    /// Why.
    pub error: String,
}

/// Body of `POST /api/v1/sites/{site}/settings/identity/reveal` (agent token): the signed-in
/// owner's or admin's own password, asked again before the identity keys are shown in full.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RevealKeys {
    /// The password.
    pub password: String,
}

/// The answer to `settings/identity/reveal`: the site's identity keys, in full.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IdentityKeys {
    /// The keys, base64, current key first.
    pub keys: Vec<String>,
}

/// What saving a config would do to open conversations, said before it is saved (the answer to
/// `POST /api/v1/sites/{site}/settings/impact`, whose body is a [`SettingsSave`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SaveImpact {
    /// One line per group or agent whose conversations move; empty: none does.
    pub effects: Vec<SaveEffect>,
}

/// One thing a save does to open conversations, externally tagged (`{"queue_moves": {...}}`):
/// an internally tagged enum would make every browser that reads it carry serde's buffering code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaveEffect {
    /// A removed group's waiting conversations move to the fallback group, in their order.
    QueueMoves {
        /// The removed group's id.
        group: String,
        /// Its name.
        group_name: String,
        /// Conversations waiting in it.
        queued: u32,
        /// The fallback group's id.
        to: String,
        /// Its name.
        to_name: String,
    },
    /// A removed or disabled agent's conversations: the live ones wait for re-accept (the
    /// visitor's next message routes them again), the offered ones are routed again at once.
    AgentLeaves {
        /// The agent's id.
        agent: String,
        /// Its name.
        agent_name: String,
        /// Conversations it holds.
        live: u32,
        /// Conversations offered to it.
        offered: u32,
    },
}

/// What `GET /api/v1/sites/{site}/settings/contacts?q=&offset=` asks for (and the body of the
/// Desk's internal search): contacts whose id, name or phone contains `q`, from `offset` on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactSearch {
    /// Text to find (in the id, the name, or the phone's digits); empty: every contact.
    pub q: String,
    /// How many matches to skip (the next page).
    pub offset: u32,
}

/// One page of CRM contacts found, in id order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactsPage {
    /// The contacts (phones as stored: digits only).
    pub contacts: Vec<crate::Contact>,
    /// How many contacts match in all.
    pub total: u32,
}
