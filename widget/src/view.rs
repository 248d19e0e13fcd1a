//! The page the widget shows, made to follow the state after every change ([`render`]): the
//! root, the launcher and the window (header, log, notice, bottom, lightbox). The message bubbles
//! are in `bubble`, the composer in `composer`, the forms in `forms`, what the visitor does in
//! `events`.

use std::cell::RefCell;

use client::timeline::Status;
use protocol::lite::Json;
use protocol::WaitReason;
use wasm_bindgen::JsCast;
use web_sys::{Element, Node};

use crate::bubble::LineView;
use crate::composer::ComposerUi;
use crate::dom::{add, doc, el, icon, set_attr, set_text, text_el, Slot};
use crate::host::params;
use crate::i18n::{self, Strings};
use crate::state::{Chat, Phase, Rating};
use crate::theme::{icon_path, Theme};

/// Room around the launcher inside the closed iframe (its shadow and badge), px.
const LAUNCHER_ROOM: f64 = 16.0;
/// The close cross.
pub const CLOSE_PATH: &str =
    "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z";

/// The widget's strings in the page's language.
pub fn strings() -> &'static Strings {
    i18n::strings(&params().locale)
}

/// What the launcher's icon is.
#[derive(Debug, Clone, PartialEq)]
enum LauncherIcon {
    Close,
    Image(String),
    Path(&'static str),
}

struct LauncherUi {
    button: Element,
    icon: Slot<LauncherIcon>,
    label: Slot<String>,
    badge: Slot<u32>,
}

/// What the bottom of the window shows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Bottom {
    /// The session failed, with this code.
    Failed(String),
    /// The pre-chat form.
    PreChat,
    /// The composer.
    Composer,
}

struct WindowUi {
    section: Element,
    title: Element,
    avatar: Slot<String>,
    sub: Slot<String>,
    greeting: Slot<String>,
    log: Element,
    lines: Vec<LineView>,
    lines_start: Node,
    typing: Slot<()>,
    leave: Slot<crate::state::LeaveForm>,
    rate: Slot<Rating>,
    notice: Slot<String>,
    bottom: Slot<Bottom>,
    composer: Option<ComposerUi>,
    lightbox: Slot<String>,
    /// What the log showed when it was last scrolled to its end.
    scrolled: Option<LogEnd>,
}

/// What decides that the log scrolls to its end: a new or changed last line, or a form.
type LogEnd = (usize, Option<(String, Status)>, bool, bool, Rating, bool);

struct Ui {
    root: Element,
    look: (String, String),
    launcher: LauncherUi,
    window: Option<WindowUi>,
    /// What the iframe was last sized for: open, theme, narrow.
    sized: Option<(bool, Theme, bool)>,
}

thread_local! {
    static UI: RefCell<Option<Ui>> = const { RefCell::new(None) };
}

/// Builds the root and the launcher in the page's body; `events` listens on the root.
pub fn mount() -> Element {
    let root = el("div", &[("lang", i18n::lang(&params().locale))]);
    let button = el(
        "button",
        &[("type", "button"), ("class", "cw-launcher"), ("data-testid", "cw-launcher"), ("data-act", "launcher")],
    );
    add(&root, &[&button]);
    let launcher =
        LauncherUi { icon: Slot::new(&button), label: Slot::new(&button), badge: Slot::new(&button), button };
    if let Some(body) = doc().body() {
        let _ = body.append_child(&root);
    }
    UI.with(|ui| {
        *ui.borrow_mut() =
            Some(Ui { root: root.clone(), look: Default::default(), launcher, window: None, sized: None })
    });
    root
}

/// Makes the page show `chat`.
pub fn render(chat: &Chat) {
    UI.with(|ui| {
        if let Some(ui) = ui.borrow_mut().as_mut() {
            ui.render(chat);
        }
    });
}

impl Ui {
    fn render(&mut self, chat: &Chat) {
        let strings = strings();
        let theme = &chat.theme;
        let mut class = format!("cw {}", theme.classes());
        if chat.open {
            class.push_str(" cw-open");
        }
        if chat.narrow {
            class.push_str(" cw-narrow");
        }
        let look = (class, theme.style());
        if self.look != look {
            set_attr(&self.root, "class", &look.0);
            set_attr(&self.root, "style", &look.1);
            self.look = look;
        }
        self.launcher.render(chat, strings);
        match (&mut self.window, chat.open) {
            (None, true) => {
                let mut window = WindowUi::build(strings);
                let _ = self.root.insert_before(&window.section, Some(&self.launcher.button));
                window.render(chat, strings);
                self.window = Some(window);
            }
            (Some(window), true) => window.render(chat, strings),
            (Some(_), false) => {
                if let Some(window) = self.window.take() {
                    window.remove();
                }
            }
            (None, false) => {}
        }
        self.size_host(chat);
    }

    /// The iframe is as large as the launcher needs while closed, and as the window needs when open.
    fn size_host(&mut self, chat: &Chat) {
        let sized = (chat.open, chat.theme.clone(), chat.narrow);
        if self.sized.as_ref() == Some(&sized) {
            return;
        }
        let rect = self.launcher.button.get_bounding_client_rect();
        let (w, h) = if rect.width() > 0.0 { (rect.width(), rect.height()) } else { (56.0, 56.0) };
        let theme = &chat.theme;
        host_post_resize(chat.open, w, h, theme);
        self.sized = Some(sized);
    }
}

fn host_post_resize(open: bool, w: f64, h: f64, theme: &Theme) {
    crate::host::post(
        &params().host,
        "resize",
        Json::obj([
            ("open", open.into()),
            ("w", ((w + f64::from(theme.offset_x) + LAUNCHER_ROOM).ceil() as u64).into()),
            ("h", ((h + f64::from(theme.offset_y) + LAUNCHER_ROOM).ceil() as u64).into()),
            ("left", theme.left.into()),
            // The open window (380 px) above the launcher, with room for its shadow.
            ("ow", u64::from(380 + theme.offset_x + 20).into()),
        ]),
    );
}

impl LauncherUi {
    fn render(&mut self, chat: &Chat, strings: &Strings) {
        let theme = &chat.theme;
        let bar = theme.shape == "bar";
        let label = if theme.label.is_empty() { strings.open_chat.to_string() } else { theme.label.clone() };
        let name = if chat.open { strings.close_chat.to_string() } else { label.clone() };
        set_attr(&self.button, "aria-label", &name);
        set_attr(&self.button, "aria-expanded", if chat.open { "true" } else { "false" });
        let want = if chat.open && !bar {
            LauncherIcon::Close
        } else if theme.icon.starts_with("http") {
            LauncherIcon::Image(theme.icon.clone())
        } else {
            LauncherIcon::Path(icon_path(&theme.icon))
        };
        self.icon.show(Some(want), |icon_kind| match icon_kind {
            LauncherIcon::Close => icon("cw-icon", CLOSE_PATH),
            LauncherIcon::Image(src) => el(
                "img",
                &[("class", "cw-icon cw-icon-img"), ("src", src), ("alt", ""), ("data-testid", "cw-launcher-img")],
            ),
            LauncherIcon::Path(d) => icon("cw-icon", d),
        });
        self.label.show(bar.then_some(label), |label| {
            text_el("span", &[("class", "cw-label"), ("data-testid", "cw-launcher-label")], label)
        });
        self.badge.show((chat.unread > 0).then_some(chat.unread), |n| {
            let aria = format!("{n}{}", strings.unread);
            text_el(
                "span",
                &[("class", "cw-badge"), ("data-testid", "cw-unread"), ("aria-label", &aria)],
                &n.to_string(),
            )
        });
    }
}

impl WindowUi {
    fn build(strings: &Strings) -> Self {
        let section = el(
            "section",
            &[("class", "cw-window"), ("data-testid", "cw-window"), ("role", "dialog"), ("aria-modal", "true")],
        );
        let header = el("header", &[("class", "cw-header")]);
        let avatar = Slot::new(&header);
        let heading = el("div", &[("class", "cw-heading")]);
        let title = el("h1", &[("class", "cw-title"), ("data-testid", "cw-title")]);
        add(&heading, &[&title]);
        let sub = Slot::new(&heading);
        let close = el(
            "button",
            &[
                ("type", "button"),
                ("class", "cw-close"),
                ("data-testid", "cw-close"),
                ("aria-label", strings.close_chat),
                ("data-act", "close"),
            ],
        );
        add(&close, &[&icon("", CLOSE_PATH)]);
        add(&header, &[&heading, &close]);
        let log = el(
            "div",
            &[("class", "cw-log"), ("role", "log"), ("aria-live", "polite"), ("aria-label", strings.messages)],
        );
        let _ = log.set_attribute("data-testid", "cw-log");
        let greeting = Slot::new(&log);
        let lines_start: Node = doc().create_comment("").into();
        let _ = log.append_child(&lines_start);
        let typing = Slot::new(&log);
        let leave = Slot::new(&log);
        let rate = Slot::new(&log);
        add(&section, &[&header, &log]);
        let notice = Slot::new(&section);
        let bottom = Slot::new(&section);
        let lightbox = Slot::new(&section);
        Self {
            section,
            title,
            avatar,
            sub,
            greeting,
            log,
            lines: Vec::new(),
            lines_start,
            typing,
            leave,
            rate,
            notice,
            bottom,
            composer: None,
            lightbox,
            scrolled: None,
        }
    }

    fn remove(self) {
        if self.composer.is_some() {
            // Closed while the visitor was typing: the agent's "typing" indicator stops too.
            crate::api::typing(false);
        }
        self.section.remove();
    }

    fn render(&mut self, chat: &Chat, strings: &'static Strings) {
        let theme_title = chat.theme.title.clone();
        let title = Some(theme_title)
            .filter(|t| !t.is_empty())
            .or_else(|| chat.agent_name.clone())
            .or_else(|| chat.config.as_ref().map(|c| c.site_name.clone()))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| strings.title.to_string());
        set_text(&self.title, &title);
        set_attr(&self.section, "aria-label", &title);
        let initial = chat.agent_name.as_ref().and_then(|n| n.chars().next()).map(String::from);
        self.avatar.show(initial, |c| {
            text_el("span", &[("class", "cw-avatar"), ("aria-hidden", "true"), ("data-testid", "cw-avatar")], c)
        });
        self.sub.show(subtitle(chat, strings), |s| {
            text_el("p", &[("class", "cw-sub"), ("role", "status"), ("data-testid", "cw-status")], s)
        });
        let greeting = chat.config.as_ref().map(|c| c.greeting.clone()).filter(|g| !g.is_empty());
        self.greeting.show(greeting, |g| text_el("p", &[("class", "cw-greeting"), ("data-testid", "cw-greeting")], g));
        self.render_lines(chat, strings);
        self.typing.show(chat.agent_typing.then_some(()), |_| {
            let dots =
                el("div", &[("class", "cw-typing"), ("data-testid", "cw-typing"), ("aria-label", strings.typing)]);
            add(&dots, &[&el("i", &[]), &el("i", &[]), &el("i", &[])])
        });
        self.leave.show(chat.leave_form.clone(), |form| crate::forms::leave_message(form, strings));
        self.rate.show((chat.rating != Rating::None).then_some(chat.rating), |r| crate::forms::rate(*r, strings));
        self.notice.show(chat.notice.clone(), |n| {
            text_el("p", &[("class", "cw-notice"), ("role", "alert"), ("data-testid", "cw-notice")], n)
        });
        self.render_bottom(chat, strings);
        self.lightbox.show(chat.lightbox.clone(), |src| {
            let lightbox = el(
                "div",
                &[
                    ("class", "cw-lightbox"),
                    ("data-testid", "cw-lightbox"),
                    ("role", "dialog"),
                    ("aria-label", strings.close_image),
                    ("data-act", "lightbox"),
                ],
            );
            let close = text_el(
                "button",
                &[("type", "button"), ("class", "cw-close"), ("aria-label", strings.close_image)],
                "×",
            );
            add(&lightbox, &[&el("img", &[("src", src), ("alt", "")]), &close])
        });
        // Keep the newest message (or form) in view.
        let lines = chat.timeline.lines();
        let end: LogEnd = (
            lines.len(),
            lines.last().map(|l| (l.key.clone(), l.status)),
            chat.leave_form.is_some(),
            chat.leave_form.as_ref().is_some_and(|f| f.sent),
            chat.rating,
            chat.agent_typing,
        );
        if self.scrolled.as_ref() != Some(&end) {
            self.log.set_scroll_top(self.log.scroll_height());
            self.scrolled = Some(end);
        }
    }

    /// The bubbles, in the timeline's order: kept while they show the same, rebuilt when not.
    fn render_lines(&mut self, chat: &Chat, strings: &'static Strings) {
        let mut old: Vec<Option<LineView>> = self.lines.drain(..).map(Some).collect();
        // Most renders keep every bubble where it was: the next one in order is looked at first,
        // so a long conversation is not scanned once per line.
        let mut next_old = 0;
        let mut prev = self.lines_start.clone();
        for line in chat.timeline.lines() {
            let key = crate::bubble::key_of(chat, line);
            let same = |v: &Option<LineView>| v.as_ref().is_some_and(|v| v.key == key);
            let found = match old.get(next_old) {
                Some(v) if same(v) => Some(next_old),
                _ => old.iter().position(same),
            };
            let kept = found.and_then(|i| {
                next_old = i + 1;
                old[i].take()
            });
            let mut view = kept.unwrap_or_else(|| LineView::build(line, key, strings));
            view.update(chat, line, strings);
            let next = prev.next_sibling();
            let node: &Node = view.el.unchecked_ref();
            if next.as_ref() != Some(node) {
                let _ = self.log.insert_before(node, next.as_ref());
            }
            prev = node.clone();
            self.lines.push(view);
        }
        for gone in old.into_iter().flatten() {
            gone.el.remove();
        }
    }

    fn render_bottom(&mut self, chat: &Chat, strings: &'static Strings) {
        // A reconnect (Online -> Offline -> Online) keeps the same bottom, so the composer and
        // what the visitor is typing stay.
        let mode = match &chat.phase {
            Phase::Failed(code, _) => Bottom::Failed(code.clone()),
            _ if !chat.pre_chat_done => Bottom::PreChat,
            _ => Bottom::Composer,
        };
        let composer = &mut self.composer;
        let changed = self.bottom.show(Some(mode.clone()), |mode| match mode {
            Bottom::Failed(code) => failed_view(code, strings),
            Bottom::PreChat => crate::forms::pre_chat(chat.config.clone().unwrap_or_default(), strings),
            Bottom::Composer => {
                let ui = ComposerUi::build(strings);
                let wrap = ui.wrap.clone();
                *composer = Some(ui);
                wrap
            }
        });
        if changed && mode != Bottom::Composer && self.composer.take().is_some() {
            crate::api::typing(false);
        }
        if let Some(composer) = &mut self.composer {
            composer.render(chat, strings);
            if changed {
                composer.focus();
            }
        }
    }
}

fn subtitle(chat: &Chat, strings: &Strings) -> Option<String> {
    match chat.phase {
        Phase::Idle | Phase::Connecting => Some(strings.connecting.to_string()),
        Phase::Offline => Some(strings.reconnecting.to_string()),
        Phase::Failed(..) => None,
        Phase::Online => match (chat.queue_position, chat.wait_reason) {
            (Some(p), _) => Some(strings.queued.replace("{}", &p.to_string())),
            (None, Some(WaitReason::Offline)) => Some(strings.waiting_offline.to_string()),
            (None, Some(WaitReason::OffHours)) => Some(strings.waiting_off_hours.to_string()),
            _ => chat.agent_name.clone().filter(|_| !chat.theme.title.is_empty()),
        },
    }
}

/// The session failed: why, and what the visitor can do.
fn failed_view(code: &str, strings: &Strings) -> Element {
    let unknown_entry = code == "unknown_entry";
    // The site requires a signed-in shopper: saying "try again later" would blame the network;
    // the page signs the shopper in and calls `identify`, which starts over.
    let needs_identity = code.starts_with("identity_");
    // Embedded by a page that is not the host it names: trying again cannot help.
    let final_failure = needs_identity || code == "origin_not_allowed";
    let text = if unknown_entry {
        strings.unknown_entry
    } else if needs_identity {
        strings.identity_required
    } else {
        strings.failed
    };
    let view =
        el("div", &[("class", "cw-failed"), ("role", "alert"), ("data-testid", "cw-failed"), ("data-code", code)]);
    add(&view, &[&text_el("p", &[], text)]);
    if !final_failure {
        let label = if unknown_entry { strings.general_chat } else { strings.try_again };
        let button = text_el(
            "button",
            &[("type", "button"), ("class", "cw-button"), ("data-testid", "cw-failed-action"), ("data-act", "failed")],
            label,
        );
        add(&view, &[&button]);
    }
    view
}

/// A short two-tone chime (Web Audio; nothing is downloaded). Browsers allow it only after the
/// visitor has interacted with the page, so a refusal is silent.
pub fn chime() {
    let Ok(ctx) = web_sys::AudioContext::new() else { return };
    let now = ctx.current_time();
    for (i, freq) in [880.0_f32, 1_320.0].into_iter().enumerate() {
        let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else { return };
        osc.frequency().set_value(freq);
        let start = now + 0.12 * i as f64;
        let _ = gain.gain().set_value_at_time(0.12, start);
        let _ = gain.gain().exponential_ramp_to_value_at_time(0.001, start + 0.25);
        let _ = osc.connect_with_audio_node(&gain).and_then(|_| gain.connect_with_audio_node(&ctx.destination()));
        let _ = osc.start_with_when(start);
        let _ = osc.stop_with_when(start + 0.3);
    }
    // Close the context once the chime is over.
    let closer = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = ctx.close();
    });
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(closer.unchecked_ref(), 1_000);
    }
}
