//! Storage of trajectories, phases, activities and reactions. Portable SQL (see `crate::db`).

use crate::db::{Db, DbError, Tx, flag};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

/// Where a trajectory is, as residents see it. Derived from status and phase dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Concept,
    Binnenkort,
    Loopt,
    Verwerking,
    Afgerond,
}

impl Stage {
    pub const PUBLIC: [Stage; 4] = [
        Stage::Binnenkort,
        Stage::Loopt,
        Stage::Verwerking,
        Stage::Afgerond,
    ];
    pub fn key(self) -> &'static str {
        match self {
            Stage::Concept => "concept",
            Stage::Binnenkort => "binnenkort",
            Stage::Loopt => "loopt",
            Stage::Verwerking => "verwerking",
            Stage::Afgerond => "afgerond",
        }
    }
    pub fn label_key(self) -> &'static str {
        match self {
            Stage::Concept => "trajecten.stage.concept",
            Stage::Binnenkort => "trajecten.stage.binnenkort",
            Stage::Loopt => "trajecten.stage.loopt",
            Stage::Verwerking => "trajecten.stage.verwerking",
            Stage::Afgerond => "trajecten.stage.afgerond",
        }
    }
    pub fn parse(s: &str) -> Option<Stage> {
        Stage::PUBLIC.into_iter().find(|st| st.key() == s)
    }
    /// The stage of a trajectory with this status and these dates on `today` (ISO dates).
    pub fn of(status: &str, starts_on: Option<&str>, ends_on: Option<&str>, today: &str) -> Stage {
        match status {
            "concept" => Stage::Concept,
            "gesloten" => Stage::Afgerond,
            _ => match (starts_on, ends_on) {
                (Some(s), _) if today < s => Stage::Binnenkort,
                (_, Some(e)) if today > e => Stage::Verwerking,
                _ => Stage::Loopt,
            },
        }
    }
    /// SQL condition (on table alias `t`) selecting this stage; `$today` is the given
    /// placeholder number.
    pub fn sql(self, today: usize) -> String {
        match self {
            Stage::Concept => "t.status = 'concept'".into(),
            Stage::Afgerond => "t.status = 'gesloten'".into(),
            Stage::Binnenkort => {
                format!(
                    "t.status = 'gepubliceerd' AND t.starts_on IS NOT NULL AND t.starts_on > ${today}"
                )
            }
            Stage::Verwerking => format!(
                "t.status = 'gepubliceerd' AND (t.starts_on IS NULL OR t.starts_on <= ${today}) \
                 AND t.ends_on IS NOT NULL AND t.ends_on < ${today}"
            ),
            Stage::Loopt => format!(
                "t.status = 'gepubliceerd' AND (t.starts_on IS NULL OR t.starts_on <= ${today}) \
                 AND (t.ends_on IS NULL OR t.ends_on >= ${today})"
            ),
        }
    }
}

pub fn today() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(3600).expect("offset"))
        .date_naive()
        .to_string()
}

#[derive(Clone, Debug, Serialize)]
pub struct Trajectory {
    pub id: i64,
    pub tenant_id: i64,
    pub status: String,
    pub title: String,
    pub summary: String,
    pub goal: String,
    pub subject: String,
    pub area_id: Option<i64>,
    pub area_name: Option<String>,
    pub topic_id: Option<i64>,
    pub topic_name: Option<String>,
    pub influence: String,
    pub frames: String,
    pub target_groups: String,
    pub stakeholders: String,
    pub decision_maker: String,
    pub roles: String,
    pub contact: String,
    pub ladder_position: Option<i64>,
    pub outcome_use: String,
    pub feedback_text: String,
    pub feedback_on: Option<String>,
    pub reactions_open: bool,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub initiator: String,
    pub application: String,
    pub guide_answers: String,
    pub conclusion: String,
    pub lessons: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
    pub closed_at: Option<i64>,
}

pub const COLUMNS: &str = "t.id, t.tenant_id, t.status, t.title, t.summary, t.goal, t.subject, \
    t.area_id, a.name AS area_name, t.topic_id, tp.name AS topic_name, t.influence, t.frames, \
    t.target_groups, t.stakeholders, t.decision_maker, t.roles, t.contact, t.ladder_position, \
    t.outcome_use, t.feedback_text, t.feedback_on, t.reactions_open, t.starts_on, t.ends_on, \
    t.initiator, t.application, t.guide_answers, t.conclusion, t.lessons, t.created_at, \
    t.updated_at, t.published_at, t.closed_at";

pub const FROM: &str = "FROM trajectories t LEFT JOIN areas a ON a.id = t.area_id \
    LEFT JOIN topics tp ON tp.id = t.topic_id";

impl Trajectory {
    pub fn from_row(r: &AnyRow) -> Result<Trajectory, DbError> {
        Ok(Trajectory {
            id: r.try_get("id")?,
            tenant_id: r.try_get("tenant_id")?,
            status: r.try_get("status")?,
            title: r.try_get("title")?,
            summary: r.try_get("summary")?,
            goal: r.try_get("goal")?,
            subject: r.try_get("subject")?,
            area_id: r.try_get("area_id")?,
            area_name: r.try_get("area_name")?,
            topic_id: r.try_get("topic_id")?,
            topic_name: r.try_get("topic_name")?,
            influence: r.try_get("influence")?,
            frames: r.try_get("frames")?,
            target_groups: r.try_get("target_groups")?,
            stakeholders: r.try_get("stakeholders")?,
            decision_maker: r.try_get("decision_maker")?,
            roles: r.try_get("roles")?,
            contact: r.try_get("contact")?,
            ladder_position: r.try_get("ladder_position")?,
            outcome_use: r.try_get("outcome_use")?,
            feedback_text: r.try_get("feedback_text")?,
            feedback_on: r.try_get("feedback_on")?,
            reactions_open: flag(r.try_get("reactions_open")?),
            starts_on: r.try_get("starts_on")?,
            ends_on: r.try_get("ends_on")?,
            initiator: r.try_get("initiator")?,
            application: r.try_get("application")?,
            guide_answers: r.try_get("guide_answers")?,
            conclusion: r.try_get("conclusion")?,
            lessons: r.try_get("lessons")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            published_at: r.try_get("published_at")?,
            closed_at: r.try_get("closed_at")?,
        })
    }

    pub fn stage(&self) -> Stage {
        Stage::of(
            &self.status,
            self.starts_on.as_deref(),
            self.ends_on.as_deref(),
            &today(),
        )
    }

    pub fn is_public(&self) -> bool {
        self.status != "concept"
    }

    /// Reactions can be given while published, open for reactions and not past the last phase.
    pub fn accepts_reactions(&self) -> bool {
        self.status == "gepubliceerd"
            && self.reactions_open
            && matches!(self.stage(), Stage::Loopt | Stage::Binnenkort)
    }
}

pub async fn get(db: &Db, tenant_id: i64, id: i64) -> Result<Option<Trajectory>, DbError> {
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE t.id = $1 AND t.tenant_id = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(tenant_id)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| Trajectory::from_row(&r)).transpose()
}

#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub area: Option<i64>,
    pub topic: Option<i64>,
    pub stage: Option<Stage>,
    pub include_drafts: bool,
}

/// A page of trajectories matching the filter, newest start first, and the total count.
/// An area filter matches the area itself and its buurten.
pub async fn list(
    db: &Db,
    tenant_id: i64,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Trajectory>, i64), DbError> {
    // Placeholders are numbered as conditions are added, so that each query binds exactly
    // the parameters it uses (PostgreSQL must know every parameter's type).
    let mut cond = vec!["t.tenant_id = $1".to_string()];
    let mut ints: Vec<i64> = Vec::new();
    let mut n = 1;
    if !f.include_drafts {
        cond.push("t.status <> 'concept'".into());
    }
    if let Some(area) = f.area {
        n += 1;
        cond.push(format!(
            "(t.area_id = ${n} OR t.area_id IN (SELECT id FROM areas WHERE parent_id = ${n}))"
        ));
        ints.push(area);
    }
    if let Some(topic) = f.topic {
        n += 1;
        cond.push(format!("t.topic_id = ${n}"));
        ints.push(topic);
    }
    let today = today();
    let today_param = f.stage.map(|st| {
        n += 1;
        cond.push(st.sql(n));
        today.clone()
    });
    let where_ = cond.join(" AND ");
    let count_sql = format!("SELECT COUNT(*) FROM trajectories t WHERE {where_}");
    let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql)).bind(tenant_id);
    for i in &ints {
        q = q.bind(*i);
    }
    if let Some(d) = &today_param {
        q = q.bind(d.clone());
    }
    let total: i64 = q.fetch_one(db.pool()).await?;
    let sql = format!(
        "SELECT {COLUMNS} {FROM} WHERE {where_} \
         ORDER BY CASE t.status WHEN 'gesloten' THEN 1 ELSE 0 END, t.starts_on DESC, t.id DESC \
         LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant_id);
    for i in &ints {
        q = q.bind(*i);
    }
    if let Some(d) = &today_param {
        q = q.bind(d.clone());
    }
    let rows = q.bind(limit).bind(offset).fetch_all(db.pool()).await?;
    let items = rows
        .iter()
        .map(Trajectory::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((items, total))
}

#[derive(Clone, Debug, Serialize)]
pub struct Phase {
    pub id: i64,
    pub position: i64,
    pub name: String,
    pub description: String,
    pub starts_on: String,
    pub ends_on: String,
}

pub async fn phases(db: &Db, trajectory_id: i64) -> Result<Vec<Phase>, DbError> {
    let rows = sqlx::query(
        "SELECT id, position, name, description, starts_on, ends_on FROM trajectory_phases \
         WHERE trajectory_id = $1 ORDER BY position",
    )
    .bind(trajectory_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Phase {
                id: r.try_get("id")?,
                position: r.try_get("position")?,
                name: r.try_get("name")?,
                description: r.try_get("description")?,
                starts_on: r.try_get("starts_on")?,
                ends_on: r.try_get("ends_on")?,
            })
        })
        .collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct Activity {
    pub id: i64,
    pub position: i64,
    pub title: String,
    pub form: String,
    pub description: String,
    pub held_on: Option<String>,
    pub place: String,
}

pub async fn activities(db: &Db, trajectory_id: i64) -> Result<Vec<Activity>, DbError> {
    let rows = sqlx::query(
        "SELECT id, position, title, form, description, held_on, place FROM trajectory_activities \
         WHERE trajectory_id = $1 ORDER BY position",
    )
    .bind(trajectory_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Activity {
                id: r.try_get("id")?,
                position: r.try_get("position")?,
                title: r.try_get("title")?,
                form: r.try_get("form")?,
                description: r.try_get("description")?,
                held_on: r.try_get("held_on")?,
                place: r.try_get("place")?,
            })
        })
        .collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct Reaction {
    pub id: i64,
    pub activity_id: Option<i64>,
    pub activity_title: Option<String>,
    pub user_id: Option<i64>,
    pub author_name: String,
    pub body: String,
    pub created_at: i64,
    pub status: String,
    pub response: String,
    pub processed_at: Option<i64>,
    pub hidden: bool,
    /// Why a moderator hid the reaction (shown in its place on the public page).
    pub hidden_reason: String,
}

impl Reaction {
    pub fn status_key(&self) -> &'static str {
        status_key(&self.status)
    }
}

pub fn status_key(s: &str) -> &'static str {
    match s {
        "overgenomen" => "trajecten.reaction.status.overgenomen",
        "deels" => "trajecten.reaction.status.deels",
        "niet" => "trajecten.reaction.status.niet",
        _ => "trajecten.reaction.status.open",
    }
}

pub const REACTION_STATUSES: [&str; 3] = ["overgenomen", "deels", "niet"];

pub async fn reactions(
    db: &Db,
    trajectory_id: i64,
    include_hidden: bool,
) -> Result<Vec<Reaction>, DbError> {
    let sql = format!(
        "SELECT r.id, r.activity_id, ac.title AS activity_title, r.user_id, r.author_name, r.body, \
         r.created_at, r.status, r.response, r.processed_at, r.hidden, r.hidden_reason \
         FROM reactions r LEFT JOIN trajectory_activities ac ON ac.id = r.activity_id \
         WHERE r.trajectory_id = $1 {} ORDER BY r.created_at, r.id",
        if include_hidden {
            ""
        } else {
            "AND r.hidden = 0"
        }
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(trajectory_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Reaction {
                id: r.try_get("id")?,
                activity_id: r.try_get("activity_id")?,
                activity_title: r.try_get("activity_title")?,
                user_id: r.try_get("user_id")?,
                author_name: r.try_get("author_name")?,
                body: r.try_get("body")?,
                created_at: r.try_get("created_at")?,
                status: r.try_get("status")?,
                response: r.try_get("response")?,
                processed_at: r.try_get("processed_at")?,
                hidden: flag(r.try_get("hidden")?),
                hidden_reason: r.try_get("hidden_reason")?,
            })
        })
        .collect()
}

/// Counts of reactions per processing status: (total, open, overgenomen, deels, niet).
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Tally {
    pub total: i64,
    pub open: i64,
    pub overgenomen: i64,
    pub deels: i64,
    pub niet: i64,
}

pub fn tally(rs: &[Reaction]) -> Tally {
    let mut t = Tally::default();
    for r in rs.iter().filter(|r| !r.hidden) {
        t.total += 1;
        match r.status.as_str() {
            "overgenomen" => t.overgenomen += 1,
            "deels" => t.deels += 1,
            "niet" => t.niet += 1,
            _ => t.open += 1,
        }
    }
    t
}

/// Recompute the trajectory's overall start and end from its phases.
pub async fn refresh_dates(tx: &mut Tx, trajectory_id: i64) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE trajectories SET \
         starts_on = (SELECT MIN(starts_on) FROM trajectory_phases WHERE trajectory_id = $1), \
         ends_on = (SELECT MAX(ends_on) FROM trajectory_phases WHERE trajectory_id = $1) \
         WHERE id = $1",
    )
    .bind(trajectory_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Published or closed trajectories per wijk (a buurt counts for its wijk).
pub async fn counts_per_area(
    db: &Db,
    tenant_id: i64,
) -> Result<std::collections::HashMap<i64, i64>, DbError> {
    let rows = sqlx::query(
        "SELECT COALESCE(CASE WHEN a.kind = 'buurt' THEN a.parent_id ELSE a.id END, 0) AS wijk, \
         COUNT(*) AS n FROM trajectories t JOIN areas a ON a.id = t.area_id \
         WHERE t.tenant_id = $1 AND t.status <> 'concept' \
         GROUP BY COALESCE(CASE WHEN a.kind = 'buurt' THEN a.parent_id ELSE a.id END, 0)",
    )
    .bind(tenant_id)
    .fetch_all(db.pool())
    .await?;
    let mut m = std::collections::HashMap::new();
    for r in rows {
        m.insert(r.try_get::<i64, _>("wijk")?, r.try_get::<i64, _>("n")?);
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_from_dates() {
        let s = |st, a: Option<&str>, b: Option<&str>| Stage::of(st, a, b, "2026-05-10");
        assert_eq!(s("concept", None, None), Stage::Concept);
        assert_eq!(
            s("gepubliceerd", Some("2026-06-01"), Some("2026-07-01")),
            Stage::Binnenkort
        );
        assert_eq!(
            s("gepubliceerd", Some("2026-05-10"), Some("2026-05-10")),
            Stage::Loopt
        );
        assert_eq!(
            s("gepubliceerd", Some("2026-01-01"), Some("2026-05-09")),
            Stage::Verwerking
        );
        assert_eq!(
            s("gesloten", Some("2026-01-01"), Some("2026-12-01")),
            Stage::Afgerond
        );
        assert_eq!(s("gepubliceerd", None, None), Stage::Loopt);
    }
}
