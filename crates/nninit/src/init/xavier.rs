//! Xavier/Glorot initialization (Glorot & Bengio 2010, "Understanding the
//! difficulty of training deep feedforward neural networks"), PyTorch flavour.
//!
//! Keeps the variance of activations and of back-propagated gradients roughly
//! constant across layers for symmetric activations near linear at 0 (tanh,
//! sigmoid): Var(W) = 2 / (fan_in + fan_out), times gain^2.

use super::fan::Fans;
use crate::dist::Dist;

/// `xavier_uniform(gain=1)`: U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)).
/// Matches `torch.nn.init.xavier_uniform_` operation for operation
/// (`std = gain * sqrt(2 / (fan_in + fan_out))`, `b = sqrt(3) * std`).
/// Keras' `GlorotUniform` is the same distribution (see `glorot_uniform`).
pub(crate) fn xavier_uniform(f: Fans, gain: f64) -> Dist {
    let std = gain * (2.0 / (f.fan_in + f.fan_out) as f64).sqrt();
    let b = 3.0f64.sqrt() * std;
    Dist::Uniform { lo: -b, hi: b }
}

/// `xavier_normal(gain=1)`: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)),
/// untruncated. Matches `torch.nn.init.xavier_normal_`. (Keras' `GlorotNormal`
/// is truncated and corrected instead: see `glorot_normal`.)
pub(crate) fn xavier_normal(f: Fans, gain: f64) -> Dist {
    let std = gain * (2.0 / (f.fan_in + f.fan_out) as f64).sqrt();
    Dist::Normal { mean: 0.0, std }
}
