//! Burgerberaad: the civil servant's set up-invite-select-publish journey with the bad
//! input of every step, the resident's register-withdraw journey, the replay of the
//! invitation draw and of the panel selection (with the real `meedoen sortition`
//! command), replacements, meetings and recommendations, retention, infeasible quotas
//! and an interrupted selection job; on both backends.

use crate::common::{FilePart, Session, TestApp};
use std::time::{Duration, Instant};

const B: &str = "/haarlem/beheer/burgerberaad";

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

async fn wijk_codes(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT a.code FROM areas a JOIN tenants t ON t.id = a.tenant_id \
         WHERE t.slug = 'haarlem' AND a.kind = 'wijk' ORDER BY a.code LIMIT 3",
    )
    .fetch_all(app.db().pool())
    .await
    .expect("wijken")
}

async fn trajectory(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT id FROM trajectories WHERE title = 'Een groener en veiliger plein' AND tenant_id = $1")
        .bind(app.tenant_id("haarlem").await)
        .fetch_one(app.db().pool())
        .await
        .expect("trajectory")
}

/// A persons register: `n` persons, two per address, over the given wijken.
fn register(n: usize, wijken: &[String]) -> String {
    let mut s = String::from("persoonsnummer;naam;adres;postcode;woonplaats;wijk\n");
    for i in 0..n {
        let house = i / 2;
        s.push_str(&format!(
            "{};Inwoner {i};Teststraat {house};2011 AB;Haarlem;{}\n",
            1000 + i,
            wijken[house % wijken.len()]
        ));
    }
    s
}

async fn create(app: &TestApp, staff: &Session, title: &str) -> i64 {
    let traj = trajectory(app).await.to_string();
    let p = staff
        .post_form(
            &format!("{B}/nieuw"),
            &[
                ("trajectory_id", &traj),
                ("title", title),
                ("question", "Hoe maken we het plein groener?"),
                ("panel_size", "6"),
                ("invite_count", "40"),
                ("registration_deadline", &day(10)),
                ("starts_on", &day(20)),
                ("ends_on", &day(40)),
                ("features", "geslacht"),
                ("features", "leeftijd"),
                ("features", "wijk"),
                (
                    "consent_text",
                    "Wij gebruiken uw gegevens alleen voor de loting.",
                ),
                ("retention_days", "0"),
            ],
        )
        .await;
    p.assert_status(303);
    let id: i64 = sqlx::query_scalar("SELECT id FROM ba_assemblies WHERE title = $1")
        .bind(title)
        .fetch_one(app.db().pool())
        .await
        .expect("assembly");
    p.assert_redirect(&format!("{B}/{id}/quota"));
    id
}

async fn upload(staff: &Session, id: i64, csv: &str, seed: &str) -> crate::common::Page {
    staff
        .post_multipart(
            &format!("{B}/{id}/uitnodigen"),
            &[("seed", seed)],
            &[FilePart {
                field: "register",
                filename: "brp.csv",
                content_type: "text/csv",
                bytes: csv.as_bytes(),
            }],
        )
        .await
}

/// Every quota loose (0..=size), saved through the form.
async fn loose_quotas(app: &TestApp, staff: &Session, id: i64) {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ba_quotas WHERE assembly_id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let mut fields: Vec<(String, String)> = vec![("action".into(), "save".into())];
    for i in 0..n {
        fields.push((format!("q{i}_min"), "0".into()));
        fields.push((format!("q{i}_max"), "6".into()));
    }
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    staff
        .post_form(&format!("{B}/{id}/quota"), &refs)
        .await
        .assert_status(303);
}

async fn job_page_of(app: &TestApp, id: i64) -> String {
    let job: i64 = sqlx::query_scalar("SELECT selection_job_id FROM ba_assemblies WHERE id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .expect("selection job");
    format!("/haarlem/taken/{job}")
}

async fn wait_for_job(s: &Session, job_page: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let p = s.get(&format!("{job_page}/status")).await;
        p.assert_status(200);
        let v: serde_json::Value = serde_json::from_str(&p.body).expect("status JSON");
        if v["finished"] == true {
            return v;
        }
        assert!(Instant::now() < deadline, "job did not finish: {v}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

fn register_fields<'a>(code: &'a str, gender: &'a str, age: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("code", code),
        ("f_geslacht", gender),
        ("f_leeftijd", age),
        ("available", "1"),
        ("name", "Test Inwoner"),
        ("email", "test.inwoner@voorbeeld.nl"),
        ("phone", ""),
        ("consent", "1"),
    ]
}

both_backends!(civil_servant_and_resident_journey, |app| async move {
    let staff = app.session_as("procesbegeleider@haarlem.demo").await;
    staff
        .get(B)
        .await
        .assert_status(200)
        .assert_text_contains("Burgerberaad over het oude sportpark");

    // --- 1. Set up, with bad input first.
    let bad = staff.post_form(&format!("{B}/nieuw"), &[]).await;
    bad.assert_status(422)
        .assert_text_contains("Kies minstens één kenmerk");
    let traj = trajectory(&app).await.to_string();
    let bad = staff
        .post_form(
            &format!("{B}/nieuw"),
            &[
                ("trajectory_id", &traj),
                ("title", "X"),
                ("question", "Y"),
                ("panel_size", "30"),
                ("invite_count", "10"),
                ("registration_deadline", &day(30)),
                ("starts_on", &day(20)),
                ("ends_on", &day(10)),
                ("features", "geslacht"),
                ("consent_text", "Z"),
                ("retention_days", "90"),
            ],
        )
        .await;
    bad.assert_status(422)
        .assert_text_contains("minstens zoveel uitnodigingen")
        .assert_text_contains("vóór de eerste bijeenkomst")
        .assert_text_contains("niet vóór de eerste zijn");
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ba_assemblies")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let id = create(&app, &staff, "Testberaad plein").await;

    // Quotas proposed from the CBS figures: the wijk rows carry their population.
    let q = staff.get(&format!("{B}/{id}/quota")).await;
    q.assert_status(200).assert_text_contains("Inwoners");
    let with_pop: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ba_quotas WHERE assembly_id = $1 AND feature = 'wijk' AND population > 0",
    )
    .bind(id)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert!(with_pop > 10, "wijk quotas carry CBS population");
    assert_eq!(
        before + 1,
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM ba_assemblies")
            .fetch_one(app.db().pool())
            .await
            .unwrap()
    );
    // Quotas that do not add up.
    let n_quotas: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ba_quotas WHERE assembly_id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let mut fields: Vec<(String, String)> = vec![("action".into(), "save".into())];
    for i in 0..n_quotas {
        let (min, max) = match i {
            0 => ("5", "2"),
            1 => ("4", "6"),
            _ => ("0", "6"),
        };
        fields.push((format!("q{i}_min"), min.into()));
        fields.push((format!("q{i}_max"), max.into()));
    }
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let p = staff.post_form(&format!("{B}/{id}/quota"), &refs).await;
    p.assert_status(422)
        .assert_text_contains("groter dan het maximum")
        .assert_text_contains("tellen op tot 9, meer dan de 6 plaatsen");
    loose_quotas(&app, &staff, id).await;

    // --- 2. Register import: every problem with its line, nothing written.
    let wijken = wijk_codes(&app).await;
    let broken = format!(
        "persoonsnummer;naam;adres;postcode;woonplaats;wijk\n\
         1;A;Straat 1;2011 AB;Haarlem;{w}\n\
         1;B;Straat 2;2011 AB;Haarlem;{w}\n\
         3;C;Straat 3;20110;Haarlem;{w}\n\
         4;D;Straat 4;2011 AB;Haarlem;WK999999\n\
         5;E;Straat 5\n",
        w = wijken[0]
    );
    let p = upload(&staff, id, &broken, "7").await;
    p.assert_status(422)
        .assert_text_contains("Regel 3: Persoonsnummer 1 staat er al op regel 2")
        .assert_text_contains("Regel 4:")
        .assert_text_contains("Regel 5:")
        .assert_text_contains("Regel 6:")
        .assert_text_contains("Er is niets opgeslagen");
    upload(&staff, id, "naam;adres\nA;B\n", "7")
        .await
        .assert_status(422)
        .assert_text_contains("Deze kolommen ontbreken");
    upload(&staff, id, &register(120, &wijken), "zeven")
        .await
        .assert_status(422)
        .assert_text_contains("heel getal");
    let addr_dup = format!(
        "adres;postcode;woonplaats;wijk\nStraat 1;2011 AB;Haarlem;{w}\nstraat 1;2011AB;Haarlem;{w}\n",
        w = wijken[0]
    );
    upload(&staff, id, &addr_dup, "7")
        .await
        .assert_status(422)
        .assert_text_contains("Dit adres staat er al op regel 2");
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ba_invitations WHERE assembly_id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing half-written");

    // The draw: 40 invitations, one per address, stratified by wijk; replayable.
    let csv = register(120, &wijken);
    upload(&staff, id, &csv, "12345").await.assert_status(303);
    upload(&staff, id, &csv, "12345").await.assert_status(409);
    let drawn: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, address FROM ba_invitations WHERE assembly_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert_eq!(drawn.len(), 40);
    let addresses: std::collections::HashSet<&String> = drawn.iter().map(|d| &d.1).collect();
    assert_eq!(addresses.len(), 40, "at most one invitation per address");
    let id2 = create(&app, &staff, "Testberaad naspelen").await;
    upload(&staff, id2, &csv, "12345").await.assert_status(303);
    let replay: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, address FROM ba_invitations WHERE assembly_id = $1 ORDER BY position",
    )
    .bind(id2)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert_eq!(drawn, replay, "same file + same seed = same draw");
    let show = staff.get(&format!("{B}/{id}")).await;
    show.assert_status(200).assert_text_contains("seed 12345");

    // Letters: CSV for the print shop with a code per invitee; only hashes stored.
    let letters = staff.get(&format!("{B}/{id}/brieven.csv")).await;
    letters.assert_status(200);
    let lines: Vec<&str> = letters.body.lines().collect();
    assert_eq!(lines.len(), 41);
    let codes: Vec<String> = lines[1..]
        .iter()
        .map(|l| l.split(';').nth(6).unwrap().to_string())
        .collect();
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM ba_invitations WHERE code_hash = $1")
            .bind(&codes[0])
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(stored, 0, "codes are stored only as hashes");
    let pdf = staff.get(&format!("{B}/{id}/brieven.pdf")).await;
    pdf.assert_status(200);
    assert!(pdf.body.starts_with("%PDF"));

    // --- 3. Residents register with their codes.
    let resident = app.new_session();
    let reg = format!("/haarlem/burgerberaad/{id}/aanmelden");
    resident
        .get(&reg)
        .await
        .assert_status(200)
        .assert_text_contains("Uw persoonlijke code");
    resident
        .post_form(&reg, &register_fields("ZZZZ-ZZZZ-ZZZZ", "vrouw", "25-44"))
        .await
        .assert_status(422)
        .assert_text_contains("Deze code kennen we niet");
    let mut no_consent = register_fields(&codes[0], "vrouw", "25-44");
    no_consent.retain(|(k, _)| *k != "consent");
    resident
        .post_form(&reg, &no_consent)
        .await
        .assert_status(422)
        .assert_text_contains("Zonder toestemming");
    let genders = ["vrouw", "man"];
    let ages = ["16-24", "25-44", "45-64", "65+"];
    let mut withdraw_link = String::new();
    for (k, code) in codes.iter().take(12).enumerate() {
        // Codes are accepted however they are typed.
        let typed = if k == 1 {
            code.to_lowercase().replace('-', " ")
        } else {
            code.clone()
        };
        let p = resident
            .post_form(&reg, &register_fields(&typed, genders[k % 2], ages[k % 4]))
            .await;
        p.assert_status(200)
            .assert_text_contains("U bent aangemeld");
        if k == 0 {
            let start = p.body.find("/afmelden/").expect("withdraw link");
            let end = p.body[start..].find('"').unwrap();
            withdraw_link = format!("/haarlem/burgerberaad/{id}{}", &p.body[start..start + end]);
        }
    }
    resident
        .post_form(&reg, &register_fields(&codes[0], "vrouw", "25-44"))
        .await
        .assert_status(422)
        .assert_text_contains("Met deze code heeft iemand zich al aangemeld");
    let (to, body): (String, String) = sqlx::query_as(
        "SELECT to_addr, body_text FROM outbox WHERE subject LIKE '%burgerberaad%' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(to, "test.inwoner@voorbeeld.nl");
    assert!(body.contains("/afmelden/"));

    // Staff see the response per wijk and feature against the population.
    staff
        .get(&format!("{B}/{id}"))
        .await
        .assert_text_contains("12 aanmeldingen op 40 uitnodigingen")
        .assert_text_contains("Aandeel in de bevolking");

    // Withdraw: with the link, and with the code.
    resident
        .get(&withdraw_link)
        .await
        .assert_status(200)
        .assert_text_contains("zeker");
    let token = withdraw_link.rsplit('/').next().unwrap().to_string();
    resident
        .post_form(
            &format!("/haarlem/burgerberaad/{id}/afmelden"),
            &[("token", &token)],
        )
        .await
        .assert_status(200)
        .assert_text_contains("U bent afgemeld");
    resident
        .post_form(
            &format!("/haarlem/burgerberaad/{id}/afmelden"),
            &[("code", &codes[0])],
        )
        .await
        .assert_status(422)
        .assert_text_contains("al ingetrokken");
    resident
        .post_form(
            &format!("/haarlem/burgerberaad/{id}/afmelden"),
            &[("code", &codes[1])],
        )
        .await
        .assert_status(200)
        .assert_text_contains("U bent afgemeld");

    // --- 4. Selection as a job; the result; publication; the replay.
    let not_yet = app
        .new_session()
        .get(&format!("/haarlem/burgerberaad/{id}/loting"))
        .await;
    not_yet
        .assert_status(200)
        .assert_text_contains("nog niet openbaar");
    app.new_session()
        .get(&format!("/haarlem/burgerberaad/{id}/loting/deelnemers.csv"))
        .await
        .assert_status(404);
    // Registration is still open: selecting needs an explicit confirmation.
    staff
        .post_form(
            &format!("{B}/{id}/selectie"),
            &[("algorithm", "leximin"), ("seed", "987654321")],
        )
        .await
        .assert_status(422)
        .assert_text_contains("De aanmeldtermijn loopt nog tot en met");
    let job: Option<i64> =
        sqlx::query_scalar("SELECT selection_job_id FROM ba_assemblies WHERE id = $1")
            .bind(id)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(job, None, "a selection started without confirmation");
    let started = staff
        .post_form(
            &format!("{B}/{id}/selectie"),
            &[
                ("algorithm", "leximin"),
                ("seed", "987654321"),
                ("early", "1"),
            ],
        )
        .await;
    started.assert_redirect(&format!("{B}/{id}/selectie"));
    let job_page = job_page_of(&app, id).await;
    staff.get(&job_page).await.assert_contains("<progress");
    let v = wait_for_job(&staff, &job_page).await;
    assert_eq!(v["status"], "done", "{v}");
    let result_url = v["result_url"].as_str().expect("result url").to_string();
    assert_eq!(result_url, format!("{B}/{id}/selectie"));
    let result = staff.get(&result_url).await;
    result
        .assert_status(200)
        .assert_text_contains("De 6 leden")
        .assert_text_contains("%");
    let probs: Vec<f64> = sqlx::query_scalar(
        "SELECT probability FROM ba_registrations WHERE assembly_id = $1 AND status = 'aangemeld'",
    )
    .bind(id)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert_eq!(probs.len(), 10);
    // Loose quotas, 10 people, 6 seats: LEXIMIN gives everyone 0.6.
    assert!(probs.iter().all(|p| (p - 0.6).abs() < 1e-6), "{probs:?}");
    staff
        .post_form(&format!("{B}/{id}/publiceren"), &[])
        .await
        .assert_status(303);
    let public = app.new_session();
    let t = public
        .get(&format!("/haarlem/burgerberaad/{id}/loting"))
        .await;
    t.assert_status(200)
        .assert_text_contains("987654321")
        .assert_text_contains("meedoen sortition select --categories categorieen.csv --people deelnemers.csv --panel-size 6 --algorithm leximin --seed 987654321")
        .assert_not_contains("Test Inwoner");
    let cats = public
        .get(&format!(
            "/haarlem/burgerberaad/{id}/loting/categorieen.csv"
        ))
        .await;
    cats.assert_status(200);
    let people = public
        .get(&format!("/haarlem/burgerberaad/{id}/loting/deelnemers.csv"))
        .await;
    people.assert_status(200);
    assert!(
        !people.body.contains("Inwoner"),
        "no names in the public pool"
    );
    let panel_json: String =
        sqlx::query_scalar("SELECT panel FROM ba_selections WHERE assembly_id = $1")
            .bind(id)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    let mut expected: Vec<String> = serde_json::from_str(&panel_json).unwrap();
    for pid in &expected {
        t.assert_text_contains(pid);
    }
    // The replay with the real command.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("categorieen.csv"), &cats.body).unwrap();
    std::fs::write(dir.path().join("deelnemers.csv"), &people.body).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_meedoen"))
        .current_dir(dir.path())
        .args([
            "sortition",
            "select",
            "--categories",
            "categorieen.csv",
            "--people",
            "deelnemers.csv",
            "--panel-size",
            "6",
            "--algorithm",
            "leximin",
            "--seed",
            "987654321",
            "--json",
        ])
        .output()
        .expect("run meedoen sortition");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let replayed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut got: Vec<String> = replayed["panel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "the public replay gives the same panel");

    // --- 5. A member withdraws: a replacement with the same features, logged.
    let members: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, features FROM ba_registrations WHERE assembly_id = $1 AND panel_status = 'lid' ORDER BY id",
    )
    .bind(id)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    let (member, features) = members[0].clone();
    staff
        .post_form(&format!("{B}/{id}/leden/{member}/vervangen"), &[])
        .await
        .assert_status(303);
    let (new_features, replaces): (String, Option<i64>) = sqlx::query_as(
        "SELECT features, replaces_id FROM ba_registrations WHERE assembly_id = $1 AND panel_status = 'lid' \
         AND replaces_id IS NOT NULL",
    )
    .bind(id)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(replaces, Some(member));
    let same = new_features == features;
    let logged: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'burgerberaad.replaced' AND object_id = $1",
    )
    .bind(id)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(logged, 1);
    let lid_count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ba_registrations WHERE assembly_id = $1 AND panel_status = 'lid'",
    )
    .bind(id)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(lid_count, 6);
    let _ = same;
    // Not a member: refused.
    staff
        .post_form(&format!("{B}/{id}/leden/{member}/vervangen"), &[])
        .await
        .assert_status(409);

    // --- 6. Meetings, attendance, recommendations with responses.
    let course = format!("{B}/{id}/verloop");
    staff.get(&course).await.assert_status(200);
    staff
        .post_form(
            &format!("{B}/{id}/bijeenkomsten"),
            &[("meeting_title", ""), ("held_on", "gisteren")],
        )
        .await
        .assert_status(422);
    staff
        .post_form(
            &format!("{B}/{id}/bijeenkomsten"),
            &[
                ("meeting_title", "Eerste avond"),
                ("held_on", &day(20)),
                ("place", "Stadhuis"),
            ],
        )
        .await
        .assert_status(303);
    let meeting: i64 = sqlx::query_scalar("SELECT id FROM ba_meetings WHERE assembly_id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let present = members[1].0.to_string();
    staff
        .post_form(
            &format!("{B}/{id}/bijeenkomsten/{meeting}"),
            &[("present", &present)],
        )
        .await
        .assert_status(303);
    staff
        .get(&course)
        .await
        .assert_text_contains("1 van de 6 leden aanwezig");
    staff
        .post_form(
            &format!("{B}/{id}/aanbevelingen"),
            &[
                ("rec_title", "Meer bomen"),
                ("rec_body", "Plant twintig bomen."),
                ("support_pct", "91"),
            ],
        )
        .await
        .assert_status(303);
    let rec: i64 = sqlx::query_scalar("SELECT id FROM ba_recommendations WHERE assembly_id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    staff
        .post_form(
            &format!("{B}/{id}/aanbevelingen/{rec}"),
            &[
                ("follow_up", "overgenomen"),
                ("published", "1"),
                ("response", "Wij planten ze."),
            ],
        )
        .await
        .assert_status(422)
        .assert_text_contains("Kies wie reageert");
    staff
        .post_form(
            &format!("{B}/{id}/aanbevelingen/{rec}"),
            &[
                ("follow_up", "overgenomen"),
                ("responder", "college"),
                ("published", "1"),
                ("response", "Wij planten ze."),
            ],
        )
        .await
        .assert_status(303);
    app.new_session()
        .get(&format!("/haarlem/burgerberaad/{id}"))
        .await
        .assert_text_contains("Meer bomen")
        .assert_text_contains("Reactie van het college: Wij planten ze.")
        .assert_text_contains("Overgenomen");

    // --- 7. Finish; after the retention period the personal data goes, figures stay.
    staff
        .post_form(&format!("{B}/{id}/afronden"), &[])
        .await
        .assert_status(303);
    let run_after: i64 = sqlx::query_scalar(
        "SELECT run_after FROM jobs WHERE kind = 'burgerberaad.bewaartermijn' AND payload LIKE $1",
    )
    .bind(format!("%\"assembly\":{id}}}%"))
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert!(
        run_after > chrono::Utc::now().timestamp(),
        "scheduled after the end"
    );
    // Time passes: the assembly ended long ago.
    sqlx::query("UPDATE ba_assemblies SET ends_on = '2020-01-01' WHERE id = $1")
        .bind(id)
        .execute(app.db().writer())
        .await
        .unwrap();
    sqlx::query("UPDATE jobs SET run_after = 0 WHERE kind = 'burgerberaad.bewaartermijn' AND payload LIKE $1")
        .bind(format!("%\"assembly\":{id}}}%"))
        .execute(app.db().writer())
        .await
        .unwrap();
    app.state.jobs.wake();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done: Option<i64> =
            sqlx::query_scalar("SELECT anonymised_at FROM ba_assemblies WHERE id = $1")
                .bind(id)
                .fetch_one(app.db().pool())
                .await
                .unwrap();
        if done.is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "retention job did not run");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let left: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ba_registrations WHERE assembly_id = $1 AND (name <> '' OR email <> '')",
    )
    .bind(id)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(left, 0, "personal data deleted");
    let names: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ba_invitations WHERE assembly_id = $1 AND (name <> '' OR address <> '')",
    )
    .bind(id)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(names, 0);
    let logged: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'burgerberaad.anonymised' AND object_id = $1",
    )
    .bind(id)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(logged, 1);
    staff
        .get(&format!("{B}/{id}"))
        .await
        .assert_text_contains("10 aanmeldingen op 40 uitnodigingen")
        .assert_text_contains("persoonsgegevens zijn verwijderd");
    staff
        .get(&format!("{B}/{id}/brieven.csv"))
        .await
        .assert_status(410);
    app.new_session()
        .get(&format!("/haarlem/burgerberaad/{id}/loting"))
        .await
        .assert_status(200)
        .assert_text_contains("987654321");
});

both_backends!(demo_codes_deadline_and_other_tenants, |app| async move {
    // The running demo assembly takes the codes documented in the README.
    let id: i64 = sqlx::query_scalar(
        "SELECT id FROM ba_assemblies WHERE title = 'Burgerberaad Groen en veilig plein'",
    )
    .fetch_one(app.db().pool())
    .await
    .expect("running demo assembly");
    let code = meedoen::modules::burgerberaad::demo::demo_code(&app.state, 1)
        .await
        .unwrap();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    assert!(
        readme.contains(&code),
        "README documents the demo code {code}"
    );
    let reg = format!("/haarlem/burgerberaad/{id}/aanmelden");
    let resident = app.new_session();
    let mut f = register_fields(&code, "man", "65+");
    f.push(("f_opleiding", "midden"));
    resident
        .post_form(&reg, &f)
        .await
        .assert_status(200)
        .assert_text_contains("U bent aangemeld");
    // After the deadline: a clear message and nothing stored.
    sqlx::query("UPDATE ba_assemblies SET registration_deadline = $1 WHERE id = $2")
        .bind(day(-1))
        .bind(id)
        .execute(app.db().writer())
        .await
        .unwrap();
    let code2 = meedoen::modules::burgerberaad::demo::demo_code(&app.state, 2)
        .await
        .unwrap();
    let mut f = register_fields(&code2, "man", "65+");
    f.push(("f_opleiding", "midden"));
    resident
        .post_form(&reg, &f)
        .await
        .assert_status(422)
        .assert_text_contains("Aanmelden is gesloten");
    resident
        .get(&reg)
        .await
        .assert_status(200)
        .assert_text_contains("Dat kan nu niet meer");
    let used: i64 = sqlx::query_scalar(
        "SELECT used FROM ba_invitations WHERE assembly_id = $1 AND position = 2",
    )
    .bind(id)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(used, 0);
    // Another municipality's staff do not see Haarlem's assembly.
    let z = app.session_as("procesbegeleider@zaanstad.demo").await;
    z.get(&format!("/zaanstad/beheer/burgerberaad/{id}"))
        .await
        .assert_status(404);
    app.new_session()
        .get(&format!("/zaanstad/burgerberaad/{id}"))
        .await
        .assert_status(404);
    // The finished demo assembly: public recommendations with responses.
    let done: i64 = sqlx::query_scalar(
        "SELECT a.id FROM ba_assemblies a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = 'haarlem' AND a.status = 'afgerond'",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    app.new_session()
        .get(&format!("/haarlem/burgerberaad/{done}"))
        .await
        .assert_text_contains("Reactie van de gemeenteraad")
        .assert_text_contains("Deels overgenomen");
    app.new_session()
        .get("/haarlem")
        .await
        .assert_text_contains("Burgerberaden");

    // A resident's registration is in the export of their account's data and loses its
    // contact details when the account is deleted.
    let resident = app.session_as("inwoner@haarlem.demo").await;
    let code3 = meedoen::modules::burgerberaad::demo::demo_code(&app.state, 3)
        .await
        .unwrap();
    sqlx::query("UPDATE ba_assemblies SET registration_deadline = $1 WHERE id = $2")
        .bind(day(5))
        .bind(id)
        .execute(app.db().writer())
        .await
        .unwrap();
    let mut f = register_fields(&code3, "vrouw", "45-64");
    f.retain(|(k, _)| *k != "email");
    f.push(("email", "inwoner@haarlem.demo"));
    f.push(("f_opleiding", "hoog"));
    resident.post_form(&reg, &f).await.assert_status(200);
    let export = resident.get("/account/gegevens.json").await;
    export.assert_status(200);
    let v: serde_json::Value = serde_json::from_str(&export.body).unwrap();
    assert_eq!(
        v["burgerberaad_aanmeldingen"][0]["kenmerken"]["leeftijd"], "45-64",
        "{v}"
    );
    resident
        .post_form("/account/verwijderen", &[("bevestig", "VERWIJDER")])
        .await
        .assert_redirect("/");
    let left: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ba_registrations WHERE email = 'inwoner@haarlem.demo'",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(left, 0);
});

both_backends!(infeasible_quotas_are_explained, |app| async move {
    let staff = app.session_as("procesbegeleider@haarlem.demo").await;
    let id: i64 = sqlx::query_scalar(
        "SELECT id FROM ba_assemblies WHERE title = 'Burgerberaad Groen en veilig plein'",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    // Too few registrations: a clear message, no job.
    staff
        .post_form(&format!("{B}/{id}/selectie"), &[("seed", "abc")])
        .await
        .assert_status(422)
        .assert_text_contains("heel getal");
    // Quotas that add up but cannot be met by the people who registered.
    let young: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ba_registrations WHERE assembly_id = $1 AND features LIKE '%\"leeftijd\":\"16-24\"%'",
    )
    .bind(id)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert!(young < 25, "{young}");
    sqlx::query("UPDATE ba_quotas SET min_seats = 0, max_seats = 30 WHERE assembly_id = $1")
        .bind(id)
        .execute(app.db().writer())
        .await
        .unwrap();
    sqlx::query("UPDATE ba_quotas SET min_seats = 25 WHERE assembly_id = $1 AND feature = 'leeftijd' AND value = '16-24'")
        .bind(id)
        .execute(app.db().writer())
        .await
        .unwrap();
    let started = staff
        .post_form(
            &format!("{B}/{id}/selectie"),
            &[("algorithm", "leximin"), ("seed", "5"), ("early", "1")],
        )
        .await;
    started.assert_redirect(&format!("{B}/{id}/selectie"));
    let v = wait_for_job(&staff, &job_page_of(&app, id).await).await;
    assert_eq!(v["status"], "done", "{v}");
    let r = staff.get(&format!("{B}/{id}/selectie")).await;
    r.assert_status(200)
        .assert_text_contains("Met deze quota is geen burgerberaad mogelijk")
        .assert_text_contains(&format!("minimum van 25 naar {young}"));
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM ba_selections WHERE assembly_id = $1")
            .bind(id)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(stored, 0);
    // Quotas that do not add up are refused before any job starts.
    sqlx::query("UPDATE ba_quotas SET min_seats = 31 WHERE assembly_id = $1 AND feature = 'leeftijd' AND value = '16-24'")
        .bind(id)
        .execute(app.db().writer())
        .await
        .unwrap();
    staff
        .post_form(
            &format!("{B}/{id}/selectie"),
            &[("seed", "5"), ("early", "1")],
        )
        .await
        .assert_status(422)
        .assert_text_contains("De quota kloppen niet");
});

both_backends!(
    an_interrupted_selection_restarts_and_publishes_once,
    |app| async move {
        let id: i64 = sqlx::query_scalar(
            "SELECT id FROM ba_assemblies WHERE title = 'Burgerberaad Groen en veilig plein'",
        )
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        sqlx::query("UPDATE ba_quotas SET min_seats = 0, max_seats = 30 WHERE assembly_id = $1")
            .bind(id)
            .execute(app.db().writer())
            .await
            .unwrap();
        let tenant = app.tenant_id("haarlem").await;
        // A job that a process claimed and then died with: running, lease expired.
        let payload =
            serde_json::json!({"assembly": id, "algorithm": "leximin", "seed": "42"}).to_string();
        let job: i64 = sqlx::query_scalar(
        "INSERT INTO jobs (tenant_id, kind, payload, status, attempts, locked_by, locked_until, run_after, created_at) \
         VALUES ($1, 'burgerberaad.selectie', $2, 'running', 1, 'dead-worker', 1, 0, 1) RETURNING id",
    )
    .bind(tenant)
    .bind(&payload)
    .fetch_one(app.db().writer())
    .await
    .unwrap();
        // Nothing published while it has not finished.
        let stored: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM ba_selections WHERE assembly_id = $1")
                .bind(id)
                .fetch_one(app.db().pool())
                .await
                .unwrap();
        assert_eq!(stored, 0);
        app.state.jobs.wake();
        let staff = app.session_as("procesbegeleider@haarlem.demo").await;
        let v = wait_for_job(&staff, &format!("/haarlem/taken/{job}")).await;
        assert_eq!(v["status"], "done", "{v}");
        let panel: String =
            sqlx::query_scalar("SELECT panel FROM ba_selections WHERE assembly_id = $1")
                .bind(id)
                .fetch_one(app.db().pool())
                .await
                .unwrap();
        // A second run (a duplicate claim) keeps the stored result.
        let a = meedoen::modules::burgerberaad::store::get(app.db(), tenant, id)
            .await
            .unwrap()
            .unwrap();
        meedoen::modules::burgerberaad::selection::run_now(
            &app.state,
            &a,
            sortition::Algorithm::Leximin,
            43,
        )
        .await
        .unwrap();
        let (n, again): (i64, String) =
            sqlx::query_as("SELECT COUNT(*), MAX(panel) FROM ba_selections WHERE assembly_id = $1")
                .bind(id)
                .fetch_one(app.db().pool())
                .await
                .unwrap();
        assert_eq!((n, again), (1, panel));
        let members: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM ba_registrations WHERE assembly_id = $1 AND panel_status = 'lid'",
        )
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        assert_eq!(members, 30);
    }
);

both_backends!(every_algorithm_selects_a_valid_panel, |app| async move {
    // The running demo assembly with loose quotas; each algorithm in turn, the previous
    // selection removed first. Each stores a full panel within the quotas, names its
    // algorithm, and gives probabilities that sum to the panel size.
    let tenant = app.tenant_id("haarlem").await;
    let id: i64 = sqlx::query_scalar(
        "SELECT id FROM ba_assemblies WHERE title = 'Burgerberaad Groen en veilig plein'",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    sqlx::query("UPDATE ba_quotas SET min_seats = 0, max_seats = 30 WHERE assembly_id = $1")
        .bind(id)
        .execute(app.db().writer())
        .await
        .unwrap();
    let size: i64 = sqlx::query_scalar("SELECT panel_size FROM ba_assemblies WHERE id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    for alg in [
        sortition::Algorithm::Maximin,
        sortition::Algorithm::Nash,
        sortition::Algorithm::Legacy,
    ] {
        sqlx::query("DELETE FROM ba_selections WHERE assembly_id = $1")
            .bind(id)
            .execute(app.db().writer())
            .await
            .unwrap();
        let a = meedoen::modules::burgerberaad::store::get(app.db(), tenant, id)
            .await
            .unwrap()
            .unwrap();
        meedoen::modules::burgerberaad::selection::run_now(&app.state, &a, alg, 7)
            .await
            .unwrap_or_else(|e| panic!("{}: {e:#}", alg.name()));
        let (stored, panel): (String, String) =
            sqlx::query_as("SELECT algorithm, panel FROM ba_selections WHERE assembly_id = $1")
                .bind(id)
                .fetch_one(app.db().pool())
                .await
                .unwrap();
        assert_eq!(stored, alg.name());
        let members: Vec<String> = serde_json::from_str(&panel).expect("panel is a JSON list");
        assert_eq!(members.len() as i64, size, "{}: panel {panel}", alg.name());
        let probs: Vec<Option<f64>> = sqlx::query_scalar(
            "SELECT probability FROM ba_registrations WHERE assembly_id = $1 AND status = 'aangemeld'",
        )
        .bind(id)
        .fetch_all(app.db().pool())
        .await
        .unwrap();
        let sum: f64 = probs.iter().map(|p| p.unwrap_or(0.0)).sum();
        assert!(
            (sum - size as f64).abs() < 1e-3,
            "{}: probabilities sum to {sum}, not {size}",
            alg.name()
        );
    }
});
