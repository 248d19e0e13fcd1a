//! The widget's and the console's files, served from the static assets through the Worker
//! (wrangler.toml `run_worker_first`) so they carry their security headers: a strict CSP whose
//! `frame-ancestors` is the site's allow-list for the widget and `'none'` for the console,
//! `nosniff`, and a referrer policy.

use worker::{Env, Headers, Request, Response};

use crate::error::EdgeResult;
use crate::internal::bodies::{Embed, EmbedAsk};
use crate::internal::{self, Call, Route};
use crate::sites::valid_site_id;

/// Binding name of the static assets in wrangler.toml.
const ASSETS_BINDING: &str = "ASSETS";

/// What both apps need: their own scripts and wasm, inline style attributes (themes), images
/// from uploads (`blob:` previews, signed links), `data:` icons and https card images.
const BASE_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; object-src 'none'; \
    base-uri 'none'; form-action 'self'";

/// An app whose files the Worker serves itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum App {
    /// `/widget/`: framed by the sites' pages.
    Widget,
    /// `/console/`: never framed.
    Console,
}

impl App {
    /// The app a path belongs to (`/widget`, `/widget/...`), if any.
    pub fn of(path: &str) -> Option<Self> {
        let under = |dir: &str| path.strip_prefix(dir).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        if under("/widget") {
            Some(Self::Widget)
        } else if under("/console") {
            Some(Self::Console)
        } else {
            None
        }
    }
}

/// Serves a file of `app` from the assets with the app's headers. The widget's page also gets its
/// plugin's theme (`?plugin=`, else the site's default plugin) as `<meta name="cw-theme">`, so the
/// launcher has the owner's look from its first paint, under whatever the page's `data-theme` says.
pub async fn serve(req: Request, env: &Env, app: App) -> EdgeResult<Response> {
    let url = req.url()?;
    let mut asset = env.assets(ASSETS_BINDING)?.fetch_request(req).await?;
    let headers = Headers::new();
    for (name, value) in asset.headers().entries() {
        headers.append(&name, &value)?;
    }
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("referrer-policy", "same-origin")?;
    let html = headers.get("content-type")?.is_some_and(|t| t.starts_with("text/html"));
    if !html {
        return Ok(asset.with_headers(headers));
    }
    let (ancestors, theme) = match app {
        App::Console => (Some("'none'".to_string()), None),
        App::Widget => {
            let param = |key: &str| url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned());
            embed_policy(env, param("site").as_deref().unwrap_or_default(), param("plugin")).await
        }
    };
    let host = url.host_str().unwrap_or_default();
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let ws = if url.scheme() == "https" { "wss" } else { "ws" };
    // `'self'` covers same-origin WebSockets in CSP 3; the explicit ws(s) source is for older Safari.
    let mut policy = format!("{BASE_POLICY}; connect-src 'self' {ws}://{host}{port}");
    if let Some(ancestors) = ancestors {
        policy.push_str("; frame-ancestors ");
        policy.push_str(&ancestors);
    }
    headers.set("content-security-policy", &policy)?;
    if app == App::Console {
        headers.set("x-frame-options", "DENY")?;
    }
    let Some(theme) = theme else { return Ok(asset.with_headers(headers)) };
    let page = asset.text().await?;
    let meta = format!("<meta name=\"cw-theme\" content=\"{}\">", attribute(&theme.to_string()));
    headers.delete("content-length")?;
    headers.delete("etag")?;
    Ok(Response::ok(page.replacen("<head>", &format!("<head>{meta}"), 1))?.with_headers(headers))
}

/// Text made safe inside a double-quoted HTML attribute.
pub(crate) fn attribute(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The widget page's `frame-ancestors` sources and theme tokens for a plugin of `site`: its
/// allowed origins and the edge's own (no list: any page may frame it, as before; also for a site
/// that does not exist); `'none'` when the Desk cannot say (fail closed).
async fn embed_policy(env: &Env, site: &str, plugin: Option<String>) -> (Option<String>, Option<serde_json::Value>) {
    if !valid_site_id(site) {
        return (None, None);
    }
    let embed = match embed(env, site, plugin).await {
        Ok(Some(embed)) => embed,
        Ok(None) => return (None, None),
        Err(_) => return (Some("'none'".into()), None),
    };
    let sources: Vec<&str> = embed
        .origins
        .iter()
        .map(|o| o.trim_end_matches('/'))
        .filter(|o| protocol::checks::is_plain_origin(o))
        .collect();
    // The edge's own pages (the settings' live preview, the theme playground) may frame it too.
    let ancestors = if embed.origins.is_empty() {
        None
    } else {
        Some(std::iter::once("'self'").chain(sources).collect::<Vec<_>>().join(" "))
    };
    (ancestors, embed.theme)
}

/// What the site's Desk says about embedding a plugin; `None` when the site has no config.
pub(crate) async fn embed(env: &Env, site: &str, plugin: Option<String>) -> EdgeResult<Option<Embed>> {
    match crate::sites::ensure_exists(env, site).await {
        Err(crate::error::EdgeError::SiteNotFound) => return Ok(None),
        other => other?,
    }
    let call = Call::default().json(&EmbedAsk { plugin })?;
    let mut answer = internal::call(env, site, Route::Embed, call).await?;
    match answer.status_code() {
        200 => Ok(Some(answer.json::<Embed>().await?)),
        404 => Ok(None),
        status => Err(crate::error::EdgeError::Internal(format!("embed policy: Desk answered {status}"))),
    }
}
