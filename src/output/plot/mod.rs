//! Plots: a small, backend-independent description of a figure ([`Figure`]) and its
//! rendering to PNG and SVG with an embedded font, so plots look the same everywhere.
//!
//! Figure builders (the trust plot, comparison plots) turn results into a [`Figure`];
//! [`render`] draws it.

mod axis;
mod geom;
mod labels;
mod render;

pub use render::{EMBEDDED_FAMILY, render_png, render_svg, svg_string};

/// Renders `figure` as `<stem>.png` and `<stem>.svg` in `folder`.
pub fn render_png_and_svg(
    figure: &Figure,
    folder: &std::path::Path,
    stem: &str,
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    for (extension, render) in [
        (
            "png",
            render_png as fn(&Figure, &std::path::Path) -> anyhow::Result<()>,
        ),
        ("svg", render_svg),
    ] {
        let file = format!("{stem}.{extension}");
        render(figure, &folder.join(&file)).with_context(|| format!("cannot draw {file}"))?;
    }
    Ok(())
}

use crate::scenario::Date;

/// A whole figure: a title, stacked panels sharing a dated x axis, and event markers.
#[derive(Debug, Clone)]
pub struct Figure {
    /// Main title.
    pub title: String,
    /// Smaller line under the title (runs, seed, …).
    pub subtitle: String,
    /// First and last date of the x axis.
    pub x_range: (Date, Date),
    /// Panels, drawn top to bottom.
    pub panels: Vec<Panel>,
    /// Vertical event markers drawn on every panel, labelled once.
    pub markers: Vec<Marker>,
    /// Pixel width (1600 by default).
    pub width: u32,
    /// Pixel height (900 by default).
    pub height: u32,
}

/// One panel: bands (median line with a shaded p05–p95 band) and shaded target windows.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Panel title (e.g. the channel's label).
    pub title: String,
    /// Y axis title.
    pub y_label: String,
    /// Y axis range.
    pub y_range: (f64, f64),
    /// The curves.
    pub bands: Vec<Band>,
    /// Shaded windows (targets): green if they hold, red if not.
    pub windows: Vec<Window>,
    /// Draw a horizontal line at y = 0 (paired differences).
    pub zero_line: bool,
}

/// A median line with a shaded band between a low and a high quantile.
#[derive(Debug, Clone)]
pub struct Band {
    /// Legend entry.
    pub label: String,
    /// Index into the palette, so one scenario or direction keeps its colour across panels.
    pub color: usize,
    /// Dates of the points.
    pub dates: Vec<Date>,
    /// Lower edge of the band (p05).
    pub low: Vec<f64>,
    /// The line (median).
    pub mid: Vec<f64>,
    /// Upper edge of the band (p95).
    pub high: Vec<f64>,
}

/// A dated vertical marker.
#[derive(Debug, Clone)]
pub struct Marker {
    /// Date of the event.
    pub date: Date,
    /// Short label.
    pub label: String,
    /// Emphasised (e.g. an event that differs between compared scenarios).
    pub highlight: bool,
}

/// A shaded date window on a panel.
#[derive(Debug, Clone)]
pub struct Window {
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
    /// Short label (target id).
    pub label: String,
    /// Green when true, red when false.
    pub pass: bool,
}

/// Default figure size.
pub const DEFAULT_SIZE: (u32, u32) = (1600, 900);
