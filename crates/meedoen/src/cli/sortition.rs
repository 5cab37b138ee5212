//! `meedoen sortition`: citizens' assembly selection (see the `sortition` crate).
//!
//! `meedoen sortition select --categories CATEGORIES.csv --people PEOPLE.csv
//! --panel-size K [--algorithm leximin|maximin|nash|legacy] [--seed N] [--json]`
//!
//! Exit codes: 0 selected, 1 bad input or solver failure, 2 infeasible quotas.
//! A people column named `household`, `household_id` or `address` turns on the
//! at-most-one-per-household constraint.

use clap::{Subcommand, ValueEnum};
use serde_json::{Map, Value, json};
use sortition::{
    Algorithm, HouseholdColumn, Instance, Progress, SelectOptions, Selection, SortitionError,
    load_instance, select,
};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AlgorithmArg {
    Leximin,
    Maximin,
    Nash,
    Legacy,
}

impl From<AlgorithmArg> for Algorithm {
    fn from(a: AlgorithmArg) -> Self {
        match a {
            AlgorithmArg::Leximin => Algorithm::Leximin,
            AlgorithmArg::Maximin => Algorithm::Maximin,
            AlgorithmArg::Nash => Algorithm::Nash,
            AlgorithmArg::Legacy => Algorithm::Legacy,
        }
    }
}

#[derive(Subcommand)]
pub enum SortitionCommand {
    /// Select a panel: fair selection probabilities, a uniform lottery over 1000
    /// panels, and a replayable draw from the seed.
    Select {
        /// Quotas: `category,feature,min,max` or `feature,value,min,max[,min_flex,max_flex]`.
        #[arg(long, value_name = "CATEGORIES.csv")]
        categories: PathBuf,
        /// The pool: one column per category; id column `id` or `nationbuilder_id`.
        #[arg(long, value_name = "PEOPLE.csv")]
        people: PathBuf,
        /// Number of people on the panel.
        #[arg(long = "panel-size", value_name = "K")]
        panel_size: usize,
        #[arg(long, value_enum, default_value = "leximin")]
        algorithm: AlgorithmArg,
        /// Public seed of the draw (random and printed on stderr when absent).
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        /// One JSON object on stdout.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: SortitionCommand) -> ExitCode {
    match cmd {
        SortitionCommand::Select {
            categories,
            people,
            panel_size,
            algorithm,
            seed,
            json,
        } => select_cmd(
            &categories,
            &people,
            panel_size,
            algorithm.into(),
            seed,
            json,
        ),
    }
}

fn select_cmd(
    categories: &std::path::Path,
    people: &std::path::Path,
    k: usize,
    algorithm: Algorithm,
    seed: Option<u64>,
    json: bool,
) -> ExitCode {
    let inst = match load_instance(categories, people, k, &HouseholdColumn::Auto) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("meedoen sortition: {e}");
            return ExitCode::from(1);
        }
    };
    let seed = seed.unwrap_or_else(|| {
        let s = rand::random::<u64>();
        eprintln!("seed: {s} (pass --seed {s} to replay this draw)");
        s
    });
    let opts = SelectOptions {
        algorithm,
        seed,
        ..SelectOptions::default()
    };
    let start = Instant::now();
    let mut last = start;
    let mut progress = |p: &Progress| {
        let now = Instant::now();
        if now - start > Duration::from_secs(1) && now - last > Duration::from_secs(1) {
            eprintln!("[{:>6.1}s] {p}", (now - start).as_secs_f64());
            last = now;
        }
    };
    let sel = match select(&inst, &opts, &mut progress, None) {
        Ok(s) => s,
        Err(e @ SortitionError::Infeasible(_)) => {
            eprintln!("meedoen sortition: {e}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("meedoen sortition: {e}");
            return ExitCode::from(1);
        }
    };
    if start.elapsed() > Duration::from_secs(1) {
        eprintln!("done in {:.1}s", start.elapsed().as_secs_f64());
    }
    if json && !sel.never_selectable.is_empty() {
        let ids: Vec<&str> = sel
            .never_selectable
            .iter()
            .map(|&i| inst.people[i].id.as_str())
            .collect();
        eprintln!(
            "{} people are on no feasible panel (probability 0): {}",
            ids.len(),
            ids.join(", ")
        );
    }
    if json {
        println!("{}", to_json(&inst, &sel));
    } else {
        print!("{}", report(&inst, &sel));
    }
    ExitCode::SUCCESS
}

fn to_json(inst: &Instance, sel: &Selection) -> Value {
    let mut probs = Map::new();
    for (p, &x) in inst.people.iter().zip(&sel.probabilities) {
        probs.insert(p.id.clone(), json!(x));
    }
    json!({
        "algorithm": sel.algorithm.name(),
        "panel": sel.panel.iter().map(|&i| inst.people[i].id.clone()).collect::<Vec<_>>(),
        "min_probability": sel.min_probability(),
        "probabilities": probs,
        "panels": sel.lottery.support(),
    })
}

fn report(inst: &Instance, sel: &Selection) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let n = inst.people.len();
    let _ = writeln!(
        s,
        "Selection ({}) of {} from {} people",
        sel.algorithm, inst.panel_size, n
    );
    let _ = writeln!(
        s,
        "Draw: panel {} of a uniform lottery of {} panels ({} distinct), seed {}",
        sel.drawn + 1,
        sel.lottery.panels.len(),
        sel.lottery.support(),
        sel.seed
    );
    let _ = writeln!(
        s,
        "Lottery marginals differ from the probabilities below by at most {:.6}\n",
        sel.lottery.max_deviation
    );
    let _ = writeln!(s, "Panel:");
    for &i in &sel.panel {
        let vals: Vec<String> = (0..inst.categories.len())
            .map(|c| inst.value_name(i, c).to_string())
            .collect();
        let _ = writeln!(s, "  {:<16} {}", inst.people[i].id, vals.join(", "));
    }
    let _ = writeln!(
        s,
        "\nSelection probability per feature value (people: min / mean / max):"
    );
    for (c, cat) in inst.categories.iter().enumerate() {
        let _ = writeln!(s, "  {}", cat.name);
        for (v, val) in cat.values.iter().enumerate() {
            let ps: Vec<f64> = (0..n)
                .filter(|&i| inst.people[i].features[c] == v)
                .map(|i| sel.probabilities[i])
                .collect();
            let on_panel = sel
                .panel
                .iter()
                .filter(|&&i| inst.people[i].features[c] == v)
                .count();
            if ps.is_empty() {
                let _ = writeln!(
                    s,
                    "    {:<24} quota {:>3}..{:<3} pool    0",
                    val.name, val.min, val.max
                );
                continue;
            }
            let (mn, mx) = ps
                .iter()
                .fold((f64::INFINITY, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
            let mean = ps.iter().sum::<f64>() / ps.len() as f64;
            let _ = writeln!(
                s,
                "    {:<24} quota {:>3}..{:<3} panel {:>3}  pool {:>4}: {:.4} / {:.4} / {:.4}",
                val.name,
                val.min,
                val.max,
                on_panel,
                ps.len(),
                mn,
                mean,
                mx
            );
        }
    }
    let st = sel.stats();
    let _ = writeln!(s, "\nMinimum probability: {:.6}", st.min);
    let _ = writeln!(s, "Maximum probability: {:.6}", st.max);
    let _ = writeln!(s, "Gini coefficient:    {:.6}", st.gini);
    let _ = writeln!(s, "Geometric mean:      {:.6}", st.geometric_mean);
    if !sel.never_selectable.is_empty() {
        let ids: Vec<&str> = sel
            .never_selectable
            .iter()
            .map(|&i| inst.people[i].id.as_str())
            .collect();
        let _ = writeln!(
            s,
            "\n{} people are on no feasible panel (probability 0): {}",
            ids.len(),
            ids.join(", ")
        );
    }
    s
}
