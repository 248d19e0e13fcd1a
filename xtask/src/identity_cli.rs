//! `cargo xtask keygen` and `cargo xtask identity`: the site owner's tools for identity tokens.

use std::io::Read;

use identity::{SiteIdentityConfig, SiteKey};

use crate::util::Result;

/// Prints a new random 32-byte site key, base64 (good for both token formats).
pub fn keygen() -> Result<()> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).map_err(|e| e.to_string())?;
    println!("{}", identity::generate_key_b64(&bytes).map_err(|e| e.to_string())?);
    Ok(())
}

/// What `cargo xtask identity` decided, for the exit code.
pub enum Outcome {
    /// The token was accepted; its JSON was printed.
    Accepted,
    /// The token was refused; its error code was printed on the last line.
    Refused,
}

/// Decodes a token the way the edge does (on a site that accepts both formats): prints the payload
/// JSON, or the error code last.
///
/// Arguments: `--key KEY_B64` (repeatable, for rotation), `[--site ID]`, `[--fields a,b]`, `TOKEN`.
pub fn decode(args: &[String]) -> Result<Outcome> {
    let mut keys = Vec::new();
    let mut site = String::new();
    let mut fields: Option<Vec<String>> = None;
    let mut token = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--key" => keys.push(it.next().ok_or("--key needs a value")?.clone()),
            "--site" => site = it.next().ok_or("--site needs a value")?.clone(),
            "--fields" => {
                let list = it.next().ok_or("--fields needs a value")?;
                fields = Some(list.split(',').map(|f| f.trim().to_string()).filter(|f| !f.is_empty()).collect());
            }
            other if token.is_none() && !other.starts_with("--") => token = Some(other.to_string()),
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    let token =
        token.ok_or("usage: cargo xtask identity --key KEY_B64 [--site ID] [--fields full_name,phone] TOKEN")?;
    if keys.is_empty() {
        return Err("--key KEY_B64 is required".into());
    }
    let keys = keys
        .iter()
        .map(|k| SiteKey::from_b64(k))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let mut config = SiteIdentityConfig::new(keys);
    // The tool reads either format, as a site with the compat switch on does.
    config.accept_ecb = true;
    if let Some(fields) = fields {
        config.verification_fields = fields;
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    match identity::verify(&config, &site, Some(&token), now) {
        Ok(Some(verified)) => {
            println!("{}", serde_json::Value::Object(verified.payload));
            Ok(Outcome::Accepted)
        }
        Ok(None) => {
            println!("identity_malformed");
            Ok(Outcome::Refused)
        }
        Err(err) => {
            eprintln!("{}", err.message());
            println!("{}", err.code());
            Ok(Outcome::Refused)
        }
    }
}
