//! Synthetic pools shaped like Dutch citizens' assemblies, for benchmarks.
//!
//! Categories: gender (2), age (5 bands), education (3 levels), area (4–8 wijken
//! of random size), living situation (3); optionally migration background (3)
//! and housing tenure (2), for 5–7 categories. Population shares are rounded CBS
//! figures for people aged 16+; each candidate is drawn from the population and
//! kept with a probability that skews the pool towards older and
//! higher-educated volunteers (as in real invitation rounds). Quotas are
//! proportional to the population: `floor(share·k) − 1 ..= ceil(share·k) + 1`.

use crate::legacy::SplitMix64;
use crate::model::{Instance, InstanceBuilder};

/// Parameters of a generated pool.
#[derive(Debug, Clone, Copy)]
pub struct DutchPool {
    /// Pool size.
    pub n: usize,
    /// Panel size.
    pub k: usize,
    /// Number of areas (4–8).
    pub areas: usize,
    /// Number of categories (5–7).
    pub categories: usize,
    pub seed: u64,
}

struct Cat {
    name: &'static str,
    values: Vec<(String, f64)>,
    /// relative willingness to volunteer per value
    skew: Vec<f64>,
}

impl DutchPool {
    fn cats(&self, rng: &mut SplitMix64) -> Vec<Cat> {
        let v = |xs: &[(&str, f64)]| xs.iter().map(|(a, b)| (a.to_string(), *b)).collect();
        let mut cats = vec![
            Cat {
                name: "geslacht",
                values: v(&[("man", 0.495), ("vrouw", 0.505)]),
                skew: vec![1.0, 1.0],
            },
            Cat {
                name: "leeftijd",
                values: v(&[
                    ("16-24", 0.14),
                    ("25-34", 0.16),
                    ("35-49", 0.23),
                    ("50-64", 0.25),
                    ("65+", 0.22),
                ]),
                skew: vec![0.45, 0.7, 0.9, 1.3, 1.7],
            },
            Cat {
                name: "opleiding",
                values: v(&[("laag", 0.28), ("middelbaar", 0.38), ("hoog", 0.34)]),
                skew: vec![0.5, 0.9, 1.7],
            },
        ];
        let areas = self.areas.clamp(4, 8);
        let sizes: Vec<f64> = (0..areas)
            .map(|_| 1.0 + (rng.next_u64() % 1000) as f64 / 1000.0)
            .collect();
        let total: f64 = sizes.iter().sum();
        cats.push(Cat {
            name: "wijk",
            values: sizes
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("wijk-{}", i + 1), s / total))
                .collect(),
            skew: (0..areas)
                .map(|i| 0.8 + 0.4 * (i % 3) as f64 / 2.0)
                .collect(),
        });
        cats.push(Cat {
            name: "woonsituatie",
            values: v(&[
                ("alleenstaand", 0.24),
                ("samen-zonder-kinderen", 0.38),
                ("met-kinderen", 0.38),
            ]),
            skew: vec![0.9, 1.1, 1.0],
        });
        if self.categories >= 6 {
            cats.push(Cat {
                name: "migratieachtergrond",
                values: v(&[
                    ("nederland", 0.74),
                    ("europa", 0.10),
                    ("buiten-europa", 0.16),
                ]),
                skew: vec![1.1, 0.9, 0.6],
            });
        }
        if self.categories >= 7 {
            cats.push(Cat {
                name: "woning",
                values: v(&[("koop", 0.58), ("huur", 0.42)]),
                skew: vec![1.2, 0.8],
            });
        }
        cats
    }

    /// Generates the pool and quotas.
    pub fn generate(&self) -> Instance {
        let mut rng = SplitMix64::new(self.seed);
        let cats = self.cats(&mut rng);
        let k = self.k as f64;
        let mut b = InstanceBuilder::new();
        for c in &cats {
            for (name, share) in &c.values {
                let t = share * k;
                let min = (t.floor() as u32).saturating_sub(1);
                let max = (t.ceil() as u32 + 1).min(self.k as u32);
                b.quota(c.name, name, min, max).expect("distinct names");
            }
        }
        let uniform = |rng: &mut SplitMix64| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let max_skew: f64 = cats
            .iter()
            .map(|c| c.skew.iter().copied().fold(0.0, f64::max))
            .product();
        let mut made = 0;
        while made < self.n {
            let mut feats = Vec::with_capacity(cats.len());
            let mut keep = 1.0;
            for c in &cats {
                let mut u = uniform(&mut rng);
                let mut pick = c.values.len() - 1;
                for (i, (_, s)) in c.values.iter().enumerate() {
                    if u < *s {
                        pick = i;
                        break;
                    }
                    u -= s;
                }
                keep *= c.skew[pick];
                feats.push((c.name, c.values[pick].0.as_str()));
            }
            if uniform(&mut rng) < keep / max_skew * 4.0 {
                b.person(&format!("r{made:05}"), &feats, None)
                    .expect("valid person");
                made += 1;
            }
        }
        b.build(self.k).expect("valid instance")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pool_is_skewed_and_quotas_proportional() {
        let inst = DutchPool {
            n: 600,
            k: 60,
            areas: 6,
            categories: 7,
            seed: 1,
        }
        .generate();
        assert_eq!(inst.people.len(), 600);
        assert_eq!(inst.categories.len(), 7);
        assert_eq!(inst.categories[3].values.len(), 6);
        // 65+ (share 0.22) is over-represented, 16-24 (0.14) under-represented.
        let count = |v: usize| inst.people.iter().filter(|p| p.features[1] == v).count();
        assert!(count(4) as f64 > 0.22 * 600.0 * 1.2, "{}", count(4));
        assert!((count(0) as f64) < 0.14 * 600.0 * 0.8, "{}", count(0));
        // Quota of 65+: floor(13.2)-1 ..= ceil(13.2)+1.
        let q = &inst.categories[1].values[4];
        assert_eq!((q.min, q.max), (12, 15));
    }
}
