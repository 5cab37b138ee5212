//! The page chrome every template gets (`c`): language, title, user, tenant, CSRF token,
//! navigation, flash message, asset URLs. And the rendering of error pages.

use super::AppState;
use super::ctx::{Ctx, SessionUser};
use super::error::{AppError, ErrorPage};
use super::i18n::{Lang, t, tf};
use crate::modules::kern::tenants::Tenant;
use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use std::sync::Arc;

pub struct NavItem {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

pub struct Chrome {
    pub lang: Lang,
    pub title: String,
    pub csrf: String,
    pub user: Option<Arc<SessionUser>>,
    pub tenant: Option<Arc<Tenant>>,
    pub path: String,
    pub flash: Option<&'static str>,
    pub nav: Vec<NavItem>,
    pub staff_nav: Vec<NavItem>,
}

impl Chrome {
    pub fn new(ctx: &Ctx, tenant: Option<&Arc<Tenant>>, title: impl Into<String>) -> Chrome {
        let flash = ctx
            .flash
            .as_deref()
            .map(|k| t(ctx.lang, k))
            .filter(|m| !m.starts_with('⟦'));
        let path_only = ctx.path.split('?').next().unwrap_or("/").to_string();
        let mut nav = Vec::new();
        let mut staff_nav = Vec::new();
        if let Some(tn) = tenant {
            let base = format!("/{}", tn.slug);
            let item = |v: &mut Vec<NavItem>, href: String, key: &'static str| {
                let current = path_only == href
                    || (href != base && path_only.starts_with(&format!("{href}/")));
                v.push(NavItem {
                    href,
                    label: t(ctx.lang, key),
                    current,
                });
            };
            item(&mut nav, base.clone(), "kern.nav.home");
            item(&mut nav, format!("{base}/trajecten"), "kern.nav.trajecten");
            item(&mut nav, format!("{base}/kaart"), "kern.nav.map");
            for (href, key) in crate::modules::public_nav(&base) {
                item(&mut nav, href, key);
            }
            if let Some(u) = &ctx.user {
                for (href, key, roles) in crate::modules::staff_nav(&base) {
                    if u.has_any(tn.id, roles) {
                        item(&mut staff_nav, href, key);
                    }
                }
            }
        }
        Chrome {
            lang: ctx.lang,
            title: title.into(),
            csrf: ctx.csrf_token.clone(),
            user: ctx.user.clone(),
            tenant: tenant.cloned(),
            path: ctx.path.clone(),
            flash,
            nav,
            staff_nav,
        }
    }

    pub fn t(&self, key: &str) -> &'static str {
        t(self.lang, key)
    }

    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        tf(self.lang, key, args)
    }

    pub fn asset(&self, name: &str) -> &'static str {
        super::assets::url(name)
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    /// The link that switches to the other language and comes back here.
    pub fn other_lang_href(&self) -> String {
        let other = self.lang.other();
        format!(
            "/taal/{}?terug={}",
            other.code(),
            form_urlencoded::byte_serialize(self.path.as_bytes()).collect::<String>()
        )
    }

    pub fn other_lang_label(&self) -> &'static str {
        match self.lang {
            Lang::Nl => "English",
            Lang::En => "Nederlands",
        }
    }

    pub fn other_lang_code(&self) -> &'static str {
        self.lang.other().code()
    }

    pub fn login_href(&self) -> String {
        let base = self
            .tenant
            .as_ref()
            .map(|t| format!("/{}", t.slug))
            .unwrap_or_default();
        format!(
            "{base}/inloggen?terug={}",
            form_urlencoded::byte_serialize(self.path.as_bytes()).collect::<String>()
        )
    }

    pub fn home_href(&self) -> String {
        self.tenant
            .as_ref()
            .map(|t| format!("/{}", t.slug))
            .unwrap_or_else(|| "/".into())
    }

    pub fn site_name(&self) -> String {
        match &self.tenant {
            Some(t) => t.name.clone(),
            None => "Meedoen".into(),
        }
    }

    pub fn theme_href(&self) -> Option<String> {
        self.tenant
            .as_ref()
            .map(|t| format!("/{}/thema.css?v={}", t.slug, t.theme_version()))
    }

    pub fn logo_href(&self) -> Option<String> {
        self.tenant.as_ref().and_then(|t| {
            t.logo_file_id
                .map(|id| format!("/{}/bestanden/{id}", t.slug))
        })
    }

    pub fn is_logged_in(&self) -> bool {
        self.user.is_some()
    }

    pub fn user_name(&self) -> &str {
        self.user.as_ref().map(|u| u.name.as_str()).unwrap_or("")
    }

    pub fn is_platform_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.is_platform_admin)
    }
}

/// Render a template into an HTML response.
pub fn render<T: Template>(tpl: &T) -> Result<Response, AppError> {
    let body = tpl.render()?;
    Ok(Html(body).into_response())
}

/// Render a template with a status (e.g. 422 for a form shown again with errors).
pub fn render_status<T: Template>(status: StatusCode, tpl: &T) -> Result<Response, AppError> {
    let body = tpl.render()?;
    Ok((status, Html(body)).into_response())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTpl<'a> {
    c: Chrome,
    page: &'a ErrorPage,
    message: String,
}

pub async fn render_error(state: &AppState, ctx: &Ctx, page: &ErrorPage) -> Response {
    // Give the page the tenant's chrome when the path names a tenant.
    let slug = ctx
        .path
        .trim_start_matches('/')
        .split(['/', '?'])
        .next()
        .unwrap_or("");
    let tenant = if slug.is_empty() {
        None
    } else {
        state.tenants.by_slug(&state.db, slug).await.ok().flatten()
    };
    let title = t(ctx.lang, page.key).to_string();
    let message = match &page.detail {
        Some(d) if d.starts_with("kern.") || d.contains(".error.") => t(ctx.lang, d).to_string(),
        Some(d) => d.clone(),
        None => String::new(),
    };
    let tpl = ErrorTpl {
        c: Chrome::new(ctx, tenant.as_ref(), title),
        page,
        message,
    };
    match tpl.render() {
        Ok(body) => (page.status, Html(body)).into_response(),
        Err(_) => (page.status, t(ctx.lang, page.key)).into_response(),
    }
}

pub fn json_error(ctx: &Ctx, page: &ErrorPage) -> Response {
    let body = serde_json::json!({
        "error": t(ctx.lang, page.key),
        "status": page.status.as_u16(),
        "detail": page.detail,
        "reference": page.reference,
    });
    (
        page.status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Format a number the Dutch way: 12.345 (en: 12,345).
pub fn fmt_int(lang: Lang, n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let sep = match lang {
        Lang::Nl => '.',
        Lang::En => ',',
    };
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Format a date (`YYYY-MM-DD`) as "3 maart 2026" / "3 March 2026".
pub fn fmt_date(lang: Lang, iso: &str) -> String {
    use chrono::Datelike;
    let Some(d) = super::form::parse_date(iso) else {
        return iso.to_string();
    };
    const NL: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let m = (d.month0()) as usize;
    match lang {
        Lang::Nl => format!("{} {} {}", d.day(), NL[m], d.year()),
        Lang::En => format!("{} {} {}", d.day(), EN[m], d.year()),
    }
}

/// Format a unix timestamp as a local (Europe/Amsterdam approximated by CET/CEST rules)
/// date and time.
pub fn fmt_datetime(lang: Lang, ts: i64) -> String {
    let Some(dt) = chrono::DateTime::from_timestamp(ts, 0) else {
        return String::new();
    };
    let local = dt.with_timezone(&amsterdam_offset(dt));
    let date = fmt_date(lang, &local.format("%Y-%m-%d").to_string());
    format!("{date}, {}", local.format("%H:%M"))
}

/// Central European time with EU summer time (last Sunday of March to last Sunday of
/// October, 01:00 UTC), without a time-zone database.
fn amsterdam_offset(dt: chrono::DateTime<chrono::Utc>) -> chrono::FixedOffset {
    use chrono::{Datelike, NaiveDate, TimeZone, Weekday};
    let year = dt.year();
    let last_sunday = |month: u32| {
        let mut d = NaiveDate::from_ymd_opt(year, month, 31).expect("valid");
        while d.weekday() != Weekday::Sun {
            d = d.pred_opt().expect("valid");
        }
        chrono::Utc.from_utc_datetime(&d.and_hms_opt(1, 0, 0).expect("valid"))
    };
    let summer = dt >= last_sunday(3) && dt < last_sunday(10);
    chrono::FixedOffset::east_opt(if summer { 7200 } else { 3600 }).expect("offset")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_dates_in_dutch() {
        assert_eq!(fmt_int(Lang::Nl, 1234567), "1.234.567");
        assert_eq!(fmt_int(Lang::En, -1234), "-1,234");
        assert_eq!(fmt_int(Lang::Nl, 12), "12");
        assert_eq!(fmt_date(Lang::Nl, "2026-03-05"), "5 maart 2026");
        // 2026-07-01 10:00 UTC is 12:00 in Amsterdam (summer time).
        let ts = chrono::NaiveDate::from_ymd_opt(2026, 7, 1)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp();
        assert_eq!(fmt_datetime(Lang::Nl, ts), "1 juli 2026, 12:00");
    }
}
