//! Counter-based random numbers: the Philox4x32-10 block function and the way
//! nninit keys a stream by (seed, tensor name).
//!
//! Every random value nninit produces is a pure function of
//! `(seed, tensor name, distribution tag, element index)`: there is no
//! generator state to advance, so any block of a tensor can be generated
//! independently, in any order, on any number of threads, and gives the same
//! bits as generating the whole tensor serially.
//!
//! Beside them, the sequential family ([`Sequential`]): generators with one
//! advancing state, as the frameworks' global generators have, for
//! reproducing their numbers ([`NumpyLegacy`], [`NumpyDefault`], [`TorchCpu`]).

mod jax_random;
mod mt19937;
mod numpy;
mod numpy_default;
mod pcg64;
mod philox;
#[cfg(feature = "rand_core")]
mod philox_rng;
mod sequential;
mod stream;
pub mod threefry;
mod torch;
mod torch_avx2;
mod xla_math;
mod ziggurat;

pub use numpy_default::NumpyDefault;
pub use philox::philox4x32_10;
pub(crate) use philox::{philox_lanes, philox_lanes_at};
pub(crate) use philox::{PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1};
#[cfg(feature = "rand_core")]
pub use philox_rng::PhiloxRng;
pub use sequential::{
    FrameworkRng, JaxFlags, JaxRandom, NumpyLegacy, RngKind, Sequential, TorchCpu,
};
pub(crate) use stream::counter;
pub use stream::{Stream, Tag};
pub use torch::TorchKernels;
pub(crate) use torch::{torch_affine_f32, torch_affine_f64, torch_normal16_f64};
pub(crate) use torch_avx2::normal16 as torch_normal16_f32;
