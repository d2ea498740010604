//! PostgreSQL's search documents and queries, built by the node rather
//! than by `to_tsvector` and `phraseto_tsquery`: those took about half of
//! the CPU an object's insert cost the database (see BENCHMARKS.md).
//! Documents and queries are split into words by the one function here,
//! [`words`], so they always agree.
//!
//! The words follow SQLite's `unicode61 remove_diacritics 2` tokenizer
//! (migration 0008 there), so both back-ends find the same objects: a word
//! is a run of letters, digits and combining marks; case is folded; and
//! the diacritics of Latin letters are dropped, so `información` and
//! `informacion` are one word. "198.51.100.7" is the phrase 198 51 100 7.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Characters of an object's text that are searched: short identifying
/// fields come first, so the cut falls on long prose.
const MAX_DOCUMENT_CHARS: usize = 100_000;
/// PostgreSQL's limits on a tsvector: a lexeme's bytes (to_tsvector drops
/// longer words), a position, and positions kept per lexeme.
const MAX_LEXEME_BYTES: usize = 2_046;
const MAX_POSITION: u32 = 16_383;
const MAX_POSITIONS_PER_LEXEME: usize = 256;

/// The searched fields of an object, as written: a string, or any other
/// JSON value, which is searched as its JSON text.
#[derive(Deserialize)]
struct Fields<'a> {
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow)]
    title: Option<&'a RawValue>,
    #[serde(borrow)]
    value: Option<&'a RawValue>,
    #[serde(borrow)]
    hashes: Option<&'a RawValue>,
    #[serde(borrow)]
    pattern: Option<&'a RawValue>,
    #[serde(borrow, rename = "abstract")]
    abstract_: Option<&'a RawValue>,
    #[serde(borrow)]
    description: Option<&'a RawValue>,
    #[serde(borrow)]
    content: Option<&'a RawValue>,
}

/// The text searched in an object's raw JSON: its name, title, observable
/// value, hash values, pattern, abstract, description and content, in that
/// order, cut at [`MAX_DOCUMENT_CHARS`]. The same fields as SQLite's
/// `object_search_source` view.
pub(crate) fn searched_text(raw: &str) -> String {
    if let Ok(fields) = serde_json::from_str::<Fields>(raw) {
        return fields.text();
    }
    // A repeated key, which the struct refuses: read as a map, where the
    // last one counts, and written out again without the repeat.
    let Ok(object @ Value::Object(_)) = serde_json::from_str::<Value>(raw) else {
        return String::new();
    };
    let once = object.to_string();
    serde_json::from_str::<Fields>(&once)
        .map(|fields| fields.text())
        .unwrap_or_default()
}

impl Fields<'_> {
    fn text(self) -> String {
        let mut parts: Vec<Cow<str>> = Vec::new();
        for field in [self.name, self.title, self.value] {
            parts.extend(field.and_then(text));
        }
        parts.extend(self.hashes.and_then(hash_values));
        for field in [self.pattern, self.abstract_, self.description, self.content] {
            parts.extend(field.and_then(text));
        }
        cut(parts.join(" "))
    }
}

fn cut(mut text: String) -> String {
    if text.len() <= MAX_DOCUMENT_CHARS {
        return text;
    }
    if let Some((at, _)) = text.char_indices().nth(MAX_DOCUMENT_CHARS) {
        text.truncate(at);
    }
    text
}

/// A field's text: a string's value, nothing for null, else its JSON.
fn text(raw: &RawValue) -> Option<Cow<'_, str>> {
    let json = raw.get();
    match json.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<Cow<str>>(json).ok(),
        _ if json == "null" => None,
        _ => Some(Cow::Borrowed(json)),
    }
}

/// The values of a `hashes` object, in the order written.
fn hash_values(raw: &RawValue) -> Option<Cow<'_, str>> {
    if !raw.get().starts_with('{') {
        return None;
    }
    let InOrder(values) = serde_json::from_str::<InOrder>(raw.get()).ok()?;
    let values: Vec<Cow<str>> = values.into_iter().filter_map(text).collect();
    (!values.is_empty()).then(|| Cow::Owned(values.join(" ")))
}

/// A JSON object's values in the order written (serde_json's map sorts).
struct InOrder<'a>(Vec<&'a RawValue>);

impl<'de> Deserialize<'de> for InOrder<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Values;
        impl<'de> Visitor<'de> for Values {
            type Value = InOrder<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut values = Vec::new();
                while let Some((IgnoredAny, value)) = map.next_entry::<IgnoredAny, &RawValue>()? {
                    values.push(value);
                }
                Ok(InOrder(values))
            }
        }
        deserializer.deserialize_map(Values)
    }
}

/// The words of a text as search sees them, in order.
pub(crate) fn words(text: &str) -> impl Iterator<Item = Cow<'_, str>> + '_ {
    text.split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .map(fold)
        .filter(|w| !w.is_empty())
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// Lower case, without the diacritics of Latin letters.
fn fold(word: &str) -> Cow<'_, str> {
    if word
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return Cow::Borrowed(word);
    }
    let mut out = String::with_capacity(word.len());
    for c in word.chars().flat_map(char::to_lowercase) {
        if c.is_ascii() {
            out.push(c);
        } else if is_latin(c) {
            decompose_canonical(c, |part| {
                if !is_diacritic(part) {
                    out.push(part);
                }
            });
        } else if !is_diacritic(c) {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Latin-1 Supplement to Latin Extended-B, and Latin Extended Additional.
fn is_latin(c: char) -> bool {
    matches!(c, '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}')
}

/// The Combining Diacritical Marks block, which Latin letters decompose to.
fn is_diacritic(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

/// A `tsvector` literal of an object's searched text: each word, with the
/// positions it appears at, as `to_tsvector` would write them.
pub(crate) fn tsvector(raw: &str) -> String {
    let text = searched_text(raw);
    let mut at: Vec<(Cow<str>, u32)> = words(&text)
        .enumerate()
        .filter(|(_, word)| word.len() <= MAX_LEXEME_BYTES)
        .map(|(n, word)| {
            let position = u32::try_from(n + 1).unwrap_or(MAX_POSITION);
            (word, position.min(MAX_POSITION))
        })
        .collect();
    at.sort_unstable();
    at.dedup();
    let mut out = String::with_capacity(text.len() + at.len() * 4);
    let mut previous: Option<&str> = None;
    let mut kept = 0;
    for (word, position) in &at {
        if previous == Some(word.as_ref()) {
            if kept == MAX_POSITIONS_PER_LEXEME {
                continue;
            }
            out.push(',');
        } else {
            if previous.is_some() {
                out.push(' ');
            }
            quote_into(&mut out, word);
            out.push(':');
            previous = Some(word.as_ref());
            kept = 0;
        }
        kept += 1;
        // Writing to a String cannot fail.
        let _ = write!(out, "{position}");
    }
    out
}

/// A `tsquery` literal matching objects that hold every one of `terms`,
/// each as a phrase of its words. `None` if no term has a word.
pub(crate) fn tsquery(terms: &[&str]) -> Option<String> {
    let phrases: Vec<String> = terms
        .iter()
        .filter_map(|term| {
            let words: Vec<String> = words(term)
                .filter(|w| w.len() <= MAX_LEXEME_BYTES)
                .map(|w| {
                    let mut quoted = String::new();
                    quote_into(&mut quoted, &w);
                    quoted
                })
                .collect();
            match words.len() {
                0 => None,
                1 => words.into_iter().next(),
                _ => Some(format!("({})", words.join(" <-> "))),
            }
        })
        .collect();
    (!phrases.is_empty()).then(|| phrases.join(" & "))
}

/// A lexeme in quotes, as tsvector and tsquery literals read it. Words are
/// letters and digits only, but a quote or backslash would be escaped.
fn quote_into(out: &mut String, word: &str) {
    out.push('\'');
    for c in word.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<String> {
        words(text).map(Cow::into_owned).collect()
    }

    #[test]
    fn ascii_punctuation_separates_words() {
        assert_eq!(
            all("[ipv4-addr:value = '198.51.100.7']"),
            ["ipv4", "addr", "value", "198", "51", "100", "7"]
        );
        assert_eq!(all("evil.example"), ["evil", "example"]);
    }

    #[test]
    fn case_and_latin_diacritics_are_folded() {
        assert_eq!(
            all("Información ÉTÉ Ñandú"),
            ["informacion", "ete", "nandu"]
        );
        // Decomposed input folds the same as composed.
        assert_eq!(all("informacio\u{301}n"), ["informacion"]);
        // Other scripts keep their letters.
        assert_eq!(all("Москва 東京"), ["москва", "東京"]);
    }

    #[test]
    fn other_punctuation_and_symbols_separate_words() {
        assert_eq!(all("¡Hola—mundo! «x» €5"), ["hola", "mundo", "x", "5"]);
        assert!(all(" \u{0} \t ").is_empty());
    }

    #[test]
    fn searched_text_takes_the_fields_in_order() {
        let raw = r#"{"type":"file","description":"d","name":"n","hashes":{"SHA-256":"bb","MD5":"aa"},"pattern":null,"value":7}"#;
        assert_eq!(searched_text(raw), "n 7 bb aa d");
    }

    #[test]
    fn escapes_and_repeated_keys_are_read_as_json() {
        assert_eq!(searched_text(r#"{"name":"a\u0000b\"c"}"#), "a\u{0}b\"c");
        assert_eq!(searched_text(r#"{"name":"first","name":"last"}"#), "last");
    }

    #[test]
    fn documents_are_cut_by_characters() {
        let raw = format!(
            r#"{{"description":"{}"}}"#,
            "é".repeat(MAX_DOCUMENT_CHARS + 5)
        );
        assert_eq!(searched_text(&raw).chars().count(), MAX_DOCUMENT_CHARS);
    }

    #[test]
    fn tsvector_lists_positions_per_word() {
        assert_eq!(
            tsvector(r#"{"name":"Evil evil","description":"x.evil"}"#),
            "'evil':1,2,4 'x':3"
        );
        assert_eq!(tsvector(r#"{"type":"x"}"#), "");
    }

    #[test]
    fn tsvector_respects_postgres_limits() {
        let long = "a".repeat(MAX_LEXEME_BYTES + 1);
        let raw = format!(r#"{{"name":"{long} b"}}"#);
        assert_eq!(tsvector(&raw), "'b':2");
        let many = "w ".repeat(20_000);
        let raw = format!(r#"{{"name":"{many}"}}"#);
        let vector = tsvector(&raw);
        assert_eq!(vector.matches(',').count() + 1, MAX_POSITIONS_PER_LEXEME);
    }

    #[test]
    fn tsquery_makes_each_term_a_phrase() {
        assert_eq!(
            tsquery(&["198.51.100.7", "Tunnels"]).unwrap(),
            "('198' <-> '51' <-> '100' <-> '7') & 'tunnels'"
        );
        assert_eq!(tsquery(&["—", "x"]).unwrap(), "'x'");
        assert_eq!(tsquery(&["—"]), None);
    }

    proptest::proptest! {
        /// Each term a person could copy out of a text finds the text: its
        /// words are a run of the text's words, so the phrase matches.
        #[test]
        fn every_term_of_a_text_is_a_phrase_of_it(text in "\\PC{0,60}") {
            let all_words = all(&text);
            for term in text.split_whitespace() {
                let phrase = all(term);
                proptest::prop_assert!(
                    phrase.is_empty()
                        || all_words.windows(phrase.len()).any(|w| w == phrase.as_slice()),
                    "{term:?} in {text:?}"
                );
            }
        }

        /// Any text gives a literal PostgreSQL can read: quoted words with
        /// positions, none longer than its limits.
        #[test]
        fn tsvector_literals_are_well_formed(text in "\\PC{0,80}") {
            let raw = serde_json::json!({ "description": text }).to_string();
            let vector = tsvector(&raw);
            for entry in vector.split(' ').filter(|e| !e.is_empty()) {
                proptest::prop_assert!(entry.starts_with('\''), "{entry}");
                let (word, positions) = entry.rsplit_once(':').expect("positions");
                proptest::prop_assert!(word.len() >= 3 && word.ends_with('\''));
                for p in positions.split(',') {
                    let p: u32 = p.parse().expect("a position");
                    proptest::prop_assert!((1..=MAX_POSITION).contains(&p));
                }
            }
        }
    }

    #[test]
    fn quotes_are_escaped() {
        let mut out = String::new();
        quote_into(&mut out, "a'b\\c");
        assert_eq!(out, r"'a\'b\\c'");
    }
}
