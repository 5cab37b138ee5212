//! Typed errors of the sortition engine.

use std::fmt;

/// Everything that can go wrong while reading an instance or selecting a panel.
#[derive(Debug, thiserror::Error)]
pub enum SortitionError {
    /// A CSV file (or an in-memory record) could not be read. `line` is 1-based
    /// (the header is line 1); 0 means the problem is not tied to one line.
    #[error("{file}, line {line}: {problem}")]
    Parse {
        file: String,
        line: u64,
        problem: String,
    },
    /// The instance is malformed (unknown category, duplicate id, ...).
    #[error("invalid instance: {0}")]
    Invalid(String),
    /// No panel meets the quotas; the report names the conflicting quotas and the
    /// smallest relaxation that makes them feasible.
    #[error("{0}")]
    Infeasible(Box<Infeasibility>),
    /// The caller set the cancel flag.
    #[error("selection cancelled")]
    Cancelled,
    /// The LP/IP solver failed numerically.
    #[error("solver failure: {0}")]
    Solver(String),
    /// A replacement was asked for that cannot be made.
    #[error("replacement impossible: {0}")]
    Replacement(String),
}

/// Why the quotas cannot be met and how little has to change to meet them.
#[derive(Debug, Clone, PartialEq)]
pub struct Infeasibility {
    /// Human-readable reasons that hold regardless of quotas (e.g. the panel is
    /// larger than the pool or than the number of households).
    pub structural: Vec<String>,
    /// The quota bounds in conflict: each is changed by some smallest
    /// relaxation.
    pub conflicting: Vec<QuotaBound>,
    /// The quotas that have to change, each with the smallest change found
    /// (minimum total relaxation, in people). Empty if `structural` is not.
    pub relaxations: Vec<Relaxation>,
}

/// A quota bound as written: `category=value min|max bound`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaBound {
    pub category: String,
    pub value: String,
    pub is_min: bool,
    pub bound: u32,
}

impl fmt::Display for QuotaBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = if self.is_min { "min" } else { "max" };
        write!(f, "{}={} {} {}", self.category, self.value, b, self.bound)
    }
}

/// One quota bound that must move to make the instance feasible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relaxation {
    pub category: String,
    pub value: String,
    /// `true`: the minimum must go down; `false`: the maximum must go up.
    pub is_min: bool,
    pub from: u32,
    pub to: u32,
}

impl fmt::Display for Relaxation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bound = if self.is_min { "min" } else { "max" };
        write!(
            f,
            "{}={} {} {} -> {}",
            self.category, self.value, bound, self.from, self.to
        )
    }
}

impl fmt::Display for Infeasibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the quotas cannot be met")?;
        for s in &self.structural {
            write!(f, "\n  - {s}")?;
        }
        if !self.relaxations.is_empty() {
            let names: Vec<String> = self.conflicting.iter().map(|b| b.to_string()).collect();
            write!(f, "\n  conflicting quotas: {}", names.join(", "))?;
            let total: u32 = self.relaxations.iter().map(|r| r.from.abs_diff(r.to)).sum();
            write!(
                f,
                "\n  smallest relaxation that makes them feasible ({total} in total):"
            )?;
            for r in &self.relaxations {
                write!(f, "\n    {r}")?;
            }
        }
        Ok(())
    }
}

pub type Result<T> = std::result::Result<T, SortitionError>;
