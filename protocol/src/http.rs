//! HTTP request and response bodies of the edge's JSON API.

use serde::{Deserialize, Serialize};

use crate::Channel;

/// Body of `POST /api/v1/sites/{site}/sessions`: a visitor opens (or resumes) a chat session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionRequest {
    /// Encrypted identity (`customParams`) from the site owner's server, if any.
    pub identity: Option<String>,
    /// Session token the browser kept from an earlier visit, so a guest keeps its history.
    pub resume_token: Option<String>,
    /// Locale the page asked for (`zh-CN`, `en`).
    pub locale: Option<String>,
    /// Entry id (designated agent or group) the visitor came through.
    pub entry: Option<String>,
    /// URL of the host page.
    pub page_url: Option<String>,
    /// Title of the host page.
    pub page_title: Option<String>,
    /// The referrer of the visit's first page (the loader keeps it for the visit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    /// The visit's first page (its `utm_*` parameters name the source and campaign).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landing_url: Option<String>,
    /// Origin of the host page that embeds the widget (checked against the site's allow-list).
    pub host_origin: Option<String>,
    /// `setCustomField` data: shown to agents, never used to decide who the visitor is.
    pub custom_fields: std::collections::BTreeMap<String, String>,
    /// Pre-chat form answers (field name to answer); routing rules may filter on them.
    pub pre_chat: std::collections::BTreeMap<String, String>,
    /// The group the visitor picked, when the site lets visitors pick (售前 / 售后).
    pub group: Option<String>,
    /// `web` or `mobile_web` (the widget knows whether the host viewport is phone-narrow).
    pub channel: Option<Channel>,
    /// The web plugin (`data-plugin`); absent: the site's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
}

/// Answer to a session request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionResponse {
    /// Stable id of the visitor within the site.
    pub visitor_id: String,
    /// The visitor's current conversation.
    pub conversation_id: String,
    /// Secret session token: sent in the first WebSocket frame, never in a URL.
    pub token: String,
    /// Whether the visitor proved its identity with a site token.
    pub verified: bool,
    /// Name shown for the visitor.
    pub visitor_name: String,
    /// What the widget needs to render for this site.
    pub config: WidgetConfig,
    /// The page's identity token was refused and the site does not require one: the visitor
    /// continues as a guest, the page hears the `error` event with this code, and agents see why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_refused: Option<ApiError>,
}

/// Per-site settings the widget renders with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WidgetConfig {
    /// Display name of the site, shown in the window title when no theme title is set.
    pub site_name: String,
    /// Greeting shown at the top of an empty conversation.
    pub greeting: String,
    /// Questions asked before the first message (empty: no pre-chat form).
    pub pre_chat: Vec<crate::admin::PreChatField>,
    /// Groups the visitor picks from before the chat starts (empty: no choice).
    pub groups: Vec<GroupChoice>,
    /// Quick-send card buttons (shown to verified visitors only, when the page gave cards).
    pub card_buttons: Vec<crate::admin::CardButton>,
    /// Largest image upload in bytes (checked before uploading, enforced by the edge).
    pub max_image_bytes: u64,
    /// Largest file upload in bytes (checked before uploading, enforced by the edge).
    pub max_file_bytes: u64,
}

/// A group the visitor may pick.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupChoice {
    /// Group id.
    pub id: String,
    /// Display name (售前, 售后).
    pub name: String,
}

/// Body of `POST /api/v1/sites/{site}/agents/login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentLoginRequest {
    /// Agent login name.
    pub agent: String,
    /// Agent password (checked against a stored hash).
    pub password: String,
}

/// Body of `POST .../agents/logout`: the console ends its session (the token stops working at once,
/// and the sockets it opened are closed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentLogoutRequest {
    /// The agent token to end.
    pub token: String,
}

/// Answer to a successful agent login.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentLoginResponse {
    /// Agent id.
    pub agent_id: String,
    /// Display name.
    pub name: String,
    /// Secret agent token for the agent WebSocket's first frame.
    pub token: String,
    /// Whether the agent sees the whole site's figures and manages shared phrases (admins and
    /// owners).
    #[serde(default)]
    pub admin: bool,
    /// The agent's role; admins and owners also manage the settings.
    #[serde(default)]
    pub role: crate::AgentRole,
}

/// Whether an upload is shown inline (an image) or offered as a download (any other file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadKind {
    /// PNG, JPEG, GIF or WebP, recognised by content.
    Image,
    /// PDF, Office document, ZIP or plain text, recognised by content.
    File,
}

/// Answer to `POST /api/v1/sites/{site}/uploads`, and an upload's metadata wherever the Desk
/// returns it to a participant of the upload's conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadResponse {
    /// Upload id; a message of kind `image` or `file` refers to it.
    pub upload_id: String,
    /// File name the uploader gave (without any directory part).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Content type recognised from the bytes (not from the name).
    pub content_type: String,
    /// Image or file.
    pub kind: UploadKind,
    /// Signed, short-lived download path (`/api/v1/sites/{site}/uploads/{id}?exp=..&sig=..`) that
    /// works without a token, e.g. in `<img src>`.
    pub url: String,
}

impl UploadResponse {
    /// The message that shows this upload: an image inline, any other file as a download.
    pub fn into_body(self) -> crate::MessageBody {
        let UploadResponse { upload_id, name, size, content_type, kind, .. } = self;
        match kind {
            UploadKind::Image => crate::MessageBody::Image { upload_id, name, size, content_type },
            UploadKind::File => crate::MessageBody::File { upload_id, name, size, content_type },
        }
    }
}

/// The error shape every endpoint answers with: `{"error":{"code","message"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error itself.
    pub error: ApiError,
}

/// A stable, machine-readable error code with a human-readable message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable code, e.g. `identity_invalid`.
    pub code: String,
    /// Human-readable explanation; never contains internals.
    pub message: String,
}

impl ErrorBody {
    /// Builds an error body from a code and a message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { error: ApiError { code: code.into(), message: message.into() } }
    }
}
