//! The reference model of the adapters' external checks:
//! `cargo run --release -p nninit-burn --example reference -- SEED OUT.safetensors`
//! builds `emb` = Embedding(100, 32), `fc1` = Linear(32, 64), `conv` =
//! Conv2d(4 -> 8, kernel 3, groups 2, with bias), `ln` = LayerNorm(64), `head`
//! = Linear(64, 10), initializes it with nninit (scheme `torch`, seed SEED)
//! and saves every parameter in f32 under PyTorch's names and layout
//! (burn-store's `SafetensorsStore` with `BurnToPyTorchAdapter`). Each tensor
//! equals Python `nninit.init_module(TorchModel(), seed=SEED)` of the same
//! PyTorch model, bit for bit, on any `RAYON_NUM_THREADS`.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::Device;
use nninit_burn::{Config, NninitInit};

#[derive(Module, Debug)]
struct Reference {
    emb: Embedding,
    fc1: Linear,
    conv: Conv2d,
    ln: LayerNorm,
    head: Linear,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [seed, out] = args.as_slice() else {
        return Err("usage: reference SEED OUT.safetensors".into());
    };
    let seed: u64 = seed
        .parse()
        .map_err(|_| format!("SEED `{seed}`: expected a whole number >= 0"))?;
    let device = Device::default();
    let model = Reference {
        emb: EmbeddingConfig::new(100, 32).init(&device),
        fc1: LinearConfig::new(32, 64).init(&device),
        conv: Conv2dConfig::new([4, 8], [3, 3])
            .with_groups(2)
            .init(&device),
        ln: LayerNormConfig::new(64).init(&device),
        head: LinearConfig::new(64, 10).init(&device),
    };
    let model = model.nninit_init(&Config::new(seed))?;
    nninit_burn::save_pytorch(&model, std::path::Path::new(out))?;
    Ok(())
}
