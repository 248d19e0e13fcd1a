//! Small browser helpers: storage, clock, ids, URLs and saving a file.

use wasm_bindgen::JsCast;

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

/// Reads a value from `localStorage` (None when storage is blocked).
pub fn storage_get(key: &str) -> Option<String> {
    window()?.local_storage().ok()??.get_item(key).ok()?
}

/// Writes a value to `localStorage`; blocked storage is ignored (the session then lasts a page view).
pub fn storage_set(key: &str, value: &str) {
    if let Some(Ok(Some(storage))) = window().map(|w| w.local_storage()) {
        let _ = storage.set_item(key, value);
    }
}

/// Reads a value from `sessionStorage`.
pub fn session_get(key: &str) -> Option<String> {
    window()?.session_storage().ok()??.get_item(key).ok()?
}

/// Writes a value to `sessionStorage`.
pub fn session_set(key: &str, value: &str) {
    if let Some(Ok(Some(storage))) = window().map(|w| w.session_storage()) {
        let _ = storage.set_item(key, value);
    }
}

/// Removes a value from `sessionStorage`.
pub fn session_remove(key: &str) {
    if let Some(Ok(Some(storage))) = window().map(|w| w.session_storage()) {
        let _ = storage.remove_item(key);
    }
}

/// Milliseconds since the unix epoch.
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// `HH:MM` of a unix-millisecond time, in the browser's zone.
pub fn clock(at_ms: u64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at_ms as f64));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}

/// A fresh client message id: 96 random bits from the browser's CSPRNG, hex.
pub fn new_client_id() -> String {
    let mut bytes = [0u8; 12];
    let filled = window()
        .and_then(|w| w.crypto().ok())
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes).ok())
        .is_some();
    if !filled {
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = ((js_sys::Math::random() * 256.0) as u8) ^ (i as u8);
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The page's own origin, e.g. `http://127.0.0.1:8787`.
pub fn origin() -> String {
    window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
}

/// The WebSocket URL for an API path on this origin (`ws:` or `wss:`).
pub fn ws_url(path: &str) -> String {
    let origin = origin();
    let base = origin
        .strip_prefix("https://")
        .map(|h| format!("wss://{h}"))
        .unwrap_or_else(|| origin.replacen("http://", "ws://", 1));
    format!("{base}{path}")
}

/// Casts a JS value, for the few places that need it.
pub(crate) fn cast<T: JsCast>(value: wasm_bindgen::JsValue) -> Option<T> {
    value.dyn_into::<T>().ok()
}

/// Whether a key press in a composer sends the message: Enter without Shift, outside an IME
/// composition (Chinese input uses Enter to confirm a candidate). Prevents the newline if so.
pub fn is_send_key(ev: &web_sys::KeyboardEvent) -> bool {
    let send = ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing();
    if send {
        ev.prevent_default();
    }
    send
}

/// Saves `text` as a file named `name` of type `mime` (a link to a blob, clicked).
pub fn download(name: &str, text: &str, mime: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    let anchor = window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok());
    if let Some(a) = anchor {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}
