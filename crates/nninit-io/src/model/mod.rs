//! Whole models as lists of tensors to generate: MLPs from layer sizes
//! ([`mlp`]), spec files ([`spec`]), and Hugging Face configs ([`hf`]); and
//! the [`plan`] of a model's named parameters (scheme, rules, coverage).

pub mod checkpoint;
pub mod hf;
pub mod mlp;
pub mod mup;
pub mod plan;
pub mod role;
pub mod spec;
pub mod stack;

pub use mlp::{init_for_activation, mlp_tensors, Naming};
