//! Outcome certificates (what each voter paid for each project) and their independent check.
//!
//! ## Format (`meedoen-pb-certificate`, version 1), JSON
//! ```json
//! {
//!   "format": "meedoen-pb-certificate",
//!   "version": 1,
//!   "rule": "mes-add1",
//!   "tie_break": "cost,votes,id",
//!   "budget": "100000",
//!   "endowment": "119047/84",
//!   "selected": ["3", "9", "2"],
//!   "mes_selected": 3,
//!   "payments": [ { "voter": "v1", "paid": { "3": "7200/43", "9": "500" } } ]
//! }
//! ```
//! Amounts are exact non-negative rationals in currency units, written `"a"` or `"a/b"`.
//! `endowment` is each voter's starting money for the MES part (absent for `greedy`);
//! `selected` lists the winners in the order chosen; the first `mes_selected` were bought by
//! the voters' payments, the rest were added by greedy completion (`mes-add1-greedy`) or by
//! `greedy`, which has no payments. `payments` lists every voter who paid anything, with the
//! amount per project id.
//!
//! [`verify`] checks a certificate against the election without using the rule
//! implementations: voters pay only for winners they support and in total at most their
//! endowment; each MES winner is paid exactly; every supporter of an MES winner paid the same
//! price per unit of utility or all they had left; no project outside `selected` is still
//! affordable by its supporters' remaining money; the outcome fits the budget; greedy winners
//! are exactly those greedy takes (by score and the tie-break) given what is left.

use crate::model::{Election, Money};
use crate::rules::{Outcome, Rule, TieBreak, scores, tie_ranks};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, Zero};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

/// The format name.
pub const FORMAT: &str = "meedoen-pb-certificate";

/// A certificate (see the module docs for the JSON form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// Always [`FORMAT`].
    pub format: String,
    /// Format version (1).
    pub version: u32,
    /// The rule name.
    pub rule: String,
    /// The tie-break order.
    pub tie_break: String,
    /// The budget, currency units.
    pub budget: String,
    /// Endowment per voter for the MES part, currency units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endowment: Option<String>,
    /// Winners in the order chosen.
    pub selected: Vec<String>,
    /// How many of `selected` were paid for by the voters (MES).
    pub mes_selected: usize,
    /// Payments of every voter who paid something.
    pub payments: Vec<VoterPayments>,
}

/// One voter's payments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoterPayments {
    /// The voter id.
    pub voter: String,
    /// Amount per project id (currency units, exact rational).
    pub paid: BTreeMap<String, String>,
}

/// Formats an exact rational.
pub fn format_rational(r: &BigRational) -> String {
    if r.is_integer() {
        r.numer().to_string()
    } else {
        format!("{}/{}", r.numer(), r.denom())
    }
}

/// Parses `"a"`, `"a/b"` or a decimal `"a.b"`.
pub fn parse_rational(s: &str) -> Option<BigRational> {
    let s = s.trim();
    if let Some((a, b)) = s.split_once('/') {
        let a = BigInt::from_str(a.trim()).ok()?;
        let b = BigInt::from_str(b.trim()).ok()?;
        if b.is_zero() {
            return None;
        }
        return Some(BigRational::new(a, b));
    }
    if let Some((a, b)) = s.split_once('.') {
        let digits = format!("{a}{b}");
        let n = BigInt::from_str(&digits).ok()?;
        return Some(BigRational::new(n, BigInt::from(10).pow(b.len() as u32)));
    }
    BigInt::from_str(s).ok().map(BigRational::from_integer)
}

fn to_units(e: &Election, base: &BigRational) -> BigRational {
    base / BigInt::from(e.unit())
}

/// Builds the certificate of an outcome.
pub fn certificate(e: &Election, outcome: &Outcome, tb: &TieBreak) -> Certificate {
    let selected: Vec<String> = outcome
        .selected
        .iter()
        .map(|&p| e.projects[p].id.clone())
        .collect();
    let mut payments = Vec::new();
    let mut endowment = None;
    if let (Some(run), Some(inst)) = (&outcome.mes, &outcome.instance) {
        endowment = Some(format_rational(&to_units(e, &run.endowment)));
        let mut per_voter: Vec<Option<BTreeMap<String, String>>> = vec![None; e.ballots.len()];
        for g in 0..inst.groups() {
            let pays = run.group_payments(inst, g);
            if pays.is_empty() {
                continue;
            }
            let map: BTreeMap<String, String> = pays
                .iter()
                .map(|(r, amount)| {
                    let p = run.chosen[*r].0;
                    (
                        e.projects[p].id.clone(),
                        format_rational(&to_units(e, amount)),
                    )
                })
                .collect();
            for &v in inst.group_members(g) {
                per_voter[v] = Some(map.clone());
            }
        }
        for (v, m) in per_voter.into_iter().enumerate() {
            if let Some(paid) = m {
                payments.push(VoterPayments {
                    voter: e.ballots[v].voter_id.clone(),
                    paid,
                });
            }
        }
    }
    Certificate {
        format: FORMAT.to_string(),
        version: 1,
        rule: outcome.rule.as_str().to_string(),
        tie_break: tb.to_string(),
        budget: e.format_money(e.budget),
        endowment,
        selected,
        mes_selected: outcome.mes_selected,
        payments,
    }
}

/// A reason why a certificate does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("not a {FORMAT} version 1 document")]
    Format,
    #[error("unknown rule or tie-break {0:?}")]
    Name(String),
    #[error("amount {0:?} is not an exact non-negative number")]
    Amount(String),
    #[error("unknown project {0:?}")]
    UnknownProject(String),
    #[error("unknown or repeated voter {0:?}")]
    UnknownVoter(String),
    #[error("project {0:?} selected twice")]
    DuplicateSelected(String),
    #[error("budget {certificate} differs from the election's {election}")]
    Budget {
        certificate: String,
        election: String,
    },
    #[error("voter {voter:?} pays for project {project:?}, which they do not support")]
    PaysUnsupported { voter: String, project: String },
    #[error("voter {voter:?} pays for project {project:?}, which is not an MES winner")]
    PaysLoser { voter: String, project: String },
    #[error("voter {voter:?} pays {paid}, more than the endowment {endowment}")]
    Overspent {
        voter: String,
        paid: String,
        endowment: String,
    },
    #[error("winner {project:?} receives {paid} but costs {cost}")]
    NotFullyPaid {
        project: String,
        paid: String,
        cost: String,
    },
    #[error(
        "supporter {voter:?} of winner {project:?} paid {paid}: neither the equal share nor all they had left ({left})"
    )]
    UnequalShare {
        voter: String,
        project: String,
        paid: String,
        left: String,
    },
    #[error(
        "losing project {project:?} is still affordable: its supporters have {left} left, it costs {cost}"
    )]
    StillAffordable {
        project: String,
        left: String,
        cost: String,
    },
    #[error("the winners cost {total}, more than the budget {budget}")]
    OverBudget { total: String, budget: String },
    #[error("greedy would have chosen {expected:?} where the certificate has {found:?}")]
    GreedyMismatch {
        expected: Vec<String>,
        found: Vec<String>,
    },
    #[error("rule {0} needs an endowment")]
    MissingEndowment(String),
}

/// What [`verify`] checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Number of voters with payments.
    pub paying_voters: usize,
    /// Number of winners.
    pub winners: usize,
    /// Total cost of the winners, currency units.
    pub total_cost: String,
}

/// Checks a certificate against an election, independently of the rule implementations.
/// Returns every failure found (or a report when there is none).
pub fn verify(e: &Election, cert: &Certificate) -> Result<VerifyReport, Vec<Failure>> {
    let mut fails = Vec::new();
    if cert.format != FORMAT || cert.version != 1 {
        return Err(vec![Failure::Format]);
    }
    let rule: Rule = match cert.rule.parse() {
        Ok(r) => r,
        Err(_) => return Err(vec![Failure::Name(cert.rule.clone())]),
    };
    let tb: TieBreak = match cert.tie_break.parse() {
        Ok(t) => t,
        Err(_) => return Err(vec![Failure::Name(cert.tie_break.clone())]),
    };
    let unit = BigInt::from(e.unit());
    let money = |m: Money| BigRational::new(BigInt::from(m), unit.clone());
    match parse_rational(&cert.budget) {
        Some(b) if b == money(e.budget) => {}
        _ => fails.push(Failure::Budget {
            certificate: cert.budget.clone(),
            election: e.format_money(e.budget),
        }),
    }
    let pmap = e.project_map();
    let mut selected = Vec::new();
    for id in &cert.selected {
        match pmap.get(id.as_str()) {
            Some(&p) if selected.contains(&p) => fails.push(Failure::DuplicateSelected(id.clone())),
            Some(&p) => selected.push(p),
            None => fails.push(Failure::UnknownProject(id.clone())),
        }
    }
    if !fails.is_empty() {
        return Err(fails);
    }
    let total: Money = selected.iter().map(|&p| e.projects[p].cost).sum();
    if total > e.budget {
        fails.push(Failure::OverBudget {
            total: e.format_money(total),
            budget: e.format_money(e.budget),
        });
    }
    let points = e.vote_type.has_points();
    // Utility of voter v for project p (0 = not supported).
    let utility = |v: usize, p: usize| -> u64 {
        e.ballots[v]
            .items
            .iter()
            .find(|it| it.project == p)
            .map(|it| {
                if points {
                    it.points.max(0) as u64
                } else {
                    e.projects[p].cost.max(1)
                }
            })
            .unwrap_or(0)
    };
    let mes_count = cert.mes_selected.min(selected.len());
    let mes_winners = &selected[..mes_count];
    let mut left_after_mes: Option<Vec<BigRational>> = None;
    if rule != Rule::Greedy {
        let Some(endow) = cert.endowment.as_deref() else {
            return Err(vec![Failure::MissingEndowment(cert.rule.clone())]);
        };
        let Some(endow) = parse_rational(endow).filter(|x| !x.is_negative()) else {
            return Err(vec![Failure::Amount(endow.to_string())]);
        };
        let vmap: HashMap<&str, usize> = e
            .ballots
            .iter()
            .enumerate()
            .map(|(i, b)| (b.voter_id.as_str(), i))
            .collect();
        let pos: HashMap<usize, usize> = mes_winners
            .iter()
            .enumerate()
            .map(|(i, &p)| (p, i))
            .collect();
        // pay[v][round]
        let mut pay: Vec<Vec<BigRational>> = vec![Vec::new(); e.ballots.len()];
        let mut seen = vec![false; e.ballots.len()];
        for vp in &cert.payments {
            let Some(&v) = vmap.get(vp.voter.as_str()).filter(|&&v| !seen[v]) else {
                fails.push(Failure::UnknownVoter(vp.voter.clone()));
                continue;
            };
            seen[v] = true;
            pay[v] = vec![BigRational::zero(); mes_count];
            let mut sum = BigRational::zero();
            for (pid, amount) in &vp.paid {
                let Some(x) = parse_rational(amount).filter(|x| !x.is_negative()) else {
                    fails.push(Failure::Amount(amount.clone()));
                    continue;
                };
                let Some(&p) = pmap.get(pid.as_str()) else {
                    fails.push(Failure::UnknownProject(pid.clone()));
                    continue;
                };
                if x.is_zero() {
                    continue;
                }
                if utility(v, p) == 0 {
                    fails.push(Failure::PaysUnsupported {
                        voter: vp.voter.clone(),
                        project: pid.clone(),
                    });
                }
                match pos.get(&p) {
                    Some(&r) => pay[v][r] = x.clone(),
                    None => fails.push(Failure::PaysLoser {
                        voter: vp.voter.clone(),
                        project: pid.clone(),
                    }),
                }
                sum += x;
            }
            if sum > endow {
                fails.push(Failure::Overspent {
                    voter: vp.voter.clone(),
                    paid: format_rational(&sum),
                    endowment: format_rational(&endow),
                });
            }
        }
        let paid_at = |v: usize, r: usize| -> BigRational {
            pay[v].get(r).cloned().unwrap_or_else(BigRational::zero)
        };
        // Walk the MES winners in order.
        let mut left: Vec<BigRational> = vec![endow.clone(); e.ballots.len()];
        for (r, &p) in mes_winners.iter().enumerate() {
            let supporters: Vec<(usize, u64)> = (0..e.ballots.len())
                .map(|v| (v, utility(v, p)))
                .filter(|x| x.1 > 0)
                .collect();
            let mut received = BigRational::zero();
            let mut rho = BigRational::zero();
            for &(v, u) in &supporters {
                let x = paid_at(v, r);
                let per = &x / BigInt::from(u);
                if per > rho {
                    rho = per;
                }
                received += x;
            }
            let cost = money(e.projects[p].cost);
            if received != cost {
                fails.push(Failure::NotFullyPaid {
                    project: e.projects[p].id.clone(),
                    paid: format_rational(&received),
                    cost: format_rational(&cost),
                });
            }
            for &(v, u) in &supporters {
                let x = paid_at(v, r);
                let share = &rho * BigInt::from(u);
                let ok = x == share || (x == left[v] && left[v] <= share);
                if !ok {
                    fails.push(Failure::UnequalShare {
                        voter: e.ballots[v].voter_id.clone(),
                        project: e.projects[p].id.clone(),
                        paid: format_rational(&x),
                        left: format_rational(&left[v]),
                    });
                }
            }
            for (v, l) in left.iter_mut().enumerate() {
                if let Some(x) = pay[v].get(r).filter(|x| !x.is_zero()) {
                    *l -= x;
                }
            }
        }
        // No losing project may still be affordable.
        for (p, proj) in e.projects.iter().enumerate() {
            if selected.contains(&p) {
                continue;
            }
            let mut avail = BigRational::zero();
            let mut any = false;
            for (v, l) in left.iter().enumerate() {
                if utility(v, p) > 0 {
                    avail += l;
                    any = true;
                }
            }
            let cost = money(proj.cost);
            if any && avail >= cost {
                fails.push(Failure::StillAffordable {
                    project: proj.id.clone(),
                    left: format_rational(&avail),
                    cost: format_rational(&cost),
                });
            }
        }
        left_after_mes = Some(left);
    }
    // Greedy part: recount the scores and replay greedy over what is left.
    if rule == Rule::Greedy || rule == Rule::MesAdd1Greedy {
        let sc = scores(e);
        let rank = tie_ranks(e, &tb);
        let mut order: Vec<usize> = (0..e.projects.len()).filter(|&p| sc[p] > 0).collect();
        order.sort_by(|&a, &b| sc[b].cmp(&sc[a]).then(rank[a].cmp(&rank[b])));
        let mut expected: Vec<usize> = mes_winners.to_vec();
        let mut spent: Money = expected.iter().map(|&p| e.projects[p].cost).sum();
        for p in order {
            if !expected.contains(&p) && spent + e.projects[p].cost <= e.budget {
                spent += e.projects[p].cost;
                expected.push(p);
            }
        }
        if expected != selected {
            let ids = |v: &[usize]| v.iter().map(|&p| e.projects[p].id.clone()).collect();
            fails.push(Failure::GreedyMismatch {
                expected: ids(&expected[mes_count..]),
                found: ids(&selected[mes_count..]),
            });
        }
    }
    let _ = left_after_mes;
    if fails.is_empty() {
        Ok(VerifyReport {
            paying_voters: cert.payments.len(),
            winners: selected.len(),
            total_cost: e.format_money(total),
        })
    } else {
        Err(fails)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Ballot, Project, VoteType};
    use crate::rules::tally;

    fn election() -> Election {
        let mut e = Election::new(10, VoteType::Approval);
        for (id, c) in [("a", 6), ("b", 3), ("c", 4)] {
            e.add_project(Project::new(id, c, ""));
        }
        for (v, b) in [
            (0, vec![0]),
            (1, vec![0, 1]),
            (2, vec![0, 2]),
            (3, vec![1, 2]),
        ] {
            e.ballots.push(Ballot::approval(format!("v{v}"), &b));
        }
        e
    }

    #[test]
    fn certificates_of_every_rule_verify() {
        let e = election();
        let tb = TieBreak::default();
        for rule in Rule::ALL {
            let o = tally(&e, rule, &tb);
            let c = certificate(&e, &o, &tb);
            let json = serde_json::to_string(&c).unwrap();
            let back: Certificate = serde_json::from_str(&json).unwrap();
            assert_eq!(
                verify(&e, &back).map(|r| r.winners),
                Ok(o.selected.len()),
                "{rule}"
            );
        }
    }

    #[test]
    fn tampering_is_detected() {
        let e = election();
        let tb = TieBreak::default();
        let o = tally(&e, Rule::Mes, &tb);
        let good = certificate(&e, &o, &tb);
        assert!(verify(&e, &good).is_ok());
        assert!(!good.payments.is_empty());

        // A voter pays more for a winner: the winner is over-paid and shares are unequal.
        let mut c = good.clone();
        let (pid, amount) = c.payments[0].paid.iter().next().unwrap();
        let more = parse_rational(amount).unwrap() + BigRational::from_integer(1.into());
        let pid = pid.clone();
        c.payments[0].paid.insert(pid, format_rational(&more));
        let f = verify(&e, &c).unwrap_err();
        assert!(
            f.iter().any(|x| matches!(x, Failure::NotFullyPaid { .. })),
            "{f:?}"
        );

        // Paying for a project one does not support.
        let mut c = good.clone();
        let v0 = c.payments.iter_mut().find(|p| p.voter == "v0").unwrap();
        let amt = v0.paid.remove("a").unwrap();
        v0.paid.insert("b".into(), amt);
        let f = verify(&e, &c).unwrap_err();
        assert!(
            f.iter()
                .any(|x| matches!(x, Failure::PaysUnsupported { .. }))
        );

        // Dropping a winner leaves it affordable.
        let mut c = good.clone();
        let last = c.selected.pop().unwrap();
        c.mes_selected -= 1;
        for p in c.payments.iter_mut() {
            p.paid.remove(&last);
        }
        let f = verify(&e, &c).unwrap_err();
        assert!(
            f.iter()
                .any(|x| matches!(x, Failure::StillAffordable { .. })),
            "{f:?}"
        );

        // Endowment smaller than what voters paid.
        let mut c = good.clone();
        c.endowment = Some("1/2".into());
        let f = verify(&e, &c).unwrap_err();
        assert!(f.iter().any(|x| matches!(x, Failure::Overspent { .. })));

        // Greedy certificate with a wrong winner list.
        let g = tally(&e, Rule::Greedy, &tb);
        let mut c = certificate(&e, &g, &tb);
        assert_eq!(c.selected, vec!["a", "b"]);
        assert!(verify(&e, &c).is_ok());
        c.selected.reverse();
        let f = verify(&e, &c).unwrap_err();
        assert!(
            f.iter()
                .any(|x| matches!(x, Failure::GreedyMismatch { .. }))
        );
    }

    #[test]
    fn rationals_round_trip() {
        for s in ["0", "7", "7/3", "12.5"] {
            let r = parse_rational(s).unwrap();
            assert_eq!(parse_rational(&format_rational(&r)), Some(r));
        }
        assert!(parse_rational("1/0").is_none());
        assert!(parse_rational("x").is_none());
    }
}
