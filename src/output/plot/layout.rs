//! Pure layout helpers: grid cells, flowing legend entries into rows, splitting the event key
//! into balanced columns. No drawing, so each can be tested alone.

use super::figure::Panel;

/// The `(row, column)` of every panel: its own [`Panel::cell`] if set and free, else the next
/// free cell in row-major order.
pub(super) fn grid_cells(panels: &[Panel], columns: usize) -> Vec<(usize, usize)> {
    let columns = columns.max(1);
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let mut cells = vec![(0, 0); panels.len()];
    for (i, panel) in panels.iter().enumerate() {
        if let Some((r, c)) = panel.cell
            && c < columns
            && !taken.contains(&(r, c))
        {
            taken.push((r, c));
            cells[i] = (r, c);
        }
    }
    let mut next = 0usize;
    for (i, panel) in panels.iter().enumerate() {
        let placed = matches!(panel.cell, Some((r, c)) if cells[i] == (r, c) && c < columns);
        if placed {
            continue;
        }
        while taken.contains(&(next / columns, next % columns)) {
            next += 1;
        }
        let cell = (next / columns, next % columns);
        taken.push(cell);
        cells[i] = cell;
    }
    cells
}

/// Places items of the given widths left to right in rows no wider than `max_width`,
/// `gap` apart: `(row, x offset)` per item. An item wider than a row gets a row of its own.
pub(super) fn flow(widths: &[f64], max_width: f64, gap: f64) -> Vec<(usize, f64)> {
    let mut out = Vec::with_capacity(widths.len());
    let (mut row, mut x) = (0usize, 0.0f64);
    for &w in widths {
        if x > 0.0 && x + w > max_width {
            row += 1;
            x = 0.0;
        }
        out.push((row, x));
        x += w + gap;
    }
    out
}

/// Splits items of the given heights, in order, into at most `columns` consecutive groups
/// whose total heights are as even as a greedy pass makes them; the first index of each
/// group.
pub(super) fn balance_columns(heights: &[f64], columns: usize) -> Vec<usize> {
    let columns = columns.max(1).min(heights.len().max(1));
    let total: f64 = heights.iter().sum();
    let mut starts = vec![0];
    let mut acc = 0.0;
    for (i, h) in heights.iter().enumerate() {
        let target = total * starts.len() as f64 / columns as f64;
        // A column is full once it reaches its share, so earlier columns are the longer ones,
        // as in a printed index.
        if i > 0 && starts.len() < columns && acc >= target - 1e-9 {
            starts.push(i);
        }
        acc += h;
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_fill_row_major_around_explicit_ones() {
        let mut panels = vec![Panel::default(); 4];
        panels[0].cell = Some((1, 1));
        let cells = grid_cells(&panels, 2);
        assert_eq!(cells, [(1, 1), (0, 0), (0, 1), (1, 0)]);
        assert_eq!(grid_cells(&panels[1..], 1), [(0, 0), (1, 0), (2, 0)]);
    }

    #[test]
    fn flows_wrap() {
        let placed = flow(&[40.0, 40.0, 40.0, 200.0], 100.0, 10.0);
        assert_eq!(placed, [(0, 0.0), (0, 50.0), (1, 0.0), (2, 0.0)]);
    }

    #[test]
    fn columns_are_balanced() {
        let heights = [1.0; 10];
        assert_eq!(balance_columns(&heights, 3), [0, 4, 7]);
        assert_eq!(balance_columns(&heights, 1), [0]);
        assert_eq!(balance_columns(&[], 3), [0]);
        assert_eq!(balance_columns(&[5.0, 1.0], 4), [0, 1]);
    }
}
