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

    /// Called once before each tensor is filled (whatever its init: a
    /// constant or `eye` too), so a family that keys each tensor by its
    /// position ([`JaxRandom::per_tensor`]) can advance. Nothing by default.
    fn begin_tensor(&mut self) {}

    /// Draw `out.len()` values of `dist` in order, advancing the state. A
    /// distribution the family cannot reproduce is an [`crate::Error::Rng`],
    /// with `out` and the state untouched. Constants draw nothing.
    fn sample<T: Element>(&mut self, dist: &Dist, out: &mut [T]) -> Result<()>;
}

pub use super::jax_random::{JaxFlags, JaxRandom};
pub use super::numpy::NumpyLegacy;
pub use super::numpy_default::NumpyDefault;

pub use super::torch::TorchCpu;
use crate::error::Error;

/// Which generator family fills the tensors: nninit's own keyed streams
/// (random access: any slice, any thread count) or a framework's global
/// generator replayed sequentially.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RngKind {
    /// nninit's Philox streams keyed by (seed, tensor name).
    #[default]
    Nninit,
    /// NumPy's legacy `np.random.seed` generator ([`NumpyLegacy`]).
    Numpy,
    /// NumPy's `np.random.default_rng(seed)` (PCG64, [`NumpyDefault`]).
    NumpyDefault,
    /// PyTorch's CPU generator after `torch.manual_seed` ([`TorchCpu`]).
    Torch,
    /// JAX's `jax.random` (threefry2x32; [`JaxRandom`]: tensor `i` drawn
    /// from `fold_in(key(seed), i)`).
    Jax,
}

impl RngKind {
    /// The names `--rng` accepts.
    pub const NAMES: [&'static str; 5] = ["nninit", "numpy", "numpy-default", "torch", "jax"];

    /// Parse `nninit`, `numpy`, `numpy-default`, `torch` or `jax`.
    pub fn parse(s: &str) -> Result<RngKind> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "nninit" => RngKind::Nninit,
            "numpy" => RngKind::Numpy,
            "numpy-default" | "numpy_default" => RngKind::NumpyDefault,
            "torch" => RngKind::Torch,
            "jax" => RngKind::Jax,
            _ => return Err(Error::unknown_name("rng", s, &Self::NAMES)),
        })
    }

    /// The name as `--rng` spells it.
    pub fn name(self) -> &'static str {
        match self {
            RngKind::Nninit => "nninit",
            RngKind::Numpy => "numpy",
            RngKind::NumpyDefault => "numpy-default",
            RngKind::Torch => "torch",
            RngKind::Jax => "jax",
        }
    }

    /// The framework generator seeded with `seed`, or None for nninit's
    /// own streams. An error for a seed the framework rejects.
    /// A seed as this family takes it, from any whole number a front end
    /// was given: nninit's streams take `[0, 2^64)`; `numpy` takes
    /// `[0, 2^32)` (`np.random.seed`'s rule); `torch` takes
    /// `[-2^63, 2^64)` as `torch.manual_seed` does, a negative seed being its
    /// 64-bit two's complement (`torch.manual_seed(-1)` seeds 2^64 - 1).
    pub fn seed(self, seed: i128) -> Result<u64> {
        let (lo, hi, rule): (i128, i128, &str) = match self {
            RngKind::Nninit => (0, u64::MAX as i128, "a whole number in [0, 2^64)"),
            RngKind::Numpy => (
                0,
                u32::MAX as i128,
                "a whole number in [0, 2^32) (np.random.seed's range)",
            ),
            RngKind::NumpyDefault => (
                0,
                u64::MAX as i128,
                "a whole number in [0, 2^64) here (np.random.default_rng takes any integer >= 0: larger seeds and lists through nninit::rng::NumpyDefault or the Python package)",
            ),
            RngKind::Torch => (
                i64::MIN as i128,
                u64::MAX as i128,
                "a whole number in [-2^63, 2^64) (torch.manual_seed's range)",
            ),
            RngKind::Jax => (
                i64::MIN as i128,
                i64::MAX as i128,
                "a whole number in [-2^63, 2^63) (jax.random.key's range)",
            ),
        };
        if seed < lo || seed > hi {
            return Err(Error::BadSeed {
                rng: self.name(),
                seed: seed.to_string(),
                expected: rule,
            });
        }
        Ok(if seed < 0 {
            seed as i64 as u64
        } else {
            seed as u64
        })
    }

    /// The generator of this family after seeding it with `seed` (None for
    /// nninit's keyed streams), reproducing torch's kernel build for
    /// `aten_capability`, the value of torch's `ATEN_CPU_CAPABILITY`
    /// environment variable (the caller reads it: see
    /// [`TorchKernels::for_capability`]).
    pub fn sequential_for(
        self,
        seed: u64,
        aten_capability: Option<&str>,
    ) -> Result<Option<FrameworkRng>> {
        Ok(match self {
            RngKind::Torch => Some(FrameworkRng::Torch(TorchCpu::with_kernels(
                seed,
                super::torch::TorchKernels::for_capability(aten_capability),
            ))),
            other => other.sequential(seed)?,
        })
    }

    /// The generator of this family after seeding it with `seed` (None for
    /// nninit's keyed streams), with torch's default kernels for this CPU.
    pub fn sequential(self, seed: u64) -> Result<Option<FrameworkRng>> {
        Ok(match self {
            RngKind::Nninit => None,
            RngKind::Numpy => Some(FrameworkRng::Numpy(NumpyLegacy::new(seed)?)),
            RngKind::NumpyDefault => Some(FrameworkRng::NumpyDefault(NumpyDefault::new(
                u128::from(seed),
            ))),
            RngKind::Torch => Some(FrameworkRng::Torch(TorchCpu::new(seed))),
            // `seed` as [`RngKind::seed`] gives it: a negative seed's two's complement
            RngKind::Jax => Some(FrameworkRng::Jax(JaxRandom::new(
                seed as i64,
                JaxFlags::default(),
            ))),
        })
    }
}

/// One of the framework generators, chosen at run time.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum FrameworkRng {
    /// `np.random.seed`.
    Numpy(NumpyLegacy),
    /// `np.random.default_rng`.
    NumpyDefault(NumpyDefault),
    /// `torch.manual_seed`.
    Torch(TorchCpu),
    /// `jax.random.key`.
    Jax(JaxRandom),
}

impl Sequential for FrameworkRng {
    fn name(&self) -> &'static str {
        match self {
            FrameworkRng::Numpy(g) => g.name(),
            FrameworkRng::NumpyDefault(g) => g.name(),
            FrameworkRng::Torch(g) => g.name(),
            FrameworkRng::Jax(g) => g.name(),
        }
    }

    fn begin_tensor(&mut self) {
        if let FrameworkRng::Jax(g) = self {
            g.begin_tensor()
        }
    }

    fn sample<T: Element>(&mut self, dist: &Dist, out: &mut [T]) -> Result<()> {
        match self {
            FrameworkRng::Numpy(g) => g.sample(dist, out),
            FrameworkRng::NumpyDefault(g) => g.sample(dist, out),
            FrameworkRng::Torch(g) => g.sample(dist, out),
            FrameworkRng::Jax(g) => g.sample(dist, out),
        }
    }
}
