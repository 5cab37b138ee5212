//! The participatiegids: a short guided questionnaire about a decision, its impact and its
//! target groups, that recommends a level on the participation ladder and suitable forms,
//! and says why. Pure domain logic: no web or database code.
//!
//! The reasoning follows the common Dutch guidance (the "participatieladder" of Arnstein and
//! Edelenbos, and the VNG "Participatiewijzer"): the room for influence sets the highest
//! level that can be honest; impact, local knowledge and divided opinions argue for more
//! involvement; little time argues against co-production; hard-to-reach groups need forms
//! that go to them instead of waiting for them.

use serde::{Deserialize, Serialize};

/// The five standard levels. A municipality's own ladder is mapped onto these by position.
pub const STANDARD_LEVELS: usize = 5;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answers {
    /// How much can still change? `geen`, `kaders`, `veel`, `beslissen`.
    pub room: String,
    /// Impact on daily life: `klein`, `middel`, `groot`.
    pub impact: String,
    /// Who is affected: `straat`, `wijk`, `stad`.
    pub reach: String,
    /// Do residents hold knowledge the plan needs? `nee`, `deels`, `ja`.
    pub knowledge: String,
    /// Are opinions divided? `nee`, `ja`.
    pub divided: String,
    /// Time for participation: `weken`, `maanden`, `lang`.
    pub time: String,
    /// Groups that need extra effort: `jongeren`, `ouderen`, `anderstaligen`, `beperking`, `ondernemers`.
    pub groups: Vec<String>,
}

pub const ROOM: &[&str] = &["geen", "kaders", "veel", "beslissen"];
pub const IMPACT: &[&str] = &["klein", "middel", "groot"];
pub const REACH: &[&str] = &["straat", "wijk", "stad"];
pub const KNOWLEDGE: &[&str] = &["nee", "deels", "ja"];
pub const DIVIDED: &[&str] = &["nee", "ja"];
pub const TIME: &[&str] = &["weken", "maanden", "lang"];
pub const GROUPS: &[&str] = &[
    "jongeren",
    "ouderen",
    "anderstaligen",
    "beperking",
    "ondernemers",
];

/// A recommendation: a standard level (1 = informeren … 5 = meebeslissen), forms, and the
/// reasons as message keys (in the order they were applied).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advice {
    pub level: usize,
    pub forms: Vec<&'static str>,
    pub reasons: Vec<&'static str>,
}

/// Recommend a level and forms. Unknown or missing answers count as the most cautious one.
pub fn recommend(a: &Answers) -> Advice {
    let mut reasons = Vec::new();
    // The room for influence caps what can honestly be offered.
    let (mut level, cap) = match a.room.as_str() {
        "beslissen" => {
            reasons.push("trajecten.gids.reason.room_decide");
            (5, 5)
        }
        "veel" => {
            reasons.push("trajecten.gids.reason.room_much");
            (4, 4)
        }
        "kaders" => {
            reasons.push("trajecten.gids.reason.room_frames");
            (2, 3)
        }
        _ => {
            reasons.push("trajecten.gids.reason.room_none");
            (1, 1)
        }
    };
    if level < cap && (a.impact == "groot" || a.knowledge == "ja") {
        level += 1;
        reasons.push("trajecten.gids.reason.impact_or_knowledge");
    }
    if level >= 4 && a.time == "weken" {
        level = 3;
        reasons.push("trajecten.gids.reason.short_time");
    }
    if a.divided == "ja" && level >= 2 {
        reasons.push("trajecten.gids.reason.divided");
    }

    let mut forms: Vec<&'static str> = Vec::new();
    let push = |f: &'static str, forms: &mut Vec<&'static str>| {
        if !forms.contains(&f) {
            forms.push(f);
        }
    };
    push("trajecten.gids.form.information", &mut forms);
    match level {
        1 => {}
        2 => {
            push("trajecten.gids.form.online_reactions", &mut forms);
            push("trajecten.gids.form.survey", &mut forms);
        }
        3 => {
            push("trajecten.gids.form.online_reactions", &mut forms);
            push("trajecten.gids.form.workshop", &mut forms);
            if a.reach == "stad" {
                push("trajecten.gids.form.panel", &mut forms);
            } else {
                push("trajecten.gids.form.sounding_board", &mut forms);
            }
        }
        4 => {
            push("trajecten.gids.form.design_sessions", &mut forms);
            push("trajecten.gids.form.sounding_board", &mut forms);
        }
        _ => {
            if a.reach == "stad" {
                push("trajecten.gids.form.assembly", &mut forms);
            } else {
                push("trajecten.gids.form.neighbourhood_budget", &mut forms);
            }
        }
    }
    if a.divided == "ja" && level >= 2 {
        push("trajecten.gids.form.dialogue", &mut forms);
    }
    if a.reach == "straat" && level >= 2 {
        push("trajecten.gids.form.door_to_door", &mut forms);
    }
    for g in &a.groups {
        let f = match g.as_str() {
            "jongeren" => "trajecten.gids.form.youth",
            "ouderen" => "trajecten.gids.form.elderly",
            "anderstaligen" => "trajecten.gids.form.key_figures",
            "beperking" => "trajecten.gids.form.accessible",
            "ondernemers" => "trajecten.gids.form.entrepreneurs",
            _ => continue,
        };
        push(f, &mut forms);
    }
    if !a.groups.is_empty() {
        reasons.push("trajecten.gids.reason.groups");
    }
    Advice {
        level,
        forms,
        reasons,
    }
}

/// Map a standard level (1..=5) onto a municipality's ladder of `ladder_len` steps
/// (position 1..=ladder_len), keeping the relative height.
pub fn ladder_position(level: usize, ladder_len: usize) -> usize {
    if ladder_len == 0 {
        return 0;
    }
    let level = level.clamp(1, STANDARD_LEVELS);
    // Round half up: (level-1)/(5-1) of the way up the ladder.
    let scaled =
        ((level - 1) * (ladder_len - 1) * 2 + (STANDARD_LEVELS - 1)) / (2 * (STANDARD_LEVELS - 1));
    scaled + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(room: &str, impact: &str, time: &str) -> Answers {
        Answers {
            room: room.into(),
            impact: impact.into(),
            reach: "wijk".into(),
            knowledge: "nee".into(),
            divided: "nee".into(),
            time: time.into(),
            groups: vec![],
        }
    }

    #[test]
    fn no_room_means_informing_only() {
        let a = recommend(&answers("geen", "groot", "lang"));
        assert_eq!(a.level, 1);
        assert_eq!(a.forms, vec!["trajecten.gids.form.information"]);
        assert_eq!(a.reasons, vec!["trajecten.gids.reason.room_none"]);
    }

    #[test]
    fn frames_with_big_impact_means_advice() {
        let a = recommend(&answers("kaders", "groot", "maanden"));
        assert_eq!(a.level, 3);
        assert!(a.forms.contains(&"trajecten.gids.form.workshop"));
        assert!(
            a.reasons
                .contains(&"trajecten.gids.reason.impact_or_knowledge")
        );
    }

    #[test]
    fn frames_with_small_impact_means_consulting() {
        assert_eq!(recommend(&answers("kaders", "klein", "maanden")).level, 2);
    }

    #[test]
    fn short_time_prevents_coproduction() {
        let a = recommend(&answers("veel", "groot", "weken"));
        assert_eq!(a.level, 3);
        assert!(a.reasons.contains(&"trajecten.gids.reason.short_time"));
        assert_eq!(recommend(&answers("veel", "klein", "lang")).level, 4);
    }

    #[test]
    fn residents_decide_citywide_suggests_an_assembly() {
        let mut ans = answers("beslissen", "groot", "lang");
        ans.reach = "stad".into();
        let a = recommend(&ans);
        assert_eq!(a.level, 5);
        assert!(a.forms.contains(&"trajecten.gids.form.assembly"));
        ans.reach = "wijk".into();
        assert!(
            recommend(&ans)
                .forms
                .contains(&"trajecten.gids.form.neighbourhood_budget")
        );
    }

    #[test]
    fn hard_to_reach_groups_get_their_own_forms() {
        let mut ans = answers("kaders", "klein", "maanden");
        ans.groups = vec!["jongeren".into(), "anderstaligen".into(), "onzin".into()];
        let a = recommend(&ans);
        assert!(a.forms.contains(&"trajecten.gids.form.youth"));
        assert!(a.forms.contains(&"trajecten.gids.form.key_figures"));
        assert!(a.reasons.contains(&"trajecten.gids.reason.groups"));
    }

    #[test]
    fn never_above_the_room_for_influence() {
        for room in ROOM {
            for impact in IMPACT {
                for time in TIME {
                    for knowledge in KNOWLEDGE {
                        let mut a = answers(room, impact, time);
                        a.knowledge = knowledge.to_string();
                        let cap = match *room {
                            "geen" => 1,
                            "kaders" => 3,
                            "veel" => 4,
                            _ => 5,
                        };
                        let adv = recommend(&a);
                        assert!(adv.level >= 1 && adv.level <= cap, "{a:?} -> {}", adv.level);
                        let mut forms = adv.forms.clone();
                        forms.dedup();
                        assert_eq!(forms.len(), adv.forms.len());
                    }
                }
            }
        }
    }

    #[test]
    fn ladder_mapping_keeps_relative_height() {
        assert_eq!(ladder_position(1, 5), 1);
        assert_eq!(ladder_position(3, 5), 3);
        assert_eq!(ladder_position(5, 5), 5);
        assert_eq!(ladder_position(5, 7), 7);
        assert_eq!(ladder_position(1, 7), 1);
        assert_eq!(ladder_position(3, 7), 4);
        assert_eq!(ladder_position(2, 3), 2);
        assert_eq!(ladder_position(4, 3), 3);
        assert_eq!(ladder_position(3, 0), 0);
    }
}
