//! The selection entry point, replacements and summary statistics.

use crate::error::{Result, SortitionError};
use crate::fair::{self, Control, Phase, Progress};
use crate::infeasible;
use crate::legacy::{self, SplitMix64};
use crate::lottery::{self, Lottery, REPLACEMENT_LABEL};
use crate::model::Instance;
use crate::space::PanelSpace;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::AtomicBool;

/// The selection algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Algorithm {
    /// Maximise the lowest selection probability, then the next lowest, ...
    #[default]
    Leximin,
    /// Maximise the lowest selection probability (any optimal distribution).
    Maximin,
    /// Maximise the product of selection probabilities (Nash welfare).
    Nash,
    /// The greedy person-by-person draw, probabilities estimated by repeating it.
    Legacy,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Leximin => "leximin",
            Algorithm::Maximin => "maximin",
            Algorithm::Nash => "nash",
            Algorithm::Legacy => "legacy",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "leximin" => Ok(Algorithm::Leximin),
            "maximin" => Ok(Algorithm::Maximin),
            "nash" => Ok(Algorithm::Nash),
            "legacy" => Ok(Algorithm::Legacy),
            _ => Err(format!(
                "unknown algorithm '{s}' (leximin, maximin, nash, legacy)"
            )),
        }
    }
}

/// Options of [`select`].
#[derive(Debug, Clone)]
pub struct SelectOptions {
    pub algorithm: Algorithm,
    /// Public seed of the final draw.
    pub seed: u64,
    /// Number of panels `m` of the uniform lottery (for Legacy: the number of
    /// draws that estimate the probabilities).
    pub lottery_size: usize,
}

impl Default for SelectOptions {
    fn default() -> Self {
        SelectOptions {
            algorithm: Algorithm::Leximin,
            seed: 0,
            lottery_size: 1000,
        }
    }
}

/// The outcome of [`select`].
#[derive(Debug, Clone)]
pub struct Selection {
    pub algorithm: Algorithm,
    /// Selection probability of each person (index as in the instance) under the
    /// algorithm's distribution (for Legacy: the frequency over the draws).
    pub probabilities: Vec<f64>,
    /// The algorithm's distribution: panels (person indices, ascending) with
    /// their weights. For the fair algorithms people of one type are spread over
    /// the panels as in the lottery; the probabilities above are exact.
    pub distribution: Vec<(Vec<usize>, f64)>,
    /// The uniform lottery the draw picks from.
    pub lottery: Lottery,
    /// The public seed.
    pub seed: u64,
    /// Index of the drawn panel in `lottery.panels`.
    pub drawn: usize,
    /// The drawn panel (person indices, ascending).
    pub panel: Vec<usize>,
    /// People who are on no feasible panel (probability exactly 0).
    pub never_selectable: Vec<usize>,
}

impl Selection {
    pub fn min_probability(&self) -> f64 {
        self.probabilities
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
    }
    /// Summary statistics of the probabilities.
    pub fn stats(&self) -> Stats {
        Stats::of(&self.probabilities)
    }
}

/// Minimum, Gini coefficient and geometric mean of a probability vector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub min: f64,
    pub max: f64,
    pub gini: f64,
    pub geometric_mean: f64,
}

impl Stats {
    pub fn of(p: &[f64]) -> Stats {
        let n = p.len() as f64;
        let min = p.iter().copied().fold(f64::INFINITY, f64::min);
        let max = p.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut s: Vec<f64> = p.to_vec();
        s.sort_by(f64::total_cmp);
        let total: f64 = s.iter().sum();
        // Gini = Σ_i (2i - n + 1) x_(i) / (n Σ x), sorted ascending, 0-based i.
        let gini = if total > 0.0 {
            s.iter()
                .enumerate()
                .map(|(i, x)| (2.0 * i as f64 - n + 1.0) * x)
                .sum::<f64>()
                / (n * total)
        } else {
            0.0
        };
        let geometric_mean = if min > 0.0 {
            (s.iter().map(|x| x.ln()).sum::<f64>() / n).exp()
        } else {
            0.0
        };
        Stats {
            min,
            max,
            gini,
            geometric_mean,
        }
    }
}

/// Selects a panel: computes the fair distribution, rounds it to a uniform
/// lottery of `opts.lottery_size` panels and draws one from `opts.seed`.
///
/// `progress` is called now and then from the calling thread; setting `cancel`
/// makes the call return [`SortitionError::Cancelled`] soon after.
/// Infeasible quotas give [`SortitionError::Infeasible`].
pub fn select(
    inst: &Instance,
    opts: &SelectOptions,
    progress: &mut dyn FnMut(&Progress),
    cancel: Option<&AtomicBool>,
) -> Result<Selection> {
    let mut ctl = Control { progress, cancel };
    let m = opts.lottery_size.max(1);
    if !infeasible::structural(inst).is_empty() {
        return Err(SortitionError::Infeasible(Box::new(infeasible::diagnose(
            inst,
        )?)));
    }
    let space = PanelSpace::new(inst);
    let n = inst.people.len();
    let (probabilities, lottery, distribution) = match opts.algorithm {
        Algorithm::Legacy => {
            if space
                .best_panel(&vec![0.0; space.n_types()], None)?
                .is_none()
            {
                return Err(SortitionError::Infeasible(Box::new(infeasible::diagnose(
                    inst,
                )?)));
            }
            let mut rng = SplitMix64::new(opts.seed ^ 0x6C65_6761_6379);
            let mut panels = Vec::with_capacity(m);
            for i in 0..m {
                ctl.check()?;
                let p = legacy::draw(inst, &mut rng).ok_or_else(|| {
                    SortitionError::Solver("Legacy draw got stuck 200 times".into())
                })?;
                panels.push(p);
                if (i + 1).is_multiple_of(100) {
                    (ctl.progress)(&Progress {
                        phase: Phase::Legacy,
                        panels: i + 1,
                        fixed: 0,
                        people: n,
                        min_probability: 0.0,
                    });
                }
            }
            let mut freq = vec![0.0; n];
            for p in &panels {
                for &i in p {
                    freq[i] += 1.0 / m as f64;
                }
            }
            let lot = lottery::from_panels(panels, &freq);
            let mut dist: Vec<(Vec<usize>, f64)> = Vec::new();
            let mut sorted = lot.panels.clone();
            sorted.sort();
            for p in sorted {
                match dist.last_mut() {
                    Some((q, w)) if *q == p => *w += 1.0 / m as f64,
                    _ => dist.push((p, 1.0 / m as f64)),
                }
            }
            (freq, lot, dist)
        }
        alg => {
            let dist = match alg {
                Algorithm::Nash => fair::nash(&space, &mut ctl)?,
                Algorithm::Maximin => fair::leximin(&space, false, &mut ctl)?,
                _ => fair::leximin(&space, true, &mut ctl)?,
            };
            let Some(dist) = dist else {
                return Err(SortitionError::Infeasible(Box::new(infeasible::diagnose(
                    inst,
                )?)));
            };
            let tp = dist.type_probabilities(&space);
            let probs: Vec<f64> = (0..n).map(|i| tp[space.type_of[i]]).collect();
            (ctl.progress)(&Progress {
                phase: Phase::Lottery,
                panels: dist.panels.len(),
                fixed: n,
                people: n,
                min_probability: probs.iter().copied().fold(1.0, f64::min),
            });
            let ids: Vec<&str> = inst.people.iter().map(|p| p.id.as_str()).collect();
            let order = lottery::seat_order(&space, &ids);
            let lot = lottery::build(&space, &dist, &order, &probs, m);
            let people_dist: Vec<(Vec<usize>, f64)> =
                lottery::expand(&dist, &vec![1; dist.panels.len()], &order)
                    .into_iter()
                    .zip(dist.weights.iter().copied())
                    .collect();
            (probs, lot, people_dist)
        }
    };
    let mut never_selectable: Vec<usize> = (0..n).filter(|&i| probabilities[i] == 0.0).collect();
    if opts.algorithm == Algorithm::Legacy {
        // A frequency of 0 is only an estimate: keep those on no feasible panel.
        let zero = vec![0.0; space.n_types()];
        let mut keep = Vec::new();
        for i in never_selectable {
            if space.best_panel(&zero, Some(space.type_of[i]))?.is_none() {
                keep.push(i);
            }
        }
        never_selectable = keep;
    }
    let drawn = lottery::draw_index(opts.seed, lottery.panels.len());
    let panel = lottery.panels[drawn].clone();
    debug_assert!(inst.check_panel(&panel).is_ok());
    Ok(Selection {
        algorithm: opts.algorithm,
        probabilities,
        distribution,
        panel,
        drawn,
        seed: opts.seed,
        lottery,
        never_selectable,
    })
}

/// A replacement for a member who withdrew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    /// The person drawn (index in the instance).
    pub person: usize,
    /// `true`: same value in every category as the withdrawn member. `false`: no
    /// such person was left; the replacement keeps every quota instead.
    pub same_features: bool,
    /// How many people were eligible for the draw.
    pub candidates: usize,
}

/// Draws a replacement for `withdrawn` (a member of `panel`) from the people not
/// on the panel and not in `unavailable` (e.g. people who declined before),
/// deterministically from `seed` (SHA-256 with the label
/// [`crate::lottery::REPLACEMENT_LABEL`] over the eligible people in index
/// order). Someone with exactly the same features is preferred; if nobody is
/// left, anyone whose entry keeps the panel within every quota. People sharing a
/// household with a remaining member are not eligible.
pub fn replacement(
    inst: &Instance,
    panel: &[usize],
    withdrawn: usize,
    unavailable: &[usize],
    seed: u64,
) -> Result<Replacement> {
    if !panel.contains(&withdrawn) {
        return Err(SortitionError::Replacement(format!(
            "person {} is not on the panel",
            inst.people.get(withdrawn).map_or("?", |p| p.id.as_str())
        )));
    }
    let rest: Vec<usize> = panel.iter().copied().filter(|&i| i != withdrawn).collect();
    let households: std::collections::HashSet<&str> = rest
        .iter()
        .filter_map(|&i| inst.people[i].household.as_deref())
        .collect();
    let eligible: Vec<usize> = (0..inst.people.len())
        .filter(|i| !panel.contains(i) && !unavailable.contains(i))
        .filter(|&i| {
            inst.people[i]
                .household
                .as_deref()
                .is_none_or(|h| !households.contains(h))
        })
        .collect();
    let target = &inst.people[withdrawn].features;
    let same: Vec<usize> = eligible
        .iter()
        .copied()
        .filter(|&i| &inst.people[i].features == target)
        .collect();
    let (pool, same_features) = if same.is_empty() {
        let keeps: Vec<usize> = eligible
            .into_iter()
            .filter(|&i| {
                let mut p = rest.clone();
                p.push(i);
                inst.check_panel(&p).is_ok()
            })
            .collect();
        (keeps, false)
    } else {
        (same, true)
    };
    if pool.is_empty() {
        return Err(SortitionError::Replacement(
            "nobody left who keeps the panel within the quotas".into(),
        ));
    }
    let person = pool[lottery::draw_index_with(REPLACEMENT_LABEL, seed, pool.len())];
    Ok(Replacement {
        person,
        same_features,
        candidates: pool.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_are_right() {
        let s = Stats::of(&[0.5, 0.5]);
        assert_eq!(s.gini, 0.0);
        assert!((s.geometric_mean - 0.5).abs() < 1e-12);
        let s = Stats::of(&[0.0, 1.0]);
        assert!((s.gini - 0.5).abs() < 1e-12);
        assert_eq!(s.geometric_mean, 0.0);
        assert_eq!(s.min, 0.0);
        let s = Stats::of(&[0.1, 0.2, 0.4]);
        assert!((s.geometric_mean - 0.2).abs() < 1e-12);
        // Mean absolute difference / (2 mean): (0.1+0.3+0.2)*2/9 / (2*0.7/3)
        assert!((s.gini - (1.2 / 9.0) / (1.4 / 3.0)).abs() < 1e-12);
    }
}
