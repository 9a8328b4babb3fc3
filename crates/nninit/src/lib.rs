//! # nninit
//!
//! Neural-network parameter initialization with the exact semantics of
//! PyTorch's `torch.nn.init`, Keras and JAX, on reproducible counter-based
//! random streams.
//!
//! Every value is a pure function of `(seed, tensor name, element index)`
//! ([`Stream`]), so the same seed gives bit-identical tensors for any thread
//! count, any block size, and when only a slice of a tensor is generated
//! ([`Init::fill_range`]).
//!
//! ```
//! use nninit::{Init, Layout, Stream};
//! // The seed document's He initialization for a ReLU layer of 784 -> 256:
//! let init = Init::parse("kaiming_normal(nonlinearity=relu)").unwrap();
//! let mut w = vec![0f32; 256 * 784];
//! init.fill(&[256, 784], Layout::Torch, &Stream::new(1, "w1"), &mut w).unwrap();
//! let var = w.iter().map(|x| (x * x) as f64).sum::<f64>() / w.len() as f64;
//! assert!((var - 2.0 / 784.0).abs() < 0.05 * 2.0 / 784.0);
//! ```

#![deny(unsafe_code)]

pub mod data;
pub mod dist;
pub mod dtype;
pub mod error;
pub mod experiment;
pub mod init;
pub mod io;
mod linalg;
pub mod model;
pub mod nn;
pub mod probe;
pub mod rng;
pub mod simd;
#[cfg(target_arch = "x86_64")]
mod simd_x86;
pub mod train;

pub use dtype::{DType, Element};
pub use error::{Error, Result};
pub use init::fan::{fans, FanMode, Fans, Layout};
pub use init::gain::calculate_gain;
pub use init::Init;
#[cfg(feature = "rand_core")]
pub use rng::PhiloxRng;
pub use rng::Stream;
