//! `pb`: the participatory-budgeting engine of Meedoen.
//!
//! (Full API documentation below is completed as the modules land.)

pub mod constraints;
pub mod mes;
pub mod model;
pub mod pabulib;
pub mod rules;

pub use constraints::{BallotRules, Bounds, Issue, Severity, Violation, check};
pub use model::{Ballot, BallotItem, Election, Money, Project, VoteType};
pub use pabulib::{ParseError, ParseErrorKind, Parsed, Warning, parse, read_file, write};
pub use rules::{Outcome, Rule, TieBreak, TieCriterion, tally};
