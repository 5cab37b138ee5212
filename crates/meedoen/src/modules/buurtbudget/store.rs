//! Storage and domain rules of buurtbudget rounds, plans, codes and ballots. Portable SQL
//! (see `crate::db`).

use crate::db::{Db, DbError, flag};
use crate::web::security::sha256_hex;
use pb::{Ballot, BallotRules, Bounds, Election, Project, VoteType};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

/// Where a round is, derived from its status and phase dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Concept,
    Binnenkort,
    Indienen,
    Steunen,
    Toetsen,
    Stemmen,
    Tellen,
    Uitslag,
}

impl Phase {
    pub fn key(self) -> &'static str {
        match self {
            Phase::Concept => "concept",
            Phase::Binnenkort => "binnenkort",
            Phase::Indienen => "indienen",
            Phase::Steunen => "steunen",
            Phase::Toetsen => "toetsen",
            Phase::Stemmen => "stemmen",
            Phase::Tellen => "tellen",
            Phase::Uitslag => "uitslag",
        }
    }
    pub fn label_key(self) -> String {
        format!("buurtbudget.phase.{}", self.key())
    }
}

pub fn today() -> String {
    crate::modules::trajecten::store::today()
}

#[derive(Clone, Debug, Serialize)]
pub struct Round {
    pub id: i64,
    pub tenant_id: i64,
    pub area_id: Option<i64>,
    pub area_name: Option<String>,
    pub title: String,
    pub intro: String,
    pub budget: i64,
    pub submit_from: String,
    pub submit_until: String,
    pub support_until: String,
    pub check_until: String,
    pub vote_from: String,
    pub vote_until: String,
    pub result_on: String,
    pub ballot_kind: String,
    pub within_budget: bool,
    pub min_choices: Option<i64>,
    pub max_choices: Option<i64>,
    pub points_total: Option<i64>,
    pub points_max_per: Option<i64>,
    pub category_caps: String,
    pub support_threshold: i64,
    pub min_age: i64,
    pub rule: String,
    pub status: String,
    pub imported: bool,
    pub source: String,
    pub result_at: Option<i64>,
}

const ROUND_COLS: &str = "r.id, r.tenant_id, r.area_id, a.name AS area_name, r.title, r.intro, r.budget, \
    r.submit_from, r.submit_until, r.support_until, r.check_until, r.vote_from, r.vote_until, r.result_on, \
    r.ballot_kind, r.within_budget, r.min_choices, r.max_choices, r.points_total, r.points_max_per, \
    r.category_caps, r.support_threshold, r.min_age, r.rule, r.status, r.imported, r.source, r.result_at";

fn round_from(r: &AnyRow) -> Result<Round, DbError> {
    Ok(Round {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        area_id: r.try_get("area_id")?,
        area_name: r.try_get("area_name")?,
        title: r.try_get("title")?,
        intro: r.try_get("intro")?,
        budget: r.try_get("budget")?,
        submit_from: r.try_get("submit_from")?,
        submit_until: r.try_get("submit_until")?,
        support_until: r.try_get("support_until")?,
        check_until: r.try_get("check_until")?,
        vote_from: r.try_get("vote_from")?,
        vote_until: r.try_get("vote_until")?,
        result_on: r.try_get("result_on")?,
        ballot_kind: r.try_get("ballot_kind")?,
        within_budget: flag(r.try_get("within_budget")?),
        min_choices: r.try_get("min_choices")?,
        max_choices: r.try_get("max_choices")?,
        points_total: r.try_get("points_total")?,
        points_max_per: r.try_get("points_max_per")?,
        category_caps: r.try_get("category_caps")?,
        support_threshold: r.try_get("support_threshold")?,
        min_age: r.try_get("min_age")?,
        rule: r.try_get("rule")?,
        status: r.try_get("status")?,
        imported: flag(r.try_get("imported")?),
        source: r.try_get("source")?,
        result_at: r.try_get("result_at")?,
    })
}

impl Round {
    pub fn phase_on(&self, today: &str) -> Phase {
        match self.status.as_str() {
            "concept" => Phase::Concept,
            "uitslag" => Phase::Uitslag,
            _ => {
                let t = today;
                if t < self.submit_from.as_str() {
                    Phase::Binnenkort
                } else if t <= self.submit_until.as_str() {
                    Phase::Indienen
                } else if t <= self.support_until.as_str() {
                    Phase::Steunen
                } else if t < self.vote_from.as_str() {
                    Phase::Toetsen
                } else if t <= self.vote_until.as_str() {
                    Phase::Stemmen
                } else {
                    Phase::Tellen
                }
            }
        }
    }
    pub fn phase(&self) -> Phase {
        self.phase_on(&today())
    }
    pub fn is_public(&self) -> bool {
        self.status != "concept"
    }
    pub fn can_submit(&self) -> bool {
        self.phase() == Phase::Indienen
    }
    pub fn can_support(&self) -> bool {
        matches!(self.phase(), Phase::Indienen | Phase::Steunen)
    }
    pub fn can_vote(&self) -> bool {
        self.phase() == Phase::Stemmen
    }
    pub fn has_points(&self) -> bool {
        self.ballot_kind == "cumulative"
    }
    pub fn vote_type(&self) -> VoteType {
        if self.has_points() {
            VoteType::Cumulative
        } else {
            VoteType::Approval
        }
    }
    /// Category caps: (category, max plans per ballot).
    pub fn caps(&self) -> Vec<(String, usize)> {
        parse_caps(&self.category_caps).unwrap_or_default()
    }
    pub fn rule(&self) -> pb::Rule {
        self.rule.parse().unwrap_or(pb::Rule::Greedy)
    }
    /// The ballot rules of this round for pb's validator.
    pub fn ballot_rules(&self) -> BallotRules {
        let mut r = BallotRules {
            length: Bounds {
                min: Some(self.min_choices.unwrap_or(1).max(1) as usize),
                max: self.max_choices.map(|m| m as usize),
            },
            ..Default::default()
        };
        if self.ballot_kind == "basket" || self.within_budget {
            r.sum_cost = Bounds {
                min: None,
                max: Some(self.budget as u64),
            };
        }
        if self.has_points() {
            r.points = Bounds {
                min: Some(1),
                max: self.points_max_per,
            };
            r.sum_points = Bounds {
                min: None,
                max: self.points_total,
            };
        }
        for (c, max) in self.caps() {
            r.length_per_category.insert(
                c,
                Bounds {
                    min: None,
                    max: Some(max),
                },
            );
        }
        r
    }
}

/// Parse "groen=2" lines. Errors name the line.
pub fn parse_caps(text: &str) -> Result<Vec<(String, usize)>, usize> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (c, n) = line.split_once('=').ok_or(i + 1)?;
        let n: usize = n.trim().parse().map_err(|_| i + 1)?;
        let c = c.trim();
        if c.is_empty() || n == 0 {
            return Err(i + 1);
        }
        out.push((c.to_string(), n));
    }
    Ok(out)
}

pub async fn get_round(db: &Db, tenant_id: i64, id: i64) -> Result<Option<Round>, DbError> {
    let sql = format!(
        "SELECT {ROUND_COLS} FROM bb_rounds r LEFT JOIN areas a ON a.id = r.area_id \
         WHERE r.tenant_id = $1 AND r.id = $2"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(round_from).transpose()
}

pub async fn rounds(db: &Db, tenant_id: i64, public_only: bool) -> Result<Vec<Round>, DbError> {
    let sql = format!(
        "SELECT {ROUND_COLS} FROM bb_rounds r LEFT JOIN areas a ON a.id = r.area_id \
         WHERE r.tenant_id = $1 AND ($2 = 0 OR r.status <> 'concept') ORDER BY r.vote_from DESC, r.id DESC"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .bind(i64::from(public_only))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(round_from).collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub id: i64,
    pub round_id: i64,
    pub user_id: Option<i64>,
    pub author_name: String,
    pub title: String,
    pub description: String,
    pub cost: i64,
    pub area_id: Option<i64>,
    pub area_name: Option<String>,
    pub postcode: String,
    pub category: String,
    pub image_file_id: Option<i64>,
    pub feasible: Option<bool>,
    pub check_reason: String,
    pub municipal_cost: Option<i64>,
    pub on_ballot: bool,
    pub exec_status: String,
    pub external_id: String,
    pub supports: i64,
}

impl Plan {
    /// The cost that counts on the ballot: the municipality's estimate when there is one.
    pub fn ballot_cost(&self) -> i64 {
        self.municipal_cost.unwrap_or(self.cost)
    }
    pub fn check_key(&self) -> &'static str {
        match (self.on_ballot, self.feasible) {
            (true, _) => "buurtbudget.check.on_ballot",
            (false, Some(true)) => "buurtbudget.check.feasible",
            (false, Some(false)) => "buurtbudget.check.not_feasible",
            (false, None) => "buurtbudget.check.unchecked",
        }
    }
}

const PLAN_COLS: &str = "p.id, p.round_id, p.user_id, p.author_name, p.title, p.description, p.cost, \
    p.area_id, a.name AS area_name, p.postcode, p.category, p.image_file_id, p.feasible, p.check_reason, \
    p.municipal_cost, p.on_ballot, p.exec_status, p.external_id, \
    (SELECT COUNT(*) FROM bb_supports s WHERE s.plan_id = p.id) AS supports";

fn plan_from(r: &AnyRow) -> Result<Plan, DbError> {
    let feasible: Option<i64> = r.try_get("feasible")?;
    Ok(Plan {
        id: r.try_get("id")?,
        round_id: r.try_get("round_id")?,
        user_id: r.try_get("user_id")?,
        author_name: r.try_get("author_name")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        cost: r.try_get("cost")?,
        area_id: r.try_get("area_id")?,
        area_name: r.try_get("area_name")?,
        postcode: r.try_get("postcode")?,
        category: r.try_get("category")?,
        image_file_id: r.try_get("image_file_id")?,
        feasible: feasible.map(flag),
        check_reason: r.try_get("check_reason")?,
        municipal_cost: r.try_get("municipal_cost")?,
        on_ballot: flag(r.try_get("on_ballot")?),
        exec_status: r.try_get("exec_status")?,
        external_id: r.try_get("external_id")?,
        supports: r.try_get("supports")?,
    })
}

pub async fn plans(db: &Db, round_id: i64, ballot_only: bool) -> Result<Vec<Plan>, DbError> {
    let sql = format!(
        "SELECT {PLAN_COLS} FROM bb_plans p LEFT JOIN areas a ON a.id = p.area_id \
         WHERE p.round_id = $1 AND ($2 = 0 OR p.on_ballot = 1) ORDER BY p.id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(round_id)
        .bind(i64::from(ballot_only))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(plan_from).collect()
}

pub async fn plan(db: &Db, round_id: i64, id: i64) -> Result<Option<Plan>, DbError> {
    let sql = format!(
        "SELECT {PLAN_COLS} FROM bb_plans p LEFT JOIN areas a ON a.id = p.area_id \
         WHERE p.round_id = $1 AND p.id = $2"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(round_id)
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(plan_from).transpose()
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Update {
    pub exec_status: String,
    pub body: String,
    pub created_at: i64,
}

pub async fn updates(db: &Db, plan_id: i64) -> Result<Vec<Update>, DbError> {
    sqlx::query_as(
        "SELECT exec_status, body, created_at FROM bb_updates WHERE plan_id = $1 ORDER BY id DESC",
    )
    .bind(plan_id)
    .fetch_all(db.pool())
    .await
}

// ---- Codes and ballots -------------------------------------------------------------

/// Vote codes are 16 characters from a 31-letter alphabet (about 79 bits): guessing one is
/// hopeless, so a fast hash (SHA-256) protects them as well as a slow one would, and lets a
/// server check 1,000 votes per second. A slow password hash (argon2, ~50 ms) only helps
/// for low-entropy secrets such as passwords.
pub fn new_code() -> String {
    crate::web::security::paper_code(4)
}

/// Upper-case, without spaces and dashes, so "abcd efgh-..." matches.
pub fn normalise_code(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

pub fn code_hash(code: &str) -> String {
    sha256_hex(format!("meedoen-stemcode:{}", normalise_code(code)).as_bytes())
}

/// A letter reference: printed on the letter, not secret, used by the help desk to revoke.
pub fn new_reference() -> String {
    format!("B{}", crate::web::security::paper_code(2).replace('-', ""))
}

/// Choices as stored: sorted plan ids, "12,15" or with points "12:3,15:2".
pub fn encode_choices(choices: &[(i64, i64)], points: bool) -> String {
    let mut v = choices.to_vec();
    v.sort();
    v.iter()
        .map(|(id, p)| {
            if points {
                format!("{id}:{p}")
            } else {
                id.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

pub fn decode_choices(s: &str) -> Vec<(i64, i64)> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .filter_map(|x| match x.split_once(':') {
            Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
            None => Some((x.parse().ok()?, 1)),
        })
        .collect()
}

pub fn contents_hash(round_id: i64, receipt: &str, choices: &str) -> String {
    sha256_hex(format!("buurtbudget:{round_id}:{receipt}:{choices}").as_bytes())
}

/// The election of a round: the plans on the ballot as projects (id = plan id), and the
/// given ballots (voter id = receipt id).
pub fn election(
    round: &Round,
    tenant_name: &str,
    plans: &[Plan],
    ballots: &[(String, String)],
) -> Election {
    let mut e = Election::new(round.budget as u64, round.vote_type());
    e.set_meta("description", round.title.clone());
    e.set_meta("country", "Netherlands");
    e.set_meta("unit", tenant_name);
    e.set_meta("instance", round.id.to_string());
    e.set_meta("rule", round.rule.clone());
    e.set_meta("language", "nl");
    e.set_meta("currency", "EUR");
    if round.ballot_kind == "basket" || round.within_budget {
        e.set_meta("max_sum_cost", round.budget.to_string());
    }
    if let Some(m) = round.max_choices {
        e.set_meta("max_length", m.to_string());
    }
    if let Some(m) = round.min_choices {
        e.set_meta("min_length", m.to_string());
    }
    if let Some(m) = round.points_total {
        e.set_meta("max_sum_points", m.to_string());
    }
    let mut index = HashMap::new();
    for p in plans {
        let mut pr = Project::new(p.id.to_string(), p.ballot_cost().max(0) as u64, &p.title);
        if !p.category.is_empty() {
            pr = pr.with_category(&p.category);
        }
        index.insert(p.id, e.add_project(pr));
    }
    for (receipt, choices) in ballots {
        let items: Vec<(usize, i64)> = decode_choices(choices)
            .into_iter()
            .filter_map(|(id, pts)| index.get(&id).map(|i| (*i, pts)))
            .collect();
        let b = if round.has_points() {
            Ballot::with_points(receipt.clone(), &items)
        } else {
            let ids: Vec<usize> = items.iter().map(|(i, _)| *i).collect();
            Ballot::approval(receipt.clone(), &ids)
        };
        e.ballots.push(b);
    }
    e
}

pub async fn ballots(db: &Db, round_id: i64) -> Result<Vec<(String, String)>, DbError> {
    sqlx::query_as("SELECT receipt, choices FROM bb_ballots WHERE round_id = $1 ORDER BY receipt")
        .bind(round_id)
        .fetch_all(db.pool())
        .await
}

pub async fn count_ballots(db: &Db, round_id: i64) -> Result<i64, DbError> {
    sqlx::query_scalar("SELECT COUNT(*) FROM bb_ballots WHERE round_id = $1")
        .bind(round_id)
        .fetch_one(db.pool())
        .await
}

/// Codes of a round: (issued, used, revoked).
pub async fn code_counts(db: &Db, round_id: i64) -> Result<(i64, i64, i64), DbError> {
    let r: (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(used), 0) AS BIGINT), CAST(COALESCE(SUM(revoked), 0) AS BIGINT) \
         FROM bb_codes WHERE round_id = $1",
    )
    .bind(round_id)
    .fetch_one(db.pool())
    .await?;
    Ok(r)
}

// ---- Results -------------------------------------------------------------------------

/// The stored result of a round (JSON in `bb_rounds.result_json`).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredResult {
    pub rule: String,
    pub ballots: u64,
    pub budget: i64,
    pub total_cost: i64,
    pub plans: Vec<PlanResult>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanResult {
    pub plan_id: i64,
    pub title: String,
    pub cost: i64,
    pub category: String,
    /// Votes (points for point ballots).
    pub votes: i64,
    pub selected: bool,
    /// 1-based position in the order of selection.
    pub position: Option<usize>,
    /// Why it won or lost.
    pub explanation: Why,
}

/// pb's explanation with amounts in euros (floats only for display).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Why {
    NoSupport,
    GreedySelected {
        budget_left: i64,
    },
    NotEnoughBudgetLeft {
        budget_left: i64,
    },
    MesSelected {
        round: usize,
        payers: usize,
        max_share: f64,
    },
    CompletionSelected {
        budget_left: i64,
    },
    SupportersCannotAfford {
        supporters: usize,
        supporters_money: f64,
    },
    NeitherAffordableNorFits {
        supporters_money: f64,
        budget_left: i64,
    },
}

/// An exact amount (base units, pb's "a/b" text form) as euros for display.
fn rat(s: String, unit: u64) -> f64 {
    let v = match s.split_once('/') {
        Some((a, b)) => a.parse::<f64>().unwrap_or(0.0) / b.parse::<f64>().unwrap_or(1.0),
        None => s.parse::<f64>().unwrap_or(0.0),
    };
    v / unit as f64
}

/// Tally a round's election: the stored result, the certificate (JSON) and the pabulib text.
pub fn tally(e: &Election, rule: pb::Rule, plan_ids: &[i64]) -> (StoredResult, String, String) {
    use pb::Explanation as E;
    let res = pb::run(e, rule, &pb::TieBreak::default());
    let unit = e.unit();
    let eur = |m: u64| (m / unit) as i64;
    let plans = res
        .projects
        .iter()
        .map(|pr| {
            let p = &e.projects[pr.project];
            PlanResult {
                plan_id: plan_ids.get(pr.project).copied().unwrap_or(0),
                title: p.name.clone(),
                cost: eur(p.cost),
                category: p.categories.first().cloned().unwrap_or_default(),
                votes: pr.votes as i64,
                selected: pr.selected,
                position: pr.position.map(|x| x + 1),
                explanation: match &pr.explanation {
                    E::NoSupport => Why::NoSupport,
                    E::GreedySelected { budget_left } => Why::GreedySelected {
                        budget_left: eur(*budget_left),
                    },
                    E::NotEnoughBudgetLeft { budget_left } => Why::NotEnoughBudgetLeft {
                        budget_left: eur(*budget_left),
                    },
                    E::MesSelected {
                        round,
                        payers,
                        max_share,
                    } => Why::MesSelected {
                        round: *round,
                        payers: *payers,
                        max_share: rat(pb::certificate::format_rational(max_share), unit),
                    },
                    E::CompletionSelected { budget_left } => Why::CompletionSelected {
                        budget_left: eur(*budget_left),
                    },
                    E::SupportersCannotAfford {
                        supporters,
                        supporters_money,
                    } => Why::SupportersCannotAfford {
                        supporters: *supporters,
                        supporters_money: rat(
                            pb::certificate::format_rational(supporters_money),
                            unit,
                        ),
                    },
                    E::NeitherAffordableNorFits {
                        supporters_money,
                        budget_left,
                    } => Why::NeitherAffordableNorFits {
                        supporters_money: rat(
                            pb::certificate::format_rational(supporters_money),
                            unit,
                        ),
                        budget_left: eur(*budget_left),
                    },
                },
            }
        })
        .collect();
    let stored = StoredResult {
        rule: rule.as_str().to_string(),
        ballots: e.ballots.len() as u64,
        budget: eur(e.budget),
        total_cost: eur(res.outcome.total_cost),
        plans,
    };
    let cert = serde_json::to_string(&res.certificate).unwrap_or_default();
    (stored, cert, pb::write(e))
}

pub async fn stored_result(db: &Db, round_id: i64) -> Result<Option<StoredResult>, DbError> {
    let s: Option<Option<String>> =
        sqlx::query_scalar("SELECT result_json FROM bb_rounds WHERE id = $1")
            .bind(round_id)
            .fetch_optional(db.pool())
            .await?;
    Ok(s.flatten().and_then(|j| serde_json::from_str(&j).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_normalise_and_hash() {
        let c = new_code();
        assert_eq!(c.len(), 19);
        assert_eq!(
            code_hash(&c),
            code_hash(&c.to_lowercase().replace('-', " "))
        );
        assert_ne!(code_hash(&c), code_hash(&new_code()));
    }

    #[test]
    fn choices_round_trip_and_caps_parse() {
        let s = encode_choices(&[(15, 2), (3, 1)], true);
        assert_eq!(s, "3:1,15:2");
        assert_eq!(decode_choices(&s), vec![(3, 1), (15, 2)]);
        assert_eq!(decode_choices("4,7"), vec![(4, 1), (7, 1)]);
        assert_eq!(
            parse_caps("groen=2\n\nsport = 1").unwrap(),
            vec![("groen".into(), 2), ("sport".into(), 1)]
        );
        assert_eq!(parse_caps("groen=2\nsport").unwrap_err(), 2);
    }
}
