//! The exact pricing program of the column generation, solved by our own
//! branch and bound over a bounded dual simplex on a dense tableau.
//!
//! The program is small (one row for the panel size, one per quota that can
//! bind, one per shared household; one column per type) and the column
//! generation solves it about a hundred times with only the objective
//! changed. `microlp` builds and solves each from scratch; here the
//! tableau's basis is kept from one call to the next:
//!
//! * Every variable is boxed (a type's count lies in `0..=size`, a row's
//!   activity within its quota), so every basis is dual feasible once each
//!   non-basic variable sits at the bound its reduced cost asks for. A new
//!   objective, a branching bound and a backtrack are all a dual simplex
//!   from the basis at hand: no phase one, no rebuild.
//! * A call starts from the previous call's optimal root basis (the prices
//!   move little between rounds), refactorised from the constraint matrix,
//!   which also clears the round-off of the previous call.
//! * The search prunes at a threshold (the column generation only needs a
//!   panel above the current cap, or the proof that there is none) and at a
//!   relative gap once a panel above the threshold is known. The dual
//!   simplex stops as soon as its objective, a bound on the node's optimum,
//!   falls below the cut.
//! * It dives depth first while nodes branch and then takes the open node
//!   with the highest bound; it branches on the fractional type with the
//!   best product of the two branches' estimated losses (pseudo-costs, kept
//!   between calls). These are the textbook rules, as `microlp` uses them
//!   too; the most fractional type with plain depth-first search needed up
//!   to 6,900 nodes on one program where these need at most a few hundred.
//! * The ratio test is the plain one with the largest pivot among ties. A
//!   bound-flipping ratio test halved the pivots but ran into the pivot
//!   limit on some of the benchmark's programs. A program with many equal
//!   weights (dual degenerate) can stall here too: with all weights equal
//!   the bound stayed put for thousands of pivots. That is why the initial
//!   panels' weights are made distinct ([`crate::fair`]).
//!
//! The program's variables are `x_t` (people of type `t` on the panel) and
//! one slack per row, `s_r = Σ_{t ∈ r} x_t`, bounded by the row's quota:
//! `A x − s = 0` with boxes on all of them.
//!
//! [`Pricer::best_above`] reports [`Stalled`] when its iteration or node
//! limits are hit or a result fails its check; the caller then solves the
//! program with `microlp`. The tests compare the two on random weights.

use crate::space::{PanelSpace, TypePanel};

/// The search gave up (iteration or node limit, or a numerical check
/// failed); solve the program another way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stalled;

/// Not in the basis.
const NONBASIC: usize = usize::MAX;
/// A basic value this far outside its bounds is infeasible.
const PRIMAL_TOL: f64 = 1e-9;
/// A reduced cost this far on the wrong side is dual infeasible.
const DUAL_TOL: f64 = 1e-9;
/// Smallest pivot magnitude accepted in the ratio test.
const PIVOT_TOL: f64 = 1e-9;
/// Smallest pivot magnitude accepted when refactorising.
const SINGULAR: f64 = 1e-10;
/// Ratios this close are a tie in the ratio test.
const TIE: f64 = 1e-12;
/// A type count this far from an integer is fractional.
const INT_TOL: f64 = 1e-6;
/// A bound within this of the cut is pruned.
const CUT_TOL: f64 = 1e-9;
/// Floor of a branching score's factors.
const SCORE_EPS: f64 = 1e-6;
/// Pivots between refactorisations.
const REFACTOR_EVERY: usize = 100;
/// Limits of one call: branch-and-bound nodes, and pivots.
const MAX_NODES: usize = 20_000;
const MAX_PIVOTS: usize = 5_000;
/// Above this many rows the dense tableau is not worth it (many shared
/// households); the caller uses `microlp`.
const MAX_ROWS: usize = 200;

/// The outcome of one node's LP.
#[derive(Debug, PartialEq)]
enum Lp {
    Optimal,
    Infeasible,
    /// Its bound is at or below the cut.
    Cut,
}

/// A node of the search: its bound changes from the root, its parent's
/// bound, and the branch that made it (type, up, fractional distance).
struct Node {
    changes: Vec<(usize, f64, f64)>,
    bound: f64,
    branched: Option<(usize, bool, f64)>,
}

/// Pseudo-costs: per type and direction, the mean loss of the LP bound per
/// unit of branching seen so far (kept between calls: the programs of
/// successive rounds are alike). Before any is seen, the type's weight.
#[derive(Default)]
struct PseudoCosts {
    sum: Vec<[f64; 2]>,
    count: Vec<[u32; 2]>,
}

impl PseudoCosts {
    fn new(nt: usize) -> Self {
        PseudoCosts {
            sum: vec![[0.0; 2]; nt],
            count: vec![[0; 2]; nt],
        }
    }
    fn record(&mut self, j: usize, up: bool, loss: f64) {
        self.sum[j][usize::from(up)] += loss;
        self.count[j][usize::from(up)] += 1;
    }
    fn estimate(&self, j: usize, up: bool, cost: f64) -> f64 {
        let u = usize::from(up);
        match self.count[j][u] {
            0 => cost.abs() + SCORE_EPS,
            c => self.sum[j][u] / c as f64,
        }
    }
}

/// The pricing program with its tableau, kept between calls.
pub(crate) struct Pricer {
    /// Rows, columns, types (the first `nt` columns).
    m: usize,
    n: usize,
    nt: usize,
    /// The constraint matrix `[A | −I]`, row-major.
    a: Vec<f64>,
    root_lo: Vec<f64>,
    root_hi: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    /// Costs in the minimisation form (minus the scaled weights).
    c: Vec<f64>,
    /// The tableau `B⁻¹[A | −I]`, row-major; row `i` belongs to `basis[i]`.
    t: Vec<f64>,
    /// Reduced costs.
    d: Vec<f64>,
    /// Values of all variables.
    x: Vec<f64>,
    basis: Vec<usize>,
    /// Column → its row in the basis, or `NONBASIC`.
    row_of: Vec<usize>,
    /// A non-basic column at its upper bound.
    upper: Vec<bool>,
    /// The last call's optimal root basis, to start the next call from.
    saved: Vec<usize>,
    since_refactor: usize,
    pivots: usize,
    /// Scratch: the pivot row; the non-basic columns not at zero.
    row: Vec<f64>,
    nonzero: Vec<usize>,
    pseudo: PseudoCosts,
    /// Some quota cannot be met at all.
    infeasible: bool,
}

impl Pricer {
    /// The program of `space`; `None` with more than [`MAX_ROWS`] rows.
    pub fn new(space: &PanelSpace) -> Option<Self> {
        let nt = space.n_types();
        let k = space.k as f64;
        let mut rows: Vec<(Vec<usize>, f64, f64)> = vec![((0..nt).collect(), k, k)];
        let mut infeasible = false;
        for r in &space.rows {
            let cap = space.row_cap(r);
            infeasible |= r.min > cap;
            if r.min > 0 || r.max < cap {
                rows.push((r.types.clone(), r.min as f64, r.max.min(cap) as f64));
            }
        }
        for h in &space.households {
            rows.push((h.clone(), 0.0, 1.0));
        }
        let m = rows.len();
        if m > MAX_ROWS {
            return None;
        }
        let n = nt + m;
        let mut a = vec![0.0; m * n];
        let mut root_lo = vec![0.0; n];
        let mut root_hi: Vec<f64> = (0..nt).map(|t| space.size(t) as f64).collect();
        root_hi.resize(n, 0.0);
        for (i, (types, lo, hi)) in rows.iter().enumerate() {
            for &t in types {
                a[i * n + t] = 1.0;
            }
            a[i * n + nt + i] = -1.0;
            root_lo[nt + i] = *lo;
            root_hi[nt + i] = *hi;
        }
        Some(Pricer {
            m,
            n,
            nt,
            t: a.clone(),
            a,
            lo: root_lo.clone(),
            hi: root_hi.clone(),
            root_lo,
            root_hi,
            c: vec![0.0; n],
            d: vec![0.0; n],
            x: vec![0.0; n],
            basis: (nt..n).collect(),
            row_of: vec![NONBASIC; n],
            upper: vec![false; n],
            saved: (nt..n).collect(),
            since_refactor: 0,
            pivots: 0,
            row: vec![0.0; n],
            nonzero: Vec::new(),
            pseudo: PseudoCosts::new(nt),
            infeasible,
        })
    }

    /// The heaviest panel under the weights `w` (per person of each type),
    /// if some panel weighs more than `above`; once one does, the search may
    /// stop at a panel within the relative `gap` of the heaviest, and with
    /// `node_limit` at the best panel found after that many nodes.
    /// `Ok(None)`: no feasible panel weighs more than `above` (within 1e-9
    /// relative to the largest weight). A panel at or below `above` may be
    /// returned too.
    pub fn best_above(
        &mut self,
        space: &PanelSpace,
        w: &[f64],
        above: f64,
        gap: f64,
        node_limit: Option<usize>,
    ) -> Result<Option<TypePanel>, Stalled> {
        if self.infeasible {
            return Ok(None);
        }
        let (nt, n) = (self.nt, self.n);
        let wmax = w.iter().fold(0.0f64, |a, &b| a.max(b.abs()));
        let scale = if wmax > 0.0 { 1.0 / wmax } else { 1.0 };
        for j in 0..nt {
            self.c[j] = -w[j] * scale;
        }
        let thr = above * scale;
        self.pivots = 0;
        self.lo.copy_from_slice(&self.root_lo);
        self.hi.copy_from_slice(&self.root_hi);
        self.basis.clone_from(&self.saved);
        if !self.refactor() {
            self.basis = (nt..n).collect();
            if !self.refactor() {
                return Err(Stalled);
            }
        }
        // Dives depth first while nodes branch; when a dive ends, the open
        // node with the highest bound is next.
        let mut open = vec![Node {
            changes: Vec::new(),
            bound: f64::INFINITY,
            branched: None,
        }];
        let mut diving = true;
        let mut best: Option<(f64, Vec<f64>)> = None;
        let mut nodes = 0;
        while !open.is_empty() {
            let at = if diving {
                open.len() - 1
            } else {
                (0..open.len())
                    .max_by(|&a, &b| open[a].bound.total_cmp(&open[b].bound).then(b.cmp(&a)))
                    .expect("open nodes")
            };
            let node = open.swap_remove(at);
            diving = false;
            let cut = cut(thr, best.as_ref().map(|b| b.0), gap);
            if node.bound <= cut {
                continue;
            }
            nodes += 1;
            if node_limit.is_some_and(|l| nodes > l) && best.is_some() {
                break;
            }
            if nodes > MAX_NODES {
                return Err(Stalled);
            }
            self.lo[..nt].copy_from_slice(&self.root_lo[..nt]);
            self.hi[..nt].copy_from_slice(&self.root_hi[..nt]);
            for &(j, l, h) in &node.changes {
                self.lo[j] = l;
                self.hi[j] = h;
            }
            self.place_nonbasic();
            let status = self.dual_simplex(cut)?;
            if node.changes.is_empty() && status != Lp::Infeasible {
                self.saved.clone_from(&self.basis);
            }
            if status != Lp::Optimal {
                continue;
            }
            let bound = self.value();
            if let Some((j, up, frac)) = node.branched {
                self.pseudo
                    .record(j, up, (node.bound - bound).max(0.0) / frac);
            }
            // The type with the best product of the estimated losses of
            // its two branches (pseudo-costs).
            let mut branch: Option<(f64, usize)> = None;
            for j in 0..nt {
                let v = self.x[j];
                let f = v - v.floor();
                if f > INT_TOL && f < 1.0 - INT_TOL {
                    let score = (self.pseudo.estimate(j, false, self.c[j]) * f).max(SCORE_EPS)
                        * (self.pseudo.estimate(j, true, self.c[j]) * (1.0 - f)).max(SCORE_EPS);
                    if branch.is_none_or(|(s, _)| score > s) {
                        branch = Some((score, j));
                    }
                }
            }
            let Some((_, j)) = branch else {
                let v = (0..nt).map(|j| w[j] * scale * self.x[j]).sum::<f64>();
                if best.as_ref().is_none_or(|b| v > b.0) {
                    best = Some((v, self.x[..nt].to_vec()));
                }
                continue;
            };
            let v = self.x[j];
            let f = v - v.floor();
            let mut down = Node {
                changes: node.changes.clone(),
                bound,
                branched: Some((j, false, f)),
            };
            down.changes.push((j, self.lo[j], v.floor()));
            let mut up = Node {
                changes: node.changes,
                bound,
                branched: Some((j, true, 1.0 - f)),
            };
            up.changes.push((j, v.ceil(), self.hi[j]));
            // The dive goes on into the child with the smaller estimated
            // loss (pushed last).
            let est_down = self.pseudo.estimate(j, false, self.c[j]) * f;
            let est_up = self.pseudo.estimate(j, true, self.c[j]) * (1.0 - f);
            if est_down > est_up {
                open.push(down);
                open.push(up);
            } else {
                open.push(up);
                open.push(down);
            }
            diving = true;
        }
        let Some((_, x)) = best else {
            return Ok(None);
        };
        let panel: TypePanel = x
            .iter()
            .enumerate()
            .filter_map(|(t, &v)| {
                let r = v.round();
                (r > 0.5).then_some((t, r as u32))
            })
            .collect();
        if !space.is_feasible(&panel) {
            return Err(Stalled);
        }
        Ok(Some(panel))
    }

    /// The objective of the current solution, in the maximisation form.
    fn value(&self) -> f64 {
        -(0..self.nt).map(|j| self.c[j] * self.x[j]).sum::<f64>()
    }

    /// Recomputes the tableau, the reduced costs and the basic values for
    /// `basis` (Gauss–Jordan with partial pivoting; rows may be reordered,
    /// the right-hand side being zero). False if the basis is singular.
    fn refactor(&mut self) -> bool {
        let (m, n) = (self.m, self.n);
        self.t.copy_from_slice(&self.a);
        let cols = self.basis.clone();
        for (k, &col) in cols.iter().enumerate() {
            let mut r = k;
            for i in k + 1..m {
                if self.t[i * n + col].abs() > self.t[r * n + col].abs() {
                    r = i;
                }
            }
            if self.t[r * n + col].abs() < SINGULAR {
                return false;
            }
            if r != k {
                for j in 0..n {
                    self.t.swap(r * n + j, k * n + j);
                }
            }
            self.eliminate(k, col);
        }
        self.row_of.iter_mut().for_each(|r| *r = NONBASIC);
        for (i, &col) in self.basis.iter().enumerate() {
            self.row_of[col] = i;
        }
        self.d.copy_from_slice(&self.c);
        for i in 0..m {
            let cb = self.c[self.basis[i]];
            if cb != 0.0 {
                let row = &self.t[i * n..(i + 1) * n];
                for (d, &v) in self.d.iter_mut().zip(row) {
                    *d -= cb * v;
                }
            }
        }
        for &col in &self.basis {
            self.d[col] = 0.0;
        }
        self.since_refactor = 0;
        self.place_nonbasic();
        true
    }

    /// Gauss–Jordan step on the tableau: column `col` becomes the unit
    /// vector of row `r`.
    fn eliminate(&mut self, r: usize, col: usize) {
        let (m, n) = (self.m, self.n);
        let inv = 1.0 / self.t[r * n + col];
        self.row.copy_from_slice(&self.t[r * n..(r + 1) * n]);
        self.row.iter_mut().for_each(|v| *v *= inv);
        self.row[col] = 1.0;
        self.t[r * n..(r + 1) * n].copy_from_slice(&self.row);
        for i in 0..m {
            if i == r {
                continue;
            }
            let f = self.t[i * n + col];
            if f != 0.0 {
                let dst = &mut self.t[i * n..(i + 1) * n];
                for (v, &p) in dst.iter_mut().zip(&self.row) {
                    *v -= f * p;
                }
                dst[col] = 0.0;
            }
        }
    }

    /// Puts every non-basic variable at the bound its reduced cost asks for
    /// (so that the basis is dual feasible) and computes the basic values.
    fn place_nonbasic(&mut self) {
        let (m, n) = (self.m, self.n);
        self.nonzero.clear();
        for j in 0..n {
            if self.row_of[j] != NONBASIC {
                continue;
            }
            if self.d[j] > DUAL_TOL {
                self.upper[j] = false;
            } else if self.d[j] < -DUAL_TOL {
                self.upper[j] = true;
            }
            self.x[j] = if self.upper[j] {
                self.hi[j]
            } else {
                self.lo[j]
            };
            if self.x[j] != 0.0 {
                self.nonzero.push(j);
            }
        }
        // x_B = −B⁻¹N x_N (the right-hand side is zero).
        for i in 0..m {
            let row = &self.t[i * n..(i + 1) * n];
            let s: f64 = self.nonzero.iter().map(|&j| row[j] * self.x[j]).sum();
            self.x[self.basis[i]] = -s;
        }
    }

    /// The dual simplex from the current (dual feasible) basis, stopped as
    /// soon as the objective bound is at or below `cut`.
    fn dual_simplex(&mut self, cut: f64) -> Result<Lp, Stalled> {
        let (m, n, nt) = (self.m, self.n, self.nt);
        loop {
            if self.value() <= cut {
                return Ok(Lp::Cut);
            }
            // Leaving row: the largest infeasibility relative to the norm of
            // its row of B⁻¹ (dual steepest edge, with exact norms: the
            // slack columns of the tableau are −B⁻¹).
            let mut leave: Option<(f64, usize)> = None;
            for i in 0..m {
                let p = self.basis[i];
                let v = self.x[p];
                let viol = if v < self.lo[p] - PRIMAL_TOL {
                    self.lo[p] - v
                } else if v > self.hi[p] + PRIMAL_TOL {
                    v - self.hi[p]
                } else {
                    continue;
                };
                let norm: f64 = self.t[i * n + nt..(i + 1) * n].iter().map(|v| v * v).sum();
                let score = viol * viol / norm;
                if leave.is_none_or(|(s, _)| score > s) {
                    leave = Some((score, i));
                }
            }
            let Some((_, r)) = leave else {
                return Ok(Lp::Optimal);
            };
            let p = self.basis[r];
            let to_lower = self.x[p] < self.lo[p];
            let s = if to_lower { 1.0 } else { -1.0 };
            // Ratio test: the entering column keeps every reduced cost on
            // its side; near-ties go to the largest pivot.
            let row = &self.t[r * n..(r + 1) * n];
            let mut enter: Option<(f64, f64, usize)> = None;
            for j in 0..n {
                if self.row_of[j] != NONBASIC || self.lo[j] == self.hi[j] {
                    continue;
                }
                let sigma = if self.upper[j] { -1.0 } else { 1.0 };
                let alpha = row[j];
                if s * sigma * alpha < -PIVOT_TOL {
                    let ratio = (sigma * self.d[j]).max(0.0) / alpha.abs();
                    let better = enter.is_none_or(|(best, a, _)| {
                        ratio < best - TIE || (ratio <= best + TIE && alpha.abs() > a)
                    });
                    if better {
                        enter = Some((ratio, alpha.abs(), j));
                    }
                }
            }
            let Some((_, _, q)) = enter else {
                return Ok(Lp::Infeasible);
            };
            // Primal step: p goes to its violated bound.
            let target = if to_lower { self.lo[p] } else { self.hi[p] };
            let delta = (self.x[p] - target) / self.t[r * n + q];
            for i in 0..m {
                let b = self.basis[i];
                self.x[b] -= self.t[i * n + q] * delta;
            }
            self.x[q] += delta;
            self.x[p] = target;
            // Dual step and the tableau.
            self.eliminate(r, q);
            let dq = self.d[q];
            if dq != 0.0 {
                for (d, &v) in self.d.iter_mut().zip(&self.row) {
                    *d -= dq * v;
                }
            }
            self.d[q] = 0.0;
            self.basis[r] = q;
            self.row_of[q] = r;
            self.row_of[p] = NONBASIC;
            self.upper[p] = !to_lower;
            self.pivots += 1;
            self.since_refactor += 1;
            if self.pivots > MAX_PIVOTS {
                return Err(Stalled);
            }
            if self.since_refactor >= REFACTOR_EVERY && !self.refactor() {
                return Err(Stalled);
            }
        }
    }
}

/// The cut of the search: nodes whose bound is at or below it are pruned.
/// Below the threshold nothing counts; once a panel above it is known, only
/// one better by more than the relative `gap`.
fn cut(thr: f64, best: Option<f64>, gap: f64) -> f64 {
    match best {
        Some(v) if v > thr => v + (gap * v.abs()).max(CUT_TOL),
        _ => thr - CUT_TOL,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::DutchPool;
    use crate::model::InstanceBuilder;

    /// Random weights (with ties and zeros) on generated pools and on a
    /// pool with shared households: the pricer's panel weighs as much as
    /// `microlp`'s optimum, a threshold just above the optimum gives
    /// nothing, and a gap keeps the panel within it. One pricer serves all
    /// the weights of a pool, as in the column generation; it must not give
    /// up on any of them.
    #[test]
    fn pricer_matches_microlp() {
        let mut next = crate::xorshift(0x2545_f491_4f6c_dd1d);
        let mut spaces = Vec::new();
        for (n, k, areas, categories, seed) in [(120, 12, 4, 5, 1), (300, 30, 8, 7, 2)] {
            spaces.push(PanelSpace::new(
                &DutchPool {
                    n,
                    k,
                    areas,
                    categories,
                    seed,
                }
                .generate(),
            ));
        }
        let mut b = InstanceBuilder::new();
        for (v, lo, hi) in [("f", 2, 4), ("m", 2, 4)] {
            b.quota("g", v, lo, hi).unwrap();
        }
        for (v, lo, hi) in [("y", 1, 3), ("o", 2, 5)] {
            b.quota("a", v, lo, hi).unwrap();
        }
        for i in 0..40 {
            let g = if i % 3 == 0 { "f" } else { "m" };
            let a = if i % 5 < 2 { "y" } else { "o" };
            let h = (i % 4 == 0).then(|| format!("h{}", i / 8));
            b.person(&i.to_string(), &[("g", g), ("a", a)], h.as_deref())
                .unwrap();
        }
        spaces.push(PanelSpace::new(&b.build(6).unwrap()));
        for s in &spaces {
            let nt = s.n_types();
            let mut pricer = Pricer::new(s).expect("few rows");
            for round in 0..40 {
                let w = crate::random_weights(&mut next, nt);
                let oracle = s.best_panel(&w, None).unwrap();
                let got = pricer.best_above(s, &w, 0.0, 0.0, None).unwrap();
                let Some(oracle) = oracle else {
                    assert!(got.is_none(), "round {round}: no panel exists");
                    continue;
                };
                let opt = PanelSpace::value(&oracle, &w);
                let p = got.expect("a panel above 0");
                assert!(s.is_feasible(&p));
                let v = PanelSpace::value(&p, &w);
                assert!((v - opt).abs() <= 1e-9 * opt.max(1.0), "{v} vs {opt}");
                let none = pricer.best_above(s, &w, opt + 1e-6, 0.0, None).unwrap();
                assert!(none.is_none_or(|p| PanelSpace::value(&p, &w) <= opt + 1e-6));
                let near = pricer.best_above(s, &w, opt - 1e-3, 0.01, None).unwrap();
                let v = PanelSpace::value(&near.expect("above"), &w);
                assert!(v > opt - 1e-3 && v >= opt * 0.99 - 1e-9, "{v} vs {opt}");
            }
        }
    }
}
