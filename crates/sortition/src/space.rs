//! The space of feasible panels, with people grouped into *types*.
//!
//! People with the same value in every category and no shared household are
//! interchangeable: every fair objective used here (maximin, LEXIMIN, Nash) has a
//! unique optimal vector of selection probabilities, and it is invariant under
//! swapping interchangeable people, so they all get the same probability. The
//! engine therefore works with *type panels* (how many people of each type are
//! on the panel) and only turns them into panels of people at the end. People in
//! a household with more than one member of the pool are types of their own.
//!
//! The pricing problem (the integer program of the column generation) is
//! solved here: a panel of maximum weight under the quotas, the panel size and
//! the household constraint.

use crate::error::{Result, SortitionError};
use crate::model::Instance;
use microlp::{ComparisonOp, OptimizationDirection, Problem};
use std::collections::HashMap;

/// A panel at type level: `(type, count)` pairs sorted by type, counts > 0.
pub type TypePanel = Vec<(usize, u32)>;

/// One quota row: the types having a given category value, with bounds.
#[derive(Debug, Clone)]
pub(crate) struct QuotaRow {
    pub category: usize,
    pub value: usize,
    pub min: u32,
    pub max: u32,
    pub types: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct PanelSpace {
    pub k: u32,
    /// person -> type
    pub type_of: Vec<usize>,
    /// type -> people (person indices, ascending)
    pub members: Vec<Vec<usize>>,
    pub rows: Vec<QuotaRow>,
    /// groups of types of which at most one person may be selected
    pub households: Vec<Vec<usize>>,
    /// type -> index in `rows` of its value, per category
    pub type_rows: Vec<Vec<usize>>,
    /// type -> index in `households`, or `usize::MAX`
    pub household_of: Vec<usize>,
    /// type -> bit set of its rows (when there are at most 128 rows)
    type_mask: Vec<u128>,
}

impl PanelSpace {
    pub fn new(inst: &Instance) -> Self {
        let mut hh_count: HashMap<&str, usize> = HashMap::new();
        for p in &inst.people {
            if let Some(h) = &p.household {
                *hh_count.entry(h.as_str()).or_default() += 1;
            }
        }
        let shared = |i: usize| {
            inst.people[i]
                .household
                .as_deref()
                .is_some_and(|h| hh_count[h] > 1)
        };
        let mut by_key: HashMap<&[usize], usize> = HashMap::new();
        let mut type_of = Vec::with_capacity(inst.people.len());
        let mut members: Vec<Vec<usize>> = Vec::new();
        let mut hh_types: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, p) in inst.people.iter().enumerate() {
            let t = if shared(i) {
                members.push(Vec::new());
                let t = members.len() - 1;
                hh_types
                    .entry(p.household.as_deref().unwrap_or_default())
                    .or_default()
                    .push(t);
                t
            } else {
                *by_key.entry(p.features.as_slice()).or_insert_with(|| {
                    members.push(Vec::new());
                    members.len() - 1
                })
            };
            members[t].push(i);
            type_of.push(t);
        }
        let mut rows = Vec::new();
        for (c, cat) in inst.categories.iter().enumerate() {
            for (v, val) in cat.values.iter().enumerate() {
                let types = (0..members.len())
                    .filter(|&t| inst.people[members[t][0]].features[c] == v)
                    .collect();
                rows.push(QuotaRow {
                    category: c,
                    value: v,
                    min: val.min,
                    max: val.max,
                    types,
                });
            }
        }
        let mut households: Vec<Vec<usize>> = hh_types.into_values().collect();
        households.sort();
        let mut type_rows = vec![Vec::with_capacity(inst.categories.len()); members.len()];
        for (ri, r) in rows.iter().enumerate() {
            for &t in &r.types {
                type_rows[t].push(ri);
            }
        }
        let mut household_of = vec![usize::MAX; members.len()];
        for (h, ts) in households.iter().enumerate() {
            for &t in ts {
                household_of[t] = h;
            }
        }
        let type_mask = type_rows
            .iter()
            .map(|rs| {
                if rows.len() <= 128 {
                    rs.iter().fold(0u128, |m, &r| m | 1 << r)
                } else {
                    0
                }
            })
            .collect();
        PanelSpace {
            k: inst.panel_size as u32,
            type_of,
            members,
            rows,
            households,
            type_rows,
            household_of,
            type_mask,
        }
    }

    /// Local search for the pricing problem: from the feasible panel `start`,
    /// repeatedly replaces one person by one of another type where that raises
    /// the weight most and keeps every constraint, until no such swap is left.
    /// `order` is the types sorted by decreasing weight. A heuristic: the
    /// result is feasible and at least as heavy as `start`, not necessarily the
    /// heaviest panel.
    pub fn local_search(&self, start: &TypePanel, w: &[f64], order: &[usize]) -> TypePanel {
        self.local_search_with(start, w, order, self.rows.len() <= 128)
    }

    /// [`PanelSpace::local_search`]; `use_mask` (at most 128 rows) selects
    /// the bit-set search, else every candidate is tested one by one (the
    /// same result, slower; the tests compare the two).
    fn local_search_with(
        &self,
        start: &TypePanel,
        w: &[f64],
        order: &[usize],
        use_mask: bool,
    ) -> TypePanel {
        let nt = self.n_types();
        let mut cnt = vec![0u32; nt];
        let mut rc = vec![0u32; self.rows.len()];
        let mut hh = vec![0u32; self.households.len()];
        for &(t, c) in start {
            cnt[t] += c;
            for &r in &self.type_rows[t] {
                rc[r] += c;
            }
            if self.household_of[t] != usize::MAX {
                hh[self.household_of[t]] += c;
            }
        }
        let mut in_panel: Vec<usize> = start.iter().map(|x| x.0).collect();
        // Rows at their maximum (`full`) and at their minimum (`low`), as bit
        // sets when there are at most 128 rows.
        let bit = |r: usize| if use_mask { 1u128 << r } else { 0 };
        let mut full = 0u128;
        let mut low = 0u128;
        for (r, row) in self.rows.iter().enumerate() {
            if rc[r] >= row.max {
                full |= bit(r);
            }
            if rc[r] <= row.min {
                low |= bit(r);
            }
        }
        // The candidates `b` by position in `order`, with what the scan
        // needs of them in contiguous arrays, and a bit set of the positions
        // whose type still has a person off the panel. Skipping the other
        // positions changes nothing: the scan below stops at the first `b`
        // whose gain is too small, and the gains fall along `order`.
        let ow: Vec<f64> = order.iter().map(|&b| w[b]).collect();
        let ohh: Vec<usize> = order.iter().map(|&b| self.household_of[b]).collect();
        let mut pos_of = vec![usize::MAX; nt];
        let words = order.len().div_ceil(64);
        let mut avail = vec![0u64; words];
        // Per row, the positions of its types (with at most 128 rows).
        let mut rbits = vec![0u64; if use_mask { self.rows.len() * words } else { 0 }];
        let n_cat = self.type_rows.first().map_or(0, Vec::len);
        // Per category, the positions of the types in its full rows.
        let mut fullc = vec![0u64; n_cat * words];
        for (i, &b) in order.iter().enumerate() {
            if use_mask {
                for &r in &self.type_rows[b] {
                    rbits[r * words + i / 64] |= 1 << (i % 64);
                }
            }
            pos_of[b] = i;
            if cnt[b] < self.size(b) {
                avail[i / 64] |= 1 << (i % 64);
            }
        }
        for _ in 0..10 * self.k as usize + 100 {
            // Lightest first: their swaps gain most, so the search for the
            // others stops early.
            in_panel.retain(|&a| cnt[a] > 0);
            in_panel.sort_unstable_by(|&a, &b| w[a].total_cmp(&w[b]).then(a.cmp(&b)));
            let mut best: Option<(f64, usize, usize)> = None;
            if use_mask {
                fullc.iter_mut().for_each(|x| *x = 0);
                for (r, row) in self.rows.iter().enumerate() {
                    if full & bit(r) != 0 {
                        let (dst, src) = (row.category * words, r * words);
                        for wi in 0..words {
                            fullc[dst + wi] |= rbits[src + wi];
                        }
                    }
                }
            }
            for &a in &in_panel {
                let ra = &self.type_rows[a];
                let ma = self.type_mask[a];
                let ha = self.household_of[a];
                let wa = w[a];
                // Gains at most this end the scan.
                let floor = best.map_or(1e-12, |(g, _, _)| g.max(1e-12));
                if use_mask {
                    // The positions with a larger gain, then among them the
                    // ones the quotas allow, by words of 64 positions: not in
                    // a full row that `a` is not in, in every row at its
                    // minimum that `a` is in.
                    // The gains fall along `ow`: the scan ends at the first
                    // position whose gain is at most `floor` (checked per
                    // word and per candidate instead of a binary search).
                    let low_a = ma & low;
                    'words: for wi in 0..words {
                        if ow[wi * 64] - wa <= floor {
                            break;
                        }
                        let mut bits = avail[wi];
                        for (c, &ra_c) in ra.iter().enumerate() {
                            let own = rbits[ra_c * words + wi];
                            bits &= !(fullc[c * words + wi] & !own);
                            if low_a & bit(ra_c) != 0 {
                                bits &= own;
                            }
                        }
                        while bits != 0 {
                            let i = wi * 64 + bits.trailing_zeros() as usize;
                            bits &= bits - 1;
                            if ow[i] - wa <= floor {
                                break 'words;
                            }
                            let hb = ohh[i];
                            if hb == usize::MAX || hb == ha || hh[hb] == 0 {
                                best = Some((ow[i] - wa, a, order[i]));
                                break 'words;
                            }
                        }
                    }
                    continue;
                }
                'scan: for (wi, &word) in avail.iter().enumerate() {
                    let mut bits = word;
                    while bits != 0 {
                        let i = wi * 64 + bits.trailing_zeros() as usize;
                        bits &= bits - 1;
                        let gain = ow[i] - wa;
                        if gain <= floor {
                            break 'scan;
                        }
                        let b = order[i];
                        let ok = ra.iter().zip(&self.type_rows[b]).all(|(&x, &y)| {
                            x == y || (rc[x] > self.rows[x].min && rc[y] < self.rows[y].max)
                        });
                        let hb = ohh[i];
                        if ok && (hb == usize::MAX || hb == ha || hh[hb] == 0) {
                            best = Some((gain, a, b));
                            break 'scan;
                        }
                    }
                }
            }
            let Some((_, a, b)) = best else { break };
            cnt[a] -= 1;
            cnt[b] += 1;
            let (pa, pb) = (pos_of[a], pos_of[b]);
            avail[pa / 64] |= 1 << (pa % 64);
            if cnt[b] >= self.size(b) {
                avail[pb / 64] &= !(1 << (pb % 64));
            }
            for &r in &self.type_rows[a] {
                rc[r] -= 1;
            }
            for &r in &self.type_rows[b] {
                rc[r] += 1;
            }
            if use_mask {
                for &r in self.type_rows[a].iter().chain(&self.type_rows[b]) {
                    let row = &self.rows[r];
                    full = (full & !bit(r)) | if rc[r] >= row.max { bit(r) } else { 0 };
                    low = (low & !bit(r)) | if rc[r] <= row.min { bit(r) } else { 0 };
                }
            }
            if self.household_of[a] != usize::MAX {
                hh[self.household_of[a]] -= 1;
            }
            if self.household_of[b] != usize::MAX {
                hh[self.household_of[b]] += 1;
            }
            if !in_panel.contains(&b) {
                in_panel.push(b);
            }
        }
        in_panel.retain(|&a| cnt[a] > 0);
        in_panel.sort_unstable();
        in_panel.into_iter().map(|t| (t, cnt[t])).collect()
    }

    /// The most people row `r` can have on a panel: its people, at most
    /// the panel size. A maximum at or above it does not bind.
    pub(crate) fn row_cap(&self, r: &QuotaRow) -> u32 {
        r.types
            .iter()
            .map(|&t| self.size(t))
            .sum::<u32>()
            .min(self.k)
    }

    pub fn n_types(&self) -> usize {
        self.members.len()
    }

    pub fn size(&self, t: usize) -> u32 {
        self.members[t].len() as u32
    }

    /// Checks a type panel against every constraint.
    pub fn is_feasible(&self, panel: &TypePanel) -> bool {
        let mut count = vec![0u32; self.n_types()];
        let mut total = 0;
        for &(t, c) in panel {
            if t >= count.len() || c > self.size(t) {
                return false;
            }
            count[t] += c;
            total += c;
        }
        total == self.k
            && self.rows.iter().all(|r| {
                let s: u32 = r.types.iter().map(|&t| count[t]).sum();
                s >= r.min && s <= r.max
            })
            && self
                .households
                .iter()
                .all(|h| h.iter().map(|&t| count[t]).sum::<u32>() <= 1)
    }

    /// Weight of a type panel under per-person weights `w` (indexed by type).
    pub fn value(panel: &TypePanel, w: &[f64]) -> f64 {
        panel.iter().map(|&(t, c)| w[t] * c as f64).sum()
    }

    /// A feasible panel maximising `sum_t w[t] * count[t]` (`w` is a weight per
    /// person of each type). With `force = Some(t)` the panel must contain a
    /// person of type `t`. `Ok(None)`: no feasible panel (with that person).
    pub fn best_panel(&self, w: &[f64], force: Option<usize>) -> Result<Option<TypePanel>> {
        self.best_panel_gap(w, force, 0.0, None)
    }

    /// [`PanelSpace::best_panel`] that may stop at a panel within the
    /// relative `gap` of the best (or after `node_limit` branch-and-bound
    /// nodes; then the search is repeated without limits if it found nothing).
    pub fn best_panel_gap(
        &self,
        w: &[f64],
        force: Option<usize>,
        gap: f64,
        node_limit: Option<u64>,
    ) -> Result<Option<TypePanel>> {
        let quick = gap > 0.0 || node_limit.is_some();
        let wmax = w.iter().fold(0.0f64, |a, &b| a.max(b.abs()));
        let scale = if wmax > 0.0 { 1.0 / wmax } else { 1.0 };
        let mut p = Problem::new(OptimizationDirection::Maximize);
        let vars: Vec<_> = (0..self.n_types())
            .map(|t| {
                let mut c = w[t] * scale;
                if c.abs() < 1e-9 {
                    c = 0.0;
                }
                let lo = i32::from(force == Some(t));
                p.add_integer_var(c, (lo, self.size(t) as i32))
            })
            .collect();
        let all: Vec<_> = vars.iter().map(|&v| (v, 1.0)).collect();
        p.add_constraint(all.as_slice(), ComparisonOp::Eq, self.k as f64);
        for r in &self.rows {
            let cap = self.row_cap(r);
            if r.min > cap {
                return Ok(None);
            }
            let e: Vec<_> = r.types.iter().map(|&t| (vars[t], 1.0)).collect();
            if r.min > 0 {
                p.add_constraint(e.as_slice(), ComparisonOp::Ge, r.min as f64);
            }
            if r.max < cap {
                p.add_constraint(e.as_slice(), ComparisonOp::Le, r.max as f64);
            }
        }
        for h in &self.households {
            let e: Vec<_> = h.iter().map(|&t| (vars[t], 1.0)).collect();
            p.add_constraint(e.as_slice(), ComparisonOp::Le, 1.0);
        }
        let mut opts = microlp::SolveOptions::default();
        opts.mip_gap = gap;
        opts.node_limit = node_limit;
        // Without `microlp`'s presolve: on these small programs it changed
        // no result (the same panels, bit for bit, on the benchmark pools)
        // and cost about 1% of a selection's instructions.
        opts.presolve = false;
        let sol = match p.solve_with(opts) {
            Ok(o) => match o.into_solution() {
                Ok(s) => s,
                Err(_) if quick => return self.best_panel_gap(w, force, 0.0, None),
                Err(e) => {
                    return Err(SortitionError::Solver(format!("pricing stopped: {e:?}")));
                }
            },
            Err(microlp::Error::Infeasible) => return Ok(None),
            Err(e) => return Err(SortitionError::Solver(format!("pricing: {e}"))),
        };
        let panel: TypePanel = vars
            .iter()
            .enumerate()
            .filter_map(|(t, &v)| {
                let x = sol.var_value(v).round();
                (x > 0.5).then_some((t, x as u32))
            })
            .collect();
        if !self.is_feasible(&panel) {
            return Err(SortitionError::Solver(
                "pricing returned a panel that breaks a constraint".into(),
            ));
        }
        Ok(Some(panel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::DutchPool;
    use crate::model::InstanceBuilder;

    /// The bit-set local search makes the same swaps as testing the
    /// candidates one by one: random weights (with ties and zeros), chains
    /// of searches as in the pricing.
    #[test]
    fn bit_set_local_search_equals_the_plain_scan() {
        let mut next = crate::xorshift(0x9e37_79b9_7f4a_7c15);
        for (n, k, areas, categories, pool_seed) in [(120, 12, 4, 5, 1), (300, 30, 8, 7, 2)] {
            let inst = DutchPool {
                n,
                k,
                areas,
                categories,
                seed: pool_seed,
            }
            .generate();
            let s = PanelSpace::new(&inst);
            let nt = s.n_types();
            let mut panel = s.best_panel(&vec![0.0; nt], None).unwrap().unwrap();
            for round in 0..60 {
                let w = crate::random_weights(&mut next, nt);
                let mut order: Vec<usize> = (0..nt).collect();
                order.sort_by(|&a, &b| w[b].total_cmp(&w[a]).then(a.cmp(&b)));
                let fast = s.local_search_with(&panel, &w, &order, true);
                let plain = s.local_search_with(&panel, &w, &order, false);
                assert_eq!(fast, plain, "pool {pool_seed}, round {round}");
                assert!(s.is_feasible(&fast));
                panel = fast;
            }
        }
    }

    #[test]
    fn types_and_pricing() {
        let mut b = InstanceBuilder::new();
        b.quota("g", "f", 1, 2).unwrap();
        b.quota("g", "m", 1, 2).unwrap();
        b.quota("a", "y", 0, 1).unwrap();
        b.quota("a", "o", 0, 3).unwrap();
        b.person("0", &[("g", "f"), ("a", "y")], None).unwrap();
        b.person("1", &[("g", "f"), ("a", "y")], None).unwrap();
        b.person("2", &[("g", "m"), ("a", "y")], Some("h")).unwrap();
        b.person("3", &[("g", "m"), ("a", "o")], Some("h")).unwrap();
        b.person("4", &[("g", "m"), ("a", "o")], None).unwrap();
        let inst = b.build(3).unwrap();
        let s = PanelSpace::new(&inst);
        assert_eq!(s.n_types(), 4);
        assert_eq!(s.members[0], vec![0, 1]);
        assert_eq!(s.households, vec![vec![1, 2]]);
        // Weights favour type 0 (two young women) but only one young person fits.
        let best = s.best_panel(&[5.0, 1.0, 1.0, 1.0], None).unwrap().unwrap();
        assert!(s.is_feasible(&best));
        assert_eq!(best.iter().find(|x| x.0 == 0).map(|x| x.1), Some(1));
        // Household: persons 2 and 3 never together.
        let best = s.best_panel(&[0.0, 3.0, 3.0, 0.0], None).unwrap().unwrap();
        let c = |t| best.iter().find(|x| x.0 == t).map_or(0, |x| x.1);
        assert_eq!(c(1) + c(2), 1);
        // The young man (type 1) is on no feasible panel: every woman is young
        // and only one young person fits. The old man of that household is.
        assert!(s.best_panel(&[0.0; 4], Some(1)).unwrap().is_none());
        assert!(s.best_panel(&[0.0; 4], Some(2)).unwrap().is_some());
        assert!(!s.is_feasible(&vec![(0, 2), (3, 1)]));
        assert!(s.is_feasible(&vec![(0, 1), (2, 1), (3, 1)]));
    }
}
