//! Property test: 10,000 random and mutated tokens (bit flips, truncations, block swaps between
//! valid tokens, huge inputs, odd characters, non-UTF-8 plaintexts, v2 tampering) each give a
//! typed error or a correct accept, never a panic.

mod common;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use identity::{
    encrypt_ecb, encrypt_v2, is_phone_field, verify, IdentityError, SiteIdentityConfig, Verified, MAX_TOKEN_LEN,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Map, Value};

/// How many tokens the property test feeds to `verify` (one per case).
const CASES: u32 = 10_000;

type Payload = Map<String, Value>;

struct Corpus {
    config: SiteIdentityConfig,
    /// Valid compat tokens (under the 16-byte and the 32-byte key) and their payloads.
    ecb: Vec<(String, Payload)>,
    /// Valid v2 tokens and their payloads.
    v2: Vec<(String, Payload)>,
}

fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let payloads = [
            json!({"full_name": "张三", "phone": "15912345678"}),
            json!({"full_name": "李四public", "phone": "13851111111", "vipNo": "vip12138", "address": "福建厦门"}),
            json!({"full_name": "Ada Lovelace", "phone": "+442079460000", "email": "ada@example.com"}),
            // Block-aligned fields make cut-and-paste between tokens more likely to parse.
            json!({"full_name": "AAAAAAAAAAAAAAAAAAAAAAAAAA", "phone": "111111111111111111111111111111"}),
            json!({"full_name": "Exp", "phone": "1", "exp": NOW + 3600}),
        ];
        let mut ecb_tokens = Vec::new();
        let mut v2_tokens = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            let Value::Object(map) = p else { unreachable!() };
            for k in [KEY_128, KEY_256] {
                ecb_tokens.push((ecb(k, &p.to_string()), map.clone()));
            }
            let mut claims = map.clone();
            claims.insert("aud".into(), json!(SITE));
            claims.insert("exp".into(), json!(NOW + 3600));
            let token = v2(KEY_256, i as u8, &Value::Object(claims.clone()).to_string());
            v2_tokens.push((token, claims));
        }
        Corpus { config: config(&[KEY_128, KEY_256]), ecb: ecb_tokens, v2: v2_tokens }
    })
}

/// One generated input.
#[derive(Debug, Clone)]
enum Case {
    /// A valid token unchanged (`v2` picks the list).
    Original { v2: bool, i: usize },
    /// A valid compat token with the case of some hex letters flipped.
    HexCaseFlip { i: usize, mask: u64 },
    /// A valid compat token with one ciphertext bit flipped.
    BitFlip { i: usize, bit: usize },
    /// A valid compat token cut to `len` hex characters.
    Truncate { i: usize, len: usize },
    /// Block `x` of token `a` replaced by block `y` of token `b`.
    BlockSwap { a: usize, b: usize, x: usize, y: usize },
    /// The first blocks of `a` followed by the last blocks of `b`.
    Splice { a: usize, b: usize, keep_a: usize, skip_b: usize },
    /// Far over the size limit: `len` copies of a hex or base64 character.
    Huge { len: usize, v2: bool },
    /// Random ciphertext exactly at the size limit.
    AtLimit(Vec<u8>),
    /// Random bytes hex-encoded.
    RandomHex { bytes: Vec<u8>, upper: bool },
    /// Random bytes read as (lossy) UTF-8 text.
    RandomText(Vec<u8>),
    /// Random Unicode characters, optionally behind `v2.`.
    RandomChars { chars: Vec<char>, v2: bool },
    /// `v2.` + base64url of random bytes.
    V2Random(Vec<u8>),
    /// A valid v2 token with one sealed byte changed.
    V2Tamper { i: usize, pos: usize, xor: u8 },
    /// A valid v2 token cut to `len` characters.
    V2Truncate { i: usize, len: usize },
    /// The nonce of v2 token `a` with the ciphertext of v2 token `b`.
    V2NonceSwap { a: usize, b: usize },
    /// Garbage plaintext (JSON-ish fragments, non-UTF-8 bytes) encrypted with a configured key.
    Garbage { plaintext: Vec<u8>, v2: bool, nonce: [u8; 12] },
}

/// Pieces that random plaintexts are built from, so some of them are near-valid JSON.
const FRAGMENTS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b",",
    b"\"full_name\"",
    b"\"phone\"",
    b"\"exp\"",
    b"\"aud\"",
    b"\"site-1\"",
    b"\"A\"",
    b"\"15912345678\"",
    b"\"\"",
    b"\" \"",
    b"1",
    b"-1",
    b"1e999",
    b"null",
    b"true",
    b"\"\\ud800\"",
    b"\"\\u0000\"",
    b"\xFF",
    b"\xC3",
    b"\xE5\xBC\xA0",
    b"\x00",
    b" ",
];

fn garbage() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0..FRAGMENTS.len(), 0..24)
        .prop_map(|ix| ix.into_iter().flat_map(|i| FRAGMENTS[i].to_vec()).collect())
}

fn cases() -> impl Strategy<Value = Case> {
    let n_ecb = corpus().ecb.len();
    let n_v2 = corpus().v2.len();
    prop_oneof![
        1 => (any::<bool>(), 0..n_ecb).prop_map(|(v2, i)| Case::Original { v2, i }),
        1 => (0..n_ecb, any::<u64>()).prop_map(|(i, mask)| Case::HexCaseFlip { i, mask }),
        3 => (0..n_ecb, any::<usize>()).prop_map(|(i, bit)| Case::BitFlip { i, bit }),
        2 => (0..n_ecb, any::<usize>()).prop_map(|(i, len)| Case::Truncate { i, len }),
        3 => (0..n_ecb, 0..n_ecb, any::<usize>(), any::<usize>())
            .prop_map(|(a, b, x, y)| Case::BlockSwap { a, b, x, y }),
        2 => (0..n_ecb, 0..n_ecb, any::<usize>(), any::<usize>())
            .prop_map(|(a, b, keep_a, skip_b)| Case::Splice { a, b, keep_a, skip_b }),
        1 => (MAX_TOKEN_LEN + 1..MAX_TOKEN_LEN * 8, any::<bool>())
            .prop_map(|(len, v2)| Case::Huge { len, v2 }),
        1 => prop::collection::vec(any::<u8>(), MAX_TOKEN_LEN / 2).prop_map(Case::AtLimit),
        2 => (prop::collection::vec(any::<u8>(), 0..200), any::<bool>())
            .prop_map(|(bytes, upper)| Case::RandomHex { bytes, upper }),
        2 => prop::collection::vec(any::<u8>(), 0..300).prop_map(Case::RandomText),
        2 => (prop::collection::vec(any::<char>(), 0..100), any::<bool>())
            .prop_map(|(chars, v2)| Case::RandomChars { chars, v2 }),
        1 => prop::collection::vec(any::<u8>(), 0..200).prop_map(Case::V2Random),
        3 => (0..n_v2, any::<usize>(), 1..=255u8)
            .prop_map(|(i, pos, xor)| Case::V2Tamper { i, pos, xor }),
        1 => (0..n_v2, any::<usize>()).prop_map(|(i, len)| Case::V2Truncate { i, len }),
        1 => (0..n_v2, 0..n_v2).prop_map(|(a, b)| Case::V2NonceSwap { a, b }),
        4 => (garbage(), any::<bool>(), any::<[u8; 12]>())
            .prop_map(|(plaintext, v2, nonce)| Case::Garbage { plaintext, v2, nonce }),
    ]
}

/// What a case must produce, beyond "a typed error or a self-consistent accept".
#[derive(Debug)]
enum Expect {
    /// Exactly this result.
    Exactly(Result<Payload, IdentityError>),
    /// Any result except accepting the original payload.
    NotOriginal(Payload),
    /// An error among these.
    OneOf(&'static [IdentityError]),
    /// No constraint beyond the generic ones.
    Any,
}

fn hex_blocks(token: &str) -> Vec<[u8; 16]> {
    let bytes = hex::decode(token).unwrap_or_default();
    bytes
        .chunks_exact(16)
        .map(|c| {
            let mut b = [0; 16];
            b.copy_from_slice(c);
            b
        })
        .collect()
}

fn v2_sealed(token: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(&token[3..]).unwrap_or_default()
}

fn build(case: &Case) -> (String, Expect) {
    use IdentityError::{Invalid, Malformed};
    let c = corpus();
    match case {
        Case::Original { v2: false, i } => {
            let (t, p) = &c.ecb[*i];
            (t.clone(), Expect::Exactly(Ok(p.clone())))
        }
        Case::Original { v2: true, i } => {
            let (t, p) = &c.v2[*i % c.v2.len()];
            (t.clone(), Expect::Exactly(Ok(p.clone())))
        }
        Case::HexCaseFlip { i, mask } => {
            let (t, p) = &c.ecb[*i];
            let token = t
                .chars()
                .enumerate()
                .map(|(n, ch)| if mask >> (n % 64) & 1 == 1 { ch.to_ascii_lowercase() } else { ch })
                .collect();
            (token, Expect::Exactly(Ok(p.clone())))
        }
        Case::BitFlip { i, bit } => {
            let (t, p) = &c.ecb[*i];
            let mut bytes = hex::decode(t).unwrap_or_default();
            let bit = bit % (bytes.len() * 8);
            bytes[bit / 8] ^= 1 << (bit % 8);
            (hex::encode_upper(bytes), Expect::NotOriginal(p.clone()))
        }
        Case::Truncate { i, len } => {
            let (t, p) = &c.ecb[*i];
            let len = len % t.len();
            let expect = if !len.is_multiple_of(32) || len == 0 {
                Expect::Exactly(Err(Malformed))
            } else {
                Expect::NotOriginal(p.clone())
            };
            (t[..len].to_owned(), expect)
        }
        Case::BlockSwap { a, b, x, y } => {
            let mut blocks = hex_blocks(&c.ecb[*a].0);
            let other = hex_blocks(&c.ecb[*b].0);
            let x = x % blocks.len();
            blocks[x] = other[y % other.len()];
            (hex::encode_upper(blocks.concat()), Expect::Any)
        }
        Case::Splice { a, b, keep_a, skip_b } => {
            let first = hex_blocks(&c.ecb[*a].0);
            let second = hex_blocks(&c.ecb[*b].0);
            let keep = 1 + keep_a % first.len();
            let skip = skip_b % second.len();
            let blocks: Vec<_> = first[..keep].iter().chain(&second[skip..]).copied().collect();
            (hex::encode_upper(blocks.concat()), Expect::Any)
        }
        Case::Huge { len, v2 } => {
            let token = if *v2 { format!("v2.{}", "A".repeat(*len)) } else { "AB".repeat(len.div_ceil(2)) };
            (token, Expect::Exactly(Err(Malformed)))
        }
        Case::AtLimit(bytes) => (hex::encode(bytes), Expect::Exactly(Err(Invalid))),
        Case::RandomHex { bytes, upper } => {
            let token = if *upper { hex::encode_upper(bytes) } else { hex::encode(bytes) };
            let expect = if bytes.is_empty() || !bytes.len().is_multiple_of(16) {
                Expect::Exactly(Err(Malformed))
            } else {
                Expect::Exactly(Err(Invalid))
            };
            (token, expect)
        }
        Case::RandomText(bytes) => (String::from_utf8_lossy(bytes).into_owned(), Expect::Any),
        Case::RandomChars { chars, v2 } => {
            let body: String = chars.iter().collect();
            let token = if *v2 { format!("v2.{body}") } else { body };
            (token, Expect::Any)
        }
        Case::V2Random(bytes) => {
            let expect = if bytes.len() < 28 { Expect::Exactly(Err(Malformed)) } else { Expect::Exactly(Err(Invalid)) };
            (format!("v2.{}", URL_SAFE_NO_PAD.encode(bytes)), expect)
        }
        Case::V2Tamper { i, pos, xor } => {
            let mut sealed = v2_sealed(&c.v2[*i].0);
            let pos = pos % sealed.len();
            sealed[pos] ^= xor;
            (format!("v2.{}", URL_SAFE_NO_PAD.encode(sealed)), Expect::Exactly(Err(Invalid)))
        }
        Case::V2Truncate { i, len } => {
            let t = &c.v2[*i].0;
            let len = len % t.len();
            (t[..len].to_owned(), Expect::OneOf(&[Malformed, Invalid]))
        }
        Case::V2NonceSwap { a, b } => {
            let (ta, pa) = &c.v2[*a];
            let (tb, _) = &c.v2[*b];
            let mut sealed = v2_sealed(ta)[..12].to_vec();
            sealed.extend_from_slice(&v2_sealed(tb)[12..]);
            let expect = if a == b { Expect::Exactly(Ok(pa.clone())) } else { Expect::Exactly(Err(Invalid)) };
            (format!("v2.{}", URL_SAFE_NO_PAD.encode(sealed)), expect)
        }
        Case::Garbage { plaintext, v2, nonce } => {
            let token = if *v2 {
                encrypt_v2(&key(KEY_256), *nonce, plaintext).unwrap_or_default()
            } else {
                encrypt_ecb(&key(KEY_128), plaintext)
            };
            let expect = match serde_json::from_slice::<Payload>(plaintext) {
                Err(_) => Expect::Exactly(Err(Invalid)),
                Ok(_) => Expect::Any,
            };
            (token, expect)
        }
    }
}

/// Shape rules that hold for every input: size limit and compat-format shape.
fn shape_malformed(token: &str) -> Option<bool> {
    if token.len() > MAX_TOKEN_LEN {
        return Some(true);
    }
    if token.starts_with("v2.") {
        return None;
    }
    Some(match hex::decode(token) {
        Ok(bytes) => bytes.is_empty() || !bytes.len().is_multiple_of(16),
        Err(_) => true,
    })
}

/// An accepted identity must be complete and strictly clean, and a v2 one must be for this site.
fn check_accept(token: &str, v: &Verified, config: &SiteIdentityConfig) -> Result<(), TestCaseError> {
    let names: Vec<&str> = v.match_key.iter().map(|(f, _)| f.as_str()).collect();
    let wanted: Vec<&str> = config.verification_fields.iter().map(String::as_str).collect();
    prop_assert_eq!(names, wanted);
    for (field, value) in &v.match_key {
        prop_assert!(!value.is_empty());
        // The match key is the payload's own string, unchanged.
        prop_assert_eq!(v.payload.get(field), Some(&json!(value)));
        if is_phone_field(field) {
            let digits = value.strip_prefix('+').unwrap_or(value);
            prop_assert!(!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()), "{}", value);
        } else {
            prop_assert_eq!(value.trim(), value.as_str());
            prop_assert!(!value.chars().any(char::is_control), "{:?}", value);
        }
    }
    if let Some(exp) = v.payload.get("exp") {
        prop_assert!(exp.as_u64().is_some_and(|e| e > NOW && e < identity::MAX_EXP), "{}", exp);
    }
    if let Some(aud) = v.payload.get("aud") {
        prop_assert_eq!(aud, &json!(SITE));
    }
    if token.starts_with("v2.") {
        prop_assert_eq!(v.payload.get("aud"), Some(&json!(SITE)));
        prop_assert!(v.payload.get("exp").is_some());
    }
    Ok(())
}

/// Outcome counts: by code, and accepts by kind of input.
#[derive(Default)]
struct Tally {
    by_code: BTreeMap<&'static str, usize>,
    accepted_by_kind: BTreeMap<String, usize>,
}

fn kind(case: &Case) -> String {
    let debug = format!("{case:?}");
    debug.split(|c: char| !c.is_alphanumeric()).next().unwrap_or_default().to_owned()
}

fn run_case(case: &Case, tally: &RefCell<Tally>) -> Result<(), TestCaseError> {
    let c = corpus();
    let (token, expect) = build(case);
    let got = verify(&c.config, SITE, Some(&token), NOW);
    let label = match &got {
        Ok(_) => "accepted",
        Err(e) => e.code(),
    };
    {
        let mut tally = tally.borrow_mut();
        *tally.by_code.entry(label).or_default() += 1;
        if got.is_ok() {
            *tally.accepted_by_kind.entry(kind(case)).or_default() += 1;
        }
    }

    // Deterministic: the same input gives the same answer.
    prop_assert_eq!(&verify(&c.config, SITE, Some(&token), NOW), &got);
    let got = match got {
        Ok(Some(v)) => {
            check_accept(&token, &v, &c.config)?;
            Ok(v.payload)
        }
        Ok(None) => return Err(TestCaseError::fail("a token was treated as a guest")),
        Err(e) => {
            // Never a code that needs no token or is about something this input cannot carry.
            prop_assert_ne!(e, IdentityError::Required);
            Err(e)
        }
    };
    if let Some(malformed) = shape_malformed(&token) {
        prop_assert_eq!(got == Err(IdentityError::Malformed), malformed, "shape rule for {:?}", token.get(..64));
    }
    match expect {
        Expect::Exactly(want) => prop_assert_eq!(got, want),
        Expect::NotOriginal(original) => prop_assert_ne!(got, Ok(original)),
        Expect::OneOf(codes) => {
            prop_assert!(got.as_ref().is_err_and(|e| codes.contains(e)), "{:?}", got)
        }
        Expect::Any => {}
    }
    Ok(())
}

#[test]
fn ten_thousand_random_and_mutated_tokens_give_typed_results() {
    let config = Config { cases: CASES, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let tally = RefCell::new(Tally::default());
    let result = runner.run(&cases(), |case| run_case(&case, &tally));
    if let Err(e) = result {
        panic!("{e}");
    }
    let tally = tally.into_inner();
    let total: usize = tally.by_code.values().sum();
    eprintln!("identity fuzz: {total} tokens: {:?}", tally.by_code);
    eprintln!("identity fuzz: accepted by kind: {:?}", tally.accepted_by_kind);
    assert_eq!(total, CASES as usize, "every case fed exactly one token");
    for label in ["accepted", "identity_malformed", "identity_invalid"] {
        assert!(tally.by_code.get(label).is_some_and(|n| *n > 0), "no {label} outcome");
    }
}
