//! Kaiming/He initialization (He, Zhang, Ren, Sun 2015, "Delving deep into
//! rectifiers"), PyTorch flavour, and PyTorch's module default built on it.
//!
//! For ReLU, half the units are zero, so keeping the forward variance needs
//! Var(W) = 2 / fan_in: the classic `sqrt(2 / size[l-1])` factor of `initialize_parameters` recipes.
//! Leaky ReLU with slope `a` needs 2 / ((1 + a^2) fan_in).

use super::fan::{FanMode, Fans};
use super::gain::Nonlinearity;
use crate::dist::Dist;

/// `nonlinearity` carries `a` as its slope when it is leaky_relu (see `Init::kaiming_normal`).
fn std(f: Fans, mode: FanMode, nonlinearity: Nonlinearity) -> f64 {
    nonlinearity.gain() / mode.of(f).sqrt()
}

/// `kaiming_uniform(a=0, mode=fan_in, nonlinearity=leaky_relu)`:
/// gain = calculate_gain(nonlinearity, a), std = gain / sqrt(fan_mode),
/// U(-b, b) with b = sqrt(3) * std. Matches `torch.nn.init.kaiming_uniform_`.
/// With the defaults the gain is sqrt(2) (leaky_relu with slope 0 is ReLU).
pub(crate) fn kaiming_uniform(f: Fans, mode: FanMode, nonlinearity: Nonlinearity) -> Dist {
    let b = 3.0f64.sqrt() * std(f, mode, nonlinearity);
    Dist::Uniform { lo: -b, hi: b }
}

/// `kaiming_normal(a=0, mode=fan_in, nonlinearity=leaky_relu)`: N(0, std^2),
/// std = gain / sqrt(fan_mode), untruncated. Matches
/// `torch.nn.init.kaiming_normal_`. (Keras/JAX `he_normal` is truncated and
/// corrected instead.) He for ReLU: `kaiming_normal(nonlinearity=relu)`.
pub(crate) fn kaiming_normal(f: Fans, mode: FanMode, nonlinearity: Nonlinearity) -> Dist {
    Dist::Normal {
        mean: 0.0,
        std: std(f, mode, nonlinearity),
    }
}

/// `torch_default`: what `nn.Linear` and `nn.Conv*d` do to their weight,
/// `kaiming_uniform_(w, a=sqrt(5))`, computed exactly as PyTorch does
/// (gain = sqrt(2 / (1 + sqrt(5)^2)), b = sqrt(3) * gain / sqrt(fan_in)); in
/// closed form U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
pub(crate) fn torch_default(f: Fans) -> Dist {
    let a = 5.0f64.sqrt();
    let gain = (2.0 / (1.0 + a * a)).sqrt();
    let b = 3.0f64.sqrt() * (gain / (f.fan_in as f64).sqrt());
    Dist::Uniform { lo: -b, hi: b }
}

/// `torch_default_bias(fan_in=N)`: the bias of `nn.Linear`/`nn.Conv*d`,
/// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with the *weight's* fan_in; 0 if fan_in is 0.
pub(crate) fn torch_default_bias(fan_in: u64) -> Dist {
    let b = if fan_in > 0 {
        1.0 / (fan_in as f64).sqrt()
    } else {
        0.0
    };
    Dist::Uniform { lo: -b, hi: b }
}
