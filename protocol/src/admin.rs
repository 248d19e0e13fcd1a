//! Admin API bodies: the site configuration a site owner writes with the admin token.

use serde::{Deserialize, Serialize};

/// Body of `PUT /api/v1/sites/{site}/config` (admin token required).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteConfig {
    /// Display name of the site.
    pub name: String,
    /// Greeting shown at the top of an empty conversation.
    pub greeting: String,
    /// Agent groups (e.g. 售前, 售后).
    pub groups: Vec<GroupConfig>,
    /// Agents of the site.
    pub agents: Vec<AgentConfig>,
}

/// One group of agents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupConfig {
    /// Group id (stable, used by entries and rules).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Agent ids in this group.
    pub agents: Vec<String>,
}

/// One agent account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentConfig {
    /// Login name and id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Password in the admin request; the Desk stores only a salted hash and never returns it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Most conversations the agent holds at once.
    pub max_sessions: u32,
}
