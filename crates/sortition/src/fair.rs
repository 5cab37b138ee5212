//! Fair distributions over panels: maximin, LEXIMIN and Nash welfare by column
//! generation (Flanigan, Gölz, Gupta, Hennig, Procaccia, Nature 2021).
//!
//! All work is at type level (see [`crate::space`]). A distribution is a list of
//! type panels with weights summing to 1; the selection probability of a person of
//! type `t` is `sum_P w_P * count_P[t] / n_t`.
//!
//! **Maximin stage.** Over the panels found so far, the LP
//! `max z  s.t.  Σ_P w_P = 1,  Σ_P w_P·count_P[t]/n_t ≥ z (t unfixed),
//! ≥ f_t (t fixed),  w ≥ 0` is solved by our primal simplex
//! ([`crate::simplex`]); its simplex multipliers are the dual of the paper:
//! prices `y_t ≥ 0` with `Σ_{t unfixed} y_t = 1` and a cap `ŷ` (the multiplier of
//! `Σ w = 1`) such that no panel in the LP has `Σ_t count_P[t]·y_t/n_t > ŷ`. The
//! pricing integer program then looks for a feasible panel above the cap (a
//! violated dual constraint); it enters the LP as a new column, and the LP is
//! re-solved from its current basis, until none exists. To need fewer rounds,
//! each round adds a batch of panels: after the best panel, twenty more, each
//! the previous one improved by local search (swapping people while keeping
//! every quota) under prices lowered for the people just covered, which
//! spreads the batch over many people. The best panel itself comes from that
//! local search when it finds one clearly above the cap (for at most five
//! rounds in a row), else from the integer program: first solved to within
//! 0.1% of its optimum (a panel above the cap is all a round needs), and to
//! optimality when that finds none, which decides that the stage is done.
//! Then `y` is an optimal
//! dual of the full problem, and by complementary slackness every unfixed type
//! with `y_t > 0` has probability exactly the optimum in every optimal
//! distribution: those types are fixed.
//! **LEXIMIN** repeats stages until every type is fixed, **maximin** stops after
//! the first. The last stage's LP solution gives the weights.
//!
//! **Nash welfare** (maximise `Σ_i log p_i`) uses the same pricing with weights
//! `1/p_t`; the weights over the panels found are optimised by the multiplicative
//! (EM) update `w_P ← w_P · (1/n) Σ_t count_P[t]/p_t`, which keeps `Σ w = 1` and
//! increases the objective monotonically.

use crate::error::{Result, SortitionError};
use crate::pricing::Pricer;
use crate::simplex::{Column, Lp, START_TOL, is_singular};
use crate::space::{PanelSpace, TypePanel};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

/// What the engine is doing, for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Finding a first, diverse set of panels.
    InitialPanels,
    /// Checking who can be on any panel at all.
    Coverage,
    /// A maximin/LEXIMIN stage (column generation).
    Stage,
    /// Nash welfare iterations.
    Nash,
    /// Legacy draws.
    Legacy,
    /// Building the uniform lottery.
    Lottery,
}

/// A progress report. `fixed` people have their final probability (LEXIMIN);
/// `min_probability` is the best minimum established so far.
#[derive(Debug, Clone)]
pub struct Progress {
    pub phase: Phase,
    pub panels: usize,
    pub fixed: usize,
    pub people: usize,
    pub min_probability: f64,
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?}: {} panels, {}/{} people fixed, minimum {:.6}",
            self.phase, self.panels, self.fixed, self.people, self.min_probability
        )
    }
}

/// Progress callback and cancel flag, passed down by the algorithms.
pub struct Control<'a> {
    pub progress: &'a mut dyn FnMut(&Progress),
    pub cancel: Option<&'a AtomicBool>,
}

impl Control<'_> {
    pub fn check(&self) -> Result<()> {
        match self.cancel {
            Some(c) if c.load(Ordering::Relaxed) => Err(SortitionError::Cancelled),
            _ => Ok(()),
        }
    }
}

/// A distribution over type panels.
#[derive(Debug, Clone)]
pub(crate) struct TypeDistribution {
    pub panels: Vec<TypePanel>,
    pub weights: Vec<f64>,
}

impl TypeDistribution {
    /// Selection probability per type.
    pub fn type_probabilities(&self, space: &PanelSpace) -> Vec<f64> {
        let mut p = vec![0.0; space.n_types()];
        for (panel, &w) in self.panels.iter().zip(&self.weights) {
            for &(t, c) in panel {
                p[t] += w * c as f64;
            }
        }
        for (t, x) in p.iter_mut().enumerate() {
            *x /= space.size(t) as f64;
        }
        p
    }
}

/// Tolerance for "a panel violates the dual constraint".
const PRICE_EPS: f64 = 1e-7;
/// Dual prices above this count as positive (the type is tight). The
/// interior-point prices of types that are not tight are of the order of the
/// solver's tolerance (1e-10).
const DUAL_EPS: f64 = 1e-6;
/// Extra panels per pricing round (see [`Engine::stage`]).
const EXTRA_PANELS: usize = 20;
/// Panels of the current solution the pricing local search starts from.
const HEURISTIC_STARTS: usize = 1;
/// The LP of a stage keeps at most about this many panels per row.
const PRUNE_AT: usize = 3;
/// Most pricing rounds in a row without the exact integer program.
const MAX_HEURISTIC_STREAK: usize = 5;
/// Relative gap of the first integer program of a pricing round.
const EXACT_GAP: f64 = 1e-3;
/// A warm-start basis whose pivot element (from the previous stage's basis
/// inverse) is below this is singular: those seen are below 1e-11, the
/// others above 1e-3.
const SINGULAR_PIVOT: f64 = 1e-10;
/// A fixed type is held at its stage optimum minus this, so that round-off in
/// the stage optimum can never make a later stage infeasible.
const FIX_SLACK: f64 = 0.0;
/// A stage's final basic solution that misses its constraints by more than
/// this in some row is recomputed from scratch (once, at the stage's end).
const REFRESH_TOL: f64 = 1e-7;

/// Panels found so far, deduplicated.
pub(crate) struct PanelSet {
    pub panels: Vec<TypePanel>,
    seen: HashMap<TypePanel, usize>,
}

impl PanelSet {
    pub fn new() -> Self {
        PanelSet {
            panels: Vec::new(),
            seen: HashMap::new(),
        }
    }
    /// Adds a panel; false if it was there already.
    pub fn add(&mut self, p: TypePanel) -> bool {
        self.insert(p).1
    }
    /// Index of the panel, added if new (then `true`).
    pub fn insert(&mut self, p: TypePanel) -> (usize, bool) {
        if let Some(&j) = self.seen.get(&p) {
            return (j, false);
        }
        self.seen.insert(p.clone(), self.panels.len());
        self.panels.push(p);
        (self.panels.len() - 1, true)
    }
}

/// The result of one maximin stage.
pub(crate) struct StageSolution {
    /// Optimal minimum over unfixed types.
    pub z: f64,
    /// Dual price per type (0 for inactive types).
    pub y: Vec<f64>,
    /// Weight per panel of the panel set.
    pub w: Vec<f64>,
}

/// Column generation state shared by maximin, LEXIMIN and Nash.
pub(crate) struct Engine<'s> {
    pub space: &'s PanelSpace,
    pub set: PanelSet,
    /// Types that are on some feasible panel.
    pub active: Vec<bool>,
    /// Mixtures of panels used as columns (each a previous stage's solution).
    mixes: Vec<Vec<(usize, f64)>>,
    /// The optimal basis of the previous stage, to start the next one from.
    last_basis: Option<Vec<Key>>,
    /// The previous stage's final LP, to test warm-start bases cheaply.
    last_lp: Option<Lp>,
    /// Heuristic pricing (local search, extra panels per round). Without it
    /// every round adds the one panel of the exact integer program: slower,
    /// same result; the tests compare the two.
    pub heuristics: bool,
    /// The exact pricing program, kept between rounds and stages (`None`:
    /// too many rows for it, or switched off; `microlp` solves every
    /// program then).
    pricer: Option<Pricer>,
}

/// A panel within the relative `gap` of the heaviest under `w` if some
/// panel weighs more than `above`, else none (or a panel at most `above`).
/// Our [`Pricer`], or `microlp` where that is not available or gives up.
fn price_panel(
    space: &PanelSpace,
    pricer: Option<&mut Pricer>,
    w: &[f64],
    above: f64,
    gap: f64,
    node_limit: Option<usize>,
) -> Result<Option<TypePanel>> {
    if let Some(pricer) = pricer
        && let Ok(p) = pricer.best_above(space, w, above, gap, node_limit)
    {
        return Ok(p);
    }
    // Within the gap first: any panel above `above` will do, and that search
    // is about twice as fast. Only a result at or below it needs the search
    // to optimality, which proves that no panel is above.
    let p = space.best_panel_gap(w, None, gap, node_limit.map(|l| l as u64))?;
    if p.as_ref().is_some_and(|p| PanelSpace::value(p, w) > above) {
        return Ok(p);
    }
    space.best_panel(w, None)
}

/// Identifies an LP column across stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Z,
    Slack(usize),
    Mix(usize),
    Panel(usize),
}

impl<'s> Engine<'s> {
    /// Finds initial panels by multiplicative weights and establishes which types
    /// can be on a feasible panel at all. `Ok(None)`: no feasible panel exists.
    pub fn start(space: &'s PanelSpace, ctl: &mut Control) -> Result<Option<Self>> {
        let nt = space.n_types();
        let mut set = PanelSet::new();
        let mut covered = vec![false; nt];
        let mut w = vec![1.0; nt];
        let rounds = nt.clamp(4, 20);
        let mut pricer = Pricer::new(space);
        for r in 0..rounds {
            ctl.check()?;
            // Any good panel will do here (within 0.1% of the heaviest, or
            // the best after 300 nodes). The weights are made distinct by a
            // fixed relative perturbation below 1e-4: many equal weights
            // make the pricing program dual degenerate, and the dual simplex
            // then stalled.
            let wp: Vec<f64> = w
                .iter()
                .enumerate()
                .map(|(t, &x)| x * (1.0 + 1e-7 * (t.wrapping_mul(2_654_435_761) % 1000) as f64))
                .collect();
            let p = price_panel(
                space,
                pricer.as_mut(),
                &wp,
                f64::NEG_INFINITY,
                EXACT_GAP,
                Some(300),
            )?;
            let Some(p) = p else {
                if r == 0 {
                    return Ok(None);
                }
                break;
            };
            for &(t, c) in &p {
                covered[t] = true;
                w[t] *= 0.8f64.powf(c as f64 / space.size(t) as f64);
            }
            let total: f64 = w.iter().sum();
            for x in &mut w {
                *x *= nt as f64 / total;
            }
            set.add(p);
            if r.is_multiple_of(10) {
                (ctl.progress)(&Progress {
                    phase: Phase::InitialPanels,
                    panels: set.panels.len(),
                    fixed: 0,
                    people: space.type_of.len(),
                    min_probability: 0.0,
                });
            }
        }
        // Every type not yet on a panel: is there a feasible panel with it?
        let mut active = vec![true; nt];
        for t in 0..nt {
            if covered[t] {
                continue;
            }
            ctl.check()?;
            let mut w = vec![0.0; nt];
            // Prefer also other uncovered types, to cover several at once.
            for u in 0..nt {
                if !covered[u] {
                    w[u] = 1.0;
                }
            }
            match space.best_panel(&w, Some(t))? {
                Some(p) => {
                    for &(u, _) in &p {
                        covered[u] = true;
                    }
                    set.add(p);
                }
                None => active[t] = false,
            }
        }
        (ctl.progress)(&Progress {
            phase: Phase::Coverage,
            panels: set.panels.len(),
            fixed: 0,
            people: space.type_of.len(),
            min_probability: 0.0,
        });
        Ok(Some(Engine {
            space,
            set,
            active,
            mixes: Vec::new(),
            last_basis: None,
            last_lp: None,
            heuristics: true,
            pricer,
        }))
    }

    fn people_in(&self, types: impl Iterator<Item = usize>) -> usize {
        types.map(|t| self.space.members[t].len()).sum()
    }

    /// One maximin stage given `fixed[t] = Some(f_t)`: column generation with
    /// the stage LP solved by the warm-started primal simplex
    /// ([`crate::simplex`]). `start` is a distribution feasible for the fixed
    /// types (the previous stage's); it enters the LP as one extra column, which
    /// gives a feasible first basis when the previous stage's optimal basis
    /// cannot be reused. Returns the optimum over the panels found; its prices
    /// are an optimal dual of the full problem (no feasible panel violates them
    /// by more than `PRICE_EPS`).
    pub fn stage(
        &mut self,
        fixed: &[Option<f64>],
        start: &[(usize, f64)],
        ctl: &mut Control,
    ) -> Result<StageSolution> {
        let sp = self.space;
        let nt = sp.n_types();
        let n_fixed_people = self.people_in((0..nt).filter(|&t| fixed[t].is_some()));
        let mut row_of = vec![usize::MAX; nt];
        let mut types = Vec::new();
        for t in 0..nt {
            if self.active[t] {
                row_of[t] = types.len() + 1;
                types.push(t);
            }
        }
        let m = types.len() + 1;
        let panel_col = |p: &TypePanel| -> Column {
            let mut c = vec![(0, 1.0)];
            c.extend(
                p.iter()
                    .filter(|&&(t, _)| row_of[t] != usize::MAX)
                    .map(|&(t, k)| (row_of[t], k as f64 / sp.size(t) as f64)),
            );
            c
        };
        self.mixes.push(start.to_vec());
        let new_mix = self.mixes.len() - 1;
        // Columns: z, the slacks, the mixtures, the panels.
        let mut keys = vec![Key::Z];
        let mut cols: Vec<Column> = vec![
            types
                .iter()
                .filter(|&&t| fixed[t].is_none())
                .map(|&t| (row_of[t], -1.0))
                .collect(),
        ];
        for (r, &t) in types.iter().enumerate() {
            keys.push(Key::Slack(t));
            cols.push(vec![(r + 1, -1.0)]);
        }
        for (i, mixture) in self.mixes.iter().enumerate() {
            let mut v = vec![0.0; m];
            for &(j, w) in mixture {
                for (r, x) in panel_col(&self.set.panels[j]) {
                    v[r] += w * x;
                }
            }
            keys.push(Key::Mix(i));
            cols.push(
                v.iter()
                    .enumerate()
                    .filter(|x| *x.1 != 0.0)
                    .map(|(r, &x)| (r, x))
                    .collect(),
            );
        }
        // The panels of the previous stage's optimal basis (all panels in the
        // first stage): the others rarely matter under the new prices, and
        // pricing brings back any that does.
        let mut in_lp = vec![self.last_basis.is_none(); self.set.panels.len()];
        for k in self.last_basis.iter().flatten() {
            if let Key::Panel(j) = *k {
                in_lp[j] = true;
            }
        }
        for (j, p) in self.set.panels.iter().enumerate() {
            if in_lp[j] {
                keys.push(Key::Panel(j));
                cols.push(panel_col(p));
            }
        }
        let mut cost = vec![0.0; cols.len()];
        cost[0] = 1.0;
        let mut b = vec![0.0; m];
        b[0] = 1.0;
        for &t in &types {
            if let Some(f) = fixed[t] {
                b[row_of[t]] = f;
            }
        }
        let index = |k: Key| keys.iter().position(|&x| x == k);
        let mut cold: Vec<usize> = vec![index(Key::Mix(new_mix)).expect("mix column")];
        cold.extend(1..m);
        // Warm start from the previous optimal basis. Fixing types removes `z`
        // from their rows, which often makes that basis singular (z becomes a
        // combination of the basic slacks); then z leaves the basis for the
        // slack of a newly fixed type: the previous solution stays feasible.
        let mut candidates: Vec<Vec<usize>> = Vec::new();
        if let Some(bk) = &self.last_basis
            && let Some(basis) = bk.iter().map(|&k| index(k)).collect::<Option<Vec<_>>>()
        {
            {
                candidates.push(basis.clone());
                let zpos = bk.iter().position(|&k| k == Key::Z);
                // One such swap only: further ones were almost never
                // feasible, and each failed try costs a refactorisation.
                for &t in &types {
                    if candidates.len() > 1 {
                        break;
                    }
                    if let (Some(zp), Some(f)) = (zpos, fixed[t])
                        && f > 0.0
                        && !bk.contains(&Key::Slack(t))
                    {
                        let mut alt = basis.clone();
                        alt[zp] = index(Key::Slack(t)).expect("slack");
                        candidates.push(alt);
                    }
                }
            }
        }
        // A candidate differs from the previous stage's final basis in the
        // column at the position of `z` only, so whether it is singular or
        // infeasible can be read off that LP's basis inverse (`O(m²)`):
        // the clear failures are skipped without the refactorisation that
        // `Lp::new` would spend on them (the others are tried as before).
        let mut old_lp = self.last_lp.take();
        let zpos = self
            .last_basis
            .as_ref()
            .and_then(|bk| bk.iter().position(|&k| k == Key::Z));
        candidates.retain(|basis| {
            let Some(old) = old_lp.as_mut() else {
                return true;
            };
            let (x, pivot) = old.basic_solution_with(zpos.map(|zp| (zp, &cols[basis[zp]])), &b);
            // Infeasible as `Lp::new` would find it (the values seen are
            // above −1e-9 or below −1e-2).
            pivot.abs() >= SINGULAR_PIVOT && x.iter().all(|&x| x >= -START_TOL)
        });
        // Its helper thread is not needed any more.
        drop(old_lp);
        let mut lp = None;
        for basis in candidates {
            if let Ok(l) = Lp::new(b.clone(), cols.clone(), cost.clone(), basis) {
                lp = Some(l);
                break;
            }
        }
        let mut lp = match lp {
            Some(l) => l,
            None => Lp::new(b, cols, cost, cold.clone())?,
        };
        let mut prev_first: Option<TypePanel> = None;
        let mut last_exact_gap = f64::INFINITY;
        let mut streak = 0;
        loop {
            ctl.check()?;
            if let Err(e) = lp.solve() {
                // Round-off over many pivots can make the basis singular at
                // a refactorisation: start again from the stage's cold basis
                // (the new mixture column and the slacks, feasible by
                // construction; pruning never drops them) with the columns
                // gathered so far.
                if !is_singular(&e) {
                    return Err(e);
                }
                lp.restart(cold.clone())?;
                lp.solve()?;
            }
            if self.heuristics && lp.n_cols() > PRUNE_AT * m {
                // Keep the LP small: drop the non-basic panels with the
                // lowest reduced costs (pricing brings back any that is
                // needed again).
                let d = lp.reduced_costs();
                let mut basic = vec![false; keys.len()];
                for &c in lp.basis() {
                    basic[c] = true;
                }
                let mut cand: Vec<(f64, usize)> = (0..keys.len())
                    .filter(|&c| matches!(keys[c], Key::Panel(_)) && !basic[c])
                    .map(|c| (d[c], c))
                    .collect();
                cand.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                let mut keep: Vec<bool> =
                    keys.iter().map(|k| !matches!(k, Key::Panel(_))).collect();
                for &(_, c) in cand.iter().take(m) {
                    keep[c] = true;
                }
                let map = lp.retain(&keep);
                let mut new_keys = vec![Key::Z; lp.n_cols()];
                for (c, &k) in keys.iter().enumerate() {
                    if map[c] != usize::MAX {
                        new_keys[map[c]] = k;
                    } else if let Key::Panel(j) = k {
                        in_lp[j] = false;
                    }
                }
                keys = new_keys;
            }
            let y = lp.duals();
            let z = lp.objective();
            let cap = y[0];
            let price: Vec<f64> = (0..nt)
                .map(|t| {
                    if row_of[t] == usize::MAX {
                        0.0
                    } else {
                        (-y[row_of[t]]).max(0.0)
                    }
                })
                .collect();
            (ctl.progress)(&Progress {
                phase: Phase::Stage,
                panels: self.set.panels.len(),
                fixed: n_fixed_people,
                people: sp.type_of.len(),
                min_probability: z,
            });
            let w: Vec<f64> = (0..nt).map(|t| price[t] / sp.size(t) as f64).collect();
            let mut order: Vec<usize> = (0..nt).collect();
            order.sort_by(|&a, &b| w[b].total_cmp(&w[a]).then(a.cmp(&b)));
            // Pricing. First a local search from the previous round's best
            // panel and the heaviest panel of the current solution; the exact
            // integer program only when that finds no panel above the cap
            // (and always before the stage ends).
            let mut heuristic = None;
            // A heuristic panel must violate the cap by at least half as much
            // as the last exact one did, and every few rounds the exact
            // program runs anyway: small violations make column generation
            // crawl.
            let mut best_v = cap + PRICE_EPS.max(0.5 * last_exact_gap);
            if self.heuristics && streak < MAX_HEURISTIC_STREAK {
                let xv = lp.values();
                let mut starts: Vec<(f64, usize)> = lp
                    .basis()
                    .iter()
                    .filter_map(|&c| match keys[c] {
                        Key::Panel(j) => Some((xv[c], j)),
                        _ => None,
                    })
                    .collect();
                starts.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                let starts = prev_first.iter().chain(
                    starts
                        .iter()
                        .take(HEURISTIC_STARTS)
                        .map(|&(_, j)| &self.set.panels[j]),
                );
                for start in starts {
                    let p = sp.local_search(start, &w, &order);
                    let v = PanelSpace::value(&p, &w);
                    if v > best_v {
                        best_v = v;
                        heuristic = Some(p);
                    }
                }
            }
            let mut added = 0;
            let mut done = false;
            for exact in [false, true] {
                let first = if exact {
                    // Any panel above the cap will do as the round's best:
                    // within a relative gap of 0.1% of the heaviest.
                    let p = price_panel(
                        sp,
                        self.pricer.as_mut(),
                        &w,
                        cap + PRICE_EPS,
                        EXACT_GAP,
                        None,
                    )?;
                    streak = 0;
                    match p {
                        Some(p) if PanelSpace::value(&p, &w) > cap + PRICE_EPS => {
                            last_exact_gap = PanelSpace::value(&p, &w) - cap;
                            p
                        }
                        _ => {
                            done = true;
                            break;
                        }
                    }
                } else {
                    match heuristic.take() {
                        Some(p) => {
                            streak += 1;
                            p
                        }
                        None => continue,
                    }
                };
                // More columns per round: lower the prices of the people just
                // covered and improve the last panel by local search under them
                // (after Flanigan et al.'s heuristic, which re-solves the integer
                // program instead).
                let mut tried = vec![first];
                let mut wt = w.clone();
                for _ in 0..if self.heuristics { EXTRA_PANELS } else { 0 } {
                    let last = tried.last().expect("one panel");
                    for &(t, c) in last {
                        wt[t] *= 0.8f64.powf(c as f64 / sp.size(t) as f64);
                    }
                    let mut ord: Vec<usize> = (0..nt).collect();
                    ord.sort_by(|&a, &b| wt[b].total_cmp(&wt[a]).then(a.cmp(&b)));
                    let p = sp.local_search(last, &wt, &ord);
                    tried.push(p);
                }
                prev_first = Some(tried[0].clone());
                for p in tried {
                    if PanelSpace::value(&p, &w) <= cap + PRICE_EPS {
                        continue;
                    }
                    let col = panel_col(&p);
                    let (j, _) = self.set.insert(p);
                    in_lp.resize(self.set.panels.len(), false);
                    if !in_lp[j] {
                        in_lp[j] = true;
                        lp.add_column(col, 0.0);
                        keys.push(Key::Panel(j));
                        added += 1;
                    }
                }
                if added > 0 {
                    break;
                }
            }
            if done || added == 0 {
                // The solution seeds the next stage (its weights, and the
                // fixed probabilities): recomputed from scratch if the
                // updates have let it drift.
                let z = if lp.refresh_if_inaccurate(REFRESH_TOL)? {
                    lp.objective()
                } else {
                    z
                };
                let x = lp.values();
                let mut weights = vec![0.0; self.set.panels.len()];
                for (c, &k) in keys.iter().enumerate() {
                    match k {
                        Key::Panel(j) => weights[j] += x[c],
                        Key::Mix(i) if x[c] > 0.0 => {
                            for &(j, w) in &self.mixes[i] {
                                weights[j] += x[c] * w;
                            }
                        }
                        _ => {}
                    }
                }
                self.last_basis = Some(lp.basis().iter().map(|&c| keys[c]).collect());
                self.last_lp = Some(lp);
                return Ok(StageSolution {
                    z,
                    y: price,
                    w: weights,
                });
            }
        }
    }

    /// The distribution with weights `w` over the panel set (zero weights
    /// dropped, renormalised against round-off).
    pub fn distribution(&self, w: &[f64]) -> TypeDistribution {
        let (panels, weights): (Vec<_>, Vec<f64>) = self
            .set
            .panels
            .iter()
            .zip(w)
            .filter(|(_, x)| **x > 1e-12)
            .map(|(p, &x)| (p.clone(), x))
            .unzip();
        let total: f64 = weights.iter().sum();
        TypeDistribution {
            panels,
            weights: weights.into_iter().map(|x| x / total).collect(),
        }
    }
}

/// LEXIMIN (or maximin with `leximin = false`). `Ok(None)`: no feasible panel.
pub(crate) fn leximin(
    space: &PanelSpace,
    leximin: bool,
    ctl: &mut Control,
) -> Result<Option<TypeDistribution>> {
    leximin_with(space, leximin, true, true, ctl)
}

/// [`leximin`] with or without the pricing heuristics, and with our
/// [`Pricer`] or `microlp` for the exact pricing.
pub(crate) fn leximin_with(
    space: &PanelSpace,
    leximin: bool,
    heuristics: bool,
    own_pricer: bool,
    ctl: &mut Control,
) -> Result<Option<TypeDistribution>> {
    let Some(mut eng) = Engine::start(space, ctl)? else {
        return Ok(None);
    };
    eng.heuristics = heuristics;
    if !own_pricer {
        eng.pricer = None;
    }
    let nt = space.n_types();
    let mut fixed: Vec<Option<f64>> = (0..nt).map(|t| (!eng.active[t]).then_some(0.0)).collect();
    let k0 = eng.set.panels.len();
    let mut start: Vec<(usize, f64)> = (0..k0).map(|j| (j, 1.0 / k0 as f64)).collect();
    loop {
        let sol = eng.stage(&fixed, &start, ctl)?;
        start = sol
            .w
            .iter()
            .enumerate()
            .filter(|x| *x.1 > 0.0)
            .map(|(j, &w)| (j, w))
            .collect();
        let z = sol.z.max(0.0);
        if !leximin {
            return Ok(Some(eng.distribution(&sol.w)));
        }
        let mut any = false;
        for t in 0..nt {
            if fixed[t].is_none() && sol.y[t] > DUAL_EPS {
                fixed[t] = Some((z - FIX_SLACK).max(0.0));
                any = true;
            }
        }
        if !any {
            // Cannot happen with exact duals (they sum to 1 over unfixed types);
            // fix the type with the largest price.
            let t = (0..nt)
                .filter(|&t| fixed[t].is_none())
                .max_by(|&a, &b| sol.y[a].total_cmp(&sol.y[b]))
                .expect("an unfixed type");
            fixed[t] = Some((z - FIX_SLACK).max(0.0));
        }
        let n_fixed = eng.people_in((0..nt).filter(|&t| fixed[t].is_some()));
        (ctl.progress)(&Progress {
            phase: Phase::Stage,
            panels: eng.set.panels.len(),
            fixed: n_fixed,
            people: space.type_of.len(),
            min_probability: z,
        });
        if fixed.iter().all(Option::is_some) {
            return Ok(Some(eng.distribution(&sol.w)));
        }
    }
}

/// Nash welfare: maximise `Σ_people log p_i` over active types.
pub(crate) fn nash(space: &PanelSpace, ctl: &mut Control) -> Result<Option<TypeDistribution>> {
    let Some(mut eng) = Engine::start(space, ctl)? else {
        return Ok(None);
    };
    let nt = space.n_types();
    let n_active: f64 = (0..nt)
        .filter(|&t| eng.active[t])
        .map(|t| space.size(t) as f64)
        .sum();
    // Start from the uniform mix of the initial panels.
    let mut w: Vec<f64> = vec![1.0 / eng.set.panels.len() as f64; eng.set.panels.len()];
    let probs = |w: &[f64], panels: &[TypePanel]| -> Vec<f64> {
        TypeDistribution {
            panels: panels.to_vec(),
            weights: w.to_vec(),
        }
        .type_probabilities(space)
    };
    for round in 0..200 {
        ctl.check()?;
        // EM updates on the current panels.
        for _ in 0..300 {
            let p = probs(&w, &eng.set.panels);
            for (j, panel) in eng.set.panels.iter().enumerate() {
                let g: f64 = panel
                    .iter()
                    .filter(|&&(t, _)| eng.active[t])
                    .map(|&(t, c)| c as f64 / p[t])
                    .sum();
                w[j] *= g / n_active;
            }
            let s: f64 = w.iter().sum();
            for x in &mut w {
                *x /= s;
            }
        }
        let p = probs(&w, &eng.set.panels);
        let grad: Vec<f64> = (0..nt)
            .map(|t| if eng.active[t] { 1.0 / p[t] } else { 0.0 })
            .collect();
        let best = space
            .best_panel(&grad, None)?
            .ok_or_else(|| SortitionError::Solver("pricing lost feasibility".into()))?;
        let value = PanelSpace::value(&best, &grad);
        (ctl.progress)(&Progress {
            phase: Phase::Nash,
            panels: eng.set.panels.len(),
            fixed: 0,
            people: space.type_of.len(),
            min_probability: (0..nt)
                .filter(|&t| eng.active[t])
                .map(|t| p[t])
                .fold(1.0, f64::min),
        });
        // Optimality: no panel has gradient above the average (= n_active).
        if value <= n_active * (1.0 + 1e-5) || !eng.set.add(best) || round == 199 {
            break;
        }
        // Give the new panel a small share.
        for x in &mut w {
            *x *= 0.95;
        }
        w.push(0.05);
    }
    let (panels, weights): (Vec<_>, Vec<_>) = eng
        .set
        .panels
        .into_iter()
        .zip(w)
        .filter(|(_, x)| *x > 1e-9)
        .unzip();
    let s: f64 = weights.iter().sum();
    Ok(Some(TypeDistribution {
        panels,
        weights: weights.into_iter().map(|x| x / s).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::DutchPool;

    /// The heuristic pricing changes how the panels are found, not the
    /// result: on generated Dutch-like pools the LEXIMIN probabilities equal
    /// those of plain column generation (one exact integer program per round).
    #[test]
    fn heuristic_and_own_pricing_give_the_plain_leximin() {
        for (n, k, areas, categories, seed) in [
            (60, 8, 4, 5, 1),
            (80, 10, 4, 6, 2),
            (120, 12, 5, 6, 3),
            (100, 10, 6, 7, 4),
        ] {
            let inst = DutchPool {
                n,
                k,
                areas,
                categories,
                seed,
            }
            .generate();
            let space = PanelSpace::new(&inst);
            let mut progress = |_: &Progress| {};
            let mut run = |h: bool, own: bool| {
                let mut ctl = Control {
                    progress: &mut progress,
                    cancel: None,
                };
                leximin_with(&space, true, h, own, &mut ctl)
                    .unwrap()
                    .unwrap()
                    .type_probabilities(&space)
            };
            let fast = run(true, true);
            for (plain, name) in [(run(false, true), "plain"), (run(true, false), "microlp")] {
                for t in 0..space.n_types() {
                    assert!(
                        (fast[t] - plain[t]).abs() < 1e-6,
                        "n={n} seed={seed} type {t}: {} vs {name} {}",
                        fast[t],
                        plain[t]
                    );
                }
            }
        }
    }
}
