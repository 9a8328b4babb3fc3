//! Helpers shared by the integration tests.
#![allow(dead_code)]

use nninit::{Element, Init, Layout, Stream};

pub fn sample<T: Element>(expr: &str, shape: &[usize], seed: u64, name: &str) -> Vec<T> {
    let n: usize = shape.iter().product();
    let mut v = vec![T::default(); n];
    Init::parse(expr)
        .unwrap()
        .fill(shape, Layout::Torch, &Stream::new(seed, name), &mut v)
        .unwrap();
    v
}

pub fn sample_f64(expr: &str, shape: &[usize], seed: u64) -> Vec<f64> {
    sample::<f32>(expr, shape, seed, "t")
        .into_iter()
        .map(|x| x as f64)
        .collect()
}

/// Kolmogorov-Smirnov statistic D = sup |F_n(x) - F(x)| of `xs` against `cdf`.
pub fn ks(mut xs: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    let n = xs.len() as f64;
    let mut d: f64 = 0.0;
    for (i, &x) in xs.iter().enumerate() {
        let f = cdf(x);
        d = d.max((i as f64 + 1.0) / n - f).max(f - i as f64 / n);
    }
    d
}

/// Critical value of D at significance `alpha` for `n` samples (asymptotic
/// Kolmogorov distribution): sqrt(-ln(alpha / 2) / 2) / sqrt(n).
/// With alpha = 1e-3 and n = 10^6: 1.949 / 1000 = 0.00195.
pub fn ks_critical(n: usize, alpha: f64) -> f64 {
    (-(alpha / 2.0).ln() / 2.0).sqrt() / (n as f64).sqrt()
}

pub fn mean_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    (m, v.sqrt())
}
