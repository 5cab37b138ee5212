//! Platform pages: health, metrics, language, 404, security headers.

use crate::common::*;

both_backends!(health_and_metrics, |app| async move {
    let h = app.get("/health").await;
    h.assert_status(200);
    let v: serde_json::Value = serde_json::from_str(&h.body).expect("health is JSON");
    assert_eq!(v["status"], "ok");
    assert_eq!(v["database"], "ok");
    app.get("/haarlem").await.assert_status(200);
    let m = app.get("/metrics").await;
    m.assert_status(200);
    assert!(
        m.header("content-type")
            .unwrap_or("")
            .starts_with("text/plain")
    );
    m.assert_contains("http_requests_total");
    m.assert_contains("route=\"/{tenant}\"");
});
