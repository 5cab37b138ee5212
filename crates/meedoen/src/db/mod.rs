//! The storage seam: one code path for SQLite (embedded default) and PostgreSQL.
//!
//! Every query in the application is written once, in the SQL subset both engines share,
//! with `$1, $2, ...` placeholders, and runs through sqlx's `Any` driver. Rules that keep
//! queries portable (checked by running the whole test suite on both engines):
//! - integers are `BIGINT`, decoded as `i64`; flags are `INTEGER` 0/1 decoded as `i64`
//!   (the `Any` driver cannot decode SQLite booleans) — see [`flag`];
//! - timestamps are unix seconds (`BIGINT`), dates are ISO `TEXT` (`YYYY-MM-DD`);
//! - `SUM` of integers is wrapped in `CAST(... AS BIGINT)` (PostgreSQL returns NUMERIC);
//! - no `ILIKE`, no `RETURNING *`: name the columns.
//!
//! SQLite runs in WAL mode with one writer connection (all write transactions go through
//! [`Db::begin`], which serialises them in-process and takes the write lock up front with
//! `BEGIN IMMEDIATE`), and a pool of reader connections ([`Db::pool`]).

pub mod migrate;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;

pub type Tx = sqlx::Transaction<'static, Any>;
pub use sqlx::Error as DbError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
}

/// Turn a stored 0/1 flag into a bool.
pub fn flag(v: i64) -> bool {
    v != 0
}

/// Current time as unix seconds, the way every timestamp is stored.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Db {
    /// Connect to `url`: `sqlite://path` (created when missing) or `postgres://...`.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(DbError::Configuration(
                format!("onbekende database-URL (verwacht sqlite:// of postgres://): {url}").into(),
            ));
        };
        match backend {
            Backend::Postgres => {
                let opts = AnyConnectOptions::from_str(url)?;
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await?;
                Ok(Db {
                    read: pool.clone(),
                    write: pool,
                    backend,
                })
            }
            Backend::Sqlite => {
                let url = if url.contains('?') {
                    url.to_string()
                } else {
                    format!("{url}?mode=rwc")
                };
                let opts = AnyConnectOptions::from_str(&url)?;
                // The writer first, so that WAL mode is set before readers open the file.
                let write = AnyPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(sqlite_pragmas)
                    .connect_with(opts.clone())
                    .await?;
                let read = AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(sqlite_pragmas)
                    .connect_with(opts)
                    .await?;
                Ok(Db {
                    read,
                    write,
                    backend,
                })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool for reads (and for single statements that need no transaction).
    pub fn pool(&self) -> &AnyPool {
        &self.read
    }

    /// The pool for single writing statements outside a transaction.
    pub fn writer(&self) -> &AnyPool {
        &self.write
    }

    /// Start a write transaction.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.write.begin().await,
        }
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// Whether an error is a unique-constraint violation (both engines).
pub fn is_unique_violation(e: &DbError) -> bool {
    match e {
        DbError::Database(d) => {
            matches!(d.kind(), sqlx::error::ErrorKind::UniqueViolation)
                || d.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

/// Per-connection settings for SQLite: WAL, foreign keys, and a generous busy timeout.
fn sqlite_pragmas<'c>(
    conn: &'c mut sqlx::AnyConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> futures_util::future::BoxFuture<'c, Result<(), sqlx::Error>> {
    Box::pin(async move {
        conn.execute(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
             PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16000;",
        )
        .await?;
        Ok(())
    })
}
