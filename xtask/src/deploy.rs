//! `cargo xtask deploy [--dry-run]`: builds everything and deploys the Worker with `wrangler
//! deploy`. A real deploy first makes sure of what the Worker binds (the R2 bucket of uploads,
//! the KV namespace of sites: its id must be in wrangler.toml) and sets the `ADMIN_TOKEN` secret
//! from the environment. `--dry-run` checks the bundle and the bindings offline (a step of `cargo
//! xtask test`).

use std::io::Write;
use std::process::{Command, Stdio};

use crate::util::{exec, node_bin, root, step, target_dir, wrangler_env, Result};
use crate::{build, setup};

/// The KV id wrangler.toml carries until the operator puts the real one there.
const PLACEHOLDER_KV_ID: &str = "chat-sites";

/// Entry point of `cargo xtask deploy`.
pub fn run(args: &[String]) -> Result<()> {
    setup::run()?;
    build::run()?;
    if args.iter().any(|a| a == "--dry-run") {
        return dry_run();
    }
    let wrangler_toml = std::fs::read_to_string(root().join("wrangler.toml")).map_err(|e| e.to_string())?;
    if wrangler_toml.contains(&format!("id = \"{PLACEHOLDER_KV_ID}\"")) {
        return Err("wrangler.toml still has the placeholder KV id: run `npx wrangler kv namespace create SITES` \
                    and put the id it prints under [[kv_namespaces]] (binding SITES)"
            .into());
    }
    step("deploy: the R2 bucket for uploads (an existing one is kept)");
    let bucket = Command::new(node_bin("wrangler"))
        .args(["r2", "bucket", "create", "chat-uploads"])
        .current_dir(root())
        .status();
    if !bucket.is_ok_and(|s| s.success()) {
        println!("(the bucket exists already, or wrangler said why above)");
    }
    match std::env::var("ADMIN_TOKEN") {
        Ok(token) if token.len() >= 32 => {
            step("deploy: wrangler secret put ADMIN_TOKEN");
            let mut child = wrangler_env(Command::new(node_bin("wrangler")).args(["secret", "put", "ADMIN_TOKEN"]))
                .current_dir(root())
                .stdin(Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot run wrangler: {e}"))?;
            child.stdin.take().ok_or("no stdin")?.write_all(token.as_bytes()).map_err(|e| e.to_string())?;
            if !child.wait().map_err(|e| e.to_string())?.success() {
                return Err("wrangler secret put ADMIN_TOKEN failed".into());
            }
        }
        Ok(_) => return Err("ADMIN_TOKEN must be at least 32 characters (e.g. `openssl rand -hex 32`)".into()),
        Err(_) => println!("ADMIN_TOKEN not set: the secret the Worker has stays as it is"),
    }
    step("deploy: wrangler deploy");
    exec(wrangler_env(Command::new(node_bin("wrangler")).arg("deploy").current_dir(root())))
}

/// `wrangler deploy --dry-run`: bundles the Worker and checks its bindings without uploading.
pub fn dry_run() -> Result<()> {
    step("deploy: wrangler deploy --dry-run (bundle and bindings, nothing uploaded)");
    let out = target_dir().join("deploy-dry-run");
    exec(
        wrangler_env(Command::new(node_bin("wrangler")).args(["deploy", "--dry-run", "--outdir"]).arg(&out))
            .current_dir(root()),
    )
}
