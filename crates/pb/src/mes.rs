//! The Method of Equal Shares, exact, with a floating-point *filter*.
//!
//! ## Exact state
//! A voter's remaining money is either exactly 0 (after paying all they had for some project)
//! or `E - Σ ρ_r·u_r` over the rounds `r` in which they paid their full share, where `E` is the
//! endowment and `ρ_r` the exact (rational) price of round `r`. So the exact state of a run is
//! one rational per round plus, per ballot group, the list of rounds it paid in. Any exact sum
//! of money over a set of voters reduces to `W·E - Σ_r ρ_r·C_r` with integer coefficients
//! `C_r`: a handful of rational operations, whatever the number of voters. All of it is kept
//! over one common denominator `cd`, the product of the rounds' denominators (no gcd of big
//! numbers is ever taken: reducing ever larger fractions every round cost more than the larger
//! numbers; only a round where nobody pays all they have, price `cost/den`, cancels the word-
//! sized gcd of `cost` and `den` first), with the numerators as 64-bit limb vectors that are
//! only scaled and summed in place.
//!
//! ## Filter
//! Each group also carries its money as an `f64`, computed from the exact prices, whose error
//! is provably below `δ = 2·(L+8)·2⁻⁵²·E` (L = longest ballot): at most L subtractions of
//! terms that add up to at most E, each share within 2.5·2⁻⁵² of exact (prices are converted
//! to `f64` within 2·2⁻⁵², see `ratio_f64`) and each subtraction rounded once: at most
//! (2.5 + L/2)·2⁻⁵²·E in all. Every decision (is a project affordable,
//! does a voter pay all they have, which project has the least price, does a certificate hold)
//! is first evaluated in floating point together with a bound on its error; when the margin is
//! not larger than the bound the decision is taken with exact rationals. Floating point never
//! decides a close call; it only avoids rational arithmetic where the answer is not in doubt.

use crate::model::Money;
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{ToPrimitive, Zero};
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// A small multiplicative hasher for grouping ballots (keys are short integer slices; no
/// protection against adversarial collisions is needed for correctness, only speed).
#[derive(Default)]
struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
}

const EPS: f64 = f64::EPSILON;

/// Instances with at least this many groups number them in the order of [`renumber_groups`].
const RENUMBER_MIN_GROUPS: usize = 4096;

/// Numbers the groups for locality of the per-group arrays (large instances: the arrays of an
/// evaluation are megabytes, and every pass over a project's supporters reads and writes them
/// at its supporters' group numbers): groups sorted by their ballots, each ballot read as the
/// set of its projects' positions in the order of popularity (most voters first), compared as
/// a binary number with the most popular project as the highest bit (the 96 most popular). The supporters of the
/// most popular project are then one run of consecutive groups, those of the next one at most
/// two runs, and so on. Decisions do not depend on group numbers.
fn renumber_groups(
    m: usize,
    flat: &[(usize, u64)],
    off: &[usize],
    first_ballot: &mut Vec<usize>,
    size: &mut Vec<usize>,
    group_of: &mut [u32],
) {
    let groups = first_ballot.len();
    let items = |g: usize| {
        let bi = first_ballot[g];
        &flat[off[bi]..off[bi + 1]]
    };
    let mut voters = vec![0usize; m];
    for (g, &w) in size.iter().enumerate() {
        for &(p, _) in items(g) {
            voters[p] += w;
        }
    }
    let mut by_pop: Vec<usize> = (0..m).collect();
    by_pop.sort_by(|&a, &b| voters[b].cmp(&voters[a]).then(a.cmp(&b)));
    let mut pos = vec![0u32; m];
    for (i, &p) in by_pop.iter().enumerate() {
        pos[p] = i as u32;
    }
    // Key: the set of the ballot's projects among the 96 most popular, most popular as the
    // highest bit, complemented (descending order), with the group number in the low 32 bits
    // (ties, which differ only in less popular projects, by number): one integer sort.
    let mut order: Vec<u128> = (0..groups)
        .map(|g| {
            let mut key = 0u128;
            for &(p, _) in items(g) {
                if pos[p] < 96 {
                    key |= 1u128 << (127 - pos[p]);
                }
            }
            (!key & !(u32::MAX as u128)) | g as u128
        })
        .collect();
    order.sort_unstable();
    let order: Vec<usize> = order.iter().map(|&x| x as u32 as usize).collect();
    let mut new_of = vec![0u32; groups];
    for (new, &old) in order.iter().enumerate() {
        new_of[old] = new as u32;
    }
    *first_ballot = order.iter().map(|&g| first_ballot[g]).collect();
    *size = order.iter().map(|&g| size[g]).collect();
    for g in group_of.iter_mut() {
        *g = new_of[*g as usize];
    }
}

/// Ballots merged into groups of identical ballots, with supporters per project.
#[derive(Debug, Clone)]
pub struct MesInstance {
    /// Number of voters (ballots, empty ones included).
    pub n: u64,
    /// Costs in base units.
    pub cost: Vec<Money>,
    /// Tie-break rank per project (lower is preferred).
    pub rank: Vec<usize>,
    /// Voters (ballot indices) of all groups, group after group (see
    /// [`MesInstance::group_members`]); one array rather than one per group.
    members: Vec<usize>,
    /// Prefix sums of group sizes (len = groups + 1).
    member_off: Vec<u32>,
    /// Per project: (group, utility) of its supporters.
    pub supporters: Vec<Vec<(u32, u64)>>,
    /// The same with the utility as `f64` (the float filter's hot loop).
    supporters_f: Vec<Vec<(u32, f64)>>,
    /// The distinct utilities, and per project and supporter the index of its utility there
    /// (what the payments record: 8 bytes per payment instead of 16).
    util_vals: Vec<u64>,
    sup_ui: Vec<Vec<u32>>,
    weight: Vec<u64>,
    /// Prefix sums of group ballot lengths (len = groups + 1).
    item_off: Vec<u32>,
    max_len: usize,
    /// Per project: number of supporters (voters) and, when they all have the same utility,
    /// that utility (always so with cost utilities). Gives the first round's prices in closed
    /// form.
    sup_weight: Vec<u128>,
    uniform_u: Vec<Option<u64>>,
}

impl MesInstance {
    /// Builds an instance from ballots given as (project, utility) lists (items with utility 0
    /// are dropped, a project listed twice counts once). Identical ballots form one group;
    /// groups are numbered in order of first occurrence, or on large instances in the order
    /// of [`renumber_groups`].
    pub fn from_utilities<B>(
        cost: Vec<Money>,
        rank: Vec<usize>,
        ballots: impl IntoIterator<Item = B>,
    ) -> MesInstance
    where
        B: IntoIterator<Item = (usize, u64)>,
    {
        MesInstance::build(cost, rank, ballots, RENUMBER_MIN_GROUPS)
    }

    /// [`MesInstance::from_utilities`], renumbering the groups from `renumber_min` groups on.
    fn build<B>(
        cost: Vec<Money>,
        rank: Vec<usize>,
        ballots: impl IntoIterator<Item = B>,
        renumber_min: usize,
    ) -> MesInstance
    where
        B: IntoIterator<Item = (usize, u64)>,
    {
        let m = cost.len();
        // All ballots in one flat buffer (no allocation per ballot), each sorted by project.
        let mut flat: Vec<(usize, u64)> = Vec::new();
        let ballots = ballots.into_iter();
        let (nb, _) = ballots.size_hint();
        let mut off: Vec<usize> = Vec::with_capacity(nb + 1);
        off.push(0);
        flat.reserve(nb * 8);
        // Up to 128 projects: a ballot is put in order through a bit set and the least
        // utility per project (no sort).
        let mut least_u: Vec<u64> = if m <= 128 { vec![0; m] } else { Vec::new() };
        for b in ballots {
            let start = flat.len();
            let it = b.into_iter();
            if m <= 128 {
                let mut set: u128 = 0;
                for (p, u) in it {
                    if u > 0 {
                        let bit = 1u128 << p;
                        if set & bit == 0 {
                            set |= bit;
                            least_u[p] = u;
                        } else {
                            least_u[p] = least_u[p].min(u);
                        }
                    }
                }
                while set != 0 {
                    let p = set.trailing_zeros() as usize;
                    set &= set - 1;
                    flat.push((p, least_u[p]));
                }
                off.push(flat.len());
                continue;
            }
            let (lo, hi) = it.size_hint();
            flat.reserve(hi.unwrap_or(lo));
            for (p, u) in it {
                if u > 0 {
                    flat.push((p, u));
                }
            }
            let items = &mut flat[start..];
            if !items.is_sorted() {
                items.sort_unstable();
            }
            // Keep the first of equal projects (the smallest utility after sorting).
            let mut w = 0;
            for r in 0..items.len() {
                if w == 0 || items[r].0 != items[w - 1].0 {
                    items[w] = items[r];
                    w += 1;
                }
            }
            flat.truncate(start + w);
            off.push(flat.len());
        }
        let n = (off.len() - 1) as u64;
        // Group identical ballots with a hash map over the slices.
        let mut index: HashMap<&[(usize, u64)], u32, BuildHasherDefault<FastHasher>> =
            HashMap::with_capacity_and_hasher(n as usize, Default::default());
        let mut first_ballot: Vec<usize> = Vec::with_capacity(n as usize);
        let mut group_of: Vec<u32> = Vec::with_capacity(n as usize);
        let mut size: Vec<usize> = Vec::with_capacity(n as usize);
        for bi in 0..n as usize {
            let items = &flat[off[bi]..off[bi + 1]];
            let next = first_ballot.len() as u32;
            let g = *index.entry(items).or_insert(next);
            if g == next {
                first_ballot.push(bi);
                size.push(0);
            }
            size[g as usize] += 1;
            group_of.push(g);
        }
        drop(index);
        if first_ballot.len() >= renumber_min {
            renumber_groups(m, &flat, &off, &mut first_ballot, &mut size, &mut group_of);
        }
        // Members group after group (counting sort by group, ballots in order).
        let mut member_off: Vec<u32> = Vec::with_capacity(size.len() + 1);
        member_off.push(0);
        for &c in &size {
            member_off.push(member_off.last().unwrap() + c as u32);
        }
        let mut fill: Vec<u32> = member_off[..size.len()].to_vec();
        let mut members = vec![0usize; n as usize];
        for (bi, &g) in group_of.iter().enumerate() {
            members[fill[g as usize] as usize] = bi;
            fill[g as usize] += 1;
        }
        let group_items = |g: usize| {
            let bi = first_ballot[g];
            &flat[off[bi]..off[bi + 1]]
        };
        let groups = first_ballot.len();
        let mut count = vec![0usize; m];
        for g in 0..groups {
            for &(p, _) in group_items(g) {
                count[p] += 1;
            }
        }
        let mut supporters: Vec<Vec<(u32, u64)>> =
            count.iter().map(|&c| Vec::with_capacity(c)).collect();
        for g in 0..groups {
            for &(p, u) in group_items(g) {
                supporters[p].push((g as u32, u));
            }
        }
        let max_len = (0..groups).map(|g| group_items(g).len()).max().unwrap_or(0);
        let mut item_off = Vec::with_capacity(groups + 1);
        let mut acc = 0u32;
        item_off.push(0);
        for g in 0..groups {
            acc += group_items(g).len() as u32;
            item_off.push(acc);
        }
        let weight: Vec<u64> = size.iter().map(|&c| c as u64).collect();
        MesInstance::finish(
            (n, cost, rank),
            (members, member_off),
            supporters,
            weight,
            (item_off, max_len),
        )
    }

    /// [`MesInstance::from_utilities`] for cost utilities (a project's utility is its cost:
    /// approval-like ballots) and at most 96 projects, given each ballot's projects (a project
    /// of cost 0 is dropped, one listed twice counts once); the same instance, numbering
    /// included. Each ballot is read once, as a bit set; identical ballots are found by
    /// sorting the sets (in the order of [`renumber_groups`], which is then the numbering on
    /// large instances) instead of hashing item lists, and the supporters are read from the
    /// groups' bit sets. `None` with more than 96 projects.
    pub fn from_cost_sets<B>(
        cost: Vec<Money>,
        rank: Vec<usize>,
        ballots: impl IntoIterator<Item = B>,
    ) -> Option<MesInstance>
    where
        B: IntoIterator<Item = usize>,
    {
        MesInstance::build_cost_sets(cost, rank, ballots, RENUMBER_MIN_GROUPS)
    }

    /// [`MesInstance::from_cost_sets`], renumbering the groups from `renumber_min` groups on.
    fn build_cost_sets<B>(
        cost: Vec<Money>,
        rank: Vec<usize>,
        ballots: impl IntoIterator<Item = B>,
        renumber_min: usize,
    ) -> Option<MesInstance>
    where
        B: IntoIterator<Item = usize>,
    {
        let m = cost.len();
        if m > 96 {
            return None;
        }
        let ballots = ballots.into_iter();
        let mut sets: Vec<u128> = Vec::with_capacity(ballots.size_hint().0);
        // Voters per project (popularity, as in `renumber_groups`).
        let mut voters = vec![0usize; m];
        for b in ballots {
            let mut set = 0u128;
            for p in b {
                let bit = 1u128 << p;
                if cost[p] > 0 && set & bit == 0 {
                    set |= bit;
                    voters[p] += 1;
                }
            }
            sets.push(set);
        }
        let n = sets.len();
        let mut by_pop: Vec<usize> = (0..m).collect();
        by_pop.sort_by(|&a, &b| voters[b].cmp(&voters[a]).then(a.cmp(&b)));
        let mut pos = vec![0u32; m];
        for (i, &p) in by_pop.iter().enumerate() {
            pos[p] = i as u32;
        }
        // The key of `renumber_groups` (every project is among the 96 most popular), with the
        // ballot number in the low 32 bits: identical ballots become runs, in ballot order.
        let mut keys: Vec<u128> = sets
            .iter()
            .enumerate()
            .map(|(bi, &set)| {
                let mut key = 0u128;
                let mut x = set;
                while x != 0 {
                    let p = x.trailing_zeros() as usize;
                    x &= x - 1;
                    key |= 1u128 << (127 - pos[p]);
                }
                (!key & !(u32::MAX as u128)) | bi as u128
            })
            .collect();
        keys.sort_unstable();
        // Groups in key order: (first ballot, start in `keys`).
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for (i, &x) in keys.iter().enumerate() {
            if i == 0 || x >> 32 != keys[i - 1] >> 32 {
                runs.push((x as u32 as usize, i));
            }
        }
        let groups = runs.len();
        runs.push((usize::MAX, n));
        // Small instances number the groups by first occurrence (as `from_utilities` does).
        let mut order: Vec<usize> = (0..groups).collect();
        if groups < renumber_min {
            order.sort_unstable_by_key(|&r| runs[r].0);
        }
        let mut members: Vec<usize> = Vec::with_capacity(n);
        let mut member_off: Vec<u32> = Vec::with_capacity(groups + 1);
        let mut weight: Vec<u64> = Vec::with_capacity(groups);
        let mut gsets: Vec<u128> = Vec::with_capacity(groups);
        let mut count = vec![0usize; m];
        member_off.push(0);
        for &r in &order {
            let (first, start) = runs[r];
            let end = runs[r + 1].1;
            members.extend(keys[start..end].iter().map(|&x| x as u32 as usize));
            member_off.push(members.len() as u32);
            weight.push((end - start) as u64);
            let set = sets[first];
            gsets.push(set);
            let mut x = set;
            while x != 0 {
                count[x.trailing_zeros() as usize] += 1;
                x &= x - 1;
            }
        }
        let mut supporters: Vec<Vec<(u32, u64)>> =
            count.iter().map(|&c| Vec::with_capacity(c)).collect();
        let mut item_off: Vec<u32> = Vec::with_capacity(groups + 1);
        item_off.push(0);
        let mut max_len = 0;
        for (g, &set) in gsets.iter().enumerate() {
            let mut x = set;
            while x != 0 {
                let p = x.trailing_zeros() as usize;
                x &= x - 1;
                supporters[p].push((g as u32, cost[p]));
            }
            let len = set.count_ones();
            max_len = max_len.max(len as usize);
            item_off.push(item_off[g] + len);
        }
        Some(MesInstance::finish(
            (n as u64, cost, rank),
            (members, member_off),
            supporters,
            weight,
            (item_off, max_len),
        ))
    }

    /// The per-project arrays derived from the supporters, and the instance.
    fn finish(
        (n, cost, rank): (u64, Vec<Money>, Vec<usize>),
        (members, member_off): (Vec<usize>, Vec<u32>),
        supporters: Vec<Vec<(u32, u64)>>,
        weight: Vec<u64>,
        (item_off, max_len): (Vec<u32>, usize),
    ) -> MesInstance {
        let sup_weight = supporters
            .iter()
            .map(|sup| sup.iter().map(|&(g, _)| weight[g as usize] as u128).sum())
            .collect();
        let uniform_u: Vec<Option<u64>> = supporters
            .iter()
            .map(|sup| {
                let u0 = sup.first()?.1;
                sup.iter().all(|&(_, u)| u == u0).then_some(u0)
            })
            .collect();
        let supporters_f = supporters
            .iter()
            .map(|sup| sup.iter().map(|&(g, u)| (g, u as f64)).collect())
            .collect();
        let mut util_vals: Vec<u64> = Vec::new();
        let mut util_index: HashMap<u64, u32, BuildHasherDefault<FastHasher>> = HashMap::default();
        let mut index_of = |u: u64| {
            *util_index.entry(u).or_insert_with(|| {
                util_vals.push(u);
                (util_vals.len() - 1) as u32
            })
        };
        let sup_ui = supporters
            .iter()
            .zip(&uniform_u)
            .map(|(sup, uniform)| match *uniform {
                Some(u) => vec![index_of(u); sup.len()],
                None => sup.iter().map(|&(_, u)| index_of(u)).collect(),
            })
            .collect();
        MesInstance {
            n,
            cost,
            rank,
            members,
            member_off,
            supporters,
            supporters_f,
            util_vals,
            sup_ui,
            weight,
            item_off,
            max_len,
            sup_weight,
            uniform_u,
        }
    }

    /// Number of groups.
    pub fn groups(&self) -> usize {
        self.member_off.len() - 1
    }

    /// Voters (ballot indices, ascending) of group `g`.
    pub fn group_members(&self, g: usize) -> &[usize] {
        &self.members[self.member_off[g] as usize..self.member_off[g + 1] as usize]
    }

    /// Total length of the distinct ballots (the size of one evaluation's main array).
    pub fn items(&self) -> usize {
        *self.item_off.last().unwrap_or(&0) as usize
    }
}

/// A price: float value with error bound, and the exact value once known.
#[derive(Debug, Clone)]
struct Price {
    f: f64,
    err: f64,
    /// The exact price, not reduced to lowest terms (no gcd on the hot path).
    exact: Option<BigRational>,
    /// When computed by an evaluation: `(N, D)` with exact price `N / (cd·D)` for the
    /// evaluation's common denominator `cd` at that moment (prices are recomputed after every
    /// payment, so `cd` has not changed when the price is paid).
    raw: Option<(BigInt, u128)>,
}

impl Price {
    fn zero() -> Price {
        Price {
            f: 0.0,
            err: 0.0,
            exact: Some(BigRational::zero()),
            raw: Some((BigInt::zero(), 1)),
        }
    }
}

/// The per-group arrays of an evaluation, kept between evaluations on the same instance (Add1
/// evaluates many endowments; allocating and clearing megabytes per run showed in profiles).
#[derive(Debug, Default)]
pub struct Buffers {
    pf: Vec<(u32, u32)>,
    pf_end: Vec<u32>,
    exhausted_at: Vec<u32>,
    b_f: Vec<(f64, f64)>,
    /// The scratch arrays of one evaluation (up to a project's supporters long).
    scratch: Scratch,
}

/// Scratch arrays of an evaluation (see the fields of [`Eval`]), kept with [`Buffers`] so that
/// an Add1 completion does not grow them again in every run.
#[derive(Debug, Default)]
struct Scratch {
    coef: Vec<u128>,
    float: Vec<(f64, f64, f64, f64)>,
    uniform: Vec<(f64, f64)>,
    in_x: Vec<bool>,
    /// The exact prices of the last evaluation (cleared) and spare limb vectors for the
    /// numerators of the next, so that a run does not allocate them again.
    prices: Vec<BigRational>,
    nat_pool: Vec<Nat>,
}

impl Clone for Buffers {
    /// Buffers hold no information (every evaluation overwrites what it reads), so a clone
    /// is simply empty.
    fn clone(&self) -> Buffers {
        Buffers::default()
    }
}

/// One MES run (or a forced replay) at a fixed endowment.
struct Eval<'a> {
    inst: &'a MesInstance,
    e_f: f64,
    delta: f64,
    /// Exact price per round.
    prices: Vec<BigRational>,
    /// Common denominator of the endowment and all prices.
    cd: BigInt,
    /// Endowment times `cd`.
    n_e: Nat,
    /// Price of each round times `cd`.
    n_p: Vec<Nat>,
    /// Limb vectors for new entries of `n_p` (kept from earlier evaluations).
    nat_pool: Vec<Nat>,
    /// Per group (slots `inst.item_off[g]..pf_end[g]`): rounds it paid its full share in, with
    /// the index of its utility in `inst.util_vals`.
    pf: Vec<(u32, u32)>,
    pf_end: Vec<u32>,
    exhausted_at: Vec<u32>,
    /// Per group: (money as f64, or -1 once exhausted; number of voters as f64).
    b_f: Vec<(f64, f64)>,
    coef: Vec<u128>,
    scratch: Vec<(f64, f64, f64, f64)>,
    /// Scratch of [`Eval::price_uniform`]: (money, weight) of the supporters with money.
    scratch_u: Vec<(f64, f64)>,
    /// Scratch: per supporter of the project being priced, is it in X (pays all)?
    in_x: Vec<bool>,
    /// `Some((k, round))` when `in_x` holds the exact split of project `k`'s supporters at
    /// its exact price in this round (who pays all they have), for [`Eval::pay`].
    x_for: Option<(usize, usize)>,
    exact_calls: usize,
}

const NOT: u32 = u32::MAX;

/// A natural number as little-endian 64-bit limbs: the exact state's numerators, which only
/// ever get multiplied by word-sized factors and summed with word-sized weights, done in place
/// without the allocations of general big-integer arithmetic.
#[derive(Debug, Clone, Default)]
struct Nat(Vec<u64>);

impl Nat {
    /// Zero, with room for `limbs` limbs.
    fn with_capacity(limbs: usize) -> Nat {
        Nat(Vec::with_capacity(limbs))
    }

    /// From a non-negative big integer.
    fn from_big(x: &BigInt) -> Nat {
        debug_assert!(x.sign() != num_bigint::Sign::Minus);
        Nat(x.to_u64_digits().1)
    }

    fn to_big(&self) -> BigInt {
        let mut digits: Vec<u32> = Vec::with_capacity(self.0.len() * 2);
        for &l in &self.0 {
            digits.push(l as u32);
            digits.push((l >> 32) as u32);
        }
        BigInt::from(num_bigint::BigUint::new(digits))
    }

    /// `self += x·c·2^(64·shift)`.
    fn add_mul_u64(&mut self, x: &[u64], c: u64, shift: usize) {
        if c == 0 || x.is_empty() {
            return;
        }
        let need = x.len() + shift + 1;
        if self.0.len() < need {
            self.0.resize(need, 0);
        }
        let mut carry: u128 = 0;
        for (i, &xi) in x.iter().enumerate() {
            // At most (2^64-1) + (2^64-1)^2 + (2^64-1) = 2^128 - 1: no overflow.
            let t = self.0[i + shift] as u128 + xi as u128 * c as u128 + carry;
            self.0[i + shift] = t as u64;
            carry = t >> 64;
        }
        let mut j = x.len() + shift;
        while carry != 0 {
            if j == self.0.len() {
                self.0.push(0);
            }
            let t = self.0[j] as u128 + carry;
            self.0[j] = t as u64;
            carry = t >> 64;
            j += 1;
        }
    }

    /// `self += x·c`.
    fn add_mul_small(&mut self, x: &Nat, c: u128) {
        self.add_mul_u64(&x.0, c as u64, 0);
        self.add_mul_u64(&x.0, (c >> 64) as u64, 1);
    }

    /// `self *= d`.
    fn mul_small_assign(&mut self, d: u128) {
        if d >> 64 == 0 {
            let d = d as u64 as u128;
            let mut carry: u128 = 0;
            for l in self.0.iter_mut() {
                let t = *l as u128 * d + carry;
                *l = t as u64;
                carry = t >> 64;
            }
            if carry != 0 {
                self.0.push(carry as u64);
            }
        } else {
            let mut out = Nat(Vec::with_capacity(self.0.len() + 3));
            out.add_mul_small(self, d);
            *self = out;
        }
    }

    /// `self -= x`; requires `self >= x` (money never goes below zero).
    fn sub_assign(&mut self, x: &Nat) {
        let mut borrow = false;
        let n = self.0.len();
        for i in 0..n {
            let xi = x.0.get(i).copied().unwrap_or(0);
            let (d1, b1) = self.0[i].overflowing_sub(xi);
            let (d2, b2) = d1.overflowing_sub(borrow as u64);
            self.0[i] = d2;
            borrow = b1 || b2;
        }
        let rest_zero = x.0.iter().skip(n).all(|&l| l == 0);
        assert!(!borrow && rest_zero, "exact money became negative");
    }
}

/// Relative error bound of [`ratio_f64`]: the two truncations to 64 bits (2⁻⁶⁴ each), the
/// two roundings to 53 bits and the division (2⁻⁵³ each) stay below 1.6·2⁻⁵², so 2·2⁻⁵².
const RATIO_F64_ERR: f64 = 2.0 * EPS;

/// A non-negative rational as `f64` within a relative error of [`RATIO_F64_ERR`], without
/// big divisions (the numbers grow with the rounds, and this runs once per price).
fn ratio_f64(r: &BigRational) -> f64 {
    let (n, d) = (r.numer(), r.denom());
    let (nb, db) = (n.bits(), d.bits());
    if nb <= 53 && db <= 53 {
        // Both exact in f64: one correctly rounded division.
        return n.to_f64().unwrap_or(f64::MAX) / d.to_f64().unwrap_or(f64::MAX);
    }
    // The top 64 bits (truncated), read from the two highest limbs without allocating:
    // the same value as `x >> (b - 64)`.
    let top = |x: &BigInt, b: u64| -> (f64, i64) {
        if b <= 64 {
            (x.to_u64().unwrap_or(0) as f64, 0)
        } else {
            let limbs = x.iter_u64_digits();
            let len = limbs.len() as u64;
            let mut it = limbs.rev();
            let hi = it.next().unwrap_or(0);
            let lo = it.next().unwrap_or(0);
            let hb = b - 64 * (len - 1); // bits in the highest limb, 1..=64
            let t = if hb == 64 {
                hi
            } else {
                (hi << (64 - hb)) | (lo >> hb)
            };
            (t as f64, (b - 64) as i64)
        }
    };
    let (nf, ns) = top(n, nb);
    let (df, ds) = top(d, db);
    let mut q = nf / df;
    // Scale by 2^(ns - ds) in steps that stay exact (no intermediate overflow/underflow for
    // the magnitudes of prices).
    let mut e = ns - ds;
    while e != 0 {
        let step = e.clamp(-1000, 1000);
        q *= 2f64.powi(step as i32);
        e -= step;
    }
    q
}

impl<'a> Eval<'a> {
    fn new(inst: &'a MesInstance, e: &BigRational, bufs: Buffers) -> Eval<'a> {
        let e_f = e.to_f64().unwrap_or(f64::MAX);
        let g = inst.groups();
        let Buffers {
            mut pf,
            mut pf_end,
            mut exhausted_at,
            mut b_f,
            scratch,
        } = bufs;
        // Slots of `pf` are written before they are read (`pf_end` says which are valid), so a
        // recycled buffer needs no clearing.
        pf.resize(inst.item_off[g] as usize, (0, 0));
        pf_end.clear();
        pf_end.extend_from_slice(&inst.item_off[..g]);
        exhausted_at.clear();
        exhausted_at.resize(g, NOT);
        b_f.clear();
        b_f.extend(inst.weight.iter().map(|&w| (e_f, w as f64)));
        Eval {
            inst,
            e_f,
            delta: 2.0 * (inst.max_len as f64 + 8.0) * EPS * e_f,
            prices: {
                let mut v = scratch.prices;
                v.clear();
                v
            },
            cd: e.denom().clone(),
            n_e: Nat::from_big(e.numer()),
            n_p: Vec::with_capacity(inst.cost.len()),
            nat_pool: scratch.nat_pool,
            pf,
            pf_end,
            exhausted_at,
            b_f,
            coef: scratch.coef,
            scratch: scratch.float,
            scratch_u: scratch.uniform,
            in_x: scratch.in_x,
            x_for: None,
            exact_calls: 0,
        }
    }

    fn into_buffers(mut self) -> Buffers {
        self.prices.clear();
        self.nat_pool.append(&mut self.n_p);
        Buffers {
            pf: self.pf,
            pf_end: self.pf_end,
            exhausted_at: self.exhausted_at,
            b_f: self.b_f,
            scratch: Scratch {
                coef: self.coef,
                float: self.scratch,
                uniform: self.scratch_u,
                in_x: self.in_x,
                prices: self.prices,
                nat_pool: self.nat_pool,
            },
        }
    }

    /// Rounds in which group `g` paid its full share, with the index of its utility.
    fn paid(&self, g: u32) -> &[(u32, u32)] {
        let g = g as usize;
        &self.pf[self.inst.item_off[g] as usize..self.pf_end[g] as usize]
    }

    /// Records the exact price `n / (cd·d)` of a new round, keeping one common denominator
    /// (the product of the rounds' `d`; no gcd is taken: growing numbers are cheaper than
    /// reducing them every round).
    fn push_price(&mut self, n: &BigInt, d: u128) {
        let rho = BigRational::new_raw(n.clone(), &self.cd * BigInt::from(d));
        if d != 1 {
            self.cd *= BigInt::from(d);
            self.n_e.mul_small_assign(d);
            for x in self.n_p.iter_mut() {
                x.mul_small_assign(d);
            }
        }
        let mut x = self.nat_pool.pop().unwrap_or_default();
        x.0.clear();
        x.0.extend(n.iter_u64_digits());
        self.n_p.push(x);
        self.prices.push(rho);
    }

    /// Exact money of one group, times `cd`.
    fn budget_num(&self, g: u32) -> BigInt {
        if self.b_f[g as usize].0 < 0.0 {
            return BigInt::zero();
        }
        let mut spent = Nat::with_capacity(self.n_e.0.len() + 4);
        for &(r, ui) in self.paid(g) {
            let u = self.inst.util_vals[ui as usize];
            spent.add_mul_small(&self.n_p[r as usize], u as u128);
        }
        let mut b = self.n_e.clone();
        b.sub_assign(&spent);
        b.to_big()
    }

    /// Whether group `g` (not exhausted) has at most `rho·u` (pays all it has).
    fn pays_all_exact(&self, g: u32, rho: &BigRational, u: u64) -> bool {
        // b/cd <= a·u/d  <=>  b·d <= a·u·cd
        self.budget_num(g) * rho.denom() <= rho.numer() * BigInt::from(u) * &self.cd
    }

    /// Exact total money (times `cd`) of the groups selected by `pick` among the supporters of
    /// `k` (weighted by group size).
    fn sum_num(&mut self, k: usize, pick: impl Fn(usize) -> bool) -> BigInt {
        self.coef.clear();
        self.coef.resize(self.prices.len(), 0);
        let mut w_total: u128 = 0;
        for (i, &(g, _)) in self.inst.supporters[k].iter().enumerate() {
            if self.b_f[g as usize].0 < 0.0 || !pick(i) {
                continue;
            }
            let w = self.inst.weight[g as usize] as u128;
            w_total += w;
            let gi = g as usize;
            let paid = &self.pf[self.inst.item_off[gi] as usize..self.pf_end[gi] as usize];
            for &(r, ui) in paid {
                self.coef[r as usize] += w * self.inst.util_vals[ui as usize] as u128;
            }
        }
        let mut spent = Nat::with_capacity(self.n_e.0.len() + 4);
        for (r, &c) in self.coef.iter().enumerate() {
            if c != 0 {
                spent.add_mul_small(&self.n_p[r], c);
            }
        }
        let mut s = Nat::with_capacity(self.n_e.0.len() + 4);
        s.add_mul_small(&self.n_e, w_total);
        s.sub_assign(&spent);
        s.to_big()
    }

    /// Error bound of a float sum of `terms` group budgets of total weight `w`.
    fn sum_err(&self, w: f64, terms: usize) -> f64 {
        w * self.delta + 2.0 * (terms as f64 + 2.0) * EPS * w * self.e_f
    }

    /// The least price of project `k` before any payment, in closed form when all its
    /// supporters have the same utility `u`: everyone has the endowment `E`, so the project is
    /// affordable iff `W·E ≥ cost` (W supporters) and then each pays `cost/W`, `ρ = cost/(W·u)`.
    fn price_first_round(&mut self, k: usize) -> Option<Price> {
        debug_assert!(self.prices.is_empty());
        let inst = self.inst;
        let Some(u) = inst.uniform_u[k] else {
            return self.price(k);
        };
        let cost = inst.cost[k];
        if cost == 0 {
            return Some(Price::zero());
        }
        let w = inst.sup_weight[k];
        // W·E >= cost with E = n_e/cd: in 128 bits when the numbers are small (the usual
        // case: E = budget/n + t·unit), else with big integers.
        let small = match (self.n_e.0.as_slice(), self.cd.to_u64()) {
            ([], Some(cd)) => Some((0u128, cost as u128 * cd as u128)),
            ([ne], Some(cd)) => (*ne as u128)
                .checked_mul(w)
                .map(|lhs| (lhs, cost as u128 * cd as u128)),
            _ => None,
        };
        let affordable = match small {
            Some((lhs, rhs)) => lhs >= rhs,
            None => self.n_e.to_big() * BigInt::from(w) >= BigInt::from(cost) * &self.cd,
        };
        if !affordable {
            return None;
        }
        let d = w * u as u128;
        if cost < 1 << 53 && d < 1 << 53 {
            // ρ = cost/d with both exact in f64: one correctly rounded division, within the
            // error bound of `ratio_f64`.
            let f = cost as f64 / d as f64;
            return Some(Price {
                f,
                err: RATIO_F64_ERR * f,
                exact: None,
                raw: None,
            });
        }
        Some(self.first_round_exact(k))
    }

    /// The exact price of [`Eval::price_first_round`] for an affordable project `k` with
    /// uniform utilities: `cost·cd / (cd·W·u)`.
    fn first_round_exact(&self, k: usize) -> Price {
        debug_assert!(self.prices.is_empty());
        let inst = self.inst;
        let u = inst.uniform_u[k].expect("uniform utilities");
        let (c, d) = cancel(inst.cost[k] as u128, inst.sup_weight[k] * u as u128);
        let num = BigInt::from(c) * &self.cd;
        let rho = BigRational::new_raw(num.clone(), &self.cd * BigInt::from(d));
        let f = ratio_f64(&rho);
        Price {
            f,
            err: RATIO_F64_ERR * f,
            exact: Some(rho),
            raw: Some((num, d)),
        }
    }

    /// The least price of project `k`, or `None` if its supporters cannot afford it.
    fn price(&mut self, k: usize) -> Option<Price> {
        self.price_from(k, 0.0)
    }

    /// [`Eval::price`] given a lower bound `lb` of the price (a stale price: prices only grow
    /// during a run), where the water-filling may start.
    fn price_from(&mut self, k: usize, lb: f64) -> Option<Price> {
        let inst = self.inst;
        let sup = &inst.supporters[k];
        if sup.is_empty() {
            return None;
        }
        let cost = inst.cost[k];
        if cost == 0 {
            return Some(Price::zero());
        }
        let c = cost as f64;
        if let Some(u) = inst.uniform_u[k] {
            return self.price_uniform(k, c, u as f64, lb);
        }
        // One pass: gather the supporters with money (ratio b/u, w·u, w·b).
        let mut scratch = std::mem::take(&mut self.scratch);
        // Written by index into a long enough buffer (a push in this loop kept the sums in
        // memory rather than in registers).
        let sup_f = &inst.supporters_f[k];
        if scratch.len() < sup_f.len() {
            scratch.resize(sup_f.len(), (0.0, 0.0, 0.0, 0.0));
        }
        let mut total = 0.0;
        let mut w_all = 0.0;
        let mut den_all = 0.0;
        let mut n = 0;
        for &(g, uf) in sup_f {
            let (b, w) = self.b_f[g as usize];
            if b < 0.0 {
                continue; // exhausted
            }
            total += w * b;
            w_all += w;
            den_all += w * uf;
            scratch[n] = (b / uf, w * uf, w * b, uf);
            n += 1;
        }
        let result = self.price_float(k, c, &mut scratch[..n], total, w_all, den_all);
        self.scratch = scratch;
        result
    }

    /// [`Eval::price`] when all supporters of `k` have the same utility `uf` (always so with
    /// cost utilities): the same water-filling and error bound as [`Eval::price_float`], with
    /// money compared to `ρ·u` instead of money/utility to `ρ` (no division per supporter)
    /// and half the scratch.
    fn price_uniform(&mut self, k: usize, c: f64, uf: f64, lb: f64) -> Option<Price> {
        let inst = self.inst;
        let mut cand = std::mem::take(&mut self.scratch_u);
        let sup_f = &inst.supporters_f[k];
        if cand.len() < sup_f.len() {
            cand.resize(sup_f.len(), (0.0, 0.0));
        }
        let mut total = 0.0;
        let mut w_all = 0.0;
        // The first Newton step from the lower bound, done while gathering: supporters with
        // money at most `lb·u` pay all they have at the price (it is at least `lb`), so they
        // are summed here and not kept; only the others go to `cand`.
        let t0 = lb * uf;
        let mut sum_x = 0.0;
        let mut n_x = 0usize;
        let mut w_x = 0.0;
        let mut n = 0;
        // Slices held in locals (pointer and length in registers, not reloaded per supporter).
        let (b_f, slots) = (&self.b_f[..], &mut cand[..sup_f.len()]);
        for &(g, _) in sup_f {
            let (b, w) = b_f[g as usize];
            if b < 0.0 {
                continue; // exhausted
            }
            total += w * b;
            w_all += w;
            if b <= t0 {
                sum_x += w * b;
                w_x += w;
                n_x += 1;
            } else {
                slots[n] = (b, w);
                n += 1;
            }
        }
        // Weights are group sizes: sums of them are exact integers in f64 (whatever the order),
        // so the weight of `cand` is the difference (one accumulation less per supporter).
        let w_rest = w_all - w_x;
        let result = self.price_float_uniform(
            k,
            c,
            uf,
            &mut cand[..n],
            (total, w_all),
            (lb, sum_x, n_x, w_rest),
        );
        self.scratch_u = cand;
        result
    }

    /// Float price from the gathered supporters (see [`Eval::price_uniform`]).
    fn price_float_uniform(
        &mut self,
        k: usize,
        c: f64,
        uf: f64,
        rest: &mut [(f64, f64)],
        (total, w_all): (f64, f64),
        (lb, sum_x0, n_x0, w_rest0): (f64, f64, usize, f64),
    ) -> Option<Price> {
        // `rest`: the supporters with money above `lb·u` (weight `w_rest0`); the `n_x0` others
        // (money summing to `sum_x0`) pay all they have.
        let cand = rest;
        let terms = cand.len() + n_x0;
        if terms == 0 {
            return None;
        }
        if let Some(decided) = self.affordability(k, c, total, w_all, terms) {
            return decided;
        }
        // Newton steps from below: from the flat price or the lower bound, whichever is higher
        // (any start at most the price converges to it from below). The step from the lower
        // bound was taken while gathering: when it moved supporters to X, its result is also
        // a start at most the price (the tangent at `lb` lies above the concave price function).
        let flat = c / (w_all * uf);
        let mut rho = flat.max(lb);
        let mut sum_x = 0.0;
        let mut n_x = 0usize;
        let mut passes = 0;
        if n_x0 > 0 {
            passes = 1;
            let den = w_rest0 * uf;
            if cand.is_empty() || den <= 0.0 {
                return Some(self.price_exact(k, None));
            }
            sum_x = sum_x0;
            rho = ((c - sum_x) / den).max(flat);
        }
        let n_rest = cand.len();
        // Weight of `cand[n_x..]` (exact: a sum of group sizes; updated by what moves to X).
        let mut w_rest = w_rest0;
        loop {
            passes += 1;
            if passes > 6 {
                cand[n_x..].sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
                let mut den: f64 = cand[n_x..].iter().map(|x| x.1).sum::<f64>() * uf;
                while n_x < n_rest {
                    let (b, w) = cand[n_x];
                    if b > rho * uf {
                        break;
                    }
                    sum_x += w * b;
                    den -= w * uf;
                    w_rest -= w;
                    n_x += 1;
                    if den <= 0.0 {
                        return Some(self.price_exact(k, None));
                    }
                    rho = (c - sum_x) / den;
                }
                break;
            }
            let mut moved = false;
            let mut w_moved = 0.0;
            let t = rho * uf;
            let first = n_x;
            for i in first..n_rest {
                let (b, w) = cand[i];
                if b <= t {
                    sum_x += w * b;
                    w_moved += w;
                    cand.swap(i, n_x);
                    n_x += 1;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
            w_rest -= w_moved;
            let den = w_rest * uf;
            if n_x == n_rest || den <= 0.0 {
                return Some(self.price_exact(k, None));
            }
            rho = (c - sum_x) / den;
        }
        // Error bound as in `price_float`.
        let tol_rel = 1e-6;
        let delta = self.delta;
        // Safe weight: all of `cand[n_x..]` but the (few) supporters too close to the price.
        let mut w_close = 0.0;
        for &(b, w) in &cand[n_x..] {
            let safe = b - rho * uf > delta + uf * rho * tol_rel;
            if !safe {
                w_close += w;
            }
        }
        let w_safe = w_rest - w_close;
        Some(self.checked_float_price(k, c, rho, terms, w_all, w_safe * uf))
    }

    /// Float price from the gathered supporters (see [`Eval::price`]).
    fn price_float(
        &mut self,
        k: usize,
        c: f64,
        cand: &mut [(f64, f64, f64, f64)],
        total: f64,
        w_all: f64,
        den_all: f64,
    ) -> Option<Price> {
        let terms = cand.len();
        if terms == 0 {
            return None;
        }
        if let Some(decided) = self.affordability(k, c, total, w_all, terms) {
            return decided;
        }
        // Water-filling by Newton steps from the flat price: the price function
        // ρ ↦ Σ min(b, ρ·u) is concave and piecewise linear, so each step moves every supporter
        // whose money/utility is at most the current ρ to X (pays all) and never overshoots.
        // Usually two or three passes; after a few, sort what is left and walk it.
        let mut rho = c / den_all;
        let mut sum_x = 0.0;
        let mut n_x = 0usize;
        let mut passes = 0;
        loop {
            passes += 1;
            if passes > 6 {
                cand[n_x..].sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
                let mut den: f64 = cand[n_x..].iter().map(|x| x.1).sum();
                while n_x < terms {
                    let (ratio, wu, wb, _) = cand[n_x];
                    if ratio > rho {
                        break;
                    }
                    sum_x += wb;
                    den -= wu;
                    n_x += 1;
                    if den <= 0.0 {
                        return Some(self.price_exact(k, None));
                    }
                    rho = (c - sum_x) / den;
                }
                break;
            }
            let mut moved = false;
            let mut den = 0.0;
            // Elements at n_x.. not yet examined; n_x grows as elements move to the front.
            let first = n_x;
            for i in first..terms {
                if cand[i].0 <= rho {
                    sum_x += cand[i].2;
                    cand.swap(i, n_x);
                    n_x += 1;
                    moved = true;
                } else {
                    den += cand[i].1;
                }
            }
            if !moved {
                break;
            }
            if n_x == terms || den <= 0.0 {
                return Some(self.price_exact(k, None));
            }
            rho = (c - sum_x) / den;
        }
        // Error bound: |F - F_f| <= W·δ + arithmetic; slope >= weight·utility of supporters
        // that are clearly not paying all they have (all of them have ratio > ρ, so they are
        // among cand[n_x..]).
        let tol_rel = 1e-6;
        let delta = self.delta;
        let mut den_safe = 0.0;
        for &(ratio, wu, _, uf) in &cand[n_x..] {
            if (ratio - rho) * uf > delta + uf * rho * tol_rel {
                den_safe += wu;
            }
        }
        Some(self.checked_float_price(k, c, rho, terms, w_all, den_safe))
    }

    /// The float price `rho` with its error bound when the bound is tight enough (relative
    /// 10⁻⁷), else the exact price (with `rho` as hint). `den_safe`: the slope contributed by
    /// the supporters clearly not paying all they have.
    fn checked_float_price(
        &mut self,
        k: usize,
        c: f64,
        rho: f64,
        terms: usize,
        w_all: f64,
        den_safe: f64,
    ) -> Price {
        let tol_rel = 1e-6;
        let e_arith = 2.0 * (terms as f64 + 2.0) * EPS * (c + w_all * self.e_f);
        let err = if den_safe > 0.0 {
            2.0 * (w_all * self.delta + e_arith) / den_safe * (1.0 + 1e-9) + 8.0 * EPS * rho
        } else {
            f64::INFINITY
        };
        if err.is_nan() || err > rho * tol_rel * 0.1 {
            return self.price_exact(k, Some(rho));
        }
        Price {
            f: rho,
            err,
            exact: None,
            raw: None,
        }
    }

    /// Affordability of project `k` from the float sum `total` of its supporters' money (with
    /// `terms` terms of weight `w_all`): `Some(None)` when clearly (or exactly) unaffordable,
    /// `Some(Some(exact price))` on a close call decided exactly, `None` when clearly
    /// affordable (the float price may be computed).
    fn affordability(
        &mut self,
        k: usize,
        c: f64,
        total: f64,
        w_all: f64,
        terms: usize,
    ) -> Option<Option<Price>> {
        let cost = self.inst.cost[k];
        let err_total = self.sum_err(w_all, terms) + EPS * c;
        if total + err_total < c {
            return Some(None);
        }
        if total - err_total <= c {
            // Close call: decide affordability exactly.
            self.exact_calls += 1;
            let t = self.sum_num(k, |_| true);
            if t < BigInt::from(cost) * &self.cd {
                return Some(None);
            }
            return Some(Some(self.price_exact(k, None)));
        }
        None
    }

    /// Exact price of an affordable project: exact water-filling, with float-filtered
    /// comparisons. `hint` is a float estimate of the price: supporters clearly below it start
    /// as paying all they have.
    fn price_exact(&mut self, k: usize, hint: Option<f64>) -> Price {
        self.exact_calls += 1;
        let inst = self.inst;
        let sup = &inst.supporters[k];
        if inst.cost[k] == 0 {
            return Price::zero();
        }
        if let Some(h) = hint
            && let Some(p) = self.price_exact_near(k, h)
        {
            return p;
        }
        self.x_for = None;
        let cost_n = BigInt::from(inst.cost[k]) * &self.cd;
        self.in_x.clear();
        self.in_x.resize(sup.len(), false);
        let mut den: u128 = 0;
        let mut any_x = false;
        for (i, &(g, u)) in sup.iter().enumerate() {
            if self.b_f[g as usize].0 < 0.0 {
                continue;
            }
            let wu = inst.weight[g as usize] as u128 * u as u128;
            if let Some(h) = hint {
                let share = h * u as f64;
                if self.b_f[g as usize].0 < share * (1.0 - 1e-6) - self.delta {
                    self.in_x[i] = true;
                    any_x = true;
                    continue;
                }
            }
            den += wu;
        }
        let mut sum_x = if any_x {
            let in_x = std::mem::take(&mut self.in_x);
            let s = self.sum_num(k, |i| in_x[i]);
            self.in_x = in_x;
            s
        } else {
            BigInt::zero()
        };
        let mut rho;
        let mut raw: (BigInt, u128);
        loop {
            if den == 0 {
                // Everybody pays all they have: the price is the largest money/utility.
                let mut best: (BigInt, u128) = (BigInt::zero(), 1);
                for &(g, u) in sup {
                    if self.b_f[g as usize].0 >= 0.0 {
                        let b = self.budget_num(g);
                        // b/u > best.0/best.1
                        if &b * BigInt::from(best.1) > &best.0 * BigInt::from(u) {
                            best = (b, u as u128);
                        }
                    }
                }
                rho = BigRational::new_raw(best.0.clone(), &self.cd * BigInt::from(best.1));
                raw = best;
                break;
            }
            raw = (&cost_n - &sum_x, den);
            rho = BigRational::new_raw(raw.0.clone(), &self.cd * BigInt::from(den));
            let rho_f = ratio_f64(&rho);
            let mut changed = false;
            for (i, &(g, u)) in sup.iter().enumerate() {
                if self.in_x[i] || self.b_f[g as usize].0 < 0.0 {
                    continue;
                }
                let b = self.b_f[g as usize].0;
                let share = rho_f * u as f64;
                let margin = self.delta + 4.0 * EPS * share.abs();
                let pays_all = if b < share - margin {
                    true
                } else if b > share + margin {
                    false
                } else {
                    self.pays_all_exact(g, &rho, u)
                };
                if pays_all {
                    self.in_x[i] = true;
                    den -= inst.weight[g as usize] as u128 * u as u128;
                    changed = true;
                }
            }
            if !changed {
                self.x_for = Some((k, self.prices.len()));
                break;
            }
            let in_x = std::mem::take(&mut self.in_x);
            sum_x = self.sum_num(k, |i| in_x[i]);
            self.in_x = in_x;
        }
        let f = ratio_f64(&rho);
        if let Some(h) = hint
            && any_x
            && f < h * (1.0 - 1e-6) * (1.0 + 1e-12)
        {
            // The supporters put in X from the hint need ρ ≥ h·(1-10⁻⁶) (f is within 2ε of
            // ρ); not expected (the hint is the float water-filling's price), but then start
            // over without it.
            return self.price_exact(k, None);
        }
        Price {
            f,
            err: RATIO_F64_ERR * f,
            exact: Some(rho),
            raw: Some(raw),
        }
    }

    /// The exact price of an affordable project `k` in one pass over its supporters, when the
    /// float estimate `h` is close enough to split them for sure: every supporter's money is
    /// either clearly below `h·u·(1-2·10⁻⁶)` (pays all it has) or clearly above
    /// `h·u·(1+2·10⁻⁶)` (pays its share), beyond the money's error bound `δ` (twice, which
    /// also covers the rounding of the thresholds). The exact price of that split is then
    /// checked to lie within `h·(1 ± 10⁻⁶)`, which makes the split the exact one at that price
    /// (so the price is the least root, as the water-filling of [`Eval::price_exact`] would
    /// find, with the same numerator and denominator). `None`: some supporter is too close,
    /// or the check fails; the caller falls back to the water-filling.
    fn price_exact_near(&mut self, k: usize, h: f64) -> Option<Price> {
        let inst = self.inst;
        let sup = &inst.supporters[k];
        self.x_for = None;
        self.in_x.clear();
        self.in_x.resize(sup.len(), false);
        self.coef.clear();
        self.coef.resize(self.prices.len(), 0);
        let two_delta = 2.0 * self.delta;
        let (f_lo, f_hi) = (h * (1.0 - 2e-6), h * (1.0 + 2e-6));
        let mut w_x: u128 = 0;
        let mut den: u128 = 0;
        let sup_f = &inst.supporters_f[k];
        if let Some(u) = inst.uniform_u[k] {
            // All supporters have utility `u` (always so with cost utilities): the same
            // thresholds, computed once; the weights of those paying their share summed as
            // f64 (group sizes: exact integers) from the money's array, `den = u·Σw`.
            let uf = u as f64;
            let (lo, hi) = (f_lo * uf - two_delta, f_hi * uf + two_delta);
            let mut w_share = 0.0f64;
            // Slices in locals: the stores below do not make them reload.
            let (b_f, coef) = (&self.b_f[..], &mut self.coef[..]);
            let in_x = &mut self.in_x[..sup_f.len()];
            let (pf, pf_end, item_off) = (&self.pf[..], &self.pf_end[..], &inst.item_off[..]);
            let (weight, util_vals) = (&inst.weight[..], &inst.util_vals[..]);
            for (i, &(g, _)) in sup_f.iter().enumerate() {
                let gi = g as usize;
                let (b, w) = b_f[gi];
                if b < 0.0 {
                    continue; // exhausted
                }
                if b > hi {
                    w_share += w;
                } else if b < lo {
                    in_x[i] = true;
                    let w = weight[gi] as u128;
                    w_x += w;
                    for &(r, ui) in &pf[item_off[gi] as usize..pf_end[gi] as usize] {
                        coef[r as usize] += w * util_vals[ui as usize] as u128;
                    }
                } else {
                    return None;
                }
            }
            den = w_share as u128 * u as u128;
        } else {
            for (i, (&(g, u), &(_, uf))) in sup.iter().zip(sup_f).enumerate() {
                let gi = g as usize;
                let b = self.b_f[gi].0;
                if b < 0.0 {
                    continue; // exhausted
                }
                let w = inst.weight[gi] as u128;
                if b < f_lo * uf - two_delta {
                    self.in_x[i] = true;
                    w_x += w;
                    let paid = &self.pf[inst.item_off[gi] as usize..self.pf_end[gi] as usize];
                    for &(r, ui) in paid {
                        self.coef[r as usize] += w * inst.util_vals[ui as usize] as u128;
                    }
                } else if b > f_hi * uf + two_delta {
                    den += w * u as u128;
                } else {
                    return None;
                }
            }
        }
        if den == 0 {
            return None;
        }
        if w_x == 0 {
            // Nobody pays all they have: ρ = cost/den, with their common factor cancelled
            // (the common denominator then grows by den/g only: with cost utilities g ≥ cost).
            let (c, den) = cancel(inst.cost[k] as u128, den);
            let num = BigInt::from(c) * &self.cd;
            return self.accept_near(k, h, num, den);
        }
        // Money of the supporters paying all (times cd): W_X·E - Σ_r ρ_r·C_r, in two limb
        // vectors borrowed from the pool (no allocation per price).
        let mut spent = self.nat_pool.pop().unwrap_or_default();
        let mut sum_x = self.nat_pool.pop().unwrap_or_default();
        spent.0.clear();
        sum_x.0.clear();
        for (r, &c) in self.coef.iter().enumerate() {
            if c != 0 {
                spent.add_mul_small(&self.n_p[r], c);
            }
        }
        sum_x.add_mul_small(&self.n_e, w_x);
        sum_x.sub_assign(&spent);
        let num = BigInt::from(inst.cost[k]) * &self.cd - sum_x.to_big();
        self.nat_pool.push(spent);
        self.nat_pool.push(sum_x);
        self.accept_near(k, h, num, den)
    }

    /// The end of [`Eval::price_exact_near`]: the price `num/(cd·den)` of the split, if it
    /// lies within `h·(1 ± 10⁻⁶)`.
    fn accept_near(&mut self, k: usize, h: f64, num: BigInt, den: u128) -> Option<Price> {
        if num.sign() != num_bigint::Sign::Plus {
            return None;
        }
        let rho = BigRational::new_raw(num.clone(), &self.cd * BigInt::from(den));
        let f = ratio_f64(&rho);
        // f is within 2ε of ρ (relative): ρ ∈ [h·(1-10⁻⁶), h·(1+10⁻⁶)] with room to spare.
        if !(f >= h * (1.0 - 1e-6) * (1.0 + 1e-12) && f <= h * (1.0 + 1e-6) * (1.0 - 1e-12)) {
            return None;
        }
        self.x_for = Some((k, self.prices.len()));
        Some(Price {
            f,
            err: RATIO_F64_ERR * f,
            exact: Some(rho),
            raw: Some((num, den)),
        })
    }

    /// Makes `p`, a price of `k` computed by this evaluation since its last payment, exact.
    fn ensure_exact(&mut self, k: usize, p: &mut Price) {
        if p.raw.is_some() {
            return;
        }
        if self.prices.is_empty() && self.inst.uniform_u[k].is_some() {
            // Before any payment (where [`Eval::price_first_round`] leaves the exact value to
            // be built when needed: most are never compared exactly nor paid, and building
            // them allocated in every run), an affordable project with uniform utilities has
            // the closed-form price.
            *p = self.first_round_exact(k);
        } else {
            let hint = p.f.is_finite().then_some(p.f);
            *p = self.price_exact(k, hint);
        }
    }

    /// Supporters of `k` pay at the exact price of `p` (computed by this evaluation since
    /// its last payment).
    fn pay(&mut self, k: usize, p: &Price) {
        let inst = self.inst;
        let rho = p.exact.as_ref().expect("exact price");
        let (n, d) = p.raw.as_ref().expect("price of this evaluation");
        let round = self.prices.len() as u32;
        let rho_f = ratio_f64(rho);
        // The exact split computed with the price, when there is one.
        let known = self.x_for == Some((k, round as usize));
        self.x_for = None;
        let sup_ui = &inst.sup_ui[k];
        if known && let Some(u) = inst.uniform_u[k] {
            // One utility: one share and one utility index for every payer.
            let share = rho_f * u as f64;
            let ui = sup_ui.first().copied().unwrap_or(0);
            self.pay_known(k, round, |_, _| (share, ui));
        } else if known {
            // The utilities as f64 from `supporters_f` (a u64 → f64 conversion is several
            // instructions).
            self.pay_known(k, round, |i, uf| (rho_f * uf, sup_ui[i]));
        } else {
            for (i, &(g, u)) in inst.supporters[k].iter().enumerate() {
                let gi = g as usize;
                let b = self.b_f[gi].0;
                if b < 0.0 {
                    continue; // exhausted
                }
                let share = rho_f * u as f64;
                let margin = self.delta + 4.0 * EPS * share.abs();
                let pays_all = if b < share - margin {
                    true
                } else if b > share + margin {
                    false
                } else {
                    self.pays_all_exact(g, rho, u)
                };
                if pays_all {
                    self.b_f[gi].0 = -1.0;
                    self.exhausted_at[gi] = round;
                } else {
                    let slot = self.pf_end[gi] as usize;
                    self.pf[slot] = (round, sup_ui[i]);
                    self.pf_end[gi] += 1;
                    self.b_f[gi].0 = (b - share).max(0.0);
                }
            }
        }
        self.push_price(n, *d);
    }

    /// [`Eval::pay`] where the exact split is known (`in_x`: who pays all they have): no
    /// decisions to take. `share_ui(i, u)` gives the `i`-th supporter's share and utility
    /// index from its utility `u`. The per-group arrays are slices of one length (one bounds
    /// check for the three) held in locals, which keeps the loop in registers.
    #[inline(always)]
    fn pay_known(&mut self, k: usize, round: u32, share_ui: impl Fn(usize, f64) -> (f64, u32)) {
        let inst = self.inst;
        let groups = self.b_f.len();
        let (b_f, pf) = (&mut self.b_f[..groups], &mut self.pf[..]);
        let pf_end = &mut self.pf_end[..groups];
        let (exhausted_at, in_x) = (&mut self.exhausted_at[..groups], &self.in_x);
        let sup_f = &inst.supporters_f[k];
        for (i, (&(g, uf), &x)) in sup_f.iter().zip(&in_x[..sup_f.len()]).enumerate() {
            let gi = g as usize;
            let b = b_f[gi].0;
            if b < 0.0 {
                continue; // exhausted
            }
            if x {
                b_f[gi].0 = -1.0;
                exhausted_at[gi] = round;
            } else {
                let (share, ui) = share_ui(i, uf);
                let slot = pf_end[gi] as usize;
                pf[slot] = (round, ui);
                pf_end[gi] += 1;
                b_f[gi].0 = (b - share).max(0.0);
            }
        }
    }
}

/// `(a/g, b/g)` for `g = gcd(a, b)` (`b > 0`).
fn cancel(a: u128, b: u128) -> (u128, u128) {
    let (mut x, mut y) = (a, b);
    if x >> 64 == 0 && y >> 64 == 0 {
        let (mut x64, mut y64) = (x as u64, y as u64);
        while y64 != 0 {
            (x64, y64) = (y64, x64 % y64);
        }
        x = x64 as u128;
    } else {
        while y != 0 {
            (x, y) = (y, x % y);
        }
    }
    let g = x.max(1);
    (a / g, b / g)
}

/// Candidate in a priority queue keyed by a lower bound of its price.
struct Cand {
    lb: f64,
    rank: usize,
    project: usize,
}
impl PartialEq for Cand {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Cand {}
impl Ord for Cand {
    fn cmp(&self, o: &Self) -> Ordering {
        self.lb.total_cmp(&o.lb).then(self.rank.cmp(&o.rank))
    }
}
impl PartialOrd for Cand {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// Exact comparison of two non-negative rationals with positive denominators, reduced or not
/// (cross-multiplication).
fn cmp_ratio(a: &BigRational, b: &BigRational) -> Ordering {
    if a.denom() == b.denom() {
        return a.numer().cmp(b.numer());
    }
    (a.numer() * b.denom()).cmp(&(b.numer() * a.denom()))
}

/// Compares `(price, rank)` pairs; exact when the float intervals overlap.
fn cmp_price(
    ev: &mut Eval,
    a: (usize, &mut Price),
    b_rank: usize,
    b: &mut Price,
    b_project: usize,
) -> Ordering {
    let (ka, pa) = a;
    if pa.f + pa.err < b.f - b.err {
        return Ordering::Less;
    }
    if pa.f - pa.err > b.f + b.err {
        return Ordering::Greater;
    }
    ev.exact_calls += 1;
    ev.ensure_exact(ka, pa);
    ev.ensure_exact(b_project, b);
    let ea = pa.exact.as_ref().unwrap();
    let eb = b.exact.as_ref().unwrap();
    cmp_ratio(ea, eb).then(ev.inst.rank[ka].cmp(&b_rank))
}

/// Like [`cmp_price`] against a fixed exact price from another run.
fn cmp_price_bar(ev: &mut Eval, a: (usize, &mut Price), b_rank: usize, b: &Price) -> Ordering {
    let (ka, pa) = a;
    if pa.f + pa.err < b.f - b.err {
        return Ordering::Less;
    }
    if pa.f - pa.err > b.f + b.err {
        return Ordering::Greater;
    }
    ev.exact_calls += 1;
    ev.ensure_exact(ka, pa);
    cmp_ratio(pa.exact.as_ref().unwrap(), b.exact.as_ref().unwrap())
        .then(ev.inst.rank[ka].cmp(&b_rank))
}

/// The result of one MES run.
#[derive(Debug, Clone)]
pub struct MesRun {
    /// Endowment per voter, base units.
    pub endowment: BigRational,
    /// Chosen projects in order, with the exact price per unit of utility (not necessarily in
    /// lowest terms: reducing big fractions every round costs more than it saves; arithmetic
    /// and comparisons on them are exact either way).
    pub chosen: Vec<(usize, BigRational)>,
    /// Per group (slots `item_off[g]..pf_end[g]`): rounds in which it paid its full share
    /// `ρ·u` (with the index of `u` in `util_vals`).
    pf: Vec<(u32, u32)>,
    pf_end: Vec<u32>,
    /// Per group: the round in which it paid all it had left, or `NOT` (see
    /// [`MesRun::exhausted_at`]).
    exhausted: Vec<u32>,
    /// Number of exact (rational) price computations and comparisons.
    pub exact_calls: usize,
    /// The evaluation's other arrays, for reuse by the next evaluation.
    spare: Buffers,
}

impl MesRun {
    /// Gives the run's arrays back for another evaluation on the same instance.
    pub fn into_buffers(self) -> Buffers {
        Buffers {
            pf: self.pf,
            pf_end: self.pf_end,
            exhausted_at: self.exhausted,
            ..self.spare
        }
    }

    /// The round in which group `g` paid all it had left, if any.
    pub fn exhausted_at(&self, g: usize) -> Option<u32> {
        let r = self.exhausted[g];
        (r != NOT).then_some(r)
    }

    /// Total cost of the chosen projects.
    pub fn total_cost(&self, inst: &MesInstance) -> Money {
        self.chosen.iter().map(|(p, _)| inst.cost[*p]).sum()
    }

    /// Exact payments of one group (per voter): (round, amount), in round order.
    pub fn group_payments(&self, inst: &MesInstance, g: usize) -> Vec<(usize, BigRational)> {
        let mut out = Vec::new();
        let mut left = self.endowment.clone();
        for &(r, ui) in &self.pf[inst.item_off[g] as usize..self.pf_end[g] as usize] {
            let u = inst.util_vals[ui as usize];
            let p = &self.chosen[r as usize].1 * BigInt::from(u);
            left -= &p;
            out.push((r as usize, p));
        }
        if let Some(r) = self.exhausted_at(g) {
            out.push((r as usize, left));
            out.sort_by_key(|x| x.0);
        }
        out.retain(|x| !x.1.is_zero());
        out
    }
}

/// Runs MES at the given endowment (base units per voter).
pub fn mes_run(inst: &MesInstance, endowment: &BigRational) -> MesRun {
    mes_run_with(inst, endowment, Buffers::default())
}

/// [`mes_run`] reusing the arrays of an earlier evaluation.
pub fn mes_run_with(inst: &MesInstance, endowment: &BigRational, bufs: Buffers) -> MesRun {
    let mut ev = Eval::new(inst, endowment, bufs);
    let m = inst.cost.len();
    let mut heap: BinaryHeap<Reverse<Cand>> = BinaryHeap::new();
    let mut fresh: Vec<Option<Price>> = vec![None; m];
    for (k, slot) in fresh.iter_mut().enumerate() {
        if let Some(p) = ev.price_first_round(k) {
            heap.push(Reverse(Cand {
                lb: p.f - p.err,
                rank: inst.rank[k],
                project: k,
            }));
            *slot = Some(p);
        }
    }
    let mut chosen_k: Vec<usize> = Vec::new();
    run_rounds(&mut ev, &mut heap, &mut fresh, &mut chosen_k);
    finish_run(ev, endowment, chosen_k)
}

/// The rounds of an MES run from the evaluation's state: `heap` holds a lower bound of the
/// price of every remaining project that may be affordable, `fresh` the prices computed
/// since the last payment (only before the first), `chosen_k` the projects paid so far.
fn run_rounds(
    ev: &mut Eval,
    heap: &mut BinaryHeap<Reverse<Cand>>,
    fresh: &mut [Option<Price>],
    chosen_k: &mut Vec<usize>,
) {
    let inst = ev.inst;
    let mut losers: Vec<Cand> = Vec::new();
    loop {
        // best: (project, price) among examined candidates.
        let mut best: Option<(usize, Price)> = None;
        while let Some(Reverse(top)) = heap.peek() {
            if let Some((_, bp)) = &best
                && top.lb > bp.f + bp.err
            {
                break;
            }
            let Reverse(top) = heap.pop().unwrap();
            let k = top.project;
            let mut p = match fresh[k].take() {
                Some(p) => p,
                None => match ev.price_from(k, top.lb) {
                    Some(p) => p,
                    None => continue,
                },
            };
            match best.take() {
                None => best = Some((k, p)),
                Some((bk, mut bp)) => {
                    let brank = inst.rank[bk];
                    let o = cmp_price(ev, (k, &mut p), brank, &mut bp, bk);
                    let (win, lose) = if o == Ordering::Less {
                        ((k, p), (bk, bp))
                    } else {
                        ((bk, bp), (k, p))
                    };
                    losers.push(Cand {
                        lb: lose.1.f - lose.1.err,
                        rank: inst.rank[lose.0],
                        project: lose.0,
                    });
                    best = Some(win);
                }
            }
        }
        for c in losers.drain(..) {
            heap.push(Reverse(c));
        }
        let Some((k, mut p)) = best else { break };
        ev.ensure_exact(k, &mut p);
        // Prices computed before this payment are stale (only lower bounds now). Only the
        // first round's prices are kept in `fresh`: later rounds find it empty already.
        if chosen_k.is_empty() {
            for f in fresh.iter_mut() {
                *f = None;
            }
        }
        ev.pay(k, &p);
        chosen_k.push(k);
    }
}

/// The run of a finished evaluation.
fn finish_run(mut ev: Eval, endowment: &BigRational, chosen_k: Vec<usize>) -> MesRun {
    // The exact prices, moved (not cloned) out of the evaluation.
    let chosen: Vec<(usize, BigRational)> = chosen_k.into_iter().zip(ev.prices.drain(..)).collect();
    let exact_calls = ev.exact_calls;
    let mut bufs = ev.into_buffers();
    MesRun {
        endowment: endowment.clone(),
        chosen,
        exhausted: std::mem::take(&mut bufs.exhausted_at),
        pf: std::mem::take(&mut bufs.pf),
        pf_end: std::mem::take(&mut bufs.pf_end),
        exact_calls,
        spare: bufs,
    }
}

/// Whether `base` (the run at `base.endowment`) is also the MES run at every endowment in
/// `[base.endowment, e_b]`: one forced replay at `e_b` (see the module docs of `rules`), with
/// the arrays of an earlier evaluation. When the certificate fails, the MES run at `e_b`: the
/// forced replay is a prefix of that run up to where the certificate failed (every round
/// before was won by the same project at `e_b`), so the run is finished from there rather
/// than evaluated again. `None` when certified (the arrays go back to `bufs`), else
/// `Some(run)` (the arrays go to the run).
pub fn certify_or_run(
    inst: &MesInstance,
    base: &MesRun,
    e_b: &BigRational,
    bufs: &mut Buffers,
) -> Option<MesRun> {
    let mut ev = Eval::new(inst, e_b, std::mem::take(bufs));
    match certify_in(&mut ev, inst, base) {
        None => {
            *bufs = ev.into_buffers();
            None
        }
        Some((mut heap, mut chosen_k)) => {
            let mut fresh: Vec<Option<Price>> = vec![None; inst.cost.len()];
            run_rounds(&mut ev, &mut heap, &mut fresh, &mut chosen_k);
            Some(finish_run(ev, e_b, chosen_k))
        }
    }
}

/// The forced replay of `base` at the evaluation's endowment: `None` if it certifies `base`;
/// otherwise the state where it failed, from which the MES run at that endowment continues:
/// a heap of lower bounds of the remaining projects' prices and the projects paid so far.
type Continuation = (BinaryHeap<Reverse<Cand>>, Vec<usize>);

fn certify_in(ev: &mut Eval, inst: &MesInstance, base: &MesRun) -> Option<Continuation> {
    let m = inst.cost.len();
    let mut done = vec![false; m];
    let mut heap: BinaryHeap<Reverse<Cand>> = (0..m)
        .filter(|&k| !inst.supporters[k].is_empty())
        .map(|k| {
            Reverse(Cand {
                lb: f64::NEG_INFINITY,
                rank: inst.rank[k],
                project: k,
            })
        })
        .collect();
    let mut chosen_k: Vec<usize> = Vec::new();
    // The state of a failed certificate: the heap without the projects paid so far.
    let fail = |mut heap: BinaryHeap<Reverse<Cand>>, done: &[bool], chosen_k: Vec<usize>| {
        heap.retain(|c| !done[c.0.project]);
        Some((heap, chosen_k))
    };
    for (j, rho_a) in &base.chosen {
        let j = *j;
        done[j] = true;
        let bar_f = rho_a.to_f64().unwrap_or(f64::MAX);
        let bar = Price {
            f: bar_f,
            err: 4.0 * EPS * bar_f.abs(),
            exact: Some(rho_a.clone()),
            raw: None,
        };
        let bar_rank = inst.rank[j];
        let mut pushback = Vec::new();
        while let Some(Reverse(top)) = heap.peek() {
            if done[top.project] {
                heap.pop();
                continue;
            }
            if top.lb > bar.f + bar.err {
                break;
            }
            let Reverse(top) = heap.pop().unwrap();
            let k = top.project;
            let Some(mut p) = ev.price(k) else {
                continue; // unaffordable now: also later and at smaller endowments
            };
            let o = cmp_price_bar(ev, (k, &mut p), bar_rank, &bar);
            if o != Ordering::Greater {
                // Round `s` may differ at e_b: the run continues from before it, with `j`
                // and the projects examined back in the heap (their prices as bounds).
                done[j] = false;
                heap.push(Reverse(Cand {
                    lb: p.f - p.err,
                    rank: top.rank,
                    project: k,
                }));
                heap.extend(pushback.into_iter().map(Reverse));
                // `j` back unless its entry is still there (one entry per project).
                if !heap.iter().any(|c| c.0.project == j) {
                    heap.push(Reverse(Cand {
                        lb: f64::NEG_INFINITY,
                        rank: bar_rank,
                        project: j,
                    }));
                }
                return fail(heap, &done, chosen_k);
            }
            pushback.push(Cand {
                lb: p.f - p.err,
                rank: top.rank,
                project: k,
            });
        }
        for c in pushback {
            heap.push(Reverse(c));
        }
        let Some(mut pj) = ev.price(j) else {
            // Not expected (j's supporters have more money at e_b); the run continues
            // without it.
            return fail(heap, &done, chosen_k);
        };
        ev.ensure_exact(j, &mut pj);
        ev.pay(j, &pj);
        chosen_k.push(j);
    }
    while let Some(Reverse(top)) = heap.pop() {
        if !done[top.project] && ev.price(top.project).is_some() {
            // Something more is affordable after the same rounds: the run goes on.
            heap.push(Reverse(Cand {
                lb: f64::NEG_INFINITY,
                rank: top.rank,
                project: top.project,
            }));
            return fail(heap, &done, chosen_k);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(costs: &[Money], ballots: &[&[usize]]) -> MesInstance {
        let costs = costs.to_vec();
        let rank: Vec<usize> = (0..costs.len()).collect();
        let bs: Vec<Vec<(usize, u64)>> = ballots
            .iter()
            .map(|b| b.iter().map(|&p| (p, costs[p])).collect())
            .collect();
        MesInstance::from_utilities(costs, rank, bs)
    }

    #[test]
    fn exact_prices_and_exhaustion() {
        // Budget 10, 4 voters: 2.5 each. p0 (cost 6) by voters 0,1,2: 2 each.
        // p1 (cost 3) by voters 2,3: voter 2 has 0.5 left -> pays 0.5, voter 3 pays 2.5 -> 3.
        let i = inst(&[6, 3], &[&[0], &[0], &[0, 1], &[1]]);
        let run = mes_run(&i, &BigRational::new(5.into(), 2.into()));
        let sel: Vec<usize> = run.chosen.iter().map(|c| c.0).collect();
        // p1 first? price p1 = 1.5 each -> rho = 1.5/3 = 1/2; p0: 2 each -> rho = 2/6 = 1/3.
        assert_eq!(sel, vec![0, 1]);
        // After p0, voter 2 has 1/2 and voter 3 has 5/2: p1 affordable only with all money:
        // 1/2 + 5/2 = 3 -> both pay all they have.
        let g3 = (0..i.groups())
            .position(|g| i.group_members(g) == [3])
            .unwrap();
        let pay = run.group_payments(&i, g3);
        assert_eq!(pay, vec![(1, BigRational::new(5.into(), 2.into()))]);
        assert_eq!(run.total_cost(&i), 9);
    }

    #[test]
    fn ratio_f64_is_within_its_error_bound() {
        // Large numerators and denominators like those of late rounds, against num-rational's
        // conversion (and small ones, where the division is correctly rounded).
        let mut next = crate::xorshift(0x9e37_79b9_7f4a_7c15);
        for bits in [10u32, 50, 53, 54, 64, 65, 200, 1500, 4000] {
            for _ in 0..50 {
                let mk = |next: &mut dyn FnMut() -> u64, b: u32| {
                    let mut v = BigInt::from(next() | 1);
                    while v.bits() < b as u64 {
                        v = (v << 64u32) + BigInt::from(next());
                    }
                    let extra = v.bits().saturating_sub(b as u64) as usize;
                    v >> extra
                };
                let n = mk(&mut next, bits);
                let shrink = (next() % 40) as u32;
                let d = mk(&mut next, bits.saturating_sub(shrink).max(1));
                let r = BigRational::new_raw(n, d);
                let want = r.to_f64().unwrap();
                let got = ratio_f64(&r);
                assert!(
                    (got - want).abs() <= RATIO_F64_ERR * want,
                    "{bits} bits: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn nat_matches_bigint() {
        let mut next = crate::xorshift(0x2545_f491_4f6c_dd1d);
        for _ in 0..200 {
            let mut a = Nat::from_big(&BigInt::from(next()));
            let mut big = a.to_big();
            let mut spent = Nat::default();
            let mut spent_big = BigInt::zero();
            for _ in 0..6 {
                // Factors below and above 2^64.
                let d = if next().is_multiple_of(3) {
                    (next() as u128) << 20 | 1
                } else {
                    (next() >> 30) as u128 + 1
                };
                a.mul_small_assign(d);
                big *= BigInt::from(d);
                assert_eq!(a.to_big(), big);
                let c = (next() >> 40) as u128;
                let part = Nat::from_big(&(&big / BigInt::from(7u32)));
                spent.add_mul_small(&part, c % 7);
                spent_big += part.to_big() * BigInt::from(c % 7);
                assert_eq!(spent.to_big(), spent_big);
            }
            let mut left = a.clone();
            if spent_big <= big {
                left.sub_assign(&spent);
                assert_eq!(left.to_big(), &big - &spent_big);
            }
        }
    }

    #[test]
    fn ballots_are_put_in_order_with_the_least_utility_of_a_repeated_project() {
        // Through the bit set (up to 128 projects) and through the sort (more).
        for m in [5usize, 200] {
            let ballots = vec![
                vec![(2, 5), (0, 3), (2, 4), (4, 0)],
                vec![(0, 3), (2, 4)],
                vec![(2, 4), (0, 3)],
                vec![(4, 1)],
            ];
            let i = MesInstance::from_utilities(vec![10; m], (0..m).collect(), ballots);
            assert_eq!(i.groups(), 2);
            assert_eq!(i.group_members(0), &[0, 1, 2]);
            assert_eq!(i.supporters[0], vec![(0, 3)]);
            assert_eq!(i.supporters[2], vec![(0, 4)]);
            assert_eq!(i.supporters[4], vec![(1, 1)]);
        }
    }

    #[test]
    fn cost_sets_give_the_same_instance() {
        // Random approval ballots (duplicates, empty ballots, a project of cost 0), few and
        // many distinct ballots, renumbered or not: the same instance as from the utility
        // lists, numbering included.
        let mut next = crate::xorshift(0x2545_f491_4f6c_dd1d);
        let mut most_groups = 0;
        for (m, nb, renumber_min) in [
            (5, 40, 4096),
            (30, 12000, 4096),
            (30, 12000, 0),
            (96, 300, 10),
        ] {
            let mut cost: Vec<Money> = (0..m).map(|_| 1 + next() % 1000).collect();
            cost[m / 2] = 0;
            let rank: Vec<usize> = (0..m).rev().collect();
            let ballots: Vec<Vec<usize>> = (0..nb)
                .map(|_| {
                    let len = (next() % 13) as usize;
                    // Skewed: low project numbers more popular.
                    (0..len)
                        .map(|_| (next() % m as u64 * (next() % m as u64) / m as u64) as usize)
                        .collect()
                })
                .collect();
            let util: Vec<Vec<(usize, u64)>> = ballots
                .iter()
                .map(|b| b.iter().map(|&p| (p, cost[p])).collect())
                .collect();
            let a = MesInstance::build(cost.clone(), rank.clone(), util, renumber_min);
            let b = MesInstance::build_cost_sets(cost.clone(), rank.clone(), ballots, renumber_min)
                .unwrap();
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "m {m}, {nb} ballots");
            most_groups = most_groups.max(a.groups());
        }
        assert!(most_groups >= RENUMBER_MIN_GROUPS, "{most_groups} groups");
        let many: Vec<Vec<usize>> = vec![vec![96]];
        assert!(MesInstance::from_cost_sets(vec![1; 97], (0..97).collect(), many).is_none());
    }

    #[test]
    fn failed_certificates_finish_into_the_run() {
        // Random elections and endowment pairs: a certificate that fails gives the MES run at
        // the higher endowment (same projects, exact prices and payments as a fresh run); one
        // that holds means the fresh run makes the same choices.
        let mut next = crate::xorshift(0x9e37_79b9_7f4a_7c15);
        let (mut failed, mut held) = (0, 0);
        for case in 0..60 {
            let m = 4 + (next() % 9) as usize;
            let cost: Vec<Money> = (0..m).map(|_| 20 + next() % 300).collect();
            let rank: Vec<usize> = (0..m).collect();
            let points = case % 3 == 2;
            let ballots: Vec<Vec<(usize, u64)>> = (0..(20 + next() % 60))
                .map(|_| {
                    let mask = next();
                    (0..m)
                        .filter(|p| mask >> (3 * p) & 3 == 0)
                        .map(|p| (p, if points { 1 + next() % 4 } else { cost[p] }))
                        .collect()
                })
                .collect();
            let inst = MesInstance::from_utilities(cost.clone(), rank, ballots);
            let total: u64 = cost.iter().sum();
            let e_a = BigRational::new(
                BigInt::from(total / 4 + next() % (total / 2 + 1)),
                BigInt::from(inst.n.max(1)),
            );
            let base = mes_run(&inst, &e_a);
            for d in [1u64, 2, 5, 17, 60] {
                let e_b = &e_a + BigRational::new(BigInt::from(d), BigInt::from(3));
                let fresh = mes_run(&inst, &e_b);
                let mut bufs = Buffers::default();
                match certify_or_run(&inst, &base, &e_b, &mut bufs) {
                    None => {
                        held += 1;
                        let a: Vec<usize> = base.chosen.iter().map(|c| c.0).collect();
                        let b: Vec<usize> = fresh.chosen.iter().map(|c| c.0).collect();
                        assert_eq!(a, b, "case {case}, +{d}/3");
                    }
                    Some(run) => {
                        failed += 1;
                        assert_eq!(run.chosen.len(), fresh.chosen.len(), "case {case}");
                        for (p, q) in run.chosen.iter().zip(&fresh.chosen) {
                            assert_eq!(p.0, q.0, "case {case}, +{d}/3");
                            assert_eq!(p.1, q.1, "exact prices (by value)");
                        }
                        for g in 0..inst.groups() {
                            assert_eq!(
                                run.group_payments(&inst, g),
                                fresh.group_payments(&inst, g)
                            );
                        }
                    }
                }
            }
        }
        assert!(
            failed > 20 && held > 20,
            "both outcomes exercised ({failed} failed, {held} held)"
        );
    }

    #[test]
    fn renumbered_groups_give_the_same_runs() {
        // Enough distinct ballots (random subsets of 14 projects, cost and point utilities)
        // for the renumbering to matter; same winners, prices and per-voter payments with and
        // without it, at several endowments.
        let mut next = crate::xorshift(0x853c_49e6_748f_ea9b);
        let m = 14;
        let cost: Vec<Money> = (0..m).map(|_| 50 + next() % 400).collect();
        let rank: Vec<usize> = (0..m).collect();
        let mut longest = 0;
        for points in [false, true] {
            let ballots: Vec<Vec<(usize, u64)>> = (0..3000)
                .map(|_| {
                    let mask = next();
                    (0..m)
                        .filter(|p| mask >> p & 1 == 1 && (mask >> (20 + p)) & 1 == 1)
                        .map(|p| (p, if points { 1 + next() % 5 } else { cost[p] }))
                        .collect()
                })
                .collect();
            let plain = MesInstance::build(cost.clone(), rank.clone(), ballots.clone(), usize::MAX);
            let renum = MesInstance::build(cost.clone(), rank.clone(), ballots.clone(), 0);
            assert_eq!(plain.groups(), renum.groups());
            assert!(
                (0..plain.groups()).any(|g| plain.group_members(g) != renum.group_members(g)),
                "the renumbering changes the numbering"
            );
            for e in [1u32, 2, 3, 5] {
                let e = BigRational::new(BigInt::from(e), BigInt::from(10));
                let (a, b) = (mes_run(&plain, &e), mes_run(&renum, &e));
                assert_eq!(a.chosen.len(), b.chosen.len());
                for (x, y) in a.chosen.iter().zip(&b.chosen) {
                    assert_eq!(x.0, y.0);
                    assert_eq!(x.1, y.1, "exact prices (compared by value)");
                }
                let per_voter = |inst: &MesInstance, run: &MesRun| {
                    let mut v = vec![Vec::new(); inst.n as usize];
                    for g in 0..inst.groups() {
                        let pays = run.group_payments(inst, g);
                        for &i in inst.group_members(g) {
                            v[i] = pays.clone();
                        }
                    }
                    v
                };
                assert_eq!(per_voter(&plain, &a), per_voter(&renum, &b));
                longest = longest.max(a.chosen.len());
            }
        }
        assert!(longest >= 4, "runs of several rounds ({longest})");
    }

    #[test]
    fn exact_ties_go_to_rank() {
        // Two identical projects: exact tie; rank 0 first; then the other is unaffordable.
        let i = inst(&[4, 4], &[&[0, 1], &[0, 1]]);
        let run = mes_run(&i, &BigRational::from_integer(3.into()));
        assert_eq!(run.chosen.iter().map(|c| c.0).collect::<Vec<_>>(), vec![0]);
        assert!(run.exact_calls > 0, "the tie must be decided exactly");
    }
}
