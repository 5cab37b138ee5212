//! Bad input, on every form: the test finds the forms itself by crawling the app as an
//! anonymous visitor, a resident, an administrator and the platform operator, then sends
//! each form hostile values (script tags, attribute breakers, SQL fragments, very long
//! strings, odd unicode, control characters, numbers and dates out of range). No answer may
//! be a 5xx, no answer may reflect markup unescaped, and afterwards no page shows stored
//! markup unescaped. Forms of new modules are covered without changes here.
//!
//! Plus the transport-level cases: oversized bodies (413), wrong content types (415),
//! malformed multipart and urlencoded bodies.

use crate::common::*;
use std::collections::{BTreeSet, VecDeque};

/// Values that must never break a page or the database.
fn hostile_values() -> Vec<(&'static str, String)> {
    vec![
        ("script", "<script>alert(\"mdn-xss\")</script>".into()),
        (
            "attribute",
            "\"><svg onload=alert(1)>'><img src=x onerror=alert(2)>".into(),
        ),
        ("sql", "'; DROP TABLE users; --".into()),
        (
            "sql2",
            "Robert'); DELETE FROM sessions WHERE ('1'='1".into(),
        ),
        (
            "unicode",
            "Zoë 👩🏽‍🌾 مرحبا \u{202e}gnp.exe 𝕄𝕖𝕖𝕕𝕠𝕖𝕟 ﷽ e\u{301}\u{301}\u{301}".into(),
        ),
        ("control", "nul\u{0}byte\u{7}bell\u{1b}[31m".into()),
        ("long", "Lang ".repeat(12_000)),
        ("number", "-99999999999999999999999999".into()),
        ("date", "2026-02-30".into()),
        ("path", "../../../etc/passwd%00".into()),
        ("empty", String::new()),
        ("spaces", "   ".into()),
    ]
}

/// Markers whose unescaped presence in a page means injected markup.
const RAW_MARKERS: [&str; 3] = ["<script>alert(", "<svg onload=", "<img src=x onerror"];

#[derive(Debug, Clone)]
struct Field {
    name: String,
    kind: String,
    value: String,
}

#[derive(Debug, Clone)]
struct HtmlForm {
    method: String,
    action: String,
    multipart: bool,
    fields: Vec<Field>,
    found_on: String,
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let pat = format!(" {name}=\"");
    let i = tag.find(&pat)?;
    let rest = &tag[i + pat.len()..];
    Some(html_unescape(&rest[..rest.find('"')?]))
}

fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = html[from..].find(&open) {
        let start = from + i;
        let after = html[start + open.len()..].chars().next().unwrap_or('>');
        let Some(end) = html[start..].find('>') else {
            break;
        };
        if after == ' ' || after == '>' {
            out.push(&html[start..start + end + 1]);
        }
        from = start + end + 1;
    }
    out
}

/// The forms of a page (attributes as the app's templates write them).
fn forms_of(page_path: &str, html: &str) -> Vec<HtmlForm> {
    let mut out = Vec::new();
    for chunk in html.split("<form").skip(1) {
        let inner = &chunk[..chunk.find("</form>").unwrap_or(chunk.len())];
        let tag = format!("<form{}", &inner[..inner.find('>').unwrap_or(0)]);
        let method = attr(&tag, "method")
            .unwrap_or_else(|| "get".into())
            .to_lowercase();
        let action = attr(&tag, "action")
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| page_path.to_string());
        if !action.starts_with('/') {
            continue;
        }
        let multipart = attr(&tag, "enctype").is_some_and(|e| e.contains("multipart"));
        let mut fields = Vec::new();
        for t in tags(inner, "input") {
            if let Some(name) = attr(t, "name") {
                fields.push(Field {
                    name,
                    kind: attr(t, "type").unwrap_or_else(|| "text".into()),
                    value: attr(t, "value").unwrap_or_default(),
                });
            }
        }
        for (tagname, kind) in [
            ("textarea", "textarea"),
            ("select", "select"),
            ("button", "button"),
        ] {
            for t in tags(inner, tagname) {
                if let Some(name) = attr(t, "name") {
                    fields.push(Field {
                        name,
                        kind: kind.into(),
                        value: attr(t, "value").unwrap_or_default(),
                    });
                }
            }
        }
        out.push(HtmlForm {
            method,
            action,
            multipart,
            fields,
            found_on: page_path.to_string(),
        });
    }
    out
}

fn links_of(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(html_unescape)
        .filter(|h| h.starts_with('/') && !h.starts_with("//"))
        .map(|h| h.split('#').next().unwrap_or("").to_string())
        .collect()
}

fn crawlable(path: &str) -> bool {
    let p = path.split('?').next().unwrap_or("");
    // One municipality is enough: the other has the same forms.
    !(p.starts_with("/assets/")
        || p.starts_with("/zaanstad")
        || p.starts_with("/taal/")
        || p.starts_with("/api/")
        || p == "/uitloggen"
        || p == "/metrics"
        || p.ends_with(".pdf")
        || p.ends_with(".json")
        || p.ends_with(".css")
        || p.ends_with(".csv")
        || p.contains("/bestanden/"))
}

/// Digits in a path replaced, so that the same form on many records counts once.
fn shape(path: &str) -> String {
    path.split('?')
        .next()
        .unwrap_or("")
        .split('/')
        .map(|s| {
            if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
                "N"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

struct Crawl {
    pages: Vec<Page>,
    forms: Vec<HtmlForm>,
    /// Links (not seeds) that answered 404.
    broken: Vec<String>,
}

/// Visit up to `limit` pages reachable from `seeds`, following links within the app.
async fn crawl(s: &Session, seeds: &[String], limit: usize) -> Crawl {
    let mut queue: VecDeque<String> = seeds.iter().cloned().collect();
    let mut broken = Vec::new();
    let mut seen_paths = BTreeSet::new();
    let mut shapes: std::collections::BTreeMap<String, usize> = Default::default();
    let mut pages = Vec::new();
    let mut forms = Vec::new();
    let mut form_keys = BTreeSet::new();
    while let Some(path) = queue.pop_front() {
        if pages.len() >= limit {
            break;
        }
        if !crawlable(&path) || !seen_paths.insert(path.clone()) {
            continue;
        }
        // At most a few pages of the same shape (e.g. every trajectory).
        let n = shapes.entry(shape(&path)).or_default();
        if *n >= 3 {
            continue;
        }
        *n += 1;
        let page = s.get(&path).await;
        if page.status.as_u16() == 404 && !seeds.contains(&path) {
            broken.push(path.clone());
        }
        let html = page
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/html"));
        if html && page.status.as_u16() == 200 {
            for f in forms_of(&path, &page.body) {
                let mut names: Vec<&str> = f.fields.iter().map(|x| x.name.as_str()).collect();
                names.sort();
                let key = format!("{} {} {}", f.method, shape(&f.action), names.join(","));
                if form_keys.insert(key) {
                    forms.push(f);
                }
            }
            for l in links_of(&page.body) {
                if !seen_paths.contains(&l) {
                    queue.push_back(l);
                }
            }
        }
        pages.push(page);
    }
    Crawl {
        pages,
        forms,
        broken,
    }
}

fn seeds_for(tenant: &str) -> Vec<String> {
    [
        "/",
        "/inloggen",
        "/account",
        "/platform",
        "/over/privacy",
        "/{t}",
        "/{t}/inloggen",
        "/{t}/kaart",
        "/{t}/trajecten",
        "/{t}/mijn-reacties",
        "/{t}/beheer",
        "/{t}/beheer/trajecten",
        "/{t}/beheer/trajecten/nieuw",
    ]
    .iter()
    .map(|p| p.replace("{t}", tenant))
    .collect()
}

fn check_no_raw_markup(page: &Page, context: &str, failures: &mut Vec<String>) {
    for m in RAW_MARKERS {
        if page.body.contains(m) {
            failures.push(format!(
                "{context}: {} {} shows unescaped {m:?}",
                page.method, page.path
            ));
        }
    }
}

fn is_file_field(f: &Field) -> bool {
    f.kind == "file"
}

/// Submit `form` with `value` in its fields (`hidden_too`: also in hidden fields).
async fn submit(s: &Session, form: &HtmlForm, value: &str, hidden_too: bool) -> Page {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let value = value.to_string();
    for f in &form.fields {
        if f.name == "_csrf" || is_file_field(f) {
            continue;
        }
        let hostile = match f.kind.as_str() {
            "hidden" => hidden_too,
            "submit" | "button" => false,
            _ => true,
        };
        pairs.push((
            f.name.clone(),
            if hostile {
                value.clone()
            } else {
                f.value.clone()
            },
        ));
    }
    if form.method == "get" {
        // Query strings: browsers and servers cap URLs at a few kB.
        for (_, v) in pairs.iter_mut() {
            if v.len() > 2000 {
                *v = v.chars().take(2000).collect();
            }
        }
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let q = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(refs.iter())
            .finish();
        let sep = if form.action.contains('?') { '&' } else { '?' };
        return s.get(&format!("{}{sep}{q}", form.action)).await;
    }
    if form.multipart {
        let files: Vec<FilePart> = form
            .fields
            .iter()
            .filter(|f| is_file_field(f))
            .map(|f| FilePart {
                field: &f.name,
                filename: "kwaad<script>.png",
                content_type: "text/html",
                bytes: value.as_bytes(),
            })
            .collect();
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        s.post_multipart(&form.action, &refs, &files).await
    } else {
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        s.post_form(&form.action, &refs).await
    }
}

both_backends!(hostile_input_on_every_form, |app| async move {
    let visitors: [Option<&str>; 4] = [
        None,
        Some("inwoner@haarlem.demo"),
        Some("beheerder@haarlem.demo"),
        Some("platform@meedoen.demo"),
    ];
    let mut failures: Vec<String> = Vec::new();
    let mut all_forms: Vec<(Option<&str>, HtmlForm)> = Vec::new();
    for v in visitors {
        let s = app.quick_session(v).await;
        let c = crawl(&s, &seeds_for("haarlem"), 120).await;
        for p in &c.pages {
            if p.status.is_server_error() {
                failures.push(format!("crawl as {v:?}: {}", p.excerpt()));
            }
        }
        for b in &c.broken {
            failures.push(format!("broken link as {v:?}: {b} answers 404"));
        }
        for f in c.forms {
            // Logging out would only end the throwaway session; it has no input.
            if f.action != "/uitloggen" {
                all_forms.push((v, f));
            }
        }
    }
    let actions: BTreeSet<String> = all_forms.iter().map(|(_, f)| shape(&f.action)).collect();
    // The kern forms must have been found, or the crawl is broken.
    for must in [
        "/haarlem/inloggen",
        "/haarlem/inloggen/link",
        "/account/wachtwoord",
        "/account/verwijderen",
        "/haarlem/beheer/gebruikers",
        "/haarlem/beheer/gebruikers/N",
        "/haarlem/beheer/ladder",
        "/haarlem/beheer/themas",
        "/haarlem/beheer/huisstijl",
        "/haarlem/beheer/gebieden",
        "/platform/gemeenten",
    ] {
        assert!(
            actions.contains(must),
            "the crawl did not find the form {must}; found: {actions:?}"
        );
    }

    let mut submissions = 0;
    for (v, form) in &all_forms {
        for (label, value) in hostile_values() {
            for hidden_too in [false, true] {
                // A fresh session per submission: some forms end sessions or accounts.
                let s = app.quick_session(*v).await;
                let page = submit(&s, form, &value, hidden_too).await;
                submissions += 1;
                let context = format!(
                    "{} {} (from {}) as {v:?} with {label}{}",
                    form.method.to_uppercase(),
                    form.action,
                    form.found_on,
                    if hidden_too {
                        " (also hidden fields)"
                    } else {
                        ""
                    }
                );
                if page.status.is_server_error() {
                    failures.push(format!("{context}: {}", page.excerpt()));
                }
                check_no_raw_markup(&page, &context, &mut failures);
            }
        }
    }

    // Stored values are shown escaped everywhere afterwards.
    for v in visitors {
        let s = app.quick_session(v).await;
        let c = crawl(&s, &seeds_for("haarlem"), 150).await;
        for p in &c.pages {
            if p.status.is_server_error() {
                failures.push(format!("crawl after input as {v:?}: {}", p.excerpt()));
            }
            check_no_raw_markup(p, &format!("after input, as {v:?}"), &mut failures);
        }
    }
    // The database is intact and the demo accounts still work.
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(app.db().pool())
        .await
        .expect("users table still there");
    assert!(users >= 15);
    // (Hostile forms may have reset demo passwords; the platform account has none of those.)
    app.new_session().login("platform@meedoen.demo").await;

    failures.sort();
    failures.dedup();
    assert!(
        failures.is_empty(),
        "{} problems in {submissions} hostile submissions to {} forms:\n  {}",
        failures.len(),
        all_forms.len(),
        failures.join("\n  ")
    );
    eprintln!(
        "hostile input ({:?}): {submissions} submissions to {} forms: {:?}",
        app.backend,
        all_forms.len(),
        actions
    );
});

both_backends!(oversized_bodies_are_refused, |app| async move {
    let token = app.csrf().await;
    let big = format!("_csrf={token}&email={}", "a".repeat(3 * 1024 * 1024));
    app.post_body(
        "/haarlem/inloggen",
        "application/x-www-form-urlencoded",
        big.into_bytes(),
    )
    .await
    .assert_status(413)
    .assert_contains("Wat u stuurt is te groot");
    let admin = app.session_as("beheerder@haarlem.demo").await;
    let huge = vec![b'x'; 3 * 1024 * 1024];
    admin
        .post_multipart(
            "/haarlem/beheer/gebieden",
            &[],
            &[FilePart {
                field: "bestand",
                filename: "groot.geojson",
                content_type: "application/geo+json",
                bytes: &huge,
            }],
        )
        .await
        .assert_status(413);
    // Just under the limit is read (and then refused for what it says, not for its size).
    let ok = format!("_csrf={token}&email={}", "a".repeat(1024 * 1024));
    app.post_body(
        "/haarlem/inloggen",
        "application/x-www-form-urlencoded",
        ok.into_bytes(),
    )
    .await
    .assert_status(422);
});

both_backends!(wrong_content_types_are_refused, |app| async move {
    let token = app.csrf().await;
    for ct in ["application/json", "text/plain", "application/xml", ""] {
        let p = app
            .post_body(
                "/haarlem/inloggen",
                ct,
                format!("{{\"_csrf\":\"{token}\",\"email\":\"a@b.nl\"}}").into_bytes(),
            )
            .await;
        p.assert_status(415)
            .assert_contains("Dit soort gegevens kunnen we niet lezen");
    }
    // A multipart body where only urlencoded is read.
    app.post_multipart("/haarlem/inloggen", &[("email", "a@b.nl")], &[])
        .await
        .assert_status(415);
    // A file form refuses JSON too.
    let admin = app.session_as("beheerder@haarlem.demo").await;
    admin
        .post_body(
            "/haarlem/beheer/gebieden",
            "application/json",
            b"{}".to_vec(),
        )
        .await
        .assert_status(415);
});

both_backends!(malformed_bodies_are_refused, |app| async move {
    let admin = app.session_as("beheerder@haarlem.demo").await;
    let token = admin.csrf().await;
    // Multipart without a closing boundary / with a wrong boundary.
    let broken = format!(
        "--b\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n--b\r\nContent-Disposition: form-data; name=\"bestand\"; filename=\"x\"\r\n\r\nabc"
    );
    let p = admin
        .post_body(
            "/haarlem/beheer/gebieden",
            "multipart/form-data; boundary=b",
            broken.into_bytes(),
        )
        .await;
    assert!(
        matches!(p.status.as_u16(), 400 | 422),
        "broken multipart: {}",
        p.excerpt()
    );
    let p = admin
        .post_body(
            "/haarlem/beheer/huisstijl",
            "multipart/form-data",
            b"no boundary at all".to_vec(),
        )
        .await;
    assert!(matches!(p.status.as_u16(), 400 | 415), "{}", p.excerpt());
    // Urlencoded with broken escapes and invalid UTF-8.
    let mut body = format!("_csrf={token}&name=%ZZ%e2%28%a1&name2=").into_bytes();
    body.extend_from_slice(&[0xff, 0xfe, 0xfd]);
    let p = admin
        .post_body(
            "/haarlem/beheer/themas",
            "application/x-www-form-urlencoded",
            body,
        )
        .await;
    assert!(!p.status.is_server_error(), "{}", p.excerpt());
    // Absurd query strings on GET pages.
    for q in [
        "/%00",
        "/haarlem%00",
        "/haarlem/inloggen/link/%00abc",
        "/haarlem/beheer/gebruikers/%00",
        "/haarlem/beheer/logboek?voor=-1&actie=%00",
        "/haarlem/beheer/logboek?voor=99999999999999999999999",
        "/haarlem/beheer/gebruikers?q=%27%20OR%201%3D1%20--",
        "/haarlem/trajecten?gebied=abc&thema=%3Cscript%3E&fase=999999999999999999999",
        "/api/v1/haarlem/trajecten?gebied=-1&limit=999999999999",
    ] {
        let p = admin.get(q).await;
        assert!(!p.status.is_server_error(), "{}", p.excerpt());
        assert!(!p.body.contains("<script>"), "{q} reflects markup");
    }
    // A search with SQL in it finds nothing, and does not find everyone.
    let p = admin
        .get("/haarlem/beheer/gebruikers?q=%27%20OR%20%271%27%3D%271")
        .await;
    p.assert_status(200)
        .assert_not_contains("inwoner@haarlem.demo");
});
