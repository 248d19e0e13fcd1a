//! A WebSocket that reconnects by itself with backoff and speaks the protocol's JSON frames.
//!
//! The owner supplies the first frame (auth) through `SocketEvents::hello`, so a reconnect
//! re-authenticates and resumes from the last seen `seq` without the UI noticing.

use std::cell::RefCell;
use std::rc::Rc;

use protocol::ServerFrame;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

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
    // Keeps the JS callbacks alive as long as the socket lives.
    callbacks: Vec<Closure<dyn FnMut(JsValue)>>,
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
            })),
        };
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
    pub fn send_text(&self, text: &str) -> bool {
        let inner = self.inner.borrow();
        match &inner.ws {
            Some(ws) if ws.ready_state() == WebSocket::OPEN => ws.send_with_str(text).is_ok(),
            _ => false,
        }
    }

    /// Closes the socket for good (no reconnect).
    pub fn close(&self) {
        let mut inner = self.inner.borrow_mut();
        inner.closed_by_owner = true;
        if let Some(ws) = inner.ws.take() {
            let _ = ws.close();
        }
    }

    /// Drops the current connection as a network failure would; the socket reconnects by itself.
    pub fn drop_connection(&self) {
        if let Some(ws) = self.inner.borrow().ws.as_ref() {
            let _ = ws.close();
        }
    }

    fn connect(&self) {
        let url = self.inner.borrow().url.clone();
        let Ok(ws) = WebSocket::new(&url) else {
            self.schedule_reconnect();
            return;
        };
        let weak = Rc::downgrade(&self.inner);
        let on_open = Closure::<dyn FnMut(JsValue)>::new({
            let weak = weak.clone();
            move |_| {
                if let Some(inner) = weak.upgrade() {
                    let (ws, events) = {
                        let mut i = inner.borrow_mut();
                        i.attempts = 0;
                        (i.ws.clone(), i.events.clone())
                    };
                    if let Some(ws) = ws {
                        let _ = ws.send_with_str(&events.hello());
                    }
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
                let events = inner.borrow().events.clone();
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
                // 4401: the token was refused; reconnecting would not help.
                if !owner_closed && code != 4401 {
                    Socket { inner }.schedule_reconnect();
                }
            }
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut inner = self.inner.borrow_mut();
        inner.ws = Some(ws);
        inner.callbacks = vec![on_open, on_message, on_close];
    }

    fn schedule_reconnect(&self) {
        let delay = {
            let mut inner = self.inner.borrow_mut();
            inner.attempts = inner.attempts.saturating_add(1);
            // 250 ms, 500 ms, 1 s ... capped at 8 s, so a short outage is invisible.
            250u32.saturating_mul(1 << inner.attempts.min(5).saturating_sub(1)).min(8_000)
        };
        let weak = Rc::downgrade(&self.inner);
        let retry = Closure::once_into_js(move || {
            if let Some(inner) = weak.upgrade() {
                if !inner.borrow().closed_by_owner {
                    Socket { inner }.connect();
                }
            }
        });
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(retry.unchecked_ref(), delay as i32);
        }
    }
}
