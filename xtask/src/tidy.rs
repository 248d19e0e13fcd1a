//! `cargo xtask test`'s tidy step: rules about the code's shape that reviews keep catching, checked
//! on the tree (the habit of rust-analyzer's `xtask/src/tidy.rs`). Each rule names where it holds
//! and what it allows; a failure lists every offending line.

use std::fs;
use std::path::{Path, PathBuf};

use crate::util::{root, Result};

/// A pattern that may appear only in some files.
struct Confined {
    /// What the pattern does, for the failure message.
    what: &'static str,
    /// Substrings that mark the effect.
    patterns: &'static [&'static str],
    /// The folder the rule covers (relative to the root).
    under: &'static str,
    /// The only files (relative to the root) that may contain it.
    allowed: &'static [&'static str],
}

/// The Desk's effects, each confined to the module that owns it (ARCHITECTURE.md, "Invariants").
const CONFINED: [Confined; 3] = [
    Confined {
        what: "SQL runs only in the store modules",
        patterns: &[".exec("],
        under: "edge/src",
        allowed: &[
            "edge/src/desk/store.rs",
            "edge/src/desk/console_store.rs",
            "edge/src/desk/routing_store.rs",
            "edge/src/desk/report_store.rs",
        ],
    },
    Confined {
        what: "frames go onto sockets only in desk/sockets.rs",
        patterns: &[".send_with_str(", ".send_with_bytes("],
        under: "edge/src",
        allowed: &["edge/src/desk/sockets.rs"],
    },
    Confined {
        what: "only the Desk opens its storage (the Worker reaches it through internal::call)",
        patterns: &[".storage().sql()"],
        under: "edge/src",
        allowed: &["edge/src/desk/mod.rs"],
    },
];

/// Runs every tidy rule; the error lists every offence.
pub fn check() -> Result<()> {
    let root = root();
    let files = rust_files(&root);
    let mut offences = Vec::new();
    for file in &files {
        let rel = relative(&root, file);
        let Ok(text) = fs::read_to_string(file) else { continue };
        if !text.starts_with("//!") {
            offences.push(format!("{rel}: does not start with a `//!` line saying what the file is for"));
        }
        for rule in &CONFINED {
            if !rel.starts_with(rule.under) || rule.allowed.contains(&rel.as_str()) {
                continue;
            }
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                if rule.patterns.iter().any(|p| code.contains(p)) {
                    offences.push(format!("{rel}:{}: {} ({})", n + 1, rule.what, line.trim()));
                }
            }
        }
    }
    println!("tidy: {} Rust files checked, {} offences", files.len(), offences.len());
    match offences.is_empty() {
        true => Ok(()),
        false => Err(format!("tidy:\n  {}", offences.join("\n  "))),
    }
}

/// Every `.rs` file of the workspace, outside `target/`, `node_modules/` and dot folders.
fn rust_files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !(name.starts_with('.') || name == "target" || name == "node_modules" || name == "dist") {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn relative(root: &Path, file: &Path) -> String {
    file.strip_prefix(root).unwrap_or(file).to_string_lossy().replace('\\', "/")
}
