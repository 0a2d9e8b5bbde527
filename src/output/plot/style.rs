//! Colours, the categorical palette and marker shapes.

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

/// Okabe–Ito, the colour-blind-safe set of eight, in an order that keeps the first colours the
/// most distinct; its yellow is darkened, because the original vanishes on white.
const PALETTE: [Rgb; 8] = [
    Rgb(0, 114, 178),   // blue
    Rgb(230, 159, 0),   // orange
    Rgb(0, 158, 115),   // bluish green
    Rgb(213, 94, 0),    // vermillion
    Rgb(204, 121, 167), // reddish purple
    Rgb(86, 180, 233),  // sky blue
    Rgb(40, 40, 40),    // black
    Rgb(190, 170, 20),  // yellow, darkened
];

/// Colour `i` of the categorical palette (cycles after eight).
pub fn palette(i: usize) -> Rgb {
    PALETTE[i % PALETTE.len()]
}

pub(super) const WHITE: Rgb = Rgb(255, 255, 255);
pub(super) const INK: Rgb = Rgb(34, 34, 34);
pub(super) const MUTED: Rgb = Rgb(96, 96, 96);
pub(super) const GRID: Rgb = Rgb(226, 226, 226);
pub(super) const GRID_LIGHT: Rgb = Rgb(243, 243, 243);
pub(super) const FRAME: Rgb = Rgb(150, 150, 150);
pub(super) const FAINT: Rgb = Rgb(200, 200, 200);
pub(super) const PASS: Rgb = Rgb(44, 160, 44);
pub(super) const PASS_TEXT: Rgb = Rgb(20, 100, 30);
pub(super) const FAIL: Rgb = Rgb(214, 39, 40);
pub(super) const FAIL_TEXT: Rgb = Rgb(150, 20, 20);

/// A marker shape; all of them can hold a one- or two-digit number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// ●
    Circle,
    /// ■
    Square,
    /// ◆
    Diamond,
    /// ⬢ (flat top and bottom)
    Hexagon,
    /// A pentagon pointing down.
    Down,
    /// A pentagon pointing up.
    Up,
    /// A square with cut corners.
    Octagon,
}

impl Shape {
    /// The outline of the shape of half-size `r` centred on `(cx, cy)`, as polygon vertices
    /// (`None` for the circle).
    pub(super) fn outline(self, (cx, cy): (f64, f64), r: f64) -> Option<Vec<(f64, f64)>> {
        let points: Vec<(f64, f64)> = match self {
            Shape::Circle => return None,
            Shape::Square => vec![(-0.9, -0.9), (0.9, -0.9), (0.9, 0.9), (-0.9, 0.9)],
            Shape::Diamond => vec![(0.0, -1.2), (1.2, 0.0), (0.0, 1.2), (-1.2, 0.0)],
            Shape::Hexagon => vec![
                (-0.55, -0.95),
                (0.55, -0.95),
                (1.1, 0.0),
                (0.55, 0.95),
                (-0.55, 0.95),
                (-1.1, 0.0),
            ],
            Shape::Down => vec![
                (-1.0, -0.95),
                (1.0, -0.95),
                (1.0, 0.25),
                (0.0, 1.15),
                (-1.0, 0.25),
            ],
            Shape::Up => vec![
                (0.0, -1.15),
                (1.0, -0.25),
                (1.0, 0.95),
                (-1.0, 0.95),
                (-1.0, -0.25),
            ],
            Shape::Octagon => vec![
                (-0.45, -1.0),
                (0.45, -1.0),
                (1.0, -0.45),
                (1.0, 0.45),
                (0.45, 1.0),
                (-0.45, 1.0),
                (-1.0, 0.45),
                (-1.0, -0.45),
            ],
        };
        Some(
            points
                .into_iter()
                .map(|(x, y)| (cx + x * r, cy + y * r))
                .collect(),
        )
    }
}
