//! The WeChat mini-program channel in the Desk, outbound: what agents (and the Desk's own
//! prompts) write to a mini-program user goes out through WeChat's customer-service API
//! (`cgi-bin/message/custom/send`) at the end of the callback that stored it; an image is uploaded
//! as temporary media first (`cgi-bin/media/upload`, its id reused while WeChat keeps it; cards and
//! files go as a text line with their title or name). The access token
//! comes from `cgi-bin/stable_token`, once per mini-program while it is valid (refreshed five
//! minutes before it expires, and once when WeChat says it expired: 40001 / 42001); never per
//! message. A network failure or WeChat's "system busy" (-1) is tried once more; WeChat's refusals
//! (45015: the reply window closed, 45047: its replies used) are shown to the agents, never
//! retried. Each call waits at most 5 s. The API's base URL is the Worker variable `WECHAT_API_BASE` (WeChat's own by default;
//! the tests' simulator otherwise).

use protocol::mini_program::MiniProgramConfig;
use protocol::{ChatMessage, MessageBody, ServerFrame};
use std::time::Duration;

use futures_util::future::Either;
use serde_json::{json, Value};
use worker::{Delay, Fetch, Headers, Method, Request, RequestInit};

use super::{now_ms, Desk};
use crate::error::{EdgeError, EdgeResult};

/// WeChat's API, unless the Worker's `WECHAT_API_BASE` says otherwise.
const DEFAULT_API_BASE: &str = "https://api.weixin.qq.com";

/// A token is renewed this long before WeChat says it expires.
const TOKEN_MARGIN_MS: u64 = 5 * 60 * 1000;

/// Temporary media stay on WeChat three days; an id is reused for two and a half.
const MEDIA_REUSE_MS: u64 = 60 * 3600 * 1000;

/// An upload's media id on WeChat, for one mini-program.
#[derive(Debug, Clone)]
pub struct CachedMedia {
    /// The mini-program.
    pub app_id: String,
    /// The upload.
    pub upload_id: String,
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
    /// Sends what the callback stored for mini-program users.
    pub(super) async fn send_outbox(&self) {
        let messages: Vec<ChatMessage> = self.outbox.borrow_mut().drain(..).collect();
        for message in messages {
            if let Err(err) = self.send_to_wechat(&message).await {
                worker::console_error!("wechat send failed: {err:?}");
                let frame = ServerFrame::Error {
                    code: err.code().to_string(),
                    message: format!("微信发送失败（第 {} 条）：{}", message.seq, err.message()),
                };
                if let Ok(Some(agent)) = self.holder(&message.conversation_id) {
                    self.with_sockets(|s| s.to_agent(&agent, &frame));
                }
            }
        }
    }

    async fn send_to_wechat(&self, message: &ChatMessage) -> EdgeResult<()> {
        let Some((app_id, openid)) = self.store()?.wechat_user_of(&message.conversation_id)? else {
            return Ok(()); // not a mini-program user's conversation
        };
        let config = self.config()?;
        let program = config.mini_programs.iter().find(|m| m.app_id == app_id).ok_or(EdgeError::UnknownMiniProgram)?;
        let mut refreshed = false;
        let mut retried = false;
        loop {
            let token = self.wechat_token(program, refreshed).await?;
            let attempt = match self.payload(program, &token, &openid, &message.body).await {
                Ok(payload) => self.custom_send(&token, &payload).await,
                Err(failed) => failed,
            };
            match attempt {
                Sent::Ok => return Ok(()),
                Sent::TokenExpired if !refreshed => refreshed = true,
                Sent::Transient(_) if !retried => retried = true,
                Sent::TokenExpired => return Err(EdgeError::BadRequest("WeChat refused a fresh access token".into())),
                Sent::Transient(why) => return Err(EdgeError::BadRequest(format!("WeChat did not answer: {why}"))),
                Sent::Refused(code, why) => return Err(EdgeError::BadRequest(format!("WeChat {code}: {why}"))),
                Sent::Unsendable(why) => return Err(EdgeError::BadRequest(why)),
            }
        }
    }

    /// What `custom/send` gets for a message: text as text, an image by its media id (uploaded
    /// to WeChat first, reused while WeChat keeps it), a card or a file as a text line.
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
            MessageBody::Card { title, url, .. } => {
                text(if url.is_empty() { title.clone() } else { format!("{title} {url}") })
            }
            MessageBody::File { name, .. } => text(format!("[文件] {name}")),
            MessageBody::Image { upload_id, .. } => {
                let media_id = self.media_id(program, token, upload_id).await?;
                json!({ "touser": openid, "msgtype": "image", "image": { "media_id": media_id } })
            }
        })
    }

    /// The WeChat media id of an upload: the one WeChat gave for it while still valid (temporary
    /// media live three days; reused for two and a half), else the upload's bytes from R2 sent to
    /// `cgi-bin/media/upload` (multipart, field `media`).
    async fn media_id(&self, program: &MiniProgramConfig, token: &str, upload_id: &str) -> Result<String, Sent> {
        let now = now_ms();
        let known =
            self.wechat_media.borrow().iter().find(|m| m.app_id == program.app_id && m.upload_id == upload_id).cloned();
        if let Some(m) = known.filter(|m| m.reuse_until_ms > now) {
            return Ok(m.media_id);
        }
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
        let boundary = format!("----wechat{}", crate::secrets::random_hex(12).unwrap_or_default());
        let mut form = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
            row.name.replace(['"', '\r', '\n'], "_"),
            row.content_type
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
        known.retain(|m| !(m.app_id == program.app_id && m.upload_id == upload_id) && m.reuse_until_ms > now);
        known.push(CachedMedia {
            app_id: program.app_id.clone(),
            upload_id: upload_id.to_string(),
            media_id: media_id.clone(),
            reuse_until_ms: now + MEDIA_REUSE_MS,
        });
        Ok(media_id)
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
    async fn wechat_token(&self, program: &MiniProgramConfig, force: bool) -> EdgeResult<String> {
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

    fn wechat_base(&self) -> String {
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

/// POSTs a body and reads a JSON object back within [`CALL_TIMEOUT`]; an HTTP error, no answer
/// in time or an answer that is not a JSON object is an error (never taken for a success).
async fn post(url: &str, content_type: &str, body: Vec<u8>) -> EdgeResult<Value> {
    let headers = Headers::new();
    headers.set("content-type", content_type)?;
    let mut init = RequestInit::new();
    let body = js_sys::Uint8Array::from(body.as_slice());
    init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
    let request = Request::new_with_init(url, &init)?;
    let fetch = Fetch::Request(request);
    let send = Box::pin(fetch.send());
    let mut response = match futures_util::future::select(send, Box::pin(Delay::from(CALL_TIMEOUT))).await {
        Either::Left((response, _)) => response?,
        Either::Right(_) => {
            return Err(EdgeError::BadRequest(format!("WeChat did not answer within {CALL_TIMEOUT:?}")))
        }
    };
    if !(200..300).contains(&response.status_code()) {
        return Err(EdgeError::BadRequest(format!("WeChat answered HTTP {}", response.status_code())));
    }
    let text = response.text().await?;
    match serde_json::from_str::<Value>(&text) {
        Ok(answer @ Value::Object(_)) => Ok(answer),
        _ => Err(EdgeError::BadRequest("WeChat's answer is not JSON".into())),
    }
}
