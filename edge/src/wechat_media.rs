//! The mini-program channel's images, in the Worker: WeChat's link to a user's image (`PicUrl`)
//! expires, so once WeChat has its `success` the Worker fetches the image (at most 10 s, at most
//! the site's image size, recognised as an image from its bytes), puts it in R2 under the upload
//! the Desk named, and hands it to the Desk, which stores the user's message then. An image that
//! cannot be fetched is handed over as a failure: the Desk then asks WeChat for its own copy
//! (`cgi-bin/media/get` by the push's `MediaId`), and failing that the message carries WeChat's
//! link, so nothing the user sent is lost.

use std::time::Duration;

use futures_util::future::Either;
use futures_util::StreamExt;
use protocol::UploadKind;
use worker::{Delay, Env, Fetch, HttpMetadata, Method, Request, RequestInit};

use crate::error::{EdgeError, EdgeResult};
use crate::internal::bodies::{MediaDone, MediaJob};
use crate::internal::{self, Call, Route};
use crate::upload::{sniff, BUCKET_BINDING};

/// How long fetching one image may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Fetches the job's image into R2 and tells the Desk (run after WeChat has its answer).
pub async fn fetch_image(env: Env, site: String, job: MediaJob) {
    let stored = match store_image(&env, &job).await {
        Ok(stored) => Some(stored),
        Err(err) => {
            worker::console_error!("wechat image {} not fetched: {err:?}", job.client_id);
            None
        }
    };
    let done = MediaDone { job, stored };
    let call = match Call::default().json(&done) {
        Ok(call) => call,
        Err(err) => return worker::console_error!("wechat image: {err:?}"),
    };
    match internal::call(&env, &site, Route::WechatMedia, call).await {
        Ok(response) if response.status_code() == 200 => {}
        Ok(response) => worker::console_error!("wechat image refused by the Desk: HTTP {}", response.status_code()),
        Err(err) => worker::console_error!("wechat image not handed to the Desk: {err:?}"),
    }
}

/// The image's size and type once it is in R2.
async fn store_image(env: &Env, job: &MediaJob) -> EdgeResult<(u64, String)> {
    let (bytes, content_type) = image_at(&job.pic_url, job.max_bytes).await?;
    put_image(env, job, bytes, content_type).await
}

/// GETs an image from `url`: the whole body within [`FETCH_TIMEOUT`], at most `max_bytes`,
/// recognised as an image from its bytes (its content type, from them).
pub async fn image_at(url: &str, max_bytes: u64) -> EdgeResult<(Vec<u8>, String)> {
    if !protocol::checks::is_web_url(url) {
        return Err(EdgeError::BadRequest("the image link is not an http(s) link".into()));
    }
    let bytes = fetch(url, max_bytes).await?;
    let content_type = image_type(&bytes).ok_or(EdgeError::UnsupportedType)?;
    Ok((bytes, content_type))
}

/// The content type of bytes that are an image (recognised from the bytes, whatever was said).
pub fn image_type(bytes: &[u8]) -> Option<String> {
    sniff(bytes, "", true).filter(|s| s.kind == UploadKind::Image).map(|s| s.content_type.to_string())
}

/// Puts a user's image in R2 under the job's key; its size and type.
pub async fn put_image(env: &Env, job: &MediaJob, bytes: Vec<u8>, content_type: String) -> EdgeResult<(u64, String)> {
    let size = bytes.len() as u64;
    let metadata = HttpMetadata { content_type: Some(content_type.clone()), ..Default::default() };
    env.bucket(BUCKET_BINDING)?
        .put(job.r2_key.clone(), bytes)
        .http_metadata(metadata)
        .custom_metadata([
            ("conversation".to_string(), job.conversation_id.clone()),
            ("uploader".to_string(), format!("visitor:{}", job.visitor_id)),
        ])
        .execute()
        .await?;
    Ok((size, content_type))
}

/// Runs `work` for at most `limit`: `None` when it did not finish in time (every call to WeChat,
/// here and in the Desk, is bounded this way).
pub async fn within<T>(limit: Duration, work: impl std::future::Future<Output = T>) -> Option<T> {
    match futures_util::future::select(Box::pin(work), Box::pin(Delay::from(limit))).await {
        Either::Left((done, _)) => Some(done),
        Either::Right(_) => None,
    }
}

/// GETs `url`, the whole body within [`FETCH_TIMEOUT`]; more than `max_bytes` is refused.
pub async fn fetch(url: &str, max_bytes: u64) -> EdgeResult<Vec<u8>> {
    within(FETCH_TIMEOUT, read(url, max_bytes))
        .await
        .unwrap_or_else(|| Err(EdgeError::BadRequest(format!("no whole image within {FETCH_TIMEOUT:?}"))))
}

async fn read(url: &str, max_bytes: u64) -> EdgeResult<Vec<u8>> {
    let mut init = RequestInit::new();
    init.with_method(Method::Get);
    let request = Request::new_with_init(url, &init)?;
    let mut response = Fetch::Request(request).send().await?;
    if !(200..300).contains(&response.status_code()) {
        return Err(EdgeError::BadRequest(format!("the image link answered HTTP {}", response.status_code())));
    }
    let declared = response.headers().get("content-length").ok().flatten().and_then(|l| l.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max_bytes) {
        return Err(EdgeError::UploadTooLarge(max_bytes));
    }
    // Read only until the cap, whatever the link declares.
    let mut stream = response.stream()?;
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk?);
        if bytes.len() as u64 > max_bytes {
            return Err(EdgeError::UploadTooLarge(max_bytes));
        }
    }
    Ok(bytes)
}
