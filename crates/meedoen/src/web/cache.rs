//! A small read-through cache for the data behind public pages (lists, counts, a
//! trajectory with its reactions). Entries live for a few seconds and are dropped at once
//! by the writes that change them (`invalidate_prefix`), so a single process never shows
//! stale data after its own writes; with several processes behind a load balancer the
//! time-to-live bounds staleness. Per application state, so tests on different databases
//! never share entries. Keys start with the municipality's id and a colon (`"12:traj:…"`),
//! so that a change to a municipality's settings can drop all of its entries at once.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Entry = (Instant, Arc<dyn Any + Send + Sync>);

pub struct Cache {
    ttl: Duration,
    map: Mutex<HashMap<String, Entry>>,
}

impl Default for Cache {
    fn default() -> Self {
        Cache::new(Duration::from_secs(5))
    }
}

impl Cache {
    pub fn new(ttl: Duration) -> Cache {
        Cache {
            ttl,
            map: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached value for `key`, or the result of `load` (cached when it succeeds).
    pub async fn get_or_load<T, E, F, Fut>(&self, key: String, load: F) -> Result<Arc<T>, E>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some((at, v)) = self.lock().get(&key)
            && at.elapsed() < self.ttl
            && let Ok(v) = v.clone().downcast::<T>()
        {
            return Ok(v);
        }
        let v = Arc::new(load().await?);
        let mut map = self.lock();
        if map.len() > 10_000 {
            let ttl = self.ttl;
            map.retain(|_, (at, _)| at.elapsed() < ttl);
        }
        map.insert(key, (Instant::now(), v.clone()));
        Ok(v)
    }

    /// Drop every entry of one municipality.
    pub fn invalidate_tenant(&self, tenant_id: i64) {
        self.invalidate_prefix(&format!("{tenant_id}:"));
    }

    /// Drop every entry whose key starts with `prefix`.
    pub fn invalidate_prefix(&self, prefix: &str) {
        self.lock().retain(|k, _| !k.starts_with(prefix));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn caches_until_invalidated() {
        let c = Cache::new(Duration::from_secs(60));
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let load = || async {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, ()>(7u32)
        };
        assert_eq!(*c.get_or_load("a:1".into(), load).await.unwrap(), 7);
        assert_eq!(*c.get_or_load("a:1".into(), load).await.unwrap(), 7);
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        c.invalidate_prefix("a:");
        c.get_or_load("a:1".into(), load).await.unwrap();
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
        // Errors are not cached.
        let r: Result<Arc<u32>, &str> = c.get_or_load("b".into(), || async { Err("x") }).await;
        assert!(r.is_err());
        let expired = Cache::new(Duration::ZERO);
        expired.get_or_load("k".into(), load).await.unwrap();
        expired.get_or_load("k".into(), load).await.unwrap();
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 4);
    }
}
