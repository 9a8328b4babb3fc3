//! Orthogonal initialization (Saxe, McClelland, Ganguli 2014, "Exact solutions
//! to the nonlinear dynamics of learning in deep linear neural networks") and
//! JAX's `delta_orthogonal` (Xiao et al. 2018, "Dynamical isometry and a mean
//! field theory of CNNs").
//!
//! `orthogonal(gain=1)` matches `torch.nn.init.orthogonal_` in distribution:
//! rows = `shape[0]`, cols = numel / rows (torch layout; under the keras layout
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
//! is matrix multiplication. Block j (reflections j..j+b) is applied to Q
//! after the blocks to its right, when Q is still `[[D_b, 0], [0, Q']]` in
//! rows and columns j..: `V^T Q` needs a product with Q' only, and Q is built
//! from the bottom-right corner up, so all the work is about (4/3) n^3 flops
//! for a square matrix (LAPACK's `orgqr`), against (8/3) n^3 for a Gaussian
//! matrix's QR factorization and its `orgqr`, what PyTorch does.
//!
//! Not shardable: every entry depends on every Gaussian draw.

use super::expr::Args;
use super::family::{finite, num, Family, Spelling, Target};
use super::fan::Layout;
use super::{Init, Plan};
use crate::dist::Dist;
use crate::dtype::Element;
use crate::error::Result;
use crate::linalg::{par, Real};
use crate::rng::Stream;
use faer::linalg::matmul::matmul;
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, MatRef, Par};
use num_traits::Float;
use std::fmt;

/// Reflections per compact-WY block.
const BLOCK: usize = 128;

/// The scalar types orthogonal is computed in (f32 for f32/bf16/f16 outputs).
pub(crate) trait OrthoFloat: Float + Real + Element {}
impl OrthoFloat for f32 {}
impl OrthoFloat for f64 {}

/// The first `m` columns of a Haar-random `n x n` orthogonal matrix, `m <= n`,
/// written into `q` (`n x m`, row-major; any prior contents are overwritten).
pub(crate) fn haar_columns<F: OrthoFloat>(stream: &Stream, n: usize, m: usize, q: &mut [F]) {
    use rayon::prelude::*;
    assert!(m <= n && q.len() == n * m);
    // v_k = g[k, k..] of an m x n standard normal matrix g. Block j (rows
    // j..j+jb of g) is stored as its own jb x (n - j) row-major matrix V_b^T,
    // zero left of the diagonal; only the entries used are drawn (each is a
    // pure function of its index in g).
    let starts: Vec<usize> = (0..m).step_by(BLOCK).collect();
    let mut blocks: Vec<Vec<F>> = starts
        .iter()
        .map(|&j| vec![F::zero(); BLOCK.min(m - j) * (n - j)])
        .collect();
    let rows: Vec<(usize, &mut [F])> = starts
        .iter()
        .zip(blocks.iter_mut())
        .flat_map(|(&j, b)| {
            b.chunks_mut(n - j)
                .enumerate()
                .map(move |(i, row)| (j + i, &mut row[i..]))
        })
        .collect();
    let normal = Dist::Normal {
        mean: 0.0,
        std: 1.0,
    };
    let two = F::one() + F::one();
    // Each Householder vector: (tau_k, sign(alpha_k)), in parallel.
    let coef: Vec<(F, F)> = rows
        .into_par_iter()
        .map(|(k, x)| {
            normal.fill_serial(stream, (k * n + k) as u64, x);
            let norm = x.iter().fold(F::zero(), |acc, &x| acc + x * x).sqrt();
            let x0 = x[0];
            let alpha = if x0 >= F::zero() { -norm } else { norm };
            x[0] = x0 - alpha;
            // u^T u = |x|^2 - x0^2 + (x0 - alpha)^2 = 2 |x| (|x| + |x0|)
            let uu = two * norm * (norm + x0.abs());
            let tau = if uu > F::zero() { two / uu } else { F::zero() };
            // Mezzadri's sign correction: D_kk = sign(R_kk) = sign(alpha)
            let sign = if alpha >= F::zero() {
                F::one()
            } else {
                -F::one()
            };
            (tau, sign)
        })
        .collect();
    let vbts: Vec<MatRef<'_, F>> = starts
        .iter()
        .zip(&blocks)
        .map(|(&j, b)| MatRef::from_row_major_slice(b, b.len() / (n - j), n - j))
        .collect();
    // T of each block's compact WY form depends on V only: all at once.
    let ts: Vec<Mat<F>> = starts
        .par_iter()
        .zip(vbts.par_iter())
        .map(|(&j, &vbt)| {
            let jb = vbt.nrows();
            let mut gram = Mat::<F>::zeros(jb, jb);
            matmul(
                gram.as_mut(),
                Accum::Replace,
                vbt,
                vbt.transpose(),
                F::one(),
                Par::Seq,
            );
            let tau: Vec<F> = coef[j..j + jb].iter().map(|c| c.0).collect();
            wy_t(&gram, &tau)
        })
        .collect();
    // Q starts as D (also touches every page in parallel, rather than from
    // inside the first GEMM to reach it).
    q.par_chunks_mut(m).enumerate().for_each(|(r, row)| {
        row.fill(F::zero());
        if r < m {
            row[r] = coef[r].1;
        }
    });
    // Apply blocks right to left: Q = (H_0..H_{b-1}) ... (H_j..H_{j+b-1}) ... D.
    // Block j only touches rows j.. and columns j.. of Q.
    let mut q_all = MatMut::from_row_major_slice_mut(q, n, m);
    // work buffers for V^T Q and T V^T Q, reused by every block
    let mut w_buf = Mat::<F>::zeros(BLOCK.min(m), m);
    let mut w2_buf = Mat::<F>::zeros(BLOCK.min(m), m);
    for (b, &j) in starts.iter().enumerate().rev() {
        let vbt = vbts[b];
        let jb = vbt.nrows();
        let mut sub = q_all.rb_mut().submatrix_mut(j, j, n - j, m - j);
        let cols = m - j;
        let mut w = w_buf.as_mut().submatrix_mut(0, 0, jb, cols);
        // W = V_b^T Q. The blocks applied so far act on rows and columns
        // >= j + jb only, so Q here is [[D_b, 0], [0, Q']]: W = [V_b1^T D_b,
        // V_b2^T Q'] with V_b = [V_b1; V_b2] split after jb rows.
        let (mut w_d, w_q) = w.rb_mut().split_at_col_mut(jb);
        matmul(
            w_q,
            Accum::Replace,
            vbt.subcols(jb, n - j - jb),
            sub.rb().submatrix(jb, jb, n - j - jb, cols - jb),
            F::one(),
            par(jb, cols - jb, n - j - jb),
        );
        for t in 0..jb {
            let d = coef[j + t].1;
            for r in 0..jb {
                w_d[(r, t)] = vbt[(r, t)] * d;
            }
        }
        let mut w2 = w2_buf.as_mut().submatrix_mut(0, 0, jb, cols);
        matmul(
            w2.rb_mut(),
            Accum::Replace,
            ts[b].as_ref(),
            w.rb(),
            F::one(),
            par(jb, cols, jb),
        );
        // Q -= V_b (T W)
        matmul(
            sub.rb_mut(),
            Accum::Add,
            vbt.transpose(),
            w2.rb(),
            -F::one(),
            par(n - j, cols, jb),
        );
    }
}

/// The upper-triangular T of the compact WY form (LAPACK `larft`, forward,
/// columnwise) from the Gram matrix V^T V and the reflection coefficients.
fn wy_t<F: OrthoFloat>(gram: &Mat<F>, tau: &[F]) -> Mat<F> {
    let b = tau.len();
    // column-major: column i holds T[0..=i, i]
    let mut t = vec![F::zero(); b * b];
    let mut z = vec![F::zero(); b];
    for i in 0..b {
        // T[0..i, i] = -tau_i * T[0..i, 0..i] * gram[0..i, i], as a sum of
        // columns (each z[r] still adds its terms in order of c)
        let z = &mut z[..i];
        z.fill(F::zero());
        for c in 0..i {
            let g = gram[(c, i)];
            for (z, &t) in z[..=c].iter_mut().zip(&t[c * b..=c * b + c]) {
                *z += t * g;
            }
        }
        let col = &mut t[i * b..i * b + i + 1];
        for (o, &z) in col.iter_mut().zip(z.iter()) {
            *o = -tau[i] * z;
        }
        col[i] = tau[i];
    }
    Mat::from_fn(b, b, |r, c| t[c * b + r])
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
    let g = gain;
    use rayon::prelude::*;
    if rows >= cols && T::DTYPE == F::DTYPE {
        // out has Q's layout and type: build Q in place
        let q: &mut [F] = bytemuck::cast_slice_mut(out);
        haar_columns::<F>(stream, n, m, q);
        if g != 1.0 {
            q.par_chunks_mut(1 << 14).for_each(|c| {
                for x in c {
                    *x = F::from_f64(Element::to_f64(*x) * g);
                }
            });
        }
        return;
    }
    let mut q = vec![F::zero(); n * m];
    haar_columns::<F>(stream, n, m, &mut q);
    if rows >= cols {
        out.par_chunks_mut(1 << 14)
            .zip(q.par_chunks(1 << 14))
            .for_each(|(o, x)| {
                for (o, x) in o.iter_mut().zip(x) {
                    *o = T::from_f64(Element::to_f64(*x) * g);
                }
            });
    } else {
        // out (m x n) = q^T, TILE rows of out (one cache line of each q row) at a time
        const TILE: usize = 16;
        out.par_chunks_mut(TILE * n).enumerate().for_each(|(t, o)| {
            let i0 = t * TILE;
            let h = o.len() / n;
            for k in 0..n {
                for (i, x) in q[k * m + i0..k * m + i0 + h].iter().enumerate() {
                    o[i * n + k] = T::from_f64(Element::to_f64(*x) * g);
                }
            }
        });
    }
}

impl Init {
    /// `orthogonal(gain=1)`: see the module docs.
    pub fn orthogonal(gain: f64) -> Result<Init> {
        Ok(Init::Orthogonal(Orthogonal {
            gain: finite("orthogonal", "gain", gain)?,
        }))
    }

    /// `delta_orthogonal(scale=1)`: see the module docs.
    pub fn delta_orthogonal(scale: f64) -> Result<Init> {
        Ok(Init::DeltaOrthogonal(DeltaOrthogonal {
            scale: finite("delta_orthogonal", "scale", scale)?,
        }))
    }
}

/// `orthogonal(gain=1)` (`torch.nn.init.orthogonal_`, Keras `Orthogonal`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Orthogonal {
    /// Gain.
    pub gain: f64,
}

impl Family for Orthogonal {
    const SPELLINGS: &'static [Spelling] = &[Spelling {
        name: "orthogonal",
        params: &["gain"],
        about: "a (semi-)orthogonal matrix times gain (Saxe et al. 2013; torch)",
    }];
    const SHARDABLE: bool = false;
    fn parse(_: &str, args: &mut Args) -> Result<Self> {
        Ok(Orthogonal {
            gain: finite("orthogonal", "gain", args.num("gain", 1.0)?)?,
        })
    }
    fn validate(&self) -> Result<()> {
        finite("orthogonal", "gain", self.gain).map(|_| ())
    }
    fn plan(&self, t: &Target) -> Result<Plan> {
        let shape = t.shape;
        if shape.len() < 2 {
            return Err(t.err("orthogonal needs a tensor of rank >= 2"));
        }
        let n = super::checked_numel(shape)? as usize;
        let (rows, cols) = match t.layout {
            Layout::Torch => (shape[0], n.checked_div(shape[0]).unwrap_or(0)),
            Layout::Keras => {
                let c = shape[shape.len() - 1];
                (n.checked_div(c).unwrap_or(0), c)
            }
        };
        Ok(Plan::Orthogonal {
            rows,
            cols,
            gain: self.gain,
        })
    }
    fn fmt_params(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(gain={})", num(self.gain))
    }
}

/// `delta_orthogonal(scale=1)` (JAX's `delta_orthogonal`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct DeltaOrthogonal {
    /// Scale.
    pub scale: f64,
}

impl Family for DeltaOrthogonal {
    const SPELLINGS: &'static [Spelling] = &[Spelling {
        name: "delta_orthogonal",
        params: &["scale"],
        about: "zeros but an orthogonal matrix at the kernel's centre tap (JAX)",
    }];
    const SHARDABLE: bool = false;
    fn parse(_: &str, args: &mut Args) -> Result<Self> {
        Ok(DeltaOrthogonal {
            scale: finite("delta_orthogonal", "scale", args.num("scale", 1.0)?)?,
        })
    }
    fn validate(&self) -> Result<()> {
        finite("delta_orthogonal", "scale", self.scale).map(|_| ())
    }
    fn plan(&self, t: &Target) -> Result<Plan> {
        let shape = t.shape;
        if !(3..=5).contains(&shape.len()) {
            return Err(t.err("delta_orthogonal needs a 3-, 4- or 5-D convolution kernel"));
        }
        let f = t.fans()?;
        let (cin, cout) = io_channels(shape, t.layout);
        if cout < cin {
            return Err(t.err(format!(
                "delta_orthogonal needs out channels >= in channels (got out {cout} < in {cin}; fans {}/{})",
                f.fan_out, f.fan_in
            )));
        }
        Ok(Plan::DeltaOrthogonal { scale: self.scale })
    }
    fn fmt_params(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(scale={})", num(self.scale))
    }
}

/// (in, out) channels of a convolution kernel.
pub(crate) fn io_channels(shape: &[usize], layout: Layout) -> (usize, usize) {
    match layout {
        Layout::Torch => (shape[1], shape[0]),
        Layout::Keras => (shape[shape.len() - 2], shape[shape.len() - 1]),
    }
}

/// JAX `delta_orthogonal(scale)`: zeros except the centre tap (index
/// `(k - 1) // 2` in every spatial dimension), which holds an orthogonal
/// `in x out` matrix (keras layout; `out x in` under torch) times `scale`.
pub(crate) fn delta_orthogonal<T: Element>(
    shape: &[usize],
    layout: Layout,
    stream: &Stream,
    scale: f64,
    out: &mut [T],
) {
    let (cin, cout) = io_channels(shape, layout);
    let mut m = vec![T::default(); cin * cout];
    out.fill(T::from_f64(0.0));
    match layout {
        Layout::Keras => {
            // [*k, in, out]: centre tap is a contiguous in x out block
            orthogonal_matrix(stream, cin, cout, scale, &mut m);
            let k = &shape[..shape.len() - 2];
            let mut tap = 0usize;
            for &d in k {
                tap = tap * d + (d - 1) / 2;
            }
            out[tap * cin * cout..(tap + 1) * cin * cout].copy_from_slice(&m);
        }
        Layout::Torch => {
            // [out, in, *k]: element (o, i, centre)
            orthogonal_matrix(stream, cout, cin, scale, &mut m);
            let k = &shape[2..];
            let taps: usize = k.iter().product();
            let mut tap = 0usize;
            for &d in k {
                tap = tap * d + (d - 1) / 2;
            }
            for o in 0..cout {
                for i in 0..cin {
                    out[(o * cin + i) * taps + tap] = m[o * cin + i];
                }
            }
        }
    }
}
