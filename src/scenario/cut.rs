//! Cutting a run short (`--end DATE`): the horizon ends earlier, and the events and targets
//! after the new end are dropped — and named, so nothing disappears silently.

use super::date::Date;
use super::raw::RawScenario;
use crate::targets::TargetSpec;

/// What `--end` removed from a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// The new last day.
    pub end: Date,
    /// Ids of the events dropped (dated after the end).
    pub events: Vec<String>,
    /// Ids of the sustained events that now stop at the end.
    pub shortened: Vec<String>,
    /// Ids of the targets dropped (looking at a date after the end).
    pub targets: Vec<String>,
}

impl Cut {
    /// One line for the user: what was dropped, by id.
    pub fn describe(&self) -> String {
        let list = |ids: &[String]| ids.join(", ");
        let mut parts = Vec::new();
        if !self.events.is_empty() {
            parts.push(format!(
                "drops {} event(s) after it ({})",
                self.events.len(),
                list(&self.events)
            ));
        }
        if !self.shortened.is_empty() {
            parts.push(format!(
                "stops {} sustained event(s) on it ({})",
                self.shortened.len(),
                list(&self.shortened)
            ));
        }
        if !self.targets.is_empty() {
            parts.push(format!(
                "drops {} target(s) that look past it ({})",
                self.targets.len(),
                list(&self.targets)
            ));
        }
        if parts.is_empty() {
            format!("--end {}: no event or target comes after it", self.end)
        } else {
            format!("--end {} {}", self.end, parts.join(", "))
        }
    }
}

/// Ends `raw`'s horizon on `end`, dropping what comes after. `end` must fall after the start
/// and no later than the current end: `--end` only shortens.
pub fn cut(raw: &mut RawScenario, end: Date) -> Result<Cut, String> {
    let horizon = &mut raw.horizon;
    if end <= horizon.start || end > horizon.end {
        return Err(format!(
            "{end} is outside the scenario's horizon {} … {}, expected a date after its start and no later than its end (--end only cuts a run short)",
            horizon.start, horizon.end
        ));
    }
    horizon.end = end;
    let mut cut = Cut {
        end,
        events: Vec::new(),
        shortened: Vec::new(),
        targets: Vec::new(),
    };
    raw.events.retain_mut(|e| {
        if e.date > end {
            cut.events.push(e.id.clone());
            return false;
        }
        if e.until.is_some_and(|u| u > end) {
            e.until = Some(end);
            cut.shortened.push(e.id.clone());
        }
        true
    });
    raw.targets.retain(|t| {
        let keep = target_dates(t).all(|d| d <= end);
        if !keep {
            cut.targets.push(t.id.clone());
        }
        keep
    });
    Ok(cut)
}

/// Events and targets dated outside `start..=end`, as `event `id` (date)` descriptions.
pub fn outside(raw: &RawScenario, start: Date, end: Date) -> Vec<String> {
    let out = |d: &Date| *d < start || *d > end;
    let events = raw.events.iter().filter_map(|e| {
        let date = [Some(e.date), e.until].into_iter().flatten().find(out)?;
        Some(format!("event `{}` ({date})", e.id))
    });
    let targets = raw.targets.iter().filter_map(|t| {
        let date = target_dates(t).find(out)?;
        Some(format!("target `{}` ({date})", t.id))
    });
    events.chain(targets).collect()
}

/// Every date a target looks at.
fn target_dates(t: &TargetSpec) -> impl Iterator<Item = Date> + '_ {
    let windows = [t.within, t.relative_to_range]
        .into_iter()
        .flatten()
        .flatten();
    let other = t
        .other
        .iter()
        .flat_map(|o| [o.at, o.from, o.to].into_iter().flatten());
    [t.at, t.from, t.to]
        .into_iter()
        .flatten()
        .chain(windows)
        .chain(other)
}
