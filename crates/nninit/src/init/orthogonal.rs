//! Orthogonal initialization (Saxe, McClelland, Ganguli 2014, "Exact solutions
//! to the nonlinear dynamics of learning in deep linear neural networks") and
//! JAX's `delta_orthogonal` (Xiao et al. 2018, "Dynamical isometry and a mean
//! field theory of CNNs").
//!
//! `orthogonal(gain=1)` matches `torch.nn.init.orthogonal_` in distribution:
//! rows = shape[0], cols = numel / rows (torch layout; under the keras layout
//! cols = shape[-1] and rows = numel / cols, as Keras' `Orthogonal`); the result
//! has orthonormal rows (rows <= cols) or columns (rows > cols), times gain, and
//! is Haar-distributed (uniform over the orthogonal group), which is what
//! PyTorch's sign correction of the QR factor (Mezzadri 2007) achieves.
//!
//! How: PyTorch draws an n x m Gaussian matrix and factors it. The Householder
//! vectors of that factorization are themselves independent Gaussian vectors
//! (Stewart 1980, "The efficient generation of random orthogonal matrices"),
//! so we draw them directly and skip the factorization:
//! `Q = H_0 H_1 ... H_{m-1} D`, `H_k` the reflection that maps the Gaussian
//! vector `v_k` (length n - k) onto `alpha_k e_1`, `D = diag(sign(alpha_k))`.
//! The reflections are accumulated in blocks in compact WY form
//! (`H_j ... H_{j+b-1} = I - V T V^T`, Schreiber & Van Loan 1989), so the work
//! is matrix multiplication.
//!
//! Not shardable: every entry depends on every Gaussian draw.

use crate::dist::Dist;
use crate::dtype::Element;
use crate::linalg::{par, Real};
use crate::rng::Stream;
use faer::linalg::matmul::matmul;
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, MatRef};
use num_traits::Float;

/// Reflections per compact-WY block.
const BLOCK: usize = 128;

/// The scalar types orthogonal is computed in (f32 for f32/bf16/f16 outputs).
pub(crate) trait OrthoFloat: Float + Real + Element {}
impl OrthoFloat for f32 {}
impl OrthoFloat for f64 {}

/// The first `m` columns of a Haar-random `n x n` orthogonal matrix, `m <= n`,
/// as an `n x m` row-major vector.
pub(crate) fn haar_columns<F: OrthoFloat>(stream: &Stream, n: usize, m: usize) -> Vec<F> {
    assert!(m <= n);
    // v_k = g[k, k..] of an m x n standard normal matrix (row k holds the
    // k-th Householder vector, contiguous)
    let mut vt = vec![F::zero(); n * m];
    Dist::Normal {
        mean: 0.0,
        std: 1.0,
    }
    .fill(stream, 0, &mut vt);
    use rayon::prelude::*;
    let mut q = vec![F::zero(); n * m];
    // Touch every page now, in parallel: otherwise the first trailing update
    // to reach each page faults it in from inside the GEMM, serially (about
    // 0.1 s of a 4096 x 4096 orthogonal).
    q.par_chunks_mut(1 << 14)
        .for_each(|c| c.fill(std::hint::black_box(F::zero())));
    let two = F::one() + F::one();
    // Each Householder vector is its own row: (tau_k, sign(alpha_k)) in parallel.
    let coef: Vec<(F, F)> = vt
        .par_chunks_mut(n)
        .enumerate()
        .map(|(k, row)| {
            row[..k].fill(F::zero());
            let x = &mut row[k..];
            let norm = x.iter().fold(F::zero(), |acc, &x| acc + x * x).sqrt();
            let x0 = x[0];
            let alpha = if x0 >= F::zero() { -norm } else { norm };
            x[0] = x0 - alpha;
            let uu = x.iter().fold(F::zero(), |acc, &x| acc + x * x);
            let tau = if uu > F::zero() { two / uu } else { F::zero() };
            // Mezzadri's sign correction: D_kk = sign(R_kk) = sign(alpha)
            (
                tau,
                if alpha >= F::zero() {
                    F::one()
                } else {
                    -F::one()
                },
            )
        })
        .collect();
    let tau: Vec<F> = coef.iter().map(|c| c.0).collect();
    for (k, c) in coef.iter().enumerate() {
        q[k * m + k] = c.1;
    }
    // Apply blocks right to left: Q = (H_0..H_{b-1}) ... (H_j..H_{j+b-1}) ... D.
    // Block j only touches rows j.. and columns j.. of Q.
    let vt_all = MatRef::from_row_major_slice(&vt, m, n);
    let mut q_all = MatMut::from_row_major_slice_mut(&mut q, n, m);
    let starts: Vec<usize> = (0..m).step_by(BLOCK).collect();
    // work buffers for V^T Q and T V^T Q, reused by every block
    let mut w_buf = Mat::<F>::zeros(BLOCK.min(m), m);
    let mut w2_buf = Mat::<F>::zeros(BLOCK.min(m), m);
    for &j in starts.iter().rev() {
        let jb = BLOCK.min(m - j);
        // rows j..j+jb of V^T, columns j..: V_b^T, jb x (n - j)
        let vbt = vt_all.submatrix(j, j, jb, n - j);
        let mut gram = Mat::<F>::zeros(jb, jb);
        matmul(
            gram.as_mut(),
            Accum::Replace,
            vbt,
            vbt.transpose(),
            F::one(),
            par(jb, jb, n - j),
        );
        let t = wy_t(&gram, &tau[j..j + jb]);
        let mut sub = q_all.rb_mut().submatrix_mut(j, j, n - j, m - j);
        let cols = m - j;
        let mut w = w_buf.as_mut().submatrix_mut(0, 0, jb, cols);
        matmul(
            w.rb_mut(),
            Accum::Replace,
            vbt,
            sub.rb(),
            F::one(),
            par(jb, cols, n - j),
        );
        let mut w2 = w2_buf.as_mut().submatrix_mut(0, 0, jb, cols);
        matmul(
            w2.rb_mut(),
            Accum::Replace,
            t.as_ref(),
            w.rb(),
            F::one(),
            par(jb, cols, jb),
        );
        matmul(
            sub.rb_mut(),
            Accum::Add,
            vbt.transpose(),
            w2.rb(),
            -F::one(),
            par(n - j, cols, jb),
        );
    }
    q
}

/// The upper-triangular T of the compact WY form (LAPACK `larft`, forward,
/// columnwise) from the Gram matrix V^T V and the reflection coefficients.
fn wy_t<F: OrthoFloat>(gram: &Mat<F>, tau: &[F]) -> Mat<F> {
    let b = tau.len();
    let mut t = Mat::<F>::zeros(b, b);
    for i in 0..b {
        t[(i, i)] = tau[i];
        for r in 0..i {
            // T[r, i] = -tau_i * sum_{c=r}^{i-1} T[r, c] * gram[c, i]
            let mut acc = F::zero();
            for c in r..i {
                acc += t[(r, c)] * gram[(c, i)];
            }
            t[(r, i)] = -tau[i] * acc;
        }
    }
    t
}

/// An orthogonal `rows x cols` matrix (row-major) times `gain`, written into `out`.
pub(crate) fn orthogonal_matrix<T: Element>(
    stream: &Stream,
    rows: usize,
    cols: usize,
    gain: f64,
    out: &mut [T],
) {
    if T::DTYPE == crate::dtype::DType::F64 {
        write::<f64, T>(stream, rows, cols, gain, out)
    } else {
        write::<f32, T>(stream, rows, cols, gain, out)
    }
}

fn write<F: OrthoFloat, T: Element>(
    stream: &Stream,
    rows: usize,
    cols: usize,
    gain: f64,
    out: &mut [T],
) {
    let (n, m) = (rows.max(cols), rows.min(cols));
    let q = haar_columns::<F>(stream, n, m);
    let g = gain;
    use rayon::prelude::*;
    if rows >= cols {
        out.par_chunks_mut(1 << 14)
            .zip(q.par_chunks(1 << 14))
            .for_each(|(o, x)| {
                for (o, x) in o.iter_mut().zip(x) {
                    *o = T::from_f64(Element::to_f64(*x) * g);
                }
            });
    } else {
        // out (m x n) = q^T
        out.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
            for (k, o) in row.iter_mut().enumerate() {
                *o = T::from_f64(Element::to_f64(q[k * m + i]) * g);
            }
        });
    }
}
