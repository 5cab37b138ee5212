//! Property tests on random small elections.
#![allow(clippy::needless_range_loop)]

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::Zero;
use pb::certificate::{certificate, verify};
use pb::rules::{mes_add1, mes_instance, tie_ranks};
use pb::{Ballot, Election, Project, Rule, TieBreak, VoteType, tally};
use proptest::prelude::*;

fn approval_election() -> impl Strategy<Value = Election> {
    (1usize..=6, 1usize..=8).prop_flat_map(|(m, n)| {
        (
            prop::collection::vec(1u64..=20, m),
            prop::collection::vec(prop::collection::vec(any::<bool>(), m), n),
            5u64..=60,
        )
            .prop_map(|(costs, ballots, budget)| {
                let mut e = Election::new(budget, VoteType::Approval);
                for (i, c) in costs.into_iter().enumerate() {
                    e.add_project(Project::new(format!("p{i}"), c, ""));
                }
                for (v, b) in ballots.into_iter().enumerate() {
                    let items: Vec<usize> = (0..b.len()).filter(|&p| b[p]).collect();
                    e.ballots.push(Ballot::approval(format!("v{v}"), &items));
                }
                e
            })
    })
}

fn cumulative_election() -> impl Strategy<Value = Election> {
    (1usize..=5, 1usize..=6).prop_flat_map(|(m, n)| {
        (
            prop::collection::vec(1u64..=20, m),
            prop::collection::vec(prop::collection::vec(0i64..=3, m), n),
            5u64..=40,
        )
            .prop_map(|(costs, ballots, budget)| {
                let mut e = Election::new(budget, VoteType::Cumulative);
                for (i, c) in costs.into_iter().enumerate() {
                    e.add_project(Project::new(format!("p{i}"), c, ""));
                }
                for (v, b) in ballots.into_iter().enumerate() {
                    let items: Vec<(usize, i64)> = (0..b.len())
                        .filter(|&p| b[p] > 0)
                        .map(|p| (p, b[p]))
                        .collect();
                    e.ballots.push(Ballot::with_points(format!("v{v}"), &items));
                }
                e
            })
    })
}

/// Approval elections with realistic magnitudes (costs up to 10^6, up to 40 voters, many
/// rounds): exact prices get long numerators and denominators, so the engine's big-number
/// paths (no gcd, float conversion of large rationals) are exercised.
fn big_approval_election() -> impl Strategy<Value = Election> {
    (3usize..=9, 10usize..=40).prop_flat_map(|(m, n)| {
        (
            prop::collection::vec(1_000u64..=1_000_000, m),
            prop::collection::vec(prop::collection::vec(0u8..=3, m), n),
            1u64..=4,
        )
            .prop_map(move |(costs, ballots, share)| {
                let total: u64 = costs.iter().sum();
                let mut e = Election::new(total * share / 5 + 1, VoteType::Approval);
                for (i, c) in costs.into_iter().enumerate() {
                    e.add_project(Project::new(format!("p{i}"), c, ""));
                }
                for (v, b) in ballots.into_iter().enumerate() {
                    // Each project approved with probability 1/4.
                    let items: Vec<usize> = (0..b.len()).filter(|&p| b[p] == 0).collect();
                    e.ballots.push(Ballot::approval(format!("v{v}"), &items));
                }
                e
            })
    })
}

/// A plain per-voter MES with exact rationals, written independently of `pb::mes`.
fn reference_mes(e: &Election, tb: &TieBreak, endowment: &BigRational) -> Vec<usize> {
    let rank = tie_ranks(e, tb);
    let util = |v: usize, p: usize| -> u64 {
        e.ballots[v]
            .items
            .iter()
            .find(|it| it.project == p)
            .map(|it| {
                if e.vote_type.has_points() {
                    it.points.max(0) as u64
                } else {
                    e.projects[p].cost
                }
            })
            .unwrap_or(0)
    };
    let mut money = vec![endowment.clone(); e.ballots.len()];
    let mut chosen = Vec::new();
    loop {
        let mut best: Option<(BigRational, usize, usize)> = None;
        for p in 0..e.projects.len() {
            if chosen.contains(&p) {
                continue;
            }
            let sup: Vec<(usize, u64)> = (0..e.ballots.len())
                .map(|v| (v, util(v, p)))
                .filter(|x| x.1 > 0)
                .collect();
            if sup.is_empty() {
                continue;
            }
            let total: BigRational = sup.iter().map(|&(v, _)| money[v].clone()).sum();
            let cost = BigRational::from_integer(BigInt::from(e.projects[p].cost));
            if total < cost {
                continue;
            }
            // Smallest rho with sum min(b, rho u) >= cost: try each breakpoint.
            let mut cands: Vec<BigRational> = sup
                .iter()
                .map(|&(v, u)| &money[v] / BigInt::from(u))
                .collect();
            cands.sort();
            let f = |rho: &BigRational| -> BigRational {
                sup.iter()
                    .map(|&(v, u)| {
                        let s = rho * BigInt::from(u);
                        if money[v] < s { money[v].clone() } else { s }
                    })
                    .sum()
            };
            let mut lo = BigRational::zero();
            let mut rho = None;
            for c in cands {
                if f(&c) >= cost {
                    // Linear between lo and c: f(rho) = f(lo) + (rho - lo) * slope.
                    let slope: BigInt = sup
                        .iter()
                        .filter(|&&(v, u)| money[v] > &lo * BigInt::from(u))
                        .map(|&(_, u)| BigInt::from(u))
                        .sum();
                    rho = Some(&lo + (&cost - f(&lo)) / slope);
                    break;
                }
                lo = c;
            }
            let rho = rho.expect("affordable");
            let better = match &best {
                None => true,
                Some((r, rk, _)) => rho < *r || (rho == *r && rank[p] < *rk),
            };
            if better {
                best = Some((rho, rank[p], p));
            }
        }
        let Some((rho, _, p)) = best else { break };
        for (v, m) in money.iter_mut().enumerate() {
            let u = util(v, p);
            if u > 0 {
                let s = &rho * BigInt::from(u);
                *m = if *m < s { BigRational::zero() } else { &*m - s };
            }
        }
        chosen.push(p);
    }
    chosen
}

/// Add1 by definition: one MES run per currency unit.
fn naive_add1(e: &Election, tb: &TieBreak) -> Vec<usize> {
    let n = e.ballots.len().max(1);
    let e0 = BigRational::new(BigInt::from(e.budget), BigInt::from(n));
    let cost = |s: &[usize]| s.iter().map(|&p| e.projects[p].cost).sum::<u64>();
    let mut last = reference_mes(e, tb, &e0);
    for t in 1..=e.budget {
        let r = reference_mes(e, tb, &(&e0 + BigRational::from_integer(BigInt::from(t))));
        if cost(&r) > e.budget {
            break;
        }
        last = r;
    }
    last
}

fn check_common(e: &Election) -> Result<(), TestCaseError> {
    let tb = TieBreak::default();
    for rule in Rule::ALL {
        let o = tally(e, rule, &tb);
        prop_assert!(o.total_cost <= e.budget, "{rule} exceeds the budget");
        let c = certificate(e, &o, &tb);
        let v = verify(e, &c);
        prop_assert!(v.is_ok(), "{rule}: certificate fails: {:?}", v);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn budget_respected_and_certificates_verify(e in approval_election()) {
        check_common(&e)?;
    }

    #[test]
    fn cumulative_budget_and_certificates(e in cumulative_election()) {
        check_common(&e)?;
    }

    #[test]
    fn greedy_leaves_no_affordable_project_out(e in approval_election()) {
        let o = tally(&e, Rule::Greedy, &TieBreak::default());
        let left = e.budget - o.total_cost;
        let votes = e.vote_counts();
        for p in 0..e.projects.len() {
            if !o.selected.contains(&p) && votes[p] > 0 {
                prop_assert!(e.projects[p].cost > left, "project {p} still fits");
            }
        }
    }

    #[test]
    fn mes_matches_reference_implementation(e in approval_election()) {
        let tb = TieBreak::default();
        let ours = tally(&e, Rule::Mes, &tb).selected;
        let n = e.ballots.len().max(1);
        let e0 = BigRational::new(BigInt::from(e.budget), BigInt::from(n));
        prop_assert_eq!(ours, reference_mes(&e, &tb, &e0));
    }

    #[test]
    fn cumulative_mes_matches_reference(e in cumulative_election()) {
        let tb = TieBreak::default();
        let ours = tally(&e, Rule::Mes, &tb).selected;
        let n = e.ballots.len().max(1);
        let e0 = BigRational::new(BigInt::from(e.budget), BigInt::from(n));
        prop_assert_eq!(ours, reference_mes(&e, &tb, &e0));
    }

    #[test]
    fn add1_jumps_match_one_run_per_unit(e in approval_election()) {
        let tb = TieBreak::default();
        let inst = mes_instance(&e, &tb);
        let (run, _) = mes_add1(&e, &inst);
        let ours: Vec<usize> = run.chosen.iter().map(|c| c.0).collect();
        prop_assert_eq!(ours, naive_add1(&e, &tb));
    }

    #[test]
    fn big_numbers_mes_matches_reference(e in big_approval_election()) {
        let tb = TieBreak::default();
        let o = tally(&e, Rule::Mes, &tb);
        let n = e.ballots.len().max(1);
        let e0 = BigRational::new(BigInt::from(e.budget), BigInt::from(n));
        prop_assert_eq!(&o.selected, &reference_mes(&e, &tb, &e0));
        let c = certificate(&e, &o, &tb);
        prop_assert!(verify(&e, &c).is_ok());
    }

    #[test]
    fn add1_reports_the_run_at_the_last_fitting_step(e in approval_election()) {
        let tb = TieBreak::default();
        let inst = mes_instance(&e, &tb);
        let (run, stats) = mes_add1(&e, &inst);
        let n = inst.n.max(1);
        let e0 = BigRational::new(BigInt::from(e.budget), BigInt::from(n));
        let at = |t: u64| &e0 + BigRational::from_integer(BigInt::from(t));
        match stats.over_budget_at {
            Some(o) => prop_assert_eq!(stats.steps + 1, o),
            None => prop_assert_eq!(stats.steps, e.budget),
        }
        prop_assert_eq!(&run.endowment, &at(stats.steps));
        // The same run (winners and exact prices) as a fresh MES run at that endowment.
        let fresh = pb::mes::mes_run(&inst, &at(stats.steps));
        prop_assert_eq!(&run.chosen, &fresh.chosen);
    }

    #[test]
    fn mes_satisfies_ejr_up_to_one(e in approval_election()) {
        for rule in [Rule::Mes, Rule::MesAdd1] {
            let w = tally(&e, rule, &TieBreak::default()).selected;
            let n = e.ballots.len();
            let m = e.projects.len();
            let u = |v: usize, set: &mut dyn Iterator<Item = usize>| -> u64 {
                set.filter(|&p| e.ballots[v].contains(p)).map(|p| e.projects[p].cost).sum()
            };
            for s_mask in 1u32..(1 << n) {
                let s: Vec<usize> = (0..n).filter(|v| s_mask >> v & 1 == 1).collect();
                let common: Vec<usize> =
                    (0..m).filter(|&p| s.iter().all(|&v| e.ballots[v].contains(p))).collect();
                for t_mask in 1u32..(1 << common.len()) {
                    let t: Vec<usize> = (0..common.len())
                        .filter(|i| t_mask >> i & 1 == 1)
                        .map(|i| common[i])
                        .collect();
                    let cost_t: u64 = t.iter().map(|&p| e.projects[p].cost).sum();
                    // S deserves T: |S|/n * budget >= cost(T).
                    if (s.len() as u64) * e.budget < (n as u64) * cost_t {
                        continue;
                    }
                    let ok = s.iter().any(|&v| {
                        let uw = u(v, &mut w.iter().copied());
                        uw >= cost_t
                            || t.iter().any(|&c| {
                                !w.contains(&c) && uw + e.projects[c].cost > cost_t
                            })
                    });
                    prop_assert!(ok, "{rule}: EJR up to one fails for S={s:?}, T={t:?}, W={w:?}");
                }
            }
        }
    }

    #[test]
    fn party_lists_give_dhondt(sizes in prop::collection::vec(1usize..=8, 2..=4), k in 1usize..=6) {
        // Each party's voters approve exactly the party's k candidates; all cost the same.
        let c: u64 = 1_000_000;
        let mut e = Election::new(c * k as u64, VoteType::Approval);
        let mut cands = Vec::new();
        for (party, _) in sizes.iter().enumerate() {
            let ids: Vec<usize> = (0..k)
                .map(|j| e.add_project(Project::new(format!("{party}-{j}"), c, "")))
                .collect();
            cands.push(ids);
        }
        let mut v = 0;
        for (party, &size) in sizes.iter().enumerate() {
            for _ in 0..size {
                e.ballots.push(Ballot::approval(format!("v{v}"), &cands[party]));
                v += 1;
            }
        }
        // D'Hondt: the k largest quotients size/(s+1); skip exact ties at the cut.
        let mut quotients: Vec<(BigRational, usize)> = Vec::new();
        for (party, &size) in sizes.iter().enumerate() {
            for s in 0..k {
                quotients.push((BigRational::new(BigInt::from(size), BigInt::from(s + 1)), party));
            }
        }
        quotients.sort_by(|a, b| b.0.cmp(&a.0));
        prop_assume!(quotients.len() <= k || quotients[k - 1].0 != quotients[k].0);
        let mut dhondt = vec![0usize; sizes.len()];
        for q in &quotients[..k] {
            dhondt[q.1] += 1;
        }
        let o = tally(&e, Rule::MesAdd1, &TieBreak::default());
        let mut seats = vec![0usize; sizes.len()];
        for &p in &o.selected {
            let party = cands.iter().position(|ids| ids.contains(&p)).unwrap();
            seats[party] += 1;
        }
        prop_assert_eq!(seats, dhondt);
    }
}
