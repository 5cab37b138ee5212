//! Test harness for black-box HTTP tests: a real `meedoen` app on a real database.
//!
//! [`TestApp::start`] creates a fresh database for the chosen backend (a temporary SQLite
//! file, or a new PostgreSQL database `meedoen_t_<pid>_<random>` on `MEEDOEN_TEST_PG_URL`,
//! dropped afterwards), migrates it, loads the demo (Haarlem and Zaanstad), serves the app
//! on `127.0.0.1:<random port>` and hands out [`Session`]s: reqwest clients with their own
//! cookie store that do not follow redirects, so tests can assert every status code.
//!
//! [`both_backends!`] runs one test body on SQLite and on PostgreSQL. When PostgreSQL is
//! unreachable the PostgreSQL test FAILS, unless `MEEDOEN_TEST_SKIP_PG=1` is set (meant for
//! a quick local run; refused when `CI` is set). `scripts/test` starts a PostgreSQL when
//! none is running, so a full run never skips.
//!
//! See docs/testing.md for how module authors add tests.

#![allow(dead_code)]

use meedoen::config::Config;
use meedoen::db::Db;
use meedoen::web::AppState;
use reqwest::StatusCode;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{HeaderMap, HeaderValue};
use std::sync::{Arc, Mutex};

/// Password of every demo account.
pub const DEMO_PASSWORD: &str = "meedoen-demo";
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A valid 1×1 PNG image (for logo uploads).
pub const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Run one async test body on both backends: generates a module `name` with the tests
/// `name::sqlite` and `name::postgres` (filter with `cargo test sqlite` / `postgres`).
///
/// ```ignore
/// both_backends!(login_works, |app| async move {
///     app.login("inwoner@haarlem.demo").await;
/// });
/// ```
///
/// With a changed configuration: `both_backends!(name, config = |c| c.x = y, |app| ...)`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, |$app:ident| $body:expr) => {
        $crate::both_backends!($name, config = |_| {}, |$app| $body);
    };
    ($name:ident, config = $tweak:expr, |$app:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app =
                    $crate::common::TestApp::start_with($crate::common::Backend::Sqlite, $tweak)
                        .await
                        .expect("SQLite is always available");
                $body.await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($app) =
                    $crate::common::TestApp::start_with($crate::common::Backend::Postgres, $tweak)
                        .await
                else {
                    return;
                };
                $body.await
            }
        }
    };
}

/// Whether PostgreSQL tests may be skipped (local runs only).
fn skip_pg_allowed() -> bool {
    let skip = std::env::var("MEEDOEN_TEST_SKIP_PG").is_ok_and(|v| v == "1");
    if skip && std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false") {
        panic!("MEEDOEN_TEST_SKIP_PG=1 is not allowed in CI: PostgreSQL tests must run");
    }
    skip
}

pub fn pg_admin_url() -> String {
    std::env::var("MEEDOEN_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string())
}

/// `postgres://user@host:port/db?x` with the database replaced.
fn pg_url_with_db(admin: &str, db: &str) -> String {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part_end = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    let mut url = format!("{}/{}", &base[..host_part_end], db);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

async fn pg_admin_exec(admin: &str, sql: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let mut conn = sqlx::postgres::PgConnection::connect(admin).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

/// Drop test databases left behind by test processes that no longer run (a crashed or
/// interrupted run cannot drop its own).
async fn pg_sweep_stale(admin: &str) {
    use sqlx::Connection;
    let Ok(mut conn) = sqlx::postgres::PgConnection::connect(admin).await else {
        return;
    };
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'meedoen_t_%'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap_or_default();
    for name in names {
        let pid = name
            .strip_prefix("meedoen_t_")
            .and_then(|r| r.split('_').next())
            .and_then(|p| p.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        if pid == std::process::id() || std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
    }
    let _ = conn.close().await;
}

/// Removes the test database when the test ends (also when it panics).
/// An empty database of the given backend (a temporary SQLite file, or a new PostgreSQL
/// database dropped when the guard goes). `None` only when PostgreSQL tests may be skipped.
pub async fn fresh_database(backend: Backend) -> Option<(String, DbGuard)> {
    let made = match backend {
        Backend::Sqlite => {
            let dir = tempfile::Builder::new()
                .prefix("meedoen-test-")
                .tempdir()
                .expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("test.db").display());
            (url, DbGuard::Sqlite(dir))
        }
        Backend::Postgres => {
            let admin = pg_admin_url();
            let name = format!(
                "meedoen_t_{}_{:016x}",
                std::process::id(),
                rand::random::<u64>()
            );
            static SWEPT: std::sync::Once = std::sync::Once::new();
            let mut first = false;
            SWEPT.call_once(|| first = true);
            if first {
                pg_sweep_stale(&admin).await;
            }
            if let Err(e) = pg_admin_exec(&admin, &format!("CREATE DATABASE \"{name}\"")).await {
                if skip_pg_allowed() {
                    eprintln!(
                        "SKIPPED: PostgreSQL test (MEEDOEN_TEST_SKIP_PG=1; {admin} unreachable: {e})"
                    );
                    return None;
                }
                panic!(
                    "PostgreSQL is not reachable at {admin} ({e}).\n\
                     The PostgreSQL tests must run: use scripts/test (it starts a PostgreSQL \
                     when none runs), set MEEDOEN_TEST_PG_URL to a server where user may create \
                     databases, or set MEEDOEN_TEST_SKIP_PG=1 for a local run without them."
                );
            }
            let url = pg_url_with_db(&admin, &name);
            (url, DbGuard::Postgres { admin, name })
        }
    };
    Some(made)
}

pub enum DbGuard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin: String, name: String },
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        if let DbGuard::Postgres { admin, name } = self {
            let (admin, name) = (admin.clone(), name.clone());
            // Drop runs inside the test's runtime: use a thread with a runtime of its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    if let Err(e) = pg_admin_exec(
                        &admin,
                        &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                    )
                    .await
                    {
                        eprintln!("warning: could not drop test database {name}: {e}");
                    }
                });
            })
            .join();
        }
    }
}

/// One running app on its own fresh database with the demo loaded.
pub struct TestApp {
    pub backend: Backend,
    /// `http://127.0.0.1:<port>`
    pub base: String,
    pub state: AppState,
    /// The default session (`app.get(..)` etc. go through it).
    pub session: Session,
    server: tokio::task::JoinHandle<()>,
    // Declared last: dropped after the server task is aborted.
    _guard: DbGuard,
}

impl std::ops::Deref for TestApp {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.session
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestApp {
    /// Start an app on a fresh database. `None` only when PostgreSQL is unreachable and
    /// `MEEDOEN_TEST_SKIP_PG=1` is set; otherwise an unreachable PostgreSQL panics.
    pub async fn start(backend: Backend) -> Option<TestApp> {
        Self::start_with(backend, |_| {}).await
    }

    /// Like [`TestApp::start`], with a chance to change the configuration (e.g. an https
    /// public URL for secure cookies).
    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
        // The app's logs (errors by default; RUST_LOG for more) go to the test's output,
        // which is shown when the test fails.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,sqlx=error")),
            )
            .try_init();
        let (url, guard) = fresh_database(backend).await?;
        let db = Db::connect(&url).await.expect("connect test database");
        meedoen::db::migrate::run(&db).await.expect("migrate");

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let base = format!("http://{addr}");
        let mut config = Config::for_tests(url);
        config.public_url = base.clone();
        config.bind = addr;
        tweak(&mut config);
        let state = AppState::new(db, config).await.expect("app state");
        meedoen::modules::kern::demo::load(&state)
            .await
            .expect("load demo");
        let serve_state = state.clone();
        let server = tokio::spawn(async move {
            if let Err(e) = meedoen::web::serve(serve_state, listener).await {
                eprintln!("server stopped: {e:#}");
            }
        });
        let session = Session::new(&base);
        Some(TestApp {
            backend,
            base,
            state,
            session,
            server,
            _guard: guard,
        })
    }

    /// A new visitor: an empty cookie store.
    pub fn new_session(&self) -> Session {
        Session::new(&self.base)
    }

    /// A new visitor logged in as `email` through the password form.
    pub async fn session_as(&self, email: &str) -> Session {
        let s = self.new_session();
        s.login(email).await;
        s
    }

    /// A visitor with a session for `email` started directly in the database (no
    /// password check), or an anonymous one for `None`, sharing this app's CSRF cookie.
    /// Cheap enough to use a fresh one per request, as the access test does.
    pub async fn quick_session(&self, email: Option<&str>) -> Session {
        let token = self.session.csrf().await;
        let csrf_cookie = self
            .session
            .cookie("mdn_csrf")
            .expect("the default session has a CSRF cookie");
        let s = self.new_session();
        s.set_cookie("mdn_csrf", &csrf_cookie);
        *s.csrf.lock().unwrap() = Some(token);
        if let Some(email) = email {
            let uid = self.user_id(email).await;
            let mut tx = self.db().begin().await.expect("begin");
            let sid = meedoen::modules::kern::accounts::start_session(&mut tx, uid)
                .await
                .expect("start session");
            tx.commit().await.expect("commit");
            s.set_cookie("mdn_sid", &sid);
        }
        s
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// The id of an account (for filling path parameters).
    pub async fn user_id(&self, email: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(self.db().pool())
            .await
            .unwrap_or_else(|e| panic!("no user {email}: {e}"))
    }

    pub async fn tenant_id(&self, slug: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM tenants WHERE slug = $1")
            .bind(slug)
            .fetch_one(self.db().pool())
            .await
            .unwrap_or_else(|e| panic!("no tenant {slug}: {e}"))
    }

    /// The newest message in the development outbox to `to`, read as the tenant's
    /// administrator would (the outbox page), as (subject, body).
    pub async fn last_mail_to(&self, tenant: &str, to: &str) -> Option<(String, String)> {
        let admin = self.session_as(&format!("beheerder@{tenant}.demo")).await;
        let page = admin.get(&format!("/{tenant}/beheer/outbox")).await;
        page.assert_status(200);
        page.mails()
            .into_iter()
            .find(|m| m.to.eq_ignore_ascii_case(to))
            .map(|m| (m.subject, m.body))
    }

    /// The login link in the newest outbox message to `to`, as a local path.
    pub async fn login_link_for(&self, tenant: &str, to: &str) -> String {
        let (_, body) = self
            .last_mail_to(tenant, to)
            .await
            .unwrap_or_else(|| panic!("no mail to {to} in the outbox of {tenant}"));
        let marker = format!("/{tenant}/inloggen/link/");
        let start = body
            .find(&marker)
            .unwrap_or_else(|| panic!("no login link in mail body: {body}"));
        let rest = &body[start..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '<' || c == '"')
            .unwrap_or(rest.len());
        rest[..end].to_string()
    }
}

/// One visitor: a reqwest client with its own cookie store. Redirects are not followed.
pub struct Session {
    base: String,
    url: reqwest::Url,
    jar: Arc<Jar>,
    client: reqwest::Client,
    csrf: Mutex<Option<String>>,
}

/// A multipart file part.
pub struct FilePart<'a> {
    pub field: &'a str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

impl Session {
    pub fn new(base: &str) -> Session {
        Self::with_jar(base, Arc::new(Jar::default()))
    }

    fn with_jar(base: &str, jar: Arc<Jar>) -> Session {
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .expect("client");
        Session {
            base: base.to_string(),
            url: reqwest::Url::parse(base).expect("base url"),
            jar,
            client,
            csrf: Mutex::new(None),
        }
    }

    /// A copy of this visitor (same cookies) whose cookie store then goes its own way.
    pub fn fork(&self) -> Session {
        let jar = Arc::new(Jar::default());
        if let Some(h) = self.jar.cookies(&self.url) {
            for c in h
                .to_str()
                .unwrap_or("")
                .split("; ")
                .filter(|c| !c.is_empty())
            {
                jar.add_cookie_str(&format!("{c}; Path=/"), &self.url);
            }
        }
        let s = Self::with_jar(&self.base, jar);
        *s.csrf.lock().unwrap() = self.csrf.lock().unwrap().clone();
        s
    }

    /// The value of a cookie this visitor holds.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let h = self.jar.cookies(&self.url)?;
        h.to_str()
            .ok()?
            .split("; ")
            .find_map(|c| c.strip_prefix(&format!("{name}=")).map(str::to_string))
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.jar
            .add_cookie_str(&format!("{name}={value}; Path=/"), &self.url);
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn abs(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{}", self.base, path)
        }
    }

    async fn finish(&self, method: &str, path: &str, resp: reqwest::Response) -> Page {
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.text().await.unwrap_or_default();
        let page = Page {
            method: method.to_string(),
            path: path.to_string(),
            status,
            headers,
            body,
        };
        if let Some(t) = page.csrf_token() {
            *self.csrf.lock().unwrap() = Some(t);
        }
        page
    }

    pub async fn get(&self, path: &str) -> Page {
        self.get_with(path, &[]).await
    }

    /// GET with extra request headers.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut req = self.client.get(self.abs(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {}: {e}", short(path)));
        self.finish("GET", path, resp).await
    }

    /// GET and follow redirects (at most 10).
    pub async fn get_follow(&self, path: &str) -> Page {
        let page = self.get(path).await;
        self.follow(page).await
    }

    /// Follow a redirect response (and further ones) with GETs.
    pub async fn follow(&self, mut page: Page) -> Page {
        for _ in 0..10 {
            if !page.status.is_redirection() {
                return page;
            }
            let to = page
                .location()
                .unwrap_or_else(|| {
                    panic!("{} {}: redirect without Location", page.method, page.path)
                })
                .to_string();
            page = self.get(&to).await;
        }
        panic!("too many redirects, last at {}", page.path);
    }

    /// The CSRF token of this visitor, taken from the last page that had a form, or from
    /// the login page when none was seen yet.
    pub async fn csrf(&self) -> String {
        if let Some(t) = self.csrf.lock().unwrap().clone() {
            return t;
        }
        let p = self.get("/inloggen").await;
        p.csrf_token()
            .unwrap_or_else(|| panic!("no CSRF token on /inloggen: {}", p.excerpt()))
    }

    /// POST an urlencoded form; the CSRF token is added unless `_csrf` is among the fields.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if !fields.iter().any(|(k, _)| *k == "_csrf") {
            all.push(("_csrf".into(), self.csrf().await));
        }
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(all)
            .finish();
        self.post_body(path, "application/x-www-form-urlencoded", body.into_bytes())
            .await
    }

    /// POST an urlencoded form exactly as given (no CSRF token added).
    pub async fn post_form_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter())
            .finish();
        self.post_body(path, "application/x-www-form-urlencoded", body.into_bytes())
            .await
    }

    /// POST any body with any content type.
    pub async fn post_body(&self, path: &str, content_type: &str, body: Vec<u8>) -> Page {
        let resp = self
            .client
            .post(self.abs(path))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {}: {e}", short(path)));
        self.finish("POST", path, resp).await
    }

    /// POST `multipart/form-data` with fields and files; the CSRF token is added.
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[FilePart<'_>],
    ) -> Page {
        let boundary = format!("----meedoentest{:016x}", rand::random::<u64>());
        let mut body: Vec<u8> = Vec::new();
        let csrf = self.csrf().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if !fields.iter().any(|(k, _)| *k == "_csrf") {
            all.push(("_csrf", &csrf));
        }
        for (k, v) in all {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        for f in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                    f.field, f.filename, f.content_type
                )
                .as_bytes(),
            );
            body.extend_from_slice(f.bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.post_body(
            path,
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await
    }

    /// Log in with the demo password through the password form of the account's
    /// municipality (`x@haarlem.demo` logs in at `/haarlem/inloggen`; other addresses at
    /// `/inloggen`). Panics unless the login succeeds.
    pub async fn login(&self, email: &str) -> Page {
        self.login_with(email, DEMO_PASSWORD).await
    }

    pub async fn login_with(&self, email: &str, password: &str) -> Page {
        let path = login_path_for(email);
        let form = self.get(&path).await;
        form.assert_status(200);
        let page = self
            .post_form(&path, &[("email", email), ("password", password)])
            .await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "login as {email} failed: {}",
            page.excerpt()
        );
        assert!(
            self.cookie("mdn_sid").is_some(),
            "login as {email} set no session cookie"
        );
        page
    }

    /// Log out through the button in the page header.
    pub async fn logout(&self) -> Page {
        let page = self.post_form("/uitloggen", &[]).await;
        page.assert_status(303);
        page
    }
}

/// The password login form for an account: its municipality's, or the platform's.
pub fn login_path_for(email: &str) -> String {
    match email.rsplit_once('@').map(|(_, d)| d) {
        Some(d) if d.ends_with(".demo") && d != "meedoen.demo" => {
            format!("/{}/inloggen", d.trim_end_matches(".demo"))
        }
        _ => "/inloggen".to_string(),
    }
}

/// A response, read completely.
pub struct Page {
    pub method: String,
    pub path: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

/// A message on the outbox page.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Page {
    /// The start of the body, for failure messages.
    pub fn excerpt(&self) -> String {
        let text = visible_text(&self.body);
        let start: String = text.chars().take(600).collect();
        format!(
            "{} {} -> {} (location: {:?})\n{}",
            self.method,
            short(&self.path),
            self.status,
            self.location(),
            start
        )
    }

    #[track_caller]
    pub fn assert_status(&self, code: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            code,
            "unexpected status: {}",
            self.excerpt()
        );
        self
    }

    #[track_caller]
    pub fn assert_contains(&self, needle: &str) -> &Self {
        assert!(
            self.body.contains(needle),
            "expected {needle:?} in {}",
            self.excerpt()
        );
        self
    }

    /// Assert that the visible text (tags removed, entities decoded) contains `needle`.
    #[track_caller]
    pub fn assert_text_contains(&self, needle: &str) -> &Self {
        assert!(
            self.text().contains(needle),
            "expected {needle:?} in the text of {}",
            self.excerpt()
        );
        self
    }

    #[track_caller]
    pub fn assert_not_contains(&self, needle: &str) -> &Self {
        assert!(
            !self.body.contains(needle),
            "did not expect {needle:?} in {} {}",
            self.method,
            self.path
        );
        self
    }

    /// Assert a redirect (303) to a path starting with `prefix`.
    #[track_caller]
    pub fn assert_redirect(&self, prefix: &str) -> &Self {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "{}", self.excerpt());
        let loc = self.location().unwrap_or("");
        assert!(
            loc.starts_with(prefix),
            "expected a redirect to {prefix}…, got {loc:?}"
        );
        self
    }

    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn header_all(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v: &HeaderValue| v.to_str().ok().map(str::to_string))
            .collect()
    }

    /// Whether this is the redirect to a login page that protected routes answer with.
    pub fn is_login_redirect(&self) -> bool {
        self.status == StatusCode::SEE_OTHER
            && self.location().is_some_and(|l| {
                l.starts_with("/inloggen?") || (l.contains("/inloggen?") && l.starts_with('/'))
            })
    }

    /// The value of the first `_csrf` hidden field.
    pub fn csrf_token(&self) -> Option<String> {
        self.input_value("_csrf")
    }

    /// The `value` of the first `<input>` named `name` (attributes as askama writes them).
    pub fn input_value(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\"");
        let mut from = 0;
        while let Some(i) = self.body[from..].find(&marker) {
            let at = from + i;
            let tag_start = self.body[..at].rfind('<')?;
            let tag_end = at + self.body[at..].find('>')?;
            let tag = &self.body[tag_start..tag_end];
            if tag.starts_with("<input") {
                if let Some(v) = tag.find("value=\"") {
                    let rest = &tag[v + 7..];
                    let end = rest.find('"')?;
                    return Some(html_unescape(&rest[..end]));
                }
                return Some(String::new());
            }
            from = at + marker.len();
        }
        None
    }

    /// The `<title>` of an HTML page.
    pub fn title(&self) -> String {
        let Some(s) = self.body.find("<title>") else {
            return String::new();
        };
        let rest = &self.body[s + 7..];
        html_unescape(&rest[..rest.find("</title>").unwrap_or(0)])
    }

    /// The text of the page without tags (for "the user sees" assertions).
    pub fn text(&self) -> String {
        visible_text(&self.body)
    }

    /// Messages shown on the outbox page.
    pub fn mails(&self) -> Vec<Mail> {
        let mut out = Vec::new();
        for chunk in self.body.split("<article class=\"card mail\"").skip(1) {
            let between = |a: &str, b: &str| -> String {
                chunk
                    .find(a)
                    .map(|i| {
                        let r = &chunk[i + a.len()..];
                        let r = &r[r.find('>').map(|j| j + 1).unwrap_or(0)..];
                        html_unescape(&r[..r.find(b).unwrap_or(r.len())])
                    })
                    .unwrap_or_default()
            };
            let subject = between("<h2", "</h2>");
            let meta = between("<p class=\"muted\"", "</p>");
            let body = between("<pre class=\"mail__body\"", "</pre>");
            // "Aan x@y.nl · ..." / "To x@y.nl · ..."
            let to = meta
                .split_whitespace()
                .find(|w| w.contains('@'))
                .unwrap_or("")
                .to_string();
            out.push(Mail { to, subject, body });
        }
        out
    }
}

/// A path shortened for messages.
pub fn short(path: &str) -> String {
    if path.chars().count() > 200 {
        format!("{}…", path.chars().take(200).collect::<String>())
    } else {
        path.to_string()
    }
}

pub fn html_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(ch),
            _ => {}
        }
    }
    html_unescape(&out.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_urls() {
        assert_eq!(
            pg_url_with_db("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            pg_url_with_db("postgres://u@h:1/postgres?sslmode=disable", "x"),
            "postgres://u@h:1/x?sslmode=disable"
        );
        assert_eq!(
            pg_url_with_db("postgres://u@h:1", "x"),
            "postgres://u@h:1/x"
        );
    }

    #[test]
    fn login_paths() {
        assert_eq!(login_path_for("inwoner@haarlem.demo"), "/haarlem/inloggen");
        assert_eq!(login_path_for("platform@meedoen.demo"), "/inloggen");
    }
}
