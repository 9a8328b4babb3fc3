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
pub mod sparse;
pub mod structured;
pub mod variance_scaling;
pub mod xavier;

use crate::dist::Dist;
use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::rng::Stream;
use fan::{fans_for, FanMode, Layout};
use variance_scaling::VsDistribution;

/// An initializer with validated parameters. Build one with [`Init::parse`]
/// (`"kaiming_normal(mode=fan_out, nonlinearity=relu)"`) or directly.
/// Its `Display` is the canonical expression with every parameter spelled out.
#[derive(Debug, Clone, PartialEq)]
pub enum Init {
    Uniform {
        a: f64,
        b: f64,
    },
    Normal {
        mean: f64,
        std: f64,
    },
    TruncNormal {
        mean: f64,
        std: f64,
        a: f64,
        b: f64,
    },
    Constant {
        val: f64,
    },
    Zeros,
    Ones,
    Eye,
    Identity {
        gain: f64,
    },
    Dirac {
        groups: usize,
    },
    XavierUniform {
        gain: f64,
    },
    XavierNormal {
        gain: f64,
    },
    KaimingUniform {
        a: f64,
        mode: FanMode,
        nonlinearity: String,
    },
    KaimingNormal {
        a: f64,
        mode: FanMode,
        nonlinearity: String,
    },
    Orthogonal {
        gain: f64,
    },
    DeltaOrthogonal {
        scale: f64,
    },
    Sparse {
        sparsity: f64,
        std: f64,
    },
    TorchDefault,
    TorchDefaultBias {
        fan_in: u64,
    },
    /// `preset` is the Keras/JAX name (`he_normal`, ...) when built from one.
    VarianceScaling {
        scale: f64,
        mode: FanMode,
        distribution: VsDistribution,
        preset: Option<&'static str>,
    },
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

fn numel(shape: &[usize]) -> u64 {
    shape.iter().map(|&d| d as u64).product()
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
            Init::KaimingUniform { a, mode, nonlinearity } => {
                Plan::Elementwise(kaiming::kaiming_uniform(fans()?, *a, *mode, nonlinearity)?)
            }
            Init::KaimingNormal { a, mode, nonlinearity } => {
                Plan::Elementwise(kaiming::kaiming_normal(fans()?, *a, *mode, nonlinearity)?)
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
                let n = numel(shape) as usize;
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
        Ok(p)
    }

    /// E[w^2] of an element of a tensor of `shape`: the sigma_w^2 / fan_in of
    /// mean-field theory, known before generating anything.
    pub fn second_moment(&self, shape: &[usize], layout: Layout) -> Result<f64> {
        let n = numel(shape).max(1) as f64;
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
    pub fn fill<T: Element>(
        &self,
        shape: &[usize],
        layout: Layout,
        stream: &Stream,
        out: &mut [T],
    ) -> Result<()> {
        let n = numel(shape);
        if out.len() as u64 != n {
            return Err(Error::BadShape {
                shape: format!("{shape:?}"),
                reason: format!("output buffer holds {} elements, the shape {n}", out.len()),
            });
        }
        let plan = self.plan(shape, layout, T::DTYPE)?;
        if n == 0 {
            return Ok(());
        }
        match plan {
            Plan::Orthogonal { rows, cols, gain } => {
                orthogonal::orthogonal_matrix(stream, rows, cols, gain, out);
                Ok(())
            }
            Plan::DeltaOrthogonal { scale } => {
                delta_orthogonal(shape, layout, stream, scale, out);
                Ok(())
            }
            Plan::Sparse {
                rows,
                cols,
                sparsity,
                std,
            } => {
                sparse::fill(stream, rows, cols, sparsity, std, out);
                Ok(())
            }
            p => {
                fill_shardable(&p, shape, stream, 0, out);
                Ok(())
            }
        }
    }

    /// Fill `out` with elements `start .. start + out.len()` of the row-major
    /// tensor: exactly the values [`Init::fill`] puts there. Only for
    /// [`Init::is_shardable`] initializers.
    pub fn fill_range<T: Element>(
        &self,
        shape: &[usize],
        layout: Layout,
        stream: &Stream,
        start: u64,
        out: &mut [T],
    ) -> Result<()> {
        let n = numel(shape);
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
        let plan = self.plan(shape, layout, T::DTYPE)?;
        if !self.is_shardable() {
            return Err(range_err(
                "this initializer depends on the whole tensor; generate it whole with fill",
            ));
        }
        fill_shardable(&plan, shape, stream, start, out);
        Ok(())
    }
}

fn fill_shardable<T: Element>(
    plan: &Plan,
    shape: &[usize],
    stream: &Stream,
    start: u64,
    out: &mut [T],
) {
    match plan {
        Plan::Elementwise(d) => d.fill(stream, start, out),
        Plan::Eye { cols, gain } => structured::fill_eye(out, start, *cols, *gain),
        Plan::Dirac { groups } => structured::fill_dirac(out, start, shape, *groups),
        _ => unreachable!("not a shardable plan"),
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

/// An interval must contain at least one value of the output dtype.
fn check_representable(init: &str, a: f64, b: f64, dtype: DType) -> Result<()> {
    let round = |x: f64| -> f64 {
        match dtype {
            DType::F64 => x,
            DType::F32 => x as f32 as f64,
            DType::BF16 => half::bf16::from_f64(x).to_f64(),
            DType::F16 => half::f16::from_f64(x).to_f64(),
        }
    };
    let ok = [a, b, (a + b) / 2.0].iter().any(|&x| {
        let r = round(x);
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
