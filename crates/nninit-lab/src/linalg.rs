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

/// Whether [`gemm`] accumulates its wall time (for `nninit bench --train`).
static GEMM_TIMING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static GEMM_NANOS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Start (or stop) adding up the time spent in matrix products; resets the sum.
pub fn time_gemm(on: bool) {
    use std::sync::atomic::Ordering::Relaxed;
    GEMM_NANOS.store(0, Relaxed);
    GEMM_TIMING.store(on, Relaxed);
}

/// Seconds spent in matrix products since [`time_gemm`]`(true)`.
pub fn gemm_seconds() -> f64 {
    GEMM_NANOS.load(std::sync::atomic::Ordering::Relaxed) as f64 * 1e-9
}

/// `c = alpha * op(a) * op(b) (+ c if accumulate)`, all row-major slices;
/// `a` is `ar x ac` before `op`, transposed when `ta`.
#[allow(clippy::too_many_arguments)]
pub fn gemm<F: Real>(
    c: &mut [F],
    a: &[F],
    ar_ac: (usize, usize),
    ta: bool,
    b: &[F],
    br_bc: (usize, usize),
    tb: bool,
    alpha: F,
    accumulate: bool,
) {
    use std::sync::atomic::Ordering::Relaxed;
    if GEMM_TIMING.load(Relaxed) {
        let t = std::time::Instant::now();
        gemm_inner(c, a, ar_ac, ta, b, br_bc, tb, alpha, accumulate);
        GEMM_NANOS.fetch_add(t.elapsed().as_nanos() as u64, Relaxed);
    } else {
        gemm_inner(c, a, ar_ac, ta, b, br_bc, tb, alpha, accumulate);
    }
}

#[allow(clippy::too_many_arguments)]
fn gemm_inner<F: Real>(
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
