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
    let logits = logits.as_standard_layout();
    let loss = softmax_cross_entropy_into(
        logits.as_slice().expect("standard layout"),
        c,
        labels,
        grad.as_slice_mut().expect("fresh array"),
        &mut Vec::new(),
    );
    (loss, grad)
}

/// [`softmax_cross_entropy`] on row-major slices (`logits` and `grad` hold
/// `labels.len()` rows of `classes`), writing the gradient into `grad`;
/// `scratch` is reused between calls (no allocation per step).
pub fn softmax_cross_entropy_into<F: Scalar>(
    logits: &[F],
    classes: usize,
    labels: &[usize],
    grad: &mut [F],
    scratch: &mut Vec<f64>,
) -> f64 {
    let b = labels.len();
    let mut total = 0.0;
    for ((row, grow), &y) in logits
        .chunks_exact(classes)
        .zip(grad.chunks_exact_mut(classes))
        .zip(labels)
    {
        let m = row
            .iter()
            .fold(f64::NEG_INFINITY, |m, &x| m.max(Element::to_f64(x)));
        scratch.clear();
        scratch.extend(row.iter().map(|&x| (Element::to_f64(x) - m).exp()));
        let s: f64 = scratch.iter().sum();
        total += s.ln() - (Element::to_f64(row[y]) - m);
        for (j, (g, &e)) in grow.iter_mut().zip(scratch.iter()).enumerate() {
            let p = e / s - if j == y { 1.0 } else { 0.0 };
            *g = F::from_f64(p / b as f64);
        }
    }
    total / b as f64
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
