//! # nninit-io
//!
//! Files and model specs for [nninit](https://docs.rs/nninit): tensors streamed
//! straight from the initializers into `.safetensors`, `.npy` and `.npz` files
//! (always through a temporary file renamed into place, so a failed run never
//! leaves a partial or stale output), readers that treat every file as
//! untrusted, spec files (`.toml`/`.json` tensor lists and glob rules), Hugging
//! Face `config.json` models, and whole MLP parameter sets from layer sizes.
//!
//! ```no_run
//! use nninit::{DType, Init, Layout};
//! use nninit_io::{save, TensorSpec};
//! let w = TensorSpec::new("w1", vec![256, 784], DType::F32, Layout::Torch,
//!                         Init::parse("kaiming_normal(nonlinearity=relu)").unwrap());
//! save(std::path::Path::new("w1.safetensors"), &[w], 1, &Default::default()).unwrap();
//! ```

#![deny(unsafe_code)]

mod file_parts;
pub mod inspect;
pub mod interrupt;
pub mod model;
mod npy;
pub mod outdir;
mod resources;
mod safetensors;
mod save;
mod shmem;

pub use interrupt::remove_temporary_files;
pub use npy::{decode_npy, npy_header, npy_item_size, parse_npy_header, NpyHeader, NpyHeaderError};
pub use resources::{available_memory, check_memory};
pub use safetensors::safetensors_header;
pub use save::*;
