//! Native tests of the Worker's upload checks: content sniffing, stored names, and the streaming
//! UTF-8 check.

use super::*;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF";
const WEBP: &[u8] = b"RIFF\x24\0\0\0WEBPVP8 ";
const ZIP: &[u8] = b"PK\x03\x04\x14\0\0\0";

#[test]
fn the_first_bytes_decide_the_type() {
    let kind = |head: &[u8], ext: &str| sniff(head, ext, true).map(|s| (s.kind, s.content_type));
    assert_eq!(kind(PNG, "png"), Some((UploadKind::Image, "image/png")));
    assert_eq!(kind(JPEG, ""), Some((UploadKind::Image, "image/jpeg")));
    assert_eq!(kind(b"GIF89a\x01\0", "gif"), Some((UploadKind::Image, "image/gif")));
    assert_eq!(kind(WEBP, "webp"), Some((UploadKind::Image, "image/webp")));
    assert_eq!(kind(b"RIFF\x24\0\0\0WAVEfmt ", "webp"), None, "a RIFF that is not WebP");
    assert_eq!(kind(b"%PDF-1.7\n", "pdf"), Some((UploadKind::File, "application/pdf")));
    assert_eq!(kind(ZIP, "zip"), Some((UploadKind::File, "application/zip")));
    assert_eq!(
        kind(ZIP, "docx"),
        Some((UploadKind::File, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))
    );
    assert_eq!(kind("你好，订单 A1001\n".as_bytes(), "txt"), Some((UploadKind::File, "text/plain; charset=utf-8")));
}

#[test]
fn markup_binary_and_broken_text_are_refused() {
    for (head, why) in [
        (&b"<svg xmlns='http://www.w3.org/2000/svg'/>"[..], "SVG"),
        (b"  \n<html><script>alert(1)</script>", "HTML after blanks"),
        (b"\xef\xbb\xbf<?xml version='1.0'?>", "XML after a BOM"),
        (b"MZ\x90\0\x03\0\0\0", "an executable"),
        (b"text with a \0 NUL", "a NUL"),
        (b"caf\xe9 latin-1", "not UTF-8"),
        (b"", "nothing"),
    ] {
        assert!(sniff(head, "txt", true).is_none(), "{why} passed as {:?}", sniff(head, "txt", true));
    }
    // A head cut inside a character is text, unless it is the whole body.
    let cut = &"订单".as_bytes()[..4];
    assert!(sniff(cut, "txt", false).is_some());
    assert!(sniff(cut, "txt", true).is_none());
}

#[test]
fn a_name_that_claims_another_known_type_is_refused_others_get_the_real_extension() {
    let png = sniff(PNG, "png", true).expect("png");
    let text = sniff(b"plain", "txt", true).expect("text");
    assert_eq!(name_for("photo.png", &png).ok().as_deref(), Some("photo.png"));
    assert_eq!(name_for("photo.JPG", &png).ok().as_deref(), Some("photo.JPG"), "an image named as another image");
    assert!(matches!(name_for("invoice.pdf", &png), Err(EdgeError::UnsupportedType)));
    assert!(matches!(name_for("report.docx", &text), Err(EdgeError::UnsupportedType)));
    assert_eq!(name_for("notes", &text).ok().as_deref(), Some("notes.txt"));
    assert_eq!(name_for("run.sh", &text).ok().as_deref(), Some("run.sh.txt"));
    assert_eq!(name_for("", &png).ok().as_deref(), Some("upload.png"));
}

#[test]
fn names_lose_directories_control_characters_and_excess_length() {
    assert_eq!(clean_name("../../etc/passwd"), "passwd");
    assert_eq!(clean_name("C:\\Users\\amy\\订单.pdf"), "订单.pdf");
    assert_eq!(clean_name("a\u{0}b\r\nc.txt"), "abc.txt");
    assert_eq!(clean_name("...hidden"), "hidden");
    let long = format!("{}.pdf", "长".repeat(300));
    let cleaned = clean_name(&long);
    assert_eq!(cleaned.chars().count(), MAX_NAME_CHARS);
    assert!(cleaned.ends_with(".pdf"), "{cleaned}");
}

#[test]
fn the_streaming_utf8_check_accepts_characters_split_across_chunks() {
    let text = "价格 ¥199，已发货 ✓ 🎉".as_bytes();
    for split in 1..text.len() {
        let mut check = Utf8Check::default();
        let (a, b) = text.split_at(split);
        assert!(check.feed(a) && check.feed(b) && check.finish(), "split at {split}");
    }
    // Byte by byte, too.
    let mut check = Utf8Check::default();
    assert!(text.chunks(1).all(|c| check.feed(c)) && check.finish());
}

#[test]
fn the_streaming_utf8_check_refuses_bad_bytes_nuls_and_a_cut_last_character() {
    let mut check = Utf8Check::default();
    assert!(check.feed(b"fine so far "));
    assert!(!check.feed(b"then \xff"), "an invalid byte");
    let mut check = Utf8Check::default();
    assert!(!check.feed(b"a NUL \0 inside"));
    let mut check = Utf8Check::default();
    assert!(check.feed(&"订".as_bytes()[..2]), "half a character may wait for the next chunk");
    assert!(!check.finish(), "but the body may not end there");
    let mut check = Utf8Check::default();
    assert!(check.feed(&"订".as_bytes()[..2]));
    assert!(!check.feed(b"x"), "a character cut by an ASCII byte");
}
