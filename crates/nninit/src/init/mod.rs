//! Initializers: the [`Init`] value (what to compute, validated) and how it
//! fills a tensor of a given shape, layout and dtype.
//!
//! One family is one file, holding its type, its validated constructor, its
//! spellings in the expression language, its shape rules and its formula
//! with the source: [`basic`] (uniform, normal, trunc_normal, constant,
//! zeros, ones), [`xavier`], [`kaiming`] (and `torch_default`,
//! `torch_default_bias`), [`variance_scaling`] (Keras/JAX and the
//! glorot/he/lecun presets), [`orthogonal`] (and delta_orthogonal),
//! [`sparse`], [`structured`] (eye, identity, dirac). `registry.rs` lists
//! the families, one line each, and makes the [`Init`] enum of them
//! ([`family`] says what a family provides). [`fan`] and [`gain`] are the
//! single source of truth for fans and gains; [`expr`] parses
//! `name(key=value, ...)`. This file holds what every initializer shares:
//! the fill paths (whole, range, region, sequential) over a [`Plan`].

pub mod basic;
pub mod expr;
pub mod family;
pub mod fan;
pub mod gain;
pub mod kaiming;
pub mod orthogonal;
mod region;
mod registry;
pub mod sparse;
pub mod structured;
pub mod variance_scaling;
pub mod xavier;

use crate::dist::{max_finite, round_to, Dist};
use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::rng::Stream;
pub use family::{Draw, Spelling};
use fan::Layout;
pub use registry::{spellings, Init};
pub use variance_scaling::VsDistribution;

/// What filling a particular tensor takes, once shape, layout and dtype are known.
#[derive(Debug, Clone)]
pub(crate) enum Plan {
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

    fn plan(&self, shape: &[usize], layout: Layout, dtype: DType) -> Result<Plan> {
        self.family_validate()?;
        checked_numel(shape)?;
        let p = self.family_plan(&family::Target {
            name: self.name(),
            shape,
            layout,
            dtype,
        })?;
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
                let (i, o) = orthogonal::io_channels(shape, layout);
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

    /// The same distribution on a tensor of `shape` with every value
    /// multiplied by `c > 0`, as an explicit `uniform`, `normal`,
    /// `trunc_normal` or `constant` (a fan-dependent initializer is resolved
    /// for `shape` first): muP's readout std divided by sqrt(m), its biases'
    /// bound at the base fan_in. A scaled uniform or normal draws the same
    /// stream, so its values are the unscaled ones times `c` (to rounding).
    /// Structured and whole-tensor initializers (orthogonal, eye, dirac,
    /// sparse) are refused.
    pub fn scaled(&self, c: f64, shape: &[usize], layout: Layout) -> Result<Init> {
        if !(c.is_finite() && c > 0.0) {
            return Err(Error::BadOption {
                option: "scale",
                value: c.to_string(),
                expected: "a finite number > 0".into(),
            });
        }
        match self.plan(shape, layout, DType::F64)? {
            Plan::Elementwise(Dist::Uniform { lo, hi }) => Init::uniform(lo * c, hi * c),
            Plan::Elementwise(Dist::Normal { mean, std }) => Init::normal(mean * c, std * c),
            Plan::Elementwise(Dist::TruncNormal(t)) => {
                let (mean, std, a, b) = t.params();
                Init::trunc_normal(mean * c, std * c, a * c, b * c)
            }
            Plan::Elementwise(Dist::Constant(v)) => Init::constant(v * c),
            _ => Err(Error::Unsupported(format!(
                "`{self}` is a structured initializer: it cannot be rescaled elementwise"
            ))),
        }
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
            Plan::DeltaOrthogonal { scale } => {
                orthogonal::delta_orthogonal(shape, layout, stream, scale, out)
            }
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
        rng.begin_tensor();
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
