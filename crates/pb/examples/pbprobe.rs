//! Diagnostics: exact-call counts of one MES run.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let parsed = pb::read_file(std::path::Path::new(&args[1])).unwrap();
    let e = &parsed.election;
    let inst = pb::rules::mes_instance(e, &pb::TieBreak::default());
    let e0 = num_rational::BigRational::new(e.budget.into(), (inst.n).into());
    let t = std::time::Instant::now();
    let run = pb::mes::mes_run(&inst, &e0);
    println!(
        "groups {} rounds {} exact {} time {:?}",
        inst.groups(),
        run.chosen.len(),
        run.exact_calls,
        t.elapsed()
    );
    for t in 1..6u64 {
        let e1 = &e0 + num_rational::BigRational::from_integer((t * 7).into());
        let t0 = std::time::Instant::now();
        let r = pb::mes::mes_run(&inst, &e1);
        let d1 = t0.elapsed();
        let t0 = std::time::Instant::now();
        let ok = pb::mes::certify_same_run(&inst, &run, &e1);
        println!(
            "run {:?} exact {} cert {:?} {}",
            d1,
            r.exact_calls,
            t0.elapsed(),
            ok
        );
    }
}
