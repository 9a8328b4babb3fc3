//! The distribution initializers that need no fans: `uniform`, `normal`,
//! `trunc_normal`, and the fills `constant`, `zeros`, `ones`.
//!
//! The classic textbook recipes are spelled with these:
//! - `normal(std=0.01)`: `np.random.randn(n_l, n_{l-1}) * 0.01`;
//! - `uniform(a=-0.12, b=0.12)`: every weight in [-epsilon, epsilon] (pick epsilon).

use crate::dist::{Dist, TruncNormal};

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
        Dist::TruncNormal(TruncNormal::new(mean, std, a, b))
    }
}

/// `constant(val)`, `zeros`, `ones`: every element equal to `val`; any rank.
/// Matches `torch.nn.init.constant_` / `zeros_` / `ones_`. On a weight matrix
/// this is the *symmetry problem*: every unit computes the same
/// function and receives the same gradient forever.
pub(crate) fn constant(val: f64) -> Dist {
    Dist::Constant(val)
}
