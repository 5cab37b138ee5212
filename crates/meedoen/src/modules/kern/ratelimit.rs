//! Rate limits kept in the database, so that they hold across several processes.
//! Buckets name what is limited (e.g. `login:ip:<hash>`); client addresses are stored
//! only as keyed hashes.

use crate::db::{Db, DbError, now};

/// Record one event in `bucket` and tell whether the bucket is still within `max`
/// events per `window_secs`. Events beyond the limit are not recorded.
pub async fn allow(db: &Db, bucket: &str, max: i64, window_secs: i64) -> Result<bool, DbError> {
    let t = now();
    let mut tx = db.begin().await?;
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM rate_events WHERE bucket = $1 AND at > $2")
            .bind(bucket)
            .bind(t - window_secs)
            .fetch_one(&mut *tx)
            .await?;
    if n >= max {
        tx.commit().await?;
        return Ok(false);
    }
    sqlx::query("INSERT INTO rate_events (bucket, at) VALUES ($1, $2)")
        .bind(bucket)
        .bind(t)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// Forget events older than a day.
pub async fn prune(db: &Db) -> Result<(), DbError> {
    sqlx::query("DELETE FROM rate_events WHERE at < $1")
        .bind(now() - 86_400)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// A keyed hash of a client address, so buckets hold no plain IP addresses.
pub fn client_key(secret: &[u8], addr: &str) -> String {
    crate::web::security::hmac_b64(secret, format!("ip:{addr}").as_bytes())[..16].to_string()
}
