//! Geometry for maps drawn on the server: GeoJSON polygons (WGS84 lon/lat) projected to
//! SVG paths, centroids for labels, and point-in-polygon to place an address or a map
//! click in an area.

use serde_json::Value;

/// A polygon as rings of (lon, lat); the first ring is the outline, the others holes.
pub type Polygon = Vec<Vec<(f64, f64)>>;

/// Parse a GeoJSON geometry (Polygon or MultiPolygon) into polygons.
pub fn parse_geometry(json: &str) -> Vec<Polygon> {
    let Ok(v) = serde_json::from_str::<Value>(json) else {
        return vec![];
    };
    geometry_polygons(&v)
}

pub fn geometry_polygons(v: &Value) -> Vec<Polygon> {
    let ring = |r: &Value| -> Vec<(f64, f64)> {
        r.as_array()
            .map(|pts| {
                pts.iter()
                    .filter_map(|p| {
                        let a = p.as_array()?;
                        Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let polygon = |p: &Value| -> Polygon {
        p.as_array()
            .map(|rings| rings.iter().map(ring).filter(|r| r.len() >= 3).collect())
            .unwrap_or_default()
    };
    match v.get("type").and_then(Value::as_str) {
        Some("Polygon") => v.get("coordinates").map(polygon).into_iter().collect(),
        Some("MultiPolygon") => v
            .get("coordinates")
            .and_then(Value::as_array)
            .map(|ps| ps.iter().map(polygon).collect())
            .unwrap_or_default(),
        _ => vec![],
    }
}

#[derive(Clone, Copy, Debug)]
pub struct BBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl BBox {
    pub fn empty() -> BBox {
        BBox {
            min_lon: f64::INFINITY,
            min_lat: f64::INFINITY,
            max_lon: f64::NEG_INFINITY,
            max_lat: f64::NEG_INFINITY,
        }
    }
    pub fn extend(&mut self, polys: &[Polygon]) {
        for p in polys {
            for r in p {
                for &(x, y) in r {
                    self.min_lon = self.min_lon.min(x);
                    self.max_lon = self.max_lon.max(x);
                    self.min_lat = self.min_lat.min(y);
                    self.max_lat = self.max_lat.max(y);
                }
            }
        }
    }
    pub fn is_empty(&self) -> bool {
        !self.min_lon.is_finite()
    }
}

/// An equirectangular projection with the longitude scaled by cos(latitude), fitted to
/// a box `width` wide: accurate enough for a municipality.
#[derive(Clone, Copy, Debug)]
pub struct Projection {
    bbox: BBox,
    kx: f64,
    scale: f64,
    pad: f64,
    pub width: f64,
    pub height: f64,
}

impl Projection {
    pub fn fit(bbox: BBox, width: f64) -> Projection {
        let lat0 = ((bbox.min_lat + bbox.max_lat) / 2.0).to_radians();
        let kx = lat0.cos();
        let w = ((bbox.max_lon - bbox.min_lon) * kx).max(1e-9);
        let h = (bbox.max_lat - bbox.min_lat).max(1e-9);
        let pad = 8.0;
        let scale = (width - 2.0 * pad) / w;
        Projection {
            bbox,
            kx,
            scale,
            pad,
            width,
            height: h * scale + 2.0 * pad,
        }
    }
    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            self.pad + (lon - self.bbox.min_lon) * self.kx * self.scale,
            self.pad + (self.bbox.max_lat - lat) * self.scale,
        )
    }
    /// From SVG coordinates back to (lon, lat), for clicks on the map.
    pub fn unproject(&self, x: f64, y: f64) -> (f64, f64) {
        (
            self.bbox.min_lon + (x - self.pad) / (self.kx * self.scale),
            self.bbox.max_lat - (y - self.pad) / self.scale,
        )
    }
}

/// SVG path data for polygons (use `fill-rule="evenodd"` for holes).
pub fn svg_path(polys: &[Polygon], proj: &Projection) -> String {
    use std::fmt::Write;
    let mut d = String::new();
    for p in polys {
        for r in p {
            for (i, &(lon, lat)) in r.iter().enumerate() {
                let (x, y) = proj.project(lon, lat);
                let _ = write!(d, "{}{:.1} {:.1}", if i == 0 { "M" } else { "L" }, x, y);
            }
            d.push('Z');
        }
    }
    d
}

/// The area-weighted centroid of the largest polygon's outline.
pub fn centroid(polys: &[Polygon]) -> Option<(f64, f64)> {
    let outline = polys
        .iter()
        .filter_map(|p| p.first())
        .max_by(|a, b| ring_area(a).abs().total_cmp(&ring_area(b).abs()))?;
    let a = ring_area(outline);
    if a.abs() < 1e-15 {
        let n = outline.len() as f64;
        let (sx, sy) = outline
            .iter()
            .fold((0.0, 0.0), |(sx, sy), p| (sx + p.0, sy + p.1));
        return Some((sx / n, sy / n));
    }
    let mut cx = 0.0;
    let mut cy = 0.0;
    for w in outline.windows(2) {
        let (x0, y0) = w[0];
        let (x1, y1) = w[1];
        let f = x0 * y1 - x1 * y0;
        cx += (x0 + x1) * f;
        cy += (y0 + y1) * f;
    }
    Some((cx / (6.0 * a), cy / (6.0 * a)))
}

fn ring_area(r: &[(f64, f64)]) -> f64 {
    r.windows(2)
        .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
        .sum::<f64>()
        / 2.0
}

fn in_ring(r: &[(f64, f64)], x: f64, y: f64) -> bool {
    let mut inside = false;
    let n = r.len();
    let mut j = n - 1;
    for i in 0..n {
        let (xi, yi) = r[i];
        let (xj, yj) = r[j];
        if ((yi > y) != (yj > y)) && (x < (xj - xi) * (y - yi) / (yj - yi) + xi) {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// Whether (lon, lat) lies inside the polygons (holes excluded).
pub fn contains(polys: &[Polygon], lon: f64, lat: f64) -> bool {
    polys.iter().any(|p| {
        p.first().is_some_and(|outer| in_ring(outer, lon, lat))
            && !p.iter().skip(1).any(|hole| in_ring(hole, lon, lat))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[4.0,52.0],[4.1,52.0],[4.1,52.1],[4.0,52.1],[4.0,52.0]]]}"#;

    #[test]
    fn parse_project_and_contain() {
        let p = parse_geometry(SQUARE);
        assert_eq!(p.len(), 1);
        assert!(contains(&p, 4.05, 52.05));
        assert!(!contains(&p, 4.2, 52.05));
        let (cx, cy) = centroid(&p).unwrap();
        assert!((cx - 4.05).abs() < 1e-9 && (cy - 52.05).abs() < 1e-9);
        let mut b = BBox::empty();
        b.extend(&p);
        let proj = Projection::fit(b, 400.0);
        let (x, y) = proj.project(4.0, 52.1);
        assert!((x - 8.0).abs() < 1e-9 && (y - 8.0).abs() < 1e-9);
        let (lon, lat) = proj.unproject(x, y);
        assert!((lon - 4.0).abs() < 1e-9 && (lat - 52.1).abs() < 1e-9);
        let d = svg_path(&p, &proj);
        assert!(d.starts_with('M') && d.ends_with('Z'));
        // Wider than tall after the cos(lat) correction is applied.
        assert!(proj.height > proj.width * 0.5);
    }

    #[test]
    fn garbage_is_no_geometry() {
        assert!(parse_geometry("<script>").is_empty());
        assert!(parse_geometry(r#"{"type":"Point","coordinates":[1,2]}"#).is_empty());
    }
}
