//! A small JSON codec for the visitor widget, whose download must stay tiny.
//!
//! `serde` derives for internally tagged enums are the largest part of a wasm client, so the
//! widget reads and writes its few wire shapes with this hand-written codec instead. It is not a
//! second definition of the protocol: the types are still the `serde` ones of this crate, and the
//! tests check that this codec and `serde_json` agree on every shape the widget handles, both ways.
//!
//! Numbers are kept as their text: the wire carries only integers, and leaving out float parsing
//! keeps the code small.

use std::collections::BTreeMap;

use crate::admin::{CardButton, PreChatField, PreChatKind};
use crate::frames::{Author, ChatMessage, FormFieldInfo, MessageBody, ServerFrame, SessionOpened, VisitorFrame};
use crate::http::WidgetConfig;
use crate::http::{ApiError, ErrorBody, GroupChoice, SessionRequest, SessionResponse, UploadKind, UploadResponse};
use crate::{ConvStatus, Side, WaitReason};

/// Deepest nesting [`parse`] accepts.
const MAX_DEPTH: usize = 32;

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Json {
    /// `null` (also what [`Json::get`] returns for a missing key).
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written.
    Num(String),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object, keys in the order written.
    Obj(Vec<(String, Json)>),
}

static NULL: Json = Json::Null;

impl Json {
    /// The value under `key` of an object (`Null` when absent or not an object).
    pub fn get(&self, key: &str) -> &Json {
        match self {
            Json::Obj(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The number as an unsigned integer, if it is one.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Num(n) => n.parse().ok(),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The items of an array (empty for anything else).
    pub fn items(&self) -> &[Json] {
        match self {
            Json::Arr(items) => items,
            _ => &[],
        }
    }

    /// The fields of an object (empty for anything else).
    pub fn fields(&self) -> &[(String, Json)] {
        match self {
            Json::Obj(fields) => fields,
            _ => &[],
        }
    }

    /// A string field, or "" when absent (for `#[serde(default)]` fields).
    pub fn text(&self, key: &str) -> String {
        self.get(key).as_str().unwrap_or_default().to_string()
    }

    /// A required string field.
    fn req(&self, key: &str) -> Option<String> {
        self.get(key).as_str().map(str::to_string)
    }

    /// An optional string field (`null` or absent is `None`).
    fn opt(&self, key: &str) -> Option<Option<String>> {
        match self.get(key) {
            Json::Null => Some(None),
            Json::Str(s) => Some(Some(s.clone())),
            _ => None,
        }
    }

    /// An object of strings as a map (non-string values are skipped).
    pub fn string_map(&self) -> BTreeMap<String, String> {
        map_of(self.fields().iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))))
    }

    /// Writes the value as compact JSON.
    pub fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Num(n) => out.push_str(n),
            Json::Str(s) => write_str(out, s),
            Json::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Obj(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(out, k);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// The value as compact JSON text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// An object from key/value pairs.
    pub fn obj<const N: usize>(fields: [(&str, Json); N]) -> Json {
        Json::Obj(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Self {
        Json::Str(s.to_string())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Self {
        Json::Str(s)
    }
}

impl From<u64> for Json {
    fn from(n: u64) -> Self {
        Json::Num(n.to_string())
    }
}

impl From<bool> for Json {
    fn from(b: bool) -> Self {
        Json::Bool(b)
    }
}

impl From<Option<String>> for Json {
    fn from(s: Option<String>) -> Self {
        s.map(Json::Str).unwrap_or(Json::Null)
    }
}

impl From<&BTreeMap<String, String>> for Json {
    fn from(map: &BTreeMap<String, String>) -> Self {
        Json::Obj(map.iter().map(|(k, v)| (k.clone(), Json::Str(v.clone()))).collect())
    }
}

fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Parses JSON text; `None` for anything that is not exactly one JSON value.
pub fn parse(text: &str) -> Option<Json> {
    let mut p = Parser { s: text.as_bytes(), i: 0 };
    let value = p.value(0)?;
    p.ws();
    (p.i == p.s.len()).then_some(value)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, lit: &[u8]) -> Option<()> {
        let end = self.i.checked_add(lit.len())?;
        (self.s.get(self.i..end)? == lit).then(|| self.i = end)
    }

    fn value(&mut self, depth: usize) -> Option<Json> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match *self.s.get(self.i)? {
            b'n' => self.eat(b"null").map(|_| Json::Null),
            b't' => self.eat(b"true").map(|_| Json::Bool(true)),
            b'f' => self.eat(b"false").map(|_| Json::Bool(false)),
            b'"' => self.string().map(Json::Str),
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat(b"]").is_some() {
                    return Some(Json::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    if self.eat(b",").is_none() {
                        self.eat(b"]")?;
                        return Some(Json::Arr(items));
                    }
                }
            }
            b'{' => {
                self.i += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.eat(b"}").is_some() {
                    return Some(Json::Obj(fields));
                }
                loop {
                    self.ws();
                    let key = self.string()?;
                    self.ws();
                    self.eat(b":")?;
                    fields.push((key, self.value(depth + 1)?));
                    self.ws();
                    if self.eat(b",").is_none() {
                        self.eat(b"}")?;
                        return Some(Json::Obj(fields));
                    }
                }
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn number(&mut self) -> Option<Json> {
        let start = self.i;
        self.eat(b"-");
        let digits = |p: &mut Self| {
            let from = p.i;
            while p.s.get(p.i).is_some_and(u8::is_ascii_digit) {
                p.i += 1;
            }
            p.i > from
        };
        if !digits(self) {
            return None;
        }
        if self.eat(b".").is_some() && !digits(self) {
            return None;
        }
        if self.s.get(self.i).is_some_and(|b| matches!(b, b'e' | b'E')) {
            self.i += 1;
            if self.eat(b"+").is_none() {
                self.eat(b"-");
            }
            if !digits(self) {
                return None;
            }
        }
        let text = std::str::from_utf8(self.s.get(start..self.i)?).ok()?;
        Some(Json::Num(text.to_string()))
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = std::str::from_utf8(self.s.get(self.i..self.i.checked_add(4)?)?).ok()?;
        let n = u32::from_str_radix(digits, 16).ok()?;
        self.i += 4;
        Some(n)
    }

    fn string(&mut self) -> Option<String> {
        self.eat(b"\"")?;
        let mut out = Vec::new();
        loop {
            let b = *self.s.get(self.i)?;
            self.i += 1;
            match b {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = *self.s.get(self.i)?;
                    self.i += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                self.eat(b"\\u")?;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code)?
                        }
                        _ => return None,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return None,
                b => out.push(b),
            }
        }
    }
}

/// Types the widget reads from the wire.
pub trait FromJson: Sized {
    /// Converts a parsed value; `None` when it is not this shape.
    fn from_json(v: &Json) -> Option<Self>;

    /// Parses and converts JSON text.
    fn from_text(text: &str) -> Option<Self> {
        Self::from_json(&parse(text)?)
    }
}

/// Types the widget writes to the wire.
pub trait ToJson {
    /// The value as JSON.
    fn to_json(&self) -> Json;
}

fn list<T: FromJson>(v: &Json) -> Option<Vec<T>> {
    v.items().iter().map(T::from_json).collect()
}

impl FromJson for Author {
    fn from_json(v: &Json) -> Option<Self> {
        match v.get("role").as_str()? {
            "visitor" => Some(Author::Visitor),
            "system" => Some(Author::System),
            "agent" => Some(Author::Agent { id: v.req("id")?, name: v.req("name")? }),
            _ => None,
        }
    }
}

impl FromJson for MessageBody {
    fn from_json(v: &Json) -> Option<Self> {
        let upload = || Some((v.req("upload_id")?, v.req("name")?, v.get("size").as_u64()?, v.req("content_type")?));
        Some(match v.get("kind").as_str()? {
            "text" => MessageBody::Text { text: v.req("text")? },
            "image" => {
                let (upload_id, name, size, content_type) = upload()?;
                MessageBody::Image { upload_id, name, size, content_type }
            }
            "file" => {
                let (upload_id, name, size, content_type) = upload()?;
                MessageBody::File { upload_id, name, size, content_type }
            }
            "card" => MessageBody::Card {
                list: v.text("list"),
                id: v.req("id")?,
                title: v.req("title")?,
                image: v.text("image"),
                price: v.text("price"),
                status: v.text("status"),
                url: v.text("url"),
            },
            _ => return None,
        })
    }
}

impl ToJson for MessageBody {
    fn to_json(&self) -> Json {
        match self {
            MessageBody::Text { text } => Json::obj([("kind", "text".into()), ("text", text.as_str().into())]),
            MessageBody::Image { upload_id, name, size, content_type }
            | MessageBody::File { upload_id, name, size, content_type } => Json::obj([
                ("kind", if matches!(self, MessageBody::Image { .. }) { "image" } else { "file" }.into()),
                ("upload_id", upload_id.as_str().into()),
                ("name", name.as_str().into()),
                ("size", (*size).into()),
                ("content_type", content_type.as_str().into()),
            ]),
            MessageBody::Card { list, id, title, image, price, status, url } => Json::obj([
                ("kind", "card".into()),
                ("list", list.as_str().into()),
                ("id", id.as_str().into()),
                ("title", title.as_str().into()),
                ("image", image.as_str().into()),
                ("price", price.as_str().into()),
                ("status", status.as_str().into()),
                ("url", url.as_str().into()),
            ]),
        }
    }
}

impl FromJson for ChatMessage {
    fn from_json(v: &Json) -> Option<Self> {
        Some(ChatMessage {
            conversation_id: v.req("conversation_id")?,
            seq: v.get("seq").as_u64()?,
            client_id: v.req("client_id")?,
            author: Author::from_json(v.get("author"))?,
            body: MessageBody::from_json(v.get("body"))?,
            at_ms: v.get("at_ms").as_u64()?,
        })
    }
}

impl FromJson for FormFieldInfo {
    fn from_json(v: &Json) -> Option<Self> {
        Some(FormFieldInfo {
            name: v.req("name")?,
            required: v.get("required").as_bool()?,
            label: v.get("label").as_str().map(str::to_string),
        })
    }
}

impl FromJson for ServerFrame {
    /// The frames the Desk sends to visitors; agent-only frames read as `None`.
    fn from_json(v: &Json) -> Option<Self> {
        let conversation_id = || v.req("conversation_id");
        Some(match v.get("type").as_str()? {
            "ready" => ServerFrame::Ready {
                principal: v.req("principal")?,
                skipped_to: v.get("skipped_to").as_u64().unwrap_or(0),
            },
            "message" => ServerFrame::Message { message: ChatMessage::from_json(v.get("message"))? },
            "ack" => ServerFrame::Ack {
                client_id: v.req("client_id")?,
                conversation_id: conversation_id()?,
                seq: v.get("seq").as_u64()?,
                at_ms: v.get("at_ms").as_u64().unwrap_or(0),
            },
            "status" => ServerFrame::Status {
                conversation_id: conversation_id()?,
                state: ConvStatus::parse(&v.req("state")?)?,
                position: v.get("position").as_u64().and_then(|p| u32::try_from(p).ok()),
                reason: match v.opt("reason")? {
                    Some(word) => Some(WaitReason::parse(&word)?),
                    None => None,
                },
                agent_name: v.opt("agent_name")?,
            },
            "leave_message_form" => ServerFrame::LeaveMessageForm {
                conversation_id: conversation_id()?,
                intro: v.req("intro")?,
                fields: list(v.get("fields"))?,
            },
            "typing" => ServerFrame::Typing {
                conversation_id: conversation_id()?,
                from: Side::parse(&v.req("from")?)?,
                typing: v.get("typing").as_bool()?,
            },
            "read" => ServerFrame::Read {
                conversation_id: conversation_id()?,
                from: Side::parse(&v.req("from")?)?,
                seq: v.get("seq").as_u64()?,
            },
            "rated" => ServerFrame::Rated {
                conversation_id: conversation_id()?,
                score: u8::try_from(v.get("score").as_u64()?).ok()?,
            },
            "error" => ServerFrame::Error { code: v.req("code")?, message: v.req("message")? },
            "rejected" => ServerFrame::Rejected {
                client_id: v.req("client_id")?,
                code: v.req("code")?,
                message: v.req("message")?,
            },
            _ => return None,
        })
    }
}

impl FromJson for SessionOpened {
    fn from_json(v: &Json) -> Option<Self> {
        (v.get("type").as_str()? == "session")
            .then(|| Some(SessionOpened { session: SessionResponse::from_json(v.get("session"))? }))?
    }
}

impl ToJson for VisitorFrame {
    fn to_json(&self) -> Json {
        match self {
            VisitorFrame::Open { session } => Json::obj([("type", "open".into()), ("session", session.to_json())]),
            VisitorFrame::Auth { token, last_seq } => {
                Json::obj([("type", "auth".into()), ("token", token.as_str().into()), ("last_seq", (*last_seq).into())])
            }
            VisitorFrame::Send { client_id, body } => {
                Json::obj([("type", "send".into()), ("client_id", client_id.as_str().into()), ("body", body.to_json())])
            }
            VisitorFrame::LeaveMessage { fields } => {
                Json::obj([("type", "leave_message".into()), ("fields", fields.into())])
            }
            VisitorFrame::Typing { typing } => Json::obj([("type", "typing".into()), ("typing", (*typing).into())]),
            VisitorFrame::Read { seq } => Json::obj([("type", "read".into()), ("seq", (*seq).into())]),
            VisitorFrame::History { before_seq } => {
                Json::obj([("type", "history".into()), ("before_seq", (*before_seq).into())])
            }
            VisitorFrame::Rate { score, comment } => Json::obj([
                ("type", "rate".into()),
                ("score", u64::from(*score).into()),
                ("comment", comment.as_str().into()),
            ]),
        }
    }
}

impl ToJson for SessionRequest {
    fn to_json(&self) -> Json {
        Json::obj([
            ("identity", self.identity.clone().into()),
            ("resume_token", self.resume_token.clone().into()),
            ("locale", self.locale.clone().into()),
            ("entry", self.entry.clone().into()),
            ("page_url", self.page_url.clone().into()),
            ("page_title", self.page_title.clone().into()),
            ("referrer", self.referrer.clone().into()),
            ("landing_url", self.landing_url.clone().into()),
            ("host_origin", self.host_origin.clone().into()),
            ("custom_fields", (&self.custom_fields).into()),
            ("pre_chat", (&self.pre_chat).into()),
            ("group", self.group.clone().into()),
            ("channel", self.channel.map(|c| c.as_str().to_string()).into()),
            ("plugin", self.plugin.clone().into()),
        ])
    }
}

impl FromJson for PreChatField {
    fn from_json(v: &Json) -> Option<Self> {
        let kind = match v.get("kind").as_str().unwrap_or("text") {
            "text" => PreChatKind::Text,
            "phone" => PreChatKind::Phone,
            "email" => PreChatKind::Email,
            "select" => PreChatKind::Select,
            _ => return None,
        };
        Some(PreChatField {
            name: v.text("name"),
            label: v.text("label"),
            kind,
            required: v.get("required").as_bool().unwrap_or(false),
            options: v.get("options").items().iter().filter_map(|o| o.as_str().map(str::to_string)).collect(),
        })
    }
}

impl FromJson for GroupChoice {
    fn from_json(v: &Json) -> Option<Self> {
        Some(GroupChoice { id: v.text("id"), name: v.text("name") })
    }
}

impl FromJson for CardButton {
    fn from_json(v: &Json) -> Option<Self> {
        Some(CardButton { list: v.text("list"), name: v.text("name"), icon: v.text("icon") })
    }
}

impl FromJson for WidgetConfig {
    fn from_json(v: &Json) -> Option<Self> {
        let defaults = WidgetConfig::default();
        Some(WidgetConfig {
            site_name: v.text("site_name"),
            greeting: v.text("greeting"),
            pre_chat: list(v.get("pre_chat"))?,
            groups: list(v.get("groups"))?,
            card_buttons: list(v.get("card_buttons"))?,
            max_image_bytes: v.get("max_image_bytes").as_u64().unwrap_or(defaults.max_image_bytes),
            max_file_bytes: v.get("max_file_bytes").as_u64().unwrap_or(defaults.max_file_bytes),
        })
    }
}

impl FromJson for SessionResponse {
    fn from_json(v: &Json) -> Option<Self> {
        Some(SessionResponse {
            visitor_id: v.req("visitor_id")?,
            conversation_id: v.req("conversation_id")?,
            token: v.req("token")?,
            verified: v.get("verified").as_bool()?,
            visitor_name: v.req("visitor_name")?,
            config: WidgetConfig::from_json(v.get("config"))?,
            identity_refused: match v.get("identity_refused") {
                Json::Null => None,
                e => Some(ApiError { code: e.req("code")?, message: e.req("message")? }),
            },
        })
    }
}

impl FromJson for UploadResponse {
    fn from_json(v: &Json) -> Option<Self> {
        Some(UploadResponse {
            upload_id: v.req("upload_id")?,
            name: v.req("name")?,
            size: v.get("size").as_u64()?,
            content_type: v.req("content_type")?,
            kind: match v.get("kind").as_str()? {
                "image" => UploadKind::Image,
                "file" => UploadKind::File,
                _ => return None,
            },
            url: v.req("url")?,
        })
    }
}

impl FromJson for ErrorBody {
    fn from_json(v: &Json) -> Option<Self> {
        let e = v.get("error");
        Some(ErrorBody { error: ApiError { code: e.req("code")?, message: e.req("message")? } })
    }
}

/// Builds a map one insert at a time. `collect()` into a `BTreeMap` sorts and bulk-builds, a second
/// copy of the map code in the widget's download; every map the widget makes goes through here.
pub fn map_of<V>(pairs: impl IntoIterator<Item = (String, V)>) -> BTreeMap<String, V> {
    let mut map = BTreeMap::new();
    for (k, v) in pairs {
        map.insert(k, v);
    }
    map
}

#[cfg(test)]
mod tests;
