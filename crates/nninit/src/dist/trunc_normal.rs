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

    /// The constants of [`accept_f32_body`].
    fn accept(&self) -> Accept {
        Accept {
            mean: self.mean,
            std: self.std,
            alpha: self.alpha,
            beta: self.beta,
            a: self.a,
            b: self.b,
        }
    }

    /// Attempt 1 of the elements `e0 + i`, `i` in `rejected` (their attempt 0
    /// was rejected), 8 side by side: the same values as [`Self::sample_from`]
    /// from attempt 1 (Philox lanes, then the Box-Muller of [`box_muller_f64`]
    /// lane by lane); those attempt 1 rejects go on alone from attempt 2.
    /// For the normal proposal only.
    fn retry_normal<T: Element>(
        &self,
        stream: &Stream,
        e0: u64,
        rejected: &[u16],
        chunk: &mut [T],
    ) {
        debug_assert_eq!(self.proposal, Proposal::Normal);
        for group in rejected.chunks(RETRY_LANES) {
            let mut idx = [e0; RETRY_LANES];
            for (l, &i) in group.iter().enumerate() {
                idx[l] = e0 + u64::from(i);
            }
            let mut z = [0f64; RETRY_LANES];
            crate::simd::trunc_retry_lanes(&idx, stream.key(), &mut z);
            for (l, &i) in group.iter().enumerate() {
                let z = z[l];
                let z = (self.alpha <= z && z <= self.beta).then_some(if self.mirrored {
                    -z
                } else {
                    z
                });
                chunk[usize::from(i)] = match z.and_then(|z| self.rounded_in_bounds(z)) {
                    Some(v) => v,
                    None => self.sample_from(stream, idx[l], 2),
                };
            }
        }
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
            let mut ok = [0u8; 4096];
            let mut rejected = [0u16; 4096];
            for (c, chunk) in out.chunks_mut(tmp.len()).enumerate() {
                let e0 = first + (c * tmp.len()) as u64;
                let z = &mut tmp[..chunk.len()];
                normal.fill_serial(stream, e0, z);
                // accept z if it lies in [alpha, beta] and, rounded to T, in
                // [a, b]: branch-free so that it vectorizes (f32: compiled
                // with AVX2 where the CPU has it, the same IEEE operations);
                // then the rejected ones (about 5% at +-2 std), 8 side by side
                let len = chunk.len();
                if T::DTYPE == crate::dtype::DType::F32 {
                    crate::simd::trunc_accept_f32(
                        self.accept(),
                        z,
                        bytemuck::cast_slice_mut(chunk),
                        &mut ok[..len],
                    );
                } else {
                    for ((o, ok), &z) in chunk.iter_mut().zip(ok.iter_mut()).zip(z.iter()) {
                        let z = z as f64;
                        let t = T::from_f64(self.mean + self.std * z);
                        let r = t.to_f64();
                        *ok = u8::from(
                            (self.alpha <= z) & (z <= self.beta) & (self.a <= r) & (r <= self.b),
                        );
                        *o = t;
                    }
                }
                // the rejected positions, 8 flags (bytes 0/1) at a time: most
                // groups of 8 are all accepted
                let mut n = 0;
                let padded = chunk.len().next_multiple_of(8);
                ok[chunk.len()..padded].fill(1);
                for (g, flags) in ok[..padded].chunks_exact(8).enumerate() {
                    let word: [u8; 8] = flags.try_into().expect("8 flags");
                    let mut miss = !u64::from_le_bytes(word) & 0x0101_0101_0101_0101;
                    while miss != 0 {
                        rejected[n] = (g * 8 + miss.trailing_zeros() as usize / 8) as u16;
                        n += 1;
                        miss &= miss - 1;
                    }
                }
                self.retry_normal(stream, e0, &rejected[..n], chunk);
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

/// What attempt 0 of an f32 fill checks (see [`TruncNormal::fill`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Accept {
    mean: f64,
    std: f64,
    alpha: f64,
    beta: f64,
    a: f64,
    b: f64,
}

/// `out[i] = f32(mean + std * z[i])` and whether attempt 0 is accepted (1/0): `z`
/// in `[alpha, beta]` and the rounded value in `[a, b]`. Branch-free, for
/// `simd::trunc_accept_f32` to compile with AVX2.
#[inline(always)]
pub(crate) fn accept_f32_body(p: Accept, z: &[f32], out: &mut [f32], ok: &mut [u8]) {
    for ((o, ok), &z) in out.iter_mut().zip(ok.iter_mut()).zip(z) {
        let z = f64::from(z);
        let t = (p.mean + p.std * z) as f32;
        let r = f64::from(t);
        *ok = u8::from((p.alpha <= z) & (z <= p.beta) & (p.a <= r) & (r <= p.b));
        *o = t;
    }
}

/// Rejected elements retried side by side.
pub(crate) const RETRY_LANES: usize = 8;

/// Attempt 1 of the normal proposal for elements `idx`, side by side: the
/// first value of [`box_muller_f64`] on their Philox blocks `[e, 1,
/// TruncNormal]` (its cosine by `math::cos_0_2pi`, `libm::sincos`'s bit for
/// bit: the same reduction and kernel). For `simd::trunc_retry_lanes`, which
/// compiles it with AVX2 (no FMA: the same IEEE operations).
#[inline(always)]
pub(crate) fn retry_lanes_body(
    idx: &[u64; RETRY_LANES],
    key: [u32; 2],
    z: &mut [f64; RETRY_LANES],
) {
    use super::math::ln_f64;
    let w = crate::rng::philox_lanes_at(idx, 1, Tag::TruncNormal as u32, key);
    let (mut r, mut x) = ([0f64; RETRY_LANES], [0f64; RETRY_LANES]);
    for l in 0..RETRY_LANES {
        let u = unit_open0_f64(w[0][l], w[1][l]);
        x[l] = std::f64::consts::TAU * unit_f64(w[2][l], w[3][l]);
        r[l] = (-2.0 * ln_f64(u)).sqrt();
    }
    let mut c = [0f64; RETRY_LANES];
    let mut fast = [false; RETRY_LANES];
    for l in 0..RETRY_LANES {
        (c[l], fast[l]) = super::math::cos_0_2pi(x[l]);
    }
    for l in 0..RETRY_LANES {
        if !fast[l] {
            c[l] = libm::cos(x[l]);
        }
        z[l] = r[l] * c[l];
    }
}
