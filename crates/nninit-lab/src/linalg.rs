//! Matrix products, through faer (measured here at 256x1024x1024 f32: about
//! 105 GFLOP/s on one core and 185 on two, against 94 for ndarray's
//! matrixmultiply backend with its threading on; see README "Performance").
//! Small products run on the calling thread: spawning costs more than it saves.

use faer::{Accum, MatMut, MatRef, Par};

/// Scalars faer multiplies.
pub trait Real: faer::traits::ComplexField + Copy + Send + Sync + 'static {}
impl Real for f32 {}
impl Real for f64 {}

/// Below this many flops a product stays on one thread.
const PARALLEL_FLOPS: f64 = 8e6;

pub(crate) fn par(m: usize, n: usize, k: usize) -> Par {
    if 2.0 * ((m * n * k) as f64) < PARALLEL_FLOPS {
        Par::Seq
    } else {
        Par::rayon(0)
    }
}

/// `c = alpha * op(a) * op(b) (+ c if accumulate)`, all row-major slices;
/// `a` is `ar x ac` before `op`, transposed when `ta`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm<F: Real>(
    c: &mut [F],
    a: &[F],
    (ar, ac): (usize, usize),
    ta: bool,
    b: &[F],
    (br, bc): (usize, usize),
    tb: bool,
    alpha: F,
    accumulate: bool,
) {
    let a = MatRef::from_row_major_slice(a, ar, ac);
    let b = MatRef::from_row_major_slice(b, br, bc);
    let a = if ta { a.transpose() } else { a };
    let b = if tb { b.transpose() } else { b };
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    let c = MatMut::from_row_major_slice_mut(c, m, n);
    let beta = if accumulate {
        Accum::Add
    } else {
        Accum::Replace
    };
    faer::linalg::matmul::matmul(c, beta, a, b, alpha, par(m, n, k));
}
