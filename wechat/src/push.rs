//! What WeChat pushes to the developer's URL, in JSON or XML: the encrypted envelope
//! (`ToUserName`, `Encrypt`) and the customer-service messages and events inside it (text, image,
//! mini-program page card, `user_enter_tempsession` with its `SessionFrom`). `MsgId` is a 64-bit
//! integer: it is kept as the digits WeChat wrote, never through a float.

use std::collections::BTreeMap;

use crate::WechatError;

/// The push's data format, as the mini-program's settings choose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `{"ToUserName": ...}`.
    Json,
    /// `<xml><ToUserName><![CDATA[...]]></ToUserName>...</xml>`.
    Xml,
}

/// A push's fields by name, as text.
pub type Fields = BTreeMap<String, String>;

/// Reads a push body's top-level fields (numbers as written, nested values left out).
pub fn fields(body: &str, format: Format) -> Result<Fields, WechatError> {
    match format {
        Format::Json => json_fields(body),
        Format::Xml => xml_fields(body),
    }
}

fn json_fields(body: &str) -> Result<Fields, WechatError> {
    let value: serde_json::Value = serde_json::from_str(body).map_err(|e| WechatError::Malformed(e.to_string()))?;
    let serde_json::Value::Object(members) = value else {
        return Err(WechatError::Malformed("not a JSON object".into()));
    };
    Ok(members
        .into_iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k, s)),
            // serde_json keeps an integer exact (u64/i64), so MsgId's digits survive.
            serde_json::Value::Number(n) => Some((k, n.to_string())),
            _ => None,
        })
        .collect())
}

/// WeChat's XML: one `<xml>` element of flat children, each text, CDATA sections (a CDATA section
/// is read to its own `]]>` before anything else, so no text inside it can close its element or
/// open another) or both. A field given twice is refused; a nested element (none of the fields
/// read here) is skipped.
fn xml_fields(body: &str) -> Result<Fields, WechatError> {
    let malformed = |why: &str| WechatError::Malformed(format!("XML: {why}"));
    let inner = body
        .trim()
        .trim_start_matches('\u{feff}')
        .strip_prefix("<xml>")
        .and_then(|rest| rest.trim_end().strip_suffix("</xml>"))
        .ok_or_else(|| malformed("not one <xml> element"))?;
    let mut out = Fields::new();
    let mut rest = inner.trim_start();
    while !rest.is_empty() {
        let open = rest.strip_prefix('<').ok_or_else(|| malformed("text outside an element"))?;
        let end = open.find('>').ok_or_else(|| malformed("an element is not closed"))?;
        let tag = &open[..end];
        if let Some(name) = tag.strip_suffix('/') {
            // `<Name/>`: an empty field.
            let name = name.trim_end();
            if !is_name(name) {
                return Err(malformed("bad element"));
            }
            if out.insert(name.to_string(), String::new()).is_some() {
                return Err(malformed("a field is given twice"));
            }
            rest = open[end + 1..].trim_start();
            continue;
        }
        if !is_name(tag) {
            return Err(malformed("bad element"));
        }
        let close = format!("</{tag}>");
        let mut body = &open[end + 1..];
        // The value's parts in order: CDATA sections (`true`) and text (`false`).
        let mut parts: Vec<(bool, String)> = Vec::new();
        let mut nested = false;
        loop {
            if let Some(section) = body.strip_prefix("<![CDATA[") {
                let stop = section.find("]]>").ok_or_else(|| malformed("a CDATA section is not closed"))?;
                parts.push((true, section[..stop].to_string()));
                body = &section[stop + 3..];
            } else if let Some(after) = body.strip_prefix(close.as_str()) {
                body = after;
                break;
            } else if body.starts_with('<') {
                // A nested element: not a field of ours; skip to this element's end.
                let stop = body.find(close.as_str()).ok_or_else(|| malformed("an element is not closed"))?;
                nested = true;
                body = &body[stop + close.len()..];
                break;
            } else {
                let stop = body.find('<').ok_or_else(|| malformed("an element is not closed"))?;
                parts.push((false, unescape(&body[..stop])));
                body = &body[stop..];
            }
        }
        if !nested {
            // Whitespace around CDATA sections is layout, not value.
            let has_cdata = parts.iter().any(|(c, _)| *c);
            let value: String =
                parts.into_iter().filter(|(c, t)| *c || !has_cdata || !t.trim().is_empty()).map(|(_, t)| t).collect();
            if out.insert(tag.to_string(), value).is_some() {
                return Err(malformed("a field is given twice"));
            }
        }
        rest = body.trim_start();
    }
    Ok(out)
}

fn is_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

/// A customer-service push: who wrote to which mini-program, when, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// The mini-program's original id (`gh_...`).
    pub to: String,
    /// The user's openid.
    pub from: String,
    /// When, unix seconds.
    pub create_time: u64,
    /// What.
    pub kind: PushKind,
}

/// What a push carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushKind {
    /// A text message.
    Text {
        /// `MsgId`, as written.
        msg_id: String,
        /// The text.
        content: String,
    },
    /// An image.
    Image {
        /// `MsgId`.
        msg_id: String,
        /// WeChat's temporary link to it.
        pic_url: String,
        /// Its media id (to download it through the API).
        media_id: String,
    },
    /// A mini-program page card.
    Card {
        /// `MsgId`.
        msg_id: String,
        /// Its title.
        title: String,
        /// The mini-program it opens.
        app_id: String,
        /// The page it opens.
        page_path: String,
        /// Its thumbnail's link.
        thumb_url: String,
    },
    /// The user entered the customer-service session (`user_enter_tempsession`).
    EnterSession {
        /// The button's `session-from`.
        session_from: String,
    },
    /// Anything else (kept out of the conversation).
    Other {
        /// Its `MsgType` (and `Event`).
        what: String,
    },
}

impl Push {
    /// Reads a push from its fields.
    pub fn from_fields(f: &Fields) -> Result<Self, WechatError> {
        let get = |k: &str| f.get(k).cloned().unwrap_or_default();
        let need = |k: &str| {
            f.get(k).filter(|v| !v.is_empty()).cloned().ok_or_else(|| WechatError::Malformed(format!("no {k}")))
        };
        let msg_id = || {
            need("MsgId").and_then(|id| {
                if id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(id)
                } else {
                    Err(WechatError::Malformed("MsgId is not a 64-bit integer".into()))
                }
            })
        };
        let kind = match get("MsgType").as_str() {
            "text" => PushKind::Text { msg_id: msg_id()?, content: get("Content") },
            "image" => PushKind::Image { msg_id: msg_id()?, pic_url: get("PicUrl"), media_id: get("MediaId") },
            "miniprogrampage" => PushKind::Card {
                msg_id: msg_id()?,
                title: get("Title"),
                app_id: get("AppId"),
                page_path: get("PagePath"),
                thumb_url: get("ThumbUrl"),
            },
            "event" if get("Event") == "user_enter_tempsession" => {
                PushKind::EnterSession { session_from: get("SessionFrom") }
            }
            other => PushKind::Other { what: format!("{other} {}", get("Event")).trim().to_string() },
        };
        Ok(Push {
            to: get("ToUserName"),
            from: need("FromUserName")?,
            create_time: get("CreateTime").parse().map_err(|_| WechatError::Malformed("CreateTime".into()))?,
            kind,
        })
    }

    /// The key a retried push repeats: its `MsgId`, or for an event the user and the time.
    #[must_use]
    pub fn dedupe_key(&self) -> String {
        match &self.kind {
            PushKind::Text { msg_id, .. } | PushKind::Image { msg_id, .. } | PushKind::Card { msg_id, .. } => {
                format!("wx{msg_id}")
            }
            PushKind::EnterSession { .. } | PushKind::Other { .. } => format!("wxe{}", self.create_time),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_push_reads_the_same_in_json_and_xml_and_keeps_the_msg_id_exact() {
        let json = r#"{"ToUserName":"gh_1","FromUserName":"oUser","CreateTime":1482048670,"MsgType":"text","Content":"你好 <b>","MsgId":18446744073709551615}"#;
        let xml = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>\
                   <CreateTime>1482048670</CreateTime><MsgType><![CDATA[text]]></MsgType>\
                   <Content><![CDATA[你好 <b>]]></Content><MsgId>18446744073709551615</MsgId></xml>";
        let a = Push::from_fields(&fields(json, Format::Json).expect("json")).expect("a push");
        let b = Push::from_fields(&fields(xml, Format::Xml).expect("xml")).expect("a push");
        assert_eq!(a, b);
        assert_eq!(a.kind, PushKind::Text { msg_id: "18446744073709551615".into(), content: "你好 <b>".into() });
        assert_eq!(a.dedupe_key(), "wx18446744073709551615");
    }

    #[test]
    fn an_enter_event_carries_its_session_from_and_dedupes_by_time() {
        let xml = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>\
                   <CreateTime>1482048670</CreateTime><MsgType><![CDATA[event]]></MsgType>\
                   <Event><![CDATA[user_enter_tempsession]]></Event><SessionFrom><![CDATA[mp|小王||{}|entry=vip]]></SessionFrom></xml>";
        let push = Push::from_fields(&fields(xml, Format::Xml).expect("xml")).expect("a push");
        assert_eq!(push.kind, PushKind::EnterSession { session_from: "mp|小王||{}|entry=vip".into() });
        assert_eq!(push.dedupe_key(), "wxe1482048670");
    }

    #[test]
    fn a_card_and_an_image_read_their_fields() {
        let json = r#"{"FromUserName":"o1","CreateTime":1,"MsgType":"miniprogrampage","MsgId":7,"Title":"鞋","AppId":"wx1","PagePath":"pages/item?id=1","ThumbUrl":"https://mmbiz.qpic.cn/t"}"#;
        let card = Push::from_fields(&fields(json, Format::Json).expect("json")).expect("a push");
        assert!(
            matches!(card.kind, PushKind::Card { ref title, ref page_path, .. } if title == "鞋" && page_path == "pages/item?id=1")
        );
        let xml = "<xml><FromUserName>o1</FromUserName><CreateTime>2</CreateTime><MsgType>image</MsgType><PicUrl>https://mmbiz.qpic.cn/p?a=1&amp;b=2</PicUrl><MediaId>m1</MediaId><MsgId>8</MsgId></xml>";
        let image = Push::from_fields(&fields(xml, Format::Xml).expect("xml")).expect("a push");
        assert_eq!(
            image.kind,
            PushKind::Image {
                msg_id: "8".into(),
                pic_url: "https://mmbiz.qpic.cn/p?a=1&b=2".into(),
                media_id: "m1".into()
            }
        );
    }

    #[test]
    fn a_user_s_text_cannot_rewrite_the_push_s_other_fields() {
        // The attack: a user writes text that closes <Content> inside its CDATA and opens a
        // <FromUserName> of someone else, so that his message (and the agents' replies) would
        // belong to the victim.
        let text = "x</Content><FromUserName>oVictim</FromUserName><Content>hi";
        let xml = format!(
            "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oAttacker]]></FromUserName>\
             <CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>\
             <MsgId>9</MsgId></xml>"
        );
        let push = Push::from_fields(&fields(&xml, Format::Xml).expect("xml")).expect("a push");
        assert_eq!(push.from, "oAttacker");
        assert_eq!(push.kind, PushKind::Text { msg_id: "9".into(), content: text.into() });
        // A text with "]]>" in it comes split over two CDATA sections, as XML writers do.
        let split = "<xml><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>\
                     <Content><![CDATA[a]]]]><![CDATA[>b]]></Content><MsgId>1</MsgId></xml>";
        let push = Push::from_fields(&fields(split, Format::Xml).expect("xml")).expect("a push");
        assert_eq!(push.kind, PushKind::Text { msg_id: "1".into(), content: "a]]>b".into() });
        // A field given twice is refused rather than guessed at.
        let twice = "<xml><FromUserName>o1</FromUserName><FromUserName>o2</FromUserName></xml>";
        assert!(fields(twice, Format::Xml).is_err());
    }

    #[test]
    fn malformed_pushes_are_typed_refusals() {
        for bad in ["", "<xml>", "<xml><A>1</xml>", "<doc></doc>", "<xml><A B='1'>x</A></xml>"] {
            assert!(fields(bad, Format::Xml).is_err(), "{bad:?}");
        }
        assert!(fields("[1]", Format::Json).is_err());
        let no_from = fields(r#"{"MsgType":"text","MsgId":1,"CreateTime":1}"#, Format::Json).expect("json");
        assert!(Push::from_fields(&no_from).is_err());
        let float_id = fields(r#"{"FromUserName":"o","MsgType":"text","MsgId":1.5e3,"CreateTime":1}"#, Format::Json)
            .expect("json");
        assert!(Push::from_fields(&float_id).is_err(), "a MsgId that went through a float is refused");
    }
}
