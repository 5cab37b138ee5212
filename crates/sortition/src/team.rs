//! A second thread for the dense loops of the simplex.
//!
//! [`Team::run`] splits a loop into chunks that the calling thread and one
//! helper thread claim in turn; it returns when every chunk is done. The
//! chunks must be independent (each writes its own data), so the result is
//! the same, bit for bit, whichever thread ran which chunk and however many
//! the helper got: a loaded machine only changes the speed. The helper spins
//! for a short while after each job (the simplex posts one every few
//! microseconds) and then sleeps until the next one. When the two threads do
//! not seem to have a CPU each (see [`SLOW`]), the calling thread works
//! alone for a while. `SORTITION_THREADS=1` turns the helper off.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long the helper spins for the next job before it sleeps.
const SPIN: Duration = Duration::from_micros(200);
/// Signs that the two threads do not each have a CPU (a loaded machine):
/// waiting this long for the helper's last chunk, or, on Linux, the calling
/// thread running less than `MIN_SHARE` of the time over a window of
/// `WINDOW`. The calling thread then works alone for a while: 20 ms at
/// first, twice as long after each further sign within a second, at most
/// one second.
const SLOW: Duration = Duration::from_micros(200);
const WINDOW: Duration = Duration::from_millis(20);
const MIN_SHARE: f64 = 0.85;
const PAUSE_MIN: Duration = Duration::from_millis(20);
const PAUSE_MAX: Duration = Duration::from_secs(1);

/// A job: the chunk function, its lifetime erased (see [`Team::run`]).
#[derive(Clone, Copy)]
struct Job(*const (dyn Fn(usize) + Sync));

// SAFETY: the function is `Sync`, and `Team::run` keeps it alive until every
// chunk claimed by either thread has finished.
unsafe impl Send for Job {}

struct State {
    generation: u64,
    job: Option<Job>,
    chunks: usize,
    next: usize,
    sleeping: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    /// The generation of the last job posted (read while spinning).
    posted: AtomicU64,
    /// Chunks the helper has claimed and not finished.
    inflight: AtomicUsize,
    /// A chunk panicked on the helper.
    panicked: AtomicBool,
    /// The last job waited long for the helper (see [`SLOW`]).
    slow: AtomicBool,
    quit: AtomicBool,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Claims the next chunk of the current job of `generation`, if any.
    fn claim(&self, generation: u64, helper: bool) -> Option<(Job, usize)> {
        let mut st = self.lock();
        if st.generation != generation || st.next >= st.chunks {
            return None;
        }
        let job = st.job?;
        st.next += 1;
        if helper {
            self.inflight.fetch_add(1, Ordering::AcqRel);
        }
        Some((job, st.next - 1))
    }
}

/// Withdraws the job and waits for the helper's chunks, also when a chunk
/// of the calling thread panics.
struct Withdraw<'a>(&'a Shared);

impl Drop for Withdraw<'_> {
    fn drop(&mut self) {
        let sh = self.0;
        sh.lock().job = None;
        // The helper is finishing a chunk; should it share this CPU (a
        // loaded machine), let it run.
        let mut spins = 0u32;
        let mut since = None;
        while sh.inflight.load(Ordering::Acquire) > 0 {
            std::hint::spin_loop();
            spins += 1;
            if spins.is_multiple_of(256) {
                let t = *since.get_or_insert_with(Instant::now);
                if t.elapsed() > SLOW {
                    sh.slow.store(true, Ordering::Relaxed);
                }
            }
            if spins.is_multiple_of(1024) {
                std::thread::yield_now();
            }
        }
    }
}

pub(crate) struct Team {
    shared: Arc<Shared>,
    helper: Option<JoinHandle<()>>,
    /// Working alone until then (see [`SLOW`]), and the last pause.
    paused_until: Cell<Option<Instant>>,
    pause: Cell<Duration>,
    last_pause_end: Cell<Option<Instant>>,
    /// Start of the current window: wall clock and this thread's CPU time.
    window: Cell<Option<(Instant, f64)>>,
    /// Whether the system tells this thread's CPU time (see
    /// [`thread_cpu_ms`]); false after the first failure.
    cpu_clock: Cell<bool>,
}

impl Team {
    /// A team with a helper thread, or `None` on a single CPU or when the
    /// environment variable `SORTITION_THREADS` is `1`.
    pub fn new() -> Option<Team> {
        #[cfg(test)]
        match tests::FORCE.load(Ordering::Relaxed) {
            tests::ALONE => return None,
            tests::HELPER => return Team::spawn(),
            _ => {}
        }
        if std::env::var("SORTITION_THREADS").is_ok_and(|v| v.trim() == "1")
            || std::thread::available_parallelism().map_or(1, |n| n.get()) < 2
        {
            return None;
        }
        Team::spawn()
    }

    /// A team with a helper thread, whatever the machine (`None` only if the
    /// thread cannot be started).
    fn spawn() -> Option<Team> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                generation: 0,
                job: None,
                chunks: 0,
                next: 0,
                sleeping: false,
            }),
            wake: Condvar::new(),
            posted: AtomicU64::new(0),
            inflight: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
            slow: AtomicBool::new(false),
            quit: AtomicBool::new(false),
        });
        let s = Arc::clone(&shared);
        let helper = std::thread::Builder::new()
            .name("sortition-simplex".into())
            .spawn(move || helper(&s))
            .ok()?;
        Some(Team {
            shared,
            helper: Some(helper),
            paused_until: Cell::new(None),
            pause: Cell::new(Duration::ZERO),
            last_pause_end: Cell::new(None),
            window: Cell::new(None),
            cpu_clock: Cell::new(true),
        })
    }

    /// Runs `f(0), …, f(chunks − 1)`, shared between this thread and the
    /// helper. The calls must not depend on each other's effects.
    pub fn run(&self, chunks: usize, f: &(dyn Fn(usize) + Sync)) {
        let now = Instant::now();
        if let Some(t) = self.paused_until.get() {
            if now < t {
                (0..chunks).for_each(f);
                return;
            }
            self.paused_until.set(None);
            self.window.set(None);
        }
        match self.window.get() {
            None if self.cpu_clock.get() => {
                let c = thread_cpu_ms();
                self.cpu_clock.set(c.is_some());
                self.window.set(c.map(|c| (now, c)));
            }
            None => {}
            Some((t0, c0)) if now - t0 > WINDOW => {
                let c = thread_cpu_ms();
                self.cpu_clock.set(c.is_some());
                let wall = (now - t0).as_secs_f64() * 1e3;
                if c.is_some_and(|c| c - c0 < MIN_SHARE * wall) {
                    self.pause(now);
                    (0..chunks).for_each(f);
                    return;
                }
                self.window.set(c.map(|c| (now, c)));
            }
            Some(_) => {}
        }
        let sh = &*self.shared;
        // SAFETY: only the lifetime is erased; `Withdraw` withdraws the job
        // and waits for the helper's chunks before this function returns or
        // unwinds, so `f` outlives every call.
        let job = Job(unsafe {
            std::mem::transmute::<*const (dyn Fn(usize) + Sync + '_), *const (dyn Fn(usize) + Sync)>(
                f,
            )
        });
        let (generation, wake) = {
            let mut st = sh.lock();
            st.generation += 1;
            st.job = Some(job);
            st.chunks = chunks;
            st.next = 0;
            sh.posted.store(st.generation, Ordering::Release);
            (st.generation, st.sleeping)
        };
        if wake {
            sh.wake.notify_one();
        }
        {
            let _withdraw = Withdraw(sh);
            while let Some((_, i)) = sh.claim(generation, false) {
                f(i);
            }
        }
        assert!(
            !sh.panicked.load(Ordering::Acquire),
            "the simplex helper thread panicked"
        );
        if sh.slow.swap(false, Ordering::Relaxed) {
            self.pause(Instant::now());
        }
    }

    /// Works alone for a while (see [`SLOW`]).
    fn pause(&self, now: Instant) {
        // Doubled when the previous pause ended less than a second ago.
        let recent = self
            .last_pause_end
            .get()
            .is_some_and(|e| now < e + PAUSE_MAX);
        let pause = if recent {
            (self.pause.get() * 2).min(PAUSE_MAX)
        } else {
            PAUSE_MIN
        };
        self.pause.set(pause);
        self.paused_until.set(Some(now + pause));
        self.last_pause_end.set(Some(now + pause));
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        self.shared.quit.store(true, Ordering::Release);
        {
            let _st = self.shared.lock();
            self.shared.wake.notify_one();
        }
        if let Some(h) = self.helper.take() {
            let _ = h.join();
        }
    }
}

/// Runs `f(0), …, f(chunks − 1)`: shared with the helper thread of `team`,
/// or on this thread alone without one (the same calls either way).
pub(crate) fn run_chunks(team: Option<&Team>, chunks: usize, f: &(dyn Fn(usize) + Sync)) {
    match team {
        Some(team) => team.run(chunks, f),
        None => (0..chunks).for_each(f),
    }
}

/// The CPU time of the calling thread in milliseconds, where the system
/// tells (Linux: `se.sum_exec_runtime` of `/proc/thread-self/sched`).
fn thread_cpu_ms() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/sched").ok()?;
    let line = text
        .lines()
        .find(|l| l.starts_with("se.sum_exec_runtime"))?;
    line.split(':').nth(1)?.trim().parse().ok()
}

fn helper(sh: &Shared) {
    let mut seen = 0;
    loop {
        let mut since = Instant::now();
        let mut spins = 0u32;
        while sh.posted.load(Ordering::Acquire) == seen {
            if sh.quit.load(Ordering::Acquire) {
                return;
            }
            std::hint::spin_loop();
            spins += 1;
            if spins.is_multiple_of(1024) {
                std::thread::yield_now();
            }
            if spins.is_multiple_of(256) && since.elapsed() > SPIN {
                let mut st = sh.lock();
                while sh.posted.load(Ordering::Acquire) == seen && !sh.quit.load(Ordering::Acquire)
                {
                    st.sleeping = true;
                    st = sh.wake.wait(st).unwrap_or_else(|e| e.into_inner());
                }
                st.sleeping = false;
                since = Instant::now();
            }
        }
        seen = sh.posted.load(Ordering::Acquire);
        while let Some((job, i)) = sh.claim(seen, true) {
            // SAFETY: see `Job`; the chunk was claimed while the job was
            // posted, and `run` waits for it (`inflight`).
            let r =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe { (*job.0)(i) }));
            if r.is_err() {
                sh.panicked.store(true, Ordering::Release);
            }
            sh.inflight.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::generate::DutchPool;
    use crate::{SelectOptions, select};
    use std::sync::atomic::AtomicU8;

    /// Tests only: whether [`Team::new`] follows the machine (0), gives no
    /// helper ([`ALONE`]) or always one ([`HELPER`]). Other tests running
    /// meanwhile may get either; their results are the same.
    pub(super) static FORCE: AtomicU8 = AtomicU8::new(0);
    pub(super) const ALONE: u8 = 1;
    pub(super) const HELPER: u8 = 2;

    #[test]
    fn runs_every_chunk_once() {
        let team = Team::spawn().expect("helper thread");
        for round in 0..2000 {
            let n = 1 + round % 13;
            let hits: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
            team.run(n, &|i| {
                hits[i].fetch_add(1, Ordering::Relaxed);
            });
            assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
        }
    }

    /// The helper thread changes the speed, never the result: a LEXIMIN
    /// selection on a pool with more rows than `PAR_MIN_ROWS` gives the same
    /// probabilities, bit for bit, and the same panels with and without it.
    #[test]
    fn same_selection_with_and_without_helper() {
        let inst = DutchPool {
            n: 200,
            k: 20,
            areas: 4,
            categories: 5,
            seed: 1,
        }
        .generate();
        let run = |mode| {
            FORCE.store(mode, Ordering::Relaxed);
            let s = select(&inst, &SelectOptions::default(), &mut |_| {}, None).expect("selection");
            FORCE.store(0, Ordering::Relaxed);
            s
        };
        let alone = run(ALONE);
        let helped = run(HELPER);
        let bits = |s: &crate::Selection| -> Vec<u64> {
            s.probabilities.iter().map(|p| p.to_bits()).collect()
        };
        assert_eq!(bits(&alone), bits(&helped));
        assert_eq!(alone.distribution.len(), helped.distribution.len());
        for ((pa, wa), (pb, wb)) in alone.distribution.iter().zip(&helped.distribution) {
            assert_eq!(pa, pb);
            assert_eq!(wa.to_bits(), wb.to_bits());
        }
        assert_eq!(alone.panel, helped.panel);
    }
}
