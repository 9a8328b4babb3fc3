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
    // whole-number x (epochs, layers, depths) gets whole-number ticks only
    let integer_x = clean.iter().flatten().all(|p| p.0.fract() == 0.0);
    let x_ticks = if integer_x {
        ((x1 - x0) as usize + 1).clamp(2, 12)
    } else {
        10
    };
    // a log axis spanning decades is labelled at powers of ten only
    // (plotters also marks 2, 3, ... 9 between them, which crowd together);
    // a narrower one gets every mark with two significant digits
    // (at least two powers of ten on the axis; with fewer, every mark is labelled)
    let decades = log_y && y1.log10().floor() - y0.log10().ceil() >= 1.0;
    let y_format = move |v: &f64| -> String {
        if !decades {
            return format!("{v:.2}");
        }
        let e = v.log10();
        if (e - e.round()).abs() < 1e-6 {
            format!("1e{}", e.round() as i32)
        } else {
            String::new()
        }
    };
    let y_format_log = move |v: &f64| -> String {
        if decades {
            y_format(v)
        } else if (0.01..1000.0).contains(&v.abs()) {
            format!("{v:.2}")
        } else {
            format!("{v:.1e}")
        }
    };
    let x_format = move |v: &f64| -> String {
        if !integer_x {
            format!("{v}")
        } else if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            String::new()
        }
    };
    // the legend gets its own column right of the plot, so it never covers a curve
    let legend_w = if series.len() > 1 {
        let longest = series
            .iter()
            .map(|s| s.label.chars().count())
            .max()
            .unwrap_or(0);
        ((longest as u32) * 7 + 34).min(w / 3)
    } else {
        0
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        let (plot_area, legend_area) = root.split_horizontally(w - legend_w);
        let mut builder = ChartBuilder::on(&plot_area);
        builder
            .caption(title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(64);
        // the two coordinate types differ, the drawing does not
        macro_rules! lines {
            ($chart:expr) => {{
                let mut chart = $chart;
                for (i, pts) in clean.iter().enumerate() {
                    let c = PALETTE[i % PALETTE.len()];
                    chart.draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))?;
                }
            }};
        }
        if log_y {
            let mut chart = builder.build_cartesian_2d(x0..x1, (y0..y1).log_scale())?;
            chart
                .configure_mesh()
                .x_desc(x_label)
                .y_desc(y_label)
                .x_labels(x_ticks)
                .x_label_formatter(&x_format)
                .y_labels(if decades { 6 } else { 10 })
                .light_line_style(WHITE)
                .y_label_formatter(&y_format_log)
                .draw()?;
            lines!(chart);
        } else {
            let mut chart = builder.build_cartesian_2d(x0..x1, y0..y1)?;
            chart
                .configure_mesh()
                .x_desc(x_label)
                .y_desc(y_label)
                .x_labels(x_ticks)
                .x_label_formatter(&x_format)
                .y_label_formatter(&|v| format!("{v:.3}"))
                .draw()?;
            lines!(chart);
        }
        if legend_w > 0 {
            let font = ("sans-serif", 12).into_font();
            for (i, s) in series.iter().enumerate() {
                let c = PALETTE[i % PALETTE.len()];
                let y = 40 + 18 * i as i32;
                legend_area.draw(&PathElement::new(vec![(4, y), (24, y)], c.stroke_width(2)))?;
                legend_area.draw(&Text::new(
                    s.label.clone(),
                    (30, y - 6),
                    font.clone().color(&BLACK),
                ))?;
            }
        }
        root.present()?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `<text ...>label</text>` of the SVG with its x coordinate.
    fn texts(svg: &str) -> Vec<(f64, String)> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let x = t.split("x=\"").nth(1)?.split('"').next()?.parse().ok()?;
                let label = t.split('>').nth(1)?.split('<').next()?.trim().to_string();
                Some((x, label))
            })
            .collect()
    }

    #[test]
    fn legend_beside_the_plot_whole_epochs_and_decades() {
        let series: Vec<Series> = (0..3)
            .map(|i| Series {
                label: format!("init number {i}"),
                points: (1..=5)
                    .map(|e| (e as f64, 10f64.powi(1 - i) / e as f64))
                    .collect(),
            })
            .collect();
        let (w, h) = (570, 340);
        let svg = line_chart("t", "epoch", "loss", &series, true, w, h).unwrap();
        let t = texts(&svg);
        // the legend's labels sit right of every tick label (outside the plot)
        let rightmost_tick = t
            .iter()
            .filter(|(_, s)| !s.starts_with("init number") && s.len() < 6)
            .map(|p| p.0)
            .fold(0.0, f64::max);
        for i in 0..3 {
            let (x, _) = t
                .iter()
                .find(|(_, s)| *s == format!("init number {i}"))
                .expect("legend entry");
            assert!(
                *x > rightmost_tick,
                "legend at x={x} inside the plot (ticks to {rightmost_tick})"
            );
        }
        let labels: Vec<&str> = t.iter().map(|p| p.1.as_str()).collect();
        for e in ["1", "2", "3", "4", "5"] {
            assert!(labels.contains(&e), "epoch tick {e} missing: {labels:?}");
        }
        assert!(
            !labels.iter().any(|s| s.contains(".5")),
            "fractional epoch: {labels:?}"
        );
        // the y axis spans 1e-2 .. 1e1: labelled at powers of ten only
        for d in ["1e-1", "1e0", "1e1"] {
            assert!(labels.contains(&d), "decade {d} missing: {labels:?}");
        }
        assert!(
            !labels.iter().any(|s| s.starts_with('2') && s.contains('e')),
            "{labels:?}"
        );
    }
}
