//! The directory of the sites an operator created: a KV namespace (binding `SITES`) with one key
//! per site id, written when the site's first config is accepted. The Worker looks a site up here
//! before it touches the site's Durable Object, so a site id that nobody created never
//! instantiates a Desk nor writes storage: it is `site_not_found` at the edge.
//!
//! KV is eventually consistent across Cloudflare's locations (a new site can take up to a minute
//! to be found everywhere); a found site is remembered by the isolate, since sites are never
//! deleted.

use std::cell::RefCell;
use std::collections::HashSet;

use worker::Env;

use crate::error::{EdgeError, EdgeResult};

/// Binding name of the sites directory in wrangler.toml.
const BINDING: &str = "SITES";

/// Most site ids one isolate remembers as found (past it the memory starts over).
const MAX_REMEMBERED: usize = 100_000;

thread_local! {
    static FOUND: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
}

/// A site id is 1-64 characters of `a-z`, `0-9`, `-` and `_`.
pub fn valid_site_id(site: &str) -> bool {
    !site.is_empty()
        && site.len() <= 64
        && site.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// `Ok` when an operator created `site`, else `site_not_found`.
pub async fn ensure_exists(env: &Env, site: &str) -> EdgeResult<()> {
    if FOUND.with(|f| f.borrow().contains(site)) {
        return Ok(());
    }
    let kv = env.kv(BINDING).map_err(|e| EdgeError::Internal(format!("sites directory: {e}")))?;
    match kv.get(site).text().await {
        Ok(Some(_)) => {
            remember(site);
            Ok(())
        }
        Ok(None) => Err(EdgeError::SiteNotFound),
        Err(err) => Err(EdgeError::Internal(format!("sites directory: {err}"))),
    }
}

/// Records that `site` exists (after its Desk accepted a config).
pub async fn register(env: &Env, site: &str) -> EdgeResult<()> {
    let kv = env.kv(BINDING).map_err(|e| EdgeError::Internal(format!("sites directory: {e}")))?;
    let put = kv.put(site, "1").map_err(|e| EdgeError::Internal(format!("sites directory: {e}")))?;
    put.execute().await.map_err(|e| EdgeError::Internal(format!("sites directory: {e}")))?;
    remember(site);
    Ok(())
}

fn remember(site: &str) {
    FOUND.with(|f| {
        let mut found = f.borrow_mut();
        if found.len() >= MAX_REMEMBERED {
            found.clear();
        }
        found.insert(site.to_string());
    });
}
