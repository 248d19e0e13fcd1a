//! Raw socket traffic the Desk does not parse: the client id of a frame too large to read as JSON,
//! and the code a client's close is answered with.

use crate::MAX_CLIENT_ID;

/// The top-level `"client_id"` string of a frame, unescaped, read without parsing the frame.
///
/// One pass over the bytes that allocates nothing but the id: it only tracks whether it is inside
/// a string and how deep in brackets, so a `"client_id"` in a message text or in a nested object
/// is never taken for the frame's. The value is read for at most [`MAX_CLIENT_ID`] bytes.
/// `None` when the frame is not an object, has no such key, or its value is not a string of 1 to
/// [`MAX_CLIENT_ID`] bytes (after unescaping), or is not valid JSON as far as it was read.
pub fn client_id_of(frame: &str) -> Option<String> {
    let bytes = frame.as_bytes();
    let mut i = skip_space(bytes, 0);
    if bytes.get(i) != Some(&b'{') {
        return None;
    }
    let mut depth = 0usize;
    // Whether the next string at depth 1 is a key (right after `{` or `,`).
    let mut key_next = false;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'"' => {
                let end = string_end(bytes, i + 1)?;
                if depth == 1 && key_next && &bytes[i + 1..end] == b"client_id" {
                    let colon = skip_space(bytes, end + 1);
                    if bytes.get(colon) != Some(&b':') {
                        return None;
                    }
                    let value = skip_space(bytes, colon + 1);
                    if bytes.get(value) != Some(&b'"') {
                        return None;
                    }
                    return read_string(bytes, value + 1, MAX_CLIENT_ID).filter(|id| !id.is_empty());
                }
                key_next = false;
                i = end;
            }
            b'{' | b'[' => {
                depth += 1;
                key_next = depth == 1;
            }
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return None;
                }
            }
            b',' => key_next = depth == 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The first index at or after `at` that is not JSON whitespace.
fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// The index of the quote that ends the string whose contents start at `at`.
fn string_end(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        match bytes.get(at)? {
            b'"' => return Some(at),
            b'\\' => at += 2,
            _ => at += 1,
        }
    }
}

/// Unescapes the string whose contents start at `at`; `None` once it passes `max` bytes or is not
/// a valid JSON string.
fn read_string(bytes: &[u8], mut at: usize, max: usize) -> Option<String> {
    let mut out = Vec::new();
    loop {
        if out.len() > max {
            return None;
        }
        let byte = *bytes.get(at)?;
        at += 1;
        match byte {
            b'"' => break,
            0..=0x1f => return None,
            b'\\' => {
                let escape = *bytes.get(at)?;
                at += 1;
                let plain = match escape {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'u' => {
                        let (c, next) = unicode_escape(bytes, at)?;
                        at = next;
                        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                        continue;
                    }
                    _ => return None,
                };
                out.push(plain);
            }
            _ => out.push(byte),
        }
    }
    if out.len() > max {
        return None;
    }
    // The frame is a `&str` and escapes decode to whole characters, so this holds UTF-8.
    String::from_utf8(out).ok()
}

/// The character of a `\uXXXX` escape whose hex digits start at `at` (a surrogate pair takes a
/// second escape), and the index after it.
fn unicode_escape(bytes: &[u8], at: usize) -> Option<(char, usize)> {
    let unit = hex4(bytes, at)?;
    if (0xD800..0xDC00).contains(&unit) {
        if bytes.get(at + 4..at + 6)? != b"\\u" {
            return None;
        }
        let low = hex4(bytes, at + 6)?;
        if !(0xDC00..0xE000).contains(&low) {
            return None;
        }
        let c = char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?;
        return Some((c, at + 10));
    }
    Some((char::from_u32(unit)?, at + 4))
}

/// Four hex digits as a number.
fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    let digits = std::str::from_utf8(bytes.get(at..at + 4)?).ok()?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

/// The code to answer a client's close with: the client's own code when it is one that may be sent
/// in a close frame (1000-1003, 1007-1014, 3000-4999), else 1000 (1005, 1006 and 1015 only ever
/// describe a close locally, the rest is reserved).
pub fn close_reply(code: usize) -> u16 {
    match code {
        1000..=1003 | 1007..=1014 | 3000..=4999 => code as u16,
        _ => 1000,
    }
}

#[cfg(test)]
mod tests;
