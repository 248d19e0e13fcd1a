//! Charts of the reports page, drawn as SVG by our own code (no chart library): a bar chart with a
//! value axis from zero. Colours come from the page's CSS variables (light and dark); the numbers
//! behind a chart are in the table under it, for screen readers and for copying.

use leptos::prelude::*;

/// Width and height of a chart's drawing (the SVG scales to its box). Whole numbers throughout:
/// no float formatting in the console's code.
const WIDTH: u64 = 480;
const HEIGHT: u64 = 200;
/// Room for the value labels (left) and the bar labels (bottom).
const LEFT: u64 = 64;
const BOTTOM: u64 = 24;
const TOP: u64 = 10;

/// A round top for the value axis: 1, 2 or 5 times a power of ten, at least `max`.
pub fn axis_top(max: u64) -> u64 {
    let mut power = 1;
    loop {
        for m in [1, 2, 5] {
            if m * power >= max {
                return m * power;
            }
        }
        power *= 10;
    }
}

/// Every how many bars a label is written, so labels do not overlap (eight at most: they stay
/// apart in the phone's larger type too).
pub fn label_step(bars: usize) -> usize {
    bars.div_ceil(8).max(1)
}

/// What a chart's values are, for its axis and tooltips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A count.
    Count,
    /// Milliseconds, written as a duration (in Chinese or English).
    Duration {
        /// Chinese units.
        zh: bool,
    },
}

impl Unit {
    fn text(self, value: u64) -> String {
        match self {
            Self::Count => value.to_string(),
            Self::Duration { zh } => protocol::report::duration_text(value, zh),
        }
    }
}

/// A bar chart: one bar per `(label, value)`.
#[component]
pub fn BarChart(
    /// What the chart shows (its accessible name).
    title: String,
    /// The bars, in order.
    bars: Vec<(String, u64)>,
    /// What the values are.
    unit: Unit,
    /// `data-testid` of the chart.
    testid: &'static str,
) -> impl IntoView {
    let top = axis_top(bars.iter().map(|(_, v)| *v).max().unwrap_or(0));
    let plot_w = WIDTH - LEFT;
    let plot_h = HEIGHT - BOTTOM - TOP;
    let n = bars.len().max(1) as u64;
    let step = label_step(bars.len());
    // Lines at zero, the middle and the top; the middle is labelled when it is a whole value.
    let grid = [0, 1, 2].map(|half| {
        let y = TOP + plot_h - plot_h * half / 2;
        let label = (half != 1 || top.is_multiple_of(2)).then(|| unit.text(top * half / 2));
        view! {
            <line class="grid" x1=LEFT x2=WIDTH y1=y y2=y />
            <text class="axis" x=LEFT - 6 y=y + 4 text-anchor="end">{label}</text>
        }
    });
    let drawn = bars.into_iter().enumerate().map(|(i, (label, value))| {
        let h = plot_h * value / top;
        let (x, slot) = (LEFT + plot_w * i as u64 / n, plot_w / n);
        let tip = format!("{label}: {}", unit.text(value));
        let name = (i % step == 0)
            .then(|| view! { <text class="axis" x=x + slot / 2 y=HEIGHT - 6 text-anchor="middle">{label.clone()}</text> });
        view! {
            <rect class="bar" data-value=value x=x + slot / 6 y=TOP + plot_h - h width=(slot * 2 / 3).max(1) height=h rx="2">
                <title>{tip}</title>
            </rect>
            {name}
        }
    });
    view! {
        <svg class="chart" data-testid=testid viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=title>
            {grid.into_iter().collect_view()}
            {drawn.collect_view()}
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_ends_on_a_round_number() {
        assert_eq!(axis_top(0), 1);
        assert_eq!(axis_top(3), 5);
        assert_eq!(axis_top(10), 10);
        assert_eq!(axis_top(11), 20);
        assert_eq!(axis_top(61_000), 100_000);
    }

    #[test]
    fn eight_labels_at_most() {
        assert_eq!(label_step(7), 1);
        assert_eq!(label_step(31), 4);
        assert_eq!(label_step(24), 3);
        assert_eq!(label_step(168), 21);
    }
}
