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
//!
//! Anything else is an error, as in PyTorch.

use crate::error::{unknown_name, Error, Result};

/// Nonlinearities `calculate_gain` knows.
pub const NONLINEARITIES: [&str; 13] = [
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
];

/// `torch.nn.init.calculate_gain(nonlinearity, param)`.
///
/// `param` is only read for `leaky_relu` (its negative slope; `None` means
/// 0.01); it must be finite. Unknown names are an error listing the allowed ones.
pub fn calculate_gain(nonlinearity: &str, param: Option<f64>) -> Result<f64> {
    let name = nonlinearity.to_ascii_lowercase();
    match name.as_str() {
        "linear" | "identity" | "conv1d" | "conv2d" | "conv3d" | "conv_transpose1d"
        | "conv_transpose2d" | "conv_transpose3d" | "sigmoid" => Ok(1.0),
        "tanh" => Ok(5.0 / 3.0),
        "relu" => Ok(2.0f64.sqrt()),
        "leaky_relu" => {
            let slope = param.unwrap_or(0.01);
            if !slope.is_finite() {
                return Err(Error::BadParam {
                    init: "calculate_gain".into(),
                    param: "param".into(),
                    value: slope.to_string(),
                    expected: "leaky_relu's negative slope must be a finite number".into(),
                });
            }
            Ok((2.0 / (1.0 + slope * slope)).sqrt())
        }
        "selu" => Ok(3.0 / 4.0),
        _ => Err(unknown_name("nonlinearity", nonlinearity, &NONLINEARITIES)),
    }
}
