//! Runs of drawable points: a curve is broken where a value is missing or not finite, rather
//! than drawn through a made-up value.

use std::ops::Range;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_skip_bad_points() {
        let v = [1.0, f64::NAN, 2.0, 3.0, f64::INFINITY, 4.0];
        assert_eq!(runs(v.len(), |i| v[i].is_finite()), vec![0..1, 2..4, 5..6]);
        assert!(runs(0, |_| true).is_empty());
    }
}
