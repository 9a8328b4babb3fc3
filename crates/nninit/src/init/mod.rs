//! Initializers: the [`Init`] value (what to compute, validated) and how it
//! fills a tensor of a given shape, layout and dtype.
//!
//! Each family lives in its own file with its formula and source:
//! [`basic`] (uniform, normal, trunc_normal, constant), [`xavier`],
//! [`kaiming`] (and `torch_default`), [`variance_scaling`] (Keras/JAX and the
//! glorot/he/lecun presets), [`orthogonal`] (and delta_orthogonal),
//! [`sparse`], [`structured`] (eye, identity, dirac). [`fan`] and [`gain`]
//! are the single source of truth for fans and gains; [`expr`] parses
//! `name(key=value, ...)`.

pub mod basic;
pub mod expr;
pub mod fan;
pub mod gain;
pub mod kaiming;
pub mod orthogonal;
mod region;
pub mod sparse;
pub mod structured;
pub mod variance_scaling;
pub mod xavier;

use crate::dist::{max_finite, round_to, Dist};
use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::rng::Stream;
use fan::{fans_for, FanMode, Layout};
use gain::Nonlinearity;
pub use variance_scaling::VsDistribution;

/// An initializer with validated parameters.
///
/// Build one with [`Init::parse`] (`"kaiming_normal(mode=fan_out,
/// nonlinearity=relu)"`) or a constructor ([`Init::normal`],
/// [`Init::kaiming_uniform`], ...), which return an error for a value the
/// initializer cannot take (a negative std, `a > b`, `groups = 0`, NaN), so
/// no `Init` that exists can fail to fill for a reason other than the
/// tensor's shape or dtype. The variants can be matched (with `..`) but not
/// built outside this crate. Its `Display` is the canonical expression with
/// every parameter spelled out; parsing it gives back an equal `Init`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Init {
    /// U(a, b): [`Init::uniform`].
    #[non_exhaustive]
    Uniform {
        /// Lower bound.
        a: f64,
        /// Upper bound (>= a).
        b: f64,
    },
    /// N(mean, std^2): [`Init::normal`].
    #[non_exhaustive]
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (>= 0).
        std: f64,
    },
    /// N(mean, std^2) restricted to [a, b]: [`Init::trunc_normal`].
    #[non_exhaustive]
    TruncNormal {
        /// Mean of the parent normal.
        mean: f64,
        /// Std of the parent normal (>= 0).
        std: f64,
        /// Absolute lower bound.
        a: f64,
        /// Absolute upper bound.
        b: f64,
    },
    /// Every element `val`: [`Init::constant`].
    #[non_exhaustive]
    Constant {
        /// The value.
        val: f64,
    },
    /// Every element 0.
    Zeros,
    /// Every element 1.
    Ones,
    /// The identity matrix (2-D).
    Eye,
    /// `gain` times the identity matrix (2-D): [`Init::identity`].
    #[non_exhaustive]
    Identity {
        /// Diagonal value.
        gain: f64,
    },
    /// Identity-preserving convolution kernel: [`Init::dirac`].
    #[non_exhaustive]
    Dirac {
        /// Groups (>= 1).
        groups: usize,
    },
    /// Glorot uniform: [`Init::xavier_uniform`].
    #[non_exhaustive]
    XavierUniform {
        /// Gain.
        gain: f64,
    },
    /// Glorot normal: [`Init::xavier_normal`].
    #[non_exhaustive]
    XavierNormal {
        /// Gain.
        gain: f64,
    },
    /// He uniform (PyTorch): [`Init::kaiming_uniform`].
    #[non_exhaustive]
    KaimingUniform {
        /// Leaky ReLU's negative slope (PyTorch's `a`).
        a: f64,
        /// `fan_in` or `fan_out`.
        mode: FanMode,
        /// The nonlinearity whose gain is used (its slope is `a`).
        nonlinearity: Nonlinearity,
    },
    /// He normal (PyTorch): [`Init::kaiming_normal`].
    #[non_exhaustive]
    KaimingNormal {
        /// Leaky ReLU's negative slope (PyTorch's `a`).
        a: f64,
        /// `fan_in` or `fan_out`.
        mode: FanMode,
        /// The nonlinearity whose gain is used (its slope is `a`).
        nonlinearity: Nonlinearity,
    },
    /// A (semi-)orthogonal matrix: [`Init::orthogonal`].
    #[non_exhaustive]
    Orthogonal {
        /// Gain.
        gain: f64,
    },
    /// JAX's delta-orthogonal convolution kernel: [`Init::delta_orthogonal`].
    #[non_exhaustive]
    DeltaOrthogonal {
        /// Scale.
        scale: f64,
    },
    /// PyTorch's column-sparse normal: [`Init::sparse`].
    #[non_exhaustive]
    Sparse {
        /// Fraction of zeros per column, in [0, 1].
        sparsity: f64,
        /// Std of the non-zero entries (>= 0).
        std: f64,
    },
    /// `nn.Linear`/`nn.Conv*d`'s weight default.
    TorchDefault,
    /// `nn.Linear`/`nn.Conv*d`'s bias default: [`Init::torch_default_bias`].
    #[non_exhaustive]
    TorchDefaultBias {
        /// The weight's fan_in.
        fan_in: u64,
    },
    /// Keras/JAX variance scaling: [`Init::variance_scaling`], [`Init::preset`].
    #[non_exhaustive]
    VarianceScaling {
        /// Scale (> 0).
        scale: f64,
        /// Which fan.
        mode: FanMode,
        /// Which distribution.
        distribution: VsDistribution,
        /// The Keras/JAX preset name (`he_normal`, ...) when built from one.
        preset: Option<&'static str>,
    },
}

fn bad(init: &str, param: &str, value: impl ToString, expected: impl Into<String>) -> Error {
    Error::BadParam {
        init: init.to_string(),
        param: param.to_string(),
        value: value.to_string(),
        expected: expected.into(),
    }
}

/// `x` must be a finite number.
fn finite(init: &str, param: &str, x: f64) -> Result<f64> {
    if x.is_nan() {
        Err(bad(init, param, x, "a number, not NaN"))
    } else if x.is_infinite() {
        Err(bad(init, param, x, "a finite number"))
    } else {
        Ok(x)
    }
}

fn nonneg(init: &str, param: &str, x: f64) -> Result<f64> {
    if finite(init, param, x)? < 0.0 {
        return Err(bad(init, param, x, "a number >= 0"));
    }
    Ok(x)
}

/// Constructors: each validates exactly what [`Init::parse`] validates and
/// returns the same error.
impl Init {
    /// `uniform(a=0, b=1)`: U(a, b), `a <= b`, both finite. See [`basic`].
    pub fn uniform(a: f64, b: f64) -> Result<Init> {
        let (a, b) = (finite("uniform", "a", a)?, finite("uniform", "b", b)?);
        if a > b {
            return Err(bad("uniform", "a", a, format!("a <= b (b is {b})")));
        }
        Ok(Init::Uniform { a, b })
    }

    /// `normal(mean=0, std=1)`: N(mean, std^2), `std >= 0`. See [`basic`].
    pub fn normal(mean: f64, std: f64) -> Result<Init> {
        Ok(Init::Normal {
            mean: finite("normal", "mean", mean)?,
            std: nonneg("normal", "std", std)?,
        })
    }

    /// `trunc_normal(mean=0, std=1, a=-2, b=2)`: N(mean, std^2) restricted to
    /// the absolute bounds [a, b] (not multiples of std). `std = 0` needs
    /// `a <= mean <= b`. See [`basic`].
    pub fn trunc_normal(mean: f64, std: f64, a: f64, b: f64) -> Result<Init> {
        const N: &str = "trunc_normal";
        let mean = finite(N, "mean", mean)?;
        let std = nonneg(N, "std", std)?;
        let (a, b) = (finite(N, "a", a)?, finite(N, "b", b)?);
        if a > b {
            return Err(bad(
                N,
                "a",
                a,
                format!("a <= b (b is {b}); a and b are absolute bounds, not multiples of std"),
            ));
        }
        if std == 0.0 && !(a <= mean && mean <= b) {
            return Err(bad(
                N,
                "mean",
                mean,
                format!("with std=0 the mean must lie in [a, b] = [{a}, {b}]"),
            ));
        }
        crate::dist::TruncNormal::check(mean, std, a, b).map_err(|why| bad(N, "std", std, why))?;
        Ok(Init::TruncNormal { mean, std, a, b })
    }

    /// `constant(val)`: every element `val` (finite).
    pub fn constant(val: f64) -> Result<Init> {
        Ok(Init::Constant {
            val: finite("constant", "val", val)?,
        })
    }

    /// `zeros`.
    pub fn zeros() -> Init {
        Init::Zeros
    }

    /// `ones`.
    pub fn ones() -> Init {
        Init::Ones
    }

    /// `eye`: the identity matrix (2-D tensors).
    pub fn eye() -> Init {
        Init::Eye
    }

    /// `identity(gain=1)`: `gain` on the diagonal (2-D tensors). See [`structured`].
    pub fn identity(gain: f64) -> Result<Init> {
        Ok(Init::Identity {
            gain: finite("identity", "gain", gain)?,
        })
    }

    /// `dirac(groups=1)`: the identity convolution, `groups >= 1`. See [`structured`].
    pub fn dirac(groups: usize) -> Result<Init> {
        if groups == 0 || groups > u32::MAX as usize {
            return Err(bad("dirac", "groups", groups, "a whole number >= 1"));
        }
        Ok(Init::Dirac { groups })
    }

    /// `xavier_uniform(gain=1)`. See [`xavier`].
    pub fn xavier_uniform(gain: f64) -> Result<Init> {
        Ok(Init::XavierUniform {
            gain: finite("xavier_uniform", "gain", gain)?,
        })
    }

    /// `xavier_normal(gain=1)`. See [`xavier`].
    pub fn xavier_normal(gain: f64) -> Result<Init> {
        Ok(Init::XavierNormal {
            gain: finite("xavier_normal", "gain", gain)?,
        })
    }

    fn kaiming(
        name: &str,
        a: f64,
        mode: FanMode,
        nl: Nonlinearity,
    ) -> Result<(f64, FanMode, Nonlinearity)> {
        let a = finite(name, "a", a)?;
        if !matches!(mode, FanMode::FanIn | FanMode::FanOut) {
            return Err(crate::error::unknown_name(
                "mode",
                mode.name(),
                &fan::FAN_MODES[..2],
            ));
        }
        // as PyTorch: `a` is the slope calculate_gain reads for leaky_relu
        let nl = match nl {
            Nonlinearity::LeakyRelu { .. } => Nonlinearity::leaky_relu(a)?,
            other => other,
        };
        Ok((a, mode, nl))
    }

    /// `kaiming_uniform(a=0, mode=fan_in, nonlinearity=leaky_relu)`, PyTorch's
    /// signature: `a` is leaky ReLU's negative slope (it replaces the slope of
    /// a `Nonlinearity::LeakyRelu` given here); `mode` is `fan_in` or
    /// `fan_out`. See [`kaiming`].
    pub fn kaiming_uniform(a: f64, mode: FanMode, nonlinearity: Nonlinearity) -> Result<Init> {
        let (a, mode, nonlinearity) = Init::kaiming("kaiming_uniform", a, mode, nonlinearity)?;
        Ok(Init::KaimingUniform {
            a,
            mode,
            nonlinearity,
        })
    }

    /// `kaiming_normal(a=0, mode=fan_in, nonlinearity=leaky_relu)`: as
    /// [`Init::kaiming_uniform`]. See [`kaiming`].
    pub fn kaiming_normal(a: f64, mode: FanMode, nonlinearity: Nonlinearity) -> Result<Init> {
        let (a, mode, nonlinearity) = Init::kaiming("kaiming_normal", a, mode, nonlinearity)?;
        Ok(Init::KaimingNormal {
            a,
            mode,
            nonlinearity,
        })
    }

    /// `orthogonal(gain=1)`. See [`orthogonal`].
    pub fn orthogonal(gain: f64) -> Result<Init> {
        Ok(Init::Orthogonal {
            gain: finite("orthogonal", "gain", gain)?,
        })
    }

    /// `delta_orthogonal(scale=1)`. See [`orthogonal`].
    pub fn delta_orthogonal(scale: f64) -> Result<Init> {
        Ok(Init::DeltaOrthogonal {
            scale: finite("delta_orthogonal", "scale", scale)?,
        })
    }

    /// `sparse(sparsity, std=0.01)`: `sparsity` in [0, 1], `std >= 0`. See [`sparse`].
    pub fn sparse(sparsity: f64, std: f64) -> Result<Init> {
        let s = finite("sparse", "sparsity", sparsity)?;
        if !(0.0..=1.0).contains(&s) {
            return Err(bad("sparse", "sparsity", s, "a fraction in [0, 1]"));
        }
        Ok(Init::Sparse {
            sparsity: s,
            std: nonneg("sparse", "std", std)?,
        })
    }

    /// `torch_default`: `nn.Linear`/`nn.Conv*d`'s weight rule. See [`kaiming`].
    pub fn torch_default() -> Init {
        Init::TorchDefault
    }

    /// `torch_default_bias(fan_in)`: their bias rule, with the weight's fan_in. See [`kaiming`].
    pub fn torch_default_bias(fan_in: u64) -> Result<Init> {
        if fan_in > u32::MAX as u64 {
            return Err(bad(
                "torch_default_bias",
                "fan_in",
                fan_in,
                "a whole number >= 0",
            ));
        }
        Ok(Init::TorchDefaultBias { fan_in })
    }

    /// `variance_scaling(scale=1, mode=fan_in, distribution=truncated_normal)`,
    /// `scale > 0`. See [`variance_scaling`].
    pub fn variance_scaling(
        scale: f64,
        mode: FanMode,
        distribution: VsDistribution,
    ) -> Result<Init> {
        let scale = finite("variance_scaling", "scale", scale)?;
        if scale <= 0.0 {
            return Err(bad("variance_scaling", "scale", scale, "a number > 0"));
        }
        Ok(Init::VarianceScaling {
            scale,
            mode,
            distribution,
            preset: None,
        })
    }

    /// A Keras/JAX preset by name: `glorot_uniform`, `glorot_normal`,
    /// `lecun_uniform`, `lecun_normal`, `he_uniform`, `he_normal`.
    pub fn preset(name: &str) -> Result<Init> {
        let lname = name.to_ascii_lowercase();
        let Some(&(n, scale, mode, distribution)) =
            variance_scaling::PRESETS.iter().find(|p| p.0 == lname)
        else {
            let names: Vec<&str> = variance_scaling::PRESETS.iter().map(|p| p.0).collect();
            return Err(crate::error::unknown_name("preset", name, &names));
        };
        Ok(Init::VarianceScaling {
            scale,
            mode,
            distribution,
            preset: Some(n),
        })
    }

    /// Check the parameters again (every constructor's rules). Variants are
    /// only built by the constructors, so this never fails for an `Init`
    /// built through the public API; [`Init::fill`] calls it all the same.
    fn validate(&self) -> Result<()> {
        let rebuilt = match *self {
            Init::Uniform { a, b } => Init::uniform(a, b),
            Init::Normal { mean, std } => Init::normal(mean, std),
            Init::TruncNormal { mean, std, a, b } => Init::trunc_normal(mean, std, a, b),
            Init::Constant { val } => Init::constant(val),
            Init::Identity { gain } => Init::identity(gain),
            Init::Dirac { groups } => Init::dirac(groups),
            Init::XavierUniform { gain } => Init::xavier_uniform(gain),
            Init::XavierNormal { gain } => Init::xavier_normal(gain),
            Init::KaimingUniform {
                a,
                mode,
                nonlinearity,
            } => Init::kaiming_uniform(a, mode, nonlinearity),
            Init::KaimingNormal {
                a,
                mode,
                nonlinearity,
            } => Init::kaiming_normal(a, mode, nonlinearity),
            Init::Orthogonal { gain } => Init::orthogonal(gain),
            Init::DeltaOrthogonal { scale } => Init::delta_orthogonal(scale),
            Init::Sparse { sparsity, std } => Init::sparse(sparsity, std),
            Init::TorchDefaultBias { fan_in } => Init::torch_default_bias(fan_in),
            Init::VarianceScaling {
                scale,
                mode,
                distribution,
                ..
            } => Init::variance_scaling(scale, mode, distribution),
            Init::Zeros | Init::Ones | Init::Eye | Init::TorchDefault => Ok(Init::Zeros),
        };
        rebuilt.map(|_| ())
    }
}

/// What filling a particular tensor takes, once shape, layout and dtype are known.
#[derive(Debug, Clone)]
enum Plan {
    /// Independent elements from one distribution: shardable.
    Elementwise(Dist),
    /// `gain` on the diagonal of a `? x cols` matrix: shardable.
    Eye {
        cols: u64,
        gain: f64,
    },
    /// Shardable.
    Dirac {
        groups: usize,
    },
    Orthogonal {
        rows: usize,
        cols: usize,
        gain: f64,
    },
    DeltaOrthogonal {
        scale: f64,
    },
    Sparse {
        rows: usize,
        cols: usize,
        sparsity: f64,
        std: f64,
    },
}

/// Largest number of elements a tensor may have (2^62): element indices,
/// Philox counters and byte offsets then never overflow 64 bits.
pub const MAX_NUMEL: u64 = 1 << 62;

/// `prod(shape)`, checked against the length of the output buffer.
fn buffer_len(shape: &[usize], len: usize) -> Result<u64> {
    let n = checked_numel(shape)?;
    if len as u64 != n {
        return Err(Error::BadShape {
            shape: format!("{shape:?}"),
            reason: format!("output buffer holds {len} elements, the shape {n}"),
        });
    }
    Ok(n)
}

/// `prod(shape)`, or an error naming the shape when it exceeds [`MAX_NUMEL`].
pub fn checked_numel(shape: &[usize]) -> Result<u64> {
    shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .filter(|&n| n <= MAX_NUMEL)
        .ok_or_else(|| Error::BadShape {
            shape: format!("{shape:?}"),
            reason: format!("more than 2^62 elements ({MAX_NUMEL}); no tensor can be that large"),
        })
}

impl Init {
    /// Parse an init expression: see [`expr`].
    pub fn parse(s: &str) -> Result<Init> {
        expr::parse(s)
    }

    /// The name this initializer is spelled with.
    pub fn name(&self) -> &'static str {
        match self {
            Init::Uniform { .. } => "uniform",
            Init::Normal { .. } => "normal",
            Init::TruncNormal { .. } => "trunc_normal",
            Init::Constant { .. } => "constant",
            Init::Zeros => "zeros",
            Init::Ones => "ones",
            Init::Eye => "eye",
            Init::Identity { .. } => "identity",
            Init::Dirac { .. } => "dirac",
            Init::XavierUniform { .. } => "xavier_uniform",
            Init::XavierNormal { .. } => "xavier_normal",
            Init::KaimingUniform { .. } => "kaiming_uniform",
            Init::KaimingNormal { .. } => "kaiming_normal",
            Init::Orthogonal { .. } => "orthogonal",
            Init::DeltaOrthogonal { .. } => "delta_orthogonal",
            Init::Sparse { .. } => "sparse",
            Init::TorchDefault => "torch_default",
            Init::TorchDefaultBias { .. } => "torch_default_bias",
            Init::VarianceScaling { preset, .. } => preset.unwrap_or("variance_scaling"),
        }
    }

    /// Whether any slice of the tensor can be generated on its own with the
    /// same values as the whole (see [`Init::fill_range`]). False for
    /// `orthogonal`, `delta_orthogonal` and `sparse`, whose entries depend on
    /// the whole tensor.
    pub fn is_shardable(&self) -> bool {
        !matches!(
            self,
            Init::Orthogonal { .. } | Init::DeltaOrthogonal { .. } | Init::Sparse { .. }
        )
    }

    fn shape_err(&self, shape: &[usize], reason: impl Into<String>) -> Error {
        Error::Shape {
            init: self.name().to_string(),
            shape: shape.to_vec(),
            reason: reason.into(),
        }
    }

    fn plan(&self, shape: &[usize], layout: Layout, dtype: DType) -> Result<Plan> {
        self.validate()?;
        checked_numel(shape)?;
        let fans = || fans_for(self.name(), shape, layout);
        let two_d = |what: &str| -> Result<()> {
            if shape.len() != 2 {
                return Err(self.shape_err(
                    shape,
                    format!("{what} needs a 2-D tensor (got rank {})", shape.len()),
                ));
            }
            Ok(())
        };
        let p = match self {
            Init::Uniform { a, b } => Plan::Elementwise(basic::uniform(*a, *b)),
            Init::Normal { mean, std } => Plan::Elementwise(basic::normal(*mean, *std)),
            Init::TruncNormal { mean, std, a, b } => {
                check_representable(self.name(), *a, *b, dtype)?;
                if *std == 0.0 {
                    // the constant `mean`, rounded, must still lie in [a, b]
                    check_representable(self.name(), *mean, *mean, dtype)
                        .and_then(|_| check_representable(self.name(), *a, *mean, dtype))?;
                    let r = round_to(*mean, dtype);
                    if !(*a <= r && r <= *b) {
                        return Err(bad(self.name(), "mean", mean, format!("with std=0, a mean whose {dtype} rounding ({r}) lies in [a, b]")));
                    }
                }
                Plan::Elementwise(basic::trunc_normal(*mean, *std, *a, *b))
            }
            Init::Constant { val } => Plan::Elementwise(basic::constant(*val)),
            Init::Zeros => Plan::Elementwise(basic::constant(0.0)),
            Init::Ones => Plan::Elementwise(basic::constant(1.0)),
            Init::Eye | Init::Identity { .. } => {
                two_d(self.name())?;
                let gain = if let Init::Identity { gain } = self { *gain } else { 1.0 };
                Plan::Eye { cols: shape[1] as u64, gain }
            }
            Init::Dirac { groups } => {
                if !(3..=5).contains(&shape.len()) {
                    return Err(self.shape_err(shape, "dirac needs a 3-, 4- or 5-D [out, in, *kernel] tensor"));
                }
                if layout != Layout::Torch {
                    return Err(self.shape_err(shape, "dirac is defined on PyTorch's [out, in, *kernel] layout; use layout torch"));
                }
                if !shape[0].is_multiple_of(*groups) {
                    return Err(self.shape_err(shape, format!("dim 0 ({}) must be divisible by groups ({groups})", shape[0])));
                }
                Plan::Dirac { groups: *groups }
            }
            Init::XavierUniform { gain } => Plan::Elementwise(xavier::xavier_uniform(fans()?, *gain)),
            Init::XavierNormal { gain } => Plan::Elementwise(xavier::xavier_normal(fans()?, *gain)),
            Init::KaimingUniform { mode, nonlinearity, .. } => {
                Plan::Elementwise(kaiming::kaiming_uniform(fans()?, *mode, *nonlinearity))
            }
            Init::KaimingNormal { mode, nonlinearity, .. } => {
                Plan::Elementwise(kaiming::kaiming_normal(fans()?, *mode, *nonlinearity))
            }
            Init::TorchDefault => Plan::Elementwise(kaiming::torch_default(fans().map_err(|_| {
                self.shape_err(shape, "torch_default is the weight rule and needs rank >= 2; for a bias use torch_default_bias(fan_in=N) with the weight's fan_in")
            })?)),
            Init::TorchDefaultBias { fan_in } => Plan::Elementwise(kaiming::torch_default_bias(*fan_in)),
            Init::VarianceScaling { scale, mode, distribution, .. } => {
                Plan::Elementwise(variance_scaling::variance_scaling(fans()?, *scale, *mode, *distribution))
            }
            Init::Orthogonal { gain } => {
                if shape.len() < 2 {
                    return Err(self.shape_err(shape, "orthogonal needs a tensor of rank >= 2"));
                }
                let n = checked_numel(shape)? as usize;
                let (rows, cols) = match layout {
                    Layout::Torch => (shape[0], n.checked_div(shape[0]).unwrap_or(0)),
                    Layout::Keras => {
                        let c = shape[shape.len() - 1];
                        (n.checked_div(c).unwrap_or(0), c)
                    }
                };
                Plan::Orthogonal { rows, cols, gain: *gain }
            }
            Init::DeltaOrthogonal { scale } => {
                if !(3..=5).contains(&shape.len()) {
                    return Err(self.shape_err(shape, "delta_orthogonal needs a 3-, 4- or 5-D convolution kernel"));
                }
                let f = fans()?;
                let (cin, cout) = io_channels(shape, layout);
                if cout < cin {
                    return Err(self.shape_err(
                        shape,
                        format!("delta_orthogonal needs out channels >= in channels (got out {cout} < in {cin}; fans {}/{})", f.fan_out, f.fan_in),
                    ));
                }
                Plan::DeltaOrthogonal { scale: *scale }
            }
            Init::Sparse { sparsity, std } => {
                two_d("sparse")?;
                Plan::Sparse { rows: shape[0], cols: shape[1], sparsity: *sparsity, std: *std }
            }
        };
        // A tensor with no elements writes nothing: no value can overflow
        // (torch's kaiming_normal_ on a (5, 0) tensor is a no-op too, although
        // its std is 1/sqrt(0)).
        if checked_numel(shape)? > 0 {
            self.check_fits(&p, dtype)?;
        }
        Ok(p)
    }

    /// Every value this plan writes must be finite in `dtype` (the rule of
    /// `Dist::overflow_in`; for the structured and orthogonal plans, whose
    /// entries are bounded by their gain or scale, that gain).
    fn check_fits(&self, plan: &Plan, dtype: DType) -> Result<()> {
        let bounded_by = |g: f64| {
            (!round_to(g, dtype).is_finite()).then(|| {
                format!(
                    "its entries reach {g:e}, beyond {dtype}'s largest finite value {:e} (they would be written as inf); use a smaller gain or a wider dtype",
                    max_finite(dtype)
                )
            })
        };
        let why = match *plan {
            Plan::Elementwise(ref d) => d.overflow_in(dtype),
            Plan::Eye { gain, .. } | Plan::Orthogonal { gain, .. } => bounded_by(gain),
            Plan::DeltaOrthogonal { scale } => bounded_by(scale),
            Plan::Dirac { .. } => None,
            Plan::Sparse { std, .. } => Dist::Normal { mean: 0.0, std }.overflow_in(dtype),
        };
        match why {
            None => Ok(()),
            Some(reason) => Err(Error::Overflow {
                init: self.to_string(),
                dtype: dtype.name(),
                reason,
            }),
        }
    }

    /// E[w^2] of an element of a tensor of `shape`: the sigma_w^2 / fan_in of
    /// mean-field theory, known before generating anything.
    pub fn second_moment(&self, shape: &[usize], layout: Layout) -> Result<f64> {
        let n = checked_numel(shape)?.max(1) as f64;
        Ok(match self.plan(shape, layout, DType::F64)? {
            Plan::Elementwise(d) => d.second_moment(),
            Plan::Eye { cols, gain } => gain * gain * (shape[0].min(cols as usize) as f64) / n,
            Plan::Dirac { groups } => {
                let per = (shape[0] / groups).min(shape[1]) * groups;
                per as f64 / n
            }
            Plan::Orthogonal { rows, cols, gain } => gain * gain * rows.min(cols) as f64 / n,
            Plan::DeltaOrthogonal { scale } => {
                let (i, o) = io_channels(shape, layout);
                scale * scale * i.min(o) as f64 / n
            }
            Plan::Sparse {
                rows,
                sparsity,
                std,
                ..
            } => {
                let zeros = ((sparsity * rows as f64).ceil() as usize).min(rows);
                std * std * (rows - zeros) as f64 / rows.max(1) as f64
            }
        })
    }

    /// Check that this initializer can fill a tensor of `shape`, `layout` and `dtype`.
    pub fn check_shape(&self, shape: &[usize], layout: Layout, dtype: DType) -> Result<()> {
        self.plan(shape, layout, dtype).map(|_| ())
    }

    /// Fill `out` (row-major, `prod(shape)` elements) with this initializer.
    /// `stream` is the tensor's stream, e.g. `Stream::new(seed, "w1")`.
    /// Parallel (rayon); the values do not depend on the thread count.
    ///
    /// ```
    /// use nninit::{Init, Layout, Stream};
    /// let mut w = vec![0f32; 6];
    /// Init::uniform(-1.0, 1.0)?.fill(&[2, 3], Layout::Torch, &Stream::new(0, "w"), &mut w)?;
    /// assert!(w.iter().all(|x| (-1.0..1.0).contains(x)));
    /// # Ok::<(), nninit::Error>(())
    /// ```
    pub fn fill<T: Element>(
        &self,
        shape: &[usize],
        layout: Layout,
        stream: &Stream,
        out: &mut [T],
    ) -> Result<()> {
        let plan = self.plan(shape, layout, T::DTYPE)?;
        let n = buffer_len(shape, out.len())?;
        if n == 0 {
            return Ok(());
        }
        match plan {
            Plan::Orthogonal { rows, cols, gain } => {
                orthogonal::orthogonal_matrix(stream, rows, cols, gain, out)
            }
            Plan::DeltaOrthogonal { scale } => delta_orthogonal(shape, layout, stream, scale, out),
            Plan::Sparse {
                rows,
                cols,
                sparsity,
                std,
            } => sparse::fill(stream, rows, cols, sparsity, std, out),
            p => region::fill_runs(&p, shape, stream, &region::Runs::flat(0, n), out),
        }
        Ok(())
    }

    /// Fill `out` with elements `start .. start + out.len()` of the row-major
    /// tensor: exactly the values [`Init::fill`] puts there. Only for
    /// [`Init::is_shardable`] initializers. The flat case of [`Init::fill_region`].
    pub fn fill_range<T: Element>(
        &self,
        shape: &[usize],
        layout: Layout,
        stream: &Stream,
        start: u64,
        out: &mut [T],
    ) -> Result<()> {
        let plan = self.plan(shape, layout, T::DTYPE)?;
        let n = checked_numel(shape)?;
        let end = start.saturating_add(out.len() as u64);
        let range_err = |reason: &str| Error::Range {
            init: self.to_string(),
            start,
            end,
            numel: n,
            reason: reason.to_string(),
        };
        if end > n {
            return Err(range_err("the range ends past the tensor"));
        }
        if !self.is_shardable() {
            return Err(range_err(
                "this initializer depends on the whole tensor; generate it whole with fill",
            ));
        }
        let runs = region::Runs::flat(start, out.len() as u64);
        region::fill_runs(&plan, shape, stream, &runs, out);
        Ok(())
    }

    /// Fill `out` (row-major, `prod(block)` elements) with the rectangular
    /// block of the tensor of `shape` that starts at `offset`: exactly the
    /// values [`Init::fill`] puts at those coordinates. This is what a rank
    /// of a sharded tensor fills (a DTensor `Shard(d)` for any `d`, uneven
    /// shards, a 2-D mesh): its local block, with the values the whole tensor
    /// has there, whatever the number of ranks.
    ///
    /// Element-wise and structured initializers generate only the block,
    /// parallel and at the speed of a whole fill. `orthogonal`,
    /// `delta_orthogonal` and `sparse` depend on the whole tensor: they
    /// generate it whole (time and memory of the full tensor, on every rank)
    /// and copy the block out. (A block of rows of an orthogonal matrix could
    /// be computed in `O(rows * n * k)` flops by applying the Householder
    /// reflectors to rows of the identity, but with a different summation
    /// order than the whole-matrix product, so not bit-identically.)
    ///
    /// ```
    /// use nninit::{Init, Layout, Stream};
    /// let init = Init::normal(0.0, 1.0)?;
    /// let s = Stream::new(7, "w");
    /// let mut whole = vec![0f32; 4 * 6];
    /// init.fill(&[4, 6], Layout::Torch, &s, &mut whole)?;
    /// // columns 2..5 of rows 1..3 (a Shard(1)-style block)
    /// let mut block = vec![0f32; 2 * 3];
    /// init.fill_region(&[4, 6], Layout::Torch, &s, &[1, 2], &[2, 3], &mut block)?;
    /// assert_eq!(block[..3], whole[6 + 2..6 + 5]);
    /// assert_eq!(block[3..], whole[12 + 2..12 + 5]);
    /// # Ok::<(), nninit::Error>(())
    /// ```
    pub fn fill_region<T: Element>(
        &self,
        shape: &[usize],
        layout: Layout,
        stream: &Stream,
        offset: &[usize],
        block: &[usize],
        out: &mut [T],
    ) -> Result<()> {
        let plan = self.plan(shape, layout, T::DTYPE)?;
        let runs = region::Runs::of_block(shape, offset, block)?;
        let len = checked_numel(block)?;
        if out.len() as u64 != len {
            return Err(Error::BadShape {
                shape: format!("{block:?}"),
                reason: format!(
                    "output buffer holds {} elements, the block {len}",
                    out.len()
                ),
            });
        }
        if len == 0 {
            return Ok(());
        }
        if self.is_shardable() {
            region::fill_runs(&plan, shape, stream, &runs, out);
            return Ok(());
        }
        let mut whole = vec![T::default(); checked_numel(shape)? as usize];
        self.fill(shape, layout, stream, &mut whole)?;
        runs.copy_from(&whole, out);
        Ok(())
    }
}

impl Init {
    /// Fill `out` (row-major, `prod(shape)` elements) from a sequential
    /// generator (see [`crate::rng::Sequential`]): the initializer's
    /// distribution, with its parameters computed by the same formulas as
    /// [`Init::fill`], drawn in row-major order, advancing `rng`. Constants,
    /// `eye`, `identity` and `dirac` draw nothing. `orthogonal`,
    /// `delta_orthogonal` and `sparse` are refused ([`Error::Rng`]): the
    /// frameworks compute them through LAPACK or their own selection, which
    /// cannot be reproduced bit for bit. On any error `out` and `rng` are
    /// untouched. Sequential fills have no range or region form: the values
    /// of a slice depend on everything drawn before it.
    ///
    /// ```
    /// use nninit::{rng::NumpyLegacy, Init, Layout};
    /// // np.random.seed(1); W1 = np.random.randn(4, 5) * 0.01
    /// let mut g = NumpyLegacy::new(1)?;
    /// let mut w1 = vec![0f64; 4 * 5];
    /// Init::normal(0.0, 0.01)?.fill_sequential(&[4, 5], Layout::Torch, &mut g, &mut w1)?;
    /// assert_eq!(w1[0], 1.6243453636632417 * 0.01);
    /// # Ok::<(), nninit::Error>(())
    /// ```
    pub fn fill_sequential<T: Element, R: crate::rng::Sequential>(
        &self,
        shape: &[usize],
        layout: Layout,
        rng: &mut R,
        out: &mut [T],
    ) -> Result<()> {
        let plan = self.plan(shape, layout, T::DTYPE)?;
        let n = buffer_len(shape, out.len())?;
        match plan {
            Plan::Elementwise(d) => rng.sample(&d, out),
            // structured plans read no random numbers: any stream will do
            p @ (Plan::Eye { .. } | Plan::Dirac { .. }) => {
                let none = Stream::from_key([0, 0]);
                region::fill_runs(&p, shape, &none, &region::Runs::flat(0, n), out);
                Ok(())
            }
            Plan::Orthogonal { .. } | Plan::DeltaOrthogonal { .. } | Plan::Sparse { .. } => {
                Err(Error::Rng {
                    rng: rng.name(),
                    what: self.name().to_string(),
                    reason: "the framework computes it through LAPACK or its own selection, which cannot be reproduced bit for bit; use the default rng (nninit)".into(),
                })
            }
        }
    }
}

/// (in, out) channels of a convolution kernel.
fn io_channels(shape: &[usize], layout: Layout) -> (usize, usize) {
    match layout {
        Layout::Torch => (shape[1], shape[0]),
        Layout::Keras => (shape[shape.len() - 2], shape[shape.len() - 1]),
    }
}

/// JAX `delta_orthogonal(scale)`: zeros except the centre tap (index
/// `(k - 1) // 2` in every spatial dimension), which holds an orthogonal
/// `in x out` matrix (keras layout; `out x in` under torch) times `scale`.
fn delta_orthogonal<T: Element>(
    shape: &[usize],
    layout: Layout,
    stream: &Stream,
    scale: f64,
    out: &mut [T],
) {
    let (cin, cout) = io_channels(shape, layout);
    let mut m = vec![T::default(); cin * cout];
    out.fill(T::from_f64(0.0));
    match layout {
        Layout::Keras => {
            // [*k, in, out]: centre tap is a contiguous in x out block
            orthogonal::orthogonal_matrix(stream, cin, cout, scale, &mut m);
            let k = &shape[..shape.len() - 2];
            let mut tap = 0usize;
            for &d in k {
                tap = tap * d + (d - 1) / 2;
            }
            out[tap * cin * cout..(tap + 1) * cin * cout].copy_from_slice(&m);
        }
        Layout::Torch => {
            // [out, in, *k]: element (o, i, centre)
            orthogonal::orthogonal_matrix(stream, cout, cin, scale, &mut m);
            let k = &shape[2..];
            let taps: usize = k.iter().product();
            let mut tap = 0usize;
            for &d in k {
                tap = tap * d + (d - 1) / 2;
            }
            for o in 0..cout {
                for i in 0..cin {
                    out[(o * cin + i) * taps + tap] = m[o * cin + i];
                }
            }
        }
    }
}

/// An interval must lie within the output dtype's finite range and contain
/// at least one of its values.
fn check_representable(init: &str, a: f64, b: f64, dtype: DType) -> Result<()> {
    let max = max_finite(dtype);
    if a.abs() > max || b.abs() > max {
        return Err(Error::BadParam {
            init: init.to_string(),
            param: "a, b".into(),
            value: format!("[{a}, {b}]"),
            expected: format!("bounds within the finite range of {dtype} (+-{max:e})"),
        });
    }
    let ok = [a, b, a / 2.0 + b / 2.0].iter().any(|&x| {
        let r = round_to(x, dtype);
        a <= r && r <= b
    });
    if ok {
        Ok(())
    } else {
        Err(Error::BadParam {
            init: init.to_string(),
            param: "a, b".into(),
            value: format!("[{a}, {b}]"),
            expected: format!("an interval that contains at least one {dtype} value; widen it or use a wider dtype"),
        })
    }
}
