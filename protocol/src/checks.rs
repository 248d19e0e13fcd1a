//! Checks shared by the edge (which enforces them) and the widget (which shows them before sending):
//! pre-chat answers and quick-send cards; and the site config's verification fields, which the
//! admin API enforces.

use std::collections::BTreeMap;
use std::fmt;

use crate::admin::{PreChatField, PreChatKind};
use crate::frames::MessageBody;

/// Longest pre-chat answer, in characters.
pub const MAX_ANSWER_CHARS: usize = 256;
/// Longest card text field (title, price, status, id, list), in characters.
pub const MAX_CARD_TEXT: usize = 200;
/// Longest card link, in characters.
pub const MAX_CARD_URL: usize = 2_048;

/// What is wrong with one pre-chat answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerProblem {
    /// A required field was left empty.
    Required,
    /// Longer than [`MAX_ANSWER_CHARS`].
    TooLong,
    /// Not a phone number (5 to 20 digits, with spaces, `+`, `-`, parentheses).
    NotPhone,
    /// Not an e-mail address.
    NotEmail,
    /// Not one of the field's options.
    NotAnOption,
    /// The form has no such field.
    UnknownField,
}

/// A refused pre-chat answer: which field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerError {
    /// The field's name.
    pub field: String,
    /// What is wrong.
    pub problem: AnswerProblem,
}

impl fmt::Display for AnswerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.problem {
            AnswerProblem::Required => "is required",
            AnswerProblem::TooLong => "is too long",
            AnswerProblem::NotPhone => "is not a phone number",
            AnswerProblem::NotEmail => "is not an e-mail address",
            AnswerProblem::NotAnOption => "is not one of the choices",
            AnswerProblem::UnknownField => "is not a field of this form",
        };
        write!(f, "pre-chat field \"{}\" {why}", self.field)
    }
}

/// Checks one answer against its field.
pub fn check_answer(field: &PreChatField, answer: &str) -> Result<(), AnswerProblem> {
    let answer = answer.trim();
    if answer.is_empty() {
        return if field.required { Err(AnswerProblem::Required) } else { Ok(()) };
    }
    if answer.chars().count() > MAX_ANSWER_CHARS {
        return Err(AnswerProblem::TooLong);
    }
    match field.kind {
        PreChatKind::Text => Ok(()),
        PreChatKind::Phone => {
            let digits = answer.chars().filter(char::is_ascii_digit).count();
            let allowed = answer.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c));
            if allowed && (5..=20).contains(&digits) {
                Ok(())
            } else {
                Err(AnswerProblem::NotPhone)
            }
        }
        PreChatKind::Email => {
            let (local, domain) = answer.split_once('@').unwrap_or(("", ""));
            let ok = !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !answer.chars().any(|c| c.is_whitespace() || c == '<' || c == '>')
                && !domain.contains('@');
            if ok {
                Ok(())
            } else {
                Err(AnswerProblem::NotEmail)
            }
        }
        PreChatKind::Select => {
            if field.options.iter().any(|o| o == answer) {
                Ok(())
            } else {
                Err(AnswerProblem::NotAnOption)
            }
        }
    }
}

/// Checks a whole submitted form: every answer names a field, passes it, and every required field
/// is answered.
pub fn check_pre_chat(fields: &[PreChatField], answers: &BTreeMap<String, String>) -> Result<(), AnswerError> {
    if let Some(unknown) = answers.keys().find(|k| !fields.iter().any(|f| &f.name == *k)) {
        return Err(AnswerError { field: unknown.clone(), problem: AnswerProblem::UnknownField });
    }
    for field in fields {
        let answer = answers.get(&field.name).map(String::as_str).unwrap_or("");
        check_answer(field, answer).map_err(|problem| AnswerError { field: field.name.clone(), problem })?;
    }
    Ok(())
}

/// Whether a link may be put in a card or opened from one: absolute http(s) only, so a card can
/// never carry `javascript:` or `data:` URLs.
pub fn is_web_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && url.len() <= MAX_CARD_URL
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// Checks a card message: an id and title, short text fields, http(s) links only. Other kinds pass.
pub fn check_card(body: &MessageBody) -> Result<(), &'static str> {
    let MessageBody::Card { list, id, title, image, price, status, url } = body else { return Ok(()) };
    if id.trim().is_empty() || title.trim().is_empty() {
        return Err("a card needs an id and a title");
    }
    if [list, id, title, price, status].iter().any(|t| t.chars().count() > MAX_CARD_TEXT) {
        return Err("card texts are limited to 200 characters");
    }
    if [image, url].iter().any(|u| !u.is_empty() && !is_web_url(u)) {
        return Err("card links must be http(s) URLs");
    }
    Ok(())
}

/// What is wrong with a site's `identity.verification_fields`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerificationFieldsProblem {
    /// The list is empty: every verified visitor would have the same (empty) match key.
    Empty,
    /// A name is empty or only whitespace.
    BlankName,
    /// A name appears twice.
    Duplicate(String),
}

impl fmt::Display for VerificationFieldsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerificationFieldsProblem::Empty => f.write_str(
                "identity.verification_fields must name at least one field (with none, every verified visitor would be the same visitor)",
            ),
            VerificationFieldsProblem::BlankName => {
                f.write_str("identity.verification_fields must not contain an empty name")
            }
            VerificationFieldsProblem::Duplicate(name) => {
                write!(f, "identity.verification_fields names {name:?} more than once")
            }
        }
    }
}

/// Checks the fields that identify a verified visitor: at least one, none empty, none twice.
pub fn check_verification_fields(fields: &[String]) -> Result<(), VerificationFieldsProblem> {
    if fields.is_empty() {
        return Err(VerificationFieldsProblem::Empty);
    }
    if fields.iter().any(|f| f.trim().is_empty()) {
        return Err(VerificationFieldsProblem::BlankName);
    }
    for (i, field) in fields.iter().enumerate() {
        if fields[..i].contains(field) {
            return Err(VerificationFieldsProblem::Duplicate(field.clone()));
        }
    }
    Ok(())
}

/// Whether `origin` is a bare origin, `http(s)://host[:port]` without a trailing slash, path,
/// wildcard or anything else (`allowed_origins` entries: they are compared as they are and go into
/// the widget's `Content-Security-Policy: frame-ancestors` header).
pub fn is_plain_origin(origin: &str) -> bool {
    let rest = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
    rest.is_some_and(|host_port| {
        !host_port.is_empty()
            && !host_port.starts_with([':', '.', '-'])
            && host_port.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    })
}

/// Content types of the images the edge accepts (shown inline).
pub const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Extensions of plain-text files the edge accepts (UTF-8 without NULs, not markup).
pub const TEXT_EXTENSIONS: [&str; 7] = ["txt", "text", "md", "csv", "tsv", "log", "json"];

/// Extensions of the other files the edge accepts: PDF, Office (OOXML) and ZIP.
pub const DOCUMENT_EXTENSIONS: [&str; 5] = ["pdf", "docx", "xlsx", "pptx", "zip"];

/// Whether a file of this name may be uploaded as a file (the edge checks the bytes; this spares
/// an upload that is sure to be refused). Images go by their content type, [`IMAGE_TYPES`].
pub fn accepted_file_name(name: &str) -> bool {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    TEXT_EXTENSIONS.contains(&ext.as_str()) || DOCUMENT_EXTENSIONS.contains(&ext.as_str())
}

/// Most fields of a left message.
pub const MAX_LEFT_MESSAGE_FIELDS: usize = 20;

/// Longest value of a left message's field, in characters.
pub const MAX_LEFT_MESSAGE_CHARS: usize = 2_000;

/// Longest comment of a rating, in characters.
pub const MAX_RATING_COMMENT_CHARS: usize = 1_000;

/// Checks a left message (the offline form's answers): at most [`MAX_LEFT_MESSAGE_FIELDS`] fields
/// of [`MAX_LEFT_MESSAGE_CHARS`] characters.
pub fn check_left_message(fields: &BTreeMap<String, String>) -> Result<(), &'static str> {
    if fields.len() > MAX_LEFT_MESSAGE_FIELDS || fields.values().any(|v| v.chars().count() > MAX_LEFT_MESSAGE_CHARS) {
        return Err("a left message has at most 20 fields of 2,000 characters");
    }
    Ok(())
}

/// Checks a rating: a score of 1 to 5 and a comment of at most [`MAX_RATING_COMMENT_CHARS`].
pub fn check_rating(score: u8, comment: &str) -> Result<(), &'static str> {
    if !(1..=5).contains(&score) || comment.chars().count() > MAX_RATING_COMMENT_CHARS {
        return Err("a rating is 1-5 with a comment of at most 1,000 characters");
    }
    Ok(())
}

/// The origin (`scheme://host[:port]`, host lower-cased) of an absolute http(s) URL, if it has one.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // `user:pass@host` would let `https://allowed.example@evil.example/` pass a prefix check.
    if authority.is_empty() || authority.contains(['@', '\\']) {
        return None;
    }
    Some(format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

/// Whether a card image may be shown to agents: its origin is one of `origins` (the site's
/// `allowed_origins` and `card_image_origins`). The Desk drops any other image from a card.
pub fn card_image_allowed<'a>(image: &str, origins: impl IntoIterator<Item = &'a String>) -> bool {
    let Some(origin) = origin_of(image) else { return false };
    origins.into_iter().any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(&origin))
}

#[cfg(test)]
mod tests;

/// Shortest agent password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Longest agent login, in bytes.
pub const MAX_AGENT_ID: usize = 64;

/// Checks a site's agent accounts: logins 1-[`MAX_AGENT_ID`] bytes and unique, a given password at
/// least [`MIN_PASSWORD_CHARS`] characters. The error names the field (`agents[ID].password`) and
/// says what is wrong. The API and the settings pages apply the same check.
pub fn check_agents(agents: &[crate::AgentConfig]) -> Result<(), (String, String)> {
    let mut seen = std::collections::BTreeSet::new();
    for agent in agents {
        if agent.id.is_empty() || agent.id.len() > MAX_AGENT_ID || !seen.insert(agent.id.as_str()) {
            return Err((
                format!("agents[{}].id", agent.id),
                format!("agent ids must be unique, 1-{MAX_AGENT_ID} characters: {:?}", agent.id),
            ));
        }
        if agent.password.as_deref().is_some_and(|p| p.chars().count() < MIN_PASSWORD_CHARS) {
            return Err((
                format!("agents[{}].password", agent.id),
                format!("password of agent {} is shorter than {MIN_PASSWORD_CHARS} characters", agent.id),
            ));
        }
    }
    Ok(())
}

/// Launcher icons a theme may name besides an https image URL.
pub const THEME_ICONS: [&str; 4] = ["chat", "headset", "message", "help"];

/// Whether `id` is a plugin or group id: 1-64 of a-z, 0-9, `-` and `_`.
pub fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Checks a site's web plugins: ids plain and unique, allowed origins bare origins, theme tokens
/// within what the widget shows, and every rule's plugins existing. The error names the field
/// (`plugins[shop].theme.primary`) and says what is wrong; the API and the settings pages apply
/// the same check.
pub fn check_plugins(config: &crate::SiteConfig) -> Result<(), (String, String)> {
    let mut seen = std::collections::BTreeSet::new();
    for plugin in &config.plugins {
        let at = |field: &str| format!("plugins[{}].{field}", plugin.id);
        if !is_plain_id(&plugin.id) || !seen.insert(plugin.id.as_str()) {
            return Err((at("id"), format!("plugin ids are unique, 1-64 of a-z, 0-9, - and _: {:?}", plugin.id)));
        }
        if plugin.name.trim().is_empty() || plugin.name.chars().count() > 60 {
            return Err((at("name"), "a plugin's name has 1-60 characters".into()));
        }
        if let Some(bad) = plugin.allowed_origins.iter().find(|o| !is_plain_origin(o.trim_end_matches('/'))) {
            return Err((
                at("allowed_origins"),
                format!("allowed origins look like https://shop.example, not {bad:?}"),
            ));
        }
        let theme = &plugin.theme;
        let hex = |c: &str| {
            c.strip_prefix('#')
                .is_some_and(|d| (d.len() == 3 || d.len() == 6) && d.chars().all(|c| c.is_ascii_hexdigit()))
        };
        if theme.primary.as_deref().is_some_and(|c| !hex(c)) {
            return Err((at("theme.primary"), "a colour is #rgb or #rrggbb".into()));
        }
        if theme.position.as_deref().is_some_and(|p| p != "left" && p != "right") {
            return Err((at("theme.position"), "position is left or right".into()));
        }
        if theme.shape.as_deref().is_some_and(|p| !["circle", "rounded", "bar"].contains(&p)) {
            return Err((at("theme.shape"), "shape is circle, rounded or bar".into()));
        }
        let icon_ok = |i: &str| THEME_ICONS.contains(&i) || (i.starts_with("https://") && is_web_url(i));
        if theme.icon.as_deref().is_some_and(|i| !icon_ok(i)) {
            return Err((at("theme.icon"), "icon is chat, headset, message, help or an https image URL".into()));
        }
        if theme.label.as_deref().is_some_and(|l| l.chars().count() > 40) {
            return Err((at("theme.label"), "a label has at most 40 characters".into()));
        }
        if theme.title.as_deref().is_some_and(|l| l.chars().count() > 60) {
            return Err((at("theme.title"), "a title has at most 60 characters".into()));
        }
        if theme.offset_x.is_some_and(|o| o > 200) || theme.offset_y.is_some_and(|o| o > 200) {
            return Err((at("theme.offset"), "offsets are 0-200 px".into()));
        }
        if plugin.greeting.as_deref().is_some_and(|g| g.chars().count() > 500) {
            return Err((at("greeting"), "a greeting has at most 500 characters".into()));
        }
    }
    for rule in &config.routing.rules {
        if let Some(unknown) = rule.plugins.iter().find(|p| !config.plugins.iter().any(|x| &x.id == *p)) {
            return Err((format!("routing.rules[{}].plugins", rule.name), format!("no plugin {unknown:?}")));
        }
    }
    Ok(())
}

/// Checks a site's entries (指定客服): ids plain and unique, each naming exactly one existing agent
/// or group. The error names the field (`routing.entries[vip]`); the API and the settings pages
/// apply the same check.
pub fn check_entries(config: &crate::SiteConfig) -> Result<(), (String, String)> {
    let mut seen = std::collections::BTreeSet::new();
    for entry in &config.routing.entries {
        let field = format!("routing.entries[{}]", entry.id);
        if !is_plain_id(&entry.id) || !seen.insert(entry.id.as_str()) {
            return Err((field, format!("entry ids are unique, 1-64 of a-z, 0-9, - and _: {:?}", entry.id)));
        }
        match (&entry.agent, &entry.group) {
            (Some(agent), None) if config.agents.iter().any(|a| &a.id == agent) => {}
            (None, Some(group)) if config.groups.is_empty() || config.groups.iter().any(|g| &g.id == group) => {}
            (Some(agent), None) => return Err((field, format!("no agent {agent:?}"))),
            (None, Some(group)) => return Err((field, format!("no group {group:?}"))),
            _ => return Err((field, "an entry names exactly one agent or one group".into())),
        }
    }
    Ok(())
}

/// Checks a site's rules: each test compares one way (equals, contains or one of), a rule's own
/// field test names one field (a visitor field or a pre-chat field), and each further condition
/// names what it needs (a field for visitor info and pre-chat, one of [`crate::PLACE_FIELDS`]
/// for a place, none for the page URL). The error names the rule. The API and the rules page
/// apply the same check.
pub fn check_rules(config: &crate::SiteConfig) -> Result<(), (String, String)> {
    for (i, rule) in config.routing.rules.iter().enumerate() {
        let field = format!("routing.rules[{i}]");
        let one_test = |equals: &Option<String>, contains: &Option<String>, one_of: &[String]| {
            usize::from(equals.is_some()) + usize::from(contains.is_some()) + usize::from(!one_of.is_empty()) <= 1
        };
        if !one_test(&rule.equals, &rule.contains, &rule.one_of) {
            return Err((field, format!("rule {:?}: one test at a time (equals, contains or one_of)", rule.name)));
        }
        if rule.visitor_field.is_some() && rule.pre_chat_field.is_some() {
            return Err((field, format!("rule {:?} tests one field, not two", rule.name)));
        }
        if rule.max_sessions == Some(0) {
            return Err((format!("{field}.max_sessions"), format!("rule {:?}: at least 1 session", rule.name)));
        }
        for (j, c) in rule.conditions.iter().enumerate() {
            check_condition(c).map_err(|why| (format!("{field}.conditions[{j}]"), why))?;
        }
    }
    Ok(())
}

/// Checks one condition of a rule or a session group: one test at most, and what it looks at
/// named as it needs (a field for visitor info and pre-chat, one of [`crate::PLACE_FIELDS`] for a
/// place, none for the page URL).
pub fn check_condition(c: &crate::ConditionSetting) -> Result<(), String> {
    use crate::ConditionOn;
    let tests = usize::from(c.equals.is_some()) + usize::from(c.contains.is_some()) + usize::from(!c.one_of.is_empty());
    if tests > 1 {
        return Err("one test at a time (equals, contains or one_of)".into());
    }
    let name = c.field.as_deref().map(str::trim).filter(|f| !f.is_empty());
    match (c.on, name) {
        (ConditionOn::Visitor | ConditionOn::PreChat, None) => Err("name the field to test".into()),
        (ConditionOn::Place, place) if !place.is_some_and(|p| crate::PLACE_FIELDS.contains(&p)) => {
            Err("a place is country, region or city".into())
        }
        (ConditionOn::PageUrl, Some(_)) => Err("the page URL has no field".into()),
        _ => Ok(()),
    }
}

/// Checks the workbench (工作台): session groups with plain unique ids, a name, known plugins
/// and sound conditions, at most [`crate::workbench::MAX_SESSION_GROUPS`]; sidebar rows with a
/// label and a key their source knows (a built-in fact for `visitor` and `contact`, a field name
/// otherwise), each row once, at most [`crate::workbench::MAX_SIDEBAR_FIELDS`]. The error names
/// the field; the API and the workbench page apply the same check.
pub fn check_workbench(config: &crate::SiteConfig) -> Result<(), (String, String)> {
    use crate::workbench::{SidebarSource, CONTACT_FIELDS, MAX_SESSION_GROUPS, MAX_SIDEBAR_FIELDS, VISITOR_FIELDS};
    let w = &config.workbench;
    if w.session_groups.len() > MAX_SESSION_GROUPS {
        return Err(("workbench.session_groups".into(), format!("at most {MAX_SESSION_GROUPS} session groups")));
    }
    for (i, g) in w.session_groups.iter().enumerate() {
        let at = format!("workbench.session_groups[{i}]");
        if !is_plain_id(&g.id) {
            return Err((format!("{at}.id"), "an id of letters, digits, - and _".into()));
        }
        if w.session_groups[..i].iter().any(|o| o.id == g.id) {
            return Err((format!("{at}.id"), format!("{:?} is used twice", g.id)));
        }
        if g.name.trim().is_empty() || g.name.chars().count() > MAX_FORM_LABEL_CHARS {
            return Err((format!("{at}.name"), "a name of 1 to 100 characters".into()));
        }
        if let Some(p) = g.plugins.iter().find(|p| !config.plugins.iter().any(|known| &known.id == *p)) {
            return Err((format!("{at}.plugins"), format!("no web plugin {p:?}")));
        }
        for (j, c) in g.conditions.iter().enumerate() {
            check_condition(c).map_err(|why| (format!("{at}.conditions[{j}]"), why))?;
        }
    }
    for (field, secs) in [("wait_warn_secs", w.wait_warn_secs), ("wait_alert_secs", w.wait_alert_secs)] {
        if secs > crate::workbench::MAX_WAIT_SECS {
            return Err((format!("workbench.{field}"), "at most 86400 seconds (a day)".into()));
        }
    }
    let (warn, alert) = w.wait_thresholds();
    if alert <= warn {
        return Err(("workbench.wait_alert_secs".into(), format!("more than the amber threshold ({warn} s)")));
    }
    if w.sidebar_fields.len() > MAX_SIDEBAR_FIELDS {
        return Err(("workbench.sidebar_fields".into(), format!("at most {MAX_SIDEBAR_FIELDS} rows")));
    }
    for (i, f) in w.sidebar_fields.iter().enumerate() {
        let at = format!("workbench.sidebar_fields[{i}]");
        let known = match f.source {
            SidebarSource::Visitor => VISITOR_FIELDS.contains(&f.key.as_str()),
            SidebarSource::Contact => CONTACT_FIELDS.contains(&f.key.as_str()),
            _ => !f.key.trim().is_empty() && f.key.len() <= 64,
        };
        if !known {
            return Err((format!("{at}.key"), format!("no field {:?} to show", f.key)));
        }
        if w.sidebar_fields[..i].iter().any(|o| o.source == f.source && o.key == f.key) {
            return Err((format!("{at}.key"), format!("{:?} is shown twice", f.key)));
        }
        if f.label.trim().is_empty() || f.label.chars().count() > MAX_FORM_LABEL_CHARS {
            return Err((format!("{at}.label"), "a label of 1 to 100 characters".into()));
        }
    }
    Ok(())
}

/// Longest label or option of a form field, in characters.
pub const MAX_FORM_LABEL_CHARS: usize = 100;

/// Checks the widget's forms and buttons (用户聊天窗口设置): pre-chat questions (plain unique
/// names, a label, options for a choice), the leave-message fields (plain unique names, at most
/// [`MAX_LEFT_MESSAGE_FIELDS`]) and the quick-send card buttons (a plain unique list id and a
/// name). The error names the field; the API and the chat-window page apply the same check.
pub fn check_forms(config: &crate::SiteConfig) -> Result<(), (String, String)> {
    let long = |text: &str| text.chars().count() > MAX_FORM_LABEL_CHARS;
    for (i, field) in config.pre_chat.iter().enumerate() {
        let at = format!("pre_chat[{i}]");
        if !is_plain_id(&field.name) || config.pre_chat[..i].iter().any(|f| f.name == field.name) {
            return Err((at, format!("names are unique, 1-64 of a-z, 0-9, - and _: {:?}", field.name)));
        }
        if field.label.trim().is_empty() || long(&field.label) {
            return Err((at, format!("a question needs a label of at most {MAX_FORM_LABEL_CHARS} characters")));
        }
        if field.kind == PreChatKind::Select
            && (field.options.iter().all(|o| o.trim().is_empty()) || field.options.iter().any(|o| long(o)))
        {
            return Err((at, "a choice needs its options".into()));
        }
    }
    let leave = &config.routing.leave_message_fields;
    if leave.len() > MAX_LEFT_MESSAGE_FIELDS {
        return Err(("routing.leave_message_fields".into(), format!("at most {MAX_LEFT_MESSAGE_FIELDS} fields")));
    }
    for (i, field) in leave.iter().enumerate() {
        let at = format!("routing.leave_message_fields[{i}]");
        if !is_plain_id(&field.name) || leave[..i].iter().any(|f| f.name == field.name) {
            return Err((at, format!("names are unique, 1-64 of a-z, 0-9, - and _: {:?}", field.name)));
        }
        if field.label.as_deref().is_some_and(long) {
            return Err((at, format!("a label has at most {MAX_FORM_LABEL_CHARS} characters")));
        }
    }
    for (i, button) in config.card_buttons.iter().enumerate() {
        let at = format!("card_buttons[{i}]");
        if !is_plain_id(&button.list) || config.card_buttons[..i].iter().any(|b| b.list == button.list) {
            return Err((at, format!("card lists are unique, 1-64 of a-z, 0-9, - and _: {:?}", button.list)));
        }
        if button.name.trim().is_empty() || long(&button.name) {
            return Err((at, format!("a button needs a name of at most {MAX_FORM_LABEL_CHARS} characters")));
        }
    }
    Ok(())
}

/// Checks the designated-group mode (访客选择分组): the groups a visitor picks from exist and are
/// named once. The API and the rules page apply the same check.
pub fn check_group_choice(config: &crate::SiteConfig) -> Result<(), (String, String)> {
    let picks = &config.routing.visitor_picks_group;
    for (i, id) in picks.iter().enumerate() {
        if !config.groups.iter().any(|g| &g.id == id) {
            return Err(("routing.visitor_picks_group".into(), format!("no group {id:?}")));
        }
        if picks[..i].contains(id) {
            return Err(("routing.visitor_picks_group".into(), format!("group {id:?} is offered twice")));
        }
    }
    Ok(())
}

/// Checks a site's identity settings (身份校验) apart from the keys' bytes, which the edge parses:
/// with keys or with identity required, one key (two during a rotation), a rotation end only
/// with two keys, at least one token format, and every web plugin tied to allowed origins (the
/// widget's `host` is the page's own claim: only an allow-list ties a verified chat to the real
/// site). The error names the field; the API and the identity page apply the same check.
pub fn check_identity(config: &crate::SiteConfig) -> Result<(), (String, String)> {
    let identity = &config.identity;
    check_verification_fields(&identity.verification_fields)
        .map_err(|problem| ("identity.verification_fields".to_string(), problem.to_string()))?;
    if identity.rotation_ends_ms.is_some() && identity.keys.len() != 2 {
        return Err(("identity.rotation_ends_ms".into(), "a rotation ends only while two keys are set".into()));
    }
    let required = identity.require_identity || config.plugins.iter().any(|p| p.require_identity);
    if identity.keys.is_empty() && !required {
        return Ok(());
    }
    if identity.keys.is_empty() || identity.keys.len() > 2 {
        return Err(("identity.keys".into(), "identity needs one site key, or two during a rotation".into()));
    }
    if !identity.accept_v2 && !identity.accept_ecb {
        return Err(("identity.accept_v2".into(), "accept at least one token format (v2 or the compat ECB)".into()));
    }
    let unbound = match config.plugins.is_empty() {
        true => config.allowed_origins.is_empty().then(|| "allowed_origins".to_string()),
        false => config
            .plugins
            .iter()
            .find(|p| config.origins_for(Some(p)).is_empty())
            .map(|p| format!("plugins[{}].allowed_origins", p.id)),
    };
    if let Some(field) = unbound {
        return Err((
            field,
            "identity needs allowed origins: list the origins of the pages that embed the chat \
             (https://shop.example), otherwise any page could embed it claiming to be your site"
                .into(),
        ));
    }
    Ok(())
}

/// A service-hours span `HH:MM-HH:MM` as minutes of the day `(start, end)`, `end` up to 1440
/// (`24:00`). A span whose end is before its start crosses midnight (`22:00-02:00`); start and end
/// equal is no span.
pub fn parse_span(text: &str) -> Option<(u16, u16)> {
    let (start, end) = text.split_once('-')?;
    let minute = |hm: &str| -> Option<u16> {
        let (h, m) = hm.trim().split_once(':')?;
        let (h, m) = (h.parse::<u16>().ok()?, m.parse::<u16>().ok()?);
        (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
    };
    let (start, end) = (minute(start)?, minute(end)?);
    (start != end && start < 1440).then_some((start, end))
}

/// Checks the weekly service hours: seven days, Monday first, each a list of spans
/// (`parse_span`), and a UTC offset within ±14 hours. The error names the day.
pub fn check_service_hours(hours: &crate::ServiceHoursSetting) -> Result<(), (String, String)> {
    if hours.weekly.len() != 7 {
        return Err(("service_hours.weekly".into(), "seven days, Monday first".into()));
    }
    if hours.utc_offset_minutes.abs() > 14 * 60 {
        return Err(("service_hours.utc_offset_minutes".into(), "a UTC offset is within ±14 hours".into()));
    }
    for (day, spans) in hours.weekly.iter().enumerate() {
        if let Some(bad) = spans.iter().find(|s| parse_span(s).is_none()) {
            return Err((format!("service_hours.weekly[{day}]"), format!("{bad:?} is not HH:MM-HH:MM")));
        }
    }
    Ok(())
}

/// Checks a group's own service hours: as [`check_service_hours`], and open at least once a week
/// (a group that never opens would keep the conversations routed to it waiting for ever; without
/// hours of its own it follows the site's).
pub fn check_group_hours(hours: &crate::ServiceHoursSetting) -> Result<(), (String, String)> {
    check_service_hours(hours)?;
    if hours.weekly.iter().all(Vec::is_empty) {
        return Err((
            "service_hours.weekly".into(),
            "a group's own hours need at least one open span (else it follows the site's)".into(),
        ));
    }
    Ok(())
}

/// Most characters of a contact's id, name, customer id.
const MAX_CONTACT_FIELD: usize = 128;

/// Checks one CRM contact: an id, a name, a phone with 5-20 digits, owners that are agents of the
/// site (`agents`). The settings page checks each CSV row with it before importing, and the Desk
/// again before storing.
pub fn check_contact(contact: &crate::Contact, agents: &[crate::AgentConfig]) -> Result<(), String> {
    let long = |v: &str| v.chars().count() > MAX_CONTACT_FIELD;
    if contact.id.trim().is_empty() || long(&contact.id) {
        return Err(format!("id: 1-{MAX_CONTACT_FIELD} characters"));
    }
    if contact.name.trim().is_empty() || long(&contact.name) {
        return Err(format!("name: 1-{MAX_CONTACT_FIELD} characters"));
    }
    let digits = contact.phone.chars().filter(char::is_ascii_digit).count();
    let phone_chars = contact.phone.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c));
    if !(5..=20).contains(&digits) || !phone_chars {
        return Err(format!("phone: 5-20 digits (with + - ( ) or spaces), not {:?}", contact.phone));
    }
    for (field, owner) in [("owner_agent", &contact.owner_agent), ("customer_owner", &contact.customer_owner)] {
        if let Some(owner) = owner.as_deref().filter(|o| !agents.iter().any(|a| a.id == *o)) {
            return Err(format!("{field}: no agent {owner:?}"));
        }
    }
    if contact.customer_id.as_deref().is_some_and(long) {
        return Err(format!("customer_id: at most {MAX_CONTACT_FIELD} characters"));
    }
    Ok(())
}

/// One data row of a contacts CSV: the line it starts on, and the contact or why it is none.
pub type CsvContact = (usize, Result<crate::Contact, String>);

/// The columns of a contacts CSV, in the header's words (English, or 中文).
const CONTACT_COLUMNS: [(&str, &str); 6] = [
    ("id", "编号"),
    ("name", "姓名"),
    ("phone", "手机"),
    ("owner_agent", "负责客服"),
    ("customer_id", "客户编号"),
    ("customer_owner", "客户负责人"),
];

/// Reads a contacts CSV (a header row naming the columns, then one contact a line; quoted fields
/// may hold commas, quotes as `""` and line breaks; trailing optional columns may be left off).
/// Each row comes back with the line it started on, as a contact or why it cannot be one; the
/// header must name `id`, `name` and `phone`.
pub fn parse_contacts_csv(text: &str) -> Result<Vec<CsvContact>, String> {
    let rows = csv_rows(text.trim_start_matches('\u{feff}'));
    let Some((_, header)) = rows.first() else { return Err("the file is empty".into()) };
    let column = |name: &str| {
        let (en, zh) = CONTACT_COLUMNS.iter().find(|(en, _)| *en == name).copied().unwrap_or((name, name));
        header.iter().position(|h| h.trim().eq_ignore_ascii_case(en) || h.trim() == zh)
    };
    let (Some(id), Some(name), Some(phone)) = (column("id"), column("name"), column("phone")) else {
        return Err("the first line must name the columns id, name and phone (编号, 姓名, 手机)".into());
    };
    let optional = [column("owner_agent"), column("customer_id"), column("customer_owner")];
    Ok(rows[1..]
        .iter()
        .filter(|(_, fields)| fields.iter().any(|f| !f.trim().is_empty()))
        .map(|(line, fields)| {
            let get = |i: Option<usize>| i.and_then(|i| fields.get(i)).map(|f| f.trim().to_string());
            let some = |i: Option<usize>| get(i).filter(|f| !f.is_empty());
            let contact = if [id, name, phone].iter().any(|&i| i >= fields.len()) {
                Err(format!("{} fields: id, name and phone are missing", fields.len()))
            } else {
                Ok(crate::Contact {
                    id: get(Some(id)).unwrap_or_default(),
                    name: get(Some(name)).unwrap_or_default(),
                    phone: get(Some(phone)).unwrap_or_default(),
                    owner_agent: some(optional[0]),
                    customer_id: some(optional[1]),
                    customer_owner: some(optional[2]),
                })
            };
            (*line, contact)
        })
        .collect())
}

/// CSV rows with the line each starts on (1-based).
fn csv_rows(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let (mut quoted, mut line, mut start) = (false, 1, 1);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push((start, std::mem::take(&mut row)));
                line += 1;
                start = line;
            }
            (c, _) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push((start, row));
    }
    rows
}
