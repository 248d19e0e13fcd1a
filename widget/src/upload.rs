//! Images and files: checked against the site's caps and types before anything moves, uploaded
//! with progress, then sent as messages; failed uploads are kept for a retry; links of uploads
//! shown from history are fetched once.

use std::cell::RefCell;
use std::collections::BTreeMap;

use client::FetchError;
use protocol::lite::FromJson;
use protocol::{Author, MessageBody, UploadResponse};

use crate::api::{deliver, session_token};
use crate::host::params;
use crate::state::{read, update};

thread_local! {
    /// Files of failed uploads, kept for a retry.
    static FILES: RefCell<BTreeMap<String, web_sys::File>> = const { RefCell::new(BTreeMap::new()) };
}

/// Sends a failed line again (re-uploading a file whose upload failed).
pub fn retry(key: String) {
    let Some(body) = update(|c| c.timeline.retry(&key)) else { return };
    match FILES.with(|f| f.borrow_mut().remove(&key)) {
        Some(file) => upload(key, file),
        None => deliver(key, body),
    }
}

/// Sends every file of a list (picked, pasted or dropped).
pub fn send_files(files: Option<web_sys::FileList>) {
    let Some(files) = files else { return };
    for i in 0..files.length() {
        if let Some(file) = files.get(i) {
            send_file(file);
        }
    }
}

/// Checks a picked, pasted or dropped file against the site's caps and types, then uploads it
/// with progress and sends it as an image or file message. Refusals are shown, nothing is sent.
pub fn send_file(file: web_sys::File) {
    let strings = crate::view::strings();
    let content_type = file.type_();
    let is_image = protocol::checks::IMAGE_TYPES.contains(&content_type.as_str());
    let name = file.name();
    if !is_image && !protocol::checks::accepted_file_name(&name) {
        update(|c| c.notice = Some(format!("{}{name}", strings.unsupported_file)));
        return;
    }
    let size = file.size() as u64;
    let cap = read(|c| {
        let config = c.config.clone().unwrap_or_default();
        if is_image {
            config.max_image_bytes
        } else {
            config.max_file_bytes
        }
    });
    if size > cap {
        update(|c| c.notice = Some(format!("{}{} MB", strings.too_large, cap / (1024 * 1024))));
        return;
    }
    let key = client::new_client_id();
    let body = if is_image {
        MessageBody::Image { upload_id: String::new(), name, size, content_type }
    } else {
        MessageBody::File { upload_id: String::new(), name, size, content_type }
    };
    // An image shows from the visitor's own bytes while it uploads.
    let preview = if is_image { web_sys::Url::create_object_url_with_blob(&file).ok() } else { None };
    update(|c| {
        if let Some(url) = preview {
            c.upload_urls.insert(key.clone(), url);
        }
        c.notice = None;
        c.timeline.push_local(key.clone(), Author::Visitor, body, client::now_ms());
    });
    upload(key, file);
}

fn upload(key: String, file: web_sys::File) {
    let Some(token) = session_token() else {
        update(|c| c.timeline.fail(&key));
        FILES.with(|f| f.borrow_mut().insert(key, file));
        return;
    };
    let url = format!("/api/v1/sites/{}/uploads?name={}", params().site, js_sys::encode_uri_component(&file.name()));
    update(|c| c.progress.insert(key.clone(), 0));
    wasm_bindgen_futures::spawn_local(async move {
        let progress_key = key.clone();
        let answer = client::upload(&url, &token, &file, move |f| {
            let percent = (f * 100.0) as u32;
            if read(|c| c.progress.get(&progress_key) != Some(&percent)) {
                update(|c| c.progress.insert(progress_key.clone(), percent));
            }
        })
        .await;
        update(|c| c.progress.remove(&key));
        match answer.map(|text| UploadResponse::from_text(&text).ok_or(FetchError::Decode)) {
            Ok(Ok(up)) => {
                let (upload_id, url) = (up.upload_id.clone(), up.url.clone());
                let body = up.into_body();
                update(|c| {
                    c.upload_urls.insert(upload_id, url);
                    c.timeline.set_body(&key, body.clone());
                });
                deliver(key, body);
            }
            Ok(Err(err)) | Err(err) => {
                update(|c| {
                    c.notice = Some(err.message());
                    c.timeline.fail(&key);
                });
                FILES.with(|f| f.borrow_mut().insert(key, file));
            }
        }
    });
}

/// Fetches a fresh signed link for an upload shown from history (once per upload).
pub fn load_upload_url(upload_id: &str) {
    if upload_id.is_empty() || read(|c| c.upload_urls.contains_key(upload_id)) {
        return;
    }
    let Some(token) = session_token() else { return };
    let upload_id = upload_id.to_string();
    update(|c| c.upload_urls.insert(upload_id.clone(), String::new()));
    let path = format!("/api/v1/sites/{}/uploads/{upload_id}/meta", params().site);
    wasm_bindgen_futures::spawn_local(async move {
        if let Ok(Some(up)) = client::get_text(&path, &token).await.map(|t| UploadResponse::from_text(&t)) {
            update(|c| c.upload_urls.insert(upload_id, up.url));
        }
    });
}
