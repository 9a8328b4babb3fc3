//! The reference model of the adapters' external checks:
//! `cargo run --release -p nninit-candle --example reference -- SEED OUT.safetensors`
//! builds `emb` = Embedding(100, 32), `fc1` = Linear(32, 64), `conv` =
//! Conv2d(4 -> 8, kernel 3, groups 2, with bias), `ln` = LayerNorm(64), `head`
//! = Linear(64, 10) through nninit's VarBuilder (default policy, seed SEED)
//! and saves every parameter in f32 under PyTorch's names and layout. Each
//! tensor equals Python `nninit.init_module(TorchModel(), seed=SEED)` of the
//! same PyTorch model, bit for bit, on any `RAYON_NUM_THREADS`.

use candle_core::{DType, Device};
use candle_nn::{conv2d, embedding, layer_norm, linear, Conv2dConfig, VarMap};

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
    let varmap = VarMap::new();
    let vb = nninit_candle::var_builder(
        &varmap,
        seed,
        None,
        nninit_candle::Policy::Torch,
        DType::F32,
        &Device::Cpu,
    );
    embedding(100, 32, vb.pp("emb"))?;
    linear(32, 64, vb.pp("fc1"))?;
    let cfg = Conv2dConfig {
        groups: 2,
        ..Default::default()
    };
    conv2d(4, 8, 3, cfg, vb.pp("conv"))?;
    layer_norm(64, 1e-5, vb.pp("ln"))?;
    linear(64, 10, vb.pp("head"))?;
    nninit_candle::save(&varmap, std::path::Path::new(out))?;
    Ok(())
}
