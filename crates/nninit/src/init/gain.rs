//! Gains: PyTorch's `torch.nn.init.calculate_gain`, reproduced exactly
//! (values, default slope and errors), plus the names of the nonlinearities
//! that have one.
//!
//! | nonlinearity | gain |
//! |---|---|
//! | linear, identity, conv1d/2d/3d, conv_transpose1d/2d/3d, sigmoid | 1 |
//! | tanh | 5/3 |
//! | relu | sqrt(2) |
//! | leaky_relu (param = negative slope, default 0.01) | sqrt(2 / (1 + slope^2)) |
//! | selu | 3/4 |
//! | gelu (nninit's extension) | 1 / sqrt(E[gelu(z)^2]) = 1.5335304411955362 |
//! | silu (nninit's extension) | 1 / sqrt(E[silu(z)^2]) = 1.676532470331092 |
//!
//! PyTorch has no gain for GELU or SiLU. nninit's is the one that keeps the
//! second moment of the pre-activations at 1 through the activation, z ~ N(0, 1)
//! (the mean-field fixed point q* = 1, Poole et al. 2016): for ReLU the same
//! rule gives sqrt(2), He's gain, exactly. Computed by 200-node Gauss-Hermite
//! quadrature of the exact (erf) GELU and of x sigmoid(x); the lab's probe
//! tests re-derive both with its own quadrature.
//!
//! Anything else is an error, as in PyTorch.

use crate::error::{unknown_name, Error, Result};

/// 1 / sqrt(E[gelu(z)^2]), z ~ N(0, 1) (see the module docs).
pub const GELU_GAIN: f64 = 1.5335304411955362;
/// 1 / sqrt(E[silu(z)^2]), z ~ N(0, 1) (see the module docs).
pub const SILU_GAIN: f64 = 1.676532470331092;

/// Nonlinearities `calculate_gain` knows.
pub const NONLINEARITIES: [&str; 15] = [
    "linear",
    "identity",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "selu",
    "gelu",
    "silu",
];

/// A nonlinearity `calculate_gain` knows, with its parameter (leaky ReLU's
/// negative slope). Build one with [`Nonlinearity::parse`] or
/// [`Nonlinearity::leaky_relu`]; the slope is always finite.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Nonlinearity {
    /// `linear`: gain 1.
    Linear,
    /// `identity`: gain 1.
    Identity,
    /// `conv1d`: gain 1.
    Conv1d,
    /// `conv2d`: gain 1.
    Conv2d,
    /// `conv3d`: gain 1.
    Conv3d,
    /// `conv_transpose1d`: gain 1.
    ConvTranspose1d,
    /// `conv_transpose2d`: gain 1.
    ConvTranspose2d,
    /// `conv_transpose3d`: gain 1.
    ConvTranspose3d,
    /// `sigmoid`: gain 1.
    Sigmoid,
    /// `tanh`: gain 5/3.
    Tanh,
    /// `relu`: gain sqrt(2).
    Relu,
    /// `leaky_relu`: gain sqrt(2 / (1 + negative_slope^2)).
    #[non_exhaustive]
    LeakyRelu {
        /// The negative slope (finite; PyTorch's default 0.01).
        negative_slope: f64,
    },
    /// `selu`: gain 3/4.
    Selu,
    /// `gelu` (nninit's extension): gain 1 / sqrt(E[gelu(z)^2]), see the module docs.
    Gelu,
    /// `silu` (nninit's extension): gain 1 / sqrt(E[silu(z)^2]), see the module docs.
    Silu,
}

impl Nonlinearity {
    /// `leaky_relu` with a finite negative slope.
    pub fn leaky_relu(negative_slope: f64) -> Result<Nonlinearity> {
        if !negative_slope.is_finite() {
            return Err(Error::BadParam {
                init: "calculate_gain".into(),
                param: "param".into(),
                value: negative_slope.to_string(),
                expected: "leaky_relu's negative slope must be a finite number".into(),
            });
        }
        Ok(Nonlinearity::LeakyRelu { negative_slope })
    }

    /// A name from [`NONLINEARITIES`] (any case) and PyTorch's `param`, which
    /// only `leaky_relu` reads (`None` means 0.01).
    pub fn parse(name: &str, param: Option<f64>) -> Result<Nonlinearity> {
        use Nonlinearity::*;
        Ok(match name.to_ascii_lowercase().as_str() {
            "linear" => Linear,
            "identity" => Identity,
            "conv1d" => Conv1d,
            "conv2d" => Conv2d,
            "conv3d" => Conv3d,
            "conv_transpose1d" => ConvTranspose1d,
            "conv_transpose2d" => ConvTranspose2d,
            "conv_transpose3d" => ConvTranspose3d,
            "sigmoid" => Sigmoid,
            "tanh" => Tanh,
            "relu" => Relu,
            "leaky_relu" => return Nonlinearity::leaky_relu(param.unwrap_or(0.01)),
            "selu" => Selu,
            "gelu" => Gelu,
            "silu" => Silu,
            _ => return Err(unknown_name("nonlinearity", name, &NONLINEARITIES)),
        })
    }

    /// The canonical name (one of [`NONLINEARITIES`]).
    pub fn name(&self) -> &'static str {
        use Nonlinearity::*;
        match self {
            Linear => "linear",
            Identity => "identity",
            Conv1d => "conv1d",
            Conv2d => "conv2d",
            Conv3d => "conv3d",
            ConvTranspose1d => "conv_transpose1d",
            ConvTranspose2d => "conv_transpose2d",
            ConvTranspose3d => "conv_transpose3d",
            Sigmoid => "sigmoid",
            Tanh => "tanh",
            Relu => "relu",
            LeakyRelu { .. } => "leaky_relu",
            Selu => "selu",
            Gelu => "gelu",
            Silu => "silu",
        }
    }

    /// The recommended gain (see the module table).
    pub fn gain(&self) -> f64 {
        use Nonlinearity::*;
        match *self {
            Linear | Identity | Conv1d | Conv2d | Conv3d | ConvTranspose1d | ConvTranspose2d
            | ConvTranspose3d | Sigmoid => 1.0,
            Tanh => 5.0 / 3.0,
            Relu => 2.0f64.sqrt(),
            LeakyRelu { negative_slope: s } => (2.0 / (1.0 + s * s)).sqrt(),
            Selu => 3.0 / 4.0,
            Gelu => GELU_GAIN,
            Silu => SILU_GAIN,
        }
    }
}

/// `torch.nn.init.calculate_gain(nonlinearity, param)`.
///
/// `param` is only read for `leaky_relu` (its negative slope; `None` means
/// 0.01); it must be finite. Unknown names are an error listing the allowed ones.
///
/// ```
/// assert_eq!(nninit::calculate_gain("relu", None).unwrap(), 2f64.sqrt());
/// assert!(nninit::calculate_gain("rleu", None).is_err());
/// ```
pub fn calculate_gain(nonlinearity: &str, param: Option<f64>) -> Result<f64> {
    Nonlinearity::parse(nonlinearity, param).map(|n| n.gain())
}
