//! `cargo xtask dev`: builds everything and serves it from one `wrangler dev` on port 8787, with a
//! persisted state dir and the demo site's config seeded through the admin API (once: later its
//! owner's settings are kept).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::util::{node_bin, root, step, wrangler_env, Result};
use crate::{build, setup};

/// The port `cargo xtask dev` serves on.
const PORT: u16 = 8787;

/// Entry point of `cargo xtask dev`.
pub fn run() -> Result<()> {
    setup::run()?;
    build::run()?;
    let admin_token = admin_token()?;
    step(&format!("dev: starting wrangler dev on http://127.0.0.1:{PORT} (state in .state/)"));
    let mut child = start_wrangler(PORT, &root().join(".state"), &admin_token)?;
    if let Err(err) = wait_healthy(PORT, &mut child, Duration::from_secs(60)) {
        let _ = child.kill();
        return Err(err);
    }
    // The demo site is seeded once: later, what its owner saves in Settings is kept across restarts
    // (delete .state/ to start over from demo-site/config/demo.json).
    let (exists, _) = http(PORT, "GET", "/api/v1/sites/demo/config", Some(&admin_token), "")?;
    if exists == 200 {
        step("dev: the demo site exists in .state/ (its settings are kept)");
    } else {
        let config = std::fs::read_to_string(root().join("demo-site/config/demo.json")).map_err(|e| e.to_string())?;
        let (status, body) = http(PORT, "PUT", "/api/v1/sites/demo/config", Some(&admin_token), &config)?;
        if status != 200 {
            let _ = child.kill();
            return Err(format!("seeding the demo config failed: {status} {body}"));
        }
        step("dev: seeded the demo site from demo-site/config/demo.json");
    }
    println!();
    println!("  demo shop      http://127.0.0.1:{PORT}/");
    println!("  agent console  http://127.0.0.1:{PORT}/console/   (site: demo)");
    println!("  loader         http://127.0.0.1:{PORT}/w.js");
    println!(
        "  agents         alice / alice-demo-pass (owner: Settings)   bob / bob-demo-pass   carol / carol-demo-pass"
    );
    println!("  admin token    in .dev.vars (ADMIN_TOKEN)");
    println!("  Ctrl-C stops the server.");
    println!();
    let status = child.wait().map_err(|e| e.to_string())?;
    step(&format!("dev: wrangler exited ({status})"));
    Ok(())
}

/// The dev admin token from `.dev.vars`, creating the file with a random one if needed.
fn admin_token() -> Result<String> {
    if let Some(token) = dev_admin_token() {
        return Ok(token);
    }
    let path = root().join(".dev.vars");
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).map_err(|e| e.to_string())?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(&path, format!("ADMIN_TOKEN={token}\n")).map_err(|e| e.to_string())?;
    step("dev: wrote .dev.vars with a new ADMIN_TOKEN");
    Ok(token)
}

/// The `ADMIN_TOKEN` of `.dev.vars`, if that file has one.
pub fn dev_admin_token() -> Option<String> {
    let text = std::fs::read_to_string(root().join(".dev.vars")).ok()?;
    text.lines().find_map(|l| l.strip_prefix("ADMIN_TOKEN=")).map(|t| t.trim().trim_matches('"').to_string())
}

/// Starts `wrangler dev` on `port` with `persist` as its state dir.
pub fn start_wrangler(port: u16, persist: &std::path::Path, admin_token: &str) -> Result<Child> {
    let mut cmd = Command::new(node_bin("wrangler"));
    cmd.current_dir(root())
        .args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string(), "--persist-to"])
        .arg(persist)
        .args(["--var", &format!("ADMIN_TOKEN:{admin_token}"), "--log-level", "warn"])
        // The demo shop's fake login (edge/src/demo.rs): only ever on in this dev server.
        .args(["--var", "DEMO_IDENTITY:1"]);
    wrangler_env(&mut cmd).spawn().map_err(|e| format!("cannot start wrangler: {e}"))
}

/// Waits until the Worker answers its health check.
pub fn wait_healthy(port: u16, child: &mut Child, limit: Duration) -> Result<()> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("wrangler exited early ({status})"));
        }
        if let Ok((200, _)) = http(port, "GET", "/api/v1/health", None, "") {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!("wrangler did not answer on port {port} within {limit:?}"))
}

/// A minimal HTTP/1.1 request to 127.0.0.1; returns status and body.
pub fn http(port: u16, method: &str, path: &str, bearer: Option<&str>, body: &str) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let auth = bearer.map(|t| format!("authorization: Bearer {t}\r\n")).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{auth}connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream.read_to_string(&mut response).map_err(|e| e.to_string())?;
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or("bad HTTP response")?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}
