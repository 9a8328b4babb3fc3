//! What `orthogonal` needs of faer: the scalar bound and when a product is
//! worth running in parallel (small products run on the calling thread:
//! spawning costs more than it saves).

use faer::Par;

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
