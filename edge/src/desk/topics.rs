//! Hot questions: the words of a visitor's first message that a report counts. Chinese is cut into
//! words by `jieba-rs` (its dictionary-and-HMM segmenter) over `edge/data/topics-dict.txt`: the
//! words of jieba's own dictionary (MIT) used 200 times or more in its corpus, plus the words of
//! shop service (退货, 尺码, 优惠券, 包邮...) that its corpus rarely has. The whole dictionary
//! (349,000 words, 4.9 MB) would make the Worker 2 MB larger for words no shopper writes; words
//! outside the trimmed one are still found by the HMM. Latin words are lower-cased; stop words,
//! single characters, numbers and order numbers are left out, and a message counts each word once.

use std::cell::OnceCell;

use jieba_rs::Jieba;

/// The segmenter's dictionary: `word frequency` lines.
const DICT: &str = include_str!("../../data/topics-dict.txt");

/// Most characters of a message that are looked at.
const MAX_CHARS: usize = 300;

/// Chinese words too common to be a topic.
const STOP_ZH: &[&str] = &[
    "请问",
    "你好",
    "您好",
    "这个",
    "那个",
    "什么",
    "怎么",
    "怎么样",
    "可以",
    "一下",
    "没有",
    "还是",
    "就是",
    "已经",
    "现在",
    "我们",
    "你们",
    "他们",
    "谢谢",
    "好的",
    "一个",
    "是不是",
    "为什么",
    "有没有",
    "能不能",
    "可不可以",
    "哪里",
    "多少",
    "时候",
    "问题",
    "知道",
    "需要",
    "还有",
    "但是",
    "如果",
    "因为",
    "所以",
    "这款",
    "这件",
    "那款",
    "一点",
    "东西",
    "情况",
    "麻烦",
    "帮忙",
    "帮我",
    "一直",
    "不是",
    "不能",
    "不会",
    "是否",
    "应该",
    "然后",
    "这样",
    "那么",
    "自己",
    "客服",
    "在吗",
    "您们",
    "想要",
    "觉得",
    "怎样",
    "哪个",
    "几天",
    "今天",
    "明天",
    "昨天",
    "收到",
    "看看",
    "一些",
    "这边",
    "那边",
];

/// English words too common to be a topic.
const STOP_EN: &[&str] = &[
    "the", "and", "are", "was", "were", "been", "does", "did", "for", "with", "from", "this", "that", "these", "those",
    "you", "they", "she", "your", "our", "can", "could", "would", "should", "will", "shall", "may", "might", "how",
    "what", "when", "where", "why", "which", "who", "whom", "there", "here", "not", "yes", "hello", "please", "thanks",
    "thank", "okay", "any", "some", "get", "got", "have", "has", "had", "them", "its", "about", "into", "than", "then",
    "just", "also", "very", "much", "more", "most", "still", "want", "need", "does", "doesn", "don", "isn", "it's",
    "i'm", "there", "their", "hey", "all", "one", "but", "out", "too", "now", "know",
];

thread_local! {
    /// The segmenter, made on the first report after the Desk starts (its dictionary is parsed once).
    static JIEBA: OnceCell<Option<Jieba>> = const { OnceCell::new() };
}

/// The topic words of one message, each once, in order of appearance.
pub fn words(text: &str) -> Vec<String> {
    let text: String = text.chars().take(MAX_CHARS).collect();
    JIEBA.with(|cell| {
        let Some(jieba) = cell.get_or_init(|| Jieba::with_dict(&mut DICT.as_bytes()).ok()).as_ref() else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        for token in jieba.cut(&text, true) {
            let Some(word) = topic_word(token.word) else { continue };
            if !out.contains(&word) {
                out.push(word);
            }
        }
        out
    })
}

/// A segment as a topic word, or `None` when it is not one.
fn topic_word(token: &str) -> Option<String> {
    let token = token.trim();
    let chars = token.chars().count();
    if token.chars().any(is_cjk) {
        // A Chinese word: two characters or more, all of them Chinese, and not a stop word.
        return (chars >= 2 && token.chars().all(is_cjk) && !STOP_ZH.contains(&token)).then(|| token.to_string());
    }
    // A Latin word: letters only (an order number, a phone or a size is not a topic).
    let word = token.to_lowercase();
    (chars >= 3 && word.chars().all(|c| c.is_alphabetic() || c == '\'') && !STOP_EN.contains(&word.as_str()))
        .then_some(word)
}

/// Whether a character is a CJK ideograph.
fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_cut_into_words_and_stop_words_are_left_out() {
        assert_eq!(words("请问我想退货，怎么退款？"), ["退货", "退款"]);
        assert_eq!(words("发票抬头怎么写"), ["发票抬头"]);
        assert_eq!(words("这款蓝牙耳机有货吗"), ["蓝牙耳机", "有货"]);
        assert_eq!(words("优惠券用不了，优惠券过期了"), ["优惠券", "过期"]);
    }

    #[test]
    fn english_words_are_lower_cased_and_numbers_are_not_topics() {
        assert_eq!(words("Do you ship to Singapore? Shipping to SINGAPORE"), ["ship", "singapore", "shipping"]);
        assert_eq!(words("订单 A1001 到哪了 13800138000"), ["订单"]);
        assert!(words("").is_empty());
        assert!(words("好的，谢谢！").is_empty());
    }
}
