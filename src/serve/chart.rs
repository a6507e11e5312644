//! The captures-over-time chart of the overview: an SVG bar chart rendered on the server
//! (no script). Days without captures are shown as gaps; long spans are grouped by week
//! or month so that the chart keeps at most a few hundred bars.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use maud::{Markup, html};

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 180.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 8.0;
/// Most bars before grouping by a longer period.
const MAX_BARS: i64 = 400;

/// One bar: the first day of its period, a label and a count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    /// First day of the period.
    pub start: NaiveDate,
    /// `YYYY-MM-DD`, `week of YYYY-MM-DD` or `YYYY-MM`.
    pub label: String,
    /// Captures in the period.
    pub count: u64,
}

/// Groups day counts (`YYYY-MM-DD` → count) into consecutive bars, gaps included.
pub fn bars(by_day: &BTreeMap<String, u64>) -> Vec<Bar> {
    let days: Vec<(NaiveDate, u64)> = by_day
        .iter()
        .filter_map(|(d, n)| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .ok()
                .map(|d| (d, *n))
        })
        .collect();
    let (Some(first), Some(last)) = (days.first().map(|d| d.0), days.last().map(|d| d.0)) else {
        return Vec::new();
    };
    let span = (last - first).num_days() + 1;
    let key = |d: NaiveDate| -> (NaiveDate, String) {
        if span <= MAX_BARS {
            (d, d.format("%Y-%m-%d").to_string())
        } else if span <= MAX_BARS * 7 {
            let monday = d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
            (monday, format!("week of {}", monday.format("%Y-%m-%d")))
        } else {
            let m = NaiveDate::from_ymd_opt(d.year(), d.month(), 1).unwrap_or(d);
            (m, m.format("%Y-%m").to_string())
        }
    };
    let mut out: Vec<Bar> = Vec::new();
    let mut counts: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    for (d, n) in &days {
        *counts.entry(key(*d).0).or_default() += n;
    }
    let mut d = first;
    while d <= last {
        let (start, label) = key(d);
        if out.last().is_none_or(|b| b.start != start) {
            out.push(Bar {
                start,
                label,
                count: counts.get(&start).copied().unwrap_or(0),
            });
        }
        d += Duration::days(1);
    }
    out
}

/// The chart as inline SVG, with a text alternative.
pub fn captures_chart(by_day: &BTreeMap<String, u64>) -> Markup {
    let bars = bars(by_day);
    let max = bars.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let n = bars.len().max(1) as f64;
    let plot_w = WIDTH - LEFT - 4.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    // Bars at most 40 units wide: a few days do not fill the whole width.
    let bw = (plot_w / n).min(40.0);
    let gap = if bw > 3.0 { 1.0 } else { 0.0 };
    let total: u64 = bars.iter().map(|b| b.count).sum();
    let desc = match (bars.first(), bars.last()) {
        (Some(f), Some(l)) => format!(
            "{total} captures from {} to {}, at most {max} in one {}",
            f.label,
            l.label,
            if bars.len() > 1 && f.label.len() == 7 {
                "month"
            } else if f.label.starts_with("week") {
                "week"
            } else {
                "day"
            }
        ),
        _ => "no captures".to_string(),
    };
    html! {
        svg.chart viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-label=(desc) xmlns="http://www.w3.org/2000/svg" {
            title { (desc) }
            line x1=(LEFT) y1=(TOP + plot_h) x2=(WIDTH - 4.0) y2=(TOP + plot_h) stroke="#888" stroke-width="1" {}
            text x=(LEFT - 6.0) y=(TOP + 10.0) text-anchor="end" font-size="11" fill="#555" { (max) }
            text x=(LEFT - 6.0) y=(TOP + plot_h) text-anchor="end" font-size="11" fill="#555" { "0" }
            @for (i, b) in bars.iter().enumerate() {
                @let h = (b.count as f64 / max as f64) * plot_h;
                rect.bar x=(format!("{:.2}", LEFT + i as f64 * bw)) y=(format!("{:.2}", TOP + plot_h - h))
                    width=(format!("{:.2}", (bw - gap).max(0.5))) height=(format!("{:.2}", h)) fill="#3b6ea5" {
                    title { (b.label) ": " (b.count) }
                }
            }
            @if let Some(f) = bars.first() {
                text x=(LEFT) y=(HEIGHT - 6.0) font-size="11" fill="#555" { (f.label) }
            }
            @if bars.len() > 1 {
                @if let Some(l) = bars.last() {
                    text x=(WIDTH - 4.0) y=(HEIGHT - 6.0) text-anchor="end" font-size="11" fill="#555" { (l.label) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_bars_and_long_spans_group() {
        let mut days = BTreeMap::new();
        days.insert("2024-05-01".to_string(), 3);
        days.insert("2024-05-04".to_string(), 5);
        let b = bars(&days);
        assert_eq!(b.len(), 4);
        assert_eq!(b[1].count, 0);
        assert_eq!(b[3].count, 5);
        let svg = captures_chart(&days).into_string();
        assert_eq!(svg.matches("<rect").count(), 4);
        assert!(svg.contains("8 captures from 2024-05-01 to 2024-05-04"));
        days.insert("2026-05-01".to_string(), 1);
        let b = bars(&days);
        assert!(
            b.len() < 120 && b[0].label.starts_with("week of"),
            "{}",
            b.len()
        );
        assert_eq!(b.iter().map(|x| x.count).sum::<u64>(), 9);
        days.insert("2034-05-01".to_string(), 1);
        assert_eq!(bars(&days)[0].label, "2024-05");
        assert!(bars(&BTreeMap::new()).is_empty());
    }
}
