//! The widget's and the console's files, served from the static assets through the Worker
//! (wrangler.toml `run_worker_first`) so they carry their security headers: a strict CSP whose
//! `frame-ancestors` is the site's allow-list for the widget and `'none'` for the console,
//! `nosniff`, and a referrer policy.

use worker::{Env, Headers, Request, Response};

use crate::error::EdgeResult;
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

/// Serves a file of `app` from the assets with the app's headers.
pub async fn serve(req: Request, env: &Env, app: App) -> EdgeResult<Response> {
    let url = req.url()?;
    let asset = env.assets(ASSETS_BINDING)?.fetch_request(req).await?;
    let headers = Headers::new();
    for (name, value) in asset.headers().entries() {
        headers.append(&name, &value)?;
    }
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("referrer-policy", "same-origin")?;
    let html = headers.get("content-type")?.is_some_and(|t| t.starts_with("text/html"));
    if html {
        let ancestors = match app {
            App::Console => Some("'none'".to_string()),
            App::Widget => {
                let site = url.query_pairs().find(|(k, _)| k == "site").map(|(_, v)| v.into_owned());
                frame_ancestors(env, site.as_deref().unwrap_or_default()).await
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
    }
    Ok(asset.with_headers(headers))
}

/// The widget's `frame-ancestors` sources for `site`: its allowed origins; none (any page may frame
/// it, as before) for a site without a list or a site that does not exist; `'none'` when the Desk
/// cannot say (fail closed).
async fn frame_ancestors(env: &Env, site: &str) -> Option<String> {
    if !valid_site_id(site) {
        return None;
    }
    let origins = match allowed_origins(env, site).await {
        Ok(Some(origins)) => origins,
        Ok(None) => return None,
        Err(_) => return Some("'none'".into()),
    };
    let sources: Vec<&str> =
        origins.iter().map(|o| o.trim_end_matches('/')).filter(|o| protocol::checks::is_plain_origin(o)).collect();
    if origins.is_empty() {
        None
    } else if sources.is_empty() {
        Some("'none'".into())
    } else {
        Some(sources.join(" "))
    }
}

/// The site's allowed origins from its Desk; `None` when the site has no config.
async fn allowed_origins(env: &Env, site: &str) -> EdgeResult<Option<Vec<String>>> {
    match crate::sites::ensure_exists(env, site).await {
        Err(crate::error::EdgeError::SiteNotFound) => return Ok(None),
        other => other?,
    }
    let mut answer = internal::call(env, site, Route::Embed, Call::default()).await?;
    match answer.status_code() {
        200 => Ok(Some(answer.json::<Vec<String>>().await?)),
        404 => Ok(None),
        status => Err(crate::error::EdgeError::Internal(format!("embed policy: Desk answered {status}"))),
    }
}
