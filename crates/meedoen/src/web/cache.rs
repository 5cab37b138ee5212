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

/// When it was stored, the value, and whether a request is already refreshing it.
type Entry = (Instant, Arc<dyn Any + Send + Sync>, bool);

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
        {
            // An expired entry is still served while one request refreshes it, so that many
            // requests arriving together do not all load the same data (no stampede).
            let mut map = self.lock();
            if let Some((at, v, refreshing)) = map.get_mut(&key)
                && let Ok(v) = v.clone().downcast::<T>()
            {
                // A refresh whose request was cancelled must not keep the old value forever.
                let age = at.elapsed();
                if age < self.ttl || (*refreshing && age < self.ttl * 4) {
                    return Ok(v);
                }
                *refreshing = true;
            }
        }
        let loaded = load().await;
        let mut map = self.lock();
        let v = match loaded {
            Ok(v) => Arc::new(v),
            Err(e) => {
                if let Some(entry) = map.get_mut(&key) {
                    entry.2 = false;
                }
                return Err(e);
            }
        };
        if map.len() > 10_000 {
            let ttl = self.ttl;
            map.retain(|_, (at, _, _)| at.elapsed() < ttl);
        }
        map.insert(key, (Instant::now(), v.clone(), false));
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
        // An expired entry is reloaded by the next request.
        let expired = Cache::new(Duration::ZERO);
        expired.get_or_load("k".into(), load).await.unwrap();
        expired.get_or_load("k".into(), load).await.unwrap();
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 4);
        // While one request refreshes an expired entry, others get the stale value.
        let short = Cache::new(Duration::from_millis(50));
        short.get_or_load("k".into(), load).await.unwrap();
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 5);
        tokio::time::sleep(Duration::from_millis(60)).await;
        short.lock().get_mut("k").unwrap().2 = true;
        short.get_or_load("k".into(), load).await.unwrap();
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 5);
    }
}
