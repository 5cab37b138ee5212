//! First-party static assets, embedded in the binary and served with a content hash in
//! their name (`/assets/app.1a2b3c4d.css`) so browsers may cache them for a year.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::OnceLock;

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

struct Index {
    by_name: HashMap<&'static str, &'static str>,
    by_hashed: HashMap<&'static str, &'static [u8]>,
    urls: HashMap<&'static str, &'static str>,
}

fn index() -> &'static Index {
    static I: OnceLock<Index> = OnceLock::new();
    I.get_or_init(|| {
        let mut by_name = HashMap::new();
        let mut by_hashed = HashMap::new();
        let mut urls = HashMap::new();
        for &(name, hashed, bytes) in ASSETS {
            by_name.insert(name, hashed);
            by_hashed.insert(hashed, bytes);
            let url: &'static str = Box::leak(format!("/assets/{hashed}").into_boxed_str());
            urls.insert(name, url);
        }
        Index {
            by_name,
            by_hashed,
            urls,
        }
    })
}

/// The URL of an asset by its plain name (`app.css`).
pub fn url(name: &str) -> &'static str {
    index().urls.get(name).copied().unwrap_or("/assets/missing")
}

/// The bytes of an asset by its plain name.
pub fn bytes(name: &str) -> Option<&'static [u8]> {
    let i = index();
    i.by_name
        .get(name)
        .and_then(|h| i.by_hashed.get(h))
        .copied()
}

fn mime(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

pub async fn serve(Path(name): Path<String>) -> Response {
    let i = index();
    if let Some(bytes) = i.by_hashed.get(name.as_str()) {
        let mut r = (*bytes).into_response();
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime(&name)));
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
        return r;
    }
    // Unhashed name: short cache, for links that cannot know the hash.
    if let Some(bytes) = bytes(&name) {
        let mut r = bytes.into_response();
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime(&name)));
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        );
        return r;
    }
    (StatusCode::NOT_FOUND, "not found").into_response()
}
