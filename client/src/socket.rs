//! A WebSocket that reconnects by itself with backoff and speaks the protocol's JSON frames.
//!
//! The owner supplies the first frame (auth) through `SocketEvents::hello`, so a reconnect
//! re-authenticates and resumes from the last seen `seq` without the UI noticing.
//!
//! A connection can also die without closing (a phone changing networks, a laptop lid, a proxy
//! idling out): the socket stays "open" with nothing behind it. So the socket keeps a heartbeat:
//! when nothing has arrived for a while, or soon after a send that nothing answered, it sends
//! [`protocol::PING`] and expects [`protocol::PONG`] (or any frame) back. A missed answer counts
//! as a lost connection: the old socket is let go and a new one connects at once. The browser's
//! `online` and `offline` events and the page becoming visible check right away.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Function;
use protocol::{ServerFrame, PING, PONG};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, EventTarget, MessageEvent, WebSocket};

/// Quiet time after which the socket asks whether the connection is still there.
const IDLE_PING_MS: f64 = 20_000.0;
/// How long after a send with nothing heard back the socket asks.
const SEND_CHECK_MS: f64 = 3_000.0;
/// How long the answer to a ping may take before the connection counts as dead.
const PONG_TIMEOUT_MS: f64 = 5_000.0;
/// How long opening a connection may take before the attempt is dropped and made again.
const CONNECT_TIMEOUT_MS: f64 = 10_000.0;

/// Callbacks a socket owner provides.
pub trait SocketEvents: 'static {
    /// The first frame to send after every (re)connect: the auth frame, as JSON.
    fn hello(&self) -> String;
    /// Reads a text frame from the server. The default uses `serde_json`; the widget overrides it
    /// with the smaller `protocol::lite` codec, so serde's decoder never reaches its download.
    fn decode(&self, text: &str) -> Option<ServerFrame> {
        serde_json::from_str(text).ok()
    }
    /// A frame from the server.
    fn frame(&self, frame: ServerFrame);
    /// The connection went up (`true`) or down (`false`).
    fn connected(&self, up: bool);
    /// A text frame that is not a [`ServerFrame`] (the console's own frames); ignored by default.
    fn other(&self, _text: &str) {}
}

struct Inner {
    url: String,
    ws: Option<WebSocket>,
    attempts: u32,
    closed_by_owner: bool,
    events: Rc<dyn SocketEvents>,
    // Keeps the current WebSocket's JS callbacks alive.
    callbacks: Vec<Closure<dyn FnMut(JsValue)>>,
    /// When the current connection attempt started (ms since the epoch).
    since: f64,
    /// When anything last arrived on the current connection.
    heard: f64,
    /// The first send since anything last arrived.
    unanswered_send: Option<f64>,
    /// When the ping still waiting for its answer was sent.
    ping_sent: Option<f64>,
    /// The heartbeat timer that is set: its handle and when it is due.
    timer: Option<(i32, f64)>,
    /// Where `wake` listens: the window (`online`, `offline`), the document (`visibilitychange`).
    listening: Vec<(EventTarget, &'static str)>,
    /// The heartbeat's JS callback (timer and listeners), alive as long as the socket lives.
    wake: Option<Closure<dyn FnMut(JsValue)>>,
}

/// What the heartbeat does next.
enum Step {
    /// Nothing to watch (no connection, or it is closing).
    Idle,
    /// Ask whether the connection is still there.
    Ping,
    /// The connection is gone though it may look open.
    Dead,
    /// Look again at this time.
    At(f64),
}

impl Inner {
    /// What the heartbeat calls for at `now`.
    fn step(&self, now: f64) -> Step {
        let due = |at: f64, then: Step| if now >= at { then } else { Step::At(at) };
        let Some(ws) = self.ws.as_ref().filter(|_| !self.closed_by_owner) else {
            return Step::Idle;
        };
        match ws.ready_state() {
            WebSocket::CONNECTING => due(self.since + CONNECT_TIMEOUT_MS, Step::Dead),
            WebSocket::OPEN => match self.ping_sent {
                Some(sent) => due(sent + PONG_TIMEOUT_MS, Step::Dead),
                None => {
                    let quiet = self.heard + IDLE_PING_MS;
                    due(self.unanswered_send.map_or(quiet, |s| quiet.min(s + SEND_CHECK_MS)), Step::Ping)
                }
            },
            _ => Step::Idle,
        }
    }

    /// Clears the heartbeat timer and removes the window and document listeners.
    fn stop_heartbeat(&mut self) {
        if let (Some((handle, _)), Some(window)) = (self.timer.take(), web_sys::window()) {
            window.clear_timeout_with_handle(handle);
        }
        if let Some(wake) = &self.wake {
            for (target, name) in self.listening.drain(..) {
                let _ = target.remove_event_listener_with_callback(name, wake.as_ref().unchecked_ref());
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Nothing may call into the callbacks dropped with this.
        self.stop_heartbeat();
        if let Some(ws) = self.ws.take() {
            detach(&ws);
            let _ = ws.close();
        }
    }
}

/// Whether the page is hidden (a background tab, a locked phone).
fn hidden() -> bool {
    web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden())
}

/// Removes a WebSocket's handlers, so a connection given up on is never heard from again.
fn detach(ws: &WebSocket) {
    ws.set_onopen(None);
    ws.set_onmessage(None);
    ws.set_onclose(None);
}

/// A reconnecting WebSocket; cloning shares the connection.
#[derive(Clone)]
pub struct Socket {
    inner: Rc<RefCell<Inner>>,
}

impl Socket {
    /// Opens a socket to `url` and keeps it open until [`Socket::close`].
    pub fn open(url: String, events: Rc<dyn SocketEvents>) -> Self {
        let socket = Self {
            inner: Rc::new(RefCell::new(Inner {
                url,
                ws: None,
                attempts: 0,
                closed_by_owner: false,
                events,
                callbacks: Vec::new(),
                since: 0.0,
                heard: 0.0,
                unanswered_send: None,
                ping_sent: None,
                timer: None,
                listening: Vec::new(),
                wake: None,
            })),
        };
        socket.listen();
        socket.connect();
        socket
    }

    /// Whether the socket is open right now.
    pub fn is_open(&self) -> bool {
        self.inner.borrow().ws.as_ref().is_some_and(|ws| ws.ready_state() == WebSocket::OPEN)
    }

    /// Sends a frame; returns false when the socket is not open (the caller keeps it for later).
    pub fn send<F: Serialize>(&self, frame: &F) -> bool {
        serde_json::to_string(frame).is_ok_and(|text| self.send_text(&text))
    }

    /// Sends a frame already encoded as JSON text; false when the socket is not open.
    ///
    /// If nothing arrives soon after, the heartbeat asks whether the connection is still there.
    pub fn send_text(&self, text: &str) -> bool {
        let now = js_sys::Date::now();
        let check = {
            let mut inner = self.inner.borrow_mut();
            let sent = match &inner.ws {
                Some(ws) if ws.ready_state() == WebSocket::OPEN => ws.send_with_str(text).is_ok(),
                _ => false,
            };
            if !sent {
                return false;
            }
            inner.unanswered_send.is_none().then(|| {
                inner.unanswered_send = Some(now);
                now + SEND_CHECK_MS
            })
        };
        if let Some(at) = check {
            self.arm(at);
        }
        true
    }

    /// Closes the socket for good (no reconnect). Its handlers go first: what the server still
    /// sends (a last frame, its close) must not reach callbacks that are dropped with the socket.
    pub fn close(&self) {
        let mut inner = self.inner.borrow_mut();
        inner.closed_by_owner = true;
        inner.stop_heartbeat();
        if let Some(ws) = inner.ws.take() {
            // Its `close` event comes later, maybe after this socket (and its callbacks) is gone:
            // nothing may call into them then ("closure invoked after being dropped").
            detach(&ws);
            let _ = ws.close();
        }
    }

    /// Drops the current connection as a network failure would; the socket reconnects by itself.
    pub fn drop_connection(&self) {
        if let Some(ws) = self.inner.borrow().ws.as_ref() {
            let _ = ws.close();
        }
    }

    /// Makes the heartbeat's callback and listens for the browser's hints about the network.
    fn listen(&self) {
        let weak = Rc::downgrade(&self.inner);
        // One callback for all: the timer calls it without an argument, the listeners with their
        // event (and it shares its type with the WebSocket handlers, so it adds little code).
        let wake = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let Some(inner) = weak.upgrade() else { return };
            match event.dyn_ref::<web_sys::Event>() {
                None => {
                    inner.borrow_mut().timer = None;
                    Socket { inner }.heartbeat();
                }
                Some(event) if event.type_() == "visibilitychange" && hidden() => {}
                Some(_) => Socket { inner }.check_now(),
            }
        });
        let mut listening: Vec<(EventTarget, &'static str)> = Vec::new();
        if let Some(window) = web_sys::window() {
            if let Some(document) = window.document() {
                listening.push((document.into(), "visibilitychange"));
            }
            listening.push((window.clone().into(), "online"));
            listening.push((window.into(), "offline"));
        }
        let function: &Function = wake.as_ref().unchecked_ref();
        listening.retain(|(target, name)| target.add_event_listener_with_callback(name, function).is_ok());
        let mut inner = self.inner.borrow_mut();
        inner.listening = listening;
        inner.wake = Some(wake);
    }

    /// Sets the heartbeat timer for `at`, unless it is already set to go off sooner.
    fn arm(&self, at: f64) {
        let mut inner = self.inner.borrow_mut();
        if inner.closed_by_owner || inner.timer.is_some_and(|(_, due)| due <= at) {
            return;
        }
        let Some(window) = web_sys::window() else { return };
        if let Some((handle, _)) = inner.timer.take() {
            window.clear_timeout_with_handle(handle);
        }
        // Saturating: a negative or huge delay becomes 0 or `i32::MAX`.
        let delay = (at - js_sys::Date::now()) as i32;
        let handle = inner.wake.as_ref().and_then(|wake| {
            window.set_timeout_with_callback_and_timeout_and_arguments_0(wake.as_ref().unchecked_ref(), delay).ok()
        });
        inner.timer = handle.map(|handle| (handle, at));
    }

    /// Does what the heartbeat calls for now, and sets the timer for the next look.
    fn heartbeat(&self) {
        let now = js_sys::Date::now();
        let step = self.inner.borrow().step(now);
        match step {
            Step::Idle => {}
            Step::At(at) => self.arm(at),
            Step::Ping => self.ping(now),
            Step::Dead => self.lost(),
        }
    }

    /// Checks at once (the browser says the network changed, or the page became visible).
    fn check_now(&self) {
        let (between_attempts, can_ping) = {
            let inner = self.inner.borrow();
            let open = inner.ws.as_ref().is_some_and(|ws| ws.ready_state() == WebSocket::OPEN);
            (inner.ws.is_none() && !inner.closed_by_owner, open && inner.ping_sent.is_none())
        };
        if between_attempts {
            // Waiting out a backoff: try now, the network may be back.
            self.connect();
        } else if can_ping {
            self.ping(js_sys::Date::now());
        } else {
            self.heartbeat();
        }
    }

    /// Asks whether the connection is still there; a socket that refuses the ping is lost.
    fn ping(&self, now: f64) {
        let sent = {
            let mut inner = self.inner.borrow_mut();
            let sent = inner.ws.as_ref().is_some_and(|ws| ws.send_with_str(PING).is_ok());
            if sent {
                inner.ping_sent = Some(now);
            }
            sent
        };
        if sent {
            self.arm(now + PONG_TIMEOUT_MS);
        } else {
            self.lost();
        }
    }

    /// The connection went quiet: lets the old socket go (its handlers first, so it cannot report
    /// anything later), tells the owner, and connects again: at once the first time, then with
    /// the usual backoff. The owner resends what was not acknowledged after `ready`.
    fn lost(&self) {
        let (ws, events) = {
            let mut inner = self.inner.borrow_mut();
            inner.ping_sent = None;
            inner.unanswered_send = None;
            (inner.ws.take(), inner.events.clone())
        };
        let Some(ws) = ws else { return };
        detach(&ws);
        let _ = ws.close();
        self.inner.borrow_mut().callbacks.clear();
        events.connected(false);
        let at_once = {
            let mut inner = self.inner.borrow_mut();
            if inner.closed_by_owner || inner.ws.is_some() {
                return;
            }
            let first = inner.attempts == 0;
            if first {
                inner.attempts = 1;
            }
            first
        };
        if at_once {
            self.connect();
        } else {
            self.schedule_reconnect();
        }
    }

    fn connect(&self) {
        let url = {
            let inner = self.inner.borrow();
            if inner.closed_by_owner || inner.ws.is_some() {
                return;
            }
            inner.url.clone()
        };
        let Ok(ws) = WebSocket::new(&url) else {
            self.schedule_reconnect();
            return;
        };
        let weak = Rc::downgrade(&self.inner);
        let on_open = Closure::<dyn FnMut(JsValue)>::new({
            let weak = weak.clone();
            move |_| {
                if let Some(inner) = weak.upgrade() {
                    let now = js_sys::Date::now();
                    let (ws, events) = {
                        let mut i = inner.borrow_mut();
                        i.attempts = 0;
                        i.heard = now;
                        i.ping_sent = None;
                        // The hello is a send like any other: an answer is due soon.
                        i.unanswered_send = Some(now);
                        (i.ws.clone(), i.events.clone())
                    };
                    if let Some(ws) = ws {
                        let _ = ws.send_with_str(&events.hello());
                    }
                    let socket = Socket { inner };
                    socket.arm(now + SEND_CHECK_MS);
                    events.connected(true);
                }
            }
        });
        let on_message = Closure::<dyn FnMut(JsValue)>::new({
            let weak = weak.clone();
            move |event: JsValue| {
                let Some(inner) = weak.upgrade() else { return };
                let Some(text) = event.dyn_into::<MessageEvent>().ok().and_then(|e| e.data().as_string()) else {
                    return;
                };
                let events = {
                    let mut i = inner.borrow_mut();
                    i.heard = js_sys::Date::now();
                    i.ping_sent = None;
                    i.unanswered_send = None;
                    i.events.clone()
                };
                if text == PONG {
                    return;
                }
                match events.decode(&text) {
                    Some(frame) => events.frame(frame),
                    None => events.other(&text),
                }
            }
        });
        let on_close = Closure::<dyn FnMut(JsValue)>::new({
            let weak = weak.clone();
            move |event: JsValue| {
                let Some(inner) = weak.upgrade() else { return };
                let code = event.dyn_into::<CloseEvent>().map(|e| e.code()).unwrap_or(0);
                let (events, owner_closed) = {
                    let mut i = inner.borrow_mut();
                    i.ws = None;
                    (i.events.clone(), i.closed_by_owner)
                };
                events.connected(false);
                // The token was refused (or its session ended): reconnecting would not help. Any
                // other close (a timeout, too many sockets, a storage failure) is retried.
                if !owner_closed && protocol::close_is_retryable(code) {
                    Socket { inner }.schedule_reconnect();
                }
            }
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let now = js_sys::Date::now();
        {
            let mut inner = self.inner.borrow_mut();
            inner.ws = Some(ws);
            inner.callbacks = vec![on_open, on_message, on_close];
            inner.since = now;
            inner.ping_sent = None;
            inner.unanswered_send = None;
        }
        self.arm(now + CONNECT_TIMEOUT_MS);
    }

    fn schedule_reconnect(&self) {
        let delay = {
            let mut inner = self.inner.borrow_mut();
            inner.attempts = inner.attempts.saturating_add(1);
            // 250 ms, 500 ms, 1 s, 2 s, then every 4 s: a short outage is invisible.
            250u32 << inner.attempts.clamp(1, 5).saturating_sub(1)
        };
        let weak = Rc::downgrade(&self.inner);
        let retry = Closure::once_into_js(move || {
            if let Some(inner) = weak.upgrade() {
                // `connect` does nothing if the owner closed the socket or a check connected it.
                Socket { inner }.connect();
            }
        });
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(retry.unchecked_ref(), delay as i32);
        }
    }
}
