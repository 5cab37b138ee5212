//! The in-memory election: projects, ballots, budget and the pabulib metadata.

use std::collections::HashMap;
use std::fmt;

/// An amount of money in *base units*: the currency unit divided by `10^money_scale` of the
/// election. Elections whose costs are all whole numbers have `money_scale == 0`, so base
/// units are currency units.
pub type Money = u64;

/// The ballot format of an election (pabulib `vote_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VoteType {
    /// A set of approved projects.
    Approval,
    /// A ranking, most preferred first.
    Ordinal,
    /// Points distributed over projects (`points` column).
    Cumulative,
    /// A score per listed project (`points` column).
    Scoring,
    /// Exactly one project.
    Choose1,
}

impl VoteType {
    /// The pabulib spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            VoteType::Approval => "approval",
            VoteType::Ordinal => "ordinal",
            VoteType::Cumulative => "cumulative",
            VoteType::Scoring => "scoring",
            VoteType::Choose1 => "choose-1",
        }
    }

    /// Parses the pabulib spelling (case-insensitive).
    pub fn parse(s: &str) -> Option<VoteType> {
        match s.trim().to_ascii_lowercase().as_str() {
            "approval" => Some(VoteType::Approval),
            "ordinal" => Some(VoteType::Ordinal),
            "cumulative" => Some(VoteType::Cumulative),
            "scoring" => Some(VoteType::Scoring),
            "choose-1" | "choose_1" | "choose1" => Some(VoteType::Choose1),
            _ => None,
        }
    }

    /// Whether ballots of this type carry a `points` column.
    pub fn has_points(self) -> bool {
        matches!(self, VoteType::Cumulative | VoteType::Scoring)
    }
}

impl fmt::Display for VoteType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A project on the ballot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// The project id, an arbitrary string (`"12"`, `"M/01/X"`).
    pub id: String,
    /// Cost in base units.
    pub cost: Money,
    /// Display name (may be empty).
    pub name: String,
    /// Categories (pabulib `category` column, comma-separated there).
    pub categories: Vec<String>,
    /// Every other column (`votes`, `score`, `selected`, `description`, `target`, ...), in file order.
    pub extra: Vec<(String, String)>,
}

impl Project {
    /// A project with only id, cost and name.
    pub fn new(id: impl Into<String>, cost: Money, name: impl Into<String>) -> Project {
        Project {
            id: id.into(),
            cost,
            name: name.into(),
            categories: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// Adds a category (builder style).
    pub fn with_category(mut self, category: impl Into<String>) -> Project {
        self.categories.push(category.into());
        self
    }

    /// The value of an extra column, if present.
    pub fn extra(&self, key: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// One entry of a ballot: a project (index into [`Election::projects`]) and its points.
/// For approval and choose-1 ballots the points are 1; for ordinal ballots the entries are in
/// rank order and the points are 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BallotItem {
    /// Index into [`Election::projects`].
    pub project: usize,
    /// Points (cumulative/scoring), 1 otherwise.
    pub points: i64,
}

/// One voter's ballot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ballot {
    /// The voter id from the file (anonymous in published data).
    pub voter_id: String,
    /// The listed projects, in ballot order, each at most once.
    pub items: Vec<BallotItem>,
    /// Every other column (`age`, `sex`, `voting_method`, ...), in file order.
    pub extra: Vec<(String, String)>,
}

impl Ballot {
    /// An approval ballot from project indices (duplicates are dropped).
    pub fn approval(voter_id: impl Into<String>, projects: &[usize]) -> Ballot {
        let mut items: Vec<BallotItem> = Vec::with_capacity(projects.len());
        for &p in projects {
            if !items.iter().any(|i| i.project == p) {
                items.push(BallotItem {
                    project: p,
                    points: 1,
                });
            }
        }
        Ballot {
            voter_id: voter_id.into(),
            items,
            extra: Vec::new(),
        }
    }

    /// A cumulative/scoring ballot from (project index, points) pairs (duplicates dropped).
    pub fn with_points(voter_id: impl Into<String>, entries: &[(usize, i64)]) -> Ballot {
        let mut items: Vec<BallotItem> = Vec::with_capacity(entries.len());
        for &(p, points) in entries {
            if !items.iter().any(|i| i.project == p) {
                items.push(BallotItem { project: p, points });
            }
        }
        Ballot {
            voter_id: voter_id.into(),
            items,
            extra: Vec::new(),
        }
    }

    /// Whether the ballot lists project `p`.
    pub fn contains(&self, p: usize) -> bool {
        self.items.iter().any(|i| i.project == p)
    }
}

/// A participatory-budgeting election.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Election {
    /// Every META key and value in file order (including `budget`, `vote_type`, ...). The
    /// writer refreshes `budget`, `vote_type`, `num_projects` and `num_votes` from the fields.
    pub meta: Vec<(String, String)>,
    /// The budget in base units.
    pub budget: Money,
    /// Base units per currency unit are `10^money_scale`.
    pub money_scale: u32,
    /// The ballot format.
    pub vote_type: VoteType,
    /// The projects, in file order.
    pub projects: Vec<Project>,
    /// The ballots, in file order.
    pub ballots: Vec<Ballot>,
    /// PROJECTS header as read (empty for an election built in memory: the writer picks one).
    pub project_columns: Vec<String>,
    /// VOTES header as read (empty for an election built in memory).
    pub vote_columns: Vec<String>,
}

impl Election {
    /// An empty election with a budget in whole currency units.
    pub fn new(budget: Money, vote_type: VoteType) -> Election {
        Election {
            meta: Vec::new(),
            budget,
            money_scale: 0,
            vote_type,
            projects: Vec::new(),
            ballots: Vec::new(),
            project_columns: Vec::new(),
            vote_columns: Vec::new(),
        }
    }

    /// Sets (or adds) a META key.
    pub fn set_meta(&mut self, key: &str, value: impl Into<String>) {
        let value = value.into();
        if let Some(slot) = self.meta.iter_mut().find(|(k, _)| k == key) {
            slot.1 = value;
        } else {
            self.meta.push((key.to_string(), value));
        }
    }

    /// The value of a META key.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Adds a project and returns its index.
    pub fn add_project(&mut self, project: Project) -> usize {
        self.projects.push(project);
        self.projects.len() - 1
    }

    /// Index of a project by id.
    pub fn project_index(&self, id: &str) -> Option<usize> {
        self.projects.iter().position(|p| p.id == id)
    }

    /// A map from project id to index.
    pub fn project_map(&self) -> HashMap<&str, usize> {
        self.projects
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.as_str(), i))
            .collect()
    }

    /// Number of ballots listing each project.
    pub fn vote_counts(&self) -> Vec<u64> {
        let mut v = vec![0u64; self.projects.len()];
        for b in &self.ballots {
            for it in &b.items {
                v[it.project] += 1;
            }
        }
        v
    }

    /// Total points per project (equal to [`Election::vote_counts`] without points).
    pub fn point_totals(&self) -> Vec<i128> {
        let mut v = vec![0i128; self.projects.len()];
        for b in &self.ballots {
            for it in &b.items {
                v[it.project] += if self.vote_type.has_points() {
                    it.points as i128
                } else {
                    1
                };
            }
        }
        v
    }

    /// Base units per currency unit.
    pub fn unit(&self) -> Money {
        10u64.pow(self.money_scale)
    }

    /// Formats an amount of base units as a decimal in currency units (`"4000"`, `"12.5"`).
    pub fn format_money(&self, amount: Money) -> String {
        format_scaled(amount as u128, self.money_scale)
    }

    /// Parses a decimal amount in currency units into base units of this election; `None` if it
    /// is not a non-negative number representable at this scale.
    pub fn parse_money(&self, s: &str) -> Option<Money> {
        let d = Decimal::parse(s)?;
        d.to_units(self.money_scale)
    }
}

/// Formats `units / 10^scale` without trailing zeros.
pub(crate) fn format_scaled(units: u128, scale: u32) -> String {
    if scale == 0 {
        return units.to_string();
    }
    let div = 10u128.pow(scale);
    let int = units / div;
    let frac = units % div;
    if frac == 0 {
        return int.to_string();
    }
    let mut f = format!("{:0width$}", frac, width = scale as usize);
    while f.ends_with('0') {
        f.pop();
    }
    format!("{int}.{f}")
}

/// A non-negative decimal number as written in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decimal {
    /// All digits as an integer.
    pub mantissa: u128,
    /// Number of significant fractional digits (trailing zeros removed).
    pub frac_digits: u32,
}

impl Decimal {
    pub fn parse(s: &str) -> Option<Decimal> {
        let s = s.trim();
        let s = s.strip_prefix('+').unwrap_or(s);
        if s.is_empty() {
            return None;
        }
        let (int, frac) = match s.split_once('.') {
            Some((a, b)) => (a, b),
            None => (s, ""),
        };
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().all(|c| c.is_ascii_digit()) || !frac.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > 18 {
            return None;
        }
        let mut m: u128 = 0;
        for c in int.bytes().chain(frac.bytes()) {
            m = m.checked_mul(10)?.checked_add((c - b'0') as u128)?;
        }
        Some(Decimal {
            mantissa: m,
            frac_digits: frac.len() as u32,
        })
    }

    pub fn to_units(self, scale: u32) -> Option<Money> {
        if self.frac_digits > scale {
            return None;
        }
        let v = self
            .mantissa
            .checked_mul(10u128.checked_pow(scale - self.frac_digits)?)?;
        Money::try_from(v).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_and_scale() {
        let d = Decimal::parse("4000.0").unwrap();
        assert_eq!(d.frac_digits, 0);
        assert_eq!(d.to_units(0), Some(4000));
        let d = Decimal::parse("12.50").unwrap();
        assert_eq!(d.frac_digits, 1);
        assert_eq!(d.to_units(2), Some(1250));
        assert_eq!(d.to_units(0), None);
        assert!(Decimal::parse("-3").is_none());
        assert!(Decimal::parse("1e5").is_none());
        assert!(Decimal::parse("").is_none());
        assert_eq!(format_scaled(1250, 2), "12.5");
        assert_eq!(format_scaled(1200, 2), "12");
        assert_eq!(format_scaled(7, 0), "7");
    }

    #[test]
    fn ballot_constructors_drop_duplicates() {
        let b = Ballot::approval("v", &[2, 0, 2]);
        assert_eq!(b.items.len(), 2);
        assert!(b.contains(0) && b.contains(2) && !b.contains(1));
        let b = Ballot::with_points("v", &[(1, 3), (1, 4)]);
        assert_eq!(
            b.items,
            vec![BallotItem {
                project: 1,
                points: 3
            }]
        );
    }
}
