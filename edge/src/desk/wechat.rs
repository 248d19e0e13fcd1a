//! The WeChat mini-program channel in the Desk, inbound: WeChat's message push, checked
//! (`signature`, or `msg_signature` and AES-256-CBC in 安全模式, with the `wechat` crate), read
//! (JSON or XML), deduplicated (messages by their `MsgId` as their client id, events by user and
//! time in `wechat_events`), and put through the one message pipeline as the visitor's own: each
//! openid of a mini-program is one visitor of the site, on the `mini_program` channel. The button's
//! `session-from` names the user (nickname, custom fields) and may name an entry; it is display
//! data, never identity.

use protocol::mini_program::{MiniProgramConfig, PushFormat, PushMode};
use protocol::session_from::SessionFrom;
use protocol::{Channel, MessageBody};
use routing::{ConvId, Event};
use wechat::{Push, PushKind, WechatError};
use worker::Response;

use super::pipeline::{refusal, Source};
use super::profile::StoredProfile;
use super::sessions::with_open_conversation;
use super::store::{NewVisitor, UploadRow};
use super::{now_ms, Desk};
use crate::error::{EdgeError, EdgeResult};
use crate::internal::bodies::{MediaDone, MediaJob, WechatAnswer, WechatCall};
use crate::secrets;

/// An image's job is handed out again to a push retried this long after (the first fetch died).
const MEDIA_JOB_MS: u64 = 30_000;

impl Desk {
    /// Answers WeChat: the URL check's `echostr`, or `success` for a push it may stop retrying
    /// (handled now, or handled before). A push that fails a check is refused, stores nothing,
    /// and is logged once by the Worker's error mapping.
    pub(super) fn wechat_push(&self, site: &str, body: &[u8]) -> EdgeResult<Response> {
        let call: WechatCall = serde_json::from_slice(body)?;
        let config = self.config()?;
        let program =
            config.mini_programs.iter().find(|m| m.app_id == call.app_id).ok_or(EdgeError::UnknownMiniProgram)?;
        let q = |k: &str| call.query.get(k).map(String::as_str).unwrap_or_default();
        let (timestamp, nonce) = (q("timestamp"), q("nonce"));
        // A captured push or URL check is worth nothing five minutes later.
        if !wechat::fresh(timestamp, now_ms() / 1000) {
            return Err(WechatError::Replayed.into());
        }
        if call.method == "GET" {
            if !wechat::verify(q("signature"), &[&program.token, timestamp, nonce]) {
                return Err(WechatError::BadSignature.into());
            }
            return answer(q("echostr"), None);
        }
        let fields = open(program, &call, timestamp, nonce)?;
        // Within those minutes, a plain push's signature (which does not cover its body) could
        // carry another body: its timestamp and nonce are kept with the body they came with.
        let nonce_key = format!("n{timestamp}:{nonce}");
        if self.store()?.wechat_nonce_reused(&program.app_id, &nonce_key, &secrets::token_hash(&call.body), now_ms())? {
            return Err(WechatError::Replayed.into());
        }
        let push = Push::from_fields(&fields)?;
        let media = self.take_push(site, program, push)?;
        answer("success", media)
    }

    /// Takes a push in; an image comes back as the job of fetching it (its message is stored
    /// once the Worker has it in R2: [`Self::wechat_media`]).
    fn take_push(&self, site: &str, program: &MiniProgramConfig, push: Push) -> EdgeResult<Option<MediaJob>> {
        let now = now_ms();
        let store = self.store()?;
        let key = push.dedupe_key();
        if let PushKind::Other { what } = &push.kind {
            worker::console_log!("wechat push of another kind left out: {what}");
            return Ok(None);
        }
        let conversation_id = self.mini_program_conversation(program, &push)?;
        let body = match push.kind {
            PushKind::Text { content, .. } => MessageBody::Text { text: content },
            PushKind::Card { title, page_path, thumb_url, .. } => MessageBody::Card {
                list: super::wechat_out::CARD_LIST_PAGE.into(),
                id: page_path.chars().take(200).collect(),
                title: title.chars().take(200).collect(),
                image: if protocol::checks::is_web_url(&thumb_url) { thumb_url } else { String::new() },
                price: String::new(),
                status: "小程序页面".into(),
                url: String::new(),
            },
            PushKind::Image { pic_url, media_id, .. } => {
                // A retry while the image is on its way is not fetched again; one after
                // MEDIA_JOB_MS (the Worker's fetch died) is: nothing the user sent is lost, and
                // the pipeline stores the message once if both arrive.
                let handed_out = store.wechat_event_at(&program.app_id, &push.from, &key)?;
                if store.find_message(&conversation_id, &key)?.is_some()
                    || handed_out.is_some_and(|at| now.saturating_sub(at) < MEDIA_JOB_MS)
                {
                    return Ok(None);
                }
                store.note_wechat_event(&program.app_id, &push.from, &key, now)?;
                let visitor_id = self.visitor_of(&conversation_id)?;
                let upload_id = format!("u_{}", secrets::random_hex(16)?);
                return Ok(Some(MediaJob {
                    r2_key: format!("{site}/{conversation_id}/{upload_id}"),
                    conversation_id,
                    visitor_id,
                    client_id: key,
                    pic_url,
                    app_id: program.app_id.clone(),
                    media_id,
                    upload_id,
                    max_bytes: self.config()?.uploads.max_image_bytes,
                }));
            }
            PushKind::EnterSession { session_from } => {
                if store.wechat_event_at(&program.app_id, &push.from, &key)?.is_some() {
                    return Ok(None); // a retried push
                }
                self.entered(&conversation_id, &session_from)?;
                // Noted once handled, so a retry of a push that failed is handled again.
                store.first_wechat_event(&program.app_id, &push.from, &key, now)?;
                return Ok(None);
            }
            PushKind::Other { .. } => return Ok(None),
        };
        let visitor_id = self.visitor_of(&conversation_id)?;
        self.pipeline(Source::MiniProgram { visitor_id: &visitor_id }, &conversation_id, &key, body)?;
        Ok(None)
    }

    /// `POST /wechat/media`: a user's image is in R2 (or its link failed, and WeChat's own copy is
    /// asked for by its `MediaId`): its upload is recorded and the user's message goes through the
    /// pipeline, as an image, or as WeChat's link when the image could not be had at all.
    pub(super) async fn wechat_media(&self, body: &[u8]) -> EdgeResult<Response> {
        let done: MediaDone = serde_json::from_slice(body)?;
        let job = done.job;
        let stored = match done.stored {
            Some(stored) => Some(stored),
            None => self.image_from_wechat(&job).await,
        };
        let body = match stored {
            Some((size, content_type)) => {
                let extension = content_type.strip_prefix("image/").unwrap_or("img").replace("jpeg", "jpg");
                self.store()?.insert_upload(&UploadRow {
                    id: job.upload_id.clone(),
                    conversation_id: job.conversation_id.clone(),
                    uploader: format!("visitor:{}", job.visitor_id),
                    kind: "image".into(),
                    name: format!("wechat-{}.{extension}", job.client_id.trim_start_matches("wx")),
                    size: size as f64,
                    content_type,
                    r2_key: job.r2_key.clone(),
                    created_ms: now_ms() as f64,
                })?;
                MessageBody::Image {
                    upload_id: job.upload_id,
                    name: String::new(),
                    size: 0,
                    content_type: String::new(),
                }
            }
            None => MessageBody::Text { text: format!("[图片] {}", job.pic_url) },
        };
        let source = Source::MiniProgram { visitor_id: &job.visitor_id };
        self.pipeline(source, &job.conversation_id, &job.client_id, body)?;
        Ok(Response::empty()?)
    }

    /// WeChat's own copy of a user's image (`cgi-bin/media/get` by the push's `MediaId`, with the
    /// mini-program's token, renewed once if WeChat no longer takes it), put in R2; `None` when
    /// it cannot be had.
    async fn image_from_wechat(&self, job: &MediaJob) -> Option<(u64, String)> {
        if job.media_id.is_empty() {
            return None;
        }
        let config = self.config().ok()?;
        let program = config.mini_programs.iter().find(|m| m.app_id == job.app_id)?;
        let media_id = String::from(js_sys::encode_uri_component(&job.media_id));
        for force in [false, true] {
            let token = match self.wechat_token(program, force).await {
                Ok(token) => token,
                Err(err) => {
                    worker::console_error!("wechat media/get for {}: no token: {err:?}", job.client_id);
                    return None;
                }
            };
            let url = format!("{}/cgi-bin/media/get?access_token={token}&media_id={media_id}", self.wechat_base());
            // WeChat answers an error as JSON, which is no image.
            let fetched = match crate::wechat_media::fetch(&url, job.max_bytes).await {
                Ok(bytes) => bytes,
                Err(err) => {
                    worker::console_error!("wechat media/get for {} failed: {err:?}", job.client_id);
                    return None;
                }
            };
            let code = serde_json::from_slice::<serde_json::Value>(&fetched)
                .ok()
                .and_then(|v| v.get("errcode").and_then(serde_json::Value::as_i64));
            if matches!(code, Some(40001 | 42001 | 40014)) && !force {
                continue;
            }
            let Some(content_type) = crate::wechat_media::image_type(&fetched) else {
                worker::console_error!("wechat media/get for {} gave no image ({code:?})", job.client_id);
                return None;
            };
            return match crate::wechat_media::put_image(&self.env, job, fetched, content_type).await {
                Ok(stored) => Some(stored),
                Err(err) => {
                    worker::console_error!("wechat media/get for {}: not stored: {err:?}", job.client_id);
                    None
                }
            };
        }
        None
    }

    fn visitor_of(&self, conversation_id: &str) -> EdgeResult<String> {
        Ok(self.store()?.conversation(conversation_id, false)?.map(|(c, _)| c.visitor_id).unwrap_or_default())
    }

    /// The user's open conversation with the site (a new visitor and conversation the first time).
    fn mini_program_conversation(&self, program: &MiniProgramConfig, push: &Push) -> EdgeResult<String> {
        let store = self.store()?;
        let now = now_ms();
        let match_key = format!("wx:{}:{}", program.app_id, push.from);
        if let Some(found) = store.visitor_by_match_key(&match_key)? {
            return Ok(with_open_conversation(store, found, now)?.conversation_id);
        }
        let visitor_id = format!("v{}", secrets::random_hex(8)?);
        let name = format!("微信用户 {}", visitor_id[1..5].to_uppercase());
        let profile = StoredProfile {
            channel: Channel::MiniProgram,
            custom_fields: [("mini_program".to_string(), program.name.clone())].into(),
            ..StoredProfile::default()
        };
        let conversation_id = format!("c{}", secrets::random_hex(8)?);
        let visitor = NewVisitor {
            id: &visitor_id,
            name: &name,
            match_key: Some(&match_key),
            verified: false,
            profile: &profile.to_text(),
            contact_id: None,
        };
        // No browser holds a token for this visitor: its session row is a random one nobody has.
        store.create_visitor(&visitor, &secrets::token_hash(&secrets::new_token("wx_")?), &conversation_id, now)?;
        Ok(conversation_id)
    }

    /// The user entered the session: the button's `session-from` names them (and maybe an entry),
    /// and the reply quota starts again.
    fn entered(&self, conversation_id: &str, session_from: &str) -> EdgeResult<()> {
        let store = self.store()?;
        let from = SessionFrom::parse(session_from);
        if let Some(row) = store.profile_of(conversation_id)? {
            let mut profile = StoredProfile::read(&row.profile);
            profile.custom_fields.extend(from.fields.clone());
            if let Some(source) = &from.source {
                profile.custom_fields.insert("source".to_string(), source.clone());
            }
            if from.avatar_url.is_some() {
                profile.avatar_url = from.avatar_url.clone();
            }
            let name = from.nickname.clone().unwrap_or(row.name.clone());
            store.update_visitor(&row.visitor_id, &name, &profile.to_text(), None)?;
        }
        let config = self.config()?;
        // An entry that is not the site's is left out: the message still arrives.
        if let Some(entry) = from.entry.filter(|e| config.routing.entries.iter().any(|x| &x.id == e)) {
            store.set_conversation_entry(conversation_id, &entry)?;
        }
        let conv = ConvId(conversation_id.to_string());
        if self.with_core(|core| core.conversation(&conv).is_some())? {
            refusal(&self.route(Event::VisitorEntered { conv })?)?;
        }
        self.push_profile(conversation_id)?;
        Ok(())
    }
}

/// The push's fields, checked: in 明文模式 the `signature`; in 安全模式 and 兼容模式 (whose pushes
/// come encrypted too, `encrypt_type=aes`) the `msg_signature` over the `Encrypt` field, which is
/// then decrypted for this AppID.
fn open(program: &MiniProgramConfig, call: &WechatCall, timestamp: &str, nonce: &str) -> EdgeResult<wechat::Fields> {
    let q = |k: &str| call.query.get(k).map(String::as_str).unwrap_or_default();
    let format = match program.format {
        PushFormat::Json => wechat::Format::Json,
        PushFormat::Xml => wechat::Format::Xml,
    };
    let fields = wechat::fields(&call.body, format)?;
    let encrypted = q("encrypt_type") == "aes";
    if !encrypted {
        // 兼容模式 sends every push encrypted too (`encrypt_type=aes`): only 明文模式 takes a plain one.
        if program.mode != PushMode::Plain {
            return Err(WechatError::BadSignature.into());
        }
        if !wechat::verify(q("signature"), &[&program.token, timestamp, nonce]) {
            return Err(WechatError::BadSignature.into());
        }
        return Ok(fields);
    }
    let envelope = fields.get("Encrypt").ok_or_else(|| WechatError::Malformed("no Encrypt".into()))?;
    if !wechat::verify(q("msg_signature"), &[&program.token, timestamp, nonce, envelope]) {
        return Err(WechatError::BadSignature.into());
    }
    let cipher = wechat::Cipher::new(&program.encoding_aes_key)?;
    let inner = cipher.decrypt(envelope, &program.app_id)?;
    Ok(wechat::fields(&inner, format)?)
}

/// The Desk's answer to the Worker: what WeChat gets, and an image to fetch after.
fn answer(text: &str, media: Option<MediaJob>) -> EdgeResult<Response> {
    Ok(Response::from_json(&WechatAnswer { text: text.to_string(), media })?)
}
