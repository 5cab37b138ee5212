//! Diagnosing infeasible quotas: which quotas conflict and the smallest
//! relaxation (fewest people of change in total) that makes a panel possible.
//!
//! Method: an integer program over type counts with a slack on each quota bound,
//! `Σ x ≥ min − s_min`, `Σ x ≤ max + s_max`, minimising `Σ s`. The Sortition
//! Foundation's `min_flex`/`max_flex` limit the slacks when given; if even the
//! flexible range admits no panel, the slacks are unlimited. A quota bound is
//! reported as conflicting when some smallest relaxation changes it (one more
//! solve per bound, with that bound's slack forced to be positive).

use crate::error::{Infeasibility, QuotaBound, Relaxation, Result, SortitionError};
use crate::model::Instance;
use crate::space::PanelSpace;
use microlp::{ComparisonOp, OptimizationDirection, Problem};
use std::collections::HashSet;

/// Reasons no quota relaxation can fix: panel larger than the pool or than the
/// number of households.
pub(crate) fn structural(inst: &Instance) -> Vec<String> {
    let n = inst.people.len();
    let k = inst.panel_size;
    let mut out = Vec::new();
    if k > n {
        out.push(format!(
            "the panel size {k} is larger than the pool ({n} people)"
        ));
    } else {
        let mut hh = HashSet::new();
        let units = inst
            .people
            .iter()
            .filter(|p| p.household.as_ref().is_none_or(|h| hh.insert(h.as_str())))
            .count();
        if k > units {
            out.push(format!(
                "the panel size {k} is larger than the number of households ({units}); \
                 at most one person per household can be selected"
            ));
        }
    }
    out
}

/// Explains why `inst` has no feasible panel.
pub(crate) fn diagnose(inst: &Instance) -> Result<Infeasibility> {
    let s = structural(inst);
    if !s.is_empty() {
        return Ok(Infeasibility {
            structural: s,
            conflicting: Vec::new(),
            relaxations: Vec::new(),
        });
    }
    let space = PanelSpace::new(inst);
    for use_flex in [true, false] {
        if let Some((relaxations, conflicting)) = relax(inst, &space, use_flex)? {
            return Ok(Infeasibility {
                structural: Vec::new(),
                conflicting,
                relaxations,
            });
        }
    }
    Err(SortitionError::Solver(
        "quotas are infeasible but no relaxation was found".into(),
    ))
}

type Slacks = Vec<(usize, u32, u32)>;

/// The relaxation integer program; `force` requires a slack of at least 1 on
/// one bound (`(row, is_min)`) and `cap` bounds the total. Returns the total
/// and the slack of every row's min and max.
fn relax_model(
    inst: &Instance,
    sp: &PanelSpace,
    use_flex: bool,
    force: Option<(usize, bool)>,
    cap: Option<u32>,
) -> Result<Option<(u32, Slacks)>> {
    let k = sp.k as i32;
    let mut p = Problem::new(OptimizationDirection::Minimize);
    let x: Vec<_> = (0..sp.n_types())
        .map(|t| p.add_integer_var(0.0, (0, sp.size(t) as i32)))
        .collect();
    let all: Vec<_> = x.iter().map(|&v| (v, 1.0)).collect();
    p.add_constraint(all.as_slice(), ComparisonOp::Eq, k as f64);
    let mut slacks = Vec::new();
    let mut total = Vec::new();
    for (ri, r) in sp.rows.iter().enumerate() {
        let val = &inst.categories[r.category].values[r.value];
        let lo_room = match (use_flex, val.min_flex) {
            (true, Some(f)) => r.min.saturating_sub(f) as i32,
            _ => r.min as i32,
        };
        let hi_room = match (use_flex, val.max_flex) {
            (true, Some(f)) => f.saturating_sub(r.max) as i32,
            _ => k,
        };
        let lo_min = i32::from(force == Some((ri, true)));
        let hi_min = i32::from(force == Some((ri, false)));
        if lo_min > lo_room || hi_min > hi_room {
            return Ok(None);
        }
        let sl = p.add_integer_var(1.0, (lo_min, lo_room));
        let sh = p.add_integer_var(1.0, (hi_min, hi_room));
        total.push((sl, 1.0));
        total.push((sh, 1.0));
        let mut e: Vec<_> = r.types.iter().map(|&t| (x[t], 1.0)).collect();
        e.push((sl, 1.0));
        p.add_constraint(e.as_slice(), ComparisonOp::Ge, r.min as f64);
        e.pop();
        e.push((sh, -1.0));
        p.add_constraint(e.as_slice(), ComparisonOp::Le, r.max as f64);
        slacks.push((ri, sl, sh));
    }
    if let Some(c) = cap {
        p.add_constraint(total.as_slice(), ComparisonOp::Le, c as f64);
    }
    for h in &sp.households {
        let e: Vec<_> = h.iter().map(|&t| (x[t], 1.0)).collect();
        p.add_constraint(e.as_slice(), ComparisonOp::Le, 1.0);
    }
    let sol = match p.solve() {
        Ok(o) => o
            .into_solution()
            .map_err(|e| SortitionError::Solver(format!("relaxation: {e:?}")))?,
        Err(microlp::Error::Infeasible) => return Ok(None),
        Err(e) => return Err(SortitionError::Solver(format!("relaxation: {e}"))),
    };
    let out: Slacks = slacks
        .into_iter()
        .map(|(ri, sl, sh)| {
            (
                ri,
                sol.var_value(sl).round() as u32,
                sol.var_value(sh).round() as u32,
            )
        })
        .collect();
    let sum = out.iter().map(|&(_, a, b)| a + b).sum();
    Ok(Some((sum, out)))
}

fn bound(inst: &Instance, sp: &PanelSpace, ri: usize, is_min: bool) -> QuotaBound {
    let r = &sp.rows[ri];
    let cat = &inst.categories[r.category];
    QuotaBound {
        category: cat.name.clone(),
        value: cat.values[r.value].name.clone(),
        is_min,
        bound: if is_min { r.min } else { r.max },
    }
}

/// The smallest relaxation, and every quota bound that some smallest
/// relaxation changes (the conflicting quotas).
fn relax(
    inst: &Instance,
    sp: &PanelSpace,
    use_flex: bool,
) -> Result<Option<(Vec<Relaxation>, Vec<QuotaBound>)>> {
    let Some((total, slacks)) = relax_model(inst, sp, use_flex, None, None)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    let mut conflicting = Vec::new();
    for &(ri, a, b) in &slacks {
        let r = &sp.rows[ri];
        let cat = &inst.categories[r.category];
        for (is_min, amount) in [(true, a), (false, b)] {
            if amount > 0 {
                out.push(Relaxation {
                    category: cat.name.clone(),
                    value: cat.values[r.value].name.clone(),
                    is_min,
                    from: if is_min { r.min } else { r.max },
                    to: if is_min {
                        r.min - amount
                    } else {
                        r.max + amount
                    },
                });
                conflicting.push(bound(inst, sp, ri, is_min));
            } else if relax_model(inst, sp, use_flex, Some((ri, is_min)), Some(total))?.is_some() {
                conflicting.push(bound(inst, sp, ri, is_min));
            }
        }
    }
    Ok(Some((out, conflicting)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::InstanceBuilder;

    #[test]
    fn names_conflicting_quotas_and_smallest_relaxation() {
        // Panel of 4; gender needs at least 3 women and 3 men: one min must drop by 2.
        let mut b = InstanceBuilder::new();
        b.quota("gender", "f", 3, 4).unwrap();
        b.quota("gender", "m", 3, 4).unwrap();
        b.quota("age", "young", 0, 4).unwrap();
        b.quota("age", "old", 0, 4).unwrap();
        for i in 0..10 {
            let g = if i % 2 == 0 { "f" } else { "m" };
            let a = if i < 5 { "young" } else { "old" };
            b.person(&i.to_string(), &[("gender", g), ("age", a)], None)
                .unwrap();
        }
        let inst = b.build(4).unwrap();
        let d = diagnose(&inst).unwrap();
        assert!(d.structural.is_empty());
        let total: u32 = d.relaxations.iter().map(|r| r.from - r.to).sum();
        assert_eq!(total, 2);
        assert!(
            d.relaxations
                .iter()
                .all(|r| r.is_min && r.category == "gender")
        );
        let msg = d.to_string();
        assert!(msg.contains("gender="), "{msg}");
    }

    #[test]
    fn too_few_people_with_a_value() {
        let mut b = InstanceBuilder::new();
        b.quota("g", "f", 3, 3).unwrap();
        b.quota("g", "m", 0, 3).unwrap();
        b.person("a", &[("g", "f")], None).unwrap();
        for i in 0..5 {
            b.person(&format!("m{i}"), &[("g", "m")], None).unwrap();
        }
        let d = diagnose(&b.build(3).unwrap()).unwrap();
        assert_eq!(
            d.relaxations,
            vec![Relaxation {
                category: "g".into(),
                value: "f".into(),
                is_min: true,
                from: 3,
                to: 1
            }]
        );
    }

    #[test]
    fn structural_problems() {
        let mut b = InstanceBuilder::new();
        b.quota("g", "f", 0, 3).unwrap();
        b.person("a", &[("g", "f")], Some("h")).unwrap();
        b.person("b", &[("g", "f")], Some("h")).unwrap();
        let d = diagnose(&b.build(2).unwrap()).unwrap();
        assert!(d.structural[0].contains("households"));
        let d = diagnose(&b.build(3).unwrap()).unwrap();
        assert!(d.structural[0].contains("larger than the pool"));
    }
}
