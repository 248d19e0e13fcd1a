//! `cargo xtask setup`: installs what the project needs, idempotently, one line per step.

use std::process::Command;

use crate::util::{self, cargo_bin, exec, output, root, step, Result};

/// The worker-build release that matches `worker` in Cargo.lock.
const WORKER_BUILD_VERSION: &str = "0.8.7";

/// Installs everything; fast when everything is there.
pub fn run() -> Result<()> {
    wasm_target()?;
    wasm_bindgen_cli()?;
    worker_build()?;
    node_modules()?;
    apt_packages()?;
    Ok(())
}

fn wasm_target() -> Result<()> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        step("setup: wasm32-unknown-unknown target present");
        return Ok(());
    }
    step("setup: adding the wasm32-unknown-unknown target");
    exec(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

fn wasm_bindgen_cli() -> Result<()> {
    let version = util::locked_version("wasm-bindgen")?;
    let have = output(Command::new(cargo_bin("wasm-bindgen")).arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(version.as_str()) && cargo_bin("wasm-bindgen-test-runner").exists() {
        step(&format!("setup: wasm-bindgen-cli {version} present"));
        return Ok(());
    }
    step(&format!("setup: installing wasm-bindgen-cli {version} (matches Cargo.lock; takes a few minutes once)"));
    exec(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &version, "--force"]))
}

fn worker_build() -> Result<()> {
    let have = output(Command::new(cargo_bin("worker-build")).arg("--version")).unwrap_or_default();
    if have.contains(WORKER_BUILD_VERSION) {
        step(&format!("setup: worker-build {WORKER_BUILD_VERSION} present"));
        return Ok(());
    }
    step(&format!("setup: installing worker-build {WORKER_BUILD_VERSION}"));
    exec(Command::new("cargo").args([
        "install",
        "worker-build",
        "--version",
        WORKER_BUILD_VERSION,
        "--locked",
        "--force",
    ]))
}

fn node_modules() -> Result<()> {
    let lock = root().join("package-lock.json");
    let marker = root().join("node_modules").join(".package-lock.json");
    let fresh = match (std::fs::metadata(&lock), std::fs::metadata(&marker)) {
        (Ok(l), Ok(m)) => matches!((l.modified(), m.modified()), (Ok(l), Ok(m)) if m >= l),
        _ => false,
    };
    if fresh && util::node_bin("wrangler").exists() {
        step("setup: node_modules up to date (wrangler, esbuild, binaryen, playwright-core, axe-core, ws, @wecom/crypto)");
        return Ok(());
    }
    step("setup: npm ci (wrangler, esbuild, binaryen, playwright-core, axe-core, ws, @wecom/crypto)");
    exec(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]))
}

/// Debian packages the tests need, each with a file that shows it is installed.
const APT_PACKAGES: [(&str, &str); 6] = [
    ("chromium", "/usr/bin/chromium"),
    ("chromium-driver", "/usr/bin/chromedriver"),
    // CJK glyphs in screenshots of the zh-CN UI.
    ("fonts-noto-cjk", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    // Emoji in screenshots of the widget's picker and messages.
    ("fonts-noto-color-emoji", "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"),
    // Runs the Go identity sample of the site-owner guide.
    ("golang-go", "/usr/bin/go"),
    // The storage-fault attack test breaks and mends the Desk's SQLite file between two runs.
    ("sqlite3", "/usr/bin/sqlite3"),
];

fn apt_packages() -> Result<()> {
    let missing: Vec<&str> =
        APT_PACKAGES.iter().filter(|(_, file)| !std::path::Path::new(file).exists()).map(|(name, _)| *name).collect();
    if missing.is_empty() {
        step("setup: chromium, chromium-driver, fonts (CJK, emoji), golang-go, sqlite3 present");
        return Ok(());
    }
    step(&format!("setup: apt-get install {} (for browser tests and samples)", missing.join(" ")));
    let sudo = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() != "0");
    let apt = |args: &[&str]| {
        let mut cmd = if sudo { Command::new("sudo") } else { Command::new("apt-get") };
        if sudo {
            cmd.arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        exec(&mut cmd)
    };
    apt(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq"];
    args.extend(missing);
    apt(&args)
}
