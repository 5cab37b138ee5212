//! Quick timing helper: `cargo run -p pb --release --example pbtally -- FILE RULE`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut parsed = pb::read_file(std::path::Path::new(&args[1])).unwrap();
    // Optional third argument: multiply budget and costs (e.g. 10000 for a Budapest-sized budget).
    if let Some(f) = args.get(3).and_then(|x| x.parse::<u64>().ok()) {
        parsed.election.budget *= f;
        for p in parsed.election.projects.iter_mut() {
            p.cost *= f;
        }
    }
    let rule: pb::Rule = args[2].parse().unwrap();
    let t = std::time::Instant::now();
    let o = pb::tally(&parsed.election, rule, &pb::TieBreak::default());
    let ids: Vec<&str> = o
        .selected
        .iter()
        .map(|&p| parsed.election.projects[p].id.as_str())
        .collect();
    println!("{:?} {} {:?} {:?}", t.elapsed(), o.total_cost, o.add1, ids);
}
