//! Plots: a small, backend-independent description of a figure ([`Figure`]) and its rendering
//! to a self-contained SVG (with a subset of DejaVu Sans embedded) and to PNG.
//!
//! Building and rendering are separate: figure builders (`output::figures`) turn results into
//! a [`Figure`]; [`render`] lays it out and draws it. The PNG is the SVG rasterised, so both
//! files always show the same picture, and a web page can show [`Rendered::svg`] as is.
//!
//! ```no_run
//! # fn demo(figure: &liaison::output::plot::Figure) -> anyhow::Result<()> {
//! let rendered = liaison::output::plot::render(figure)?;
//! let svg: &str = &rendered.svg; // self-contained: inline it in a page
//! let png: Vec<u8> = rendered.png()?;
//! # Ok(()) }
//! ```

mod axis;
mod draw;
mod figure;
mod font;
mod geom;
mod labels;
mod layout;
mod raster;
mod style;
mod svg;

pub use figure::{
    Badges, Band, Cell, EventMark, Figure, LegendEntry, Line, Panel, Points, Swatch, Window, XAxis,
    date_x,
};
pub use font::{TEXT_ASCENT, TEXT_DESCENT, text_width};
pub use style::{Rgb, Shape, palette};

use std::path::Path;

use anyhow::Context as _;

/// Default nominal figure size in pixels; the canvas grows when its content needs more room
/// (a long event key, many panels, dense event markers).
pub const DEFAULT_SIZE: (u32, u32) = (1600, 900);

/// A rendered figure: the SVG text and what is needed to rasterise it identically.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The complete, self-contained SVG document.
    pub svg: String,
    /// Canvas width in pixels (may exceed the figure's nominal width).
    pub width: u32,
    /// Canvas height in pixels (may exceed the figure's nominal height).
    pub height: u32,
    /// The font subsets embedded in the SVG, reused to rasterise it.
    fonts: Vec<Vec<u8>>,
}

impl Rendered {
    /// The figure as PNG bytes, pixel for pixel the SVG.
    pub fn png(&self) -> anyhow::Result<Vec<u8>> {
        raster::png(&self.svg, &self.fonts)
    }
}

/// Lays out and draws `figure`. Never panics on odd input (empty panels, NaN values, an
/// empty date range): what cannot be drawn is left out.
pub fn render(figure: &Figure) -> anyhow::Result<Rendered> {
    let canvas = draw::draw(figure);
    let (width, height) = (canvas.width, canvas.height);
    let (svg, fonts) = canvas.finish()?;
    Ok(Rendered {
        svg,
        width,
        height,
        fonts,
    })
}

/// `figure` as an SVG document in memory (see [`render`]).
pub fn render_svg(figure: &Figure) -> anyhow::Result<String> {
    Ok(render(figure)?.svg)
}

/// `figure` as PNG bytes in memory (see [`render`]).
pub fn render_png(figure: &Figure) -> anyhow::Result<Vec<u8>> {
    render(figure)?.png()
}

/// Renders `figure` as `<stem>.png` and `<stem>.svg` in `folder`.
pub fn render_png_and_svg(figure: &Figure, folder: &Path, stem: &str) -> anyhow::Result<()> {
    let rendered = render(figure).with_context(|| format!("cannot draw {stem}"))?;
    let png = rendered
        .png()
        .with_context(|| format!("cannot draw {stem}.png"))?;
    for (file, bytes) in [
        (format!("{stem}.svg"), rendered.svg.as_bytes()),
        (format!("{stem}.png"), png.as_slice()),
    ] {
        let path = folder.join(&file);
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
