//! Element-wise distributions: uniform, normal, truncated normal, constant.
//!
//! A [`Dist`] is *what* to sample: the distribution and its parameters,
//! validated when it is built. *How* a generator family samples it lives
//! beside the family: for nninit's random-access Philox streams, the kernels
//! of this module (parallel over fixed blocks of 65536 elements; every value
//! a pure function of its element index, so bit-identical for any thread
//! count and for any slice generated on its own).

pub(crate) mod kernels;
pub(crate) mod math;
pub(crate) mod trunc_normal;

pub use trunc_normal::TruncNormal;

use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::rng::Stream;
use rayon::prelude::*;

/// Largest |z| of the standard normals nninit's Box-Muller kernels draw,
/// rounded up: `sqrt(-2 ln 2^-24)` = 5.7686 in the single-precision kernels
/// (f32, bf16, f16), `sqrt(-2 ln 2^-53)` = 8.5718 in f64.
pub(crate) fn z_max(dtype: DType) -> f64 {
    match dtype {
        DType::F64 => 8.58,
        _ => 5.77,
    }
}

/// The largest finite value of `dtype`.
pub(crate) fn max_finite(dtype: DType) -> f64 {
    match dtype {
        DType::F64 => f64::MAX,
        DType::F32 => f32::MAX as f64,
        DType::BF16 => half::bf16::MAX.to_f64(),
        DType::F16 => half::f16::MAX.to_f64(),
    }
}

/// `x` rounded to `dtype` (to nearest even), back in f64.
pub(crate) fn round_to(x: f64, dtype: DType) -> f64 {
    match dtype {
        DType::F64 => x,
        DType::F32 => x as f32 as f64,
        DType::BF16 => half::bf16::from_f64(x).to_f64(),
        DType::F16 => half::f16::from_f64(x).to_f64(),
    }
}

/// Elements per parallel block (a multiple of the vector group).
pub(crate) const BLOCK: usize = 1 << 16;

/// An element-wise distribution with validated parameters. Build one with
/// [`Dist::uniform`], [`Dist::normal`], [`Dist::trunc_normal`] or
/// [`Dist::constant`]; the variants can be matched but not built directly.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Dist {
    /// U(lo, hi): `lo + (hi - lo) * u`, `u` uniform in [0, 1) with 24 (f32) or 53 (f64) bits.
    #[non_exhaustive]
    Uniform {
        /// Lower bound.
        lo: f64,
        /// Upper bound (>= lo).
        hi: f64,
    },
    /// N(mean, std^2) by Box-Muller (f32: libm-free polynomials; f64: the pure-Rust `libm` crate).
    #[non_exhaustive]
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (>= 0).
        std: f64,
    },
    /// N(mean, std^2) restricted to [a, b]: see [`TruncNormal`].
    #[non_exhaustive]
    TruncNormal(TruncNormal),
    /// Every element equal to the value (rounded to the dtype).
    #[non_exhaustive]
    Constant(f64),
}

impl Dist {
    /// U(lo, hi) with finite `lo <= hi`.
    pub fn uniform(lo: f64, hi: f64) -> Result<Dist> {
        let init = crate::Init::uniform(lo, hi)?;
        debug_assert!(matches!(init, crate::Init::Uniform { .. }));
        Ok(Dist::Uniform { lo, hi })
    }

    /// N(mean, std^2) with finite `mean` and `std >= 0`.
    pub fn normal(mean: f64, std: f64) -> Result<Dist> {
        crate::Init::normal(mean, std)?;
        Ok(Dist::Normal { mean, std })
    }

    /// N(mean, std^2) restricted to the absolute bounds [a, b] (the rules of
    /// [`crate::Init::trunc_normal`]; `std = 0` gives the constant `mean`).
    pub fn trunc_normal(mean: f64, std: f64, a: f64, b: f64) -> Result<Dist> {
        crate::Init::trunc_normal(mean, std, a, b)?;
        Ok(crate::init::basic::trunc_normal(mean, std, a, b))
    }

    /// Every element `v` (finite).
    pub fn constant(v: f64) -> Result<Dist> {
        crate::Init::constant(v)?;
        Ok(Dist::Constant(v))
    }

    /// Why some value of this distribution would not be finite once
    /// written as `dtype`, or `None` when every value fits. The rule, the
    /// same for every initializer, front end and generator:
    /// - the parameters must be finite in the precision `dtype` is computed
    ///   in (f32 for f32, bf16 and f16; a fan-scaled initializer with a huge
    ///   gain would otherwise give inf - inf = NaN);
    /// - a constant, and both bounds of a uniform, must round to a finite
    ///   `dtype` value;
    /// - a normal's `|mean| + z_max * std` must round to a finite `dtype`
    ///   value, where `z_max` is the largest |z| nninit's Box-Muller draws
    ///   ([`z_max`]: 5.77 for the single-precision types, 8.58 for f64), so
    ///   `normal(std=1e5)` is refused for float16 (whose largest value is
    ///   65504) rather than written with infinities.
    ///
    /// A truncated normal's bounds are checked by the initializer.
    pub(crate) fn overflow_in(&self, dtype: DType) -> Option<String> {
        let compute_ok = |x: f64| match dtype {
            DType::F64 => x.is_finite(),
            _ => (x as f32).is_finite(),
        };
        let max = max_finite(dtype);
        let too_big = |what: String, x: f64| {
            Some(format!(
                "{what} {x:e} exceeds {dtype}'s largest finite value {max:e} (it would be written as inf); use smaller values or a wider dtype"
            ))
        };
        match *self {
            Dist::Uniform { lo, hi } => {
                for (what, x) in [("the lower bound", lo), ("the upper bound", hi)] {
                    if !round_to(x, dtype).is_finite() {
                        return too_big(what.to_string(), x);
                    }
                }
                (!compute_ok(hi - lo)).then(|| {
                    format!("the width of U({lo:e}, {hi:e}) is not finite in the precision {dtype} is computed in; use smaller bounds")
                })
            }
            Dist::Normal { mean, std } => {
                if !compute_ok(mean) || !compute_ok(std) {
                    return Some(format!(
                        "N({mean:e}, {std:e}^2): mean and std must be finite in the precision {dtype} is computed in; use smaller values"
                    ));
                }
                let reach = mean.abs() + z_max(dtype) * std;
                if !round_to(reach, dtype).is_finite() {
                    return too_big(
                        format!("|mean| + {} * std of N({mean:e}, {std:e}^2) is", z_max(dtype)),
                        reach,
                    );
                }
                None
            }
            Dist::Constant(v) => {
                (!round_to(v, dtype).is_finite()).then(|| too_big("the value".into(), v).unwrap())
            }
            Dist::TruncNormal(ref t) => (!t.is_finite()).then(|| {
                format!("the parameters of {t:?} are not finite in the precision {dtype} is computed in")
            }),
        }
    }

    /// E[x^2] of one element (before rounding to the dtype).
    pub fn second_moment(&self) -> f64 {
        match self {
            Dist::Uniform { lo, hi } => (lo * lo + lo * hi + hi * hi) / 3.0,
            Dist::Normal { mean, std } => mean * mean + std * std,
            Dist::Constant(v) => v * v,
            Dist::TruncNormal(t) => t.second_moment(),
        }
    }

    /// Fill `out` with elements `first .. first + out.len()` of the tensor
    /// whose stream is `stream`, in parallel. An error if the range ends past
    /// element 2^62 ([`crate::init::MAX_NUMEL`]).
    ///
    /// ```
    /// use nninit::{Dist, Stream};
    /// let mut x = vec![0f64; 1000];
    /// Dist::normal(0.0, 2.0)?.fill(&Stream::new(3, "x"), 0, &mut x)?;
    /// let mut tail = vec![0f64; 10];
    /// Dist::normal(0.0, 2.0)?.fill(&Stream::new(3, "x"), 990, &mut tail)?;
    /// assert_eq!(tail[..], x[990..]);
    /// # Ok::<(), nninit::Error>(())
    /// ```
    pub fn fill<T: Element>(&self, stream: &Stream, first: u64, out: &mut [T]) -> Result<()> {
        let end = first.checked_add(out.len() as u64);
        if end.is_none_or(|e| e > crate::init::MAX_NUMEL) {
            return Err(Error::Range {
                init: format!("{self:?}"),
                start: first,
                end: end.unwrap_or(u64::MAX),
                numel: crate::init::MAX_NUMEL,
                reason: "element indices end at 2^62".into(),
            });
        }
        self.fill_unchecked(stream, first, out);
        Ok(())
    }

    /// [`Dist::fill`] for a range the caller knows to be in bounds.
    pub(crate) fn fill_unchecked<T: Element>(&self, stream: &Stream, first: u64, out: &mut [T]) {
        out.par_chunks_mut(BLOCK)
            .enumerate()
            .for_each(|(i, chunk)| self.fill_serial(stream, first + (i * BLOCK) as u64, chunk));
    }

    /// [`Dist::fill`] on the calling thread only (the caller checks the range).
    pub(crate) fn fill_serial<T: Element>(&self, stream: &Stream, first: u64, out: &mut [T]) {
        let key = stream.key();
        match self {
            Dist::Constant(v) => out.fill(T::from_f64(*v)),
            Dist::TruncNormal(t) => t.fill(stream, first, out),
            Dist::Uniform { .. } | Dist::Normal { .. } => match T::DTYPE {
                DType::F64 => self.fill_f64(key, first, bytemuck::cast_slice_mut(out)),
                DType::F32 => self.fill_f32(key, first, bytemuck::cast_slice_mut(out)),
                DType::BF16 | DType::F16 => {
                    let mut tmp = [0f32; 4096];
                    let mut e = first;
                    for chunk in out.chunks_mut(tmp.len()) {
                        let t = &mut tmp[..chunk.len()];
                        self.fill_f32(key, e, t);
                        for (o, x) in chunk.iter_mut().zip(t.iter()) {
                            *o = T::from_f32(*x);
                        }
                        e += chunk.len() as u64;
                    }
                }
            },
        }
    }

    fn fill_f32(&self, key: [u32; 2], first: u64, out: &mut [f32]) {
        use kernels::*;
        match *self {
            Dist::Uniform { lo, hi } => {
                let (lo, w) = (lo as f32, (hi - lo) as f32);
                drive_f32(
                    first,
                    out,
                    |c| uniform4(key, c, lo, w),
                    |c, b| crate::simd::uniform_f32_body(key, c, b, lo, w),
                )
            }
            Dist::Normal { mean, std } => {
                let (m, s) = (mean as f32, std as f32);
                drive_f32(
                    first,
                    out,
                    |c| normal4(key, c, m, s),
                    |c, b| crate::simd::normal_f32_body(key, c, b, m, s),
                )
            }
            _ => unreachable!("only uniform and normal have f32 kernels"),
        }
    }

    fn fill_f64(&self, key: [u32; 2], first: u64, out: &mut [f64]) {
        match *self {
            Dist::Uniform { lo, hi } => kernels::uniform_f64(key, first, out, lo, hi - lo),
            Dist::Normal { mean, std } => kernels::normal_f64(key, first, out, mean, std),
            _ => unreachable!("only uniform and normal have f64 kernels"),
        }
    }
}
