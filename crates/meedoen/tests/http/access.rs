//! The access matrix: every route of `meedoen::web::route_specs()` with every kind of
//! visitor, GET and POST (a valid CSRF token and an otherwise empty form), checked against
//! the route's declared access:
//!
//! - allowed: no 401/403/404/405, no redirect to the login page, no 5xx;
//! - anonymous on a protected route: 303 to the login page (`…/inloggen?terug=…`);
//! - logged in without the right role in the path's municipality: 403.
//!
//! And isolation between municipalities: staff of Zaanstad asking, under their own
//! municipality's address, for records of Haarlem (users, areas, jobs, files…) get 404,
//! while the same request with Zaanstad's own records is allowed — so the 404 comes from
//! the tenant check, not from a broken test. No denied page shows Haarlem's accounts.
//!
//! Adding a route with a new path parameter? Add a filler in [`fillers`]; until then this
//! test fails and lists the route. A parameter naming a record that belongs to one
//! municipality is added with `owned`, so the isolation check covers it.

use crate::common::*;
use meedoen::web::ctx::Role;
use meedoen::web::routes::{Access, RouteSpec};
use std::collections::{BTreeMap, BTreeSet};

/// A kind of visitor.
#[derive(Clone, Debug)]
struct Visitor {
    label: String,
    email: Option<String>,
    platform: bool,
    /// (tenant slug, role)
    roles: Vec<(&'static str, Role)>,
}

fn visitors() -> Vec<Visitor> {
    let mut v = vec![Visitor {
        label: "anonymous".into(),
        email: None,
        platform: false,
        roles: vec![],
    }];
    let person = |local: &str, tenant: &'static str, roles: &[Role]| Visitor {
        label: format!("{local}@{tenant}"),
        email: Some(format!("{local}@{tenant}.demo")),
        platform: false,
        roles: roles.iter().map(|r| (tenant, *r)).collect(),
    };
    // A resident of Haarlem, every staff role of Haarlem, and staff of another municipality.
    v.push(person("inwoner", "haarlem", &[]));
    for r in Role::ALL {
        v.push(person(r.key(), "haarlem", &[r]));
    }
    v.push(person(
        "procesbegeleider",
        "zaanstad",
        &[Role::Procesbegeleider],
    ));
    v.push(person("beheerder", "zaanstad", &[Role::Beheerder]));
    v.push(Visitor {
        label: "platform".into(),
        email: Some("platform@meedoen.demo".into()),
        platform: true,
        roles: vec![],
    });
    v
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Allow,
    LoginRedirect,
    Forbidden,
}

fn expected(access: &Access, visitor: &Visitor, tenant: &str) -> Expect {
    let logged_in = visitor.email.is_some();
    match access {
        Access::Public => Expect::Allow,
        _ if !logged_in => Expect::LoginRedirect,
        Access::LoggedIn => Expect::Allow,
        Access::Platform if visitor.platform => Expect::Allow,
        Access::Platform => Expect::Forbidden,
        Access::Roles(_, _) if visitor.platform => Expect::Allow,
        Access::Roles(_, roles) => {
            if visitor
                .roles
                .iter()
                .any(|(t, r)| *t == tenant && roles.contains(r))
            {
                Expect::Allow
            } else {
                Expect::Forbidden
            }
        }
    }
}

/// Path parameter values for one municipality.
struct Fillers {
    values: BTreeMap<&'static str, String>,
    /// Parameters that name a record belonging to the municipality.
    owned: BTreeSet<&'static str>,
}

impl Fillers {
    fn set(&mut self, name: &'static str, v: impl ToString) {
        self.values.insert(name, v.to_string());
    }
    fn owned(&mut self, name: &'static str, v: impl ToString) {
        self.set(name, v);
        self.owned.insert(name);
    }
}

fn params_of(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|s| s.trim_start_matches('*'))
        .collect()
}

/// `/{tenant}/x/{id}` with values; `None` when a parameter has no filler.
fn fill(path: &str, f: &Fillers, tenant: &str) -> String {
    path.split('/')
        .map(|seg| {
            match seg
                .strip_prefix('{')
                .and_then(|s| s.strip_suffix('}'))
                .map(|s| s.trim_start_matches('*'))
            {
                Some("tenant") => tenant.to_string(),
                Some(p) => f.values[p].clone(),
                None => seg.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Values for every path parameter of every route, for municipality `tenant`, made
/// through the app itself where the app makes them (jobs, files, login links).
async fn fillers(app: &TestApp, tenant: &str) -> Fillers {
    let mut f = Fillers {
        values: BTreeMap::new(),
        owned: BTreeSet::new(),
    };
    let admin = app.session_as(&format!("beheerder@{tenant}.demo")).await;
    f.set("lang", "en");
    f.set("page", "privacy");
    f.owned(
        "user",
        app.user_id(&format!("inwoner2@{tenant}.demo")).await,
    );
    let tenant_id = app.tenant_id(tenant).await;
    let (area_id, code, name): (i64, String, String) = sqlx::query_as(
        "SELECT id, code, name FROM areas WHERE tenant_id = $1 AND kind = 'wijk' ORDER BY code LIMIT 1",
    )
    .bind(tenant_id)
    .fetch_one(app.db().pool())
    .await
    .expect("a wijk in the demo");
    f.owned("area", area_id);
    // A job: import that same wijk again (changes nothing).
    let geojson = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"statcode": code, "statnaam": name}, "geometry": null}
    ]})
    .to_string();
    let started = admin
        .post_multipart(
            &format!("/{tenant}/beheer/gebieden"),
            &[],
            &[FilePart {
                field: "bestand",
                filename: "wijk.geojson",
                content_type: "application/geo+json",
                bytes: geojson.as_bytes(),
            }],
        )
        .await;
    started.assert_redirect(&format!("/{tenant}/taken/"));
    let job = started.location().unwrap().rsplit('/').next().unwrap();
    f.owned("job", job);
    // A public file: the municipality's logo.
    let theme = admin.get(&format!("/{tenant}/beheer/huisstijl")).await;
    theme.assert_status(200);
    let colour = |n: &str| theme.input_value(n).expect("colour field");
    let (p, pt, a) = (colour("primary"), colour("primary_text"), colour("accent"));
    admin
        .post_multipart(
            &format!("/{tenant}/beheer/huisstijl"),
            &[("primary", &p), ("primary_text", &pt), ("accent", &a)],
            &[FilePart {
                field: "logo",
                filename: "logo.png",
                content_type: "image/png",
                bytes: TINY_PNG,
            }],
        )
        .await
        .assert_status(303);
    let file: Option<i64> = sqlx::query_scalar("SELECT logo_file_id FROM tenants WHERE id = $1")
        .bind(tenant_id)
        .fetch_one(app.db().pool())
        .await
        .expect("tenant");
    f.owned("file", file.expect("logo stored"));
    // Trajecten: a closed trajectory (its reports are public; staff actions on it change
    // nothing) and one of its reactions. The plan step is a number 1..=STEPS.
    let traject: i64 = sqlx::query_scalar(
        "SELECT id FROM trajectories WHERE tenant_id = $1 AND status = 'gesloten' ORDER BY id LIMIT 1",
    )
    .bind(tenant_id)
    .fetch_one(app.db().pool())
    .await
    .expect("a closed trajectory in the demo");
    f.owned("id", traject);
    let reaction: i64 =
        sqlx::query_scalar("SELECT id FROM reactions WHERE trajectory_id = $1 ORDER BY id LIMIT 1")
            .bind(traject)
            .fetch_one(app.db().pool())
            .await
            .expect("a reaction on the closed trajectory");
    f.owned("reaction", reaction);
    f.set("step", 1);
    // Buurtbudget: the demo round in its voting phase, one of its plans and letter batches.
    let ronde: i64 = sqlx::query_scalar(
        "SELECT id FROM bb_rounds WHERE tenant_id = $1 AND title LIKE '%stem nu%' ORDER BY id LIMIT 1",
    )
    .bind(tenant_id)
    .fetch_one(app.db().pool())
    .await
    .expect("a buurtbudget round in the demo");
    f.owned("ronde", ronde);
    let plan: i64 =
        sqlx::query_scalar("SELECT id FROM bb_plans WHERE round_id = $1 ORDER BY id LIMIT 1")
            .bind(ronde)
            .fetch_one(app.db().pool())
            .await
            .expect("a plan in the demo round");
    f.owned("plan", plan);
    let batch: i64 = sqlx::query_scalar(
        "SELECT id FROM bb_letter_batches WHERE round_id = $1 ORDER BY id LIMIT 1",
    )
    .bind(ronde)
    .fetch_one(app.db().pool())
    .await
    .expect("a letter batch in the demo round");
    f.owned("batch", batch);
    // Burgerberaad: the finished demo assembly (published; staff actions on it change
    // nothing), one of its members, meetings and recommendations.
    let beraad: i64 = sqlx::query_scalar(
        "SELECT id FROM ba_assemblies WHERE tenant_id = $1 AND status = 'afgerond' ORDER BY id LIMIT 1",
    )
    .bind(tenant_id)
    .fetch_one(app.db().pool())
    .await
    .expect("a finished citizens' assembly in the demo");
    f.owned("beraad", beraad);
    let bb = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .bind(beraad)
            .fetch_one(app.db().pool())
            .await
            .expect("burgerberaad demo record")
    };
    f.owned("lid", bb("SELECT id FROM ba_registrations WHERE assembly_id = $1 AND panel_status = 'lid' ORDER BY id LIMIT 1").await);
    f.owned(
        "bijeenkomst",
        bb("SELECT id FROM ba_meetings WHERE assembly_id = $1 ORDER BY id LIMIT 1").await,
    );
    f.owned(
        "aanbeveling",
        bb("SELECT id FROM ba_recommendations WHERE assembly_id = $1 ORDER BY id LIMIT 1").await,
    );
    // A login link (from the development outbox).
    let visitor = app.new_session();
    let to = format!("access-test@{tenant}.example");
    visitor
        .post_form(
            &format!("/{tenant}/inloggen/link"),
            &[("link_email", &to), ("link_name", "Test")],
        )
        .await
        .assert_status(200);
    let link = app.login_link_for(tenant, &to).await;
    f.set("token", link.rsplit('/').next().unwrap());
    f
}

struct Failures(Vec<String>);

impl Failures {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }
}

fn verdict(page: &Page) -> &'static str {
    if page.is_login_redirect() {
        "login-redirect"
    } else if page.status.is_server_error() {
        "server-error"
    } else {
        match page.status.as_u16() {
            401 | 403 => "forbidden",
            404 => "not-found",
            405 => "method-not-allowed",
            _ => "allowed",
        }
    }
}

/// The login page a redirect points at exists and has the password form.
async fn login_page_ok(s: &Session, redirect: &Page) -> bool {
    let Some(to) = redirect.location() else {
        return false;
    };
    let p = s.get(to).await;
    p.status.as_u16() == 200 && p.body.contains("name=\"password\"")
}

async fn request(s: &Session, spec: &RouteSpec, path: &str) -> Page {
    match spec.method {
        "GET" => s.get(path).await,
        "POST" => s.post_form(path, &[]).await,
        m => panic!(
            "route {} has method {m}, which the access test cannot walk",
            spec.path
        ),
    }
}

both_backends!(every_route_with_every_role, |app| async move {
    let specs = meedoen::web::route_specs();
    assert!(specs.len() > 20, "route_specs() looks incomplete");

    let haarlem = fillers(&app, "haarlem").await;
    let zaanstad = fillers(&app, "zaanstad").await;

    // Every parameter must have a filler.
    let mut unfilled: Vec<String> = Vec::new();
    for spec in &specs {
        for p in params_of(spec.path) {
            if p != "tenant" && !haarlem.values.contains_key(p) {
                unfilled.push(format!("{} {} (parameter {{{p}}})", spec.method, spec.path));
            }
        }
    }
    assert!(
        unfilled.is_empty(),
        "the access test has no value for these path parameters; add a filler in \
         tests/http/access.rs `fillers()`:\n  {}",
        unfilled.join("\n  ")
    );

    let mut failures = Failures(Vec::new());
    let mut checked = 0usize;
    let visitors = visitors();

    // 1. Every route × every visitor, in Haarlem.
    for spec in &specs {
        let path = fill(spec.path, &haarlem, "haarlem");
        for v in &visitors {
            let s = app.quick_session(v.email.as_deref()).await;
            let page = request(&s, spec, &path).await;
            let want = expected(&spec.access, v, "haarlem");
            let got = verdict(&page);
            checked += 1;
            let ok = match want {
                Expect::Allow => {
                    got == "allowed"
                        && (spec.method != "GET"
                            || page.status.as_u16() < 400
                            || page.status.as_u16() == 410)
                }
                Expect::LoginRedirect => got == "login-redirect" && login_page_ok(&s, &page).await,
                Expect::Forbidden => page.status.as_u16() == 403,
            };
            failures.check(ok, || {
                format!(
                    "{} {} as {}: expected {:?} ({:?}), got {} {}",
                    spec.method, path, v.label, want, spec.access, page.status, got
                )
            });
            failures.check(!page.status.is_server_error(), || {
                format!(
                    "{} {} as {}: server error {}",
                    spec.method, path, v.label, page.status
                )
            });
            if want != Expect::Allow {
                failures.check(!page.body.contains("@haarlem.demo"), || {
                    format!(
                        "{} {} as {}: denied, yet the page shows Haarlem accounts",
                        spec.method, path, v.label
                    )
                });
            }
        }
    }

    // 2. Isolation: Zaanstad staff, under /zaanstad, with Haarlem's records → 404; with
    //    Zaanstad's own records → allowed.
    let zaanstad_staff: Vec<&Visitor> = visitors
        .iter()
        .filter(|v| v.roles.iter().any(|(t, _)| *t == "zaanstad"))
        .collect();
    let mut isolation_routes = 0;
    for spec in &specs {
        let params = params_of(spec.path);
        if !params.iter().any(|p| haarlem.owned.contains(p)) || !params.contains(&"tenant") {
            continue;
        }
        isolation_routes += 1;
        let foreign = fill(spec.path, &haarlem, "zaanstad");
        let own = fill(spec.path, &zaanstad, "zaanstad");
        for v in &zaanstad_staff {
            if expected(&spec.access, v, "zaanstad") != Expect::Allow {
                continue;
            }
            let s = app.quick_session(v.email.as_deref()).await;
            let page = request(&s, spec, &foreign).await;
            checked += 1;
            failures.check(page.status.as_u16() == 404, || {
                format!(
                    "{} {} as {}: a Haarlem record under /zaanstad must be 404, got {}",
                    spec.method, foreign, v.label, page.status
                )
            });
            failures.check(!page.body.contains("@haarlem.demo"), || {
                format!(
                    "{} {} as {}: shows Haarlem accounts",
                    spec.method, foreign, v.label
                )
            });
            // The control: Zaanstad's own record is found. (Skip POSTs here: they act.)
            if spec.method == "GET" {
                let s = app.quick_session(v.email.as_deref()).await;
                let page = request(&s, spec, &own).await;
                checked += 1;
                failures.check(verdict(&page) == "allowed", || {
                    format!(
                        "control: {} {} as {}: own record should be allowed, got {}",
                        spec.method, own, v.label, page.status
                    )
                });
            }
        }
    }
    assert!(
        isolation_routes > 0,
        "no route with a tenant-owned parameter found"
    );

    assert!(
        failures.0.is_empty(),
        "{} of {checked} access checks failed:\n  {}",
        failures.0.len(),
        failures.0.join("\n  ")
    );
    eprintln!(
        "access matrix ({:?}): {checked} checks over {} routes and {} visitors",
        app.backend,
        specs.len(),
        visitors.len()
    );
});

both_backends!(anonymous_is_sent_to_login_and_back, |app| async move {
    let page = app.get("/haarlem/beheer/gebruikers").await;
    page.assert_redirect("/haarlem/inloggen?terug=");
    assert!(
        page.location()
            .unwrap()
            .contains("terug=%2Fhaarlem%2Fbeheer%2Fgebruikers")
    );
    // After logging in through that page the administrator lands where they wanted to be.
    let form = app.get(page.location().unwrap()).await;
    form.assert_status(200);
    let back = form.input_value("terug").expect("terug field");
    assert_eq!(back, "/haarlem/beheer/gebruikers");
    let done = app
        .post_form(
            "/haarlem/inloggen",
            &[
                ("email", "beheerder@haarlem.demo"),
                ("password", DEMO_PASSWORD),
                ("terug", &back),
            ],
        )
        .await;
    done.assert_redirect("/haarlem/beheer/gebruikers");
    app.get("/haarlem/beheer/gebruikers")
        .await
        .assert_status(200)
        .assert_contains("inwoner@haarlem.demo");
});

both_backends!(no_open_redirect_after_login, |app| async move {
    for evil in [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let done = app
            .post_form(
                "/haarlem/inloggen",
                &[
                    ("email", "inwoner@haarlem.demo"),
                    ("password", DEMO_PASSWORD),
                    ("terug", evil),
                ],
            )
            .await;
        done.assert_redirect("/haarlem");
        assert_eq!(done.location(), Some("/haarlem"), "followed {evil}");
    }
    let lang = app.get("/taal/en?terug=%2F%2Fevil.example").await;
    assert_eq!(lang.location(), Some("/"));
});
