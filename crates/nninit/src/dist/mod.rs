//! Element-wise distributions: uniform, normal, truncated normal, constant.
//!
//! A [`Dist`] is validated when it is built, so filling cannot fail. Filling is
//! parallel (rayon) over fixed blocks of [`BLOCK`] elements; since every value
//! is a pure function of its element index, the result is bit-identical for any
//! thread count and for any slice of the tensor generated on its own.

pub(crate) mod kernels;
pub(crate) mod math;
mod trunc_normal;

pub use trunc_normal::TruncNormal;

use crate::dtype::{DType, Element};
use crate::rng::Stream;
use rayon::prelude::*;

/// Elements per parallel block (a multiple of the vector group).
pub const BLOCK: usize = 1 << 16;

/// An element-wise distribution with validated parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    /// U(lo, hi): `lo + (hi - lo) * u`, `u` uniform in [0, 1) with 24 (f32) or 53 (f64) bits.
    Uniform { lo: f64, hi: f64 },
    /// N(mean, std^2) by Box-Muller (f32: libm-free polynomials; f64: the pure-Rust `libm` crate).
    Normal { mean: f64, std: f64 },
    /// N(mean, std^2) restricted to [a, b]: see [`TruncNormal`].
    TruncNormal(TruncNormal),
    /// Every element equal to the value (rounded to the dtype).
    Constant(f64),
}

impl Dist {
    /// E[x^2] of one element (before rounding to the dtype).
    pub fn second_moment(&self) -> f64 {
        match self {
            Dist::Uniform { lo, hi } => (lo * lo + lo * hi + hi * hi) / 3.0,
            Dist::Normal { mean, std } => mean * mean + std * std,
            Dist::Constant(v) => v * v,
            Dist::TruncNormal(t) => t.second_moment(),
        }
    }

    /// Fill `out` with elements `first .. first + out.len()` of the tensor whose stream is `stream`.
    pub fn fill<T: Element>(&self, stream: &Stream, first: u64, out: &mut [T]) {
        out.par_chunks_mut(BLOCK)
            .enumerate()
            .for_each(|(i, chunk)| self.fill_serial(stream, first + (i * BLOCK) as u64, chunk));
    }

    /// [`Dist::fill`] on the calling thread only.
    pub fn fill_serial<T: Element>(&self, stream: &Stream, first: u64, out: &mut [T]) {
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
