//! Kern: tenants, areas, accounts and roles, login, audit log, e-mail, files, theming,
//! background job pages, health and metrics.

pub mod accounts;
pub mod admin;
pub mod areas;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod demo;
pub mod geo;
pub mod mail;
pub mod pages;
pub mod platform;
pub mod ratelimit;
pub mod tenants;

use crate::jobs::JobFn;
use crate::web::access::{Administer, AnyStaff};
use crate::web::routes::{Access, Routes};

pub fn routes() -> Routes {
    let admin = Access::cap::<Administer>();
    let staff = Access::cap::<AnyStaff>();
    Routes::new()
        .get("/", Access::Public, pages::region_home)
        .get("/health", Access::Public, pages::health)
        .get("/metrics", Access::Public, pages::metrics)
        .get("/taal/{lang}", Access::Public, auth::set_language)
        .get("/over/{page}", Access::Public, pages::about)
        .get("/inloggen", Access::Public, auth::login_form_platform)
        .post("/inloggen", Access::Public, auth::login_submit_platform)
        .post("/uitloggen", Access::LoggedIn, auth::logout)
        .get("/account", Access::LoggedIn, pages::account)
        .get(
            "/account/gegevens.json",
            Access::LoggedIn,
            pages::account_export,
        )
        .post(
            "/account/wachtwoord",
            Access::LoggedIn,
            pages::account_password,
        )
        .post(
            "/account/verwijderen",
            Access::LoggedIn,
            pages::account_delete,
        )
        .get("/platform", Access::Platform, platform::index)
        .post(
            "/platform/gemeenten",
            Access::Platform,
            platform::create_tenant,
        )
        .get("/{tenant}", Access::Public, pages::tenant_home)
        .get("/{tenant}/kaart", Access::Public, pages::map)
        .get("/{tenant}/thema.css", Access::Public, pages::theme_css)
        .get("/{tenant}/bestanden/{file}", Access::Public, pages::file)
        .get("/{tenant}/inloggen", Access::Public, auth::login_form)
        .post("/{tenant}/inloggen", Access::Public, auth::login_submit)
        .post(
            "/{tenant}/inloggen/link",
            Access::Public,
            auth::link_request,
        )
        .get(
            "/{tenant}/inloggen/link/{token}",
            Access::Public,
            auth::link_open,
        )
        .post(
            "/{tenant}/inloggen/link/{token}",
            Access::Public,
            auth::link_use,
        )
        .get("/{tenant}/taken/{job}", staff.clone(), pages::job_page)
        .get(
            "/{tenant}/taken/{job}/status",
            staff.clone(),
            pages::job_status,
        )
        .post("/{tenant}/taken/{job}/annuleren", staff, pages::job_cancel)
        .get("/{tenant}/beheer", admin.clone(), admin::index)
        .get("/{tenant}/beheer/gebruikers", admin.clone(), admin::users)
        .post(
            "/{tenant}/beheer/gebruikers",
            admin.clone(),
            admin::user_create,
        )
        .get(
            "/{tenant}/beheer/gebruikers/{user}",
            admin.clone(),
            admin::user_edit,
        )
        .post(
            "/{tenant}/beheer/gebruikers/{user}",
            admin.clone(),
            admin::user_update,
        )
        .post(
            "/{tenant}/beheer/gebruikers/{user}/wachtwoord",
            admin.clone(),
            admin::user_reset_password,
        )
        .get("/{tenant}/beheer/gebieden", admin.clone(), admin::areas)
        .post(
            "/{tenant}/beheer/gebieden",
            admin.clone(),
            admin::areas_import,
        )
        .post(
            "/{tenant}/beheer/gebieden/{area}",
            admin.clone(),
            admin::area_update,
        )
        .get("/{tenant}/beheer/ladder", admin.clone(), admin::ladder)
        .post("/{tenant}/beheer/ladder", admin.clone(), admin::ladder_save)
        .get("/{tenant}/beheer/themas", admin.clone(), admin::topics)
        .post("/{tenant}/beheer/themas", admin.clone(), admin::topics_save)
        .get("/{tenant}/beheer/huisstijl", admin.clone(), admin::theme)
        .post(
            "/{tenant}/beheer/huisstijl",
            admin.clone(),
            admin::theme_save,
        )
        .get("/{tenant}/beheer/logboek", admin.clone(), admin::audit_log)
        .get("/{tenant}/beheer/outbox", admin.clone(), admin::outbox)
        .get("/{tenant}/beheer/taken", admin, admin::jobs)
}

pub fn job_handlers() -> Vec<(&'static str, JobFn)> {
    vec![("kern.areas_import", admin::areas_import_job as JobFn)]
}
