//! Keras 3 / JAX `variance_scaling` and its presets (`glorot_*`, `he_*`,
//! `lecun_*`), with Keras/JAX semantics: the normal variants are *truncated at
//! two standard deviations and corrected* so the result has variance s.
//!
//! `s = scale / max(1, fan)` (Keras' guard), fan chosen by `mode`:
//! - `truncated_normal`: std = sqrt(s) / 0.87962566103423978, cut at +-2 std
//!   (redrawn, never clamped). 0.8796... is the std of N(0, 1) truncated to [-2, 2].
//! - `untruncated_normal`: std = sqrt(s). We also accept `normal` for it, as JAX
//!   does; Keras would silently read `normal` as truncated.
//! - `uniform`: U(-sqrt(3 s), sqrt(3 s)).
//!
//! | preset | scale | mode | distribution |
//! |---|---|---|---|
//! | `glorot_uniform` | 1 | fan_avg | uniform |
//! | `glorot_normal` | 1 | fan_avg | truncated_normal |
//! | `lecun_uniform` | 1 | fan_in | uniform |
//! | `lecun_normal` | 1 | fan_in | truncated_normal |
//! | `he_uniform` | 2 | fan_in | uniform |
//! | `he_normal` | 2 | fan_in | truncated_normal |
//!
//! Sources: `keras.initializers.VarianceScaling`, `jax.nn.initializers.variance_scaling`;
//! LeCun et al. 1998 "Efficient BackProp" (LeCun), Klambauer et al. 2017 (SELU
//! with `lecun_normal`).

use super::expr::Args;
use super::family::{bad, finite, num, Family, Spelling, Target};
use super::fan::{FanMode, Fans};
use super::{Init, Plan};
use crate::dist::{Dist, TruncNormal};
use crate::error::{unknown_name, Result};
use std::fmt;

/// Std of N(0, 1) truncated to [-2, 2].
#[allow(clippy::excessive_precision)] // the digits Keras and JAX use
pub const TRUNC_STD_CORRECTION: f64 = 0.879_625_661_034_239_78;

/// Which distribution `variance_scaling` draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VsDistribution {
    /// N(0, s) truncated at +-2 std and corrected (Keras' and JAX's default).
    TruncatedNormal,
    /// N(0, s).
    UntruncatedNormal,
    /// U(-sqrt(3 s), sqrt(3 s)).
    Uniform,
}

pub(crate) const VS_DISTRIBUTIONS: [&str; 4] = [
    "truncated_normal",
    "untruncated_normal",
    "normal",
    "uniform",
];

impl VsDistribution {
    /// Parse a distribution name (`normal` means untruncated, as in JAX).
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "truncated_normal" => VsDistribution::TruncatedNormal,
            "untruncated_normal" | "normal" => VsDistribution::UntruncatedNormal,
            "uniform" => VsDistribution::Uniform,
            _ => return Err(unknown_name("distribution", s, &VS_DISTRIBUTIONS)),
        })
    }

    /// Canonical name.
    pub fn name(self) -> &'static str {
        match self {
            VsDistribution::TruncatedNormal => "truncated_normal",
            VsDistribution::UntruncatedNormal => "untruncated_normal",
            VsDistribution::Uniform => "uniform",
        }
    }
}

/// Presets: (name, scale, mode, distribution).
pub(crate) const PRESETS: [(&str, f64, FanMode, VsDistribution); 6] = [
    (
        "glorot_uniform",
        1.0,
        FanMode::FanAvg,
        VsDistribution::Uniform,
    ),
    (
        "glorot_normal",
        1.0,
        FanMode::FanAvg,
        VsDistribution::TruncatedNormal,
    ),
    (
        "lecun_uniform",
        1.0,
        FanMode::FanIn,
        VsDistribution::Uniform,
    ),
    (
        "lecun_normal",
        1.0,
        FanMode::FanIn,
        VsDistribution::TruncatedNormal,
    ),
    ("he_uniform", 2.0, FanMode::FanIn, VsDistribution::Uniform),
    (
        "he_normal",
        2.0,
        FanMode::FanIn,
        VsDistribution::TruncatedNormal,
    ),
];

/// `variance_scaling(scale=1, mode=fan_in, distribution=truncated_normal)`.
pub(crate) fn variance_scaling(f: Fans, scale: f64, mode: FanMode, dist: VsDistribution) -> Dist {
    let s = scale / mode.of(f).max(1.0);
    match dist {
        VsDistribution::TruncatedNormal => {
            let std = s.sqrt() / TRUNC_STD_CORRECTION;
            Dist::TruncNormal(TruncNormal::new(0.0, std, -2.0 * std, 2.0 * std))
        }
        VsDistribution::UntruncatedNormal => Dist::Normal {
            mean: 0.0,
            std: s.sqrt(),
        },
        VsDistribution::Uniform => {
            let limit = (3.0 * s).sqrt();
            Dist::Uniform {
                lo: -limit,
                hi: limit,
            }
        }
    }
}

impl Init {
    /// `variance_scaling(scale=1, mode=fan_in, distribution=truncated_normal)`,
    /// `scale > 0`. See [`variance_scaling`].
    pub fn variance_scaling(
        scale: f64,
        mode: FanMode,
        distribution: VsDistribution,
    ) -> Result<Init> {
        VarianceScaling::new(scale, mode, distribution, None).map(Init::VarianceScaling)
    }

    /// A Keras/JAX preset by name: `glorot_uniform`, `glorot_normal`,
    /// `lecun_uniform`, `lecun_normal`, `he_uniform`, `he_normal`.
    pub fn preset(name: &str) -> Result<Init> {
        let lname = name.to_ascii_lowercase();
        let Some(&(n, scale, mode, distribution)) = PRESETS.iter().find(|p| p.0 == lname) else {
            let names: Vec<&str> = PRESETS.iter().map(|p| p.0).collect();
            return Err(unknown_name("preset", name, &names));
        };
        Ok(Init::VarianceScaling(VarianceScaling {
            scale,
            mode,
            distribution,
            preset: Some(n),
        }))
    }
}

/// Keras/JAX `variance_scaling` (and its presets, spelled by name).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct VarianceScaling {
    /// Scale (> 0).
    pub scale: f64,
    /// Which fan.
    pub mode: FanMode,
    /// Which distribution.
    pub distribution: VsDistribution,
    /// The Keras/JAX preset name (`he_normal`, ...) when built from one.
    pub preset: Option<&'static str>,
}

impl VarianceScaling {
    fn new(
        scale: f64,
        mode: FanMode,
        distribution: VsDistribution,
        preset: Option<&'static str>,
    ) -> Result<VarianceScaling> {
        let scale = finite("variance_scaling", "scale", scale)?;
        if scale <= 0.0 {
            return Err(bad("variance_scaling", "scale", scale, "a number > 0"));
        }
        Ok(VarianceScaling {
            scale,
            mode,
            distribution,
            preset,
        })
    }
}

impl Family for VarianceScaling {
    const SPELLINGS: &'static [Spelling] = &[
        Spelling {
            name: "variance_scaling",
            params: &["scale", "mode", "distribution"],
            about: "Keras/JAX VarianceScaling: variance scale / fan_mode, truncated/untruncated normal or uniform",
        },
        Spelling {
            name: "glorot_uniform",
            params: &[],
            about: "Keras/JAX glorot_uniform: variance_scaling(1, fan_avg, uniform)",
        },
        Spelling {
            name: "glorot_normal",
            params: &[],
            about: "Keras/JAX glorot_normal: variance_scaling(1, fan_avg, truncated_normal)",
        },
        Spelling {
            name: "lecun_uniform",
            params: &[],
            about: "Keras/JAX lecun_uniform: variance_scaling(1, fan_in, uniform)",
        },
        Spelling {
            name: "lecun_normal",
            params: &[],
            about: "Keras/JAX lecun_normal: variance_scaling(1, fan_in, truncated_normal) (SELU)",
        },
        Spelling {
            name: "he_uniform",
            params: &[],
            about: "Keras/JAX he_uniform: variance_scaling(2, fan_in, uniform)",
        },
        Spelling {
            name: "he_normal",
            params: &[],
            about: "Keras/JAX he_normal: variance_scaling(2, fan_in, truncated_normal)",
        },
    ];
    fn parse(name: &str, args: &mut Args) -> Result<Self> {
        if name != "variance_scaling" {
            return match Init::preset(name)? {
                Init::VarianceScaling(v) => Ok(v),
                _ => unreachable!("a preset is a variance scaling"),
            };
        }
        let scale = args.num("scale", 1.0)?;
        let mode = FanMode::parse(&args.word("mode", "fan_in")?)?;
        let distribution = VsDistribution::parse(&args.word("distribution", "truncated_normal")?)?;
        VarianceScaling::new(scale, mode, distribution, None)
    }
    fn name(&self) -> &'static str {
        self.preset.unwrap_or("variance_scaling")
    }
    fn validate(&self) -> Result<()> {
        VarianceScaling::new(self.scale, self.mode, self.distribution, self.preset).map(|_| ())
    }
    fn plan(&self, t: &Target) -> Result<Plan> {
        Ok(Plan::Elementwise(variance_scaling(
            t.fans()?,
            self.scale,
            self.mode,
            self.distribution,
        )))
    }
    fn fmt_params(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.preset.is_some() {
            return Ok(());
        }
        write!(
            f,
            "(scale={}, mode={}, distribution={})",
            num(self.scale),
            self.mode.name(),
            self.distribution.name()
        )
    }
}
