//! Project automation, the only entry point: `cargo xtask setup|build|dev|test|bench|site|deploy`.

mod bench;
mod build;
mod deploy;
mod dev;
mod identity_cli;
mod setup;
mod site;
mod test;
mod tidy;
mod util;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  setup   install everything the project needs (idempotent)
  build   build widget, console, loader, static pages and the Worker into dist/ and edge/build/
          (--bench: with the benchmark's echo sockets, as `cargo xtask bench` builds it)
  dev     setup + build, then serve everything on http://127.0.0.1:8787 with a seeded demo site
  test    fmt, tidy, clippy, native tests, wasm tests in Chromium, end-to-end tests against workerd
  tidy    the code-shape rules alone (`//!` headers, the Desk's effects only in their modules)
  bench   print size and speed figures as `bench: NAME VALUE UNIT`
  sizes   print the size figures alone, of what `build` made last
  site create ID --owner LOGIN [--owner-name NAME] [--name SITE_NAME] [--url https://EDGE]
          create a site and its owner (admin token from ADMIN_TOKEN or .dev.vars); prints the
          owner's one-time password and console link
  deploy [--dry-run]
          build and `wrangler deploy` (R2 bucket, ADMIN_TOKEN secret from the environment);
          --dry-run checks bundle and bindings offline
  keygen  print a new random site key (base64, 32 bytes)
  identity --key KEY_B64 [--site ID] [--fields full_name,phone] TOKEN
          decode an identity token as the edge does: the JSON (exit 0) or the error code (exit 1)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run(),
        Some("build") => setup::run().and_then(|()| match args.get(1).map(String::as_str) {
            Some("--bench") => build::run_with(&["bench"]),
            _ => build::run(),
        }),
        Some("dev") => dev::run(),
        Some("test") => test::run(),
        Some("tidy") => tidy::check(),
        Some("bench") => bench::run(),
        Some("sizes") => bench::sizes().map(|figures| figures.iter().for_each(|f| println!("{f}"))),
        Some("site") => site::run(&args[1..]),
        Some("deploy") => deploy::run(&args[1..]),
        Some("keygen") => identity_cli::keygen(),
        Some("identity") => match identity_cli::decode(&args[1..]) {
            Ok(identity_cli::Outcome::Accepted) => Ok(()),
            Ok(identity_cli::Outcome::Refused) => return ExitCode::FAILURE,
            Err(err) => Err(err),
        },
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: error: {err}");
            ExitCode::FAILURE
        }
    }
}
