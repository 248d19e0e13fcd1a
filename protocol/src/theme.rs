//! Theme tokens (a plugin's theme, `data-theme`, `setTheme`): colour, launcher icon, label, shape,
//! position, title, dark mode and sound, with a text colour picked automatically so text on the
//! theme colour is always readable (contrast of at least 4.5:1). The widget draws its launcher and
//! window from them; the edge draws the loader's launcher (the facade shown before the widget
//! loads) from the same tokens, so both look the same.

use crate::checks::is_web_url;
use crate::lite::Json;

/// The launcher's accessible name (and the bar's text) when the theme gives no label, in Chinese.
pub const OPEN_CHAT_ZH: &str = "在线咨询";
/// The same in English.
pub const OPEN_CHAT_EN: &str = "Chat with us";

/// Whether a locale tag (`zh-CN`, `en-US`, ...) reads English: the widget is Chinese unless the tag
/// starts with `en`.
pub fn is_english(locale: &str) -> bool {
    locale.to_ascii_lowercase().starts_with("en")
}

/// SVG path of a built-in launcher icon (24×24 view box).
pub fn icon_path(name: &str) -> &'static str {
    match name {
        "headset" => "M12 2a9 9 0 0 0-9 9v6a3 3 0 0 0 3 3h2v-8H5v-1a7 7 0 0 1 14 0v1h-3v8h3v1h-6v2h6a2 2 0 0 0 2-2v-9a9 9 0 0 0-9-9z",
        "message" => "M4 4h16a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm0 3.2V18h16V7.2l-8 5.3z M4.6 6 12 10.9 19.4 6z",
        "help" => "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 17h-2v-2h2zm2.1-7.8-.9.9c-.7.7-1.2 1.4-1.2 2.9h-2v-.5c0-1.1.5-2.1 1.2-2.8l1.2-1.3A2 2 0 1 0 10 9H8a4 4 0 1 1 7.1 2.2z",
        _ => "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z",
    }
}

/// Built-in launcher icons.
pub const ICONS: [&str; 4] = ["chat", "headset", "message", "help"];

/// The widget's look, as the page set it.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    /// Primary colour, `#rrggbb`.
    pub primary: String,
    /// Launcher (and window) on the left instead of the right.
    pub left: bool,
    /// Distance from the side, px.
    pub offset_x: u32,
    /// Distance from the bottom, px.
    pub offset_y: u32,
    /// Launcher shape: `circle`, `rounded` or `bar`.
    pub shape: &'static str,
    /// A built-in icon name, or an http(s) image URL.
    pub icon: String,
    /// Launcher label (shown on the bar shape; the accessible name of the others).
    pub label: String,
    /// Window title (else the agent's or the site's name).
    pub title: String,
    /// Dark mode: `Some(true)`, `Some(false)`, or `None` to follow the system.
    pub dark: Option<bool>,
    /// Play a short sound for agent messages while the window is closed.
    pub sound: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Self {
            primary: "#1456f0".into(),
            left: false,
            offset_x: 20,
            offset_y: 20,
            shape: "circle",
            icon: "chat".into(),
            label: String::new(),
            title: String::new(),
            dark: Some(false),
            sound: false,
        }
    }
}

impl Theme {
    /// Applies the tokens present in `tokens`; unknown or malformed values are ignored.
    pub fn merge(&mut self, tokens: &Json) {
        for (key, value) in tokens.fields() {
            let text = value.as_str().unwrap_or_default();
            match key.as_str() {
                "primary" => {
                    if let Some(hex) = normalize_hex(text) {
                        self.primary = hex;
                    }
                }
                "position" => self.left = text == "left",
                "offsetX" => self.offset_x = px(value).unwrap_or(self.offset_x),
                "offsetY" => self.offset_y = px(value).unwrap_or(self.offset_y),
                "shape" => {
                    self.shape = match text {
                        "rounded" => "rounded",
                        "bar" => "bar",
                        _ => "circle",
                    }
                }
                "icon" if ICONS.contains(&text) || is_web_url(text) => self.icon = text.to_string(),
                "label" => self.label = text.chars().take(40).collect(),
                "title" => self.title = text.chars().take(60).collect(),
                "dark" => {
                    self.dark = match (value.as_bool(), text) {
                        (Some(on), _) => Some(on),
                        (None, "auto") => None,
                        _ => Some(false),
                    }
                }
                "sound" => self.sound = value.as_bool().unwrap_or(false),
                _ => {}
            }
        }
    }

    /// CSS custom properties for the root element.
    pub fn style(&self) -> String {
        let on = readable_on(&self.primary);
        format!(
            "--cw-primary:{};--cw-on-primary:{on};--cw-ox:{}px;--cw-oy:{}px",
            self.primary, self.offset_x, self.offset_y
        )
    }

    /// Classes for the root element: side, shape and colour scheme.
    pub fn classes(&self) -> String {
        let scheme = match self.dark {
            Some(true) => " cw-dark",
            Some(false) => "",
            None => " cw-auto",
        };
        format!("cw-{} cw-shape-{}{scheme}", if self.left { "left" } else { "right" }, self.shape)
    }
}

fn px(value: &Json) -> Option<u32> {
    let n = value.as_u64().or_else(|| value.as_str()?.trim_end_matches("px").parse().ok())?;
    Some(n.min(200) as u32)
}

/// `#rgb` or `#rrggbb` (any case) as lower-case `#rrggbb`.
pub fn normalize_hex(text: &str) -> Option<String> {
    let digits = text.strip_prefix('#')?;
    if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    match digits.len() {
        6 => Some(format!("#{}", digits.to_ascii_lowercase())),
        3 => Some(digits.chars().fold(String::from("#"), |mut s, c| {
            s.push(c.to_ascii_lowercase());
            s.push(c.to_ascii_lowercase());
            s
        })),
        _ => None,
    }
}

/// WCAG relative luminance of `#rrggbb`.
pub fn luminance(hex: &str) -> f64 {
    let channel = |i: usize| {
        let v = f64::from(u8::from_str_radix(hex.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0)) / 255.0;
        if v <= 0.039_28 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
}

/// WCAG contrast ratio of two luminances.
pub fn contrast(a: f64, b: f64) -> f64 {
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

/// The text colour for `hex`: white when it reaches 4.5:1 there, else black (which then always
/// does: the better of the two is at least 4.58:1 on any colour).
pub fn readable_on(hex: &str) -> &'static str {
    if contrast(luminance(hex), 1.0) >= 4.5 {
        "#ffffff"
    } else {
        "#000000"
    }
}
