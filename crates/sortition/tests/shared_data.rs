//! Opt-in checks on the public instances in ../shared/data/sortition (env var
//! MEEDOEN_SHARED_DATA, default `../shared/data` from the repository root). They
//! fail loudly when the data is absent. Run with
//! `cargo test -p sortition --release --test shared_data -- --ignored`.

use sortition::{Algorithm, HouseholdColumn, SelectOptions, load_instance, select};
use std::path::PathBuf;
use std::time::Instant;

fn data_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::env::var("MEEDOEN_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("../shared/data"));
    let dir = dir.join("sortition");
    assert!(
        dir.is_dir(),
        "shared data not found at {} (set MEEDOEN_SHARED_DATA)",
        dir.display()
    );
    dir
}

fn run(folder: &str, cats: &str, people: &str, k: usize, alg: Algorithm) -> sortition::Selection {
    let d = data_dir().join(folder);
    let inst = load_instance(&d.join(cats), &d.join(people), k, &HouseholdColumn::Auto).unwrap();
    let t = Instant::now();
    let opts = SelectOptions {
        algorithm: alg,
        seed: 1,
        ..Default::default()
    };
    let sel = select(&inst, &opts, &mut |p| eprintln!("{p}"), None).unwrap();
    eprintln!(
        "{folder} {alg}: {:.2?}, min {:.6}",
        t.elapsed(),
        sel.min_probability()
    );
    for p in &sel.lottery.panels {
        assert_eq!(inst.check_panel(p), Ok(()));
    }
    let sum: f64 = sel.probabilities.iter().sum();
    assert!((sum - k as f64).abs() < 1e-6, "sum {sum}");
    sel
}

#[test]
#[ignore]
fn example_small_20_everyone_ten_percent() {
    let sel = run(
        "example_small_20",
        "categories.csv",
        "respondents.csv",
        20,
        Algorithm::Leximin,
    );
    for p in &sel.probabilities {
        assert!((p - 0.1).abs() <= 5e-4, "{p}");
    }
}

#[test]
#[ignore]
fn example_large_200_everyone_ten_percent() {
    let sel = run(
        "example_large_200",
        "categories.csv",
        "respondents.csv",
        200,
        Algorithm::Leximin,
    );
    for p in &sel.probabilities {
        assert!((p - 0.1).abs() <= 5e-4, "{p}");
    }
}

#[test]
#[ignore]
fn sf_fixture_minimum() {
    for alg in [Algorithm::Leximin, Algorithm::Maximin] {
        let sel = run("sf-fixture-150", "features.csv", "candidates.csv", 22, alg);
        let min = sel.min_probability();
        assert!((min - 0.0909).abs() < 1e-4, "{alg}: {min}");
    }
}
