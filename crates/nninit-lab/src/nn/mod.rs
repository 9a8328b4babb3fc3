//! The neural-network engine used by the probe and the trainer: network
//! shapes, a dense MLP with exact backward pass, losses, and LSUV.

pub mod loss;
pub mod lsuv;
pub mod mlp;
pub mod network;
pub mod workspace;

pub use mlp::{Dense, Forward, Grads, Mlp, Scalar};
pub use network::parse_layers;
pub use workspace::Workspace;
