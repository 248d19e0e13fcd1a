//! The Worker's front door: parses the public API path, enforces limits and the admin token, and
//! forwards each request to the site's Desk Durable Object under an internal path.

use futures_util::StreamExt;
use worker::{Context, Env, Method, Request, Response};

use crate::demo;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::bodies::{WechatAnswer, WechatCall};
use crate::internal::{self, Call, Caller, Route};
use crate::login;
use crate::pages;
use crate::secrets;
use crate::settings;
use crate::sites;
use crate::upload;

/// Largest JSON body of the visitor, agent and config endpoints.
pub const MAX_JSON_BODY: usize = 64 * 1024;

/// Largest CRM contacts import in one request.
const MAX_CONTACTS_BODY: usize = 2 * 1024 * 1024;

/// An endpoint of the public API, after the path is parsed.
#[derive(Debug, PartialEq, Eq)]
enum Endpoint {
    /// `POST sessions`: a visitor opens or resumes a session.
    Sessions,
    /// `GET widget-config`: what the widget shows before (or without) a session: the site's name,
    /// greeting and forms (public display data, no secrets).
    WidgetConfig,
    /// `GET launcher.js`: the look of the loader's launcher (public display data).
    Launcher,
    /// `GET ws`: the visitor WebSocket.
    VisitorSocket,
    /// `POST agents/login`.
    AgentLogin,
    /// `POST agents/logout`: the console ends its session.
    AgentLogout,
    /// `GET agents/ws`: the agent WebSocket.
    AgentSocket,
    /// `GET echo`: a bare WebSocket echo through the same Desk, the baseline of the relay benchmark
    /// (only in builds with the `bench` feature).
    #[cfg(feature = "bench")]
    EchoSocket,
    /// `GET echo-durable`: the same, with one SQLite write per frame (`bench` feature only).
    #[cfg(feature = "bench")]
    EchoDurableSocket,
    /// `POST bench-fill`: stores a made-up history for the search benchmark (admin token; `bench`
    /// feature only).
    #[cfg(feature = "bench")]
    BenchFill,
    /// `POST .../test-clock`: pin the site's Desk clock (end-to-end tests; `TEST_CLOCK` only).
    TestClock,
    /// `POST reports`: a report's figures (agent token: an admin's of the site, an agent's own).
    Reports,
    /// `GET|PUT config`: the site configuration (admin token).
    Config,
    /// `POST /api/v1/sites/{site}`: create the site with its first owner (admin token).
    Site,
    /// `GET|PUT settings`: the settings of an owner or admin (agent token).
    Settings,
    /// `GET settings/history`: the saved changes (agent token).
    SettingsHistory,
    /// `PUT settings/contacts`: CRM contacts an owner or admin imports (agent token); `GET` with
    /// `?q=&offset=` finds them.
    SettingsContacts,
    /// `POST settings/impact`: what a save would do to open conversations (agent token).
    SettingsImpact,
    /// `POST settings/identity/reveal`: the identity keys in full, for the agent's password.
    RevealKeys,
    /// `PUT contacts`: CRM contacts import (admin token).
    Contacts,
    /// `POST uploads`: an image or file into the caller's conversation (visitor or agent token).
    Uploads,
    /// `GET uploads/{id}`: an upload's bytes (token or signed link).
    Upload(String),
    /// `GET uploads/{id}/meta`: an upload's metadata with a fresh signed link.
    UploadMeta(String),
    /// `GET|POST wechat/{app_id}`: a mini-program's URL check and message push (WeChat's servers).
    Wechat(String),
}

/// Handles one request that static assets did not answer (and the apps' own files, which the
/// Worker serves from the assets with their headers).
pub async fn handle(mut req: Request, env: &Env, ctx: &Context) -> EdgeResult<Response> {
    let path = req.path();
    if path == "/api/v1/health" {
        return Ok(Response::from_json(&serde_json::json!({"ok": true}))?);
    }
    if let Some(app) = pages::App::of(&path) {
        return pages::serve(req, env, app).await;
    }
    if path == demo::PATH && demo::enabled(env) {
        return demo::identity(&mut req, env).await;
    }
    let Some((site, endpoint)) = parse_path(&path)? else {
        return Err(EdgeError::NotFound);
    };
    let method = req.method();
    let caller = Caller::of_public(&req);
    // Only an operator's config creates a site; nothing else reaches a Desk that was never created.
    let creates = matches!((&endpoint, &method), (Endpoint::Config, Method::Put) | (Endpoint::Site, Method::Post));
    #[cfg(feature = "bench")]
    let bench = matches!(endpoint, Endpoint::EchoSocket | Endpoint::EchoDurableSocket);
    #[cfg(not(feature = "bench"))]
    let bench = false;
    if !creates && !bench {
        sites::ensure_exists(env, &site).await?;
    }
    match (endpoint, method) {
        (Endpoint::Sessions, Method::Post) => {
            let body = read_json_body(&mut req).await?;
            internal::call(env, &site, Route::Sessions, Call::from(&caller).body(body)).await
        }
        (Endpoint::Launcher, Method::Get) => crate::facade::launcher(env, &site, &req).await,
        (Endpoint::WidgetConfig, Method::Get) => {
            internal::call(env, &site, Route::WidgetConfig, Call::from(&caller)).await
        }
        (Endpoint::AgentLogin, Method::Post) => {
            login::login(&read_json_body(&mut req).await?, env, &site, &caller).await
        }
        (Endpoint::AgentLogout, Method::Post) => {
            let body = read_json_body(&mut req).await?;
            internal::call(env, &site, Route::Logout, Call::from(&caller).body(body)).await
        }
        (Endpoint::VisitorSocket, Method::Get) => upgrade(env, &site, &caller, Route::VisitorSocket, &req).await,
        (Endpoint::AgentSocket, Method::Get) => upgrade(env, &site, &caller, Route::AgentSocket, &req).await,
        #[cfg(feature = "bench")]
        (Endpoint::EchoSocket, Method::Get) => upgrade(env, &site, &caller, Route::EchoSocket, &req).await,
        (Endpoint::Reports, Method::Post) => {
            let token = internal::bearer(&req).ok_or(EdgeError::Unauthorized)?;
            let body = read_json_body(&mut req).await?;
            internal::call(env, &site, Route::Report, Call { token: Some(&token), ..Call::from(&caller) }.body(body))
                .await
        }
        (Endpoint::TestClock, Method::Post) => {
            check_admin(&req, env)?;
            let body = read_json_body(&mut req).await?;
            internal::call(env, &site, Route::TestClock, Call::from(&caller).body(body)).await
        }
        #[cfg(feature = "bench")]
        (Endpoint::BenchFill, Method::Post) => {
            check_admin(&req, env)?;
            let body = read_json_body(&mut req).await?;
            internal::call(env, &site, Route::BenchFill, Call::from(&caller).body(body)).await
        }
        #[cfg(feature = "bench")]
        (Endpoint::EchoDurableSocket, Method::Get) => {
            upgrade(env, &site, &caller, Route::EchoDurableSocket, &req).await
        }
        (Endpoint::Config, Method::Put) => {
            check_admin(&req, env)?;
            let body = login::hash_config_passwords(&read_json_body(&mut req).await?, env, &site).await?;
            let answer = internal::call(env, &site, Route::PutConfig, Call::from(&caller).body(body)).await?;
            if answer.status_code() == 200 {
                sites::register(env, &site).await?;
            }
            Ok(answer)
        }
        (Endpoint::Site, Method::Post) => {
            check_admin(&req, env)?;
            settings::create_site(env, &site, &caller, &read_json_body(&mut req).await?).await
        }
        (Endpoint::Settings, Method::Get) => {
            settings::read(env, &site, &caller, internal::bearer(&req), Route::GetSettings).await
        }
        (Endpoint::Settings, Method::Put) => {
            let body = read_json_body(&mut req).await?;
            settings::save(env, &site, &caller, internal::bearer(&req), body).await
        }
        (Endpoint::SettingsContacts, Method::Put) => {
            let token = internal::bearer(&req).ok_or(EdgeError::Unauthorized)?;
            let body = read_body(&mut req, MAX_CONTACTS_BODY).await?;
            let call = Call { token: Some(&token), ..Call::from(&caller) }.body(body);
            internal::call(env, &site, Route::SettingsContacts, call).await
        }
        (Endpoint::SettingsContacts, Method::Get) => {
            let token = internal::bearer(&req).ok_or(EdgeError::Unauthorized)?;
            let url = req.url()?;
            let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
            let ask = protocol::settings::ContactSearch {
                q: param("q").unwrap_or_default(),
                offset: param("offset").and_then(|o| o.parse().ok()).unwrap_or(0),
            };
            let call = Call { token: Some(&token), ..Call::from(&caller) }.json(&ask)?;
            internal::call(env, &site, Route::SearchContacts, call).await
        }
        (Endpoint::SettingsImpact, Method::Post) => {
            let token = internal::bearer(&req).ok_or(EdgeError::Unauthorized)?;
            let call = Call { token: Some(&token), ..Call::from(&caller) }.body(read_json_body(&mut req).await?);
            internal::call(env, &site, Route::SettingsImpact, call).await
        }
        (Endpoint::RevealKeys, Method::Post) => {
            let body = read_json_body(&mut req).await?;
            settings::reveal_keys(env, &site, &caller, internal::bearer(&req), &body).await
        }
        (Endpoint::SettingsHistory, Method::Get) => {
            settings::read(env, &site, &caller, internal::bearer(&req), Route::SettingsHistory).await
        }
        (Endpoint::Config, Method::Get) => {
            check_admin(&req, env)?;
            internal::call(env, &site, Route::GetConfig, Call::from(&caller)).await
        }
        (Endpoint::Contacts, Method::Put) => {
            check_admin(&req, env)?;
            let body = read_body(&mut req, MAX_CONTACTS_BODY).await?;
            internal::call(env, &site, Route::PutContacts, Call::from(&caller).body(body)).await
        }
        (Endpoint::Uploads, Method::Post) => upload::post(&mut req, env, &site, &caller).await,
        (Endpoint::Wechat(app_id), method @ (Method::Get | Method::Post)) => {
            let body = if method == Method::Post { read_json_body(&mut req).await? } else { Vec::new() };
            let query = req.url()?.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
            let call = WechatCall {
                app_id,
                method: if method == Method::Get { "GET".into() } else { "POST".into() },
                query,
                body: String::from_utf8(body).map_err(|_| EdgeError::BadRequest("the push is not UTF-8".into()))?,
            };
            let mut answer = internal::call(env, &site, Route::Wechat, Call::from(&caller).json(&call)?).await?;
            if answer.status_code() != 200 {
                return Ok(answer); // a refusal, as the Desk wrote it
            }
            // WeChat gets its answer now; a user's image is fetched after (WeChat waits 5 s at most).
            let answer: WechatAnswer = answer.json().await?;
            if let Some(job) = answer.media {
                ctx.wait_until(crate::wechat_media::fetch_image(env.clone(), site.clone(), job));
            }
            Ok(Response::ok(answer.text)?)
        }
        (Endpoint::Upload(id), Method::Get) => upload::get(&req, env, &site, &caller, &id).await,
        (Endpoint::UploadMeta(id), Method::Get) => upload::meta(&req, env, &site, &caller, &id).await,
        _ => Err(EdgeError::MethodNotAllowed),
    }
}

/// Splits `/api/v1/sites/{site}/{rest}` into a valid site id and an endpoint.
fn parse_path(path: &str) -> EdgeResult<Option<(String, Endpoint)>> {
    let Some(rest) = path.strip_prefix("/api/v1/sites/") else {
        return Ok(None);
    };
    let (site, tail) = rest.split_once('/').unwrap_or((rest, ""));
    if !sites::valid_site_id(site) {
        return Err(EdgeError::InvalidSite);
    }
    let endpoint = match tail {
        "sessions" => Endpoint::Sessions,
        "widget-config" => Endpoint::WidgetConfig,
        "launcher.js" => Endpoint::Launcher,
        "ws" => Endpoint::VisitorSocket,
        "agents/login" => Endpoint::AgentLogin,
        "agents/logout" => Endpoint::AgentLogout,
        "agents/ws" => Endpoint::AgentSocket,
        "test-clock" => Endpoint::TestClock,
        "reports" => Endpoint::Reports,
        #[cfg(feature = "bench")]
        "echo" => Endpoint::EchoSocket,
        #[cfg(feature = "bench")]
        "echo-durable" => Endpoint::EchoDurableSocket,
        #[cfg(feature = "bench")]
        "bench-fill" => Endpoint::BenchFill,
        "" => Endpoint::Site,
        "config" => Endpoint::Config,
        "settings" => Endpoint::Settings,
        "settings/history" => Endpoint::SettingsHistory,
        "settings/contacts" => Endpoint::SettingsContacts,
        "settings/identity/reveal" => Endpoint::RevealKeys,
        "settings/impact" => Endpoint::SettingsImpact,
        "contacts" => Endpoint::Contacts,
        "uploads" => Endpoint::Uploads,
        other if other.starts_with("wechat/") => {
            let app_id = &other["wechat/".len()..];
            if app_id.is_empty() || app_id.len() > 32 || !app_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(EdgeError::UnknownMiniProgram);
            }
            Endpoint::Wechat(app_id.to_string())
        }
        other => match other.strip_prefix("uploads/").map(|id| id.split_once('/').unwrap_or((id, ""))) {
            Some((id, "")) if upload::valid_upload_id(id) => Endpoint::Upload(id.to_string()),
            Some((id, "meta")) if upload::valid_upload_id(id) => Endpoint::UploadMeta(id.to_string()),
            Some(_) => return Err(EdgeError::UploadNotFound),
            None => return Ok(None),
        },
    };
    Ok(Some((site.to_string(), endpoint)))
}

/// Reads a JSON body, refusing bodies over [`MAX_JSON_BODY`].
async fn read_json_body(req: &mut Request) -> EdgeResult<Vec<u8>> {
    read_body(req, MAX_JSON_BODY).await
}

/// Reads a body of at most `limit` bytes: a `Content-Length` above it is refused before reading,
/// and a body without one (chunked) is read only until it passes the limit, so nobody makes the
/// Worker buffer more than `limit` bytes.
async fn read_body(req: &mut Request, limit: usize) -> EdgeResult<Vec<u8>> {
    if let Ok(Some(len)) = req.headers().get("content-length") {
        if !len.parse::<usize>().is_ok_and(|n| n <= limit) {
            return Err(EdgeError::PayloadTooLarge);
        }
    }
    let mut body = Vec::new();
    let Ok(mut stream) = req.stream() else {
        return Ok(body); // no body at all
    };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| EdgeError::BadRequest("unreadable body".into()))?;
        if body.len() + chunk.len() > limit {
            return Err(EdgeError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Checks `Authorization: Bearer <ADMIN_TOKEN>` in constant time.
fn check_admin(req: &Request, env: &Env) -> EdgeResult<()> {
    let expected = env
        .secret("ADMIN_TOKEN")
        .map(|s| s.to_string())
        .or_else(|_| env.var("ADMIN_TOKEN").map(|v| v.to_string()))
        .map_err(|_| EdgeError::Unauthorized)?;
    let given = req.headers().get("authorization").ok().flatten().unwrap_or_default();
    let given = given.strip_prefix("Bearer ").unwrap_or("");
    if expected.len() < 16 || !secrets::secret_eq(given, &expected) {
        return Err(EdgeError::Unauthorized);
    }
    Ok(())
}

/// Forwards a WebSocket upgrade to the Desk.
async fn upgrade(env: &Env, site: &str, caller: &Caller, route: Route, req: &Request) -> EdgeResult<Response> {
    let is_upgrade = req.headers().get("upgrade").ok().flatten().is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !is_upgrade {
        return Err(EdgeError::BadRequest("expected a WebSocket upgrade".into()));
    }
    internal::call(env, site, route, Call { upgrade: true, ..Call::from(caller) }).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(path: &str) -> Result<Option<(String, Endpoint)>, &'static str> {
        parse_path(path).map_err(|e| e.code())
    }

    #[test]
    fn public_paths_name_a_site_and_an_endpoint() {
        let ok =
            |path: &str, endpoint: Endpoint| assert_eq!(parsed(path), Ok(Some(("shop-1".into(), endpoint))), "{path}");
        ok("/api/v1/sites/shop-1/sessions", Endpoint::Sessions);
        ok("/api/v1/sites/shop-1/widget-config", Endpoint::WidgetConfig);
        ok("/api/v1/sites/shop-1/launcher.js", Endpoint::Launcher);
        ok("/api/v1/sites/shop-1/ws", Endpoint::VisitorSocket);
        ok("/api/v1/sites/shop-1/agents/login", Endpoint::AgentLogin);
        ok("/api/v1/sites/shop-1/agents/logout", Endpoint::AgentLogout);
        ok("/api/v1/sites/shop-1/agents/ws", Endpoint::AgentSocket);
        ok("/api/v1/sites/shop-1/config", Endpoint::Config);
        ok("/api/v1/sites/shop-1/contacts", Endpoint::Contacts);
        ok("/api/v1/sites/shop-1/uploads", Endpoint::Uploads);
        ok(
            "/api/v1/sites/shop-1/uploads/u_0123456789abcdef0123456789abcdef",
            Endpoint::Upload("u_0123456789abcdef0123456789abcdef".into()),
        );
        ok(
            "/api/v1/sites/shop-1/uploads/u_0123456789abcdef0123456789abcdef/meta",
            Endpoint::UploadMeta("u_0123456789abcdef0123456789abcdef".into()),
        );
    }

    #[test]
    fn bad_site_ids_unknown_endpoints_and_bad_upload_ids_are_told_apart() {
        assert_eq!(parsed("/widget/"), Ok(None), "not the API");
        assert_eq!(parsed("/api/v1/sites/shop-1/nothing"), Ok(None));
        assert_eq!(parsed("/api/v1/sites/Shop/sessions"), Err("invalid_site"), "upper case");
        assert_eq!(parsed("/api/v1/sites/../sessions"), Err("invalid_site"));
        assert_eq!(parsed("/api/v1/sites//sessions"), Err("invalid_site"), "empty");
        assert_eq!(parsed(&format!("/api/v1/sites/{}/sessions", "a".repeat(65))), Err("invalid_site"));
        assert_eq!(parsed("/api/v1/sites/shop-1/uploads/../../config"), Err("upload_not_found"));
        assert_eq!(
            parsed("/api/v1/sites/shop-1/uploads/u_0123456789abcdef0123456789abcdef/raw"),
            Err("upload_not_found")
        );
    }
}
