//! Placing text labels in rows so that they never overlap, and shortening text to fit.
//!
//! Pure functions on pixel extents, so the layout can be tested without drawing anything.

/// Where one label went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Slot {
    /// Row index, 0 being the row nearest to what the labels point at.
    pub row: usize,
    /// Width the label may use, from its unchanged left edge; smaller than the requested
    /// width when the label had to be shortened.
    pub width: f64,
}

/// Assigns each label `(left, width)` (pixels) to one of `rows` rows so that, within a row,
/// labels are at least `min_gap` apart.
///
/// Labels keep their left edge, because that is where they are anchored (a leader line or
/// a window edge). Greedy, left to right: each label takes the first row where it fits. When
/// none has room, it takes the row whose last label starts earliest, and that label is cut
/// short to end before it: every label stays next to its anchor, and the one cut is the one
/// left with the most room. Ties go to the lower row and to input order, so the result only
/// depends on the input. Results are in input order.
pub(super) fn place_labels(extents: &[(f64, f64)], rows: usize, min_gap: f64) -> Vec<Slot> {
    let rows = rows.max(1);
    let mut slots: Vec<Slot> = extents
        .iter()
        .map(|&(_, width)| Slot {
            row: 0,
            width: width.max(0.0),
        })
        .collect();
    let mut order: Vec<usize> = (0..extents.len()).collect();
    order.sort_by(|&a, &b| extents[a].0.total_cmp(&extents[b].0).then(a.cmp(&b)));

    // Index of the rightmost label placed so far in each row.
    let mut last: Vec<Option<usize>> = vec![None; rows];
    for &i in &order {
        let left = extents[i].0;
        let fits = |row: usize| match last[row] {
            None => true,
            Some(j) => extents[j].0 + slots[j].width + min_gap <= left,
        };
        let row = match (0..rows).find(|&row| fits(row)) {
            Some(row) => row,
            None => {
                // Every row is occupied here: all `last` are Some.
                let mut best = 0;
                let mut best_room = f64::NEG_INFINITY;
                for (row, j) in last.iter().enumerate() {
                    if let Some(j) = *j {
                        let room = left - min_gap - extents[j].0;
                        if room > best_room {
                            best_room = room;
                            best = row;
                        }
                    }
                }
                if let Some(j) = last[best] {
                    slots[j].width = slots[j].width.min(best_room.max(0.0));
                }
                best
            }
        };
        slots[i].row = row;
        last[row] = Some(i);
    }
    slots
}

/// The longest prefix of `text` (plus "…" if shortened) whose width, as given by `measure`,
/// is at most `max_width`; `None` if not even "…" fits.
pub(super) fn fit_text(
    text: &str,
    max_width: f64,
    mut measure: impl FnMut(&str) -> f64,
) -> Option<String> {
    if measure(text) <= max_width {
        return Some(text.to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    // Widths grow with the prefix length, so a binary search finds the longest prefix.
    let (mut lo, mut hi) = (0usize, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let candidate = shortened(&chars[..mid]);
        if measure(&candidate) <= max_width {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let best = shortened(&chars[..lo]);
    (measure(&best) <= max_width).then_some(best)
}

fn shortened(prefix: &[char]) -> String {
    let mut text: String = prefix.iter().collect::<String>().trim_end().to_string();
    text.push('…');
    text
}

/// Centres for items of pitch `pitch` (minimum distance between centres) wanted at `wanted`,
/// kept within `lo..=hi`, in the same order, moved as little as possible (least squares):
/// crowded items fan out around where they belong. `None` if they cannot all fit.
///
/// Order is kept, so straight leaders from each item to its wanted place never cross.
pub(super) fn dodge(wanted: &[f64], pitch: f64, (lo, hi): (f64, f64)) -> Option<Vec<f64>> {
    let n = wanted.len();
    if n == 0 {
        return Some(Vec::new());
    }
    let span = pitch * (n - 1) as f64;
    if span > hi - lo + 1e-9 {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| wanted[a].total_cmp(&wanted[b]).then(a.cmp(&b)));
    // With q_k = p_k − k·pitch the spacing constraint becomes "q non-decreasing": an isotonic
    // regression, solved by pooling adjacent violators.
    let targets: Vec<f64> = order
        .iter()
        .enumerate()
        .map(|(k, &i)| wanted[i] - k as f64 * pitch)
        .collect();
    let mut blocks: Vec<(f64, usize)> = Vec::new(); // (mean, count)
    for &t in &targets {
        blocks.push((t, 1));
        while blocks.len() > 1 {
            let (m2, c2) = blocks[blocks.len() - 1];
            let (m1, c1) = blocks[blocks.len() - 2];
            if m1 <= m2 {
                break;
            }
            blocks.pop();
            let c = c1 + c2;
            let last = blocks.len() - 1;
            blocks[last] = ((m1 * c1 as f64 + m2 * c2 as f64) / c as f64, c);
        }
    }
    let (q_lo, q_hi) = (lo, hi - span);
    let mut out = vec![0.0; n];
    let mut k = 0;
    for (mean, count) in blocks {
        for _ in 0..count {
            out[order[k]] = mean.clamp(q_lo, q_hi) + k as f64 * pitch;
            k += 1;
        }
    }
    Some(out)
}

/// `text` broken into lines no wider than `max_width` (as given by `measure`), at spaces
/// where possible and inside words longer than a line; nothing is dropped.
pub(super) fn wrap_text(
    text: &str,
    max_width: f64,
    mut measure: impl FnMut(&str) -> f64,
) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if measure(&candidate) <= max_width {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        // A word wider than a line is cut where it must be.
        let mut piece = String::new();
        for c in word.chars() {
            piece.push(c);
            if measure(&piece) > max_width && piece.chars().count() > 1 {
                piece.pop();
                lines.push(std::mem::take(&mut piece));
                piece.push(c);
            }
        }
        current = piece;
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_no_overlap(extents: &[(f64, f64)], slots: &[Slot], gap: f64) {
        for a in 0..extents.len() {
            for b in 0..extents.len() {
                // A label cut to nothing is not drawn.
                let hidden = slots[a].width == 0.0 || slots[b].width == 0.0;
                if a == b || hidden || slots[a].row != slots[b].row || extents[a].0 > extents[b].0 {
                    continue;
                }
                if extents[a].0 == extents[b].0 && a > b {
                    continue;
                }
                assert!(
                    extents[a].0 + slots[a].width + gap <= extents[b].0 + 1e-9,
                    "labels {a} and {b} overlap in row {}: {extents:?} {slots:?}",
                    slots[a].row
                );
            }
        }
    }

    #[test]
    fn separate_labels_share_the_first_row() {
        let extents = [(0.0, 50.0), (100.0, 50.0), (200.0, 50.0)];
        let slots = place_labels(&extents, 4, 5.0);
        assert!(slots.iter().all(|s| s.row == 0));
        assert!(slots.iter().all(|s| s.width == 50.0));
    }

    #[test]
    fn overlapping_labels_are_stacked_without_overlap() {
        let extents = [(10.0, 200.0), (30.0, 200.0), (50.0, 200.0), (300.0, 40.0)];
        let slots = place_labels(&extents, 4, 6.0);
        assert_eq!(
            slots.iter().map(|s| s.row).collect::<Vec<_>>(),
            vec![0, 1, 2, 0]
        );
        assert_no_overlap(&extents, &slots, 6.0);
    }

    #[test]
    fn when_rows_run_out_the_roomiest_neighbour_is_shortened() {
        let extents = [(0.0, 300.0), (40.0, 300.0), (80.0, 300.0)];
        let slots = place_labels(&extents, 2, 4.0);
        // Row 0's last label starts at 0, row 1's at 40: row 0 leaves more room.
        assert_eq!(slots[2].row, 0);
        assert_eq!(slots[0].width, 76.0);
        assert_eq!(slots[1].width, 300.0);
        assert_eq!(slots[2].width, 300.0);
        assert_no_overlap(&extents, &slots, 4.0);
    }

    #[test]
    fn input_order_does_not_matter_and_results_repeat() {
        let extents = [
            (80.0, 120.0),
            (0.0, 150.0),
            (40.0, 90.0),
            (45.0, 30.0),
            (500.0, 10.0),
        ];
        let a = place_labels(&extents, 3, 5.0);
        assert_eq!(a, place_labels(&extents, 3, 5.0));
        assert_no_overlap(&extents, &a, 5.0);
        let mut reversed = extents;
        reversed.reverse();
        let mut b = place_labels(&reversed, 3, 5.0);
        b.reverse();
        assert_eq!(a, b);
    }

    #[test]
    fn many_labels_at_one_place_never_overlap() {
        let extents: Vec<(f64, f64)> = (0..20).map(|i| (f64::from(i % 3), 80.0)).collect();
        let slots = place_labels(&extents, 4, 3.0);
        assert!(slots.iter().all(|s| s.row < 4 && s.width >= 0.0));
        assert_no_overlap(&extents, &slots, 3.0);
        assert!(place_labels(&[], 4, 3.0).is_empty());
    }

    #[test]
    fn fit_text_shortens_with_an_ellipsis() {
        let measure = |s: &str| s.chars().count() as f64 * 10.0;
        assert_eq!(fit_text("short", 100.0, measure).as_deref(), Some("short"));
        assert_eq!(
            fit_text("a long label", 60.0, measure).as_deref(),
            Some("a lon…")
        );
        assert_eq!(
            fit_text("a long label", 25.0, measure).as_deref(),
            Some("a…")
        );
        assert_eq!(
            fit_text("a long label", 10.0, measure).as_deref(),
            Some("…")
        );
        assert_eq!(fit_text("a long label", 5.0, measure), None);
    }

    #[test]
    fn dodge_keeps_order_spacing_and_bounds() {
        let wanted = [10.0, 11.0, 12.0, 100.0, 12.5];
        let got = dodge(&wanted, 20.0, (0.0, 200.0)).unwrap();
        let mut sorted: Vec<(f64, f64)> = wanted.iter().copied().zip(got.iter().copied()).collect();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        for pair in sorted.windows(2) {
            assert!(pair[1].1 - pair[0].1 >= 20.0 - 1e-9, "{got:?}");
        }
        assert!(got.iter().all(|&p| (0.0..=200.0).contains(&p)), "{got:?}");
        // An isolated item stays where it is wanted.
        assert!((got[3] - 100.0).abs() < 1e-9, "{got:?}");
        assert!(dodge(&[0.0; 12], 20.0, (0.0, 200.0)).is_none());
        assert_eq!(dodge(&[], 20.0, (0.0, 1.0)), Some(vec![]));
    }

    #[test]
    fn wrapping_keeps_every_character() {
        let measure = |s: &str| s.chars().count() as f64 * 10.0;
        let lines = wrap_text("Mikhailov, Stoyanov arrested", 100.0, measure);
        assert_eq!(lines, ["Mikhailov,", "Stoyanov", "arrested"]);
        let lines = wrap_text("Supercalifragilistic", 50.0, measure);
        assert_eq!(lines.concat(), "Supercalifragilistic");
        assert!(lines.iter().all(|l| measure(l) <= 50.0));
        assert_eq!(wrap_text("", 50.0, measure), [""]);
    }
}
