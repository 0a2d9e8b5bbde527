//! A minimal SVG writer: shapes, text and groups in pixel coordinates, and a self-contained
//! document at the end, with the used glyphs of DejaVu Sans embedded.
//!
//! Written by hand rather than through a plotting library so that the document stays small
//! (one decimal, compact paths) and carries the classes that the tests and a web page use to
//! find things (`plot-area`, `legend`, `event-key`, …).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::font::{self, EMBEDDED_FAMILY};
use super::style::Rgb;

/// Fill and stroke of a shape.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Paint {
    /// Fill colour and opacity.
    pub fill: Option<(Rgb, f64)>,
    /// Stroke colour, width and opacity.
    pub stroke: Option<(Rgb, f64, f64)>,
    /// Dash pattern `(dash, gap)`.
    pub dash: Option<(f64, f64)>,
}

impl Paint {
    pub fn fill(color: Rgb, opacity: f64) -> Paint {
        Paint {
            fill: Some((color, opacity)),
            ..Paint::default()
        }
    }

    pub fn stroke(color: Rgb, width: f64, opacity: f64) -> Paint {
        Paint {
            stroke: Some((color, width, opacity)),
            ..Paint::default()
        }
    }

    pub fn with_stroke(mut self, color: Rgb, width: f64, opacity: f64) -> Paint {
        self.stroke = Some((color, width, opacity));
        self
    }

    pub fn dashed(mut self, dash: f64, gap: f64) -> Paint {
        self.dash = Some((dash, gap));
        self
    }

    fn attributes(&self) -> String {
        let mut out = String::new();
        match self.fill {
            Some((color, opacity)) => {
                let _ = write!(out, " fill=\"{}\"", color.hex());
                if opacity < 1.0 {
                    let _ = write!(out, " fill-opacity=\"{}\"", num2(opacity));
                }
            }
            None => out.push_str(" fill=\"none\""),
        }
        if let Some((color, width, opacity)) = self.stroke {
            let _ = write!(
                out,
                " stroke=\"{}\" stroke-width=\"{}\"",
                color.hex(),
                num(width)
            );
            if opacity < 1.0 {
                let _ = write!(out, " stroke-opacity=\"{}\"", num2(opacity));
            }
            if let Some((dash, gap)) = self.dash {
                let _ = write!(out, " stroke-dasharray=\"{} {}\"", num(dash), num(gap));
            }
        }
        out
    }
}

/// How a piece of text is set.
#[derive(Debug, Clone, Copy)]
pub(super) struct Font {
    pub size: f64,
    pub bold: bool,
    pub color: Rgb,
}

impl Font {
    #[cfg(test)]
    pub fn new(size: f64, bold: bool, color: Rgb) -> Font {
        Font { size, bold, color }
    }

    pub fn width(&self, text: &str) -> f64 {
        font::text_width(text, self.size, self.bold)
    }
}

/// Horizontal anchoring of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Anchor {
    Start,
    Middle,
    End,
}

/// A document being written.
pub(super) struct Canvas {
    pub width: u32,
    pub height: u32,
    body: String,
    defs: String,
    clips: usize,
    chars: [BTreeSet<char>; 2],
}

/// A coordinate with one decimal, without `-0`.
pub(super) fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 || !r.is_finite() {
        return "0".into();
    }
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

fn num2(v: f64) -> String {
    let text = format!("{:.2}", v.clamp(0.0, 1.0));
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Control characters are not allowed in XML.
            c if (c as u32) < 0x20 => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

impl Canvas {
    pub fn new(width: u32, height: u32) -> Canvas {
        Canvas {
            width,
            height,
            body: String::new(),
            defs: String::new(),
            clips: 0,
            chars: [BTreeSet::new(), BTreeSet::new()],
        }
    }

    /// Opens a group; `class` names what it holds, `data` is extra attribute text.
    pub fn open(&mut self, class: &str, data: &str) {
        let _ = write!(self.body, "<g class=\"{class}\"");
        if !data.is_empty() {
            let _ = write!(self.body, " {data}");
        }
        self.body.push_str(">\n");
    }

    /// Opens a group clipped to a rectangle.
    pub fn open_clipped(&mut self, class: &str, (x, y, w, h): (f64, f64, f64, f64)) {
        self.clips += 1;
        let id = format!("clip{}", self.clips);
        let _ = writeln!(
            self.defs,
            "<clipPath id=\"{id}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath>",
            num(x),
            num(y),
            num(w),
            num(h)
        );
        let _ = writeln!(self.body, "<g class=\"{class}\" clip-path=\"url(#{id})\">");
    }

    pub fn close(&mut self) {
        self.body.push_str("</g>\n");
    }

    pub fn rect(&mut self, (x, y, w, h): (f64, f64, f64, f64), paint: Paint, class: &str) {
        if !(w > 0.0 && h > 0.0) {
            return;
        }
        let class = if class.is_empty() {
            String::new()
        } else {
            format!(" class=\"{class}\"")
        };
        let _ = writeln!(
            self.body,
            "<rect{class} x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"{}/>",
            num(x),
            num(y),
            num(w),
            num(h),
            paint.attributes()
        );
    }

    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), paint: Paint) {
        let _ = writeln!(
            self.body,
            "<path d=\"M{} {}L{} {}\"{}/>",
            num(x1),
            num(y1),
            num(x2),
            num(y2),
            paint.attributes()
        );
    }

    /// A path from `d` (already formatted path data).
    pub fn path(&mut self, d: &str, paint: Paint, class: &str) {
        if d.is_empty() {
            return;
        }
        let class = if class.is_empty() {
            String::new()
        } else {
            format!(" class=\"{class}\"")
        };
        let _ = writeln!(self.body, "<path{class} d=\"{d}\"{}/>", paint.attributes());
    }

    pub fn polygon(&mut self, points: &[(f64, f64)], paint: Paint) {
        let d = polyline_data(points, true);
        self.path(&d, paint, "");
    }

    pub fn circle(&mut self, (cx, cy): (f64, f64), r: f64, paint: Paint) {
        let _ = writeln!(
            self.body,
            "<circle cx=\"{}\" cy=\"{}\" r=\"{}\"{}/>",
            num(cx),
            num(cy),
            num(r),
            paint.attributes()
        );
    }

    fn note_chars(&mut self, text: &str, bold: bool) {
        self.chars[usize::from(bold)].extend(text.chars());
    }

    /// One line of text with its baseline at `y`.
    pub fn text(
        &mut self,
        (x, y): (f64, f64),
        text: &str,
        font: Font,
        anchor: Anchor,
        class: &str,
    ) {
        self.text_lines((x, y), &[text.to_string()], 0.0, font, anchor, class, false);
    }

    /// Lines of text, the first with its baseline at `y`, the next `leading` pixels lower
    /// each; with `rotate`, turned 90° counter-clockwise about `(x, y)`.
    #[allow(clippy::too_many_arguments)]
    pub fn text_lines(
        &mut self,
        (x, y): (f64, f64),
        lines: &[String],
        leading: f64,
        font: Font,
        anchor: Anchor,
        class: &str,
        rotate: bool,
    ) {
        if lines.iter().all(|l| l.trim().is_empty()) {
            return;
        }
        for line in lines {
            self.note_chars(line, font.bold);
        }
        let mut attributes = format!(
            "x=\"{}\" y=\"{}\" font-size=\"{}\"",
            num(x),
            num(y),
            num(font.size)
        );
        if font.bold {
            attributes.push_str(" font-weight=\"bold\"");
        }
        if font.color != super::style::Rgb(0, 0, 0) {
            let _ = write!(attributes, " fill=\"{}\"", font.color.hex());
        }
        match anchor {
            Anchor::Start => {}
            Anchor::Middle => attributes.push_str(" text-anchor=\"middle\""),
            Anchor::End => attributes.push_str(" text-anchor=\"end\""),
        }
        if rotate {
            let _ = write!(
                attributes,
                " transform=\"rotate(-90 {} {})\"",
                num(x),
                num(y)
            );
        }
        if !class.is_empty() {
            let _ = write!(attributes, " class=\"{class}\"");
        }
        if lines.len() == 1 {
            let _ = writeln!(self.body, "<text {attributes}>{}</text>", escape(&lines[0]));
        } else {
            let _ = write!(self.body, "<text {attributes}>");
            for (i, line) in lines.iter().enumerate() {
                let dy = if i == 0 { 0.0 } else { leading };
                let _ = write!(
                    self.body,
                    "<tspan x=\"{}\" dy=\"{}\">{}</tspan>",
                    num(x),
                    num(dy),
                    escape(line)
                );
            }
            self.body.push_str("</text>\n");
        }
    }

    /// The finished document and the font subsets it embeds (regular, then bold if used).
    pub fn finish(self) -> anyhow::Result<(String, Vec<Vec<u8>>)> {
        use base64::Engine as _;
        let mut style = String::new();
        let mut fonts = Vec::new();
        for (bold, chars) in [(false, &self.chars[0]), (true, &self.chars[1])] {
            if chars.is_empty() {
                continue;
            }
            let subset = font::subset(chars, bold)?;
            let _ = write!(
                style,
                "@font-face{{font-family:\"{EMBEDDED_FAMILY}\";font-weight:{};src:url(data:font/ttf;base64,{}) format(\"truetype\");}}",
                if bold { "bold" } else { "normal" },
                base64::engine::general_purpose::STANDARD.encode(&subset)
            );
            fonts.push(subset);
        }
        let (w, h) = (self.width, self.height);
        let mut svg = String::with_capacity(self.body.len() + style.len() + 1024);
        let _ = writeln!(
            svg,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">"
        );
        let _ = writeln!(svg, "<defs>");
        if !style.is_empty() {
            let _ = writeln!(svg, "<style>{style}</style>");
        }
        svg.push_str(&self.defs);
        let _ = writeln!(svg, "</defs>");
        let _ = writeln!(svg, "<rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>");
        // Viewers without @font-face support (rsvg-convert, resvg) fall back to an installed
        // DejaVu Sans, which has the same metrics.
        let _ = writeln!(
            svg,
            "<g font-family=\"{EMBEDDED_FAMILY}, 'DejaVu Sans', sans-serif\">"
        );
        svg.push_str(&self.body);
        svg.push_str("</g>\n</svg>\n");
        Ok((svg, fonts))
    }
}

/// Path data through `points`, closed if `close`.
pub(super) fn polyline_data(points: &[(f64, f64)], close: bool) -> String {
    let mut d = String::new();
    for (i, &(x, y)) in points.iter().enumerate() {
        let _ = write!(d, "{}{} {}", if i == 0 { 'M' } else { 'L' }, num(x), num(y));
    }
    if close && !d.is_empty() {
        d.push('Z');
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.04), "12");
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(3.25), "3.3");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(num2(0.5), "0.5");
    }

    #[test]
    fn text_is_escaped_and_fonts_embedded() {
        let mut canvas = Canvas::new(100, 50);
        canvas.text(
            (1.0, 20.0),
            "A & <B>",
            Font::new(12.0, false, Rgb(0, 0, 0)),
            Anchor::Start,
            "t",
        );
        let (svg, fonts) = canvas.finish().unwrap();
        assert!(svg.contains(">A &amp; &lt;B&gt;</text>"), "{svg}");
        assert!(svg.contains("@font-face"));
        assert_eq!(fonts.len(), 1);
        assert!(roxmltree::Document::parse(&svg).is_ok());
    }
}
