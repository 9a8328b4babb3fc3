//! Kaiming/He initialization (He, Zhang, Ren, Sun 2015, "Delving deep into
//! rectifiers"), PyTorch flavour, and PyTorch's module default built on it.
//!
//! For ReLU, half the units are zero, so keeping the forward variance needs
//! Var(W) = 2 / fan_in: the classic `sqrt(2 / size[l-1])` factor of `initialize_parameters` recipes.
//! Leaky ReLU with slope `a` needs 2 / ((1 + a^2) fan_in).

use super::expr::Args;
use super::family::{bad, finite, num, Draw, Family, Spelling, Target};
use super::fan::{FanMode, Fans, FAN_MODES};
use super::gain::Nonlinearity;
use super::{Init, Plan};
use crate::dist::Dist;
use crate::error::{unknown_name, Result};
use std::fmt;

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

impl Init {
    /// `kaiming_uniform(a=0, mode=fan_in, nonlinearity=leaky_relu)`, PyTorch's
    /// signature: `a` is leaky ReLU's negative slope (it replaces the slope of
    /// a `Nonlinearity::LeakyRelu` given here); `mode` is `fan_in` or
    /// `fan_out`. See [`kaiming_uniform`].
    pub fn kaiming_uniform(a: f64, mode: FanMode, nonlinearity: Nonlinearity) -> Result<Init> {
        Kaiming::new(a, mode, nonlinearity, Draw::Uniform).map(Init::Kaiming)
    }

    /// `kaiming_normal(a=0, mode=fan_in, nonlinearity=leaky_relu)`: as
    /// [`Init::kaiming_uniform`]. See [`kaiming_normal`].
    pub fn kaiming_normal(a: f64, mode: FanMode, nonlinearity: Nonlinearity) -> Result<Init> {
        Kaiming::new(a, mode, nonlinearity, Draw::Normal).map(Init::Kaiming)
    }

    /// `torch_default`: `nn.Linear`/`nn.Conv*d`'s weight rule. See [`torch_default`].
    pub fn torch_default() -> Init {
        Init::TorchDefault(TorchDefault {})
    }

    /// `torch_default_bias(fan_in)`: their bias rule, with the weight's
    /// fan_in. See [`torch_default_bias`].
    pub fn torch_default_bias(fan_in: u64) -> Result<Init> {
        TorchDefaultBias::new(fan_in).map(Init::TorchDefaultBias)
    }
}

/// He uniform and He normal with PyTorch's signature (`a`, `mode`,
/// `nonlinearity`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Kaiming {
    /// Leaky ReLU's negative slope (PyTorch's `a`).
    pub a: f64,
    /// `fan_in` or `fan_out`.
    pub mode: FanMode,
    /// The nonlinearity whose gain is used (its slope is `a`).
    pub nonlinearity: Nonlinearity,
    /// Uniform or normal.
    pub draw: Draw,
}

fn kaiming_name(draw: Draw) -> &'static str {
    match draw {
        Draw::Uniform => "kaiming_uniform",
        Draw::Normal => "kaiming_normal",
    }
}

impl Kaiming {
    fn new(a: f64, mode: FanMode, nl: Nonlinearity, draw: Draw) -> Result<Kaiming> {
        let a = finite(kaiming_name(draw), "a", a)?;
        if !matches!(mode, FanMode::FanIn | FanMode::FanOut) {
            return Err(unknown_name("mode", mode.name(), &FAN_MODES[..2]));
        }
        // as PyTorch: `a` is the slope calculate_gain reads for leaky_relu
        let nonlinearity = match nl {
            Nonlinearity::LeakyRelu { .. } => Nonlinearity::leaky_relu(a)?,
            other => other,
        };
        Ok(Kaiming {
            a,
            mode,
            nonlinearity,
            draw,
        })
    }
}

impl Family for Kaiming {
    const SPELLINGS: &'static [Spelling] = &[
        Spelling {
            name: "kaiming_uniform",
            params: &["a", "mode", "nonlinearity"],
            about:
                "He: U(-b, b), b = gain sqrt(3 / fan_mode), gain from nonlinearity and a (torch)",
        },
        Spelling {
            name: "kaiming_normal",
            params: &["a", "mode", "nonlinearity"],
            about: "He: N(0, gain^2 / fan_mode), gain from nonlinearity and a (torch)",
        },
    ];
    fn parse(name: &str, args: &mut Args) -> Result<Self> {
        let draw = if name == "kaiming_normal" {
            Draw::Normal
        } else {
            Draw::Uniform
        };
        let a = args.num("a", 0.0)?;
        let mode_s = args.word("mode", "fan_in")?;
        // PyTorch's kaiming takes fan_in or fan_out only
        let mode = match FanMode::parse(&mode_s) {
            Ok(m @ (FanMode::FanIn | FanMode::FanOut)) => m,
            _ => return Err(unknown_name("mode", &mode_s, &FAN_MODES[..2])),
        };
        let nl = Nonlinearity::parse(&args.word("nonlinearity", "leaky_relu")?, Some(a))?;
        Kaiming::new(a, mode, nl, draw)
    }
    fn name(&self) -> &'static str {
        kaiming_name(self.draw)
    }
    fn validate(&self) -> Result<()> {
        Kaiming::new(self.a, self.mode, self.nonlinearity, self.draw).map(|_| ())
    }
    fn plan(&self, t: &Target) -> Result<Plan> {
        let f = t.fans()?;
        Ok(Plan::Elementwise(match self.draw {
            Draw::Uniform => kaiming_uniform(f, self.mode, self.nonlinearity),
            Draw::Normal => kaiming_normal(f, self.mode, self.nonlinearity),
        }))
    }
    fn fmt_params(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "(a={}, mode={}, nonlinearity={})",
            num(self.a),
            self.mode.name(),
            self.nonlinearity.name()
        )
    }
}

/// `torch_default`: what `nn.Linear` and `nn.Conv*d` draw for their weight.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct TorchDefault {}

impl Family for TorchDefault {
    const SPELLINGS: &'static [Spelling] = &[Spelling {
        name: "torch_default",
        params: &[],
        about: "what nn.Linear / nn.Conv*d draw for their weight: kaiming_uniform(a=sqrt(5))",
    }];
    fn parse(_: &str, _: &mut Args) -> Result<Self> {
        Ok(TorchDefault {})
    }
    fn validate(&self) -> Result<()> {
        Ok(())
    }
    fn plan(&self, t: &Target) -> Result<Plan> {
        let f = t.fans().map_err(|_| {
            t.err("torch_default is the weight rule and needs rank >= 2; for a bias use torch_default_bias(fan_in=N) with the weight's fan_in")
        })?;
        Ok(Plan::Elementwise(torch_default(f)))
    }
    fn fmt_params(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}

/// `torch_default_bias(fan_in)`: what `nn.Linear` and `nn.Conv*d` draw for
/// their bias, given the weight's fan_in.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct TorchDefaultBias {
    /// The weight's fan_in.
    pub fan_in: u64,
}

impl TorchDefaultBias {
    fn new(fan_in: u64) -> Result<TorchDefaultBias> {
        if fan_in > u32::MAX as u64 {
            return Err(bad(
                "torch_default_bias",
                "fan_in",
                fan_in,
                "a whole number >= 0",
            ));
        }
        Ok(TorchDefaultBias { fan_in })
    }
}

impl Family for TorchDefaultBias {
    const SPELLINGS: &'static [Spelling] = &[Spelling {
        name: "torch_default_bias",
        params: &["fan_in"],
        about: "what nn.Linear / nn.Conv*d draw for their bias: U(+-1/sqrt(fan_in))",
    }];
    fn parse(_: &str, args: &mut Args) -> Result<Self> {
        args.required(
            "fan_in",
            "the weight's fan_in, e.g. torch_default_bias(fan_in=784)",
        )?;
        TorchDefaultBias::new(args.int("fan_in", 0, 0)?)
    }
    fn validate(&self) -> Result<()> {
        TorchDefaultBias::new(self.fan_in).map(|_| ())
    }
    fn plan(&self, _: &Target) -> Result<Plan> {
        Ok(Plan::Elementwise(torch_default_bias(self.fan_in)))
    }
    fn fmt_params(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(fan_in={})", self.fan_in)
    }
}
