//! Demo trajectories in every stage for each demo municipality, dated relative to today so
//! that the demo always shows something running, something coming, something being
//! processed and something finished (with its reports).

use crate::db::now;
use crate::modules::kern::demo::demo_email;
use crate::web::AppState;
use chrono::{Duration, NaiveDate};

struct Spec {
    title: &'static str,
    summary: &'static str,
    goal: &'static str,
    influence: &'static str,
    frames: &'static str,
    target_groups: &'static str,
    stakeholders: &'static str,
    topic: &'static str,
    /// Index into the municipality's wijken sorted by name.
    wijk: usize,
    ladder: i64,
    /// Phase offsets in days from today: (name, start, end).
    phases: &'static [(&'static str, i64, i64)],
    activities: &'static [(&'static str, &'static str, i64, &'static str)],
    status: &'static str,
    /// Reactions: (author local part, text, processing status, response).
    reactions: &'static [(&'static str, &'static str, &'static str, &'static str)],
    initiator: &'static str,
    application: &'static str,
    conclusion: &'static str,
    lessons: &'static str,
}

const OUTCOME: &str = "De gemeente verzamelt alle reacties en weegt ze mee in het ontwerp. In het verslag staat bij elke reactie wat we ermee hebben gedaan en waarom. Het college besluit daarna over het definitieve plan.";
const FEEDBACK: &str = "U krijgt binnen zes weken na het einde van de inspraak bericht over wat er met uw reactie is gedaan. Het verslag staat ook op deze pagina.";

const SPECS: &[Spec] = &[
    Spec {
        title: "Een groener en veiliger plein",
        summary: "We richten het plein opnieuw in: meer groen, veilige oversteekplekken en plek om te spelen. Denk mee over wat er moet komen.",
        goal: "Het plein is nu vooral een parkeerplaats. We willen een plein waar mensen elkaar ontmoeten, kinderen veilig kunnen spelen en regenwater de grond in kan.",
        influence: "U kunt meepraten over de indeling van het plein, de soort bomen en planten, en de plek van banken en speeltoestellen.",
        frames: "Het budget is 850.000 euro. De bus blijft over het plein rijden. Er blijven minstens 20 parkeerplaatsen voor vergunninghouders.",
        target_groups: "Bewoners van de wijk, ouders met jonge kinderen, ondernemers aan het plein, jongeren.",
        stakeholders: "Winkeliersvereniging, wijkraad, vervoerder, basisschool De Plataan.",
        topic: "groen",
        wijk: 2,
        ladder: 3,
        phases: &[
            ("Ideeën ophalen", -20, 25),
            ("Ontwerp uitwerken", 26, 80),
            ("Besluit college", 81, 110),
        ],
        activities: &[
            (
                "Inloopavond in het buurthuis",
                "bijeenkomst",
                10,
                "Buurthuis De Brug",
            ),
            ("Online reageren op de schetsen", "online", -5, ""),
            (
                "Wandeling over het plein",
                "wijkwandeling",
                -12,
                "Bij de fontein",
            ),
        ],
        status: "gepubliceerd",
        reactions: &[
            (
                "inwoner",
                "Graag meer bankjes in de schaduw, voor ouderen die hier boodschappen doen.",
                "overgenomen",
                "Goed idee. In het ontwerp komen zes extra bankjes onder de bomen aan de zuidkant.",
            ),
            (
                "inwoner2",
                "De oversteek bij de bakker is gevaarlijk. Kan daar een zebrapad komen?",
                "open",
                "",
            ),
            (
                "inwoner",
                "Zorg dat het plein 's avonds goed verlicht is.",
                "open",
                "",
            ),
        ],
        initiator: "",
        application: "",
        conclusion: "",
        lessons: "",
    },
    Spec {
        title: "Nieuwe speelplekken in de wijk",
        summary: "Welke speelplekken heeft de wijk nodig? Kinderen en ouders ontwerpen mee.",
        goal: "Meer en betere speelplekken, ook voor kinderen met een beperking.",
        influence: "Kinderen en ouders kiezen de plekken en de speeltoestellen uit drie ontwerpen.",
        frames: "Budget 200.000 euro; speeltoestellen moeten voldoen aan het Warenwetbesluit attractie- en speeltoestellen.",
        target_groups: "Kinderen van 4 tot 12 jaar, ouders, kinderen met een beperking.",
        stakeholders: "Scholen, speeltuinvereniging, kinderopvang.",
        topic: "spelen",
        wijk: 5,
        ladder: 4,
        phases: &[("Ontwerpen met kinderen", 30, 75), ("Kiezen", 76, 100)],
        activities: &[
            (
                "Ontwerpmiddag op school",
                "werksessie",
                35,
                "Basisschool De Zonnewijzer",
            ),
            ("Stemmen op een ontwerp", "online", 80, ""),
        ],
        status: "gepubliceerd",
        reactions: &[],
        initiator: "",
        application: "",
        conclusion: "",
        lessons: "",
    },
    Spec {
        title: "Parkeren in de binnenstad",
        summary: "De gemeente wil het parkeren in de binnenstad anders regelen. We vroegen bewoners en ondernemers om hun mening.",
        goal: "Minder zoekverkeer en meer ruimte voor fietsers en voetgangers, zonder dat bewoners hun auto nergens kwijt kunnen.",
        influence: "Bewoners en ondernemers geven advies over de tarieven, de venstertijden voor bevoorrading en de plek van een buurtgarage.",
        frames: "De raad heeft besloten dat het aantal parkeerplaatsen op straat met 30 procent daalt.",
        target_groups: "Bewoners met een parkeervergunning, ondernemers, bezoekers.",
        stakeholders: "Ondernemersvereniging Binnenstad, Fietsersbond, bewonersvereniging.",
        topic: "verkeer",
        wijk: 0,
        ladder: 2,
        phases: &[("Enquête en gesprekken", -70, -30), ("Verwerken", -29, -10)],
        activities: &[
            ("Enquête onder bewoners", "enquete", -60, ""),
            ("Gesprek met ondernemers", "bijeenkomst", -45, "Stadhuis"),
        ],
        status: "gepubliceerd",
        reactions: &[
            (
                "inwoner",
                "Maak een bewonersgarage aan de rand van de binnenstad.",
                "deels",
                "We onderzoeken twee locaties. Een garage bij het station past niet in het budget.",
            ),
            (
                "inwoner2",
                "Laat bevoorrading alleen 's ochtends toe.",
                "overgenomen",
                "De venstertijd wordt 07.00 tot 11.00 uur.",
            ),
            (
                "inwoner",
                "Geen hogere tarieven voor bewoners.",
                "niet",
                "De raad heeft de tarieven voor 2027 al vastgesteld; die vallen buiten dit traject.",
            ),
            (
                "inwoner2",
                "Meer fietsparkeerplekken bij de Grote Markt.",
                "open",
                "",
            ),
        ],
        initiator: "",
        application: "",
        conclusion: "",
        lessons: "",
    },
    Spec {
        title: "Woningbouw op het oude sportpark",
        summary: "Een woningcorporatie wil op het oude sportpark 120 woningen bouwen. Omwonenden praatten mee over het plan.",
        goal: "Betaalbare woningen bouwen met een groen hart dat ook voor de buurt is.",
        influence: "Omwonenden adviseerden over de hoogte van de gebouwen aan de randen, de ligging van het park en de verkeersontsluiting.",
        frames: "Minstens 40 procent sociale huur. De maximale bouwhoogte is vijf lagen. Het plan past in het omgevingsplan.",
        target_groups: "Omwonenden, toekomstige bewoners, sportclubs die verhuisd zijn.",
        stakeholders: "Woningcorporatie, wijkraad, Hoogheemraadschap, natuurvereniging.",
        topic: "wonen",
        wijk: 3,
        ladder: 3,
        phases: &[
            ("Kennismaken en ophalen", -200, -150),
            ("Ontwerpateliers", -149, -90),
            ("Terugkoppeling", -89, -60),
        ],
        activities: &[
            ("Informatieavond", "bijeenkomst", -190, "Sportkantine"),
            (
                "Ontwerpatelier 1: het park",
                "werksessie",
                -140,
                "Wijkcentrum",
            ),
            (
                "Ontwerpatelier 2: de randen",
                "werksessie",
                -110,
                "Wijkcentrum",
            ),
            ("Online reageren op het schetsontwerp", "online", -95, ""),
        ],
        status: "gesloten",
        reactions: &[
            (
                "inwoner",
                "Maak de gebouwen aan de kant van de bestaande rijtjeshuizen lager.",
                "overgenomen",
                "De randbebouwing aan de oostkant is verlaagd naar drie lagen.",
            ),
            (
                "inwoner2",
                "Houd de oude bomen langs het fietspad.",
                "overgenomen",
                "Alle 14 bomen langs het fietspad blijven staan.",
            ),
            (
                "inwoner",
                "Geen doorgaande autoweg door de nieuwe wijk.",
                "deels",
                "Er komt geen doorgaande route; wel een nood- en bevoorradingsroute.",
            ),
            (
                "inwoner2",
                "Bouw alleen koopwoningen.",
                "niet",
                "Het aandeel sociale huur is een vast kader van de gemeenteraad.",
            ),
        ],
        initiator: "Woonstichting Spaarnestad (demo)",
        application: "Aanvraag omgevingsvergunning voor de bouw van 120 woningen en een parkje op het voormalige sportpark.",
        conclusion: "Het ontwerp is op drie punten aangepast: lagere randbebouwing aan de oostkant, behoud van de bomenrij en geen doorgaande autoroute. De initiatiefnemer dient de aanvraag in met dit verslag.",
        lessons: "De ontwerpateliers trokken vooral oudere bewoners. Volgende keer organiseren we ook een sessie op school en een korte online peiling voor jongeren.",
    },
    Spec {
        title: "Fietsroute langs het Spaarne",
        summary: "Eerste opzet van een snelle fietsroute. Nog niet gepubliceerd.",
        goal: "Een veilige, snelle fietsroute van noord naar zuid.",
        influence: "",
        frames: "",
        target_groups: "",
        stakeholders: "",
        topic: "verkeer",
        wijk: 1,
        ladder: 0,
        phases: &[],
        activities: &[],
        status: "concept",
        reactions: &[],
        initiator: "",
        application: "",
        conclusion: "",
        lessons: "",
    },
];

fn date(days: i64) -> String {
    let today =
        NaiveDate::parse_from_str(&super::store::today(), "%Y-%m-%d").unwrap_or(NaiveDate::MIN);
    (today + Duration::days(days)).to_string()
}

pub async fn load(state: &AppState) -> anyhow::Result<()> {
    let tenants: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, slug FROM tenants WHERE slug IN ('haarlem', 'zaanstad') ORDER BY id",
    )
    .fetch_all(state.db.pool())
    .await?;
    for (tenant_id, slug) in tenants {
        let mut wijken: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, name FROM areas WHERE tenant_id = $1 AND kind = 'wijk'")
                .bind(tenant_id)
                .fetch_all(state.db.pool())
                .await?;
        wijken.sort_by(|a, b| a.1.cmp(&b.1));
        let user = |local: &str| demo_email(local, &slug);
        let staff_id: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(user("procesbegeleider"))
            .fetch_optional(state.db.pool())
            .await?;
        // Zaanstad gets a smaller set: running, finished and a draft.
        let specs: Vec<&Spec> = if slug == "haarlem" {
            SPECS.iter().collect()
        } else {
            [0usize, 3, 4].iter().map(|i| &SPECS[*i]).collect()
        };
        let mut tx = state.db.begin().await?;
        for s in specs {
            let area = wijken.get(s.wijk % wijken.len().max(1)).map(|w| w.0);
            let topic: Option<i64> =
                sqlx::query_scalar("SELECT id FROM topics WHERE tenant_id = $1 AND slug = $2")
                    .bind(tenant_id)
                    .bind(s.topic)
                    .fetch_optional(&mut *tx)
                    .await?;
            let ts = now();
            let published = s.status != "concept";
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO trajectories (tenant_id, status, title, summary, goal, subject, area_id, topic_id, \
                 influence, frames, target_groups, stakeholders, decision_maker, roles, contact, ladder_position, \
                 outcome_use, feedback_text, feedback_on, initiator, application, conclusion, lessons, created_by, \
                 created_at, updated_at, published_at, closed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                 $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $25, $26, $27) RETURNING id",
            )
            .bind(tenant_id)
            .bind(s.status)
            .bind(s.title)
            .bind(s.summary)
            .bind(s.goal)
            .bind("")
            .bind(area)
            .bind(topic)
            .bind(s.influence)
            .bind(s.frames)
            .bind(s.target_groups)
            .bind(s.stakeholders)
            .bind(if published { "Het college van burgemeester en wethouders" } else { "" })
            .bind(if published { "Procesbegeleider: organiseert en verwerkt de inbreng. Wethouder: opdrachtgever. Wijkraad: meedenker." } else { "" })
            .bind(if published { format!("participatie@{slug}.demo, telefoon 14 023") } else { String::new() })
            .bind(if s.ladder > 0 { Some(s.ladder) } else { None })
            .bind(if published { OUTCOME } else { "" })
            .bind(if published { FEEDBACK } else { "" })
            .bind(s.phases.last().map(|p| date(p.2 + 42)))
            .bind(s.initiator)
            .bind(s.application)
            .bind(s.conclusion)
            .bind(s.lessons)
            .bind(staff_id)
            .bind(ts)
            .bind(if published { Some(ts) } else { None })
            .bind(if s.status == "gesloten" { Some(ts) } else { None })
            .fetch_one(&mut *tx)
            .await?;
            for (pos, (name, a, b)) in s.phases.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO trajectory_phases (trajectory_id, position, name, starts_on, ends_on) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id)
                .bind(pos as i64 + 1)
                .bind(*name)
                .bind(date(*a))
                .bind(date(*b))
                .execute(&mut *tx)
                .await?;
            }
            super::store::refresh_dates(&mut tx, id).await?;
            for (pos, (title, form, day, place)) in s.activities.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO trajectory_activities (trajectory_id, position, title, form, held_on, place) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id)
                .bind(pos as i64 + 1)
                .bind(*title)
                .bind(*form)
                .bind(date(*day))
                .bind(*place)
                .execute(&mut *tx)
                .await?;
            }
            for (i, (who, body, status, response)) in s.reactions.iter().enumerate() {
                let (uid, name): (i64, String) =
                    sqlx::query_as("SELECT id, name FROM users WHERE email = $1")
                        .bind(user(who))
                        .fetch_one(&mut *tx)
                        .await?;
                let processed = *status != "open";
                sqlx::query(
                    "INSERT INTO reactions (trajectory_id, user_id, author_name, body, created_at, status, \
                     response, processed_by, processed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(id)
                .bind(uid)
                .bind(name)
                .bind(*body)
                .bind(ts - 86_400 * (10 - i as i64))
                .bind(*status)
                .bind(*response)
                .bind(if processed { staff_id } else { None })
                .bind(if processed { Some(ts) } else { None })
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
    }
    Ok(())
}
