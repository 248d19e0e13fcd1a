//! `cargo xtask site create ID --owner LOGIN [--name NAME] [--url URL]`: the operator creates a
//! site and its first owner through the admin API (`POST /api/v1/sites/{ID}`), and prints the
//! owner's one-time password and console link. The admin token comes from `ADMIN_TOKEN`, else
//! from `.dev.vars` (the one `cargo xtask dev` made); the URL defaults to the dev server.

use std::process::Command;

use crate::util::Result;

const USAGE: &str =
    "usage: cargo xtask site create ID --owner LOGIN [--owner-name NAME] [--name SITE_NAME] [--url https://EDGE]";

/// Entry point of `cargo xtask site ...`.
pub fn run(args: &[String]) -> Result<()> {
    let (Some("create"), Some(site)) = (args.first().map(String::as_str), args.get(1)) else {
        return Err(USAGE.into());
    };
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let owner = flag("--owner").ok_or(USAGE)?;
    let url = flag("--url").unwrap_or_else(|| "http://127.0.0.1:8787".into());
    let token = admin_token()?;
    let body = serde_json::json!({ "owner": owner, "owner_name": flag("--owner-name"), "name": flag("--name") });
    // node's fetch speaks https too, and node is already required.
    let script = "const r = await fetch(process.env.XT_URL, { method: 'POST', headers: { authorization: `Bearer ${process.env.XT_TOKEN}`, 'content-type': 'application/json' }, body: process.env.XT_BODY });\nconsole.log(r.status);\nconsole.log(await r.text());";
    let out = Command::new("node")
        .args(["--input-type=module", "-e", script])
        .env("XT_URL", format!("{}/api/v1/sites/{site}", url.trim_end_matches('/')))
        .env("XT_TOKEN", token)
        .env("XT_BODY", body.to_string())
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let (status, answer) = text.split_once('\n').ok_or_else(|| {
        format!("no answer from {url} (is it running? `cargo xtask dev`): {}", String::from_utf8_lossy(&out.stderr))
    })?;
    let answer: serde_json::Value = serde_json::from_str(answer.trim()).unwrap_or_default();
    if status.trim() != "201" {
        let code = answer.pointer("/error/code").and_then(|v| v.as_str()).unwrap_or("?");
        let message = answer.pointer("/error/message").and_then(|v| v.as_str()).unwrap_or("");
        return Err(format!("{url} refused: {} {code}: {message}", status.trim()));
    }
    let field = |name: &str| answer.get(name).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    println!("site {} created", field("site"));
    println!("  owner     {}", field("owner"));
    println!("  password  {}   (shown once: the owner changes it in Settings -> Agents)", field("password"));
    println!("  console   {}", field("console_url"));
    Ok(())
}

/// `ADMIN_TOKEN` from the environment, else from `.dev.vars`.
fn admin_token() -> Result<String> {
    if let Ok(token) = std::env::var("ADMIN_TOKEN") {
        if !token.is_empty() {
            return Ok(token);
        }
    }
    crate::dev::dev_admin_token()
        .ok_or_else(|| "no admin token: set ADMIN_TOKEN (or run `cargo xtask dev` once, which writes .dev.vars)".into())
}
