//! SVG line charts (plotters' SVG backend: no system libraries), used by
//! `nninit probe --plot` and the experiment report.

use plotters::prelude::*;

/// One line: label, points, colour index.
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// A palette that stays readable for up to 8 lines.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// Render `series` into an SVG document of `w x h`. With `log_y`, values
/// <= 0 or non-finite are dropped (they have no place on a log axis) and the
/// range is clamped to [1e-30, 1e30] so one overflowed run cannot flatten the rest.
pub fn line_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    log_y: bool,
    w: u32,
    h: u32,
) -> anyhow::Result<String> {
    let clean: Vec<Vec<(f64, f64)>> = series
        .iter()
        .map(|s| {
            s.points
                .iter()
                .copied()
                .filter(|&(_, y)| y.is_finite() && (!log_y || y > 0.0))
                .map(|(x, y)| (x, if log_y { y.clamp(1e-30, 1e30) } else { y }))
                .collect()
        })
        .collect();
    let xs = clean.iter().flatten().map(|p| p.0);
    let ys = clean.iter().flatten().map(|p| p.1);
    let (mut x0, mut x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    let (mut y0, mut y1) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
        (a.min(y), b.max(y))
    });
    if !x0.is_finite() {
        (x0, x1) = (0.0, 1.0);
    }
    if !y0.is_finite() {
        (y0, y1) = if log_y { (1e-3, 1.0) } else { (0.0, 1.0) };
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if log_y {
        y0 /= 2.0;
        y1 *= 2.0;
    } else {
        let pad = ((y1 - y0) * 0.05).max(1e-9);
        y0 -= pad;
        y1 += pad;
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(64);
        // the two coordinate types differ, the drawing does not
        macro_rules! lines {
            ($chart:expr) => {{
                let mut chart = $chart;
                for (i, (s, pts)) in series.iter().zip(&clean).enumerate() {
                    let c = PALETTE[i % PALETTE.len()];
                    chart
                        .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))?
                        .label(s.label.clone())
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                        });
                }
                if series.len() > 1 {
                    chart
                        .configure_series_labels()
                        .background_style(WHITE.mix(0.85))
                        .border_style(BLACK)
                        .draw()?;
                }
            }};
        }
        if log_y {
            let mut chart = builder.build_cartesian_2d(x0..x1, (y0..y1).log_scale())?;
            chart
                .configure_mesh()
                .x_desc(x_label)
                .y_desc(y_label)
                .y_label_formatter(&|v| format!("{v:.0e}"))
                .draw()?;
            lines!(chart);
        } else {
            let mut chart = builder.build_cartesian_2d(x0..x1, y0..y1)?;
            chart
                .configure_mesh()
                .x_desc(x_label)
                .y_desc(y_label)
                .draw()?;
            lines!(chart);
        }
        root.present()?;
    }
    Ok(svg)
}
