//! Access rights expressed in types. A handler states what it needs in its signature:
//!
//! - [`TenantCtx`]: the municipality named in the path (404 when unknown);
//! - [`LoggedIn`]: any logged-in account (otherwise a redirect to the login page);
//! - [`Authorized<C>`]: a logged-in account holding one of the roles of capability `C` in
//!   the municipality of the path (otherwise 403). A platform administrator holds every
//!   capability everywhere.
//!
//! The route table ([`super::routes::Routes`]) repeats each route's access level so a test
//! can walk every route with every role and check that the two agree.

use super::AppState;
use super::ctx::{Ctx, Role, SessionUser};
use super::error::AppError;
use crate::modules::kern::tenants::Tenant;
use axum::extract::{FromRef, FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use std::marker::PhantomData;
use std::sync::Arc;

pub trait Capability: Send + Sync + 'static {
    const ROLES: &'static [Role];
    const NAME: &'static str;
}

macro_rules! capability {
    ($(#[$m:meta])* $name:ident, [$($role:ident),*]) => {
        $(#[$m])*
        pub struct $name;
        impl Capability for $name {
            const ROLES: &'static [Role] = &[$(Role::$role),*];
            const NAME: &'static str = stringify!($name);
        }
    };
}

capability!(
    /// Plan, publish and run trajectories and their activities; process input.
    ManageParticipation, [Procesbegeleider, Beheerder]
);
capability!(
    /// Hide abusive contributions (with a logged reason).
    Moderate, [Moderator, Procesbegeleider, Beheerder]
);
capability!(
    /// Read dashboards and reports (council, griffie, staff).
    ViewReports, [Raadslid, Griffie, Procesbegeleider, Beheerder]
);
capability!(
    /// Council follow-up: questions, motions, commitments.
    CouncilFollowUp, [Griffie, Beheerder]
);
capability!(
    /// Users, roles, areas, ladder, theme, settings, audit log.
    Administer, [Beheerder]
);
capability!(
    /// Any role in the municipality.
    AnyStaff, [Procesbegeleider, Moderator, Griffie, Raadslid, Beheerder]
);

/// The municipality of the path (`/{tenant}/...`).
#[derive(Clone)]
pub struct TenantCtx(pub Arc<Tenant>);

impl std::ops::Deref for TenantCtx {
    type Target = Tenant;
    fn deref(&self) -> &Tenant {
        &self.0
    }
}

async fn tenant_from_parts<S>(parts: &mut Parts, state: &S) -> Result<Arc<Tenant>, AppError>
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    if let Some(t) = parts.extensions.get::<TenantCtx>() {
        return Ok(t.0.clone());
    }
    let app = AppState::from_ref(state);
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| AppError::NotFound)?;
    let slug = params
        .iter()
        .find(|(k, _)| *k == "tenant")
        .map(|(_, v)| v.to_string())
        .ok_or(AppError::NotFound)?;
    let tenant = app
        .tenants
        .by_slug(&app.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    parts.extensions.insert(TenantCtx(tenant.clone()));
    Ok(tenant)
}

impl<S> FromRequestParts<S> for TenantCtx
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(TenantCtx(tenant_from_parts(parts, state).await?))
    }
}

/// The login page for a request: the municipality's when the route has one (`{tenant}`),
/// the platform's otherwise, with the way back.
async fn login_url(parts: &mut Parts) -> String {
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let slug = RawPathParams::from_request_parts(parts, &())
        .await
        .ok()
        .and_then(|p| {
            p.iter()
                .find(|(k, _)| *k == "tenant")
                .map(|(_, v)| v.to_string())
        });
    let back: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
    let base = slug.map(|s| format!("/{s}")).unwrap_or_default();
    format!("{base}/inloggen?terug={back}")
}

/// Any logged-in account.
#[derive(Clone)]
pub struct LoggedIn(pub Arc<SessionUser>);

impl std::ops::Deref for LoggedIn {
    type Target = SessionUser;
    fn deref(&self) -> &SessionUser {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for LoggedIn {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        match ctx.user {
            Some(u) => Ok(LoggedIn(u)),
            None => Err(AppError::LoginRequired {
                login_url: login_url(parts).await,
            }),
        }
    }
}

/// A logged-in account with capability `C` in the municipality of the path.
pub struct Authorized<C: Capability> {
    pub user: Arc<SessionUser>,
    pub tenant: Arc<Tenant>,
    _c: PhantomData<C>,
}

impl<C: Capability> Authorized<C> {
    pub fn user_id(&self) -> i64 {
        self.user.id
    }
}

impl<S, C> FromRequestParts<S> for Authorized<C>
where
    AppState: FromRef<S>,
    S: Send + Sync,
    C: Capability,
{
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let tenant = tenant_from_parts(parts, state).await?;
        let LoggedIn(user) = LoggedIn::from_request_parts(parts, state).await?;
        if user.has_any(tenant.id, C::ROLES) {
            Ok(Authorized {
                user,
                tenant,
                _c: PhantomData,
            })
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// The operator of the installation (all municipalities).
pub struct PlatformAdmin(pub Arc<SessionUser>);

impl<S: Send + Sync> FromRequestParts<S> for PlatformAdmin {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let LoggedIn(user) = LoggedIn::from_request_parts(parts, state).await?;
        if user.is_platform_admin {
            Ok(PlatformAdmin(user))
        } else {
            Err(AppError::Forbidden)
        }
    }
}
