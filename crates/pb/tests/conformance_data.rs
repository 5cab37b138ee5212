//! Opt-in tests on the real pabulib data in `$MEEDOEN_SHARED_DATA/pabulib` (default
//! `../shared/data` relative to the repository root). Run with
//! `cargo test -p pb --release -- --ignored`. They fail loudly when the data is absent.

use pb::{Severity, check, parse, read_file, write};
use std::path::PathBuf;

fn data_dir() -> PathBuf {
    let dir = match std::env::var("MEEDOEN_SHARED_DATA") {
        Ok(d) => PathBuf::from(d),
        Err(_) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    let p = dir.join("pabulib");
    assert!(
        p.is_dir(),
        "shared data not found at {} (set MEEDOEN_SHARED_DATA)",
        p.display()
    );
    p
}

fn pb_files(sub: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(data_dir().join(sub))
        .unwrap_or_else(|e| panic!("cannot list {sub}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pb"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no .pb files in {sub}");
    v
}

#[test]
#[ignore]
fn format_examples() {
    let valid = read_file(&data_dir().join("format/checker_example_valid.pb")).unwrap();
    let issues = check(&valid);
    assert!(
        issues.iter().all(|i| i.severity != Severity::Error),
        "{issues:?}"
    );
    assert_eq!(valid.election.ballots.len(), 76);
    let empty = read_file(&data_dir().join("format/checker_test_empty_lines.pb")).unwrap();
    assert_eq!(empty.election.projects.len(), 2);
    assert_eq!(empty.election.ballots.len(), 2);
    let invalid = read_file(&data_dir().join("format/checker_example_invalid.pb")).unwrap();
    let errors: Vec<_> = check(&invalid)
        .into_iter()
        .filter(|i| i.severity == Severity::Error)
        .collect();
    assert!(!errors.is_empty(), "the invalid example must be rejected");
    for e in &errors {
        eprintln!("{e}");
    }
    assert!(errors.iter().all(|e| e.line.is_some()));
}

#[test]
#[ignore]
fn every_data_file_reads_checks_and_round_trips() {
    for sub in ["amsterdam", "official", "large"] {
        for f in pb_files(sub) {
            let parsed = read_file(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let errors: Vec<_> = check(&parsed)
                .into_iter()
                .filter(|i| i.severity == Severity::Error)
                .collect();
            for e in errors.iter().take(5) {
                eprintln!("{}: {e}", f.display());
            }
            let text = write(&parsed.election);
            let back = parse(&text).unwrap().election;
            assert_eq!(back, parsed.election, "{} round trip", f.display());
        }
    }
}

#[test]
#[ignore]
fn assen_2024_reproduces_the_official_outcome() {
    let parsed = read_file(&data_dir().join("official/Netherlands_Assen_2024.pb")).unwrap();
    let e = &parsed.election;
    let mut official: Vec<&str> = e
        .projects
        .iter()
        .filter(|p| p.extra("selected") == Some("1"))
        .map(|p| p.id.as_str())
        .collect();
    assert!(!official.is_empty());
    let o = pb::tally(e, pb::Rule::MesAdd1, &pb::TieBreak::default());
    let mut ours: Vec<&str> = o
        .selected
        .iter()
        .map(|&p| e.projects[p].id.as_str())
        .collect();
    official.sort();
    ours.sort();
    assert_eq!(ours, official);
}

#[test]
#[ignore]
fn certificates_verify_on_real_data() {
    let tb = pb::TieBreak::default();
    for sub in ["official", "amsterdam", "large"] {
        for f in pb_files(sub) {
            let e = read_file(&f).unwrap().election;
            for rule in pb::Rule::ALL {
                let r = pb::run(&e, rule, &tb);
                assert!(r.outcome.total_cost <= e.budget);
                let v = pb::certificate::verify(&e, &r.certificate);
                assert!(
                    v.is_ok(),
                    "{} {rule}: {:?}",
                    f.display(),
                    v.err().map(|x| x[..x.len().min(3)].to_vec())
                );
                assert_eq!(r.projects.len(), e.projects.len());
            }
        }
    }
}

/// The certified jumps of `mes-add1` give the same outcome as one MES run per currency unit.
#[test]
#[ignore]
fn add1_jumps_match_unit_steps_on_real_data() {
    use num_bigint::BigInt;
    use num_rational::BigRational;
    let tb = pb::TieBreak::default();
    for sub in ["official", "amsterdam", "large"] {
        for f in pb_files(sub) {
            let e = read_file(&f).unwrap().election;
            let inst = pb::rules::mes_instance(&e, &tb);
            let (fast, stats) = pb::rules::mes_add1(&e, &inst);
            let e0 = BigRational::new(BigInt::from(e.budget), BigInt::from(inst.n.max(1)));
            let unit = BigInt::from(e.unit());
            let mut last = pb::mes::mes_run(&inst, &e0);
            let mut t = 1u64;
            loop {
                let r = pb::mes::mes_run(&inst, &(&e0 + BigRational::from_integer(&unit * t)));
                if r.total_cost(&inst) > e.budget {
                    break;
                }
                last = r;
                t += 1;
            }
            let a: Vec<usize> = fast.chosen.iter().map(|c| c.0).collect();
            let b: Vec<usize> = last.chosen.iter().map(|c| c.0).collect();
            assert_eq!(a, b, "{}", f.display());
            eprintln!(
                "{}: {} unit steps, {} runs + {} certifications",
                f.display(),
                t - 1,
                stats.runs,
                stats.certifications
            );
        }
    }
}
