//! Dutch first, English second. Messages live in `i18n/<lang>/<module>.toml` (flat
//! `key = "text"` tables, keys prefixed by the module: `kern.login.title`). Placeholders are
//! written `{name}`. A missing key renders as `⟦key⟧` so tests can find it.

use std::collections::HashMap;
use std::sync::OnceLock;

include!(concat!(env!("OUT_DIR"), "/catalogs.rs"));

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
pub enum Lang {
    #[default]
    Nl,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "nl" => Some(Lang::Nl),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
    pub fn other(self) -> Lang {
        match self {
            Lang::Nl => Lang::En,
            Lang::En => Lang::Nl,
        }
    }
}

pub struct Catalog {
    nl: HashMap<String, String>,
    en: HashMap<String, String>,
}

fn flatten(prefix: &str, value: &toml::Value, out: &mut HashMap<String, String>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        toml::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

impl Catalog {
    fn load() -> Catalog {
        let mut nl = HashMap::new();
        let mut en = HashMap::new();
        for &(lang, module, text) in CATALOGS {
            let value: toml::Value = toml::from_str(text)
                .unwrap_or_else(|e| panic!("i18n/{lang}/{module}.toml is geen geldige TOML: {e}"));
            let target = if lang == "en" { &mut en } else { &mut nl };
            flatten(module, &value, target);
        }
        Catalog { nl, en }
    }

    pub fn global() -> &'static Catalog {
        static CAT: OnceLock<Catalog> = OnceLock::new();
        CAT.get_or_init(Catalog::load)
    }

    /// The message for `key`, falling back to Dutch, then to a visible marker.
    pub fn get<'a>(&'a self, lang: Lang, key: &str) -> &'a str {
        let primary = match lang {
            Lang::Nl => &self.nl,
            Lang::En => &self.en,
        };
        primary
            .get(key)
            .or_else(|| self.nl.get(key))
            .map(String::as_str)
            .unwrap_or_else(|| {
                tracing::warn!(key, "ontbrekende vertaling");
                leak_marker(key)
            })
    }

    pub fn keys(&self, lang: Lang) -> Vec<&str> {
        let m = match lang {
            Lang::Nl => &self.nl,
            Lang::En => &self.en,
        };
        let mut v: Vec<&str> = m.keys().map(String::as_str).collect();
        v.sort();
        v
    }
}

fn leak_marker(key: &str) -> &'static str {
    static MARKERS: OnceLock<std::sync::Mutex<HashMap<String, &'static str>>> = OnceLock::new();
    let map = MARKERS.get_or_init(Default::default);
    let mut m = map.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(s) = m.get(key) {
        return s;
    }
    let s: &'static str = Box::leak(format!("⟦{key}⟧").into_boxed_str());
    m.insert(key.to_string(), s);
    s
}

/// Translate with placeholders: `tf(lang, "kern.x", &[("naam", "Haarlem")])`.
pub fn tf(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut s = Catalog::global().get(lang, key).to_string();
    for (k, v) in args {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

pub fn t(lang: Lang, key: &str) -> &'static str {
    Catalog::global().get(lang, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_and_english_have_the_same_keys() {
        let c = Catalog::global();
        let nl = c.keys(Lang::Nl);
        let en = c.keys(Lang::En);
        let missing_en: Vec<_> = nl.iter().filter(|k| !en.contains(k)).collect();
        let missing_nl: Vec<_> = en.iter().filter(|k| !nl.contains(k)).collect();
        assert!(missing_en.is_empty(), "missing in English: {missing_en:?}");
        assert!(missing_nl.is_empty(), "missing in Dutch: {missing_nl:?}");
    }

    #[test]
    fn placeholders_are_filled_and_missing_keys_are_marked() {
        assert_eq!(t(Lang::Nl, "kern.does.not.exist"), "⟦kern.does.not.exist⟧");
        let s = tf(Lang::Nl, "kern.welcome", &[("naam", "Haarlem")]);
        assert!(s.contains("Haarlem"), "{s}");
    }
}
