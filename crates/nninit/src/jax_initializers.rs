//! `jax.nn.initializers` replayed from a JAX key: the initializer
//! `init(key, shape, float32)` of each, with JAX's own arithmetic, so the
//! values equal JAX's bit for bit (on an x86-64 CPU with FMA; both
//! `jax_threefry_partitionable` modes). The Python drop-ins
//! (`nninit.jax.initializers`) call these.
//!
//! Semantics (jax `_src/nn/initializers.py`, read and restated):
//! - `variance_scaling(scale, mode, distribution, in_axis, out_axis,
//!   batch_axis)`: fans as `_compute_fans` (in Python floats: `receptive =
//!   numel / in / out / batch`, `fan_in = in * receptive`), the denominator
//!   by `mode` (`fan_in`, `fan_out`, `(fan_in + fan_out) / 2`,
//!   `sqrt(fan_in * fan_out)`), `variance = f32(scale / denominator)`; then
//!   `truncated_normal(key, -2, 2) * (sqrt(variance) / f32(0.87962566103423978))`,
//!   `normal(key) * sqrt(variance)` or `uniform(key, -1, 1) * sqrt(3 *
//!   variance)`, every operation in f32 (in f64 for float64, with
//!   `jax_enable_x64`: [`JaxInitializer::fill_f64`]).
//! - `normal(stddev)`: `normal(key) * f32(stddev)`; `uniform(scale)`:
//!   `uniform(key) * f32(scale)`; `truncated_normal(stddev, lower, upper)`:
//!   `truncated_normal(key, lower, upper) * f32(stddev)`; `constant(v)`.
//! - [`JaxInitializer::fill_nninit`]: the same initializers on nninit's own
//!   stream keyed by the JAX key (`rng="nninit"` in Python): the same
//!   distributions and scales, not JAX's bits, nninit's speed.
//! - `orthogonal(scale)` (column axis -1) and `delta_orthogonal(scale)`:
//!   JAX factors a Gaussian matrix with LAPACK's QR; nninit draws the same
//!   Haar distribution from its own stream keyed by the JAX key: same
//!   distribution, not the same bits.

use crate::error::{unknown_name, Error, Result};
use crate::init::Init;
use crate::rng::threefry::{JaxFloat, JaxKey};
use crate::{Layout, Stream};

/// `variance_scaling`'s `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JaxFanMode {
    /// The input size (times the receptive field).
    FanIn,
    /// The output size (times the receptive field).
    FanOut,
    /// Their arithmetic mean.
    FanAvg,
    /// Their geometric mean.
    FanGeoAvg,
}

/// `variance_scaling`'s `distribution`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JaxDistribution {
    /// N(0, 1) cut at ±2, rescaled by 1 / 0.87962566103423978.
    TruncatedNormal,
    /// N(0, 1).
    Normal,
    /// U(-1, 1) times sqrt(3).
    Uniform,
}

impl JaxFanMode {
    /// Parse JAX's spelling (`fan_in`, `fan_out`, `fan_avg`, `fan_geo_avg`).
    pub fn parse(s: &str) -> Result<JaxFanMode> {
        Ok(match s {
            "fan_in" => JaxFanMode::FanIn,
            "fan_out" => JaxFanMode::FanOut,
            "fan_avg" => JaxFanMode::FanAvg,
            "fan_geo_avg" => JaxFanMode::FanGeoAvg,
            _ => {
                return Err(unknown_name(
                    "variance_scaling mode",
                    s,
                    &["fan_in", "fan_out", "fan_avg", "fan_geo_avg"],
                ))
            }
        })
    }
}

impl JaxDistribution {
    /// Parse JAX's spelling (`truncated_normal`, `normal`, `uniform`).
    pub fn parse(s: &str) -> Result<JaxDistribution> {
        Ok(match s {
            "truncated_normal" => JaxDistribution::TruncatedNormal,
            "normal" => JaxDistribution::Normal,
            "uniform" => JaxDistribution::Uniform,
            _ => {
                return Err(unknown_name(
                    "variance_scaling distribution",
                    s,
                    &["truncated_normal", "normal", "uniform"],
                ))
            }
        })
    }
}

/// One of `jax.nn.initializers`, with its parameters.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum JaxInitializer {
    /// `variance_scaling(scale, mode, distribution, in_axis, out_axis, batch_axis)`
    /// (axes may be negative, as Python indexes).
    VarianceScaling {
        /// Scaling factor.
        scale: f64,
        /// Which fan.
        mode: JaxFanMode,
        /// Which distribution.
        distribution: JaxDistribution,
        /// Input axes.
        in_axis: Vec<isize>,
        /// Output axes.
        out_axis: Vec<isize>,
        /// Batch axes (ignored in the fans).
        batch_axis: Vec<isize>,
    },
    /// `normal(stddev)`.
    Normal {
        /// Standard deviation.
        stddev: f64,
    },
    /// `uniform(scale)`: U(0, scale).
    Uniform {
        /// Upper bound.
        scale: f64,
    },
    /// `truncated_normal(stddev, lower, upper)` (bounds in standard units).
    TruncatedNormal {
        /// Standard deviation before truncation.
        stddev: f64,
        /// Lower bound.
        lower: f64,
        /// Upper bound.
        upper: f64,
    },
    /// `constant(value)` (also `zeros`, `ones`).
    Constant {
        /// The value.
        value: f64,
    },
    /// `orthogonal(scale)`, column axis -1 (same distribution, not JAX's bits).
    Orthogonal {
        /// Multiplier.
        scale: f64,
    },
    /// `delta_orthogonal(scale)` (same distribution, not JAX's bits).
    DeltaOrthogonal {
        /// Multiplier.
        scale: f64,
    },
}

/// Python's `shape[axis]` (negative from the end).
fn axis_len(shape: &[usize], axis: isize, what: &str) -> Result<f64> {
    let n = shape.len() as isize;
    let i = if axis < 0 { axis + n } else { axis };
    if i < 0 || i >= n {
        return Err(Error::BadShape {
            shape: format!("{shape:?}"),
            reason: format!("{what} {axis} is out of range for a {n}-d shape"),
        });
    }
    Ok(shape[i as usize] as f64)
}

fn axes_len(shape: &[usize], axes: &[isize], what: &str) -> Result<f64> {
    axes.iter()
        .try_fold(1.0, |p, &a| Ok(p * axis_len(shape, a, what)?))
}

/// `_compute_fans(shape, in_axis, out_axis, batch_axis)`: (fan_in, fan_out).
pub fn compute_fans(
    shape: &[usize],
    in_axis: &[isize],
    out_axis: &[isize],
    batch_axis: &[isize],
) -> Result<(f64, f64)> {
    let in_size = axes_len(shape, in_axis, "in_axis")?;
    let out_size = axes_len(shape, out_axis, "out_axis")?;
    let batch_size = axes_len(shape, batch_axis, "batch_axis")?;
    if in_size == 0.0 || out_size == 0.0 || batch_size == 0.0 {
        return Err(Error::BadShape {
            shape: format!("{shape:?}"),
            reason: "variance_scaling's fans divide by the in, out and batch sizes, and one is 0"
                .into(),
        });
    }
    let numel: f64 = shape.iter().map(|&d| d as f64).product();
    let receptive = numel / in_size / out_size / batch_size;
    Ok((in_size * receptive, out_size * receptive))
}

/// What an initializer draws, with the scale JAX computes for it in the
/// dtype's precision (an f32 value widened, for float32).
enum Draw {
    /// `normal(key) * scale`.
    Normal { scale: f64 },
    /// `uniform(key, lo, hi) * scale`.
    Uniform { lo: f64, hi: f64, scale: f64 },
    /// `truncated_normal(key, lower, upper) * scale`.
    Truncated { lower: f64, upper: f64, scale: f64 },
    /// Every element the value.
    Constant(f64),
    /// A whole-tensor initializer of nninit's (same distribution as JAX's).
    Structured(Init),
}

impl JaxInitializer {
    /// Whether `init(key, shape)` can run: the same errors as the fills,
    /// without generating anything.
    pub fn check(&self, shape: &[usize]) -> Result<()> {
        crate::init::checked_numel(shape)?;
        if let Draw::Structured(init) = self.draw(shape, false)? {
            init.check_shape(shape, Layout::Keras, crate::DType::F32)?;
        }
        Ok(())
    }

    /// The draw and its scale for `shape`, as JAX computes them in f32
    /// (`wide` false) or f64.
    fn draw(&self, shape: &[usize], wide: bool) -> Result<Draw> {
        let dt = |x: f64| if wide { x } else { f64::from(x as f32) };
        Ok(match *self {
            JaxInitializer::Constant { value } => Draw::Constant(dt(value)),
            JaxInitializer::Normal { stddev } => Draw::Normal { scale: dt(stddev) },
            JaxInitializer::Uniform { scale } => Draw::Uniform {
                lo: 0.0,
                hi: 1.0,
                scale: dt(scale),
            },
            JaxInitializer::TruncatedNormal {
                stddev,
                lower,
                upper,
            } => {
                check_bounds(lower, upper)?;
                Draw::Truncated {
                    lower,
                    upper,
                    scale: dt(stddev),
                }
            }
            JaxInitializer::VarianceScaling {
                scale,
                mode,
                distribution,
                ref in_axis,
                ref out_axis,
                ref batch_axis,
            } => {
                if in_axis.as_slice() == [-2] && shape.len() <= 1 {
                    return Err(Error::BadShape {
                        shape: format!("{shape:?}"),
                        reason: format!(
                            "variance_scaling cannot compute the fans of a {}-d tensor with the default in_axis=-2: give in_axis (and out_axis) explicitly",
                            shape.len()
                        ),
                    });
                }
                let (fan_in, fan_out) = compute_fans(shape, in_axis, out_axis, batch_axis)?;
                let denominator = match mode {
                    JaxFanMode::FanIn => fan_in,
                    JaxFanMode::FanOut => fan_out,
                    JaxFanMode::FanAvg => (fan_in + fan_out) / 2.0,
                    JaxFanMode::FanGeoAvg => (fan_in * fan_out).sqrt(),
                };
                #[allow(clippy::excessive_precision)] // the digits JAX uses
                const CORRECTION: f64 = 0.879_625_661_034_239_78;
                let v64 = scale / denominator;
                let v32 = v64 as f32;
                let (normal, truncated, uniform) = if wide {
                    (v64.sqrt(), v64.sqrt() / CORRECTION, (3.0 * v64).sqrt())
                } else {
                    (
                        f64::from(v32.sqrt()),
                        f64::from(v32.sqrt() / CORRECTION as f32),
                        f64::from((3.0 * v32).sqrt()),
                    )
                };
                match distribution {
                    JaxDistribution::TruncatedNormal => Draw::Truncated {
                        lower: -2.0,
                        upper: 2.0,
                        scale: truncated,
                    },
                    JaxDistribution::Normal => Draw::Normal { scale: normal },
                    JaxDistribution::Uniform => Draw::Uniform {
                        lo: -1.0,
                        hi: 1.0,
                        scale: uniform,
                    },
                }
            }
            JaxInitializer::Orthogonal { scale } => {
                if shape.len() < 2 {
                    return Err(Error::BadShape {
                        shape: format!("{shape:?}"),
                        reason: "orthogonal needs at least a 2-d shape".into(),
                    });
                }
                Draw::Structured(Init::orthogonal(scale)?)
            }
            JaxInitializer::DeltaOrthogonal { scale } => {
                Draw::Structured(Init::delta_orthogonal(scale)?)
            }
        })
    }

    /// `init(key, shape, float32)` into `out` (`out.len()` = the shape's
    /// element count): JAX's values bit for bit (JAX's stream).
    pub fn fill(
        &self,
        key: JaxKey,
        partitionable: bool,
        shape: &[usize],
        out: &mut [f32],
    ) -> Result<()> {
        self.fill_jax(key, partitionable, shape, out)
    }

    /// `init(key, shape, float64)` (with `jax_enable_x64`) into `out`: JAX's
    /// values bit for bit, its f64 draws and f64 arithmetic (the f64 normal's
    /// `log` and the truncated normal's `erf` are the C library's, as JAX's
    /// are, so equal on the same platform).
    pub fn fill_f64(
        &self,
        key: JaxKey,
        partitionable: bool,
        shape: &[usize],
        out: &mut [f64],
    ) -> Result<()> {
        self.fill_jax(key, partitionable, shape, out)
    }

    /// [`Self::fill`] and [`Self::fill_f64`]: the draw, then `* F(scale)`.
    fn fill_jax<F: JaxFloat + crate::Element>(
        &self,
        key: JaxKey,
        p: bool,
        shape: &[usize],
        out: &mut [F],
    ) -> Result<()> {
        check_len(shape, out.len())?;
        let times = |out: &mut [F], s: f64| {
            let s = F::of(s);
            out.iter_mut().for_each(|x| *x *= s)
        };
        match self.draw(shape, F::WIDE)? {
            Draw::Constant(v) => out.fill(F::of(v)),
            Draw::Normal { scale } => {
                F::normal(key, p, out)?;
                times(out, scale);
            }
            Draw::Uniform { lo, hi, scale } => {
                F::uniform(key, p, lo, hi, out)?;
                times(out, scale);
            }
            Draw::Truncated {
                lower,
                upper,
                scale,
            } => {
                F::truncated(key, p, lower, upper, out)?;
                times(out, scale);
            }
            Draw::Structured(init) => {
                init.fill(shape, Layout::Keras, &Stream::from_key(key), out)?
            }
        }
        Ok(())
    }

    /// The same initializer (the same distribution and the same f32 scale)
    /// on nninit's own stream keyed by the JAX key's two words
    /// ([`Stream::from_key`]): not JAX's bits, but nninit's speed (SIMD,
    /// every core) and any float dtype.
    pub fn fill_nninit<T: crate::Element>(
        &self,
        key: JaxKey,
        shape: &[usize],
        out: &mut [T],
    ) -> Result<()> {
        check_len(shape, out.len())?;
        let init = match self.draw(shape, T::DTYPE == crate::DType::F64)? {
            Draw::Constant(v) => Init::constant(v)?,
            Draw::Normal { scale } => Init::normal(0.0, scale)?,
            Draw::Uniform { lo, hi, scale } => Init::uniform(lo * scale, hi * scale)?,
            Draw::Truncated {
                lower,
                upper,
                scale,
            } => Init::trunc_normal(0.0, scale, lower * scale, upper * scale)?,
            Draw::Structured(init) => init,
        };
        init.fill(shape, Layout::Keras, &Stream::from_key(key), out)
    }
}

fn check_len(shape: &[usize], len: usize) -> Result<()> {
    let numel = crate::init::checked_numel(shape)?;
    if numel != len as u64 {
        return Err(Error::BadShape {
            shape: format!("{shape:?}"),
            reason: format!("{numel} elements, but the buffer holds {len}"),
        });
    }
    Ok(())
}

fn check_bounds(lower: f64, upper: f64) -> Result<()> {
    if lower.is_nan() || upper.is_nan() || lower >= upper {
        return Err(Error::BadParam {
            init: "truncated_normal".into(),
            param: "lower/upper".into(),
            value: format!("({lower}, {upper})"),
            expected: "lower < upper".into(),
        });
    }
    Ok(())
}
