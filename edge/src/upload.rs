//! Uploads, the Worker's half: bounds the size, recognises the type from the bytes, streams the
//! body into R2 and serves stored uploads back. Who may upload or download is the Desk's call
//! (`desk/uploads.rs`), asked under internal paths before any byte moves.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_util::{Stream, StreamExt};
use protocol::{UploadKind, UploadResponse};
use serde::{Deserialize, Serialize};
use worker::{Bucket, ByteStream, Env, FixedLengthStream, HttpMetadata, Request, Response};

use crate::error::{EdgeError, EdgeResult};
use crate::internal::bodies::{Access, AccessRequest, AuthorizeRequest, Grant, Record};
use crate::internal::{self, Call, Caller, Route};

/// Binding name of the uploads bucket in wrangler.toml.
pub(crate) const BUCKET_BINDING: &str = "UPLOADS";

/// Bytes read before the type is decided (magic numbers need at most 12; text gets a longer look).
const SNIFF_BYTES: usize = 512;

/// Longest file name kept, in characters (the extension is kept whole).
const MAX_NAME_CHARS: usize = 120;

/// What the first bytes say an upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    /// Image or file.
    pub kind: UploadKind,
    /// The content type it is stored and served with.
    pub content_type: &'static str,
    /// Plain text: the rest of the body must stay valid UTF-8 without NULs.
    pub text: bool,
    /// Extensions a name may have for this type (the first is added when the name has none of them).
    pub extensions: &'static [&'static str],
}

const fn sniffed(kind: UploadKind, content_type: &'static str, extensions: &'static [&'static str]) -> Sniffed {
    Sniffed { kind, content_type, text: false, extensions }
}

/// Recognises an allowed type from the first bytes; `ext` (lower case) only tells the Office
/// formats apart, which are all ZIP archives. `complete` says `head` is the whole body.
pub fn sniff(head: &[u8], ext: &str, complete: bool) -> Option<Sniffed> {
    use UploadKind::{File, Image};
    const OFFICE: [(&str, &[&str]); 3] = [
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", &["docx"]),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &["xlsx"]),
        ("application/vnd.openxmlformats-officedocument.presentationml.presentation", &["pptx"]),
    ];
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(sniffed(Image, "image/png", &["png"]));
    }
    if head.starts_with(b"\xff\xd8\xff") {
        return Some(sniffed(Image, "image/jpeg", &["jpg", "jpeg"]));
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Some(sniffed(Image, "image/gif", &["gif"]));
    }
    if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        return Some(sniffed(Image, "image/webp", &["webp"]));
    }
    if head.starts_with(b"%PDF-") {
        return Some(sniffed(File, "application/pdf", &["pdf"]));
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        let (content_type, extensions) =
            OFFICE.into_iter().find(|(_, exts)| exts.contains(&ext)).unwrap_or(("application/zip", &["zip"]));
        return Some(sniffed(File, content_type, extensions));
    }
    looks_like_text(head, complete).then_some(Sniffed {
        kind: File,
        content_type: "text/plain; charset=utf-8",
        text: true,
        extensions: &protocol::checks::TEXT_EXTENSIONS,
    })
}

/// Valid UTF-8 (a character may be cut at the end of an incomplete head), no NUL, and not markup:
/// text whose first non-blank character is `<` (HTML, SVG, XML) is not plain text here.
fn looks_like_text(head: &[u8], complete: bool) -> bool {
    if head.is_empty() || head.contains(&0) {
        return false;
    }
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => !complete && e.error_len().is_none(),
    };
    let body = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    valid && body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'<')
}

/// Every extension of an allowed type: a name with one of these must match its content.
const KNOWN_EXTENSIONS: [&str; 10] = ["png", "jpg", "jpeg", "gif", "webp", "pdf", "docx", "xlsx", "pptx", "zip"];

/// The lower-case extension of a file name ("" without one).
fn extension(name: &str) -> String {
    name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).unwrap_or_default()
}

/// A file name without directories or control characters, at most [`MAX_NAME_CHARS`] characters.
pub fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.chars().count() <= MAX_NAME_CHARS {
        return cleaned.to_string();
    }
    let ext = extension(cleaned);
    let keep = MAX_NAME_CHARS.saturating_sub(ext.chars().count() + 1);
    let stem: String = cleaned.chars().take(keep).collect();
    if ext.is_empty() || ext.chars().count() > 10 {
        cleaned.chars().take(MAX_NAME_CHARS).collect()
    } else {
        format!("{stem}.{ext}")
    }
}

/// The stored name: a name that claims an allowed type must match the content (else
/// `unsupported_type`); any other name gets the content's extension, so what is downloaded opens
/// as what it is.
pub fn name_for(name: &str, sniffed: &Sniffed) -> EdgeResult<String> {
    let ext = extension(name);
    if sniffed.extensions.contains(&ext.as_str()) {
        return Ok(name.to_string());
    }
    let image_ext = ["png", "jpg", "jpeg", "gif", "webp"].contains(&ext.as_str());
    if image_ext && sniffed.kind == UploadKind::Image {
        // A PNG named .jpg is still an image and is served with its real type.
        return Ok(name.to_string());
    }
    if KNOWN_EXTENSIONS.contains(&ext.as_str()) {
        return Err(EdgeError::UnsupportedType);
    }
    let stem = if name.is_empty() { "upload" } else { name };
    Ok(format!("{stem}.{}", sniffed.extensions.first().copied().unwrap_or("bin")))
}

/// Why a streamed upload stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// More bytes than `Content-Length` (or the cap).
    TooLong,
    /// Fewer bytes than `Content-Length`.
    TooShort,
    /// Declared text that is not valid UTF-8 or holds a NUL.
    NotText,
    /// The client's body stream failed.
    Broken,
}

/// Incremental check that a byte stream is UTF-8 without NULs (a character may span chunks).
#[derive(Debug, Default)]
struct Utf8Check {
    carry: Vec<u8>,
}

impl Utf8Check {
    fn feed(&mut self, chunk: &[u8]) -> bool {
        if chunk.contains(&0) {
            return false;
        }
        let joined;
        let data: &[u8] = if self.carry.is_empty() {
            chunk
        } else {
            joined = [self.carry.as_slice(), chunk].concat();
            &joined
        };
        match std::str::from_utf8(data) {
            Ok(_) => {
                self.carry.clear();
                true
            }
            Err(e) if e.error_len().is_none() => {
                self.carry = data[e.valid_up_to()..].to_vec();
                true
            }
            Err(_) => false,
        }
    }

    fn finish(&self) -> bool {
        self.carry.is_empty()
    }
}

/// The request body as it goes into R2: the sniffed head first, then the rest, counted against
/// the declared length and, for text, checked as it passes. At the first wrong byte the rest of
/// the body is read and dropped (so the client's connection stays usable) and the stream ends in
/// an error; the failure is kept in `failure` so the caller can answer with the right error once
/// R2 refuses the stream.
struct Guarded {
    head: Option<Vec<u8>>,
    rest: ByteStream,
    seen: u64,
    expected: u64,
    text: Option<Utf8Check>,
    failure: Rc<Cell<Option<Failure>>>,
    draining: Option<Failure>,
    done: bool,
}

impl Guarded {
    fn new(head: Vec<u8>, rest: ByteStream, expected: u64, text: bool, failure: Rc<Cell<Option<Failure>>>) -> Self {
        let text = text.then(Utf8Check::default);
        Self { head: Some(head), rest, seen: 0, expected, text, failure, draining: None, done: false }
    }

    fn fail(&mut self, failure: Failure) -> Poll<Option<worker::Result<Vec<u8>>>> {
        self.done = true;
        self.failure.set(Some(failure));
        Poll::Ready(Some(Err(worker::Error::RustError(format!("upload stopped: {failure:?}")))))
    }

    fn check(&mut self, chunk: &[u8]) -> Result<(), Failure> {
        self.seen += chunk.len() as u64;
        if self.seen > self.expected {
            return Err(Failure::TooLong);
        }
        if self.text.as_mut().is_some_and(|check| !check.feed(chunk)) {
            return Err(Failure::NotText);
        }
        Ok(())
    }
}

impl Stream for Guarded {
    type Item = worker::Result<Vec<u8>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            if let Some(failure) = this.draining {
                match this.rest.poll_next_unpin(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Some(Ok(_))) => continue,
                    Poll::Ready(_) => return this.fail(failure),
                }
            }
            let chunk = match this.head.take() {
                Some(head) => head,
                None => match this.rest.poll_next_unpin(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Some(Ok(chunk))) => chunk,
                    Poll::Ready(Some(Err(_))) => return this.fail(Failure::Broken),
                    Poll::Ready(None) => {
                        if this.seen != this.expected {
                            return this.fail(Failure::TooShort);
                        }
                        if this.text.as_ref().is_some_and(|c| !c.finish()) {
                            return this.fail(Failure::NotText);
                        }
                        this.done = true;
                        return Poll::Ready(None);
                    }
                },
            };
            match this.check(&chunk) {
                Ok(()) => return Poll::Ready(Some(Ok(chunk))),
                Err(failure) => this.draining = Some(failure),
            }
        }
    }
}

/// Reads and drops the rest of a refused body, so the client's connection stays usable.
async fn drain(mut rest: ByteStream) {
    while let Some(Ok(_)) = rest.next().await {}
}

/// One query parameter of the request URL.
fn query(req: &Request, key: &str) -> Option<String> {
    req.url().ok()?.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
}

/// Calls the site's Desk under an internal upload route with a JSON body; a refusal comes back
/// as the Desk's own error response (`Err(Ok(response))`).
async fn desk_call<T: for<'de> Deserialize<'de>>(
    env: &Env,
    site: &str,
    caller: &Caller,
    route: Route,
    token: Option<&str>,
    body: &impl Serialize,
) -> EdgeResult<Result<T, Response>> {
    let call = Call { token, ..Call::from(caller) }.json(body)?;
    let mut response = internal::call(env, site, route, call).await?;
    if response.status_code() != 200 {
        return Ok(Err(response));
    }
    Ok(Ok(response.json().await?))
}

/// `POST /api/v1/sites/{site}/uploads?name=..[&conversation=..]`: the body is the file itself.
pub async fn post(req: &mut Request, env: &Env, site: &str, caller: &Caller) -> EdgeResult<Response> {
    let token = internal::bearer(req).ok_or(EdgeError::Unauthorized)?;
    let declared = match req.headers().get("content-length").ok().flatten() {
        None => return Err(EdgeError::LengthRequired),
        Some(len) => len.trim().parse::<u64>().map_err(|_| EdgeError::BadRequest("bad Content-Length".into()))?,
    };
    if declared == 0 {
        return Err(EdgeError::BadRequest("empty upload".into()));
    }
    let ask = AuthorizeRequest { conversation_id: query(req, "conversation") };
    let grant: Grant = match desk_call(env, site, caller, Route::UploadAuthorize, Some(&token), &ask).await? {
        Ok(grant) => grant,
        Err(refusal) => return Ok(refusal),
    };
    let largest = grant.caps.max_image_bytes.max(grant.caps.max_file_bytes);
    if declared > largest {
        return Err(EdgeError::UploadTooLarge(largest));
    }

    // Read just enough to recognise the type.
    let mut rest = req.stream().map_err(|_| EdgeError::BadRequest("no upload body".into()))?;
    let mut head = Vec::new();
    let mut ended = false;
    while head.len() < SNIFF_BYTES {
        match rest.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            Some(Err(_)) => return Err(EdgeError::BadRequest("upload body broke off".into())),
            None => {
                ended = true;
                break;
            }
        }
        if head.len() as u64 > declared {
            return Err(EdgeError::BadRequest("body longer than Content-Length".into()));
        }
    }
    let name = clean_name(&query(req, "name").unwrap_or_default());
    let checked = sniff(&head, &extension(&name), ended).ok_or(EdgeError::UnsupportedType).and_then(|sniffed| {
        let name = name_for(&name, &sniffed)?;
        let cap = match sniffed.kind {
            UploadKind::Image => grant.caps.max_image_bytes,
            UploadKind::File => grant.caps.max_file_bytes,
        };
        if declared > cap {
            return Err(EdgeError::UploadTooLarge(cap));
        }
        Ok((sniffed, name))
    });
    let (sniffed, name) = match checked {
        Ok(checked) => checked,
        Err(err) => {
            drain(rest).await;
            return Err(err);
        }
    };

    // Stream the rest straight into R2; the guard stops it at the first wrong byte.
    let failure = Rc::new(Cell::new(None));
    let body = Guarded::new(head, rest, declared, sniffed.text, failure.clone());
    let bucket = env.bucket(BUCKET_BINDING)?;
    let metadata = HttpMetadata { content_type: Some(sniffed.content_type.to_string()), ..Default::default() };
    let put = bucket
        .put(grant.key.clone(), FixedLengthStream::wrap(body, declared))
        .http_metadata(metadata)
        .custom_metadata([
            ("conversation".to_string(), grant.conversation_id.clone()),
            ("uploader".to_string(), grant.uploader.clone()),
        ])
        .execute()
        .await;
    if let Err(err) = put {
        let _ = bucket.delete(grant.key.clone()).await;
        return Err(match failure.get() {
            Some(Failure::TooLong) => EdgeError::BadRequest("body longer than Content-Length".into()),
            Some(Failure::TooShort) | Some(Failure::Broken) => {
                EdgeError::BadRequest("upload body shorter than Content-Length".into())
            }
            Some(Failure::NotText) => EdgeError::UnsupportedType,
            None => EdgeError::Internal(format!("r2 put: {err}")),
        });
    }

    let key = grant.key.clone();
    let record =
        Record { grant, kind: sniffed.kind, name, size: declared, content_type: sniffed.content_type.to_string() };
    match desk_call::<UploadResponse>(env, site, caller, Route::UploadRecord, Some(&token), &record).await {
        Ok(Ok(answer)) => Ok(Response::from_json(&answer)?),
        Ok(Err(refusal)) => {
            let _ = bucket.delete(key).await;
            Ok(refusal)
        }
        Err(err) => {
            let _ = bucket.delete(key).await;
            Err(err)
        }
    }
}

/// Asks the Desk whether the caller may see upload `id` (bearer token or signed link).
async fn access(
    req: &Request,
    env: &Env,
    site: &str,
    caller: &Caller,
    id: &str,
) -> EdgeResult<Result<Access, Response>> {
    let token = internal::bearer(req);
    let sig = query(req, "sig");
    let exp = match query(req, "exp") {
        Some(exp) => Some(exp.parse::<u64>().map_err(|_| EdgeError::Forbidden)?),
        None => None,
    };
    if token.is_none() && (sig.is_none() || exp.is_none()) {
        return Err(EdgeError::Unauthorized);
    }
    let ask = AccessRequest { upload_id: id.to_string(), exp, sig, meta: false };
    desk_call(env, site, caller, Route::UploadAccess, token.as_deref(), &ask).await
}

/// `GET /api/v1/sites/{site}/uploads/{id}`: the bytes, to a participant of the conversation.
pub async fn get(req: &Request, env: &Env, site: &str, caller: &Caller, id: &str) -> EdgeResult<Response> {
    let granted = match access(req, env, site, caller, id).await? {
        Ok(granted) => granted,
        Err(refusal) => return Ok(refusal),
    };
    let bucket: Bucket = env.bucket(BUCKET_BINDING)?;
    let object = bucket.get(granted.key.clone()).execute().await?.ok_or(EdgeError::UploadNotFound)?;
    let body = object.body().ok_or(EdgeError::UploadNotFound)?.response_body()?;
    let upload = &granted.upload;
    let response = Response::from_body(body)?;
    let headers = response.headers();
    headers.set("content-type", &upload.content_type)?;
    headers.set("content-length", &object.size().to_string())?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("cache-control", &format!("private, max-age={}", granted.max_age))?;
    headers.set("content-security-policy", "default-src 'none'; sandbox")?;
    headers.set("vary", "authorization")?;
    let disposition = match upload.kind {
        UploadKind::Image => "inline",
        UploadKind::File => "attachment",
    };
    headers.set("content-disposition", &format!("{disposition}; filename*=UTF-8''{}", rfc5987(&upload.name)))?;
    Ok(response)
}

/// `GET /api/v1/sites/{site}/uploads/{id}/meta`: the upload's metadata with a fresh signed link.
///
/// Bearer tokens only: a signed link must not be able to renew itself here.
pub async fn meta(req: &Request, env: &Env, site: &str, caller: &Caller, id: &str) -> EdgeResult<Response> {
    let token = internal::bearer(req).ok_or(EdgeError::Unauthorized)?;
    let ask = AccessRequest { upload_id: id.to_string(), exp: None, sig: None, meta: true };
    match desk_call::<Access>(env, site, caller, Route::UploadAccess, Some(&token), &ask).await? {
        Ok(granted) => Ok(Response::from_json(&granted.upload)?),
        Err(refusal) => Ok(refusal),
    }
}

/// Percent-encodes a file name for `filename*=UTF-8''...` (RFC 5987 `attr-char` stays as is).
fn rfc5987(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An upload id is 1-64 characters of `a-z`, `0-9` and `_`.
pub fn valid_upload_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests;
