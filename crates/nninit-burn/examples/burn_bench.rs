//! Initializing a 100M-parameter burn model (an Embedding(32000, 1024), 12
//! blocks of Linear(1024, 4096) and Linear(4096, 1024) with biases, a
//! LayerNorm) with nninit, against burn's own (lazy) initialization of the
//! same model materialized, side by side, best of 3, on the same threads:
//! `cargo run --release -p nninit-burn --example burn_bench`.

use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Device, Tensor};
use nninit_burn::{Config, NninitInit};
use std::time::Instant;

#[derive(Module, Debug)]
struct Block {
    up: Linear,
    down: Linear,
}

#[derive(Module, Debug)]
struct Model {
    emb: Embedding,
    blocks: Vec<Block>,
    ln: LayerNorm,
}

fn model(device: &Device) -> Model {
    Model {
        emb: EmbeddingConfig::new(32000, 1024).init(device),
        blocks: (0..12)
            .map(|_| Block {
                up: LinearConfig::new(1024, 4096).init(device),
                down: LinearConfig::new(4096, 1024).init(device),
            })
            .collect(),
        ln: LayerNormConfig::new(1024).init(device),
    }
}

/// Touches every parameter, so that burn's lazy initializers run; counts
/// the elements.
struct Materialize(usize);

impl ModuleVisitor for Materialize {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0 += param.val().shape().num_elements();
    }
}

fn count(m: &Model) -> usize {
    let mut v = Materialize(0);
    m.visit(&mut v);
    v.0
}

fn best_of_3(f: &dyn Fn() -> usize) -> (f64, usize) {
    let mut best = f64::INFINITY;
    let mut n = 0;
    for _ in 0..3 {
        let t = Instant::now();
        n = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, n)
}

fn main() -> Result<(), nninit_burn::Error> {
    let device = Device::default();
    let (burn_s, n) = best_of_3(&|| {
        let m = model(&device);
        let n = count(&m);
        device.sync().unwrap();
        n
    });
    let (nninit_s, m) = best_of_3(&|| {
        let m = model(&device).nninit_init(&Config::new(0)).unwrap();
        device.sync().unwrap();
        count(&m)
    });
    assert_eq!(n, m);
    println!(
        "{:.1} M parameters (f32), {} rayon threads, best of 3\nburn default init:    {:.3} s\nnninit_init:          {:.3} s  ({:.1}x faster)",
        n as f64 / 1e6,
        rayon::current_num_threads(),
        burn_s,
        nninit_s,
        burn_s / nninit_s
    );
    Ok(())
}
