//! Benchmark on generated Dutch-like pools (see `sortition::generate`).
//!
//! `cargo run -p sortition --release --example bench -- N K [AREAS] [CATEGORIES] [SEED] [OUT_DIR]`
//!
//! Prints one line `n k categories types leximin_s lottery_s min_probability panels`
//! (wall-clock seconds), a `fingerprint` of the distribution and the drawn panel (equal
//! fingerprints: identical selection) and `cpu_s`, the process's CPU time (user + system, from
//! `/proc/self/stat`; `-` where that is missing), which a shared machine
//! disturbs less than the wall clock, and, with OUT_DIR, writes `categories.csv` and `respondents.csv` there so that
//! another implementation can run on the same instance. With `N` = `file` the next
//! arguments are `CATEGORIES.csv PEOPLE.csv K` instead.

use sortition::generate::DutchPool;
use sortition::{
    Algorithm, HouseholdColumn, Instance, Phase, SelectOptions, load_instance, select,
};
use std::hash::{Hash, Hasher};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let inst: Instance = if args.first().map(String::as_str) == Some("file") {
        let k: usize = args[3].parse().expect("K");
        load_instance(
            args[1].as_ref(),
            args[2].as_ref(),
            k,
            &HouseholdColumn::Auto,
        )
        .expect("instance")
    } else {
        let num = |i: usize, d: u64| args.get(i).map_or(d, |s| s.parse().expect("number"));
        let pool = DutchPool {
            n: num(0, 500) as usize,
            k: num(1, 50) as usize,
            areas: num(2, 6) as usize,
            categories: num(3, 6) as usize,
            seed: num(4, 1),
        };
        let inst = pool.generate();
        if let Some(dir) = args.get(5) {
            std::fs::create_dir_all(dir).expect("out dir");
            let f = |n: &str| std::fs::File::create(format!("{dir}/{n}")).expect("create");
            sortition::write_categories(&inst, f("categories.csv")).expect("write");
            sortition::write_people(&inst, f("respondents.csv")).expect("write");
        }
        inst
    };
    let algorithm = std::env::var("ALGORITHM")
        .ok()
        .map(|a| a.parse::<Algorithm>().expect("algorithm"))
        .unwrap_or(Algorithm::Leximin);
    let opts = SelectOptions {
        algorithm,
        seed: 1,
        ..SelectOptions::default()
    };
    let start = Instant::now();
    let mut lottery_start = None;
    let verbose = std::env::var_os("VERBOSE").is_some();
    let mut progress = |p: &sortition::Progress| {
        if verbose {
            eprintln!("[{:>7.2}s] {p}", start.elapsed().as_secs_f64());
        }
        if p.phase == Phase::Lottery {
            lottery_start = Some(start.elapsed());
        }
    };
    let sel = select(&inst, &opts, &mut progress, None).expect("selection");
    let total = start.elapsed();
    let fair = lottery_start.unwrap_or(total);
    for p in &sel.lottery.panels {
        assert_eq!(inst.check_panel(p), Ok(()));
    }
    let mut types: Vec<&Vec<usize>> = inst.people.iter().map(|p| &p.features).collect();
    types.sort();
    types.dedup();
    // Fingerprint of the distribution (panels and weight bits) and of the
    // drawn panel: equal fingerprints mean an identical selection.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for (panel, w) in &sel.distribution {
        panel.hash(&mut h);
        w.to_bits().hash(&mut h);
    }
    sel.panel.hash(&mut h);
    let fingerprint = h.finish();
    // PROBS=FILE: the sorted probability vector, one per line (to compare runs
    // whose panels differ but whose LEXIMIN probabilities must not).
    // PERSON_PROBS=FILE: every person's probability, in the pool's order
    // (LEXIMIN probabilities are unique, so runs can be compared person by
    // person).
    let mut sorted = sel.probabilities.clone();
    sorted.sort_by(f64::total_cmp);
    for (var, probs) in [("PROBS", &sorted), ("PERSON_PROBS", &sel.probabilities)] {
        if let Some(path) = std::env::var_os(var) {
            let text: String = probs.iter().map(|x| format!("{x:.12}\n")).collect();
            std::fs::write(path, text).unwrap_or_else(|e| panic!("write {var}: {e}"));
        }
    }
    let cpu = cpu_seconds().map_or("-".to_string(), |c| format!("{c:.2}"));
    println!(
        "n={} k={} categories={} types={} {}_s={:.3} lottery_s={:.3} min_probability={:.6} support={} lottery_max_deviation={:.6} fingerprint={fingerprint:016x} cpu_s={cpu}",
        inst.people.len(),
        inst.panel_size,
        inst.categories.len(),
        types.len(),
        algorithm,
        fair.as_secs_f64(),
        (total - fair).as_secs_f64(),
        sel.min_probability(),
        sel.distribution.len(),
        sel.lottery.max_deviation
    );
}

/// User + system CPU time of this process (Linux: `/proc/self/stat`, fields 14
/// and 15, in clock ticks of 1/100 s).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}
