//! The Worker↔Desk internal API, both halves: the Desk's internal routes (one closed enum), the
//! headers that carry who is calling, one [`Caller`], and one [`call`] that every part of the
//! Worker (front, uploads, logins, pages, the demo login) uses to reach a site's Desk. The Desk
//! parses the same enum and the same headers, so a route or header is spelled once. The bodies
//! that only these two halves exchange are in [`bodies`].
//!
//! The Desk is reachable only through the Worker: these requests go to its Durable Object stub,
//! never to the network, under `https://desk/...`.

pub mod bodies;

use std::collections::BTreeMap;

use serde::Serialize;
use wasm_bindgen::JsValue;
use worker::{Env, Headers, Method, Request, RequestInit, Response};

use crate::error::EdgeResult;

/// Binding name of the Desk Durable Object namespace in wrangler.toml.
const DESK_BINDING: &str = "DESK";

/// A route of the Desk's internal API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /sessions`: open or resume a visitor session.
    Sessions,
    /// `GET /widget-config`: the public parts of the config.
    WidgetConfig,
    /// `POST /embed`: a plugin's allowed origins (the widget page's frame-ancestors) and theme.
    Embed,
    /// `POST /agents/login/begin`: count a login attempt, hand out the hash.
    LoginBegin,
    /// `POST /agents/login/finish`: the Worker's verdict; a match issues the session.
    LoginFinish,
    /// `POST /agents/logout`: end an agent session.
    Logout,
    /// `GET /visitor/ws`: a visitor's WebSocket.
    VisitorSocket,
    /// `GET /agent/ws`: an agent's WebSocket.
    AgentSocket,
    /// `GET /echo/ws`: the benchmark's bare echo socket.
    EchoSocket,
    /// `GET /echo-durable/ws`: the benchmark's echo socket with one SQLite write per frame.
    EchoDurableSocket,
    /// `POST /bench/fill`: the benchmark's stored history (conversations and messages).
    BenchFill,
    /// `POST /test/clock`: pin the Desk's clock (end-to-end tests, `TEST_CLOCK` only).
    TestClock,
    /// `POST /reports`: a report (agent token).
    Report,
    /// `PUT /admin/config`: the site config, passwords hashed.
    PutConfig,
    /// `GET /admin/config`: the site config as stored.
    GetConfig,
    /// `GET /admin/passwords`: the stored password hashes.
    Passwords,
    /// `PUT /admin/contacts`: the CRM contacts import.
    PutContacts,
    /// `POST /uploads/authorize`: may this token upload, and where.
    UploadAuthorize,
    /// `POST /uploads/record`: the bytes are in R2.
    UploadRecord,
    /// `POST /uploads/access`: may this caller download.
    UploadAccess,
    /// `POST /admin/create`: a new site's first config (refused when the site exists).
    CreateSite,
    /// `GET /settings`: the settings for an owner or admin (agent token).
    GetSettings,
    /// `POST /settings/prepare`: checks the agent and the version of a save, and hands the
    /// config back with its masked keys restored, for the Worker to hash its passwords.
    PrepareSettings,
    /// `PUT /settings`: saves the settings (passwords hashed) at the version they were read at.
    PutSettings,
    /// `GET /settings/history`: the saved changes, newest first.
    SettingsHistory,
    /// `PUT /settings/contacts`: CRM contacts an owner or admin imports.
    SettingsContacts,
    /// `POST /settings/contacts/search`: a page of CRM contacts found.
    SearchContacts,
    /// `POST /settings/impact`: what a save would do to open conversations.
    SettingsImpact,
    /// `POST /settings/reveal/begin`: the hash of the signed-in owner's or admin's password.
    RevealBegin,
    /// `POST /settings/reveal/finish`: with a matching password, the identity keys in full.
    RevealFinish,
    /// `POST /wechat`: a mini-program's message push (or URL check), as WeChat sent it.
    Wechat,
    /// `POST /wechat/media`: a user's image, fetched by the Worker after WeChat had its answer.
    WechatMedia,
}

/// Every route.
const ROUTES: [Route; 32] = [
    Route::Sessions,
    Route::WidgetConfig,
    Route::Embed,
    Route::LoginBegin,
    Route::LoginFinish,
    Route::Logout,
    Route::VisitorSocket,
    Route::AgentSocket,
    Route::EchoSocket,
    Route::EchoDurableSocket,
    Route::BenchFill,
    Route::TestClock,
    Route::Report,
    Route::PutConfig,
    Route::GetConfig,
    Route::Passwords,
    Route::PutContacts,
    Route::UploadAuthorize,
    Route::UploadRecord,
    Route::UploadAccess,
    Route::CreateSite,
    Route::GetSettings,
    Route::PrepareSettings,
    Route::PutSettings,
    Route::SettingsHistory,
    Route::SettingsContacts,
    Route::RevealBegin,
    Route::RevealFinish,
    Route::SettingsImpact,
    Route::SearchContacts,
    Route::Wechat,
    Route::WechatMedia,
];

impl Route {
    /// The route's method and path.
    pub fn target(self) -> (Method, &'static str) {
        use Method::{Get, Post, Put};
        match self {
            Self::Sessions => (Post, "/sessions"),
            Self::WidgetConfig => (Get, "/widget-config"),
            Self::Embed => (Post, "/embed"),
            Self::LoginBegin => (Post, "/agents/login/begin"),
            Self::LoginFinish => (Post, "/agents/login/finish"),
            Self::Logout => (Post, "/agents/logout"),
            Self::VisitorSocket => (Get, "/visitor/ws"),
            Self::AgentSocket => (Get, "/agent/ws"),
            Self::EchoSocket => (Get, "/echo/ws"),
            Self::EchoDurableSocket => (Get, "/echo-durable/ws"),
            Self::BenchFill => (Post, "/bench/fill"),
            Self::TestClock => (Post, "/test/clock"),
            Self::Report => (Post, "/reports"),
            Self::PutConfig => (Put, "/admin/config"),
            Self::GetConfig => (Get, "/admin/config"),
            Self::Passwords => (Get, "/admin/passwords"),
            Self::PutContacts => (Put, "/admin/contacts"),
            Self::UploadAuthorize => (Post, "/uploads/authorize"),
            Self::UploadRecord => (Post, "/uploads/record"),
            Self::UploadAccess => (Post, "/uploads/access"),
            Self::CreateSite => (Post, "/admin/create"),
            Self::GetSettings => (Get, "/settings"),
            Self::PrepareSettings => (Post, "/settings/prepare"),
            Self::PutSettings => (Put, "/settings"),
            Self::SettingsHistory => (Get, "/settings/history"),
            Self::SettingsContacts => (Put, "/settings/contacts"),
            Self::RevealBegin => (Post, "/settings/reveal/begin"),
            Self::SettingsImpact => (Post, "/settings/impact"),
            Self::SearchContacts => (Post, "/settings/contacts/search"),
            Self::RevealFinish => (Post, "/settings/reveal/finish"),
            Self::Wechat => (Post, "/wechat"),
            Self::WechatMedia => (Post, "/wechat/media"),
        }
    }

    /// The route a request to the Desk asks for (`None`: no such route).
    pub fn parse(method: &Method, path: &str) -> Option<Self> {
        ROUTES.into_iter().find(|route| route.target() == (method.clone(), path))
    }
}

/// Names of the headers the Worker sets on internal requests (and nobody else can: the Desk is not
/// reachable from outside).
mod header {
    /// The site id.
    pub const SITE: &str = "x-desk-site";
    /// The browser's `Origin` ("" for non-browser clients).
    pub const ORIGIN: &str = "x-desk-origin";
    /// The Worker's own origin.
    pub const OWN_ORIGIN: &str = "x-desk-own-origin";
    /// The client's IP (`CF-Connecting-IP`).
    pub const IP: &str = "x-desk-ip";
    /// The browser's `User-Agent`.
    pub const USER_AGENT: &str = "x-desk-user-agent";
    /// A visitor or agent bearer token (uploads).
    pub const TOKEN: &str = "x-desk-token";
    /// Where the connection came from (`request.cf`): `country=US&region=Texas&city=Austin`,
    /// percent-encoded.
    pub const PLACE: &str = "x-desk-place";
}

/// Who is calling the Desk: read from the public request by the Worker, carried in the internal
/// headers, read back by the Desk. Empty for the Worker's own calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Caller {
    /// The browser's `Origin` header ("" for non-browser clients).
    pub origin: String,
    /// The Worker's own origin, where the widget and console pages live.
    pub own_origin: String,
    /// The client's address as limits count it ([`ip_key`]: an IPv6 address by its
    /// /64), from `CF-Connecting-IP`.
    pub ip: String,
    /// The browser's `User-Agent`, at most 256 characters.
    pub user_agent: String,
    /// Where the connection came from, as Cloudflare saw it (`country`, `region`, `city`; absent
    /// ones left out).
    pub place: BTreeMap<String, String>,
}

impl Caller {
    /// The caller of a public request.
    pub fn of_public(req: &Request) -> Self {
        let header = |name: &str| req.headers().get(name).ok().flatten().unwrap_or_default();
        let own_origin = req.url().map(|u| u.origin().ascii_serialization()).unwrap_or_default();
        let cf = req.cf();
        let place = [
            ("country", cf.and_then(|cf| cf.country())),
            ("region", cf.and_then(|cf| cf.region())),
            ("city", cf.and_then(|cf| cf.city())),
        ];
        Self {
            origin: header("origin"),
            own_origin,
            ip: ip_key(&header("cf-connecting-ip")),
            user_agent: header("user-agent").chars().take(256).collect(),
            place: place
                .into_iter()
                .filter_map(|(k, v)| Some((k.to_string(), v.filter(|v| !v.is_empty())?.chars().take(64).collect())))
                .collect(),
        }
    }

    /// The caller of an internal request, as the Worker described it.
    pub fn of_internal(req: &Request) -> Self {
        let header = |name: &str| req.headers().get(name).ok().flatten().unwrap_or_default();
        Self {
            origin: header(header::ORIGIN),
            own_origin: header(header::OWN_ORIGIN),
            ip: header(header::IP),
            user_agent: header(header::USER_AGENT),
            place: decode_place(&header(header::PLACE)),
        }
    }
}

/// The key a client IP is limited under: an IPv6 address by its /64 (one subscriber's network),
/// anything else as given (at most 64 characters).
pub fn ip_key(ip: &str) -> String {
    let ip = ip.trim();
    match ip.parse::<std::net::Ipv6Addr>() {
        Ok(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => ip.chars().take(64).collect(),
    }
}

/// `place` as one header value: `key=value` pairs joined by `&`, every byte outside `A-Z a-z 0-9
/// - . _` percent-encoded (header values are ASCII; city names need not be).
fn encode_place(place: &BTreeMap<String, String>) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => char::from(b).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    place.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

/// Reads [`encode_place`]'s value back; anything malformed is left out.
fn decode_place(value: &str) -> BTreeMap<String, String> {
    let decode = |text: &str| {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).ok()
    };
    value
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            Some((decode(k)?, decode(v)?))
        })
        .collect()
}

/// The site id an internal request is for.
pub fn site_of(req: &Request) -> String {
    req.headers().get(header::SITE).ok().flatten().unwrap_or_default()
}

/// The token of a public request's `Authorization: Bearer TOKEN`, if any.
pub fn bearer(req: &Request) -> Option<String> {
    let value = req.headers().get("authorization").ok().flatten()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then(|| token.to_string())
}

/// The bearer token an internal request carries, if any.
pub fn token_of(req: &Request) -> Option<String> {
    req.headers().get(header::TOKEN).ok().flatten().filter(|t| !t.is_empty())
}

/// What goes with an internal request besides its route.
#[derive(Default)]
pub struct Call<'a> {
    /// Who is calling (absent: the Worker itself).
    pub caller: Option<&'a Caller>,
    /// A visitor or agent token to check.
    pub token: Option<&'a str>,
    /// The JSON body.
    pub body: Option<Vec<u8>>,
    /// Forward a WebSocket upgrade.
    pub upgrade: bool,
}

impl<'a> Call<'a> {
    /// A call on behalf of `caller`.
    pub fn from(caller: &'a Caller) -> Self {
        Self { caller: Some(caller), ..Self::default() }
    }

    /// With a JSON body already serialised.
    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = Some(body);
        self
    }

    /// With `value` as the JSON body.
    pub fn json(self, value: &impl Serialize) -> EdgeResult<Self> {
        Ok(self.body(serde_json::to_vec(value)?))
    }
}

/// Sends one internal request to the site's Desk and returns its answer as it is.
pub async fn call(env: &Env, site: &str, route: Route, call: Call<'_>) -> EdgeResult<Response> {
    let (method, path) = route.target();
    let headers = Headers::new();
    headers.set(header::SITE, site)?;
    if let Some(caller) = call.caller {
        headers.set(header::ORIGIN, &caller.origin)?;
        headers.set(header::OWN_ORIGIN, &caller.own_origin)?;
        headers.set(header::IP, &caller.ip)?;
        headers.set(header::USER_AGENT, &caller.user_agent)?;
        headers.set(header::PLACE, &encode_place(&caller.place))?;
    }
    if let Some(token) = call.token {
        headers.set(header::TOKEN, token)?;
    }
    if call.upgrade {
        headers.set("upgrade", "websocket")?;
    }
    let mut init = RequestInit::new();
    if let Some(body) = call.body {
        headers.set("content-type", "application/json")?;
        init.with_body(Some(JsValue::from(js_sys::Uint8Array::from(body.as_slice()))));
    }
    init.with_method(method).with_headers(headers);
    let request = Request::new_with_init(&format!("https://desk{path}"), &init)?;
    let stub = env.durable_object(DESK_BINDING)?.id_from_name(site)?.get_stub()?;
    Ok(stub.fetch_with_request(request).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_parses_back_from_its_own_method_and_path() {
        for route in ROUTES {
            let (method, path) = route.target();
            assert_eq!(Route::parse(&method, path), Some(route), "{route:?}");
        }
        assert_eq!(Route::parse(&Method::Get, "/sessions"), None, "the wrong method");
        assert_eq!(Route::parse(&Method::Post, "/admin/config/"), None);
    }

    #[test]
    fn the_place_travels_in_one_ascii_header_and_comes_back_as_it_was() {
        let place: BTreeMap<String, String> =
            [("country", "BR"), ("region", "São Paulo"), ("city", "a&b=c%")].map(|(k, v)| (k.into(), v.into())).into();
        let header = encode_place(&place);
        assert!(header.is_ascii() && !header.contains(' '), "{header}");
        assert_eq!(decode_place(&header), place);
        assert!(decode_place("").is_empty());
        assert_eq!(decode_place("country=%ZZ&city=Austin&junk"), [("city".to_string(), "Austin".to_string())].into());
    }

    #[test]
    fn ipv6_is_limited_by_its_64() {
        assert_eq!(ip_key("2001:db8:1:2:aaaa::1"), ip_key("2001:db8:1:2:bbbb:cccc:dddd:eeee"));
        assert_ne!(ip_key("2001:db8:1:2::1"), ip_key("2001:db8:1:3::1"));
        assert_eq!(ip_key("198.51.100.7"), "198.51.100.7");
        assert_eq!(ip_key("::ffff:198.51.100.7"), "198.51.100.7");
    }
}
