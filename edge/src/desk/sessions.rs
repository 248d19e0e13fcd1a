//! Opening a visitor session: origin check, rate limit, identity check, and finding the visitor
//! (the same verified person on every device, a separate guest per browser).

use identity::Verified;
use protocol::{
    ApiError, Channel, GroupChoice, PluginConfig, SessionRequest, SessionResponse, SessionSettings, SiteConfig,
    WidgetConfig,
};
use serde_json::{Map, Value};

use super::profile::StoredProfile;
use super::store::{NewVisitor, Store, VisitorSession};
use crate::config_checks::identity_config;
use crate::error::{EdgeError, EdgeResult};
use crate::internal::Caller;
use crate::secrets;

/// Most custom fields a page may set, and their sizes.
const MAX_CUSTOM_FIELDS: usize = 20;
const MAX_CUSTOM_KEY: usize = 64;
const MAX_CUSTOM_VALUE: usize = 256;

/// Whether a page origin may embed this site's widget through any of its plugins.
pub fn origin_allowed(config: &SiteConfig, origin: &str) -> bool {
    allowed_by(&config.origins_for(None), origin)
}

/// Whether `origin` is in `origins` (an empty list allows any page).
fn allowed_by(origins: &[&str], origin: &str) -> bool {
    origins.is_empty() || origins.contains(&origin)
}

/// Refuses browsers on pages the site (for this plugin) does not allow. Requests without `Origin`
/// (servers) pass.
pub fn check_origin(
    config: &SiteConfig,
    plugin: Option<&PluginConfig>,
    caller: &Caller,
    host_origin: Option<&str>,
) -> EdgeResult<()> {
    if caller.origin.is_empty() {
        return Ok(());
    }
    let origins = config.origins_for(plugin);
    if caller.origin == caller.own_origin {
        // Our own widget iframe: the page that embeds it must be allowed.
        if origins.is_empty() || host_origin.is_some_and(|h| allowed_by(&origins, h)) {
            return Ok(());
        }
        return Err(EdgeError::OriginNotAllowed);
    }
    if allowed_by(&origins, &caller.origin) {
        Ok(())
    } else {
        Err(EdgeError::OriginNotAllowed)
    }
}

/// Opens (or resumes) a session and returns the answer for the widget.
pub fn open(
    store: &Store,
    config: &SiteConfig,
    site: &str,
    request: SessionRequest,
    caller: &Caller,
    now_ms: u64,
) -> EdgeResult<SessionResponse> {
    let custom_fields = check_custom_fields(&request)?;
    let plugin = config.plugin(request.plugin.as_deref());
    let mut identity = identity_config(&config.identity, now_ms)?;
    // A plugin may require identity on a site that does not (a members' area).
    identity.require_identity |= plugin.is_some_and(|p| p.require_identity);
    let token_given = request.identity.as_deref();
    // A refused token is a dead end only where identity is required; elsewhere the shopper chats
    // as a guest, the page hears the code, and agents see why (`identity_refused`).
    let (verified, refused) = match identity::verify(&identity, site, token_given, now_ms / 1000) {
        Ok(verified) => (verified, None),
        Err(err) if identity.require_identity => return Err(EdgeError::Identity(err)),
        Err(err) => (None, Some(ApiError { code: err.code().into(), message: err.message().into() })),
    };
    check_choices(config, &request)?;
    let widget = widget_config(config, plugin);
    // Pre-chat answers and the picked group are given once; later sessions (a reload, another
    // device) keep them.
    let profile = |fields: Option<&Map<String, Value>>, earlier: Option<&str>| {
        let earlier = earlier.map(StoredProfile::read).unwrap_or_default();
        StoredProfile {
            identity: fields.cloned(),
            custom_fields: custom_fields.clone(),
            page_url: request.page_url.clone(),
            page_title: request.page_title.clone(),
            // A later session of the same visit keeps where the visit came from.
            referrer: request.referrer.clone().filter(|r| r.len() <= 2048).or(earlier.referrer),
            landing_url: request.landing_url.clone().filter(|l| l.len() <= 2048).or(earlier.landing_url),
            host_origin: request.host_origin.clone(),
            // A browser is web or mobile web; the other channels are never a browser's own claim.
            channel: match request.channel {
                Some(Channel::MobileWeb) => Channel::MobileWeb,
                _ => Channel::Web,
            },
            user_agent: caller.user_agent.clone(),
            place: caller.place.clone(),
            pre_chat: if request.pre_chat.is_empty() { earlier.pre_chat } else { request.pre_chat.clone() },
            group: request.group.clone().or(earlier.group),
            identity_refused: refused.clone(),
            locale: request.locale.clone().filter(|l| l.len() <= 16).or(earlier.locale),
            plugin: plugin.map(|p| p.id.clone()),
            avatar_url: earlier.avatar_url,
        }
        .to_text()
    };
    match verified {
        None => {
            // A guest: the same browser keeps its visitor through its stored token.
            if let Some(token) = request.resume_token.as_deref().filter(|t| t.starts_with("v_")) {
                let hash = secrets::token_hash(token);
                let lifetime = config.sessions.visitor_ttl_secs;
                let alive_since = now_ms.saturating_sub(lifetime.saturating_mul(1000));
                // An expired session is not resumed: the browser starts over as a new guest.
                if let Some(found) = store.visitor_by_token(&hash, alive_since)? {
                    store.touch_visitor_session(&hash, now_ms, SessionSettings::touch_every_ms(lifetime))?;
                    let found = with_open_conversation(store, found, now_ms)?;
                    if found.verified == 0.0 {
                        store.update_visitor(
                            &found.visitor_id,
                            &found.name,
                            &profile(None, Some(&found.profile)),
                            None,
                        )?;
                    }
                    return Ok(SessionResponse {
                        visitor_id: found.visitor_id,
                        conversation_id: found.conversation_id,
                        token: token.to_string(),
                        verified: found.verified != 0.0,
                        visitor_name: found.name,
                        config: widget,
                        identity_refused: refused,
                    });
                }
            }
            let visitor_id = format!("v{}", secrets::random_hex(8)?);
            let name = format!("访客 {}", visitor_id[1..5].to_uppercase());
            let visitor = NewVisitor {
                id: &visitor_id,
                name: &name,
                match_key: None,
                verified: false,
                profile: &profile(None, None),
                contact_id: None,
            };
            let mut answer = create(store, visitor, widget, now_ms)?;
            answer.identity_refused = refused;
            Ok(answer)
        }
        Some(person) => {
            let match_key = match_key(&person);
            let name = person.display_name().map(str::to_string).unwrap_or_else(|| "已验证访客".into());
            let contact = if config.identity.auto_link { link_contact(store, &person)? } else { None };
            let token = secrets::new_token("v_")?;
            if let Some(found) = store.visitor_by_match_key(&match_key)? {
                let found = with_open_conversation(store, found, now_ms)?;
                store.add_visitor_session(&secrets::token_hash(&token), &found.visitor_id, now_ms)?;
                let profile = profile(Some(&person.payload), Some(&found.profile));
                store.update_visitor(&found.visitor_id, &name, &profile, contact.as_deref())?;
                return Ok(SessionResponse {
                    visitor_id: found.visitor_id,
                    conversation_id: found.conversation_id,
                    token,
                    verified: true,
                    visitor_name: name,
                    config: widget,
                    identity_refused: None,
                });
            }
            let visitor_id = format!("v{}", secrets::random_hex(8)?);
            let new = NewVisitor {
                id: &visitor_id,
                name: &name,
                match_key: Some(&match_key),
                verified: true,
                profile: &profile(Some(&person.payload), None),
                contact_id: contact.as_deref(),
            };
            create_with_token(store, new, token, widget, now_ms)
        }
    }
}

/// What the widget renders with: names, the pre-chat form, group choice, card buttons, upload caps.
pub fn widget_config(config: &SiteConfig, plugin: Option<&PluginConfig>) -> WidgetConfig {
    let groups = config
        .routing
        .visitor_picks_group
        .iter()
        .filter_map(|id| config.groups.iter().find(|g| &g.id == id))
        .map(|g| GroupChoice { id: g.id.clone(), name: if g.name.is_empty() { g.id.clone() } else { g.name.clone() } })
        .collect();
    WidgetConfig {
        site_name: config.name.clone(),
        greeting: plugin.and_then(|p| p.greeting.clone()).unwrap_or_else(|| config.greeting.clone()),
        pre_chat: config.pre_chat.clone(),
        groups,
        card_buttons: config.card_buttons.clone(),
        max_image_bytes: config.uploads.max_image_bytes,
        max_file_bytes: config.uploads.max_file_bytes,
    }
}

/// Refuses pre-chat answers the site's form does not accept, and groups the visitor may not pick.
fn check_choices(config: &SiteConfig, request: &SessionRequest) -> EdgeResult<()> {
    if !request.pre_chat.is_empty() {
        protocol::checks::check_pre_chat(&config.pre_chat, &request.pre_chat)
            .map_err(|e| EdgeError::PreChatInvalid(e.to_string()))?;
    }
    if let Some(group) = &request.group {
        if !config.routing.visitor_picks_group.contains(group) {
            return Err(EdgeError::PreChatInvalid(format!("group {group:?} cannot be picked on this site")));
        }
    }
    Ok(())
}

/// A returning visitor whose last conversation was closed gets a new one.
pub(super) fn with_open_conversation(
    store: &Store,
    mut found: VisitorSession,
    now_ms: u64,
) -> EdgeResult<VisitorSession> {
    if found.conversation_id.is_empty() {
        found.conversation_id = format!("c{}", secrets::random_hex(8)?);
        store.create_conversation(&found.visitor_id, &found.conversation_id, now_ms)?;
    }
    Ok(found)
}

fn create(store: &Store, visitor: NewVisitor<'_>, widget: WidgetConfig, now_ms: u64) -> EdgeResult<SessionResponse> {
    create_with_token(store, visitor, secrets::new_token("v_")?, widget, now_ms)
}

fn create_with_token(
    store: &Store,
    visitor: NewVisitor<'_>,
    token: String,
    widget: WidgetConfig,
    now_ms: u64,
) -> EdgeResult<SessionResponse> {
    let conversation_id = format!("c{}", secrets::random_hex(8)?);
    store.create_visitor(&visitor, &secrets::token_hash(&token), &conversation_id, now_ms)?;
    Ok(SessionResponse {
        visitor_id: visitor.id.to_string(),
        conversation_id,
        token,
        verified: visitor.verified,
        visitor_name: visitor.name.to_string(),
        config: widget,
        identity_refused: None,
    })
}

/// The stored form of the verification fields: `field=value` lines in the configured order.
fn match_key(person: &Verified) -> String {
    person.match_key.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("\n")
}

/// The CRM contact with the visitor's phone (or name + phone when several share the phone).
fn link_contact(store: &Store, person: &Verified) -> EdgeResult<Option<String>> {
    let phone = person
        .payload
        .iter()
        .find(|(k, _)| identity::is_phone_field(k))
        .and_then(|(_, v)| v.as_str().map(str::to_string).or_else(|| v.as_u64().map(|n| n.to_string())));
    match phone {
        Some(phone) => store.contact_for(&phone, person.display_name()),
        None => Ok(None),
    }
}

fn check_custom_fields(request: &SessionRequest) -> EdgeResult<&std::collections::BTreeMap<String, String>> {
    let fields = &request.custom_fields;
    if fields.len() > MAX_CUSTOM_FIELDS
        || fields
            .iter()
            .any(|(k, v)| k.is_empty() || k.chars().count() > MAX_CUSTOM_KEY || v.chars().count() > MAX_CUSTOM_VALUE)
    {
        return Err(EdgeError::BadRequest(format!(
            "custom fields: at most {MAX_CUSTOM_FIELDS}, names 1-{MAX_CUSTOM_KEY} and values up to {MAX_CUSTOM_VALUE} characters"
        )));
    }
    Ok(fields)
}
