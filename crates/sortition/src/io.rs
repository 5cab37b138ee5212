//! CSV readers for the two known category formats and for the pool of people.
//!
//! Categories, either
//! * `category,feature,min,max` (Flanigan et al. replication package), or
//! * `feature,value,min,max[,min_flex,max_flex]` (Sortition Foundation).
//!
//! People: one column per category (the header names the category, the cell one of
//! its values); an id column named `id` or `nationbuilder_id` when present, else the
//! 0-based row number is the id. Other columns are ignored, except the household
//! column (see [`HouseholdColumn`]).

use crate::error::{Result, SortitionError};
use crate::model::{Category, FeatureValue, Instance, Person};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// Which column of the people file holds the household/address key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum HouseholdColumn {
    /// No household constraint.
    None,
    /// Use a column named `household`, `household_id` or `address` if there is
    /// one (case-insensitive), else no household constraint.
    #[default]
    Auto,
    /// Use this column; it must exist.
    Named(String),
}

/// Column names [`HouseholdColumn::Auto`] recognises.
pub const HOUSEHOLD_COLUMN_NAMES: [&str; 3] = ["household", "household_id", "address"];

fn parse_err(file: &str, line: u64, problem: impl Into<String>) -> SortitionError {
    SortitionError::Parse {
        file: file.to_string(),
        line,
        problem: problem.into(),
    }
}

fn reader<R: Read>(r: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(r)
}

fn csv_err(file: &str, e: csv::Error) -> SortitionError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    let problem = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_string(),
        _ => e.to_string(),
    };
    parse_err(file, line, problem)
}

fn headers<R: Read>(rdr: &mut csv::Reader<R>, file: &str) -> Result<Vec<String>> {
    let h = rdr.headers().map_err(|e| csv_err(file, e))?;
    if h.is_empty() || (h.len() == 1 && h[0].is_empty()) {
        return Err(parse_err(file, 1, "empty file: no header line"));
    }
    Ok(h.iter()
        .map(|s| s.trim_start_matches('\u{feff}').trim().to_string())
        .collect())
}

fn parse_count(file: &str, line: u64, column: &str, cell: &str) -> Result<u32> {
    cell.parse::<u32>().map_err(|_| {
        parse_err(
            file,
            line,
            format!("column '{column}': '{cell}' is not a non-negative whole number"),
        )
    })
}

/// Reads a categories file in either known format. `file` names it in errors.
pub fn read_categories<R: Read>(r: R, file: &str) -> Result<Vec<Category>> {
    let mut rdr = reader(r);
    let h = headers(&mut rdr, file)?;
    let lower: Vec<String> = h.iter().map(|s| s.to_lowercase()).collect();
    let col = |name: &str| lower.iter().position(|c| c == name);
    let (ci, vi) = match (col("category"), col("feature"), col("value")) {
        (Some(c), Some(f), _) => (c, f),
        (None, Some(f), Some(v)) => (f, v),
        _ => {
            return Err(parse_err(
                file,
                1,
                format!(
                    "unknown header '{}': expected 'category,feature,min,max' or \
                     'feature,value,min,max[,min_flex,max_flex]'",
                    h.join(",")
                ),
            ));
        }
    };
    let (Some(mini), Some(maxi)) = (col("min"), col("max")) else {
        return Err(parse_err(file, 1, "header lacks a 'min' or 'max' column"));
    };
    let (minf, maxf) = (col("min_flex"), col("max_flex"));
    let mut cats: Vec<Category> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_err(file, e))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let cat = &rec[ci];
        let val = &rec[vi];
        if cat.is_empty() || val.is_empty() {
            return Err(parse_err(file, line, "empty category or value name"));
        }
        let min = parse_count(file, line, &h[mini], &rec[mini])?;
        let max = parse_count(file, line, &h[maxi], &rec[maxi])?;
        if min > max {
            return Err(parse_err(
                file,
                line,
                format!("{cat}={val}: min {min} is above max {max}"),
            ));
        }
        let flex = |i: Option<usize>| -> Result<Option<u32>> {
            match i {
                Some(i) if !rec[i].is_empty() => parse_count(file, line, &h[i], &rec[i]).map(Some),
                _ => Ok(None),
            }
        };
        let (min_flex, max_flex) = (flex(minf)?, flex(maxf)?);
        let c = *index.entry(cat.to_string()).or_insert_with(|| {
            cats.push(Category {
                name: cat.to_string(),
                values: Vec::new(),
            });
            cats.len() - 1
        });
        if cats[c].value_index(val).is_some() {
            return Err(parse_err(
                file,
                line,
                format!("{cat}={val} is listed twice"),
            ));
        }
        cats[c].values.push(FeatureValue {
            name: val.to_string(),
            min,
            max,
            min_flex,
            max_flex,
        });
    }
    if cats.is_empty() {
        return Err(parse_err(file, 1, "no categories listed"));
    }
    Ok(cats)
}

/// Reads the pool of people. Every category must have a column whose cells are
/// values of that category.
pub fn read_people<R: Read>(
    r: R,
    file: &str,
    categories: &[Category],
    household: &HouseholdColumn,
) -> Result<Vec<Person>> {
    let mut rdr = reader(r);
    let h = headers(&mut rdr, file)?;
    let find = |name: &str| h.iter().position(|c| c == name);
    let find_ci = |name: &str| h.iter().position(|c| c.eq_ignore_ascii_case(name));
    let mut cat_cols = Vec::with_capacity(categories.len());
    for c in categories {
        let i = find(&c.name).or_else(|| find_ci(&c.name)).ok_or_else(|| {
            parse_err(
                file,
                1,
                format!("no column for category '{}' in the header", c.name),
            )
        })?;
        cat_cols.push(i);
    }
    let id_col = find_ci("id").or_else(|| find_ci("nationbuilder_id"));
    let hh_col = match household {
        HouseholdColumn::None => None,
        HouseholdColumn::Auto => HOUSEHOLD_COLUMN_NAMES.iter().find_map(|n| find_ci(n)),
        HouseholdColumn::Named(n) => Some(find(n).or_else(|| find_ci(n)).ok_or_else(|| {
            parse_err(file, 1, format!("no household column '{n}' in the header"))
        })?),
    };
    let mut people = Vec::new();
    let mut ids: HashMap<String, u64> = HashMap::new();
    for (row, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| csv_err(file, e))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let id = match id_col {
            Some(i) => {
                if rec[i].is_empty() {
                    return Err(parse_err(file, line, format!("empty '{}'", h[i])));
                }
                rec[i].to_string()
            }
            None => row.to_string(),
        };
        if let Some(prev) = ids.insert(id.clone(), line) {
            return Err(parse_err(
                file,
                line,
                format!("id '{id}' already used on line {prev}"),
            ));
        }
        let mut features = Vec::with_capacity(categories.len());
        for (c, &col) in categories.iter().zip(&cat_cols) {
            let cell = &rec[col];
            let v = c.value_index(cell).ok_or_else(|| {
                let known: Vec<&str> = c.values.iter().map(|v| v.name.as_str()).collect();
                parse_err(
                    file,
                    line,
                    format!(
                        "'{cell}' is not a value of category '{}' (known: {})",
                        c.name,
                        known.join(", ")
                    ),
                )
            })?;
            features.push(v);
        }
        let household = hh_col.map(|i| rec[i].to_string()).filter(|s| !s.is_empty());
        people.push(Person {
            id,
            features,
            household,
        });
    }
    Ok(people)
}

/// Reads both files and builds the instance for a panel of `panel_size`.
pub fn load_instance(
    categories: &Path,
    people: &Path,
    panel_size: usize,
    household: &HouseholdColumn,
) -> Result<Instance> {
    let open = |p: &Path| {
        std::fs::File::open(p).map_err(|e| parse_err(&p.display().to_string(), 0, e.to_string()))
    };
    let cname = categories.display().to_string();
    let cats = read_categories(open(categories)?, &cname)?;
    let pname = people.display().to_string();
    let pool = read_people(open(people)?, &pname, &cats, household)?;
    Instance::new(cats, pool, panel_size)
}

/// Writes the quotas as `category,feature,min,max` (replication-package format).
pub fn write_categories<W: std::io::Write>(inst: &Instance, w: W) -> Result<()> {
    let mut wtr = csv::Writer::from_writer(w);
    let err = |e: csv::Error| parse_err("output", 0, e.to_string());
    wtr.write_record(["category", "feature", "min", "max"])
        .map_err(err)?;
    for c in &inst.categories {
        for v in &c.values {
            wtr.write_record([&c.name, &v.name, &v.min.to_string(), &v.max.to_string()])
                .map_err(err)?;
        }
    }
    wtr.flush()
        .map_err(|e| parse_err("output", 0, e.to_string()))
}

/// Writes the pool with an `id` column, one column per category and, when some
/// person has one, a `household` column.
pub fn write_people<W: std::io::Write>(inst: &Instance, w: W) -> Result<()> {
    let mut wtr = csv::Writer::from_writer(w);
    let err = |e: csv::Error| parse_err("output", 0, e.to_string());
    let hh = inst.people.iter().any(|p| p.household.is_some());
    let mut header = vec!["id".to_string()];
    header.extend(inst.categories.iter().map(|c| c.name.clone()));
    if hh {
        header.push("household".into());
    }
    wtr.write_record(&header).map_err(err)?;
    for (i, p) in inst.people.iter().enumerate() {
        let mut rec = vec![p.id.clone()];
        rec.extend((0..inst.categories.len()).map(|c| inst.value_name(i, c).to_string()));
        if hh {
            rec.push(p.household.clone().unwrap_or_default());
        }
        wtr.write_record(&rec).map_err(err)?;
    }
    wtr.flush()
        .map_err(|e| parse_err("output", 0, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_of(e: SortitionError) -> (u64, String) {
        match e {
            SortitionError::Parse { line, problem, .. } => (line, problem),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn write_then_read_round_trips() {
        let mut b = crate::InstanceBuilder::new();
        b.quota("g", "f", 1, 2)
            .unwrap()
            .quota("g", "m", 0, 2)
            .unwrap();
        b.person("x", &[("g", "m")], Some("h1")).unwrap();
        b.person("y", &[("g", "f")], None).unwrap();
        let inst = b.build(1).unwrap();
        let (mut c, mut p) = (Vec::new(), Vec::new());
        write_categories(&inst, &mut c).unwrap();
        write_people(&inst, &mut p).unwrap();
        let cats = read_categories(c.as_slice(), "c").unwrap();
        let people = read_people(p.as_slice(), "p", &cats, &HouseholdColumn::Auto).unwrap();
        assert_eq!(Instance::new(cats, people, 1).unwrap(), inst);
    }

    #[test]
    fn both_category_formats() {
        let a = read_categories(
            "category,feature,min,max\ngender,female,9,20\ngender,male,9,20\nleaning,left,1,2\n"
                .as_bytes(),
            "a",
        )
        .unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].values[1].name, "male");
        assert_eq!((a[1].values[0].min, a[1].values[0].max), (1, 2));
        let b = read_categories(
            "feature,value,min,max,min_flex,max_flex\nGender,Female,11,12,0,12\nGender,Male,10,11,0,13\n"
                .as_bytes(),
            "b",
        )
        .unwrap();
        assert_eq!(b[0].name, "Gender");
        assert_eq!(b[0].values[1].max_flex, Some(13));
        let c = read_categories("feature,value,min,max\nG,F,1,2\n".as_bytes(), "c").unwrap();
        assert_eq!(c[0].values[0].min_flex, None);
    }

    #[test]
    fn category_errors_name_the_line() {
        let e = read_categories(
            "category,feature,min,max\ng,f,1,2\ng,m,x,2\n".as_bytes(),
            "c",
        );
        let (line, p) = line_of(e.unwrap_err());
        assert_eq!(line, 3);
        assert!(p.contains("'x'"), "{p}");
        let (line, p) = line_of(
            read_categories("category,feature,min,max\ng,f,3,2\n".as_bytes(), "c").unwrap_err(),
        );
        assert_eq!(line, 2);
        assert!(p.contains("above"));
        let (line, p) = line_of(
            read_categories(
                "category,feature,min,max\ng,f,1,2\ng,f,1,2\n".as_bytes(),
                "c",
            )
            .unwrap_err(),
        );
        assert_eq!(line, 3);
        assert!(p.contains("twice"));
        let (line, _) = line_of(read_categories("a,b,c\n1,2,3\n".as_bytes(), "c").unwrap_err());
        assert_eq!(line, 1);
        let (line, p) = line_of(
            read_categories("category,feature,min,max\ng,f,1\n".as_bytes(), "c").unwrap_err(),
        );
        assert_eq!(line, 2);
        assert!(p.contains("fields"), "{p}");
    }

    fn cats() -> Vec<Category> {
        read_categories(
            "category,feature,min,max\ngender,female,1,2\ngender,male,1,2\nage,young,0,2\nage,old,0,2\n"
                .as_bytes(),
            "c",
        )
        .unwrap()
    }

    #[test]
    fn people_ids_and_households() {
        let c = cats();
        let p = read_people(
            "age,gender\nold,female\nyoung,male\n".as_bytes(),
            "p",
            &c,
            &HouseholdColumn::Auto,
        )
        .unwrap();
        assert_eq!(p[0].id, "0");
        assert_eq!(p[1].id, "1");
        assert_eq!(p[0].features, vec![0, 1]);
        assert_eq!(p[1].household, None);
        let p = read_people(
            "nationbuilder_id,gender,age,household\nx7,female,old,h1\nx8,male,young,\n".as_bytes(),
            "p",
            &c,
            &HouseholdColumn::Auto,
        )
        .unwrap();
        assert_eq!(p[0].id, "x7");
        assert_eq!(p[0].household.as_deref(), Some("h1"));
        assert_eq!(p[1].household, None);
        let p = read_people(
            "id,gender,age,household\na,female,old,h1\n".as_bytes(),
            "p",
            &c,
            &HouseholdColumn::None,
        )
        .unwrap();
        assert_eq!(p[0].household, None);
        let p = read_people(
            "id,gender,age,addr\na,female,old,h1\n".as_bytes(),
            "p",
            &c,
            &HouseholdColumn::Named("addr".into()),
        )
        .unwrap();
        assert_eq!(p[0].household.as_deref(), Some("h1"));
    }

    #[test]
    fn people_errors_name_the_line() {
        let c = cats();
        let hc = HouseholdColumn::Auto;
        let (line, p) = line_of(
            read_people(
                "id,gender,age\na,female,old\nb,other,old\n".as_bytes(),
                "p",
                &c,
                &hc,
            )
            .unwrap_err(),
        );
        assert_eq!(line, 3);
        assert!(p.contains("'other'") && p.contains("gender"), "{p}");
        let (line, p) = line_of(
            read_people(
                "id,gender,age\na,female,old\na,male,old\n".as_bytes(),
                "p",
                &c,
                &hc,
            )
            .unwrap_err(),
        );
        assert_eq!(line, 3);
        assert!(p.contains("line 2"), "{p}");
        let (line, p) =
            line_of(read_people("id,gender\na,female\n".as_bytes(), "p", &c, &hc).unwrap_err());
        assert_eq!(line, 1);
        assert!(p.contains("'age'"));
        let (line, _) = line_of(
            read_people(
                "id,gender,age\na,female,old\n".as_bytes(),
                "p",
                &c,
                &HouseholdColumn::Named("hh".into()),
            )
            .unwrap_err(),
        );
        assert_eq!(line, 1);
    }
}
