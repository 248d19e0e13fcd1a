//! The Cloudflare Worker and the Desk Durable Object: IO adapters around the routing core.
//!
//! `front` is the Worker's fetch handler (validation, limits, admin check, forwarding); `sites` is
//! the directory of created sites it checks first; `desk` is the per-site Durable Object; `login`
//! checks agent passwords (PBKDF2 off the Desk's thread, one at a time per isolate through `gate`);
//! `settings` is the back office's half (owners' settings, the operator's site creation);
//! `pages` serves the widget's and console's files with their security headers; `upload` streams
//! uploads into R2 and serves them back; `demo` mints identities for the demo shop's fake login
//! (only with `DEMO_IDENTITY`).
//! Every error becomes a response in `error`.

mod config_checks;
mod demo;
mod desk;
mod error;
mod facade;
mod front;
mod gate;
mod internal;
mod login;
mod pages;
mod secrets;
mod settings;
mod sites;
mod upload;
mod wechat_media;

pub use desk::Desk;

use worker::{event, Context, Env, Request, Response, Result};

/// The Worker's entry point: everything not served as a static asset arrives here (and
/// `/widget/*`, `/console/*`: wrangler.toml `run_worker_first`).
#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    match front::handle(req, &env, &ctx).await {
        Ok(response) => Ok(response),
        Err(err) => err.into_response(),
    }
}
