//! Per-project explanations of an outcome: why each project won or lost under the rule.

use crate::model::{Election, Money};
use crate::rules::{Outcome, Rule, scores};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{ToPrimitive, Zero};

/// Why a project won or lost. Money is in base units of the election (see
/// [`Election::format_money`]); `BigRational` amounts are exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Explanation {
    /// Nobody voted for it.
    NoSupport,
    /// Greedy: selected; `budget_left` was available when its turn came.
    GreedySelected { budget_left: Money },
    /// Greedy (or the greedy completion): its turn came when only `budget_left` was left.
    NotEnoughBudgetLeft { budget_left: Money },
    /// MES: bought in round `round` (0-based) by `payers` voters; `max_share` is the largest
    /// amount one voter paid.
    MesSelected {
        round: usize,
        payers: usize,
        max_share: BigRational,
    },
    /// Selected by the greedy completion after MES (`mes-add1-greedy`).
    CompletionSelected { budget_left: Money },
    /// MES: its `supporters` together had only `supporters_money` left, less than the cost.
    SupportersCannotAfford {
        supporters: usize,
        supporters_money: BigRational,
    },
    /// `mes-add1-greedy`: MES could not afford it and the completion had only `budget_left`.
    NeitherAffordableNorFits {
        supporters_money: BigRational,
        budget_left: Money,
    },
}

/// The result of one project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectResult {
    /// Project index.
    pub project: usize,
    /// Whether it won.
    pub selected: bool,
    /// Position in the order chosen, if selected.
    pub position: Option<usize>,
    /// Votes (points for point ballots).
    pub votes: i128,
    /// Why.
    pub explanation: Explanation,
}

impl ProjectResult {
    /// One English sentence a resident can follow.
    pub fn describe(&self, e: &Election) -> String {
        let p = &e.projects[self.project];
        let m = |x: Money| e.format_money(x);
        let r = |x: &BigRational| {
            let units = x / BigInt::from(e.unit());
            format!("{:.2}", units.to_f64().unwrap_or(f64::NAN))
        };
        match &self.explanation {
            Explanation::NoSupport => format!("{} received no votes.", p.id),
            Explanation::GreedySelected { budget_left } => format!(
                "{} won: with {} votes it fitted in the {} still left (cost {}).",
                p.id,
                self.votes,
                m(*budget_left),
                m(p.cost)
            ),
            Explanation::NotEnoughBudgetLeft { budget_left } => format!(
                "{} lost: not enough budget left (cost {}, only {} left when its turn came).",
                p.id,
                m(p.cost),
                m(*budget_left)
            ),
            Explanation::MesSelected {
                round,
                payers,
                max_share,
            } => format!(
                "{} won in round {}: {} supporters shared its cost of {}, nobody paying more than about {}.",
                p.id,
                round + 1,
                payers,
                m(p.cost),
                r(max_share)
            ),
            Explanation::CompletionSelected { budget_left } => format!(
                "{} won in the completion: it fitted in the {} left over.",
                p.id,
                m(*budget_left)
            ),
            Explanation::SupportersCannotAfford {
                supporters,
                supporters_money,
            } => format!(
                "{} lost: its {} supporters' remaining money (about {}) was not enough for its cost of {}.",
                p.id,
                supporters,
                r(supporters_money),
                m(p.cost)
            ),
            Explanation::NeitherAffordableNorFits {
                supporters_money,
                budget_left,
            } => format!(
                "{} lost: its supporters had only about {} left for its cost of {}, and only {} of the budget was left.",
                p.id,
                r(supporters_money),
                m(p.cost),
                m(*budget_left)
            ),
        }
    }
}

/// Explains every project of an outcome.
pub fn explain(e: &Election, o: &Outcome) -> Vec<ProjectResult> {
    let votes = scores(e);
    let m = e.projects.len();
    let mut position = vec![None; m];
    for (i, &p) in o.selected.iter().enumerate() {
        position[p] = Some(i);
    }
    // Budget left before each selected project, and at the end.
    let mut left_before = vec![0; m];
    let mut left = e.budget;
    for &p in &o.selected {
        left_before[p] = left;
        left -= e.projects[p].cost;
    }
    let final_left = left;
    // MES: remaining money of each voter, payers per project.
    let mut money_left: Vec<BigRational> = Vec::new();
    let mut payers = vec![0usize; m];
    let mut max_share = vec![BigRational::zero(); m];
    if let (Some(run), Some(inst)) = (&o.mes, &o.instance) {
        money_left = vec![run.endowment.clone(); e.ballots.len()];
        for g in 0..inst.groups() {
            let pays = run.group_payments(inst, g);
            let w = inst.group_members(g).len();
            let mut spent = BigRational::zero();
            for (r, amount) in &pays {
                let p = run.chosen[*r].0;
                payers[p] += w;
                if *amount > max_share[p] {
                    max_share[p] = amount.clone();
                }
                spent += amount;
            }
            for &v in inst.group_members(g) {
                money_left[v] = &run.endowment - &spent;
            }
        }
    }
    let supporters_money = |p: usize| -> (usize, BigRational) {
        let mut n = 0;
        let mut s = BigRational::zero();
        for (v, b) in e.ballots.iter().enumerate() {
            if b.contains(p) {
                n += 1;
                if let Some(x) = money_left.get(v) {
                    s += x;
                }
            }
        }
        (n, s)
    };
    (0..m)
        .map(|p| {
            let explanation = if votes[p] <= 0 && position[p].is_none() {
                Explanation::NoSupport
            } else {
                match (o.rule, position[p]) {
                    (Rule::Greedy, Some(_)) => Explanation::GreedySelected {
                        budget_left: left_before[p],
                    },
                    (Rule::Greedy, None) => Explanation::NotEnoughBudgetLeft {
                        budget_left: greedy_left_at(e, o, p),
                    },
                    (_, Some(i)) if i < o.mes_selected => Explanation::MesSelected {
                        round: i,
                        payers: payers[p],
                        max_share: max_share[p].clone(),
                    },
                    (_, Some(_)) => Explanation::CompletionSelected {
                        budget_left: left_before[p],
                    },
                    (Rule::MesAdd1Greedy, None) => Explanation::NeitherAffordableNorFits {
                        supporters_money: supporters_money(p).1,
                        budget_left: greedy_left_at(e, o, p).min(e.budget),
                    },
                    (_, None) => {
                        let (supporters, money) = supporters_money(p);
                        Explanation::SupportersCannotAfford {
                            supporters,
                            supporters_money: money,
                        }
                    }
                }
            };
            ProjectResult {
                project: p,
                selected: position[p].is_some(),
                position: position[p],
                votes: votes[p],
                explanation,
            }
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|mut r| {
            if let Explanation::NotEnoughBudgetLeft { budget_left } = &mut r.explanation {
                *budget_left = (*budget_left).max(final_left);
            }
            r
        })
        .collect()
}

/// Budget left when greedy (or the completion) considered losing project `p`: the budget
/// minus the winners taken before it (MES winners first, then by score).
fn greedy_left_at(e: &Election, o: &Outcome, p: usize) -> Money {
    let votes = scores(e);
    let mut left = e.budget;
    for (i, &q) in o.selected.iter().enumerate() {
        let before = i < o.mes_selected || votes[q] > votes[p];
        if before {
            left -= e.projects[q].cost;
        }
    }
    left
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Ballot, Project, VoteType};
    use crate::rules::{TieBreak, tally};

    #[test]
    fn explanations_say_why() {
        let mut e = Election::new(10, VoteType::Approval);
        for (id, c) in [("a", 6), ("b", 5), ("c", 4), ("d", 1)] {
            e.add_project(Project::new(id, c, ""));
        }
        for (v, b) in [(0, vec![0, 1]), (1, vec![0, 1]), (2, vec![0, 2])] {
            e.ballots.push(Ballot::approval(format!("v{v}"), &b));
        }
        let g = tally(&e, Rule::Greedy, &TieBreak::default());
        let ex = explain(&e, &g);
        // a (3 votes) then b (2 votes) does not fit: 4 left; c (1 vote) fits.
        assert_eq!(
            ex[0].explanation,
            Explanation::GreedySelected { budget_left: 10 }
        );
        assert_eq!(
            ex[1].explanation,
            Explanation::NotEnoughBudgetLeft { budget_left: 4 }
        );
        assert!(ex[2].selected);
        assert_eq!(ex[3].explanation, Explanation::NoSupport);
        assert!(ex[1].describe(&e).contains("not enough budget left"));

        let m = tally(&e, Rule::Mes, &TieBreak::default());
        let ex = explain(&e, &m);
        assert!(matches!(
            ex[0].explanation,
            Explanation::MesSelected {
                round: 0,
                payers: 3,
                ..
            }
        ));
        // After a (2 each), voters 0 and 1 have 4/3 each: 8/3 < 5 for b.
        assert_eq!(
            ex[1].explanation,
            Explanation::SupportersCannotAfford {
                supporters: 2,
                supporters_money: BigRational::new(8.into(), 3.into())
            }
        );
        assert!(ex[1].describe(&e).contains("remaining money"));
    }
}
