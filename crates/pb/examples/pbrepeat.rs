//! Profiling helper: `cargo run -p pb --release --example pbrepeat -- RULE REPEAT FILE...`
//! runs the rule REPEAT times per file (parsing once) and prints the mean time per tally and
//! the winners (so two builds can be compared); with `PB_CERT=1` also a digest of the
//! certificate.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rule: pb::Rule = args[1].parse().unwrap();
    let repeat: u32 = args[2].parse().unwrap();
    for f in &args[3..] {
        let parsed = pb::read_file(std::path::Path::new(f)).unwrap();
        let e = &parsed.election;
        let t = std::time::Instant::now();
        let c0 = cpu_ns();
        let f0 = stat_field(7);
        let mut o = None;
        for _ in 0..repeat {
            o = Some(pb::tally(e, rule, &pb::TieBreak::default()));
        }
        let o = o.unwrap();
        let ids: Vec<&str> = o
            .selected
            .iter()
            .map(|&p| e.projects[p].id.as_str())
            .collect();
        let cpu = (cpu_ns() - c0) as f64 / 1e6 / repeat as f64;
        let faults = stat_field(7) - f0;
        println!(
            "{} {:.3} ms {} {:?} {:?} cpu_ms={cpu:.3}",
            std::path::Path::new(f)
                .file_name()
                .unwrap()
                .to_string_lossy(),
            t.elapsed().as_secs_f64() * 1000.0 / repeat as f64,
            o.total_cost,
            o.add1,
            ids
        );
        if std::env::var_os("PB_FAULTS").is_some() {
            println!("  minor page faults in the tallies: {faults}");
        }
        if std::env::var_os("PB_CERT").is_some() {
            // A digest of the certificate (payments of every voter), to compare two builds.
            let cert = pb::certificate::certificate(e, &o, &pb::TieBreak::default());
            let json = serde_json::to_string(&cert).unwrap();
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in json.bytes() {
                h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
            }
            println!("  certificate {} bytes, fnv64 {h:016x}", json.len());
        }
        if std::env::var_os("PB_PARTS").is_some() {
            parts(e, repeat);
        }
    }
}

/// Times the parts of one MES tally: instance building and the run.
#[allow(dead_code)]
pub fn parts(e: &pb::Election, repeat: u32) {
    use num_bigint::BigInt;
    use num_rational::BigRational;
    let tb = pb::TieBreak::default();
    let t = std::time::Instant::now();
    let mut inst = None;
    for _ in 0..repeat {
        inst = Some(pb::rules::mes_instance(e, &tb));
    }
    let inst = inst.unwrap();
    let ti = t.elapsed().as_secs_f64() * 1000.0 / repeat as f64;
    let e0 = BigRational::new(BigInt::from(e.budget), BigInt::from(inst.n.max(1)));
    let t = std::time::Instant::now();
    for _ in 0..repeat {
        std::hint::black_box(pb::mes::mes_run(&inst, &e0));
    }
    let tr = t.elapsed().as_secs_f64() * 1000.0 / repeat as f64;
    println!(
        "  instance {ti:.3} ms, run {tr:.3} ms, groups {}, items {}, projects {}",
        inst.groups(),
        inst.items(),
        inst.cost.len()
    );
}

/// Field `i` (0-based, counted after the command name) of `/proc/self/stat`, 0 if
/// unavailable (7: minor page faults).
fn stat_field(i: usize) -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else {
        return 0;
    };
    let rest = s.rsplit_once(')').map(|x| x.1).unwrap_or("");
    rest.split_whitespace()
        .nth(i)
        .and_then(|x| x.parse().ok())
        .unwrap_or(0)
}

/// CPU time of this process (all threads, user + system) in nanoseconds
/// (`CLOCK_PROCESS_CPUTIME_ID`), 0 if unavailable.
#[cfg(target_os = "linux")]
fn cpu_ns() -> u64 {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
    let mut t = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec; the call only writes it.
    if unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut t) } != 0 {
        return 0;
    }
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

#[cfg(not(target_os = "linux"))]
fn cpu_ns() -> u64 {
    0
}
