//! The demo: Haarlem and Zaanstad in the Metropoolregio Amsterdam, with their real wijken
//! and buurten (boundaries and CBS figures 2024, see demo/geo/SOURCES.md), accounts in
//! every role, and the participation ladder and themes. Modules add their own demo data
//! through [`crate::modules::load_demo`].

use super::admin::{ImportedArea, import_areas, parse_areas_geojson, set_area_stats};
use super::areas::AreaStats;
use super::{accounts, platform};
use crate::web::AppState;
use crate::web::ctx::Role;

static GEMEENTEN: &str = include_str!("../../../demo/geo/gemeenten.geojson");
static WIJKEN: &str = include_str!("../../../demo/geo/wijken.geojson");
static BUURTEN: &str = include_str!("../../../demo/geo/buurten.geojson");
static KWB: &str = include_str!("../../../demo/geo/kwb_2024.csv");

/// The password of every demo account (README).
pub const DEMO_PASSWORD: &str = "meedoen-demo";

pub struct DemoTenant {
    pub slug: &'static str,
    pub name: &'static str,
    pub cbs: &'static str,
    pub primary: &'static str,
    pub intro: &'static str,
}

pub const DEMO_TENANTS: [DemoTenant; 2] = [
    DemoTenant {
        slug: "haarlem",
        name: "Haarlem",
        cbs: "GM0392",
        primary: "#a3162d",
        intro: "Praat mee over plannen in uw wijk. Hier ziet u waar de gemeente Haarlem uw mening over vraagt, wat er met uw inbreng gebeurt en wanneer u iets terughoort.",
    },
    DemoTenant {
        slug: "zaanstad",
        name: "Zaanstad",
        cbs: "GM0479",
        primary: "#005a87",
        intro: "Doe mee in Zaanstad. Bekijk de plannen in uw buurt, geef uw mening en volg wat er met uw inbreng gebeurt.",
    },
];

/// Demo accounts: (e-mail local part, name, roles). The domain is the tenant slug.
pub const DEMO_PEOPLE: [(&str, &str, &[Role]); 7] = [
    ("beheerder", "Bea Beheer", &[Role::Beheerder]),
    (
        "procesbegeleider",
        "Pieter Proces",
        &[Role::Procesbegeleider],
    ),
    ("moderator", "Mo de Rator", &[Role::Moderator]),
    ("griffie", "Greet Griffie", &[Role::Griffie]),
    ("raadslid", "Rien Raad", &[Role::Raadslid]),
    ("inwoner", "Ineke Inwoner", &[]),
    ("inwoner2", "Ibrahim Inwoner", &[]),
];

pub fn demo_email(local: &str, slug: &str) -> String {
    format!("{local}@{slug}.demo")
}

pub const PLATFORM_EMAIL: &str = "platform@meedoen.demo";

/// Load the demo unless it is there already. Returns whether it was loaded now.
pub async fn load(state: &AppState) -> anyhow::Result<bool> {
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM tenants WHERE slug = 'haarlem'")
        .fetch_optional(state.db.pool())
        .await?;
    if exists.is_some() {
        return Ok(false);
    }
    let hash = crate::web::security::hash_password(DEMO_PASSWORD)?;
    let mut tx = state.db.begin().await?;
    let platform_id =
        accounts::create(&mut tx, PLATFORM_EMAIL, "Platformbeheer", Some(&hash), None).await?;
    sqlx::query("UPDATE users SET is_platform_admin = 1 WHERE id = $1")
        .bind(platform_id)
        .execute(&mut *tx)
        .await?;
    let mut ids = Vec::new();
    for dt in &DEMO_TENANTS {
        let id = platform::create(
            &mut tx,
            dt.slug,
            dt.name,
            "Metropoolregio Amsterdam",
            Some(dt.cbs),
        )
        .await?;
        sqlx::query(
            "UPDATE tenants SET color_primary = $1, intro = $2, contact_email = $3 WHERE id = $4",
        )
        .bind(dt.primary)
        .bind(dt.intro)
        .bind(format!("participatie@{}.demo", dt.slug))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        for (local, name, roles) in DEMO_PEOPLE {
            let uid = accounts::create(
                &mut tx,
                &demo_email(local, dt.slug),
                name,
                Some(&hash),
                Some(id),
            )
            .await?;
            for r in roles {
                accounts::grant(&mut tx, uid, id, *r).await?;
            }
        }
        for topic in [
            "Groen",
            "Verkeer",
            "Wonen",
            "Spelen",
            "Veiligheid",
            "Cultuur",
            "Duurzaamheid",
        ] {
            sqlx::query("INSERT INTO topics (tenant_id, slug, name) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(super::admin::slugify(topic))
                .bind(topic)
                .execute(&mut *tx)
                .await?;
        }
        ids.push((id, dt.cbs));
    }
    tx.commit().await?;

    for (tenant_id, cbs) in &ids {
        let mut list: Vec<ImportedArea> = Vec::new();
        for text in [GEMEENTEN, WIJKEN, BUURTEN] {
            let parsed = parse_areas_geojson(text, None)
                .map_err(|e| anyhow::anyhow!("demo-geografie: {}", e.join("; ")))?;
            list.extend(parsed.into_iter().filter(|a| a.code[2..6] == cbs[2..6]));
        }
        import_areas(state, *tenant_id, &list, None).await?;
        let mut tx = state.db.begin().await?;
        for (code, stats) in kwb_stats(cbs)? {
            set_area_stats(&mut tx, *tenant_id, &code, &stats).await?;
        }
        tx.commit().await?;
    }
    crate::modules::load_demo(state).await?;
    tracing::info!("demo geladen: Haarlem en Zaanstad");
    Ok(true)
}

/// CBS figures per area code from the embedded extract.
pub fn kwb_stats(gemeente: &str) -> anyhow::Result<Vec<(String, AreaStats)>> {
    let mut rdr = csv::Reader::from_reader(KWB.as_bytes());
    let headers = rdr.headers()?.clone();
    let idx = |name: &str| headers.iter().position(|h| h == name);
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec?;
        let get = |name: &str| -> Option<i64> {
            idx(name)
                .and_then(|i| rec.get(i))
                .and_then(|v| v.trim().parse::<f64>().ok())
                .map(|v| v as i64)
        };
        let Some(code) = idx("code").and_then(|i| rec.get(i)) else {
            continue;
        };
        if idx("gemeentecode").and_then(|i| rec.get(i)) != Some(gemeente) {
            continue;
        }
        let bands = [
            "leeftijd_0_15",
            "leeftijd_15_25",
            "leeftijd_25_45",
            "leeftijd_45_65",
            "leeftijd_65_plus",
        ]
        .map(get);
        let edu = ["opleiding_laag", "opleiding_midden", "opleiding_hoog"].map(get);
        out.push((
            code.to_string(),
            AreaStats {
                inhabitants: get("inwoners"),
                men: get("mannen"),
                women: get("vrouwen"),
                age_bands: if bands.iter().all(Option::is_some) {
                    Some(bands.map(|b| b.unwrap_or(0)))
                } else {
                    None
                },
                households: get("huishoudens"),
                education: if edu.iter().all(Option::is_some) {
                    Some(edu.map(|b| b.unwrap_or(0)))
                } else {
                    None
                },
            },
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_geography_parses_and_has_figures() {
        let w = parse_areas_geojson(WIJKEN, None).unwrap();
        assert_eq!(
            w.iter().filter(|a| a.code.starts_with("WK0392")).count(),
            21
        );
        assert_eq!(
            w.iter().filter(|a| a.code.starts_with("WK0479")).count(),
            19
        );
        let stats = kwb_stats("GM0392").unwrap();
        let gm = stats.iter().find(|(c, _)| c == "GM0392").unwrap();
        assert_eq!(gm.1.inhabitants, Some(167_636));
        assert!(gm.1.education.is_some());
    }
}
