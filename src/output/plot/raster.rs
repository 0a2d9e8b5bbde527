//! PNG: the figure's SVG rasterised with resvg, using the same font subsets it embeds, so that
//! the PNG is the SVG pixel for pixel and no system font is ever looked up.

use anyhow::Context as _;
use resvg::{tiny_skia, usvg};

/// Rasterises `svg` at its own size.
pub(super) fn png(svg: &str, fonts: &[Vec<u8>]) -> anyhow::Result<Vec<u8>> {
    let mut options = usvg::Options::default();
    {
        let db = options.fontdb_mut();
        for font in fonts {
            db.load_font_data(font.clone());
        }
    }
    // The subsets are named "DejaVu Sans"; the first family of the SVG (its @font-face name)
    // is unknown to resvg, which then takes the next one.
    options.font_family = "DejaVu Sans".into();
    let tree = usvg::Tree::from_str(svg, &options).context("cannot read the figure's SVG")?;
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .context("the figure is too large to rasterise")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap.encode_png().context("cannot encode the PNG")
}
