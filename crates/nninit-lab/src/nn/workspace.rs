//! A training step without overhead: every buffer a forward and backward
//! pass needs is allocated once per run (for the largest batch) and reused
//! by every step; bias, activation and its derivative are one pass over
//! each layer's output; element-wise work runs on the calling thread below a
//! size where spreading it pays (measured: `par_elems`).
//!
//! The arithmetic is exactly that of [`Mlp::forward`] and [`Mlp::backward`]
//! (the same products with the same shapes, the same f64 activation
//! functions rounded the same way, the bias gradient summed in the same row
//! order), so a run gives the same losses bit for bit, whichever is used;
//! `tests::workspace_step_equals_forward_backward` checks it.

use super::loss::softmax_cross_entropy_into;
use super::mlp::{Mlp, Scalar};
use crate::linalg::gemm;
use ndarray::{Array1, Array2};
use nninit::dtype::Element;
use nninit::Activation;

/// Below this many elements an element-wise pass stays on the calling
/// thread: spreading it pays once a pass costs some 100 us. Measured here
/// (`threshold::measure_parallel_threshold`, 2 cores; serial / 2 threads):
/// ReLU with its derivative 21 / 41 us at 64k elements, 96 / 83 us at 256k;
/// tanh 127 / 127 us at 16k, 508 / 342 us at 64k.
fn par_elems(act: Option<Activation>) -> usize {
    match act {
        None
        | Some(Activation::Relu)
        | Some(Activation::LeakyRelu { .. })
        | Some(Activation::Linear) => 1 << 18,
        // a transcendental function per element
        Some(_) => 1 << 15,
    }
}

/// phi of `z` in place, and phi' into `d` when given: the f64 functions
/// rounded to `F`, one loop per activation with its function known at
/// compile time (no dispatch inside the loop; ReLU's has no branch at all).
pub(crate) fn act_slice_generic<F: Scalar>(act: Activation, z: &mut [F], d: Option<&mut [F]>) {
    #[inline(always)]
    fn run<F: Scalar>(
        z: &mut [F],
        d: Option<&mut [F]>,
        f: impl Fn(f64) -> f64,
        f_df: impl Fn(f64) -> (f64, f64),
    ) {
        match d {
            Some(d) => {
                for (v, dv) in z.iter_mut().zip(d) {
                    let (a, b) = f_df(Element::to_f64(*v));
                    (*v, *dv) = (F::from_f64(a), F::from_f64(b));
                }
            }
            None => z
                .iter_mut()
                .for_each(|v| *v = F::from_f64(f(Element::to_f64(*v)))),
        }
    }
    macro_rules! with {
        ($a:expr) => {
            run(z, d, |x| ($a).f(x), |x| ($a).f_df(x))
        };
    }
    match act {
        Activation::Relu => with!(Activation::Relu),
        Activation::Tanh => with!(Activation::Tanh),
        Activation::Sigmoid => with!(Activation::Sigmoid),
        a => with!(a),
    }
}

/// `z` (`rows x n`, row-major) gets `b` added to every row; then, when `act`
/// is given, `z` becomes phi(z) and `d` phi'(z) (`Scalar::act_slice`: the f64
/// functions of the f32 pre-activation rounded back, as the reference pass).
pub(crate) fn bias_activation<F: Scalar>(
    z: &mut [F],
    b: &[F],
    act: Option<Activation>,
    d: Option<&mut [F]>,
) {
    let n = b.len();
    let rows = |z: &mut [F], d: Option<&mut [F]>| {
        for r in z.chunks_mut(n) {
            for (v, &bj) in r.iter_mut().zip(b) {
                *v += bj;
            }
        }
        if let Some(act) = act {
            F::act_slice(act, z, d);
        }
    };
    if z.len() < par_elems(act) {
        rows(z, d);
    } else {
        // whole rows per task (about 16k values each)
        use rayon::prelude::*;
        let per = n * (16_384 / n).max(1);
        match d {
            Some(d) => z
                .par_chunks_mut(per)
                .zip(d.par_chunks_mut(per))
                .for_each(|(z, d)| rows(z, Some(d))),
            None => z.par_chunks_mut(per).for_each(|z| rows(z, None)),
        }
    }
}

/// `a = phi(a)` element-wise.
pub(crate) fn activate<F: Scalar>(a: &mut [F], act: Activation) {
    if a.len() < par_elems(Some(act)) {
        F::act_slice(act, a, None);
    } else {
        use rayon::prelude::*;
        a.par_chunks_mut(16_384)
            .for_each(|c| F::act_slice(act, c, None));
    }
}

/// `z = phi'(z)` element-wise (the f64 derivative, rounded back; through
/// `Scalar::act_slice`, so tanh and the logistic take the fast exact path).
pub(crate) fn derivative<F: Scalar>(z: &mut [F], act: Activation) {
    let run = |z: &mut [F]| {
        let mut phi = z.to_vec();
        F::act_slice(act, &mut phi, Some(z));
    };
    if z.len() < par_elems(Some(act)) {
        run(z);
    } else {
        use rayon::prelude::*;
        z.par_chunks_mut(16_384).for_each(run);
    }
}

/// `g *= d` element-wise (the backward signal through phi').
pub(crate) fn times<F: Scalar>(g: &mut [F], d: &[F]) {
    if g.len() < par_elems(None) {
        g.iter_mut().zip(d).for_each(|(g, &d)| *g *= d);
    } else {
        use rayon::prelude::*;
        g.par_iter_mut()
            .zip(d.par_iter())
            .for_each(|(g, &d)| *g *= d);
    }
}

/// The sum of squares of `v` in f64 (exact squares of f32 values), added in
/// eight interleaved partial sums combined pairwise: a fixed order (the
/// same result on every run and thread count) that keeps the adder busy.
/// Non-finite exactly when some value is (an f32 squared cannot overflow f64).
pub fn sum_squares<F: Scalar>(v: &[F]) -> f64 {
    let mut acc = [0f64; 8];
    let mut chunks = v.chunks_exact(8);
    for c in &mut chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            let x = Element::to_f64(x);
            *a += x * x;
        }
    }
    for (a, &x) in acc.iter_mut().zip(chunks.remainder()) {
        let x = Element::to_f64(x);
        *a += x * x;
    }
    ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
}

/// Whether every value of `v` is finite (one pass, no early exit: it vectorizes).
pub fn all_finite<F: Scalar>(v: &[F]) -> bool {
    v.iter().fold(true, |ok, x| ok & x.is_finite())
}

/// The buffers of one network's training steps, for batches of up to
/// `capacity` rows.
#[derive(Debug, Clone)]
pub struct Workspace<F> {
    capacity: usize,
    sizes: Vec<usize>,
    /// the batch, `[rows, n0]`
    x: Vec<F>,
    /// per layer: its output (phi(z) for hidden layers, z for the last)
    out: Vec<Vec<F>>,
    /// per hidden layer: phi'(z)
    deriv: Vec<Vec<F>>,
    /// per layer: dL/dz
    g: Vec<Vec<F>>,
    /// per layer: dL/dW `[out, in]` and dL/db `[out]`
    pub dw: Vec<Array2<F>>,
    pub db: Vec<Array1<F>>,
    /// softmax scratch (one row of exponentials)
    scratch: Vec<f64>,
}

impl<F: Scalar> Workspace<F> {
    /// Buffers for `net` and batches of at most `capacity` rows.
    pub fn new(net: &Mlp<F>, capacity: usize) -> Self {
        let sizes = net.sizes();
        let layers = sizes.len() - 1;
        let buf = |n: usize| vec![F::zero(); capacity * n];
        Workspace {
            capacity,
            x: buf(sizes[0]),
            out: (1..=layers).map(|l| buf(sizes[l])).collect(),
            deriv: (1..layers).map(|l| buf(sizes[l])).collect(),
            g: (1..=layers).map(|l| buf(sizes[l])).collect(),
            dw: net
                .layers
                .iter()
                .map(|l| Array2::zeros(l.w.raw_dim()))
                .collect(),
            db: net
                .layers
                .iter()
                .map(|l| Array1::zeros(l.b.len()))
                .collect(),
            scratch: Vec::new(),
            sizes,
        }
    }

    /// Copy rows `idx` of `data` (`[samples, n0]`) in as the batch.
    pub fn load_rows(&mut self, data: &Array2<F>, idx: &[usize]) {
        assert!(
            idx.len() <= self.capacity,
            "batch larger than the workspace"
        );
        let n0 = self.sizes[0];
        for (dst, &i) in self.x.chunks_mut(n0).zip(idx) {
            dst.copy_from_slice(data.row(i).as_slice().expect("standard layout"));
        }
    }

    /// One forward and backward pass of `net` on the first `rows` loaded
    /// rows with softmax cross-entropy against `labels`: returns the mean
    /// loss; the gradients are left in [`Workspace::dw`] and [`Workspace::db`].
    pub fn step(&mut self, net: &Mlp<F>, rows: usize, labels: &[usize]) -> f64 {
        let layers = net.layers.len();
        let act = net.activation;
        // forward
        for l in 0..layers {
            let (o, i) = net.layers[l].w.dim();
            let (before, rest) = self.out.split_at_mut(l);
            let input: &[F] = if l == 0 {
                &self.x[..rows * i]
            } else {
                &before[l - 1][..rows * i]
            };
            let z = &mut rest[0][..rows * o];
            gemm(
                z,
                input,
                (rows, i),
                false,
                net.layers[l].w.as_slice().expect("standard layout"),
                (o, i),
                true,
                F::one(),
                false,
            );
            let b = net.layers[l].b.as_slice().expect("contiguous");
            if l + 1 < layers {
                bias_activation(z, b, Some(act), Some(&mut self.deriv[l][..rows * o]));
            } else {
                bias_activation(z, b, None, None);
            }
        }
        let classes = self.sizes[layers];
        let loss = softmax_cross_entropy_into(
            &self.out[layers - 1][..rows * classes],
            classes,
            labels,
            &mut self.g[layers - 1][..rows * classes],
            &mut self.scratch,
        );
        // backward
        for l in (0..layers).rev() {
            let (o, i) = net.layers[l].w.dim();
            let input: &[F] = if l == 0 {
                &self.x[..rows * i]
            } else {
                &self.out[l - 1][..rows * i]
            };
            let (below, this) = self.g.split_at_mut(l);
            let g = &this[0][..rows * o];
            gemm(
                self.dw[l].as_slice_mut().expect("standard layout"),
                g,
                (rows, o),
                true,
                input,
                (rows, i),
                false,
                F::one(),
                false,
            );
            // dL/db: the rows summed in order, as ndarray's sum_axis(Axis(0))
            let db = self.db[l].as_slice_mut().expect("contiguous");
            db.fill(F::zero());
            for r in g.chunks(o) {
                for (s, &v) in db.iter_mut().zip(r) {
                    *s += v;
                }
            }
            if l == 0 {
                break;
            }
            let next = &mut below[l - 1][..rows * i];
            gemm(
                next,
                g,
                (rows, o),
                false,
                net.layers[l].w.as_slice().expect("standard layout"),
                (o, i),
                false,
                F::one(),
                false,
            );
            times(next, &self.deriv[l - 1][..rows * i]);
        }
        loss
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::loss::softmax_cross_entropy;
    use ndarray::Axis;
    use nninit::Init;

    /// The workspace step gives the reference pass's loss and gradients
    /// bit for bit, for every activation family, a short last batch, and
    /// layers wide enough for the parallel element-wise path.
    #[test]
    fn workspace_step_equals_forward_backward() {
        for (act, sizes) in [
            ("tanh", vec![7, 16, 16, 5]),
            ("sigmoid", vec![7, 9, 3]),
            ("relu", vec![7, 16, 16, 16, 5]),
            ("leaky_relu(0.1)", vec![7, 16, 5]),
            ("gelu", vec![7, 8, 5]),
            ("silu", vec![7, 8, 5]),
            ("elu", vec![7, 8, 5]),
            ("tanh", vec![7, 1024, 5]),
        ] {
            let act = Activation::parse(act).unwrap();
            let init = Init::parse("kaiming_normal").unwrap();
            let bias = Init::parse("normal(std=0.1)").unwrap();
            let net: Mlp<f32> = Mlp::new(&sizes, act, &init, &bias, 3).unwrap();
            let mut data = vec![0f32; 200 * sizes[0]];
            Init::parse("normal")
                .unwrap()
                .fill(
                    &[200, sizes[0]],
                    nninit::Layout::Torch,
                    &nninit::Stream::new(5, "x"),
                    &mut data,
                )
                .unwrap();
            let data = Array2::from_shape_vec((200, sizes[0]), data).unwrap();
            let classes = *sizes.last().unwrap();
            let mut ws = Workspace::new(&net, 128);
            for idx in [
                (0..128).collect::<Vec<usize>>(),
                (0..77).map(|i| (i * 7) % 200).collect(),
            ] {
                let labels: Vec<usize> = idx.iter().map(|i| i % classes).collect();
                ws.load_rows(&data, &idx);
                let loss = ws.step(&net, idx.len(), &labels);
                let x = data.select(Axis(0), &idx);
                let fwd = net.forward(x.view());
                let (want, d) = softmax_cross_entropy(fwd.output(), &labels);
                let grads = net.backward(&fwd, d);
                assert_eq!(loss.to_bits(), want.to_bits(), "{act:?} {sizes:?} loss");
                for l in 0..net.layers.len() {
                    assert!(
                        ws.dw[l]
                            .iter()
                            .zip(&grads.dw[l])
                            .all(|(a, b)| a.to_bits() == b.to_bits()),
                        "{act:?} {sizes:?} dW{l}"
                    );
                    assert!(
                        ws.db[l]
                            .iter()
                            .zip(&grads.db[l])
                            .all(|(a, b)| a.to_bits() == b.to_bits()),
                        "{act:?} {sizes:?} db{l}"
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod threshold {
    use super::*;

    /// Not a test: prints serial against parallel time of the fused
    /// element-wise pass, to place `par_elems` (run with --ignored --nocapture).
    #[test]
    #[ignore]
    fn measure_parallel_threshold() {
        use rayon::prelude::*;
        for act in [Activation::Relu, Activation::Tanh] {
            for n in [4096usize, 16384, 65536, 262144, 1 << 20] {
                let b = vec![0.1f32; 64];
                let mut z: Vec<f32> = (0..n).map(|i| (i % 97) as f32 * 0.03 - 1.4).collect();
                let mut d = vec![0f32; n];
                let reps = (1 << 24) / n;
                let t = std::time::Instant::now();
                for _ in 0..reps {
                    bias_then_serial(&mut z, &b, act, &mut d);
                }
                let serial = t.elapsed().as_secs_f64() / reps as f64;
                let t = std::time::Instant::now();
                for _ in 0..reps {
                    z.par_chunks_mut(16_384)
                        .zip(d.par_chunks_mut(16_384))
                        .for_each(|(z, d)| bias_then_serial(z, &b, act, d));
                }
                let par = t.elapsed().as_secs_f64() / reps as f64;
                println!(
                    "{act:?} n={n}: serial {:.1} us, parallel {:.1} us",
                    serial * 1e6,
                    par * 1e6
                );
            }
        }
    }

    fn bias_then_serial(z: &mut [f32], b: &[f32], act: Activation, d: &mut [f32]) {
        for r in z.chunks_mut(b.len()) {
            for (v, &bj) in r.iter_mut().zip(b) {
                *v += bj;
            }
        }
        f32::act_slice(act, z, Some(d));
    }
}
