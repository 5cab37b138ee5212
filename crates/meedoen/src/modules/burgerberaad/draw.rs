//! The invitation draw: reading a register extract (persons or addresses) and drawing the
//! people to invite, stratified by wijk, at most one per address, from a recorded seed.
//!
//! No database or web code here: the same file and the same seed always give the same
//! draw (the rule is written out in [`draw`]), so anyone with the file can replay it.

use std::collections::{BTreeMap, HashMap, HashSet};

/// One problem in a register file, with the (1-based) line; the header is line 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub line: u64,
    /// Message key under `burgerberaad.register.err`.
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Problem {
    fn new(line: u64, key: &'static str, args: Vec<(&'static str, String)>) -> Problem {
        Problem { line, key, args }
    }
}

/// What one row of the register is: a person, or an address ("de bewoners van").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterKind {
    Persons,
    Addresses,
}

impl RegisterKind {
    pub fn key(self) -> &'static str {
        match self {
            RegisterKind::Persons => "personen",
            RegisterKind::Addresses => "adressen",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub line: u64,
    pub name: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
    /// The wijk's CBS code (buurt codes are mapped to their wijk).
    pub wijk: String,
    /// Normalised postcode + address: the household key.
    pub address_key: String,
}

#[derive(Debug, Clone)]
pub struct Register {
    pub kind: RegisterKind,
    pub entries: Vec<Entry>,
}

/// At most this many problems are reported (with the total count).
pub const MAX_PROBLEMS: usize = 50;

fn norm_header(h: &str) -> String {
    h.trim().trim_start_matches('\u{feff}').to_lowercase()
}

/// `1234AB` / `1234 ab` → `1234 AB`; `None` when it is not a Dutch postcode.
pub fn normalise_postcode(raw: &str) -> Option<String> {
    let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let b = s.as_bytes();
    if b.len() == 6
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[0] != b'0'
        && b[4..].iter().all(u8::is_ascii_alphabetic)
    {
        Some(format!("{} {}", &s[..4], s[4..].to_ascii_uppercase()))
    } else {
        None
    }
}

/// Read a register extract. Columns (header names, any order, `;` or `,` separated):
/// `naam`, `adres`, `postcode`, `woonplaats`, `wijk` (a wijk or buurt code), and for a
/// persons file `persoonsnummer` (or `id`). Without a person column the file is an
/// address file: `naam` is then optional and each address may appear once.
///
/// `wijk_of` maps every known wijk and buurt code to its wijk code. Either the whole
/// file is valid, or every problem (up to [`MAX_PROBLEMS`]) is returned with its line.
pub fn parse_register(
    bytes: &[u8],
    wijk_of: &HashMap<String, String>,
) -> Result<Register, (Vec<Problem>, usize)> {
    let mut problems: Vec<Problem> = Vec::new();
    let mut total = 0usize;
    let mut push = |problems: &mut Vec<Problem>, p: Problem| {
        total += 1;
        if problems.len() < MAX_PROBLEMS {
            problems.push(p);
        }
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err((vec![Problem::new(0, "encoding", vec![])], 1));
    };
    let first = text.lines().next().unwrap_or("");
    let delim = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(norm_header).collect(),
        Err(_) => return Err((vec![Problem::new(1, "header", vec![])], 1)),
    };
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let person = col(&["persoonsnummer", "id", "anummer", "a-nummer"]);
    let kind = if person.is_some() {
        RegisterKind::Persons
    } else {
        RegisterKind::Addresses
    };
    let name = col(&["naam", "name"]);
    let address = col(&["adres", "straat", "address"]);
    let postcode = col(&["postcode"]);
    let city = col(&["woonplaats", "plaats"]);
    let wijk = col(&["wijk", "wijkcode", "buurt", "buurtcode"]);
    let mut missing = Vec::new();
    if kind == RegisterKind::Persons && name.is_none() {
        missing.push("naam");
    }
    for (c, n) in [
        (address, "adres"),
        (postcode, "postcode"),
        (city, "woonplaats"),
        (wijk, "wijk"),
    ] {
        if c.is_none() {
            missing.push(n);
        }
    }
    if !missing.is_empty() {
        return Err((
            vec![Problem::new(
                1,
                "columns",
                vec![
                    ("missing", missing.join(", ")),
                    ("found", headers.join(", ")),
                ],
            )],
            1,
        ));
    }
    let (address, postcode, city, wijk) = (
        address.unwrap_or(0),
        postcode.unwrap_or(0),
        city.unwrap_or(0),
        wijk.unwrap_or(0),
    );
    let width = headers.len();
    let mut entries = Vec::new();
    let mut seen_person: HashMap<String, u64> = HashMap::new();
    let mut seen_address: HashMap<String, u64> = HashMap::new();
    let mut seen_pair: HashMap<(String, String), u64> = HashMap::new();
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                push(
                    &mut problems,
                    Problem::new(line, "malformed", vec![("detail", e.to_string())]),
                );
                break;
            }
        }
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() != width {
            push(
                &mut problems,
                Problem::new(
                    line,
                    "fields",
                    vec![
                        ("n", rec.len().to_string()),
                        ("expected", width.to_string()),
                    ],
                ),
            );
            continue;
        }
        let get = |i: usize| rec.get(i).unwrap_or("").trim().to_string();
        let mut ok = true;
        let mut required = vec![
            (address, "adres"),
            (postcode, "postcode"),
            (city, "woonplaats"),
            (wijk, "wijk"),
        ];
        if let Some(p) = person {
            required.push((p, "persoonsnummer"));
        }
        if kind == RegisterKind::Persons {
            required.push((name.unwrap_or(0), "naam"));
        }
        for (i, n) in required {
            if get(i).is_empty() {
                push(
                    &mut problems,
                    Problem::new(line, "empty", vec![("column", n.to_string())]),
                );
                ok = false;
            }
        }
        if !ok {
            continue;
        }
        let pc_raw = get(postcode);
        let Some(pc) = normalise_postcode(&pc_raw) else {
            push(
                &mut problems,
                Problem::new(line, "postcode", vec![("value", pc_raw)]),
            );
            continue;
        };
        let code = get(wijk).to_uppercase();
        let Some(w) = wijk_of.get(&code) else {
            push(
                &mut problems,
                Problem::new(line, "wijk", vec![("value", code)]),
            );
            continue;
        };
        let addr = get(address);
        let address_key = format!(
            "{}|{}",
            pc,
            addr.to_lowercase()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
        );
        let nm = name.map(get).unwrap_or_default();
        match kind {
            RegisterKind::Persons => {
                let pid = get(person.unwrap_or(0));
                if let Some(first) = seen_person.get(&pid) {
                    push(
                        &mut problems,
                        Problem::new(
                            line,
                            "dup_person",
                            vec![("id", pid.clone()), ("first", first.to_string())],
                        ),
                    );
                    continue;
                }
                let pair = (nm.to_lowercase(), address_key.clone());
                if let Some(first) = seen_pair.get(&pair) {
                    push(
                        &mut problems,
                        Problem::new(line, "dup_same", vec![("first", first.to_string())]),
                    );
                    continue;
                }
                seen_person.insert(pid, line);
                seen_pair.insert(pair, line);
            }
            RegisterKind::Addresses => {
                if let Some(first) = seen_address.get(&address_key) {
                    push(
                        &mut problems,
                        Problem::new(line, "dup_address", vec![("first", first.to_string())]),
                    );
                    continue;
                }
                seen_address.insert(address_key.clone(), line);
            }
        }
        entries.push(Entry {
            line,
            name: nm,
            address: addr,
            postcode: pc,
            city: get(city),
            wijk: w.clone(),
            address_key,
        });
    }
    if problems.is_empty() && entries.is_empty() {
        push(&mut problems, Problem::new(0, "no_rows", vec![]));
    }
    if problems.is_empty() {
        Ok(Register { kind, entries })
    } else {
        Err((problems, total))
    }
}

/// SplitMix64: a tiny, fully specified generator, so the draw can be replayed anywhere.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (rejection sampling, no modulo bias).
    pub fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let v = self.next_u64();
            if v < zone {
                return v % n;
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    #[error("er zijn {available} adressen, minder dan de {wanted} uitnodigingen")]
    TooFewAddresses { wanted: usize, available: usize },
}

/// The number of invitations per wijk: proportional to the rows of the register in the
/// wijk (largest remainder; ties go to the lower wijk code), never more than the wijk's
/// number of distinct addresses (the surplus is shared out again over the other wijken).
pub fn allocate(
    rows: &BTreeMap<String, usize>,
    caps: &BTreeMap<String, usize>,
    n: usize,
) -> BTreeMap<String, usize> {
    let mut fixed: BTreeMap<String, usize> = BTreeMap::new();
    loop {
        let left = n - fixed.values().sum::<usize>();
        let open: Vec<(&String, usize)> = rows
            .iter()
            .filter(|(w, _)| !fixed.contains_key(*w))
            .map(|(w, r)| (w, *r))
            .collect();
        let total: usize = open.iter().map(|(_, r)| r).sum();
        let mut alloc: BTreeMap<String, usize> = BTreeMap::new();
        if total > 0 {
            let mut rem: Vec<(u128, &String)> = Vec::new();
            let mut given = 0usize;
            for (w, r) in &open {
                let exact = (left as u128) * (*r as u128);
                let q = (exact / total as u128) as usize;
                rem.push((exact % total as u128, w));
                alloc.insert((*w).clone(), q);
                given += q;
            }
            rem.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
            for (_, w) in rem.into_iter().take(left - given) {
                *alloc.get_mut(w).expect("allocated") += 1;
            }
        }
        let over: Vec<String> = alloc
            .iter()
            .filter(|(w, a)| **a > caps.get(*w).copied().unwrap_or(0))
            .map(|(w, _)| w.clone())
            .collect();
        if over.is_empty() {
            fixed.extend(alloc);
            return fixed;
        }
        for w in over {
            let c = caps.get(&w).copied().unwrap_or(0);
            fixed.insert(w, c);
        }
    }
}

/// Draw `n` entries of the register: per wijk (in code order) the allocated number, by a
/// Fisher–Yates shuffle of the wijk's rows (in file order) with [`SplitMix64`] from
/// `seed`, taking each row whose address has not been taken yet. Returns row indices
/// in draw order.
pub fn draw(register: &Register, n: usize, seed: u64) -> Result<Vec<usize>, DrawError> {
    let mut by_wijk: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, e) in register.entries.iter().enumerate() {
        by_wijk.entry(e.wijk.clone()).or_default().push(i);
    }
    let rows: BTreeMap<String, usize> = by_wijk.iter().map(|(w, v)| (w.clone(), v.len())).collect();
    let caps: BTreeMap<String, usize> = by_wijk
        .iter()
        .map(|(w, v)| {
            let set: HashSet<&str> = v
                .iter()
                .map(|&i| register.entries[i].address_key.as_str())
                .collect();
            (w.clone(), set.len())
        })
        .collect();
    let available: usize = caps.values().sum();
    if n > available {
        return Err(DrawError::TooFewAddresses {
            wanted: n,
            available,
        });
    }
    let alloc = allocate(&rows, &caps, n);
    let mut rng = SplitMix64::new(seed);
    let mut out = Vec::with_capacity(n);
    let mut taken: HashSet<&str> = HashSet::new();
    for (w, mut idx) in by_wijk {
        let want = alloc.get(&w).copied().unwrap_or(0);
        let mut got = 0;
        let len = idx.len();
        for k in 0..len {
            if got == want {
                break;
            }
            let j = k + rng.below((len - k) as u64) as usize;
            idx.swap(k, j);
            let e = &register.entries[idx[k]];
            if taken.insert(e.address_key.as_str()) {
                out.push(idx[k]);
                got += 1;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wijken() -> HashMap<String, String> {
        [
            ("WK000101", "WK000101"),
            ("WK000102", "WK000102"),
            ("BU00010201", "WK000102"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
    }

    #[test]
    fn a_valid_persons_file_parses() {
        let f = "persoonsnummer;naam;adres;postcode;woonplaats;wijk\n\
                 1;A. Jansen;Dorpsstraat 1;1234ab;Dorp;WK000101\n\
                 2;B. Jansen;Dorpsstraat 1;1234 AB;Dorp;WK000101\n\
                 3;C. Smit;Kerkweg 2;1234AC;Dorp;BU00010201\n";
        let r = parse_register(f.as_bytes(), &wijken()).unwrap();
        assert_eq!(r.kind, RegisterKind::Persons);
        assert_eq!(r.entries.len(), 3);
        assert_eq!(r.entries[2].wijk, "WK000102");
        assert_eq!(r.entries[0].postcode, "1234 AB");
        assert_eq!(r.entries[0].address_key, r.entries[1].address_key);
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let f = "persoonsnummer,naam,adres,postcode,woonplaats,wijk\n\
                 1,A,Straat 1,1234AB,Dorp,WK000101\n\
                 1,B,Straat 2,1234AB,Dorp,WK000101\n\
                 3,C,Straat 3,12345,Dorp,WK000101\n\
                 4,D,Straat 4,1234AB,Dorp,WK999999\n\
                 5,E,Straat 5\n\
                 6,,Straat 6,1234AB,Dorp,WK000101\n";
        let (p, total) = parse_register(f.as_bytes(), &wijken()).unwrap_err();
        assert_eq!(total, 5);
        let got: Vec<(u64, &str)> = p.iter().map(|p| (p.line, p.key)).collect();
        assert_eq!(
            got,
            vec![
                (3, "dup_person"),
                (4, "postcode"),
                (5, "wijk"),
                (6, "fields"),
                (7, "empty")
            ]
        );
    }

    #[test]
    fn missing_columns_and_duplicate_addresses() {
        let (p, _) = parse_register(b"naam,adres\nA,B\n", &wijken()).unwrap_err();
        assert_eq!(p[0].key, "columns");
        let f = "adres;postcode;woonplaats;wijk\nStraat 1;1234AB;Dorp;WK000101\nstraat 1;1234 ab;Dorp;WK000101\n";
        let (p, _) = parse_register(f.as_bytes(), &wijken()).unwrap_err();
        assert_eq!((p[0].line, p[0].key), (3, "dup_address"));
    }

    #[test]
    fn largest_remainder_with_caps() {
        let rows: BTreeMap<String, usize> =
            [("a".to_string(), 50), ("b".into(), 30), ("c".into(), 20)].into();
        let caps: BTreeMap<String, usize> =
            [("a".to_string(), 50), ("b".into(), 30), ("c".into(), 20)].into();
        let a = allocate(&rows, &caps, 7);
        // 3.5, 2.1, 1.4 → 3, 2, 1 and the remainder goes to a (0.5).
        assert_eq!(a.values().copied().collect::<Vec<_>>(), vec![4, 2, 1]);
        let caps: BTreeMap<String, usize> =
            [("a".to_string(), 2), ("b".into(), 30), ("c".into(), 20)].into();
        let a = allocate(&rows, &caps, 7);
        assert_eq!(a["a"], 2);
        assert_eq!(a.values().sum::<usize>(), 7);
    }

    #[test]
    fn the_draw_replays_and_takes_one_per_address() {
        let mut f = String::from("persoonsnummer;naam;adres;postcode;woonplaats;wijk\n");
        for i in 0..400 {
            let w = if (i / 2) % 4 == 0 {
                "WK000101"
            } else {
                "WK000102"
            };
            // Two persons per address.
            f.push_str(&format!("{i};P{i};Straat {};1234AB;Dorp;{w}\n", i / 2));
        }
        let r = parse_register(f.as_bytes(), &wijken()).unwrap();
        let d1 = draw(&r, 40, 7).unwrap();
        let d2 = draw(&r, 40, 7).unwrap();
        assert_eq!(d1, d2);
        assert_ne!(d1, draw(&r, 40, 8).unwrap());
        let addrs: HashSet<&str> = d1
            .iter()
            .map(|&i| r.entries[i].address_key.as_str())
            .collect();
        assert_eq!(addrs.len(), 40);
        let w1 = d1
            .iter()
            .filter(|&&i| r.entries[i].wijk == "WK000101")
            .count();
        assert_eq!(w1, 10);
        assert!(matches!(
            draw(&r, 201, 1),
            Err(DrawError::TooFewAddresses { available: 200, .. })
        ));
    }
}
