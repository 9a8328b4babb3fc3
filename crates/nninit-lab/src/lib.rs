//! # nninit-lab
//!
//! Seeing what initialization does: a dense network engine with an exact
//! backward pass, the forward/backward [`probe`] (per-layer statistics, a
//! typed verdict and a recommended initializer), [`train`]ing runs with
//! divergence detection, the datasets they run on ([`data`]), and the
//! [`experiment`] grid of initializers against activations.
//!
//! ```
//! use nninit::{Activation, Init};
//! use nninit_lab::probe::{gaussian_batch, probe, ProbeConfig, Verdict, WeightInit};
//! // the classic failure: N(0, 0.01^2) weights in a deep tanh net
//! let cfg = ProbeConfig {
//!     rng: Default::default(),
//!     sizes: vec![64, 128, 128, 128, 128, 10],
//!     activation: Activation::Tanh,
//!     init: WeightInit::parse("normal(std=0.01)").unwrap(),
//!     bias: Init::zeros(),
//!     seed: 1,
//! };
//! let (x, y) = gaussian_batch(64, 64, 10, 1);
//! let report = probe(&cfg, &x, &y).unwrap();
//! assert_eq!(report.verdict, Verdict::Vanishing);
//! ```

#![deny(unsafe_code)]

pub mod coord;
pub mod data;
pub mod experiment;
pub mod linalg;
pub mod nn;
pub mod probe;
pub mod train;
