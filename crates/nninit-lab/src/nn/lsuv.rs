//! LSUV, layer-sequential unit-variance initialization (Mishkin & Matas 2016,
//! "All you need is a good init"): start orthogonal, then for each layer in
//! forward order, forward the batch and rescale the layer's weights by
//! 1/sqrt(Var(z)) until the variance of its output z is within `tol` of 1
//! (at most `max_iter` tries). Data-dependent, so it lives with the network,
//! not with the tensor initializers.

use super::mlp::{Mlp, Scalar};
use ndarray::ArrayView2;
use nninit::dtype::Element;
use serde::Serialize;

/// What LSUV did to one layer.
#[derive(Debug, Clone, Serialize)]
pub struct LsuvLayer {
    pub index: usize,
    pub iterations: usize,
    /// Var(z) after the last rescaling.
    pub variance: f64,
}

/// Rescale `net` (already orthogonally initialized) in place on batch `x`.
/// The last layer (logits) is rescaled too, as in the paper.
pub fn lsuv<F: Scalar>(
    net: &mut Mlp<F>,
    x: ArrayView2<F>,
    tol: f64,
    max_iter: usize,
) -> Vec<LsuvLayer> {
    let mut report = Vec::new();
    for l in 0..net.layers.len() {
        let mut iterations = 0;
        let var = loop {
            let fwd = net.forward(x);
            let z = &fwd.pre[l];
            let n = z.len() as f64;
            let mean = z.iter().map(|&v| Element::to_f64(v)).sum::<f64>() / n;
            let var = z
                .iter()
                .map(|&v| (Element::to_f64(v) - mean).powi(2))
                .sum::<f64>()
                / n;
            if !var.is_finite() || var == 0.0 || (var - 1.0).abs() < tol || iterations >= max_iter {
                break var;
            }
            let s = F::from_f64(1.0 / var.sqrt());
            net.layers[l].w.mapv_inplace(|w| w * s);
            iterations += 1;
        };
        report.push(LsuvLayer {
            index: l + 1,
            iterations,
            variance: var,
        });
    }
    report
}
