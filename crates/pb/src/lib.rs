//! `pb`: the participatory-budgeting engine of Meedoen. No web or database code.
//!
//! * [`pabulib`]: read and write the pabulib `.pb` format ([`read_file`], [`parse`],
//!   [`write()`]), with line-numbered errors and warnings.
//! * [`constraints`]: ballot rules (basket within a budget, k-approval min/max, caps per
//!   category, cumulative points) returning typed [`Violation`]s, and the file [`check`].
//! * [`rules`]: `greedy`, `mes`, `mes-add1`, `mes-add1-greedy` with exact arithmetic
//!   ([`tally`]); [`mes`] holds the Method of Equal Shares engine.
//! * [`certificate`]: what each voter paid for each project, as JSON, and an independent
//!   [`certificate::verify`].
//! * [`explain`]: why each project won or lost.
//!
//! # Using it from the web module (buurtbudget)
//!
//! ```
//! use pb::{Ballot, BallotRules, Bounds, Election, Project, Rule, TieBreak, VoteType};
//!
//! // Build an election in memory (budget in whole euros).
//! let mut e = Election::new(100_000, VoteType::Approval);
//! let park = e.add_project(Project::new("1", 60_000, "Park").with_category("groen"));
//! let bank = e.add_project(Project::new("2", 30_000, "Bankjes").with_category("groen"));
//! let sport = e.add_project(Project::new("3", 45_000, "Sportveld").with_category("sport"));
//!
//! // Validate a ballot before storing it.
//! let rules = BallotRules {
//!     length: Bounds { min: Some(1), max: Some(2) },
//!     sum_cost: Bounds { min: None, max: Some(100_000) },
//!     ..Default::default()
//! };
//! let ballot = Ballot::approval("code-7f3a", &[park, sport]);
//! let violations = rules.validate(&e, &ballot);
//! assert_eq!(violations, vec![pb::Violation::CostTooHigh { max: 100_000, found: 105_000 }]);
//!
//! e.ballots.push(Ballot::approval("a", &[park, bank]));
//! e.ballots.push(Ballot::approval("b", &[park]));
//! e.ballots.push(Ballot::approval("c", &[sport]));
//!
//! // Tally: outcome, certificate and per-project explanation.
//! let result = pb::run(&e, Rule::MesAdd1, &TieBreak::default());
//! assert!(result.outcome.total_cost <= e.budget);
//! assert!(pb::certificate::verify(&e, &result.certificate).is_ok());
//! for r in &result.projects {
//!     println!("{}", r.describe(&e));
//! }
//!
//! // Publish the anonymous ballots.
//! let text = pb::write(&e);
//! assert_eq!(pb::parse(&text).unwrap().election.ballots.len(), 3);
//! ```
//!
//! ## The functions the web module needs
//!
//! | task | call |
//! |---|---|
//! | build an election | [`Election::new`]`(budget, VoteType)`, [`Election::add_project`]`(Project::new(id, cost, name).with_category(c)) -> usize`, `e.ballots.push(`[`Ballot::approval`]`(voter, &[usize]))` / [`Ballot::with_points`]`(voter, &[(usize, i64)])` |
//! | ballot rules | [`BallotRules`] (fields `length`, `sum_cost`, `points`, `sum_points`, `length_per_category`, `sum_cost_per_category`, `choose_one`), [`BallotRules::validate`]`(&e, &ballot) -> Vec<Violation>`, [`BallotRules::from_election`]`(&e)` |
//! | tally | [`run`]`(&e, Rule, &TieBreak) -> TallyResult { outcome, certificate, projects }`; [`tally`] for the outcome only |
//! | explain | [`ProjectResult`] (`selected`, `position`, `votes`, [`Explanation`]) and [`ProjectResult::describe`]`(&e) -> String` |
//! | certificate | [`certificate::certificate`]`(&e, &outcome, &tb)`, serde JSON, [`certificate::verify`]`(&e, &cert) -> Result<VerifyReport, Vec<Failure>>` |
//! | pabulib | [`write()`]`(&e) -> String`, [`parse`]`(&str) -> Result<Parsed, ParseError>`, [`read_file`], [`check`]`(&parsed) -> Vec<Issue>` |
//!
//! Money is held in *base units* ([`Money`], `u64`): currency units times
//! `10^election.money_scale` (0 unless a file has decimal costs). Ballot rules read from a file
//! come from [`BallotRules::from_election`].

pub mod certificate;
pub mod constraints;
pub mod explain;
pub mod mes;
pub mod model;
pub mod pabulib;
pub mod rules;

pub use certificate::Certificate;
pub use constraints::{BallotRules, Bounds, Issue, Severity, Violation, check};
pub use explain::{Explanation, ProjectResult};
pub use model::{Ballot, BallotItem, Election, Money, Project, VoteType};
pub use pabulib::{ParseError, ParseErrorKind, Parsed, Warning, parse, read_file, write};
pub use rules::{Outcome, Rule, TieBreak, TieCriterion, tally};

/// Everything a tally produces.
#[derive(Debug, Clone)]
pub struct TallyResult {
    /// Winners in order, total cost, and the MES run behind them.
    pub outcome: Outcome,
    /// What each voter paid (see [`certificate`]).
    pub certificate: Certificate,
    /// Why each project won or lost, one entry per project in election order.
    pub projects: Vec<ProjectResult>,
}

/// Tallies an election and returns outcome, certificate and explanations.
pub fn run(e: &Election, rule: Rule, tb: &TieBreak) -> TallyResult {
    let outcome = tally(e, rule, tb);
    let certificate = certificate::certificate(e, &outcome, tb);
    let projects = explain::explain(e, &outcome);
    TallyResult {
        outcome,
        certificate,
        projects,
    }
}

/// The tests' source of random elections: xorshift64, deterministic from its seed.
#[cfg(test)]
pub(crate) fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}
