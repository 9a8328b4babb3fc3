//! Fans from a shape and a layout: one source of truth for every fan-based
//! initializer.
//!
//! | layout | weight shape | fan_in | fan_out |
//! |---|---|---|---|
//! | `torch` (PyTorch, candle; default) | `[out, in, *kernel]` | `in * prod(kernel)` | `out * prod(kernel)` |
//! | `keras` (Keras, JAX, Flax) | `[*kernel, in, out]` | `in * prod(kernel)` | `out * prod(kernel)` |
//!
//! Rank < 2 is an error, as in PyTorch (`_calculate_fan_in_and_fan_out`) and
//! JAX; Keras would use (n, n) and candle silently 1, which hides bugs.
//! Known PyTorch quirk, reproduced on purpose under `torch`: ConvTranspose
//! weights are stored `[in, out/groups, *k]`, so their fans come out swapped;
//! and grouped convolutions' fan_out ignores `groups`.

use crate::error::{unknown_name, Error, Result};

/// Where `in` and `out` sit in a weight's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum Layout {
    /// `[out, in, *kernel]` (PyTorch).
    #[default]
    Torch,
    /// `[*kernel, in, out]` (Keras, JAX).
    Keras,
}

impl Layout {
    /// Parse `torch` or `keras` (also `pytorch`, `jax`, `flax`).
    pub fn parse(s: &str) -> Result<Layout> {
        match s.to_ascii_lowercase().as_str() {
            "torch" | "pytorch" | "candle" => Ok(Layout::Torch),
            "keras" | "jax" | "flax" => Ok(Layout::Keras),
            _ => Err(unknown_name("layout", s, &["torch", "keras"])),
        }
    }

    /// `torch` or `keras`.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Torch => "torch",
            Layout::Keras => "keras",
        }
    }
}

/// A weight's fans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Fans {
    /// Inputs per output unit: `in * prod(kernel)`.
    pub fan_in: u64,
    /// Outputs per input unit: `out * prod(kernel)`.
    pub fan_out: u64,
}

/// Which fan a variance-scaling rule divides by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FanMode {
    /// fan_in
    FanIn,
    /// fan_out
    FanOut,
    /// (fan_in + fan_out) / 2
    FanAvg,
    /// sqrt(fan_in * fan_out) (JAX only)
    FanGeoAvg,
}

pub(crate) const FAN_MODES: [&str; 4] = ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"];

impl FanMode {
    /// Case-insensitive, like PyTorch.
    pub fn parse(s: &str) -> Result<FanMode> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "fan_in" => FanMode::FanIn,
            "fan_out" => FanMode::FanOut,
            "fan_avg" => FanMode::FanAvg,
            "fan_geo_avg" => FanMode::FanGeoAvg,
            _ => return Err(unknown_name("mode", s, &FAN_MODES)),
        })
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        FAN_MODES[self as usize]
    }

    /// The fan this mode selects, as f64.
    pub fn of(self, f: Fans) -> f64 {
        let (i, o) = (f.fan_in as f64, f.fan_out as f64);
        match self {
            FanMode::FanIn => i,
            FanMode::FanOut => o,
            FanMode::FanAvg => (i + o) / 2.0,
            FanMode::FanGeoAvg => (i * o).sqrt(),
        }
    }
}

/// Fans of `shape` under `layout`; `None` for rank < 2 or when a fan would
/// not fit in 64 bits (an absurd shape: [`fans`] says which).
pub fn try_fans(shape: &[usize], layout: Layout) -> Option<Fans> {
    checked_fans(shape, layout).ok().flatten()
}

/// `Ok(None)` for rank < 2; an error naming the shape when a fan overflows.
fn checked_fans(shape: &[usize], layout: Layout) -> Result<Option<Fans>> {
    let n = shape.len();
    if n < 2 {
        return Ok(None);
    }
    let (out, inp, kernel) = match layout {
        Layout::Torch => (shape[0], shape[1], &shape[2..]),
        Layout::Keras => (shape[n - 1], shape[n - 2], &shape[..n - 2]),
    };
    let overflow = || Error::BadShape {
        shape: format!("{shape:?}"),
        reason: "its fans overflow 64 bits; no weight can be that large".to_string(),
    };
    let rf = kernel
        .iter()
        .try_fold(1u64, |acc, &k| acc.checked_mul(k as u64))
        .ok_or_else(overflow)?;
    let fan_in = (inp as u64).checked_mul(rf).ok_or_else(overflow)?;
    let fan_out = (out as u64).checked_mul(rf).ok_or_else(overflow)?;
    Ok(Some(Fans { fan_in, fan_out }))
}

/// Fans of `shape` under `layout`: an error for rank < 2 or a shape whose
/// fans overflow 64 bits.
pub fn fans(shape: &[usize], layout: Layout) -> Result<Fans> {
    checked_fans(shape, layout)?.ok_or_else(|| Error::BadShape {
        shape: format!("{shape:?}"),
        reason: format!(
            "fan_in and fan_out need a tensor of rank >= 2 (got rank {}); give the weight's full shape, e.g. [OUT, IN]",
            shape.len()
        ),
    })
}

pub(crate) fn fans_for(init: &str, shape: &[usize], layout: Layout) -> Result<Fans> {
    checked_fans(shape, layout)?.ok_or_else(|| Error::Shape {
        init: init.to_string(),
        shape: shape.to_vec(),
        reason: format!(
            "fan_in and fan_out need a tensor of rank >= 2 (got rank {}); give the weight its full shape, \
             e.g. [OUT, IN] for a torch-layout dense layer, or use an initializer without fans \
             (normal, uniform, trunc_normal, constant)",
            shape.len()
        ),
    })
}
