//! The distribution initializers that need no fans: `uniform`, `normal`,
//! `trunc_normal`, and the fills `constant`, `zeros`, `ones`.
//!
//! The classic textbook recipes are spelled with these:
//! - `normal(std=0.01)`: `np.random.randn(n_l, n_{l-1}) * 0.01`;
//! - `uniform(a=-0.12, b=0.12)`: every weight in [-epsilon, epsilon] (pick epsilon).

use super::expr::Args;
use super::family::{bad, finite, nonneg, num, Family, Spelling, Target};
use super::{Init, Plan};
use crate::dist::{max_finite, round_to, Dist, TruncNormal as TruncDist};
use crate::dtype::DType;
use crate::error::{Error, Result};
use std::fmt;

/// `uniform(a=0, b=1)`: U(a, b). Matches `torch.nn.init.uniform_`.
/// Values are `a + (b - a) * u` with `u` in [0, 1) (24 bits in f32, 53 in f64).
pub(crate) fn uniform(a: f64, b: f64) -> Dist {
    Dist::Uniform { lo: a, hi: b }
}

/// `normal(mean=0, std=1)`: N(mean, std^2). Matches `torch.nn.init.normal_`.
pub(crate) fn normal(mean: f64, std: f64) -> Dist {
    Dist::Normal { mean, std }
}

/// `trunc_normal(mean=0, std=1, a=-2, b=2)`: N(mean, std^2) restricted to
/// [a, b]. Matches `torch.nn.init.trunc_normal_`: **a and b are absolute
/// values, not multiples of std**, and std is the parent normal's (the result's
/// std is smaller). Exact rejection sampling: never outside [a, b] after
/// rounding to the output dtype, no pile-up at the bounds (see [`TruncNormal`]).
pub(crate) fn trunc_normal(mean: f64, std: f64, a: f64, b: f64) -> Dist {
    if std == 0.0 {
        Dist::Constant(mean)
    } else {
        Dist::TruncNormal(TruncDist::new(mean, std, a, b))
    }
}

/// `constant(val)`, `zeros`, `ones`: every element equal to `val`; any rank.
/// Matches `torch.nn.init.constant_` / `zeros_` / `ones_`. On a weight matrix
/// this is the *symmetry problem*: every unit computes the same
/// function and receives the same gradient forever.
pub(crate) fn constant(val: f64) -> Dist {
    Dist::Constant(val)
}

impl Init {
    /// `uniform(a=0, b=1)`: U(a, b), `a <= b`, both finite. See [`uniform`].
    pub fn uniform(a: f64, b: f64) -> Result<Init> {
        Uniform::new(a, b).map(Init::Uniform)
    }

    /// `normal(mean=0, std=1)`: N(mean, std^2), `std >= 0`. See [`normal`].
    pub fn normal(mean: f64, std: f64) -> Result<Init> {
        Normal::new(mean, std).map(Init::Normal)
    }

    /// `trunc_normal(mean=0, std=1, a=-2, b=2)`: N(mean, std^2) restricted to
    /// the absolute bounds [a, b] (not multiples of std). `std = 0` needs
    /// `a <= mean <= b`. See [`trunc_normal`].
    pub fn trunc_normal(mean: f64, std: f64, a: f64, b: f64) -> Result<Init> {
        TruncNormal::new(mean, std, a, b).map(Init::TruncNormal)
    }

    /// `constant(val)`: every element `val` (finite).
    pub fn constant(val: f64) -> Result<Init> {
        Constant::new(val, "constant").map(Init::Constant)
    }

    /// `zeros`.
    pub fn zeros() -> Init {
        Init::Constant(Constant {
            val: 0.0,
            spelling: "zeros",
        })
    }

    /// `ones`.
    pub fn ones() -> Init {
        Init::Constant(Constant {
            val: 1.0,
            spelling: "ones",
        })
    }
}

/// `uniform(a=0, b=1)`: see [`uniform`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Uniform {
    /// Lower bound.
    pub a: f64,
    /// Upper bound (>= a).
    pub b: f64,
}

impl Uniform {
    fn new(a: f64, b: f64) -> Result<Uniform> {
        let (a, b) = (finite("uniform", "a", a)?, finite("uniform", "b", b)?);
        if a > b {
            return Err(bad("uniform", "a", a, format!("a <= b (b is {b})")));
        }
        Ok(Uniform { a, b })
    }
}

impl Family for Uniform {
    const SPELLINGS: &'static [Spelling] = &[Spelling {
        name: "uniform",
        params: &["a", "b"],
        about: "U(a, b) (torch.nn.init.uniform_)",
    }];
    fn parse(_: &str, args: &mut Args) -> Result<Self> {
        Uniform::new(args.num("a", 0.0)?, args.num("b", 1.0)?)
    }
    fn validate(&self) -> Result<()> {
        Uniform::new(self.a, self.b).map(|_| ())
    }
    fn plan(&self, _: &Target) -> Result<Plan> {
        Ok(Plan::Elementwise(uniform(self.a, self.b)))
    }
    fn fmt_params(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(a={}, b={})", num(self.a), num(self.b))
    }
}

/// `normal(mean=0, std=1)`: see [`normal`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Normal {
    /// Mean.
    pub mean: f64,
    /// Standard deviation (>= 0).
    pub std: f64,
}

impl Normal {
    fn new(mean: f64, std: f64) -> Result<Normal> {
        Ok(Normal {
            mean: finite("normal", "mean", mean)?,
            std: nonneg("normal", "std", std)?,
        })
    }
}

impl Family for Normal {
    const SPELLINGS: &'static [Spelling] = &[Spelling {
        name: "normal",
        params: &["mean", "std"],
        about: "N(mean, std^2) (torch.nn.init.normal_)",
    }];
    fn parse(_: &str, args: &mut Args) -> Result<Self> {
        Normal::new(args.num("mean", 0.0)?, args.nonneg("std", 1.0)?)
    }
    fn validate(&self) -> Result<()> {
        Normal::new(self.mean, self.std).map(|_| ())
    }
    fn plan(&self, _: &Target) -> Result<Plan> {
        Ok(Plan::Elementwise(normal(self.mean, self.std)))
    }
    fn fmt_params(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(mean={}, std={})", num(self.mean), num(self.std))
    }
}

/// `trunc_normal(mean=0, std=1, a=-2, b=2)`: see [`trunc_normal`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct TruncNormal {
    /// Mean of the parent normal.
    pub mean: f64,
    /// Std of the parent normal (>= 0).
    pub std: f64,
    /// Absolute lower bound.
    pub a: f64,
    /// Absolute upper bound.
    pub b: f64,
}

impl TruncNormal {
    fn new(mean: f64, std: f64, a: f64, b: f64) -> Result<TruncNormal> {
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
        TruncDist::check(mean, std, a, b).map_err(|why| bad(N, "std", std, why))?;
        Ok(TruncNormal { mean, std, a, b })
    }
}

impl Family for TruncNormal {
    const SPELLINGS: &'static [Spelling] = &[Spelling {
        name: "trunc_normal",
        params: &["mean", "std", "a", "b"],
        about:
            "N(mean, std^2) restricted to the absolute bounds [a, b] (torch.nn.init.trunc_normal_)",
    }];
    fn parse(_: &str, args: &mut Args) -> Result<Self> {
        let mean = args.num("mean", 0.0)?;
        let std = args.nonneg("std", 1.0)?;
        TruncNormal::new(mean, std, args.num("a", -2.0)?, args.num("b", 2.0)?)
    }
    fn validate(&self) -> Result<()> {
        TruncNormal::new(self.mean, self.std, self.a, self.b).map(|_| ())
    }
    fn plan(&self, t: &Target) -> Result<Plan> {
        let (mean, a, b, dtype) = (self.mean, self.a, self.b, t.dtype);
        check_representable(t.name, a, b, dtype)?;
        if self.std == 0.0 {
            // the constant `mean`, rounded, must still lie in [a, b]
            check_representable(t.name, mean, mean, dtype)
                .and_then(|_| check_representable(t.name, a, mean, dtype))?;
            let r = round_to(mean, dtype);
            if !(a <= r && r <= b) {
                return Err(bad(
                    t.name,
                    "mean",
                    mean,
                    format!("with std=0, a mean whose {dtype} rounding ({r}) lies in [a, b]"),
                ));
            }
        }
        Ok(Plan::Elementwise(trunc_normal(mean, self.std, a, b)))
    }
    fn fmt_params(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "(mean={}, std={}, a={}, b={})",
            num(self.mean),
            num(self.std),
            num(self.a),
            num(self.b)
        )
    }
}

/// `constant(val)`, `zeros`, `ones`: see [`constant`]. `zeros` and `ones`
/// are spellings of their own (not equal to `constant(val=0)`, whose
/// expression differs).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Constant {
    /// The value.
    pub val: f64,
    spelling: &'static str,
}

impl Constant {
    fn new(val: f64, spelling: &'static str) -> Result<Constant> {
        Ok(Constant {
            val: finite("constant", "val", val)?,
            spelling,
        })
    }
}

impl Family for Constant {
    const SPELLINGS: &'static [Spelling] = &[
        Spelling {
            name: "constant",
            params: &["val"],
            about: "every element val (torch.nn.init.constant_)",
        },
        Spelling {
            name: "zeros",
            params: &[],
            about: "every element 0: the symmetry problem on a weight",
        },
        Spelling {
            name: "ones",
            params: &[],
            about: "every element 1 (norm layers' weights)",
        },
    ];
    fn parse(name: &str, args: &mut Args) -> Result<Self> {
        match name {
            "zeros" => Constant::new(0.0, "zeros"),
            "ones" => Constant::new(1.0, "ones"),
            _ => {
                args.required("val", "constant needs a value, e.g. constant(val=0.1)")?;
                Constant::new(args.num("val", 0.0)?, "constant")
            }
        }
    }
    fn name(&self) -> &'static str {
        self.spelling
    }
    fn validate(&self) -> Result<()> {
        Constant::new(self.val, self.spelling).map(|_| ())
    }
    fn plan(&self, _: &Target) -> Result<Plan> {
        Ok(Plan::Elementwise(constant(self.val)))
    }
    fn fmt_params(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.spelling {
            "constant" => write!(f, "(val={})", num(self.val)),
            _ => Ok(()),
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
            expected: format!(
                "an interval that contains at least one {dtype} value; widen it or use a wider dtype"
            ),
        })
    }
}
