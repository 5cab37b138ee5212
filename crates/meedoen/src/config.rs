//! Runtime configuration, from command-line flags and environment variables.

use std::net::SocketAddr;

#[derive(Clone, Debug)]
pub struct Config {
    /// `sqlite://meedoen.db` (default) or `postgres://...`.
    pub database_url: String,
    pub bind: SocketAddr,
    /// The address residents use, e.g. `https://meedoen.haarlem.nl`; decides secure cookies
    /// and the links in e-mails.
    pub public_url: String,
    /// `smtp://user:pass@host:587` or `smtps://...`; without it e-mail stays in the
    /// development outbox that the administrator can read.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// Bearer token required for /metrics; open when empty.
    pub metrics_token: Option<String>,
    /// Number of background job workers in this process.
    pub job_workers: usize,
}

impl Config {
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    pub fn for_tests(database_url: String) -> Config {
        Config {
            database_url,
            bind: "127.0.0.1:0".parse().expect("addr"),
            public_url: "http://127.0.0.1".into(),
            smtp_url: None,
            mail_from: "Meedoen <noreply@meedoen.localhost>".into(),
            metrics_token: None,
            job_workers: 2,
        }
    }
}
