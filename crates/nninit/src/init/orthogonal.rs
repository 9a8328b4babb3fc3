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
use crate::rng::Stream;
use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array2, ArrayViewMut2};
use num_traits::Float;

/// Reflections per compact-WY block.
const BLOCK: usize = 128;

/// The scalar types orthogonal is computed in (f32 for f32/bf16/f16 outputs).
pub(crate) trait OrthoFloat: Float + ndarray::LinalgScalar + Element + Send + Sync {}
impl OrthoFloat for f32 {}
impl OrthoFloat for f64 {}

/// The first `m` columns of a Haar-random `n x n` orthogonal matrix, `m <= n`, as `n x m`.
pub(crate) fn haar_columns<F: OrthoFloat>(stream: &Stream, n: usize, m: usize) -> Array2<F> {
    assert!(m <= n);
    // v_k = g[k, k..] of an m x n standard normal matrix (row k holds the
    // k-th Householder vector, contiguous)
    let mut g = vec![F::zero(); n * m];
    Dist::Normal {
        mean: 0.0,
        std: 1.0,
    }
    .fill(stream, 0, &mut g);
    let mut vt = Array2::from_shape_vec((m, n), g).expect("n*m elements");
    let mut tau = vec![F::zero(); m];
    let mut q = Array2::<F>::zeros((n, m));
    let two = F::one() + F::one();
    for k in 0..m {
        let mut row = vt.row_mut(k);
        row.slice_mut(s![..k]).fill(F::zero());
        let mut x = row.slice_mut(s![k..]);
        let norm = x.iter().fold(F::zero(), |acc, &x| acc + x * x).sqrt();
        let x0 = x[0];
        let alpha = if x0 >= F::zero() { -norm } else { norm };
        x[0] = x0 - alpha;
        let uu = x.iter().fold(F::zero(), |acc, &x| acc + x * x);
        tau[k] = if uu > F::zero() { two / uu } else { F::zero() };
        // Mezzadri's sign correction: D_kk = sign(R_kk) = sign(alpha)
        q[[k, k]] = if alpha >= F::zero() {
            F::one()
        } else {
            -F::one()
        };
    }
    // Apply blocks right to left: Q = (H_0..H_{b-1}) ... (H_j..H_{j+b-1}) ... D.
    // Block j only touches rows j.. and columns j.. of Q.
    let starts: Vec<usize> = (0..m).step_by(BLOCK).collect();
    for &j in starts.iter().rev() {
        let jb = BLOCK.min(m - j);
        let vb = vt.slice(s![j..j + jb, j..]).reversed_axes();
        let mut gram = Array2::<F>::zeros((jb, jb));
        general_mat_mul(F::one(), &vb.t(), &vb, F::zero(), &mut gram);
        let t = wy_t(&gram, &tau[j..j + jb]);
        let mut sub: ArrayViewMut2<F> = q.slice_mut(s![j.., j..]);
        let cols = sub.ncols();
        let mut w = Array2::<F>::zeros((jb, cols));
        general_mat_mul(F::one(), &vb.t(), &sub, F::zero(), &mut w);
        let mut w2 = Array2::<F>::zeros((jb, cols));
        general_mat_mul(F::one(), &t, &w, F::zero(), &mut w2);
        general_mat_mul(-F::one(), &vb, &w2, F::one(), &mut sub);
    }
    q
}

/// The upper-triangular T of the compact WY form (LAPACK `larft`, forward,
/// columnwise) from the Gram matrix V^T V and the reflection coefficients.
fn wy_t<F: OrthoFloat>(gram: &Array2<F>, tau: &[F]) -> Array2<F> {
    let b = tau.len();
    let mut t = Array2::<F>::zeros((b, b));
    for i in 0..b {
        t[[i, i]] = tau[i];
        for r in 0..i {
            // T[r, i] = -tau_i * sum_{c=r}^{i-1} T[r, c] * gram[c, i]
            let mut acc = F::zero();
            for c in r..i {
                acc = acc + t[[r, c]] * gram[[c, i]];
            }
            t[[r, i]] = -tau[i] * acc;
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
    if rows >= cols {
        for (o, x) in out.iter_mut().zip(q.iter()) {
            *o = T::from_f64(Element::to_f64(*x) * g);
        }
    } else {
        for (o, x) in out.iter_mut().zip(q.t().iter()) {
            *o = T::from_f64(Element::to_f64(*x) * g);
        }
    }
}
