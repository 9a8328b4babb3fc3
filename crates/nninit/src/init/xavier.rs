//! Xavier/Glorot initialization (Glorot & Bengio 2010, "Understanding the
//! difficulty of training deep feedforward neural networks"), PyTorch flavour.
//!
//! Keeps the variance of activations and of back-propagated gradients roughly
//! constant across layers for symmetric activations near linear at 0 (tanh,
//! sigmoid): Var(W) = 2 / (fan_in + fan_out), times gain^2.

use super::expr::Args;
use super::family::{finite, num, Draw, Family, Spelling, Target};
use super::fan::Fans;
use super::{Init, Plan};
use crate::dist::Dist;
use crate::error::Result;
use std::fmt;

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

impl Init {
    /// `xavier_uniform(gain=1)`. See [`xavier_uniform`].
    pub fn xavier_uniform(gain: f64) -> Result<Init> {
        Xavier::new(gain, Draw::Uniform).map(Init::Xavier)
    }

    /// `xavier_normal(gain=1)`. See [`xavier_normal`].
    pub fn xavier_normal(gain: f64) -> Result<Init> {
        Xavier::new(gain, Draw::Normal).map(Init::Xavier)
    }
}

/// `xavier_uniform(gain=1)` and `xavier_normal(gain=1)` (Glorot & Bengio
/// 2010; `torch.nn.init.xavier_*_`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Xavier {
    /// Gain.
    pub gain: f64,
    /// Uniform or normal.
    pub draw: Draw,
}

impl Xavier {
    fn new(gain: f64, draw: Draw) -> Result<Xavier> {
        let name = match draw {
            Draw::Uniform => "xavier_uniform",
            Draw::Normal => "xavier_normal",
        };
        Ok(Xavier {
            gain: finite(name, "gain", gain)?,
            draw,
        })
    }
}

impl Family for Xavier {
    const SPELLINGS: &'static [Spelling] = &[
        Spelling {
            name: "xavier_uniform",
            params: &["gain"],
            about: "Glorot: U(-b, b), b = gain sqrt(6 / (fan_in + fan_out)) (torch)",
        },
        Spelling {
            name: "xavier_normal",
            params: &["gain"],
            about: "Glorot: N(0, gain^2 2 / (fan_in + fan_out)) (torch)",
        },
    ];
    fn parse(name: &str, args: &mut Args) -> Result<Self> {
        let draw = if name == "xavier_normal" {
            Draw::Normal
        } else {
            Draw::Uniform
        };
        Xavier::new(args.num("gain", 1.0)?, draw)
    }
    fn name(&self) -> &'static str {
        match self.draw {
            Draw::Uniform => "xavier_uniform",
            Draw::Normal => "xavier_normal",
        }
    }
    fn validate(&self) -> Result<()> {
        Xavier::new(self.gain, self.draw).map(|_| ())
    }
    fn plan(&self, t: &Target) -> Result<Plan> {
        let f = t.fans()?;
        Ok(Plan::Elementwise(match self.draw {
            Draw::Uniform => xavier_uniform(f, self.gain),
            Draw::Normal => xavier_normal(f, self.gain),
        }))
    }
    fn fmt_params(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(gain={})", num(self.gain))
    }
}
