//! The features used for quotas, their values, the population figures behind them (CBS
//! figures of the kern's areas where they exist) and the quota proposal and checks.

use crate::modules::kern::areas::Area;

/// A feature a civil servant can choose for the quotas. `wijk` takes its values from
/// the municipality's wijken; the others have fixed values.
pub struct FeatureDef {
    pub key: &'static str,
    pub values: &'static [&'static str],
    /// Registrants state it themselves (`wijk` comes from the invitation).
    pub self_reported: bool,
}

pub const FEATURES: &[FeatureDef] = &[
    FeatureDef {
        key: "geslacht",
        values: &["vrouw", "man", "anders"],
        self_reported: true,
    },
    FeatureDef {
        key: "leeftijd",
        values: &["16-24", "25-44", "45-64", "65+"],
        self_reported: true,
    },
    FeatureDef {
        key: "opleiding",
        values: &["laag", "midden", "hoog"],
        self_reported: true,
    },
    FeatureDef {
        key: "wijk",
        values: &[],
        self_reported: false,
    },
    FeatureDef {
        key: "woonsituatie",
        values: &["alleen", "samen", "met-kinderen", "anders"],
        self_reported: true,
    },
    FeatureDef {
        key: "thuistaal",
        values: &["nederlands", "andere"],
        self_reported: true,
    },
];

pub fn def(key: &str) -> Option<&'static FeatureDef> {
    FEATURES.iter().find(|f| f.key == key)
}

/// One proposed quota row.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaRow {
    pub feature: String,
    pub value: String,
    pub label: String,
    pub population: Option<i64>,
    pub min: i64,
    pub max: i64,
}

/// Population per value of a feature from the CBS figures: the gemeente's figure, or
/// the sum over its wijken. `None` where the kern holds no figure.
pub fn population(
    feature: &str,
    gemeente: Option<&Area>,
    wijken: &[Area],
) -> Vec<(String, String, Option<i64>)> {
    let stats = |a: &Area| a.stats();
    let pick = |f: &dyn Fn(&Area) -> Option<Vec<i64>>| -> Option<Vec<i64>> {
        if let Some(v) = gemeente.and_then(f) {
            return Some(v);
        }
        let all: Vec<Vec<i64>> = wijken.iter().filter_map(f).collect();
        if all.is_empty() || all.len() != wijken.len() {
            return None;
        }
        let mut sum = vec![0; all[0].len()];
        for v in all {
            for (s, x) in sum.iter_mut().zip(v) {
                *s += x;
            }
        }
        Some(sum)
    };
    match feature {
        "wijk" => wijken
            .iter()
            .map(|w| {
                (
                    w.code.clone(),
                    w.name.clone(),
                    w.population.or(stats(w).inhabitants),
                )
            })
            .collect(),
        "geslacht" => {
            let v = pick(&|a: &Area| {
                let s = stats(a);
                Some(vec![s.women?, s.men?])
            });
            vec![
                ("vrouw".into(), String::new(), v.as_ref().map(|v| v[0])),
                ("man".into(), String::new(), v.as_ref().map(|v| v[1])),
                ("anders".into(), String::new(), None),
            ]
        }
        "leeftijd" => {
            // CBS bands 15–25, 25–45, 45–65, 65+ stand in for 16–24, 25–44, 45–64, 65+.
            let v = pick(&|a: &Area| stats(a).age_bands.map(|b| b[1..].to_vec()));
            def("leeftijd")
                .map(|d| d.values)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(i, val)| (val.to_string(), String::new(), v.as_ref().map(|v| v[i])))
                .collect()
        }
        "opleiding" => {
            let v = pick(&|a: &Area| stats(a).education.map(|b| b.to_vec()));
            ["laag", "midden", "hoog"]
                .iter()
                .enumerate()
                .map(|(i, val)| (val.to_string(), String::new(), v.as_ref().map(|v| v[i])))
                .collect()
        }
        other => def(other)
            .map(|d| d.values)
            .unwrap_or_default()
            .iter()
            .map(|v| (v.to_string(), String::new(), None))
            .collect(),
    }
}

/// Quotas from population figures: the proportional share of the panel, with a margin
/// of 10% of the share (at least one seat) either way. Values without a figure get
/// `0..=size` until someone enters the population. When no value of the feature has a
/// figure, every value gets `0..=size`.
pub fn propose(
    size: i64,
    values: &[(String, String, Option<i64>)],
    feature: &str,
) -> Vec<QuotaRow> {
    let known: i64 = values.iter().filter_map(|v| v.2).sum();
    values
        .iter()
        .map(|(value, label, pop)| {
            let (min, max) = match pop {
                Some(p) if known > 0 => {
                    let ideal = size as f64 * *p as f64 / known as f64;
                    let slack = (ideal * 0.1).ceil().max(1.0);
                    (
                        ((ideal.floor() - slack).max(0.0)) as i64,
                        ((ideal.ceil() + slack).min(size as f64)) as i64,
                    )
                }
                _ => (0, size),
            };
            QuotaRow {
                feature: feature.to_string(),
                value: value.clone(),
                label: label.clone(),
                population: *pop,
                min,
                max,
            }
        })
        .collect()
}

/// A quota problem: the field it belongs to, a message key and its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaProblem {
    pub field: String,
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

/// Do the quotas add up for a panel of `size`? Per value `min <= max`; per feature the
/// minima at most `size` and the maxima at least `size`.
pub fn check(size: i64, rows: &[QuotaRow], features: &[String]) -> Vec<QuotaProblem> {
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if r.min > r.max {
            out.push(QuotaProblem {
                field: format!("q{i}_min"),
                key: "burgerberaad.quota.err.min_above_max",
                args: vec![
                    ("value", r.value.clone()),
                    ("min", r.min.to_string()),
                    ("max", r.max.to_string()),
                ],
            });
        }
    }
    for f in features {
        let mins: i64 = rows.iter().filter(|r| &r.feature == f).map(|r| r.min).sum();
        let maxs: i64 = rows.iter().filter(|r| &r.feature == f).map(|r| r.max).sum();
        if mins > size {
            out.push(QuotaProblem {
                field: format!("kop-{f}"),
                key: "burgerberaad.quota.err.mins_too_high",
                args: vec![
                    ("feature", f.clone()),
                    ("sum", mins.to_string()),
                    ("size", size.to_string()),
                ],
            });
        }
        if maxs < size {
            out.push(QuotaProblem {
                field: format!("kop-{f}-max"),
                key: "burgerberaad.quota.err.maxs_too_low",
                args: vec![
                    ("feature", f.clone()),
                    ("sum", maxs.to_string()),
                    ("size", size.to_string()),
                ],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proposal_follows_the_population_and_adds_up() {
        let vals = vec![
            ("vrouw".to_string(), String::new(), Some(510)),
            ("man".to_string(), String::new(), Some(490)),
            ("anders".to_string(), String::new(), None),
        ];
        let q = propose(30, &vals, "geslacht");
        assert_eq!((q[0].min, q[0].max), (13, 18));
        assert_eq!((q[1].min, q[1].max), (12, 17));
        assert_eq!((q[2].min, q[2].max), (0, 30));
        assert!(check(30, &q, &["geslacht".into()]).is_empty());
    }

    #[test]
    fn quotas_that_do_not_add_up_are_named() {
        let row = |v: &str, min, max| QuotaRow {
            feature: "leeftijd".into(),
            value: v.into(),
            label: String::new(),
            population: None,
            min,
            max,
        };
        let p = check(10, &[row("a", 6, 5), row("b", 6, 6)], &["leeftijd".into()]);
        let keys: Vec<&str> = p.iter().map(|p| p.key).collect();
        assert_eq!(
            keys,
            vec![
                "burgerberaad.quota.err.min_above_max",
                "burgerberaad.quota.err.mins_too_high"
            ]
        );
        let p = check(10, &[row("a", 0, 3), row("b", 0, 3)], &["leeftijd".into()]);
        assert_eq!(p[0].key, "burgerberaad.quota.err.maxs_too_low");
    }
}
