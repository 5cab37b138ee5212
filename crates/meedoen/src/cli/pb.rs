//! `meedoen pb`: read, check, tally and verify pabulib files (engine: the `pb` crate).

use clap::Subcommand;
use pb::certificate::{Certificate, verify};
use pb::{Election, Rule, Severity, TieBreak};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Subcommand)]
pub enum PbCommand {
    /// Validate a pabulib file and print a summary.
    Check { file: PathBuf },
    /// Compute the winners under a rule.
    Tally {
        file: PathBuf,
        /// greedy, mes, mes-add1 or mes-add1-greedy.
        #[arg(long)]
        rule: String,
        /// Tie-break order, comma-separated from cost, -cost, votes, -votes, id.
        #[arg(long = "tie-break", default_value = "cost,votes,id")]
        tie_break: String,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Also write the outcome certificate (JSON) to this file.
        #[arg(long)]
        certificate: Option<PathBuf>,
    },
    /// Check an outcome certificate against the election, independently of the rules.
    Verify { file: PathBuf, certificate: PathBuf },
    /// Time every rule on pabulib files (and pabutools beside it, when given).
    Bench {
        /// Files or folders of .pb files.
        paths: Vec<PathBuf>,
        /// Rules to time (comma-separated).
        #[arg(long, default_value = "greedy,mes,mes-add1,mes-add1-greedy")]
        rules: String,
        /// Repetitions per file and rule (the minimum is reported).
        #[arg(long, default_value_t = 3)]
        repeat: u32,
        /// A Python interpreter with pabutools installed, to time pabutools in the same run.
        #[arg(long)]
        pabutools_python: Option<PathBuf>,
        /// The pabutools runner script.
        #[arg(long, default_value = "scripts/conformance/pb/pabutools_run.py")]
        pabutools_script: PathBuf,
        /// Do not run pabutools on files with more ballots than this.
        #[arg(long)]
        pabutools_max_ballots: Option<usize>,
    },
}

pub fn run(cmd: PbCommand) -> ExitCode {
    match cmd {
        PbCommand::Check { file } => check(&file),
        PbCommand::Tally {
            file,
            rule,
            tie_break,
            json,
            certificate,
        } => tally(&file, &rule, &tie_break, json, certificate.as_deref()),
        PbCommand::Verify { file, certificate } => verify_cmd(&file, &certificate),
        PbCommand::Bench {
            paths,
            rules,
            repeat,
            pabutools_python,
            pabutools_script,
            pabutools_max_ballots,
        } => bench(
            &paths,
            &rules,
            repeat,
            pabutools_python.as_deref(),
            &pabutools_script,
            pabutools_max_ballots,
        ),
    }
}

fn load(file: &Path) -> Result<pb::Parsed, ExitCode> {
    pb::read_file(file).map_err(|e| {
        eprintln!("meedoen pb: {}: {e}", file.display());
        ExitCode::from(1)
    })
}

fn check(file: &Path) -> ExitCode {
    let parsed = match load(file) {
        Ok(p) => p,
        Err(c) => return c,
    };
    let e = &parsed.election;
    let issues = pb::check(&parsed);
    let errors = issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .count();
    let warnings = issues.len() - errors;
    println!("file:       {}", file.display());
    for key in ["country", "unit", "instance", "district"] {
        if let Some(v) = e.meta(key) {
            println!("{:<11} {v}", format!("{key}:"));
        }
    }
    println!("vote type:  {}", e.vote_type);
    println!("budget:     {}", e.format_money(e.budget));
    let total: u64 = e.projects.iter().map(|p| p.cost).sum();
    println!(
        "projects:   {} (total cost {})",
        e.projects.len(),
        e.format_money(total)
    );
    let empty = e.ballots.iter().filter(|b| b.items.is_empty()).count();
    let avg = if e.ballots.is_empty() {
        0.0
    } else {
        e.ballots.iter().map(|b| b.items.len()).sum::<usize>() as f64 / e.ballots.len() as f64
    };
    println!(
        "ballots:    {} ({empty} empty, {avg:.2} projects on average)",
        e.ballots.len()
    );
    const SHOW: usize = 50;
    for i in issues.iter().take(SHOW) {
        println!("{i}");
    }
    if issues.len() > SHOW {
        println!("... and {} more", issues.len() - SHOW);
    }
    println!("{errors} errors, {warnings} warnings");
    if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn parse_rule(rule: &str, tie_break: &str) -> Result<(Rule, TieBreak), ExitCode> {
    let r: Rule = rule.parse().map_err(|e| {
        eprintln!("meedoen pb: {e}");
        ExitCode::from(2)
    })?;
    let tb: TieBreak = tie_break.parse().map_err(|e| {
        eprintln!("meedoen pb: {e}");
        ExitCode::from(2)
    })?;
    Ok((r, tb))
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("string serialises")
}

fn tally(file: &Path, rule: &str, tie_break: &str, json: bool, cert: Option<&Path>) -> ExitCode {
    let (rule, tb) = match parse_rule(rule, tie_break) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let parsed = match load(file) {
        Ok(p) => p,
        Err(c) => return c,
    };
    let e = &parsed.election;
    for w in &parsed.warnings {
        eprintln!("meedoen pb: {}: warning: {w}", file.display());
    }
    let outcome = pb::tally(e, rule, &tb);
    if let Some(path) = cert {
        let c = pb::certificate::certificate(e, &outcome, &tb);
        let text = serde_json::to_string_pretty(&c).expect("certificate serialises");
        if let Err(err) = std::fs::write(path, text + "\n") {
            eprintln!("meedoen pb: cannot write {}: {err}", path.display());
            return ExitCode::from(1);
        }
    }
    if json {
        // Money is written as a JSON number in currency units (exact decimal text).
        let selected: Vec<String> = outcome
            .selected
            .iter()
            .map(|&p| json_string(&e.projects[p].id))
            .collect();
        println!(
            "{{\"rule\": {}, \"selected\": [{}], \"total_cost\": {}, \"budget\": {}}}",
            json_string(rule.as_str()),
            selected.join(", "),
            e.format_money(outcome.total_cost),
            e.format_money(e.budget)
        );
    } else {
        print_table(e, &outcome);
    }
    ExitCode::SUCCESS
}

fn print_table(e: &Election, o: &pb::Outcome) {
    let votes = pb::rules::scores(e);
    let label = if e.vote_type.has_points() {
        "points"
    } else {
        "votes"
    };
    println!(
        "rule {} - {} of {} projects selected, total cost {} of budget {}",
        o.rule,
        o.selected.len(),
        e.projects.len(),
        e.format_money(o.total_cost),
        e.format_money(e.budget)
    );
    let idw = o
        .selected
        .iter()
        .map(|&p| e.projects[p].id.chars().count())
        .max()
        .unwrap_or(2)
        .max(2);
    println!(
        "{:>3}  {:<idw$}  {:>12}  {:>8}  name",
        "#", "id", "cost", label
    );
    for (i, &p) in o.selected.iter().enumerate() {
        let pr = &e.projects[p];
        println!(
            "{:>3}  {:<idw$}  {:>12}  {:>8}  {}",
            i + 1,
            pr.id,
            e.format_money(pr.cost),
            votes[p],
            pr.name
        );
    }
}

fn verify_cmd(file: &Path, cert_path: &Path) -> ExitCode {
    let parsed = match load(file) {
        Ok(p) => p,
        Err(c) => return c,
    };
    let text = match std::fs::read_to_string(cert_path) {
        Ok(t) => t,
        Err(err) => {
            eprintln!("meedoen pb: cannot read {}: {err}", cert_path.display());
            return ExitCode::from(1);
        }
    };
    let cert: Certificate = match serde_json::from_str(&text) {
        Ok(c) => c,
        Err(err) => {
            eprintln!(
                "meedoen pb: {}: not a certificate: {err}",
                cert_path.display()
            );
            return ExitCode::from(1);
        }
    };
    match verify(&parsed.election, &cert) {
        Ok(r) => {
            println!(
                "certificate holds: rule {}, {} winners, total cost {}, {} voters paid",
                cert.rule, r.winners, r.total_cost, r.paying_voters
            );
            ExitCode::SUCCESS
        }
        Err(fails) => {
            for f in fails.iter().take(50) {
                println!("FAIL: {f}");
            }
            if fails.len() > 50 {
                println!("... and {} more", fails.len() - 50);
            }
            println!("certificate does not hold ({} problems)", fails.len());
            ExitCode::from(1)
        }
    }
}

fn collect_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                .map(|rd| {
                    rd.filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|f| f.extension().is_some_and(|x| x == "pb"))
                        .collect()
                })
                .unwrap_or_default();
            v.sort();
            out.extend(v);
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// Peak resident memory of this process (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn bench(
    paths: &[PathBuf],
    rules: &str,
    repeat: u32,
    python: Option<&Path>,
    script: &Path,
    max_ballots: Option<usize>,
) -> ExitCode {
    let files = collect_files(paths);
    if files.is_empty() {
        eprintln!("meedoen pb bench: no .pb files given");
        return ExitCode::from(2);
    }
    let mut rule_list = Vec::new();
    for r in rules.split(',') {
        match r.trim().parse::<Rule>() {
            Ok(r) => rule_list.push(r),
            Err(e) => {
                eprintln!("meedoen pb bench: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let tb = TieBreak::default();
    println!(
        "{:<34} {:>7} {:<16} {:>10} {:>12} {:>9}  same",
        "file", "ballots", "rule", "ours ms", "pabutools ms", "ratio"
    );
    let mut failed = false;
    for f in &files {
        let parsed = match load(f) {
            Ok(p) => p,
            Err(_) => {
                failed = true;
                continue;
            }
        };
        let e = &parsed.election;
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        for &rule in &rule_list {
            let mut best = Duration::MAX;
            let mut outcome = None;
            for _ in 0..repeat.max(1) {
                let t = Instant::now();
                let o = pb::tally(e, rule, &tb);
                best = best.min(t.elapsed());
                outcome = Some(o);
            }
            let ours: Vec<String> = outcome
                .unwrap()
                .selected
                .iter()
                .map(|&p| e.projects[p].id.clone())
                .collect();
            let theirs = match python {
                Some(py) if max_ballots.is_none_or(|m| e.ballots.len() <= m) => {
                    run_pabutools(py, script, f, rule)
                }
                _ => None,
            };
            let (pt, ratio, same) = match &theirs {
                Some((t, sel)) => {
                    let mut a = ours.clone();
                    let mut b = sel.clone();
                    a.sort();
                    b.sort();
                    (
                        format!("{:.1}", ms(*t)),
                        format!("{:.0}x", t.as_secs_f64() / best.as_secs_f64().max(1e-9)),
                        if a == b { "yes" } else { "NO" },
                    )
                }
                None => ("-".into(), "-".into(), "-"),
            };
            if same == "NO" {
                failed = true;
            }
            println!(
                "{:<34} {:>7} {:<16} {:>10.2} {:>12} {:>9}  {}",
                name,
                e.ballots.len(),
                rule.as_str(),
                ms(best),
                pt,
                ratio,
                same
            );
        }
    }
    if let Some(m) = peak_rss_mib() {
        println!("peak memory (this process): {m:.1} MiB");
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs the pabutools runner as a separate process: it prints `{"seconds": .., "selected": [..]}`.
fn run_pabutools(
    py: &Path,
    script: &Path,
    file: &Path,
    rule: Rule,
) -> Option<(Duration, Vec<String>)> {
    if rule == Rule::MesAdd1Greedy {
        return None;
    }
    let out = std::process::Command::new(py)
        .arg(script)
        .arg(file)
        .arg(rule.as_str())
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "pabutools failed on {}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let secs = v.get("seconds")?.as_f64()?;
    let sel = v
        .get("selected")?
        .as_array()?
        .iter()
        .filter_map(|x| x.as_str().map(String::from))
        .collect();
    Some((Duration::from_secs_f64(secs), sel))
}
