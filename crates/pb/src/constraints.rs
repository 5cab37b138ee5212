//! Ballot rules (what a valid ballot looks like) and the file check behind `meedoen pb check`.

use crate::model::{Ballot, Election, Money, VoteType};
use crate::pabulib::{Parsed, split_list};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// A lower and/or upper bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bounds<T> {
    /// Inclusive minimum.
    pub min: Option<T>,
    /// Inclusive maximum.
    pub max: Option<T>,
}

/// What a ballot must satisfy. Built by hand (web module) or from an election's META keys
/// with [`BallotRules::from_election`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BallotRules {
    /// Number of listed projects (`min_length`, `max_length`).
    pub length: Bounds<usize>,
    /// Sum of the costs of the listed projects (`min_sum_cost`, `max_sum_cost`), base units.
    pub sum_cost: Bounds<Money>,
    /// Points given to one project (`min_points`, `max_points`).
    pub points: Bounds<i64>,
    /// Sum of points (`min_sum_points`, `max_sum_points`).
    pub sum_points: Bounds<i64>,
    /// Number of listed projects per category (`min_length_per_category`,
    /// `max_length_per_category`).
    pub length_per_category: HashMap<String, Bounds<usize>>,
    /// Sum of costs per category (`max_sum_cost_per_category`), base units.
    pub sum_cost_per_category: HashMap<String, Bounds<Money>>,
    /// Exactly one project (choose-1 ballots).
    pub choose_one: bool,
}

/// One way a ballot breaks the rules. Amounts are in base units of the election.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// The ballot names a project index that does not exist.
    UnknownProject { project: usize },
    /// The ballot lists a project twice.
    DuplicateProject { project: usize },
    /// Fewer projects than `min`.
    TooFewProjects { min: usize, found: usize },
    /// More projects than `max`.
    TooManyProjects { max: usize, found: usize },
    /// Total cost below the minimum.
    CostTooLow { min: Money, found: Money },
    /// Total cost above the maximum (the basket does not fit).
    CostTooHigh { max: Money, found: Money },
    /// Too few projects in a category.
    TooFewInCategory {
        category: String,
        min: usize,
        found: usize,
    },
    /// Too many projects in a category.
    TooManyInCategory {
        category: String,
        max: usize,
        found: usize,
    },
    /// Too much cost in a category.
    CategoryCostTooHigh {
        category: String,
        max: Money,
        found: Money,
    },
    /// Too little cost in a category.
    CategoryCostTooLow {
        category: String,
        min: Money,
        found: Money,
    },
    /// Points for one project below the minimum.
    PointsTooLow {
        project: usize,
        min: i64,
        found: i64,
    },
    /// Points for one project above the maximum.
    PointsTooHigh {
        project: usize,
        max: i64,
        found: i64,
    },
    /// Sum of points below the minimum.
    SumPointsTooLow { min: i64, found: i64 },
    /// Sum of points above the maximum.
    SumPointsTooHigh { max: i64, found: i64 },
    /// A choose-1 ballot that does not list exactly one project.
    NotExactlyOne { found: usize },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Violation::*;
        match self {
            UnknownProject { project } => write!(f, "unknown project #{project}"),
            DuplicateProject { project } => write!(f, "project #{project} listed twice"),
            TooFewProjects { min, found } => {
                write!(f, "{found} projects chosen, at least {min} required")
            }
            TooManyProjects { max, found } => {
                write!(f, "{found} projects chosen, at most {max} allowed")
            }
            CostTooLow { min, found } => write!(f, "total cost {found} below the minimum {min}"),
            CostTooHigh { max, found } => write!(f, "total cost {found} exceeds the maximum {max}"),
            TooFewInCategory {
                category,
                min,
                found,
            } => write!(
                f,
                "{found} projects in category {category:?}, at least {min} required"
            ),
            TooManyInCategory {
                category,
                max,
                found,
            } => write!(
                f,
                "{found} projects in category {category:?}, at most {max} allowed"
            ),
            CategoryCostTooHigh {
                category,
                max,
                found,
            } => write!(
                f,
                "cost {found} in category {category:?} exceeds the maximum {max}"
            ),
            CategoryCostTooLow {
                category,
                min,
                found,
            } => write!(
                f,
                "cost {found} in category {category:?} below the minimum {min}"
            ),
            PointsTooLow {
                project,
                min,
                found,
            } => write!(
                f,
                "{found} points for project #{project}, at least {min} required"
            ),
            PointsTooHigh {
                project,
                max,
                found,
            } => write!(
                f,
                "{found} points for project #{project}, at most {max} allowed"
            ),
            SumPointsTooLow { min, found } => {
                write!(f, "{found} points in total, at least {min} required")
            }
            SumPointsTooHigh { max, found } => {
                write!(f, "{found} points in total, at most {max} allowed")
            }
            NotExactlyOne { found } => write!(f, "{found} projects chosen, exactly 1 required"),
        }
    }
}

/// A META key that could not be understood as a ballot rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleKeyError {
    /// The META key.
    pub key: String,
    /// Its value.
    pub value: String,
}

impl BallotRules {
    /// Reads the ballot rules from the election's META keys: `min_length`, `max_length`,
    /// `min_sum_cost`, `max_sum_cost`, `min_points`, `max_points`, `min_sum_points`,
    /// `max_sum_points`, `min_length_per_category`, `max_length_per_category`,
    /// `min_sum_cost_per_category`, `max_sum_cost_per_category` (a single value for every
    /// category, or one per category in the order of the `categories` key). Keys that cannot be
    /// read are returned as errors and otherwise ignored.
    pub fn from_election(e: &Election) -> (BallotRules, Vec<RuleKeyError>) {
        let mut r = BallotRules {
            choose_one: e.vote_type == VoteType::Choose1,
            ..Default::default()
        };
        let mut errs = Vec::new();
        let mut bad = |k: &str, v: &str| {
            errs.push(RuleKeyError {
                key: k.into(),
                value: v.into(),
            })
        };
        for (k, v) in &e.meta {
            let int = || v.trim().parse::<i64>().ok();
            let usize_v = || {
                v.trim()
                    .parse::<usize>()
                    .ok()
                    .or_else(|| v.trim().parse::<f64>().ok().map(|f| f as usize))
            };
            let money = || e.parse_money(v);
            match k.as_str() {
                "min_length" => match usize_v() {
                    Some(x) => r.length.min = Some(x),
                    None => bad(k, v),
                },
                "max_length" => match usize_v() {
                    Some(x) => r.length.max = Some(x),
                    None => bad(k, v),
                },
                "min_sum_cost" => match money() {
                    Some(x) => r.sum_cost.min = Some(x),
                    None => bad(k, v),
                },
                "max_sum_cost" => match money() {
                    Some(x) => r.sum_cost.max = Some(x),
                    None => bad(k, v),
                },
                "min_points" => match int() {
                    Some(x) => r.points.min = Some(x),
                    None => bad(k, v),
                },
                "max_points" => match int() {
                    Some(x) => r.points.max = Some(x),
                    None => bad(k, v),
                },
                "min_sum_points" => match int() {
                    Some(x) => r.sum_points.min = Some(x),
                    None => bad(k, v),
                },
                "max_sum_points" => match int() {
                    Some(x) => r.sum_points.max = Some(x),
                    None => bad(k, v),
                },
                _ => {}
            }
        }
        let cats: Vec<String> = match e.meta("categories") {
            Some(c) => split_list(c),
            None => {
                let mut seen = Vec::new();
                for p in &e.projects {
                    for c in &p.categories {
                        if !seen.contains(c) {
                            seen.push(c.clone());
                        }
                    }
                }
                seen
            }
        };
        let per_cat = |key: &str| -> Option<Result<Vec<(String, String)>, ()>> {
            let v = e.meta(key)?;
            let vals = split_list(v);
            if vals.len() == 1 {
                Some(Ok(cats
                    .iter()
                    .map(|c| (c.clone(), vals[0].clone()))
                    .collect()))
            } else if vals.len() == cats.len() {
                Some(Ok(cats.iter().cloned().zip(vals).collect()))
            } else {
                Some(Err(()))
            }
        };
        for (key, is_min) in [
            ("min_length_per_category", true),
            ("max_length_per_category", false),
        ] {
            match per_cat(key) {
                None => {}
                Some(Err(())) => bad(key, e.meta(key).unwrap_or("")),
                Some(Ok(list)) => {
                    for (c, v) in list {
                        match v.parse::<usize>() {
                            Ok(x) => {
                                let b = r.length_per_category.entry(c).or_default();
                                if is_min {
                                    b.min = Some(x)
                                } else {
                                    b.max = Some(x)
                                }
                            }
                            Err(_) => bad(key, &v),
                        }
                    }
                }
            }
        }
        for (key, is_min) in [
            ("min_sum_cost_per_category", true),
            ("max_sum_cost_per_category", false),
        ] {
            match per_cat(key) {
                None => {}
                Some(Err(())) => bad(key, e.meta(key).unwrap_or("")),
                Some(Ok(list)) => {
                    for (c, v) in list {
                        match e.parse_money(&v) {
                            Some(x) => {
                                let b = r.sum_cost_per_category.entry(c).or_default();
                                if is_min {
                                    b.min = Some(x)
                                } else {
                                    b.max = Some(x)
                                }
                            }
                            None => bad(key, &v),
                        }
                    }
                }
            }
        }
        (r, errs)
    }

    /// Checks one ballot against the rules; an empty list means the ballot is valid.
    pub fn validate(&self, e: &Election, ballot: &Ballot) -> Vec<Violation> {
        let mut v = Vec::new();
        let mut seen = HashSet::new();
        let mut cost: Money = 0;
        let mut sum_points: i64 = 0;
        let mut cat_count: HashMap<&str, usize> = HashMap::new();
        let mut cat_cost: HashMap<&str, Money> = HashMap::new();
        let points_ballot = e.vote_type.has_points();
        for it in &ballot.items {
            let Some(p) = e.projects.get(it.project) else {
                v.push(Violation::UnknownProject {
                    project: it.project,
                });
                continue;
            };
            if !seen.insert(it.project) {
                v.push(Violation::DuplicateProject {
                    project: it.project,
                });
                continue;
            }
            cost = cost.saturating_add(p.cost);
            for c in &p.categories {
                *cat_count.entry(c.as_str()).or_default() += 1;
                *cat_cost.entry(c.as_str()).or_default() += p.cost;
            }
            if points_ballot {
                sum_points = sum_points.saturating_add(it.points);
                if let Some(min) = self.points.min
                    && it.points < min
                {
                    v.push(Violation::PointsTooLow {
                        project: it.project,
                        min,
                        found: it.points,
                    });
                }
                if let Some(max) = self.points.max
                    && it.points > max
                {
                    v.push(Violation::PointsTooHigh {
                        project: it.project,
                        max,
                        found: it.points,
                    });
                }
            }
        }
        let n = seen.len();
        if self.choose_one && n != 1 {
            v.push(Violation::NotExactlyOne { found: n });
        }
        if let Some(min) = self.length.min
            && n < min
        {
            v.push(Violation::TooFewProjects { min, found: n });
        }
        if let Some(max) = self.length.max
            && n > max
        {
            v.push(Violation::TooManyProjects { max, found: n });
        }
        if let Some(min) = self.sum_cost.min
            && cost < min
        {
            v.push(Violation::CostTooLow { min, found: cost });
        }
        if let Some(max) = self.sum_cost.max
            && cost > max
        {
            v.push(Violation::CostTooHigh { max, found: cost });
        }
        if points_ballot {
            if let Some(min) = self.sum_points.min
                && sum_points < min
            {
                v.push(Violation::SumPointsTooLow {
                    min,
                    found: sum_points,
                });
            }
            if let Some(max) = self.sum_points.max
                && sum_points > max
            {
                v.push(Violation::SumPointsTooHigh {
                    max,
                    found: sum_points,
                });
            }
        }
        let mut cats: Vec<&String> = self.length_per_category.keys().collect();
        cats.sort();
        for c in cats {
            let b = self.length_per_category[c];
            let found = cat_count.get(c.as_str()).copied().unwrap_or(0);
            if let Some(min) = b.min
                && found < min
            {
                v.push(Violation::TooFewInCategory {
                    category: c.clone(),
                    min,
                    found,
                });
            }
            if let Some(max) = b.max
                && found > max
            {
                v.push(Violation::TooManyInCategory {
                    category: c.clone(),
                    max,
                    found,
                });
            }
        }
        let mut cats: Vec<&String> = self.sum_cost_per_category.keys().collect();
        cats.sort();
        for c in cats {
            let b = self.sum_cost_per_category[c];
            let found = cat_cost.get(c.as_str()).copied().unwrap_or(0);
            if let Some(min) = b.min
                && found < min
            {
                v.push(Violation::CategoryCostTooLow {
                    category: c.clone(),
                    min,
                    found,
                });
            }
            if let Some(max) = b.max
                && found > max
            {
                v.push(Violation::CategoryCostTooHigh {
                    category: c.clone(),
                    max,
                    found,
                });
            }
        }
        v
    }
}

/// How serious a finding of [`check`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing; the file is still usable.
    Warning,
    /// The file breaks the format or its own rules.
    Error,
}

/// A finding of [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Error or warning.
    pub severity: Severity,
    /// 1-based line, if the issue belongs to one line.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match self.line {
            Some(l) => write!(f, "{s}: line {l}: {}", self.message),
            None => write!(f, "{s}: {}", self.message),
        }
    }
}

/// Checks a parsed file beyond the syntax: META counts against the data, the `votes` and
/// `score` columns against the ballots, every ballot against the ballot rules in META, the
/// currency code and voter ids. Parse warnings are included as warnings.
pub fn check(parsed: &Parsed) -> Vec<Issue> {
    let e = &parsed.election;
    let mut out: Vec<Issue> = parsed
        .warnings
        .iter()
        .map(|w| Issue {
            severity: Severity::Warning,
            line: Some(w.line),
            message: w.message.clone(),
        })
        .collect();
    let ml = |k: &str| parsed.meta_lines.get(k).copied();
    fn error(out: &mut Vec<Issue>, line: Option<usize>, message: String) {
        out.push(Issue {
            severity: Severity::Error,
            line,
            message,
        })
    }
    for (key, actual) in [
        ("num_projects", e.projects.len()),
        ("num_votes", e.ballots.len()),
    ] {
        if let Some(v) = e.meta(key) {
            match v.trim().parse::<usize>() {
                Ok(n) if n == actual => {}
                Ok(n) => error(
                    &mut out,
                    ml(key),
                    format!("{key} is {n} but the file has {actual}"),
                ),
                Err(_) => error(&mut out, ml(key), format!("{key} {v:?} is not a number")),
            }
        }
    }
    if let Some(c) = e.meta("currency") {
        let ok = c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase());
        if !ok {
            error(
                &mut out,
                ml("currency"),
                format!("currency {c:?} is not a three-letter ISO 4217 code"),
            );
        }
    }
    let (rules, bad_keys) = BallotRules::from_election(e);
    for b in bad_keys {
        error(
            &mut out,
            ml(&b.key),
            format!("META {} value {:?} cannot be read", b.key, b.value),
        );
    }
    let votes = e.vote_counts();
    let scores = e.point_totals();
    for (i, p) in e.projects.iter().enumerate() {
        let line = parsed.project_lines.get(i).copied();
        if let Some(v) = p.extra("votes") {
            match v.trim().parse::<u64>() {
                Ok(n) if n == votes[i] => {}
                _ => error(
                    &mut out,
                    line,
                    format!(
                        "project {:?}: votes column says {v} but {} ballots list it",
                        p.id, votes[i]
                    ),
                ),
            }
        }
        if let Some(v) = p.extra("score")
            && e.vote_type.has_points()
        {
            match v.trim().parse::<i128>() {
                Ok(n) if n == scores[i] => {}
                _ => error(
                    &mut out,
                    line,
                    format!(
                        "project {:?}: score column says {v} but the ballots give {}",
                        p.id, scores[i]
                    ),
                ),
            }
        }
        if p.cost == 0 {
            out.push(Issue {
                severity: Severity::Warning,
                line,
                message: format!("project {:?} costs nothing", p.id),
            });
        }
    }
    for (i, b) in e.ballots.iter().enumerate() {
        let line = parsed.ballot_lines.get(i).copied();
        if b.voter_id.contains(',') {
            out.push(Issue {
                severity: Severity::Error,
                line,
                message: format!("voter_id {:?} contains a comma", b.voter_id),
            });
        }
        for viol in rules.validate(e, b) {
            let msg = describe_violation(e, &viol);
            out.push(Issue {
                severity: Severity::Error,
                line,
                message: format!("voter {:?}: {msg}", b.voter_id),
            });
        }
        if b.items.is_empty() {
            out.push(Issue {
                severity: Severity::Warning,
                line,
                message: format!("voter {:?} has an empty ballot", b.voter_id),
            });
        }
        if let Some((_, s)) = b.extra.iter().find(|(k, _)| k == "sex")
            && !matches!(s.trim(), "M" | "F" | "O" | "")
        {
            out.push(Issue {
                severity: Severity::Warning,
                line,
                message: format!("voter {:?}: sex {s:?} is not M, F or O", b.voter_id),
            });
        }
    }
    out.sort_by_key(|i| (i.line.unwrap_or(0), std::cmp::Reverse(i.severity)));
    out
}

/// A violation with project ids and money in currency units.
pub fn describe_violation(e: &Election, v: &Violation) -> String {
    let pid = |p: &usize| {
        e.projects
            .get(*p)
            .map(|x| x.id.clone())
            .unwrap_or_else(|| format!("#{p}"))
    };
    let m = |x: &Money| e.format_money(*x);
    use Violation::*;
    match v {
        UnknownProject { project } => format!("unknown project {}", pid(project)),
        DuplicateProject { project } => format!("project {} listed twice", pid(project)),
        CostTooLow { min, found } => {
            format!("total cost {} below the minimum {}", m(found), m(min))
        }
        CostTooHigh { max, found } => {
            format!("total cost {} exceeds the maximum {}", m(found), m(max))
        }
        CategoryCostTooHigh {
            category,
            max,
            found,
        } => format!(
            "cost {} in category {category:?} exceeds the maximum {}",
            m(found),
            m(max)
        ),
        CategoryCostTooLow {
            category,
            min,
            found,
        } => format!(
            "cost {} in category {category:?} below the minimum {}",
            m(found),
            m(min)
        ),
        PointsTooLow {
            project,
            min,
            found,
        } => format!(
            "{found} points for project {}, at least {min} required",
            pid(project)
        ),
        PointsTooHigh {
            project,
            max,
            found,
        } => format!(
            "{found} points for project {}, at most {max} allowed",
            pid(project)
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Ballot, Project};
    use crate::pabulib::parse;

    fn election() -> Election {
        let mut e = Election::new(100, VoteType::Approval);
        e.add_project(Project::new("a", 30, "A").with_category("groen"));
        e.add_project(Project::new("b", 50, "B").with_category("groen"));
        e.add_project(Project::new("c", 40, "C").with_category("sport"));
        e
    }

    #[test]
    fn basket_and_k_approval_rules() {
        let e = election();
        let rules = BallotRules {
            length: Bounds {
                min: Some(2),
                max: Some(2),
            },
            sum_cost: Bounds {
                min: None,
                max: Some(80),
            },
            ..Default::default()
        };
        assert!(
            rules
                .validate(&e, &Ballot::approval("1", &[0, 1]))
                .is_empty()
        );
        assert_eq!(
            rules.validate(&e, &Ballot::approval("1", &[1, 2])),
            vec![Violation::CostTooHigh { max: 80, found: 90 }]
        );
        assert_eq!(
            rules.validate(&e, &Ballot::approval("1", &[0])),
            vec![Violation::TooFewProjects { min: 2, found: 1 }]
        );
        let v = rules.validate(&e, &Ballot::approval("1", &[0, 1, 2]));
        assert!(v.contains(&Violation::TooManyProjects { max: 2, found: 3 }));
        assert!(v.contains(&Violation::CostTooHigh {
            max: 80,
            found: 120
        }));
    }

    #[test]
    fn category_caps_and_points() {
        let mut e = election();
        e.vote_type = VoteType::Cumulative;
        let mut rules = BallotRules {
            sum_points: Bounds {
                min: None,
                max: Some(5),
            },
            points: Bounds {
                min: Some(1),
                max: Some(3),
            },
            ..Default::default()
        };
        rules.length_per_category.insert(
            "groen".into(),
            Bounds {
                min: None,
                max: Some(1),
            },
        );
        let b = Ballot::with_points("x", &[(0, 3), (1, 3), (2, 0)]);
        let v = rules.validate(&e, &b);
        assert!(v.contains(&Violation::SumPointsTooHigh { max: 5, found: 6 }));
        assert!(v.contains(&Violation::PointsTooLow {
            project: 2,
            min: 1,
            found: 0
        }));
        assert!(v.contains(&Violation::TooManyInCategory {
            category: "groen".into(),
            max: 1,
            found: 2
        }));
        assert_eq!(v.len(), 3);
    }

    #[test]
    fn rules_from_meta() {
        let t = "META\nkey;value\nbudget;100\nvote_type;approval\nmin_length;1\nmax_sum_cost;60\ncategories;groen,sport\nmax_sum_cost_per_category;50,20\nPROJECTS\nproject_id;cost;category\na;30;groen\nb;25;groen\nc;40;sport\nVOTES\nvoter_id;vote\n1;a,b\n2;c\n3;a\n";
        let p = parse(t).unwrap();
        let (r, errs) = BallotRules::from_election(&p.election);
        assert!(errs.is_empty());
        assert_eq!(r.length.min, Some(1));
        assert_eq!(r.sum_cost.max, Some(60));
        assert_eq!(r.sum_cost_per_category["sport"].max, Some(20));
        let issues = check(&p);
        // Ballot 1 (a+b=55 in groen > 50) and ballot 2 (c=40 in sport > 20) break the caps.
        let errors: Vec<_> = issues
            .iter()
            .filter(|i| i.severity == Severity::Error)
            .collect();
        assert_eq!(errors.len(), 2, "{issues:?}");
        assert_eq!(errors[0].line, Some(16));
        assert_eq!(errors[1].line, Some(17));
    }

    #[test]
    fn check_finds_wrong_counts_and_currency() {
        let t = "META\nkey;value\nbudget;100\nnum_votes;3\ncurrency;euro\nPROJECTS\nproject_id;cost;votes\na;30;2\nVOTES\nvoter_id;vote\n1,5;a\n";
        let issues = check(&parse(t).unwrap());
        let lines: Vec<_> = issues.iter().map(|i| i.line).collect();
        assert!(lines.contains(&Some(4)), "{issues:?}"); // num_votes
        assert!(lines.contains(&Some(5))); // currency
        assert!(lines.contains(&Some(8))); // votes column
        assert!(lines.contains(&Some(11))); // voter id with comma
    }
}
