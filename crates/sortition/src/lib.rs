//! Citizens' assembly selection (sortition): quotas, pools, LEXIMIN and friends.

// Index loops read more clearly than zipped iterators in the numeric code.
#![allow(clippy::needless_range_loop)]

pub mod error;
mod fair;
pub mod generate;
mod infeasible;
pub mod io;
mod legacy;
pub mod lottery;
pub mod model;
mod select;
mod simplex;
mod space;

pub use error::{Infeasibility, Relaxation, Result, SortitionError};
pub use fair::{Phase, Progress};
pub use io::{
    HouseholdColumn, load_instance, read_categories, read_people, write_categories, write_people,
};
pub use lottery::{Lottery, draw_index};
pub use model::{Category, FeatureValue, Instance, InstanceBuilder, Person};
pub use select::{Algorithm, Replacement, SelectOptions, Selection, Stats, replacement, select};
