//! Buurtbudget: set up → submit → support → check → codes → vote → receipt → result →
//! execution, bad ballots and codes, 100 concurrent submissions of one code, pabulib
//! import/export, and a SIGKILL in the middle of a voting load, on both backends.

use crate::common::{Backend, FilePart, Session, TestApp};
use meedoen::modules::buurtbudget::{codes, store};

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

/// Round settings with the phase dates shifted so that today is in `phase`.
fn round_fields(title: &str, phase: &str) -> Vec<(String, String)> {
    // Offsets of submit_from, submit_until, support_until, check_until, vote_from,
    // vote_until, result_on.
    let d: [i64; 7] = match phase {
        "indienen" => [-1, 10, 15, 20, 21, 30, 35],
        "stemmen" => [-30, -20, -15, -10, -1, 10, 15],
        _ => [-40, -30, -25, -20, -10, -1, 5], // voting over
    };
    let keys = [
        "submit_from",
        "submit_until",
        "support_until",
        "check_until",
        "vote_from",
        "vote_until",
        "result_on",
    ];
    let mut v: Vec<(String, String)> = vec![
        ("title".into(), title.into()),
        ("intro".into(), "Er is geld voor uw buurt.".into()),
        ("area_id".into(), String::new()),
        ("budget".into(), "50000".into()),
        ("ballot_kind".into(), "basket".into()),
        ("within_budget".into(), "1".into()),
        ("category_caps".into(), "groen=1\nspelen=3".into()),
        ("support_threshold".into(), "1".into()),
        ("min_age".into(), "12".into()),
        ("rule".into(), "mes-add1".into()),
        ("status".into(), "open".into()),
    ];
    for (k, o) in keys.iter().zip(d) {
        v.push(((*k).into(), day(o)));
    }
    v
}

fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

async fn round_id(app: &TestApp, title: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM bb_rounds WHERE title = $1")
        .bind(title)
        .fetch_one(app.db().pool())
        .await
        .unwrap_or_else(|e| panic!("no round {title}: {e}"))
}

async fn count(app: &TestApp, sql: &str, id: i64) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .expect("count")
}

/// Add codes to a round directly (the letters path is tested separately).
async fn add_codes(app: &TestApp, round: i64, n: usize) -> Vec<String> {
    let v: Vec<(String, String)> = (0..n)
        .map(|_| (store::new_code(), store::new_reference()))
        .collect();
    let mut tx = app.db().begin().await.unwrap();
    codes::insert_codes(&mut tx, round, None, &v).await.unwrap();
    tx.commit().await.unwrap();
    v.into_iter().map(|(c, _)| c).collect()
}

fn receipt_of(page: &crate::common::Page) -> String {
    let b = &page.body;
    let start = b
        .find("id=\"bonnummer\">")
        .unwrap_or_else(|| panic!("no receipt: {}", page.excerpt()))
        + "id=\"bonnummer\">".len();
    b[start..start + 14].to_string()
}

const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

both_backends!(round_from_setup_to_execution, |app| async move {
    let staff = app.session_as("procesbegeleider@haarlem.demo").await;
    let b = "/haarlem/beheer/buurtbudget";
    // Bad settings: shown again with messages, nothing stored.
    let mut bad = round_fields("Kapotte ronde", "indienen");
    bad.retain(|(k, _)| k != "budget");
    bad.push(("budget".into(), "-5".into()));
    bad.retain(|(k, _)| k != "vote_from");
    bad.push(("vote_from".into(), day(-100)));
    staff.get(&format!("{b}/nieuw")).await.assert_status(200);
    let p = staff.post_form(&format!("{b}/nieuw"), &pairs(&bad)).await;
    p.assert_status(422)
        .assert_text_contains("Deze datum ligt voor de vorige fase");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM bb_rounds WHERE tenant_id = $1 AND title = 'Kapotte ronde'",
            app.tenant_id("haarlem").await
        )
        .await,
        0
    );
    // A round open for plans.
    let title = "Buurtbudget Teststraat";
    staff
        .post_form(
            &format!("{b}/nieuw"),
            &pairs(&round_fields(title, "indienen")),
        )
        .await
        .assert_status(303);
    let rid = round_id(&app, title).await;
    let public = format!("/haarlem/buurtbudget/{rid}");
    app.get(&public)
        .await
        .assert_status(200)
        .assert_text_contains("Gelijke delen")
        .assert_text_contains("Uit de categorie groen kiest u hoogstens 1 plannen");

    // A resident submits two plans (one with an image), bad input first.
    let resident = app.session_as("inwoner@haarlem.demo").await;
    resident
        .get(&format!("{public}/plannen/nieuw"))
        .await
        .assert_status(200);
    let p = resident
        .post_multipart(
            &format!("{public}/plannen/nieuw"),
            &[("title", ""), ("cost", "veel"), ("postcode", "12")],
            &[FilePart {
                field: "image",
                filename: "x.gif",
                content_type: "image/gif",
                bytes: b"GIF89a",
            }],
        )
        .await;
    p.assert_status(422)
        .assert_text_contains("Vul een postcode in zoals 2011 AB")
        .assert_text_contains("geen PNG- of JPEG-afbeelding");
    let wijk: i64 = sqlx::query_scalar(
        "SELECT id FROM areas WHERE tenant_id = $1 AND kind = 'wijk' ORDER BY code LIMIT 1",
    )
    .bind(app.tenant_id("haarlem").await)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let wijk_s = wijk.to_string();
    let mut plan_ids = Vec::new();
    for (t, cost, cat) in [
        ("Bankjes op het plein", "20000", "groen"),
        ("Speeltuin", "40000", "spelen"),
        ("Bloembakken", "10000", "groen"),
    ] {
        let p = resident
            .post_multipart(
                &format!("{public}/plannen/nieuw"),
                &[
                    ("title", t),
                    ("description", "Voor de hele buurt."),
                    ("cost", cost),
                    ("area_id", &wijk_s),
                    ("postcode", "2011 ab"),
                    ("category", cat),
                ],
                &[FilePart {
                    field: "image",
                    filename: "plan.png",
                    content_type: "image/png",
                    bytes: PNG,
                }],
            )
            .await;
        p.assert_status(303);
        plan_ids.push(
            p.location()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .parse::<i64>()
                .unwrap(),
        );
    }
    // Editing by the owner works; by someone else it does not.
    let plan = format!("{public}/plannen/{}", plan_ids[0]);
    let other = app.session_as("inwoner2@haarlem.demo").await;
    other
        .get(&format!("{plan}/bewerken"))
        .await
        .assert_redirect(&plan);
    resident
        .get(&format!("{plan}/bewerken"))
        .await
        .assert_status(200);
    resident
        .post_multipart(
            &format!("{plan}/bewerken"),
            &[
                ("title", "Bankjes op het plein"),
                ("description", "Vijf bankjes onder de bomen."),
                ("cost", "20000"),
                ("area_id", &wijk_s),
                ("category", "groen"),
            ],
            &[],
        )
        .await
        .assert_redirect(&plan);
    // Support, once.
    other.get(&plan).await.assert_status(200);
    other
        .post_form(&format!("{plan}/steunen"), &[])
        .await
        .assert_redirect(&plan);
    other
        .post_form(&format!("{plan}/steunen"), &[])
        .await
        .assert_redirect(&plan);
    let page = other.get(&plan).await;
    page.assert_text_contains("1 van de 1 steunbetuigingen")
        .assert_text_contains("Vijf bankjes onder de bomen")
        .assert_contains("/haarlem/bestanden/");

    // The civil servant checks the plans and puts them on the ballot; a plan below the
    // support threshold cannot go on it: the form comes back with the message and what was
    // entered, and nothing is saved.
    staff
        .get(&format!("{b}/{rid}/plannen"))
        .await
        .assert_status(200)
        .assert_text_contains("Haalt de steundrempel niet: 0 van de 1 steunbetuigingen");
    staff
        .post_form(
            &format!("{b}/{rid}/plannen/{}", plan_ids[1]),
            &[
                ("feasible", "ja"),
                ("municipal_cost", "35000"),
                ("on_ballot", "1"),
            ],
        )
        .await
        .assert_status(422)
        .assert_text_contains("Dit plan heeft 0 van de 1 steunbetuigingen die nodig zijn")
        .assert_contains(&format!("href=\"#ob_{}\"", plan_ids[1]))
        .assert_contains("value=\"35000\"");
    let on: i64 = sqlx::query_scalar("SELECT on_ballot FROM bb_plans WHERE id = $1")
        .bind(plan_ids[1])
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(on, 0, "a plan below the threshold went on the ballot");
    for id in &plan_ids[1..] {
        other
            .post_form(&format!("{public}/plannen/{id}/steunen"), &[])
            .await
            .assert_status(303);
    }
    for (i, id) in plan_ids.iter().enumerate() {
        let fields: Vec<(&str, &str)> = if i == 1 {
            vec![
                ("feasible", "ja"),
                ("municipal_cost", "35000"),
                ("on_ballot", "1"),
            ]
        } else {
            vec![("feasible", "ja"), ("reason", ""), ("on_ballot", "1")]
        };
        staff
            .post_form(&format!("{b}/{rid}/plannen/{id}"), &fields)
            .await
            .assert_status(303);
    }
    // Not feasible needs a reason: the page comes back with the message at that plan's field.
    staff
        .post_form(
            &format!("{b}/{rid}/plannen/{}", plan_ids[2]),
            &[("feasible", "nee")],
        )
        .await
        .assert_status(422)
        .assert_text_contains("Leg uit waarom het plan niet haalbaar is.")
        .assert_contains(&format!("href=\"#reason_{}\"", plan_ids[2]));

    // Voting opens; codes from a register extract (a bad one first: nothing is made).
    staff
        .post_form(
            &format!("{b}/{rid}"),
            &pairs(&round_fields(title, "stemmen")),
        )
        .await
        .assert_status(303);
    let wijk_code: String = sqlx::query_scalar("SELECT code FROM areas WHERE id = $1")
        .bind(wijk)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let bad_csv = format!(
        "adres;postcode;gebied;geboortejaar\nA 1;2011AB;{wijk_code};1980\nB 2;xx;{wijk_code};1990\nC 3;2011AB;Nergens;19x0\n"
    );
    staff
        .get(&format!("{b}/{rid}/codes"))
        .await
        .assert_status(200);
    let p = staff
        .post_multipart(
            &format!("{b}/{rid}/codes/register"),
            &[],
            &[FilePart {
                field: "register",
                filename: "r.csv",
                content_type: "text/csv",
                bytes: bad_csv.as_bytes(),
            }],
        )
        .await;
    p.assert_status(422)
        .assert_text_contains("Regel 3: 'xx' is geen geldige postcode")
        .assert_text_contains("Regel 4: gebied 'Nergens' bestaat niet")
        .assert_text_contains("Regel 4: '19x0' is geen geldig geboortejaar");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM bb_codes WHERE round_id = $1",
            rid
        )
        .await,
        0
    );
    let good_csv = format!(
        "adres;postcode;gebied;geboortejaar\nA 1;2011AB;{wijk_code};1980\nB 2;2011 ab;{wijk_code};1990\nC 3;2011AC;{wijk_code};2022\n"
    );
    let p = staff
        .post_multipart(
            &format!("{b}/{rid}/codes/register"),
            &[],
            &[FilePart {
                field: "register",
                filename: "r.csv",
                content_type: "text/csv",
                bytes: good_csv.as_bytes(),
            }],
        )
        .await;
    p.assert_status(200)
        .assert_text_contains("2 stemcodes en brieven gemaakt uit 3 regels");
    // The same extract again makes no second set of codes.
    staff
        .post_multipart(
            &format!("{b}/{rid}/codes/register"),
            &[],
            &[FilePart {
                field: "register",
                filename: "r-opnieuw.csv",
                content_type: "text/csv",
                bytes: good_csv.as_bytes(),
            }],
        )
        .await
        .assert_status(422)
        .assert_text_contains("al gebruikt voor brievenset")
        .assert_text_contains("er zijn geen nieuwe codes gemaakt");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM bb_codes WHERE round_id = $1",
            rid
        )
        .await,
        2
    );
    let batch: i64 = sqlx::query_scalar("SELECT id FROM bb_letter_batches WHERE round_id = $1")
        .bind(rid)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let csv = staff
        .get(&format!("{b}/{rid}/brieven/{batch}/drukkerij.csv"))
        .await;
    csv.assert_status(200);
    let letter_codes: Vec<String> = csv
        .body
        .lines()
        .skip(1)
        .map(|l| l.split(';').nth(4).unwrap().to_string())
        .collect();
    assert_eq!(letter_codes.len(), 2);
    // Only hashes are stored.
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT code_hash FROM bb_codes WHERE round_id = $1")
            .bind(rid)
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    assert!(
        stored
            .iter()
            .all(|h| h.len() == 64 && !letter_codes.iter().any(|c| h.contains(c.as_str())))
    );
    let pdf = staff
        .get(&format!("{b}/{rid}/brieven/{batch}/brieven.pdf"))
        .await;
    pdf.assert_status(200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    // Destroyed letters are gone.
    staff
        .post_form(&format!("{b}/{rid}/brieven/{batch}/vernietigen"), &[])
        .await
        .assert_status(303);
    staff
        .get(&format!("{b}/{rid}/brieven/{batch}/drukkerij.csv"))
        .await
        .assert_redirect(&format!("{b}/{rid}/codes"));
    // Help desk: one code shown once; revoke and reissue by reference.
    let p = staff
        .post_form(&format!("{b}/{rid}/codes/balie"), &[])
        .await;
    p.assert_status(200).assert_text_contains("Nieuwe stemcode");
    let desk_code = {
        let s = p.body.find("id=\"nieuwe-code\">").unwrap() + "id=\"nieuwe-code\">".len();
        p.body[s..s + 19].to_string()
    };

    // Voting: over budget is refused with a plain message, then a valid ballot.
    let voter = app.new_session();
    voter
        .get(&format!("{public}/stemmen"))
        .await
        .assert_status(200)
        .assert_text_contains("Kosten van uw keuze");
    let (p0, p1, p2) = (
        plan_ids[0].to_string(),
        plan_ids[1].to_string(),
        plan_ids[2].to_string(),
    );
    let p = voter
        .post_form(
            &format!("{public}/stemmen"),
            &[
                ("code", &letter_codes[0]),
                ("plan", &p0),
                ("plan", &p1),
                ("plan", &p2),
            ],
        )
        .await;
    p.assert_status(422)
        .assert_text_contains("Dat is meer dan het budget van € 50.000")
        .assert_text_contains("U koos 2 plannen in de categorie groen");
    let p = voter
        .post_form(
            &format!("{public}/stemmen"),
            &[("code", &letter_codes[0]), ("plan", &p0)],
        )
        .await;
    p.assert_status(200)
        .assert_text_contains("Bedankt voor het stemmen");
    let receipt = receipt_of(&p);
    // The same code again: refused.
    voter
        .post_form(
            &format!("{public}/stemmen"),
            &[("code", &letter_codes[0]), ("plan", &p1)],
        )
        .await
        .assert_status(422)
        .assert_text_contains("Met deze stemcode is al gestemd");
    // Second letter code and the desk code vote too.
    for code in [&letter_codes[1], &desk_code] {
        let p = voter
            .post_form(
                &format!("{public}/stemmen"),
                &[("code", code.as_str()), ("plan", &p1)],
            )
            .await;
        p.assert_status(200);
    }
    // The receipt can be checked.
    app.get(&format!("{public}/controle?bon={receipt}"))
        .await
        .assert_status(200)
        .assert_text_contains("opgeslagen en niet gewijzigd")
        .assert_text_contains("Bankjes op het plein");
    // The ballot holds no code, no user, no time.
    let cols: Vec<String> = match app.backend {
        Backend::Sqlite => sqlx::query_scalar("SELECT name FROM pragma_table_info('bb_ballots')")
            .fetch_all(app.db().pool())
            .await
            .unwrap(),
        Backend::Postgres => sqlx::query_scalar(
            "SELECT CAST(column_name AS TEXT) FROM information_schema.columns WHERE table_name = 'bb_ballots'",
        )
        .fetch_all(app.db().pool())
        .await
        .unwrap(),
    };
    let mut cols = cols;
    cols.sort();
    assert_eq!(
        cols,
        vec!["choices", "contents_hash", "receipt", "round_id"]
    );

    // The result cannot be computed while voting runs; afterwards it is published.
    staff.get(&format!("{b}/{rid}")).await.assert_status(200);
    staff
        .post_form(&format!("{b}/{rid}/uitslag"), &[])
        .await
        .assert_redirect(&format!("{b}/{rid}"));
    staff
        .post_form(
            &format!("{b}/{rid}"),
            &pairs(&round_fields(title, "afgelopen")),
        )
        .await
        .assert_status(303);
    // Voting is closed now: refused, nothing written.
    let extra = add_codes(&app, rid, 1).await;
    voter
        .get(&format!("{public}/stemmen"))
        .await
        .assert_status(200);
    voter
        .post_form(
            &format!("{public}/stemmen"),
            &[("code", &extra[0]), ("plan", &p0)],
        )
        .await
        .assert_status(422)
        .assert_text_contains("Stemmen kan van");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM bb_ballots WHERE round_id = $1",
            rid
        )
        .await,
        3
    );
    staff
        .post_form(&format!("{b}/{rid}/uitslag"), &[])
        .await
        .assert_redirect(&format!("{public}/uitslag"));
    let res = app.get(&format!("{public}/uitslag")).await;
    res.assert_status(200)
        .assert_text_contains("3 mensen stemden")
        .assert_text_contains("Speeltuin")
        .assert_text_contains("onafhankelijk gecontroleerd")
        .assert_contains("<svg");
    // The published ballots recount to the same winners.
    let file = app.get(&format!("{public}/stemmen.pb")).await;
    file.assert_status(200);
    let parsed = pb::parse(&file.body).expect("pabulib");
    assert_eq!(parsed.election.ballots.len(), 3);
    assert!(
        parsed
            .election
            .ballots
            .iter()
            .any(|b| b.voter_id == receipt)
    );
    let recount = pb::tally(
        &parsed.election,
        pb::Rule::MesAdd1,
        &pb::TieBreak::default(),
    );
    let stored = store::stored_result(app.db(), rid).await.unwrap().unwrap();
    let winners: Vec<String> = stored
        .plans
        .iter()
        .filter(|p| p.selected)
        .map(|p| p.plan_id.to_string())
        .collect();
    let mut recounted: Vec<String> = recount
        .selected
        .iter()
        .map(|i| parsed.election.projects[*i].id.clone())
        .collect();
    recounted.sort();
    let mut w = winners.clone();
    w.sort();
    assert_eq!(w, recounted);
    let cert = app.get(&format!("{public}/certificaat.json")).await;
    cert.assert_status(200);
    let c: pb::Certificate = serde_json::from_str(&cert.body).unwrap();
    assert!(pb::certificate::verify(&parsed.election, &c).is_ok());
    // JSON API.
    let api = app.get(&format!("/api/v1/haarlem/buurtbudget/{rid}")).await;
    api.assert_status(200);
    let j: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(j["result"]["ballots"], 3);
    assert!(
        app.get("/api/openapi.json")
            .await
            .body
            .contains("/api/v1/{tenant}/buurtbudget/{ronde}")
    );

    // Execution updates reach the plan page and the supporters' mailbox.
    let winner = &winners[0];
    staff
        .get(&format!("{b}/{rid}/plannen"))
        .await
        .assert_status(200);
    // An update without text comes back with the message and the chosen status kept.
    staff
        .post_form(
            &format!("{b}/{rid}/plannen/{winner}/uitvoering"),
            &[("exec_status", "gereed"), ("body", "")],
        )
        .await
        .assert_status(422)
        .assert_contains(&format!("href=\"#eb_{winner}\""))
        .assert_contains("value=\"gereed\" selected");
    staff
        .post_form(
            &format!("{b}/{rid}/plannen/{winner}/uitvoering"),
            &[
                ("exec_status", "uitvoering"),
                ("body", "De aannemer is begonnen."),
            ],
        )
        .await
        .assert_status(303);
    app.get(&format!("{public}/plannen/{winner}"))
        .await
        .assert_text_contains("In uitvoering")
        .assert_text_contains("De aannemer is begonnen.");
    if winner == &p0 {
        let mail = app.last_mail_to("haarlem", "inwoner2@haarlem.demo").await;
        assert!(mail.is_some_and(|(s, _)| s.contains("Bankjes")));
    }
});

both_backends!(bad_codes_and_ballots_write_nothing, |app| async move {
    let hid = app.tenant_id("haarlem").await;
    let rid: i64 = sqlx::query_scalar(
        "SELECT id FROM bb_rounds WHERE tenant_id = $1 AND title LIKE '%stem nu%'",
    )
    .bind(hid)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let public = format!("/haarlem/buurtbudget/{rid}");
    let plans: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, category FROM bb_plans WHERE round_id = $1 AND on_ballot = 1 ORDER BY id",
    )
    .bind(rid)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    let all: Vec<String> = plans.iter().map(|p| p.0.to_string()).collect();
    let v = app.new_session();
    v.get(&format!("{public}/stemmen")).await.assert_status(200);
    let demo = meedoen::modules::buurtbudget::demo::demo_codes("haarlem");
    let before = count(
        &app,
        "SELECT COUNT(*) FROM bb_ballots WHERE round_id = $1",
        rid,
    )
    .await;
    // Unknown code.
    v.post_form(
        &format!("{public}/stemmen"),
        &[("code", "AAAA-BBBB-CCCC-DDDD"), ("plan", &all[0])],
    )
    .await
    .assert_status(422)
    .assert_text_contains("Deze stemcode kennen we niet");
    // Malformed code and no plan.
    v.post_form(&format!("{public}/stemmen"), &[("code", "123")])
        .await
        .assert_status(422)
        .assert_text_contains("16 letters en cijfers")
        .assert_text_contains("Kies er minstens 1");
    // Over budget (every plan) and a plan that is not on the ballot.
    let mut f: Vec<(&str, &str)> = vec![("code", demo[0].as_str())];
    for p in &all {
        f.push(("plan", p));
    }
    v.post_form(&format!("{public}/stemmen"), &f)
        .await
        .assert_status(422)
        .assert_text_contains("meer dan het budget");
    v.post_form(
        &format!("{public}/stemmen"),
        &[("code", demo[0].as_str()), ("plan", "999999")],
    )
    .await
    .assert_status(422)
    .assert_text_contains("niet op het stembiljet");
    // Revoked code.
    let staff = app.session_as("procesbegeleider@haarlem.demo").await;
    staff
        .get(&format!("/haarlem/beheer/buurtbudget/{rid}/codes"))
        .await
        .assert_status(200);
    staff
        .post_form(
            &format!("/haarlem/beheer/buurtbudget/{rid}/codes/intrekken"),
            &[("reference", "BDEMO0002")],
        )
        .await
        .assert_status(200)
        .assert_text_contains("is ingetrokken");
    v.post_form(
        &format!("{public}/stemmen"),
        &[("code", demo[1].as_str()), ("plan", &all[0])],
    )
    .await
    .assert_status(422)
    .assert_text_contains("Deze stemcode is ingetrokken");
    // Nothing written, demo code 1 still unused.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM bb_ballots WHERE round_id = $1",
            rid
        )
        .await,
        before
    );
    let used: i64 = sqlx::query_scalar("SELECT used FROM bb_codes WHERE code_hash = $1")
        .bind(store::code_hash(&demo[0]))
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(used, 0);
    // Without CSRF token: refused.
    v.post_form_raw(
        &format!("{public}/stemmen"),
        &[("code", demo[0].as_str()), ("plan", &all[0])],
    )
    .await
    .assert_status(403);
    // The demo code votes (lower-case and with spaces is fine).
    let loose = demo[0].to_lowercase().replace('-', " ");
    v.post_form(
        &format!("{public}/stemmen"),
        &[("code", loose.as_str()), ("plan", &all[0])],
    )
    .await
    .assert_status(200);
});

both_backends!(
    hundred_concurrent_submissions_record_one_ballot,
    |app| async move {
        let hid = app.tenant_id("haarlem").await;
        let rid: i64 = sqlx::query_scalar(
            "SELECT id FROM bb_rounds WHERE tenant_id = $1 AND title LIKE '%stem nu%'",
        )
        .bind(hid)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        let plan: i64 = sqlx::query_scalar(
            "SELECT id FROM bb_plans WHERE round_id = $1 AND on_ballot = 1 ORDER BY id LIMIT 1",
        )
        .bind(rid)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        let code = add_codes(&app, rid, 1).await.remove(0);
        let path = format!("/haarlem/buurtbudget/{rid}/stemmen");
        let v = app.new_session();
        v.get(&path).await.assert_status(200);
        let before = count(
            &app,
            "SELECT COUNT(*) FROM bb_ballots WHERE round_id = $1",
            rid,
        )
        .await;
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..100 {
            let s: Session = v.fork();
            let (path, code, plan) = (path.clone(), code.clone(), plan.to_string());
            set.spawn(async move {
                let p = s
                    .post_form(&path, &[("code", &code), ("plan", &plan)])
                    .await;
                (
                    p.status.as_u16(),
                    p.body.contains("Met deze stemcode is al gestemd"),
                )
            });
        }
        let mut ok = 0;
        let mut refused = 0;
        while let Some(r) = set.join_next().await {
            match r.unwrap() {
                (200, _) => ok += 1,
                (422, true) => refused += 1,
                other => panic!("unexpected answer {other:?}"),
            }
        }
        assert_eq!((ok, refused), (1, 99));
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM bb_ballots WHERE round_id = $1",
                rid
            )
            .await,
            before + 1
        );
    }
);

both_backends!(pabulib_import_and_export, |app| async move {
    // The demo's imported Amsterdam round has its result published.
    let hid = app.tenant_id("haarlem").await;
    let rid: i64 =
        sqlx::query_scalar("SELECT id FROM bb_rounds WHERE tenant_id = $1 AND imported = 1")
            .bind(hid)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    app.get(&format!("/haarlem/buurtbudget/{rid}/uitslag"))
        .await
        .assert_status(200)
        .assert_text_contains("212 mensen stemden")
        .assert_text_contains("Rijnbuurt West");
    // Export and import again: same plans, ballots and winners.
    let staff = app.session_as("procesbegeleider@haarlem.demo").await;
    let file = staff
        .get(&format!("/haarlem/beheer/buurtbudget/{rid}/export.pb"))
        .await;
    file.assert_status(200);
    staff
        .get("/haarlem/beheer/buurtbudget")
        .await
        .assert_status(200);
    let p = staff
        .post_multipart(
            "/haarlem/beheer/buurtbudget/importeren",
            &[],
            &[FilePart {
                field: "bestand",
                filename: "terug.pb",
                content_type: "text/plain",
                bytes: file.body.as_bytes(),
            }],
        )
        .await;
    p.assert_status(303);
    let again: i64 =
        sqlx::query_scalar("SELECT MAX(id) FROM bb_rounds WHERE tenant_id = $1 AND imported = 1")
            .bind(hid)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_ne!(again, rid);
    let a = store::stored_result(app.db(), rid).await.unwrap().unwrap();
    let b = store::stored_result(app.db(), again)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.ballots, b.ballots);
    let titles = |r: &store::StoredResult| {
        let mut v: Vec<String> = r
            .plans
            .iter()
            .filter(|p| p.selected)
            .map(|p| p.title.clone())
            .collect();
        v.sort();
        v
    };
    assert_eq!(titles(&a), titles(&b));
    // A broken file: a clear message, nothing written.
    let n = count(
        &app,
        "SELECT COUNT(*) FROM bb_rounds WHERE tenant_id = $1",
        hid,
    )
    .await;
    let p = staff
        .post_multipart(
            "/haarlem/beheer/buurtbudget/importeren",
            &[],
            &[FilePart {
                field: "bestand",
                filename: "kapot.pb",
                content_type: "text/plain",
                bytes: b"META\nkey;value\nbudget;abc\n",
            }],
        )
        .await;
    p.assert_status(422)
        .assert_text_contains("kan niet worden geïmporteerd");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM bb_rounds WHERE tenant_id = $1",
            hid
        )
        .await,
        n
    );
});

/// Start the real binary on the test's database; returns the child and its base URL.
fn spawn_server(db_url: &str) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_meedoen"))
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--public-url",
            &base,
        ])
        .env("DATABASE_URL", db_url)
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start meedoen");
    (child, base)
}

async fn wait_healthy(base: &str) {
    for _ in 0..200 {
        if let Ok(r) = reqwest::get(format!("{base}/health")).await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("server at {base} did not become healthy");
}

both_backends!(
    sigkill_during_voting_loses_no_acknowledged_ballot,
    |app| async move {
        let hid = app.tenant_id("haarlem").await;
        let rid: i64 = sqlx::query_scalar(
            "SELECT id FROM bb_rounds WHERE tenant_id = $1 AND title LIKE '%stem nu%'",
        )
        .bind(hid)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        let plan: i64 = sqlx::query_scalar(
            "SELECT id FROM bb_plans WHERE round_id = $1 AND on_ballot = 1 ORDER BY id LIMIT 1",
        )
        .bind(rid)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        let codes = add_codes(&app, rid, 3000).await;
        let before = count(
            &app,
            "SELECT COUNT(*) FROM bb_ballots WHERE round_id = $1",
            rid,
        )
        .await;
        let used_before = count(
            &app,
            "SELECT COUNT(*) FROM bb_codes WHERE round_id = $1 AND used = 1",
            rid,
        )
        .await;
        let db_url = app.state.config.database_url.clone();
        let (mut child, base) = spawn_server(&db_url);
        wait_healthy(&base).await;
        let path = format!("/haarlem/buurtbudget/{rid}/stemmen");
        let voter = Session::new(&base);
        voter.get(&path).await.assert_status(200);
        let token = voter.csrf().await;
        let cookie = format!(
            "mdn_csrf={}",
            voter.cookie("mdn_csrf").expect("csrf cookie")
        );
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        let url = format!("{base}{path}");
        let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let codes = std::sync::Arc::new(codes);
        let mut set = tokio::task::JoinSet::new();
        for w in 0..8usize {
            let (client, url, token, cookie) =
                (client.clone(), url.clone(), token.clone(), cookie.clone());
            let (acked, codes) = (acked.clone(), codes.clone());
            let plan = plan.to_string();
            set.spawn(async move {
                let mut i = w;
                while i < codes.len() {
                    let body: String = form_urlencoded::Serializer::new(String::new())
                        .extend_pairs([
                            ("code", codes[i].as_str()),
                            ("plan", plan.as_str()),
                            ("_csrf", token.as_str()),
                        ])
                        .finish();
                    let r = client
                        .post(&url)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .header("cookie", &cookie)
                        .body(body)
                        .send()
                        .await;
                    let r = match r {
                        Ok(resp) => {
                            let st = resp.status().as_u16();
                            resp.text().await.ok().map(|b| (st, b))
                        }
                        Err(_) => None,
                    };
                    match r {
                        Some((200, body)) => {
                            let k = body.find("id=\"bonnummer\">").expect("receipt") + 15;
                            acked.lock().unwrap().push(body[k..k + 14].to_string());
                        }
                        Some(_) => {}
                        None => break, // server gone
                    }
                    i += 8;
                }
            });
        }
        // Let the load run, then kill -9 in the middle of it.
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            if acked.lock().unwrap().len() >= 150 {
                break;
            }
        }
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        while set.join_next().await.is_some() {}
        let acked = acked.lock().unwrap().clone();
        assert!(acked.len() >= 150);
        assert!(acked.len() < 3000, "the load ended before the kill");
        // Restart: every acknowledged ballot is there, and every used code has its ballot.
        let (mut child, base) = spawn_server(&db_url);
        wait_healthy(&base).await;
        let stored: Vec<String> =
            sqlx::query_scalar("SELECT receipt FROM bb_ballots WHERE round_id = $1")
                .bind(rid)
                .fetch_all(app.db().pool())
                .await
                .unwrap();
        let stored: std::collections::HashSet<String> = stored.into_iter().collect();
        for r in &acked {
            assert!(stored.contains(r), "acknowledged ballot {r} lost");
        }
        let used = count(
            &app,
            "SELECT COUNT(*) FROM bb_codes WHERE round_id = $1 AND used = 1",
            rid,
        )
        .await;
        assert_eq!(used - used_before, stored.len() as i64 - before);
        // And counted: the result over all stored ballots.
        let r = store::get_round(app.db(), hid, rid).await.unwrap().unwrap();
        let plans = store::plans(app.db(), rid, true).await.unwrap();
        let ballots = store::ballots(app.db(), rid).await.unwrap();
        let e = store::election(&r, "Haarlem", &plans, &ballots);
        let ids: Vec<i64> = plans.iter().map(|p| p.id).collect();
        let (res, _, _) = store::tally(&e, r.rule(), &ids);
        assert_eq!(res.ballots as usize, stored.len());
        let votes: i64 = res.plans.iter().find(|p| p.plan_id == plan).unwrap().votes;
        assert!(votes as usize >= acked.len());
        child.kill().ok();
        child.wait().ok();
    }
);

both_backends!(
    point_and_k_approval_ballots_follow_their_rules,
    |app| async move {
        let hid = app.tenant_id("haarlem").await;
        let rid: i64 = sqlx::query_scalar(
            "SELECT id FROM bb_rounds WHERE tenant_id = $1 AND title LIKE '%stem nu%'",
        )
        .bind(hid)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        let plans: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM bb_plans WHERE round_id = $1 AND on_ballot = 1 ORDER BY id",
        )
        .bind(rid)
        .fetch_all(app.db().pool())
        .await
        .unwrap();
        let codes = add_codes(&app, rid, 2).await;
        let path = format!("/haarlem/buurtbudget/{rid}/stemmen");
        // Cumulative: 5 points, at most 3 per plan, within the budget.
        sqlx::query(
        "UPDATE bb_rounds SET ballot_kind = 'cumulative', points_total = 5, points_max_per = 3, \
         category_caps = '' WHERE id = $1",
    )
    .bind(rid)
    .execute(app.db().writer())
    .await
    .unwrap();
        meedoen::modules::buurtbudget::vote::invalidate(&app.state, hid);
        let v = app.new_session();
        v.get(&path)
            .await
            .assert_status(200)
            .assert_text_contains("Verdeel uw punten");
        let a = format!("punten_{}", plans[0]);
        let b = format!("punten_{}", plans[1]);
        v.post_form(&path, &[("code", &codes[0]), (&a, "4")])
            .await
            .assert_status(422)
            .assert_text_contains("Per plan mag u hoogstens 3 punten geven");
        v.post_form(&path, &[("code", &codes[0]), (&a, "3"), (&b, "3")])
            .await
            .assert_status(422)
            .assert_text_contains("U gaf 6 punten. U heeft er 5 te verdelen.");
        v.post_form(&path, &[("code", &codes[0]), (&a, "drie")])
            .await
            .assert_status(422)
            .assert_text_contains("niet op het stembiljet");
        v.post_form(&path, &[("code", &codes[0]), (&a, "3"), (&b, "2")])
            .await
            .assert_status(200);
        let choices: String =
            sqlx::query_scalar("SELECT choices FROM bb_ballots WHERE round_id = $1")
                .bind(rid)
                .fetch_one(app.db().pool())
                .await
                .unwrap();
        assert_eq!(choices, format!("{}:3,{}:2", plans[0], plans[1]));
        // k-approval: 2 to 3 plans, cost does not count.
        sqlx::query(
            "UPDATE bb_rounds SET ballot_kind = 'kapproval', min_choices = 2, max_choices = 3, \
         within_budget = 0 WHERE id = $1",
        )
        .bind(rid)
        .execute(app.db().writer())
        .await
        .unwrap();
        meedoen::modules::buurtbudget::vote::invalidate(&app.state, hid);
        v.get(&path).await.assert_status(200);
        let p: Vec<String> = plans.iter().map(|x| x.to_string()).collect();
        v.post_form(&path, &[("code", &codes[1]), ("plan", &p[0])])
            .await
            .assert_status(422)
            .assert_text_contains("Kies er minstens 2");
        v.post_form(
            &path,
            &[
                ("code", &codes[1]),
                ("plan", &p[0]),
                ("plan", &p[1]),
                ("plan", &p[2]),
                ("plan", &p[3]),
            ],
        )
        .await
        .assert_status(422)
        .assert_text_contains("Kies er hoogstens 3");
        v.post_form(
            &path,
            &[
                ("code", &codes[1]),
                ("plan", &p[1]),
                ("plan", &p[2]),
                ("plan", &p[3]),
            ],
        )
        .await
        .assert_status(200);
    }
);
