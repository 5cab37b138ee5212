//! Reading and writing the pabulib `.pb` format (<https://pabulib.org/format>).
//!
//! A file has three sections, each introduced by a line `META`, `PROJECTS` or `VOTES`,
//! followed by a header line and `;`-separated rows with CSV quoting (`"a;b"`, `""` for a
//! quote inside a quoted field). Lines may end in LF or CRLF; empty lines are ignored; a UTF-8
//! byte-order mark is skipped. Lists inside a cell (the `vote`, `points` and `category`
//! cells, and list-valued META keys) are comma-separated.

use crate::model::{Ballot, BallotItem, Decimal, Election, Money, Project, VoteType};
use std::collections::{HashMap, HashSet};
use std::fmt;
use thiserror::Error;

/// What is wrong with a file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseErrorKind {
    #[error("the file has no {0} section")]
    MissingSection(&'static str),
    #[error("the {0} section appears twice")]
    RepeatedSection(&'static str),
    #[error("content before the META section: {0:?}")]
    ContentBeforeMeta(String),
    #[error("the {section} section has no header line")]
    MissingHeader { section: &'static str },
    #[error("the {section} header has no column {column:?}")]
    MissingColumn {
        section: &'static str,
        column: &'static str,
    },
    #[error("the {section} header names column {column:?} twice")]
    DuplicateColumn {
        section: &'static str,
        column: String,
    },
    #[error("expected {expected} fields, found {found}")]
    FieldCount { expected: usize, found: usize },
    #[error("a quoted field is not closed")]
    UnterminatedQuote,
    #[error("META key {0:?} appears twice")]
    DuplicateMetaKey(String),
    #[error("META line must have exactly a key and a value")]
    BadMetaLine,
    #[error("META key {0:?} is required")]
    MissingMetaKey(&'static str),
    #[error(
        "unknown vote_type {0:?} (expected approval, ordinal, cumulative, scoring or choose-1)"
    )]
    UnknownVoteType(String),
    #[error("{what} {value:?} is not a non-negative number")]
    BadNumber { what: &'static str, value: String },
    #[error("{what} {value:?} is not an integer")]
    BadInteger { what: &'static str, value: String },
    #[error("money amount {0:?} has too many decimals or is too large")]
    MoneyOutOfRange(String),
    #[error("empty project id")]
    EmptyProjectId,
    #[error("project id {0:?} appears twice")]
    DuplicateProject(String),
    #[error("ballot names unknown project {0:?}")]
    UnknownProject(String),
    #[error("voter_id {0:?} appears twice")]
    DuplicateVoter(String),
    #[error("ballot lists {projects} projects but {points} points")]
    PointsMismatch { projects: usize, points: usize },
    #[error("a choose-1 ballot lists {0} projects")]
    ChooseOneCount(usize),
}

/// A parse error, with the (1-based) line where it was found if it belongs to one line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub struct ParseError {
    /// 1-based line number.
    pub line: Option<usize>,
    /// What is wrong.
    pub kind: ParseErrorKind,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

fn err(line: usize, kind: ParseErrorKind) -> ParseError {
    ParseError {
        line: Some(line),
        kind,
    }
}

/// A problem that does not stop reading (e.g. a ballot that lists a project twice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line number.
    pub line: usize,
    /// Human-readable message.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The result of reading a file: the election, warnings, and where things were found.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The election.
    pub election: Election,
    /// Non-fatal problems.
    pub warnings: Vec<Warning>,
    /// Line of each META key.
    pub meta_lines: HashMap<String, usize>,
    /// Line of each project row (parallel to `election.projects`).
    pub project_lines: Vec<usize>,
    /// Line of each ballot row (parallel to `election.ballots`).
    pub ballot_lines: Vec<usize>,
}

/// Reads a pabulib file from its text.
pub fn parse(text: &str) -> Result<Parsed, ParseError> {
    let records = split_records(text)?;
    #[derive(PartialEq, Clone, Copy)]
    enum Sec {
        None,
        Meta,
        Projects,
        Votes,
    }
    let mut sec = Sec::None;
    let mut seen = [false; 3];
    let mut meta_rows: Vec<(usize, Vec<String>)> = Vec::new();
    let mut proj_rows: Vec<(usize, Vec<String>)> = Vec::new();
    let mut vote_rows: Vec<(usize, Vec<String>)> = Vec::new();
    let mut headers: [Option<(usize, Vec<String>)>; 3] = [None, None, None];
    for (line, fields) in records {
        if fields.len() == 1 {
            let marker = fields[0].trim();
            let (s, idx, name) = match marker.to_ascii_uppercase().as_str() {
                "META" => (Sec::Meta, 0, "META"),
                "PROJECTS" => (Sec::Projects, 1, "PROJECTS"),
                "VOTES" => (Sec::Votes, 2, "VOTES"),
                _ => (Sec::None, 3, ""),
            };
            if idx < 3 {
                if seen[idx] {
                    return Err(err(line, ParseErrorKind::RepeatedSection(name)));
                }
                seen[idx] = true;
                sec = s;
                continue;
            }
        }
        let idx = match sec {
            Sec::None => {
                return Err(err(
                    line,
                    ParseErrorKind::ContentBeforeMeta(fields.join(";")),
                ));
            }
            Sec::Meta => 0,
            Sec::Projects => 1,
            Sec::Votes => 2,
        };
        if headers[idx].is_none() {
            headers[idx] = Some((line, fields));
            continue;
        }
        match sec {
            Sec::Meta => meta_rows.push((line, fields)),
            Sec::Projects => proj_rows.push((line, fields)),
            Sec::Votes => vote_rows.push((line, fields)),
            Sec::None => unreachable!(),
        }
    }
    let names = ["META", "PROJECTS", "VOTES"];
    for i in 0..3 {
        if !seen[i] {
            return Err(ParseError {
                line: None,
                kind: ParseErrorKind::MissingSection(names[i]),
            });
        }
    }
    let mut warnings = Vec::new();

    // META
    let mut meta: Vec<(String, String)> = Vec::new();
    let mut meta_lines: HashMap<String, usize> = HashMap::new();
    if let Some((hl, h)) = &headers[0] {
        // The header is normally `key;value`; accept a file whose META has no header line
        // only if the "header" is itself a key/value pair that is not `key;value`.
        let is_header = h.len() == 2 && h[0].trim() == "key" && h[1].trim() == "value";
        if !is_header {
            if h.len() != 2 {
                return Err(err(*hl, ParseErrorKind::BadMetaLine));
            }
            meta_rows.insert(0, (*hl, h.clone()));
        }
    }
    for (line, f) in &meta_rows {
        if f.len() != 2 {
            return Err(err(*line, ParseErrorKind::BadMetaLine));
        }
        let key = f[0].trim().to_string();
        if meta_lines.contains_key(&key) {
            return Err(err(*line, ParseErrorKind::DuplicateMetaKey(key)));
        }
        meta_lines.insert(key.clone(), *line);
        meta.push((key, f[1].trim().to_string()));
    }
    let meta_get = |k: &str| meta.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str());
    let budget_line = *meta_lines.get("budget").unwrap_or(&0);
    let budget_str = meta_get("budget").ok_or(ParseError {
        line: None,
        kind: ParseErrorKind::MissingMetaKey("budget"),
    })?;
    let budget_dec = Decimal::parse(budget_str).ok_or_else(|| {
        err(
            budget_line,
            ParseErrorKind::BadNumber {
                what: "budget",
                value: budget_str.to_string(),
            },
        )
    })?;
    let vt_str = meta_get("vote_type").unwrap_or("approval");
    let vote_type = VoteType::parse(vt_str).ok_or_else(|| {
        err(
            *meta_lines.get("vote_type").unwrap_or(&0),
            ParseErrorKind::UnknownVoteType(vt_str.to_string()),
        )
    })?;

    // PROJECTS
    let (phl, ph) = headers[1].clone().ok_or(ParseError {
        line: None,
        kind: ParseErrorKind::MissingHeader {
            section: "PROJECTS",
        },
    })?;
    let ph: Vec<String> = ph.iter().map(|s| s.trim().to_string()).collect();
    check_unique_columns(&ph, phl, "PROJECTS")?;
    let col = |h: &[String], name: &str| h.iter().position(|c| c == name);
    let c_id = col(&ph, "project_id").ok_or_else(|| {
        err(
            phl,
            ParseErrorKind::MissingColumn {
                section: "PROJECTS",
                column: "project_id",
            },
        )
    })?;
    let c_cost = col(&ph, "cost").ok_or_else(|| {
        err(
            phl,
            ParseErrorKind::MissingColumn {
                section: "PROJECTS",
                column: "cost",
            },
        )
    })?;
    let c_name = col(&ph, "name");
    let c_cat = col(&ph, "category");
    let mut costs_dec = Vec::with_capacity(proj_rows.len());
    let mut scale = budget_dec.frac_digits;
    for (line, f) in &proj_rows {
        if f.len() != ph.len() {
            return Err(err(
                *line,
                ParseErrorKind::FieldCount {
                    expected: ph.len(),
                    found: f.len(),
                },
            ));
        }
        let c = f[c_cost].trim();
        let d = Decimal::parse(c).ok_or_else(|| {
            err(
                *line,
                ParseErrorKind::BadNumber {
                    what: "cost",
                    value: c.to_string(),
                },
            )
        })?;
        scale = scale.max(d.frac_digits);
        costs_dec.push(d);
    }
    let budget = budget_dec.to_units(scale).ok_or_else(|| {
        err(
            budget_line,
            ParseErrorKind::MoneyOutOfRange(budget_str.into()),
        )
    })?;
    let mut projects = Vec::with_capacity(proj_rows.len());
    let mut project_lines = Vec::with_capacity(proj_rows.len());
    let mut id_map: HashMap<String, usize> = HashMap::new();
    for ((line, f), d) in proj_rows.iter().zip(costs_dec) {
        let id = f[c_id].trim().to_string();
        if id.is_empty() {
            return Err(err(*line, ParseErrorKind::EmptyProjectId));
        }
        if id_map.contains_key(&id) {
            return Err(err(*line, ParseErrorKind::DuplicateProject(id)));
        }
        let cost: Money = d.to_units(scale).ok_or_else(|| {
            err(
                *line,
                ParseErrorKind::MoneyOutOfRange(f[c_cost].trim().to_string()),
            )
        })?;
        let categories = match c_cat {
            Some(c) => split_list(&f[c]),
            None => Vec::new(),
        };
        let extra = ph
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != c_id && *i != c_cost && Some(*i) != c_name && Some(*i) != c_cat)
            .map(|(i, k)| (k.clone(), f[i].clone()))
            .collect();
        id_map.insert(id.clone(), projects.len());
        projects.push(Project {
            id,
            cost,
            name: c_name.map(|c| f[c].clone()).unwrap_or_default(),
            categories,
            extra,
        });
        project_lines.push(*line);
    }

    // VOTES
    let (vhl, vh) = headers[2].clone().unwrap_or((0, Vec::new()));
    let vh: Vec<String> = vh.iter().map(|s| s.trim().to_string()).collect();
    let mut ballots = Vec::with_capacity(vote_rows.len());
    let mut ballot_lines = Vec::with_capacity(vote_rows.len());
    if !vote_rows.is_empty() || !vh.is_empty() {
        check_unique_columns(&vh, vhl, "VOTES")?;
        let c_voter = col(&vh, "voter_id").ok_or_else(|| {
            err(
                vhl,
                ParseErrorKind::MissingColumn {
                    section: "VOTES",
                    column: "voter_id",
                },
            )
        })?;
        let c_vote = col(&vh, "vote").ok_or_else(|| {
            err(
                vhl,
                ParseErrorKind::MissingColumn {
                    section: "VOTES",
                    column: "vote",
                },
            )
        })?;
        let c_points = col(&vh, "points");
        if vote_type.has_points() && c_points.is_none() {
            return Err(err(
                vhl,
                ParseErrorKind::MissingColumn {
                    section: "VOTES",
                    column: "points",
                },
            ));
        }
        let mut voters: HashSet<String> = HashSet::with_capacity(vote_rows.len());
        for (line, f) in &vote_rows {
            if f.len() != vh.len() {
                return Err(err(
                    *line,
                    ParseErrorKind::FieldCount {
                        expected: vh.len(),
                        found: f.len(),
                    },
                ));
            }
            let voter_id = f[c_voter].trim().to_string();
            if !voters.insert(voter_id.clone()) {
                return Err(err(*line, ParseErrorKind::DuplicateVoter(voter_id)));
            }
            let ids = split_list(&f[c_vote]);
            let pts: Vec<i64> = if vote_type.has_points() {
                let raw = split_list(&f[c_points.unwrap()]);
                if raw.len() != ids.len() {
                    return Err(err(
                        *line,
                        ParseErrorKind::PointsMismatch {
                            projects: ids.len(),
                            points: raw.len(),
                        },
                    ));
                }
                let mut v = Vec::with_capacity(raw.len());
                for r in raw {
                    v.push(parse_points(&r).ok_or_else(|| {
                        err(
                            *line,
                            ParseErrorKind::BadInteger {
                                what: "points",
                                value: r.clone(),
                            },
                        )
                    })?);
                }
                v
            } else {
                vec![1; ids.len()]
            };
            if vote_type == VoteType::Choose1 && ids.len() > 1 {
                return Err(err(*line, ParseErrorKind::ChooseOneCount(ids.len())));
            }
            let mut items: Vec<BallotItem> = Vec::with_capacity(ids.len());
            for (id, p) in ids.iter().zip(pts) {
                let Some(&project) = id_map.get(id.as_str()) else {
                    return Err(err(*line, ParseErrorKind::UnknownProject(id.clone())));
                };
                if items.iter().any(|i| i.project == project) {
                    warnings.push(Warning {
                        line: *line,
                        message: format!(
                            "voter {voter_id:?} lists project {id:?} more than once; counted once"
                        ),
                    });
                    continue;
                }
                items.push(BallotItem { project, points: p });
            }
            let extra = vh
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != c_voter && *i != c_vote && Some(*i) != c_points)
                .map(|(i, k)| (k.clone(), f[i].clone()))
                .collect();
            ballots.push(Ballot {
                voter_id,
                items,
                extra,
            });
            ballot_lines.push(*line);
        }
    }
    let election = Election {
        meta,
        budget,
        money_scale: scale,
        vote_type,
        projects,
        ballots,
        project_columns: ph,
        vote_columns: vh,
    };
    Ok(Parsed {
        election,
        warnings,
        meta_lines,
        project_lines,
        ballot_lines,
    })
}

/// Reads a pabulib file from disk.
pub fn read_file(path: &std::path::Path) -> Result<Parsed, ReadError> {
    let bytes = std::fs::read(path).map_err(|e| ReadError::Io(path.display().to_string(), e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        ReadError::Utf8 { line }
    })?;
    Ok(parse(&text)?)
}

/// Errors of [`read_file`].
#[derive(Debug, Error)]
pub enum ReadError {
    #[error("cannot read {0}: {1}")]
    Io(String, std::io::Error),
    #[error("line {line}: the file is not valid UTF-8")]
    Utf8 { line: usize },
    #[error(transparent)]
    Parse(#[from] ParseError),
}

fn parse_points(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(v) = s.parse::<i64>() {
        return Some(v);
    }
    // Accept "3.0".
    let (a, b) = s.split_once('.')?;
    if b.bytes().all(|c| c == b'0') {
        a.parse::<i64>().ok()
    } else {
        None
    }
}

fn check_unique_columns(
    h: &[String],
    line: usize,
    section: &'static str,
) -> Result<(), ParseError> {
    let mut seen = HashSet::new();
    for c in h {
        if !seen.insert(c.as_str()) {
            return Err(err(
                line,
                ParseErrorKind::DuplicateColumn {
                    section,
                    column: c.clone(),
                },
            ));
        }
    }
    Ok(())
}

/// Splits a comma-separated list cell; empty cell gives an empty list.
pub(crate) fn split_list(cell: &str) -> Vec<String> {
    let t = cell.trim();
    if t.is_empty() {
        return Vec::new();
    }
    t.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Splits the text into records of fields, each with its starting line number. Empty lines
/// are skipped. A quoted field may span lines.
fn split_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut lines = text.split('\n').enumerate().peekable();
    while let Some((i, raw)) = lines.next() {
        let line_no = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut chars: Vec<char> = line.chars().collect();
        let mut pos = 0;
        let mut in_quotes = false;
        let mut field_started_quoted = false;
        loop {
            if pos >= chars.len() {
                if in_quotes {
                    // Continue the quoted field on the next line.
                    match lines.next() {
                        Some((_, next)) => {
                            let next = next.strip_suffix('\r').unwrap_or(next);
                            cur.push('\n');
                            chars = next.chars().collect();
                            pos = 0;
                            continue;
                        }
                        None => return Err(err(line_no, ParseErrorKind::UnterminatedQuote)),
                    }
                }
                fields.push(std::mem::take(&mut cur));
                break;
            }
            let c = chars[pos];
            pos += 1;
            if in_quotes {
                if c == '"' {
                    if pos < chars.len() && chars[pos] == '"' {
                        cur.push('"');
                        pos += 1;
                    } else {
                        in_quotes = false;
                    }
                } else {
                    cur.push(c);
                }
            } else if c == ';' {
                fields.push(std::mem::take(&mut cur));
                field_started_quoted = false;
            } else if c == '"' && cur.trim().is_empty() && !field_started_quoted {
                cur.clear();
                in_quotes = true;
                field_started_quoted = true;
            } else {
                cur.push(c);
            }
        }
        out.push((line_no, fields));
    }
    Ok(out)
}

/// Quotes a field if it contains `;`, `"`, a line break or leading/trailing spaces.
fn quote(s: &str) -> String {
    if s.contains([';', '"', '\n', '\r']) || s.trim() != s {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes an election in pabulib format (LF line endings). `budget`, `vote_type`,
/// `num_projects` and `num_votes` in META are refreshed; for an election built in memory
/// (no column lists) the PROJECTS header is `project_id;cost;votes;name;category` (plus
/// `score` for points ballots) and the VOTES header `voter_id;vote` (plus `points`).
pub fn write(e: &Election) -> String {
    let mut out = String::new();
    out.push_str("META\nkey;value\n");
    let mut meta = e.meta.clone();
    let set = |meta: &mut Vec<(String, String)>, k: &str, v: String| {
        if let Some(slot) = meta.iter_mut().find(|(a, _)| a == k) {
            slot.1 = v;
        } else {
            meta.push((k.to_string(), v));
        }
    };
    set(&mut meta, "num_projects", e.projects.len().to_string());
    set(&mut meta, "num_votes", e.ballots.len().to_string());
    set(&mut meta, "budget", e.format_money(e.budget));
    set(&mut meta, "vote_type", e.vote_type.as_str().to_string());
    for (k, v) in &meta {
        out.push_str(&quote(k));
        out.push(';');
        out.push_str(&quote(v));
        out.push('\n');
    }
    let votes = e.vote_counts();
    let scores = e.point_totals();
    let pcols: Vec<String> = if e.project_columns.is_empty() {
        let mut c: Vec<String> = ["project_id", "cost", "votes"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if e.vote_type.has_points() {
            c.push("score".into());
        }
        c.push("name".into());
        if e.projects.iter().any(|p| !p.categories.is_empty()) {
            c.push("category".into());
        }
        for p in &e.projects {
            for (k, _) in &p.extra {
                if !c.contains(k) {
                    c.push(k.clone());
                }
            }
        }
        c
    } else {
        e.project_columns.clone()
    };
    out.push_str("PROJECTS\n");
    out.push_str(&pcols.iter().map(|c| quote(c)).collect::<Vec<_>>().join(";"));
    out.push('\n');
    for (i, p) in e.projects.iter().enumerate() {
        let row: Vec<String> = pcols
            .iter()
            .map(|c| match c.as_str() {
                "project_id" => quote(&p.id),
                "cost" => e.format_money(p.cost),
                "name" => quote(&p.name),
                "category" => quote(&p.categories.join(",")),
                other => match p.extra(other) {
                    Some(v) => quote(v),
                    None if other == "votes" => votes[i].to_string(),
                    None if other == "score" => scores[i].to_string(),
                    None => String::new(),
                },
            })
            .collect();
        out.push_str(&row.join(";"));
        out.push('\n');
    }
    let vcols: Vec<String> = if e.vote_columns.is_empty() {
        let mut c: Vec<String> = vec!["voter_id".into(), "vote".into()];
        if e.vote_type.has_points() {
            c.push("points".into());
        }
        for b in &e.ballots {
            for (k, _) in &b.extra {
                if !c.contains(k) {
                    c.push(k.clone());
                }
            }
        }
        c
    } else {
        let mut c = e.vote_columns.clone();
        if e.vote_type.has_points() && !c.iter().any(|x| x == "points") {
            c.push("points".into());
        }
        c
    };
    out.push_str("VOTES\n");
    out.push_str(&vcols.iter().map(|c| quote(c)).collect::<Vec<_>>().join(";"));
    out.push('\n');
    for b in &e.ballots {
        let row: Vec<String> = vcols
            .iter()
            .map(|c| match c.as_str() {
                "voter_id" => quote(&b.voter_id),
                "vote" => quote(
                    &b.items
                        .iter()
                        .map(|it| e.projects[it.project].id.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                "points" => b
                    .items
                    .iter()
                    .map(|it| it.points.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                other => b
                    .extra
                    .iter()
                    .find(|(k, _)| k == other)
                    .map(|(_, v)| quote(v))
                    .unwrap_or_default(),
            })
            .collect();
        out.push_str(&row.join(";"));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "META\r\nkey;value\r\ndescription;\"A; quoted \"\"text\"\"\"\r\nnum_projects;3\r\nnum_votes;3\r\nbudget;100.5\r\nvote_type;approval\r\nmax_length;2\r\nPROJECTS\r\nproject_id;cost;name;category;votes\r\nM/01/X;40.25;\"Park; groen\";Groen,Sport;2\r\n2;60;Bank;Sport;2\r\n3;4000.0;Duur;;0\r\nVOTES\r\nvoter_id;vote;age\r\na;M/01/X,2;30\r\nb;2,M/01/X,2;\r\nc;M/01/X;41\r\n";

    #[test]
    fn reads_crlf_quotes_decimals_string_ids() {
        let p = parse(SMALL).unwrap();
        let e = &p.election;
        assert_eq!(e.money_scale, 2);
        assert_eq!(e.budget, 10050);
        assert_eq!(e.projects[0].id, "M/01/X");
        assert_eq!(e.projects[0].cost, 4025);
        assert_eq!(e.projects[0].name, "Park; groen");
        assert_eq!(e.projects[0].categories, vec!["Groen", "Sport"]);
        assert_eq!(e.projects[2].cost, 400000);
        assert_eq!(e.meta("description"), Some("A; quoted \"text\""));
        assert_eq!(e.ballots.len(), 3);
        // Duplicate in ballot b: counted once, with a warning naming the line.
        assert_eq!(e.ballots[1].items.len(), 2);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, 17);
        assert!(p.warnings[0].message.contains("more than once"));
        assert_eq!(e.vote_counts(), vec![3, 2, 0]);
        assert_eq!(p.ballot_lines, vec![16, 17, 18]);
        assert_eq!(
            e.ballots[0].extra,
            vec![("age".to_string(), "30".to_string())]
        );
    }

    #[test]
    fn round_trip_gives_same_election() {
        let e = parse(SMALL).unwrap().election;
        let text = write(&e);
        let e2 = parse(&text).unwrap().election;
        assert_eq!(e, e2);
        assert_eq!(write(&e2), text);
    }

    #[test]
    fn round_trip_cumulative_built_in_memory() {
        let mut e = Election::new(10, VoteType::Cumulative);
        let a = e.add_project(Project::new("a", 4, "A;x").with_category("c1"));
        let b = e.add_project(Project::new("b", 6, "B"));
        e.ballots.push(Ballot::with_points("1", &[(a, 3), (b, 2)]));
        e.ballots.push(Ballot::with_points("2", &[(b, 5)]));
        let text = write(&e);
        assert!(text.contains("project_id;cost;votes;score;name;category"));
        let back = parse(&text).unwrap().election;
        assert_eq!(back.projects[0].name, "A;x");
        assert_eq!(back.ballots, e.ballots);
        assert_eq!(back.projects[1].extra("score"), Some("7"));
        assert_eq!(back.budget, 10);
    }

    #[test]
    fn lf_and_empty_lines() {
        let t = "META\nkey;value\n\nbudget;10\n\nvote_type;choose-1\nPROJECTS\nproject_id;cost\n1;5\n\n2;5\nVOTES\nvoter_id;vote\n1;1\n2;\n";
        let e = parse(t).unwrap().election;
        assert_eq!(e.vote_type, VoteType::Choose1);
        assert_eq!(e.projects.len(), 2);
        assert_eq!(e.ballots[1].items.len(), 0);
    }

    fn kind_at(t: &str) -> (Option<usize>, ParseErrorKind) {
        let e = parse(t).unwrap_err();
        (e.line, e.kind)
    }

    #[test]
    fn errors_name_the_line() {
        let base = "META\nkey;value\nbudget;10\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;5\n2;x\nVOTES\nvoter_id;vote\n1;1\n";
        let (l, k) = kind_at(base);
        assert_eq!(l, Some(8));
        assert!(matches!(k, ParseErrorKind::BadNumber { what: "cost", .. }));

        let t = base.replace("2;x", "2;3").replace("1;1\n", "1;1,9\n");
        let (l, k) = kind_at(&t);
        assert_eq!(
            (l, k),
            (Some(11), ParseErrorKind::UnknownProject("9".into()))
        );

        let t = base.replace("2;x", "1;3");
        assert_eq!(
            kind_at(&t),
            (Some(8), ParseErrorKind::DuplicateProject("1".into()))
        );

        let t = base
            .replace("2;x", "2;3")
            .replace("vote_type;approval", "vote_type;borda");
        assert_eq!(
            kind_at(&t),
            (Some(4), ParseErrorKind::UnknownVoteType("borda".into()))
        );

        let t = base.replace("2;x", "2;3;4");
        assert_eq!(
            kind_at(&t),
            (
                Some(8),
                ParseErrorKind::FieldCount {
                    expected: 2,
                    found: 3
                }
            )
        );

        let t = base.replace("VOTES\nvoter_id;vote\n1;1\n", "");
        assert_eq!(kind_at(&t).1, ParseErrorKind::MissingSection("VOTES"));

        let t = base.replace("budget;10\n", "");
        assert_eq!(kind_at(&t).1, ParseErrorKind::MissingMetaKey("budget"));

        let t = base.replace("2;x", "2;3").replace("1;1\n", "1;1\n1;2\n");
        assert_eq!(
            kind_at(&t),
            (Some(12), ParseErrorKind::DuplicateVoter("1".into()))
        );

        let t = base.replace("2;x", "2;\"3");
        assert_eq!(kind_at(&t), (Some(8), ParseErrorKind::UnterminatedQuote));

        let t = base
            .replace("2;x", "2;3")
            .replace("approval", "cumulative")
            .replace("voter_id;vote\n1;1", "voter_id;vote;points\n1;1,2;3");
        assert_eq!(
            kind_at(&t),
            (
                Some(11),
                ParseErrorKind::PointsMismatch {
                    projects: 2,
                    points: 1
                }
            )
        );
        let msg = parse(&t).unwrap_err().to_string();
        assert!(msg.starts_with("line 11: "), "{msg}");
    }
}
