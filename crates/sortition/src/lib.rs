//! Citizens' assembly selection (sortition): quotas, pools, LEXIMIN and friends.

pub mod error;
pub mod io;
pub mod model;

pub use error::{Infeasibility, Relaxation, Result, SortitionError};
pub use io::{HouseholdColumn, load_instance, read_categories, read_people};
pub use model::{Category, FeatureValue, Instance, InstanceBuilder, Person};
