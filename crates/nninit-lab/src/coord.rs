//! The coordinate check (Yang et al., Tensor Programs V, section 6 and
//! microsoft/mup's `coord_check.py`): train a model a few steps at several
//! widths and look at each layer's mean absolute activation coordinate.
//! Under a width-transferable parametrization (muP) it does not depend on
//! width; under the standard one some layer's grows (or shrinks) as a power
//! of the width once training has moved the weights.
//!
//! The rule here: for every layer, the growth from the smallest to the
//! largest width of its coordinate after the last recorded step is
//! `coord(w_max) / coord(w_min)`; the check is **stable** when every layer's
//! growth is within [1/MAX_GROWTH, MAX_GROWTH] with `MAX_GROWTH = 2`, else
//! **unstable**, naming the layer whose growth is farthest from 1. A factor
//! 2 over a 16x range of widths (64 to 1024) is a slope of at most 0.25 in
//! log-log: muP's coordinates drift by noise only (well under 2x), while
//! the standard parametrization under Adam grows its hidden and output
//! coordinates about linearly with width (16x).

use serde::Serialize;

/// The largest growth factor of a coordinate from the smallest to the
/// largest width still called stable.
pub const MAX_GROWTH: f64 = 2.0;

/// One layer's coordinates across widths (at the step judged).
#[derive(Debug, Clone, Serialize)]
pub struct Layer {
    /// Its name (the module's qualified name).
    pub name: String,
    /// Mean |activation| at each width, in the order of the widths.
    pub coords: Vec<f64>,
}

/// The check's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// `stable` or `unstable`.
    pub verdict: &'static str,
    /// The layer whose growth is farthest from 1.
    pub worst_layer: Option<String>,
    /// Its growth, coord(w_max) / coord(w_min).
    pub worst_growth: f64,
    /// Each layer's growth, in the layers' order.
    pub growth: Vec<f64>,
    /// The verdict in words.
    pub reason: String,
}

/// Judge the coordinates of `layers` across `widths` (see the module doc).
pub fn judge(widths: &[usize], layers: &[Layer]) -> Verdict {
    let (lo, hi) = match (
        widths.iter().enumerate().min_by_key(|(_, w)| **w),
        widths.iter().enumerate().max_by_key(|(_, w)| **w),
    ) {
        (Some((a, _)), Some((b, _))) => (a, b),
        _ => (0, 0),
    };
    let growth: Vec<f64> = layers
        .iter()
        .map(|l| {
            let (a, b) = (l.coords.get(lo).copied(), l.coords.get(hi).copied());
            match (a, b) {
                (Some(a), Some(b)) if a.is_finite() && b.is_finite() && a > 0.0 && b > 0.0 => b / a,
                (Some(a), Some(b)) if a == 0.0 && b == 0.0 => 1.0,
                _ => f64::INFINITY,
            }
        })
        .collect();
    let off = |g: f64| {
        if g.is_finite() {
            g.ln().abs()
        } else {
            f64::INFINITY
        }
    };
    let worst = growth
        .iter()
        .enumerate()
        .max_by(|a, b| off(*a.1).total_cmp(&off(*b.1)));
    let (worst_layer, worst_growth) = match worst {
        Some((i, g)) => (Some(layers[i].name.clone()), *g),
        None => (None, 1.0),
    };
    let stable = off(worst_growth) <= MAX_GROWTH.ln();
    let (wmin, wmax) = (
        widths.get(lo).copied().unwrap_or(0),
        widths.get(hi).copied().unwrap_or(0),
    );
    let reason = match &worst_layer {
        None => "no layer was recorded".to_string(),
        Some(l) if stable => format!(
            "every layer's coordinate changes by at most {:.2}x from width {wmin} to {wmax} (allowed {MAX_GROWTH}x; the largest: `{l}`)",
            worst_growth.max(1.0 / worst_growth)
        ),
        Some(l) => format!(
            "`{l}` drifts: its coordinate changes {worst_growth:.3}x from width {wmin} to {wmax} (allowed between 1/{MAX_GROWTH} and {MAX_GROWTH}x)"
        ),
    };
    Verdict {
        verdict: if stable && worst_layer.is_some() {
            "stable"
        } else {
            "unstable"
        },
        worst_layer,
        worst_growth,
        growth,
        reason,
    }
}

/// A self-contained SVG: one line per layer, log2(width) on x, log10 of
/// the coordinate on y (log-log), with a legend; `title` heads it (the
/// caller adds the verdict).
pub fn svg(title: &str, widths: &[usize], layers: &[Layer]) -> String {
    let (w, h, left, right, top, bottom) = (720.0, 440.0, 70.0, 210.0, 40.0, 50.0);
    let xs: Vec<f64> = widths.iter().map(|&x| (x.max(1) as f64).log2()).collect();
    let ys: Vec<f64> = layers
        .iter()
        .flat_map(|l| l.coords.iter())
        .filter(|v| v.is_finite() && **v > 0.0)
        .map(|v| v.log10())
        .collect();
    let (x0, x1) = bounds(&xs);
    let (y0, y1) = bounds(&ys);
    let (y0, y1) = (y0.floor(), y1.ceil().max(y0.floor() + 1.0));
    let px = |x: f64| left + (x - x0) / (x1 - x0).max(1e-12) * (w - left - right);
    let py = |y: f64| h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">{}</text>\n",
        (left + w - right) / 2.0,
        escape(title)
    );
    s += &format!(
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"black\"/>\n",
        h - bottom,
        w - right,
        h - bottom,
        h - bottom
    );
    for (&x, &wd) in xs.iter().zip(widths) {
        s += &format!(
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{wd}</text>\n",
            px(x),
            h - bottom + 18.0
        );
    }
    let mut d = y0;
    while d <= y1 + 1e-9 {
        s += &format!(
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">1e{d}</text>\n<line x1=\"{left}\" y1=\"{:.1}\" x2=\"{}\" y2=\"{:.1}\" stroke=\"#ddd\"/>\n",
            left - 6.0,
            py(d) + 4.0,
            py(d),
            w - right,
            py(d)
        );
        d += 1.0;
    }
    s += &format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">width</text>\n<text x=\"16\" y=\"{}\" transform=\"rotate(-90 16 {})\" text-anchor=\"middle\">mean |coordinate|</text>\n",
        (left + w - right) / 2.0,
        h - 12.0,
        h / 2.0,
        h / 2.0
    );
    const COLORS: [&str; 8] = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    ];
    for (i, l) in layers.iter().enumerate() {
        let c = COLORS[i % COLORS.len()];
        let pts: Vec<String> = xs
            .iter()
            .zip(&l.coords)
            .filter(|(_, v)| v.is_finite() && **v > 0.0)
            .map(|(&x, &v)| format!("{:.1},{:.1}", px(x), py(v.log10())))
            .collect();
        s += &format!(
            "<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" points=\"{}\"/>\n",
            pts.join(" ")
        );
        let ly = top + 16.0 * i as f64;
        s += &format!(
            "<line x1=\"{}\" y1=\"{ly:.1}\" x2=\"{}\" y2=\"{ly:.1}\" stroke=\"{c}\" stroke-width=\"2\"/><text x=\"{}\" y=\"{:.1}\">{}</text>\n",
            w - right + 10.0,
            w - right + 30.0,
            w - right + 34.0,
            ly + 4.0,
            escape(&l.name)
        );
    }
    s += "</svg>\n";
    s
}

fn bounds(v: &[f64]) -> (f64, f64) {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(name: &str, coords: &[f64]) -> Layer {
        Layer {
            name: name.into(),
            coords: coords.to_vec(),
        }
    }

    #[test]
    fn growth_within_two_is_stable_beyond_is_not() {
        let widths = [64, 128, 256, 1024];
        let v = judge(
            &widths,
            &[
                layer("a", &[1.0, 1.1, 1.2, 1.9]),
                layer("b", &[1.0, 0.9, 0.8, 0.6]),
            ],
        );
        assert_eq!(v.verdict, "stable", "{}", v.reason);
        let v = judge(
            &widths,
            &[
                layer("a", &[1.0, 1.1, 1.2, 1.9]),
                layer("out", &[0.1, 0.4, 0.9, 2.5]),
            ],
        );
        assert_eq!(v.verdict, "unstable");
        assert_eq!(v.worst_layer.as_deref(), Some("out"));
        assert!((v.worst_growth - 25.0).abs() < 1e-12);
        assert!(v.reason.contains("`out`"), "{}", v.reason);
        // shrinking counts as much as growing; NaN is unstable
        assert_eq!(
            judge(&widths, &[layer("a", &[1.0, 1.0, 1.0, 0.4])]).verdict,
            "unstable"
        );
        assert_eq!(
            judge(&widths, &[layer("a", &[1.0, 1.0, 1.0, f64::NAN])]).verdict,
            "unstable"
        );
    }

    #[test]
    fn svg_has_a_line_per_layer() {
        let s = svg(
            "t",
            &[64, 256],
            &[layer("a<b", &[1.0, 2.0]), layer("c", &[0.5, 0.5])],
        );
        assert_eq!(s.matches("<polyline").count(), 2);
        assert!(s.contains("a&lt;b") && s.starts_with("<svg"));
    }
}
