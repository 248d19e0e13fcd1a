//! The loader's launcher (the facade): `GET /api/v1/sites/{site}/launcher.js?plugin=&locale=&theme=&n=`
//! answers the look of the site's launcher as a script the loader (`/w.js`) asked for, so a host
//! page shows the consult button without the widget: no iframe, no wasm until the shopper reaches
//! for it. The look is drawn from the same theme rules as the widget's own launcher
//! (`protocol::theme`: the plugin's theme, then the page's `data-theme`) with the same CSS
//! (`widget/static/launcher.css`), so the two look the same. The answer calls
//! `ChatWidget("look", {css, html, n})`; a script the loader imports as a module (not a fetch,
//! and not a `<script>` element, which would hold back the page's load event) because every host
//! page already lets this edge's scripts in, while its `connect-src` may not list the edge. The styles go in through
//! a constructed stylesheet, which a page's `style-src` does not govern.

use protocol::lite::parse;
use protocol::theme::{icon_path, is_english, Theme, OPEN_CHAT_EN, OPEN_CHAT_ZH};
use worker::{Env, Headers, Request, Response};

use crate::error::{EdgeError, EdgeResult};
use crate::pages::{attribute, embed};

/// The launcher's rules, shared with the widget's stylesheet.
const LAUNCHER_CSS: &str = include_str!("../../widget/static/launcher.css");

/// What the widget's page gives its launcher around those rules, for the launcher alone on a host
/// page (inside a shadow root: the host page's styles do not reach in, nor ours out).
const FACADE_CSS: &str = concat!(
    ":host{all:initial}*{box-sizing:border-box}",
    ".cw{font:14px/1.5 system-ui,-apple-system,\"PingFang SC\",\"Microsoft YaHei\",sans-serif}",
    "button{font:inherit}.cw-launcher{position:fixed;z-index:2147483000}",
    ".cw-launcher[aria-busy=true]{cursor:progress}",
    ":focus-visible{outline:3px solid #1f2329;outline-offset:2px}",
);

/// How long a browser keeps the look: a theme changed in the settings shows on the next page
/// after a minute (an older copy may serve one page view while the new one is fetched).
const CACHE_CONTROL: &str = "public, max-age=60, stale-while-revalidate=600";

/// The look of `site`'s launcher for the loader. A page the site does not allow (its origin, which
/// the module import sends, is not among the plugin's allowed origins) gets `origin_not_allowed`:
/// the loader then falls back to the widget, which the browser refuses to frame there, as before,
/// instead of showing a launcher that can never open.
pub async fn launcher(env: &Env, site: &str, req: &Request) -> EdgeResult<Response> {
    let url = req.url()?;
    let param = |key: &str| url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned());
    let mut theme = Theme::default();
    // A site whose Desk cannot say gets the default look: the widget says what is wrong once opened.
    if let Ok(Some(embed)) = embed(env, site, param("plugin")).await {
        let own = url.origin().ascii_serialization();
        let allowed = |origin: &str| {
            origin == own || embed.origins.is_empty() || embed.origins.iter().any(|o| o.trim_end_matches('/') == origin)
        };
        if req.headers().get("origin")?.is_some_and(|origin| !allowed(&origin)) {
            return Err(EdgeError::OriginNotAllowed);
        }
        if let Some(plugin_theme) = embed.theme {
            theme.merge(&parse(&plugin_theme.to_string()).unwrap_or_default());
        }
    }
    theme.merge(&param("theme").and_then(|t| parse(&t)).unwrap_or_default());
    let locale = param("locale").unwrap_or_default();
    // The loader numbers its asks and draws only the latest answer.
    let n = param("n").and_then(|n| n.parse::<u32>().ok()).unwrap_or(0);
    let look = serde_json::json!({ "css": css(&theme), "html": html(&theme, &locale), "n": n });
    let headers = Headers::new();
    headers.set("content-type", "text/javascript; charset=utf-8")?;
    headers.set("cache-control", CACHE_CONTROL)?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("cross-origin-resource-policy", "cross-origin")?;
    // The loader imports it as a module, which any page may: modules are fetched with CORS.
    headers.set("access-control-allow-origin", "*")?;
    Ok(Response::ok(format!("ChatWidget(\"look\",{look});"))?.with_headers(headers))
}

/// The stylesheet: the shared rules, the facade's own, and the theme's colours and offsets.
fn css(theme: &Theme) -> String {
    format!("{LAUNCHER_CSS}{FACADE_CSS}.cw{{{}}}", theme.style())
}

/// The launcher's markup, as the widget renders it closed: the icon (built-in or the theme's
/// image) and, on the bar shape, the label; the label is its accessible name either way.
fn html(theme: &Theme, locale: &str) -> String {
    let default = if is_english(locale) { OPEN_CHAT_EN } else { OPEN_CHAT_ZH };
    let label = attribute(if theme.label.is_empty() { default } else { &theme.label });
    let icon = if theme.icon.starts_with("http") {
        format!("<img class=\"cw-icon cw-icon-img\" src=\"{}\" alt=\"\">", attribute(&theme.icon))
    } else {
        let d = icon_path(&theme.icon);
        format!("<svg class=\"cw-icon\" viewBox=\"0 0 24 24\" aria-hidden=\"true\"><path fill=\"currentColor\" d=\"{d}\"></path></svg>")
    };
    let text = if theme.shape == "bar" { format!("<span class=\"cw-label\">{label}</span>") } else { String::new() };
    // The widget's language, as its window has it: it picks the Han glyphs (Chinese, not Japanese).
    let lang = if is_english(locale) { "en" } else { "zh-CN" };
    format!(
        "<div class=\"{}\" lang=\"{lang}\"><button type=\"button\" class=\"cw-launcher\" data-testid=\"cw-launcher\" aria-label=\"{label}\" aria-expanded=\"false\">{icon}{text}</button></div>",
        attribute(&format!("cw {}", theme.classes()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn themed(tokens: &str) -> Theme {
        let mut theme = Theme::default();
        theme.merge(&parse(tokens).unwrap_or_default());
        theme
    }

    #[test]
    fn the_look_follows_the_theme_and_escapes_what_the_page_gave() {
        let bar = themed(r##"{"shape":"bar","label":"<b>咨询</b>\"x","position":"left","primary":"#ffcc00"}"##);
        let bar_html = html(&bar, "zh-CN");
        assert!(bar_html.contains("<span class=\"cw-label\">&lt;b&gt;咨询&lt;/b&gt;&quot;x</span>"), "{bar_html}");
        assert!(bar_html.contains("class=\"cw cw-left cw-shape-bar\""), "{bar_html}");
        // Dark text on a light colour, as the widget picks it.
        assert!(css(&bar).ends_with(".cw{--cw-primary:#ffcc00;--cw-on-primary:#000000;--cw-ox:20px;--cw-oy:20px}"));
        let circle = themed(r#"{"icon":"headset"}"#);
        assert!(html(&circle, "en").contains("aria-label=\"Chat with us\""));
        assert!(html(&circle, "en").contains(icon_path("headset")));
        assert!(!html(&circle, "en").contains("cw-label"), "a circle shows no text");
        let image = themed(r#"{"icon":"https://cdn.example/a.png?x=1&y=\"2"}"#);
        assert!(html(&image, "zh").contains("src=\"https://cdn.example/a.png?x=1&amp;y=&quot;2\""));
        assert!(css(&Theme::default()).starts_with(LAUNCHER_CSS));
    }
}
