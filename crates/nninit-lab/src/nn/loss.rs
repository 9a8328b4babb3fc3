//! Losses: mean softmax cross-entropy over a batch (PyTorch's
//! `F.cross_entropy`, reduction mean) and mean squared error.

use super::mlp::Scalar;
use ndarray::Array2;
use nninit::dtype::Element;

/// Mean cross-entropy of `logits` `[batch, classes]` against class indices,
/// and its gradient `(softmax - onehot) / batch`. Computed stably (max
/// subtracted); non-finite logits give a non-finite loss, never a panic.
pub fn softmax_cross_entropy<F: Scalar>(logits: &Array2<F>, labels: &[usize]) -> (f64, Array2<F>) {
    let (b, c) = logits.dim();
    let mut grad = Array2::<F>::zeros((b, c));
    let mut total = 0.0;
    for (i, row) in logits.outer_iter().enumerate() {
        let m = row
            .iter()
            .fold(f64::NEG_INFINITY, |m, &x| m.max(Element::to_f64(x)));
        let exps: Vec<f64> = row
            .iter()
            .map(|&x| (Element::to_f64(x) - m).exp())
            .collect();
        let s: f64 = exps.iter().sum();
        let y = labels[i];
        total += s.ln() - (Element::to_f64(row[y]) - m);
        for j in 0..c {
            let p = exps[j] / s - if j == y { 1.0 } else { 0.0 };
            grad[[i, j]] = F::from_f64(p / b as f64);
        }
    }
    (total / b as f64, grad)
}

/// Mean squared error over all elements and its gradient `2 (y - t) / n`.
pub fn mse<F: Scalar>(y: &Array2<F>, target: &Array2<F>) -> (f64, Array2<F>) {
    let n = y.len() as f64;
    let diff = y - target;
    let loss = diff
        .iter()
        .map(|&d| Element::to_f64(d).powi(2))
        .sum::<f64>()
        / n;
    (
        loss,
        diff.mapv(|d| F::from_f64(2.0 * Element::to_f64(d) / n)),
    )
}
