//! Clipping lines and polygons to a panel's data rectangle.
//!
//! plotters does not clip what is drawn on a chart to its plotting area, so a value outside
//! the y range (or a date outside the x range) would spill over neighbouring panels.

use std::ops::Range;

/// An axis-aligned rectangle in data coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rect {
    /// Left edge.
    pub x0: f64,
    /// Right edge.
    pub x1: f64,
    /// Bottom edge.
    pub y0: f64,
    /// Top edge.
    pub y1: f64,
}

impl Rect {
    /// A rectangle from two possibly unordered ranges.
    pub fn new((xa, xb): (f64, f64), (ya, yb): (f64, f64)) -> Rect {
        Rect {
            x0: xa.min(xb),
            x1: xa.max(xb),
            y0: ya.min(yb),
            y1: ya.max(yb),
        }
    }

    /// Whether `p` is inside or on the edge.
    #[cfg(test)]
    pub fn contains(&self, (x, y): (f64, f64)) -> bool {
        (self.x0..=self.x1).contains(&x) && (self.y0..=self.y1).contains(&y)
    }
}

/// Maximal runs of consecutive indices in `0..len` for which `ok` holds.
pub(super) fn runs(len: usize, ok: impl Fn(usize) -> bool) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for i in 0..len {
        match (ok(i), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(s..len);
    }
    out
}

/// The part of segment `a`–`b` inside `rect` (Liang–Barsky), if any.
pub(super) fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    rect: &Rect,
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let mut t0: f64 = 0.0;
    let mut t1: f64 = 1.0;
    for (p, q) in [
        (-dx, a.0 - rect.x0),
        (dx, rect.x1 - a.0),
        (-dy, a.1 - rect.y0),
        (dy, rect.y1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| (a.0 + t * dx, a.1 + t * dy);
    Some((
        if t0 > 0.0 { at(t0) } else { a },
        if t1 < 1.0 { at(t1) } else { b },
    ))
}

/// The parts of a polyline inside `rect`, as separate polylines.
pub(super) fn clip_polyline(points: &[(f64, f64)], rect: &Rect) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for pair in points.windows(2) {
        match clip_segment(pair[0], pair[1], rect) {
            Some((p, q)) => {
                // Continue the current piece only if this segment starts where it ended.
                if current.last() != Some(&p) {
                    if current.len() > 1 {
                        out.push(std::mem::take(&mut current));
                    }
                    current.clear();
                    current.push(p);
                }
                current.push(q);
            }
            None => {
                if current.len() > 1 {
                    out.push(std::mem::take(&mut current));
                }
                current.clear();
            }
        }
    }
    if current.len() > 1 {
        out.push(current);
    }
    out
}

/// `polygon` clipped to `rect` (Sutherland–Hodgman); empty if nothing is left.
///
/// Concave input can leave zero-width slivers along the edges, which fill to nothing.
pub(super) fn clip_polygon(polygon: &[(f64, f64)], rect: &Rect) -> Vec<(f64, f64)> {
    type Edge = (
        fn(&Rect, (f64, f64)) -> bool,
        fn(&Rect, (f64, f64), (f64, f64)) -> (f64, f64),
    );
    fn lerp_x(x: f64, a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
        let t = (x - a.0) / (b.0 - a.0);
        (x, a.1 + t * (b.1 - a.1))
    }
    fn lerp_y(y: f64, a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
        let t = (y - a.1) / (b.1 - a.1);
        (a.0 + t * (b.0 - a.0), y)
    }
    let edges: [Edge; 4] = [
        (|r, p| p.0 >= r.x0, |r, a, b| lerp_x(r.x0, a, b)),
        (|r, p| p.0 <= r.x1, |r, a, b| lerp_x(r.x1, a, b)),
        (|r, p| p.1 >= r.y0, |r, a, b| lerp_y(r.y0, a, b)),
        (|r, p| p.1 <= r.y1, |r, a, b| lerp_y(r.y1, a, b)),
    ];
    let mut current = polygon.to_vec();
    for (inside, cross) in edges {
        if current.is_empty() {
            break;
        }
        let input = std::mem::take(&mut current);
        let mut prev = input[input.len() - 1];
        for &p in &input {
            match (inside(rect, p), inside(rect, prev)) {
                (true, true) => current.push(p),
                (true, false) => {
                    current.push(cross(rect, prev, p));
                    current.push(p);
                }
                (false, true) => current.push(cross(rect, prev, p)),
                (false, false) => {}
            }
            prev = p;
        }
    }
    if current.len() < 3 {
        Vec::new()
    } else {
        current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIT: Rect = Rect {
        x0: 0.0,
        x1: 1.0,
        y0: 0.0,
        y1: 1.0,
    };

    #[test]
    fn runs_skip_bad_points() {
        let v = [1.0, f64::NAN, 2.0, 3.0, f64::INFINITY, 4.0];
        assert_eq!(runs(v.len(), |i| v[i].is_finite()), vec![0..1, 2..4, 5..6]);
        assert!(runs(0, |_| true).is_empty());
    }

    #[test]
    fn segments_are_cut_at_the_edges() {
        assert_eq!(
            clip_segment((0.2, 0.2), (0.8, 0.8), &UNIT),
            Some(((0.2, 0.2), (0.8, 0.8)))
        );
        assert_eq!(
            clip_segment((-1.0, 0.5), (2.0, 0.5), &UNIT),
            Some(((0.0, 0.5), (1.0, 0.5)))
        );
        assert_eq!(
            clip_segment((0.5, 0.5), (0.5, 3.0), &UNIT),
            Some(((0.5, 0.5), (0.5, 1.0)))
        );
        assert_eq!(clip_segment((2.0, 2.0), (3.0, 3.0), &UNIT), None);
        assert_eq!(clip_segment((-1.0, 2.0), (2.0, 2.0), &UNIT), None);
    }

    #[test]
    fn polylines_break_where_they_leave() {
        let line = [(0.0, 0.5), (0.4, 0.5), (0.5, 2.0), (0.6, 0.5), (1.0, 0.5)];
        let pieces = clip_polyline(&line, &UNIT);
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0][0], (0.0, 0.5));
        assert_eq!(pieces[1].last(), Some(&(1.0, 0.5)));
        assert!(pieces.iter().flatten().all(|&p| UNIT.contains(p)));
    }

    #[test]
    fn polygons_are_cut_to_the_rectangle() {
        let square = [(-1.0, -1.0), (2.0, -1.0), (2.0, 2.0), (-1.0, 2.0)];
        let clipped = clip_polygon(&square, &UNIT);
        assert_eq!(clipped.len(), 4);
        assert!(clipped.iter().all(|&p| UNIT.contains(p)));
        assert!(clip_polygon(&[(2.0, 2.0), (3.0, 2.0), (3.0, 3.0)], &UNIT).is_empty());
        let inside = [(0.1, 0.1), (0.9, 0.1), (0.5, 0.9)];
        assert_eq!(clip_polygon(&inside, &UNIT), inside.to_vec());
    }
}
