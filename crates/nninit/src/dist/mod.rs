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
mod trunc_normal;

pub use trunc_normal::TruncNormal;

use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::rng::Stream;
use rayon::prelude::*;

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

    /// Whether its parameters are finite in the precision `dtype` is
    /// computed in (f32 for f32, bf16 and f16): bounds and their width, mean
    /// and std (a fan-scaled initializer with a huge gain, or a mean near
    /// f64::MAX, would otherwise give inf - inf = NaN).
    pub(crate) fn is_finite_in(&self, dtype: DType) -> bool {
        let ok = |x: f64| match dtype {
            DType::F64 => x.is_finite(),
            _ => (x as f32).is_finite(),
        };
        match self {
            Dist::Uniform { lo, hi } => ok(hi - lo) && ok(*lo) && ok(*hi),
            Dist::Normal { mean, std } => ok(*mean) && ok(*std),
            Dist::Constant(v) => v.is_finite(),
            Dist::TruncNormal(t) => t.is_finite(),
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
