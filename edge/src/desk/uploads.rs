//! Uploads, the Desk's half: who may upload into which conversation, the record of each upload,
//! who may download it, and the signed short-lived links that stand in for a token in `<img src>`.
//!
//! The Worker (`upload.rs`) asks under internal paths: `/uploads/authorize` before any byte
//! moves, `/uploads/record` once the bytes are in R2, `/uploads/access` for every download. The
//! caller's bearer token arrives with the internal request (`internal::token_of`).

use hmac::{Hmac, Mac};
use protocol::{MessageBody, SessionSettings, UploadKind, UploadResponse};
use sha2::Sha256;
use worker::Response;

use super::store::{Store, UploadRow};
use super::{now_ms, parse_json, sessions, Desk};
use crate::error::{EdgeError, EdgeResult};
use crate::internal::bodies::{Access, AccessRequest, AuthorizeRequest, Grant, Record};
use crate::internal::Caller;
use crate::secrets;

/// Name of the download-link key in the Desk's `meta` table.
const LINK_KEY: &str = "upload_link_key";

/// Longest lifetime of a signed download link a site may set, in seconds.
const MAX_LINK_TTL_S: u64 = 24 * 60 * 60;

/// Who presents a token.
enum Principal {
    /// A visitor, with its open conversation ("" if none).
    Visitor { visitor_id: String, conversation_id: String },
    /// An agent of this site.
    Agent { agent_id: String },
}

impl Principal {
    /// The token's owner; tokens of other sites or roles, and sessions past their lifetime, are
    /// simply unknown here.
    fn of(store: &Store, sessions: &SessionSettings, token: &str) -> EdgeResult<Self> {
        let hash = secrets::token_hash(token);
        let alive_since = |secs: u64| now_ms().saturating_sub(secs.saturating_mul(1000));
        if token.starts_with("v_") {
            if let Some(found) = store.visitor_by_token(&hash, alive_since(sessions.visitor_ttl_secs))? {
                return Ok(Self::Visitor { visitor_id: found.visitor_id, conversation_id: found.conversation_id });
            }
        } else if token.starts_with("a_") {
            if let Some(agent) = store.agent_by_token(&hash, alive_since(sessions.agent_idle_secs))? {
                return Ok(Self::Agent { agent_id: agent.id });
            }
        }
        Err(EdgeError::Unauthorized)
    }

    /// Whether this principal takes part in a conversation of the site.
    fn may_see(&self, store: &Store, conversation_id: &str) -> EdgeResult<bool> {
        Ok(match self {
            Self::Visitor { visitor_id, .. } => {
                store.conversation(conversation_id, false)?.is_some_and(|(c, _)| &c.visitor_id == visitor_id)
            }
            // Every agent of the site may see every upload for now; once the routing core assigns
            // conversations, only the assigned agent (and supervisors) will.
            Self::Agent { .. } => true,
        })
    }
}

fn kind_name(kind: UploadKind) -> &'static str {
    match kind {
        UploadKind::Image => "image",
        UploadKind::File => "file",
    }
}

/// Most unused uploads deleted in one sweep.
const SWEEP_BATCH: u32 = 100;

impl Desk {
    /// `POST /uploads/authorize`: may this token upload, into which conversation, up to what size.
    pub(super) fn authorize_upload(
        &self,
        site: &str,
        caller: &Caller,
        token: Option<String>,
        body: &[u8],
    ) -> EdgeResult<Response> {
        let ask: AuthorizeRequest = parse_json(body)?;
        let config = self.config()?;
        if !caller.origin.is_empty()
            && caller.origin != caller.own_origin
            && !sessions::origin_allowed(&config, &caller.origin)
        {
            return Err(EdgeError::OriginNotAllowed);
        }
        let store = self.store()?;
        let principal = Principal::of(store, &config.sessions, &token.ok_or(EdgeError::Unauthorized)?)?;
        let (conversation_id, uploader) = match principal {
            Principal::Visitor { visitor_id, conversation_id } => {
                if conversation_id.is_empty() {
                    return Err(EdgeError::ConversationNotFound);
                }
                if ask.conversation_id.as_ref().is_some_and(|asked| asked != &conversation_id) {
                    return Err(EdgeError::Forbidden);
                }
                self.limit(config.rate_limits, |l| &mut l.uploads_per_visitor, &visitor_id)?;
                (conversation_id, format!("visitor:{visitor_id}"))
            }
            Principal::Agent { agent_id } => {
                let asked = ask
                    .conversation_id
                    .ok_or_else(|| EdgeError::BadRequest("agents name the conversation: ?conversation=ID".into()))?;
                store.conversation(&asked, false)?.ok_or(EdgeError::ConversationNotFound)?;
                // Only the agent holding the conversation sends into it (supervisors read only).
                if self.holder(&asked)?.as_deref() != Some(agent_id.as_str()) {
                    return Err(EdgeError::Forbidden);
                }
                (asked, format!("agent:{agent_id}"))
            }
        };
        let (count, bytes) = store.conversation_uploads(&conversation_id)?;
        if count >= u64::from(config.uploads.max_per_conversation) || bytes >= config.uploads.max_bytes_per_conversation
        {
            return Err(EdgeError::UploadQuota);
        }
        let upload_id = format!("u_{}", secrets::random_hex(16)?);
        let key = format!("{site}/{conversation_id}/{upload_id}");
        let grant = Grant { conversation_id, uploader, upload_id, key, caps: config.uploads };
        Ok(Response::from_json(&grant)?)
    }

    /// Deletes uploads that no message named within `uploads.unused_ttl_secs` (the row first,
    /// unless a message named it meanwhile, then the bytes in R2): at most [`SWEEP_BATCH`] at a
    /// time, at most once per the lifetime or ten minutes, whichever is shorter. Runs after a
    /// session opens or an upload is authorised, so a site's storage of abandoned uploads stays
    /// bounded by its own traffic. Failures are logged and retried at the next sweep.
    pub(super) async fn sweep_unused_uploads(&self) {
        let now = now_ms();
        let Ok(config) = self.config() else { return };
        let ttl_ms = config.uploads.unused_ttl_secs.saturating_mul(1000);
        if self.last_sweep.get() != 0 && now < self.last_sweep.get().saturating_add(ttl_ms.min(600_000)) {
            return;
        }
        self.last_sweep.set(now);
        let due = match self.store().and_then(|s| s.unused_uploads(now.saturating_sub(ttl_ms), SWEEP_BATCH)) {
            Ok(due) if !due.is_empty() => due,
            Ok(_) => return,
            Err(err) => return worker::console_error!("unused uploads: {err:?}"),
        };
        let bucket = match self.env.bucket(crate::upload::BUCKET_BINDING) {
            Ok(bucket) => bucket,
            Err(err) => return worker::console_error!("unused uploads: no bucket: {err:?}"),
        };
        for (id, key) in due {
            match self.store().and_then(|s| s.delete_unused_upload(&id)) {
                Ok(true) => {
                    if let Err(err) = bucket.delete(key).await {
                        worker::console_error!("unused upload {id}: R2 delete failed: {err:?}");
                    }
                }
                Ok(false) => {}
                Err(err) => worker::console_error!("unused upload {id}: {err:?}"),
            }
        }
    }

    /// `POST /uploads/record`: the bytes are in R2; store the upload and answer with its link.
    pub(super) fn record_upload(&self, site: &str, body: &[u8]) -> EdgeResult<Response> {
        let record: Record = parse_json(body)?;
        let ttl = self.link_ttl()?;
        let store = self.store()?;
        store.conversation(&record.grant.conversation_id, false)?.ok_or(EdgeError::ConversationNotFound)?;
        let row = UploadRow {
            id: record.grant.upload_id,
            conversation_id: record.grant.conversation_id,
            uploader: record.grant.uploader,
            kind: kind_name(record.kind).to_string(),
            name: record.name,
            size: record.size as f64,
            content_type: record.content_type,
            r2_key: record.grant.key,
            created_ms: now_ms() as f64,
        };
        store.insert_upload(&row)?;
        Ok(Response::from_json(&self.describe(site, &row, now_ms() / 1000 + ttl)?)?)
    }

    /// `POST /uploads/access`: may the caller (token, or signed link) download this upload.
    pub(super) fn access_upload(&self, site: &str, token: Option<String>, body: &[u8]) -> EdgeResult<Response> {
        let ask: AccessRequest = parse_json(body)?;
        let ttl = self.link_ttl()?;
        let store = self.store()?;
        let now_s = now_ms() / 1000;
        let (row, max_age, link_exp) = if let Some(token) = token {
            let principal = Principal::of(store, &self.config()?.sessions, &token)?;
            let row = store.upload(&ask.upload_id)?.ok_or(EdgeError::UploadNotFound)?;
            if !principal.may_see(store, &row.conversation_id)? {
                return Err(EdgeError::Forbidden);
            }
            (row, ttl, now_s + ttl)
        } else {
            // `/meta` hands out fresh links: a signed link must not renew itself there.
            let (Some(exp), Some(sig), false) = (ask.exp, ask.sig.as_deref(), ask.meta) else {
                return Err(EdgeError::Unauthorized);
            };
            // The signature is checked first, so a link reveals nothing about other uploads.
            if !secrets::secret_eq(sig, &self.sign(site, &ask.upload_id, exp)?) {
                return Err(EdgeError::Forbidden);
            }
            if exp < now_s {
                return Err(EdgeError::LinkExpired);
            }
            let row = store.upload(&ask.upload_id)?.ok_or(EdgeError::UploadNotFound)?;
            (row, (exp - now_s).min(ttl), exp)
        };
        let access = Access { key: row.r2_key.clone(), upload: self.describe(site, &row, link_exp)?, max_age };
        Ok(Response::from_json(&access)?)
    }

    /// The site's signed-link lifetime, in seconds.
    fn link_ttl(&self) -> EdgeResult<u64> {
        Ok(self.config()?.uploads.link_ttl_secs.clamp(1, MAX_LINK_TTL_S))
    }

    /// An upload's metadata as participants see it, with a signed link valid until `exp` (unix s).
    fn describe(&self, site: &str, row: &UploadRow, exp: u64) -> EdgeResult<UploadResponse> {
        let sig = self.sign(site, &row.id, exp)?;
        Ok(UploadResponse {
            upload_id: row.id.clone(),
            name: row.name.clone(),
            size: row.size as u64,
            content_type: row.content_type.clone(),
            kind: if row.kind == "image" { UploadKind::Image } else { UploadKind::File },
            url: format!("/api/v1/sites/{site}/uploads/{}?exp={exp}&sig={sig}", row.id),
        })
    }

    /// Hex HMAC-SHA256 over `site|id|exp` with this Desk's link key (made on first use).
    fn sign(&self, site: &str, upload_id: &str, exp: u64) -> EdgeResult<String> {
        let key = self.store()?.secret(LINK_KEY, || secrets::random_hex(32))?;
        let key = hex::decode(key).map_err(|e| EdgeError::Internal(format!("link key: {e}")))?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| EdgeError::Internal(format!("hmac: {e}")))?;
        mac.update(format!("{site}|{upload_id}|{exp}").as_bytes());
        Ok(hex::encode(mac.finalize().into_bytes()))
    }
}

/// The body of an image or file message as stored: the upload must belong to the message's
/// conversation and be of the message's kind; name, size and type come from the upload record,
/// whatever the client sent. Text passes through.
pub(super) fn message_body(store: &Store, conversation_id: &str, body: MessageBody) -> EdgeResult<MessageBody> {
    let (upload_id, kind) = match &body {
        MessageBody::Text { .. } | MessageBody::Card { .. } => return Ok(body),
        MessageBody::Image { upload_id, .. } => (upload_id, UploadKind::Image),
        MessageBody::File { upload_id, .. } => (upload_id, UploadKind::File),
    };
    let row = store
        .upload(upload_id)?
        .filter(|row| row.conversation_id == conversation_id)
        .ok_or(EdgeError::UploadNotFound)?;
    if row.kind != kind_name(kind) {
        return Err(EdgeError::BadRequest(format!("upload {} is not of kind {}", row.id, kind_name(kind))));
    }
    store.mark_upload_used(&row.id)?;
    let (upload_id, name, size, content_type) = (row.id, row.name, row.size as u64, row.content_type);
    Ok(match kind {
        UploadKind::Image => MessageBody::Image { upload_id, name, size, content_type },
        UploadKind::File => MessageBody::File { upload_id, name, size, content_type },
    })
}
