//! Searching a site's conversations from the workbench: what an agent asks ([`SearchQuery`]),
//! what comes back ([`SearchHit`]), and how message text is cut into the words the Desk's
//! full-text index holds ([`index_words`], [`match_expression`]). Both halves of the word rule live
//! here, so what is indexed and what is asked are cut the same way.
//!
//! Chinese (and Japanese, Korean) text has no spaces between words, and a search for 退货 must
//! find 我要退货. The index therefore holds every such character as a word of its own, and a
//! query's characters become a phrase: words in sequence, which is exactly a substring of the
//! text. Latin words and numbers stay whole words (an order number `A1001`, a phone number), and
//! the last word of a query also matches as a prefix (`blue sh` finds `blue shoes`).

use serde::{Deserialize, Serialize};

use crate::Channel;

/// Most characters of a query's text.
pub const MAX_QUERY_CHARS: usize = 100;

/// Most hits one search answers (the newest conversations first); `offset` pages on.
pub const SEARCH_PAGE: u32 = 50;

/// Most characters of a hit's snippet.
pub const SNIPPET_CHARS: usize = 80;

/// What an agent searches for: text (in messages, the visitor's name or phone) and filters. An
/// empty text with no filter lists the newest conversations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchQuery {
    /// Words to find in messages, or part of the visitor's name or phone.
    pub text: String,
    /// Only conversations this agent held last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Only conversations started at or after this time (unix ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_ms: Option<u64>,
    /// Only conversations started before this time (unix ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_ms: Option<u64>,
    /// Only this channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// Only this web plugin (its id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// Only conversations rated with this score (1-5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    /// Skip this many hits (paging).
    pub offset: u32,
    /// The console's number for this search, sent back with its hits (a newer search wins).
    pub n: u32,
}

/// One conversation a search found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchHit {
    /// Conversation id (the console opens its transcript, read-only unless the agent holds it).
    pub conversation_id: String,
    /// Name shown for the visitor.
    pub visitor_name: String,
    /// `open` or `closed`.
    pub status: String,
    /// When it started, unix ms.
    pub created_ms: u64,
    /// The agent who held it last (id), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The channel it came through.
    pub channel: Channel,
    /// Its rating, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<u8>,
    /// The newest message that matched, around the match (empty when the name or phone matched).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub snippet: String,
}

/// Whether a character is written without spaces between words (CJK ideographs, kana, Hangul):
/// each is a word of its own in the index.
fn is_unspaced(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF          // Hiragana, Katakana
        | 0x3400..=0x4DBF        // CJK Extension A
        | 0x4E00..=0x9FFF        // CJK Unified Ideographs
        | 0xAC00..=0xD7AF        // Hangul syllables
        | 0xF900..=0xFAFF        // CJK Compatibility Ideographs
        | 0x20000..=0x3134F      // CJK Extensions B-G
    )
}

/// The words of `text` as the index holds them, separated by spaces: each CJK character alone,
/// other letters and digits in runs, everything else a separator.
#[must_use]
pub fn index_words(text: &str) -> String {
    words(text).join(" ")
}

fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut run = String::new();
    for c in text.chars() {
        if is_unspaced(c) {
            if !run.is_empty() {
                out.push(std::mem::take(&mut run));
            }
            out.push(c.to_string());
        } else if c.is_alphanumeric() {
            run.extend(c.to_lowercase());
        } else if !run.is_empty() {
            out.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

/// The full-text query for what an agent typed, or `None` when it holds no word: each
/// space-separated term is a phrase of its words (all terms must match), the last word of the last
/// term a prefix unless it is a CJK character. Only letters and digits reach the expression, so
/// nothing a user types is read as query syntax.
#[must_use]
pub fn match_expression(text: &str) -> Option<String> {
    let terms: Vec<Vec<String>> = text.split_whitespace().map(words).filter(|w| !w.is_empty()).collect();
    let last = terms.len().checked_sub(1)?;
    let phrases: Vec<String> = terms
        .iter()
        .enumerate()
        .map(|(i, words)| {
            let prefix = i == last && words.last().is_some_and(|w| !w.chars().all(is_unspaced));
            format!("\"{}\"{}", words.join(" "), if prefix { " *" } else { "" })
        })
        .collect();
    Some(phrases.join(" AND "))
}

/// A one-line piece of `text` around the first place one of the query's terms occurs (the start
/// when none does), at most [`SNIPPET_CHARS`] characters, with `…` where it was cut.
#[must_use]
pub fn snippet(text: &str, query: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars: Vec<char> = line.chars().collect();
    let lower: Vec<char> = line.to_lowercase().chars().collect();
    let found = query
        .split_whitespace()
        .filter_map(|term| {
            let term: Vec<char> = term.to_lowercase().chars().collect();
            (!term.is_empty() && lower.len() == chars.len())
                .then(|| lower.windows(term.len()).position(|w| w == term.as_slice()))
                .flatten()
        })
        .min()
        .unwrap_or(0);
    let start = found.saturating_sub(SNIPPET_CHARS / 3);
    let end = (start + SNIPPET_CHARS).min(chars.len());
    let start = end.saturating_sub(SNIPPET_CHARS).min(start);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(&chars[start..end]);
    if end < chars.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_indexed_a_character_at_a_word_and_latin_by_words() {
        assert_eq!(index_words("我要退货，订单A1001号！Blue Shoes"), "我 要 退 货 订 单 a1001 号 blue shoes");
        assert_eq!(index_words("  "), "");
        assert_eq!(index_words("電話 13800000006"), "電 話 13800000006");
    }

    #[test]
    fn a_query_is_phrases_of_its_words_and_never_syntax() {
        assert_eq!(match_expression("退货").as_deref(), Some("\"退 货\""));
        assert_eq!(match_expression("耳机 blue sh").as_deref(), Some("\"耳 机\" AND \"blue\" AND \"sh\" *"));
        assert_eq!(match_expression("A1001").as_deref(), Some("\"a1001\" *"));
        // Quotes, operators and stars are separators, not syntax.
        assert_eq!(match_expression("\"x\" OR y*").as_deref(), Some("\"x\" AND \"or\" AND \"y\" *"));
        assert_eq!(match_expression(" ，。!? ").as_deref(), None);
        assert_eq!(match_expression("").as_deref(), None);
    }

    #[test]
    fn a_snippet_is_one_line_around_the_match() {
        let text = format!("{}\n我想问一下退货怎么办理\n{}", "前面的话".repeat(20), "后面".repeat(40));
        let cut = snippet(&text, "退货");
        assert!(cut.starts_with('…') && cut.ends_with('…'), "{cut}");
        assert!(cut.contains("我想问一下退货怎么办理"), "{cut}");
        assert!(cut.chars().count() <= SNIPPET_CHARS + 2);
        assert_eq!(snippet("短消息", "没有"), "短消息");
        assert_eq!(snippet("Blue SHOES here", "shoes"), "Blue SHOES here");
    }
}
