//! Images and files: checked against the site's caps and types before anything moves, uploaded
//! with progress, then sent as messages; failed uploads are kept for a retry; links of uploads
//! shown from history are fetched once.

use std::cell::RefCell;
use std::collections::HashMap;

use client::FetchError;
use leptos::prelude::*;
use protocol::lite::FromJson;
use protocol::{Author, MessageBody, UploadResponse};

use crate::api::{session_token, Chat};
use crate::host::Params;

thread_local! {
    /// Files of failed uploads, kept for a retry.
    static FILES: RefCell<HashMap<String, web_sys::File>> = RefCell::new(HashMap::new());
}

impl Chat {
    /// Sends a failed line again (re-uploading a file whose upload failed).
    pub fn retry(self, params: &Params, key: String) {
        let Some(body) = self.timeline.try_update(|t| t.retry(&key)).flatten() else { return };
        match FILES.with(|f| f.borrow_mut().remove(&key)) {
            Some(file) => self.upload(params, key, file),
            None => {
                self.deliver(key, body);
            }
        }
    }

    /// Checks a picked, pasted or dropped file against the site's caps and types, then uploads it
    /// with progress and sends it as an image or file message. Refusals are shown, nothing is sent.
    pub fn send_file(self, params: &Params, file: web_sys::File) {
        let strings = crate::i18n::strings(&params.locale);
        let content_type = file.type_();
        let is_image = protocol::checks::IMAGE_TYPES.contains(&content_type.as_str());
        let name = file.name();
        if !is_image && !protocol::checks::accepted_file_name(&name) {
            self.notice.set(Some(format!("{}{name}", strings.unsupported_file)));
            return;
        }
        let size = file.size() as u64;
        let config = self.config.get_untracked().unwrap_or_default();
        let cap = if is_image { config.max_image_bytes } else { config.max_file_bytes };
        if size > cap {
            self.notice.set(Some(format!("{}{} MB", strings.too_large, cap / (1024 * 1024))));
            return;
        }
        let key = client::new_client_id();
        let body = if is_image {
            MessageBody::Image { upload_id: String::new(), name, size, content_type }
        } else {
            MessageBody::File { upload_id: String::new(), name, size, content_type }
        };
        if is_image {
            // Shown from the visitor's own bytes while it uploads.
            if let Ok(url) = web_sys::Url::create_object_url_with_blob(&file) {
                self.upload_urls.update(|u| {
                    u.insert(key.clone(), url);
                });
            }
        }
        self.notice.set(None);
        self.timeline.update(|t| t.push_local(key.clone(), Author::Visitor, body, client::now_ms()));
        self.upload(params, key, file);
    }

    fn upload(self, params: &Params, key: String, file: web_sys::File) {
        let Some(token) = session_token() else {
            self.timeline.update(|t| t.fail(&key));
            FILES.with(|f| f.borrow_mut().insert(key, file));
            return;
        };
        let url = format!("/api/v1/sites/{}/uploads?name={}", params.site, js_sys::encode_uri_component(&file.name()));
        self.progress.update(|p| {
            p.insert(key.clone(), 0.0);
        });
        leptos::task::spawn_local(async move {
            let progress_key = key.clone();
            let progress = self.progress;
            let answer = client::upload(&url, &token, &file, move |f| {
                progress.update(|p| {
                    p.insert(progress_key.clone(), f);
                })
            })
            .await;
            self.progress.update(|p| {
                p.remove(&key);
            });
            match answer.map(|text| UploadResponse::from_text(&text).ok_or(FetchError::Decode)) {
                Ok(Ok(up)) => {
                    let (upload_id, url) = (up.upload_id.clone(), up.url.clone());
                    let body = up.into_body();
                    self.upload_urls.update(|u| {
                        u.insert(upload_id, url);
                    });
                    self.timeline.update(|t| t.set_body(&key, body.clone()));
                    self.deliver(key, body);
                }
                Ok(Err(err)) | Err(err) => {
                    self.notice.set(Some(err.message()));
                    self.timeline.update(|t| t.fail(&key));
                    FILES.with(|f| f.borrow_mut().insert(key, file));
                }
            }
        });
    }

    /// Fetches a fresh signed link for an upload shown from history (once per upload).
    pub fn load_upload_url(self, params: &Params, upload_id: String) {
        if upload_id.is_empty() || self.upload_urls.with_untracked(|u| u.contains_key(&upload_id)) {
            return;
        }
        let Some(token) = session_token() else { return };
        self.upload_urls.update(|u| {
            u.insert(upload_id.clone(), String::new());
        });
        let path = format!("/api/v1/sites/{}/uploads/{upload_id}/meta", params.site);
        leptos::task::spawn_local(async move {
            if let Ok(Some(up)) = client::get_text(&path, &token).await.map(|t| UploadResponse::from_text(&t)) {
                self.upload_urls.update(|u| {
                    u.insert(upload_id, up.url);
                });
            }
        });
    }
}
