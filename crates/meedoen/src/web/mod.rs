//! HTTP plumbing shared by all modules.

pub mod access;
pub mod assets;
pub mod cache;
pub mod ctx;
pub mod error;
pub mod form;
pub mod i18n;
pub mod page;
pub mod routes;
pub mod security;

use crate::config::Config;
use crate::db::Db;
use crate::jobs::JobRunner;
use crate::modules::kern::tenants::TenantCache;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::PrometheusHandle;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

pub struct Inner {
    pub db: Db,
    pub config: Config,
    /// Key for CSRF tokens and other HMACs; kept in the database so that every process
    /// of an installation shares it.
    pub secret: Vec<u8>,
    pub tenants: TenantCache,
    pub jobs: JobRunner,
    /// Short-lived data behind public pages; see [`cache`].
    pub cache: cache::Cache,
}

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub async fn new(db: Db, config: Config) -> anyhow::Result<AppState> {
        let secret = load_or_create_secret(&db).await?;
        let jobs = JobRunner::new(db.clone());
        Ok(AppState(Arc::new(Inner {
            db,
            config,
            secret,
            tenants: TenantCache::default(),
            jobs,
            cache: cache::Cache::default(),
        })))
    }
}

async fn load_or_create_secret(db: &Db) -> anyhow::Result<Vec<u8>> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let existing: Option<String> =
        sqlx::query_scalar("SELECT value FROM app_secrets WHERE name = 'hmac'")
            .fetch_optional(db.pool())
            .await?;
    if let Some(v) = existing {
        return Ok(b64.decode(v)?);
    }
    let key: [u8; 32] = rand::random();
    sqlx::query(
        "INSERT INTO app_secrets (name, value) VALUES ('hmac', $1) ON CONFLICT (name) DO NOTHING",
    )
    .bind(b64.encode(key))
    .execute(db.writer())
    .await?;
    let v: String = sqlx::query_scalar("SELECT value FROM app_secrets WHERE name = 'hmac'")
        .fetch_one(db.writer())
        .await?;
    Ok(b64.decode(v)?)
}

/// Content-Security-Policy: no inline scripts or styles, nothing from elsewhere.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if state.config.secure_cookies() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    resp
}

pub fn metrics_handle() -> PrometheusHandle {
    static H: OnceLock<PrometheusHandle> = OnceLock::new();
    H.get_or_init(|| {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
            .set_buckets(&[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ])
            .expect("buckets")
            .build_recorder();
        let handle = recorder.handle();
        // A second install (tests start several apps in one process) keeps the first.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
    .clone()
}

async fn track_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    resp
}

async fn not_found() -> impl IntoResponse {
    error::AppError::NotFound
}

/// The whole application: every module's routes behind the shared middleware.
pub fn router(state: AppState) -> Router {
    // Install the metrics recorder before the first request, not at the first scrape.
    let _ = metrics_handle();
    let routes = crate::modules::routes();
    routes
        .router
        .route("/assets/{*name}", axum::routing::get(assets::serve))
        .fallback(not_found)
        .layer(middleware::from_fn(track_metrics))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            ctx::context_layer,
        ))
        .layer(DefaultBodyLimit::max(2 * 1024 * 1024))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// All routes with their declared access, for the access test.
pub fn route_specs() -> Vec<routes::RouteSpec> {
    crate::modules::routes().specs
}

/// Run the server until Ctrl-C / SIGTERM: start job workers and the mail sender, serve.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    state.jobs.start(state.clone(), state.config.job_workers);
    crate::modules::kern::mail::spawn_sender(state.clone());
    let pruner = state.clone();
    tokio::spawn(async move {
        loop {
            let _ = crate::modules::kern::ratelimit::prune(&pruner.db).await;
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    });
    let app = router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
