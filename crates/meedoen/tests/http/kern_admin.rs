//! The municipality administrator: users and roles, areas import as a background job,
//! the participation ladder, themes, the house style, the audit log and the outbox.

use crate::common::*;
use std::time::{Duration, Instant};

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

/// The audit log page of Haarlem.
async fn audit_text(s: &Session) -> String {
    let p = s.get("/haarlem/beheer/logboek").await;
    p.assert_status(200);
    p.text()
}

both_backends!(admin_adds_a_colleague_and_changes_roles, |app| async move {
    let admin = app.session_as("beheerder@haarlem.demo").await;
    admin
        .get("/haarlem/beheer/gebruikers")
        .await
        .assert_status(200)
        .assert_contains("Pieter Proces")
        .assert_not_contains("@zaanstad.demo");

    // Invalid: no role, bad address. Messages next to the fields, input kept, nothing saved.
    let users_before = count(&app, "SELECT COUNT(*) FROM users").await;
    let bad = admin
        .post_form(
            "/haarlem/beheer/gebruikers",
            &[("email", "sanne@@haarlem"), ("name", "Sanne Stad")],
        )
        .await;
    bad.assert_status(422)
        .assert_contains("Kies minstens één rol.")
        .assert_contains("Vul een geldig e-mailadres in");
    assert_eq!(bad.input_value("name").as_deref(), Some("Sanne Stad"));
    assert_eq!(bad.input_value("email").as_deref(), Some("sanne@@haarlem"));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM users").await,
        users_before
    );

    // Valid: the colleague exists with the role and got an invitation.
    admin
        .post_form(
            "/haarlem/beheer/gebruikers",
            &[
                ("email", "sanne.stad@haarlem.example"),
                ("name", "Sanne Stad"),
                ("roles", "procesbegeleider"),
                ("roles", "moderator"),
            ],
        )
        .await
        .assert_redirect("/haarlem/beheer/gebruikers");
    let list = admin.get("/haarlem/beheer/gebruikers").await;
    list.assert_contains("Sanne Stad")
        .assert_contains("Opgeslagen.");
    let (subject, body) = app
        .last_mail_to("haarlem", "sanne.stad@haarlem.example")
        .await
        .expect("invitation in the outbox");
    assert!(subject.contains("Haarlem"));
    assert!(body.contains("procesbegeleider"), "{body}");

    // Change roles on the person's page.
    let id = app.user_id("sanne.stad@haarlem.example").await;
    let edit = admin.get(&format!("/haarlem/beheer/gebruikers/{id}")).await;
    edit.assert_status(200);
    assert!(edit.body.contains("value=\"procesbegeleider\" checked"));
    admin
        .post_form(
            &format!("/haarlem/beheer/gebruikers/{id}"),
            &[("roles", "griffie")],
        )
        .await
        .assert_redirect(&format!("/haarlem/beheer/gebruikers/{id}"));
    let edit = admin.get(&format!("/haarlem/beheer/gebruikers/{id}")).await;
    assert!(edit.body.contains("value=\"griffie\" checked"));
    assert!(!edit.body.contains("value=\"procesbegeleider\" checked"));

    // An administrator cannot take away their own administrator role.
    let me = app.user_id("beheerder@haarlem.demo").await;
    admin
        .post_form(
            &format!("/haarlem/beheer/gebruikers/{me}"),
            &[("roles", "moderator")],
        )
        .await
        .assert_status(422)
        .assert_contains("eigen rol als beheerder");
    admin.get("/haarlem/beheer").await.assert_status(200);

    // The resident's new role takes effect at once.
    let resident = app.user_id("inwoner@haarlem.demo").await;
    let s = app.session_as("inwoner@haarlem.demo").await;
    s.get("/haarlem/beheer").await.assert_status(403);
    admin
        .post_form(
            &format!("/haarlem/beheer/gebruikers/{resident}"),
            &[("roles", "beheerder")],
        )
        .await
        .assert_status(303);
    s.get("/haarlem/beheer").await.assert_status(200);

    // Everything is in the audit log, with who did it.
    let log = audit_text(&admin).await;
    for needle in [
        "user.roles_granted",
        "user.role_granted",
        "user.role_revoked",
        "rol griffie gegeven aan Sanne Stad",
        "Bea Beheer",
    ] {
        assert!(log.contains(needle), "{needle} not in audit log: {log}");
    }
    // Zaanstad's administrator sees none of it.
    let z = app.session_as("beheerder@zaanstad.demo").await;
    let zlog = z.get("/zaanstad/beheer/logboek").await;
    zlog.assert_status(200).assert_not_contains("Sanne Stad");
    z.get("/zaanstad/beheer/gebruikers")
        .await
        .assert_not_contains("Sanne Stad")
        .assert_not_contains("@haarlem.demo");
});

both_backends!(admin_resets_a_password, |app| async move {
    let admin = app.session_as("beheerder@haarlem.demo").await;
    let victim = app.session_as("griffie@haarlem.demo").await;
    let id = app.user_id("griffie@haarlem.demo").await;
    admin
        .post_form(&format!("/haarlem/beheer/gebruikers/{id}/wachtwoord"), &[])
        .await
        .assert_redirect(&format!("/haarlem/beheer/gebruikers/{id}"));
    // Sessions ended, old password gone, a link in the outbox logs in.
    victim
        .get("/account")
        .await
        .assert_redirect("/inloggen?terug=");
    let s = app.new_session();
    s.get("/haarlem/inloggen").await;
    s.post_form(
        "/haarlem/inloggen",
        &[
            ("email", "griffie@haarlem.demo"),
            ("password", DEMO_PASSWORD),
        ],
    )
    .await
    .assert_status(422);
    let link = app.login_link_for("haarlem", "griffie@haarlem.demo").await;
    s.post_form(&link, &[]).await.assert_redirect("/account");
    assert!(audit_text(&admin).await.contains("user.password_reset"));
});

/// A buurt under an existing wijk of Haarlem, as GeoJSON.
async fn buurt_geojson(app: &TestApp, suffix: &str, name: &str) -> (String, String) {
    let haarlem = app.tenant_id("haarlem").await;
    let wijk: String = sqlx::query_scalar(
        "SELECT code FROM areas WHERE tenant_id = $1 AND kind = 'wijk' ORDER BY code LIMIT 1",
    )
    .bind(haarlem)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let code = format!("BU{}{suffix}", &wijk[2..8]);
    let json = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"statcode": code, "statnaam": name},
         "geometry": {"type": "Polygon", "coordinates": [[[4.63, 52.38], [4.64, 52.38], [4.64, 52.39], [4.63, 52.38]]]}}
    ]});
    (code, json.to_string())
}

async fn upload_areas(s: &Session, bytes: &[u8]) -> Page {
    s.post_multipart(
        "/haarlem/beheer/gebieden",
        &[],
        &[FilePart {
            field: "bestand",
            filename: "gebieden.geojson",
            content_type: "application/geo+json",
            bytes,
        }],
    )
    .await
}

both_backends!(areas_import_runs_as_a_job, |app| async move {
    let admin = app.session_as("beheerder@haarlem.demo").await;
    let (code, json) = buurt_geojson(&app, "98", "Proefbuurt Noord").await;
    let started = upload_areas(&admin, json.as_bytes()).await;
    started.assert_redirect("/haarlem/taken/");
    let job_page = started.location().unwrap().to_string();

    // The page that started the job shows its progress; the status URL follows it.
    admin
        .get(&job_page)
        .await
        .assert_status(200)
        .assert_contains("<progress")
        .assert_contains("data-job-status=");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let p = admin.get(&format!("{job_page}/status")).await;
        p.assert_status(200);
        let v: serde_json::Value = serde_json::from_str(&p.body).expect("status JSON");
        if v["finished"] == true {
            break v;
        }
        assert!(Instant::now() < deadline, "job did not finish: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(status["status"], "done", "{status}");
    assert_eq!(status["percent"], 100);
    admin.get(&job_page).await.assert_contains("klaar");
    admin
        .get("/haarlem/beheer/gebieden")
        .await
        .assert_contains("Proefbuurt Noord")
        .assert_contains(&code);
    admin
        .get("/haarlem/beheer/taken")
        .await
        .assert_contains("Gebieden inlezen");
    assert!(audit_text(&admin).await.contains("areas.import_started"));

    // Staff of another municipality cannot follow this job.
    let z = app.session_as("beheerder@zaanstad.demo").await;
    let job_id = job_page.rsplit('/').next().unwrap();
    z.get(&format!("/zaanstad/taken/{job_id}"))
        .await
        .assert_status(404);
    z.get(&format!("/haarlem/taken/{job_id}/status"))
        .await
        .assert_status(403);
});

both_backends!(invalid_area_files_write_nothing, |app| async move {
    let admin = app.session_as("beheerder@haarlem.demo").await;
    let before = count(&app, "SELECT COUNT(*) FROM areas").await;
    let jobs_before = count(&app, "SELECT COUNT(*) FROM jobs").await;
    let (_, good) = buurt_geojson(&app, "97", "Goede buurt").await;
    let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
    v["features"].as_array_mut().unwrap().push(serde_json::json!(
        {"type": "Feature", "properties": {"statcode": "WK047901", "statnaam": "Zaanse wijk"}, "geometry": null}
    ));
    v["features"].as_array_mut().unwrap().push(serde_json::json!(
        {"type": "Feature", "properties": {"statcode": "XX12", "statnaam": "<script>alert(1)</script>"}, "geometry": null}
    ));
    let mixed = upload_areas(&admin, v.to_string().as_bytes()).await;
    mixed
        .assert_status(422)
        .assert_contains("Het bestand klopt niet. Er is niets opgeslagen.")
        .assert_contains("hoort niet bij gemeente")
        .assert_contains("begint niet met GM, WK of BU")
        .assert_not_contains("<script>alert(1)</script>");

    for (bytes, message) in [
        (&b"dit is geen json"[..], "Geen geldige GeoJSON"),
        (&b"{\"type\":\"Feature\"}"[..], "geen lijst 'features'"),
        (
            &b"{\"type\":\"FeatureCollection\",\"features\":[]}"[..],
            "bevat geen gebieden",
        ),
        (&[0xff, 0xfe, 0x00, 0x7b][..], "geen tekstbestand in UTF-8"),
    ] {
        upload_areas(&admin, bytes)
            .await
            .assert_status(422)
            .assert_text_contains(message);
    }
    // No file chosen.
    admin
        .post_multipart("/haarlem/beheer/gebieden", &[], &[])
        .await
        .assert_status(422)
        .assert_contains("Kies een bestand.");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM areas").await, before);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM jobs").await, jobs_before);
});

both_backends!(area_details_are_validated, |app| async move {
    let admin = app.session_as("beheerder@haarlem.demo").await;
    let haarlem = app.tenant_id("haarlem").await;
    let (id, name): (i64, String) = sqlx::query_as(
        "SELECT id, name FROM areas WHERE tenant_id = $1 AND kind = 'wijk' ORDER BY code LIMIT 1",
    )
    .bind(haarlem)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    admin
        .post_form(
            &format!("/haarlem/beheer/gebieden/{id}"),
            &[("name", &name), ("population", "veel")],
        )
        .await
        .assert_status(422)
        .assert_contains("Vul een heel getal in");
    admin
        .post_form(
            &format!("/haarlem/beheer/gebieden/{id}"),
            &[("name", &name), ("population", "12.345")],
        )
        .await
        .assert_redirect("/haarlem/beheer/gebieden");
    let pop: Option<i64> = sqlx::query_scalar("SELECT population FROM areas WHERE id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(pop, Some(12345));
});

both_backends!(ladder_can_be_edited, |app| async move {
    let admin = app.session_as("beheerder@haarlem.demo").await;
    let page = admin.get("/haarlem/beheer/ladder").await;
    page.assert_status(200);
    assert_eq!(page.input_value("name1").as_deref(), Some("Informeren"));

    // Too few steps, or an explanation without a name: refused, what was typed is kept.
    let bad = admin
        .post_form(
            "/haarlem/beheer/ladder",
            &[("name1", "Meedenken"), ("desc2", "Zonder naam")],
        )
        .await;
    bad.assert_status(422)
        .assert_contains("minstens twee treden")
        .assert_contains("Geef deze trede een naam");
    assert_eq!(bad.input_value("name1").as_deref(), Some("Meedenken"));
    assert_eq!(bad.input_value("desc2").as_deref(), Some("Zonder naam"));
    let unchanged = admin.get("/haarlem/beheer/ladder").await;
    assert_eq!(
        unchanged.input_value("name1").as_deref(),
        Some("Informeren")
    );

    admin
        .post_form(
            "/haarlem/beheer/ladder",
            &[
                ("name1", "Weten"),
                ("desc1", "U hoort wat er gebeurt."),
                ("name2", "Meepraten"),
                ("name3", "Meebeslissen"),
            ],
        )
        .await
        .assert_redirect("/haarlem/beheer/ladder");
    let page = admin.get("/haarlem/beheer/ladder").await;
    assert_eq!(page.input_value("name1").as_deref(), Some("Weten"));
    assert_eq!(page.input_value("name3").as_deref(), Some("Meebeslissen"));
    assert_eq!(page.input_value("name4").as_deref(), Some(""));

    admin
        .post_form("/haarlem/beheer/ladder", &[("preset", "amsterdam")])
        .await
        .assert_status(303);
    let page = admin.get("/haarlem/beheer/ladder").await;
    assert_eq!(page.input_value("name2").as_deref(), Some("Consulteren"));
    let log = audit_text(&admin).await;
    assert!(log.contains("ladder.saved"), "{log}");
    assert!(log.contains("Weten – Meepraten – Meebeslissen"), "{log}");
    // Zaanstad's ladder is its own.
    let z = app.session_as("beheerder@zaanstad.demo").await;
    let zl = z.get("/zaanstad/beheer/ladder").await;
    assert_eq!(zl.input_value("name1").as_deref(), Some("Informeren"));
});

both_backends!(topics_can_be_added_and_removed, |app| async move {
    let admin = app.session_as("beheerder@haarlem.demo").await;
    admin
        .post_form("/haarlem/beheer/themas", &[("name", "Water & Kades")])
        .await
        .assert_redirect("/haarlem/beheer/themas");
    admin
        .get("/haarlem/beheer/themas")
        .await
        .assert_text_contains("Water & Kades");
    admin
        .post_form("/haarlem/beheer/themas", &[("name", "water & kades")])
        .await
        .assert_status(422)
        .assert_contains("Dit thema bestaat al.");
    admin
        .post_form("/haarlem/beheer/themas", &[("name", "!!!")])
        .await
        .assert_status(422)
        .assert_contains("Gebruik letters of cijfers");
    let id: i64 = sqlx::query_scalar("SELECT id FROM topics WHERE slug = 'water-kades'")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    admin
        .post_form("/haarlem/beheer/themas", &[("delete", &id.to_string())])
        .await
        .assert_status(303);
    admin
        .get("/haarlem/beheer/themas")
        .await
        .assert_not_contains("Water &");
    // A topic of another municipality cannot be deleted from here.
    let zaanstad = app.tenant_id("zaanstad").await;
    let zt: i64 =
        sqlx::query_scalar("SELECT id FROM topics WHERE tenant_id = $1 ORDER BY id LIMIT 1")
            .bind(zaanstad)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    let before = count(&app, "SELECT COUNT(*) FROM topics").await;
    admin
        .post_form("/haarlem/beheer/themas", &[("delete", &zt.to_string())])
        .await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM topics").await, before);
    let log = audit_text(&admin).await;
    assert!(
        log.contains("topic.created") && log.contains("topic.deleted"),
        "{log}"
    );
});

both_backends!(theme_colours_must_be_readable, |app| async move {
    let admin = app.session_as("beheerder@haarlem.demo").await;
    let css_before = app.get("/haarlem/thema.css").await.body;
    assert!(
        css_before.contains("--nl-color-primary: #a3162d"),
        "{css_before}"
    );

    // Yellow with white text fails WCAG AA contrast: refused with a message, nothing saved.
    let low = admin
        .post_multipart(
            "/haarlem/beheer/huisstijl",
            &[
                ("primary", "#ffff00"),
                ("primary_text", "#ffffff"),
                ("accent", "#c0392b"),
                ("intro", "Welkom!"),
            ],
            &[],
        )
        .await;
    low.assert_status(422)
        .assert_contains("slecht leesbaar op de hoofdkleur")
        .assert_contains("te licht voor links");
    assert_eq!(low.input_value("primary").as_deref(), Some("#ffff00"));
    let accent = admin
        .post_multipart(
            "/haarlem/beheer/huisstijl",
            &[
                ("primary", "#00548a"),
                ("primary_text", "#ffffff"),
                ("accent", "#ffcc00"),
            ],
            &[],
        )
        .await;
    accent
        .assert_status(422)
        .assert_contains("De accentkleur is te licht");
    let bad = admin
        .post_multipart(
            "/haarlem/beheer/huisstijl",
            &[
                ("primary", "rood"),
                ("primary_text", "#fff"),
                ("accent", ""),
            ],
            &[],
        )
        .await;
    bad.assert_status(422)
        .assert_contains("Kies een kleur, zoals");
    // A logo that is not PNG or JPEG.
    admin
        .post_multipart(
            "/haarlem/beheer/huisstijl",
            &[
                ("primary", "#00548a"),
                ("primary_text", "#ffffff"),
                ("accent", "#c0392b"),
            ],
            &[FilePart {
                field: "logo",
                filename: "logo.gif",
                content_type: "image/png",
                bytes: b"GIF89a....",
            }],
        )
        .await
        .assert_status(422)
        .assert_contains("PNG- of JPEG-bestand");
    assert_eq!(app.get("/haarlem/thema.css").await.body, css_before);

    // A readable theme is saved and served as design tokens.
    admin
        .post_multipart(
            "/haarlem/beheer/huisstijl",
            &[
                ("primary", "#00548A"),
                ("primary_text", "#ffffff"),
                ("accent", "#8a1538"),
                ("intro", "Doe mee in Haarlem."),
            ],
            &[FilePart {
                field: "logo",
                filename: "logo.png",
                content_type: "image/png",
                bytes: TINY_PNG,
            }],
        )
        .await
        .assert_redirect("/haarlem/beheer/huisstijl");
    let css = app.get("/haarlem/thema.css").await;
    css.assert_status(200)
        .assert_contains("--nl-color-primary: #00548a")
        .assert_contains("--nl-color-accent: #8a1538");
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    let home = app.get("/haarlem").await;
    home.assert_contains("Doe mee in Haarlem.");
    let logo = home
        .body
        .split("src=\"")
        .filter_map(|s| s.split('"').next())
        .find(|s| s.starts_with("/haarlem/bestanden/"))
        .expect("logo on the home page")
        .to_string();
    let img = app.get(&logo).await;
    img.assert_status(200);
    assert_eq!(img.header("content-type"), Some("image/png"));
    // Zaanstad keeps its own colours.
    app.get("/zaanstad/thema.css")
        .await
        .assert_contains("#005a87");
    assert!(audit_text(&admin).await.contains("theme.saved"));
});

both_backends!(outbox_shows_development_mail, |app| async move {
    let admin = app.session_as("beheerder@haarlem.demo").await;
    let empty = admin.get("/haarlem/beheer/outbox").await;
    empty
        .assert_status(200)
        .assert_contains("Er is geen mailserver ingesteld");
    app.new_session()
        .post_form(
            "/haarlem/inloggen/link",
            &[("link_email", "lezer@example.nl")],
        )
        .await
        .assert_status(200);
    app.new_session()
        .post_form(
            "/zaanstad/inloggen/link",
            &[("link_email", "zaankanter@example.nl")],
        )
        .await
        .assert_status(200);
    let outbox = admin.get("/haarlem/beheer/outbox").await;
    let mails = outbox.mails();
    assert!(
        mails.iter().any(|m| m.to == "lezer@example.nl"),
        "{mails:?}"
    );
    // Each municipality sees only its own mail.
    assert!(mails.iter().all(|m| m.to != "zaankanter@example.nl"));
    admin
        .get("/haarlem/beheer")
        .await
        .assert_contains("e-mails nog niet verstuurd");
});
