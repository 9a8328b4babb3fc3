//! Goodness of fit of every random initializer: Kolmogorov-Smirnov against the
//! exact CDF. Each test draws N = 10^6 values with a fixed seed (so it is
//! deterministic) and rejects at alpha = 1e-3: D must be below
//! sqrt(-ln(alpha/2)/2)/sqrt(N) = 0.00195 (see `common::ks_critical`).

mod common;
use common::*;
use statrs::distribution::{ContinuousCDF, Normal};

const N: usize = 1_000_000;
const ALPHA: f64 = 1e-3;

fn phi(x: f64) -> f64 {
    Normal::new(0.0, 1.0).unwrap().cdf(x)
}

fn check_normal(expr: &str, shape: &[usize], mean: f64, std: f64) {
    let xs = sample_f64(expr, shape, 7);
    assert_eq!(xs.len(), N);
    let d = ks(xs, |x| phi((x - mean) / std));
    assert!(d < ks_critical(N, ALPHA), "{expr}: KS D = {d}");
}

fn check_uniform(expr: &str, shape: &[usize], lo: f64, hi: f64) {
    let xs = sample_f64(expr, shape, 7);
    assert!(
        xs.iter().all(|&x| lo <= x && x <= hi),
        "{expr}: value outside [{lo}, {hi}]"
    );
    let d = ks(xs, |x| ((x - lo) / (hi - lo)).clamp(0.0, 1.0));
    assert!(d < ks_critical(N, ALPHA), "{expr}: KS D = {d}");
}

fn check_trunc(expr: &str, shape: &[usize], mean: f64, std: f64, a: f64, b: f64) {
    let xs = sample_f64(expr, shape, 7);
    assert!(
        xs.iter().all(|&x| a <= x && x <= b),
        "{expr}: value outside [{a}, {b}]"
    );
    let (pa, pb) = (phi((a - mean) / std), phi((b - mean) / std));
    let d = ks(xs, |x| {
        ((phi((x - mean) / std) - pa) / (pb - pa)).clamp(0.0, 1.0)
    });
    assert!(d < ks_critical(N, ALPHA), "{expr}: KS D = {d}");
}

#[test]
fn uniform_and_normal() {
    check_uniform("uniform(a=-0.5, b=2)", &[N], -0.5, 2.0);
    check_uniform("uniform", &[1000, 1000], 0.0, 1.0);
    check_normal("normal", &[N], 0.0, 1.0);
    check_normal("normal(mean=3, std=0.01)", &[N], 3.0, 0.01);
}

#[test]
fn normal_f64_stream() {
    let xs = common::sample::<f64>("normal(std=2)", &[N], 3, "t");
    let d = ks(xs, |x| phi(x / 2.0));
    assert!(d < ks_critical(N, ALPHA), "KS D = {d}");
    let us = common::sample::<f64>("uniform(a=-1, b=1)", &[N], 3, "t");
    let d = ks(us, |x| (x + 1.0) / 2.0);
    assert!(d < ks_critical(N, ALPHA), "KS D = {d}");
}

/// The f64 truncated normal has its own arithmetic (53-bit uniforms, the
/// `libm` crate's exp/log/sincos, no f32 fast path): KS on 10^6 f64 values
/// for each proposal (normal, uniform, exponential tail).
#[test]
fn trunc_normal_f64_stream() {
    for (expr, mean, std, a, b) in [
        ("trunc_normal", 0.0, 1.0, -2.0, 2.0),
        ("trunc_normal(a=-0.3, b=0.4)", 0.0, 1.0, -0.3, 0.4),
        ("trunc_normal(a=2, b=3)", 0.0, 1.0, 2.0, 3.0),
    ] {
        let xs = sample::<f64>(expr, &[N], 7, "t");
        assert!(
            xs.iter().all(|&x| a <= x && x <= b),
            "{expr}: value outside [a, b]"
        );
        let (pa, pb) = (phi((a - mean) / std), phi((b - mean) / std));
        let d = ks(xs, |x| (phi((x - mean) / std) - pa) / (pb - pa));
        assert!(d < ks_critical(N, ALPHA), "{expr} f64: KS D = {d}");
    }
}

#[test]
fn trunc_normal_central_narrow_and_tails() {
    check_trunc("trunc_normal", &[N], 0.0, 1.0, -2.0, 2.0);
    check_trunc(
        "trunc_normal(mean=1, std=0.5, a=0, b=3)",
        &[N],
        1.0,
        0.5,
        0.0,
        3.0,
    );
    check_trunc("trunc_normal(a=-0.3, b=0.4)", &[N], 0.0, 1.0, -0.3, 0.4); // narrow, uniform proposal
    check_trunc("trunc_normal(a=2, b=3)", &[N], 0.0, 1.0, 2.0, 3.0); // deep in the upper tail
    check_trunc("trunc_normal(a=-9, b=-8)", &[N], 0.0, 1.0, -9.0, -8.0); // lower tail, mirrored
    check_trunc("trunc_normal(a=4, b=4.01)", &[N], 0.0, 1.0, 4.0, 4.01); // narrow, in the tail
}

#[test]
fn fan_scaled_initializers() {
    // shape [1000, 1000]: fan_in = fan_out = 1000
    let s = [1000, 1000];
    let b = (6.0f64 / 2000.0).sqrt();
    check_uniform("xavier_uniform", &s, -b, b);
    check_normal(
        "xavier_normal(gain=2)",
        &s,
        0.0,
        2.0 * (2.0f64 / 2000.0).sqrt(),
    );
    let b = 2.0f64.sqrt() * (3.0f64 / 1000.0).sqrt();
    check_uniform("kaiming_uniform", &s, -b, b);
    check_normal(
        "kaiming_normal(nonlinearity=relu)",
        &s,
        0.0,
        (2.0f64 / 1000.0).sqrt(),
    );
    check_normal(
        "kaiming_normal(a=0.2, mode=fan_out)",
        &s,
        0.0,
        (2.0 / 1.04f64).sqrt() / 1000f64.sqrt(),
    );
    let b = 1.0 / 1000f64.sqrt();
    check_uniform("torch_default", &s, -b, b);
    // Keras/JAX: truncated at 2 std, corrected so the variance is scale/fan
    let std = (2.0f64 / 1000.0).sqrt() / 0.879_625_661_034_239_8;
    check_trunc("he_normal", &s, 0.0, std, -2.0 * std, 2.0 * std);
    let std = (1.0f64 / 1000.0).sqrt() / 0.879_625_661_034_239_8;
    check_trunc("lecun_normal", &s, 0.0, std, -2.0 * std, 2.0 * std);
    check_trunc("glorot_normal", &s, 0.0, std, -2.0 * std, 2.0 * std);
    let l = (3.0f64 / 1000.0).sqrt();
    check_uniform("glorot_uniform", &s, -l, l);
    check_uniform("lecun_uniform", &s, -l, l);
    let l = (6.0f64 / 1000.0).sqrt();
    check_uniform("he_uniform", &s, -l, l);
    check_normal(
        "variance_scaling(scale=3, mode=fan_in, distribution=untruncated_normal)",
        &s,
        0.0,
        (3.0f64 / 1000.0).sqrt(),
    );
    // fan_geo_avg on [500, 2000]: sqrt(500 * 2000) = 1000
    check_uniform(
        "variance_scaling(mode=fan_geo_avg, distribution=uniform)",
        &[2000, 500],
        -(3.0f64 / 1000.0).sqrt(),
        (3.0f64 / 1000.0).sqrt(),
    );
}

#[test]
fn truncated_normal_has_the_promised_variance() {
    // Keras/JAX he_normal: variance exactly 2 / fan_in after truncation and correction.
    let xs = sample_f64("he_normal", &[1000, 1000], 11);
    let (m, s) = mean_std(&xs);
    let target = (2.0f64 / 1000.0).sqrt();
    // standard error of the std estimate ~ s / sqrt(2N) = 3.2e-5 relative 7e-4; allow 5e-3 relative
    assert!(m.abs() < 5.0 * target / 1000.0, "mean {m}");
    assert!((s / target - 1.0).abs() < 5e-3, "std {s} vs {target}");
}

#[test]
fn sparse_nonzeros_are_normal() {
    let rows = 1000;
    let cols = 1000;
    let xs = sample_f64("sparse(sparsity=0.3, std=0.5)", &[rows, cols], 5);
    for c in 0..cols {
        let zeros = (0..rows).filter(|&r| xs[r * cols + c] == 0.0).count();
        assert_eq!(zeros, 300, "column {c}");
    }
    let nz: Vec<f64> = xs.into_iter().filter(|&x| x != 0.0).collect();
    let n = nz.len();
    let d = ks(nz, |x| phi(x / 0.5));
    assert!(d < ks_critical(n, ALPHA), "KS D = {d}");
}

#[test]
fn sparse_positions_are_uniform() {
    // Each row should be zeroed in a column with probability 0.3; over 2000
    // columns the count per row is Binomial(2000, 0.3): mean 600, sd 20.5.
    // All 100 rows within 5 sd (|count - 600| < 103).
    let xs = sample_f64("sparse(sparsity=0.3)", &[100, 2000], 9);
    for r in 0..100 {
        let zeros = (0..2000).filter(|&c| xs[r * 2000 + c] == 0.0).count() as f64;
        assert!((zeros - 600.0).abs() < 103.0, "row {r}: {zeros} zeros");
    }
}

#[test]
fn orthogonal_is_haar() {
    // Haar on O(3): E[Q_ij] = 0, E[Q_ij^2] = 1/3. Without Mezzadri's sign
    // correction E[Q_00] is about +-0.5. 4000 independent matrices (one tensor
    // name each): the mean of Q_00 has sd sqrt(1/3/4000) = 0.0091; allow 5 sd.
    let mut q00 = Vec::new();
    let mut diag_sq = 0.0;
    for i in 0..4000 {
        let q = common::sample::<f64>("orthogonal", &[3, 3], 1, &format!("q{i}"));
        q00.push(q[0]);
        diag_sq += q[0] * q[0] + q[4] * q[4] + q[8] * q[8];
    }
    let (m, _) = mean_std(&q00);
    assert!(m.abs() < 0.046, "mean Q00 {m}");
    let msq = diag_sq / 12000.0;
    assert!((msq - 1.0 / 3.0).abs() < 0.02, "mean Qii^2 {msq}");
    // Q00^2 ~ Beta(1/2, 1): CDF sqrt(x) on [0, 1]; 4000 samples, alpha 1e-3
    let d = ks(q00.iter().map(|x| x * x).collect(), |x| {
        x.clamp(0.0, 1.0).sqrt()
    });
    assert!(d < ks_critical(4000, ALPHA), "KS D = {d}");
}

#[test]
fn ks_has_power_against_a_one_percent_error_in_std() {
    // The checks above could not fail if the test had no power: with N = 10^6
    // a 1% error in std gives D about 0.0024 > 0.00195.
    let xs = sample_f64("normal", &[N], 7);
    let d = ks(xs, |x| phi(x / 1.01));
    assert!(d > ks_critical(N, ALPHA), "KS D = {d}");
}
