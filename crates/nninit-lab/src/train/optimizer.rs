//! Optimizers: plain mini-batch SGD (the default: the seed document's claims
//! are about plain gradient descent), SGD with momentum, and Adam.
//!
//! - SGD: `w -= lr * g`
//! - momentum (PyTorch's form): `v = mu * v + g; w -= lr * v`, mu = 0.9
//! - Adam (Kingma & Ba 2015): `m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
//!   w -= lr * m_hat / (sqrt(v_hat) + eps)`, b1 = 0.9, b2 = 0.999, eps = 1e-8.
//!   Dividing by sqrt(v_hat) normalizes every parameter's step to about `lr`
//!   whatever its gradient's scale, which is why Adam can train through
//!   gradients that plain SGD would find vanishingly small.

use ndarray::{Array1, Array2};
use nninit::error::Result;
use nninit::Error;
use serde::Serialize;

/// Which optimizer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    Sgd,
    Momentum,
    Adam,
}

impl OptimizerKind {
    /// `sgd`, `momentum` or `adam`.
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "sgd" => OptimizerKind::Sgd,
            "momentum" | "sgd_momentum" => OptimizerKind::Momentum,
            "adam" => OptimizerKind::Adam,
            _ => {
                return Err(Error::unknown_name(
                    "optimizer",
                    s,
                    &["sgd", "momentum", "adam"],
                ))
            }
        })
    }

    /// Name.
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Momentum => "momentum",
            OptimizerKind::Adam => "adam",
        }
    }
}

/// Per-parameter optimizer state for one layer's weight and bias.
#[derive(Debug, Clone)]
pub(crate) struct LayerState {
    m_w: Array2<f32>,
    v_w: Array2<f32>,
    m_b: Array1<f32>,
    v_b: Array1<f32>,
}

impl LayerState {
    pub(crate) fn new(w: &Array2<f32>, b: &Array1<f32>) -> Self {
        LayerState {
            m_w: Array2::zeros(w.raw_dim()),
            v_w: Array2::zeros(w.raw_dim()),
            m_b: Array1::zeros(b.raw_dim()),
            v_b: Array1::zeros(b.raw_dim()),
        }
    }
}

/// The step rule with its hyper-parameters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Optimizer {
    pub kind: OptimizerKind,
    pub lr: f32,
}

const MOMENTUM: f32 = 0.9;
const B1: f32 = 0.9;
const B2: f32 = 0.999;
const EPS: f32 = 1e-8;

impl Optimizer {
    /// Update one layer in place; `t` is the 1-based step count (Adam's bias
    /// correction). Returns whether every updated weight and bias is finite
    /// (checked in the same pass as the update).
    pub(crate) fn step(
        &self,
        w: &mut Array2<f32>,
        b: &mut Array1<f32>,
        gw: &Array2<f32>,
        gb: &Array1<f32>,
        s: &mut LayerState,
        t: i32,
    ) -> bool {
        let w = w.as_slice_mut().expect("standard layout");
        let b = b.as_slice_mut().expect("contiguous");
        let gb = gb.as_slice().expect("contiguous");
        let gw = gw.as_slice().expect("standard layout");
        let lr = self.lr;
        // an exponent of all ones is inf or NaN
        let bad = |x: f32| u32::from(x.to_bits() & 0x7f80_0000 == 0x7f80_0000);
        let mut nonfinite = 0u32;
        match self.kind {
            OptimizerKind::Sgd => {
                for (p, g) in [(&mut *w, gw), (&mut *b, gb)] {
                    for (p, &g) in p.iter_mut().zip(g) {
                        *p -= lr * g;
                        nonfinite |= bad(*p);
                    }
                }
            }
            OptimizerKind::Momentum => {
                let (mw, mb) = (
                    s.m_w.as_slice_mut().expect("standard layout"),
                    s.m_b.as_slice_mut().expect("contiguous"),
                );
                for (p, g, v) in [(&mut *w, gw, mw), (&mut *b, gb, mb)] {
                    for ((p, &g), v) in p.iter_mut().zip(g).zip(v.iter_mut()) {
                        *v = MOMENTUM * *v + g;
                        *p -= lr * *v;
                        nonfinite |= bad(*p);
                    }
                }
            }
            OptimizerKind::Adam => {
                let c1 = 1.0 - B1.powi(t);
                let c2 = 1.0 - B2.powi(t);
                let LayerState { m_w, v_w, m_b, v_b } = s;
                let m_w = m_w.as_slice_mut().expect("standard layout");
                let v_w = v_w.as_slice_mut().expect("standard layout");
                let m_b = m_b.as_slice_mut().expect("contiguous");
                let v_b = v_b.as_slice_mut().expect("contiguous");
                for (p, g, m, v) in [(&mut *w, gw, m_w, v_w), (&mut *b, gb, m_b, v_b)] {
                    for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut())
                    {
                        *m = B1 * *m + (1.0 - B1) * g;
                        *v = B2 * *v + (1.0 - B2) * g * g;
                        *p -= lr * (*m / c1) / ((*v / c2).sqrt() + EPS);
                        nonfinite |= bad(*p);
                    }
                }
            }
        }
        nonfinite == 0
    }
}
