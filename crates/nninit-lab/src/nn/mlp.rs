//! A dense multilayer perceptron with exact forward and backward passes.
//!
//! # Shapes
//! - weights `w` are `[out, in]` (PyTorch's `nn.Linear`), biases `[out]`;
//! - a batch `x` is `[batch, in]`; layer `l` computes `z = a W^T + b` and,
//!   for every layer but the last, `a = phi(z)`; the last layer's `z` are the
//!   network's outputs (logits);
//! - `backward` takes dL/d(output) `[batch, out]` and returns, per layer,
//!   dL/dz (the backward signal), dL/dW `[out, in]` and dL/db `[out]`.
//!
//! Matrix products go through faer (`crate::linalg::gemm`); ndarray holds the arrays.

use super::workspace::{activate, bias_activation, derivative, times};
use crate::linalg::{gemm, Real};
use ndarray::{Array1, Array2, ArrayView2, LinalgScalar};
use nninit::dtype::Element;
use nninit::error::Result;
use nninit::rng::Stream;
use nninit::Activation;
use nninit::Init;
use nninit::Layout;
use num_traits::Float;

/// Scalars the engine runs in (f32 for probing and training, f64 for gradient checks).
pub trait Scalar: Float + LinalgScalar + Element + Real + Send + Sync {
    /// phi of `z` in place, and phi' into `d` when given: the f64 functions
    /// of [`Activation`] rounded to `Self`.
    #[inline]
    fn act_slice(act: Activation, z: &mut [Self], d: Option<&mut [Self]>) {
        super::workspace::act_slice_generic(act, z, d)
    }
}

/// f32 takes tanh and the logistic from [`Activation::apply_f32`]: the same
/// bits, vectorized.
impl Scalar for f32 {
    #[inline]
    fn act_slice(act: Activation, z: &mut [f32], d: Option<&mut [f32]>) {
        match act {
            Activation::Tanh | Activation::Sigmoid => act.apply_f32(z, d),
            _ => super::workspace::act_slice_generic(act, z, d),
        }
    }
}
impl Scalar for f64 {}

/// One dense layer.
#[derive(Debug, Clone)]
pub struct Dense<F> {
    /// `[out, in]`
    pub w: Array2<F>,
    /// `[out]`
    pub b: Array1<F>,
}

/// A multilayer perceptron: `activation` after every layer but the last.
#[derive(Debug, Clone)]
pub struct Mlp<F> {
    pub layers: Vec<Dense<F>>,
    pub activation: Activation,
}

/// What the forward pass keeps for the backward pass.
#[derive(Debug, Clone)]
pub struct Forward<F> {
    /// Input of each layer, `[batch, in_l]` (the batch itself for layer 0).
    pub inputs: Vec<Array2<F>>,
    /// Pre-activations of each layer, `[batch, out_l]`; the last is the output.
    pub pre: Vec<Array2<F>>,
}

impl<F: Scalar> Forward<F> {
    /// The network's output (the last layer's pre-activations).
    pub fn output(&self) -> &Array2<F> {
        self.pre.last().expect("at least one layer")
    }
}

/// Gradients of every layer.
#[derive(Debug, Clone)]
pub struct Grads<F> {
    /// dL/dz per layer, `[batch, out_l]`: the backward signal.
    pub dz: Vec<Array2<F>>,
    /// dL/dW per layer, `[out, in]`.
    pub dw: Vec<Array2<F>>,
    /// dL/db per layer, `[out]`.
    pub db: Vec<Array1<F>>,
}

/// `op(a) * op(b)` for standard-layout arrays.
fn matmul<F: Scalar>(a: &Array2<F>, ta: bool, b: &Array2<F>, tb: bool) -> Array2<F> {
    let m = if ta { a.ncols() } else { a.nrows() };
    let n = if tb { b.nrows() } else { b.ncols() };
    let mut c = Array2::<F>::zeros((m, n));
    matmul_into(&mut c, a, ta, b, tb);
    c
}

/// `c = op(a) * op(b)`, `c` already of the right shape.
fn matmul_into<F: Scalar>(c: &mut Array2<F>, a: &Array2<F>, ta: bool, b: &Array2<F>, tb: bool) {
    let a_s = a.as_standard_layout();
    let b_s = b.as_standard_layout();
    gemm(
        c.as_slice_mut().expect("fresh array is contiguous"),
        a_s.as_slice().expect("standard layout"),
        a.dim(),
        ta,
        b_s.as_slice().expect("standard layout"),
        b.dim(),
        tb,
        F::one(),
        false,
    );
}

/// `a W^T + b` for one layer, then phi in place when `act` is given.
fn affine<F: Scalar>(layer: &Dense<F>, a: &Array2<F>, act: Option<Activation>) -> Array2<F> {
    let mut z = matmul(a, false, &layer.w, true);
    bias_activation(
        z.as_slice_mut().expect("fresh array"),
        layer.b.as_slice().expect("contiguous"),
        act,
        None,
    );
    z
}

/// The sum of `g`'s rows, added in row order (the order the training
/// step's workspace uses too).
pub(crate) fn sum_rows<F: Scalar>(g: &Array2<F>) -> Array1<F> {
    let mut s = Array1::<F>::zeros(g.ncols());
    for r in g.rows() {
        s.zip_mut_with(&r, |s, &v| *s += v);
    }
    s
}

impl<F: Scalar> Mlp<F> {
    /// Layer sizes `[n0, n1, ..., nL]`; weights `w{l}` with `init`, biases
    /// `b{l}` with `bias` (l from 1, as the seed document names them), each
    /// from its own stream under `seed`, so the values equal those of
    /// `nninit init --layers` with the same seed.
    pub fn new(
        sizes: &[usize],
        activation: Activation,
        init: &Init,
        bias: &Init,
        seed: u64,
    ) -> Result<Self> {
        let mut layers = Vec::with_capacity(sizes.len() - 1);
        for l in 1..sizes.len() {
            let (o, i) = (sizes[l], sizes[l - 1]);
            let mut w = vec![F::zero(); o * i];
            init.fill(
                &[o, i],
                Layout::Torch,
                &Stream::new(seed, &format!("w{l}")),
                &mut w,
            )?;
            let mut b = vec![F::zero(); o];
            bias.fill(
                &[o],
                Layout::Torch,
                &Stream::new(seed, &format!("b{l}")),
                &mut b,
            )?;
            layers.push(Dense {
                w: Array2::from_shape_vec((o, i), w).expect("o*i elements"),
                b: Array1::from_vec(b),
            });
        }
        Ok(Mlp { layers, activation })
    }

    /// [`Mlp::new`] with the weights drawn by `rng`: nninit's keyed streams,
    /// or NumPy's / PyTorch's global generator seeded with `seed` and drawn
    /// in the order w1, b1, w2, b2, ... (the values of `nninit init --layers
    /// ... --rng numpy|torch`, rounded to `F`).
    pub fn with_rng(
        sizes: &[usize],
        activation: Activation,
        init: &Init,
        bias: &Init,
        seed: u64,
        rng: nninit::rng::RngKind,
    ) -> Result<Self> {
        let Some(mut g) = rng.sequential(seed)? else {
            return Self::new(sizes, activation, init, bias, seed);
        };
        let mut layers = Vec::with_capacity(sizes.len() - 1);
        for l in 1..sizes.len() {
            let (o, i) = (sizes[l], sizes[l - 1]);
            let mut w = vec![F::zero(); o * i];
            init.fill_sequential(&[o, i], Layout::Torch, &mut g, &mut w)?;
            let mut b = vec![F::zero(); o];
            bias.fill_sequential(&[o], Layout::Torch, &mut g, &mut b)?;
            layers.push(Dense {
                w: Array2::from_shape_vec((o, i), w).expect("o*i elements"),
                b: Array1::from_vec(b),
            });
        }
        Ok(Mlp { layers, activation })
    }

    /// Layer sizes.
    pub fn sizes(&self) -> Vec<usize> {
        let mut s = vec![self.layers[0].w.ncols()];
        s.extend(self.layers.iter().map(|l| l.w.nrows()));
        s
    }

    /// Forward pass on a batch `[batch, in]`.
    pub fn forward(&self, x: ArrayView2<F>) -> Forward<F> {
        let n = self.layers.len();
        let mut inputs = Vec::with_capacity(n);
        let mut pre = Vec::with_capacity(n);
        let mut a = x.to_owned();
        for (l, layer) in self.layers.iter().enumerate() {
            let z = affine(layer, &a, None);
            inputs.push(a);
            a = if l + 1 < n {
                let mut next = z.clone();
                activate(next.as_slice_mut().expect("fresh array"), self.activation);
                next
            } else {
                Array2::zeros((0, 0))
            };
            pre.push(z);
        }
        Forward { inputs, pre }
    }

    /// Output of the network only.
    /// (The forward pass's arithmetic, keeping nothing but the running
    /// activations: each layer's output becomes the next layer's input in place.)
    pub fn predict(&self, x: ArrayView2<F>) -> Array2<F> {
        let n = self.layers.len();
        let mut a = x.to_owned();
        for (l, layer) in self.layers.iter().enumerate() {
            a = affine(layer, &a, (l + 1 < n).then_some(self.activation));
        }
        a
    }

    /// Backward pass from dL/d(output).
    pub fn backward(&self, fwd: &Forward<F>, dout: Array2<F>) -> Grads<F> {
        let n = self.layers.len();
        let mut dz = vec![Array2::zeros((0, 0)); n];
        let mut dw = vec![Array2::zeros((0, 0)); n];
        let mut db = vec![Array1::zeros(0); n];
        self.backward_each(fwd, dout, |l, g, w, b| {
            dz[l] = g.clone();
            dw[l] = w.clone();
            db[l] = b.clone();
        });
        Grads { dz, dw, db }
    }

    /// The backward pass, visiting each layer from the last to the first with
    /// its (dL/dz, dL/dW, dL/db) as soon as they are known, without keeping
    /// them: one dL/dW buffer is reused (the probe of a deep net would
    /// otherwise spend more time faulting in fresh pages than multiplying).
    pub fn backward_each(
        &self,
        fwd: &Forward<F>,
        dout: Array2<F>,
        mut visit: impl FnMut(usize, &Array2<F>, &Array2<F>, &Array1<F>),
    ) {
        let n = self.layers.len();
        let mut g = dout;
        let mut dw: Array2<F> = Array2::zeros((0, 0));
        for l in (0..n).rev() {
            let (o, i) = self.layers[l].w.dim();
            if dw.dim() != (o, i) {
                dw = Array2::zeros((o, i));
            }
            matmul_into(&mut dw, &g, true, &fwd.inputs[l], false);
            let db = sum_rows(&g);
            visit(l, &g, &dw, &db);
            if l == 0 {
                break;
            }
            // dL/da_{l-1} = g W_l; through phi'(z_{l-1})
            let mut next = matmul(&g, false, &self.layers[l].w, false);
            let mut d = fwd.pre[l - 1].clone();
            derivative(d.as_slice_mut().expect("fresh array"), self.activation);
            times(
                next.as_slice_mut().expect("fresh array"),
                d.as_slice().expect("fresh array"),
            );
            g = next;
        }
    }
}
