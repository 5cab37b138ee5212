//! The guided step plan: which fields belong to which step, what a trajectory needs before
//! it can be published. Pure logic, used by the staff pages and the tests.

use super::store::{Activity, Phase, Trajectory};

/// A text field of the plan: step, column name (a fixed identifier, safe in SQL), maximum
/// length in characters, multi-line, needed before publishing.
pub struct TextField {
    pub step: u8,
    pub name: &'static str,
    pub max: usize,
    pub multiline: bool,
    pub required: bool,
}

const fn f(step: u8, name: &'static str, max: usize, multiline: bool, required: bool) -> TextField {
    TextField {
        step,
        name,
        max,
        multiline,
        required,
    }
}

pub const TEXT_FIELDS: &[TextField] = &[
    f(1, "title", 200, false, true),
    f(1, "summary", 600, true, true),
    f(1, "goal", 4000, true, true),
    f(1, "subject", 4000, true, false),
    f(2, "influence", 4000, true, true),
    f(2, "frames", 4000, true, true),
    f(3, "target_groups", 4000, true, true),
    f(3, "stakeholders", 4000, true, false),
    f(4, "decision_maker", 300, false, true),
    f(4, "roles", 4000, true, false),
    f(4, "contact", 300, false, true),
    f(8, "outcome_use", 4000, true, true),
    f(8, "feedback_text", 2000, true, true),
    f(8, "initiator", 300, false, false),
    f(8, "application", 2000, true, false),
];

pub const STEPS: u8 = 9;
pub const PHASE_ROWS: usize = 6;
pub const ACTIVITY_ROWS: usize = 6;

/// Forms an activity can take.
pub const FORMS: &[&str] = &[
    "bijeenkomst",
    "online",
    "enquete",
    "werksessie",
    "wijkwandeling",
    "klankbordgroep",
    "burgerberaad",
    "buurtbudget",
    "huisbezoek",
    "anders",
];

pub fn step_key(step: u8) -> &'static str {
    match step {
        1 => "trajecten.step.1",
        2 => "trajecten.step.2",
        3 => "trajecten.step.3",
        4 => "trajecten.step.4",
        5 => "trajecten.step.5",
        6 => "trajecten.step.6",
        7 => "trajecten.step.7",
        8 => "trajecten.step.8",
        _ => "trajecten.step.9",
    }
}

pub fn text_value<'a>(t: &'a Trajectory, name: &str) -> &'a str {
    match name {
        "title" => &t.title,
        "summary" => &t.summary,
        "goal" => &t.goal,
        "subject" => &t.subject,
        "influence" => &t.influence,
        "frames" => &t.frames,
        "target_groups" => &t.target_groups,
        "stakeholders" => &t.stakeholders,
        "decision_maker" => &t.decision_maker,
        "roles" => &t.roles,
        "contact" => &t.contact,
        "outcome_use" => &t.outcome_use,
        "feedback_text" => &t.feedback_text,
        "initiator" => &t.initiator,
        "application" => &t.application,
        _ => "",
    }
}

/// What is still missing before publishing: (step, field name, message key).
pub fn missing(
    t: &Trajectory,
    phases: &[Phase],
    activities: &[Activity],
) -> Vec<(u8, &'static str, &'static str)> {
    let mut out = Vec::new();
    for fld in TEXT_FIELDS.iter().filter(|f| f.required) {
        if text_value(t, fld.name).trim().is_empty() {
            out.push((fld.step, fld.name, "trajecten.missing.field"));
        }
    }
    if t.ladder_position.is_none() {
        out.push((5, "ladder_position", "trajecten.missing.level"));
    }
    if phases.is_empty() {
        out.push((6, "phase1_name", "trajecten.missing.phases"));
    }
    if activities.is_empty() {
        out.push((7, "activity1_title", "trajecten.missing.activities"));
    }
    if t.feedback_on.is_none() {
        out.push((8, "feedback_on", "trajecten.missing.feedback_on"));
    }
    out.sort_by_key(|m| m.0);
    out
}

/// A phase row as typed in the form, before validation.
#[derive(Clone, Debug, Default)]
pub struct PhaseInput {
    pub name: String,
    pub description: String,
    pub starts_on: String,
    pub ends_on: String,
}

impl PhaseInput {
    pub fn is_blank(&self) -> bool {
        self.name.trim().is_empty()
            && self.description.trim().is_empty()
            && self.starts_on.trim().is_empty()
            && self.ends_on.trim().is_empty()
    }
}

/// A phase row error: (field suffix, message key).
pub fn check_phase(p: &PhaseInput) -> Vec<(&'static str, &'static str)> {
    let mut errs = Vec::new();
    if p.is_blank() {
        return errs;
    }
    if p.name.trim().is_empty() {
        errs.push(("name", "kern.validation.required"));
    } else if p.name.chars().count() > 120 {
        errs.push(("name", "trajecten.validation.too_long_120"));
    }
    if p.description.chars().count() > 1000 {
        errs.push(("description", "trajecten.validation.too_long_1000"));
    }
    let s = crate::web::form::parse_date(p.starts_on.trim());
    let e = crate::web::form::parse_date(p.ends_on.trim());
    if s.is_none() {
        errs.push(("starts_on", "kern.validation.date"));
    }
    if e.is_none() {
        errs.push(("ends_on", "kern.validation.date"));
    }
    if let (Some(s), Some(e)) = (s, e)
        && e < s
    {
        errs.push(("ends_on", "trajecten.validation.end_before_start"));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_rules() {
        assert!(check_phase(&PhaseInput::default()).is_empty());
        let p = PhaseInput {
            name: "Ophalen".into(),
            starts_on: "2026-03-01".into(),
            ends_on: "2026-02-01".into(),
            ..Default::default()
        };
        assert_eq!(
            check_phase(&p),
            vec![("ends_on", "trajecten.validation.end_before_start")]
        );
        let p = PhaseInput {
            name: "".into(),
            starts_on: "1 maart".into(),
            ends_on: "2026-02-01".into(),
            ..Default::default()
        };
        let errs = check_phase(&p);
        assert!(errs.contains(&("name", "kern.validation.required")));
        assert!(errs.contains(&("starts_on", "kern.validation.date")));
    }

    #[test]
    fn every_step_field_is_readable() {
        for f in TEXT_FIELDS {
            assert!(f.step >= 1 && f.step < STEPS);
            // text_value must know every field, or publishing checks would be wrong.
            assert!(
                [
                    "title",
                    "summary",
                    "goal",
                    "subject",
                    "influence",
                    "frames",
                    "target_groups",
                    "stakeholders",
                    "decision_maker",
                    "roles",
                    "contact",
                    "outcome_use",
                    "feedback_text",
                    "initiator",
                    "application"
                ]
                .contains(&f.name)
            );
        }
    }
}
