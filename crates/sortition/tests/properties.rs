//! Property tests on small random instances, checked against brute force: all
//! feasible panels are enumerated and the maximin / LEXIMIN optima are computed
//! by a textbook LP formulation over them (one LP per stage and per person),
//! independently of the engine's column generation.

#![allow(clippy::needless_range_loop)]
use microlp::{ComparisonOp, OptimizationDirection, Problem};
use proptest::prelude::*;
use sortition::{Algorithm, Instance, InstanceBuilder, SelectOptions, SortitionError, select};

#[derive(Debug, Clone)]
struct Spec {
    k: usize,
    /// values per category
    sizes: Vec<usize>,
    /// (min, max) per category value
    quotas: Vec<Vec<(u32, u32)>>,
    /// per person: value per category, household
    people: Vec<(Vec<usize>, Option<u8>)>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        2usize..=4,
        prop::collection::vec(2usize..=3, 1..=3),
        4usize..=9,
    )
        .prop_flat_map(|(k, sizes, n)| {
            let quotas = sizes
                .iter()
                .map(|&s| prop::collection::vec((0u32..=2, 0u32..=3), s))
                .collect::<Vec<_>>();
            let person = (
                sizes.iter().map(|&s| 0..s).collect::<Vec<_>>(),
                prop::option::weighted(0.3, 0u8..3),
            );
            (
                Just(k),
                Just(sizes.clone()),
                quotas,
                prop::collection::vec(person, n),
            )
                .prop_map(|(k, sizes, quotas, people)| Spec {
                    k,
                    sizes,
                    quotas: quotas
                        .into_iter()
                        .map(|c| c.into_iter().map(|(a, b)| (a, a + b)).collect())
                        .collect(),
                    people,
                })
        })
}

fn build(s: &Spec) -> Instance {
    let mut b = InstanceBuilder::new();
    for (c, &n) in s.sizes.iter().enumerate() {
        for v in 0..n {
            let (lo, hi) = s.quotas[c][v];
            b.quota(&format!("c{c}"), &format!("v{v}"), lo, hi).unwrap();
        }
    }
    for (i, (vals, hh)) in s.people.iter().enumerate() {
        let f: Vec<(String, String)> = vals
            .iter()
            .enumerate()
            .map(|(c, v)| (format!("c{c}"), format!("v{v}")))
            .collect();
        let h = hh.map(|h| format!("h{h}"));
        b.person(&format!("p{i}"), &f, h.as_deref()).unwrap();
    }
    b.build(s.k).unwrap()
}

fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    fn rec(start: usize, n: usize, k: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in start..n {
            cur.push(i);
            rec(i + 1, n, k, cur, out);
            cur.pop();
        }
    }
    rec(0, n, k, &mut cur, &mut out);
    out
}

/// Maximise `obj` (a person, or `None` for the minimum over `free`) subject to
/// `p_i >= fixed_i` and `p_i >= z` for `free`, with `z` a variable or given.
fn lp(
    panels: &[Vec<usize>],
    n: usize,
    fixed: &[Option<f64>],
    z: Option<f64>,
    obj: Option<usize>,
) -> f64 {
    let mut p = Problem::new(OptimizationDirection::Maximize);
    let zv = p.add_var(
        if obj.is_none() { 1.0 } else { 0.0 },
        (f64::NEG_INFINITY, f64::INFINITY),
    );
    let lam: Vec<_> = panels
        .iter()
        .map(|panel| {
            let c = obj.map_or(0.0, |i| if panel.contains(&i) { 1.0 } else { 0.0 });
            p.add_var(c, (0.0, f64::INFINITY))
        })
        .collect();
    let all: Vec<_> = lam.iter().map(|&v| (v, 1.0)).collect();
    p.add_constraint(all.as_slice(), ComparisonOp::Eq, 1.0);
    if let Some(z) = z {
        p.add_constraint([(zv, 1.0)], ComparisonOp::Eq, z);
    }
    for i in 0..n {
        let mut row: Vec<_> = panels
            .iter()
            .zip(&lam)
            .filter(|(panel, _)| panel.contains(&i))
            .map(|(_, &v)| (v, 1.0))
            .collect();
        match fixed[i] {
            Some(f) => p.add_constraint(row.as_slice(), ComparisonOp::Ge, f),
            None => {
                row.push((zv, -1.0));
                p.add_constraint(row.as_slice(), ComparisonOp::Ge, 0.0)
            }
        }
    }
    p.solve().unwrap().into_solution().unwrap().objective()
}

/// LEXIMIN probabilities by the textbook method over all feasible panels.
fn brute_leximin(panels: &[Vec<usize>], n: usize) -> Vec<f64> {
    let mut fixed: Vec<Option<f64>> = (0..n)
        .map(|i| (!panels.iter().any(|p| p.contains(&i))).then_some(0.0))
        .collect();
    while fixed.iter().any(Option::is_none) {
        let z = lp(panels, n, &fixed, None, None);
        let mut any = false;
        for i in 0..n {
            if fixed[i].is_none() {
                let best = lp(panels, n, &fixed, Some(z - 1e-9), Some(i));
                if best <= z + 1e-7 {
                    fixed[i] = Some(z - 1e-9);
                    any = true;
                }
            }
        }
        assert!(any, "textbook LEXIMIN made no progress");
    }
    fixed.into_iter().map(|f| f.unwrap().max(0.0)).collect()
}

fn relaxation_needed(inst: &Instance, panel: &[usize]) -> u32 {
    let mut total = 0;
    for (c, cat) in inst.categories.iter().enumerate() {
        for (v, val) in cat.values.iter().enumerate() {
            let n = panel
                .iter()
                .filter(|&&i| inst.people[i].features[c] == v)
                .count() as u32;
            total += val.min.saturating_sub(n) + n.saturating_sub(val.max);
        }
    }
    total
}

fn households_ok(inst: &Instance, panel: &[usize]) -> bool {
    let mut seen = std::collections::HashSet::new();
    panel
        .iter()
        .filter_map(|&i| inst.people[i].household.as_deref())
        .all(|h| seen.insert(h))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn engine_matches_brute_force(s in spec()) {
        let inst = build(&s);
        let n = inst.people.len();
        let all = subsets(n, s.k);
        let feasible: Vec<Vec<usize>> =
            all.iter().filter(|p| inst.check_panel(p).is_ok()).cloned().collect();
        let opts = |a| SelectOptions { algorithm: a, seed: 3, lottery_size: 200 };
        if feasible.is_empty() {
            let err = select(&inst, &opts(Algorithm::Leximin), &mut |_| {}, None).unwrap_err();
            let SortitionError::Infeasible(d) = err else { panic!("expected Infeasible, got {err}") };
            let hh_ok: Vec<&Vec<usize>> = all.iter().filter(|p| households_ok(&inst, p)).collect();
            if hh_ok.is_empty() {
                prop_assert!(!d.structural.is_empty());
            } else {
                // The reported relaxation is the smallest one.
                let best = hh_ok.iter().map(|p| relaxation_needed(&inst, p)).min().unwrap();
                let total: u32 = d.relaxations.iter().map(|r| r.from.abs_diff(r.to)).sum();
                prop_assert_eq!(total, best);
                for r in &d.relaxations {
                    prop_assert!(d.conflicting.iter().any(|b| b.category == r.category
                        && b.value == r.value && b.is_min == r.is_min && b.bound == r.from));
                }
                // And it works: with it applied some panel is feasible.
                let mut relaxed = inst.clone();
                for r in &d.relaxations {
                    let c = relaxed.categories.iter_mut().find(|c| c.name == r.category).unwrap();
                    let v = c.values.iter_mut().find(|v| v.name == r.value).unwrap();
                    if r.is_min { v.min = r.to } else { v.max = r.to }
                }
                prop_assert!(all.iter().any(|p| relaxed.check_panel(p).is_ok()));
            }
            return Ok(());
        }
        let coverable: Vec<bool> = (0..n).map(|i| feasible.iter().any(|p| p.contains(&i))).collect();
        let maximin = lp(&feasible, n, &coverable.iter().map(|&c| (!c).then_some(0.0)).collect::<Vec<_>>(), None, None);
        let lex = brute_leximin(&feasible, n);
        for alg in [Algorithm::Leximin, Algorithm::Maximin, Algorithm::Nash, Algorithm::Legacy] {
            let sel = select(&inst, &opts(alg), &mut |_| {}, None).unwrap();
            for p in &sel.lottery.panels {
                prop_assert_eq!(p.len(), s.k);
                prop_assert!(inst.check_panel(p).is_ok(), "{:?}: {:?}", alg, inst.check_panel(p));
            }
            for (p, _) in &sel.distribution {
                prop_assert!(inst.check_panel(p).is_ok());
            }
            prop_assert_eq!(inst.check_panel(&sel.panel), Ok(()));
            let sum: f64 = sel.probabilities.iter().sum();
            prop_assert!((sum - s.k as f64).abs() < 1e-6, "{:?}: sum {}", alg, sum);
            // People on no feasible panel: exactly 0 and reported.
            for i in 0..n {
                if !coverable[i] {
                    prop_assert_eq!(sel.probabilities[i], 0.0);
                    prop_assert!(sel.never_selectable.contains(&i));
                } else {
                    prop_assert!(!sel.never_selectable.contains(&i));
                }
            }
            prop_assert!(sel.lottery.max_deviation <= s.k as f64 / 200.0 + 1e-9,
                "{:?}: lottery deviation {}", alg, sel.lottery.max_deviation);
            if alg == Algorithm::Leximin || alg == Algorithm::Maximin {
                let min = (0..n).filter(|&i| coverable[i]).map(|i| sel.probabilities[i]).fold(1.0, f64::min);
                prop_assert!((min - maximin).abs() < 1e-6, "{:?}: min {} maximin {}", alg, min, maximin);
            }
            if alg == Algorithm::Leximin {
                for i in 0..n {
                    prop_assert!((sel.probabilities[i] - lex[i]).abs() < 1e-6,
                        "person {}: engine {} textbook {}", i, sel.probabilities[i], lex[i]);
                }
            }
        }
    }
}

#[test]
fn replacement_is_deterministic_and_matches_features() {
    let mut b = InstanceBuilder::new();
    b.quota("g", "f", 1, 1).unwrap();
    b.quota("g", "m", 1, 1).unwrap();
    for i in 0..6 {
        let g = if i % 2 == 0 { "f" } else { "m" };
        b.person(&format!("p{i}"), &[("g", g)], None).unwrap();
    }
    let inst = b.build(2).unwrap();
    let r1 = sortition::replacement(&inst, &[0, 1], 0, &[], 11).unwrap();
    let r2 = sortition::replacement(&inst, &[0, 1], 0, &[], 11).unwrap();
    assert_eq!(r1, r2);
    assert!(r1.same_features && [2, 4].contains(&r1.person));
    assert_eq!(r1.candidates, 2);
    let r = sortition::replacement(&inst, &[0, 1], 0, &[2], 11).unwrap();
    assert_eq!(r.person, 4);
    assert!(sortition::replacement(&inst, &[0, 1], 0, &[2, 4], 11).is_err());
    assert!(sortition::replacement(&inst, &[0, 1], 3, &[], 11).is_err());
}
