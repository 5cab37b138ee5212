//! The route table: every route is added together with its declared access level, so the
//! access test can walk all of them with every role.

use super::AppState;
use super::access::Capability;
use super::ctx::Role;
use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodRouter, get, post};

#[derive(Clone, Debug, PartialEq)]
pub enum Access {
    /// Anyone, also without an account.
    Public,
    /// Any logged-in account.
    LoggedIn,
    /// A logged-in account with one of these roles in the path's municipality.
    Roles(&'static str, &'static [Role]),
    /// Only the platform operator.
    Platform,
}

impl Access {
    pub fn cap<C: Capability>() -> Access {
        Access::Roles(C::NAME, C::ROLES)
    }
}

#[derive(Clone, Debug)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

pub struct Routes {
    pub router: Router<AppState>,
    pub specs: Vec<RouteSpec>,
}

impl Default for Routes {
    fn default() -> Self {
        Routes {
            router: Router::new(),
            specs: Vec::new(),
        }
    }
}

impl Routes {
    pub fn new() -> Self {
        Self::default()
    }

    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        access: Access,
        mr: MethodRouter<AppState>,
    ) -> Self {
        self.router = self.router.route(path, mr);
        self.specs.push(RouteSpec {
            method,
            path,
            access,
        });
        self
    }

    pub fn get<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("GET", path, access, get(handler))
    }

    pub fn post<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("POST", path, access, post(handler))
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.specs.extend(other.specs);
        self
    }
}
