//! UI text in the OAS official languages, from message files
//! (`crates/web/locales/*.txt`, one `key = text` per line), never from
//! templates. The language is the user's choice (a cookie), else the
//! browser's `Accept-Language`, else English.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The OAS official languages, English first (the fallback).
pub(crate) const LANGUAGES: [&str; 4] = ["en", "es", "pt", "fr"];

const FILES: [(&str, &str); 4] = [
    ("en", include_str!("../../locales/en.txt")),
    ("es", include_str!("../../locales/es.txt")),
    ("pt", include_str!("../../locales/pt.txt")),
    ("fr", include_str!("../../locales/fr.txt")),
];

type Catalogue = BTreeMap<&'static str, BTreeMap<&'static str, &'static str>>;

fn parse(text: &'static str) -> BTreeMap<&'static str, &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| FILES.iter().map(|(l, t)| (*l, parse(t))).collect())
}

/// The messages of one language.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Messages {
    pub(crate) lang: &'static str,
}

impl Messages {
    pub(crate) fn new(lang: &str) -> Self {
        let lang = LANGUAGES
            .iter()
            .copied()
            .find(|l| *l == lang)
            .unwrap_or("en");
        Self { lang }
    }

    /// The text for `key`; English when this language lacks it, the key
    /// itself when no language has it (a test keeps that from happening).
    pub(crate) fn t(&self, key: &str) -> &'static str {
        let all = catalogue();
        all.get(self.lang)
            .and_then(|m| m.get(key))
            .or_else(|| all.get("en").and_then(|m| m.get(key)))
            .copied()
            .unwrap_or("?")
    }
}

/// The language for a request: a supported cookie choice, else the best
/// supported `Accept-Language` entry by quality, else English.
pub(crate) fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Messages {
    if let Some(c) = cookie.filter(|c| LANGUAGES.contains(c)) {
        return Messages::new(c);
    }
    let mut best: Option<(&str, f32)> = None;
    for part in accept_language.unwrap_or_default().split(',') {
        let mut pieces = part.trim().split(';');
        let tag = pieces.next().unwrap_or_default().trim();
        let q = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag
            .split('-')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if let Some(lang) = LANGUAGES.iter().copied().find(|l| *l == primary) {
            if best.is_none_or(|(_, bq)| q > bq) {
                best = Some((lang, q));
            }
        }
    }
    Messages::new(best.map_or("en", |(l, _)| l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_key_and_nothing_else() {
        let all = catalogue();
        let english: Vec<&str> = all["en"].keys().copied().collect();
        for lang in LANGUAGES {
            let keys: Vec<&str> = all[lang].keys().copied().collect();
            assert_eq!(keys, english, "{lang} differs from en");
            assert!(
                all[lang].values().all(|v| !v.is_empty()),
                "{lang} has an empty message"
            );
        }
    }

    #[test]
    fn the_browser_preference_chooses_unless_the_user_did() {
        assert_eq!(negotiate(None, Some("es-MX,es;q=0.9,en;q=0.5")).lang, "es");
        assert_eq!(
            negotiate(None, Some("de-DE,pt-BR;q=0.8,fr;q=0.9")).lang,
            "fr"
        );
        assert_eq!(negotiate(None, Some("de, ja")).lang, "en");
        assert_eq!(negotiate(None, None).lang, "en");
        assert_eq!(negotiate(Some("pt"), Some("es")).lang, "pt");
        assert_eq!(negotiate(Some("xx"), Some("fr")).lang, "fr");
        assert_eq!(Messages::new("es").t("nav.directory"), "Directorio");
        assert_eq!(Messages::new("fr").t("no.such.key"), "?");
    }
}
