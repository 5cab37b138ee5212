//! Accessible documents: one small block model rendered both as HTML (by templates) and as a
//! tagged PDF (by krilla, with DejaVu Sans embedded and subset). Headings, paragraphs, lists
//! and table rows are tagged so that screen readers read the PDF in order, and the document
//! carries its title and language.
//!
//! Layout is deliberately simple: A4, one column, greedy line breaking on spaces using the
//! font's advance widths (from skrifa), page breaks between lines.

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
        // 1. Lay out every block into lines on pages, and plan the tag tree over line numbers.
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
                Block::Table {
                    caption,
                    head,
                    rows,
                } => {
                    // Each row is one text line "a | b | c", so the PDF stays readable at any
                    // column count; tagged as a table with a caption and a header row.
                    let mut children = Vec::new();
                    let cap = w.block(caption, Style::H3, 0.0);
                    children.push(Plan::Group(Tag::Caption.into(), vec![cap]));
                    let h = w.block(&head.join(" | "), Style::Bold, 0.0);
                    children.push(Plan::Group(
                        Tag::TR.into(),
                        vec![Plan::Group(
                            Tag::TH(krilla::tagging::TableHeaderScope::Column).into(),
                            vec![h],
                        )],
                    ));
                    for r in rows {
                        let l = w.block(&r.join(" | "), Style::Body, 0.0);
                        children.push(Plan::Group(
                            Tag::TR.into(),
                            vec![Plan::Group(Tag::TD.into(), vec![l])],
                        ));
                    }
                    plan.push(Plan::Group(Tag::Table.into(), children));
                }
            }
        }
        w.new_page();

        // 2. Draw the pages; every line is one tagged span.
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
