//! What a figure shows, independent of how it is drawn: panels in a grid sharing an x axis,
//! each with bands, lines and points; a shared legend; dated event markers with a key.

use super::style::{Rgb, Shape};
use crate::scenario::Date;

/// A whole figure.
#[derive(Debug, Clone)]
pub struct Figure {
    /// Main title.
    pub title: String,
    /// Smaller line(s) under the title (runs, seed, what the bands are); wrapped to the width.
    pub subtitle: String,
    /// Remarks printed under the panels (e.g. that horizons differ); each wrapped to the width.
    pub notes: Vec<String>,
    /// The x axis shared by every panel.
    pub x_axis: XAxis,
    /// Number of grid columns (1 stacks the panels).
    pub columns: usize,
    /// The panels, in row-major order unless they name their [`Panel::cell`].
    pub panels: Vec<Panel>,
    /// One legend for the whole figure, drawn above the panels, outside every data area.
    pub legend: Vec<LegendEntry>,
    /// Dated events (date axes only), numbered on the panels and listed in a key below.
    pub events: Vec<EventMark>,
    /// Where the numbered event markers go.
    pub badges: Badges,
    /// Nominal width in pixels; the canvas is wider if the event markers need it.
    pub width: u32,
    /// Nominal height in pixels; the canvas is taller if panels, legend or key need it.
    pub height: u32,
}

impl Default for Figure {
    fn default() -> Self {
        Figure {
            title: String::new(),
            subtitle: String::new(),
            notes: Vec::new(),
            x_axis: XAxis::Values {
                lo: 0.0,
                hi: 1.0,
                title: String::new(),
            },
            columns: 1,
            panels: Vec::new(),
            legend: Vec::new(),
            events: Vec::new(),
            badges: Badges::PerPanel,
            width: super::DEFAULT_SIZE.0,
            height: super::DEFAULT_SIZE.1,
        }
    }
}

/// The shared x axis.
#[derive(Debug, Clone)]
pub enum XAxis {
    /// Calendar dates from the start of `from` to the end of `to`; x values are [`date_x`].
    Dates {
        /// First day shown.
        from: Date,
        /// Last day shown (its whole day is included).
        to: Date,
    },
    /// Plain numbers (factor values in sweeps).
    Values {
        /// Left end.
        lo: f64,
        /// Right end.
        hi: f64,
        /// Axis title.
        title: String,
    },
}

/// The x position of the start (midnight) of `date` on a date axis: a fractional year.
/// A state recorded at the end of day `d` sits at `date_x(d.plus_days(1))`.
pub fn date_x(date: Date) -> f64 {
    date.as_year_fraction()
}

/// Where numbered event markers are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Badges {
    /// Above every panel, for the events that touch it ([`Panel::events`]).
    PerPanel,
    /// Once per grid column, above its top panel, for every event (small multiples).
    PerColumn,
}

/// One panel of the grid.
#[derive(Debug, Clone, Default)]
pub struct Panel {
    /// Title above the panel.
    pub title: String,
    /// Colour of the title (e.g. the scenario's in small multiples); ink when `None`.
    pub title_color: Option<Rgb>,
    /// Y axis title; wrapped to the panel's height.
    pub y_label: String,
    /// Y axis range.
    pub y_range: (f64, f64),
    /// `(row, column)` in the grid; `None` takes the next free cell in row-major order.
    pub cell: Option<(usize, usize)>,
    /// Opaque rectangles in data coordinates (heatmap cells), drawn before everything else.
    pub cells: Vec<Cell>,
    /// Shaded bands, drawn first.
    pub bands: Vec<Band>,
    /// Lines, drawn over the bands.
    pub lines: Vec<Line>,
    /// Point series, drawn last.
    pub points: Vec<Points>,
    /// Shaded windows (targets): green if they hold, red if not.
    pub windows: Vec<Window>,
    /// Draw a horizontal line at y = 0 (paired differences).
    pub zero_line: bool,
    /// Indices into [`Figure::events`] of the events that touch this panel: drawn in their
    /// kind's colour and numbered; the others only as faint dotted lines.
    pub events: Vec<usize>,
}

/// An opaque rectangle in data coordinates: a heatmap cell.
#[derive(Debug, Clone)]
pub struct Cell {
    /// Left and right x.
    pub x: (f64, f64),
    /// Bottom and top y.
    pub y: (f64, f64),
    /// Fill colour.
    pub color: Rgb,
}

/// A shaded area between two curves.
#[derive(Debug, Clone)]
pub struct Band {
    /// Colour (the fill is a light tint of it, the edges a thin line of it).
    pub color: Rgb,
    /// X positions.
    pub x: Vec<f64>,
    /// Lower edge.
    pub low: Vec<f64>,
    /// Upper edge.
    pub high: Vec<f64>,
    /// Draw as steps: each value holds from its x to the next one.
    pub steps: bool,
}

/// A polyline.
#[derive(Debug, Clone)]
pub struct Line {
    /// Colour.
    pub color: Rgb,
    /// X positions.
    pub x: Vec<f64>,
    /// Y values; non-finite values break the line.
    pub y: Vec<f64>,
    /// Draw as steps: each value holds from its x to the next one.
    pub steps: bool,
    /// Stroke width in pixels.
    pub width: f64,
    /// Dashed instead of solid.
    pub dashed: bool,
    /// Mark the last point, so that a curve that stops early visibly ends.
    pub end_mark: bool,
}

/// Markers at points, with optional vertical error bars.
#[derive(Debug, Clone)]
pub struct Points {
    /// Colour.
    pub color: Rgb,
    /// X positions.
    pub x: Vec<f64>,
    /// Y values.
    pub y: Vec<f64>,
    /// Error bars `(low, high)` per point, or empty.
    pub error: Vec<(f64, f64)>,
}

/// A shaded window of the x axis.
#[derive(Debug, Clone)]
pub struct Window {
    /// Left end (x value).
    pub from: f64,
    /// Right end (x value).
    pub to: f64,
    /// Short label (target id).
    pub label: String,
    /// Green when true, red when false.
    pub pass: bool,
}

/// An entry of the shared legend.
#[derive(Debug, Clone)]
pub struct LegendEntry {
    /// Text.
    pub label: String,
    /// What the swatch shows.
    pub swatch: Swatch,
}

/// The small picture in front of a legend entry.
#[derive(Debug, Clone, Copy)]
pub enum Swatch {
    /// A band with its line.
    BandLine(Rgb),
    /// A line.
    Line(Rgb),
    /// A dashed line.
    Dashed(Rgb),
    /// A shaded area (windows).
    Area(Rgb),
    /// A marker of the given shape.
    Marker(Rgb, Shape),
}

/// A dated event.
#[derive(Debug, Clone)]
pub struct EventMark {
    /// Number shown on the panels and in the key.
    pub number: usize,
    /// First day.
    pub date: Date,
    /// Last day of a sustained event (drawn as a span), `None` for a one-off.
    pub until: Option<Date>,
    /// Full label, shown in the key.
    pub label: String,
    /// Kind name, shown in the kinds legend of the key.
    pub kind: String,
    /// Colour of its kind.
    pub color: Rgb,
    /// Marker shape of its kind.
    pub shape: Shape,
    /// Emphasised (an event that differs between compared scenarios).
    pub highlight: bool,
}
