//! Benchmark of the identity check: criterion groups per key size and format, plus one line
//! `bench: identity_check_ns <n> ns` (median time to verify a typical ECB token with a 16-byte
//! key) for the project's bench scraper, and its ratio to parsing the same JSON alone on stderr.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use identity::{encrypt_ecb, encrypt_v2, verify, SiteIdentityConfig, SiteKey};
use serde_json::{Map, Value};

const SITE: &str = "bench-site";
const NOW: u64 = 1_700_000_000;
const PAYLOAD: &str = r#"{"full_name":"张三","phone":"15912345678"}"#;
const KEY_128: &str = "aTyG4CbHGZbZaNwidpdd3g==";
const KEY_192: &str = "82YipBjD4eMjn6f/OeCQ5IlT9psE6X69";
const KEY_256: &str = "1xLBHGPpM52lQ6KMoc/pwpLWV3ScXoJXShM/vuXXVvI=";

fn setup(key_b64: &str) -> (SiteIdentityConfig, String) {
    let key = SiteKey::from_b64(key_b64).expect("bench key");
    let token = encrypt_ecb(&key, PAYLOAD);
    let mut config = SiteIdentityConfig::new(vec![key]);
    // The benchmark measures the compat format too: the switch a site turns on knowingly.
    config.accept_ecb = true;
    (config, token)
}

fn check(config: &SiteIdentityConfig, token: &str) -> bool {
    matches!(verify(black_box(config), SITE, Some(black_box(token)), NOW), Ok(Some(_)))
}

fn criterion_groups(c: &mut Criterion) {
    let mut group = c.benchmark_group("identity_check");
    for (name, key) in [("ecb_aes128", KEY_128), ("ecb_aes192", KEY_192), ("ecb_aes256", KEY_256)] {
        let (config, token) = setup(key);
        assert!(check(&config, &token));
        group.bench_function(name, |b| b.iter(|| check(&config, &token)));
    }
    let (config, _) = setup(KEY_256);
    let claims = format!(r#"{{"full_name":"张三","phone":"15912345678","aud":"{SITE}","exp":{}}}"#, NOW + 3600);
    let v2 = encrypt_v2(&config.keys[0], [7; 12], claims).expect("v2 token");
    assert!(check(&config, &v2));
    group.bench_function("v2_aes256gcm", |b| b.iter(|| check(&config, &v2)));
    let (rotating, token) = setup(KEY_128);
    let mut rotating = rotating;
    rotating.keys.insert(0, SiteKey::from_b64(KEY_256).expect("bench key"));
    assert!(check(&rotating, &token));
    group.bench_function("ecb_aes128_second_of_two_keys", |b| b.iter(|| check(&rotating, &token)));
    group.bench_function("baseline_json_parse_only", |b| {
        b.iter(|| serde_json::from_str::<Map<String, Value>>(black_box(PAYLOAD)).is_ok())
    });
    group.finish();
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
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .configure_from_args();
    criterion_groups(&mut c);
    c.final_summary();
    // `cargo test --all-targets` runs this binary without `--bench` (a smoke test in a debug
    // build): report a figure only from a real benchmark run.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }

    let (config, token) = setup(KEY_128);
    let check_ns = median_ns(31, 2_000, || check(&config, &token));
    let parse_ns = median_ns(31, 2_000, || serde_json::from_str::<Map<String, Value>>(black_box(PAYLOAD)).is_ok());
    eprintln!(
        "identity check {check_ns} ns vs JSON parse alone {parse_ns} ns: ratio {:.2} (goal: check <= 20000 ns)",
        check_ns as f64 / parse_ns.max(1) as f64
    );
    println!("bench: identity_check_ns {check_ns} ns");
}
