//! Finding, loading and measuring the CJK font.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use skrifa::instance::{LocationRef, Size};
use skrifa::raw::{FileRef, TableProvider};
use skrifa::string::StringId;
use skrifa::{FontRef, GlyphId, MetadataProvider};

use crate::{FONT_ENV, PdfError};

/// Where Debian's `fonts-noto-cjk` (and its older layouts) put the Simplified Chinese faces.
const DEBIAN_FONTS: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
];

/// A loaded face: its file's bytes, its index in a collection and krilla's handle.
#[derive(Clone)]
pub(crate) struct LoadedFont {
    data: Arc<Vec<u8>>,
    index: u32,
    pub(crate) font: krilla::text::Font,
}

/// The last font loaded, by path: a collection is ~20 MB, read once per process.
static CACHE: Mutex<Option<(PathBuf, LoadedFont)>> = Mutex::new(None);

/// The font named by `UPLIFT_CJK_FONT`, or the first Debian path that holds a usable one.
pub(crate) fn load() -> Result<LoadedFont, PdfError> {
    match std::env::var_os(FONT_ENV).filter(|v| !v.is_empty()) {
        Some(path) => load_from(&[PathBuf::from(path)], true),
        None => load_from(
            &DEBIAN_FONTS.iter().map(PathBuf::from).collect::<Vec<_>>(),
            false,
        ),
    }
}

/// Tries `candidates` in order. A path named explicitly must work: its failure is the error.
fn load_from(candidates: &[PathBuf], explicit: bool) -> Result<LoadedFont, PdfError> {
    for path in candidates {
        if let Some((cached, font)) = CACHE.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
            && cached == path
        {
            return Ok(font.clone());
        }
        if !explicit && !path.is_file() {
            continue;
        }
        match load_file(path) {
            Ok(font) => {
                *CACHE.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some((path.clone(), font.clone()));
                return Ok(font);
            }
            Err(e) if explicit => return Err(e),
            Err(_) => continue,
        }
    }
    Err(PdfError::FontNotFound {
        tried: candidates.to_vec(),
    })
}

fn load_file(path: &Path) -> Result<LoadedFont, PdfError> {
    let unusable = |reason: String| PdfError::FontUnusable {
        path: path.to_owned(),
        reason,
    };
    let data = std::fs::read(path).map_err(|e| unusable(e.to_string()))?;
    let index = simplified_chinese_face(&data).map_err(unusable)?;
    let data = Arc::new(data);
    let font = krilla::text::Font::new(data.clone().into(), index)
        .ok_or_else(|| unusable(format!("face {index} cannot be read")))?;
    let loaded = LoadedFont { data, index, font };
    if loaded.metrics().charmap.map('中').is_none() {
        return Err(unusable("it has no Chinese glyphs".to_owned()));
    }
    Ok(loaded)
}

/// In a collection, the face whose family name ends in "SC" (Noto's Simplified Chinese
/// glyph forms); else the first face.
fn simplified_chinese_face(data: &[u8]) -> Result<u32, String> {
    let file = FileRef::new(data).map_err(|e| format!("not a font file ({e})"))?;
    let count = match &file {
        FileRef::Font(_) => 1,
        FileRef::Collection(c) => c.len(),
    };
    for index in 0..count {
        let Ok(face) = FontRef::from_index(data, index) else {
            continue;
        };
        let is_sc = face
            .localized_strings(StringId::FAMILY_NAME)
            .any(|name| name.to_string().trim_end().ends_with(" SC"));
        if is_sc {
            return Ok(index);
        }
    }
    FontRef::from_index(data, 0).map_err(|e| format!("not a font file ({e})"))?;
    Ok(0)
}

/// Advance widths for line breaking.
pub(crate) struct Metrics<'a> {
    charmap: skrifa::charmap::Charmap<'a>,
    glyphs: skrifa::metrics::GlyphMetrics<'a>,
    units_per_em: f32,
}

impl LoadedFont {
    pub(crate) fn metrics(&self) -> Metrics<'_> {
        // The face was parsed when loaded, so it parses again.
        let face = FontRef::from_index(&self.data, self.index).expect("face parsed at load");
        Metrics {
            charmap: face.charmap(),
            glyphs: face.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em: f32::from(face.head().map(|h| h.units_per_em()).unwrap_or(1000)),
        }
    }
}

impl Metrics<'_> {
    /// The width of `text` at `size` points.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let units: f32 = text
            .chars()
            .map(|c| {
                let gid = self.charmap.map(c).unwrap_or(GlyphId::NOTDEF);
                self.glyphs.advance_width(gid).unwrap_or(0.0)
            })
            .sum();
        units / self.units_per_em * size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_font_is_a_clear_error_naming_the_paths_tried() {
        let tried = vec![
            PathBuf::from("/nonexistent/a.ttc"),
            PathBuf::from("/nonexistent/b.otf"),
        ];
        let err = load_from(&tried, false).err().expect("no font there");
        let text = err.to_string();
        assert!(text.contains("UPLIFT_CJK_FONT"), "{text}");
        assert!(text.contains("fonts-noto-cjk"), "{text}");
        assert!(text.contains("/nonexistent/a.ttc") && text.contains("/nonexistent/b.otf"));
    }

    #[test]
    fn an_explicit_path_that_is_not_a_font_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fake.ttc");
        std::fs::write(&path, b"not a font at all").unwrap();
        let err = load_from(std::slice::from_ref(&path), true)
            .err()
            .expect("not a font");
        assert!(matches!(err, PdfError::FontUnusable { .. }), "{err}");
        assert!(err.to_string().contains("fake.ttc"), "{err}");
        let missing = dir.path().join("missing.ttc");
        let err = load_from(std::slice::from_ref(&missing), true)
            .err()
            .expect("missing");
        assert!(err.to_string().contains("missing.ttc"), "{err}");
    }

    #[test]
    fn the_debian_collection_gives_its_simplified_chinese_face() {
        let path = PathBuf::from(DEBIAN_FONTS[0]);
        let font = load_from(std::slice::from_ref(&path), true).expect("fonts-noto-cjk installed");
        let face = FontRef::from_index(&font.data, font.index).unwrap();
        let family: Vec<String> = face
            .localized_strings(StringId::FAMILY_NAME)
            .map(|s| s.to_string())
            .collect();
        assert!(family.iter().any(|f| f.ends_with(" SC")), "{family:?}");
        let m = font.metrics();
        // CJK ideographs are one em wide.
        assert!((m.width("中文", 10.0) - 20.0).abs() < 0.01);
    }
}
