//! A site's WeChat mini-programs (`SiteConfig.mini_programs`): what WeChat's message push and
//! customer-service API need (AppID, AppSecret, Token, EncodingAESKey, data format, encryption
//! mode), and the reply quotas WeChat allows after each user action. The secrets leave the Desk
//! only masked, as identity keys do.

use serde::{Deserialize, Serialize};

/// One mini-program whose customer-service messages reach the site's agents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MiniProgramConfig {
    /// Its AppID (`wx` and 16 hex digits); the push URL is `.../wechat/{app_id}`.
    pub app_id: String,
    /// The name agents see.
    pub name: String,
    /// Its AppSecret (for the access token of the customer-service API).
    pub app_secret: String,
    /// The message push's Token (signatures).
    pub token: String,
    /// The message push's EncodingAESKey (43 characters; 兼容 and 安全 modes).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub encoding_aes_key: String,
    /// The push's data format.
    pub format: PushFormat,
    /// The push's encryption mode.
    pub mode: PushMode,
    /// The mini-program page an agent's product or order card opens, `{id}` standing for the
    /// card's id (`pages/goods/detail?id={id}`): cards then reach the user as mini-program cards
    /// (小程序卡片); empty, they go as a line of text.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub card_page: String,
}

impl MiniProgramConfig {
    /// The page path a card with this id opens (`None` without a [`Self::card_page`]); the id is
    /// percent-encoded, so it cannot add parameters of its own.
    pub fn card_path(&self, id: &str) -> Option<String> {
        if self.card_page.is_empty() {
            return None;
        }
        let mut encoded = String::new();
        for b in id.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => encoded.push(char::from(b)),
                _ => encoded.push_str(&format!("%{b:02X}")),
            }
        }
        Some(self.card_page.replace("{id}", &encoded))
    }
}

/// The longest card page path, in bytes.
pub const MAX_CARD_PAGE: usize = 200;

/// The data format of a mini-program's message push (数据格式).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushFormat {
    /// JSON.
    Json,
    /// XML (WeChat's default).
    #[default]
    Xml,
}

/// The encryption mode of a mini-program's message push (消息加解密方式).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushMode {
    /// 明文模式: not encrypted.
    Plain,
    /// 兼容模式: plain and encrypted side by side (the encrypted part is used).
    Compat,
    /// 安全模式: encrypted only (recommended).
    #[default]
    Safe,
}

/// The replies WeChat allows after each user action (a site setting, with the numbers WeChat
/// documents today: 2 within 1 minute of entering the session, 5 within 48 hours of a message;
/// older rules said 1 and 3). WeChat's own refusals (45015, 45047) stay the final word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplyQuotaSettings {
    /// Replies after the user enters the session...
    pub enter_replies: u8,
    /// ...within this many seconds.
    pub enter_window_secs: u64,
    /// Replies after a user message...
    pub message_replies: u8,
    /// ...within this many seconds.
    pub message_window_secs: u64,
}

impl Default for ReplyQuotaSettings {
    fn default() -> Self {
        ReplyQuotaSettings {
            enter_replies: 2,
            enter_window_secs: 60,
            message_replies: 5,
            message_window_secs: 48 * 3600,
        }
    }
}

impl ReplyQuotaSettings {
    /// WeChat's current numbers.
    #[must_use]
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Checks the numbers: 1-20 replies, windows from 1 second to 7 days.
    pub fn check(&self) -> Result<(), (String, String)> {
        for (field, replies) in [("enter_replies", self.enter_replies), ("message_replies", self.message_replies)] {
            if !(1..=20).contains(&replies) {
                return Err((format!("reply_quotas.{field}"), "1 to 20 replies".into()));
            }
        }
        for (field, secs) in
            [("enter_window_secs", self.enter_window_secs), ("message_window_secs", self.message_window_secs)]
        {
            if !(1..=7 * 24 * 3600).contains(&secs) {
                return Err((format!("reply_quotas.{field}"), "1 second to 7 days".into()));
            }
        }
        Ok(())
    }
}

/// Checks the mini-programs: an AppID of `wx` and 16 hex digits, once; a name; an AppSecret of
/// 32 hex digits; a Token of 3-32 letters and digits; in 兼容 and 安全 modes an EncodingAESKey of 43
/// letters and digits. A masked secret (from a settings page) passes: the Desk puts the stored one
/// back. The error names the field.
pub fn check_mini_programs(list: &[MiniProgramConfig]) -> Result<(), (String, String)> {
    let masked = |s: &str| s.starts_with(crate::settings::MASK_PREFIX);
    for (i, m) in list.iter().enumerate() {
        let at = |f: &str| format!("mini_programs[{i}].{f}");
        let app_id_ok =
            m.app_id.len() == 18 && m.app_id.starts_with("wx") && m.app_id[2..].bytes().all(|b| b.is_ascii_hexdigit());
        if !app_id_ok {
            return Err((at("app_id"), "an AppID is wx and 16 hex digits".into()));
        }
        if list[..i].iter().any(|o| o.app_id == m.app_id) {
            return Err((at("app_id"), format!("{} is listed twice", m.app_id)));
        }
        if m.name.trim().is_empty() {
            return Err((at("name"), "a name agents see".into()));
        }
        let secret_ok = m.app_secret.len() == 32 && m.app_secret.bytes().all(|b| b.is_ascii_hexdigit());
        if !(masked(&m.app_secret) || secret_ok) {
            return Err((at("app_secret"), "an AppSecret is 32 hex digits".into()));
        }
        let token_ok = (3..=32).contains(&m.token.len()) && m.token.bytes().all(|b| b.is_ascii_alphanumeric());
        if !(masked(&m.token) || token_ok) {
            return Err((at("token"), "a Token is 3-32 letters and digits".into()));
        }
        let key_ok = m.encoding_aes_key.len() == 43 && m.encoding_aes_key.bytes().all(|b| b.is_ascii_alphanumeric());
        if m.mode != PushMode::Plain && !masked(&m.encoding_aes_key) && !key_ok {
            return Err((at("encoding_aes_key"), "an EncodingAESKey is 43 letters and digits".into()));
        }
        let page = &m.card_page;
        let page_ok = page.len() <= MAX_CARD_PAGE
            && !page.starts_with('/')
            && !page.contains("://")
            && page.chars().all(|c| c.is_ascii_graphic() || (!c.is_ascii() && !c.is_control()));
        if !page_ok {
            return Err((
                at("card_page"),
                format!("a page path as in app.json (pages/goods/detail?id={{id}}), at most {MAX_CARD_PAGE} bytes"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> MiniProgramConfig {
        MiniProgramConfig {
            app_id: "wx0123456789abcdef".into(),
            name: "商城小程序".into(),
            app_secret: "0123456789abcdef0123456789abcdef".into(),
            token: "AAAAA".into(),
            encoding_aes_key: "A".repeat(43),
            format: PushFormat::Json,
            mode: PushMode::Safe,
            card_page: String::new(),
        }
    }

    #[test]
    fn a_card_opens_its_page_with_the_id_encoded() {
        let m = MiniProgramConfig { card_page: "pages/goods/detail?id={id}&from=kf".into(), ..good() };
        assert_eq!(m.card_path("SKU-42").as_deref(), Some("pages/goods/detail?id=SKU-42&from=kf"));
        assert_eq!(m.card_path("1&admin=1").as_deref(), Some("pages/goods/detail?id=1%26admin%3D1&from=kf"));
        assert_eq!(m.card_path("鞋").as_deref(), Some("pages/goods/detail?id=%E9%9E%8B&from=kf"));
        assert_eq!(good().card_path("42"), None, "no card page: cards go as text");
        let field = |page: &str| check_mini_programs(&[MiniProgramConfig { card_page: page.into(), ..good() }]).err();
        assert_eq!(field("pages/goods/detail?id={id}"), None);
        assert_eq!(field(""), None);
        for bad in ["/pages/a", "https://shop.example/a", "pages/a b", &"p".repeat(201)] {
            assert_eq!(field(bad).map(|(f, _)| f).as_deref(), Some("mini_programs[0].card_page"), "{bad}");
        }
    }

    #[test]
    fn the_check_names_the_bad_field() {
        assert_eq!(check_mini_programs(&[good()]), Ok(()));
        let field = |m: MiniProgramConfig| check_mini_programs(&[m]).err().map(|(f, _)| f);
        assert_eq!(
            field(MiniProgramConfig { app_id: "wx123".into(), ..good() }).as_deref(),
            Some("mini_programs[0].app_id")
        );
        assert_eq!(
            field(MiniProgramConfig { token: "a b".into(), ..good() }).as_deref(),
            Some("mini_programs[0].token")
        );
        assert_eq!(
            field(MiniProgramConfig { encoding_aes_key: "short".into(), ..good() }).as_deref(),
            Some("mini_programs[0].encoding_aes_key")
        );
        assert_eq!(field(MiniProgramConfig { encoding_aes_key: String::new(), mode: PushMode::Plain, ..good() }), None);
        assert_eq!(field(MiniProgramConfig { app_secret: "masked:0123456789ab".into(), ..good() }), None);
        let twice = check_mini_programs(&[good(), good()]).err().map(|(f, _)| f);
        assert_eq!(twice.as_deref(), Some("mini_programs[1].app_id"));
    }
}
