//! Trajecten: participation trajectories as a guided step plan, the participatiegids,
//! the public pages with timeline, reactions and their processing, closing with the
//! eindverslag and the Omgevingswet participation report, and the open-data API.

pub mod api;
pub mod bench;
pub mod demo;
pub mod gids;
pub mod manage;
pub mod moderate;
pub mod plan;
pub mod public;
pub mod report;
pub mod store;

use crate::web::access::{ManageParticipation, Moderate};
use crate::web::routes::{Access, Routes};

pub fn routes() -> Routes {
    let staff = Access::cap::<ManageParticipation>();
    Routes::new()
        .get("/{tenant}/trajecten", Access::Public, public::list)
        .get("/{tenant}/trajecten/{id}", Access::Public, public::show)
        .post(
            "/{tenant}/trajecten/{id}/reageren",
            Access::LoggedIn,
            public::react,
        )
        .get("/{tenant}/mijn-reacties", Access::LoggedIn, public::mine)
        .get(
            "/{tenant}/trajecten/{id}/eindverslag",
            Access::Public,
            report::final_html,
        )
        .get(
            "/{tenant}/trajecten/{id}/eindverslag.pdf",
            Access::Public,
            report::final_pdf,
        )
        .get(
            "/{tenant}/trajecten/{id}/participatieverslag-omgevingswet",
            Access::Public,
            report::ow_html,
        )
        .get(
            "/{tenant}/trajecten/{id}/participatieverslag-omgevingswet.pdf",
            Access::Public,
            report::ow_pdf,
        )
        .get("/api/v1/{tenant}/trajecten", Access::Public, api::list)
        .get(
            "/api/v1/{tenant}/trajecten/{id}",
            Access::Public,
            api::detail,
        )
        .get("/api/openapi.json", Access::Public, api::openapi)
        .get("/{tenant}/beheer/trajecten", staff.clone(), manage::index)
        .get(
            "/{tenant}/beheer/trajecten/nieuw",
            staff.clone(),
            manage::new_form,
        )
        .post(
            "/{tenant}/beheer/trajecten/nieuw",
            staff.clone(),
            manage::create,
        )
        .get(
            "/{tenant}/beheer/trajecten/{id}/stap/{step}",
            staff.clone(),
            manage::step,
        )
        .post(
            "/{tenant}/beheer/trajecten/{id}/stap/{step}",
            staff.clone(),
            manage::step_save,
        )
        .get(
            "/{tenant}/beheer/trajecten/{id}/gids",
            staff.clone(),
            manage::gids_form,
        )
        .post(
            "/{tenant}/beheer/trajecten/{id}/gids",
            staff.clone(),
            manage::gids_submit,
        )
        .post(
            "/{tenant}/beheer/trajecten/{id}/gids/toepassen",
            staff.clone(),
            manage::gids_apply,
        )
        .post(
            "/{tenant}/beheer/trajecten/{id}/publiceren",
            staff.clone(),
            manage::publish,
        )
        .get(
            "/{tenant}/beheer/trajecten/{id}/reacties",
            staff.clone(),
            manage::reactions,
        )
        .post(
            "/{tenant}/beheer/trajecten/{id}/reacties/{reaction}",
            staff.clone(),
            manage::process,
        )
        .get(
            "/{tenant}/beheer/trajecten/{id}/afsluiten",
            staff.clone(),
            manage::close_form,
        )
        .post(
            "/{tenant}/beheer/trajecten/{id}/afsluiten",
            staff,
            manage::close,
        )
        .get(
            "/{tenant}/moderatie",
            Access::cap::<Moderate>(),
            moderate::list,
        )
        .post(
            "/{tenant}/moderatie/{reaction}/verbergen",
            Access::cap::<Moderate>(),
            moderate::hide,
        )
        .post(
            "/{tenant}/moderatie/{reaction}/tonen",
            Access::cap::<Moderate>(),
            moderate::show,
        )
}
