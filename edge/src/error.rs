//! The edge's one error type and its one mapping to an HTTP response.

use protocol::ErrorBody;
use worker::Response;

/// Everything that can go wrong at the edge, each with a stable code.
#[derive(Debug)]
pub enum EdgeError {
    /// The path matches no endpoint.
    NotFound,
    /// The endpoint exists but not for this method.
    MethodNotAllowed,
    /// The site id is not of the allowed form.
    InvalidSite,
    /// The site has no configuration yet.
    SiteNotFound,
    /// The request body is not what the endpoint takes.
    BadRequest(String),
    /// The request body is larger than the endpoint accepts.
    PayloadTooLarge,
    /// A message text is longer than allowed.
    MessageTooLong,
    /// The credentials (token, admin token) are missing or wrong.
    Unauthorized,
    /// Agent name or password is wrong.
    InvalidCredentials,
    /// Too many failed logins for this agent account; retry after this many seconds.
    AccountLocked(u32),
    /// A conversation that does not exist or is not the caller's.
    ConversationNotFound,
    /// The visitor's identity token was refused (the code says why).
    Identity(identity::IdentityError),
    /// The request comes from a page origin the site does not allow.
    OriginNotAllowed,
    /// Too many requests; retry after this many seconds.
    RateLimited(u32),
    /// Too many open sockets from one address, or of one visitor.
    TooManySockets,
    /// A socket sent no `auth` frame in time.
    AuthTimeout,
    /// An upload is larger than the site allows for its kind; the cap in bytes.
    UploadTooLarge(u64),
    /// The conversation holds as many uploads (or bytes of them) as the site allows.
    UploadQuota,
    /// An upload's content is not an allowed type (or not what its name says).
    UnsupportedType,
    /// An upload without `Content-Length`.
    LengthRequired,
    /// An upload that does not exist or that the message's conversation does not own.
    UploadNotFound,
    /// The caller is known but may not see this (another conversation's upload, a bad signature).
    Forbidden,
    /// A signed download link past its expiry.
    LinkExpired,
    /// The entry id names no designated agent or group of this site.
    UnknownEntry,
    /// Pre-chat answers (or the picked group) that the site's form does not accept; says which.
    PreChatInvalid(String),
    /// Only verified visitors (and agents) may send quick-send cards.
    CardNotAllowed,
    /// The routing core refused the request (e.g. `already_accepted`, `not_holder`).
    Routing {
        /// The core's stable code.
        code: &'static str,
        /// Its explanation.
        message: String,
    },
    /// A settings save named a version older than the stored one (someone else saved meanwhile).
    VersionConflict(u64),
    /// A site creation named a site that already exists.
    SiteExists,
    /// A push names a mini-program the site does not have.
    UnknownMiniProgram,
    /// WeChat's message push failed a check (signature, decryption, format).
    Wechat(wechat::WechatError),
    /// An unexpected platform failure; details are logged, never returned.
    Internal(String),
}

impl From<wechat::WechatError> for EdgeError {
    fn from(err: wechat::WechatError) -> Self {
        Self::Wechat(err)
    }
}

impl EdgeError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::InvalidSite => "invalid_site",
            Self::SiteNotFound => "site_not_found",
            Self::BadRequest(_) => "bad_request",
            Self::PayloadTooLarge => "payload_too_large",
            Self::MessageTooLong => "message_too_long",
            Self::Unauthorized => "unauthorized",
            Self::InvalidCredentials => "invalid_credentials",
            Self::AccountLocked(_) => "account_locked",
            Self::ConversationNotFound => "conversation_not_found",
            Self::Identity(err) => err.code(),
            Self::OriginNotAllowed => "origin_not_allowed",
            Self::RateLimited(_) => "rate_limited",
            Self::TooManySockets => "too_many_sockets",
            Self::AuthTimeout => "auth_timeout",
            Self::UploadTooLarge(_) => "upload_too_large",
            Self::UploadQuota => "upload_quota_exceeded",
            Self::UnsupportedType => "unsupported_type",
            Self::LengthRequired => "length_required",
            Self::UploadNotFound => "upload_not_found",
            Self::Forbidden => "forbidden",
            Self::LinkExpired => "link_expired",
            Self::UnknownEntry => "unknown_entry",
            Self::PreChatInvalid(_) => "pre_chat_invalid",
            Self::CardNotAllowed => "card_not_allowed",
            Self::Routing { code, .. } => code,
            Self::VersionConflict(_) => "version_conflict",
            Self::SiteExists => "site_exists",
            Self::UnknownMiniProgram => "unknown_mini_program",
            // One code for every decryption failure: a wrong key, padding or AppID look alike.
            Self::Wechat(err) => match err {
                wechat::WechatError::BadSignature => "wechat_bad_signature",
                wechat::WechatError::Replayed => "wechat_replayed",
                wechat::WechatError::Malformed(_) => "wechat_malformed",
                _ => "wechat_undecryptable",
            },
            Self::Internal(_) => "internal",
        }
    }

    /// The HTTP status that goes with the code.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound | Self::SiteNotFound | Self::ConversationNotFound | Self::UploadNotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::InvalidSite | Self::BadRequest(_) => 400,
            Self::PayloadTooLarge | Self::UploadTooLarge(_) | Self::UploadQuota => 413,
            Self::UnsupportedType => 415,
            Self::LengthRequired => 411,
            Self::MessageTooLong | Self::PreChatInvalid(_) => 422,
            Self::Unauthorized | Self::InvalidCredentials => 401,
            Self::Identity(err) => err.http_status(),
            Self::OriginNotAllowed | Self::Forbidden | Self::LinkExpired | Self::CardNotAllowed => 403,
            Self::RateLimited(_) | Self::AccountLocked(_) | Self::TooManySockets => 429,
            Self::AuthTimeout => 408,
            Self::UnknownEntry => 404,
            Self::Routing { .. } | Self::VersionConflict(_) | Self::SiteExists => 409,
            Self::UnknownMiniProgram => 404,
            Self::Wechat(wechat::WechatError::BadSignature | wechat::WechatError::Replayed) => 401,
            Self::Wechat(_) => 400,
            Self::Internal(_) => 500,
        }
    }

    /// A message safe to show to the client.
    pub fn message(&self) -> String {
        match self {
            Self::NotFound => "no such endpoint".into(),
            Self::MethodNotAllowed => "method not allowed here".into(),
            Self::InvalidSite => "site id must be 1-64 characters of a-z, 0-9, - and _".into(),
            Self::SiteNotFound => "this site is not configured".into(),
            Self::BadRequest(why) => why.clone(),
            Self::PayloadTooLarge => "request body too large".into(),
            Self::MessageTooLong => format!("messages are limited to {} characters", protocol::MAX_TEXT_CHARS),
            Self::Unauthorized => "missing or invalid token".into(),
            Self::InvalidCredentials => "wrong agent name or password".into(),
            Self::AccountLocked(secs) => {
                format!("too many failed logins for this account, retry in {secs} s")
            }
            Self::ConversationNotFound => "no such conversation".into(),
            Self::Identity(err) => err.message().into(),
            Self::OriginNotAllowed => "this page is not allowed to embed the chat of this site".into(),
            Self::RateLimited(secs) => format!("too many requests, retry in {secs} s"),
            Self::TooManySockets => "too many open connections; close some or try again later".into(),
            Self::AuthTimeout => format!("no auth frame within {} s", protocol::AUTH_TIMEOUT_MS / 1000),
            Self::UploadTooLarge(cap) => format!("this upload is larger than this site's limit of {cap} bytes"),
            Self::UploadQuota => "this conversation already holds as many files as this site allows".into(),
            Self::UnsupportedType => {
                "only PNG, JPEG, GIF, WebP images and PDF, Office, ZIP or plain-text files can be uploaded".into()
            }
            Self::LengthRequired => "uploads need a Content-Length header".into(),
            Self::UploadNotFound => "no such upload in this conversation".into(),
            Self::Forbidden => "not allowed".into(),
            Self::LinkExpired => "this download link has expired".into(),
            Self::UnknownEntry => "this entry does not exist on this site".into(),
            Self::PreChatInvalid(why) => why.clone(),
            Self::CardNotAllowed => "only verified visitors can send cards".into(),
            Self::Routing { message, .. } => message.clone(),
            Self::VersionConflict(now) => format!(
                "someone else changed these settings (now version {now}) after you opened them: reload to see their change, then make yours again"
            ),
            Self::SiteExists => "this site already exists".into(),
            Self::UnknownMiniProgram => "this site has no such mini-program".into(),
            Self::Wechat(wechat::WechatError::Malformed(why)) => format!("not a WeChat push: {why}"),
            Self::Wechat(wechat::WechatError::BadSignature) => "the push's signature does not match".into(),
            Self::Wechat(wechat::WechatError::Replayed) => {
                "the push is more than five minutes old, or its nonce came before with another body".into()
            }
            Self::Wechat(_) => "the push cannot be decrypted".into(),
            Self::Internal(_) => "internal error".into(),
        }
    }

    /// The JSON body `{"error":{"code","message"}}`.
    pub fn body(&self) -> ErrorBody {
        ErrorBody::new(self.code(), self.message())
    }

    /// Converts the error into its response; internal errors are logged here, the only place.
    pub fn into_response(self) -> worker::Result<Response> {
        if let Self::Internal(detail) = &self {
            worker::console_error!("internal error: {detail}");
        }
        let response = Response::from_json(&self.body())?.with_status(self.status());
        if let Self::RateLimited(secs) | Self::AccountLocked(secs) = self {
            response.headers().set("retry-after", &secs.to_string())?;
        }
        Ok(response)
    }
}

impl From<worker::Error> for EdgeError {
    fn from(err: worker::Error) -> Self {
        Self::Internal(err.to_string())
    }
}

impl From<serde_json::Error> for EdgeError {
    fn from(err: serde_json::Error) -> Self {
        Self::Internal(format!("json: {err}"))
    }
}

/// Result type of the edge's handlers.
pub type EdgeResult<T> = Result<T, EdgeError>;
