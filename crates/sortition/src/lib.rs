//! Citizens' assembly selection (sortition): quotas, pools, LEXIMIN and friends.
//!
//! No web or database code: the burgerberaad module and `meedoen sortition` use
//! this crate.
//!
//! # Overview
//!
//! 1. Build an [`Instance`]: categories with a `min..=max` quota per value, the
//!    pool of people (id, one value per category, optional household), and the
//!    panel size. From CSV with [`load_instance`] / [`read_categories`] /
//!    [`read_people`] (both known category formats), or in memory with
//!    [`InstanceBuilder`].
//! 2. Call [`select`] with [`SelectOptions`] (algorithm, public seed, lottery
//!    size `m`, default 1000), a progress callback and an optional cancel flag.
//!    It returns a [`Selection`]: every person's selection probability, the
//!    algorithm's distribution over panels, the uniform [`Lottery`] of `m`
//!    panels, the seed, the index of the drawn panel and the panel itself, and
//!    the people who are on no feasible panel (probability exactly 0).
//! 3. If a member withdraws, [`replacement`] draws a person with the same
//!    features from the rest of the pool, deterministically from a seed.
//!
//! Infeasible quotas give [`SortitionError::Infeasible`] with an
//! [`Infeasibility`]: structural reasons (panel larger than the pool or the
//! number of households) or the quotas that conflict, each with the smallest
//! change ([`Relaxation`]) that makes a panel possible (minimum total
//! relaxation; the Sortition Foundation's `min_flex`/`max_flex` bound it when
//! given).
//!
//! # Algorithms
//!
//! * [`Algorithm::Leximin`] (default): Flanigan, Gölz, Gupta, Hennig, Procaccia,
//!   "Fair algorithms for selecting citizens' assemblies", Nature 596 (2021).
//!   Column generation: panels come from an integer program (a maximum-weight
//!   panel under the quotas, solved by our own branch and bound over a
//!   warm-started dual simplex, with `microlp` as the fallback), the stage LPs
//!   by our own warm-started revised simplex; the dual prices say
//!   which people are at the stage optimum in every optimal distribution, and
//!   those are fixed before the next stage.
//! * [`Algorithm::Maximin`]: the first stage only.
//! * [`Algorithm::Nash`]: maximises the sum of log-probabilities (same pricing,
//!   multiplicative weight updates over the panels found).
//! * [`Algorithm::Legacy`]: the greedy person-by-person draw, repeated `m` times
//!   to estimate probabilities, for comparison.
//!
//! People with the same value in every category and no shared household are
//! interchangeable, and the fair objectives have a unique probability vector,
//! so the engine works with *types* of people; this makes the public
//! `example_large_200` (n = 2000) a matter of milliseconds.
//!
//! The final lottery follows Flanigan, Kehne, Procaccia, "Fair sortition made
//! transparent" (NeurIPS 2021): the distribution is rounded to `m` equally
//! likely panels; [`Lottery::max_deviation`] states how far any person's
//! lottery marginal is from the algorithm's probability. The public draw is
//! [`draw_index`]: SHA-256 of a label, the seed and a counter, so anyone can
//! replay it (see [`lottery`] for the exact rule and a Python version).
//!
//! # Example
//!
//! ```
//! use sortition::{InstanceBuilder, SelectOptions, select};
//! use std::sync::atomic::AtomicBool;
//!
//! let mut b = InstanceBuilder::new();
//! b.quota("gender", "woman", 1, 1)?;
//! b.quota("gender", "man", 1, 1)?;
//! for (id, g) in [("a", "woman"), ("b", "woman"), ("c", "man"), ("d", "man")] {
//!     b.person(id, &[("gender", g)], None)?;
//! }
//! let instance = b.build(2)?;
//! let cancel = AtomicBool::new(false);
//! let opts = SelectOptions { seed: 42, ..SelectOptions::default() };
//! let sel = select(&instance, &opts, &mut |p| eprintln!("{p}"), Some(&cancel))?;
//! assert!(sel.probabilities.iter().all(|p| (p - 0.5).abs() < 1e-9));
//! assert_eq!(sel.panel.len(), 2);
//! assert_eq!(sel.lottery.panels.len(), 1000);
//! assert_eq!(sel.panel, sel.lottery.panels[sel.drawn]);
//! // Member 0 of the panel withdraws: a replacement with the same features.
//! let r = sortition::replacement(&instance, &sel.panel, sel.panel[0], &[], 7)?;
//! assert!(r.same_features);
//! # Ok::<(), sortition::SortitionError>(())
//! ```

// Index loops read more clearly than zipped iterators in the numeric code.
#![allow(clippy::needless_range_loop)]

pub mod error;
mod fair;
pub mod generate;
mod infeasible;
pub mod io;
pub(crate) mod kernels;
mod legacy;
pub mod lottery;
pub mod model;
mod pricing;
mod select;
mod simplex;
mod space;
mod team;

pub use error::{Infeasibility, QuotaBound, Relaxation, Result, SortitionError};
pub use fair::{Phase, Progress};
pub use io::{
    HouseholdColumn, load_instance, read_categories, read_people, write_categories, write_people,
};
pub use lottery::{Lottery, draw_index};
pub use model::{Category, FeatureValue, Instance, InstanceBuilder, Person};
pub use select::{Algorithm, Replacement, SelectOptions, Selection, Stats, replacement, select};

/// A xorshift64 generator for the tests: the raw 64-bit values from `seed`
/// (which must not be 0).
#[cfg(test)]
pub(crate) fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

/// Random weights for the pricing tests: a quarter zeros, a quarter from
/// four values (ties), the rest spread over `[0, 1)`.
#[cfg(test)]
pub(crate) fn random_weights(next: &mut impl FnMut() -> u64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| match next() % 4 {
            0 => 0.0,
            1 => (next() % 4) as f64 / 8.0,
            _ => (next() % 1_000_000) as f64 / 1e6,
        })
        .collect()
}
