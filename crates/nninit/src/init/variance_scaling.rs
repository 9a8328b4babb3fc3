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

use super::fan::{FanMode, Fans};
use crate::dist::{Dist, TruncNormal};
use crate::error::{unknown_name, Result};

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
