//! # nninit
//!
//! Neural-network parameter initialization with the exact semantics of
//! PyTorch's `torch.nn.init`, Keras and JAX, on reproducible counter-based
//! random streams. This crate is the core: streams, distributions,
//! initializers, fans, gains and the init expression language, with no file,
//! plotting or training concerns (those are `nninit-io` and `nninit-lab`).
//!
//! Every value is a pure function of `(seed, tensor name, element index)`
//! ([`Stream`]), so the same seed gives bit-identical tensors for any thread
//! count, and any block of a tensor can be generated on its own with the
//! values the whole tensor has there ([`Init::fill_region`]): a sharded
//! model gets the same weights on 1 or 1000 ranks.
//!
//! ```
//! use nninit::{Init, Layout, Stream};
//! // He initialization for a ReLU layer of 784 -> 256 (std = sqrt(2 / 784)):
//! let init = Init::parse("kaiming_normal(nonlinearity=relu)").unwrap();
//! let mut w = vec![0f32; 256 * 784];
//! init.fill(&[256, 784], Layout::Torch, &Stream::new(1, "w1"), &mut w).unwrap();
//! let var = w.iter().map(|x| (x * x) as f64).sum::<f64>() / w.len() as f64;
//! assert!((var - 2.0 / 784.0).abs() < 0.05 * 2.0 / 784.0);
//!
//! // The same initializer built without parsing; invalid values are errors, not panics:
//! assert_eq!(Init::parse("normal(std=0.01)").unwrap(), Init::normal(0.0, 0.01).unwrap());
//! assert!(Init::normal(0.0, -1.0).is_err());
//! ```

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod activation;
// used by the x86-64 dispatch in `simd.rs` (elsewhere only by its tests)
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
mod activation_f32;
pub mod dist;
pub mod dtype;
pub mod error;
pub mod init;
pub mod jax_initializers;
mod linalg;
pub mod rng;
pub mod simd;
#[cfg(target_arch = "x86_64")]
mod simd_x86;

pub use activation::Activation;
pub use dist::Dist;
pub use dtype::{DType, Element};
pub use error::{Error, Result};
pub use init::fan::{fans, FanMode, Fans, Layout};
pub use init::gain::{calculate_gain, Nonlinearity};
pub use init::Init;
#[cfg(feature = "rand_core")]
pub use rng::PhiloxRng;
pub use rng::Stream;
