//! The WeChat mini-program channel in the Desk, outbound: what agents (and the Desk's own
//! prompts) write to a mini-program user goes out through WeChat's customer-service API
//! (`cgi-bin/message/custom/send`) at the end of the callback that stored it, from an outbox
//! kept in SQLite with the message (a Desk stopped before sending sends it when it next runs); an image is uploaded
//! as temporary media first (`cgi-bin/media/upload`, its id reused while WeChat keeps it); a card
//! with a mini-program page goes as a mini-program card (its picture uploaded the same way), other
//! cards and files as a text line. The access token
//! comes from `cgi-bin/stable_token`, once per mini-program while it is valid (refreshed five
//! minutes before it expires, and once when WeChat says it expired: 40001 / 42001); never per
//! message. A network failure or WeChat's "system busy" (-1) is tried once more; WeChat's refusals
//! (45015: the reply window closed, 45047: its replies used) are shown to the agents, never
//! retried. Each call waits at most 5 s. The API's base URL is the Worker variable `WECHAT_API_BASE` (WeChat's own by default;
//! the tests' simulator otherwise).

use protocol::mini_program::MiniProgramConfig;
use protocol::{ChatMessage, ConsoleFrame, MessageBody, SendFailure};
use std::time::Duration;

use serde_json::{json, Value};
use worker::{Fetch, Headers, Method, Request, RequestInit};

use super::{now_ms, Desk};
use crate::error::{EdgeError, EdgeResult};

/// WeChat's API, unless the Worker's `WECHAT_API_BASE` says otherwise.
const DEFAULT_API_BASE: &str = "https://api.weixin.qq.com";

/// A token is renewed this long before WeChat says it expires.
const TOKEN_MARGIN_MS: u64 = 5 * 60 * 1000;

/// WeChat shows an agent typing only within this long of the user's last message.
const TYPING_WINDOW_MS: u64 = 30_000;

/// How long a "Typing" shows on the user's side unless cancelled; another is not sent meanwhile.
const TYPING_SHOWN_MS: u64 = 15_000;

/// A mini-program conversation's typing state: when the user last wrote, and until when the
/// user sees the agent typing (0: not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Typing {
    /// The user's last message, unix ms.
    pub user_at_ms: u64,
    /// Until when "typing" shows, unix ms.
    pub shown_until_ms: u64,
}

impl Typing {
    /// The command for WeChat's typing API when the agent starts (`true`) or stops typing at
    /// `now`, if any: `Typing` only within [`TYPING_WINDOW_MS`] of the user's last message and
    /// not while it already shows; `CancelTyping` only while it shows.
    pub fn command(&mut self, typing: bool, now: u64) -> Option<&'static str> {
        let shown = now < self.shown_until_ms;
        match typing {
            true if !shown && now.saturating_sub(self.user_at_ms) <= TYPING_WINDOW_MS => {
                self.shown_until_ms = now + TYPING_SHOWN_MS;
                Some("Typing")
            }
            false if shown => {
                self.shown_until_ms = 0;
                Some("CancelTyping")
            }
            _ => None,
        }
    }
}

/// Forgets the typing state of conversations whose user has been quiet past the typing window
/// and where nothing shows: it would allow no command anyway (the map stays as small as the
/// conversations of the last half minute).
fn forget_quiet(all: &mut std::collections::HashMap<String, Typing>, now: u64) {
    all.retain(|_, t| now < t.shown_until_ms || now.saturating_sub(t.user_at_ms) <= TYPING_WINDOW_MS);
}

/// A sender that has been on one message this long is taken to be stuck, and the next callback
/// sends instead: longer than any one message can take (a token, a picture fetched in at most
/// 10 s, an R2 read and an upload, a send, each WeChat call at most 5 s and retried once).
const SENDER_STALE_MS: u64 = 60_000;

/// Marks this sender gone when it ends, however it ends, unless another took over meanwhile.
struct Sending<'a> {
    current: &'a std::cell::Cell<(u64, u64)>,
    me: u64,
}

impl Drop for Sending<'_> {
    fn drop(&mut self) {
        if self.current.get().0 == self.me {
            self.current.set((0, 0));
        }
    }
}

/// Temporary media stay on WeChat three days; an id is reused for two and a half.
const MEDIA_REUSE_MS: u64 = 60 * 3600 * 1000;

/// The list name of a card that is a mini-program page a user shared (its id is the page path).
pub const CARD_LIST_PAGE: &str = "miniprogrampage";

/// An image sent to WeChat as temporary media: an upload, or a card's picture by its link.
enum Media<'a> {
    Upload(&'a str),
    Link(&'a str),
}

impl Media<'_> {
    /// What its media id is remembered by.
    fn key(&self) -> String {
        match self {
            Media::Upload(id) => format!("upload:{id}"),
            Media::Link(url) => format!("link:{url}"),
        }
    }
}

/// An image's media id on WeChat, for one mini-program.
#[derive(Debug, Clone)]
pub struct CachedMedia {
    /// The mini-program.
    pub app_id: String,
    /// The image ([`Media::key`]).
    pub key: String,
    /// WeChat's id for it.
    pub media_id: String,
    /// When to upload it again, unix ms.
    pub reuse_until_ms: u64,
}

/// A mini-program's access token and when it stops being used.
#[derive(Debug, Clone)]
pub struct CachedToken {
    /// The mini-program.
    pub app_id: String,
    /// The token.
    pub token: String,
    /// When to fetch a new one, unix ms.
    pub renew_at_ms: u64,
}

/// What one send attempt came back with.
enum Sent {
    Ok,
    /// The token expired or was replaced: fetch a new one and send again.
    TokenExpired,
    /// Worth one more try (network, -1).
    Transient(String),
    /// WeChat refused it for good (code, message).
    Refused(i64, String),
    /// It could not be sent from here (the image is not in R2).
    Unsendable(String),
}

impl Desk {
    /// Sends what the callback stored for mini-program users. A message WeChat did not take is
    /// noted as failed (`send_failures`: why, and whether sending it again may work) and its
    /// conversation's failures go to the agent holding it, who sees them on the messages.
    ///
    /// One sender at a time: a callback that finds the outbox being sent (another callback's send
    /// waits on WeChat) leaves its messages to that sender, which sends until the outbox is empty,
    /// so a user gets messages in the order they were stored, and an image is uploaded once.
    pub(super) async fn send_outbox(&self) {
        if self.outbox_waiting.get() == Some(false) && self.typing_out.borrow().is_empty() {
            return;
        }
        // A sender on one message for SENDER_STALE_MS is taken to be stuck (a call that never
        // settled): this callback takes over, and the stuck one stops at its next message, so no
        // message is sent by two senders.
        let now = now_ms();
        let (current, beat) = self.outbox_sender.get();
        if current != 0 && now.saturating_sub(beat) < SENDER_STALE_MS {
            return;
        }
        let me = self.outbox_senders.get() + 1;
        self.outbox_senders.set(me);
        self.outbox_sender.set((me, now));
        let _done = Sending { current: &self.outbox_sender, me };
        loop {
            if self.outbox_sender.get().0 != me {
                return; // taken over
            }
            self.outbox_sender.set((me, now_ms()));
            let next = match self.store().and_then(|s| s.next_wechat_out()) {
                Ok(next) => next,
                Err(err) => {
                    worker::console_error!("wechat outbox unreadable: {err:?}");
                    return;
                }
            };
            self.outbox_waiting.set(Some(next.is_some()));
            let Some((conversation_id, seq)) = next else {
                let typing: Vec<(String, &'static str)> = self.typing_out.borrow_mut().drain(..).collect();
                if typing.is_empty() {
                    break;
                }
                for (conversation_id, command) in typing {
                    if let Err(err) = self.send_typing(&conversation_id, command).await {
                        worker::console_log!("wechat typing for {conversation_id} not shown: {err:?}");
                    }
                }
                continue;
            };
            // Out of the outbox once tried, whatever came of it: sent, or noted as failed (a Desk
            // that stops meanwhile sends it again when it next runs: at least once, never lost).
            let outcome = match self.store().and_then(|s| s.message_at(&conversation_id, seq)) {
                Ok(Some(message)) => self.send_to_wechat(&message).await,
                Ok(None) => Ok(()), // deleted meanwhile (the conversation's data was erased)
                Err(err) => Err((err.message(), true)),
            };
            let failure = outcome.err().map(|(reason, retry)| {
                worker::console_error!("wechat send of {conversation_id} #{seq} failed: {reason}");
                SendFailure { seq, reason, retry }
            });
            let noted = self.store().and_then(|s| {
                if let Some(failure) = &failure {
                    s.note_send_failure(&conversation_id, failure, now_ms())?;
                }
                s.done_wechat_out(&conversation_id, seq)
            });
            let told = noted.and_then(|()| match failure {
                Some(_) => self.push_send_failures(&conversation_id),
                None => Ok(()),
            });
            if let Err(err) = told {
                worker::console_error!("wechat send of {conversation_id} #{seq} not noted: {err:?}");
                return;
            }
        }
    }

    /// Puts a stored message of a mini-program conversation in the outbox to WeChat, which the
    /// end of the callback (or an alarm set for now) sends.
    pub(super) fn queue_wechat(&self, conversation_id: &str, seq: u64) -> EdgeResult<()> {
        self.store()?.queue_wechat_out(conversation_id, seq, now_ms())?;
        self.outbox_waiting.set(Some(true));
        Ok(())
    }

    /// The agent holding a mini-program conversation started or stopped typing: WeChat's typing
    /// API is told (after the callback, by the outbox's sender) within its rules ([`Typing`]).
    pub(super) fn agent_typing(&self, conversation_id: &str, typing: bool) {
        let mut all = self.wechat_typing.borrow_mut();
        forget_quiet(&mut all, now_ms());
        let state = all.entry(conversation_id.to_string()).or_default();
        if let Some(command) = state.command(typing, now_ms()) {
            self.typing_out.borrow_mut().push((conversation_id.to_string(), command));
        }
    }

    /// Notes a mini-program user's message (typing may show for the next 30 s), or an agent's
    /// reply (which ends the typing WeChat showed).
    pub(super) fn note_wechat_message(&self, conversation_id: &str, from_user: bool) {
        let mut all = self.wechat_typing.borrow_mut();
        forget_quiet(&mut all, now_ms());
        let state = all.entry(conversation_id.to_string()).or_default();
        if from_user {
            state.user_at_ms = now_ms();
        } else {
            state.shown_until_ms = 0;
        }
    }

    async fn send_typing(&self, conversation_id: &str, command: &str) -> EdgeResult<()> {
        let Some((app_id, openid)) = self.store()?.wechat_user_of(conversation_id)? else { return Ok(()) };
        let config = self.config()?;
        let program = config.mini_programs.iter().find(|m| m.app_id == app_id).ok_or(EdgeError::UnknownMiniProgram)?;
        let token = self.wechat_token(program, false).await?;
        let url = format!("{}/cgi-bin/message/custom/typing?access_token={token}", self.wechat_base());
        let answer = post_json(&url, &json!({ "touser": openid, "command": command })).await?;
        match errcode(&answer) {
            0 => Ok(()),
            code => Err(EdgeError::BadRequest(format!("WeChat {code}: {}", errmsg(&answer)))),
        }
    }

    /// Tells the agent holding a conversation which of its messages did not reach WeChat.
    pub(super) fn push_send_failures(&self, conversation_id: &str) -> EdgeResult<()> {
        let Some(agent) = self.holder(conversation_id)? else { return Ok(()) };
        let failures = self.store()?.send_failures(conversation_id)?;
        let frame = ConsoleFrame::SendFailures { conversation_id: conversation_id.to_string(), failures };
        self.with_sockets(|s| s.to_agent(&agent, &frame));
        Ok(())
    }

    /// Sends a message again that WeChat did not take (an agent's `retry`); one WeChat refused
    /// for good (its window closed, its replies used) is not.
    pub(super) fn retry_send(&self, conversation_id: &str, seq: u64) -> EdgeResult<()> {
        let store = self.store()?;
        let failure = store.send_failures(conversation_id)?.into_iter().find(|f| f.seq == seq);
        match failure {
            None => return Err(EdgeError::BadRequest(format!("message {seq} did not fail"))),
            Some(f) if !f.retry => return Err(EdgeError::BadRequest(format!("WeChat refused message {seq} for good"))),
            Some(_) => {}
        }
        store.message_at(conversation_id, seq)?.ok_or(EdgeError::ConversationNotFound)?;
        store.clear_send_failure(conversation_id, seq)?;
        self.queue_wechat(conversation_id, seq)?;
        self.push_send_failures(conversation_id)
    }

    /// One message to WeChat; on failure why, and whether sending it again may work.
    async fn send_to_wechat(&self, message: &ChatMessage) -> Result<(), (String, bool)> {
        let internal = |err: EdgeError| (err.message(), true);
        let Some((app_id, openid)) =
            self.store().and_then(|s| s.wechat_user_of(&message.conversation_id)).map_err(internal)?
        else {
            return Ok(()); // not a mini-program user's conversation
        };
        let config = self.config().map_err(internal)?;
        let program = config
            .mini_programs
            .iter()
            .find(|m| m.app_id == app_id)
            .ok_or_else(|| (format!("mini-program {app_id} is no longer set up"), true))?;
        let mut refreshed = false;
        let mut retried = false;
        loop {
            let token = self.wechat_token(program, refreshed).await.map_err(internal)?;
            let attempt = match self.payload(program, &token, &openid, &message.body).await {
                Ok(payload) => self.custom_send(&token, &payload).await,
                Err(failed) => failed,
            };
            match attempt {
                Sent::Ok => return Ok(()),
                Sent::TokenExpired if !refreshed => refreshed = true,
                Sent::Transient(_) if !retried => retried = true,
                Sent::TokenExpired => return Err(("WeChat refused a fresh access token".into(), true)),
                Sent::Transient(why) => return Err((format!("WeChat did not answer: {why}"), true)),
                // WeChat refused it (its window closed, 45015; its replies used, 45047; a bad
                // file or content): final, never sent again. So is an image no longer in R2.
                Sent::Refused(code, why) => return Err((format!("WeChat {code}: {why}"), false)),
                Sent::Unsendable(why) => return Err((why, false)),
            }
        }
    }

    /// What `custom/send` gets for a message: text as text, an image by its media id (uploaded
    /// to WeChat first, reused while WeChat keeps it), a card as a mini-program card when it has a
    /// page (a shared mini-program page; or the mini-program's `card_page` for an order or
    /// product) and a picture (its cover, uploaded as media), else as a text line; a file as a
    /// text line.
    async fn payload(
        &self,
        program: &MiniProgramConfig,
        token: &str,
        openid: &str,
        body: &MessageBody,
    ) -> Result<Value, Sent> {
        let text = |content: String| json!({ "touser": openid, "msgtype": "text", "text": { "content": content } });
        Ok(match body {
            MessageBody::Text { text: words } => text(words.clone()),
            MessageBody::Card { list, id, title, image, price, status, url } => {
                let parts = [title.as_str(), price, status, url];
                let line = parts.into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
                let page = if list == CARD_LIST_PAGE { Some(id.clone()) } else { program.card_path(id) };
                let Some(pagepath) = page.filter(|_| protocol::checks::is_web_url(image)) else {
                    return Ok(text(line));
                };
                let thumb = match self.media_id(program, token, Media::Link(image)).await {
                    Ok(thumb) => thumb,
                    // The picture cannot be had: the card goes as text rather than not at all.
                    Err(Sent::Unsendable(why)) => {
                        worker::console_log!("card picture {image} not usable ({why}): sent as text");
                        return Ok(text(line));
                    }
                    Err(other) => return Err(other),
                };
                let title = if price.is_empty() { title.clone() } else { format!("{title} {price}") };
                json!({
                    "touser": openid,
                    "msgtype": "miniprogrampage",
                    "miniprogrampage": {
                        "title": title,
                        "appid": program.app_id,
                        "pagepath": pagepath,
                        "thumb_media_id": thumb,
                    },
                })
            }
            MessageBody::File { name, .. } => text(format!("[文件] {name}")),
            MessageBody::Image { upload_id, .. } => {
                let media_id = self.media_id(program, token, Media::Upload(upload_id)).await?;
                json!({ "touser": openid, "msgtype": "image", "image": { "media_id": media_id } })
            }
        })
    }

    /// The WeChat media id of an image: the one WeChat gave for it while still valid (temporary
    /// media live three days; reused for two and a half), else its bytes (an upload's from R2, a
    /// card picture's from its link) sent to `cgi-bin/media/upload` (multipart, field `media`).
    async fn media_id(&self, program: &MiniProgramConfig, token: &str, media: Media<'_>) -> Result<String, Sent> {
        let now = now_ms();
        let key = media.key();
        let known = self.wechat_media.borrow().iter().find(|m| m.app_id == program.app_id && m.key == key).cloned();
        if let Some(m) = known.filter(|m| m.reuse_until_ms > now) {
            return Ok(m.media_id);
        }
        let (name, content_type, bytes) = match media {
            Media::Upload(upload_id) => self.upload_bytes(upload_id).await?,
            Media::Link(url) => {
                let cap = self.config().map_err(|e| Sent::Unsendable(e.message()))?.uploads.max_image_bytes;
                let (bytes, content_type) =
                    crate::wechat_media::image_at(url, cap).await.map_err(|e| Sent::Unsendable(e.message()))?;
                let extension = content_type.strip_prefix("image/").unwrap_or("img").replace("jpeg", "jpg");
                (format!("card.{extension}"), content_type, bytes)
            }
        };
        let boundary = format!("----wechat{}", crate::secrets::random_hex(12).unwrap_or_default());
        let mut form = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"{}\"\r\nContent-Type: {content_type}\r\n\r\n",
            name.replace(['"', '\r', '\n'], "_"),
        )
        .into_bytes();
        form.extend_from_slice(&bytes);
        form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let url = format!("{}/cgi-bin/media/upload?access_token={token}&type=image", self.wechat_base());
        let answer = match post(&url, &format!("multipart/form-data; boundary={boundary}"), form).await {
            Ok(answer) => answer,
            Err(err) => return Err(Sent::Transient(format!("{err:?}"))),
        };
        let media_id = match (answer.get("media_id").and_then(Value::as_str), errcode(&answer)) {
            (Some(id), _) if !id.is_empty() => id.to_string(),
            (_, 40001 | 42001 | 40014) => return Err(Sent::TokenExpired),
            (_, -1) => return Err(Sent::Transient("system busy".into())),
            (_, code) => return Err(Sent::Refused(code, errmsg(&answer))),
        };
        let mut known = self.wechat_media.borrow_mut();
        known.retain(|m| !(m.app_id == program.app_id && m.key == key) && m.reuse_until_ms > now);
        known.push(CachedMedia {
            app_id: program.app_id.clone(),
            key,
            media_id: media_id.clone(),
            reuse_until_ms: now + MEDIA_REUSE_MS,
        });
        Ok(media_id)
    }

    /// An upload's name, type and bytes, from R2.
    async fn upload_bytes(&self, upload_id: &str) -> Result<(String, String, Vec<u8>), Sent> {
        let refused = Sent::Unsendable;
        let row = self
            .store()
            .and_then(|s| s.upload(upload_id))
            .map_err(|e| refused(format!("{e:?}")))?
            .ok_or_else(|| refused(format!("no upload {upload_id}")))?;
        let bucket = self.env.bucket(crate::upload::BUCKET_BINDING).map_err(|e| refused(format!("{e:?}")))?;
        let object = bucket.get(row.r2_key.clone()).execute().await.map_err(|e| Sent::Transient(format!("{e:?}")))?;
        let bytes = match object.as_ref().and_then(|o| o.body()) {
            Some(body) => body.bytes().await.map_err(|e| Sent::Transient(format!("{e:?}")))?,
            None => return Err(refused(format!("upload {upload_id} is not in R2"))),
        };
        Ok((row.name, row.content_type, bytes))
    }

    async fn custom_send(&self, token: &str, payload: &Value) -> Sent {
        let url = format!("{}/cgi-bin/message/custom/send?access_token={token}", self.wechat_base());
        match post_json(&url, payload).await {
            Err(err) => Sent::Transient(format!("{err:?}")),
            // An answer without `errcode` is no success.
            Ok(answer) => match errcode(&answer) {
                0 => Sent::Ok,
                40001 | 42001 | 40014 => Sent::TokenExpired,
                -1 | i64::MIN => Sent::Transient("system busy, or no errcode".into()),
                code => Sent::Refused(code, errmsg(&answer)),
            },
        }
    }

    /// The mini-program's access token: the cached one while it is valid, else a new one from
    /// `stable_token` (`force` asks WeChat for a fresh one after it refused the cached one).
    pub(super) async fn wechat_token(&self, program: &MiniProgramConfig, force: bool) -> EdgeResult<String> {
        let now = now_ms();
        if !force {
            let cached = self.wechat_tokens.borrow().iter().find(|t| t.app_id == program.app_id).cloned();
            if let Some(t) = cached.filter(|t| t.renew_at_ms > now) {
                return Ok(t.token);
            }
        }
        let url = format!("{}/cgi-bin/stable_token", self.wechat_base());
        let body = json!({
            "grant_type": "client_credential",
            "appid": program.app_id,
            "secret": program.app_secret,
            "force_refresh": force,
        });
        let answer = post_json(&url, &body).await?;
        let token = answer.get("access_token").and_then(Value::as_str).filter(|t| !t.is_empty()).ok_or_else(|| {
            let code = answer.get("errcode").and_then(Value::as_i64).unwrap_or_default();
            EdgeError::BadRequest(format!("WeChat gave no access token ({code})"))
        })?;
        let expires_ms = answer.get("expires_in").and_then(Value::as_u64).unwrap_or(7200) * 1000;
        let fresh = CachedToken {
            app_id: program.app_id.clone(),
            token: token.to_string(),
            renew_at_ms: now + expires_ms.saturating_sub(TOKEN_MARGIN_MS),
        };
        let mut tokens = self.wechat_tokens.borrow_mut();
        tokens.retain(|t| t.app_id != program.app_id);
        tokens.push(fresh);
        Ok(token.to_string())
    }

    pub(super) fn wechat_base(&self) -> String {
        self.env
            .var("WECHAT_API_BASE")
            .map(|v| v.to_string())
            .unwrap_or_else(|_| DEFAULT_API_BASE.to_string())
            .trim_end_matches('/')
            .to_string()
    }
}

/// How long one call to WeChat may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// WeChat's error code in an answer (`i64::MIN`: none).
fn errcode(answer: &Value) -> i64 {
    answer.get("errcode").and_then(Value::as_i64).unwrap_or(i64::MIN)
}

fn errmsg(answer: &Value) -> String {
    answer.get("errmsg").and_then(Value::as_str).unwrap_or_default().to_string()
}

/// POSTs JSON and reads a JSON object back (see [`post`]).
async fn post_json(url: &str, body: &Value) -> EdgeResult<Value> {
    post(url, "application/json", body.to_string().into_bytes()).await
}

/// POSTs a body and reads a JSON object back, the whole answer within [`CALL_TIMEOUT`]; an HTTP
/// error, no answer in time or an answer that is not a JSON object is an error (never taken for a
/// success).
async fn post(url: &str, content_type: &str, body: Vec<u8>) -> EdgeResult<Value> {
    crate::wechat_media::within(CALL_TIMEOUT, exchange(url, content_type, body))
        .await
        .unwrap_or_else(|| Err(EdgeError::BadRequest(format!("WeChat did not answer within {CALL_TIMEOUT:?}"))))
}

async fn exchange(url: &str, content_type: &str, body: Vec<u8>) -> EdgeResult<Value> {
    let headers = Headers::new();
    headers.set("content-type", content_type)?;
    let mut init = RequestInit::new();
    let body = js_sys::Uint8Array::from(body.as_slice());
    init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
    let request = Request::new_with_init(url, &init)?;
    let mut response = Fetch::Request(request).send().await?;
    if !(200..300).contains(&response.status_code()) {
        return Err(EdgeError::BadRequest(format!("WeChat answered HTTP {}", response.status_code())));
    }
    let text = response.text().await?;
    match serde_json::from_str::<Value>(&text) {
        Ok(answer @ Value::Object(_)) => Ok(answer),
        _ => Err(EdgeError::BadRequest("WeChat's answer is not JSON".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_shows_only_within_30_s_of_the_user_and_is_not_repeated_while_shown() {
        let mut t = Typing { user_at_ms: 1_000, shown_until_ms: 0 };
        assert_eq!(t.command(true, 2_000), Some("Typing"));
        assert_eq!(t.command(true, 3_000), None, "not again while it shows");
        assert_eq!(t.command(false, 4_000), Some("CancelTyping"));
        assert_eq!(t.command(false, 5_000), None, "nothing to cancel");
        assert_eq!(t.command(true, 31_000), Some("Typing"), "30 s after the user: still allowed");
        assert_eq!(t.command(true, 31_000 + TYPING_SHOWN_MS), None, "past 30 s of the user's message");
        let mut late = Typing { user_at_ms: 0, shown_until_ms: 0 };
        assert_eq!(late.command(true, TYPING_WINDOW_MS + 1), None);
        let mut lapsed = Typing { user_at_ms: 10_000, shown_until_ms: 12_000 };
        assert_eq!(lapsed.command(true, 12_000), Some("Typing"), "a lapsed Typing may be sent again");
    }

    #[test]
    fn typing_state_is_kept_only_while_it_can_matter() {
        let mut all = std::collections::HashMap::new();
        all.insert("quiet".to_string(), Typing { user_at_ms: 0, shown_until_ms: 0 });
        all.insert("recent".to_string(), Typing { user_at_ms: 50_000, shown_until_ms: 0 });
        all.insert("shown".to_string(), Typing { user_at_ms: 0, shown_until_ms: 70_000 });
        forget_quiet(&mut all, 60_000);
        let mut kept: Vec<&str> = all.keys().map(String::as_str).collect();
        kept.sort_unstable();
        assert_eq!(kept, ["recent", "shown"]);
    }
}
