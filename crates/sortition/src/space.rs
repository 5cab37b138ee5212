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
        PanelSpace {
            k: inst.panel_size as u32,
            type_of,
            members,
            rows,
            households,
        }
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
        self.best_panel_with(w, force, false)
    }

    /// [`PanelSpace::best_panel`]; with `quick` the search may stop at a panel
    /// within 0.1% of the best (or after 300 branch-and-bound nodes), for
    /// heuristic column generation where optimality is not needed.
    pub fn best_panel_with(
        &self,
        w: &[f64],
        force: Option<usize>,
        quick: bool,
    ) -> Result<Option<TypePanel>> {
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
            let avail: u32 = r.types.iter().map(|&t| self.size(t)).sum();
            if r.min > avail.min(self.k) {
                return Ok(None);
            }
            let e: Vec<_> = r.types.iter().map(|&t| (vars[t], 1.0)).collect();
            if r.min > 0 {
                p.add_constraint(e.as_slice(), ComparisonOp::Ge, r.min as f64);
            }
            if r.max < avail.min(self.k) {
                p.add_constraint(e.as_slice(), ComparisonOp::Le, r.max as f64);
            }
        }
        for h in &self.households {
            let e: Vec<_> = h.iter().map(|&t| (vars[t], 1.0)).collect();
            p.add_constraint(e.as_slice(), ComparisonOp::Le, 1.0);
        }
        let mut opts = microlp::SolveOptions::default();
        if quick {
            opts.mip_gap = 1e-3;
            opts.node_limit = Some(300);
        }
        let sol = match p.solve_with(opts) {
            Ok(o) => match o.into_solution() {
                Ok(s) => s,
                Err(_) if quick => return self.best_panel_with(w, force, false),
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
    use crate::model::InstanceBuilder;

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
