//! Accessible documents: one small block model rendered both as HTML (by templates) and as a
//! tagged PDF (by krilla, with DejaVu Sans embedded and subset). Headings, paragraphs, lists
//! and table rows are tagged so that screen readers read the PDF in order, and the document
//! carries its title and language.
//!
//! Layout is deliberately simple: A4, one column, greedy line breaking on spaces using the
//! font's advance widths (from skrifa), page breaks between lines; tables get real columns
//! (natural widths, shared out when too wide) with each cell wrapped in its column.

use krilla::Document as KDoc;
use krilla::SerializeSettings;
use krilla::color::rgb;
use krilla::geom::Point;
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule};
use krilla::surface::Surface;
use krilla::tagging::{ContentTag, Identifier, Node, SpanTag, Tag, TagGroup, TagTree};
use krilla::text::{Font, TextDirection};
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};
use std::num::NonZeroU16;
use std::sync::{Arc, OnceLock};

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Heading2(String),
    Heading3(String),
    Paragraph(String),
    Quote(String),
    List(Vec<String>),
    /// Label–value pairs (a definition list in HTML).
    Facts(Vec<(String, String)>),
    Table {
        caption: String,
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// Start a new page (letters: one per page). Nothing in HTML.
    PageBreak,
}

#[derive(Clone, Debug)]
pub struct Document {
    pub title: String,
    pub lang: &'static str,
    pub blocks: Vec<Block>,
}

impl Document {
    pub fn new(title: impl Into<String>) -> Document {
        Document {
            title: title.into(),
            lang: "nl-NL",
            blocks: Vec::new(),
        }
    }
    pub fn push(&mut self, b: Block) {
        self.blocks.push(b);
    }
    /// A paragraph per non-empty line group; empty text adds nothing.
    pub fn para(&mut self, text: &str) {
        for p in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            self.blocks.push(Block::Paragraph(p.to_string()));
        }
    }

    /// Render as a tagged PDF.
    pub fn to_pdf(&self) -> anyhow::Result<Vec<u8>> {
        let (w, plan) = self.layout();

        // 2. Draw the pages; every line is one tagged span.
        self.draw(w, plan)
    }

    /// Lay out every block into lines on pages, and plan the tag tree over line numbers.
    fn layout(&self) -> (Layout, Vec<Plan>) {
        let mut w = Layout::default();
        let mut plan: Vec<Plan> = Vec::new();
        let title = w.block(&self.title, Style::Title, 0.0);
        plan.push(Plan::Group(
            Tag::Hn(NonZeroU16::MIN, Some(self.title.clone())).into(),
            vec![title],
        ));
        for b in &self.blocks {
            match b {
                Block::Heading2(t) => {
                    w.gap(10.0);
                    let l = w.block(t, Style::H2, 0.0);
                    plan.push(Plan::Group(
                        Tag::Hn(NonZeroU16::new(2).expect("2"), Some(t.clone())).into(),
                        vec![l],
                    ));
                }
                Block::Heading3(t) => {
                    w.gap(6.0);
                    let l = w.block(t, Style::H3, 0.0);
                    plan.push(Plan::Group(
                        Tag::Hn(NonZeroU16::new(3).expect("3"), Some(t.clone())).into(),
                        vec![l],
                    ));
                }
                Block::Paragraph(t) => {
                    let l = w.block(t, Style::Body, 0.0);
                    plan.push(Plan::Group(Tag::P.into(), vec![l]));
                }
                Block::Quote(t) => {
                    let l = w.block(t, Style::Body, 18.0);
                    plan.push(Plan::Group(Tag::BlockQuote.into(), vec![l]));
                }
                Block::List(items) => {
                    let lis: Vec<Plan> = items
                        .iter()
                        .map(|it| {
                            let l = w.block(&format!("• {it}"), Style::Body, 12.0);
                            Plan::Group(
                                Tag::LI.into(),
                                vec![Plan::Group(Tag::LBody.into(), vec![l])],
                            )
                        })
                        .collect();
                    if !lis.is_empty() {
                        plan.push(Plan::Group(
                            Tag::L(krilla::tagging::ListNumbering::Disc).into(),
                            lis,
                        ));
                    }
                }
                Block::Facts(pairs) => {
                    for (k, v) in pairs {
                        let l = w.block(&format!("{k}: {v}"), Style::Body, 0.0);
                        plan.push(Plan::Group(Tag::P.into(), vec![l]));
                    }
                }
                Block::PageBreak => {
                    if !w.current.is_empty() {
                        w.pages.push(std::mem::take(&mut w.current));
                    }
                    w.y = MARGIN;
                }
                Block::Table {
                    caption,
                    head,
                    rows,
                } => {
                    // Real columns: each cell wrapped within its column, a row as tall as
                    // its tallest cell, page breaks between rows; tagged TR > TH/TD per cell.
                    let mut children = Vec::new();
                    let cap = w.block(caption, Style::H3, 0.0);
                    children.push(Plan::Group(Tag::Caption.into(), vec![cap]));
                    let widths = column_widths(head, rows, PAGE_W - 2.0 * MARGIN);
                    let th = || Tag::TH(krilla::tagging::TableHeaderScope::Column).into();
                    let cells = w.row(head, &widths, Style::Bold);
                    children.push(Plan::Group(
                        Tag::TR.into(),
                        cells
                            .into_iter()
                            .map(|c| Plan::Group(th(), vec![c]))
                            .collect(),
                    ));
                    for r in rows {
                        let cells = w.row(r, &widths, Style::Body);
                        children.push(Plan::Group(
                            Tag::TR.into(),
                            cells
                                .into_iter()
                                .map(|c| Plan::Group(Tag::TD.into(), vec![c]))
                                .collect(),
                        ));
                    }
                    plan.push(Plan::Group(Tag::Table.into(), children));
                }
            }
        }
        w.new_page();
        (w, plan)
    }

    fn draw(&self, w: Layout, plan: Vec<Plan>) -> anyhow::Result<Vec<u8>> {
        let fonts = fonts();
        let settings = SerializeSettings {
            enable_tagging: true,
            ..Default::default()
        };
        let mut doc = KDoc::new_with(settings);
        doc.set_metadata(
            Metadata::new()
                .title(self.title.clone())
                .language(self.lang.to_string())
                .creator("Meedoen".to_string()),
        );
        let mut ids: Vec<Option<Identifier>> = Vec::new();
        for lines in &w.pages {
            let mut page = doc.start_page_with(PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4"));
            let mut surface = page.surface();
            draw_lines(&mut surface, &fonts, lines, &mut ids);
            surface.finish();
            page.finish();
        }

        // 3. The tag tree, in reading order.
        let mut tree = TagTree::new();
        for p in plan {
            for n in p.into_nodes(&mut ids) {
                tree.push(n);
            }
        }
        doc.set_tag_tree(tree);
        doc.finish()
            .map_err(|e| anyhow::anyhow!("PDF maken mislukt: {e:?}"))
    }
}

/// The planned tag tree: groups over ranges of laid-out lines.
enum Plan {
    Group(krilla::tagging::TagKind, Vec<Plan>),
    Lines(std::ops::Range<usize>),
}

impl Plan {
    fn into_nodes(self, ids: &mut [Option<Identifier>]) -> Vec<Node> {
        match self {
            Plan::Lines(r) => r
                .filter_map(|i| ids.get_mut(i).and_then(Option::take))
                .map(Node::Leaf)
                .collect(),
            Plan::Group(kind, children) => {
                let nodes: Vec<Node> = children
                    .into_iter()
                    .flat_map(|c| c.into_nodes(ids))
                    .collect();
                vec![Node::Group(TagGroup::with_children(kind, nodes))]
            }
        }
    }
}

struct Fonts {
    regular: Font,
    bold: Font,
}

fn fonts() -> Arc<Fonts> {
    static F: OnceLock<Arc<Fonts>> = OnceLock::new();
    F.get_or_init(|| {
        Arc::new(Fonts {
            regular: Font::new(REGULAR.to_vec().into(), 0).expect("DejaVuSans.ttf"),
            bold: Font::new(BOLD.to_vec().into(), 0).expect("DejaVuSans-Bold.ttf"),
        })
    })
    .clone()
}

#[derive(Clone, Copy)]
enum Style {
    Title,
    H2,
    H3,
    Bold,
    Body,
}

impl Style {
    fn size(self) -> f32 {
        match self {
            Style::Title => 20.0,
            Style::H2 => 15.0,
            Style::H3 => 12.0,
            Style::Bold | Style::Body => 10.5,
        }
    }
    fn bold(self) -> bool {
        !matches!(self, Style::Body)
    }
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;

/// Width of `text` at `size` in points, from the font's horizontal advances.
pub fn text_width(bold: bool, text: &str, size: f32) -> f32 {
    let data = if bold { BOLD } else { REGULAR };
    let Ok(font) = skrifa::FontRef::new(data) else {
        return 0.0;
    };
    let charmap = font.charmap();
    let metrics = font.glyph_metrics(Size::new(size), LocationRef::default());
    text.chars()
        .map(|c| {
            charmap
                .map(c)
                .and_then(|g| metrics.advance_width(g))
                .unwrap_or(size * 0.6)
        })
        .sum()
}

/// Greedy line breaking on spaces; words longer than a line are split by characters.
pub fn wrap(bold: bool, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if text_width(bold, &candidate, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // A single word wider than the line: cut it.
            let mut piece = String::new();
            for c in word.chars() {
                piece.push(c);
                if text_width(bold, &piece, size) > width {
                    piece.pop();
                    lines.push(std::mem::take(&mut piece));
                    piece.push(c);
                }
            }
            line = piece;
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

type Line = (f32, f32, String, Style);

#[derive(Default)]
struct Layout {
    y: f32,
    current: Vec<Line>,
    pages: Vec<Vec<Line>>,
    count: usize,
}

impl Layout {
    fn gap(&mut self, h: f32) {
        self.y += h;
    }

    fn new_page(&mut self) {
        if !self.current.is_empty() || self.pages.is_empty() {
            self.pages.push(std::mem::take(&mut self.current));
        }
        self.y = MARGIN;
    }

    /// Lay out one block; returns the plan leaf over its lines.
    fn block(&mut self, text: &str, style: Style, indent: f32) -> Plan {
        if self.y < MARGIN {
            self.y = MARGIN;
        }
        let size = style.size();
        let leading = size * 1.4;
        let width = PAGE_W - 2.0 * MARGIN - indent;
        let first = self.count;
        for line in wrap(style.bold(), text, size, width) {
            if self.y + leading > PAGE_H - MARGIN {
                self.pages.push(std::mem::take(&mut self.current));
                self.y = MARGIN;
            }
            self.y += leading;
            self.current.push((MARGIN + indent, self.y, line, style));
            self.count += 1;
        }
        self.y += size * 0.6;
        Plan::Lines(first..self.count)
    }

    /// Lay out one table row; returns one plan leaf per cell. The row starts on a new page
    /// when it does not fit on this one (unless it is taller than a page).
    fn row(&mut self, cells: &[String], widths: &[f32], style: Style) -> Vec<Plan> {
        if self.y < MARGIN {
            self.y = MARGIN;
        }
        let size = style.size();
        let leading = size * 1.4;
        let wrapped: Vec<Vec<String>> = widths
            .iter()
            .enumerate()
            .map(|(i, &wd)| {
                let text = cells.get(i).map(String::as_str).unwrap_or("");
                wrap(style.bold(), text, size, wd)
            })
            .collect();
        let tallest = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f32;
        let height = tallest * leading;
        if self.y + height > PAGE_H - MARGIN && height <= PAGE_H - 2.0 * MARGIN {
            self.pages.push(std::mem::take(&mut self.current));
            self.y = MARGIN;
        }
        let top = self.y;
        let mut x = MARGIN;
        let mut plans = Vec::with_capacity(widths.len());
        let mut bottom = top;
        for (lines, &wd) in wrapped.into_iter().zip(widths) {
            let first = self.count;
            let mut y = top;
            for line in lines {
                if y + leading > PAGE_H - MARGIN {
                    // Only a row taller than a page gets here: continue it on the next.
                    self.pages.push(std::mem::take(&mut self.current));
                    y = MARGIN;
                }
                y += leading;
                self.current.push((x, y, line, style));
                self.count += 1;
            }
            bottom = bottom.max(y);
            plans.push(Plan::Lines(first..self.count));
            x += wd + COLUMN_GAP;
        }
        self.y = bottom + size * 0.5;
        plans
    }
}

/// Space between two table columns, in points.
const COLUMN_GAP: f32 = 10.0;

/// Column widths for a table that must fit `total` points: every column gets its natural
/// width (its widest cell on one line) when all fit; otherwise the narrow columns keep
/// theirs and the rest share what is left equally (water-filling), never below a minimum.
fn column_widths(head: &[String], rows: &[Vec<String>], total: f32) -> Vec<f32> {
    let n = head.len().max(rows.iter().map(Vec::len).max().unwrap_or(0));
    if n == 0 {
        return Vec::new();
    }
    let size = Style::Body.size();
    let mut natural = vec![0.0f32; n];
    for (i, h) in head.iter().enumerate() {
        natural[i] = natural[i].max(text_width(true, h, size));
    }
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            let widest = c
                .lines()
                .map(|l| text_width(false, l, size))
                .fold(0.0f32, f32::max);
            natural[i] = natural[i].max(widest);
        }
    }
    let avail = total - COLUMN_GAP * (n as f32 - 1.0);
    let minimum = (avail / n as f32).min(40.0);
    let mut width = vec![0.0f32; n];
    let mut open: Vec<usize> = (0..n).collect();
    let mut left = avail;
    // Give every column that is narrower than an equal share of what is left its natural
    // width; repeat until no such column remains, then share the rest equally.
    loop {
        let share = left / open.len() as f32;
        let (small, wide): (Vec<usize>, Vec<usize>) =
            open.iter().partition(|&&i| natural[i] <= share);
        if small.is_empty() {
            for &i in &wide {
                width[i] = share.max(minimum);
            }
            break;
        }
        for &i in &small {
            width[i] = natural[i].max(minimum.min(share));
            left -= width[i];
        }
        if wide.is_empty() {
            break;
        }
        open = wide;
    }
    width
}

fn draw_lines(
    surface: &mut Surface,
    fonts: &Fonts,
    lines: &[Line],
    ids: &mut Vec<Option<Identifier>>,
) {
    surface.set_fill(Some(Fill {
        paint: rgb::Color::new(20, 20, 20).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }));
    for (x, y, text, style) in lines {
        let font = if style.bold() {
            fonts.bold.clone()
        } else {
            fonts.regular.clone()
        };
        let id = surface.start_tagged(ContentTag::Span(SpanTag::empty()));
        surface.draw_text(
            Point::from_xy(*x, *y),
            font,
            style.size(),
            text,
            false,
            TextDirection::Auto,
        );
        surface.end_tagged();
        ids.push(Some(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_columns_fit_the_page_and_keep_narrow_columns_whole() {
        let head = vec![
            "Status".to_string(),
            "Toelichting".to_string(),
            "Aantal".into(),
        ];
        let long = "Een lange toelichting die nooit op één regel past, ".repeat(8);
        let rows = vec![vec!["overgenomen".to_string(), long.clone(), "12".into()]];
        let total = PAGE_W - 2.0 * MARGIN;
        let w = column_widths(&head, &rows, total);
        assert_eq!(w.len(), 3);
        let used: f32 = w.iter().sum::<f32>() + 2.0 * COLUMN_GAP;
        assert!(used <= total + 0.01, "{used} > {total}");
        // The short columns are as wide as their content (at least 40 pt); the long one
        // takes the rest.
        assert!((w[0] - text_width(false, "overgenomen", 10.5)).abs() < 0.01);
        assert!((w[2] - text_width(true, "Aantal", 10.5).max(40.0)).abs() < 0.01);
        assert!(w[1] > 300.0);
        // Laid out, the long cell wraps within its column and the row's cells sit side by side.
        let mut l = Layout::default();
        let plans = l.row(&rows[0], &w, Style::Body);
        assert_eq!(plans.len(), 3);
        let xs: Vec<f32> = l.current.iter().map(|(x, ..)| *x).collect();
        assert!(xs.iter().any(|&x| x > MARGIN + w[0]));
        for (x, _, text, _) in &l.current {
            if *x > MARGIN && *x < MARGIN + w[0] + w[1] + COLUMN_GAP {
                assert!(text_width(false, text, 10.5) <= w[1] + 0.01, "{text}");
            }
        }
        assert!(l.current.len() > 3, "the long cell takes several lines");
        // Many narrow columns all get at least the minimum.
        let many: Vec<String> = (0..30).map(|i| format!("kolom {i}")).collect();
        let w = column_widths(&many, &[], total);
        assert!(
            w.iter()
                .all(|&x| x >= (total - 29.0 * COLUMN_GAP) / 30.0 - 0.01)
        );
    }

    #[test]
    fn a_page_break_starts_a_new_page() {
        let mut d = Document::new("Brieven");
        for i in 0..3 {
            d.push(Block::Heading2(format!("Brief {i}")));
            d.para("Beste bewoner,");
            d.push(Block::PageBreak);
        }
        assert!(d.to_pdf().expect("pdf").starts_with(b"%PDF"));
        // Three letters, three pages (the trailing break adds no empty page).
        let (w, _) = d.layout();
        assert_eq!(w.pages.len(), 3);
        let firsts: Vec<&str> = w.pages.iter().map(|p| p[0].2.as_str()).collect();
        assert_eq!(firsts, ["Brieven", "Brief 1", "Brief 2"]);
    }

    #[test]
    fn a_long_table_breaks_between_rows_and_renders() {
        let mut d = Document::new("Tabel");
        d.push(Block::Table {
            caption: "Veel rijen".into(),
            head: vec!["A".into(), "B".into()],
            rows: (0..200)
                .map(|i| vec![format!("rij {i}"), "tekst ".repeat(i % 40)])
                .collect(),
        });
        let pdf = d.to_pdf().expect("pdf");
        assert!(pdf.starts_with(b"%PDF"));
        let mut l = Layout::default();
        let w = vec![100.0, 300.0];
        for i in 0..200 {
            l.row(
                &[format!("rij {i}"), "tekst ".repeat(i % 40)],
                &w,
                Style::Body,
            );
        }
        assert!(l.pages.len() > 2);
        for page in l.pages.iter().chain(std::iter::once(&l.current)) {
            for (_, y, ..) in page {
                assert!(*y <= PAGE_H - MARGIN + 0.01);
            }
        }
    }

    #[test]
    fn wrapping_respects_the_width() {
        let text =
            "Dit is een lange zin die over meerdere regels moet worden verdeeld zodat alles past.";
        let lines = wrap(false, text, 10.5, 120.0);
        assert!(lines.len() > 2);
        for l in &lines {
            assert!(text_width(false, l, 10.5) <= 120.0, "{l}");
        }
        assert_eq!(lines.join(" "), text);
        let long = "x".repeat(300);
        let lines = wrap(false, &long, 10.5, 100.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), long);
    }
}
