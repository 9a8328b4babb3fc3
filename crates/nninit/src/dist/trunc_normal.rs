//! Exact truncated normal: N(mean, std^2) conditioned on [a, b], by per-element
//! rejection sampling (Robert 1995, "Simulation of truncated normal
//! variables", Statistics and Computing 5:121-125).
//!
//! Why not PyTorch's old inverse-CDF-then-clamp (<= 2.11): in bf16 or with a
//! small std its rounding put values outside [a, b] and its clamp piled mass
//! onto the bounds. Here a proposal is accepted only if, *after rounding to the
//! output dtype*, it lies in [a, b]; there is no clamp, so no pile-up.
//!
//! With `alpha = (a - mean) / std`, `beta = (b - mean) / std` (an interval
//! entirely below 0 is mirrored), the proposal is:
//! - N(0, 1) when the interval straddles 0 and is at least sqrt(2 pi) wide
//!   (acceptance >= 0.49);
//! - uniform on [alpha, beta] with acceptance `exp((m^2 - z^2) / 2)`, `m` the
//!   point of the interval nearest 0, for narrow intervals;
//! - Robert's translated exponential with rate `(alpha + sqrt(alpha^2 + 4)) / 2`
//!   for one-sided intervals in a tail (works at any depth, e.g. [8, 9]).
//!
//! Element `e`'s attempt `k` uses Philox counter `[e, k, TruncNormal]`, so each
//! element is a pure function of its index however many attempts its
//! neighbours needed. Arithmetic is f64 with the pure-Rust `libm` crate's
//! `exp`/`log`/`sincos` and the correctly rounded `sqrt`, so the values are the
//! same on every platform (a system libm may differ in the last bit).

use super::kernels::box_muller_f64;
use super::math::{unit_f64, unit_open0_f64};
use crate::dtype::Element;
use crate::rng::{philox_lanes, Stream, Tag};

/// Attempts per element before the fallback (never reached in practice: the
/// worst acceptance rate of the three proposals is about 0.3, so 0.7^256 < 1e-39).
const MAX_ATTEMPTS: u32 = 256;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Proposal {
    Normal,
    /// Uniform on [alpha, beta]; `m2` = squared distance of the interval to 0.
    Uniform {
        m2: f64,
    },
    Exponential {
        lambda: f64,
    },
}

/// A validated truncated normal.
#[derive(Debug, Clone, PartialEq)]
pub struct TruncNormal {
    mean: f64,
    std: f64,
    a: f64,
    b: f64,
    /// standardized bounds after mirroring (alpha < beta)
    alpha: f64,
    beta: f64,
    mirrored: bool,
    proposal: Proposal,
}

impl TruncNormal {
    /// (mean, std, a, b).
    pub(crate) fn params(&self) -> (f64, f64, f64, f64) {
        (self.mean, self.std, self.a, self.b)
    }

    /// Whether the sampler can work on these (finite, `std >= 0`, `a <= b`)
    /// parameters: the standardized bounds must be finite and within 1e100
    /// standard deviations of the mean (beyond that the proposals' arithmetic
    /// overflows). The reason when not.
    pub(crate) fn check(mean: f64, std: f64, a: f64, b: f64) -> Result<(), String> {
        if std == 0.0 {
            return Ok(());
        }
        let (alpha, beta) = ((a - mean) / std, (b - mean) / std);
        const FAR: f64 = 1e100;
        if alpha.is_finite() && beta.is_finite() && alpha.abs() <= FAR && beta.abs() <= FAR {
            Ok(())
        } else {
            Err(format!(
                "a std for which the bounds lie within 1e100 standard deviations of the mean \
                 (they lie at {alpha:e} and {beta:e}); for practically unbounded values use normal"
            ))
        }
    }

    /// `mean`, `std` of the parent normal and absolute bounds `a <= b`.
    /// The caller validates finiteness, `std > 0`, `a <= b` and [`TruncNormal::check`].
    pub(crate) fn new(mean: f64, std: f64, a: f64, b: f64) -> Self {
        let (mut alpha, mut beta) = ((a - mean) / std, (b - mean) / std);
        let mirrored = beta <= 0.0 && alpha < 0.0;
        if mirrored {
            (alpha, beta) = (-beta, -alpha);
        }
        let sqrt_2pi = (2.0 * std::f64::consts::PI).sqrt();
        let proposal = if alpha < 0.0 {
            if beta - alpha >= sqrt_2pi {
                Proposal::Normal
            } else {
                Proposal::Uniform { m2: 0.0 }
            }
        } else {
            let root = (alpha * alpha + 4.0).sqrt();
            // Robert's criterion: uniform beats the exponential proposal on narrow intervals.
            let width_limit =
                2.0 / (alpha + root) * libm::exp((alpha * alpha - alpha * root) / 4.0 + 0.5);
            if beta - alpha < width_limit {
                Proposal::Uniform { m2: alpha * alpha }
            } else {
                Proposal::Exponential {
                    lambda: (alpha + root) / 2.0,
                }
            }
        };
        TruncNormal {
            mean,
            std,
            a,
            b,
            alpha,
            beta,
            mirrored,
            proposal,
        }
    }

    /// Whether its parameters are finite (the standardized bounds too).
    pub(crate) fn is_finite(&self) -> bool {
        [self.mean, self.std, self.a, self.b, self.alpha, self.beta]
            .iter()
            .all(|x| x.is_finite())
    }

    /// The bounds [a, b].
    pub fn bounds(&self) -> (f64, f64) {
        (self.a, self.b)
    }

    /// The parent normal's (mean, std).
    pub fn parent(&self) -> (f64, f64) {
        (self.mean, self.std)
    }

    /// E[x^2] in closed form: with standardized bounds and Z = Phi(beta) - Phi(alpha),
    /// mean m = (phi(alpha) - phi(beta)) / Z, variance v = 1 + (alpha phi(alpha) - beta phi(beta)) / Z - m^2.
    pub fn second_moment(&self) -> f64 {
        let (a, b) = (
            (self.a - self.mean) / self.std,
            (self.b - self.mean) / self.std,
        );
        let pdf = |x: f64| libm::exp(-0.5 * x * x) / (2.0 * std::f64::consts::PI).sqrt();
        let cdf = |x: f64| 0.5 * libm::erfc(-x / std::f64::consts::SQRT_2);
        let z = cdf(b) - cdf(a);
        if z <= 0.0 {
            let x = self.mean + self.std * a;
            return x * x;
        }
        let xpdf = |x: f64| if x.is_finite() { x * pdf(x) } else { 0.0 };
        let m = (pdf(a) - pdf(b)) / z;
        let v = 1.0 + (xpdf(a) - xpdf(b)) / z - m * m;
        self.mean * self.mean + 2.0 * self.mean * self.std * m + self.std * self.std * (v + m * m)
    }

    /// One standardized proposal from four words, or `None` if rejected.
    #[inline]
    fn propose(&self, w: &[u32; 4]) -> Option<f64> {
        let z = match self.proposal {
            Proposal::Normal => {
                let (z, _) = box_muller_f64(w);
                (self.alpha <= z && z <= self.beta).then_some(z)?
            }
            Proposal::Uniform { m2 } => {
                let z = self.alpha + (self.beta - self.alpha) * unit_f64(w[0], w[1]);
                let u = unit_f64(w[2], w[3]);
                (u <= libm::exp((m2 - z * z) / 2.0)).then_some(z)?
            }
            Proposal::Exponential { lambda } => {
                let z = self.alpha - libm::log(unit_open0_f64(w[0], w[1])) / lambda;
                let u = unit_f64(w[2], w[3]);
                let d = z - lambda;
                (z <= self.beta && u <= libm::exp(-d * d / 2.0)).then_some(z)?
            }
        };
        Some(if self.mirrored { -z } else { z })
    }

    /// Element `e` as a `T`: first accepted proposal whose rounded value lies in [a, b].
    #[inline]
    pub fn sample<T: Element>(&self, stream: &Stream, e: u64) -> T {
        self.sample_from(stream, e, 0)
    }

    /// A standardized proposal as a `T`, if it lies in [a, b] after rounding.
    #[inline]
    fn rounded_in_bounds<T: Element>(&self, z: f64) -> Option<T> {
        let t = T::from_f64(self.mean + self.std * z);
        let r = t.to_f64();
        (self.a <= r && r <= self.b).then_some(t)
    }

    fn sample_from<T: Element>(&self, stream: &Stream, e: u64, first_attempt: u32) -> T {
        let mut last = self.mean;
        for k in first_attempt..MAX_ATTEMPTS {
            if let Some(z) = self.propose(&stream.block(Tag::TruncNormal, e, k)) {
                if let Some(t) = self.rounded_in_bounds(z) {
                    return t;
                }
                last = self.mean + self.std * z;
            }
        }
        // Unreachable in practice (see MAX_ATTEMPTS); stay inside [a, b] regardless.
        T::from_f64(last.clamp(self.a, self.b))
    }

    /// Fill elements `first..`. For single-precision outputs and the normal
    /// proposal (the common wide, centred interval, e.g. +-2 std), attempt 0
    /// of element `e` is element `e` of the vectorized f32 normal stream
    /// (about 1 G values/s); only rejected elements (about 5% at +-2 std) go
    /// on to the per-element attempts 1, 2, ... Still a pure function of `e`.
    pub(crate) fn fill<T: Element>(&self, stream: &Stream, first: u64, out: &mut [T]) {
        if self.proposal == Proposal::Normal && T::DTYPE != crate::dtype::DType::F64 {
            let mut tmp = [0f32; 4096];
            let normal = super::Dist::Normal {
                mean: 0.0,
                std: 1.0,
            };
            let mut ok = [false; 4096];
            for (c, chunk) in out.chunks_mut(tmp.len()).enumerate() {
                let e0 = first + (c * tmp.len()) as u64;
                let z = &mut tmp[..chunk.len()];
                normal.fill_serial(stream, e0, z);
                // accept z if it lies in [alpha, beta] and, rounded to T, in
                // [a, b]: branch-free so that it vectorizes; then the rare
                // rejected elements one by one
                for ((o, ok), &z) in chunk.iter_mut().zip(ok.iter_mut()).zip(z.iter()) {
                    let z = z as f64;
                    let t = T::from_f64(self.mean + self.std * z);
                    let r = t.to_f64();
                    *ok = (self.alpha <= z) & (z <= self.beta) & (self.a <= r) & (r <= self.b);
                    *o = t;
                }
                for (i, _) in ok[..chunk.len()].iter().enumerate().filter(|(_, &ok)| !ok) {
                    chunk[i] = self.sample_from(stream, e0 + i as u64, 1);
                }
            }
            return;
        }
        // Attempt 0 of 16 consecutive elements is 16 consecutive Philox
        // counters: computed side by side, the rest one by one as above.
        const LANES: usize = 16;
        let mut e = first;
        for chunk in out.chunks_mut(LANES) {
            let w = philox_lanes::<LANES>(e, 0, Tag::TruncNormal as u32, stream.key());
            for (l, o) in chunk.iter_mut().enumerate() {
                let words = [w[0][l], w[1][l], w[2][l], w[3][l]];
                *o = match self.propose(&words).and_then(|z| self.rounded_in_bounds(z)) {
                    Some(t) => t,
                    None => self.sample_from(stream, e + l as u64, 1),
                };
            }
            e += chunk.len() as u64;
        }
    }
}
