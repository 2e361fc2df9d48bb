//! Lays blocks out on A4 pages, then draws the pages with krilla.
//!
//! Layout runs first and produces drawing operations per page, so the footer can say how many
//! pages there are. Coordinates are points from the page's top left corner (krilla's).

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::TextDirection;

use crate::font::{LoadedFont, Metrics};
use crate::{Block, Document, PdfError};

/// A4 in points.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
/// 2 cm.
const MARGIN: f32 = 56.69;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;
/// The last y a line may reach; the footer sits below.
const BOTTOM: f32 = PAGE_H - MARGIN;

const TITLE_SIZE: f32 = 18.0;
const SUBTITLE_SIZE: f32 = 11.0;
const HEADING_SIZE: f32 = 13.0;
const BODY_SIZE: f32 = 10.5;
const TABLE_SIZE: f32 = 9.5;
const FOOTER_SIZE: f32 = 9.0;
const LEADING: f32 = 1.55;
/// The baseline below a line box's top, as a share of the font size (Noto CJK's ascent).
const ASCENT: f32 = 0.88;
const CELL_PAD: f32 = 3.0;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    Text {
        x: f32,
        /// Top of the line box.
        y: f32,
        size: f32,
        gray: u8,
        text: String,
    },
    Fill {
        rect: (f32, f32, f32, f32),
        gray: u8,
    },
    Frame {
        rect: (f32, f32, f32, f32),
    },
}

struct Layout<'a> {
    m: Metrics<'a>,
    pages: Vec<Vec<Op>>,
    y: f32,
}

fn line_height(size: f32) -> f32 {
    size * LEADING
}

/// Characters that must not start a line: they hang at the end of the previous one.
fn closing(c: char) -> bool {
    "，。、；：？！）》」』”’,.;:?!)]%".contains(c)
}

/// Part of a word that breaks only at spaces (Latin letters, digits, ASCII punctuation).
fn word_char(c: char) -> bool {
    !c.is_whitespace() && c < '\u{2E80}'
}

/// Control characters would draw as boxes; tabs become spaces, the rest go.
fn clean(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\t' => Some(' '),
            '\n' => Some('\n'),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// Splits one line of text into tokens: words, runs of spaces, single other characters.
fn tokens(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None::<(usize, u8)>;
    for (i, c) in line.char_indices() {
        let class = if c.is_whitespace() {
            1
        } else if word_char(c) {
            2
        } else {
            3
        };
        match start {
            Some((_, k)) if k == class && class != 3 => {}
            Some((s, _)) => {
                out.push(&line[s..i]);
                start = Some((i, class));
            }
            None => start = Some((i, class)),
        }
    }
    if let Some((s, _)) = start {
        out.push(&line[s..]);
    }
    out
}

impl Metrics<'_> {
    /// Breaks `text` into lines no wider than `width` (a closing punctuation mark may hang).
    pub(crate) fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in clean(text).split('\n') {
            let mut line = String::new();
            let mut w = 0.0;
            let flush = |line: &mut String, w: &mut f32, lines: &mut Vec<String>| {
                lines.push(line.trim_end().to_owned());
                line.clear();
                *w = 0.0;
            };
            for tok in tokens(para) {
                let tw = self.width(tok, size);
                let space = tok.chars().all(char::is_whitespace);
                if space && line.is_empty() {
                    continue;
                }
                if w + tw <= width {
                    line.push_str(tok);
                    w += tw;
                } else if space {
                    flush(&mut line, &mut w, &mut lines);
                } else if !line.is_empty() && tok.chars().all(closing) && tok.chars().count() == 1 {
                    line.push_str(tok);
                    flush(&mut line, &mut w, &mut lines);
                } else if tw <= width {
                    flush(&mut line, &mut w, &mut lines);
                    line.push_str(tok);
                    w = tw;
                } else {
                    for c in tok.chars() {
                        let cw = self.width(c.encode_utf8(&mut [0; 4]), size);
                        if w + cw > width && !line.is_empty() {
                            flush(&mut line, &mut w, &mut lines);
                        }
                        line.push(c);
                        w += cw;
                    }
                }
            }
            flush(&mut line, &mut w, &mut lines);
        }
        lines
    }
}

impl Layout<'_> {
    fn page(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        self.pages.last_mut().expect("a page exists")
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    /// Starts a new page unless `h` more points fit on this one (an empty page takes anything).
    fn ensure(&mut self, h: f32) -> bool {
        if self.y + h > BOTTOM && self.y > MARGIN {
            self.new_page();
            true
        } else {
            false
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, gray: u8, text: &str) {
        if !text.is_empty() {
            self.page().push(Op::Text {
                x,
                y,
                size,
                gray,
                text: text.to_owned(),
            });
        }
    }

    /// Lines set one by one: each may start a page.
    fn lines(&mut self, lines: &[String], size: f32, align: Align, left: f32, width: f32) {
        let lh = line_height(size);
        for line in lines {
            self.ensure(lh);
            let x = match align {
                Align::Left => left,
                Align::Center => left + (width - self.m.width(line, size)).max(0.0) / 2.0,
                Align::Right => left + (width - self.m.width(line, size)).max(0.0),
            };
            self.text(x, self.y, size, 0, line);
            self.y += lh;
        }
    }

    fn title(&mut self, doc: &Document) {
        let lines = self.m.wrap(&doc.title, TITLE_SIZE, CONTENT_W);
        self.lines(&lines, TITLE_SIZE, Align::Center, MARGIN, CONTENT_W);
        if let Some(sub) = &doc.subtitle {
            self.y += 2.0;
            let lines = self.m.wrap(sub, SUBTITLE_SIZE, CONTENT_W);
            self.lines(&lines, SUBTITLE_SIZE, Align::Center, MARGIN, CONTENT_W);
        }
        self.y += 10.0;
    }

    fn heading(&mut self, text: &str) {
        self.y += 8.0;
        // Keep a heading with the first line after it.
        self.ensure(line_height(HEADING_SIZE) + line_height(BODY_SIZE));
        let lines = self.m.wrap(text, HEADING_SIZE, CONTENT_W);
        self.lines(&lines, HEADING_SIZE, Align::Left, MARGIN, CONTENT_W);
        self.y += 2.0;
    }

    fn paragraph(&mut self, text: &str) {
        // Chinese paragraphs open with a two-character indent.
        let indent = 2.0 * BODY_SIZE;
        let mut lines = self
            .m
            .wrap(&format!("\u{3000}\u{3000}{text}"), BODY_SIZE, CONTENT_W);
        // The indent is drawn as space, so text extraction keeps the words intact.
        if let Some(first) = lines.first_mut() {
            *first = first.trim_start_matches('\u{3000}').to_owned();
        }
        let lh = line_height(BODY_SIZE);
        for (i, line) in lines.iter().enumerate() {
            self.ensure(lh);
            let x = if i == 0 { MARGIN + indent } else { MARGIN };
            self.text(x, self.y, BODY_SIZE, 0, line);
            self.y += lh;
        }
        self.y += 4.0;
    }

    fn key_values(&mut self, pairs: &[(String, String)]) {
        let widest = pairs
            .iter()
            .map(|(k, _)| self.m.width(k, BODY_SIZE))
            .fold(0.0, f32::max);
        let key_w = (widest + BODY_SIZE).min(CONTENT_W * 0.4);
        let value_w = CONTENT_W - key_w;
        let lh = line_height(BODY_SIZE);
        for (k, v) in pairs {
            let keys = self.m.wrap(&format!("{k}："), BODY_SIZE, key_w - 4.0);
            let values = self.m.wrap(v, BODY_SIZE, value_w);
            let n = keys.len().max(values.len());
            // Keep short pairs whole on one page.
            if n <= 4 {
                self.ensure(lh * n as f32);
            }
            for i in 0..n {
                self.ensure(lh);
                if let Some(k) = keys.get(i) {
                    self.text(MARGIN, self.y, BODY_SIZE, 80, k);
                }
                if let Some(v) = values.get(i) {
                    self.text(MARGIN + key_w, self.y, BODY_SIZE, 0, v);
                }
                self.y += lh;
            }
        }
        self.y += 4.0;
    }

    fn column_widths(&self, header: &[String], rows: &[Vec<String>], n: usize) -> Vec<f32> {
        let min = 2.0 * TABLE_SIZE + 2.0 * CELL_PAD;
        let natural: Vec<f32> = (0..n)
            .map(|i| {
                std::iter::once(header.get(i))
                    .chain(rows.iter().map(|r| r.get(i)))
                    .flatten()
                    .flat_map(|cell| {
                        clean(cell)
                            .split('\n')
                            .map(str::to_owned)
                            .collect::<Vec<_>>()
                    })
                    .map(|line| self.m.width(&line, TABLE_SIZE))
                    .fold(0.0, f32::max)
                    .min(CONTENT_W * 0.6)
                    + 2.0 * CELL_PAD
            })
            .map(|w| w.max(min))
            .collect();
        let total: f32 = natural.iter().sum();
        if total <= CONTENT_W {
            // Spare width goes to every column in proportion.
            return natural.iter().map(|w| w * CONTENT_W / total).collect();
        }
        if min * n as f32 >= CONTENT_W {
            return vec![CONTENT_W / n as f32; n];
        }
        // Squeeze the wide columns: each keeps at least `min`, the rest is shared by width.
        let spare = CONTENT_W - min * n as f32;
        let over: f32 = natural.iter().map(|w| w - min).sum();
        natural
            .iter()
            .map(|w| min + (w - min) / over * spare)
            .collect()
    }

    fn row(&mut self, cells: &[String], widths: &[f32], shade: bool, header: Option<&Row>) {
        let lh = line_height(TABLE_SIZE);
        let wrapped: Vec<Vec<String>> = widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let text = cells.get(i).map(String::as_str).unwrap_or("");
                self.m.wrap(text, TABLE_SIZE, w - 2.0 * CELL_PAD)
            })
            .collect();
        let total = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let mut from = 0;
        while from < total {
            let room = ((BOTTOM - self.y - 2.0 * CELL_PAD) / lh).floor();
            let fits_whole = room >= (total - from) as f32;
            // A row moves whole to the next page when it would fit there; a taller one splits.
            if !fits_whole && (room < 1.0 || total - from <= 40) && self.y > MARGIN {
                self.new_page();
                if let Some(h) = header {
                    self.row(&h.cells, widths, true, None);
                }
                continue;
            }
            let take = if fits_whole {
                total - from
            } else {
                (room.max(1.0) as usize).min(total - from)
            };
            let h = take as f32 * lh + 2.0 * CELL_PAD;
            let mut x = MARGIN;
            let top = self.y;
            for (i, w) in widths.iter().enumerate() {
                if shade {
                    self.page().push(Op::Fill {
                        rect: (x, top, *w, h),
                        gray: 232,
                    });
                }
                self.page().push(Op::Frame {
                    rect: (x, top, *w, h),
                });
                for (j, line) in wrapped[i].iter().skip(from).take(take).enumerate() {
                    let y = self.y + CELL_PAD + j as f32 * lh;
                    self.text(x + CELL_PAD, y, TABLE_SIZE, 0, line);
                }
                x += w;
            }
            self.y += h;
            from += take;
        }
    }

    fn table(&mut self, header: &[String], rows: &[Vec<String>]) {
        let n = rows
            .iter()
            .map(Vec::len)
            .chain(std::iter::once(header.len()))
            .max()
            .unwrap_or(0);
        if n == 0 {
            return;
        }
        let widths = self.column_widths(header, rows, n);
        let head = Row {
            cells: header.to_vec(),
        };
        let has_header = !header.is_empty();
        // The header stays with the first row.
        self.ensure(3.0 * line_height(TABLE_SIZE) + 4.0 * CELL_PAD);
        if has_header {
            self.row(header, &widths, true, None);
        }
        for r in rows {
            self.row(r, &widths, false, has_header.then_some(&head));
        }
        self.y += 8.0;
    }

    fn signature(&mut self, text: &str) {
        let lines = self.m.wrap(text, BODY_SIZE, CONTENT_W * 0.6);
        let lh = line_height(BODY_SIZE);
        self.y += 18.0;
        self.ensure(lh * lines.len() as f32);
        self.lines(&lines, BODY_SIZE, Align::Right, MARGIN, CONTENT_W);
    }
}

struct Row {
    cells: Vec<String>,
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Center,
    Right,
}

/// The pages' drawing operations, footers included.
pub(crate) fn layout(doc: &Document, font: &LoadedFont) -> Result<Vec<Vec<Op>>, PdfError> {
    let mut l = Layout {
        m: font.metrics(),
        pages: vec![Vec::new()],
        y: MARGIN,
    };
    l.title(doc);
    for block in &doc.blocks {
        match block {
            Block::Heading(t) => l.heading(t),
            Block::Paragraph(t) => l.paragraph(t),
            Block::KeyValues(pairs) => l.key_values(pairs),
            Block::Table { header, rows } => l.table(header, rows),
            Block::Signature(t) => l.signature(t),
        }
    }
    let total = l.pages.len();
    let m = &l.m;
    let mut pages = std::mem::take(&mut l.pages);
    for (i, ops) in pages.iter_mut().enumerate() {
        let footer = format!("第 {} 页 / 共 {} 页", i + 1, total);
        let w = m.width(&footer, FOOTER_SIZE);
        ops.push(Op::Text {
            x: (PAGE_W - w) / 2.0,
            y: PAGE_H - MARGIN / 2.0 - FOOTER_SIZE,
            size: FOOTER_SIZE,
            gray: 90,
            text: footer,
        });
    }
    Ok(pages)
}

fn rect(x: f32, y: f32, w: f32, h: f32) -> Result<krilla::geom::Path, PdfError> {
    let r = Rect::from_xywh(x, y, w, h).ok_or_else(|| PdfError::Write("empty rectangle".into()))?;
    let mut pb = PathBuilder::new();
    pb.push_rect(r);
    pb.finish()
        .ok_or_else(|| PdfError::Write("empty rectangle".into()))
}

fn gray(v: u8) -> rgb::Color {
    rgb::Color::new(v, v, v)
}

pub(crate) fn write(
    doc: &Document,
    font: &LoadedFont,
    pages: &[Vec<Op>],
) -> Result<Vec<u8>, PdfError> {
    let mut pdf = krilla::Document::new();
    pdf.set_metadata(
        Metadata::new()
            .title(doc.title.clone())
            .language("zh-CN".to_owned())
            .creator("Uplift".to_owned()),
    );
    let settings =
        PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| PdfError::Write("page size".into()))?;
    for ops in pages {
        let mut page = pdf.start_page_with(settings.clone());
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    gray: g,
                    text,
                } => {
                    surface.set_stroke(None);
                    surface.set_fill(Some(Fill {
                        paint: gray(*g).into(),
                        opacity: NormalizedF32::ONE,
                        rule: Default::default(),
                    }));
                    surface.draw_text(
                        Point::from_xy(*x, y + size * ASCENT),
                        font.font.clone(),
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Fill {
                    rect: (x, y, w, h),
                    gray: g,
                } => {
                    surface.set_stroke(None);
                    surface.set_fill(Some(Fill {
                        paint: gray(*g).into(),
                        opacity: NormalizedF32::ONE,
                        rule: Default::default(),
                    }));
                    surface.draw_path(&rect(*x, *y, *w, *h)?);
                }
                Op::Frame { rect: (x, y, w, h) } => {
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke {
                        paint: gray(120).into(),
                        width: 0.5,
                        ..Stroke::default()
                    }));
                    surface.draw_path(&rect(*x, *y, *w, *h)?);
                }
            }
        }
        surface.finish();
        page.finish();
    }
    pdf.finish().map_err(|e| PdfError::Write(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_words_and_split_ideographs() {
        assert_eq!(
            tokens("张三 lives 在 Room-12，好"),
            vec![
                "张", "三", " ", "lives", " ", "在", " ", "Room-12", "，", "好"
            ]
        );
        assert!(tokens("").is_empty());
    }

    #[test]
    fn clean_drops_control_characters() {
        assert_eq!(clean("a\tb\u{7}c\nd\r"), "a bc\nd");
    }
}
