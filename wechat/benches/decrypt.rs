//! Cost of taking one 安全模式 push: checking its `msg_signature`, decrypting it and reading its
//! JSON, printed as `bench: wechat_decrypt_ns <n> ns` (median) for the project's bench scraper,
//! with its ratio to reading the same plain JSON alone on stderr.

use std::hint::black_box;
use std::time::Instant;

use wechat::{fields, verify, Cipher, Format, Push};

const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APP_ID: &str = "wx0123456789abcdef";
const TOKEN: &str = "AAAAA";
const MESSAGE: &str = r#"{"ToUserName":"gh_shop","FromUserName":"oUser1","CreateTime":1764000000,"MsgType":"text","Content":"你好，这件衣服有 M 码吗？","MsgId":6988312519123456789}"#;

fn take(cipher: &Cipher, encrypted: &str, signature: &str) -> bool {
    if !verify(signature, &[TOKEN, "1764000000", "123456", encrypted]) {
        return false;
    }
    let Ok(inner) = cipher.decrypt(encrypted, APP_ID) else { return false };
    fields(&inner, Format::Json).and_then(|f| Push::from_fields(&f)).is_ok()
}

/// Median nanoseconds per call of `f` over `samples` timed batches of `batch` calls.
fn median_ns(samples: usize, batch: u32, mut f: impl FnMut() -> bool) -> u128 {
    for _ in 0..batch {
        black_box(f());
    }
    let mut per_call: Vec<u128> = (0..samples)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..batch {
                black_box(f());
            }
            start.elapsed().as_nanos() / u128::from(batch)
        })
        .collect();
    per_call.sort_unstable();
    per_call[per_call.len() / 2]
}

fn main() {
    let Ok(cipher) = Cipher::new(KEY) else { return };
    let encrypted = cipher.encrypt([7; 16], MESSAGE, APP_ID);
    let signature = wechat::signature(&[TOKEN, "1764000000", "123456", &encrypted]);
    assert!(take(&cipher, &encrypted, &signature), "the bench push is taken");
    // `cargo test --all-targets` runs this binary without `--bench`: report only from a real run.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let take_ns = median_ns(31, 2_000, || take(&cipher, black_box(&encrypted), &signature));
    let parse_ns =
        median_ns(31, 2_000, || fields(black_box(MESSAGE), Format::Json).and_then(|f| Push::from_fields(&f)).is_ok());
    eprintln!(
        "wechat push: check + decrypt + read {take_ns} ns vs reading the plain JSON alone {parse_ns} ns: ratio {:.2}",
        take_ns as f64 / parse_ns.max(1) as f64
    );
    println!("bench: wechat_decrypt_ns {take_ns} ns");
}
