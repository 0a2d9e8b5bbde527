//! The embedded DejaVu Sans faces: text measurement for the layout and subsetting for the SVG.
//!
//! Text is measured as the sum of the glyphs' advances, without kerning. The embedded subsets
//! carry no kerning tables, so browsers and the PNG lay text out exactly as measured here, and
//! a label box computed from these widths is the box the reader sees.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use anyhow::Context as _;

/// Family name of the embedded subsets in `@font-face` rules.
pub(super) const EMBEDDED_FAMILY: &str = "LiaisonDejaVuSans";

/// Top of capitals and ascenders above the baseline, in ems (DejaVu Sans): with
/// [`TEXT_DESCENT`], the box that the layout keeps clear around a line of text.
pub const TEXT_ASCENT: f64 = 0.76;
/// Bottom of descenders below the baseline, in ems (DejaVu Sans).
pub const TEXT_DESCENT: f64 = 0.24;

fn bytes(bold: bool) -> &'static [u8] {
    if bold {
        dejavu::sans::bold()
    } else {
        dejavu::sans::regular()
    }
}

fn face(bold: bool) -> Option<&'static ttf_parser::Face<'static>> {
    static REGULAR: OnceLock<Option<ttf_parser::Face<'static>>> = OnceLock::new();
    static BOLD: OnceLock<Option<ttf_parser::Face<'static>>> = OnceLock::new();
    let cell = if bold { &BOLD } else { &REGULAR };
    cell.get_or_init(|| ttf_parser::Face::parse(bytes(bold), 0).ok())
        .as_ref()
}

/// The width in pixels of `text` set in DejaVu Sans (bold if `bold`) at `size` pixels, as
/// the figures lay it out.
pub fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let Some(face) = face(bold) else {
        // The embedded font always parses; a rough estimate keeps layout going regardless.
        return text.chars().count() as f64 * size * 0.6;
    };
    let per_unit = size / f64::from(face.units_per_em().max(1));
    let units: u32 = text
        .chars()
        .map(|c| {
            let glyph = face.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
            u32::from(face.glyph_hor_advance(glyph).unwrap_or(0))
        })
        .sum();
    f64::from(units) * per_unit
}

/// A TrueType subset of the face with the glyphs of `chars` (and `.notdef`), with a Unicode
/// `cmap` so that browsers can use it.
pub(super) fn subset(chars: &BTreeSet<char>, bold: bool) -> anyhow::Result<Vec<u8>> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{CmapTarget, SubsetProfile, subset};

    let face = face(bold).context("the embedded DejaVu Sans font is invalid")?;
    let mut glyphs: Vec<u16> = chars
        .iter()
        .filter_map(|&c| face.glyph_index(c).map(|g| g.0))
        .collect();
    glyphs.push(0);
    glyphs.sort_unstable();
    glyphs.dedup();
    let data = ReadScope::new(bytes(bold))
        .read::<FontData<'_>>()
        .map_err(|e| anyhow::anyhow!("cannot read the embedded font: {e}"))?;
    let provider = data
        .table_provider(0)
        .map_err(|e| anyhow::anyhow!("cannot read the embedded font: {e}"))?;
    subset(
        &provider,
        &glyphs,
        &SubsetProfile::Minimal,
        CmapTarget::Unicode,
    )
    .map_err(|e| anyhow::anyhow!("cannot subset the embedded font: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_add_up_and_bold_is_wider() {
        let a = text_width("Fogle", 13.0, false);
        let b = text_width(" arrest", 13.0, false);
        assert!((text_width("Fogle arrest", 13.0, false) - (a + b)).abs() < 1e-9);
        assert!(a > 20.0 && a < 60.0, "{a}");
        assert!(text_width("Fogle", 13.0, true) > a);
        assert_eq!(text_width("", 13.0, false), 0.0);
    }

    #[test]
    fn subsets_are_small_and_keep_the_characters() {
        let chars: BTreeSet<char> = "Boston bombing 2013 – é".chars().collect();
        let font = subset(&chars, false).unwrap();
        assert!(font.len() < 40_000, "{} bytes", font.len());
        let face = ttf_parser::Face::parse(&font, 0).unwrap();
        for c in chars {
            assert!(face.glyph_index(c).is_some(), "{c:?} lost");
        }
        assert!(face.glyph_index('Z').is_none());
    }
}
