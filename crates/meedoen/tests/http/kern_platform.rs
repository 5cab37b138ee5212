//! Cross-cutting behaviour: health and metrics, security headers and cookies, the error
//! pages, the language switch.

use crate::common::*;

both_backends!(health_and_metrics, |app| async move {
    let h = app.get("/health").await;
    h.assert_status(200);
    let v: serde_json::Value = serde_json::from_str(&h.body).expect("health is JSON");
    assert_eq!(v["status"], "ok");
    assert_eq!(v["database"], "ok");
    app.get("/haarlem").await.assert_status(200);
    app.get("/bestaat-niet").await.assert_status(404);
    let m = app.get("/metrics").await;
    m.assert_status(200);
    assert!(
        m.header("content-type")
            .unwrap_or("")
            .starts_with("text/plain")
    );
    // Requests are counted per route template (not per path: no ids in labels).
    m.assert_contains("http_requests_total");
    m.assert_contains("route=\"/{tenant}\"");
    m.assert_contains("status=\"404\"");
    m.assert_contains("http_request_duration_seconds_bucket");
});

both_backends!(
    metrics_token_protects_metrics,
    config = |c| c.metrics_token = Some("geheim-token".into()),
    |app| async move {
        app.get("/metrics").await.assert_status(401);
        app.get_with("/metrics", &[("authorization", "Bearer fout")])
            .await
            .assert_status(401);
        app.get_with("/metrics", &[("authorization", "Bearer geheim-token")])
            .await
            .assert_status(200);
    }
);

fn check_security_headers(p: &Page) {
    let csp = p
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("no CSP on {} {}", p.method, p.path));
    let directive = |name: &str| -> Option<String> {
        csp.split(';')
            .map(str::trim)
            .find(|d| d.starts_with(&format!("{name} ")))
            .map(str::to_string)
    };
    let script = directive("script-src")
        .or_else(|| directive("default-src"))
        .expect("script-src");
    assert!(!script.contains("unsafe-inline"), "{csp}");
    assert!(!script.contains("unsafe-eval"), "{csp}");
    assert!(!script.contains('*'), "{csp}");
    assert!(
        !csp.contains("unsafe-inline"),
        "no inline styles either: {csp}"
    );
    assert_eq!(
        directive("frame-ancestors").as_deref(),
        Some("frame-ancestors 'none'")
    );
    assert_eq!(
        directive("object-src").as_deref(),
        Some("object-src 'none'")
    );
    assert!(directive("base-uri").is_some(), "{csp}");
    assert!(directive("form-action").is_some(), "{csp}");
    assert_eq!(p.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(p.header("x-frame-options"), Some("DENY"));
    let referrer = p.header("referrer-policy").expect("Referrer-Policy");
    assert!(
        [
            "same-origin",
            "no-referrer",
            "strict-origin",
            "strict-origin-when-cross-origin"
        ]
        .contains(&referrer),
        "{referrer}"
    );
    assert!(p.header("permissions-policy").is_some());
}

both_backends!(security_headers_everywhere, |app| async move {
    let css = app.get("/haarlem").await;
    let asset = css
        .body
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.starts_with("/assets/") && h.ends_with(".css"))
        .expect("stylesheet link")
        .to_string();
    for path in [
        "/",
        "/haarlem",
        "/haarlem/inloggen",
        "/bestaat-niet",
        "/haarlem/beheer",
        "/health",
        asset.as_str(),
        "/haarlem/thema.css",
    ] {
        let p = app.get(path).await;
        check_security_headers(&p);
    }
    // Also on pages of logged-in people, on 403 and on errors rendered for forms.
    let s = app.session_as("inwoner@haarlem.demo").await;
    check_security_headers(&s.get("/account").await);
    check_security_headers(&s.get("/haarlem/beheer").await);
    check_security_headers(&s.post_form_raw("/haarlem/inloggen", &[]).await);
    // Plain http (development): no HSTS, which would break http://localhost.
    assert!(
        app.get("/")
            .await
            .header("strict-transport-security")
            .is_none()
    );
});

both_backends!(cookies_are_http_only_and_same_site, |app| async move {
    let p = app.get("/haarlem/inloggen").await;
    let set = p.header_all("set-cookie");
    let csrf = set
        .iter()
        .find(|c| c.starts_with("mdn_csrf="))
        .expect("CSRF cookie");
    assert!(csrf.contains("HttpOnly"), "{csrf}");
    assert!(
        csrf.contains("SameSite=Lax") || csrf.contains("SameSite=Strict"),
        "{csrf}"
    );
    assert!(csrf.contains("Path=/"), "{csrf}");
    let login = app
        .post_form(
            "/haarlem/inloggen",
            &[
                ("email", "inwoner@haarlem.demo"),
                ("password", DEMO_PASSWORD),
            ],
        )
        .await;
    let sid = login
        .header_all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("mdn_sid="))
        .expect("session cookie");
    assert!(sid.contains("HttpOnly"), "{sid}");
    assert!(
        sid.contains("SameSite=Lax") || sid.contains("SameSite=Strict"),
        "{sid}"
    );
    // The session token is long and random.
    let value = sid
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("mdn_sid=");
    assert!(value.len() >= 32, "{value}");
});

// Behind https (the public URL decides), every cookie is Secure and HSTS is sent.
both_backends!(
    secure_cookies_behind_https,
    config = |c| c.public_url = "https://meedoen.example.nl".into(),
    |app| async move { secure_cookie_checks(app).await }
);

async fn secure_cookie_checks(app: TestApp) {
    // A raw client: a cookie store would (rightly) not send Secure cookies over http.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let url = format!("{}/haarlem/inloggen", app.base);
    let resp = client.get(&url).send().await.unwrap();
    assert!(
        resp.headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("max-age="))
    );
    let csrf_cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("mdn_csrf="))
        .expect("CSRF cookie")
        .to_string();
    assert!(csrf_cookie.contains("; Secure"), "{csrf_cookie}");
    let body = resp.text().await.unwrap();
    let page = Page {
        method: "GET".into(),
        path: url.clone(),
        status: reqwest::StatusCode::OK,
        headers: Default::default(),
        body,
    };
    let token = page.csrf_token().unwrap();
    let cookie_value = csrf_cookie.split(';').next().unwrap().to_string();
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("email", "inwoner@haarlem.demo"),
            ("password", DEMO_PASSWORD),
            ("_csrf", token.as_str()),
        ])
        .finish();
    let resp = client
        .post(&url)
        .header("cookie", cookie_value)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    let cookies: Vec<String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    let sid = cookies
        .iter()
        .find(|c| c.starts_with("mdn_sid="))
        .expect("session cookie");
    for c in &cookies {
        assert!(c.contains("; Secure"), "not Secure: {c}");
        assert!(c.contains("HttpOnly"), "not HttpOnly: {c}");
    }
    assert!(sid.contains("SameSite=Lax") || sid.contains("SameSite=Strict"));
}

both_backends!(not_found_pages, |app| async move {
    for path in [
        "/bestaat-niet",
        "/haarlem/bestaat-niet",
        "/onbekende-gemeente",
        "/onbekende-gemeente/kaart",
        "/haarlem/bestanden/999999",
        "/haarlem/bestanden/geen-getal",
        "/over/geheim",
    ] {
        let p = app.get(path).await;
        p.assert_status(404)
            .assert_contains("Deze pagina bestaat niet")
            .assert_contains("<html lang=\"nl\"");
        assert!(
            p.header("content-type")
                .unwrap_or("")
                .starts_with("text/html")
        );
    }
    // In English for a visitor whose browser asks for English.
    let en = app
        .get_with("/bestaat-niet", &[("accept-language", "en-GB,en;q=0.9")])
        .await;
    en.assert_status(404)
        .assert_contains("This page does not exist")
        .assert_contains("<html lang=\"en\"");
    // Wrong method: a page too, not a bare status.
    let m = app.post_form("/haarlem/kaart", &[]).await;
    m.assert_status(405).assert_contains("<html");
});

both_backends!(language_switch, |app| async move {
    let home = app.get("/haarlem").await;
    home.assert_status(200)
        .assert_contains("<html lang=\"nl\"")
        .assert_contains("Naar de inhoud");
    // The switch link on the page leads back to the same page.
    home.assert_contains("href=\"/taal/en?terug=%2Fhaarlem\"");
    let switch = app.get("/taal/en?terug=%2Fhaarlem%2Fkaart").await;
    switch.assert_redirect("/haarlem/kaart");
    assert_eq!(switch.location(), Some("/haarlem/kaart"));
    let lang_cookie = switch
        .header_all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("mdn_lang="))
        .expect("language cookie");
    assert!(lang_cookie.starts_with("mdn_lang=en"));
    let map = app.get("/haarlem/kaart").await;
    map.assert_status(200)
        .assert_contains("<html lang=\"en\"")
        .assert_contains("Skip to content")
        .assert_not_contains("Naar de inhoud");
    // Forms and their messages in English too.
    let login = app
        .post_form(
            "/haarlem/inloggen",
            &[
                ("email", "inwoner@haarlem.demo"),
                ("password", "wrong-password"),
            ],
        )
        .await;
    login
        .assert_status(422)
        .assert_contains("The e-mail address or password is not correct");
    // The cookie wins over the browser's language; an unknown code falls back to Dutch.
    let nl = app.get_with("/haarlem", &[("accept-language", "nl")]).await;
    nl.assert_contains("<html lang=\"en\"");
    app.get("/taal/xx").await.assert_redirect("/");
    app.get("/haarlem")
        .await
        .assert_contains("<html lang=\"nl\"");
});

both_backends!(migrations_are_safe_to_run_concurrently, |app| async move {
    // Two instances starting at the same time against one empty database: each migration
    // is applied exactly once and neither start fails.
    let (url, _guard) = crate::common::fresh_database(app.backend)
        .await
        .expect("a second database");
    let a = meedoen::db::Db::connect(&url).await.expect("connect a");
    let b = meedoen::db::Db::connect(&url).await.expect("connect b");
    let (ra, rb) = tokio::join!(meedoen::db::migrate::run(&a), meedoen::db::migrate::run(&b));
    let (ra, rb) = (ra.expect("first migrator"), rb.expect("second migrator"));
    let mut all: Vec<i64> = ra.iter().chain(rb.iter()).copied().collect();
    all.sort_unstable();
    let stored: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM meedoen_migrations ORDER BY version")
            .fetch_all(a.pool())
            .await
            .expect("versions");
    assert!(!stored.is_empty());
    assert_eq!(
        all, stored,
        "every migration applied once, by one of the two"
    );
    assert!(
        meedoen::db::migrate::run(&a)
            .await
            .expect("again")
            .is_empty()
    );
    a.close().await;
    b.close().await;
});
