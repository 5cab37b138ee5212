//! Embeds the SQL migrations and the static assets (with content hashes for cache busting).

use std::collections::hash_map::DefaultHasher;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::path::Path;

fn main() {
    let out = std::env::var("OUT_DIR").unwrap();
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap();

    // Migrations: migrations/NNNN_name.sql, applied in version order.
    println!("cargo:rerun-if-changed=migrations");
    let mut migs: Vec<(u32, String, String)> = Vec::new();
    for entry in std::fs::read_dir(Path::new(&root).join("migrations")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".sql") {
            continue;
        }
        let (num, rest) = name.split_once('_').expect("migration name NNNN_name.sql");
        let version: u32 = num.parse().expect("migration number");
        migs.push((
            version,
            rest.trim_end_matches(".sql").to_string(),
            path.display().to_string(),
        ));
    }
    migs.sort();
    for w in migs.windows(2) {
        assert!(w[0].0 != w[1].0, "duplicate migration version {}", w[0].0);
    }
    let mut code = String::from("pub static MIGRATIONS: &[(i64, &str, &str)] = &[\n");
    for (v, n, p) in &migs {
        writeln!(code, "    ({v}, {n:?}, include_str!({p:?})),").unwrap();
    }
    code.push_str("];\n");
    std::fs::write(Path::new(&out).join("migrations.rs"), code).unwrap();

    // Message catalogues: i18n/<lang>/<module>.toml.
    println!("cargo:rerun-if-changed=i18n");
    let mut cats = Vec::new();
    collect(&Path::new(&root).join("i18n"), &mut cats);
    cats.sort();
    let mut code = String::from("pub static CATALOGS: &[(&str, &str, &str)] = &[\n");
    for p in &cats {
        let lang = p
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let module = p.file_stem().unwrap().to_string_lossy().to_string();
        writeln!(
            code,
            "    ({lang:?}, {module:?}, include_str!({:?})),",
            p.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    std::fs::write(Path::new(&out).join("catalogs.rs"), code).unwrap();

    // Assets: assets/** served at /assets/<path> with a content hash in the name.
    println!("cargo:rerun-if-changed=assets");
    let mut files = Vec::new();
    collect(&Path::new(&root).join("assets"), &mut files);
    files.sort();
    let mut code = String::from("pub static ASSETS: &[(&str, &str, &[u8])] = &[\n");
    for p in &files {
        let rel = p
            .strip_prefix(Path::new(&root).join("assets"))
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(p).unwrap();
        let mut h = DefaultHasher::new();
        bytes.hash(&mut h);
        let hash = format!("{:08x}", h.finish() as u32);
        let hashed = match rel.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
            None => format!("{rel}.{hash}"),
        };
        writeln!(
            code,
            "    ({rel:?}, {hashed:?}, include_bytes!({:?})),",
            p.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    std::fs::write(Path::new(&out).join("assets.rs"), code).unwrap();
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}
