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
    /// Origins of the host pages allowed to embed the widget (e.g. `https://shop.example`);
    /// empty allows any page.
    pub allowed_origins: Vec<String>,
    /// How visitors prove who they are.
    pub identity: IdentitySettings,
}

/// Identity (`customParams`) settings of a site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IdentitySettings {
    /// Site keys, base64 (16, 24 or 32 bytes); two during a key rotation.
    pub keys: Vec<String>,
    /// Payload fields that identify a person (default `full_name` + `phone`).
    pub verification_fields: Vec<String>,
    /// Refuse visitors without an identity token.
    pub require_identity: bool,
    /// Accept the compat AES/ECB hex format.
    pub accept_ecb: bool,
    /// Accept the `v2.` AES-256-GCM format.
    pub accept_v2: bool,
    /// Link verified visitors to the CRM contact with the same phone (or name + phone).
    pub auto_link: bool,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        Self {
            keys: Vec::new(),
            verification_fields: vec!["full_name".into(), "phone".into()],
            require_identity: false,
            accept_ecb: true,
            accept_v2: true,
            auto_link: false,
        }
    }
}

/// Body of `PUT /api/v1/sites/{site}/contacts` (admin token): CRM contacts to add or update.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactImport {
    /// The contacts; an existing id is updated.
    pub contacts: Vec<Contact>,
}

/// A CRM contact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Contact {
    /// Contact id in the site owner's CRM.
    pub id: String,
    /// Name.
    pub name: String,
    /// Phone (any formatting; matched on digits).
    pub phone: String,
    /// Agent who owns the contact.
    pub owner_agent: Option<String>,
    /// Customer (company/account) id the contact belongs to.
    pub customer_id: Option<String>,
    /// Agent who owns the customer.
    pub customer_owner: Option<String>,
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
