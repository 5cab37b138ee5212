//! Voting rules with exact arithmetic: greedy, the Method of Equal Shares (MES) and its Add1
//! completion.
//!
//! All money is handled as integers (base units) or exact rationals
//! ([`num_rational::BigRational`]). Floating point is only a filter: a decision is taken in
//! floating point only when its margin exceeds a proven bound on the rounding error, and with
//! exact rationals otherwise (see [`crate::mes`]).
//!
//! ## MES
//! Every voter starts with the endowment `E = budget / n` (n = number of ballots, empty ones
//! included). A voter's utility for a project is its cost for approval-like ballots (approval,
//! ordinal, choose-1: "cost utilities") and the points given for cumulative and scoring ballots
//! (projects given no positive points are not supported). A project `j` is affordable at price
//! `ρ` per unit of utility when `Σ_i min(b_i, ρ·u_ij) = cost_j` over its supporters; each round
//! the affordable project with the least `ρ` is chosen (ties: the tie-break order), each
//! supporter pays `min(b_i, ρ·u_ij)`, and the run stops when nothing is affordable.
//!
//! Voters with the same ballot are merged into one group. A project's `ρ` can only grow
//! during a run, so stale values are lower bounds and only the front of a priority queue is
//! recomputed each round.
//!
//! ## Add1 completion without one run per currency unit
//! `mes-add1` raises the endowment by one currency unit per voter (the budget by `n`) until the
//! MES outcome costs more than the budget, and returns the last outcome that fits. We never
//! step unit by unit. If the run at endowment `E_a` chose `j_1..j_r` at prices `ρ_1..ρ_r`, then
//! for any `E_b > E_a` the same run happens at every endowment in `[E_a, E_b]` as soon as a
//! single *forced* evaluation at `E_b` (paying for `j_1..j_r` in that order) shows, for every
//! round `s`, that each other remaining project `k` has `(ρ_k(E_b), rank_k) > (ρ_s(E_a),
//! rank_{j_s})`, and that after round `r` nothing else is affordable at `E_b`. This is exact:
//! with the order of choices fixed, every remaining budget is non-decreasing in `E`, so `ρ_k`
//! can only fall and `ρ_s` can only fall as `E` grows (`ρ_k(E) ≥ ρ_k(E_b)`,
//! `ρ_s(E) ≤ ρ_s(E_a)`). The certified stretch is found by galloping and bisection on the
//! integer steps; MES is re-run only where the certificate fails, i.e. around the endowments
//! where the outcome really changes. A failed certificate is not wasted: up to the round where
//! it failed, each forced choice was the MES choice at `E_b` as well (`ρ_{j_s}(E_b) ≤ ρ_s(E_a)`
//! and every other project is above), so the forced evaluation is finished into the MES run at
//! `E_b`, which is the run the next plain step needs. A certification is only tried after a plain step that
//! left the run's sequence of choices unchanged, and backs off (after 1, 2, 4, ... plain
//! steps) while it saves fewer runs than it costs: on the real data the run changes at almost
//! every step (Warszawa 2026: 184 steps, 185 runs), where a certification is a wasted
//! evaluation. A budget of 10^9 needs about as many MES runs as one of 10^5 (the bisection
//! adds a logarithmic number of certifications per change). On large instances, every plain
//! step evaluates two consecutive steps at once, the second on a worker thread kept for the
//! whole completion (steps 0 and 1 as well, and a certification is then first tried only if
//! they are the same run). The run
//! returned is the one at the last step that fits (not the first step of its certified
//! stretch), so its payments do not depend on how the stretch was found.

use crate::mes::{Buffers, MesInstance, MesRun, certify_or_run, mes_run, mes_run_with};
use crate::model::{Election, Money, VoteType};
use num_bigint::BigInt;
use num_rational::BigRational;
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A voting rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Most votes (points) first, each taken if it still fits.
    Greedy,
    /// Method of Equal Shares, endowment budget/n.
    Mes,
    /// MES with Add1 completion.
    MesAdd1,
    /// MES with Add1 completion, then greedy on what is left.
    MesAdd1Greedy,
}

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 4] = [Rule::Greedy, Rule::Mes, Rule::MesAdd1, Rule::MesAdd1Greedy];

    /// The command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Greedy => "greedy",
            Rule::Mes => "mes",
            Rule::MesAdd1 => "mes-add1",
            Rule::MesAdd1Greedy => "mes-add1-greedy",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown rule or tie-break name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("unknown rule {0:?} (expected greedy, mes, mes-add1 or mes-add1-greedy)")]
    Rule(String),
    #[error(
        "unknown tie-break criterion {0:?} (expected a comma-separated list of cost, -cost, votes, -votes, id)"
    )]
    TieBreak(String),
}

impl FromStr for Rule {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Rule, NameError> {
        Rule::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| NameError::Rule(s.to_string()))
    }
}

/// One tie-break criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TieCriterion {
    /// Lowest cost first (`cost`).
    LowestCost,
    /// Highest cost first (`-cost`).
    HighestCost,
    /// Most votes (points) first (`votes`).
    MostVotes,
    /// Fewest votes first (`-votes`).
    FewestVotes,
    /// Project id as a string, ascending (`id`).
    Id,
}

/// The order in which tied projects are preferred. The project id always ends the list, so
/// the order is total. Default: lowest cost, then most votes, then id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TieBreak(pub Vec<TieCriterion>);

impl Default for TieBreak {
    fn default() -> TieBreak {
        TieBreak(vec![
            TieCriterion::LowestCost,
            TieCriterion::MostVotes,
            TieCriterion::Id,
        ])
    }
}

impl FromStr for TieBreak {
    type Err = NameError;
    /// `"cost,votes,id"` (the default), `"id"` (pabutools' lexicographic order), ...
    fn from_str(s: &str) -> Result<TieBreak, NameError> {
        let mut v = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            v.push(match part {
                "cost" | "min-cost" => TieCriterion::LowestCost,
                "-cost" | "max-cost" => TieCriterion::HighestCost,
                "votes" | "most-votes" => TieCriterion::MostVotes,
                "-votes" | "fewest-votes" => TieCriterion::FewestVotes,
                "id" | "lexico" => TieCriterion::Id,
                other => return Err(NameError::TieBreak(other.to_string())),
            });
        }
        Ok(TieBreak(v))
    }
}

impl fmt::Display for TieBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self
            .0
            .iter()
            .map(|c| match c {
                TieCriterion::LowestCost => "cost",
                TieCriterion::HighestCost => "-cost",
                TieCriterion::MostVotes => "votes",
                TieCriterion::FewestVotes => "-votes",
                TieCriterion::Id => "id",
            })
            .collect();
        f.write_str(&names.join(","))
    }
}

/// Greedy score of each project: number of ballots listing it, or total (positive) points for
/// cumulative and scoring ballots.
pub fn scores(e: &Election) -> Vec<i128> {
    let mut s = vec![0i128; e.projects.len()];
    for b in &e.ballots {
        for it in &b.items {
            s[it.project] += if e.vote_type.has_points() {
                it.points as i128
            } else {
                1
            };
        }
    }
    s
}

/// `rank[p]`: position of project `p` in the tie-break order (lower is preferred).
pub fn tie_ranks(e: &Election, tb: &TieBreak) -> Vec<usize> {
    let sc = scores(e);
    let mut idx: Vec<usize> = (0..e.projects.len()).collect();
    idx.sort_by(|&a, &b| {
        for c in &tb.0 {
            let o = match c {
                TieCriterion::LowestCost => e.projects[a].cost.cmp(&e.projects[b].cost),
                TieCriterion::HighestCost => e.projects[b].cost.cmp(&e.projects[a].cost),
                TieCriterion::MostVotes => sc[b].cmp(&sc[a]),
                TieCriterion::FewestVotes => sc[a].cmp(&sc[b]),
                TieCriterion::Id => e.projects[a].id.cmp(&e.projects[b].id),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        e.projects[a].id.cmp(&e.projects[b].id).then(a.cmp(&b))
    });
    let mut rank = vec![0; idx.len()];
    for (r, p) in idx.into_iter().enumerate() {
        rank[p] = r;
    }
    rank
}

/// Greedy: projects by score (descending, ties by the tie-break), each selected if it fits.
/// Only projects with a positive score are considered. Returns the selection in order.
pub fn greedy(e: &Election, tb: &TieBreak) -> Vec<usize> {
    greedy_fill(e, tb, &[], e.budget)
}

/// Greedy completion: starting from `already` (kept), adds projects by score while they fit
/// within `budget`.
pub fn greedy_fill(e: &Election, tb: &TieBreak, already: &[usize], budget: Money) -> Vec<usize> {
    let sc = scores(e);
    let rank = tie_ranks(e, tb);
    let mut order: Vec<usize> = (0..e.projects.len()).filter(|&p| sc[p] > 0).collect();
    order.sort_by(|&a, &b| sc[b].cmp(&sc[a]).then(rank[a].cmp(&rank[b])));
    let mut chosen: Vec<usize> = already.to_vec();
    let mut spent: Money = already.iter().map(|&p| e.projects[p].cost).sum();
    for p in order {
        if chosen.contains(&p) {
            continue;
        }
        let c = e.projects[p].cost;
        if spent + c <= budget {
            spent += c;
            chosen.push(p);
        }
    }
    chosen
}

/// Prepares an election for MES: approval-like ballots get cost utilities, point ballots
/// their positive points.
pub fn mes_instance(e: &Election, tb: &TieBreak) -> MesInstance {
    let cost: Vec<Money> = e.projects.iter().map(|p| p.cost).collect();
    let points = e.vote_type.has_points();
    let rank = tie_ranks(e, tb);
    // Approval-like ballots with at most 96 projects: from the ballots' sets of projects.
    if !points
        && let Some(inst) = MesInstance::from_cost_sets(
            cost.clone(),
            rank.clone(),
            e.ballots
                .iter()
                .map(|b| b.items.iter().map(|it| it.project)),
        )
    {
        return inst;
    }
    let costs = &cost;
    let ballots = e.ballots.iter().map(|b| {
        b.items.iter().filter_map(move |it| {
            if points {
                (it.points > 0).then_some((it.project, it.points as u64))
            } else {
                Some((it.project, costs[it.project]))
            }
        })
    });
    MesInstance::from_utilities(cost.clone(), rank, ballots)
}

/// Statistics of an Add1 completion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Add1Stats {
    /// Number of full MES runs (not counting the runs finished from failed certifications).
    pub runs: usize,
    /// Number of forced evaluations used to certify stretches of endowments.
    pub certifications: usize,
    /// The endowment increase (currency units per voter) of the returned run: the last step
    /// whose outcome fits the budget (`over_budget_at - 1`, or the bound).
    pub steps: u64,
    /// The first step found whose outcome costs more than the budget (every step from
    /// `steps` up to this one minus one has the returned outcome); `None` if the bound
    /// (budget·(n+1) in total) was reached first.
    pub over_budget_at: Option<u64>,
}

/// `mes-add1`: the MES run at the largest tried endowment whose outcome fits the budget.
pub fn mes_add1(e: &Election, inst: &MesInstance) -> (MesRun, Add1Stats) {
    // Two steps at once on two threads only where one MES run is long enough to pay for the
    // hand-over, and if there is a second core.
    let parallel = inst.items() >= PARALLEL_MIN_ITEMS
        && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
    mes_add1_threads(e, inst, parallel)
}

/// [`mes_add1`] with or without the worker thread.
fn mes_add1_threads(e: &Election, inst: &MesInstance, parallel: bool) -> (MesRun, Add1Stats) {
    if !parallel {
        return add1_with(e, inst, None);
    }
    let helper = Helper::default();
    std::thread::scope(|s| {
        // Whatever happens on this thread (a panic included), the worker is told to stop, so
        // that the scope can end.
        let _quit = QuitOnDrop(&helper);
        s.spawn(|| helper.work(inst));
        add1_with(e, inst, Some(&helper))
    })
}

/// [`mes_add1`], with a worker thread for the second of two steps evaluated at once.
fn add1_with(e: &Election, inst: &MesInstance, helper: Option<&Helper>) -> (MesRun, Add1Stats) {
    let n = inst.n.max(1);
    let e0 = BigRational::new(BigInt::from(e.budget), BigInt::from(n));
    let unit = BigRational::from_integer(BigInt::from(e.unit()));
    let at = |t: u64| &e0 + &unit * BigInt::from(t);
    // pabutools' default bound: total budget at most budget * (n + 1).
    let t_max: u64 = e.budget / e.unit();
    let mut stats = Add1Stats::default();
    let mut t = 0u64;
    // Arrays of the last discarded evaluations, reused by the next ones.
    let mut spare = Buffers::default();
    let mut spare2 = Buffers::default();
    // Whether the last plain step left the run's sequence of choices unchanged: only then is
    // a certified stretch likely (where the run changes at every step, a certification is
    // one wasted evaluation). The first step is always tried, except with a worker thread:
    // there steps 0 and 1 are evaluated at once, and step 1 says.
    let mut stable = true;
    let mut best;
    let mut last_fit = 0;
    let mut stop = false;
    match helper {
        Some(h) if t_max >= 1 => {
            h.post(at(1), Buffers::default());
            let run0 = mes_run(inst, &e0);
            let run1 = h.collect(inst, &at(1));
            stats.runs += 2;
            if run1.total_cost(inst) > e.budget {
                stats.over_budget_at = Some(1);
                stop = true;
                best = run0;
            } else {
                stable = same_choices(&run0, &run1);
                spare2 = run0.into_buffers();
                best = run1;
                t = 1;
                last_fit = 1;
            }
        }
        _ => {
            best = mes_run(inst, &e0);
            stats.runs += 1;
        }
    }
    // Where the outcome changes at almost every step, certifying first only costs time: after
    // each certification that saves fewer runs than it cost, wait twice as many steps before
    // the next one.
    let mut backoff = 0u32;
    let mut wait = 0u64;
    loop {
        if stop {
            break;
        }
        // Largest certified t_ok >= t: gallop, then bisect.
        let mut ok = t;
        let mut step = 1u64;
        let mut bad: Option<u64> = None;
        let certify_now = wait == 0 && stable;
        wait = wait.saturating_sub(1);
        let certs_before = stats.certifications;
        // A failed certification finishes its forced evaluation into the MES run at its
        // endowment: the run at `hi` (the least failing step), which is the next plain step.
        let mut failed_run: Option<MesRun> = None;
        while ok < t_max && certify_now {
            let probe = (t + step).min(t_max);
            stats.certifications += 1;
            match certify_or_run(inst, &best, &at(probe), &mut spare) {
                None => {
                    ok = probe;
                    step = step.saturating_mul(2);
                }
                Some(run) => {
                    bad = Some(probe);
                    failed_run = Some(run);
                    break;
                }
            }
        }
        if let Some(mut hi) = bad {
            while hi - ok > 1 {
                let mid = ok + (hi - ok) / 2;
                stats.certifications += 1;
                match certify_or_run(inst, &best, &at(mid), &mut spare) {
                    None => ok = mid,
                    Some(run) => {
                        hi = mid;
                        if let Some(old) = failed_run.replace(run) {
                            spare = old.into_buffers();
                        }
                    }
                }
            }
        }
        if certify_now {
            // Worth it when the certified stretch saved more MES runs than the forced
            // evaluations it took (each costs about one run).
            let spent = (stats.certifications - certs_before) as u64;
            backoff = if ok - t > spent {
                0
            } else {
                (backoff + 1).min(12)
            };
            wait = (1u64 << backoff) - 1;
        }
        last_fit = ok;
        if ok >= t_max {
            break;
        }
        let next = ok + 1;
        // The next two steps are both needed (unless the first is over budget: one wasted
        // evaluation at the end): with a worker thread, evaluate them at once. A failed
        // certification has already given the run at `next`.
        let pair = helper.filter(|_| next < t_max && failed_run.is_none());
        if let Some(h) = pair {
            h.post(at(next + 1), std::mem::take(&mut spare2));
        }
        let run = match failed_run.take() {
            Some(run) => run,
            None => {
                stats.runs += 1;
                mes_run_with(inst, &at(next), std::mem::take(&mut spare))
            }
        };
        debug_assert_eq!(run.endowment, at(next));
        if run.total_cost(inst) > e.budget {
            // The second step is not needed: withdrawn if the worker has not started it.
            if let Some(h) = pair {
                h.withdraw();
            }
            stats.over_budget_at = Some(next);
            spare = run.into_buffers();
            break;
        }
        let run2 = pair.map(|h| h.collect(inst, &at(next + 1)));
        stats.runs += usize::from(pair.is_some());
        stable = same_choices(&best, &run);
        spare = std::mem::replace(&mut best, run).into_buffers();
        t = next;
        if let Some(run2) = run2 {
            if run2.total_cost(inst) > e.budget {
                stats.over_budget_at = Some(next + 1);
                break;
            }
            stable = same_choices(&best, &run2);
            spare2 = std::mem::replace(&mut best, run2).into_buffers();
            t = next + 1;
        }
    }
    // `best` (run at step t) is certified to be the run at every step up to `last_fit`; report
    // the run at the last step that fits, so that the payments (the certificate) do not depend
    // on how the stretch happened to be certified.
    if last_fit > t {
        best = mes_run_with(inst, &at(last_fit), spare);
        stats.runs += 1;
        t = last_fit;
    }
    stats.steps = t;
    (best, stats)
}

/// Instances with at least this many ballot items (distinct ballots) evaluate two Add1 steps
/// at once on two threads.
const PARALLEL_MIN_ITEMS: usize = 20_000;

/// The hand-over between the Add1 loop and its worker thread (one thread for the whole
/// completion: a spawn per pair of steps cost more than a short run). The loop posts a job,
/// evaluates its own step, then collects the job's run: if the worker has not started the job
/// by then (no free core), the loop evaluates it itself, so a worker that does not get a core
/// delays nothing.
#[derive(Default)]
struct Helper {
    slot: std::sync::Mutex<Slot>,
    /// The worker waits here for a job (or the end).
    posted: std::sync::Condvar,
    /// The loop waits here for the worker's run.
    done: std::sync::Condvar,
}

#[derive(Default)]
enum Slot {
    #[default]
    Idle,
    /// A run to evaluate: endowment and arrays.
    Posted(BigRational, Buffers),
    /// Taken by the worker.
    Running,
    /// The worker's run (`None` if the evaluation panicked: the loop evaluates it again).
    Done(Option<MesRun>),
    /// No more jobs.
    Quit,
}

impl Helper {
    fn lock(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands a job to the worker (the slot is idle).
    fn post(&self, endowment: BigRational, bufs: Buffers) {
        *self.lock() = Slot::Posted(endowment, bufs);
        self.posted.notify_one();
    }

    /// Drops the posted job if the worker has not started it (a started one finishes; its
    /// run is not collected, and the worker stops when told to quit).
    fn withdraw(&self) {
        let mut slot = self.lock();
        if matches!(*slot, Slot::Posted(..)) {
            *slot = Slot::Idle;
        }
    }

    /// The run of the posted job (at `endowment`), evaluated here if the worker has not
    /// started it.
    fn collect(&self, inst: &MesInstance, endowment: &BigRational) -> MesRun {
        let mut slot = self.lock();
        loop {
            match std::mem::take(&mut *slot) {
                Slot::Posted(e, bufs) => {
                    drop(slot);
                    return mes_run_with(inst, &e, bufs);
                }
                Slot::Done(run) => {
                    drop(slot);
                    return run.unwrap_or_else(|| mes_run(inst, endowment));
                }
                other => {
                    *slot = other;
                    slot = self.done.wait(slot).unwrap_or_else(|e| e.into_inner());
                }
            }
        }
    }

    /// The worker thread: evaluates posted jobs until told to quit.
    fn work(&self, inst: &MesInstance) {
        let mut slot = self.lock();
        loop {
            match std::mem::take(&mut *slot) {
                Slot::Posted(e, bufs) => {
                    *slot = Slot::Running;
                    drop(slot);
                    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        mes_run_with(inst, &e, bufs)
                    }))
                    .ok();
                    slot = self.lock();
                    if matches!(*slot, Slot::Quit) {
                        // The loop ended meanwhile (a panic on its side): nobody collects.
                        return;
                    }
                    *slot = Slot::Done(run);
                    self.done.notify_one();
                }
                Slot::Quit => {
                    *slot = Slot::Quit;
                    return;
                }
                other => {
                    *slot = other;
                    slot = self.posted.wait(slot).unwrap_or_else(|e| e.into_inner());
                }
            }
        }
    }
}

/// Tells the worker of a [`Helper`] to stop when dropped.
struct QuitOnDrop<'a>(&'a Helper);

impl Drop for QuitOnDrop<'_> {
    fn drop(&mut self) {
        *self.0.lock() = Slot::Quit;
        self.0.posted.notify_one();
    }
}

/// Whether two runs chose the same projects in the same order.
fn same_choices(a: &MesRun, b: &MesRun) -> bool {
    a.chosen.len() == b.chosen.len() && a.chosen.iter().zip(&b.chosen).all(|(x, y)| x.0 == y.0)
}

/// `BigRational` helper: `1`.
#[cfg(test)]
pub(crate) fn one() -> BigRational {
    <BigRational as num_traits::One>::one()
}

/// The outcome of a rule.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The rule.
    pub rule: Rule,
    /// Selected projects (indices) in the order chosen.
    pub selected: Vec<usize>,
    /// Their total cost.
    pub total_cost: Money,
    /// For MES rules: the final MES run (with payments).
    pub mes: Option<MesRun>,
    /// For MES rules: the merged ballots.
    pub instance: Option<MesInstance>,
    /// For `mes-add1-greedy`: how many of `selected` came from MES (the rest from greedy).
    pub mes_selected: usize,
    /// For the Add1 rules: statistics.
    pub add1: Option<Add1Stats>,
}

/// Runs a rule.
pub fn tally(e: &Election, rule: Rule, tb: &TieBreak) -> Outcome {
    let cost = |sel: &[usize]| sel.iter().map(|&p| e.projects[p].cost).sum::<Money>();
    match rule {
        Rule::Greedy => {
            let selected = greedy(e, tb);
            Outcome {
                rule,
                total_cost: cost(&selected),
                mes_selected: 0,
                selected,
                mes: None,
                instance: None,
                add1: None,
            }
        }
        Rule::Mes | Rule::MesAdd1 | Rule::MesAdd1Greedy => {
            let inst = mes_instance(e, tb);
            let (run, stats) = if rule == Rule::Mes {
                let n = inst.n.max(1);
                let e0 = BigRational::new(BigInt::from(e.budget), BigInt::from(n));
                (mes_run(&inst, &e0), None)
            } else {
                let (r, s) = mes_add1(e, &inst);
                (r, Some(s))
            };
            let mut selected: Vec<usize> = run.chosen.iter().map(|c| c.0).collect();
            let mes_selected = selected.len();
            if rule == Rule::MesAdd1Greedy {
                selected = greedy_fill(e, tb, &selected, e.budget);
            }
            Outcome {
                rule,
                total_cost: cost(&selected),
                selected,
                mes_selected,
                mes: Some(run),
                instance: Some(inst),
                add1: stats,
            }
        }
    }
}

/// True if the election's ballots are approval-like (cost utilities in MES).
pub fn cost_utilities(e: &Election) -> bool {
    !matches!(e.vote_type, VoteType::Cumulative | VoteType::Scoring)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Ballot, Project};

    fn approval(budget: Money, costs: &[Money], ballots: &[&[usize]]) -> Election {
        let mut e = Election::new(budget, VoteType::Approval);
        for (i, &c) in costs.iter().enumerate() {
            e.add_project(Project::new(format!("p{i}"), c, ""));
        }
        for (i, b) in ballots.iter().enumerate() {
            e.ballots.push(Ballot::approval(i.to_string(), b));
        }
        e
    }

    fn ids(e: &Election, sel: &[usize]) -> Vec<String> {
        sel.iter().map(|&p| e.projects[p].id.clone()).collect()
    }

    #[test]
    fn greedy_skips_what_does_not_fit() {
        // votes: p0=3, p1=2, p2=1; p1 does not fit after p0.
        let e = approval(10, &[6, 5, 4], &[&[0, 1], &[0, 1], &[0, 2]]);
        let sel = greedy(&e, &TieBreak::default());
        assert_eq!(ids(&e, &sel), vec!["p0", "p2"]);
    }

    #[test]
    fn tie_breaks() {
        // Equal votes: lowest cost first by default, id with "id".
        let e = approval(5, &[5, 4], &[&[0, 1]]);
        assert_eq!(ids(&e, &greedy(&e, &TieBreak::default())), vec!["p1"]);
        assert_eq!(ids(&e, &greedy(&e, &"id".parse().unwrap())), vec!["p0"]);
        assert!("foo".parse::<TieBreak>().is_err());
        assert_eq!("mes-add1".parse::<Rule>(), Ok(Rule::MesAdd1));
        assert!("borda".parse::<Rule>().is_err());
    }

    #[test]
    fn mes_is_proportional() {
        // 3 voters like a,b (cost 1 each), 1 voter likes c (cost 1); budget 4 -> each voter 1.
        // MES: a (3 voters pay 1/3), b (pay 1/3), c: voter 3 pays 1.
        let e = approval(
            3,
            &[1, 1, 1, 1],
            &[&[0, 1, 3], &[0, 1, 3], &[0, 1, 3], &[2]],
        );
        let inst = mes_instance(&e, &TieBreak::default());
        let run = mes_run(&inst, &BigRational::new(3.into(), 4.into()));
        let sel: Vec<usize> = run.chosen.iter().map(|c| c.0).collect();
        // Each of the three majority voters has 3/4: they fund two of {0,1,3} (cost 1 each:
        // 1/3 each -> 3/4-2/3 = 1/12 left); the minority voter alone cannot fund p2.
        assert_eq!(sel, vec![0, 1]);
        let g = (0..inst.groups())
            .position(|g| inst.group_members(g) == [0, 1, 2])
            .unwrap();
        let paid: BigRational = run.group_payments(&inst, g).into_iter().map(|x| x.1).sum();
        assert_eq!(paid, BigRational::new(2.into(), 3.into()));
    }

    #[test]
    fn add1_returns_last_fitting_outcome() {
        // Budget 4, 4 voters (endowment 1). Voters 0-2 approve p0 (cost 3) and p1 (cost 2);
        // voter 3 approves p2 (cost 2).
        let e = approval(4, &[3, 2, 2], &[&[0, 1], &[0, 1], &[0, 1], &[2]]);
        let inst = mes_instance(&e, &TieBreak::default());
        let plain = mes_run(&inst, &BigRational::from_integer(1.into()));
        // Endowment 1: p0 (1 each) and p1 (2/3 each) both cost 1/3 per unit of utility; the
        // tie goes to the cheaper p1. Then voters 0-2 have 1/3 left: p0 is out of reach, and
        // voter 3 alone cannot pay p2.
        assert_eq!(
            plain.chosen.iter().map(|c| c.0).collect::<Vec<_>>(),
            vec![1]
        );
        let (run, stats) = mes_add1(&e, &inst);
        // Endowment 2: p1, then p0 (voters 0-2 have 4/3 each), then p2 by voter 3: total 7 > 4.
        // So Add1 keeps the outcome at endowment 1.
        let two = mes_run(&inst, &BigRational::from_integer(2.into()));
        assert_eq!(
            two.chosen.iter().map(|c| c.0).collect::<Vec<_>>(),
            vec![1, 0, 2]
        );
        assert_eq!(run.chosen.iter().map(|c| c.0).collect::<Vec<_>>(), vec![1]);
        assert_eq!(stats.steps, 0);
        assert_eq!(naive_add1(&e, &inst), vec![1]);
    }

    /// One MES run per currency unit (the definition), for tests.
    pub(crate) fn naive_add1(e: &Election, inst: &MesInstance) -> Vec<usize> {
        let n = inst.n.max(1);
        let e0 = BigRational::new(BigInt::from(e.budget), BigInt::from(n));
        let mut last = mes_run(inst, &e0);
        for t in 1..=e.budget / e.unit() {
            let r = mes_run(inst, &(&e0 + BigRational::from_integer(BigInt::from(t))));
            if r.total_cost(inst) > e.budget {
                break;
            }
            last = r;
        }
        last.chosen.iter().map(|c| c.0).collect()
    }

    /// Six projects of different costs, eight overlapping ballots.
    fn varied_example() -> Election {
        approval(
            30,
            &[9, 7, 5, 6, 4, 10],
            &[
                &[0, 1],
                &[0, 2],
                &[0, 1, 5],
                &[3],
                &[3, 4],
                &[4, 2],
                &[5],
                &[1, 2, 3],
            ],
        )
    }

    #[test]
    fn add1_matches_naive_on_a_varied_example() {
        let e = varied_example();
        let inst = mes_instance(&e, &TieBreak::default());
        let (run, _) = mes_add1(&e, &inst);
        let got: Vec<usize> = run.chosen.iter().map(|c| c.0).collect();
        assert_eq!(got, naive_add1(&e, &inst));
        assert!(run.total_cost(&inst) <= e.budget);
    }

    #[test]
    fn worker_stops_when_the_loop_ends_during_a_job() {
        // The loop ends (a panic, say) while the worker runs a job: the scope must still end
        // (the worker sees the quit request when it finishes the job instead of waiting to be
        // collected).
        let mut next = crate::xorshift(0x2545_f491_4f6c_dd1d);
        let costs: Vec<Money> = (0..40).map(|i| 50 + 7 * i).collect();
        let ballots: Vec<Vec<usize>> = (0..20_000)
            .map(|_| {
                let x = next();
                (0..40).filter(|p| x >> p & 1 == 1).collect()
            })
            .collect();
        let refs: Vec<&[usize]> = ballots.iter().map(|b| b.as_slice()).collect();
        let e = approval(3000, &costs, &refs);
        let inst = mes_instance(&e, &TieBreak::default());
        // In a thread of its own, so that a hang fails the test instead of stalling it.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let helper = Helper::default();
            std::thread::scope(|s| {
                let quit = QuitOnDrop(&helper);
                s.spawn(|| helper.work(&inst));
                // A run of 40 rounds over 20,000 groups: milliseconds.
                helper.post(BigRational::from_integer(1.into()), Buffers::default());
                while matches!(*helper.lock(), Slot::Posted(..)) {
                    std::thread::yield_now();
                }
                drop(quit);
            });
            let _ = tx.send(());
        });
        assert!(
            rx.recv_timeout(std::time::Duration::from_secs(60)).is_ok(),
            "the worker did not stop"
        );
    }

    #[test]
    fn worker_thread_gives_the_same_run() {
        // The schedule with a worker thread (steps 0 and 1 at once, pairs of steps) returns
        // the same run as the serial one, on examples with and without stable stretches.
        let k = 10_000_000u64;
        let elections = [
            varied_example(),
            approval(
                100 * k,
                &[30 * k, 25 * k, 20 * k, 45 * k, 10 * k],
                &[&[0, 1], &[0, 2], &[3], &[3, 4], &[1, 2, 4], &[0], &[3]],
            ),
            approval(4, &[3, 2, 2], &[&[0, 1], &[0, 1], &[0, 1], &[2]]),
            approval(
                200,
                &[50, 41, 33, 27, 19, 12, 8, 5],
                &[
                    &[0, 1, 2],
                    &[0, 3],
                    &[1, 4, 5],
                    &[2, 6, 7],
                    &[0, 7],
                    &[3, 5],
                    &[4, 6],
                    &[1, 2, 3, 4],
                    &[7],
                ],
            ),
        ];
        for e in &elections {
            let inst = mes_instance(e, &TieBreak::default());
            let (serial, s1) = mes_add1_threads(e, &inst, false);
            let (par, s2) = mes_add1_threads(e, &inst, true);
            assert_eq!(serial.chosen, par.chosen);
            assert_eq!(serial.endowment, par.endowment);
            assert_eq!((s1.steps, s1.over_budget_at), (s2.steps, s2.over_budget_at));
            for g in 0..inst.groups() {
                assert_eq!(
                    serial.group_payments(&inst, g),
                    par.group_payments(&inst, g)
                );
            }
        }
    }

    #[test]
    fn billion_budget_needs_few_runs() {
        // Budget 10^9 with costs of the same order: Add1 may step ~10^8 currency units per
        // voter; the certified jumps need only a small number of evaluations.
        let k = 10_000_000u64;
        let e = approval(
            100 * k,
            &[30 * k, 25 * k, 20 * k, 45 * k, 10 * k],
            &[&[0, 1], &[0, 2], &[3], &[3, 4], &[1, 2, 4], &[0], &[3]],
        );
        let inst = mes_instance(&e, &TieBreak::default());
        let (run, stats) = mes_add1(&e, &inst);
        assert!(run.total_cost(&inst) <= e.budget);
        assert!(stats.steps > 1_000_000, "{stats:?}");
        assert!(stats.runs + stats.certifications < 2_000, "{stats:?}");
        // The same outcome as the unscaled election's one-run-per-unit Add1 is not implied
        // (steps are finer), but the result is an MES outcome at the final endowment:
        let again = mes_run(&inst, &run.endowment);
        assert_eq!(
            again.chosen.iter().map(|c| c.0).collect::<Vec<_>>(),
            run.chosen.iter().map(|c| c.0).collect::<Vec<_>>()
        );
        // and the step where Add1 stopped really is over budget, the one before it not.
        let stop = stats.over_budget_at.expect("stops before the bound");
        assert_eq!(
            stats.steps,
            stop - 1,
            "the run at the last fitting step is reported"
        );
        let e0 = BigRational::new(BigInt::from(e.budget), BigInt::from(inst.n));
        let at = |t: u64| &e0 + BigRational::from_integer(BigInt::from(t));
        assert!(mes_run(&inst, &at(stop)).total_cost(&inst) > e.budget);
        let before = mes_run(&inst, &at(stop - 1));
        assert_eq!(
            before.chosen.iter().map(|c| c.0).collect::<Vec<_>>(),
            run.chosen.iter().map(|c| c.0).collect::<Vec<_>>()
        );
    }

    #[test]
    fn cumulative_uses_points() {
        let mut e = Election::new(10, VoteType::Cumulative);
        let a = e.add_project(Project::new("a", 5, ""));
        let b = e.add_project(Project::new("b", 5, ""));
        e.ballots.push(Ballot::with_points("1", &[(a, 1), (b, 4)]));
        e.ballots.push(Ballot::with_points("2", &[(a, 4), (b, 1)]));
        let o = tally(&e, Rule::Greedy, &TieBreak::default());
        assert_eq!(o.selected.len(), 2);
        let o = tally(&e, Rule::Mes, &TieBreak::default());
        // Each voter has 5; rho for a: min over rho with min(5,rho*1)+min(5,rho*4) = 5 -> rho=1.
        assert_eq!(o.mes.as_ref().unwrap().chosen[0].1, one());
        assert_eq!(o.total_cost, 10);
    }
}
