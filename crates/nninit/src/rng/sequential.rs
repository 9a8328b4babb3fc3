//! The sequential generator family: one mutable state that advances as it
//! draws, consumed serially in a documented order, as the frameworks'
//! global generators are (`np.random.seed`, `torch.manual_seed`).
//!
//! Beside nninit's random-access [`Stream`](super::Stream)s (any block of any
//! tensor, any thread count), a [`Sequential`] generator can only fill whole
//! tensors, one after another: the order of the calls is part of the result.
//! That is decided by the types: [`crate::Init::fill_sequential`] takes
//! `&mut impl Sequential` and has no range or region form.
//!
//! A [`crate::Dist`] says *what* to sample; each family says *how*:
//! [`NumpyLegacy`] draws a uniform as `lo + (hi - lo) * random_sample()` and a
//! normal with NumPy's polar method, where nninit's streams use their own
//! kernels (Box-Muller on Philox words).

use crate::dist::Dist;
use crate::dtype::Element;
use crate::error::Result;

/// A generator whose state advances as it draws (see the module docs).
pub trait Sequential {
    /// The family's name (as `--rng` spells it).
    fn name(&self) -> &'static str;

    /// Draw `out.len()` values of `dist` in order, advancing the state. A
    /// distribution the family cannot reproduce is an [`crate::Error::Rng`],
    /// with `out` and the state untouched. Constants draw nothing.
    fn sample<T: Element>(&mut self, dist: &Dist, out: &mut [T]) -> Result<()>;
}

pub use super::numpy::NumpyLegacy;
