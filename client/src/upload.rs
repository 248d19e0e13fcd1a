//! Uploads with progress: `fetch` cannot report upload progress, so this uses `XMLHttpRequest`.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ProgressEvent, XmlHttpRequest};

use crate::http::api_error;
use crate::FetchError;

/// POSTs `file` as the raw body to `url` with the bearer `token`, calling `on_progress` with the
/// fraction sent (0.0 to 1.0); resolves with the answer's text, or its typed error.
pub async fn upload(
    url: &str,
    token: &str,
    file: &Blob,
    on_progress: impl Fn(f64) + 'static,
) -> Result<String, FetchError> {
    let network = |_| FetchError::Network;
    let xhr = XmlHttpRequest::new().map_err(network)?;
    xhr.open_with_async("POST", url, true).map_err(network)?;
    xhr.set_request_header("authorization", &format!("Bearer {token}")).map_err(network)?;
    let progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
        if e.length_computable() && e.total() > 0.0 {
            on_progress(e.loaded() / e.total());
        }
    });
    xhr.upload().map_err(network)?.set_onprogress(Some(progress.as_ref().unchecked_ref()));
    let done = js_sys::Promise::new(&mut |resolve, _reject| {
        xhr.set_onloadend(Some(&resolve));
    });
    xhr.send_with_opt_blob(Some(file)).map_err(network)?;
    let _ = JsFuture::from(done).await;
    drop(progress);
    let status = xhr.status().map_err(network)?;
    let text = xhr.response_text().ok().flatten().unwrap_or_default();
    match status {
        0 => Err(FetchError::Network),
        200..=299 => Ok(text),
        _ => Err(api_error(status, text)),
    }
}
