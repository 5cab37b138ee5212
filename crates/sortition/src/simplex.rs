//! A small dense revised primal simplex for the column generation LPs.
//!
//! `max c·x  s.t.  A x = b,  x ≥ 0`, with `A` given by sparse columns. The basis
//! inverse is kept explicitly (dense `m×m`) and updated by each pivot
//! (`O(m²)`, applied `LAZY` pivots at a time), and recomputed from scratch by Gauss–Jordan elimination with
//! partial pivoting every `max(200, 2m)` pivots. Columns can be added
//! between solves; the current basis stays primal feasible, so the next solve
//! continues from it (the natural warm start of column generation). Entering
//! columns are chosen by Devex pricing (approximate steepest edge) from
//! reduced costs that each pivot updates with the pivot row (recomputed at
//! every refactorisation and before optimality is declared), the ratio
//! test is Harris's two-pass test; after a run of degenerate pivots the
//! entering column is chosen by Bland's rule, which prevents cycling.

use crate::error::{Result, SortitionError};
use crate::kernels::{add_scaled, pivot_updates, sub_scaled};
use crate::team::{Team, run_chunks};
use std::sync::atomic::{AtomicBool, Ordering};

const REFACTOR_EVERY: usize = 200;
/// Pivots whose update of `B⁻¹` is deferred and then applied in one pass
/// over each column (see [`Lp::flush_all`]).
const LAZY: usize = 8;
/// Smallest LP (rows) with a helper thread, and the chunk sizes of its jobs:
/// columns of `B⁻¹`, rows of the Gauss–Jordan elimination, columns of the
/// pivot row (from `PAR_MIN_COLS` columns on).
const PAR_MIN_ROWS: usize = 128;
const PAR_COLS: usize = 32;
const PAR_ROWS: usize = 32;
const PAR_MIN_COLS: usize = 256;
const PAR_PIVOT_COLS: usize = 128;
/// Degenerate pivots in a row before Bland's rule takes over.
const BLAND_AFTER: usize = 1000;
/// Reduced costs above this enter the basis.
const OPT_TOL: f64 = 1e-10;
/// Primal feasibility tolerance (Harris).
const FEAS_TOL: f64 = 1e-10;
/// How far below zero a starting basis may put a variable; such values are
/// set to zero, as each pivot does with small negative values. A stage's cold
/// start begins from the previous stage's solution, which meets the fixed
/// probabilities only as accurately as many pivots with the tolerances above
/// allow (2.2e-7 has been seen).
pub(crate) const START_TOL: f64 = 1e-6;
/// Smallest pivot element accepted.
const PIVOT_TOL: f64 = 1e-9;

pub(crate) type Column = Vec<(usize, f64)>;

fn reduced(col: &Column, cost: f64, y: &[f64]) -> f64 {
    cost - col.iter().map(|&(r, v)| y[r] * v).sum::<f64>()
}

pub(crate) struct Lp {
    m: usize,
    cols: Vec<Column>,
    cost: Vec<f64>,
    b: Vec<f64>,
    /// Column basic in each row.
    basis: Vec<usize>,
    /// Position in `basis`, or `usize::MAX` for non-basic columns.
    pos: Vec<usize>,
    /// Dense basis inverse, column-major: `binv[c*m + i] = (B⁻¹)_{ic}`,
    /// except for the pending updates of the last pivots (below).
    binv: Vec<f64>,
    /// Pending pivots `j`: the column `u_j = B⁻¹A_q` (`pend_u[j*m..]`), the
    /// multipliers `x_j[c] = (B⁻¹)_{r_j c} / u_j[r_j]` (`pend_x[c*LAZY + j]`)
    /// and the pivot row `r_j`. None of them is applied to `binv` yet.
    pend_u: Vec<f64>,
    pend_x: Vec<f64>,
    pend_r: Vec<usize>,
    /// A helper thread for the loops over all columns (`None`: one thread).
    team: Option<Team>,
    /// Simplex multipliers `c_B B⁻¹`, updated by each pivot.
    y: Vec<f64>,
    xb: Vec<f64>,
    since_refactor: usize,
    /// Devex reference weights per column (approximate steepest edge).
    devex: Vec<f64>,
    /// Reduced cost of every column (0 for basic ones), updated by each
    /// pivot from the pivot row and recomputed at each refactorisation.
    d: Vec<f64>,
}

/// `Σ rho[i]·v` over the entries `(i, v)` of a column, in entry order.
fn dot(col: &[(usize, f64)], rho: &[f64]) -> f64 {
    col.iter().fold(0.0, |acc, &(i, v)| acc + rho[i] * v)
}

/// [`dot`] of four columns, interleaved (the same sums, bit for bit).
///
/// # Safety
/// Every row index of the four columns is below `rho.len()`.
unsafe fn dot4(c: [&[(usize, f64)]; 4], rho: &[f64]) -> [f64; 4] {
    let n = c.iter().map(|x| x.len()).min().unwrap_or(0);
    let mut acc = [0.0; 4];
    for e in 0..n {
        for (a, col) in acc.iter_mut().zip(&c) {
            // SAFETY: `e < n <= col.len()`, and `i < rho.len()` (the
            // caller's guarantee).
            unsafe {
                let (i, v) = *col.get_unchecked(e);
                *a += *rho.get_unchecked(i) * v;
            }
        }
    }
    for (a, col) in acc.iter_mut().zip(&c) {
        *a = col[n..].iter().fold(*a, |acc, &(i, v)| acc + rho[i] * v);
    }
    acc
}

/// Applies the pending pivots (rows `pend_r`, columns `u_j` in `pend_u`,
/// multipliers in `pend_x`) to column `c` of `B⁻¹`: per element
/// the same operations in the same order as applying each pivot in turn
/// (`col -= u_j·x_j[c]` when `x_j[c] ≠ 0`, then `col[r_j] = x_j[c]`).
fn flush_column(
    col: &mut [f64],
    c: usize,
    pend_r: &[usize],
    pend_u: &[f64],
    pend_x: &[f64],
    ops: &mut [(usize, f64, usize); LAZY],
) {
    let (m, np) = (col.len(), pend_r.len());
    if np == 0 {
        return;
    }
    let xs = &pend_x[c * LAZY..c * LAZY + np];
    let ops = &mut ops[..np];
    for (o, j) in ops.iter_mut().zip(0..np) {
        *o = (j * m, xs[j], pend_r[j]);
    }
    if ops.iter().all(|o| o.1 == 0.0) {
        for &(_, x, r) in ops.iter() {
            col[r] = x;
        }
    } else {
        pivot_updates(col, pend_u, ops);
    }
}

/// One pivot of a basis inverse (column `u` = `B⁻¹A_q`, row `r`) applied to
/// a vector `v = B⁻¹a`, giving the new basis's `B⁻¹a`: `v[r] / u[r]` in row
/// `r`, that multiple of `u` subtracted from the other rows.
fn apply_pivot(v: &mut [f64], u: &[f64], r: usize) {
    let t = v[r] / u[r];
    if t != 0.0 {
        sub_scaled(v, u, t);
    }
    v[r] = t;
}

/// The non-zero entries `(i, v)` of a dense vector, in order.
fn nonzeros(v: &[f64]) -> impl Iterator<Item = (usize, f64)> + '_ {
    v.iter().copied().enumerate().filter(|e| e.1 != 0.0)
}

/// A pointer shared by the chunks of a [`Team::run`], each of which writes
/// its own elements.
#[derive(Clone, Copy)]
struct SyncPtr(*mut f64);

impl SyncPtr {
    fn get(self) -> *mut f64 {
        self.0
    }
}

// SAFETY: only used for disjoint writes within `Team::run`.
unsafe impl Send for SyncPtr {}
unsafe impl Sync for SyncPtr {}

fn err(msg: &str) -> SortitionError {
    SortitionError::Solver(format!("simplex: {msg}"))
}

/// What a refactorisation reports when the basis has become singular.
const SINGULAR_BASIS: &str = "singular basis";

/// Whether `e` is [`Lp`]'s report of a singular basis (round-off over many
/// pivots can lead there; a restart from a known basis recovers).
pub(crate) fn is_singular(e: &SortitionError) -> bool {
    matches!(e, SortitionError::Solver(s) if s.strip_prefix("simplex: ") == Some(SINGULAR_BASIS))
}

impl Lp {
    /// A problem with the given columns and a starting basis (one column per
    /// row) that must be primal feasible (`B⁻¹b ≥ 0` up to round-off).
    pub fn new(
        b: Vec<f64>,
        mut cols: Vec<Column>,
        cost: Vec<f64>,
        basis: Vec<usize>,
    ) -> Result<Lp> {
        let m = b.len();
        let n_cols = cols.len();
        for c in &mut cols {
            if c.iter().any(|&(r, _)| r >= m) {
                return Err(err("row index out of range"));
            }
            // Stable: the pivot row is summed in row order.
            c.sort_by_key(|&(r, _)| r);
        }
        let mut lp = Lp {
            m,
            cols,
            cost,
            b,
            basis: Vec::new(),
            pos: Vec::new(),
            binv: Vec::new(),
            pend_u: vec![0.0; LAZY * m],
            pend_x: vec![0.0; LAZY * m],
            pend_r: Vec::with_capacity(LAZY),
            team: if m >= PAR_MIN_ROWS { Team::new() } else { None },
            y: Vec::new(),
            xb: Vec::new(),
            since_refactor: 0,
            devex: vec![1.0; n_cols],
            d: vec![0.0; n_cols],
        };
        lp.restart(basis)?;
        Ok(lp)
    }

    /// Starts again from `basis` (primal feasible, as for [`Lp::new`]) with
    /// the columns the problem has now: factorises it and checks that it is
    /// primal feasible (values within `START_TOL` below zero are set to
    /// zero).
    pub fn restart(&mut self, basis: Vec<usize>) -> Result<()> {
        if basis.len() != self.m {
            return Err(err("basis size"));
        }
        self.pos = vec![usize::MAX; self.cols.len()];
        for (i, &j) in basis.iter().enumerate() {
            self.pos[j] = i;
        }
        self.basis = basis;
        self.devex.iter_mut().for_each(|w| *w = 1.0);
        self.refactor()?;
        if self.xb.iter().any(|&x| x < -START_TOL) {
            return Err(err("starting basis is not feasible"));
        }
        for x in &mut self.xb {
            *x = x.max(0.0);
        }
        Ok(())
    }

    pub fn add_column(&mut self, mut col: Column, cost: f64) -> usize {
        let j = self.cols.len();
        assert!(
            col.iter().all(|&(r, _)| r < self.m),
            "row index out of range"
        );
        col.sort_by_key(|&(r, _)| r);
        self.d.push(reduced(&col, cost, &self.y));
        self.cols.push(col);
        self.cost.push(cost);
        self.pos.push(usize::MAX);
        self.devex.push(1.0);
        j
    }

    /// Recomputes every reduced cost from `y`.
    fn reset_reduced_costs(&mut self) {
        for j in 0..self.cols.len() {
            self.d[j] = if self.pos[j] == usize::MAX {
                reduced(&self.cols[j], self.cost[j], &self.y)
            } else {
                0.0
            };
        }
    }

    /// Applies every pending pivot to `binv`.
    fn flush_all(&mut self) {
        let m = self.m;
        let binv = SyncPtr(self.binv.as_mut_ptr());
        let (pr, pu, px) = (&self.pend_r, &self.pend_u, &self.pend_x);
        run_chunks(self.team.as_ref(), m.div_ceil(PAR_COLS), &|k| {
            let mut ops = [(0, 0.0, 0); LAZY];
            for c in k * PAR_COLS..((k + 1) * PAR_COLS).min(m) {
                // SAFETY: each chunk has its own columns of `binv`, which is
                // not otherwise accessed meanwhile.
                let col = unsafe { std::slice::from_raw_parts_mut(binv.get().add(c * m), m) };
                flush_column(col, c, pr, pu, px, &mut ops);
            }
        });
        self.pend_r.clear();
    }

    /// `out = Σ v·(column r of B⁻¹)` over the entries `(r, v)`, with the
    /// pending pivots applied to the result (product form: see
    /// [`apply_pivot`]), which costs `O(m)` each instead of bringing the
    /// columns up to date.
    fn ftran(&self, entries: impl IntoIterator<Item = (usize, f64)>, out: &mut [f64]) {
        let m = self.m;
        out.iter_mut().for_each(|x| *x = 0.0);
        for (r, v) in entries {
            add_scaled(out, &self.binv[r * m..(r + 1) * m], v);
        }
        for (j, &rj) in self.pend_r.iter().enumerate() {
            apply_pivot(out, &self.pend_u[j * m..(j + 1) * m], rj);
        }
    }

    /// Recomputes `B⁻¹` and `x_B` from scratch.
    fn refactor(&mut self) -> Result<()> {
        let m = self.m;
        self.pend_r.clear();
        // Singleton columns (slacks) pivot on their own row; only the other
        // columns need a dense inverse. With the rows permuted so,
        // B = [[C_N, 0], [C_S, D]] (D diagonal) and
        // B⁻¹ = [[G, 0], [−D⁻¹ C_S G, D⁻¹]], G = C_N⁻¹.
        let mut row_single = vec![usize::MAX; m]; // row -> basis position
        let mut others = Vec::new(); // basis positions of non-singletons
        for (i, &j) in self.basis.iter().enumerate() {
            let c = &self.cols[j];
            if c.len() == 1 && row_single[c[0].0] == usize::MAX && c[0].1.abs() > 1e-9 {
                row_single[c[0].0] = i;
            } else {
                others.push(i);
            }
        }
        let rows_n: Vec<usize> = (0..m).filter(|&r| row_single[r] == usize::MAX).collect();
        let k = others.len();
        if rows_n.len() != k {
            return Err(err(SINGULAR_BASIS));
        }
        let mut row_pos = vec![usize::MAX; m];
        for (a, &r) in rows_n.iter().enumerate() {
            row_pos[r] = a;
        }
        // In-place Gauss–Jordan inversion of C_N with partial pivoting (row
        // interchanges, undone on the columns of the inverse at the end).
        let w = k;
        let mut a = vec![0.0; k * k];
        for (c, &i) in others.iter().enumerate() {
            for &(r, v) in &self.cols[self.basis[i]] {
                if row_pos[r] != usize::MAX {
                    a[row_pos[r] * w + c] = v;
                }
            }
        }
        let mut swaps = Vec::with_capacity(k);
        for c in 0..k {
            let p = (c..k)
                .max_by(|&x, &y| a[x * w + c].abs().total_cmp(&a[y * w + c].abs()))
                .expect("rows");
            if a[p * w + c].abs() < 1e-11 {
                return Err(err(SINGULAR_BASIS));
            }
            if p != c {
                for q in 0..w {
                    a.swap(c * w + q, p * w + q);
                }
            }
            swaps.push(p);
            let inv = 1.0 / a[c * w + c];
            a[c * w + c] = 1.0;
            for q in 0..w {
                a[c * w + q] *= inv;
            }
            let ap = SyncPtr(a.as_mut_ptr());
            let team = self.team.as_ref().filter(|_| k >= PAR_MIN_ROWS);
            run_chunks(team, k.div_ceil(PAR_ROWS), &|ch| {
                // SAFETY: row c is only read, and each chunk has its own
                // other rows; `a` is not otherwise accessed meanwhile.
                let prow = unsafe { std::slice::from_raw_parts(ap.get().add(c * w), w) };
                for x in ch * PAR_ROWS..((ch + 1) * PAR_ROWS).min(k) {
                    if x != c {
                        let r = unsafe { std::slice::from_raw_parts_mut(ap.get().add(x * w), w) };
                        let f = r[c];
                        if f != 0.0 {
                            r[c] = 0.0;
                            sub_scaled(r, prow, f);
                        }
                    }
                }
            });
        }
        for c in (0..k).rev() {
            let p = swaps[c];
            if p != c {
                for r in 0..k {
                    a.swap(r * w + c, r * w + p);
                }
            }
        }
        // G[a][b] = a[a*w + b]: row a ↔ basis position others[a], column b ↔ row rows_n[b].
        self.binv = vec![0.0; m * m];
        for (ai, &pos) in others.iter().enumerate() {
            for (bi, &r) in rows_n.iter().enumerate() {
                self.binv[r * m + pos] = a[ai * w + bi];
            }
        }
        for r in 0..m {
            let pos = row_single[r];
            if pos == usize::MAX {
                continue;
            }
            let d = self.cols[self.basis[pos]][0].1;
            self.binv[r * m + pos] = 1.0 / d;
        }
        // Rows of singleton positions: −D⁻¹ C_S G, column by column of B⁻¹
        // (G is already there, at the positions `others`), each element
        // summed in the order of `others` as before.
        let mut terms = Vec::new();
        for &opos in &others {
            for &(r, v) in &self.cols[self.basis[opos]] {
                let pos = row_single[r];
                if pos != usize::MAX {
                    terms.push((opos, pos, -v / self.cols[self.basis[pos]][0].1));
                }
            }
        }
        // Grouped by destination (a stable sort keeps each destination's
        // terms in their order), each sum is taken in a register: the
        // sources are positions in `others` and never a destination, so
        // every element gets the same products added in the same order.
        terms.sort_by_key(|t| t.1);
        let (src, f): (Vec<usize>, Vec<f64>) = terms.iter().map(|t| (t.0, t.2)).unzip();
        let mut groups = Vec::new();
        let mut start = 0;
        for i in 1..=terms.len() {
            if i == terms.len() || terms[i].1 != terms[start].1 {
                groups.push((terms[start].1, start, i));
                start = i;
            }
        }
        for &rn in &rows_n {
            let col = &mut self.binv[rn * m..(rn + 1) * m];
            for &(dst, a, b) in &groups {
                let mut acc = col[dst];
                for (&s, &f) in src[a..b].iter().zip(&f[a..b]) {
                    // SAFETY: `s` is a basis position, below `m = col.len()`.
                    acc += f * unsafe { *col.get_unchecked(s) };
                }
                col[dst] = acc;
            }
        }
        let mut xb = vec![0.0; m];
        self.ftran(nonzeros(&self.b), &mut xb);
        self.xb = xb;
        let cb: Vec<f64> = self.basis.iter().map(|&j| self.cost[j]).collect();
        self.y = (0..m)
            .map(|c| {
                let col = &self.binv[c * m..(c + 1) * m];
                col.iter().zip(&cb).map(|(x, y)| x * y).sum()
            })
            .collect();
        for x in &mut self.xb {
            if *x < 0.0 && *x > -1e-9 {
                *x = 0.0;
            }
        }
        self.reset_reduced_costs();
        self.since_refactor = 0;
        Ok(())
    }

    /// Recomputes the basis inverse, the basic solution, the multipliers and
    /// the reduced costs from scratch when the basic solution misses the
    /// right-hand side by more than `tol` in some row (`O(nnz)` to check:
    /// many pivots' updates, and small negative values set to zero, let it
    /// drift). Returns whether it did.
    pub fn refresh_if_inaccurate(&mut self, tol: f64) -> Result<bool> {
        let mut r = self.b.clone();
        for (i, &j) in self.basis.iter().enumerate() {
            for &(row, v) in &self.cols[j] {
                r[row] -= v * self.xb[i];
            }
        }
        if r.iter().all(|x| x.abs() <= tol) {
            return Ok(false);
        }
        self.refactor()?;
        Ok(true)
    }

    /// Simplex multipliers `y = c_B B⁻¹`.
    pub fn duals(&self) -> Vec<f64> {
        self.y.clone()
    }

    /// Runs the primal simplex to optimality.
    pub fn solve(&mut self) -> Result<()> {
        let m = self.m;
        let mut degenerate = 0usize;
        let mut u = vec![0.0; m];
        let max_pivots = 50 * (m + self.cols.len()) + 10_000;
        let mut verified = false;
        for _ in 0..max_pivots {
            let bland = degenerate > BLAND_AFTER;
            // Devex pricing: largest d_j² / w_j among improving columns.
            let mut enter = None;
            let mut best = 0.0;
            let n = self.cols.len();
            for (j, ((&d, &p), &w)) in self.d[..n]
                .iter()
                .zip(&self.pos[..n])
                .zip(&self.devex[..n])
                .enumerate()
            {
                if d > OPT_TOL && p == usize::MAX {
                    if bland {
                        enter = Some(j);
                        break;
                    }
                    let score = d * d / w;
                    if score > best {
                        enter = Some(j);
                        best = score;
                    }
                }
            }
            let Some(q) = enter else {
                if verified {
                    return Ok(());
                }
                // The updated reduced costs say optimal: confirm from scratch.
                self.reset_reduced_costs();
                verified = true;
                continue;
            };
            verified = false;
            let dq = self.d[q];
            // u = B⁻¹ A_q
            self.ftran(self.cols[q].iter().copied(), &mut u);
            // Harris ratio test.
            let mut tmax = f64::INFINITY;
            for (&ui, &xi) in u.iter().zip(&self.xb[..m]) {
                if ui > PIVOT_TOL {
                    tmax = tmax.min((xi + FEAS_TOL) / ui);
                }
            }
            if tmax == f64::INFINITY {
                return Err(err("unbounded"));
            }
            let mut leave = None;
            let mut best_u = 0.0;
            for (i, (&ui, &xi)) in u.iter().zip(&self.xb[..m]).enumerate() {
                if ui > PIVOT_TOL && xi / ui <= tmax {
                    let better = if bland {
                        leave.is_none_or(|l: usize| self.basis[i] < self.basis[l])
                    } else {
                        ui > best_u
                    };
                    if better {
                        leave = Some(i);
                        best_u = ui;
                    }
                }
            }
            let r = leave.ok_or_else(|| err("no leaving row"))?;
            // The pivot row α_r = (row r of B⁻¹)·A, column by column over the
            // non-basic columns (row r of B⁻¹ is mostly dense here); it
            // updates the reduced costs and the Devex weights. Column entries
            // are sorted by row, so each α_rj is summed in the same order as
            // a row-wise accumulation would; zero entries of `rho` add ±0,
            // which changes no non-zero sum.
            // Row r of B⁻¹: its stored elements with the pending pivots
            // applied, element by element as `flush_column` would.
            let np = self.pend_r.len();
            let mut ur = [(0.0, false); LAZY];
            for (j, &rj) in self.pend_r.iter().enumerate() {
                ur[j] = (self.pend_u[j * m + r], rj == r);
            }
            // Without a pending pivot on row r (the usual case) only the
            // differences remain.
            let at_r = ur[..np].iter().any(|u| u.1);
            let binv = &self.binv;
            let rho: Vec<f64> = self
                .pend_x
                .chunks_exact(LAZY)
                .enumerate()
                .map(|(c, xs)| {
                    let mut e = binv[c * m + r];
                    let pending = xs[..np].iter().zip(&ur[..np]);
                    if at_r {
                        for (&x, &(uj, here)) in pending {
                            if here {
                                e = x;
                            } else if x != 0.0 {
                                e -= uj * x;
                            }
                        }
                    } else {
                        for (&x, &(uj, _)) in pending {
                            if x != 0.0 {
                                e -= uj * x;
                            }
                        }
                    }
                    e
                })
                .collect();
            let n = self.cols.len();
            let (arq, wq) = (u[r], self.devex[q]);
            let step = dq / arq;
            // Column by column over the non-basic columns: each updates
            // only its own reduced cost and Devex weight.
            let reset = AtomicBool::new(false);
            let (dp, wp) = (
                SyncPtr(self.d.as_mut_ptr()),
                SyncPtr(self.devex.as_mut_ptr()),
            );
            let (pos, cols) = (&self.pos, &self.cols);
            let row_chunk = |lo: usize, hi: usize| {
                let update = |j: usize, arj: f64| {
                    if arj == 0.0 {
                        return;
                    }
                    // SAFETY: `j < n` is the chunk's own column; `d` and
                    // `devex` are not otherwise accessed meanwhile.
                    unsafe {
                        *dp.get().add(j) -= step * arj;
                        let ratio = arj / arq;
                        let w = ratio * ratio * wq;
                        let dw = wp.get().add(j);
                        if w > *dw {
                            *dw = w;
                            if w > 1e8 {
                                reset.store(true, Ordering::Relaxed);
                            }
                        }
                    }
                };
                // Four columns at a time: four independent sums keep the
                // floating-point adder busy (each sum is still taken in row
                // order).
                let mut batch = [0usize; 4];
                let mut len = 0;
                for j in lo..hi {
                    if pos[j] != usize::MAX || j == q {
                        continue;
                    }
                    batch[len] = j;
                    len += 1;
                    if len == 4 {
                        let c = batch.map(|j| cols[j].as_slice());
                        // SAFETY: every column's rows are below m = rho.len()
                        // (checked in `new` and `add_column`).
                        let a = unsafe { dot4(c, &rho) };
                        for (&j, &arj) in batch.iter().zip(&a) {
                            update(j, arj);
                        }
                        len = 0;
                    }
                }
                for &j in &batch[..len] {
                    update(j, dot(&cols[j], &rho));
                }
            };
            let team = self.team.as_ref().filter(|_| n >= PAR_MIN_COLS);
            run_chunks(team, n.div_ceil(PAR_PIVOT_COLS), &|k| {
                row_chunk(k * PAR_PIVOT_COLS, ((k + 1) * PAR_PIVOT_COLS).min(n));
            });
            let reset = reset.into_inner();
            self.d[q] = 0.0;
            self.d[self.basis[r]] = -step;
            self.devex[self.basis[r]] = (wq / (arq * arq)).max(1.0);
            if reset {
                self.devex.iter_mut().for_each(|w| *w = 1.0);
            }
            let theta = (self.xb[r] / u[r]).max(0.0);
            degenerate = if theta <= 1e-12 { degenerate + 1 } else { 0 };
            for i in 0..m {
                if i != r {
                    self.xb[i] = (self.xb[i] - theta * u[i]).max(0.0);
                }
            }
            self.xb[r] = theta;
            // Pivot B⁻¹ on row r: row r /= u_r, row i -= u_i · row r;
            // deferred (applied to every column every `LAZY` pivots; until
            // then FTRAN and the row of B⁻¹ apply them to their results).
            let pr = u[r];
            let j = self.pend_r.len();
            self.pend_u[j * m..(j + 1) * m].copy_from_slice(&u);
            for c in 0..m {
                let x = rho[c] / pr;
                self.pend_x[c * LAZY + j] = x;
                // y' = y + d_q · (row r of the new B⁻¹)
                self.y[c] += dq * x;
            }
            self.pend_r.push(r);
            if self.pend_r.len() == LAZY {
                self.flush_all();
            }
            self.pos[self.basis[r]] = usize::MAX;
            self.basis[r] = q;
            self.pos[q] = r;
            self.since_refactor += 1;
            if self.since_refactor >= REFACTOR_EVERY.max(2 * m) {
                self.refactor()?;
            }
        }
        Err(err("pivot limit reached"))
    }

    /// The basic solution of the basis that equals this LP's except that
    /// position `p` holds the column `col` (`None`: the same basis), for the
    /// right-hand side `b`, computed from the current basis inverse (`O(m²)`,
    /// no refactorisation). Also returns the pivot element `(B⁻¹col)_p`
    /// (1 without a replacement), whose size tells whether the new basis is
    /// singular.
    pub fn basic_solution_with(
        &mut self,
        p: Option<(usize, &Column)>,
        b: &[f64],
    ) -> (Vec<f64>, f64) {
        let m = self.m;
        self.flush_all();
        let mut x = vec![0.0; m];
        self.ftran(nonzeros(b), &mut x);
        let Some((p, col)) = p else {
            return (x, 1.0);
        };
        let mut w = vec![0.0; m];
        self.ftran(col.iter().copied(), &mut w);
        apply_pivot(&mut x, &w, p);
        (x, w[p])
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.cols.len()
    }

    /// Reduced cost of every column (0 for basic columns); exact after
    /// [`Lp::solve`].
    pub fn reduced_costs(&self) -> &[f64] {
        &self.d
    }

    /// Drops the non-basic columns `j` with `keep[j] == false` (basic ones
    /// always stay). Returns the new index of every old column, `usize::MAX`
    /// for dropped ones. The basis does not change.
    pub fn retain(&mut self, keep: &[bool]) -> Vec<usize> {
        let n = self.cols.len();
        let mut map = vec![usize::MAX; n];
        let mut next = 0;
        for j in 0..n {
            if keep[j] || self.pos[j] != usize::MAX {
                map[j] = next;
                next += 1;
            }
        }
        let pick = |v: &mut Vec<f64>| {
            let mut i = 0;
            v.retain(|_| {
                i += 1;
                map[i - 1] != usize::MAX
            });
        };
        pick(&mut self.cost);
        pick(&mut self.d);
        pick(&mut self.devex);
        let mut i = 0;
        self.cols.retain(|_| {
            i += 1;
            map[i - 1] != usize::MAX
        });
        self.pos = vec![usize::MAX; next];
        for (r, j) in self.basis.iter_mut().enumerate() {
            *j = map[*j];
            self.pos[*j] = r;
        }
        map
    }

    /// The basic column of each row.
    pub fn basis(&self) -> &[usize] {
        &self.basis
    }

    /// Value of each column.
    pub fn values(&self) -> Vec<f64> {
        let mut x = vec![0.0; self.cols.len()];
        for (i, &j) in self.basis.iter().enumerate() {
            x[j] = self.xb[i].max(0.0);
        }
        x
    }

    pub fn objective(&self) -> f64 {
        self.basis
            .iter()
            .zip(&self.xb)
            .map(|(&j, x)| self.cost[j] * x)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// max 3x + 2y  s.t.  x + y + s1 = 4,  x + 3y + s2 = 6,  x,y,s >= 0,
    /// solved (optimum 12 at x = 4).
    fn small_lp() -> Lp {
        let cols = vec![
            vec![(0, 1.0), (1, 1.0)],
            vec![(0, 1.0), (1, 3.0)],
            vec![(0, 1.0)],
            vec![(1, 1.0)],
        ];
        let mut lp = Lp::new(vec![4.0, 6.0], cols, vec![3.0, 2.0, 0.0, 0.0], vec![2, 3]).unwrap();
        lp.solve().unwrap();
        lp
    }

    /// A singular basis is reported as such, and a restart from the slack
    /// basis after columns were added reaches the same optimum as the warm
    /// solve (the recovery of `Engine::stage`).
    #[test]
    fn singular_basis_is_reported_and_a_restart_recovers() {
        let cols = vec![
            vec![(0, 1.0), (1, 1.0)],
            vec![(0, 2.0), (1, 2.0)],
            vec![(0, 1.0)],
        ];
        let e = Lp::new(vec![1.0, 1.0], cols, vec![0.0; 3], vec![0, 1])
            .err()
            .expect("singular");
        assert!(is_singular(&e), "{e}");
        assert!(!is_singular(&err("pivot limit reached")));
        let mut lp = small_lp();
        let z = lp.add_column(vec![(0, 1.0), (1, 1.0)], 5.0);
        lp.solve().unwrap();
        let warm = lp.values();
        lp.restart(vec![2, 3]).unwrap();
        assert!(lp.objective().abs() < 1e-12, "back at the slack basis");
        lp.solve().unwrap();
        assert!((lp.objective() - 20.0).abs() < 1e-9);
        assert!((lp.values()[z] - warm[z]).abs() < 1e-9);
        assert!(lp.restart(vec![2]).is_err(), "one column per row");
    }

    #[test]
    fn solves_a_small_lp_and_warm_starts() {
        let mut lp = small_lp();
        assert!((lp.objective() - 12.0).abs() < 1e-9);
        let y = lp.duals();
        assert!((y[0] - 3.0).abs() < 1e-9 && y[1].abs() < 1e-9);
        // A new column z with cost 5 and usage (1, 1): optimum 20 at z = 4.
        let z = lp.add_column(vec![(0, 1.0), (1, 1.0)], 5.0);
        lp.solve().unwrap();
        assert!((lp.objective() - 20.0).abs() < 1e-9);
        assert!((lp.values()[z] - 4.0).abs() < 1e-9);
    }

    #[test]
    fn retain_drops_non_basic_columns_only() {
        // max 3x + 2y + w  s.t.  x + y + w + s1 = 4,  x + 3y + s2 = 6.
        let cols = vec![
            vec![(0, 1.0), (1, 1.0)],
            vec![(0, 1.0), (1, 3.0)],
            vec![(0, 1.0)],
            vec![(1, 1.0)],
            vec![(0, 1.0)],
        ];
        let cost = vec![3.0, 2.0, 0.0, 0.0, 1.0];
        let mut lp = Lp::new(vec![4.0, 6.0], cols, cost, vec![2, 3]).unwrap();
        lp.solve().unwrap();
        assert!((lp.objective() - 12.0).abs() < 1e-9);
        // Keep nothing: only the basic columns (x and a slack) stay.
        let map = lp.retain(&[false; 5]);
        assert_eq!(lp.n_cols(), 2);
        assert_eq!(map.iter().filter(|&&j| j != usize::MAX).count(), 2);
        assert_ne!(map[0], usize::MAX);
        assert!((lp.objective() - 12.0).abs() < 1e-9);
        assert!(lp.reduced_costs().iter().all(|d| d.abs() < 1e-12));
        // A better column after the drop: z with cost 5 and usage (1, 1).
        let z = lp.add_column(vec![(0, 1.0), (1, 1.0)], 5.0);
        lp.solve().unwrap();
        assert!((lp.objective() - 20.0).abs() < 1e-9);
        assert!((lp.values()[z] - 4.0).abs() < 1e-9);
    }

    #[test]
    fn degenerate_lp_terminates() {
        // Highly degenerate: max x1 + x2 + x3 with many tight rows at the origin.
        let m = 6;
        let mut cols: Vec<Column> = Vec::new();
        for j in 0..3 {
            cols.push(
                (0..m)
                    .map(|r| (r, if (r + j) % 2 == 0 { 1.0 } else { 0.5 }))
                    .collect(),
            );
        }
        for r in 0..m {
            cols.push(vec![(r, 1.0)]);
        }
        let mut b = vec![0.0; m];
        b[m - 1] = 1.0;
        let mut cost = vec![1.0, 1.0, 1.0];
        cost.extend(vec![0.0; m]);
        let mut lp = Lp::new(b, cols, cost, (3..3 + m).collect()).unwrap();
        lp.solve().unwrap();
        assert!(lp.objective().abs() < 1e-9);
    }

    /// A starting basis a little below zero (as a stage's cold start from
    /// the previous solution can be) is accepted with those values set to
    /// zero; one clearly infeasible is refused.
    #[test]
    fn start_within_tolerance_is_accepted() {
        let slack = || vec![vec![(0, 1.0)], vec![(0, 1.0)]];
        let lp = Lp::new(vec![-5e-7], slack(), vec![0.0, 0.0], vec![0]).unwrap();
        assert_eq!(lp.values(), vec![0.0, 0.0]);
        assert!(Lp::new(vec![-1e-5], slack(), vec![0.0, 0.0], vec![0]).is_err());
    }

    /// Random LPs that take many pivots (so FTRAN and the pivot row work
    /// with pending, not yet applied pivots, and refactorise on the way):
    /// the result is primal feasible and no column has a positive reduced
    /// cost when recomputed from scratch, i.e. it is optimal. Also with
    /// columns added between solves, as column generation does.
    #[test]
    fn random_lps_are_solved_to_optimality() {
        let mut raw = crate::xorshift(0x2545_f491_4f6c_dd1d);
        let mut next = move || (raw() % 1_000_000) as f64 / 1e6;
        for (m, n) in [(12, 60), (40, 300), (150, 900)] {
            // max c·x  s.t.  A x + s = b (A ≥ 0 sparse, b > 0): the slacks
            // form a feasible start.
            let mut cols: Vec<Column> = Vec::new();
            let mut cost = Vec::new();
            // Never empty: a column without entries would be unbounded.
            let random_col = |next: &mut dyn FnMut() -> f64| -> Column {
                let mut c: Column = Vec::new();
                for r in 0..m {
                    if next() < 0.3 {
                        c.push((r, 0.1 + next()));
                    }
                }
                if c.is_empty() {
                    c.push(((next() * m as f64) as usize % m, 0.5));
                }
                c
            };
            for _ in 0..n {
                cols.push(random_col(&mut next));
                cost.push(next());
            }
            for r in 0..m {
                cols.push(vec![(r, 1.0)]);
                cost.push(0.0);
            }
            let b: Vec<f64> = (0..m).map(|_| 1.0 + next()).collect();
            let mut lp =
                Lp::new(b.clone(), cols.clone(), cost.clone(), (n..n + m).collect()).unwrap();
            for round in 0..3 {
                lp.solve().unwrap();
                let x = lp.values();
                for (r, &br) in b.iter().enumerate() {
                    let lhs: f64 = cols
                        .iter()
                        .zip(&x)
                        .map(|(c, &xj)| {
                            c.iter().filter(|e| e.0 == r).map(|e| e.1 * xj).sum::<f64>()
                        })
                        .sum();
                    assert!(
                        (lhs - br).abs() < 1e-8,
                        "m {m} round {round} row {r}: {lhs} vs {br}"
                    );
                }
                let y = lp.duals();
                for (j, c) in cols.iter().enumerate() {
                    assert!(
                        reduced(c, cost[j], &y) < 1e-8,
                        "m {m} round {round} column {j}"
                    );
                }
                let obj: f64 = cost.iter().zip(&x).map(|(c, x)| c * x).sum();
                assert!((obj - lp.objective()).abs() < 1e-8);
                // Some new columns, as a pricing round adds.
                for _ in 0..m / 4 {
                    let c = random_col(&mut next);
                    let k = next() * 3.0;
                    lp.add_column(c.clone(), k);
                    cols.push(c);
                    cost.push(k);
                }
            }
        }
    }

    /// A basic solution that has drifted from the right-hand side is
    /// recomputed; an accurate one is left alone.
    #[test]
    fn refresh_if_inaccurate_recomputes_a_drifted_solution() {
        let mut lp = small_lp();
        assert!(!lp.refresh_if_inaccurate(1e-9).unwrap());
        lp.xb[0] += 1e-6;
        assert!(lp.refresh_if_inaccurate(1e-9).unwrap());
        assert!((lp.objective() - 12.0).abs() < 1e-12);
        assert!(!lp.refresh_if_inaccurate(1e-9).unwrap());
    }
}
