//! Areas: the gemeente, its wijken and buurten, with CBS codes, boundaries and population
//! figures. Maps are drawn from them as SVG on the server.

use super::geo::{self, BBox, Polygon, Projection};
use crate::db::{Db, DbError};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Area {
    pub id: i64,
    pub tenant_id: i64,
    pub parent_id: Option<i64>,
    pub kind: String,
    pub code: String,
    pub name: String,
    pub population: Option<i64>,
    pub stats: String,
}

/// CBS core figures of an area (absent figures are `None`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct AreaStats {
    pub inhabitants: Option<i64>,
    pub men: Option<i64>,
    pub women: Option<i64>,
    /// Ages 0–15, 15–25, 25–45, 45–65, 65+.
    pub age_bands: Option<[i64; 5]>,
    pub households: Option<i64>,
    /// Education low, middle, high (ages 15–75).
    pub education: Option<[i64; 3]>,
}

pub const AGE_BANDS: [&str; 5] = ["0–15", "15–25", "25–45", "45–65", "65+"];

impl Area {
    pub fn stats(&self) -> AreaStats {
        serde_json::from_str(&self.stats).unwrap_or_default()
    }
}

const COLS: &str = "id, tenant_id, parent_id, kind, code, name, population, stats";

pub async fn of_tenant(db: &Db, tenant_id: i64, kind: Option<&str>) -> Result<Vec<Area>, DbError> {
    let sql = format!(
        "SELECT {COLS} FROM areas WHERE tenant_id = $1 AND ($2 = '' OR kind = $2) ORDER BY kind, name"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .bind(kind.unwrap_or(""))
        .fetch_all(db.pool())
        .await
}

pub async fn by_id(db: &Db, tenant_id: i64, id: i64) -> Result<Option<Area>, DbError> {
    let sql = format!("SELECT {COLS} FROM areas WHERE tenant_id = $1 AND id = $2");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(db.pool())
        .await
}

pub async fn children(db: &Db, tenant_id: i64, parent_id: i64) -> Result<Vec<Area>, DbError> {
    let sql =
        format!("SELECT {COLS} FROM areas WHERE tenant_id = $1 AND parent_id = $2 ORDER BY name");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .bind(parent_id)
        .fetch_all(db.pool())
        .await
}

/// Geometries of a tenant's areas of one kind: (area id, polygons).
pub async fn geometries(
    db: &Db,
    tenant_id: i64,
    kind: &str,
) -> Result<Vec<(i64, Vec<Polygon>)>, DbError> {
    let rows: Vec<(i64, Option<String>)> = sqlx::query_as(
        "SELECT id, geometry FROM areas WHERE tenant_id = $1 AND kind = $2 ORDER BY id",
    )
    .bind(tenant_id)
    .bind(kind)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, g)| {
            (
                id,
                g.as_deref().map(geo::parse_geometry).unwrap_or_default(),
            )
        })
        .collect())
}

/// The area of `kind` containing (lon, lat), if any.
pub async fn locate(
    db: &Db,
    tenant_id: i64,
    kind: &str,
    lon: f64,
    lat: f64,
) -> Result<Option<i64>, DbError> {
    Ok(geometries(db, tenant_id, kind)
        .await?
        .into_iter()
        .find(|(_, p)| geo::contains(p, lon, lat))
        .map(|(id, _)| id))
}

/// One clickable shape of a map.
#[derive(Debug, Clone, Serialize)]
pub struct MapShape {
    pub area_id: i64,
    pub name: String,
    pub d: String,
    pub href: String,
    /// Shade 0 (none) to 4 (most).
    pub level: u8,
    pub count: i64,
    pub label_x: f64,
    pub label_y: f64,
    pub selected: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct MapMarker {
    pub x: f64,
    pub y: f64,
    pub label: String,
    pub href: String,
}

/// An SVG map ready for the `kern/map.html` partial.
#[derive(Debug, Clone, Serialize)]
pub struct AreaMap {
    pub title: String,
    pub width: f64,
    pub height: f64,
    pub shapes: Vec<MapShape>,
    pub markers: Vec<MapMarker>,
    #[serde(skip)]
    pub projection: Option<Projection>,
}

impl AreaMap {
    pub fn view_box(&self) -> String {
        format!("0 0 {:.0} {:.0}", self.width, self.height)
    }
    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }
    /// Place a point (lon, lat) on the map as a marker.
    pub fn marker(&mut self, lon: f64, lat: f64, label: String, href: String) {
        if let Some(p) = &self.projection {
            let (x, y) = p.project(lon, lat);
            self.markers.push(MapMarker { x, y, label, href });
        }
    }
}

/// Draw the areas of `kind` of a tenant. `counts` gives a number per area (e.g. active
/// trajectories) that decides the shade; `href` builds each shape's link.
/// The projected outlines of a municipality's areas of one kind: computed once and kept
/// for [`BASE_TTL`], since parsing and projecting GeoJSON on every page view is the most
/// expensive part of a page. An area import calls [`invalidate`].
struct BaseMap {
    projection: Option<Projection>,
    shapes: Vec<(Area, String, f64, f64)>,
}

const BASE_TTL: std::time::Duration = std::time::Duration::from_secs(300);

type BaseCache = std::sync::Mutex<
    std::collections::HashMap<(i64, String), (std::time::Instant, std::sync::Arc<BaseMap>)>,
>;

fn base_cache() -> &'static BaseCache {
    static C: std::sync::OnceLock<BaseCache> = std::sync::OnceLock::new();
    C.get_or_init(Default::default)
}

/// Forget the cached outlines of a municipality (after its areas changed).
pub fn invalidate(tenant_id: i64) {
    base_cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|k, _| k.0 != tenant_id);
}

async fn base_map(db: &Db, tenant_id: i64, kind: &str) -> Result<std::sync::Arc<BaseMap>, DbError> {
    let key = (tenant_id, kind.to_string());
    if let Some((at, m)) = base_cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&key)
        && at.elapsed() < BASE_TTL
    {
        return Ok(m.clone());
    }
    let areas = of_tenant(db, tenant_id, Some(kind)).await?;
    let geoms: std::collections::HashMap<i64, Vec<Polygon>> =
        geometries(db, tenant_id, kind).await?.into_iter().collect();
    let mut bbox = BBox::empty();
    for p in geoms.values() {
        bbox.extend(p);
    }
    let map = if bbox.is_empty() {
        BaseMap {
            projection: None,
            shapes: vec![],
        }
    } else {
        let proj = Projection::fit(bbox, 640.0);
        let shapes = areas
            .into_iter()
            .filter_map(|a| {
                let polys = geoms.get(&a.id)?;
                if polys.is_empty() {
                    return None;
                }
                let (cx, cy) = geo::centroid(polys).unwrap_or((0.0, 0.0));
                let (lx, ly) = proj.project(cx, cy);
                let d = geo::svg_path(polys, &proj);
                Some((a, d, lx, ly))
            })
            .collect();
        BaseMap {
            projection: Some(proj),
            shapes,
        }
    };
    let map = std::sync::Arc::new(map);
    base_cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, (std::time::Instant::now(), map.clone()));
    Ok(map)
}

pub async fn draw_map(
    db: &Db,
    tenant_id: i64,
    kind: &str,
    title: String,
    counts: &std::collections::HashMap<i64, i64>,
    selected: Option<i64>,
    href: impl Fn(&Area) -> String,
) -> Result<AreaMap, DbError> {
    let base = base_map(db, tenant_id, kind).await?;
    let Some(proj) = base.projection else {
        return Ok(AreaMap {
            title,
            width: 0.0,
            height: 0.0,
            shapes: vec![],
            markers: vec![],
            projection: None,
        });
    };
    let max = counts.values().copied().max().unwrap_or(0).max(1);
    let shapes = base
        .shapes
        .iter()
        .map(|(a, d, label_x, label_y)| {
            let count = counts.get(&a.id).copied().unwrap_or(0);
            let level = if count == 0 {
                0
            } else {
                (1 + (count * 3 / max)).min(4) as u8
            };
            MapShape {
                area_id: a.id,
                name: a.name.clone(),
                d: d.clone(),
                href: href(a),
                level,
                count,
                label_x: *label_x,
                label_y: *label_y,
                selected: selected == Some(a.id),
            }
        })
        .collect();
    Ok(AreaMap {
        title,
        width: proj.width,
        height: proj.height,
        shapes,
        markers: vec![],
        projection: Some(proj),
    })
}
