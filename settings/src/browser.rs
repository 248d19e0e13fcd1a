//! The browser's own services the pages use: the clipboard, random bytes, base64 and local time.

use wasm_bindgen::JsCast;

/// Puts text on the clipboard (`navigator.clipboard.writeText`).
pub fn copy_text(text: &str) {
    let Some(window) = web_sys::window() else { return };
    let clipboard = js_sys::Reflect::get(&window.navigator(), &"clipboard".into()).ok();
    let write = clipboard.as_ref().and_then(|c| js_sys::Reflect::get(c, &"writeText".into()).ok());
    if let (Some(clipboard), Some(write)) = (clipboard, write.and_then(|w| w.dyn_into::<js_sys::Function>().ok())) {
        let _ = write.call1(&clipboard, &text.into());
    }
}

/// A new identity key: 32 bytes from the browser's CSPRNG (`crypto.getRandomValues`), base64.
/// `None` when the browser has no CSPRNG (then no key is made at all).
pub fn new_site_key() -> Option<String> {
    let window = web_sys::window()?;
    let mut bytes = [0u8; 32];
    window.crypto().ok()?.get_random_values_with_u8_array(&mut bytes).ok()?;
    // `btoa` takes a "binary string": one char per byte.
    let binary: String = bytes.iter().map(|b| char::from(*b)).collect();
    window.btoa(&binary).ok()
}

/// `length` letters and digits from the browser's CSPRNG (a mini-program's Token and
/// EncodingAESKey); empty when the browser has none.
pub fn random_alphanumeric(length: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; length * 2];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    // 248 = 4 * 62: bytes above it are dropped, so every character is equally likely.
    let chars = bytes.iter().filter(|&&b| b < 248).map(|&b| char::from(ALPHABET[usize::from(b % 62)]));
    if filled {
        chars.take(length).collect()
    } else {
        String::new()
    }
}

/// Now, unix ms.
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// A unix-ms time as the browser writes a local date and time in `locale`.
pub fn local_time(ms: u64, locale: &str) -> String {
    js_sys::Date::new(&(ms as f64).into()).to_locale_string(locale, &wasm_bindgen::JsValue::UNDEFINED).into()
}
