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
}

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
