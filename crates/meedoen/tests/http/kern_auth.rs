//! Logging in and out: password, rate limit, e-mail link through the development outbox,
//! CSRF protection.

use crate::common::*;

both_backends!(password_login_and_logout, |app| async move {
    // Wrong password: a clear message, the address kept, no session.
    app.get("/haarlem/inloggen").await.assert_status(200);
    let wrong = app
        .post_form(
            "/haarlem/inloggen",
            &[
                ("email", "inwoner@haarlem.demo"),
                ("password", "niet-het-goede"),
            ],
        )
        .await;
    wrong
        .assert_status(422)
        .assert_contains("Het e-mailadres of het wachtwoord klopt niet");
    assert_eq!(
        wrong.input_value("email").as_deref(),
        Some("inwoner@haarlem.demo")
    );
    assert!(app.cookie("mdn_sid").is_none());
    // Unknown address: the same answer (no account enumeration).
    let unknown = app
        .post_form(
            "/haarlem/inloggen",
            &[
                ("email", "niemand@haarlem.demo"),
                ("password", "niet-het-goede"),
            ],
        )
        .await;
    unknown
        .assert_status(422)
        .assert_contains("Het e-mailadres of het wachtwoord klopt niet");
    // Empty fields: a message next to each field.
    let empty = app.post_form("/haarlem/inloggen", &[]).await;
    empty
        .assert_status(422)
        .assert_contains("id=\"email-fout\"")
        .assert_contains("id=\"password-fout\"");

    // Right password: a session, back to the municipality, the name in the header.
    app.login("inwoner@haarlem.demo")
        .await
        .assert_redirect("/haarlem");
    let sid = app.cookie("mdn_sid").expect("session cookie");
    let home = app.get("/haarlem").await;
    home.assert_status(200)
        .assert_contains("Ineke Inwoner")
        .assert_contains("U bent ingelogd.");
    assert_eq!(home.header("cache-control"), Some("private, no-store"));
    app.get("/account")
        .await
        .assert_status(200)
        .assert_contains("inwoner@haarlem.demo");

    // Logging out is a POST with a CSRF token; GET does not log out.
    assert_eq!(app.get("/uitloggen").await.status.as_u16(), 405);
    app.get("/account").await.assert_status(200);
    app.logout().await.assert_redirect("/");
    app.get("/account")
        .await
        .assert_redirect("/inloggen?terug=");
    // The old session token is dead on the server too, not only forgotten by the browser.
    let replay = app.new_session();
    replay.set_cookie("mdn_sid", &sid);
    replay
        .get("/account")
        .await
        .assert_redirect("/inloggen?terug=");
});

both_backends!(platform_login_form, |app| async move {
    app.login("platform@meedoen.demo")
        .await
        .assert_redirect("/");
    app.get("/platform")
        .await
        .assert_status(200)
        .assert_contains("Haarlem")
        .assert_contains("Zaanstad");
});

both_backends!(login_is_rate_limited, |app| async move {
    let mut limited_at = None;
    for i in 1..=12 {
        let p = app
            .post_form(
                "/haarlem/inloggen",
                &[
                    ("email", "beheerder@haarlem.demo"),
                    ("password", "fout-wachtwoord"),
                ],
            )
            .await;
        match p.status.as_u16() {
            422 => {}
            429 => {
                p.assert_contains("U heeft het te vaak geprobeerd");
                limited_at = Some(i);
                break;
            }
            _ => panic!("attempt {i}: {}", p.excerpt()),
        }
    }
    let at = limited_at.expect("no rate limit after 12 wrong passwords");
    assert!(at <= 11, "rate limit only at attempt {at}");
    // Once limited, even the right password is refused for this address…
    let right = app
        .post_form(
            "/haarlem/inloggen",
            &[
                ("email", "beheerder@haarlem.demo"),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await;
    right.assert_status(429);
    assert!(app.cookie("mdn_sid").is_none());
    // …but other people can still log in.
    app.new_session().login("inwoner@haarlem.demo").await;
});

both_backends!(email_link_login_for_a_new_resident, |app| async move {
    let to = "nieuwe.bewoner@example.nl";
    let sent = app
        .post_form(
            "/haarlem/inloggen/link",
            &[
                ("link_email", to),
                ("link_name", "Noor Nieuw"),
                ("terug", "/haarlem/kaart"),
            ],
        )
        .await;
    sent.assert_status(200)
        .assert_contains("Kijk in uw e-mail")
        .assert_contains(to);
    // The administrator reads the message in the development outbox.
    let (subject, body) = app
        .last_mail_to("haarlem", to)
        .await
        .expect("mail in outbox");
    assert!(subject.contains("Haarlem"), "{subject}");
    assert!(body.contains("30 minuten"), "{body}");
    let link = app.login_link_for("haarlem", to).await;

    // Opening the link (also by a mail scanner) does not use it up.
    app.get(&link)
        .await
        .assert_status(200)
        .assert_contains("Nu inloggen");
    app.get(&link).await.assert_status(200);
    assert!(app.cookie("mdn_sid").is_none());
    let done = app.post_form(&link, &[]).await;
    done.assert_redirect("/haarlem/kaart");
    app.get("/account")
        .await
        .assert_status(200)
        .assert_contains("Noor Nieuw")
        .assert_contains(to);

    // The link works once.
    let other = app.new_session();
    other.get(&link).await.assert_status(410);
    other.post_form(&link, &[]).await.assert_status(410);
    assert!(other.cookie("mdn_sid").is_none());
    // A made-up token is refused the same way.
    other
        .get("/haarlem/inloggen/link/bestaat-niet")
        .await
        .assert_status(410)
        .assert_contains("Deze link werkt niet meer");
    let long = format!("/haarlem/inloggen/link/{}", "x".repeat(5000));
    assert!(!other.get(&long).await.status.is_server_error());
});

both_backends!(email_link_for_an_existing_account, |app| async move {
    app.post_form(
        "/haarlem/inloggen/link",
        &[("link_email", "INWONER@haarlem.demo"), ("link_name", "")],
    )
    .await
    .assert_status(200);
    let link = app.login_link_for("haarlem", "inwoner@haarlem.demo").await;
    app.post_form(&link, &[]).await.assert_redirect("/haarlem");
    // Same account, no duplicate.
    app.get("/account").await.assert_contains("Ineke Inwoner");
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = 'inwoner@haarlem.demo'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(n, 1);
});

both_backends!(email_link_request_validation, |app| async move {
    let p = app
        .post_form(
            "/haarlem/inloggen/link",
            &[("link_email", "geen-adres"), ("link_name", "Piet")],
        )
        .await;
    p.assert_status(422)
        .assert_contains("Vul een geldig e-mailadres in")
        .assert_contains("id=\"link_email-fout\"");
    assert_eq!(p.input_value("link_email").as_deref(), Some("geen-adres"));
    assert_eq!(p.input_value("link_name").as_deref(), Some("Piet"));
    // Nothing was sent.
    let admin = app.session_as("beheerder@haarlem.demo").await;
    let outbox = admin.get("/haarlem/beheer/outbox").await;
    assert!(outbox.mails().iter().all(|m| !m.to.contains("geen-adres")));
    // Per address at most a few links per quarter of an hour.
    let mut limited = false;
    for _ in 0..8 {
        let p = app
            .post_form(
                "/haarlem/inloggen/link",
                &[("link_email", "veel@example.nl")],
            )
            .await;
        if p.status.as_u16() == 429 {
            limited = true;
            break;
        }
        p.assert_status(200);
    }
    assert!(limited, "e-mail links are not rate limited");
});

both_backends!(csrf_missing_or_wrong_is_refused, |app| async move {
    app.get("/haarlem/inloggen").await.assert_status(200);
    let creds = [
        ("email", "inwoner@haarlem.demo"),
        ("password", DEMO_PASSWORD),
    ];
    // No token.
    let p = app.post_form_raw("/haarlem/inloggen", &creds).await;
    p.assert_status(403)
        .assert_contains("Het formulier is verlopen");
    assert!(app.cookie("mdn_sid").is_none());
    // A forged token.
    let mut forged = creds.to_vec();
    forged.push(("_csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    app.post_form_raw("/haarlem/inloggen", &forged)
        .await
        .assert_status(403);
    // Another visitor's valid token does not fit this visitor's cookie.
    let other = app.new_session();
    let theirs = other.csrf().await;
    assert_ne!(theirs, app.csrf().await);
    let mut stolen = creds.to_vec();
    stolen.push(("_csrf", &theirs));
    app.post_form_raw("/haarlem/inloggen", &stolen)
        .await
        .assert_status(403);
    assert!(app.cookie("mdn_sid").is_none());
    // Without the CSRF cookie the token is worthless too.
    let bare = Session::new(app.base());
    let mut with_token = creds.to_vec();
    let token = app.csrf().await;
    with_token.push(("_csrf", &token));
    bare.post_form_raw("/haarlem/inloggen", &with_token)
        .await
        .assert_status(403);

    // A logged-in administrator's form with a forged token changes nothing.
    let admin = app.session_as("beheerder@haarlem.demo").await;
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM topics")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    admin
        .post_form(
            "/haarlem/beheer/themas",
            &[("name", "Vervalst"), ("_csrf", "vervalst")],
        )
        .await
        .assert_status(403)
        .assert_contains("Het formulier is verlopen");
    admin
        .post_multipart(
            "/haarlem/beheer/huisstijl",
            &[
                ("primary", "#000000"),
                ("primary_text", "#ffffff"),
                ("accent", "#000000"),
                ("_csrf", "x"),
            ],
            &[],
        )
        .await
        .assert_status(403);
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM topics")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(before, after);
    // The same form with the right token works (so the 403 above was the token).
    admin
        .post_form("/haarlem/beheer/themas", &[("name", "Echt")])
        .await
        .assert_redirect("/haarlem/beheer/themas");
});

both_backends!(account_password_change, |app| async move {
    app.login("inwoner2@haarlem.demo").await;
    let short = app
        .post_form(
            "/account/wachtwoord",
            &[("current", DEMO_PASSWORD), ("new", "kort")],
        )
        .await;
    short
        .assert_status(422)
        .assert_contains("minstens 10 tekens");
    let wrong = app
        .post_form(
            "/account/wachtwoord",
            &[
                ("current", "fout-fout-fout"),
                ("new", "een nieuw lang wachtwoord"),
            ],
        )
        .await;
    wrong
        .assert_status(422)
        .assert_contains("Dit is niet uw huidige wachtwoord");
    app.post_form(
        "/account/wachtwoord",
        &[
            ("current", DEMO_PASSWORD),
            ("new", "een nieuw lang wachtwoord"),
        ],
    )
    .await
    .assert_redirect("/account");
    app.get("/account").await.assert_status(200);
    let fresh = app.new_session();
    fresh
        .login_with("inwoner2@haarlem.demo", "een nieuw lang wachtwoord")
        .await;
    fresh.get("/haarlem/inloggen").await;
    fresh
        .post_form(
            "/haarlem/inloggen",
            &[
                ("email", "inwoner2@haarlem.demo"),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await
        .assert_status(422);
});

both_backends!(account_export_and_delete, |app| async move {
    app.login("inwoner2@haarlem.demo").await;
    let export = app.get("/account/gegevens.json").await;
    export.assert_status(200);
    assert!(
        export
            .header("content-disposition")
            .unwrap_or("")
            .contains("attachment")
    );
    let v: serde_json::Value = serde_json::from_str(&export.body).expect("JSON export");
    assert_eq!(v["account"]["email"], "inwoner2@haarlem.demo");

    let refused = app
        .post_form("/account/verwijderen", &[("bevestig", "verwijder")])
        .await;
    refused
        .assert_status(422)
        .assert_contains("Typ het woord VERWIJDER");
    app.get("/account").await.assert_status(200);
    app.post_form("/account/verwijderen", &[("bevestig", "VERWIJDER")])
        .await
        .assert_redirect("/");
    app.get("/account")
        .await
        .assert_redirect("/inloggen?terug=");
    let fresh = app.new_session();
    fresh.get("/haarlem/inloggen").await;
    fresh
        .post_form(
            "/haarlem/inloggen",
            &[
                ("email", "inwoner2@haarlem.demo"),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await
        .assert_status(422);
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = 'inwoner2@haarlem.demo'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(n, 0, "the address is removed from the account");
});
