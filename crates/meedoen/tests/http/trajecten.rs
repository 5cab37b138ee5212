//! Trajecten: the civil servant's plan-publish-process-close-report journey and the
//! resident's find-react-see-response journey, with bad input, on both backends.

use crate::common::{Session, TestApp};

async fn trajectory_id(app: &TestApp, title: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM trajectories WHERE title = $1")
        .bind(title)
        .fetch_one(app.db().pool())
        .await
        .unwrap_or_else(|e| panic!("no trajectory {title}: {e}"))
}

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

/// Create a trajectory through every step of the plan; returns its id.
async fn plan_trajectory(app: &TestApp, staff: &Session, title: &str) -> i64 {
    let b = "/haarlem/beheer/trajecten";
    staff
        .post_form(
            &format!("{b}/nieuw"),
            &[
                ("title", title),
                ("summary", "Korte samenvatting van het plan."),
                ("goal", "Een betere straat."),
                ("action", "next"),
            ],
        )
        .await
        .assert_status(303);
    let id = trajectory_id(app, title).await;
    let step = |n: u8| format!("{b}/{id}/stap/{n}");
    // Not complete yet: publishing is refused and the review lists what is missing.
    let p = staff.post_form(&format!("{b}/{id}/publiceren"), &[]).await;
    p.assert_status(422)
        .assert_contains("nog niet compleet")
        .assert_contains("Invloed en kaders");
    staff
        .post_form(
            &step(2),
            &[
                ("influence", "De inrichting."),
                ("frames", "Budget 100.000 euro."),
            ],
        )
        .await
        .assert_redirect(&step(3));
    staff
        .post_form(&step(3), &[("target_groups", "Bewoners van de straat.")])
        .await
        .assert_status(303);
    staff
        .post_form(
            &step(4),
            &[
                ("decision_maker", "Het college"),
                ("contact", "participatie@haarlem.demo"),
            ],
        )
        .await
        .assert_status(303);
    staff
        .post_form(&step(5), &[("ladder_position", "2")])
        .await
        .assert_status(303);
    staff
        .post_form(
            &step(6),
            &[
                ("phase1_name", "Meedenken"),
                ("phase1_starts_on", &day(-1)),
                ("phase1_ends_on", &day(30)),
            ],
        )
        .await
        .assert_status(303);
    staff
        .post_form(
            &step(7),
            &[
                ("activity1_title", "Inloopavond"),
                ("activity1_form", "bijeenkomst"),
                ("activity1_held_on", &day(5)),
            ],
        )
        .await
        .assert_status(303);
    staff
        .post_form(
            &step(8),
            &[
                ("outcome_use", "We wegen alle reacties mee."),
                ("feedback_text", "U hoort het per e-mail."),
                ("feedback_on", &day(60)),
                ("reactions_open", "1"),
            ],
        )
        .await
        .assert_redirect(&step(9));
    staff
        .get(&step(9))
        .await
        .assert_status(200)
        .assert_contains("Alles is ingevuld");
    id
}

both_backends!(plan_publish_react_process_close_report, |app| async move {
    let staff = app.session_as("procesbegeleider@haarlem.demo").await;
    let title = "Herinrichting Teststraat";
    let id = plan_trajectory(&app, &staff, title).await;

    // A draft is invisible to residents and to the API.
    let anon = app.new_session();
    anon.get(&format!("/haarlem/trajecten/{id}"))
        .await
        .assert_status(404);
    anon.get(&format!("/api/v1/haarlem/trajecten/{id}"))
        .await
        .assert_status(404);
    anon.get("/haarlem/trajecten")
        .await
        .assert_not_contains(title);

    staff
        .post_form(&format!("/haarlem/beheer/trajecten/{id}/publiceren"), &[])
        .await
        .assert_redirect(&format!("/haarlem/trajecten/{id}"));

    // The resident finds it: list filtered by stage, home page, API.
    anon.get("/haarlem/trajecten?fase=loopt")
        .await
        .assert_status(200)
        .assert_contains(title);
    anon.get("/haarlem").await.assert_contains(title);
    let api = anon.get(&format!("/api/v1/haarlem/trajecten/{id}")).await;
    api.assert_status(200);
    let json: serde_json::Value = serde_json::from_str(&api.body).expect("json");
    assert_eq!(json["title"], title);
    assert_eq!(json["stage"], "loopt");
    assert_eq!(json["phases"][0]["name"], "Meedenken");

    // Reacting needs an account.
    let page = anon.get(&format!("/haarlem/trajecten/{id}")).await;
    page.assert_contains("Inloggen om te reageren");
    let p = anon
        .post_form(
            &format!("/haarlem/trajecten/{id}/reageren"),
            &[("body", "Anoniem")],
        )
        .await;
    assert!(p.is_login_redirect(), "{}", p.excerpt());

    let resident = app.session_as("inwoner@haarlem.demo").await;
    // Bad input: empty, and hostile markup that must come back escaped.
    resident
        .post_form(
            &format!("/haarlem/trajecten/{id}/reageren"),
            &[("body", "")],
        )
        .await
        .assert_status(422)
        .assert_contains("Vul dit veld in");
    let r = resident
        .post_form(
            &format!("/haarlem/trajecten/{id}/reageren"),
            &[("body", "Meer bomen graag <script>alert(1)</script>")],
        )
        .await;
    r.assert_status(303);
    let page = resident.get(&format!("/haarlem/trajecten/{id}")).await;
    page.assert_contains("Meer bomen graag")
        .assert_not_contains("<script>alert(1)")
        .assert_contains("nog niet verwerkt")
        .assert_contains("Uw reactie");
    let rid: i64 = sqlx::query_scalar("SELECT id FROM reactions WHERE trajectory_id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .expect("reaction stored");

    // Closing with an unprocessed reaction is refused.
    staff
        .post_form(
            &format!("/haarlem/beheer/trajecten/{id}/afsluiten"),
            &[("conclusion", "Klaar")],
        )
        .await
        .assert_status(422)
        .assert_contains("Verwerk eerst alle reacties");

    // Processing needs a status and a reason.
    staff
        .post_form(
            &format!("/haarlem/beheer/trajecten/{id}/reacties/{rid}"),
            &[("status", "overgenomen"), ("response", "")],
        )
        .await
        .assert_status(422);
    staff
        .post_form(
            &format!("/haarlem/beheer/trajecten/{id}/reacties/{rid}"),
            &[("status", "verzonnen"), ("response", "x")],
        )
        .await
        .assert_status(422);
    staff
        .post_form(
            &format!("/haarlem/beheer/trajecten/{id}/reacties/{rid}"),
            &[
                ("status", "overgenomen"),
                ("response", "Er komen twaalf nieuwe bomen."),
            ],
        )
        .await
        .assert_status(303);
    // The resident sees what was done, on the page and by e-mail.
    resident
        .get(&format!("/haarlem/trajecten/{id}"))
        .await
        .assert_contains("Er komen twaalf nieuwe bomen.")
        .assert_contains("overgenomen");
    resident
        .get("/haarlem/mijn-reacties")
        .await
        .assert_contains("Er komen twaalf nieuwe bomen.");
    let mail: (String, String) = sqlx::query_as(
        "SELECT subject, body_text FROM outbox WHERE to_addr = 'inwoner@haarlem.demo' ORDER BY id DESC",
    )
    .fetch_one(app.db().pool())
    .await
    .expect("mail to resident");
    assert!(mail.0.contains(title), "{mail:?}");
    assert!(mail.1.contains("Er komen twaalf nieuwe bomen."), "{mail:?}");

    // Reports are not public before closing.
    anon.get(&format!("/haarlem/trajecten/{id}/eindverslag"))
        .await
        .assert_status(404);

    staff
        .post_form(
            &format!("/haarlem/beheer/trajecten/{id}/afsluiten"),
            &[
                ("conclusion", "De straat wordt groener."),
                ("lessons", "Eerder beginnen."),
            ],
        )
        .await
        .assert_redirect(&format!("/haarlem/trajecten/{id}/eindverslag"));

    let report = anon
        .get(&format!("/haarlem/trajecten/{id}/eindverslag"))
        .await;
    report
        .assert_status(200)
        .assert_contains("De straat wordt groener.")
        .assert_contains("Er komen twaalf nieuwe bomen.")
        .assert_contains("Eerder beginnen.")
        .assert_not_contains("Ineke");
    let pdf = anon
        .get(&format!("/haarlem/trajecten/{id}/eindverslag.pdf"))
        .await;
    pdf.assert_status(200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.body.starts_with("%PDF-"));
    anon.get(&format!(
        "/haarlem/trajecten/{id}/participatieverslag-omgevingswet"
    ))
    .await
    .assert_status(200)
    .assert_contains("Heeft participatie plaatsgevonden?")
    .assert_contains("Inloopavond");
    anon.get(&format!(
        "/haarlem/trajecten/{id}/participatieverslag-omgevingswet.pdf"
    ))
    .await
    .assert_status(200);

    // Closed: no more reactions, and the list shows it as finished.
    resident
        .post_form(
            &format!("/haarlem/trajecten/{id}/reageren"),
            &[("body", "Nog een reactie")],
        )
        .await
        .assert_status(422)
        .assert_contains("niet (meer) reageren");
    anon.get("/haarlem/trajecten?fase=afgerond")
        .await
        .assert_contains(title);

    // Every step is in the audit log.
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE object_type = 'trajectory' AND object_id = $1",
    )
    .bind(id)
    .fetch_all(app.db().pool())
    .await
    .expect("audit");
    for a in [
        "trajectory.created",
        "trajectory.published",
        "trajectory.closed",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} missing in {actions:?}");
    }
});

both_backends!(step_plan_rejects_bad_input_and_keeps_it, |app| async move {
    let staff = app.session_as("procesbegeleider@haarlem.demo").await;
    staff
        .post_form("/haarlem/beheer/trajecten/nieuw", &[("title", "")])
        .await
        .assert_status(422)
        .assert_contains("Vul dit veld in");
    let long = "x".repeat(201);
    staff
        .post_form("/haarlem/beheer/trajecten/nieuw", &[("title", &long)])
        .await
        .assert_status(422)
        .assert_contains("te lang");
    staff
        .post_form(
            "/haarlem/beheer/trajecten/nieuw",
            &[
                ("title", "Invoertest"),
                ("area_id", "999999"),
                ("action", "save"),
            ],
        )
        .await
        .assert_status(422);
    staff
        .post_form(
            "/haarlem/beheer/trajecten/nieuw",
            &[
                ("title", "Invoertest'; DROP TABLE trajectories; --"),
                ("action", "save"),
            ],
        )
        .await
        .assert_status(303);
    let id = trajectory_id(&app, "Invoertest'; DROP TABLE trajectories; --").await;
    let p = staff
        .post_form(
            &format!("/haarlem/beheer/trajecten/{id}/stap/6"),
            &[
                ("phase1_name", "Omgekeerd"),
                ("phase1_starts_on", "2027-03-01"),
                ("phase1_ends_on", "2027-02-01"),
                ("phase2_name", "Geen datum"),
                ("phase2_starts_on", "morgen"),
            ],
        )
        .await;
    p.assert_status(422)
        .assert_contains("De einddatum ligt vóór de begindatum.")
        .assert_contains("Vul een datum in")
        .assert_contains("value=\"Omgekeerd\"")
        .assert_contains("value=\"morgen\"");
    let phases: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM trajectory_phases WHERE trajectory_id = $1")
            .bind(id)
            .fetch_one(app.db().pool())
            .await
            .expect("count");
    assert_eq!(phases, 0, "nothing half-written");
    staff
        .post_form(
            &format!("/haarlem/beheer/trajecten/{id}/stap/7"),
            &[("activity1_title", "Zonder vorm")],
        )
        .await
        .assert_status(422)
        .assert_contains("Maak een keuze");
    staff
        .post_form(
            &format!("/haarlem/beheer/trajecten/{id}/stap/5"),
            &[("ladder_position", "99")],
        )
        .await
        .assert_status(422);
    staff
        .get(&format!("/haarlem/beheer/trajecten/{id}/stap/10"))
        .await
        .assert_status(404);
    staff
        .get("/haarlem/beheer/trajecten/abc/stap/1")
        .await
        .assert_status(404);
});

both_backends!(
    participatiegids_advises_and_applies_a_level,
    |app| async move {
        let staff = app.session_as("procesbegeleider@haarlem.demo").await;
        staff
            .post_form(
                "/haarlem/beheer/trajecten/nieuw",
                &[("title", "Gidstest"), ("action", "save")],
            )
            .await
            .assert_status(303);
        let id = trajectory_id(&app, "Gidstest").await;
        let g = format!("/haarlem/beheer/trajecten/{id}/gids");
        staff
            .post_form(&g, &[("room", "kaders")])
            .await
            .assert_status(422)
            .assert_contains("Maak een keuze");
        let p = staff
            .post_form(
                &g,
                &[
                    ("room", "kaders"),
                    ("impact", "groot"),
                    ("reach", "wijk"),
                    ("knowledge", "nee"),
                    ("divided", "ja"),
                    ("time", "maanden"),
                    ("groups", "jongeren"),
                ],
            )
            .await;
        // Standard ladder: within frames + big impact -> adviseren (3), with reasons and forms.
        p.assert_status(200)
            .assert_contains("Geadviseerd niveau: 3. Adviseren")
            .assert_contains("De gevolgen zijn groot")
            .assert_contains("Jongeren: via school");
        staff
            .post_form(&format!("{g}/toepassen"), &[])
            .await
            .assert_status(303);
        let pos: Option<i64> =
            sqlx::query_scalar("SELECT ladder_position FROM trajectories WHERE id = $1")
                .bind(id)
                .fetch_one(app.db().pool())
                .await
                .expect("pos");
        assert_eq!(pos, Some(3));
    }
);

both_backends!(no_access_across_municipalities_or_roles, |app| async move {
    let id = trajectory_id(&app, "Een groener en veiliger plein").await;
    let haarlem_draft: i64 = sqlx::query_scalar(
        "SELECT t.id FROM trajectories t JOIN tenants n ON n.id = t.tenant_id \
         WHERE n.slug = 'haarlem' AND t.status = 'concept'",
    )
    .fetch_one(app.db().pool())
    .await
    .expect("draft");
    let other = app.session_as("procesbegeleider@zaanstad.demo").await;
    other
        .get(&format!("/haarlem/beheer/trajecten/{haarlem_draft}/stap/1"))
        .await
        .assert_status(403);
    other
        .get(&format!("/haarlem/trajecten/{haarlem_draft}"))
        .await
        .assert_status(404);
    // A Haarlem trajectory is not reachable under Zaanstad's address either.
    let zaanstad_staff = app.session_as("beheerder@zaanstad.demo").await;
    let haarlem_id: i64 = sqlx::query_scalar(
        "SELECT t.id FROM trajectories t JOIN tenants n ON n.id = t.tenant_id \
         WHERE n.slug = 'haarlem' AND t.title = 'Een groener en veiliger plein'",
    )
    .fetch_one(app.db().pool())
    .await
    .expect("haarlem trajectory");
    zaanstad_staff
        .get(&format!("/zaanstad/beheer/trajecten/{haarlem_id}/reacties"))
        .await
        .assert_status(404);
    zaanstad_staff
        .get(&format!("/zaanstad/trajecten/{haarlem_id}"))
        .await
        .assert_status(404);
    let _ = id;
    let resident = app.session_as("inwoner@haarlem.demo").await;
    resident
        .get("/haarlem/beheer/trajecten")
        .await
        .assert_status(403);
    let moderator = app.session_as("moderator@haarlem.demo").await;
    moderator
        .get("/haarlem/beheer/trajecten")
        .await
        .assert_status(403);
});

both_backends!(
    list_filters_and_api_survive_bad_parameters,
    |app| async move {
        let anon = app.new_session();
        for q in [
            "?gebied=abc&thema=-1&fase=%3Cscript%3E&pagina=999999999999",
            "?pagina=-5",
            "?fase=verwerking",
            "?gebied=1%27%20OR%201%3D1",
        ] {
            anon.get(&format!("/haarlem/trajecten{q}"))
                .await
                .assert_status(200);
        }
        anon.get("/haarlem/trajecten?fase=verwerking")
            .await
            .assert_contains("Parkeren in de binnenstad")
            .assert_not_contains("Woningbouw op het oude sportpark");
        anon.get("/api/v1/haarlem/trajecten?fase=onzin")
            .await
            .assert_status(400);
        let list = anon.get("/api/v1/haarlem/trajecten").await;
        list.assert_status(200);
        let v: serde_json::Value = serde_json::from_str(&list.body).expect("json");
        let titles: Vec<&str> = v["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|i| i["title"].as_str())
            .collect();
        assert!(titles.contains(&"Parkeren in de binnenstad"));
        assert!(
            !titles.contains(&"Fietsroute langs het Spaarne"),
            "drafts are not open data"
        );
        let spec = anon.get("/api/openapi.json").await;
        spec.assert_status(200)
            .assert_contains("/api/v1/{tenant}/trajecten/{id}");
        anon.get("/api/v1/onbekend/trajecten")
            .await
            .assert_status(404);
        anon.get("/haarlem/trajecten/99999999")
            .await
            .assert_status(404);
        anon.get("/haarlem/trajecten/1e9").await.assert_status(404);
    }
);

both_backends!(moderator_hides_and_shows_a_reaction, |app| async move {
    let id = trajectory_id(&app, "Een groener en veiliger plein").await;
    let resident = app.session_as("inwoner@haarlem.demo").await;
    resident
        .post_form(
            &format!("/haarlem/trajecten/{id}/reageren"),
            &[("body", "Scheldwoorden die hier niet horen")],
        )
        .await
        .assert_status(303);
    let rid: i64 = sqlx::query_scalar("SELECT MAX(id) FROM reactions WHERE trajectory_id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .expect("reaction");
    let hide = format!("/haarlem/moderatie/{rid}/verbergen");
    // Neither residents, other municipalities nor anonymous visitors may moderate.
    resident
        .post_form(&hide, &[("reason", "x y z")])
        .await
        .assert_status(403);
    app.session_as("moderator@zaanstad.demo")
        .await
        .post_form(
            &format!("/zaanstad/moderatie/{rid}/verbergen"),
            &[("reason", "Spelregels")],
        )
        .await
        .assert_status(404);
    let moderator = app.session_as("moderator@haarlem.demo").await;
    let list = moderator.get("/haarlem/moderatie").await;
    list.assert_status(200)
        .assert_contains("Scheldwoorden die hier niet horen");
    // A reason is required; nothing changes without one.
    moderator
        .post_form(&hide, &[("reason", "")])
        .await
        .assert_status(422)
        .assert_contains("id=\"reason-fout\"");
    let hidden: i64 = sqlx::query_scalar("SELECT hidden FROM reactions WHERE id = $1")
        .bind(rid)
        .fetch_one(app.db().pool())
        .await
        .expect("hidden");
    assert_eq!(hidden, 0);
    moderator
        .post_form(&hide, &[("reason", "Beledigend (spelregel 2)")])
        .await
        .assert_redirect("/haarlem/moderatie");
    // The public page keeps a placeholder with the reason, not the text.
    let page = app
        .new_session()
        .get(&format!("/haarlem/trajecten/{id}"))
        .await;
    page.assert_status(200)
        .assert_contains(&format!("id=\"reactie-{rid}\""))
        .assert_contains("Deze reactie is verborgen door de moderatie.")
        .assert_contains("Beledigend (spelregel 2)")
        .assert_not_contains("Scheldwoorden die hier niet horen");
    // Not in the API, counted nowhere, and the author is told (page and e-mail).
    let api = app
        .new_session()
        .get(&format!("/api/v1/haarlem/trajecten/{id}"))
        .await;
    api.assert_not_contains("Scheldwoorden");
    resident
        .get("/haarlem/mijn-reacties")
        .await
        .assert_contains("Uw reactie is verborgen door de moderatie.");
    let (subject, body) = app
        .last_mail_to("haarlem", "inwoner@haarlem.demo")
        .await
        .expect("mail to the author");
    assert!(subject.contains("verborgen"), "{subject}");
    assert!(body.contains("Beledigend (spelregel 2)"), "{body}");
    // The decision is in the audit log, with the reason.
    let (action, summary): (String, String) = sqlx::query_as(
        "SELECT action, summary FROM audit_log WHERE object_type = 'reaction' AND object_id = $1 \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(rid)
    .fetch_one(app.db().pool())
    .await
    .expect("audit");
    assert_eq!(action, "reaction.hidden");
    assert!(summary.contains("Beledigend"), "{summary}");
    // The civil servant need not process it.
    app.session_as("procesbegeleider@haarlem.demo")
        .await
        .get(&format!("/haarlem/beheer/trajecten/{id}/reacties"))
        .await
        .assert_contains("Een verborgen reactie hoeft niet verwerkt te worden.");
    moderator
        .get("/haarlem/moderatie?verborgen=1")
        .await
        .assert_contains("Beledigend (spelregel 2)");
    // Shown again: the text is back and the log says so.
    moderator
        .post_form(&format!("/haarlem/moderatie/{rid}/tonen"), &[])
        .await
        .assert_redirect("/haarlem/moderatie");
    app.new_session()
        .get(&format!("/haarlem/trajecten/{id}"))
        .await
        .assert_contains("Scheldwoorden die hier niet horen");
    let action: String = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE object_type = 'reaction' AND object_id = $1 \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(rid)
    .fetch_one(app.db().pool())
    .await
    .expect("audit");
    assert_eq!(action, "reaction.shown");
});
