//! `cargo xtask build`: the wasm apps (widget, console, settings, reports), the loader, the static pages and
//! the Worker.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::util::{cargo_bin, exec, node_bin, root, step, target_dir, Result};

/// The Leptos apps built to wasm and the folder each is served from (the settings and the reports
/// live under the console's path, so they get its headers, but are wasm apps of their own that
/// only those who open them load).
pub const APPS: [(&str, &str); 4] =
    [("widget", "widget"), ("console", "console"), ("settings", "console/settings"), ("reports", "console/reports")];

/// Where the Worker's static assets are assembled.
pub fn public_dir() -> std::path::PathBuf {
    root().join("dist").join("public")
}

/// wasm features rustc's wasm32 target emits; wasm-opt must accept them.
const WASM_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-reference-types",
    "--enable-multivalue",
    "--enable-mutable-globals",
];

/// Builds everything the Worker serves.
pub fn run() -> Result<()> {
    run_with(&[])
}

/// Builds everything, the Worker with these cargo features of `edge` (`bench`: the benchmark's
/// echo sockets, which production builds never carry).
pub fn run_with(features: &[&str]) -> Result<()> {
    let public = public_dir();
    fs::create_dir_all(&public).map_err(|e| format!("{}: {e}", public.display()))?;
    apps(&public)?;
    loader(&public)?;
    statics(&public)?;
    worker(features)?;
    step("build: done (dist/public and edge/build)");
    Ok(())
}

fn apps(public: &Path) -> Result<()> {
    step("build: widget + console + settings + reports (cargo build --release --target wasm32-unknown-unknown)");
    exec(Command::new("cargo").args([
        "build",
        "--release",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "widget",
        "-p",
        "console",
        "-p",
        "settings",
        "-p",
        "reports",
    ]))?;
    let release = target_dir().join("wasm32-unknown-unknown").join("release");
    for (app, dir) in APPS {
        let staging = target_dir().join("web").join(app);
        let out = public.join(dir);
        fs::create_dir_all(&out).map_err(|e| e.to_string())?;
        step(&format!("build: wasm-bindgen + wasm-opt -Oz + esbuild for {app}"));
        exec(
            Command::new(cargo_bin("wasm-bindgen"))
                .args(["--target", "web", "--no-typescript", "--out-dir"])
                .arg(&staging)
                .arg(release.join(format!("{app}.wasm"))),
        )?;
        exec(
            Command::new(node_bin("wasm-opt"))
                .arg("-Oz")
                .args(WASM_FEATURES)
                .arg(staging.join(format!("{app}_bg.wasm")))
                .arg("-o")
                .arg(out.join(format!("{app}_bg.wasm"))),
        )?;
        let entry = staging.join("entry.js");
        fs::write(&entry, format!("import init from './{app}.js';\ninit();\n")).map_err(|e| e.to_string())?;
        exec(
            Command::new(node_bin("esbuild"))
                .arg(&entry)
                .args(["--bundle", "--minify", "--format=esm", "--log-level=warning"])
                .arg(format!("--outfile={}", out.join(format!("{app}.js")).display())),
        )?;
        copy_dir(&root().join(app).join("static"), &out)?;
        if app == "widget" {
            launcher_css(&out)?;
        }
    }
    Ok(())
}

/// The launcher's rules (`widget/static/launcher.css`) are shared: the widget's stylesheet starts
/// with them, and the edge draws the loader's launcher (the facade) with the same rules.
fn launcher_css(out: &Path) -> Result<()> {
    let read = |name: &str| fs::read_to_string(out.join(name)).map_err(|e| format!("{name}: {e}"));
    let joined = format!("{}{}", read("launcher.css")?, read("widget.css")?);
    fs::write(out.join("widget.css"), joined).map_err(|e| e.to_string())?;
    fs::remove_file(out.join("launcher.css")).map_err(|e| e.to_string())
}

fn loader(public: &Path) -> Result<()> {
    step("build: loader w.js (esbuild --minify)");
    exec(
        Command::new(node_bin("esbuild"))
            .arg(root().join("widget").join("loader").join("w.js"))
            // ES2020: the loader imports the launcher's look as a module (`import()`).
            .args(["--minify", "--log-level=warning", "--target=es2020"])
            .arg(format!("--outfile={}", public.join("w.js").display())),
    )
}

fn statics(public: &Path) -> Result<()> {
    step("build: demo site pages");
    for entry in fs::read_dir(root().join("demo-site")).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_file() {
            let name = path.file_name().ok_or("bad file name")?;
            fs::copy(&path, public.join(name)).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

fn worker(features: &[&str]) -> Result<()> {
    step(&format!("build: the Worker (worker-build --release, features: {features:?})"));
    let mut command = Command::new(cargo_bin("worker-build"));
    command.arg("--release");
    if !features.is_empty() {
        // After the build options, wasm-pack hands these to cargo.
        command.args(["--features", &features.join(",")]);
    }
    exec(
        command
            .current_dir(root().join("edge"))
            .env("WASM_BINDGEN_BIN", cargo_bin("wasm-bindgen"))
            .env("WASM_OPT_BIN", node_bin("wasm-opt"))
            .env("ESBUILD_BIN", node_bin("esbuild")),
    )
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    for entry in fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if let Some(name) = path.file_name() {
            fs::copy(&path, to.join(name)).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}
