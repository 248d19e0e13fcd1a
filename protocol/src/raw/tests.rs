//! Tests of the raw frame scan and the close reply code.

use super::*;

fn big_text() -> String {
    "x".repeat(70_000)
}

#[test]
fn the_client_id_is_found_before_or_after_a_large_body() {
    let text = big_text();
    let before = format!(r#"{{"type":"send","client_id":"c-1","body":{{"kind":"text","text":"{text}"}}}}"#);
    assert_eq!(client_id_of(&before).as_deref(), Some("c-1"));
    let after = format!(r#"{{ "type" : "send", "body":{{"kind":"text","text":"{text}"}} , "client_id" :	"c-2" }}"#);
    assert_eq!(client_id_of(&after).as_deref(), Some("c-2"));
}

#[test]
fn escapes_in_the_id_and_around_it_are_read_as_json_reads_them() {
    // Escaped quotes and backslashes inside the id.
    let frame = r#"{"type":"send","client_id":"a\"b\\c\/d\u00e9\ud83d\ude00","body":{}}"#;
    assert_eq!(client_id_of(frame).as_deref(), Some("a\"b\\c/dé😀"));
    let parsed: serde_json::Value = serde_json::from_str(frame).expect("valid JSON");
    assert_eq!(client_id_of(frame).as_deref(), parsed["client_id"].as_str());
    // A text that spells the key with escaped quotes is not the key.
    let frame = r#"{"type":"send","body":{"kind":"text","text":"\"client_id\":\"fake\" \\"},"client_id":"real"}"#;
    assert_eq!(client_id_of(frame).as_deref(), Some("real"));
    // A string value that ends in `client_id` is not a key either.
    let frame = r#"{"type":"send","note":"my client_id","client_id":"real"}"#;
    assert_eq!(client_id_of(frame).as_deref(), Some("real"));
}

#[test]
fn a_nested_client_id_is_not_the_frames() {
    let frame = r#"{"type":"send","body":{"kind":"form","data":{"client_id":"inner"}},"client_id":"outer"}"#;
    assert_eq!(client_id_of(frame).as_deref(), Some("outer"));
    let frame = r#"{"type":"send","body":{"kind":"form","data":[{"client_id":"inner"}]}}"#;
    assert_eq!(client_id_of(frame), None);
    assert_eq!(client_id_of(r#"[{"client_id":"inner"}]"#), None);
}

#[test]
fn a_missing_id_gives_none() {
    let text = big_text();
    assert_eq!(client_id_of(&format!(r#"{{"type":"send","body":{{"kind":"text","text":"{text}"}}}}"#)), None);
    assert_eq!(client_id_of(""), None);
    assert_eq!(client_id_of("not json at all"), None);
    assert_eq!(client_id_of(r#"{"type":"send","client_id""#), None);
    assert_eq!(client_id_of(r#""client_id":"bare""#), None);
}

#[test]
fn an_id_too_long_empty_or_unfinished_gives_none() {
    let longest = "a".repeat(MAX_CLIENT_ID);
    assert_eq!(client_id_of(&format!(r#"{{"client_id":"{longest}"}}"#)), Some(longest.clone()));
    assert_eq!(client_id_of(&format!(r#"{{"client_id":"{longest}a"}}"#)), None);
    // Escapes count by what they decode to: 64 escaped quotes are 64 bytes, 65 are too many.
    assert_eq!(client_id_of(&format!(r#"{{"client_id":"{}"}}"#, r#"\""#.repeat(64))), Some("\"".repeat(64)));
    assert_eq!(client_id_of(&format!(r#"{{"client_id":"{}"}}"#, r#"\""#.repeat(65))), None);
    assert_eq!(client_id_of(r#"{"client_id":""}"#), None);
    assert_eq!(client_id_of(&format!(r#"{{"client_id":"abc{}"#, big_text())), None);
    assert_eq!(client_id_of(r#"{"client_id":"a\x"}"#), None);
    assert_eq!(client_id_of(r#"{"client_id":"a\ud83d"}"#), None);
    assert_eq!(client_id_of("{\"client_id\":\"a\nb\"}"), None);
}

#[test]
fn an_id_that_is_not_a_string_gives_none() {
    for value in ["42", "null", "true", r#"["a"]"#, r#"{"id":"a"}"#, ""] {
        assert_eq!(client_id_of(&format!(r#"{{"type":"send","client_id":{value},"body":{{}}}}"#)), None, "{value}");
    }
    assert_eq!(client_id_of(r#"{"type":"send","client_id" "a"}"#), None);
}

#[test]
fn a_close_is_answered_with_the_clients_code_when_it_may_be_sent() {
    for code in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999] {
        assert_eq!(close_reply(code), code as u16, "{code}");
    }
    for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65_535, 70_000] {
        assert_eq!(close_reply(code), 1000, "{code}");
    }
}
