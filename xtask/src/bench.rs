//! `cargo xtask bench`: prints every figure as `bench: NAME VALUE UNIT`, one per line.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::build::{self, public_dir};
use crate::util::{root, step, Result};

/// One measured figure.
#[derive(Debug)]
pub struct Figure {
    /// Stable name, e.g. `loader_gzip`.
    pub name: &'static str,
    /// Measured value.
    pub value: u64,
    /// Unit, e.g. `bytes`.
    pub unit: &'static str,
}

impl std::fmt::Display for Figure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bench: {} {} {}", self.name, self.value, self.unit)
    }
}

/// Entry point of `cargo xtask bench`.
pub fn run() -> Result<()> {
    crate::setup::run()?;
    build::run_with(&["bench"])?;
    for figure in sizes()? {
        println!("{figure}");
    }
    for (package, bench) in [("routing", "assign"), ("identity", "check"), ("wechat", "decrypt")] {
        forward_bench_lines(package, bench)?;
    }
    lighthouse()?;
    node_bench(
        "facade.mjs",
        "what the snippet costs a host page: bytes before intent and to an open chat, load event, launcher, \
         click to a ready chat, Lighthouse with and without",
    )?;
    node_bench("desk.mjs", "the Desk in workerd (relay vs echo latency, messages per second)")?;
    node_bench("attacks.mjs", "a visitor's round trip, quiet and under attack (password guessing, socket flood)")?;
    node_bench("search.mjs", "search over 100,000 stored messages (10,000 conversations) from the workbench")?;
    node_bench("report.mjs", "reports over 30 days x 10,000 conversations (100,000 messages)")?;
    node_bench("load.mjs", "100, 250 and 500 visitors with 20 agents: latency, losses, board bytes per conversation")?;
    node_bench("queue.mjs", "500 visitors opening at once, with room for all and with 480 left waiting in the queue")
}

/// Lighthouse for the facade bench, pinned (12.2.3 is the last that runs on Node 20), installed for
/// the bench only in `target/bench-tools` (the tests do not need it); idempotent.
fn lighthouse() -> Result<()> {
    let dir = root().join("target").join("bench-tools");
    if dir.join("node_modules").join("lighthouse").join("package.json").exists() {
        return Ok(());
    }
    step("bench: npm i -E lighthouse@12.2.3 (into target/bench-tools, for the bench only)");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let status = Command::new("npm")
        .args(["i", "-E", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir)
        .arg("lighthouse@12.2.3")
        .status()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    match status.success() {
        true => Ok(()),
        false => Err(format!("npm i lighthouse failed ({status})")),
    }
}

/// Runs one of `tests/bench/*.mjs`, which prints its own `bench:` lines.
fn node_bench(script: &str, what: &str) -> Result<()> {
    step(&format!("bench: {what}"));
    let status = Command::new("node")
        .arg(root().join("tests").join("bench").join(script))
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot run node: {e}"))?;
    match status.success() {
        true => Ok(()),
        false => Err(format!("tests/bench/{script} failed ({status})")),
    }
}

/// Raw and gzip sizes of what the browser and the Worker load.
pub fn sizes() -> Result<Vec<Figure>> {
    let public = public_dir();
    let widget = ["index.html", "widget.js", "widget_bg.wasm", "widget.css"].map(|f| public.join("widget").join(f));
    let console =
        ["index.html", "console.js", "console_bg.wasm", "console.css"].map(|f| public.join("console").join(f));
    let settings = ["index.html", "settings.js", "settings_bg.wasm", "settings.css"]
        .map(|f| public.join("console").join("settings").join(f));
    let reports = ["index.html", "reports.js", "reports_bg.wasm", "reports.css"]
        .map(|f| public.join("console").join("reports").join(f));
    let loader = [public.join("w.js")];
    let worker = [root().join("edge").join("build").join("index_bg.wasm")];
    Ok(vec![
        Figure { name: "loader_raw", value: total(&loader, Encoding::Raw)?, unit: "bytes" },
        Figure { name: "loader_gzip", value: total(&loader, Encoding::Gzip)?, unit: "bytes" },
        Figure { name: "loader_brotli", value: total(&loader, Encoding::Brotli)?, unit: "bytes" },
        Figure { name: "widget_open_chat_raw", value: total(&widget, Encoding::Raw)?, unit: "bytes" },
        Figure { name: "widget_open_chat_gzip", value: total(&widget, Encoding::Gzip)?, unit: "bytes" },
        Figure { name: "widget_open_chat_brotli", value: total(&widget, Encoding::Brotli)?, unit: "bytes" },
        Figure { name: "console_gzip", value: total(&console, Encoding::Gzip)?, unit: "bytes" },
        Figure { name: "settings_gzip", value: total(&settings, Encoding::Gzip)?, unit: "bytes" },
        Figure { name: "reports_gzip", value: total(&reports, Encoding::Gzip)?, unit: "bytes" },
        Figure { name: "worker_wasm_raw", value: total(&worker, Encoding::Raw)?, unit: "bytes" },
        Figure { name: "worker_wasm_gzip", value: total(&worker, Encoding::Gzip)?, unit: "bytes" },
    ])
}

/// How a size is measured: as stored, or as a server would send it compressed.
#[derive(Clone, Copy)]
enum Encoding {
    Raw,
    Gzip,
    Brotli,
}

fn total(files: &[impl AsRef<Path>], encoding: Encoding) -> Result<u64> {
    let mut sum = 0;
    for file in files {
        let file = file.as_ref();
        let bytes = std::fs::read(file).map_err(|e| format!("{}: {e} (run cargo xtask build)", file.display()))?;
        sum += match encoding {
            Encoding::Raw => bytes.len() as u64,
            Encoding::Gzip => gzip_len(&bytes)?,
            Encoding::Brotli => brotli_len(&bytes)?,
        };
    }
    Ok(sum)
}

fn brotli_len(bytes: &[u8]) -> Result<u64> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).map_err(|e| e.to_string())?;
    Ok(out.len() as u64)
}

fn gzip_len(bytes: &[u8]) -> Result<u64> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).map_err(|e| e.to_string())?;
    Ok(encoder.finish().map_err(|e| e.to_string())?.len() as u64)
}

/// Runs a crate's criterion bench and forwards the `bench:` lines it prints.
fn forward_bench_lines(package: &str, bench: &str) -> Result<()> {
    if !root().join(package).join("benches").join(format!("{bench}.rs")).exists() {
        step(&format!("bench: {package}/benches/{bench}.rs not present, skipped"));
        return Ok(());
    }
    step(&format!("bench: cargo bench -p {package} --bench {bench}"));
    let out = Command::new("cargo")
        .args(["bench", "-q", "-p", package, "--bench", bench])
        .current_dir(root())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("cargo bench -p {package} failed:\n{}", String::from_utf8_lossy(&out.stderr)));
    }
    for line in String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.starts_with("bench: ")) {
        println!("{line}");
    }
    Ok(())
}
