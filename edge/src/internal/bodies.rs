//! The bodies only the Worker and the Desk exchange (internal routes): logins, the config with
//! hashed passwords, and the upload grants and records.

use std::collections::BTreeMap;

use protocol::{SiteConfig, UploadKind, UploadResponse, UploadSettings};
use serde::{Deserialize, Serialize};

use crate::secrets::StoredPassword;

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

/// Body of `https://desk/embed`: which plugin the widget page is for (absent: the default).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EmbedAsk {
    /// The snippet's `data-plugin`.
    pub plugin: Option<String>,
}

/// The Desk's answer to `embed`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Embed {
    /// The pages that may frame the widget (empty: any).
    pub origins: Vec<String>,
    /// The plugin's theme tokens, as the widget reads `data-theme` (absent: none set).
    pub theme: Option<serde_json::Value>,
}

/// Body of `https://desk/settings` (PUT): a console save, its passwords hashed by the Worker.
#[derive(Debug, Serialize, Deserialize)]
pub struct SettingsPut {
    /// The version the settings were read at.
    pub version: u64,
    /// The config and the new password hashes.
    pub put: ConfigPut,
}

/// What the Desk grants before an upload (`https://desk/uploads/authorize`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Grant {
    /// Conversation the upload goes into.
    pub conversation_id: String,
    /// Who uploads (`visitor:ID` or `agent:ID`).
    pub uploader: String,
    /// The new upload's id.
    pub upload_id: String,
    /// Object key in R2.
    pub key: String,
    /// The site's size caps.
    pub caps: UploadSettings,
}

/// Body of `https://desk/uploads/authorize`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct AuthorizeRequest {
    /// Conversation named by the uploader (`?conversation=`); agents must name one.
    pub conversation_id: Option<String>,
}

/// What the Worker asks the Desk to record once the bytes are in R2 (`https://desk/uploads/record`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Record {
    /// The grant the upload was made under.
    pub grant: Grant,
    /// Image or file, by content.
    pub kind: UploadKind,
    /// Cleaned file name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Content type recognised from the bytes.
    pub content_type: String,
}

/// Body of `https://desk/uploads/access`: a download by token (header) or by signed link.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct AccessRequest {
    /// Upload id from the path.
    pub upload_id: String,
    /// Expiry of a signed link, unix seconds.
    pub exp: Option<u64>,
    /// Signature of a signed link (hex HMAC-SHA256 over `site|id|exp`).
    pub sig: Option<String>,
    /// For `GET .../meta`, which hands out a fresh link: a bearer token is required.
    #[serde(default)]
    pub meta: bool,
}

/// The Desk's answer to an allowed download.
#[derive(Debug, Serialize, Deserialize)]
pub struct Access {
    /// Object key in R2.
    pub key: String,
    /// The upload's metadata: with a fresh signed link for a token, with the caller's own link
    /// for a signed link (a link never makes a longer-lived one).
    pub upload: UploadResponse,
    /// How long the caller's browser may cache the bytes, in seconds.
    pub max_age: u64,
}

/// What the Worker forwards of a push to `/api/v1/sites/{site}/wechat/{app_id}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct WechatCall {
    /// The mini-program the push is for (the path's last segment).
    pub app_id: String,
    /// `GET` (the URL check) or `POST` (a push).
    pub method: String,
    /// The URL's query: `signature`, `timestamp`, `nonce`, and `echostr`, `encrypt_type`,
    /// `msg_signature`, `openid` as WeChat sends them.
    pub query: BTreeMap<String, String>,
    /// The body, as text.
    pub body: String,
}

/// The Desk's answer to a [`WechatCall`]: the text WeChat gets (`echostr`, or `success`), and a
/// user's image for the Worker to fetch once WeChat has it.
#[derive(Debug, Serialize, Deserialize)]
pub struct WechatAnswer {
    /// What WeChat gets.
    pub text: String,
    /// An image to fetch after answering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<MediaJob>,
}

/// A mini-program user's image: where WeChat serves it and where it goes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MediaJob {
    /// The user's conversation.
    pub conversation_id: String,
    /// The visitor the user is.
    pub visitor_id: String,
    /// The message's client id (`wx{MsgId}`).
    pub client_id: String,
    /// WeChat's link to the image.
    pub pic_url: String,
    /// The mini-program the user wrote to.
    #[serde(default)]
    pub app_id: String,
    /// WeChat's id of the image (`MediaId`), for `cgi-bin/media/get` when the link fails.
    #[serde(default)]
    pub media_id: String,
    /// The upload the image becomes.
    pub upload_id: String,
    /// Its key in R2.
    pub r2_key: String,
    /// The site's largest image, in bytes.
    pub max_bytes: u64,
}

/// What the Worker hands the Desk after fetching a [`MediaJob`]'s image.
#[derive(Debug, Serialize, Deserialize)]
pub struct MediaDone {
    /// The job.
    pub job: MediaJob,
    /// The image as stored in R2 (size, content type), or `None`: it could not be fetched as an
    /// image (the message then carries WeChat's link).
    pub stored: Option<(u64, String)>,
}
