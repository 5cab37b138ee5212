//! Buurtbudget: a neighbourhood budget round from first idea to built project. Rounds per
//! area with budget, phase dates and ballot rules; plans with support; the municipality's
//! check; vote codes (hashes only) from a register extract with letters; voting with a
//! code; the result through the `pb` engine with explanation, certificate and the anonymous
//! ballots as a pabulib file; the execution of the winners; pabulib import and export.

pub mod api;
pub mod bench;
pub mod codes;
pub mod demo;
pub mod manage;
pub mod public;
pub mod results;
pub mod store;
pub mod vote;

use crate::web::access::ManageParticipation;
use crate::web::routes::{Access, Routes};

pub fn routes() -> Routes {
    let staff = Access::cap::<ManageParticipation>();
    Routes::new()
        .get("/{tenant}/buurtbudget", Access::Public, public::list)
        .get(
            "/{tenant}/buurtbudget/{ronde}",
            Access::Public,
            public::show,
        )
        .get(
            "/{tenant}/buurtbudget/{ronde}/plannen/nieuw",
            Access::LoggedIn,
            public::plan_new,
        )
        .post(
            "/{tenant}/buurtbudget/{ronde}/plannen/nieuw",
            Access::LoggedIn,
            public::plan_create,
        )
        .get(
            "/{tenant}/buurtbudget/{ronde}/plannen/{plan}",
            Access::Public,
            public::plan_show,
        )
        .get(
            "/{tenant}/buurtbudget/{ronde}/plannen/{plan}/bewerken",
            Access::LoggedIn,
            public::plan_edit,
        )
        .post(
            "/{tenant}/buurtbudget/{ronde}/plannen/{plan}/bewerken",
            Access::LoggedIn,
            public::plan_update,
        )
        .post(
            "/{tenant}/buurtbudget/{ronde}/plannen/{plan}/steunen",
            Access::LoggedIn,
            public::support,
        )
        .get(
            "/{tenant}/buurtbudget/{ronde}/stemmen",
            Access::Public,
            vote::form,
        )
        .post(
            "/{tenant}/buurtbudget/{ronde}/stemmen",
            Access::Public,
            vote::submit,
        )
        .get(
            "/{tenant}/buurtbudget/{ronde}/controle",
            Access::Public,
            vote::check,
        )
        .get(
            "/{tenant}/buurtbudget/{ronde}/uitslag",
            Access::Public,
            results::show,
        )
        .get(
            "/{tenant}/buurtbudget/{ronde}/stemmen.pb",
            Access::Public,
            results::ballots_file,
        )
        .get(
            "/{tenant}/buurtbudget/{ronde}/certificaat.json",
            Access::Public,
            results::certificate,
        )
        .get("/api/v1/{tenant}/buurtbudget", Access::Public, api::list)
        .get(
            "/api/v1/{tenant}/buurtbudget/{ronde}",
            Access::Public,
            api::detail,
        )
        .get("/{tenant}/beheer/buurtbudget", staff.clone(), manage::index)
        .get(
            "/{tenant}/beheer/buurtbudget/nieuw",
            staff.clone(),
            manage::new_form,
        )
        .post(
            "/{tenant}/beheer/buurtbudget/nieuw",
            staff.clone(),
            manage::create,
        )
        .post(
            "/{tenant}/beheer/buurtbudget/importeren",
            staff.clone(),
            results::import,
        )
        .get(
            "/{tenant}/beheer/buurtbudget/{ronde}",
            staff.clone(),
            manage::edit_form,
        )
        .post(
            "/{tenant}/beheer/buurtbudget/{ronde}",
            staff.clone(),
            manage::update,
        )
        .get(
            "/{tenant}/beheer/buurtbudget/{ronde}/plannen",
            staff.clone(),
            manage::plans,
        )
        .post(
            "/{tenant}/beheer/buurtbudget/{ronde}/plannen/{plan}",
            staff.clone(),
            manage::check_plan,
        )
        .post(
            "/{tenant}/beheer/buurtbudget/{ronde}/plannen/{plan}/uitvoering",
            staff.clone(),
            manage::execution,
        )
        .get(
            "/{tenant}/beheer/buurtbudget/{ronde}/codes",
            staff.clone(),
            codes::page,
        )
        .post(
            "/{tenant}/beheer/buurtbudget/{ronde}/codes/register",
            staff.clone(),
            codes::import_register,
        )
        .post(
            "/{tenant}/beheer/buurtbudget/{ronde}/codes/balie",
            staff.clone(),
            codes::help_desk,
        )
        .post(
            "/{tenant}/beheer/buurtbudget/{ronde}/codes/intrekken",
            staff.clone(),
            codes::revoke,
        )
        .get(
            "/{tenant}/beheer/buurtbudget/{ronde}/brieven/{batch}/brieven.pdf",
            staff.clone(),
            codes::letters_pdf,
        )
        .get(
            "/{tenant}/beheer/buurtbudget/{ronde}/brieven/{batch}/drukkerij.csv",
            staff.clone(),
            codes::letters_csv,
        )
        .post(
            "/{tenant}/beheer/buurtbudget/{ronde}/brieven/{batch}/vernietigen",
            staff.clone(),
            codes::destroy,
        )
        .post(
            "/{tenant}/beheer/buurtbudget/{ronde}/uitslag",
            staff.clone(),
            results::compute,
        )
        .get(
            "/{tenant}/beheer/buurtbudget/{ronde}/export.pb",
            staff,
            results::export,
        )
}
